// Capture files come from operators (`ribflow decode --pcap`) and from other projects' test
// data. Properties: reading never crashes or reads outside the input, every payload views the
// input, every frame is accounted for once and in order, and reassembled streams hold no more
// bytes than the segments they were built from.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "common/pcap_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  auto capture = ribflow::ReadPcapBytes(input);
  if (!capture.ok()) return 0;

  const uint64_t frames = capture->packets.size() + capture->skipped.size();
  uint64_t tcp_payload_bytes = 0;
  uint64_t previous_frame = 0;
  for (const ribflow::Packet& packet : capture->packets) {
    if (!packet.payload.empty() &&
        (packet.payload.data() < input.data() ||
         packet.payload.data() + packet.payload.size() > input.data() + input.size())) {
      std::abort();
    }
    if (packet.frame_number <= previous_frame || packet.frame_number > frames ||
        packet.file_offset >= size) {
      std::abort();
    }
    previous_frame = packet.frame_number;
    if (packet.protocol == ribflow::kIpProtocolTcp) tcp_payload_bytes += packet.payload.size();
  }
  previous_frame = 0;
  for (const ribflow::SkippedFrame& skipped : capture->skipped) {
    if (skipped.frame_number <= previous_frame || skipped.frame_number > frames ||
        skipped.file_offset >= size) {
      std::abort();
    }
    previous_frame = skipped.frame_number;
  }

  const auto datagrams = ribflow::UdpDatagrams(capture->packets);
  if (datagrams.size() > capture->packets.size()) std::abort();

  uint64_t stream_bytes = 0;
  for (const ribflow::TcpStream& stream : ribflow::TcpStreams(capture->packets)) {
    stream_bytes += stream.bytes.size();
    if (stream.gap && stream.gap->stream_offset != stream.bytes.size()) std::abort();
    if (stream.conflicting_bytes > stream.retransmitted_bytes) std::abort();
  }
  if (stream_bytes > tcp_payload_bytes) std::abort();
  return 0;
}
