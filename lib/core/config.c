/* SPDX-License-Identifier: MIT */
/*
 * Engine configuration: one table drives defaults, parsing, validation and
 * the description printed by tools, so a parameter is added in one place.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rxd/core.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ALIASES 3
#define NAME_MAX_LEN 64

struct param {
	const char *name;		  /* canonical: the field name without unit suffix */
	const char *aliases[MAX_ALIASES]; /* other accepted names (field name, kernel sysctl) */
	size_t offset;			  /* of a uint32_t in struct rxd_config */
	uint32_t min, max, def;
	const char *unit;
	const char *seed; /* the kernel's rxrpc.rst sysctl name, or NULL if rxd's own */
	const char *desc;
};

#define F(field) offsetof(struct rxd_config, field)

/* One row per parameter reads better than one value per line. */
/* clang-format off */
static const struct param params[] = {
	{"req_ack_delay", {"req_ack_delay_ms"}, F(req_ack_delay_ms), 0, 1000, 0, "ms", "req_ack_delay",
	 "delay before honouring a REQUEST_ACK flag, so one ACK covers several packets (0 = at once, as current kernels do)"},
	{"soft_ack_delay", {"soft_ack_delay_ms"}, F(soft_ack_delay_ms), 1, 60000, 1000, "ms", "soft_ack_delay",
	 "delay before a soft-ACK tells the sender a new packet arrived (until an RTT sample exists)"},
	{"idle_ack_delay", {"idle_ack_delay_ms"}, F(idle_ack_delay_ms), 0, 60000, 500, "ms", "idle_ack_delay",
	 "delay before an ACK tells the sender the reader reopened its window (one packet read)"},
	{"resend_timeout", {"resend_timeout_ms"}, F(resend_timeout_ms), 1, 60000, 1000, "ms", "resend_timeout",
	 "retransmission timeout before any RTT sample exists"},
	{"max_call_lifetime", {"max_call_lifetime_s"}, F(max_call_lifetime_s), 0, 2592000, 0, "s",
	 "max_call_lifetime", "hard limit on a call's duration (0 = none)"},
	{"dead_call_expiry", {"dead_call_expiry_s"}, F(dead_call_expiry_s), 0, 3600, 60, "s", "dead_call_expiry",
	 "how long a finished call's final ACK/ABORT is kept to answer retransmissions"},
	{"connection_expiry", {"connection_expiry_s"}, F(connection_expiry_s), 1, 86400, 600, "s",
	 "connection_expiry", "idle service connection lifetime (its security must then be renegotiated)"},
	{"client_conn_expiry", {"client_conn_expiry_s", "idle_conn_expiry"}, F(client_conn_expiry_s), 1, 86400, 120,
	 "s", NULL, "idle client connection lifetime"},
	{"transport_expiry", {"transport_expiry_s"}, F(transport_expiry_s), 1, 86400, 60, "s", "transport_expiry",
	 "idle peer lifetime (the peer anchors RTT and MTU state)"},
	{"rx_window_size", {"rxrpc_rx_window_size"}, F(rx_window_size), 1, 255, 255, "packets",
	 "rxrpc_rx_window_size", "receive window: unconsumed packets held per call"},
	{"rx_mtu", {"rxrpc_rx_mtu"}, F(rx_mtu), 500, 65535, 65160, "bytes", "rxrpc_rx_mtu",
	 "largest datagram we accept, advertised to the peer"},
	{"rx_jumbo_max", {"rxrpc_rx_jumbo_max"}, F(rx_jumbo_max), 1, 46, 46, "packets", "rxrpc_rx_jumbo_max",
	 "subpackets we accept per jumbo packet"},
	{"tx_jumbo_max", {NULL}, F(tx_jumbo_max), 1, 46, 46, "packets", NULL,
	 "subpackets we send per jumbo packet (1 = never send jumbo packets)"},
	{"tx_window_max", {NULL}, F(tx_window_max), 1, 255, 128, "packets", NULL,
	 "cap on the transmit window"},
	{"if_mtu", {NULL}, F(if_mtu), 576, 65535, 1500, "bytes", NULL, "interface MTU"},
	{"expect_rx_timeout", {"expect_rx_timeout_ms"}, F(expect_rx_timeout_ms), 1, 3600000, 20000, "ms", NULL,
	 "a call dies after this long without hearing from the peer"},
	{"idle_request_timeout", {"idle_request_timeout_ms"}, F(idle_request_timeout_ms), 1, 3600000, 20000, "ms",
	 NULL, "server: longest gap allowed between request DATA packets"},
	{"max_backlog", {NULL}, F(max_backlog), 1, 65535, 32, "calls", NULL,
	 "unaccepted incoming calls per service before BUSY"},
	{"max_calls", {NULL}, F(max_calls), 1, 16777216, 65536, "calls", NULL, "calls per shard (pool size)"},
	{"max_conns", {NULL}, F(max_conns), 1, 4194304, 16384, "connections", NULL,
	 "connections per shard (pool size)"},
	{"max_peers", {NULL}, F(max_peers), 1, 1048576, 4096, "peers", NULL, "peers per shard (pool size)"},
	{"tx_queue_max", {NULL}, F(tx_queue_max), 1, 65536, 512, "packets", NULL,
	 "DATA packets a call may hold unsent or unacknowledged"},
	{"bundle_conns", {NULL}, F(bundle_conns), 1, 256, 4, "connections", NULL,
	 "client connections at once to one peer, service, security and key (4 calls each); more calls wait"},
	{"pmtud", {NULL}, F(pmtud), 0, 1, 1, "bool", NULL,
	 "path-MTU discovery with padded PING probes (0 = trust if_mtu, lowered only by ICMP)"},
	{"pmtud_reprobe", {"pmtud_reprobe_s"}, F(pmtud_reprobe_s), 0, 86400, 600, "s", NULL,
	 "once the search ends, probe for a larger path MTU again after this long (RFC 8899 PMTU_RAISE_TIMER; 0 = never)"},
};
/* clang-format on */

