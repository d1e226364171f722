#include "bench/stats.h"

#include <algorithm>
#include <cmath>

namespace hull::bench {

double NearestRank(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

Summary Summarize(std::vector<double> samples) {
  Summary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  size_t n = samples.size();
  s.n = static_cast<int>(n);
  s.median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  s.low = NearestRank(samples, 10);
  s.high = NearestRank(samples, 90);
  s.min = samples.front();
  s.max = samples.back();
  return s;
}

}  // namespace hull::bench
