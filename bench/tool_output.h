// The lines hull-bench-tool (bench/tool/) prints inside a container — "TAG key=value
// key=value" — read back from a run's output, which may come through a VM's serial
// console (carriage returns, kernel messages around it). Pure functions; called by the
// suite on the main thread.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace hull::bench {

inline constexpr char kRandioTag[] = "hull-bench-randio";
inline constexpr char kNetTag[] = "hull-bench-net";

// The key=value pairs of the first line in `output` that starts with `tag` and a space;
// nullopt when there is no such line, or a value on it is not a finite number >= 0.
std::optional<std::map<std::string, double>> ParseToolLine(const std::string& output,
                                                           const std::string& tag);

// One value of that line; nullopt if the line or the key is missing.
std::optional<double> ToolValue(const std::string& output, const std::string& tag,
                                const std::string& key);

}  // namespace hull::bench
