// Collector over real loopback TCP: routers connect, their routes reach the RIB, a disconnect
// makes peers stale then flushed, a reconnect revives them, a full queue pushes back on TCP
// without losing a byte, and sources outside the allowed prefixes are refused.
#include "bmp/collector.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/registry.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include "../bgp/message_builder.h"
#include "bmp_test_messages.h"

namespace ribflow::bmp {
namespace {

namespace bt = ribflow::bgp::testing;
using namespace std::chrono_literals;

constexpr uint8_t kRouteMonitoring = 0, kPeerUp = 3, kInitiation = 4;

testing::Bytes Wrap(const std::vector<uint8_t>& bytes) {
  testing::Bytes b;
  b.data() = bytes;
  return b;
}

std::vector<uint8_t> PeerUpMessage(const testing::PeerSpec& peer) {
  const bt::Bytes open = bt::OpenMessage(
      65001, 90, "192.0.2.1",
      bt::CapabilitiesParameter({bt::MultiprotocolCapability(bgp::Afi::kIpv4, bgp::Safi::kUnicast),
                                 bt::FourOctetAsCapability(65001)}));
  testing::Bytes body;
  body.Fill(12, 0).U8(192).U8(0).U8(2).U8(254).U16(179).U16(40000);
  body.Append(Wrap(open)).Append(Wrap(open));
  return testing::PerPeerMessage(kPeerUp, peer, body);
}

// One UPDATE announcing `count` consecutive /24s from 10.0.0.0 (at most 256 per message).
std::vector<uint8_t> Announce(const testing::PeerSpec& peer, uint32_t first, uint32_t count) {
  bt::Bytes nlri;
  for (uint32_t i = first; i < first + count; ++i) {
    for (uint8_t byte : {uint8_t{24}, uint8_t{10}, uint8_t(i >> 8), uint8_t(i)}) {
      nlri.push_back(byte);
    }
  }
  const bt::Bytes attributes =
      bt::Cat({bt::OriginAttribute(bgp::Origin::kIgp), bt::AsPathAttribute({bt::Seq({65001})}),
               bt::NextHopAttribute("198.51.100.1")});
  return testing::PerPeerMessage(kRouteMonitoring, peer,
                                 Wrap(bt::UpdateMessage({}, attributes, nlri)));
}

// A blocking client socket, from a chosen loopback source address.
class Router {
 public:
  Router(uint16_t port, const char* source = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &local.sin_addr);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0);
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) == 0;
  }
  ~Router() { Close(); }
  bool connected() const { return connected_; }
  void Send(const std::vector<uint8_t>& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      ASSERT_GT(n, 0);
      sent += static_cast<size_t>(n);
    }
  }
  // True when the peer closed the connection within the timeout.
  bool SeesClose(std::chrono::milliseconds timeout) {
    timeval tv{.tv_sec = 0, .tv_usec = static_cast<suseconds_t>(timeout.count() * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char byte;
    return ::recv(fd_, &byte, 1, 0) == 0;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

class CollectorTest : public ::testing::Test {
 protected:
  void StartCollector() {
    config_.listen = "127.0.0.1:0";
    collector_ = std::make_unique<Collector>(config_, &rib_, registry_);
    ASSERT_TRUE(collector_->Start().ok());
  }
  void TearDown() override {
    if (collector_) collector_->Stop();
  }
  size_t Routes() { return rib_.Stats().routes; }
  std::vector<uint8_t> Stream(uint32_t routes) {
    std::vector<uint8_t> stream;
    auto append = [&](const std::vector<uint8_t>& m) {
      for (uint8_t byte : m) stream.push_back(byte);
    };
    testing::Bytes sys_name;  // built byte by byte: GCC 12 misreads an inlined Text() here
    sys_name.U16(2).U16(8);
    for (char c : std::string_view("router-1")) sys_name.U8(static_cast<uint8_t>(c));
    append(testing::BmpMessage(kInitiation, sys_name));
    append(PeerUpMessage(peer_));
    for (uint32_t i = 0; i < routes; i += 256)
      append(Announce(peer_, i, std::min(256u, routes - i)));
    return stream;
  }

  CollectorConfig config_;
  ribflow::Rib rib_;
  prometheus::Registry registry_;
  std::unique_ptr<Collector> collector_;
  testing::PeerSpec peer_;
};

TEST_F(CollectorTest, RoutesOfAConnectedRouterReachTheRib) {
  StartCollector();
  Router router(collector_->port());
  ASSERT_TRUE(router.connected());
  router.Send(Stream(1000));
  ASSERT_TRUE(WaitFor([&] { return Routes() == 1000; })) << Routes();
  const auto routers = collector_->Routers();
  ASSERT_EQ(routers.size(), 1u);
  EXPECT_TRUE(routers[0].connected);
  EXPECT_EQ(routers[0].session.sys_name, "router-1");
  EXPECT_EQ(routers[0].routes, 1000);
  EXPECT_EQ(routers[0].live_peers, 1u);
}

TEST_F(CollectorTest, DisconnectMakesPeersStaleThenTheKeepTimeFlushesThem) {
  config_.session.keep = 300ms;
  StartCollector();
  {
    Router router(collector_->port());
    router.Send(Stream(100));
    ASSERT_TRUE(WaitFor([&] { return Routes() == 100; }));
  }
  ASSERT_TRUE(WaitFor([&] {
    const auto peers = rib_.Peers();
    return peers.size() == 1 && peers[0].stale;
  }));
  EXPECT_EQ(Routes(), 100u);  // stale routes stay visible
  ASSERT_TRUE(WaitFor([&] { return rib_.Peers().empty(); }));
  EXPECT_EQ(Routes(), 0u);
  EXPECT_FALSE(collector_->Routers().at(0).connected);
}

TEST_F(CollectorTest, ReconnectWithinTheKeepTimeRevivesThePeers) {
  config_.session.keep = 2s;
  StartCollector();
  {
    Router router(collector_->port());
    router.Send(Stream(100));
    ASSERT_TRUE(WaitFor([&] { return Routes() == 100; }));
  }
  ASSERT_TRUE(WaitFor([&] { return !rib_.Peers().empty() && rib_.Peers()[0].stale; }));
  Router again(collector_->port());
  again.Send(Stream(0));  // Initiation and Peer Up only
  ASSERT_TRUE(WaitFor([&] { return !rib_.Peers().empty() && !rib_.Peers()[0].stale; }));
  std::this_thread::sleep_for(2500ms);  // past the keep time of the first connection
  EXPECT_EQ(Routes(), 100u);
}

TEST_F(CollectorTest, FullQueuePausesReadingAndLosesNothing) {
  config_.queue_bytes = 8192;
  config_.read_chunk = 4096;
  StartCollector();
  Router router(collector_->port());
  router.Send(Stream(50000));
  ASSERT_TRUE(WaitFor([&] { return Routes() == 50000; }, 60s)) << Routes();
  double pauses = 0;
  for (const auto& family : registry_.Collect()) {
    if (family.name == "ribflow_bmp_read_pauses_total") pauses = family.metric.at(0).counter.value;
  }
  EXPECT_GT(pauses, 0);
}

TEST_F(CollectorTest, SourcesOutsideTheAllowedPrefixesAreRefused) {
  config_.allowed_prefixes = {Prefix::Parse("127.0.0.2/32").value()};
  StartCollector();
  Router refused(collector_->port(), "127.0.0.1");
  EXPECT_TRUE(refused.SeesClose(5s));
  Router allowed(collector_->port(), "127.0.0.2");
  allowed.Send(Stream(10));
  ASSERT_TRUE(WaitFor([&] { return Routes() == 10; }));
  EXPECT_EQ(rib_.Peers().at(0).key.router, IpAddress::Parse("127.0.0.2").value());
}

TEST_F(CollectorTest, StreamErrorClosesOnlyThatRoutersConnection) {
  StartCollector();
  Router good(collector_->port(), "127.0.0.1");
  Router bad(collector_->port(), "127.0.0.3");
  bad.Send({9, 0, 0, 0, 6, 4});  // version 9: no way to find the next message
  EXPECT_TRUE(bad.SeesClose(5s));
  good.Send(Stream(300));
  ASSERT_TRUE(WaitFor([&] { return Routes() == 300; }));
}

TEST_F(CollectorTest, ManyRoutersAtOnceWithTwoAppliers) {
  config_.apply_threads = 2;
  StartCollector();
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      const std::string source = "127.0.1." + std::to_string(i + 1);
      Router router(collector_->port(), source.c_str());
      router.Send(Stream(2000));
      WaitFor([&] { return Routes() == 16000; });
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(Routes(), 16000u);
  EXPECT_EQ(collector_->Routers().size(), 8u);
}

}  // namespace
}  // namespace ribflow::bmp
