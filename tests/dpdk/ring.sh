#!/bin/bash
# SPDX-License-Identifier: MIT
# One process, two ifaces joined by an in-process net_ring pair: echo and
# rxperf calls from 0 B to 64 MiB with byte-exact verification, then many
# concurrent calls spread over the workers' connections.
#   ring.sh RXD WORKERS
RXD=$1
W=${2:-1}
. "$(dirname "$0")/../../scripts/lib/harness.sh"
require_root

load_profile ring-pair

run() { # name args...
	local name=$1; shift
	local log="$T_DIR/$name.log"
	timeout 300 "$RXD" $(lcores "$W") $(eal_common "$name") $EAL_DEV -- --mode loop $APP_ARGS "$@" >"$log" 2>&1
	echo "$?" >"$log.rc"
	echo "$log"
}

for size in 0 1 1412 1413 65536 1048576; do
	log=$(run "echo$size" --calls 20 --concurrency 4 --size-req "$size")
	check_client "$log" 20 "echo $size B x20, $W worker(s)"
done
log=$(run echo64m --calls 1 --size-req 64M --echo-mem 80)
check_client "$log" 1 "echo 64 MiB, $W worker(s)"
for spec in "0 0" "1000 100000" "100000 1000" "4194304 4194304"; do
	set -- $spec
	log=$(run "rxperf$1_$2" --server-kind rxperf --calls 10 --concurrency 2 --size-req "$1" --size-resp "$2")
	check_client "$log" 10 "rxperf RPC $1/$2 B x10, $W worker(s)"
done
log=$(run rxperf64m --server-kind rxperf --calls 1 --size-req 64M --size-resp 64M)
check_client "$log" 1 "rxperf RPC 64/64 MiB, $W worker(s)"
log=$(run rxperf_cookie --server-kind rxperf --calls 5 --size-req 100 --size-resp 100 --rxperf-cookie)
check_client "$log" 5 "rxperf request with trailing cookie"
log=$(run ipv6 --ip6 fd00::1/64@0 --ip6 fd00::2/64@1 --peer "[fd00::1]:7009" --calls 20 --concurrency 4 --size-req 100000)
if check_client "$log" 20 "echo over IPv6 (ND + UDP/IPv6), $W worker(s)"; then
	nd=$(json_field "$(json_last "$log")" rx_nd)
	[ "${nd:-0}" -gt 0 ] || fail "IPv6 run did no neighbour discovery (rx_nd=$nd)"
fi
# several UDP ports, each its own shard per worker: the server serves on both
# and the calls to each reach it (the shell demultiplexes by destination port)
for port in 7009 7010; do
	log=$(run "port$port" --port 7009,7010 --peer "198.18.0.1:$port" --calls 20 --concurrency 4 --size-req 3000)
	check_client "$log" 20 "echo to UDP port $port of a shell listening on 7009 and 7010, $W worker(s)"
done
# the verification must be able to fail: an rxperf client against the echo server
log=$(run negative --server-kind echo --proto rxperf --calls 3 --size-req 100 --size-resp 100)
verr=$(json_field "$(json_last "$log")" verify_errors)
if [ "$(cat "$log.rc")" = 1 ] && [ "${verr:-0}" -gt 0 ]; then
	echo "ok: wrong reply bytes are detected ($verr verify errors, exit 1)"
else
	fail "an rxperf client against an echo server must report verify errors (exit $(cat "$log.rc"), verify_errors=$verr)"
fi
log=$(run many --calls 3000 --concurrency 64 --size-req 2000)
if check_client "$log" 3000 "3000 echo calls, 64 in flight, $W worker(s)" && [ "$W" -gt 1 ]; then
	fwd=$(json_field "$(json_last "$log")" fwd_out)
	[ "${fwd:-0}" -gt 0 ] || fail "with $W workers some packets should be forwarded between lcores (fwd_out=$fwd)"
fi
finish
