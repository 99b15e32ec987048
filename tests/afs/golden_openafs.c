/* SPDX-License-Identifier: MIT */
/*
 * Writes tests/afs/golden/ with OpenAFS's own XDR routines (Debian
 * libopenafs-dev: the rxgen output of afsint.xg, afscbint.xg and vldbint.xg
 * in libafsrpc.a and libafsauthent.a): each file holds one type, or one
 * request (opcode, then the IN arguments in the order rxgen's client stubs
 * marshal them), or one reply's OUT arguments, with the values of
 * golden_values.h.  tests/unit/test_afs_xdr.c checks rxd's generated codecs
 * against them.
 *
 *   golden_openafs DIR      (tests/afs/regen.sh runs it)
 *   golden_openafs --stubs DIR
 *
 * With --stubs it writes rq_*.bin again, this time as OpenAFS's generated
 * client stubs (RXAFS_FetchStatus, StartRXAFS_StoreData, VL_RegisterAddrs,
 * ...) send them: it serves services 1 and 52 on a loopback rx port, keeps
 * each request's bytes and aborts the call.  regen.sh --check compares those
 * with the golden files, so the hand-composed requests are the stubs' own.
 */
#include <afs/param.h>
#include <afs/stds.h>
#include <rx/xdr.h>
#include <afs/afsint.h>
#include <afs/vldbint.h>
#include <rx/rx.h>
#include <rx/rx_globals.h>
#include <rx/rx_null.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "golden_values.h"

static AFSFid fids_v[GV_NFIDS];
static AFSCallBack cbs_v[GV_NFIDS];
static AFSFetchStatus stats_v[GV_NSTATS];
static afs_uint32 addrs_v[GV_NADDRS];
static afs_uint32 caps_v[GV_NCAPS];
static AFSCBFids fids = {GV_NFIDS, fids_v};
static AFSCBs cbs = {GV_NFIDS, cbs_v};
static AFSBulkStats stats = {GV_NSTATS, stats_v};
static bulkaddrs addrs = {GV_NADDRS, addrs_v};
static Capabilities caps = {GV_NCAPS, caps_v};
static AFSOpaque acl = {sizeof(GV_ACL) - 1, GV_ACL};

static void fill_arrays(void)
{
	GV_FILL_COUNTED(fids_v, cbs_v, stats_v, addrs_v, caps_v);
}

static int op(XDR *x, afs_int32 o)
{
	return xdr_afs_int32(x, &o);
}

static int str(XDR *x, const char *s, unsigned max)
{
	char *p = (char *)s;

	return xdr_string(x, &p, max);
}

/* A type encoded alone: declare v, fill it with GV_<type>(seed), encode. */
#define TYPE_CASE(T, seed)                                                                                             \
	static int t_##T(XDR *x)                                                                                       \
	{                                                                                                              \
		T v;                                                                                                   \
		memset(&v, 0, sizeof(v));                                                                              \
		GV_##T(&v, seed);                                                                                      \
		return xdr_##T(x, &v);                                                                                 \
	}
TYPE_CASE(AFSFid, 1)
TYPE_CASE(AFSFetchStatus, 2)
TYPE_CASE(AFSCallBack, 3)
TYPE_CASE(AFSVolSync, 4)
TYPE_CASE(AFSStoreStatus, 5)
TYPE_CASE(AFSFetchVolumeStatus, 6)
TYPE_CASE(AFSStoreVolumeStatus, 7)
TYPE_CASE(afsUUID, 8)
TYPE_CASE(interfaceAddr, 9)
TYPE_CASE(vldbentry, 10)
TYPE_CASE(nvldbentry, 11)
TYPE_CASE(uvldbentry, 12)
TYPE_CASE(ListAddrByAttributes, 13)
TYPE_CASE(VLCallBack, 14)

/* A counted type: encode the shared array. */
#define COUNTED_CASE(T, var)                                                                                           \
	static int t_##T(XDR *x)                                                                                       \
	{                                                                                                              \
		return xdr_##T(x, &var);                                                                               \
	}
COUNTED_CASE(AFSCBFids, fids)
COUNTED_CASE(AFSCBs, cbs)
COUNTED_CASE(AFSBulkStats, stats)
COUNTED_CASE(Capabilities, caps)
COUNTED_CASE(AFSOpaque, acl)
COUNTED_CASE(bulkaddrs, addrs)

