// The image commands (images, pull, rmi, load, import) when hulld runs: the same output
// as in direct mode, from hulld's image endpoints instead of the local store. Each
// command's file calls its function here once FindDaemon has found hulld.
#pragma once

#include <string>
#include <vector>

#include "cli/daemon.h"

namespace hull::cli {

// `filters_query`: "" or FiltersQuery's "&filters=...".
int DaemonImages(const Daemon& d, bool quiet, const std::string& filters_query = "");
int DaemonPullCommand(const Daemon& d, const std::string& reference, bool quiet);
int DaemonRmi(const Daemon& d, const std::vector<std::string>& refs);
int DaemonLoad(const Daemon& d, const std::string& input);
int DaemonImport(const Daemon& d, const std::string& source, const std::string& reference);

}  // namespace hull::cli
