#include "segment/segmenter.h"

#include <fstream>
#include <mutex>

#include "common/error.h"
#include "common/scratch.h"
#include "io/line_reader.h"

namespace zhtok::segment {
namespace {

// Long runs without whitespace are searched in windows of this many runes: the best path is
// committed up to its last boundary before the window's tail, so memory stays bounded on
// megabyte lines while paths far from a window's edge are unchanged.
constexpr size_t kWindow = 2048;
constexpr size_t kWindowTail = 64;
// A run of letters and digits longer than this is a word on its own and is not searched: it
// cannot be cut, and a window holding it would cost memory in proportion to its length (about
// 250 bytes a rune), so a megabyte-long run would cost gigabytes.
constexpr size_t kMaxSearchedRun = size_t(1) << 16;

// Every space is at or below U+3000: Chinese text (U+3400 and up) skips classify.
bool is_space(char32_t c) { return c <= 0x3000 && classify(c) == CharClass::Space; }

// End of the run of letters and digits (glued runes) that holds rune k, before limit.
size_t run_end(const Runes& text, size_t k, size_t limit) {
  size_t e = k + 1;
  while (e < limit && glued(classify(text.cps[e - 1]), classify(text.cps[e]))) ++e;
  return e;
}

}  // namespace

void Segmenter::build_lattice(const Runes& text, size_t begin, size_t end, Workspace& ws) const {
  size_t n = end - begin;
  ws.norm.assign(text.cps.begin() + begin, text.cps.begin() + end);
  normalize::normalize_in_place(model_->normalizer(), ws.norm.data(), n);
  ws.cls.resize(n);
  for (size_t i = 0; i < n; ++i) ws.cls[i] = classify(ws.norm[i]);
  const Scorer& scorer = model_->scorer();
  ws.lat.build(ws.norm.data(), ws.cls.data(), n, model_->dict(), user_, scorer.max_free_units(),
               /*free_across_punct=*/false);
  scorer.score_all(ws.norm.data(), ws.cls.data(), ws.lat);
}

template <typename OnSpace, typename OnWindow>
void Segmenter::search(const Runes& text, Workspace& ws, OnSpace&& on_space,
                       OnWindow&& on_window) const {
  size_t n = text.size(), i = 0;
  while (i < n) {
    size_t j = i + 1;
    if (is_space(text.cps[i])) {
      while (j < n && is_space(text.cps[j])) ++j;
      on_space(i, j);
      i = j;
      continue;
    }
    while (j < n && !is_space(text.cps[j])) ++j;
    // [i, j) has no whitespace: search it window by window.
    size_t s = i;
    while (s < j) {
      size_t r = run_end(text, s, j);
      if (r - s > kMaxSearchedRun) {
        on_space(s, r);
        s = r;
        continue;
      }
      size_t e = std::min(j, s + kWindow);
      // Never end a window inside a run of letters and digits: the run is one word (the window
      // grows to hold it), unless it is too long to search: the window then ends before it.
      bool before_long_run = false;
      if (e < j && glued(classify(text.cps[e - 1]), classify(text.cps[e]))) {
        size_t g = e - 1;
        while (g > s && glued(classify(text.cps[g - 1]), classify(text.cps[g]))) --g;
        e = run_end(text, g, j);
        if (e - g > kMaxSearchedRun) e = g, before_long_run = true;  // g > s: see above
      }
      build_lattice(text, s, e, ws);
      forward_best(ws.lat, ws.paths);
      std::vector<int32_t>& path = ws.path;
      best_path(ws.lat, ws.paths, path);
      resolve_crossings(ws.lat, ws.paths, path, model_->bigrams(), ws.crossings);
      size_t commit = e - s;
      if (e < j && !before_long_run) {
        // Keep words that end before the tail; the last of them starts the next window.
        size_t k = path.size();
        while (k > 1 && ws.lat.edges[path[k - 1]].end > commit - kWindowTail) --k;
        commit = ws.lat.edges[path[k - 1]].end;
        path.resize(k);
      }
      on_window(s, commit, ws, path);
      s += commit;
    }
    i = j;
  }
}

std::vector<Span> Segmenter::segment(const Runes& text) const {
  std::vector<Span> out;
  out.reserve(std::min<size_t>(text.size(), 1024));  // words <= runes: no regrowth for a line
  segment(text, out);
  return out;
}

void Segmenter::segment(const Runes& text, std::vector<Span>& out) const {
  std::shared_lock lock(mu_);
  out.clear();
  // Buffers only, reused by this thread's next call (short lines would otherwise pay for a
  // dozen allocations each); windows bound their size, but for glued runs.
  Workspace& ws = per_thread<Workspace>();
  struct Trim {  // see common/scratch.h
    Workspace& ws;
    ~Trim() {
      if (ws.norm.capacity() > kKeepScratchElements) ws = Workspace();
    }
  } trim{ws};
  search(
      text, ws, [&](size_t b, size_t e) { out.push_back({uint32_t(b), uint32_t(e)}); },
      [&](size_t s, size_t, Workspace& w, const std::vector<int32_t>& path) {
        for (int32_t id : path) {
          const Edge& ed = w.lat.edges[id];
          out.push_back({uint32_t(s + ed.start), uint32_t(s + ed.end)});
        }
      });
}

std::vector<Ambiguity> Segmenter::ambiguities(const Runes& text, double margin,
                                              size_t max_alternatives) const {
  std::shared_lock lock(mu_);
  std::vector<Ambiguity> out;
  Workspace ws;
  search(
      text, ws, [](size_t, size_t) {},
      [&](size_t s, size_t commit, Workspace& w, const std::vector<int32_t>& path) {
        for (Ambiguity& a : find_ambiguities(w.lat, w.paths, path, commit, margin,
                                             max_alternatives)) {
          a.begin += s;
          a.end += s;
          for (Segmentation& alt : a.alternatives)
            for (Span& sp : alt.words) sp.begin += s, sp.end += s;
          out.push_back(std::move(a));
        }
      });
  return out;
}

std::vector<Segmentation> Segmenter::nbest(const Runes& text, size_t k) const {
  std::shared_lock lock(mu_);
  if (text.size() == 0) return {Segmentation{{}, 0.0}};
  Workspace ws;
  build_lattice(text, 0, text.size(), ws);
  std::vector<Segmentation> out;
  for (const ScoredPath& p : k_best_paths(ws.lat, k)) {
    Segmentation seg{{}, p.score};
    for (int32_t id : p.edges) seg.words.push_back({ws.lat.edges[id].start, ws.lat.edges[id].end});
    out.push_back(std::move(seg));
  }
  return out;
}

void Segmenter::add_word(const std::u32string& raw, float freq) {
  if (raw.empty()) throw_input("cannot add an empty word");
  std::u32string word = normalized(raw);
  std::unique_lock lock(mu_);
  add_locked(word, freq);
}

void Segmenter::add_locked(const std::u32string& word, float freq) {
  user_.add(word, freq);
  int32_t id = model_->dict().find(word);
  if (id >= 0) user_.restore_base_word(id);  // re-adding a deleted dictionary word revives it
}

bool Segmenter::del_word(const std::u32string& raw) {
  std::u32string word = normalized(raw);
  std::unique_lock lock(mu_);
  bool removed = user_.remove(word);
  int32_t id = model_->dict().find(word);
  if (id >= 0) user_.delete_base_word(id);
  return removed || id >= 0;
}

void Segmenter::load_user_dict(const std::string& path) {
  io::LineReader reader(path, "user dictionary");
  std::vector<std::pair<std::u32string, float>> entries;
  std::string line;
  Runes runes;
  bool too_long = false;
  while (reader.next(line, too_long)) {
    int64_t lineno = reader.line_number();
    if (too_long) throw Error(ErrorKind::Format, reader.too_long_reason(), path, lineno);
    int64_t bad = find_invalid_utf8(line);
    if (bad >= 0) throw Error(ErrorKind::Format, "invalid UTF-8 in user dictionary", path, lineno, bad);
    decode_utf8(line, runes);
    std::vector<std::u32string> fields(1);
    for (char32_t c : runes.cps) {
      if (is_space(c)) {
        if (!fields.back().empty()) fields.emplace_back();
      } else {
        fields.back().push_back(c);
      }
    }
    if (fields.back().empty()) fields.pop_back();
    if (fields.empty() || fields[0][0] == U'#') continue;
    if (fields.size() > 3)  // word, frequency, and an optional tag as in jieba's format
      throw Error(ErrorKind::Format, "expected 'word [freq [tag]]', got " +
                  std::to_string(fields.size()) + " fields", path, lineno);
    float freq = -1.f;
    if (fields.size() >= 2) {
      std::string f;
      for (char32_t c : fields[1]) append_utf8(f, c);
      char* endp = nullptr;
      double v = std::strtod(f.c_str(), &endp);
      if (f.empty() || *endp != '\0' || !(v >= 0) || v > 3.0e38)
        throw Error(ErrorKind::Format, "frequency '" + f + "' is not a non-negative number", path,
                    lineno);
      freq = static_cast<float>(v);
    }
    entries.emplace_back(normalized(fields[0]), freq);
  }
  std::unique_lock lock(mu_);
  for (auto& [word, freq] : entries) add_locked(word, freq);
}

}  // namespace zhtok::segment
