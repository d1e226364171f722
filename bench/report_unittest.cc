#include <gtest/gtest.h>

#include "bench/report.h"
#include "bench/svg_chart.h"

namespace hull::bench {
namespace {

Report SmallReport() {
  Report r;
  r.hull_version = "hull 0.1.0";
  r.date = "2026-11-29T20:00:00Z";
  r.host = "2 × CPU, Linux 6.1";
  r.load_average = "1.00 2.00 3.00";
  r.guest_execution = "TCG — no hardware virtualization";
  r.quick = true;
  r.runtimes = {{"ns", "hull ns", false, ""},
                {"vm-qemu", "hull vm (qemu, TCG)", true, ""},
                {"crun", "crun", false, "not installed (crun not found in PATH)"}};
  Measure m;
  m.id = "start_exit";
  m.title = "start → exit of `true`";
  m.unit = "ms";
  m.how = "runs true";
  m.cells["ns"] = Cell{Summarize({50, 40, 60}), "", false};
  m.cells["vm-qemu"] = Cell{std::nullopt, "exit status 125: hull: no kernel | here", true};
  r.measures.push_back(m);
  return r;
}

TEST(BenchReport, FormatsThreeSignificantDigits) {
  EXPECT_EQ(FormatNumber(1234.6), "1235");
  EXPECT_EQ(FormatNumber(12.345), "12.3");
  EXPECT_EQ(FormatNumber(1.2345), "1.23");
  EXPECT_EQ(FormatNumber(0.012345), "0.012");
  EXPECT_EQ(FormatNumber(0), "0");
  EXPECT_EQ(FormatNumber(4), "4");
}

TEST(BenchReport, MarkdownGolden) {
  std::string expected =
      "# hull bench\n\n"
      "- `--quick` run, 2026-11-29T20:00:00Z, hull 0.1.0\n"
      "- host: 2 × CPU, Linux 6.1; load average at the start: 1.00 2.00 3.00\n"
      "- guests executed with: **TCG — no hardware virtualization**\n"
      "\n**VM numbers are not representative**: this host gave no hardware virtualization, so "
      "the micro-VM columns measure an emulated CPU, not what VM isolation costs on hardware.\n"
      "\n## Runtimes\n\n| runtime | id | status |\n|---|---|---|\n"
      "| hull ns | `ns` | measured |\n"
      "| hull vm (qemu, TCG) | `vm-qemu` | measured — **not representative** (no hardware virtualization) |\n"
      "| crun | `crun` | not run: not installed (crun not found in PATH) |\n"
      "\n## Results\n\nmedian (p10–p90) over the repetitions.\n\n"
      "| measure | unit | hull ns | hull vm (qemu, TCG) ⚠ | crun |\n"
      "|---|---|---:|---:|---:|\n"
      "| start → exit of `true` | ms ↓ | 50 (40–60) | **failed** (below) | not run |\n"
      "\n↓ lower is better, ↑ higher is better; ⚠ not representative (no hardware virtualization).\n"
      "\n## What was run\n\n- **start → exit of `true`**: runs true\n"
      "\n## Failures\n\n- start → exit of `true`, `vm-qemu`: exit status 125: hull: no kernel \\| here\n"
      "\n## Charts\n\n![start → exit of `true`](charts/start_exit.svg)\n";
  EXPECT_EQ(ReportToMarkdown(SmallReport(), {{"start_exit", "charts/start_exit.svg"}}), expected);
}

TEST(BenchReport, JsonKeepsSummariesErrorsAndWhyARuntimeWasNotRun) {
  nlohmann::json j = ReportToJson(SmallReport());
  EXPECT_EQ(j["vm_numbers_representative"], false);
  EXPECT_EQ(j["runtimes"][2]["available"], false);
  EXPECT_EQ(j["runtimes"][2]["unavailable"], "not installed (crun not found in PATH)");
  const auto& results = j["measures"][0]["results"];
  EXPECT_EQ(results["ns"]["median"], 50);
  EXPECT_EQ(results["ns"]["p10"], 40);
  EXPECT_EQ(results["ns"]["p90"], 60);
  EXPECT_EQ(results["ns"]["n"], 3);
  EXPECT_EQ(results["vm-qemu"]["error"], "exit status 125: hull: no kernel | here");
  EXPECT_FALSE(results.contains("crun"));
}

TEST(BenchSvg, BarChartGolden) {
  BarChart chart{"start", "ms", "median & p10–p90", {}};
  chart.bars.push_back(Bar{"hull ns", 50.0, 40.0, 60.0, "", false});
  chart.bars.push_back(Bar{"vm <qemu>", 120.0, 120.0, 120.0, "", true});
  chart.bars.push_back(Bar{"crun", std::nullopt, 0, 0, "not run", false});
  std::string expected =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"680\" height=\"160\" viewBox=\"0 0 680 160\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"10\" y=\"22\" font-size=\"14\" font-weight=\"bold\">start (ms)</text>\n"
      "<line x1=\"180\" y1=\"36\" x2=\"180\" y2=\"128\" stroke=\"#444\"/>\n"
      "<text x=\"174\" y=\"52\" text-anchor=\"end\">hull ns</text>\n"
      "<rect x=\"180\" y=\"40\" width=\"150.0\" height=\"16\" fill=\"#4a7fb5\"/>\n"
      "<path d=\"M300.0 48H360.0M300.0 43V53M360.0 43V53\" stroke=\"black\" stroke-width=\"1.5\" "
      "fill=\"none\"/>\n"
      "<text x=\"366.0\" y=\"52\">50 ms</text>\n"
      "<text x=\"174\" y=\"80\" text-anchor=\"end\">vm &lt;qemu&gt;</text>\n"
      "<rect x=\"180\" y=\"68\" width=\"360.0\" height=\"16\" fill=\"#d9822b\"/>\n"
      "<text x=\"546.0\" y=\"80\">120 ms</text>\n"
      "<text x=\"174\" y=\"108\" text-anchor=\"end\">crun</text>\n"
      "<text x=\"186\" y=\"108\" fill=\"#888\">not run</text>\n"
      "<text x=\"10\" y=\"148\" fill=\"#555\" font-size=\"11\">median &amp; p10–p90</text>\n"
      "</svg>\n";
  EXPECT_EQ(BarChartSvg(chart), expected);
}

TEST(BenchSvg, EscapesMarkup) {
  EXPECT_EQ(XmlEscape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
}

}  // namespace
}  // namespace hull::bench
