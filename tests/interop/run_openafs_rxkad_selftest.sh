#!/bin/bash
# rxkad self-test of openafs_peer: OpenAFS's rxkad client against OpenAFS's
# rxkad server on 127.0.0.1, at all three levels, and every refusal with the
# abort code OpenAFS gives, before the peer is pointed at rxd
# (test_rxkad_openafs.sh).  As root it also captures the refusals and a
# clear, an auth and a crypt call on lo and checks with tshark who sent which
# ABORT and that crypt DATA is really sealed.
#
# usage: run_openafs_rxkad_selftest.sh PATH/TO/openafs_peer
# env:   RXD_QUICK=1  skip the 64 MiB transfers
set -uo pipefail

PEER=${1:?usage: $0 openafs_peer}
[ -x "$PEER" ] || { echo "not executable: $PEER" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/harness.sh
. "$HERE/../../scripts/lib/harness.sh"
# shellcheck source=tests/interop/rxkad_interop_lib.sh
. "$HERE/rxkad_interop_lib.sh"

BASE=$(free_udp_port 4)
P_ANY=$BASE            # minimum level clear: every level is served
P_CRYPT=$((BASE + 1))  # minimum level crypt
P_AHEAD=$((BASE + 2))  # minimum crypt, clock 2 days ahead: our tickets look expired
P_BEHIND=$((BASE + 3)) # minimum crypt, clock 1 day behind: our tickets are not yet valid
SRV_PIDS=()

start_server() { # name port peer args...
	local name=$1 port=$2 peer=$3
	shift 3
	start_wait "$T_DIR/server-$name.log" listening 5 "$peer" server -a 127.0.0.1 -p "$port" -v \
		--key "$RK_KEY" --kvno "$RK_KVNO" "$@" || { echo "FATAL: server $name did not start" >&2; exit 1; }
	SRV_PIDS+=("$LAST_PID")
}

RK_CLIENT=("$PEER" client -a 127.0.0.1 --json)
start_server any "$P_ANY" "$PEER" --security clear
start_server crypt "$P_CRYPT" "$PEER" --security crypt
RK_NOTYET=(--ticket-not-yet-valid)
RK_EXPIRED=(--ticket-expired)
if ahead=$(rk_clock_shifted_peer "$PEER" +2d) && behind=$(rk_clock_shifted_peer "$PEER" -1d); then
	start_server ahead "$P_AHEAD" "$ahead" --security crypt
	start_server behind "$P_BEHIND" "$behind" --security crypt
	SHIFTED=1
else
	SHIFTED=0
	result SKIP "servers with a shifted clock" "libfaketime not installed (scripts/deps.sh installs faketime)"
fi
echo "rxkad servers on 127.0.0.1:$P_ANY (min clear), :$P_CRYPT (min crypt), :$P_AHEAD (+2 days), :$P_BEHIND (-1 day)"

CAP_ON=0
if [ "$(id -u)" = 0 ] && command -v dumpcap >/dev/null && command -v tshark >/dev/null; then
	CAP_ON=1
else
	result SKIP "wire checks" "needs root, dumpcap and tshark"
fi
DECODE=(-d "udp.port==$P_ANY,rx" -d "udp.port==$P_CRYPT,rx" -d "udp.port==$P_AHEAD,rx" -d "udp.port==$P_BEHIND,rx")
cap_start() { # file ports...
	local f=$1 filt="" p
	shift
	for p in "$@"; do filt="$filt${filt:+ or }udp port $p"; done
	bg "$T_DIR/dumpcap.log" dumpcap -q -a duration:600 -i lo -f "$filt" -P -w "$f"
	CAP_PID=$LAST_PID
	wait_log "$CAP_PID" "$T_DIR/dumpcap.log" "Capturing on" 5
	sleep 0.3
}
cap_stop() { sleep 0.5; stop_pid "$CAP_PID" 5; }

for lvl in clear auth crypt; do
	rk_data_checks "$lvl:" "$P_ANY" "$lvl"
	if [ "$CAP_ON" = 1 ]; then
		cap_start "$T_DIR/$lvl.pcapng" "$P_ANY"
		rk_run "$lvl: captured rpc 64KiB/64KiB" 0 2 0 30 "$P_ANY" "$lvl" -- -c rpc -S 64K -R 64K -T 2
		cap_stop
		rk_check_sealed "$lvl: DATA on the wire" "$T_DIR/$lvl.pcapng" "$lvl" "${DECODE[@]}"
		rk_check_handshake "$lvl: handshake on the wire" "$T_DIR/$lvl.pcapng" 0 "$RK_KVNO" "${DECODE[@]}"
	fi
done
# the connection runs at the client's level when it is above the minimum
rk_run "crypt client, server minimum clear" 0 10 0 60 "$P_ANY" crypt -- -c rpc -S 5000 -R 5000 -t 4 -T 10
# rxnull clients are still served beside rxkad (security index 0)
run_check "rxnull client beside rxkad" 0 10 0 60 -- "${RK_CLIENT[@]}" -p "$P_CRYPT" --timeout 50 -c rpc -S 100 -R 100 -T 10

[ "$CAP_ON" = 1 ] && cap_start "$T_DIR/refusals.pcapng" "$P_CRYPT" "$P_AHEAD" "$P_BEHIND"
RK_LEVELFAIL_EXTRA=(--linger-ms 300)
rk_fail_checks "refused:" "$P_CRYPT"
rk_run "refused: wrong session key -> RXKADSEALEDINCON" 0 0 1 60 "$P_CRYPT" crypt -- -c rpc -S 100 -R 100 -T 1 \
	--wrong-session-key --expect-abort "$RXKADSEALEDINCON"
rk_run "refused: --wrong-key -> RXKADBADTICKET" 0 0 1 60 "$P_CRYPT" crypt -- -c rpc -S 100 -R 100 -T 1 \
	--wrong-key --expect-abort "$RXKADBADTICKET"
if [ "$SHIFTED" = 1 ]; then
	RK_EXPIRED=(-p "$P_AHEAD")
	RK_NOTYET=(-p "$P_BEHIND")
	rk_run "refused: server clock +2 days -> RXKADEXPIRED" 0 0 1 60 "$P_AHEAD" crypt -- -c rpc -S 1 -R 1 -T 1 \
		--expect-abort "$RXKADEXPIRED"
	rk_run "refused: server clock -1 day -> RXKADNOAUTH" 0 0 1 60 "$P_BEHIND" crypt -- -c rpc -S 1 -R 1 -T 1 \
		--expect-abort "$RXKADNOAUTH"
fi
if [ "$CAP_ON" = 1 ]; then
	cap_stop
	# LEVELFAIL is found by the client when it reads the CHALLENGE: it aborts
	# the connection itself; the others are the server's RESPONSE checks.
	rk_check_aborts "refusals on the wire" "$T_DIR/refusals.pcapng" \
		"$RXKADNOAUTH $RXKADBADTICKET $RXKADUNKNOWNKEY $RXKADEXPIRED $RXKADSEALEDINCON" "$RXKADLEVELFAIL" \
		"${DECODE[@]}"
	rk_check_handshake "refusals: handshakes" "$T_DIR/refusals.pcapng" 2 - "${DECODE[@]}"
fi

for p in "${SRV_PIDS[@]}"; do
	kill -0 "$p" 2>/dev/null || result FAIL "server $p" "died"
done
grep -h 'rxkad' "$T_DIR"/server-*.log | sort | uniq -c | sed 's/^/server log: /'
finish "openafs_peer rxkad selftest"
