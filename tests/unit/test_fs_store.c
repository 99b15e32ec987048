/* The fileserver's volume store (app/fileserver/store.c): every operation
 * with the codes OpenAFS's fileserver answers, durability across a reopen
 * without a clean close, concurrency and large files. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "afsdir.h"
#include "journal.h"
#include "store.h"

#define VID 536870912u
#define USER 1000u

static char root[64];
static struct rxd_fs_store *st;
static const struct rxd_fs_fid rootfid = {VID, 1, 1};
static const struct rxd_fs_setattr mode644 = {.mask = RXD_FS_SETMODE, .mode = 0644};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/rxd_fs_store.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	cr_assert_eq(rxd_fs_store_open(root, 0, &st), 0);
	cr_assert_eq(rxd_fs_volume_create(st, VID, "root.cell", USER, RXD_FS_READ | RXD_FS_LOOKUP), 0);
}

static void teardown(void)
{
	rxd_fs_store_close(st);
	st = NULL;
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void reopen(void)
{
	rxd_fs_store_close(st);
	cr_assert_eq(rxd_fs_store_open(root, 0, &st), 0);
}

static struct rxd_fs_fid mkfile(const struct rxd_fs_fid *dir, const char *name)
{
	struct rxd_fs_fid f;

	cr_assert_eq(rxd_fs_create_file(st, dir, name, USER, &mode644, &f, NULL, NULL), 0, "create %s", name);
	return f;
}

static struct rxd_fs_fid mkdir_(const struct rxd_fs_fid *dir, const char *name)
{
	struct rxd_fs_fid f;

	cr_assert_eq(rxd_fs_make_dir(st, dir, name, USER, NULL, &f, NULL, NULL), 0, "mkdir %s", name);
	return f;
}

static void put(const struct rxd_fs_fid *f, uint64_t pos, const char *s)
{
	struct rxd_fs_status x;
	size_t n = strlen(s);

	cr_assert_eq(rxd_fs_fetch_status(st, f, &x), 0);
	cr_assert_eq(rxd_fs_store_data(st, f, USER, NULL, pos, s, n, x.length, NULL), 0);
}

static size_t get(const struct rxd_fs_fid *f, uint64_t off, char *buf, size_t n)
{
	size_t got;

	cr_assert_eq(rxd_fs_read(st, f, off, buf, n, &got, NULL), 0);
	return got;
}

/* The directory blob as a client fetches it, validated as kafs would. */
static void load_dir(const struct rxd_fs_fid *f, struct rxd_afsdir *d)
{
	struct rxd_fs_status s;
	uint8_t *b;
	size_t got;
	const char *why = NULL;

	cr_assert_eq(rxd_fs_fetch_status(st, f, &s), 0);
	cr_assert_eq(s.type, RXD_FS_DIR);
	b = malloc(s.length);
	cr_assert_eq(rxd_fs_read(st, f, 0, b, s.length, &got, NULL), 0);
	cr_assert_eq(got, s.length);
	cr_assert_eq(rxd_afsdir_check(b, got, &why), 0, "%s", why ? why : "");
	cr_assert_eq(rxd_afsdir_load(d, b, got), 0);
	free(b);
}

TestSuite(fs_store, .init = setup, .fini = teardown, .timeout = 120);

Test(fs_store, new_volume_has_root_dir_1_1)
{
	struct rxd_fs_status s;
	struct rxd_afsdir d;
	uint32_t v, u, id;

	cr_assert_eq(rxd_fs_fetch_status(st, &rootfid, &s), 0);
	cr_assert_eq(s.type, RXD_FS_DIR);
	cr_assert_eq(s.link_count, 2);
	cr_assert_eq(s.length, 2048);
	cr_assert_eq(s.mode, 0755);
	cr_assert_eq(s.owner, USER);
	cr_assert_eq(s.parent_vnode, 0);
	cr_assert_eq(s.anon_access, RXD_FS_READ | RXD_FS_LOOKUP);
	cr_assert_gt(s.vol_created, 1700000000u, "the volume's creation time, for AFSVolSync");
	load_dir(&rootfid, &d);
	cr_assert_eq(rxd_afsdir_lookup(&d, ".", &v, &u), 0);
	cr_assert(v == 1 && u == 1);
	cr_assert_eq(rxd_afsdir_lookup(&d, "..", &v, &u), 0);
	cr_assert(v == 1 && u == 1);
	rxd_afsdir_free(&d);
	cr_assert_eq(rxd_fs_volume_lookup(st, "root.cell", &id), 0);
	cr_assert_eq(id, VID);
	cr_assert_eq(rxd_fs_volume_lookup(st, "536870912", &id), 0);
	cr_assert_eq(rxd_fs_volume_lookup(st, "nope", &id), RXD_FS_VNOVOL);
	cr_assert_eq(rxd_fs_volume_create(st, VID, "other", USER, 0), RXD_FS_VVOLEXISTS);
	cr_assert_eq(rxd_fs_volume_create(st, VID + 3, "root.cell", USER, 0), RXD_FS_VVOLEXISTS);
	cr_assert_eq(rxd_fs_volume_create(st, 0, "x", USER, 0), EINVAL);
	cr_assert_eq(rxd_fs_volume_create(st, 9, "a-name-longer-than-31-bytes-xxxxx", USER, 0), EINVAL);
}

Test(fs_store, fid_errors_as_checkvnode)
{
	struct rxd_fs_status s;
	struct rxd_fs_fid f = rootfid;

	f.unique = 2;
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s), RXD_FS_VNOVNODE);
	f = (struct rxd_fs_fid){VID, 99, 1};
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s), RXD_FS_VNOVNODE);
	f = (struct rxd_fs_fid){VID + 1, 1, 1};
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s), RXD_FS_VNOVOL);
	f = (struct rxd_fs_fid){0, 1, 1};
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s), EINVAL);
	f = (struct rxd_fs_fid){VID, 0, 1};
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s), EINVAL);
}

