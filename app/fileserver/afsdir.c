/* The AFS directory blob: layout in afsdir.h.  Allocation follows OpenAFS
 * src/dir/dir.c (first fit over pages in order, alloMap for the first 128
 * pages, new pages appended) so that a directory built here is byte for byte
 * the one an OpenAFS fileserver builds from the same operations; a deleted
 * entry's slots are zeroed, as there since "dir: do not leak contents of
 * deleted directory entries". */
#include "afsdir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Byte offsets inside a page header and the page-0 DirHeader. */
#define PH_PGCOUNT 0
#define PH_TAG 2
#define PH_FREECOUNT 4
#define PH_BITMAP 5
#define DH_ALLOMAP 32
#define DH_HASH (DH_ALLOMAP + RXD_AFSDIR_ALLOMAP_PAGES)

/* Byte offsets inside an entry's first slot. */
#define DE_FLAG 0
#define DE_NEXT 2
#define DE_VNODE 4
#define DE_UNIQUE 8
#define DE_NAME 12
#define DE_FIRST 1 /* FFIRST: the slot starts an entry */

#define MAX_SLOTS (RXD_AFSDIR_MAX_PAGES * RXD_AFSDIR_SLOTS_PER_PAGE)

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint8_t *page_of(const uint8_t *buf, uint32_t page)
{
	return (uint8_t *)buf + (size_t)page * RXD_AFSDIR_PAGE_SIZE;
}

static uint8_t *slot_of(const uint8_t *buf, uint32_t slot)
{
	return (uint8_t *)buf + (size_t)slot * RXD_AFSDIR_SLOT_SIZE;
}

static int bit_test(const uint8_t *page, uint32_t i)
{
	return (page[PH_BITMAP + i / 8] >> (i % 8)) & 1;
}

static int full_page(const uint8_t *page)
{
	for (unsigned i = 0; i < RXD_AFSDIR_SLOTS_PER_PAGE / 8; i++)
		if (page[PH_BITMAP + i] != 0xff)
			return 0;
	return 1;
}

static void mark_dirty(struct rxd_afsdir *d, uint32_t page)
{
	d->dirty[page / 64] |= 1ull << (page % 64);
}

unsigned rxd_afsdir_hash(const char *name)
{
	uint32_t h = 0;
	unsigned b;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = h * 173 + *p;
	b = h & (RXD_AFSDIR_NHASH - 1);
	/* DirHash folds a "negative" (top bit set) value: 128 - b, 0 stays 0. */
	if (b != 0 && (h & 0x80000000u))
		b = RXD_AFSDIR_NHASH - b;
	return b;
}

unsigned rxd_afsdir_name_slots(size_t namelen)
{
	/* 16 name bytes in the first slot, 32 in each continuation, with the NUL. */
	return 1 + (unsigned)((namelen + 1 + 15) >> 5);
}

/* Longest name (without NUL) that fits from this entry slot to its page's end. */
static size_t name_room(uint32_t slot)
{
	return RXD_AFSDIR_PAGE_SIZE - (slot % RXD_AFSDIR_SLOTS_PER_PAGE) * RXD_AFSDIR_SLOT_SIZE - DE_NAME - 1;
}

static int grow(struct rxd_afsdir *d, uint32_t pages)
{
	uint8_t *nb;
	uint32_t cap = d->cap ? d->cap : 1;

	if (pages <= d->cap)
		return 0;
	while (cap < pages)
		cap *= 2;
	if (cap > RXD_AFSDIR_MAX_PAGES)
		cap = RXD_AFSDIR_MAX_PAGES;
	nb = realloc(d->buf, (size_t)cap * RXD_AFSDIR_PAGE_SIZE);
	if (!nb)
		return -ENOMEM;
	memset(nb + (size_t)d->cap * RXD_AFSDIR_PAGE_SIZE, 0, (size_t)(cap - d->cap) * RXD_AFSDIR_PAGE_SIZE);
	d->buf = nb;
	d->cap = cap;
	return 0;
}

