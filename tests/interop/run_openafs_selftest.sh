#!/bin/bash
# Self-test of openafs_peer: OpenAFS rx client against OpenAFS rx server on
# 127.0.0.1, before the peer is pointed at rxd.  Every client run is bounded
# by timeout(1); servers are killed on exit.
#
# usage: run_openafs_selftest.sh PATH/TO/openafs_peer
# env:   OPENAFS_SELFTEST_PORT  base UDP port (default: random free one; uses base..base+2)
#        OPENAFS_SELFTEST_QUICK=1  skip the 64 MiB transfers
set -uo pipefail

PEER=${1:?usage: $0 openafs_peer}
[ -x "$PEER" ] || { echo "not executable: $PEER" >&2; exit 2; }
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

pick_base() {
	local b
	if [ -n "${OPENAFS_SELFTEST_PORT:-}" ]; then echo "$OPENAFS_SELFTEST_PORT"; return; fi
	for _ in $(seq 50); do
		b=$((20000 + RANDOM % 20000))
		port_free "$b" && port_free $((b + 1)) && port_free $((b + 2)) && { echo "$b"; return; }
	done
	echo 27009
}

BASE=$(pick_base)
P_MAIN=$BASE            # normal server
P_ABRT=$((BASE + 1))    # --abort-reply-after 20000
P_OAFS=$((BASE + 2))    # --openafs-aborts (OpenAFS rxperf abort codes)

start_server() { # name port args...
	local name=$1 port=$2
	shift 2
	"$PEER" server -p "$port" -v "$@" >"$LOG/server-$name.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 50); do
		grep -q listening "$LOG/server-$name.log" && return 0
		kill -0 "${PIDS[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "FATAL: server $name did not start" >&2
	cat "$LOG/server-$name.log" >&2
	exit 1
}

