# memif pair, process A (server role): creates the control socket.
# Works with --no-huge: memif's shared memory is a memfd, not hugepages.
# Start this side first, then memif-client.profile.  Close order matters
# with DPDK 22.11 (see README.md: the client holds its port with --hold).
EAL_DEV="--no-pci --vdev net_memif0,role=server,socket=${RXD_MEMIF_SOCK:-/run/rxd/memif.sock},socket-abstract=no"
EAL_MEM="${RXD_EAL_MEM:---no-huge -m 1024}"
APP_ARGS="--ip ${RXD_IP:-198.18.1.1/24}"
