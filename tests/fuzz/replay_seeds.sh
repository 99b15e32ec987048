#!/usr/bin/env bash
# Generate the seed corpus from the captures and replay one target over it.
#   replay_seeds.sh PYTHON gen_corpus.py REPLAY_EXE TARGET PCAP...
set -euo pipefail
py=$1 gen=$2 replay=$3 target=$4
shift 4
dir=$(mktemp -d "${TMPDIR:-/tmp}/rxd-fuzz-seeds.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$py" "$gen" "$@" "$dir" >/dev/null
"$replay" "$dir/$target"
