/*
 * netplan.c: whole-text comparisons of the Linux network plan (every
 * command idempotent: "replace"), and the structured plan that the daemon
 * applies through rtnetlink.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/netplan.h"

#define KEY_A "4478406b1ab6c49a71868963cb76f6c2f1c4d4541538cac8a8c28cfc23fb49a4"
#define KEY_B "d10bae5df4e65c268961c9e6cd812aa0ac0bbca644452ea50fc2dbcb78805927"
#define KEY_C "40fb6d394df5d6530afb99a48c3be4805edf471d729c02a4fe5de6e88ce39b41"

#define HEADER(tun, path, rec)                                                             \
	"# subnetra network plan for interface '" tun "'\n"                                \
	"# underlay path MTU assumed: " path " (override with --path-mtu N)\n"             \
	"# tunnel overhead: 64 bytes (wire header 20 + AEAD tag 16 + outer IPv4/UDP 28)\n" \
	"# recommended max tunnel MTU for this path: " rec "\n"
#define APPLIED                                                                                \
	"# subnetrad applies this plan itself when it starts (\"configure_interface\": true);\n" \
	"# running it by hand as well changes nothing: every command is idempotent.\n"
#define BY_HAND                                                                               \
	"# \"configure_interface\": false: subnetrad leaves the interface to you; run\n"          \
	"# this plan after it starts (the TUN exists only while subnetrad runs).\n"
#define WARNING(mtu, rec)                                                               \
	"# WARNING: configured local_tun_mtu " mtu " exceeds the recommended max " rec ";\n" \
	"#          packets larger than " rec " bytes may fragment or be silently dropped.\n"
#define MSS(tun)                                                                             \
	"# TCP MSS clamp (optional, not applied by this plan): keeps TCP segments\n"          \
	"# within the tunnel MTU so large transfers do not stall on a PMTU black hole.\n"     \
	"# nftables, in an existing forward chain (here table inet filter):\n"                \
	"#   nft add rule inet filter forward oifname \"" tun "\" tcp flags syn tcp option "  \
	"maxseg size set rt mtu\n"                                                          \
	"# or the iptables equivalent:\n"                                                     \
	"#   iptables -t mangle -A FORWARD -o " tun " -p tcp --tcp-flags SYN,RST SYN -j "     \
	"TCPMSS --clamp-mss-to-pmtu\n"

static const char spoke_a[] =
	"{\"role\":\"spoke\",\"virtual_subnet\":\"10.0.0.0/24\",\"local_id\":2,"
	"\"local_tun_ip\":\"10.0.0.2/24\",\"local_routes\":[\"10.0.0.2/32\"],\"peers\":["
	"{\"id\":1,\"endpoint\":\"203.0.113.1:18020\",\"allowed_src\":\"10.0.0.0/24\",\"psk\":\"" KEY_A "\"}]}";

static const char hub[] =
	"{\"role\":\"hub\",\"virtual_subnet\":\"10.0.0.0/24\",\"local_id\":1,\"peers\":["
	"{\"id\":2,\"endpoint\":\"203.0.113.2:18020\",\"allowed_src\":\"10.0.0.2/32\",\"psk\":\"" KEY_A "\"},"
	"{\"id\":3,\"endpoint\":\"203.0.113.3:18020\",\"allowed_src\":\"10.0.0.3/32\",\"psk\":\"" KEY_B "\"}]}";

static struct config cfg;
static char buf[NETPLAN_BUF];

static void load(const char *json)
{
	struct config_error e;
	char msg[512];

	if (config_parse(&cfg, "plan.json", json, strlen(json), &e) != 0 ||
	    config_validate(&cfg, "plan.json", &e) != 0) {
		config_error_format(&e, msg, sizeof(msg));
		fail_msg("%s", msg);
	}
}

static void expect_plan(const char *tun, unsigned path_mtu, const char *want)
{
	size_t n = netplan_render(&cfg, tun, path_mtu, buf, sizeof(buf));

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void test_spoke_1500(void **state)
{
	(void)state;
	load(spoke_a);
	expect_plan("snr0", 1500,
		    HEADER("snr0", "1500", "1436")
		    APPLIED
		    "\n"
		    "ip link set snr0 mtu 1436 up\n"
		    "ip addr replace 10.0.0.2/24 dev snr0\n"
		    "# routes to remote subnets reachable via the tunnel:\n"
		    "# 10.0.0.0/24: already on-link through the local_tun_ip address\n"
		    "\n"
		    MSS("snr0"));
}

/* --path-mtu 1420 with the default 1436 tunnel MTU warns. */
static void test_spoke_1420_warns(void **state)
{
	(void)state;
	load(spoke_a);
	expect_plan("snr0", 1420,
		    HEADER("snr0", "1420", "1356")
		    WARNING("1436", "1356")
		    APPLIED
		    "\n"
		    "ip link set snr0 mtu 1436 up\n"
		    "ip addr replace 10.0.0.2/24 dev snr0\n"
		    "# routes to remote subnets reachable via the tunnel:\n"
		    "# 10.0.0.0/24: already on-link through the local_tun_ip address\n"
		    "\n"
		    MSS("snr0"));
}

