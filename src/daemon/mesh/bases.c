/* A mesh node's base servers and the relay path (see bases.h). */
#include "daemon/mesh/bases.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "daemon/mesh/allow.h"
#include "daemon/mesh/basetcp.h"
#include "daemon/mesh/data.h"
#include "daemon/mesh/hosts.h"
#include "daemon/mesh/hs.h"
#include "daemon/mesh/path.h"
#include "daemon/mesh/peers.h"
#include "os/linux/clock.h"

/* ---- start-up ------------------------------------------------------------ */

/* host (name or literal) -> an IPv6 (or v4-mapped) socket address. */
static int resolve(const struct mesh_base *cfg, union udp_addr *to, socklen_t *to_len)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res = NULL;
	int err = getaddrinfo(cfg->host, NULL, &hints, &res);

	if (err != 0 || res == NULL)
		return -1;
	memset(to, 0, sizeof(*to));
	to->v6.sin6_family = AF_INET6;
	to->v6.sin6_port = htons(cfg->udp_port);
	if (res->ai_family == AF_INET6) {
		to->v6.sin6_addr =
		    ((const struct sockaddr_in6 *)(const void *)res->ai_addr)->sin6_addr;
	} else {
		const struct sockaddr_in *v4 = (const void *)res->ai_addr;

		to->v6.sin6_addr.s6_addr[10] = 0xff;
		to->v6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&to->v6.sin6_addr.s6_addr[12], &v4->sin_addr, 4);
	}
	*to_len = sizeof(to->v6);
	freeaddrinfo(res);
	return 0;
}

/*
 * Our candidates: every address of an up interface of the scan but the
 * TUN, as ep18_candidate admits them (no loopback, link-local or
 * fc94::/16), with our listen port; no duplicates, at most
 * ER_MAX_ENDPOINTS.
 */
static void gather_candidates(struct mesh_node *n, const struct netwatch_scan *scan,
			      struct er *rec)
{
	rec->n = 0;
	for (size_t i = 0; scan != NULL && i < scan->n_addrs && rec->n < ER_MAX_ENDPOINTS;
	     i++) {
		const struct rtnl_ifaddr *a = &scan->addrs[i];
		const struct rtnl_link *l = netwatch_link(scan, a->ifindex);
		struct ep18 ep;
		bool dup = false;

		if (l == NULL || !(l->flags & IFF_UP) || (l->flags & IFF_LOOPBACK) ||
		    strcmp(l->name, n->tun) == 0)
			continue;
		if (a->family == AF_INET)
			ep18_from_ipv4(&ep, a->addr, n->cfg->mesh.udp_port);
		else
			ep18_from_ipv6(&ep, a->addr, n->cfg->mesh.udp_port);
		if (!ep18_candidate(&ep))
			continue;
		for (unsigned k = 0; k < rec->n; k++)
			dup = dup || ep18_equal(&rec->ep[k], &ep);
		if (!dup)
			rec->ep[rec->n++] = ep;
	}
}

static int sign_record(struct mesh_node *n)
{
	struct mesh_bases *bs = n->bases;
	uint64_t ms = wall_ns() / 1000000;

	/* Strictly increasing, even when the clock stepped back. */
	bs->rec.seq = ms > bs->rec.seq ? ms : bs->rec.seq + 1;
	return er_sign(&bs->rec, &n->id, bs->er, sizeof(bs->er), &bs->er_len) == ER_OK
		   ? 0
		   : -1;
}