Test(fs_store, create_file_updates_both_statuses)
{
	struct rxd_fs_status before, fs, ds;
	struct rxd_fs_fid f, g, l;
	struct rxd_fs_setattr sa = {.mask = RXD_FS_SETMODE | RXD_FS_SETMODTIME, .mode = 0640, .client_mtime = 12345};

	cr_assert_eq(rxd_fs_fetch_status(st, &rootfid, &before), 0);
	cr_assert_eq(rxd_fs_create_file(st, &rootfid, "a.txt", 77, &sa, &f, &fs, &ds), 0);
	cr_assert_eq(f.volume, VID);
	cr_assert_eq(f.vnode % 2, 0, "files take even vnodes");
	cr_assert_neq(f.unique, 1);
	cr_assert_eq(fs.type, RXD_FS_FILE);
	cr_assert_eq(fs.link_count, 1);
	cr_assert_eq(fs.length, 0);
	cr_assert_eq(fs.data_version, 0, "Update_TargetVnodeStatus: a new vnode has DV 0");
	cr_assert_eq(fs.mode, 0640);
	cr_assert_eq(fs.owner, 77);
	cr_assert_eq(fs.author, 77);
	cr_assert_eq(fs.client_mtime, 12345);
	cr_assert_eq(fs.parent_vnode, 1);
	cr_assert_eq(fs.parent_unique, 1);
	cr_assert_eq(ds.data_version, before.data_version + 1);
	cr_assert_eq(ds.author, 77);
	cr_assert_eq(ds.link_count, 2);
	cr_assert_eq(rxd_fs_create_file(st, &rootfid, "a.txt", 77, &sa, &g, NULL, NULL), EEXIST);
	cr_assert_eq(rxd_fs_create_file(st, &rootfid, "a/b", 77, &sa, &g, NULL, NULL), EINVAL);
	cr_assert_eq(rxd_fs_create_file(st, &rootfid, "x@sys", 77, &sa, &g, NULL, NULL), EINVAL);
	cr_assert_eq(rxd_fs_create_file(st, &rootfid, "", 77, &sa, &g, NULL, NULL), EINVAL);
	cr_assert_eq(rxd_fs_create_file(st, &f, "in-a-file", 77, &sa, &g, NULL, NULL), ENOTDIR);
	cr_assert_eq(rxd_fs_lookup(st, &rootfid, "a.txt", &l, &fs), 0);
	cr_assert(l.vnode == f.vnode && l.unique == f.unique);
	cr_assert_eq(rxd_fs_lookup(st, &rootfid, "b.txt", &l, NULL), ENOENT);
	cr_assert_eq(rxd_fs_lookup(st, &f, "x", &l, NULL), ENOTDIR);
	cr_assert_eq(rxd_fs_fetch_status(st, &rootfid, &ds), 0);
	cr_assert_eq(ds.data_version, before.data_version + 1, "a refused create changes nothing");
}

Test(fs_store, make_dir_links_and_dotdot)
{
	struct rxd_fs_status ds, ss;
	struct rxd_fs_fid d, sub;
	struct rxd_afsdir blob;
	uint32_t v, u;

	cr_assert_eq(rxd_fs_make_dir(st, &rootfid, "d", USER, NULL, &d, &ss, &ds), 0);
	cr_assert_eq(d.vnode % 2, 1, "directories take odd vnodes");
	cr_assert_eq(ss.type, RXD_FS_DIR);
	cr_assert_eq(ss.link_count, 2);
	cr_assert_eq(ss.length, 2048);
	cr_assert_eq(ss.mode, 0777);
	cr_assert_eq(ds.link_count, 3, "the parent gains the child's ..");
	sub = mkdir_(&d, "sub");
	load_dir(&sub, &blob);
	cr_assert_eq(rxd_afsdir_lookup(&blob, ".", &v, &u), 0);
	cr_assert(v == sub.vnode && u == sub.unique);
	cr_assert_eq(rxd_afsdir_lookup(&blob, "..", &v, &u), 0);
	cr_assert(v == d.vnode && u == d.unique);
	rxd_afsdir_free(&blob);
}

Test(fs_store, store_and_read_data)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "f");
	struct rxd_fs_status s;
	char buf[64] = {0};
	struct rxd_fs_setattr sync = {.mask = RXD_FS_FSYNC};

	cr_assert_eq(rxd_fs_store_data(st, &f, 5, &sync, 0, "hello world", 11, 0, &s), 0);
	cr_assert_eq(s.length, 11);
	cr_assert_eq(s.data_version, 1);
	cr_assert_eq(s.author, 5);
	cr_assert_eq(get(&f, 0, buf, sizeof(buf)), 11);
	cr_assert_str_eq(buf, "hello world");
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(get(&f, 6, buf, 3), 3);
	cr_assert_str_eq(buf, "wor");
	cr_assert_eq(get(&f, 11, buf, 3), 0, "at the end");
	cr_assert_eq(get(&f, 100, buf, 3), 0, "past the end");
	/* Overwrite in the middle, FileLength = current length: no truncation. */
	cr_assert_eq(rxd_fs_store_data(st, &f, 5, NULL, 0, "J", 1, 11, &s), 0);
	cr_assert_eq(s.length, 11);
	cr_assert_eq(s.data_version, 2);
	/* FileLength below the length truncates, then the write extends. */
	cr_assert_eq(rxd_fs_store_data(st, &f, 5, NULL, 3, "XY", 2, 4, &s), 0);
	cr_assert_eq(s.length, 5);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(get(&f, 0, buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "JelXY");
	/* A zero-byte store at Pos past the end extends the file (ftruncate up). */
	cr_assert_eq(rxd_fs_store_data(st, &f, 5, NULL, 10, "", 0, 5, &s), 0);
	cr_assert_eq(s.length, 10);
	cr_assert_eq(s.data_version, 4);
	cr_assert_eq(get(&f, 0, buf, sizeof(buf)), 10);
	cr_assert_eq(buf[7], 0);
	/* Truncate to zero. */
	cr_assert_eq(rxd_fs_store_data(st, &f, 5, NULL, 0, "", 0, 0, &s), 0);
	cr_assert_eq(s.length, 0);
	cr_assert_eq(rxd_fs_store_data(st, &rootfid, 5, NULL, 0, "x", 1, 0, &s), EISDIR);
}

Test(fs_store, streamed_store_and_declared_length)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "stream");
	struct rxd_fs_wr *wr;
	struct rxd_fs_status s;
	char chunk[1000], buf[1000];

	cr_assert_eq(rxd_fs_store_begin(st, &f, USER, NULL, 0, 10000, 0, &wr), 0);
	for (int i = 0; i < 10; i++) {
		memset(chunk, 'a' + i, sizeof(chunk));
		cr_assert_eq(rxd_fs_store_write(wr, chunk, sizeof(chunk)), 0);
	}
	cr_assert_eq(rxd_fs_store_write(wr, chunk, 1), EINVAL, "more than declared");
	cr_assert_eq(rxd_fs_store_end(wr, 0, &s), 0);
	cr_assert_eq(s.length, 10000);
	cr_assert_eq(s.data_version, 1);
	for (int i = 0; i < 10; i++) {
		cr_assert_eq(get(&f, (uint64_t)i * 1000, buf, sizeof(buf)), 1000);
		cr_assert_eq(buf[0], 'a' + i);
		cr_assert_eq(buf[999], 'a' + i);
	}
	/* A call that fails midway: the length is what reached the file, no DV bump. */
	cr_assert_eq(rxd_fs_store_begin(st, &f, USER, NULL, 10000, 5000, 10000, &wr), 0);
	cr_assert_eq(rxd_fs_store_write(wr, chunk, 500), 0);
	cr_assert_eq(rxd_fs_store_end(wr, RXD_FS_VDISKFULL, &s), RXD_FS_VDISKFULL);
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s), 0);
	cr_assert_eq(s.length, 10500);
	cr_assert_eq(s.data_version, 1);
}

Test(fs_store, sparse_file_past_4_gib)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "big");
	struct rxd_fs_status s;
	uint64_t off = 5ull << 30;
	char buf[8] = {1, 1, 1, 1};

	cr_assert_eq(rxd_fs_store_data(st, &f, USER, NULL, off, "tail", 4, 0, &s), 0);
	cr_assert_eq(s.length, off + 4);
	cr_assert_eq(get(&f, off, buf, sizeof(buf)), 4);
	cr_assert_eq(memcmp(buf, "tail", 4), 0);
	cr_assert_eq(get(&f, 1ull << 32, buf, 4), 4);
	cr_assert_eq(memcmp(buf, "\0\0\0\0", 4), 0, "a hole reads as zeros");
	reopen();
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s), 0);
	cr_assert_eq(s.length, off + 4);
	/* Truncate down across the 4 GiB line. */
	cr_assert_eq(rxd_fs_store_data(st, &f, USER, NULL, 0, "", 0, (1ull << 32) + 1, &s), 0);
	cr_assert_eq(s.length, (1ull << 32) + 1);
}

