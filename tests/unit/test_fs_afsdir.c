/* The AFS directory format (app/fileserver/afsdir.c) against the layout of
 * OpenAFS src/dir/dir.h, dir.c and what Linux kafs fs/afs/dir.c reads. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afsdir.h"

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* kafs afs_dir_hash_name's formulation: an independent oracle for DirHash. */
static unsigned kafs_hash(const char *name)
{
	unsigned int hash = 0;
	unsigned bucket;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		hash = hash * 173 + *p;
	bucket = hash & (RXD_AFSDIR_NHASH - 1);
	if (hash > INT_MAX)
		bucket = (RXD_AFSDIR_NHASH - bucket) & (RXD_AFSDIR_NHASH - 1);
	return bucket;
}

static void name_of(char *buf, size_t size, unsigned i, unsigned len)
{
	int n = snprintf(buf, size, "f%u_", i);

	while ((unsigned)n < len && (size_t)n < size - 1) {
		buf[n] = (char)('a' + (i + (unsigned)n) % 26);
		n++;
	}
	buf[n] = 0;
}

static void assert_valid(const struct rxd_afsdir *d)
{
	const char *why = NULL;
	int rc = rxd_afsdir_check(d->buf, rxd_afsdir_length(d), &why);

	cr_assert_eq(rc, 0, "check failed: %s", why ? why : "?");
}

Test(afsdir, hash_matches_dot_values_and_kafs_fold)
{
	cr_assert_eq(rxd_afsdir_hash("."), 46);
	cr_assert_eq(rxd_afsdir_hash(".."), 68); /* 46 * 173 + 46 = 8004, & 127 */
	cr_assert_eq(rxd_afsdir_hash(""), 0);
	for (unsigned i = 0; i < 20000; i++) {
		char n[64];

		name_of(n, sizeof(n), i, 1 + i % 40);
		cr_assert_eq(rxd_afsdir_hash(n), kafs_hash(n), "name %s", n);
	}
}

Test(afsdir, name_slots_as_nameblobs)
{
	cr_assert_eq(rxd_afsdir_name_slots(1), 1);
	cr_assert_eq(rxd_afsdir_name_slots(15), 1); /* 15 + NUL fill the 16 bytes */
	cr_assert_eq(rxd_afsdir_name_slots(16), 2);
	cr_assert_eq(rxd_afsdir_name_slots(47), 2);
	cr_assert_eq(rxd_afsdir_name_slots(48), 3);
	cr_assert_eq(rxd_afsdir_name_slots(255), 9);
}

Test(afsdir, empty_directory_layout_is_makedir)
{
	struct rxd_afsdir d;
	const uint8_t *b;

	cr_assert_eq(rxd_afsdir_init(&d, 7, 9, 1, 1), 0);
	b = d.buf;
	cr_assert_eq(rxd_afsdir_length(&d), 2048);
	cr_assert_eq(be16(b + 0), 1, "pgcount");
	cr_assert_eq(be16(b + 2), 1234, "tag");
	cr_assert_eq(b[4], 51, "freecount EPP - DHE - 1, never updated");
	cr_assert_eq(b[5], 0xff);
	cr_assert_eq(b[6], 0x7f, "13 header slots + '.' (13) + '..' (14)");
	for (int i = 7; i < 13; i++)
		cr_assert_eq(b[i], 0);
	for (int i = 13; i < 32; i++)
		cr_assert_eq(b[i], 0, "padding");
	cr_assert_eq(b[32], 49, "alloMap[0]");
	for (int i = 1; i < 128; i++)
		cr_assert_eq(b[32 + i], 64);
	for (int h = 0; h < 128; h++)
		cr_assert_eq(be16(b + 160 + 2 * h), h == 46 ? 13u : h == 68 ? 14u : 0u, "bucket %d", h);
	/* slot 13: "." -> 7.9 */
	cr_assert_eq(b[13 * 32 + 0], 1, "FFIRST");
	cr_assert_eq(be16(b + 13 * 32 + 2), 0);
	cr_assert_eq(be32(b + 13 * 32 + 4), 7);
	cr_assert_eq(be32(b + 13 * 32 + 8), 9);
	cr_assert_str_eq((const char *)b + 13 * 32 + 12, ".");
	cr_assert_eq(be32(b + 14 * 32 + 4), 1);
	cr_assert_str_eq((const char *)b + 14 * 32 + 12, "..");
	for (int i = 15 * 32; i < 2048; i++)
		cr_assert_eq(b[i], 0);
	assert_valid(&d);
	cr_assert(rxd_afsdir_is_empty(&d));
	rxd_afsdir_free(&d);
}

