#!/usr/bin/env python3
"""Writes the hand-built seed corpora of the BMP fuzzers (fuzz/corpus/bmp_*_fuzzer/).

One valid message per BMP message type and variant (RFC 7854, 8671, 9069, 9736), built field by
field; the framer seeds are streams of them behind the fuzzer's 4-byte options prefix (see
bmp_framer_fuzzer.cc). Run from anywhere; the output is deterministic, so re-running it leaves
the committed files unchanged.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v):
    return struct.pack("!B", v)


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


def u64(v):
    return struct.pack("!Q", v)


def tlv(kind, value):
    return u16(kind) + u16(len(value)) + value


def bgp(kind, body):
    return b"\xff" * 16 + u16(19 + len(body)) + u8(kind) + body


UPDATE = bgp(2, u16(0) + u16(4) + bytes([0x40, 1, 1, 0]) + bytes([24, 198, 51, 100]))


def open_message(asn, bgp_id):
    return bgp(1, u8(4) + u16(asn) + u16(180) + u32(bgp_id) + u8(0))


def peer_header(peer_type=0, flags=0, rd=0, address=bytes(12) + bytes([192, 0, 2, 1]),
                asn=64500, bgp_id=0xC0000201):
    return (u8(peer_type) + u8(flags) + u64(rd) + address + u32(asn) + u32(bgp_id) +
            u32(1700000000) + u32(123456))


def bmp(kind, body):
    return u8(3) + u32(6 + len(body)) + u8(kind) + body


IPV6 = bytes.fromhex("20010db8000000000000000000000001")
IPV4_LOCAL = bytes(12) + bytes([192, 0, 2, 254])

MESSAGES = {
    "route_monitoring": bmp(0, peer_header() + UPDATE),
    "route_monitoring_ipv6_post_policy": bmp(0, peer_header(flags=0xC0, address=IPV6) + UPDATE),
    "route_monitoring_adj_rib_out": bmp(0, peer_header(flags=0x10) + UPDATE),
    "route_monitoring_legacy_as_path_rd": bmp(0, peer_header(1, 0x20, rd=0x0000FDE800000064) +
                                              UPDATE),
    "route_monitoring_loc_rib_with_tlv": bmp(0, peer_header(3, 0x80, address=bytes(16)) + UPDATE +
                                             tlv(60002, u32(10))),
    "statistics_report": bmp(1, peer_header() + u32(5) + tlv(0, u32(7)) + tlv(7, u64(1000)) +
                             tlv(9, u16(1) + u8(1) + u64(900)) + tlv(13, u32(2)) +
                             tlv(65531, u32(1))),
    "statistics_report_adj_rib_out": bmp(1, peer_header(flags=0x50) + u32(4) + tlv(14, u64(1)) +
                                         tlv(15, u64(2)) + tlv(16, u16(2) + u8(1) + u64(3)) +
                                         tlv(17, u16(2) + u8(1) + u64(4))),
    "peer_down_local_notification": bmp(2, peer_header() + u8(1) + bgp(3, bytes([6, 2]))),
    "peer_down_fsm_event": bmp(2, peer_header() + u8(2) + u16(24)),
    "peer_down_remote_notification": bmp(2, peer_header() + u8(3) + bgp(3, bytes([4, 0]))),
    "peer_down_remote_no_data": bmp(2, peer_header() + u8(4)),
    "peer_down_deconfigured": bmp(2, peer_header() + u8(5)),
    "peer_down_loc_rib_tlv": bmp(2, peer_header(3, 0, address=bytes(16)) + u8(6) +
                                 tlv(3, b"vrf-blue")),
    "peer_up": bmp(3, peer_header() + IPV4_LOCAL + u16(179) + u16(40000) +
                   open_message(64501, 0xC00002FE) + open_message(64500, 0xC0000201) +
                   tlv(0, b"note") + tlv(4, b"edge")),
    "peer_up_ipv6": bmp(3, peer_header(flags=0x80, address=IPV6) + IPV6 + u16(179) + u16(1179) +
                        open_message(64501, 1) + open_message(64500, 2)),
    "peer_up_loc_rib": bmp(3, peer_header(3, 0x80, address=bytes(16)) + bytes(16) + u16(0) +
                           u16(0) + open_message(64500, 1) + open_message(64500, 1) +
                           tlv(3, b"global")),
    "initiation": bmp(4, tlv(1, b"router os 1.0") + tlv(2, b"r1.example") + tlv(0, b"hello")),
    "termination": bmp(5, tlv(0, b"bye") + tlv(1, u16(3))),
    "route_mirroring": bmp(6, peer_header() + tlv(0, UPDATE) + tlv(1, u16(1)) +
                           tlv(1, u16(0)) + tlv(0, b"\x01\x02")),
}


def options_prefix(read_chunk, max_message_length, seed):
    """The framer fuzzer's first 4 bytes: read_chunk - 1, max_message_length - 6, seed."""
    return u8(read_chunk - 1) + u16(max_message_length - 6) + u8(seed)


SESSION = (MESSAGES["initiation"] + MESSAGES["peer_up"] + MESSAGES["route_monitoring"] +
           MESSAGES["statistics_report"] + MESSAGES["peer_down_remote_no_data"] +
           MESSAGES["termination"])
ALL = b"".join(MESSAGES.values())

STREAMS = {
    "session_chunk_64": options_prefix(64, 4096, 1) + SESSION,
    "session_chunk_1": options_prefix(1, 4096, 2) + SESSION,
    "every_type_chunk_200": options_prefix(200, 65000, 3) + ALL,
    "partial_last_message": options_prefix(16, 4096, 4) + SESSION + MESSAGES["peer_up"][:40],
    "message_too_large": options_prefix(32, 64, 5) + MESSAGES["initiation"] +
                         MESSAGES["peer_up"],
    "bad_version_after_messages": options_prefix(8, 4096, 6) + SESSION + b"\x01\x00\x00",
    "length_below_header": options_prefix(8, 4096, 7) + MESSAGES["termination"] +
                           bytes([3, 0, 0, 0, 5, 4]),
}


def write(directory, files):
    os.makedirs(directory, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


def main():
    write(os.path.join(HERE, "corpus", "bmp_message_fuzzer"), MESSAGES)
    write(os.path.join(HERE, "corpus", "bmp_framer_fuzzer"), STREAMS)
    # The session fuzzer takes a bare stream: whole sessions and every message type.
    write(os.path.join(HERE, "corpus", "bmp_session_fuzzer"), {
        "session": SESSION,
        "every_type": ALL,
        "session_twice": SESSION + SESSION,
        **MESSAGES,
    })


if __name__ == "__main__":
    main()
