#!/bin/bash
# SPDX-License-Identifier: MIT
# Two processes joined by memif (works with --no-huge: memif's shared memory
# is a memfd): echo and rxperf servers answer byte-exact client calls from
# 0 B to 64 MiB, in the clear and under rxkad at its three levels.  Every scenario runs its own pair (memif_pair in
# scripts/lib/harness.sh explains the close order); the SIGTERM drain test
# runs over af_packet.
#   memif.sh RXD WORKERS
RXD=$1
W=${2:-1}
. "$(dirname "$0")/../../scripts/lib/harness.sh"
require_root

scenario() { # name "server args" calls client-args...
	local name=$1 sx=$2 want=$3 drops
	shift 3
	# shellcheck disable=SC2086
	memif_pair "$name" "$W" $sx -- "$@"
	[ "$PAIR_SRV_RC" = 0 ] || { fail "$name: server exit code $PAIR_SRV_RC after SIGTERM (want 0)"; tail -5 "$T_DIR/$name.srv.log"; }
	drops=$(json_field "$(grep '^rxd: stats' "$T_DIR/$name.srv.log")" drops)
	[ "${drops:-x}" = 0 ] || fail "$name: server shell drops: ${drops:-none reported}"
	check_client "$T_DIR/$name.log" "$want" "memif $name, $W worker(s)"
}

for size in 0 1 1412 1413 65536 1048576; do
	scenario "echo$size" "--mode echo" 20 --proto echo --service 7 --calls 20 --concurrency 4 --size-req "$size"
done
scenario echo64m "--mode echo --echo-mem 80" 1 --proto echo --service 7 --calls 1 --size-req 64M
scenario echo_many "--mode echo" 2000 --proto echo --service 7 --calls 2000 --concurrency 32 --size-req 3000
# rxkad at each level (the default key on both sides): the server holds the calls until the RESPONSE
for level in clear auth crypt; do
	scenario "rxperf_$level" "--mode server --security $level" 20 --calls 20 --concurrency 4 --size-req 1413 \
		--size-resp 65536 --security "$level"
	scenario "echo_$level" "--mode echo --security $level" 20 --proto echo --service 7 --calls 20 --concurrency 4 \
		--size-req 100000 --security "$level"
done
# a client whose ticket is sealed with another key: every call ends RXKADBADTICKET (19270407)
memif_pair badkey "$W" --mode server --security crypt --key 0102030405060708 -- --calls 4 --concurrency 2 \
	--size-req 100 --security crypt
j=$(json_last "$T_DIR/badkey.log")
if [ "$(json_field "$j" calls_ok)" = 0 ] && [ "$(json_field "$j" calls_failed)" = 4 ] &&
	grep -q 'abort code 19270407' "$T_DIR/badkey.log"; then
	echo "ok: memif badkey: 4 calls aborted RXKADBADTICKET"
else
	fail "memif badkey: want 4 calls aborted with 19270407"
	tail -3 "$T_DIR/badkey.log"
fi
for spec in "0 0" "100 1000000" "1000000 100" "67108864 67108864"; do
	set -- $spec
	scenario "rxperf$1_$2" "--mode server" 3 --calls 3 --size-req "$1" --size-resp "$2"
done
finish
