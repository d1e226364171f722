#include "devices/vsock/vsock_device.h"

#include <cstring>

#include "base/logging.h"

namespace hull::devices::vsock {

base::Result<std::shared_ptr<VsockDevice>> VsockDevice::Create(MuxerOptions options) {
  if (options.guest_cid < 3 || options.guest_cid >= 0xffffffffu) {
    return base::Status::Error("vsock guest_cid " + std::to_string(options.guest_cid) +
                               " is reserved (it must be at least 3 and below 4294967295)");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Muxer> muxer, Muxer::Create(std::move(options)));
  return std::shared_ptr<VsockDevice>(new VsockDevice(std::move(muxer)));
}

VsockDevice::VsockDevice(std::unique_ptr<Muxer> muxer)
    : MultiQueueDevice({"rx", "tx", "event"}),
      guest_cid_(muxer->options().guest_cid),
      muxer_(std::move(muxer)),
      scratch_(kMaxPayload) {}

void VsockDevice::ReadConfig(uint32_t offset, std::span<uint8_t> data) {
  uint64_t cid = guest_cid_;  // little-endian, like the host
  if (offset >= sizeof(cid)) return;
  std::memcpy(data.data(), reinterpret_cast<const uint8_t*>(&cid) + offset,
              std::min<size_t>(data.size(), sizeof(cid) - offset));
}

void VsockDevice::WriteConfig(uint32_t, std::span<const uint8_t>) {
  // guest_cid is read-only (5.10.4).
}

size_t VsockDevice::connection_count() const {
  std::lock_guard lock(mutex_);
  return muxer_->connection_count();
}

uint64_t VsockDevice::packets_dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

base::Status VsockDevice::OnActivate() {
  tx_paused_ = false;
  return muxer_->Start(context().loop, [this](const std::function<void()>& work) {
    RunIfActive([&] {
      work();
      return Pump();
    });
  });
}

void VsockDevice::OnReset() { muxer_->Stop(); }

base::Status VsockDevice::OnQueueKick(size_t index) {
  if (index == kEventQueue) return base::Status::Ok();  // buffers kept for events never sent
  return Pump();
}

base::Status VsockDevice::Pump() {
  for (;;) {
    RETURN_IF_ERROR(ProcessTx());
    RETURN_IF_ERROR(ProcessRx());
    // The tx side waited for room for RSTs; go on if the rx side made some.
    if (!tx_paused_ || muxer_->rx_backlog_full()) return base::Status::Ok();
  }
}

void VsockDevice::Drop(const std::string& why) {
  ++dropped_;
  if (++log_lines_ <= 32) {
    LOG_WARNING_LIMITED << "vsock: dropping a guest packet: " << why;
  }
}

void VsockDevice::HandleTxChain(const virtio::DescriptorChain& chain) {
  base::Result<TxPacket> packet = ReadTxPacket(context().memory, chain, scratch_);
  if (!packet.ok()) return Drop(packet.status().message());
  const virtio_vsock_hdr& hdr = packet->hdr;
  if (hdr.src_cid != guest_cid_) {
    return Drop("source CID " + std::to_string(hdr.src_cid) + " is not the guest's");
  }
  if (hdr.dst_cid != kHostCid || hdr.type != VIRTIO_VSOCK_TYPE_STREAM) {
    if (++log_lines_ <= 32) {
      LOG_INFO << "vsock: RST for a " << OpName(hdr.op) << " to CID " << hdr.dst_cid
               << " of type " << hdr.type << " (only stream sockets to CID 2)";
    }
    return muxer_->ResetPacket(hdr);
  }
  muxer_->OnGuestPacket(hdr, packet->payload);
}

base::Status VsockDevice::ProcessTx() {
  virtio::Queue& q = queue(kTxQueue);
  tx_paused_ = false;
  for (;;) {
    RETURN_IF_ERROR(q.DisableNotification());
    for (;;) {
      if (muxer_->rx_backlog_full()) {
        tx_paused_ = true;  // resumed by Pump once rx buffers take the RSTs
        return SignalIfNeeded(kTxQueue);
      }
      ASSIGN_OR_RETURN(std::optional<virtio::DescriptorChain> chain, q.Pop());
      if (!chain) break;
      HandleTxChain(*chain);
      RETURN_IF_ERROR(AddUsed(kTxQueue, *chain, 0));
    }
    ASSIGN_OR_RETURN(bool more, q.EnableNotification());
    if (!more) break;
  }
  return SignalIfNeeded(kTxQueue);
}

base::Status VsockDevice::ProcessRx() {
  virtio::Queue& q = queue(kRxQueue);
  while (muxer_->has_pending_rx()) {
    ASSIGN_OR_RETURN(std::optional<virtio::DescriptorChain> chain, q.Pop());
    if (!chain) {
      // Out of buffers: ask for a kick, unless some arrived meanwhile.
      ASSIGN_OR_RETURN(bool more, q.EnableNotification());
      if (more) continue;
      break;
    }
    base::Result<RxSlot> slot = RxSlot::Create(context().memory, *chain);
    if (!slot.ok()) {
      ++dropped_;
      if (++log_lines_ <= 32) {
        LOG_WARNING_LIMITED << "vsock: returning an rx buffer unused: " << slot.status().message();
      }
      RETURN_IF_ERROR(AddUsed(kRxQueue, *chain, 0));
      continue;
    }
    std::optional<uint32_t> used = muxer_->FillRx(*slot);
    if (!used) {
      q.UndoPop();
      break;
    }
    RETURN_IF_ERROR(AddUsed(kRxQueue, *chain, *used));
  }
  RETURN_IF_ERROR(q.EnableNotification().status());
  return SignalIfNeeded(kRxQueue);
}

}  // namespace hull::devices::vsock