/* Requests: opcode and IN args, as Start<proc>/the conn stubs send them. */
static int rq_FetchData(XDR *x)
{
	AFSFid f;
	afs_int32 pos = (afs_int32)gv(30, 10), len = (afs_int32)gv(30, 11);

	GV_AFSFid(&f, 30);
	return op(x, 130) && xdr_AFSFid(x, &f) && xdr_afs_int32(x, &pos) && xdr_afs_int32(x, &len);
}

static int rq_FetchData64(XDR *x)
{
	AFSFid f;
	afs_int64 pos = (afs_int64)gv64(30, 10), len = (afs_int64)gv64(30, 11);

	GV_AFSFid(&f, 30);
	return op(x, 65537) && xdr_AFSFid(x, &f) && xdr_afs_int64(x, &pos) && xdr_afs_int64(x, &len);
}

static int rq_FetchStatus(XDR *x)
{
	AFSFid f;

	GV_AFSFid(&f, 31);
	return op(x, 132) && xdr_AFSFid(x, &f);
}

static int rq_StoreData(XDR *x)
{
	AFSFid f;
	AFSStoreStatus ss;
	afs_uint32 pos = gv(32, 10), len = gv(32, 11), flen = gv(32, 12);

	GV_AFSFid(&f, 32);
	GV_AFSStoreStatus(&ss, 33);
	return op(x, 133) && xdr_AFSFid(x, &f) && xdr_AFSStoreStatus(x, &ss) && xdr_afs_uint32(x, &pos) &&
	       xdr_afs_uint32(x, &len) && xdr_afs_uint32(x, &flen);
}

static int rq_StoreData64(XDR *x)
{
	AFSFid f;
	AFSStoreStatus ss;
	afs_uint64 pos = gv64(32, 10), len = gv64(32, 11), flen = gv64(32, 12);

	GV_AFSFid(&f, 32);
	GV_AFSStoreStatus(&ss, 33);
	return op(x, 65538) && xdr_AFSFid(x, &f) && xdr_AFSStoreStatus(x, &ss) && xdr_afs_uint64(x, &pos) &&
	       xdr_afs_uint64(x, &len) && xdr_afs_uint64(x, &flen);
}

static int rq_CreateFile(XDR *x)
{
	AFSFid f;
	AFSStoreStatus ss;

	GV_AFSFid(&f, 34);
	GV_AFSStoreStatus(&ss, 35);
	return op(x, 137) && xdr_AFSFid(x, &f) && str(x, GV_NAME, AFSNAMEMAX) && xdr_AFSStoreStatus(x, &ss);
}

static int rq_Rename(XDR *x)
{
	AFSFid f1, f2;

	GV_AFSFid(&f1, 36);
	GV_AFSFid(&f2, 37);
	return op(x, 138) && xdr_AFSFid(x, &f1) && str(x, GV_NAME, AFSNAMEMAX) && xdr_AFSFid(x, &f2) &&
	       str(x, GV_NAME2, AFSNAMEMAX);
}

static int rq_Symlink(XDR *x)
{
	AFSFid f;
	AFSStoreStatus ss;

	GV_AFSFid(&f, 38);
	GV_AFSStoreStatus(&ss, 39);
	return op(x, 139) && xdr_AFSFid(x, &f) && str(x, GV_NAME, AFSNAMEMAX) && str(x, GV_LINK, AFSPATHMAX) &&
	       xdr_AFSStoreStatus(x, &ss);
}

static int rq_InlineBulkStatus(XDR *x)
{
	return op(x, 65536) && xdr_AFSCBFids(x, &fids);
}

static int rq_GiveUpCallBacks(XDR *x)
{
	return op(x, 147) && xdr_AFSCBFids(x, &fids) && xdr_AFSCBs(x, &cbs);
}

static int rq_SetLock(XDR *x)
{
	AFSFid f;
	ViceLockType t = LockWrite;

	GV_AFSFid(&f, 40);
	return op(x, 156) && xdr_AFSFid(x, &f) && xdr_ViceLockType(x, &t);
}

static int rq_StoreACL(XDR *x)
{
	AFSFid f;

	GV_AFSFid(&f, 41);
	return op(x, 134) && xdr_AFSFid(x, &f) && xdr_AFSOpaque(x, &acl);
}

static int rq_SetVolumeStatus(XDR *x)
{
	AFSStoreVolumeStatus vs;
	afs_int32 vid = (afs_int32)gv(46, 0);

	GV_AFSStoreVolumeStatus(&vs, 46);
	return op(x, 150) && xdr_afs_int32(x, &vid) && xdr_AFSStoreVolumeStatus(x, &vs) &&
	       str(x, GV_VOLNAME, AFSNAMEMAX) && str(x, "", AFSOPAQUEMAX) && str(x, GV_MOTD, AFSOPAQUEMAX);
}

