/* The built-in VL service: a VLDB of this server's volumes (vl.h).
 * Entry and address semantics follow OpenAFS src/vlserver/vlprocs.c
 * (FindByName, FindByID, vlentry_to_*vldbentry, SVL_GetAddrsU). */
#include "vl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxd_app.h"
#include "store.h"

struct rxd_fs_vl {
	struct rxd_afsUUID uuid;
	uint32_t addrs[RXD_FS_VL_MAXADDRS];
	unsigned n_addrs;
	int32_t uniquifier;
	int32_t partition;
	uint32_t caps[1];
	char cell[RXD_VL_MAXNAMELEN];
	unsigned nvols;
	struct rxd_fs_volname *vols;
	uint64_t (*clock)(void *arg);
	void *clock_arg;
};

int rxd_fs_vl_create(const struct rxd_fs_vl_params *p, struct rxd_fs_vl **out)
{
	struct rxd_fs_vl *vl;
	size_t n;

	if (!p->n_addrs || p->n_addrs > RXD_FS_VL_MAXADDRS || !p->store)
		return -EINVAL;
	vl = calloc(1, sizeof(*vl));
	if (!vl)
		return -ENOMEM;
	vl->uuid = p->uuid;
	memcpy(vl->addrs, p->addrs, p->n_addrs * sizeof(uint32_t));
	vl->n_addrs = p->n_addrs;
	vl->uniquifier = p->uniquifier ? p->uniquifier : 1;
	vl->partition = p->partition;
	vl->clock = p->clock;
	vl->clock_arg = p->clock_arg;
	snprintf(vl->cell, sizeof(vl->cell), "%s", p->cell ? p->cell : "");
	/* The list may grow between the count and the copy: take what fits. */
	n = rxd_fs_volume_list(p->store, NULL, 0);
	vl->vols = calloc(n ? n : 1, sizeof(*vl->vols));
	if (!vl->vols) {
		free(vl);
		return -ENOMEM;
	}
	if (rxd_fs_volume_list(p->store, vl->vols, n) < n)
		n = rxd_fs_volume_list(p->store, vl->vols, n); /* one was removed meanwhile */
	vl->nvols = (unsigned)n;
	*out = vl;
	return 0;
}

void rxd_fs_vl_free(struct rxd_fs_vl *vl)
{
	if (!vl)
		return;
	free(vl->vols);
	free(vl);
}

/* ---- finding a volume ---- */

static const struct rxd_fs_volname *by_id(const struct rxd_fs_vl *vl, uint32_t id, int32_t voltype)
{
	/* Only RW volumes live here: an RO or backup id names nothing. */
	if (voltype != -1 && voltype != RXD_RWVOL)
		return NULL;
	for (unsigned i = 0; i < vl->nvols; i++)
		if (vl->vols[i].id == id)
			return &vl->vols[i];
	return NULL;
}

static int ends_with(const char *s, size_t len, const char *suffix, size_t *base)
{
	size_t n = strlen(suffix);

	if (len <= n || strcmp(s + len - n, suffix))
		return 0;
	*base = len - n;
	return 1;
}

/* OpenAFS FindByName: a name of digits is an id of any type; ".readonly"
 * and ".backup" name the entry of their RW volume. */
static const struct rxd_fs_volname *by_name(const struct rxd_fs_vl *vl, const char *name)
{
	size_t len = strlen(name), base = len;
	char *end;

	if (name[0] >= '0' && name[0] <= '9') {
		unsigned long id = strtoul(name, &end, 10);
		if (*end == 0 && id <= UINT32_MAX)
			return by_id(vl, (uint32_t)id, -1);
	}
	if (!ends_with(name, len, ".readonly", &base))
		ends_with(name, len, ".backup", &base);
	for (unsigned i = 0; i < vl->nvols; i++)
		if (strlen(vl->vols[i].name) == base && !memcmp(vl->vols[i].name, name, base))
			return &vl->vols[i];
	return NULL;
}

