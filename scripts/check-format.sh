#!/usr/bin/env bash
# Check (default) or apply (--fix) the project's .clang-format over the C
# sources of lib/, app/, bench/ and tests/.  CI runs the check.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check-format: clang-format not installed" >&2; exit 1; }
mapfile -t files < <(git ls-files -- 'lib/*.[ch]' 'app/*.[ch]' 'bench/*.[ch]' 'tests/*.[ch]' 'doc/examples/*.[ch]')
if [ "${1:-}" = --fix ]; then
	clang-format -i "${files[@]}"
	exit 0
fi
bad=()
for f in "${files[@]}"; do
	clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ "${#bad[@]}" -gt 0 ]; then
	echo "check-format: ${#bad[@]} file(s) differ from .clang-format (fix: scripts/check-format.sh --fix):" >&2
	printf '  %s\n' "${bad[@]}" >&2
	exit 1
fi
echo "check-format: ${#files[@]} files match .clang-format"
