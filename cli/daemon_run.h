// `hull run` and `hull create` through hulld, as the docker CLI does them: create
// (pulling the image when hulld lacks it), then for an attached run attach before start
// so no output is lost, wait (condition next-exit, or removed with --rm), start, relay
// the streams with signals forwarded to the container, and exit with its status.
// `hull start -a` shares the attach/start/wait part. Main thread only.
#pragma once

#include <string>

#include "cli/container_flags.h"
#include "cli/daemon.h"

namespace hull::cli {

int DaemonRun(const Daemon& d, const RunOptions& o);
int DaemonCreate(const Daemon& d, const RunOptions& o);

struct AttachOptions {
  bool tty = false;
  bool send_stdin = false;
  bool sig_proxy = true;
  bool auto_remove = false;
  std::string detach_keys;  // --detach-keys as given; "": Docker's ctrl-p,ctrl-q
  bool start = true;        // false: `hull attach` to a container that already runs
};
// Attaches to container `id`, starts it (unless !a.start) and returns its exit status once it has ended
// (or `failure_exit` after printing why hull could not; 0 when the user typed the detach
// keys, leaving it running).
int AttachStartWait(const Daemon& d, const std::string& id, const AttachOptions& a, int failure_exit);

// POST /images/create?fromImage=REF with Docker's progress lines on stderr; false after
// printing hulld's error.
bool DaemonPull(const Daemon& d, const std::string& reference, bool quiet);

}  // namespace hull::cli
