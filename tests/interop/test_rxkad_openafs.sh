#!/bin/bash
# Interop, rxkad: OpenAFS's rxkad client (openafs_peer) against rxd's rxperf
# server, and rxd's rxperf client against OpenAFS's rxkad server, at levels
# clear, auth and crypt, sizes up to 64 MiB, concurrent calls, and every
# refusal with the abort code OpenAFS gives (run_openafs_rxkad_selftest.sh
# finds them OpenAFS against OpenAFS).  Captures check on the wire who sent
# which ABORT and that crypt DATA is sealed; crypt calls both ways with a crypto
# lcore (doc/crypto-offload.md).  Topology: rxd_interop_lib.sh
# (a private namespace, rxd on net_tap).
#
# usage: test_rxkad_openafs.sh RXPERF OPENAFS_PEER
# exit:  0 all passed, 1 a failure, 77 skipped (not root, tool missing, or
#        rxd's rxperf without rxkad)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/interop/rxd_interop_lib.sh
. "$HERE/rxd_interop_lib.sh"
# shellcheck source=tests/interop/rxkad_interop_lib.sh
. "$HERE/rxkad_interop_lib.sh"

RXPERF=${1:?usage: $0 RXPERF OPENAFS_PEER}
PEER=${2:?usage: $0 RXPERF OPENAFS_PEER}
[ -x "$RXPERF" ] || skip "rxperf not built ($RXPERF)"
[ -x "$PEER" ] || skip "openafs_peer not built ($PEER)"
# rxd's rxperf names --security since before rxkad existed (it refused every
# level but none); rxkad came with --kvno and the level clear.
help=$("$RXPERF" -- --help 2>&1)
if ! printf '%s\n' "$help" | grep -q -- '--kvno' || ! printf '%s\n' "$help" | grep -q -- '--security.*clear' ||
	printf '%s\n' "$help" | grep -q 'rxkad: not available'; then
	echo "SKIP: rxd rxperf has no --security clear|auth|crypt with --key and --kvno (rxkad not in this build)"
	exit 77
fi
ix_init rxkad
[ -r "$RK_FAKETIME_LIB" ] || { echo "FATAL: libfaketime missing: run scripts/deps.sh"; exit 1; }
if ! command -v tshark >/dev/null || ! command -v dumpcap >/dev/null; then
	echo "FATAL: tshark/dumpcap missing: run scripts/deps.sh"
	exit 1
fi
ix_ns_up

# ------------------------------------------------ OpenAFS rxkad servers, rxd client
AHEAD=$(rk_clock_shifted_peer "$PEER" +2d)
BEHIND=$(rk_clock_shifted_peer "$PEER" -1d)
K=(--key "$RK_KEY" --kvno "$RK_KVNO")
ix_openafs_server_start "$PEER" 7009 --security clear "${K[@]}"   # every level
ix_openafs_server_start "$PEER" 7010 --security crypt "${K[@]}"   # minimum crypt
ix_openafs_server_start "$AHEAD" 7011 --security crypt "${K[@]}"  # clock +2 days: rxd's ticket expired
ix_openafs_server_start "$BEHIND" 7012 --security crypt "${K[@]}" # clock -1 day: rxd's ticket not yet valid
echo "OpenAFS rxkad servers on $IX_KERNEL_IP:7009 (min clear), :7010 (min crypt), :7011 (+2 days), :7012 (-1 day)"

# shellcheck disable=SC2207
EAL=($(ix_eal c))
RK_CLIENT=(ip netns exec "$IX_NS" "$RXPERF" "${EAL[@]}" -- client --ip "$IX_RXD_IP/$IX_PREFIX_LEN"
	-a "$IX_KERNEL_IP" "${IX_RXD_EXTRA[@]}" --json)
