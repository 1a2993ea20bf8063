// Reader for prefix tables: one "PREFIX ORIGIN_ASN [MORE_ASNS...]" per line, gzip or plain,
// '#' comments. This is the format of ../shared/data/fulltable-prefixes.txt.gz; benchmarks and
// tests load real full tables through it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ip_address.h"

namespace ribflow {

struct TableEntry {
  Prefix prefix;
  uint32_t origin_asn = 0;
};

// Reads every line; a malformed line fails the whole read with its line number, because a
// silently shortened table would skew every figure measured on it.
absl::StatusOr<std::vector<TableEntry>> ReadTableFile(const std::string& path);

}  // namespace ribflow
