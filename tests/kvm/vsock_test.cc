// virtio-vsock end to end under real KVM: hull-vmm --vsock places the device in the MMIO
// gap and binds its Unix socket; the test guest (mode "vsock") accepts a connection a
// host process opens with "CONNECT 52" and echoes it, then connects to a host listener
// at <uds_path>_5000, which echoes back. Host sides run on test threads with real Unix
// sockets. Also: a guest connect with no listener is refused, and a socket path that
// another process listens on stops hull-vmm before boot.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_test_util.h"

namespace hull::testing {
namespace {

class TempSocketDir {
 public:
  TempSocketDir() {
    char templ[] = "/tmp/hull-vsock-kvm-XXXXXX";
    path_ = ::mkdtemp(templ) ? templ : "";
  }
  ~TempSocketDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string Path(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

sockaddr_un Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  return addr;
}

base::UniqueFd Listen(const std::string& path) {
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr = Address(path);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd.get(), 8) != 0) {
    return {};
  }
  return fd;
}

// Waits up to `seconds` for `fd` to be readable.
bool Readable(int fd, int seconds) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, seconds * 1000) == 1;
}

// Reads until `n` bytes, EOF, or `seconds` without data.
std::string ReadSome(int fd, size_t n, int seconds) {
  std::string out;
  char buf[256];
  while (out.size() < n && Readable(fd, seconds)) {
    ssize_t got = ::recv(fd, buf, std::min(sizeof(buf), n - out.size()), 0);
    if (got <= 0) break;
    out.append(buf, static_cast<size_t>(got));
  }
  return out;
}

// The host process of a host-initiated connection: waits for hull-vmm's socket,
// CONNECTs to guest port 52, reads the OK line, sends a message and reads its echo.
void HostInitiated(const std::string& uds, const std::atomic<bool>* vmm_done,
                   std::string* ok_line, std::string* echo) {
  constexpr int kSeconds = 240;
  base::UniqueFd fd;
  while (!*vmm_done) {
    fd = base::UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr = Address(uds);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) break;
    fd.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!fd) return;
  std::string connect = "CONNECT 52\n";
  if (::send(fd.get(), connect.data(), connect.size(), MSG_NOSIGNAL) < 0) return;
  while (ok_line->empty() || ok_line->back() != '\n') {
    std::string c = ReadSome(fd.get(), 1, kSeconds);
    if (c.empty()) return;
    *ok_line += c;
  }
  std::string ping = "ping from the host";
  if (::send(fd.get(), ping.data(), ping.size(), MSG_NOSIGNAL) < 0) return;
  *echo = ReadSome(fd.get(), ping.size(), kSeconds);
}

// The listener at <uds>_5000: accepts one connection and echoes until EOF.
void EchoServer(int listener, std::string* received) {
  if (!Readable(listener, 240)) return;
  base::UniqueFd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  char buf[256];
  while (Readable(fd.get(), 240)) {
    ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n <= 0) break;
    received->append(buf, static_cast<size_t>(n));
    if (::send(fd.get(), buf, static_cast<size_t>(n), MSG_NOSIGNAL) < 0) break;
  }
}

TEST(VmmVsock, GuestAndHostConnectionsBothWays) {
  SKIP_WITHOUT_KVM();
  TempSocketDir dir;
  std::string uds = dir.Path("v.sock");
  base::UniqueFd listener = Listen(uds + "_5000");
  ASSERT_TRUE(listener.valid());
  std::string ok_line, echo, received;
  std::atomic<bool> vmm_done = false;
  std::thread host(HostInitiated, uds, &vmm_done, &ok_line, &echo);
  std::thread server(EchoServer, listener.get(), &received);
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline",
                            "hulltest.mode=vsock hulltest.vsock_listen=52 hulltest.vsock_port=5000",
                            "--memory", "32", "--vsock", "cid=7,uds=" + uds}, 300);
  vmm_done = true;
  ::shutdown(listener.get(), SHUT_RDWR);  // an echo server still waiting gives up
  host.join();
  server.join();
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  auto report = ParseReport(r.out);
  EXPECT_EQ(report["vsock.device"], "0xd0000000") << r.out;
  EXPECT_EQ(report["vsock.cid"], "7") << r.out;
  // Host-initiated.
  EXPECT_EQ(ok_line, "OK 1073741824\n");
  EXPECT_EQ(report["vsock.accepted"], "1") << r.out;
  EXPECT_EQ(echo, "ping from the host");
  EXPECT_EQ(report["vsock.echoed"], "18") << r.out;
  // Guest-initiated.
  EXPECT_EQ(report["vsock.connect"], "ok") << r.out;
  EXPECT_EQ(received, "hello over vsock, and again");
  EXPECT_EQ(report["vsock.echo"], "hello over vsock, and again") << r.out;
  EXPECT_EQ(report["vsock.closed"], "1") << r.out;
  EXPECT_FALSE(std::filesystem::exists(uds)) << "hull-vmm removes its socket at exit";
}

TEST(VmmVsock, GuestConnectWithoutAListenerIsRefused) {
  SKIP_WITHOUT_KVM();
  TempSocketDir dir;
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline",
                            "hulltest.mode=vsock hulltest.vsock_port=5001", "--memory", "32",
                            "--vsock", "cid=3,uds=" + dir.Path("v.sock")}, 300);
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  auto report = ParseReport(r.out);
  EXPECT_EQ(report["vsock.cid"], "3") << r.out;
  EXPECT_EQ(report["vsock.connect"], "refused") << r.out;
}

TEST(VmmVsock, SocketPathInUseStopsHullVmmBeforeBoot) {
  // No KVM needed: hull-vmm binds the socket before it opens /dev/kvm.
  TempSocketDir dir;
  base::UniqueFd other = Listen(dir.Path("v.sock"));
  ASSERT_TRUE(other.valid());
  ProcessResult r = RunVmm({"--kernel", GuestElf(), "--cmdline", "hulltest.mode=hello",
                            "--memory", "32", "--vsock", "cid=3,uds=" + dir.Path("v.sock")}, 60);
  EXPECT_NE(r.exit_status, 0);
  EXPECT_NE(r.err.find("in use"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("hello from the hull test guest"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir.Path("v.sock"))) << "another process's socket is left alone";
}

}  // namespace
}  // namespace hull::testing