/* AddPage: a fresh page whose slot 0 is its header. */
static int add_page(struct rxd_afsdir *d, uint32_t page)
{
	uint8_t *p;
	int rc = grow(d, page + 1);

	if (rc)
		return rc;
	p = page_of(d->buf, page);
	put16(p + PH_TAG, RXD_AFSDIR_TAG);
	if (page > 0)
		put16(p + PH_PGCOUNT, 0);
	p[PH_FREECOUNT] = RXD_AFSDIR_SLOTS_PER_PAGE - 1;
	p[PH_BITMAP] = 0x01;
	memset(p + PH_BITMAP + 1, 0, RXD_AFSDIR_SLOTS_PER_PAGE / 8 - 1);
	if (page + 1 > d->npages)
		d->npages = page + 1;
	mark_dirty(d, page);
	return 0;
}

/* A run of n free slots within one page: the first page that has one, adding
 * pages as OpenAFS FindBlobs does.  Returns the first slot or -EFBIG. */
static int find_slots(struct rxd_afsdir *d, unsigned n)
{
	for (uint32_t i = 0; i < RXD_AFSDIR_MAX_PAGES; i++) {
		uint8_t *hdr = d->buf; /* re-read: add_page may move buf */
		uint8_t *p;
		uint32_t j;
		int rc;

		if (i < RXD_AFSDIR_ALLOMAP_PAGES) {
			if (hdr[DH_ALLOMAP + i] < n)
				continue;
			if (hdr[DH_ALLOMAP + i] == RXD_AFSDIR_SLOTS_PER_PAGE) {
				if ((rc = add_page(d, i)))
					return rc;
				hdr = d->buf;
				hdr[DH_ALLOMAP + i] = RXD_AFSDIR_SLOTS_PER_PAGE - 1;
				put16(hdr + PH_PGCOUNT, i + 1);
			}
		} else {
			uint32_t pgcount = get16(hdr + PH_PGCOUNT);

			if (pgcount == 0) {
				pgcount = RXD_AFSDIR_ALLOMAP_PAGES;
				put16(hdr + PH_PGCOUNT, pgcount);
			}
			if (i > pgcount - 1) {
				if ((rc = add_page(d, i)))
					return rc;
				hdr = d->buf;
				put16(hdr + PH_PGCOUNT, i + 1);
			}
		}
		mark_dirty(d, 0);
		p = page_of(d->buf, i);
		if (i >= RXD_AFSDIR_ALLOMAP_PAGES && full_page(p))
			continue; /* no alloMap past page 127: skip full pages fast */
		for (j = 0; j + n <= RXD_AFSDIR_SLOTS_PER_PAGE; j++) {
			unsigned k;

			for (k = 0; k < n && !bit_test(p, j + k); k++)
				;
			if (k == n)
				break;
		}
		if (j + n > RXD_AFSDIR_SLOTS_PER_PAGE)
			continue;
		if (i < RXD_AFSDIR_ALLOMAP_PAGES)
			d->buf[DH_ALLOMAP + i] -= (uint8_t)n;
		for (unsigned k = 0; k < n; k++)
			p[PH_BITMAP + (j + k) / 8] |= (uint8_t)(1u << ((j + k) % 8));
		mark_dirty(d, i);
		return (int)(i * RXD_AFSDIR_SLOTS_PER_PAGE + j);
	}
	return -EFBIG;
}

static void free_slots(struct rxd_afsdir *d, uint32_t first, unsigned n)
{
	uint32_t page = first / RXD_AFSDIR_SLOTS_PER_PAGE, j = first % RXD_AFSDIR_SLOTS_PER_PAGE;
	uint8_t *p = page_of(d->buf, page);

	if (page < RXD_AFSDIR_ALLOMAP_PAGES) {
		d->buf[DH_ALLOMAP + page] += (uint8_t)n;
		mark_dirty(d, 0);
	}
	for (unsigned k = 0; k < n; k++)
		p[PH_BITMAP + (j + k) / 8] &= (uint8_t) ~(1u << ((j + k) % 8));
	mark_dirty(d, page);
}

