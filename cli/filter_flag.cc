#include "cli/filter_flag.h"

#include <time.h>

#include <cstdlib>
#include <ctime>

#include <nlohmann/json.hpp>

#include "cli/daemon.h"

namespace hull::cli {

base::Result<std::string> FiltersQuery(const std::vector<std::string>& flags) {
  if (flags.empty()) return std::string();
  nlohmann::json filters = nlohmann::json::object();
  for (const auto& flag : flags) {
    size_t eq = flag.find('=');
    if (eq == std::string::npos || eq == 0) {
      return base::Status::Error("bad format of filter (expected name=value)");
    }
    std::string key = flag.substr(0, eq);
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    filters[key][flag.substr(eq + 1)] = true;
  }
  return "&filters=" + UrlEncode(filters.dump());
}

std::optional<int64_t> TimeFlagEpoch(const std::string& text) {
  if (text.empty()) return 0;
  char* end = nullptr;
  double n = std::strtod(text.c_str(), &end);
  if (end != text.c_str()) {
    std::string unit = end;
    int64_t now = static_cast<int64_t>(std::time(nullptr));
    if (unit.empty() || unit == ".") return static_cast<int64_t>(n);
    if (unit == "s") return now - static_cast<int64_t>(n);
    if (unit == "m") return now - static_cast<int64_t>(n * 60);
    if (unit == "h") return now - static_cast<int64_t>(n * 3600);
  }
  tm t{};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &t);
  if (!rest) rest = ::strptime(text.c_str(), "%Y-%m-%d", &t);
  if (!rest) return std::nullopt;
  return static_cast<int64_t>(::timegm(&t));
}

}  // namespace hull::cli
