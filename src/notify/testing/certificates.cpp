// SPDX-License-Identifier: Apache-2.0
#include "notify/testing/certificates.h"

#include <cstdlib>
#include <memory>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/c_ptr.h"

namespace sb::notify::testing {
namespace {

void check(bool ok) {
  if (!ok) std::abort();  // a test fixture that cannot be made: nothing sensible to test
}

}  // namespace

TestCertificate makeCertificate(KeyKind kind, long not_before_s, long not_after_s) {
  TestCertificate out;
  switch (kind) {
    case KeyKind::Rsa2048:
      out.private_key.reset(EVP_RSA_gen(2048));
      break;
    case KeyKind::Rsa1024:
      out.private_key.reset(EVP_RSA_gen(1024));
      break;
    case KeyKind::EcP256:
      out.private_key.reset(EVP_EC_gen("P-256"));
      break;
  }
  check(out.private_key != nullptr);
  CPtr<X509, X509_free> x(X509_new());
  check(x != nullptr);
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), not_after_s);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("webhook receiver"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  check(X509_set_pubkey(x.get(), out.private_key.get()) == 1);
  check(X509_sign(x.get(), out.private_key.get(), EVP_sha256()) > 0);

  int len = i2d_X509(x.get(), nullptr);
  check(len > 0);
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(x.get(), &p);
  out.der_base64 = base64Encode(der);

  CPtr<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
  check(bio != nullptr && PEM_write_bio_X509(bio.get(), x.get()) == 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  out.pem.assign(data, static_cast<std::size_t>(n));
  return out;
}

}  // namespace sb::notify::testing
