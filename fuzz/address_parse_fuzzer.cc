// Text addresses and prefixes come from configuration files, the HTTP API and table files.
// Property: parsing never crashes, and whatever parses prints back to text that parses to the
// same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/ip_address.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto a = ribflow::IpAddress::Parse(text)) {
    auto again = ribflow::IpAddress::Parse(a->ToString());
    if (!again || *again != *a) std::abort();
  }
  if (auto p = ribflow::Prefix::Parse(text)) {
    auto again = ribflow::Prefix::Parse(p->ToString());
    if (!again || *again != *p || p->address.Masked(p->length) != p->address) std::abort();
  }
  return 0;
}
