/*
 * LAN discovery (see lan.h).  Receive order, cheapest first and before
 * any signature is checked (docs/mesh-protocol.md, "LAN beacons"):
 * source (link-local IPv6, private IPv4) -> length -> the address derived
 * from the announced key: not ours, on the whitelist -> one verification
 * per address per 5 s and 50 per second in all -> beacon_parse (layout,
 * key filter, replay guard, signature; the guard records seq only after
 * the signature verified).
 */
#include "daemon/mesh/lan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/bytes/byteorder.h"
#include "daemon/mesh/allow.h"
#include "daemon/mesh/hosts.h"
#include "daemon/mesh/hs.h"
#include "daemon/mesh/peers.h"
#include "os/linux/clock.h"
#include "os/linux/mcast.h"

/*
 * The interface list as the scan has it: interfaces already joined keep
 * their entry, new ones are joined (a family that refuses is left out),
 * gone ones leave the list (the kernel drops their memberships).  Returns
 * how many were added.
 */
static size_t sync_ifaces(struct mesh_node *n, const struct netwatch_scan *scan)
{
	struct mesh_lan *l = &n->lan;
	struct mcast_iface ifs[MESH_IFACES_MAX];
	struct mesh_iface next[MESH_IFACES_MAX];
	size_t got = scan != NULL ? mcast_ifaces(scan, ifs, MESH_IFACES_MAX, n->tun) : 0;
	size_t k = 0, added = 0;

	for (size_t i = 0; i < got; i++) {
		struct mesh_iface *f = &next[k];
		bool kept = false;

		for (size_t j = 0; j < l->n_ifs && !kept; j++) {
			if (l->ifs[j].ifindex != ifs[i].ifindex)
				continue;
			*f = l->ifs[j];
			kept = true;
		}
		if (!kept) {
			memset(f, 0, sizeof(*f));
			f->ifindex = ifs[i].ifindex;
			memcpy(f->name, ifs[i].name, sizeof(f->name));
			f->v4 = l->fd4 >= 0 &&
				mcast_join(l->fd4, AF_INET, BEACON_GROUP_V4, f->ifindex) == 0;
			f->v6 = l->fd6 >= 0 &&
				mcast_join(l->fd6, AF_INET6, BEACON_GROUP_V6, f->ifindex) == 0;
			if (!f->v4 && !f->v6)
				continue;
			added++;
		}
		k++;
	}
	memcpy(l->ifs, next, k * sizeof(next[0]));
	l->n_ifs = k;
	return added;
}

static void print_ifaces(const struct mesh_lan *l, const char *what)
{
	fprintf(stderr, "subnetrad: LAN discovery %s %zu interface(s)", what, l->n_ifs);
	for (size_t i = 0; i < l->n_ifs; i++)
		fprintf(stderr, "%s%s%s%s", i == 0 ? ": " : ", ", l->ifs[i].name,
			l->ifs[i].v6 ? " v6" : "", l->ifs[i].v4 ? " v4" : "");
	fprintf(stderr, "\n");
}

int mesh_lan_open(struct mesh_node *n, const struct netwatch_scan *scan)
{
	struct mesh_lan *l = &n->lan;

	beacon_guard_init(&l->guard);
	l->fd4 = mcast_open(AF_INET, BEACON_PORT);
	l->fd6 = mcast_open(AF_INET6, BEACON_PORT);
	if (l->fd4 < 0)
		fprintf(stderr, "subnetrad: LAN discovery: no IPv4 beacon socket: %s\n",
			strerror(-l->fd4));
	if (l->fd6 < 0)
		fprintf(stderr, "subnetrad: LAN discovery: no IPv6 beacon socket: %s\n",
			strerror(-l->fd6));
	if (l->fd4 < 0 && l->fd6 < 0)
		return -1;
	(void)sync_ifaces(n, scan);
	print_ifaces(l, "on");
	return 0;
}

void mesh_lan_net_changed(struct mesh_node *n, const struct netwatch_scan *scan,
			  uint64_t now_ns)
{
	size_t added;

	if (n->lan.fd4 < 0 && n->lan.fd6 < 0)
		return;
	added = sync_ifaces(n, scan);
	if (added > 0)
		print_ifaces(&n->lan, "now on");
	/* Our endpoints may have changed: tell the LAN now; ask back on new links. */
	mesh_lan_announce(n, added > 0, now_ns);
}

