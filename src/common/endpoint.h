// Endpoint: an "ADDR:PORT" listen or connect address, as configuration files write it.
//
// IPv4 "192.0.2.1:10179", IPv6 in brackets "[2001:db8::1]:10179" (the brackets keep the port
// apart from the address's colons). Port 0 asks the kernel for a free port.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip_address.h"

namespace ribflow {

struct Endpoint {
  IpAddress address;
  uint16_t port = 0;

  static std::optional<Endpoint> Parse(std::string_view text);
  // The same form Parse reads.
  std::string ToString() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

}  // namespace ribflow
