#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The cell harness proved against OpenAFS itself: a private cell
# (vlserver, ptserver, dafileserver on a /vicepa of the temp dir, davolserver,
# salvageserver; cell_lib.sh), root.afs and root.cell made with vos create,
# then afsio writes and reads files of 0 B, 1 B and 1 MiB (and 65 MiB, the
# 64 MiB write + append path, unless RXD_QUICK=1) and both md5 sums must
# equal md5sum's.  The servers are stopped by pid and must exit.
#   test_afsio_openafs.sh AFS_MKFILE [AFS_DIROPS]   (run by meson test afsio_openafs, as root)
T_NAME=afsio_openafs
# shellcheck source=tests/fileserver/cell/cell_lib.sh
. "$(dirname "$0")/cell_lib.sh"

CELL_DIROPS=${2:-}
cell_init openafs "$1"
cell_up
cell_start_db
cell_start_openafs_fs
cell_create_volumes "$CELL_DB_IP"
cell_open_acls
cell_mkfiles root.afs empty one mib big conc
cell_run 10 vos listvldb -noauth | sed 's/^/  /'

cell_afsio_check empty 0
cell_afsio_check one 1
cell_afsio_check mib $((1 << 20))
quick || cell_afsio_check big $((65 << 20))
# the same load as afsio_rxd's: on OpenAFS every read is one whole version
cell_afsio_concurrent conc $((4 << 20)) 3 3 4
cell_dirops dirops

cell_stop QUIT "$CELL_FS_PID" "$CELL_VOL_PID"
cell_stop TERM "$CELL_SALV_PID" "$CELL_PT_PID" "$CELL_VL_PID"
[ "$T_FAIL" = 0 ] && result PASS teardown "every server exited when told to"
finish
