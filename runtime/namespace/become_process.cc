#include "runtime/namespace/become_process.h"

#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"
#include "runtime/namespace/container.h"
#include "runtime/namespace/seccomp_profile.h"
#include "runtime/namespace/sync_socket.h"
#include "runtime/namespace/user.h"

namespace hull::runtime::ns {

using base::Status;

void Die(int ctl, int status, const std::string& message) {
  (void)SendSync(ctl, "error " + std::to_string(status) + " " + message);
  ::_exit(status);
}

namespace {

std::string ReadOrEmpty(const std::string& path) {
  auto text = base::ReadFileToString(path, 16u << 20);
  return text.ok() ? *text : "";
}

std::string EnvValue(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env) {
    if (e.compare(0, key.size() + 1, key + "=") == 0) return e.substr(key.size() + 1);
  }
  return "";
}

Status MkdirAll(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string cur = path.substr(0, pos);
    if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) return Status::Errno("mkdir " + cur);
  }
  return Status::Ok();
}

// The program as execve would find it through the container's PATH, or Docker's exit
// status and message when it is not there.
std::string FindProgram(int ctl, const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = EnvValue(env, "PATH");
  for (size_t start = 0;;) {
    size_t end = path.find(':', start);
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  Die(ctl, kExitNotFound, "exec: \"" + name + "\": executable file not found in $PATH");
}

}  // namespace

void BecomeProcess(int ctl, const BecomeOptions& o) {
  auto user = ResolveUser(o.process.user, ReadOrEmpty("/etc/passwd"), ReadOrEmpty("/etc/group"));
  Check(ctl, user.status());
  std::vector<std::string> env = o.process.env;
  if (EnvValue(env, "HOME").empty()) env.push_back("HOME=" + user->home);
  if (o.make_cwd) Check(ctl, MkdirAll(o.process.cwd));

  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we have it
  // (everything after it — prctl, setgroups, setresuid, capset, chdir, execve — is allowed).
  bool seccomp_early = !o.seccomp.empty() && !o.no_new_privileges;
  if (seccomp_early) Check(ctl, InstallSeccomp(o.seccomp));
  Check(ctl, DropBoundingCaps(o.caps));
  if (::setgroups(user->groups.size(), user->groups.data()) != 0 ||
      ::setresgid(user->gid, user->gid, user->gid) != 0 ||
      ::setresuid(user->uid, user->uid, user->uid) != 0) {
    Die(ctl, kExitRuntimeError, Status::Errno("switching to user " + o.process.user).message());
  }
  // Changing credentials cleared the parent-death signal; set it again and, where the
  // peer is the supervisor, make sure it did not die in between.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  char probe;
  if (o.supervisor_on_ctl && ::recv(ctl, &probe, 1, MSG_DONTWAIT | MSG_PEEK) == 0) ::_exit(kExitRuntimeError);
  if (user->uid == 0) Check(ctl, SetProcessCaps(o.caps));
  if (::chdir(o.process.cwd.c_str()) != 0) {
    Die(ctl, o.cwd_status,
        Status::Errno("chdir to cwd (\"" + o.process.cwd + "\") set in config.json failed").message());
  }
  if (o.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    Die(ctl, kExitRuntimeError, Status::Errno("PR_SET_NO_NEW_PRIVS").message());
  }
  std::string program = FindProgram(ctl, o.process.argv[0], env);
  std::vector<char*> argv, envp;
  for (const auto& a : o.process.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  if (!o.seccomp.empty() && !seccomp_early) Check(ctl, InstallSeccomp(o.seccomp));
  ::execve(program.c_str(), argv.data(), envp.data());
  int err = errno;
  Die(ctl, err == ENOENT ? kExitNotFound : kExitNotExecutable,
      "exec: \"" + o.process.argv[0] + "\": " + std::strerror(err));
}

}  // namespace hull::runtime::ns
