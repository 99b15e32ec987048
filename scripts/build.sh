#!/usr/bin/env bash
# Configure and build rxd into $1 (default build/) with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" --werror "$@" >/dev/null
fi
ninja -C "$dir"
