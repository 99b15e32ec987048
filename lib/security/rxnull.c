/* SPDX-License-Identifier: MIT */
/*
 * rxnull (security index 0): no per-packet header, no checksum, no
 * challenge.  It is the class every conn falls back to; the core treats
 * index 0 as this class without calling any hook.
 */
#include <rxd/core.h>
#include <rxd/security.h>

static uint32_t rxnull_overhead(const void *conn_sec, uint8_t level)
{
	(void)conn_sec;
	(void)level;
	return 0;
}

const struct rxd_security_class rxd_rxnull_class = {
    .index = RXD_SECURITY_NONE,
    .name = "rxnull",
    .packet_overhead = rxnull_overhead,
};
