#include "devices/testing/echo_device.h"

#include <algorithm>
#include <cstring>

namespace hull::devices::testing {

void EchoDevice::ReadConfig(uint32_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mutex_);
  std::memcpy(data.data(), reinterpret_cast<const uint8_t*>(&config_) + offset, data.size());
}

void EchoDevice::WriteConfig(uint32_t offset, std::span<const uint8_t> data) {
  std::lock_guard lock(mutex_);
  std::memcpy(reinterpret_cast<uint8_t*>(&config_) + offset, data.data(), data.size());
}

base::Result<uint32_t> EchoDevice::Serve(const virtio::DescriptorChain& chain) {
  virtio::ChainReader reader(context().memory, chain);
  virtio::ChainWriter writer(context().memory, chain);
  // Chunked: a chain may name far more bytes than guest RAM holds (the same buffer
  // many times over), so never allocate by a guest-controlled size.
  uint64_t n = std::min(reader.remaining(), writer.remaining());
  n = std::min<uint64_t>(n, UINT32_MAX);
  uint8_t chunk[4096];
  for (uint64_t left = n; left > 0;) {
    std::span<uint8_t> part(chunk, std::min<uint64_t>(left, sizeof(chunk)));
    RETURN_IF_ERROR(reader.Read(part));
    RETURN_IF_ERROR(writer.Write(part));
    left -= part.size();
  }
  return static_cast<uint32_t>(n);
}

}  // namespace hull::devices::testing
