#!/bin/bash
# SPDX-License-Identifier: MIT
# The two application faces, through the example programs of doc/examples:
# the message API (threads; NEW_CALL + ACCEPT and charged slots; 0 B to
# 4 MiB; announced lengths, a broken one aborted RX_USER_ABORT) and the
# run-to-completion API, with 1 and 2 workers over net_ring.
#   msg.sh MSG_ECHO RTC_ECHO
MSG=$1
RTC=$2
. "$(dirname "$0")/../../scripts/lib/harness.sh"
require_root

for w in 1 2; do
	for args in "--size 0 --calls 10" "--size 1 --calls 10" "--size 5000 --calls 50" \
		"--size 1048576 --calls 4" "--size 4194304 --calls 2" "--size 20000 --calls 30 --charge" \
		"--size 100 --calls 3 --short-request"; do
		name="msg_w${w}_$(echo "$args" | tr -cd '0-9a-z')"
		if timeout 120 "$MSG" $(lcores "$w") $(eal_common "$name") -- $args >"$T_DIR/$name.log" 2>&1; then
			echo "ok: $(grep '^msg_echo:' "$T_DIR/$name.log") [$w worker(s)]"
		else
			fail "msg_echo $args, $w worker(s)"
			tail -5 "$T_DIR/$name.log" | sed 's/^/    /'
		fi
	done
	for args in "--size 0 --calls 10" "--size 65536 --calls 20"; do
		name="rtc_w${w}_$(echo "$args" | tr -cd '0-9a-z')"
		if timeout 120 "$RTC" $(lcores "$w") $(eal_common "$name") -- $args >"$T_DIR/$name.log" 2>&1; then
			echo "ok: $(grep '^rtc_echo:' "$T_DIR/$name.log") [$w worker(s)]"
		else
			fail "rtc_echo $args, $w worker(s)"
			tail -5 "$T_DIR/$name.log" | sed 's/^/    /'
		fi
	done
done
finish
