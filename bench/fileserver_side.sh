#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One server's half of the fileserver side-by-side benchmark
# (bench/fileserver_side_by_side.py runs it once per server and compares):
#
#   fileserver_side.sh openafs|rxd|memif AFSLOAD RXD_FILESERVER AFS_MKFILE
#
# sets up the private cell of tests/fileserver/cell/cell_lib.sh (one network
# namespace, a veth pair rxdcell0 <-> rxdcell1, the kernel's 198.18.7.1 on
# rxdcell0) with either
#   openafs  OpenAFS's vlserver, ptserver and dafileserver (+ davolserver,
#            salvageserver) at 198.18.7.1, kernel UDP sockets; root.afs made
#            with vos create; the clients' addresses made administrators
#            (cell_open_acls: anonymous callers get the host's rights);
#   rxd      rxd-fileserver at 198.18.7.2 on net_af_packet on rxdcell1, its
#            built-in VL service, anonymous writes allowed;
# or (memif, rxd's best case, labelled so) no cell: rxd-fileserver and
# rxd-afsload joined by net_memif, afsio not run;
# then runs, against that server:
#   - rxd-afsload at 198.18.7.3 on net_af_packet on the veth end facing the
#     server (rxdcell1 for OpenAFS, rxdcell0 for rxd): the load generator's
#     path is the same veth either way, each server does its own I/O;
#     one run per line of $FSB_SCENARIOS ("NAME afsload-args...");
#   - afsio (Debian's OpenAFS client tool, kernel UDP at 198.18.7.1): for
#     each "CLIENTS SIZE" of $FSB_AFSIO, CLIENTS concurrent writes of SIZE
#     bytes to distinct files, then as many reads.
# The kernel sends UDP on a veth with the checksum left to an offload that
# never happens (CHECKSUM_PARTIAL): af_packet readers see it unfinished, so
# the DPDK ends trust received checksums (--no-rx-cksum) instead of dropping
# every kernel-sent datagram.
# CPUs: the server on CPU 1 (rxd-fileserver: --lcores 0@1,1@1, its file-I/O
# threads inherit CPU 1; dafileserver: taskset on every thread), the load
# (rxd-afsload, afsio) on CPU 0.  The server's CPU time is utime+stime of all
# its threads (/proc): rxd-afsload samples it per phase (--server-pid), the
# afsio runs here around each batch.
#
# Output: one JSON line per measurement on stdout, each with "server"
# (openafs | rxd-afpacket) and "tool" (afsload | afsio); logs on stderr.
# Everything is torn down by pid and namespace on exit (harness.sh cleanup).
MODE=${1:?usage: $0 openafs|rxd|memif AFSLOAD RXD_FILESERVER AFS_MKFILE}
AFSLOAD=${2:?}
RXD_FS=${3:?}
MKFILE=${4:?}
T_NAME=fileserver_side_$MODE
CELL_LINK=veth
# shellcheck source=tests/fileserver/cell/cell_lib.sh
. "$(dirname "$0")/../tests/fileserver/cell/cell_lib.sh"
exec 3>&1 1>&2 # JSON to the caller's stdout (fd 3), everything else to stderr

LOAD_IP=198.18.7.3
# af_packet rings of 8192 frames (the PMD's default 512 overflow under a window of concurrent bulk calls)
AFP_RING=blocksz=4096,framesz=2048,framecnt=8192
SERVER_CPU=1
LOAD_CPU=0

# utime + stime of a process (all its threads), in clock ticks
proc_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

emit() { # json
	printf '%s\n' "$1" >&3
}

if [ "$MODE" = memif ]; then
	# rxd's best case, no kernel on the path: rxd-fileserver and rxd-afsload
	# joined by net_memif (shared memory, nothing can corrupt a frame: no
	# software receive checksum either side); a fresh server per run (memif_run)
	SERVER_NAME=rxd-memif
	SERVER_IP=198.18.12.1
	LOAD_IP=198.18.12.2
	VOLUME=root.cell # rxd-fileserver's default volume, in its built-in VL service
