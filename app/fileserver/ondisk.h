/* Little-endian codecs and the checksum of the store's on-disk records
 * (index records, journal): explicit bytes, never structs cast over them. */
#ifndef RXD_FS_ONDISK_H
#define RXD_FS_ONDISK_H

#include <stddef.h>
#include <stdint.h>

static inline void rxd_fs_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t rxd_fs_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void rxd_fs_put64(uint8_t *p, uint64_t v)
{
	rxd_fs_put32(p, (uint32_t)v);
	rxd_fs_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t rxd_fs_get64(const uint8_t *p)
{
	return rxd_fs_get32(p) | (uint64_t)rxd_fs_get32(p + 4) << 32;
}

/* FNV-1a: tells a whole record from one torn by a power cut, not an attacker. */
static inline uint32_t rxd_fs_sum(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#endif
