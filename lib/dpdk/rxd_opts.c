/* SPDX-License-Identifier: MIT */
/*
 * Shell options: defaults, "name=value" setting (CLI and config files share
 * the names), and the config-file reader.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/dpdk.h>

#include "rxd_pkt.h"

void rxd_shell_opts_default(struct rxd_shell_opts *o)
{
	memset(o, 0, sizeof(*o));
	rxd_config_default(&o->core);
	o->udp_ports[0] = RXD_DEFAULT_UDP_PORT;
	o->n_udp_ports = 1;
	o->nb_rxd = 1024;
	o->nb_txd = 1024;
	o->burst = 32;
	o->fwd_ring_size = 1024;
	o->neigh_size = 256;
	o->neigh_timeout_s = 60;
	o->drain_ms = 2000;
	o->rss = true;
	o->rx_sw_cksum = true;
	o->tx_offload = true;
}

/* Names compare with '-' and '_' as the same character. */
static bool name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
		if (x != y)
			return false;
	}
	return *a == *b;
}

static int parse_bool(const char *v, bool *out)
{
	if (!v || !strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

enum kind { K_U16, K_U32, K_U64, K_BOOL, K_NBOOL, K_ADDR, K_PORTS };

struct opt {
	const char *name;
	enum kind kind;
	size_t off;
	uint64_t min, max;
	const char *help;
};

#define OFF(f) offsetof(struct rxd_shell_opts, f)
static const struct opt opts[] = {
    {"ip", K_ADDR, 0, 0, 0, "ADDR/LEN[@IFACE]  IPv4 address of an iface (repeat per iface)"},
    {"ip6", K_ADDR, 0, 0, 0, "ADDR/LEN[@IFACE]  IPv6 address of an iface"},
    {"gw", K_ADDR, 0, 0, 0, "ADDR[@IFACE]      IPv4 gateway"},
    {"gw6", K_ADDR, 0, 0, 0, "ADDR[@IFACE]      IPv6 gateway"},
    {"port", K_PORTS, 0, 1, 65535, "N[,N...]          local UDP ports, up to 4, each its own shard (7009)"},
    {"mtu", K_U16, OFF(mtu), 0, 65535, "N                 port MTU (0 = keep the port's)"},
    {"nb-mbufs", K_U32, OFF(nb_mbufs), 0, 1u << 26, "N                 mbufs per NUMA socket (0 = auto)"},
    {"rxd", K_U16, OFF(nb_rxd), 64, 32768, "N                 RX descriptors per queue (1024)"},
    {"txd", K_U16, OFF(nb_txd), 64, 32768, "N                 TX descriptors per queue (1024)"},
    {"burst", K_U16, OFF(burst), 1, 64, "N                 RX burst size (32)"},
    {"fwd-ring-size", K_U32, OFF(fwd_ring_size), 64, 1u << 20, "N                 ring size per lcore pair (1024)"},
    {"neigh-size", K_U32, OFF(neigh_size), 8, 1u << 20, "N                 ARP/ND cache entries (256)"},
    {"neigh-timeout", K_U32, OFF(neigh_timeout_s), 1, 86400, "S                 ARP/ND entry lifetime (60)"},
    {"idle-sleep", K_U32, OFF(idle_sleep_us), 0, 1000000, "US                sleep when idle (0 = busy poll)"},
    {"drain-ms", K_U32, OFF(drain_ms), 0, 3600000, "MS                drain bound on SIGINT/SIGTERM (2000)"},
    {"seed", K_U64, OFF(seed), 0, UINT64_MAX, "N                 randomness seed (0 = random)"},
    {"rss", K_BOOL, OFF(rss), 0, 1, "[0|1]             RSS on UDP when offered (1)"},
    {"no-rss", K_NBOOL, OFF(rss), 0, 1, "                  disable RSS"},
    {"flow", K_BOOL, OFF(flow), 0, 1, "[0|1]             try rte_flow cid steering (0)"},
    {"rx-sw-cksum", K_BOOL, OFF(rx_sw_cksum), 0, 1, "[0|1]             verify checksums in software (1)"},
    {"no-rx-cksum", K_NBOOL, OFF(rx_sw_cksum), 0, 1, "                  trust frames the port did not check"},
    {"tx-offload", K_BOOL, OFF(tx_offload), 0, 1, "[0|1]             TX checksum offload when offered (1)"},
    {"no-tx-offload", K_NBOOL, OFF(tx_offload), 0, 1, "                  checksums in software"},
    {"promisc", K_BOOL, OFF(promisc), 0, 1, "[0|1]             promiscuous mode (0)"},
    {"crypto-lcores", K_U16, OFF(crypto_lcores), 0, RXD_SHELL_MAX_WORKERS - 1,
     "N                 the last N worker lcores secure and verify DATA (0 = inline)"},
    {"ring-pair", K_BOOL, OFF(ring_pair), 0, 1, "[0|1]             two cross-connected net_ring ports in-process"},
};

bool rxd_shell_opts_is_flag(const char *name)
{
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (name_eq(name, opts[i].name))
			return opts[i].kind == K_BOOL || opts[i].kind == K_NBOOL;
	return false;
}

void rxd_shell_opts_usage(FILE *f)
{
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		fprintf(f, "  --%-14s %s\n", opts[i].name, opts[i].help);
	fprintf(f, "  --NAME VALUE     any core parameter (rxd_config_set), e.g. --rx-window-size 63\n");
}

/* "ADDR[/LEN][@IFACE]" for ip/ip6/gw/gw6. */
static int set_addr(struct rxd_shell_opts *o, const char *name, const char *value, char *err, size_t errlen)
{
	char buf[96];
	const char *at;
	unsigned family, plen, idx;
	uint8_t addr[16];
	bool v6 = name_eq(name, "ip6") || name_eq(name, "gw6"), gw = name[0] == 'g';
	struct rxd_iface_opts *io;

	if (!value || strlen(value) >= sizeof buf)
		goto bad;
	at = strchr(value, '@');
	memcpy(buf, value, at ? (size_t)(at - value) : strlen(value));
	buf[at ? (size_t)(at - value) : strlen(value)] = 0;
	if (rxd_ip_parse(buf, &family, addr, &plen) || family != (v6 ? 6u : 4u) || (gw && strchr(buf, '/')))
		goto bad;
	if (at) {
		uint64_t x;
		if (rxd_parse_u64(at + 1, RXD_SHELL_MAX_IFACES - 1, &x))
			goto bad;
		idx = (unsigned)x;
	} else if (!gw) { /* the first iface without this family's address */
		for (idx = 0; idx < RXD_SHELL_MAX_IFACES; idx++)
			if (!(v6 ? o->iface[idx].has_ip6 : o->iface[idx].has_ip4))
				break;
		if (idx == RXD_SHELL_MAX_IFACES) {
			snprintf(err, errlen, "--%s %s: at most %u ifaces", name, value, RXD_SHELL_MAX_IFACES);
			return -ERANGE;
		}
	} else { /* the last iface that got an address of this family */
		idx = 0;
		for (unsigned i = 0; i < RXD_SHELL_MAX_IFACES; i++)
			if (v6 ? o->iface[i].has_ip6 : o->iface[i].has_ip4)
				idx = i;
	}
	io = &o->iface[idx];
	if (!gw && !strchr(buf, '/'))
		plen = v6 ? 64 : 24;
	if (name_eq(name, "ip")) {
		memcpy(io->ip4, addr, 4);
		io->prefix4 = (uint8_t)plen;
		io->has_ip4 = true;
	} else if (name_eq(name, "ip6")) {
		memcpy(io->ip6, addr, 16);
		io->prefix6 = (uint8_t)plen;
		io->has_ip6 = true;
	} else if (name_eq(name, "gw")) {
		memcpy(io->gw4, addr, 4);
		io->has_gw4 = true;
	} else {
		memcpy(io->gw6, addr, 16);
		io->has_gw6 = true;
	}
	if (idx + 1 > o->n_ifaces)
		o->n_ifaces = idx + 1;
	return 0;
bad:
	snprintf(err, errlen, "--%s %s: expected %s", name, value ? value : "(none)",
		 gw ? (v6 ? "an IPv6 address[@IFACE]" : "an IPv4 address[@IFACE]")
		    : (v6 ? "IPv6ADDR/LEN[@IFACE], e.g. fd00::2/64" : "IPv4ADDR/LEN[@IFACE], e.g. 198.18.0.2/24"));
	return -EINVAL;
}

/* "N[,N...]": the UDP ports every iface listens on, distinct, at most RXD_SHELL_MAX_UDP_PORTS. */
static int set_ports(struct rxd_shell_opts *o, const char *value, char *err, size_t errlen)
{
	uint16_t ports[RXD_SHELL_MAX_UDP_PORTS];
	unsigned n = 0;
	char buf[64];
	char *save = NULL;

	if (!value || !*value || strlen(value) >= sizeof buf)
		goto bad;
	strcpy(buf, value);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint64_t x;
		if (n == RXD_SHELL_MAX_UDP_PORTS) {
			snprintf(err, errlen, "--port %s: at most %u ports", value, RXD_SHELL_MAX_UDP_PORTS);
			return -ERANGE;
		}
		if (rxd_parse_u64(t, 65535, &x) || x == 0)
			goto bad;
		for (unsigned i = 0; i < n; i++)
			if (ports[i] == x) {
				snprintf(err, errlen, "--port %s: port %u given twice", value, ports[i]);
				return -EINVAL;
			}
		ports[n++] = (uint16_t)x;
	}
	if (!n || value[strlen(value) - 1] == ',')
		goto bad;
	memcpy(o->udp_ports, ports, n * sizeof(ports[0]));
	o->n_udp_ports = n;
	return 0;
bad:
	snprintf(err, errlen, "--port %s: expected UDP ports 1..65535, comma-separated, e.g. 7000,7003",
		 value ? value : "(none)");
	return -EINVAL;
}

int rxd_shell_opts_set(struct rxd_shell_opts *o, const char *name, const char *value, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		const struct opt *d = &opts[i];
		uint8_t *base = (uint8_t *)o + d->off;
		uint64_t x;
		bool b;
		int rc;

		if (!name_eq(name, d->name))
			continue;
		switch (d->kind) {
		case K_ADDR:
			return set_addr(o, d->name, value, err, errlen);
		case K_PORTS:
			return set_ports(o, value, err, errlen);
		case K_BOOL:
		case K_NBOOL:
			if (parse_bool(value, &b)) {
				snprintf(err, errlen, "--%s %s: expected 0 or 1", d->name, value);
				return -EINVAL;
			}
			*(bool *)(void *)base = d->kind == K_BOOL ? b : !b;
			return 0;
		default:
			rc = rxd_parse_u64(value, d->max, &x);
			if (rc == 0 && x < d->min)
				rc = -ERANGE;
			if (rc) {
				snprintf(err, errlen, "--%s %s: expected %s %" PRIu64 "..%" PRIu64, d->name,
					 value ? value : "(none)", rc == -ERANGE ? "a number in" : "a number", d->min,
					 d->max);
				return rc;
			}
			if (d->kind == K_U16)
				*(uint16_t *)(void *)base = (uint16_t)x;
			else if (d->kind == K_U32)
				*(uint32_t *)(void *)base = (uint32_t)x;
			else
				*(uint64_t *)(void *)base = x;
			return 0;
		}
	}
	/* a core parameter? (the core spells its names with '_') */
	{
		char cname[64];
		size_t n = strlen(name);
		int rc;
		if (n >= sizeof cname) {
			snprintf(err, errlen, "unknown option --%s", name);
			return -ENOENT;
		}
		for (size_t i = 0; i <= n; i++)
			cname[i] = name[i] == '-' ? '_' : name[i];
		err[0] = 0;
		rc = rxd_config_set(&o->core, cname, value, err, errlen);
		if (rc == -ENOENT || (rc == -EINVAL && strstr(err, "unknown"))) {
			snprintf(err, errlen, "unknown option --%s", name);
			return -ENOENT;
		}
		return rc;
	}
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

int rxd_conf_file_foreach(const char *path,
			  int (*fn)(void *arg, const char *name, const char *value, char *err, size_t errlen),
			  void *arg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[512], msg[256];
	unsigned lineno = 0;
	int rc = 0;

	if (!f) {
		snprintf(err, errlen, "--config %s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof line, f)) {
		char *s, *eq, *hash;

		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		s = trim(line);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (eq)
			*eq = 0;
		msg[0] = 0;
		rc = fn(arg, trim(s), eq ? trim(eq + 1) : NULL, msg, sizeof msg);
		if (rc) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg[0] ? msg : "bad line");
			break;
		}
	}
	fclose(f);
	return rc;
}
