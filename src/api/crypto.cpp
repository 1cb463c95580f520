// SPDX-License-Identifier: Apache-2.0
#include "api/crypto.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/assert.h"

namespace sb::api {

Result<std::string> hashPassword(std::string_view password, const PasswordParams& params) {
  constexpr std::size_t kSaltLen = 16, kHashLen = 32;
  std::string salt = randomBytes(kSaltLen);
  std::size_t len = argon2_encodedlen(params.time_cost, params.memory_kib, params.parallelism,
                                      kSaltLen, kHashLen, Argon2_id);
  std::string encoded(len, '\0');
  int rc = argon2id_hash_encoded(params.time_cost, params.memory_kib, params.parallelism,
                                 password.data(), password.size(), salt.data(), salt.size(),
                                 kHashLen, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return fail(Errc::Internal, std::string("argon2id: ") + argon2_error_message(rc));
  }
  encoded.resize(std::char_traits<char>::length(encoded.c_str()));
  return encoded;
}

bool verifyPassword(std::string_view encoded, std::string_view password) {
  if (!encoded.starts_with("$argon2id$")) return false;
  std::string z(encoded);  // libargon2 wants a NUL-terminated string
  return argon2id_verify(z.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string sha256Raw(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  bool ok = EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) == 1;
  SB_RELEASE_ASSERT(ok, "SHA-256 cannot fail on valid input");
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string sha256Hex(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string raw = sha256Raw(data), out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string randomBytes(std::size_t n) {
  std::string out(n, '\0');
  bool ok = RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) == 1;
  SB_RELEASE_ASSERT(ok, "tokens without entropy would be guessable");
  return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sb::api
