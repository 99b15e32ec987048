# shellcheck shell=bash
# Helpers for the rxd-vs-OpenAFS interop tests (sourced, not run), on top of
# scripts/lib/harness.sh (processes, namespaces, EAL arguments, run_check,
# result accounting and cleanup live there).
#
# Topology: one private network namespace per test script, holding one link
# between the kernel (which the OpenAFS peer, rxdebug and dumpcap use) and
# rxd (a DPDK process started with `ip netns exec`):
#   tap (default): a persistent multi-queue TAP rxdtap0 made by this script;
#       the kernel side has 198.18.0.1/24, rxd attaches with
#       --vdev net_tap0,iface=rxdtap0 and answers on 198.18.0.2/24.  The TAP
#       outlives each rxd process, so clients can be started one per test.
#   afpacket (RXD_INTEROP_LINK=afpacket): a veth pair rxdv0 (kernel,
#       198.18.0.1/24) / rxdv1 (no address, rxd via net_af_packet).
# Nothing is routed out of the namespace.  Every command runs under
# timeout(1); the harness's trap ends what we started (by pid), deletes the
# namespace and DPDK's runtime files for our --file-prefix.
#
# Environment (besides the harness's RXD_QUICK, RXD_TEST_MEM, RXD_TEST_HUGE):
#   RXD_INTEROP_LINK=tap|afpacket   link type (tap)
#   RXD_INTEROP_KEEP=DIR            keep logs and captures in DIR (an absolute path)

# shellcheck source=scripts/lib/harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/harness.sh"

IX_KERNEL_IP=198.18.0.1
IX_RXD_IP=198.18.0.2
IX_PREFIX_LEN=24
IX_PEER_CPU=0 # the OpenAFS peer shares CPU 0 with rxd's sleeping main lcore
IX_OSRV_PIDS=()
IX_RXD_EXTRA=()
IX_NS=""
IX_LINK=${RXD_INTEROP_LINK:-tap}

# ix_init NAME: checks, log dir.  Exits 77 when a resource is truly absent.
ix_init() {
	local name=$1
	keep_dir RXD_INTEROP_KEEP
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, TAP devices)"
	command -v ip >/dev/null || skip "iproute2 'ip' not installed"
	command -v timeout >/dev/null || skip "coreutils 'timeout' not installed"
	command -v ping >/dev/null || { echo "FATAL: ping (iputils-ping) not installed: run scripts/deps.sh"; exit 1; }
	if [ "$IX_LINK" = tap ] && [ ! -c /dev/net/tun ]; then
		echo "note: /dev/net/tun missing, using a veth pair and net_af_packet"
		IX_LINK=afpacket
	fi
	IX_NS="rxdix-$name-$$"
}

ix_ns() { ip netns exec "$IX_NS" "$@"; }

# Create the namespace and the link (kernel side configured and up).
ix_ns_up() {
	netns_add "$IX_NS"
	ix_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	ix_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	if [ "$IX_LINK" = tap ]; then
		IX_KDEV=rxdtap0
		ix_ns ip tuntap add dev rxdtap0 mode tap multi_queue || { echo "FATAL: cannot create TAP"; exit 1; }
		IX_VDEV="net_tap0,iface=rxdtap0"
	else
		IX_KDEV=rxdv0
		ix_ns ip link add rxdv0 type veth peer name rxdv1 || { echo "FATAL: cannot create veth"; exit 1; }
		ix_ns ip link set rxdv1 up
		ix_ns sysctl -qw net.ipv4.conf.rxdv1.arp_ignore=8 2>/dev/null
		IX_VDEV="net_af_packet0,iface=rxdv1"
		# veth hands frames over with the UDP checksum still partial (the
		# kernel offloads it) and net_af_packet does not say so: trust them.
		IX_RXD_EXTRA=(--no-rx-cksum)
	fi
	ix_ns ip addr add "$IX_KERNEL_IP/$IX_PREFIX_LEN" dev "$IX_KDEV"
	ix_ns ip link set "$IX_KDEV" up
	echo "netns $IX_NS: kernel $IX_KERNEL_IP on $IX_KDEV, rxd $IX_RXD_IP via ${IX_VDEV%%,*} ($IX_LINK)"
}

# EAL arguments for one rxd process with IX_RXD_WORKERS workers (default 1; tag makes the --file-prefix unique).
ix_eal() { # tag; IX_RXD_EAL_EXTRA: more EAL arguments (e.g. --log-level=rxd.core:debug)
	local vdev=$IX_VDEV
	# net_af_packet opens one queue pair unless told: one per worker
	[ "$IX_LINK" = afpacket ] && vdev="$vdev,qpairs=${IX_RXD_WORKERS:-1}"
	echo "$(lcores "${IX_RXD_WORKERS:-1}") $(eal_common "$1") --vdev $vdev ${IX_RXD_EAL_EXTRA:-}"
}

