// SPDX-License-Identifier: Apache-2.0
#include "notify/signature.h"

#include <cstdlib>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace sb::notify {
namespace {

void randomFill(unsigned char* p, int n) {
  // Without randomness the keys would be guessable: stop rather than continue.
  if (RAND_bytes(p, n) != 1) std::abort();
}

}  // namespace

std::string hexEncode(std::string_view bytes, bool upper_case) {
  const char* digits = upper_case ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 0xF];
  }
  return out;
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hmacSha256Hex(std::string_view key, std::string_view data) {
  return hexEncode(hmacSha256(key, data));
}

std::string signatureHeader(std::string_view key, int64_t unix_seconds, std::string_view body) {
  std::string t = std::to_string(unix_seconds);
  std::string signed_text = t + "." + std::string(body);
  return "t=" + t + ",v1=" + hmacSha256Hex(key, signed_text);
}

bool verifySignatureHeader(std::string_view key, std::string_view header, std::string_view body) {
  if (!header.starts_with("t=")) return false;
  auto comma = header.find(",v1=");
  if (comma == std::string_view::npos) return false;
  std::string_view t = header.substr(2, comma - 2);
  std::string_view mac = header.substr(comma + 4);
  if (t.empty()) return false;
  for (char c : t) {
    if (c < '0' || c > '9') return false;
  }
  std::string expected = hmacSha256Hex(key, std::string(t) + "." + std::string(body));
  return mac.size() == expected.size() &&
         CRYPTO_memcmp(mac.data(), expected.data(), mac.size()) == 0;
}

std::string newSigningKey() {
  unsigned char b[32];
  randomFill(b, sizeof b);
  return hexEncode(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
}

std::string newGuid() {
  unsigned char b[16];
  randomFill(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // RFC 4122 4.4: version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // variant 10
  std::string h = hexEncode(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

}  // namespace sb::notify
