/* SPDX-License-Identifier: MIT */
/* RXAFS operations over the store (see fsops.h). */
#include "fsops.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define RIGHTS_READ (RXD_FS_READ | RXD_FS_LOOKUP)
#define RIGHTS_WRITE (RIGHTS_READ | RXD_FS_INSERT | RXD_FS_DELETE | RXD_FS_WRITE | RXD_FS_LOCK)
#define CB_SECONDS 7200u   /* callback promise lifetime given to clients */
#define LOCK_SECONDS 1800u /* an advisory lock not extended for this long is gone */
#define OWNER_READ 0500u   /* OpenAFS OWNERREAD | OWNEREXEC */
#define OWNER_WRITE 0200u

uint32_t rxd_fs_anon_rights(enum rxd_fs_anon a)
{
	return a == RXD_FS_ANON_WRITE ? RIGHTS_WRITE : a == RXD_FS_ANON_READ ? RIGHTS_READ : 0;
}

int rxd_fs_srv_init(struct rxd_fs_srv *s, struct rxd_fs_store *st, enum rxd_fs_anon anon)
{
	memset(s, 0, sizeof(*s));
	s->st = st;
	s->anon_rights = rxd_fs_anon_rights(anon);
	s->cb_seconds = CB_SECONDS;
	return -pthread_mutex_init(&s->lock_mu, NULL);
}

void rxd_fs_srv_fini(struct rxd_fs_srv *s)
{
	pthread_mutex_destroy(&s->lock_mu);
	free(s->locks);
	s->locks = NULL;
}

static uint64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static struct rxd_fs_fid fid_of(const struct rxd_AFSFid *f)
{
	return (struct rxd_fs_fid){.volume = f->Volume, .vnode = f->Vnode, .unique = f->Unique};
}

/* ------------------------------------------------------------------ the caller and its rights */

void rxd_fs_caller_resolve(const struct rxd_fs_srv *s, const struct rxd_fs_ident *ident, struct rxd_fs_caller *out)
{
	char name[3 * sizeof(ident->name)];
	int32_t id;

	memset(out, 0, sizeof(*out));
	/* anonymous (and, as a PR service answering a name it does not know, an unknown user): system:anyuser */
	if (!ident->authenticated ||
	    rxd_fs_principal_name(ident->name, ident->instance, ident->cell, s->local_realm, name, sizeof(name)))
		goto anonymous;
	if (s->pr) {
		/* a ptserver that cannot be asked leaves the caller anonymous for this call, not cached */
		if (rxd_fs_pr_cps(s->pr, name, &id, out->cps, &out->ncps, RXD_FS_CPS_MAX) || id <= 0)
			goto anonymous;
	} else if (rxd_fs_users_name_to_id(s->users, name, &id) || id <= 0 || id == RXD_FS_ANON_USER_ID) {
		goto anonymous;
	} else {
		out->ncps = rxd_fs_users_cps(s->users, id, out->cps, RXD_FS_CPS_MAX);
	}
	out->id = id;
	out->authenticated = true;
	return;
anonymous:
	memset(out, 0, sizeof(*out));
	out->id = RXD_FS_ANON_USER_ID;
	out->cps[out->ncps++] = RXD_FS_ANYUSER_ID;
}

/* ACL names (rxd_fs_name_to_id_fn, arg the srv): the system groups, ids as numbers, then the ptserver or the table. */
static int srv_name_to_id(const void *arg, const char *name, int32_t *id)
{
	const struct rxd_fs_srv *s = arg;

	if (!s->pr || rxd_fs_users_name_to_id(NULL, name, id) == 0)
		return rxd_fs_users_name_to_id(s->users, name, id);
	return rxd_fs_pr_name_to_id(s->pr, name, id);
}

static int srv_id_to_name(const void *arg, int32_t id, char *name, size_t size)
{
	const struct rxd_fs_srv *s = arg;

	if (!s->pr || rxd_fs_users_id_to_name(NULL, id, name, size) == 0)
		return rxd_fs_users_id_to_name(s->users, id, name, size);
	return rxd_fs_pr_id_to_name(s->pr, id, name, size);
}

static bool in_cps(const struct rxd_fs_caller *c, int32_t id)
{
	for (uint32_t i = 0; i < c->ncps; i++)
		if (c->cps[i] == id)
			return true;
	return false;
}

/* Not a "vanilla user" (OpenAFS VanillaUser): a member of system:administrators. */
static bool is_admin(const struct rxd_fs_op *op)
{
	return in_cps(&op->caller, RXD_FS_ADMINS_ID);
}

static bool owns(const struct rxd_fs_op *op, const struct rxd_fs_status *v)
{
	return (uint32_t)op->caller.id == v->owner;
}

/* OpenAFS VolumeOwner: the volume's owner has implicit lookup and administer (never the anonymous id). */
static bool vol_owner(const struct rxd_fs_op *op, const struct rxd_fs_status *v)
{
	return op->caller.authenticated && (uint32_t)op->caller.id == v->vol_owner;
}

/*
 * The caller's rights on a vnode (GetRights and GetVolumePackage): what the
 * governing ACL gives its CPS (capped by the --anonymous policy when it is
 * anonymous), lookup for administrators (OpenAFS's default implicit rights),
 * and on a file administer exactly when the caller owns it.
 */
static uint32_t rights_of(const struct rxd_fs_op *op, const struct rxd_fs_status *v)
{
	const struct rxd_fs_caller *c = &op->caller;
	uint32_t r = rxd_fs_acl_rights(&v->acl, c->cps, c->ncps);

	if (!c->authenticated)
		r &= op->srv->anon_rights;
	if (is_admin(op))
		r |= RXD_FS_LOOKUP;
	if (v->type != RXD_FS_DIR)
		r = owns(op, v) ? r | RXD_FS_ADMINISTER : r & ~RXD_FS_ADMINISTER;
	return r;
}

