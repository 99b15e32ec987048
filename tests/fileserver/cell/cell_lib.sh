# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# A private OpenAFS cell for the fileserver tests (sourced, not run), on top
# of scripts/lib/harness.sh (processes by pid, namespaces, cleanup).
#
# Everything runs in one network namespace of our own holding one link
# (a veth) with 198.18.7.1/24: the database servers, OpenAFS's fileserver
# and the clients (rxd-fileserver, when tested, is 198.18.7.2 on a TAP);
# nothing is routed out.  OpenAFS's
# programs have their paths compiled in (/etc/openafs, /var/lib/openafs,
# /var/log/openafs, /vicepa), so each one runs chrooted into a root of our
# own, $T_DIR/root, built in a private mount namespace (unshare -m):
# /usr and /dev bound from the host, /etc bound from the host with the
# cell's configuration directory bound over /etc/openafs, and /var and
# /vicepa plain directories of the temp dir.  The host's files are never
# touched and the mounts vanish with the processes.
#
#   cell_init NAME            checks (exits 77 when OpenAFS is absent), names
#   cell_up                   namespace, root, configuration, KeyFile
#   cell_run SECS CMD...      run CMD in the cell (namespace + chroot), bounded
#   cell_bg LOG CMD...        the same in the background; pid in LAST_PID
#   cell_start_db             vlserver and ptserver, waited for (udebug, vos)
#   cell_start_openafs_fs     dafileserver, davolserver, salvageserver
#   cell_start_rxd EXE ARGS   rxd-fileserver on the TAP (CELL_LINK=tap)
#   cell_mkfiles VOL NAME...  empty files in a volume's root directory (afs_mkfile)
#   cell_afsio_check TAG SIZE write SIZE bytes with afsio, read them back, compare md5
#   cell_afsio_concurrent TAG SIZE W R N  W afsio writers and R readers on one file
#   cell_dirops TAG           create, list, rename, remove in /afs/TAG (afs_dirops)
#   cell_afsio_restart TAG EXE  afsio write, rxd-fileserver restarted, afsio read
#   cell_cb_break TAG         a callback (afs_cbwatch) broken when afsio writes
#   cell_cb_dead TAG          a store completes while the callback holder hangs
#   cell_stop SIG PID...      stop servers by pid, bounded
#
# Environment: RXD_CELL_KEEP=DIR keeps the temp dir (logs, config) in DIR;
# CELL_LINK=tap and CELL_VL_IP (set by the script before sourcing) choose the
# link and the VL address clients are given; CELL_CLIENT_ONLY=1 needs only
# OpenAFS's client tools (no server is started: scripts/fs-demo.sh);
# CELL_NOAUTH=0 runs the cell as a production one: no NoAuth file, the
# vlserver without -noauth (VLDB changes need an administrator's token, e.g.
# vos -localauth with the KeyFile of $CELL_CONF/server).

# shellcheck source=scripts/lib/harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/lib/harness.sh"

CELL_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CELL_DB_IP=198.18.7.1
CELL_VL_IP=${CELL_VL_IP:-$CELL_DB_IP} # the cell's VL server in CellServDB (rxd's own for the built-in VL)
CELL_LINK=${CELL_LINK:-veth} # tap: a TAP whose far end is rxd (DPDK net_tap), for rxd-fileserver
CELL_DIROPS=${CELL_DIROPS:-}         # afs_dirops, for cell_dirops
CELL_CLIENT_ONLY=${CELL_CLIENT_ONLY:-} # 1: no OpenAFS server is run (rxd-fileserver and its built-in VL only)
CELL_NOAUTH=${CELL_NOAUTH:-1}         # 0: servers check who asks (no NoAuth, no vlserver -noauth)
CELL_CLIENT_IP=$CELL_DB_IP # afsio runs beside the servers: its packets come from their address
CELL_RXD_IP=198.18.7.2
CELL_RXD_PLEN=24 # rxd-fileserver's prefix length (16 when CELL_RXD_IP is outside 198.18.7.0/24)
# libafscp (afsio's library, OpenAFS 1.8) finds the server of an incoming
# RXAFSCB call with afscp_AnyServerByAddr(rx_HostOf(peer)), which byte-swaps
# an address that is already in network order: only a server address whose
# bytes read the same both ways (a.b.b.a) is found, so breaks and resets
# reach libafscp's callbacks only from such an address.
CELL_RXD_IP_CB=198.18.18.198
CELL_SRV=/usr/lib/openafs # where Debian puts the servers
CELL_NS=""
CELL_NAME=""
CELL_ROOT=""
CELL_CONF=""
CELL_AFS_DIR=/afs # where afsio writes: the root of root.afs (/afs/<cell> would need a mount point)