static int32_t check_voltype(int32_t voltype)
{
	return voltype < -1 || voltype > RXD_BACKVOL ? RXD_VL_BADVOLTYPE : 0;
}

/* ---- entries: one site, the RW volume on this server ---- */

static void fill_n(const struct rxd_fs_vl *vl, const struct rxd_fs_volname *v, struct rxd_nvldbentry *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", v->name);
	e->nServers = 1;
	e->serverNumber[0] = (int32_t)vl->addrs[0];
	e->serverPartition[0] = vl->partition;
	e->serverFlags[0] = RXD_VLSF_RWVOL;
	e->volumeId[RXD_RWVOL] = v->id;
	e->flags = RXD_VLF_RWEXISTS;
}

/* The old entry: the same, with room for fewer sites. */
static void fill_o(const struct rxd_fs_vl *vl, const struct rxd_fs_volname *v, struct rxd_vldbentry *e)
{
	struct rxd_nvldbentry n;

	fill_n(vl, v, &n);
	memcpy(e->name, n.name, sizeof(e->name));
	e->nServers = n.nServers;
	memcpy(e->serverNumber, n.serverNumber, sizeof(e->serverNumber));
	memcpy(e->serverPartition, n.serverPartition, sizeof(e->serverPartition));
	memcpy(e->serverFlags, n.serverFlags, sizeof(e->serverFlags));
	memcpy(e->volumeId, n.volumeId, sizeof(e->volumeId));
	e->cloneId = n.cloneId;
	e->flags = n.flags;
}

/* A multi-homed server is named by its UUID (VLSF_UUID), and the client
 * asks GetAddrsU for its addresses. */
static void fill_u(const struct rxd_fs_vl *vl, const struct rxd_fs_volname *v, struct rxd_uvldbentry *e)
{
	snprintf(e->name, sizeof(e->name), "%s", v->name);
	e->nServers = 1;
	e->serverNumber[0] = vl->uuid;
	e->serverUnique[0] = vl->uniquifier;
	e->serverPartition[0] = vl->partition;
	e->serverFlags[0] = RXD_VLSF_RWVOL | RXD_VLSF_UUID;
	e->volumeId[RXD_RWVOL] = v->id;
	e->flags = RXD_VLF_RWEXISTS;
}

/* ---- handlers ---- */

/* The volume a by-id request names: 0, VL_BADVOLTYPE or VL_NOENT. */
static int32_t find_id(const struct rxd_fs_vl *vl, uint32_t id, int32_t voltype, const struct rxd_fs_volname **v)
{
	if (check_voltype(voltype))
		return RXD_VL_BADVOLTYPE;
	*v = by_id(vl, id, voltype);
	return *v ? 0 : RXD_VL_NOENT;
}

static int32_t find_name(const struct rxd_fs_vl *vl, const char *name, const struct rxd_fs_volname **v)
{
	*v = by_name(vl, name);
	return *v ? 0 : RXD_VL_NOENT;
}

static int32_t get_entry_by_id(void *ctx, const struct rxd_VL_GetEntryByID_in *in, struct rxd_VL_GetEntryByID_out *out)
{
	const struct rxd_fs_volname *v;
	int32_t rc = find_id(ctx, in->Volid, in->voltype, &v);

	if (!rc)
		fill_o(ctx, v, &out->entry);
	return rc;
}

static int32_t get_entry_by_name_o(void *ctx, const struct rxd_VL_GetEntryByNameO_in *in,
				   struct rxd_VL_GetEntryByNameO_out *out)
{
	const struct rxd_fs_volname *v;
	int32_t rc = find_name(ctx, in->volumename, &v);

	if (!rc)
		fill_o(ctx, v, &out->entry);
	return rc;
}

static int32_t get_entry_by_id_n(void *ctx, const struct rxd_VL_GetEntryByIDN_in *in,
				 struct rxd_VL_GetEntryByIDN_out *out)
{
	const struct rxd_fs_volname *v;
	int32_t rc = find_id(ctx, in->Volid, in->voltype, &v);

