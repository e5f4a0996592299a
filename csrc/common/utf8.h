// UTF-8 decoding into code points ("runes") that keep their byte offsets, so algorithms work on
// runes while results are cut from the original bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zhtok {

enum class InvalidUtf8 {
  Fail,     // throw an Input error naming the byte offset
  Replace,  // decode each bad byte as U+FFFD, keeping its original byte span
};

struct Runes {
  std::vector<char32_t> cps;   // code points
  std::vector<uint32_t> offs;  // offs[i] = byte offset of cps[i]; offs[size] = byte length
  size_t size() const { return cps.size(); }
  void clear() { cps.clear(); offs.clear(); }
};

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
