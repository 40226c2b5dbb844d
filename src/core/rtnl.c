/*
 * rtnetlink requests and dump parsers (see rtnl.h).  Everything is copied
 * in and out with memcpy: callers' buffers need no particular alignment,
 * and a kernel message is never read past the length it declares.
 */
#include "core/rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLMSGERR_ATTR_MSG
#define NLMSGERR_ATTR_MSG 1
#endif

/* A request being built; once something did not fit, `full` stays set. */
struct req {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool full;
};

/* Appends n bytes (zero-padded to 4) and returns their offset. */
static size_t put(struct req *r, const void *data, size_t n)
{
	size_t off = r->len, padded = NLMSG_ALIGN(n);

	if (r->full || padded > r->cap - r->len) {
		r->full = true;
		return 0;
	}
	memset(r->buf + off, 0, padded);
	if (n > 0)
		memcpy(r->buf + off, data, n);
	r->len += padded;
	return off;
}

static void put_attr(struct req *r, uint16_t type, const void *data, size_t n)
{
	struct rtattr a = { .rta_len = (unsigned short)RTA_LENGTH(n), .rta_type = type };

	put(r, &a, sizeof(a));
	put(r, data, n);
}

static void put_attr_u32(struct req *r, uint16_t type, uint32_t v)
{
	put_attr(r, type, &v, sizeof(v));
}

static void put_attr_in4(struct req *r, uint16_t type, uint32_t host_order)
{
	uint32_t be = htonl(host_order);

	put_attr(r, type, &be, sizeof(be));
}

static void begin(struct req *r, void *buf, size_t cap, uint16_t type, uint16_t flags,
		  uint32_t seq)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = seq };

	*r = (struct req){ .buf = buf, .cap = cap };
	put(r, &h, sizeof(h));
}

/* Writes the final length into the header; 0 if anything did not fit. */
static size_t finish(struct req *r)
{
	uint32_t len = (uint32_t)r->len;

	if (r->full)
		return 0;
	memcpy(r->buf + offsetof(struct nlmsghdr, nlmsg_len), &len, sizeof(len));
	return r->len;
}

size_t rtnl_link_set(void *buf, size_t cap, uint32_t seq, int ifindex, unsigned mtu)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex,
				 .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	struct req r;

	begin(&r, buf, cap, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
	put(&r, &ifi, sizeof(ifi));
	put_attr_u32(&r, IFLA_MTU, mtu);
	return finish(&r);
}

size_t rtnl_addr_replace(void *buf, size_t cap, uint32_t seq, int ifindex,
			 const struct cidr *addr)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = addr->prefix,
				 .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (unsigned)ifindex };
	struct req r;

	begin(&r, buf, cap, RTM_NEWADDR,
	      NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq);
	put(&r, &ifa, sizeof(ifa));
	/* As ip(8) sends it for a point-to-multipoint address: both the same. */
	put_attr_in4(&r, IFA_LOCAL, addr->addr);
	put_attr_in4(&r, IFA_ADDRESS, addr->addr);
	return finish(&r);
}

/* A route replace of either family: dst is dst_len bytes in network order. */
static size_t route_replace(void *buf, size_t cap, uint32_t seq, int ifindex, uint8_t family,
			    uint8_t scope, const void *dst, size_t dst_len, uint8_t prefix)
{
	struct rtmsg rtm = { .rtm_family = family, .rtm_dst_len = prefix,
			     .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
			     .rtm_scope = scope, .rtm_type = RTN_UNICAST };
	struct req r;

	begin(&r, buf, cap, RTM_NEWROUTE,
	      NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq);
	put(&r, &rtm, sizeof(rtm));
	put_attr(&r, RTA_DST, dst, dst_len);
	put_attr_u32(&r, RTA_OIF, (uint32_t)ifindex);
	return finish(&r);
}

size_t rtnl_route_replace(void *buf, size_t cap, uint32_t seq, int ifindex,
			  const struct cidr *dst)
{
	uint32_t be = htonl(dst->addr);

	return route_replace(buf, cap, seq, ifindex, AF_INET, RT_SCOPE_LINK, &be, sizeof(be),
			     dst->prefix);
}

size_t rtnl_addr6_replace(void *buf, size_t cap, uint32_t seq, int ifindex,
			  const uint8_t addr[16], uint8_t prefix)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET6, .ifa_prefixlen = prefix,
				 .ifa_flags = IFA_F_NODAD,
				 .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (unsigned)ifindex };
	struct req r;

	begin(&r, buf, cap, RTM_NEWADDR,
	      NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq);
	put(&r, &ifa, sizeof(ifa));
	put_attr(&r, IFA_LOCAL, addr, 16);
	/* ifa_flags holds only 8 bits: NOPREFIXROUTE (0x200) needs IFA_FLAGS. */
	put_attr_u32(&r, IFA_FLAGS, IFA_F_NODAD | IFA_F_NOPREFIXROUTE);
	return finish(&r);
}

