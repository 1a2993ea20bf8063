// The YAML configuration: defaults, every key, and errors that name the key and line.
#include "app/config.h"

#include <gtest/gtest.h>

#include "common/route_distinguisher.h"

namespace ribflow::app {
namespace {

TEST(ConfigTest, EmptyFileGivesEveryDefault) {
  auto config = ParseOutletConfig("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->bmp.listen, "0.0.0.0:10179");
  EXPECT_EQ(config->http.listen, "127.0.0.1:8080");
  EXPECT_EQ(config->bmp.session.keep, std::chrono::minutes(5));
  EXPECT_TRUE(config->bmp.session.policy.Accepts(RibKind::kLocRib));
  EXPECT_TRUE(config->bmp.session.policy.keep_as_paths);
}

TEST(ConfigTest, TheTwoSocketsAloneAreAValidConfiguration) {
  auto config = ParseOutletConfig(R"(
bmp: {listen: "127.0.0.1:10179"}
http: {listen: "127.0.0.1:8081"}
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->bmp.listen, "127.0.0.1:10179");
  EXPECT_EQ(config->http.listen, "127.0.0.1:8081");
}

TEST(ConfigTest, EveryBmpKeyIsRead) {
  auto config = ParseOutletConfig(R"(
bmp:
  listen: "[::1]:11019"
  receive_buffer: 1048576
  allowed_prefixes: ["192.0.2.0/24", "2001:db8::/32"]
  queue_bytes: 1048576
  read_chunk: 65536
  apply_threads: 2
  sweep_budget: 100
  keep: 90s
  max_message_length: 200000
  ribs: [adj_rib_in_post_policy, loc_rib]
  rds: ["65000:100", "192.0.2.1:7", "4200000000:5", "0:0"]
  route_targets: ["65000:1"]
  keep_as_paths: false
  keep_communities: false
rib: {max_peers: 1000}
http: {threads: 2, request_timeout: 500ms}
)");
  ASSERT_TRUE(config.ok()) << config.status();
  const bmp::CollectorConfig& bmp = config->bmp;
  EXPECT_EQ(bmp.listen, "[::1]:11019");
  EXPECT_EQ(bmp.receive_buffer, 1048576);
  ASSERT_EQ(bmp.allowed_prefixes.size(), 2u);
  EXPECT_EQ(bmp.allowed_prefixes[1].ToString(), "2001:db8::/32");
  EXPECT_EQ(bmp.apply_threads, 2);
  EXPECT_EQ(bmp.sweep_budget, 100u);
  EXPECT_EQ(bmp.session.keep, std::chrono::seconds(90));
  EXPECT_EQ(bmp.session.framer.max_message_length, 200000u);
  const bmp::ImportPolicy& policy = bmp.session.policy;
  EXPECT_FALSE(policy.Accepts(RibKind::kAdjRibInPre));
  EXPECT_TRUE(policy.Accepts(RibKind::kAdjRibInPost));
  EXPECT_TRUE(policy.Accepts(RibKind::kLocRib));
  ASSERT_EQ(policy.rds.size(), 4u);
  EXPECT_EQ(FormatRouteDistinguisher(policy.rds[0]), "65000:100");
  EXPECT_EQ(FormatRouteDistinguisher(policy.rds[1]), "192.0.2.1:7");
  EXPECT_EQ(FormatRouteDistinguisher(policy.rds[2]), "4200000000:5");
  EXPECT_EQ(policy.rds[3], 0u);
  ASSERT_EQ(policy.route_targets.size(), 1u);
  EXPECT_EQ(policy.route_targets[0], 0x0002fde800000001u);  // type 0, sub-type 2, 65000:1
  EXPECT_FALSE(policy.keep_as_paths);
  EXPECT_FALSE(policy.keep_communities);
  EXPECT_EQ(config->rib.max_peers, 1000u);
  EXPECT_EQ(config->http.threads, 2);
  EXPECT_EQ(config->http.request_timeout_ms, 500);
}

TEST(ConfigTest, UnknownKeyIsAnErrorNamingKeyAndLine) {
  auto config = ParseOutletConfig("bmp:\n  listen: \"127.0.0.1:1\"\n  kep: 5m\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("bmp.kep (line 3): unknown key"), std::string::npos)
      << config.status();
}

TEST(ConfigTest, BadValuesAreErrors) {
  EXPECT_FALSE(ParseOutletConfig("bmp: {listen: \"nowhere\"}").ok());
  EXPECT_FALSE(ParseOutletConfig("bmp: {keep: 5 minutes}").ok());
  EXPECT_FALSE(ParseOutletConfig("bmp: {ribs: [adj_rib_sideways]}").ok());
  EXPECT_FALSE(ParseOutletConfig("bmp: {rds: [\"65000\"]}").ok());
  EXPECT_FALSE(ParseOutletConfig("bmp: {apply_threads: 0}").ok());
  EXPECT_FALSE(ParseOutletConfig("bmp: {allowed_prefixes: [\"10.0.0.1/8\"]}").ok());
  EXPECT_FALSE(ParseOutletConfig("http: {listen: \"127.0.0.1\"}").ok());
  EXPECT_FALSE(ParseOutletConfig("bmp: [1, 2]").ok());
  EXPECT_FALSE(ParseOutletConfig("bmp: {listen: [unclosed").ok());
}

TEST(RouteDistinguisherTest, FormatsAndParsesTheThreeTypes) {
  for (const char* text : {"0:0", "65000:100", "192.0.2.1:7", "4200000000:5", "65535:4294967295"}) {
    const auto rd = ParseRouteDistinguisher(text);
    ASSERT_TRUE(rd.has_value()) << text;
    EXPECT_EQ(FormatRouteDistinguisher(*rd), text);
  }
  EXPECT_FALSE(ParseRouteDistinguisher("4200000000:70000").has_value());
  EXPECT_FALSE(ParseRouteDistinguisher("192.0.2.1:70000").has_value());
  EXPECT_FALSE(ParseRouteDistinguisher("x:1").has_value());
}

}  // namespace
}  // namespace ribflow::app
