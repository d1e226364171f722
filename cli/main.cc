// hull: the command-line entry point. Finds the sub-command (`hull pull`, `hull image
// inspect`) in commands.cc and hands it the remaining arguments.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "base/logging.h"
#include "cli/command.h"

namespace {

void PrintHelp() {
  std::cout << "Usage: hull [--root DIR] COMMAND [ARGS...]\n\nCommands:\n";
  for (const auto& c : hull::cli::Commands()) {
    std::string name = c.name;
    std::cout << "  " << name << std::string(name.size() < 16 ? 16 - name.size() : 1, ' ')
              << c.summary << "\n";
  }
  std::cout << "\nRun 'hull COMMAND --help' for a command's options. HULL_LOG=debug for detail.\n";
}

}  // namespace

int main(int argc, char** argv) {
  hull::base::SetLogProgramName("hull");
  hull::base::InitLoggingFromEnv();
  std::vector<std::string> args(argv + 1, argv + argc);
  // A global --root before the command is passed on to it.
  std::vector<std::string> global;
  while (!args.empty() && args[0].rfind("--root", 0) == 0) {
    global.push_back(args[0]);
    args.erase(args.begin());
    if (global.back() == "--root" && !args.empty()) {
      global.push_back(args[0]);
      args.erase(args.begin());
    }
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintHelp();
    return args.empty() ? hull::cli::kExitUsage : 0;
  }
  for (const auto& c : hull::cli::Commands()) {
    std::string name = c.name;
    size_t words = name.find(' ') == std::string::npos ? 1 : 2;
    if (args.size() < words) continue;
    std::string given = words == 1 ? args[0] : args[0] + " " + args[1];
    if (given != name) continue;
    std::vector<std::string> rest(args.begin() + static_cast<long>(words), args.end());
    rest.insert(rest.begin(), global.begin(), global.end());  // before `run`'s CMD
    return c.run(rest);
  }
  std::cerr << "hull: unknown command \"" << args[0] << "\" (see hull --help)\n";
  return hull::cli::kExitUsage;
}
