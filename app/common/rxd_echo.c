/* SPDX-License-Identifier: MIT */
/* Echo service (see rxd_echo.h). */
#include "rxd_echo.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rxd_slots.h"

#define CHUNK (64u * 1024u)
#define NIL UINT32_MAX

enum estate { E_RECV, E_SEND, E_END, E_WAIT, E_DONE };

struct ecall {
	struct rxd_slot slot; /* first: the call and the free list */
	struct rxd_echo_server *srv;
	enum estate st;
	uint32_t head, tail; /* chunk list */
	uint64_t len;	     /* request bytes stored */
	uint32_t cur;	     /* sending: current chunk */
	uint64_t sent;	     /* sending: bytes accepted */
};

struct rxd_echo_server {
	struct rxd_slots calls;
	uint8_t *arena;
	uint32_t nchunks, nfree;
	uint32_t *free_chunks; /* stack */
	uint32_t *next;	       /* chunk list links */
	rxd_app_clock_fn clock;
	void *clock_arg;
};

static uint64_t now_of(const struct rxd_echo_server *s)
{
	return s->clock(s->clock_arg);
}

static void release_chunks(struct rxd_echo_server *s, struct ecall *e)
{
	for (uint32_t c = e->head; c != NIL;) {
		uint32_t n = s->next[c];
		s->free_chunks[s->nfree++] = c;
		c = n;
	}
	e->head = e->tail = NIL;
}

static void send_back(struct ecall *e, uint64_t now)
{
	bool ended;
	ssize_t r;

	while (e->st == E_SEND) {
		uint64_t off = e->sent % CHUNK, left = e->len - e->sent;
		size_t n = (size_t)(left < CHUNK - off ? left : CHUNK - off);
		bool last = e->sent + n == e->len;

		const uint8_t *d = n ? e->srv->arena + (size_t)e->cur * CHUNK + off : NULL;

		r = rxd_app_send(e->slot.call, d, n, !last, &ended, now);
		if (r < 0)
			return;
		e->sent += (uint64_t)r;
		if ((size_t)r < n)
			return; /* writable() resumes */
		if (last) {
			e->st = ended ? E_WAIT : E_END;
			return;
		}
		if (e->sent % CHUNK == 0)
			e->cur = e->srv->next[e->cur];
	}
	if (e->st == E_END) {
		rxd_app_send(e->slot.call, NULL, 0, false, &ended, now);
		if (ended)
			e->st = E_WAIT;
	}
}

static void on_data(void *app, struct rxd_call *call)
{
	struct ecall *e = app;
	struct rxd_echo_server *s = e->srv;
	uint64_t now = now_of(s);
	struct rxd_seg segs[32];
	bool eor = false;
	unsigned n;

	if (e->st != E_RECV)
		return;
	do {
		size_t used = 0;
		n = rxd_call_peek(call, segs, 32, &eor);
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *d = segs[i].data;
			uint32_t len = segs[i].len;
			while (len) {
				uint32_t off = (uint32_t)(e->len % CHUNK), take;
				if (off == 0) {
					uint32_t c;
					if (!s->nfree) {
						rxd_call_abort(call, RX_USER_ABORT, now);
						return;
					}
					c = s->free_chunks[--s->nfree];
					s->next[c] = NIL;
					if (e->tail == NIL)
						e->head = c;
					else
						s->next[e->tail] = c;
					e->tail = c;
				}
				take = CHUNK - off < len ? CHUNK - off : len;
				memcpy(s->arena + (size_t)e->tail * CHUNK + off, d, take);
				e->len += take;
				d += take;
				len -= take;
			}
			used += segs[i].len;
		}
		if (used)
			rxd_call_consume(call, used, now);
	} while (n == 32);
	if (!eor)
		return;
	e->st = E_SEND;
	e->cur = e->head;
	send_back(e, now);
}

static void on_writable(void *app, struct rxd_call *call)
{
	struct ecall *e = app;

	(void)call;
	send_back(e, now_of(e->srv));
}

static void on_complete(void *app, struct rxd_call *call)
{
	struct ecall *e = app;
	struct rxd_echo_server *s = e->srv;

	(void)call;
	release_chunks(s, e);
	e->st = E_DONE;
	rxd_slots_put(&s->calls, &e->slot, now_of(s));
}

static const struct rxd_call_ops ecall_ops = {
    .data = on_data,
    .writable = on_writable,
    .complete = on_complete,
};

static int on_new_call(void *app, struct rxd_call *call)
{
	struct rxd_echo_server *s = app;
	struct ecall *e = (struct ecall *)rxd_slots_accept(&s->calls, call, &ecall_ops, now_of(s));

	if (!e)
		return -1;
	e->srv = s;
	e->head = e->tail = NIL;
	e->st = E_RECV;
	return 0;
}

static const struct rxd_call_ops service_ops = {
    .new_call = on_new_call,
};

struct rxd_echo_server *rxd_echo_server_create(uint32_t max_calls, uint64_t arena_bytes, rxd_app_clock_fn clock,
					       void *clock_arg)
{
	struct rxd_echo_server *s = calloc(1, sizeof(*s));
	uint32_t nchunks = (uint32_t)((arena_bytes + CHUNK - 1) / CHUNK);

	if (!s)
		return NULL;
	if (nchunks == 0)
		nchunks = 1;
	s->clock = clock;
	s->clock_arg = clock_arg;
	/* untouched pages cost nothing until a request fills them */
	s->arena = malloc((size_t)nchunks * CHUNK);
	s->free_chunks = malloc(sizeof(uint32_t) * nchunks);
	s->next = malloc(sizeof(uint32_t) * nchunks);
	if (rxd_slots_init(&s->calls, max_calls, sizeof(struct ecall)) || !s->arena || !s->free_chunks || !s->next) {
		rxd_echo_server_destroy(s);
		return NULL;
	}
	s->nchunks = nchunks;
	for (uint32_t i = nchunks; i-- > 0;)
		s->free_chunks[s->nfree++] = i;
	return s;
}

void rxd_echo_server_destroy(struct rxd_echo_server *s)
{
	if (!s)
		return;
	rxd_slots_fini(&s->calls);
	free(s->arena);
	free(s->free_chunks);
	free(s->next);
	free(s);
}

void rxd_echo_server_desc(struct rxd_echo_server *s, uint16_t service_id, struct rxd_service_desc *d)
{
	rxd_app_service_desc(d, service_id, &service_ops, s);
}

void rxd_echo_server_abort_all(struct rxd_echo_server *s, int32_t code, uint64_t now)
{
	rxd_slots_abort_all(&s->calls, code, now);
}