/* Check_PermissionRights for a fetch (status, or data when data): 0 or EACCES. */
static int fetch_allowed(const struct rxd_fs_op *op, const struct rxd_fs_status *v, bool data)
{
	uint32_t r = rights_of(op, v);

	if (!data && is_admin(op))
		return 0;
	if (v->type != RXD_FS_FILE) {
		if (!(r & RXD_FS_LOOKUP) && !vol_owner(op, v))
			return EACCES;
	} else if (!(r & RXD_FS_READ) &&
		   !(owns(op, v) && (r & RXD_FS_INSERT) && op->caller.id != RXD_FS_ANON_USER_ID)) {
		return EACCES; /* read, or the owner with insert (a file it just made) */
	}
	/* the owner reads its own file whatever the mode; others need an owner read or exec bit */
	if (data && v->type == RXD_FS_FILE && !owns(op, v) && !is_admin(op) && !(v->mode & OWNER_READ))
		return EACCES;
	return 0;
}

enum store_kind { STORE_DATA, STORE_STATUS, STORE_ACL };

/* Check_PermissionRights for a store: 0, EACCES, or EPERM for a chown/chgrp by a non-administrator. */
static int store_allowed(const struct rxd_fs_op *op, const struct rxd_fs_status *v, enum store_kind k,
			 const struct rxd_fs_setattr *sa)
{
	uint32_t r = rights_of(op, v);
	bool admin = is_admin(op);
	bool chown = sa && (((sa->mask & RXD_FS_SETOWNER) && sa->owner != v->owner) ||
			    ((sa->mask & RXD_FS_SETGROUP) && sa->group != v->group));

	/* the creator's first stores after a create, before the mode bits it set apply */
	if ((r & RXD_FS_INSERT) && owns(op, v) && k != STORE_ACL && v->type == RXD_FS_FILE)
		return chown && !admin ? EPERM : 0;
	if (k != STORE_DATA && admin)
		return 0;
	if (k == STORE_ACL)
		return (r & RXD_FS_ADMINISTER) || vol_owner(op, v) ? 0 : EACCES;
	if (chown && !admin)
		return EPERM;
	if (sa && (sa->mask & RXD_FS_SETMODE) && (sa->mode & 06000) && !admin)
		return EACCES; /* setuid and setgid bits are the administrators' */
	if (k == STORE_DATA)
		return !(r & RXD_FS_WRITE) || (v->type != RXD_FS_DIR && !(v->mode & OWNER_WRITE) && !admin) ? EACCES
													    : 0;
	if (v->type == RXD_FS_DIR)
		return r & (RXD_FS_DELETE | RXD_FS_INSERT) ? 0 : EACCES;
	return r & RXD_FS_WRITE ? 0 : EACCES;
}

/* ------------------------------------------------------------------ locks */

static bool fid_eq(const struct rxd_fs_fid *a, const struct rxd_fs_fid *b)
{
	return a->volume == b->volume && a->vnode == b->vnode && a->unique == b->unique;
}

/* The live entry for fid (expired ones are dropped on the way), or NULL.  Under lock_mu. */
static struct rxd_fs_lock *lock_find(struct rxd_fs_srv *s, const struct rxd_fs_fid *fid, uint64_t now)
{
	for (uint32_t i = 0; i < s->n_locks;) {
		struct rxd_fs_lock *l = &s->locks[i];
		if (l->expires <= now || l->count == 0) {
			*l = s->locks[--s->n_locks];
			continue;
		}
		if (fid_eq(&l->fid, fid))
			return l;
		i++;
	}
	return NULL;
}

/* The fid's lockCount in *n: 0, or -EWOULDBLOCK (*n 0) where try and lock_mu is taken (a worker lcore). */
static int lock_count(struct rxd_fs_srv *s, const struct rxd_fs_fid *fid, bool try, int32_t *n)
{
	struct rxd_fs_lock *l;

	*n = 0;
	if (!try)
		pthread_mutex_lock(&s->lock_mu);
	else if (pthread_mutex_trylock(&s->lock_mu))
		return -EWOULDBLOCK;
	l = lock_find(s, fid, now_s());
	*n = l ? l->count : 0;
	pthread_mutex_unlock(&s->lock_mu);
	return 0;
}

/* OpenAFS's HandleLocking: readers share, a writer excludes, a conflict is EWOULDBLOCK (the client retries). */
static int lock_op(struct rxd_fs_srv *s, const struct rxd_fs_fid *fid, int op, int32_t type)
{
	uint64_t now = now_s();
	struct rxd_fs_lock *l;
	int rc = 0;

	pthread_mutex_lock(&s->lock_mu);
	l = lock_find(s, fid, now);
	switch (op) {
	case RXD_OP_RXAFS_SetLock:
		if (l && (type == RXD_LockWrite || l->count < 0)) {
			rc = EWOULDBLOCK;
			break;
		}
		if (!l) {
			if (s->n_locks == s->cap_locks) {
				uint32_t cap = s->cap_locks ? s->cap_locks * 2 : 64;
				struct rxd_fs_lock *n = realloc(s->locks, cap * sizeof(*n));
				if (!n) {
					rc = ENOMEM;
					break;
				}
				s->locks = n;
				s->cap_locks = cap;
			}
			l = &s->locks[s->n_locks++];
			l->fid = *fid;
			l->count = 0;
		}
		l->count = type == RXD_LockWrite ? -1 : l->count + 1;
		l->expires = now + LOCK_SECONDS;
		break;
	case RXD_OP_RXAFS_ExtendLock:
		if (!l)
			rc = EINVAL;
		else
			l->expires = now + LOCK_SECONDS;
		break;
	default: /* ReleaseLock */
		if (!l)
			rc = EINVAL;
		else if (l->count > 0)
			l->count--;
		else
			l->count = 0;
		break;
	}
	pthread_mutex_unlock(&s->lock_mu);
	return rc;
}

/* ------------------------------------------------------------------ status */

