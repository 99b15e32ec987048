#!/usr/bin/env python3
"""Print one line per RX packet of a capture (used for tests/data/*.frames.txt).

usage: tshark -r FILE -T fields -E separator='|' -e frame.number -e udp.length \
         -e udp.srcport -e udp.dstport -e rx.callnumber -e rx.seq -e rx.serial \
         -e rx.type -e rx.flags -e rx.serviceid -e rx.reason -e rx.num_acks \
         -e rx.first -e rx.prev -e rx.rwind -e rx.abort_code | pcap_frames.py [SERVER_PORT]
"""
import sys

TYPES = {1: "DATA", 2: "ACK", 3: "BUSY", 4: "ABORT", 5: "ACKALL", 6: "CHALLENGE",
         7: "RESPONSE", 8: "DEBUG", 9: "PARAMS", 13: "VERSION"}
REASONS = {"1": "REQUESTED", "2": "DUPLICATE", "3": "OUT_OF_SEQ", "4": "EXCEEDS_WIN",
           "5": "NOSPACE", "6": "PING", "7": "PING_RESPONSE", "8": "DELAY", "9": "IDLE"}
server_port = sys.argv[1] if len(sys.argv) > 1 else "7009"

for line in sys.stdin:
    (num, ulen, sport, dport, call, seq, ser, typ, flags, svc, reason, nacks,
     first, prev, rwind, code) = line.rstrip("\n").split("|")
    # ACKs carry a second serial/seq-like field; the header's comes first.
    seq, ser = seq.split(",")[0], ser.split(",")[0]
    t = int(typ)
    rx_len = int(ulen) - 8
    out = (f"{num:>4} {'C>S' if dport == server_port else 'S>C'} {TYPES.get(t, t):7} "
           f"fl={flags} call={call} seq={seq} ser={ser} svc={svc} rx_len={rx_len}")
    if t == 1:
        data = rx_len - 28
        out += f" data={data}"
        if int(flags, 16) & 0x20:
            # 1412-byte non-terminal subpackets, each followed by a 4-byte jumbo header
            sub = 1 + -(-(data - 1412) // 1416)
            out += f" jumbo={sub}sub"
    elif t == 2:
        out += (f" reason={REASONS.get(reason, reason)} nAcks={nacks} first={first}"
                f" prev={prev} rwind={rwind}")
    elif t == 4:
        out += f" code={code}"
    print(out)
