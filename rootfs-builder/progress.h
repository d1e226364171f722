// What a pull reports while it runs; the CLI draws a progress bar on a terminal or
// prints plain lines. Called from the pulling thread only.
#pragma once

#include <cstdint>
#include <string_view>

#include "rootfs-builder/digest.h"

namespace hull::rootfs {

class PullProgress {
 public:
  virtual ~PullProgress() = default;
  // A step worth one line: "resolved ... to ...", "unpacking".
  virtual void Note(std::string_view) {}
  virtual void BlobStart(const Digest&, std::string_view /*what*/, int64_t /*size*/) {}
  virtual void BlobBytes(const Digest&, uint64_t /*done*/) {}
  virtual void BlobDone(const Digest&, bool /*already_present*/) {}
};

}  // namespace hull::rootfs
