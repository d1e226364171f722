#include "jailer/jailer_args.h"

#include <charconv>
#include <map>

namespace hull::jailer {
namespace {

using base::Result;
using base::Status;

std::optional<uint64_t> ParseNumber(std::string_view text) {
  uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  if (err != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Result<uint32_t> ParseId32(std::string_view flag, std::string_view text) {
  std::optional<uint64_t> n = ParseNumber(text);
  if (!n || *n == 0 || *n >= 0xffffffffu) {
    return Status::Error(std::string(flag) + " " + std::string(text) +
                         ": give a decimal id other than 0 (root keeps its capabilities)");
  }
  return static_cast<uint32_t>(*n);
}

// memory.max=BYTES | cpu.max="QUOTA [PERIOD]" | pids.max=N: cgroup v2's file names, which
// the shared cgroup layer (runtime/namespace/cgroups.h) writes as v1 files on v1 hosts.
Status ParseCgroup(std::string_view text, runtime::ns::CgroupLimits& limits) {
  size_t eq = text.find('=');
  std::string key(text.substr(0, eq));
  std::string_view value = eq == std::string_view::npos ? "" : text.substr(eq + 1);
  auto bad = [&](const char* want) {
    return Status::Error("--cgroup " + std::string(text) + ": " + want);
  };
  if (key == "memory.max") {
    std::optional<uint64_t> n = ParseNumber(value);
    if (!n || *n < (1u << 20)) return bad("give the VMM's memory limit in bytes (at least 1 MiB)");
    limits.memory_bytes = static_cast<int64_t>(*n);
    limits.memory_swap_bytes = -1;  // the guest's RAM may be swapped like any process's
    return Status::Ok();
  }
  if (key == "cpu.max") {
    size_t space = value.find(' ');
    std::optional<uint64_t> quota = ParseNumber(value.substr(0, space));
    std::optional<uint64_t> period =
        space == std::string_view::npos ? 100000 : ParseNumber(value.substr(space + 1));
    if (!quota || !period || *quota < 1000 || *period < 1000 || *period > 1000000) {
      return bad("give \"QUOTA [PERIOD]\" in microseconds (each at least 1000, period at most 1 s)");
    }
    limits.cpu_quota_us = static_cast<int64_t>(*quota);
    limits.cpu_period_us = static_cast<int64_t>(*period);
    return Status::Ok();
  }
  if (key == "pids.max") {
    std::optional<uint64_t> n = ParseNumber(value);
    if (!n || *n == 0 || *n > (1u << 22)) return bad("give the most tasks (threads) the VMM may have");
    limits.pids_max = static_cast<int64_t>(*n);
    return Status::Ok();
  }
  return bad("the jailer sets memory.max, cpu.max and pids.max");
}

Status ParseResourceLimits(std::string_view text, JailerArgs& args) {
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? "" : text.substr(comma + 1);
    size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::optional<uint64_t> n =
        eq == std::string_view::npos ? std::nullopt : ParseNumber(item.substr(eq + 1));
    if (!n) return Status::Error("--resource-limit " + std::string(item) + ": give NAME=NUMBER");
    if (key == "fsize") {
      args.rlimit_fsize = *n;
    } else if (key == "no-file") {
      if (*n < 16) return Status::Error("--resource-limit no-file: at least 16");
      args.rlimit_nofile = *n;
    } else {
      return Status::Error("--resource-limit " + std::string(item) + ": known are fsize and no-file");
    }
  }
  return Status::Ok();
}

// SOURCE[:TARGET][:ro]: paths with a ':' of their own cannot be bound.
Result<BindMount> ParseBind(std::string_view text) {
  auto bad = [&](const std::string& why) { return Status::Error("--bind " + std::string(text) + ": " + why); };
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    size_t colon = text.find(':', start);
    parts.emplace_back(text.substr(start, colon == std::string_view::npos ? text.npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  BindMount bind{parts[0], "", false};
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i] == "ro" && i == parts.size() - 1) {
      bind.read_only = true;
    } else if (i == 1 && !parts[i].empty() && parts[i][0] == '/') {
      bind.target = parts[i];
    } else {
      return bad("give SOURCE[:TARGET][:ro] (paths with a ':' cannot be bound)");
    }
  }
  if (bind.target.empty()) bind.target = bind.source;
  for (std::string* path : {&bind.source, &bind.target}) {
    while (path->size() > 1 && path->back() == '/') path->pop_back();
  }
  RETURN_IF_ERROR(CheckAbsolutePath("--bind", bind.source));
  RETURN_IF_ERROR(CheckAbsolutePath("--bind", bind.target));
  // The jail's own places: binding over them would hide or replace what the jailer made.
  for (std::string_view reserved : {"/", "/dev", "/proc"}) {
    if (bind.target == reserved ||
        (reserved != "/" && bind.target.starts_with(std::string(reserved) + "/"))) {
      return bad("/ , /dev and /proc are the jail's own");
    }
  }
  return bind;
}

}  // namespace

Status CheckId(std::string_view id) {
  if (id.empty() || id.size() > 64) return Status::Error("--id: 1 to 64 characters");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return Status::Error("--id " + std::string(id) + ": only letters, digits and '-'");
  }
  return Status::Ok();
}

