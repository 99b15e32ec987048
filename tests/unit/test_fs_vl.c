/* The fileserver's built-in VL service (app/fileserver/vl.c), driven through
 * the generated VL client encoders and decoders as a client sends and reads
 * them, and the registration with a cell's vlservers (vlreg.c) against a
 * fake vlserver over two rxd cores on an in-memory wire. */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/core.h>

#include "afs_rpc.h"
#include "store.h"
#include "test_io.h"
#include "vl.h"
#include "vlreg.h"

#define VID_AFS 536870912u
#define VID_CELL 536870915u
#define ADDR0 0xc6120002u /* 198.18.0.2, host order as the VLDB keeps it */
#define ADDR1 0xc6130002u /* 198.19.0.2 */

static char root[64];
static struct rxd_fs_store *st;
static struct rxd_fs_vl *vl;
static const uint32_t addrs[2] = {ADDR0, ADDR1};
static const struct rxd_afsUUID uuid = {.time_low = 0x11223344,
					.time_mid = 0x5566,
					.time_hi_and_version = 0x7788,
					.clock_seq_hi_and_reserved = 0x19,
					.clock_seq_low = 0x2a,
					.node = {1, 2, 3, 4, 5, 6}};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	struct rxd_fs_vl_params p = {
	    .cell = "test.example", .uuid = uuid, .addrs = addrs, .n_addrs = 2, .uniquifier = 7};

	snprintf(root, sizeof(root), "/tmp/rxd_fs_vl.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	cr_assert_eq(rxd_fs_store_open(root, 0, &st), 0);
	cr_assert_eq(rxd_fs_volume_create(st, VID_AFS, "root.afs", 1, RXD_FS_READ | RXD_FS_LOOKUP), 0);
	cr_assert_eq(rxd_fs_volume_create(st, VID_CELL, "root.cell", 1, RXD_FS_READ | RXD_FS_LOOKUP), 0);
	p.store = st;
	cr_assert_eq(rxd_fs_vl_create(&p, &vl), 0);
}

