// Test harness for virtio-vsock: a VsockDevice behind the real virtio-mmio transport,
// driven by the fake driver over fake guest memory, with a real EventLoop that the test
// pumps on its own thread (no extra threads), sockets in a private temp dir, and small
// helpers to play the guest's side of the protocol and the host's.
//
// Test code: helpers assert with gtest; nothing here is used by hull itself.
#pragma once

#include <linux/virtio_vsock.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/event_loop.h"
#include "base/unique_fd.h"
#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"
#include "devices/virtio/mmio_transport.h"
#include "devices/vsock/vsock_device.h"

namespace hull::devices::vsock::testing {

using devices::testing::Buffer;

inline constexpr uint64_t kGuestCid = 3;
inline constexpr uint64_t kVersion1 = 1ull << VIRTIO_F_VERSION_1;
inline constexpr uint16_t kTestQueueSize = 256;
inline constexpr uint32_t kRxBufferSize = 4096;
inline constexpr GuestAddress kTxArea = 0x600000;  // 1 MiB for tx payloads, reused
inline constexpr uint64_t kRamSize = 8u << 20;

class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/hull-vsock-XXXXXX";
    path_ = ::mkdtemp(templ) ? templ : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Packet {
  virtio_vsock_hdr hdr{};
  std::string payload;
  uint32_t used_len = 0;
};

inline virtio_vsock_hdr GuestHeader(uint16_t op, uint32_t src_port, uint32_t dst_port,
                                    uint32_t len = 0, uint32_t buf_alloc = 1 << 20,
                                    uint32_t fwd_cnt = 0) {
  virtio_vsock_hdr h{};
  h.src_cid = kGuestCid;
  h.dst_cid = kHostCid;
  h.src_port = src_port;
  h.dst_port = dst_port;
  h.len = len;
  h.type = VIRTIO_VSOCK_TYPE_STREAM;
  h.op = op;
  h.buf_alloc = buf_alloc;
  h.fwd_cnt = fwd_cnt;
  return h;
}

// A blocking host-side socket connected to `path`, with a receive timeout.
inline base::UniqueFd HostConnect(const std::string& path) {
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return {};
  timeval tv{0, 200 * 1000};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// A nonblocking listener (HostAccept returns an invalid fd when nobody waits).
inline base::UniqueFd HostListen(const std::string& path) {
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return {};
  if (::listen(fd.get(), 512) != 0) return {};
  return fd;
}

inline base::UniqueFd HostAccept(int listener) {
  base::UniqueFd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  return fd;
}

inline void HostWrite(int fd, const std::string& text) {
  ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
}

// Whatever the host socket has now (nonblocking read, up to `max` bytes); "" on EOF.
inline std::string HostReadNow(int fd, size_t max = 1 << 20) {
  std::string out(max, '\0');
  ssize_t n = ::recv(fd, out.data(), max, MSG_DONTWAIT);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

// True when the peer closed (recv returns 0 without blocking).
inline bool HostSeesEof(int fd) {
  char c;
  return ::recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

class VsockHarness {
 public:
  explicit VsockHarness(MuxerOptions options = {}) {
    options.guest_cid = kGuestCid;
    if (options.uds_path.empty()) options.uds_path = dir_.path() + "/v.sock";
    uds_path_ = options.uds_path;
    auto loop = base::EventLoop::Create();
    EXPECT_TRUE(loop.ok());
    loop_ = std::move(*loop);
    auto device = VsockDevice::Create(options);
    EXPECT_TRUE(device.ok()) << device.status().message();
    device_ = *device;
    auto t = virtio::MmioTransport::Create(device_, ram_.memory(), irq_, loop_.get());
    EXPECT_TRUE(t.ok());
    transport_ = *t;
    driver_ = std::make_unique<devices::testing::FakeDriver>(*transport_, ram_.memory(), 0x10000,
                                                             kTxArea);
  }
  ~VsockHarness() {
    transport_->Reset();
    Pump();
  }

  const std::string& uds_path() const { return uds_path_; }
  std::string PortPath(uint32_t port) const { return uds_path_ + "_" + std::to_string(port); }
  VsockDevice& device() { return *device_; }
  base::EventLoop& loop() { return *loop_; }
  devices::testing::FakeDriver& driver() { return *driver_; }
  const GuestMemory& memory() const { return ram_.memory(); }

  // Negotiates, sets up the three queues, DRIVER_OK, and posts `rx_buffers` buffers.
  void BringUp(uint64_t features = kVersion1, int rx_buffers = 64) {
    ASSERT_TRUE(driver_->BringUp(features, {kTestQueueSize, kTestQueueSize, kTestQueueSize}).ok());
    for (int i = 0; i < rx_buffers; ++i) PostRx(kRxBufferSize);
    Pump();
  }

  // One round of the event loop: every callback that is ready now.
  void Pump() {
    loop_->Post([this] { loop_->Stop(); });
    ASSERT_TRUE(loop_->Run().ok());
  }
  // Pumps until `done` (or two seconds pass); returns done().
  bool PumpUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::milliseconds(2000)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      Pump();
      ::usleep(200);
    }
    return true;
  }

  // Posts a writable rx buffer of `len` bytes (reusing freed ones of the same size).
  void PostRx(uint32_t len) {
    Buffer b;
    auto& pool = free_rx_[len];
    if (!pool.empty()) {
      b = pool.back();
      pool.pop_back();
    } else {
      b = driver_->Writable(len);
    }
    uint16_t head = driver_->queue(kRxQueue).AddChain({&b, 1});
    rx_buffers_[head] = b;
    driver_->Kick(kRxQueue);
  }

  // Sends one packet from the guest, its header and payload split as `split` says:
  // 0 = one descriptor, 1 = header and payload in two, 2 = spread over 5-byte pieces.
  void Send(const virtio_vsock_hdr& hdr, const std::string& payload = "", int split = 0) {
    std::string bytes(reinterpret_cast<const char*>(&hdr), sizeof(hdr));
    bytes += payload;
    ASSERT_LE(bytes.size(), 1u << 20);
    ASSERT_TRUE(ram_.memory().Write(kTxArea, bytes.data(), bytes.size()).ok());
    std::vector<Buffer> chain;
    if (split == 0 || payload.empty()) {
      chain.push_back({kTxArea, static_cast<uint32_t>(bytes.size()), false});
    } else if (split == 1) {
      chain.push_back({kTxArea, kHeaderSize, false});
      chain.push_back({kTxArea + kHeaderSize, static_cast<uint32_t>(payload.size()), false});
    } else {
      for (size_t at = 0; at < bytes.size(); at += 5) {
        chain.push_back({kTxArea + at, static_cast<uint32_t>(std::min<size_t>(5, bytes.size() - at)), false});
      }
    }
    SendChain(chain);
  }
  void SendChain(const std::vector<Buffer>& chain) {
    driver_->queue(kTxQueue).AddChain(chain);
    driver_->Kick(kTxQueue);
    Pump();
    while (driver_->queue(kTxQueue).PopUsed()) ++tx_used_;
  }
  uint64_t tx_used() const { return tx_used_; }

  // The next packet the device put on the rx queue (its buffer is posted again).
  std::optional<Packet> Receive() {
    auto used = driver_->queue(kRxQueue).PopUsed();
    if (!used) return std::nullopt;
    Buffer b = rx_buffers_.at(static_cast<uint16_t>(used->id));
    Packet p;
    p.used_len = used->len;
    if (used->len >= kHeaderSize) {
      std::vector<uint8_t> bytes = driver_->ReadBytes(b.addr, used->len);
      std::memcpy(&p.hdr, bytes.data(), kHeaderSize);
      p.payload.assign(bytes.begin() + kHeaderSize, bytes.end());
    }
    free_rx_[b.len].push_back(b);
    PostRx(b.len);
    return p;
  }
  // Pumps until a packet arrives.
  std::optional<Packet> WaitPacket(std::chrono::milliseconds limit = std::chrono::milliseconds(2000)) {
    std::optional<Packet> p;
    PumpUntil([&] { return (p = Receive()).has_value(); }, limit);
    return p;
  }

 private:
  TempDir dir_;
  std::string uds_path_;
  devices::testing::FakeGuestMemory ram_{{{0, kRamSize}}};
  std::shared_ptr<devices::testing::FakeInterruptLine> irq_ =
      std::make_shared<devices::testing::FakeInterruptLine>();
  std::unique_ptr<base::EventLoop> loop_;
  std::shared_ptr<VsockDevice> device_;
  std::shared_ptr<virtio::MmioTransport> transport_;
  std::unique_ptr<devices::testing::FakeDriver> driver_;
  std::map<uint16_t, Buffer> rx_buffers_;
  std::map<uint32_t, std::vector<Buffer>> free_rx_;
  uint64_t tx_used_ = 0;
};

}  // namespace hull::devices::vsock::testing
