#include "base/unix_listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace hull::base {

namespace {

// Makes room for our socket at `path`: nothing there, or a socket nobody listens on.
Status ClaimPath(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? Status::Ok() : Status::Errno("socket " + path);
  }
  if (!S_ISSOCK(st.st_mode)) return Status::Error(path + " exists and is not a socket");
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return Status::Errno("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    return Status::Error("socket " + path + " is in use by another process");
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Status::Errno("removing stale socket " + path);
  return Status::Ok();
}

}  // namespace

Result<UniqueFd> ListenUnix(const std::string& path, mode_t mode, gid_t gid, int backlog) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path) || path.find('\0') != path.npos) {
    return Status::Error("socket path must be 1-" + std::to_string(sizeof(addr.sun_path) - 1) +
                         " bytes: \"" + path + "\"");
  }
  RETURN_IF_ERROR(ClaimPath(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Status::Errno("socket");
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  mode_t old_umask = ::umask(0177);
  int bound = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int bind_errno = errno;
  ::umask(old_umask);
  if (bound != 0) return Status::Errno("binding " + path, bind_errno);
  Status s;
  if (gid != static_cast<gid_t>(-1) && ::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0) {
    s = Status::Errno("chown " + path);
  }
  if (s.ok() && ::chmod(path.c_str(), mode) != 0) s = Status::Errno("chmod " + path);
  if (s.ok() && ::listen(fd.get(), backlog) != 0) s = Status::Errno("listen " + path);
  if (!s.ok()) {
    ::unlink(path.c_str());
    return s;
  }
  return fd;
}

}  // namespace hull::base
