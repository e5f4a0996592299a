// Segmenter: a shared immutable SegModel plus this object's own user dictionary.
//
// Thread-safety: every method may be called from any number of threads at once. Segmenting
// methods take a shared lock for the whole call and user-dictionary changes an exclusive one,
// so a call sees the user dictionary either wholly before or wholly after a change (a batch
// takes the lock per text). No global state: two Segmenters never affect each other.
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/utf8.h"
#include "segment/ambiguity.h"
#include "segment/lattice.h"
#include "segment/seg_model.h"
#include "segment/user_dict.h"

namespace zhtok::segment {

class Segmenter {
 public:
  explicit Segmenter(std::shared_ptr<const SegModel> model) : model_(std::move(model)) {}

  // The words of text as rune spans that cover it exactly, in order; the second form fills out
  // (reusing its memory, as a caller segmenting line after line does).
  std::vector<Span> segment(const Runes& text) const;
  void segment(const Runes& text, std::vector<Span>& out) const;
  // The k best segmentations of the whole text, best first (fewer if there are fewer).
  std::vector<Segmentation> nbest(const Runes& text, size_t k) const;
  // Spans where a different reading competes with the chosen one: an alternative is reported
  // if its dictionary words cross the chosen words (overlapping ambiguity, as 市长 in
  // 南京市长江大桥) or if its path scores within margin of the best (combinational ambiguity).
  std::vector<Ambiguity> ambiguities(const Runes& text, double margin,
                                     size_t max_alternatives) const;

  // freq < 0: no frequency, the word beats the best split of its own span.
  void add_word(const std::u32string& word, float freq);
  // Removes a user word, or disables a dictionary word; false if it is neither.
  bool del_word(const std::u32string& word);
  // Lines "word [freq]"; blank lines and lines starting with # are skipped. All or nothing:
  // a malformed line throws a Format error with path and line, and nothing is added.
  void load_user_dict(const std::string& path);

  const SegModel& model() const { return *model_; }

 private:
  struct Workspace {
    std::vector<char32_t> norm;  // normalized runes of the window
    std::vector<CharClass> cls;
    Lattice lat;
    PathScratch paths;
    std::vector<int32_t> path;  // the window's best path
    AmbiguityScratch crossings;
  };
  void build_lattice(const Runes& text, size_t begin, size_t end, Workspace& ws) const;
  // Calls on_space(begin, end) for each whitespace run and each run of letters and digits too
  // long to search (a word on its own), and on_window(begin, commit, ws, path)
  // for each searched window, where runes [begin, begin + commit) are settled by path.
  template <typename OnSpace, typename OnWindow>
  void search(const Runes& text, Workspace& ws, OnSpace&& on_space, OnWindow&& on_window) const;

  void add_locked(const std::u32string& normalized_word, float freq);  // mu_ held exclusively
  std::u32string normalized(const std::u32string& word) const {
    return normalize::normalized(model_->normalizer(), word);
  }

  std::shared_ptr<const SegModel> model_;
  mutable std::shared_mutex mu_;
  UserDict user_;
};

}  // namespace zhtok::segment