void mesh_lan_close(struct mesh_node *n)
{
	if (n->lan.fd4 >= 0)
		close(n->lan.fd4);
	if (n->lan.fd6 >= 0)
		close(n->lan.fd6);
	n->lan.fd4 = n->lan.fd6 = -1;
}

/* Our beacon into out; its length, or 0. */
static size_t build(struct mesh_node *n, bool query, uint8_t *out, size_t cap)
{
	const char *name = n->cfg->mesh.hostname;
	uint64_t ms = wall_ns() / 1000000;
	struct beacon b;
	size_t len = 0;

	memset(&b, 0, sizeof(b));
	/* Strictly increasing even when the wall clock steps back. */
	n->lan.last_seq = ms > n->lan.last_seq ? ms : n->lan.last_seq + 1;
	b.flags = query ? BEACON_FLAG_QUERY : 0;
	b.port = n->cfg->mesh.udp_port;
	b.seq = n->lan.last_seq;
	b.name_len = (uint8_t)strlen(name);
	memcpy(b.name, name, b.name_len);
	if (beacon_sign(&b, &n->id, out, cap, &len) != BEACON_OK)
		return 0;
	return len;
}

static void send_on(struct mesh_node *n, const struct mesh_iface *f, const uint8_t *b,
		    size_t len)
{
	if (f->v6 && mcast_send(n->lan.fd6, AF_INET6, BEACON_GROUP_V6, BEACON_PORT, f->ifindex,
				b, len) == 0)
		n->c.beacons_sent++;
	if (f->v4 && mcast_send(n->lan.fd4, AF_INET, BEACON_GROUP_V4, BEACON_PORT, f->ifindex,
				b, len) == 0)
		n->c.beacons_sent++;
}

void mesh_lan_announce(struct mesh_node *n, bool query, uint64_t now_ns)
{
	uint8_t b[BEACON_MAX_LEN];
	size_t len = build(n, query, b, sizeof(b));
	uint32_t jitter = randombytes_uniform(MESH_BEACON_INTERVAL_NS / 1000000 * 2 / 5);

	if (len > 0)
		for (size_t i = 0; i < n->lan.n_ifs; i++)
			send_on(n, &n->lan.ifs[i], b, len);
	/* 25 s ± 20 %: 20 s plus up to 10 s. */
	n->lan.next_beacon_ns = now_ns + MESH_BEACON_INTERVAL_NS * 4 / 5 +
				(uint64_t)jitter * 1000000;
}

void mesh_lan_tick(struct mesh_node *n, uint64_t now_ns)
{
	if (n->lan.n_ifs > 0 && now_ns >= n->lan.next_beacon_ns)
		mesh_lan_announce(n, false, now_ns);
}

/* Link-local IPv6, or RFC 1918 IPv4 (arriving on the v4 socket). */
static bool source_ok(const union udp_addr *from)
{
	if (from->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_LINKLOCAL(&from->v6.sin6_addr);
	if (from->sa.sa_family == AF_INET) {
		uint32_t a = ntohl(from->v4.sin_addr.s_addr);

		return (a >> 24) == 10 || (a >> 20) == (172u << 4 | 1) || (a >> 16) == (192u << 8 | 168);
	}
	return false;
}

/* One verification per address per 5 s, and MESH_BEACON_VERIFY_PER_S in all. */
static bool verify_allowed(struct mesh_lan *l, const uint8_t addr[IDENTITY_ADDR_LEN],
			   uint64_t now_ns)
{
	size_t at = 0, oldest = 0;

	if (now_ns - l->verify_window_ns >= MESH_NS_PER_S) {
		l->verify_window_ns = now_ns;
		l->verify_count = 0;
	}
	if (l->verify_count >= MESH_BEACON_VERIFY_PER_S)
		return false;
	for (at = 0; at < MESH_BEACON_SEEN; at++) {
		if (memcmp(l->seen[at].addr, addr, IDENTITY_ADDR_LEN) == 0)
			break;
		if (l->seen[at].at_ns < l->seen[oldest].at_ns)
			oldest = at;
	}
	if (at < MESH_BEACON_SEEN) {
		if (l->seen[at].at_ns != 0 && now_ns - l->seen[at].at_ns < MESH_BEACON_VERIFY_NS)
			return false;
	} else {
		at = oldest;
		memcpy(l->seen[at].addr, addr, IDENTITY_ADDR_LEN);
	}
	l->seen[at].at_ns = now_ns;
	l->verify_count++;
	return true;
}

/* The peer's mesh endpoint: the beacon's source address, its announced port. */
static void endpoint_of(const union udp_addr *from, uint16_t port, union udp_addr *ep,
			socklen_t *ep_len)
{
	memset(ep, 0, sizeof(*ep));
	ep->v6.sin6_family = AF_INET6;
	ep->v6.sin6_port = htons(port);
	if (from->sa.sa_family == AF_INET6) {
		ep->v6.sin6_addr = from->v6.sin6_addr;
		ep->v6.sin6_scope_id = from->v6.sin6_scope_id;
	} else {
		/* The mesh socket is dual-stack: IPv4 as ::ffff:a.b.c.d. */
		ep->v6.sin6_addr.s6_addr[10] = 0xff;
		ep->v6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&ep->v6.sin6_addr.s6_addr[12], &from->v4.sin_addr, 4);
	}
	*ep_len = sizeof(ep->v6);
}

