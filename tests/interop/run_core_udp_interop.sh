#!/bin/bash
# The rxd protocol core against OpenAFS rx over loopback UDP (rxd-udp: the
# core behind a kernel socket), both directions, plus rxdebug -version.
# Proves the wire protocol independently of the DPDK shell.
#
# usage: run_core_udp_interop.sh PATH/TO/rxd-udp PATH/TO/openafs_peer
# env:   INTEROP_QUICK=1  skip the 64 MiB transfers
set -uo pipefail

RXD=${1:?usage: $0 rxd-udp openafs_peer}
PEER=${2:?usage: $0 rxd-udp openafs_peer}
ADDR=127.0.0.1
LOG=$(mktemp -d)
PIDS=()
FAILS=0
PASSES=0

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$LOG"
}
trap cleanup EXIT

port_free() { ! ss -Huln "sport = :$1" 2>/dev/null | grep -q .; }
pick_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		port_free "$p" && { echo "$p"; return; }
	done
	echo 29009
}
json_field() { printf '%s\n' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }

pass() { PASSES=$((PASSES + 1)); printf 'PASS %-44s %s\n' "$1" "$2"; }
fail() { FAILS=$((FAILS + 1)); printf 'FAIL %-44s %s\n' "$1" "$2"; }

# OpenAFS client -> rxd: run NAME WANT_OK WANT_ABORTS TIMEOUT -- client args
oafs_client() {
	local name=$1 want_ok=$2 want_ab=$3 tmo=$4
	shift 5
	local out rc json ok ab err
	out=$(timeout --kill-after=5 "$tmo" "$PEER" client -a "$ADDR" -p "$RXD_PORT" --json --timeout "$tmo" "$@" 2>"$LOG/c.err")
	rc=$?
	json=$(printf '%s\n' "$out" | grep '^{' | tail -n1)
	ok=$(json_field "$json" calls_ok); ab=$(json_field "$json" expected_aborts); err=$(json_field "$json" calls_failed)
	if [ "$rc" = 0 ] && [ "$ok" = "$want_ok" ] && [ "$ab" = "$want_ab" ] && [ "$err" = 0 ]; then
		pass "openafs->rxd $name" "calls/s=$(json_field "$json" calls_per_s) MB/s=$(json_field "$json" mb_per_s) p50=$(json_field "$json" p50_us)us"
	else
		fail "openafs->rxd $name" "rc=$rc ok=$ok/$want_ok aborts=$ab/$want_ab errors=$err"
		sed 's/^/  stderr: /' "$LOG/c.err" | head -n 5
	fi
}

# rxd client -> OpenAFS: run NAME WANT_CALLS TIMEOUT -- rxd-udp client args
rxd_client() {
	local name=$1 want=$2 tmo=$3
	shift 4
	local out rc json calls failed
	out=$(timeout --kill-after=5 "$tmo" "$RXD" client -a "$ADDR:$OAFS_PORT" --json "$@" 2>"$LOG/r.err")
	rc=$?
	json=$(printf '%s\n' "$out" | grep '^{' | tail -n1)
	calls=$(json_field "$json" calls_ok); failed=$(json_field "$json" calls_failed)
	if [ "$rc" = 0 ] && [ "$calls" = "$want" ] && [ "$failed" = 0 ]; then
		pass "rxd->openafs $name" "calls/s=$(json_field "$json" calls_per_s) MB/s=$(json_field "$json" mb_per_s) p50=$(json_field "$json" p50_us)us"
	else
		fail "rxd->openafs $name" "rc=$rc calls=$calls/$want failed=$failed"
		sed 's/^/  stderr: /' "$LOG/r.err" | head -n 5
	fi
}

RXD_PORT=$(pick_port)
"$RXD" server -a "$ADDR" -p "$RXD_PORT" >"$LOG/rxd.log" 2>&1 &
PIDS+=($!)
OAFS_PORT=$(pick_port)
"$PEER" server -p "$OAFS_PORT" -v >"$LOG/oafs.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
	grep -q "rxperf server" "$LOG/rxd.log" && grep -q listening "$LOG/oafs.log" && break
	sleep 0.1
done
echo "rxd-udp on $ADDR:$RXD_PORT, openafs_peer on $ADDR:$OAFS_PORT"

# --- rxdebug (OpenAFS's tool) against the rxd core ---
out=$(timeout 20 rxdebug "$ADDR" "$RXD_PORT" -version 2>&1)
if printf '%s' "$out" | grep -q "rxd "; then pass "rxdebug -version" "$(printf '%s' "$out" | tail -n1)"; else fail "rxdebug -version" "$out"; fi
out=$(timeout 30 rxdebug "$ADDR" "$RXD_PORT" -noconns 2>&1)
if printf '%s' "$out" | grep -qi "free packets\|calls executed\|waiting"; then pass "rxdebug stats" "$(printf '%s' "$out" | head -n1)"; else fail "rxdebug stats" "$(printf '%s' "$out" | head -n3)"; fi

# --- OpenAFS client -> rxd server ---
for sz in 0 1 1412 1413 65536 1048576; do
	oafs_client "rpc $sz/$sz" 5 0 60 -- -c rpc -S "$sz" -R "$sz" -T 5
done
oafs_client "send 1MiB" 3 0 60 -- -c send -S 1M -T 3
oafs_client "recv 1MiB" 3 0 60 -- -c recv -R 1M -T 3
if [ "${INTEROP_QUICK:-0}" != 1 ]; then
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
if [ "${INTEROP_QUICK:-0}" != 1 ]; then
	rxd_client "send 64MiB" 1 180 -- -c send -S 67108864 -T 1
	rxd_client "recv 64MiB" 1 180 -- -c recv -R 67108864 -T 1
fi
rxd_client "100 concurrent small" 1000 120 -- -c rpc -S 100 -R 100 -t 100 -T 1000

for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || { fail "server $p" "died"; }; done
echo "core vs OpenAFS over UDP: $PASSES passed, $FAILS failed"
[ "$FAILS" = 0 ]
