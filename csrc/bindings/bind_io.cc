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
#include "common/scratch.h"
#include "io/corpus_line.h"
#include "io/json_line.h"

namespace zhtok::bindings {

using bpe::Tokenizer;

namespace {

// Bytes of a chunk, a thread's turn: enough lines to be worth its bookkeeping, few enough (16
// per 1 MiB batch) that threads sharing a batch finish together (zhtok encode gives each
// thread batches of its own). A chunk ends at the first line end after.
// (encode_lines takes another size for tests, which cut tiny inputs into chunks.)
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

// The ids' dtype of encode_lines, by numpy name, with the largest id it holds.
enum class IdType { Uint16, Int32, Uint32 };
struct IdTypeInfo {
  const char* name;
  IdType type;
  uint64_t max_id;
};
constexpr IdTypeInfo kIdTypes[] = {{"uint16", IdType::Uint16, 0xFFFF},
                                   {"int32", IdType::Int32, 0x7FFFFFFF},
                                   {"uint32", IdType::Uint32, 0xFFFFFFFF}};

const IdTypeInfo& id_type(const std::string& name) {
  for (const IdTypeInfo& t : kIdTypes)
    if (name == t.name) return t;
  throw py::value_error("dtype must be 'uint16', 'int32' or 'uint32', not '" + name + "'");
}

// A chunk of a batch: whole lines as read, or one line dropped as too long.
struct Chunk {
  std::string_view text;
  bool dropped;
};

// What one chunk of lines gave: per document slot, where its documents' ids and lengths are
// in the runs of the worker that read it; the bad records, as (line index in the chunk,
// reason); and its count of lines.
struct ChunkResult {
  size_t worker = 0;
  std::vector<IdRunsPart> docs;  // by slot
  std::vector<std::pair<size_t, std::string>> bad;
  size_t lines = 0;
};

// The documents of one encode_lines call, by worker and slot, kept by the calling thread from
// call to call (zhtok encode's threads call it batch after batch): a batch's ids go where the
// last batch's went. Vectors grown per chunk and freed per batch left the peak to how their
// doublings and frees fell together, and it rose with the input's length (heaptrack, ids at the
// peak: 1.19 MB for 100 MB of jsonl, 1.65 MB for 1 GB of the same lines).
struct WorkerRuns {
  std::vector<std::vector<IdRuns>> by_worker;
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
         size_t threads, bool allow_special, const std::string& dtype, size_t chunk_bytes) {
        if (chunk_bytes == 0) throw py::value_error("chunk_bytes must be positive");
        io::CorpusLineRules rules;
        rules.jsonl = keys.has_value();
        if (keys) convert_keys(*keys, rules);
        rules.max_line_bytes = max_line_bytes;
        rules.too_long_reason = too_long_reason;
        rules.trailing_comma_error = python_trailing_comma_error();
        std::shared_ptr<Tokenizer> tok;
        if (!tokenizer.is_none()) tok = tokenizer.cast<std::shared_ptr<Tokenizer>>();
        // Ids in the writer's dtype, so that it neither converts nor range-checks a batch.
        const IdTypeInfo& out_type = id_type(dtype);
        if (tok && (tok->vocab_size() - 1 > out_type.max_id || (eod && *eod > out_type.max_id)))
          throw py::value_error("the tokenizer's ids do not fit " + dtype);

        // The items cut into chunks at line ends; the tuple keeps the items alive without the
        // GIL. Lines are split by the threads that read them: no pass over the batch, and no
        // batch-sized array of lines, on the calling thread.
        py::tuple held(lines);
        std::vector<Chunk> chunks;
        for (py::handle h : held) {
          std::string_view rest;
          if (h.is_none()) {
            chunks.push_back({{}, true});
            continue;
          }
          if (PyBytes_Check(h.ptr())) {
            rest = {PyBytes_AS_STRING(h.ptr()), size_t(PyBytes_GET_SIZE(h.ptr()))};
          } else if (PyMemoryView_Check(h.ptr())) {
            const Py_buffer* b = PyMemoryView_GET_BUFFER(h.ptr());
            // Read-only: read without the GIL, the bytes must not change under the threads.
            if (b->itemsize != 1 || !b->readonly || !PyBuffer_IsContiguous(b, 'C'))
              throw py::type_error("lines: a memoryview must be of read-only contiguous bytes");
            rest = {static_cast<const char*>(b->buf), size_t(b->len)};
          } else {
            throw py::type_error(std::string("lines must be bytes, memoryview or None, not ") +
                                 Py_TYPE(h.ptr())->tp_name);
          }
          while (rest.size() > chunk_bytes) {
            size_t lf = rest.find('\n', chunk_bytes - 1);
            if (lf == std::string_view::npos || lf + 1 == rest.size()) break;
            chunks.push_back({rest.substr(0, lf + 1), false});
            rest.remove_prefix(lf + 1);
          }
          if (!rest.empty()) chunks.push_back({rest, false});
        }
        const size_t n_chunks = chunks.size();
        const size_t slots = rules.jsonl ? rules.keys.size() : 1;
        std::vector<ChunkResult> results(n_chunks);
        const size_t n_threads = thread_count(threads, n_chunks);
        WorkerRuns& kept = per_thread<WorkerRuns>();
        kept.by_worker.resize(n_threads);
        for (auto& runs : kept.by_worker) {
          runs.resize(slots);
          for (IdRuns& r : runs) r.ids.clear(), r.lengths.clear();
        }
        {
          py::gil_scoped_release release;
          std::atomic<size_t> next{0};
          parallel_for(n_threads, n_threads, [&](size_t worker) {
            io::CorpusLineReader reader(rules);
            std::optional<Tokenizer::ScratchLease> lease;
            if (tok) lease.emplace(*tok);
            std::vector<IdRuns>& runs = kept.by_worker[worker];
            for (size_t c; (c = next.fetch_add(1)) < n_chunks;) {
              ChunkResult& out = results[c];
              out.worker = worker;
              out.docs.resize(slots);
              for (size_t k = 0; k < slots; ++k) out.docs[k] = runs[k].start_part();
              // Counted here and stored once: results of neighbouring chunks share cache lines,
              // and a store per line from each thread would bounce them between the cores.
              size_t lines = 0;
              auto read = [&](std::string_view line, bool too_long) {
                reader.read(line, too_long);
                for (const auto& reason : reader.bad()) out.bad.emplace_back(lines, reason);
                ++lines;
                for (size_t k = 0; k < slots; ++k) {
                  const auto& text = reader.doc(k);
                  if (!text) continue;
                  IdRuns& doc = runs[k];
                  size_t before = doc.ids.size();
                  if (tok) {
                    tok->encode(*text, allow_special, lease->get(), doc.ids);
                    if (eod) doc.ids.push_back(*eod);
                  }
                  doc.add(before);
                }
              };
              if (chunks[c].dropped) read({}, true);
              // Each line ends in LF, a CR before it dropped; the last may have no LF (a
              // file's last line) and keeps its CR.
              for (std::string_view rest = chunks[c].text; !rest.empty();) {
                size_t lf = rest.find('\n');
                std::string_view line = rest.substr(0, lf);
                if (lf != std::string_view::npos && !line.empty() && line.back() == '\r')
                  line.remove_suffix(1);
                read(line, false);
                if (lf == std::string_view::npos) break;
                rest.remove_prefix(lf + 1);
              }
              for (size_t k = 0; k < slots; ++k) runs[k].end_part(out.docs[k]);
              out.lines = lines;
            }
          });
        }

        py::list docs;
        for (size_t k = 0; k < slots; ++k) {
          auto slot = [&](size_t c) {
            const ChunkResult& r = results[c];
            return std::pair(&kept.by_worker[r.worker][k], r.docs[k]);
          };
          if (tok) {
            docs.append(out_type.type == IdType::Uint16 ? runs_to_numpy<uint16_t>(n_chunks, slot)
                        : out_type.type == IdType::Int32 ? runs_to_numpy<int32_t>(n_chunks, slot)
                                                         : runs_to_numpy<uint32_t>(n_chunks, slot));
          } else {
            size_t count = 0;
            for (const ChunkResult& r : results) count += r.docs[k].lengths_end - r.docs[k].lengths_begin;
            docs.append(count);
          }
        }
        for (auto& runs : kept.by_worker)
          for (IdRuns& r : runs) release_if_large(r.ids, r.lengths);
        py::list bad;
        size_t first = 0;  // the batch's index of a chunk's first line
        for (const auto& r : results) {
          for (const auto& [i, reason] : r.bad) bad.append(py::make_tuple(first + i, reason));
          first += r.lines;
        }
        return py::make_tuple(docs, bad, first);
      },
      py::arg("lines"), py::arg("keys"), py::arg("tokenizer"), py::kw_only(),
      py::arg("max_line_bytes"), py::arg("too_long_reason"), py::arg("eod") = py::none(),
      py::arg("threads") = 0, py::arg("allow_special") = false, py::arg("dtype") = "uint32",
      py::arg("chunk_bytes") = kChunkBytes,
      "Reads a batch of corpus lines as zhtok.corpus.CorpusReader does and encodes their\n"
      "documents, on threads without the GIL. lines: bytes (or a memoryview of bytes) holding\n"
      "lines as read, each ending\n"
      "in LF (a CR before it is dropped) except perhaps the last (a file's last line), or None\n"
      "for a line dropped as too long; keys: the JSON keys of a .jsonl file, or None for a .txt\n"
      "file (a line is a document). Returns (docs, bad, lines): docs has a slot per key (one for\n"
      ".txt), each (ids of dtype, lengths int64) of its documents in order, eod appended to each;\n"
      "without a tokenizer only the documents' count. bad: (line index in the batch, reason) in\n"
      "order; lines: how many lines the batch held.");
}

}  // namespace zhtok::bindings