int mesh_bases_open(struct mesh_node *n, const struct netwatch_scan *scan)
{
	const struct mesh_config *m = &n->cfg->mesh;
	struct mesh_bases *bs;

	if (m->n_bases == 0)
		return 0;
	bs = calloc(1, sizeof(*bs));
	if (bs == NULL)
		return -ENOMEM;
	n->bases = bs;
	bs->home = -1;
	for (size_t i = 0; i < m->n_bases; i++) {
		struct mesh_base_link *l = &bs->link[bs->n];
		struct mesh_peer *p;
		union udp_addr to;
		socklen_t to_len;

		if (resolve(&m->bases[i], &to, &to_len) < 0) {
			fprintf(stderr,
				"subnetrad: bases[%zu]: cannot resolve '%s'; skipped\n",
				i, m->bases[i].host);
			continue;
		}
		p = mesh_peer_get(n, m->bases[i].public_key);
		if (p == NULL || p->is_base) {
			fprintf(stderr, "subnetrad: bases[%zu]: key unusable; skipped\n",
				i);
			continue;
		}
		p->is_base = true;
		p->ep = to;
		p->ep_len = to_len;
		snprintf(p->hostname, sizeof(p->hostname), "base");
		l->cfg = &m->bases[i];
		l->peer = p;
		l->tcp_fd = -1;
		bs->n++;
	}
	bs->rec.listen_port = m->udp_port;
	bs->rec.name_len = (uint8_t)strlen(m->hostname);
	memcpy(bs->rec.name, m->hostname, bs->rec.name_len);
	gather_candidates(n, scan, &bs->rec);
	if (sign_record(n) < 0) {
		fprintf(stderr, "subnetrad: cannot sign the endpoint record\n");
		return -EINVAL;
	}
	fprintf(stderr, "subnetrad: %zu base(s), endpoint record with %u candidate(s)\n",
		bs->n, (unsigned)bs->rec.n);
	return 0;
}

void mesh_bases_free(struct mesh_node *n)
{
	if (n->bases == NULL)
		return;
	mesh_base_tcp_close_all(n);
	sodium_memzero(n->bases, sizeof(*n->bases));
	free(n->bases);
	n->bases = NULL;
}

/* ---- paths --------------------------------------------------------------- */

static bool relay_usable(const struct mesh_node *n, const struct mesh_peer *p)
{
	return n->bases != NULL && p->has_relay && p->relay_base < n->bases->n &&
	       n->bases->link[p->relay_base].registered;
}

bool mesh_peer_has_relay(const struct mesh_node *n, const struct mesh_peer *p)
{
	return !p->is_base && relay_usable(n, p);
}

bool mesh_peer_relayed(const struct mesh_node *n, const struct mesh_peer *p)
{
	if (p->is_base || !relay_usable(n, p))
		return false;
	return p->ep_len == 0 || !p->direct_ok;
}

bool mesh_peer_reachable(const struct mesh_node *n, const struct mesh_peer *p)
{
	return p->ep_len != 0 || relay_usable(n, p);
}

const char *mesh_peer_path(const struct mesh_node *n, const struct mesh_peer *p)
{
	if (!mesh_peer_relayed(n, p))
		return "direct";
	return n->bases->link[p->relay_base].use_tcp ? "relay-tcp" : "relay-udp";
}

void mesh_relay_send(struct mesh_node *n, struct mesh_peer *p, const uint8_t *buf,
		     size_t len)
{
	struct mesh_base_link *l = &n->bases->link[p->relay_base];
	uint8_t hdr[MSG_RELAY_HEADER_LEN];
	uint64_t dropped = n->c.drop_udp_send;

	/* The header goes in front without copying the message (no headroom). */
	msg_relay_header_put(hdr, l->relay_id, p->relay_id);
	if (l->use_tcp) {
		if (mesh_base_tcp_send(n, p->relay_base, hdr, sizeof(hdr), buf, len))
			n->c.relay_tx_packets++;
		return;
	}
	/* Staged with the batch while the TUN is drained (a drop then counts
	 * when the stage is sent). */
	mesh_udp_sendv(n, &l->peer->ep, l->peer->ep_len, hdr, sizeof(hdr), buf, len);
	if (n->c.drop_udp_send == dropped)
		n->c.relay_tx_packets++;
}

int mesh_base_of_endpoint(const struct mesh_node *n, const union udp_addr *from,
			  socklen_t from_len)
{
	if (n->bases == NULL || from->sa.sa_family != AF_INET6)
		return -1;
	(void)from_len;
	for (size_t i = 0; i < n->bases->n; i++) {
		const struct sockaddr_in6 *b = &n->bases->link[i].peer->ep.v6;

		if (b->sin6_port == from->v6.sin6_port &&
		    memcmp(&b->sin6_addr, &from->v6.sin6_addr, 16) == 0)
			return (int)i;
	}
	return -1;
}

