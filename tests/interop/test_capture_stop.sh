#!/bin/bash
# ix_capture_stop (rxd_interop_lib.sh) keeps every packet sent before it:
# dumpcap drops, uncounted, what libpcap's TPACKET_V3 ring still holds in its
# open block when SIGTERM ends it, and a stop right after the traffic (as the
# kafs test's capture once was) lost all of it; the marker datagram
# ix_capture_stop waits for closes that gap.  Three captures on "any" (the
# datagrams over lo) and three on the link's kernel-side device (a veth pair,
# rxd's address a static neighbour: no rxd runs), each ended right after 5
# datagrams.
#
# usage: test_capture_stop.sh
# exit:  0 passed, 1 a packet missing, 77 skipped (not root, no dumpcap/tshark)
set -uo pipefail
# shellcheck source=tests/interop/rxd_interop_lib.sh
. "$(dirname "$0")/rxd_interop_lib.sh"
# shellcheck disable=SC2034  # read by ix_ns_up
IX_LINK=afpacket # a TAP without its DPDK reader has no carrier: nothing would leave it
ix_init capstop
if ! command -v dumpcap >/dev/null || ! command -v tshark >/dev/null; then
	skip "dumpcap/tshark not installed"
fi
ix_ns_up
ix_ns ip neigh replace "$IX_RXD_IP" lladdr 02:00:00:7d:00:02 dev "$IX_KDEV" nud permanent
for i in 1 2 3; do
	for iface in any "$IX_KDEV"; do
		f="$T_DIR/c$i-$iface.pcap"
		dst=127.0.0.1
		[ "$iface" = any ] || dst=$IX_RXD_IP
		ix_capture_start "$f" udp "$iface"
		for k in 1 2 3 4 5; do
			ix_ns bash -c "echo rxd-capture-test-$i-$k >/dev/udp/$dst/9999"
		done
		ix_capture_stop
		n=$(tshark -r "$f" -Y 'udp.dstport == 9999' 2>/dev/null | wc -l)
		if [ "$n" = 5 ]; then
			result PASS "capture $i on $iface: the 5 datagrams sent before the stop" "$(grep -m1 -o 'received/dropped.*' "$T_DIR/dumpcap.log")"
		else
			result FAIL "capture $i on $iface: the 5 datagrams sent before the stop" "$n in the file"
		fi
	done
done
finish "ix_capture_stop keeps what was sent before it"
