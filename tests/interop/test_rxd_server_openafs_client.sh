#!/bin/bash
# Interop: rxd's rxperf server (DPDK, in a private netns) driven by the
# OpenAFS rx client (tests/interop/openafs_peer), plus rxdebug and a tshark
# decode of one exchange.  See rxd_interop_lib.sh for the topology.
#
# usage: test_rxd_server_openafs_client.sh RXPERF OPENAFS_PEER
# exit:  0 all passed, 1 a failure, 77 skipped (not root / tool missing)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/interop/rxd_interop_lib.sh
. "$HERE/rxd_interop_lib.sh"

RXPERF=${1:?usage: $0 RXPERF OPENAFS_PEER}
PEER=${2:?usage: $0 RXPERF OPENAFS_PEER}
[ -x "$RXPERF" ] || skip "rxperf not built ($RXPERF)"
[ -x "$PEER" ] || skip "openafs_peer not built ($PEER)"
ix_init srv

ix_ns_up
A=$IX_RXD_IP
# OpenAFS client: pinned, bounded by --timeout and timeout(1) in run_check.
OAFS=(ip netns exec "$IX_NS" taskset -c "$IX_PEER_CPU" "$PEER" client -a "$A" -p 7009 --json)

# ---------------------------------------------------------------- normal server
ix_rxd_server_start "$RXPERF" main
echo "rxd rxperf server up: $(grep listening "$IX_SRV_OUT")"

for sz in 0 1 1412 1413 65536; do
	run_check "rpc $sz/$sz" 0 10 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S "$sz" -R "$sz" -T 10
done
run_check "rpc 1413/0" 0 10 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 1413 -R 0 -T 10
run_check "rpc 0/1413" 0 10 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 0 -R 1413 -T 10
run_check "send 1MiB" 0 3 0 60 -- "${OAFS[@]}" --timeout 50 -c send -S 1M -T 3
run_check "recv 1MiB" 0 3 0 60 -- "${OAFS[@]}" --timeout 50 -c recv -R 1M -T 3
run_check "rpc 1MiB/1MiB" 0 2 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 1M -R 1M -T 2
if ! quick; then
	run_check "send 64MiB" 0 1 0 180 -- "${OAFS[@]}" --timeout 170 -c send -S 64M -T 1
	run_check "recv 64MiB" 0 1 0 180 -- "${OAFS[@]}" --timeout 170 -c recv -R 64M -T 1
else
	result SKIP "64 MiB transfers" "RXD_QUICK=1"
fi
run_check "request cookie" 0 10 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 100 -R 100 -T 10 --cookie
run_check "no jumbograms (-j)" 0 2 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 256K -R 256K -T 2 -j
run_check "window 8 (-W 8)" 0 2 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 256K -R 256K -T 2 -W 8
run_check "mtu 1200 (-m 1200)" 0 2 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 256K -R 256K -T 2 -m 1200
run_check "100 concurrent small" 0 2000 0 120 -- "${OAFS[@]}" --timeout 110 -c rpc -S 100 -R 100 -t 100 -T 2000
run_check "100 concurrent 1413/1413" 0 500 0 120 -- "${OAFS[@]}" --timeout 110 -c rpc -S 1413 -R 1413 -t 100 -T 500

# Aborts: each must end quickly (bounded), with the code both sides expect.
run_check "client abort mid-send" 0 0 3 60 -- "${OAFS[@]}" --timeout 50 -c send -S 1M -T 3 --abort-after 100000
run_check "client abort mid-recv" 0 0 3 60 -- "${OAFS[@]}" --timeout 50 -c recv -R 1M -T 3 --abort-after 100000
run_check "client abort after header" 0 0 2 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 10 -R 10 -T 2 --abort-after 0
run_check "unknown op -> RXGEN_OPCODE" 0 0 2 60 -- "${OAFS[@]}" --timeout 50 --op 7 -T 2 --expect-abort -455
run_check "FILE op 4 -> RXGEN_OPCODE" 0 0 1 60 -- "${OAFS[@]}" --timeout 50 --op 4 -T 1 --expect-abort -455
run_check "bad version -> RX_USER_ABORT" 0 0 1 60 -- "${OAFS[@]}" --timeout 50 -c rpc --proto-version 2 -T 1 --expect-abort -6
run_check "unknown service -> INVALID_OP" 0 0 1 60 -- "${OAFS[@]}" --timeout 50 -c rpc --service 99 -T 1 --expect-abort -2
run_check "unexpected abort fails the run" 1 0 0 60 -- "${OAFS[@]}" --timeout 50 --op 7 -T 1

# rxdebug -version answered by rxd
if command -v rxdebug >/dev/null; then
	out=$(ix_ns timeout 40 rxdebug "$A" 7009 -version 2>&1)
	if printf '%s' "$out" | grep -q 'AFS version: *rxd'; then
		result PASS "rxdebug -version" "$(printf '%s' "$out" | grep 'AFS version')"
	else
		result FAIL "rxdebug -version" "no 'AFS version: rxd...' in: $(printf '%s' "$out" | tr '\n' ' ')"
	fi
