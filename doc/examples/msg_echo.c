/* SPDX-License-Identifier: MIT */
/*
 * Example of the message API (the AF_RXRPC-like face): plain threads, no
 * lcore code.  One process, two ifaces joined by an in-process net_ring
 * pair: a server thread serves an echo service on iface 0 through an
 * endpoint, the main thread makes client calls from iface 1 and checks every
 * reply byte.
 *
 *   msg_echo <EAL args> -- [--calls N] [--size BYTES] [--charge] [--window K] [--short-request]
 *
 * --charge uses pre-charged incoming call slots (RXRPC_CHARGE_ACCEPT: the
 * NEW_CALL message already carries our user call ID); without it the server
 * accepts each NEW_CALL token (RXRPC_ACCEPT).  Both sides announce their
 * length (RXRPC_TX_LENGTH).  --short-request announces one byte more than the
 * client sends: every call must then end with an ABORT of RX_USER_ABORT.
 * Exits 0 when every call echoed correctly (or was aborted so).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include <rxd/core.h>
#include <rxd/dpdk.h>

#define SERVICE 4711u
#define SLOTS 64u

static bool short_request; /* announce one request byte more than is sent */

struct srv_call {
	uint64_t id;
	bool used;
	size_t len;
	uint8_t *buf;
};

struct server {
	struct rxd_msg_ep *ep;
	bool charge;
	size_t cap;
	atomic_bool stop;
	unsigned served, failed;
	struct srv_call slot[SLOTS];
};

static struct srv_call *slot_of(struct server *sv, uint64_t id)
{
	struct srv_call *c = &sv->slot[id % SLOTS];

	if (!c->used) {
		c->used = true;
		c->id = id;
		c->len = 0;
	}
	return c->id == id ? c : NULL;
}

static void *server_main(void *arg)
{
	struct server *sv = arg;
	uint64_t next_id = 1u << 20; /* IDs below were charged by main() */
	uint8_t tmp[16384];

	while (!atomic_load(&sv->stop)) {
		struct rxd_msg_info mi;
		ssize_t n = rxd_msg_recv(sv->ep, tmp, sizeof tmp, &mi, 50);
		struct srv_call *c;

		if (n == -ETIMEDOUT)
			continue;
		if (n < 0)
			break;
		switch (mi.type) {
		case RXD_MSG_NEW_CALL:
			if (sv->charge) {
				rxd_msg_charge(sv->ep, next_id++); /* replace the slot just used */
				slot_of(sv, mi.user_call_id);
			} else {
				uint64_t id = next_id++;
				if (rxd_msg_accept(sv->ep, mi.token, id) == 0)
					slot_of(sv, id);
			}
			break;
		case RXD_MSG_DATA:
			c = slot_of(sv, mi.user_call_id);
			if (!c)
				break;
			if (c->len + (size_t)n <= sv->cap)
				memcpy(c->buf + c->len, tmp, (size_t)n);
			c->len += (size_t)n;
			if (!(mi.flags & RXD_MSG_F_MORE)) { /* request complete: announce the reply's length, echo it */
				rxd_msg_set_tx_length(sv->ep, c->id, (int64_t)c->len);
				rxd_msg_send(sv->ep, c->id, c->buf, c->len, 0, -1);
			}
			break;
		case RXD_MSG_ACK: /* the client's final ACK: the call is over */
			sv->served++;
			c = slot_of(sv, mi.user_call_id);
			if (c)
				c->used = false;
			break;
		default: /* ABORT, NET_ERROR, BUSY, LOCAL_ERROR: terminal */
			sv->failed++;
			c = slot_of(sv, mi.user_call_id);
			if (c && (mi.flags & RXD_MSG_F_EOR))
				c->used = false;
			break;
		}
	}
	return NULL;
}

static uint8_t pattern(uint64_t call, size_t off)
{
	return (uint8_t)(off * 31u + call * 7u + (off >> 9));
}

