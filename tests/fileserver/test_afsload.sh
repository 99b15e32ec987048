#!/bin/bash
# SPDX-License-Identifier: MIT
# rxd-afsload (app/afsload) against rxd-fileserver: both on net_af_packet at
# the two ends of a veth pair in a private namespace, as
# bench/fileserver_side_by_side.py runs them.  Functional only (no timing):
#   - a full run (the volume looked up by name in rxd-fileserver's VL
#     service, create, store, fetch twice, status, remove) of files whose
#     size is not a multiple of any packet or piece size: exit 0, every call
#     of every phase ok, no verify error;
#   - fetched bytes checked against another pattern (--check-seed): the run
#     must fail with verify errors (the check can fail);
#   - files kept, then created again under the same names: CreateFile is
#     refused (EEXIST) and the run must fail (an error is never counted away);
#   - an unknown volume name: the VL lookup fails and so does the run.
#   test_afsload.sh RXD_FILESERVER RXD_AFSLOAD
FS=${1:?usage: $0 RXD_FILESERVER RXD_AFSLOAD}
LOAD=${2:?usage: $0 RXD_FILESERVER RXD_AFSLOAD}
. "$(dirname "$0")/../../scripts/lib/harness.sh"
require_root

NS=rxdt${T_ID}al
A=rxfa$((T_ID % 100000))
B=rxfb$((T_ID % 100000))
VOL=536870912
netns_veth "$NS" "$A" "$B"
nsx() { ip netns exec "$NS" "$@"; }

RXD_VETH=$A RXD_IP=198.18.11.1/24 load_profile afpacket-veth
# shellcheck disable=SC2046,SC2086
start_wait "$T_DIR/fs.log" listening 60 ip netns exec "$NS" timeout 600 "$FS" $(lcores 1 0) $(eal_common fs) $EAL_DEV -- \
	$APP_ARGS --vice "$T_DIR/vice" --anonymous write --idle-sleep 20 ||
	{ echo "FATAL: rxd-fileserver did not start"; exit 1; }
FS_PID=$LAST_PID

# load NAME WANT_RC args...: one rxd-afsload run; its JSON lines in $T_DIR/NAME.log
load() {
	local name=$1 want=$2 rc
	shift 2
	RXD_VETH=$B RXD_IP=198.18.11.2/24 load_profile afpacket-veth
	# shellcheck disable=SC2046,SC2086
	nsx timeout 300 "$LOAD" $(lcores 1 1) $(eal_common "$name") $EAL_DEV -- $APP_ARGS --server 198.18.11.1 \
		--idle-sleep 20 --timeout 240 "$@" >"$T_DIR/$name.log" 2>&1
	rc=$?
	if [ "$rc" != "$want" ]; then
		result FAIL "$name" "exit $rc, wanted $want"
		grep -v '^{' "$T_DIR/$name.log" | tail -n 12 | sed 's/^/  /'
		return 1
	fi
	return 0
}

# phase NAME PHASE FIELD VALUE: one field of a phase's JSON line
phase_is() {
	local j
	j=$(grep "\"scenario\":\"$2\"" "$T_DIR/$1.log" | tail -n 1)
	[ "$(json_field "$j" "$3")" = "$4" ]
}

SIZE=$((1048576 + 4099))
# the volume by name, from rxd-fileserver's built-in VL service; the others by id
if load full 0 --vl 198.18.11.1 --volume root.cell --files 6 --size $SIZE --concurrency 8 --passes 2 --status-calls 3000; then
	bad=""
	for p in create store remove; do
		phase_is full $p calls_ok 6 && phase_is full $p calls_failed 0 || bad="$bad $p"
	done
	phase_is full fetch calls_ok 12 && phase_is full fetch verify_errors 0 || bad="$bad fetch"
	phase_is full status calls_ok 3000 && phase_is full status calls_failed 0 || bad="$bad status"
	if [ -z "$bad" ]; then
		result PASS "full run" "6 files of $SIZE B stored, fetched twice byte-exact, 3000 FetchStatus, removed"
	else
		result FAIL "full run" "wrong counts in:$bad"
		grep '^{' "$T_DIR/full.log" | sed 's/^/  /'
	fi
fi

if load badcheck 1 --volume-id $VOL --files 2 --size 100000 --concurrency 2 --mix store,fetch --check-pattern 7; then
	if grep -q 'first error: fetch of file .*differ' "$T_DIR/badcheck.log" && ! phase_is badcheck fetch verify_errors 0; then
		result PASS "verification" "bytes checked against another pattern fail the run"
	else
		result FAIL "verification" "no verify error reported"
		tail -n 5 "$T_DIR/badcheck.log" | sed 's/^/  /'
	fi
fi

if load keep 0 --volume-id $VOL --files 3 --size 1000 --concurrency 3 --mix store --keep --prefix twice &&
	load again 1 --volume-id $VOL --files 3 --size 1000 --concurrency 3 --mix store --prefix twice; then
	if grep -q 'first error: create of file .*abort code 17' "$T_DIR/again.log"; then
		result PASS "errors" "CreateFile of existing names (EEXIST) fails the run"
	else
		result FAIL "errors" "expected the EEXIST abort reported"
		tail -n 5 "$T_DIR/again.log" | sed 's/^/  /'
	fi
fi

if load novol 1 --vl 198.18.11.1 --volume no.such.volume --files 1 --size 1; then
	if grep -q 'first error: VL lookup of no.such.volume: REMOTELY_ABORTED 363524' "$T_DIR/novol.log"; then
		result PASS "VL lookup" "an unknown volume (VL_NOENT) fails the run"
	else
		result FAIL "VL lookup" "expected VL_NOENT (363524) reported"
		tail -n 5 "$T_DIR/novol.log" | sed 's/^/  /'
	fi
fi

stop_pid "$FS_PID" 20 || fail "rxd-fileserver did not exit 0 on SIGTERM"
drops=$(json_field "$(sed -n 's/^rxd-fileserver: stats //p' "$T_DIR/fs.log" | tail -n 1)" drops)
[ "${drops:-x}" = 0 ] || fail "rxd-fileserver shell drops: ${drops:-no stats line}"
finish
