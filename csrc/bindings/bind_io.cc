// Bindings of csrc/io's corpus lines: parse_json_line (one line, what json.loads would say; for
// tests) and encode_lines, zhtok encode's reading of a batch of raw lines: parsed and encoded
// on threads without the GIL, so that the Python thread only reads blocks of bytes.
#include <atomic>
#include <memory>
#include <optional>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings/parallel.h"
#include "bindings/text.h"
#include "bpe/tokenizer.h"
#include "io/corpus_line.h"
#include "io/json_line.h"

namespace zhtok::bindings {

using bpe::Tokenizer;

namespace {

// A chunk of a batch: enough lines that a thread's turn is worth its bookkeeping, few enough
// (64 per 4 MiB batch) that two threads finish together.
constexpr size_t kChunkBytes = 64 << 10;

// Python 3.13 reports a comma before '}' or ']' as an error of its own; the parser says what
// the running Python says.
bool python_trailing_comma_error() {
  py::object version = py::module_::import("sys").attr("version_info");
  int ge = PyObject_RichCompareBool(version.ptr(), py::make_tuple(3, 13).ptr(), Py_GE);
  if (ge < 0) throw py::error_already_set();
  return ge == 1;
}

// The UTF-8 (WTF-8) of each str key, and how a reason shows it (its repr, as Python's f"{key!r}").
void convert_keys(const py::iterable& keys, io::CorpusLineRules& rules) {
  for (py::handle key : keys) {
    if (!PyUnicode_Check(key.ptr()))
      throw py::type_error(std::string("keys must be str, not ") + Py_TYPE(key.ptr())->tp_name);
    rules.keys.emplace_back(TextArg(key, "strict").view());
    rules.key_labels.emplace_back(TextArg(py::repr(key), "strict").view());
  }
}

py::str wtf8_str(std::string_view bytes) {
  PyObject* s = PyUnicode_DecodeUTF8(bytes.data(), Py_ssize_t(bytes.size()), "surrogatepass");
  if (!s) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(s);
}

// What one chunk of lines gave: per document slot, its documents' ids end to end and their
// lengths; and the bad records, as (line index in the batch, reason).
struct ChunkResult {
  std::vector<IdRuns> docs;  // by slot
  std::vector<std::pair<size_t, std::string>> bad;
};

}  // namespace

void bind_io(py::module_& m) {
  m.def(
      "parse_json_line",
      [](const py::bytes& line, const py::iterable& keys) -> py::tuple {
        io::CorpusLineRules rules;
        convert_keys(keys, rules);
        io::JsonLineParser parser(rules.keys, python_trailing_comma_error());
        std::string_view text(PyBytes_AS_STRING(line.ptr()), size_t(PyBytes_GET_SIZE(line.ptr())));
        switch (parser.parse(text)) {
          case io::JsonLineParser::Status::Ok: {
            py::list values;
            for (size_t k = 0; k < rules.keys.size(); ++k) {
              auto v = parser.value(k);
              values.append(v ? py::object(wtf8_str(*v)) : py::object(py::none()));
            }
            return py::make_tuple("ok", values);
          }
          case io::JsonLineParser::Status::NotObject:
            return py::make_tuple("not_object", py::none());
          case io::JsonLineParser::Status::InvalidJson:
            return py::make_tuple("invalid", py::make_tuple(parser.error_message(), parser.error_column()));
          case io::JsonLineParser::Status::InvalidUtf8:
            break;
        }
        return py::make_tuple("utf8", parser.error_offset());
      },
      py::arg("line"), py::arg("keys"),
      "What json.loads(line.decode()) makes of line, the string values of keys taken:\n"
      "('ok', [value or None per key]), ('not_object', None), ('invalid', (message, column))\n"
      "or ('utf8', offset of the first invalid byte).");

  m.def(
      "encode_lines",
      [](const py::list& lines, const std::optional<py::iterable>& keys, const py::object& tokenizer,
         size_t max_line_bytes, const std::string& too_long_reason, std::optional<uint32_t> eod,
         size_t threads, bool allow_special) {
        io::CorpusLineRules rules;
        rules.jsonl = keys.has_value();
        if (keys) convert_keys(*keys, rules);
        rules.max_line_bytes = max_line_bytes;
        rules.too_long_reason = too_long_reason;
        rules.trailing_comma_error = python_trailing_comma_error();
        std::shared_ptr<Tokenizer> tok;
        if (!tokenizer.is_none()) tok = tokenizer.cast<std::shared_ptr<Tokenizer>>();

        // The lines as views: the tuple keeps the bytes objects alive without the GIL.
        py::tuple held(lines);
        std::vector<std::string_view> views;
        std::vector<bool> too_long;
        for (py::handle h : held) {
          PyObject* item = h.ptr();
          if (item == Py_None) {
            views.emplace_back();
            too_long.push_back(true);
            continue;
          }
          if (!PyBytes_Check(item))
            throw py::type_error(std::string("lines must be bytes or None, not ") + Py_TYPE(item)->tp_name);
          // Lines as read: each ends in LF, after which a CR is dropped; the item's last line
          // may have no LF (a file's last line), and keeps its CR. Split here rather than in
          // Python: one pass over the bytes instead of a replace, a count and a split.
          std::string_view rest(PyBytes_AS_STRING(item), size_t(PyBytes_GET_SIZE(item)));
          while (!rest.empty()) {
            size_t lf = rest.find('\n');
            std::string_view line = rest.substr(0, lf);
            if (lf != std::string_view::npos && !line.empty() && line.back() == '\r')
              line.remove_suffix(1);
            views.push_back(line);
            too_long.push_back(false);
            if (lf == std::string_view::npos) break;
            rest.remove_prefix(lf + 1);
          }
        }
        const size_t n = views.size();
        std::vector<size_t> chunk_start{0};
        size_t chunk_bytes = 0;
        for (size_t i = 0; i < n; ++i) {
          chunk_bytes += views[i].size() + 1;
          if (chunk_bytes >= kChunkBytes && i + 1 < n) {
            chunk_start.push_back(i + 1);
            chunk_bytes = 0;
          }
        }
        chunk_start.push_back(n);
        const size_t n_chunks = chunk_start.size() - 1;
        const size_t slots = rules.jsonl ? rules.keys.size() : 1;
        std::vector<ChunkResult> results(n_chunks);
        {
          py::gil_scoped_release release;
          size_t n_threads = thread_count(threads, n_chunks);
          std::atomic<size_t> next{0};
          parallel_for(n_threads, n_threads, [&](size_t) {
            io::CorpusLineReader reader(rules);
            std::optional<Tokenizer::ScratchLease> lease;
            if (tok) lease.emplace(*tok);
            for (size_t c; (c = next.fetch_add(1)) < n_chunks;) {
              ChunkResult& out = results[c];
              out.docs.resize(slots);
              for (size_t i = chunk_start[c]; i < chunk_start[c + 1]; ++i) {
                reader.read(views[i], too_long[i]);
                for (const auto& reason : reader.bad()) out.bad.emplace_back(i, reason);
                for (size_t k = 0; k < slots; ++k) {
                  const auto& text = reader.doc(k);
                  if (!text) continue;
                  IdRuns& doc = out.docs[k];
                  size_t before = doc.ids.size();
                  if (tok) {
                    tok->encode(*text, allow_special, lease->get(), doc.ids);
                    if (eod) doc.ids.push_back(*eod);
                  }
                  doc.add(before);
                }
              }
            }
          });
        }

        py::list docs;
        for (size_t k = 0; k < slots; ++k) {
          auto slot = [&](size_t c) -> const IdRuns& { return results[c].docs[k]; };
          if (tok) {
            docs.append(runs_to_numpy(n_chunks, slot));
          } else {
            size_t count = 0;
            for (size_t c = 0; c < n_chunks; ++c) count += slot(c).lengths.size();
            docs.append(count);
          }
        }
        py::list bad;
        for (const auto& r : results)
          for (const auto& [i, reason] : r.bad) bad.append(py::make_tuple(i, reason));
        return py::make_tuple(docs, bad, n);
      },
      py::arg("lines"), py::arg("keys"), py::arg("tokenizer"), py::kw_only(),
      py::arg("max_line_bytes"), py::arg("too_long_reason"), py::arg("eod") = py::none(),
      py::arg("threads") = 0, py::arg("allow_special") = false,
      "Reads a batch of corpus lines as zhtok.corpus.CorpusReader does and encodes their\n"
      "documents, on threads without the GIL. lines: bytes holding lines as read, each ending\n"
      "in LF (a CR before it is dropped) except perhaps the last (a file's last line), or None\n"
      "for a line dropped as too long; keys: the JSON keys of a .jsonl file, or None for a .txt\n"
      "file (a line is a document). Returns (docs, bad, lines): docs has a slot per key (one for\n"
      ".txt), each (ids uint32, lengths int64) of its documents in order, eod appended to each;\n"
      "without a tokenizer only the documents' count. bad: (line index in the batch, reason) in\n"
      "order; lines: how many lines the batch held.");
}

}  // namespace zhtok::bindings