/* ---- sending control ----------------------------------------------------- */

static void send_ctl(struct mesh_node *n, struct mesh_base_link *l,
		     const struct basectl *m, uint64_t now_ns)
{
	uint8_t buf[MESH_PKT_BUF];
	size_t len;

	if (basectl_encode(m, buf + MESH_PKT_OFF, MSG_DATA_MAX_PLAINTEXT, &len) !=
	    BASECTL_OK)
		return;
	(void)mesh_peer_send(n, l->peer, buf, len, now_ns);
}

static void send_register(struct mesh_node *n, struct mesh_base_link *l, uint64_t now_ns)
{
	uint8_t buf[MESH_PKT_BUF];
	uint8_t *pt = buf + MESH_PKT_OFF;

	/* REGISTER is the header and the record as signed (basectl.h). */
	memset(pt, 0, BASECTL_HEADER_LEN);
	pt[0] = BASECTL_REGISTER;
	memcpy(pt + BASECTL_HEADER_LEN, n->bases->er, n->bases->er_len);
	(void)mesh_peer_send(n, l->peer, buf, BASECTL_HEADER_LEN + n->bases->er_len,
			     now_ns);
	l->next_retry_ns = now_ns + MESH_BASE_RETRY_NS;
}

void mesh_bases_reregister(struct mesh_node *n, uint64_t now_ns)
{
	if (sign_record(n) < 0)
		return;
	for (size_t i = 0; i < n->bases->n; i++)
		if (n->bases->link[i].registered)
			send_register(n, &n->bases->link[i], now_ns);
}

/*
 * ALLOW: the live effective whitelist (what `subnetra whitelist` changed,
 * not only the config's, and the managed set), so only its nodes may look
 * us up.  A list too long for one
 * message, or none, lets anyone look us up: the handshake still refuses
 * whoever is not listed, the base only saves them the try.
 */
static void send_allow(struct mesh_node *n, struct mesh_base_link *l, uint64_t now_ns)
{
	static struct basectl m; /* large; the node is single-threaded */

	memset(&m, 0, sizeof(m));
	m.type = BASECTL_ALLOW;
	if (n->wl.enabled) {
		size_t k = mesh_allow_list(n, m.allow, BASECTL_ALLOW_MAX);

		if (k <= BASECTL_ALLOW_MAX) {
			m.arg = BASECTL_ALLOW_RESTRICT;
			m.n_allow = (uint16_t)k;
		}
	}
	send_ctl(n, l, &m, now_ns);
}

void mesh_bases_allow_changed(struct mesh_node *n, uint64_t now_ns)
{
	for (size_t i = 0; n->bases != NULL && i < n->bases->n; i++)
		if (n->bases->link[i].registered)
			send_allow(n, &n->bases->link[i], now_ns);
}

void mesh_base_send_probe(struct mesh_node *n, struct mesh_base_link *l, uint64_t now_ns)
{
	struct basectl m;

	memset(&m, 0, sizeof(m));
	m.type = BASECTL_PING;
	randombytes_buf(l->probe_txid, sizeof(l->probe_txid));
	memcpy(m.txid, l->probe_txid, sizeof(m.txid));
	l->probe_out = true;
	n->c.base_pings_sent++;
	/* Past the TCP redirection in mesh_udp_send: this one tries UDP. */
	n->force_udp = true;
	send_ctl(n, l, &m, now_ns);
	n->force_udp = false;
}

void mesh_base_send_ping(struct mesh_node *n, struct mesh_base_link *l, uint64_t now_ns)
{
	struct basectl m;

	memset(&m, 0, sizeof(m));
	m.type = BASECTL_PING;
	if (!l->ping_out) {
		randombytes_buf(l->txid, sizeof(l->txid));
		l->ping_out = true;
		l->ping_first_ns = now_ns;
		l->ping_tries = 0;
	}
	memcpy(m.txid, l->txid, sizeof(m.txid));
	l->ping_last_ns = now_ns;
	l->ping_tries++;
	n->c.base_pings_sent++;
	send_ctl(n, l, &m, now_ns);
}

