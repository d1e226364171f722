// hull-bench-tool: the static program hull bench puts into its benchmark image (beside
// busybox) for the measures busybox cannot make in one process:
//   randio FILE MIB COUNT      COUNT random 4 KiB preads, then COUNT random 4 KiB pwrites
//                              + one fdatasync, over a new MIB MiB file; prints
//                              "hull-bench-randio read_iops=R write_iops=W"
//   serve PORT                 the host end of the network measure, in hull bench's own
//                              network namespace: one TCP connection at a time; its first
//                              byte says what it wants (E echo, S sink, R source)
//   client HOST PORT MIB PINGS the container end: a 1-byte TCP ping-pong PINGS times, MIB
//                              MiB to the host and MIB MiB back; prints (T: the mean)
//                              "hull-bench-net rtt_us=T tx_mbit_s=U rx_mbit_s=D"
// Static (no shared libraries in the image) and single-threaded; hull bench parses the
// lines it prints (bench/tool_output.h).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"

namespace {

using hull::base::Status;
using hull::base::UniqueFd;
using Clock = std::chrono::steady_clock;

constexpr size_t kBlock = 4096;
constexpr size_t kChunk = 128 << 10;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int Fail(const Status& s) {
  std::fprintf(stderr, "hull-bench-tool: %s\n", s.message().c_str());
  return 1;
}

int RandomIo(const char* path, long mib, long count) {
  if (mib <= 0 || count <= 0) return Fail(Status::Error("randio: MIB and COUNT must be > 0"));
  auto fd = hull::base::OpenFile(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (!fd.ok()) return Fail(fd.status());
  std::vector<char> chunk(1 << 20, 'h');
  for (long i = 0; i < mib; ++i) {
    if (Status s = hull::base::WriteFully(fd->get(), chunk.data(), chunk.size()); !s.ok()) return Fail(s);
  }
  if (fsync(fd->get()) != 0) return Fail(Status::Errno("fsync"));
  uint64_t blocks = static_cast<uint64_t>(mib) * (1 << 20) / kBlock;
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<uint64_t> pick(0, blocks - 1);
  char block[kBlock];
  auto t = Clock::now();
  for (long i = 0; i < count; ++i) {
    if (Status s = hull::base::PreadFully(fd->get(), block, kBlock, pick(rng) * kBlock); !s.ok()) return Fail(s);
  }
  double read_s = SecondsSince(t);
  std::memset(block, 'w', kBlock);
  t = Clock::now();
  for (long i = 0; i < count; ++i) {
    off_t off = static_cast<off_t>(pick(rng) * kBlock);
    if (pwrite(fd->get(), block, kBlock, off) != static_cast<ssize_t>(kBlock)) return Fail(Status::Errno("pwrite"));
  }
  if (fdatasync(fd->get()) != 0) return Fail(Status::Errno("fdatasync"));
  double write_s = SecondsSince(t);
  unlink(path);
  std::printf("hull-bench-randio read_iops=%.0f write_iops=%.0f\n", count / read_s, count / write_s);
  return 0;
}

// Socket reads and writes that wait in poll(2) on EAGAIN: gVisor's host network
// (runsc --network=host) returns EAGAIN on blocking sockets now and then.
bool WaitFor(int fd, short events) {
  pollfd p{fd, events, 0};
  return poll(&p, 1, 30000) > 0;
}

ssize_t ReadSome(int fd, void* data, size_t size) {
  for (;;) {
    ssize_t n = read(fd, data, size);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && WaitFor(fd, POLLIN)) continue;
    return -1;
  }
}

Status SocketRead(int fd, void* data, size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ReadSome(fd, p, size);
    if (n < 0) return Status::Errno("read");
    if (n == 0) return Status::Error("read: the other end closed the connection");
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SocketWrite(int fd, const void* data, size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && WaitFor(fd, POLLOUT)) continue;
    if (n < 0) return Status::Errno("write");
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

void NoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Reads until EOF; the number of bytes.
uint64_t Drain(int fd) {
  std::vector<char> buf(kChunk);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ReadSome(fd, buf.data(), buf.size());
    if (n <= 0) return total;
    total += static_cast<uint64_t>(n);
  }
}

Status Send(int fd, uint64_t bytes) {
  std::vector<char> buf(kChunk, 'n');
  while (bytes > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(bytes, buf.size()));
    RETURN_IF_ERROR(SocketWrite(fd, buf.data(), n));
    bytes -= n;
  }
  return Status::Ok();
}

