#include "bench/svg_chart.h"

#include <algorithm>
#include <cstdio>

#include "bench/report.h"

namespace hull::bench {

namespace {

constexpr int kWidth = 680;
constexpr int kLabelWidth = 180;
constexpr int kPlotWidth = 360;
constexpr int kTop = 40;
constexpr int kRowHeight = 28;
constexpr int kBarHeight = 16;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::string XmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string BarChartSvg(const BarChart& chart) {
  double scale_max = 0;
  for (const auto& b : chart.bars) {
    if (b.median) scale_max = std::max({scale_max, *b.median, b.high});
  }
  if (scale_max <= 0) scale_max = 1;
  auto x = [&](double v) { return kLabelWidth + std::max(0.0, v) / scale_max * kPlotWidth; };
  int height = kTop + static_cast<int>(chart.bars.size()) * kRowHeight + 36;

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(kWidth) +
                    "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
                    std::to_string(kWidth) + " " + std::to_string(height) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"10\" y=\"22\" font-size=\"14\" font-weight=\"bold\">" +
         XmlEscape(chart.title + " (" + chart.unit + ")") + "</text>\n";
  svg += "<line x1=\"" + std::to_string(kLabelWidth) + "\" y1=\"" + std::to_string(kTop - 4) +
         "\" x2=\"" + std::to_string(kLabelWidth) + "\" y2=\"" +
         std::to_string(height - 32) + "\" stroke=\"#444\"/>\n";
  for (size_t i = 0; i < chart.bars.size(); ++i) {
    const Bar& b = chart.bars[i];
    int y = kTop + static_cast<int>(i) * kRowHeight;
    int mid = y + kBarHeight / 2;
    svg += "<text x=\"" + std::to_string(kLabelWidth - 6) + "\" y=\"" + std::to_string(mid + 4) +
           "\" text-anchor=\"end\">" + XmlEscape(b.label) + "</text>\n";
    if (!b.median) {
      svg += "<text x=\"" + std::to_string(kLabelWidth + 6) + "\" y=\"" + std::to_string(mid + 4) +
             "\" fill=\"#888\">" + XmlEscape(b.note) + "</text>\n";
      continue;
    }
    svg += "<rect x=\"" + std::to_string(kLabelWidth) + "\" y=\"" + std::to_string(y) +
           "\" width=\"" + Num(x(*b.median) - kLabelWidth) + "\" height=\"" +
           std::to_string(kBarHeight) + "\" fill=\"" + (b.highlight ? "#d9822b" : "#4a7fb5") +
           "\"/>\n";
    if (b.high > b.low) {
      std::string y1 = std::to_string(mid - 5), y2 = std::to_string(mid + 5);
      svg += "<path d=\"M" + Num(x(b.low)) + " " + std::to_string(mid) + "H" + Num(x(b.high)) +
             "M" + Num(x(b.low)) + " " + y1 + "V" + y2 + "M" + Num(x(b.high)) + " " + y1 + "V" +
             y2 + "\" stroke=\"black\" stroke-width=\"1.5\" fill=\"none\"/>\n";
    }
    std::string value = FormatNumber(*b.median) + " " + chart.unit;
    if (!b.note.empty()) value += " " + b.note;
    svg += "<text x=\"" + Num(std::max(x(*b.median), x(b.high)) + 6) + "\" y=\"" +
           std::to_string(mid + 4) + "\">" + XmlEscape(value) + "</text>\n";
  }
  svg += "<text x=\"10\" y=\"" + std::to_string(height - 12) + "\" fill=\"#555\" font-size=\"11\">" +
         XmlEscape(chart.caption) + "</text>\n";
  svg += "</svg>\n";
  return svg;
}

}  // namespace hull::bench
