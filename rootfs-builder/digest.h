// Content digests ("sha256:<64 hex>") and the streaming SHA-256 that verifies every
// blob hull stores or uses (OCI image spec, descriptor.md "Digests"). OpenSSL does
// the hashing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hull::rootfs {

// A validated "sha256:<64 lowercase hex>" digest; the only algorithm hull accepts.
class Digest {
 public:
  Digest() = default;
  static base::Result<Digest> Parse(std::string_view text);
  static Digest FromHex(std::string hex);  // hex must already be 64 lowercase hex

  const std::string& str() const { return text_; }
  std::string_view hex() const { return std::string_view(text_).substr(7); }
  bool empty() const { return text_.empty(); }
  bool operator==(const Digest& other) const = default;
  auto operator<=>(const Digest& other) const = default;

 private:
  std::string text_;
};

// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  Digest Finish();
  uint64_t bytes() const { return bytes_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  uint64_t bytes_ = 0;
};

Digest Sha256Of(std::string_view data);
base::Result<Digest> Sha256OfFile(const std::string& path);

// "sha256:abc..." mismatch error naming what was checked.
base::Status CheckDigest(std::string_view what, const Digest& want, const Digest& got);

}  // namespace hull::rootfs
