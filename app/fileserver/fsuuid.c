/* SPDX-License-Identifier: MIT */
/* The fileserver's persistent UUID (see fsuuid.h). */
#include "fsuuid.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define LINE_LEN 36u

/* The UUID's 16 bytes in its text order (RFC 4122: time_low, time_mid, time_hi, clock_seq, node). */
static void to_bytes(const struct rxd_afsUUID *u, uint8_t b[16])
{
	b[0] = (uint8_t)(u->time_low >> 24);
	b[1] = (uint8_t)(u->time_low >> 16);
	b[2] = (uint8_t)(u->time_low >> 8);
	b[3] = (uint8_t)u->time_low;
	b[4] = (uint8_t)(u->time_mid >> 8);
	b[5] = (uint8_t)u->time_mid;
	b[6] = (uint8_t)(u->time_hi_and_version >> 8);
	b[7] = (uint8_t)u->time_hi_and_version;
	b[8] = (uint8_t)u->clock_seq_hi_and_reserved;
	b[9] = (uint8_t)u->clock_seq_low;
	memcpy(b + 10, u->node, 6);
}

static void from_bytes(const uint8_t b[16], struct rxd_afsUUID *u)
{
	memset(u, 0, sizeof(*u));
	u->time_low = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	u->time_mid = (uint16_t)(b[4] << 8 | b[5]);
	u->time_hi_and_version = (uint16_t)(b[6] << 8 | b[7]);
	u->clock_seq_hi_and_reserved = (char)b[8];
	u->clock_seq_low = (char)b[9];
	memcpy(u->node, b + 10, 6);
}

void rxd_fs_uuid_format(const struct rxd_afsUUID *u, char *buf)
{
	uint8_t b[16];
	char *p = buf;

	to_bytes(u, b);
	for (unsigned i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		p += sprintf(p, "%02x", b[i]);
	}
}

int rxd_fs_uuid_parse(const char *s, struct rxd_afsUUID *out)
{
	uint8_t b[16];
	unsigned n = 0;

	for (size_t i = 0; i < LINE_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		if (!isxdigit((unsigned char)s[i]) || !isxdigit((unsigned char)s[i + 1]))
			return -EINVAL;
		b[n++] = (uint8_t)strtoul((char[]){s[i], s[i + 1], 0}, NULL, 16);
		i++;
	}
	if (s[LINE_LEN] != 0 && s[LINE_LEN] != '\n')
		return -EINVAL;
	from_bytes(b, out);
	return 0;
}

static int make(const char *path, const char *tmp, struct rxd_afsUUID *out)
{
	uint8_t b[16];
	char line[LINE_LEN + 2];
	int fd, rc = 0;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4: random (RFC 4122 4.4) */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* the RFC 4122 variant */
	from_bytes(b, out);
	rxd_fs_uuid_format(out, line);
	line[LINE_LEN] = '\n';
	line[LINE_LEN + 1] = 0;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, line, LINE_LEN + 1) != (ssize_t)(LINE_LEN + 1) || fsync(fd) < 0)
		rc = -EIO;
	close(fd);
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

int rxd_fs_uuid_load(const char *vice, struct rxd_afsUUID *out)
{
	char path[4096], tmp[4096 + 8], line[LINE_LEN + 2];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/" RXD_FS_UUID_FILE, vice) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno == ENOENT ? make(path, tmp, out) : -errno;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	line[n] = 0;
	if (n < (ssize_t)LINE_LEN)
		return -EINVAL;
	return rxd_fs_uuid_parse(line, out);
}
