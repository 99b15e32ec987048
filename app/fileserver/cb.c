/* SPDX-License-Identifier: MIT */
/*
 * Callback promises and breaks, one shard at a time (cb.h).  Rules from
 * OpenAFS src/viced/callback.c and host.c; what the clients answer from
 * Linux fs/afs/cmservice.c and OpenAFS src/afs/afs_callback.c.
 *
 * Tables are fixed arrays indexed by uint32_t (NIL = none), allocated at
 * create: hosts (hash on address+port), promises (hash on fid, a list per
 * host, an age list oldest first) and queued breaks (a FIFO per host).
 * Hosts with something to send sit on a work list that rxd_fs_cb_poll()
 * walks.
 */
#include "cb.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX
#define CB_SERVICE 1u			    /* RXAFSCB: rx service 1 on the client */
#define CB_HARD_MS 120000u		    /* OpenAFS AFS_HARDDEADTIME */
#define SERVER_BIAS_S (3u * 60u)	    /* OpenAFS ServerBias: the server keeps a promise 3 min past the client */
#define MIN_TIMEOUT_S (7u * 60u)	    /* OpenAFS MinTimeOut */
#define BULK_BIAS 22u			    /* OpenAFS AddCallBack1_r, CB_BULK: TimeOut(22 + holders) */
#define SWEEP_PER_POLL 64u		    /* promise slots checked for expiry per poll */
#define NOTICES_PER_POLL 64u		    /* notices taken per ring per poll */
#define ROOM_RESCAN_NS (10 * RXD_NS_PER_MS) /* a full host table is rescanned at most this often */
#define REPLY_BUF (RXD_RXAFSCB_REPLY_MAX + 16u)
#define RECENT_SLOTS 1024u /* recent breaks by fid hash (rxd_fs_cb_broken_since), a power of two */

/* OpenAFS TimeOuts[]: seconds a promise lasts by the fid's holders / 8. */
static const uint32_t timeouts_s[] = {4 * 3600, 3600, 30 * 60, 15 * 60, 15 * 60, 10 * 60, 10 * 60, 10 * 60};

enum call_kind { CK_NONE, CK_TMAY, CK_ICBS3, CK_ICBS, CK_CALLBACK, CK_PROBE };

struct cb_host {
	struct rxd_addr addr;
	uint32_t epoch;
	uint8_t state; /* enum rxd_fs_cb_host_state; 0 = free slot */
	bool identify_due, probe_due, has_uuid, no_icbs3, in_work;
	bool evicting; /* freed once its reset is done */
	bool told;     /* promised something since its last reset */
	uint8_t call_kind;
	uint32_t reset_gen, reset_done; /* a reset is owed while they differ */
	uint32_t call_gen;
	uint32_t call_nfids;
	uint32_t fails;
	uint64_t retry_at, last_active;
	struct rxd_call *call;
	struct rxd_afsUUID uuid;
	uint32_t hnext;		     /* hash chain, or free list */
	uint32_t prom, nprom;	     /* promise list (circular) */
	uint32_t bhead, btail, nbrk; /* break FIFO */
	uint32_t wprev, wnext;	     /* work list */
};

struct cb_prom {
	struct rxd_AFSFid fid;
	uint32_t host; /* NIL: free */
	uint32_t fnext;
	uint32_t hprev, hnext;
	uint32_t aprev, anext;
	uint64_t expires;
};

struct cb_brk {
	struct rxd_AFSFid fid;
	uint32_t next;
};

struct rxd_fs_cb {
	struct rxd_local *local;
	struct rxd_fs_cb_group *group;
	unsigned shard;
	struct rxd_afsUUID server_uuid;
	uint32_t max_hosts, max_prom, max_brk;
	uint32_t call_timeout_ms, attempts, backoff_ms;
	bool no_identify;

	struct cb_host *host;
	uint32_t *hbucket, hmask, hfree, nhosts;
	struct cb_prom *prom;
	uint32_t *fbucket, fmask, pfree, nprom;
	uint32_t age_head, age_tail; /* oldest first */
	uint32_t sweep;
	struct cb_brk *brk;
	uint32_t bfree, nbrk;
	uint32_t work_head;
	uint64_t now;		       /* the latest time an entry point was given: completions carry none */
	bool draining;		       /* no more RXAFSCB calls */
	uint64_t room_fail_at;	       /* the last host_make_room that found nothing to free at once */
	uint64_t break_seq;	       /* breaks applied on this shard so far */
	uint64_t all_broken_at;	       /* break_seq of the last lost notice: any fid */
	uint64_t recent[RECENT_SLOTS]; /* break_seq of the last break of a fid hashing here */
	struct rxd_fs_cb_stats st;
};

/* ------------------------------------------------------------------ rings */

struct rxd_fs_cb_group {
	unsigned n;
	struct rxd_fs_cb_ring_ops ops;
	void **ring;		/* [from * n + to] */
	_Atomic uint32_t *lost; /* [to]: a notice to `to` did not fit its ring */
};

/* The built-in ring: a single-producer single-consumer FIFO of notices. */
struct spsc {
	_Alignas(64) _Atomic uint32_t head; /* consumer */
	_Alignas(64) _Atomic uint32_t tail; /* producer */
	uint32_t mask;
	struct rxd_fs_cb_notice slot[];
};

static void *spsc_create(void *user, unsigned from, unsigned to, unsigned count)
{
	(void)user;
	(void)from;
	(void)to;
	struct spsc *r = aligned_alloc(64, (sizeof(*r) + count * sizeof(r->slot[0]) + 63) & ~(size_t)63);
	if (!r)
		return NULL;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->mask = count - 1;
	return r;
}

