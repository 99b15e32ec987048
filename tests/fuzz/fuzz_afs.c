/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the AFS RPC codecs generated from lib/afs (.xg files).
 *
 * Input: a request as a server receives it (opcode, then IN arguments); the
 * seeds are tests/afs/golden/.  For every package (RXAFS, RXAFSCB, VL) that
 * defines the opcode, the rest of the input is decoded as the procedure's IN
 * arguments and as its OUT arguments (a hostile server's reply), each with
 * exactly the arena the generated *_ARENA bounds promise.  Invariants:
 *  - a decoder returns 0 or -EBADMSG, never -ENOBUFS (the bound is enough);
 *  - what decodes re-encodes to as many bytes as it took, and decoding and
 *    re-encoding that gives the same bytes again (a fixpoint: chars and
 *    shorts are normalised once);
 *  - the RXAFS and VL dispatchers return 0 or an rxgen abort code.
 */
#include <stdbool.h>
#include <string.h>

#include "afs_rpc.h"
#include "fuzz.h"

static _Alignas(8) uint8_t arena[65536];
static _Alignas(8) uint8_t arena2[sizeof(arena)];
static _Alignas(8) uint8_t val[16384];
static _Alignas(8) uint8_t val2[16384];
static uint8_t enc1[65536];
static uint8_t enc2[65536];

static void roundtrip(const char *what, const char *name, int (*dec)(struct rxd_xdec *, void *),
		      int (*enc)(struct rxd_xenc *, const void *), size_t vsize, size_t arena_max, const uint8_t *p,
		      size_t n)
{
	struct rxd_xdec d;
	struct rxd_xenc e;
	size_t used, len1;
	int rc;

	FZ_CHECK(vsize <= sizeof(val) && arena_max <= sizeof(arena), "%s %s: fuzz buffers too small", name, what);
	memset(val, 0, vsize);
	/* exactly the generated bound: more would hide a wrong bound */
	rxd_xdec_init(&d, p, n, arena, arena_max);
	rc = dec(&d, val);
	FZ_CHECK(rc == 0 || rc == -EBADMSG, "%s %s: decoder returned %d", name, what, rc);
	if (rc)
		return;
	used = (size_t)(d.p - p);
	rxd_xenc_init(&e, enc1, sizeof(enc1));
	FZ_CHECK(enc(&e, val) == 0, "%s %s: a decoded value does not encode", name, what);
	len1 = (size_t)(e.p - enc1);
	FZ_CHECK(len1 == used, "%s %s: decoded %zu bytes, re-encoded %zu", name, what, used, len1);

	memset(val2, 0, vsize);
	rxd_xdec_init(&d, enc1, len1, arena2, sizeof(arena2));
	FZ_CHECK(dec(&d, val2) == 0, "%s %s: own encoding does not decode", name, what);
	FZ_CHECK(rxd_xdec_left(&d) == 0, "%s %s: own encoding not consumed", name, what);
	rxd_xenc_init(&e, enc2, sizeof(enc2));
	FZ_CHECK(enc(&e, val2) == 0, "%s %s: second encoding failed", name, what);
	FZ_CHECK((size_t)(e.p - enc2) == len1 && memcmp(enc1, enc2, len1) == 0, "%s %s: not a fixpoint", name, what);
}

static void one_package(const struct rxd_xg_proc *t, size_t nt, uint32_t op, const uint8_t *p, size_t n)
{
	const struct rxd_xg_proc *pr = rxd_xg_find(t, nt, op);

	if (!pr)
		return;
	if (pr->dec_in)
		roundtrip("IN", pr->name, pr->dec_in, pr->enc_in, pr->in_size, pr->in_arena, p, n);
	if (pr->dec_out)
		roundtrip("OUT", pr->name, pr->dec_out, pr->enc_out, pr->out_size, pr->out_arena, p, n);
}

static int32_t fetchstatus(void *ctx, const struct rxd_RXAFS_FetchStatus_in *in, struct rxd_RXAFS_FetchStatus_out *o)
{
	(void)ctx;
	o->OutStatus.InterfaceVersion = 1;
	o->OutStatus.Length = in->Fid.Vnode;
	return 0;
}

static int32_t storedata(void *ctx, const struct rxd_RXAFS_StoreData_in *in, struct rxd_xg_call *call)
{
	(void)ctx;
	(void)in;
	FZ_CHECK(call->req_used == RXD_RXAFS_StoreData_IN_MAX + 4, "StoreData: stream starts at %zu", call->req_used);
	return 0;
}

static int32_t bulkstatus(void *ctx, const struct rxd_RXAFS_InlineBulkStatus_in *in,
			  struct rxd_RXAFS_InlineBulkStatus_out *o)
{
	static struct rxd_AFSFetchStatus st[RXD_AFSCBMAX];

	(void)ctx;
	FZ_CHECK(in->FidsArray.len <= RXD_AFSCBMAX, "InlineBulkStatus: %u fids", in->FidsArray.len);
	o->StatArray.len = in->FidsArray.len;
	o->StatArray.val = st;
	return 0;
}

static int32_t getentry(void *ctx, const struct rxd_VL_GetEntryByNameU_in *in, struct rxd_VL_GetEntryByNameU_out *o)
{
	(void)ctx;
	FZ_CHECK(strlen(in->volumename) <= RXD_VL_MAXNAMELEN, "GetEntryByNameU: name too long");
	o->entry.nServers = 1;
	return 0;
}

static bool rxgen_code(int32_t rc)
{
	return rc == 0 || rc == RXD_RXGEN_OPCODE || rc == RXD_RXGEN_SS_UNMARSHAL;
}

static void dispatch(const uint8_t *data, size_t size)
{
	static uint8_t reply[RXD_RXAFS_REPLY_MAX > RXD_VL_REPLY_MAX ? RXD_RXAFS_REPLY_MAX : RXD_VL_REPLY_MAX];
	static _Alignas(8)
	    uint8_t scratch[RXD_RXAFS_ARENA_MAX > RXD_VL_ARENA_MAX ? RXD_RXAFS_ARENA_MAX : RXD_VL_ARENA_MAX];
	const struct rxd_RXAFS_handlers fs = {
	    .FetchStatus = fetchstatus, .StoreData = storedata, .InlineBulkStatus = bulkstatus};
	const struct rxd_VL_handlers vl = {.GetEntryByNameU = getentry};
	struct rxd_xg_call c = {.req = data,
				.req_len = size,
				.reply = reply,
				.reply_cap = sizeof(reply),
				.arena = scratch,
				.arena_cap = sizeof(scratch)};
	int32_t rc = rxd_RXAFS_dispatch(&fs, NULL, &c);

	FZ_CHECK(rxgen_code(rc), "RXAFS dispatch returned %d", rc);
	FZ_CHECK(c.reply_len <= sizeof(reply), "RXAFS reply overran");
	rc = rxd_VL_dispatch(&vl, NULL, &c);
	FZ_CHECK(rxgen_code(rc), "VL dispatch returned %d", rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t op;

	if (size < 4)
		return 0;
	op = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
	one_package(rxd_RXAFS_procs, sizeof(rxd_RXAFS_procs) / sizeof(rxd_RXAFS_procs[0]), op, data + 4, size - 4);
	one_package(rxd_RXAFSCB_procs, sizeof(rxd_RXAFSCB_procs) / sizeof(rxd_RXAFSCB_procs[0]), op, data + 4,
		    size - 4);
	one_package(rxd_VL_procs, sizeof(rxd_VL_procs) / sizeof(rxd_VL_procs[0]), op, data + 4, size - 4);
	dispatch(data, size);
	return 0;
}
