#!/bin/bash
# Linux kafs (fs/afs, the kernel's AFS client) in the qemu guest against
# rxd-fileserver: the guest learns the cell from /proc/net/afs/cells (the VL
# service on rxd's port 7003), mounts the volume root.cell, writes, reads back
# and lists files of 0 B to 64 MiB (checksums compared with the bytes the
# fileserver stored), makes and removes directories, renames, links, symlinks,
# chmods, mounts through the dynamic root and over IPv6, and sees a callback
# break when another client (OpenAFS's rx stubs, on the host) changes a file
# it has cached.  See kernel_lib.sh for the topology, doc/kernel-interop.md
# "kafs" for what kafs calls.
#
# usage: test_kernel_kafs.sh RXD_FILESERVER AF_RXPERF [OPENAFS_FS_CLIENT]
# exit:  0 all passed, 1 a failure, 77 skipped (not root, or qemu cannot run)
# RXD_QUICK=1: 8 MiB instead of 64 MiB; RXD_INTEROP_KEEP=DIR keeps logs.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/interop/rxd_interop_lib.sh
. "$HERE/../rxd_interop_lib.sh"
# shellcheck source=tests/interop/kernel/kernel_lib.sh
. "$HERE/kernel_lib.sh"

FS=${1:?usage: $0 RXD_FILESERVER AF_RXPERF [OPENAFS_FS_CLIENT]}
AF=${2:?usage: $0 RXD_FILESERVER AF_RXPERF [OPENAFS_FS_CLIENT]}
CLIENT=${3:-}
[ -x "$FS" ] || skip "rxd-fileserver not built ($FS)"
kv_attempts "$@"
T_START=$(date +%s)
kv_init kafs "$AF"

CELL=rxd.test
VOLID=536870912
VICE="$T_DIR/vicepa"
VOLDIR="$VICE/V0$VOLID"
BIG=$((64 << 20))
quick && BIG=$((8 << 20))
MNT=/afs/cell
# rxkad: the cell's key (the fileserver's --key) and the users it knows.
KFS_KEY=3b5e9a1c7f2d4e60
KFS_KVNO=7
KFS_USERS="$T_DIR/users"
RXKADBADTICKET=19270407 # <linux/rxrpc.h>, OpenAFS rxkad_errs.et

KV_MODULES+=(kafs)
kv_setup "$AF" || exit 1
printf '%s\n' "admin 1 system:administrators" "alice 1001" >"$KFS_USERS"

# ------------------------------------------------------------ the fileserver
FS_OUT="$T_DIR/fileserver.log"
# rxd.core:info: the core logs each RESPONSE it refuses ("conn CID: RESPONSE rejected (CODE)").
# shellcheck disable=SC2046
if ! start_wait "$FS_OUT" listening 20 ip netns exec "$IX_NS" "$FS" $(ix_eal fk) --log-level=rxd.core:info -- --vice "$VICE" \
	--ip "$IX_RXD_IP/$IX_PREFIX_LEN" --gw "$IX_KERNEL_IP" --ip6 "$KV_RXD_IP6/64" --gw6 "$KV_KERNEL_IP6" \
	"${IX_RXD_EXTRA[@]}" $(idle_sleep 4) --anonymous write --io-threads 2 \
	--cell "$CELL" --key "$KFS_KEY" --kvno "$KFS_KVNO" --users "$KFS_USERS" ||
	! ix_wait_rxd_reachable "$LAST_PID"; then
	echo "FATAL: rxd-fileserver did not come up"
	tail -n 20 "$FS_OUT" | sed 's/^/  server: /'
	exit 1
fi
FS_PID=$LAST_PID
echo "rxd-fileserver: $(grep -m1 listening "$FS_OUT")"
# The calls kafs makes, for the log (request packets' first 256 bytes, on rxd's side of the router).
CAP=""
if command -v dumpcap >/dev/null && command -v tshark >/dev/null; then
	CAP="$T_DIR/kafs.pcap"
	ix_capture_start "$CAP" udp "$IX_KDEV" 256
fi

