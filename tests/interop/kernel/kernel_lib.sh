# shellcheck shell=bash
# The qemu guest for the kernel AF_RXRPC interop tests (sourced, after
# ../rxd_interop_lib.sh, which owns the namespace and rxd's TAP, and
# scripts/lib/harness.sh, which owns processes, results and cleanup).
#
# Topology inside the test's private network namespace (nothing routed out):
#   rxd (DPDK net_tap, TAP rxdtap0)   198.18.0.2/24  fd00:7d:0::2/64
#   namespace kernel: router          198.18.0.1     fd00:7d:0::1
#                                     198.18.1.1     fd00:7d:1::1
#   guest (virtio-net, TAP kvtap0)    198.18.1.2/24  fd00:7d:1::2/64
# Two routed subnets, not a bridge: net_tap gives its kernel-side TAP the DPDK
# port's MAC, so a bridge over both TAPs would take rxd's frames for its own.
# For jumbograms (kv_jumbo_up) a third subnet at MTU 9000, and kvtap0 and the
# guest's eth0 raised to 9000 (KV_MTU):
#   rxd (DPDK net_pcap, veth rxjv1)   198.18.2.2/24
#   namespace kernel: router (rxjv0)  198.18.2.1
#
# The guest: Debian's kernel (kernel_fetch.sh), an initramfs of
# busybox-static, the modules rxrpc and virtio_net need (with their
# dependencies), rxperf.ko and af_rxperf.  Commands run over a virtio-serial
# port (kv_guest); the serial console goes to $T_DIR/console.log, kept in
# /tmp/rxd-kernel-failed/ when a test failed.
#
# Environment: RXD_KERNEL_ACCEL=tcg|kvm (tcg), RXD_KERNEL_MEM=MB (768),
#   RXD_KERNEL_CACHE (kernel_fetch.sh).

# shellcheck disable=SC2034  # the addresses are used by the test scripts
KV_GUEST_IP=198.18.1.2
KV_GW_IP=198.18.1.1
KV_GUEST_IP6=fd00:7d:1::2
KV_GW_IP6=fd00:7d:1::1
KV_JUMBO_IP=198.18.2.2
KV_JUMBO_GW=198.18.2.1
KV_MTU=1500 # the guest link's MTU (kvtap0, eth0): kv_jumbo_up raises it
KV_RXD_IP6=fd00:7d:0::2
KV_KERNEL_IP6=fd00:7d:0::1
KV_QEMU_PID=""
KV_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KV_W=""
KV_R=""

# Modules the guest loads (dependencies are added from each module's modinfo).
# The ciphers first: rxkad asks the crypto API for pcbc(fcrypt) when rxrpc loads and
# for pcbc(des) for a server key (rxperf.ko adds one), request_module() calls that no
# modprobe in the initramfs would answer.
KV_MODULES=(virtio_net fcrypt pcbc des_generic rxrpc)

# kv_modinfo_field KO FIELD: a field of a (possibly xz-compressed) module's .modinfo.
kv_modinfo_field() {
	local ko=$1 f=$2
	case $ko in
	*.xz) xz -dc "$ko" ;;
	*.zst) zstd -dc "$ko" ;;
	*) cat "$ko" ;;
	esac | tr '\0' '\n' | sed -n "s/^$f=//p" | head -n1
}