elif [ "$MODE" = openafs ]; then
	SERVER_NAME=openafs
	cell_init fsbo "$MKFILE"
	cell_up
	cell_start_db
	# OpenAFS's large-server profile and the biggest UDP buffer net.core.rmem_max allows (the
	# default 64 KiB drops most of a window of concurrent stores); FSB_OPENAFS_ARGS overrides
	CELL_FS_ARGS=${FSB_OPENAFS_ARGS:--L -udpsize $(sysctl -n net.core.rmem_max)} cell_start_openafs_fs
	SERVER_PID=$CELL_FS_PID
	SERVER_IP=$CELL_DB_IP
	LOAD_IFACE=rxdcell1
	taskset -a -p -c $SERVER_CPU "$SERVER_PID" >/dev/null || fail "cannot pin dafileserver to CPU $SERVER_CPU"
	cell_create_volumes "$CELL_DB_IP"
	cell_open_acls
	CELL_CLIENT_IP=$LOAD_IP cell_open_acls
	VOLUME=root.afs # rxd-afsload finds it in the vlserver (VL GetEntryByNameU)
	echo "dafileserver pid $SERVER_PID on CPU $SERVER_CPU"
else
	SERVER_NAME=rxd-afpacket
	CELL_VL_IP=$CELL_RXD_IP
	cell_init fsbr "$MKFILE"
	cell_up
	ip netns exec "$CELL_NS" sysctl -qw net.ipv6.conf.rxdcell1.disable_ipv6=1
	CELL_RXD_LCORES="--lcores 0@$SERVER_CPU,1@$SERVER_CPU" CELL_RXD_VDEV=net_af_packet0,iface=rxdcell1,$AFP_RING \
		cell_start_rxd "$RXD_FS" --idle-sleep 20 --no-rx-cksum
	SERVER_PID=$CELL_RXD_PID
	SERVER_IP=$CELL_RXD_IP
	LOAD_IFACE=rxdcell0
	VOLUME=root.afs # cell_start_rxd's --create-volume, in rxd-fileserver's built-in VL service
	echo "rxd-fileserver pid $SERVER_PID on CPU $SERVER_CPU (lcore and file-I/O threads)"
fi
[ "$MODE" = memif ] && [ -n "${FSB_AFSIO:-}" ] && { echo "memif: afsio needs the kernel's UDP, not run"; FSB_AFSIO=""; }

# load_cmd NAME LOG args...: rxd-afsload at LOAD_IP against the server
load_cmd() {
	local name=$1 log=$2 dev
	shift 2
	if [ "$MODE" = memif ]; then
		dev="net_memif0,role=client,socket=$T_DIR/$name.sock,socket-abstract=no"
		set -- --hold 30 --no-rx-cksum "$@"
	else
		dev="net_af_packet0,iface=$LOAD_IFACE,$AFP_RING"
		set -- --no-rx-cksum "$@"
	fi
	# shellcheck disable=SC2046
	${CELL_NS:+ip netns exec "$CELL_NS"} timeout 900 "$AFSLOAD" --lcores "0@$LOAD_CPU,1@$LOAD_CPU" \
		$(eal_common "l$name") --vdev "$dev" -- --ip "$LOAD_IP/24" --server "$SERVER_IP" \
		--vl "$SERVER_IP" --volume "$VOLUME" --server-pid "$SERVER_PID" --idle-sleep 5 --timeout 840 "$@" >"$log" 2>&1
}

# memif_run NAME LOG args...: a fresh rxd-fileserver on a memif socket, the
# load against it; the server stops first (the load holds its port, --hold)
memif_run() {
	local name=$1 log=$2 lpid rc
	shift 2
	# shellcheck disable=SC2046
	start_wait "$T_DIR/fs-$name.log" listening 60 "$RXD_FS" --lcores "0@$SERVER_CPU,1@$SERVER_CPU" \
		$(eal_common "s$name") --vdev "net_memif0,role=server,socket=$T_DIR/$name.sock,socket-abstract=no" -- \
		--vice "$T_DIR/vice-$name" --anonymous write --ip "$SERVER_IP/24" --idle-sleep 20 --no-rx-cksum ||
		{ fail "rxd-fileserver ($name) did not start"; return 1; }
	SERVER_PID=$LAST_PID
	load_cmd "$name" "$log" "$@" &
	lpid=$!
	wait_log "$lpid" "$log" 'calls ok,' 900
	stop_pid "$SERVER_PID" 20 || fail "rxd-fileserver ($name) did not exit 0 on SIGTERM"
	wait_pid "$lpid" 60
	rc=$?
	[ "$rc" = 124 ] && stop_pid "$lpid" 5
	return "$rc"
}

