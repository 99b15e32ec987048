/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxd_security_opts.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_key(const char *s, uint8_t key[RXD_RXKAD_KEYLEN])
{
	if (s && !strcmp(s, "kernel"))
		s = RXD_KERNEL_RXPERF_KEY;
	if (!s || strlen(s) != 2 * RXD_RXKAD_KEYLEN)
		return -EINVAL;
	for (unsigned i = 0; i < RXD_RXKAD_KEYLEN; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void rxd_security_opts_default(struct rxd_security_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->level = -1;
	parse_key(RXD_KERNEL_RXPERF_KEY, o->skey.key);
	o->srv.open_ticket = rxd_rxkad_open_ticket_des;
	o->srv.arg = &o->skey;
}

/* One --keyfile, --keyfile-ext or --keytab (opt) into ring. */
static int load_file(struct rxd_rxkad_keyring *ring, const char *opt, const char *path, const char *cell, char *err,
		     size_t errlen)
{
	char why[200] = "";
	int rc;

	/* keys from files serve every service, as an OpenAFS server's KeyFile does */
	if (!strcmp(opt, "keyfile"))
		rc = rxd_rxkad_load_keyfile(ring, path, 0, RXD_RXKAD_INDEX, why, sizeof why);
	else if (!strcmp(opt, "keyfile-ext"))
		rc = rxd_rxkad_load_keyfile_ext(ring, path, 0, RXD_RXKAD_INDEX, why, sizeof why);
	else
		rc = rxd_rxkad_load_keytab(ring, path, cell, NULL, 0, RXD_RXKAD_INDEX, why, sizeof why);
	if (rc) {
		snprintf(err, errlen, "--%s %s: %s", opt, path, why[0] ? why : strerror(-rc));
		return -EINVAL;
	}
	return 0;
}

int rxd_security_opts_reload(struct rxd_security_opts *o, char *err, size_t errlen)
{
	struct rxd_rxkad_keyring *fresh;
	int rc = 0;

	if (!o->ring || !o->n_files) {
		snprintf(err, errlen, "no key files to read again");
		return -ENOENT;
	}
	fresh = rxd_rxkad_keyring_new();
	if (!fresh) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < o->n_files && !rc; i++)
		rc = load_file(fresh, o->files[i].opt, o->files[i].path, o->files[i].cell, err, errlen);
	if (!rc && (rc = rxd_rxkad_keyring_take(o->ring, fresh)))
		snprintf(err, errlen, "out of memory");
	rxd_rxkad_keyring_free(fresh);
	return rc;
}

int rxd_security_opts_set(struct rxd_security_opts *o, const char *name, const char *value, char *err, size_t errlen)
{
	uint64_t x;

	if (!strcmp(name, "security")) {
		int l = value && !strcmp(value, "none") ? -1 : rxd_rxkad_level_parse(value);
		if (l < -1) {
			snprintf(err, errlen, "--security %s: expected none, clear, auth or crypt", value ? value : "");
			return -EINVAL;
		}
		o->level = l;
		return 0;
	}
	if (!strcmp(name, "key")) {
		if (parse_key(value, o->skey.key)) {
			snprintf(err, errlen, "--key %s: expected 16 hex digits (an 8-byte DES key) or kernel",
				 value ? value : "");
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(name, "kvno")) {
		if (rxd_parse_u64(value, UINT32_MAX, &x)) {
			snprintf(err, errlen, "--kvno %s: expected a key version number 0..4294967295",
				 value ? value : "");
			return -EINVAL;
		}
		o->skey.kvno = (uint32_t)x;
		return 0;
	}
	if (!strcmp(name, "cell")) {
		if (!value || !*value) {
			snprintf(err, errlen, "--cell: expected a cell name");
			return -EINVAL;
		}
		o->cell = value;
		return 0;
	}
	if (!strcmp(name, "keyfile") || !strcmp(name, "keyfile-ext") || !strcmp(name, "keytab")) {
		int rc;

		if (!value || !*value) {
			snprintf(err, errlen, "--%s: expected a file name", name);
			return -EINVAL;
		}
		if (o->n_files == RXD_SECURITY_OPTS_MAX_FILES) {
			snprintf(err, errlen, "--%s %s: at most %u key files", name, value,
				 RXD_SECURITY_OPTS_MAX_FILES);
			return -EINVAL;
		}
		if (!o->ring && !(o->ring = rxd_rxkad_keyring_new())) {
			snprintf(err, errlen, "--%s %s: out of memory", name, value);
			return -ENOMEM;
		}
		rc = load_file(o->ring, name, value, o->cell, err, errlen);
		if (rc)
			return rc;
		/* name may be the parser's scratch: keep the literal */
		o->files[o->n_files].opt = !strcmp(name, "keyfile")	  ? "keyfile"
					   : !strcmp(name, "keyfile-ext") ? "keyfile-ext"
									  : "keytab";
		/* copies: a --config file's values do not outlive its parsing */
		o->files[o->n_files].path = strdup(value);
		o->files[o->n_files].cell = o->cell ? strdup(o->cell) : NULL;
		if (!o->files[o->n_files].path || (o->cell && !o->files[o->n_files].cell)) {
			free(o->files[o->n_files].path);
			free(o->files[o->n_files].cell);
			snprintf(err, errlen, "--%s %s: out of memory", name, value);
			return -ENOMEM;
		}
		o->n_files++;
		return 0;
	}
	return 1;
}

void rxd_security_opts_free(struct rxd_security_opts *o)
{
	for (unsigned i = 0; i < o->n_files; i++) {
		free(o->files[i].path);
		free(o->files[i].cell);
	}
	o->n_files = 0;
	rxd_rxkad_keyring_free(o->ring);
	o->ring = NULL;
}

int rxd_security_opts_client(struct rxd_security_opts *o, uint32_t now, uint64_t random, uint8_t *index, uint8_t *level,
			     const void **key)
{
	*index = 0;
	*level = 0;
	*key = NULL;
	if (o->level < 0)
		return 0;
	if (rxd_rxkad_make_key(&o->ckey, o->tkt, sizeof(o->tkt), &o->skey, "rxperf", now, random))
		return -EINVAL;
	*index = RXD_RXKAD_INDEX;
	*level = (uint8_t)o->level;
	*key = &o->ckey;
	return 0;
}

void rxd_security_opts_service(struct rxd_security_opts *o, struct rxd_service_desc *d)
{
	/* rxkad is always offered (the key is the default one without --key); --security sets the minimum. */
	if (o->ring) {
		/* the lcores look keys up: an app that reloads (rxd_security_opts_reload) registers them as readers */
		o->scope.ring = o->ring;
		o->scope.service_id = d->service_id;
		o->scope.security_index = RXD_RXKAD_INDEX;
		o->srv.open_ticket = rxd_rxkad_keyring_open_ticket;
		o->srv.arg = &o->scope;
	}
	d->security_conf = &o->srv;
	d->min_security_level = o->level < 0 ? 0 : (uint8_t)o->level;
}

const char *rxd_security_opts_name(const struct rxd_security_opts *o)
{
	static const char *const names[] = {"clear", "auth", "crypt"};

	return o->level < 0 || o->level > 2 ? "none" : names[o->level];
}