static void spsc_destroy(void *user, void *ring)
{
	(void)user;
	free(ring);
}

static int spsc_enqueue(void *ring, const struct rxd_fs_cb_notice *n)
{
	struct spsc *r = ring;
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t h = atomic_load_explicit(&r->head, memory_order_acquire);

	if (t - h > r->mask)
		return -ENOBUFS;
	r->slot[t & r->mask] = *n;
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return 0;
}

static unsigned spsc_dequeue(void *ring, struct rxd_fs_cb_notice *out, unsigned max)
{
	struct spsc *r = ring;
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
	unsigned k = 0;

	while (h != t && k < max)
		out[k++] = r->slot[h++ & r->mask];
	atomic_store_explicit(&r->head, h, memory_order_release);
	return k;
}

static const struct rxd_fs_cb_ring_ops spsc_ops = {spsc_create, spsc_destroy, spsc_enqueue, spsc_dequeue, NULL};

static uint32_t pow2_at_least(uint32_t v)
{
	uint32_t p = 1;
	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

int rxd_fs_cb_group_create(const struct rxd_fs_cb_group_params *p, struct rxd_fs_cb_group **out)
{
	unsigned n = p->shards;
	unsigned size = pow2_at_least(p->ring_size ? p->ring_size : RXD_FS_CB_RING_SIZE);
	struct rxd_fs_cb_group *g;

	if (n < 1 || n > 64)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->n = n;
	g->ops = p->ops ? *p->ops : spsc_ops;
	g->ring = calloc((size_t)n * n, sizeof(void *));
	g->lost = calloc(n, sizeof(*g->lost));
	if (!g->ring || !g->lost)
		goto fail;
	for (unsigned i = 0; i < n; i++) {
		atomic_init(&g->lost[i], 0);
		for (unsigned j = 0; j < n; j++) {
			if (i == j)
				continue;
			g->ring[i * n + j] = g->ops.create(g->ops.user, i, j, size);
			if (!g->ring[i * n + j])
				goto fail;
		}
	}
	*out = g;
	return 0;
fail:
	rxd_fs_cb_group_destroy(g);
	return -ENOMEM;
}

void rxd_fs_cb_group_destroy(struct rxd_fs_cb_group *g)
{
	if (!g)
		return;
	for (unsigned i = 0; g->ring && i < g->n * g->n; i++)
		if (g->ring[i])
			g->ops.destroy(g->ops.user, g->ring[i]);
	free(g->ring);
	free((void *)g->lost);
	free(g);
}

/* Send a notice to every other shard; a change that does not fit marks the target's loss. */
static void post_all(struct rxd_fs_cb *cb, const struct rxd_fs_cb_notice *n)
{
	struct rxd_fs_cb_group *g = cb->group;

	if (!g)
		return;
	for (unsigned to = 0; to < g->n; to++) {
		if (to == cb->shard)
			continue;
		if (g->ops.enqueue(g->ring[cb->shard * g->n + to], n) == 0) {
			cb->st.notices_out++;
			continue;
		}
		cb->st.notices_lost++;
		/* A lost epoch only leaves stale promises to expire; a lost change or deletion must not be
		 * missed (the shard resets its hosts: a promise on a deleted fid must not be renewed). */
		if (n->kind == RXD_FS_CB_N_CHANGED || n->kind == RXD_FS_CB_N_DELETED)
			atomic_store_explicit(&g->lost[to], 1, memory_order_release);
	}
}

/* ------------------------------------------------------------------ tables */

static bool fid_eq(const struct rxd_AFSFid *a, const struct rxd_AFSFid *b)
{
	return a->Volume == b->Volume && a->Vnode == b->Vnode && a->Unique == b->Unique;
}

static uint32_t fid_mix(const struct rxd_AFSFid *f)
{
	uint64_t h = (uint64_t)f->Volume * 0x9e3779b97f4a7c15ull;
	h ^= ((uint64_t)f->Vnode << 32 | f->Unique) * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h >> 32);
}

static uint32_t fid_hash(const struct rxd_fs_cb *cb, const struct rxd_AFSFid *f)
{
	return fid_mix(f) & cb->fmask;
}

static uint32_t addr_hash(const struct rxd_fs_cb *cb, const struct rxd_addr *a)
{
	uint32_t h = 2166136261u;
	size_t n = a->family == RXD_AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++)
		h = (h ^ a->ip.v6[i]) * 16777619u;
	h = (h ^ a->port) * 16777619u;
	return (h ^ h >> 15) & cb->hmask;
}

static uint32_t host_find(const struct rxd_fs_cb *cb, const struct rxd_addr *a)
{
	for (uint32_t i = cb->hbucket[addr_hash(cb, a)]; i != NIL; i = cb->host[i].hnext)
		if (rxd_addr_equal(&cb->host[i].addr, a))
			return i;
	return NIL;
}

static void work_add(struct rxd_fs_cb *cb, uint32_t h)
{
	struct cb_host *x = &cb->host[h];

	if (x->in_work || x->state == RXD_FS_CB_HOST_DOWN)
		return;
	x->in_work = true;
	x->wprev = NIL;
	x->wnext = cb->work_head;
	if (cb->work_head != NIL)
		cb->host[cb->work_head].wprev = h;
	cb->work_head = h;
}

