# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# The one shell library of rxd's tests, scripts and benchmarks (sourced):
# processes started and ended by pid, bounded waits, private network
# namespaces, EAL arguments with unique --file-prefixes, the memif
# server+client pair, fields of JSON result lines, PASS/FAIL accounting, and
# cleanup of all of it on exit (processes by pid, namespaces by name, DPDK
# runtime files of our prefixes, the temp dir).
#
# Environment:
#   RXD               the rxd binary (default: rxd in PATH)
#   RXD_QUICK=1       shorter runs: tests skip their 64 MiB transfers,
#                     scripts/run.sh and bench/side_by_side.sh run 1-2 s scenarios
#   RXD_TEST_HUGE=1   hugepages (--in-memory) instead of --no-huge
#   RXD_TEST_MEM=MB   EAL memory with --no-huge (1024)
#
# Run as a program it offers the memif pair to other languages:
#   harness.sh memif-pair [-i IDLE_US] NAME WORKERS [server args] -- [client args]
# prints the client's JSON line (bench/side_by_side.py uses it).
set -u

RXD=${RXD:-rxd}
T_NAME=${T_NAME:-$(basename "$0" .sh)}
T_DIR=$(mktemp -d /tmp/rxd-test.XXXXXX)
T_KEEP=""     # set by keep_dir: T_DIR survives the exit
T_PIDS=()
T_NETNS=()
T_FAIL=0
T_PASSES=0
T_FAILS=0
T_SKIPS=0
T_ID=$$
T_PREFIX=rxdt${T_ID}_ # every EAL --file-prefix starts with it; the _ keeps pid 12 from matching pid 123
LAST_PID=""
RUN_JSON="" # run_check: the last command's JSON line

DRIVERS_CONFIG=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../drivers-config" && pwd)

# ------------------------------------------------------------------ outcomes

skip() { echo "SKIP: $*"; exit 77; }
note() { echo "== $*"; }

# result PASS|FAIL|SKIP name detail: one counted line.
result() {
	case $1 in
	PASS) T_PASSES=$((T_PASSES + 1)) ;;
	FAIL) T_FAILS=$((T_FAILS + 1)); T_FAIL=1 ;;
	SKIP) T_SKIPS=$((T_SKIPS + 1)) ;;
	esac
	printf '%s %-40s %s\n' "$1" "$2" "$3"
}

fail() { echo "FAIL: $*"; T_FAILS=$((T_FAILS + 1)); T_FAIL=1; }

# finish [what]: the summary line and the exit code (0 all passed, 1 a failure).
finish() {
	local what=${1:-$T_NAME}
	if [ "$T_PASSES$T_SKIPS" != 00 ]; then
		echo "$what: $T_PASSES passed, $T_FAILS failed, $T_SKIPS skipped"
	fi
	if [ "$T_FAIL" = 0 ]; then echo "PASS: $what"; exit 0; fi
	echo "FAILED: $what"
	exit 1
}

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (DPDK, namespaces)"
}

quick() { [ "${RXD_QUICK:-0}" = 1 ]; }

