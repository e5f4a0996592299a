#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings/parallel.h"
#include "bindings/text.h"
#include "common/error.h"
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

py::list words_of(const TextArg& t, const Runes& r, const std::vector<Span>& spans) {
  py::list out(spans.size());
  for (size_t i = 0; i < spans.size(); ++i)
    out[i] = t.word(r, spans[i].begin, spans[i].end);
  return out;
}

// Decodes and segments text without the GIL.
std::vector<Span> segment_text(const Segmenter& seg, const TextArg& t, Runes& r) {
  py::gil_scoped_release release;
  t.decode(r);
  return seg.segment(r);
}

// Segments each text on its own thread slot. Spans are kept in characters for str input (the
// words are substrings of it) and in bytes for bytes input; runes are not kept.
std::vector<std::vector<std::pair<uint32_t, uint32_t>>> segment_many(
    const Segmenter& seg, const std::vector<TextArg>& texts, size_t threads) {
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> out(texts.size());
  parallel_for(texts.size(), thread_count(threads, texts.size()), [&](size_t i) {
    Runes r;
    try {
      texts[i].decode(r);
    } catch (const Error& e) {
      throw Error(e.kind(), "text " + std::to_string(i) + ": " + e.message(), e.path(), e.line(),
                  e.offset());
    }
    bool chars = texts[i].is_str();
    for (const Span& s : seg.segment(r))
      out[i].emplace_back(chars ? s.begin : r.offs[s.begin], chars ? s.end : r.offs[s.end]);
  });
  return out;
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
      .def_property_readonly("num_words", [](const SegModel& m) { return m.dict().num_words(); });

  py::class_<Segmenter>(m, "Segmenter")
      .def(py::init([](std::shared_ptr<SegModel> model) {
             return std::make_unique<Segmenter>(std::move(model));
           }),
           py::arg("model"))
      .def(
          "cut",
          [](const Segmenter& seg, py::handle text, const std::string& errors) {
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
            std::vector<std::vector<std::pair<uint32_t, uint32_t>>> spans;
            {
              py::gil_scoped_release release;
              spans = segment_many(seg, args, threads);
            }
            py::list out(args.size());
            for (size_t i = 0; i < args.size(); ++i) {
              py::list words(spans[i].size());
              for (size_t k = 0; k < spans[i].size(); ++k)
                words[k] = args[i].is_str()
                               ? args[i].word(Runes{}, spans[i][k].first, spans[i][k].second)
                               : args[i].slice(spans[i][k].first, spans[i][k].second);
              out[i] = std::move(words);
            }
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
