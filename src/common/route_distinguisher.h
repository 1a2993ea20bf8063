// Route distinguishers (RFC 4364 section 4.2) and route targets (RFC 4360 section 4) as
// operators write them: "65000:100" (type 0, 2-byte AS), "192.0.2.1:100" (type 1, IPv4),
// "4200000000:100" (type 2, 4-byte AS). The global table's RD is 0, written "0:0".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip_address.h"

namespace ribflow {

std::string FormatRouteDistinguisher(RouteDistinguisher rd);
// Type 0 when the administrator is an AS that fits 2 bytes, type 2 for a larger AS (the
// assigned number must then fit 2 bytes), type 1 for an IPv4 address.
std::optional<RouteDistinguisher> ParseRouteDistinguisher(std::string_view text);

// A route-target extended community (raw 8-byte value, as the BGP decoder keeps them) from
// the same text forms: types 0x00, 0x01, 0x02 with sub-type 0x02.
std::optional<uint64_t> ParseRouteTarget(std::string_view text);
std::string FormatRouteTarget(uint64_t route_target);

}  // namespace ribflow
