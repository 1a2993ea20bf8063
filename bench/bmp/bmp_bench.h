// `ribflow-bench bmp`: a BMP load generator, and ribflow's BMP ingestion side by side with
// pmacct's pmbmpd on the same stream.
//
// The stream (bmp_stream.h) is encoded first and timed on its own. Then, as asked:
// - --verify: the stream decoded back with the project's codec and checked (bmp_verify.h);
// - --target ADDR:PORT: sent there, one TCP connection (and thread) per router, with bytes,
//   messages, routes and wall time per router and in total;
// - --compare: each collector of --collectors run in turn as a child process on free loopback
//   ports, fed the same stream, and measured:
//     ribflow: `ribflow outlet --config CFG`, CFG = {bmp: {listen}, http: {listen}}. Ingestion
//       is complete when GET /api/v1/bmp/routers reports, summed over routers, the routes the
//       stream leaves (and, when it reports "messages", every message sent), polled every
//       20 ms once sending started.
//     pmbmpd: `pmbmpd -f CONF` (bmp_daemon_ip/port/max_peers, pidfile, logfile; no msglog).
//       Standalone pmbmpd keeps no RIB unless a dump backend is configured (pmacct sets
//       skip_rib otherwise): CONF names a dump file (/dev/null) whose first dump is due a day
//       later, so pmbmpd stores every route and never dumps during the run. The collector
//       "pmbmpd-parse-only" (or --pmbmpd-parse-only) leaves the dump out: pmbmpd then parses
//       and drops. pmbmpd has no API to ask what it holds, so ingestion is taken as complete
//       when its CPU time (utime + stime) has not grown for 1 s after the sender wrote its
//       last byte; the ingest time is then the last moment it grew (at clock-tick resolution,
//       10 ms). --pmbmpd-dump-check dumps every 60 s instead and, after the measurement, waits
//       for the next dump and reads how many entries it dumped from pmbmpd's log: proof it
//       took the whole table (a dump may then fall inside the measurement; pmbmpd forks it).
//   For each: wall time to ingest (from the first byte sent), CPU seconds used meanwhile
//   (from /proc/PID/stat, minus what startup used), routes per CPU-second, peak RSS (VmHWM of
//   /proc/PID/status) raw and net of the RSS after startup (its port listens and its RSS held still
//   for 300 ms), and the ratios pmbmpd/ribflow. The connections stay open until both measurements
//   of a collector are taken: pmbmpd frees a router's RIB when its connection closes.
//
// Threading model: RunBmpBench runs on the calling thread, plus one sender thread per router.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmp/bmp_stream.h"

namespace ribflow::bench {

struct BmpBenchConfig {
  BmpStreamConfig stream;
  bool verify = false;
  std::string target;       // ADDR:PORT to send to; "" = do not send
  double hold_seconds = 0;  // --target: keep the connections open this long after sending
  bool compare = false;
  std::vector<std::string> collectors = {"ribflow", "pmbmpd"};
  std::string ribflow = "build/ribflow";  // where the ribflow target puts it
  std::string pmbmpd = "pmbmpd";
  bool pmbmpd_parse_only = false;  // no dump backend: pmbmpd then keeps no RIB
  bool pmbmpd_dump_check = false;
  double timeout_seconds = 600;  // bound on every wait for a collector
  bool keep_temp = false;        // keep the collectors' configs and logs
  bool json = false;
};

int RunBmpBench(const BmpBenchConfig& config);

}  // namespace ribflow::bench