// One connection of `serve`.
void Serve(int fd) {
  char what = 0;
  if (!SocketRead(fd, &what, 1).ok()) return;
  if (what == 'E') {
    NoDelay(fd);
    char c;
    while (SocketRead(fd, &c, 1).ok() && SocketWrite(fd, &c, 1).ok()) {}
  } else if (what == 'S') {
    uint64_t total = Drain(fd);
    (void)SocketWrite(fd, &total, sizeof total);
  } else if (what == 'R') {
    uint64_t bytes = 0;
    if (SocketRead(fd, &bytes, sizeof bytes).ok()) (void)Send(fd, bytes);
  }
}

int ServeLoop(int port) {
  UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return Fail(Status::Errno("socket"));
  int one = 1;
  setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return Fail(Status::Errno("bind"));
  if (listen(s.get(), 8) != 0) return Fail(Status::Errno("listen"));
  std::printf("hull-bench-serving\n");
  std::fflush(stdout);
  for (;;) {
    UniqueFd c(accept4(s.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (c) Serve(c.get());
  }
}

// Connects to the host end with `what` as the first byte; retries for a few seconds
// (a guest's interface may still be coming up).
hull::base::Result<UniqueFd> Connect(const char* host, int port, char what) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) return Status::Error(std::string("bad address ") + host);
  auto deadline = Clock::now() + std::chrono::seconds(20);
  for (;;) {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return Status::Errno("socket");
    int rc = connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    if (rc != 0 && (errno == EINPROGRESS || errno == EAGAIN) && WaitFor(fd.get(), POLLOUT)) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
    }
    if (rc == 0) {
      RETURN_IF_ERROR(SocketWrite(fd.get(), &what, 1));
      return fd;
    }
    if (Clock::now() > deadline) return Status::Errno(std::string("connect to ") + host);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int Client(const char* host, int port, long mib, long pings) {
  if (mib <= 0 || pings <= 0) return Fail(Status::Error("client: MIB and PINGS must be > 0"));
  auto echo = Connect(host, port, 'E');
  if (!echo.ok()) return Fail(echo.status());
  NoDelay(echo->get());
  // The mean over one clock reading around all of them: a guest under TCG may keep time
  // in jiffies, too coarse for a single round trip.
  char c = 'p';
  Clock::time_point start;
  for (long i = 0; i < pings + 10; ++i) {  // the first 10 warm up
    if (i == 10) start = Clock::now();
    if (Status s = SocketWrite(echo->get(), &c, 1); !s.ok()) return Fail(s);
    if (Status s = SocketRead(echo->get(), &c, 1); !s.ok()) return Fail(s);
  }
  double rtt_us = SecondsSince(start) * 1e6 / static_cast<double>(pings);
  echo->reset();
  uint64_t bytes = static_cast<uint64_t>(mib) << 20;

  auto t = Clock::now();
  auto sink = Connect(host, port, 'S');
  if (!sink.ok()) return Fail(sink.status());
  if (Status s = Send(sink->get(), bytes); !s.ok()) return Fail(s);
  shutdown(sink->get(), SHUT_WR);
  uint64_t got = 0;
  if (Status s = SocketRead(sink->get(), &got, sizeof got); !s.ok()) return Fail(s);
  double tx_s = SecondsSince(t);
  if (got != bytes) return Fail(Status::Error("the host received " + std::to_string(got) + " bytes"));

  t = Clock::now();
  auto source = Connect(host, port, 'R');
  if (!source.ok()) return Fail(source.status());
  if (Status s = SocketWrite(source->get(), &bytes, sizeof bytes); !s.ok()) return Fail(s);
  got = Drain(source->get());
  double rx_s = SecondsSince(t);
  if (got != bytes) return Fail(Status::Error("received " + std::to_string(got) + " bytes from the host"));

  std::printf("hull-bench-net rtt_us=%.1f tx_mbit_s=%.1f rx_mbit_s=%.1f\n", rtt_us,
              bytes * 8 / tx_s / 1e6, bytes * 8 / rx_s / 1e6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "randio" && argc == 5) return RandomIo(argv[2], std::atol(argv[3]), std::atol(argv[4]));
  if (mode == "serve" && argc == 3) return ServeLoop(std::atoi(argv[2]));
  if (mode == "client" && argc == 6)
    return Client(argv[2], std::atoi(argv[3]), std::atol(argv[4]), std::atol(argv[5]));
  std::fprintf(stderr,
               "usage: hull-bench-tool randio FILE MIB COUNT | serve PORT | client HOST PORT MIB PINGS\n");
  return 2;
}