# run_afsload NAME args...: one rxd-afsload run; its JSON lines tagged
run_afsload() {
	local name=$1 log=$T_DIR/afsload-$1.log rc
	shift
	if [ "$MODE" = memif ]; then
		memif_run "$name" "$log" "$@"
	else
		load_cmd "$name" "$log" "$@"
	fi
	rc=$?
	grep -v '^{' "$log" | grep -v '^EAL\|^TELEMETRY' | sed "s/^/  [$name] /"
	[ "$rc" = 0 ] || fail "rxd-afsload $name: exit $rc"
	grep '^{' "$log" | while read -r j; do
		emit "{\"server\":\"$SERVER_NAME\",\"tool\":\"afsload\",\"run\":\"$name\",\"exit\":$rc,${j#\{}"
	done
}

# afsio_batch CLIENTS SIZE: CLIENTS concurrent afsio writes of SIZE bytes to
# distinct files, then as many reads (each read's size checked); one JSON
# line per direction with the wall time and the server's CPU time.
afsio_batch() {
	local n=$1 size=$2 op i t0 t1 c0 c1 pids bad files=()
	for ((i = 0; i < n; i++)); do files+=("io$n-$i-$size"); done
	cell_mkfiles root.afs "${files[@]}"
	head -c "$size" /dev/urandom >"$CELL_ROOT/tmp/src-$size"
	for op in write read; do
		pids=()
		bad=0
		c0=$(proc_ticks "$SERVER_PID")
		t0=$(date +%s.%N)
		for f in "${files[@]}"; do
			if [ $op = write ]; then
				taskset -c $LOAD_CPU ip netns exec "$CELL_NS" unshare -m --propagation private sh -c "$CELL_ENTER" sh \
					"$CELL_ROOT" "$CELL_CONF" sh -c "afsio write -file $CELL_AFS_DIR/$f -clear -force </tmp/src-$size" \
					>"$T_DIR/afsio-$f-$op.log" 2>&1 &
			else
				taskset -c $LOAD_CPU ip netns exec "$CELL_NS" unshare -m --propagation private sh -c "$CELL_ENTER" sh \
					"$CELL_ROOT" "$CELL_CONF" sh -c "afsio read -file $CELL_AFS_DIR/$f -clear | wc -c" \
					>"$T_DIR/afsio-$f-$op.log" 2>&1 &
			fi
			pids+=($!)
		done
		for p in "${pids[@]}"; do
			wait_pid "$p" 600 || bad=$((bad + 1))
		done
		t1=$(date +%s.%N)
		c1=$(proc_ticks "$SERVER_PID")
		if [ $op = read ]; then
			for f in "${files[@]}"; do
				[ "$(tail -n 1 "$T_DIR/afsio-$f-read.log")" = "$size" ] || bad=$((bad + 1))
			done
		fi
		[ "$bad" = 0 ] || { fail "afsio $op x$n of $size B: $bad failed"; tail -n 3 "$T_DIR/afsio-${files[0]}-$op.log"; }
		emit "$(awk -v s="$SERVER_NAME" -v op="$op" -v n="$n" -v size="$size" -v t0="$t0" -v t1="$t1" \
			-v c0="$c0" -v c1="$c1" -v hz="$(getconf CLK_TCK)" -v bad="$bad" 'BEGIN {
			secs = t1 - t0; cpu = (c1 - c0) / hz
			printf "{\"server\":\"%s\",\"tool\":\"afsio\",\"scenario\":\"%s\",\"clients\":%d,\"file_bytes\":%d,", s, op, n, size
			printf "\"calls_failed\":%d,\"secs\":%.3f,\"mb_per_s\":%.3f,\"server_cpu_s\":%.2f,\"server_cores\":%.3f}", bad, secs, n * size / secs / 1e6, cpu, cpu / secs
		}')"
	done
	rm -f "$CELL_ROOT/tmp/src-$size"
}

sleep "${FSB_PAUSE:-0}"
while read -r name args; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086
	run_afsload "$name" $args
done <<<"${FSB_SCENARIOS:-}"

while read -r n size; do
	[ -n "$n" ] || continue
	afsio_batch "$n" "$size"
done <<<"${FSB_AFSIO:-}"

if [ "$MODE" = openafs ]; then
	cell_stop QUIT "$CELL_FS_PID" "$CELL_VOL_PID"
	cell_stop TERM "$CELL_SALV_PID" "$CELL_PT_PID" "$CELL_VL_PID"
elif [ "$MODE" = rxd ]; then
	stop_pid "$CELL_RXD_PID" 20 || fail "rxd-fileserver did not exit 0 on SIGTERM"
fi
finish
