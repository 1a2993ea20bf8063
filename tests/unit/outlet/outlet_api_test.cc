// The outlet over loopback: a router's BMP stream in, the HTTP API and /metrics out.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "../bgp/message_builder.h"
#include "../bmp/bmp_test_messages.h"
#include "../http/http_client.h"
#include "outlet/outlet.h"

namespace ribflow {
namespace {

namespace bt = ribflow::bgp::testing;
using namespace std::chrono_literals;

bmp::testing::Bytes Wrap(const std::vector<uint8_t>& bytes) {
  bmp::testing::Bytes b;
  b.data() = bytes;
  return b;
}

// Peer Up for a 4-octet peer with ADD-PATH on IPv4 unicast, then three routes: two paths of
// 203.0.113.0/24 and 2001:db8:1::/48.
std::vector<uint8_t> RouterStream() {
  bmp::testing::PeerSpec peer;
  peer.as = 4200000001;
  const bt::Bytes open = bt::OpenMessage(
      23456, 90, "192.0.2.1",
      bt::CapabilitiesParameter(
          {bt::MultiprotocolCapability(bgp::Afi::kIpv4, bgp::Safi::kUnicast),
           bt::MultiprotocolCapability(bgp::Afi::kIpv6, bgp::Safi::kUnicast),
           bt::FourOctetAsCapability(4200000001),
           bt::AddPathCapabilityBytes({{bgp::Afi::kIpv4, bgp::Safi::kUnicast, 3}})}));
  bmp::testing::Bytes peer_up;
  peer_up.Fill(12, 0).U8(192).U8(0).U8(2).U8(254).U16(179).U16(40000);
  peer_up.Append(Wrap(open)).Append(Wrap(open));
  std::vector<uint8_t> stream;
  auto append = [&](const std::vector<uint8_t>& m) {
    for (uint8_t byte : m) stream.push_back(byte);
  };
  append(bmp::testing::PerPeerMessage(3, peer, peer_up));
  auto attributes = [](std::vector<uint32_t> path, uint32_t community) {
    return bt::Cat({bt::OriginAttribute(bgp::Origin::kIgp), bt::AsPathAttribute({bt::Seq(path)}),
                    bt::NextHopAttribute("198.51.100.1"), bt::CommunitiesAttribute({community}),
                    bt::LargeCommunitiesAttribute({{4200000001, 1, 2}})});
  };
  append(bmp::testing::PerPeerMessage(
      0, peer,
      Wrap(bt::UpdateMessage({}, attributes({4200000001, 65010}, (65001u << 16) | 100),
                             bt::PrefixNlri("203.0.113.0/24", 1)))));
  append(bmp::testing::PerPeerMessage(
      0, peer,
      Wrap(bt::UpdateMessage({}, attributes({4200000001, 65020, 65030}, (65001u << 16) | 200),
                             bt::PrefixNlri("203.0.113.0/24", 2)))));
  const bt::Bytes v6 = bt::Cat(
      {bt::OriginAttribute(bgp::Origin::kIgp), bt::AsPathAttribute({bt::Seq({4200000001, 65040})}),
       bt::MpReachAttribute(bgp::Afi::kIpv6, bgp::Safi::kUnicast, bt::AddressBytes("2001:db8::1"),
                            bt::PrefixNlri("2001:db8:1::/48"))});
  append(bmp::testing::PerPeerMessage(0, peer, Wrap(bt::UpdateMessage({}, v6, {}))));
  return stream;
}

void Send(uint16_t port, const std::vector<uint8_t>& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)), 0);
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), ssize_t(bytes.size()));
  ::close(fd);
}

std::string Get(uint16_t port, const std::string& target, int* status = nullptr) {
  auto reply = http::testing::Fetch(port, target);
  if (!reply) return "";
  if (status) *status = reply->status;
  return reply->body;
}