Test(fs_store, remove_file_and_dir)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "f"), d = mkdir_(&rootfid, "d"), g, l;
	struct rxd_fs_status ds, s;

	mkfile(&d, "inner");
	cr_assert_eq(rxd_fs_remove_file(st, &rootfid, "d", USER, &ds), EISDIR);
	cr_assert_eq(rxd_fs_remove_dir(st, &rootfid, "f", USER, &ds), ENOTDIR);
	cr_assert_eq(rxd_fs_remove_dir(st, &rootfid, "d", USER, &ds), EEXIST, "OpenAFS DeleteTarget: not empty");
	cr_assert_eq(rxd_fs_remove_file(st, &rootfid, "nope", USER, &ds), ENOENT);
	cr_assert_eq(rxd_fs_remove_file(st, &rootfid, ".", USER, &ds), EINVAL);
	cr_assert_eq(rxd_fs_remove_dir(st, &rootfid, "..", USER, &ds), EINVAL);
	cr_assert_eq(rxd_fs_remove_file(st, &f, "x", USER, &ds), ENOTDIR);
	cr_assert_eq(rxd_fs_remove_file(st, &rootfid, "f", USER, &ds), 0);
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s), RXD_FS_VNOVNODE, "the old fid is gone");
	cr_assert_eq(rxd_fs_lookup(st, &rootfid, "f", &l, NULL), ENOENT);
	g = mkfile(&rootfid, "f");
	cr_assert_eq(g.vnode, f.vnode, "the slot is reused");
	cr_assert_gt(g.unique, f.unique, "with a new uniquifier");
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s), RXD_FS_VNOVNODE);
	cr_assert_eq(rxd_fs_lookup(st, &rootfid, "f", &l, NULL), 0);
	cr_assert_eq(l.unique, g.unique);
	cr_assert_eq(rxd_fs_remove_file(st, &d, "inner", USER, NULL), 0);
	cr_assert_eq(rxd_fs_fetch_status(st, &rootfid, &ds), 0);
	cr_assert_eq(ds.link_count, 3);
	cr_assert_eq(rxd_fs_remove_dir(st, &rootfid, "d", USER, &ds), 0);
	cr_assert_eq(ds.link_count, 2);
	cr_assert_eq(rxd_fs_fetch_status(st, &d, &s), RXD_FS_VNOVNODE);
	/* Uniquifiers survive a restart: the reused slot still gets a new one. */
	cr_assert_eq(rxd_fs_remove_file(st, &rootfid, "f", USER, NULL), 0);
	reopen();
	l = mkfile(&rootfid, "f");
	cr_assert_eq(l.vnode, g.vnode);
	cr_assert_gt(l.unique, g.unique);
}

Test(fs_store, symlink_holds_its_target)
{
	struct rxd_fs_fid s, x;
	struct rxd_fs_status ss;
	char buf[64] = {0};

	cr_assert_eq(rxd_fs_symlink(st, &rootfid, "ln", "#root.cell.", USER, NULL, &s, &ss, NULL), 0);
	cr_assert_eq(ss.type, RXD_FS_SYMLINK);
	cr_assert_eq(ss.length, 11);
	cr_assert_eq(s.vnode % 2, 0);
	cr_assert_eq(get(&s, 0, buf, sizeof(buf)), 11);
	cr_assert_str_eq(buf, "#root.cell.");
	cr_assert_eq(rxd_fs_remove_dir(st, &rootfid, "ln", USER, NULL), ENOTDIR);
	cr_assert_eq(rxd_fs_remove_file(st, &rootfid, "ln", USER, NULL), 0);
	cr_assert_eq(rxd_fs_lookup(st, &rootfid, "ln", &x, NULL), ENOENT);
}

Test(fs_store, hard_links)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "f"), d = mkdir_(&rootfid, "d"), other, l;
	struct rxd_fs_status fs, ds;
	char buf[8] = {0};

	put(&f, 0, "abc");
	cr_assert_eq(rxd_fs_link(st, &rootfid, "f2", &f, USER, &fs, &ds), 0);
	cr_assert_eq(fs.link_count, 2);
	cr_assert_eq(rxd_fs_lookup(st, &rootfid, "f2", &l, NULL), 0);
	cr_assert(l.vnode == f.vnode && l.unique == f.unique);
	cr_assert_eq(rxd_fs_link(st, &rootfid, "f2", &f, USER, &fs, &ds), EEXIST);
	cr_assert_eq(rxd_fs_link(st, &rootfid, "dd", &d, USER, &fs, &ds), EISDIR, "odd vnode to odd dir");
	cr_assert_eq(rxd_fs_link(st, &d, "f3", &f, USER, &fs, &ds), EXDEV, "only within the file's directory");
	other = (struct rxd_fs_fid){VID + 1, f.vnode, f.unique};
	cr_assert_eq(rxd_fs_link(st, &rootfid, "f4", &other, USER, &fs, &ds), EXDEV);
	/* A hard-linked file cannot be moved to another directory. */
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "f", &d, "f", USER, NULL, NULL), EXDEV);
	cr_assert_eq(rxd_fs_remove_file(st, &rootfid, "f", USER, NULL), 0);
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &fs), 0, "one name left");
	cr_assert_eq(fs.link_count, 1);
	cr_assert_eq(get(&f, 0, buf, sizeof(buf)), 3);
	cr_assert_str_eq(buf, "abc");
	cr_assert_eq(rxd_fs_remove_file(st, &rootfid, "f2", USER, NULL), 0);
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &fs), RXD_FS_VNOVNODE);
}

Test(fs_store, store_status_changes_attributes_only)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "f");
	struct rxd_fs_setattr sa = {.mask = RXD_FS_SETMODE | RXD_FS_SETOWNER | RXD_FS_SETGROUP | RXD_FS_SETMODTIME,
				    .mode = 0600,
				    .owner = 42,
				    .group = 43,
				    .client_mtime = 1000000};
	struct rxd_fs_status s;

	put(&f, 0, "x");
	cr_assert_eq(rxd_fs_store_status(st, &f, 9, &sa, &s), 0);
	cr_assert_eq(s.mode, 0600);
	cr_assert_eq(s.owner, 42);
	cr_assert_eq(s.group, 43);
	cr_assert_eq(s.client_mtime, 1000000);
	cr_assert_eq(s.data_version, 1, "StoreStatus leaves the data version");
	cr_assert_eq(s.author, USER, "and the author");
	sa.mask = RXD_FS_SETMODE;
	sa.mode = 0755;
	cr_assert_eq(rxd_fs_store_status(st, &f, 9, &sa, &s), 0);
	cr_assert_eq(s.mode, 0755);
	cr_assert_eq(s.owner, 42);
	cr_assert_eq(s.client_mtime, 1000000);
}

