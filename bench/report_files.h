// The report directory `hull bench` writes: results.json, report.md and one SVG bar
// chart per measure with numbers (charts/<measure id>.svg), linked from report.md.
// Called by the bench command on the main thread.
#pragma once

#include <string>

#include "bench/report.h"
#include "bench/svg_chart.h"

namespace hull::bench {

// One bar per runtime, in the report's order; a runtime without a number gets its note.
BarChart ChartOf(const Report& report, const Measure& measure);

// Writes the files into `dir` (created if missing); false if they could not be written.
bool WriteReportDirectory(const Report& report, const std::string& dir);

}  // namespace hull::bench
