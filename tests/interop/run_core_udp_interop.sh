#!/bin/bash
# The rxd protocol core against OpenAFS rx over loopback UDP (rxd-udp: the
# core behind a kernel socket), both directions, plus rxdebug -version.
# Proves the wire protocol independently of the DPDK shell.
#
# usage: run_core_udp_interop.sh PATH/TO/rxd-udp PATH/TO/openafs_peer
# env:   RXD_QUICK=1  skip the 64 MiB transfers
set -uo pipefail

RXD=${1:?usage: $0 rxd-udp openafs_peer}
PEER=${2:?usage: $0 rxd-udp openafs_peer}
# shellcheck source=scripts/lib/harness.sh
. "$(dirname "$0")/../../scripts/lib/harness.sh"
ADDR=127.0.0.1

# OpenAFS client -> rxd: oafs_client NAME WANT_OK WANT_ABORTS TIMEOUT -- client args
oafs_client() {
	local name=$1 want_ok=$2 want_ab=$3 tmo=$4
	shift 5
	run_check "openafs->rxd $name" 0 "$want_ok" "$want_ab" "$tmo" -- \
		"$PEER" client -a "$ADDR" -p "$RXD_PORT" --json --timeout "$tmo" "$@"
}

# rxd client -> OpenAFS: rxd_client NAME WANT_CALLS TIMEOUT -- rxd-udp client args
rxd_client() {
	local name=$1 want=$2 tmo=$3
	shift 4
	run_check "rxd->openafs $name" 0 "$want" - "$tmo" -- \
		"$RXD" client -a "$ADDR:$OAFS_PORT" --json "$@"
}

RXD_PORT=$(free_udp_port)
start_wait "$T_DIR/rxd.log" "rxperf server" 5 "$RXD" server -a "$ADDR" -p "$RXD_PORT" || exit 1
SRV_PIDS=("$LAST_PID")
OAFS_PORT=$(free_udp_port)
start_wait "$T_DIR/oafs.log" listening 5 "$PEER" server -p "$OAFS_PORT" -v || exit 1
SRV_PIDS+=("$LAST_PID")
echo "rxd-udp on $ADDR:$RXD_PORT, openafs_peer on $ADDR:$OAFS_PORT"

# --- rxdebug (OpenAFS's tool) against the rxd core ---
out=$(timeout 20 rxdebug "$ADDR" "$RXD_PORT" -version 2>&1)
if printf '%s' "$out" | grep -q "rxd "; then result PASS "rxdebug -version" "$(printf '%s' "$out" | tail -n1)"; else result FAIL "rxdebug -version" "$out"; fi
out=$(timeout 30 rxdebug "$ADDR" "$RXD_PORT" -noconns 2>&1)
if printf '%s' "$out" | grep -qi "free packets\|calls executed\|waiting"; then result PASS "rxdebug stats" "$(printf '%s' "$out" | head -n1)"; else result FAIL "rxdebug stats" "$(printf '%s' "$out" | head -n3)"; fi

# --- OpenAFS client -> rxd server ---
for sz in 0 1 1412 1413 65536 1048576; do
	oafs_client "rpc $sz/$sz" 5 0 60 -- -c rpc -S "$sz" -R "$sz" -T 5
done
oafs_client "send 1MiB" 3 0 60 -- -c send -S 1M -T 3
oafs_client "recv 1MiB" 3 0 60 -- -c recv -R 1M -T 3
if ! quick; then
	oafs_client "send 64MiB" 1 0 180 -- -c send -S 64M -T 1
	oafs_client "recv 64MiB" 1 0 180 -- -c recv -R 64M -T 1
fi
oafs_client "request cookie" 10 0 60 -- -c rpc -S 100 -R 100 -T 10 --cookie
oafs_client "100 concurrent small" 1000 0 120 -- -c rpc -S 100 -R 100 -t 100 -T 1000
oafs_client "client abort mid-send" 0 3 60 -- -c send -S 1M -T 3 --abort-after 100000
oafs_client "client abort mid-recv" 0 3 60 -- -c recv -R 1M -T 3 --abort-after 100000
oafs_client "unknown op -> RXGEN_OPCODE" 0 2 60 -- --op 7 -T 2 --expect-abort -455
oafs_client "bad version -> RX_USER_ABORT" 0 1 60 -- -c rpc --proto-version 2 -T 1 --expect-abort -6
oafs_client "unknown service -> INVALID_OP" 0 1 60 -- -c rpc --service 99 -T 1 --expect-abort -2
oafs_client "server healthy afterwards" 50 0 60 -- -c rpc -S 1413 -R 1413 -t 8 -T 50

# --- rxd client -> OpenAFS server ---
for sz in 0 1 1412 1413 65536 1048576; do
	rxd_client "rpc $sz/$sz" 5 60 -- -c rpc -S "$sz" -R "$sz" -T 5
done
rxd_client "send 1MiB" 3 60 -- -c send -S 1048576 -T 3
rxd_client "recv 1MiB" 3 60 -- -c recv -R 1048576 -T 3
if ! quick; then
	rxd_client "send 64MiB" 1 180 -- -c send -S 67108864 -T 1
	rxd_client "recv 64MiB" 1 180 -- -c recv -R 67108864 -T 1
fi
rxd_client "100 concurrent small" 1000 120 -- -c rpc -S 100 -R 100 -t 100 -T 1000

for p in "${SRV_PIDS[@]}"; do kill -0 "$p" 2>/dev/null || result FAIL "server $p" "died"; done
finish "core vs OpenAFS over UDP"
