// Moving text between Python and the core. Python str may contain lone surrogates, which are
// carried through as WTF-8 so that every str round-trips; bytes must be UTF-8 (or are repaired
// with errors="replace").
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

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
  py::str word(const Runes& runes, uint32_t begin, uint32_t end) const {
    return is_str_ ? unit_slice(begin, end) : unit_slice(runes.offs[begin], runes.offs[end]);
  }
  // Characters [begin, end) of a str argument, or bytes [begin, end) of a bytes one, decoded.
  py::str unit_slice(size_t begin, size_t end) const;
  bool is_str() const { return is_str_; }

 private:
  py::object keep_;
  std::string owned_;
  std::string_view view_;  // into keep_'s buffer, unless surrogates_ (then owned_)
  bool surrogates_ = false;  // str input that holds lone surrogates
  bool is_str_ = false;
  InvalidUtf8 mode_ = InvalidUtf8::Fail;
};

// Characters [begin, end) of a str, as a new str (GIL needed).
py::str str_slice(py::handle str, size_t begin, size_t end);

// Work on one text of at most this many characters (3x as many UTF-8 bytes) is done holding the
// GIL: releasing and taking it back costs ~0.15 us, as much as segmenting a short line or
// encoding half of one, and such a call holds the GIL at most ~0.2 ms. Batch calls and longer
// texts release it.
constexpr size_t kShortText = 1024;

// Threads to use for n items when the user asked for `requested` (0 = all cores).
size_t thread_count(size_t requested, size_t n);

// Holds off Python's cyclic GC while results are built. Building a batch's lists (hundreds of
// thousands of them) otherwise triggers a collection every few hundred allocations, each of
// which traverses the lists already built: a quarter of encode_batch's time went to the GC.
// Lists of ints or str cannot form cycles, so nothing is left uncollected; the collection that
// is due runs once, at the next allocation after. Use only while holding the GIL for the whole
// lifetime: no other thread can then see the GC paused.
class GcPause {
 public:
  GcPause() : was_enabled_(PyGC_Disable() == 1) {}
  ~GcPause() {
    if (was_enabled_) PyGC_Enable();
  }
  GcPause(const GcPause&) = delete;
  GcPause& operator=(const GcPause&) = delete;

 private:
  bool was_enabled_;
};

// A Python list of ints (GIL held). shared_ints, when a list whose item k is the int k (the
// Python tokenizer keeps one for its ids), lends its objects.
py::list id_list(const uint32_t* ids, size_t n, py::handle shared_ints = py::handle());

// Consecutive documents of an IdRuns: the ids [ids_begin, ids_end) and the lengths
// [lengths_begin, lengths_end) of its vectors.
struct IdRunsPart {
  size_t ids_begin = 0, ids_end = 0, lengths_begin = 0, lengths_end = 0;
};

// Token ids of consecutive documents in one buffer (one allocation for many documents instead
// of one each): their ids end to end, and each one's count.
struct IdRuns {
  std::vector<uint32_t> ids;
  std::vector<int64_t> lengths;
  void add(size_t ids_before) { lengths.push_back(int64_t(ids.size() - ids_before)); }
  IdRunsPart all() const { return {0, ids.size(), 0, lengths.size()}; }
  // The part holding the documents added from now on: start_part() before them, end_part(part)
  // after them.
  IdRunsPart start_part() const { return {ids.size(), ids.size(), lengths.size(), lengths.size()}; }
  void end_part(IdRunsPart& part) const { part.ids_end = ids.size(), part.lengths_end = lengths.size(); }
};

// A Python list with a list of ints per document of runs, in order, built with the GC paused
// (GIL held).
py::list id_lists(const std::vector<IdRuns>& runs, py::handle shared_ints = py::handle());

// The documents of runs(0) .. runs(n - 1) end to end as numpy arrays: (ids Id, lengths int64).
// runs(c) gives an IdRuns and the part of it to take: (const IdRuns*, IdRunsPart). Id narrower
// than uint32 only where every id fits (the caller checks the vocabulary size).
template <typename Id = uint32_t, typename Runs>
py::tuple runs_to_numpy(size_t n, Runs&& runs) {
  size_t tokens = 0, count = 0;
  for (size_t c = 0; c < n; ++c) {
    IdRunsPart p = runs(c).second;
    tokens += p.ids_end - p.ids_begin, count += p.lengths_end - p.lengths_begin;
  }
  py::array_t<Id> flat(tokens);
  py::array_t<int64_t> lengths(count);
  Id* f = flat.mutable_data();
  int64_t* l = lengths.mutable_data();
  for (size_t c = 0; c < n; ++c) {
    auto [r, p] = runs(c);
    f = std::copy(r->ids.begin() + p.ids_begin, r->ids.begin() + p.ids_end, f);
    l = std::copy(r->lengths.begin() + p.lengths_begin, r->lengths.begin() + p.lengths_end, l);
  }
  return py::make_tuple(flat, lengths);
}

}  // namespace zhtok::bindings
