// One BMP message from untrusted bytes: what a router (or anything that reached the BMP port)
// sends, once framed. Properties: Decode never crashes or reads outside its input (ASan), every
// span it returns lies inside the input, and decoding into a Message reused across inputs gives
// exactly what decoding into a fresh one gives (no state leaks from one message to the next).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "bmp/message.h"

namespace {

using ribflow::IpAddress;
using ribflow::bmp::Decode;
using ribflow::bmp::Error;
using ribflow::bmp::Message;
using ribflow::bmp::PeerHeader;
using ribflow::bmp::Stat;
using ribflow::bmp::Tlv;

// Flattens what Decode produced into numbers; spans become (offset in input, size), and a span
// outside the input aborts.
class Summary {
 public:
  explicit Summary(std::span<const uint8_t> input) : input_(input) {}

  void Add(uint64_t value) { values_.push_back(value); }
  void Add(std::span<const uint8_t> span) {
    if (span.empty()) {
      Add(0);
      return;
    }
    if (span.data() < input_.data() || span.data() + span.size() > input_.data() + input_.size()) {
      std::abort();
    }
    Add(static_cast<uint64_t>(span.data() - input_.data()));
    Add(span.size());
  }
  void Add(std::string_view text) {
    Add(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  }
  void Add(const std::vector<Tlv>& tlvs) {
    Add(tlvs.size());
    for (const Tlv& tlv : tlvs) {
      Add(tlv.type);
      Add(tlv.value);
    }
  }
  void Add(const IpAddress& address) {
    for (uint8_t byte : address.bytes()) Add(byte);
  }

  const std::vector<uint64_t>& values() const { return values_; }

 private:
  std::span<const uint8_t> input_;
  std::vector<uint64_t> values_;
};

std::vector<uint64_t> Summarize(const Error& error, const Message& m,
                                std::span<const uint8_t> input) {
  Summary s(input);
  s.Add(static_cast<uint64_t>(error.kind));
  s.Add(error.offset);
  if (error.offset > input.size()) std::abort();
  s.Add(static_cast<uint64_t>(m.type));
  s.Add(m.length);
  s.Add(m.has_peer_header);
  const PeerHeader& p = m.peer;
  s.Add(static_cast<uint64_t>(p.type));
  s.Add(p.flags);
  s.Add(p.distinguisher);
  s.Add(p.address);
  s.Add(p.as);
  s.Add(p.bgp_id);
  s.Add(p.timestamp_seconds);
  s.Add(p.timestamp_microseconds);
  s.Add(static_cast<uint64_t>(p.rib()));
  s.Add(m.route_monitoring.update);
  s.Add(m.route_monitoring.tlvs);
  s.Add(m.statistics.declared_count);
  s.Add(m.statistics.unknown_type_count);
  s.Add(m.statistics.bad_length_count);
  for (const Stat& stat : m.statistics.stats) {
    s.Add(stat.type);
    s.Add(static_cast<uint64_t>(stat.shape));
    s.Add(stat.afi);
    s.Add(stat.safi);
    s.Add(stat.value);
    s.Add(stat.data);
  }
  s.Add(static_cast<uint64_t>(m.peer_down.reason));
  s.Add(m.peer_down.notification);
  s.Add(m.peer_down.fsm_event);
  s.Add(m.peer_down.tlvs);
  s.Add(m.peer_down.table_name);
  s.Add(m.peer_down.data);
  s.Add(m.peer_up.local_address);
  s.Add(m.peer_up.local_port);
  s.Add(m.peer_up.remote_port);
  s.Add(m.peer_up.sent_open);
  s.Add(m.peer_up.received_open);
  s.Add(m.peer_up.tlvs);
  s.Add(m.peer_up.table_name);
  s.Add(m.initiation.tlvs);
  s.Add(m.initiation.sys_descr);
  s.Add(m.initiation.sys_name);
  s.Add(m.termination.tlvs);
  s.Add(m.termination.reason.has_value() ? 1 + static_cast<uint64_t>(*m.termination.reason) : 0);
  s.Add(m.route_mirroring.tlvs);
  s.Add(m.route_mirroring.bgp_message_count);
  s.Add(m.route_mirroring.errored_pdu);
  s.Add(m.route_mirroring.messages_lost);
  s.Add(m.route_mirroring.unknown_count);
  return s.values();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Message reused;  // as a session keeps one across messages
  const std::span<const uint8_t> input(data, size);
  Message fresh;
  const Error fresh_error = Decode(input, &fresh);
  const Error reused_error = Decode(input, &reused);
  if (Summarize(fresh_error, fresh, input) != Summarize(reused_error, reused, input)) {
    std::abort();
  }
  return 0;
}