# kv_module_order MODDIR NAME...: module paths, each after its dependencies.
kv_module_order() {
	local moddir=$1
	shift
	declare -A seen=()
	local order=()
	kv__visit() {
		local name=${1//-/_} path dep
		[ -n "${seen[$name]:-}" ] && return 0
		seen[$name]=1
		path=$(find "$moddir/kernel" -name "$name.ko*" -o -name "${name//_/-}.ko*" | head -n1)
		if [ -z "$path" ]; then
			grep -q "/$name.ko\$" "$moddir/modules.builtin" 2>/dev/null && return 0
			echo "kernel_lib: module $name not found" >&2
			return 1
		fi
		for dep in $(kv_modinfo_field "$path" depends | tr ',' ' '); do
			kv__visit "$dep" || return 1
		done
		order+=("$path")
	}
	for m in "$@"; do kv__visit "$m" || return 1; done
	printf '%s\n' "${order[@]}"
}

# kv_build_initramfs KV_ROOT AF_RXPERF OUT: an uncompressed newc cpio.
kv_build_initramfs() {
	local root=$1 af=$2 out=$3 d krel moddir m
	d=$(mktemp -d "$T_DIR/initramfs.XXXXXX")
	moddir=$(find "$root/root/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n1)
	krel=$(basename "$moddir")
	mkdir -p "$d/bin" "$d/proc" "$d/sys" "$d/dev" "$d/tmp" "$d/mod"
	cp /bin/busybox "$d/bin/busybox" || { echo "kernel_lib: no /bin/busybox (busybox-static, scripts/deps.sh)"; return 1; }
	cp "$af" "$d/bin/af_rxperf"
	# af_kafs (built beside af_rxperf) for the kafs test's tokens and ACLs.
	[ -x "$(dirname "$af")/af_kafs" ] && cp "$(dirname "$af")/af_kafs" "$d/bin/af_kafs"
	: >"$d/mod/order"
	for m in $(kv_module_order "$moddir" "${KV_MODULES[@]}"); do
		local base
		base=$(basename "$m")
		base=${base%.xz}
		base=${base%.zst}
		case $m in
		*.xz) xz -dc "$m" >"$d/mod/$base" ;;
		*.zst) zstd -qdc "$m" >"$d/mod/$base" ;;
		*) cp "$m" "$d/mod/$base" ;;
		esac
		echo "$base" >>"$d/mod/order"
	done
	[ -s "$d/mod/order" ] || return 1
	cp "$root/rxperf/rxperf.ko" "$d/mod/rxperf.ko"
	cat >"$d/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "rxd-guest: kernel \$(uname -r) ($krel)"
