#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <pybind11/functional.h>

#include "train/seg_trainer.h"
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

  m.def(
      "train_perceptron",
      [](const std::vector<std::string>& paths, const std::string& output, int epochs,
         const std::vector<std::string>& dev, const std::string& on_error,
         std::optional<py::function> on_epoch, int folds, uint32_t min_feature_count,
         float bigram_weight, float new_word_bias) {
        train::SegTrainOptions opt;
        opt.bigram_weight = bigram_weight;
        opt.new_word_bias = new_word_bias;
        opt.epochs = epochs;
        opt.folds = folds;
        opt.min_feature_count = min_feature_count;
        opt.dev_paths = dev;
        opt.on_bad = parse_on_error(on_error);
        if (on_epoch)
          opt.on_epoch = [f = *on_epoch](const train::EpochReport& r) {
            py::gil_scoped_acquire gil;
            py::dict d;
            d["epoch"] = r.epoch;
            d["seconds"] = r.seconds;
            d["train_sentence_accuracy"] = r.train_sentence_accuracy;
            if (r.dev_f1 >= 0) {
              d["dev_precision"] = r.dev_precision;
              d["dev_recall"] = r.dev_recall;
              d["dev_f1"] = r.dev_f1;
            }
            f(d);
          };
        train::SegTrainReport rep;
        {
          py::gil_scoped_release release;
          rep = train::train_perceptron(paths, output, opt);
        }
        py::dict d = stats_dict(rep.stats);
        d["dictionary_words"] = rep.dictionary_words;
        d["features"] = rep.features;
        py::list dev_bad;
        for (const auto& b : rep.dev_stats.bad_lines) dev_bad.append(py::make_tuple(b.path, b.line, b.reason));
        d["dev_bad_lines"] = dev_bad;
        return d;
      },
      py::arg("paths"), py::arg("output"), py::arg("epochs") = 8,
      py::arg("dev") = std::vector<std::string>{}, py::arg("on_error") = "skip",
      py::arg("on_epoch") = py::none(), py::arg("folds") = 20, py::arg("min_feature_count") = 2,
      py::arg("bigram_weight") = 10.f, py::arg("new_word_bias") = train::SegTrainOptions{}.new_word_bias);
}

}  // namespace zhtok::bindings
