#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan + UBSan, -Dfuzz=enabled) and run each
# for a bounded time on the seed corpus from tests/data; fails on any crash,
# leak, sanitizer report or invariant failure.
#   FUZZ_SECONDS=N     seconds per target (default 60)
#   FUZZ_RXKAD_SECONDS=N  seconds for each rxkad_* target (default 30: small
#                      parsers that saturate quickly, so CI stays in budget)
#   FUZZ_TARGETS="..." targets to run (default: core shell afs rxkad_handshake
#                      rxkad_ticket rxkad_k5; shell needs DPDK)
#   FUZZ_BUILD=DIR     build directory (default build-fuzz); the corpus grows in
#                      DIR/fuzz-corpus/<target> across runs, crashes land in
#                      DIR/fuzz-artifacts/
# A crash becomes a regression test: fix it, then copy the artifact to
# tests/fuzz/regressions/<target>/ (the unit suite replays that directory).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-60}
dir=${FUZZ_BUILD:-build-fuzz}
rxkad_secs=${FUZZ_RXKAD_SECONDS:-30}
targets=${FUZZ_TARGETS:-core shell afs rxkad_handshake rxkad_ticket rxkad_k5}

CC=clang scripts/build.sh "$dir" -Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false

seeds=$(mktemp -d "${TMPDIR:-/tmp}/rxd-fuzz-seeds.XXXXXX")
trap 'rm -rf "$seeds"' EXIT
python3 tests/fuzz/gen_corpus.py tests/data/openafs_rxperf.pcap tests/data/linux_rxrpc.pcap "$seeds"
mkdir -p "$seeds/afs" && cp tests/afs/golden/*.bin "$seeds/afs/" # OpenAFS-encoded requests and replies

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
rc=0
for t in $targets; do
	exe=$dir/tests/fuzz/fuzz_$t
	if [ ! -x "$exe" ]; then
		if [ "$t" = shell ] && ! meson introspect "$dir" --targets | grep -q '"fuzz_shell"'; then
			echo "fuzz $t: skipped (built without DPDK)"
			continue
		fi
		echo "fuzz $t: $exe missing" >&2
		rc=1
		continue
	fi
	corpus=$dir/fuzz-corpus/$t
	art=$dir/fuzz-artifacts
	mkdir -p "$corpus" "$art"
	# the rxkad targets' seeds are committed real bytes (tests/fuzz/seeds/<target>)
	tsecs=$secs
	tseeds=$seeds/$t
	case $t in rxkad_*) tsecs=$rxkad_secs tseeds=tests/fuzz/seeds/$t ;; esac
	echo "=== fuzz $t: ${tsecs}s ==="
	# one process (the machine is shared); new inputs go to the first directory
	if ! "$exe" -max_total_time="$tsecs" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
		-use_value_profile=1 -print_final_stats=1 -artifact_prefix="$art/$t-" \
		"$corpus" "$tseeds" 2>"$art/$t.log"; then
		tail -n 60 "$art/$t.log" >&2
		echo "fuzz $t: FAILED; inputs in $art/ (replay: $dir/tests/fuzz/fuzz_replay_$t FILE)" >&2
		rc=1
	else
		grep -E '^(stat::|Done|#[0-9]+ +DONE)' "$art/$t.log" || true
	fi
done
exit $rc
