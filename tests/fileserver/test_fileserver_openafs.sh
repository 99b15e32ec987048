#!/bin/bash
# rxd-fileserver (DPDK, in a private netns behind a TAP) driven by an
# independent RXAFS client: tests/fileserver/openafs_fs_client, OpenAFS's own
# rx and rxgen client stubs.  See tests/interop/rxd_interop_lib.sh for the
# topology.  Checks every operation (openafs_fs_client suite), durability
# across a restart, the --anonymous policies, and a clean SIGTERM exit.
#
# usage: test_fileserver_openafs.sh RXD_FILESERVER OPENAFS_FS_CLIENT
# exit:  0 all passed, 1 a failure, 77 skipped (not root / tool missing)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/interop/rxd_interop_lib.sh
. "$HERE/../interop/rxd_interop_lib.sh"

# shellcheck source=tests/fileserver/fs_lib.sh
. "$HERE/fs_lib.sh"
FS=${1:?usage: $0 RXD_FILESERVER OPENAFS_FS_CLIENT}
CLIENT=${2:?usage: $0 RXD_FILESERVER OPENAFS_FS_CLIENT}
fs_setup fs 600

# ---------------------------------------------------------------- every operation
fs_start main --anonymous write --io-threads 2
echo "rxd-fileserver up: $(grep listening "$FS_OUT")"
if quick; then
	client_run suite suite
else
	client_run suite suite --big
fi

# ---------------------------------------------------------------- callbacks: two clients
# the server's UUID is made at its first start and kept in the partition (doc/fileserver.md)
UUID=$(head -n 1 "$VICE/rxd-fileserver.uuid" 2>/dev/null)
if [[ $UUID =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]; then
	result PASS "server UUID kept in the partition" "$UUID"
else
	result FAIL "server UUID kept in the partition" "'$UUID'"
fi
client_run callbacks callbacks "$UUID" one

# ---------------------------------------------------------------- durability across a restart
client_run durable-put put durable 3000000 77
fs_stop "fileserver clean exit (after the suite)"
IX_RXD_WORKERS=2 fs_start restart --anonymous write --io-threads 3 --sync
client_run durable-get get durable 3000000 77
if [ "$(head -n 1 "$VICE/rxd-fileserver.uuid")" = "$UUID" ]; then
	result PASS "server UUID the same after a restart" "$UUID"
else
	result FAIL "server UUID the same after a restart" "$(head -n 1 "$VICE/rxd-fileserver.uuid") != $UUID"
fi
# two workers: A and B may be on different lcores (breaks cross over the callback rings)
client_run callbacks-2w callbacks "$UUID" two
client_run second-get get f1m 1048576 3

# ---------------------------------------------------------------- several client processes at once
pids=()
for i in 1 2 3 4; do
	"${CL[@]}" put "proc$i" $((i * 300000)) $((100 + i)) >"$T_DIR/proc$i.log" 2>&1 &
	pids+=($!)
done
ok=1
for p in "${pids[@]}"; do wait "$p" || ok=0; done
for i in 1 2 3 4; do
	"${CL[@]}" get "proc$i" $((i * 300000)) $((100 + i)) >>"$T_DIR/proc$i.log" 2>&1 || ok=0
done
if [ "$ok" = 1 ]; then
	result PASS "4 client processes storing at once" "each read back whole"
else
	result FAIL "4 client processes storing at once" "$(cat "$T_DIR"/proc*.log | grep FAIL | head -n 3 | tr '\n' ' ')"
fi
fs_stop "fileserver clean exit (two workers, --sync)"

# ---------------------------------------------------------------- --anonymous read / none
fs_start ro --anonymous read
client_run anonymous-read access read
fs_stop "fileserver clean exit (anonymous read)"
fs_start none --anonymous none
client_run anonymous-none access none
fs_stop "fileserver clean exit (anonymous none)"

# ---------------------------------------------------------------- operator errors: one line naming the option
for args in "--anonymous maybe|--anonymous" "--io-threads 0|--io-threads" "--create-volume |--create-volume" \
	"--bogus 1|--bogus"; do
	a=${args%%|*}
	want=${args#*|}
	# shellcheck disable=SC2086
	out=$(timeout 20 "$FS" --no-pci -- --vice "$VICE" $a 2>&1)
	rc=$?
	if [ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -q -- "$want"; then
		result PASS "bad option: $a" "$out"
	else
		result FAIL "bad option: $a" "rc $rc: $out"
	fi
done
# a partition whose UUID file is not a UUID: refused (exit 1, one line), never replaced
mkdir -p "$T_DIR/badvice"
echo "not-a-uuid" >"$T_DIR/badvice/rxd-fileserver.uuid"
out=$(timeout 20 "$FS" --no-pci -- --vice "$T_DIR/badvice" 2>&1)
rc=$?
if [ "$rc" = 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -q "rxd-fileserver.uuid" &&
	[ "$(cat "$T_DIR/badvice/rxd-fileserver.uuid")" = "not-a-uuid" ]; then
	result PASS "a bad rxd-fileserver.uuid is refused" "$out"
else
	result FAIL "a bad rxd-fileserver.uuid is refused" "rc $rc: $out"
fi
out=$(timeout 20 "$FS" --no-pci -- 2>&1)
if [ $? = 2 ] && printf '%s' "$out" | grep -q -- "--vice"; then
	result PASS "missing --vice" "$out"
else
	result FAIL "missing --vice" "$out"
fi

finish "rxd-fileserver vs OpenAFS RXAFS client"