cell_init() { # name afs_mkfile
	[ -n "$T_KEEP" ] || keep_dir RXD_CELL_KEEP # once per script, even with two cells
	[ "$(id -u)" = 0 ] || skip "needs root (network and mount namespaces)"
	local p
	if [ -z "$CELL_CLIENT_ONLY" ]; then
		for p in vlserver ptserver dafileserver davolserver salvageserver; do
			[ -x "$CELL_SRV/$p" ] || skip "$CELL_SRV/$p missing (apt-get install --no-install-recommends openafs-dbserver openafs-fileserver)"
		done
		[ -x /usr/sbin/asetkey ] || skip "/usr/sbin/asetkey missing (apt-get install --no-install-recommends openafs-dbserver)"
	fi
	for p in afsio vos pts udebug rxdebug; do
		command -v "$p" >/dev/null || skip "$p missing (apt-get install --no-install-recommends openafs-client)"
	done
	command -v unshare >/dev/null || skip "unshare (util-linux) missing"
	[ -d /etc/openafs ] || skip "/etc/openafs missing (openafs-client not installed)"
	CELL_MKFILE=$2
	[ -x "$CELL_MKFILE" ] || skip "afs_mkfile not built (needs libopenafs-dev)"
	CELL_NS="rxdcell-$1-$$"
	CELL_NAME="cell$$.rxd.test"
	CELL_ROOT=$T_DIR/root
	CELL_CONF=$T_DIR/openafs
}

# The step that enters the cell: a private mount namespace holding the
# root's mounts, then the chroot.  Each step execs the next, so a background
# pid is the program's own.
# shellcheck disable=SC2016 # expanded by the inner sh
CELL_ENTER='r=$1; c=$2; shift 2
	mount --bind /usr "$r/usr" && mount --rbind /dev "$r/dev" && mount --bind /proc "$r/proc" &&
	mount --bind /etc "$r/etc" && mount --bind "$c" "$r/etc/openafs" || exit 125
	exec chroot "$r" "$@"'

# cell_run SECONDS CMD...: run CMD in the cell, bounded.
cell_run() {
	local secs=$1
	shift
	timeout "$secs" ip netns exec "$CELL_NS" unshare -m --propagation private sh -c "$CELL_ENTER" sh \
		"$CELL_ROOT" "$CELL_CONF" "$@"
}

# cell_bg LOG CMD...: a server in the cell, in the background (pid in LAST_PID).
cell_bg() {
	local log=$1
	shift
	bg "$log" ip netns exec "$CELL_NS" unshare -m --propagation private sh -c "$CELL_ENTER" sh \
		"$CELL_ROOT" "$CELL_CONF" "$@"
}

# The cell's CellServDB, ThisCell and server configuration.
cell_write_config() {
	local d
	for d in "$CELL_CONF" "$CELL_CONF/server"; do
		mkdir -p "$d"
		echo "$CELL_NAME" >"$d/ThisCell"
		printf '>%s #rxd test cell\n%s #db1\n' "$CELL_NAME" "$CELL_VL_IP" >"$d/CellServDB"
	done
	echo admin >"$CELL_CONF/server/UserList"
	# Every server accepts unauthenticated administrators (vos/pts -noauth):
	# the cell lives and dies inside one test namespace.
	[ "$CELL_NOAUTH" = 0 ] || touch "$CELL_CONF/server/NoAuth"
	# afsio's own settings file is optional; the cache manager's is not read
	echo "/afs:/var/cache/openafs:1000" >"$CELL_CONF/cacheinfo"
}

