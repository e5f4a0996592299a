#include <algorithm>
#include <optional>

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings/parallel.h"
#include "bindings/text.h"
#include "bpe/tokenizer.h"
#include "common/error.h"
#include "train/bpe_trainer.h"

namespace zhtok::bindings {

using bpe::Tokenizer;

namespace {

// This thread's scratch (and cache) for tok, so that encoding line by line from Python keeps
// the cache between calls. Keyed by Tokenizer::instance(); at most a few tokenizers per thread.
Tokenizer::Scratch& thread_scratch(const Tokenizer& tok) {
  thread_local std::unordered_map<uint64_t, std::unique_ptr<Tokenizer::Scratch>> scratch;
  auto it = scratch.find(tok.instance());
  if (it == scratch.end()) {
    if (scratch.size() >= 4) scratch.clear();
    it = scratch.emplace(tok.instance(), std::make_unique<Tokenizer::Scratch>()).first;
  }
  return *it->second;
}

std::vector<uint32_t> encode_one(const Tokenizer& tok, const TextArg& t, bool allow_special,
                                 std::vector<ByteRange>* offsets = nullptr) {
  std::vector<uint32_t> ids;
  tok.encode(t.view(), allow_special, thread_scratch(tok), ids, offsets);
  return ids;
}

// Encodes texts on threads, each with a scratch (and cache) from the tokenizer's pool; results
// in input order, a run of ids per chunk of texts. Threads take chunks of neighbouring texts as
// they go, so an uneven batch keeps both busy.
std::vector<IdRuns> encode_many(const Tokenizer& tok, const std::vector<TextArg>& texts, size_t threads,
                                bool allow_special) {
  constexpr size_t kChunk = 16;
  const size_t n = texts.size(), n_chunks = (n + kChunk - 1) / kChunk;
  std::vector<IdRuns> out(n_chunks);
  size_t n_threads = thread_count(threads, n_chunks);
  std::atomic<size_t> next{0};
  parallel_for(n_threads, n_threads, [&](size_t) {
    Tokenizer::ScratchLease lease(tok);
    for (size_t c; (c = next.fetch_add(1)) < n_chunks;) {
      IdRuns& r = out[c];
      for (size_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) {
        size_t before = r.ids.size();
        tok.encode(texts[i].view(), allow_special, lease.get(), r.ids);
        r.add(before);
      }
    }
  });
  return out;
}

// Converts texts with the GIL held, then encodes them without it.
std::vector<IdRuns> encode_iterable(const Tokenizer& tok, py::iterable texts, size_t threads,
                                    bool allow_special) {
  std::vector<TextArg> args;
  for (py::handle h : texts) args.emplace_back(h, "strict");
  py::gil_scoped_release release;
  return encode_many(tok, args, threads, allow_special);
}

py::str decode_str(const std::string& bytes) {
  // Lone surrogates came in as WTF-8 and go out the same way; a cut inside a character
  // (decoding a slice of ids) gives U+FFFD.
  PyObject* s = PyUnicode_DecodeUTF8(bytes.data(), Py_ssize_t(bytes.size()), "surrogatepass");
  if (!s) {
    PyErr_Clear();
    s = PyUnicode_DecodeUTF8(bytes.data(), Py_ssize_t(bytes.size()), "replace");
  }
  if (!s) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(s);
}

}  // namespace

void bind_bpe(py::module_& m) {
  py::class_<Tokenizer, std::shared_ptr<Tokenizer>>(m, "Tokenizer")
      .def_static(
          "load",
          [](const std::string& path) {
            py::gil_scoped_release release;
            return std::const_pointer_cast<Tokenizer>(Tokenizer::load(path));
          },
          py::arg("path"))
      .def_static(
          "from_merges",
          [](const std::vector<std::pair<uint32_t, uint32_t>>& merges, std::vector<std::string> special_tokens) {
            std::vector<bpe::Merge> m;
            for (auto [a, b] : merges) m.push_back({a, b});
            return std::make_shared<Tokenizer>(bpe::PretokenizerKind::Regex, nullptr, std::move(m),
                                               std::move(special_tokens));
          },
          py::arg("merges"), py::arg("special_tokens") = std::vector<std::string>{},
          "A tokenizer with the regex pre-tokenizer and these merges ((a, b) id pairs, in rank "
          "order): for tests, and for merges taken from elsewhere.")
      .def("save", &Tokenizer::save, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def("with_fast_segmentation",
           [](const Tokenizer& tok) { return std::const_pointer_cast<Tokenizer>(tok.with_fast_segmentation()); },
           py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("fast_segmentation", &Tokenizer::fast_segmentation,
                             "Whether this tokenizer came from with_fast_segmentation()")
      .def_property_readonly(
          "seg_model",
          [](const Tokenizer& tok) { return std::const_pointer_cast<segment::SegModel>(tok.pretokenizer().seg_model()); },
          "The segmentation model of the segment pre-tokenizer (None for regex)")
      .def(
          "encode",
          [](const Tokenizer& tok, py::handle text, bool allow_special, py::handle ints) {
            TextArg t(text, "strict");
            std::vector<uint32_t> ids;
            {
              std::optional<py::gil_scoped_release> release;  // for long texts only (text.h)
              if (t.view().size() > 3 * kShortText) release.emplace();
              ids = encode_one(tok, t, allow_special);
            }
            return id_list(ids.data(), ids.size(), ints);
          },
          py::arg("text"), py::arg("allow_special") = false, py::arg("ints") = py::none(),
          "ints: a list whose item k is the int k (the tokenizer's ids, made once), lent to the result")
      .def(
          "encode_batch",
          [](const Tokenizer& tok, py::iterable texts, size_t threads, bool allow_special, py::handle ints) {
            return id_lists(encode_iterable(tok, texts, threads, allow_special), ints);
          },
          py::arg("texts"), py::arg("threads") = 0, py::arg("allow_special") = false, py::arg("ints") = py::none())
      .def(
          "encode_batch_to_numpy",
          [](const Tokenizer& tok, py::iterable texts, size_t threads, bool allow_special) {
            auto runs = encode_iterable(tok, texts, threads, allow_special);
            return runs_to_numpy(runs.size(), [&](size_t c) { return std::pair(&runs[c], runs[c].all()); });
          },
          py::arg("texts"), py::arg("threads") = 0, py::arg("allow_special") = false)
      .def(
          "encode_with_offsets",
          [](const Tokenizer& tok, py::handle text, bool allow_special) {
            TextArg t(text, "strict");
            std::vector<uint32_t> ids;
            std::vector<ByteRange> offs;
            Runes runes;
            {
              py::gil_scoped_release release;
              ids = encode_one(tok, t, allow_special, &offs);
              t.decode(runes);
            }
            // Byte offsets to character offsets: a token that starts or ends inside a
            // character covers the whole character.
            std::vector<uint32_t> char_at(t.view().size() + 1, 0);
            for (size_t k = 0; k < runes.size(); ++k)
              for (uint32_t b = runes.offs[k]; b < runes.offs[k + 1]; ++b) char_at[b] = uint32_t(k);
            char_at[t.view().size()] = uint32_t(runes.size());
            py::list out;
            for (size_t i = 0; i < ids.size(); ++i) {
              uint32_t start = char_at[offs[i].first];
              uint32_t end = offs[i].second == t.view().size() ? uint32_t(runes.size())
                                                               : char_at[offs[i].second];
              if (end < runes.size() && runes.offs[end] < offs[i].second) ++end;
              out.append(py::make_tuple(ids[i], start, end));
            }
            return out;
          },
          py::arg("text"), py::arg("allow_special") = false)
      .def(
          "decode",
          [](const Tokenizer& tok, const std::vector<uint32_t>& ids) {
            std::string bytes;
            {
              py::gil_scoped_release release;
              bytes = tok.decode(ids);
            }
            return decode_str(bytes);
          },
          py::arg("ids"))
      .def(
          "decode_bytes",
          [](const Tokenizer& tok, const std::vector<uint32_t>& ids) {
            return py::bytes(tok.decode(ids));
          },
          py::arg("ids"))
      .def("id_to_token", [](const Tokenizer& tok, uint32_t id) { return py::bytes(tok.token_bytes(id)); },
           py::arg("id"))
      .def(
          "with_regex_pretokenizer",
          [](const Tokenizer& t) {
            return std::make_shared<Tokenizer>(bpe::PretokenizerKind::Regex, nullptr,
                                               t.model().merges(), t.special_tokens());
          },
          "The same merges and special tokens behind the regex pre-tokenizer alone: what an "
          "exported tokenizer.json or .tiktoken file computes.")
      .def_property_readonly("vocab_size", &Tokenizer::vocab_size)
      .def_property_readonly("special_tokens", &Tokenizer::special_tokens)
      .def_property_readonly("num_merges", [](const Tokenizer& t) { return t.model().merges().size(); })
      .def_property_readonly("merges",
                             [](const Tokenizer& t) {
                               py::list out;
                               for (auto [a, b] : t.model().merges()) out.append(py::make_tuple(a, b));
                               return out;
                             })
      .def_property_readonly("pretokenizer", [](const Tokenizer& t) {
        return bpe::is_segment(t.pretokenizer().kind()) ? "segment" : "regex";
      });

  m.attr("REGEX_PATTERN") = bpe::kRegexPattern;
  m.def(
      "regex_split",
      [](py::handle text) {
        TextArg t(text, "strict");
        Runes r;
        t.decode(r);
        std::vector<ByteRange> pieces;
        bpe::regex_split(r.cps.data(), r.size(), pieces);
        py::list out;
        for (auto [b, e] : pieces) out.append(t.slice(r.offs[b], r.offs[e]));
        return out;
      },
      py::arg("text"), "Pieces of text by the cl100k pattern (for tests and exports).");

  py::class_<train::PretokenCounter>(m, "PretokenCounter")
      .def(py::init([](const std::string& kind, std::shared_ptr<segment::SegModel> seg) {
             auto k = kind == "segment" ? bpe::PretokenizerKind::Segment : bpe::PretokenizerKind::Regex;
             if (kind != "segment" && kind != "regex")
               throw py::value_error("pretokenizer must be 'segment' or 'regex', not '" + kind + "'");
             return std::make_unique<train::PretokenCounter>(std::make_shared<bpe::Pretokenizer>(k, seg));
           }),
           py::arg("pretokenizer"), py::arg("seg_model") = nullptr)
      .def(
          "add",
          [](train::PretokenCounter& c, py::iterable items, size_t threads) {
            std::vector<std::string> texts;  // str with lone surrogates arrive as WTF-8
            for (py::handle h : items) texts.emplace_back(TextArg(h, "strict").view());
            py::gil_scoped_release release;
            c.add(texts, thread_count(threads, texts.size()));
          },
          py::arg("texts"), py::arg("threads") = 0)
      .def(
          "finish",
          [](train::PretokenCounter& c, size_t threads) {
            py::gil_scoped_release release;
            c.finish(thread_count(threads, c.pending()));
          },
          py::arg("threads") = 0,
          "Cuts the counted Chinese pieces into words; call before train().")
      .def(
          "serialize",
          [](const train::PretokenCounter& c) {
            std::vector<char> bytes;
            {
              py::gil_scoped_release release;
              bytes = c.serialize();
            }
            return py::bytes(bytes.data(), bytes.size());
          },
          "The counts so far (call before finish()) as bytes, for merge() in another counter.")
      .def(
          "merge",
          [](train::PretokenCounter& c, const py::bytes& data, const std::string& name) {
            char* p = nullptr;
            Py_ssize_t n = 0;
            if (PyBytes_AsStringAndSize(data.ptr(), &p, &n) != 0) throw py::error_already_set();
            py::gil_scoped_release release;  // data stays referenced by the caller
            c.merge(p, size_t(n), name);
          },
          py::arg("data"), py::arg("name") = "<pre-token counts>",
          "Adds the counts of another counter's serialize() (same pre-tokenizer) to this one.")
      .def_property_readonly("distinct", &train::PretokenCounter::distinct)
      .def_property_readonly("total", &train::PretokenCounter::total)
      .def(
          "train",
          [](const train::PretokenCounter& c, size_t vocab_size, std::vector<std::string> specials,
             uint64_t min_frequency, std::string pretokenizer,
             std::shared_ptr<segment::SegModel> seg, std::optional<py::function> progress) {
            if (vocab_size < 256 + specials.size())
              throw py::value_error("vocab_size must be at least 256 + the number of special tokens");
            train::BpeTrainOptions opt;
            opt.num_merges = vocab_size - 256 - specials.size();
            opt.min_frequency = min_frequency;
            if (progress)
              opt.progress = [f = *progress](size_t done) {
                py::gil_scoped_acquire gil;
                f(done);
              };
            py::gil_scoped_release release;
            auto merges = c.train(opt);
            auto kind = pretokenizer == "segment" ? bpe::PretokenizerKind::Segment : bpe::PretokenizerKind::Regex;
            return std::make_shared<Tokenizer>(kind, seg, std::move(merges), std::move(specials));
          },
          py::arg("vocab_size"), py::arg("special_tokens"), py::arg("min_frequency"),
          py::arg("pretokenizer"), py::arg("seg_model"), py::arg("progress") = py::none());
}

}  // namespace zhtok::bindings
