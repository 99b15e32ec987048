#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# rxd-fileserver asking a real OpenAFS ptserver who its callers are, in the
# private cell of cell_lib.sh: users and groups made with pts, the ptserver
# without NoAuth (rxd calls it with a -localauth ticket sealed with the
# cell's KeyFile key, as OpenAFS's fileserver does), rxd-fileserver with --keyfile, --ptserver and
# --anonymous none, and OpenAFS's rxkad client (tests/fileserver/openafs_fs_auth)
# holding tokens of those users: an administrator per system:administrators
# stores an ACL naming a group and a user (NameToID), FetchACL gives the
# names back (IDToName), a member of the group may create (GetCPS), a user
# with only rl may not, a name the ptserver does not know is anonymous.
#   test_fs_ptserver.sh AFS_MKFILE RXD_FILESERVER OPENAFS_FS_AUTH   (meson test fs_ptserver, as root)
T_NAME=fs_ptserver
CELL_LINK=tap
# shellcheck source=tests/fileserver/cell/cell_lib.sh
. "$(dirname "$0")/cell_lib.sh"

rxd_fs=${2:-}
client=${3:-}
[ -n "$rxd_fs" ] && [ -x "$rxd_fs" ] || skip "rxd-fileserver not built"
[ -n "$client" ] && [ -x "$client" ] || skip "openafs_fs_auth not built"
[ -c /dev/net/tun ] || skip "/dev/net/tun missing (rxd-fileserver attaches to a TAP)"

KEY=0123456789abcdef # the cell key cell_up gives asetkey, kvno 1
KVNO=1
EACCES=13

cell_init rxdpt "$1"
cell_up
cell_start_db
pts_run() { # pts with the cell key, as an administrator on the server does
	cell_run 20 pts "$@" -localauth >>"$T_DIR/pts.log" 2>&1 || { echo "FATAL: pts $*"; cat "$T_DIR/pts.log"; exit 1; }
}
# From here the ptserver checks who asks: only -localauth (and rxd's PR calls) are administrators.
rm -f "$CELL_CONF/server/NoAuth"
pts_run createuser alice -id 1001
pts_run createuser bob -id 1002
pts_run createuser rooty -id 1003
pts_run adduser rooty system:administrators
pts_run creategroup staff -id -210 -owner system:administrators
pts_run adduser alice staff
keyfile=$CELL_CONF/server/KeyFile
[ -s "$keyfile" ] || { echo "FATAL: asetkey left no $keyfile"; ls -l "$CELL_CONF/server"; exit 1; }

cell_start_rxd "$rxd_fs" --anonymous none --keyfile "$keyfile" --ptserver "$CELL_DB_IP" --cell "$CELL_NAME" \
	--vlserver "$CELL_DB_IP"
as() { # USER CMD...: openafs_fs_auth with USER's token, its PASS/FAIL lines as results
	local user=$1 log=$T_DIR/client-$1-$2.log
	shift
	ip netns exec "$CELL_NS" timeout 60 "$client" -a "$CELL_RXD_IP" -u "$user" -k "$KEY" -K "$KVNO" "$@" >"$log" 2>&1
	while read -r word rest; do
		case $word in
		PASS) result PASS "$rest" "" ;;
		FAIL) result FAIL "${rest%% -- *}" "${rest#* -- }" ;;
		esac
	done <"$log"
	grep -qE '^(PASS|FAIL)' "$log" || result FAIL "$user $*" "no verdict: $(tail -n 3 "$log" | tr '\n' ' ')"
}
ACL=$'3\n0\nsystem:administrators\t127\nstaff\t127\nbob\t9\n'
as rooty setacl "$ACL" 0
as rooty getacl $'3\n0\nstaff\t127\nsystem:administrators\t127\nbob\t9\n' # by id: -210, -204, 1002
as alice create a1 0 1001
as bob status 0
as bob create b1 "$EACCES"
as carol status "$EACCES" # the ptserver does not know carol: anonymous, and --anonymous none

# libafscp, afsio's library, as alice (-localauth: afscp_LocalAuthAs) and anonymously.  afsio
# itself cannot authenticate here: Debian's libafscp 1.8.9 takes only DES Kerberos 5
# credentials (non-DES ones came with OpenAFS's "libafscp: Support non-DES user credential
# keys"), which no KDC of Debian 12 issues.
cell_wait 60 sh -c "vos listvldb -server $CELL_RXD_IP -noauth | grep -q root.afs" ||
	fail "rxd-fileserver did not register root.afs with the vlserver"
cell_mkfiles -as alice root.afs lib1
result PASS "libafscp as alice creates (afs_mkfile -as alice)" "$(tr '\n' ' ' <"$T_DIR/mkfile.log")"
if cell_run 60 /tmp/afs_mkfile root.afs lib2 >"$T_DIR/mkfile-anon.log" 2>&1; then
	result FAIL "libafscp anonymous is refused" "$(tr '\n' ' ' <"$T_DIR/mkfile-anon.log")"
else
	result PASS "libafscp anonymous is refused" "$(tr '\n' ' ' <"$T_DIR/mkfile-anon.log")"
fi
stop_pid "$CELL_RXD_PID" 15 || fail "rxd-fileserver did not exit 0 on SIGTERM"
grep -E 'listening' "$CELL_RXD_LOG" | sed 's/^/  /'
cell_stop TERM "$CELL_PT_PID" "$CELL_VL_PID"
finish
