// Interop: every BMP stream of the real captures under ../shared/data/captures (Akvorado's and
// pmacct's test data: Cisco, Huawei, Juniper, FRR and GoBGP exporters) is framed, every BMP
// message decodes, and every UPDATE inside Route Monitoring decodes with the options its
// peer's Peer Up negotiated without losing a route: no treat-as-withdraw, no discarded
// message. (Attribute-discard outcomes are counted and printed: FRR's Loc-RIB omits
// NEXT_HOP.) Skips when ../shared/data is absent.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bmp_stream_decoder.h"
#include "common/pcap_reader.h"

namespace ribflow {
namespace {

namespace fs = std::filesystem;

using interop::kBmpPorts;

struct StreamTotals {
  size_t messages = 0;
  size_t updates = 0;
  size_t announced = 0;
  size_t withdrawn = 0;
  size_t updates_without_peer_up = 0;
  size_t updates_read_with_add_path_guess = 0;
  size_t updates_read_with_other_as_width = 0;
  size_t attribute_discards = 0;
  std::vector<std::string> errors;  // what loses routes or messages
};

// The stream is read as bmp_stream_decoder.h says: with the options its Peer Ups negotiated,
// guessing ADD-PATH or the AS width where the capture cannot tell.
void DecodeStream(std::span<const uint8_t> bytes, StreamTotals* totals) {
  const std::optional<std::string> stream_error =
      interop::DecodeBmpStream(bytes, [&](const interop::DecodedBmpMessage& decoded) {
        ++totals->messages;
        totals->errors.insert(totals->errors.end(), decoded.errors.begin(), decoded.errors.end());
        if (decoded.update == nullptr) return;
        ++totals->updates;
        totals->updates_without_peer_up += decoded.without_peer_up ? 1 : 0;
        totals->updates_read_with_add_path_guess += decoded.retried_with_add_path ? 1 : 0;
        totals->updates_read_with_other_as_width += decoded.retried_with_other_as_width ? 1 : 0;
        if (decoded.update->action == bgp::ErrorAction::kAttributeDiscard) {
          ++totals->attribute_discards;
        }
        totals->announced += decoded.update->announced.size();
        totals->withdrawn += decoded.update->withdrawn.size();
      });
  if (stream_error) totals->errors.push_back(*stream_error);
}

TEST(BmpCapturesTest, EveryCapturedBmpMessageAndUpdateDecodesWithoutError) {
  const fs::path root = fs::path(RIBFLOW_SHARED_DATA) / "captures";
  if (!fs::exists(root)) GTEST_SKIP() << root << " is absent (needs ../shared/data)";
  size_t files = 0, messages = 0, updates = 0, routes = 0, discards = 0, guessed = 0,
         other_width = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".pcap") continue;
    auto capture = ReadPcap(entry.path().string());
    ASSERT_TRUE(capture.ok()) << entry.path() << ": " << capture.status();
    for (uint16_t port : kBmpPorts) {
      for (const TcpStream& stream : TcpStreams(capture->packets, port)) {
        StreamTotals totals;
        DecodeStream(stream.bytes, &totals);
        EXPECT_TRUE(totals.errors.empty())
            << entry.path().filename() << ": " << totals.errors.size()
            << " errors, first: " << totals.errors.front();
        ++files;
        messages += totals.messages;
        updates += totals.updates;
        routes += totals.announced + totals.withdrawn;
        discards += totals.attribute_discards;
        guessed += totals.updates_read_with_add_path_guess;
        other_width += totals.updates_read_with_other_as_width;
      }
    }
  }
  // 30 BMP captures in ANALYSIS.txt; a capture may hold several streams.
  EXPECT_GE(files, 30u);
  std::printf(
      "BMP streams %zu, messages %zu, UPDATEs %zu, NLRIs %zu, attribute discards %zu, UPDATEs "
      "read with ADD-PATH guessed %zu, UPDATEs read with the other AS width %zu\n",
      files, messages, updates, routes, discards, guessed, other_width);
}

}  // namespace
}  // namespace ribflow