/*
 * The hub has no local_tun_ip: placeholder, and no routes (it relays inside
 * subnetrad; until issue 11 the plan added one route per spoke that the
 * host could not use).
 */
static void test_hub_placeholder(void **state)
{
	(void)state;
	load(hub);
	expect_plan("tun-hub", 1500,
		    HEADER("tun-hub", "1500", "1436")
		    APPLIED
		    "\n"
		    "ip link set tun-hub mtu 1436 up\n"
		    "# set the local TUN address (config 'local_tun_ip' is unset):\n"
		    "#   ip addr replace <A.B.C.D/prefix> dev tun-hub\n"
		    "# routes to remote subnets reachable via the tunnel:\n"
		    "# (none: a hub without local_tun_ip relays between its peers inside subnetrad\n"
		    "#  and this host has no overlay address to use routes with)\n"
		    "\n"
		    MSS("tun-hub"));
}

/* A hub with an overlay address reaches its spokes: one route per spoke. */
static void test_hub_with_address(void **state)
{
	(void)state;
	load("{\"role\":\"hub\",\"virtual_subnet\":\"10.0.0.0/24\",\"local_id\":1,"
	     "\"local_tun_ip\":\"10.0.0.1/24\",\"configure_interface\":false,\"peers\":["
	     "{\"id\":2,\"endpoint\":\"203.0.113.2:18020\",\"allowed_src\":\"10.0.0.2/32\",\"psk\":\"" KEY_A "\"},"
	     "{\"id\":3,\"endpoint\":\"203.0.113.3:18020\",\"allowed_src\":\"192.168.3.0/24\",\"psk\":\"" KEY_B "\"}]}");
	expect_plan("snr0", 1500,
		    HEADER("snr0", "1500", "1436")
		    BY_HAND
		    "\n"
		    "ip link set snr0 mtu 1436 up\n"
		    "ip addr replace 10.0.0.1/24 dev snr0\n"
		    "# routes to remote subnets reachable via the tunnel:\n"
		    "ip route replace 10.0.0.2/32 dev snr0\n"
		    "ip route replace 192.168.3.0/24 dev snr0\n"
		    "\n"
		    MSS("snr0"));
}

/* A /0 peer gets a comment, never a default route; host bits are masked. */
static void test_slash0_peer(void **state)
{
	(void)state;
	load("{\"local_id\":1,\"local_tun_mtu\":1400,\"local_tun_ip\":\"10.0.0.1/24\",\"peers\":["
	     "{\"id\":2,\"endpoint\":\"203.0.113.2:18020\",\"psk\":\"" KEY_A "\"},"
	     "{\"id\":3,\"endpoint\":\"203.0.113.3:18020\",\"allowed_src\":\"192.168.3.77/24\",\"psk\":\"" KEY_B "\"},"
	     "{\"id\":4,\"endpoint\":\"203.0.113.4:18020\",\"allowed_src\":\"10.9.9.9/0\",\"psk\":\"" KEY_C "\"}]}");
	expect_plan(NULL, 1500,
		    HEADER("snr0", "1500", "1436")
		    APPLIED
		    "\n"
		    "ip link set snr0 mtu 1400 up\n"
		    "ip addr replace 10.0.0.1/24 dev snr0\n"
		    "# routes to remote subnets reachable via the tunnel:\n"
		    "# (peer id 2: allowed_src is 0.0.0.0/0 \xe2\x80\x94 no route emitted; set a specific prefix)\n"
		    "ip route replace 192.168.3.0/24 dev snr0\n"
		    "# (peer id 4: allowed_src is 0.0.0.0/0 \xe2\x80\x94 no route emitted; set a specific prefix)\n"
		    "\n"
		    MSS("snr0"));
}

/* Only /0 peers: nothing routed, said so. */
static void test_no_routes(void **state)
{
	(void)state;
	load("{\"local_id\":1,\"peers\":[{\"id\":2,\"endpoint\":\"203.0.113.2:18020\",\"psk\":\"" KEY_A "\"}]}");
	expect_plan("snr0", 1500,
		    HEADER("snr0", "1500", "1436")
		    APPLIED
		    "\n"
		    "ip link set snr0 mtu 1436 up\n"
		    "# set the local TUN address (config 'local_tun_ip' is unset):\n"
		    "#   ip addr replace <A.B.C.D/prefix> dev snr0\n"
		    "# routes to remote subnets reachable via the tunnel:\n"
		    "# (peer id 2: allowed_src is 0.0.0.0/0 \xe2\x80\x94 no route emitted; set a specific prefix)\n"
		    "# (no specific remote subnets configured)\n"
		    "\n"
		    MSS("snr0"));
}

