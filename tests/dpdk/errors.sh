#!/bin/bash
# SPDX-License-Identifier: MIT
# Operator errors get one line (prefixed "rxd:") and a non-zero exit: bad
# arguments, no usable port, too few lcores, missing hugepages (with the
# --no-huge hint), bad config files.
#   errors.sh RXD
RXD=$1
. "$(dirname "$0")/../../scripts/lib/harness.sh"
require_root

expect() { # what want_rc pattern cmd...
	local what=$1 want=$2 pat=$3 out rc lines
	shift 3
	out=$(timeout 60 "$@" 2>&1)
	rc=$?
	lines=$(printf '%s\n' "$out" | grep -c '^rxd:')
	if [ "$rc" = "$want" ] && [ "$lines" = 1 ] && printf '%s\n' "$out" | grep '^rxd:' | grep -q -- "$pat"; then
		echo "ok: $what: $(printf '%s\n' "$out" | grep '^rxd:')"
	else
		fail "$what: want exit $want and one 'rxd:' line matching '$pat'; got exit $rc:"
		printf '%s\n' "$out" | tail -5 | sed 's/^/    /'
	fi
}

E="$(eal_common err)"
expect "bad mode" 2 "--mode" "$RXD" $E -- --mode sideways
expect "bad number" 2 "--calls" "$RXD" $E -- --mode client --calls many
expect "number overflow" 2 "--nb-mbufs" "$RXD" $E -- --mode echo --nb-mbufs 99999999999999999999999
expect "hex is not a number" 2 "--nb-mbufs" "$RXD" $E -- --mode echo --nb-mbufs 0x10
expect "bad address" 2 "--ip" "$RXD" $E -- --mode echo --ip 300.1.2.3/24
expect "port list: duplicate" 2 "--port 7000,7000: port 7000 given twice" "$RXD" $E -- --mode echo --port 7000,7000
expect "port list: too many" 2 "at most 4 ports" "$RXD" $E -- --mode echo --port 1,2,3,4,5
expect "port list: port 0" 2 "--port 7000,0" "$RXD" $E -- --mode echo --port 7000,0
expect "port list: trailing comma" 2 "--port 7000," "$RXD" $E -- --mode echo --port 7000,
expect "unknown option" 2 "unknown option --frobnicate" "$RXD" $E -- --mode echo --frobnicate 1
expect "bad security level" 2 "--security" "$RXD" $E -- --mode client --security secret
expect "bad rxkad key" 2 "--key zz: expected 16 hex digits" "$RXD" $E -- --mode server --key zz
expect "bad kvno" 2 "--kvno" "$RXD" $E -- --mode server --kvno -1
expect "bad core parameter" 2 "rx_window_size\|rx-window-size" "$RXD" $E -- --mode echo --set rx_window_size=100000
printf 'mode=echo\nip=198.18.9.1/24\nbogus_name=1\n' >"$T_DIR/bad.conf"
expect "bad config file line" 2 "bad.conf:3" "$RXD" $E -- --config "$T_DIR/bad.conf"
expect "no usable port" 1 "no usable port" "$RXD" $(lcores 1) $E -- --mode echo --ip 198.18.9.1/24
expect "too few lcores" 1 "too few lcores" "$RXD" -l 0 $E --vdev net_null0 -- --mode echo --ip 198.18.9.1/24
expect "too few lcores for crypto lcores" 1 "too few lcores for --crypto-lcores 1" "$RXD" $(lcores 1) $E \
	--vdev net_null0 -- --mode echo --ip 198.18.9.1/24 --crypto-lcores 1
expect "no address" 1 "no address" "$RXD" $(lcores 1) $E --vdev net_null0 -- --mode echo
expect "client without peer" 1 "--peer" "$RXD" $(lcores 1) $E --vdev net_null0 -- --mode client --ip 198.18.9.1/24
# net_tap takes frames of at most 1522 bytes: an --mtu it refuses is an error, not a port
# that advertises an MTU it drops (a TAP in a namespace of its own).
netns_add "rxderr-$T_ID"
expect "MTU the port refuses" 1 "--mtu 9000: port 0 (net_tap0) refuses it" ip netns exec "rxderr-$T_ID" "$RXD" $(lcores 1) $E \
	--vdev "net_tap0,iface=rxderr$T_ID" -- --mode echo --ip 198.18.9.1/24 --mtu 9000
free=$(cat /sys/kernel/mm/hugepages/hugepages-*/free_hugepages 2>/dev/null | awk '{s += $1} END {print s + 0}')
if [ "$free" = 0 ]; then
	expect "missing hugepages" 1 "--no-huge" "$RXD" $(lcores 1) --no-pci --file-prefix "${T_PREFIX}hp" \
		--vdev net_null0 -- --mode echo --ip 198.18.9.1/24
else
	echo "note: $free free hugepages here: the missing-hugepages message is not exercised"
fi
# the shell's notices go through the EAL log type "rxd": --log-level controls them
# (net_null has no rte_flow support, so --flow 1 with 2 workers always notes the refusal)
flow_note() { # extra EAL args...
	timeout 60 "$RXD" $(lcores 2) $E "$@" --vdev net_null0 -- --mode echo --ip 198.18.9.1/24 --duration 0.3 \
		--rss 1 --flow 1 2>&1 | grep -c '^rxd: port 0 (net_null0) refuses RAW cid rules'
}
shown=$(flow_note)
hidden=$(flow_note --log-level=rxd:warning)
if [ "$shown" = 1 ] && [ "$hidden" = 0 ]; then
	echo "ok: rxd log type: the rte_flow notice shows by default and --log-level=rxd:warning hides it"
else
	fail "rxd log type: notice lines by default $shown (want 1), with --log-level=rxd:warning $hidden (want 0)"
fi
# a call to a destination with no route fails at once with the send's error (LOCAL_ERROR, as the
# kernel's rxrpc_send_data_packet), well before the 20 s expect-rx timeout would end it
if timeout 15 "$RXD" $(lcores 1) $E --vdev net_null0 -- --mode client --ip 198.18.9.1/24 --peer 198.19.77.1 \
	--calls 1 >"$T_DIR/unreach.log" 2>&1 || [ $? = 1 ]; then
	if grep -q '^first error: call 0: LOCAL_ERROR, error -101 (-ENETUNREACH)$' "$T_DIR/unreach.log"; then
		echo "ok: no route: $(grep '^first error' "$T_DIR/unreach.log")"
	else
		fail "no route: want 'first error: call 0: LOCAL_ERROR, error -101 (-ENETUNREACH)'"
		tail -3 "$T_DIR/unreach.log"
	fi
else
	fail "no route: the client did not end within 15 s"
fi
# a config file sets shell options and core parameters; --set overrides it
printf '# comment\nmode = echo\nip=198.18.9.1/24\nrx_window_size=63\nduration=0.5\nburst=16\n' >"$T_DIR/good.conf"
if timeout 60 "$RXD" $(lcores 1) $E --vdev net_null0 -- --config "$T_DIR/good.conf" --set burst=8 --rss 1 --promisc 0 --no-tx-offload >"$T_DIR/good.log" 2>&1; then
	echo "ok: config file + --set accepted, echo mode ran 0.5 s and exited 0"
else
	fail "good config file rejected"
	tail -3 "$T_DIR/good.log"
fi
finish
