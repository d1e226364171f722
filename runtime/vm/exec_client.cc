#include "runtime/vm/exec_client.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/terminal.h"
#include "base/unique_fd.h"
#include "guest/protocol.h"

namespace hull::runtime::vm {
namespace {

using guest::FrameType;

base::Result<base::UniqueFd> Connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return base::Status::Error("socket path too long: " + path);
  memcpy(addr.sun_path, path.c_str(), path.size());
  base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return base::Status::Errno("socket");
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return base::Status::Errno("the VM's exec socket " + path);
  return fd;
}

base::Status Send(int fd, const std::string& frame) {
  size_t done = 0;
  while (done < frame.size()) {
    ssize_t n = send(fd, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::Status::Errno("exec socket");
    done += static_cast<size_t>(n);
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<int> RunExecClient(const std::string& socket_path, const guest::ExecSpec& spec,
                                const ExecClientIo& io) {
  ASSIGN_OR_RETURN(base::UniqueFd sock, Connect(socket_path));
  RETURN_IF_ERROR(Send(sock.get(), guest::EncodeExecFrame(FrameType::kExecStart, 0,
                                                          guest::ExecSpecToJson(spec))));
  guest::FrameDecoder decoder(guest::Direction::kToHost);
  bool stdin_open = spec.stdin_open && io.in >= 0;
  bool started = false;
  std::string error;
  char buf[guest::kMaxExecData];
  auto send_size = [&] {
    if (!spec.tty || io.terminal_fd < 0) return base::Status::Ok();
    auto size = base::TerminalWindowSize(io.terminal_fd);
    if (!size) return base::Status::Ok();
    return Send(sock.get(), guest::EncodeExecResize(0, size->rows, size->cols));
  };
  while (true) {
    pollfd fds[3] = {{sock.get(), POLLIN, 0},
                     {stdin_open && started ? io.in : -1, POLLIN, 0},
                     {io.signal_fd, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return base::Status::Errno("poll");
    }
    if (fds[2].revents) {
      signalfd_siginfo info;
      while (read(io.signal_fd, &info, sizeof(info)) == sizeof(info)) {
        if (info.ssi_signo == SIGWINCH) {
          if (started) RETURN_IF_ERROR(send_size());
        } else {
          RETURN_IF_ERROR(Send(sock.get(), guest::EncodeExecSignal(0, info.ssi_signo)));
        }
      }
    }
    if (fds[1].revents) {
      ssize_t n = read(io.in, buf, sizeof(buf));
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      } else if (n <= 0) {
        stdin_open = false;
        RETURN_IF_ERROR(Send(sock.get(), guest::EncodeExecFrame(FrameType::kExecStdinClose, 0)));
      } else {
        RETURN_IF_ERROR(Send(sock.get(), guest::EncodeExecFrame(
                                             FrameType::kExecStdin, 0,
                                             std::string_view(buf, static_cast<size_t>(n)))));
      }
    }
    if (!fds[0].revents) continue;
    ssize_t n = read(sock.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // The VM's runner is gone (killed with the container): so is the process.
      if (started) return 128 + SIGKILL;
      return base::Status::Error("the VM ended before the exec started");
    }
    decoder.Feed(std::string_view(buf, static_cast<size_t>(n)));
    while (true) {
      ASSIGN_OR_RETURN(auto frame, decoder.Next());
      if (!frame) break;
      const guest::Frame& f = *frame;
      switch (f.type) {
        case FrameType::kExecStarted: {
          ASSIGN_OR_RETURN(uint32_t pid, guest::DecodeExecStarted(f));
          started = true;
          if (io.started) io.started(pid);
          RETURN_IF_ERROR(send_size());
          break;
        }
        case FrameType::kExecStdout:
        case FrameType::kExecStderr: {
          std::string_view data = guest::ExecData(f);
          int out = f.type == FrameType::kExecStdout ? io.out : io.err;
          // A reader that went away loses the output; the process goes on.
          (void)base::WriteFully(out, data.data(), data.size());
          break;
        }
        case FrameType::kExecError:
          error = std::string(guest::ExecData(f).substr(0, 4096));
          break;
        case FrameType::kExecExit: {
          ASSIGN_OR_RETURN(auto report, guest::DecodeExecExit(f));
          if (!started && io.failed) io.failed(error.empty() ? "the exec did not start" : error);
          return report.signaled ? 128 + report.code : report.code;
        }
        default:
          return base::Status::Error("exec: unexpected frame from the VM");
      }
    }
  }
}

}  // namespace hull::runtime::vm
