// `--filter KEY=VALUE` / `-f` of `hull ps` and `hull images`: the flags as Docker's
// `filters` query parameter ({"KEY":{"VALUE":true}}, as the docker CLI sends it).
// Called by those commands on the CLI's one thread.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace hull::cli {

// "" for no flags; "&filters=..." (percent-encoded) otherwise; an error, in Docker's
// words, for a flag without "=".
base::Result<std::string> FiltersQuery(const std::vector<std::string>& flags);

}  // namespace hull::cli
