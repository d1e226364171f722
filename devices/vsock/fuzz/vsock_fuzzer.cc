// Fuzz target: a hostile driver and hostile host processes against virtio-vsock behind
// the virtio-mmio transport. The driver side uses the shared fake driver and FuzzInput
// (devices/testing); because vsock has three queues and a host side, the actions are
// its own: bring-ups, well-formed-ish packets with fuzzed fields (split one, two or many
// ways), raw chains, rx buffers of any size, host processes that connect with fuzzed
// lines, write, read and close, listener-side accepts, resets, raw register writes and
// memory scribbles. A real event loop, pumped in-line, carries kicks and socket events.
#include <linux/virtio_vsock.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/event_loop.h"
#include "devices/testing/device_fuzzer.h"
#include "devices/testing/fake_driver.h"
#include "devices/testing/fake_guest_memory.h"
#include "devices/testing/fake_interrupt.h"
#include "devices/testing/fuzz_input.h"
#include "devices/virtio/mmio_transport.h"
#include "devices/vsock/vsock_device.h"

namespace hull::devices::vsock {
namespace {

using devices::testing::Buffer;
using devices::testing::FuzzInput;

constexpr uint64_t kRam = 256u << 10;
constexpr GuestAddress kTxArea = 0x20000;  // 64 KiB + header for tx packets
constexpr GuestAddress kRxArea = 0x32000;  // rx buffers
constexpr GuestAddress kDriverEnd = 0x20000;
constexpr uint64_t kCid = 3;
constexpr uint32_t kPorts[] = {1, 2, 52, 1u << 30, (1u << 30) + 1, 1024};

// One private directory per process for the sockets, removed at exit.
class SocketDir {
 public:
  SocketDir() {
    char templ[] = "/tmp/hull-vsock-fuzz-XXXXXX";
    if (::mkdtemp(templ) == nullptr) __builtin_trap();
    path_ = templ;
  }
  ~SocketDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const std::string& Dir() {
  static SocketDir dir;
  return dir.path();
}

base::UniqueFd UnixSocket(const std::string& path, bool listen) {
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if (listen) {
    ::unlink(path.c_str());
    if (::bind(fd.get(), sa, sizeof(addr)) != 0 || ::listen(fd.get(), 64) != 0) return {};
  } else if (::connect(fd.get(), sa, sizeof(addr)) != 0) {
    return {};
  }
  return fd;
}

class Fuzz {
 public:
  explicit Fuzz(FuzzInput& in) : in_(in) {}

  void Run() {
    uint8_t mode = in_.U8();
    MuxerOptions options{.guest_cid = kCid, .uds_path = Dir() + "/v.sock"};
    options.buf_alloc = (mode & 1) ? 1024 : 256 * 1024;
    options.connect_timeout = std::chrono::milliseconds((mode & 2) ? 0 : 5000);
    options.shutdown_timeout = std::chrono::milliseconds((mode & 4) ? 0 : 5000);
    options.max_connections = (mode & 8) ? 3 : 1023;
    auto loop = base::EventLoop::Create();
    if (!loop.ok()) __builtin_trap();
    loop_ = std::move(*loop);
    auto device = VsockDevice::Create(options);
    if (!device.ok()) __builtin_trap();
    listener_ = UnixSocket(options.uds_path + "_1", true);
    auto t = virtio::MmioTransport::Create(*device, ram_.memory(), irq_, loop_.get());
    if (!t.ok()) __builtin_trap();
    transport_ = *t;
    NewDriver();
    for (int steps = 0; !in_.empty() && steps < 256; ++steps) Step(options);
    transport_->Reset();
    Pump();
  }

 private:
  void NewDriver() {
    driver_ = std::make_unique<devices::testing::FakeDriver>(*transport_, ram_.memory(), 0x1000, kDriverEnd);
  }
  bool live() const {
    return driver_->has_queue(2) && (transport_->status() & VIRTIO_CONFIG_S_DRIVER_OK);
  }
  void Pump() {
    loop_->Post([this] { loop_->Stop(); });
    (void)loop_->Run();
  }
  uint32_t Port() {
    uint8_t pick = in_.U8();
    return pick < 240 ? kPorts[pick % 6] : in_.U32();
  }

  void SendPacket() {
    virtio_vsock_hdr h{};
    uint8_t flags = in_.U8();
    h.src_cid = flags & 1 ? in_.U64() : kCid;
    h.dst_cid = flags & 2 ? in_.U64() : kHostCid;
    h.src_port = Port();
    h.dst_port = Port();
    h.type = flags & 4 ? in_.U16() : uint16_t{VIRTIO_VSOCK_TYPE_STREAM};
    h.op = in_.U8() % 9;
    h.flags = in_.U8() % 4;
    h.buf_alloc = flags & 8 ? in_.U32() : 64 * 1024;
    h.fwd_cnt = in_.U32() % 4 == 0 ? in_.U32() : 0;
    std::span<const uint8_t> payload = in_.Bytes(in_.U8() % 64 + (flags & 16 ? in_.U16() : 0));
    h.len = flags & 32 ? in_.U32() : static_cast<uint32_t>(payload.size());
    std::vector<uint8_t> bytes(reinterpret_cast<uint8_t*>(&h), reinterpret_cast<uint8_t*>(&h) + sizeof(h));
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    (void)ram_.memory().Write(kTxArea, bytes.data(), bytes.size());
    std::vector<Buffer> chain;
    uint8_t split = in_.U8() % 3;
    uint32_t size = static_cast<uint32_t>(bytes.size());
    if (split == 0 || payload.empty()) {
      chain.push_back({kTxArea, size, false});
    } else if (split == 1) {
      chain.push_back({kTxArea, kHeaderSize, false});
      chain.push_back({kTxArea + kHeaderSize, size - kHeaderSize, false});
    } else {
      uint32_t piece = 1 + in_.U8() % 16;
      for (uint32_t at = 0; at < size && chain.size() < 8; at += piece) {
        chain.push_back({kTxArea + at, chain.size() == 7 ? size - at : std::min(piece, size - at), false});
      }
    }
    AddChain(kTxQueue, chain);
  }

