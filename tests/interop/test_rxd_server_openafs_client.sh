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

# ---------------------------------------------------------------- OpenAFS-style abort codes
ix_rxd_server_start "$RXPERF" oafs --openafs-aborts
run_check "openafs codes: op 7 -> -1" 0 0 1 60 -- "${OAFS[@]}" --timeout 50 --op 7 -T 1 --expect-abort -1
run_check "openafs codes: version -> -1" 0 0 1 60 -- "${OAFS[@]}" --timeout 50 -c rpc --proto-version 9 -T 1 --expect-abort -1
ix_rxd_server_stop "rxd openafs-codes server clean exit"

finish "rxd server vs OpenAFS client"
