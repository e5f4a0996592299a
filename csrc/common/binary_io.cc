#include "common/binary_io.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace zhtok {

uint64_t fnv1a64(const void* data, size_t n) {
  // FNV-1a over 8-byte words (then the tail bytes): a byte at a time costs ~1 ns per byte,
  // noticeable when loading a model of tens of megabytes.
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = 1469598103934665603ULL;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 1099511628211ULL;
    h ^= h >> 29;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

std::vector<char> frame_model(const char magic[8], uint32_t version,
                              const std::vector<char>& payload) {
  ByteWriter header;
  for (int i = 0; i < 8; ++i) header.put<char>(magic[i]);
  header.put<uint32_t>(version);
  header.put<uint32_t>(0);  // reserved
  header.put<uint64_t>(payload.size());
  header.put<uint64_t>(fnv1a64(payload.data(), payload.size()));
  std::vector<char> out = header.bytes();
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

void write_file_atomic(const std::string& path, const std::vector<char>& bytes) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw_io(path, "cannot open for writing");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw_io(path, "write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw_io(path, "cannot rename " + tmp);
}

std::vector<char> read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw_io(path, "is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_io(path, "cannot open for reading");
  // Read in blocks into storage sized once: copying through an istreambuf_iterator cost ~15
  // instructions a byte (75M for the default model: most of its load time).
  std::vector<char> data;
  uintmax_t size = std::filesystem::file_size(path, ec);  // none for a pipe: read to the end
  if (!ec) data.reserve(size_t(size));
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) data.insert(data.end(), buf, buf + in.gcount());
  if (in.bad()) throw_io(path, "read failed");
  return data;
}

ModelFile unframe_model(const char* data, size_t n, const std::string& path, const char magic[8],
                        uint32_t max_version) {
  if (n < kModelHeaderSize)
    throw_format(path, "truncated: " + std::to_string(n) + " bytes is shorter than the model header");
  if (std::memcmp(data, magic, 8) != 0)
    throw_format(path, "not a zhtok " + std::string(magic, 8) + " file (wrong magic bytes)", 0);
  ByteReader r(data + 8, kModelHeaderSize - 8, path, 8);
  ModelFile mf;
  mf.version = r.get<uint32_t>();
  r.get<uint32_t>();
  uint64_t size = r.get<uint64_t>();
  uint64_t sum = r.get<uint64_t>();
  if (mf.version == 0 || mf.version > max_version)
    throw_format(path, "format version " + std::to_string(mf.version) +
                           " is not supported (this zhtok reads up to " +
                           std::to_string(max_version) + ")", 8);
  if (n - kModelHeaderSize != size)
    throw_format(path, "truncated or padded: header says " + std::to_string(size) +
                           " payload bytes, file has " + std::to_string(n - kModelHeaderSize));
  if (fnv1a64(data + kModelHeaderSize, size) != sum)
    throw_format(path, "checksum mismatch: the file is corrupted");
  mf.payload = data + kModelHeaderSize;
  mf.payload_size = size;
  return mf;
}

}  // namespace zhtok
