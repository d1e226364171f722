#include "cli/filter_flag.h"

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

}  // namespace hull::cli
