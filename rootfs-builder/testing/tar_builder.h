// Builds tar archives in memory with libarchive for tests: layers with whiteouts, hard
// links, device nodes, xattrs, and hostile entries (`..`, absolute paths, links out of
// the root) that a real tar tool would refuse to write. Shared by the unit tests, the
// integration tests and the benchmark's image generator.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace hull::rootfs::testing {

enum class Compression { kNone, kGzip, kZstd };

struct TarEntry {
  enum Type { kFile, kDir, kSymlink, kHardlink, kCharDev, kBlockDev, kFifo };
  Type type = kFile;
  std::string path;
  std::string data;    // file contents
  std::string target;  // symlink target or hard-link target path
  int mode = -1;       // permission bits; -1: 0644 for files, 0755 for dirs
  int uid = 0, gid = 0;
  unsigned major = 0, minor = 0;
  long mtime = 1700000000;
  std::map<std::string, std::string> xattrs;
};

TarEntry File(std::string path, std::string data, int mode = 0644);
TarEntry Dir(std::string path, int mode = 0755);
TarEntry Symlink(std::string path, std::string target);
TarEntry Hardlink(std::string path, std::string target);

std::string BuildTar(const std::vector<TarEntry>& entries,
                     Compression compression = Compression::kNone);

}  // namespace hull::rootfs::testing
