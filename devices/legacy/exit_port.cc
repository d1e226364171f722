#include "devices/legacy/exit_port.h"

#include <algorithm>

#include "base/logging.h"

namespace hull::devices::legacy {

ExitPort::ExitPort(std::function<void(uint32_t status)> on_exit)
    : on_exit_(std::move(on_exit)) {}

void ExitPort::Read(uint64_t /*offset*/, std::span<uint8_t> data) {
  std::fill(data.begin(), data.end(), 0xff);
}

void ExitPort::Write(uint64_t offset, std::span<const uint8_t> data) {
  const size_t size = data.size();
  if (offset != 0 || (size != 1 && size != 2 && size != 4)) {
    LOG_DEBUG << "exit port: ignoring " << size << "-byte write at offset " << offset;
    return;
  }
  uint32_t status = 0;
  for (size_t i = 0; i < size; ++i) status |= uint32_t{data[i]} << (8 * i);
  LOG_INFO << "exit port: guest reported exit status " << status;
  if (on_exit_) on_exit_(status);
}

}  // namespace hull::devices::legacy
