#!/bin/bash
# Fetch a Debian kernel with AF_RXRPC for the qemu guest of the kernel interop
# tests, without installing it: `apt-get download` into a cache, `dpkg-deb -x`
# (no maintainer scripts, nothing in /boot), and build net/rxrpc/rxperf.c
# (Debian builds the kernel without CONFIG_RXPERF) out of tree from Debian's
# linux-source against the matching headers.
#
# usage: kernel_fetch.sh            prints KV_ROOT=<dir> on its last line
# The cache (RXD_KERNEL_CACHE, default /var/cache/rxd-kernel) keeps the .debs,
# the unpacked tree and rxperf.ko; a second run only checks them.
# Debian 12's own kernel is 6.1 (no rxperf.c, added in 6.2): the packages come
# from bookworm-backports through a private apt configuration (the machine's
# sources are not changed).  RXD_KERNEL_SUITE overrides the suite.
# Exit: 0 ok, 1 failure (one line on stderr says which step).
set -euo pipefail

CACHE=${RXD_KERNEL_CACHE:-/var/cache/rxd-kernel}
SUITE=${RXD_KERNEL_SUITE:-bookworm-backports}
MIRROR=${RXD_KERNEL_MIRROR:-http://deb.debian.org/debian}
die() { echo "kernel_fetch: $*" >&2; exit 1; }

mkdir -p "$CACHE" || die "cannot create $CACHE"
exec 9>"$CACHE/.lock"
flock -w 600 9 || die "another run holds $CACHE/.lock"

# Private apt state: the suite's index only, the system's lists untouched.
A=$CACHE/apt
mkdir -p "$A/lists/partial" "$A/archives/partial" "$A/etc"
echo "deb $MIRROR $SUITE main" >"$A/etc/sources.list"
APT=(-o "Dir::Etc::SourceList=$A/etc/sources.list" -o Dir::Etc::SourceParts=/nonexistent
	-o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A" -o "Dir::Cache::archives=$A/archives"
	-o Debug::NoLocking=1 -o APT::Sandbox::User=root -q)

# Refresh the index at most once a day; a cached kernel is used when offline.
if [ -z "$(find "$A/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
	apt-get "${APT[@]}" update >"$A/update.log" 2>&1 || echo "kernel_fetch: apt-get update failed, trying the cache" >&2
fi
IMG=$(apt-cache "${APT[@]}" depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
if [ -z "$IMG" ]; then
	# Offline and no index: the newest unpacked kernel in the cache.
	KV_ROOT=$(find "$CACHE" -maxdepth 1 -name 'k-*' -type d | sort -V | tail -n1)
	if [ -z "$KV_ROOT" ] || [ ! -f "$KV_ROOT/.complete" ]; then
		die "no kernel package found in $SUITE and none cached"
	fi
	echo "KV_ROOT=$KV_ROOT"
	exit 0
fi
KREL=${IMG#linux-image-}                     # 6.12.95+deb12-amd64
ABI=${KREL%-amd64}                           # 6.12.95+deb12
MAJ=$(echo "$ABI" | cut -d. -f1-2)   # 6.12
KV_ROOT=$CACHE/k-$KREL

if [ ! -f "$KV_ROOT/.complete" ]; then
	rm -rf "$KV_ROOT"
	mkdir -p "$KV_ROOT/debs" "$KV_ROOT/root" "$KV_ROOT/src" "$KV_ROOT/rxperf"
	pkgs=("$IMG" "linux-headers-$KREL" "linux-headers-$ABI-common" "linux-kbuild-$ABI" "linux-source-$MAJ")
	echo "kernel_fetch: downloading ${pkgs[*]}" >&2
	(cd "$KV_ROOT/debs" && apt-get "${APT[@]}" download "${pkgs[@]}" >"$KV_ROOT/download.log" 2>&1) ||
		die "apt-get download failed (see $KV_ROOT/download.log)"
	for d in "$KV_ROOT"/debs/linux-image-*.deb "$KV_ROOT"/debs/linux-headers-*.deb "$KV_ROOT"/debs/linux-kbuild-*.deb; do
		dpkg-deb -x "$d" "$KV_ROOT/root" || die "dpkg-deb -x $d failed"
	done
	# Only rxperf.c is needed from the 150 MB source tarball.
	dpkg-deb --fsys-tarfile "$KV_ROOT"/debs/linux-source-"$MAJ"_*.deb |
		tar -xO --wildcards "./usr/src/linux-source-$MAJ.tar.xz" |
		tar -xJ -C "$KV_ROOT/src" --strip-components=3 "linux-source-$MAJ/net/rxrpc/rxperf.c" ||
		die "net/rxrpc/rxperf.c not found in linux-source-$MAJ (rxperf.c exists since 6.2)"
	rm -f "$KV_ROOT"/debs/linux-source-*.deb   # 150 MB, and rxperf.c is kept
	# The headers' Makefile includes the common tree by its installed path.
	H=$KV_ROOT/root/usr/src/linux-headers-$KREL
	sed -i "s|^include /usr/src/|include $KV_ROOT/root/usr/src/|" "$H/Makefile"
	cp "$KV_ROOT/src/rxperf.c" "$KV_ROOT/rxperf/"
	echo 'obj-m := rxperf.o' >"$KV_ROOT/rxperf/Kbuild"
	# No BTF for an out-of-tree test module (pahole is not needed then).
	make -C "$H" M="$KV_ROOT/rxperf" CONFIG_DEBUG_INFO_BTF_MODULES= modules >"$KV_ROOT/rxperf/build.log" 2>&1 ||
		die "building rxperf.ko failed (see $KV_ROOT/rxperf/build.log)"
	[ -f "$KV_ROOT/rxperf/rxperf.ko" ] || die "rxperf.ko missing after the build"
	touch "$KV_ROOT/.complete"
fi
echo "KV_ROOT=$KV_ROOT"
