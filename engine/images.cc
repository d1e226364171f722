#include "engine/images.h"

#include "rootfs-builder/builtin_image.h"
#include "rootfs-builder/reference.h"

namespace hull::engine {

base::Result<rootfs::ImageRecord> FindImage(const rootfs::ContentStore& store,
                                            const std::string& text) {
  std::string normalized;
  if (auto ref = rootfs::ParseReference(text); ref.ok()) normalized = ref->str();
  auto builtin = rootfs::ParseReference(rootfs::kBuiltinBusyboxImage);
  if (!normalized.empty() && builtin.ok() && builtin->str() == normalized) {
    return rootfs::EnsureBuiltinBusyboxImage(store);
  }
  ASSIGN_OR_RETURN(std::vector<rootfs::ImageRecord> images, store.ListImages());
  for (const auto& r : images) {
    if (r.name == text || r.name == normalized) return r;
  }
  std::string hex = text.rfind("sha256:", 0) == 0 ? text.substr(7) : text;
  if (hex.size() >= 12 && hex.size() <= 64) {
    for (const auto& r : images) {
      if (r.config.hex().compare(0, hex.size(), hex) == 0) return r;
    }
  }
  return base::Status::Error("No such image: " + text);
}

}  // namespace hull::engine
