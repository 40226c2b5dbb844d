/*
 * rtnl.c: every request byte for byte, IPv4 and mesh mode's IPv6 address
 * and route (the kernel's layout, written out field by field here, in host order where the kernel takes host order and
 * network order for addresses), acknowledgements with and without the
 * kernel's text, and the dump parsers on hand-built kernel messages,
 * malformed ones included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "core/rtnl.h"

/* A message written out by hand, little by little. */
struct bytes {
	alignas(4) uint8_t b[512];
	size_t n;
};

static void u8(struct bytes *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void u16(struct bytes *m, unsigned v)
{
	uint16_t x = (uint16_t)v;

	memcpy(m->b + m->n, &x, 2);
	m->n += 2;
}

static void u32(struct bytes *m, uint32_t v)
{
	memcpy(m->b + m->n, &v, 4);
	m->n += 4;
}

static void ip4(struct bytes *m, unsigned a, unsigned b, unsigned c, unsigned d)
{
	u8(m, a);
	u8(m, b);
	u8(m, c);
	u8(m, d);
}

static void hdr(struct bytes *m, uint32_t len, unsigned type, unsigned flags, uint32_t seq)
{
	m->n = 0;
	u32(m, len);
	u16(m, type);
	u16(m, flags);
	u32(m, seq);
	u32(m, 0); /* port id: the kernel's */
}

static void attr_hdr(struct bytes *m, unsigned len, unsigned type)
{
	u16(m, len);
	u16(m, type);
}

static void expect_bytes(const uint8_t *got, size_t got_len, const struct bytes *want)
{
	assert_int_equal(got_len, want->n);
	assert_memory_equal(got, want->b, want->n);
}

static void test_link_set(void **state)
{
	uint8_t buf[RTNL_REQ_MAX];
	struct bytes w;
	size_t n;

	(void)state;
	n = rtnl_link_set(buf, sizeof(buf), 7, 42, 1436);
	hdr(&w, 40, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 7);
	u8(&w, AF_UNSPEC);
	u8(&w, 0);
	u16(&w, 0);       /* ifi_type */
	u32(&w, 42);      /* ifi_index */
	u32(&w, IFF_UP);  /* ifi_flags */
	u32(&w, IFF_UP);  /* ifi_change: only UP is touched */
	attr_hdr(&w, 8, IFLA_MTU);
	u32(&w, 1436);
	expect_bytes(buf, n, &w);
}

static void test_addr_replace(void **state)
{
	const struct cidr a = { 0x0a000002, 24 }; /* 10.0.0.2/24 */
	uint8_t buf[RTNL_REQ_MAX];
	struct bytes w;
	size_t n;

	(void)state;
	n = rtnl_addr_replace(buf, sizeof(buf), 9, 5, &a);
	hdr(&w, 40, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, 9);
	u8(&w, AF_INET);
	u8(&w, 24);
	u8(&w, 0);                  /* ifa_flags */
	u8(&w, RT_SCOPE_UNIVERSE);
	u32(&w, 5);
	attr_hdr(&w, 8, IFA_LOCAL);
	ip4(&w, 10, 0, 0, 2);
	attr_hdr(&w, 8, IFA_ADDRESS);
	ip4(&w, 10, 0, 0, 2);
	expect_bytes(buf, n, &w);
}

static void test_route_replace(void **state)
{
	const struct cidr dst = { 0xc0a80300, 24 }; /* 192.168.3.0/24 */
	uint8_t buf[RTNL_REQ_MAX];
	struct bytes w;
	size_t n;

	(void)state;
	n = rtnl_route_replace(buf, sizeof(buf), 11, 5, &dst);
	hdr(&w, 44, RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, 11);
	u8(&w, AF_INET);
	u8(&w, 24);           /* dst_len */
	u8(&w, 0);            /* src_len */
	u8(&w, 0);            /* tos */
	u8(&w, RT_TABLE_MAIN);
	u8(&w, RTPROT_BOOT);  /* as ip(8) */
	u8(&w, RT_SCOPE_LINK);
	u8(&w, RTN_UNICAST);
	u32(&w, 0);           /* rtm_flags */
	attr_hdr(&w, 8, RTA_DST);
	ip4(&w, 192, 168, 3, 0);
	attr_hdr(&w, 8, RTA_OIF);
	u32(&w, 5);
	expect_bytes(buf, n, &w);
}

static const uint8_t FC94_ADDR[16] = { 0xfc, 0x94, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc,
				       0xde, 0xf0, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03 };
static const uint8_t FC94_NET[16] = { 0xfc, 0x94 };

static void bytes16(struct bytes *m, const uint8_t a[16])
{
	for (int i = 0; i < 16; i++)
		u8(m, a[i]);
}

static void test_addr6_replace(void **state)
{
	uint8_t buf[RTNL_REQ_MAX];
	struct bytes w;
	size_t n;

	(void)state;
	n = rtnl_addr6_replace(buf, sizeof(buf), 12, 6, FC94_ADDR, 16);
	hdr(&w, 52, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, 12);
	u8(&w, AF_INET6);
	u8(&w, 16);
	u8(&w, IFA_F_NODAD);        /* ifa_flags: the 8 bits it holds */
	u8(&w, RT_SCOPE_UNIVERSE);
	u32(&w, 6);
	attr_hdr(&w, 20, IFA_LOCAL);
	bytes16(&w, FC94_ADDR);     /* network order, as given */
	attr_hdr(&w, 8, IFA_FLAGS);
	u32(&w, IFA_F_NODAD | IFA_F_NOPREFIXROUTE);
	expect_bytes(buf, n, &w);
	assert_int_equal(rtnl_addr6_replace(buf, 51, 12, 6, FC94_ADDR, 16), 0);
}

static void test_route6_replace(void **state)
{
	uint8_t buf[RTNL_REQ_MAX];
	struct bytes w;
	size_t n;

	(void)state;
	n = rtnl_route6_replace(buf, sizeof(buf), 13, 6, FC94_NET, 16);
	hdr(&w, 56, RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, 13);
	u8(&w, AF_INET6);
	u8(&w, 16);           /* dst_len */
	u8(&w, 0);            /* src_len */
	u8(&w, 0);            /* tos */
	u8(&w, RT_TABLE_MAIN);
	u8(&w, RTPROT_BOOT);
	u8(&w, RT_SCOPE_UNIVERSE);
	u8(&w, RTN_UNICAST);
	u32(&w, 0);           /* rtm_flags */
	attr_hdr(&w, 20, RTA_DST);
	bytes16(&w, FC94_NET);
	attr_hdr(&w, 8, RTA_OIF);
	u32(&w, 6);
	expect_bytes(buf, n, &w);
	assert_int_equal(rtnl_route6_replace(buf, 55, 13, 6, FC94_NET, 16), 0);
}

static void test_dump_requests(void **state)
{
	uint8_t buf[RTNL_REQ_MAX];
	struct bytes w;
	size_t n;

	(void)state;
	n = rtnl_dump(buf, sizeof(buf), 3, RTM_GETADDR);
	hdr(&w, 24, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 3);
	u8(&w, AF_INET);
	u8(&w, 0);
	u8(&w, 0);
	u8(&w, 0);
	u32(&w, 0);
	expect_bytes(buf, n, &w);

	n = rtnl_dump(buf, sizeof(buf), 4, RTM_GETROUTE);
	hdr(&w, 28, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, 4);
	u8(&w, AF_INET);
	for (int i = 0; i < 7; i++)
		u8(&w, 0);
	u32(&w, 0);
	expect_bytes(buf, n, &w);
}

/* Mesh mode's dumps: every link, every address, of any family. */
static void test_dump_any(void **state)
{
	uint8_t buf[RTNL_REQ_MAX];
	struct bytes w;
	size_t n;

	(void)state;
	n = rtnl_dump_any(buf, sizeof(buf), 5, RTM_GETLINK);
	hdr(&w, 32, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 5);
	for (int i = 0; i < 16; i++)
		u8(&w, 0); /* ifinfomsg, AF_UNSPEC */
	expect_bytes(buf, n, &w);
	n = rtnl_dump_any(buf, sizeof(buf), 6, RTM_GETADDR);
	hdr(&w, 24, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 6);
	u32(&w, 0); /* ifaddrmsg, AF_UNSPEC */
	u32(&w, 0);
	expect_bytes(buf, n, &w);
}

/* A buffer one byte short gives 0, never a truncated request. */
static void test_too_small(void **state)
{
	const struct cidr a = { 0x0a000002, 24 };
	uint8_t buf[RTNL_REQ_MAX];

	(void)state;
	assert_int_equal(rtnl_link_set(buf, 39, 1, 1, 1400), 0);
	assert_int_equal(rtnl_link_set(buf, 40, 1, 1, 1400), 40);
	assert_int_equal(rtnl_addr_replace(buf, 39, 1, 1, &a), 0);
	assert_int_equal(rtnl_route_replace(buf, 43, 1, 1, &a), 0);
	assert_int_equal(rtnl_dump(buf, 10, 1, RTM_GETADDR), 0);
	assert_int_equal(rtnl_link_set(buf, 0, 1, 1, 1400), 0);
}

/* An NLMSG_ERROR: error, then (capped) the request's header, then TLVs. */
static void error_msg(struct bytes *m, int err, unsigned flags, const char *text,
		      bool with_payload)
{
	size_t start, len_at = 0;
	uint32_t len;

	hdr(m, 0, NLMSG_ERROR, flags, 5);
	u32(m, (uint32_t)err);
	/* the request's header (RTM_NEWADDR, 40 bytes long) */
	u32(m, 40);
	u16(m, RTM_NEWADDR);
	u16(m, NLM_F_REQUEST | NLM_F_ACK);
	u32(m, 5);
	u32(m, 1234);
	if (with_payload)
		for (int i = 0; i < 24; i++)
			u8(m, 0xee);
	if (text != NULL) {
		start = m->n;
		len_at = m->n;
		attr_hdr(m, 0, 1 /* NLMSGERR_ATTR_MSG */);
		memcpy(m->b + m->n, text, strlen(text) + 1);
		m->n += strlen(text) + 1;
		len = (uint32_t)(m->n - start);
		m->b[len_at] = (uint8_t)len;
		while (m->n % 4)
			u8(m, 0);
	}
	len = (uint32_t)m->n;
	memcpy(m->b, &len, 4);
}

static void test_error(void **state)
{
	const struct nlmsghdr *h;
	struct rtnl_walk wk;
	struct bytes m;
	char why[64];

	(void)state;
	/* an acknowledgement */
	error_msg(&m, 0, NLM_F_CAPPED, NULL, false);
	rtnl_walk_init(&wk, m.b, m.n);
	assert_int_equal(rtnl_next(&wk, &h), 1);
	assert_int_equal(rtnl_error(h, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(rtnl_next(&wk, &h), 0);

	/* refused, with the kernel's text (capped ack) */
	error_msg(&m, -EEXIST, NLM_F_CAPPED | NLM_F_ACK_TLVS, "Nexthop device is not up", false);
	h = (const struct nlmsghdr *)(const void *)m.b;
	assert_int_equal(rtnl_error(h, why, sizeof(why)), -EEXIST);
	assert_string_equal(why, "Nexthop device is not up");
	/* uncapped: the request's payload comes before the text */
	error_msg(&m, -EPERM, NLM_F_ACK_TLVS, "no", true);
	assert_int_equal(rtnl_error(h, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "no");
	/* the text is cut to the buffer, terminated */
	error_msg(&m, -EPERM, NLM_F_CAPPED | NLM_F_ACK_TLVS, "Nexthop device is not up", false);
	assert_int_equal(rtnl_error(h, why, 8), -EPERM);
	assert_string_equal(why, "Nexthop");
	/* too short to be one; or not one */
	m.b[0] = 20;
	assert_int_equal(rtnl_error(h, why, sizeof(why)), -EBADMSG);
	hdr(&m, 16, NLMSG_DONE, 0, 1);
	assert_int_equal(rtnl_error(h, why, sizeof(why)), -EBADMSG);
}

static void test_walk(void **state)
{
	const struct nlmsghdr *h;
	struct rtnl_walk wk;
	struct bytes m;
	uint8_t two[64];

	(void)state;
	hdr(&m, 20, NLMSG_DONE, NLM_F_MULTI, 8);
	u32(&m, 0);
	memcpy(two, m.b, 20);
	memcpy(two + 20, m.b, 20);
	rtnl_walk_init(&wk, two, 40);
	assert_int_equal(rtnl_next(&wk, &h), 1);
	assert_int_equal(h->nlmsg_type, NLMSG_DONE);
	assert_int_equal(rtnl_next(&wk, &h), 1);
	assert_int_equal(rtnl_next(&wk, &h), 0);
	/* a length beyond the datagram, or below a header */
	rtnl_walk_init(&wk, two, 30);
	assert_int_equal(rtnl_next(&wk, &h), 1);
	assert_int_equal(rtnl_next(&wk, &h), -EBADMSG);
	two[0] = 8;
	rtnl_walk_init(&wk, two, 40);
	assert_int_equal(rtnl_next(&wk, &h), -EBADMSG);
	rtnl_walk_init(&wk, two, 10);
	assert_int_equal(rtnl_next(&wk, &h), -EBADMSG);
}

static void newaddr(struct bytes *m, unsigned family, unsigned prefix, const char *label)
{
	uint32_t len;

	hdr(m, 0, RTM_NEWADDR, NLM_F_MULTI, 2);
	u8(m, family);
	u8(m, prefix);
	u8(m, 0);
	u8(m, RT_SCOPE_UNIVERSE);
	u32(m, 3);
	attr_hdr(m, 8, IFA_ADDRESS);
	ip4(m, 192, 0, 2, 99); /* a peer address: IFA_LOCAL wins */
	attr_hdr(m, 8, IFA_LOCAL);
	ip4(m, 192, 0, 2, 7);
	if (label != NULL) {
		attr_hdr(m, (unsigned)(4 + strlen(label) + 1), IFA_LABEL);
		memcpy(m->b + m->n, label, strlen(label) + 1);
		m->n += strlen(label) + 1;
		while (m->n % 4)
			u8(m, 0);
	}
	len = (uint32_t)m->n;
	memcpy(m->b, &len, 4);
}

static void test_parse_addr(void **state)
{
	const struct nlmsghdr *h;
	struct rtnl_addr a;
	struct bytes m;

	(void)state;
	newaddr(&m, AF_INET, 24, "eth0");
	h = (const struct nlmsghdr *)(const void *)m.b;
	assert_true(rtnl_parse_addr(h, &a));
	assert_int_equal(a.ifindex, 3);
	assert_int_equal(a.addr.addr, 0xc0000207);
	assert_int_equal(a.addr.prefix, 24);
	assert_string_equal(a.label, "eth0");
	/* a label longer than an interface name is cut, terminated */
	newaddr(&m, AF_INET, 24, "a-label-far-too-long");
	assert_true(rtnl_parse_addr(h, &a));
	assert_string_equal(a.label, "a-label-far-too");
	newaddr(&m, AF_INET6, 64, NULL);
	assert_false(rtnl_parse_addr(h, &a));
	newaddr(&m, AF_INET, 33, NULL);
	assert_false(rtnl_parse_addr(h, &a));
	/* an attribute longer than the message */
	newaddr(&m, AF_INET, 24, NULL);
	m.b[24] = 200;
	assert_false(rtnl_parse_addr(h, &a));
	/* an address of the wrong size */
	newaddr(&m, AF_INET, 24, NULL);
	m.b[24] = 7;
	assert_false(rtnl_parse_addr(h, &a));
	/* not an address message */
	hdr(&m, 16, RTM_NEWROUTE, 0, 1);
	assert_false(rtnl_parse_addr(h, &a));
}

static void newlink(struct bytes *m, unsigned type, int ifindex, unsigned flags,
		    const char *name)
{
	uint32_t len;

	hdr(m, 0, type, 0, 0);
	u8(m, AF_UNSPEC);
	u8(m, 0);
	u16(m, 1); /* ARPHRD_ETHER */
	u32(m, (uint32_t)ifindex);
	u32(m, flags);
	u32(m, 0);
	if (name != NULL) {
		attr_hdr(m, (unsigned)(4 + strlen(name) + 1), IFLA_IFNAME);
		memcpy(m->b + m->n, name, strlen(name) + 1);
		m->n += strlen(name) + 1;
		while (m->n % 4)
			u8(m, 0);
	}
	len = (uint32_t)m->n;
	memcpy(m->b, &len, 4);
}

static void test_parse_link(void **state)
{
	const struct nlmsghdr *h;
	struct rtnl_link l;
	struct bytes m;

	(void)state;
	h = (const struct nlmsghdr *)(const void *)m.b;
	newlink(&m, RTM_NEWLINK, 4, IFF_UP | IFF_MULTICAST, "eth1");
	assert_true(rtnl_parse_link(h, &l));
	assert_int_equal(l.ifindex, 4);
	assert_int_equal(l.flags, IFF_UP | IFF_MULTICAST);
	assert_string_equal(l.name, "eth1");
	newlink(&m, RTM_NEWLINK, 4, 0, "a-name-far-too-long");
	assert_true(rtnl_parse_link(h, &l));
	assert_string_equal(l.name, "a-name-far-too-");
	newlink(&m, RTM_NEWLINK, 0, 0, "x"); /* no interface */
	assert_false(rtnl_parse_link(h, &l));
	newlink(&m, RTM_DELLINK, 4, 0, "eth1");
	assert_false(rtnl_parse_link(h, &l));
	newlink(&m, RTM_NEWLINK, 4, 0, "eth1");
	m.b[32] = 200; /* an attribute longer than the message */
	assert_false(rtnl_parse_link(h, &l));
	hdr(&m, 20, RTM_NEWLINK, 0, 0); /* shorter than ifinfomsg */
	assert_false(rtnl_parse_link(h, &l));
}

static void newaddr6(struct bytes *m, bool with_local)
{
	uint32_t len;

	hdr(m, 0, RTM_NEWADDR, 0, 0);
	u8(m, AF_INET6);
	u8(m, 64);
	u8(m, 0);
	u8(m, RT_SCOPE_UNIVERSE);
	u32(m, 7);
	attr_hdr(m, 20, IFA_ADDRESS);
	for (int i = 0; i < 16; i++)
		u8(m, i == 0 ? 0x20 : i == 1 ? 0x01 : (unsigned)i);
	if (with_local) {
		attr_hdr(m, 20, IFA_LOCAL);
		for (int i = 0; i < 16; i++)
			u8(m, 0xee);
	}
	len = (uint32_t)m->n;
	memcpy(m->b, &len, 4);
}

static void test_parse_ifaddr(void **state)
{
	const struct nlmsghdr *h;
	struct rtnl_ifaddr a;
	struct bytes m;
	static const uint8_t v4[4] = {192, 0, 2, 7};

	(void)state;
	h = (const struct nlmsghdr *)(const void *)m.b;
	newaddr(&m, AF_INET, 24, "eth0"); /* IFA_LOCAL wins over the peer */
	assert_true(rtnl_parse_ifaddr(h, &a));
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.ifindex, 3);
	assert_memory_equal(a.addr, v4, 4);
	newaddr6(&m, true); /* IPv6: IFA_ADDRESS is ours */
	assert_true(rtnl_parse_ifaddr(h, &a));
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.ifindex, 7);
	assert_int_equal(a.addr[0], 0x20);
	assert_int_equal(a.addr[15], 15);
	newaddr6(&m, false);
	assert_true(rtnl_parse_ifaddr(h, &a));
	assert_int_equal(a.addr[1], 0x01);
	newaddr6(&m, false);
	m.b[24] = 8; /* a 4-byte address in an IPv6 message */
	assert_false(rtnl_parse_ifaddr(h, &a));
	newaddr(&m, AF_PACKET, 0, NULL);
	assert_false(rtnl_parse_ifaddr(h, &a));
	hdr(&m, 16, RTM_NEWADDR, 0, 0);
	assert_false(rtnl_parse_ifaddr(h, &a));
}

static void newroute(struct bytes *m, unsigned dst_len, bool dst, bool table_attr,
		     bool multipath);

/* Which events are changes: every link, address or route, but the TUN's. */
static void test_is_change(void **state)
{
	const struct nlmsghdr *h;
	struct bytes m;

	(void)state;
	h = (const struct nlmsghdr *)(const void *)m.b;
	newlink(&m, RTM_NEWLINK, 4, IFF_UP, "eth1");
	assert_true(rtnl_is_change(h, 0));
	assert_true(rtnl_is_change(h, 9));
	assert_false(rtnl_is_change(h, 4));
	newlink(&m, RTM_DELLINK, 4, 0, NULL);
	assert_true(rtnl_is_change(h, 9));
	newaddr(&m, AF_INET, 24, NULL); /* ifindex 3 */
	assert_true(rtnl_is_change(h, 9));
	assert_false(rtnl_is_change(h, 3));
	m.b[4] = RTM_DELADDR;
	assert_true(rtnl_is_change(h, 9));
	newroute(&m, 8, true, false, false); /* RTA_OIF 4 */
	assert_true(rtnl_is_change(h, 9));
	assert_false(rtnl_is_change(h, 4));
	m.b[4] = RTM_DELROUTE;
	assert_true(rtnl_is_change(h, 9));
	newroute(&m, 8, true, false, true); /* multipath: no RTA_OIF */
	assert_true(rtnl_is_change(h, 4));
	hdr(&m, 16, RTM_NEWNEIGH, 0, 0);
	assert_false(rtnl_is_change(h, 0));
	hdr(&m, 16, RTM_NEWADDR, 0, 0); /* truncated */
	assert_false(rtnl_is_change(h, 0));
}

static void newroute(struct bytes *m, unsigned dst_len, bool dst, bool table_attr,
		     bool multipath)
{
	uint32_t len;

	hdr(m, 0, RTM_NEWROUTE, NLM_F_MULTI, 2);
	u8(m, AF_INET);
	u8(m, dst_len);
	u8(m, 0);
	u8(m, 0);
	u8(m, table_attr ? RT_TABLE_COMPAT : RT_TABLE_MAIN);
	u8(m, RTPROT_STATIC);
	u8(m, RT_SCOPE_UNIVERSE);
	u8(m, RTN_UNICAST);
	u32(m, 0);
	if (table_attr) {
		attr_hdr(m, 8, RTA_TABLE);
		u32(m, 1000);
	}
	if (dst) {
		attr_hdr(m, 8, RTA_DST);
		ip4(m, 10, 0, 0, 0);
	}
	attr_hdr(m, 8, RTA_GATEWAY);
	ip4(m, 192, 168, 1, 1);
	if (multipath) {
		attr_hdr(m, 4 + 8, RTA_MULTIPATH);
		u32(m, 0);
		u32(m, 0);
	} else {
		attr_hdr(m, 8, RTA_OIF);
		u32(m, 4);
	}
	len = (uint32_t)m->n;
	memcpy(m->b, &len, 4);
}

static void test_parse_route(void **state)
{
	const struct nlmsghdr *h;
	struct rtnl_route r;
	struct bytes m;

	(void)state;
	newroute(&m, 16, true, false, false);
	h = (const struct nlmsghdr *)(const void *)m.b;
	assert_true(rtnl_parse_route(h, &r));
	assert_int_equal(r.dst.addr, 0x0a000000);
	assert_int_equal(r.dst.prefix, 16);
	assert_int_equal(r.table, RT_TABLE_MAIN);
	assert_int_equal(r.type, RTN_UNICAST);
	assert_int_equal(r.ifindex, 4);
	assert_true(r.has_gateway);
	assert_int_equal(r.gateway, 0xc0a80101);
	assert_false(r.multipath);
	/* the default route has no RTA_DST; a table above 255 comes as RTA_TABLE */
	newroute(&m, 0, false, true, true);
	assert_true(rtnl_parse_route(h, &r));
	assert_int_equal(r.dst.addr, 0);
	assert_int_equal(r.dst.prefix, 0);
	assert_int_equal(r.table, 1000);
	assert_int_equal(r.ifindex, 0);
	assert_true(r.multipath);
	newroute(&m, 33, true, false, false);
	assert_false(rtnl_parse_route(h, &r));
	hdr(&m, 20, RTM_NEWROUTE, 0, 1);
	assert_false(rtnl_parse_route(h, &r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_set),
		cmocka_unit_test(test_addr_replace),
		cmocka_unit_test(test_route_replace),
		cmocka_unit_test(test_addr6_replace),
		cmocka_unit_test(test_route6_replace),
		cmocka_unit_test(test_dump_requests),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_parse_route),
		cmocka_unit_test(test_dump_any),
		cmocka_unit_test(test_parse_link),
		cmocka_unit_test(test_parse_ifaddr),
		cmocka_unit_test(test_is_change),
	};

	return cmocka_run_group_tests_name("rtnl", tests, NULL, NULL);
}