static void fill_status(struct rxd_fs_op *op, struct rxd_AFSFetchStatus *o, const struct rxd_fs_status *v,
			const struct rxd_fs_fid *fid)
{
	struct rxd_fs_srv *s = op->srv;

	memset(o, 0, sizeof(*o));
	o->InterfaceVersion = 1;
	o->FileType = v->type;
	o->LinkCount = v->link_count;
	o->Length = (uint32_t)v->length;
	o->Length_hi = (uint32_t)(v->length >> 32);
	o->DataVersion = (uint32_t)v->data_version;
	o->dataVersionHigh = (uint32_t)(v->data_version >> 32);
	o->Author = v->author;
	o->Owner = v->owner;
	o->Group = v->group;
	o->CallerAccess = rights_of(op, v);
	o->AnonymousAccess = v->anon_access & s->anon_rights; /* what a caller without a token gets */
	o->UnixModeBits = v->mode;
	o->ParentVnode = v->parent_vnode;
	o->ParentUnique = v->parent_unique;
	o->ClientModTime = v->client_mtime;
	o->ServerModTime = v->server_mtime;
	if (fid) {
		int32_t n;
		/* on a worker lcore the lock table's mutex is not waited for: the op goes to an I/O thread */
		if (lock_count(s, fid, op->nonblock, &n) == -EWOULDBLOCK)
			op->would_block = true;
		o->lockCount = (uint32_t)n;
	}
}

static void fill_sync(struct rxd_AFSVolSync *o, const struct rxd_fs_status *v)
{
	memset(o, 0, sizeof(*o));
	o->spare1 = v->vol_created;
}

/* A callback promise as OpenAFS's SetCallBackStruct gives it: shared, a lifetime in seconds from now.  In
 * rxd-fileserver the lcore replaces it with what the callback module recorded (want_promise). */
static void fill_callback(const struct rxd_fs_srv *s, struct rxd_AFSCallBack *cb)
{
	cb->CallBackVersion = RXD_CALLBACK_VERSION;
	cb->ExpirationTime = s->cb_seconds;
	cb->CallBackType = RXD_CB_SHARED;
}

static struct rxd_AFSFid afs_fid(const struct rxd_fs_fid *f)
{
	return (struct rxd_AFSFid){.Volume = f->volume, .Vnode = f->vnode, .Unique = f->unique};
}

/* The reply's next AFSCallBack is for fid (ok: promise it; a failed bulk entry is not promised). */
static void want_promise(struct rxd_fs_op *op, const struct rxd_AFSFid *fid, bool ok)
{
	op->promise[op->n_promise] = *fid;
	op->promise_ok[op->n_promise] = ok;
	op->n_promise++;
}

/* A committed change touched fid: its promises break (but the caller's, if it named the fid). */
static void mark_changed(struct rxd_fs_op *op, const struct rxd_AFSFid *fid, bool named)
{
	if (op->n_changed < RXD_FS_OP_MAX_CHANGED)
		op->changed[op->n_changed++] = (struct rxd_fs_op_changed){.fid = *fid, .named = named};
}

/*
 * A change unlinked fid from a directory: if that was its last link, its
 * promises are dropped without a break, as OpenAFS's DeleteFileCallBacks
 * (SAFSS_RemoveFile, SAFSS_RemoveDir, SAFSS_Rename's replaced target); else
 * its link count changed and they break.  Gone = the fid no longer names a
 * vnode (a reused slot has another uniquifier).
 */
static void mark_unlinked(struct rxd_fs_op *op, const struct rxd_AFSFid *fid)
{
	struct rxd_fs_fid f = fid_of(fid);
	struct rxd_fs_status v;

	if (op->n_changed == RXD_FS_OP_MAX_CHANGED)
		return;
	mark_changed(op, fid, false);
	op->changed[op->n_changed - 1].gone = rxd_fs_fetch_status(op->srv->st, &f, &v) == RXD_FS_VNOVNODE;
}

/* The fid of name in dir, looked up before a change unlinks it (its promises break after); false if absent. */
static bool lookup_fid(struct rxd_fs_op *op, const struct rxd_fs_fid *dir, const char *name, struct rxd_AFSFid *out,
		       bool *is_dir)
{
	struct rxd_fs_fid f;
	struct rxd_fs_status v;

	if (rxd_fs_lookup(op->srv->st, dir, name, &f, &v))
		return false;
	*out = afs_fid(&f);
	if (is_dir)
		*is_dir = v.type == RXD_FS_DIR;
	return true;
}

static struct rxd_fs_setattr setattr_of(const struct rxd_AFSStoreStatus *in)
{
	return (struct rxd_fs_setattr){.mask = in->Mask,
				       .client_mtime = in->ClientModTime,
				       .owner = in->Owner,
				       .group = in->Group,
				       .mode = in->UnixModeBits};
}

/*
 * The fid's status: on an I/O thread, or on a worker lcore (op->nonblock)
 * without waiting, where a lock another thread holds sets op->would_block
 * (EAGAIN: the op goes to an I/O thread instead).
 */
static int status_of(struct rxd_fs_op *op, const struct rxd_fs_fid *fid, struct rxd_fs_status *v)
{
	int rc;

	if (!op->nonblock)
		return rxd_fs_fetch_status(op->srv->st, fid, v);
	rc = rxd_fs_fetch_status_nb(op->srv->st, fid, v);
	if (rc == -EWOULDBLOCK) {
		op->would_block = true;
		return EAGAIN;
	}
	return rc;
}

/* Status of fid and the check that the caller holds one of need (CheckWriteMode); 0 or the error to abort with. */
static int check(struct rxd_fs_op *op, const struct rxd_fs_fid *fid, uint32_t need, struct rxd_fs_status *v)
{
	int rc = status_of(op, fid, v);

	if (rc)
		return rc;
	return rights_of(op, v) & need ? 0 : EACCES;
}

/* Status of fid and the fetch check (data: FetchData's); 0 or the error to abort with. */
static int check_fetch(struct rxd_fs_op *op, const struct rxd_fs_fid *fid, bool data, struct rxd_fs_status *v)
{
	int rc = status_of(op, fid, v);

	return rc ? rc : fetch_allowed(op, v, data);
}

/* Status of fid and the store check of kind k; 0 or the error to abort with. */
static int check_store(struct rxd_fs_op *op, const struct rxd_fs_fid *fid, enum store_kind k,
		       const struct rxd_fs_setattr *sa, struct rxd_fs_status *v)
{
	int rc = status_of(op, fid, v);

	return rc ? rc : store_allowed(op, v, k, sa);
}

/* ------------------------------------------------------------------ handlers (I/O threads) */

