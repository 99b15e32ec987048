/* SPDX-License-Identifier: MIT */
/* The local endpoint (one shard): creation, pools, services, timers, stats. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* ------------------------------------------------------------------ pools */

#define POOL_CHUNK 64u

static void pool_init(struct rxd_pool *p, size_t size, uint32_t max)
{
	memset(p, 0, sizeof(*p));
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
		char *chunk = calloc(n, p->size);
		if (!chunk)
			return NULL;
		if (p->nchunks == p->chunk_cap) {
			uint32_t cap = p->chunk_cap ? p->chunk_cap * 2 : 16;
			void **c = realloc(p->chunks, cap * sizeof(*c));
			if (!c) {
				free(chunk);
				return NULL;
			}
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

static void pool_destroy(struct rxd_pool *p)
{
	for (uint32_t i = 0; i < p->nchunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	memset(p, 0, sizeof(*p));
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

	if (!p || !out || !p->io || !p->io->send || !p->io->buf_alloc || !p->io->buf_put || !p->io->buf_ref)
		return -EINVAL;
	if (p->shard_count > 1 && p->shard_index >= p->shard_count)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	if (p->config)
		l->cfg = *p->config;
	else
		rxd_config_default(&l->cfg);
	if (rxd_config_validate(&l->cfg, err, sizeof(err)) < 0) {
		free(l);
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

	pool_init(&l->call_pool, sizeof(struct rxd_call), l->cfg.max_calls);
	pool_init(&l->conn_pool, sizeof(struct rxd_conn), l->cfg.max_conns);
	pool_init(&l->peer_pool, sizeof(struct rxd_peer), l->cfg.max_peers);
	l->peer_hash_mask = pow2_at_least(l->cfg.max_peers) - 1;
	l->conn_hash_mask = pow2_at_least(l->cfg.max_conns * 2) - 1;
	l->peer_hash = calloc(l->peer_hash_mask + 1, sizeof(*l->peer_hash));
	l->conn_hash = calloc(l->conn_hash_mask + 1, sizeof(*l->conn_hash));
	if (!l->peer_hash || !l->conn_hash) {
		free(l->peer_hash);
		free(l->conn_hash);
		free(l);
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
	rxd_peer_free_all(l);
	for (struct rxd_service *s = l->services, *n; s; s = n) {
		n = s->next;
		free(s->charged);
		free(s);
	}
	/* Pooled calls keep their rings across reuse: free them with the pool. */
	for (struct rxd_call *c = l->call_pool.free; c; c = c->free_next) {
		free(c->tx);
		free(c->rx);
	}
	pool_destroy(&l->call_pool);
	pool_destroy(&l->conn_pool);
	pool_destroy(&l->peer_pool);
	free(l->peer_hash);
	free(l->conn_hash);
	free(l);
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

unsigned rxd_local_call_count(const struct rxd_local *l)
{
	return l->ncalls;
}
unsigned rxd_local_conn_count(const struct rxd_local *l)
{
	return l->nconns;
}
unsigned rxd_local_peer_count(const struct rxd_local *l)
{
	return l->npeers;
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

struct rxd_service *rxd_service_register(struct rxd_local *l, const struct rxd_service_desc *d, int *err)
{
	struct rxd_service *s;
	int e = 0;

	if (!d || d->service_id == 0 || !d->ops)
		e = -EINVAL;
	else if (rxd_find_service(l, d->service_id))
		e = -EADDRINUSE;
	if (e) {
		if (err)
			*err = e;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		if (err)
			*err = -ENOMEM;
		return NULL;
	}
	s->local = l;
	s->d = *d;
	if (!s->d.backlog)
		s->d.backlog = l->cfg.max_backlog;
	if (s->d.needs_charge) {
		s->charge_cap = s->d.backlog;
		s->charged = calloc(s->charge_cap, sizeof(*s->charged));
		if (!s->charged) {
			free(s);
			if (err)
				*err = -ENOMEM;
			return NULL;
		}
	}
	s->next = l->services;
	l->services = s;
	if (err)
		*err = 0;
	return s;
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