Test(afsdir, add_lookup_remove_readd)
{
	struct rxd_afsdir d;
	uint32_t v, u;

	cr_assert_eq(rxd_afsdir_init(&d, 1, 1, 1, 1), 0);
	cr_assert_eq(rxd_afsdir_add(&d, "hello", 2, 5), 0);
	cr_assert_eq(rxd_afsdir_add(&d, "hello", 4, 6), -EEXIST);
	cr_assert_eq(rxd_afsdir_add(&d, "", 4, 6), -EINVAL);
	cr_assert_eq(rxd_afsdir_lookup(&d, "hello", &v, &u), 0);
	cr_assert(v == 2 && u == 5);
	cr_assert_not(rxd_afsdir_is_empty(&d));
	cr_assert_eq(rxd_afsdir_lookup(&d, "nope", &v, &u), -ENOENT);
	cr_assert_eq(rxd_afsdir_remove(&d, "hello"), 0);
	cr_assert_eq(rxd_afsdir_remove(&d, "hello"), -ENOENT);
	cr_assert_eq(rxd_afsdir_lookup(&d, "hello", &v, &u), -ENOENT);
	cr_assert(rxd_afsdir_is_empty(&d));
	assert_valid(&d);
	cr_assert_eq(d.buf[32], 49, "alloMap[0] back after the remove");
	cr_assert_eq(rxd_afsdir_add(&d, "hello", 8, 9), 0);
	cr_assert_eq(rxd_afsdir_lookup(&d, "hello", &v, &u), 0);
	cr_assert(v == 8 && u == 9);
	cr_assert_eq(be16(d.buf + 160 + 2 * rxd_afsdir_hash("hello")), 15, "first fit reuses slot 15");
	assert_valid(&d);
	rxd_afsdir_free(&d);
}

Test(afsdir, long_names_take_continuation_slots)
{
	struct rxd_afsdir d;
	char n255[256], n16[17];
	uint32_t v, u;

	memset(n255, 'x', 255);
	n255[255] = 0;
	memset(n16, 'y', 16);
	n16[16] = 0;
	cr_assert_eq(rxd_afsdir_init(&d, 1, 1, 1, 1), 0);
	cr_assert_eq(rxd_afsdir_add(&d, n255, 2, 2), 0);
	cr_assert_eq(rxd_afsdir_add(&d, n16, 4, 4), 0);
	cr_assert_eq(d.buf[32], 49 - 9 - 2);
	cr_assert_eq(rxd_afsdir_lookup(&d, n255, &v, &u), 0);
	cr_assert_eq(v, 2);
	cr_assert_eq(rxd_afsdir_lookup(&d, n16, &v, &u), 0);
	cr_assert_eq(v, 4);
	cr_assert_str_eq((const char *)d.buf + 15 * 32 + 12, n255, "the name runs on through 8 more slots");
	cr_assert_eq(be16(d.buf + 160 + 2 * rxd_afsdir_hash(n16)), 24);
	n255[255] = 0;
	{
		char n256[257];

		memset(n256, 'z', 256);
		n256[256] = 0;
		cr_assert_eq(rxd_afsdir_add(&d, n256, 6, 6), -ENAMETOOLONG);
	}
	assert_valid(&d);
	rxd_afsdir_free(&d);
}

struct count_arg {
	unsigned n;
	uint64_t vsum;
};

static int count_fn(void *arg, const char *name, uint32_t vnode, uint32_t unique)
{
	struct count_arg *c = arg;

	(void)name;
	(void)unique;
	c->n++;
	c->vsum += vnode;
	return 0;
}

/* 6000 names of 40 bytes (2 slots) need ~190 pages: past the 128 pages of
 * alloMap, into the big format where pgcount and page scans take over. */
