#include "runtime/namespace/container_state.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <vector>

#include "base/logging.h"
#include "rootfs-builder/safe_path.h"

namespace hull::runtime::ns {

using base::Result;
using base::Status;

Result<ContainerDir> ContainerDir::Create(const std::string& state_root, const std::string& id) {
  if (::mkdir(state_root.c_str(), 0700) != 0 && errno != EEXIST) return Status::Errno("mkdir " + state_root);
  std::string path = state_root + "/" + id;
  if (::mkdir(path.c_str(), 0700) != 0) return Status::Errno("creating " + path);
  auto lock = base::OpenFile(path + "/lock", O_CREAT | O_RDWR, 0600);
  if (!lock.ok() || ::flock(lock->get(), LOCK_EX | LOCK_NB) != 0) {
    (void)rootfs::RemoveTree(path);
    return lock.ok() ? Status::Errno("locking " + path) : lock.status();
  }
  ContainerDir dir(path, std::move(*lock));
  for (const std::string& sub : {dir.upper(), dir.work(), dir.rootfs()}) {
    if (::mkdir(sub.c_str(), 0755) != 0) return Status::Errno("creating " + sub);
  }
  return dir;
}

ContainerDir::~ContainerDir() {
  if (path_.empty()) return;
  if (Status s = rootfs::RemoveTree(path_); !s.ok()) {
    HULL_LOG(kWarning) << s.message();
  }
}

namespace {

constexpr char kDockerHosts[] =
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n";

Status WriteNew(const std::string& path, const std::string& text) {
  ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644));
  return base::WriteFully(fd.get(), text.data(), text.size());
}

}  // namespace

std::string BridgeResolvConf(const std::string& host) {
  std::string out;
  bool nameserver = false;
  size_t start = 0;
  while (start < host.size()) {
    size_t end = host.find('\n', start);
    std::string line = host.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? host.size() : end + 1;
    std::istringstream words(line);
    std::string key, value;
    words >> key >> value;
    if (key == "nameserver") {
      if (value.rfind("127.", 0) == 0 || value == "::1") continue;
      nameserver = true;
    }
    out += line + "\n";
  }
  if (!nameserver) out += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
  return out;
}

Status WriteEtcFiles(const std::string& lower, const std::string& upper,
                     const std::string& hostname, bool host_network, const std::string& address) {
  struct stat st {};
  if (::lstat((lower + "/etc").c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Status::Ok();
  std::string etc = upper + "/etc";
  if (::mkdir(etc.c_str(), st.st_mode & 07777) != 0) return Status::Errno("mkdir " + etc);
  if (::chown(etc.c_str(), st.st_uid, st.st_gid) != 0) return Status::Errno("chown " + etc);
  RETURN_IF_ERROR(WriteNew(etc + "/hostname", hostname + "\n"));
  std::string hosts = kDockerHosts;
  if (host_network) {
    auto host = base::ReadFileToString("/etc/hosts", 1 << 20);
    if (host.ok()) hosts = *host;
  }
  if (!address.empty()) hosts += address + "\t" + hostname + "\n";
  RETURN_IF_ERROR(WriteNew(etc + "/hosts", hosts));
  if (!address.empty()) {
    auto resolv = base::ReadFileToString("/etc/resolv.conf", 1 << 20);
    RETURN_IF_ERROR(WriteNew(etc + "/resolv.conf", BridgeResolvConf(resolv.ok() ? *resolv : "")));
  }
  if (host_network) {
    if (auto resolv = base::ReadFileToString("/etc/resolv.conf", 1 << 20); resolv.ok()) {
      RETURN_IF_ERROR(WriteNew(etc + "/resolv.conf", *resolv));
    }
  }
  return Status::Ok();
}

void SweepStaleContainers(const std::string& state_root, const std::string& cgroup_root,
                          const std::string& cgroup_parent, CgroupVersion version) {
  DIR* dir = ::opendir(state_root.c_str());
  if (!dir) return;
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name.size() != 64 || name.find_first_not_of("0123456789abcdef") != std::string::npos) continue;
    auto lock = base::OpenFile(state_root + "/" + name + "/lock", O_RDWR);
    if (lock.ok() && ::flock(lock->get(), LOCK_EX | LOCK_NB) != 0) continue;  // owner alive
    struct stat st {};
    // No lock file: killed between mkdir and creating it — or being created right now.
    if (!lock.ok() && ::stat((state_root + "/" + name).c_str(), &st) == 0 &&
        st.st_mtime > ::time(nullptr) - 60) {
      continue;
    }
    stale.push_back(name);
  }
  ::closedir(dir);
  for (const auto& name : stale) {
    HULL_LOG(kInfo) << "removing container " << name << " left by a hull run that was killed";
    if (Status s = RemoveCgroupByName(cgroup_root, version, cgroup_parent + "/" + name); !s.ok()) {
      HULL_LOG(kWarning) << s.message();
      continue;
    }
    if (Status s = rootfs::RemoveTree(state_root + "/" + name); !s.ok()) {
      HULL_LOG(kWarning) << s.message();
    }
  }
}

}  // namespace hull::runtime::ns
