/* SPDX-License-Identifier: MIT */
/*
 * The values behind tests/afs/golden/: golden_openafs.c fills them into
 * OpenAFS's structs and tests/unit/test_afs_xdr.c into rxd's, with the same
 * macros (both use the field names of OpenAFS's .xg files), so the two
 * encodings must match byte for byte.  Values are pseudo-random words; chars
 * and shorts take the low bits, so some are negative and exercise OpenAFS's
 * sign extension.
 */
#ifndef RXD_TESTS_AFS_GOLDEN_VALUES_H
#define RXD_TESTS_AFS_GOLDEN_VALUES_H

#include <stdint.h>

static inline uint32_t gv(uint32_t seed, uint32_t i)
{
	uint32_t x = seed * 0x9e3779b1u + (i + 1) * 0x85ebca6bu;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x;
}

static inline uint64_t gv64(uint32_t seed, uint32_t i)
{
	return (uint64_t)gv(seed, i) << 32 | gv(seed, i + 1000);
}

#define GV_FILL_ARRAY(a, n, s, base)                                                                                   \
	do {                                                                                                           \
		for (unsigned gv_i_ = 0; gv_i_ < (n); gv_i_++)                                                         \
			(a)[gv_i_] = (__typeof__((a)[0]))gv((s), (base) + gv_i_);                                      \
	} while (0)

#define GV_AFSFid(v, s)                                                                                                \
	do {                                                                                                           \
		(v)->Volume = gv(s, 0);                                                                                \
		(v)->Vnode = gv(s, 1);                                                                                 \
		(v)->Unique = gv(s, 2);                                                                                \
	} while (0)

#define GV_AFSCallBack(v, s)                                                                                           \
	do {                                                                                                           \
		(v)->CallBackVersion = 1;                                                                              \
		(v)->ExpirationTime = gv(s, 1);                                                                        \
		(v)->CallBackType = 2;                                                                                 \
	} while (0)

#define GV_AFSVolSync(v, s)                                                                                            \
	do {                                                                                                           \
		(v)->spare1 = gv(s, 0);                                                                                \
		(v)->spare2 = gv(s, 1);                                                                                \
		(v)->spare3 = gv(s, 2);                                                                                \
		(v)->spare4 = gv(s, 3);                                                                                \
		(v)->spare5 = gv(s, 4);                                                                                \
		(v)->spare6 = gv(s, 5);                                                                                \
	} while (0)

#define GV_AFSFetchStatus(v, s)                                                                                        \
	do {                                                                                                           \
		(v)->InterfaceVersion = 1;                                                                             \
		(v)->FileType = 1 + gv(s, 1) % 3;                                                                      \
		(v)->LinkCount = gv(s, 2);                                                                             \
		(v)->Length = gv(s, 3);                                                                                \
		(v)->DataVersion = gv(s, 4);                                                                           \
		(v)->Author = gv(s, 5);                                                                                \
		(v)->Owner = gv(s, 6);                                                                                 \
		(v)->CallerAccess = gv(s, 7);                                                                          \
		(v)->AnonymousAccess = gv(s, 8);                                                                       \
		(v)->UnixModeBits = gv(s, 9);                                                                          \
		(v)->ParentVnode = gv(s, 10);                                                                          \
		(v)->ParentUnique = gv(s, 11);                                                                         \
		(v)->ResidencyMask = gv(s, 12);                                                                        \
		(v)->ClientModTime = gv(s, 13);                                                                        \
		(v)->ServerModTime = gv(s, 14);                                                                        \
		(v)->Group = gv(s, 15);                                                                                \
		(v)->SyncCounter = gv(s, 16);                                                                          \
		(v)->dataVersionHigh = gv(s, 17);                                                                      \
		(v)->lockCount = gv(s, 18);                                                                            \
		(v)->Length_hi = gv(s, 19);                                                                            \
		(v)->errorCode = gv(s, 20);                                                                            \
	} while (0)

#define GV_AFSStoreStatus(v, s)                                                                                        \
	do {                                                                                                           \
		(v)->Mask = gv(s, 0);                                                                                  \
		(v)->ClientModTime = gv(s, 1);                                                                         \
		(v)->Owner = gv(s, 2);                                                                                 \
		(v)->Group = gv(s, 3);                                                                                 \
		(v)->UnixModeBits = gv(s, 4);                                                                          \
		(v)->SegSize = gv(s, 5);                                                                               \
	} while (0)