Test(afsdir, thousands_of_entries_big_format, .timeout = 60)
{
	enum { N = 6000 };
	struct rxd_afsdir d, copy;
	struct count_arg c = {0};
	char n[64];
	uint32_t v, u;

	cr_assert_eq(rxd_afsdir_init(&d, 1, 1, 1, 1), 0);
	for (unsigned i = 0; i < N; i++) {
		name_of(n, sizeof(n), i, 40);
		cr_assert_eq(rxd_afsdir_add(&d, n, 2 * i + 2, i + 10), 0, "add %u", i);
	}
	cr_assert_gt(d.npages, 128);
	cr_assert_eq(be16(d.buf), d.npages, "pgcount");
	cr_assert_eq(rxd_afsdir_length(&d), (size_t)d.npages * 2048);
	assert_valid(&d);
	for (unsigned i = 0; i < N; i++) {
		name_of(n, sizeof(n), i, 40);
		cr_assert_eq(rxd_afsdir_lookup(&d, n, &v, &u), 0, "lookup %u", i);
		cr_assert(v == 2 * i + 2 && u == i + 10);
	}
	for (unsigned i = 0; i < N; i += 2) {
		name_of(n, sizeof(n), i, 40);
		cr_assert_eq(rxd_afsdir_remove(&d, n), 0);
	}
	assert_valid(&d);
	cr_assert_eq(rxd_afsdir_iterate(&d, count_fn, &c), 0);
	cr_assert_eq(c.n, N / 2 + 2);
	for (unsigned i = 0; i < N; i++) {
		name_of(n, sizeof(n), i, 40);
		cr_assert_eq(rxd_afsdir_lookup(&d, n, &v, &u), i % 2 ? 0 : -ENOENT, "after remove %u", i);
	}
	for (unsigned i = 0; i < N; i += 2) {
		name_of(n, sizeof(n), i, 40);
		cr_assert_eq(rxd_afsdir_add(&d, n, 7, 7), 0);
	}
	assert_valid(&d);
	cr_assert_eq(rxd_afsdir_load(&copy, d.buf, rxd_afsdir_length(&d)), 0);
	name_of(n, sizeof(n), 4, 40);
	cr_assert_eq(rxd_afsdir_lookup(&copy, n, &v, &u), 0);
	cr_assert_eq(v, 7);
	rxd_afsdir_free(&copy);
	rxd_afsdir_free(&d);
}

/* 255-byte names take 9 slots: 5 fit page 0, 7 every other page. */
Test(afsdir, full_directory_is_efbig, .timeout = 60)
{
	struct rxd_afsdir d;
	char n[300];
	unsigned i;
	int rc = 0;

	cr_assert_eq(rxd_afsdir_init(&d, 1, 1, 1, 1), 0);
	for (i = 0; i < 20000 && rc == 0; i++) {
		name_of(n, sizeof(n), i, 255);
		rc = rxd_afsdir_add(&d, n, 2, 2);
	}
	cr_assert_eq(rc, -EFBIG);
	cr_assert_eq(i - 1, 5 + 1022 * 7, "entries before full: %u", i - 1);
	cr_assert_eq(d.npages, RXD_AFSDIR_MAX_PAGES);
	assert_valid(&d);
	rxd_afsdir_free(&d);
}

Test(afsdir, iterate_in_blob_order_and_stop)
{
	struct rxd_afsdir d;
	struct count_arg c = {0};

	cr_assert_eq(rxd_afsdir_init(&d, 1, 1, 1, 1), 0);
	cr_assert_eq(rxd_afsdir_add(&d, "a", 2, 1), 0);
	cr_assert_eq(rxd_afsdir_add(&d, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 4, 1), 0);
	cr_assert_eq(rxd_afsdir_add(&d, "c", 6, 1), 0);
	cr_assert_eq(rxd_afsdir_iterate(&d, count_fn, &c), 0);
	cr_assert_eq(c.n, 5);
	cr_assert_eq(c.vsum, 1 + 1 + 2 + 4 + 6);
	rxd_afsdir_free(&d);
}

static void corrupt_and_expect(void (*mutate)(uint8_t *b), const char *expect)
{
	struct rxd_afsdir d, l;
	const char *why = NULL;

	cr_assert_eq(rxd_afsdir_init(&d, 1, 1, 1, 1), 0);
	cr_assert_eq(rxd_afsdir_add(&d, "a-long-name-of-forty-bytes-xxxxxxxxxxxxx", 2, 1), 0);
	cr_assert_eq(rxd_afsdir_add(&d, "b", 4, 1), 0);
	mutate(d.buf);
	cr_assert_eq(rxd_afsdir_check(d.buf, 2048, &why), -EIO, "expected '%s'", expect);
	cr_assert_str_eq(why, expect);
	cr_assert_eq(rxd_afsdir_load(&l, d.buf, 2048), -EIO);
	rxd_afsdir_free(&d);
}