Test(fs_store, rename_same_dir_and_across)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "a"), d = mkdir_(&rootfid, "d"), e = mkdir_(&rootfid, "e"), l;
	struct rxd_fs_status os, ns, before;
	struct rxd_afsdir blob;
	uint32_t v, u;

	cr_assert_eq(rxd_fs_fetch_status(st, &rootfid, &before), 0);
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "a", &rootfid, "b", USER, &os, &ns), 0);
	cr_assert_eq(os.data_version, before.data_version + 1, "one bump in a same-directory rename");
	cr_assert_eq(rxd_fs_lookup(st, &rootfid, "a", &l, NULL), ENOENT);
	cr_assert_eq(rxd_fs_lookup(st, &rootfid, "b", &l, NULL), 0);
	cr_assert_eq(l.vnode, f.vnode);
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "b", &d, "c", USER, &os, &ns), 0);
	cr_assert_eq(rxd_fs_lookup(st, &d, "c", &l, NULL), 0);
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &os), 0);
	cr_assert_eq(os.parent_vnode, d.vnode);
	/* A directory moves: its .. follows, link counts move. */
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "e", &d, "e", USER, &os, &ns), 0);
	cr_assert_eq(os.link_count, 3, "root: . .. d");
	cr_assert_eq(ns.link_count, 3, "d: gained e's ..");
	load_dir(&e, &blob);
	cr_assert_eq(rxd_afsdir_lookup(&blob, "..", &v, &u), 0);
	cr_assert(v == d.vnode && u == d.unique);
	rxd_afsdir_free(&blob);
	cr_assert_eq(rxd_fs_fetch_status(st, &e, &os), 0);
	cr_assert_eq(os.parent_vnode, d.vnode);
	/* Into its own subtree. */
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "d", &e, "d", USER, NULL, NULL), RXD_FS_ELOOP);
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "nope", &d, "x", USER, NULL, NULL), ENOENT);
	cr_assert_eq(rxd_fs_rename(st, &rootfid, ".", &d, "x", USER, NULL, NULL), EINVAL);
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "d", &rootfid, "..", USER, NULL, NULL), EINVAL);
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "d", &rootfid, "a/b", USER, NULL, NULL), EINVAL);
	l = (struct rxd_fs_fid){VID + 1, 1, 1};
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "d", &l, "x", USER, NULL, NULL), EXDEV);
	cr_assert_eq(rxd_fs_rename(st, &f, "x", &rootfid, "y", USER, NULL, NULL), ENOTDIR);
}

Test(fs_store, rename_replaces_target)
{
	struct rxd_fs_fid a = mkfile(&rootfid, "a"), b = mkfile(&rootfid, "b"), d = mkdir_(&rootfid, "d"),
			  e = mkdir_(&rootfid, "e"), full = mkdir_(&rootfid, "full"), l;
	struct rxd_fs_status s;

	(void)e;
	mkfile(&full, "x");
	put(&a, 0, "AAA");
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "a", &rootfid, "b", USER, NULL, NULL), 0);
	cr_assert_eq(rxd_fs_fetch_status(st, &b, &s), RXD_FS_VNOVNODE, "the replaced file is gone");
	cr_assert_eq(rxd_fs_lookup(st, &rootfid, "b", &l, NULL), 0);
	cr_assert_eq(l.vnode, a.vnode);
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "b", &rootfid, "d", USER, NULL, NULL), EISDIR);
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "d", &rootfid, "b", USER, NULL, NULL), ENOTDIR);
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "d", &rootfid, "full", USER, NULL, NULL), EEXIST);
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "b", &rootfid, "b", USER, NULL, NULL), EINVAL);
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "d", &rootfid, "e", USER, NULL, NULL), 0, "empty dir over empty dir");
	cr_assert_eq(rxd_fs_lookup(st, &rootfid, "e", &l, NULL), 0);
	cr_assert_eq(l.vnode, d.vnode);
	cr_assert_eq(rxd_fs_lookup(st, &rootfid, "d", &l, NULL), ENOENT);
	cr_assert_eq(rxd_fs_fetch_status(st, &rootfid, &s), 0);
	cr_assert_eq(s.link_count, 4, "root: . .. e full");
}

Test(fs_store, volume_status_and_acl)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "f");
	struct rxd_fs_volstatus vs, vs2;
	struct rxd_fs_status s;
	char big[10240];

	cr_assert_eq(rxd_fs_volume_status(st, VID, &vs), 0);
	cr_assert_eq(vs.vid, VID);
	cr_assert_str_eq(vs.name, "root.cell");
	cr_assert_eq(vs.online, 1);
	cr_assert_gt(vs.part_max_blocks, 0);
	cr_assert_geq(vs.part_max_blocks, vs.part_blocks_avail);
	memset(big, 'z', sizeof(big));
	cr_assert_eq(rxd_fs_store_data(st, &f, USER, NULL, 0, big, sizeof(big), 0, NULL), 0);
	cr_assert_eq(rxd_fs_volume_status(st, VID, &vs2), 0);
	cr_assert_eq(vs2.blocks_in_use, vs.blocks_in_use + 10);
	cr_assert_eq(rxd_fs_volume_status(st, VID + 1, &vs2), RXD_FS_VNOVOL);
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s), 0);
	/* a file is governed by its directory's ACL: the volume's default here */
	cr_assert_eq(s.acl.npos, 2);
	cr_assert_eq(s.acl.nneg, 0);
	cr_assert_eq(s.acl.e[0].id, RXD_FS_ADMINS_ID);
	cr_assert_eq(s.acl.e[0].rights, 127);
	cr_assert_eq(s.acl.e[1].id, RXD_FS_ANYUSER_ID);
	cr_assert_eq(s.acl.e[1].rights, 9);
	cr_assert_eq(s.vol_owner, USER);
	cr_assert_eq(rxd_fs_volume_create(st, VID + 1, "private", USER, 0), 0);
	f = (struct rxd_fs_fid){VID + 1, 1, 1};
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s), 0);
	cr_assert_eq(s.acl.npos, 1);
	cr_assert_eq(s.anon_access, 0);
}

static struct rxd_fs_acl acl2(int32_t id, uint32_t rights, int32_t neg_id, uint32_t neg_rights)
{
	struct rxd_fs_acl a = {.npos = 1, .nneg = 1};

	a.e[0] = (struct rxd_fs_ace){id, rights};
	a.e[1] = (struct rxd_fs_ace){neg_id, neg_rights};
	return a;
}

/* StoreACL is kept per directory across a reopen; a new directory starts
 * with a copy of its parent's, later changes to the parent do not reach it. */