static int32_t h_fetch_status(void *ctx, const struct rxd_RXAFS_FetchStatus_in *in,
			      struct rxd_RXAFS_FetchStatus_out *out)
{
	struct rxd_fs_op *op = ctx;
	struct rxd_fs_fid f = fid_of(&in->Fid);
	struct rxd_fs_status v;
	int rc = check_fetch(op, &f, false, &v);

	if (rc)
		return rc;
	fill_status(op, &out->OutStatus, &v, &f);
	fill_callback(op->srv, &out->CallBack);
	fill_sync(&out->Sync, &v);
	want_promise(op, &in->Fid, true);
	return 0;
}

/* FetchData and FetchData64: open the stream; the bytes sent are those of [pos, min(pos + len, length)). */
static int32_t fetch_begin(struct rxd_fs_op *op, const struct rxd_AFSFid *fid, int64_t pos, int64_t len, bool wide)
{
	struct rxd_fs_fid f = fid_of(fid);
	struct rxd_RXAFS_FetchData64_out out;
	struct rxd_fs_status v;
	struct rxd_xenc e;
	/* a file's bytes need read; a directory's (its listing) and a symlink's need lookup */
	int rc = check_fetch(op, &f, true, &v);

	if (rc)
		return rc;
	rc = rxd_fs_fetch_begin(op->srv->st, &f, &op->rd, &v);
	if (rc == RXD_FS_WAIT) {
		op->stream = RXD_FS_STREAM_WAIT;
		return 0;
	}
	if (rc)
		return rc;
	if (pos < 0 || len < 0 || (uint64_t)pos >= v.length)
		len = 0;
	else if ((uint64_t)len > v.length - (uint64_t)pos)
		len = (int64_t)(v.length - (uint64_t)pos);
	if (!wide && len > INT32_MAX) /* FetchData's length word is signed 32-bit */
		len = INT32_MAX;
	op->stream = RXD_FS_STREAM_FETCH;
	op->wide = wide;
	op->pos = (uint64_t)(pos < 0 ? 0 : pos);
	op->len = (uint64_t)len;
	fill_status(op, &out.OutStatus, &v, &f);
	fill_callback(op->srv, &out.CallBack);
	fill_sync(&out.Sync, &v);
	rxd_xenc_init(&e, op->tail, sizeof(op->tail));
	/* FetchData's OUT args are FetchData64's, byte for byte */
	if (rxd_RXAFS_FetchData64_enc_out(&e, &out)) {
		rxd_fs_op_fetch_end(op);
		op->stream = RXD_FS_STREAM_NONE;
		return RXD_RXGEN_SS_MARSHAL;
	}
	op->tail_len = (size_t)(e.p - op->tail);
	want_promise(op, fid, true);
	return 0;
}

static int32_t h_fetch_data(void *ctx, const struct rxd_RXAFS_FetchData_in *in, struct rxd_xg_call *call)
{
	(void)call;
	return fetch_begin(ctx, &in->Fid, in->Pos, in->Length, false);
}

static int32_t h_fetch_data64(void *ctx, const struct rxd_RXAFS_FetchData64_in *in, struct rxd_xg_call *call)
{
	(void)call;
	return fetch_begin(ctx, &in->Fid, in->Pos, in->Length, true);
}

static int32_t store_begin(struct rxd_fs_op *op, const struct rxd_AFSFid *fid, const struct rxd_AFSStoreStatus *ss,
			   uint64_t pos, uint64_t len, uint64_t flen, bool wide)
{
	struct rxd_fs_fid f = fid_of(fid);
	struct rxd_fs_setattr sa = setattr_of(ss);
	struct rxd_fs_status v;
	int rc = check_store(op, &f, STORE_DATA, &sa, &v);

	if (rc)
		return rc;
	rc = rxd_fs_store_begin(op->srv->st, &f, (uint32_t)op->caller.id, &sa, pos, len, flen, &op->wr);
	if (rc == RXD_FS_WAIT) {
		op->stream = RXD_FS_STREAM_WAIT;
		return 0;
	}
	if (rc)
		return rc;
	op->stream = RXD_FS_STREAM_STORE;
	op->wide = wide;
	op->pos = pos;
	op->len = len;
	op->rd = NULL;
	op->fid = f;
	return 0;
}

static int32_t h_store_data(void *ctx, const struct rxd_RXAFS_StoreData_in *in, struct rxd_xg_call *call)
{
	(void)call;
	return store_begin(ctx, &in->Fid, &in->InStatus, in->Pos, in->Length, in->FileLength, false);
}

static int32_t h_store_data64(void *ctx, const struct rxd_RXAFS_StoreData64_in *in, struct rxd_xg_call *call)
{
	(void)call;
	return store_begin(ctx, &in->Fid, &in->InStatus, in->Pos, in->Length, in->FileLength, true);
}

/* The reply of a change to fid's status (StoreStatus, StoreACL): its status after, the volsync, the breaks. */
static int32_t changed_reply(struct rxd_fs_op *op, const struct rxd_AFSFid *fid, const struct rxd_fs_status *v,
			     struct rxd_AFSFetchStatus *st, struct rxd_AFSVolSync *sync)
{
	struct rxd_fs_fid f = fid_of(fid);

	fill_status(op, st, v, &f);
	fill_sync(sync, v);
	mark_changed(op, fid, true);
	return 0;
}

static int32_t h_store_status(void *ctx, const struct rxd_RXAFS_StoreStatus_in *in,
			      struct rxd_RXAFS_StoreStatus_out *out)
{
	struct rxd_fs_op *op = ctx;
	struct rxd_fs_fid f = fid_of(&in->Fid);
	struct rxd_fs_setattr sa = setattr_of(&in->InStatus);
	struct rxd_fs_status v;
	int rc = check_store(op, &f, STORE_STATUS, &sa, &v);

	if (!rc)
		rc = rxd_fs_store_status(op->srv->st, &f, (uint32_t)op->caller.id, &sa, &v);
	return rc ? rc : changed_reply(op, &in->Fid, &v, &out->OutStatus, &out->Sync);
}

/* The directory's status and the caller's need on it (INSERT, DELETE). */
static int dir_check(struct rxd_fs_op *op, const struct rxd_AFSFid *dir, uint32_t need)
{
	struct rxd_fs_fid f = fid_of(dir);
	struct rxd_fs_status v;

	return check(op, &f, need, &v);
}

