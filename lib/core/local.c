/* SPDX-License-Identifier: MIT */
/* The local endpoint (one shard): creation, entry and exit, memory, log, pools, services, timers, stats. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* ------------------------------------------------------------------ pools */

#define POOL_CHUNK 64u

void rxd_pool_init(struct rxd_pool *p, const struct rxd_mem *mem, size_t size, uint32_t max)
{
	memset(p, 0, sizeof(*p));
	p->mem = mem;
	p->size = size < sizeof(void *) ? sizeof(void *) : size;
	p->max = max;
}

/* Objects keep their free-list link in their first field. */
void *rxd_pool_get(struct rxd_pool *p)
{
	void *obj = p->free;

	/* The bound holds whatever the free list has: chunks hold more than max when it is not a multiple. */
	if (p->used >= p->max)
		return NULL;
	if (!obj) {
		uint32_t n = POOL_CHUNK;
		char *chunk = p->mem->calloc(p->mem->user, n, p->size);
		if (!chunk)
			return NULL;
		if (p->nchunks == p->chunk_cap) {
			uint32_t cap = p->chunk_cap ? p->chunk_cap * 2 : 16;
			void **c = p->mem->malloc(p->mem->user, cap * sizeof(*c));
			if (!c) {
				p->mem->free(p->mem->user, chunk);
				return NULL;
			}
			if (p->nchunks)
				memcpy(c, p->chunks, p->nchunks * sizeof(*c));
			if (p->chunks)
				p->mem->free(p->mem->user, p->chunks);
			p->chunks = c;
			p->chunk_cap = cap;
		}
		p->chunks[p->nchunks++] = chunk;
		for (uint32_t i = 0; i < n; i++) {
			void **o = (void **)(chunk + (size_t)i * p->size);
			*o = p->free;
			p->free = o;
		}
		obj = p->free;
	}
	p->free = *(void **)obj;
	p->used++;
	return obj;
}

void rxd_pool_put(struct rxd_pool *p, void *obj)
{
	*(void **)obj = p->free;
	p->free = obj;
	p->used--;
}