# kg NAME CMD [TIMEOUT]: a guest command must exit 0 (kv_guest_check).
kg() { kv_guest_check "kafs: $1" "$2" "${3:-60}"; }
# gv CMD [TIMEOUT]: a guest command's output (empty when it failed).
gv() { kv_guest "${2:-60}" "$1" 2>/dev/null; }
# host_md5 PATH: md5 of the data file the fileserver keeps for PATH in the
# guest's mount (kafs's inode number is the vnode; d/ names are 8 hex digits).
host_md5() {
	local ino
	ino=$(gv "stat -c %i $1") || return 1
	[ -n "$ino" ] || return 1
	md5sum <"$VOLDIR/d/$(printf %08x "$ino")" | cut -d' ' -f1
}
# same NAME WANT GOT: PASS when equal and not empty.
same() {
	if [ -n "$2" ] && [ "$2" = "$3" ]; then
		result PASS "kafs: $1" "$2"
	else
		result FAIL "kafs: $1" "want '$2', got '$3'"
	fi
}
# '%' asks for the RW volume (a '#' source is lost by busybox 1.35's mount: "mounting  on").
remount() { kg "remount ($1)" "umount $MNT && mount -t afs %$CELL:root.cell $MNT"; }

# ------------------------------------------------------------ cell and mount
kg "kafs loaded, cache manager on 7001" "grep -q afs /proc/filesystems && cat /proc/net/afs/servers >/dev/null && echo ok"
kg "cell added (/proc/net/afs/cells)" "echo 'add $CELL $IX_RXD_IP' >/proc/net/afs/cells && cat /proc/net/afs/cells"
kg "mount %$CELL:root.cell" "mkdir -p $MNT && mount -t afs %$CELL:root.cell $MNT && grep afs /proc/mounts" 120
if ! kv_guest 10 "grep -q ' $MNT afs ' /proc/mounts"; then
	# Everything below would run on the guest's rootfs.
	kv_guest 10 "dmesg | tail -n 20" | sed 's/^/  guest dmesg: /'
	finish "Linux kafs (qemu guest) vs rxd-fileserver"
fi
kg "empty root listed" "test -z \"\$(ls -A $MNT)\" && stat -c '%F %a %h' $MNT"

# ------------------------------------------------------------ data: write, read back, compare
SIZES=(0 1 4095 4096 4097 $((1 << 20)) "$BIG")
t0=$(date +%s)
for n in "${SIZES[@]}"; do
	kg "write $n B" "head -c $n /dev/urandom >/tmp/s.$n && cp /tmp/s.$n $MNT/f.$n && sync && stat -c '%s' $MNT/f.$n | grep -qx $n" 900
	want=$(gv "md5sum </tmp/s.$n | cut -d' ' -f1")
	same "stored bytes of $n B equal (fileserver's copy)" "$want" "$(host_md5 "$MNT/f.$n")"
done
echo "  note: writes took $(($(date +%s) - t0)) s"
remount "drop kafs's cache"
t0=$(date +%s)
for n in "${SIZES[@]}"; do
	want=$(gv "md5sum </tmp/s.$n | cut -d' ' -f1")
	same "read back $n B" "$want" "$(gv "md5sum <$MNT/f.$n | cut -d' ' -f1" 900)"
done
echo "  note: reads took $(($(date +%s) - t0)) s"
LIST=$(for n in "${SIZES[@]}"; do echo "f.$n"; done | sort | tr '\n' ' ')
same "ls lists the files" "$LIST" "$(gv "ls $MNT | sort | tr '\n' ' '")"
same "ls -l sizes" "$(for n in "${SIZES[@]}"; do echo "$n f.$n"; done | sort -k2 | tr '\n' ' ')" \
	"$(gv "ls -l $MNT | awk 'NF>=9 {print \$5, \$9}' | sort -k2 | tr '\n' ' '")"
kg "rm the files" "rm /tmp/s.$BIG && rm $MNT/f.* && test -z \"\$(ls -A $MNT)\""

