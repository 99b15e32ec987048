/* The fileserver's ptserver client (app/fileserver/prclient.c) against a
 * ptserver made of the generated PR server stubs (lib/afs/ptint.xg): the
 * requests it encodes, the replies it decodes, its cache and its failures. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "afs_rpc.h"
#include "prclient.h"

static unsigned rpcs;
static bool down;
static uint64_t clock_s = 1000;
static _Alignas(8) uint8_t arena[RXD_PR_NameToID_IN_ARENA + 4096];

static const struct {
	const char *name;
	int32_t id;
} db[] = {{"alice", 1001}, {"bob", 1002}, {"staff", -210}};

static int32_t s_name_to_id(void *ctx, const struct rxd_PR_NameToID_in *in, struct rxd_PR_NameToID_out *out)
{
	static int32_t ids[8];

	(void)ctx;
	cr_assert_leq(in->nlist.len, 8);
	for (uint32_t i = 0; i < in->nlist.len; i++) {
		ids[i] = RXD_FS_ANON_USER_ID; /* what OpenAFS's ptserver answers for an unknown name */
		for (size_t k = 0; k < sizeof(db) / sizeof(db[0]); k++)
			if (!strcmp(in->nlist.val[i].name, db[k].name))
				ids[i] = db[k].id;
	}
	out->ilist.len = in->nlist.len;
	out->ilist.val = ids;
	return 0;
}

static int32_t s_id_to_name(void *ctx, const struct rxd_PR_IDToName_in *in, struct rxd_PR_IDToName_out *out)
{
	static struct rxd_prname n[8];

	(void)ctx;
	for (uint32_t i = 0; i < in->ilist.len && i < 8; i++) {
		memset(&n[i], 0, sizeof(n[i]));
		snprintf(n[i].name, sizeof(n[i].name), "%d", (int)in->ilist.val[i]);
		for (size_t k = 0; k < sizeof(db) / sizeof(db[0]); k++)
			if (db[k].id == in->ilist.val[i])
				snprintf(n[i].name, sizeof(n[i].name), "%s", db[k].name);
	}
	out->nlist.len = in->ilist.len;
	out->nlist.val = n;
	return 0;
}

static int32_t s_get_cps(void *ctx, const struct rxd_PR_GetCPS_in *in, struct rxd_PR_GetCPS_out *out)
{
	static int32_t cps[4];

	(void)ctx;
	if (in->id != 1001)
		return 267268; /* PRNOENT */
	cps[0] = 1001;
	cps[1] = -210;
	cps[2] = -101;
	cps[3] = -102;
	out->elist.len = 4;
	out->elist.val = cps;
	out->over = 0;
	return 0;
}

static const struct rxd_PR_handlers ptserver = {
    .NameToID = s_name_to_id, .IDToName = s_id_to_name, .GetCPS = s_get_cps};

static int rpc(void *arg, const uint8_t *req, size_t len, uint8_t *reply, size_t cap, size_t *got, int32_t *abort)
{
	struct rxd_xg_call c = {
	    .req = req, .req_len = len, .reply = reply, .reply_cap = cap, .arena = arena, .arena_cap = sizeof(arena)};
	int32_t code;

	(void)arg;
	rpcs++;
	if (down)
		return -ETIMEDOUT;
	code = rxd_PR_dispatch(&ptserver, NULL, &c);
	if (code) {
		*abort = code;
		return -ECONNABORTED;
	}
	*got = c.reply_len;
	return 0;
}

static uint64_t fake_clock(void)
{
	return clock_s;
}

static struct rxd_fs_pr *pr;

static void init(void)
{
	rpcs = 0;
	down = false;
	cr_assert_eq(rxd_fs_pr_create(rpc, NULL, fake_clock, &pr), 0);
}

static void fini(void)
{
	rxd_fs_pr_free(pr);
}

TestSuite(fs_prclient, .init = init, .fini = fini);

Test(fs_prclient, cps_from_name_to_id_and_get_cps_then_cached)
{
	int32_t id = 0, cps[8];
	uint32_t n = 0;

	cr_assert_eq(rxd_fs_pr_cps(pr, "alice", &id, cps, &n, 8), 0);
	cr_assert_eq(id, 1001);
	cr_assert_eq(n, 4);
	cr_assert_eq(cps[1], -210);
	cr_assert_eq(rpcs, 2, "NameToID and GetCPS");
	cr_assert_eq(rxd_fs_pr_cps(pr, "alice", &id, cps, &n, 8), 0);
	cr_assert_eq(rpcs, 2, "the second is the cache's");
	cr_assert_eq(rxd_fs_pr_cps(pr, "alice", &id, cps, &n, 3), E2BIG);
	clock_s += RXD_FS_PR_CACHE_SECONDS;
	cr_assert_eq(rxd_fs_pr_cps(pr, "alice", &id, cps, &n, 8), 0);
	cr_assert_eq(rpcs, 4, "asked again once the answer expired");
}

Test(fs_prclient, unknown_names_are_enoent_and_cached_failures_are_not)
{
	int32_t id, cps[8];
	uint32_t n;

	cr_assert_eq(rxd_fs_pr_cps(pr, "mallory", &id, cps, &n, 8), ENOENT);
	cr_assert_eq(rpcs, 1, "no GetCPS for the anonymous id");
	cr_assert_eq(rxd_fs_pr_name_to_id(pr, "mallory", &id), ENOENT);
	cr_assert_eq(rpcs, 1);
	down = true;
	cr_assert_eq(rxd_fs_pr_cps(pr, "bob", &id, cps, &n, 8), EIO);
	down = false;
	cr_assert_eq(rxd_fs_pr_name_to_id(pr, "bob", &id), 0);
	cr_assert_eq(id, 1002);
	cr_assert_eq(rxd_fs_pr_cps(pr, "bob", &id, cps, &n, 8), EIO, "the ptserver aborted GetCPS");
}

Test(fs_prclient, id_to_name_asks_once_and_numbers_are_enoent)
{
	char name[64];
	unsigned before;

	cr_assert_eq(rxd_fs_pr_id_to_name(pr, -210, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "staff");
	before = rpcs;
	cr_assert_eq(rxd_fs_pr_id_to_name(pr, -210, name, sizeof(name)), 0);
	cr_assert_eq(rpcs, before);
	cr_assert_eq(rxd_fs_pr_id_to_name(pr, 5555, name, sizeof(name)), ENOENT);
	cr_assert_eq(rxd_fs_pr_name_to_id(pr, "staff", &(int32_t){0}), 0);
	cr_assert_eq(rpcs, before + 1, "staff's id was learnt from IDToName");
}
