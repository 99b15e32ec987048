#!/usr/bin/env bash
# The main job on its embedded default: installs dependencies, builds, then
# runs an rxd server and an rxd client as two processes joined by net_memif
# (no NIC, no hugepages: --no-huge, memif's shared memory is a memfd) and
# prints calls/s, MB/s and latency percentiles; then the core-only benchmark;
# then rxd-fileserver on a TAP in a private network namespace (--no-huge),
# with OpenAFS's afsio writing and reading a file through it (scripts/fs-demo.sh).
#   RXD_DEMO_SECONDS=N   length of each small-call run (default 3)
#   RXD_QUICK=1          1 s small-call runs, a 16 MiB bulk call, a 16 MiB file
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build >/dev/null
[ "$(id -u)" = 0 ] || { echo "run.sh: DPDK needs root here (EAL runtime dir, memif socket); run as root" >&2; exit 1; }
RXD=build/app/rxd/rxd
# shellcheck source=scripts/lib/harness.sh
. scripts/lib/harness.sh
SECS=${RXD_DEMO_SECONDS:-3}
BULK=67108864
if quick; then SECS=1; BULK=16777216; fi

# One scenario: a fresh memif pair, one worker lcore per process.
run_pair() { # name server-args -- client-args
	local name=$1
	shift
	if ! memif_pair "$name" 1 "$@"; then
		echo "run.sh: scenario $name produced no result" >&2
		tail -n 20 "$T_DIR/$name.log" "$T_DIR/$name.srv.log" >&2
		exit 1
	fi
	printf '\n--- %s ---\n' "$name"
	grep -E '^(calls|rate|latency):' "$T_DIR/$name.log"
	json_last "$T_DIR/$name.log"
}

echo "== rxd over net_memif: server and client processes, 1 worker lcore each, --no-huge =="
run_pair small_c1 --mode server -- --calls 0 --duration "$SECS" --concurrency 1
run_pair small_c32 --mode server -- --calls 0 --duration "$SECS" --concurrency 32
run_pair bulk_$((BULK >> 20))MiB --mode server -- --calls 3 --size-req 0 --size-resp "$BULK"

echo
echo "== rxd-core-bench: the protocol core alone, client and server engines on one core =="
build/bench/rxd-core-bench -d 1

echo
echo "== rxd-fileserver: an AFS fileserver on net_tap in a private network namespace, --no-huge; OpenAFS's afsio writes and reads a file =="
scripts/fs-demo.sh build || { rc=$?; [ "$rc" = 77 ] || exit "$rc"; }
