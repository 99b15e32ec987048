# shellcheck shell=bash
# Helpers for the rxd-vs-OpenAFS interop tests (sourced, not run).
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
# timeout(1); a trap kills what we started (by pid), deletes the namespace
# and DPDK's runtime files for our --file-prefix.
#
# Environment:
#   RXD_INTEROP_LINK=tap|afpacket   link type (tap)
#   RXD_INTEROP_QUICK=1             skip the 64 MiB transfers
#   RXD_INTEROP_KEEP=DIR            keep logs and captures in DIR
#   RXD_INTEROP_MEM=MB              EAL memory for --no-huge (256)
#   RXD_INTEROP_HUGE=1              use hugepages instead of --no-huge when some are free

IX_KERNEL_IP=198.18.0.1
IX_RXD_IP=198.18.0.2
IX_PREFIX_LEN=24
IX_PASSES=0
IX_FAILS=0
IX_SKIPS=0
IX_PIDS=()
IX_OSRV_PIDS=()
IX_RXD_EXTRA=()
IX_NS=""
IX_LOG=""
IX_LINK=${RXD_INTEROP_LINK:-tap}

ix_skip_all() { # reason
	echo "SKIP: $*"
	exit 77
}

# ix_init NAME: checks, log dir, trap.  Exits 77 when a resource is truly absent.
ix_init() {
	local name=$1
	[ "$(id -u)" = 0 ] || ix_skip_all "needs root (network namespaces, TAP devices)"
	command -v ip >/dev/null || ix_skip_all "iproute2 'ip' not installed"
	command -v timeout >/dev/null || ix_skip_all "coreutils 'timeout' not installed"
	command -v ping >/dev/null || { echo "FATAL: ping (iputils-ping) not installed: run scripts/deps.sh"; exit 1; }
	if [ "$IX_LINK" = tap ] && [ ! -c /dev/net/tun ]; then
		echo "note: /dev/net/tun missing, using a veth pair and net_af_packet"
		IX_LINK=afpacket
	fi
	IX_NS="rxdix-$name-$$"
	IX_PREFIX="rxdix$$"
	if [ -n "${RXD_INTEROP_KEEP:-}" ]; then
		IX_LOG=$RXD_INTEROP_KEEP
		mkdir -p "$IX_LOG"
	else
		IX_LOG=$(mktemp -d "/tmp/rxd-interop-$name.XXXXXX")
	fi
	trap ix_cleanup EXIT
	trap 'exit 130' INT TERM
	ix_cpus
}

# Pin rxd's main lcore and its one worker, and the OpenAFS peer, to CPUs.
ix_cpus() {
	local n
	n=$(nproc 2>/dev/null || echo 1)
	if [ "$n" -ge 2 ]; then
		IX_RXD_LCORES="0@0,1@1"   # main lcore on CPU 0 (sleeps), worker on CPU 1 (polls)
		IX_PEER_CPU=0
	else
		IX_RXD_LCORES="0@0,1@0"
		IX_PEER_CPU=0
	fi
}

