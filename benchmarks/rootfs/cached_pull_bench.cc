// Times rootfs::Pull in one process, as hulld will run it: one cold pull (download,
// verify, unpack, ext4) and then repeated cached pulls of the same reference (the
// registry is still asked for the manifest; everything else is found by digest and chain
// ID). Prints one JSON object. Used by benchmarks/rootfs/run.sh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "rootfs-builder/content_store.h"
#include "rootfs-builder/pull.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s STORE_ROOT REF [ITERATIONS]\n", argv[0]);
    return 2;
  }
  int iterations = argc > 3 ? std::atoi(argv[3]) : 50;
  auto store = hull::rootfs::ContentStore::Open(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    return 1;
  }
  using Clock = std::chrono::steady_clock;
  auto pull = [&]() -> double {
    auto start = Clock::now();
    auto r = hull::rootfs::Pull(*store, argv[2], {}, nullptr);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!r.ok()) {
      std::fprintf(stderr, "pull: %s\n", r.status().message().c_str());
      std::exit(1);
    }
    return ms;
  };
  double cold = pull();
  std::vector<double> cached;
  for (int i = 0; i < iterations; ++i) cached.push_back(pull());
  std::sort(cached.begin(), cached.end());
  std::printf("{\"cold_ms\": %.3f, \"cached_median_ms\": %.3f, \"cached_min_ms\": %.3f, "
              "\"cached_max_ms\": %.3f, \"iterations\": %d}\n",
              cold, cached[cached.size() / 2], cached.front(), cached.back(), iterations);
  return 0;
}
