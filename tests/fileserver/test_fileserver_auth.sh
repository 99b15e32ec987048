#!/bin/bash
# Authenticated access to rxd-fileserver (DPDK, in a private netns behind a
# TAP) from OpenAFS's own rx + rxkad client (tests/fileserver/openafs_fs_auth):
# tokens sealed with the key of an OpenAFS KeyFile the server reads
# (--keyfile), users and groups from --users, per-directory ACLs.  Checks:
# anonymous refused where an authenticated user may write; the owner and
# rights the status returns; StoreACL/FetchACL round trip and persistence;
# EACCES without insert or administer; expired tickets, a wrong key, an
# unknown kvno and a level below --min-level refused with rxkad's abort codes.
#
# usage: test_fileserver_auth.sh RXD_FILESERVER OPENAFS_FS_AUTH
# exit:  0 all passed, 1 a failure, 77 skipped (not root / tool missing)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/interop/rxd_interop_lib.sh
. "$HERE/../interop/rxd_interop_lib.sh"

# shellcheck source=tests/fileserver/fs_lib.sh
. "$HERE/fs_lib.sh"
FS=${1:?usage: $0 RXD_FILESERVER OPENAFS_FS_AUTH}
CLIENT=${2:?usage: $0 RXD_FILESERVER OPENAFS_FS_AUTH}
fs_setup fsauth 120

# rxkad abort codes (OpenAFS src/rxkad/rxkad_errs.et)
RXKADLEVELFAIL=19270402
RXKADUNKNOWNKEY=19270408
RXKADBADTICKET=19270407
RXKADEXPIRED=19270409
EACCES=13

# The cell's server key, kvno 3, in an OpenAFS KeyFile (count, then kvno + 8-byte DES key, big-endian).
KEY=0123456789abcdef
KVNO=3
KF="$T_DIR/KeyFile"
printf '\x00\x00\x00\x01\x00\x00\x00\x03\x01\x23\x45\x67\x89\xab\xcd\xef' >"$KF"
USERS="$T_DIR/users"
cat >"$USERS" <<'USERS'
# NAME ID [GROUP...]
alice 1001
bob 1002
rooty 1003 system:administrators
USERS
as() { # USER [-l LEVEL ...]: the client options of USER's token
	printf '%s\n' -u "$1" -k "$KEY" -K "$KVNO"
}
mapfile -t ALICE < <(as alice)
mapfile -t BOB < <(as bob)
mapfile -t ROOTY < <(as rooty)
ACL=$'3\n0\nsystem:administrators\t127\nalice\t127\nbob\t9\n'

# ---------------------------------------------------------------- authenticated access, anonymous refused
fs_start auth --anonymous none --keyfile "$KF" --users "$USERS" --cell rxd.test
echo "rxd-fileserver up: $(grep listening "$FS_OUT")"
client_run anonymous status "$EACCES"
client_run anonymous-create create anon1 "$EACCES"
client_run setacl "${ROOTY[@]}" setacl "$ACL" 0
client_run getacl "${ROOTY[@]}" getacl "$ACL"
client_run alice-create "${ALICE[@]}" create a1 0 1001
client_run alice-crypt "${ALICE[@]}" -l crypt create a2 0 1001
client_run bob-reads "${BOB[@]}" -l auth status 0
client_run bob-no-insert "${BOB[@]}" create b1 "$EACCES"
client_run bob-no-administer "${BOB[@]}" setacl $'0\n0\n' "$EACCES"
client_run other-realm "${ALICE[@]}" -r OTHER.CELL status "$EACCES" # alice@other.cell is not alice
client_run expired "${ALICE[@]}" -x status "$RXKADEXPIRED"
client_run wrong-key -u alice -k fedcba9876543210 -K "$KVNO" status "$RXKADBADTICKET"
client_run unknown-kvno -u alice -k "$KEY" -K 9 status "$RXKADUNKNOWNKEY"
fs_stop "fileserver clean exit (authenticated)"

# ---------------------------------------------------------------- the ACL survives a restart; --min-level
fs_start level --anonymous read --keyfile "$KF" --users "$USERS" --cell rxd.test --min-level crypt
client_run kept-acl "${ROOTY[@]}" -l crypt getacl "$ACL"
client_run anonymous-read status "$EACCES" # --anonymous read, but system:anyuser is off the root's ACL
client_run level-clear "${ALICE[@]}" -l clear status "$RXKADLEVELFAIL"
client_run level-crypt "${ALICE[@]}" -l crypt create a3 0 1001

# ---------------------------------------------------------------- a new key while serving (SIGHUP)
# The KeyFile now holds only kvno 4 (another key): after SIGHUP tickets of kvno 4 open, kvno 3 no more.
printf '\x00\x00\x00\x01\x00\x00\x00\x04\xfe\xdc\xba\x98\x76\x54\x32\x10' >"$KF"
kill -HUP "$FS_PID"
if wait_log "$FS_PID" "$FS_OUT" "keys reloaded" 10; then
	result PASS "SIGHUP reads the KeyFile again" "$(grep 'keys reloaded' "$FS_OUT")"
else
	result FAIL "SIGHUP reads the KeyFile again" "$(tail -n 3 "$FS_OUT" | tr '\n' ' ')"
fi
client_run new-kvno -u alice -k fedcba9876543210 -K 4 -l crypt status 0
client_run old-kvno "${ALICE[@]}" -l crypt status "$RXKADUNKNOWNKEY"
fs_stop "fileserver clean exit (--min-level crypt, keys reloaded)"

# ---------------------------------------------------------------- operator errors: one line naming the option
for args in "--min-level maybe|--min-level" "--users $T_DIR/nope|$T_DIR/nope" "--keyfile $T_DIR/nope|--keyfile"; do
	a=${args%%|*}
	want=${args#*|}
	# shellcheck disable=SC2086
	out=$(timeout 20 "$FS" --no-pci -- --vice "$VICE" $a 2>&1)
	rc=$?
	if [ "$rc" != 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -q -- "$want"; then
		result PASS "bad option: $a" "$out"
	else
		result FAIL "bad option: $a" "rc $rc: $out"
	fi
done

finish "rxd-fileserver authenticated access vs OpenAFS rxkad client"
