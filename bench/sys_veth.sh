# shellcheck shell=bash disable=SC2034 # sets the variables lib.sh reads
# System "veth": the raw underlay, no tunnel -- the ceiling every overlay is
# measured against.  Client in "a", server on the hub's underlay address,
# the same bridged veth path every tunnel's datagrams take.  No daemon, so
# no CPU or RSS figures.

sys_veth_up() {
	CLI_NODE=a
	SRV_NODE=hub
	SRV_ADDR=${NODE_IP[hub]}
	DAEMON_PIDS=()
	MEM_PID=""
}

sys_veth_down() { :; }
