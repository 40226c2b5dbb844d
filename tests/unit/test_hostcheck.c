/*
 * hostcheck.c: a config against hand-built hosts.  Which host entries
 * matter, which findings refuse start-up and which only warn, that one
 * cause gives one finding, the messages (field, name, the host's interface
 * and address or route, what to do), the cap on findings, and the user
 * lookup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/hostcheck.h"
#include "os/linux/privs.h"
#include "core/netplan.h"

#define KEY_A "4478406b1ab6c49a71868963cb76f6c2f1c4d4541538cac8a8c28cfc23fb49a4"
#define KEY_B "d10bae5df4e65c268961c9e6cd812aa0ac0bbca644452ea50fc2dbcb78805927"

/* A spoke 10.0.0.2/24 whose hub also routes 192.168.3.0/24 to it. */
#define SPOKE(extra)                                                                        \
	"{\"role\":\"spoke\",\"virtual_subnet\":\"10.0.0.0/24\",\"local_id\":2,"          \
	"\"local_tun_ip\":\"10.0.0.2/24\"" extra ",\"peers\":["                            \
	"{\"id\":1,\"endpoint\":\"203.0.113.1:18020\",\"allowed_src\":\"10.0.0.0/24\","   \
	"\"psk\":\"" KEY_A "\"}]}"
#define MANUAL                                                                              \
	"{\"local_id\":1,\"local_tun_ip\":\"10.0.0.1/24\",\"peers\":["                     \
	"{\"id\":2,\"endpoint\":\"203.0.113.2:18020\",\"allowed_src\":\"10.0.0.0/24\","   \
	"\"psk\":\"" KEY_A "\"},"                                                          \
	"{\"id\":3,\"endpoint\":\"203.0.113.3:18020\",\"allowed_src\":\"192.168.3.9/24\","\
	"\"psk\":\"" KEY_B "\"}]}"

static struct config cfg;
static struct netplan plan;
static struct host_net host;
static struct hostcheck_report rep;

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d;
}

static void load(const char *json)
{
	struct config_error e;

	if (config_parse(&cfg, "c.json", json, strlen(json), &e) != 0 ||
	    config_validate(&cfg, "c.json", &e) != 0)
		fail_msg("%s: %s: %s", e.path, e.name, e.detail);
	netplan_build(&cfg, &plan);
	memset(&host, 0, sizeof(host));
}

static void host_addr(uint32_t a, unsigned prefix, const char *ifname)
{
	struct host_addr *h = &host.addrs[host.n_addrs++];

	h->addr = (struct cidr){ a, (uint8_t)prefix };
	snprintf(h->ifname, sizeof(h->ifname), "%s", ifname);
}

static void host_route(uint32_t dst, unsigned prefix, uint32_t gw, const char *ifname)
{
	struct host_route *r = &host.routes[host.n_routes++];

	r->dst = (struct cidr){ dst, (uint8_t)prefix };
	r->has_gateway = gw != 0;
	r->gateway = gw;
	snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
}

static void run(void)
{
	hostcheck_net(&cfg, &plan, "c.json", &host, &rep);
}

/* Finding i: refuses or not, field, name, and text in the detail. */
static void expect(size_t i, bool refuses, const char *path, const char *name,
		   const char *text)
{
	assert_true(i < rep.n);
	assert_int_equal(rep.f[i].refuses_start, refuses);
	assert_string_equal(rep.f[i].err.file, "c.json");
	assert_string_equal(rep.f[i].err.path, path);
	assert_string_equal(rep.f[i].err.name, name);
	if (strstr(rep.f[i].err.detail, text) == NULL)
		fail_msg("finding %zu: \"%s\" not in: %s", i, text, rep.f[i].err.detail);
}

