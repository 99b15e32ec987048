#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# OpenAFS's own asetkey (Debian openafs-dbserver) writes a KeyFile (two DES
# keys) and a KeyFileExt (rxkad_krb5 AES-256 and AES-128 keys taken from a
# keytab) and keyfile_check loads them into a keyring and compares every
# key.  asetkey only writes /etc/openafs/server, so it runs in a private
# mount namespace with a temp directory bound over that path: the host's
# files are never touched.
#   openafs_keyfiles.sh KEYFILE_CHECK [OUTDIR]   (OUTDIR keeps the files: golden data)
T_NAME=openafs_keyfiles
# shellcheck source=scripts/lib/harness.sh
. "$(dirname "$0")/../../scripts/lib/harness.sh"
check=$1
out=${2:-}
require_root
command -v asetkey >/dev/null || [ -x /usr/sbin/asetkey ] || skip "asetkey not installed (apt-get install openafs-dbserver)"
command -v unshare >/dev/null || skip "unshare not installed"
[ -d /etc/openafs/server ] || skip "/etc/openafs/server missing (openafs-client not installed)"
PATH=$PATH:/usr/sbin
d=$T_DIR/server
mkdir -p "$d"
echo example.org >"$d/ThisCell"
echo ">example.org" >"$d/CellServDB"
aes256=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
aes128=00112233445566778899aabbccddeeff
python3 "$(dirname "$0")/write_keytab.py" "$d/rxkad.keytab" \
	"afs/example.org@EXAMPLE.ORG:11:18:$aes256" "afs/example.org@EXAMPLE.ORG:11:17:$aes128"
timeout 30 unshare -m sh -c "mount --bind '$d' /etc/openafs/server &&
	asetkey add 7 0123456789abcdef && asetkey add 9 fedcba9876543210 &&
	asetkey add 2 11 18 '$d/rxkad.keytab' afs/example.org@EXAMPLE.ORG &&
	asetkey add 2 11 17 '$d/rxkad.keytab' afs/example.org@EXAMPLE.ORG && asetkey list" ||
	{ echo "FAIL: asetkey"; exit 1; }
"$check" "$d/KeyFile" "$d/KeyFileExt" 7:0:0123456789abcdef 9:0:fedcba9876543210 "11:18:$aes256" "11:17:$aes128" ||
	{ echo "FAIL: keyfile_check"; exit 1; }
# a KeyFile one byte short and a KeyFileExt with a key running past its end: clear errors
head -c 27 "$d/KeyFile" >"$d/KeyFile.short"
head -c 60 "$d/KeyFileExt" >"$d/KeyFileExt.short"
"$check" "$d/KeyFile.short" "$d/KeyFileExt" 2>"$d/err1" && { echo "FAIL: short KeyFile accepted"; exit 1; }
grep -q "KeyFile: length does not match" "$d/err1" || { cat "$d/err1"; echo "FAIL: message"; exit 1; }
"$check" "$d/KeyFile" "$d/KeyFileExt.short" 2>"$d/err2" && { echo "FAIL: short KeyFileExt accepted"; exit 1; }
grep -q "KeyFileExt: key runs past the end" "$d/err2" || { cat "$d/err2"; echo "FAIL: message"; exit 1; }
[ -n "$out" ] && cp "$d/KeyFile" "$out/openafs_KeyFile" && cp "$d/KeyFileExt" "$out/openafs_KeyFileExt"
echo "PASS: OpenAFS KeyFile and KeyFileExt load"
