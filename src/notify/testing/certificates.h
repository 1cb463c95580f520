// SPDX-License-Identifier: Apache-2.0
// Test helper: a self-signed certificate and its private key, made with OpenSSL, as a webhook
// receiver would make one for encrypted resource data. Thread-compatible.
#pragma once

#include <string>

#include "notify/encryption.h"

namespace sb::notify::testing {

enum class KeyKind { Rsa2048, Rsa1024, EcP256 };

struct TestCertificate {
  PkeyPtr private_key;
  std::string der_base64;  // what a subscriber sends as encryptionCertificate
  std::string pem;
};

// Valid from now + not_before_s to now + not_after_s (seconds, relative to the real clock).
TestCertificate makeCertificate(KeyKind kind = KeyKind::Rsa2048, long not_before_s = -60,
                                long not_after_s = 3600);

}  // namespace sb::notify::testing
