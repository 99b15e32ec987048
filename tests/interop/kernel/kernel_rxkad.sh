# shellcheck shell=bash
# rxkad (security index 2) against the Linux kernel, sourced by
# test_kernel_interop.sh after its guest is up and its helpers (GUEST, kv_run,
# RXC, RXD_ROUTES) are defined.  doc/kernel-interop.md lists what the kernel
# does.
#
# Keys: af_rxperf's servers hold an "rxrpc_s" key "147:2" with KV_AF_KEY; the
# kernel's rxperf.ko adds its own "147:2" key (net/rxrpc/rxperf.c, the 8-byte
# secret below); a client makes a ticket for a random session key sealed with
# the service key (af_rxperf: af_rxkad.c; rxd: rxperf --key).
#
# kv_rxkad_kernel: kernel client -> kernel servers inside the guest (runs
#   whatever rxd can do).
# kv_rxkad_rxd: rxd's rxperf client -> the kernel's servers and the kernel's
#   client -> rxd's rxperf server.

# shellcheck disable=SC2034  # used by test_kernel_interop.sh
KV_AF_KEY=0123456789abcdef	 # af_rxperf's servers (7013, 7014)
KV_RXPERF_KEY=a7838acbc783ec94 # net/rxrpc/rxperf.c rxperf_add_key: "147:2"
KV_RXD_KEY=fedcba9876543210	 # rxd's rxperf server
KV_WRONG_KEY=1111111111111111
KV_RXD_KVNO=3
KV_LEVELS=(clear auth crypt)
# RXKAD abort codes (<linux/rxrpc.h>, OpenAFS rxkad_errs.et)
RXKADLEVELFAIL=19270402
RXKADNOAUTH=19270405
RXKADBADTICKET=19270407
RXKADUNKNOWNKEY=19270408
RXKADEXPIRED=19270409
RXKADSEALEDINCON=19270410

# kv_sync_guest_clock: the guest's clock one second ahead of ours.  6.12 rejects a ticket
# issued after its own clock's second (RXKADNOAUTH, no skew allowed: rxkad_decrypt_ticket),
# and the guest reads the host's RTC at boot to the second, so it lags by up to one: rxd's
# client stamps its tickets with our clock.
kv_sync_guest_clock() {
	local s
	s=$(date +%s)
	while [ "$(date +%s)" = "$s" ]; do sleep 0.01; done
	kv_guest 10 "date -s @$((s + 2)) >/dev/null" || return 1
	echo "guest clock: $(kv_guest 10 'date +%s') (host $(date +%s))"
}

# kv_only_code JSON CODE: 0 when every call that did not succeed ended with CODE.
kv_only_code() {
	local codes
	codes=$(printf '%s' "$1" | sed -n 's/.*"codes":{\([^}]*\)}.*/\1/p' | grep -oE '"-?[0-9]+":' | tr -d '":')
	printf '%s\n' "$codes" | grep -qx -- "$2" && ! printf '%s\n' "$codes" | grep -qvxE -- "0|$2"
}

# kv_run_concurrent NAME ARGS...: kv_run, once more when the only failures were
# RXKADSEALEDINCON: a 6.12 server verifies a RESPONSE in a work item while its I/O
# thread already takes new calls on the connection, and aborts the connection when
# the RESPONSE's call counter of a channel is below the call that came first
# (rxkad_verify_response, "rxkad-resp-call-ctr"): a client that starts a call on a
# channel it had not used when it answered the CHALLENGE loses it now and then.  The
# kernel's own client does that with more calls than one connection's four channels
# (2-3 runs in 8 with 8-32 concurrent calls, none with 4, measured in the TCG guest).
kv_run_concurrent() {
	local fails=$T_FAILS fail=$T_FAIL
	kv_run "$@"
	if [ "$T_FAILS" -gt "$fails" ] && kv_only_code "$RUN_JSON" "$RXKADSEALEDINCON"; then
		T_FAILS=$fails T_FAIL=$fail
		echo "  note: the kernel server aborted a connection with RXKADSEALEDINCON (rxkad-resp-call-ctr); running it once more"
		kv_run "$@"
	fi
}

