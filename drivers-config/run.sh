#!/bin/bash
# SPDX-License-Identifier: MIT
# Run rxd with a driver profile:
#   drivers-config/run.sh PROFILE [app args...]
# Environment: RXD (the binary, default: rxd in PATH or build-dpdk/app/rxd/rxd),
# RXD_LCORES (EAL lcore map, default "-l 0,1"), RXD_PREFIX (file prefix,
# default rxd-<profile>), plus the variables each profile reads.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 PROFILE [app args...]" >&2; exit 2; }
profile=$1
shift
[ -f "$profile" ] || profile="$here/$profile"
[ -f "$profile" ] || profile="$profile.profile"
[ -f "$profile" ] || { echo "run.sh: no profile $1" >&2; exit 2; }
# shellcheck disable=SC1090
. "$profile"
if [ -z "${RXD:-}" ]; then
	if command -v rxd >/dev/null; then RXD=rxd; else RXD="$here/../build-dpdk/app/rxd/rxd"; fi
fi
name=$(basename "$profile" .profile)
# shellcheck disable=SC2086
exec "$RXD" ${RXD_LCORES:--l 0,1} --file-prefix "${RXD_PREFIX:-rxd-$name}" $EAL_MEM $EAL_DEV -- $APP_ARGS "$@"
