#!/bin/bash
# SPDX-License-Identifier: MIT
# net_af_packet on both ends of a veth pair inside a private namespace: the
# kernel pings the server through ARP, two rxd processes make echo and
# rxperf calls (af_packet fanout spreads flows over the queues like RSS), and
# SIGTERM during bulk calls drains within the bound, aborts the rest
# (RX_RESTARTING) and exits 0.
#   afpacket.sh RXD WORKERS
RXD=$1
W=${2:-1}
. "$(dirname "$0")/../../scripts/lib/harness.sh"
require_root

NS=rxdt${T_ID}af
A=rxda$((T_ID % 100000))
B=rxdb$((T_ID % 100000))
BUSY=$((2 * W))
netns_veth "$NS" "$A" "$B"
nsx() { ip netns exec "$NS" "$@"; }
# the kernel shares B with the client process, on its own address
nsx ip addr add 198.18.3.3/24 dev "$B"

server() { # name mode args...
	local name=$1 mode=$2; shift 2
	RXD_VETH=$A RXD_QUEUES=$W RXD_IP=198.18.3.1/24 load_profile afpacket-veth
	bg "$T_DIR/$name.log" ip netns exec "$NS" timeout 300 "$RXD" $(lcores "$W" 0) $(eal_common "$name") $EAL_DEV -- \
		--mode "$mode" $APP_ARGS $(idle_sleep $BUSY) "$@"
	SPID=$LAST_PID
	# up when it says so (a loaded machine can take seconds for the EAL), then ARP settles
	wait_log "$SPID" "$T_DIR/$name.log" "listening on" 60 || fail "$name: server did not come up"
	sleep 0.5
}

client() { # name args...
	local name=$1; shift
	RXD_VETH=$B RXD_QUEUES=$W RXD_IP=198.18.3.2/24 load_profile afpacket-veth
	ip netns exec "$NS" timeout 300 "$RXD" $(lcores "$W" 1) $(eal_common "$name") $EAL_DEV -- \
		--mode client $APP_ARGS --peer 198.18.3.1:7009 --start-delay 0.5 $(idle_sleep $BUSY) "$@" \
		>"$T_DIR/$name.log" 2>&1
}

stop_server() { # name
	kill -TERM "$SPID"
	wait_pid "$SPID" 20
	local rc=$?
	[ "$rc" = 0 ] || fail "$1: server exit code $rc after SIGTERM (want 0)"
}

server echo_srv echo --echo-mem 80
if command -v ping >/dev/null; then
	nsx ping -c 3 -i 0.2 -W 2 198.18.3.1 >/dev/null && echo "ok: kernel pings the af_packet server" ||
		fail "no ICMP echo reply over af_packet"
fi
for size in 0 1413 1048576; do
	client "echo$size" --proto echo --service 7 --calls 20 --concurrency 4 --size-req "$size"
	check_client "$T_DIR/echo$size.log" 20 "af_packet echo $size B x20, $W worker(s)"
done
client echo64m --proto echo --service 7 --calls 1 --size-req 64M
check_client "$T_DIR/echo64m.log" 1 "af_packet echo 64 MiB"
client many --proto echo --service 7 --calls 2000 --concurrency 32 --size-req 1000
check_client "$T_DIR/many.log" 2000 "af_packet 2000 calls, 32 in flight"
stop_server echo_srv

note "SIGTERM during bulk calls: bounded drain, abort, exit 0"
server rxperf_srv server --drain-ms 300
RXD_VETH=$B RXD_QUEUES=$W RXD_IP=198.18.3.2/24 load_profile afpacket-veth
bg "$T_DIR/drain_c.log" ip netns exec "$NS" timeout 120 "$RXD" $(lcores "$W" 1) $(eal_common drain_c) $EAL_DEV -- \
	--mode client $APP_ARGS --peer 198.18.3.1:7009 --start-delay 0.5 $(idle_sleep $BUSY) --calls 0 --duration 15 --concurrency 2 \
	--size-req 1G --size-resp 1G
cpid=$LAST_PID
# calls in flight: the client is up (its EAL may be slow to start), then past its start delay
wait_log "$cpid" "$T_DIR/drain_c.log" "listening on" 60 || fail "drain client did not come up"
sleep 2
t0=$(date +%s%N)
stop_server rxperf_srv
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -le 4000 ] && echo "ok: server drained and exited in ${ms} ms (bound 300 ms + abort)" ||
	fail "server took ${ms} ms to exit (drain bound 300 ms)"
grep -q 'still live after the 300 ms drain: aborted' "$T_DIR/rxperf_srv.log" ||
	fail "server did not report aborting the live calls"
wait_pid "$cpid" 60
crc=$?
if [ "$crc" = 1 ] && grep -q 'abort code -100' "$T_DIR/drain_c.log"; then
	echo "ok: client saw its calls aborted with RX_RESTARTING (-100)"
else
	fail "client: want exit 1 and abort code -100, got exit $crc"
	grep -E '^(calls|first)' "$T_DIR/drain_c.log" | sed 's/^/    /'
fi
finish