/* One client call: send the request, read the reply until EOR, compare. */
static int client_call(struct rxd_msg_ep *ep, const struct rxd_addr *peer, uint64_t id, size_t size, uint8_t *req,
		       uint8_t *rep)
{
	struct rxd_msg_call c;
	size_t got = 0;
	int rc;

	memset(&c, 0, sizeof c);
	c.peer = *peer;
	c.service_id = SERVICE;
	c.tx_total_len = (int64_t)size + short_request;
	c.worker = -1;
	for (size_t i = 0; i < size; i++)
		req[i] = pattern(id, i);
	rc = rxd_msg_begin(ep, id, &c, 5000);
	if (rc)
		return rc;
	if (rxd_msg_send(ep, id, req, size, 0, 10000) != (ssize_t)size)
		return -EIO;
	for (;;) {
		struct rxd_msg_info mi;
		ssize_t n = rxd_msg_recv(ep, rep + got, size + 1 - got, &mi, 10000);
		if (n < 0)
			return (int)n;
		if (mi.user_call_id != id)
			continue;
		if (short_request && mi.type == RXD_MSG_ABORT && mi.abort_code == RX_USER_ABORT)
			return 0; /* the worker refused the short request */
		if (mi.type != RXD_MSG_DATA || short_request) {
			fprintf(stderr, "call %llu: %s abort %d error %d\n", (unsigned long long)id,
				rxd_msg_type_name(mi.type), mi.abort_code, mi.error);
			return -ECONNABORTED;
		}
		got += (size_t)n;
		if (mi.flags & RXD_MSG_F_EOR)
			break;
	}
	if (got != size || memcmp(req, rep, size) != 0) {
		fprintf(stderr, "call %llu: reply of %zu bytes differs from the %zu-byte request\n",
			(unsigned long long)id, got, size);
		return -EBADMSG;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rxd_shell_opts o;
	struct rxd_msg_ep_params ep;
	struct rxd_msg_ep *cli;
	struct rxd_shell *s;
	struct rxd_addr peer;
	struct server sv;
	pthread_t th;
	char err[256];
	unsigned calls = 20, ok = 0;
	size_t size = 10000;
	int n, rc = 0;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "msg_echo: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	memset(&sv, 0, sizeof sv);
	for (int i = n + 1; i < argc; i++) {
		if (!strcmp(argv[i], "--calls") && i + 1 < argc)
			calls = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--charge"))
			sv.charge = true;
		else if (!strcmp(argv[i], "--short-request"))
			short_request = true;
	}
	rxd_shell_opts_default(&o);
	o.ring_pair = true;
	rxd_shell_opts_set(&o, "ip", "198.18.0.1/24@0", err, sizeof err);
	rxd_shell_opts_set(&o, "ip", "198.18.0.2/24@1", err, sizeof err);
	if (rxd_shell_create(&o, &s, err, sizeof err)) {
		fprintf(stderr, "msg_echo: %s\n", err);
		return 1;
	}
	memset(&ep, 0, sizeof ep);
	ep.iface = 0;
	ep.service_id = SERVICE;
	ep.needs_charge = sv.charge;
	ep.backlog = 64;
	if (rxd_msg_ep_create(s, &ep, &sv.ep, err, sizeof err)) {
		fprintf(stderr, "msg_echo: %s\n", err);
		return 1;
	}
	memset(&ep, 0, sizeof ep);
	ep.iface = 1; /* client only */
	if (rxd_msg_ep_create(s, &ep, &cli, err, sizeof err)) {
		fprintf(stderr, "msg_echo: %s\n", err);
		return 1;
	}
	sv.cap = size;
	for (unsigned i = 0; i < SLOTS; i++)
		sv.slot[i].buf = malloc(size ? size : 1);
	rxd_shell_iface_addr(s, 0, &peer);
	if (sv.charge) /* slots before the first call can arrive: a few per worker */
		for (unsigned i = 0; i < 4 * rxd_shell_nb_workers(s); i++)
			rxd_msg_charge(sv.ep, i + 1);
	rxd_shell_start(s);
	pthread_create(&th, NULL, server_main, &sv);
	{
		uint8_t *req = malloc(size + 1), *rep = malloc(size + 1);
		for (unsigned i = 0; i < calls && req && rep; i++) {
			int r = client_call(cli, &peer, 1000 + i, size, req, rep);
			if (r) {
				fprintf(stderr, "msg_echo: call %u failed: %s\n", i, strerror(-r));
				rc = 1;
				break;
			}
			ok++;
		}
		free(req);
		free(rep);
	}
	/* the server sees the last final ACK a moment after the client's last DATA */
	for (int i = 0; i < 100 && sv.served < ok; i++) {
		struct timespec ts = {0, 10000000L};
		nanosleep(&ts, NULL);
	}
	atomic_store(&sv.stop, true);
	pthread_join(th, NULL);
	rxd_shell_shutdown(s);
	rxd_shell_wait(s);
	printf("msg_echo: %u/%u calls of %zu bytes %s, server saw %u final ACKs, %u failures (%s)\n", ok, calls, size,
	       short_request ? "aborted RX_USER_ABORT (short request)" : "echoed", sv.served, sv.failed,
	       sv.charge ? "charged slots" : "NEW_CALL + ACCEPT");
	if (sv.served != (short_request ? 0 : ok))
		rc = 1;
	rxd_shell_destroy(s);
	for (unsigned i = 0; i < SLOTS; i++)
		free(sv.slot[i].buf);
	rte_eal_cleanup();
	return rc;
}
