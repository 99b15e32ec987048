#!/bin/bash
# SPDX-License-Identifier: MIT
# Common helpers of the DPDK tests: root check, unique EAL file prefixes,
# --no-huge by default (RXD_TEST_HUGE=1 uses hugepages), bounded runs,
# cleanup of every process and namespace a test created (by pid / name).
set -u

RXD=${RXD:-rxd}
T_NAME=${T_NAME:-$(basename "$0" .sh)}
T_DIR=$(mktemp -d /tmp/rxd-test.XXXXXX)
T_PIDS=()
T_NETNS=()
T_FAIL=0
T_ID=$$

DRIVERS_CONFIG=$(cd "$(dirname "$0")/../../drivers-config" 2>/dev/null && pwd)

# Load a driver profile (drivers-config/NAME.profile): sets EAL_DEV, EAL_MEM, APP_ARGS
# from the RXD_* variables set by the caller.
load_profile() {
	[ -f "$DRIVERS_CONFIG/$1.profile" ] || { echo "FAIL: no profile $1"; exit 1; }
	# shellcheck disable=SC1090
	. "$DRIVERS_CONFIG/$1.profile"
}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; T_FAIL=1; }
note() { echo "== $*"; }

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (DPDK, namespaces)"
}

# EAL arguments: never touch PCI devices; no hugepages unless asked.
eal_common() { # prefix
	local mem="--no-huge -m ${RXD_TEST_MEM:-1024}"
	[ "${RXD_TEST_HUGE:-0}" = 1 ] && mem="--in-memory"
	echo "--no-pci $mem --file-prefix rxdt$T_ID$1 --log-level=lib.eal:warning --log-level=pmd.net.tap:error"
}

# lcore map for N workers plus the main lcore, on the CPUs we have.
lcores() { # workers [offset]
	local n=$1 off=${2:-0} ncpu map i
	ncpu=$(nproc)
	map="0@$(( off % ncpu ))"
	for ((i = 1; i <= n; i++)); do map="$map,$i@$(( (i + off) % ncpu ))"; done
	echo "--lcores $map"
}

# Busy-polling more threads than CPUs needs an idle sleep to share them.
idle_sleep() { # total busy pollers in this test
	if [ "$1" -gt "$(nproc)" ]; then echo "--idle-sleep 20"; fi
}

bg() { # log cmd...: run in the background; its pid is in LAST_PID (call it directly, not in $(...))
	local log=$1; shift
	"$@" >"$log" 2>&1 &
	LAST_PID=$!
	T_PIDS+=("$LAST_PID")
}

netns_add() {
	ip netns add "$1" || skip "cannot create network namespace $1"
	T_NETNS+=("$1")
	ip netns exec "$1" ip link set lo up
}

cleanup() {
	local p
	for p in "${T_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
	done
	sleep 0.5
	for p in "${T_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	done
	for p in "${T_NETNS[@]}"; do ip netns del "$p" 2>/dev/null; done
	rm -rf "$T_DIR"
	# EAL runtime files of our prefixes (with --no-huge there are no hugepage files)
	rm -rf /var/run/dpdk/rxdt$T_ID* 2>/dev/null
}
trap cleanup EXIT

# Extract a numeric field from the last JSON line of a log.
json_field() { # log field
	grep '^{' "$1" | tail -1 | sed -n "s/.*\"$2\":\([-0-9.]*\).*/\1/p"
}

# Check a client log: every call ok, no verification error, no shell drop.
check_client() { # log expected_calls what
	local log=$1 want=$2 what=$3 ok failed verr drops
	ok=$(json_field "$log" calls_ok)
	failed=$(json_field "$log" calls_failed)
	verr=$(json_field "$log" verify_errors)
	drops=$(json_field "$log" drops)
	if [ "$ok" != "$want" ] || [ "$failed" != 0 ] || [ "$verr" != 0 ]; then
		fail "$what: ok=$ok (want $want) failed=$failed verify_errors=$verr"
		grep -E '^(calls|first error)' "$log" | sed 's/^/    /'
		tail -3 "$log" | sed 's/^/    /'
		return 1
	fi
	if [ "${drops:-x}" != 0 ]; then
		fail "$what: shell dropped $drops packet(s)"
		grep '^{' "$log" | tail -1 | sed 's/^/    /'
		return 1
	fi
	echo "ok: $what ($(grep '^rate' "$log"))"
	return 0
}

# Wait until pid exits (bounded); returns its exit code or 124 on timeout.
wait_pid() { # pid seconds
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || { wait "$1"; return $?; }
		sleep 0.1
	done
	return 124
}

finish() {
	if [ "$T_FAIL" = 0 ]; then echo "PASS: $T_NAME"; exit 0; fi
	echo "FAILED: $T_NAME"
	exit 1
}
