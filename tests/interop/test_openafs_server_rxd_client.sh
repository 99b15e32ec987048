#!/bin/bash
# Interop: the OpenAFS rx rxperf server (tests/interop/openafs_peer, kernel
# UDP inside a private netns) driven by rxd's rxperf client (DPDK, one
# process per test), plus a tshark decode of one exchange.  See
# rxd_interop_lib.sh for the topology.
#
# usage: test_openafs_server_rxd_client.sh RXPERF OPENAFS_PEER
# exit:  0 all passed, 1 a failure, 77 skipped (not root / tool missing)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/interop/rxd_interop_lib.sh
. "$HERE/rxd_interop_lib.sh"

RXPERF=${1:?usage: $0 RXPERF OPENAFS_PEER}
PEER=${2:?usage: $0 RXPERF OPENAFS_PEER}
[ -x "$RXPERF" ] || skip "rxperf not built ($RXPERF)"
[ -x "$PEER" ] || skip "openafs_peer not built ($PEER)"
ix_init cli

ix_ns_up
ix_openafs_server_start "$PEER" 7009                              # normal
ix_openafs_server_start "$PEER" 7010 --abort-reply-after 20000    # aborts replies with 4321
ix_openafs_server_start "$PEER" 7011 --openafs-aborts             # OpenAFS rxperf's -1 codes
echo "OpenAFS peer servers on $IX_KERNEL_IP:7009 (normal), :7010 (abort reply), :7011 (OpenAFS codes)"

# rxd client: one DPDK process per test, bounded by --timeout and timeout(1).
# shellcheck disable=SC2207
EAL=($(ix_eal c))
RXD=(ip netns exec "$IX_NS" "$RXPERF" "${EAL[@]}" -- client --ip "$IX_RXD_IP/$IX_PREFIX_LEN" -a "$IX_KERNEL_IP"
	"${IX_RXD_EXTRA[@]}" --json)
P=(-p 7009)

for sz in 0 1 1412 1413 65536; do
	run_check "rpc $sz/$sz" 0 10 0 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c rpc -S "$sz" -R "$sz" -T 10
done
run_check "rpc 1413/0" 0 10 0 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c rpc -S 1413 -R 0 -T 10
run_check "rpc 0/1413" 0 10 0 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c rpc -S 0 -R 1413 -T 10
run_check "send 1MiB" 0 3 0 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c send -S 1M -T 3
run_check "recv 1MiB" 0 3 0 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c recv -R 1M -T 3
run_check "rpc 1MiB/1MiB" 0 2 0 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c rpc -S 1M -R 1M -T 2
if ! quick; then
	run_check "send 64MiB" 0 1 0 180 -- "${RXD[@]}" --timeout 170 "${P[@]}" -c send -S 64M -T 1
	run_check "recv 64MiB" 0 1 0 180 -- "${RXD[@]}" --timeout 170 "${P[@]}" -c recv -R 64M -T 1
else
	result SKIP "64 MiB transfers" "RXD_QUICK=1"
fi
run_check "request cookie" 0 10 0 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c rpc -S 100 -R 100 -T 10 --cookie
run_check "no jumbograms (-j)" 0 2 0 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c rpc -S 256K -R 256K -T 2 -j
run_check "window 8 (-W 8)" 0 2 0 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c rpc -S 256K -R 256K -T 2 -W 8
run_check "mtu 1200 (-m 1200)" 0 2 0 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c rpc -S 256K -R 256K -T 2 -m 1200
run_check "100 concurrent small" 0 2000 0 120 -- "${RXD[@]}" --timeout 110 "${P[@]}" -c rpc -S 100 -R 100 -t 100 -T 2000
run_check "100 concurrent 1413/1413" 0 500 0 120 -- "${RXD[@]}" --timeout 110 "${P[@]}" -c rpc -S 1413 -R 1413 -t 100 -T 500

