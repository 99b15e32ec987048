#!/bin/bash
# SPDX-License-Identifier: MIT
# Two processes joined by memif (works with --no-huge: memif's shared memory
# is a memfd): an echo server and an rxperf server answer byte-exact client
# calls from 0 B to 64 MiB; SIGTERM drains the server and it exits 0.
#   memif.sh RXD WORKERS
RXD=$1
W=${2:-1}
. "$(dirname "$0")/lib.sh"
require_root

SOCK="$T_DIR/memif.sock"
BUSY=$((2 * W))

server() { # name mode extra...
	local name=$1 mode=$2; shift 2
	rm -f "$SOCK"
	bg "$T_DIR/$name.log" timeout 600 ${RXD_WRAP:-} "$RXD" $(lcores "$W" 0) $(eal_common "$name") \
		--vdev "net_memif0,role=server,socket=$SOCK,socket-abstract=no" -- \
		--mode "$mode" --ip 198.18.1.1/24 $(idle_sleep $BUSY) "$@"
}

client() { # name args...
	local name=$1; shift
	local log="$T_DIR/$name.log"
	timeout 600 "$RXD" $(lcores "$W" 1) $(eal_common "$name") \
		--vdev "net_memif0,role=client,socket=$SOCK,socket-abstract=no" -- \
		--mode client --ip 198.18.1.2/24 --peer 198.18.1.1:7009 --start-delay 1 $(idle_sleep $BUSY) "$@" >"$log" 2>&1
	echo "$log"
}

stop_server() { # pid name
	kill -TERM "$1"
	wait_pid "$1" 20
	local rc=$?
	[ "$rc" = 0 ] || { fail "$2: server exit code $rc after SIGTERM (want 0)"; tail -30 "$T_DIR/$2.log" | grep -v '^\[New\|^\[Thread'; }
	local drops
	drops=$(grep '^rxd: stats' "$T_DIR/$2.log" | sed -n 's/.*"drops":\([0-9]*\).*/\1/p')
	[ "${drops:-x}" = 0 ] || fail "$2: server shell drops: ${drops:-none reported}"
}

note "echo server, $W worker(s) per process"
server echo_srv echo --echo-mem 80
pid=$LAST_PID
sleep 1
for size in 0 1 1412 1413 65536 1048576; do
	log=$(client "echo_c$size" --proto echo --service 7 --calls 20 --concurrency 4 --size-req "$size")
	check_client "$log" 20 "memif echo $size B x20"
done
log=$(client echo_c64m --proto echo --service 7 --calls 1 --size-req 64M)
check_client "$log" 1 "memif echo 64 MiB"
log=$(client echo_many --proto echo --service 7 --calls 2000 --concurrency 32 --size-req 3000)
check_client "$log" 2000 "memif 2000 echo calls, 32 in flight"
stop_server "$pid" echo_srv

note "rxperf server"
server rxperf_srv server
pid=$LAST_PID
sleep 1
for spec in "0 0" "100 1000000" "1000000 100" "67108864 67108864"; do
	set -- $spec
	log=$(client "rxperf_c$1_$2" --calls 3 --size-req "$1" --size-resp "$2")
	check_client "$log" 3 "memif rxperf RPC $1/$2 B"
done

note "SIGTERM during a bulk call: drain bound, then abort; both sides exit"
log="$T_DIR/drain_c.log"
bg "$log" timeout 120 "$RXD" $(lcores "$W" 1) $(eal_common drain_c) \
	--vdev "net_memif0,role=client,socket=$SOCK,socket-abstract=no" -- \
	--mode client --ip 198.18.1.2/24 --peer 198.18.1.1:7009 --start-delay 1 $(idle_sleep $BUSY) \
	--calls 0 --duration 30 --concurrency 2 --size-req 64M --size-resp 64M
cpid=$LAST_PID
sleep 3
start=$(date +%s)
stop_server "$pid" rxperf_srv
took=$(( $(date +%s) - start ))
[ "$took" -le 6 ] || fail "server took ${took}s to drain (bound 2 s + abort)"
wait_pid "$cpid" 60
crc=$?
[ "$crc" = 1 ] || fail "client should report the aborted calls (exit 1), got $crc"
grep -q 'abort code -100\|error -1[0-9][0-9]\|LOCALLY_ABORTED\|REMOTELY_ABORTED' "$log" ||
	{ fail "client did not see its calls aborted"; tail -5 "$log"; }
finish