/* CreateFile, MakeDir, Symlink: a new vnode of type named in dir (insert right); the reply's fid, both
 * statuses and the volsync. */
static int create_vnode(struct rxd_fs_op *op, const struct rxd_AFSFid *dir, const char *name, uint32_t type,
			const char *target, const struct rxd_AFSStoreStatus *ss, struct rxd_AFSFid *ofid,
			struct rxd_AFSFetchStatus *ofst, struct rxd_AFSFetchStatus *odst, struct rxd_AFSVolSync *sync)
{
	struct rxd_fs_store *st = op->srv->st;
	struct rxd_fs_fid d = fid_of(dir), nf;
	struct rxd_fs_setattr sa = setattr_of(ss);
	struct rxd_fs_status fst, dst;
	int rc = dir_check(op, dir, RXD_FS_INSERT);

	if (!rc && type == RXD_FS_SYMLINK)
		rc = rxd_fs_symlink(st, &d, name, target, (uint32_t)op->caller.id, &sa, &nf, &fst, &dst);
	else if (!rc && type == RXD_FS_DIR)
		rc = rxd_fs_make_dir(st, &d, name, (uint32_t)op->caller.id, &sa, &nf, &fst, &dst);
	else if (!rc)
		rc = rxd_fs_create_file(st, &d, name, (uint32_t)op->caller.id, &sa, &nf, &fst, &dst);
	if (rc)
		return rc;
	*ofid = (struct rxd_AFSFid){nf.volume, nf.vnode, nf.unique};
	fill_status(op, ofst, &fst, &nf);
	fill_status(op, odst, &dst, &d);
	fill_sync(sync, &dst);
	mark_changed(op, dir, true);
	return 0;
}

static int32_t h_create_file(void *ctx, const struct rxd_RXAFS_CreateFile_in *in, struct rxd_RXAFS_CreateFile_out *out)
{
	struct rxd_fs_op *op = ctx;
	int rc = create_vnode(op, &in->DirFid, in->Name, RXD_FS_FILE, NULL, &in->InStatus, &out->OutFid,
			      &out->OutFidStatus, &out->OutDirStatus, &out->Sync);

	if (!rc) {
		fill_callback(op->srv, &out->CallBack);
		want_promise(op, &out->OutFid, true);
	}
	return rc;
}

static int32_t h_make_dir(void *ctx, const struct rxd_RXAFS_MakeDir_in *in, struct rxd_RXAFS_MakeDir_out *out)
{
	struct rxd_fs_op *op = ctx;
	int rc = create_vnode(op, &in->DirFid, in->Name, RXD_FS_DIR, NULL, &in->InStatus, &out->OutFid,
			      &out->OutFidStatus, &out->OutDirStatus, &out->Sync);

	if (!rc) {
		fill_callback(op->srv, &out->CallBack);
		want_promise(op, &out->OutFid, true);
	}
	return rc;
}

static int32_t h_symlink(void *ctx, const struct rxd_RXAFS_Symlink_in *in, struct rxd_RXAFS_Symlink_out *out)
{
	return create_vnode(ctx, &in->DirFid, in->Name, RXD_FS_SYMLINK, in->LinkContents, &in->InStatus, &out->OutFid,
			    &out->OutFidStatus, &out->OutDirStatus, &out->Sync);
}

static int32_t h_link(void *ctx, const struct rxd_RXAFS_Link_in *in, struct rxd_RXAFS_Link_out *out)
{
	struct rxd_fs_op *op = ctx;
	struct rxd_fs_fid d = fid_of(&in->DirFid), ex = fid_of(&in->ExistingFid);
	struct rxd_fs_status fst, dst;
	int rc = dir_check(op, &in->DirFid, RXD_FS_INSERT);

	if (!rc)
		rc = rxd_fs_link(op->srv->st, &d, in->Name, &ex, (uint32_t)op->caller.id, &fst, &dst);
	if (rc)
		return rc;
	fill_status(op, &out->OutFidStatus, &fst, &ex);
	fill_status(op, &out->OutDirStatus, &dst, &d);
	fill_sync(&out->Sync, &dst);
	mark_changed(op, &in->DirFid, true);
	mark_changed(op, &in->ExistingFid, true); /* its link count changed */
	return 0;
}

/* RemoveFile and RemoveDir: rm unlinks name from the directory, whose status goes in *dir_out. */
static int32_t remove_entry(struct rxd_fs_op *op, const struct rxd_AFSFid *dir, const char *name,
			    int (*rm)(struct rxd_fs_store *, const struct rxd_fs_fid *, const char *, uint32_t,
				      struct rxd_fs_status *),
			    struct rxd_AFSFetchStatus *dir_out, struct rxd_AFSVolSync *sync)
{
	struct rxd_fs_fid d = fid_of(dir);
	struct rxd_fs_status dst;
	struct rxd_AFSFid gone = {0};
	bool had = false;
	int rc = dir_check(op, dir, RXD_FS_DELETE);

	if (!rc) {
		had = lookup_fid(op, &d, name, &gone, NULL);
		rc = rm(op->srv->st, &d, name, (uint32_t)op->caller.id, &dst);
	}
	if (rc)
		return rc;
	fill_status(op, dir_out, &dst, &d);
	fill_sync(sync, &dst);
	mark_changed(op, dir, true);
	if (had) /* its link count dropped, or it is gone */
		mark_unlinked(op, &gone);
	return 0;
}

static int32_t h_remove_file(void *ctx, const struct rxd_RXAFS_RemoveFile_in *in, struct rxd_RXAFS_RemoveFile_out *out)
{
	return remove_entry(ctx, &in->DirFid, in->Name, rxd_fs_remove_file, &out->OutStatus, &out->Sync);
}

static int32_t h_remove_dir(void *ctx, const struct rxd_RXAFS_RemoveDir_in *in, struct rxd_RXAFS_RemoveDir_out *out)
{
	return remove_entry(ctx, &in->DirFid, in->Name, rxd_fs_remove_dir, &out->OutDirStatus, &out->Sync);
}

