#include "common/table_file.h"

#include <zlib.h>

#include <charconv>
#include <memory>

#include "absl/strings/str_cat.h"

namespace ribflow {
namespace {

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

}  // namespace

absl::StatusOr<std::vector<TableEntry>> ReadTableFile(const std::string& path) {
  // gzopen reads plain files transparently too.
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  gzbuffer(file.get(), 1 << 20);
  std::vector<TableEntry> entries;
  char line[512];
  size_t line_number = 0;
  while (gzgets(file.get(), line, sizeof(line)) != nullptr) {
    ++line_number;
    std::string_view text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (text.empty() || text.front() == '#') continue;
    const size_t space = text.find(' ');
    auto prefix = Prefix::Parse(text.substr(0, space));
    uint32_t asn = 0;
    if (space != std::string_view::npos) {
      std::string_view rest = text.substr(space + 1);
      auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), asn);
      if (ec != std::errc()) prefix.reset();
    }
    if (!prefix) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", line_number, ": expected \"PREFIX ASN\", got \"", std::string(text), "\""));
    }
    entries.push_back({*prefix, asn});
  }
  int err = 0;
  const char* message = gzerror(file.get(), &err);
  if (err != Z_OK && err != Z_STREAM_END) {
    return absl::DataLossError(absl::StrCat(path, ": ", message));
  }
  return entries;
}

}  // namespace ribflow
