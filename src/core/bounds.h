/*
 * Fixed capacities of the node.  Every table is sized from these at start-up so
 * the data plane never allocates.  MAX_PEERS is a build option
 * (make MAX_PEERS=N); the policy table grows with it.
 */
#ifndef SUBNETRA_BOUNDS_H
#define SUBNETRA_BOUNDS_H

#ifndef SUBNETRA_MAX_PEERS
#define SUBNETRA_MAX_PEERS 32
#endif

enum {
	MAX_PEERS = SUBNETRA_MAX_PEERS,
	MAX_ROUTES = 8,       /* local_routes and remote_routes, each */
	MAX_LISTEN_PORTS = 8,
	MAX_WORKERS = 16,     /* reactor threads (config "workers") */
	PEER_NAME_MAX = 48,   /* bytes, printable ASCII 0x20-0x7e */
	MAX_POLICY_ENTRIES = MAX_PEERS + 2 * MAX_ROUTES + 224,
	MAX_RULE_LINE = 112,  /* one replayable "policy add ..." line */
	MAX_POLICY_DUMP = MAX_POLICY_ENTRIES * MAX_RULE_LINE,
	/* config file read cap: 64 KiB, plus room for a formatted peer (~150 bytes)
	 * beyond 256 peers, so a MAX_PEERS build can load a full peer list */
	CONFIG_MAX = 64 * 1024 + (MAX_PEERS > 256 ? (MAX_PEERS - 256) * 256 : 0),
	CTL_RX_BUF = 4096,    /* control datagrams above this are dropped whole */
	CTL_MAX_LINE = 512,   /* CLI request line */
	MAX_CMDS_PER_TICK = 64,
	UDP_BATCH = 32,       /* recvmmsg / sendmmsg slots per direction */
	TUN_BATCH = 32,       /* TUN reads per wake-up */
	PKT_BUF_LEN = 2048,   /* one packet slot; holds MAX_WIRE with headroom */
	OBFS_SCAN_BUDGET = 8, /* full-registry trial scans per UDP drain */
	STATUS_ONLINE_FRESHNESS_SECS = 90,
	STATUS_SCHEMA_VERSION = 1,
	DEFAULT_SPOKE_KEEPALIVE_SECS = 20,
	MTU_MIN = 68,
	MTU_MAX = 1500,
	DEFAULT_PATH_MTU = 1500,
	DEFAULT_TUN_MTU = 1436, /* 1500 - 64; the upstream docs' 1452 is wrong */
	CLIENT_TIMEOUT_MS = 2000,
};

_Static_assert(MAX_PEERS >= 1 && MAX_PEERS <= 65535, "MAX_PEERS must be 1..65535");

#endif
