#!/bin/bash
# Interop with the Linux kernel's AF_RXRPC in a qemu guest (Debian's kernel,
# TCG): the kernel as client (af_rxperf in the guest) against rxd's rxperf
# server, and rxd's rxperf client against the kernel's rxperf server module
# and against af_rxperf's server; rxdebug -version against both; a tshark
# decode of each direction.  See kernel_lib.sh for the topology.
#
# usage: test_kernel_interop.sh RXPERF AF_RXPERF
# exit:  0 all passed, 1 a failure, 77 skipped (not root, or qemu cannot run)
# RXD_INTEROP_QUICK=1 skips the 64 MiB transfers; RXD_INTEROP_KEEP=DIR keeps logs.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/interop/rxd_interop_lib.sh
. "$HERE/../rxd_interop_lib.sh"
# shellcheck source=tests/interop/kernel/kernel_lib.sh
. "$HERE/kernel_lib.sh"

RXPERF=${1:?usage: $0 RXPERF AF_RXPERF}
AF=${2:?usage: $0 RXPERF AF_RXPERF}
T_START=$(date +%s)
[ -x "$RXPERF" ] || ix_skip_all "rxperf not built ($RXPERF)"
[ -x "$AF" ] || ix_skip_all "af_rxperf not built ($AF)"
[ "$(id -u)" = 0 ] || ix_skip_all "needs root (network namespaces, TAP devices)"
why=$(kv_qemu_usable) || ix_skip_all "kernel interop: $why"
ix_init kern
trap 'kv_cleanup; ix_cleanup' EXIT

# ------------------------------------------------------------- kernel + guest
t0=$(date +%s)
KV_ROOT=$("$HERE/kernel_fetch.sh" | sed -n 's/^KV_ROOT=//p')
[ -n "$KV_ROOT" ] || { echo "FATAL: kernel_fetch.sh failed"; exit 1; }
echo "kernel: $(basename "$KV_ROOT") (cache $(dirname "$KV_ROOT"), $(($(date +%s) - t0)) s)"
kv_build_initramfs "$KV_ROOT" "$AF" "$IX_LOG/initramfs.cpio" || { echo "FATAL: initramfs"; exit 1; }

ix_ns_up
# rxd_interop_lib turns IPv6 off in its namespace; this test routes it.
ix_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
ix_ns sysctl -qw "net.ipv6.conf.$IX_KDEV.disable_ipv6=0"
ix_ns ip -6 addr add "$KV_KERNEL_IP6/64" dev "$IX_KDEV" nodad
kv_boot "$KV_ROOT" "$IX_LOG/initramfs.cpio" || exit 1
echo "guest up in ${KV_BOOT_S} s ($(grep -am1 'rxd-guest: kernel' "$IX_LOG/console.log"))"

export KV_W KV_R KV_QEMU_PID
export -f kv_guest
# GUEST cmd...: runs one command line in the guest (ix_run runs it under timeout(1)).
GUEST=(bash -c 'kv_guest 900 "$*"' kv_guest)
RXD_ROUTES=(--gw "$IX_KERNEL_IP" --ip6 "$KV_RXD_IP6/64" --gw6 "$KV_KERNEL_IP6")

# ------------------------------------------- the kernel's client -> rxd server
ix_rxd_server_start "$RXPERF" kc "${RXD_ROUTES[@]}"
echo "rxd rxperf server on $IX_RXD_IP:7009 and [$KV_RXD_IP6]:7009"
if kv_guest 20 "ping -c 1 -W 5 $IX_RXD_IP" >/dev/null; then
	ix_result PASS "guest reaches rxd (ping)" ""
else
	ix_result FAIL "guest reaches rxd (ping)" ""
fi
AFC=("${GUEST[@]}" af_rxperf client --json --cookie)
ix_run "kernel client: rpc 0/0" 0 1 0 60 -- "${AFC[@]}" --timeout 50 -a "$IX_RXD_IP" -c rpc -S 0 -R 0 -T 1
ix_rxd_server_stop "rxd server exits on SIGTERM"

# ------------------------------------------- rxd client -> the kernel's servers
EAL=($(ix_eal c))
RXD=(ip netns exec "$IX_NS" "$RXPERF" "${EAL[@]}" -- client --ip "$IX_RXD_IP/$IX_PREFIX_LEN" "${RXD_ROUTES[@]}"
	"${IX_RXD_EXTRA[@]}" --json)
ix_run "rxd -> kernel rxperf.ko: rpc 0/0" 0 1 0 60 -- "${RXD[@]}" --timeout 50 -a "$KV_GUEST_IP" --cookie -c rpc -S 0 -R 0 -T 1
kv_guest 10 "af_rxperf server -p 7010 -d 900 > /tmp/srv7010.log 2>&1 &"
sleep 0.5
ix_run "rxd -> af_rxperf server: rpc 0/0" 0 1 0 60 -- "${RXD[@]}" --timeout 50 -a "$KV_GUEST_IP" -p 7010 -c rpc -S 0 -R 0 -T 1

echo "stage time: $(($(date +%s) - T_START)) s"
ix_summary "Linux kernel AF_RXRPC (qemu guest) vs rxd"