cell_up() {
	local d
	netns_add "$CELL_NS"
	if [ "$CELL_LINK" = tap ]; then
		# rxd attaches to the far end with --vdev net_tap0,iface=rxdcell0
		ip netns exec "$CELL_NS" ip tuntap add dev rxdcell0 mode tap multi_queue || skip "cannot create a TAP"
	else
		# a veth pair (no dummy module everywhere); the far end just stays up
		ip netns exec "$CELL_NS" ip link add rxdcell0 type veth peer name rxdcell1 || skip "cannot create a veth pair"
		ip netns exec "$CELL_NS" ip link set rxdcell1 up
	fi
	ip netns exec "$CELL_NS" ip addr add "$CELL_DB_IP/24" dev rxdcell0
	ip netns exec "$CELL_NS" ip link set rxdcell0 up
	# rxd-fileserver may sit outside the /24 (CELL_RXD_IP_CB): on the same link (cell_start_rxd)
	mkdir -p "$CELL_ROOT"
	for d in usr dev proc etc tmp var/lib/openafs/db var/lib/openafs/local var/log/openafs var/cache/openafs vicepa; do
		mkdir -p "$CELL_ROOT/$d"
	done
	chmod 1777 "$CELL_ROOT/tmp"
	chmod 700 "$CELL_ROOT/var/lib/openafs/db" "$CELL_ROOT/var/lib/openafs/local"
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$CELL_ROOT/$d"; done
	# A partition that is not a mount point of its own is used only with AlwaysAttach.
	touch "$CELL_ROOT/vicepa/AlwaysAttach"
	cell_write_config
	# The cell key (rxkad; unused with NoAuth but the servers want a KeyFile).
	[ -n "$CELL_CLIENT_ONLY" ] || cell_run 30 /usr/sbin/asetkey add 1 0123456789abcdef >"$T_DIR/asetkey.log" 2>&1 ||
		{ echo "FATAL: asetkey failed"; cat "$T_DIR/asetkey.log"; exit 1; }
	echo "cell $CELL_NAME in netns $CELL_NS: servers $CELL_DB_IP, client $CELL_CLIENT_IP, root $CELL_ROOT"
}

# cell_wait SECONDS CMD...: run CMD in the cell until it succeeds (bounded).
cell_wait() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 2; i++)); do
		cell_run 10 "$@" >"$T_DIR/wait.log" 2>&1 && return 0
		sleep 0.5
	done
	return 1
}

cell_start_db() {
	local noauth=-noauth
	[ "$CELL_NOAUTH" = 0 ] && noauth=""
	# shellcheck disable=SC2086 # $noauth: no argument at all when empty
	cell_bg "$T_DIR/vlserver.out" "$CELL_SRV"/vlserver $noauth
	CELL_VL_PID=$LAST_PID
	cell_bg "$T_DIR/ptserver.out" "$CELL_SRV"/ptserver
	CELL_PT_PID=$LAST_PID
	# A one-server ubik quorum elects itself; then the database answers.
	cell_wait 60 sh -c "udebug $CELL_DB_IP 7003 | grep -q 'I am sync site'" ||
		{ echo "FATAL: vlserver never became sync site"; tail -n 20 "$CELL_ROOT/var/log/openafs/VLLog"; exit 1; }
	cell_wait 60 sh -c "udebug $CELL_DB_IP 7002 | grep -q 'I am sync site'" ||
		{ echo "FATAL: ptserver never became sync site"; tail -n 20 "$CELL_ROOT/var/log/openafs/PtLog"; exit 1; }
	cell_wait 30 vos listvldb -noauth ||
		{ echo "FATAL: vos listvldb"; cat "$T_DIR/wait.log"; exit 1; }
	echo "vlserver (pid $CELL_VL_PID) and ptserver (pid $CELL_PT_PID) answer"
}