json_field() { # json field   (flat JSON from openafs_peer; no nesting, no strings with commas)
	printf '%s\n' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

# run NAME EXPECT_RC EXPECT_OK EXPECT_ABORTS TIMEOUT -- client args...
# EXPECT_OK/EXPECT_ABORTS may be '-' to skip the check.
run() {
	local name=$1 want_rc=$2 want_ok=$3 want_ab=$4 tmo=$5
	shift 6
	local out rc json ok ab err t0 t1
	t0=$(date +%s.%N)
	out=$(timeout --kill-after=5 "$tmo" "$PEER" client -a "$ADDR" --json --timeout "$tmo" "$@" 2>"$LOG/client.err")
	rc=$?
	t1=$(date +%s.%N)
	json=$(printf '%s\n' "$out" | grep '^{' | tail -n1)
	local why=""
	if [ "$want_rc" = 0 ] && [ "$rc" != 0 ]; then why="exit $rc"; fi
	if [ "$want_rc" = 1 ] && [ "$rc" = 0 ]; then why="exit 0, wanted failure"; fi
	if [ "$rc" -ge 124 ] 2>/dev/null; then why="timed out (exit $rc)"; fi
	if [ -z "$why" ] && [ -z "$json" ]; then why="no JSON line"; fi
	if [ -z "$why" ]; then
		ok=$(json_field "$json" calls_ok)
		ab=$(json_field "$json" expected_aborts)
		err=$(json_field "$json" calls_failed)
		[ "$want_ok" != - ] && [ "$ok" != "$want_ok" ] && why="ok=$ok, wanted $want_ok"
		[ "$want_ab" != - ] && [ "$ab" != "$want_ab" ] && why="$why aborts=$ab, wanted $want_ab"
		[ "$want_rc" = 0 ] && [ "$err" != 0 ] && why="$why errors=$err"
	fi
	if [ -z "$why" ]; then
		PASSES=$((PASSES + 1))
		printf 'PASS %-34s %6.2fs  %s\n' "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" \
			"calls/s=$(json_field "$json" calls_per_s) MB/s=$(json_field "$json" mb_per_s) p50=$(json_field "$json" p50_us)us p99=$(json_field "$json" p99_us)us"
	else
		FAILS=$((FAILS + 1))
		printf 'FAIL %-34s %s\n' "$name" "$why"
		printf '  args: %s\n' "$*"
		sed 's/^/  stderr: /' "$LOG/client.err" | head -n 10
		[ -n "$json" ] && printf '  json: %s\n' "$json"
	fi
}

start_server main "$P_MAIN"
start_server abort "$P_ABRT" --abort-reply-after 20000
start_server openafs "$P_OAFS" --openafs-aborts
echo "servers on $ADDR:$P_MAIN (normal), :$P_ABRT (abort reply), :$P_OAFS (OpenAFS abort codes)"

M=(-p "$P_MAIN")
# Sizes around packet boundaries: 1412/1413 straddle a 1412-byte jumbo subpacket,
# 1416 is a full non-jumbo packet; requests add a 24-byte header.
for sz in 0 1 1412 1413 1416 65536; do
	run "rpc send $sz" 0 20 0 60 -- "${M[@]}" -c rpc -S "$sz" -R 0 -T 20
	run "rpc recv $sz" 0 20 0 60 -- "${M[@]}" -c rpc -S 0 -R "$sz" -T 20
	run "rpc both $sz" 0 20 0 60 -- "${M[@]}" -c rpc -S "$sz" -R "$sz" -T 20
done
run "send 1MiB" 0 5 0 60 -- "${M[@]}" -c send -S 1M -T 5
run "recv 1MiB" 0 5 0 60 -- "${M[@]}" -c recv -R 1M -T 5
run "rpc 1MiB both" 0 5 0 60 -- "${M[@]}" -c rpc -S 1M -R 1M -T 5
run "rpc 1MiB both, no jumbo" 0 5 0 60 -- "${M[@]}" -c rpc -S 1M -R 1M -T 5 -j
run "rpc 1MiB both, window 8" 0 3 0 60 -- "${M[@]}" -c rpc -S 1M -R 1M -T 3 -W 8
run "rpc 1MiB both, mtu 1200" 0 3 0 60 -- "${M[@]}" -c rpc -S 1M -R 1M -T 3 -m 1200
if [ "${OPENAFS_SELFTEST_QUICK:-0}" != 1 ]; then
	run "send 64MiB" 0 1 0 180 -- "${M[@]}" -c send -S 64M -T 1
	run "recv 64MiB" 0 1 0 180 -- "${M[@]}" -c recv -R 64M -T 1
fi
run "request cookie" 0 20 0 60 -- "${M[@]}" -c rpc -S 100 -R 100 -T 20 --cookie
run "100 concurrent small" 0 2000 0 120 -- "${M[@]}" -c rpc -S 100 -R 100 -t 100 -T 2000
run "100 concurrent 64KiB" 0 300 0 180 -- "${M[@]}" -c rpc -S 64K -R 64K -t 100 -T 300
run "16 concurrent 1MiB" 0 32 0 180 -- "${M[@]}" -c rpc -S 1M -R 1M -t 16 -T 32

# Aborts.  A client abort is counted as an expected abort, not an error.
run "client abort mid-send" 0 0 3 60 -- "${M[@]}" -c send -S 1M -T 3 --abort-after 100000
run "client abort mid-recv" 0 0 3 60 -- "${M[@]}" -c recv -R 1M -T 3 --abort-after 100000
run "client abort at 0 bytes" 0 0 2 60 -- "${M[@]}" -c rpc -S 10 -R 10 -T 2 --abort-after 0
run "server abort mid-reply" 0 0 3 60 -- -p "$P_ABRT" -c recv -R 1M -T 3 --expect-abort 4321
run "server abort, short reply ok" 0 3 0 60 -- -p "$P_ABRT" -c rpc -S 0 -R 1000 -T 3
run "unknown op -> RXGEN_OPCODE" 0 0 2 60 -- "${M[@]}" --op 7 -T 2 --expect-abort -455
run "FILE op 4 -> RXGEN_OPCODE" 0 0 1 60 -- "${M[@]}" --op 4 -T 1 --expect-abort -455
run "bad version -> RX_USER_ABORT" 0 0 2 60 -- "${M[@]}" -c rpc --proto-version 2 -T 2 --expect-abort -6
run "unknown service -> INVALID_OP" 0 0 1 60 -- "${M[@]}" -c rpc --service 99 -T 1 --expect-abort -2
run "openafs codes: op 7 -> -1" 0 0 1 60 -- -p "$P_OAFS" --op 7 -T 1 --expect-abort -1
run "openafs codes: version -> -1" 0 0 1 60 -- -p "$P_OAFS" -c rpc --proto-version 9 -T 1 --expect-abort -1
# The exit status must flag an unexpected abort.
run "unexpected abort fails the run" 1 0 0 60 -- "${M[@]}" --op 7 -T 1
# The server must still serve after all of that.
run "server healthy afterwards" 0 50 0 60 -- "${M[@]}" -c rpc -S 1413 -R 1413 -t 8 -T 50

for i in "${!PIDS[@]}"; do
	if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
		echo "FAIL server ${PIDS[$i]} died"
		FAILS=$((FAILS + 1))
	fi
done
grep -h 'abort' "$LOG"/server-*.log | sort | uniq -c | sed 's/^/server log: /'
echo "openafs_peer selftest: $PASSES passed, $FAILS failed"
[ "$FAILS" = 0 ]
