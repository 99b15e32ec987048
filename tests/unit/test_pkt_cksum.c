/* SPDX-License-Identifier: MIT */
/* The shell's software Internet checksum (lib/dpdk/rxd_pkt.c) against a plain 16-bit reference. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rxd_pkt.h"

/* RFC 1071 done the obvious way: native 16-bit words, odd byte as the low-address byte. */
static uint16_t ref_cksum(const uint8_t *p, size_t len, uint32_t sum)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		uint16_t w;
		memcpy(&w, p + i, 2);
		s += w;
	}
	if (i < len) {
		uint16_t w = 0;
		memcpy(&w, p + i, 1);
		s += w;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

Test(cksum, rfc1071_example)
{
	/* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2 in network order */
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint16_t s = rxd_cksum_fold(rxd_cksum_add(b, sizeof b, 0));
	uint8_t be[2];

	memcpy(be, &s, 2); /* stored as summed: native order */
	cr_assert_eq(be[0], 0xdd);
	cr_assert_eq(be[1], 0xf2);
}

Test(cksum, all_ones_and_zeros)
{
	uint8_t b[1500];

	memset(b, 0xff, sizeof b);
	cr_assert_eq(rxd_cksum_fold(rxd_cksum_add(b, sizeof b, 0)), 0xffff);
	memset(b, 0, sizeof b);
	cr_assert_eq(rxd_cksum_fold(rxd_cksum_add(b, sizeof b, 0)), 0);
	cr_assert_eq(rxd_cksum_fold(rxd_cksum_add(b, 0, 0x1234)), 0x1234);
}

Test(cksum, random_lengths_offsets_and_seeds)
{
	static uint8_t b[70000];

	srand(7);
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)rand();
	for (int t = 0; t < 20000; t++) {
		size_t off = (size_t)rand() % 64;
		size_t len = t < 200 ? (size_t)t : (size_t)rand() % (t % 10 ? 1600 : 65536);
		uint32_t seed = t % 3 ? (uint32_t)rand() : 0xffffffffu;
		uint16_t want = ref_cksum(b + off, len, seed), got = rxd_cksum_fold(rxd_cksum_add(b + off, len, seed));

		cr_assert_eq(got, want, "off %zu len %zu seed %#x: got %#x want %#x", off, len, seed, got, want);
	}
}

Test(cksum, chaining_at_even_boundaries)
{
	uint8_t b[3000];

	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)(i * 131 + 7);
	for (size_t cut = 0; cut <= sizeof b; cut += 2) {
		uint32_t s = rxd_cksum_add(b, cut, 0);
		s = rxd_cksum_add(b + cut, sizeof b - cut, s);
		cr_assert_eq(rxd_cksum_fold(s), ref_cksum(b, sizeof b, 0), "cut %zu", cut);
	}
}

/* A UDP checksum written by rxd_pkt_l4_cksum verifies under the plain reference (IPv4 and IPv6). */
Test(cksum, udp_pseudo_header)
{
	uint8_t src[16], dst[16], u[600], ph[40 + sizeof u];

	srand(11);
	for (int t = 0; t < 2000; t++) {
		unsigned fam = t % 2 ? 6 : 4, alen = fam == 4 ? 4 : 16, plen;
		uint32_t len = 8 + (uint32_t)rand() % (sizeof u - 8);
		uint16_t ck;

		for (unsigned i = 0; i < 16; i++)
			src[i] = (uint8_t)rand(), dst[i] = (uint8_t)rand();
		for (unsigned i = 0; i < len; i++)
			u[i] = (uint8_t)rand();
		u[6] = u[7] = 0;
		ck = rxd_pkt_l4_cksum(fam, src, dst, RXD_IPPROTO_UDP, u, len);
		memcpy(u + 6, &ck, 2);
		cr_assert(rxd_pkt_l4_cksum_ok(fam, src, dst, RXD_IPPROTO_UDP, u, len));
		/* the same by hand: pseudo-header then the datagram */
		memcpy(ph, src, alen);
		memcpy(ph + alen, dst, alen);
		if (fam == 4) {
			ph[8] = 0, ph[9] = RXD_IPPROTO_UDP, ph[10] = (uint8_t)(len >> 8), ph[11] = (uint8_t)len;
			plen = 12;
		} else {
			ph[32] = (uint8_t)(len >> 24), ph[33] = (uint8_t)(len >> 16), ph[34] = (uint8_t)(len >> 8);
			ph[35] = (uint8_t)len, ph[36] = ph[37] = ph[38] = 0, ph[39] = RXD_IPPROTO_UDP;
			plen = 40;
		}
		memcpy(ph + plen, u, len);
		cr_assert_eq(ref_cksum(ph, plen + len, 0), 0xffff, "family %u len %u", fam, len);
	}
}