size_t rtnl_route6_replace(void *buf, size_t cap, uint32_t seq, int ifindex,
			   const uint8_t dst[16], uint8_t prefix)
{
	/* Scope universe: what the kernel records for any IPv6 route. */
	return route_replace(buf, cap, seq, ifindex, AF_INET6, RT_SCOPE_UNIVERSE, dst, 16, prefix);
}

/* A dump of type for family: the request's fixed struct is the type's. */
static size_t dump_request(void *buf, size_t cap, uint32_t seq, uint16_t type,
			   uint8_t family)
{
	struct req r;

	begin(&r, buf, cap, type, NLM_F_REQUEST | NLM_F_DUMP, seq);
	if (type == RTM_GETLINK) {
		struct ifinfomsg ifi = { .ifi_family = family };

		put(&r, &ifi, sizeof(ifi));
	} else if (type == RTM_GETADDR) {
		struct ifaddrmsg ifa = { .ifa_family = family };

		put(&r, &ifa, sizeof(ifa));
	} else {
		struct rtmsg rtm = { .rtm_family = family };

		put(&r, &rtm, sizeof(rtm));
	}
	return finish(&r);
}

size_t rtnl_dump(void *buf, size_t cap, uint32_t seq, uint16_t type)
{
	return dump_request(buf, cap, seq, type, AF_INET);
}

size_t rtnl_dump_any(void *buf, size_t cap, uint32_t seq, uint16_t type)
{
	return dump_request(buf, cap, seq, type, AF_UNSPEC);
}

/* ---- parsing ---- */

void rtnl_walk_init(struct rtnl_walk *w, const void *buf, size_t len)
{
	w->p = buf;
	w->left = len;
}

int rtnl_next(struct rtnl_walk *w, const struct nlmsghdr **msg)
{
	uint32_t len;

	if (w->left == 0)
		return 0;
	if (w->left < sizeof(struct nlmsghdr))
		return -EBADMSG;
	memcpy(&len, w->p + offsetof(struct nlmsghdr, nlmsg_len), sizeof(len));
	if (len < sizeof(struct nlmsghdr) || len > w->left)
		return -EBADMSG;
	/* The kernel's messages are 4-byte aligned in its (aligned) buffer. */
	*msg = (const struct nlmsghdr *)(const void *)w->p;
	len = NLMSG_ALIGN(len);
	if (len >= w->left) {
		w->left = 0;
	} else {
		w->p += len;
		w->left -= len;
	}
	return 1;
}

/*
 * Calls fn for each attribute in [p, p + n); stops at a malformed one.
 * Returns false if one was malformed.
 */
typedef void attr_fn(void *ctx, uint16_t type, const uint8_t *data, size_t len);

static bool each_attr(const uint8_t *p, size_t n, attr_fn *fn, void *ctx)
{
	while (n >= sizeof(struct rtattr)) {
		struct rtattr a;
		size_t step;

		memcpy(&a, p, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > n)
			return false;
		fn(ctx, a.rta_type, p + RTA_LENGTH(0), a.rta_len - RTA_LENGTH(0));
		step = RTA_ALIGN(a.rta_len);
		if (step >= n)
			return true;
		p += step;
		n -= step;
	}
	return true;
}

struct err_ctx {
	char *why;
	size_t cap;
};

static void err_attr(void *ctx, uint16_t type, const uint8_t *data, size_t len)
{
	struct err_ctx *e = ctx;
	size_t n = strnlen((const char *)data, len);

	if (type != NLMSGERR_ATTR_MSG || e->cap == 0)
		return;
	if (n >= e->cap)
		n = e->cap - 1;
	memcpy(e->why, data, n);
	e->why[n] = '\0';
}

int rtnl_error(const struct nlmsghdr *msg, char *why, size_t cap)
{
	const uint8_t *p = (const uint8_t *)msg;
	size_t len = msg->nlmsg_len, off = NLMSG_HDRLEN + sizeof(struct nlmsgerr);
	struct nlmsgerr e;
	struct err_ctx ctx = { why, cap };

	if (cap > 0)
		why[0] = '\0';
	if (msg->nlmsg_type != NLMSG_ERROR || len < off)
		return -EBADMSG;
	memcpy(&e, p + NLMSG_HDRLEN, sizeof(e));
	if (e.error > 0 || e.error < -4095)
		return -EBADMSG;
	if (msg->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* Without NLM_F_CAPPED the request's payload comes first. */
		if (!(msg->nlmsg_flags & NLM_F_CAPPED) && e.msg.nlmsg_len > NLMSG_HDRLEN)
			off += NLMSG_ALIGN(e.msg.nlmsg_len - NLMSG_HDRLEN);
		if (off < len)
			(void)each_attr(p + off, len - off, err_attr, &ctx);
	}
	return e.error;
}

