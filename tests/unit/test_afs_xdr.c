/* SPDX-License-Identifier: MIT */
/*
 * lib/afs: the codecs scripts/rxgen.py generates from lib/afs/ (.xg files),
 * checked against golden bytes OpenAFS's own XDR routines wrote
 * (tests/afs/golden/, by tests/afs/golden_openafs.c with the values of
 * tests/afs/golden_values.h): rxd encodes the same bytes, decodes them back
 * to the same values, rejects every truncation and hostile counts, and its
 * dispatch answers with OpenAFS's rxgen abort codes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afs_rpc.h"
#include "../afs/golden_values.h"

#define BUFSZ 16384

static uint8_t gold[BUFSZ];
static uint8_t out[BUFSZ];
static uint8_t arena[65536];

/* The golden file's bytes into gold[]; returns the length. */
static size_t load(const char *name)
{
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s.bin", RXD_AFS_GOLDEN_DIR, name);
	f = fopen(path, "rb");
	cr_assert(f, "%s: missing (tests/afs/regen.sh writes it)", path);
	n = fread(gold, 1, sizeof(gold), f);
	fclose(f);
	return n;
}

static void assert_same(const char *name, const uint8_t *b, size_t n)
{
	size_t g = load(name);

	cr_assert_eq(n, g, "%s: rxd encodes %zu bytes, OpenAFS %zu", name, n, g);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(b[i], gold[i], "%s: byte %zu is 0x%02x, OpenAFS wrote 0x%02x", name, i, b[i], gold[i]);
}

/* Counted arrays, filled as golden_openafs.c fills OpenAFS's. */
static struct rxd_AFSFid fids_v[GV_NFIDS];
static struct rxd_AFSCallBack cbs_v[GV_NFIDS];
static struct rxd_AFSFetchStatus stats_v[GV_NSTATS];
static uint32_t addrs_v[GV_NADDRS];
static uint32_t caps_v[GV_NCAPS];
static struct rxd_AFSCBFids fids = {GV_NFIDS, fids_v};
static struct rxd_AFSCBs cbs = {GV_NFIDS, cbs_v};
static struct rxd_AFSBulkStats stats = {GV_NSTATS, stats_v};
static struct rxd_bulkaddrs addrs = {GV_NADDRS, addrs_v};
static struct rxd_Capabilities caps = {GV_NCAPS, caps_v};
static struct rxd_AFSOpaque acl = {sizeof(GV_ACL) - 1, (uint8_t *)GV_ACL};

static void fill_arrays(void)
{
	GV_FILL_COUNTED(fids_v, cbs_v, stats_v, addrs_v, caps_v);
}

TestSuite(afs_xdr, .init = fill_arrays);

/*
 * Decoding the golden bytes of name must take them all and give a value
 * that encodes to the same bytes; every shorter prefix must be -EBADMSG.
 * dec/enc are a proc table's untyped functions or a type's codec; v has
 * room for the decoded value.
 */
static void check_decode(const char *name, size_t skip, int (*dec)(struct rxd_xdec *, void *),
			 int (*enc)(struct rxd_xenc *, const void *), void *v, size_t vsize)
{
	static uint8_t scratch_arena[65536];
	size_t n = load(name);
	void *scratch = malloc(vsize);
	struct rxd_xdec d;
	struct rxd_xenc e;

	cr_assert_geq(n, skip);
	memset(v, 0, vsize);
	rxd_xdec_init(&d, gold + skip, n - skip, arena, sizeof(arena));
	cr_assert_eq(dec(&d, v), 0, "%s: the golden bytes do not decode", name);
	cr_assert_eq(rxd_xdec_left(&d), 0, "%s: %zu bytes left over", name, rxd_xdec_left(&d));
	memcpy(out, gold, skip);
	rxd_xenc_init(&e, out + skip, sizeof(out) - skip);
	cr_assert_eq(enc(&e, v), 0);
	assert_same(name, out, (size_t)(e.p - out));
	for (size_t cut = skip; cut < n; cut++) {
		rxd_xdec_init(&d, gold + skip, cut - skip, scratch_arena, sizeof(scratch_arena));
		cr_assert_eq(dec(&d, scratch), -EBADMSG, "%s: truncated to %zu of %zu bytes, not -EBADMSG", name, cut,
			     n);
	}
	free(scratch);
	/* an encoder short of room fails cleanly at every size */
	for (size_t room = 0; room < n - skip; room++) {
		rxd_xenc_init(&e, out, room);
		cr_assert_eq(enc(&e, v), -ENOSPC, "%s: encoding into %zu bytes", name, room);
	}
}