# OpenAFS's demand-attach fileserver on /vicepa, its volserver and salvager.
cell_start_openafs_fs() {
	cell_bg "$T_DIR/salvageserver.out" "$CELL_SRV"/salvageserver
	CELL_SALV_PID=$LAST_PID
	# shellcheck disable=SC2086 # CELL_FS_ARGS: options the bench adds (tuning), split
	cell_bg "$T_DIR/dafileserver.out" "$CELL_SRV"/dafileserver -novbc ${CELL_FS_ARGS:-}
	CELL_FS_PID=$LAST_PID
	cell_bg "$T_DIR/davolserver.out" "$CELL_SRV"/davolserver
	CELL_VOL_PID=$LAST_PID
	cell_wait 60 sh -c "vos listaddrs -noauth | grep -q '$CELL_DB_IP'" ||
		{ echo "FATAL: the fileserver did not register"; tail -n 20 "$CELL_ROOT/var/log/openafs/FileLog"; exit 1; }
	cell_wait 60 vos partinfo "$CELL_DB_IP" -noauth ||
		{ echo "FATAL: volserver"; cat "$T_DIR/wait.log"; tail -n 20 "$CELL_ROOT/var/log/openafs/VolserLog"; exit 1; }
	echo "dafileserver (pid $CELL_FS_PID), davolserver (pid $CELL_VOL_PID) answer; vos listaddrs:"
	cell_run 10 vos listaddrs -noauth | sed 's/^/  /'
}

# Give the client's host address every right on every ACL: an IP-address
# user in system:administrators (the fileserver adds the host's CPS to an
# anonymous caller's), since without a cache manager nothing can run fs setacl.
cell_open_acls() {
	cell_run 20 pts createuser "$CELL_CLIENT_IP" -noauth >"$T_DIR/pts.log" 2>&1 &&
		cell_run 20 pts adduser "$CELL_CLIENT_IP" system:administrators -noauth >>"$T_DIR/pts.log" 2>&1 ||
		{ echo "FATAL: pts"; cat "$T_DIR/pts.log"; exit 1; }
}

# vos create gives a volume 5000 KB of quota by default: these get none.
cell_create_volumes() { # server
	local v
	for v in root.afs root.cell; do
		cell_run 60 vos create "$1" a "$v" -maxquota 0 -noauth >"$T_DIR/vos-create-$v.log" 2>&1 ||
			{ echo "FATAL: vos create $v"; cat "$T_DIR/vos-create-$v.log"; exit 1; }
	done
}

# cell_start_rxd EXE [args...]: rxd-fileserver at $CELL_RXD_IP over the TAP
# (CELL_LINK=tap; or CELL_RXD_VDEV, e.g. net_af_packet on the veth's far end
# rxdcell1, and CELL_RXD_LCORES as the bench sets them), its partition $T_DIR/vice-<netns>, root.afs served (afsio's
# paths start there), anonymous callers may write; waits for "listening"
# and for the address to answer.  Sets CELL_RXD_PID.
cell_start_rxd() {
	local exe=$1
	shift
	# shellcheck disable=SC2046
	CELL_RXD_LOG=$T_DIR/rxd-fileserver-$CELL_NS.log
	start_wait "$CELL_RXD_LOG" listening 30 ip netns exec "$CELL_NS" "$exe" ${CELL_RXD_LCORES:-$(lcores 1)} \
		$(eal_common cell) --vdev "${CELL_RXD_VDEV:-net_tap0,iface=rxdcell0}" -- --vice "$T_DIR/vice-$CELL_NS" \
		--create-volume root.afs:536870912 --anonymous write --ip "$CELL_RXD_IP/$CELL_RXD_PLEN" --port 7000,7003 "$@" ||
		{ echo "FATAL: rxd-fileserver did not start"; exit 1; }
	CELL_RXD_PID=$LAST_PID
	for _ in $(seq 100); do
		# the TAP went down with the last rxd-fileserver, and a host route with it (CELL_RXD_IP_CB)
		[ "$CELL_LINK" = tap ] && ip netns exec "$CELL_NS" ip route replace "$CELL_RXD_IP/32" dev rxdcell0 2>/dev/null
		ip netns exec "$CELL_NS" ping -c 1 -W 1 -q "$CELL_RXD_IP" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "FATAL: rxd-fileserver at $CELL_RXD_IP does not answer"
	exit 1
}