static void work_del(struct rxd_fs_cb *cb, uint32_t h)
{
	struct cb_host *x = &cb->host[h];

	if (!x->in_work)
		return;
	if (x->wprev != NIL)
		cb->host[x->wprev].wnext = x->wnext;
	else
		cb->work_head = x->wnext;
	if (x->wnext != NIL)
		cb->host[x->wnext].wprev = x->wprev;
	x->in_work = false;
}

static void age_unlink(struct rxd_fs_cb *cb, uint32_t p)
{
	struct cb_prom *x = &cb->prom[p];

	if (x->aprev != NIL)
		cb->prom[x->aprev].anext = x->anext;
	else
		cb->age_head = x->anext;
	if (x->anext != NIL)
		cb->prom[x->anext].aprev = x->aprev;
	else
		cb->age_tail = x->aprev;
}

static void prom_free(struct rxd_fs_cb *cb, uint32_t p)
{
	struct cb_prom *x = &cb->prom[p];
	struct cb_host *h = &cb->host[x->host];
	uint32_t *pp = &cb->fbucket[fid_hash(cb, &x->fid)];

	while (*pp != p)
		pp = &cb->prom[*pp].fnext;
	*pp = x->fnext;
	if (x->hnext == p) {
		h->prom = NIL;
	} else {
		cb->prom[x->hprev].hnext = x->hnext;
		cb->prom[x->hnext].hprev = x->hprev;
		if (h->prom == p)
			h->prom = x->hnext;
	}
	h->nprom--;
	age_unlink(cb, p);
	x->host = NIL;
	x->fnext = cb->pfree;
	cb->pfree = p;
	cb->nprom--;
}

static void age_append(struct rxd_fs_cb *cb, uint32_t p)
{
	struct cb_prom *x = &cb->prom[p];

	x->anext = NIL;
	x->aprev = cb->age_tail;
	if (cb->age_tail != NIL)
		cb->prom[cb->age_tail].anext = p;
	else
		cb->age_head = p;
	cb->age_tail = p;
}

static void host_drop_promises(struct rxd_fs_cb *cb, uint32_t h)
{
	while (cb->host[h].prom != NIL)
		prom_free(cb, cb->host[h].prom);
}

/* Forget the queued breaks (an in-flight CallBack then frees none on success). */
static void host_drop_breaks(struct rxd_fs_cb *cb, uint32_t h)
{
	struct cb_host *x = &cb->host[h];

	while (x->bhead != NIL) {
		uint32_t b = x->bhead;
		x->bhead = cb->brk[b].next;
		cb->brk[b].next = cb->bfree;
		cb->bfree = b;
		cb->nbrk--;
	}
	x->btail = NIL;
	x->nbrk = 0;
	x->call_nfids = 0;
}

/* The client must forget everything from us: one InitCallBackState3 replaces every promise and break. */
static void host_reset(struct rxd_fs_cb *cb, uint32_t h)
{
	host_drop_promises(cb, h);
	host_drop_breaks(cb, h);
	cb->host[h].reset_gen++;
	cb->st.resets++;
	work_add(cb, h);
}

static bool reset_due(const struct cb_host *x)
{
	return x->reset_gen != x->reset_done;
}

static void host_free(struct rxd_fs_cb *cb, uint32_t h)
{
	struct cb_host *x = &cb->host[h];
	uint32_t *pp = &cb->hbucket[addr_hash(cb, &x->addr)];

	host_drop_promises(cb, h);
	host_drop_breaks(cb, h);
	work_del(cb, h);
	while (*pp != h)
		pp = &cb->host[*pp].hnext;
	*pp = x->hnext;
	x->state = 0;
	x->hnext = cb->hfree;
	cb->hfree = h;
	cb->nhosts--;
}

/*
 * Make room for a host.  A host with nothing owed (no promise, break or
 * reset) is forgotten at once, the least recently active first.  Otherwise
 * the least recently active host is reset and freed once its
 * InitCallBackState3 is done (or it is found down): forgetting a client that
 * still caches our files would leave it stale.  Returns true if a slot is free now.
 */
static bool host_make_room(struct rxd_fs_cb *cb)
{
	uint32_t quiet = NIL, busy = NIL;
	bool evicting = false;

	/* An overloaded table is scanned at most every 10 ms, not on every call of every host left out. */
	if (cb->room_fail_at && cb->now - cb->room_fail_at < ROOM_RESCAN_NS)
		return false;

	for (uint32_t i = 0; i < cb->max_hosts; i++) {
		struct cb_host *x = &cb->host[i];
		evicting |= x->state && x->evicting;
		if (!x->state || x->call || x->evicting)
			continue;
		bool owed = x->state != RXD_FS_CB_HOST_DOWN && (x->nprom || x->nbrk || (reset_due(x) && x->told));
		uint32_t *best = owed ? &busy : &quiet;
		if (*best == NIL || x->last_active < cb->host[*best].last_active)
			*best = i;
	}
	if (quiet != NIL) {
		host_free(cb, quiet);
		cb->st.evicted_hosts++;
		cb->room_fail_at = 0;
		return true;
	}
	cb->room_fail_at = cb->now ? cb->now : 1;
	/* One at a time: a burst of new hosts must not reset every client. */
	if (busy != NIL && !evicting) {
		cb->host[busy].evicting = true;
		host_reset(cb, busy);
	}
	return false;
}

