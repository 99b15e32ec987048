/* SPDX-License-Identifier: MIT */
/* AFS access control lists (see acl.h). */
#include "acl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ondisk.h"

#define ACL_ALL 127u	    /* rlidwka */
#define ACL_DISK_VERSION 1u /* first word of a stored record; 0 there is "none stored" */

void rxd_fs_acl_default(struct rxd_fs_acl *a, uint32_t anyuser)
{
	memset(a, 0, sizeof(*a));
	a->e[a->npos++] = (struct rxd_fs_ace){RXD_FS_ADMINS_ID, ACL_ALL};
	if (anyuser)
		a->e[a->npos++] = (struct rxd_fs_ace){RXD_FS_ANYUSER_ID, anyuser};
}

static int in_cps(int32_t id, const int32_t *cps, uint32_t ncps)
{
	for (uint32_t i = 0; i < ncps; i++)
		if (cps[i] == id)
			return 1;
	return 0;
}

uint32_t rxd_fs_acl_rights(const struct rxd_fs_acl *a, const int32_t *cps, uint32_t ncps)
{
	uint32_t plus = 0, minus = 0;

	for (uint32_t i = 0; i < a->npos; i++)
		if (in_cps(a->e[i].id, cps, ncps))
			plus |= a->e[i].rights;
	for (uint32_t i = a->npos; i < a->npos + a->nneg; i++)
		if (in_cps(a->e[i].id, cps, ncps))
			minus |= a->e[i].rights;
	return plus & ~minus;
}

/* Layout: version, npos, nneg, then RXD_FS_ACL_MAX (id, rights) pairs, the FNV sum in the last 4 bytes. */
void rxd_fs_acl_encode(const struct rxd_fs_acl *a, uint8_t *out)
{
	memset(out, 0, RXD_FS_ACL_DISK);
	rxd_fs_put32(out, ACL_DISK_VERSION);
	rxd_fs_put32(out + 4, a->npos);
	rxd_fs_put32(out + 8, a->nneg);
	for (uint32_t i = 0; i < a->npos + a->nneg; i++) {
		rxd_fs_put32(out + 12 + 8 * i, (uint32_t)a->e[i].id);
		rxd_fs_put32(out + 16 + 8 * i, a->e[i].rights);
	}
	rxd_fs_put32(out + RXD_FS_ACL_DISK - 4, rxd_fs_sum(out, RXD_FS_ACL_DISK - 4));
}

_Static_assert(12 + 8 * RXD_FS_ACL_MAX + 4 <= RXD_FS_ACL_DISK, "an ACL record holds RXD_FS_ACL_MAX entries");

int rxd_fs_acl_decode(const uint8_t *in, struct rxd_fs_acl *a)
{
	static const uint8_t zero[RXD_FS_ACL_DISK];

	memset(a, 0, sizeof(*a));
	if (memcmp(in, zero, RXD_FS_ACL_DISK) == 0)
		return 1;
	if (rxd_fs_get32(in + RXD_FS_ACL_DISK - 4) != rxd_fs_sum(in, RXD_FS_ACL_DISK - 4) ||
	    rxd_fs_get32(in) != ACL_DISK_VERSION)
		return -EINVAL;
	a->npos = rxd_fs_get32(in + 4);
	a->nneg = rxd_fs_get32(in + 8);
	if (a->npos > RXD_FS_ACL_MAX || a->nneg > RXD_FS_ACL_MAX - a->npos) {
		memset(a, 0, sizeof(*a));
		return -EINVAL;
	}
	for (uint32_t i = 0; i < a->npos + a->nneg; i++) {
		a->e[i].id = (int32_t)rxd_fs_get32(in + 12 + 8 * i);
		a->e[i].rights = rxd_fs_get32(in + 16 + 8 * i);
	}
	return 0;
}

