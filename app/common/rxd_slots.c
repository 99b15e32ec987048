/* SPDX-License-Identifier: MIT */
/* Per-call contexts of a server engine (see rxd_slots.h). */
#include "rxd_slots.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct rxd_slot *at(const struct rxd_slots *p, uint32_t i)
{
	return (struct rxd_slot *)(void *)(p->base + (size_t)i * p->size);
}

int rxd_slots_init(struct rxd_slots *p, uint32_t n, size_t size)
{
	memset(p, 0, sizeof(*p));
	p->base = calloc(n ? n : 1, size);
	if (!p->base)
		return -ENOMEM;
	p->size = size;
	p->reset = size;
	p->n = n;
	for (uint32_t i = n; i-- > 0;) {
		at(p, i)->next_free = p->free;
		p->free = at(p, i);
	}
	return 0;
}

void rxd_slots_set_reset(struct rxd_slots *p, size_t bytes)
{
	if (bytes < sizeof(struct rxd_slot))
		bytes = sizeof(struct rxd_slot);
	p->reset = bytes < p->size ? bytes : p->size;
}

void rxd_slots_fini(struct rxd_slots *p)
{
	free(p->base);
	p->base = NULL;
	p->free = NULL;
}

struct rxd_slot *rxd_slots_accept(struct rxd_slots *p, struct rxd_call *call, const struct rxd_call_ops *ops,
				  uint64_t now)
{
	struct rxd_slot *s = p->free;

	if (!s) {
		rxd_call_reject(call, now);
		return NULL;
	}
	p->free = s->next_free;
	memset(s, 0, p->reset);
	s->call = call;
	p->accepted++;
	rxd_call_set_ops(call, ops, s);
	return s;
}

void rxd_slots_put(struct rxd_slots *p, struct rxd_slot *s, uint64_t now)
{
	if (s->call) {
		if (rxd_call_completion(s->call) == RXD_CALL_SUCCEEDED)
			p->ok++;
		else
			p->failed++;
		rxd_call_end(s->call, now);
	}
	s->call = NULL;
	s->next_free = p->free;
	p->free = s;
}

void rxd_slots_abort_all(struct rxd_slots *p, int32_t code, uint64_t now)
{
	for (uint32_t i = 0; i < p->n; i++) {
		struct rxd_slot *s = at(p, i);
		if (s->call && rxd_call_completion(s->call) == RXD_CALL_ACTIVE)
			rxd_call_abort(s->call, code, now);
	}
}