  void AddChain(uint16_t queue, const std::vector<Buffer>& chain) {
    devices::testing::FakeQueueDriver& q = driver_->queue(queue);
    if (chain.empty() || chain.size() > q.layout().size) return;
    q.AddChain(chain);
    driver_->Kick(queue);
  }

  void RawChain() {
    std::vector<Buffer> chain(1 + in_.U8() % 4);
    for (Buffer& b : chain) b = {devices::testing::FuzzAddress(in_), in_.U32() % 0x20000, (in_.U8() & 1) != 0};
    AddChain(in_.U8() % 3, chain);
  }

  void PostRx() {
    int n = 1 + in_.U8() % 8;
    for (int i = 0; i < n; ++i) {
      uint8_t kind = in_.U8();
      uint32_t len = kind % 4 == 0 ? in_.U8() % 64 : 44 + in_.U16() % 4096;
      GuestAddress addr = kRxArea + (in_.U8() % 8) * 0x1000;
      if (kind % 16 == 1) addr = devices::testing::FuzzAddress(in_);
      AddChain(kRxQueue, {Buffer{addr, std::min<uint32_t>(len, 0x1000), true}});
    }
  }

  void HostAction(const MuxerOptions& options) {
    switch (in_.U8() % 6) {
      case 0: {  // a host process connects and writes a (fuzzed) line
        if (hosts_.size() >= 16) break;
        base::UniqueFd fd = UnixSocket(options.uds_path, false);
        if (!fd) break;
        std::string line = in_.U8() % 4 ? "CONNECT " + std::to_string(Port()) + "\n" : "";
        auto extra = in_.Bytes(in_.U8() % 40);
        line.append(extra.begin(), extra.end());
        (void)!::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL);
        hosts_.push_back(std::move(fd));
        break;
      }
      case 1:  // the listener at _1 accepts what is waiting
        while (hosts_.size() < 16) {
          base::UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
          if (!fd) break;
          hosts_.push_back(std::move(fd));
        }
        break;
      case 2: case 3: {  // a host socket writes or reads
        if (hosts_.empty()) break;
        int fd = hosts_[in_.U8() % hosts_.size()].get();
        if (in_.U8() & 1) {
          std::vector<uint8_t> data(in_.U16() % 8192, 0x5a);
          (void)!::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        } else {
          char buf[4096];
          (void)!::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        }
        break;
      }
      case 4: {  // a host socket closes or half-closes
        if (hosts_.empty()) break;
        size_t i = in_.U8() % hosts_.size();
        if (in_.U8() & 1) {
          ::shutdown(hosts_[i].get(), SHUT_WR);
        } else {
          hosts_.erase(hosts_.begin() + static_cast<long>(i));
        }
        break;
      }
      case 5:
        usleep(in_.U8() % 4 * 500);  // let a zero timeout expire
        break;
    }
  }

  void Step(const MuxerOptions& options) {
    switch (in_.U8() % 9) {
      case 0: {
        NewDriver();
        driver_->Reset();
        uint16_t size = static_cast<uint16_t>(1u << (in_.U8() % 7));
        (void)driver_->BringUp(driver_->DeviceFeatures(), {size, size, size});
        break;
      }
      case 1:
        if (live()) SendPacket();
        break;
      case 2:
        if (live()) RawChain();
        break;
      case 3:
        if (live()) PostRx();
        break;
      case 4:
        Pump();
        if (live()) {
          for (uint16_t q = 0; q < 3; ++q) {
            for (int i = 0; i < 300 && driver_->queue(q).PopUsed(); ++i) {
            }
          }
        }
        break;
      case 5:
        HostAction(options);
        break;
      case 6:
        if (in_.U8() & 1) transport_->Reset(); else driver_->Reset();
        break;
      case 7: {
        uint64_t offset = in_.U16() % virtio::kMmioWindowSize & ~uint64_t{3};
        uint32_t value = in_.U32();
        transport_->Write(offset, {reinterpret_cast<const uint8_t*>(&value), 4});
        break;
      }
      case 8: {
        GuestAddress addr = in_.U16() % kRam;
        std::span<const uint8_t> bytes = in_.Bytes(in_.U8() % 32);
        (void)ram_.memory().Write(addr, bytes.data(), std::min<uint64_t>(bytes.size(), kRam - addr));
        break;
      }
    }
  }

  FuzzInput& in_;
  devices::testing::FakeGuestMemory ram_{{{0, kRam}, {devices::testing::kFuzzHigh, 0x1000}}};
  std::shared_ptr<devices::testing::FakeInterruptLine> irq_ =
      std::make_shared<devices::testing::FakeInterruptLine>();
  std::unique_ptr<base::EventLoop> loop_;
  base::UniqueFd listener_;
  std::vector<base::UniqueFd> hosts_;
  std::shared_ptr<virtio::MmioTransport> transport_;
  std::unique_ptr<devices::testing::FakeDriver> driver_;
};

}  // namespace
}  // namespace hull::devices::vsock

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hull::devices::testing::QuietFuzzLogs();
  hull::devices::testing::FuzzInput in(data, size);
  hull::devices::vsock::Fuzz(in).Run();
  return 0;
}