ix_cleanup() {
	local p
	for p in "${IX_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${IX_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	IX_PIDS=()
	# Whatever still runs inside our namespace is ours: end it, by pid.
	if [ -n "$IX_NS" ] && ip netns list 2>/dev/null | grep -qw "$IX_NS"; then
		for p in $(ip netns pids "$IX_NS" 2>/dev/null); do kill "$p" 2>/dev/null; done
		for _ in $(seq 30); do [ -z "$(ip netns pids "$IX_NS" 2>/dev/null)" ] && break; sleep 0.1; done
		for p in $(ip netns pids "$IX_NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$IX_NS" 2>/dev/null
	fi
	rm -rf "/var/run/dpdk/$IX_PREFIX"* 2>/dev/null
	rm -f /dev/hugepages/"$IX_PREFIX"* 2>/dev/null
	[ -z "${RXD_INTEROP_KEEP:-}" ] && [ -n "$IX_LOG" ] && rm -rf "$IX_LOG"
	return 0
}

ix_ns() { ip netns exec "$IX_NS" "$@"; }

# Create the namespace and the link (kernel side configured and up).
ix_ns_up() {
	ip netns add "$IX_NS" || { echo "FATAL: ip netns add $IX_NS failed"; exit 1; }
	ix_ns ip link set lo up
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

# EAL arguments for one rxd process (tag makes the --file-prefix unique).
ix_eal() { # tag
	local mem=${RXD_INTEROP_MEM:-256} huge
	huge=(--no-huge -m "$mem")
	if [ "${RXD_INTEROP_HUGE:-0}" = 1 ] && [ "$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)" -gt 0 ]; then
		huge=(--socket-mem "$mem")
	fi
	echo --lcores "$IX_RXD_LCORES" "${huge[@]}" --file-prefix "$IX_PREFIX$1" --no-pci --vdev "$IX_VDEV" \
		--log-level=lib.eal:warning --log-level=pmd.net.tap:crit --log-level=lib.telemetry:crit
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
	IX_SRV_OUT="$IX_LOG/rxd-server-$tag.log"
	# shellcheck disable=SC2046
	# no timeout(1) wrapper: SIGTERM must reach rxperf itself (its exit code is
	# checked); --duration bounds its life instead.
	ip netns exec "$IX_NS" "$exe" $(ix_eal "s$tag") -- server --ip "$IX_RXD_IP/$IX_PREFIX_LEN" \
		"${IX_RXD_EXTRA[@]}" --duration 900 "$@" >"$IX_SRV_OUT" 2>&1 &
	IX_SRV_PID=$!
	IX_PIDS+=("$IX_SRV_PID")
	for _ in $(seq 150); do
		grep -qs listening "$IX_SRV_OUT" && break
		kill -0 "$IX_SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -qs listening "$IX_SRV_OUT" || ! ix_wait_rxd_reachable "$IX_SRV_PID"; then
		echo "FATAL: rxd rxperf server ($tag) did not come up"
		sed 's/^/  server: /' "$IX_SRV_OUT" | tail -n 20
		exit 1
	fi
}

# ix_rxd_server_stop NAME: SIGTERM, must exit 0 within 10 s (bounded drain).
ix_rxd_server_stop() {
	local name=$1 rc=0 t0
	t0=$(date +%s)
	kill -TERM "$IX_SRV_PID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$IX_SRV_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$IX_SRV_PID" 2>/dev/null; then
		kill -9 "$IX_SRV_PID" 2>/dev/null
		ix_result FAIL "$name" "rxd server did not exit within 10 s of SIGTERM"
		wait "$IX_SRV_PID" 2>/dev/null
		return
	fi
	wait "$IX_SRV_PID" 2>/dev/null
	rc=$?
	if [ "$rc" = 0 ]; then
		ix_result PASS "$name" "exit 0 after $(( $(date +%s) - t0 )) s; $(grep -m1 '^rxperf server:.*calls' "$IX_SRV_OUT")"
	else
		ix_result FAIL "$name" "rxd server exit code $rc"
		tail -n 5 "$IX_SRV_OUT" | sed 's/^/  server: /'
	fi
}

# ix_openafs_server_start PEER PORT [args...]: in the namespace, pinned; sets IX_OSRV_PID.
ix_openafs_server_start() {
	local peer=$1 port=$2 log
	shift 2
	log="$IX_LOG/openafs-server-$port.log"
	# exec chain (ip netns exec -> taskset -> peer): the pid is the peer's own.
	ip netns exec "$IX_NS" taskset -c "$IX_PEER_CPU" "$peer" server -p "$port" -v "$@" >"$log" 2>&1 &
	IX_OSRV_PID=$!
	IX_PIDS+=("$IX_OSRV_PID")
	IX_OSRV_PIDS+=("$IX_OSRV_PID")
	for _ in $(seq 50); do
		grep -q listening "$log" && return 0
		kill -0 "$IX_OSRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "FATAL: OpenAFS peer server on port $port did not start"
	cat "$log"
	exit 1
}

ix_json_field() { # json field (flat JSON from openafs_peer or rxperf)
	printf '%s\n' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" | head -n1
}

ix_result() { # PASS|FAIL|SKIP name detail
	case $1 in
	PASS) IX_PASSES=$((IX_PASSES + 1)) ;;
	FAIL) IX_FAILS=$((IX_FAILS + 1)) ;;
	SKIP) IX_SKIPS=$((IX_SKIPS + 1)) ;;
	esac
	printf '%s %-40s %s\n' "$1" "$2" "$3"
}

