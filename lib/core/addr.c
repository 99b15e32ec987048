/* SPDX-License-Identifier: MIT */
/* Transport addresses: compare, hash, format, parse. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

bool rxd_addr_equal(const struct rxd_addr *a, const struct rxd_addr *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	if (a->family == RXD_AF_INET)
		return memcmp(a->ip.v4, b->ip.v4, 4) == 0;
	return memcmp(a->ip.v6, b->ip.v6, 16) == 0;
}

uint32_t rxd_addr_hash(const struct rxd_addr *a)
{
	/* FNV-1a over the significant bytes */
	uint32_t h = 2166136261u;
	unsigned n = a->family == RXD_AF_INET ? 4 : 16;
	for (unsigned i = 0; i < n; i++)
		h = (h ^ a->ip.v6[i]) * 16777619u;
	h = (h ^ (a->port & 0xff)) * 16777619u;
	h = (h ^ (a->port >> 8)) * 16777619u;
	return h ^ (h >> 15);
}

char *rxd_addr_format(const struct rxd_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family == RXD_AF_INET) {
		inet_ntop(AF_INET, a->ip.v4, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, a->port);
	} else {
		inet_ntop(AF_INET6, a->ip.v6, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, a->port);
	}
	return buf;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int rxd_addr_parse(const char *s, uint16_t default_port, struct rxd_addr *out)
{
	char tmp[INET6_ADDRSTRLEN + 16];
	const char *colon;

	memset(out, 0, sizeof(*out));
	out->port = default_port;
	if (!s || strlen(s) >= sizeof(tmp))
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (size_t)(close - s - 1) >= INET6_ADDRSTRLEN)
			return -EINVAL;
		memcpy(tmp, s + 1, (size_t)(close - s - 1));
		tmp[close - s - 1] = 0;
		if (inet_pton(AF_INET6, tmp, out->ip.v6) != 1)
			return -EINVAL;
		out->family = RXD_AF_INET6;
		if (close[1] == ':')
			return parse_port(close + 2, &out->port);
		return close[1] ? -EINVAL : 0;
	}
	colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':')) {
		if (inet_pton(AF_INET6, s, out->ip.v6) != 1)
			return -EINVAL;
		out->family = RXD_AF_INET6;
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s", s);
	if (colon) {
		tmp[colon - s] = 0;
		if (parse_port(colon + 1, &out->port) < 0)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, tmp, out->ip.v4) != 1)
		return -EINVAL;
	out->family = RXD_AF_INET;
	return 0;
}