static void test_wanted(void **state)
{
	const struct cidr lan = { ip(192, 168, 1, 5), 24 };
	const struct cidr wide = { ip(10, 0, 0, 0), 8 };
	const struct cidr self = { ip(10, 0, 0, 2), 32 };
	const struct cidr dflt = { 0, 0 };
	const struct cidr planned = { ip(192, 168, 3, 0), 24 };
	const struct cidr planned_wider = { ip(192, 168, 0, 0), 16 };

	(void)state;
	load(MANUAL);
	assert_false(hostcheck_wanted(&cfg, &plan, &lan, false));
	assert_false(hostcheck_wanted(&cfg, &plan, &lan, true));
	assert_true(hostcheck_wanted(&cfg, &plan, &wide, false));
	assert_true(hostcheck_wanted(&cfg, &plan, &wide, true));
	assert_true(hostcheck_wanted(&cfg, &plan, &self, false));
	/* the default route overlaps everything, and never matters */
	assert_false(hostcheck_wanted(&cfg, &plan, &dflt, true));
	/* a route of the plan: only the same destination */
	assert_true(hostcheck_wanted(&cfg, &plan, &planned, true));
	assert_false(hostcheck_wanted(&cfg, &plan, &planned_wider, true));
}

/* Nothing of the host in the way: no finding. */
static void test_clean_host(void **state)
{
	(void)state;
	load(MANUAL);
	host_addr(ip(192, 168, 1, 5), 24, "eth0");
	host_route(ip(192, 168, 1, 0), 24, 0, "eth0");
	host_route(0, 0, ip(192, 168, 1, 1), "eth0");
	host_route(ip(192, 168, 0, 0), 16, ip(192, 168, 1, 1), "eth0");
	run();
	assert_int_equal(rep.n, 0);
	assert_int_equal(rep.more, 0);
}

/* local_tun_ip's address on another interface: refused, one line for it and its route. */
static void test_address_in_use(void **state)
{
	(void)state;
	load(SPOKE(""));
	host_addr(ip(10, 0, 0, 2), 24, "eth1");
	host_route(ip(10, 0, 0, 0), 24, 0, "eth1");
	run();
	assert_int_equal(rep.n, 1);
	expect(0, true, "local_tun_ip", "AddressInUse",
	       "\"10.0.0.2/24\": 10.0.0.2 is already an address of eth1 (10.0.0.2/24); pick "
	       "another local_tun_ip or remove it from eth1");

	/* opting out of the set-up leaves only the overlap, as a warning */
	load(SPOKE(",\"configure_interface\":false"));
	host_addr(ip(10, 0, 0, 2), 24, "eth1");
	host_route(ip(10, 0, 0, 0), 24, 0, "eth1");
	run();
	assert_int_equal(rep.n, 1);
	expect(0, false, "virtual_subnet", "SubnetOverlap",
	       "\"10.0.0.0/24\" overlaps 10.0.0.2/24, an address of eth1 on this host");
}

/* The network local_tun_ip puts on-link is routed elsewhere: refused. */
static void test_onlink_route_in_use(void **state)
{
	(void)state;
	load(SPOKE(""));
	host_route(ip(10, 0, 0, 0), 24, ip(192, 168, 1, 1), "eth0");
	run();
	assert_int_equal(rep.n, 1);
	expect(0, true, "local_tun_ip", "RouteInUse",
	       "already routes its network: 10.0.0.0/24 via 192.168.1.1 dev eth0");
	/* a /32 address puts nothing on-link: only the overlap */
	load("{\"local_id\":1,\"local_tun_ip\":\"10.0.0.1/32\",\"peers\":[{\"id\":2,"
	     "\"endpoint\":\"203.0.113.2:1\",\"allowed_src\":\"10.0.0.0/24\",\"psk\":\"" KEY_A "\"}]}");
	host_route(ip(10, 0, 0, 0), 24, ip(192, 168, 1, 1), "eth0");
	run();
	/* the plan routes 10.0.0.0/24 into the tunnel itself here; one line */
	assert_int_equal(rep.n, 1);
	expect(0, true, "peers[0].allowed_src", "RouteInUse",
	       "\"10.0.0.0/24\": this host already routes it: 10.0.0.0/24 via 192.168.1.1 dev eth0");
}