	if (!rc)
		fill_n(ctx, v, &out->entry);
	return rc;
}

static int32_t get_entry_by_name_n(void *ctx, const struct rxd_VL_GetEntryByNameN_in *in,
				   struct rxd_VL_GetEntryByNameN_out *out)
{
	const struct rxd_fs_volname *v;
	int32_t rc = find_name(ctx, in->volumename, &v);

	if (!rc)
		fill_n(ctx, v, &out->entry);
	return rc;
}

static int32_t get_entry_by_id_u(void *ctx, const struct rxd_VL_GetEntryByIDU_in *in,
				 struct rxd_VL_GetEntryByIDU_out *out)
{
	const struct rxd_fs_volname *v;
	int32_t rc = find_id(ctx, in->Volid, in->voltype, &v);

	if (!rc)
		fill_u(ctx, v, &out->entry);
	return rc;
}

static int32_t get_entry_by_name_u(void *ctx, const struct rxd_VL_GetEntryByNameU_in *in,
				   struct rxd_VL_GetEntryByNameU_out *out)
{
	const struct rxd_fs_volname *v;
	int32_t rc = find_name(ctx, in->volumename, &v);

	if (!rc)
		fill_u(ctx, v, &out->entry);
	return rc;
}

static int32_t probe_server(void *ctx)
{
	(void)ctx;
	return 0;
}

/* The server table: one server, named by its first address (the address a
 * non-U entry's serverNumber carries). */
static int32_t get_addrs(void *ctx, const struct rxd_VL_GetAddrs_in *in, struct rxd_VL_GetAddrs_out *out)
{
	struct rxd_fs_vl *vl = ctx;

	(void)in;
	out->nentries = 1;
	out->blkaddrs.len = 1;
	out->blkaddrs.val = vl->addrs;
	return 0;
}

static int uuid_eq(const struct rxd_afsUUID *a, const struct rxd_afsUUID *b)
{
	return a->time_low == b->time_low && a->time_mid == b->time_mid &&
	       a->time_hi_and_version == b->time_hi_and_version &&
	       a->clock_seq_hi_and_reserved == b->clock_seq_hi_and_reserved && a->clock_seq_low == b->clock_seq_low &&
	       !memcmp(a->node, b->node, sizeof(a->node));
}

/* SVL_GetAddrsU: the server asked for by UUID, by one of its addresses, or
 * by its multi-homed index (ours is the first entry, index 1). */
static int32_t get_addrs_u(void *ctx, const struct rxd_VL_GetAddrsU_in *in, struct rxd_VL_GetAddrsU_out *out)
{
	struct rxd_fs_vl *vl = ctx;
	const struct rxd_ListAddrByAttributes *a = &in->inaddr;
	int found = 0;

	switch (a->Mask) {
	case RXD_VLADDR_UUID:
		found = uuid_eq(&a->uuid, &vl->uuid);
		break;
	case RXD_VLADDR_IPADDR:
		for (unsigned i = 0; i < vl->n_addrs; i++)
			found |= vl->addrs[i] == a->ipaddr;
		break;
	case RXD_VLADDR_INDEX:
		if (a->index < 0 || (a->index & 0xffff) >= 64 || ((a->index >> 16) & 0xff) >= 4)
			return RXD_VL_INDEXERANGE; /* VL_MHSRV_PERBLK, VL_MAX_ADDREXTBLKS */
		found = a->index == 1;
		break;
	default:
		return RXD_VL_BADMASK;
	}
	if (!found)
		return RXD_VL_NOENT;
	out->uuidp1 = vl->uuid;
	out->uniquifier = vl->uniquifier;
	out->nentries = (int32_t)vl->n_addrs;
	out->blkaddrs.len = vl->n_addrs;
	out->blkaddrs.val = vl->addrs;
	return 0;
}