static void bad_tag(uint8_t *b)
{
	b[3] ^= 1;
}
static void bad_bucket(uint8_t *b)
{
	unsigned h = rxd_afsdir_hash("b"), o = (h + 1) % 128;

	b[160 + 2 * o] = b[160 + 2 * h];
	b[160 + 2 * o + 1] = b[160 + 2 * h + 1];
	b[160 + 2 * h] = b[160 + 2 * h + 1] = 0;
}
static void cycle(uint8_t *b)
{
	unsigned s = be16(b + 160 + 2 * rxd_afsdir_hash("b"));

	b[s * 32 + 2] = (uint8_t)(s >> 8);
	b[s * 32 + 3] = (uint8_t)s;
}
static void leaked_slot(uint8_t *b)
{
	b[5 + 7] |= 0x80; /* slot 63 */
	b[32]--;
}
static void allomap(uint8_t *b)
{
	b[32]++;
}
static void unmarked_continuation(uint8_t *b)
{
	b[7] &= (uint8_t)~0x01; /* slot 16: the 40-byte name's second slot (15, 16) */
	b[32]++;
}
static void name_off_page(uint8_t *b)
{
	unsigned h = rxd_afsdir_hash("b");

	/* Point the chain at slot 63 and fill its name to the page end. */
	b[160 + 2 * h] = 0;
	b[160 + 2 * h + 1] = 63;
	b[63 * 32] = 1;
	memset(b + 63 * 32 + 12, 'q', 20);
	b[5 + 7] |= 0x80;
	b[32]--;
}
static void bad_pgcount(uint8_t *b)
{
	b[1] = 2;
}

Test(afsdir, check_rejects_each_fault)
{
	corrupt_and_expect(bad_tag, "page tag is not 1234");
	corrupt_and_expect(bad_bucket, "entry in the wrong hash bucket");
	corrupt_and_expect(cycle, "hash chain reaches a header, a cycle or another entry");
	corrupt_and_expect(leaked_slot, "allocated slot belongs to no entry");
	corrupt_and_expect(allomap, "alloMap count differs from the page bitmap");
	corrupt_and_expect(unmarked_continuation, "entry slot not marked allocated");
	corrupt_and_expect(name_off_page, "name runs off its page");
	corrupt_and_expect(bad_pgcount, "pgcount differs from the blob length");
}

Test(afsdir, check_rejects_bad_lengths)
{
	uint8_t *b = calloc(1024, 2048);
	const char *why;

	cr_assert_eq(rxd_afsdir_check(b, 0, &why), -EIO);
	cr_assert_eq(rxd_afsdir_check(b, 2047, &why), -EIO);
	cr_assert_eq(rxd_afsdir_check(b, 2049, &why), -EIO);
	cr_assert_eq(rxd_afsdir_check(b, 1024 * 2048, &why), -EIO, "1024 pages: past BIGMAXPAGES");
	cr_assert_str_eq(why, "length is not 1..1023 whole pages");
	free(b);
}

Test(afsdir, dirty_pages_tracked)
{
	struct rxd_afsdir d;
	char n[64];

	cr_assert_eq(rxd_afsdir_init(&d, 1, 1, 1, 1), 0);
	rxd_afsdir_clear_dirty(&d);
	cr_assert_eq(rxd_afsdir_next_dirty(&d, 0), -1);
	for (unsigned i = 0; i < 60; i++) {
		name_of(n, sizeof(n), i, 10);
		cr_assert_eq(rxd_afsdir_add(&d, n, 2, 2), 0);
	}
	cr_assert_eq(d.npages, 2);
	cr_assert_eq(rxd_afsdir_next_dirty(&d, 0), 0);
	cr_assert_eq(rxd_afsdir_next_dirty(&d, 1), 1);
	rxd_afsdir_clear_dirty(&d);
	name_of(n, sizeof(n), 59, 10);
	cr_assert_eq(rxd_afsdir_remove(&d, n), 0);
	cr_assert_eq(rxd_afsdir_next_dirty(&d, 0), 0, "alloMap / chain link on page 0");
	cr_assert_eq(rxd_afsdir_next_dirty(&d, 1), 1, "the bitmap of page 1");
	rxd_afsdir_free(&d);
}

Test(afsdir, remove_zeroes_the_whole_entry)
{
	struct rxd_afsdir d;
	char n255[256];

	memset(n255, 'k', 255);
	n255[255] = 0;
	cr_assert_eq(rxd_afsdir_init(&d, 1, 1, 1, 1), 0);
	cr_assert_eq(rxd_afsdir_add(&d, n255, 2, 2), 0);
	cr_assert_eq(rxd_afsdir_remove(&d, n255), 0);
	for (unsigned i = 15 * 32; i < 24 * 32; i++)
		cr_assert_eq(d.buf[i], 0, "byte %u of the deleted name's 9 slots", i);
	assert_valid(&d);
	rxd_afsdir_free(&d);
}
