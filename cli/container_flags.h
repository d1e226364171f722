// `hull run` and `hull create` flags (Docker's), parsed once into a runtime::ContainerSpec
// plus what only hulld uses (name, -d, -p, -v, --network as given), and turned into the
// body of POST /containers/create for daemon mode. Main thread only.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cli/command.h"
#include "runtime/container_spec.h"

namespace hull::cli {

struct RunOptions {
  runtime::ContainerSpec spec;
  CommonOptions common;
  bool runtime_given = false;        // --runtime named (else hulld's default / direct's vm)
  std::string name;                  // --name
  bool detach = false;               // -d
  bool sig_proxy = true;             // --sig-proxy
  std::string detach_keys;           // --detach-keys (hulld; "" = ctrl-p,ctrl-q)
  std::string network;               // --network as given; "" = the default
  std::vector<std::string> publish;  // -p [IP:][HOST:]CONTAINER[/PROTO]
  bool publish_all = false;          // -P: the image's exposed ports on random host ports
  std::vector<std::string> volumes;  // -v HOST:CONTAINER[:ro]
  std::string vmm;                   // --vmm (direct mode)
  bool no_jail = false;              // --no-jail (direct mode; hulld has its own --no-jail)
};

// Splits OPTIONS OPERAND [ARG...] (run's IMAGE, exec's CONTAINER): `ours` gets the
// options and the operand, `rest` what follows it; `takes_value` names the options
// whose value is the next word.
void SplitAtOperand(const std::vector<std::string>& args, bool (*takes_value)(const std::string&),
                    std::vector<std::string>* ours, std::vector<std::string>* rest);

// --env-file: KEY=value or KEY lines; blank lines and # comments skipped (Docker's rules).
base::Result<std::vector<std::string>> ReadEnvFile(const std::string& path);

// Parses `args` (OPTIONS IMAGE [COMMAND] [ARG...]); the exit status instead after --help
// or a usage error (printed).
std::variant<RunOptions, int> ParseRunOptions(const std::vector<std::string>& args, const char* usage);

// The body of POST /containers/create; an error for a flag value hulld cannot take.
base::Result<std::string> CreateBody(const RunOptions& options);

}  // namespace hull::cli