# every_level TAG: the data checks at each level against port 7009, and one
# captured exchange per level checked on the wire.
every_level() {
	local tag=$1 lvl cap
	for lvl in clear auth crypt; do
		rk_data_checks "$tag $lvl:" 7009 "$lvl"
		cap="$T_DIR/${tag/->/-to-}-$lvl.pcapng"
		ix_capture_start "$cap"
		rk_run "$tag $lvl: captured 64KiB/64KiB" 0 2 0 30 7009 "$lvl" -- -c rpc -S 64K -R 64K -T 2
		ix_capture_stop
		rk_check_sealed "$tag $lvl: DATA on the wire" "$cap" "$lvl"
		rk_check_handshake "$tag $lvl: handshake on the wire" "$cap" 0 "$RK_KVNO"
	done
}

every_level "rxd->openafs"
# rk_crypto_lcore_check NAME JSON: the run's DATA went through the crypto lcore, none inline (doc/crypto-offload.md)
rk_crypto_lcore_check() {
	local jobs inl
	jobs=$(json_field "$2" core_crypto_jobs)
	inl=$(json_field "$2" core_crypto_inline)
	if [ "${jobs:-0}" -gt 0 ] && [ "${inl:-x}" = 0 ]; then
		result PASS "$1" "$jobs crypto jobs, none inline"
	else
		result FAIL "$1" "core_crypto_jobs=$jobs core_crypto_inline=$inl"
	fi
}
# rxd's client with one worker and one crypto lcore, at crypt
RK_CLIENT_INLINE=("${RK_CLIENT[@]}")
# shellcheck disable=SC2207
EAL=($(IX_RXD_WORKERS=2 ix_eal clc))
# shellcheck disable=SC2207 # idle_sleep prints nothing or two words
RK_CLIENT=(ip netns exec "$IX_NS" "$RXPERF" "${EAL[@]}" -- client --ip "$IX_RXD_IP/$IX_PREFIX_LEN"
	-a "$IX_KERNEL_IP" "${IX_RXD_EXTRA[@]}" --json --crypto-lcores 1 $(idle_sleep 3))
rk_run "rxd->openafs crypt, 1 crypto lcore: rpc 1MiB/1MiB" 0 2 0 60 7009 crypt -- -c rpc -S 1M -R 1M -T 2
rk_crypto_lcore_check "rxd->openafs crypt, 1 crypto lcore: on the crypto lcore" "$RUN_JSON"
rk_run "rxd->openafs crypt, 1 crypto lcore: 16 concurrent 64KiB/64KiB" 0 32 0 120 7009 crypt -- \
	-c rpc -S 64K -R 64K -t 16 -T 32
RK_CLIENT=("${RK_CLIENT_INLINE[@]}")
ix_capture_start "$T_DIR/rxd-client-refused.pcapng"
RK_EXPIRED=(-p 7011)
RK_NOTYET=(-p 7012)
rk_fail_checks "rxd->openafs refused:" 7010
ix_capture_stop
# rxd as client must itself refuse a CHALLENGE above its level, as OpenAFS's client does
rk_check_aborts "rxd->openafs refusals on the wire" "$T_DIR/rxd-client-refused.pcapng" \
	"$RXKADNOAUTH $RXKADBADTICKET $RXKADUNKNOWNKEY $RXKADEXPIRED" "$RXKADLEVELFAIL" \
	-d udp.port==7010,rx -d udp.port==7011,rx -d udp.port==7012,rx
rk_check_handshake "rxd->openafs refusals: handshakes" "$T_DIR/rxd-client-refused.pcapng" 2 - \
	-d udp.port==7010,rx -d udp.port==7011,rx -d udp.port==7012,rx
for p in "${IX_OSRV_PIDS[@]}"; do
	if kill -0 "$p" 2>/dev/null; then
		result PASS "OpenAFS server $p alive" "after every test"
	else
		result FAIL "OpenAFS server $p alive" "died"
	fi
	stop_pid "$p" 5 # done with them
done

# ------------------------------------------------ rxd rxkad server, OpenAFS client
RK_CLIENT=(ip netns exec "$IX_NS" taskset -c "$IX_PEER_CPU" "$PEER" client -a "$IX_RXD_IP" --json)
ix_rxd_server_start "$RXPERF" kclear --security clear "${K[@]}"
every_level "openafs->rxd"
ix_rxd_server_stop "rxd rxkad server (min clear) clean exit"