/* The chain walk shared by lookup and remove: the slot of the entry named
 * name and the byte offset of the big-endian link that points at it. */
static int find_item(const struct rxd_afsdir *d, const char *name, uint32_t *slot, size_t *link_off)
{
	size_t link = DH_HASH + 2 * rxd_afsdir_hash(name);
	uint32_t s = get16(d->buf + link);

	for (uint32_t n = 0; s != 0 && n < MAX_SLOTS; n++) {
		const uint8_t *e;

		if (s >= d->npages * RXD_AFSDIR_SLOTS_PER_PAGE)
			return -EIO;
		e = slot_of(d->buf, s);
		if (!memchr(e + DE_NAME, 0, name_room(s) + 1))
			return -EIO;
		if (strcmp((const char *)e + DE_NAME, name) == 0) {
			*slot = s;
			*link_off = link;
			return 0;
		}
		link = (size_t)s * RXD_AFSDIR_SLOT_SIZE + DE_NEXT;
		s = get16(e + DE_NEXT);
	}
	return -ENOENT;
}

int rxd_afsdir_lookup(const struct rxd_afsdir *d, const char *name, uint32_t *vnode, uint32_t *unique)
{
	uint32_t s;
	size_t link;
	int rc = find_item(d, name, &s, &link);

	if (rc)
		return rc;
	*vnode = get32(slot_of(d->buf, s) + DE_VNODE);
	*unique = get32(slot_of(d->buf, s) + DE_UNIQUE);
	return 0;
}

int rxd_afsdir_add(struct rxd_afsdir *d, const char *name, uint32_t vnode, uint32_t unique)
{
	size_t len = strlen(name), link;
	unsigned h;
	uint32_t s;
	uint8_t *e;
	int first;

	if (len == 0)
		return -EINVAL;
	if (len > RXD_AFSDIR_NAME_MAX)
		return -ENAMETOOLONG;
	if (find_item(d, name, &s, &link) == 0)
		return -EEXIST;
	first = find_slots(d, rxd_afsdir_name_slots(len));
	if (first < 0)
		return first;
	h = rxd_afsdir_hash(name);
	e = slot_of(d->buf, (uint32_t)first);
	e[DE_FLAG] = DE_FIRST;
	put16(e + DE_NEXT, get16(d->buf + DH_HASH + 2 * h));
	put32(e + DE_VNODE, vnode);
	put32(e + DE_UNIQUE, unique);
	memcpy(e + DE_NAME, name, len + 1);
	put16(d->buf + DH_HASH + 2 * h, (uint32_t)first);
	mark_dirty(d, 0);
	return 0;
}

int rxd_afsdir_remove(struct rxd_afsdir *d, const char *name)
{
	uint32_t s;
	size_t link;
	uint8_t *e;
	unsigned n;
	int rc = find_item(d, name, &s, &link);

	if (rc)
		return rc;
	e = slot_of(d->buf, s);
	n = rxd_afsdir_name_slots(strlen((const char *)e + DE_NAME));
	memcpy(d->buf + link, e + DE_NEXT, 2);
	mark_dirty(d, (uint32_t)(link / RXD_AFSDIR_PAGE_SIZE));
	/* Zero the entry: a reader of the blob must not see deleted names. */
	memset(e, 0, (size_t)n * RXD_AFSDIR_SLOT_SIZE);
	free_slots(d, s, n);
	return 0;
}