static int rq_GetCapabilities(XDR *x)
{
	return op(x, 65540);
}

static int rq_VL_GetEntryByNameU(XDR *x)
{
	return op(x, 527) && str(x, GV_VOLNAME, VL_MAXNAMELEN);
}

static int rq_VL_GetEntryByIDN(XDR *x)
{
	afs_uint32 vid = gv(47, 0);
	afs_int32 type = 1;

	return op(x, 518) && xdr_afs_uint32(x, &vid) && xdr_afs_int32(x, &type);
}

static int rq_VL_GetAddrsU(XDR *x)
{
	ListAddrByAttributes a;

	memset(&a, 0, sizeof(a));
	GV_ListAddrByAttributes(&a, 13);
	return op(x, 533) && xdr_ListAddrByAttributes(x, &a);
}

static int rq_VL_RegisterAddrs(XDR *x)
{
	afsUUID u;
	afs_int32 spare1 = 0;

	GV_afsUUID(&u, 42);
	return op(x, 532) && xdr_afsUUID(x, &u) && xdr_afs_int32(x, &spare1) && xdr_bulkaddrs(x, &addrs);
}

static int rq_VL_CreateEntryN(XDR *x)
{
	nvldbentry e;

	memset(&e, 0, sizeof(e));
	GV_nvldbentry(&e, 43);
	return op(x, 517) && xdr_nvldbentry(x, &e);
}

static int rq_VL_ReplaceEntryN(XDR *x)
{
	nvldbentry e;
	afs_uint32 vid = gv(48, 0);
	afs_int32 type = 0, rel = 2;

	memset(&e, 0, sizeof(e));
	GV_nvldbentry(&e, 48);
	return op(x, 520) && xdr_afs_uint32(x, &vid) && xdr_afs_int32(x, &type) && xdr_nvldbentry(x, &e) &&
	       xdr_afs_int32(x, &rel);
}

static int rq_CB_CallBack(XDR *x)
{
	return op(x, 204) && xdr_AFSCBFids(x, &fids) && xdr_AFSCBs(x, &cbs);
}

static int rq_CB_InitCallBackState3(XDR *x)
{
	afsUUID u;

	GV_afsUUID(&u, 44);
	return op(x, 213) && xdr_afsUUID(x, &u);
}

static int rq_CB_ProbeUuid(XDR *x)
{
	afsUUID u;

	GV_afsUUID(&u, 45);
	return op(x, 214) && xdr_afsUUID(x, &u);
}

/* Replies: the OUT args in order, as the server stubs send them. */
static int rp_FetchStatus(XDR *x)
{
	AFSFetchStatus s;
	AFSCallBack cb;
	AFSVolSync vs;

	GV_AFSFetchStatus(&s, 50);
	GV_AFSCallBack(&cb, 51);
	GV_AFSVolSync(&vs, 52);
	return xdr_AFSFetchStatus(x, &s) && xdr_AFSCallBack(x, &cb) && xdr_AFSVolSync(x, &vs);
}

static int rp_CreateFile(XDR *x)
{
	AFSFid f;
	AFSFetchStatus s1, s2;
	AFSCallBack cb;
	AFSVolSync vs;

	GV_AFSFid(&f, 53);
	GV_AFSFetchStatus(&s1, 54);
	GV_AFSFetchStatus(&s2, 55);
	GV_AFSCallBack(&cb, 56);
	GV_AFSVolSync(&vs, 57);
	return xdr_AFSFid(x, &f) && xdr_AFSFetchStatus(x, &s1) && xdr_AFSFetchStatus(x, &s2) &&
	       xdr_AFSCallBack(x, &cb) && xdr_AFSVolSync(x, &vs);
}

static int rp_FetchACL(XDR *x)
{
	AFSFetchStatus s;
	AFSVolSync vs;

	GV_AFSFetchStatus(&s, 58);
	GV_AFSVolSync(&vs, 59);
	return xdr_AFSOpaque(x, &acl) && xdr_AFSFetchStatus(x, &s) && xdr_AFSVolSync(x, &vs);
}