# The md5 afsio printed (its exit code is 0 even on failure: the md5 line is the verdict).
cell_afsio_md5() { # log
	grep -Eo '\b[0-9a-f]{32}\b' "$1" | tail -n 1
}

# cell_mkfiles VOLUME NAME...: empty files in a volume's root directory (afs_mkfile,
# libafscp's CreateFile): Debian's afsio 1.8.9 cannot create a file by path
# (afs_mkfile.c says why), it only writes existing ones.
cell_mkfiles() {
	cp "$CELL_MKFILE" "$CELL_ROOT/tmp/afs_mkfile" &&
		cell_run 60 /tmp/afs_mkfile "$@" >"$T_DIR/mkfile.log" 2>&1 ||
		{ echo "FATAL: afs_mkfile"; cat "$T_DIR/mkfile.log"; exit 1; }
}

# cell_afsio_check TAG SIZE: write SIZE bytes of random data to the existing
# file /afs/TAG with afsio, read them back, and compare the md5 sums afsio
# printed and the md5 of the bytes read with md5sum's of the source.  afsio
# stores a single write over 64 MiB at wrong offsets, so a larger file is
# written as 64 MiB, then appended 64 MiB at a time.  The bytes read go
# straight to md5sum (no second copy on disk); the source is removed at the
# end.  Prints the write and read rates (wall clock, noisy on a shared host).
cell_afsio_check() {
	local tag=$1 size=$2 src=$T_DIR/src-$1 want wmd5 rmd5 bmd5 first off t0 t1 t2
	local path=$CELL_AFS_DIR/$tag chunk=$((64 << 20))
	head -c "$size" /dev/urandom >"$src"
	want=$(md5sum <"$src" | cut -c1-32)
	first=$size
	[ "$size" -gt "$chunk" ] && first=$chunk
	t0=$(date +%s.%N)
	head -c "$first" "$src" | cell_run 300 afsio write -file "$path" -md5 -clear -force \
		>"$T_DIR/afsio-w-$tag.log" 2>&1
	wmd5=$(cell_afsio_md5 "$T_DIR/afsio-w-$tag.log")
	[ "$size" = 0 ] && [ -z "$wmd5" ] && wmd5=$want # nothing to write: afsio prints no sum
	if [ "$size" -gt "$chunk" ]; then
		# the write's sum covers the first 64 MiB; append prints none (it has
		# no -md5): the read's sums decide for the whole file
		[ "$wmd5" = "$(head -c "$chunk" "$src" | md5sum | cut -c1-32)" ] && wmd5=$want
		for ((off = chunk; off < size; off += chunk)); do
			tail -c +$((off + 1)) "$src" | head -c "$chunk" | cell_run 300 afsio append -file "$path" -clear \
				>>"$T_DIR/afsio-a-$tag.log" 2>&1
		done
	fi
	t1=$(date +%s.%N)
	# one afsio process reads it all: 300 s and 1 s per MiB (under load afsio reads at a few MB/s)
	rmd5=$( (cell_run $((300 + (size >> 20))) afsio read -file "$path" -md5 -clear 2>"$T_DIR/afsio-r-$tag.log") |
		md5sum | cut -c1-32)
	t2=$(date +%s.%N)
	bmd5=$rmd5
	rmd5=$(cell_afsio_md5 "$T_DIR/afsio-r-$tag.log")
	[ "$size" = 0 ] && [ -z "$rmd5" ] && rmd5=$bmd5
	if [ "$wmd5" = "$want" ] && [ "$rmd5" = "$want" ] && [ "$bmd5" = "$want" ]; then
		result PASS "afsio $tag ($size B)" "md5 $want; $(cell_rates "$size" "$t0" "$t1" "$t2")"
	else
		result FAIL "afsio $tag ($size B)" "want $want, write said '${wmd5}', read said '${rmd5}', bytes read '${bmd5}'"
		sed 's/^/  write: /' "$T_DIR/afsio-w-$tag.log" | tail -n 5
		sed 's/^/  read: /' "$T_DIR/afsio-r-$tag.log" | tail -n 5
	fi
	rm -f "$src"
}