static uint32_t host_add(struct rxd_fs_cb *cb, const struct rxd_addr *a, uint32_t epoch, uint64_t now)
{
	uint32_t h, b;
	struct cb_host *x;

	if (cb->hfree == NIL && !host_make_room(cb))
		return NIL;
	h = cb->hfree;
	x = &cb->host[h];
	cb->hfree = x->hnext;
	memset(x, 0, sizeof(*x));
	x->addr = *a;
	x->epoch = epoch;
	x->state = RXD_FS_CB_HOST_NEW;
	x->identify_due = !cb->no_identify;
	x->reset_gen = 1; /* a new host is reset before anything else (OpenAFS h_GetHost_r) */
	x->last_active = now;
	x->prom = x->bhead = x->btail = NIL;
	x->wprev = x->wnext = NIL;
	b = addr_hash(cb, a);
	x->hnext = cb->hbucket[b];
	cb->hbucket[b] = h;
	cb->nhosts++;
	work_add(cb, h);
	return h;
}

static void host_down(struct rxd_fs_cb *cb, uint32_t h)
{
	struct cb_host *x = &cb->host[h];

	if (x->evicting) {
		host_free(cb, h);
		cb->st.evicted_hosts++;
		return;
	}
	host_drop_promises(cb, h);
	host_drop_breaks(cb, h);
	work_del(cb, h);
	x->state = RXD_FS_CB_HOST_DOWN;
	x->reset_gen = x->reset_done + 1; /* InitCallBackState3 first when it calls again */
	cb->st.hosts_down++;
}

static void queue_break(struct rxd_fs_cb *cb, uint32_t h, const struct rxd_AFSFid *fid)
{
	struct cb_host *x = &cb->host[h];
	uint32_t b = cb->bfree;

	if (x->state == RXD_FS_CB_HOST_DOWN)
		return;
	if (b == NIL) {
		host_reset(cb, h);
		return;
	}
	cb->bfree = cb->brk[b].next;
	cb->nbrk++;
	cb->brk[b].fid = *fid;
	cb->brk[b].next = NIL;
	if (x->btail != NIL)
		cb->brk[x->btail].next = b;
	else
		x->bhead = b;
	x->btail = b;
	x->nbrk++;
	work_add(cb, h);
}

/* ------------------------------------------------------------------ create / destroy */

static uint32_t or_default(uint32_t v, uint32_t def)
{
	return v ? v : def;
}

int rxd_fs_cb_create(const struct rxd_fs_cb_params *p, uint64_t now, struct rxd_fs_cb **out)
{
	struct rxd_fs_cb *cb;

	if (!p->local || (p->group && p->shard >= p->group->n))
		return -EINVAL;
	cb = calloc(1, sizeof(*cb));
	if (!cb)
		return -ENOMEM;
	cb->local = p->local;
	cb->group = p->group;
	cb->shard = p->shard;
	cb->server_uuid = p->server_uuid;
	cb->max_hosts = or_default(p->max_hosts, RXD_FS_CB_MAX_HOSTS);
	cb->max_prom = or_default(p->max_promises, RXD_FS_CB_MAX_PROMISES);
	cb->max_brk = or_default(p->max_breaks, RXD_FS_CB_MAX_BREAKS);
	cb->call_timeout_ms = or_default(p->call_timeout_ms, RXD_FS_CB_CALL_TIMEOUT_MS);
	cb->attempts = or_default(p->attempts, RXD_FS_CB_ATTEMPTS);
	cb->backoff_ms = or_default(p->backoff_ms, RXD_FS_CB_BACKOFF_MS);
	cb->no_identify = p->no_identify;
	if (cb->max_hosts >= NIL / 2 || cb->max_prom >= NIL / 2 || cb->max_brk >= NIL / 2) {
		free(cb);
		return -EINVAL;
	}
	cb->hmask = pow2_at_least(cb->max_hosts * 2) - 1;
	cb->fmask = pow2_at_least(cb->max_prom) - 1;
	cb->host = calloc(cb->max_hosts, sizeof(*cb->host));
	cb->hbucket = malloc(((size_t)cb->hmask + 1) * sizeof(uint32_t));
	cb->prom = calloc(cb->max_prom, sizeof(*cb->prom));
	cb->fbucket = malloc(((size_t)cb->fmask + 1) * sizeof(uint32_t));
	cb->brk = calloc(cb->max_brk, sizeof(*cb->brk));
	if (!cb->host || !cb->hbucket || !cb->prom || !cb->fbucket || !cb->brk) {
		rxd_fs_cb_destroy(cb, now);
		return -ENOMEM;
	}
	memset(cb->hbucket, 0xff, ((size_t)cb->hmask + 1) * sizeof(uint32_t));
	memset(cb->fbucket, 0xff, ((size_t)cb->fmask + 1) * sizeof(uint32_t));
	for (uint32_t i = 0; i < cb->max_hosts; i++)
		cb->host[i].hnext = i + 1 < cb->max_hosts ? i + 1 : NIL;
	for (uint32_t i = 0; i < cb->max_prom; i++) {
		cb->prom[i].host = NIL;
		cb->prom[i].fnext = i + 1 < cb->max_prom ? i + 1 : NIL;
	}
	for (uint32_t i = 0; i < cb->max_brk; i++)
		cb->brk[i].next = i + 1 < cb->max_brk ? i + 1 : NIL;
	cb->hfree = cb->pfree = cb->bfree = 0;
	cb->now = now;
	cb->age_head = cb->age_tail = cb->work_head = NIL;
	*out = cb;
	return 0;
}

static void cb_noop(void *app, struct rxd_call *call)
{
	(void)app;
	(void)call;
}

static const struct rxd_call_ops detached_ops = {NULL, cb_noop, cb_noop, cb_noop};

