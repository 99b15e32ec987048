#!/bin/bash
# Interop under load: several OpenAFS rx client processes at their default
# UDP buffer size (64 KiB, openafs_peer -u 0) against rxd's rxperf server
# (DPDK over net_tap in a private netns, see rxd_interop_lib.sh).  Each
# process runs many concurrent calls, 4 per connection, with 4 KiB requests
# and 64 KiB replies (more than the client's 32-packet window), so rxd's
# bursts overflow the clients' socket buffers and reply packets are really
# lost.  Every call must complete in every run (no RX_CALL_TIMEOUT), and the
# server must count no call as failed that the clients completed.
# See doc/reliability.md; the result fields are doc/results-json.md's.
#
# usage: test_openafs_clients_load.sh RXPERF OPENAFS_PEER
# env:   RXD_LOAD_RUNS (20), RXD_LOAD_PROCS (4), RXD_LOAD_THREADS (32 per process),
#        RXD_LOAD_CALLS (calls per process and run, 96),
#        RXD_LOAD_PCAP=1 (a debugging aid, with RXD_INTEROP_KEEP: capture each
#        run and keep load-RUN.pcapng if it lost a call or holds an ABORT or an
#        ICMP error; load-stop.pcapng covers the server's shutdown)
# exit:  0 all passed, 1 a failure, 77 skipped (not root / tool missing)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/interop/rxd_interop_lib.sh
. "$HERE/rxd_interop_lib.sh"

RXPERF=${1:?usage: $0 RXPERF OPENAFS_PEER}
PEER=${2:?usage: $0 RXPERF OPENAFS_PEER}
RUNS=${RXD_LOAD_RUNS:-20}
PROCS=${RXD_LOAD_PROCS:-4}
THREADS=${RXD_LOAD_THREADS:-32}
CALLS=${RXD_LOAD_CALLS:-96}
[ -x "$RXPERF" ] || skip "rxperf not built ($RXPERF)"
[ -x "$PEER" ] || skip "openafs_peer not built ($PEER)"
ix_init load

ix_ns_up
# the core's debug lines: one per call that ends other than in success (and path-MTU probes)
IX_RXD_EAL_EXTRA="--log-level=rxd.core:debug"
ix_rxd_server_start "$RXPERF" load
echo "rxd rxperf server up; $RUNS runs of $PROCS processes x $THREADS concurrent calls (4 KiB / 64 KiB)"

rcvbuf_errors() { # the kernel's UDP RcvbufErrors counter in the namespace
	# shellcheck disable=SC2016 # an awk program
	ix_ns awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp
}

stalled_runs=0
total_ok=0
want_ok=$((PROCS * CALLS))
rcv0=$(rcvbuf_errors)
t_all=$(date +%s)
for run in $(seq "$RUNS"); do
	[ -n "${RXD_LOAD_PCAP:-}" ] && [ -n "$T_KEEP" ] && ix_capture_start "$T_DIR/load-$run.pcapng" "udp or icmp"
	pids=()
	for p in $(seq "$PROCS"); do
		# -u 0: OpenAFS's default socket buffer; --timeout bounds a stalled call (RX_CALL_DEAD is ~12 s);
		# --linger-ms: the client's deferred last ACKs go out before it exits.
		bg "$T_DIR/load-$run-$p.log" ix_ns timeout --kill-after=5 60 taskset -c "$IX_PEER_CPU" "$PEER" client \
			-a "$IX_RXD_IP" -p 7009 -u 0 -c rpc -S 4096 -R 65536 -t "$THREADS" -T "$CALLS" --timeout 50 \
			--linger-ms 1000 --json
		pids+=("$LAST_PID")
	done
	ok=0
	bad=""
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
		rc=$?
		out="$T_DIR/load-$run-$((i + 1)).log"
		n=$(json_field "$(json_last "$out")" calls_ok)
		ok=$((ok + ${n:-0}))
		case $rc in
		0) ;;
		3) bad="$bad proc$((i + 1)):stalled(client --timeout)" ;;
		*) bad="$bad proc$((i + 1)):exit$rc" ;;
		esac
	done
	total_ok=$((total_ok + ok))
	if [ -n "${RXD_LOAD_PCAP:-}" ] && [ -n "$T_KEEP" ]; then
		ix_capture_stop
		# keep it if a call was lost, or rxd aborted one or heard of an ICMP error
		[ -z "$bad" ] && [ "$ok" = "$want_ok" ] &&
			[ -z "$(tshark -r "$T_DIR/load-$run.pcapng" -Y 'rx.type == 4 || icmp' 2>/dev/null | head -n 1)" ] &&
			rm -f "$T_DIR/load-$run.pcapng"
	fi
	if [ -n "$bad" ] || [ "$ok" != "$want_ok" ]; then
		stalled_runs=$((stalled_runs + 1))
		echo "run $run: $ok of $want_ok calls completed;$bad"
		grep -h "call failed" "$T_DIR"/load-"$run"-*.log | sort | uniq -c | head -n 5 | sed 's/^/  /'
	fi
done
secs=$(($(date +%s) - t_all))
rcv=$(( $(rcvbuf_errors) - rcv0 ))

lost=$((RUNS * want_ok - total_ok))
if [ "$stalled_runs" = 0 ]; then
	result PASS "$RUNS runs, every call completed" "$total_ok calls in ${secs}s; client RcvbufErrors +$rcv"
else
	result FAIL "$RUNS runs, every call completed" "$lost calls in $stalled_runs runs did not complete; RcvbufErrors +$rcv"
fi
# The load must really overflow the clients' buffers, or this test proves nothing about loss.
if [ "$rcv" -gt 0 ]; then
	result PASS "client socket buffers overflowed" "RcvbufErrors +$rcv"
else
	result FAIL "client socket buffers overflowed" "RcvbufErrors did not rise: the load did not cause loss"
fi

[ -n "${RXD_LOAD_PCAP:-}" ] && [ -n "$T_KEEP" ] && ix_capture_start "$T_DIR/load-stop.pcapng"
ix_rxd_server_stop "rxd server clean exit"
[ -n "${RXD_LOAD_PCAP:-}" ] && [ -n "$T_KEEP" ] && ix_capture_stop
line=$(grep -m1 '^rxperf server:.*calls' "$IX_SRV_OUT")
calls=$(printf '%s' "$line" | sed -n 's/^rxperf server: \([0-9]*\) calls.*/\1/p')
failed=$(printf '%s' "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
if [ "${failed:-x}" = 0 ] && [ "${calls:-0}" -ge "$total_ok" ]; then
	result PASS "server failed no call" "$line"
else
	result FAIL "server failed no call" "${line:-no server summary}"
fi
# every service call the core ended other than in success, as rxd_call_complete() logs it
grep 'rxd.core: service call .* ended' "$IX_SRV_OUT" | head -n 10 | sed 's/^/  server: /'

finish "OpenAFS clients under load"
