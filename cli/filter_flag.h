// The query flags of the listing commands: `--filter KEY=VALUE` / `-f` of `hull ps`,
// `hull images` and `hull events` as Docker's `filters` query parameter
// ({"KEY":{"VALUE":true}}, as the docker CLI sends it), and `--since`/`--until` times as
// Docker takes them. Called by those commands on the CLI's one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace hull::cli {

// "" for no flags; "&filters=..." (percent-encoded) otherwise; an error, in Docker's
// words, for a flag without "=".
base::Result<std::string> FiltersQuery(const std::vector<std::string>& flags);

// A duration before now (30s, 10m, 2h), a Unix time, or an RFC 3339 date (UTC), as Unix
// seconds; 0 for ""; nullopt for anything else.
std::optional<int64_t> TimeFlagEpoch(const std::string& text);

}  // namespace hull::cli
