/* SPDX-License-Identifier: MIT */
/*
 * RTT estimation: RFC 6298 with the Linux TCP refinements the kernel's
 * rxrpc uses (srtt<<3, mdev<<2, mdev_max, rttvar).  RTO =
 * min(max(srtt + rttvar + 100 ms, 200 ms), 120 s).  The estimate belongs to
 * the peer; rto.c doubles it by each call's own backoff, as OpenAFS (call->rto
 * in rx.c) and the kernel (rxrpc_get_rto_backoff(call, ...)) do.
 */
#include "internal.h"

void rxd_rtt_init(struct rxd_rtt *r, uint64_t initial_rto_ns)
{
	memset(r, 0, sizeof(*r));
	r->rto_ns = initial_rto_ns;
	r->min_rtt_ns = UINT64_MAX;
}

void rxd_rtt_sample(struct rxd_rtt *r, uint64_t rtt_ns)
{
	uint64_t m = rtt_ns / 1000; /* us */
	int64_t err;

	if (m == 0)
		m = 1;
	if (rtt_ns < r->min_rtt_ns)
		r->min_rtt_ns = rtt_ns;
	if (r->nsamples == 0) {
		r->srtt_us8 = m << 3;
		r->mdev_us4 = m << 1; /* rttvar = rtt/2 */
		r->mdev_max_us4 = r->mdev_us4;
		r->rttvar_us4 = r->mdev_us4;
	} else {
		err = (int64_t)m - (int64_t)(r->srtt_us8 >> 3);
		r->srtt_us8 = (uint64_t)((int64_t)r->srtt_us8 + err);
		if (err < 0) {
			err = -err;
			err -= (int64_t)(r->mdev_us4 >> 2);
			if (err > 0)
				err >>= 3; /* shrink slowly on decreasing RTT */
		} else {
			err -= (int64_t)(r->mdev_us4 >> 2);
		}
		r->mdev_us4 = (uint64_t)((int64_t)r->mdev_us4 + err);
		if (r->mdev_us4 > r->mdev_max_us4)
			r->mdev_max_us4 = r->mdev_us4;
		if (r->mdev_max_us4 > r->rttvar_us4)
			r->rttvar_us4 = r->mdev_max_us4;
		else
			r->rttvar_us4 -= (r->rttvar_us4 - r->mdev_max_us4) >> 2;
		r->mdev_max_us4 = r->mdev_us4;
	}
	r->nsamples++;
	{
		uint64_t rto_us = (r->srtt_us8 >> 3) + r->rttvar_us4;
		uint64_t ns = rto_us * 1000 + RXD_RTO_EXTRA_NS;
		if (ns < RXD_MIN_RTO_NS)
			ns = RXD_MIN_RTO_NS;
		if (ns > RXD_MAX_RTO_NS)
			ns = RXD_MAX_RTO_NS;
		r->rto_ns = ns;
	}
}

uint64_t rxd_rtt_srtt_ns(const struct rxd_rtt *r)
{
	return r->nsamples ? (r->srtt_us8 >> 3) * 1000 : 0;
}