# ------------------------------------------------------------ the namespace
kg "mkdir" "mkdir $MNT/d1 $MNT/d1/sub && stat -c '%F %h' $MNT/d1 | grep -qx 'directory 3' && echo ok"
kg "create in a subdirectory" "echo hello >$MNT/d1/a && cat $MNT/d1/a"
kg "rename within a directory" "mv $MNT/d1/a $MNT/d1/b && test ! -e $MNT/d1/a && cat $MNT/d1/b"
kg "rename across directories" "mv $MNT/d1/b $MNT/top && test ! -e $MNT/d1/b && cat $MNT/top"
kg "rename a directory" "mv $MNT/d1/sub $MNT/d2 && test -d $MNT/d2 && stat -c %h $MNT/d1 | grep -qx 2 && echo ok"
kg "hard link" "ln $MNT/top $MNT/top2 && stat -c %h $MNT/top | grep -qx 2 && cat $MNT/top2"
kg "symlink" "ln -s top $MNT/sl && readlink $MNT/sl && cat $MNT/sl"
kg "chmod (StoreStatus)" "chmod 600 $MNT/top && stat -c %a $MNT/top | grep -qx 600 && echo ok"
kg "rmdir of a non-empty directory fails" "mkdir $MNT/d2/x && ! rmdir $MNT/d2 2>/dev/null && echo refused"
kg "rmdir" "rmdir $MNT/d2/x $MNT/d2 && test ! -e $MNT/d2 && echo ok"
kg "rm one link" "rm $MNT/top2 && stat -c %h $MNT/top | grep -qx 1 && echo ok"
kg "rename over an existing file" "echo old >$MNT/d1/victim && echo new >$MNT/d1/src && mv $MNT/d1/src $MNT/d1/victim && cat $MNT/d1/victim"
kg "a 255-byte name" "n=\$(printf 'n%.0s' \$(seq 255)) && echo long >$MNT/d1/\$n && ls $MNT/d1 | grep -c '^n\\{255\\}\$'"
kg "300 entries (directory pages)" "i=0; while [ \$i -lt 300 ]; do : >$MNT/d1/entry-with-a-longer-name-\$i || exit 1; i=\$((i + 1)); done; test \$(ls $MNT/d1 | grep -c '^entry-') = 300 && echo 300"
kg "overwrite in the middle (StoreData64 at an offset)" "head -c 20000 /dev/urandom >/tmp/m && cp /tmp/m $MNT/mid && printf XYZ | dd of=/tmp/m bs=1 seek=12345 conv=notrunc 2>/dev/null && printf XYZ | dd of=$MNT/mid bs=1 seek=12345 conv=notrunc 2>/dev/null && sync && md5sum </tmp/m"
kg "truncate down and up" "truncate -s 5000 $MNT/mid && truncate -s 5000 /tmp/m && truncate -s 9000 $MNT/mid && truncate -s 9000 /tmp/m && sync && stat -c %s $MNT/mid"
kg "touch -d (StoreStatus mtime)" "touch -d '2020-01-02 03:04:05' $MNT/top && stat -c %Y $MNT/top"
kg "statfs (GetVolumeStatus)" "stat -f -c '%b %a' $MNT && df $MNT | tail -n 1"
remount "the namespace as the fileserver keeps it"
same "listing after remount" "d1 mid sl top " "$(gv "ls $MNT | sort | tr '\n' ' '")"
same "types, modes, links after remount" "d1 directory 755 2|sl symbolic link 777 1|top regular file 600 1|" \
	"$(gv "cd $MNT && for f in d1 sl top; do stat -c '%n %F %a %h' \$f; done | tr '\n' '|'")"
same "symlink target after remount" "top" "$(gv "readlink $MNT/sl")"
same "content after remount" "hello" "$(gv "cat $MNT/top")"
want=$(gv "md5sum </tmp/m | cut -d' ' -f1")
same "overwritten and truncated file after remount" "$want" "$(gv "md5sum <$MNT/mid | cut -d' ' -f1")"
same "the fileserver's copy of it" "$want" "$(host_md5 "$MNT/mid")"
same "mtime after remount" 1577934245 "$(gv "TZ=UTC0 stat -c %Y $MNT/top")"
same "300 entries and the long name after remount" "302 long" "$(gv "ls $MNT/d1 | wc -l | tr -d ' '") $(gv "cat $MNT/d1/n*")"
same "replaced file after remount" new "$(gv "cat $MNT/d1/victim")"
kg "remove 300 entries" "rm $MNT/d1/entry-* && test \$(ls $MNT/d1 | wc -l) = 2 && ls $MNT/d1 | cut -c 1-10"

# ------------------------------------------------------------ another client changes a file
if [ -n "$CLIENT" ] && [ -x "$CLIENT" ]; then
	kg "cache a file" "head -c 3000 /dev/zero >$MNT/shared && sync && md5sum $MNT/shared"
	# The host's OpenAFS-stub client rewrites it (5000 bytes of its pattern, seed 7):
	# kafs sees it only if the fileserver breaks the callback it promised.
	if ip netns exec "$IX_NS" timeout 60 "$CLIENT" -a "$IX_RXD_IP" put shared 5000 7 >"$T_DIR/put.log" 2>&1; then
		want=$(md5sum <"$VOLDIR/d/$(printf %08x "$(gv "stat -c %i $MNT/shared")")" | cut -d' ' -f1)
		got=""
		for _ in $(seq 20); do
			got=$(gv "md5sum <$MNT/shared | cut -d' ' -f1")
			[ "$got" = "$want" ] && break
			sleep 0.5
		done
		same "callback break: another client's write is seen" "$want" "$got"
		same "callback break: new length" 5000 "$(gv "stat -c %s $MNT/shared")"
	else
		result FAIL "kafs: another client's write" "$(tail -n 3 "$T_DIR/put.log" | tr '\n' ' ')"
	fi