ix_rxd_server_start "$RXPERF" kcrypt --security crypt "${K[@]}"
ix_capture_start "$T_DIR/rxd-server-refused.pcapng"
RK_EXPIRED=(--ticket-expired)
RK_NOTYET=(--ticket-not-yet-valid)
RK_LEVELFAIL_EXTRA=(--linger-ms 300)
rk_fail_checks "openafs->rxd refused:" 7009
RK_LEVELFAIL_EXTRA=()
rk_run "openafs->rxd refused: wrong session key -> RXKADSEALEDINCON" 0 0 1 60 7009 crypt -- -c rpc -S 100 -R 100 \
	-T 1 --wrong-session-key --expect-abort "$RXKADSEALEDINCON"
ix_capture_stop
rk_check_aborts "openafs->rxd refusals on the wire" "$T_DIR/rxd-server-refused.pcapng" \
	"$RXKADNOAUTH $RXKADBADTICKET $RXKADUNKNOWNKEY $RXKADEXPIRED $RXKADSEALEDINCON" "$RXKADLEVELFAIL"
rk_check_handshake "openafs->rxd refusals: handshakes" "$T_DIR/rxd-server-refused.pcapng" 2 -
ix_rxd_server_stop "rxd rxkad server (min crypt) clean exit"

# rxd's server with one worker and one crypto lcore, at crypt, OpenAFS client
IX_RXD_WORKERS=2 ix_rxd_server_start "$RXPERF" kcryptlc --security crypt "${K[@]}" --crypto-lcores 1
rk_run "openafs->rxd crypt, 1 crypto lcore: rpc 1MiB/1MiB" 0 2 0 60 7009 crypt -- -c rpc -S 1M -R 1M -T 2
rk_run "openafs->rxd crypt, 1 crypto lcore: 16 concurrent 64KiB/64KiB" 0 32 0 120 7009 crypt -- \
	-c rpc -S 64K -R 64K -t 16 -T 32
ix_rxd_server_stop "rxd rxkad server with a crypto lcore clean exit"
rk_crypto_lcore_check "openafs->rxd crypt, 1 crypto lcore: on the crypto lcore" "$(grep '^{' "$IX_SRV_OUT" | tail -n 1)"

# ------------------------------------------------ rxd server keys from an OpenAFS KeyFile
# tests/data/openafs_KeyFile, written by OpenAFS's asetkey: kvno 7 = 0123456789abcdef,
# kvno 9 = fedcba9876543210 (tests/data/README.md).
KF=$HERE/../data/openafs_KeyFile
ix_rxd_server_start "$RXPERF" keyfile --security crypt --keyfile "$KF"
RK_KEY=fedcba9876543210 RK_KVNO=9 rk_run "openafs->rxd KeyFile: kvno 9" 0 4 0 60 7009 crypt -- -c rpc -S 1413 -R 1413 -T 4
RK_KEY=0123456789abcdef RK_KVNO=7 rk_run "openafs->rxd KeyFile: kvno 7" 0 4 0 60 7009 crypt -- -c rpc -S 1413 -R 1413 -T 4
RK_KEY=0123456789abcdef RK_KVNO=8 rk_run "openafs->rxd KeyFile: kvno 8 -> RXKADUNKNOWNKEY" 0 0 1 60 7009 crypt -- \
	-c rpc -S 100 -R 100 -T 1 --expect-abort "$RXKADUNKNOWNKEY"
RK_KEY=fedcba9876543210 RK_KVNO=7 rk_run "openafs->rxd KeyFile: kvno 7, kvno 9's key -> RXKADBADTICKET" 0 0 1 60 7009 crypt -- \
	-c rpc -S 100 -R 100 -T 1 --expect-abort "$RXKADBADTICKET"
ix_rxd_server_stop "rxd KeyFile server clean exit"

finish "rxkad: rxd against OpenAFS"