/* Every field of struct rxd_config must have a row. */
_Static_assert(sizeof(struct rxd_config) == ARRAY_SIZE(params) * sizeof(uint32_t),
	       "struct rxd_config and the parameter table disagree");

/* Cross-field rules: field a must be >= field b (why in the message). */
struct rule {
	size_t a, b;
	const char *a_name, *b_name, *why;
};

static const struct rule rules[] = {
    {F(tx_queue_max), F(tx_window_max), "tx_queue_max", "tx_window_max", "the transmit queue must hold a full window"},
    {F(max_calls), F(max_backlog), "max_calls", "max_backlog", "the backlog is drawn from the call pool"},
    {F(expect_rx_timeout_ms), F(resend_timeout_ms), "expect_rx_timeout", "resend_timeout",
     "a call must live long enough to retransmit once"},
};

#undef F

static uint32_t get(const struct rxd_config *c, size_t off)
{
	uint32_t v;
	memcpy(&v, (const char *)c + off, sizeof(v));
	return v;
}

static void put(struct rxd_config *c, size_t off, uint32_t v)
{
	memcpy((char *)c + off, &v, sizeof(v));
}

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Names compare with '-' and '_' equal, so "rx-mtu" works on command lines. */
static bool name_eq(const char *a, size_t alen, const char *b)
{
	size_t i;
	for (i = 0; i < alen; i++) {
		char x = a[i] == '-' ? '_' : a[i];
		if (b[i] == '\0' || x != b[i])
			return false;
	}
	return b[i] == '\0';
}

static const struct param *lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(params); i++) {
		const struct param *p = &params[i];
		if (name_eq(name, len, p->name))
			return p;
		for (unsigned j = 0; j < MAX_ALIASES && p->aliases[j]; j++)
			if (name_eq(name, len, p->aliases[j]))
				return p;
	}
	return NULL;
}

int rxd_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	bool big = false;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			big = true; /* keep scanning: junk after an overflow is still junk */
		else
			v = v * 10 + d;
	}
	switch (*s) {
	case 'k':
	case 'K':
		shift = 10, s++;
		break;
	case 'm':
	case 'M':
		shift = 20, s++;
		break;
	case 'g':
	case 'G':
		shift = 30, s++;
		break;
	default:
		break;
	}
	if (*s)
		return -EINVAL;
	if (big || v > (UINT64_MAX >> shift) || (v << shift) > max)
		return -ERANGE;
	*out = v << shift;
	return 0;
}

void rxd_config_default(struct rxd_config *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < ARRAY_SIZE(params); i++)
		put(c, params[i].offset, params[i].def);
}

int rxd_config_set(struct rxd_config *c, const char *name, const char *value, char *err, size_t errlen)
{
	size_t nlen;
	if (!name)
		return fail(-EINVAL, err, errlen, "missing parameter name");
	if (value) {
		nlen = strlen(name);
	} else {
		const char *eq = strchr(name, '=');
		if (!eq)
			return fail(-EINVAL, err, errlen, "'%s': expected name=value", name);
		nlen = (size_t)(eq - name);
		value = eq + 1;
	}

	const struct param *p = lookup(name, nlen);
	if (!p) {
		int shown = nlen > NAME_MAX_LEN ? NAME_MAX_LEN : (int)nlen;
		return fail(-EINVAL, err, errlen, "unknown parameter '%.*s'", shown, name);
	}

	uint64_t v = 0;
	int rc = rxd_parse_u64(value, UINT32_MAX, &v);
	if (rc == -EINVAL)
		return fail(-EINVAL, err, errlen,
			    "%s: '%s' is not a decimal number (k, m, g suffixes; range %u..%u %s)", p->name, value,
			    p->min, p->max, p->unit);
	if (rc == -ERANGE || v < p->min || v > p->max)
		return fail(-ERANGE, err, errlen, "%s: %s out of range %u..%u", p->name, value, p->min, p->max);
	put(c, p->offset, (uint32_t)v);
	return 0;
}

int rxd_config_validate(const struct rxd_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < ARRAY_SIZE(params); i++) {
		const struct param *p = &params[i];
		uint32_t v = get(c, p->offset);
		if (v < p->min || v > p->max)
			return fail(-EINVAL, err, errlen, "%s: %u out of range %u..%u", p->name, v, p->min, p->max);
	}
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct rule *r = &rules[i];
		uint32_t a = get(c, r->a), b = get(c, r->b);
		if (a < b)
			return fail(-EINVAL, err, errlen, "%s (%u) must be >= %s (%u): %s", r->a_name, a, r->b_name, b,
				    r->why);
	}
	return 0;
}

void rxd_config_describe(const struct rxd_config *c, void (*line)(void *arg, const char *text), void *arg)
{
	char buf[320];
	for (size_t i = 0; i < ARRAY_SIZE(params); i++) {
		const struct param *p = &params[i];
		snprintf(buf, sizeof(buf), "%s = %u %s (default %u, range %u..%u%s%s): %s", p->name, get(c, p->offset),
			 p->unit, p->def, p->min, p->max, p->seed ? ", seed " : "", p->seed ? p->seed : "", p->desc);
		line(arg, buf);
	}
}