# kv_rxkad_shapes WHO LEVEL CMD4 CMD6: calls at one level; CMD4/CMD6 name arrays holding an
# rxperf client command with its key (rxd's or af_rxperf, same options).
kv_rxkad_shapes() {
	local who=$1 l=$2
	local -n s4=$3 s6=$4
	kv_run "$who $l: rpc 0/0" 0 5 0 60 -- "${s4[@]}" --security "$l" --timeout 50 -c rpc -S 0 -R 0 -T 5
	kv_run "$who $l: rpc 1413/1413" 0 5 0 60 -- "${s4[@]}" --security "$l" --timeout 50 -c rpc -S 1413 -R 1413 -T 5
	kv_run "$who $l: rpc 64KiB/64KiB" 0 3 0 60 -- "${s4[@]}" --security "$l" --timeout 50 -c rpc -S 64K -R 64K -T 3
	kv_run "$who $l: rpc 1MiB/1MiB IPv6" 0 1 0 90 -- "${s6[@]}" --security "$l" --timeout 80 -c rpc -S 1M -R 1M -T 1
}

# ------------------------------------------------------- kernel <-> kernel
kv_rxkad_kernel() {
	local l n port key
	local -a K4 K6
	note "rxkad, kernel client -> kernel servers in the guest (kernel-internal)"
	for srv in "af_rxperf:7013:$KV_AF_KEY" "rxperf.ko:7009:$KV_RXPERF_KEY"; do
		IFS=: read -r n port key <<<"$srv"
		# shellcheck disable=SC2034  # used through namerefs
		K4=("${GUEST[@]}" af_rxperf client --json --cookie --local-port 7012 -a "$KV_GUEST_IP" -p "$port" --key "$key")
		# shellcheck disable=SC2034
		K6=("${GUEST[@]}" af_rxperf client --json --cookie --local-port 7010 -a "$KV_GUEST_IP6" -p "$port" --key "$key")
		for l in "${KV_LEVELS[@]}"; do
			kv_rxkad_shapes "kernel-internal: -> $n" "$l" K4 K6
		done
		# One connection's four channels: see kv_run_concurrent for more.
		kv_run "kernel-internal: -> $n crypt: 4 concurrent" 0 32 0 90 -- "${K4[@]}" --security crypt --timeout 80 \
			-c rpc -S 1413 -R 1413 -t 4 -T 32
		run_check "kernel-internal: -> $n: wrong key -> RXKADBADTICKET" 0 0 1 60 -- "${GUEST[@]}" af_rxperf client --json \
			--cookie --local-port 7012 -a "$KV_GUEST_IP" -p "$port" --security crypt --key "$KV_WRONG_KEY" --timeout 50 \
			-T 1 --expect-abort "$RXKADBADTICKET"
	done
	K4=("${GUEST[@]}" af_rxperf client --json --local-port 7012 -a "$KV_GUEST_IP" -p 7013 --key "$KV_AF_KEY" --timeout 50 -T 1)
	run_check "kernel-internal: expired ticket -> RXKADEXPIRED" 0 0 1 60 -- "${K4[@]}" --security auth \
		--ticket-age 7200 --ticket-life 3600 --expect-abort "$RXKADEXPIRED"
	run_check "kernel-internal: ticket from the future -> RXKADNOAUTH" 0 0 1 60 -- "${K4[@]}" --security auth \
		--ticket-age -600 --expect-abort "$RXKADNOAUTH"
	run_check "kernel-internal: kvno 256 (a k5 ticket) -> RXKADUNKNOWNKEY" 0 0 1 60 -- "${K4[@]}" --security auth \
		--kvno 256 --expect-abort "$RXKADUNKNOWNKEY"
	run_check "kernel-internal: key 147:2:3 not found -> RXKADNOAUTH" 0 0 1 60 -- "${K4[@]}" -p 7014 --security auth \
		--kvno 3 --expect-abort "$RXKADNOAUTH"
	# 6.12's CHALLENGE asks for level 0 and nothing checks a service's minimum afterwards.
	run_check "kernel-internal: server minimum crypt not enforced" 0 1 0 60 -- "${GUEST[@]}" af_rxperf client --json \
		--local-port 7012 -a "$KV_GUEST_IP" -p 7013 --timeout 50 -T 1 --security none
}

