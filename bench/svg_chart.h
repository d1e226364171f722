// hull bench's charts: a horizontal bar chart as a standalone SVG document — one bar per
// runtime at its median, an error bar from p10 to p90, the value beside it, and a grey
// note where a runtime has no number. Written by hand (no plotting dependency); a pure
// function called by the report writer.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hull::bench {

struct Bar {
  std::string label;
  std::optional<double> median;  // none: `note` is drawn instead of a bar
  double low = 0, high = 0;      // the error bar; equal to median for one sample
  std::string note;              // "not installed", "failed", ...
  bool highlight = false;        // drawn in the second colour (micro-VM runtimes)
};

struct BarChart {
  std::string title;
  std::string unit;
  std::string caption;  // one line under the bars
  std::vector<Bar> bars;
};

std::string BarChartSvg(const BarChart& chart);

// Text made safe for XML character data and attribute values.
std::string XmlEscape(const std::string& text);

}  // namespace hull::bench
