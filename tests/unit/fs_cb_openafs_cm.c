/* SPDX-License-Identifier: MIT */
/* The OpenAFS side of test_fs_cb_openafs (fs_cb_openafs_cm.h). */
#include <afs/param.h>
#include <afs/stds.h>
#include <rx/xdr.h>
#include <rx/rx.h>
#include <rx/rx_null.h>
#include <rx/rx_globals.h>
#include <afs/afscbint.h>
#include <afs/rxgen_consts.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fs_cb_openafs_cm.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct cm_seen seen;
static uint32_t my_uuid;

static void op(int kind)
{
	if (!seen.ops++)
		seen.first_op = kind;
}

afs_int32 SRXAFSCB_CallBack(struct rx_call *c, AFSCBFids *fids, AFSCBs *cbs)
{
	(void)c;
	(void)cbs;
	pthread_mutex_lock(&mu);
	op(3);
	seen.callbacks++;
	if ((int)fids->AFSCBFids_len > seen.max_batch)
		seen.max_batch = (int)fids->AFSCBFids_len;
	for (unsigned i = 0; i < fids->AFSCBFids_len && seen.nfids < CM_MAX_FIDS; i++) {
		seen.fids[seen.nfids][0] = fids->AFSCBFids_val[i].Volume;
		seen.fids[seen.nfids][1] = fids->AFSCBFids_val[i].Vnode;
		seen.fids[seen.nfids][2] = fids->AFSCBFids_val[i].Unique;
		seen.nfids++;
	}
	pthread_mutex_unlock(&mu);
	return 0;
}

afs_int32 SRXAFSCB_InitCallBackState3(struct rx_call *c, afsUUID *u)
{
	(void)c;
	pthread_mutex_lock(&mu);
	op(2);
	seen.icbs3++;
	seen.icbs3_time_low = u->time_low;
	seen.icbs3_node5 = (uint8_t)u->node[5];
	pthread_mutex_unlock(&mu);
	return 0;
}

afs_int32 SRXAFSCB_TellMeAboutYourself(struct rx_call *c, struct interfaceAddr *a, Capabilities *caps)
{
	(void)c;
	pthread_mutex_lock(&mu);
	op(1);
	seen.tmay++;
	pthread_mutex_unlock(&mu);
	memset(a, 0, sizeof(*a));
	a->numberOfInterfaces = 1;
	a->addr_in[0] = (afs_int32)htonl(INADDR_LOOPBACK);
	a->uuid.time_low = my_uuid;
	caps->Capabilities_val = calloc(1, sizeof(afs_uint32)); /* freed by the stub */
	caps->Capabilities_len = caps->Capabilities_val ? 1 : 0;
	if (caps->Capabilities_val)
		caps->Capabilities_val[0] = 1; /* CLIENT_CAPABILITY_ERRORTRANS */
	return 0;
}

afs_int32 SRXAFSCB_Probe(struct rx_call *c)
{
	(void)c;
	pthread_mutex_lock(&mu);
	op(4);
	seen.probes++;
	pthread_mutex_unlock(&mu);
	return 0;
}

/* The rest of the interface: not what a fileserver calls here. */
afs_int32 SRXAFSCB_InitCallBackState(struct rx_call *c)
{
	(void)c;
	return RXGEN_OPCODE;
}
afs_int32 SRXAFSCB_GetLock(struct rx_call *c, afs_int32 i, AFSDBLock *l)
{
	(void)c, (void)i, (void)l;
	return RXGEN_OPCODE;
}
afs_int32 SRXAFSCB_GetCE(struct rx_call *c, afs_int32 i, AFSDBCacheEntry *e)
{
	(void)c, (void)i, (void)e;
	return RXGEN_OPCODE;
}
afs_int32 SRXAFSCB_GetCE64(struct rx_call *c, afs_int32 i, AFSDBCacheEntry64 *e)
{
	(void)c, (void)i, (void)e;
	return RXGEN_OPCODE;
}
afs_int32 SRXAFSCB_XStatsVersion(struct rx_call *c, afs_int32 *v)
{
	(void)c, (void)v;
	return RXGEN_OPCODE;
}
afs_int32 SRXAFSCB_GetXStats(struct rx_call *c, afs_int32 cv, afs_int32 cn, afs_int32 *sv, afs_int32 *t,
			     AFSCB_CollData *d)
{
	(void)c, (void)cv, (void)cn, (void)sv, (void)t, (void)d;
	return RXGEN_OPCODE;
}
afs_int32 SRXAFSCB_InitCallBackState2(struct rx_call *c, struct interfaceAddr *a)
{
	(void)c, (void)a;
	return RXGEN_OPCODE;
}
afs_int32 SRXAFSCB_WhoAreYou(struct rx_call *c, struct interfaceAddr *a)
{
	(void)c, (void)a;
	return RXGEN_OPCODE;
}
afs_int32 SRXAFSCB_ProbeUuid(struct rx_call *c, afsUUID *u)
{
	(void)c, (void)u;
	return RXGEN_OPCODE;
}
afs_int32 SRXAFSCB_GetServerPrefs(struct rx_call *c, afs_int32 i, afs_int32 *a, afs_int32 *r)
{
	(void)c, (void)i, (void)a, (void)r;
	return RXGEN_OPCODE;
}
afs_int32 SRXAFSCB_GetCellServDB(struct rx_call *c, afs_int32 i, char **n, serverList *h)
{
	(void)c, (void)i, (void)n, (void)h;
	return RXGEN_OPCODE;
}
afs_int32 SRXAFSCB_GetLocalCell(struct rx_call *c, char **n)
{
	(void)c, (void)n;
	return RXGEN_OPCODE;
}
afs_int32 SRXAFSCB_GetCacheConfig(struct rx_call *c, afs_uint32 cv, afs_uint32 *sv, afs_uint32 *cc, cacheConfig *config)
{
	(void)c, (void)cv, (void)sv, (void)cc, (void)config;
	return RXGEN_OPCODE;
}
afs_int32 SRXAFSCB_GetCellByNum(struct rx_call *c, afs_int32 i, char **n, serverList *h)
{
	(void)c, (void)i, (void)n, (void)h;
	return RXGEN_OPCODE;
}

int cm_serve(uint32_t uuid_time_low)
{
	static struct rx_securityClass *sec[1];

	my_uuid = uuid_time_low;
	sec[0] = rxnull_NewServerSecurityObject();
	if (!rx_NewService(0, 1, "afscb", sec, 1, RXAFSCB_ExecuteRequest))
		return -1;
	rx_StartServer(0);
	return 0;
}

uint16_t cm_start(uint32_t uuid_time_low)
{
	if (rx_InitHost(htonl(INADDR_LOOPBACK), 0) != 0 || cm_serve(uuid_time_low))
		return 0;
	return ntohs(rx_port);
}

void cm_seen(struct cm_seen *out)
{
	pthread_mutex_lock(&mu);
	*out = seen;
	pthread_mutex_unlock(&mu);
}
