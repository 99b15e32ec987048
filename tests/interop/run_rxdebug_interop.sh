#!/bin/bash
# OpenAFS's rxdebug against the rxd core (rxd-udp: the core behind a kernel
# UDP socket) over loopback: the connections, peers and rx statistics it
# prints are rxd's real ones. An OpenAFS client (openafs_peer) first completes
# calls, then keeps calls in flight while rxdebug asks.
#
# usage: run_rxdebug_interop.sh PATH/TO/rxd-udp PATH/TO/openafs_peer
set -uo pipefail

RXD=${1:?usage: $0 rxd-udp openafs_peer}
PEER=${2:?usage: $0 rxd-udp openafs_peer}
# shellcheck source=scripts/lib/harness.sh
. "$(dirname "$0")/../../scripts/lib/harness.sh"
ADDR=127.0.0.1
command -v rxdebug >/dev/null || skip "no rxdebug (openafs-client)"

rxdebug_q() { timeout 30 rxdebug "$ADDR" "$RXD_PORT" "$@" 2>&1; }

RXD_PORT=$(free_udp_port)
start_wait "$T_DIR/rxd.log" "rxperf server" 5 "$RXD" server -a "$ADDR" -p "$RXD_PORT" || exit 1
SRV=$LAST_PID

# Completed calls: 20 RPCs with 64 KiB replies on one connection.
run_check "openafs->rxd 20 rpc" 0 20 0 60 -- \
	"$PEER" client -a "$ADDR" -p "$RXD_PORT" --json --timeout 60 -c rpc -S 1000 -R 65536 -T 20
done_port=$(printf '%s\n' "$(rxdebug_q -allconnections)" | grep -Eo "port [0-9]+, Cuid" | head -n1 | grep -Eo '[0-9]+')

# Nothing in flight: the default view lists no connection, -allconnections the finished one.
out=$(rxdebug_q)
if printf '%s\n' "$out" | grep -q "^Connection from"; then
	result FAIL "rxdebug: idle conn not listed" "$(printf '%s\n' "$out" | grep -m1 "^Connection from")"
else
	result PASS "rxdebug: idle conn not listed" ""
fi
out=$(rxdebug_q -allconnections)
check_match "rxdebug -allconnections: the conn" "$out" "^Connection from host $ADDR, port [0-9]+, Cuid [0-9a-f]+/[0-9a-f]+"
check_match "rxdebug -allconnections: server conn" "$out" "serial [1-9][0-9]*, +natMTU [0-9]+, security index 0, server conn"
# the reply sent in full, the final ACK not yet in (HOLD) or in (DALLY)
check_match "rxdebug -allconnections: last call" "$out" "call 0: # 20, state (hold|dally), mode: eof"

# Calls in flight: 4 concurrent 1 MiB sends, for up to 20 s.
bg "$T_DIR/busy.log" "$PEER" client -a "$ADDR" -p "$RXD_PORT" --json --timeout 60 -c send -S 1M -t 4 -d 20
BUSY=$LAST_PID
active=""
for _ in $(seq 40); do
	out=$(rxdebug_q)
	if printf '%s\n' "$out" | grep -Eq "state active"; then
		active=$out
		break
	fi
	sleep 0.25
done
check_match "rxdebug: conn with calls in flight" "$active" "state active, mode: (receiving|sending)"
check_match "rxdebug: its peer and cid" "$active" "^Connection from host $ADDR, port [0-9]+, Cuid"
out=$(rxdebug_q -noconns)
if printf '%s\n' "$out" | grep -q "^Connection from"; then
	result FAIL "rxdebug -noconns" "lists connections"
else
	check_match "rxdebug -noconns" "$out" "calls: [1-9][0-9]*"
fi

out=$(rxdebug_q -peers -noconns)
check_match "rxdebug -peers: a peer" "$out" "^Peer at host $ADDR, port [0-9]+"
[ -n "$done_port" ] && check_match "rxdebug -peers: the rpc client" "$out" "^Peer at host $ADDR, port $done_port\$"
sent=$(printf '%s\n' "$out" | grep -A2 "port $done_port\$" | grep -Eo "packets sent [0-9]+" | grep -Eo '[0-9]+$')
# 20 replies of 64 KiB: at least 20 x 45 DATA packets of 1444 bytes or less.
check_ge "rxdebug -peers: packets sent" "$sent" 900

out=$(rxdebug_q -rxstats -noconns)
for what in "packets read: data" "packets sent: data" "other read counters: data" "other send counters: ack"; do
	check_ge "rxdebug -rxstats: $what" "$(num_after "$out" "$what")" 1
done
check_ge "rxdebug -rxstats: data sent" "$(num_after "$out" "ack [0-9]+, data")" 900
check_match "rxdebug -rxstats: conns" "$out" "[1-9][0-9]* server connections, 0 client connections, [1-9][0-9]* peer structs"

wait_pid "$BUSY" 60
j=$(json_last "$T_DIR/busy.log")
if [ "$(json_field "$j" calls_failed)" = 0 ] && [ "${j:+x}" = x ]; then
	result PASS "calls in flight completed" "calls_ok=$(json_field "$j" calls_ok)"
else
	result FAIL "calls in flight completed" "${j:-no JSON line}"
fi
kill -0 "$SRV" 2>/dev/null || result FAIL "rxd-udp" "died"
finish "rxdebug vs rxd over UDP"
