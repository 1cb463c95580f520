// SPDX-License-Identifier: Apache-2.0
#include "api/http_types.h"

#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace sb::api {

Surface surfaceOf(std::string_view path) {
  if (path == "/api/v1" || path.starts_with("/api/v1/")) return Surface::Api;
  if (path == "/graph/v1.0" || path.starts_with("/graph/v1.0/")) return Surface::Graph;
  return Surface::Other;
}

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string_view> HttpRequest::queryParam(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

HttpResponse HttpResponse::json(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  // Replace invalid UTF-8 rather than throw: handlers may echo user input.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse HttpResponse::text(int status, std::string body, std::string content_type) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}


HttpResponse errorResponse(Surface surface, int status, std::string_view code,
                           std::string_view message, std::string_view field) {
  nlohmann::json err;
  if (surface == Surface::Graph) {
    std::string msg(message);
    if (!field.empty()) msg += " (field: " + std::string(field) + ")";
    auto now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    err = {{"code", graphCodeFor(status)},
           {"message", msg},
           {"innerError", {{"date", date}}}};
  } else {
    err = {{"code", code}, {"message", message}};
    if (!field.empty()) err["field"] = field;
  }
  return HttpResponse::json(status, nlohmann::json{{"error", err}});
}


HttpResponse errorResponse(Surface surface, const Error& error) {
  return errorResponse(surface, httpStatusOf(error.code), errcName(error.code), error.message,
                       error.field);
}

namespace {

// SAX adapter: builds the DOM like json::parse but records the error position instead of
// throwing (parsers never throw, STYLE.md §6).
class PositionRecordingSax {
 public:
  explicit PositionRecordingSax(nlohmann::json& out) : dom_(out, false) {}
  using json = nlohmann::json;
  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return dom_.number_float(v, s);
  }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return dom_.start_object(n); }
  bool key(json::string_t& v) { return dom_.key(v); }
  bool end_object() { return dom_.end_object(); }
  bool start_array(std::size_t n) { return dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) {
    failed_ = true;
    position_ = position;
    last_token_ = last_token;
    what_ = ex.what();
    return false;
  }
  bool failed() const { return failed_; }
  std::size_t position() const { return position_; }
  const std::string& what() const { return what_; }

 private:
  nlohmann::detail::json_sax_dom_parser<json> dom_;
  bool failed_ = false;
  std::size_t position_ = 0;
  std::string last_token_;
  std::string what_;
};

}  // namespace

Result<nlohmann::json> parseJsonBody(std::string_view body) {
  nlohmann::json out;
  PositionRecordingSax sax(out);
  bool ok = nlohmann::json::sax_parse(body.begin(), body.end(), &sax,
                                      nlohmann::json::input_format_t::json, true, false);
  if (!ok || sax.failed()) {
    // nlohmann reports the 1-based count of characters read; map it to line/column.
    std::size_t pos = sax.position();
    std::size_t line = 1, column = 0;
    for (std::size_t i = 0; i < pos && i < body.size(); ++i) {
      if (body[i] == '\n') {
        ++line;
        column = 0;
      } else {
        ++column;
      }
    }
    std::string detail = sax.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2: "
    if (auto p = detail.find(": "); p != std::string::npos) detail = detail.substr(p + 2);
    return fail(Errc::InvalidArgument,
                "malformed JSON at line " + std::to_string(line) + ", column " +
                    std::to_string(column) + " (byte " + std::to_string(pos) + "): " + detail,
                "body");
  }
  return out;
}

namespace {
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<std::string> percentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return fail(Errc::InvalidArgument, "truncated percent escape");
      }
      int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return fail(Errc::InvalidArgument, "bad percent escape");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string percentEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '$') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    auto key = percentDecode(part.substr(0, eq), true);
    auto value = percentDecode(eq == std::string_view::npos ? "" : part.substr(eq + 1), true);
    if (!key || !value) continue;  // a malformed pair is dropped, not guessed at
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

std::string base64UrlEncode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    std::uint32_t n = (std::uint8_t(bytes[i]) << 16) | (std::uint8_t(bytes[i + 1]) << 8) |
                      std::uint8_t(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    std::uint32_t n = std::uint8_t(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    std::uint32_t n = (std::uint8_t(bytes[i]) << 16) | (std::uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

Result<std::string> base64UrlDecode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return fail(Errc::InvalidArgument, "bad base64url length");
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) return fail(Errc::InvalidArgument, "bad base64url character");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::string htmlEscape(std::string_view in) {
  std::string out;
  for (char c : in) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace sb::api
