// ribflow-bench: the project's benchmarks that need more than a micro-benchmark (threads,
// latency distributions, memory, peers side by side). One subcommand per component.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "bmp/bmp_bench.h"
#include "bmp/seed_scenario.h"
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

  ribflow::bench::BmpBenchConfig bmp;
  std::string collectors = "ribflow,pmbmpd";
  auto* bmp_cmd = app.add_subcommand(
      "bmp",
      "BMP load generator: N routers x M peers sending a full table; ribflow and pmbmpd "
      "ingesting it side by side");
  bmp_cmd->add_option("--table", bmp.stream.table,
                      "prefix table (PREFIX ASN per line, gzip ok); default: synthetic table with "
                      "the real one's size and prefix-length distribution");
  bmp_cmd
      ->add_option("--prefixes", bmp.stream.prefixes,
                   "use only this many prefixes, spread over the table (0: all)")
      ->capture_default_str();
  bmp_cmd->add_option("--routers", bmp.stream.routers, "routers (one TCP connection each)")
      ->capture_default_str();
  bmp_cmd->add_option("--peers", bmp.stream.peers, "BGP peers per router, each a full table")
      ->capture_default_str();
  bmp_cmd
      ->add_option("--add-path", bmp.stream.add_path,
                   "ADD-PATH with this many paths per prefix (0: no ADD-PATH)")
      ->capture_default_str();
  bmp_cmd
      ->add_option("--prefixes-per-update", bmp.stream.prefixes_per_update,
                   "most prefixes per UPDATE (0: pack up to 4096 bytes, as Juniper/Cisco; "
                   "1: as FRR)")
      ->capture_default_str();
  bmp_cmd
      ->add_option("--churn", bmp.stream.churn,
                   "per peer, after the dump: prefixes re-announced with changed attributes "
                   "or withdrawn")
      ->capture_default_str();
  bmp_cmd
      ->add_option("--withdraw-percent", bmp.stream.withdraw_percent,
                   "share of churn events that withdraw")
      ->capture_default_str();
  bmp_cmd
      ->add_option("--flaps", bmp.stream.flaps,
                   "per router, at the end: Peer Down + Peer Up + re-dump, peers in turn")
      ->capture_default_str();
  bmp_cmd->add_option("--seed", bmp.stream.seed, "random seed")->capture_default_str();
  bmp_cmd->add_flag("--verify", bmp.verify,
                    "decode the stream with ribflow's codec and check what it carries");
  bmp_cmd->add_option("--target", bmp.target, "send to ADDR:PORT (a loopback address)");
  bmp_cmd
      ->add_option("--hold", bmp.hold_seconds,
                   "with --target: keep the connections open this long after sending")
      ->capture_default_str();
  bmp_cmd->add_flag("--compare", bmp.compare,
                    "run each collector as a child process on the stream and measure it");
  bmp_cmd
      ->add_option("--collectors", collectors, "comma-separated: ribflow,pmbmpd,pmbmpd-parse-only")
      ->capture_default_str();
  bmp_cmd->add_option("--ribflow", bmp.ribflow, "the ribflow binary")->capture_default_str();
  bmp_cmd->add_option("--pmbmpd", bmp.pmbmpd, "the pmbmpd binary")->capture_default_str();
  bmp_cmd->add_flag("--pmbmpd-parse-only", bmp.pmbmpd_parse_only,
                    "run pmbmpd without a dump backend: it then keeps no RIB, only parses");
  bmp_cmd->add_flag("--pmbmpd-dump-check", bmp.pmbmpd_dump_check,
                    "after measuring, wait for pmbmpd's RIB dump (up to 2 min) and report how "
                    "many routes it held");
  bmp_cmd->add_option("--timeout", bmp.timeout_seconds, "seconds, bound on every wait")
      ->capture_default_str();
  bmp_cmd->add_flag("--keep-temp", bmp.keep_temp, "keep the collectors' configs and logs");
  bmp_cmd->add_flag("--json", bmp.json, "one JSON object");

  ribflow::bench::BmpSeedConfig seed;
  auto* seed_cmd = app.add_subcommand(
      "bmp-seed",
      "the seed scenario in one process: routers dump full tables into the BMP collector, then "
      "flap peers, while a thread does lookups; lookup p99 against idle, longest read gap");
  seed_cmd->add_option("--table", seed.table, "prefix table (default: synthetic)");
  seed_cmd->add_option("--prefixes", seed.prefixes, "use this many prefixes of the table (0: all)")
      ->capture_default_str();
  seed_cmd->add_option("--routers", seed.routers, "routers")->capture_default_str();
  seed_cmd->add_option("--peers", seed.peers, "full-table peers per router")->capture_default_str();
  seed_cmd->add_option("--flaps", seed.flaps, "peer flaps per router")->capture_default_str();
  seed_cmd->add_option("--apply-threads", seed.apply_threads, "collector applier threads")
      ->capture_default_str();
  seed_cmd->add_option("--idle-seconds", seed.idle_seconds, "idle phase length")
      ->capture_default_str();
  seed_cmd->add_option("--seed", seed.seed, "random seed")->capture_default_str();
  seed_cmd->add_flag("--json", seed.json, "one JSON object");

  CLI11_PARSE(app, argc, argv);
  if (seed_cmd->parsed()) return ribflow::bench::RunBmpSeedScenario(seed);
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
  if (bmp_cmd->parsed()) {
    bmp.collectors = split(collectors);
    return ribflow::bench::RunBmpBench(bmp);
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
