#include "benchmarks/boot_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>

namespace hull::benchmarks {
namespace {

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), std::fabs(v) < 10 ? "%.2f" : "%.1f", v);
  return buf;
}

const VmmResults* FindVmm(const BootReport& report, const std::string& key) {
  for (const VmmResults& vmm : report.vmms) {
    if (vmm.key == key) return &vmm;
  }
  return nullptr;
}

Summary SummaryOf(const VmmResults* vmm, const std::string& metric) {
  if (vmm == nullptr) return {};
  auto it = vmm->samples.find(metric);
  if (it == vmm->samples.end()) return {};
  return Summarize(it->second);
}

std::string Cell(const VmmResults& vmm, const std::string& metric) {
  Summary s = SummaryOf(&vmm, metric);
  return s.count > 0 ? Number(s.median) + " / " + Number(s.p90) : "n/a";
}

std::optional<std::pair<double, double>> Ratio(const VmmResults& vmm, const VmmResults& peer,
                                               const std::string& metric) {
  Summary a = SummaryOf(&vmm, metric);
  Summary b = SummaryOf(&peer, metric);
  if (a.count == 0 || b.count == 0 || b.median <= 0 || b.p90 <= 0) return std::nullopt;
  return std::make_pair(a.median / b.median, a.p90 / b.p90);
}

// The ratio to the peer within each repetition (the two measured moments apart), over
// the repetitions both have: slow drifts of a shared host's load cancel out of it.
Summary PairedRatio(const VmmResults& vmm, const VmmResults& peer, const std::string& metric) {
  auto samples = vmm.samples.find(metric), peer_samples = peer.samples.find(metric);
  auto reps = vmm.sample_reps.find(metric), peer_reps = peer.sample_reps.find(metric);
  if (samples == vmm.samples.end() || peer_samples == peer.samples.end() ||
      reps == vmm.sample_reps.end() || peer_reps == peer.sample_reps.end()) {
    return {};
  }
  std::map<int, double> peer_by_rep;
  for (size_t i = 0; i < peer_reps->second.size() && i < peer_samples->second.size(); ++i) {
    if (peer_reps->second[i] >= 0) peer_by_rep[peer_reps->second[i]] = peer_samples->second[i];
  }
  std::vector<double> ratios;
  for (size_t i = 0; i < reps->second.size() && i < samples->second.size(); ++i) {
    auto it = peer_by_rep.find(reps->second[i]);
    if (reps->second[i] >= 0 && it != peer_by_rep.end() && it->second > 0) {
      ratios.push_back(samples->second[i] / it->second);
    }
  }
  return Summarize(std::move(ratios));
}

// What a target is judged on: the median, or its ratio to the peer's (paired where the
// repetitions are known); none when unmeasured.
std::optional<double> TargetValue(const BootReport& report, const Target& target) {
  const VmmResults* vmm = FindVmm(report, target.vmm_key);
  const VmmResults* peer = FindVmm(report, report.peer_key);
  if (target.ratio_to_peer) {
    if (vmm == nullptr || peer == nullptr) return std::nullopt;
    if (Summary paired = PairedRatio(*vmm, *peer, target.metric_key); paired.count > 0) {
      return paired.median;
    }
    auto r = Ratio(*vmm, *peer, target.metric_key);
    return r ? std::optional<double>(r->first) : std::nullopt;
  }
  Summary s = SummaryOf(vmm, target.metric_key);
  return s.count > 0 ? std::optional<double>(s.median) : std::nullopt;
}

void RenderTable(const BootReport& report, std::ostringstream& md) {
  const VmmResults* peer = FindVmm(report, report.peer_key);
  md << "| metric |";
  for (const VmmResults& vmm : report.vmms) md << " " << vmm.title << " median / p90 |";
  for (const VmmResults& vmm : report.vmms) {
    if (peer && &vmm != peer) md << " " << vmm.title << " / " << peer->title << " |";
  }
  md << "\n|---|";
  for (size_t i = 0; i < report.vmms.size(); ++i) md << "---:|";
  for (const VmmResults& vmm : report.vmms) {
    if (peer && &vmm != peer) md << "---:|";
  }
  md << "\n";
  for (const MetricSpec& metric : report.metrics) {
    md << "| " << metric.title << " (" << metric.unit << ") |";
    for (const VmmResults& vmm : report.vmms) md << " " << Cell(vmm, metric.key) << " |";
    for (const VmmResults& vmm : report.vmms) {
      if (!peer || &vmm == peer) continue;
      if (auto r = Ratio(vmm, *peer, metric.key)) {
        md << " **" << Number(r->first) << "×** (p90 " << Number(r->second) << "×";
        if (Summary paired = PairedRatio(vmm, *peer, metric.key); paired.count > 0) {
          md << "; paired " << Number(paired.median) << "×";
        }
        md << ") |";
      } else {
        md << " n/a |";
      }
    }
    md << "\n";
  }
  for (const VmmResults& vmm : report.vmms) {
    for (const auto& [metric, why] : vmm.not_available) {
      md << "\nn/a for " << vmm.title << ", " << metric << ": " << why << "\n";
    }
  }
}

}  // namespace

Summary Summarize(std::vector<double> samples) {
  if (samples.empty()) return {};
  std::sort(samples.begin(), samples.end());
  size_t n = samples.size();
  Summary s;
  s.count = n;
  s.median = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  size_t rank = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n)));
  s.p90 = samples[std::max<size_t>(rank, 1) - 1];
  s.min = samples.front();
  s.max = samples.back();
  return s;
}

