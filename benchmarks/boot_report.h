// The boot benchmark's results: per VMM and metric the samples of one run, summarized
// as median and p90, compared as ratios against the peer VMM and checked against
// hull's targets; rendered as Markdown (for people, benchmarks/results/latest.md) and
// JSON (for tools). Filled and rendered by vmm_boot_bench.cc on its only thread.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hull::benchmarks {

struct Summary {
  size_t count = 0;  // 0: no samples, the rest is meaningless
  double median = 0;
  double p90 = 0;  // nearest rank: the ceil(0.9 n)-th smallest sample
  double min = 0;
  double max = 0;
};
Summary Summarize(std::vector<double> samples);

struct MetricSpec {
  std::string key;    // JSON name, e.g. "first_serial_byte_ms"
  std::string title;  // table row, e.g. "start → first serial byte"
  std::string unit;   // "ms", "MiB"
};

struct VmmResults {
  std::string key;    // "hull_vmm_elf"
  std::string title;  // "hull-vmm (ELF)"
  std::vector<std::string> commands;  // as run, for the report
  std::map<std::string, std::vector<double>> samples;  // metric key → samples
  // metric key → the repetition each sample came from (same order; -1: unknown): a
  // sample and the peer's of the same repetition were measured moments apart.
  std::map<std::string, std::vector<int>> sample_reps;
  std::map<std::string, std::string> not_available;    // metric key → why
  std::set<std::string> guest_ram_mappings;  // smaps names counted as guest RAM
};

struct Target {
  std::string title;       // "first guest instruction ≤ 5 ms"
  std::string vmm_key;     // whose median is checked
  std::string metric_key;
  double limit = 0;        // met when median ≤ limit
  bool ratio_to_peer = false;  // the limit is on the ratio to the peer instead: the paired
                               // ratio when there is one, else median / the peer's median
};

struct BootReport {
  std::vector<std::pair<std::string, std::string>> environment;  // label → value
  std::vector<std::string> warnings;  // printed loudly at the top
  std::vector<std::string> notes;     // how the numbers were taken
  std::vector<MetricSpec> metrics;
  std::vector<VmmResults> vmms;
  std::string peer_key;               // ratios are "<vmm> / <peer>"
  std::vector<Target> targets;
  std::vector<std::string> failures;  // runs that did not behave as expected
  std::vector<std::string> runs;      // when each run pooled here started (one: no pooling)
};

std::string RenderMarkdown(const BootReport& report);
nlohmann::json RenderJson(const BootReport& report);

}  // namespace hull::benchmarks
