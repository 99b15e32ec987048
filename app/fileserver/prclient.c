/* SPDX-License-Identifier: MIT */
/* A ptserver client with a cache (see prclient.h). */
#include "prclient.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acl.h"
#include "afs_rpc.h"

#define REPLY_CAP 8192u /* GetCPS of PR_MAXLIST_RXD ids, with room */
#define ARENA_CAP 8192u

struct entry {
	char name[RXD_FS_ACL_NAME_MAX + 1]; /* "" = free */
	int32_t id;			    /* RXD_FS_ANON_USER_ID: the ptserver does not know the name */
	bool have_cps;
	uint32_t ncps;
	int32_t *cps;
	uint64_t expires, used;
};

struct rxd_fs_pr {
	pthread_mutex_t cache_mu; /* e[], tick: held briefly */
	pthread_mutex_t wire_mu;  /* one RPC at a time, and the buffers below */
	rxd_fs_pr_rpc_fn rpc;
	void *arg;
	uint64_t (*now)(void);
	uint64_t tick;
	struct entry e[RXD_FS_PR_CACHE_ENTRIES];
	uint8_t req[RXD_PR_NameToID_IN_MAX < 512 ? RXD_PR_NameToID_IN_MAX : 512];
	uint8_t reply[REPLY_CAP];
	_Alignas(8) uint8_t arena[ARENA_CAP];
};

static uint64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

int rxd_fs_pr_create(rxd_fs_pr_rpc_fn rpc, void *arg, uint64_t (*now_s)(void), struct rxd_fs_pr **out)
{
	struct rxd_fs_pr *pr = calloc(1, sizeof(*pr));

	if (!pr)
		return -ENOMEM;
	pthread_mutex_init(&pr->cache_mu, NULL);
	pthread_mutex_init(&pr->wire_mu, NULL);
	pr->rpc = rpc;
	pr->arg = arg;
	pr->now = now_s ? now_s : mono_s;
	*out = pr;
	return 0;
}

void rxd_fs_pr_free(struct rxd_fs_pr *pr)
{
	if (!pr)
		return;
	for (unsigned i = 0; i < RXD_FS_PR_CACHE_ENTRIES; i++)
		free(pr->e[i].cps);
	pthread_mutex_destroy(&pr->cache_mu);
	pthread_mutex_destroy(&pr->wire_mu);
	free(pr);
}

/* ------------------------------------------------------------------ cache (under cache_mu) */

static struct entry *find(struct rxd_fs_pr *pr, const char *name, const int32_t *id, uint64_t now)
{
	for (unsigned i = 0; i < RXD_FS_PR_CACHE_ENTRIES; i++) {
		struct entry *e = &pr->e[i];
		if (!e->name[0] || e->expires <= now)
			continue;
		if (name ? !strcmp(e->name, name) : e->id == *id) {
			e->used = ++pr->tick;
			return e;
		}
	}
	return NULL;
}

/* The entry for name, made (replacing an expired or the least recently used one) if absent. */
static struct entry *slot(struct rxd_fs_pr *pr, const char *name, uint64_t now)
{
	struct entry *e = find(pr, name, NULL, now), *victim = &pr->e[0];

	if (e)
		return e;
	for (unsigned i = 0; i < RXD_FS_PR_CACHE_ENTRIES; i++) {
		e = &pr->e[i];
		if (!e->name[0] || e->expires <= now) {
			victim = e;
			break;
		}
		if (e->used < victim->used)
			victim = e;
	}
	free(victim->cps);
	memset(victim, 0, sizeof(*victim));
	strcpy(victim->name, name);
	victim->expires = now + RXD_FS_PR_CACHE_SECONDS;
	victim->used = ++pr->tick;
	return victim;
}

/* ------------------------------------------------------------------ RPCs (under wire_mu) */

/* Send what e holds, decode the reply with dec into out: 0 or EIO. */
#define PR_CALL(pr, P, in, out)                                                                                        \
	({                                                                                                             \
		struct rxd_xenc e_;                                                                                    \
		struct rxd_xdec d_;                                                                                    \
		size_t got_ = 0;                                                                                       \
		int32_t ab_ = 0;                                                                                       \
		int rc_ = EIO;                                                                                         \
		rxd_xenc_init(&e_, (pr)->req, sizeof((pr)->req));                                                      \
		if (rxd_PR_##P##_enc_req(&e_, (in)) == 0 &&                                                            \
		    (pr)->rpc((pr)->arg, (pr)->req, (size_t)(e_.p - (pr)->req), (pr)->reply, sizeof((pr)->reply),      \
			      &got_, &ab_) == 0) {                                                                     \
			rxd_xdec_init(&d_, (pr)->reply, got_, (pr)->arena, sizeof((pr)->arena));                       \
			rc_ = rxd_PR_##P##_dec_out(&d_, (out)) ? EIO : 0;                                              \
		}                                                                                                      \
		rc_;                                                                                                   \
	})

static int wire_name_to_id(struct rxd_fs_pr *pr, const char *name, int32_t *id)
{
	struct rxd_prname n;
	struct rxd_PR_NameToID_in in = {.nlist = {.len = 1, .val = &n}};
	struct rxd_PR_NameToID_out out;
	int rc;

	memset(&n, 0, sizeof(n));
	strncpy(n.name, name, sizeof(n.name) - 1);
	rc = PR_CALL(pr, NameToID, &in, &out);
	if (rc == 0 && out.ilist.len != 1)
		rc = EIO;
	if (rc == 0)
		*id = out.ilist.val[0];
	return rc;
}

