#!/usr/bin/env python3
"""Writes the hand-built seed corpus of pcap_reader_fuzzer (fuzz/corpus/pcap_reader_fuzzer/).

Small captures covering what the reader decodes: classic pcap in both byte orders and both
timestamp resolutions, pcapng with several interfaces and sections of both byte orders, each
link type (Ethernet with VLAN/QinQ, Linux SLL and SLL2, raw IP, BSD null, Cisco HDLC with MPLS),
IPv4 options and fragments, IPv6 extension headers, snapshot-length cuts, and TCP segments out
of order, retransmitted and with a gap. Run from anywhere; the output is deterministic, so
re-running it leaves the committed files unchanged.
"""
import ipaddress
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "pcap_reader_fuzzer")

# Frames.


def v4(text):
    return ipaddress.IPv4Address(text).packed


def v6(text):
    return ipaddress.IPv6Address(text).packed


def udp(src_port, dst_port, payload):
    return struct.pack(">HHHH", src_port, dst_port, 8 + len(payload), 0) + payload


def tcp(src_port, dst_port, seq, flags, payload, options=b""):
    data_offset = (20 + len(options)) // 4 << 4
    header = struct.pack(">HHIIBBHHH", src_port, dst_port, seq, 0, data_offset, flags, 0xFFFF, 0, 0)
    return header + options + payload


def ipv4(src, dst, protocol, transport, fragment=0, options=b""):
    header_length = 20 + len(options)
    header = struct.pack(">BBHHHBBH", 0x40 | header_length // 4, 0, header_length + len(transport),
                         0x1234, fragment, 64, protocol, 0)
    return header + v4(src) + v4(dst) + options + transport


def ipv6(src, dst, next_header, rest):
    return struct.pack(">IHBB", 0x60000000, len(rest), next_header, 64) + v6(src) + v6(dst) + rest


def ipv6_extension(next_header, length):
    """Hop-by-hop, routing or destination options of `length` bytes (Pad1 options)."""
    return bytes([next_header, length // 8 - 1]) + bytes(length - 2)


def ipv6_fragment(next_header, offset_in_8_octets, more):
    return struct.pack(">BBHI", next_header, 0, offset_in_8_octets << 3 | more, 0xABCD)


def ethernet(ethertype, payload, tags=()):
    frame = bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2])
    for i, tag in enumerate(tags):
        frame += struct.pack(">HH", tag, 100 + i)
    return frame + struct.pack(">H", ethertype) + payload


def linux_sll(protocol, payload):
    return struct.pack(">HHH", 0, 1, 6) + bytes(8) + struct.pack(">H", protocol) + payload


def linux_sll2(protocol, payload):
    return struct.pack(">HHIHBB", protocol, 0, 2, 1, 0, 6) + bytes(8) + payload


def bsd_null(family, little, payload):
    return struct.pack("<I" if little else ">I", family) + payload


def cisco_hdlc(protocol, payload):
    return bytes([0x0F, 0x00]) + struct.pack(">H", protocol) + payload


def mpls(labels, payload):
    entries = b""
    for i, label in enumerate(labels):
        bottom = 0x100 if i == len(labels) - 1 else 0
        entries += struct.pack(">I", label << 12 | bottom | 64)
    return entries + payload


# Files.


def pcap(link_type, frames, little=True, nanoseconds=False, keep=None):
    """Classic pcap; keep[i] cuts frame i to that many bytes, as a snapshot length would."""
    order = "<" if little else ">"
    magic = 0xA1B23C4D if nanoseconds else 0xA1B2C3D4
    file = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 262144, link_type)
    for i, frame in enumerate(frames):
        captured = frame if keep is None or keep[i] is None else frame[: keep[i]]
        file += struct.pack(order + "IIII", 1700000000 + i, 123456, len(captured), len(frame))
        file += captured
    return file


def pad4(data):
    return data + bytes(-len(data) % 4)


def block(order, block_type, body):
    body = pad4(body)
    length = struct.pack(order + "I", 12 + len(body))
    return struct.pack(order + "I", block_type) + length + body + length


def option(order, code, value):
    return pad4(struct.pack(order + "HH", code, len(value)) + value)


def section_header(order):
    return block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))


def interface_description(order, link_type, snap_length=0, tsresol=None, tsoffset=None):
    body = struct.pack(order + "HHI", link_type, 0, snap_length) + option(order, 2, b"eth0")
    if tsresol is not None:
        body += option(order, 9, bytes([tsresol]))
    if tsoffset is not None:
        body += option(order, 14, struct.pack(order + "q", tsoffset))
    return block(order, 1, body + option(order, 0, b""))


def enhanced_packet(order, interface_id, ticks, frame):
    header = struct.pack(order + "IIIII", interface_id, ticks >> 32, ticks & 0xFFFFFFFF,
                         len(frame), len(frame))
    options = option(order, 1, b"note") + option(order, 0, b"")
    return block(order, 6, header + pad4(frame) + options)


