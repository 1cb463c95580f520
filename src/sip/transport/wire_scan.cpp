// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/wire_scan.h"

#include <optional>

namespace sb::sip {
namespace {

constexpr size_t kMaxContentLengthDigits = 9;  // < 1 GB; anything longer is not a SIP body

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

enum class ClParse { Ok, Bad };

ClParse parseLength(std::string_view v, size_t& out) noexcept {
  v = trim(v);
  if (v.empty() || v.size() > kMaxContentLengthDigits) return ClParse::Bad;
  size_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return ClParse::Bad;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  out = n;
  return ClParse::Ok;
}

struct HeadScan {
  bool found_end = false;
  size_t head_size = 0;
  std::optional<size_t> content_length;
  ScanError error = ScanError::None;
  std::string_view call_id;
};

// Walks header lines (CRLF or bare LF) until the empty line. Folded continuation lines (leading
// SP/HT) belong to the previous header; Content-Length and Call-ID are never usefully folded, so
// a folded one is read from its first line only.
HeadScan scanHead(std::string_view data) noexcept {
  HeadScan r;
  size_t pos = 0;
  bool first = true;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) return r;  // header block not finished
    std::string_view line = data.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl + 1;
    if (line.empty()) {
      r.found_end = true;
      r.head_size = pos;
      return r;
    }
    if (first) {  // start line
      first = false;
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // the parser reports it
    std::string_view name = trim(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    if (iequals(name, "content-length") || iequals(name, "l")) {
      size_t n = 0;
      if (parseLength(value, n) != ClParse::Ok) {
        if (r.error == ScanError::None) r.error = ScanError::BadContentLength;
      } else if (r.content_length && *r.content_length != n) {
        if (r.error == ScanError::None) r.error = ScanError::ConflictingContentLength;
      } else {
        r.content_length = n;
      }
    } else if (r.call_id.empty() && (iequals(name, "call-id") || iequals(name, "i"))) {
      r.call_id = trim(value);
    }
  }
  return r;
}

}  // namespace

const char* scanErrorName(ScanError e) noexcept {
  switch (e) {
    case ScanError::None: return "none";
    case ScanError::MissingContentLength: return "missing Content-Length";
    case ScanError::BadContentLength: return "invalid Content-Length";
    case ScanError::ConflictingContentLength: return "conflicting Content-Length values";
    case ScanError::BodyTruncated: return "Content-Length exceeds the body";
    case ScanError::TooLarge: return "message too large";
    case ScanError::NoHeaderEnd: return "no end of headers";
  }
  return "?";
}

FrameScan scanDatagram(std::string_view data) noexcept {
  FrameScan out;
  HeadScan h = scanHead(data);
  out.call_id = h.call_id;
  out.status = ScanStatus::Error;
  if (!h.found_end) {
    // RFC 5118's archived messages and some UAs omit the empty line after the last header of a
    // body-less datagram: accept the whole datagram as the head when it declares no body.
    if (h.error == ScanError::None && h.content_length.value_or(0) == 0) {
      out.status = ScanStatus::Complete;
      out.head_size = out.total = data.size();
      out.has_content_length = h.content_length.has_value();
      return out;
    }
    out.error = h.error != ScanError::None ? h.error : ScanError::NoHeaderEnd;
    return out;
  }
  out.head_size = h.head_size;
  if (h.error != ScanError::None) {
    out.error = h.error;
    return out;
  }
  size_t rest = data.size() - h.head_size;
  out.has_content_length = h.content_length.has_value();
  if (!h.content_length) {
    out.body_size = rest;  // RFC 3261 §18.3: over UDP the body runs to the end of the datagram
  } else if (*h.content_length > rest) {
    out.error = ScanError::BodyTruncated;  // RFC 3261 §18.3: respond 400
    out.body_size = *h.content_length;
    return out;
  } else {
    out.body_size = *h.content_length;
  }
  out.status = ScanStatus::Complete;
  out.total = out.head_size + out.body_size;
  return out;
}

FrameScan scanStream(std::string_view data, size_t max_message) noexcept {
  FrameScan out;
  HeadScan h = scanHead(data);
  out.call_id = h.call_id;
  if (!h.found_end) {
    if (data.size() > max_message) {
      out.status = ScanStatus::Error;
      out.error = ScanError::TooLarge;
    }
    return out;  // Incomplete
  }
  out.head_size = h.head_size;
  out.status = ScanStatus::Error;
  if (h.error != ScanError::None) {
    out.error = h.error;
    return out;
  }
  if (!h.content_length) {
    out.error = ScanError::MissingContentLength;
    return out;
  }
  out.has_content_length = true;
  out.body_size = *h.content_length;
  if (out.head_size + out.body_size > max_message) {
    out.error = ScanError::TooLarge;
    return out;
  }
  if (data.size() < out.head_size + out.body_size) {
    out.status = ScanStatus::Incomplete;
    return out;
  }
  out.status = ScanStatus::Complete;
  out.total = out.head_size + out.body_size;
  return out;
}

size_t skipKeepAlives(std::string_view data, unsigned& pings) noexcept {
  pings = 0;
  size_t pos = 0;
  unsigned run = 0;  // consecutive line ends seen
  while (pos < data.size()) {
    if (data[pos] == '\n') {
      pos += 1;
    } else if (data[pos] == '\r') {
      if (pos + 1 >= data.size()) break;  // maybe half a CRLF: wait for the rest
      if (data[pos + 1] != '\n') break;
      pos += 2;
    } else {
      break;
    }
    if (++run == 2) {
      ++pings;
      run = 0;
    }
  }
  return pos;
}

bool isKeepAliveOnly(std::string_view data) noexcept {
  for (char c : data) {
    if (c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace sb::sip