static int wire_cps(struct rxd_fs_pr *pr, int32_t id, int32_t **cps, uint32_t *ncps)
{
	struct rxd_PR_GetCPS_in in = {.id = id};
	struct rxd_PR_GetCPS_out out;
	int rc = PR_CALL(pr, GetCPS, &in, &out);

	if (rc)
		return rc;
	*cps = malloc((out.elist.len ? out.elist.len : 1) * sizeof(int32_t));
	if (!*cps)
		return ENOMEM;
	memcpy(*cps, out.elist.val, out.elist.len * sizeof(int32_t));
	*ncps = out.elist.len;
	return 0;
}

static int wire_id_to_name(struct rxd_fs_pr *pr, int32_t id, char *name, size_t size)
{
	struct rxd_PR_IDToName_in in = {.ilist = {.len = 1, .val = &id}};
	struct rxd_PR_IDToName_out out;
	int rc = PR_CALL(pr, IDToName, &in, &out);

	if (rc == 0 && out.nlist.len != 1)
		rc = EIO;
	if (rc == 0 &&
	    (size_t)snprintf(name, size, "%.*s", (int)sizeof(out.nlist.val[0].name), out.nlist.val[0].name) >= size)
		rc = ENAMETOOLONG;
	return rc;
}

/* ------------------------------------------------------------------ lookups */

/* The answer in e for the caller (under cache_mu): the id, and with cps the CPS (max ids). */
static int answer(const struct entry *e, int32_t *id, int32_t *cps, uint32_t *ncps, uint32_t max)
{
	if (e->id == RXD_FS_ANON_USER_ID)
		return ENOENT;
	*id = e->id;
	if (!cps)
		return 0;
	if (e->ncps > max)
		return E2BIG;
	memcpy(cps, e->cps, e->ncps * sizeof(int32_t));
	*ncps = e->ncps;
	return 0;
}

/* name's id (and CPS when cps): from the cache, else asked (one RPC at a time, the cache free meanwhile). */
static int lookup(struct rxd_fs_pr *pr, const char *name, int32_t *id, int32_t *cps, uint32_t *ncps, uint32_t max)
{
	uint64_t now = pr->now();
	int32_t got_id = 0, *got_cps = NULL;
	uint32_t got_n = 0;
	struct entry *e;
	int rc;

	if (strlen(name) > RXD_FS_ACL_NAME_MAX)
		return ENOENT;
	pthread_mutex_lock(&pr->cache_mu);
	e = find(pr, name, NULL, now);
	if (e && (e->have_cps || !cps || e->id == RXD_FS_ANON_USER_ID)) {
		rc = answer(e, id, cps, ncps, max);
		pthread_mutex_unlock(&pr->cache_mu);
		return rc;
	}
	pthread_mutex_unlock(&pr->cache_mu);

	pthread_mutex_lock(&pr->wire_mu);
	rc = wire_name_to_id(pr, name, &got_id);
	if (rc == 0 && cps && got_id != RXD_FS_ANON_USER_ID)
		rc = wire_cps(pr, got_id, &got_cps, &got_n);
	pthread_mutex_unlock(&pr->wire_mu);
	if (rc) {
		free(got_cps);
		return rc;
	}
	pthread_mutex_lock(&pr->cache_mu);
	e = slot(pr, name, now);
	e->id = got_id;
	if (got_cps) {
		free(e->cps);
		e->cps = got_cps;
		e->ncps = got_n;
		e->have_cps = true;
	}
	rc = answer(e, id, cps, ncps, max);
	pthread_mutex_unlock(&pr->cache_mu);
	return rc;
}

int rxd_fs_pr_cps(struct rxd_fs_pr *pr, const char *name, int32_t *id, int32_t *cps, uint32_t *ncps, uint32_t max)
{
	return lookup(pr, name, id, cps, ncps, max);
}

int rxd_fs_pr_name_to_id(const void *arg, const char *name, int32_t *id)
{
	/* the cache changes; the mapping it gives does not */
	return lookup((struct rxd_fs_pr *)arg, name, id, NULL, NULL, 0);
}

int rxd_fs_pr_id_to_name(const void *arg, int32_t id, char *name, size_t size)
{
	struct rxd_fs_pr *pr = (struct rxd_fs_pr *)arg;
	char n[RXD_FS_ACL_NAME_MAX + 1], num[16];
	uint64_t now = pr->now();
	struct entry *e;
	int rc;

	pthread_mutex_lock(&pr->cache_mu);
	e = find(pr, NULL, &id, now);
	if (e)
		snprintf(n, sizeof(n), "%s", e->name);
	pthread_mutex_unlock(&pr->cache_mu);
	if (!e) {
		pthread_mutex_lock(&pr->wire_mu);
		rc = wire_id_to_name(pr, id, n, sizeof(n));
		pthread_mutex_unlock(&pr->wire_mu);
		if (rc)
			return rc;
		snprintf(num, sizeof(num), "%d", (int)id);
		if (!strcmp(n, num) || !n[0])
			return ENOENT; /* the ptserver's answer for an id without a name */
		pthread_mutex_lock(&pr->cache_mu);
		e = slot(pr, n, now);
		if (!e->have_cps)
			e->id = id;
		pthread_mutex_unlock(&pr->cache_mu);
	}
	if ((size_t)snprintf(name, size, "%s", n) >= size)
		return ENAMETOOLONG;
	return 0;
}
