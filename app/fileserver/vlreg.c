/* Registration with a cell's vlservers (vlreg.h). */
#include "vlreg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/security.h>
#include <rxd/wire.h>

#include "afs_rpc.h"
#include "vl.h"

#define VLREG_MAX_SERVERS 8
#define VL_SERVICE 52
#define NS_PER_MS 1000000ull

enum step {
	STEP_REGISTER, /* RegisterAddrs */
	STEP_LOOKUP,   /* GetEntryByNameN of volume vi */
	STEP_CREATE,   /* CreateEntryN of volume vi */
	STEP_REPLACE,  /* ReplaceEntryN of volume vi */
	STEP_DONE,
};

#define UBIK_NOQUORUM 5376 /* OpenAFS src/ubik/uerrors.et */
#define UBIK_NOTSYNC 5377

static const char *const step_name[] = {"RegisterAddrs", "GetEntryByNameN", "CreateEntryN", "ReplaceEntryN", "done"};

struct rxd_fs_vlreg {
	struct rxd_fs_vlreg_params p;
	struct rxd_addr servers[VLREG_MAX_SERVERS];
	enum step step;
	unsigned vi;	 /* the volume being registered */
	unsigned server; /* the vlserver the next call goes to */
	unsigned tries;	 /* of this step */
	uint64_t next_at;
	struct rxd_call *call;
	bool call_done; /* complete; its outcome is taken at the next poll */
	uint32_t reply_len;
	uint8_t reply[RXD_VL_GetEntryByNameN_OUT_MAX];
	bool reply_overflow;
	struct rxd_fs_vlreg_result res;
	int final; /* 0 running, 1 done, -1 gave up */
};

static void vlog(struct rxd_fs_vlreg *r, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (r->p.log)
		r->p.log(r->p.log_user, line);
	else
		fprintf(stderr, "%s\n", line);
}

/* The reply (at most one entry) is read whole once the call completes. */
static void on_data(void *app, struct rxd_call *call)
{
	(void)app;
	(void)call;
}

static void on_complete(void *app, struct rxd_call *call)
{
	struct rxd_fs_vlreg *r = app;

	(void)call;
	r->call_done = true;
}

static void read_reply(struct rxd_fs_vlreg *r, uint64_t now)
{
	uint8_t sink[256];
	bool eor = false;
	ssize_t n;

	r->reply_len = 0;
	r->reply_overflow = false;
	for (unsigned guard = 0; !eor && guard < 64; guard++) {
		if (r->reply_len < sizeof(r->reply))
			n = rxd_call_recv(r->call, r->reply + r->reply_len, sizeof(r->reply) - r->reply_len, &eor, now);
		else
			n = rxd_call_recv(r->call, sink, sizeof(sink), &eor, now);
		if (n <= 0)
			break;
		if (r->reply_len < sizeof(r->reply))
			r->reply_len += (uint32_t)n;
		else
			r->reply_overflow = true;
	}
}

static const struct rxd_call_ops vlreg_ops = {
    .data = on_data,
    .complete = on_complete,
};

int rxd_fs_vlreg_start(const struct rxd_fs_vlreg_params *p, struct rxd_fs_vlreg **out)
{
	struct rxd_fs_vlreg *r;

	if (!p->local || !p->vl || !p->n_servers || p->n_servers > VLREG_MAX_SERVERS)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->p = *p;
	memcpy(r->servers, p->servers, p->n_servers * sizeof(*p->servers));
	r->p.servers = r->servers;
	if (!r->p.retry_ms)
		r->p.retry_ms = 1000;
	if (!r->p.max_tries)
		r->p.max_tries = 10;
	r->step = STEP_REGISTER;
	*out = r;
	return 0;
}

/* The request of the current step. */
static int encode(struct rxd_fs_vlreg *r, uint8_t *buf, size_t cap, size_t *len)
{
	const struct rxd_fs_vl *vl = r->p.vl;
	struct rxd_xenc e;
	int rc = -EINVAL;

	rxd_xenc_init(&e, buf, cap);
	switch (r->step) {
	case STEP_REGISTER: {
		struct rxd_VL_RegisterAddrs_in in = {.uuidp = *rxd_fs_vl_uuid(vl)};
		const uint32_t *addrs;

		in.ipaddr.len = rxd_fs_vl_addrs(vl, &addrs);
		in.ipaddr.val = (uint32_t *)addrs;
		rc = rxd_VL_RegisterAddrs_enc_req(&e, &in);
		break;
	}
	case STEP_LOOKUP: {
		struct rxd_nvldbentry ent;
		struct rxd_VL_GetEntryByNameN_in in = {.volumename = ent.name};

		rxd_fs_vl_volume_entry(vl, r->vi, &ent);
		rc = rxd_VL_GetEntryByNameN_enc_req(&e, &in);
		break;
	}
	case STEP_CREATE: {
		struct rxd_VL_CreateEntryN_in in;

		rxd_fs_vl_volume_entry(vl, r->vi, &in.newentry);
		rc = rxd_VL_CreateEntryN_enc_req(&e, &in);
		break;
	}
	case STEP_REPLACE: {
		struct rxd_VL_ReplaceEntryN_in in = {.voltype = RXD_RWVOL};

		rxd_fs_vl_volume_entry(vl, r->vi, &in.newentry);
		in.Volid = in.newentry.volumeId[RXD_RWVOL];
		rc = rxd_VL_ReplaceEntryN_enc_req(&e, &in);
		break;
	}
	case STEP_DONE:
		break;
	}
	*len = rc ? 0 : (size_t)(e.p - buf);
	return rc;
}