static int32_t h_rename(void *ctx, const struct rxd_RXAFS_Rename_in *in, struct rxd_RXAFS_Rename_out *out)
{
	struct rxd_fs_op *op = ctx;
	struct rxd_fs_fid od = fid_of(&in->OldDirFid), nd = fid_of(&in->NewDirFid);
	struct rxd_fs_status ost, nst;
	struct rxd_AFSFid moved = {0}, target = {0};
	bool moved_dir = false, had_moved = false, had_target = false;
	int rc = dir_check(op, &in->OldDirFid, RXD_FS_DELETE);

	if (!rc)
		rc = dir_check(op, &in->NewDirFid, RXD_FS_INSERT);
	if (!rc) {
		had_moved = lookup_fid(op, &od, in->OldName, &moved, &moved_dir);
		had_target = lookup_fid(op, &nd, in->NewName, &target, NULL);
		rc =
		    rxd_fs_rename(op->srv->st, &od, in->OldName, &nd, in->NewName, (uint32_t)op->caller.id, &ost, &nst);
	}
	if (rc)
		return rc;
	fill_status(op, &out->OutOldDirStatus, &ost, &od);
	fill_status(op, &out->OutNewDirStatus, &nst, &nd);
	fill_sync(&out->Sync, &nst);
	mark_changed(op, &in->OldDirFid, true);
	if (!fid_eq(&od, &nd))
		mark_changed(op, &in->NewDirFid, true);
	/* a moved directory's .. changed; a replaced target lost a link or is gone */
	if (had_moved && moved_dir && !fid_eq(&od, &nd))
		mark_changed(op, &moved, false);
	if (had_target && !(had_moved && moved.Vnode == target.Vnode && moved.Unique == target.Unique))
		mark_unlinked(op, &target);
	return 0;
}

static int32_t h_fetch_acl(void *ctx, const struct rxd_RXAFS_FetchACL_in *in, struct rxd_RXAFS_FetchACL_out *out)
{
	struct rxd_fs_op *op = ctx;
	struct rxd_fs_fid f = fid_of(&in->Fid);
	struct rxd_fs_status v;
	int rc = check_fetch(op, &f, false, &v);

	/* the ACL of a file is its directory's (RXFetch_AccessList); too long for the opaque: E2BIG */
	if (!rc)
		rc = rxd_fs_acl_format(&v.acl, srv_id_to_name, op->srv, op->acl, sizeof(op->acl));
	if (rc)
		return rc;
	/* OpenAFS sends the text with its NUL */
	out->AccessList.len = (uint32_t)strnlen(op->acl, sizeof(op->acl) - 1) + 1;
	out->AccessList.val = (uint8_t *)op->acl;
	fill_status(op, &out->OutStatus, &v, &f);
	fill_sync(&out->Sync, &v);
	return 0;
}

/* StoreACL: the directory's new ACL (administer, or the volume's owner, or an administrator; SAFSS_StoreACL). */
static int32_t h_store_acl(void *ctx, const struct rxd_RXAFS_StoreACL_in *in, struct rxd_RXAFS_StoreACL_out *out)
{
	struct rxd_fs_op *op = ctx;
	struct rxd_fs_fid f = fid_of(&in->Fid);
	struct rxd_fs_status v;
	struct rxd_fs_acl acl;
	int rc = check_store(op, &f, STORE_ACL, NULL, &v);

	if (!rc && v.type != RXD_FS_DIR)
		rc = ENOTDIR;
	if (!rc)
		rc = rxd_fs_acl_parse((const char *)in->AccessList.val, in->AccessList.len, srv_name_to_id, op->srv,
				      &acl);
	if (!rc)
		rc = rxd_fs_store_acl(op->srv->st, &f, &acl, &v);
	/* cached rights of everyone else on the directory (and its files) are stale: a change */
	return rc ? rc : changed_reply(op, &in->Fid, &v, &out->OutStatus, &out->Sync);
}

/* InlineBulkStatus answers every fid, a failed one with only its errorCode set; BulkStatus fails whole. */
static int32_t bulk(struct rxd_fs_op *op, const struct rxd_AFSCBFids *fids, struct rxd_AFSBulkStats *sa,
		    struct rxd_AFSCBs *cba, struct rxd_AFSVolSync *sync, bool inl)
{
	bool synced = false;

	op->promise_bulk = true;
	memset(sync, 0, sizeof(*sync));
	for (uint32_t i = 0; i < fids->len; i++) {
		struct rxd_fs_fid f = fid_of(&fids->val[i]);
		struct rxd_fs_status v;
		int rc = check_fetch(op, &f, false, &v);

		if (op->would_block)
			return rc;
		if (rc && !inl) {
			op->n_promise = 0; /* no reply to carry them */
			return rc;
		}
		want_promise(op, &fids->val[i], rc == 0);
		if (rc) {
			memset(&op->bulk_st[i], 0, sizeof(op->bulk_st[i]));
			op->bulk_st[i].errorCode = (uint32_t)rc;
			memset(&op->bulk_cb[i], 0, sizeof(op->bulk_cb[i]));
			continue;
		}
		fill_status(op, &op->bulk_st[i], &v, &f);
		fill_callback(op->srv, &op->bulk_cb[i]);
		if (!synced) {
			fill_sync(sync, &v);
			synced = true;
		}
	}
	sa->len = cba->len = fids->len;
	sa->val = op->bulk_st;
	cba->val = op->bulk_cb;
	return 0;
}

static int32_t h_inline_bulk(void *ctx, const struct rxd_RXAFS_InlineBulkStatus_in *in,
			     struct rxd_RXAFS_InlineBulkStatus_out *out)
{
	return bulk(ctx, &in->FidsArray, &out->StatArray, &out->CBArray, &out->Sync, true);
}

static int32_t h_bulk(void *ctx, const struct rxd_RXAFS_BulkStatus_in *in, struct rxd_RXAFS_BulkStatus_out *out)
{
	return bulk(ctx, &in->FidsArray, &out->StatArray, &out->CBArray, &out->Sync, false);
}