# Wait until the kernel side of the link can reach rxd's address (ARP answered).
ix_wait_rxd_reachable() { # pid
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 1
		ix_ns ip link set "$IX_KDEV" up 2>/dev/null
		ix_ns ping -c 1 -W 1 -q "$IX_RXD_IP" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# ix_rxd_server_start RXPERF TAG [server args...]: start, wait for "listening"
# and for rxd to answer ARP/ICMP.  Sets IX_SRV_PID and IX_SRV_OUT.
ix_rxd_server_start() {
	local exe=$1 tag=$2
	shift 2
	IX_SRV_OUT="$T_DIR/rxd-server-$tag.log"
	# no timeout(1) wrapper: SIGTERM must reach rxperf itself (its exit code is
	# checked); --duration bounds its life instead.
	# shellcheck disable=SC2046
	if ! start_wait "$IX_SRV_OUT" listening 15 ip netns exec "$IX_NS" "$exe" $(ix_eal "s$tag") -- server \
		--ip "$IX_RXD_IP/$IX_PREFIX_LEN" "${IX_RXD_EXTRA[@]}" $(idle_sleep $((${IX_RXD_WORKERS:-1} + 1))) \
		--duration 900 "$@" ||
		! ix_wait_rxd_reachable "$LAST_PID"; then
		echo "FATAL: rxd rxperf server ($tag) did not come up"
		sed 's/^/  server: /' "$IX_SRV_OUT" | tail -n 20
		exit 1
	fi
	IX_SRV_PID=$LAST_PID
}

# ix_rxd_server_stop NAME: SIGTERM, must exit 0 within 10 s (bounded drain).
ix_rxd_server_stop() {
	local name=$1 rc t0
	t0=$(date +%s)
	stop_pid "$IX_SRV_PID" 10
	rc=$?
	if [ "$rc" = 124 ]; then
		result FAIL "$name" "rxd server did not exit within 10 s of SIGTERM"
	elif [ "$rc" = 0 ]; then
		result PASS "$name" "exit 0 after $(($(date +%s) - t0)) s; $(grep -m1 '^rxperf server:.*calls' "$IX_SRV_OUT")"
	else
		result FAIL "$name" "rxd server exit code $rc"
		tail -n 5 "$IX_SRV_OUT" | sed 's/^/  server: /'
	fi
}

# ix_openafs_server_start PEER PORT [args...]: in the namespace, pinned; sets IX_OSRV_PID.
ix_openafs_server_start() {
	local peer=$1 port=$2
	shift 2
	# exec chain (ip netns exec -> taskset -> peer): the pid is the peer's own.
	start_wait "$T_DIR/openafs-server-$port.log" listening 5 \
		ip netns exec "$IX_NS" taskset -c "$IX_PEER_CPU" "$peer" server -p "$port" -v "$@" ||
		{ echo "FATAL: OpenAFS peer server on port $port did not start"; exit 1; }
	IX_OSRV_PID=$LAST_PID
	IX_OSRV_PIDS+=("$IX_OSRV_PID")
}

# Capture on the kernel side of the link.  ix_capture_start FILE [FILTER [IFACE [SNAPLEN]]];
# ix_capture_stop.  FILTER is a capture filter, "udp" unless given ("udp or
# icmp" also keeps the kernel's port-unreachable errors; it must take UDP);
# IFACE "any" unless given (a device whose traffic goes to rxd, such as
# $IX_KDEV); SNAPLEN the bytes kept of each packet (all unless given).
ix_capture_start() {
	IX_CAP_FILE=$1
	IX_CAP_IF=${3:-any}
	# dumpcap bounds itself (-a duration); no timeout(1) wrapper, so SIGTERM
	# reaches it (a background job ignores SIGINT).
	bg "$T_DIR/dumpcap.log" ip netns exec "$IX_NS" dumpcap -q -a duration:1200 -i "$IX_CAP_IF" ${4:+-s "$4"} \
		-f "${2:-udp}" -P -w "$IX_CAP_FILE"
	IX_CAP_PID=$LAST_PID
	wait_log "$IX_CAP_PID" "$T_DIR/dumpcap.log" "Capturing on" 5
	ix_capture_mark || echo "note: dumpcap's first marker did not reach $IX_CAP_FILE within 10 s"
}

# ix_capture_mark: one UDP datagram through the captured link (to port 9 of
# 127.0.0.1 when capturing on "any", else of rxd's address, which drops it),
# waited for in the file: every packet sent before it has been written.
# dumpcap (libpcap's TPACKET_V3 ring) gets packets a buffer block at a time,
# when the block fills or its timeout passes, and ends on SIGTERM without
# reading the open block: the packets of the last quarter second or more
# before a stop were lost without a count, as were a kafs run's last calls.
# Sent again every half second: dumpcap says "Capturing on" a moment before
# its socket takes packets, and a later copy proves as much at a stop.
ix_capture_mark() {
	local dst=127.0.0.1 mark="rxd-capture-mark-$$-$RANDOM" i
	[ "$IX_CAP_IF" = any ] || dst=$IX_RXD_IP
	for ((i = 0; i < 100; i++)); do
		((i % 5)) || ix_ns timeout 5 bash -c "echo $mark >/dev/udp/$dst/9" 2>/dev/null
		sleep 0.1
		grep -aqs -- "$mark" "$IX_CAP_FILE" && return 0
	done
	return 1
}

# ix_capture_stop: dumpcap ends once the packets sent so far are in the file;
# its counts (received, dropped) are in $T_DIR/dumpcap.log.
ix_capture_stop() {
	ix_capture_mark || echo "note: the capture's last packets may be missing (no marker in $IX_CAP_FILE within 10 s)"
	stop_pid "$IX_CAP_PID" 5
}

# ix_check_capture NAME FILE: no malformed packets, no expert errors, and every
# UDP/7009 frame decoded as RX.
# PASS if rxd (UDP 7009) sent padded PING ACKs (PMTUD probes: longer than any
# unpadded ACK of their nAcks) and the peer answered one with a PING_RESPONSE
# naming its serial on the same connection.
ix_check_pmtud_probes() {
	local name=$1 cap=$2 probes answered
	probes=$(tshark -r "$cap" -Y 'udp.srcport == 7009 && rx.type == 2 && rx.reason == 6' \
		-T fields -e rx.cid -e rx.serial -e udp.length -e rx.num_acks 2>/dev/null |
		awk -F'\t' '{ split($2, s, ","); if ($3 - 8 > 28 + 18 + $4 + 3 + 16) print $1 " " s[1] }' | sort -u)
	if [ -z "$probes" ]; then
		result FAIL "$name" "no padded PING ACK from rxd in the capture"
		return
	fi
	answered=$(tshark -r "$cap" -Y 'udp.dstport == 7009 && rx.type == 2 && rx.reason == 7' \
		-T fields -e rx.cid -e rx.serial 2>/dev/null |
		awk -F'\t' '{ split($2, s, ","); print $1 " " s[2] }' | sort -u | comm -12 - <(printf '%s\n' "$probes") | wc -l)
	if [ "$answered" -gt 0 ]; then
		result PASS "$name" "$(printf '%s\n' "$probes" | wc -l) probes, $answered answered by PING_RESPONSE"
	else
		result FAIL "$name" "$(printf '%s\n' "$probes" | wc -l) probes, none answered"
	fi
}

ix_check_capture() {
	local name=$1 cap=$2 bad notrx total rxn
	if [ ! -s "$cap" ]; then
		result FAIL "$name" "no capture file"
		return
	fi
	total=$(tshark -r "$cap" -Y 'udp.port == 7009' 2>/dev/null | wc -l)
	rxn=$(tshark -r "$cap" -Y 'udp.port == 7009 && rx' 2>/dev/null | wc -l)
	bad=$(tshark -r "$cap" -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null)
	notrx=$(tshark -r "$cap" -Y 'udp.port == 7009 && !rx' 2>/dev/null)
	if [ "$total" -gt 0 ] && [ -z "$bad" ] && [ -z "$notrx" ] && [ "$rxn" = "$total" ]; then
		result PASS "$name" "$total UDP/7009 frames, all RX, none malformed"
	else
		result FAIL "$name" "$total UDP/7009 frames, $rxn decoded as RX"
		printf '%s\n' "$bad" | head -n 10 | sed 's/^/  malformed: /'
		printf '%s\n' "$notrx" | head -n 5 | sed 's/^/  not RX: /'
		if [ -z "$T_KEEP" ]; then
			mkdir -p /tmp/rxd-interop-failed
			cp "$cap" /tmp/rxd-interop-failed/ && echo "  capture kept in /tmp/rxd-interop-failed/$(basename "$cap")"
		fi
	fi
}