Test(fs_store, acl_per_directory_survives_reopen_and_is_inherited)
{
	struct rxd_fs_acl a = acl2(1001, RXD_FS_READ | RXD_FS_LOOKUP | RXD_FS_INSERT, RXD_FS_ANYUSER_ID, RXD_FS_READ);
	struct rxd_fs_fid d = mkdir_(&rootfid, "d"), f = mkfile(&d, "f"), sub;
	struct rxd_fs_status s;

	cr_assert_eq(rxd_fs_store_acl(st, &d, &a, &s), 0);
	cr_assert_eq(s.acl.npos, 1);
	cr_assert_eq(rxd_fs_store_acl(st, &f, &a, NULL), ENOTDIR);
	sub = mkdir_(&d, "sub");
	cr_assert_eq(rxd_fs_store_acl(st, &d, &(struct rxd_fs_acl){0}, NULL), 0);
	reopen();
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s), 0);
	cr_assert_eq(s.acl.npos + s.acl.nneg, 0, "the file follows its directory's new, empty ACL");
	cr_assert_eq(rxd_fs_fetch_status(st, &sub, &s), 0);
	cr_assert_eq(s.acl.npos, 1);
	cr_assert_eq(s.acl.nneg, 1);
	cr_assert_eq(s.acl.e[0].id, 1001);
	cr_assert_eq(s.acl.e[1].id, RXD_FS_ANYUSER_ID);
	cr_assert_eq(s.anon_access, 0, "the negative entry takes read away from system:anyuser");
	cr_assert_eq(rxd_fs_fetch_status(st, &rootfid, &s), 0);
	cr_assert_eq(s.acl.npos, 2, "the root keeps the default");
}

/* A volume made before ACLs were stored (no "acl" file) opens with every
 * directory at the volume's default, and takes a StoreACL from then on. */
Test(fs_store, volume_without_acl_file_opens_with_defaults)
{
	struct rxd_fs_fid d = mkdir_(&rootfid, "old");
	struct rxd_fs_acl a = acl2(7, 127, 8, 1);
	struct rxd_fs_status s;
	char path[128];

	rxd_fs_store_close(st);
	snprintf(path, sizeof(path), "%s/V%010u/acl", root, VID);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(rxd_fs_store_open(root, 0, &st), 0);
	cr_assert_eq(rxd_fs_fetch_status(st, &d, &s), 0);
	cr_assert_eq(s.acl.npos, 2);
	cr_assert_eq(s.anon_access, RXD_FS_READ | RXD_FS_LOOKUP);
	cr_assert_eq(rxd_fs_store_acl(st, &d, &a, NULL), 0);
	reopen();
	cr_assert_eq(rxd_fs_fetch_status(st, &d, &s), 0);
	cr_assert_eq(s.acl.e[0].id, 7);
	cr_assert_eq(s.acl.e[1].id, 8);
}

/* Everything acknowledged is on disk: a second store opened on the same
 * partition while the first is still open (a process that died without
 * closing) sees it all. */
Test(fs_store, acknowledged_changes_survive_a_crash)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "f"), d = mkdir_(&rootfid, "d"), l, g;
	struct rxd_fs_status s1, s2;
	struct rxd_fs_store *crashed = st;
	char buf[32] = {0};

	put(&f, 0, "persisted");
	cr_assert_eq(rxd_fs_rename(st, &rootfid, "f", &d, "g", USER, NULL, NULL), 0);
	g = mkfile(&d, "gone");
	cr_assert_eq(rxd_fs_remove_file(st, &d, "gone", USER, NULL), 0);
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s1), 0);

	cr_assert_eq(rxd_fs_store_open(root, 0, &st), 0);
	cr_assert_eq(rxd_fs_lookup(st, &d, "g", &l, &s2), 0);
	cr_assert(l.vnode == f.vnode && l.unique == f.unique);
	cr_assert_eq(s2.data_version, s1.data_version);
	cr_assert_eq(s2.length, 9);
	cr_assert_eq(s2.parent_vnode, d.vnode);
	cr_assert_eq(get(&f, 0, buf, sizeof(buf)), 9);
	cr_assert_str_eq(buf, "persisted");
	cr_assert_eq(rxd_fs_fetch_status(st, &g, &s2), RXD_FS_VNOVNODE);
	cr_assert_eq(rxd_fs_lookup(st, &rootfid, "f", &l, NULL), ENOENT);
	rxd_fs_store_close(crashed);
}

Test(fs_store, torn_index_record_takes_volume_offline)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "f");
	struct rxd_fs_status s;
	char path[128];
	int fd;

	rxd_fs_store_close(st);
	snprintf(path, sizeof(path), "%s/V%010u/index", root, VID);
	fd = open(path, O_WRONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, "\x7f", 1, (off_t)f.vnode * 64 + 40), 1);
	close(fd);
	cr_assert_eq(rxd_fs_store_open(root, 0, &st), 0);
	cr_assert_eq(rxd_fs_fetch_status(st, &rootfid, &s), RXD_FS_VSALVAGE);
}

Test(fs_store, data_written_without_its_record_is_adopted)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "f");
	struct rxd_fs_status s;
	char path[128];
	int fd;

	put(&f, 0, "abc");
	rxd_fs_store_close(st);
	/* A store that died between writing data and its record. */
	snprintf(path, sizeof(path), "%s/V%010u/d/%08x", root, VID, f.vnode);
	fd = open(path, O_WRONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, "defg", 4, 3), 4);
	close(fd);
	cr_assert_eq(rxd_fs_store_open(root, 0, &st), 0);
	cr_assert_eq(rxd_fs_fetch_status(st, &f, &s), 0);
	cr_assert_eq(s.length, 7);
}

Test(fs_store, sync_store_reopens_identically)
{
	struct rxd_fs_fid f, d;
	struct rxd_fs_status a, b;

	memset(&a, 0, sizeof(a)); /* the struct's tail padding is compared too */
	memset(&b, 0, sizeof(b));
	rxd_fs_store_close(st);
	cr_assert_eq(rxd_fs_store_open(root, RXD_FS_STORE_SYNC, &st), 0);
	f = mkfile(&rootfid, "f");
	d = mkdir_(&rootfid, "d");
	put(&f, 0, "sync");
	cr_assert_eq(rxd_fs_fetch_status(st, &rootfid, &a), 0);
	reopen();
	cr_assert_eq(rxd_fs_fetch_status(st, &rootfid, &b), 0);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
	cr_assert_eq(rxd_fs_fetch_status(st, &d, &b), 0);
	cr_assert_eq(b.type, RXD_FS_DIR);
}

/* A directory with thousands of long names through the store. */
Test(fs_store, thousands_of_long_names)
{
	enum { N = 2500 };
	char name[128];
	struct rxd_fs_fid d = mkdir_(&rootfid, "many"), l;
	struct rxd_afsdir blob;
	uint32_t v, u;

	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "%u-a-fairly-long-file-name-for-continuation-slots-%u", i, i * 7);
		mkfile(&d, name);
	}
	load_dir(&d, &blob);
	for (unsigned i = 0; i < N; i += 97) {
		snprintf(name, sizeof(name), "%u-a-fairly-long-file-name-for-continuation-slots-%u", i, i * 7);
		cr_assert_eq(rxd_afsdir_lookup(&blob, name, &v, &u), 0);
		cr_assert_eq(rxd_fs_lookup(st, &d, name, &l, NULL), 0);
		cr_assert(l.vnode == v && l.unique == u);
	}
	rxd_afsdir_free(&blob);
	for (unsigned i = 0; i < N; i += 2) {
		snprintf(name, sizeof(name), "%u-a-fairly-long-file-name-for-continuation-slots-%u", i, i * 7);
		cr_assert_eq(rxd_fs_remove_file(st, &d, name, USER, NULL), 0);
	}
	reopen();
	load_dir(&d, &blob);
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "%u-a-fairly-long-file-name-for-continuation-slots-%u", i, i * 7);
		cr_assert_eq(rxd_afsdir_lookup(&blob, name, &v, &u), i % 2 ? 0 : -ENOENT);
	}
	rxd_afsdir_free(&blob);
}

