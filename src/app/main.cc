// ribflow: the command line. `ribflow outlet --config FILE` runs the outlet service until
// SIGINT or SIGTERM.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "app/config.h"
#include "outlet/outlet.h"

namespace {

int RunOutlet(const std::string& config_path) {
  absl::StatusOr<ribflow::OutletConfig> config = config_path.empty()
                                                     ? ribflow::app::ParseOutletConfig("")
                                                     : ribflow::app::LoadOutletConfig(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "ribflow outlet: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  // Block the stop signals before any thread starts, so that they all inherit the mask and
  // only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  ribflow::Outlet outlet(*config);
  if (absl::Status status = outlet.Start(); !status.ok()) {
    std::fprintf(stderr, "ribflow outlet: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "ribflow outlet: BMP on %s (port %u), HTTP on %s (port %u)\n",
               config->bmp.listen.c_str(), outlet.bmp_port(), config->http.listen.c_str(),
               outlet.http_port());
  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::fprintf(stderr, "ribflow outlet: signal %d, stopping\n", signal);
  outlet.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"ribflow: flow records enriched with BGP, from routers to ClickHouse"};
  app.require_subcommand(1);
  std::string config_path;
  auto* outlet = app.add_subcommand(
      "outlet", "the RIB fed by BMP routers, its HTTP API and metrics (the flow pipeline later)");
  outlet->add_option("--config", config_path, "YAML configuration file (docs/configuration.md)");
  CLI11_PARSE(app, argc, argv);
  if (outlet->parsed()) return RunOutlet(config_path);
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "ribflow: %s\n", e.what());
  return 1;
}