static uint64_t jittered(uint64_t period_ns)
{
	/* ± 20 %: 80 % plus up to 40 %. */
	return period_ns * 4 / 5 +
	       randombytes_uniform((uint32_t)(period_ns / 1000000 * 2 / 5)) *
		   UINT64_C(1000000);
}

/* ---- home and failover --------------------------------------------------- */

static void choose_home(struct mesh_bases *bs)
{
	bs->home = -1;
	for (size_t i = 0; i < bs->n; i++)
		if (bs->link[i].registered &&
		    (bs->home < 0 ||
		     bs->link[i].registered_ns < bs->link[bs->home].registered_ns))
			bs->home = (int)i;
}

/* Relay ids learned through base i name nothing any more. */
static void forget_relays(struct mesh_node *n, size_t i)
{
	for (size_t k = 0; k < n->n_peers; k++)
		if (n->peers[k].has_relay && n->peers[k].relay_base == i)
			n->peers[k].has_relay = false;
}

void mesh_base_lost(struct mesh_node *n, size_t i, uint64_t now_ns)
{
	struct mesh_base_link *l = &n->bases->link[i];

	n->c.base_dead++;
	fprintf(stderr, "subnetrad: base %s stopped answering\n", l->cfg->host);
	l->registered = false;
	l->ping_out = false;
	session_wipe_keys(&l->peer->session, &n->index);
	mesh_hs_cancel(n, l->peer);
	forget_relays(n, i);
	choose_home(n->bases);
	l->next_retry_ns = now_ns;
	mesh_base_tcp_lost(n, i, now_ns);
}

/*
 * Relaying into silence: a peer relayed through base i got packets from
 * us within the last MESH_RELAY_QUIET_NS and sent nothing back for longer.
 * The base may be dead; its PING need not wait for the 25 s refresh.
 */
static bool relay_silent(const struct mesh_node *n, size_t i, uint64_t now_ns)
{
	for (size_t k = 0; k < n->n_peers; k++) {
		const struct mesh_peer *p = &n->peers[k];

		if (p->used && p->relay_base == i && mesh_peer_relayed(n, p) &&
		    p->last_tx_ns > p->last_rx_ns && now_ns - p->last_tx_ns < MESH_RELAY_QUIET_NS &&
		    now_ns - p->last_rx_ns >= MESH_RELAY_QUIET_NS)
			return true;
	}
	return false;
}

void mesh_bases_tick(struct mesh_node *n, uint64_t now_ns)
{
	struct mesh_bases *bs = n->bases;

	if (bs == NULL)
		return;
	for (size_t i = 0; i < bs->n; i++) {
		struct mesh_base_link *l = &bs->link[i];

		mesh_base_tcp_tick(n, i, now_ns);
		if (l->use_tcp && l->tcp_state != MESH_TCP_UP)
			continue; /* the handshake starts once connected */
		if (session_current(&l->peer->session) == NULL) {
			if (l->registered)
				mesh_base_lost(n, i, now_ns);
			if (!l->peer->hs_pending && now_ns >= l->next_retry_ns) {
				mesh_hs_start(n, l->peer, now_ns);
				l->next_retry_ns = now_ns + MESH_BASE_RETRY_NS;
			}
			continue;
		}
		if (!l->registered) {
			if (now_ns >= l->next_retry_ns)
				send_register(n, l, now_ns);
			continue;
		}
		if (l->ping_out) {
			uint64_t wait = MESH_NS_PER_S
					<< (l->ping_tries - 1); /* 1, 2, 4 s */

			if (now_ns - l->ping_first_ns >= MESH_BASE_DEAD_NS)
				mesh_base_lost(n, i, now_ns);
			else if (now_ns - l->ping_last_ns >= wait)
				mesh_base_send_ping(n, l, now_ns);
		} else if (now_ns >= l->next_ping_ns ||
			   (now_ns - l->ping_last_ns >= MESH_RELAY_QUIET_NS &&
			    relay_silent(n, i, now_ns))) {
			mesh_base_send_ping(n, l, now_ns);
		}
	}
	/* Lookups that got no record: their packets go. */
	for (size_t k = 0; k < MESH_LOOKUP_SLOTS; k++) {
		struct mesh_lookup *lk = &bs->lk[k];

		if (lk->used && now_ns - lk->created_ns >= MESH_LOOKUP_LIFE_NS) {
			n->c.drop_lookup_expired += lk->n;
			lk->used = false;
		}
	}
}

