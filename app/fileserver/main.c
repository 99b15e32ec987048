/* SPDX-License-Identifier: MIT */
/*
 * rxd-fileserver: an AFS fileserver on the DPDK shell.
 *
 *   rxd-fileserver <EAL args> -- --vice DIR [--create-volume NAME[:ID]]
 *       [--anonymous none|read|write] [--io-threads N] [--max-calls N] [--sync]
 *       [--keyfile F | --keyfile-ext F | --keytab F | --key HEX [--kvno N]]
 *       [--min-level clear|auth|crypt] [--users FILE | --ptserver IP...] [--realm R]
 *       [shell options: --ip A/L, --port 7000,7003, ...]
 *
 * Serves RXAFS (service 1) on the first UDP port (7000) from the volume
 * store under --vice; the worker lcores never touch the disk (fscall.h,
 * iopool.h).  SIGINT/SIGTERM drain, abort the rest, exit 0; SIGHUP reads the
 * key files again.  doc/fileserver.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include <rxd/core.h>
#include <rxd/dpdk.h>
#include <rxd/wire.h>

#include "cb.h"
#include "fscall.h"
#include "fsops.h"
#include "fsuuid.h"
#include "iopool.h"
#include "prclient.h"
#include "prmsg.h"
#include "rxd_launch.h"
#include "rxd_security_opts.h"
#include "store.h"
#include "users.h"
#include "localauth.h"
#include "vl.h"
#include "vlreg.h"

#define PROG "rxd-fileserver"
#define ROOT_VOLUME "root.cell"
#define ROOT_VOLUME_ID 536870912u
#define STOP_WAIT_MS 10000u /* bound on waiting for the I/O threads' last jobs at shutdown */

struct app {
	const char *vice;
	char volume[32];
	uint32_t volume_id;
	enum rxd_fs_anon anon;
	unsigned io_threads;
	uint32_t max_calls;
	bool sync;
	struct rxd_shell_opts so;
	struct rxd_shell *shell;
	struct rxd_fs_store *store;
	struct rxd_fs_srv srv;
	bool srv_ready;
	struct rxd_fs_iopool *pool;
	struct rxd_fs_worker *w[RXD_SHELL_MAX_WORKERS];
	uint16_t afs_port;		  /* RXAFS's UDP port: callbacks go out on its engine */
	struct rxd_afsUUID uuid;	  /* <vice>/rxd-fileserver.uuid (fsuuid.h); the VL service reports it too */
	struct rxd_fs_cb_group *cb_group; /* callbacks' cross-lcore rings */
	struct rxd_fs_cb *cb[RXD_SHELL_MAX_WORKERS];
	struct rxd_fs_vl *vl;		 /* the built-in VL service (UDP 7003) */
	const char *vlserver;		 /* --vlserver: register with this cell's vlserver */
	const char *cell;		 /* --cell */
	struct rxd_fs_vlreg *reg;	 /* the registration, driven by worker 0 */
	struct rxd_addr vl_srv;		 /* the vlserver it registers with */
	struct rxd_fs_localauth vl_auth; /* the registration's -localauth token (with a cell key) */
	/* authenticated access (doc/fileserver.md "Authenticated access") */
	struct rxd_security_opts sec; /* the server keys (--keyfile, --keyfile-ext, --keytab, --key/--kvno) */
	bool rxkad;		      /* a key was given: rxkad (index 2) is served beside rxnull */
	uint8_t min_level;	      /* --min-level: rxkad calls below it are refused */
	const char *users_path;	      /* --users */
	struct rxd_fs_users *users;
	const char *realm;			      /* --realm: the local Kerberos realm (default: the cell's name) */
	struct rxd_addr pt[RXD_FS_PRMSG_MAX_SERVERS]; /* --ptserver */
	unsigned n_pt;
	struct rxd_fs_prmsg *prmsg;
	struct rxd_fs_pr *pr;
	unsigned ring_reader[RXD_SHELL_MAX_WORKERS]; /* each lcore's QSBR id in the keyring (SIGHUP reloads) */
	bool ring_reader_ok[RXD_SHELL_MAX_WORKERS];
};

static volatile sig_atomic_t g_hup; /* SIGHUPs received */

