#!/usr/bin/env bash
# Regenerate tests/afs/golden/ with OpenAFS's XDR routines, or (--check)
# verify that the checked-in files are what OpenAFS produces now, and that the
# requests are byte for byte what OpenAFS's client stubs send over rx
# (golden_openafs --stubs: a capture server on a loopback port).
#   regen.sh [--check] GOLDEN_OPENAFS_EXE
set -euo pipefail
check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
exe=$1
golden=$(cd "$(dirname "$0")" && pwd)/golden
if [ $check = 0 ]; then
	rm -f "$golden"/*.bin
	"$exe" "$golden"
	echo "wrote $(ls "$golden" | wc -l) files to $golden"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/rxd-afs-golden.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$exe" "$dir"
diff -r "$dir" "$golden"
echo "golden files match OpenAFS ($(ls "$dir" | wc -l) files)"
mkdir "$dir/stubs"
timeout 120 "$exe" --stubs "$dir/stubs"
n=0
for f in "$dir"/stubs/*.bin; do
	cmp "$f" "$golden/$(basename "$f")"
	n=$((n + 1))
done
[ $n -gt 0 ]
echo "$n requests match OpenAFS's client stubs"