std::string RenderMarkdown(const BootReport& report) {
  std::ostringstream md;
  md << "# hull-vmm boot benchmark\n\n";
  for (const std::string& warning : report.warnings) md << "> **WARNING: " << warning << "**\n>\n";
  if (!report.warnings.empty()) md << "\n";
  md << "## Environment\n\n";
  for (const auto& [label, value] : report.environment) {
    md << "- " << label << ": " << value << "\n";
  }
  md << "\n## Results\n\nEach cell: median / p90 over the repetitions; ratios compare medians "
        "(and p90s) measured in this same run. Lower is better.\n\n";
  RenderTable(report, md);
  md << "\n## Targets\n\nA ratio target is judged on the paired ratio where there is one: the "
        "median over repetitions of the two configurations' ratio within each repetition "
        "(measured moments apart, so slow changes in a shared host's load cancel out); the "
        "ratio of the two medians is shown beside it.\n\n"
        "| target | measured | ratio of medians | |\n|---|---:|---:|---|\n";
  for (const Target& target : report.targets) {
    const VmmResults* vmm = FindVmm(report, target.vmm_key);
    std::optional<double> value = TargetValue(report, target);
    const VmmResults* peer = FindVmm(report, report.peer_key);
    std::optional<std::pair<double, double>> of_medians;
    if (target.ratio_to_peer && vmm && peer) of_medians = Ratio(*vmm, *peer, target.metric_key);
    md << "| " << target.title << " (" << (vmm ? vmm->title : target.vmm_key) << ") | "
       << (value ? Number(*value) + (target.ratio_to_peer ? "×" : "") : "n/a") << " | "
       << (of_medians ? Number(of_medians->first) + "×" : "") << " | "
       << (!value ? "not measured" : *value <= target.limit ? "met" : "**not met**") << " |\n";
  }
  if (!report.warnings.empty()) {
    md << "\nThe targets are judged on this run's absolute numbers, so the warning at the "
          "top applies to them too.\n";
  }
  md << "\n## How\n\n";
  for (const std::string& note : report.notes) md << "- " << note << "\n";
  md << "\nCommands (the guest image's mode is `hello` for the timings, `spin` for memory):\n\n";
  for (const VmmResults& vmm : report.vmms) {
    md << "- " << vmm.title << ":\n";
    for (const std::string& command : vmm.commands) md << "  `" << command << "`\n";
  }
  md << "\nMappings counted as guest RAM:";
  for (const VmmResults& vmm : report.vmms) {
    md << " " << vmm.title << ":";
    for (const std::string& name : vmm.guest_ram_mappings) md << " `" << name << "`";
    md << (&vmm == &report.vmms.back() ? ".\n" : ";");
  }
  md << "\n## Failures\n\n";
  if (report.failures.empty()) md << "none: every run ended as expected.\n";
  for (const std::string& failure : report.failures) md << "- " << failure << "\n";
  return md.str();
}

nlohmann::json RenderJson(const BootReport& report) {
  nlohmann::json j;
  for (const auto& [label, value] : report.environment) j["environment"][label] = value;
  j["warnings"] = report.warnings;
  j["notes"] = report.notes;
  j["peer"] = report.peer_key;
  const VmmResults* peer = FindVmm(report, report.peer_key);
  for (const VmmResults& vmm : report.vmms) {
    nlohmann::json v;
    v["title"] = vmm.title;
    v["commands"] = vmm.commands;
    v["guest_ram_mappings"] = vmm.guest_ram_mappings;
    for (const MetricSpec& metric : report.metrics) {
      nlohmann::json m;
      m["unit"] = metric.unit;
      if (auto it = vmm.samples.find(metric.key); it != vmm.samples.end()) {
        m["samples"] = it->second;
      }
      if (auto it = vmm.sample_reps.find(metric.key); it != vmm.sample_reps.end()) {
        m["repetitions"] = it->second;
      }
      if (Summary s = SummaryOf(&vmm, metric.key); s.count > 0) {
        m["count"] = s.count;
        m["median"] = s.median;
        m["p90"] = s.p90;
        m["min"] = s.min;
        m["max"] = s.max;
      }
      if (auto it = vmm.not_available.find(metric.key); it != vmm.not_available.end()) {
        m["not_available"] = it->second;
      }
      if (peer && &vmm != peer) {
        if (auto r = Ratio(vmm, *peer, metric.key)) {
          m["ratio_to_peer_median"] = r->first;
          m["ratio_to_peer_p90"] = r->second;
        }
        if (Summary paired = PairedRatio(vmm, *peer, metric.key); paired.count > 0) {
          m["paired_ratio_median"] = paired.median;
          m["paired_ratio_p90"] = paired.p90;
          m["paired_count"] = paired.count;
        }
      }
      v["metrics"][metric.key] = m;
    }
    j["vmms"][vmm.key] = v;
  }
  for (const Target& target : report.targets) {
    std::optional<double> value = TargetValue(report, target);
    nlohmann::json t = {{"title", target.title}, {"vmm", target.vmm_key},
                        {"metric", target.metric_key}, {"limit", target.limit}};
    t[target.ratio_to_peer ? "ratio_to_peer_median" : "median"] =
        value ? nlohmann::json(*value) : nlohmann::json();
    t["met"] = value ? nlohmann::json(*value <= target.limit) : nlohmann::json();
    j["targets"].push_back(t);
  }
  j["failures"] = report.failures;
  j["runs"] = report.runs;
  for (const VmmResults& vmm : report.vmms) j["vmm_order"].push_back(vmm.key);
  return j;
}

}  // namespace hull::benchmarks