static int32_t h_get_volume_status(void *ctx, const struct rxd_RXAFS_GetVolumeStatus_in *in,
				   struct rxd_RXAFS_GetVolumeStatus_out *out)
{
	struct rxd_fs_op *op = ctx;
	struct rxd_fs_fid root = {(uint32_t)in->Volumeid, RXD_FS_ROOT_VNODE, 1};
	struct rxd_fs_volstatus vs;
	struct rxd_fs_status v;
	int rc = check_fetch(op, &root, false, &v);

	if (!rc)
		rc = rxd_fs_volume_status(op->srv->st, (uint32_t)in->Volumeid, &vs);
	if (rc)
		return rc;
	out->Volumestatus = (struct rxd_AFSFetchVolumeStatus){
	    .Vid = (int32_t)vs.vid,
	    .ParentId = (int32_t)vs.parent_id,
	    .Online = (char)vs.online,
	    .InService = (char)vs.in_service,
	    .Blessed = (char)vs.blessed,
	    .NeedsSalvage = (char)vs.need_salvage,
	    .Type = (int32_t)vs.type,
	    .MinQuota = vs.min_quota,
	    .MaxQuota = vs.max_quota,
	    .BlocksInUse = vs.blocks_in_use,
	    .PartBlocksAvail = vs.part_blocks_avail,
	    .PartMaxBlocks = vs.part_max_blocks,
	};
	memcpy(op->acl, vs.name, sizeof(vs.name));
	op->acl[sizeof(vs.name) - 1] = 0;
	out->Name = op->acl;
	out->OfflineMsg = "";
	out->Motd = "";
	return 0;
}

static int32_t lock_handler(struct rxd_fs_op *op, const struct rxd_AFSFid *fid, int opc, int32_t type,
			    struct rxd_AFSVolSync *sync)
{
	struct rxd_fs_fid f = fid_of(fid);
	struct rxd_fs_status v;
	uint32_t need = RXD_FS_LOCK;
	int rc;

	if (opc == RXD_OP_RXAFS_SetLock && type != RXD_LockRead && type != RXD_LockWrite)
		return EINVAL;
	if (opc == RXD_OP_RXAFS_SetLock && type == RXD_LockWrite)
		need = RXD_FS_WRITE; /* OpenAFS: a write lock needs write (or lock and insert) */
	rc = check(op, &f, need, &v);
	if (!rc && (rights_of(op, &v) & RXD_FS_LOCK) == 0)
		rc = EACCES;
	if (!rc)
		rc = lock_op(op->srv, &f, opc, type);
	if (rc)
		return rc;
	fill_sync(sync, &v);
	return 0;
}

static int32_t h_set_lock(void *ctx, const struct rxd_RXAFS_SetLock_in *in, struct rxd_RXAFS_SetLock_out *out)
{
	return lock_handler(ctx, &in->Fid, RXD_OP_RXAFS_SetLock, in->Type, &out->Sync);
}

static int32_t h_extend_lock(void *ctx, const struct rxd_RXAFS_ExtendLock_in *in, struct rxd_RXAFS_ExtendLock_out *out)
{
	return lock_handler(ctx, &in->Fid, RXD_OP_RXAFS_ExtendLock, 0, &out->Sync);
}

static int32_t h_release_lock(void *ctx, const struct rxd_RXAFS_ReleaseLock_in *in,
			      struct rxd_RXAFS_ReleaseLock_out *out)
{
	return lock_handler(ctx, &in->Fid, RXD_OP_RXAFS_ReleaseLock, 0, &out->Sync);
}

static const struct rxd_RXAFS_handlers io_handlers = {
    .FetchData = h_fetch_data,
    .FetchACL = h_fetch_acl,
    .FetchStatus = h_fetch_status,
    .StoreData = h_store_data,
    .StoreACL = h_store_acl,
    .StoreStatus = h_store_status,
    .RemoveFile = h_remove_file,
    .CreateFile = h_create_file,
    .Rename = h_rename,
    .Symlink = h_symlink,
    .Link = h_link,
    .MakeDir = h_make_dir,
    .RemoveDir = h_remove_dir,
    .GetVolumeStatus = h_get_volume_status,
    .BulkStatus = h_bulk,
    .SetLock = h_set_lock,
    .ExtendLock = h_extend_lock,
    .ReleaseLock = h_release_lock,
    .InlineBulkStatus = h_inline_bulk,
    .FetchData64 = h_fetch_data64,
    .StoreData64 = h_store_data64,
};

bool rxd_fs_op_on_io_thread(uint32_t opcode)
{
	switch (opcode) {
	case RXD_OP_RXAFS_FetchData:
	case RXD_OP_RXAFS_FetchACL:
	case RXD_OP_RXAFS_FetchStatus:
	case RXD_OP_RXAFS_StoreData:
	case RXD_OP_RXAFS_StoreACL:
	case RXD_OP_RXAFS_StoreStatus:
	case RXD_OP_RXAFS_RemoveFile:
	case RXD_OP_RXAFS_CreateFile:
	case RXD_OP_RXAFS_Rename:
	case RXD_OP_RXAFS_Symlink:
	case RXD_OP_RXAFS_Link:
	case RXD_OP_RXAFS_MakeDir:
	case RXD_OP_RXAFS_RemoveDir:
	case RXD_OP_RXAFS_GetVolumeStatus:
	case RXD_OP_RXAFS_BulkStatus:
	case RXD_OP_RXAFS_SetLock:
	case RXD_OP_RXAFS_ExtendLock:
	case RXD_OP_RXAFS_ReleaseLock:
	case RXD_OP_RXAFS_InlineBulkStatus:
	case RXD_OP_RXAFS_FetchData64:
	case RXD_OP_RXAFS_StoreData64:
		return true;
	default:
		return false;
	}
}

/* Before every dispatch: the op asks nothing of the callback module yet. */
static void op_reset(struct rxd_fs_op *op)
{
	op->nonblock = false;
	op->would_block = false;
	op->stream = RXD_FS_STREAM_NONE;
	op->n_promise = 0;
	op->promise_bulk = false;
	op->n_changed = 0;
	op->give_up = RXD_FS_GIVE_UP_NONE;
	op->give_up_fids = NULL;
}

void rxd_fs_op_init(struct rxd_fs_op *op, struct rxd_fs_srv *srv, const struct rxd_xg_call *xg)
{
	memset(op, 0, offsetof(struct rxd_fs_op, tail));
	op->srv = srv;
	op->xg = *xg;
	op->tail_len = 0;
	op_reset(op);
}

