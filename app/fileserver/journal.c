/* The write-ahead journal: format in doc/fileserver.md. */
#include "journal.h"
#include "ondisk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define J_MAGIC 0x4a445852u /* "RXDJ" little-endian */
#define J_HDR 16u	    /* magic, nops, length, checksum */
#define J_OP 16u	    /* target, offset (64), length */

int rxd_fs_pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

int rxd_fs_journal_open(int dfd, const char *name, struct rxd_fs_journal *j)
{
	memset(j, 0, sizeof(*j));
	j->fd = openat(dfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0)
		return -errno;
	j->len = J_HDR;
	return 0;
}

void rxd_fs_journal_close(struct rxd_fs_journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	free(j->buf);
	memset(j, 0, sizeof(*j));
	j->fd = -1;
}

void rxd_fs_journal_reset(struct rxd_fs_journal *j)
{
	j->len = J_HDR;
	j->nops = 0;
}

int rxd_fs_journal_add(struct rxd_fs_journal *j, uint32_t target, uint64_t off, const void *data, uint32_t len)
{
	size_t need = j->len + J_OP + len;
	uint8_t *p;

	if (need > j->cap) {
		size_t cap = j->cap ? j->cap : 4096;

		while (cap < need)
			cap *= 2;
		p = realloc(j->buf, cap);
		if (!p)
			return -ENOMEM;
		j->buf = p;
		j->cap = cap;
	}
	p = j->buf + j->len;
	rxd_fs_put32(p, target);
	rxd_fs_put32(p + 4, (uint32_t)off);
	rxd_fs_put32(p + 8, (uint32_t)(off >> 32));
	rxd_fs_put32(p + 12, len);
	memcpy(p + J_OP, data, len);
	j->len = need;
	j->nops++;
	return 0;
}

/* Apply the ops of a journal image: each to its target's fd. */
static int apply(const uint8_t *b, size_t len, uint32_t nops, int sync, rxd_fs_journal_target_fn target, void *arg)
{
	size_t at = J_HDR;
	int rc = 0;

	for (uint32_t i = 0; i < nops && rc == 0; i++) {
		const uint8_t *p = b + at;
		uint32_t n;
		int fd, owned = 0;

		if (len - at < J_OP || len - at - J_OP < (n = rxd_fs_get32(p + 12)))
			return -EIO;
		fd = target(arg, rxd_fs_get32(p), &owned);
		if (fd < 0)
			return fd;
		rc = rxd_fs_pwrite_all(fd, p + J_OP, n,
				       (off_t)((uint64_t)rxd_fs_get32(p + 4) | (uint64_t)rxd_fs_get32(p + 8) << 32));
		if (rc == 0 && sync && fsync(fd) < 0)
			rc = -EIO;
		if (owned)
			close(fd);
		at += J_OP + n;
	}
	return rc;
}

static int invalidate(struct rxd_fs_journal *j)
{
	static const uint8_t zero[4];

	return rxd_fs_pwrite_all(j->fd, zero, sizeof(zero), 0);
}

int rxd_fs_journal_commit(struct rxd_fs_journal *j, int sync, rxd_fs_journal_target_fn target, void *arg)
{
	int rc;

	if (j->nops == 0)
		return 0;
	rxd_fs_put32(j->buf, J_MAGIC);
	rxd_fs_put32(j->buf + 4, j->nops);
	rxd_fs_put32(j->buf + 8, (uint32_t)j->len);
	rxd_fs_put32(j->buf + 12, rxd_fs_sum(j->buf + J_HDR, j->len - J_HDR));
	rc = rxd_fs_pwrite_all(j->fd, j->buf, j->len, 0);
	if (rc == 0 && sync && fdatasync(j->fd) < 0)
		rc = -EIO;
	if (rc == 0)
		rc = apply(j->buf, j->len, j->nops, sync, target, arg);
	if (rc == 0)
		rc = invalidate(j);
	rxd_fs_journal_reset(j);
	return rc;
}

int rxd_fs_journal_replay(struct rxd_fs_journal *j, rxd_fs_journal_target_fn target, void *arg)
{
	struct stat sb;
	uint8_t hdr[J_HDR], *b;
	uint32_t len;
	int rc;

	if (fstat(j->fd, &sb) < 0)
		return -errno;
	if (sb.st_size < (off_t)J_HDR || pread(j->fd, hdr, J_HDR, 0) != (ssize_t)J_HDR || rxd_fs_get32(hdr) != J_MAGIC)
		return 0;
	len = rxd_fs_get32(hdr + 8);
	if (len < J_HDR || len > sb.st_size)
		return 0;
	b = malloc(len);
	if (!b)
		return -ENOMEM;
	rc = pread(j->fd, b, len, 0) == (ssize_t)len ? 0 : -EIO;
	if (rc == 0 && rxd_fs_sum(b + J_HDR, len - J_HDR) == rxd_fs_get32(hdr + 12))
		rc = apply(b, len, rxd_fs_get32(hdr + 4), 1, target, arg);
	free(b);
	if (rc == 0)
		rc = invalidate(j);
	return rc;
}
