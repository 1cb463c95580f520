// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/raw_response.h"

#include <array>

namespace sb::sip {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Which copied header a name is; -1 for the others.
int copiedHeader(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kNames{{
      {"via", "v"}, {"from", "f"}, {"to", "t"}, {"call-id", "i"}, {"cseq", ""}}};
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (iequals(name, kNames[i].first) || (!kNames[i].second.empty() && iequals(name, kNames[i].second))) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace

std::optional<std::string> rawErrorResponse(std::string_view request, int code,
                                            std::string_view reason, std::string_view server,
                                            std::string_view to_tag) {
  size_t nl = request.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  std::string_view start = trim(request.substr(0, nl));
  if (start.empty() || start.starts_with("SIP/") || start.starts_with("ACK ")) return std::nullopt;
  if (start.find(' ') == std::string_view::npos) return std::nullopt;

  std::string out = "SIP/2.0 " + std::to_string(code) + " " + std::string(reason) + "\r\n";
  size_t pos = nl + 1;
  int current = -1;  // copied header whose continuation lines follow
  bool to_line_open = false;
  auto closeTo = [&] {
    if (!to_line_open) return;
    to_line_open = false;
  };
  std::string to_value;  // the To header is rebuilt so a tag can be added
  while (pos < request.size()) {
    size_t e = request.find('\n', pos);
    std::string_view line = request.substr(pos, e == std::string_view::npos ? std::string_view::npos : e - pos);
    pos = e == std::string_view::npos ? request.size() : e + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of headers
    if (line.front() == ' ' || line.front() == '\t') {
      if (current == 2) {
        to_value += ' ';
        to_value += trim(line);
      } else if (current >= 0) {
        out += line;
        out += "\r\n";
      }
      continue;
    }
    closeTo();
    size_t colon = line.find(':');
    current = colon == std::string_view::npos ? -1 : copiedHeader(trim(line.substr(0, colon)));
    if (current == 2) {
      if (!to_value.empty()) {  // a second To: keep the first only
        current = -1;
        continue;
      }
      to_value = std::string(trim(line.substr(colon + 1)));
      to_line_open = true;
      continue;
    }
    if (current >= 0) {
      out += line;
      out += "\r\n";
    }
  }
  if (!to_value.empty()) {
    out += "To: " + to_value;
    if (!to_tag.empty() && !icontains(to_value, ";tag=")) {
      out += ";tag=";
      out += to_tag;
    }
    out += "\r\n";
  }
  if (!server.empty()) {
    out += "Server: ";
    out += server;
    out += "\r\n";
  }
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

}  // namespace sb::sip