/* ---- threads ---- */

enum { THREADS = 6, WRITES = 100, CHUNK = 512 };

struct worker {
	pthread_t t;
	unsigned id;
	struct rxd_fs_fid f;
	int rc;
	uint64_t mixed, fetches; /* each_fetch_sees_one_version_under_concurrent_stores */
};

static void *own_file_writer(void *arg)
{
	struct worker *w = arg;
	char name[32], chunk[CHUNK];

	snprintf(name, sizeof(name), "t%u", w->id);
	w->rc = rxd_fs_create_file(st, &rootfid, name, USER, NULL, &w->f, NULL, NULL);
	for (unsigned i = 0; i < WRITES && w->rc == 0; i++) {
		memset(chunk, (int)('A' + (w->id + i) % 26), sizeof(chunk));
		w->rc = rxd_fs_store_data(st, &w->f, w->id, NULL, (uint64_t)i * CHUNK, chunk, CHUNK,
					  (uint64_t)i * CHUNK, NULL);
	}
	return NULL;
}

Test(fs_store, concurrent_writers_on_their_own_files)
{
	struct worker w[THREADS];
	struct rxd_afsdir blob;
	char buf[CHUNK];

	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.id = i};
		cr_assert_eq(pthread_create(&w[i].t, NULL, own_file_writer, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(w[i].t, NULL);
	reopen();
	for (unsigned i = 0; i < THREADS; i++) {
		struct rxd_fs_status s;

		cr_assert_eq(w[i].rc, 0, "thread %u", i);
		cr_assert_eq(rxd_fs_fetch_status(st, &w[i].f, &s), 0);
		cr_assert_eq(s.length, (uint64_t)WRITES * CHUNK);
		cr_assert_eq(s.data_version, WRITES);
		for (unsigned k = 0; k < WRITES; k++) {
			cr_assert_eq(get(&w[i].f, (uint64_t)k * CHUNK, buf, CHUNK), CHUNK);
			cr_assert_eq(buf[0], 'A' + (i + k) % 26);
			cr_assert_eq(buf[CHUNK - 1], 'A' + (i + k) % 26);
		}
	}
	load_dir(&rootfid, &blob); /* concurrent creates left a valid directory */
	rxd_afsdir_free(&blob);
}

static struct rxd_fs_fid shared;

static void *shared_file_writer(void *arg)
{
	struct worker *w = arg;
	char chunk[CHUNK];

	/* Thread i owns every THREADS-th chunk; file_length is never below the
	 * bytes stored so far, so no store truncates another's. */
	for (unsigned k = w->id; k < WRITES * THREADS && w->rc == 0; k += THREADS) {
		memset(chunk, (int)('a' + k % 26), sizeof(chunk));
		w->rc = rxd_fs_store_data(st, &shared, w->id, NULL, (uint64_t)k * CHUNK, chunk, CHUNK,
					  (uint64_t)WRITES * THREADS * CHUNK, NULL);
	}
	return NULL;
}

Test(fs_store, concurrent_writers_on_one_file)
{
	struct worker w[THREADS];
	struct rxd_fs_status s;
	char buf[CHUNK];

	shared = mkfile(&rootfid, "shared");
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.id = i};
		cr_assert_eq(pthread_create(&w[i].t, NULL, shared_file_writer, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(w[i].t, NULL);
	for (unsigned i = 0; i < THREADS; i++)
		cr_assert_eq(w[i].rc, 0);
	cr_assert_eq(rxd_fs_fetch_status(st, &shared, &s), 0);
	cr_assert_eq(s.data_version, WRITES * THREADS, "every store counted once");
	cr_assert_eq(s.length, (uint64_t)WRITES * THREADS * CHUNK);
	reopen();
	cr_assert_eq(rxd_fs_fetch_status(st, &shared, &s), 0);
	cr_assert_eq(s.data_version, WRITES * THREADS, "and the record on disk is whole");
	for (unsigned k = 0; k < WRITES * THREADS; k++) {
		cr_assert_eq(get(&shared, (uint64_t)k * CHUNK, buf, CHUNK), CHUNK);
		for (unsigned j = 0; j < CHUNK; j += 128)
			cr_assert_eq(buf[j], 'a' + k % 26, "chunk %u", k);
	}
}

/* ---- the journal ---- */

struct targets {
	int fd[2];
	int fail_second; /* the process "dies" before the second write */
};

static int target_fd(void *arg, uint32_t target, int *owned)
{
	struct targets *t = arg;

	*owned = 0;
	if (target == 1 && t->fail_second)
		return -EIO;
	return t->fd[target];
}

/* Two target files in the partition directory, and the journal "j". */
static int journal_setup(struct targets *t, struct rxd_fs_journal *j)
{
	int dfd = open(root, O_RDONLY | O_DIRECTORY);

	cr_assert_geq(dfd, 0);
	t->fd[0] = openat(dfd, "t0", O_RDWR | O_CREAT, 0600);
	t->fd[1] = openat(dfd, "t1", O_RDWR | O_CREAT, 0600);
	cr_assert(t->fd[0] >= 0 && t->fd[1] >= 0);
	cr_assert_eq(rxd_fs_journal_open(dfd, "j", j), 0);
	return dfd;
}

static void journal_teardown(struct targets *t, struct rxd_fs_journal *j, int dfd)
{
	rxd_fs_journal_close(j);
	close(t->fd[0]);
	close(t->fd[1]);
	close(dfd);
}

static void file_is(int fd, const char *want)
{
	char buf[32] = {0};

	cr_assert_eq(pread(fd, buf, sizeof(buf) - 1, 0), (ssize_t)strlen(want));
	cr_assert_str_eq(buf, want);
}

Test(fs_store, journal_replays_a_change_cut_short)
{
	struct rxd_fs_journal j, j2;
	struct targets t = {.fail_second = 1};
	int dfd = journal_setup(&t, &j);

	cr_assert_eq(rxd_fs_journal_add(&j, 0, 0, "first", 5), 0);
	cr_assert_eq(rxd_fs_journal_add(&j, 1, 0, "second", 6), 0);
	cr_assert_neq(rxd_fs_journal_commit(&j, 0, target_fd, &t), 0);
	file_is(t.fd[0], "first");
	file_is(t.fd[1], "");
	rxd_fs_journal_close(&j);
	t.fail_second = 0;
	cr_assert_eq(rxd_fs_journal_open(dfd, "j", &j2), 0);
	cr_assert_eq(rxd_fs_journal_replay(&j2, target_fd, &t), 0);
	file_is(t.fd[1], "second");
	/* Applied and invalidated: a second replay writes nothing. */
	cr_assert_eq(pwrite(t.fd[1], "xxxxxx", 6, 0), 6);
	cr_assert_eq(rxd_fs_journal_replay(&j2, target_fd, &t), 0);
	file_is(t.fd[1], "xxxxxx");
	journal_teardown(&t, &j2, dfd);
}

Test(fs_store, journal_torn_by_a_power_cut_is_ignored)
{
	struct rxd_fs_journal j;
	struct targets t = {.fail_second = 1};
	int dfd = journal_setup(&t, &j), jfd;

	cr_assert_eq(rxd_fs_journal_add(&j, 1, 0, "second", 6), 0);
	cr_assert_neq(rxd_fs_journal_commit(&j, 0, target_fd, &t), 0);
	rxd_fs_journal_close(&j);
	jfd = openat(dfd, "j", O_RDWR);
	cr_assert_eq(pwrite(jfd, "?", 1, 33), 1, "a byte of the staged data lost");
	close(jfd);
	t.fail_second = 0;
	cr_assert_eq(rxd_fs_journal_open(dfd, "j", &j), 0);
	cr_assert_eq(rxd_fs_journal_replay(&j, target_fd, &t), 0);
	file_is(t.fd[1], "");
	journal_teardown(&t, &j, dfd);
}

/* A create whose journal was written but whose index and directory writes
 * never reached the files: the next open finishes it. */
Test(fs_store, reopen_finishes_a_journaled_change)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "made"), l;
	struct rxd_fs_status s;
	static const uint8_t zero[2048];
	char path[160];
	int fd;

	rxd_fs_store_close(st);
	snprintf(path, sizeof(path), "%s/V%010u/journal", root, VID);
	fd = open(path, O_WRONLY);
	cr_assert_eq(pwrite(fd, "RXDJ", 4, 0), 4, "the journal as it was before being marked applied");
	close(fd);
	snprintf(path, sizeof(path), "%s/V%010u/index", root, VID);
	fd = open(path, O_WRONLY);
	cr_assert_eq(pwrite(fd, zero, 64, (off_t)f.vnode * 64), 64, "the child's record not written");
	cr_assert_eq(pwrite(fd, zero, 64, 64), 64, "nor the root's");
	close(fd);
	snprintf(path, sizeof(path), "%s/V%010u/d/00000001", root, VID);
	fd = open(path, O_WRONLY);
	cr_assert_eq(pwrite(fd, zero, 2048, 0), 2048, "nor the root directory's page");
	close(fd);
	cr_assert_eq(rxd_fs_store_open(root, 0, &st), 0);
	cr_assert_eq(rxd_fs_lookup(st, &rootfid, "made", &l, &s), 0);
	cr_assert(l.vnode == f.vnode && l.unique == f.unique);
	cr_assert_eq(s.type, RXD_FS_FILE);
	cr_assert_eq(rxd_fs_fetch_status(st, &rootfid, &s), 0);
	cr_assert_eq(s.data_version, 2);
}

