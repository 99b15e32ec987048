# shellcheck shell=bash
# rxkad checks shared by run_openafs_rxkad_selftest.sh (OpenAFS against
# OpenAFS, loopback) and test_rxkad_openafs.sh (rxd against OpenAFS, private
# namespace); sourced after scripts/lib/harness.sh.
#
# The client under test is "${RK_CLIENT[@]}": a command line up to and
# including the server address, to which the rxperf options common to
# openafs_peer and rxd's rxperf are appended (-p, -c, -S, -R, -T, -t,
# --timeout, --security, --key, --kvno, --expect-abort, --abort-after).  A
# later option overrides an earlier one, which is how a check swaps in a wrong
# key, kvno or level.
#
# The abort codes are what OpenAFS 1.8 gives (found with openafs_peer against
# itself; doc/rxkad.md "Interop with OpenAFS"), from rxkad_errs.et.

RK_KEY=4a6b1c3d5e7f0829    # the service key (odd parity, as a KDC makes them)
RK_BADKEY=4c6d1a3b58790e2f # another valid DES key
RK_KVNO=7
RK_LEVELFAIL_EXTRA=()         # see rk_fail_checks
RXKADLEVELFAIL=19270402
RXKADNOAUTH=19270405
RXKADBADTICKET=19270407
RXKADUNKNOWNKEY=19270408
RXKADEXPIRED=19270409
# shellcheck disable=SC2034 # used by the scripts that source this file
RXKADSEALEDINCON=19270410
RK_FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1

# rk_run NAME WANT_RC WANT_OK WANT_ABORTS TIMEOUT PORT LEVEL -- [client args...]
rk_run() {
	local name=$1 rc=$2 ok=$3 ab=$4 tmo=$5 port=$6 lvl=$7
	shift 8
	run_check "$name" "$rc" "$ok" "$ab" "$tmo" -- "${RK_CLIENT[@]}" -p "$port" --timeout $((tmo - 10)) \
		--security "$lvl" --key "$RK_KEY" --kvno "$RK_KVNO" "$@"
}

# rk_clock_shifted_peer PEER OFFSET: a wrapper that runs PEER with its clock
# moved by OFFSET (libfaketime syntax: +2d, -1d), exec'd so its pid is the
# peer's.  Prints the wrapper's path; returns 1 without libfaketime.
rk_clock_shifted_peer() {
	local peer=$1 off=$2 w
	[ -r "$RK_FAKETIME_LIB" ] || return 1
	w="$T_DIR/openafs_peer_clock${off}"
	printf '#!/bin/sh\nLD_PRELOAD=%s FAKETIME=%s exec %s "$@"\n' "$RK_FAKETIME_LIB" "$off" "$peer" >"$w"
	chmod +x "$w"
	echo "$w"
}

# rk_data_checks TAG PORT LEVEL: calls of every size class at LEVEL against a
# server that accepts it: packet-boundary sizes (an rxkad packet carries 1404
# (auth) or 1400 (crypt) bytes of data), 1 MiB and 64 MiB one way, many
# concurrent calls over several connections, and a client abort mid-call.
rk_data_checks() {
	local tag=$1 port=$2 lvl=$3 sz
	for sz in 0 1 1400 1401 1404 1405 1412 1413 65536; do
		rk_run "$tag rpc $sz/$sz" 0 10 0 60 "$port" "$lvl" -- -c rpc -S "$sz" -R "$sz" -T 10
	done
	rk_run "$tag send 1MiB" 0 3 0 60 "$port" "$lvl" -- -c send -S 1M -T 3
	rk_run "$tag recv 1MiB" 0 3 0 60 "$port" "$lvl" -- -c recv -R 1M -T 3
	rk_run "$tag rpc 1MiB/1MiB" 0 2 0 60 "$port" "$lvl" -- -c rpc -S 1M -R 1M -T 2
	if ! quick; then
		rk_run "$tag send 64MiB" 0 1 0 240 "$port" "$lvl" -- -c send -S 64M -T 1
		rk_run "$tag recv 64MiB" 0 1 0 240 "$port" "$lvl" -- -c recv -R 64M -T 1
	else
		result SKIP "$tag 64 MiB transfers" "RXD_QUICK=1"
	fi
	rk_run "$tag 100 concurrent small" 0 1000 0 120 "$port" "$lvl" -- -c rpc -S 100 -R 100 -t 100 -T 1000
	rk_run "$tag 16 concurrent 1MiB/1MiB" 0 32 0 180 "$port" "$lvl" -- -c rpc -S 1M -R 1M -t 16 -T 32
	rk_run "$tag client abort mid-recv" 0 0 2 60 "$port" "$lvl" -- -c recv -R 1M -T 2 --abort-after 100000
}

