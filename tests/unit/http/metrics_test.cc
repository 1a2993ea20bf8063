// /metrics: MetricsHandler serves a registry's counters, gauges (with labels, hostile label
// values included) and histograms, and the server's own request counter, in the Prometheus
// text format with its content type; the exposition passes `promtool check metrics` (skipped,
// saying so, when promtool is not installed).
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "http/server.h"
#include "http_client.h"

namespace ribflow::http {
namespace {

using testing::Fetch;
using testing::HttpReply;

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The path of `program` in $PATH, if it is there.
std::optional<std::string> FindInPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::string_view rest(path);
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    const std::string directory(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    const std::string candidate = (directory.empty() ? "." : directory) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

struct PromtoolResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `promtool check metrics` on `exposition` (given on stdin).
PromtoolResult CheckMetrics(const std::string& promtool, const std::string& exposition) {
  char path[] = "/tmp/ribflow_metrics_XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, exposition.data(), exposition.size()),
            static_cast<ssize_t>(exposition.size()));
  close(fd);
  const std::string command = "'" + promtool + "' check metrics < " + path + " 2>&1";
  PromtoolResult result;
  FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  if (pipe != nullptr) {
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  unlink(path);
  return result;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& events = prometheus::BuildCounter()
                       .Name("ribflow_test_events_total")
                       .Help("Events seen, by kind")
                       .Register(registry_);
    events.Add({{"kind", "announce"}}).Increment(3);
    events.Add({{"kind", "withdraw"}}).Increment(1);
    auto& queue = prometheus::BuildGauge()
                      .Name("ribflow_test_queue_bytes")
                      .Help("Bytes queued, by router")
                      .Register(registry_);
    queue.Add({{"router", "192.0.2.1"}}).Set(4096);
    // Label values come from routers: quotes, backslashes, line breaks.
    queue.Add({{"router", "evil\"name\\with\nbreak"}}).Set(1);
    auto& latency = prometheus::BuildHistogram()
                        .Name("ribflow_test_latency_seconds")
                        .Help("Time to answer")
                        .Register(registry_);
    auto& histogram = latency.Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.01, 0.1, 1});
    for (const double seconds : {0.0005, 0.002, 0.05, 0.5, 5.0}) histogram.Observe(seconds);

    HttpServerConfig config;
    config.listen = "127.0.0.1:0";
    server_.emplace(config, registry_);
    server_->Handle("/metrics", MetricsHandler(registry_));
    ASSERT_TRUE(server_->Start().ok());
  }

  prometheus::Registry registry_;
  std::optional<HttpServer> server_;
};

TEST_F(MetricsTest, ServesTheRegistryInTheTextFormat) {
  // The first request is counted after it is answered: the second exposition shows it.
  ASSERT_TRUE(Fetch(server_->port(), "/metrics").has_value());
  const std::optional<HttpReply> reply = Fetch(server_->port(), "/metrics");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& body = reply->body;
  EXPECT_TRUE(Contains(body, "# TYPE ribflow_test_events_total counter\n")) << body;
  EXPECT_TRUE(Contains(body, "ribflow_test_events_total{kind=\"announce\"} 3\n")) << body;
  EXPECT_TRUE(Contains(body, "ribflow_test_queue_bytes{router=\"192.0.2.1\"} 4096\n")) << body;
  EXPECT_TRUE(Contains(body, "router=\"evil\\\"name\\\\with\\nbreak\"")) << body;
  EXPECT_TRUE(Contains(body, "ribflow_test_latency_seconds_bucket{le=\"0.01\"} 2\n")) << body;
  EXPECT_TRUE(Contains(body, "ribflow_test_latency_seconds_bucket{le=\"+Inf\"} 5\n")) << body;
  EXPECT_TRUE(Contains(body, "ribflow_test_latency_seconds_count 5\n")) << body;
  EXPECT_TRUE(Contains(body, "ribflow_http_requests_total{code=\"200\",path=\"/metrics\"} 1\n"))
      << body;

  const std::optional<HttpReply> head = Fetch(server_->port(), "/metrics", "HEAD");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
}

TEST_F(MetricsTest, ExpositionPassesPromtool) {
  const std::optional<std::string> promtool = FindInPath("promtool");
  if (!promtool) {
    GTEST_SKIP() << "promtool is not on PATH (Debian package \"prometheus\"); "
                    "the exposition was not checked";
  }
  // A 404 too, so the request counter has series of both kinds.
  ASSERT_TRUE(Fetch(server_->port(), "/nothing").has_value());
  const std::optional<HttpReply> reply = Fetch(server_->port(), "/metrics");
  ASSERT_TRUE(reply.has_value());
  ASSERT_EQ(reply->status, 200);
  const PromtoolResult result = CheckMetrics(*promtool, reply->body);
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n--- exposition:\n" << reply->body;
  EXPECT_EQ(result.output, "") << reply->body;

  // The check is real: promtool does object to a counter without the _total suffix.
  const PromtoolResult bad =
      CheckMetrics(*promtool, "# HELP ribflow_bad x\n# TYPE ribflow_bad counter\nribflow_bad 1\n");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_TRUE(Contains(bad.output, "_total")) << bad.output;
}

}  // namespace
}  // namespace ribflow::http