static struct mesh_iface *iface_of(struct mesh_lan *l, unsigned ifindex)
{
	for (size_t i = 0; i < l->n_ifs; i++)
		if (l->ifs[i].ifindex == ifindex)
			return &l->ifs[i];
	return NULL;
}

static void on_beacon(struct mesh_node *n, const uint8_t *buf, size_t len,
		      const union udp_addr *from, unsigned ifindex, uint64_t now_ns)
{
	uint8_t addr[IDENTITY_ADDR_LEN];
	struct mesh_iface *f;
	struct mesh_peer *p;
	enum beacon_result r;
	struct beacon b;

	if (!source_ok(from)) {
		n->c.drop_beacon_source++;
		return;
	}
	if (len < BEACON_MIN_LEN) {
		n->c.beacon[BEACON_TOO_SHORT]++;
		return;
	}
	identity_address(buf + BEACON_OFF_PK, addr);
	if (sodium_memcmp(addr, n->id.addr, sizeof(addr)) == 0) {
		n->c.drop_beacon_self++;
		return;
	}
	if (!mesh_allowed(n, addr)) {
		n->c.drop_beacon_not_allowed++;
		return;
	}
	if (!verify_allowed(&n->lan, addr, now_ns)) {
		n->c.drop_beacon_rate_limited++;
		return;
	}
	r = beacon_parse(&b, buf, len, &n->lan.guard);
	if (r != BEACON_OK) {
		n->c.beacon[r]++;
		return;
	}
	n->c.beacons_received++;
	p = mesh_peer_get(n, b.ed_pk);
	if (p == NULL) {
		n->c.drop_mesh_peer_table_full++;
		return;
	}
	if (strcmp(p->hostname, b.name) != 0) {
		memcpy(p->hostname, b.name, sizeof(p->hostname));
		mesh_hosts_changed(n);
	}
	/* Authenticated traffic decides the endpoint once there is a session. */
	if (p->ep_len == 0 || session_current(&p->session) == NULL)
		endpoint_of(from, b.port, &p->ep, &p->ep_len);
	f = iface_of(&n->lan, ifindex);
	if ((b.flags & BEACON_FLAG_QUERY) && f != NULL &&
	    (f->last_reply_ns == 0 || now_ns - f->last_reply_ns >= MESH_BEACON_REPLY_NS)) {
		uint8_t out[BEACON_MAX_LEN];
		size_t out_len = build(n, false, out, sizeof(out));

		f->last_reply_ns = now_ns;
		if (out_len > 0)
			send_on(n, f, out, out_len);
	}
	if (session_current(&p->session) == NULL)
		mesh_hs_start(n, p, now_ns);
}

void mesh_lan_readable(struct mesh_node *n, int fd, uint64_t now_ns)
{
	uint8_t buf[BEACON_MAX_LEN + 1];

	for (int i = 0; i < MESH_BEACON_BUDGET; i++) {
		union udp_addr from;
		socklen_t from_len = sizeof(from);
		unsigned ifindex;
		ssize_t got = mcast_recv(fd, buf, sizeof(buf), &from, &from_len, &ifindex);

		if (got == -EMSGSIZE) {
			n->c.beacon[BEACON_BAD_LENGTH]++;
			continue;
		}
		if (got <= 0)
			return;
		on_beacon(n, buf, (size_t)got, &from, ifindex, now_ns);
	}
}
