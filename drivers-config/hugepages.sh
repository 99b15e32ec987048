#!/bin/bash
# SPDX-License-Identifier: MIT
# Hugepages for rxd, built on dpdk-hugepages.py, with a --no-huge fallback.
#
#   hugepages.sh [SIZE]   reserve SIZE of 2 MiB pages (default 1G) and mount
#                         hugetlbfs; prints the EAL memory arguments to use
#   hugepages.sh --show   current configuration
#   hugepages.sh --clear  release the pages rxd reserved and remove leftover
#                         rxd runtime files (processes must be stopped)
#
# The last line printed is always "EAL_MEM=<args>": "--in-memory" when
# hugepages are ready, otherwise "--no-huge -m <MB>" (no root, no
# dpdk-hugepages.py, or not enough free memory), e.g.
#   eval "$(drivers-config/hugepages.sh 1G | tail -1)"; rxd $EAL_MEM ...
set -u
size=${1:-1G}
tool=$(command -v dpdk-hugepages.py || true)

mb_of() { # 512M / 2G / 1048576K -> MB
	local v=${1%[KkMmGg]} u=${1: -1}
	case $u in
	K | k) echo $((v / 1024)) ;;
	M | m) echo "$v" ;;
	G | g) echo $((v * 1024)) ;;
	*) echo $((${1} / 1048576)) ;;
	esac
}

fallback() {
	echo "hugepages.sh: $1; falling back to --no-huge" >&2
	echo "EAL_MEM=\"--no-huge -m $(mb_of "$size")\""
	exit 0
}

case $size in
--show | -s)
	[ -n "$tool" ] && exec "$tool" --show
	grep -i huge /proc/meminfo
	exit 0
	;;
--clear | -c)
	[ "$(id -u)" = 0 ] || { echo "hugepages.sh: --clear needs root" >&2; exit 1; }
	rm -f /dev/hugepages/rxd*/* /dev/hugepages/rtemap_* 2>/dev/null
	if [ -n "$tool" ]; then
		"$tool" --clear
		grep -q ' /dev/hugepages hugetlbfs ' /proc/mounts && "$tool" --unmount
	else
		echo 0 >/proc/sys/vm/nr_hugepages
	fi
	exit 0
	;;
esac

[ "$(id -u)" = 0 ] || fallback "not root"
[ -n "$tool" ] || fallback "dpdk-hugepages.py not found (apt install dpdk)"
want=$(mb_of "$size")
free_mb=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
[ "$want" -lt "$((free_mb / 2))" ] || fallback "only ${free_mb} MB available for ${want} MB of hugepages"
mkdir -p /dev/hugepages 2>/dev/null # dpdk-hugepages.py mounts there
if ! "$tool" --pagesize 2M --setup "$size" >&2; then
	fallback "dpdk-hugepages.py --setup $size failed"
fi
got=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
[ "$got" -gt 0 ] || fallback "the kernel granted no 2 MiB pages"
# --in-memory needs no mount (memfd hugepages); report it for multi-process users
if grep -q ' hugetlbfs ' /proc/mounts; then
	echo "hugepages.sh: $got free 2 MiB pages, hugetlbfs mounted" >&2
else
	echo "hugepages.sh: $got free 2 MiB pages (hugetlbfs not mounted: use --in-memory)" >&2
fi
echo "EAL_MEM=\"--in-memory\""