# ------------------------------------------------------- rxd <-> kernel
kv_rxkad_rxd() {
	local l n port key
	local -a R4 R6 A4 A6
	note "rxkad, rxd client -> kernel servers"
	for srv in "af_rxperf:7013:$KV_AF_KEY" "rxperf.ko:7009:$KV_RXPERF_KEY"; do
		IFS=: read -r n port key <<<"$srv"
		# shellcheck disable=SC2034  # used through namerefs
		R4=("${RXC[@]}" -a "$KV_GUEST_IP" -p "$port" --cookie --key "$key")
		# shellcheck disable=SC2034
		R6=("${RXC[@]}" -a "[$KV_GUEST_IP6]:$port" --cookie --key "$key")
		for l in "${KV_LEVELS[@]}"; do
			kv_rxkad_shapes "rxd -> $n" "$l" R4 R6
		done
		kv_run_concurrent "rxd -> $n crypt: 16 concurrent" 0 160 0 120 -- "${R4[@]}" --security crypt --timeout 110 \
			-c rpc -S 1413 -R 1413 -t 16 -T 160
		run_check "rxd -> $n: wrong key -> RXKADBADTICKET" 0 0 1 60 -- "${RXC[@]}" -a "$KV_GUEST_IP" -p "$port" --cookie \
			--security crypt --key "$KV_WRONG_KEY" --timeout 50 -c rpc -S 10 -R 10 -T 1 --expect-abort "$RXKADBADTICKET"
	done
	kv_rxkad_wire
	if ! quick; then
		R4=("${RXC[@]}" -a "$KV_GUEST_IP" -p 7013 --key "$KV_AF_KEY" --security crypt)
		kv_run "rxd -> af_rxperf crypt: send 64MiB" 0 1 0 400 -- "${R4[@]}" --timeout 390 -c send -S 64M -T 1
		kv_run "rxd -> af_rxperf crypt: recv 64MiB" 0 1 0 400 -- "${R4[@]}" --timeout 390 -c recv -R 64M -T 1
	else
		result SKIP "rxkad: 64 MiB transfers" "RXD_QUICK=1"
	fi

	note "rxkad, kernel client -> rxd server"
	# Minimum level clear: every level is welcome.
	ix_rxd_server_start "$RXPERF" kx "${RXD_ROUTES[@]}" --security clear --key "$KV_RXD_KEY" --kvno "$KV_RXD_KVNO"
	# shellcheck disable=SC2034  # used through namerefs
	A4=("${GUEST[@]}" af_rxperf client --json --cookie --local-port 7012 -a "$IX_RXD_IP" --key "$KV_RXD_KEY" --kvno "$KV_RXD_KVNO")
	# shellcheck disable=SC2034
	A6=("${GUEST[@]}" af_rxperf client --json --cookie --local-port 7010 -a "$KV_RXD_IP6" --key "$KV_RXD_KEY" --kvno "$KV_RXD_KVNO")
	for l in "${KV_LEVELS[@]}"; do
		kv_rxkad_shapes "kernel client -> rxd" "$l" A4 A6
	done
	kv_run_concurrent "kernel client -> rxd crypt: 16 concurrent" 0 160 0 120 -- "${A4[@]}" --security crypt --timeout 110 \
		-c rpc -S 1413 -R 1413 -t 16 -T 160
	A4=("${GUEST[@]}" af_rxperf client --json --cookie --local-port 7012 -a "$IX_RXD_IP" --timeout 50 -T 1 --security crypt)
	run_check "kernel client -> rxd: wrong key -> RXKADBADTICKET" 0 0 1 60 -- "${A4[@]}" --key "$KV_WRONG_KEY" \
		--kvno "$KV_RXD_KVNO" --expect-abort "$RXKADBADTICKET"
	run_check "kernel client -> rxd: expired ticket -> RXKADEXPIRED" 0 0 1 60 -- "${A4[@]}" --key "$KV_RXD_KEY" \
		--kvno "$KV_RXD_KVNO" --ticket-age 7200 --ticket-life 3600 --expect-abort "$RXKADEXPIRED"
	# OpenAFS rxkad_server.c: a kvno the server has no key for is RXKADUNKNOWNKEY.
	run_check "kernel client -> rxd: unknown kvno -> RXKADUNKNOWNKEY" 0 0 1 60 -- "${A4[@]}" --key "$KV_RXD_KEY" \
		--kvno $((KV_RXD_KVNO + 1)) --expect-abort "$RXKADUNKNOWNKEY"
	ix_rxd_server_stop "rxd rxkad server (minimum clear) exits on SIGTERM"

	# Minimum level crypt: the kernel's client gives up on a CHALLENGE above its level itself
	# (rxkad_respond_to_challenge: RXKADLEVELFAIL, sent to the server as a connection abort).
	ix_rxd_server_start "$RXPERF" ky "${RXD_ROUTES[@]}" --security crypt --key "$KV_RXD_KEY" --kvno "$KV_RXD_KVNO"
	A4=("${GUEST[@]}" af_rxperf client --json --cookie --local-port 7012 -a "$IX_RXD_IP" --key "$KV_RXD_KEY" --kvno "$KV_RXD_KVNO" --timeout 50)
	run_check "kernel client auth -> rxd minimum crypt: RXKADLEVELFAIL" 0 0 1 60 -- "${A4[@]}" --security auth -T 1 \
		--expect-abort "$RXKADLEVELFAIL"
	run_check "kernel client crypt -> rxd minimum crypt" 0 5 0 60 -- "${A4[@]}" --security crypt -c rpc -S 1413 -R 1413 -T 5
	ix_rxd_server_stop "rxd rxkad server (minimum crypt) exits on SIGTERM"
}

