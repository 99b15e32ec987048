#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the seed inputs of fuzz_rxkad_handshake and fuzz_rxkad_ticket into
# tests/fuzz/seeds/ (committed; rerun after changing an input format):
#   gen_rxkad_seeds.py OUT_DIR K4_TICKET_DIR
# OUT_DIR/<target>/ receives: CHALLENGEs in the v2 and the old form, RESPONSE
# plaintexts (mode 2, sealed by the target), Kerberos 4 ticket fields (mode
# 1), OpenAFS's asetkey KeyFile / KeyFileExt from tests/data (modes 2, 3) and
# the OpenAFS tkt_MakeTicket tickets found in K4_TICKET_DIR (mode 0: kvno 1,
# now = their start + 60; test_rxkad_keys_openafs checks they are OpenAFS's
# bytes).  The rxkad_k5 seeds come from a real KDC: tests/krb5/kdc_rxkad_k5.sh.
import os
import struct
import sys

out, k4dir = sys.argv[1], sys.argv[2]
data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


def put(target, name, b):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(b)


# CHALLENGE: v2 {version, nonce, min_level, 0} and the old {nonce, level}
for lvl in range(3):
    put("rxkad_handshake", f"challenge_v2_level{lvl}", b"\x00" + struct.pack(">IIII", 2, 0x12345678, lvl, 0))
put("rxkad_handshake", "challenge_old", b"\x00" + struct.pack(">II", 0x12345678, 1))
# RESPONSE plaintext: epoch, cid, secidx, calls[4], nonce+1, level, kvno, then the nonce the
# check expects (the target reads it from bytes 40..43) and a ticket
for lvl in range(3):
    plain = struct.pack(">IIIIIIIIII", 0x5F000001, 0x1234560, 2, 1, 0, 0, 0, 0x12345679, lvl, 1)
    plain += struct.pack(">IBxxx", 0x12345678, 0) + bytes(range(32))
    put("rxkad_handshake", f"response_plain_level{lvl}", b"\x02" + plain)
# K4 ticket fields: start, life, host, session key, name, instance, cell, sname, sinstance
for name, inst, life in ((b"alice", b"", 0x80), (b"bob", b"admin", 0x20), (b"carol", b"", 0xFF)):
    f = struct.pack(">IBI", 1700000000, life, 0xC0A80001) + bytes(range(8))
    f += b"\x00".join((name, inst, b"EXAMPLE.ORG", b"afs", b""))
    put("rxkad_ticket", "k4_fields_" + name.decode(), b"\x01" + f)
for fn, mode in (("openafs_KeyFile", 2), ("openafs_KeyFileExt", 3)):
    with open(os.path.join(data, fn), "rb") as f:
        put("rxkad_ticket", fn, bytes([mode]) + f.read())
for fn in sorted(os.listdir(k4dir)):
    with open(os.path.join(k4dir, fn), "rb") as f:
        put("rxkad_ticket", fn, b"\x00\x01" + struct.pack(">I", 1700000060) + f.read())