static void on_hup(int sig)
{
	(void)sig;
	g_hup++;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " <EAL args> -- --vice DIR [options]\n"
		   "  --vice DIR              the partition directory (created if absent)\n"
		   "  --create-volume N[:ID]  the RW volume to serve, created if absent (" ROOT_VOLUME ":536870912)\n"
		   "  --anonymous P           none|read|write: what callers without a token may do (read)\n"
		   "  --io-threads N          file-I/O threads (2)\n"
		   "  --max-calls N           concurrent calls per worker (256)\n"
		   "  --sync                  fsync every change before answering\n"
		   "  --vlserver IP           register this server and its volumes with the cell's vlserver\n"
		   "  --cell NAME             the cell's name (and its keytab principal afs/NAME; before --keytab)\n"
		   "  --keyfile PATH          serve rxkad with the keys of an OpenAFS KeyFile (repeatable)\n"
		   "  --keyfile-ext PATH      ... of an OpenAFS KeyFileExt (rxkad and rxkad-k5 keys)\n"
		   "  --keytab PATH           ... of a krb5 keytab: afs/CELL@REALM (--cell first) or afs@REALM\n"
		   "  --key HEX --kvno N      ... one DES key (16 hex digits) of key version N\n"
		   "  --min-level L           clear|auth|crypt: the least rxkad level accepted (clear)\n"
		   "  --users FILE            authenticated users' ids and groups: lines NAME ID [GROUP...]\n"
		   "  --realm R               tickets of realm R name local users (default: the cell's name)\n"
		   "  --ptserver IP           ask this ptserver (repeatable) for ids and groups instead of --users\n"
		   "shell options (--port defaults to 7000,7003):\n");
	rxd_shell_opts_usage(f);
}

static int num(const char *name, const char *value, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	if (!value || rxd_parse_u64(value, max, out) || *out < min) {
		snprintf(err, errlen, "--%s %s: expected a number %" PRIu64 "..%" PRIu64, name,
			 value ? value : "(none)", min, max);
		return -EINVAL;
	}
	return 0;
}

