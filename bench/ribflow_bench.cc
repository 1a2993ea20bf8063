// ribflow-bench: the project's benchmarks that need more than a micro-benchmark (threads,
// latency distributions, memory, peers side by side). One subcommand per component.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "hiccups.h"
#include "memory_latency.h"
#include "rib/rib_bench.h"

namespace {

int Main(int argc, char** argv) {
  CLI::App app{"ribflow benchmarks"};
  app.require_subcommand(1);

  ribflow::bench::RibBenchConfig rib;
  std::string impls = "ribflow,global-lock";
  std::string writers = "0,1";
  auto* rib_cmd = app.add_subcommand("rib", "RIB: lookups under writers, insert, memory, flush");
  rib_cmd->add_option("--table", rib.table,
                      "prefix table (PREFIX ASN per line, gzip ok); default: synthetic table with "
                      "the real one's size and prefix-length distribution");
  rib_cmd->add_option("--impl", impls, "comma-separated: ribflow,global-lock")
      ->capture_default_str();
  rib_cmd->add_option("--peers", rib.peers, "peers each holding the full table")
      ->capture_default_str();
  rib_cmd->add_option("--readers", rib.readers, "lookup threads")->capture_default_str();
  rib_cmd->add_option("--writers", writers, "comma-separated writer counts, one phase each")
      ->capture_default_str();
  rib_cmd->add_option("--seconds", rib.seconds, "duration of each concurrent phase")
      ->capture_default_str();
  rib_cmd->add_option("--seed", rib.seed, "random seed")->capture_default_str();
  rib_cmd->add_option("--lookup-addresses", rib.lookup_addresses, "distinct lookup addresses")
      ->capture_default_str();
  rib_cmd->add_flag("--json", rib.json, "one JSON object per impl and writer count");

  bool huge_pages = false;
  auto* latency_cmd = app.add_subcommand(
      "memory-latency", "ns per dependent load by working-set size: the floor under lookups");
  latency_cmd->add_flag("--huge-pages", huge_pages, "madvise(MADV_HUGEPAGE) the chain");

  double hiccup_seconds = 20;
  int hiccup_threads = 0;
  auto* hiccups_cmd = app.add_subcommand(
      "hiccups", "gaps a spinning thread sees, with steal time: the floor under slowest lookups");
  hiccups_cmd->add_option("--seconds", hiccup_seconds, "duration")->capture_default_str();
  hiccups_cmd->add_option("--threads", hiccup_threads, "spinning threads (0: one per CPU)")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if (latency_cmd->parsed()) return ribflow::bench::RunMemoryLatency(huge_pages);
  if (hiccups_cmd->parsed()) return ribflow::bench::RunHiccups(hiccup_seconds, hiccup_threads);

  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
      const size_t comma = s.find(',', start);
      const size_t end = comma == std::string::npos ? s.size() : comma;
      if (end > start) out.push_back(s.substr(start, end - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return out;
  };
  if (rib_cmd->parsed()) {
    rib.impls = split(impls);
    rib.writers.clear();
    for (const auto& w : split(writers)) {
      if (w.empty() || w.find_first_not_of("0123456789") != std::string::npos) {
        std::fprintf(stderr, "--writers: \"%s\" is not a writer count\n", w.c_str());
        return 2;
      }
      rib.writers.push_back(std::stoi(w));
    }
    return ribflow::bench::RunRibBench(rib);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {  // a bad option value (--writers x), out of memory
    std::fprintf(stderr, "ribflow-bench: %s\n", e.what());
    return 1;
  }
}
