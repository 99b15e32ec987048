# memif pair, process B (client role): connects to the server's socket.
EAL_DEV="--no-pci --vdev net_memif0,role=client,socket=${RXD_MEMIF_SOCK:-/run/rxd/memif.sock},socket-abstract=no"
EAL_MEM="${RXD_EAL_MEM:---no-huge -m 1024}"
APP_ARGS="--ip ${RXD_IP:-198.18.1.2/24} --hold 30"
