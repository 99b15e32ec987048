#!/bin/bash
# Regenerate tests/data/openafs_rxperf.pcap: real OpenAFS rx traffic on loopback
# (openafs_peer server + client, both OpenAFS 1.8 rx, plus OpenAFS rxdebug).
#
# usage: capture_openafs_rxperf.sh PATH/TO/openafs_peer [OUT.pcap]
# Needs root (or CAP_NET_RAW for dumpcap), dumpcap, rxdebug, tshark.
# Traffic stays on 127.0.0.1; server UDP 7009, client UDP 7100 (fixed so that
# the capture filter and golden tests can rely on it).
set -euo pipefail

PEER=${1:?usage: $0 openafs_peer [out.pcap]}
OUT=${2:-$(dirname "$0")/../data/openafs_rxperf.pcap}
PORT=7009
CPORT=7100
# shellcheck source=scripts/lib/harness.sh
. "$(dirname "$0")/../../scripts/lib/harness.sh"

start_server() {
	start_wait "$T_DIR/server.log" listening 5 "$PEER" server -p "$PORT" "$@"
	SRV=$LAST_PID
}

stop_server() {
	stop_pid "$SRV" 5 || true
}

client() {
	echo "+ openafs_peer client $*" >&2
	timeout 30 "$PEER" client -a 127.0.0.1 -p "$PORT" -l "$CPORT" --json "$@"
	sleep 0.6   # let the delayed final ACKs and dally traffic drain
}

bg "$T_DIR/dumpcap.log" dumpcap -q -i lo -f "udp port $PORT or udp port $CPORT" -P -w "$T_DIR/cap.pcap"
CAP=$LAST_PID
wait_log "$CAP" "$T_DIR/dumpcap.log" "Capturing on" 5 || true
sleep 0.5
if ! kill -0 "$CAP" 2>/dev/null; then cat "$T_DIR/dumpcap.log" >&2; echo "dumpcap failed" >&2; exit 1; fi

start_server
client -c rpc -S 0 -R 0 -T 1                         # 1: RPC 0/0 (first call: reachability PING)
client -c rpc -S 1413 -R 1 -T 1                      # 2: RPC 1413/1, two request DATA packets
client -c rpc -S 65536 -R 65536 -T 1                 # 3: 64 KiB each way: jumbograms, SACK ACKs
client -c rpc -S 100 -R 65536 -T 1 --abort-after 30000  # 4: client ABORT 1234 mid-reply
client -c rpc -S 8 -R 8 -T 1 --cookie                # 5: request carrying the trailing cookie
client --op 7 -S 0 -R 0 -T 1 --expect-abort -455     # 6: unknown op -> ABORT RXGEN_OPCODE
client -c rpc -T 1 --service 99 --expect-abort -2    # 7: unknown service -> ABORT RX_INVALID_OPERATION
echo "+ rxdebug 127.0.0.1 $PORT -version" >&2
timeout 60 rxdebug 127.0.0.1 "$PORT" -version
echo "+ rxdebug 127.0.0.1 $PORT -rxstats -noconns" >&2
timeout 60 rxdebug 127.0.0.1 "$PORT" -rxstats -noconns >/dev/null
sleep 0.3
stop_server

start_server --abort-reply-after 20000
client -c rpc -S 0 -R 65536 -T 1 --expect-abort 4321  # 8: server ABORT 4321 mid-reply
stop_server

sleep 0.5
stop_pid "$CAP" 5 || true
mkdir -p "$(dirname "$OUT")"
cp "$T_DIR/cap.pcap" "$OUT"
echo "wrote $OUT ($(stat -c %s "$OUT") bytes, $(tshark -r "$OUT" 2>/dev/null | wc -l) frames)" >&2