# cell_rates SIZE T0 T1 T2: "write X s (Y MB/s), read ..." for a write from T0 to T1 and a read to T2.
cell_rates() {
	awk -v n="$1" -v a="$2" -v b="$3" -v c="$4" 'BEGIN {
		w = b - a; r = c - b
		printf "write %.2f s (%.1f MB/s), read %.2f s (%.1f MB/s)", w, (w > 0 ? n / w / 1e6 : 0), r, (r > 0 ? n / r / 1e6 : 0) }'
}

# cell_afsio_concurrent TAG SIZE WRITERS READERS ROUNDS: afsio processes on
# one file at once.  The file starts as version 0; each writer stores its own
# whole version (random, all SIZE bytes, so no store truncates another)
# ROUNDS times while each reader reads the whole file ROUNDS times.  Checked:
# every write's md5 is its version's; every read has SIZE bytes, all of them
# in runs that equal the same bytes of some version (afs_versions.py), and so
# does the file left, its runs all from writers.  A whole read may mix
# versions, on OpenAFS's fileserver too: afsio moves a file in many
# FetchData calls (64 KiB each) and StoreData calls, and only a call is
# atomic there (the vnode lock); how many reads mixed is printed.
cell_afsio_concurrent() {
	local tag=$1 size=$2 nw=$3 nr=$4 rounds=$5 path=$CELL_AFS_DIR/$1 i r p pids=() vers=() want bad="" mixed
	local check=$CELL_LIB_DIR/afs_versions.py
	for ((i = 0; i <= nw; i++)); do
		head -c "$size" /dev/urandom >"$T_DIR/conc-$tag-v$i"
		vers+=("$T_DIR/conc-$tag-v$i")
	done
	cell_run 120 afsio write -file "$path" -clear -force <"${vers[0]}" >/dev/null 2>&1
	for ((i = 1; i <= nw; i++)); do
		for ((r = 0; r < rounds; r++)); do
			cell_run 120 afsio write -file "$path" -md5 -clear -force <"${vers[i]}"
		done >"$T_DIR/conc-$tag-w$i.log" 2>&1 &
		pids+=($!)
	done
	for ((i = 1; i <= nr; i++)); do
		for ((r = 0; r < rounds; r++)); do
			cell_run 120 afsio read -file "$path" -clear >"$T_DIR/conc-$tag-read-$i-$r" 2>/dev/null
		done &
		pids+=($!)
	done
	T_PIDS+=("${pids[@]}")
	for p in "${pids[@]}"; do wait "$p"; done
	cell_run 120 afsio read -file "$path" -clear >"$T_DIR/conc-$tag-left" 2>/dev/null
	for ((i = 1; i <= nw; i++)); do
		want=$(md5sum <"${vers[i]}" | cut -c1-32)
		[ "$(grep -c "$want" "$T_DIR/conc-$tag-w$i.log")" = "$rounds" ] ||
			bad="$bad writer $i: $(grep -c "$want" "$T_DIR/conc-$tag-w$i.log") of $rounds md5 lines its version's;"
	done
	python3 "$check" "${vers[@]}" -- "$T_DIR/conc-$tag-read-"* "$T_DIR/conc-$tag-left" \
		>"$T_DIR/conc-$tag-versions.log" 2>&1 || bad="$bad $(grep -v ' whole \| mixed ' "$T_DIR/conc-$tag-versions.log" | head -n 3 | tr '\n' ' ');"
	grep -Eq "conc-$tag-left (whole|mixed) [1-9](,[1-9])*\$" "$T_DIR/conc-$tag-versions.log" || [ -n "$bad" ] ||
		bad="$bad left: $(grep "conc-$tag-left " "$T_DIR/conc-$tag-versions.log" | sed 's|.*/||'), not only writers' blocks;"
	if [ -z "$bad" ]; then
		result PASS "afsio $nw writers + $nr readers, one file" "$((nw * rounds)) stores, $((nr * rounds)) reads of $size B: every byte read some version's, every byte left a writer's"
	else
		result FAIL "afsio $nw writers + $nr readers, one file" "${bad:0:400}"
	fi
	mixed=$(grep -c ' mixed ' "$T_DIR/conc-$tag-versions.log")
	echo "  $mixed of $((nr * rounds + 1)) whole-file reads mixed versions" \
		"($(grep ' mixed ' "$T_DIR/conc-$tag-versions.log" | sed 's|.*/||' | head -n 2 | tr '\n' ' '))"
	rm -f "$T_DIR/conc-$tag-"v* "$T_DIR/conc-$tag-"read-* "$T_DIR/conc-$tag-left"
}

