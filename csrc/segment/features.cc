#include "segment/features.h"

namespace zhtok::segment {

CharIndex::CharIndex(std::vector<uint32_t> codes) : codes_(std::move(codes)) {
  std::sort(codes_.begin(), codes_.end());
  codes_.erase(std::unique(codes_.begin(), codes_.end()), codes_.end());
  index();
}

void CharIndex::index() {
  bmp_.assign(0x10000, 0);
  for (size_t i = 0; i < codes_.size() && codes_[i] < 0x10000; ++i) bmp_[codes_[i]] = uint32_t(i + 1);
}

CharIndex CharIndex::load(ByteReader& r) {
  CharIndex ci;
  ci.codes_ = r.get_vec<uint32_t>();
  for (size_t i = 0; i < ci.codes_.size(); ++i)
    if (ci.codes_[i] > 0x1FFFFF || (i > 0 && ci.codes_[i] <= ci.codes_[i - 1]))
      r.fail("character index is not sorted and unique");
  ci.index();
  return ci;
}

namespace {

// The character classes, with Chinese numerals apart from other Han characters: they build
// numbers, dates and quantities (一九九八年, 三十一日, 两万), which segment differently.
constexpr uint32_t kPadClass = 7, kNumeralClass = 8;
uint32_t feature_class(char32_t c, CharClass k) {
  switch (c) {  // a switch, not a scan of the list: this runs for every rune
    case U'〇': case U'○': case U'零': case U'一': case U'二': case U'三': case U'四': case U'五':
    case U'六': case U'七': case U'八': case U'九': case U'十': case U'百': case U'千': case U'万':
    case U'亿': case U'两':
      return kNumeralClass;
    default:
      return static_cast<uint32_t>(k);
  }
}

uint64_t key2(uint64_t templ, uint64_t a, uint64_t b) { return (templ << 58) | (b << 21) | a; }

// Three codes do not fit beside a template id: hash them (collisions are rare and harmless).
uint64_t key3(uint64_t templ, uint64_t a, uint64_t b, uint64_t c) {
  uint64_t h = (a * 0x9E3779B97F4A7C15ULL) ^ (b + 0x632BE59BD9B4E019ULL + (a << 6));
  h = (h ^ (h >> 29)) * 0xBF58476D1CE4E5B9ULL ^ (c * 0x94D049BB133111EBULL);
  h ^= h >> 31;
  return (templ << 58) | (h & ((1ULL << 58) - 1));
}

// Fills b, ids and the dense rows.
void dense_features(const char32_t* cps, const CharClass* cls, const Lattice& lat,
                    const CharIndex& index, const FeatureLayout& L, RuneBuffers& b,
                    std::vector<uint32_t>& ids, std::vector<uint32_t>& rows) {
  const size_t n = lat.n;
  auto &starts = b.starts, &ends = b.ends, &inside = b.inside;
  auto &code = b.code, &id = b.id, &klass = b.klass;
  // Longest dictionary word (2+ runes) that starts at, ends at, or passes through each rune.
  starts.assign(n, 0), ends.assign(n, 0), inside.assign(n, 0);
  for (const Edge& e : lat.edges) {
    size_t len = e.end - e.start;
    if (len < 2 || e.source == EdgeSource::Free) continue;
    uint8_t l = static_cast<uint8_t>(std::min<size_t>(len, 6));
    starts[e.start] = std::max(starts[e.start], l);
    ends[e.end - 1] = std::max(ends[e.end - 1], l);
    for (size_t m = e.start + 1; m + 1 < e.end; ++m) inside[m] = std::max(inside[m], l);
  }
  // Codes and ids with two runes of padding on each side.
  code.assign(n + 4, kPad), id.assign(n + 4, index.id(kPad)), klass.assign(n + 2, kPadClass);
  for (size_t k = 0; k < n; ++k) {
    code[k + 2] = feature_code(cps[k], cls[k]);
    id[k + 2] = index.id(code[k + 2]);
    klass[k + 1] = feature_class(cps[k], cls[k]);
  }
  ids.assign(id.begin() + 2, id.end() - 2);
  rows.resize(n * kNumCharFeatures);
  for (size_t k = 0; k < n; ++k) {
    const uint32_t* d = id.data() + k + 2;  // d[-2..2]
    uint32_t* r = rows.data() + k * kNumCharFeatures;
    for (int o = 0; o < 5; ++o) r[o] = L.unigram(d[o - 2], o);
    r[5] = L.classes(klass[k] * 100 + klass[k + 1] * 10 + klass[k + 2]);
    r[6] = L.dict(0, starts[k]);
    r[7] = L.dict(1, ends[k]);
    r[8] = L.dict(2, inside[k]);
    r[9] = L.bias();
  }
}

}  // namespace

void char_features(const char32_t* cps, const CharClass* cls, const Lattice& lat,
                   const CharIndex& index, const FeatureLayout& L, RuneBuffers& b,
                   std::vector<uint32_t>& ids, std::vector<uint32_t>& rows,
                   std::vector<uint64_t>& keys) {
  const size_t n = lat.n;
  dense_features(cps, cls, lat, index, L, b, ids, rows);
  keys.resize(n * kNumHashedFeatures);
  for (size_t k = 0; k < n; ++k) {
    const uint32_t* c = b.code.data() + k + 2;  // c[-2..2]
    uint64_t* h = keys.data() + k * kNumHashedFeatures;
    h[0] = key2(1, c[-2], c[-1]);
    h[1] = key2(2, c[-1], c[0]);
    h[2] = key2(3, c[0], c[1]);
    h[3] = key2(4, c[1], c[2]);
    h[4] = key2(5, c[-1], c[1]);
    h[5] = key3(6, c[-1], c[0], c[1]);
    h[6] = key3(7, c[-2], c[-1], c[0]);
    h[7] = key3(8, c[0], c[1], c[2]);
    h[8] = key2(9, c[0], b.pattern(k));
  }
}

void char_features(const char32_t* cps, const CharClass* cls, const Lattice& lat,
                   const CharIndex& index, const FeatureLayout& L, RuneBuffers& b,
                   std::vector<uint32_t>& ids, std::vector<uint32_t>& rows, ScorerKeys& keys) {
  const size_t n = lat.n;
  dense_features(cps, cls, lat, index, L, b, ids, rows);
  const uint32_t* c = b.code.data();  // c[p] = code of rune p - 2
  keys.pairs.resize(n + 3), keys.triples.resize(n + 2), keys.singles.resize(2 * n);
  for (size_t p = 0; p < n + 3; ++p) keys.pairs[p] = pair_group_key(key2(0, c[p], c[p + 1]));
  for (size_t q = 0; q < n + 2; ++q)
    keys.triples[q] = triple_group_key(key3(0, c[q], c[q + 1], c[q + 2]));
  for (size_t k = 0; k < n; ++k) {
    keys.singles[2 * k] = key2(5, c[k + 1], c[k + 3]);
    keys.singles[2 * k + 1] = key2(9, c[k + 2], b.pattern(k));
  }
}

}  // namespace zhtok::segment
