#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# afsio against rxd-fileserver, in the private cell of cell_lib.sh:
#   builtin: no OpenAFS server at all; CellServDB names rxd-fileserver
#            (198.18.18.198), whose built-in VL service on UDP 7003
#            (app/fileserver/vl.c) locates root.afs;
#   vldb:    OpenAFS's vlserver and ptserver at 198.18.7.1; rxd-fileserver
#            registers itself (--vlserver, app/fileserver/vlreg.c): vos
#            listaddrs and vos listvldb must show it, then afsio finds it there.
# Each time afs_mkfile makes the files and afsio writes and reads 0 B, 1 B,
# 1 MiB (and 65 MiB unless RXD_QUICK=1; 1 GiB too through the built-in VL,
# unless RXD_AFSIO_GIB=0) with matching md5.
# Through the built-in VL also: three afsio writers and three readers on one
# file, directory create/list/rename/remove through libafscp (afs_dirops),
# a file written, the server restarted, the file read,
# a callback held by afs_cbwatch
# (libafscp) broken when afsio writes, and a store that completes while the
# callback holder hangs (SIGSTOP), the break reaching the holder afterwards.
#   test_afsio_rxd.sh AFS_MKFILE RXD_FILESERVER AFS_CBWATCH AFS_DIROPS   (meson test afsio_rxd, as root)
T_NAME=afsio_rxd
CELL_LINK=tap
# shellcheck source=tests/fileserver/cell/cell_lib.sh
. "$(dirname "$0")/cell_lib.sh"

rxd_fs=${2:-}
CELL_CBWATCH=${3:-}
CELL_DIROPS=${4:-}
[ -n "$rxd_fs" ] && [ -x "$rxd_fs" ] || skip "rxd-fileserver not built"
[ -n "$CELL_CBWATCH" ] && [ -x "$CELL_CBWATCH" ] || skip "afs_cbwatch not built"
[ -c /dev/net/tun ] || skip "/dev/net/tun missing (rxd-fileserver attaches to a TAP)"

afsio_checks() { # [gib]: also 1 GiB
	cell_mkfiles root.afs empty one mib big gib
	cell_afsio_check empty 0
	cell_afsio_check one 1
	cell_afsio_check mib $((1 << 20))
	quick || cell_afsio_check big $((65 << 20))
	# RXD_AFSIO_GIB=0 leaves the 1 GiB file out (about 2 min on an idle 2-core host, afsio being the slow end)
	quick || [ "${1:-}" != gib ] || [ "${RXD_AFSIO_GIB:-1}" = 0 ] || cell_afsio_check gib $((1 << 30))
}

mode=${RXD_CELL_MODE:-both}

if [ "$mode" != vldb ]; then
	note "built-in VL"
	# an address libafscp's callback service recognises (cell_lib.sh, CELL_RXD_IP_CB)
	CELL_RXD_IP=$CELL_RXD_IP_CB CELL_RXD_PLEN=16
	CELL_VL_IP=$CELL_RXD_IP
	cell_init rxdvl "$1"
	cell_up
	cell_start_rxd "$rxd_fs"
	afsio_checks gib
	cell_mkfiles root.afs conc cbw cbd restart
	cell_afsio_concurrent conc $((4 << 20)) 3 3 4
	cell_dirops dirops
	cell_afsio_restart restart "$rxd_fs"
	cell_cb_break cbw
	cell_cb_dead cbd
	stop_pid "$CELL_RXD_PID" 15 || fail "rxd-fileserver did not exit 0 on SIGTERM"
	ip netns del "$CELL_NS" 2>/dev/null
fi

if [ "$mode" != builtin ]; then
	note "registered with OpenAFS's vlserver"
	CELL_RXD_IP=198.18.7.2 CELL_RXD_PLEN=24
	CELL_VL_IP=$CELL_DB_IP
	cell_init rxdreg "$1"
	CELL_ROOT=$T_DIR/root2 CELL_CONF=$T_DIR/openafs2
	cell_up
	cell_start_db
	grep -aq -- --vlserver "$rxd_fs" || skip "rxd-fileserver has no --vlserver option yet"
	cell_start_rxd "$rxd_fs" --vlserver "$CELL_DB_IP" --cell "$CELL_NAME"
	if cell_wait 60 sh -c "vos listaddrs -noauth | grep -q '$CELL_RXD_IP'" &&
		cell_wait 60 sh -c "vos listvldb -server $CELL_RXD_IP -noauth | grep -q root.afs"; then
		result PASS "registered" "vos listaddrs and listvldb show $CELL_RXD_IP"
	else
		result FAIL "registered" "vos does not show rxd-fileserver; its log:"
		grep -E '^vl:' "$CELL_RXD_LOG" | tail -n 5
	fi
	cell_run 10 vos listvldb -noauth | sed 's/^/  /'
	afsio_checks
	stop_pid "$CELL_RXD_PID" 15 || fail "rxd-fileserver did not exit 0 on SIGTERM"
	cell_stop TERM "$CELL_PT_PID" "$CELL_VL_PID"
fi
finish