static bool read_in4(const uint8_t *data, size_t len, uint32_t *out)
{
	uint32_t be;

	if (len != sizeof(be))
		return false;
	memcpy(&be, data, sizeof(be));
	*out = ntohl(be);
	return true;
}

static bool read_u32(const uint8_t *data, size_t len, uint32_t *out)
{
	if (len != sizeof(*out))
		return false;
	memcpy(out, data, sizeof(*out));
	return true;
}

struct addr_ctx {
	struct rtnl_addr *out;
	bool has_local, has_address, bad;
	uint32_t local, address;
};

static void addr_attr(void *ctx, uint16_t type, const uint8_t *data, size_t len)
{
	struct addr_ctx *c = ctx;
	size_t n;

	switch (type) {
	case IFA_LOCAL:
		c->has_local = read_in4(data, len, &c->local);
		c->bad |= !c->has_local;
		break;
	case IFA_ADDRESS:
		c->has_address = read_in4(data, len, &c->address);
		c->bad |= !c->has_address;
		break;
	case IFA_LABEL:
		n = strnlen((const char *)data, len);
		if (n >= sizeof(c->out->label))
			n = sizeof(c->out->label) - 1;
		memcpy(c->out->label, data, n);
		c->out->label[n] = '\0';
		break;
	default:
		break;
	}
}

bool rtnl_parse_addr(const struct nlmsghdr *msg, struct rtnl_addr *out)
{
	const uint8_t *p = (const uint8_t *)msg;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifaddrmsg));
	struct addr_ctx c = { .out = out };
	struct ifaddrmsg ifa;

	memset(out, 0, sizeof(*out));
	if (msg->nlmsg_type != RTM_NEWADDR || msg->nlmsg_len < off)
		return false;
	memcpy(&ifa, p + NLMSG_HDRLEN, sizeof(ifa));
	if (ifa.ifa_family != AF_INET || ifa.ifa_prefixlen > 32)
		return false;
	if (!each_attr(p + off, msg->nlmsg_len - off, addr_attr, &c) || c.bad)
		return false;
	/* IFA_LOCAL is the address; IFA_ADDRESS is the peer on point-to-point links. */
	if (!c.has_local && !c.has_address)
		return false;
	out->ifindex = (int)ifa.ifa_index;
	out->addr = (struct cidr){ .addr = c.has_local ? c.local : c.address,
				   .prefix = ifa.ifa_prefixlen };
	return true;
}

struct route_ctx {
	struct rtnl_route *out;
	bool bad;
};

static void route_attr(void *ctx, uint16_t type, const uint8_t *data, size_t len)
{
	struct route_ctx *c = ctx;
	uint32_t v = 0;

	switch (type) {
	case RTA_DST:
		c->bad |= !read_in4(data, len, &c->out->dst.addr);
		break;
	case RTA_TABLE:
		c->bad |= !read_u32(data, len, &c->out->table);
		break;
	case RTA_OIF:
		c->bad |= !read_u32(data, len, &v);
		c->out->ifindex = (int)v;
		break;
	case RTA_GATEWAY:
		c->out->has_gateway = read_in4(data, len, &c->out->gateway);
		c->bad |= !c->out->has_gateway;
		break;
	case RTA_MULTIPATH:
		c->out->multipath = true;
		break;
	default:
		break;
	}
}

/* rtnl_parse_addr's steps for a route: another header, other attributes. */
bool rtnl_parse_route(const struct nlmsghdr *msg, struct rtnl_route *out)
{
	const uint8_t *p = (const uint8_t *)msg;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct rtmsg));
	struct route_ctx c = { .out = out };
	struct rtmsg rtm;

	memset(out, 0, sizeof(*out));
	if (msg->nlmsg_type != RTM_NEWROUTE || msg->nlmsg_len < off)
		return false;
	memcpy(&rtm, p + NLMSG_HDRLEN, sizeof(rtm));
	if (rtm.rtm_family != AF_INET || rtm.rtm_dst_len > 32)
		return false;
	out->table = rtm.rtm_table;
	out->type = rtm.rtm_type;
	if (!each_attr(p + off, msg->nlmsg_len - off, route_attr, &c) || c.bad)
		return false;
	out->dst.prefix = rtm.rtm_dst_len;
	return true;
}

