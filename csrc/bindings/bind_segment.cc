#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "bindings/parallel.h"
#include "bindings/text.h"
#include "common/error.h"
#include "common/scratch.h"
#include "segment/segmenter.h"

namespace zhtok::bindings {

using segment::SegModel;
using segment::Segmenter;
using segment::Span;

namespace {

std::u32string to_u32(py::handle word) {
  TextArg t(word, "strict");
  Runes r;
  t.decode(r);
  return std::u32string(r.cps.begin(), r.cps.end());
}

// A list of n words, word k a new str from slice(spans[k]).
template <typename Slice>
py::list word_list(const Span* spans, size_t n, Slice&& slice) {
  py::list out(n);
  for (size_t k = 0; k < n; ++k)
    PyList_SET_ITEM(out.ptr(), Py_ssize_t(k), slice(spans[k]).release().ptr());
  return out;
}

py::list words_of(const TextArg& t, const Runes& r, const std::vector<Span>& spans) {
  return word_list(spans.data(), spans.size(), [&](Span w) { return t.word(r, w.begin, w.end); });
}

// This thread's buffers for a text being segmented: its runes and its words.
struct TextBuffers {
  Runes runes;
  std::vector<Span> spans;
};

// Decodes and segments text without the GIL.
std::vector<Span> segment_text(const Segmenter& seg, const TextArg& t, Runes& r) {
  py::gil_scoped_release release;
  t.decode(r);
  return seg.segment(r);
}

// The words of a batch's texts, as spans of TextArg::unit_slice (characters of a str, bytes of
// a bytes), kept by the thread that found them in blocks that never move, so that the thread
// building the results reads them while more are added. Nothing is allocated or freed per
// text: a batch of short lines made three allocations per line on a worker thread, freed by
// the thread building the results, and on a shared machine glibc's arena locks then cost more
// than the segmentation (as test: 2 threads slower than 1, futex waits a sixth of the time).
class SpanStore {
 public:
  struct Words {
    const Span* spans = nullptr;
    size_t count = 0;
  };
  Words add(const std::vector<Span>& spans) {
    if (spans.empty()) return {};  // an empty text: maybe no block yet
    if (size_ - used_ < spans.size()) {
      size_ = std::max<size_t>(spans.size(), kBlock);
      blocks_.emplace_back(new Span[size_]);
      used_ = 0;
    }
    Span* at = blocks_.back().get() + used_;
    std::copy(spans.begin(), spans.end(), at);
    used_ += spans.size();
    return {at, spans.size()};
  }

