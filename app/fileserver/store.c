/* The volume store: on-disk layout, locking rule and guarantees in store.h
 * and doc/fileserver.md.  Semantics of each operation follow OpenAFS
 * src/viced/afsfileprocs.c (Update_ParentVnodeStatus,
 * Update_TargetVnodeStatus, DeleteTarget, SAFSS_Rename, StoreData_RXStyle). */
#include "store.h"
#include "acl.h"
#include "afsdir.h"
#include "journal.h"
#include "ondisk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define REC_SIZE 64u
#define VOL_NAME_MAX 31u
#define NEW_MODE 0777u		/* Update_TargetVnodeStatus: mode of a new vnode before SETMODE */
#define J_INDEX UINT32_MAX	/* journal target: the index; others are vnode numbers */
#define J_ACL (UINT32_MAX - 1u) /* journal target: the directories' ACLs (acl.h records, by vnode) */

/* Stream locks: a refused stream's claim on the next turn lasts STREAM_HOLD_NS (renewed by each retry);
 * readers get READERS_TURN_NS after a store (longer than fscall.c's longest retry wait). */
#define STREAM_HOLD_NS 1000000000ull
#define READERS_TURN_NS 20000000ull
#define WAIT_SLEEP_US 200u	   /* rxd_fs_read/rxd_fs_store_data: between two tries of a waiting begin */
#define WAIT_MAX_NS 10000000000ull /* ... for at most 10 s */

/* One vnode index record, host order; its 64-byte little-endian form is
 * written by rec_write (layout in doc/fileserver.md). */
struct vrec {
	uint32_t type;
	uint32_t mode;
	uint32_t owner;
	uint32_t group;
	uint32_t unique;
	uint32_t parent;
	uint32_t link_count;
	uint32_t author;
	uint64_t dv;
	uint64_t length;
	uint32_t cmtime;
	uint32_t smtime;
};

struct vol {
	pthread_rwlock_t lock; /* shared: reads; exclusive: any change */
	uint32_t id;
	char name[VOL_NAME_MAX + 1];
	uint32_t owner;
	uint32_t anon;
	uint32_t created;
	int32_t max_quota;
	int index_fd;
	int acl_fd; /* "acl": one RXD_FS_ACL_DISK record per directory vnode (absent or zero: the default) */
	struct rxd_fs_acl *acl;	 /* indexed by vnode, valid where acl_set */
	uint8_t *acl_set;	 /* the directory has its own stored ACL */
	int data_dfd;		 /* the d/ directory holding one data file per vnode */
	struct rxd_fs_journal j; /* every index and directory write goes through it */
	int bad;		 /* an index record failed its checksum: RXD_FS_VSALVAGE */
	struct vrec *v;		 /* indexed by vnode number */
	uint32_t nv;
	uint32_t next_unique;
	/* The files with a FetchData or StoreData stream open: OpenAFS holds the vnode's lock for the whole
	 * call (read for a fetch, write for a store), rxd counts them here, beside the volume lock. */
	pthread_mutex_t stream_mu;
	struct stream_lock *streams;
	uint32_t n_streams, cap_streams;
	struct vol *next;
};

/* One file's open streams: readers share it, a writer excludes all.  Times are CLOCK_MONOTONIC ns. */
struct stream_lock {
	uint32_t vnode, unique;
	uint32_t readers;
	int writer;
	uint64_t readers_turn_until; /* a writer ended with readers waiting: till then new readers go first */
	uint64_t want_write_until;   /* a store was refused: new fetches wait till then */
	uint64_t want_read_until;    /* a fetch was refused: the next writer's end gives readers the turn */
};

struct rxd_fs_store {
	pthread_mutex_t lock; /* the volume list */
	int root_fd;
	unsigned flags;
	struct vol *vols;
};

struct rxd_fs_rd {
	int fd;
	uint64_t length; /* as the status handed out with it said */
	struct vol *vol; /* a file's stream holds a reader's share of its stream lock; NULL otherwise */
	uint32_t vnode, unique;
};

struct rxd_fs_wr {
	struct rxd_fs_store *st;
	struct vol *vol;
	uint32_t vnode, unique, caller;
	struct rxd_fs_setattr sa;
	int fd;
	uint64_t pos;	/* where the next bytes go */
	uint64_t end;	/* pos + declared length */
	uint64_t start; /* the request's Pos */
};

static void rec_encode(const struct vrec *r, uint8_t *p)
{
	memset(p, 0, REC_SIZE);
	rxd_fs_put32(p + 0, r->type);
	rxd_fs_put32(p + 4, r->mode);
	rxd_fs_put32(p + 8, r->owner);
	rxd_fs_put32(p + 12, r->group);
	rxd_fs_put32(p + 16, r->unique);
	rxd_fs_put32(p + 20, r->parent);
	rxd_fs_put32(p + 24, r->link_count);
	rxd_fs_put32(p + 28, r->author);
	rxd_fs_put64(p + 32, r->dv);
	rxd_fs_put64(p + 40, r->length);
	rxd_fs_put32(p + 48, r->cmtime);
	rxd_fs_put32(p + 52, r->smtime);
	rxd_fs_put32(p + 60, rxd_fs_sum(p, REC_SIZE - 4));
}

/* 0, or -1 for a record that is neither valid nor never written (zeros). */
static int rec_decode(const uint8_t *p, struct vrec *r)
{
	static const uint8_t zero[REC_SIZE];

	memset(r, 0, sizeof(*r));
	if (memcmp(p, zero, REC_SIZE) == 0)
		return 0;
	if (rxd_fs_get32(p + 60) != rxd_fs_sum(p, REC_SIZE - 4))
		return -1;
	r->type = rxd_fs_get32(p + 0);
	r->mode = rxd_fs_get32(p + 4);
	r->owner = rxd_fs_get32(p + 8);
	r->group = rxd_fs_get32(p + 12);
	r->unique = rxd_fs_get32(p + 16);
	r->parent = rxd_fs_get32(p + 20);
	r->link_count = rxd_fs_get32(p + 24);
	r->author = rxd_fs_get32(p + 28);
	r->dv = rxd_fs_get64(p + 32);
	r->length = rxd_fs_get64(p + 40);
	r->cmtime = rxd_fs_get32(p + 48);
	r->smtime = rxd_fs_get32(p + 52);
	return r->type > RXD_FS_SYMLINK ? -1 : 0;
}

static uint32_t now32(void)
{
	return (uint32_t)time(NULL);
}

/* Map a local I/O errno to what the fileserver answers. */
static int io_err(int e)
{
	return e == ENOSPC ? RXD_FS_VDISKFULL : e == EDQUOT ? RXD_FS_VOVERQUOTA : EIO;
}

static int pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	int rc = rxd_fs_pwrite_all(fd, buf, n, off);

	return rc ? io_err(-rc) : 0;
}

/* Read into iov[0..cnt) from off till they are full or the file ends; *got the bytes read. */
static int preadv_all(int fd, const struct iovec *iov, unsigned cnt, off_t off, size_t *got)
{
	size_t skip = 0; /* bytes of iov[0] already read */

	*got = 0;
	while (cnt) {
		ssize_t r;

		if (skip) /* a short read stopped inside iov[0]: finish it alone */
			r = pread(fd, (uint8_t *)iov->iov_base + skip, iov->iov_len - skip, off);
		else
			r = preadv(fd, iov, cnt < IOV_MAX ? (int)cnt : IOV_MAX, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return EIO;
		}
		if (r == 0)
			break;
		off += r;
		*got += (size_t)r;
		skip += (size_t)r;
		while (cnt && skip >= iov->iov_len) {
			skip -= iov->iov_len;
			iov++;
			cnt--;
		}
	}
	return 0;
}

static int pread_all(int fd, void *buf, size_t n, off_t off, size_t *got)
{
	return preadv_all(fd, &(struct iovec){.iov_base = buf, .iov_len = n}, 1, off, got);
}

/* Stage a record for the change's commit. */
static int rec_write(struct vol *vol, uint32_t vnode)
{
	uint8_t b[REC_SIZE];

	rec_encode(&vol->v[vnode], b);
	return rxd_fs_journal_add(&vol->j, J_INDEX, (uint64_t)vnode * REC_SIZE, b, REC_SIZE) ? ENOMEM : 0;
}

static void data_name(uint32_t vnode, char *buf, size_t size)
{
	snprintf(buf, size, "%08" PRIx32, vnode);
}