#define GV_AFSFetchVolumeStatus(v, s)                                                                                  \
	do {                                                                                                           \
		(v)->Vid = (int32_t)gv(s, 0);                                                                          \
		(v)->ParentId = (int32_t)gv(s, 1);                                                                     \
		(v)->Online = (char)gv(s, 2);                                                                          \
		(v)->InService = (char)gv(s, 3);                                                                       \
		(v)->Blessed = (char)gv(s, 4);                                                                         \
		(v)->NeedsSalvage = (char)gv(s, 5);                                                                    \
		(v)->Type = (int32_t)gv(s, 6);                                                                         \
		(v)->MinQuota = (int32_t)gv(s, 7);                                                                     \
		(v)->MaxQuota = (int32_t)gv(s, 8);                                                                     \
		(v)->BlocksInUse = (int32_t)gv(s, 9);                                                                  \
		(v)->PartBlocksAvail = (int32_t)gv(s, 10);                                                             \
		(v)->PartMaxBlocks = (int32_t)gv(s, 11);                                                               \
	} while (0)

#define GV_AFSStoreVolumeStatus(v, s)                                                                                  \
	do {                                                                                                           \
		(v)->Mask = 3;                                                                                         \
		(v)->MinQuota = (int32_t)gv(s, 1);                                                                     \
		(v)->MaxQuota = (int32_t)gv(s, 2);                                                                     \
	} while (0)

#define GV_afsUUID(v, s)                                                                                               \
	do {                                                                                                           \
		(v)->time_low = gv(s, 0);                                                                              \
		(v)->time_mid = (uint16_t)gv(s, 1);                                                                    \
		(v)->time_hi_and_version = (uint16_t)gv(s, 2);                                                         \
		(v)->clock_seq_hi_and_reserved = (char)(gv(s, 3) | 0x80); /* negative: sign extension */               \
		(v)->clock_seq_low = (char)gv(s, 4);                                                                   \
		GV_FILL_ARRAY((v)->node, 6, s, 5);                                                                     \
	} while (0)

#define GV_interfaceAddr(v, s)                                                                                         \
	do {                                                                                                           \
		(v)->numberOfInterfaces = 3;                                                                           \
		GV_afsUUID(&(v)->uuid, (s) + 1);                                                                       \
		GV_FILL_ARRAY((v)->addr_in, 32, s, 100);                                                               \
		GV_FILL_ARRAY((v)->subnetmask, 32, s, 200);                                                            \
		GV_FILL_ARRAY((v)->mtu, 32, s, 300);                                                                   \
	} while (0)

#define GV_ListAddrByAttributes(v, s)                                                                                  \
	do {                                                                                                           \
		(v)->Mask = 4;                                                                                         \
		(v)->ipaddr = gv(s, 1);                                                                                \
		(v)->index = (int32_t)gv(s, 2);                                                                        \
		(v)->spare1 = (int32_t)gv(s, 3);                                                                       \
		GV_afsUUID(&(v)->uuid, (s) + 1);                                                                       \
	} while (0)

#define GV_VLCallBack(v, s)                                                                                            \
	do {                                                                                                           \
		(v)->CallBackVersion = gv(s, 0);                                                                       \
		(v)->ExpirationTime = gv(s, 1);                                                                        \
		(v)->CallBackType = gv(s, 2);                                                                          \
		(v)->Handle = gv(s, 3);                                                                                \
	} while (0)

/* The entry fields every VLDB entry format has (name, sites, ids). */
#define GV_vlentry_common(v, s, nsrv)                                                                                  \
	do {                                                                                                           \
		GV_FILL_ARRAY((v)->name, 65, s, 0);                                                                    \
		(v)->nServers = (int32_t)gv(s, 100);                                                                   \
		GV_FILL_ARRAY((v)->serverPartition, nsrv, s, 300);                                                     \
		GV_FILL_ARRAY((v)->serverFlags, nsrv, s, 400);                                                         \
		GV_FILL_ARRAY((v)->volumeId, 3, s, 500);                                                               \
		(v)->cloneId = gv(s, 510);                                                                             \
		(v)->flags = (int32_t)gv(s, 511);                                                                      \
	} while (0)