void mesh_base_established(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	for (size_t i = 0; i < n->bases->n; i++) {
		if (n->bases->link[i].peer != p)
			continue;
		n->c.base_handshakes++;
		send_register(n, &n->bases->link[i], now_ns);
	}
}

void mesh_bases_net_changed(struct mesh_node *n, const struct netwatch_scan *scan,
			    uint64_t now_ns)
{
	struct mesh_bases *bs = n->bases;

	if (bs == NULL)
		return;
	gather_candidates(n, scan, &bs->rec);
	if (sign_record(n) < 0)
		return;
	for (size_t i = 0; i < bs->n; i++) {
		struct mesh_base_link *l = &bs->link[i];

		if (l->use_tcp && l->tcp_state != MESH_TCP_UP)
			continue; /* it registers once connected */
		if (session_current(&l->peer->session) != NULL) {
			send_register(n, l, now_ns);
			n->c.net_reregisters++;
			/* Is it still reachable from here?  Dead in MESH_BASE_DEAD_NS if not. */
			if (l->registered && !l->ping_out)
				mesh_base_send_ping(n, l, now_ns);
		} else if (!l->peer->hs_pending) {
			l->next_retry_ns = now_ns; /* a handshake on the next tick */
		}
	}
}

/* ---- lookups ------------------------------------------------------------- */

static struct mesh_lookup *lookup_slot(struct mesh_bases *bs, const uint8_t addr[16],
				       bool add, uint64_t now_ns)
{
	struct mesh_lookup *free_slot = NULL;

	for (size_t k = 0; k < MESH_LOOKUP_SLOTS; k++) {
		struct mesh_lookup *lk = &bs->lk[k];

		if (lk->used && memcmp(lk->addr, addr, 16) == 0)
			return lk;
		if (!lk->used && free_slot == NULL)
			free_slot = lk;
	}
	if (!add || free_slot == NULL)
		return NULL;
	memset(free_slot, 0, offsetof(struct mesh_lookup, buf));
	free_slot->used = true;
	memcpy(free_slot->addr, addr, 16);
	free_slot->created_ns = now_ns;
	return free_slot;
}

static void send_lookup(struct mesh_node *n, size_t base, const uint8_t addr[16],
			uint64_t now_ns)
{
	struct basectl m;

	memset(&m, 0, sizeof(m));
	m.type = BASECTL_LOOKUP;
	m.arg = BASECTL_LOOKUP_NOTIFY;
	memcpy(m.addr, addr, 16);
	n->c.base_lookups_sent++;
	send_ctl(n, &n->bases->link[base], &m, now_ns);
}

void mesh_base_lookup(struct mesh_node *n, const uint8_t addr[IDENTITY_ADDR_LEN],
		      uint64_t now_ns)
{
	struct mesh_bases *bs = n->bases;
	struct mesh_lookup *lk;

	if (bs == NULL || bs->home < 0)
		return;
	lk = lookup_slot(bs, addr, true, now_ns);
	if (lk == NULL) {
		n->c.drop_lookup_full++;
		return;
	}
	if (lk->sent_ns != 0 && now_ns - lk->sent_ns < MESH_LOOKUP_GAP_NS)
		return;
	lk->sent_ns = now_ns;
	send_lookup(n, (size_t)bs->home, addr, now_ns);
}

bool mesh_bases_want(struct mesh_node *n, const uint8_t dst[IDENTITY_ADDR_LEN],
		     size_t len, uint64_t now_ns)
{
	struct mesh_bases *bs = n->bases;
	struct mesh_lookup *lk;

	if (bs == NULL || bs->home < 0)
		return false;
	lk = lookup_slot(bs, dst, true, now_ns);
	if (lk == NULL || lk->n == MESH_LOOKUP_QUEUE)
		return false;
	/* Held before the LOOKUP is built: n->pkt is reused for nothing here. */
	memcpy(lk->buf[lk->n] + MESH_PKT_OFF, n->pkt + MESH_PKT_OFF, len);
	lk->len[lk->n++] = (uint16_t)len;
	mesh_base_lookup(n, dst, now_ns);
	return true;
}