# keep_dir VAR: logs go to the directory named by the environment variable
# VAR, kept after the exit, when it is set.  Only an absolute path is taken
# (RXD_INTEROP_KEEP=1 once made a directory "1" inside the repository).
keep_dir() {
	local dir=${!1:-}
	[ -n "$dir" ] || return 0
	case $dir in
	/*) ;;
	*) echo "$1 must be an absolute directory path, got '$dir'" >&2; exit 2 ;;
	esac
	mkdir -p "$dir" || { echo "$1: cannot create $dir" >&2; exit 2; }
	rm -rf "$T_DIR"
	T_DIR=$dir
	T_KEEP=1
}

# ------------------------------------------------------------------ processes

bg() { # log cmd...: run in the background; its pid is in LAST_PID (call it directly, not in $(...))
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	LAST_PID=$!
	T_PIDS+=("$LAST_PID")
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

# SIGTERM, then SIGKILL after the bound; returns the exit code (124: had to kill).
stop_pid() { # pid seconds
	local rc
	kill -TERM "$1" 2>/dev/null
	wait_pid "$1" "$2"
	rc=$?
	if [ "$rc" = 124 ]; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
	fi
	return $rc
}

# Wait until pattern appears in log (grep -E), while pid lives; bounded.
wait_log() { # pid log pattern seconds
	local i
	for ((i = 0; i < $4 * 10; i++)); do
		grep -Eqs -- "$3" "$2" && return 0
		kill -0 "$1" 2>/dev/null || { grep -Eqs -- "$3" "$2"; return $?; }
		sleep 0.1
	done
	return 1
}

# start_wait log pattern seconds cmd...: bg, then wait_log; 1 (and the log's
# tail on stderr) when the pattern did not show up.
start_wait() {
	local log=$1 pat=$2 secs=$3
	shift 3
	bg "$log" "$@"
	wait_log "$LAST_PID" "$log" "$pat" "$secs" && return 0
	echo "$T_NAME: '$*' did not print '$pat' within $secs s" >&2
	tail -n 20 "$log" | sed 's/^/    /' >&2
	return 1
}

# A UDP port nothing listens on (with n-1 free ports after it).
free_udp_port() { # [n]
	local n=${1:-1} p i ok
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		ok=1
		for ((i = 0; i < n; i++)); do
			ss -Huln "sport = :$((p + i))" 2>/dev/null | grep -q . && ok=0
		done
		[ "$ok" = 1 ] && { echo "$p"; return; }
	done
	echo 29009
}

# ------------------------------------------------------------------ namespaces

netns_add() {
	ip netns add "$1" || skip "cannot create network namespace $1"
	T_NETNS+=("$1")
	ip netns exec "$1" ip link set lo up
}

# netns_veth NS A B: a namespace holding a veth pair A <-> B, both up, no IPv6
# (its chatter, RS and MLD, stays off the wire the PMDs read)
netns_veth() {
	local i
	netns_add "$1"
	ip netns exec "$1" ip link add "$2" type veth peer name "$3" || skip "no veth support"
	for i in "$2" "$3"; do
		ip netns exec "$1" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
		ip netns exec "$1" ip link set "$i" up
	done
}

cleanup() {
	local p ns
	for p in "${T_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
	done
	# SIGKILL only what is still running after the bound (wait_pid: 124), never a reaped pid
	for p in "${T_PIDS[@]}"; do wait_pid "$p" 5 || [ $? != 124 ] || kill -KILL "$p" 2>/dev/null; done
	# whatever still runs inside our namespaces is ours: end it, by pid
	for ns in "${T_NETNS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
		for _ in $(seq 30); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	[ -z "$T_KEEP" ] && rm -rf "$T_DIR"
	# EAL runtime files of our prefixes (with --no-huge there are no hugepage files)
	rm -rf /var/run/dpdk/"$T_PREFIX"* 2>/dev/null
	rm -f /dev/hugepages/"$T_PREFIX"* 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ DPDK arguments

# Load a driver profile (drivers-config/NAME.profile): sets EAL_DEV, EAL_MEM, APP_ARGS
# from the RXD_* variables set by the caller.
load_profile() {
	[ -f "$DRIVERS_CONFIG/$1.profile" ] || { echo "FAIL: no profile $1"; exit 1; }
	# shellcheck disable=SC1090
	. "$DRIVERS_CONFIG/$1.profile"
}

# EAL arguments: never touch PCI devices; no hugepages unless asked.
eal_common() { # tag (makes the --file-prefix unique)
	local mem="--no-huge -m ${RXD_TEST_MEM:-1024}"
	[ "${RXD_TEST_HUGE:-0}" = 1 ] && mem="--in-memory"
	echo "--no-pci $mem --file-prefix $T_PREFIX$1 --log-level=lib.eal:warning --log-level=pmd.net.tap:error" \
		"--log-level=lib.telemetry:crit"
}

# lcore map for N workers plus the main lcore, on the CPUs we have.
lcores() { # workers [offset]
	local n=$1 off=${2:-0} ncpu map i
	ncpu=$(nproc)
	map="0@$((off % ncpu))"
	for ((i = 1; i <= n; i++)); do map="$map,$i@$(((i + off) % ncpu))"; done
	echo "--lcores $map"
}

# Busy-polling more threads than CPUs needs an idle sleep to share them.
idle_sleep() { # total busy pollers [microseconds, default 20]
	if [ "$1" -gt "$(nproc)" ]; then echo "--idle-sleep ${2:-20}"; fi
}

# ------------------------------------------------------------------ results

# The last JSON line of a log (rxd and rxperf print one per run).
json_last() { # log
	grep -s '^{' "$1" | tail -n 1
}

# One field of a flat JSON line (the last occurrence: nested shell counters
# come after the top level), number or string.
json_field() { # json field
	printf '%s\n' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" | head -n 1
}

# check_match NAME OUTPUT ERE: PASS (with the first matching line) when a line of OUTPUT matches ERE.
check_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		result PASS "$1" "$(printf '%s\n' "$2" | grep -Em1 -- "$3")"
	else
		result FAIL "$1" "no /$3/ in: $(printf '%s\n' "$2" | head -n 30 | tr '\n' '|')"
	fi
}

# check_eq NAME GOT WANT [DETAIL]: PASS when GOT is WANT (and not empty).
check_eq() {
	if [ -n "$2" ] && [ "$2" = "$3" ]; then
		result PASS "$1" "${4:-$2}"
	else
		result FAIL "$1" "got '$2', want '$3' ${4:-}"
	fi
}

# check_ge NAME GOT MIN [DETAIL]: PASS when the number GOT is at least MIN.
check_ge() {
	if [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ]; then
		result PASS "$1" "$2 >= $3 ${4:-}"
	else
		result FAIL "$1" "got '$2', want >= $3 ${4:-}"
	fi
}

# The first number after LABEL in OUTPUT ("LABEL N", as rxdebug prints its counters).
num_after() { # output label
	printf '%s\n' "$1" | grep -Eo -- "$2 [0-9]+" | head -n1 | grep -Eo '[0-9]+$'
}

# Check an rxd client log: every call ok, no verification error, no shell drop.
check_client() { # log expected_calls what
	local log=$1 want=$2 what=$3 j ok failed verr drops
	j=$(json_last "$log")
	ok=$(json_field "$j" calls_ok)
	failed=$(json_field "$j" calls_failed)
	verr=$(json_field "$j" verify_errors)
	drops=$(json_field "$j" drops)
	if [ "$ok" != "$want" ] || [ "$failed" != 0 ] || [ "$verr" != 0 ]; then
		fail "$what: ok=$ok (want $want) failed=$failed verify_errors=$verr"
		grep -E '^(calls|first error)' "$log" | sed 's/^/    /'
		tail -3 "$log" | sed 's/^/    /'
		return 1
	fi
	if [ "${drops:-x}" != 0 ]; then
		fail "$what: shell dropped $drops packet(s)"
		printf '    %s\n' "$j"
		return 1
	fi
	echo "ok: $what ($(grep '^rate' "$log"))"
	return 0
}

# run_check NAME WANT_RC WANT_OK WANT_ABORTS TIMEOUT -- command...
# The command prints a result JSON line (doc/results-json.md: calls_ok,
# expected_aborts, calls_failed).
# WANT_RC: 0 = must succeed, 1 = must fail (any non-zero but not a timeout).
# WANT_OK / WANT_ABORTS: exact counts, or '-' to skip.
# RUN_JSON: the command's JSON line, for callers that read more fields.
run_check() {
	local name=$1 want_rc=$2 want_ok=$3 want_ab=$4 tmo=$5 out rc json why="" t0 t1 ok ab err
	local f_ok=calls_ok f_ab=expected_aborts f_err=calls_failed
	shift 6
	t0=$(date +%s.%N)
	# RUN_CHECK_TMO tells the command its budget (kv_guest passes it on to the guest).
	out=$(RUN_CHECK_TMO=$tmo timeout --kill-after=10 "$tmo" "$@" 2>"$T_DIR/last.err")
	rc=$?
	t1=$(date +%s.%N)
	json=$(printf '%s\n' "$out" | grep '^{' | tail -n1)
	# shellcheck disable=SC2034 # for the caller
	RUN_JSON=$json
	[ "$want_rc" = 0 ] && [ "$rc" != 0 ] && why="exit $rc"
	[ "$want_rc" = 1 ] && [ "$rc" = 0 ] && why="exit 0, wanted a failure"
	[ "$rc" -ge 124 ] && [ "$rc" -le 137 ] && why="killed by timeout after ${tmo}s (exit $rc)"
	[ -z "$why" ] && [ -z "$json" ] && why="no JSON line"
	if [ -z "$why" ]; then
		ok=$(json_field "$json" "$f_ok")
		ab=$(json_field "$json" "$f_ab")
		err=$(json_field "$json" "$f_err")
		[ "$want_ok" != - ] && [ "$ok" != "$want_ok" ] && why="$f_ok=$ok, wanted $want_ok"
		[ "$want_ab" != - ] && [ "$ab" != "$want_ab" ] && why="$why $f_ab=$ab, wanted $want_ab"
		[ "$want_rc" = 0 ] && [ "$err" != 0 ] && why="$why $f_err=$err"
	fi
	if [ -z "$why" ]; then
		result PASS "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%6.2fs", b-a}')  calls/s=$(json_field "$json" calls_per_s) MB/s=$(json_field "$json" mb_per_s) p50=$(json_field "$json" p50_us)us"
	else
		result FAIL "$name" "$why"
		printf '  cmd: %s\n' "$*"
		grep -v '^EAL\|^TELEMETRY' "$T_DIR/last.err" | head -n 12 | sed 's/^/  stderr: /'
		[ -n "$json" ] && printf '  json: %s\n' "$json"
	fi
}

# ------------------------------------------------------------------ the memif pair

# memif_pair [-i IDLE_US] NAME WORKERS [server args...] -- [client args...]
# An rxd server process and an rxd client process joined by net_memif
# (drivers-config/memif-{server,client}.profile; works with --no-huge, memif's
# shared memory is a memfd), each with WORKERS worker lcores.  The server
# starts first (it creates the socket) and the client once the server
# listens.  DPDK 22.11's memif PMD unmaps the shared rings as soon as the
# peer disconnects, without waiting for a worker inside rx_burst (a crash
# when it races), so the pair closes in a safe order: the client stops its
# workers and holds its port (--hold) until the server has stopped polling
# and closed.  Waits (bounded) for the client's JSON line, stops the server
# with SIGTERM, waits for the client.  Logs: $T_DIR/NAME.srv.log and
# $T_DIR/NAME.log; exit codes in PAIR_SRV_RC and PAIR_CLI_RC.  Returns 0 when
# the client printed its JSON line.
memif_pair() {
	local idle=20 name w sargs=() cargs=() seen=0 a sock spid cpid
	if [ "$1" = -i ]; then idle=$2; shift 2; fi
	name=$1 w=$2
	shift 2
	for a in "$@"; do
		if [ "$a" = -- ]; then seen=1; continue; fi
		if [ $seen = 0 ]; then sargs+=("$a"); else cargs+=("$a"); fi
	done
	sock="$T_DIR/$name.sock"
	rm -f "$sock"
	RXD_MEMIF_SOCK=$sock RXD_IP=198.18.1.1/24 load_profile memif-server
	# shellcheck disable=SC2046,SC2086
	bg "$T_DIR/$name.srv.log" timeout 600 "$RXD" $(lcores "$w" 0) $(eal_common "${name}s") $EAL_DEV -- \
		$APP_ARGS $(idle_sleep $((2 * w)) "$idle") "${sargs[@]}"
	spid=$LAST_PID
	# the socket appears when the port is probed; the workers poll once "listening" is printed
	wait_log "$spid" "$T_DIR/$name.srv.log" 'listening on' 20 && [ -S "$sock" ] ||
		echo "$T_NAME: memif server $name not listening" >&2
	RXD_MEMIF_SOCK=$sock RXD_IP=198.18.1.2/24 load_profile memif-client
	# shellcheck disable=SC2046,SC2086
	bg "$T_DIR/$name.log" timeout 600 "$RXD" $(lcores "$w" 1) $(eal_common "${name}c") $EAL_DEV -- \
		--mode client $APP_ARGS --peer 198.18.1.1:7009 --start-delay 1 $(idle_sleep $((2 * w)) "$idle") "${cargs[@]}"
	cpid=$LAST_PID
	# the JSON line is printed once the client's workers stopped polling
	wait_log "$cpid" "$T_DIR/$name.log" '^\{' 600
	stop_pid "$spid" 20
	# shellcheck disable=SC2034 # for the caller
	PAIR_SRV_RC=$?
	wait_pid "$cpid" 40
	PAIR_CLI_RC=$?
	[ "$PAIR_CLI_RC" = 124 ] && stop_pid "$cpid" 5
	[ -n "$(json_last "$T_DIR/$name.log")" ]
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	memif-pair)
		shift
		if [ "${1:-}" = -i ]; then idle=(-i "$2"); shift 2; else idle=(); fi
		name=$1
		memif_pair "${idle[@]}" "$@" || {
			echo "memif pair $name: no result" >&2
			tail -n 20 "$T_DIR/$name.log" "$T_DIR/$name.srv.log" >&2
			exit 1
		}
		json_last "$T_DIR/$name.log"
		;;
	*)
		echo "usage: $0 memif-pair [-i IDLE_US] NAME WORKERS [server args] -- [client args]" >&2
		exit 2
		;;
	esac
fi