/* A route of the plan already exists through another interface: refused. */
static void test_route_in_use(void **state)
{
	(void)state;
	load(MANUAL);
	host_route(ip(192, 168, 3, 0), 24, 0, "eth2");
	host_route(ip(192, 168, 3, 0), 25, 0, "eth2"); /* not the same: fine */
	run();
	assert_int_equal(rep.n, 1);
	expect(0, true, "peers[1].allowed_src", "RouteInUse",
	       "\"192.168.3.0/24\": this host already routes it: 192.168.3.0/24 dev eth2, and "
	       "the plan's route would replace it; narrow allowed_src or set "
	       "\"configure_interface\": false");
	/* a multipath route has no single interface */
	load(MANUAL);
	host_route(ip(192, 168, 3, 0), 24, 0, "");
	run();
	expect(0, true, "peers[1].allowed_src", "RouteInUse", "192.168.3.0/24 (multipath)");
}

/* virtual_subnet overlapping an address or a route: a warning (lint: an error). */
static void test_overlap(void **state)
{
	(void)state;
	load(SPOKE(""));
	host_addr(ip(10, 0, 7, 1), 16, "wlan0");
	host_route(ip(10, 0, 0, 0), 16, 0, "wlan0");             /* its on-link route */
	host_route(ip(10, 0, 0, 128), 25, ip(10, 0, 7, 254), "wlan0");
	host_route(ip(10, 0, 0, 0), 8, ip(10, 0, 7, 254), "wlan0");
	run();
	assert_int_equal(rep.n, 3);
	expect(0, false, "virtual_subnet", "SubnetOverlap",
	       "\"10.0.0.0/24\" overlaps 10.0.7.1/16, an address of wlan0 on this host; choose a "
	       "virtual_subnet this host does not use");
	expect(1, false, "virtual_subnet", "SubnetOverlap",
	       "overlaps the host route 10.0.0.128/25 via 10.0.7.254 dev wlan0");
	expect(2, false, "virtual_subnet", "SubnetOverlap",
	       "overlaps the host route 10.0.0.0/8 via 10.0.7.254 dev wlan0");
}

/* Reports stop at HOSTCHECK_MAX; the rest is counted. */
static void test_cap(void **state)
{
	(void)state;
	load(SPOKE(""));
	for (unsigned i = 0; i < 12; i++)
		host_route(ip(10, 0, 0, 16 * i), 28, 0, "eth0");
	run();
	assert_int_equal(rep.n, HOSTCHECK_MAX);
	assert_int_equal(rep.more, 12 - HOSTCHECK_MAX);
}

static void test_route_str(void **state)
{
	struct host_route r = { .dst = { ip(10, 1, 0, 0), 16 }, .ifname = "eth0" };
	char s[96];

	(void)state;
	hostcheck_route_str(&r, s, sizeof(s));
	assert_string_equal(s, "10.1.0.0/16 dev eth0");
	r.has_gateway = true;
	r.gateway = ip(192, 168, 1, 1);
	hostcheck_route_str(&r, s, sizeof(s));
	assert_string_equal(s, "10.1.0.0/16 via 192.168.1.1 dev eth0");
	r.ifname[0] = '\0';
	hostcheck_route_str(&r, s, sizeof(s));
	assert_string_equal(s, "10.1.0.0/16 via 192.168.1.1 (multipath)");
}

static void test_user(void **state)
{
	struct config_error e;

	(void)state;
	load(SPOKE(""));
	assert_int_equal(privs_check_user(&cfg, "c.json", &e), 0); /* no "user" */
	load(SPOKE(",\"user\":\"root\""));
	assert_int_equal(privs_check_user(&cfg, "c.json", &e), 0);
	load(SPOKE(",\"user\":\"no-such-subnetra-user\""));
	assert_int_equal(privs_check_user(&cfg, "c.json", &e), -1);
	assert_string_equal(e.file, "c.json");
	assert_string_equal(e.path, "user");
	assert_string_equal(e.name, "UnknownUser");
	assert_non_null(strstr(e.detail, "\"no-such-subnetra-user\" is not a user of this host, "
					 "so subnetrad would not start"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_clean_host),
		cmocka_unit_test(test_address_in_use),
		cmocka_unit_test(test_onlink_route_in_use),
		cmocka_unit_test(test_route_in_use),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_route_str),
		cmocka_unit_test(test_user),
	};

	return cmocka_run_group_tests_name("hostcheck", tests, NULL, NULL);
}
