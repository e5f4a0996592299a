// A tokenizer: pre-tokenizer + byte-level BPE + special tokens, immutable once built and safe to
// share between threads. Ids: 0..255 bytes, then merges, then special tokens.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bpe/bpe_model.h"
#include "bpe/piece_cache.h"
#include "bpe/pretokenizer.h"

namespace zhtok::bpe {

class Tokenizer {
 public:
  Tokenizer(PretokenizerKind kind, std::shared_ptr<const segment::SegModel> seg_model,
            std::vector<Merge> merges, std::vector<std::string> special_tokens);

  // This tokenizer with its segmentation model scored by word frequency alone
  // (SegModel::by_frequency): the same vocabulary and merges, several times faster
  // segmentation, words that differ from the trained segmenter's where the two disagree.
  // Throws Input for a tokenizer that does not segment.
  std::shared_ptr<const Tokenizer> with_fast_segmentation() const;
  // Whether this tokenizer came from with_fast_segmentation (it is not saved: a file holds the
  // trained segmenter, and loading gives it back).
  bool fast_segmentation() const { return fast_segmentation_; }

  // A file written by save(): magic, version, checksum; Format errors name the path.
  static std::shared_ptr<const Tokenizer> load(const std::string& path);
  void save(const std::string& path) const;

  // Per-thread state: pre-tokenizer scratch and a cache from pre-token to ids, so a repeated
  // word costs one hash lookup.
  // The cache holds whole regex pieces: in the segment pre-tokenizer a repeated clause then
  // skips segmentation too.
  struct Scratch {
    Pretokenizer::Scratch pre;
    std::vector<Pretokenizer::Piece> pieces;
    std::vector<ByteRange> words;  // of a cut piece
    PieceCache cache;       // regex piece -> ids
    PieceCache word_cache;  // word of a cut piece -> ids (apart: a piece's ids depend on its cut)
  };
  // Appends the ids of text to out. With allow_special, special-token strings in the text
  // become their ids; otherwise they are encoded as ordinary text.
  void encode(std::string_view text, bool allow_special, Scratch& s, std::vector<uint32_t>& out,
              std::vector<ByteRange>* offsets = nullptr) const;
  // The bytes of ids; throws Input for an id out of range.
  std::string decode(const std::vector<uint32_t>& ids) const;

  size_t vocab_size() const { return model_.num_tokens() + specials_.size(); }
  const std::string& token_bytes(uint32_t id) const;
  const std::vector<std::string>& special_tokens() const { return specials_; }
  uint32_t special_id(size_t i) const { return uint32_t(model_.num_tokens() + i); }
  const BpeModel& model() const { return model_; }
  const Pretokenizer& pretokenizer() const { return pre_; }
  // Unique per Tokenizer object in this process (never reused, unlike an address), so that
  // per-thread caches can tell tokenizers apart.
  uint64_t instance() const { return instance_; }

  // Scratches (with their caches) kept between batch calls, whose threads are new each time:
  // a batch thread takes one and gives it back, so the caches stay warm. At most one per core
  // is kept.
  std::unique_ptr<Scratch> take_scratch() const;
  void give_scratch(std::unique_ptr<Scratch> s) const;

  // A scratch taken for a scope (a batch thread's life) and given back at its end.
  class ScratchLease {
   public:
    explicit ScratchLease(const Tokenizer& tok) : tok_(tok), s_(tok.take_scratch()) {}
    ~ScratchLease() { tok_.give_scratch(std::move(s_)); }
    ScratchLease(const ScratchLease&) = delete;
    ScratchLease& operator=(const ScratchLease&) = delete;
    Scratch& get() { return *s_; }

   private:
    const Tokenizer& tok_;
    std::unique_ptr<Scratch> s_;
  };

 private:
  void encode_plain(std::string_view text, size_t base, Scratch& s, std::vector<uint32_t>& out,
                    std::vector<ByteRange>* offsets) const;

  Pretokenizer pre_;
  BpeModel model_;
  std::vector<std::string> specials_;
  uint64_t instance_;
  bool fast_segmentation_ = false;
  mutable std::mutex pool_mu_;
  mutable std::vector<std::unique_ptr<Scratch>> pool_;
};

}  // namespace zhtok::bpe
