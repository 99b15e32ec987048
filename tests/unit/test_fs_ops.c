/* The RXAFS operations over the store (app/fileserver/fsops.c), as the
 * file-I/O threads run them: requests encoded with the generated client
 * encoders, replies decoded with the generated decoders.  What OpenAFS's
 * fileserver answers (src/viced/afsfileprocs.c): status fields, callbacks,
 * volsync, the anonymous policies, bulk status errors, the lock table, the
 * FetchData range, the StoreData reply. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsops.h"

#define VID 536870912u

static char root[64];
static struct rxd_fs_store *st;
static struct rxd_fs_srv srv;
static struct rxd_fs_op op;
static uint8_t req[RXD_RXAFS_REQ_MAX], reply[RXD_RXAFS_REPLY_MAX];
static _Alignas(8) uint8_t arena[RXD_RXAFS_ARENA_MAX], out_arena[8192];
static const struct rxd_AFSFid rootfid = {VID, 1, 1};
static struct rxd_fs_ident who; /* the caller every run_req runs as: anonymous unless a test sets it */

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A store with root.cell created for policy a, served under policy b. */
static void open_as(enum rxd_fs_anon created, enum rxd_fs_anon served)
{
	snprintf(root, sizeof(root), "/tmp/rxd_fs_ops.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	cr_assert_eq(rxd_fs_store_open(root, 0, &st), 0);
	cr_assert_eq(rxd_fs_volume_create(st, VID, "root.cell", RXD_FS_ANON_ID, rxd_fs_anon_rights(created)), 0);
	cr_assert_eq(rxd_fs_srv_init(&srv, st, served), 0);
}

static void setup_write(void)
{
	open_as(RXD_FS_ANON_WRITE, RXD_FS_ANON_WRITE);
}

static void teardown(void)
{
	memset(&who, 0, sizeof(who));
	rxd_fs_users_free((struct rxd_fs_users *)srv.users);
	rxd_fs_srv_fini(&srv);
	rxd_fs_store_close(st);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Run the request in req[0..len) on the I/O-thread path (lcore: the lcore path). */
static void op_setup(size_t len)
{
	memset(&op, 0, sizeof(op));
	op.srv = &srv;
	op.ident = who;
	op.xg = (struct rxd_xg_call){.req = req,
				     .req_len = len,
				     .reply = reply,
				     .reply_cap = sizeof(reply),
				     .arena = arena,
				     .arena_cap = sizeof(arena)};
}

static int32_t run_req(size_t len, bool lcore)
{
	op_setup(len);
	return lcore ? rxd_fs_op_run_lcore(&op) : rxd_fs_op_run(&op);
}

/* Encode P's request from designated initialisers of its IN struct, then run it. */
#define RUN(P, lcore, ...)                                                                                             \
	({                                                                                                             \
		struct rxd_RXAFS_##P##_in in_ = {__VA_ARGS__};                                                         \
		struct rxd_xenc e_;                                                                                    \
		rxd_xenc_init(&e_, req, sizeof(req));                                                                  \
		cr_assert_eq(rxd_RXAFS_##P##_enc_req(&e_, &in_), 0);                                                   \
		run_req((size_t)(e_.p - req), lcore);                                                                  \
	})

/* The same for a procedure without IN arguments. */
#define RUN0(P, lcore)                                                                                                 \
	({                                                                                                             \
		struct rxd_xenc e_;                                                                                    \
		rxd_xenc_init(&e_, req, sizeof(req));                                                                  \
		cr_assert_eq(rxd_RXAFS_##P##_enc_req(&e_), 0);                                                         \
		run_req((size_t)(e_.p - req), lcore);                                                                  \
	})

#define DECODE(P, out)                                                                                                 \
	do {                                                                                                           \
		struct rxd_xdec d_;                                                                                    \
		rxd_xdec_init(&d_, reply, op.xg.reply_len, out_arena, sizeof(out_arena));                              \
		cr_assert_eq(rxd_RXAFS_##P##_dec_out(&d_, (out)), 0);                                                  \
	} while (0)

static struct rxd_AFSFid mkfile(const char *name, uint64_t len)
{
	struct rxd_AFSStoreStatus ss = {.Mask = RXD_AFS_SETMODE, .UnixModeBits = 0644};
	struct rxd_RXAFS_CreateFile_out out;
	struct rxd_fs_fid f;
	uint8_t buf[4096];

	cr_assert_eq(RUN(CreateFile, 0, .DirFid = rootfid, .Name = (char *)name, .InStatus = ss), 0);
	DECODE(CreateFile, &out);
	f = (struct rxd_fs_fid){out.OutFid.Volume, out.OutFid.Vnode, out.OutFid.Unique};
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	if (len)
		cr_assert_eq(rxd_fs_store_data(st, &f, RXD_FS_ANON_ID, NULL, 0, buf, len, len, NULL), 0);
	return out.OutFid;
}

TestSuite(fs_ops, .init = setup_write, .fini = teardown);

Test(fs_ops, fetch_status_fills_the_status_callback_and_volsync)
{
	struct rxd_RXAFS_FetchStatus_out out;
	struct rxd_fs_status v;
	struct rxd_fs_fid rf = {VID, 1, 1};

	cr_assert_eq(RUN(FetchStatus, 0, .Fid = rootfid), 0);
	DECODE(FetchStatus, &out);
	cr_assert_eq(rxd_fs_fetch_status(st, &rf, &v), 0);
	cr_assert_eq(out.OutStatus.InterfaceVersion, 1);
	cr_assert_eq(out.OutStatus.FileType, RXD_AFS_FILETYPE_DIRECTORY);
	cr_assert_eq(out.OutStatus.LinkCount, v.link_count);
	cr_assert_eq(out.OutStatus.Length, (uint32_t)v.length);
	cr_assert_eq(out.OutStatus.DataVersion, (uint32_t)v.data_version);
	cr_assert_eq(out.OutStatus.UnixModeBits, 0755);
	cr_assert_eq(out.OutStatus.Owner, RXD_FS_ANON_ID);
	cr_assert_eq(out.OutStatus.CallerAccess, 0x3f, "rlidwk");
	cr_assert_eq(out.OutStatus.AnonymousAccess, 0x3f);
	cr_assert_eq(out.OutStatus.ServerModTime, v.server_mtime);
	cr_assert_eq(out.OutStatus.errorCode, 0);
	cr_assert_eq(out.Sync.spare1, v.vol_created);
	cr_assert_neq(out.Sync.spare1, 0);
	cr_assert_eq(out.CallBack.CallBackVersion, RXD_CALLBACK_VERSION);
	cr_assert_eq(out.CallBack.CallBackType, RXD_CB_SHARED);
	cr_assert_gt(out.CallBack.ExpirationTime, 0);
}

/* The request just run on the I/O-thread path (it returned want_rc), tried on the lcore: the same answer. */
static void lcore_answers_alike(int32_t want_rc)
{
	static uint8_t want[RXD_RXAFS_REPLY_MAX];
	size_t want_len = op.xg.reply_len;
	uint32_t want_promises = op.n_promise;
	bool want_bulk = op.promise_bulk;
	int32_t rc = -1;

	memcpy(want, reply, want_len);
	op_setup(op.xg.req_len);
	cr_assert(rxd_fs_op_try_lcore(&op, &rc));
	cr_assert_eq(rc, want_rc);
	cr_assert_eq(op.xg.reply_len, want_len);
	cr_assert_eq(memcmp(reply, want, want_len), 0);
	cr_assert_eq(op.n_promise, want_promises, "the lcore still promises the callbacks");
	cr_assert_eq(op.promise_bulk, want_bulk);
}

/* The worker lcore's try (fscall.c dispatch): the status reads answered as an I/O thread answers them, the rest
 * left to the I/O threads. */
Test(fs_ops, the_lcore_tries_status_reads_and_answers_them_as_the_io_threads_do)
{
	struct rxd_AFSFid fids[] = {rootfid, mkfile("f", 100), {VID, 1, 77} /* wrong uniquifier */};
	struct rxd_AFSCBFids two = {2, fids}, three = {3, fids};
	struct rxd_xenc e;
	int32_t rc = -1;

	for (size_t i = 0; i < sizeof(fids) / sizeof(fids[0]); i++)
		lcore_answers_alike(RUN(FetchStatus, 0, .Fid = fids[i]));
	cr_assert_eq(RUN(FetchStatus, 0, .Fid = fids[2]), RXD_FS_VNOVNODE);
	lcore_answers_alike(RUN(InlineBulkStatus, 0, .FidsArray = three));
	lcore_answers_alike(RUN(BulkStatus, 0, .FidsArray = two));
	lcore_answers_alike(RUN(BulkStatus, 0, .FidsArray = three));
	cr_assert_eq(RUN(BulkStatus, 0, .FidsArray = three), RXD_FS_VNOVNODE);
	/* a lock the lcore would wait for (here the lock table's, as a SetLock on an I/O thread holds it): the
	 * call goes to an I/O thread, nothing of it answered */
	cr_assert_eq(RUN(InlineBulkStatus, 0, .FidsArray = three), 0);
	cr_assert_eq(pthread_mutex_lock(&srv.lock_mu), 0);
	op_setup(op.xg.req_len);
	cr_assert_not(rxd_fs_op_try_lcore(&op, &rc));
	cr_assert_eq(op.n_promise, 0);
	cr_assert_eq(op.promise_bulk, false);
	cr_assert_eq(pthread_mutex_unlock(&srv.lock_mu), 0);
	cr_assert(rxd_fs_op_try_lcore(&op, &rc));
	cr_assert_eq(rc, 0);
	/* everything else goes to an I/O thread, untouched */
	rxd_xenc_init(&e, req, sizeof(req));
	cr_assert_eq(rxd_RXAFS_FetchData64_enc_req(&e, &(struct rxd_RXAFS_FetchData64_in){.Fid = fids[1], .Length = 1}),
		     0);
	op_setup((size_t)(e.p - req));
	cr_assert_not(rxd_fs_op_try_lcore(&op, &rc));
	cr_assert_eq(op.stream, RXD_FS_STREAM_NONE);
	cr_assert_eq(op.xg.reply_len, 0);
	op_setup(2); /* short of an opcode */
	cr_assert_not(rxd_fs_op_try_lcore(&op, &rc));
}

Test(fs_ops, fetch_data64_clips_the_range_to_the_file)
{
	struct rxd_AFSFid f = mkfile("f", 100);
	uint8_t b[16], b2[16];
	struct iovec iov[2] = {{.iov_base = b, .iov_len = 3}, {.iov_base = b2, .iov_len = 7}};

	cr_assert_eq(RUN(FetchData64, 0, .Fid = f, .Pos = 90, .Length = 50), 0);
	cr_assert_eq(op.stream, RXD_FS_STREAM_FETCH);
	cr_assert(op.wide);
	cr_assert_eq(op.pos, 90);
	cr_assert_eq(op.len, 10);
	cr_assert_eq(rxd_fs_op_fetch_read(&op, 90, iov, 2), 0);
	cr_assert_eq(b[0], (uint8_t)(90 * 7));
	cr_assert_eq(b[2], (uint8_t)(92 * 7));
	cr_assert_eq(b2[0], (uint8_t)(93 * 7)); /* the second iovec goes on where the first ended */
	cr_assert_eq(b2[6], (uint8_t)(99 * 7));
	cr_assert_gt(op.tail_len, 0);
	rxd_fs_op_fetch_end(&op);

	cr_assert_eq(RUN(FetchData64, 0, .Fid = f, .Pos = 500, .Length = 50), 0);
	cr_assert_eq(op.len, 0, "past the end: nothing");
	rxd_fs_op_fetch_end(&op);
	cr_assert_eq(RUN(FetchData, 0, .Fid = f, .Pos = 0, .Length = -5), 0);
	cr_assert_eq(op.len, 0, "a negative length: nothing");
	cr_assert_not(op.wide);
	rxd_fs_op_fetch_end(&op);
}

Test(fs_ops, store_data64_reply_carries_the_new_length_and_version)
{
	struct rxd_AFSFid f = mkfile("s", 0);
	struct rxd_RXAFS_StoreData64_out out;
	struct rxd_AFSStoreStatus ss = {0};

	cr_assert_eq(RUN(StoreData64, 0, .Fid = f, .InStatus = ss, .Pos = 0, .Length = 5, .FileLength = 5), 0);
	cr_assert_eq(op.stream, RXD_FS_STREAM_STORE);
	cr_assert_eq(op.len, 5);
	cr_assert_eq(rxd_fs_store_write(op.wr, "hello", 5), 0);
	cr_assert_eq(rxd_fs_op_store_end(&op, 0), 0);
	cr_assert_null(op.wr);
	DECODE(StoreData64, &out);
	cr_assert_eq(out.OutStatus.Length, 5);
	cr_assert_eq(out.OutStatus.DataVersion, 1);
	cr_assert_eq(out.OutStatus.FileType, RXD_AFS_FILETYPE_FILE);
}

/* OpenAFS holds the vnode lock for a whole FetchData (read) or StoreData (write): here a conflicting
 * stream's begin leaves the op to be run again (RXD_FS_STREAM_WAIT), holding nothing. */
Test(fs_ops, a_store_waits_for_an_open_fetch_and_a_fetch_for_an_open_store)
{
	struct rxd_AFSFid f = mkfile("w", 100);
	struct rxd_fs_op fetch;
	uint8_t b[100];

	cr_assert_eq(RUN(FetchData64, 0, .Fid = f, .Pos = 0, .Length = 100), 0);
	cr_assert_eq(op.stream, RXD_FS_STREAM_FETCH);
	fetch = op;
	cr_assert_eq(RUN(StoreData64, 0, .Fid = f, .InStatus = {0}, .Pos = 0, .Length = 3, .FileLength = 3), 0);
	cr_assert_eq(op.stream, RXD_FS_STREAM_WAIT, "the fetch holds the file");
	cr_assert_null(op.wr);
	cr_assert_eq(op.n_changed, 0);
	cr_assert_eq(rxd_fs_op_fetch_read(&fetch, 0, &(struct iovec){b, 100}, 1), 0);
	cr_assert_eq(b[99], (uint8_t)(99 * 7), "the fetch's bytes are its version's");
	rxd_fs_op_fetch_end(&fetch);

	cr_assert_eq(RUN(StoreData64, 0, .Fid = f, .InStatus = {0}, .Pos = 0, .Length = 3, .FileLength = 3), 0);
	cr_assert_eq(op.stream, RXD_FS_STREAM_STORE, "run again: the file is free");
	{
		struct rxd_fs_op store = op;
		cr_assert_eq(RUN(FetchData64, 0, .Fid = f, .Pos = 0, .Length = 100), 0);
		cr_assert_eq(op.stream, RXD_FS_STREAM_WAIT, "the store holds the file");
		cr_assert_eq(op.n_promise, 0, "nothing promised for a reply not sent");
		cr_assert_eq(rxd_fs_store_write(store.wr, "new", 3), 0);
		cr_assert_eq(rxd_fs_op_store_end(&store, 0), 0);
	}
	cr_assert_eq(RUN(FetchData64, 0, .Fid = f, .Pos = 0, .Length = 100), 0);
	cr_assert_eq(op.stream, RXD_FS_STREAM_FETCH);
	cr_assert_eq(op.len, 3);
	cr_assert_eq(rxd_fs_op_fetch_read(&op, 0, &(struct iovec){b, 3}, 1), 0);
	cr_assert_eq(memcmp(b, "new", 3), 0);
	rxd_fs_op_fetch_end(&op);
}

Test(fs_ops, a_directory_is_not_stored_into)
{
	struct rxd_AFSStoreStatus ss = {0};

	cr_assert_eq(RUN(StoreData64, 0, .Fid = rootfid, .InStatus = ss, .Length = 1, .FileLength = 1), EISDIR);
	cr_assert_eq(op.stream, RXD_FS_STREAM_NONE);
}

Test(fs_ops, inline_bulk_status_answers_bad_fids_in_their_error_code)
{
	struct rxd_AFSFid f = mkfile("b", 3);
	struct rxd_AFSFid fv[3] = {rootfid, f, {VID, 998, 1}};
	struct rxd_RXAFS_InlineBulkStatus_out out;

	cr_assert_eq(RUN(InlineBulkStatus, 0, .FidsArray = {3, fv}), 0);
	DECODE(InlineBulkStatus, &out);
	cr_assert_eq(out.StatArray.len, 3);
	cr_assert_eq(out.CBArray.len, 3);
	cr_assert_eq(out.StatArray.val[1].Length, 3);
	cr_assert_eq(out.StatArray.val[1].errorCode, 0);
	cr_assert_eq(out.StatArray.val[2].errorCode, RXD_FS_VNOVNODE);
	cr_assert_eq(out.StatArray.val[2].InterfaceVersion, 0, "OpenAFS leaves a failed entry's status empty");
	cr_assert_eq(out.CBArray.val[2].CallBackVersion, 0);
	cr_assert_eq(RUN(BulkStatus, 0, .FidsArray = {3, fv}), RXD_FS_VNOVNODE, "BulkStatus fails whole");
}

Test(fs_ops, locks_share_reads_exclude_writes_and_show_in_the_status)
{
	struct rxd_AFSFid f = mkfile("l", 1);
	struct rxd_RXAFS_FetchStatus_out out;

	cr_assert_eq(RUN(SetLock, 0, .Fid = f, .Type = RXD_LockRead), 0);
	cr_assert_eq(RUN(SetLock, 0, .Fid = f, .Type = RXD_LockRead), 0);
	cr_assert_eq(RUN(SetLock, 0, .Fid = f, .Type = RXD_LockWrite), EWOULDBLOCK);
	cr_assert_eq(RUN(FetchStatus, 0, .Fid = f), 0);
	DECODE(FetchStatus, &out);
	cr_assert_eq(out.OutStatus.lockCount, 2);
	cr_assert_eq(RUN(ReleaseLock, 0, .Fid = f), 0);
	cr_assert_eq(RUN(ReleaseLock, 0, .Fid = f), 0);
	cr_assert_eq(RUN(ReleaseLock, 0, .Fid = f), EINVAL);
	cr_assert_eq(RUN(ExtendLock, 0, .Fid = f), EINVAL);
	cr_assert_eq(RUN(SetLock, 0, .Fid = f, .Type = RXD_LockWrite), 0);
	cr_assert_eq(RUN(SetLock, 0, .Fid = f, .Type = RXD_LockRead), EWOULDBLOCK);
	cr_assert_eq(RUN(FetchStatus, 0, .Fid = f), 0);
	DECODE(FetchStatus, &out);
	cr_assert_eq(out.OutStatus.lockCount, UINT32_MAX, "a writer is -1");
	cr_assert_eq(RUN(ExtendLock, 0, .Fid = f), 0);
	cr_assert_eq(RUN(SetLock, 0, .Fid = f, .Type = 7), EINVAL);
	cr_assert_eq(RUN(SetLock, 0, .Fid = {VID, 996, 1}, .Type = RXD_LockRead), RXD_FS_VNOVNODE);
}

Test(fs_ops, fetch_acl_and_volume_status)
{
	struct rxd_RXAFS_FetchACL_out acl;
	struct rxd_RXAFS_GetVolumeStatus_out vs;

	cr_assert_eq(RUN(FetchACL, 0, .Fid = rootfid), 0);
	DECODE(FetchACL, &acl);
	cr_assert_gt(acl.AccessList.len, 1);
	cr_assert_eq(acl.AccessList.val[acl.AccessList.len - 1], 0, "sent with its NUL, as OpenAFS");
	cr_assert_not_null(strstr((const char *)acl.AccessList.val, "system:anyuser"));
	cr_assert_eq(RUN(GetVolumeStatus, 0, .Volumeid = (int32_t)VID), 0);
	DECODE(GetVolumeStatus, &vs);
	cr_assert_eq((uint32_t)vs.Volumestatus.Vid, VID);
	cr_assert_str_eq(vs.Name, "root.cell");
	cr_assert_eq(RUN(GetVolumeStatus, 0, .Volumeid = 77), RXD_FS_VNOVOL);
}

Test(fs_ops, the_lcore_answers_time_capabilities_and_unknown_opcodes)
{
	struct rxd_RXAFS_GetCapabilities_out caps;

	cr_assert_eq(RUN0(GetCapabilities, 1), 0);
	DECODE(GetCapabilities, &caps);
	cr_assert_eq(caps.capabilities.len, 1);
	cr_assert_eq(caps.capabilities.val[0], RXD_VICED_CAPABILITY_64BITFILES,
		     "no ERRORTRANS: errors are not translated");
	cr_assert_eq(RUN0(GetTime, 1), 0);
	cr_assert_eq(RUN0(GiveUpAllCallBacks, 1), 0);
	cr_assert_not(rxd_fs_op_on_io_thread(RXD_OP_RXAFS_GetTime));
	cr_assert_eq(RUN(StoreACL, 1, .Fid = rootfid), RXD_RXGEN_OPCODE, "the I/O threads' (it changes the store)");
	cr_assert_eq(RUN(FetchStatus, 1, .Fid = rootfid), RXD_RXGEN_OPCODE,
		     "the store's operations are not the lcore's");
	/* every served store operation goes to the I/O threads, and only those */
	for (size_t i = 0; i < sizeof(rxd_RXAFS_procs) / sizeof(rxd_RXAFS_procs[0]); i++) {
		uint32_t opc = rxd_RXAFS_procs[i].opcode;
		bool lcore = opc == RXD_OP_RXAFS_GetTime || opc == RXD_OP_RXAFS_GetCapabilities ||
			     opc == RXD_OP_RXAFS_GiveUpCallBacks || opc == RXD_OP_RXAFS_GiveUpAllCallBacks ||
			     opc == RXD_OP_RXAFS_SetVolumeStatus;
		cr_assert_eq(rxd_fs_op_on_io_thread(opc), !lcore, "%s", rxd_RXAFS_procs[i].name);
	}
}

Test(fs_ops, namespace_errors_are_openafs_codes)
{
	struct rxd_AFSStoreStatus ss = {.Mask = RXD_AFS_SETMODE, .UnixModeBits = 0755};
	struct rxd_RXAFS_MakeDir_out md;

	mkfile("x", 0);
	cr_assert_eq(RUN(CreateFile, 0, .DirFid = rootfid, .Name = "x", .InStatus = ss), EEXIST);
	cr_assert_eq(RUN(RemoveFile, 0, .DirFid = rootfid, .Name = "nope"), ENOENT);
	cr_assert_eq(RUN(MakeDir, 0, .DirFid = rootfid, .Name = "d", .InStatus = ss), 0);
	DECODE(MakeDir, &md);
	cr_assert_eq(md.OutFidStatus.FileType, RXD_AFS_FILETYPE_DIRECTORY);
	cr_assert_eq(md.OutFidStatus.ParentVnode, 1);
	cr_assert_eq(md.CallBack.CallBackType, RXD_CB_SHARED);
	cr_assert_eq(RUN(RemoveFile, 0, .DirFid = rootfid, .Name = "d"), EISDIR);
	cr_assert_eq(RUN(RemoveDir, 0, .DirFid = rootfid, .Name = "x"), ENOTDIR);
	cr_assert_eq(RUN(Rename, 0, .OldDirFid = rootfid, .OldName = "d", .NewDirFid = md.OutFid, .NewName = "in"),
		     RXD_FS_ELOOP);
	cr_assert_eq(RUN(Symlink, 0, .DirFid = rootfid, .Name = "s", .LinkContents = "x", .InStatus = ss), 0);
	cr_assert_eq(RUN(RemoveDir, 0, .DirFid = rootfid, .Name = "d"), 0);
}

static void setup_none(void)
{
	open_as(RXD_FS_ANON_WRITE, RXD_FS_ANON_NONE);
}

Test(fs_ops_anon, anonymous_none_refuses_every_store_operation, .init = setup_none, .fini = teardown)
{
	struct rxd_AFSStoreStatus ss = {0};

	cr_assert_eq(RUN(FetchStatus, 0, .Fid = rootfid), EACCES);
	cr_assert_eq(RUN(FetchData64, 0, .Fid = rootfid, .Length = 10), EACCES);
	cr_assert_eq(RUN(CreateFile, 0, .DirFid = rootfid, .Name = "n", .InStatus = ss), EACCES);
	cr_assert_eq(RUN(FetchACL, 0, .Fid = rootfid), EACCES);
	cr_assert_eq(RUN(GetVolumeStatus, 0, .Volumeid = (int32_t)VID), EACCES);
	cr_assert_eq(RUN0(GetTime, 1), 0, "the lcore's answers need no rights");
}

static void setup_read(void)
{
	open_as(RXD_FS_ANON_WRITE, RXD_FS_ANON_READ);
}

Test(fs_ops_anon, anonymous_read_reads_and_refuses_changes, .init = setup_read, .fini = teardown)
{
	struct rxd_RXAFS_FetchStatus_out out;
	struct rxd_AFSStoreStatus ss = {0};

	cr_assert_eq(RUN(FetchStatus, 0, .Fid = rootfid), 0);
	DECODE(FetchStatus, &out);
	cr_assert_eq(out.OutStatus.CallerAccess, RXD_FS_READ | RXD_FS_LOOKUP);
	cr_assert_eq(out.OutStatus.AnonymousAccess, RXD_FS_READ | RXD_FS_LOOKUP);
	cr_assert_eq(RUN(FetchData64, 0, .Fid = rootfid, .Length = 10), 0, "a listing needs lookup");
	rxd_fs_op_fetch_end(&op);
	cr_assert_eq(RUN(CreateFile, 0, .DirFid = rootfid, .Name = "n", .InStatus = ss), EACCES);
	cr_assert_eq(RUN(MakeDir, 0, .DirFid = rootfid, .Name = "n", .InStatus = ss), EACCES);
	cr_assert_eq(RUN(StoreStatus, 0, .Fid = rootfid, .InStatus = ss), EACCES);
	cr_assert_eq(RUN(SetLock, 0, .Fid = rootfid, .Type = RXD_LockRead), EACCES);
}

static void setup_acl_read(void)
{
	open_as(RXD_FS_ANON_READ, RXD_FS_ANON_WRITE);
}

Test(fs_ops_anon, the_volume_acl_bounds_the_policy, .init = setup_acl_read, .fini = teardown)
{
	struct rxd_AFSStoreStatus ss = {0};

	cr_assert_eq(RUN(CreateFile, 0, .DirFid = rootfid, .Name = "n", .InStatus = ss), EACCES,
		     "system:anyuser has rl on the volume: --anonymous write does not widen it");
}

/* ------------------------------------------------------------------ callbacks: what the lcore is asked to do */

static bool afid_eq(const struct rxd_AFSFid *a, const struct rxd_AFSFid *b)
{
	return a->Volume == b->Volume && a->Vnode == b->Vnode && a->Unique == b->Unique;
}

/* A distinctive callback for entry i, which no fsops default equals. */
static struct rxd_AFSCallBack mark_cb(uint32_t i)
{
	return (struct rxd_AFSCallBack){RXD_CALLBACK_VERSION, 1000 + i, i % 2 ? RXD_CB_DROPPED : RXD_CB_EXCLUSIVE};
}

static void patch_all(void)
{
	for (uint32_t i = 0; i < op.n_promise; i++) {
		struct rxd_AFSCallBack c = mark_cb(i);
		cr_assert_eq(rxd_fs_op_set_callback(&op, i, &c), 0);
	}
	cr_assert_eq(rxd_fs_op_set_callback(&op, op.n_promise, &(struct rxd_AFSCallBack){0}), -EINVAL);
}

static void assert_cb(const struct rxd_AFSCallBack *got, uint32_t i)
{
	struct rxd_AFSCallBack want = mark_cb(i);

	cr_assert_eq(got->CallBackVersion, want.CallBackVersion, "entry %u", i);
	cr_assert_eq(got->ExpirationTime, want.ExpirationTime, "entry %u", i);
	cr_assert_eq(got->CallBackType, want.CallBackType, "entry %u", i);
}

/* The lcore overwrites the encoded AFSCallBacks (fsops.h rxd_fs_op_set_callback): decoding the patched reply with
 * the generated decoder finds them in their fields and every other field as dispatch encoded it. */
Test(fs_ops, promised_callbacks_are_patched_where_the_generated_encoder_put_them)
{
	struct rxd_AFSStoreStatus ss = {.Mask = RXD_AFS_SETMODE, .UnixModeBits = 0644};
	struct rxd_AFSFid f = mkfile("p", 10);
	struct rxd_AFSFid fv[3] = {f, {VID, 998, 1}, rootfid};
	struct rxd_RXAFS_FetchStatus_out fs, fs0;
	struct rxd_RXAFS_CreateFile_out cf;
	struct rxd_RXAFS_MakeDir_out md;
	struct rxd_RXAFS_InlineBulkStatus_out ib;
	struct rxd_RXAFS_BulkStatus_out bs;
	struct rxd_RXAFS_FetchData64_out fd;
	struct rxd_xdec d;

	cr_assert_eq(RUN(FetchStatus, 0, .Fid = f), 0);
	cr_assert_eq(op.n_promise, 1);
	cr_assert(afid_eq(&op.promise[0], &f) && op.promise_ok[0] && !op.promise_bulk);
	DECODE(FetchStatus, &fs0);
	patch_all();
	DECODE(FetchStatus, &fs);
	assert_cb(&fs.CallBack, 0);
	cr_assert_eq(memcmp(&fs.OutStatus, &fs0.OutStatus, sizeof(fs.OutStatus)), 0);
	cr_assert_eq(memcmp(&fs.Sync, &fs0.Sync, sizeof(fs.Sync)), 0);

	cr_assert_eq(RUN(CreateFile, 0, .DirFid = rootfid, .Name = "pc", .InStatus = ss), 0);
	cr_assert_eq(op.n_promise, 1);
	patch_all();
	DECODE(CreateFile, &cf);
	cr_assert(afid_eq(&op.promise[0], &cf.OutFid), "the new fid is promised");
	assert_cb(&cf.CallBack, 0);
	cr_assert_eq(cf.OutFidStatus.FileType, RXD_AFS_FILETYPE_FILE);
	cr_assert_neq(cf.Sync.spare1, 0);

	cr_assert_eq(RUN(MakeDir, 0, .DirFid = rootfid, .Name = "pd", .InStatus = ss), 0);
	patch_all();
	DECODE(MakeDir, &md);
	cr_assert(afid_eq(&op.promise[0], &md.OutFid));
	assert_cb(&md.CallBack, 0);
	cr_assert_eq(md.OutFidStatus.FileType, RXD_AFS_FILETYPE_DIRECTORY);

	cr_assert_eq(RUN(Symlink, 0, .DirFid = rootfid, .Name = "ps", .LinkContents = "p", .InStatus = ss), 0);
	cr_assert_eq(op.n_promise, 0, "Symlink's reply carries no callback");

	cr_assert_eq(RUN(InlineBulkStatus, 0, .FidsArray = {3, fv}), 0);
	cr_assert_eq(op.n_promise, 3);
	cr_assert(op.promise_bulk);
	cr_assert(op.promise_ok[0] && !op.promise_ok[1] && op.promise_ok[2], "a failed fid is not promised");
	cr_assert(afid_eq(&op.promise[2], &rootfid));
	patch_all();
	DECODE(InlineBulkStatus, &ib);
	cr_assert_eq(ib.CBArray.len, 3);
	for (uint32_t i = 0; i < 3; i++)
		assert_cb(&ib.CBArray.val[i], i);
	cr_assert_eq(ib.StatArray.val[0].Length, 10);
	cr_assert_eq(ib.StatArray.val[1].errorCode, RXD_FS_VNOVNODE);
	cr_assert_neq(ib.Sync.spare1, 0);

	fv[1] = f;
	cr_assert_eq(RUN(BulkStatus, 0, .FidsArray = {2, fv}), 0);
	patch_all();
	DECODE(BulkStatus, &bs);
	assert_cb(&bs.CBArray.val[0], 0);
	assert_cb(&bs.CBArray.val[1], 1);
	cr_assert_eq(bs.StatArray.val[1].Length, 10);

	/* FetchData64: the callback is in the OUT args sent after the bytes (op.tail) */
	cr_assert_eq(RUN(FetchData64, 0, .Fid = f, .Pos = 0, .Length = 10), 0);
	cr_assert_eq(op.n_promise, 1);
	patch_all();
	rxd_xdec_init(&d, op.tail, op.tail_len, out_arena, sizeof(out_arena));
	cr_assert_eq(rxd_RXAFS_FetchData64_dec_out(&d, &fd), 0);
	assert_cb(&fd.CallBack, 0);
	cr_assert_eq(fd.OutStatus.Length, 10);
	cr_assert_neq(fd.Sync.spare1, 0);
	rxd_fs_op_fetch_end(&op);
}

static void assert_changed(uint32_t n, const struct rxd_AFSFid *fids, const bool *named)
{
	cr_assert_eq(op.n_changed, n);
	for (uint32_t i = 0; i < n; i++) {
		cr_assert(afid_eq(&op.changed[i].fid, &fids[i]), "change %u: %u.%u.%u", i, op.changed[i].fid.Volume,
			  op.changed[i].fid.Vnode, op.changed[i].fid.Unique);
		cr_assert_eq(op.changed[i].named, named[i], "change %u", i);
	}
}

/* Which of the changed fids are gone (their promises are dropped without a break). */
static void assert_gone(const bool *gone)
{
	for (uint32_t i = 0; i < op.n_changed; i++)
		cr_assert_eq(op.changed[i].gone, gone[i], "change %u gone", i);
}

/* Every committed change names the fids whose promises break; a fid the caller did not name breaks for
 * everyone (named false), as OpenAFS's BreakCallBack(host, fid, 1). */
Test(fs_ops, changes_name_the_fids_whose_promises_break)
{
	struct rxd_AFSStoreStatus ss = {.Mask = RXD_AFS_SETMODE, .UnixModeBits = 0755};
	struct rxd_AFSFid f = mkfile("c", 0), g = mkfile("g", 0), t = mkfile("t", 0);
	struct rxd_RXAFS_MakeDir_out md;

	cr_assert_eq(RUN(FetchStatus, 0, .Fid = f), 0);
	cr_assert_eq(op.n_changed, 0, "a read changes nothing");

	cr_assert_eq(RUN(StoreStatus, 0, .Fid = f, .InStatus = ss), 0);
	assert_changed(1, &f, (bool[]){true});

	cr_assert_eq(RUN(StoreData64, 0, .Fid = f, .InStatus = {0}, .Pos = 0, .Length = 2, .FileLength = 2), 0);
	cr_assert_eq(op.n_changed, 0, "nothing changed before the end");
	cr_assert_eq(rxd_fs_store_write(op.wr, "hi", 2), 0);
	cr_assert_eq(rxd_fs_op_store_end(&op, 0), 0);
	assert_changed(1, &f, (bool[]){true});
	/* a store that failed midway changed the file too (truncated, bytes in place): everyone's promise breaks */
	cr_assert_eq(RUN(StoreData64, 0, .Fid = f, .InStatus = {0}, .Pos = 0, .Length = 4, .FileLength = 4), 0);
	cr_assert_eq(rxd_fs_store_write(op.wr, "ab", 2), 0);
	cr_assert_eq(rxd_fs_op_store_end(&op, EIO), EIO);
	assert_changed(1, &f, (bool[]){false});

	cr_assert_eq(RUN(MakeDir, 0, .DirFid = rootfid, .Name = "cd", .InStatus = ss), 0);
	DECODE(MakeDir, &md);
	assert_changed(1, &rootfid, (bool[]){true});

	cr_assert_eq(RUN(Link, 0, .DirFid = rootfid, .Name = "c2", .ExistingFid = f), 0);
	assert_changed(2, (struct rxd_AFSFid[]){rootfid, f}, (bool[]){true, true});

	cr_assert_eq(RUN(RemoveFile, 0, .DirFid = rootfid, .Name = "c2"), 0);
	assert_changed(2, (struct rxd_AFSFid[]){rootfid, f}, (bool[]){true, false});
	assert_gone((bool[]){false, false}); /* "c" still links it: its promises break */

	/* a file renamed over another in the same directory: the directory, and the replaced target */
	cr_assert_eq(RUN(Rename, 0, .OldDirFid = rootfid, .OldName = "g", .NewDirFid = rootfid, .NewName = "t"), 0);
	assert_changed(2, (struct rxd_AFSFid[]){rootfid, t}, (bool[]){true, false});
	assert_gone((bool[]){false, true}); /* OpenAFS: DeleteFileCallBacks on the replaced target */
	(void)g;

	/* a directory moved to another directory: both directories, and the moved one (its .. changed) */
	cr_assert_eq(RUN(MakeDir, 0, .DirFid = rootfid, .Name = "mv", .InStatus = ss), 0);
	{
		struct rxd_RXAFS_MakeDir_out mv;
		DECODE(MakeDir, &mv);
		cr_assert_eq(
		    RUN(Rename, 0, .OldDirFid = rootfid, .OldName = "mv", .NewDirFid = md.OutFid, .NewName = "mv"), 0);
		assert_changed(3, (struct rxd_AFSFid[]){rootfid, md.OutFid, mv.OutFid}, (bool[]){true, true, false});
		cr_assert_eq(RUN(RemoveDir, 0, .DirFid = md.OutFid, .Name = "mv"), 0);
		assert_changed(2, (struct rxd_AFSFid[]){md.OutFid, mv.OutFid}, (bool[]){true, false});
		assert_gone((bool[]){false, true});
	}
	cr_assert_eq(RUN(RemoveFile, 0, .DirFid = rootfid, .Name = "c"), 0);
	assert_changed(2, (struct rxd_AFSFid[]){rootfid, f}, (bool[]){true, false});
	assert_gone((bool[]){false, true}); /* its last link: dropped, no break (SAFSS_RemoveFile) */

	cr_assert_eq(RUN(RemoveFile, 0, .DirFid = rootfid, .Name = "nope"), ENOENT);
}

Test(fs_ops, give_ups_are_left_for_the_lcore)
{
	struct rxd_AFSFid fv[2] = {rootfid, {VID, 2, 7}};
	struct rxd_AFSCallBack cv[2] = {{1, 0, 2}, {1, 0, 2}};

	cr_assert_eq(RUN(GiveUpCallBacks, 1, .Fids_Array = {2, fv}, .CallBacks_Array = {2, cv}), 0);
	cr_assert_eq(op.give_up, RXD_FS_GIVE_UP_FIDS);
	cr_assert_eq(op.give_up_fids->len, 2);
	cr_assert(afid_eq(&op.give_up_fids->val[1], &fv[1]));
	cr_assert_eq(RUN0(GiveUpAllCallBacks, 1), 0);
	cr_assert_eq(op.give_up, RXD_FS_GIVE_UP_ALL);
	cr_assert_eq(RUN0(GetTime, 1), 0);
	cr_assert_eq(op.give_up, RXD_FS_GIVE_UP_NONE);
}

/* ------------------------------------------------------------------ authenticated callers and ACLs */

#define ALICE 1001
#define BOB 1002
#define ROOTY 1003

/* Served with --anonymous none and a user table: alice, bob, and rooty in system:administrators. */
static void setup_users(void)
{
	char path[96], err[200];
	FILE *f;

	open_as(RXD_FS_ANON_READ, RXD_FS_ANON_NONE);
	snprintf(path, sizeof(path), "%s/users", root);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "# name id groups\nalice 1001 staff\nbob 1002\nrooty 1003 system:administrators\nstaff -210\n"
		   "carol@other.cell 1004\n");
	fclose(f);
	cr_assert_eq(rxd_fs_users_load(path, (struct rxd_fs_users **)&srv.users, err, sizeof(err)), 0, "%s", err);
	srv.local_realm = "EXAMPLE.ORG";
}

static void as_user(const char *name, const char *realm)
{
	memset(&who, 0, sizeof(who));
	who.authenticated = true;
	snprintf(who.name, sizeof(who.name), "%s", name);
	snprintf(who.cell, sizeof(who.cell), "%s", realm);
}

static int32_t store_acl(const char *text)
{
	struct rxd_AFSOpaque o = {.len = (uint32_t)strlen(text) + 1, .val = (uint8_t *)text};

	return RUN(StoreACL, 0, .Fid = rootfid, .AccessList = o);
}

static struct rxd_AFSFid create_as_caller(const char *name, struct rxd_RXAFS_CreateFile_out *out)
{
	struct rxd_AFSStoreStatus ss = {.Mask = RXD_AFS_SETMODE, .UnixModeBits = 0444};

	cr_assert_eq(RUN(CreateFile, 0, .DirFid = rootfid, .Name = (char *)name, .InStatus = ss), 0, "create %s", name);
	DECODE(CreateFile, out);
	return out->OutFid;
}

TestSuite(fs_ops_auth, .init = setup_users, .fini = teardown);

/* The ticket's name maps to the AFS id: a local realm's without "@realm", another's with it; unknown names and
 * unauthenticated callers are anonymous (system:anyuser only). */
Test(fs_ops_auth, caller_resolves_to_id_and_cps)
{
	struct rxd_fs_caller c;

	as_user("alice", "example.org");
	rxd_fs_caller_resolve(&srv, &who, &c);
	cr_assert_eq(c.id, ALICE);
	cr_assert(c.authenticated);
	cr_assert_eq(c.ncps, 4, "alice, staff, anyuser, authuser");
	cr_assert_eq(c.cps[1], -210);
	as_user("carol", "OTHER.CELL");
	rxd_fs_caller_resolve(&srv, &who, &c);
	cr_assert_eq(c.id, 1004);
	as_user("alice", "OTHER.CELL");
	rxd_fs_caller_resolve(&srv, &who, &c);
	cr_assert_eq(c.id, RXD_FS_ANON_USER_ID, "alice@other.cell is not alice");
	cr_assert_not(c.authenticated);
	cr_assert_eq(c.ncps, 1);
	cr_assert_eq(c.cps[0], RXD_FS_ANYUSER_ID);
	memset(&who, 0, sizeof(who));
	rxd_fs_caller_resolve(&srv, &who, &c);
	cr_assert_eq(c.id, RXD_FS_ANON_USER_ID);
}

/* Anonymous is refused where an authenticated user the ACL names may create; the new file is the caller's, its
 * status says so and gives the owner administer; the owner may write it although its mode is 0444. */
Test(fs_ops_auth, authenticated_create_owns_the_file)
{
	struct rxd_AFSStoreStatus ss = {0};
	struct rxd_RXAFS_CreateFile_out out;
	struct rxd_RXAFS_StoreData64_out sd;

	cr_assert_eq(RUN(CreateFile, 0, .DirFid = rootfid, .Name = "n", .InStatus = ss), EACCES);
	as_user("rooty", "");
	cr_assert_eq(store_acl("2\n0\nsystem:administrators\t127\nalice\t15\n"), 0, "an administrator stores the ACL");
	as_user("alice", "");
	create_as_caller("mine", &out);
	cr_assert_eq(out.OutFidStatus.Owner, ALICE);
	cr_assert_eq(out.OutFidStatus.Author, ALICE);
	cr_assert_eq(out.OutFidStatus.CallerAccess, 15u | RXD_FS_ADMINISTER);
	cr_assert_eq(out.OutFidStatus.AnonymousAccess, 0);
	cr_assert_eq(out.OutDirStatus.CallerAccess, 15u);
	cr_assert_eq(RUN(StoreData64, 0, .Fid = out.OutFid, .Pos = 0, .Length = 0, .FileLength = 0, .InStatus = ss), 0);
	cr_assert_eq(rxd_fs_op_store_end(&op, 0), 0);
	{
		struct rxd_xdec d;
		rxd_xdec_init(&d, reply, op.xg.reply_len, out_arena, sizeof(out_arena));
		cr_assert_eq(rxd_RXAFS_StoreData64_dec_out(&d, &sd), 0);
	}
	cr_assert_eq(sd.OutStatus.Owner, ALICE);
	as_user("bob", "");
	cr_assert_eq(RUN(FetchStatus, 0, .Fid = out.OutFid), EACCES, "bob is not on the ACL");
	cr_assert_eq(RUN(CreateFile, 0, .DirFid = rootfid, .Name = "b", .InStatus = ss), EACCES, "no insert right");
}

/* StoreACL then FetchACL: names in, the same names out (acl_Externalize), sorted by id; FetchACL of a file is its
 * directory's; bad text, unknown names and more than 20 entries are EINVAL. */
/* The lcore judges callers as the I/O threads do (CallerAccess from the ACL and the user table); a caller whose CPS
 * only a ptserver can tell (it may block) is left to an I/O thread. */
Test(fs_ops_auth, the_lcore_answers_status_for_the_callers_the_io_threads_would)
{
	struct rxd_AFSCBFids one = {1, (struct rxd_AFSFid *)&rootfid};
	int32_t rc = -1;

	as_user("rooty", "");
	cr_assert_eq(store_acl("2\n0\nalice\t127\nbob\t1\n"), 0);
	as_user("alice", "");
	lcore_answers_alike(RUN(FetchStatus, 0, .Fid = rootfid));
	as_user("bob", "");
	lcore_answers_alike(RUN(InlineBulkStatus, 0, .FidsArray = one));
	memset(&who, 0, sizeof(who)); /* anonymous, under --anonymous none: refused alike */
	lcore_answers_alike(RUN(FetchStatus, 0, .Fid = rootfid));
	cr_assert_eq(RUN(FetchStatus, 0, .Fid = rootfid), EACCES);
	srv.pr = (struct rxd_fs_pr *)&srv;			  /* --ptserver: never called here */
	lcore_answers_alike(RUN(FetchStatus, 0, .Fid = rootfid)); /* anonymous needs no ptserver */
	as_user("alice", "");
	op_setup(op.xg.req_len);
	cr_assert_not(rxd_fs_op_try_lcore(&op, &rc));
	srv.pr = NULL;
}

Test(fs_ops_auth, store_acl_then_fetch_acl_round_trip)
{
	struct rxd_RXAFS_FetchACL_out fa;
	struct rxd_RXAFS_CreateFile_out out;
	char many[2048] = "21\n0\n";

	as_user("rooty", "");
	cr_assert_eq(store_acl("3\n1\nsystem:anyuser\t9\nalice\t127\nsystem:administrators\t127\nbob\t4\n"), 0);
	cr_assert_eq(RUN(FetchACL, 0, .Fid = rootfid), 0);
	DECODE(FetchACL, &fa);
	cr_assert_str_eq((const char *)fa.AccessList.val,
			 "3\n1\nsystem:administrators\t127\nsystem:anyuser\t9\nalice\t127\nbob\t4\n");
	cr_assert_eq(fa.AccessList.len, strlen((const char *)fa.AccessList.val) + 1, "sent with its NUL");
	create_as_caller("f", &out);
	cr_assert_eq(RUN(FetchACL, 0, .Fid = out.OutFid), 0);
	DECODE(FetchACL, &fa);
	cr_assert(strstr((const char *)fa.AccessList.val, "alice\t127\n"));
	cr_assert_eq(store_acl("1\n0\nnobody\t1\n"), EINVAL);
	cr_assert_eq(store_acl("1\n0\nalice\n"), EINVAL);
	cr_assert_eq(store_acl("x"), EINVAL);
	for (int i = 0; i < 21; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%d\t1\n", 2000 + i);
	cr_assert_eq(store_acl(many), EINVAL, "ACL_MAXENTRIES is 20");
	cr_assert_eq(RUN(StoreACL, 0, .Fid = out.OutFid, .AccessList = {.len = 5, .val = (uint8_t *)"0\n0\n"}),
		     ENOTDIR);
}

/* Administer: without it (and not the volume's owner, not an administrator) StoreACL is EACCES; a negative entry
 * takes rights away from a group member. */
Test(fs_ops_auth, store_acl_needs_administer_and_negative_rights_subtract)
{
	struct rxd_RXAFS_FetchStatus_out st_out;
	struct rxd_AFSStoreStatus ss = {0};

	as_user("rooty", "");
	cr_assert_eq(store_acl("2\n1\nstaff\t31\nbob\t127\nalice\t4\n"), 0);
	as_user("alice", "");
	cr_assert_eq(store_acl("0\n0\n"), EACCES);
	cr_assert_eq(RUN(FetchStatus, 0, .Fid = rootfid), 0);
	DECODE(FetchStatus, &st_out);
	cr_assert_eq(st_out.OutStatus.CallerAccess, 31u & ~RXD_FS_INSERT, "staff's rlidw less the negative i");
	cr_assert_eq(RUN(CreateFile, 0, .DirFid = rootfid, .Name = "x", .InStatus = ss), EACCES);
	as_user("bob", "");
	cr_assert_eq(store_acl("1\n0\nbob\t127\n"), 0, "bob holds administer");
	memset(&who, 0, sizeof(who));
	cr_assert_eq(RUN(FetchStatus, 0, .Fid = rootfid), EACCES, "anonymous: system:anyuser is not on the ACL");
}

/* A non-administrator may not give a file away: EPERM, as OpenAFS answers a chown. */
Test(fs_ops_auth, chown_by_a_user_is_eperm)
{
	struct rxd_AFSStoreStatus chown = {.Mask = RXD_AFS_SETOWNER, .Owner = BOB};
	struct rxd_RXAFS_CreateFile_out out;

	as_user("rooty", "");
	cr_assert_eq(store_acl("1\n0\nalice\t127\n"), 0);
	as_user("alice", "");
	create_as_caller("g", &out);
	cr_assert_eq(RUN(StoreStatus, 0, .Fid = out.OutFid, .InStatus = chown), EPERM);
	as_user("rooty", "");
	cr_assert_eq(RUN(StoreStatus, 0, .Fid = out.OutFid, .InStatus = chown), 0);
}