#define GV_vlentry_spares(v, s)                                                                                        \
	do {                                                                                                           \
		(v)->matchindex = (int32_t)gv(s, 600);                                                                 \
		(v)->spares2 = (int32_t)gv(s, 602);                                                                    \
		(v)->spares3 = (int32_t)gv(s, 603);                                                                    \
		(v)->spares4 = (int32_t)gv(s, 604);                                                                    \
		(v)->spares5 = (int32_t)gv(s, 605);                                                                    \
		(v)->spares6 = (int32_t)gv(s, 606);                                                                    \
		(v)->spares7 = (int32_t)gv(s, 607);                                                                    \
		(v)->spares8 = (int32_t)gv(s, 608);                                                                    \
		(v)->spares9 = (int32_t)gv(s, 609);                                                                    \
	} while (0)

#define GV_vldbentry(v, s)                                                                                             \
	do {                                                                                                           \
		GV_vlentry_common(v, s, 8);                                                                            \
		GV_FILL_ARRAY((v)->serverNumber, 8, s, 200);                                                           \
		(v)->spares3 = (int32_t)gv(s, 603);                                                                    \
	} while (0)

#define GV_nvldbentry(v, s)                                                                                            \
	do {                                                                                                           \
		GV_vlentry_common(v, s, 13);                                                                           \
		GV_FILL_ARRAY((v)->serverNumber, 13, s, 200);                                                          \
		GV_vlentry_spares(v, s);                                                                               \
	} while (0)

#define GV_uvldbentry(v, s)                                                                                            \
	do {                                                                                                           \
		GV_vlentry_common(v, s, 13);                                                                           \
		for (unsigned gv_u_ = 0; gv_u_ < 13; gv_u_++)                                                          \
			GV_afsUUID(&(v)->serverNumber[gv_u_], (s) + 50 + gv_u_);                                       \
		GV_FILL_ARRAY((v)->serverUnique, 13, s, 700);                                                          \
		GV_vlentry_spares(v, s);                                                                               \
	} while (0)

/* Strings carried by the name-taking calls (odd lengths exercise padding). */
#define GV_NAME "hello.txt"
#define GV_NAME2 "renamed-file"
#define GV_LINK "#root.cell."
#define GV_VOLNAME "root.cell"
#define GV_MOTD "Message of the day: 31 bytes!!"
#define GV_ACL "2\n0\nsystem:administrators 127\n"

/* Counted arrays: element i of each has seed base + i. */
#define GV_NFIDS 3
#define GV_FIDS_SEED 20
#define GV_CBS_SEED 23
#define GV_NSTATS 2
#define GV_STATS_SEED 26
#define GV_NADDRS 4
#define GV_ADDRS_SEED 28
#define GV_NCAPS 2
#define GV_CAP0 0xfu

/* Fill the counted arrays' elements (OpenAFS's or rxd's types alike). */
#define GV_FILL_COUNTED(fids_v, cbs_v, stats_v, addrs_v, caps_v)                                                       \
	do {                                                                                                           \
		for (unsigned gv_k_ = 0; gv_k_ < GV_NFIDS; gv_k_++) {                                                  \
			GV_AFSFid(&(fids_v)[gv_k_], GV_FIDS_SEED + gv_k_);                                             \
			GV_AFSCallBack(&(cbs_v)[gv_k_], GV_CBS_SEED + gv_k_);                                          \
		}                                                                                                      \
		for (unsigned gv_k_ = 0; gv_k_ < GV_NSTATS; gv_k_++)                                                   \
			GV_AFSFetchStatus(&(stats_v)[gv_k_], GV_STATS_SEED + gv_k_);                                   \
		GV_FILL_ARRAY(addrs_v, GV_NADDRS, GV_ADDRS_SEED, 0);                                                   \
		(caps_v)[0] = GV_CAP0;                                                                                 \
		(caps_v)[1] = gv(GV_ADDRS_SEED, 9);                                                                    \
	} while (0)

#endif
