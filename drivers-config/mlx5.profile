# NVIDIA ConnectX-5/6/7 (mlx5 PMD, bifurcated: the kernel netdev stays up),
# documented profile (no such NIC in CI).
# Queues: one RX+TX queue per worker lcore (hundreds available).
# RSS: NONFRAG_IPV4_UDP / NONFRAG_IPV6_UDP (Toeplitz or symmetric).
# rte_flow for cid steering: mlx5 has no RAW item; it matches payload bytes
#   with RTE_FLOW_ITEM_TYPE_FLEX (a flex parser created with
#   rte_flow_flex_item_create; firmware must enable the flex parser).  The
#   shell's RAW rules are refused (validate fails) and it uses RSS + software
#   forwarding.  ETH/IPV4|IPV6/UDP dst-port -> QUEUE rules are the portable
#   alternative (one local UDP port per lcore for client connections).
#   Checksum offload: IPv4 + UDP, TX and RX.
EAL_DEV="-a ${RXD_PCI:?set RXD_PCI to the ConnectX PCI address},dv_flow_en=1"
EAL_MEM="${RXD_EAL_MEM:---huge-unlink}"
APP_ARGS="--ip ${RXD_IP:?set RXD_IP} --rss 1 --flow 1 --rxd 2048 --txd 2048"
