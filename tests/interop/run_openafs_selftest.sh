#!/bin/bash
# Self-test of openafs_peer: OpenAFS rx client against OpenAFS rx server on
# 127.0.0.1, before the peer is pointed at rxd.  Every client run is bounded
# by timeout(1); servers are killed on exit.
#
# usage: run_openafs_selftest.sh PATH/TO/openafs_peer
# env:   OPENAFS_SELFTEST_PORT  base UDP port (default: random free one; uses base..base+2)
#        RXD_QUICK=1  skip the 64 MiB transfers
set -uo pipefail

PEER=${1:?usage: $0 openafs_peer}
[ -x "$PEER" ] || { echo "not executable: $PEER" >&2; exit 2; }
# shellcheck source=scripts/lib/harness.sh
. "$(dirname "$0")/../../scripts/lib/harness.sh"
ADDR=127.0.0.1

BASE=${OPENAFS_SELFTEST_PORT:-$(free_udp_port 3)}
P_MAIN=$BASE            # normal server
P_ABRT=$((BASE + 1))    # --abort-reply-after 20000
P_OAFS=$((BASE + 2))    # --openafs-aborts (OpenAFS rxperf abort codes)
SRV_PIDS=()

start_server() { # name port args...
	local name=$1 port=$2
	shift 2
	start_wait "$T_DIR/server-$name.log" listening 5 "$PEER" server -p "$port" -v "$@" ||
		{ echo "FATAL: server $name did not start" >&2; exit 1; }
	SRV_PIDS+=("$LAST_PID")
}

# run NAME EXPECT_RC EXPECT_OK EXPECT_ABORTS TIMEOUT -- client args...
run() {
	local name=$1 want_rc=$2 want_ok=$3 want_ab=$4 tmo=$5
	shift 6
	run_check "$name" "$want_rc" "$want_ok" "$want_ab" "$tmo" -- "$PEER" client -a "$ADDR" --json --timeout "$tmo" "$@"
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
if ! quick; then
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

for p in "${SRV_PIDS[@]}"; do
	kill -0 "$p" 2>/dev/null || result FAIL "server $p" "died"
done
grep -h 'abort' "$T_DIR"/server-*.log | sort | uniq -c | sed 's/^/server log: /'
finish "openafs_peer selftest"
