// Temporary image files for the block tests and benchmarks: a private directory that
// is removed, with everything in it, when the TempDir goes away. Test code: failures
// abort.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace hull::devices::block::testing {

class TempDir {
 public:
  // Under `parent` (/tmp by default; /dev/shm for tmpfs).
  explicit TempDir(const std::string& parent = "/tmp") {
    std::string pattern = parent + "/hull-blk-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string Path(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Byte i of a pattern file is `seed + i * 7 + (i >> 9)` (mod 256): every sector differs.
inline uint8_t PatternByte(uint64_t i, uint8_t seed) {
  return static_cast<uint8_t>(seed + i * 7 + (i >> 9));
}

inline void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) std::abort();
}

inline std::vector<uint8_t> PatternBytes(uint64_t size, uint8_t seed) {
  std::vector<uint8_t> bytes(size);
  for (uint64_t i = 0; i < size; ++i) bytes[i] = PatternByte(i, seed);
  return bytes;
}

inline std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace hull::devices::block::testing
