// The measures of `hull bench` and the loop that runs them: for each measure, the
// repetitions interleaved across runtimes (so a burst of load hits all of them alike),
// each run's number taken from the program's exit, the first output, marker lines the
// container prints around its work, or the PSS of its process tree; a failed run is
// recorded with its error and the other runtimes go on. Runs on the main thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "bench/report.h"
#include "bench/runtimes.h"

namespace hull::bench {

struct SuiteOptions {
  bool quick = false;
  std::chrono::seconds run_timeout{180};  // one run; an idle instance's start
  // Called before each run: "start → exit of `true` · crun · 2/5".
  std::function<void(const std::string&)> progress;
};

// Measures every available runtime of `runtimes`. The runtimes that are not available
// get no cells (the report says why in their column).
std::vector<Measure> RunMeasures(const std::vector<Runtime>& runtimes, const SuiteOptions& options);

}  // namespace hull::bench
