/* SPDX-License-Identifier: MIT */
/*
 * rte_flow cid steering, best effort.  With a power-of-two worker count the
 * owner of a client connection is a bit field of the cid:
 * ((cid >> 2) & (n - 1)) for client and service connections alike (see
 * rxd_shard.h), so one rule per queue matches it with a RAW item on the UDP
 * payload (cid at payload offset 4), on the first UDP port (datagrams to the
 * others are spread by RSS and forwarded in software).  Every rule is
 * validated first; a port that refuses any of them keeps RSS + software
 * forwarding, which always works.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_flow.h>

#include "rxd_port.h"
#include "rxd_pkt.h"

static struct rte_flow *cid_rule(struct rxd_iface *ifc, unsigned family, unsigned n, unsigned q, bool create)
{
	struct rte_flow_attr attr = {.ingress = 1};
	struct rte_flow_item_udp udp_spec, udp_mask;
	struct rte_flow_item_raw cid_spec, cid_mask;
	uint8_t cid_pat[4], cid_msk[4];
	struct rte_flow_action_queue queue = {.index = (uint16_t)q};
	struct rte_flow_item pattern[5];
	struct rte_flow_action actions[2];
	struct rte_flow_error error;

	memset(&udp_spec, 0, sizeof udp_spec);
	memset(&udp_mask, 0, sizeof udp_mask);
	udp_spec.hdr.dst_port = rte_cpu_to_be_16(ifc->udp_ports[0]);
	udp_mask.hdr.dst_port = 0xffff;
	rxd_wr32(cid_pat, (uint32_t)q << 2);
	rxd_wr32(cid_msk, (uint32_t)(n - 1) << 2);
	memset(&cid_spec, 0, sizeof cid_spec);
	memset(&cid_mask, 0, sizeof cid_mask);
	cid_spec.relative = 1;
	cid_spec.offset = 4;
	cid_spec.length = 4;
	cid_spec.pattern = cid_pat;
	cid_mask = cid_spec;
	cid_mask.relative = 1;
	cid_mask.offset = -1;
	cid_mask.length = 0xffff;
	cid_mask.pattern = cid_msk;

	memset(pattern, 0, sizeof pattern);
	pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;
	pattern[1].type = family == 4 ? RTE_FLOW_ITEM_TYPE_IPV4 : RTE_FLOW_ITEM_TYPE_IPV6;
	pattern[2].type = RTE_FLOW_ITEM_TYPE_UDP;
	pattern[2].spec = &udp_spec;
	pattern[2].mask = &udp_mask;
	pattern[3].type = RTE_FLOW_ITEM_TYPE_RAW;
	pattern[3].spec = &cid_spec;
	pattern[3].mask = &cid_mask;
	pattern[4].type = RTE_FLOW_ITEM_TYPE_END;
	memset(actions, 0, sizeof actions);
	actions[0].type = RTE_FLOW_ACTION_TYPE_QUEUE;
	actions[0].conf = &queue;
	actions[1].type = RTE_FLOW_ACTION_TYPE_END;
	if (rte_flow_validate(ifc->port_id, &attr, pattern, actions, &error) != 0)
		return NULL;
	if (!create)
		return (struct rte_flow *)(uintptr_t)1;
	return rte_flow_create(ifc->port_id, &attr, pattern, actions, &error);
}

unsigned rxd_flow_setup(struct rxd_shell *s, struct rxd_iface *ifc)
{
	unsigned n = ifc->nb_queues;

	ifc->flow_rules = 0;
	if ((n & (n - 1)) != 0) {
		RXD_LOG(s, NOTICE,
			"port %u: rte_flow cid steering needs a power-of-two worker count; using software forwarding\n",
			ifc->port_id);
		return 0;
	}
	for (unsigned fam = 4; fam <= 6; fam += 2) {
		if ((fam == 4 && !ifc->has_ip4) || (fam == 6 && !ifc->has_ip6))
			continue;
		for (unsigned q = 0; q < n; q++)
			if (!cid_rule(ifc, fam, n, q, false))
				goto refused;
		for (unsigned q = 0; q < n; q++) {
			struct rte_flow *f = cid_rule(ifc, fam, n, q, true);
			if (!f)
				goto refused;
			ifc->flow[ifc->flow_rules++] = f;
		}
	}
	return ifc->flow_rules;
refused:
	RXD_LOG(s, NOTICE, "port %u (%s) refuses RAW cid rules; steering stays with RSS and software forwarding\n",
		ifc->port_id, ifc->name);
	rxd_flow_teardown(s, ifc);
	return 0;
}

void rxd_flow_teardown(struct rxd_shell *s, struct rxd_iface *ifc)
{
	struct rte_flow_error error;

	(void)s;
	for (unsigned i = 0; i < ifc->flow_rules; i++)
		rte_flow_destroy(ifc->port_id, ifc->flow[i], &error);
	ifc->flow_rules = 0;
}
