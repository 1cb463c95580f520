// SPDX-License-Identifier: Apache-2.0
#include "sip/framing.h"

#include <cstring>

#include "sip/message.h"

namespace sb::sip {
namespace {

Frame frameError(std::string msg) {
  Frame f;
  f.status = FrameStatus::Error;
  f.error = Error(Errc::InvalidArgument, std::move(msg), "Content-Length");
  return f;
}

bool isWs(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

Frame frameStream(std::string_view buf, const FramingLimits& limits) noexcept {
  Frame f;
  size_t crlf = 0;
  while (crlf < buf.size() && (buf[crlf] == '\r' || buf[crlf] == '\n')) ++crlf;
  if (crlf > 0) {
    // Keep-alives between messages (RFC 5626 §3.5.1); hand them back to be consumed.
    f.status = FrameStatus::KeepAlive;
    f.size = crlf;
    return f;
  }
  // End of headers: the first empty line (CRLF CRLF, or bare LF LF).
  size_t hdr_end = std::string_view::npos;
  size_t scan_limit = std::min(buf.size(), limits.max_header_bytes + 4);
  for (size_t i = 0; i + 1 < scan_limit; ++i) {
    const void* p = std::memchr(buf.data() + i, '\n', scan_limit - i);
    if (p == nullptr) break;
    i = static_cast<size_t>(static_cast<const char*>(p) - buf.data());
    if (i + 1 < buf.size() && buf[i + 1] == '\n') {
      hdr_end = i + 2;
      break;
    }
    if (i + 2 < buf.size() && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
      hdr_end = i + 3;
      break;
    }
  }
  if (hdr_end == std::string_view::npos) {
    if (buf.size() > limits.max_header_bytes) return frameError("headers too long");
    return f;  // NeedMore
  }
  if (hdr_end > limits.max_header_bytes + 4) return frameError("headers too long");

  // Find Content-Length / l among the header lines (skip the start line).
  bool have = false;
  uint64_t cl = 0;
  size_t pos = static_cast<size_t>(
      static_cast<const char*>(std::memchr(buf.data(), '\n', hdr_end)) - buf.data()) + 1;
  while (pos < hdr_end) {
    size_t eol = buf.find('\n', pos);
    std::string_view line = buf.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line == "\r" || line[0] == ' ' || line[0] == '\t') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && isWs(name.back())) name.remove_suffix(1);
    if (headerIdFromName(name) != HeaderId::ContentLength) continue;
    std::string_view value = line.substr(colon + 1);
    // A folded Content-Length is legal but odd; include continuation lines.
    while (pos < hdr_end && (buf[pos] == ' ' || buf[pos] == '\t')) {
      size_t e2 = buf.find('\n', pos);
      value = std::string_view(value.data(), static_cast<size_t>(buf.data() + e2 - value.data()));
      pos = e2 + 1;
    }
    while (!value.empty() && isWs(value.front())) value.remove_prefix(1);
    while (!value.empty() && isWs(value.back())) value.remove_suffix(1);
    auto n = parseUint32(value);
    if (!n) return frameError("Content-Length is not a non-negative number");
    if (have && *n != cl) return frameError("conflicting Content-Length values");
    have = true;
    cl = *n;
  }
  if (!have) return frameError("Content-Length is mandatory on stream transports");
  if (cl > limits.max_body_bytes) return frameError("body too large");
  if (buf.size() < hdr_end + cl) return f;  // NeedMore
  f.status = FrameStatus::Complete;
  f.size = hdr_end + static_cast<size_t>(cl);
  return f;
}

}  // namespace sb::sip
