#!/bin/bash
# SPDX-License-Identifier: MIT
# Crypto lcores (doc/crypto-offload.md): rxperf and echo calls at rxkad crypt
# with 0, 1 and 2 crypto lcores, byte-exact; with crypto lcores every DATA
# packet is secured and verified by them (core_crypto_jobs > 0, nothing
# inline), without none is.  In one process over the net_ring pair, then
# two processes over memif with a crypto lcore on each side.  More lcores
# than CPUs share them (--idle-sleep), which checks correctness, not speed.
#   crypto.sh RXD
RXD=$1
. "$(dirname "$0")/../../scripts/lib/harness.sh"
require_root

check_crypto() { # json crypto_lcores what
	local j=$1 jobs inl
	jobs=$(json_field "$j" core_crypto_jobs)
	inl=$(json_field "$j" core_crypto_inline)
	if [ "$2" = 0 ]; then
		[ "${jobs:-x}" = 0 ] || fail "$3: no crypto lcores, yet $jobs crypto jobs"
	elif [ "${jobs:-0}" -gt 0 ] && [ "${inl:-x}" = 0 ]; then
		echo "ok: $3: $jobs crypto jobs, none inline"
	else
		fail "$3: want crypto jobs and none inline (core_crypto_jobs=$jobs core_crypto_inline=$inl)"
	fi
}

load_profile ring-pair
for n in 0 1 2; do
	for spec in "rxperf 1413 1048576" "echo 100000 100000"; do
		# shellcheck disable=SC2086 # three words
		set -- $spec
		name="ring_${1}_c$n"
		log="$T_DIR/$name.log"
		# shellcheck disable=SC2046,SC2086
		timeout 300 "$RXD" $(lcores $((1 + n))) $(eal_common "$name") $EAL_DEV -- --mode loop $APP_ARGS \
			$(idle_sleep $((1 + n))) --crypto-lcores "$n" --server-kind "$1" --proto "$1" --security crypt \
			--calls 20 --concurrency 4 --size-req "$2" --size-resp "$3" >"$log" 2>&1
		check_client "$log" 20 "net_ring $1 at crypt, $n crypto lcore(s)" && check_crypto "$(json_last "$log")" "$n" "net_ring $1, $n crypto lcore(s)"
	done
done

# two processes: one worker and one crypto lcore each
name=memif_c1
memif_pair "$name" 2 --mode server --security crypt --crypto-lcores 1 -- --calls 20 --concurrency 4 --size-req 1413 \
	--size-resp 1048576 --security crypt --crypto-lcores 1
[ "$PAIR_SRV_RC" = 0 ] || fail "$name: server exit code $PAIR_SRV_RC after SIGTERM (want 0)"
check_client "$T_DIR/$name.log" 20 "memif rxperf at crypt, 1 crypto lcore each side" &&
	check_crypto "$(json_last "$T_DIR/$name.log")" 1 "memif client, 1 crypto lcore"
check_crypto "$(grep '^rxd: stats' "$T_DIR/$name.srv.log")" 1 "memif server, 1 crypto lcore"
finish
