#include "bench/tool_output.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace hull::bench {

std::optional<std::map<std::string, double>> ParseToolLine(const std::string& output,
                                                           const std::string& tag) {
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.rfind(tag + " ", 0) != 0) continue;
    std::map<std::string, double> values;
    std::istringstream words(line.substr(tag.size() + 1));
    for (std::string word; words >> word;) {
      size_t eq = word.find('=');
      if (eq == std::string::npos || eq == 0) return std::nullopt;
      std::string number = word.substr(eq + 1);
      char* end = nullptr;
      double v = std::strtod(number.c_str(), &end);
      if (number.empty() || *end != '\0' || !std::isfinite(v) || v < 0) return std::nullopt;
      values[word.substr(0, eq)] = v;
    }
    return values;
  }
  return std::nullopt;
}

std::optional<double> ToolValue(const std::string& output, const std::string& tag,
                                const std::string& key) {
  auto values = ParseToolLine(output, tag);
  if (!values) return std::nullopt;
  auto it = values->find(key);
  if (it == values->end()) return std::nullopt;
  return it->second;
}

}  // namespace hull::bench