static int rp_GetVolumeStatus(XDR *x)
{
	AFSFetchVolumeStatus v;

	memset(&v, 0, sizeof(v));
	GV_AFSFetchVolumeStatus(&v, 60);
	return xdr_AFSFetchVolumeStatus(x, &v) && str(x, GV_VOLNAME, AFSNAMEMAX) && str(x, "", AFSOPAQUEMAX) &&
	       str(x, GV_MOTD, AFSOPAQUEMAX);
}

static int rp_InlineBulkStatus(XDR *x)
{
	AFSCBs two = {GV_NSTATS, cbs_v};
	AFSVolSync vs;

	GV_AFSVolSync(&vs, 49);
	return xdr_AFSBulkStats(x, &stats) && xdr_AFSCBs(x, &two) && xdr_AFSVolSync(x, &vs);
}

static int rp_GetTime(XDR *x)
{
	afs_uint32 s = gv(65, 0), us = gv(65, 1) % 1000000;

	return xdr_afs_uint32(x, &s) && xdr_afs_uint32(x, &us);
}

static int rp_GetCapabilities(XDR *x)
{
	return xdr_Capabilities(x, &caps);
}

static int rp_VL_GetEntryByNameU(XDR *x)
{
	uvldbentry e;

	memset(&e, 0, sizeof(e));
	GV_uvldbentry(&e, 61);
	return xdr_uvldbentry(x, &e);
}

static int rp_VL_GetEntryByID(XDR *x)
{
	vldbentry e;

	memset(&e, 0, sizeof(e));
	GV_vldbentry(&e, 62);
	return xdr_vldbentry(x, &e);
}

static int rp_VL_GetAddrsU(XDR *x)
{
	afsUUID u;
	afs_int32 uniq = (afs_int32)gv(63, 20), n = GV_NADDRS;

	GV_afsUUID(&u, 63);
	return xdr_afsUUID(x, &u) && xdr_afs_int32(x, &uniq) && xdr_afs_int32(x, &n) && xdr_bulkaddrs(x, &addrs);
}

static int rp_CB_TellMeAboutYourself(XDR *x)
{
	struct interfaceAddr a;

	memset(&a, 0, sizeof(a));
	GV_interfaceAddr(&a, 64);
	return xdr_interfaceAddr(x, &a) && xdr_Capabilities(x, &caps);
}

struct gcase {
	const char *name;
	int (*fn)(XDR *x);
};

#define C(f)                                                                                                           \
	{                                                                                                              \
#f, f                                                                                                  \
	}
static const struct gcase cases[] = {
    C(t_AFSFid),
    C(t_AFSFetchStatus),
    C(t_AFSCallBack),
    C(t_AFSVolSync),
    C(t_AFSStoreStatus),
    C(t_AFSFetchVolumeStatus),
    C(t_AFSStoreVolumeStatus),
    C(t_afsUUID),
    C(t_interfaceAddr),
    C(t_vldbentry),
    C(t_nvldbentry),
    C(t_uvldbentry),
    C(t_ListAddrByAttributes),
    C(t_VLCallBack),
    C(t_AFSCBFids),
    C(t_AFSCBs),
    C(t_AFSBulkStats),
    C(t_Capabilities),
    C(t_AFSOpaque),
    C(t_bulkaddrs),
    C(rq_FetchData),
    C(rq_FetchData64),
    C(rq_FetchStatus),
    C(rq_StoreData),
    C(rq_StoreData64),
    C(rq_CreateFile),
    C(rq_Rename),
    C(rq_Symlink),
    C(rq_InlineBulkStatus),
    C(rq_GiveUpCallBacks),
    C(rq_SetLock),
    C(rq_StoreACL),
    C(rq_SetVolumeStatus),
    C(rq_GetCapabilities),
    C(rq_VL_GetEntryByNameU),
    C(rq_VL_GetEntryByIDN),
    C(rq_VL_GetAddrsU),
    C(rq_VL_RegisterAddrs),
    C(rq_VL_CreateEntryN),
    C(rq_VL_ReplaceEntryN),
    C(rq_CB_CallBack),
    C(rq_CB_InitCallBackState3),
    C(rq_CB_ProbeUuid),
    C(rp_FetchStatus),
    C(rp_CreateFile),
    C(rp_FetchACL),
    C(rp_GetVolumeStatus),
    C(rp_InlineBulkStatus),
    C(rp_GetTime),
    C(rp_GetCapabilities),
    C(rp_VL_GetEntryByNameU),
    C(rp_VL_GetEntryByID),
    C(rp_VL_GetAddrsU),
    C(rp_CB_TellMeAboutYourself),
};

/* ---- --stubs: the requests as OpenAFS's client stubs marshal them ---- */