static int app_set(void *arg, const char *name, const char *value, char *err, size_t errlen)
{
	struct app *a = arg;
	uint64_t x;

	if (!strcmp(name, "vlserver")) {
		a->vlserver = value;
		return 0;
	}
	if (!strcmp(name, "cell")) {
		a->cell = value;
		return rxd_security_opts_set(&a->sec, name, value, err, errlen); /* the keytab's afs/CELL */
	}
	if (!strcmp(name, "keyfile") || !strcmp(name, "keyfile-ext") || !strcmp(name, "keytab") ||
	    !strcmp(name, "key") || !strcmp(name, "kvno")) {
		a->rxkad = a->rxkad || strcmp(name, "kvno") != 0;
		return rxd_security_opts_set(&a->sec, name, value, err, errlen);
	}
	if (!strcmp(name, "min-level")) {
		int l = rxd_rxkad_level_parse(value);
		if (l < 0) {
			snprintf(err, errlen, "--min-level %s: expected clear, auth or crypt",
				 value ? value : "(none)");
			return -EINVAL;
		}
		a->min_level = (uint8_t)l;
		return 0;
	}
	if (!strcmp(name, "ptserver")) {
		if (!value || a->n_pt == RXD_FS_PRMSG_MAX_SERVERS ||
		    rxd_addr_parse(value, RXD_FS_PR_PORT, &a->pt[a->n_pt])) {
			snprintf(err, errlen, "--ptserver %s: expected an IP address (at most %u ptservers)",
				 value ? value : "(none)", RXD_FS_PRMSG_MAX_SERVERS);
			return -EINVAL;
		}
		a->n_pt++;
		return 0;
	}
	if (!strcmp(name, "users") || !strcmp(name, "realm")) {
		if (!value || !*value) {
			snprintf(err, errlen, "--%s needs a value", name);
			return -EINVAL;
		}
		*(!strcmp(name, "users") ? &a->users_path : &a->realm) = value;
		return 0;
	}
	if (!strcmp(name, "vice")) {
		if (!value || !*value) {
			snprintf(err, errlen, "--vice needs a directory");
			return -EINVAL;
		}
		a->vice = value;
		return 0;
	}
	if (!strcmp(name, "create-volume")) {
		const char *colon = value ? strchr(value, ':') : NULL;
		size_t n = colon ? (size_t)(colon - value) : value ? strlen(value) : 0;
		if (n == 0 || n >= sizeof(a->volume) ||
		    (colon && num(name, colon + 1, 1, UINT32_MAX, &x, err, errlen))) {
			snprintf(err, errlen, "--create-volume %s: expected NAME[:ID], a name of 1..31 bytes, ID 1..%u",
				 value ? value : "(none)", UINT32_MAX);
			return -EINVAL;
		}
		memcpy(a->volume, value, n);
		a->volume[n] = 0;
		if (colon)
			a->volume_id = (uint32_t)x;
		return 0;
	}
	if (!strcmp(name, "anonymous")) {
		if (value && !strcmp(value, "none"))
			a->anon = RXD_FS_ANON_NONE;
		else if (value && !strcmp(value, "read"))
			a->anon = RXD_FS_ANON_READ;
		else if (value && !strcmp(value, "write"))
			a->anon = RXD_FS_ANON_WRITE;
		else {
			snprintf(err, errlen, "--anonymous %s: expected none, read or write", value ? value : "(none)");
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(name, "io-threads")) {
		if (num(name, value, 1, 64, &x, err, errlen))
			return -EINVAL;
		a->io_threads = (unsigned)x;
		return 0;
	}
	if (!strcmp(name, "max-calls")) {
		if (num(name, value, 1, 65536, &x, err, errlen))
			return -EINVAL;
		a->max_calls = (uint32_t)x;
		return 0;
	}
	if (!strcmp(name, "sync")) {
		a->sync = !value || strcmp(value, "0") != 0;
		return 0;
	}
	return rxd_shell_opts_set(&a->so, name, value, err, errlen);
}

static bool is_flag(const char *name)
{
	return !strcmp(name, "sync") || rxd_shell_opts_is_flag(name);
}

/* ------------------------------------------------------------------ lcore hooks */

/* The shell's clock: the same TSC time base as every worker's loop. */
static uint64_t shell_clock(void *arg)
{
	return rxd_shell_now(arg);
}

static void *server_of(void *arg, unsigned worker)
{
	return ((struct app *)arg)->w[worker];
}

/* One callback shard per worker, on the RXAFS port's engine: RXAFSCB calls leave from the fileserver's port. */
static void hook_start(void *arg, struct rxd_worker *w)
{
	struct app *a = arg;
	unsigned i = rxd_worker_index(w);
	struct rxd_fs_cb_params p = {
	    .local = rxd_worker_local(w, 0, a->afs_port),
	    .group = a->cb_group,
	    .shard = i,
	    .server_uuid = a->uuid,
	};
	int rc = rxd_fs_cb_create(&p, rxd_worker_now(w), &a->cb[i]);

	if (rc) /* the worker still serves, promising nothing (fscall.c): clients revalidate on every use */
		fprintf(stderr, PROG ": worker %u: no callback state (%s): callbacks are not tracked\n", i,
			strerror(-rc));
	else
		rxd_fs_worker_set_cb(a->w[i], a->cb[i]);
	/* the lcore opens tickets with the ring's keys: a reader, so a reload frees no key it holds */
	if (a->sec.ring)
		a->ring_reader_ok[i] = rxd_rxkad_keyring_reader_register(a->sec.ring, &a->ring_reader[i]) == 0;
	rxd_worker_set_app(w, a->w[i]);
}

/* The newest DES key of the KeyFile (or --key): it seals the -localauth tickets of the PR and VL calls. */
static bool cell_key(const struct app *a, struct rxd_rxkad_des_key *key)
{
	*key = a->sec.skey;
	return a->sec.ring ? rxd_rxkad_keyring_newest_des(a->sec.ring, key) == 0 : a->rxkad;
}

static void reg_log(void *user, const char *line)
{
	(void)user;
	printf("%s\n", line);
	fflush(stdout);
}

/* Worker 0 registers with the vlserver (doc/fileserver.md), from RXAFS's port. */
static void registration_poll(struct app *a, struct rxd_worker *w, uint64_t now)
{
	if (!a->reg) {
		struct rxd_fs_vlreg_params rp = {.vl = a->vl, .servers = &a->vl_srv, .n_servers = 1, .log = reg_log};
		struct rxd_rxkad_des_key key;
		const struct rxd_rxkad_key *token;

		rp.local = rxd_worker_local(w, 0, a->afs_port);
		/* a vlserver without -noauth takes VLDB changes only from an administrator: -localauth */
		if (!cell_key(a, &key)) {
			reg_log(NULL, "vl: no DES cell key (--keyfile, --keyfile-ext, --keytab, --key): registering "
				      "unauthenticated (rxnull), which only a -noauth vlserver accepts");
		} else {
			rxd_fs_localauth_init(&a->vl_auth, &key);
			if (rxd_fs_localauth_key(&a->vl_auth, (uint32_t)time(NULL), &token)) {
				fprintf(stderr, PROG ": --vlserver %s: cannot make the -localauth ticket\n",
					a->vlserver);
				a->vlserver = NULL;
				return;
			}
			/* one ticket for the whole registration: it lives 10 hours, the registration seconds */
			rp.security_index = RXD_RXKAD_INDEX;
			rp.security_level = RXD_FS_LOCALAUTH_LEVEL;
			rp.key = token;
			char line[96];
			snprintf(line, sizeof(line), "vl: registering as afs (-localauth: rxkad clear, key version %u)",
				 key.kvno);
			reg_log(NULL, line);
		}
		if (rxd_addr_parse(a->vlserver, 7003, &a->vl_srv) || rxd_fs_vlreg_start(&rp, &a->reg)) {
			fprintf(stderr, PROG ": --vlserver %s: cannot register\n", a->vlserver);
			a->vlserver = NULL;
		}
	} else if (rxd_fs_vlreg_poll(a->reg, now, NULL)) {
		rxd_fs_vlreg_free(a->reg, now);
		a->reg = NULL;
		a->vlserver = NULL;
	}
}

static void hook_poll(void *arg, struct rxd_worker *w, uint64_t now)
{
	struct app *a = arg;
	unsigned i = rxd_worker_index(w);

	rxd_fs_worker_poll(rxd_worker_app(w), now);
	if (a->ring_reader_ok[i])
		rxd_rxkad_keyring_quiescent(a->sec.ring, a->ring_reader[i]);
	if (a->cb[i])
		rxd_fs_cb_poll(a->cb[i], now);
	if (a->vlserver && i == 0)
		registration_poll(a, w, now);
}

/* Outstanding RXAFSCB calls are aborted and no more begin, so the shard can go idle. */
static void hook_drain(void *arg, struct rxd_worker *w, uint64_t now)
{
	struct app *a = arg;
	unsigned i = rxd_worker_index(w);

	if (a->cb[i])
		rxd_fs_cb_drain(a->cb[i], now);
}

static void hook_abort_all(void *arg, struct rxd_worker *w, uint64_t now)
{
	(void)arg;
	rxd_fs_worker_abort_all(rxd_worker_app(w), RX_RESTARTING, now);
}

/* Before the shards go: the jobs still out come back (and close their files) first. */
static void hook_stop(void *arg, struct rxd_worker *w)
{
	struct app *a = arg;
	struct rxd_fs_worker *fw = rxd_worker_app(w);

	if (a->reg && rxd_worker_index(w) == 0) { /* still registering: its call goes with the shard */
		rxd_fs_vlreg_free(a->reg, rxd_shell_now(a->shell));
		a->reg = NULL;
	}
	rxd_fs_worker_abort_all(fw, RX_RESTARTING, rxd_shell_now(a->shell));
	for (unsigned ms = 0; rxd_fs_worker_jobs(fw) && ms < STOP_WAIT_MS; ms++) {
		rxd_fs_worker_poll(fw, rxd_shell_now(a->shell));
		rxd_launch_sleep_ms(1);
	}
	if (rxd_fs_worker_jobs(fw))
		fprintf(stderr, PROG ": worker %u: %u file-I/O job(s) still out after %u ms\n", rxd_worker_index(w),
			rxd_fs_worker_jobs(fw), STOP_WAIT_MS);
	if (a->ring_reader_ok[rxd_worker_index(w)])
		rxd_rxkad_keyring_reader_offline(a->sec.ring, a->ring_reader[rxd_worker_index(w)]);
	if (a->cb[rxd_worker_index(w)]) {
		rxd_fs_worker_set_cb(fw, NULL);
		rxd_fs_cb_destroy(a->cb[rxd_worker_index(w)], rxd_shell_now(a->shell));
		a->cb[rxd_worker_index(w)] = NULL;
	}
}

/* ------------------------------------------------------------------ setup */

static int open_store(struct app *a, char *err, size_t errlen)
{
	uint32_t id;
	int rc;

	if (mkdir(a->vice, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "--vice %s: cannot create the directory: %s", a->vice, strerror(errno));
		return -EINVAL;
	}
	rc = rxd_fs_store_open(a->vice, a->sync ? RXD_FS_STORE_SYNC : 0, &a->store);

	if (rc) {
		snprintf(err, errlen, "--vice %s: cannot open the store: %s", a->vice, strerror(rc < 0 ? -rc : rc));
		return -EINVAL;
	}
	if (rxd_fs_volume_lookup(a->store, a->volume, &id) == 0) {
		if (id != a->volume_id) {
			snprintf(err, errlen, "--create-volume %s:%u: the store has %s as volume %u", a->volume,
				 a->volume_id, a->volume, id);
			return -EINVAL;
		}
	} else {
		rc = rxd_fs_volume_create(a->store, a->volume_id, a->volume, RXD_FS_ANON_ID,
					  rxd_fs_anon_rights(a->anon));
		if (rc) {
			snprintf(err, errlen, "--create-volume %s:%u: %s", a->volume, a->volume_id,
				 rc == RXD_FS_VVOLEXISTS ? "the id is taken by another volume"
							 : strerror(rc < 0 ? -rc : rc));
			return -EINVAL;
		}
	}
	rc = rxd_fs_srv_init(&a->srv, a->store, a->anon);
	if (rc) {
		snprintf(err, errlen, "cannot initialise the server: %s", strerror(-rc));
		return rc;
	}
	a->srv_ready = true;
	if (a->users_path && (rc = rxd_fs_users_load(a->users_path, &a->users, err, errlen)))
		return rc;
	a->srv.users = a->users;
	a->srv.local_realm = a->realm ? a->realm : a->cell;
	rc = rxd_fs_uuid_load(a->vice, &a->uuid);
	if (rc) {
		snprintf(err, errlen, "--vice %s: cannot read or make " RXD_FS_UUID_FILE ": %s", a->vice,
			 rc == -EINVAL ? "not a UUID" : strerror(-rc));
		return rc;
	}
	return 0;
}

/* The built-in VL service on the second port: this server's volumes, its
 * address and its UUID (<vice>/rxd-fileserver.uuid, stable across restarts). */
static int vl_setup(struct app *a, uint16_t port, char *err, size_t errlen)
{
	struct rxd_addr me;
	uint32_t ip;
	struct rxd_fs_vl_params vp = {.store = a->store,
				      .cell = a->cell ? a->cell : "",
				      .n_addrs = 1,
				      .clock = shell_clock,
				      .clock_arg = a->shell};
	struct rxd_service_desc d;
	int rc;

	rxd_shell_iface_addr(a->shell, 0, &me);
	ip = (uint32_t)me.ip.v4[0] << 24 | (uint32_t)me.ip.v4[1] << 16 | (uint32_t)me.ip.v4[2] << 8 | me.ip.v4[3];
	vp.addrs = &ip;
	vp.uuid = a->uuid; /* the one InitCallBackState3 carries (fsuuid.h) */
	rc = rxd_fs_vl_create(&vp, &a->vl);
	if (rc) {
		snprintf(err, errlen, "cannot build the VL table: %s", strerror(-rc));
		return rc;
	}
	rxd_fs_vl_service_desc(a->vl, &d);
	/* A cache manager with a token asks the VL service with it too (kafs does, at
	 * level crypt), as a cell's vlserver allows: its keys serve every service. */
	if (a->rxkad)
		rxd_security_opts_service(&a->sec, &d);
	return rxd_shell_register_service(a->shell, 0, port, &d, NULL, NULL, err, errlen);
}

/* --ptserver: the I/O threads ask it for callers' ids and groups (prclient.h), from RXAFS's port. */
static int pr_setup(struct app *a, uint16_t port, char *err, size_t errlen)
{
	int rc;

	if (!a->n_pt)
		return 0;
	err[0] = 0;
	struct rxd_rxkad_des_key key;
	bool have_key = cell_key(a, &key);
	rc = rxd_fs_prmsg_create(a->shell, port, a->pt, a->n_pt, have_key ? &key : NULL, &a->prmsg, err, errlen);
	if (!rc)
		rc = rxd_fs_pr_create(rxd_fs_prmsg_rpc, a->prmsg, NULL, &a->pr);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "--ptserver: %s", strerror(-rc));
		return rc;
	}
	a->srv.pr = a->pr;
	return 0;
}

