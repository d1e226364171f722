// The `hull` command line: one sub-command per file, git-style. Each sub-command parses
// its own arguments (Boost.Program_options, through ParseCommandLine) and returns the
// process exit status. Later issues add their commands (run, ps, ...) to commands.cc.
#pragma once

#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "base/status.h"
#include "rootfs-builder/content_store.h"

namespace hull::cli {

namespace po = boost::program_options;

using CommandFn = int (*)(const std::vector<std::string>& args);

struct Command {
  const char* name;     // "pull", or "image inspect" for a command under a group
  const char* summary;  // one line for `hull --help`
  CommandFn run;
};

const std::vector<Command>& Commands();

// Exit statuses, as Docker's CLI uses them: 1 for a failed operation, 2 for misuse, 125
// when `run`/`create` fail before the container's own status exists.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRunFailure = 125;

// Options every command takes: --root (default HULL_ROOT, else /var/lib/hull). The
// --root flag means the local store in direct mode even while a hulld runs (cli/daemon.h).
struct CommonOptions {
  std::string root;
  bool root_given = false;
};

// Parses `args` against `options` (+ --root, --help) with `positional` names; on error
// or --help prints and returns the exit status to use.
std::optional<int> ParseCommandLine(const std::vector<std::string>& args, const char* usage,
                                    po::options_description& options,
                                    const po::positional_options_description& positional,
                                    po::variables_map& vm, CommonOptions& common);

base::Result<rootfs::ContentStore> OpenStore(const CommonOptions& common);

// Docker's image sizes: 2.0MB, 1.23GB.
std::string HumanSize(int64_t bytes);

// Prints "hull: <message>" and returns kExitFailure.
int Fail(const base::Status& status);

// Command entry points (one file each).
int RunPull(const std::vector<std::string>& args);
int RunLoad(const std::vector<std::string>& args);
int RunImport(const std::vector<std::string>& args);
int RunImages(const std::vector<std::string>& args);
int RunRmi(const std::vector<std::string>& args);
int RunImageInspect(const std::vector<std::string>& args);
int RunImageRootfs(const std::vector<std::string>& args);
int RunRun(const std::vector<std::string>& args);
int RunCreate(const std::vector<std::string>& args);    // run.cc
int RunStart(const std::vector<std::string>& args);     // container_commands.cc
int RunStop(const std::vector<std::string>& args);      // container_commands.cc
int RunRestart(const std::vector<std::string>& args);   // container_commands.cc
int RunKill(const std::vector<std::string>& args);      // container_commands.cc
int RunRm(const std::vector<std::string>& args);        // container_commands.cc
int RunWait(const std::vector<std::string>& args);      // container_commands.cc
int RunPs(const std::vector<std::string>& args);        // ps.cc
int RunLogs(const std::vector<std::string>& args);      // logs.cc
int RunInspect(const std::vector<std::string>& args);   // inspect.cc
int RunExec(const std::vector<std::string>& args);      // exec.cc
int RunPort(const std::vector<std::string>& args);      // port.cc
int RunStats(const std::vector<std::string>& args);     // stats.cc
int RunEvents(const std::vector<std::string>& args);    // events.cc
int RunAttach(const std::vector<std::string>& args);    // attach.cc

}  // namespace hull::cli

namespace hull::cli {
// The image a user means by `text`: a name as stored, a reference Docker-normalized
// ("busybox" → docker.io/library/busybox:latest), or an ID (config digest, or a prefix
// of its hex of at least 12 characters).
base::Result<rootfs::ImageRecord> FindImage(const rootfs::ContentStore& store,
                                            const std::string& text);
}  // namespace hull::cli
