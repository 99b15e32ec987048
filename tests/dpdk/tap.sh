#!/bin/bash
# SPDX-License-Identifier: MIT
# net_tap inside a private network namespace: the shell answers ARP, IPv6
# ND and ICMP/ICMPv6 echo from the kernel side, and an ICMP port-unreachable
# from the kernel reaches the owning call as ECONNREFUSED.
#   tap.sh RXD
RXD=$1
. "$(dirname "$0")/../../scripts/lib/harness.sh"
require_root
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

NS=rxdt${T_ID}tap
TAP=rxdtap$((T_ID % 100000))
netns_add "$NS"
nsx() { ip netns exec "$NS" "$@"; }

ping_ok() { # family addr
	if command -v ping >/dev/null; then
		nsx ping -"$1" -c 3 -i 0.2 -W 2 "$2" >/dev/null
	else
		nsx python3 "$(dirname "$0")/icmp_echo.py" "$2"
	fi
}

kernel_side() {
	local i
	for ((i = 0; i < 100; i++)); do nsx ip link show "$TAP" >/dev/null 2>&1 && break; sleep 0.1; done
	nsx ip addr add 198.18.2.1/24 dev "$TAP" &&
		nsx ip -6 addr add fd00:2::1/64 dev "$TAP" nodad &&
		nsx ip link set "$TAP" up
}

note "echo server on net_tap: ARP, ND, ping, ping6"
RXD_TAP=$TAP RXD_IP=198.18.2.2/24 RXD_IP6=fd00:2::2/64 load_profile tap-netns
bg "$T_DIR/tap_srv.log" ip netns exec "$NS" timeout 60 "$RXD" $(lcores 1) $(eal_common tap_srv) $EAL_DEV -- \
	--mode echo $APP_ARGS
pid=$LAST_PID
kernel_side || fail "cannot configure $TAP"
sleep 0.5
ping_ok 4 198.18.2.2 && echo "ok: ping 198.18.2.2 (ARP + ICMP echo)" || fail "no ICMP echo reply from 198.18.2.2"
ping_ok 6 fd00:2::2 && echo "ok: ping -6 fd00:2::2 (ND + ICMPv6 echo)" || fail "no ICMPv6 echo reply from fd00:2::2"
nsx ip neigh show 198.18.2.2 | grep -q 'lladdr' || fail "kernel has no ARP entry for the shell"
nsx ip -6 neigh show fd00:2::2 | grep -q 'lladdr' || fail "kernel has no ND entry for the shell"
kill -TERM "$pid"
wait_pid "$pid" 10
rc=$?
[ "$rc" = 0 ] || fail "echo server exit code $rc after SIGTERM (want 0)"
drops=$(json_field "$(grep '^rxd: stats' "$T_DIR/tap_srv.log")" drops)
[ "${drops:-x}" = 0 ] || fail "shell drops on tap: ${drops:-none reported}"
grep -q '"echo_tx":[1-9]' "$T_DIR/tap_srv.log" || fail "echo_tx counter did not move"

for fam in 4 6; do
	if [ $fam = 4 ]; then addr="--ip 198.18.2.2/24"; peer=198.18.2.1:7009; else addr="--ip6 fd00:2::2/64"; peer="[fd00:2::1]:7009"; fi
	note "IPv$fam client towards a closed kernel port: ICMP unreachable -> ECONNREFUSED"
	log="$T_DIR/tap_icmp$fam.log"
	bg "$log" ip netns exec "$NS" timeout 60 "$RXD" $(lcores 1) $(eal_common tap_c$fam) $EAL_DEV -- \
		--mode client $addr --peer "$peer" --calls 1 --size-req 100 --start-delay 2
	cpid=$LAST_PID
	kernel_side || fail "cannot configure $TAP"
	wait_pid "$cpid" 40
	crc=$?
	el=$(json_field "$(json_last "$log")" secs)
	if [ "$crc" = 1 ] && grep -q 'NETWORK_ERROR.*error -111' "$log"; then
		echo "ok: IPv$fam port unreachable -> call failed with ECONNREFUSED in ${el}s"
	else
		fail "IPv$fam: want NETWORK_ERROR -111, exit 1; got exit $crc"
		grep -E '^(calls|first)' "$log" | sed 's/^/    /'
	fi
	awk -v e="${el:-99}" 'BEGIN { exit !(e < 1.0) }' || fail "IPv$fam: the ICMP error took ${el}s to fail the call"
done
finish