/* A type's codec as untyped functions, for check_decode. */
#define TYPE_THUNKS(T)                                                                                                 \
	static int dec_##T(struct rxd_xdec *d, void *v)                                                                \
	{                                                                                                              \
		return rxd_dec_##T(d, v);                                                                              \
	}                                                                                                              \
	static int enc_##T(struct rxd_xenc *e, const void *v)                                                          \
	{                                                                                                              \
		return rxd_enc_##T(e, v);                                                                              \
	}

/* A fixed-size type: encodes as OpenAFS does, decodes to the same value. */
#define FIXED_TYPE_TEST(T, seed)                                                                                       \
	TYPE_THUNKS(T)                                                                                                 \
	Test(afs_xdr, T##_matches_openafs)                                                                             \
	{                                                                                                              \
		struct rxd_##T v, w;                                                                                   \
		struct rxd_xenc e;                                                                                     \
		memset(&v, 0, sizeof(v));                                                                              \
		GV_##T(&v, seed);                                                                                      \
		rxd_xenc_init(&e, out, sizeof(out));                                                                   \
		cr_assert_eq(rxd_enc_##T(&e, &v), 0);                                                                  \
		assert_same("t_" #T, out, (size_t)(e.p - out));                                                        \
		cr_assert_eq((size_t)(e.p - out), RXD_##T##_WIRE_MAX);                                                 \
		check_decode("t_" #T, 0, dec_##T, enc_##T, &w, sizeof(w));                                             \
		cr_assert_eq(memcmp(&v, &w, sizeof(v)), 0, #T ": decoded value differs");                              \
	}

FIXED_TYPE_TEST(AFSFid, 1)
FIXED_TYPE_TEST(AFSFetchStatus, 2)
FIXED_TYPE_TEST(AFSCallBack, 3)
FIXED_TYPE_TEST(AFSVolSync, 4)
FIXED_TYPE_TEST(AFSStoreStatus, 5)
FIXED_TYPE_TEST(AFSFetchVolumeStatus, 6)
FIXED_TYPE_TEST(AFSStoreVolumeStatus, 7)
FIXED_TYPE_TEST(afsUUID, 8)
FIXED_TYPE_TEST(interfaceAddr, 9)
FIXED_TYPE_TEST(vldbentry, 10)
FIXED_TYPE_TEST(nvldbentry, 11)
FIXED_TYPE_TEST(uvldbentry, 12)
FIXED_TYPE_TEST(ListAddrByAttributes, 13)
FIXED_TYPE_TEST(VLCallBack, 14)

/* A counted type: encodes as OpenAFS does; decoding gives the elements back. */
#define COUNTED_TYPE_TEST(T, src)                                                                                      \
	TYPE_THUNKS(T)                                                                                                 \
	Test(afs_xdr, T##_matches_openafs)                                                                             \
	{                                                                                                              \
		struct rxd_##T w;                                                                                      \
		struct rxd_xenc e;                                                                                     \
		rxd_xenc_init(&e, out, sizeof(out));                                                                   \
		cr_assert_eq(rxd_enc_##T(&e, &src), 0);                                                                \
		assert_same("t_" #T, out, (size_t)(e.p - out));                                                        \
		check_decode("t_" #T, 0, dec_##T, enc_##T, &w, sizeof(w));                                             \
		cr_assert_eq(w.len, src.len);                                                                          \
		cr_assert_eq(memcmp(w.val, src.val, src.len * sizeof(*src.val)), 0, #T ": decoded elements differ");   \
	}

COUNTED_TYPE_TEST(AFSCBFids, fids)
COUNTED_TYPE_TEST(AFSCBs, cbs)
COUNTED_TYPE_TEST(AFSBulkStats, stats)
COUNTED_TYPE_TEST(Capabilities, caps)
COUNTED_TYPE_TEST(AFSOpaque, acl)
COUNTED_TYPE_TEST(bulkaddrs, addrs)

/* A request: the typed client encoder gave OpenAFS's bytes (out, len); the
 * server-side decoder of the proc table takes them back. */
static void check_request(const char *name, const struct rxd_xg_proc *t, size_t nt, uint32_t op, size_t len)
{
	const struct rxd_xg_proc *p = rxd_xg_find(t, nt, op);
	void *v;

	cr_assert(p, "%s: opcode %u not in the table", name, op);
	assert_same(name, out, len);
	cr_assert_eq((uint32_t)gold[0] << 24 | (uint32_t)gold[1] << 16 | (uint32_t)gold[2] << 8 | gold[3], op);
	if (!p->dec_in)
		return;
	v = malloc(p->in_size);
	check_decode(name, 4, p->dec_in, p->enc_in, v, p->in_size);
	free(v);
}

/* A reply: the typed server encoder gave OpenAFS's bytes (out, len); the
 * client-side decoder takes them back. */
static void check_reply(const char *name, const struct rxd_xg_proc *t, size_t nt, uint32_t op, size_t len)
{
	const struct rxd_xg_proc *p = rxd_xg_find(t, nt, op);
	void *v;

	cr_assert(p && p->dec_out, "%s: opcode %u has no OUT args", name, op);
	assert_same(name, out, len);
	v = malloc(p->out_size);
	check_decode(name, 0, p->dec_out, p->enc_out, v, p->out_size);
	free(v);
}

#define NPROCS(pkg) (sizeof(rxd_##pkg##procs) / sizeof(rxd_##pkg##procs[0]))

/* Encode with the typed function, then check against the golden file. */
#define ENC_CHECK(check, name, pkg, proc, fn, ...)                                                                     \
	do {                                                                                                           \
		struct rxd_xenc e_;                                                                                    \
		rxd_xenc_init(&e_, out, sizeof(out));                                                                  \
		cr_assert_eq(rxd_##pkg##proc##_##fn(&e_ __VA_ARGS__), 0);                                              \
		check(name, rxd_##pkg##procs, NPROCS(pkg), RXD_OP_##pkg##proc, (size_t)(e_.p - out));                  \
	} while (0)
#define REQ(pkg, proc, in) ENC_CHECK(check_request, "rq_" #proc, pkg, proc, enc_req, , in)
#define REQ_NAMED(name, pkg, proc, in) ENC_CHECK(check_request, name, pkg, proc, enc_req, , in)
#define REQ_NOARGS(name, pkg, proc) ENC_CHECK(check_request, name, pkg, proc, enc_req, )
#define REPLY(name, pkg, proc, o) ENC_CHECK(check_reply, name, pkg, proc, enc_out, , o)

Test(afs_xdr, rxafs_requests_match_openafs_client_marshalling)
{
	struct rxd_RXAFS_FetchData_in fd = {.Pos = (int32_t)gv(30, 10), .Length = (int32_t)gv(30, 11)};
	struct rxd_RXAFS_FetchData64_in fd64 = {.Pos = (int64_t)gv64(30, 10), .Length = (int64_t)gv64(30, 11)};
	struct rxd_RXAFS_FetchStatus_in fs;
	struct rxd_RXAFS_StoreData_in sd = {.Pos = gv(32, 10), .Length = gv(32, 11), .FileLength = gv(32, 12)};
	struct rxd_RXAFS_StoreData64_in sd64 = {
	    .Pos = gv64(32, 10), .Length = gv64(32, 11), .FileLength = gv64(32, 12)};
	struct rxd_RXAFS_CreateFile_in cf = {.Name = GV_NAME};
	struct rxd_RXAFS_Rename_in rn = {.OldName = GV_NAME, .NewName = GV_NAME2};
	struct rxd_RXAFS_Symlink_in sl = {.Name = GV_NAME, .LinkContents = GV_LINK};
	struct rxd_RXAFS_InlineBulkStatus_in ibs = {.FidsArray = fids};
	struct rxd_RXAFS_GiveUpCallBacks_in gucb = {.Fids_Array = fids, .CallBacks_Array = cbs};
	struct rxd_RXAFS_SetLock_in lk = {.Type = RXD_LockWrite};
	struct rxd_RXAFS_StoreACL_in sa = {.AccessList = acl};
	struct rxd_RXAFS_SetVolumeStatus_in svs = {
	    .Volumeid = (int32_t)gv(46, 0), .Name = GV_VOLNAME, .OfflineMsg = "", .Motd = GV_MOTD};

	GV_AFSFid(&fd.Fid, 30);
	GV_AFSFid(&fd64.Fid, 30);
	GV_AFSFid(&fs.Fid, 31);
	GV_AFSFid(&sd.Fid, 32);
	GV_AFSStoreStatus(&sd.InStatus, 33);
	GV_AFSFid(&sd64.Fid, 32);
	GV_AFSStoreStatus(&sd64.InStatus, 33);
	GV_AFSFid(&cf.DirFid, 34);
	GV_AFSStoreStatus(&cf.InStatus, 35);
	GV_AFSFid(&rn.OldDirFid, 36);
	GV_AFSFid(&rn.NewDirFid, 37);
	GV_AFSFid(&sl.DirFid, 38);
	GV_AFSStoreStatus(&sl.InStatus, 39);
	GV_AFSFid(&lk.Fid, 40);
	GV_AFSFid(&sa.Fid, 41);
	GV_AFSStoreVolumeStatus(&svs.Volumestatus, 46);
	REQ(RXAFS_, FetchData, &fd);
	REQ(RXAFS_, FetchData64, &fd64);
	REQ(RXAFS_, FetchStatus, &fs);
	REQ(RXAFS_, StoreData, &sd);
	REQ(RXAFS_, StoreData64, &sd64);
	REQ(RXAFS_, CreateFile, &cf);
	REQ(RXAFS_, Rename, &rn);
	REQ(RXAFS_, Symlink, &sl);
	REQ(RXAFS_, InlineBulkStatus, &ibs);
	REQ(RXAFS_, GiveUpCallBacks, &gucb);
	REQ(RXAFS_, SetLock, &lk);
	REQ(RXAFS_, StoreACL, &sa);
	REQ(RXAFS_, SetVolumeStatus, &svs);
	REQ_NOARGS("rq_GetCapabilities", RXAFS_, GetCapabilities);
}

Test(afs_xdr, vl_and_cb_requests_match_openafs_client_marshalling)
{
	struct rxd_VL_GetEntryByNameU_in byname = {.volumename = GV_VOLNAME};
	struct rxd_VL_GetEntryByIDN_in byid = {.Volid = gv(47, 0), .voltype = 1};
	struct rxd_VL_GetAddrsU_in ga;
	struct rxd_VL_RegisterAddrs_in reg = {.spare1 = 0, .ipaddr = addrs};
	struct rxd_VL_CreateEntryN_in ce;
	struct rxd_VL_ReplaceEntryN_in re;
	struct rxd_RXAFSCB_CallBack_in cb = {.Fids_Array = fids, .CallBacks_Array = cbs};
	struct rxd_RXAFSCB_InitCallBackState3_in init3;
	struct rxd_RXAFSCB_ProbeUuid_in probe;

	memset(&ga, 0, sizeof(ga));
	memset(&ce, 0, sizeof(ce));
	memset(&re, 0, sizeof(re));
	GV_ListAddrByAttributes(&ga.inaddr, 13);
	GV_afsUUID(&reg.uuidp, 42);
	GV_nvldbentry(&ce.newentry, 43);
	re.Volid = gv(48, 0);
	re.voltype = 0;
	re.ReleaseType = 2;
	GV_nvldbentry(&re.newentry, 48);
	GV_afsUUID(&init3.serverUuid, 44);
	GV_afsUUID(&probe.clientUuid, 45);
	REQ_NAMED("rq_VL_GetEntryByNameU", VL_, GetEntryByNameU, &byname);
	REQ_NAMED("rq_VL_GetEntryByIDN", VL_, GetEntryByIDN, &byid);
	REQ_NAMED("rq_VL_GetAddrsU", VL_, GetAddrsU, &ga);
	REQ_NAMED("rq_VL_RegisterAddrs", VL_, RegisterAddrs, &reg);
	REQ_NAMED("rq_VL_CreateEntryN", VL_, CreateEntryN, &ce);
	REQ_NAMED("rq_VL_ReplaceEntryN", VL_, ReplaceEntryN, &re);
	REQ_NAMED("rq_CB_CallBack", RXAFSCB_, CallBack, &cb);
	REQ_NAMED("rq_CB_InitCallBackState3", RXAFSCB_, InitCallBackState3, &init3);
	REQ_NAMED("rq_CB_ProbeUuid", RXAFSCB_, ProbeUuid, &probe);
}

static void fill_fetchstatus_out(struct rxd_RXAFS_FetchStatus_out *o)
{
	GV_AFSFetchStatus(&o->OutStatus, 50);
	GV_AFSCallBack(&o->CallBack, 51);
	GV_AFSVolSync(&o->Sync, 52);
}

Test(afs_xdr, replies_match_openafs_server_marshalling)
{
	struct rxd_RXAFS_FetchStatus_out fs;
	struct rxd_RXAFS_CreateFile_out cf;
	struct rxd_RXAFS_FetchACL_out fa = {.AccessList = acl};
	struct rxd_RXAFS_GetVolumeStatus_out gvs = {.Name = GV_VOLNAME, .OfflineMsg = "", .Motd = GV_MOTD};
	struct rxd_RXAFS_InlineBulkStatus_out ibs = {.StatArray = stats, .CBArray = {GV_NSTATS, cbs_v}};
	struct rxd_RXAFS_GetTime_out gt = {.Seconds = gv(65, 0), .USeconds = gv(65, 1) % 1000000};
	struct rxd_RXAFS_GetCapabilities_out gc = {.capabilities = caps};
	struct rxd_VL_GetEntryByNameU_out un;
	struct rxd_VL_GetEntryByID_out id;
	struct rxd_VL_GetAddrsU_out ga = {.uniquifier = (int32_t)gv(63, 20), .nentries = GV_NADDRS, .blkaddrs = addrs};
	struct rxd_RXAFSCB_TellMeAboutYourself_out tm = {.capabilities = caps};

	memset(&gvs.Volumestatus, 0, sizeof(gvs.Volumestatus));
	memset(&un, 0, sizeof(un));
	memset(&id, 0, sizeof(id));
	memset(&tm.addr, 0, sizeof(tm.addr));
	fill_fetchstatus_out(&fs);
	GV_AFSFid(&cf.OutFid, 53);
	GV_AFSFetchStatus(&cf.OutFidStatus, 54);
	GV_AFSFetchStatus(&cf.OutDirStatus, 55);
	GV_AFSCallBack(&cf.CallBack, 56);
	GV_AFSVolSync(&cf.Sync, 57);
	GV_AFSFetchStatus(&fa.OutStatus, 58);
	GV_AFSVolSync(&fa.Sync, 59);
	GV_AFSFetchVolumeStatus(&gvs.Volumestatus, 60);
	GV_AFSVolSync(&ibs.Sync, 49);
	GV_uvldbentry(&un.entry, 61);
	GV_vldbentry(&id.entry, 62);
	GV_afsUUID(&ga.uuidp1, 63);
	GV_interfaceAddr(&tm.addr, 64);
	REPLY("rp_FetchStatus", RXAFS_, FetchStatus, &fs);
	REPLY("rp_CreateFile", RXAFS_, CreateFile, &cf);
	REPLY("rp_FetchACL", RXAFS_, FetchACL, &fa);
	REPLY("rp_GetVolumeStatus", RXAFS_, GetVolumeStatus, &gvs);
	REPLY("rp_InlineBulkStatus", RXAFS_, InlineBulkStatus, &ibs);
	REPLY("rp_GetTime", RXAFS_, GetTime, &gt);
	REPLY("rp_GetCapabilities", RXAFS_, GetCapabilities, &gc);
	REPLY("rp_VL_GetEntryByNameU", VL_, GetEntryByNameU, &un);
	REPLY("rp_VL_GetEntryByID", VL_, GetEntryByID, &id);
	REPLY("rp_VL_GetAddrsU", VL_, GetAddrsU, &ga);
	REPLY("rp_CB_TellMeAboutYourself", RXAFSCB_, TellMeAboutYourself, &tm);
}

Test(afs_xdr, decoded_strings_are_the_sent_names)
{
	size_t n = load("rq_Rename");
	struct rxd_RXAFS_Rename_in in;
	struct rxd_xdec d;

	rxd_xdec_init(&d, gold + 4, n - 4, arena, sizeof(arena));
	cr_assert_eq(rxd_RXAFS_Rename_dec_in(&d, &in), 0);
	cr_assert_str_eq(in.OldName, GV_NAME);
	cr_assert_str_eq(in.NewName, GV_NAME2);
	cr_assert_eq(in.NewDirFid.Vnode, gv(37, 1));
}

/* ---- hostile input ---- */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

Test(afs_xdr, counts_beyond_the_bound_are_rejected_before_taking_arena)
{
	static uint8_t big[4 + 51 * 12];
	struct rxd_AFSCBFids f;
	struct rxd_xdec d;

	put32(big, 51); /* AFSCBMAX + 1, all elements present */
	rxd_xdec_init(&d, big, sizeof(big), arena, sizeof(arena));
	cr_assert_eq(rxd_dec_AFSCBFids(&d, &f), -EBADMSG);
	put32(big, 0xffffffffu);
	rxd_xdec_init(&d, big, sizeof(big), arena, sizeof(arena));
	cr_assert_eq(rxd_dec_AFSCBFids(&d, &f), -EBADMSG);
	/* 50 claimed, 10 present: refused before any arena is taken */
	put32(big, 50);
	rxd_xdec_init(&d, big, 4 + 10 * 12, arena, sizeof(arena));
	cr_assert_eq(rxd_dec_AFSCBFids(&d, &f), -EBADMSG);
	cr_assert_eq(d.arena_left, sizeof(arena));
	/* exactly the bound decodes */
	put32(big, 50);
	rxd_xdec_init(&d, big, 4 + 50 * 12, arena, sizeof(arena));
	cr_assert_eq(rxd_dec_AFSCBFids(&d, &f), 0);
	cr_assert_eq(f.len, 50);
}

Test(afs_xdr, strings_longer_than_the_bound_or_holding_nul_are_rejected)
{
	static uint8_t req[4 + 4 + 68];
	struct rxd_VL_GetEntryByNameU_in in;
	struct rxd_xdec d;

	memset(req, 'a', sizeof(req));
	put32(req + 4, 66); /* VL_MAXNAMELEN + 1 */
	rxd_xdec_init(&d, req + 4, sizeof(req) - 4, arena, sizeof(arena));
	cr_assert_eq(rxd_VL_GetEntryByNameU_dec_in(&d, &in), -EBADMSG);
	put32(req + 4, 65);
	rxd_xdec_init(&d, req + 4, sizeof(req) - 4, arena, sizeof(arena));
	cr_assert_eq(rxd_VL_GetEntryByNameU_dec_in(&d, &in), 0);
	cr_assert_eq(strlen(in.volumename), 65);
	req[8 + 3] = '\0';
	rxd_xdec_init(&d, req + 4, sizeof(req) - 4, arena, sizeof(arena));
	cr_assert_eq(rxd_VL_GetEntryByNameU_dec_in(&d, &in), -EBADMSG);
}

Test(afs_xdr, a_small_arena_is_enobufs_not_an_overrun)
{
	size_t n = load("rq_InlineBulkStatus");
	struct rxd_RXAFS_InlineBulkStatus_in in;
	struct rxd_xdec d;

	rxd_xdec_init(&d, gold + 4, n - 4, arena, GV_NFIDS * sizeof(struct rxd_AFSFid) - 1);
	cr_assert_eq(rxd_RXAFS_InlineBulkStatus_dec_in(&d, &in), -ENOBUFS);
	rxd_xdec_init(&d, gold + 4, n - 4, NULL, 0);
	cr_assert_eq(rxd_RXAFS_InlineBulkStatus_dec_in(&d, &in), -ENOBUFS);
}

Test(afs_xdr, encoders_refuse_counts_and_strings_beyond_the_bound)
{
	static struct rxd_AFSFid many[51];
	static char longname[258];
	struct rxd_AFSCBFids f = {51, many};
	struct rxd_RXAFS_RemoveFile_in rf;
	struct rxd_xenc e;

	rxd_xenc_init(&e, out, sizeof(out));
	cr_assert_eq(rxd_enc_AFSCBFids(&e, &f), -EINVAL);
	memset(longname, 'x', 257);
	memset(&rf, 0, sizeof(rf));
	rf.Name = longname;
	rxd_xenc_init(&e, out, sizeof(out));
	cr_assert_eq(rxd_RXAFS_RemoveFile_enc_in(&e, &rf), -EINVAL);
	longname[256] = '\0';
	rxd_xenc_init(&e, out, sizeof(out));
	cr_assert_eq(rxd_RXAFS_RemoveFile_enc_in(&e, &rf), 0);
	cr_assert_eq((size_t)(e.p - out), 12 + 4 + 256);
}

Test(afs_xdr, proc_tables_are_sorted_and_carry_the_public_opcodes)
{
	const struct {
		const struct rxd_xg_proc *t;
		size_t n;
	} pk[] = {
	    {rxd_RXAFS_procs, NPROCS(RXAFS_)}, {rxd_RXAFSCB_procs, NPROCS(RXAFSCB_)}, {rxd_VL_procs, NPROCS(VL_)}};

	for (size_t k = 0; k < 3; k++)
		for (size_t i = 1; i < pk[k].n; i++)
			cr_assert_lt(pk[k].t[i - 1].opcode, pk[k].t[i].opcode);
	/* src/fsint/afsint.xg, afscbint.xg, src/vlserver/vl_opcodes.h */
	cr_assert_eq(RXD_OP_RXAFS_FetchData, 130);
	cr_assert_eq(RXD_OP_RXAFS_StoreACL, 134);
	cr_assert_eq(RXD_OP_RXAFS_GiveUpCallBacks, 147);
	cr_assert_eq(RXD_OP_RXAFS_InlineBulkStatus, 65536);
	cr_assert_eq(RXD_OP_RXAFS_GetCapabilities, 65540);
	cr_assert_eq(RXD_OP_RXAFSCB_ProbeUuid, 214);
	cr_assert_eq(RXD_OP_RXAFSCB_TellMeAboutYourself, 65538);
	cr_assert_eq(RXD_OP_VL_GetEntryByNameU, 527);
	cr_assert_eq(RXD_OP_VL_RegisterAddrs, 532);
	cr_assert_eq(RXD_OP_VL_GetAddrsU, 533);
	cr_assert_eq(RXD_OP_VL_CreateEntryN, 517);
	cr_assert(rxd_xg_find(rxd_RXAFS_procs, NPROCS(RXAFS_), RXD_OP_RXAFS_FetchData)->split);
	cr_assert(!rxd_xg_find(rxd_RXAFS_procs, NPROCS(RXAFS_), RXD_OP_RXAFS_FetchStatus)->split);
	cr_assert_null(rxd_xg_find(rxd_RXAFS_procs, NPROCS(RXAFS_), 129));
	cr_assert_eq(RXD_RXAFS_FetchStatus_OUT_MAX, 120);
	cr_assert_eq(RXD_RXAFS_StoreData_IN_MAX + 4, 52);
	cr_assert_eq(RXD_RXAFS_StoreData64_IN_MAX + 4, 64);
	cr_assert_eq(RXD_uvldbentry_WIRE_MAX, 1048);
}

/* ---- server dispatch ---- */

struct srv {
	int calls;
	int32_t ret;
	size_t store_used;
	struct rxd_AFSFid fid;
};

static int32_t h_fetchstatus(void *ctx, const struct rxd_RXAFS_FetchStatus_in *in, struct rxd_RXAFS_FetchStatus_out *o)
{
	struct srv *s = ctx;

	s->calls++;
	s->fid = in->Fid;
	fill_fetchstatus_out(o);
	return s->ret;
}

static int32_t h_storedata(void *ctx, const struct rxd_RXAFS_StoreData_in *in, struct rxd_xg_call *call)
{
	struct srv *s = ctx;

	s->calls++;
	s->fid = in->Fid;
	s->store_used = call->req_used;
	return s->ret;
}

static int32_t dispatch(struct srv *s, const uint8_t *req, size_t len, size_t reply_cap, struct rxd_xg_call *c)
{
	const struct rxd_RXAFS_handlers h = {.FetchStatus = h_fetchstatus, .StoreData = h_storedata};

	memset(c, 0, sizeof(*c));
	c->req = req;
	c->req_len = len;
	c->reply = out;
	c->reply_cap = reply_cap;
	c->arena = arena;
	c->arena_cap = RXD_RXAFS_ARENA_MAX;
	return rxd_RXAFS_dispatch(&h, s, c);
}

Test(afs_xdr, dispatch_decodes_runs_the_handler_and_encodes_openafs_reply)
{
	struct srv s = {0};
	struct rxd_xg_call c;
	size_t n = load("rq_FetchStatus");
	static uint8_t req[64];
	struct rxd_AFSFid want;

	memcpy(req, gold, n);
	cr_assert_eq(dispatch(&s, req, n, RXD_RXAFS_REPLY_MAX, &c), 0);
	cr_assert_eq(s.calls, 1);
	GV_AFSFid(&want, 31);
	cr_assert_eq(memcmp(&s.fid, &want, sizeof(want)), 0);
	cr_assert_eq(c.opcode, RXD_OP_RXAFS_FetchStatus);
	cr_assert_eq(c.req_used, n);
	assert_same("rp_FetchStatus", out, c.reply_len);
}

Test(afs_xdr, dispatch_aborts_as_rxgen_does)
{
	struct srv s = {0};
	struct rxd_xg_call c;
	size_t n = load("rq_FetchStatus");
	static uint8_t req[64];

	memcpy(req, gold, n);
	/* a request too short for its IN args */
	cr_assert_eq(dispatch(&s, req, n - 1, RXD_RXAFS_REPLY_MAX, &c), RXD_RXGEN_SS_UNMARSHAL);
	/* too short for an opcode */
	cr_assert_eq(dispatch(&s, req, 3, RXD_RXAFS_REPLY_MAX, &c), RXD_RXGEN_SS_UNMARSHAL);
	cr_assert_eq(s.calls, 0);
	/* an opcode nobody defines, and one whose handler is NULL */
	put32(req, 129);
	cr_assert_eq(dispatch(&s, req, n, RXD_RXAFS_REPLY_MAX, &c), RXD_RXGEN_OPCODE);
	put32(req, RXD_OP_RXAFS_RemoveFile);
	cr_assert_eq(dispatch(&s, req, n, RXD_RXAFS_REPLY_MAX, &c), RXD_RXGEN_OPCODE);
	/* the handler's abort code passes through; no reply is left */
	put32(req, RXD_OP_RXAFS_FetchStatus);
	s.ret = 106; /* VNOVOL */
	cr_assert_eq(dispatch(&s, req, n, RXD_RXAFS_REPLY_MAX, &c), 106);
	cr_assert_eq(c.reply_len, 0);
	/* a reply that does not fit */
	s.ret = 0;
	cr_assert_eq(dispatch(&s, req, n, RXD_RXAFS_FetchStatus_OUT_MAX - 1, &c), RXD_RXGEN_SS_MARSHAL);
}

Test(afs_xdr, split_dispatch_leaves_the_stream_to_the_handler)
{
	struct srv s = {0};
	struct rxd_xg_call c;
	size_t n = load("rq_StoreData");
	static uint8_t req[128];

	memcpy(req, gold, n);
	memset(req + n, 0xab, 10); /* the first file bytes follow the IN args */
	cr_assert_eq(dispatch(&s, req, n + 10, RXD_RXAFS_REPLY_MAX, &c), 0);
	cr_assert_eq(s.calls, 1);
	cr_assert_eq(s.store_used, n);
	cr_assert_eq(c.req_used, RXD_RXAFS_StoreData_IN_MAX + 4);
	cr_assert_eq(c.reply_len, 0, "a split procedure's reply is the handler's");
}
