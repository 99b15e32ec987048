/* SPDX-License-Identifier: MIT */
/* Users and groups from a file (see users.h). */
#include "users.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl.h"

#define LINE_MAX_GROUPS 64u /* groups on one line: within RXD_FS_CPS_MAX with the user and the system groups */

struct user {
	char name[RXD_FS_ACL_NAME_MAX + 1];
	int32_t id;
	uint32_t ngroups;
	char *groups; /* the line's group names, resolved once the whole file is read */
	int32_t gid[LINE_MAX_GROUPS];
};

struct rxd_fs_users {
	struct user *by_name; /* sorted by name */
	struct user **by_id;  /* sorted by id */
	uint32_t n;
};

static const struct {
	const char *name;
	int32_t id;
} system_ids[] = {
    {"system:administrators", RXD_FS_ADMINS_ID},
    {"system:anyuser", RXD_FS_ANYUSER_ID},
    {"system:authuser", RXD_FS_AUTHUSER_ID},
    {"anonymous", RXD_FS_ANON_USER_ID},
};

static int by_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct user *)a)->name, ((const struct user *)b)->name);
}

static int by_id_cmp(const void *a, const void *b)
{
	int32_t x = (*(struct user *const *)a)->id, y = (*(struct user *const *)b)->id;

	return x < y ? -1 : x > y;
}

static const struct user *find_name(const struct rxd_fs_users *u, const char *name)
{
	struct user key;

	if (!u || strlen(name) > RXD_FS_ACL_NAME_MAX)
		return NULL;
	strcpy(key.name, name);
	return bsearch(&key, u->by_name, u->n, sizeof(*u->by_name), by_name_cmp);
}

static const struct user *find_id(const struct rxd_fs_users *u, int32_t id)
{
	struct user key = {.id = id}, *kp = &key, **hit;

	if (!u)
		return NULL;
	hit = bsearch(&kp, u->by_id, u->n, sizeof(*u->by_id), by_id_cmp);
	return hit ? *hit : NULL;
}

int rxd_fs_users_name_to_id(const void *arg, const char *name, int32_t *id)
{
	const struct user *e = find_name(arg, name);
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(system_ids) / sizeof(system_ids[0]); i++)
		if (!strcmp(name, system_ids[i].name)) {
			*id = system_ids[i].id;
			return 0;
		}
	if (e) {
		*id = e->id;
		return 0;
	}
	v = strtol(name, &end, 10);
	if (*name && !*end && v != 0 && v >= INT32_MIN && v <= INT32_MAX) {
		*id = (int32_t)v;
		return 0;
	}
	return ENOENT;
}

int rxd_fs_users_id_to_name(const void *arg, int32_t id, char *name, size_t size)
{
	const struct user *e = find_id(arg, id);
	const char *s = e ? e->name : NULL;

	for (size_t i = 0; !s && i < sizeof(system_ids) / sizeof(system_ids[0]); i++)
		if (system_ids[i].id == id)
			s = system_ids[i].name;
	if (!s)
		return ENOENT;
	if ((size_t)snprintf(name, size, "%s", s) >= size)
		return ENAMETOOLONG;
	return 0;
}

uint32_t rxd_fs_users_cps(const struct rxd_fs_users *u, int32_t id, int32_t *cps, uint32_t max)
{
	const struct user *e = find_id(u, id);
	uint32_t n = 0;

	if (n < max)
		cps[n++] = id;
	for (uint32_t i = 0; e && i < e->ngroups && n < max; i++)
		cps[n++] = e->gid[i];
	if (n < max)
		cps[n++] = RXD_FS_ANYUSER_ID;
	if (n < max)
		cps[n++] = RXD_FS_AUTHUSER_ID;
	return n;
}

int rxd_fs_principal_name(const char *name, const char *instance, const char *realm, const char *local_realm, char *out,
			  size_t size)
{
	size_t n;
	int w;

	w = snprintf(out, size, "%s%s%s", name, instance && *instance ? "." : "", instance ? instance : "");
	if (w < 0 || (size_t)w >= size)
		return ENAMETOOLONG;
	if (!realm || !*realm || (local_realm && !strcasecmp(realm, local_realm)))
		return 0;
	n = (size_t)w;
	if (n + 1 + strlen(realm) >= size)
		return ENAMETOOLONG;
	out[n++] = '@';
	for (const char *r = realm; *r; r++)
		out[n++] = (char)tolower((unsigned char)*r);
	out[n] = 0;
	return 0;
}

void rxd_fs_users_free(struct rxd_fs_users *u)
{
	if (!u)
		return;
	for (uint32_t i = 0; i < u->n; i++)
		free(u->by_name[i].groups);
	free(u->by_name);
	free(u->by_id);
	free(u);
}