/* afscbint.h cannot be included beside afsint.h (both define the common types). */
extern int RXAFSCB_CallBack(struct rx_connection *z_conn, AFSCBFids *Fids_Array, AFSCBs *CallBacks_Array);
extern int RXAFSCB_InitCallBackState3(struct rx_connection *z_conn, afsUUID *serverUuid);
extern int RXAFSCB_ProbeUuid(struct rx_connection *z_conn, afsUUID *clientUuid);

static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static char cap_buf[16384];
static int cap_len = -1;

#define CAPTURE_ABORT 12345

/* Every request: keep its bytes, then abort it (the client's stub returns). */
static afs_int32 capture(struct rx_call *call)
{
	char buf[sizeof(cap_buf)];
	int n = 0, got;

	while (n < (int)sizeof(buf) && (got = rx_Read(call, buf + n, (int)sizeof(buf) - n)) > 0)
		n += got;
	pthread_mutex_lock(&cap_lock);
	memcpy(cap_buf, buf, (size_t)n);
	cap_len = n;
	pthread_mutex_unlock(&cap_lock);
	return CAPTURE_ABORT;
}

static int save(const char *dir, const char *name, const char *b, int n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0) {
		fprintf(stderr, "%s: cannot write\n", path);
		return -1;
	}
	return 0;
}

/* After a stub returned: its request must have been captured and aborted. */
static int take(const char *dir, const char *name, int rc)
{
	int n;

	pthread_mutex_lock(&cap_lock);
	n = cap_len;
	cap_len = -1;
	pthread_mutex_unlock(&cap_lock);
	if (rc != CAPTURE_ABORT || n < 0) {
		fprintf(stderr, "%s: stub returned %d, captured %d bytes\n", name, rc, n);
		return -1;
	}
	return save(dir, name, cap_buf, n);
}

/* A split stub: Start<proc> sends the IN args, End<proc> reads the (aborted)
 * reply; rc is the call's abort code. */
#define SPLIT(rc, conn, start_expr, end_expr)                                                                          \
	do {                                                                                                           \
		struct rx_call *c_ = rx_NewCall(conn);                                                                 \
		rc = start_expr;                                                                                       \
		if (!rc)                                                                                               \
			rc = end_expr;                                                                                 \
		rc = rx_EndCall(c_, rc);                                                                               \
	} while (0)

