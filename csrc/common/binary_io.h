// Model files: a fixed header (magic, format version, payload size, checksum) and a payload of
// little-endian scalars and length-prefixed arrays. The reader bounds-checks every read, so a
// truncated or corrupted file is a Format error naming the file, never undefined behaviour.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/error.h"

namespace zhtok {

// FNV-1a, 64-bit: a corruption check, not a security measure; no dependency needed for that.
uint64_t fnv1a64(const void* data, size_t n);

class ByteWriter {
 public:
  // Reserved up front: also spares GCC 12 a false -Wstringop-overflow on the first insert.
  ByteWriter() { buf_.reserve(4096); }
  template <typename T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable<T>::value, "put takes plain values");
    const char* p = reinterpret_cast<const char*>(&v);
    buf_.insert(buf_.end(), p, p + sizeof(T));
  }
  template <typename T>
  void put_vec(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable<T>::value, "put_vec takes plain values");
    put<uint64_t>(v.size());
    const char* p = reinterpret_cast<const char*>(v.data());
    buf_.insert(buf_.end(), p, p + v.size() * sizeof(T));
  }
  void put_str(std::string_view s) {
    put<uint64_t>(s.size());
    buf_.insert(buf_.end(), s.data(), s.data() + s.size());
  }
  const std::vector<char>& bytes() const { return buf_; }

 private:
  std::vector<char> buf_;
};

class ByteReader {
 public:
  ByteReader(const char* data, size_t size, std::string path, size_t base_offset = 0)
      : p_(data), n_(size), path_(std::move(path)), base_(base_offset) {}

  template <typename T>
  T get() {
    need(sizeof(T), "a value");
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  template <typename T>
  std::vector<T> get_vec(uint64_t max_count = UINT64_MAX) {
    uint64_t count = get<uint64_t>();
    if (count > max_count || count > (n_ - pos_) / sizeof(T))
      fail("array of " + std::to_string(count) + " items does not fit in the file");
    std::vector<T> v(count);
    if (count) std::memcpy(v.data(), p_ + pos_, count * sizeof(T));
    pos_ += count * sizeof(T);
    return v;
  }
  std::string get_str() { return std::string(get_str_view()); }
  // The same without a copy: valid as long as the reader's bytes.
  std::string_view get_str_view() {
    uint64_t len = get<uint64_t>();
    if (len > n_ - pos_) fail("string of " + std::to_string(len) + " bytes does not fit in the file");
    std::string_view s(p_ + pos_, len);
    pos_ += len;
    return s;
  }
  bool at_end() const { return pos_ == n_; }
  [[noreturn]] void fail(const std::string& what) const {
    throw_format(path_, what, static_cast<int64_t>(base_ + pos_));
  }

 private:
  void need(size_t k, const char* what) const {
    if (n_ - pos_ < k) fail(std::string("truncated: expected ") + what);
  }
  const char* p_;
  size_t n_, pos_ = 0;
  std::string path_;
  size_t base_;
};

// A verified model file. The payload is not copied: it points into the bytes given to
// unframe_model (which must outlive it) or into `owned` (read_model_file's), so loading a
// model holds its file once, not two or three times over (10 MB files, loaded by each process).
struct ModelFile {
  uint32_t version = 0;  // format version of the payload
  const char* payload = nullptr;
  size_t payload_size = 0;
  std::vector<char> owned;  // the whole file, when read_model_file read it
};

// Header + payload, as a model file holds them.
std::vector<char> frame_model(const char magic[8], uint32_t version, const std::vector<char>& payload);
// Verifies framed bytes: magic, a version <= max_version, size and checksum. Throws Format
// errors naming name.
ModelFile unframe_model(const char* data, size_t size, const std::string& name,
                        const char magic[8], uint32_t max_version);

// Writes bytes to path atomically (temporary name, then rename); Io errors name the path.
void write_file_atomic(const std::string& path, const std::vector<char>& bytes);
// The whole file; Io errors name the path.
std::vector<char> read_file(const std::string& path);

inline void write_model_file(const std::string& path, const char magic[8], uint32_t version,
                             const std::vector<char>& payload) {
  write_file_atomic(path, frame_model(magic, version, payload));
}
inline ModelFile read_model_file(const std::string& path, const char magic[8],
                                 uint32_t max_version) {
  std::vector<char> data = read_file(path);
  ModelFile mf = unframe_model(data.data(), data.size(), path, magic, max_version);
  mf.owned = std::move(data);  // a moved vector keeps its buffer: payload stays valid
  return mf;
}

constexpr size_t kModelHeaderSize = 8 + 4 + 4 + 8 + 8;

}  // namespace zhtok