/* One line into e (name, id, the group names kept for later); 1 for a blank or comment line. */
static int parse_line(char *line, struct user *e, char *why, size_t whylen)
{
	char *save = NULL, *name, *id, *g, *end;
	long v;

	if ((g = strchr(line, '#')))
		*g = 0;
	name = strtok_r(line, " \t\r\n", &save);
	if (!name)
		return 1;
	id = strtok_r(NULL, " \t\r\n", &save);
	if (strlen(name) > RXD_FS_ACL_NAME_MAX) {
		snprintf(why, whylen, "name %s longer than %u bytes", name, RXD_FS_ACL_NAME_MAX);
		return -EINVAL;
	}
	v = id ? strtol(id, &end, 10) : 0;
	if (!id || *end || v == 0 || v < INT32_MIN || v > INT32_MAX || v == RXD_FS_ANON_USER_ID) {
		snprintf(why, whylen, "%s: expected NAME ID [GROUP ...] with a non-zero id (not 32766)", name);
		return -EINVAL;
	}
	memset(e, 0, sizeof(*e));
	strcpy(e->name, name);
	e->id = (int32_t)v;
	g = strtok_r(NULL, "\r\n", &save);
	if (g && !(e->groups = strdup(g)))
		return -ENOMEM;
	return 0;
}

/* The group names of every line become ids, once all groups are known. */
static int resolve_groups(struct rxd_fs_users *u, char *why, size_t whylen)
{
	for (uint32_t i = 0; i < u->n; i++) {
		struct user *e = &u->by_name[i];
		char *save = NULL;
		for (char *g = e->groups ? strtok_r(e->groups, " \t", &save) : NULL; g;
		     g = strtok_r(NULL, " \t", &save)) {
			int32_t gid;
			if (rxd_fs_users_name_to_id(u, g, &gid) || gid >= 0) {
				snprintf(why, whylen, "%s: %s is not a group (a name with a negative id)", e->name, g);
				return -EINVAL;
			}
			if (e->ngroups == LINE_MAX_GROUPS) {
				snprintf(why, whylen, "%s: more than %u groups", e->name, LINE_MAX_GROUPS);
				return -EINVAL;
			}
			e->gid[e->ngroups++] = gid;
		}
	}
	return 0;
}

static int users_index(struct rxd_fs_users *u, char *why, size_t whylen)
{
	qsort(u->by_name, u->n, sizeof(*u->by_name), by_name_cmp);
	u->by_id = calloc(u->n ? u->n : 1, sizeof(*u->by_id));
	if (!u->by_id)
		return -ENOMEM;
	for (uint32_t i = 0; i < u->n; i++)
		u->by_id[i] = &u->by_name[i];
	qsort(u->by_id, u->n, sizeof(*u->by_id), by_id_cmp);
	for (uint32_t i = 1; i < u->n; i++) {
		if (!strcmp(u->by_name[i].name, u->by_name[i - 1].name)) {
			snprintf(why, whylen, "%s listed twice", u->by_name[i].name);
			return -EINVAL;
		}
		if (u->by_id[i]->id == u->by_id[i - 1]->id) {
			snprintf(why, whylen, "%s and %s share id %" PRId32, u->by_id[i]->name, u->by_id[i - 1]->name,
				 u->by_id[i]->id);
			return -EINVAL;
		}
	}
	return resolve_groups(u, why, whylen);
}

int rxd_fs_users_load(const char *path, struct rxd_fs_users **out, char *err, size_t errlen)
{
	struct rxd_fs_users *u = calloc(1, sizeof(*u));
	char line[1024], why[200] = "";
	uint32_t cap = 0, lineno = 0;
	int rc = 0;
	FILE *f;

	if (!u)
		return -ENOMEM;
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(u);
		return errno == ENOENT ? -ENOENT : -EINVAL;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		struct user e;
		lineno++;
		rc = parse_line(line, &e, why, sizeof(why));
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (rc)
			break;
		if (u->n == cap) {
			struct user *n = realloc(u->by_name, (cap ? cap * 2 : 16) * sizeof(*n));
			if (!n) {
				free(e.groups);
				rc = -ENOMEM;
				break;
			}
			u->by_name = n;
			cap = cap ? cap * 2 : 16;
		}
		u->by_name[u->n++] = e;
	}
	fclose(f);
	if (rc)
		snprintf(err, errlen, "%s line %" PRIu32 ": %s", path, lineno, why[0] ? why : strerror(-rc));
	else if ((rc = users_index(u, why, sizeof(why))))
		snprintf(err, errlen, "%s: %s", path, why[0] ? why : strerror(-rc));
	if (rc) {
		rxd_fs_users_free(u);
		return rc;
	}
	*out = u;
	return 0;
}
