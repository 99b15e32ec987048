#!/usr/bin/env bash
# The main job on its embedded default: installs dependencies, builds, then
# runs an rxd server and an rxd client as two processes joined by net_memif
# (no NIC, no hugepages: --no-huge, memif's shared memory is a memfd) and
# prints calls/s, MB/s and latency percentiles; then the core-only benchmark.
#   RXD_DEMO_SECONDS=N   length of each small-call run (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build >/dev/null
RXD=build/app/rxd/rxd
SECS=${RXD_DEMO_SECONDS:-3}
[ "$(id -u)" = 0 ] || { echo "run.sh: DPDK needs root here (EAL runtime dir, memif socket); run as root" >&2; exit 1; }

DIR=$(mktemp -d /tmp/rxd-demo.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$DIR" /var/run/dpdk/rxddemo$$* 2>/dev/null || true
}
trap cleanup EXIT

# Two busy pollers per process on a 2-core machine: let idle pollers yield.
IDLE=""
[ "$(nproc)" -lt 2 ] && IDLE="--idle-sleep 20"

# One scenario: a fresh memif pair (server first: it owns the socket), then the client.
run_pair() { # name server-args -- client-args
	local name=$1 sargs=() cargs=() seen=0 i spid cpid
	shift
	for a in "$@"; do
		if [ "$a" = -- ]; then seen=1; continue; fi
		if [ $seen = 0 ]; then sargs+=("$a"); else cargs+=("$a"); fi
	done
	local sock=$DIR/$name.sock
	timeout 300 "$RXD" --lcores 0@0,1@1 --no-pci --no-huge -m 512 --file-prefix "rxddemo$$s$name" \
		--log-level=lib.eal:error \
		--vdev "net_memif0,role=server,socket=$sock,socket-abstract=no" -- \
		--ip 198.18.1.1/24 $IDLE "${sargs[@]}" >"$DIR/$name.srv" 2>&1 &
	spid=$!
	PIDS+=("$spid")
	for ((i = 0; i < 100; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
	timeout 300 "$RXD" --lcores 0@1,1@0 --no-pci --no-huge -m 512 --file-prefix "rxddemo$$c$name" \
		--log-level=lib.eal:error \
		--vdev "net_memif0,role=client,socket=$sock,socket-abstract=no" -- \
		--ip 198.18.1.2/24 --peer 198.18.1.1:7009 --start-delay 1 --hold 10 $IDLE "${cargs[@]}" \
		>"$DIR/$name.cli" 2>&1 &
	cpid=$!
	PIDS+=("$cpid")
	for ((i = 0; i < 3000; i++)); do
		grep -q '^{' "$DIR/$name.cli" 2>/dev/null && break
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -TERM "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	wait "$cpid" 2>/dev/null || true
	if ! grep -q '^{' "$DIR/$name.cli"; then
		echo "run.sh: scenario $name produced no result" >&2
		tail -n 20 "$DIR/$name.cli" "$DIR/$name.srv" >&2
		exit 1
	fi
	printf '\n--- %s ---\n' "$name"
	grep -E '^(calls|rate|latency):' "$DIR/$name.cli"
	grep '^{' "$DIR/$name.cli" | tail -n 1
}

echo "== rxd over net_memif: server and client processes, 1 worker lcore each, --no-huge =="
run_pair small_c1 --mode server -- --mode client --calls 0 --duration "$SECS" --concurrency 1
run_pair small_c32 --mode server -- --mode client --calls 0 --duration "$SECS" --concurrency 32
run_pair bulk_64MiB --mode server -- --mode client --calls 3 --size-req 0 --size-resp 67108864

echo
echo "== rxd-core-bench: the protocol core alone, client and server engines on one core =="
build/bench/rxd-core-bench -d 1