/* The probe kafs (fs/afs/vl_probe.c) and OpenAFS clients send: no VL
 * capability bits are defined, so one word of zero. */
static int32_t get_capabilities(void *ctx, struct rxd_VL_GetCapabilities_out *out)
{
	struct rxd_fs_vl *vl = ctx;

	out->capabilities.len = 1;
	out->capabilities.val = vl->caps;
	return 0;
}

static const struct rxd_VL_handlers vl_handlers = {
    .GetEntryByID = get_entry_by_id,
    .GetEntryByNameO = get_entry_by_name_o,
    .ProbeServer = probe_server,
    .GetAddrs = get_addrs,
    .GetEntryByIDN = get_entry_by_id_n,
    .GetEntryByNameN = get_entry_by_name_n,
    .GetEntryByIDU = get_entry_by_id_u,
    .GetEntryByNameU = get_entry_by_name_u,
    .GetAddrsU = get_addrs_u,
    .GetCapabilities = get_capabilities,
};

int32_t rxd_fs_vl_handle(struct rxd_fs_vl *vl, const uint8_t *req, size_t len, uint8_t *reply, size_t cap,
			 size_t *reply_len)
{
	_Alignas(8) uint8_t arena[RXD_VL_ARENA_MAX];
	struct rxd_xg_call c = {
	    .req = req,
	    .req_len = len,
	    .reply = reply,
	    .reply_cap = cap,
	    .arena = arena,
	    .arena_cap = sizeof(arena),
	};
	int32_t rc = rxd_VL_dispatch(&vl_handlers, vl, &c);

	*reply_len = rc ? 0 : c.reply_len;
	return rc;
}

/* ---- the rx service ---- */

static void vl_call_data(void *app, struct rxd_call *c)
{
	struct rxd_fs_vl *vl = app;
	uint8_t req[RXD_VL_REQ_MAX], rep[RXD_VL_REPLY_MAX];
	uint64_t now = vl->clock ? vl->clock(vl->clock_arg) : 0;
	ssize_t n = rxd_app_whole_request(c, req, sizeof(req), RXD_RXGEN_SS_UNMARSHAL, now);
	size_t rlen;
	int32_t rc;

	if (n <= 0)
		return;
	rc = rxd_fs_vl_handle(vl, req, (size_t)n, rep, sizeof(rep), &rlen);
	rxd_app_reply(c, rc, rep, rlen, RXD_RXGEN_SS_MARSHAL, now);
}

static void vl_call_complete(void *app, struct rxd_call *c)
{
	struct rxd_fs_vl *vl = app;

	rxd_call_end(c, vl->clock ? vl->clock(vl->clock_arg) : 0);
}

static const struct rxd_call_ops vl_call_ops = {
    .data = vl_call_data,
    .complete = vl_call_complete,
};

void rxd_fs_vl_service_desc(struct rxd_fs_vl *vl, struct rxd_service_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->service_id = 52;
	d->ops = &vl_call_ops;
	d->app = vl;
}

/* ---- for registration ---- */

unsigned rxd_fs_vl_volume_count(const struct rxd_fs_vl *vl)
{
	return vl->nvols;
}

void rxd_fs_vl_volume_entry(const struct rxd_fs_vl *vl, unsigned i, struct rxd_nvldbentry *e)
{
	fill_n(vl, &vl->vols[i], e);
}

const struct rxd_afsUUID *rxd_fs_vl_uuid(const struct rxd_fs_vl *vl)
{
	return &vl->uuid;
}

unsigned rxd_fs_vl_addrs(const struct rxd_fs_vl *vl, const uint32_t **addrs)
{
	*addrs = vl->addrs;
	return vl->n_addrs;
}

int32_t rxd_fs_vl_partition(const struct rxd_fs_vl *vl)
{
	return vl->partition;
}

const char *rxd_fs_vl_cell(const struct rxd_fs_vl *vl)
{
	return vl->cell;
}