static int data_open(struct vol *vol, uint32_t vnode, int flags)
{
	char n[16];

	data_name(vnode, n, sizeof(n));
	return openat(vol->data_dfd, n, flags | O_CLOEXEC, 0600);
}

/* A freed vnode's data goes once the change is committed; dying before
 * leaves a data file no record names, which the slot's next create reuses. */
static void data_unlink(struct vol *vol, uint32_t vn)
{
	char n[16];

	data_name(vn, n, sizeof(n));
	unlinkat(vol->data_dfd, n, 0);
}

static int want_sync(const struct rxd_fs_store *st, const struct rxd_fs_setattr *sa)
{
	return (st->flags & RXD_FS_STORE_SYNC) || (sa && (sa->mask & RXD_FS_FSYNC));
}

static int journal_target(void *arg, uint32_t target, int *owned)
{
	struct vol *vol = arg;
	int fd;

	*owned = target != J_INDEX;
	if (target == J_INDEX)
		return vol->index_fd;
	if (target == J_ACL) {
		*owned = 0;
		return vol->acl_fd;
	}
	fd = data_open(vol, target, O_WRONLY);
	return fd < 0 ? -errno : fd;
}

/* End a change: commit what it staged (rc 0), or drop it.  A failure with
 * writes staged or half applied leaves memory and disk apart: the volume
 * goes offline (VSALVAGE) until a reopen replays the journal.  With sync,
 * the d/ directory is fsync'ed too, for data files that came or went. */
static int vol_commit(struct vol *vol, int rc, int sync)
{
	if (rc) {
		if (!rxd_fs_journal_empty(&vol->j)) {
			rxd_fs_journal_reset(&vol->j);
			vol->bad = 1;
		}
		return rc;
	}
	if (rxd_fs_journal_commit(&vol->j, sync, journal_target, vol)) {
		vol->bad = 1;
		return EIO;
	}
	if (sync && fsync(vol->data_dfd) < 0)
		return EIO;
	return 0;
}

/* ---- volumes ---- */

/* st->lock held */
static struct vol *vol_search(struct rxd_fs_store *st, uint32_t id)
{
	struct vol *v;

	for (v = st->vols; v && v->id != id; v = v->next)
		;
	return v;
}

static struct vol *vol_find(struct rxd_fs_store *st, uint32_t id)
{
	struct vol *v;

	pthread_mutex_lock(&st->lock);
	v = vol_search(st, id);
	pthread_mutex_unlock(&st->lock);
	return v;
}

static void vol_free(struct vol *v)
{
	if (v->index_fd >= 0)
		close(v->index_fd);
	if (v->data_dfd >= 0)
		close(v->data_dfd);
	if (v->acl_fd >= 0)
		close(v->acl_fd);
	rxd_fs_journal_close(&v->j);
	free(v->acl);
	free(v->acl_set);
	pthread_rwlock_destroy(&v->lock);
	pthread_mutex_destroy(&v->stream_mu);
	free(v->streams);
	free(v->v);
	free(v);
}

static int vol_grow(struct vol *vol, uint32_t n)
{
	struct vrec *nv;
	struct rxd_fs_acl *na;
	uint8_t *ns;
	uint32_t cap = vol->nv ? vol->nv : 16;

	if (n <= vol->nv)
		return 0;
	while (cap < n)
		cap *= 2;
	nv = realloc(vol->v, (size_t)cap * sizeof(*nv));
	if (!nv)
		return ENOMEM;
	vol->v = nv;
	na = realloc(vol->acl, (size_t)cap * sizeof(*na));
	if (!na)
		return ENOMEM;
	vol->acl = na;
	ns = realloc(vol->acl_set, cap);
	if (!ns)
		return ENOMEM;
	vol->acl_set = ns;
	memset(nv + vol->nv, 0, (size_t)(cap - vol->nv) * sizeof(*nv));
	memset(ns + vol->nv, 0, cap - vol->nv);
	vol->nv = cap;
	return 0;
}

