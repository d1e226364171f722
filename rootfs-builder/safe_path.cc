#include "rootfs-builder/safe_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hull::rootfs {

using base::Result;
using base::Status;
using base::UniqueFd;

Result<std::vector<std::string>> SplitEntryPath(std::string_view name) {
  if (!name.empty() && name.front() == '/') {
    return Status::Error("entry \"" + std::string(name) + "\": absolute path");
  }
  std::vector<std::string> comps;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view c = name.substr(pos, slash - pos);
    if (c == "..") {
      return Status::Error("entry \"" + std::string(name) + "\": \"..\" path component");
    }
    if (!c.empty() && c != ".") comps.emplace_back(c);
    pos = slash + 1;
  }
  return comps;
}

std::string JoinPath(const std::vector<std::string>& comps) {
  std::string s;
  for (const auto& c : comps) {
    if (!s.empty()) s += '/';
    s += c;
  }
  return s;
}

Result<UniqueFd> OpenParentDir(int root_fd, const std::vector<std::string>& comps,
                               std::string_view entry, bool create) {
  UniqueFd cur(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!cur) return Status::Errno("dup");
  std::string walked;
  for (size_t i = 0; i + 1 < comps.size(); ++i) {
    const std::string& c = comps[i];
    walked += (walked.empty() ? "" : "/") + c;
    int fd = ::openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), c.c_str(), 0755) != 0 && errno != EEXIST) {
        return Status::Errno("entry \"" + std::string(entry) + "\": creating " + walked);
      }
      fd = ::openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      int err = errno;
      struct stat st {};
      if (::fstatat(cur.get(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode)) {
          return Status::Error("entry \"" + std::string(entry) + "\": parent directory " +
                               walked + " is a symlink");
        }
        if (!S_ISDIR(st.st_mode)) {
          return Status::Error("entry \"" + std::string(entry) + "\": parent " + walked +
                               " is not a directory");
        }
      }
      return Status::Errno("entry \"" + std::string(entry) + "\": opening " + walked, err);
    }
    cur = UniqueFd(fd);
  }
  return cur;
}

Status RemoveTreeAt(int dir_fd, const std::string& name) {
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) return Status::Ok();
  if (errno != EISDIR) return Status::Errno("removing " + name);
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Status::Errno("opening " + name);
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    UniqueFd owner(fd);
    return Status::Errno("reading " + name);
  }
  std::vector<std::string> children;
  while (struct dirent* de = ::readdir(dir)) {
    std::string_view n = de->d_name;
    if (n != "." && n != "..") children.emplace_back(n);
  }
  Status status;
  for (const auto& child : children) {
    status = RemoveTreeAt(::dirfd(dir), child);
    if (!status.ok()) break;
  }
  ::closedir(dir);  // owns fd
  RETURN_IF_ERROR(status);
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return Status::Errno("removing directory " + name);
  }
  return Status::Ok();
}

Status RemoveTree(const std::string& path) {
  auto slash = path.rfind('/');
  std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Status::Ok() : Status::Errno("opening " + parent);
  UniqueFd owner(fd);
  return RemoveTreeAt(fd, name).WithContext("removing " + path);
}

}  // namespace hull::rootfs
