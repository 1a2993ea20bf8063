#include "common/table_file.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace ribflow {
namespace {

std::string TempPath(const char* name) {
  return (std::filesystem::temp_directory_path() / name).string();
}

TEST(TableFileTest, ReadsPlainAndGzipWithComments) {
  const std::string text = "# header\n1.0.0.0/24 13335\n\n2001:db8::/32 64496 64497\n";
  const std::string plain = TempPath("ribflow_table_plain.txt");
  std::ofstream(plain) << text;
  const std::string gz = TempPath("ribflow_table.txt.gz");
  gzFile f = gzopen(gz.c_str(), "wb");
  gzwrite(f, text.data(), text.size());
  gzclose(f);
  for (const auto& path : {plain, gz}) {
    auto entries = ReadTableFile(path);
    ASSERT_TRUE(entries.ok()) << entries.status();
    ASSERT_EQ(entries->size(), 2u);
    EXPECT_EQ((*entries)[0].prefix.ToString(), "1.0.0.0/24");
    EXPECT_EQ((*entries)[0].origin_asn, 13335u);
    EXPECT_EQ((*entries)[1].origin_asn, 64496u);  // first origin of a MOAS line
  }
}

TEST(TableFileTest, MalformedLineFailsWithItsLineNumber) {
  const std::string path = TempPath("ribflow_table_bad.txt");
  std::ofstream(path) << "1.0.0.0/24 1\n1.0.0.1/24 2\n";
  auto entries = ReadTableFile(path);
  ASSERT_FALSE(entries.ok());
  EXPECT_NE(entries.status().message().find(":2:"), std::string::npos);
}

TEST(TableFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadTableFile("/nonexistent/table.gz").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ribflow
