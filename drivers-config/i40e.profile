# Intel X710/XL710 (i40e PMD), documented profile (no such NIC in CI).
# Queues: one RX+TX queue per worker lcore (up to 64 with the default VMDq split).
# RSS: NONFRAG_IPV4_UDP / NONFRAG_IPV6_UDP (Toeplitz, 52-byte key).
# rte_flow for cid steering (--flow 1): RAW items are accepted with
#   relative=1 only, even offsets, no search/limit, at most 3 fields and
#   16 bytes of flexible payload in total: the cid word (payload offset 4,
#   masked to (nworkers-1)<<2) fits; the flags byte (offset 21, odd) must be
#   matched as the 16-bit word at offset 20 with mask 0x0001.  One rule per
#   queue needs a power-of-two worker count.  Refused rules fall back to
#   RSS + software forwarding.  Checksum offload: IPv4 + UDP, TX and RX.
EAL_DEV="-a ${RXD_PCI:?set RXD_PCI to the X710 PCI address}"
EAL_MEM="${RXD_EAL_MEM:---huge-unlink}"
APP_ARGS="--ip ${RXD_IP:?set RXD_IP} --rss 1 --flow 1 --rxd 2048 --txd 2048"
