// UTF-8 decoding into code points ("runes") that keep their byte offsets, so algorithms work on
// runes while results are cut from the original bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zhtok {

enum class InvalidUtf8 {
  Fail,     // throw an Input error naming the byte offset
  Replace,  // decode each bad byte as U+FFFD, keeping its original byte span
};

using ByteRange = std::pair<uint32_t, uint32_t>;  // [begin, end) byte offsets

struct Runes {
  std::vector<char32_t> cps;   // code points
  std::vector<uint32_t> offs;  // offs[i] = byte offset of cps[i]; offs[size] = byte length
  size_t size() const { return cps.size(); }
  void clear() { cps.clear(); offs.clear(); }
};

// The length (1..4) of the UTF-8 sequence at p, which has avail bytes (at least 1), setting cp;
// 0 if it is invalid. Strict like Python's decoder: no overlongs, nothing over U+10FFFF, and
// surrogates only with allow_surrogates. In the header: hot loops inline it.
inline int decode_utf8_char(const unsigned char* p, size_t avail, char32_t& cp, bool allow_surrogates) {
  unsigned c = p[0];
  if (c < 0x80) { cp = c; return 1; }
  if (c < 0xC2) return 0;
  if (c < 0xE0) {
    if (avail < 2 || (p[1] & 0xC0) != 0x80) return 0;
    cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (c < 0xF0) {
    if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
    cp = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    if (cp < 0x800) return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF && !allow_surrogates) return 0;
    return 3;
  }
  if (c < 0xF5) {
    if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
      return 0;
    cp = ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    if (cp < 0x10000 || cp > 0x10FFFF) return 0;
    return 4;
  }
  return 0;
}

// Decodes text into out (cleared first). Surrogate code points (U+D800..U+DFFF, encoded as
// WTF-8) are accepted only with allow_surrogates: Python str may hold lone surrogates and must
// round-trip, but they are not valid UTF-8 in files.
void decode_utf8(std::string_view text, Runes& out, InvalidUtf8 mode = InvalidUtf8::Fail,
                 bool allow_surrogates = false);

// Offset of the first invalid byte, or -1 if text is valid UTF-8.
int64_t find_invalid_utf8(std::string_view text);

// Appends the UTF-8 encoding of cp.
void append_utf8(std::string& out, char32_t cp);

}  // namespace zhtok