void rxd_fs_cb_destroy(struct rxd_fs_cb *cb, uint64_t now)
{
	if (!cb)
		return;
	for (uint32_t i = 0; cb->host && i < cb->max_hosts; i++) {
		struct rxd_call *c = cb->host[i].call;
		if (cb->host[i].state && c) {
			rxd_call_set_ops(c, &detached_ops, NULL);
			rxd_call_end(c, now);
		}
	}
	free(cb->host);
	free(cb->hbucket);
	free(cb->prom);
	free(cb->fbucket);
	free(cb->brk);
	free(cb);
}

/* ------------------------------------------------------------------ handlers' entry points */

static void host_restarted(struct rxd_fs_cb *cb, uint32_t h, uint32_t epoch)
{
	struct cb_host *x = &cb->host[h];

	/* A new process has no cached files: nothing to break, nothing to reset. */
	host_drop_promises(cb, h);
	host_drop_breaks(cb, h);
	x->epoch = epoch;
	x->reset_done = x->reset_gen;
	x->identify_due = !cb->no_identify;
	x->has_uuid = false;
	x->told = false;
	x->fails = 0;
	x->retry_at = 0;
	x->state = RXD_FS_CB_HOST_UP; /* owes no reset, whatever it owed before */
	cb->st.restarts++;
	work_add(cb, h);
}

void rxd_fs_cb_contact(struct rxd_fs_cb *cb, const struct rxd_addr *host, uint32_t epoch, uint64_t now)
{
	uint32_t h = host_find(cb, host);
	struct rxd_fs_cb_notice n = {.kind = RXD_FS_CB_N_EPOCH, .has_host = 1, .epoch = epoch, .host = *host};
	struct cb_host *x;

	cb->now = now;
	if (h == NIL) {
		/* The other shards may know this host under an older epoch. */
		if (host_add(cb, host, epoch, now) != NIL && epoch)
			post_all(cb, &n);
		return;
	}
	x = &cb->host[h];
	x->last_active = now;
	if (epoch && x->epoch && epoch != x->epoch) {
		host_restarted(cb, h, epoch);
		post_all(cb, &n);
		return;
	}
	if (epoch)
		x->epoch = epoch;
	if (x->state == RXD_FS_CB_HOST_DOWN) {
		x->state = RXD_FS_CB_HOST_UP;
		x->fails = 0;
		x->retry_at = 0;
		work_add(cb, h);
	}
}

/* bias: holders counted on top of the real ones (OpenAFS CB_BULK: 22, so bulk promises are short). */
static int promise(struct rxd_fs_cb *cb, const struct rxd_addr *host, const struct rxd_AFSFid *fid, uint64_t now,
		   struct rxd_AFSCallBack *out, uint32_t bias)
{
	uint32_t h = host_find(cb, host), holders = 0, mine = NIL, p, b, t;
	uint64_t expires;

	if (h == NIL)
		h = host_add(cb, host, 0, now);
	cb->now = now;
	/* A host being evicted must not learn of a promise its slot will forget. */
	if (h == NIL || cb->host[h].state == RXD_FS_CB_HOST_DOWN || cb->host[h].evicting) {
		*out = (struct rxd_AFSCallBack){RXD_CALLBACK_VERSION, 0, RXD_CB_DROPPED};
		cb->st.no_space++;
		return -ENOSPC;
	}
	cb->host[h].last_active = now;
	cb->host[h].told = true;
	b = fid_hash(cb, fid);
	for (p = cb->fbucket[b]; p != NIL; p = cb->prom[p].fnext) {
		if (!fid_eq(&cb->prom[p].fid, fid))
			continue;
		holders++;
		if (cb->prom[p].host == h)
			mine = p;
	}
	holders += bias;
	t = holders >= 8 * (sizeof(timeouts_s) / sizeof(timeouts_s[0])) ? MIN_TIMEOUT_S : timeouts_s[holders >> 3];
	expires = now + (uint64_t)(t + SERVER_BIAS_S) * RXD_NS_PER_SEC;
	*out = (struct rxd_AFSCallBack){RXD_CALLBACK_VERSION, t, RXD_CB_SHARED};
	if (mine != NIL) {
		/* OpenAFS moves a renewed promise only to a later timeout. */
		if (expires > cb->prom[mine].expires)
			cb->prom[mine].expires = expires;
		age_unlink(cb, mine);
		age_append(cb, mine);
		cb->st.renewed++;
		return 0;
	}
	if (cb->pfree == NIL) {
		/* Full: the oldest promise is broken to make room (OpenAFS GetSomeSpace_r frees by breaking). */
		uint32_t old = cb->age_head, oh = cb->prom[old].host;
		struct rxd_AFSFid of = cb->prom[old].fid;
		prom_free(cb, old);
		queue_break(cb, oh, &of);
		cb->st.evicted_promises++;
	}
	p = cb->pfree;
	cb->pfree = cb->prom[p].fnext;
	cb->nprom++;
	struct cb_prom *x = &cb->prom[p];
	struct cb_host *hx = &cb->host[h];
	x->fid = *fid;
	x->host = h;
	x->expires = expires;
	x->fnext = cb->fbucket[b];
	cb->fbucket[b] = p;
	if (hx->prom == NIL) {
		hx->prom = x->hprev = x->hnext = p;
	} else {
		x->hnext = hx->prom;
		x->hprev = cb->prom[hx->prom].hprev;
		cb->prom[x->hprev].hnext = p;
		cb->prom[hx->prom].hprev = p;
	}
	hx->nprom++;
	age_append(cb, p);
	cb->st.promised++;
	return 0;
}

