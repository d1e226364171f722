// Shows a pull's progress: one redrawn bar per blob on a terminal, plain lines
// otherwise (logs, CI, pipes).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "rootfs-builder/progress.h"

namespace hull::cli {

class ProgressPrinter : public rootfs::PullProgress {
 public:
  explicit ProgressPrinter(std::FILE* out);
  void Note(std::string_view text) override;
  void BlobStart(const rootfs::Digest& d, std::string_view what, int64_t size) override;
  void BlobBytes(const rootfs::Digest& d, uint64_t done) override;
  void BlobDone(const rootfs::Digest& d, bool already_present) override;

 private:
  void Draw(uint64_t done, bool final);
  std::FILE* out_;
  bool tty_;
  std::string what_;
  std::string short_digest_;
  int64_t size_ = 0;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace hull::cli