static int ace_cmp(const void *x, const void *y)
{
	const struct rxd_fs_ace *a = x, *b = y;

	return a->id < b->id ? -1 : a->id > b->id;
}

/* One "name<white>rights\n" line at *p (before end): the entry, and *p past the line. */
static int parse_entry(const char **p, const char *end, rxd_fs_name_to_id_fn fn, const void *arg, struct rxd_fs_ace *e)
{
	char name[RXD_FS_ACL_NAME_MAX + 1];
	const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
	size_t n = 0;
	char *stop;
	long r;

	/* The last entry may lack its newline: acl_Internalize_pr (OpenAFS
	 * src/libacl/aclprocs.c) reads each entry with sscanf, and kafs's
	 * afs.acl xattr passes the text as the caller wrote it. */
	if (!nl)
		nl = end;
	while (s < nl && (*s == ' ' || *s == '\t'))
		s++;
	while (s < nl && *s != ' ' && *s != '\t') {
		if (n == RXD_FS_ACL_NAME_MAX)
			return EINVAL;
		name[n++] = *s++;
	}
	name[n] = 0;
	if (n == 0 || s == nl)
		return EINVAL;
	r = strtol(s, &stop, 10);
	while (stop < nl && (*stop == ' ' || *stop == '\t'))
		stop++;
	if (stop == s || stop != nl || r < INT32_MIN || r > INT32_MAX)
		return EINVAL;
	/* an unknown name is refused, as is one the PR service answers with the anonymous id */
	if (fn(arg, name, &e->id) || e->id == RXD_FS_ANON_USER_ID)
		return EINVAL;
	e->rights = (uint32_t)(int32_t)r;
	*p = nl < end ? nl + 1 : end;
	return 0;
}

int rxd_fs_acl_parse(const char *text, size_t len, rxd_fs_name_to_id_fn fn, const void *arg, struct rxd_fs_acl *out)
{
	const char *p = text, *end = memchr(text, 0, len);
	long cnt[2];

	memset(out, 0, sizeof(*out));
	if (!end)
		end = text + len;
	for (int k = 0; k < 2; k++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *stop;
		if (!nl)
			return EINVAL;
		cnt[k] = strtol(p, &stop, 10);
		if (stop == p || stop != nl || cnt[k] < 0 || cnt[k] > (long)RXD_FS_ACL_MAX)
			return EINVAL;
		p = nl + 1;
	}
	if (cnt[0] + cnt[1] > (long)RXD_FS_ACL_MAX)
		return EINVAL;
	out->npos = (uint32_t)cnt[0];
	out->nneg = (uint32_t)cnt[1];
	for (uint32_t i = 0; i < out->npos + out->nneg; i++)
		if (parse_entry(&p, end, fn, arg, &out->e[i]))
			return EINVAL;
	qsort(out->e, out->npos, sizeof(out->e[0]), ace_cmp);
	qsort(out->e + out->npos, out->nneg, sizeof(out->e[0]), ace_cmp);
	return 0;
}

int rxd_fs_acl_format(const struct rxd_fs_acl *a, rxd_fs_id_to_name_fn fn, const void *arg, char *buf, size_t size)
{
	size_t off;
	int n = snprintf(buf, size, "%" PRIu32 "\n%" PRIu32 "\n", a->npos, a->nneg);

	if (n < 0 || (size_t)n >= size)
		return E2BIG;
	off = (size_t)n;
	for (uint32_t i = 0; i < a->npos + a->nneg; i++) {
		char name[RXD_FS_ACL_NAME_MAX + 1];
		if (!fn || fn(arg, a->e[i].id, name, sizeof(name)))
			snprintf(name, sizeof(name), "%" PRId32, a->e[i].id);
		n = snprintf(buf + off, size - off, "%s\t%" PRId32 "\n", name, (int32_t)a->e[i].rights);
		if (n < 0 || (size_t)n >= size - off)
			return E2BIG;
		off += (size_t)n;
	}
	return 0;
}