# Aborts, both ends bounded.
run_check "client abort mid-send" 0 0 3 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c send -S 1M -T 3 --abort-after 100000
run_check "client abort mid-recv" 0 0 3 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c recv -R 1M -T 3 --abort-after 100000
run_check "client abort after header" 0 0 2 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c rpc -S 10 -R 10 -T 2 --abort-after 0
run_check "server abort mid-reply" 0 0 3 60 -- "${RXD[@]}" --timeout 50 -p 7010 -c recv -R 1M -T 3 --expect-abort 4321
run_check "server abort mid-reply, 8 concurrent" 0 0 16 60 -- "${RXD[@]}" --timeout 50 -p 7010 -c rpc -S 1000 -R 1M -t 8 -T 16 --expect-abort 4321
run_check "short reply is not cut" 0 3 0 60 -- "${RXD[@]}" --timeout 50 -p 7010 -c rpc -S 0 -R 1000 -T 3
run_check "unknown op -> RXGEN_OPCODE" 0 0 2 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" --op 7 -T 2 --expect-abort -455
run_check "bad version -> RX_USER_ABORT" 0 0 1 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c rpc --proto-version 2 -T 1 --expect-abort -6
run_check "unknown service -> INVALID_OP" 0 0 1 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c rpc --service 99 -T 1 --expect-abort -2
run_check "short request -> RXGEN_SS_UNMARSHAL" 0 0 1 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c send -S 10000 --short-request 5000 -T 1 --expect-abort -453
run_check "openafs codes: short request -> -1" 0 0 1 60 -- "${RXD[@]}" --timeout 50 -p 7011 -c send -S 10000 --short-request 5000 -T 1 --expect-abort -1
run_check "openafs codes: op 7 -> -1" 0 0 1 60 -- "${RXD[@]}" --timeout 50 -p 7011 --op 7 -T 1 --expect-abort -1
run_check "unexpected abort fails the run" 1 0 0 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" --op 7 -T 1
msg=$("$RXPERF" --no-huge -- client --ip "$IX_RXD_IP/24" -a "$IX_KERNEL_IP" -c rpc --security secret 2>&1)
rc=$?
if [ "$rc" = 2 ] && [ "$(printf '%s\n' "$msg" | wc -l)" = 1 ] && printf '%s' "$msg" | grep -q -- '--security secret'; then
	result PASS "--security secret refused" "$msg"
else
	result FAIL "--security secret refused" "exit $rc: $msg"
fi
run_check "server healthy afterwards" 0 50 0 60 -- "${RXD[@]}" --timeout 50 "${P[@]}" -c rpc -S 1413 -R 1413 -t 8 -T 50

# ---------------------------------------------------------------- capture + decode
if command -v dumpcap >/dev/null && command -v tshark >/dev/null; then
	CAP="$T_DIR/rxd-client.pcapng"
	ix_capture_start "$CAP"
	run_check "captured: rpc 0/0" 0 1 0 30 -- "${RXD[@]}" --timeout 25 "${P[@]}" -c rpc -S 0 -R 0 -T 1
	run_check "captured: rpc 1413/1" 0 1 0 30 -- "${RXD[@]}" --timeout 25 "${P[@]}" -c rpc -S 1413 -R 1 -T 1
	run_check "captured: rpc 64KiB/64KiB" 0 1 0 30 -- "${RXD[@]}" --timeout 25 "${P[@]}" -c rpc -S 65536 -R 65536 -T 1
	run_check "captured: client abort" 0 0 1 30 -- "${RXD[@]}" --timeout 25 "${P[@]}" -c rpc -S 100 -R 65536 -T 1 --abort-after 30000
	run_check "captured: server abort" 0 0 1 30 -- "${RXD[@]}" --timeout 25 -p 7010 -c recv -R 65536 -T 1 --expect-abort 4321
	run_check "captured: unknown op" 0 0 1 30 -- "${RXD[@]}" --timeout 25 "${P[@]}" --op 7 -T 1 --expect-abort -455
	ix_capture_stop
	ix_check_capture "tshark decode (rxd client)" "$CAP"
else
	result SKIP "tshark decode" "dumpcap/tshark not installed"
fi

for p in "${IX_OSRV_PIDS[@]}"; do
	if kill -0 "$p" 2>/dev/null; then
		result PASS "OpenAFS server $p alive" "after every test"
	else
		result FAIL "OpenAFS server $p alive" "died"
	fi
done
finish "OpenAFS server vs rxd client"