Status CheckAbsolutePath(std::string_view what, std::string_view path) {
  auto bad = [&](const char* why) {
    return Status::Error(std::string(what) + " " + std::string(path) + ": " + why);
  };
  if (path.empty() || path[0] != '/') return bad("must be an absolute path");
  if (path.find('\0') != std::string_view::npos) return bad("contains a NUL byte");
  size_t pos = 1;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    std::string_view part = path.substr(pos, slash == std::string_view::npos ? path.npos : slash - pos);
    if (part == "." || part == "..") return bad("'.' and '..' are not allowed");
    if (part.empty() && slash != std::string_view::npos) return bad("empty path component ('//')");
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  return Status::Ok();
}

Result<JailerArgs> ParseJailerArgs(int argc, const char* const* argv, JailMode mode) {
  JailerArgs args;
  args.mode = mode;
  bool have_uid = false, have_gid = false;
  int i = 1;
  auto value = [&](std::string_view flag) -> Result<std::string> {
    if (i + 1 >= argc) return Status::Error(std::string(flag) + " needs a value");
    return std::string(argv[++i]);
  };
  for (; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--") {
      for (++i; i < argc; ++i) args.vmm_args.emplace_back(argv[i]);
      break;
    }
    if (flag == "--daemonize") { args.daemonize = true; continue; }
    if (flag == "--no-supervisor") { args.no_supervisor = true; continue; }
    if (flag == "--cleanup") { args.cleanup = true; continue; }
    ASSIGN_OR_RETURN(std::string v, value(flag));
    if (flag == "--id") {
      args.id = v;
    } else if (flag == "--exec-file") {
      if (mode == JailMode::kSelf)
        return Status::Error("--exec-file: hull-vmm --jail jails hull-vmm itself (hull-jailer execs other binaries)");
      args.exec_file = v;
    } else if (flag == "--uid") {
      ASSIGN_OR_RETURN(args.uid, ParseId32(flag, v));
      have_uid = true;
    } else if (flag == "--gid") {
      ASSIGN_OR_RETURN(args.gid, ParseId32(flag, v));
      have_gid = true;
    } else if (flag == "--chroot-base") {
      while (v.size() > 1 && v.back() == '/') v.pop_back();
      args.chroot_base = v;
    } else if (flag == "--cgroup-root") {
      args.cgroup_root = v;
    } else if (flag == "--netns") {
      RETURN_IF_ERROR(CheckAbsolutePath(flag, v));
      args.netns = v;
    } else if (flag == "--cgroup") {
      RETURN_IF_ERROR(ParseCgroup(v, args.cgroup));
      args.has_cgroup = true;
    } else if (flag == "--resource-limit") {
      RETURN_IF_ERROR(ParseResourceLimits(v, args));
    } else if (flag == "--bind") {
      ASSIGN_OR_RETURN(BindMount bind, ParseBind(v));
      args.binds.push_back(std::move(bind));
    } else {
      return Status::Error("unknown flag " + std::string(flag) + " (hull-vmm's flags go after --)");
    }
  }
  RETURN_IF_ERROR(CheckId(args.id));
  RETURN_IF_ERROR(CheckAbsolutePath("--chroot-base", args.chroot_base));
  RETURN_IF_ERROR(CheckAbsolutePath("--cgroup-root", args.cgroup_root));
  if (args.cleanup) return args;
  bool exec = mode == JailMode::kExec;
  if (exec && args.exec_file.empty()) return Status::Error("--exec-file is required");
  if (exec) RETURN_IF_ERROR(CheckAbsolutePath("--exec-file", args.exec_file));
  if (exec && args.exec_file.back() == '/') return Status::Error("--exec-file must name a file");
  if (!have_uid || !have_gid) return Status::Error("--uid and --gid are required");
  if (args.daemonize && args.no_supervisor) {
    return Status::Error("--daemonize and --no-supervisor: one or the other (--daemonize leaves a "
                         "detached supervisor)");
  }
  std::string exec_name = PathsFor(args).exec_name;
  std::map<std::string, int> seen;
  // The jail's root is mounted on --chroot-base (in the jail's mount namespace): what is
  // below it there cannot be bound in.
  const std::string& base = args.chroot_base;
  if (base == "/") return Status::Error("--chroot-base /: give a directory of its own (the jail's root is mounted on it)");
  auto below_base = [&](const std::string& path) {
    return path == base || path.starts_with(base + "/");
  };
  if (exec && below_base(args.exec_file)) {
    return Status::Error("--exec-file " + args.exec_file + ": inside --chroot-base " + base +
                         ", which the jail's root covers");
  }
  for (const BindMount& bind : args.binds) {
    if (below_base(bind.source)) {
      return Status::Error("--bind " + bind.source + ": inside --chroot-base " + base +
                           ", which the jail's root covers");
    }
    if (exec && (bind.target == "/" + exec_name || bind.target.starts_with("/" + exec_name + "."))) {
      return Status::Error("--bind " + bind.target + ": the VMM binary's place in the jail");
    }
    if (seen[bind.target]++) return Status::Error("--bind: " + bind.target + " in the jail given twice");
    for (const BindMount& other : args.binds) {
      if (&other != &bind && bind.target.starts_with(other.target + "/")) {
        return Status::Error("--bind: " + bind.target + " lies inside " + other.target +
                             ", bound too (bind them apart)");
      }
    }
  }
  return args;
}