# rk_fail_checks TAG PORT: every way a server refuses a client, against a
# server with minimum level crypt, key RK_KEY, kvno RK_KVNO.  The caller sets
# RK_EXPIRED and RK_NOTYET to the extra client arguments that make the ticket
# expired / not yet valid for that server (a client option, or -p of a server
# whose clock is shifted).  Each call must end with exactly the code.
# One call per refused connection: OpenAFS's client can start a second call
# on a connection in the moment between erroring its calls and marking the
# connection itself (rx.c rxi_ConnectionError), and that call then ignores
# the server's further aborts until RX_CALL_DEAD (about 1 run in 12).
# RK_LEVELFAIL_EXTRA: client arguments for the two calls the client itself
# refuses (an OpenAFS client sets --linger-ms: rxi_ReceiveChallengePacket()
# fails the call before it sends the connection ABORT, and a process that
# exits at once can take the ABORT with it).
rk_fail_checks() {
	local tag=$1 port=$2
	local c=(-c rpc -S 100 -R 100 -T 1)
	rk_run "$tag wrong key -> RXKADBADTICKET" 0 0 1 60 "$port" crypt -- "${c[@]}" --key "$RK_BADKEY" \
		--expect-abort "$RXKADBADTICKET"
	rk_run "$tag unknown kvno -> RXKADUNKNOWNKEY" 0 0 1 60 "$port" crypt -- "${c[@]}" --kvno 9 \
		--expect-abort "$RXKADUNKNOWNKEY"
	rk_run "$tag expired ticket -> RXKADEXPIRED" 0 0 1 60 "$port" crypt -- "${c[@]}" "${RK_EXPIRED[@]}" \
		--expect-abort "$RXKADEXPIRED"
	rk_run "$tag future ticket -> RXKADNOAUTH" 0 0 1 60 "$port" crypt -- "${c[@]}" "${RK_NOTYET[@]}" \
		--expect-abort "$RXKADNOAUTH"
	rk_run "$tag clear below crypt -> RXKADLEVELFAIL" 0 0 1 60 "$port" clear -- "${c[@]}" \
		"${RK_LEVELFAIL_EXTRA[@]}" --expect-abort "$RXKADLEVELFAIL"
	rk_run "$tag auth below crypt -> RXKADLEVELFAIL" 0 0 1 60 "$port" auth -- "${c[@]}" \
		"${RK_LEVELFAIL_EXTRA[@]}" --expect-abort "$RXKADLEVELFAIL"
	# calls waiting together for one connection's handshake are all refused,
	# none hangs (four: one connection, so all begin before its CHALLENGE)
	rk_run "$tag wrong key, 4 concurrent" 0 0 4 60 "$port" crypt -- -c rpc -S 100 -R 100 -t 4 -T 4 \
		--key "$RK_BADKEY" --expect-abort "$RXKADBADTICKET"
	# an unexpected code must fail the run
	rk_run "$tag wrong key, other code expected" 1 0 0 60 "$port" crypt -- "${c[@]}" --key "$RK_BADKEY" \
		--expect-abort "$RXKADEXPIRED"
	rk_run "$tag server healthy afterwards" 0 50 0 60 "$port" crypt -- -c rpc -S 1413 -R 1413 -t 8 -T 50
}

# rk_abort_codes CAP FILTER [tshark args...]: the distinct ABORT codes in CAP
# of the packets matching the display filter FILTER, sorted, space-separated.
rk_abort_codes() {
	local cap=$1 filt=$2
	shift 2
	tshark -r "$cap" "$@" -Y "rx.type == 4 && ($filt)" -T fields -e rx.abort_code 2>/dev/null | sort -un |
		tr '\n' ' ' | sed 's/ $//'
}