def simple_packet(order, frame):
    return block(order, 3, struct.pack(order + "I", len(frame)) + frame)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    netflow = ipv4("192.0.2.1", "192.0.2.2", 17, udp(5000, 2055, b"\x00\x09\x00\x01netflow"))
    bmp_initiation = b"\x03\x00\x00\x00\x06\x04"
    bmp_termination = b"\x03\x00\x00\x00\x06\x05"

    write("classic_le_ethernet_vlan_qinq_arp", pcap(1, [
        ethernet(0x0800, netflow),
        ethernet(0x0800, netflow, (0x8100,)),
        ethernet(0x0800, netflow, (0x88A8, 0x8100)),
        ethernet(0x0806, bytes(28)),
        ethernet(0x0800, netflow + bytes(10)),  # padding after the IP packet
    ]))

    behind_extensions = (ipv6_extension(44, 8) + ipv6_fragment(60, 0, 0) + ipv6_extension(6, 16)
                         + tcp(40000, 1790, 1, 0x02, bmp_initiation))
    write("classic_be_nsec_raw_ipv6_extensions_ipv4_options_fragments", pcap(101, [
        ipv6("2001:db8::1", "2001:db8::2", 0, behind_extensions),
        ipv4("10.0.0.1", "10.0.0.2", 6, tcp(40000, 1790, 1, 0x18, bmp_termination),
             options=b"\x01\x01\x01\x00"),
        ipv4("10.0.0.1", "10.0.0.2", 17, udp(1, 2, bytes(100))[:48], fragment=0x2000),
        ipv4("10.0.0.1", "10.0.0.2", 17, bytes(60), fragment=6),
        ipv6("2001:db8::1", "2001:db8::2", 44, ipv6_fragment(17, 6, 0) + bytes(16)),
    ], little=False, nanoseconds=True))

    # SYN with payload, segments out of order and retransmitted, a gap, the server's SYN-ACK.
    segments = [
        tcp(20, 1790, 1, 0x02, bmp_initiation),
        tcp(20, 1790, 13, 0x18, bmp_termination),
        tcp(20, 1790, 7, 0x18, bmp_initiation),
        tcp(20, 1790, 7, 0x18, bmp_initiation),
        tcp(20, 1790, 30, 0x18, b"gap after"),
        tcp(1790, 20, 100, 0x12, b""),
    ]
    write("classic_le_linux_sll_tcp_out_of_order_gap", pcap(113, [
        linux_sll(0x0800, ipv4("192.0.2.61", "192.0.2.6", 6, segment)) for segment in segments
    ]))

    little = "<"
    sflow = ipv4("10.0.0.1", "10.0.0.2", 17, udp(1, 6343, b"\x00\x00\x00\x05sflow"))
    write("pcapng_le_two_interfaces_epb_spb_skipped_blocks",
          section_header(little)
          + interface_description(little, 1, 0, 9)
          + block(little, 4, bytes(8))  # name resolution
          + interface_description(little, 228, 0, 0x94, 100)  # 2^-20 s ticks, +100 s
          + enhanced_packet(little, 0, 1700000000123456789, ethernet(0x0800, netflow))
          + enhanced_packet(little, 1, 3 << 20, sflow)
          + block(little, 0xBAD, b"custom")
          + simple_packet(little, ethernet(0x0800, netflow)))

    big = ">"
    ipfix = ipv6("2001:db8::1", "2001:db8::2", 17, udp(1, 4739, b"\x00\x0aipfix"))
    write("pcapng_be_sll2_ipv6_tcp_then_le_section",
          section_header(big)
          + interface_description(big, 276, 128)
          + b"".join(enhanced_packet(big, 0, i, linux_sll2(
              0x86DD, ipv6("2001:db8::1", "2001:db8::2", 6, segment)))
              for i, segment in enumerate(segments))
          + section_header(little)
          + interface_description(little, 229)
          + enhanced_packet(little, 0, 5, ipfix))

    write("classic_le_null_loopback_families", pcap(0, [
        bsd_null(2, True, netflow),
        bsd_null(30, True, ipv6("::1", "::2", 17, udp(1, 2, b"v6"))),
        bsd_null(2, False, netflow),  # written on a big-endian host
        bsd_null(7, True, netflow),  # not an IP family
    ]))

    bgp_keepalive = ipv4("10.0.0.1", "10.0.0.2", 6,
                         tcp(179, 50000, 7, 0x18, b"\xff" * 16 + b"\x00\x13\x04"))
    write("classic_le_cisco_hdlc_mpls", pcap(104, [
        cisco_hdlc(0x0800, bgp_keepalive),
        cisco_hdlc(0x8847, mpls([16, 3], bgp_keepalive)),
        cisco_hdlc(0x8847, mpls([100], bytes(8))),  # a pseudowire: not IP
    ]))

    write("classic_le_snaplen_cut", pcap(1, [
        ethernet(0x0800, netflow + bytes(200)),
        ethernet(0x0800, netflow),
    ], keep=[60, 20]))


if __name__ == "__main__":
    main()
