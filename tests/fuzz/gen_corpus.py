#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets (tests/fuzz/fuzz_core.c, fuzz_shell.c).

usage: gen_corpus.py PCAP [PCAP...] OUTDIR      (writes OUTDIR/core/* and OUTDIR/shell/*)

Seeds come from real captures (classic pcap; Ethernet, Linux cooked v1 or v2
link types; IPv4 or IPv6 UDP), each conversation replayed with the shard as the
server, as the client and both ways: tests/data/openafs_rxperf.pcap (two OpenAFS
rx stacks) and tests/data/linux_rxrpc.pcap (the Linux kernel's AF_RXRPC against
rxd, both directions).  Packets are synthesised for every RxRPC type the captures
lack (BUSY, ACKALL, CHALLENGE, RESPONSE, PARAMS, unknown types, NACKs, pings)
and for every frame kind the shell parses (IPv6, ARP, ND, ICMP echo and errors,
hop-by-hop options, fragments).  The record formats are described at the top of
each target.
"""
import os
import struct
import sys

# fuzz_core.c actions (op >> 2) and source selectors (op & 3)
RAW, TO_CALL, REPLY, TIME, APP, ICMP, BATCH, SHUTDOWN = range(8)


def rec(kind, arg=0, body=b"", src=0):
    return struct.pack(">BBH", (kind << 2) | src, arg, len(body)) + body


def tick(arg=0x40 | 1):
    """Advance the clock: arg & 0x3f + 1 units of 2^(10 + 6 * (arg >> 6)) ns."""
    return rec(TIME, arg)


def hdr(ptype, flags, call=1, seq=0, serial=1, epoch=0x12345678, cid=0x4000, svc=147, sec=0, user=0, spare=0):
    return struct.pack(">IIIIIBBBBHH", epoch, cid, call, seq, serial, ptype, flags, user, sec, spare, svc)


def ack_body(first, prev, serial, reason, acks=b"", rwind=32, jumbo=4):
    return (struct.pack(">HHIIIBB", 32, 0, first, prev, serial, reason, len(acks)) + acks + b"\0\0\0"
            + struct.pack(">IIII", 5692, 1444, rwind, jumbo))


def read_pcap(path):
    """Every record of a classic little- or big-endian pcap, as an Ethernet frame
    (Linux cooked captures, `dumpcap -i any`, are given an Ethernet header)."""
    with open(path, "rb") as f:
        b = f.read()
    magic = struct.unpack("<I", b[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link = struct.unpack(end + "I", b[20:24])[0] & 0xFFFF
    off, frames = 24, []
    while off + 16 <= len(b):
        incl = struct.unpack(end + "I", b[off + 8:off + 12])[0]
        fr = b[off + 16:off + 16 + incl]
        off += 16 + incl
        if link == 113 and len(fr) >= 16:  # LINUX_SLL: protocol at 14
            fr = eth(struct.unpack(">H", fr[14:16])[0], fr[16:])
        elif link == 276 and len(fr) >= 20:  # LINUX_SLL2: protocol at 0
            fr = eth(struct.unpack(">H", fr[0:2])[0], fr[20:])
        elif link != 1:
            continue
        frames.append(fr)
    return frames


def udp_of(frame):
    """(sport, dport, payload) of an Ethernet/IPv4 or IPv6/UDP frame, or None."""
    if len(frame) < 42:
        return None
    if frame[12:14] == b"\x08\x00" and frame[23] == 17:
        u = 14 + (frame[14] & 15) * 4
    elif frame[12:14] == b"\x86\xdd" and len(frame) >= 62 and frame[20] == 17:
        u = 54
    else:
        return None
    sport, dport, ulen = struct.unpack(">HHH", frame[u:u + 6])
    return sport, dport, frame[u + 8:u + ulen]


def scenarios(frames):
    """Split a capture into conversations: one per connection (epoch, cid without
    the channel bits), in order of first appearance; a datagram seen twice
    (a capture on two interfaces) is taken once.  Each packet is tagged with
    its direction (CLIENT_INITIATED: towards the server)."""
    convs, seen = {}, set()
    for fr in frames:
        u = udp_of(fr)
        if not u or len(u[2]) < 28 or u[2] in seen:
            continue
        p = u[2]
        seen.add(p)
        epoch, cid = struct.unpack(">II", p[:8])
        convs.setdefault((epoch, cid & ~3), []).append((bool(p[21] & 1), p))
    return list(convs.values())


def core_seeds(captures):
    seeds = {}
    for name, frames in captures:
        seeds.update(capture_seeds(name, scenarios(frames)))
    seeds.update(typed_seeds())
    return seeds


def capture_seeds(name, conv):
    """A capture's conversations, replayed with the shard as server, client and both."""
    seeds = {}
    for i, c in enumerate(conv):
        # the shard as the server: the client's packets as they were
        seeds[f"{name}_server_{i:02d}"] = b"".join(rec(RAW, 0, p) + tick(4) for to_srv, p in c if to_srv) + tick(0xff)
        # the shard as the client: the server's packets aimed at live call i
        seeds[f"{name}_client_{i:02d}"] = b"".join(rec(TO_CALL, i % 4, p) + tick(4) for to_srv, p in c if not to_srv) + tick(0xff)
        # both directions, each packet answering what the shard just sent
        seeds[f"{name}_both_{i:02d}"] = b"".join((rec(RAW, 0, p, src=1) if to_srv else rec(REPLY, 0, p)) + tick(2)
                                          for to_srv, p in c) + tick(0xff)
    seeds[f"{name}_all"] = b"".join(rec(RAW, 0, p) if s else rec(TO_CALL, 1, p) for c in conv for s, p in c)
    return seeds


def typed_seeds():
    # every packet type, synthesised, to a live client call (arg 0..3) and as raw input
    ci = 0x01  # CLIENT_INITIATED
    req = hdr(1, ci | 0x04, seq=1, serial=1) + b"\0\0\0\3" * 4
    typed = {
        "busy": rec(TO_CALL, 0, hdr(3, 0)),
        "abort": rec(TO_CALL, 1, hdr(4, 0) + struct.pack(">i", -455)),
        "abort_conn": rec(TO_CALL, 0, hdr(4, 0, call=0) + struct.pack(">i", 1234)),
        "ackall": rec(TO_CALL, 0, hdr(5, 0)),
        # call 4 is the secured one (the harness's test security class, index 2)
        "challenge_v2": rec(TO_CALL, 4, hdr(6, 0, call=0, seq=0, sec=2) + struct.pack(">IIII", 2, 0x1234, 1, 0)),
        "challenge_short": rec(TO_CALL, 4, hdr(6, 0, call=0, sec=2) + b"\1"),
        "challenge_rxnull": rec(TO_CALL, 1, hdr(6, 0, call=0) + struct.pack(">II", 0x99, 1)),
        "response": rec(RAW, 0, hdr(1, ci | 4, seq=1, sec=2) + struct.pack(">I", 1) + b"abc")
        + rec(RAW, 0, hdr(7, ci, call=0, sec=2) + struct.pack(">I", 2) + b"\0" * 40 + struct.pack(">II", 1, 4) + b"tkt!")
        + rec(RAW, 0, hdr(7, ci, call=0, sec=2, serial=3) + b"\0" * 8),
        "secure_data": rec(RAW, 0, hdr(1, ci | 4, seq=1, sec=2, cid=0x5000) + b"bad!")
        + rec(TO_CALL, 4, hdr(1, 4, seq=1, sec=2) + struct.pack(">I", 1) + b"reply") + tick(0x81),
        "transient": rec(RAW, 0x80, req) + rec(TO_CALL, 0x80, hdr(1, 4, seq=1) + b"r" * 100) + tick(0x81),
        "implicit_end": rec(RAW, 0, req) + rec(REPLY, 0, hdr(1, ci | 4, call=2, seq=1) + b"next") + tick(0x81)
        + rec(TO_CALL, 0, hdr(1, 4, call=2, seq=1) + b"?"),
        "version": rec(RAW, 0, hdr(13, ci, call=101, epoch=999, cid=0, svc=0) + b"\0"),
        "version_reply": rec(RAW, 0, hdr(13, 0, epoch=999, cid=0, svc=0) + b"rx 1.0".ljust(65, b"\0")),
        "params": rec(RAW, 0, hdr(9, ci)),
        "type10": rec(RAW, 0, hdr(10, ci)),
        "type12": rec(RAW, 0, hdr(12, ci)),
        "type255": rec(RAW, 0, hdr(255, ci)),
        "short": rec(RAW, 0, hdr(1, ci)[:27]),
        "zero_call": rec(RAW, 0, hdr(1, ci, call=0, seq=1) + b"x"),
        "zero_seq": rec(RAW, 0, hdr(1, ci, seq=0) + b"x"),
        "zero_service": rec(RAW, 0, hdr(1, ci, seq=1, svc=0) + b"x"),
        "no_service": rec(RAW, 0, hdr(1, ci | 4, seq=1, svc=99) + b"x"),
        "charged_service": rec(RAW, 0, hdr(1, ci | 4, seq=1, svc=148) + b"x") + rec(RAW, 0, hdr(1, ci | 4, seq=1, svc=148, cid=0x8000) + b"y")
        + rec(RAW, 0, hdr(1, ci | 4, seq=1, svc=148, cid=0xc000) + b"z"),
        "upgrade": rec(RAW, 0, hdr(1, ci | 4, seq=1, user=1) + b"u") + tick(0x80),
        "wrong_security": rec(RAW, 0, req) + rec(RAW, 0, hdr(1, ci | 4, seq=2, serial=2, sec=2) + b"s"),
    }
    for k in (1, 2, 3, 4, 5):
        typed[f"debug_{k}"] = rec(RAW, 0, hdr(8, ci, call=0, cid=0, svc=0) + struct.pack(">ii", k, 0))
    # ACKs with SACK tables, pings, out-of-range windows against live client calls
    for name, (first, prev, reason, acks) in {
        "ack_sack": (1, 4, 3, b"\0\1\0\1"),
        "ack_nack_all": (1, 8, 1, b"\0" * 8),
        "ack_ping": (1, 0, 6, b""),
        "ack_ping_response": (1, 0, 7, b""),
        "ack_hard": (5, 4, 8, b""),
        "ack_beyond": (900, 950, 1, b"\1" * 50),
        "ack_exceeds": (1, 1, 4, b"\1"),
    }.items():
        typed[name] = b"".join(rec(TO_CALL, a, hdr(2, 0, serial=7) + ack_body(first, prev, 1, reason, acks))
                               for a in range(4)) + tick(0x81)
    # path-MTU probes from a peer that does PMTUD (jumbo_max 0): PING ACKs zero-padded after the trailer
    typed["ack_pmtud_probe"] = b"".join(rec(TO_CALL, a, hdr(2, 2, serial=9) + ack_body(1, 0, 0, 6, jumbo=0)
                                            + b"\0" * 1200) for a in range(4)) + tick(0x81)
    # jumbograms to the service: n subpackets of 1412 bytes + 4-byte secondary headers
    for n in (2, 4, 46, 47):
        body = b"".join(b"\x07" * 1412 + struct.pack(">BBH", 0x20 if i + 2 < n else 0x04, 0, 0) for i in range(n - 1))
        typed[f"jumbo_{n}"] = rec(RAW, 0, hdr(1, ci | 0x20, seq=1) + body + b"end")
    typed["jumbo_bad"] = rec(RAW, 0, hdr(1, ci | 0x20, seq=1) + b"\x07" * 1000)
    # reply data to the client calls: in order, out of order, duplicated, beyond LAST
    typed["reply_ooo"] = b"".join(rec(TO_CALL, 0, hdr(1, f, seq=s, serial=s) + b"r" * 1416)
                                  for s, f in ((2, 0), (1, 2), (3, 4), (3, 4), (4, 4))) + tick(0xc1)
    # the application and the environment
    typed["app"] = (rec(RAW, 0, req) + rec(APP, 0, b"\0\x40") + rec(APP, 1, b"\1") + rec(APP, 3, b"\2\0\0\0\0\7")
                    + rec(APP, 4, b"\2\x20\1") + rec(APP, 0x34, b"\0\x10\2") + rec(APP, 5) + rec(RAW, 0, hdr(1, ci | 4, cid=0x8004, seq=1) + b"q")
                    + rec(APP, 6, b"\0\0\1\1\1") + rec(APP, 7, b"\3") + rec(APP, 8, b"\0\1") + rec(APP, 9)
                    + rec(APP, 10) + rec(APP, 11) + rec(APP, 2, b"\1") + tick(0xff))
    typed["icmp"] = (rec(ICMP, 3, b"\x02\x40") + rec(ICMP, 0, src=2) + rec(ICMP, 2, src=1) + rec(ICMP, 1)
                     + tick(0xc4))
    typed["batch"] = (rec(BATCH, 1) + rec(TO_CALL, 0, hdr(1, 4, seq=1) + b"a") + rec(TO_CALL, 1, hdr(1, 0, seq=1) + b"b" * 1416)
                      + rec(BATCH, 0) + tick())
    typed["shutdown"] = rec(SHUTDOWN, 1) + rec(RAW, 0, req) + rec(SHUTDOWN, 2) + tick(0xff)
    typed["timeouts"] = b"".join(tick(0xff) for _ in range(16))
    return typed


# ------------------------------------------------------------------ shell frames

MAC_US = bytes.fromhex("020000000001")
MAC_PEER = bytes.fromhex("020000000002")
IP4_US, IP4_PEER = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
IP6_US = bytes.fromhex("fd000000000000000000000000000001")
IP6_PEER = bytes.fromhex("fd000000000000000000000000000002")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f">{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(ethertype, payload, dst=MAC_US, src=MAC_PEER):
    return dst + src + struct.pack(">H", ethertype) + payload


def ip4(proto, l4, src=IP4_PEER, dst=IP4_US, frag=0x4000):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, frag, 64, proto, 0, src, dst)
    return h[:10] + struct.pack(">H", csum(h)) + h[12:] + l4


def ip6(nh, l4, src=IP6_PEER, dst=IP6_US, hlim=64):
    return struct.pack(">IHBB", 0x60000000, len(l4), nh, hlim) + src + dst + l4


def l4_with_csum(proto, l4, src, dst, at):
    if len(src) == 4:
        ph = src + dst + struct.pack(">BBH", 0, proto, len(l4))
    else:
        ph = src + dst + struct.pack(">IxxxB", len(l4), proto)
    c = csum(ph + l4) or 0xFFFF
    return l4[:at] + struct.pack(">H", c) + l4[at + 2:]


def udp(payload, family=4, sport=7009, dport=7000):
    u = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    if family == 4:
        return eth(0x0800, ip4(17, l4_with_csum(17, u, IP4_PEER, IP4_US, 6)))
    return eth(0x86DD, ip6(17, l4_with_csum(17, u, IP6_PEER, IP6_US, 6)))


def icmp4(t, code, rest, body):
    m = struct.pack(">BBH", t, code, 0) + rest + body
    return eth(0x0800, ip4(1, m[:2] + struct.pack(">H", csum(m)) + m[4:]))


def icmp6(t, code, rest, body, dst=IP6_US, hlim=64):
    m = struct.pack(">BBH", t, code, 0) + rest + body
    return eth(0x86DD, ip6(58, l4_with_csum(58, m, IP6_PEER, dst, 2), dst=dst, hlim=hlim))


def shell_seed(cfg, fr):
    return bytes([cfg]) + b"".join(struct.pack(">H", len(f)) + f for f in fr)


def shell_seeds(captures):
    seeds, pay = {}, []
    for name, frames in captures:
        rx = [f for f in frames if udp_of(f)]
        # the capture as it was (not our address), with and without checksum checks
        seeds[f"{name}_raw"] = shell_seed(0x0F, rx[:64])
        # its UDP payloads readdressed to us, over IPv4 and IPv6, one and four workers
        p = [udp_of(f)[2] for f in rx]
        seeds[f"{name}_ip4"] = shell_seed(0x0D, [udp(x) for x in p[:100]])
        seeds[f"{name}_ip6"] = shell_seed(0x3E, [udp(x, 6) for x in p[100:200]])
        pay += p[:8]
    rxhdr = hdr(1, 1, seq=1, cid=0x1234)
    sent4 = ip4(17, struct.pack(">HHHH", 7000, 7009, 8 + 40, 0) + rxhdr + b"x" * 12, src=IP4_US, dst=IP4_PEER)
    sent6 = ip6(17, struct.pack(">HHHH", 7000, 7009, 8 + 40, 0) + rxhdr + b"x" * 12, src=IP6_US, dst=IP6_PEER)
    arp_req = struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + MAC_PEER + IP4_PEER + b"\0" * 6 + IP4_US
    arp_rep = struct.pack(">HHBBH", 1, 0x0800, 6, 4, 2) + MAC_PEER + IP4_PEER + MAC_US + IP4_US
    sol = bytes.fromhex("ff0200000000000000000001ff000001")
    ns = icmp6(135, 0, b"\0" * 4, IP6_US + b"\x01\x01" + MAC_PEER, dst=sol, hlim=255)
    na = icmp6(136, 0, b"\x60\0\0\0", IP6_PEER + b"\x02\x01" + MAC_PEER, hlim=255)
    hbh = eth(0x86DD, ip6(0, b"\x3a\0" + b"\x05\x02\0\0\x01\0" + l4_with_csum(58, struct.pack(">BBH", 143, 0, 0) + b"\0" * 4,
                                                                       IP6_PEER, IP6_US, 2)))
    kinds = {
        "arp": [eth(0x0806, arp_req, dst=b"\xff" * 6), eth(0x0806, arp_rep)],
        "nd": [ns, na, icmp6(135, 0, b"\0" * 4, IP6_US + b"\x01\x00")],
        "echo": [icmp4(8, 0, b"\0\1\0\1", b"ping" * 8), icmp6(128, 0, b"\0\1\0\1", b"ping" * 8)],
        "icmp_errors": [icmp4(3, 4, b"\0\0\x05\x00", sent4), icmp4(3, 3, b"\0" * 4, sent4), icmp4(11, 0, b"\0" * 4, sent4[:28]),
                        icmp6(2, 0, struct.pack(">I", 1280), sent6), icmp6(1, 4, b"\0" * 4, sent6), icmp6(3, 0, b"\0" * 4, sent6[:48])],
        "ip_options": [hbh, eth(0x86DD, ip6(44, b"\x11\0\0\1" + b"\0" * 12)), eth(0x0800, ip4(17, b"\0" * 16, frag=0x2000)),
                       eth(0x8100, b"\0" * 30), eth(0x0800, b"\x46" + ip4(17, b"\0" * 12)[1:])],
        "udp_edges": [udp(b""), udp(b"x" * 27), udp(b"", family=6)[:-1], udp(rxhdr, family=6)],
    }
    for name, fr in kinds.items():
        seeds[name] = shell_seed(0x0F, fr)
    seeds["mixed"] = shell_seed(0x3F, [f for fr in kinds.values() for f in fr] + [udp(p) for p in pay])
    return seeds


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: gen_corpus.py PCAP [PCAP...] OUTDIR")
    captures = [(os.path.splitext(os.path.basename(p))[0], read_pcap(p)) for p in sys.argv[1:-1]]
    out = sys.argv[-1]
    for sub, seeds in (("core", core_seeds(captures)), ("shell", shell_seeds(captures))):
        d = os.path.join(out, sub)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print(f"{d}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