static void teardown(void)
{
	rxd_fs_vl_free(vl);
	rxd_fs_store_close(st);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static uint8_t reply[RXD_VL_REPLY_MAX];
static size_t reply_len;

static int32_t ask(const uint8_t *req, size_t len)
{
	reply_len = 12345;
	return rxd_fs_vl_handle(vl, req, len, reply, sizeof(reply), &reply_len);
}

static int32_t by_name_u(const char *name, struct rxd_uvldbentry *e)
{
	uint8_t req[RXD_VL_REQ_MAX];
	struct rxd_VL_GetEntryByNameU_in in = {.volumename = (char *)name};
	struct rxd_VL_GetEntryByNameU_out out;
	struct rxd_xenc enc;
	struct rxd_xdec d;
	int32_t rc;

	rxd_xenc_init(&enc, req, sizeof(req));
	cr_assert_eq(rxd_VL_GetEntryByNameU_enc_req(&enc, &in), 0);
	rc = ask(req, (size_t)(enc.p - req));
	if (rc) {
		cr_assert_eq(reply_len, 0);
		return rc;
	}
	rxd_xdec_init(&d, reply, reply_len, NULL, 0);
	cr_assert_eq(rxd_VL_GetEntryByNameU_dec_out(&d, &out), 0);
	cr_assert_eq(d.p, d.end, "the whole reply is the entry");
	*e = out.entry;
	return 0;
}

static void check_u(const struct rxd_uvldbentry *e, const char *name, uint32_t id)
{
	cr_assert_str_eq(e->name, name);
	cr_assert_eq(e->nServers, 1);
	cr_assert_eq(memcmp(&e->serverNumber[0], &uuid, sizeof(uuid)), 0, "the server is named by its UUID");
	cr_assert_eq(e->serverUnique[0], 7);
	cr_assert_eq(e->serverPartition[0], 0);
	cr_assert_eq(e->serverFlags[0], RXD_VLSF_RWVOL | RXD_VLSF_UUID);
	cr_assert_eq(e->volumeId[RXD_RWVOL], id);
	cr_assert_eq(e->volumeId[RXD_ROVOL], 0);
	cr_assert_eq(e->flags, RXD_VLF_RWEXISTS);
}

TestSuite(fs_vl, .init = setup, .fini = teardown);

Test(fs_vl, store_lists_its_volumes)
{
	struct rxd_fs_volname v[4];
	uint32_t seen = 0;

	cr_assert_eq(rxd_fs_volume_list(st, v, 4), 2);
	cr_assert_eq(rxd_fs_volume_list(st, v, 1), 2, "the count is of all volumes even when fewer fit");
	rxd_fs_volume_list(st, v, 4);
	for (int i = 0; i < 2; i++)
		seen |= v[i].id == VID_AFS && !strcmp(v[i].name, "root.afs")	 ? 1u
			: v[i].id == VID_CELL && !strcmp(v[i].name, "root.cell") ? 2u
										 : 0u;
	cr_assert_eq(seen, 3);
}

Test(fs_vl, get_entry_by_name_u_finds_a_volume_by_name_id_and_suffix)
{
	struct rxd_uvldbentry e;

	cr_assert_eq(by_name_u("root.cell", &e), 0);
	check_u(&e, "root.cell", VID_CELL);
	cr_assert_eq(by_name_u("536870912", &e), 0, "a name of digits is an id");
	check_u(&e, "root.afs", VID_AFS);
	cr_assert_eq(by_name_u("root.cell.readonly", &e), 0, "the RW volume's entry answers for .readonly");
	check_u(&e, "root.cell", VID_CELL);
}

Test(fs_vl, get_entry_by_name_u_of_a_missing_volume_is_vl_noent)
{
	struct rxd_uvldbentry e;

	cr_assert_eq(by_name_u("nosuch", &e), RXD_VL_NOENT);
	cr_assert_eq(by_name_u("root", &e), RXD_VL_NOENT, "no prefix match");
	cr_assert_eq(by_name_u("536870913", &e), RXD_VL_NOENT);
	cr_assert_eq(by_name_u(".readonly", &e), RXD_VL_NOENT);
	cr_assert_eq(RXD_VL_NOENT, 363524);
}

Test(fs_vl, get_entry_by_id_n_and_old_name_the_server_by_its_first_address)
{
	uint8_t req[64];
	struct rxd_xenc enc;
	struct rxd_xdec d;
	struct rxd_VL_GetEntryByIDN_in in = {.Volid = VID_AFS, .voltype = RXD_RWVOL};
	struct rxd_VL_GetEntryByIDN_out out;
	struct rxd_VL_GetEntryByID_out oout;
	struct rxd_VL_GetEntryByID_in oin = {.Volid = VID_CELL, .voltype = -1};

	rxd_xenc_init(&enc, req, sizeof(req));
	rxd_VL_GetEntryByIDN_enc_req(&enc, &in);
	cr_assert_eq(ask(req, (size_t)(enc.p - req)), 0);
	rxd_xdec_init(&d, reply, reply_len, NULL, 0);
	cr_assert_eq(rxd_VL_GetEntryByIDN_dec_out(&d, &out), 0);
	cr_assert_str_eq(out.entry.name, "root.afs");
	cr_assert_eq((uint32_t)out.entry.serverNumber[0], ADDR0);
	cr_assert_eq(out.entry.serverFlags[0], RXD_VLSF_RWVOL);

	rxd_xenc_init(&enc, req, sizeof(req));
	rxd_VL_GetEntryByID_enc_req(&enc, &oin);
	cr_assert_eq(ask(req, (size_t)(enc.p - req)), 0);
	rxd_xdec_init(&d, reply, reply_len, NULL, 0);
	cr_assert_eq(rxd_VL_GetEntryByID_dec_out(&d, &oout), 0);
	cr_assert_str_eq(oout.entry.name, "root.cell");
	cr_assert_eq((uint32_t)oout.entry.serverNumber[0], ADDR0);
	cr_assert_eq(oout.entry.volumeId[RXD_RWVOL], VID_CELL);

	in.voltype = RXD_ROVOL;
	rxd_xenc_init(&enc, req, sizeof(req));
	rxd_VL_GetEntryByIDN_enc_req(&enc, &in);
	cr_assert_eq(ask(req, (size_t)(enc.p - req)), RXD_VL_NOENT, "no RO volume has that id");
	in.voltype = 3;
	rxd_xenc_init(&enc, req, sizeof(req));
	rxd_VL_GetEntryByIDN_enc_req(&enc, &in);
	cr_assert_eq(ask(req, (size_t)(enc.p - req)), RXD_VL_BADVOLTYPE);
}

static int32_t addrs_u(int32_t mask, uint32_t ip, int32_t index, const struct rxd_afsUUID *u,
		       struct rxd_VL_GetAddrsU_out *out, void *arena)
{
	uint8_t req[128];
	struct rxd_xenc enc;
	struct rxd_xdec d;
	struct rxd_VL_GetAddrsU_in in = {.inaddr = {.Mask = mask, .ipaddr = ip, .index = index}};
	int32_t rc;

	if (u)
		in.inaddr.uuid = *u;
	rxd_xenc_init(&enc, req, sizeof(req));
	cr_assert_eq(rxd_VL_GetAddrsU_enc_req(&enc, &in), 0);
	rc = ask(req, (size_t)(enc.p - req));
	if (rc)
		return rc;
	rxd_xdec_init(&d, reply, reply_len, arena, RXD_VL_GetAddrsU_OUT_ARENA);
	cr_assert_eq(rxd_VL_GetAddrsU_dec_out(&d, out), 0);
	return 0;
}

Test(fs_vl, get_addrs_u_gives_the_uuid_uniquifier_and_addresses)
{
	static _Alignas(8) uint8_t arena[RXD_VL_GetAddrsU_OUT_ARENA];
	struct rxd_VL_GetAddrsU_out out;
	struct rxd_afsUUID other = uuid;

	cr_assert_eq(addrs_u(RXD_VLADDR_UUID, 0, 0, &uuid, &out, arena), 0);
	cr_assert_eq(memcmp(&out.uuidp1, &uuid, sizeof(uuid)), 0);
	cr_assert_eq(out.uniquifier, 7);
	cr_assert_eq(out.nentries, 2);
	cr_assert_eq(out.blkaddrs.len, 2);
	cr_assert_eq(out.blkaddrs.val[0], ADDR0);
	cr_assert_eq(out.blkaddrs.val[1], ADDR1);
	cr_assert_eq(addrs_u(RXD_VLADDR_IPADDR, ADDR1, 0, NULL, &out, arena), 0, "by a second address");
	cr_assert_eq(out.nentries, 2);
	cr_assert_eq(addrs_u(RXD_VLADDR_INDEX, 0, 1, NULL, &out, arena), 0);
	other.node[5] = 9;
	cr_assert_eq(addrs_u(RXD_VLADDR_UUID, 0, 0, &other, &out, arena), RXD_VL_NOENT);
	cr_assert_eq(addrs_u(RXD_VLADDR_IPADDR, 0x7f000001, 0, NULL, &out, arena), RXD_VL_NOENT);
	cr_assert_eq(addrs_u(RXD_VLADDR_INDEX, 0, 0x7fffffff, NULL, &out, arena), RXD_VL_INDEXERANGE);
	cr_assert_eq(addrs_u(0x40, 0, 0, NULL, &out, arena), RXD_VL_BADMASK);
}

Test(fs_vl, get_addrs_lists_the_first_address)
{
	static _Alignas(8) uint8_t arena[RXD_VL_GetAddrs_OUT_ARENA];
	uint8_t req[64];
	struct rxd_xenc enc;
	struct rxd_xdec d;
	struct rxd_VL_GetAddrs_in in = {0};
	struct rxd_VL_GetAddrs_out out;

	rxd_xenc_init(&enc, req, sizeof(req));
	rxd_VL_GetAddrs_enc_req(&enc, &in);
	cr_assert_eq(ask(req, (size_t)(enc.p - req)), 0);
	rxd_xdec_init(&d, reply, reply_len, arena, sizeof(arena));
	cr_assert_eq(rxd_VL_GetAddrs_dec_out(&d, &out), 0);
	cr_assert_eq(out.nentries, 1);
	cr_assert_eq(out.blkaddrs.len, 1);
	cr_assert_eq(out.blkaddrs.val[0], ADDR0);
}

Test(fs_vl, get_capabilities_and_probe_answer)
{
	static _Alignas(8) uint8_t arena[RXD_VL_GetCapabilities_OUT_ARENA];
	uint8_t req[8];
	struct rxd_xenc enc;
	struct rxd_xdec d;
	struct rxd_VL_GetCapabilities_out out;

	rxd_xenc_init(&enc, req, sizeof(req));
	cr_assert_eq(rxd_VL_GetCapabilities_enc_req(&enc), 0);
	cr_assert_eq(enc.p - req, 4, "opcode only");
	cr_assert_eq(ask(req, 4), 0);
	rxd_xdec_init(&d, reply, reply_len, arena, sizeof(arena));
	cr_assert_eq(rxd_VL_GetCapabilities_dec_out(&d, &out), 0);
	cr_assert_eq(out.capabilities.len, 1);
	cr_assert_eq(out.capabilities.val[0], 0);

	rxd_xenc_init(&enc, req, sizeof(req));
	cr_assert_eq(rxd_VL_ProbeServer_enc_req(&enc), 0);
	cr_assert_eq(ask(req, 4), 0);
	cr_assert_eq(reply_len, 0);
}

Test(fs_vl, unknown_and_unserved_opcodes_abort_rxgen_opcode)
{
	uint8_t req[RXD_VL_REQ_MAX];
	struct rxd_xenc enc;
	struct rxd_VL_CreateEntryN_in cin;
	static const uint8_t unknown[4] = {0, 0, 0x03, 0xe7};	      /* 999 */
	static const uint8_t short_req[6] = {0, 0, 0x02, 0x0e, 0, 0}; /* GetEntryByIDN, truncated */

	cr_assert_eq(ask(unknown, 4), RXD_RXGEN_OPCODE);
	cr_assert_eq(reply_len, 0);
	memset(&cin, 0, sizeof(cin));
	strcpy(cin.newentry.name, "x");
	rxd_xenc_init(&enc, req, sizeof(req));
	cr_assert_eq(rxd_VL_CreateEntryN_enc_req(&enc, &cin), 0);
	cr_assert_eq(ask(req, (size_t)(enc.p - req)), RXD_RXGEN_OPCODE, "this VLDB is not writable");
	cr_assert_eq(ask(short_req, sizeof(short_req)), RXD_RXGEN_SS_UNMARSHAL);
}

Test(fs_vl, create_refuses_no_address)
{
	struct rxd_fs_vl_params p = {.store = st, .uuid = uuid, .addrs = addrs, .n_addrs = 0};
	struct rxd_fs_vl *x = NULL;

	cr_assert_eq(rxd_fs_vl_create(&p, &x), -EINVAL);
	p.n_addrs = RXD_FS_VL_MAXADDRS + 1;
	cr_assert_eq(rxd_fs_vl_create(&p, &x), -EINVAL);
	cr_assert_null(x);
}

/* ---- registration against a fake vlserver ---- */

#define MAXQ 1024

struct dgram {
	int to;
	struct rxd_addr from;
	uint32_t len;
	struct rxd_buf *buf;
};

/* The fake VLDB: a few entries, and what the client did to it. */
struct fake {
	struct rxd_nvldbentry ent[8];
	unsigned n;
	unsigned register_calls, fail_registers, creates, replaces;
	bool perm; /* RegisterAddrs refused with VL_PERM, as a vlserver without -noauth refuses rxnull */
	struct rxd_afsUUID reg_uuid;
	uint32_t reg_addrs[4];
	unsigned reg_naddrs;
};

static struct {
	struct rxd_local *eng[2];
	struct rxd_addr addr[2];
	struct test_io_pool pool;
	struct test_io io[2];
	struct dgram *q[MAXQ];
	unsigned head, tail;
	uint64_t now;
	struct fake vldb;
	char log[8][256];
	unsigned nlog;
} W;

static int w_tx(void *arg, const struct rxd_addr *dst, struct rxd_buf *b, uint32_t len, unsigned flags)
{
	int from = (int)(intptr_t)arg;
	struct dgram *d = malloc(sizeof(*d));

	(void)dst;
	(void)flags;
	cr_assert_not_null(d);
	d->to = 1 - from;
	d->from = W.addr[from];
	d->len = len;
	d->buf = b;
	cr_assert(W.tail - W.head < MAXQ);
	W.q[W.tail++ % MAXQ] = d;
	return 0;
}

static struct rxd_nvldbentry *fake_find(const char *name)
{
	for (unsigned i = 0; i < W.vldb.n; i++)
		if (!strcmp(W.vldb.ent[i].name, name))
			return &W.vldb.ent[i];
	return NULL;
}

static int32_t f_register(void *ctx, const struct rxd_VL_RegisterAddrs_in *in)
{
	(void)ctx;
	W.vldb.register_calls++;
	if (W.vldb.perm)
		return RXD_VL_PERM;
	if (W.vldb.fail_registers) {
		W.vldb.fail_registers--;
		return 5377; /* ubik UNOTSYNC: ask another server */
	}
	W.vldb.reg_uuid = in->uuidp;
	W.vldb.reg_naddrs = in->ipaddr.len < 4 ? in->ipaddr.len : 4;
	memcpy(W.vldb.reg_addrs, in->ipaddr.val, W.vldb.reg_naddrs * sizeof(uint32_t));
	return 0;
}

static int32_t f_by_name(void *ctx, const struct rxd_VL_GetEntryByNameN_in *in, struct rxd_VL_GetEntryByNameN_out *out)
{
	struct rxd_nvldbentry *e = fake_find(in->volumename);

	(void)ctx;
	if (!e)
		return RXD_VL_NOENT;
	out->entry = *e;
	return 0;
}

static int32_t f_create(void *ctx, const struct rxd_VL_CreateEntryN_in *in)
{
	(void)ctx;
	if (fake_find(in->newentry.name))
		return RXD_VL_NAMEEXIST;
	for (unsigned i = 0; i < W.vldb.n; i++)
		if (W.vldb.ent[i].volumeId[0] == in->newentry.volumeId[0])
			return RXD_VL_IDEXIST;
	W.vldb.ent[W.vldb.n++] = in->newentry;
	W.vldb.creates++;
	return 0;
}

static int32_t f_replace(void *ctx, const struct rxd_VL_ReplaceEntryN_in *in)
{
	(void)ctx;
	for (unsigned i = 0; i < W.vldb.n; i++)
		if (W.vldb.ent[i].volumeId[0] == in->Volid && in->voltype == RXD_RWVOL) {
			W.vldb.ent[i] = in->newentry;
			W.vldb.replaces++;
			return 0;
		}
	return RXD_VL_NOENT;
}

static const struct rxd_VL_handlers fake_handlers = {
    .RegisterAddrs = f_register,
    .GetEntryByNameN = f_by_name,
    .CreateEntryN = f_create,
    .ReplaceEntryN = f_replace,
};

static void srv_data(void *app, struct rxd_call *c)
{
	uint8_t req[RXD_VL_REQ_MAX], rep[RXD_VL_REPLY_MAX];
	_Alignas(8) uint8_t arena[RXD_VL_ARENA_MAX];
	size_t have = rxd_call_rx_avail(c);
	bool eor = false;
	ssize_t n;
	int32_t rc;

	(void)app;
	if (rxd_call_state(c) != RXD_CS_SERVER_RECV_REQUEST && rxd_call_state(c) != RXD_CS_SERVER_ACK_REQUEST)
		return;
	(void)have;
	n = rxd_call_recv(c, req, sizeof(req), &eor, W.now);
	cr_assert(n >= 0);
	cr_assert(eor, "a VL request fits one read");
	struct rxd_xg_call xc = {.req = req,
				 .req_len = (size_t)n,
				 .reply = rep,
				 .reply_cap = sizeof(rep),
				 .arena = arena,
				 .arena_cap = sizeof(arena)};
	rc = rxd_VL_dispatch(&fake_handlers, NULL, &xc);
	if (rc)
		rxd_call_abort(c, rc, W.now);
	else
		cr_assert_eq(rxd_call_send(c, rep, xc.reply_len, 0, W.now), (ssize_t)xc.reply_len);
}

static void srv_complete(void *app, struct rxd_call *c)
{
	(void)app;
	rxd_call_end(c, W.now);
}

static const struct rxd_call_ops srv_ops = {.data = srv_data, .complete = srv_complete};

static void note(void *user, const char *line)
{
	(void)user;
	if (getenv("VL_DEBUG"))
		fprintf(stderr, "%llu %s\n", (unsigned long long)W.now, line);
	if (W.nlog < 8)
		snprintf(W.log[W.nlog++], sizeof(W.log[0]), "%s", line);
}

static uint64_t w_clock(void *arg)
{
	(void)arg;
	return W.now;
}

/* The two cores; the server's service 52 is d (the fake vlserver, or vl.c's own). */
static void wire_up(const struct rxd_service_desc *d)
{
	struct rxd_local_params p = {0};

	for (int i = 0; i < 2; i++) {
		rxd_addr_parse(i ? "198.18.0.9:7003" : "198.18.0.2:7000", 0, &W.addr[i]);
		p.addr = W.addr[i];
		test_io_init(&W.io[i], &W.pool, w_tx, (void *)(intptr_t)i);
		p.io = &test_io_ops;
		p.io_ctx = &W.io[i];
		p.seed = 7 + (uint64_t)i;
		cr_assert_eq(rxd_local_create(&p, 0, &W.eng[i]), 0);
	}
	cr_assert_eq(rxd_service_register(W.eng[1], d, NULL), 0);
}

static void wire_setup(void)
{
	struct rxd_service_desc d = {.service_id = 52, .ops = &srv_ops};

	setup();
	memset(&W, 0, sizeof(W));
	wire_up(&d);
}

/* vl.c's own service on the server core, with the wire's clock. */
static void wire_setup_vl(void)
{
	struct rxd_fs_vl_params p = {
	    .cell = "test.example", .uuid = uuid, .addrs = addrs, .n_addrs = 2, .uniquifier = 7, .clock = w_clock};
	struct rxd_service_desc d;

	setup();
	rxd_fs_vl_free(vl);
	p.store = st;
	cr_assert_eq(rxd_fs_vl_create(&p, &vl), 0);
	memset(&W, 0, sizeof(W));
	rxd_fs_vl_service_desc(vl, &d);
	wire_up(&d);
}

static void wire_teardown(void)
{
	rxd_local_destroy(W.eng[0]);
	rxd_local_destroy(W.eng[1]);
	while (W.head != W.tail) {
		struct dgram *d = W.q[W.head++ % MAXQ];
		test_io_buf_drop(&W.pool, d->buf);
		free(d);
	}
	cr_assert_eq(test_io_pool_fini(&W.pool), 0, "no buffer leaked");
	teardown();
}

/* One step of the wire: deliver the next datagram, or move the clock to the
 * next timer (at most max_gap ns on: the registration's retry timer is its
 * own) and run the timers. */
static void wire_step(uint64_t max_gap)
{
	if (W.head != W.tail) {
		struct dgram *d = W.q[W.head++ % MAXQ];
		W.now += 1000;
		rxd_local_input(W.eng[d->to], &d->from, d->buf, d->buf->data, d->len, W.now);
		free(d);
		return;
	}
	uint64_t t = rxd_local_next_expiry(W.eng[0]), t1 = rxd_local_next_expiry(W.eng[1]);
	if (t1 < t)
		t = t1;
	if (t == RXD_TIME_NEVER || t > W.now + max_gap)
		t = W.now + max_gap;
	W.now = t > W.now ? t : W.now + 1;
	rxd_local_expire(W.eng[0], W.now);
	rxd_local_expire(W.eng[1], W.now);
}

/* Run the wire and the registration until it finishes or 60 s of virtual time pass. */
static int drive(struct rxd_fs_vlreg *r, struct rxd_fs_vlreg_result *res)
{
	int st_rc = 0;

	for (unsigned steps = 0; steps < 200000 && W.now < 60000000000ull; steps++) {
		st_rc = rxd_fs_vlreg_poll(r, W.now, res);
		if (st_rc)
			return st_rc;
		wire_step(10000000);
	}
	return st_rc;
}

TestSuite(fs_vlreg, .init = wire_setup, .fini = wire_teardown);

Test(fs_vlreg, registers_addresses_creates_missing_and_moves_foreign_entries)
{
	struct rxd_fs_vlreg_params p = {
	    .local = W.eng[0], .vl = vl, .servers = &W.addr[1], .n_servers = 1, .retry_ms = 100, .log = note};
	struct rxd_fs_vlreg *r;
	struct rxd_fs_vlreg_result res;
	struct rxd_nvldbentry *e;

	/* root.afs is in the VLDB on another server; root.cell is not there. */
	rxd_fs_vl_volume_entry(vl, 0, &W.vldb.ent[0]);
	W.vldb.ent[0].serverNumber[0] = (int32_t)0xc6120063u;
	W.vldb.n = 1;
	W.vldb.fail_registers = 2;
	cr_assert_eq(rxd_fs_vlreg_start(&p, &r), 0);
	cr_assert_eq(drive(r, &res), 1, "finished: %s (%u calls, now %llu, log %u)", W.nlog ? W.log[W.nlog - 1] : "",
		     W.vldb.register_calls, (unsigned long long)W.now, W.nlog);
	cr_assert_eq(W.vldb.register_calls, 3, "two refusals, then registered");
	cr_assert_eq(memcmp(&W.vldb.reg_uuid, &uuid, sizeof(uuid)), 0);
	cr_assert_eq(W.vldb.reg_naddrs, 2);
	cr_assert_eq(W.vldb.reg_addrs[0], ADDR0);
	cr_assert_eq(W.vldb.reg_addrs[1], ADDR1);
	cr_assert_eq(res.error, 0);
	cr_assert_eq(res.created, 1);
	cr_assert_eq(res.replaced, 1);
	cr_assert_eq(W.vldb.creates, 1);
	cr_assert_eq(W.vldb.replaces, 1);
	for (int i = 0; i < 2; i++) {
		e = fake_find(i ? "root.cell" : "root.afs");
		cr_assert_not_null(e);
		cr_assert_eq((uint32_t)e->serverNumber[0], ADDR0, "our site now");
		cr_assert_eq(e->serverFlags[0], RXD_VLSF_RWVOL);
		cr_assert_eq(e->volumeId[RXD_RWVOL], i ? VID_CELL : VID_AFS);
	}
	cr_assert(strstr(W.log[W.nlog - 1], "registered with cell test.example"), "%s", W.log[W.nlog - 1]);
	rxd_fs_vlreg_free(r, W.now);

	/* A second run finds everything in place and changes nothing. */
	cr_assert_eq(rxd_fs_vlreg_start(&p, &r), 0);
	cr_assert_eq(drive(r, &res), 1);
	cr_assert_eq(res.present, 2);
	cr_assert_eq(res.created + res.replaced + res.conflicts, 0);
	cr_assert_eq(W.vldb.creates, 1);
	rxd_fs_vlreg_free(r, W.now);
}

Test(fs_vlreg, a_name_held_by_another_id_is_a_conflict_left_alone)
{
	struct rxd_fs_vlreg_params p = {
	    .local = W.eng[0], .vl = vl, .servers = &W.addr[1], .n_servers = 1, .log = note};
	struct rxd_fs_vlreg *r;
	struct rxd_fs_vlreg_result res;

	snprintf(W.vldb.ent[0].name, sizeof(W.vldb.ent[0].name), "root.cell");
	W.vldb.ent[0].volumeId[RXD_RWVOL] = 99;
	W.vldb.n = 1;
	cr_assert_eq(rxd_fs_vlreg_start(&p, &r), 0);
	cr_assert_eq(drive(r, &res), 1);
	cr_assert_eq(res.conflicts, 1);
	cr_assert_eq(res.created, 1);
	cr_assert_eq(fake_find("root.cell")->volumeId[RXD_RWVOL], 99, "untouched");
	rxd_fs_vlreg_free(r, W.now);
}

Test(fs_vlreg, gives_up_after_max_tries_with_one_line)
{
	struct rxd_fs_vlreg_params p = {.local = W.eng[0],
					.vl = vl,
					.servers = &W.addr[1],
					.n_servers = 1,
					.retry_ms = 50,
					.max_tries = 3,
					.log = note};
	struct rxd_fs_vlreg *r;
	struct rxd_fs_vlreg_result res;

	W.vldb.fail_registers = 100;
	cr_assert_eq(rxd_fs_vlreg_start(&p, &r), 0);
	cr_assert_eq(drive(r, &res), -1);
	cr_assert_eq(W.vldb.register_calls, 3);
	cr_assert_eq(res.error, 5377);
	cr_assert(
	    strstr(W.log[W.nlog - 1], "registration with cell test.example failed: RegisterAddrs gave up after 3"),
	    "%s", W.log[W.nlog - 1]);
	cr_assert_eq(W.vldb.creates, 0);
	rxd_fs_vlreg_free(r, W.now);
}

Test(fs_vlreg, a_permission_refusal_ends_it_at_once_with_a_line_naming_vl_perm)
{
	struct rxd_fs_vlreg_params p = {
	    .local = W.eng[0], .vl = vl, .servers = &W.addr[1], .n_servers = 1, .retry_ms = 50, .log = note};
	struct rxd_fs_vlreg *r;
	struct rxd_fs_vlreg_result res;

	W.vldb.perm = true;
	cr_assert_eq(rxd_fs_vlreg_start(&p, &r), 0);
	cr_assert_eq(drive(r, &res), -1);
	cr_assert_eq(W.vldb.register_calls, 1, "another try cannot make us an administrator");
	cr_assert_eq(res.error, RXD_VL_PERM);
	cr_assert_eq(W.nlog, 1, "one line");
	cr_assert(strstr(W.log[0], "registration with cell test.example failed: RegisterAddrs gave up after 1 tries"),
		  "%s", W.log[0]);
	cr_assert(strstr(W.log[0], "VL_PERM, not an administrator: an authenticated vlserver needs the cell's key"),
		  "%s", W.log[0]);
	rxd_fs_vlreg_free(r, W.now);
}

/* ---- the VL service over rx ---- */

struct cli {
	bool done;
	uint8_t reply[RXD_VL_REPLY_MAX];
	size_t len;
};

static void cli_complete(void *app, struct rxd_call *c)
{
	(void)c;
	((struct cli *)app)->done = true;
}

static const struct rxd_call_ops cli_ops = {.complete = cli_complete};

/* One call to the server core: the request's bytes in, the abort code (0: the reply is in cl) out. */
static int32_t call_vl(const uint8_t *req, size_t len, struct cli *cl)
{
	struct rxd_call_params cp = {.peer = W.addr[1], .service_id = 52, .ops = &cli_ops, .app = cl};
	struct rxd_call *c;
	bool eor = false;
	ssize_t n;
	int32_t code = 0;

	memset(cl, 0, sizeof(*cl));
	cr_assert_eq(rxd_call_begin(W.eng[0], &cp, W.now, &c), 0);
	cr_assert_eq(rxd_call_send(c, req, len, 0, W.now), (ssize_t)len);
	for (unsigned steps = 0; !cl->done && steps < 100000; steps++)
		wire_step(1000000000);
	cr_assert(cl->done);
	if (rxd_call_completion(c) == RXD_CALL_SUCCEEDED) {
		n = rxd_call_recv(c, cl->reply, sizeof(cl->reply), &eor, W.now);
		cr_assert(n >= 0 && eor);
		cl->len = (size_t)n;
	} else {
		cr_assert_eq(rxd_call_completion(c), RXD_CALL_REMOTELY_ABORTED);
		code = rxd_call_abort_code(c);
	}
	rxd_call_end(c, W.now);
	return code;
}

TestSuite(fs_vl_service, .init = wire_setup_vl, .fini = wire_teardown);

Test(fs_vl_service, answers_get_entry_by_name_u_and_aborts_a_missing_volume_over_rx)
{
	uint8_t req[RXD_VL_REQ_MAX];
	struct rxd_xenc enc;
	struct rxd_xdec d;
	struct rxd_VL_GetEntryByNameU_in in = {.volumename = "root.afs"};
	struct rxd_VL_GetEntryByNameU_out out;
	struct cli cl;

	rxd_xenc_init(&enc, req, sizeof(req));
	rxd_VL_GetEntryByNameU_enc_req(&enc, &in);
	cr_assert_eq(call_vl(req, (size_t)(enc.p - req), &cl), 0);
	rxd_xdec_init(&d, cl.reply, cl.len, NULL, 0);
	cr_assert_eq(rxd_VL_GetEntryByNameU_dec_out(&d, &out), 0);
	check_u(&out.entry, "root.afs", VID_AFS);

	in.volumename = "missing";
	rxd_xenc_init(&enc, req, sizeof(req));
	rxd_VL_GetEntryByNameU_enc_req(&enc, &in);
	cr_assert_eq(call_vl(req, (size_t)(enc.p - req), &cl), RXD_VL_NOENT);
}

Test(fs_vl_service, aborts_a_request_longer_than_any_vl_request)
{
	static uint8_t big[RXD_VL_REQ_MAX + 2000];
	struct cli cl;

	big[2] = 0x02;
	big[3] = 0x0f; /* opcode 527 (GetEntryByNameU), then far too many bytes */
	cr_assert_eq(call_vl(big, sizeof(big), &cl), RXD_RXGEN_SS_UNMARSHAL);
}
