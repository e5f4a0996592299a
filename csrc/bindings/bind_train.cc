#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "train/unigram_trainer.h"

namespace py = pybind11;

namespace zhtok::bindings {

namespace {
io::OnBadLine parse_on_error(const std::string& s) {
  if (s == "skip") return io::OnBadLine::Skip;
  if (s == "fail") return io::OnBadLine::Fail;
  throw py::value_error("on_error must be 'skip' or 'fail', not '" + s + "'");
}

py::dict stats_dict(const io::CorpusStats& st) {
  py::dict d;
  d["sentences"] = st.sentences;
  d["words"] = st.words;
  py::list bad;
  for (const auto& b : st.bad_lines) bad.append(py::make_tuple(b.path, b.line, b.reason));
  d["bad_lines"] = bad;
  return d;
}
}  // namespace

void bind_train(py::module_& m) {
  m.def(
      "train_unigram",
      [](const std::vector<std::string>& paths, const std::string& output,
         const std::string& on_error) {
        io::OnBadLine mode = parse_on_error(on_error);
        io::CorpusStats st;
        {
          py::gil_scoped_release release;
          st = train::train_unigram(paths, output, mode);
        }
        return stats_dict(st);
      },
      py::arg("paths"), py::arg("output"), py::arg("on_error") = "skip");
}

}  // namespace zhtok::bindings