static void begin(struct rxd_fs_vlreg *r, uint64_t now)
{
	uint8_t req[RXD_VL_REQ_MAX];
	struct rxd_call_params cp = {
	    .peer = r->servers[r->server],
	    .service_id = VL_SERVICE,
	    .security_index = r->p.security_index,
	    .security_level = r->p.security_level,
	    .key = r->p.key,
	    .ops = &vlreg_ops,
	    .app = r,
	};
	size_t len;
	ssize_t sent;
	int rc = encode(r, req, sizeof(req), &len);

	r->call_done = false;
	r->next_at = now;
	if (!rc) {
		cp.tx_total_len = (int64_t)len;
		rc = rxd_call_begin(r->p.local, &cp, now, &r->call);
	}
	if (rc) {
		/* Counted as a failed try: the poll after retry_ms tries again. */
		r->call = NULL;
		r->call_done = true;
		r->res.error = rc;
		return;
	}
	sent = rxd_call_send(r->call, req, len, 0, now);
	if (sent != (ssize_t)len)
		rxd_call_abort(r->call, RXD_RXGEN_CC_MARSHAL, now);
}

/* The entry the VLDB has for volume vi names it, here, as its RW site. */
static bool site_is_ours(const struct rxd_fs_vl *vl, const struct rxd_nvldbentry *have)
{
	const uint32_t *addrs;
	unsigned n = rxd_fs_vl_addrs(vl, &addrs);

	for (int32_t i = 0; i < have->nServers && i < RXD_NMAXNSERVERS; i++) {
		if (!(have->serverFlags[i] & RXD_VLSF_RWVOL) || have->serverPartition[i] != rxd_fs_vl_partition(vl))
			continue;
		for (unsigned k = 0; k < n; k++)
			if ((uint32_t)have->serverNumber[i] == addrs[k])
				return true;
	}
	return false;
}

static void next_volume(struct rxd_fs_vlreg *r)
{
	r->vi++;
	r->step = r->vi < rxd_fs_vl_volume_count(r->p.vl) ? STEP_LOOKUP : STEP_DONE;
	r->tries = 0;
}

/* A step answered (code 0 or an abort code): move on.  Returns false if
 * the answer is a failure worth another try. */
static bool advance(struct rxd_fs_vlreg *r, int32_t code)
{
	struct rxd_nvldbentry mine;
	const char *vname;

	if (r->step == STEP_REGISTER) {
		if (code)
			return false;
		r->vi = (unsigned)-1;
		next_volume(r);
		return true;
	}
	rxd_fs_vl_volume_entry(r->p.vl, r->vi, &mine);
	vname = mine.name;
	switch (r->step) {
	case STEP_LOOKUP: {
		struct rxd_VL_GetEntryByNameN_out out;
		struct rxd_xdec d;

		if (code == RXD_VL_NOENT) {
			r->step = STEP_CREATE;
			r->tries = 0;
			return true;
		}
		if (code)
			return false;
		rxd_xdec_init(&d, r->reply, r->reply_len, NULL, 0);
		if (r->reply_overflow || rxd_VL_GetEntryByNameN_dec_out(&d, &out)) {
			r->res.error = RXD_RXGEN_CC_UNMARSHAL;
			return false;
		}
		if (out.entry.volumeId[RXD_RWVOL] != mine.volumeId[RXD_RWVOL]) {
			vlog(r, "vl: volume %s: the VLDB gives that name to volume %u, not %u: left alone", vname,
			     out.entry.volumeId[RXD_RWVOL], mine.volumeId[RXD_RWVOL]);
			r->res.conflicts++;
			next_volume(r);
		} else if (site_is_ours(r->p.vl, &out.entry)) {
			r->res.present++;
			next_volume(r);
		} else {
			r->step = STEP_REPLACE;
			r->tries = 0;
		}
		return true;
	}
	case STEP_CREATE:
	case STEP_REPLACE:
		if (code == RXD_VL_IDEXIST || code == RXD_VL_NAMEEXIST) {
			vlog(r, "vl: volume %s (%u): %s answered %d (the id or name is taken): left alone", vname,
			     mine.volumeId[RXD_RWVOL], step_name[r->step], code);
			r->res.conflicts++;
			next_volume(r);
			return true;
		}
		if (code)
			return false;
		if (r->step == STEP_CREATE)
			r->res.created++;
		else
			r->res.replaced++;
		next_volume(r);
		return true;
	default:
		return true;
	}
}

