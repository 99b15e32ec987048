/* SPDX-License-Identifier: MIT */
/*
 * test_io: heap buffers and a gathering send for the core's rxd_io_ops.
 * See test_io.h.
 */
#include "test_io.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/wire.h>

#define TEST_IO_MAGIC 0x54696f42u /* "TioB" */
#define TEST_IO_DEAD 0x44656164u  /* "Dead" */
#define TEST_IO_SMALL 2048u
#define TEST_IO_BIG 65536u
#define TEST_IO_MAX_ALLOC (16u * 1024 * 1024)

void test_io_violation(struct test_io_pool *p, const char *what)
{
	p->st.violations++;
	if (p->on_violation)
		p->on_violation(p->violation_arg, what);
	else
		fprintf(stderr, "test_io: io contract violation: %s\n", what);
}

/* The free list a block of this capacity returns to, when recycling. */
static struct rxd_buf **test_io_free_list(struct test_io_pool *p, size_t cap)
{
	if (!p->recycle)
		return NULL;
	return cap == TEST_IO_SMALL ? &p->free_small : cap == TEST_IO_BIG ? &p->free_big : NULL;
}

struct rxd_buf *test_io_buf_new(struct test_io_pool *p, size_t len)
{
	size_t cap = len;
	struct rxd_buf **fl;
	struct rxd_buf *b;

	if (p->recycle)
		cap = len <= TEST_IO_SMALL ? TEST_IO_SMALL : len <= TEST_IO_BIG ? TEST_IO_BIG : len;
	fl = test_io_free_list(p, cap);
	if (fl && *fl) {
		b = *fl;
		*fl = b->next_free;
	} else {
		b = malloc(sizeof(*b) + (cap ? cap : 1));
		if (!b)
			return NULL;
		b->cap = (uint32_t)cap;
	}
	b->magic = TEST_IO_MAGIC;
	b->refs = 1;
	b->in_flight = 0;
	b->next_free = NULL;
	p->st.live++;
	p->st.allocs++;
	return b;
}

static bool test_io_buf_ok(struct test_io_pool *p, const struct rxd_buf *b, const char *op)
{
	char msg[128];

	if (!b) {
		snprintf(msg, sizeof(msg), "%s(NULL)", op);
		test_io_violation(p, msg);
		return false;
	}
	if (b->magic != TEST_IO_MAGIC || b->refs == 0) {
		snprintf(msg, sizeof(msg), "%s on a freed buffer %p (magic %#x refs %u)", op, (const void *)b, b->magic,
			 b->refs);
		test_io_violation(p, msg);
		return false;
	}
	return true;
}

void test_io_buf_drop(struct test_io_pool *p, struct rxd_buf *b)
{
	struct rxd_buf **fl;

	if (!test_io_buf_ok(p, b, "buf_put") || --b->refs)
		return;
	b->magic = TEST_IO_DEAD;
	p->st.live--;
	p->st.frees++;
	fl = test_io_free_list(p, b->cap);
	if (fl) {
		b->next_free = *fl;
		*fl = b;
	} else {
		free(b);
	}
}

struct rxd_buf *test_io_buf_copy(struct test_io_pool *p, const struct rxd_buf *b, uint32_t len)
{
	struct rxd_buf *c = test_io_buf_new(p, len);

	if (c)
		memcpy(c->data, b->data, len);
	return c;
}

struct rxd_buf *test_io_buf_alloc(void *io, size_t len, uint8_t **data)
{
	struct test_io_pool *p = ((struct test_io *)io)->pool;
	struct rxd_buf *b;

	if (p->limit && *p->limit && p->st.live >= *p->limit) {
		p->st.alloc_fail++;
		return NULL;
	}
	if (len > TEST_IO_MAX_ALLOC) {
		test_io_violation(p, "buf_alloc of more than 16 MiB");
		return NULL;
	}
	b = test_io_buf_new(p, len);
	if (!b) {
		p->st.alloc_fail++;
		return NULL;
	}
	*data = b->data;
	return b;
}

