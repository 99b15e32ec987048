#!/usr/bin/env bash
# Generate the seed corpus from the capture and replay one target over it.
#   replay_seeds.sh PYTHON gen_corpus.py PCAP REPLAY_EXE TARGET
set -euo pipefail
py=$1 gen=$2 pcap=$3 replay=$4 target=$5
dir=$(mktemp -d "${TMPDIR:-/tmp}/rxd-fuzz-seeds.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$py" "$gen" "$pcap" "$dir" >/dev/null
"$replay" "$dir/$target"