# kv_rxkad_levels CAP: for each connection epoch in the order they appear, and
# each sender (rxd's address, the guest's), the level its DATA show, from the
# bytes of packets that carry only zeros in the clear (neither the first,
# which holds the request header, nor the last, which ends with the cookie):
# "clear" all zeros; "auth" the 8-byte rxkad header (encrypted) then zeros;
# "crypt" more than that not zero; "nosec" security index other than 2.
kv_rxkad_levels() {
	tshark -r "$1" -Y 'rx.type == 1 && rx.seq >= 2 && !(rx.flags & 0x04)' \
		-T fields -e ip.src -e rx.securityindex -e udp.payload 2>/dev/null | awk -F'\t' '
	{
		k = substr($3, 1, 8) " " $1
		if (!(k in lv)) order[n++] = k
		d = substr($3, 57)
		l = $2 != 2 ? "nosec" : d ~ /^0*$/ ? "clear" : substr(d, 17) ~ /^0*$/ ? "auth" : "crypt"
		if (lv[k] == "" || lv[k] == l) lv[k] = l; else lv[k] = "mixed"
	}
	END { for (i = 0; i < n; i++) { split(order[i], a, " "); printf "%s=%s ", a[2], lv[order[i]] } }'
}

# kv_rxkad_wire: one 64 KiB RPC per level, rxd's client -> af_rxperf (7013),
# captured: each connection's DATA, both ways, are at the level asked for.
kv_rxkad_wire() {
	local l cap="$T_DIR/rxkad-levels.pcapng" got want=""
	command -v tshark >/dev/null && command -v dumpcap >/dev/null || return 0
	ix_capture_start "$cap"
	for l in "${KV_LEVELS[@]}"; do
		run_check "captured: rxd -> af_rxperf $l rpc 64KiB/64KiB" 0 1 0 60 -- "${RXC[@]}" -a "$KV_GUEST_IP" -p 7013 \
			--key "$KV_AF_KEY" --security "$l" --timeout 50 -c rpc -S 64K -R 64K -T 1
		want="$want$IX_RXD_IP=$l $KV_GUEST_IP=$l "
	done
	ix_capture_stop
	got=$(kv_rxkad_levels "$cap")
	check_eq "rxkad levels on the wire (DATA both ways)" "$got" "$want"
}
