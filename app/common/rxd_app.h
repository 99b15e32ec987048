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