static int header_write(int dfd, const struct vol *v)
{
	char buf[256];
	int fd, n, rc = 0;

	n = snprintf(buf, sizeof(buf),
		     "id=%" PRIu32 "\nname=%s\ntype=rw\nowner=%" PRIu32 "\nanon=%" PRIu32 "\ncreated=%" PRIu32
		     "\nmaxquota=%" PRId32 "\n",
		     v->id, v->name, v->owner, v->anon, v->created, v->max_quota);
	fd = openat(dfd, "volume.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return EIO;
	if ((rc = pwrite_all(fd, buf, (size_t)n, 0)) == 0 && fsync(fd) < 0)
		rc = EIO;
	close(fd);
	if (rc == 0 && renameat(dfd, "volume.tmp", dfd, "volume") < 0)
		rc = EIO;
	return rc;
}

static int header_read(int dfd, struct vol *v)
{
	char buf[512], *line, *save = NULL;
	size_t got;
	int fd, rc;

	fd = openat(dfd, "volume", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return EIO;
	rc = pread_all(fd, buf, sizeof(buf) - 1, 0, &got);
	close(fd);
	if (rc)
		return rc;
	buf[got] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			return EIO;
		*eq++ = 0;
		if (!strcmp(line, "id"))
			v->id = (uint32_t)strtoul(eq, NULL, 10);
		else if (!strcmp(line, "name"))
			snprintf(v->name, sizeof(v->name), "%s", eq);
		else if (!strcmp(line, "owner"))
			v->owner = (uint32_t)strtoul(eq, NULL, 10);
		else if (!strcmp(line, "anon"))
			v->anon = (uint32_t)strtoul(eq, NULL, 10);
		else if (!strcmp(line, "created"))
			v->created = (uint32_t)strtoul(eq, NULL, 10);
		else if (!strcmp(line, "maxquota"))
			v->max_quota = (int32_t)strtol(eq, NULL, 10);
	}
	return v->id ? 0 : EIO;
}

/* The directories' stored ACLs; a file shorter than the index (a volume
 * made before ACLs were kept, or directories that never had one) leaves
 * the rest at the volume's default.  EIO for an unreadable or torn record. */
static int vol_load_acls(struct vol *vol, uint32_t n)
{
	uint8_t b[RXD_FS_ACL_DISK];

	for (uint32_t i = 0; i < n; i++) {
		size_t got;
		int rc;
		if (vol->v[i].type != RXD_FS_DIR)
			continue;
		if (pread_all(vol->acl_fd, b, sizeof(b), (off_t)i * RXD_FS_ACL_DISK, &got))
			return EIO;
		if (got < sizeof(b))
			memset(b + got, 0, sizeof(b) - got);
		rc = rxd_fs_acl_decode(b, &vol->acl[i]);
		if (rc < 0)
			return EIO;
		vol->acl_set[i] = rc == 0;
	}
	return 0;
}

/* Stage a directory's ACL for the change's commit, and keep it in memory. */
static int acl_write(struct vol *vol, uint32_t vnode, const struct rxd_fs_acl *a)
{
	uint8_t b[RXD_FS_ACL_DISK];

	rxd_fs_acl_encode(a, b);
	if (rxd_fs_journal_add(&vol->j, J_ACL, (uint64_t)vnode * RXD_FS_ACL_DISK, b, RXD_FS_ACL_DISK))
		return ENOMEM;
	vol->acl[vnode] = *a;
	vol->acl_set[vnode] = 1;
	return 0;
}

/* The ACL that governs vnode: a directory's own, a file's or symlink's parent's. */
static void acl_of(const struct vol *vol, uint32_t vnode, struct rxd_fs_acl *out)
{
	uint32_t d = vol->v[vnode].type == RXD_FS_DIR ? vnode : vol->v[vnode].parent;

	if (d < vol->nv && vol->acl_set[d])
		*out = vol->acl[d];
	else
		rxd_fs_acl_default(out, vol->anon);
}

/* Read the index; a data file whose size differs from its record (a change
 * the process died in the middle of) gives the record its length, as the
 * OpenAFS salvager does. */
static int vol_load_index(struct vol *vol)
{
	struct stat sb;
	uint8_t b[REC_SIZE];
	uint32_t n;

	if (fstat(vol->index_fd, &sb) < 0)
		return EIO;
	n = (uint32_t)(sb.st_size / REC_SIZE);
	if (vol_grow(vol, n + 1))
		return ENOMEM;
	vol->next_unique = 1;
	for (uint32_t i = 0; i < n; i++) {
		size_t got;
		struct vrec *r = &vol->v[i];
		int fd;

		if (pread_all(vol->index_fd, b, REC_SIZE, (off_t)i * REC_SIZE, &got) || got != REC_SIZE)
			return EIO;
		if (rec_decode(b, r)) {
			vol->bad = 1;
			memset(r, 0, sizeof(*r));
			continue;
		}
		/* Freed slots keep their last uniquifier: a fid that named a
		 * removed vnode never matches the slot's next tenant. */
		if (r->unique >= vol->next_unique)
			vol->next_unique = r->unique + 1;
		if (r->type == RXD_FS_FREE)
			continue;
		fd = data_open(vol, i, O_RDONLY);
		if (fd < 0 || fstat(fd, &sb) < 0) {
			vol->bad = 1;
		} else if ((uint64_t)sb.st_size != r->length) {
			r->length = (uint64_t)sb.st_size;
			if (rec_write(vol, i))
				vol->bad = 1;
		}
		if (fd >= 0)
			close(fd);
	}
	if (vol_load_acls(vol, n))
		vol->bad = 1;
	return vol_commit(vol, 0, 1);
}

static int vol_open(struct rxd_fs_store *st, const char *dname, struct vol **out)
{
	struct vol *vol = calloc(1, sizeof(*vol));
	int dfd, rc = EIO;

	if (!vol)
		return ENOMEM;
	vol->index_fd = vol->acl_fd = vol->data_dfd = vol->j.fd = -1;
	pthread_rwlock_init(&vol->lock, NULL);
	pthread_mutex_init(&vol->stream_mu, NULL);
	dfd = openat(st->root_fd, dname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		goto fail;
	if ((rc = header_read(dfd, vol)))
		goto fail;
	rc = EIO;
	vol->index_fd = openat(dfd, "index", O_RDWR | O_CLOEXEC);
	/* a volume from before ACLs were stored gets an empty file: every directory has the default */
	vol->acl_fd = openat(dfd, "acl", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	vol->data_dfd = openat(dfd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (vol->index_fd < 0 || vol->acl_fd < 0 || vol->data_dfd < 0 || rxd_fs_journal_open(dfd, "journal", &vol->j))
		goto fail;
	/* A change the last process died in the middle of, finished. */
	if (rxd_fs_journal_replay(&vol->j, journal_target, vol))
		goto fail;
	if ((rc = vol_load_index(vol)))
		goto fail;
	close(dfd);
	*out = vol;
	return 0;
fail:
	if (dfd >= 0)
		close(dfd);
	vol_free(vol);
	return rc;
}

int rxd_fs_store_open(const char *root, unsigned flags, struct rxd_fs_store **out)
{
	struct rxd_fs_store *st = calloc(1, sizeof(*st));
	struct dirent *de;
	DIR *dir;
	int rc = 0;

	if (!st)
		return ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	st->flags = flags;
	st->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->root_fd < 0) {
		rc = errno == ENOENT ? ENOENT : EIO;
		goto fail;
	}
	dir = fdopendir(dup(st->root_fd));
	if (!dir) {
		rc = EIO;
		goto fail;
	}
	while (rc == 0 && (de = readdir(dir))) {
		struct vol *vol;
		char *end;

		/* Volumes are V<id>; V<id>.new is one a crash left half made. */
		if (de->d_name[0] != 'V' || strtoul(de->d_name + 1, &end, 10) == 0 || *end)
			continue;
		if ((rc = vol_open(st, de->d_name, &vol)) == 0) {
			vol->next = st->vols;
			st->vols = vol;
		}
	}
	closedir(dir);
	if (rc)
		goto fail;
	*out = st;
	return 0;
fail:
	rxd_fs_store_close(st);
	return rc;
}

void rxd_fs_store_close(struct rxd_fs_store *st)
{
	struct vol *v, *n;

	if (!st)
		return;
	for (v = st->vols; v; v = n) {
		n = v->next;
		fsync(v->index_fd);
		fsync(v->data_dfd);
		vol_free(v);
	}
	if (st->root_fd >= 0)
		close(st->root_fd);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

static int dir_write_pages(int fd, struct rxd_afsdir *d)
{
	int rc;

	for (int pg = rxd_afsdir_next_dirty(d, 0); pg >= 0; pg = rxd_afsdir_next_dirty(d, (uint32_t)pg + 1))
		if ((rc = pwrite_all(fd, d->buf + (size_t)pg * RXD_AFSDIR_PAGE_SIZE, RXD_AFSDIR_PAGE_SIZE,
				     (off_t)pg * RXD_AFSDIR_PAGE_SIZE)))
			return rc;
	rxd_afsdir_clear_dirty(d);
	return 0;
}

/* The volume's files in V<id>.new, then one rename makes it exist. */
static int vol_build(struct rxd_fs_store *st, struct vol *vol, const char *tmp)
{
	struct rxd_afsdir d;
	int dfd = -1, fd = -1, rc = EIO;
	uint32_t now = now32();

	if (mkdirat(st->root_fd, tmp, 0700) < 0 || (dfd = openat(st->root_fd, tmp, O_RDONLY | O_DIRECTORY)) < 0)
		goto out;
	if (mkdirat(dfd, "d", 0700) < 0 || (vol->data_dfd = openat(dfd, "d", O_RDONLY | O_DIRECTORY)) < 0)
		goto out;
	vol->index_fd = openat(dfd, "index", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	vol->acl_fd = openat(dfd, "acl", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (vol->index_fd < 0 || vol->acl_fd < 0 || vol_grow(vol, 2) || rxd_fs_journal_open(dfd, "journal", &vol->j))
		goto out;
	if ((rc = header_write(dfd, vol)))
		goto out;
	rc = EIO;
	if (rxd_afsdir_init(&d, RXD_FS_ROOT_VNODE, 1, RXD_FS_ROOT_VNODE, 1))
		goto out;
	fd = data_open(vol, RXD_FS_ROOT_VNODE, O_RDWR | O_CREAT | O_TRUNC);
	if (fd >= 0 && (rc = dir_write_pages(fd, &d)) == 0 && fsync(fd) < 0)
		rc = EIO;
	vol->v[1] = (struct vrec){.type = RXD_FS_DIR,
				  .mode = 0755,
				  .owner = vol->owner,
				  .unique = 1,
				  .link_count = 2,
				  .author = vol->owner,
				  .dv = 1,
				  .length = rxd_afsdir_length(&d),
				  .cmtime = now,
				  .smtime = now};
	vol->next_unique = 2;
	rxd_afsdir_free(&d);
	if (fd < 0 || rc)
		goto out;
	if ((rc = vol_commit(vol, rec_write(vol, 1), 1)))
		goto out;
	rc = fsync(dfd) < 0 ? EIO : 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

int rxd_fs_volume_create(struct rxd_fs_store *st, uint32_t id, const char *name, uint32_t owner, uint32_t anon_rights)
{
	char dname[32], tmp[40];
	struct vol *vol, *v;
	int rc;

	if (id == 0 || !name[0] || strlen(name) > VOL_NAME_MAX || strchr(name, '\n'))
		return EINVAL;
	vol = calloc(1, sizeof(*vol));
	if (!vol)
		return ENOMEM;
	vol->index_fd = vol->acl_fd = vol->data_dfd = vol->j.fd = -1;
	pthread_rwlock_init(&vol->lock, NULL);
	pthread_mutex_init(&vol->stream_mu, NULL);
	vol->id = id;
	snprintf(vol->name, sizeof(vol->name), "%s", name);
	vol->owner = owner;
	vol->anon = anon_rights & 127u; /* rlidwka */
	vol->created = now32();
	snprintf(dname, sizeof(dname), "V%010" PRIu32, id);
	snprintf(tmp, sizeof(tmp), "%s.new", dname);

	pthread_mutex_lock(&st->lock);
	for (v = st->vols; v; v = v->next)
		if (v->id == id || !strcmp(v->name, name))
			break;
	if (v) {
		rc = RXD_FS_VVOLEXISTS;
	} else {
		rc = vol_build(st, vol, tmp);
		if (rc == 0 && (renameat(st->root_fd, tmp, st->root_fd, dname) < 0 || fsync(st->root_fd) < 0))
			rc = EIO;
		if (rc == 0) {
			vol->next = st->vols;
			st->vols = vol;
		}
	}
	pthread_mutex_unlock(&st->lock);
	if (rc)
		vol_free(vol);
	return rc;
}

int rxd_fs_volume_lookup(struct rxd_fs_store *st, const char *name_or_id, uint32_t *id)
{
	struct vol *v;
	char *end;
	unsigned long num = strtoul(name_or_id, &end, 10);
	int by_id = name_or_id[0] >= '0' && name_or_id[0] <= '9' && *end == 0;

	pthread_mutex_lock(&st->lock);
	for (v = st->vols; v; v = v->next)
		if (by_id ? v->id == num : !strcmp(v->name, name_or_id))
			break;
	if (v)
		*id = v->id;
	pthread_mutex_unlock(&st->lock);
	return v ? 0 : RXD_FS_VNOVOL;
}

size_t rxd_fs_volume_list(struct rxd_fs_store *st, struct rxd_fs_volname *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&st->lock);
	for (struct vol *v = st->vols; v; v = v->next, n++)
		if (n < max) {
			out[n].id = v->id;
			snprintf(out[n].name, sizeof(out[n].name), "%s", v->name);
		}
	pthread_mutex_unlock(&st->lock);
	return n;
}

/* ---- vnodes ---- */

/* The vnode a directory entry or fid names still exists as named. */
static int live(const struct vol *vol, uint32_t vn, uint32_t vu)
{
	return vn != 0 && vn < vol->nv && vol->v[vn].type != RXD_FS_FREE && vol->v[vn].unique == vu;
}

enum lock_mode {
	LOCK_SHARED,
	LOCK_EXCL,
	LOCK_TRY_SHARED, /* never wait (a worker lcore): -EWOULDBLOCK where another mode would */
};

/* Lock the fid's volume in mode m and check the vnode, as CheckVnode:
 * EINVAL for a zero volume or vnode, VNOVOL, VNOVNODE for a free slot or
 * another uniquifier.  On success the lock is held. */
static int lock_vnode(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, enum lock_mode m, struct vol **out)
{
	struct vol *vol;

	if (fid->volume == 0 || fid->vnode == 0)
		return EINVAL;
	if (m == LOCK_TRY_SHARED) {
		if (pthread_mutex_trylock(&st->lock))
			return -EWOULDBLOCK;
		vol = vol_search(st, fid->volume);
		pthread_mutex_unlock(&st->lock);
	} else {
		vol = vol_find(st, fid->volume);
	}
	if (!vol)
		return RXD_FS_VNOVOL;
	if (m == LOCK_EXCL)
		pthread_rwlock_wrlock(&vol->lock);
	else if (m == LOCK_SHARED)
		pthread_rwlock_rdlock(&vol->lock);
	else if (pthread_rwlock_tryrdlock(&vol->lock))
		return -EWOULDBLOCK;
	if (vol->bad) {
		pthread_rwlock_unlock(&vol->lock);
		return RXD_FS_VSALVAGE;
	}
	if (!live(vol, fid->vnode, fid->unique)) {
		pthread_rwlock_unlock(&vol->lock);
		return RXD_FS_VNOVNODE;
	}
	*out = vol;
	return 0;
}

static int lock_fid(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, int excl, struct vol **out)
{
	return lock_vnode(st, fid, excl ? LOCK_EXCL : LOCK_SHARED, out);
}

static void fill_status(const struct vol *vol, uint32_t vnode, struct rxd_fs_status *s)
{
	const struct vrec *r = &vol->v[vnode];

	if (!s)
		return;
	s->type = r->type;
	s->link_count = r->link_count;
	s->length = r->length;
	s->data_version = r->dv;
	s->author = r->author;
	s->owner = r->owner;
	s->group = r->group;
	s->mode = r->mode;
	s->parent_vnode = r->parent;
	s->parent_unique = r->parent && r->parent < vol->nv ? vol->v[r->parent].unique : 0;
	s->client_mtime = r->cmtime;
	s->server_mtime = r->smtime;
	acl_of(vol, vnode, &s->acl);
	s->anon_access = rxd_fs_acl_rights(&s->acl, &(int32_t){RXD_FS_ANYUSER_ID}, 1);
	s->vol_created = vol->created;
	s->vol_owner = vol->owner;
}

static int fetch_status(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, enum lock_mode m,
			struct rxd_fs_status *out)
{
	struct vol *vol;
	int rc = lock_vnode(st, fid, m, &vol);

	if (rc)
		return rc;
	fill_status(vol, fid->vnode, out);
	pthread_rwlock_unlock(&vol->lock);
	return 0;
}

int rxd_fs_fetch_status(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, struct rxd_fs_status *out)
{
	return fetch_status(st, fid, LOCK_SHARED, out);
}

int rxd_fs_fetch_status_nb(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, struct rxd_fs_status *out)
{
	return fetch_status(st, fid, LOCK_TRY_SHARED, out);
}

/* A new vnode: directories take odd numbers, the rest even, as OpenAFS's
 * large and small vnode indexes do (clients rely on odd = directory). */
static int alloc_vnode(struct vol *vol, uint32_t type, uint32_t *out)
{
	uint32_t n = type == RXD_FS_DIR ? 3 : 2;

	for (; n < vol->nv; n += 2)
		if (vol->v[n].type == RXD_FS_FREE)
			break;
	if (n >= UINT32_MAX / REC_SIZE - 2)
		return RXD_FS_VDISKFULL;
	if (vol_grow(vol, n + 1))
		return ENOMEM;
	*out = n;
	return 0;
}

static int dir_load(struct vol *vol, uint32_t vnode, struct rxd_afsdir *d)
{
	size_t len = (size_t)vol->v[vnode].length, got;
	uint8_t *buf;
	int fd, rc;

	if (len > (size_t)RXD_AFSDIR_MAX_PAGES * RXD_AFSDIR_PAGE_SIZE)
		return EIO;
	fd = data_open(vol, vnode, O_RDONLY);
	if (fd < 0)
		return EIO;
	buf = malloc(len ? len : 1);
	rc = buf ? pread_all(fd, buf, len, 0, &got) : ENOMEM;
	close(fd);
	if (rc == 0 && (got != len || rxd_afsdir_load(d, buf, len)))
		rc = EIO;
	free(buf);
	return rc;
}

/* lock_fid for a directory fid (ENOTDIR otherwise), with its blob loaded. */
static int lock_dir(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, int excl, struct vol **out,
		    struct rxd_afsdir *d)
{
	struct vol *vol;
	int rc = lock_fid(st, fid, excl, &vol);

	if (rc)
		return rc;
	rc = vol->v[fid->vnode].type != RXD_FS_DIR ? ENOTDIR : dir_load(vol, fid->vnode, d);
	if (rc) {
		pthread_rwlock_unlock(&vol->lock);
		return rc;
	}
	*out = vol;
	return 0;
}

/* Stage a directory's changed pages and account the change to the
 * directory vnode as Update_ParentVnodeStatus does. */
static int dir_save(struct vol *vol, uint32_t vnode, struct rxd_afsdir *d, uint32_t caller)
{
	struct vrec *r = &vol->v[vnode];
	uint32_t now = now32();

	for (int pg = rxd_afsdir_next_dirty(d, 0); pg >= 0; pg = rxd_afsdir_next_dirty(d, (uint32_t)pg + 1))
		if (rxd_fs_journal_add(&vol->j, vnode, (uint64_t)pg * RXD_AFSDIR_PAGE_SIZE,
				       d->buf + (size_t)pg * RXD_AFSDIR_PAGE_SIZE, RXD_AFSDIR_PAGE_SIZE))
			return ENOMEM;
	rxd_afsdir_clear_dirty(d);
	r->dv++;
	r->length = rxd_afsdir_length(d);
	r->author = caller;
	r->cmtime = now;
	r->smtime = now;
	return 0;
}

/* FileNameOK: no '/', no "@sys" suffix (that name is the client's). */
static int name_ok(const char *name)
{
	size_t n = strlen(name);

	if (strchr(name, '/'))
		return 0;
	return n < 4 || strcmp(name + n - 4, "@sys") != 0;
}

static void apply_setattr(struct vrec *r, const struct rxd_fs_setattr *sa)
{
	if (!sa)
		return;
	if (sa->mask & RXD_FS_SETOWNER)
		r->owner = sa->owner;
	if (sa->mask & RXD_FS_SETGROUP)
		r->group = sa->group;
	if (sa->mask & RXD_FS_SETMODE)
		r->mode = sa->mode & 07777;
}

/* CreateFile, MakeDir, Symlink: Alloc_NewVnode + Update_TargetVnodeStatus. */
static int create_vnode(struct rxd_fs_store *st, const struct rxd_fs_fid *dirfid, const char *name, uint32_t type,
			const char *target, uint32_t caller, const struct rxd_fs_setattr *sa, struct rxd_fs_fid *out,
			struct rxd_fs_status *out_st, struct rxd_fs_status *dir_st)
{
	struct rxd_afsdir d, nd = {0};
	struct vol *vol;
	struct vrec *r;
	uint32_t vn = 0, vu, now = now32();
	int rc, fd = -1, sync = want_sync(st, sa);

	if (!name_ok(name))
		return EINVAL;
	if ((rc = lock_dir(st, dirfid, 1, &vol, &d)))
		return rc;
	if ((rc = alloc_vnode(vol, type, &vn)))
		goto free_dir;
	vu = vol->next_unique++;
	/* The name first, in memory: EEXIST and friends leave no trace. */
	rc = -rxd_afsdir_add(&d, name, vn, vu);
	if (rc)
		goto free_dir;
	fd = data_open(vol, vn, O_RDWR | O_CREAT | O_TRUNC);
	if (fd < 0) {
		rc = io_err(errno);
		goto free_dir;
	}
	r = &vol->v[vn];
	*r = (struct vrec){.type = type,
			   .mode = NEW_MODE,
			   .owner = caller,
			   .group = vol->v[dirfid->vnode].group,
			   .unique = vu,
			   .parent = dirfid->vnode,
			   .link_count = type == RXD_FS_DIR ? 2 : 1,
			   .author = caller,
			   .cmtime = sa && (sa->mask & RXD_FS_SETMODTIME) ? sa->client_mtime : now,
			   .smtime = now};
	apply_setattr(r, sa);
	if (type == RXD_FS_DIR) {
		if ((rc = -rxd_afsdir_init(&nd, vn, vu, dirfid->vnode, dirfid->unique)) == 0)
			rc = dir_write_pages(fd, &nd);
		r->length = rxd_afsdir_length(&nd);
		rxd_afsdir_free(&nd);
	} else if (target) {
		r->length = strlen(target);
		rc = pwrite_all(fd, target, r->length, 0);
	}
	if (rc == 0 && sync && fsync(fd) < 0)
		rc = EIO;
	if (rc) {
		memset(r, 0, sizeof(*r));
		r->unique = vu;
		goto free_dir;
	}
	/* One journaled change: the child's record, the name, the parent. */
	if (type == RXD_FS_DIR)
		vol->v[dirfid->vnode].link_count++;
	if ((rc = rec_write(vol, vn)) == 0 && (rc = dir_save(vol, dirfid->vnode, &d, caller)) == 0)
		rc = rec_write(vol, dirfid->vnode);
	if (rc == 0 && type == RXD_FS_DIR) { /* a new directory starts with its parent's ACL, as in OpenAFS */
		struct rxd_fs_acl a;
		acl_of(vol, dirfid->vnode, &a);
		rc = acl_write(vol, vn, &a);
	}
	if ((rc = vol_commit(vol, rc, sync)) == 0) {
		*out = (struct rxd_fs_fid){vol->id, vn, vu};
		fill_status(vol, vn, out_st);
		fill_status(vol, dirfid->vnode, dir_st);
	}
free_dir:
	if (fd >= 0)
		close(fd);
	if (rc && fd >= 0 && vol->v[vn].type == RXD_FS_FREE)
		data_unlink(vol, vn);
	rxd_afsdir_free(&d);
	pthread_rwlock_unlock(&vol->lock);
	return rc;
}

int rxd_fs_create_file(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name, uint32_t caller,
		       const struct rxd_fs_setattr *sa, struct rxd_fs_fid *out, struct rxd_fs_status *out_st,
		       struct rxd_fs_status *dir_st)
{
	return create_vnode(st, dir, name, RXD_FS_FILE, NULL, caller, sa, out, out_st, dir_st);
}

int rxd_fs_make_dir(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name, uint32_t caller,
		    const struct rxd_fs_setattr *sa, struct rxd_fs_fid *out, struct rxd_fs_status *out_st,
		    struct rxd_fs_status *dir_st)
{
	return create_vnode(st, dir, name, RXD_FS_DIR, NULL, caller, sa, out, out_st, dir_st);
}

int rxd_fs_symlink(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name, const char *target,
		   uint32_t caller, const struct rxd_fs_setattr *sa, struct rxd_fs_fid *out,
		   struct rxd_fs_status *out_st, struct rxd_fs_status *dir_st)
{
	return create_vnode(st, dir, name, RXD_FS_SYMLINK, target, caller, sa, out, out_st, dir_st);
}

int rxd_fs_lookup(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name, struct rxd_fs_fid *out,
		  struct rxd_fs_status *out_st)
{
	struct rxd_afsdir d;
	struct vol *vol;
	uint32_t vn, vu;
	int rc;

	if ((rc = lock_dir(st, dir, 0, &vol, &d)))
		return rc;
	rc = -rxd_afsdir_lookup(&d, name, &vn, &vu);
	rxd_afsdir_free(&d);
	if (rc == 0 && !live(vol, vn, vu))
		rc = RXD_FS_VSALVAGE; /* a name whose vnode is gone */
	if (rc == 0) {
		*out = (struct rxd_fs_fid){vol->id, vn, vu};
		fill_status(vol, vn, out_st);
	}
	pthread_rwlock_unlock(&vol->lock);
	return rc;
}

/* Drop one name of vnode vn: free it (and its data) at link count 0, as
 * DeleteTarget does; a directory always goes. */
static int drop_link(struct vol *vol, uint32_t vn, int *freed)
{
	struct vrec *r = &vol->v[vn];
	uint32_t u = r->unique;

	*freed = r->type == RXD_FS_DIR || r->link_count <= 1;
	if (!*freed) {
		r->link_count--;
		r->smtime = now32();
	} else {
		memset(r, 0, sizeof(*r));
		r->unique = u;
	}
	return rec_write(vol, vn);
}

static int remove_entry(struct rxd_fs_store *st, const struct rxd_fs_fid *dirfid, const char *name, int want_dir,
			uint32_t caller, struct rxd_fs_status *dir_st)
{
	struct rxd_afsdir d, cd;
	struct vol *vol;
	uint32_t vn, vu;
	int rc, freed = 0, sync = want_sync(st, NULL);

	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return EINVAL;
	if ((rc = lock_dir(st, dirfid, 1, &vol, &d)))
		return rc;
	if ((rc = -rxd_afsdir_lookup(&d, name, &vn, &vu)))
		goto out;
	if (vn == dirfid->vnode) {
		rc = EINVAL;
		goto out;
	}
	if (!live(vol, vn, vu)) {
		rc = RXD_FS_VSALVAGE;
		goto out;
	}
	if (want_dir && vol->v[vn].type != RXD_FS_DIR) {
		rc = ENOTDIR;
		goto out;
	}
	if (!want_dir && vol->v[vn].type == RXD_FS_DIR) {
		rc = EISDIR;
		goto out;
	}
	if (want_dir) {
		if ((rc = dir_load(vol, vn, &cd)))
			goto out;
		rc = rxd_afsdir_is_empty(&cd) ? 0 : EEXIST; /* DeleteTarget's answer */
		rxd_afsdir_free(&cd);
		if (rc)
			goto out;
	}
	if ((rc = -rxd_afsdir_remove(&d, name)))
		goto out;
	if (want_dir)
		vol->v[dirfid->vnode].link_count--;
	if ((rc = dir_save(vol, dirfid->vnode, &d, caller)) == 0 && (rc = rec_write(vol, dirfid->vnode)) == 0)
		rc = drop_link(vol, vn, &freed);
	if ((rc = vol_commit(vol, rc, sync)))
		goto out;
	if (freed)
		data_unlink(vol, vn);
	fill_status(vol, dirfid->vnode, dir_st);
out:
	rxd_afsdir_free(&d);
	pthread_rwlock_unlock(&vol->lock);
	return rc;
}

int rxd_fs_remove_file(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name, uint32_t caller,
		       struct rxd_fs_status *dir_st)
{
	return remove_entry(st, dir, name, 0, caller, dir_st);
}

int rxd_fs_remove_dir(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name, uint32_t caller,
		      struct rxd_fs_status *dir_st)
{
	return remove_entry(st, dir, name, 1, caller, dir_st);
}

int rxd_fs_link(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name,
		const struct rxd_fs_fid *existing, uint32_t caller, struct rxd_fs_status *out_st,
		struct rxd_fs_status *dir_st)
{
	struct rxd_afsdir d;
	struct vol *vol;
	struct vrec *t;
	int rc, sync = want_sync(st, NULL);

	if (dir->volume != existing->volume)
		return EXDEV;
	if (!name_ok(name))
		return EINVAL;
	if ((rc = lock_dir(st, dir, 1, &vol, &d)))
		return rc;
	t = live(vol, existing->vnode, existing->unique) ? &vol->v[existing->vnode] : NULL;
	/* OpenAFS refuses on the fids first: odd vnodes are directories. */
	if (((dir->vnode & 1) && (existing->vnode & 1)) || dir->vnode == existing->vnode)
		rc = EISDIR;
	else if (!t)
		rc = RXD_FS_VNOVNODE;
	else if (t->type != RXD_FS_FILE)
		rc = EISDIR;
	else if (t->parent != dir->vnode)
		rc = EXDEV; /* hard links stay in one directory: one ACL */
	else
		rc = -rxd_afsdir_add(&d, name, existing->vnode, existing->unique);
	if (rc == 0) {
		t->link_count++;
		t->author = caller;
		t->smtime = now32();
		if ((rc = dir_save(vol, dir->vnode, &d, caller)) == 0 && (rc = rec_write(vol, dir->vnode)) == 0)
			rc = rec_write(vol, existing->vnode);
		if ((rc = vol_commit(vol, rc, sync)) == 0) {
			fill_status(vol, existing->vnode, out_st);
			fill_status(vol, dir->vnode, dir_st);
		}
	}
	rxd_afsdir_free(&d);
	pthread_rwlock_unlock(&vol->lock);
	return rc;
}

/* SAFSS_Rename's subtree test: walking up from the new directory must not
 * meet the moved directory. */
static int in_subtree(const struct vol *vol, uint32_t top, uint32_t dir)
{
	for (uint32_t n = dir, steps = 0; n != 0 && steps < vol->nv; steps++) {
		if (n == top)
			return 1;
		n = n < vol->nv ? vol->v[n].parent : 0;
	}
	return 0;
}

struct rename_op {
	struct vol *vol;
	uint32_t odir, ndir, caller;
	const char *oname, *nname;
	struct rxd_afsdir *od, *nd; /* the same directory when odir == ndir */
	struct rxd_afsdir od_buf, nd_buf;
	uint32_t fv, fu; /* the moved vnode */
	uint32_t tv, tu; /* the replaced target, tv 0 if none */
};

static int rename_check(struct rename_op *op)
{
	struct vol *vol = op->vol;
	struct vrec *f;
	int rc;

	if ((rc = -rxd_afsdir_lookup(op->od, op->oname, &op->fv, &op->fu)))
		return rc;
	if (!live(vol, op->fv, op->fu))
		return EIO;
	f = &vol->v[op->fv];
	if (f->type != RXD_FS_DIR && op->odir != op->ndir && f->link_count != 1)
		return EXDEV;
	rc = -rxd_afsdir_lookup(op->nd, op->nname, &op->tv, &op->tu);
	if (rc == ENOENT) {
		op->tv = 0;
	} else if (rc) {
		return rc;
	} else {
		struct vrec *t;

		if (op->tv == op->odir || op->tv == op->ndir || op->tv == op->fv)
			return EINVAL;
		if (!live(vol, op->tv, op->tu))
			return EIO;
		t = &vol->v[op->tv];
		if (t->type == RXD_FS_DIR) {
			struct rxd_afsdir td;

			if (f->type != RXD_FS_DIR)
				return EISDIR;
			if ((rc = dir_load(vol, op->tv, &td)))
				return rc;
			rc = rxd_afsdir_is_empty(&td) ? 0 : EEXIST;
			rxd_afsdir_free(&td);
			if (rc)
				return rc;
		} else if (f->type == RXD_FS_DIR) {
			return ENOTDIR;
		}
	}
	if (op->odir != op->ndir && f->type == RXD_FS_DIR && in_subtree(vol, op->fv, op->ndir))
		return RXD_FS_ELOOP;
	return 0;
}

/* A moved directory's ".." names its new parent. */
static int rename_fix_dotdot(struct rename_op *op)
{
	struct rxd_afsdir fd;
	int rc;

	if ((rc = dir_load(op->vol, op->fv, &fd)))
		return rc;
	rxd_afsdir_remove(&fd, "..");
	if ((rc = -rxd_afsdir_add(&fd, "..", op->ndir, op->vol->v[op->ndir].unique)) == 0 &&
	    (rc = dir_save(op->vol, op->fv, &fd, op->caller)) == 0) {
		op->vol->v[op->odir].link_count--;
		op->vol->v[op->ndir].link_count++;
	}
	rxd_afsdir_free(&fd);
	return rc;
}

/* Edit the directories in memory (where EFBIG can still refuse), then stage
 * every write of the rename as one journaled change. */
static int rename_apply(struct rename_op *op, int *freed)
{
	struct vol *vol = op->vol;
	int same = op->odir == op->ndir, rc;

	if (op->tv && (rc = -rxd_afsdir_remove(op->nd, op->nname)))
		return rc;
	if ((rc = -rxd_afsdir_add(op->nd, op->nname, op->fv, op->fu)))
		return rc;
	if ((rc = -rxd_afsdir_remove(op->od, op->oname)))
		return rc;
	/* A same-directory rename bumps its data version once, as
	 * SAFSS_Rename's net effect. */
	if ((rc = dir_save(vol, op->ndir, op->nd, op->caller)))
		return rc;
	if (!same && (rc = dir_save(vol, op->odir, op->od, op->caller)))
		return rc;
	if (vol->v[op->fv].parent != op->ndir) {
		vol->v[op->fv].parent = op->ndir;
		vol->v[op->fv].smtime = now32();
	}
	if (!same && vol->v[op->fv].type == RXD_FS_DIR && (rc = rename_fix_dotdot(op)))
		return rc;
	/* The replaced directory's ".." no longer counts.  (OpenAFS only
	 * decrements the target's count and leaves its vnode behind.) */
	if (op->tv && vol->v[op->tv].type == RXD_FS_DIR)
		vol->v[op->ndir].link_count--;
	if ((rc = rec_write(vol, op->fv)) || (rc = rec_write(vol, op->ndir)) ||
	    (!same && (rc = rec_write(vol, op->odir))))
		return rc;
	return op->tv ? drop_link(vol, op->tv, freed) : 0;
}

int rxd_fs_rename(struct rxd_fs_store *st, const struct rxd_fs_fid *odir, const char *oname,
		  const struct rxd_fs_fid *ndir, const char *nname, uint32_t caller, struct rxd_fs_status *odir_st,
		  struct rxd_fs_status *ndir_st)
{
	struct rename_op op = {.oname = oname, .nname = nname, .caller = caller};
	struct vol *vol;
	int rc, freed = 0, same = odir->vnode == ndir->vnode;

	if (!name_ok(nname))
		return EINVAL;
	if (odir->volume != ndir->volume)
		return EXDEV;
	if (!strcmp(oname, ".") || !strcmp(oname, "..") || !strcmp(nname, ".") || !strcmp(nname, "..") || !oname[0] ||
	    !nname[0])
		return EINVAL;
	if ((rc = lock_fid(st, odir, 1, &vol)))
		return rc;
	if (!live(vol, ndir->vnode, ndir->unique)) {
		pthread_rwlock_unlock(&vol->lock);
		return RXD_FS_VNOVNODE;
	}
	if (vol->v[odir->vnode].type != RXD_FS_DIR || vol->v[ndir->vnode].type != RXD_FS_DIR) {
		pthread_rwlock_unlock(&vol->lock);
		return ENOTDIR;
	}
	op.vol = vol;
	op.odir = odir->vnode;
	op.ndir = ndir->vnode;
	op.od = &op.od_buf;
	op.nd = same ? op.od : &op.nd_buf;
	if ((rc = dir_load(vol, op.odir, op.od)))
		goto unlock;
	if (!same && (rc = dir_load(vol, op.ndir, op.nd))) {
		rxd_afsdir_free(op.od);
		goto unlock;
	}
	if ((rc = rename_check(&op)) == 0)
		rc = vol_commit(vol, rename_apply(&op, &freed), want_sync(st, NULL));
	if (rc == 0 && freed)
		data_unlink(vol, op.tv);
	if (!same)
		rxd_afsdir_free(op.nd);
	rxd_afsdir_free(op.od);
	if (rc == 0) {
		fill_status(vol, op.odir, odir_st);
		fill_status(vol, op.ndir, ndir_st);
	}
unlock:
	pthread_rwlock_unlock(&vol->lock);
	return rc;
}

int rxd_fs_store_status(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, uint32_t caller,
			const struct rxd_fs_setattr *sa, struct rxd_fs_status *out)
{
	struct vol *vol;
	struct vrec *r;
	int rc;

	(void)caller; /* StoreStatus leaves the author alone (TVS_SSTATUS) */
	if ((rc = lock_fid(st, fid, 1, &vol)))
		return rc;
	r = &vol->v[fid->vnode];
	if (sa->mask & RXD_FS_SETMODTIME)
		r->cmtime = sa->client_mtime;
	apply_setattr(r, sa);
	r->smtime = now32();
	if ((rc = vol_commit(vol, rec_write(vol, fid->vnode), want_sync(st, sa))) == 0)
		fill_status(vol, fid->vnode, out);
	pthread_rwlock_unlock(&vol->lock);
	return rc;
}

/* ------------------------------------------------------------------ stream locks */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The file's entry (added idle when absent, NULL without memory).  Under stream_mu. */
static struct stream_lock *stream_find(struct vol *vol, uint32_t vnode, uint32_t unique, int add)
{
	struct stream_lock *sl;

	for (uint32_t i = 0; i < vol->n_streams; i++)
		if (vol->streams[i].vnode == vnode && vol->streams[i].unique == unique)
			return &vol->streams[i];
	if (!add)
		return NULL;
	if (vol->n_streams == vol->cap_streams) {
		uint32_t cap = vol->cap_streams ? vol->cap_streams * 2 : 16;
		struct stream_lock *n = realloc(vol->streams, cap * sizeof(*n));
		if (!n)
			return NULL;
		vol->streams = n;
		vol->cap_streams = cap;
	}
	sl = &vol->streams[vol->n_streams++];
	*sl = (struct stream_lock){.vnode = vnode, .unique = unique};
	return sl;
}

/* Forget an entry nothing holds or waits for.  Under stream_mu. */
static void stream_tidy(struct vol *vol, struct stream_lock *sl, uint64_t now)
{
	if (sl->readers == 0 && !sl->writer && sl->want_write_until <= now && sl->want_read_until <= now &&
	    sl->readers_turn_until <= now)
		*sl = vol->streams[--vol->n_streams];
}

/*
 * Take the file's stream lock without waiting: 0, RXD_FS_WAIT (a conflicting
 * stream is open; nothing taken, try again later) or ENOMEM.  Turns
 * alternate, so neither side starves the other: a refused writer holds new
 * readers back, and a writer ending while readers were refused gives
 * readers a turn of READERS_TURN_NS before the next writer.  A claim lasts
 * STREAM_HOLD_NS, renewed by each retry, so a call that died while waiting
 * stops holding the others back by itself.
 */
static int stream_take(struct vol *vol, uint32_t vnode, uint32_t unique, int write)
{
	uint64_t now = mono_ns();
	struct stream_lock *sl;
	int rc = 0;

	pthread_mutex_lock(&vol->stream_mu);
	sl = stream_find(vol, vnode, unique, 1);
	if (!sl) {
		rc = ENOMEM;
	} else if (write && (sl->readers || sl->writer || sl->readers_turn_until > now)) {
		sl->want_write_until = now + STREAM_HOLD_NS;
		rc = RXD_FS_WAIT;
	} else if (!write && (sl->writer || (sl->readers_turn_until <= now && sl->want_write_until > now))) {
		sl->want_read_until = now + STREAM_HOLD_NS;
		rc = RXD_FS_WAIT;
	} else if (write) {
		sl->writer = 1;
		sl->want_write_until = 0; /* a store still waiting renews it on its next try */
	} else {
		sl->readers++;
	}
	pthread_mutex_unlock(&vol->stream_mu);
	return rc;
}

static void stream_release(struct vol *vol, uint32_t vnode, uint32_t unique, int write)
{
	struct stream_lock *sl;

	pthread_mutex_lock(&vol->stream_mu);
	sl = stream_find(vol, vnode, unique, 0);
	if (sl) {
		uint64_t now = mono_ns();
		if (write) {
			sl->writer = 0;
			if (sl->want_read_until > now) {
				sl->readers_turn_until = now + READERS_TURN_NS;
				sl->want_read_until = 0;
			}
		} else if (sl->readers) {
			sl->readers--;
		}
		stream_tidy(vol, sl, now);
	}
	pthread_mutex_unlock(&vol->stream_mu);
}

/* rxd_fs_read and rxd_fs_store_data, which have no caller to come back: a begin that must wait is tried
 * again while this says so (*deadline: 0 the first time). */
static int wait_a_little(int rc, uint64_t *deadline)
{
	struct timespec ts = {0, WAIT_SLEEP_US * 1000l};

	if (rc != RXD_FS_WAIT)
		return 0;
	if (!*deadline)
		*deadline = mono_ns() + WAIT_MAX_NS;
	else if (mono_ns() > *deadline)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

int rxd_fs_fetch_begin(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, struct rxd_fs_rd **out,
		       struct rxd_fs_status *status)
{
	struct rxd_fs_rd *rd;
	struct vol *vol;
	int rc, file;

	if ((rc = lock_fid(st, fid, 0, &vol)))
		return rc;
	/* a file's bytes change only by StoreData: its stream lock makes the fetch see one version; a
	 * directory or a symlink changes under the volume lock only */
	file = vol->v[fid->vnode].type == RXD_FS_FILE;
	if (file && (rc = stream_take(vol, fid->vnode, fid->unique, 0))) {
		pthread_rwlock_unlock(&vol->lock);
		return rc;
	}
	rd = malloc(sizeof(*rd));
	if (!rd) {
		rc = ENOMEM;
	} else {
		*rd = (struct rxd_fs_rd){.length = vol->v[fid->vnode].length,
					 .vol = file ? vol : NULL,
					 .vnode = fid->vnode,
					 .unique = fid->unique};
		rd->fd = data_open(vol, fid->vnode, O_RDONLY);
		if (rd->fd < 0) {
			free(rd);
			rc = EIO;
		} else {
			fill_status(vol, fid->vnode, status);
			*out = rd;
		}
	}
	if (rc && file)
		stream_release(vol, fid->vnode, fid->unique, 0);
	pthread_rwlock_unlock(&vol->lock);
	return rc;
}

int rxd_fs_fetch_readv(struct rxd_fs_rd *rd, uint64_t off, const struct iovec *iov, unsigned cnt, size_t *got)
{
	size_t n = 0, pos = 0;
	unsigned k = 0;
	int rc;

	*got = 0;
	while (k < cnt && off + n < rd->length) { /* the iovecs up to the length */
		n += iov[k].iov_len;
		k++;
	}
	if (n == 0)
		return 0;
	if (n > rd->length - off)
		n = (size_t)(rd->length - off);
	rc = preadv_all(rd->fd, iov, k, (off_t)off, got);
	if (*got > n)
		*got = n; /* the file grew since begin: the bytes past the announced length are not sent */
	/* Truncated since the status was taken: the bytes it promised read as the hole they now are. */
	for (unsigned i = 0; rc == 0 && i < k && pos < n; pos += iov[i].iov_len, i++) {
		size_t end = pos + iov[i].iov_len < n ? pos + iov[i].iov_len : n;
		if (end > *got)
			memset((uint8_t *)iov[i].iov_base + (*got > pos ? *got - pos : 0), 0,
			       end - (*got > pos ? *got : pos));
	}
	if (rc == 0)
		*got = n;
	return rc;
}

int rxd_fs_fetch_read(struct rxd_fs_rd *rd, uint64_t off, void *buf, size_t n, size_t *got)
{
	return rxd_fs_fetch_readv(rd, off, &(struct iovec){.iov_base = buf, .iov_len = n}, 1, got);
}

void rxd_fs_fetch_end(struct rxd_fs_rd *rd)
{
	if (!rd)
		return;
	close(rd->fd);
	if (rd->vol)
		stream_release(rd->vol, rd->vnode, rd->unique, 0);
	free(rd);
}

int rxd_fs_read(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, uint64_t off, void *buf, size_t n, size_t *got,
		struct rxd_fs_status *status)
{
	struct rxd_fs_rd *rd;
	uint64_t deadline = 0;
	int rc = rxd_fs_fetch_begin(st, fid, &rd, status);

	while (wait_a_little(rc, &deadline))
		rc = rxd_fs_fetch_begin(st, fid, &rd, status);
	*got = 0;
	if (rc == RXD_FS_WAIT)
		return EAGAIN;
	if (rc)
		return rc;
	rc = rxd_fs_fetch_read(rd, off, buf, n, got);
	rxd_fs_fetch_end(rd);
	return rc;
}

int rxd_fs_store_begin(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, uint32_t caller,
		       const struct rxd_fs_setattr *sa, uint64_t pos, uint64_t length, uint64_t file_length,
		       struct rxd_fs_wr **out)
{
	struct rxd_fs_wr *wr;
	struct vol *vol;
	struct vrec *r;
	int rc;

	if (pos > (uint64_t)INT64_MAX || length > (uint64_t)INT64_MAX - pos)
		return EFBIG;
	if ((rc = lock_fid(st, fid, 1, &vol)))
		return rc;
	r = &vol->v[fid->vnode];
	if (r->type == RXD_FS_DIR) {
		rc = EISDIR;
		goto unlock;
	}
	if ((rc = stream_take(vol, fid->vnode, fid->unique, 1)))
		goto unlock;
	wr = calloc(1, sizeof(*wr));
	if (!wr) {
		stream_release(vol, fid->vnode, fid->unique, 1);
		rc = ENOMEM;
		goto unlock;
	}
	*wr = (struct rxd_fs_wr){.st = st,
				 .vol = vol,
				 .vnode = fid->vnode,
				 .unique = fid->unique,
				 .caller = caller,
				 .pos = pos,
				 .start = pos,
				 .end = pos + length};
	if (sa)
		wr->sa = *sa;
	wr->fd = data_open(vol, fid->vnode, O_RDWR);
	if (wr->fd < 0) {
		rc = EIO;
	} else if (file_length < r->length) {
		/* StoreData_RXStyle: a FileLength below the length truncates. */
		if (ftruncate(wr->fd, (off_t)file_length) < 0)
			rc = io_err(errno);
		else
			r->length = file_length;
	}
	if (rc) {
		if (wr->fd >= 0)
			close(wr->fd);
		free(wr);
		stream_release(vol, fid->vnode, fid->unique, 1);
		goto unlock;
	}
	*out = wr;
unlock:
	pthread_rwlock_unlock(&vol->lock);
	return rc;
}

int rxd_fs_store_write(struct rxd_fs_wr *wr, const void *buf, size_t n)
{
	int rc;

	if (n > wr->end - wr->pos)
		return EINVAL; /* more than the request declared */
	rc = pwrite_all(wr->fd, buf, n, (off_t)wr->pos);
	if (rc == 0)
		wr->pos += n;
	return rc;
}

int rxd_fs_store_end(struct rxd_fs_wr *wr, int err, struct rxd_fs_status *out)
{
	struct vol *vol = wr->vol;
	struct vrec *r;
	struct stat sb;
	uint64_t len;
	uint32_t now = now32();
	int rc = err, sync = want_sync(wr->st, &wr->sa);

	pthread_rwlock_wrlock(&vol->lock);
	r = &vol->v[wr->vnode];
	if (r->type == RXD_FS_FREE || r->unique != wr->unique) {
		rc = RXD_FS_VNOVNODE; /* removed while the data streamed in */
		goto out;
	}
	/* The length is the data file's size, as CheckLength expects: with the
	 * bytes of stores that overlap this one in time, never shrunk by them. */
	if (fstat(wr->fd, &sb) < 0) {
		rc = rc ? rc : EIO;
		goto out;
	}
	len = (uint64_t)sb.st_size;
	if (rc == 0 && wr->end == wr->start && wr->start > len) { /* zero bytes at Pos: extend */
		if (ftruncate(wr->fd, (off_t)wr->start) < 0)
			rc = io_err(errno);
		else
			len = wr->start;
	}
	if (rc == 0 && sync && fsync(wr->fd) < 0)
		rc = EIO;
	r->length = len;
	if (rc) {
		/* The bytes that did arrive, no new version. */
		vol_commit(vol, rec_write(vol, wr->vnode), 0);
		goto out;
	}
	r->dv++;
	r->author = wr->caller;
	r->cmtime = (wr->sa.mask & RXD_FS_SETMODTIME) ? wr->sa.client_mtime : now;
	r->smtime = now;
	apply_setattr(r, &wr->sa);
	if ((rc = vol_commit(vol, rec_write(vol, wr->vnode), sync)) == 0)
		fill_status(vol, wr->vnode, out);
out:
	/* released before the volume lock: a fetch taking the stream lock next sees the new record */
	stream_release(vol, wr->vnode, wr->unique, 1);
	pthread_rwlock_unlock(&vol->lock);
	close(wr->fd);
	free(wr);
	return rc;
}

int rxd_fs_store_data(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, uint32_t caller,
		      const struct rxd_fs_setattr *sa, uint64_t pos, const void *buf, uint64_t length,
		      uint64_t file_length, struct rxd_fs_status *out)
{
	struct rxd_fs_wr *wr;
	uint64_t deadline = 0;
	int rc = rxd_fs_store_begin(st, fid, caller, sa, pos, length, file_length, &wr);

	while (wait_a_little(rc, &deadline))
		rc = rxd_fs_store_begin(st, fid, caller, sa, pos, length, file_length, &wr);
	if (rc == RXD_FS_WAIT)
		return EAGAIN;
	if (rc)
		return rc;
	if (length > SIZE_MAX)
		rc = EFBIG;
	else
		rc = rxd_fs_store_write(wr, buf, (size_t)length);
	return rxd_fs_store_end(wr, rc, out);
}

static int32_t kib_clamp(uint64_t bytes)
{
	uint64_t k = bytes / 1024;

	return k > INT32_MAX ? INT32_MAX : (int32_t)k;
}

int rxd_fs_volume_status(struct rxd_fs_store *st, uint32_t vid, struct rxd_fs_volstatus *vs)
{
	struct vol *vol = vol_find(st, vid);
	struct statvfs sv;
	uint64_t used = 0;

	if (!vol)
		return RXD_FS_VNOVOL;
	if (fstatvfs(vol->data_dfd, &sv) < 0)
		return EIO;
	pthread_rwlock_rdlock(&vol->lock);
	for (uint32_t i = 0; i < vol->nv; i++)
		if (vol->v[i].type != RXD_FS_FREE)
			used += (vol->v[i].length + 1023) / 1024 * 1024; /* whole 1 KiB blocks, as nBlocks() */
	memset(vs, 0, sizeof(*vs));
	vs->vid = vol->id;
	vs->parent_id = vol->id;
	vs->online = 1;
	vs->in_service = 1;
	vs->blessed = 1;
	vs->need_salvage = (uint8_t)vol->bad;
	vs->type = 0;
	vs->max_quota = vol->max_quota;
	vs->blocks_in_use = kib_clamp(used);
	snprintf(vs->name, sizeof(vs->name), "%s", vol->name);
	pthread_rwlock_unlock(&vol->lock);
	vs->part_blocks_avail = kib_clamp((uint64_t)sv.f_bavail * sv.f_frsize);
	vs->part_max_blocks = kib_clamp((uint64_t)sv.f_blocks * sv.f_frsize);
	return 0;
}

int rxd_fs_store_acl(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, const struct rxd_fs_acl *acl,
		     struct rxd_fs_status *out)
{
	struct vol *vol;
	int rc = lock_fid(st, fid, 1, &vol), sync = want_sync(st, NULL);

	if (rc)
		return rc;
	if (vol->v[fid->vnode].type != RXD_FS_DIR)
		rc = ENOTDIR;
	else if ((rc = acl_write(vol, fid->vnode, acl)) == 0)
		vol->v[fid->vnode].smtime = now32(); /* OpenAFS's StoreACL stamps the directory's server time */
	if (rc == 0)
		rc = rec_write(vol, fid->vnode);
	if ((rc = vol_commit(vol, rc, sync)) == 0)
		fill_status(vol, fid->vnode, out);
	pthread_rwlock_unlock(&vol->lock);
	return rc;
}