# cell_dirops TAG: afs_dirops (libafscp) makes the directory /afs/TAG, creates,
# lists, renames and removes in it and checks the errors; each of its checks
# is one result line here.
cell_dirops() {
	local line
	[ -x "$CELL_DIROPS" ] || { result SKIP "directory operations (afs_dirops)" "not built"; return; }
	cp "$CELL_DIROPS" "$CELL_ROOT/tmp/afs_dirops" || { echo "FATAL: afs_dirops"; exit 1; }
	cell_run 120 /tmp/afs_dirops root.afs "$1" >"$T_DIR/dirops-$1.log" 2>&1
	grep -q '^PASS' "$T_DIR/dirops-$1.log" || { result FAIL "directory operations (afs_dirops)" "$(tail -n 3 "$T_DIR/dirops-$1.log" | tr '\n' ' ')"; return; }
	while read -r line; do
		case $line in
		PASS\ *) result PASS "dir: ${line#PASS }" "libafscp" ;;
		FAIL\ *) result FAIL "dir: ${line#FAIL }" "" ;;
		esac
	done <"$T_DIR/dirops-$1.log"
}

# cell_afsio_restart TAG EXE [args]: afsio writes 1 MiB to /afs/TAG,
# rxd-fileserver is stopped (SIGTERM, exit 0) and started again on the same
# partition, and afsio reads the file back: both md5 sums must be the source's.
cell_afsio_restart() {
	local tag=$1 src=$T_DIR/restart-$1 want rmd5 bmd5
	shift
	head -c $((1 << 20)) /dev/urandom >"$src"
	want=$(md5sum <"$src" | cut -c1-32)
	cell_run 120 afsio write -file "$CELL_AFS_DIR/$tag" -md5 -clear -force <"$src" >"$T_DIR/afsio-w-$tag.log" 2>&1
	stop_pid "$CELL_RXD_PID" 20 || fail "rxd-fileserver did not exit 0 on SIGTERM before the restart"
	cell_start_rxd "$@"
	bmd5=$( (cell_run 120 afsio read -file "$CELL_AFS_DIR/$tag" -md5 -clear 2>"$T_DIR/afsio-r-$tag.log") | md5sum | cut -c1-32)
	rmd5=$(cell_afsio_md5 "$T_DIR/afsio-r-$tag.log")
	if [ "$(cell_afsio_md5 "$T_DIR/afsio-w-$tag.log")" = "$want" ] && [ "$rmd5" = "$want" ] && [ "$bmd5" = "$want" ]; then
		result PASS "afsio write, server restart, afsio read" "md5 $want"
	else
		result FAIL "afsio write, server restart, afsio read" "want $want, read said '$rmd5', bytes read '$bmd5'"
	fi
	rm -f "$src"
}

# cell_cbwatch_start TAG: afs_cbwatch (libafscp's RXAFSCB service) holds a
# callback on /afs/TAG, in the background; waits until it is promised.
# Sets CELL_CBW_PID (the program's own pid) and CELL_CBW_LOG.
cell_cbwatch_start() {
	CELL_CBW_LOG=$T_DIR/cbwatch-$1.log
	cp "$CELL_CBWATCH" "$CELL_ROOT/tmp/afs_cbwatch" || { echo "FATAL: afs_cbwatch"; exit 1; }
	cell_bg "$CELL_CBW_LOG" /tmp/afs_cbwatch root.afs "$1" 60
	CELL_CBW_PID=$LAST_PID
	wait_log "$CELL_CBW_PID" "$CELL_CBW_LOG" '^promised [1-9]' 60 ||
		{ echo "FATAL: afs_cbwatch got no callback on $1"; cat "$CELL_CBW_LOG"; exit 1; }
}

