#!/usr/bin/env bash
# scripts/rxgen.py refuses definitions it cannot make safe or does not
# support, naming the file and line; and accepts a minimal good one whose
# output compiles cleanly.
#   rxgen_rejects.sh PYTHON RXGEN AFS_XDR_H_DIR CC...
set -euo pipefail
py=$1 rxgen=$2 inc=$3
shift 3
dir=$(mktemp -d "${TMPDIR:-/tmp}/rxd-rxgen.XXXXXX")
trap 'rm -rf "$dir"' EXIT
fail=0

expect_error() { # NAME PATTERN XG-TEXT
	printf '%s\n' "$3" >"$dir/$1.xg"
	if "$py" "$rxgen" "$dir/o.h" "$dir/o.c" "$dir/$1.xg" 2>"$dir/err"; then
		echo "FAIL $1: accepted" >&2
		fail=1
	elif ! grep -q -- "$2" "$dir/err"; then
		echo "FAIL $1: message $(cat "$dir/err") lacks '$2'" >&2
		fail=1
	else
		echo "ok   $1: $(cat "$dir/err")"
	fi
}

expect_error unbounded_array 'unbounded arrays' 'typedef afs_uint32 addrs<>;'
expect_error unbounded_string 'unbounded arrays' 'package P_
Get(IN string name<>) = 1;'
expect_error unknown_type "unknown type 'Foo'" 'struct S { Foo x; };'
expect_error unknown_const "unknown constant 'MAXX'" 'typedef afs_int32 a<MAXX>;'
expect_error dup_opcode 'used twice' 'package P_
A() = 1;
B() = 1;'
expect_error inout 'INOUT is not supported' 'package P_
A(INOUT afs_int32 x) = 1;'
expect_error no_package 'before any package' 'A() = 1;'
expect_error no_direction 'without IN or OUT' 'package P_
A(afs_int32 x) = 1;'
expect_error zero_bound 'bound must be positive' 'typedef afs_int32 a<0>;'
expect_error line_number 'line_number.xg:3' 'const A = 1;

struct S { Bar y; };'

printf '%s\n' 'const N = 4;
struct S { afs_uint32 a; char c[3]; };
typedef S SS<N>;
package P_
Get(IN S *s, string name<N>, OUT SS *all) = 7;
Put(IN afs_int64 pos) split = 8;' >"$dir/good.xg"
"$py" "$rxgen" "$dir/o.h" "$dir/o.c" "$dir/good.xg"
grep -q '#define RXD_OP_P_Get 7' "$dir/o.h" || { echo "FAIL good: no opcode" >&2; fail=1; }
grep -q 'rxd_P_dispatch' "$dir/o.h" || { echo "FAIL good: no dispatch" >&2; fail=1; }
"$@" -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror -I"$inc" -c "$dir/o.c" \
	-o "$dir/o.o" || { echo "FAIL good: generated code does not compile" >&2; fail=1; }
exit $fail