int rxd_fs_cb_promise(struct rxd_fs_cb *cb, const struct rxd_addr *host, const struct rxd_AFSFid *fid, uint64_t now,
		      struct rxd_AFSCallBack *out)
{
	return promise(cb, host, fid, now, out, 0);
}

int rxd_fs_cb_promise_bulk(struct rxd_fs_cb *cb, const struct rxd_addr *host, const struct rxd_AFSFid *fid,
			   uint64_t now, struct rxd_AFSCallBack *out)
{
	return promise(cb, host, fid, now, out, BULK_BIAS);
}

static uint32_t recent_slot(const struct rxd_AFSFid *f)
{
	return fid_mix(f) & (RECENT_SLOTS - 1);
}

uint64_t rxd_fs_cb_mark(const struct rxd_fs_cb *cb)
{
	return cb->break_seq;
}

bool rxd_fs_cb_broken_since(const struct rxd_fs_cb *cb, const struct rxd_AFSFid *fid, uint64_t mark)
{
	return cb->all_broken_at > mark || cb->recent[recent_slot(fid)] > mark;
}

/* Free fid's promises on this shard (but except's), queueing a break for each holder when brk. */
static void drop_fid(struct rxd_fs_cb *cb, const struct rxd_AFSFid *fid, const struct rxd_addr *except, bool brk,
		     uint64_t now)
{
	uint32_t b = fid_hash(cb, fid);

	cb->now = now;
	/* Recorded even with no promise to break: a status being read now must not be promised (cb.h). */
	cb->recent[recent_slot(fid)] = ++cb->break_seq;
	/* Rescan from the bucket after each break: a break may reset a host and free its other promises. */
	for (;;) {
		uint32_t p, h = NIL;
		for (p = cb->fbucket[b]; p != NIL; p = cb->prom[p].fnext) {
			if (!fid_eq(&cb->prom[p].fid, fid))
				continue;
			if (except && rxd_addr_equal(&cb->host[cb->prom[p].host].addr, except))
				continue;
			h = cb->prom[p].host;
			break;
		}
		if (p == NIL)
			return;
		prom_free(cb, p);
		if (brk) {
			queue_break(cb, h, fid);
			cb->st.broken++;
		} else {
			cb->st.deleted++;
		}
	}
}

void rxd_fs_cb_break(struct rxd_fs_cb *cb, const struct rxd_AFSFid *fid, const struct rxd_addr *except, uint64_t now)
{
	drop_fid(cb, fid, except, true, now);
}

void rxd_fs_cb_drop(struct rxd_fs_cb *cb, const struct rxd_AFSFid *fid, uint64_t now)
{
	drop_fid(cb, fid, NULL, false, now);
}

void rxd_fs_cb_changed(struct rxd_fs_cb *cb, const struct rxd_AFSFid *fid, const struct rxd_addr *except, uint64_t now)
{
	struct rxd_fs_cb_notice n = {.kind = RXD_FS_CB_N_CHANGED, .fid = *fid};

	rxd_fs_cb_break(cb, fid, except, now);
	if (except) {
		n.has_host = 1;
		n.host = *except;
	}
	post_all(cb, &n);
}

void rxd_fs_cb_deleted(struct rxd_fs_cb *cb, const struct rxd_AFSFid *fid, uint64_t now)
{
	struct rxd_fs_cb_notice n = {.kind = RXD_FS_CB_N_DELETED, .fid = *fid};

	rxd_fs_cb_drop(cb, fid, now);
	post_all(cb, &n);
}

void rxd_fs_cb_give_up(struct rxd_fs_cb *cb, const struct rxd_addr *host, const struct rxd_AFSFid *fids, unsigned n)
{
	uint32_t h = host_find(cb, host);

	if (h == NIL)
		return;
	for (unsigned i = 0; i < n; i++) {
		for (uint32_t p = cb->fbucket[fid_hash(cb, &fids[i])]; p != NIL; p = cb->prom[p].fnext) {
			if (cb->prom[p].host == h && fid_eq(&cb->prom[p].fid, &fids[i])) {
				prom_free(cb, p);
				cb->st.given_up++;
				break;
			}
		}
	}
}

void rxd_fs_cb_give_up_all(struct rxd_fs_cb *cb, const struct rxd_addr *host)
{
	uint32_t h = host_find(cb, host);

	if (h == NIL)
		return;
	cb->st.given_up += cb->host[h].nprom;
	host_drop_promises(cb, h);
}

int rxd_fs_cb_probe(struct rxd_fs_cb *cb, const struct rxd_addr *host, uint64_t now)
{
	uint32_t h = host_find(cb, host);
	(void)now;

	if (h == NIL || cb->host[h].state == RXD_FS_CB_HOST_DOWN)
		return -ENOENT;
	cb->host[h].probe_due = true;
	work_add(cb, h);
	return 0;
}

/* ------------------------------------------------------------------ RXAFSCB calls */

static void call_failed(struct rxd_fs_cb *cb, uint32_t h, uint64_t now)
{
	struct cb_host *x = &cb->host[h];

	cb->st.call_failures++;
	if (++x->fails >= cb->attempts) {
		host_down(cb, h);
		return;
	}
	x->retry_at = now + ((uint64_t)cb->backoff_ms << (x->fails - 1)) * RXD_NS_PER_MS;
	work_add(cb, h);
}