static void *same_range_writer(void *arg)
{
	struct worker *w = arg;
	char chunk[CHUNK];

	memset(chunk, (int)('A' + w->id), sizeof(chunk));
	for (unsigned k = 0; k < WRITES && w->rc == 0; k++)
		w->rc = rxd_fs_store_data(st, &shared, w->id, NULL, (uint64_t)(k % 8) * CHUNK, chunk, CHUNK, 8 * CHUNK,
					  NULL);
	return NULL;
}

/* Stores racing on the same bytes: each one lands whole (last writer wins
 * chunk by chunk), each is counted once, and the length never shrinks. */
Test(fs_store, concurrent_writers_on_the_same_bytes)
{
	struct worker w[THREADS];
	struct rxd_fs_status s;
	char buf[CHUNK];

	shared = mkfile(&rootfid, "same");
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.id = i};
		cr_assert_eq(pthread_create(&w[i].t, NULL, same_range_writer, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(w[i].t, NULL);
	for (unsigned i = 0; i < THREADS; i++)
		cr_assert_eq(w[i].rc, 0);
	cr_assert_eq(rxd_fs_fetch_status(st, &shared, &s), 0);
	cr_assert_eq(s.data_version, WRITES * THREADS);
	cr_assert_eq(s.length, 8 * CHUNK);
	for (unsigned k = 0; k < 8; k++) {
		cr_assert_eq(get(&shared, (uint64_t)k * CHUNK, buf, CHUNK), CHUNK);
		cr_assert(buf[0] >= 'A' && buf[0] < 'A' + THREADS);
		for (unsigned j = 1; j < CHUNK; j++)
			cr_assert_eq(buf[j], buf[0], "chunk %u torn at %u", k, j);
	}
}

/* OpenAFS holds the vnode lock for a whole FetchData (read) or StoreData (write): a fetch sees one
 * version.  Here a conflicting begin returns RXD_FS_WAIT (taking nothing) instead of blocking. */
Test(fs_store, a_store_waits_for_open_fetches_and_fetches_for_a_store)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "f"), g = mkfile(&rootfid, "g");
	struct rxd_fs_status s, s2;
	struct rxd_fs_rd *rd, *rd2;
	struct rxd_fs_wr *wr, *wr2;
	char buf[16];
	size_t got;

	put(&f, 0, "0123456789");
	cr_assert_eq(rxd_fs_fetch_begin(st, &f, &rd, &s), 0);
	cr_assert_eq(s.length, 10);
	cr_assert_eq(rxd_fs_fetch_read(rd, 0, buf, 4, &got), 0);
	cr_assert_eq(memcmp(buf, "0123", 4), 0);
	cr_assert_eq(rxd_fs_store_begin(st, &f, USER, NULL, 0, 3, 3, &wr), RXD_FS_WAIT, "a fetch holds the file");
	cr_assert_eq(rxd_fs_fetch_begin(st, &f, &rd2, &s2), RXD_FS_WAIT, "a waiting store holds new fetches back");
	cr_assert_eq(rxd_fs_fetch_begin(st, &g, &rd2, &s2), 0, "another file is free");
	rxd_fs_fetch_end(rd2);
	cr_assert_eq(rxd_fs_fetch_read(rd, 4, buf, 6, &got), 0);
	cr_assert_eq(got, 6);
	cr_assert_eq(memcmp(buf, "456789", 6), 0, "the fetch reads its own version to the end");
	{
		char a[2], b[4], c[8] = "zzzzzzzz", d[4] = "dddd";
		struct iovec iov[] = {{a, 2}, {b, 4}, {c, 8}, {d, 4}};
		cr_assert_eq(rxd_fs_fetch_readv(rd, 1, iov, 4, &got), 0);
		cr_assert_eq(got, 9, "up to the length");
		cr_assert(!memcmp(a, "12", 2) && !memcmp(b, "3456", 4) && !memcmp(c, "789", 3), "in iovec order");
		cr_assert_eq(memcmp(d, "dddd", 4), 0, "an iovec past the length is left alone");
	}
	rxd_fs_fetch_end(rd);

	cr_assert_eq(rxd_fs_store_begin(st, &f, USER, NULL, 0, 3, 3, &wr), 0, "tried again: the file is free");
	cr_assert_eq(rxd_fs_fetch_begin(st, &f, &rd, &s2), RXD_FS_WAIT, "the store holds the file");
	cr_assert_eq(rxd_fs_store_begin(st, &f, USER, NULL, 0, 1, 1, &wr2), RXD_FS_WAIT, "and excludes stores");
	cr_assert_eq(rxd_fs_store_write(wr, "abc", 3), 0);
	cr_assert_eq(rxd_fs_store_end(wr, 0, &s2), 0);
	cr_assert_eq(s2.data_version, s.data_version + 1);
	/* a fetch was refused while the store ran: readers have a turn before the refused store */
	cr_assert_eq(rxd_fs_fetch_begin(st, &f, &rd, &s), 0, "the readers' turn");
	cr_assert_eq(s.data_version, s2.data_version);
	cr_assert_eq(rxd_fs_store_begin(st, &f, USER, NULL, 0, 4, 4, &wr2), RXD_FS_WAIT);
	rxd_fs_fetch_end(rd);
	cr_assert_eq(rxd_fs_store_begin(st, &f, USER, NULL, 0, 4, 4, &wr2), RXD_FS_WAIT, "still their turn (20 ms)");
	nanosleep(&(struct timespec){0, 30000000}, NULL);
	cr_assert_eq(rxd_fs_fetch_begin(st, &f, &rd, &s), RXD_FS_WAIT, "the turn is over: the refused store is next");
	cr_assert_eq(rxd_fs_store_begin(st, &f, USER, NULL, 0, 4, 4, &wr2), 0);
	/* a store that fails midway releases the file too */
	cr_assert_eq(rxd_fs_store_write(wr2, "X", 1), 0);
	cr_assert_eq(rxd_fs_store_end(wr2, EIO, NULL), EIO);
	cr_assert_eq(rxd_fs_fetch_begin(st, &f, &rd, &s2), 0);
	cr_assert_eq(s2.length, 3);
	cr_assert_eq(rxd_fs_fetch_read(rd, 0, buf, 3, &got), 0);
	cr_assert_eq(memcmp(buf, "Xbc", 3), 0);
	rxd_fs_fetch_end(rd);

	cr_assert_eq(rxd_fs_fetch_begin(st, &rootfid, &rd, &s), 0, "a directory streams its blob");
	cr_assert_eq(rxd_fs_store_begin(st, &g, USER, NULL, 0, 1, 1, &wr), 0, "a directory's fetch holds no file");
	cr_assert_eq(rxd_fs_store_end(wr, EIO, NULL), EIO);
	cr_assert_eq(rxd_fs_fetch_read(rd, 0, buf, 4, &got), 0);
	cr_assert_eq(got, 4);
	cr_assert_eq(buf[2] << 8 | (uint8_t)buf[3], 1234, "the page tag");
	rxd_fs_fetch_end(rd);
}