else
	result SKIP "kafs: callback break" "openafs_fs_client not built (OpenAFS libraries absent)"
fi

# ------------------------------------------------------------ dynamic root and IPv6
# The dynamic root lists the known cells and mounts a cell's root.cell on a lookup.
kg "dynamic root (-o dyn)" "mkdir -p /afs/dyn && mount -t afs none /afs/dyn -o dyn && ls /afs/dyn | grep -qx $CELL && echo ok" 120
same "dynamic root: /afs/dyn/$CELL lists the volume" "$(gv "ls $MNT | sort | tr '\n' ' '")" \
	"$(gv "ls /afs/dyn/$CELL | sort | tr '\n' ' '" 120)"
# A second cell whose only VL address is IPv6: kafs asks rxd's VL service over
# IPv6 and finds the cell an alias of the first (same root.cell, same server).
kg "cell over IPv6 (VL at [$KV_RXD_IP6])" "echo 'add v6.$CELL [$KV_RXD_IP6]' >/proc/net/afs/cells && mkdir -p /afs/v6 && mount -t afs %v6.$CELL:root.cell /afs/v6 && cat /afs/v6/top && dmesg | grep 'v6.$CELL is an alias of $CELL'" 120

# ------------------------------------------------------------ tokens and ACLs
# kafs uses the token ("afs@CELL" rxrpc key, af_kafs key) of whoever makes the
# call, at rxkad level crypt (fs/afs/rxrpc.c sets RXRPC_MIN_SECURITY_LEVEL
# ENCRYPT); without one it calls anonymously (af_kafs anon).
if kv_guest 10 "test -x /bin/af_kafs"; then
	kg "token for admin" "af_kafs key $CELL $KFS_KEY $KFS_KVNO admin"
	kg "admin makes a directory" "mkdir $MNT/priv && echo ok"
	same "its owner is admin's id" 1 "$(gv "stat -c %u $MNT/priv")"
	kg "admin sets its ACL (StoreACL through afs.acl)" "af_kafs setacl $MNT/priv \"\$(printf '2\\n0\\nsystem:administrators 127\\nalice 63\\n')\""
	same "FetchACL (afs.acl) gives it back" "2 0 system:administrators 127 alice 63" \
		"$(gv "af_kafs getacl $MNT/priv | tr -s '\t\n' '  ' | sed 's/ *\$//'")"
	kg "anonymous cannot list it" "af_kafs anon ls $MNT/priv 2>&1 | grep 'Permission denied'"
	kg "anonymous cannot create in it" "af_kafs anon touch $MNT/priv/x 2>&1 | grep 'Permission denied'"
	kg "token for alice" "af_kafs key $CELL $KFS_KEY $KFS_KVNO alice"
	kg "alice writes 1 MiB in it" "head -c 1048576 /dev/urandom >/tmp/a && cp /tmp/a $MNT/priv/a && sync && echo ok" 300
	same "its owner is alice's id" 1001 "$(gv "stat -c %u $MNT/priv/a")"
	want=$(gv "md5sum </tmp/a | cut -d' ' -f1")
	same "alice's bytes as the fileserver stored them" "$want" "$(host_md5 "$MNT/priv/a")"
	remount "alice's token"
	same "alice reads them back" "$want" "$(gv "md5sum <$MNT/priv/a | cut -d' ' -f1" 300)"
	kg "anonymous cannot read them" "af_kafs anon cat $MNT/priv/a 2>&1 >/dev/null | grep 'Permission denied'"
	kg "alice (rlidwk) cannot set the ACL" "af_kafs setacl $MNT/priv \"\$(printf '1\\n0\\nalice 127\\n')\" 2>&1 | grep 'Permission denied'"
	# A ticket sealed with another key: rxd refuses the RESPONSE of the token's
	# new connection (RXKADBADTICKET; the fileserver's log says so, lossless
	# where a capture is not) and kafs turns the abort into EKEYREJECTED
	# (fs/afs/misc.c afs_abort_to_error), "Key was rejected by service".
	nrej=$(grep -c "RESPONSE rejected ($RXKADBADTICKET)" "$FS_OUT")
	out=$(gv "af_kafs key $CELL 1111111111111111 $KFS_KVNO alice >/dev/null && ls $MNT/priv 2>&1; echo \"rc=\$?\"")
	nrej=$(($(grep -c "RESPONSE rejected ($RXKADBADTICKET)" "$FS_OUT") - nrej))
	if [ "$nrej" = 1 ] && printf '%s\n' "$out" | grep -q 'Key was rejected by service' && ! printf '%s\n' "$out" | grep -qx 'rc=0'; then
		result PASS "kafs: a token the cell's key did not seal is refused" "rxd: RESPONSE rejected (RXKADBADTICKET); $(head -n1 <<<"$out")"
	else
		result FAIL "kafs: a token the cell's key did not seal is refused" \
			"$nrej RESPONSE(s) rejected with RXKADBADTICKET by rxd (want 1); guest: $(tr '\n' ' ' <<<"$out")"
	fi
	kg "alice again" "af_kafs key $CELL $KFS_KEY $KFS_KVNO alice >/dev/null && ls $MNT/priv"