static void tmay_reply(struct rxd_fs_cb *cb, struct cb_host *x, struct rxd_call *call, uint64_t now)
{
	uint8_t buf[REPLY_BUF];
	_Alignas(8) uint8_t arena[RXD_RXAFSCB_TellMeAboutYourself_OUT_ARENA + 8];
	struct rxd_RXAFSCB_TellMeAboutYourself_out o;
	struct rxd_xdec d;
	bool eor;
	ssize_t n = rxd_call_recv(call, buf, sizeof(buf), &eor, now);
	(void)cb;

	rxd_xdec_init(&d, buf, n > 0 ? (size_t)n : 0, arena, sizeof(arena));
	if (n > 0 && rxd_RXAFSCB_TellMeAboutYourself_dec_out(&d, &o) == 0) {
		x->uuid = o.addr.uuid;
		x->has_uuid = true;
	}
}

static void call_complete(void *app, struct rxd_call *call)
{
	struct rxd_fs_cb *cb = app;
	uint32_t h = (uint32_t)rxd_call_user_id(call);
	struct cb_host *x = &cb->host[h];
	enum rxd_completion how = rxd_call_completion(call);
	int32_t code = rxd_call_abort_code(call);
	uint64_t now = cb->now;
	uint8_t kind = x->call_kind;

	x->call = NULL;
	x->call_kind = CK_NONE;
	if (kind == CK_TMAY && how == RXD_CALL_SUCCEEDED)
		tmay_reply(cb, x, call, now);
	rxd_call_end(call, now);

	if (how == RXD_CALL_REMOTELY_ABORTED && code == RXD_RXGEN_OPCODE && kind != CK_CALLBACK) {
		/* An old client: no TellMeAboutYourself (OpenAFS falls back too), no InitCallBackState3. */
		if (kind == CK_TMAY)
			x->identify_due = false;
		else if (kind == CK_ICBS3)
			x->no_icbs3 = true;
		else if (kind == CK_PROBE)
			x->probe_due = false;
		work_add(cb, h);
		return;
	}
	if (how != RXD_CALL_SUCCEEDED) {
		call_failed(cb, h, now);
		return;
	}
	x->fails = 0;
	switch (kind) {
	case CK_TMAY:
		x->identify_due = false;
		break;
	case CK_ICBS3:
	case CK_ICBS:
		x->reset_done = x->call_gen;
		if (!reset_due(x))
			x->told = false;
		if (x->state == RXD_FS_CB_HOST_NEW)
			x->state = RXD_FS_CB_HOST_UP;
		if (x->evicting && !reset_due(x)) {
			host_free(cb, h);
			cb->st.evicted_hosts++;
			return;
		}
		break;
	case CK_CALLBACK:
		for (uint32_t i = 0; i < x->call_nfids && x->bhead != NIL; i++) {
			uint32_t b = x->bhead;
			x->bhead = cb->brk[b].next;
			cb->brk[b].next = cb->bfree;
			cb->bfree = b;
			cb->nbrk--;
			x->nbrk--;
		}
		if (x->bhead == NIL)
			x->btail = NIL;
		break;
	case CK_PROBE:
		x->probe_due = false;
		break;
	}
	x->call_nfids = 0;
	work_add(cb, h);
}

static const struct rxd_call_ops call_ops = {NULL, cb_noop, cb_noop, call_complete};

/* Encode the host's next call into buf; returns its length (0: nothing to send). */
static size_t next_request(struct rxd_fs_cb *cb, struct cb_host *x, uint8_t *buf, size_t cap, uint8_t *kind)
{
	struct rxd_xenc e;
	int rc;

	rxd_xenc_init(&e, buf, cap);
	if (x->probe_due) {
		*kind = CK_PROBE;
		rc = rxd_RXAFSCB_Probe_enc_req(&e);
	} else if (x->identify_due) {
		*kind = CK_TMAY;
		rc = rxd_RXAFSCB_TellMeAboutYourself_enc_req(&e);
	} else if (reset_due(x) && !x->no_icbs3) {
		struct rxd_RXAFSCB_InitCallBackState3_in in = {.serverUuid = cb->server_uuid};
		*kind = CK_ICBS3;
		rc = rxd_RXAFSCB_InitCallBackState3_enc_req(&e, &in);
	} else if (reset_due(x)) {
		*kind = CK_ICBS;
		rc = rxd_RXAFSCB_InitCallBackState_enc_req(&e);
	} else if (x->nbrk) {
		struct rxd_AFSFid fids[RXD_AFSCBMAX];
		uint32_t n = 0;
		for (uint32_t b = x->bhead; b != NIL && n < RXD_AFSCBMAX; b = cb->brk[b].next)
			fids[n++] = cb->brk[b].fid;
		/* No AFSCallBack array, as OpenAFS's MultiBreakCallBack_r: kafs and OpenAFS accept 0 or one per fid. */
		struct rxd_RXAFSCB_CallBack_in in = {.Fids_Array = {n, fids}};
		*kind = CK_CALLBACK;
		x->call_nfids = n;
		rc = rxd_RXAFSCB_CallBack_enc_req(&e, &in);
	} else {
		return 0;
	}
	return rc == 0 ? (size_t)(e.p - buf) : 0;
}

