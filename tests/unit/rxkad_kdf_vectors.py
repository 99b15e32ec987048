#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The rxkad-kdf vectors of test_rxkad_keys.c, computed independently of rxd
# with Python's hmac/hashlib: NIST SP800-108 counter mode with HMAC-MD5,
# label "rxkad" NUL, L = 64, odd parity, skipping weak/semi-weak DES keys
# (OpenAFS src/rxkad/ticket5.c rxkad_derive_des_key); 3DES keys lose their
# parity bits first (RFC 3961 random-to-key inverse).
import hmac, hashlib
def odd(b):
    return bytes((x & 0xfe) | (1 ^ (bin(x >> 1).count('1') & 1)) for x in b)
WEAK = {bytes.fromhex(h) for h in """0101010101010101 fefefefefefefefe 1f1f1f1f0e0e0e0e e0e0e0e0f1f1f1f1
01fe01fe01fe01fe fe01fe01fe01fe01 1fe01fe00ef10ef1 e01fe01ff10ef10e 01e001e001f101f1 e001e001f101f101
1ffe1ffe0efe0efe fe1ffe1ffe0efe0e 011f011f010e010e 1f011f010e010e01 e0fee0fef1fef1fe fee0fee0fef1fef1""".split()}
def kdf(k):
    for i in range(1,256):
        d = hmac.new(k, bytes([i]) + b"rxkad\0" + (64).to_bytes(4,'big'), hashlib.md5).digest()
        c = odd(d[:8])
        if c not in WEAK: return c, i
def compress(k):
    out=b''
    for i in range(0,len(k),8):
        blk=k[i:i+8]; bits=blk[7]>>1
        out+=bytes(((blk[j]&0xfe)|((bits>>j)&1)) for j in range(7))
    return out
aes256 = bytes(range(32))
aes128 = bytes.fromhex("00112233445566778899aabbccddeeff")
des3 = bytes.fromhex("0123456789abcdeffedcba987654321089abcdef01234567")
for name,k in [("aes256",aes256),("aes128",aes128),("seven",b"1234567")]:
    print(name, kdf(k)[0].hex(), kdf(k)[1])
print("des3", compress(des3).hex(), kdf(compress(des3))[0].hex())
