#!/bin/bash
# Interop: rxd's rxperf server (DPDK, in a private netns) driven by the
# OpenAFS rx client (tests/interop/openafs_peer), plus rxdebug and a tshark
# decode of one exchange.  See rxd_interop_lib.sh for the topology.
#
# usage: test_rxd_server_openafs_client.sh RXPERF OPENAFS_PEER
# exit:  0 all passed, 1 a failure, 77 skipped (not root / tool missing)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/interop/rxd_interop_lib.sh
. "$HERE/rxd_interop_lib.sh"

RXPERF=${1:?usage: $0 RXPERF OPENAFS_PEER}
PEER=${2:?usage: $0 RXPERF OPENAFS_PEER}
[ -x "$RXPERF" ] || skip "rxperf not built ($RXPERF)"
[ -x "$PEER" ] || skip "openafs_peer not built ($PEER)"
ix_init srv

ix_ns_up
A=$IX_RXD_IP
# OpenAFS client: pinned, bounded by --timeout and timeout(1) in run_check.
OAFS=(ip netns exec "$IX_NS" taskset -c "$IX_PEER_CPU" "$PEER" client -a "$A" -p 7009 --json)

# ---------------------------------------------------------------- normal server
ix_rxd_server_start "$RXPERF" main
echo "rxd rxperf server up: $(grep listening "$IX_SRV_OUT")"

for sz in 0 1 1412 1413 65536; do
	run_check "rpc $sz/$sz" 0 10 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S "$sz" -R "$sz" -T 10
done
run_check "rpc 1413/0" 0 10 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 1413 -R 0 -T 10
run_check "rpc 0/1413" 0 10 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 0 -R 1413 -T 10
run_check "send 1MiB" 0 3 0 60 -- "${OAFS[@]}" --timeout 50 -c send -S 1M -T 3
run_check "recv 1MiB" 0 3 0 60 -- "${OAFS[@]}" --timeout 50 -c recv -R 1M -T 3
run_check "rpc 1MiB/1MiB" 0 2 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 1M -R 1M -T 2
if ! quick; then
	run_check "send 64MiB" 0 1 0 180 -- "${OAFS[@]}" --timeout 170 -c send -S 64M -T 1
	run_check "recv 64MiB" 0 1 0 180 -- "${OAFS[@]}" --timeout 170 -c recv -R 64M -T 1
else
	result SKIP "64 MiB transfers" "RXD_QUICK=1"
fi
run_check "request cookie" 0 10 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 100 -R 100 -T 10 --cookie
run_check "no jumbograms (-j)" 0 2 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 256K -R 256K -T 2 -j
run_check "window 8 (-W 8)" 0 2 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 256K -R 256K -T 2 -W 8
run_check "mtu 1200 (-m 1200)" 0 2 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 256K -R 256K -T 2 -m 1200
run_check "100 concurrent small" 0 2000 0 120 -- "${OAFS[@]}" --timeout 110 -c rpc -S 100 -R 100 -t 100 -T 2000
run_check "100 concurrent 1413/1413" 0 500 0 120 -- "${OAFS[@]}" --timeout 110 -c rpc -S 1413 -R 1413 -t 100 -T 500

# Aborts: each must end quickly (bounded), with the code both sides expect.
run_check "client abort mid-send" 0 0 3 60 -- "${OAFS[@]}" --timeout 50 -c send -S 1M -T 3 --abort-after 100000
run_check "client abort mid-recv" 0 0 3 60 -- "${OAFS[@]}" --timeout 50 -c recv -R 1M -T 3 --abort-after 100000
run_check "client abort after header" 0 0 2 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 10 -R 10 -T 2 --abort-after 0
run_check "unknown op -> RXGEN_OPCODE" 0 0 2 60 -- "${OAFS[@]}" --timeout 50 --op 7 -T 2 --expect-abort -455
run_check "FILE op 4 -> RXGEN_OPCODE" 0 0 1 60 -- "${OAFS[@]}" --timeout 50 --op 4 -T 1 --expect-abort -455
run_check "bad version -> RX_USER_ABORT" 0 0 1 60 -- "${OAFS[@]}" --timeout 50 -c rpc --proto-version 2 -T 1 --expect-abort -6
run_check "unknown service -> INVALID_OP" 0 0 1 60 -- "${OAFS[@]}" --timeout 50 -c rpc --service 99 -T 1 --expect-abort -2
run_check "unexpected abort fails the run" 1 0 0 60 -- "${OAFS[@]}" --timeout 50 --op 7 -T 1

# rxdebug -version answered by rxd
if command -v rxdebug >/dev/null; then
	out=$(ix_ns timeout 40 rxdebug "$A" 7009 -version 2>&1)
	if printf '%s' "$out" | grep -q 'AFS version: *rxd'; then
		result PASS "rxdebug -version" "$(printf '%s' "$out" | grep 'AFS version')"
	else
		result FAIL "rxdebug -version" "no 'AFS version: rxd...' in: $(printf '%s' "$out" | tr '\n' ' ')"
	fi
else
	result SKIP "rxdebug -version" "rxdebug not installed (openafs-client)"
fi

run_check "server healthy afterwards" 0 50 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 1413 -R 1413 -t 8 -T 50

