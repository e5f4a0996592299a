// Coarse character classes: enough to keep runs of letters and digits whole and to give the
// segmentation model class features. Tables are ranges, not full Unicode properties, on purpose:
// the classes only need to separate scripts that segment differently.
#pragma once

#include <cstddef>
#include <cstdint>

namespace zhtok {

enum class CharClass : uint8_t { Han, Alpha, Digit, Punct, Space, Mark, Other };
constexpr int kNumCharClasses = 7;

inline bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

inline CharClass classify(char32_t c) {
  if (c < 0x80) {
    if (c >= '0' && c <= '9') return CharClass::Digit;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return CharClass::Alpha;
    if (c == ' ' || (c >= 0x09 && c <= 0x0D)) return CharClass::Space;
    if (c < 0x20 || c == 0x7F) return CharClass::Other;
    return CharClass::Punct;
  }
  if (in(c, 0x4E00, 0x9FFF) || in(c, 0x3400, 0x4DBF) || in(c, 0x20000, 0x323AF) ||
      in(c, 0xF900, 0xFAFF) || in(c, 0x2F800, 0x2FA1F) || c == 0x3007 || in(c, 0x2EBF0, 0x2EE5F))
    return CharClass::Han;
  if (in(c, 0xFF10, 0xFF19)) return CharClass::Digit;  // full-width digits
  if (in(c, 0xFF21, 0xFF3A) || in(c, 0xFF41, 0xFF5A)) return CharClass::Alpha;
  if (c == 0x85 || c == 0xA0 || c == 0x1680 || in(c, 0x2000, 0x200A) || c == 0x2028 ||
      c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000)
    return CharClass::Space;
  if (in(c, 0x0300, 0x036F) || in(c, 0x1AB0, 0x1AFF) || in(c, 0x1DC0, 0x1DFF) ||
      in(c, 0x20D0, 0x20FF) || in(c, 0xFE20, 0xFE2F) || in(c, 0xFE00, 0xFE0F) || c == 0x200D)
    return CharClass::Mark;  // combining marks, variation selectors, ZWJ: glue to the previous rune
  if ((in(c, 0xC0, 0x24F) && c != 0xD7 && c != 0xF7) || in(c, 0x370, 0x3FF) ||
      in(c, 0x400, 0x52F) || in(c, 0x1E00, 0x1EFF))
    return CharClass::Alpha;
  if (in(c, 0xA1, 0xBF) || c == 0xD7 || c == 0xF7 || in(c, 0x2010, 0x2027) ||
      in(c, 0x2030, 0x205E) || in(c, 0x3001, 0x3006) || in(c, 0x3008, 0x303F) ||
      in(c, 0xFF01, 0xFF0F) || in(c, 0xFF1A, 0xFF20) || in(c, 0xFF3B, 0xFF40) ||
      in(c, 0xFF5B, 0xFF65) || in(c, 0xFE30, 0xFE4F) || in(c, 0xFE50, 0xFE6F))
    return CharClass::Punct;
  return CharClass::Other;
}

// True where a word boundary may not fall between two runes: inside a run of letters and digits
// (iPhone15, GPT3, 2024), inside a run of whitespace, and before a combining mark. (Decimal
// points need three runes of context: see Lattice::build.)
inline bool is_alnum(CharClass k) { return k == CharClass::Alpha || k == CharClass::Digit; }

inline bool glued(CharClass prev, CharClass cur) {
  if (cur == CharClass::Mark) return true;
  if (prev == CharClass::Space && cur == CharClass::Space) return true;
  return is_alnum(prev) && is_alnum(cur);
}

}  // namespace zhtok
