#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# rxd-fileserver on its embedded default, seen by a real AFS client: the
# fileserver on a TAP (DPDK net_tap, --no-huge: no NIC, no hugepages) inside
# a private network namespace, its built-in VL service locating the volume,
# and OpenAFS's afsio (openafs-client) writing a file of random bytes and
# reading it back; prints both md5 sums and the rates, then stops the server
# and removes everything (namespace, partition, files).  Root needed.
# scripts/run.sh runs it after the rxd benchmarks; doc/fileserver.md says
# how to serve a real cell.
#   scripts/fs-demo.sh [BUILD_DIR]      (default build/; RXD_QUICK=1: 16 MiB, else 64 MiB)
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
T_NAME=fs-demo
CELL_LINK=tap
CELL_CLIENT_ONLY=1
# shellcheck source=tests/fileserver/cell/cell_lib.sh
. tests/fileserver/cell/cell_lib.sh
FS=$B/app/fileserver/rxd-fileserver
[ -x "$FS" ] || skip "$FS not built (scripts/build.sh)"
[ -c /dev/net/tun ] || skip "/dev/net/tun missing (rxd-fileserver attaches to a TAP)"
SIZE=$((64 << 20))
quick && SIZE=$((16 << 20))

CELL_RXD_IP=$CELL_RXD_IP_CB CELL_RXD_PLEN=16
CELL_VL_IP=$CELL_RXD_IP # the cell's VL server is rxd-fileserver's built-in one
cell_init demo "$B/tests/fileserver/cell/afs_mkfile"
cell_up >/dev/null
cell_start_rxd "$FS"
sed -n 's/^rxd-fileserver: listening/rxd-fileserver listening/p' "$CELL_RXD_LOG"
echo "afsio (OpenAFS $(dpkg-query -W -f='${Version}' openafs-client 2>/dev/null)) in the same namespace, cell $CELL_NAME (CellServDB: $CELL_VL_IP)"
cell_mkfiles root.afs demo
echo "afsio write -md5 of $((SIZE >> 20)) MiB of random bytes to /afs/demo, then afsio read -md5: both sums must be md5sum's"
cell_afsio_check demo "$SIZE"
stop_pid "$CELL_RXD_PID" 20 || fail "rxd-fileserver did not exit 0 on SIGTERM"
finish "rxd-fileserver + afsio"
