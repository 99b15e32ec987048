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
	rxd_fs_srv_fini(&srv);
	rxd_fs_store_close(st);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Run the request in req[0..len) on the I/O-thread path (lcore: the lcore path). */
static int32_t run_req(size_t len, bool lcore)
{
	memset(&op, 0, sizeof(op));
	op.srv = &srv;
	op.xg = (struct rxd_xg_call){.req = req,
				     .req_len = len,
				     .reply = reply,
				     .reply_cap = sizeof(reply),
				     .arena = arena,
				     .arena_cap = sizeof(arena)};
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

Test(fs_ops, fetch_data64_clips_the_range_to_the_file)
{
	struct rxd_AFSFid f = mkfile("f", 100);
	uint8_t b[16];

	cr_assert_eq(RUN(FetchData64, 0, .Fid = f, .Pos = 90, .Length = 50), 0);
	cr_assert_eq(op.stream, RXD_FS_STREAM_FETCH);
	cr_assert(op.wide);
	cr_assert_eq(op.pos, 90);
	cr_assert_eq(op.len, 10);
	cr_assert_eq(rxd_fs_op_fetch_read(&op, 90, b, 10), 0);
	cr_assert_eq(b[0], (uint8_t)(90 * 7));
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
	cr_assert_eq(RUN(StoreACL, 1, .Fid = rootfid), RXD_RXGEN_OPCODE, "not served");
	cr_assert_eq(RUN(FetchStatus, 1, .Fid = rootfid), RXD_RXGEN_OPCODE,
		     "the store's operations are not the lcore's");
	/* every served store operation goes to the I/O threads, and only those */
	for (size_t i = 0; i < sizeof(rxd_RXAFS_procs) / sizeof(rxd_RXAFS_procs[0]); i++) {
		uint32_t opc = rxd_RXAFS_procs[i].opcode;
		bool lcore = opc == RXD_OP_RXAFS_GetTime || opc == RXD_OP_RXAFS_GetCapabilities ||
			     opc == RXD_OP_RXAFS_GiveUpCallBacks || opc == RXD_OP_RXAFS_GiveUpAllCallBacks ||
			     opc == RXD_OP_RXAFS_StoreACL || opc == RXD_OP_RXAFS_SetVolumeStatus;
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