static void addr_str(const struct rxd_addr *a, char *buf, size_t n)
{
	snprintf(buf, n, "%u.%u.%u.%u:%u", a->ip.v4[0], a->ip.v4[1], a->ip.v4[2], a->ip.v4[3], a->port);
}

/* A refusal no retry or other vlserver of the cell changes: who we are (or our ticket). */
static bool refused(int32_t code)
{
	return code == RXD_VL_PERM || (code >= RXKADINCONSISTENCY && code <= RXKADILLEGALLEVEL);
}

/* What the code means, for the log. */
static void code_str(const struct rxd_fs_vlreg *r, int32_t code, char *buf, size_t n)
{
	if (code < 0)
		snprintf(buf, n, "%s", strerror(-code));
	else if (code == RXD_VL_PERM)
		snprintf(buf, n, "VL_PERM, not an administrator: %s",
			 r->p.security_index ? "the ticket's key is no key of the vlserver's KeyFile"
					     : "an authenticated vlserver needs the cell's key (--keyfile)");
	else if (code >= RXKADINCONSISTENCY && code <= RXKADILLEGALLEVEL)
		snprintf(buf, n, "%s from the vlserver%s", rxd_rxkad_abort_name(code),
			 code == RXKADBADTICKET || code == RXKADUNKNOWNKEY
			     ? ": it cannot open the -localauth ticket (not its KeyFile's key?)"
			     : "");
	else if (code == UBIK_NOQUORUM || code == UBIK_NOTSYNC)
		snprintf(buf, n, "%s",
			 code == UBIK_NOQUORUM ? "UNOQUORUM, no ubik quorum" : "UNOTSYNC, not the sync site");
	else
		snprintf(buf, n, "abort code");
}

static void finish(struct rxd_fs_vlreg *r, int final)
{
	char srv[32], what[128];

	r->final = final;
	addr_str(&r->servers[r->server], srv, sizeof(srv));
	if (final > 0)
		vlog(r,
		     "vl: registered with cell %s at vlserver %s: %u volumes created, %u replaced, %u already there, "
		     "%u in conflict",
		     rxd_fs_vl_cell(r->p.vl), srv, r->res.created, r->res.replaced, r->res.present, r->res.conflicts);
	else {
		code_str(r, r->res.error, what, sizeof(what));
		vlog(r, "vl: registration with cell %s failed: %s gave up after %u tries at vlserver %s: %s (%d)",
		     rxd_fs_vl_cell(r->p.vl), step_name[r->step], r->tries, srv, what, r->res.error);
	}
}

/* Take the outcome of the call that completed. */
static void collect(struct rxd_fs_vlreg *r, uint64_t now)
{
	int32_t code = 0;
	char srv[32], what[128];

	r->call_done = false;
	if (r->call) {
		enum rxd_completion how = rxd_call_completion(r->call);

		if (how == RXD_CALL_REMOTELY_ABORTED || how == RXD_CALL_LOCALLY_ABORTED)
			code = rxd_call_abort_code(r->call);
		else if (how != RXD_CALL_SUCCEEDED)
			code = rxd_call_error(r->call) ? rxd_call_error(r->call) : -EIO;
		else
			read_reply(r, now);
		rxd_call_end(r->call, now);
		r->call = NULL;
	} else {
		code = r->res.error; /* rxd_call_begin failed */
	}
	r->tries++;
	if (advance(r, code)) {
		r->res.error = 0;
		if (r->step == STEP_DONE)
			finish(r, 1);
		return;
	}
	if (code)
		r->res.error = code;
	if (refused(r->res.error)) {
		finish(r, -1);
		return;
	}
	addr_str(&r->servers[r->server], srv, sizeof(srv));
	code_str(r, r->res.error, what, sizeof(what));
	vlog(r, "vl: %s at vlserver %s failed (try %u of %u): %s (%d)", step_name[r->step], srv, r->tries,
	     r->p.max_tries, what, r->res.error);
	if (r->tries >= r->p.max_tries) {
		finish(r, -1);
		return;
	}
	/* Another vlserver may be the sync site, or answer at all. */
	r->server = (r->server + 1) % r->p.n_servers;
	r->next_at = now + (uint64_t)r->p.retry_ms * NS_PER_MS;
}

int rxd_fs_vlreg_poll(struct rxd_fs_vlreg *r, uint64_t now, struct rxd_fs_vlreg_result *res)
{
	for (unsigned guard = 0; !r->final && guard < 4; guard++) {
		if (r->call_done)
			collect(r, now);
		else if (!r->call && now >= r->next_at)
			begin(r, now);
		else
			break;
	}
	if (res)
		*res = r->res;
	return r->final;
}

void rxd_fs_vlreg_free(struct rxd_fs_vlreg *r, uint64_t now)
{
	if (!r)
		return;
	if (r->call)
		rxd_call_end(r->call, now);
	free(r);
}
