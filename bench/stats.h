// The statistics hull bench reports for each measure: the median of the repetitions and
// their spread (nearest-rank 10th and 90th percentiles, which are the minimum and the
// maximum for fewer than ten samples). Pure functions; called by the suite and the writers.
#pragma once

#include <vector>

namespace hull::bench {

struct Summary {
  int n = 0;
  double median = 0;
  double low = 0;   // nearest-rank p10
  double high = 0;  // nearest-rank p90
  double min = 0;
  double max = 0;
};

// The median of an even count is the mean of the two middle samples. An empty input
// gives a Summary with n == 0.
Summary Summarize(std::vector<double> samples);

// Nearest-rank percentile (0 < p <= 100) of sorted samples; 0 for none.
double NearestRank(const std::vector<double>& sorted, double p);

}  // namespace hull::bench
