// `hull bench`: runs the side-by-side comparison of hull's runtimes and the peers
// installed on this host and writes a report directory (results.json, report.md,
// charts/*.svg). Called by the hull CLI's dispatcher (cli/commands.cc) on its main
// thread; returns the exit status.
#pragma once

#include <string>
#include <vector>

namespace hull::bench {

int RunBench(const std::vector<std::string>& args);

}  // namespace hull::bench
