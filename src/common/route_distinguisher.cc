#include "common/route_distinguisher.h"

#include <charconv>

namespace ribflow {

namespace {

// The 2-byte type, then 6 bytes of administrator and assigned number: the same layout for a
// route distinguisher and for the value of a route-target extended community (whose first
// byte is then the extended community type and the second its sub-type).
std::string FormatTyped(uint16_t type, uint64_t value) {
  switch (type) {
    case 0:
      return std::to_string(value >> 32) + ":" + std::to_string(value & 0xffffffff);
    case 1:
      return IpAddress::FromV4(static_cast<uint32_t>(value >> 16)).ToString() + ":" +
             std::to_string(value & 0xffff);
    case 2:
      return std::to_string(value >> 16) + ":" + std::to_string(value & 0xffff);
    default:
      return std::to_string(type) + ":" + std::to_string(value);
  }
}

// (type 0/1/2, 48-bit value) from "ADMIN:NUMBER".
std::optional<std::pair<uint8_t, uint64_t>> ParseTyped(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view admin = text.substr(0, colon);
  const std::string_view number_text = text.substr(colon + 1);
  uint64_t number = 0;
  auto [end, error] =
      std::from_chars(number_text.data(), number_text.data() + number_text.size(), number);
  if (error != std::errc() || end != number_text.data() + number_text.size()) return std::nullopt;
  if (admin.find('.') != std::string_view::npos) {
    const std::optional<IpAddress> address = IpAddress::Parse(admin);
    if (!address || !address->is_v4() || number > 0xffff) return std::nullopt;
    return std::make_pair(uint8_t{1}, (uint64_t{address->v4()} << 16) | number);
  }
  uint64_t asn = 0;
  auto [admin_end, admin_error] = std::from_chars(admin.data(), admin.data() + admin.size(), asn);
  if (admin_error != std::errc() || admin_end != admin.data() + admin.size() || asn > 0xffffffff) {
    return std::nullopt;
  }
  if (asn <= 0xffff) {
    if (number > 0xffffffff) return std::nullopt;
    return std::make_pair(uint8_t{0}, (asn << 32) | number);
  }
  if (number > 0xffff) return std::nullopt;
  return std::make_pair(uint8_t{2}, (asn << 16) | number);
}

}  // namespace

std::string FormatRouteDistinguisher(RouteDistinguisher rd) {
  return FormatTyped(static_cast<uint16_t>(rd >> 48), rd & 0xffffffffffff);
}

std::optional<RouteDistinguisher> ParseRouteDistinguisher(std::string_view text) {
  const auto typed = ParseTyped(text);
  if (!typed) return std::nullopt;
  return (uint64_t{typed->first} << 48) | typed->second;
}

std::optional<uint64_t> ParseRouteTarget(std::string_view text) {
  const auto typed = ParseTyped(text);
  if (!typed) return std::nullopt;
  return (uint64_t{typed->first} << 56) | (uint64_t{0x02} << 48) | typed->second;
}

std::string FormatRouteTarget(uint64_t route_target) {
  return FormatTyped(static_cast<uint16_t>(route_target >> 56), route_target & 0xffffffffffff);
}

}  // namespace ribflow
