/* SPDX-License-Identifier: MIT */
/*
 * test_io: the heap-buffer shell side of struct rxd_io_ops, the one test
 * double of the core's I/O for the unit tests, the simulator, rxd-core-bench
 * and rxd-udp.
 *
 * Buffers are reference-counted heap blocks; every allocation, reference and
 * free is counted (a leak shows as live buffers after rxd_local_destroy()),
 * and misuse (a reference to a freed buffer, an iov outside its buffer, a
 * datagram shorter than an RxRPC header) is a printed, counted contract
 * violation.  send() checks the gather list, copies it into one fresh
 * buffer and hands that to the endpoint's tx callback, which owns the
 * reference; an endpoint without a callback keeps the last datagram (a
 * transmit capture).  A shell with a send of its own (rxd-udp: sendmsg)
 * takes only the three buffer operations.
 */
#ifndef RXD_TEST_IO_H
#define RXD_TEST_IO_H

#include <stdbool.h>
#include <stdint.h>

#include <rxd/core.h>
#include <rxd/wire.h>

#define TEST_IO_MAX_DGRAM 65507u /* largest UDP payload over IPv4 */

struct rxd_buf {
	uint32_t magic; /* TEST_IO_MAGIC while live */
	uint32_t refs;
	uint32_t cap;
	uint32_t in_flight; /* the user's mark: the simulator counts queued packets holding it */
	struct rxd_buf *next_free;
	uint8_t data[];
};

struct test_io_stats {
	uint64_t live; /* allocated, not yet freed */
	uint64_t allocs, frees, alloc_fail, refs;
	uint64_t sent, sent_bytes;
	uint64_t violations;
};

/* The buffers of one test, shared by its engines. */
struct test_io_pool {
	const uint32_t *limit; /* live buffers buf_alloc allows (*limit 0 or limit NULL: no limit) */
	bool recycle; /* keep freed 2 KiB and 64 KiB blocks for reuse: a benchmark measures the core, not malloc */
	/* where violations are reported (NULL: stderr) */
	void (*on_violation)(void *arg, const char *what);
	void *violation_arg;
	struct rxd_buf *free_small, *free_big;
	struct test_io_stats st;
};

/* Takes one datagram (b->data[0..len)) and b's one reference; 0 or -errno for send(). */
typedef int (*test_io_tx_fn)(void *arg, const struct rxd_addr *dst, struct rxd_buf *b, uint32_t len, unsigned flags);

/* One engine's side: its rxd_local_params.io_ctx. */
struct test_io {
	struct test_io_pool *pool;
	test_io_tx_fn tx; /* NULL: keep the last datagram in last / last_len */
	void *tx_arg;
	struct rxd_buf *last;
	uint32_t last_len;
};

/** All four operations; io_ctx is a struct test_io. */
extern const struct rxd_io_ops test_io_ops;

struct rxd_buf *test_io_buf_alloc(void *io, size_t len, uint8_t **data);
void test_io_buf_ref(void *io, struct rxd_buf *b);
void test_io_buf_put(void *io, struct rxd_buf *b);
int test_io_send(void *io, const struct rxd_addr *dst, const struct rxd_iov *iov, unsigned n, unsigned flags);

/** A PMTUD probe: a PING ACK longer than its SACK table and trailer (zero padding follows). */
static inline bool test_io_is_pmtud_probe(const uint8_t *d, uint32_t len)
{
	return len > RXD_WIRE_HDR_LEN + RXD_ACK_BODY_LEN && d[20] == RXD_PKT_ACK &&
	       d[RXD_WIRE_HDR_LEN + 16] == RXD_ACK_PING &&
	       len > RXD_WIRE_HDR_LEN + rxd_ack_body_len(d[RXD_WIRE_HDR_LEN + 17]);
}

/** Set up an endpoint on pool p (the pool is zeroed by its owner, then its settings filled in). */
void test_io_init(struct test_io *io, struct test_io_pool *p, test_io_tx_fn tx, void *tx_arg);
/** Drop the captured datagram. */
void test_io_fini(struct test_io *io);
/** Free the recycled blocks; returns the buffers still live (leaks; 0 is correct). */
uint64_t test_io_pool_fini(struct test_io_pool *p);

/** A buffer of len bytes with one reference, outside buf_alloc's limit (the shell's own copies). */
struct rxd_buf *test_io_buf_new(struct test_io_pool *p, size_t len);
/** Drop one reference (frees at zero). */
void test_io_buf_drop(struct test_io_pool *p, struct rxd_buf *b);
/** A new buffer holding a copy of b->data[0..len). */
struct rxd_buf *test_io_buf_copy(struct test_io_pool *p, const struct rxd_buf *b, uint32_t len);
/** Count and report a contract violation. */
void test_io_violation(struct test_io_pool *p, const char *what);

#endif