else
	result SKIP "kafs: tokens and ACLs" "af_kafs not built"
fi

kg "unmount" "umount /afs/v6; umount /afs/dyn; umount $MNT && echo ok"
kv_guest 10 "dmesg | grep -i 'kafs\|afs:\|rxrpc' | tail -n 20" | sed 's/^/  guest dmesg: /'
if [ -n "$CAP" ]; then
	ix_capture_stop
	echo "  capture: $(grep -m1 'received/dropped' "$T_DIR/dumpcap.log")"
	echo "  calls seen (count, direction, call):"
	tshark -r "$CAP" -Y 'rx.type == 1 && rx.seq == 1 && rx.flags.client_init == 1' -T fields \
		-e ip.src -e ipv6.src -e udp.dstport -e _ws.col.Info 2>/dev/null |
		sed -E 's/^([^\t]*)\t([^\t]*)\t([0-9]+)\t.*(VLDB|File Server|Callback)? ?Request: ([^()]*\([0-9]+\)).*/\1\2 -> :\3 \5/' |
		sort | uniq -c | sed 's/^/    /'
	# The break above came over RXAFSCB: CallBack calls to kafs's port 7001, none aborted.
	ncb=$(tshark -r "$CAP" -Y 'rx.type == 1 && rx.seq == 1 && rx.flags.client_init == 1 && udp.dstport == 7001 && afs.cb.opcode == 204' 2>/dev/null | wc -l)
	nab=$(tshark -r "$CAP" -Y 'rx.type == 4 && udp.srcport == 7001' 2>/dev/null | wc -l)
	if [ "$ncb" -gt 0 ] && [ "$nab" = 0 ]; then
		result PASS "kafs: CallBack calls answered by kafs" "$ncb calls"
	else
		result FAIL "kafs: CallBack calls answered by kafs" "$ncb CallBack calls, $nab aborts from 7001"
	fi
	# The token's calls: rxkad (security index 2), their connections challenged
	# (one CHALLENGE per token: each key is a connection bundle of its own).
	# The refused ticket is checked above from rxd's log; its abort is counted here.
	nsec=$(tshark -r "$CAP" -Y 'rx.type == 1 && udp.dstport == 7000 && rx.securityindex == 2' 2>/dev/null | wc -l)
	nchal=$(tshark -r "$CAP" -Y 'rx.type == 6 && udp.srcport == 7000' 2>/dev/null | wc -l)
	nbad=$(tshark -r "$CAP" -Y "rx.type == 4 && udp.srcport == 7000 && rx.abort_code == $RXKADBADTICKET" 2>/dev/null | wc -l)
	if [ "$nsec" -gt 0 ] && [ "$nchal" -gt 0 ]; then
		result PASS "kafs: token calls are rxkad" "$nsec DATA packets with security index 2, $nchal CHALLENGEs, $nbad RXKADBADTICKET aborts"
	else
		result FAIL "kafs: token calls are rxkad" "$nsec rxkad DATA packets, $nchal CHALLENGEs"
	fi
	echo "  aborts seen: $(tshark -r "$CAP" -Y 'rx.type == 4' -T fields -e udp.srcport -e rx.abort_code 2>/dev/null | sort | uniq -c | tr -s ' \n' ' ')"
fi
stop_pid "$FS_PID" 15
rc=$?
if [ "$rc" = 0 ]; then
	result PASS "fileserver exits 0 on SIGTERM" ""
else
	result FAIL "fileserver exits 0 on SIGTERM" "exit $rc"
fi
echo "stage time: $(($(date +%s) - T_START)) s"
finish "Linux kafs (qemu guest) vs rxd-fileserver"