static int setup(struct app *a, char *err, size_t errlen)
{
	struct rxd_shell *s = a->shell;
	unsigned n = rxd_shell_nb_workers(s);
	uint16_t ports[RXD_SHELL_MAX_UDP_PORTS];
	struct rxd_lcore_hooks h;
	struct rxd_service_desc d;
	int rc;

	rc = rxd_fs_cb_group_create(&(struct rxd_fs_cb_group_params){.shards = n}, &a->cb_group);
	if (rc) {
		snprintf(err, errlen, "cannot create the callback rings: %s", strerror(-rc));
		return rc;
	}
	rc = rxd_fs_iopool_create(a->io_threads, n, a->max_calls * RXD_FS_JOBS_PER_CALL, &a->pool);
	if (rc) {
		snprintf(err, errlen, "cannot start %u file-I/O threads: %s", a->io_threads, strerror(-rc));
		return rc;
	}
	for (unsigned i = 0; i < n; i++) {
		struct rxd_fs_worker_params p = {
		    .srv = &a->srv,
		    .pool = a->pool,
		    .index = i,
		    .max_calls = a->max_calls,
		    .min_level = a->min_level,
		    .clock = shell_clock,
		    .clock_arg = s,
		};
		rc = rxd_fs_worker_create(&p, &a->w[i]);
		if (rc) {
			snprintf(err, errlen, "out of memory for %u calls per worker (try a smaller --max-calls)",
				 a->max_calls);
			return rc;
		}
	}
	rxd_shell_iface_ports(s, 0, ports);
	a->afs_port = ports[0];
	rxd_fs_worker_desc(a->w[0], &d);
	if (a->rxkad) /* rxnull stays (min_security_level 0): anonymous callers are the --anonymous policy's */
		rxd_security_opts_service(&a->sec, &d);
	rc = rxd_shell_register_service(s, 0, ports[0], &d, server_of, a, err, errlen);
	if (rc)
		return rc;
	rc = vl_setup(a, ports[1], err, errlen);
	if (rc)
		return rc;
	rc = pr_setup(a, ports[0], err, errlen);
	if (rc)
		return rc;
	memset(&h, 0, sizeof h);
	h.start = hook_start;
	h.poll = hook_poll;
	h.drain = hook_drain;
	h.abort_all = hook_abort_all;
	h.stop = hook_stop;
	h.arg = a;
	return rxd_shell_set_hooks(s, &h);
}