TEST(OutletApiTest, RoutesFromBmpAreServedByTheApi) {
  OutletConfig config;
  config.bmp.listen = "127.0.0.1:0";
  config.bmp.session.keep = 60s;
  config.http.listen = "127.0.0.1:0";
  Outlet outlet(config);
  ASSERT_TRUE(outlet.Start().ok());
  Send(outlet.bmp_port(), RouterStream());
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (outlet.rib().Stats().routes < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(outlet.rib().Stats().routes, 3u);
  const uint16_t port = outlet.http_port();

  int status = 0;
  EXPECT_EQ(
      Get(port, "/api/v1/rib/lookup?ip=203.0.113.7&exporter=127.0.0.1", &status),
      R"({"prefix":"203.0.113.0/24","rd":"0:0","next_hop":"198.51.100.1","asn":65010,)"
      R"("as_path":[4200000001,65010],"communities":["65001:100"],)"
      R"("large_communities":["4200000001:1:2"],"route_targets":[],"router":"127.0.0.1",)"
      R"("peer":"192.0.2.1","peer_asn":4200000001,"rib":"adj_rib_in_pre_policy","path_id":1})");
  EXPECT_EQ(status, 200);
  const std::string routes = Get(port, "/api/v1/rib/routes?prefix=203.0.113.0/24");
  EXPECT_NE(routes.find(R"("as_path":[4200000001,65020,65030])"), std::string::npos) << routes;
  EXPECT_NE(routes.find(R"("path_id":2})"), std::string::npos) << routes;
  EXPECT_NE(Get(port, "/api/v1/rib/lookup?ip=2001:db8:1::5").find(R"("prefix":"2001:db8:1::/48")"),
            std::string::npos);
  Get(port, "/api/v1/rib/lookup?ip=198.18.0.1", &status);
  EXPECT_EQ(status, 404);
  Get(port, "/api/v1/rib/lookup?ip=banana", &status);
  EXPECT_EQ(status, 400);

  const std::string peers = Get(port, "/api/v1/bmp/peers");
  EXPECT_NE(peers.find(R"("router":"127.0.0.1","address":"192.0.2.1","asn":4200000001,)"
                       R"("rd":"0:0","rib":"adj_rib_in_pre_policy","state":)"),
            std::string::npos)
      << peers;
  EXPECT_NE(peers.find(R"("routes":3)"), std::string::npos) << peers;
  // The router disconnected after sending: its peers are stale, its routes still there.
  const auto stale_deadline = std::chrono::steady_clock::now() + 10s;
  std::string routers;
  while (std::chrono::steady_clock::now() < stale_deadline) {
    routers = Get(port, "/api/v1/bmp/routers");
    if (routers.find(R"("state":"down")") != std::string::npos) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(routers.find(R"("address":"127.0.0.1","state":"down")"), std::string::npos) << routers;
  EXPECT_NE(routers.find(R"("routes":3)"), std::string::npos) << routers;
  EXPECT_NE(Get(port, "/api/v1/bmp/peers").find(R"("state":"stale")"), std::string::npos);

  const std::string metrics = Get(port, "/metrics");
  EXPECT_NE(metrics.find(R"(ribflow_bmp_routes_total{operation="announced",router="127.0.0.1"} 3)"),
            std::string::npos)
      << metrics;
  // The exposition is valid for Prometheus (Debian's prometheus package ships promtool).
  if (std::system("command -v promtool >/dev/null 2>&1") == 0) {
    const std::string path = ::testing::TempDir() + "/outlet_metrics.txt";
    FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fwrite(metrics.data(), 1, metrics.size(), file);
    std::fclose(file);
    const std::string command = "promtool check metrics < " + path + " 2>&1";
    FILE* check = ::popen(command.c_str(), "r");
    std::string output;
    char buffer[256];
    while (std::fgets(buffer, sizeof(buffer), check) != nullptr) output += buffer;
    EXPECT_EQ(::pclose(check), 0) << output;
    EXPECT_EQ(output, "");
  } else {
    std::printf("promtool not on PATH: exposition not checked by it\n");
  }
  outlet.Stop();
}

}  // namespace
}  // namespace ribflow
