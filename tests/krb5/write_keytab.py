#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Write a krb5 FILE keytab (format 0x0502, MIT src/lib/krb5/keytab/kt_file.c
# and Heimdal lib/krb5/keytab_file.c describe it) from arguments
#   write_keytab.py OUT PRINCIPAL@REALM:KVNO:ENCTYPE:HEXKEY ...
# so tests can hand OpenAFS's asetkey exact key bytes (ktutil prompts for them).
import struct
import sys


def counted(b):
    return struct.pack(">H", len(b)) + b


def entry(spec):
    princ, kvno, enctype, key = spec.rsplit(":", 3)
    name, realm = princ.rsplit("@", 1)
    comps = name.split("/")
    body = struct.pack(">H", len(comps)) + counted(realm.encode())
    body += b"".join(counted(c.encode()) for c in comps)
    body += struct.pack(">IIB", 1, 0, int(kvno) & 0xff)  # KRB5_NT_PRINCIPAL, timestamp, 8-bit kvno
    body += struct.pack(">H", int(enctype)) + counted(bytes.fromhex(key))
    body += struct.pack(">I", int(kvno))  # 32-bit kvno
    return struct.pack(">i", len(body)) + body


with open(sys.argv[1], "wb") as f:
    f.write(b"\x05\x02" + b"".join(entry(s) for s in sys.argv[2:]))