/* The structure the daemon applies: the same decisions as the text. */
static void test_build(void **state)
{
	struct netplan plan;

	(void)state;
	load("{\"local_id\":1,\"local_tun_mtu\":1400,\"local_tun_ip\":\"10.0.0.1/24\",\"peers\":["
	     "{\"id\":2,\"endpoint\":\"203.0.113.2:18020\",\"allowed_src\":\"10.0.0.77/24\",\"psk\":\"" KEY_A "\"},"
	     "{\"id\":3,\"endpoint\":\"203.0.113.3:18020\",\"allowed_src\":\"192.168.3.77/24\",\"psk\":\"" KEY_B "\"},"
	     "{\"id\":4,\"endpoint\":\"203.0.113.4:18020\",\"psk\":\"" KEY_C "\"}]}");
	netplan_build(&cfg, &plan);
	assert_int_equal(plan.mtu, 1400);
	assert_true(plan.configure);
	assert_true(plan.has_addr);
	assert_int_equal(plan.addr.addr, 0x0a000001);
	assert_int_equal(plan.addr.prefix, 24);
	assert_false(plan.relay_only);
	assert_int_equal(plan.n_routes, 3);
	assert_int_equal(plan.routes[0].kind, NETPLAN_SKIP_ONLINK);
	assert_int_equal(plan.routes[1].kind, NETPLAN_ROUTE);
	assert_int_equal(plan.routes[1].dst.addr, 0xc0a80300); /* host bits masked */
	assert_int_equal(plan.routes[1].dst.prefix, 24);
	assert_int_equal(plan.routes[1].peer, 1);
	assert_int_equal(plan.routes[1].peer_id, 3);
	assert_int_equal(plan.routes[2].kind, NETPLAN_SKIP_DEFAULT);

	load(hub);
	netplan_build(&cfg, &plan);
	assert_true(plan.relay_only);
	assert_false(plan.has_addr);
	assert_int_equal(plan.routes[0].kind, NETPLAN_SKIP_RELAY);
	assert_int_equal(plan.routes[1].kind, NETPLAN_SKIP_RELAY);
}

/* Recommended MTU edges: exactly at the limit no warning; path <= 64 gives 0. */
static void test_mtu_edges(void **state)
{
	(void)state;
	load(spoke_a);
	netplan_render(&cfg, "snr0", 1500, buf, sizeof(buf));
	assert_null(strstr(buf, "WARNING"));
	netplan_render(&cfg, "snr0", 1499, buf, sizeof(buf));
	assert_non_null(strstr(buf, WARNING("1436", "1435")));
	netplan_render(&cfg, "snr0", 64, buf, sizeof(buf));
	assert_non_null(strstr(buf, "# recommended max tunnel MTU for this path: 0\n" WARNING("1436", "0")));
	netplan_render(&cfg, "snr0", 0, buf, sizeof(buf));
	assert_non_null(strstr(buf, "# underlay path MTU assumed: 0 "));
	assert_non_null(strstr(buf, "for this path: 0\n"));
	netplan_render(&cfg, "snr0", 9000, buf, sizeof(buf));
	assert_non_null(strstr(buf, "for this path: 8936\n"));
	assert_null(strstr(buf, "WARNING"));
}

/* A short buffer gives whole lines, terminated, and the true length. */
static void test_small_buffer(void **state)
{
	char small[100];
	size_t n;

	(void)state;
	load(spoke_a);
	n = netplan_render(&cfg, "snr0", 1500, small, sizeof(small));
	assert_int_equal(n, strlen(small));
	assert_true(n < sizeof(small));
	assert_string_equal(small, "# subnetra network plan for interface 'snr0'\n");
	assert_int_equal(netplan_render(&cfg, "snr0", 1500, small, 0), 0);
	assert_int_equal(netplan_render(&cfg, "snr0", 1500, small, 1), 0);
	assert_string_equal(small, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spoke_1500),
		cmocka_unit_test(test_spoke_1420_warns),
		cmocka_unit_test(test_hub_placeholder),
		cmocka_unit_test(test_hub_with_address),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_slash0_peer),
		cmocka_unit_test(test_no_routes),
		cmocka_unit_test(test_mtu_edges),
		cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests_name("netplan", tests, NULL, NULL);
}