/* ---- receiving control ----------------------------------------------------- */

static size_t link_of(const struct mesh_node *n, const struct mesh_peer *p)
{
	for (size_t i = 0; i < n->bases->n; i++)
		if (n->bases->link[i].peer == p)
			return i;
	return SIZE_MAX;
}

static void on_register_ok(struct mesh_node *n, size_t i, const struct basectl *m,
			   uint64_t now_ns)
{
	struct mesh_base_link *l = &n->bases->link[i];
	uint64_t refresh = m->refresh_s * MESH_NS_PER_S;

	if (m->arg != BASECTL_STATUS_OK) {
		n->c.base_register_refused++;
		l->full = m->arg == BASECTL_STATUS_FULL;
		/* STALE: the base holds a newer seq (our clock went back): sign again. */
		if (m->arg == BASECTL_STATUS_STALE)
			(void)sign_record(n);
		return;
	}
	if (!l->registered ||
	    memcmp(l->relay_id, m->relay_id, sizeof(l->relay_id)) != 0) {
		/* A new registration (the base restarted or expired us): new ids. */
		forget_relays(n, i);
		memcpy(l->relay_id, m->relay_id, sizeof(l->relay_id));
		l->registered_ns = now_ns;
		n->c.base_registered++;
		fprintf(stderr, "subnetrad: registered with base %s\n", l->cfg->host);
		send_allow(n, l, now_ns);
	}
	l->registered = true;
	l->full = false;
	mesh_base_tcp_registered(n, i, now_ns);
	l->observed = m->observed;
	l->last_pong_ns = now_ns;
	l->ping_out = false;
	l->next_ping_ns = now_ns + jittered(refresh ? refresh : MESH_BASE_PING_NS);
	choose_home(n->bases);
	mesh_nat_observed(n, i, now_ns);
}

static void on_peer_info(struct mesh_node *n, size_t i, const struct basectl *m,
			 uint64_t now_ns)
{
	struct mesh_lookup *lk = lookup_slot(n->bases, m->addr, false, now_ns);
	struct mesh_peer *p;

	if (!m->has_er) {
		/* UNKNOWN or DENIED here: ask the next registered base, if any. */
		n->c.base_peer_unknown++;
		for (size_t k = i + 1; lk != NULL && k < n->bases->n; k++)
			if (n->bases->link[k].registered) {
				send_lookup(n, k, m->addr, now_ns);
				break;
			}
		return;
	}
	/*
	 * basectl_decode verified the record: its key derives m->addr and it
	 * is signed by that key.  The base can withhold it, not forge it.
	 */
	if (memcmp(m->addr, n->id.addr, IDENTITY_ADDR_LEN) == 0)
		return;
	if (!mesh_allowed(n, m->addr)) {
		n->c.drop_base_peer_not_allowed++;
		return;
	}
	p = mesh_peer_get(n, m->er.ed_pk);
	if (p == NULL || p->is_base) {
		n->c.drop_mesh_peer_table_full++;
		return;
	}
	n->c.base_peer_info++;
	if (p->hostname[0] == '\0' && m->er.name_len > 0) {
		memcpy(p->hostname, m->er.name, m->er.name_len + 1u);
		mesh_hosts_changed(n); /* the hosts block (hosts.h) */
	}
	p->has_relay = true;
	p->relay_base = (uint8_t)i;
	memcpy(p->relay_id, m->relay_id, sizeof(p->relay_id));
	mesh_path_peer_info(n, p, m, now_ns);
	if (lk != NULL) {
		/* The held packets join the peer's queue, in order. */
		for (uint8_t k = 0; k < lk->n; k++) {
			memcpy(n->pkt + MESH_PKT_OFF, lk->buf[k] + MESH_PKT_OFF,
			       lk->len[k]);
			if (!mesh_queue_push(n, p, lk->len[k]))
				n->c.drop_tun_queue_full++;
		}
		lk->used = false;
	}
	if (p->q_n == 0)
		return;
	if (session_current(&p->session) != NULL)
		mesh_peer_flush(n, p, now_ns);
	if (p->q_n > 0)
		mesh_hs_start(n, p, now_ns);
}

