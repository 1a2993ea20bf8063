// The fuzzers' seed corpus (fuzz/corpus/bgp_update_fuzzer, fuzz/corpus/bgp_open_fuzzer) is the
// set of sample messages, committed as files. This test proves the samples are valid messages
// and that the committed files are exactly them; run it with RIBFLOW_WRITE_FUZZ_SEEDS=1 to
// (re)write the files after changing the samples.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "bgp/open.h"
#include "bgp/update.h"
#include "sample_messages.h"

namespace ribflow::bgp {
namespace {

using namespace testing;

const std::filesystem::path kCorpus = std::filesystem::path(RIBFLOW_SOURCE_DIR) / "fuzz/corpus";

bool Writing() { return std::getenv("RIBFLOW_WRITE_FUZZ_SEEDS") != nullptr; }

// Writes the seed when asked, else checks the committed file holds exactly these bytes.
void CheckSeed(const std::string& fuzzer, const std::string& name, const Bytes& seed) {
  const std::filesystem::path path = kCorpus / fuzzer / name;
  if (Writing()) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(seed.data()), std::streamsize(seed.size()));
  }
  std::ifstream file(path, std::ios::binary);
  ASSERT_TRUE(file) << path << " is missing: run with RIBFLOW_WRITE_FUZZ_SEEDS=1";
  const Bytes committed{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  EXPECT_EQ(committed, seed) << path << " is stale: run with RIBFLOW_WRITE_FUZZ_SEEDS=1";
}

TEST(FuzzSeedsTest, UpdateSamplesDecodeWithoutErrorAndMatchTheirSeeds) {
  Update update;
  for (const UpdateSample& sample : SampleUpdates()) {
    EXPECT_EQ(
        DecodeUpdate(sample.message, SessionOptionsFromFuzzByte(sample.options_byte), &update),
        ErrorAction::kNone)
        << sample.name;
    EXPECT_TRUE(update.errors.empty()) << sample.name;
    Bytes seed{sample.options_byte};
    PutBytes(seed, sample.message);
    CheckSeed("bgp_update_fuzzer", sample.name, seed);
  }
}

TEST(FuzzSeedsTest, OpenSamplesDecodeWithoutErrorAndMatchTheirSeeds) {
  for (const OpenSample& sample : SampleOpens()) {
    Open open;
    EXPECT_FALSE(DecodeOpen(sample.message, &open)) << sample.name;
    CheckSeed("bgp_open_fuzzer", sample.name, sample.message);
  }
}

}  // namespace
}  // namespace ribflow::bgp
