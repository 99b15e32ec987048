#!/bin/bash
# SPDX-License-Identifier: MIT
# Two processes joined by memif (works with --no-huge: memif's shared memory
# is a memfd): echo and rxperf servers answer byte-exact client calls from
# 0 B to 64 MiB.
#
# DPDK 22.11's memif PMD unmaps the shared rings as soon as the peer
# disconnects, without waiting for a worker inside rx_burst (a crash when it
# races).  So every scenario runs its own pair and closes in a safe order: the
# client stops its workers and holds its port (--hold) until the server has
# stopped polling and closed; the SIGTERM drain test runs over af_packet.
#   memif.sh RXD WORKERS
RXD=$1
W=${2:-1}
. "$(dirname "$0")/lib.sh"
require_root

SOCK="$T_DIR/memif.sock"
BUSY=$((2 * W))

scenario() { # name server-mode "server args" calls client-args...
	local name=$1 mode=$2 sx=$3 want=$4 i spid cpid rc drops log
	shift 4
	rm -f "$SOCK"
	RXD_MEMIF_SOCK=$SOCK RXD_IP=198.18.1.1/24 load_profile memif-server
	bg "$T_DIR/$name.srv.log" timeout 600 "$RXD" $(lcores "$W" 0) $(eal_common "${name}s") $EAL_DEV -- \
		--mode "$mode" $APP_ARGS $(idle_sleep $BUSY) $sx
	spid=$LAST_PID
	# the socket appears when the port is probed; the workers poll once "listening" is printed
	for ((i = 0; i < 200; i++)); do
		[ -S "$SOCK" ] && grep -q 'listening on' "$T_DIR/$name.srv.log" 2>/dev/null && break
		sleep 0.1
	done
	log="$T_DIR/$name.log"
	RXD_MEMIF_SOCK=$SOCK RXD_IP=198.18.1.2/24 load_profile memif-client # holds its port: see above
	bg "$log" timeout 600 "$RXD" $(lcores "$W" 1) $(eal_common "${name}c") $EAL_DEV -- \
		--mode client $APP_ARGS --peer 198.18.1.1:7009 --start-delay 1 $(idle_sleep $BUSY) "$@"
	cpid=$LAST_PID
	# the JSON line is printed once the client's workers stopped polling
	for ((i = 0; i < 6000; i++)); do
		grep -q '^{' "$log" 2>/dev/null && break
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -TERM "$spid"
	wait_pid "$spid" 20
	rc=$?
	[ "$rc" = 0 ] || { fail "$name: server exit code $rc after SIGTERM (want 0)"; tail -5 "$T_DIR/$name.srv.log"; }
	drops=$(grep '^rxd: stats' "$T_DIR/$name.srv.log" | sed -n 's/.*"drops":\([0-9]*\).*/\1/p')
	[ "${drops:-x}" = 0 ] || fail "$name: server shell drops: ${drops:-none reported}"
	wait_pid "$cpid" 40
	check_client "$log" "$want" "memif $name, $W worker(s)"
}

for size in 0 1 1412 1413 65536 1048576; do
	scenario "echo$size" echo "" 20 --proto echo --service 7 --calls 20 --concurrency 4 --size-req "$size"
done
scenario echo64m echo "--echo-mem 80" 1 --proto echo --service 7 --calls 1 --size-req 64M
scenario echo_many echo "" 2000 --proto echo --service 7 --calls 2000 --concurrency 32 --size-req 3000
for spec in "0 0" "100 1000000" "1000000 100" "67108864 67108864"; do
	set -- $spec
	scenario "rxperf$1_$2" server "" 3 --calls 3 --size-req "$1" --size-resp "$2"
done
finish
