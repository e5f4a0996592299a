// Normalization for matching: maps each code point to the one dictionaries and features see,
// one to one, so offsets into the original text never move and output is cut from the
// original. A model file records which normalizer it was trained with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zhtok::normalize {

enum class Normalizer : uint32_t {
  None = 0,
  // Full-width ASCII forms (Ａ, １, ，, ％, U+FF01..U+FF5E) to ASCII and U+3000 to a space: Chinese
  // text mixes both widths (the PKU training text writes １９９８年, its test 2001年).
  Width = 1,
};

inline char32_t normalize_char(Normalizer n, char32_t c) {
  if (n == Normalizer::Width) {
    if (c >= 0xFF01 && c <= 0xFF5E) return c - 0xFEE0;
    if (c == 0x3000) return U' ';
  }
  return c;
}

inline void normalize_in_place(Normalizer n, char32_t* cps, size_t len) {
  for (size_t i = 0; i < len; ++i) cps[i] = normalize_char(n, cps[i]);
}

inline std::u32string normalized(Normalizer n, std::u32string s) {
  normalize_in_place(n, s.data(), s.size());
  return s;
}

}  // namespace zhtok::normalize
