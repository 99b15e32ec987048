#!/bin/bash
# OpenAFS-vs-OpenAFS rxperf baseline over loopback UDP, for the side-by-side
# benchmark against rxd.  Both ends are tests/interop/openafs_peer (OpenAFS
# 1.8 userspace rx, pthreads).  Server pinned to one CPU, client to another.
#
# usage: bench/openafs_side.sh [-p PEER] [-d SECONDS] [-s SERVER_CPU] [-c CLIENT_CPU] [-q] [SCENARIO...]
#   PEER      path to openafs_peer (default: $OPENAFS_PEER, then build/*/tests/interop/openafs_peer,
#             else it is compiled into a temp dir with gcc)
#   SECONDS   duration of each rate scenario (default 5)
#   -q        quick (also RXD_QUICK=1): 2 s rate runs, 16 MiB bulk (crypt: 4 MiB)
#   SCENARIO  any of: small_c1 small_c16 small_c64 bulk_send bulk_recv bulk_send_c16 bulk_recv_c16
#             bulk_send_crypt bulk_recv_crypt bulk_send_c16_crypt bulk_recv_c16_crypt
#             (default: all)
#
# The *_crypt scenarios run rxkad at level crypt (openafs_peer --security
# crypt: OpenAFS's own fcrypt, a ticket from tkt_MakeTicket) with 16 MiB calls
# (64 MiB at OpenAFS's crypt rate would take minutes); the server offers
# rxnull and rxkad, so one server serves every scenario.
#
# Output: a human table per scenario (from openafs_peer) on stderr, and one JSON
# line per scenario on stdout: openafs_peer's line with "scenario", "server_cpu",
# "client_cpu" prepended.  Not a pass/fail test.
#
# Processes, waits and cleanup: scripts/lib/harness.sh.

