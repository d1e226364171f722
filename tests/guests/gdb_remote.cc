#include "tests/guests/gdb_remote.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <cstdio>
#include <cstring>
#include <thread>

namespace hull::tests {

using base::Result;
using base::Status;

Result<GdbRemote> GdbRemote::Connect(const std::string& socket_path,
                                     std::chrono::milliseconds timeout) {
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) return Status::Error("socket path too long");
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return Status::Errno("socket");
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      timeval io_timeout = {5, 0};  // a stuck gdbstub fails the test instead of hanging it
      setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &io_timeout, sizeof(io_timeout));
      GdbRemote remote(std::move(fd));
      // QEMU answers "P" packets only once the client has read the target description.
      RETURN_IF_ERROR(remote.Transact("qSupported:xmlRegisters=i386").status());
      ASSIGN_OR_RETURN(std::string description,
                       remote.Transact("qXfer:features:read:target.xml:0,1000"));
      if (description.empty()) return Status::Error("gdbstub offers no target description");
      return remote;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Errno("connecting to " + socket_path);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Sends "$payload#cc" and returns the reply's payload, acknowledging it with "+".
Result<std::string> GdbRemote::Transact(const std::string& payload) {
  unsigned checksum = 0;
  for (unsigned char c : payload) checksum += c;
  char trailer[4];
  std::snprintf(trailer, sizeof(trailer), "#%02x", checksum & 0xff);
  std::string packet = "$" + payload + trailer;
  RETURN_IF_ERROR(base::WriteFully(fd_.get(), packet.data(), packet.size()));
  // Skip acks ("+") up to the reply's '$', then read through '#' and its two digits.
  std::string reply;
  char c = 0;
  do {
    RETURN_IF_ERROR(base::ReadFully(fd_.get(), &c, 1));
    if (c == '-') return Status::Error("gdbstub rejected packet " + payload);
  } while (c != '$');
  for (;;) {
    RETURN_IF_ERROR(base::ReadFully(fd_.get(), &c, 1));
    if (c == '#') break;
    reply.push_back(c);
  }
  char digits[2];
  RETURN_IF_ERROR(base::ReadFully(fd_.get(), digits, sizeof(digits)));
  RETURN_IF_ERROR(base::WriteFully(fd_.get(), "+", 1));
  return reply;
}

Status GdbRemote::WriteRegister(X86Register reg, uint64_t value) {
  int number = static_cast<int>(reg);
  bool narrow = reg == X86Register::kEflags ||
                (reg >= X86Register::kCs && reg <= X86Register::kEs);
  char head[16];
  std::snprintf(head, sizeof(head), "P%x=", number);
  std::string payload = head;
  for (int i = 0; i < (narrow ? 4 : 8); i++) {  // target byte order: little-endian
    char byte[3];
    std::snprintf(byte, sizeof(byte), "%02x", static_cast<unsigned>((value >> (8 * i)) & 0xff));
    payload += byte;
  }
  ASSIGN_OR_RETURN(std::string reply, Transact(payload));
  if (reply != "OK") return Status::Error("gdbstub: " + payload + " -> " + reply);
  return Status::Ok();
}

Status GdbRemote::Detach() {
  ASSIGN_OR_RETURN(std::string reply, Transact("D"));
  if (reply != "OK") return Status::Error("gdbstub: detach -> " + reply);
  return Status::Ok();
}

}  // namespace hull::tests
