// YAML configuration of the services (`ribflow outlet --config FILE`).
//
// Every key has a default; a key the program does not know is an error (a typo must not
// silently leave a default in place). Sizes are bytes, durations are "300ms", "5s", "5m", "1h"
// or a number of seconds. The keys, with their defaults, are in docs/configuration.md.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "outlet/outlet.h"

namespace ribflow::app {

absl::StatusOr<OutletConfig> ParseOutletConfig(std::string_view yaml);
absl::StatusOr<OutletConfig> LoadOutletConfig(const std::string& path);

}  // namespace ribflow::app