 private:
  static constexpr size_t kBlock = 4096;
  std::vector<std::unique_ptr<Span[]>> blocks_;
  size_t used_ = 0, size_ = 0;
};

// Segments text i of a batch into store.
SpanStore::Words segment_item(const Segmenter& seg, const TextArg& text, size_t i, SpanStore& store) {
  TextBuffers& b = per_thread<TextBuffers>();
  try {
    text.decode(b.runes);
  } catch (const Error& e) {
    throw Error(e.kind(), "text " + std::to_string(i) + ": " + e.message(), e.path(), e.line(),
                e.offset());
  }
  seg.segment(b.runes, b.spans);
  if (!text.is_str())
    for (Span& w : b.spans) w = Span{b.runes.offs[w.begin], b.runes.offs[w.end]};
  SpanStore::Words words = store.add(b.spans);
  release_if_large(b.runes.cps, b.runes.offs, b.spans);
  return words;
}

// The words of a str of at most kShortText characters, segmented holding the GIL (see text.h)
// from characters read straight from the str; nullopt for any other text. For a line of a few
// dozen characters, encoding it to UTF-8 and allocating buffers would cost as much again.
std::optional<py::list> cut_short_str(const Segmenter& seg, py::handle text) {
  PyObject* o = text.ptr();
  if (!PyUnicode_Check(o)) return std::nullopt;
#if PY_VERSION_HEX < 0x030C0000  // strs not yet in canonical form exist only before 3.12
  if (PyUnicode_READY(o) != 0) throw py::error_already_set();
#endif
  if (PyUnicode_GET_LENGTH(o) > Py_ssize_t(kShortText)) return std::nullopt;
  TextBuffers& b = per_thread<TextBuffers>();  // cps only: the segmenter reads nothing else
  Runes& r = b.runes;
  std::vector<Span>& spans = b.spans;
  const Py_ssize_t n = PyUnicode_GET_LENGTH(o);
  const int kind = PyUnicode_KIND(o);
  const void* data = PyUnicode_DATA(o);
  r.cps.resize(size_t(n));
  for (Py_ssize_t i = 0; i < n; ++i) r.cps[size_t(i)] = PyUnicode_READ(kind, data, i);
  seg.segment(r, spans);
  return word_list(spans.data(), spans.size(), [&](Span w) { return str_slice(text, w.begin, w.end); });
}

}  // namespace

void bind_segment(py::module_& m) {
  py::class_<SegModel, std::shared_ptr<SegModel>>(m, "SegModel",
                                                 "An immutable segmentation model file, loaded.")
      .def_static(
          "load",
          [](const std::string& path) {
            py::gil_scoped_release release;
            return std::const_pointer_cast<SegModel>(SegModel::load(path));
          },
          py::arg("path"))
      .def_property_readonly("info", &SegModel::info)
      .def_property_readonly("num_words", [](const SegModel& m) { return m.dict().num_words(); })
      .def("save", &SegModel::save, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def(
          "by_frequency", [](const SegModel& m) { return std::const_pointer_cast<SegModel>(m.by_frequency()); },
          "This model's dictionary scored by word frequency alone: faster, fewer correct words")
      .def(
          "contains", [](const SegModel& m, const std::u32string& word) { return m.dict().find(word) >= 0; },
          py::arg("word"), "Whether word is in the model's dictionary.")
      .def(
          "with_words",
          [](const SegModel& m, const std::vector<std::u32string>& words, const std::vector<uint64_t>& counts,
             const std::string& info) {
            py::gil_scoped_release release;
            return std::const_pointer_cast<SegModel>(m.with_words(words, counts, info));
          },
          py::arg("words"), py::arg("counts"), py::arg("info"),
          "A copy with words added to the dictionary (counts scaled to the training corpus); "
          "words already in it are left as they are.")
      .def(
          "with_new_word_bias",
          [](const SegModel& m, float delta) { return std::const_pointer_cast<SegModel>(m.with_new_word_bias(delta)); },
          py::arg("delta"),
          "A copy with delta added to the score of every out-of-dictionary word of 2+ characters: "
          "more (delta > 0) or fewer new words proposed, without retraining.");

  py::class_<Segmenter>(m, "Segmenter")
      .def(py::init([](std::shared_ptr<SegModel> model) {
             return std::make_unique<Segmenter>(std::move(model));
           }),
           py::arg("model"))
      .def(
          "cut",
          [](const Segmenter& seg, py::handle text, const std::string& errors) {
            if (errors == "strict" || errors == "replace")  // else TextArg says what is wrong
              if (std::optional<py::list> words = cut_short_str(seg, text)) return *words;
            TextArg t(text, errors);
            Runes r;
            return words_of(t, r, segment_text(seg, t, r));
          },
          py::arg("text"), py::arg("errors") = "strict")
      .def(
          "cut_batch",
          [](const Segmenter& seg, py::iterable texts, size_t threads, const std::string& errors) {
            std::vector<TextArg> args;
            for (py::handle h : texts) args.emplace_back(h, errors);
            size_t n = args.size(), n_threads = thread_count(threads, n);
            std::vector<SpanStore> stores(n_threads);  // one per thread (see SpanStore)
            std::vector<SpanStore::Words> items(n);
            py::list out(n);
            auto emit = [&](size_t i) {
              GcPause pause;  // the GIL is held throughout an emit (see GcPause)
              const TextArg& t = args[i];
              py::list words = word_list(items[i].spans, items[i].count,
                                         [&](Span w) { return t.unit_slice(w.begin, w.end); });
              PyList_SET_ITEM(out.ptr(), Py_ssize_t(i), words.release().ptr());
            };
            auto work = [&](size_t i, size_t t) { items[i] = segment_item(seg, args[i], i, stores[t]); };
            if (n_threads > 1) {
              parallel_ordered(n, n_threads, work, emit);
              return out;
            }
            {
              py::gil_scoped_release release;
              for (size_t i = 0; i < n; ++i) work(i, 0);
            }
            for (size_t i = 0; i < n; ++i) emit(i);
            return out;
          },
          py::arg("texts"), py::arg("threads") = 0, py::arg("errors") = "strict")
      .def(
          "tokenize",
          [](const Segmenter& seg, py::handle text, const std::string& errors) {
            TextArg t(text, errors);
            Runes r;
            std::vector<Span> spans = segment_text(seg, t, r);
            py::list out(spans.size());
            for (size_t i = 0; i < spans.size(); ++i)
              out[i] = py::make_tuple(t.word(r, spans[i].begin, spans[i].end),
                                      spans[i].begin, spans[i].end);
            return out;
          },
          py::arg("text"), py::arg("errors") = "strict")
      .def(
          "nbest",
          [](const Segmenter& seg, py::handle text, size_t k, const std::string& errors) {
            TextArg t(text, errors);
            Runes r;
            std::vector<segment::Segmentation> best;
            {
              py::gil_scoped_release release;
              t.decode(r);
              best = seg.nbest(r, k);
            }
            py::list out;
            for (const auto& s : best) out.append(py::make_tuple(words_of(t, r, s.words), s.score));
            return out;
          },
          py::arg("text"), py::arg("k") = 5, py::arg("errors") = "strict")
      .def(
          "_ambiguities",
          [](const Segmenter& seg, py::handle text, double margin, size_t max_alternatives) {
            TextArg t(text, "strict");
            Runes r;
            std::vector<segment::Ambiguity> found;
            {
              py::gil_scoped_release release;
              t.decode(r);
              found = seg.ambiguities(r, margin, max_alternatives);
            }
            py::list out;
            for (const auto& a : found) {
              py::list alts;
              for (const auto& s : a.alternatives)
                alts.append(py::make_tuple(words_of(t, r, s.words), s.score));
              out.append(py::make_tuple(a.begin, a.end, alts));
            }
            return out;
          },
          py::arg("text"), py::arg("margin"), py::arg("max_alternatives"))
      .def(
          "add_word",
          [](Segmenter& seg, py::handle word, std::optional<double> freq) {
            if (freq && !(*freq >= 0)) throw py::value_error("freq must be >= 0");
            seg.add_word(to_u32(word), freq ? static_cast<float>(*freq) : -1.f);
          },
          py::arg("word"), py::arg("freq") = py::none())
      .def(
          "del_word", [](Segmenter& seg, py::handle word) { return seg.del_word(to_u32(word)); },
          py::arg("word"))
      .def("load_user_dict", &Segmenter::load_user_dict, py::arg("path"),
           py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("model", [](const Segmenter& s) { return &s.model(); },
                             py::return_value_policy::reference_internal);
}

}  // namespace zhtok::bindings
