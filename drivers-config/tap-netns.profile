# net_tap inside a private network namespace: run under
#   ip netns exec NS drivers-config/run.sh tap-netns.profile ...
# The PMD creates the TAP interface ${RXD_TAP} in that namespace; give the
# kernel side an address in the same subnet (ip addr add 198.18.2.1/24 dev
# ${RXD_TAP}; ip link set ${RXD_TAP} up) and it can ping the shell (ARP, ND,
# ICMP and ICMPv6 echo).  net_tap offers IPv4/UDP TX checksum offload (done
# by the PMD in software) and RX checksum flags; the shell uses both.
EAL_DEV="--no-pci --vdev net_tap0,iface=${RXD_TAP:-rxd0}"
EAL_MEM="${RXD_EAL_MEM:---no-huge -m 512}"
APP_ARGS="--ip ${RXD_IP:-198.18.2.2/24} --ip6 ${RXD_IP6:-fd00:2::2/64}"