void mesh_base_on_ctl(struct mesh_node *n, struct mesh_peer *p, const uint8_t *pt,
		      size_t pt_len, uint64_t now_ns)
{
	static struct basectl m; /* large; single-threaded */
	size_t i = link_of(n, p);
	enum basectl_result r;

	if (i == SIZE_MAX)
		return;
	r = basectl_decode(&m, pt, pt_len, NULL);
	if (r != BASECTL_OK) {
		n->c.basectl[r]++;
		return;
	}
	if (!basectl_from_base(m.type)) {
		n->c.drop_base_wrong_direction++;
		return;
	}
	switch (m.type) {
	case BASECTL_REGISTER_OK:
		on_register_ok(n, i, &m, now_ns);
		break;
	case BASECTL_PONG:
		if (mesh_nat_pong(n, i, &m, now_ns) || mesh_base_tcp_probe_pong(n, i, &m, now_ns))
			break;
		if (n->bases->link[i].ping_out &&
		    memcmp(m.txid, n->bases->link[i].txid, BASECTL_TXID_LEN) == 0) {
			struct mesh_base_link *l = &n->bases->link[i];

			n->c.base_pongs++;
			l->ping_out = false;
			l->last_pong_ns = now_ns;
			l->observed = m.observed;
			l->next_ping_ns = now_ns + jittered(MESH_BASE_PING_NS);
			mesh_nat_observed(n, i, now_ns);
		}
		break;
	case BASECTL_PEER_INFO:
		on_peer_info(n, i, &m, now_ns);
		break;
	default: /* NOTICE: nothing acts on it yet */
		break;
	}
}

/* ---- status ---------------------------------------------------------------- */

static void ep18_text(const struct ep18 *ep, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	uint8_t v4[4];

	if (ep->port == 0) {
		snprintf(out, cap, "none");
	} else if (ep18_is_ipv4(ep, v4)) {
		inet_ntop(AF_INET, v4, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, ep->port);
	} else {
		inet_ntop(AF_INET6, ep->addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, ep->port);
	}
}

void mesh_bases_status(const struct mesh_node *n, struct outbuf *o, bool json)
{
	const struct mesh_bases *bs = n->bases;
	char obs[INET6_ADDRSTRLEN + 16];

	if (json)
		outbuf_puts(o, ",\"bases\":[");
	else
		outbuf_puts(o, "bases:\n");
	for (size_t i = 0; bs != NULL && i < bs->n; i++) {
		const struct mesh_base_link *l = &bs->link[i];
		const char *state = l->registered			 ? "registered"
				    : session_current(&l->peer->session) ? "connected"
									 : "unreachable";

		ep18_text(&l->observed, obs, sizeof(obs));
		/* Hosts were validated as DNS names or IP literals: nothing to escape. */
		if (json)
			outbuf_printf(
			    o,
			    "%s{\"host\":\"%s\",\"udp_port\":%u,\"tcp_port\":%u,"
			    "\"transport\":\"%s\",\"state\":\"%s\","
			    "\"home\":%s,\"observed\":\"%s\"}",
			    i ? "," : "", l->cfg->host, l->cfg->udp_port, l->cfg->tcp_port,
			    l->use_tcp ? "tcp" : "udp", state,
			    bs->home == (int)i ? "true" : "false", obs);
		else
			outbuf_printf(
			    o,
			    "  host=%s udp_port=%u state=%s home=%s observed=%s "
			    "transport=%s tcp_port=%u\n",
			    l->cfg->host, l->cfg->udp_port, state,
			    bs->home == (int)i ? "yes" : "no", obs, l->use_tcp ? "tcp" : "udp",
			    l->cfg->tcp_port);
	}
	if (json)
		outbuf_puts(o, "]");
}
