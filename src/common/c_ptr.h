// SPDX-License-Identifier: Apache-2.0
// CPtr: a std::unique_ptr for a C library's object, freed by that library's function
// (e.g. CPtr<X509, X509_free>). Header-only; no dependency on the library itself.
#pragma once

#include <memory>

namespace sb {

template <typename T, void (*Free)(T*)>
struct CFree {
  void operator()(T* p) const { Free(p); }
};

template <typename T, void (*Free)(T*)>
using CPtr = std::unique_ptr<T, CFree<T, Free>>;

}  // namespace sb
