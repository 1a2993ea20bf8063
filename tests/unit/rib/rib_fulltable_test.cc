// The real full table (../shared/data/fulltable-prefixes.txt.gz): every prefix loads, every
// prefix's own address finds itself, and the whole table flushes back to nothing.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/table_file.h"
#include "rib/rib.h"

namespace ribflow {
namespace {

TEST(RibFullTableTest, EveryRealPrefixIsItsOwnLongestMatch) {
  const std::string path = std::string(RIBFLOW_SHARED_DATA) + "/fulltable-prefixes.txt.gz";
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << "no " << path << " (../shared/data is not beside the checkout)";
  }
  auto table = ReadTableFile(path);
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->size(), 1448800u);
  Rib rib;
  Rib::Writer writer(rib);
  const PeerId peer = rib.AddPeer({*IpAddress::Parse("192.0.2.1"), *IpAddress::Parse("192.0.2.2")});
  const IpAddress nh4 = *IpAddress::Parse("192.0.2.2"), nh6 = *IpAddress::Parse("2001:db8::2");
  for (const TableEntry& e : *table) {
    const uint32_t path_asns[] = {64500, e.origin_asn};
    AttributesView attrs{e.origin_asn, path_asns, {}, {}, {}};
    ASSERT_TRUE(writer.Announce(peer, 0, e.prefix, 0, e.prefix.is_v4() ? nh4 : nh6, attrs).ok());
  }
  EXPECT_EQ(rib.Stats().prefixes, table->size());
  Rib::Reader reader(rib);
  reader.Pin();
  size_t mismatches = 0;
  for (const TableEntry& e : *table) {
    LookupResult r;
    // The prefix's first address: its own entry is the longest match unless a longer prefix
    // starts at the same address, in which case the match is that longer one.
    if (!reader.Lookup(e.prefix.address, {}, &r) || !r.prefix.Contains(e.prefix.address) ||
        r.prefix.length < e.prefix.length) {
      ++mismatches;
    }
  }
  reader.Unpin();
  EXPECT_EQ(mismatches, 0u);
  rib.FlushPeerNow(peer);
  rib.epochs().Drain();
  EXPECT_EQ(rib.Stats().prefixes, 0u);
  EXPECT_EQ(rib.Stats().trie_nodes, 2u);  // the two empty roots
}

}  // namespace
}  // namespace ribflow