load() { insmod "\$1" || { echo "rxd-guest: insmod \$1 failed"; dmesg | tail -n 5; }; }
for m in \$(cat /mod/order); do load /mod/\$m; done
# rxperf.ko takes net.rxrpc.max_backlog when it listens: raise it first (10 -> 31, the most).
sysctl -qw net.rxrpc.max_backlog=31
load /mod/rxperf.ko
ip link set lo up
ip link set eth0 up
ip addr add $KV_GUEST_IP/24 dev eth0
sysctl -qw net.ipv6.conf.eth0.accept_dad=0
ip -6 addr add $KV_GUEST_IP6/64 dev eth0
ip route add default via $KV_GW_IP
ip -6 route add default via $KV_GW_IP6
port=
for n in \$(seq 50); do
	for p in /sys/class/virtio-ports/*; do
		[ "\$(cat \$p/name 2>/dev/null)" = rxd.cmd ] && port=/dev/\$(basename \$p)
	done
	[ -n "\$port" ] && [ -c "\$port" ] && break
	sleep 0.1
done
echo "rxd-guest: ready, commands on \$port"
exec 3<>\$port
# One command a line: "ID SECONDS shell-command"; answer its output, then
# "@@rxd-done ID RC".  A command still running after SECONDS is killed (rc
# 137), so one stuck command cannot hold up the ones after it.
while IFS= read -r line <&3; do
	id=\${line%% *}
	line=\${line#* }
	tmo=\${line%% *}
	timeout -s KILL "\$tmo" sh -c "\${line#* }" </dev/null >/tmp/out 2>&1
	rc=\$?
	cat /tmp/out >&3
	# the marker must start a line: output without a final newline gets one
	# (counted, not compared: \$(...) drops a final NUL, which is no newline)
	[ -s /tmp/out ] && [ "\$(tail -c 1 /tmp/out | wc -l)" = 0 ] && echo >&3
	echo "@@rxd-done \$id \$rc" >&3
done
echo "rxd-guest: command port closed"
poweroff -f
EOF
	chmod +x "$d/init"
	(cd "$d" && find . | busybox cpio -o -H newc 2>/dev/null >"$out") || return 1
	rm -rf "$d"
}

# kv_boot KV_ROOT INITRAMFS: qemu in the namespace, its TAP routed; waits for the guest.
kv_boot() {
	local root=$1 initrd=$2 kernel accel=${RXD_KERNEL_ACCEL:-tcg} t0
	kernel=$(find "$root/root/boot" -name 'vmlinuz-*' | head -n1)
	rm -f "$T_DIR/cmd.in" "$T_DIR/cmd.out" "$T_DIR/console.log" "$T_DIR/guest.down"
	mkfifo "$T_DIR/cmd.in" "$T_DIR/cmd.out"
	ix_ns ip tuntap add dev kvtap0 mode tap || { echo "FATAL: cannot create the guest's TAP"; return 1; }
	ix_ns ip link set kvtap0 mtu "$KV_MTU"
	ix_ns ip addr add "$KV_GW_IP/24" dev kvtap0
	ix_ns ip -6 addr add "$KV_GW_IP6/64" dev kvtap0 nodad
	ix_ns ip link set kvtap0 up
	ix_ns sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	t0=$(date +%s.%N)
	# -no-reboot: a guest panic ends qemu; the fifos carry the command channel.
	bg "$T_DIR/qemu.log" ip netns exec "$IX_NS" qemu-system-x86_64 -machine q35,accel="$accel" -cpu max -smp 1 \
		-m "${RXD_KERNEL_MEM:-768}" -nographic -no-reboot -monitor none \
		-serial "file:$T_DIR/console.log" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 loglevel=4 panic=-1 rdinit=/init net.ifnames=0" \
		-netdev tap,id=n0,ifname=kvtap0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:7d:01:02 \
		-device virtio-serial-pci -chardev "pipe,id=cmd,path=$T_DIR/cmd" \
		-device virtserialport,chardev=cmd,name=rxd.cmd
	KV_QEMU_PID=$LAST_PID
	# O_RDWR opens of the fifos never block, whoever comes first.
	exec {KV_W}<>"$T_DIR/cmd.in"
	exec {KV_R}<>"$T_DIR/cmd.out"
	for _ in $(seq 1200); do
		grep -qs 'rxd-guest: ready' "$T_DIR/console.log" && break
		kill -0 "$KV_QEMU_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -qs 'rxd-guest: ready' "$T_DIR/console.log"; then
		echo "FATAL: the guest did not come up within 120 s"
		tail -n 30 "$T_DIR/console.log" "$T_DIR/qemu.log" 2>/dev/null | sed 's/^/  /'
		KV_FAILED=1
		return 1
	fi
	KV_BOOT_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
	if grep -a 'insmod .* failed' "$T_DIR/console.log"; then
		KV_FAILED=1
		[ "${RXD_KERNEL_DEBUG:-0}" = 1 ] || return 1
	fi
	return 0
}

# kv_init TAG AF_RXPERF: skips (77) without af_rxperf, root or a usable qemu;
# then the harness's log directory and namespace name, and the cleanup trap.
kv_init() {
	local why
	[ -x "$2" ] || skip "af_rxperf not built ($2)"
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, TAP devices)"
	why=$(kv_qemu_usable) || skip "kernel $1: $why"
	ix_init "$1"
	# The signal that ended the run, for kv_cleanup (the harness's INT/TERM trap exits 130 either way).
	trap 'KV_SIGNAL=SIGINT; exit 130' INT
	trap 'KV_SIGNAL=SIGTERM; exit 130' TERM
	# exit 3 (kv_attempts): checks failed after the guest kernel hung or died
	trap 'kv_cleanup $?; cleanup; [ "${KV_EXIT:-}" = 3 ] && [ "${KV_ATTEMPT:-}" = 1 ] && exit 3' EXIT
}

# kv_setup AF_RXPERF: the kernel (kernel_fetch.sh), the initramfs with
# KV_MODULES, the namespace with rxd's TAP routed for IPv4 and IPv6, and the
# guest booted.  Sets KV_ROOT; returns 1 (after saying why) on failure.
kv_setup() {
	local t0
	t0=$(date +%s)
	KV_ROOT=$("$KV_LIB_DIR/kernel_fetch.sh" | sed -n 's/^KV_ROOT=//p')
	[ -n "$KV_ROOT" ] || { echo "FATAL: kernel_fetch.sh failed"; return 1; }
	echo "kernel: $(basename "$KV_ROOT") (cache $(dirname "$KV_ROOT"), $(($(date +%s) - t0)) s)"
	rm -f "$T_DIR/guest.died" # of an earlier run in a kept directory
	kv_build_initramfs "$KV_ROOT" "$1" "$T_DIR/initramfs.cpio" || { echo "FATAL: initramfs"; return 1; }
	ix_ns_up
	# rxd_interop_lib turns IPv6 off in its namespace; these tests route it.
	ix_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
	ix_ns sysctl -qw "net.ipv6.conf.$IX_KDEV.disable_ipv6=0"
	# Every rxd process sets the TAP down when it exits, and the kernel drops a
	# link's IPv6 addresses when it goes down unless told to keep them.
	ix_ns sysctl -qw "net.ipv6.conf.$IX_KDEV.keep_addr_on_down=1" "net.ipv6.conf.$IX_KDEV.accept_dad=0"
	ix_ns ip -6 addr add "$KV_KERNEL_IP6/64" dev "$IX_KDEV" nodad
	kv_boot "$KV_ROOT" "$T_DIR/initramfs.cpio" || return 1
	echo "guest up in ${KV_BOOT_S} s ($(grep -am1 'rxd-guest: kernel' "$T_DIR/console.log"))"
}

# kv_jumbo_up: the MTU-9000 path for jumbograms.  DPDK 22.11's net_tap takes
# frames of 1522 bytes at most, and net_af_packet tells ethdev the same
# (max_rx_pktlen 1518, so rte_eth_dev_configure refuses an MTU of 9000 though
# its ring's framesz could hold the frames); net_pcap states no limit.  So a
# veth pair at 9000, rxjv0 (router, KV_JUMBO_GW/24) / rxjv1 (no address; an
# rxd reaches it through net_pcap, KV_JUMBO_VDEV, which gives the port a MAC
# of its own and listens promiscuously: the namespace, which forwards, never
# takes rxd's frames for its own), and the guest's link raised to 9000:
# kvtap0 here, eth0 in the guest (kv_guest_mtu).  Returns 1 when the
# namespace's side could not be made.
KV_JUMBO_VDEV="net_pcap0,iface=rxjv1"
kv_jumbo_up() {
	KV_MTU=9000
	ix_ns ip link add rxjv0 mtu "$KV_MTU" type veth peer name rxjv1 mtu "$KV_MTU" || return 1
	ix_ns sysctl -qw net.ipv6.conf.rxjv1.disable_ipv6=1
	ix_ns ip link set rxjv1 up
	ix_ns ip addr add "$KV_JUMBO_GW/24" dev rxjv0
	ix_ns ip link set rxjv0 up
	ix_ns ip link set kvtap0 mtu "$KV_MTU" || return 1
	kv_guest_mtu
}

# kv_guest_mtu: the guest's eth0 at KV_MTU (a rebooted guest needs it again).
kv_guest_mtu() {
	kv_guest_check "guest: eth0 MTU $KV_MTU" "ip link set eth0 mtu $KV_MTU && ip link show eth0 | grep -o 'mtu [0-9]*'"
}

# kv_guest TIMEOUT CMD: run CMD (one shell line) in the guest; prints its
# output, returns its exit status (124 when TIMEOUT seconds passed).
kv_guest() {
	local tmo=$1 id line part end
	shift
	if [ -e "$T_DIR/guest.down" ]; then
		echo "the guest hung or died during an earlier check (guest console below)" >&2
		return 125
	fi
	# Within run_check, the guest kills the command a little before run_check's
	# own timeout(1) would kill this function, so it answers and goes on.
	[ -n "${RUN_CHECK_TMO:-}" ] && [ "$((RUN_CHECK_TMO - 5))" -lt "$tmo" ] && tmo=$((RUN_CHECK_TMO - 5))
	# Unique without shared state: run_check calls this in a child bash (export -f).
	id="c$BASHPID.$RANDOM"
	printf '%s %s %s\n' "$id" "$tmo" "$*" >&"$KV_W"
	end=$((SECONDS + tmo + 3))
	part=""
	while [ "$SECONDS" -lt "$end" ]; do
		# read -t keeps what it got of a line when it times out: a line that
		# arrives in two pieces across the timeout is joined, not split in two.
		if ! IFS= read -r -t 1 line <&"$KV_R"; then
			part=$part$line
			if ! kill -0 "$KV_QEMU_PID" 2>/dev/null; then
				# a guest panic ends qemu (-no-reboot)
				kv_guest_down
				return 125
			fi
			continue
		fi
		line=$part$line
		part=""
		case $line in
		"@@rxd-done $id "*) return "${line##* }" ;;
		"@@rxd-done "*) ;; # a late answer to a command that timed out
		*) printf '%s\n' "$line" ;;
		esac
	done
	# The guest did not even kill the command: its kernel is stuck (a task in
	# D state, an oops in rxrpc's I/O thread).  Later checks fail at once.
	kv_guest_down
	return 124
}

# kv_guest_down: the guest kernel hung or died: guest.down until a reboot,
# guest.died for the rest of the run (kv_cleanup, kv_attempts).
kv_guest_down() {
	: >"$T_DIR/guest.down"
	: >"$T_DIR/guest.died"
}

# kv_attempts ARGS: at the top of a test script (ARGS its arguments): runs the
# script, and once more on a fresh guest when the guest kernel hung or died
# in that run and checks failed (it exits 3 then, see kv_cleanup).  Debian's
# 6.12 under TCG has been seen to panic in rxrpc's I/O thread (a double
# fault in kmem_cache_alloc under udp_sendmsg) during a kafs write and to
# hang in a 64 MiB receive; its console is printed either way.  Any other
# outcome of the first run stands.
kv_attempts() {
	local rc
	[ -n "${KV_ATTEMPT:-}" ] && return 0
	KV_ATTEMPT=1 "$0" "$@"
	rc=$?
	[ "$rc" = 3 ] || exit "$rc"
	echo "NOTE: the guest kernel hung or died in that run (console above): the whole test once more on a fresh guest"
	KV_ATTEMPT=2 RXD_INTEROP_KEEP=${RXD_INTEROP_KEEP:+$RXD_INTEROP_KEEP/attempt2} "$0" "$@"
	rc=$?
	[ "$rc" = 3 ] && rc=1
	exit "$rc"
}

# kv_reboot: a fresh guest after the old one stopped answering (kv_guest marks
# it wedged): qemu killed, its TAP and command channel made anew, then the
# test's kv_after_boot (its guest servers, the clock) when it defines one.
kv_reboot() {
	if [ -n "$KV_QEMU_PID" ]; then
		kill -9 "$KV_QEMU_PID" 2>/dev/null
		wait_pid "$KV_QEMU_PID" 10 >/dev/null
	fi
	exec {KV_W}>&- {KV_R}<&-
	ix_ns ip link del kvtap0 2>/dev/null
	kv_console_tail
	mv "$T_DIR/console.log" "$T_DIR/console.wedged.log" 2>/dev/null
	kv_boot "$KV_ROOT" "$T_DIR/initramfs.cpio" || return 1
	echo "  guest rebooted in ${KV_BOOT_S} s"
	if declare -F kv_after_boot >/dev/null; then kv_after_boot; fi
}

# kv_console_tail: the guest kernel's last console lines (oopses, hung tasks).
kv_console_tail() {
	[ -f "$T_DIR/console.log" ] || return 0
	echo "guest console (last 60 lines):"
	tr -d '\r' <"$T_DIR/console.log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | tail -n 60 | sed 's/^/  console: /'
}

# kv_guest_check NAME CMD [TIMEOUT]: a guest command must exit 0 (within TIMEOUT s, 60).
kv_guest_check() {
	local out
	if out=$(kv_guest "${3:-60}" "$2" 2>&1); then
		result PASS "$1" "$(printf '%s' "$out" | tail -n1)"
	else
		result FAIL "$1" "$(printf '%s' "$out" | tail -n3 | tr '\n' ' ')"
	fi
}

# kv_cleanup RC: called from the test's EXIT trap (RC its exit status) before
# the harness's cleanup, which deletes T_DIR.  Unless the run is a clean pass
# or a skip, the guest console is kept in /tmp/rxd-kernel-failed/ first, before
# qemu is stopped: meson's timeout sends SIGTERM to the test's process group
# and SIGKILL half a second later.
kv_cleanup() {
	local rc=$1 f
	if [ "${KV_FAILED:-0}" = 1 ] || [ "$T_FAILS" != 0 ] || { [ "$rc" != 0 ] && [ "$rc" != 77 ]; }; then
		[ -e "$T_DIR/guest.died" ] && KV_EXIT=3
		for f in "$T_DIR"/console*.log; do
			[ -f "$f" ] || continue
			mkdir -p /tmp/rxd-kernel-failed
			cp "$f" "/tmp/rxd-kernel-failed/$(basename "$f" .log)-$$.log" &&
				echo "guest console log kept in /tmp/rxd-kernel-failed/$(basename "$f" .log)-$$.log"
		done
		if [ -n "${KV_SIGNAL:-}" ]; then
			echo "ended by $KV_SIGNAL (meson's timeout sends it), exit status $rc, $T_FAILS check(s) failed before"
		else
			echo "exit status $rc, $T_FAILS check(s) failed"
		fi
		kv_console_tail
	fi
	if [ -n "$KV_QEMU_PID" ] && kill -0 "$KV_QEMU_PID" 2>/dev/null; then
		kill "$KV_QEMU_PID" 2>/dev/null
		for _ in $(seq 30); do kill -0 "$KV_QEMU_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$KV_QEMU_PID" 2>/dev/null
	fi
}

# kv_qemu_usable: 0 when qemu can run a guest here, else prints why.
kv_qemu_usable() {
	command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not installed"; return 1; }
	[ -c /dev/net/tun ] || { echo "/dev/net/tun missing (no TAP for the guest)"; return 1; }
	qemu-system-x86_64 -machine q35,accel="${RXD_KERNEL_ACCEL:-tcg}" -display none -S -nodefaults \
		-monitor none -serial none >/dev/null 2>&1 &
	local p=$! ok=1
	sleep 0.5
	kill -0 "$p" 2>/dev/null && ok=0
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	[ "$ok" = 0 ] || echo "qemu-system-x86_64 cannot start a machine (accel ${RXD_KERNEL_ACCEL:-tcg})"
	return "$ok"
}
