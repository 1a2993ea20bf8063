#include "common/endpoint.h"

#include <charconv>

namespace ribflow {

std::optional<Endpoint> Endpoint::Parse(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return std::nullopt;
  }
  const std::optional<IpAddress> address = IpAddress::Parse(host);
  // An IPv6 address must be bracketed, or "::1:80" would be ambiguous.
  if (!address || (!address->is_v4() && !bracketed) || (address->is_v4() && bracketed)) {
    return std::nullopt;
  }
  return Endpoint{*address, static_cast<uint16_t>(port)};
}

std::string Endpoint::ToString() const {
  const std::string host = address.ToString();
  return (address.is_v4() ? host : "[" + host + "]") + ":" + std::to_string(port);
}

}  // namespace ribflow
