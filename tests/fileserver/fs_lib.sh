#!/bin/bash
# rxd-fileserver in the interop namespace (tests/interop/rxd_interop_lib.sh),
# for the fileserver test scripts: needs FS (the binary) and CLIENT (the
# OpenAFS client the script drives); fs_setup sets VICE (the partition) and
# CL (the client's command line).
# shellcheck disable=SC2034 # FS_OUT and FS_PID are the callers'

FS_PID=""

# fs_setup TAG SECS: skip unless FS and CLIENT are built; then the namespace,
# VICE, and CL (CLIENT in the namespace, bounded by SECS, against rxd).
fs_setup() {
	[ -x "$FS" ] || skip "rxd-fileserver not built ($FS)"
	[ -x "$CLIENT" ] || skip "$(basename "$CLIENT") not built (OpenAFS libraries absent: $CLIENT)"
	ix_init "$1"
	VICE="$T_DIR/vicepa"
	ix_ns_up
	CL=(ip netns exec "$IX_NS" timeout "$2" taskset -c "$IX_PEER_CPU" "$CLIENT" -a "$IX_RXD_IP")
}

# fs_start TAG [args...]: start rxd-fileserver on the store, wait until it answers ARP.
fs_start() {
	local tag=$1
	shift
	FS_OUT="$T_DIR/fs-$tag.log"
	# shellcheck disable=SC2046
	if ! start_wait "$FS_OUT" listening 20 ip netns exec "$IX_NS" "$FS" $(ix_eal "f$tag") -- --vice "$VICE" \
		--ip "$IX_RXD_IP/$IX_PREFIX_LEN" "${IX_RXD_EXTRA[@]}" $(idle_sleep $((${IX_RXD_WORKERS:-1} + 3))) "$@" ||
		! ix_wait_rxd_reachable "$LAST_PID"; then
		echo "FATAL: rxd-fileserver ($tag) did not come up"
		tail -n 20 "$FS_OUT" | sed 's/^/  server: /'
		exit 1
	fi
	FS_PID=$LAST_PID
}

# fs_stop NAME: SIGTERM, exit 0 within 15 s, no packet dropped by the shell.
fs_stop() {
	local rc
	stop_pid "$FS_PID" 15
	rc=$?
	local j drops
	j=$(sed -n 's/^rxd-fileserver: stats //p' "$FS_OUT" | tail -n 1)
	drops=$(json_field "$j" drops)
	if [ "$rc" = 0 ] && [ "$drops" = 0 ]; then
		result PASS "$1" "exit 0 after SIGTERM, no shell drops"
	else
		result FAIL "$1" "exit code $rc, drops '${drops:-no stats line}'"
		tail -n 10 "$FS_OUT" | sed 's/^/  server: /'
	fi
}

# client_run NAME args...: the client's PASS/FAIL lines become results.
client_run() {
	local name=$1 log rc
	shift
	log="$T_DIR/client-$name.log"
	"${CL[@]}" "$@" >"$log" 2>&1
	rc=$?
	while read -r word rest; do
		case $word in
		PASS) result PASS "$name: $rest" "" ;;
		FAIL) result FAIL "$name: ${rest%% -- *}" "${rest#* -- }" ;;
		SKIP) result SKIP "$name: $rest" "" ;;
		esac
	done <"$log"
	if [ "$rc" != 0 ] && ! grep -q '^FAIL' "$log"; then
		result FAIL "$name" "client exit $rc: $(tail -n 3 "$log" | tr '\n' ' ')"
	fi
}