static void teardown(struct app *a)
{
	rxd_fs_iopool_destroy(a->pool); /* stops the I/O threads before their jobs' calls are freed */
	for (unsigned i = 0; i < RXD_SHELL_MAX_WORKERS; i++)
		rxd_fs_worker_destroy(a->w[i]);
	rxd_fs_cb_group_destroy(a->cb_group); /* after every shard's rxd_fs_cb_destroy (stop hook) */
	if (a->srv_ready)
		rxd_fs_srv_fini(&a->srv);
	rxd_fs_vl_free(a->vl);
	rxd_fs_users_free(a->users);
	rxd_fs_pr_free(a->pr);
	rxd_fs_prmsg_free(a->prmsg);
	rxd_security_opts_free(&a->sec);
	if (a->store)
		rxd_fs_store_close(a->store);
}

/* SIGHUP: the key files again (new kvnos in, withdrawn ones out), unless an lcore could not be a reader. */
static void reload_keys(struct app *a)
{
	char err[256];
	unsigned n = rxd_shell_nb_workers(a->shell);

	if (!a->sec.n_files) {
		fprintf(stderr, PROG ": SIGHUP: no --keyfile, --keyfile-ext or --keytab to read again\n");
		return;
	}
	for (unsigned i = 0; i < n; i++)
		if (!a->ring_reader_ok[i]) {
			fprintf(stderr, PROG ": SIGHUP: worker %u reads the keys unregistered: not reloading\n", i);
			return;
		}
	if (rxd_security_opts_reload(&a->sec, err, sizeof err))
		fprintf(stderr, PROG ": SIGHUP: keys kept: %s\n", err);
	else
		printf(PROG ": SIGHUP: keys reloaded from %u file(s)\n", a->sec.n_files);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct app a;
	char err[256];
	int eal_argc = rxd_launch_split(argc, argv);

	memset(&a, 0, sizeof a);
	snprintf(a.volume, sizeof a.volume, "%s", ROOT_VOLUME);
	a.volume_id = ROOT_VOLUME_ID;
	a.anon = RXD_FS_ANON_READ;
	a.io_threads = 2;
	a.max_calls = 256;
	rxd_security_opts_default(&a.sec);
	rxd_shell_opts_default(&a.so);
	rxd_shell_opts_set(&a.so, "port", "7000,7003", err, sizeof err);

	{
		int rc = rxd_launch_options(PROG, argc, argv, eal_argc, app_set, is_flag, &a, usage);
		if (rc >= 0)
			return rc;
	}
	if (!a.vice) {
		fprintf(stderr, PROG ": --vice DIR is required (" PROG " <EAL args> -- --help)\n");
		return 2;
	}
	if (open_store(&a, err, sizeof err)) {
		fprintf(stderr, PROG ": %s\n", err);
		teardown(&a);
		return 1;
	}
	if (rxd_launch_eal(PROG, eal_argc, argv) || rxd_launch_shell(PROG, &a.so, &a.shell)) {
		teardown(&a);
		return 1;
	}
	if (setup(&a, err, sizeof err)) {
		fprintf(stderr, PROG ": %s\n", err);
		rxd_launch_end(a.shell);
		teardown(&a);
		return 1;
	}
	{
		struct rxd_addr la;
		char ab[64];
		rxd_shell_iface_addr(a.shell, 0, &la);
		printf(PROG ": listening on %s, service %u, volume %s (%u), anonymous %s, rxkad %s, %u worker(s), %u "
			    "file-I/O thread(s)%s\n",
		       rxd_addr_format(&la, ab, sizeof ab), RXD_FS_SERVICE, a.volume, a.volume_id,
		       a.anon == RXD_FS_ANON_NONE   ? "none"
		       : a.anon == RXD_FS_ANON_READ ? "read"
						    : "write",
		       !a.rxkad		  ? "off"
		       : a.min_level == 2 ? "crypt"
		       : a.min_level == 1 ? "auth"
					  : "clear",
		       rxd_shell_nb_workers(a.shell), a.io_threads, a.sync ? ", sync" : "");
		rxd_shell_describe(a.shell, stdout);
		fflush(stdout);
	}
	if (rxd_launch_start(PROG, a.shell)) { /* it tore the shell down */
		teardown(&a);
		return 1;
	}
	signal(SIGHUP, on_hup);
	for (sig_atomic_t hups = 0; !rxd_launch_signals();) {
		if (hups != g_hup) {
			hups = g_hup;
			reload_keys(&a);
		}
		if (a.sec.ring)
			rxd_rxkad_keyring_reclaim(a.sec.ring); /* snapshots every lcore has passed */
		rxd_launch_sleep_ms(10);
	}
	{
		unsigned left = rxd_launch_stop(a.shell);
		if (left)
			printf(PROG ": %u call(s) still live after the %u ms drain: aborted\n", left, a.so.drain_ms);
	}
	printf(PROG ": stats ");
	rxd_shell_print_stats_json(a.shell, stdout);
	printf("\n");
	fflush(stdout);
	rxd_launch_end(a.shell);
	teardown(&a);
	return 0;
}