JailPaths PathsFor(const JailerArgs& args) {
  JailPaths p;
  p.exec_name = args.exec_file.substr(args.exec_file.rfind('/') + 1);
  if (p.exec_name.empty()) p.exec_name = "hull-vmm";  // kSelf, or --cleanup without --exec-file
  const std::string& base = args.chroot_base;  // the parser dropped trailing '/'s
  p.dir = (base == "/" ? "" : base) + "/" + p.exec_name + "/" + args.id;
  p.pid_file = p.dir + "/" + p.exec_name + ".pid";
  p.cgroup_name = "hull-jailer/" + args.id;
  p.cleanup_command = args.mode == JailMode::kSelf ? "hull-vmm --jail --cleanup" : "hull-jailer --cleanup";
  return p;
}

std::string JailerUsage(JailMode mode) {
  const char* rest =
      "         [--netns PATH] [--cgroup memory.max=BYTES|cpu.max=\"QUOTA [PERIOD]\"|pids.max=N]...\n"
      "         [--cgroup-root DIR] [--resource-limit fsize=N,no-file=N] [--bind SOURCE[:TARGET][:ro]]...\n"
      "         [--daemonize | --no-supervisor] -- HULL-VMM-ARGS...\n";
  if (mode == JailMode::kSelf) {
    return std::string("usage: hull-vmm --jail --id ID --uid U --gid G [--chroot-base DIR]\n") + rest +
           "       hull-vmm --jail --cleanup --id ID [--chroot-base DIR] [--cgroup-root DIR]\n"
           "Builds hull-jailer's jail around hull-vmm itself (no second exec) and runs the VMM\n"
           "in it with HULL-VMM-ARGS; a supervisor stays outside (forwards signals, cleans up).\n"
           "--no-supervisor: started as PID 1 of a new PID namespace (clone(CLONE_NEWPID),\n"
           "unshare --pid --fork), the process jails itself and nothing stays outside (how hull\n"
           "starts it); its caller runs --cleanup once it ends. See docs/hull-vmm.md, \"Jailer\".\n";
  }
  return std::string("usage: hull-jailer --id ID --exec-file PATH --uid U --gid G [--chroot-base DIR]\n") +
         rest +
         "       hull-jailer --cleanup --id ID [--exec-file PATH] [--chroot-base DIR] [--cgroup-root DIR]\n"
         "See docs/hull-vmm.md, \"Jailer\".\n";
}

}  // namespace hull::jailer
