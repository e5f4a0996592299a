// Moving text between Python and the core. Python str may contain lone surrogates, which are
// carried through as WTF-8 so that every str round-trips; bytes must be UTF-8 (or are repaired
// with errors="replace").
#pragma once

#include <pybind11/pybind11.h>

#include <string>
#include <string_view>

#include "common/utf8.h"

namespace zhtok::bindings {

namespace py = pybind11;

// UTF-8 of a str or bytes argument. Holds a reference to the Python object, so view() stays valid
// after the GIL is released.
class TextArg {
 public:
  TextArg(py::handle obj, const std::string& errors);
  std::string_view view() const { return surrogates_ ? std::string_view(owned_) : view_; }
  // Decodes into runes; callable without the GIL.
  void decode(Runes& out) const;
  // Builds a Python str from a byte range of the text (GIL needed).
  py::str slice(size_t begin, size_t end) const;
  // The words of the text from rune spans [begin, end): a substring of the str argument
  // (cheaper than decoding UTF-8 again), or the decoded bytes of a bytes argument.
  py::str word(const Runes& runes, uint32_t begin, uint32_t end) const;
  bool is_str() const { return is_str_; }

 private:
  py::object keep_;
  std::string owned_;
  std::string_view view_;  // into keep_'s buffer, unless surrogates_ (then owned_)
  bool surrogates_ = false;  // str input that holds lone surrogates
  bool is_str_ = false;
  InvalidUtf8 mode_ = InvalidUtf8::Fail;
};

// Threads to use for n items when the user asked for `requested` (0 = all cores).
size_t thread_count(size_t requested, size_t n);

}  // namespace zhtok::bindings
