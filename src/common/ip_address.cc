#include "common/ip_address.h"

#include <arpa/inet.h>

#include <string>

namespace ribflow {

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; addresses are short, so copy onto the stack.
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  uint8_t raw[16];
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, raw) != 1) return std::nullopt;
    return FromV4((uint32_t{raw[0]} << 24) | (uint32_t{raw[1]} << 16) | (uint32_t{raw[2]} << 8) |
                  raw[3]);
  }
  if (inet_pton(AF_INET6, buf, raw) != 1) return std::nullopt;
  return FromV6(raw);
}

IpAddress IpAddress::Masked(int length) const {
  IpAddress out = *this;
  const int offset = is_v4() ? 12 : 0;
  const int bits = family_bits();
  if (length >= bits) return out;
  if (length < 0) length = 0;
  uint8_t* b = out.bytes_.data() + offset;
  const int full = length / 8;
  const int rem = length % 8;
  int i = full;
  if (rem) {
    b[i] &= static_cast<uint8_t>(0xff << (8 - rem));
    ++i;
  }
  for (; i < bits / 8; ++i) b[i] = 0;
  return out;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, bytes_.data() + 12, buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET6, bytes_.data(), buf, sizeof(buf));
  }
  return buf;
}

std::optional<Prefix> Prefix::Make(const IpAddress& address, int length) {
  if (length < 0 || length > address.family_bits()) return std::nullopt;
  return Prefix{address.Masked(length), static_cast<uint8_t>(length)};
}

std::optional<Prefix> Prefix::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash + 1 >= text.size() || text.size() - slash > 4) {
    return std::nullopt;
  }
  auto address = IpAddress::Parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  int length = 0;
  for (char c : text.substr(slash + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    length = length * 10 + (c - '0');
  }
  auto prefix = Make(*address, length);
  if (!prefix || prefix->address != *address) return std::nullopt;  // host bits set
  return prefix;
}

std::string Prefix::ToString() const { return address.ToString() + "/" + std::to_string(length); }

}  // namespace ribflow
