/* SPDX-License-Identifier: MIT */
/* Log-linear latency histogram (about 1.6 % resolution, 1 ns .. 18 min). */
#ifndef RXD_HISTO_H
#define RXD_HISTO_H

#include <stdint.h>

#define RXD_HISTO_SUB 64u
#define RXD_HISTO_POW 41u

struct rxd_histo {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t min_ns, max_ns;
	uint64_t b[RXD_HISTO_POW * RXD_HISTO_SUB];
};

void rxd_histo_init(struct rxd_histo *h);
void rxd_histo_add(struct rxd_histo *h, uint64_t ns);
void rxd_histo_merge(struct rxd_histo *into, const struct rxd_histo *from);
/** Value at quantile q (0..1), ns; 0 when empty. */
uint64_t rxd_histo_quantile(const struct rxd_histo *h, double q);

#endif
