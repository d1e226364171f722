#include "bench/report.h"

#include <cmath>
#include <cstdio>

namespace hull::bench {

namespace {

nlohmann::json SummaryToJson(const Summary& s) {
  return {{"n", s.n}, {"median", s.median}, {"p10", s.low}, {"p90", s.high},
          {"min", s.min}, {"max", s.max}};
}

// Table cells must not break the table.
std::string Escape(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string CellText(const RuntimeInfo& runtime, const Measure& measure) {
  if (!runtime.unavailable.empty()) return "not run";
  auto it = measure.cells.find(runtime.id);
  if (it == measure.cells.end()) return "—";
  const Cell& cell = it->second;
  if (cell.failed) return "**failed** (below)";
  if (!cell.summary) return Escape(cell.note.empty() ? "—" : cell.note);
  const Summary& s = *cell.summary;
  std::string text = FormatNumber(s.median);
  if (s.n > 1) text += " (" + FormatNumber(s.low) + "–" + FormatNumber(s.high) + ")";
  if (!cell.note.empty()) text += " " + Escape(cell.note);
  return text;
}

std::string RuntimeStatus(const Report& report, const RuntimeInfo& r) {
  if (!r.unavailable.empty()) return "not run: " + Escape(r.unavailable);
  if (r.vm && !report.hardware_virtualization) return "measured — **not representative** (no hardware virtualization)";
  return "measured";
}

}  // namespace

std::string FormatNumber(double v) {
  char buf[64];
  double a = std::fabs(v);
  if (a >= 100 || v == std::floor(v)) std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (a >= 10) std::snprintf(buf, sizeof buf, "%.1f", v);
  else if (a >= 1) std::snprintf(buf, sizeof buf, "%.2f", v);
  else std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

nlohmann::json ReportToJson(const Report& report) {
  nlohmann::json j = {
      {"hull_version", report.hull_version},
      {"date", report.date},
      {"host", report.host},
      {"load_average", report.load_average},
      {"guest_execution", report.guest_execution},
      {"hardware_virtualization", report.hardware_virtualization},
      {"vm_numbers_representative", report.hardware_virtualization},
      {"quick", report.quick},
      {"notes", report.notes},
      {"runtimes", nlohmann::json::array()},
      {"measures", nlohmann::json::array()},
  };
  for (const auto& r : report.runtimes) {
    nlohmann::json rj = {{"id", r.id}, {"label", r.label}, {"vm", r.vm},
                         {"available", r.unavailable.empty()}};
    if (!r.unavailable.empty()) rj["unavailable"] = r.unavailable;
    j["runtimes"].push_back(rj);
  }
  for (const auto& m : report.measures) {
    nlohmann::json mj = {{"id", m.id}, {"title", m.title}, {"unit", m.unit},
                         {"higher_is_better", m.higher_is_better}, {"how", m.how},
                         {"results", nlohmann::json::object()}};
    for (const auto& [id, cell] : m.cells) {
      nlohmann::json cj = nlohmann::json::object();
      if (cell.summary) cj = SummaryToJson(*cell.summary);
      if (!cell.note.empty()) cj[cell.failed ? "error" : "note"] = cell.note;
      if (!cell.error.empty()) cj["error"] = cell.error;
      mj["results"][id] = cj;
    }
    j["measures"].push_back(mj);
  }
  return j;
}

std::string ReportToMarkdown(const Report& report,
                             const std::map<std::string, std::string>& chart_files) {
  std::string md = "# hull bench\n\n";
  md += std::string("- ") + (report.quick ? "`--quick` run" : "full run") + ", " + report.date +
        ", " + report.hull_version + "\n";
  md += "- host: " + report.host + "; load average at the start: " + report.load_average + "\n";
  md += "- guests executed with: **" + report.guest_execution + "**\n";
  for (const auto& note : report.notes) md += "- " + note + "\n";
  if (!report.hardware_virtualization) {
    md += "\n**VM numbers are not representative**: this host gave no hardware "
          "virtualization, so the micro-VM columns measure an emulated CPU, not what VM "
          "isolation costs on hardware.\n";
  }
  md += "\n## Runtimes\n\n| runtime | id | status |\n|---|---|---|\n";
  for (const auto& r : report.runtimes) {
    md += "| " + Escape(r.label) + " | `" + r.id + "` | " + RuntimeStatus(report, r) + " |\n";
  }
  md += "\n## Results\n\nmedian (p10–p90) over the repetitions.\n\n| measure | unit |";
  std::string rule = "|---|---|";
  for (const auto& r : report.runtimes) {
    md += " " + Escape(r.label) + (r.vm && !report.hardware_virtualization ? " ⚠" : "") + " |";
    rule += "---:|";
  }
  md += "\n" + rule + "\n";
  for (const auto& m : report.measures) {
    md += "| " + Escape(m.title) + " | " + m.unit + (m.higher_is_better ? " ↑" : " ↓") + " |";
    for (const auto& r : report.runtimes) md += " " + CellText(r, m) + " |";
    md += "\n";
  }
  md += "\n↓ lower is better, ↑ higher is better";
  if (!report.hardware_virtualization) md += "; ⚠ not representative (no hardware virtualization)";
  md += ".\n\n## What was run\n\n";
  for (const auto& m : report.measures) md += "- **" + Escape(m.title) + "**: " + m.how + "\n";
  std::string failures;
  for (const auto& m : report.measures) {
    for (const auto& [id, cell] : m.cells) {
      if (cell.failed || !cell.error.empty()) {
        failures += "- " + Escape(m.title) + ", `" + id + "`: " +
                    Escape(cell.failed ? cell.note : cell.note + " " + cell.error) + "\n";
      }
    }
  }
  if (!failures.empty()) md += "\n## Failures\n\n" + failures;
  if (!chart_files.empty()) {
    md += "\n## Charts\n\n";
    for (const auto& m : report.measures) {
      auto it = chart_files.find(m.id);
      if (it != chart_files.end()) md += "![" + Escape(m.title) + "](" + it->second + ")\n";
    }
  }
  return md;
}

}  // namespace hull::bench