# rk_check_aborts NAME CAP "SERVER CODES" "CLIENT CODES" [tshark args...]:
# the ABORTs on the wire are exactly the expected codes, each sent by the
# side that detects it (the client sets the client-initiated flag in every
# packet it sends; addresses and ports would not tell, rxd's client also uses
# port 7009).
rk_check_aborts() {
	local name=$1 cap=$2 want_s want_c got_s got_c
	# shellcheck disable=SC2086 # the code lists are split on purpose
	want_s=$(printf '%s\n' $3 | sort -un | tr '\n' ' ' | sed 's/ $//')
	# shellcheck disable=SC2086
	want_c=$(printf '%s\n' $4 | sort -un | tr '\n' ' ' | sed 's/ $//')
	shift 4
	got_s=$(rk_abort_codes "$cap" "rx.flags.client_init == 0" "$@")
	got_c=$(rk_abort_codes "$cap" "rx.flags.client_init == 1" "$@")
	if [ "$got_s" = "$want_s" ] && [ "$got_c" = "$want_c" ]; then
		result PASS "$name" "server sent [$got_s], client sent [$got_c]"
	else
		result FAIL "$name" "server sent [$got_s] (want [$want_s]), client sent [$got_c] (want [$want_c])"
	fi
}

# rk_check_handshake NAME CAP MIN_LEVEL KVNO [tshark args...]: CAP holds at
# least one CHALLENGE and one RESPONSE; every CHALLENGE is version 2 and
# announces the server's minimum level; every RESPONSE is version 2 and names
# KVNO (- : any).
rk_check_handshake() {
	local name=$1 cap=$2 lvl=$3 kvno=$4 ch resp bad
	shift 4
	ch=$(tshark -r "$cap" "$@" -Y 'rx.type == 6' -T fields -e rx.version -e rx.min_level 2>/dev/null)
	resp=$(tshark -r "$cap" "$@" -Y 'rx.type == 7' -T fields -e rx.version -e rx.kvno 2>/dev/null)
	bad=$(printf '%s\n' "$ch" | awk -v l="$lvl" 'NF && ($1 != 2 || $2 != l)' | grep -c .)
	bad=$((bad + $(printf '%s\n' "$resp" | awk -v k="$kvno" 'NF && ($1 != 2 || (k != "-" && $2 != k))' | grep -c .)))
	if [ -n "$ch" ] && [ -n "$resp" ] && [ "$bad" = 0 ]; then
		result PASS "$name" "$(printf '%s\n' "$ch" | grep -c .) CHALLENGE v2 min level $lvl, $(printf '%s\n' "$resp" | grep -c .) RESPONSE v2 kvno $kvno"
	else
		result FAIL "$name" "CHALLENGE (version, min level): [$(printf '%s' "$ch" | tr '\n\t' '; ')], RESPONSE (version, kvno): [$(printf '%s' "$resp" | tr '\n\t' '; ')], want min level $lvl, kvno $kvno"
	fi
}

# rk_check_sealed NAME CAP LEVEL [tshark args...]: every DATA packet is rxkad
# (security index 2); at crypt no DATA packet of 200 bytes or more shows a run
# of 32 zero bytes after the RX header (rxperf's payload is all zeros, so at
# clear and auth most do: there the check asks for at least one, which shows
# the test can fail).
rk_check_sealed() {
	local name=$1 cap=$2 lvl=$3 lines n other zr
	shift 3
	lines=$(tshark -r "$cap" "$@" -Y 'rx.type == 1' -T fields -e rx.securityindex -e udp.payload 2>/dev/null)
	n=$(printf '%s\n' "$lines" | awk 'length($2) >= 400' | grep -c .)
	other=$(printf '%s\n' "$lines" | awk 'NF && $1 != 2' | grep -c .)
	zr=$(printf '%s\n' "$lines" | awk 'length($2) >= 400 && index(substr($2, 57), sprintf("%064d", 0))' | grep -c .)
	if [ "$n" -gt 0 ] && [ "$other" = 0 ] && { { [ "$lvl" = crypt ] && [ "$zr" = 0 ]; } ||
		{ [ "$lvl" != crypt ] && [ "$zr" -gt 0 ]; }; }; then
		result PASS "$name" "$n DATA packets >= 200 B, all security index 2, $zr with 32 clear zero bytes"
	else
		result FAIL "$name" "$n DATA packets >= 200 B, $other not security index 2, $zr with 32 clear zero bytes ($lvl)"
	fi
}
