#include "bpe/tokenizer.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "common/binary_io.h"
#include "common/error.h"

namespace zhtok::bpe {
namespace {
constexpr char kMagic[8] = {'Z', 'H', 'T', 'O', 'K', 'T', 'O', 'K'};
constexpr uint32_t kVersion = 1;
uint64_t next_instance() {
  static std::atomic<uint64_t> counter{0};
  return ++counter;
}
}  // namespace

Tokenizer::Tokenizer(PretokenizerKind kind, std::shared_ptr<const segment::SegModel> seg_model,
                     std::vector<Merge> merges, std::vector<std::string> special_tokens)
    : pre_(kind, std::move(seg_model)), model_(std::move(merges)),
      specials_(std::move(special_tokens)), instance_(next_instance()) {
  for (const auto& s : specials_)
    if (s.empty()) throw_input("special tokens must not be empty");
}

std::shared_ptr<const Tokenizer> Tokenizer::with_fast_segmentation() const {
  if (!is_segment(pre_.kind())) throw_input("only a tokenizer with the segment pre-tokenizer has a segmentation to speed up");
  // Already fast: its model is shared, not scored by frequency again.
  auto seg = fast_segmentation_ ? pre_.seg_model() : pre_.seg_model()->by_frequency();
  auto fast = std::make_shared<Tokenizer>(pre_.kind(), std::move(seg), model_.merges(), specials_);
  fast->fast_segmentation_ = true;
  return fast;
}

const std::string& Tokenizer::token_bytes(uint32_t id) const {
  if (id < model_.num_tokens()) return model_.token_bytes(id);
  if (id < vocab_size()) return specials_[id - model_.num_tokens()];
  throw_input("token id " + std::to_string(id) + " is out of range (vocabulary size " +
              std::to_string(vocab_size()) + ")");
}

void Tokenizer::encode_plain(std::string_view text, size_t base, Scratch& s,
                             std::vector<uint32_t>& out, std::vector<ByteRange>* offsets) const {
  s.pieces.clear();
  pre_.pieces(text, s.pre, s.pieces);
  for (const Pretokenizer::Piece& pc : s.pieces) {
    std::string_view piece = text.substr(pc.begin, pc.end - pc.begin);
    size_t before = out.size();
    s.cache.append(piece, out, [&](std::vector<uint32_t>& ids) {
      if (!pc.cut) return model_.encode_piece(piece, ids);
      s.words.clear();
      pre_.cut_piece(text, pc, s.pre, s.words);
      // Most clauses are new, but their words are not: BPE runs once per distinct word.
      for (auto [wb, we] : s.words) {
        std::string_view word = text.substr(wb, we - wb);
        s.word_cache.append(word, ids, [&](std::vector<uint32_t>& w) { model_.encode_piece(word, w); });
      }
    });
    if (offsets) {
      size_t at = base + pc.begin;
      for (size_t k = before; k < out.size(); ++k) {
        size_t len = model_.token_bytes(out[k]).size();
        offsets->emplace_back(uint32_t(at), uint32_t(at + len));
        at += len;
      }
    }
  }
}

void Tokenizer::encode(std::string_view text, bool allow_special, Scratch& s,
                       std::vector<uint32_t>& out, std::vector<ByteRange>* offsets) const {
  size_t start = 0;
  if (allow_special && !specials_.empty()) {
    // Leftmost special token, the longest where several start at the same place.
    for (size_t i = 0; i < text.size();) {
      size_t best = SIZE_MAX, best_len = 0;
      for (size_t k = 0; k < specials_.size(); ++k) {
        const std::string& sp = specials_[k];
        if (text.compare(i, sp.size(), sp) == 0 && sp.size() > best_len) best = k, best_len = sp.size();
      }
      if (best == SIZE_MAX) { ++i; continue; }
      encode_plain(text.substr(start, i - start), start, s, out, offsets);
      out.push_back(special_id(best));
      if (offsets) offsets->emplace_back(uint32_t(i), uint32_t(i + best_len));
      i += best_len;
      start = i;
    }
  }
  encode_plain(text.substr(start), start, s, out, offsets);
}

std::unique_ptr<Tokenizer::Scratch> Tokenizer::take_scratch() const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (pool_.empty()) return std::make_unique<Scratch>();
  std::unique_ptr<Scratch> s = std::move(pool_.back());
  pool_.pop_back();
  return s;
}

void Tokenizer::give_scratch(std::unique_ptr<Scratch> s) const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (pool_.size() < std::max(1u, std::thread::hardware_concurrency())) pool_.push_back(std::move(s));
}

std::string Tokenizer::decode(const std::vector<uint32_t>& ids) const {
  std::string out;
  for (uint32_t id : ids) out += token_bytes(id);
  return out;
}

void Tokenizer::save(const std::string& path) const {
  ByteWriter w;
  w.put<uint32_t>(static_cast<uint32_t>(pre_.kind()));
  w.put_vec(model_.merges());
  w.put<uint64_t>(specials_.size());
  for (const auto& s : specials_) w.put_str(s);
  // The segmentation model travels inside the tokenizer: encoding must cut words exactly as
  // training did.
  std::vector<char> seg;
  if (is_segment(pre_.kind())) seg = pre_.seg_model()->to_bytes();
  w.put_str(std::string(seg.begin(), seg.end()));
  write_model_file(path, kMagic, kVersion, w.bytes());
}

std::shared_ptr<const Tokenizer> Tokenizer::load(const std::string& path) {
  ModelFile mf = read_model_file(path, kMagic, kVersion);
  ByteReader r(mf.payload, mf.payload_size, path, kModelHeaderSize);
  auto kind = static_cast<PretokenizerKind>(r.get<uint32_t>());
  if (kind != PretokenizerKind::Regex && !is_segment(kind))
    r.fail("unknown pre-tokenizer " + std::to_string(static_cast<uint32_t>(kind)));
  auto merges = r.get_vec<Merge>();
  uint64_t n_special = r.get<uint64_t>();
  if (n_special > (1u << 20)) r.fail("implausible number of special tokens");
  std::vector<std::string> specials;
  for (uint64_t i = 0; i < n_special; ++i) specials.push_back(r.get_str());
  std::string_view seg_bytes = r.get_str_view();  // loaded from the file's bytes, not a copy
  if (!r.at_end()) r.fail("unexpected bytes after the tokenizer");
  std::shared_ptr<const segment::SegModel> seg;
  if (is_segment(kind)) {
    if (seg_bytes.empty()) r.fail("segment pre-tokenizer without a segmentation model");
    seg = segment::SegModel::load_bytes(seg_bytes, path + " (embedded segmentation model)");
  }
  try {
    return std::make_shared<Tokenizer>(kind, seg, std::move(merges), std::move(specials));
  } catch (const Error& e) {
    throw_format(path, e.message());
  }
}

}  // namespace zhtok::bpe
