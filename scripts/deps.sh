#!/usr/bin/env bash
# Install what rxd needs to build, test and benchmark (Debian 12).  Idempotent.
set -euo pipefail
pkgs=(meson ninja-build pkg-config gcc clang clang-format libclang-rt-14-dev
      dpdk dpdk-dev libdpdk-dev libnuma-dev libcriterion-dev
      libopenafs-dev openafs-client nettle-dev tshark faketime iproute2 iputils-ping procps python3 python3-matplotlib
      qemu-system-x86 busybox-static make xz-utils   # these four: the kernel AF_RXRPC guest (tests/interop/kernel)
      libkrb5-dev krb5-kdc krb5-admin-server krb5-user  # rxkad-k5 (libkrb5) and the MIT KDC test (tests/krb5)
      openafs-dbserver util-linux  # asetkey writes the KeyFile/KeyFileExt golden files (tests/krb5), unshare
      openafs-fileserver)  # the private cell of tests/fileserver/cell (dafileserver, davolserver, salvageserver)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: need root to install: ${missing[*]}" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture; the default (no) is fine.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -q
	# --no-install-recommends keeps openafs-modules-dkms (a kernel module build) out.
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