static void start_call(struct rxd_fs_cb *cb, uint32_t h, uint64_t now)
{
	struct cb_host *x = &cb->host[h];
	uint8_t buf[RXD_RXAFSCB_REQ_MAX];
	uint8_t kind = CK_NONE;
	size_t len = next_request(cb, x, buf, sizeof(buf), &kind);
	struct rxd_call_params cp = {
	    .peer = x->addr,
	    .service_id = CB_SERVICE,
	    .user_call_id = h,
	    .timeouts = {.hard_ms = CB_HARD_MS, .expect_rx_ms = cb->call_timeout_ms},
	    .tx_total_len = (int64_t)len,
	    .ops = &call_ops,
	    .app = cb,
	};
	struct rxd_call *call;

	if (len == 0) {
		work_del(cb, h);
		return;
	}
	if (rxd_call_begin(cb->local, &cp, now, &call) != 0) {
		call_failed(cb, h, now);
		return;
	}
	x->call = call;
	x->call_kind = kind;
	x->call_gen = x->reset_gen;
	switch (kind) {
	case CK_CALLBACK:
		cb->st.calls_callback++;
		cb->st.fids_sent += x->call_nfids;
		break;
	case CK_ICBS3:
		cb->st.calls_icbs3++;
		break;
	case CK_ICBS:
		cb->st.calls_icbs++;
		break;
	case CK_TMAY:
		cb->st.calls_tmay++;
		break;
	default:
		cb->st.calls_probe++;
		break;
	}
	work_del(cb, h);
	if (rxd_call_send(call, buf, len, 0, now) != (ssize_t)len && x->call == call) {
		/* Cannot happen for requests this small; fail it like a lost call. */
		rxd_call_abort(call, RX_USER_ABORT, now);
	}
}

/* ------------------------------------------------------------------ poll */

static void take_notice(struct rxd_fs_cb *cb, const struct rxd_fs_cb_notice *n, uint64_t now)
{
	cb->st.notices_in++;
	if (n->kind == RXD_FS_CB_N_CHANGED) {
		rxd_fs_cb_break(cb, &n->fid, n->has_host ? &n->host : NULL, now);
	} else if (n->kind == RXD_FS_CB_N_DELETED) {
		rxd_fs_cb_drop(cb, &n->fid, now);
	} else if (n->kind == RXD_FS_CB_N_EPOCH) {
		uint32_t h = host_find(cb, &n->host);
		if (h != NIL && cb->host[h].epoch && cb->host[h].epoch != n->epoch)
			host_restarted(cb, h, n->epoch);
	}
}

static void drain_rings(struct rxd_fs_cb *cb, uint64_t now)
{
	struct rxd_fs_cb_group *g = cb->group;
	struct rxd_fs_cb_notice buf[NOTICES_PER_POLL];

	if (!g)
		return;
	for (unsigned from = 0; from < g->n; from++) {
		if (from == cb->shard)
			continue;
		unsigned k = g->ops.dequeue(g->ring[from * g->n + cb->shard], buf, NOTICES_PER_POLL);
		for (unsigned i = 0; i < k; i++)
			take_notice(cb, &buf[i], now);
	}
	/* A lost notice may have been any fid: every client of this shard forgets everything. */
	if (atomic_load_explicit(&g->lost[cb->shard], memory_order_relaxed) &&
	    atomic_exchange_explicit(&g->lost[cb->shard], 0, memory_order_acquire)) {
		cb->st.lost_resets++;
		cb->all_broken_at = ++cb->break_seq;
		for (uint32_t h = 0; h < cb->max_hosts; h++)
			if (cb->host[h].state && cb->host[h].nprom)
				host_reset(cb, h);
	}
}

static void sweep(struct rxd_fs_cb *cb, uint64_t now)
{
	for (uint32_t i = 0; i < SWEEP_PER_POLL && i < cb->max_prom; i++) {
		uint32_t p = cb->sweep;
		cb->sweep = p + 1 < cb->max_prom ? p + 1 : 0;
		if (cb->prom[p].host != NIL && cb->prom[p].expires <= now) {
			prom_free(cb, p);
			cb->st.expired++;
		}
	}
}

void rxd_fs_cb_poll(struct rxd_fs_cb *cb, uint64_t now)
{
	cb->now = now;
	drain_rings(cb, now);
	sweep(cb, now);
	if (cb->draining)
		return;
	for (uint32_t h = cb->work_head, next; h != NIL; h = next) {
		struct cb_host *x = &cb->host[h];
		next = x->wnext;
		if (x->call || now < x->retry_at)
			continue;
		start_call(cb, h, now);
	}
}

void rxd_fs_cb_drain(struct rxd_fs_cb *cb, uint64_t now)
{
	cb->now = now;
	cb->draining = true;
	for (uint32_t h = 0; h < cb->max_hosts; h++)
		if (cb->host[h].state && cb->host[h].call)
			rxd_call_abort(cb->host[h].call, RX_USER_ABORT, now);
}

/* ------------------------------------------------------------------ introspection */

struct rxd_fs_cb_host_info rxd_fs_cb_host_info(const struct rxd_fs_cb *cb, const struct rxd_addr *host)
{
	struct rxd_fs_cb_host_info i = {0};
	uint32_t h = host_find(cb, host);

	if (h == NIL)
		return i;
	const struct cb_host *x = &cb->host[h];
	i.state = x->state;
	i.epoch = x->epoch;
	i.has_uuid = x->has_uuid;
	i.uuid = x->uuid;
	i.promises = x->nprom;
	i.breaks = x->nbrk;
	i.reset_due = reset_due(x);
	i.call_active = x->call != NULL;
	return i;
}

void rxd_fs_cb_stats(const struct rxd_fs_cb *cb, struct rxd_fs_cb_stats *out)
{
	*out = cb->st;
	out->hosts = cb->nhosts;
	out->promises = cb->nprom;
	out->breaks_queued = cb->nbrk;
}
