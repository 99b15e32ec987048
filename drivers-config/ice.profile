# Intel E810 (ice PMD), documented profile (no such NIC in CI).
#   drivers-config/hugepages.sh 2048 && RXD_PCI=0000:3b:00.0 drivers-config/run.sh ice.profile --mode server
# Queues: one RX+TX queue per worker lcore (up to 256 per port).
# RSS: RTE_ETH_RSS_NONFRAG_IPV4_UDP / _IPV6_UDP on the 4-tuple (Toeplitz):
#   one client host:port pair stays on one queue; cid sharding forwards.
# rte_flow for cid steering (--flow 1): ice takes a RAW pattern only as the
#   *sole* item ("raw pattern" = hex spec + mask over the whole packet), so
#   the shell's ETH/IP/UDP/RAW(cid)/RAW(flags) rules are refused and it falls
#   back to RSS + software forwarding.  A full-packet RAW rule (Ethernet to
#   UDP payload, with the cid bits at payload offset 4 and the flags byte at
#   offset 21 in spec and mask) is the form ice documents; untested here.
#   Checksum offload: IPv4 + UDP, TX and RX.
EAL_DEV="-a ${RXD_PCI:?set RXD_PCI to the E810 PCI address}"
EAL_MEM="${RXD_EAL_MEM:---huge-unlink}"
APP_ARGS="--ip ${RXD_IP:?set RXD_IP} --rss 1 --flow 1 --rxd 2048 --txd 2048"