/* A store whose call died while it waited never retries: its hold on new fetches lapses by itself. */
Test(fs_store, a_refused_store_that_never_returns_stops_holding_fetches)
{
	struct rxd_fs_fid f = mkfile(&rootfid, "f");
	struct rxd_fs_status s;
	struct rxd_fs_rd *rd, *rd2;
	struct rxd_fs_wr *wr;
	struct timespec hold = {1, 100000000};

	put(&f, 0, "x");
	cr_assert_eq(rxd_fs_fetch_begin(st, &f, &rd, &s), 0);
	cr_assert_eq(rxd_fs_store_begin(st, &f, USER, NULL, 0, 1, 1, &wr), RXD_FS_WAIT);
	cr_assert_eq(rxd_fs_fetch_begin(st, &f, &rd2, &s), RXD_FS_WAIT);
	nanosleep(&hold, NULL);
	cr_assert_eq(rxd_fs_fetch_begin(st, &f, &rd2, &s), 0, "the hold lapsed (1 s)");
	rxd_fs_fetch_end(rd2);
	rxd_fs_fetch_end(rd);
}

#define MIX_CHUNK 4096u
#define MIX_CHUNKS 16u
#define MIX_ROUNDS 200u

static atomic_bool mix_stop;

/* Stores whole versions chunk by chunk, as fscall.c hands a StoreData's bytes to the I/O threads: every
 * byte of version v is (uint8_t)v. */
static void *mix_writer(void *arg)
{
	struct worker *w = arg;
	uint8_t chunk[MIX_CHUNK];

	for (unsigned r = 0; r < MIX_ROUNDS && w->rc == 0; r++) {
		struct rxd_fs_status s;
		struct rxd_fs_wr *wr;
		int rc;

		for (unsigned t = 0; (rc = rxd_fs_store_begin(st, &shared, USER, NULL, 0, MIX_CHUNK * MIX_CHUNKS,
							      MIX_CHUNK * MIX_CHUNKS, &wr)) == RXD_FS_WAIT &&
				     t < 100000;
		     t++)
			sched_yield();
		if ((w->rc = rc))
			break;
		/* the version this store makes: the lock keeps every other store out till its end */
		if ((w->rc = rxd_fs_fetch_status(st, &shared, &s))) {
			rxd_fs_store_end(wr, w->rc, NULL);
			break;
		}
		memset(chunk, (uint8_t)(s.data_version + 1), sizeof(chunk));
		for (unsigned c = 0; c < MIX_CHUNKS && w->rc == 0; c++) {
			w->rc = rxd_fs_store_write(wr, chunk, sizeof(chunk));
			sched_yield();
		}
		w->rc = rxd_fs_store_end(wr, w->rc, &s);
	}
	atomic_store(&mix_stop, true);
	return NULL;
}

/* Fetches the file chunk by chunk (fscall.c's reads); counts the fetches that mixed versions. */
static void *mix_reader(void *arg)
{
	struct worker *w = arg;
	uint8_t buf[MIX_CHUNK];

	for (unsigned n = 0; !atomic_load(&mix_stop) && n < 100000 && w->rc == 0; n++) {
		struct rxd_fs_status s;
		struct rxd_fs_rd *rd;
		size_t got;
		int rc = rxd_fs_fetch_begin(st, &shared, &rd, &s);

		if (rc == RXD_FS_WAIT) {
			sched_yield();
			continue;
		}
		if ((w->rc = rc))
			break;
		for (uint64_t off = 0; off < s.length && w->rc == 0; off += MIX_CHUNK) {
			w->rc = rxd_fs_fetch_read(rd, off, buf, MIX_CHUNK, &got);
			for (size_t i = 0; i < got; i++)
				if (buf[i] != (uint8_t)s.data_version) {
					w->mixed++;
					break;
				}
			sched_yield();
		}
		rxd_fs_fetch_end(rd);
		w->fetches++;
	}
	return NULL;
}

Test(fs_store, each_fetch_sees_one_version_under_concurrent_stores)
{
	struct worker w[THREADS];
	uint64_t mixed = 0, fetches = 0;

	shared = mkfile(&rootfid, "mix");
	atomic_store(&mix_stop, false);
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.id = i};
		cr_assert_eq(pthread_create(&w[i].t, NULL, i == 0 ? mix_writer : mix_reader, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(w[i].t, NULL);
	for (unsigned i = 0; i < THREADS; i++) {
		cr_assert_eq(w[i].rc, 0, "thread %u", i);
		mixed += w[i].mixed;
		fetches += w[i].fetches;
	}
	cr_assert_gt(fetches, 0);
	cr_assert_eq(mixed, 0, "%" PRIu64 " of %" PRIu64 " fetches mixed versions", mixed, fetches);
}