# ix_run NAME WANT_RC WANT_OK WANT_ABORTS TIMEOUT -- command...
# The command prints a flat JSON line with calls_ok/expected_aborts/calls_failed
# (both peers do: doc/results-json.md).
# WANT_RC: 0 = must succeed, 1 = must fail (any non-zero but not a timeout).
# WANT_OK / WANT_ABORTS: exact counts, or '-' to skip.
ix_run() {
	local name=$1 want_rc=$2 want_ok=$3 want_ab=$4 tmo=$5 out rc json why="" t0 t1 ok ab err
	shift 6
	t0=$(date +%s.%N)
	out=$(timeout --kill-after=10 "$tmo" "$@" 2>"$IX_LOG/last.err")
	rc=$?
	t1=$(date +%s.%N)
	json=$(printf '%s\n' "$out" | grep '^{' | tail -n1)
	[ "$want_rc" = 0 ] && [ "$rc" != 0 ] && why="exit $rc"
	[ "$want_rc" = 1 ] && [ "$rc" = 0 ] && why="exit 0, wanted a failure"
	[ "$rc" -ge 124 ] && [ "$rc" -le 137 ] && why="killed by timeout after ${tmo}s (exit $rc)"
	[ -z "$why" ] && [ -z "$json" ] && why="no JSON line"
	if [ -z "$why" ]; then
		ok=$(ix_json_field "$json" calls_ok)
		ab=$(ix_json_field "$json" expected_aborts)
		err=$(ix_json_field "$json" calls_failed)
		[ "$want_ok" != - ] && [ "$ok" != "$want_ok" ] && why="ok=$ok, wanted $want_ok"
		[ "$want_ab" != - ] && [ "$ab" != "$want_ab" ] && why="$why aborts=$ab, wanted $want_ab"
		[ "$want_rc" = 0 ] && [ "$err" != 0 ] && why="$why errors=$err"
	fi
	# shellcheck disable=SC2034  # for callers that want more fields
	IX_LAST_JSON=$json
	if [ -z "$why" ]; then
		ix_result PASS "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%6.2fs", b-a}')  calls/s=$(ix_json_field "$json" calls_per_s) MB/s=$(ix_json_field "$json" mb_per_s) p50=$(ix_json_field "$json" p50_us)us"
	else
		ix_result FAIL "$name" "$why"
		printf '  cmd: %s\n' "$*"
		grep -v '^EAL\|^TELEMETRY' "$IX_LOG/last.err" | head -n 12 | sed 's/^/  stderr: /'
		[ -n "$json" ] && printf '  json: %s\n' "$json"
	fi
}

# Capture on the kernel side of the link.  ix_capture_start FILE; ix_capture_stop.
ix_capture_start() {
	IX_CAP_FILE=$1
	# dumpcap bounds itself (-a duration); no timeout(1) wrapper, so SIGTERM
	# reaches it (a background job ignores SIGINT).
	ip netns exec "$IX_NS" dumpcap -q -a duration:300 -i any -f "udp" -P -w "$IX_CAP_FILE" \
		>"$IX_LOG/dumpcap.log" 2>&1 &
	IX_CAP_PID=$!
	IX_PIDS+=("$IX_CAP_PID")
	for _ in $(seq 50); do grep -q "Capturing on" "$IX_LOG/dumpcap.log" 2>/dev/null && break; sleep 0.1; done
	sleep 0.3
}

ix_capture_stop() {
	sleep 0.5
	kill -TERM "$IX_CAP_PID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$IX_CAP_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$IX_CAP_PID" 2>/dev/null
}

# ix_check_capture NAME FILE: no malformed packets, no expert errors, and every
# UDP/7009 frame decoded as RX.
ix_check_capture() {
	local name=$1 cap=$2 bad notrx total rxn
	if [ ! -s "$cap" ]; then
		ix_result FAIL "$name" "no capture file"
		return
	fi
	total=$(tshark -r "$cap" -Y 'udp.port == 7009' 2>/dev/null | wc -l)
	rxn=$(tshark -r "$cap" -Y 'udp.port == 7009 && rx' 2>/dev/null | wc -l)
	bad=$(tshark -r "$cap" -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null)
	notrx=$(tshark -r "$cap" -Y 'udp.port == 7009 && !rx' 2>/dev/null)
	if [ "$total" -gt 0 ] && [ -z "$bad" ] && [ -z "$notrx" ] && [ "$rxn" = "$total" ]; then
		ix_result PASS "$name" "$total UDP/7009 frames, all RX, none malformed"
	else
		ix_result FAIL "$name" "$total UDP/7009 frames, $rxn decoded as RX"
		printf '%s\n' "$bad" | head -n 10 | sed 's/^/  malformed: /'
		printf '%s\n' "$notrx" | head -n 5 | sed 's/^/  not RX: /'
		if [ -z "${RXD_INTEROP_KEEP:-}" ]; then
			mkdir -p /tmp/rxd-interop-failed
			cp "$cap" /tmp/rxd-interop-failed/ && echo "  capture kept in /tmp/rxd-interop-failed/$(basename "$cap")"
		fi
	fi
}

ix_summary() { # name
	echo "$1: $IX_PASSES passed, $IX_FAILS failed, $IX_SKIPS skipped"
	[ "$IX_FAILS" = 0 ]
}
