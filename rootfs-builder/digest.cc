#include "rootfs-builder/digest.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace hull::rootfs {

using base::Result;
using base::Status;

Result<Digest> Digest::Parse(std::string_view text) {
  constexpr std::string_view kPrefix = "sha256:";
  if (text.substr(0, kPrefix.size()) != kPrefix) {
    return Status::Error("unsupported digest \"" + std::string(text) +
                         "\" (only sha256 is accepted)");
  }
  std::string_view hex = text.substr(kPrefix.size());
  bool valid = hex.size() == 64;
  for (char c : hex) valid = valid && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!valid) return Status::Error("malformed digest \"" + std::string(text) + "\"");
  Digest d;
  d.text_ = std::string(text);
  return d;
}

Digest Digest::FromHex(std::string hex) {
  Digest d;
  d.text_ = "sha256:" + hex;
  return d;
}

struct Sha256::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr);
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(const void* data, size_t size) {
  EVP_DigestUpdate(state_->ctx, data, size);
  bytes_ += size;
}

Digest Sha256::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(state_->ctx, md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return Digest::FromHex(std::move(hex));
}

Digest Sha256Of(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Finish();
}

Result<Digest> Sha256OfFile(const std::string& path) {
  ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(path, O_RDONLY));
  Sha256 h;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Errno("reading " + path);
    if (n == 0) break;
    h.Update(buf, static_cast<size_t>(n));
  }
  return h.Finish();
}

Status CheckDigest(std::string_view what, const Digest& want, const Digest& got) {
  if (want == got) return Status::Ok();
  return Status::Error(std::string(what) + ": digest mismatch: expected " + want.str() +
                       ", got " + got.str());
}

}  // namespace hull::rootfs
