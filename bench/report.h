// What one `hull bench` run found: the host, how guests executed on it, the runtimes
// (with why one was not run) and, per measure, one cell per runtime — a Summary, or the
// reason there is none (not installed, failed with its error, not applicable). Written
// by the suite on the main thread; turned into results.json and report.md here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/stats.h"

namespace hull::bench {

struct RuntimeInfo {
  std::string id;           // "ns", "vm-qemu", "crun", ...
  std::string label;        // column heading: "hull ns", "crun 1.8.1"
  bool vm = false;          // its numbers depend on how guests executed
  std::string unavailable;  // non-empty: not run, and why
};

struct Cell {
  std::optional<Summary> summary;
  std::string note;     // shown beside the number, or instead of it when there is none
  bool failed = false;  // every run failed; note is the error
  std::string error;    // some runs failed (note says how many): the first one's error
};

struct Measure {
  std::string id;      // "start_exit"
  std::string title;   // "start → exit of `true`"
  std::string unit;    // "ms", "MiB", "MiB/s", "instances"
  bool higher_is_better = false;
  std::string how;     // one sentence: what exactly was run and timed
  std::map<std::string, Cell> cells;  // by runtime id
};

struct Report {
  std::string hull_version;
  std::string date;          // UTC, ISO 8601
  std::string host;          // "2 × AMD EPYC ..., Linux 6.18"
  std::string load_average;  // at the start
  std::string guest_execution;  // "TCG (no hardware virtualization): ..."
  bool hardware_virtualization = false;
  bool quick = false;
  std::vector<std::string> notes;  // further lines for the header
  std::vector<RuntimeInfo> runtimes;
  std::vector<Measure> measures;
};

nlohmann::json ReportToJson(const Report& report);

// The Markdown report: header, one table with a row per measure and a column per
// runtime ("median (low–high)"), the failures in full, and the chart files' links.
// `chart_files` maps a measure id to its SVG's file name (relative to report.md).
std::string ReportToMarkdown(const Report& report,
                             const std::map<std::string, std::string>& chart_files = {});

// A number as the report prints it: three significant digits, no exponent.
std::string FormatNumber(double value);

}  // namespace hull::bench