openafs_side_find_peer() {
	local root cand
	if [ -n "${OPENAFS_PEER:-}" ]; then echo "$OPENAFS_PEER"; return 0; fi
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	for cand in "$root"/build*/tests/interop/openafs_peer "$root"/*/tests/interop/openafs_peer; do
		[ -x "$cand" ] && { echo "$cand"; return 0; }
	done
	# Fall back to a private build (same command line as tests/data/README.md).
	cand=$(mktemp -d)/openafs_peer
	gcc -std=c11 -D_GNU_SOURCE -DAFS_PTHREAD_ENV -pthread -O2 -o "$cand" \
		"$root/tests/interop/openafs_peer.c" /usr/lib/libafsrpc.a \
		-l:libhcrypto.so.5 -l:libroken.so.19 -lpthread >&2 || return 1
	echo "$cand"
}

# openafs_side_run PEER PORT CLIENT_CPU SERVER_CPU SCENARIO TIMEOUT_S client-args...
# Prints the human table to stderr and the tagged JSON line to stdout.
openafs_side_run() {
	local peer=$1 port=$2 ccpu=$3 scpu=$4 name=$5 tmo=$6 out rc json
	shift 6
	out=$(timeout --kill-after=5 "$tmo" taskset -c "$ccpu" "$peer" client -a 127.0.0.1 -p "$port" \
		--timeout "$tmo" "$@")
	rc=$?
	printf '== %s: openafs_peer client %s\n' "$name" "$*" >&2
	printf '%s\n' "$out" | grep -v '^{' >&2
	json=$(printf '%s\n' "$out" | grep '^{' | tail -n1)
	if [ -z "$json" ]; then
		json="{\"impl\":\"openafs-rx\",\"scenario\":\"\",\"calls_failed\":1,\"exit\":$rc}"
	fi
	printf '%s\n' "$json" | sed "s/\"scenario\":\"[^\"]*\"/\"scenario\":\"$name\"/; s/^{/{\"server_cpu\":$scpu,\"client_cpu\":$ccpu,/"
	return $rc
}

openafs_side_main() {
	local peer="" secs=5 scpu=1 ccpu=0 bulk=64M cbulk=16M port opt rc=0 s
	local all=(small_c1 small_c16 small_c64 bulk_send bulk_recv bulk_send_c16 bulk_recv_c16
		bulk_send_crypt bulk_recv_crypt bulk_send_c16_crypt bulk_recv_c16_crypt)
	# the service key and kvno of bench/side_by_side.py's rxd crypt rows
	local key=4a6b1c3d5e7f0829 kvno=7 crypt
	OPTIND=1
	while getopts "p:d:s:c:qh" opt; do
		case $opt in
		p) peer=$OPTARG ;;
		d) secs=$OPTARG ;;
		s) scpu=$OPTARG ;;
		c) ccpu=$OPTARG ;;
		q) RXD_QUICK=1 ;;
		*) sed -n '2,20p' "${BASH_SOURCE[0]}" >&2; return 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	if quick; then secs=2; bulk=16M; cbulk=4M; fi
	crypt=(--security crypt --key "$key" --kvno "$kvno")
	[ $# -gt 0 ] && all=("$@")
	[ -n "$peer" ] || peer=$(openafs_side_find_peer) || return 1
	if [ "$(nproc)" -lt 2 ]; then
		echo "openafs_side: only $(nproc) CPU; pinning both ends to CPU 0" >&2
		scpu=0; ccpu=0
	fi
	port=${OPENAFS_SIDE_PORT:-$(free_udp_port)}
	start_wait "$T_DIR/server.log" listening 5 taskset -c "$scpu" "$peer" server -p "$port" \
		--security clear --key "$key" --kvno "$kvno" || return 1
	echo "openafs_side: peer $peer, server UDP $port on CPU $scpu, client on CPU $ccpu" >&2

	for s in "${all[@]}"; do
		case $s in
		small_c1) openafs_side_run "$peer" "$port" "$ccpu" "$scpu" "$s" $((secs + 30)) \
			-c rpc -S 1 -R 1 -t 1 -d "$secs" --warmup 100 ;;
		small_c16) openafs_side_run "$peer" "$port" "$ccpu" "$scpu" "$s" $((secs + 30)) \
			-c rpc -S 1 -R 1 -t 16 -d "$secs" --warmup 100 ;;
		small_c64) openafs_side_run "$peer" "$port" "$ccpu" "$scpu" "$s" $((secs + 30)) \
			-c rpc -S 1 -R 1 -t 64 -d "$secs" --warmup 100 ;;
		bulk_send) openafs_side_run "$peer" "$port" "$ccpu" "$scpu" "$s" 120 \
			-c send -S "$bulk" -t 1 -T 3 --warmup 1 ;;
		bulk_recv) openafs_side_run "$peer" "$port" "$ccpu" "$scpu" "$s" 120 \
			-c recv -R "$bulk" -t 1 -T 3 --warmup 1 ;;
		bulk_send_c16) openafs_side_run "$peer" "$port" "$ccpu" "$scpu" "$s" 300 \
			-c send -S "$bulk" -t 16 -T 16 --warmup 1 ;;
		bulk_recv_c16) openafs_side_run "$peer" "$port" "$ccpu" "$scpu" "$s" 300 \
			-c recv -R "$bulk" -t 16 -T 16 --warmup 1 ;;
		bulk_send_crypt) openafs_side_run "$peer" "$port" "$ccpu" "$scpu" "$s" 300 \
			-c send -S "$cbulk" -t 1 -T 3 --warmup 1 "${crypt[@]}" ;;
		bulk_recv_crypt) openafs_side_run "$peer" "$port" "$ccpu" "$scpu" "$s" 300 \
			-c recv -R "$cbulk" -t 1 -T 3 --warmup 1 "${crypt[@]}" ;;
		bulk_send_c16_crypt) openafs_side_run "$peer" "$port" "$ccpu" "$scpu" "$s" 600 \
			-c send -S "$cbulk" -t 16 -T 16 --warmup 1 "${crypt[@]}" ;;
		bulk_recv_c16_crypt) openafs_side_run "$peer" "$port" "$ccpu" "$scpu" "$s" 600 \
			-c recv -R "$cbulk" -t 16 -T 16 --warmup 1 "${crypt[@]}" ;;
		*) echo "openafs_side: unknown scenario $s" >&2; rc=2; continue ;;
		esac || rc=1
	done
	return $rc
}

# shellcheck source=scripts/lib/harness.sh
. "$(dirname "$0")/../scripts/lib/harness.sh"
openafs_side_main "$@"
exit $?
