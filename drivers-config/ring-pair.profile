# One process, two ifaces joined by an in-process net_ring pair (created by
# the shell: --ring-pair; iface 0 = server, iface 1 = client in --mode loop).
# No kernel, no namespace, no hugepages.  Queue i of one side feeds queue i
# of the other, so with several workers the cid sharding forwards packets
# between lcores over the SP/SC rings.
EAL_DEV="--no-pci"
EAL_MEM="${RXD_EAL_MEM:---no-huge -m 1024}"
APP_ARGS="--ring-pair --ip 198.18.0.1/24@0 --ip 198.18.0.2/24@1"