else
	result SKIP "rxdebug -version" "rxdebug not installed (openafs-client)"
fi

run_check "server healthy afterwards" 0 50 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 1413 -R 1413 -t 8 -T 50

# ---------------------------------------------------------------- capture + decode
if command -v dumpcap >/dev/null && command -v tshark >/dev/null; then
	CAP="$T_DIR/rxd-server.pcapng"
	ix_capture_start "$CAP"
	run_check "captured: rpc 0/0" 0 1 0 30 -- "${OAFS[@]}" --timeout 25 -c rpc -S 0 -R 0 -T 1
	run_check "captured: rpc 1413/1" 0 1 0 30 -- "${OAFS[@]}" --timeout 25 -c rpc -S 1413 -R 1 -T 1
	run_check "captured: rpc 64KiB/64KiB" 0 1 0 30 -- "${OAFS[@]}" --timeout 25 -c rpc -S 65536 -R 65536 -T 1
	run_check "captured: client abort" 0 0 1 30 -- "${OAFS[@]}" --timeout 25 -c rpc -S 100 -R 65536 -T 1 --abort-after 30000
	run_check "captured: unknown op" 0 0 1 30 -- "${OAFS[@]}" --timeout 25 --op 7 -T 1 --expect-abort -455
	run_check "captured: unknown service" 0 0 1 30 -- "${OAFS[@]}" --timeout 25 -c rpc --service 99 -T 1 --expect-abort -2
	command -v rxdebug >/dev/null && ix_ns timeout 40 rxdebug "$A" 7009 -version >/dev/null 2>&1
	ix_capture_stop
	ix_check_capture "tshark decode (rxd server)" "$CAP"
	ix_check_pmtud_probes "tshark: PMTUD probes answered (rxd server)" "$CAP"
else
	result SKIP "tshark decode" "dumpcap/tshark not installed"
fi

ix_rxd_server_stop "rxd server clean exit"

# ---------------------------------------------------------------- server aborting its replies
ix_rxd_server_start "$RXPERF" abort --abort-reply-after 20000 -v
run_check "server abort mid-reply" 0 0 3 60 -- "${OAFS[@]}" --timeout 50 -c recv -R 1M -T 3 --expect-abort 4321
run_check "server abort mid-reply, 8 concurrent" 0 0 16 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 1000 -R 1M -t 8 -T 16 --expect-abort 4321
run_check "short reply is not cut" 0 3 0 60 -- "${OAFS[@]}" --timeout 50 -c rpc -S 0 -R 1000 -T 3
ix_rxd_server_stop "rxd abort server clean exit"

