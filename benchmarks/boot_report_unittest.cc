// The boot report's arithmetic: medians, and ratios to the peer — of the medians, and
// paired within each repetition (what ratio targets are judged on).
#include "benchmarks/boot_report.h"

#include <gtest/gtest.h>

namespace hull::benchmarks {
namespace {

VmmResults Results(const std::string& key, std::vector<double> samples, std::vector<int> reps) {
  VmmResults r;
  r.key = key;
  r.title = key;
  r.samples["t_ms"] = std::move(samples);
  r.sample_reps["t_ms"] = std::move(reps);
  return r;
}

BootReport Report(VmmResults peer, VmmResults vmm, double limit) {
  BootReport report;
  report.metrics = {{"t_ms", "time", "ms"}};
  report.peer_key = peer.key;
  report.vmms = {std::move(peer), std::move(vmm)};
  report.targets = {{.title = "costs ≤ 5 %", .vmm_key = "b", .metric_key = "t_ms", .limit = limit,
                     .ratio_to_peer = true}};
  return report;
}

TEST(BootReport, PairedRatiosFollowTheHostsDrift) {
  // The host slows down between repetitions 0-1 and 2-3; b is 10 % slower than a in each.
  BootReport report = Report(Results("a", {10, 10, 40, 40}, {0, 1, 2, 3}),
                             Results("b", {11, 11, 44, 44}, {0, 1, 2, 3}), 1.05);
  nlohmann::json j = RenderJson(report);
  const auto& m = j["vmms"]["b"]["metrics"]["t_ms"];
  EXPECT_DOUBLE_EQ(m["paired_ratio_median"].get<double>(), 1.1);
  EXPECT_EQ(m["paired_count"].get<size_t>(), 4u);
  EXPECT_DOUBLE_EQ(m["ratio_to_peer_median"].get<double>(), 27.5 / 25.0);
  EXPECT_DOUBLE_EQ(j["targets"][0]["ratio_to_peer_median"].get<double>(), 1.1);
  EXPECT_FALSE(j["targets"][0]["met"].get<bool>());
  EXPECT_NE(RenderMarkdown(report).find("paired 1.10×"), std::string::npos) << RenderMarkdown(report);
}

TEST(BootReport, OnlyTheSameRepetitionPairs) {
  // b has no sample of repetition 1 and one of a repetition a lacks: one pair is left.
  BootReport report = Report(Results("a", {10, 20}, {0, 1}), Results("b", {10.2, 99}, {0, 7}), 1.05);
  nlohmann::json j = RenderJson(report);
  EXPECT_EQ(j["vmms"]["b"]["metrics"]["t_ms"]["paired_count"].get<size_t>(), 1u);
  EXPECT_DOUBLE_EQ(j["targets"][0]["ratio_to_peer_median"].get<double>(), 1.02);
  EXPECT_TRUE(j["targets"][0]["met"].get<bool>());
}

TEST(BootReport, WithoutRepetitionsTheMediansAreCompared) {
  VmmResults a = Results("a", {10, 20, 30}, {}), b = Results("b", {12, 24, 36}, {});
  a.sample_reps.clear();
  b.sample_reps.clear();
  nlohmann::json j = RenderJson(Report(a, b, 1.5));
  EXPECT_FALSE(j["vmms"]["b"]["metrics"]["t_ms"].contains("paired_ratio_median"));
  EXPECT_DOUBLE_EQ(j["targets"][0]["ratio_to_peer_median"].get<double>(), 1.2);
  EXPECT_TRUE(j["targets"][0]["met"].get<bool>());
}

}  // namespace
}  // namespace hull::benchmarks