/* ---- mesh mode: links, addresses of both families, changes ---- */

static void link_attr(void *ctx, uint16_t type, const uint8_t *data, size_t len)
{
	struct rtnl_link *out = ctx;
	size_t n;

	if (type != IFLA_IFNAME)
		return;
	n = strnlen((const char *)data, len);
	if (n >= sizeof(out->name))
		n = sizeof(out->name) - 1;
	memcpy(out->name, data, n);
	out->name[n] = '\0';
}

bool rtnl_parse_link(const struct nlmsghdr *msg, struct rtnl_link *out)
{
	const uint8_t *p = (const uint8_t *)msg;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg));
	struct ifinfomsg ifi;

	memset(out, 0, sizeof(*out));
	if (msg->nlmsg_type != RTM_NEWLINK || msg->nlmsg_len < off)
		return false;
	memcpy(&ifi, p + NLMSG_HDRLEN, sizeof(ifi));
	if (ifi.ifi_index <= 0 || !each_attr(p + off, msg->nlmsg_len - off, link_attr, out))
		return false;
	out->ifindex = ifi.ifi_index;
	out->flags = ifi.ifi_flags;
	return true;
}

struct ifaddr_ctx {
	size_t want; /* 4 or 16 */
	bool has_local, has_address, bad;
	uint8_t local[16], address[16];
};

static void ifaddr_attr(void *ctx, uint16_t type, const uint8_t *data, size_t len)
{
	struct ifaddr_ctx *c = ctx;

	if (type != IFA_LOCAL && type != IFA_ADDRESS)
		return;
	if (len != c->want) {
		c->bad = true;
		return;
	}
	memcpy(type == IFA_LOCAL ? c->local : c->address, data, len);
	*(type == IFA_LOCAL ? &c->has_local : &c->has_address) = true;
}

bool rtnl_parse_ifaddr(const struct nlmsghdr *msg, struct rtnl_ifaddr *out)
{
	const uint8_t *p = (const uint8_t *)msg;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifaddrmsg));
	struct ifaddr_ctx c = { 0 };
	struct ifaddrmsg ifa;

	memset(out, 0, sizeof(*out));
	if (msg->nlmsg_type != RTM_NEWADDR || msg->nlmsg_len < off)
		return false;
	memcpy(&ifa, p + NLMSG_HDRLEN, sizeof(ifa));
	if (ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6)
		return false;
	c.want = ifa.ifa_family == AF_INET ? 4 : 16;
	if (!each_attr(p + off, msg->nlmsg_len - off, ifaddr_attr, &c) || c.bad)
		return false;
	/* IPv4: IFA_LOCAL is ours (IFA_ADDRESS the peer's on point-to-point);
	 * IPv6: IFA_ADDRESS is ours (IFA_LOCAL, if any, the same). */
	if (c.has_local && (ifa.ifa_family == AF_INET || !c.has_address))
		memcpy(out->addr, c.local, c.want);
	else if (c.has_address)
		memcpy(out->addr, c.address, c.want);
	else
		return false;
	out->ifindex = (int)ifa.ifa_index;
	out->family = ifa.ifa_family;
	return true;
}

static void oif_attr(void *ctx, uint16_t type, const uint8_t *data, size_t len)
{
	uint32_t v;

	if (type == RTA_OIF && read_u32(data, len, &v))
		*(int *)ctx = (int)v;
}

bool rtnl_is_change(const struct nlmsghdr *msg, int skip_ifindex)
{
	const uint8_t *p = (const uint8_t *)msg;
	size_t len = msg->nlmsg_len, off;
	int ifindex = 0;

	switch (msg->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK: {
		struct ifinfomsg ifi;

		if (len < NLMSG_HDRLEN + sizeof(ifi))
			return false;
		memcpy(&ifi, p + NLMSG_HDRLEN, sizeof(ifi));
		ifindex = ifi.ifi_index;
		break;
	}
	case RTM_NEWADDR:
	case RTM_DELADDR: {
		struct ifaddrmsg ifa;

		if (len < NLMSG_HDRLEN + sizeof(ifa))
			return false;
		memcpy(&ifa, p + NLMSG_HDRLEN, sizeof(ifa));
		ifindex = (int)ifa.ifa_index;
		break;
	}
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct rtmsg));
		if (len < off || !each_attr(p + off, len - off, oif_attr, &ifindex))
			return false;
		break;
	default:
		return false;
	}
	return skip_ifindex == 0 || ifindex != skip_ifindex;
}
