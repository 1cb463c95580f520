// SPDX-License-Identifier: Apache-2.0
// Internal to sb_sip (message.cpp, uri.cpp): byte-scanning primitives for the parsers' hot
// loops, 16 bytes at a time with SSE2 where available and a plain loop otherwise. They only
// find positions; every grammar decision stays in the callers. Stateless, thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sb::sip::scan {

// s.substr(pos, n) for a pos the caller knows is <= s.size(): no check, no throw path, so it
// inlines everywhere (GCC keeps std::string_view::substr out of line in the parsers).
inline std::string_view slice(std::string_view s, size_t pos,
                              size_t n = std::string_view::npos) noexcept {
  return {s.data() + pos, std::min(n, s.size() - pos)};
}

// Index of the first byte in d[i, n) equal to one of a, b, c, e; n if none.
inline size_t findAny4(const char* d, size_t i, size_t n, char a, char b, char c,
                       char e) noexcept {
#if defined(__SSE2__)
  const __m128i va = _mm_set1_epi8(a);
  const __m128i vb = _mm_set1_epi8(b);
  const __m128i vc = _mm_set1_epi8(c);
  const __m128i ve = _mm_set1_epi8(e);
  while (i + 16 <= n) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i));
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, vc), _mm_cmpeq_epi8(v, ve)));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(m));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    i += 16;
  }
  if (i < n && n >= 16) {
    // The tail as one overlapping load of the last 16 bytes, ignoring those before i.
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + n - 16));
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, vc), _mm_cmpeq_epi8(v, ve)));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(m)) & (0xffffu << (i - (n - 16)));
    return mask != 0 ? n - 16 + static_cast<size_t>(__builtin_ctz(mask)) : n;
  }
#endif
  for (; i < n; ++i) {
    char x = d[i];
    if (x == a || x == b || x == c || x == e) return i;
  }
  return n;
}

// Index of the first `c` in d[i, n); n if none.
inline size_t findByte(const char* d, size_t i, size_t n, char c) noexcept {
#if defined(__SSE2__)
  const __m128i vc = _mm_set1_epi8(c);
  while (i + 16 <= n) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, vc)));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    i += 16;
  }
  if (i < n && n >= 16) {
    // The tail as one overlapping load of the last 16 bytes, ignoring those before i.
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + n - 16));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, vc))) &
                (0xffffu << (i - (n - 16)));
    return mask != 0 ? n - 16 + static_cast<size_t>(__builtin_ctz(mask)) : n;
  }
#endif
  for (; i < n; ++i) {
    if (d[i] == c) return i;
  }
  return n;
}

}  // namespace sb::sip::scan