# ---------------------------------------------------------------- rxdebug across two workers
# Connections are sharded by cid over the workers ((cid >> 2) % 2,
# rxd_shard_of_cid()); rxdebug must list every worker's connections and peers
# (its walk goes shard after shard) and report every worker's counters,
# summed.  Two OpenAFS client processes on known ports with 2 conns each:
# OpenAFS numbers a process's conns cid, cid + 4, so every process has a conn
# on each worker.  The figures are checked against the traffic, against each
# other (the peers' DATA counts sum to -rxstats') and against rxd's own JSON
# summary at exit.
if command -v rxdebug >/dev/null; then
	rxdebug_q() { ix_ns timeout 30 rxdebug "$A" 7009 "$@" 2>&1; }
	# The cids of the conns listed in OUTPUT [from client port PORT], one a line (hex).
	conn_cids() { printf '%s\n' "$1" | sed -n "s|^Connection from host .*, port ${2:-[0-9]*}, Cuid [0-9a-f]*/\([0-9a-f]*\)\$|\1|p"; }
	# The workers owning those cids, e.g. "01".
	cid_shards() { for c in $1; do echo $(((0x$c >> 2) % 2)); done | sort -u | tr -d '\n'; }

	IX_RXD_WORKERS=2 ix_rxd_server_start "$RXPERF" two
	PORTS=(7101 7102)
	pids=()
	for p in "${PORTS[@]}"; do
		# 8 calls in flight on 2 conns for 4 s, 4 KiB requests and 64 KiB replies;
		# --linger-ms: the client's deferred last ACKs reach rxd before it exits
		bg "$T_DIR/two-$p.log" "${OAFS[@]}" -l "$p" --timeout 60 -c rpc -S 4096 -R 65536 -t 8 -d 4 --linger-ms 1000
		pids+=("$LAST_PID")
	done
	# Calls in flight: the default view (GETCONN) lists the busy conns of both workers.
	busy=""
	for _ in $(seq 40); do
		busy=$(printf '%s\n%s\n' "$busy" "$(conn_cids "$(rxdebug_q)")" | sort -u | grep .)
		[ "$(cid_shards "$busy")" = 01 ] && break
		sleep 0.25
	done
	check_eq "rxdebug: busy conns of both workers" "$(cid_shards "$busy")" 01 "cids ${busy//$'\n'/ }"
	calls=0
	for i in "${!pids[@]}"; do
		wait_pid "${pids[$i]}" 60
		j=$(json_last "$T_DIR/two-${PORTS[$i]}.log")
		ok=$(json_field "$j" calls_ok)
		if [ "$(json_field "$j" calls_failed)" = 0 ] && [[ $ok =~ ^[1-9][0-9]*$ ]]; then
			calls=$((calls + ok))
		else
			result FAIL "two workers: client port ${PORTS[$i]}" "${j:-no JSON line}"
		fi
	done
	# Every call complete (its channel dallying): the counters stay still.  rxd
	# keeps the conns (connection_expiry 600 s) and so their peers.
	for _ in $(seq 40); do
		all=$(rxdebug_q -allconnections)
		printf '%s\n' "$all" | grep -Eq "state (active|hold|precall)" || break
		sleep 0.25
	done
	if printf '%s\n' "$all" | grep -Eq "state (active|hold|precall)"; then
		result FAIL "two workers: every call completed" "$(printf '%s\n' "$all" | grep -Ec "state (active|hold|precall)") calls not dallying"
	else
		result PASS "two workers: every call completed" "$calls calls by ${#PORTS[@]} clients"
	fi

	# -allconnections: each client's two conns, one on each worker, with its real port.
	check_eq "rxdebug -allconnections: 4 conns" "$(conn_cids "$all" | grep -c .)" 4
	for p in "${PORTS[@]}"; do
		cids=$(conn_cids "$all" "$p")
		check_eq "rxdebug -allconnections: port $p on both workers" "$(cid_shards "$cids")" 01 "cids ${cids//$'\n'/ }"
	done

	# -peers: every worker keeps its own peer table: each client is listed once
	# per worker, with the DATA packets that worker sent it.
	peers=$(rxdebug_q -peers -noconns)
	# "PORT SENT RESENDS" per peer record
	precs=$(printf '%s\n' "$peers" | awk '/^Peer at host/ { port = $NF }
		/packets sent/ { print port, $3, $6 }')
	for p in "${PORTS[@]}"; do
		n=$(printf '%s\n' "$precs" | awk -v p="$p" '$1 == p && $2 > 0' | wc -l)
		check_eq "rxdebug -peers: port $p, DATA sent by each worker" "$n" 2 \
			"$(printf '%s\n' "$precs" | awk -v p="$p" '$1 == p { printf "%s ", $2 }')"
	done
	psum=$(printf '%s\n' "$precs" | awk '{ s += $2 + $3 } END { print s + 0 }')

	# -noconns: GETSTATS, the server calls of both workers.
	out=$(rxdebug_q -noconns)
	if printf '%s\n' "$out" | grep -q "^Connection from"; then
		result FAIL "rxdebug -noconns" "lists connections"
	else
		check_eq "rxdebug -noconns: calls of both workers" "$(num_after "$out" "calls:")" "$calls" "calls: $calls, the clients'"
	fi

	# -rxstats: both workers' counters summed, as the peers and the traffic say.
	out=$(rxdebug_q -rxstats -noconns)
	sent=$(printf '%s\n' "$out" | grep -Eo "data [0-9]+ \(not resends\)" | grep -Eo '[0-9]+')
	resent=$(num_after "$out" "resends")
	check_eq "rxdebug -rxstats: DATA sent = peers' sum" "$((${sent:-0} + ${resent:-0}))" "$psum" \
		"sent $sent + resent $resent, peers $psum"
	# 64 KiB replies in DATA packets of at most 1444 bytes (natMTU 1472), 4 KiB requests likewise
	check_ge "rxdebug -rxstats: DATA sent, the replies" "$sent" $((calls * 46)) "($calls calls x 46)"
	check_ge "rxdebug -rxstats: DATA read, the requests" "$(num_after "$out" "other read counters: data")" \
		$((calls * 3)) "($calls calls x 3)"
	check_match "rxdebug -rxstats: conns and peers of both workers" "$out" \
		"4 server connections, 0 client connections, 4 peer structs, 0 call structs"
	dgrams=$(num_after "$out" "packets sent: data")

	ix_rxd_server_stop "rxd two-worker server clean exit"
	j=$(json_last "$IX_SRV_OUT")
	check_eq "rxd summary: calls = the clients'" "$(json_field "$j" calls)" "$calls"
	check_eq "rxd summary: DATA datagrams = rxdebug's" "$(json_field "$j" core_tx_data)" "$dgrams"
	check_eq "rxd summary: retransmissions = rxdebug's" "$(json_field "$j" core_retrans)" "$resent"
else
	result SKIP "rxdebug across two workers" "rxdebug not installed (openafs-client)"
fi

# ---------------------------------------------------------------- OpenAFS-style abort codes
ix_rxd_server_start "$RXPERF" oafs --openafs-aborts
run_check "openafs codes: op 7 -> -1" 0 0 1 60 -- "${OAFS[@]}" --timeout 50 --op 7 -T 1 --expect-abort -1
run_check "openafs codes: version -> -1" 0 0 1 60 -- "${OAFS[@]}" --timeout 50 -c rpc --proto-version 9 -T 1 --expect-abort -1
ix_rxd_server_stop "rxd openafs-codes server clean exit"

finish "rxd server vs OpenAFS client"
