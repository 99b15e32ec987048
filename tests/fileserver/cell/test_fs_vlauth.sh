#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# rxd-fileserver registering in a production cell's vlserver: the private
# cell of cell_lib.sh with CELL_NOAUTH=0 (no NoAuth file, vlserver without
# -noauth), so only an administrator may change the VLDB.  With the cell's
# KeyFile, rxd-fileserver registers with a -localauth ticket (rxkad clear,
# app/fileserver/localauth.c, as OpenAFS's fileserver): vos listaddrs and
# vos listvldb -localauth show it, and afsio (anonymous) finds root.afs
# through the vlserver and writes and reads a file there.  Refused before
# that, each with one log line naming why: a key that is not the KeyFile's
# (the vlserver cannot open the ticket), and no key at all (rxnull: VL_PERM);
# neither leaves the server in the VLDB.
#   test_fs_vlauth.sh AFS_MKFILE RXD_FILESERVER   (meson test fs_vlauth, as root)
T_NAME=fs_vlauth
CELL_LINK=tap
CELL_NOAUTH=0
# shellcheck source=tests/fileserver/cell/cell_lib.sh
. "$(dirname "$0")/cell_lib.sh"

rxd_fs=${2:-}
[ -n "$rxd_fs" ] && [ -x "$rxd_fs" ] || skip "rxd-fileserver not built"
[ -c /dev/net/tun ] || skip "/dev/net/tun missing (rxd-fileserver attaches to a TAP)"

WRONG_KEY=fedcba9876543210 # cell_up's KeyFile holds 0123456789abcdef, kvno 1

cell_init rxdvla "$1"
cell_up
cell_start_db
keyfile=$CELL_CONF/server/KeyFile
[ -s "$keyfile" ] || { echo "FATAL: asetkey left no $keyfile"; exit 1; }
[ ! -e "$CELL_CONF/server/NoAuth" ] || fail "CELL_NOAUTH=0 left a NoAuth file"

# The VLDB does not name rxd-fileserver's address (vos as an administrator).
not_registered() {
	cell_run 20 vos listaddrs -localauth >"$T_DIR/listaddrs.log" 2>&1 || return 1
	! grep -q "$CELL_RXD_IP" "$T_DIR/listaddrs.log"
}

# refused TAG PATTERN ARGS...: rxd-fileserver started with ARGS must give up registering with one line matching PATTERN.
refused() {
	local tag=$1 pat=$2 line
	shift 2
	cell_start_rxd "$rxd_fs" --cell "$CELL_NAME" --vlserver "$CELL_DB_IP" "$@"
	if wait_log "$CELL_RXD_PID" "$CELL_RXD_LOG" 'vl: registration with cell .* failed' 60; then
		line=$(grep -E 'vl: registration with cell .* failed' "$CELL_RXD_LOG")
		if echo "$line" | grep -Eq -- "$pat" && not_registered; then
			result PASS "registration refused: $tag" "$line"
		else
			result FAIL "registration refused: $tag" "want /$pat/ and no VLDB address; log: $line; $(tr '\n' ' ' <"$T_DIR/listaddrs.log")"
		fi
	else
		result FAIL "registration refused: $tag" "no failure line; log: $(grep 'vl:' "$CELL_RXD_LOG" | tail -n 3 | tr '\n' ' ')"
	fi
	stop_pid "$CELL_RXD_PID" 15 || fail "rxd-fileserver did not exit 0 on SIGTERM"
}

refused "a key not the KeyFile's" 'RegisterAddrs gave up after 1 tries .*RXKAD(BADTICKET|UNKNOWNKEY)' \
	--key "$WRONG_KEY" --kvno 1
refused "no key (rxnull)" 'RegisterAddrs gave up after 1 tries .*VL_PERM'

cell_start_rxd "$rxd_fs" --keyfile "$keyfile" --cell "$CELL_NAME" --vlserver "$CELL_DB_IP"
if wait_log "$CELL_RXD_PID" "$CELL_RXD_LOG" 'vl: registered with cell' 60 &&
	cell_wait 30 sh -c "vos listaddrs -localauth | grep -q '$CELL_RXD_IP'" &&
	cell_wait 30 sh -c "vos listvldb -server $CELL_RXD_IP -localauth | grep -q root.afs"; then
	result PASS "registered with the KeyFile (-localauth)" "$(grep -E 'vl: regist' "$CELL_RXD_LOG" | tr '\n' ' ')"
else
	result FAIL "registered with the KeyFile (-localauth)" "$(grep 'vl:' "$CELL_RXD_LOG" | tail -n 3 | tr '\n' ' ')"
	cell_run 10 vos listvldb -localauth | sed 's/^/  /'
fi
cell_mkfiles root.afs vlauth
cell_afsio_check vlauth $((256 << 10))
stop_pid "$CELL_RXD_PID" 15 || fail "rxd-fileserver did not exit 0 on SIGTERM"
grep -E 'listening' "$CELL_RXD_LOG" | sed 's/^/  /'
cell_stop TERM "$CELL_PT_PID" "$CELL_VL_PID"
finish