int rxd_afsdir_init(struct rxd_afsdir *d, uint32_t me_vnode, uint32_t me_unique, uint32_t parent_vnode,
		    uint32_t parent_unique)
{
	uint8_t *p;
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = grow(d, 1)))
		return rc;
	p = d->buf;
	d->npages = 1;
	put16(p + PH_PGCOUNT, 1);
	put16(p + PH_TAG, RXD_AFSDIR_TAG);
	p[PH_FREECOUNT] = RXD_AFSDIR_SLOTS_PER_PAGE - RXD_AFSDIR_HDR_SLOTS;
	p[PH_BITMAP] = 0xff; /* slots 0..12: the header */
	p[PH_BITMAP + 1] = 0x1f;
	p[DH_ALLOMAP] = RXD_AFSDIR_SLOTS_PER_PAGE - RXD_AFSDIR_HDR_SLOTS;
	memset(p + DH_ALLOMAP + 1, RXD_AFSDIR_SLOTS_PER_PAGE, RXD_AFSDIR_ALLOMAP_PAGES - 1);
	mark_dirty(d, 0);
	if ((rc = rxd_afsdir_add(d, ".", me_vnode, me_unique)) ||
	    (rc = rxd_afsdir_add(d, "..", parent_vnode, parent_unique))) {
		rxd_afsdir_free(d);
		return rc;
	}
	return 0;
}

int rxd_afsdir_load(struct rxd_afsdir *d, const void *blob, size_t len)
{
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = rxd_afsdir_check(blob, len, NULL)))
		return rc;
	if ((rc = grow(d, (uint32_t)(len / RXD_AFSDIR_PAGE_SIZE))))
		return rc;
	memcpy(d->buf, blob, len);
	d->npages = (uint32_t)(len / RXD_AFSDIR_PAGE_SIZE);
	return 0;
}

void rxd_afsdir_free(struct rxd_afsdir *d)
{
	free(d->buf);
	memset(d, 0, sizeof(*d));
}

int rxd_afsdir_iterate(const struct rxd_afsdir *d,
		       int (*fn)(void *arg, const char *name, uint32_t vnode, uint32_t unique), void *arg)
{
	for (uint32_t pg = 0; pg < d->npages; pg++) {
		const uint8_t *p = page_of(d->buf, pg);
		uint32_t j = pg == 0 ? RXD_AFSDIR_HDR_SLOTS : 1;

		while (j < RXD_AFSDIR_SLOTS_PER_PAGE) {
			uint32_t s = pg * RXD_AFSDIR_SLOTS_PER_PAGE + j;
			const uint8_t *e = slot_of(d->buf, s);
			const char *name = (const char *)e + DE_NAME;
			int rc;

			if (!bit_test(p, j)) {
				j++;
				continue;
			}
			rc = fn(arg, name, get32(e + DE_VNODE), get32(e + DE_UNIQUE));
			if (rc)
				return rc;
			j += rxd_afsdir_name_slots(strnlen(name, name_room(s)));
		}
	}
	return 0;
}

