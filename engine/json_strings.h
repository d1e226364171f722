// Small readers of Docker request JSON shared by create and exec (engine_lifecycle.cc,
// exec.cc, exec_process.cc). Header-only; any thread.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hull::engine {

// A field that Docker lets be a string or an array of strings (Cmd, Entrypoint, Env,
// CapAdd); absent or null: empty. Any other shape throws nlohmann::json::type_error,
// which the API answers with 400.
inline std::vector<std::string> StringList(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return {};
  if (j[key].is_string()) return {j[key].get<std::string>()};
  return j[key].get<std::vector<std::string>>();
}

// Sets KEY=value in `env`, replacing an entry for KEY if there is one.
inline void SetEnv(std::vector<std::string>& env, const std::string& entry) {
  std::string key = entry.substr(0, entry.find('='));
  for (auto& e : env) {
    if (e.compare(0, key.size() + 1, key + "=") == 0) {
      e = entry;
      return;
    }
  }
  env.push_back(entry);
}

}  // namespace hull::engine