void rxd_pool_destroy(struct rxd_pool *p)
{
	for (uint32_t i = 0; i < p->nchunks; i++)
		p->mem->free(p->mem->user, p->chunks[i]);
	if (p->chunks)
		p->mem->free(p->mem->user, p->chunks);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------ memory and log */

static void *libc_malloc(void *user, size_t size)
{
	(void)user;
	return malloc(size);
}
static void *libc_calloc(void *user, size_t n, size_t size)
{
	(void)user;
	return calloc(n, size);
}
static void libc_free(void *user, void *ptr)
{
	(void)user;
	free(ptr);
}
static const struct rxd_mem libc_mem = {libc_malloc, libc_calloc, libc_free, NULL};

void rxd_log_msg(const struct rxd_local *l, enum rxd_log_level level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l->log(l->log_user, level, msg);
}

/* ------------------------------------------------------------------ entry and exit */

void rxd_local_enter(struct rxd_local *l, uint64_t now)
{
	if (now > l->now)
		l->now = now;
	l->busy++;
}

void rxd_local_leave(struct rxd_local *l, uint64_t now)
{
	if (--l->busy == 0) {
		if (l->ack_list) /* only a batch queues ACKs; busy reaches 0 after its end */
			rxd_flush_acks(l, l->now > now ? l->now : now);
		if (l->await_conn_head)
			rxd_conn_connect_waiting(l, now);
		rxd_call_reap_all(l);
		if (l->crypto.backlog)
			rxd_crypto_offer(l);
	}
}

void rxd_local_batch_begin(struct rxd_local *l, uint64_t now)
{
	rxd_local_enter(l, now);
	l->batch++;
}

/* The queued ACKs go out in rxd_local_leave(), when the outermost entry point ends. */
void rxd_local_batch_end(struct rxd_local *l, uint64_t now)
{
	/* Inline, the batch's packets are verified now, so their delivery's ACKs go out with the batch's. */
	if (l->batch == 1 && l->crypto.backlog && !l->crypto.ops)
		rxd_crypto_offer(l);
	l->batch--;
	rxd_local_leave(l, now);
}

/* ------------------------------------------------------------------ helpers */

uint64_t rxd_local_random(struct rxd_local *l)
{
	/* splitmix64: deterministic per seed, which the simulator relies on */
	uint64_t z = (l->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 16;
	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

/* ------------------------------------------------------------------ lifecycle */

int rxd_local_create(const struct rxd_local_params *p, uint64_t now, struct rxd_local **out)
{
	char err[128];
	struct rxd_local *l;
	const struct rxd_mem *mem;

	if (!p || !out || !p->io || !p->io->send || !p->io->buf_alloc || !p->io->buf_put || !p->io->buf_ref)
		return -EINVAL;
	if (p->shard_count > 1 && p->shard_index >= p->shard_count)
		return -EINVAL;
	if (p->mem && (!p->mem->malloc || !p->mem->calloc || !p->mem->free))
		return -EINVAL;
	mem = p->mem ? p->mem : &libc_mem;
	l = mem->calloc(mem->user, 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->mem = *mem;
	l->log = p->log;
	l->log_user = p->log_user;
	l->debug_counters = p->debug_counters;
	l->debug_counters_user = p->debug_counters_user;
	l->log_level = p->log_level ? p->log_level : RXD_LOG_NOTICE;
	if (p->config)
		l->cfg = *p->config;
	else
		rxd_config_default(&l->cfg);
	if (rxd_config_validate(&l->cfg, err, sizeof(err)) < 0) {
		RXD_LOG(l, RXD_LOG_ERR, "rxd_local_create: %s", err);
		rxd_free(l, l);
		return -EINVAL;
	}
	l->io = p->io;
	l->io_ctx = p->io_ctx;
	l->addr = p->addr;
	l->rng = p->seed ^ 0x5258445f53454544ull;
	l->shard_index = p->shard_index;
	l->shard_count = p->shard_count ? p->shard_count : 1;
	l->epoch = p->epoch ? p->epoch : ((uint32_t)rxd_local_random(l) | 0x80000000u) & ~0x40000000u;
	/* Connection ids are cyclic in [1, 2^30); the channel occupies the low 2 bits of the cid. */
	l->next_cid_id = (uint32_t)(rxd_local_random(l) % 0x3fff0000u) + 1;
	snprintf(l->version, sizeof(l->version), "%s", p->version_string ? p->version_string : "rxd " RXD_VERSION);
	l->now = now;

	rxd_pool_init(&l->call_pool, &l->mem, sizeof(struct rxd_call), l->cfg.max_calls);
	rxd_pool_init(&l->conn_pool, &l->mem, sizeof(struct rxd_conn), l->cfg.max_conns);
	rxd_pool_init(&l->peer_pool, &l->mem, sizeof(struct rxd_peer), l->cfg.max_peers);
	l->peer_hash_mask = pow2_at_least(l->cfg.max_peers) - 1;
	l->conn_hash_mask = pow2_at_least(l->cfg.max_conns * 2) - 1;
	l->peer_hash = rxd_calloc(l, l->peer_hash_mask + 1, sizeof(*l->peer_hash));
	l->conn_hash = rxd_calloc(l, l->conn_hash_mask + 1, sizeof(*l->conn_hash));
	if (!l->peer_hash || !l->conn_hash || rxd_crypto_init(l, p->crypto, p->crypto_ctx) < 0) {
		RXD_LOG(l, RXD_LOG_ERR, "rxd_local_create: out of memory for the hash tables");
		rxd_free(l, l->peer_hash);
		rxd_free(l, l->conn_hash);
		rxd_free(l, l);
		return -ENOMEM;
	}
	rxd_wheel_init(&l->wheel, now);
	*out = l;
	return 0;
}

void rxd_local_destroy(struct rxd_local *l)
{
	if (!l)
		return;
	l->destroying = true;
	/* Frees stay deferred while callbacks run, so the call list stays intact under us. */
	l->busy = 1;
	for (struct rxd_call *c = l->calls; c; c = c->all_next)
		if (c->state != RXD_CS_COMPLETE)
			rxd_call_complete(c, RXD_CALL_LOCAL_ERROR, RX_CALL_DEAD, -ESHUTDOWN, l->now);
	for (struct rxd_call *c = l->calls; c; c = c->all_next) {
		c->app_ended = true;
		rxd_call_maybe_free(c);
	}
	l->busy = 0;
	rxd_call_reap_all(l);
	rxd_conn_free_all(l);
	rxd_crypto_fini(l);
	rxd_peer_free_all(l);
	for (struct rxd_service *s = l->services, *n; s; s = n) {
		n = s->next;
		rxd_free(l, s->charged);
		rxd_free(l, s);
	}
	/* Pooled calls keep their rings across reuse: free them with the pool. */
	for (struct rxd_call *c = l->call_pool.free; c; c = c->free_next) {
		rxd_txq_free(l, &c->tx);
		rxd_free(l, c->rx);
	}
	rxd_pool_destroy(&l->call_pool);
	rxd_pool_destroy(&l->conn_pool);
	rxd_pool_destroy(&l->peer_pool);
	rxd_free(l, l->peer_hash);
	rxd_free(l, l->conn_hash);
	rxd_free(l, l);
}

uint64_t rxd_local_next_expiry(const struct rxd_local *l)
{
	return rxd_wheel_next(&l->wheel);
}

void rxd_local_expire(struct rxd_local *l, uint64_t now)
{
	if (now > l->now)
		l->now = now;
	rxd_wheel_run(&l->wheel, now);
	rxd_conn_connect_waiting(l, now);
}

void rxd_local_shutdown(struct rxd_local *l, uint64_t now)
{
	l->shutting_down = true;
	(void)now;
}

struct rxd_local_counts rxd_local_counts(const struct rxd_local *l)
{
	struct rxd_local_counts n = {l->ncalls, l->nconns, l->npeers};

	return n;
}
uint32_t rxd_local_epoch(const struct rxd_local *l)
{
	return l->epoch;
}

void rxd_local_stats_add(const struct rxd_local *l, struct rxd_stats *out)
{
	const uint64_t *src = (const uint64_t *)&l->stats;
	uint64_t *dst = (uint64_t *)out;
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] += src[i];
}

/* ------------------------------------------------------------------ services */

struct rxd_service *rxd_find_service(struct rxd_local *l, uint16_t service_id)
{
	for (struct rxd_service *s = l->services; s; s = s->next)
		if (s->d.service_id == service_id)
			return s;
	return NULL;
}

int rxd_service_register(struct rxd_local *l, const struct rxd_service_desc *d, struct rxd_service **out)
{
	struct rxd_service *s;

	if (!d || d->service_id == 0 || !d->ops)
		return -EINVAL;
	if (rxd_find_service(l, d->service_id))
		return -EADDRINUSE;
	s = rxd_calloc(l, 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->local = l;
	s->d = *d;
	if (!s->d.backlog)
		s->d.backlog = l->cfg.max_backlog;
	if (s->d.needs_charge) {
		s->charge_cap = s->d.backlog;
		s->charged = rxd_calloc(l, s->charge_cap, sizeof(*s->charged));
		if (!s->charged) {
			rxd_free(l, s);
			return -ENOMEM;
		}
	}
	s->next = l->services;
	l->services = s;
	if (out)
		*out = s;
	return 0;
}

int rxd_service_charge(struct rxd_service *s, uint64_t user_call_id)
{
	if (!s->d.needs_charge || s->nr_charged >= s->charge_cap)
		return -ENOBUFS;
	s->charged[(s->charge_head + s->nr_charged) % s->charge_cap] = user_call_id;
	s->nr_charged++;
	return 0;
}

int rxd_local_add_security(struct rxd_local *l, const struct rxd_security_class *sc)
{
	if (!sc || sc->index == 0 || sc->index >= 8)
		return -EINVAL;
	l->security[sc->index] = sc;
	return 0;
}
