// hull: the command-line entry point. Finds the sub-command (`hull pull`, `hull image
// inspect`) in commands.cc and hands it the remaining arguments.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "base/logging.h"
#include "cli/command.h"

namespace {

void PrintHelp() {
  std::cout << "Usage: hull [-H unix:///PATH] [--root DIR] COMMAND [ARGS...]\n\n"
               "hull talks to hulld when it listens on its socket (-H, HULL_HOST or DOCKER_HOST\n"
               "unix://PATH; default /run/hull/hull.sock), and works directly otherwise or when\n"
               "--root DIR names a local store. `hull info` says which.\n\nCommands:\n";
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
  // A global --root before the command is passed on to it; -H/--host names hulld's socket.
  std::vector<std::string> global;
  while (!args.empty() && (args[0] == "-H" || args[0].rfind("--host", 0) == 0)) {
    std::string host = args[0].rfind("--host=", 0) == 0 ? args[0].substr(7) : args.size() > 1 ? args[1] : "";
    args.erase(args.begin(), args.begin() + (args[0].rfind("--host=", 0) == 0 || args.size() < 2 ? 1 : 2));
    if (host.rfind("unix://", 0) != 0 && host.rfind("/", 0) != 0) {
      std::cerr << "hull: -H " << host << ": hull talks to hulld over its Unix socket: unix:///PATH\n";
      return hull::cli::kExitUsage;
    }
    ::setenv("HULL_HOST", host.c_str(), 1);
  }
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