# cell_afsio_write TAG SIZE: afsio writes SIZE random bytes to /afs/TAG; 0 when its md5 is right.
cell_afsio_write() {
	head -c "$2" /dev/urandom >"$T_DIR/w-$1"
	cell_run 120 afsio write -file "$CELL_AFS_DIR/$1" -md5 -clear -force <"$T_DIR/w-$1" >"$T_DIR/afsio-w-$1.log" 2>&1
	[ "$(cell_afsio_md5 "$T_DIR/afsio-w-$1.log")" = "$(md5sum <"$T_DIR/w-$1" | cut -c1-32)" ]
	local rc=$?
	rm -f "$T_DIR/w-$1"
	return $rc
}

# cell_cbwatch_broken NAME: afs_cbwatch must exit saying its callback was broken.
cell_cbwatch_broken() {
	local rc
	wait_pid "$CELL_CBW_PID" 90
	rc=$?
	if [ "$rc" = 0 ] && grep -q '^broken' "$CELL_CBW_LOG"; then
		result PASS "$1" "libafscp client: $(tr '\n' ' ' <"$CELL_CBW_LOG")"
	else
		result FAIL "$1" "exit $rc: $(tr '\n' ' ' <"$CELL_CBW_LOG")"
	fi
}

# cell_cb_break TAG: one client (afs_cbwatch) holds a callback on /afs/TAG;
# afsio, another client, writes the file: the first one's callback must be
# broken (the server's RXAFSCB CallBack naming the fid).
cell_cb_break() {
	cell_cbwatch_start "$1"
	cell_afsio_write "$1" 4096 || fail "afsio write $1 (md5)"
	cell_cbwatch_broken "callback broken when another client writes"
}

# cell_cb_dead TAG: the callback holder stops (SIGSTOP: its callback service
# neither answers nor refuses) and afsio writes the file.  The write must
# complete while the holder is stopped, so its reply did not wait on the
# break; once the holder runs again the break must still reach it, so the
# server had not given the holder up (as it does after its RXAFSCB calls
# fail three times, ~15 s) by the time the writer got its reply.
cell_cb_dead() {
	local tag=$1 rc t0 t1 state
	cell_cbwatch_start "$tag"
	kill -STOP "$CELL_CBW_PID"
	t0=$(date +%s.%N)
	cell_afsio_write "$tag" $((1 << 20))
	rc=$?
	t1=$(date +%s.%N)
	state=$(ps -o stat= -p "$CELL_CBW_PID" | cut -c1)
	kill -CONT "$CELL_CBW_PID"
	if [ "$rc" = 0 ] && [ "$state" = T ]; then
		result PASS "store while a callback holder hangs" \
			"afsio write of 1 MiB done in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s, the holder still stopped"
	else
		result FAIL "store while a callback holder hangs" "write md5 ok: $([ "$rc" = 0 ] && echo yes || echo no), holder state '$state'"
	fi
	cell_cbwatch_broken "the hung holder gets its break later"
}

# cell_stop SIGNAL PID...: stop servers we started, by pid, in the order
# given; each must exit within 30 s.  OpenAFS's fileserver and volserver shut
# down cleanly on SIGQUIT (viced.c ShutDown), the ubik servers on SIGTERM.
cell_stop() {
	local sig=$1 p rc
	shift
	for p in "$@"; do
		[ -n "$p" ] || continue
		kill -"$sig" "$p" 2>/dev/null
		wait_pid "$p" 30
		rc=$?
		if [ "$rc" = 124 ]; then
			kill -KILL "$p" 2>/dev/null
			fail "pid $p did not exit within 30 s of SIG$sig"
		fi
	done
	return 0
}
