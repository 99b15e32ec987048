/* SPDX-License-Identifier: MIT */
/* PR calls over the message API (see prmsg.h). */
#include "prmsg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "localauth.h"
#include "prclient.h"

struct rxd_fs_prmsg {
	bool rxkad;
	struct rxd_fs_localauth auth; /* the token of the calls; remade between calls (exclusive conns) */
	struct rxd_msg_ep *ep;
	struct rxd_addr srv[RXD_FS_PRMSG_MAX_SERVERS];
	unsigned n;
	unsigned good; /* the server that answered last: asked first */
	uint64_t next_id;
};

int rxd_fs_prmsg_create(struct rxd_shell *s, uint16_t port, const struct rxd_addr *servers, unsigned n,
			const struct rxd_rxkad_des_key *key, struct rxd_fs_prmsg **out, char *err, size_t errlen)
{
	struct rxd_msg_ep_params p = {.iface = 0, .udp_port = port};
	struct rxd_fs_prmsg *m;
	int rc;

	if (n == 0 || n > RXD_FS_PRMSG_MAX_SERVERS)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	rc = rxd_msg_ep_create(s, &p, &m->ep, err, errlen);
	if (rc) {
		free(m);
		return rc;
	}
	memcpy(m->srv, servers, n * sizeof(*servers));
	m->n = n;
	if (key) {
		m->rxkad = true;
		rxd_fs_localauth_init(&m->auth, key);
	}
	*out = m;
	return 0;
}

void rxd_fs_prmsg_free(struct rxd_fs_prmsg *m)
{
	free(m); /* the endpoint goes with the shell */
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The reply's bytes until its end (EOR): 0, -ECONNABORTED with *abort, or -errno. */
static int collect(struct rxd_fs_prmsg *m, uint64_t id, uint8_t *reply, size_t cap, size_t *got, int32_t *abort)
{
	int64_t deadline = ms_now() + RXD_FS_PRMSG_TIMEOUT_MS;

	for (;;) {
		struct rxd_msg_info mi;
		int64_t left = deadline - ms_now();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (*got == cap)
			return -EMSGSIZE; /* longer than any reply the client decodes */
		n = rxd_msg_recv(m->ep, reply + *got, cap - *got, &mi, (int)left);
		if (n < 0)
			return (int)n;
		if (mi.user_call_id != id)
			continue; /* a late message of a call given up on */
		if (mi.type == RXD_MSG_ABORT) {
			*abort = mi.abort_code;
			return -ECONNABORTED;
		}
		if (mi.type != RXD_MSG_DATA)
			return mi.error ? mi.error : -EIO;
		*got += (size_t)n;
		if (mi.flags & RXD_MSG_F_EOR)
			return 0;
	}
}

/* The call's security: a fresh -localauth token when the last is old (no call holds it: they are serial). */
static int secure(struct rxd_fs_prmsg *m, struct rxd_msg_call *c)
{
	const struct rxd_rxkad_key *key;

	if (!m->rxkad)
		return 0;
	if (rxd_fs_localauth_key(&m->auth, (uint32_t)time(NULL), &key))
		return -EIO;
	c->security_index = RXD_RXKAD_INDEX;
	c->security_level = RXD_FS_LOCALAUTH_LEVEL; /* as OpenAFS's fileserver asks its ptserver */
	c->key = key;
	c->exclusive = true; /* the key changes in place: no later call may find this conn */
	return 0;
}

static int one_server(struct rxd_fs_prmsg *m, const struct rxd_addr *srv, const uint8_t *req, size_t len,
		      uint8_t *reply, size_t cap, size_t *got, int32_t *abort)
{
	uint64_t id = ++m->next_id;
	struct rxd_msg_call c = {
	    .peer = *srv, .service_id = RXD_FS_PR_SERVICE, .tx_total_len = (int64_t)len, .worker = -1};
	int rc = secure(m, &c);

	if (rc)
		return rc;
	rc = rxd_msg_begin(m->ep, id, &c, RXD_FS_PRMSG_TIMEOUT_MS);

	if (rc)
		return rc;
	*got = 0;
	if (rxd_msg_send(m->ep, id, req, len, 0, RXD_FS_PRMSG_TIMEOUT_MS) != (ssize_t)len)
		rc = -EIO;
	else
		rc = collect(m, id, reply, cap, got, abort);
	rxd_msg_end(m->ep, id);
	return rc;
}

int rxd_fs_prmsg_rpc(void *arg, const uint8_t *req, size_t len, uint8_t *reply, size_t cap, size_t *got, int32_t *abort)
{
	struct rxd_fs_prmsg *m = arg;
	int rc = -EINVAL;

	/* an abort is the ptserver's answer; no answer at all tries the next one */
	for (unsigned i = 0; i < m->n; i++) {
		unsigned k = (m->good + i) % m->n;
		rc = one_server(m, &m->srv[k], req, len, reply, cap, got, abort);
		if (rc == 0 || rc == -ECONNABORTED)
			m->good = k;
		if (rc == 0 || rc == -ECONNABORTED || rc == -ESHUTDOWN)
			break;
	}
	return rc;
}