static int nonempty_fn(void *arg, const char *name, uint32_t vnode, uint32_t unique)
{
	(void)arg;
	(void)vnode;
	(void)unique;
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

int rxd_afsdir_is_empty(const struct rxd_afsdir *d)
{
	return rxd_afsdir_iterate(d, nonempty_fn, NULL) == 0;
}

int rxd_afsdir_next_dirty(const struct rxd_afsdir *d, uint32_t from)
{
	for (uint32_t pg = from; pg < d->npages; pg++)
		if (d->dirty[pg / 64] & (1ull << (pg % 64)))
			return (int)pg;
	return -1;
}

void rxd_afsdir_clear_dirty(struct rxd_afsdir *d)
{
	memset(d->dirty, 0, sizeof(d->dirty));
}

/* The checker: fails with the first fault's description. */
#define BAD(msg)                                                                                                       \
	do {                                                                                                           \
		if (why)                                                                                               \
			*why = (msg);                                                                                  \
		rc = -EIO;                                                                                             \
		goto out;                                                                                              \
	} while (0)

static int check_pages(const uint8_t *b, uint32_t npages, const char **why)
{
	uint32_t pgcount = get16(b + PH_PGCOUNT);
	int rc = 0;

	for (uint32_t pg = 0; pg < npages; pg++) {
		const uint8_t *p = page_of(b, pg);
		unsigned used = 0;

		if (get16(p + PH_TAG) != RXD_AFSDIR_TAG)
			BAD("page tag is not 1234");
		for (uint32_t j = 0; j < (pg == 0 ? RXD_AFSDIR_HDR_SLOTS : 1); j++)
			if (!bit_test(p, j))
				BAD("header slot not marked allocated");
		for (uint32_t j = 0; j < RXD_AFSDIR_SLOTS_PER_PAGE; j++)
			used += (unsigned)bit_test(p, j);
		if (pg < RXD_AFSDIR_ALLOMAP_PAGES && b[DH_ALLOMAP + pg] != RXD_AFSDIR_SLOTS_PER_PAGE - used)
			BAD("alloMap count differs from the page bitmap");
	}
	for (uint32_t pg = npages; pg < RXD_AFSDIR_ALLOMAP_PAGES; pg++)
		if (b[DH_ALLOMAP + pg] != RXD_AFSDIR_SLOTS_PER_PAGE)
			BAD("alloMap marks a page past the end");
	if (pgcount != 0 && pgcount != npages)
		BAD("pgcount differs from the blob length");
out:
	return rc;
}

int rxd_afsdir_check(const void *blob, size_t len, const char **why)
{
	const uint8_t *b = blob;
	uint32_t npages, nslots;
	uint8_t *seen = NULL; /* per slot: covered by a header or an entry */
	int rc = 0;

	if (len < RXD_AFSDIR_PAGE_SIZE || len % RXD_AFSDIR_PAGE_SIZE ||
	    len / RXD_AFSDIR_PAGE_SIZE > RXD_AFSDIR_MAX_PAGES)
		BAD("length is not 1..1023 whole pages");
	npages = (uint32_t)(len / RXD_AFSDIR_PAGE_SIZE);
	nslots = npages * RXD_AFSDIR_SLOTS_PER_PAGE;
	if ((rc = check_pages(b, npages, why)))
		goto out;
	seen = calloc(nslots, 1);
	if (!seen)
		return -ENOMEM;
	for (uint32_t s = 0; s < nslots; s++)
		if (s % RXD_AFSDIR_SLOTS_PER_PAGE == 0 || s < RXD_AFSDIR_HDR_SLOTS)
			seen[s] = 1;
	for (unsigned h = 0; h < RXD_AFSDIR_NHASH; h++) {
		for (uint32_t s = get16(b + DH_HASH + 2 * h); s != 0;) {
			const uint8_t *e, *p;
			size_t nlen;
			unsigned n;

			if (s >= nslots)
				BAD("hash chain points past the end");
			if (seen[s])
				BAD("hash chain reaches a header, a cycle or another entry");
			e = slot_of(b, s);
			p = page_of(b, s / RXD_AFSDIR_SLOTS_PER_PAGE);
			if (e[DE_FLAG] != DE_FIRST)
				BAD("entry flag is not FFIRST");
			nlen = strnlen((const char *)e + DE_NAME, name_room(s) + 1);
			if (nlen > name_room(s))
				BAD("name runs off its page");
			if (nlen == 0)
				BAD("empty name");
			if (rxd_afsdir_hash((const char *)e + DE_NAME) != h)
				BAD("entry in the wrong hash bucket");
			n = rxd_afsdir_name_slots(nlen);
			for (unsigned k = 0; k < n; k++) {
				if (!bit_test(p, s % RXD_AFSDIR_SLOTS_PER_PAGE + k))
					BAD("entry slot not marked allocated");
				if (seen[s + k])
					BAD("entries overlap");
				seen[s + k] = 1;
			}
			s = get16(e + DE_NEXT);
		}
	}
	for (uint32_t s = 0; s < nslots; s++)
		if (!seen[s] && bit_test(page_of(b, s / RXD_AFSDIR_SLOTS_PER_PAGE), s % RXD_AFSDIR_SLOTS_PER_PAGE))
			BAD("allocated slot belongs to no entry");
out:
	free(seen);
	return rc;
}
