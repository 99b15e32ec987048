/* SPDX-License-Identifier: MIT */
#include "rxd_histo.h"

#include <string.h>

void rxd_histo_init(struct rxd_histo *h)
{
	memset(h, 0, sizeof(*h));
	h->min_ns = UINT64_MAX;
}

static unsigned bucket(uint64_t v)
{
	unsigned p, sub;

	if (v < RXD_HISTO_SUB)
		return (unsigned)v;
	p = 63u - (unsigned)__builtin_clzll(v); /* v in [2^p, 2^(p+1)) with p >= 6 */
	sub = (unsigned)((v >> (p - 6)) & (RXD_HISTO_SUB - 1));
	p -= 5;
	if (p >= RXD_HISTO_POW)
		return RXD_HISTO_POW * RXD_HISTO_SUB - 1;
	return p * RXD_HISTO_SUB + sub;
}

static uint64_t bucket_value(unsigned b)
{
	unsigned p = b / RXD_HISTO_SUB, sub = b % RXD_HISTO_SUB;

	if (p == 0)
		return sub;
	/* lower edge of the bucket */
	return ((uint64_t)(RXD_HISTO_SUB + sub)) << (p - 1);
}

void rxd_histo_add(struct rxd_histo *h, uint64_t ns)
{
	h->b[bucket(ns)]++;
	h->count++;
	h->sum_ns += ns;
	if (ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

void rxd_histo_merge(struct rxd_histo *into, const struct rxd_histo *from)
{
	for (unsigned i = 0; i < RXD_HISTO_POW * RXD_HISTO_SUB; i++)
		into->b[i] += from->b[i];
	into->count += from->count;
	into->sum_ns += from->sum_ns;
	if (from->min_ns < into->min_ns)
		into->min_ns = from->min_ns;
	if (from->max_ns > into->max_ns)
		into->max_ns = from->max_ns;
}

uint64_t rxd_histo_quantile(const struct rxd_histo *h, double q)
{
	uint64_t want, seen = 0;

	if (!h->count)
		return 0;
	want = (uint64_t)(q * (double)h->count);
	if (want >= h->count)
		want = h->count - 1;
	for (unsigned i = 0; i < RXD_HISTO_POW * RXD_HISTO_SUB; i++) {
		seen += h->b[i];
		if (seen > want) {
			uint64_t v = bucket_value(i);
			return v < h->min_ns ? h->min_ns : v > h->max_ns ? h->max_ns : v;
		}
	}
	return h->max_ns;
}
