#include "bench/report_files.h"

#include <filesystem>
#include <fstream>

#include "bench/svg_chart.h"

namespace hull::bench {

namespace fs = std::filesystem;

BarChart ChartOf(const Report& report, const Measure& m) {
  BarChart chart{m.title, m.unit, "", {}};
  chart.caption = std::string("median; error bar p10–p90; ") +
                  (m.higher_is_better ? "higher" : "lower") + " is better";
  if (!report.hardware_virtualization) chart.caption += "; VM bars (orange) not representative: no hardware virtualization";
  for (const auto& r : report.runtimes) {
    Bar bar;
    bar.label = r.label;
    bar.highlight = r.vm;
    auto it = m.cells.find(r.id);
    if (!r.unavailable.empty()) {
      bar.note = "not run";
    } else if (it == m.cells.end()) {
      bar.note = "—";
    } else if (it->second.failed) {
      bar.note = "failed (see report.md)";
    } else if (!it->second.summary) {
      bar.note = it->second.note;
    } else {
      bar.median = it->second.summary->median;
      bar.low = it->second.summary->low;
      bar.high = it->second.summary->high;
    }
    chart.bars.push_back(bar);
  }
  return chart;
}

bool WriteReportDirectory(const Report& report, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir + "/charts", ec);
  if (ec) return false;
  std::map<std::string, std::string> charts;
  for (const auto& m : report.measures) {
    bool any = false;
    for (const auto& [id, cell] : m.cells) any |= cell.summary.has_value();
    if (!any) continue;
    std::string name = "charts/" + m.id + ".svg";
    std::ofstream(dir + "/" + name) << BarChartSvg(ChartOf(report, m));
    charts[m.id] = name;
  }
  std::ofstream(dir + "/results.json") << ReportToJson(report).dump(2) << "\n";
  std::ofstream md(dir + "/report.md");
  md << ReportToMarkdown(report, charts);
  return static_cast<bool>(md);
}

}  // namespace hull::bench