# ---------------------------------------------------------------- capture + decode
if command -v dumpcap >/dev/null && command -v tshark >/dev/null; then
	CAP="$T_DIR/rxd-server.pcapng"
	ix_capture_start "$CAP"
	run_check "captured: rpc 0/0" 0 1 0 30 -- "${OAFS[@]}" --timeout 25 -c rpc -S 0 -R 0 -T 1
	run_check "captured: rpc 1413/1" 0 1 0 30 -- "${OAFS[@]}" --timeout 25 -c rpc -S 1413 -R 1 -T 1
	run_check "captured: rpc 64KiB/64KiB" 0 1 0 30 -- "${OAFS[@]}" --timeout 25 -c rpc -S 65536 -R 65536 -T 1
	run_check "captured: client abort" 0 0 1 30 -- "${OAFS[@]}" --timeout 25 -c rpc -S 100 -R 65536 -T 1 --abort-after 30000
	run_check "captured: unknown op" 0 0 1 30 -- "${OAFS[@]}" --timeout 25 --op 7 -T 1 --expect-abort -455
	run_check "captured: unknown service" 0 0 1 30 -- "${OAFS[@]}" --timeout 25 -c rpc --service 99 -T 1 --expect-abort -2
	command -v rxdebug >/dev/null && ix_ns timeout 40 rxdebug "$A" 7009 -version >/dev/null 2>&1
	ix_capture_stop
	ix_check_capture "tshark decode (rxd server)" "$CAP"
	ix_check_pmtud_probes "tshark: PMTUD probes answered (rxd server)" "$CAP"
else
	result SKIP "tshark decode" "dumpcap/tshark not installed"
fi

ix_rxd_server_stop "rxd server clean exit"

# ---------------------------------------------------------------- server aborting its replies
ix_rxd_server_start "$RXPERF" abort --abort-reply-after 20000 -v
run_check "server abort mid-reply" 0 0 3 60 -- "${OAFS[@]}" --timeout 50 -c recv -R 1M -T 3 --expect-abort 4321
run_check "server abort mid-reply, 8 concurrent" 0 0 16 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 1000 -R 1M -t 8 -T 16 --expect-abort 4321
run_check "short reply is not cut" 0 3 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 0 -R 1000 -T 3
ix_rxd_server_stop "rxd abort server clean exit"

# ---------------------------------------------------------------- rxdebug across two workers
# Connections are sharded by cid over the workers; rxdebug must still see all
# of them (the walk goes shard after shard) and the counters of every shard.
if command -v rxdebug >/dev/null; then
	IX_RXD_WORKERS=2 ix_rxd_server_start "$RXPERF" two
	# 8 calls in flight on 2 OpenAFS conns (consecutive cids: one per worker), for 8 s
	bg "$T_DIR/two.log" "${OAFS[@]}" --timeout 60 -c send -S 1M -t 8 -d 8
	TWO=$LAST_PID
	cids=""
	for _ in $(seq 40); do
		out=$(ix_ns timeout 30 rxdebug "$A" 7009 -allconnections 2>&1)
		cids=$(printf '%s\n' "$out" | grep -Eo "Cuid [0-9a-f]+/[0-9a-f]+" | sed 's|.*/||' | sort -u)
		[ "$(printf '%s\n' "$cids" | grep -c .)" -ge 2 ] && break
		sleep 0.25
	done
	shards=$(for c in $cids; do echo $(((0x$c >> 2) % 2)); done | sort -u | tr -d '\n')
	if [ "$shards" = 01 ]; then
		result PASS "rxdebug -allconnections: both workers' conns" "cids $(echo $cids)"
	else
		result FAIL "rxdebug -allconnections: both workers' conns" "cids '$(echo $cids)' (shards '$shards')"
	fi
	out=$(ix_ns timeout 30 rxdebug "$A" 7009 -rxstats -noconns 2>&1)
	nconn=$(printf '%s\n' "$out" | grep -Eo "[0-9]+ server connections" | grep -Eo '^[0-9]+')
	if [ "${nconn:-0}" -ge 2 ]; then
		result PASS "rxdebug -rxstats: every worker's conns" "$nconn server connections"
	else
		result FAIL "rxdebug -rxstats: every worker's conns" "${nconn:-missing} < 2"
	fi
	wait_pid "$TWO" 60
	j=$(json_last "$T_DIR/two.log")
	if [ -n "$j" ] && [ "$(json_field "$j" calls_failed)" = 0 ] && [ "$(json_field "$j" calls_ok)" -gt 0 ]; then
		result PASS "two workers: calls in flight completed" "calls_ok=$(json_field "$j" calls_ok)"
	else
		result FAIL "two workers: calls in flight completed" "${j:-no JSON line}"
	fi
	ix_rxd_server_stop "rxd two-worker server clean exit"
else
	result SKIP "rxdebug across two workers" "rxdebug not installed (openafs-client)"
fi

# ---------------------------------------------------------------- OpenAFS-style abort codes
ix_rxd_server_start "$RXPERF" oafs --openafs-aborts
run_check "openafs codes: op 7 -> -1" 0 0 1 60 -- "${OAFS[@]}" --timeout 50 --op 7 -T 1 --expect-abort -1
run_check "openafs codes: version -> -1" 0 0 1 60 -- "${OAFS[@]}" --timeout 50 -c rpc --proto-version 9 -T 1 --expect-abort -1
ix_rxd_server_stop "rxd openafs-codes server clean exit"

finish "rxd server vs OpenAFS client"
