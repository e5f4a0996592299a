// Trains the dictionary model (segment/unigram_scorer.h): word counts of a segmented corpus.
#pragma once

#include <string>
#include <vector>

#include "io/segmented_corpus.h"

namespace zhtok::train {

// Counts the words of paths and writes the model to output; returns what was read.
io::CorpusStats train_unigram(const std::vector<std::string>& paths, const std::string& output,
                              io::OnBadLine on_bad);

}  // namespace zhtok::train