int32_t rxd_fs_op_run(struct rxd_fs_op *op)
{
	op_reset(op);
	rxd_fs_caller_resolve(op->srv, &op->ident, &op->caller);
	return rxd_RXAFS_dispatch(&io_handlers, op, &op->xg);
}

/* What a worker lcore may try before posting: handlers whose store access is status_of(). */
static const struct rxd_RXAFS_handlers try_lcore_handlers = {
    .FetchStatus = h_fetch_status,
    .BulkStatus = h_bulk,
    .InlineBulkStatus = h_inline_bulk,
};

bool rxd_fs_op_try_lcore(struct rxd_fs_op *op, int32_t *rc)
{
	struct rxd_xdec d;
	uint32_t opcode;

	rxd_xdec_init(&d, op->xg.req, op->xg.req_len, NULL, 0);
	if (rxd_xdec_u32(&d, &opcode) < 0 || (opcode != RXD_OP_RXAFS_FetchStatus && opcode != RXD_OP_RXAFS_BulkStatus &&
					      opcode != RXD_OP_RXAFS_InlineBulkStatus))
		return false;
	/* the caller's CPS: a ptserver must be asked (it may block): not here; the user table is in memory */
	if (op->ident.authenticated && op->srv->pr)
		return false;
	op_reset(op);
	rxd_fs_caller_resolve(op->srv, &op->ident, &op->caller);
	op->nonblock = true;
	*rc = rxd_RXAFS_dispatch(&try_lcore_handlers, op, &op->xg);
	if (op->would_block) {
		op_reset(op);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ handlers (lcore) */

static int32_t h_get_time(void *ctx, struct rxd_RXAFS_GetTime_out *out)
{
	struct timeval tv;

	(void)ctx;
	gettimeofday(&tv, NULL);
	out->Seconds = (uint32_t)tv.tv_sec;
	out->USeconds = (uint32_t)tv.tv_usec;
	return 0;
}

static int32_t h_get_capabilities(void *ctx, struct rxd_RXAFS_GetCapabilities_out *out)
{
	struct rxd_fs_op *op = ctx;

	/* no ERRORTRANS: errors go out as the server's errno values, not translated */
	op->caps[0] = RXD_VICED_CAPABILITY_64BITFILES;
	out->capabilities.len = 1;
	out->capabilities.val = op->caps;
	return 0;
}

/* The lcore drops the promises named (cb.h) after dispatch; the fids live in the call's arena till then. */
static int32_t h_give_up(void *ctx, const struct rxd_RXAFS_GiveUpCallBacks_in *in)
{
	struct rxd_fs_op *op = ctx;

	op->give_up = RXD_FS_GIVE_UP_FIDS;
	op->give_up_fids = &in->Fids_Array;
	return 0;
}

static int32_t h_give_up_all(void *ctx)
{
	struct rxd_fs_op *op = ctx;

	op->give_up = RXD_FS_GIVE_UP_ALL;
	return 0;
}

static const struct rxd_RXAFS_handlers lcore_handlers = {
    .GetTime = h_get_time,
    .GetCapabilities = h_get_capabilities,
    .GiveUpCallBacks = h_give_up,
    .GiveUpAllCallBacks = h_give_up_all,
};

int32_t rxd_fs_op_run_lcore(struct rxd_fs_op *op)
{
	op_reset(op);
	return rxd_RXAFS_dispatch(&lcore_handlers, op, &op->xg);
}

/* ------------------------------------------------------------------ streams */

int rxd_fs_op_fetch_read(struct rxd_fs_op *op, uint64_t off, const struct iovec *iov, unsigned cnt)
{
	size_t got;

	/* the store reads bytes truncated away since begin as zeros: the announced length holds */
	return rxd_fs_fetch_readv(op->rd, off, iov, cnt, &got);
}

void rxd_fs_op_fetch_end(struct rxd_fs_op *op)
{
	rxd_fs_fetch_end(op->rd);
	op->rd = NULL;
}

int32_t rxd_fs_op_store_end(struct rxd_fs_op *op, int err)
{
	struct rxd_RXAFS_StoreData64_out out;
	struct rxd_fs_status v;
	struct rxd_xenc e;
	int rc;

	struct rxd_AFSFid f = afs_fid(&op->fid);

	/* begin may have truncated and the bytes written are in place: the file changed however the call
	 * ends; a caller whose store failed midway keeps no promise either */
	op->n_promise = 0;
	op->n_changed = 0;
	mark_changed(op, &f, err == 0);
	rc = rxd_fs_store_end(op->wr, err, &v);
	op->wr = NULL;
	if (rc)
		return rc;
	fill_status(op, &out.OutStatus, &v, &op->fid);
	fill_sync(&out.Sync, &v);
	rxd_xenc_init(&e, op->xg.reply, op->xg.reply_cap);
	/* StoreData's OUT args are StoreData64's, byte for byte */
	if (rxd_RXAFS_StoreData64_enc_out(&e, &out))
		return RXD_RXGEN_SS_MARSHAL;
	op->xg.reply_len = (size_t)(e.p - op->xg.reply);
	return 0;
}

int rxd_fs_op_set_callback(struct rxd_fs_op *op, uint32_t i, const struct rxd_AFSCallBack *cb)
{
	const uint8_t *start = op->stream == RXD_FS_STREAM_FETCH ? op->tail : op->xg.reply;
	size_t len = op->stream == RXD_FS_STREAM_FETCH ? op->tail_len : op->xg.reply_len;
	size_t back = RXD_AFSVolSync_WIRE_MAX + (size_t)(op->n_promise - i) * RXD_AFSCallBack_WIRE_MAX;
	struct rxd_xenc e;

	if (i >= op->n_promise || back > len)
		return -EINVAL;
	/* the callbacks are fixed-size and the reply's last items before its one AFSVolSync */
	rxd_xenc_init(&e, (uint8_t *)start + len - back, RXD_AFSCallBack_WIRE_MAX);
	return rxd_enc_AFSCallBack(&e, cb) ? -EINVAL : 0;
}