void test_io_buf_ref(void *io, struct rxd_buf *b)
{
	struct test_io_pool *p = ((struct test_io *)io)->pool;

	if (!test_io_buf_ok(p, b, "buf_ref"))
		return;
	b->refs++;
	p->st.refs++;
}

void test_io_buf_put(void *io, struct rxd_buf *b)
{
	test_io_buf_drop(((struct test_io *)io)->pool, b);
}

/* The gather list must describe a datagram the core may send: 0, or -errno after a violation. */
static int test_io_check_iov(struct test_io_pool *p, const struct rxd_addr *dst, const struct rxd_iov *iov, unsigned n,
			     uint64_t *total)
{
	char msg[96];

	*total = 0;
	if (!dst || (n && !iov)) {
		test_io_violation(p, "send with NULL dst or iov");
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct rxd_buf *ib = iov[i].buf;

		if (iov[i].len && !iov[i].base) {
			test_io_violation(p, "send: iov with len but no base");
			return -EINVAL;
		}
		if (ib) {
			if (!test_io_buf_ok(p, ib, "send iov"))
				return -EINVAL;
			if (iov[i].base < ib->data || iov[i].base + iov[i].len > ib->data + ib->cap) {
				test_io_violation(p, "send: iov base/len outside its buffer");
				return -EINVAL;
			}
		}
		*total += iov[i].len;
	}
	if (*total < RXD_WIRE_HDR_LEN || *total > TEST_IO_MAX_DGRAM) {
		snprintf(msg, sizeof(msg), "send: datagram of %" PRIu64 " bytes", *total);
		test_io_violation(p, msg);
		return *total > TEST_IO_MAX_DGRAM ? -EMSGSIZE : -EINVAL;
	}
	return 0;
}

int test_io_send(void *io, const struct rxd_addr *dst, const struct rxd_iov *iov, unsigned n, unsigned flags)
{
	struct test_io *t = io;
	struct test_io_pool *p = t->pool;
	uint64_t total;
	uint32_t len = 0;
	struct rxd_buf *b;
	int rc;

	rc = test_io_check_iov(p, dst, iov, n, &total);
	if (rc < 0)
		return rc;
	b = test_io_buf_new(p, total);
	if (!b)
		return -ENOBUFS;
	for (unsigned i = 0; i < n; i++) {
		if (iov[i].len)
			memcpy(b->data + len, iov[i].base, iov[i].len);
		len += iov[i].len;
	}
	p->st.sent++;
	p->st.sent_bytes += len;
	if (t->tx)
		return t->tx(t->tx_arg, dst, b, len, flags);
	if (t->last)
		test_io_buf_drop(p, t->last);
	t->last = b;
	t->last_len = len;
	return 0;
}

const struct rxd_io_ops test_io_ops = {
    .buf_alloc = test_io_buf_alloc,
    .buf_ref = test_io_buf_ref,
    .buf_put = test_io_buf_put,
    .send = test_io_send,
};

void test_io_init(struct test_io *io, struct test_io_pool *p, test_io_tx_fn tx, void *tx_arg)
{
	memset(io, 0, sizeof(*io));
	io->pool = p;
	io->tx = tx;
	io->tx_arg = tx_arg;
}

void test_io_fini(struct test_io *io)
{
	if (io->last)
		test_io_buf_drop(io->pool, io->last);
	io->last = NULL;
	io->last_len = 0;
}

static void test_io_free_all(struct rxd_buf **fl)
{
	struct rxd_buf *b;

	while ((b = *fl)) {
		*fl = b->next_free;
		free(b);
	}
}

uint64_t test_io_pool_fini(struct test_io_pool *p)
{
	test_io_free_all(&p->free_small);
	test_io_free_all(&p->free_big);
	return p->st.live;
}
