// The image → rootfs measure: how long hull takes to turn an image whose layers are in
// its store into what each runtime runs — the unpacked tree (namespace runtime) and,
// for micro-VMs, the read-only ext4 built from it — timed in-process on a private store.
// Called by `hull bench` on the main thread.
#pragma once

#include <string>
#include <vector>

#include "bench/report.h"
#include "bench/runtimes.h"

namespace hull::bench {

Measure MeasureImageToRootfs(const std::string& work, int reps, const std::vector<Runtime>& runtimes);

}  // namespace hull::bench