static int stubs(const char *dir)
{
	struct rx_securityClass *ssec[1], *csec;
	struct rx_connection *fs, *vl, *cb;
	AFSFid f1, f2;
	AFSStoreStatus ss;
	AFSFetchStatus st, st2;
	AFSCallBack cbk;
	AFSVolSync vs;
	afsUUID u;
	Capabilities capout = {0, NULL};
	uvldbentry ue;
	nvldbentry ne;
	ListAddrByAttributes la;
	bulkaddrs ba = {0, NULL};
	afs_int32 uniq, nent;
	int err = 0, rc;

	if (rx_InitHost(htonl(INADDR_LOOPBACK), 0) != 0) {
		fprintf(stderr, "rx_InitHost failed\n");
		return 1;
	}
	ssec[0] = rxnull_NewServerSecurityObject();
	if (!rx_NewService(0, 1, "capture-afs", ssec, 1, capture) ||
	    !rx_NewService(0, 52, "capture-vl", ssec, 1, capture)) {
		fprintf(stderr, "rx_NewService failed\n");
		return 1;
	}
	rx_StartServer(0);
	csec = rxnull_NewClientSecurityObject();
	fs = rx_NewConnection(htonl(INADDR_LOOPBACK), rx_port, 1, csec, 0);
	vl = rx_NewConnection(htonl(INADDR_LOOPBACK), rx_port, 52, csec, 0);
	cb = rx_NewConnection(htonl(INADDR_LOOPBACK), rx_port, 1, csec, 0);
	rx_SetConnDeadTime(fs, 10);
	rx_SetConnDeadTime(vl, 10);
	rx_SetConnDeadTime(cb, 10);

	GV_AFSFid(&f1, 31);
	err |= take(dir, "rq_FetchStatus", RXAFS_FetchStatus(fs, &f1, &st, &cbk, &vs));
	GV_AFSFid(&f1, 30);
	SPLIT(rc, fs, StartRXAFS_FetchData(c_, &f1, (afs_int32)gv(30, 10), (afs_int32)gv(30, 11)),
	      EndRXAFS_FetchData(c_, &st, &cbk, &vs));
	err |= take(dir, "rq_FetchData", rc);
	SPLIT(rc, fs, StartRXAFS_FetchData64(c_, &f1, (afs_int64)gv64(30, 10), (afs_int64)gv64(30, 11)),
	      EndRXAFS_FetchData64(c_, &st, &cbk, &vs));
	err |= take(dir, "rq_FetchData64", rc);
	GV_AFSFid(&f1, 32);
	GV_AFSStoreStatus(&ss, 33);
	SPLIT(rc, fs, StartRXAFS_StoreData(c_, &f1, &ss, gv(32, 10), gv(32, 11), gv(32, 12)),
	      EndRXAFS_StoreData(c_, &st, &vs));
	err |= take(dir, "rq_StoreData", rc);
	SPLIT(rc, fs, StartRXAFS_StoreData64(c_, &f1, &ss, gv64(32, 10), gv64(32, 11), gv64(32, 12)),
	      EndRXAFS_StoreData64(c_, &st, &vs));
	err |= take(dir, "rq_StoreData64", rc);
	GV_AFSFid(&f1, 34);
	GV_AFSStoreStatus(&ss, 35);
	err |= take(dir, "rq_CreateFile", RXAFS_CreateFile(fs, &f1, GV_NAME, &ss, &f2, &st, &st2, &cbk, &vs));
	GV_AFSFid(&f1, 36);
	GV_AFSFid(&f2, 37);
	err |= take(dir, "rq_Rename", RXAFS_Rename(fs, &f1, GV_NAME, &f2, GV_NAME2, &st, &st2, &vs));
	GV_AFSFid(&f1, 38);
	GV_AFSStoreStatus(&ss, 39);
	err |= take(dir, "rq_Symlink", RXAFS_Symlink(fs, &f1, GV_NAME, GV_LINK, &ss, &f2, &st, &st2, &vs));
	err |= take(dir, "rq_GiveUpCallBacks", RXAFS_GiveUpCallBacks(fs, &fids, &cbs));
	GV_AFSFid(&f1, 40);
	err |= take(dir, "rq_SetLock", RXAFS_SetLock(fs, &f1, LockWrite, &vs));
	GV_AFSFid(&f1, 41);
	err |= take(dir, "rq_StoreACL", RXAFS_StoreACL(fs, &f1, &acl, &st, &vs));
	err |= take(dir, "rq_GetCapabilities", RXAFS_GetCapabilities(fs, &capout));

	err |= take(dir, "rq_VL_GetEntryByNameU", VL_GetEntryByNameU(vl, GV_VOLNAME, &ue));
	memset(&la, 0, sizeof(la));
	GV_ListAddrByAttributes(&la, 13);
	err |= take(dir, "rq_VL_GetAddrsU", VL_GetAddrsU(vl, &la, &u, &uniq, &nent, &ba));
	GV_afsUUID(&u, 42);
	err |= take(dir, "rq_VL_RegisterAddrs", VL_RegisterAddrs(vl, &u, 0, &addrs));
	memset(&ne, 0, sizeof(ne));
	GV_nvldbentry(&ne, 43);
	err |= take(dir, "rq_VL_CreateEntryN", VL_CreateEntryN(vl, &ne));

	err |= take(dir, "rq_CB_CallBack", RXAFSCB_CallBack(cb, &fids, &cbs));
	GV_afsUUID(&u, 44);
	err |= take(dir, "rq_CB_InitCallBackState3", RXAFSCB_InitCallBackState3(cb, &u));
	GV_afsUUID(&u, 45);
	err |= take(dir, "rq_CB_ProbeUuid", RXAFSCB_ProbeUuid(cb, &u));
	rx_Finalize();
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	static char buf[16384];
	char path[4096];

	if (argc == 3 && strcmp(argv[1], "--stubs") == 0) {
		fill_arrays();
		return stubs(argv[2]);
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s [--stubs] DIR\n", argv[0]);
		return 2;
	}
	fill_arrays();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		XDR x;
		FILE *f;
		u_int len;

		xdrmem_create(&x, buf, sizeof(buf), XDR_ENCODE);
		if (!cases[i].fn(&x)) {
			fprintf(stderr, "%s: OpenAFS XDR encoding failed\n", cases[i].name);
			return 1;
		}
		len = xdr_getpos(&x);
		snprintf(path, sizeof(path), "%s/%s.bin", argv[1], cases[i].name);
		f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
			fprintf(stderr, "%s: cannot write\n", path);
			return 1;
		}
	}
	return 0;
}
