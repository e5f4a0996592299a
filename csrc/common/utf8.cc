#include "common/utf8.h"

#include "common/error.h"

namespace zhtok {

void decode_utf8(std::string_view text, Runes& out, InvalidUtf8 mode, bool allow_surrogates) {
  out.clear();
  out.cps.reserve(text.size());
  out.offs.reserve(text.size() + 1);
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size(), i = 0;
  while (i < n) {
    char32_t cp;
    int len = decode_utf8_char(p + i, n - i, cp, allow_surrogates);
    if (len == 0) {
      if (mode == InvalidUtf8::Fail)
        throw_input("invalid UTF-8 byte 0x" + std::string(1, "0123456789abcdef"[p[i] >> 4]) +
                        std::string(1, "0123456789abcdef"[p[i] & 15]),
                    static_cast<int64_t>(i));
      cp = 0xFFFD;
      len = 1;
    }
    out.cps.push_back(cp);
    out.offs.push_back(static_cast<uint32_t>(i));
    i += len;
  }
  out.offs.push_back(static_cast<uint32_t>(n));
}

int64_t find_invalid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size(), i = 0;
  char32_t cp;
  while (i < n) {
    int len = decode_utf8_char(p + i, n - i, cp, false);
    if (len == 0) return static_cast<int64_t>(i);
    i += len;
  }
  return -1;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace zhtok
