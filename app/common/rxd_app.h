/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the applications.
 *
 * Sending: rxd_call_send() returns the bytes accepted.  Without RXD_SEND_MORE
 * the phase has ended exactly when all the bytes were accepted; otherwise the
 * application sends the rest after writable().  A zero-length end-of-phase
 * send that finds the queue full gets -EAGAIN.  rxd_app_send() reports the
 * end of the phase as one flag and that -EAGAIN as 0 bytes accepted.
 */
#ifndef RXD_APP_H
#define RXD_APP_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rxd/core.h>

/* The shell's clock: call handlers do not receive the time, the API calls they make need it. */
typedef uint64_t (*rxd_app_clock_fn)(void *arg);

/**
 * Send len bytes; more = more data follows in this phase.  Returns the bytes
 * accepted or a negative errno.  *ended is set when the phase is over (with
 * !more, exactly when everything was accepted); otherwise wait for
 * writable() and call again with the rest (len 0 for a pending end, which
 * the core refuses with -EAGAIN while its queue is full: reported as 0 here).
 */
static inline ssize_t rxd_app_send(struct rxd_call *c, const void *data, size_t len, bool more, bool *ended,
				   uint64_t now)
{
	ssize_t r = rxd_call_send(c, data, len, more ? RXD_SEND_MORE : 0, now);

	*ended = r >= 0 && !more && (size_t)r == len;
	return r == -EAGAIN ? 0 : r;
}

/**
 * Server side of a small RPC (VL, RXAFSCB: every request fits the receive
 * window): the whole request into buf once it has all arrived.  Returns its
 * length; 0 while more is to come (call again from the next data callback);
 * -1 after aborting the call with abort_code (longer than cap, unreadable).
 */
static inline ssize_t rxd_app_whole_request(struct rxd_call *c, uint8_t *buf, size_t cap, int32_t abort_code,
					    uint64_t now)
{
	enum rxd_call_state cs = rxd_call_state(c);
	struct rxd_seg seg[1];
	bool eor = false;
	ssize_t n;

	if (cs != RXD_CS_SERVER_RECV_REQUEST && cs != RXD_CS_SERVER_ACK_REQUEST)
		return 0;
	rxd_call_peek(c, seg, 1, &eor);
	if (!eor) {
		if (rxd_call_rx_avail(c) <= cap)
			return 0;
		rxd_call_abort(c, abort_code, now);
		return -1;
	}
	n = rxd_call_recv(c, buf, cap, &eor, now);
	if (n <= 0 || !eor) {
		rxd_call_abort(c, abort_code, now);
		return -1;
	}
	return n;
}

/** End a small RPC: abort with code, or send the whole reply (abort with marshal_code if it does not fit). */
static inline void rxd_app_reply(struct rxd_call *c, int32_t code, const uint8_t *reply, size_t len,
				 int32_t marshal_code, uint64_t now)
{
	if (code)
		rxd_call_abort(c, code, now);
	else if (rxd_call_send(c, reply, len, 0, now) != (ssize_t)len)
		rxd_call_abort(c, marshal_code, now);
}

/** A service descriptor for a server engine: its new_call ops and its state as app. */
static inline void rxd_app_service_desc(struct rxd_service_desc *d, uint16_t service_id,
					const struct rxd_call_ops *svc_ops, void *svc_app)
{
	memset(d, 0, sizeof(*d));
	d->service_id = service_id;
	d->ops = svc_ops;
	d->app = svc_app;
}

#endif
