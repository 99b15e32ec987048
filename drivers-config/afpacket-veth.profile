# net_af_packet on one end of a veth pair inside a private namespace:
#   ip netns exec NS ip link add rxda type veth peer name rxdb
#   ip netns exec NS drivers-config/run.sh afpacket-veth.profile ...
# qpairs = worker lcores: the PMD opens one packet socket per queue in a
# PACKET_FANOUT group, which spreads flows over the queues like RSS.
# Disable IPv6 on the veth ends to keep kernel chatter (RS, MLD) away.
EAL_DEV="--no-pci --vdev net_af_packet0,iface=${RXD_VETH:-rxda},qpairs=${RXD_QUEUES:-1}"
EAL_MEM="${RXD_EAL_MEM:---no-huge -m 1024}"
APP_ARGS="--ip ${RXD_IP:-198.18.3.1/24}"
