/*
 * Direct paths through NATs (see path.h).  A relayed peer's path state:
 *
 *   relayed --round--> probing --PONG from a candidate--> direct
 *      ^                  |                                  |
 *      +--- no PONG in ---+      heartbeats unanswered 10 s  |
 *      |    5.5 s: backoff 35 s .. 300 s                     |
 *      +-----------------------------------------------------+
 *
 * A round: PUNCH then PATH_PING to every candidate at 0, 0.5, 1.5 and
 * 3.5 s, CALL_ME_MAYBE over the relay after the first pings (unless the
 * round answers the peer's CALL_ME_MAYBE), over after 5.5 s.  New
 * information (a changed PEER_INFO, CALL_ME_MAYBE, a peer-reflexive
 * source) starts one at once.  Only a PATH_PONG that echoes the txid we
 * sent to a candidate, arriving from that same address, makes it the
 * endpoint (research/mesh-design.md §3.2).
 */
#include "daemon/mesh/path.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/mesh/er.h"
#include "core/status.h"
#include "daemon/mesh/bases.h"
#include "daemon/mesh/data.h"
#include "daemon/mesh/nat.h"

/* Ping steps of a round, from its start. */
static const uint64_t step_ns[] = {0, MESH_NS_PER_S / 2, 3 * MESH_NS_PER_S / 2,
				   7 * MESH_NS_PER_S / 2};
enum { STEPS = sizeof(step_ns) / sizeof(step_ns[0]) };

/* ---- endpoints ------------------------------------------------------------- */

static void ep_of(const struct ep18 *ep, union udp_addr *to, socklen_t *to_len)
{
	memset(to, 0, sizeof(*to));
	to->v6.sin6_family = AF_INET6;
	memcpy(&to->v6.sin6_addr, ep->addr, EP18_ADDR_LEN);
	to->v6.sin6_port = htons(ep->port);
	*to_len = sizeof(to->v6);
}

/* The mesh socket is dual-stack: every source is AF_INET6 (IPv4 mapped). */
static bool ep18_of(const union udp_addr *from, struct ep18 *ep)
{
	if (from->sa.sa_family != AF_INET6)
		return false;
	ep18_from_ipv6(ep, from->v6.sin6_addr.s6_addr, ntohs(from->v6.sin6_port));
	return true;
}

static bool same_ep(const union udp_addr *a, const struct ep18 *ep)
{
	return a->sa.sa_family == AF_INET6 && ntohs(a->v6.sin6_port) == ep->port &&
	       memcmp(&a->v6.sin6_addr, ep->addr, EP18_ADDR_LEN) == 0;
}

static bool same_addr(const union udp_addr *a, const union udp_addr *b)
{
	return a->sa.sa_family == AF_INET6 && b->sa.sa_family == AF_INET6 &&
	       a->v6.sin6_port == b->v6.sin6_port &&
	       memcmp(&a->v6.sin6_addr, &b->v6.sin6_addr, 16) == 0;
}

static bool is_direct(const struct mesh_node *n, const struct mesh_peer *p)
{
	return !mesh_peer_relayed(n, p) && p->direct_ok && p->ep_len != 0;
}

/* Add ep (from src); true when it is new.  A full table keeps what it has. */
static bool cand_add(struct mesh_path *s, const struct ep18 *ep, uint8_t src)
{
	for (uint8_t i = 0; i < s->n_cand; i++)
		if (ep18_equal(&s->cand[i].ep, ep)) {
			s->cand[i].src |= src;
			return false;
		}
	if (s->n_cand == MESH_CANDS)
		return false;
	memset(&s->cand[s->n_cand], 0, sizeof(s->cand[0]));
	s->cand[s->n_cand].ep = *ep;
	s->cand[s->n_cand].src = src;
	s->n_cand++;
	return true;
}

/* New information: a round now, unless one runs or the path is direct. */
static void news(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	if (!is_direct(n, p) && !p->path.round)
		p->path.next_round_ns = now_ns;
}

static void rtt_sample(struct mesh_node *n, struct mesh_path *s, uint64_t sent_ns,
		       uint64_t now_ns)
{
	s->rtt_ns = status_rtt_smooth(s->rtt_ns, now_ns - sent_ns);
	n->c.rtt_samples++;
}

/* The path changed: what was measured on the old one says nothing. */
static void rtt_forget(struct mesh_path *s)
{
	s->rtt_ns = 0;
	s->rtt_out = false;
}

/* ---- sending ---------------------------------------------------------------- */

/* A peer control message, sealed in p's session, to `to` (NULL: p's path). */
static void send_ctl(struct mesh_node *n, struct mesh_peer *p, const struct pathctl *m,
		     const union udp_addr *to, socklen_t to_len, uint64_t now_ns)
{
	uint8_t buf[MESH_PKT_BUF];
	size_t len;

	if (pathctl_encode(m, buf + MESH_PKT_OFF, MSG_DATA_MAX_PLAINTEXT, &len) !=
	    PATHCTL_OK)
		return;
	(void)mesh_peer_send_via(n, p, buf, len, to, to_len, now_ns);
}

static void send_ping(struct mesh_node *n, struct mesh_peer *p, const uint8_t *txid,
		      const union udp_addr *to, socklen_t to_len, uint64_t now_ns)
{
	struct pathctl m;

	memset(&m, 0, sizeof(m));
	m.type = PATHCTL_PING;
	m.size = PATHCTL_PING_MIN_LEN;
	memcpy(m.txid, txid, PATHCTL_TXID_LEN);
	n->c.path_pings_sent++;
	send_ctl(n, p, &m, to, to_len, now_ns);
}

static void send_punch(struct mesh_node *n, const union udp_addr *to, socklen_t to_len)
{
	uint8_t b[MSG_PUNCH_LEN];

	msg_punch_put(b);
	n->c.punches_sent++;
	mesh_udp_send(n, to, to_len, b, sizeof(b));
}

/* Our candidates: the record's local endpoints, then what the bases saw. */
static void send_cmm(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	const struct mesh_bases *bs = n->bases;
	struct pathctl m;

	memset(&m, 0, sizeof(m));
	m.type = PATHCTL_CALL_ME_MAYBE;
	for (uint8_t i = 0; i < bs->rec.n && m.n < PATHCTL_CMM_MAX; i++)
		m.ep[m.n++] = bs->rec.ep[i];
	for (size_t i = 0; i < bs->n && m.n < PATHCTL_CMM_MAX; i++) {
		const struct ep18 *o = &bs->link[i].observed;
		bool dup = false;

		if (!bs->link[i].registered || !ep18_candidate(o))
			continue;
		for (uint8_t k = 0; k < m.n; k++)
			dup = dup || ep18_equal(&m.ep[k], o);
		if (!dup)
			m.ep[m.n++] = *o;
	}
	n->c.path_cmm_sent++;
	send_ctl(n, p, &m, NULL, 0, now_ns);
}

/* ---- rounds -------------------------------------------------------------- */

static void round_start(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	struct mesh_path *s = &p->path;

	s->round = true;
	s->step = 0;
	s->round_ns = now_ns;
	s->why = MESH_WHY_PROBING;
	if (s->relayed_ns == 0)
		s->relayed_ns = now_ns;
	for (uint8_t i = 0; i < s->n_cand; i++)
		randombytes_buf(s->cand[i].txid, PATHCTL_TXID_LEN);
	/*
	 * No candidate of it (we answered its handshake through a base, and its
	 * CALL_ME_MAYBE may never come: ours can start its round quiet): ask
	 * the base; PEER_INFO's candidates join this round.
	 */
	if (s->n_cand == 0)
		mesh_base_lookup(n, p->addr, now_ns);
	n->c.path_rounds++;
}

/* PUNCH, then PATH_PING, to every candidate. */
static void round_step(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	struct mesh_path *s = &p->path;

	for (uint8_t i = 0; i < s->n_cand; i++) {
		union udp_addr to;
		socklen_t to_len;

		ep_of(&s->cand[i].ep, &to, &to_len);
		send_punch(n, &to, to_len);
		send_ping(n, p, s->cand[i].txid, &to, to_len, now_ns);
	}
	/* Ping first, signal second: our NAT is open when its pings come. */
	if (s->step == 0 && !s->round_quiet)
		send_cmm(n, p, now_ns);
	s->step++;
}

static void round_failed(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	struct mesh_path *s = &p->path;

	s->round = false;
	s->round_quiet = false;
	s->why = MESH_WHY_NO_ANSWER;
	if (s->backoff_ns == 0)
		s->backoff_ns = MESH_PATH_BACKOFF_NS;
	s->next_round_ns = now_ns + s->backoff_ns;
	s->backoff_ns = s->backoff_ns * 2 > MESH_PATH_BACKOFF_MAX_NS
			    ? MESH_PATH_BACKOFF_MAX_NS
			    : s->backoff_ns * 2;
	n->c.path_rounds_failed++;
}

static void upgrade(struct mesh_node *n, struct mesh_peer *p, const union udp_addr *from,
		    socklen_t from_len, uint64_t now_ns)
{
	struct mesh_path *s = &p->path;
	char ip[INET6_ADDRSTRLEN] = "?";

	memset(&p->ep, 0, sizeof(p->ep));
	memcpy(&p->ep, from, from_len);
	p->ep_len = from_len;
	p->direct_ok = true;
	s->round = false;
	s->round_quiet = false;
	s->why = MESH_WHY_NOT_YET;
	s->backoff_ns = 0;
	s->hb_out = false;
	s->dual = false;
	s->last_pong_ns = s->hb_last_ns = now_ns;
	rtt_forget(s);
	s->upgrades++;
	n->c.path_upgrades++;
	if (IN6_IS_ADDR_V4MAPPED(&from->v6.sin6_addr))
		inet_ntop(AF_INET, &from->v6.sin6_addr.s6_addr[12], ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, &from->v6.sin6_addr, ip, sizeof(ip));
	fprintf(stderr,
		"subnetrad: peer %s: direct path %s port %u (%" PRIu64
		" ms after relaying)\n",
		p->hostname[0] != '\0' ? p->hostname : "?", ip, ntohs(from->v6.sin6_port),
		s->relayed_ns != 0 ? (now_ns - s->relayed_ns) / 1000000 : 0);
}

static void fallback(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	struct mesh_path *s = &p->path;

	p->direct_ok = false;
	s->hb_out = false;
	s->dual = false;
	s->why = MESH_WHY_STOPPED;
	s->relayed_ns = now_ns;
	s->backoff_ns = MESH_PATH_BACKOFF_NS;
	s->next_round_ns = now_ns + s->backoff_ns;
	s->backoff_ns *= 2;
	s->fallbacks++;
	rtt_forget(s);
	n->c.path_fallbacks++;
	fprintf(stderr,
		"subnetrad: peer %s: the direct path stopped answering; relayed\n",
		p->hostname[0] != '\0' ? p->hostname : "?");
}

/* ---- heartbeats ------------------------------------------------------------ */

static void heartbeat(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	struct mesh_path *s = &p->path;
	bool active =
	    p->last_data_ns != 0 && now_ns - p->last_data_ns < MESH_PATH_ACTIVE_NS;
	uint64_t every = active || s->hb_out ? MESH_PATH_HB_NS : MESH_PATH_HB_IDLE_NS;

	if (s->hb_out && now_ns - s->hb_first_ns >= MESH_PATH_DEAD_NS) {
		fallback(n, p, now_ns);
		return;
	}
	s->dual = s->hb_out && now_ns - s->hb_first_ns >= MESH_PATH_TRUST_NS;
	if (now_ns - s->hb_last_ns < every)
		return;
	if (!s->hb_out) {
		randombytes_buf(s->hb_txid, PATHCTL_TXID_LEN);
		s->hb_out = true;
		s->hb_first_ns = now_ns;
	}
	s->hb_last_ns = now_ns;
	send_ping(n, p, s->hb_txid, &p->ep, p->ep_len, now_ns);
}

/*
 * Where no heartbeat runs (a relayed peer, a LAN peer without a relay): a
 * PATH_PING over the session's path every MESH_PATH_HB_NS while IP packets
 * flow, for its round-trip time only.  A new one replaces one unanswered.
 */
static void rtt_ping(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	struct mesh_path *s = &p->path;

	if (p->last_data_ns == 0 || now_ns - p->last_data_ns >= MESH_PATH_ACTIVE_NS ||
	    (s->rtt_sent_ns != 0 && now_ns - s->rtt_sent_ns < MESH_PATH_HB_NS))
		return;
	randombytes_buf(s->rtt_txid, PATHCTL_TXID_LEN);
	s->rtt_out = true;
	s->rtt_sent_ns = now_ns;
	send_ping(n, p, s->rtt_txid, NULL, 0, now_ns);
}

void mesh_path_tick(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	struct mesh_path *s = &p->path;

	if (p->is_base || session_current(&p->session) == NULL) {
		s->round = false;
		s->dual = false;
		return;
	}
	if (!mesh_peer_has_relay(n, p)) {
		s->round = false;
		s->dual = false;
		rtt_ping(n, p, now_ns);
		return;
	}
	if (is_direct(n, p)) {
		heartbeat(n, p, now_ns);
		return;
	}
	rtt_ping(n, p, now_ns);
	if (s->relayed_ns == 0)
		s->relayed_ns = now_ns;
	if (!s->round) {
		if (now_ns >= s->next_round_ns)
			round_start(n, p, now_ns);
		else
			return;
	}
	if (s->step < STEPS && now_ns - s->round_ns >= step_ns[s->step])
		round_step(n, p, now_ns);
	else if (s->step == STEPS && now_ns - s->round_ns >= MESH_PATH_ROUND_NS)
		round_failed(n, p, now_ns);
}

void mesh_path_reprobe_now(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	struct mesh_path *s = &p->path;

	if (is_direct(n, p)) {
		s->hb_last_ns = 0;
	} else if (!s->round) {
		s->backoff_ns = 0;
		s->next_round_ns = now_ns;
	}
}

/* ---- receiving ------------------------------------------------------------- */

void mesh_path_confirmed(struct mesh_node *n, struct mesh_peer *p,
			 const union udp_addr *from, socklen_t from_len, uint64_t now_ns)
{
	upgrade(n, p, from, from_len, now_ns);
}

/* The first candidate from src not in taken[], or -1. */
static int cand_pick(const struct mesh_path *s, uint8_t src, const bool *taken)
{
	for (uint8_t i = 0; i < s->n_cand; i++)
		if ((s->cand[i].src & src) && !taken[i])
			return i;
	return -1;
}

void mesh_path_hs_copies(struct mesh_node *n, struct mesh_peer *p, const uint8_t *msg,
			 size_t len)
{
	/* Most likely to reach it first: what a base or the peer itself showed. */
	static const uint8_t order[] = {MESH_CAND_OBSERVED, MESH_CAND_PRFLX, MESH_CAND_CMM,
					MESH_CAND_ER};
	const struct mesh_path *s = &p->path;
	bool taken[MESH_CANDS] = {false};
	unsigned sent = 0;

	if (!mesh_peer_relayed(n, p))
		return;
	for (size_t k = 0; k < sizeof(order) && sent < MESH_HS_CANDS; k++) {
		int i;

		while (sent < MESH_HS_CANDS && (i = cand_pick(s, order[k], taken)) >= 0) {
			union udp_addr to;
			socklen_t to_len;

			taken[i] = true;
			ep_of(&s->cand[i].ep, &to, &to_len);
			mesh_udp_send(n, &to, to_len, msg, len);
			n->c.handshakes_sent_direct++;
			sent++;
		}
	}
}

void mesh_path_nominate(struct mesh_node *n, struct mesh_peer *p,
			const union udp_addr *from, socklen_t from_len, uint64_t now_ns)
{
	struct ep18 ep;

	(void)from_len;
	if (p->direct_ok && p->ep_len != 0 && same_addr(from, &p->ep))
		return; /* the direct path itself */
	if (!ep18_of(from, &ep) || !ep18_observed(&ep))
		return;
	if (cand_add(&p->path, &ep, MESH_CAND_PRFLX)) {
		n->c.path_candidates_nominated++;
		news(n, p, now_ns);
	}
}

void mesh_path_peer_info(struct mesh_node *n, struct mesh_peer *p,
			 const struct basectl *m, uint64_t now_ns)
{
	bool added = false;

	p->path.peer_nat_flags = m->er.nat_flags;
	for (uint8_t i = 0; i < m->er.n; i++)
		added |= cand_add(&p->path, &m->er.ep[i], MESH_CAND_ER);
	for (uint8_t i = 0; i < m->n_obs; i++)
		if (ep18_observed(&m->obs[i]))
			added |= cand_add(&p->path, &m->obs[i], MESH_CAND_OBSERVED);
	if (added)
		news(n, p, now_ns);
}

static void on_ping(struct mesh_node *n, struct mesh_peer *p, const struct pathctl *m,
		    const union udp_addr *from, socklen_t from_len, uint64_t now_ns)
{
	struct pathctl r;

	n->c.path_pings_received++;
	if (!ep18_of(from, &(struct ep18){0}))
		return;
	memset(&r, 0, sizeof(r));
	r.type = PATHCTL_PONG;
	memcpy(r.txid, m->txid, PATHCTL_TXID_LEN);
	(void)ep18_of(from, &r.observed);
	n->c.path_pongs_sent++;
	/* Answered where it came from: that is the path being tested (through
	 * a base: the relay, for the sender's RTT). */
	if (n->rx_relay != NULL)
		send_ctl(n, p, &r, NULL, 0, now_ns);
	else
		send_ctl(n, p, &r, from, from_len, now_ns);
}

static void on_pong(struct mesh_node *n, struct mesh_peer *p, const struct pathctl *m,
		    const union udp_addr *from, socklen_t from_len, uint64_t now_ns)
{
	struct mesh_path *s = &p->path;

	if (s->rtt_out && sodium_memcmp(m->txid, s->rtt_txid, PATHCTL_TXID_LEN) == 0) {
		s->rtt_out = false;
		rtt_sample(n, s, s->rtt_sent_ns, now_ns);
		return;
	}
	if (n->rx_relay == NULL) {
		if (is_direct(n, p) && s->hb_out && same_addr(from, &p->ep) &&
		    sodium_memcmp(m->txid, s->hb_txid, PATHCTL_TXID_LEN) == 0) {
			n->c.path_pongs_received++;
			/* Sent once: its time is the round trip's. */
			if (s->hb_first_ns == s->hb_last_ns)
				rtt_sample(n, s, s->hb_last_ns, now_ns);
			s->hb_out = false;
			s->dual = false;
			s->last_pong_ns = now_ns;
			return;
		}
		for (uint8_t i = 0; !is_direct(n, p) && i < s->n_cand; i++)
			if (same_ep(from, &s->cand[i].ep) &&
			    sodium_memcmp(m->txid, s->cand[i].txid, PATHCTL_TXID_LEN) ==
				0) {
				n->c.path_pongs_received++;
				upgrade(n, p, from, from_len, now_ns);
				return;
			}
	}
	n->c.path_pongs_unmatched++;
}

static void on_cmm(struct mesh_node *n, struct mesh_peer *p, const struct pathctl *m,
		   uint64_t now_ns)
{
	bool was_round = p->path.round;

	n->c.path_cmm_received++;
	for (uint8_t i = 0; i < m->n; i++)
		(void)cand_add(&p->path, &m->ep[i], MESH_CAND_CMM);
	if (is_direct(n, p) || was_round)
		return; /* its new candidates get the next pings of this round */
	/* It probes us now: our pings open our NAT for its; no CMM back. */
	p->path.backoff_ns = 0;
	round_start(n, p, now_ns);
	p->path.round_quiet = true;
}

void mesh_path_on_ctl(struct mesh_node *n, struct mesh_peer *p, const uint8_t *pt,
		      size_t pt_len, const union udp_addr *from, socklen_t from_len,
		      uint64_t now_ns)
{
	struct pathctl m;

	if (pathctl_decode(&m, pt, pt_len) != PATHCTL_OK) {
		n->c.peer_control_ignored++;
		return;
	}
	switch (m.type) {
	case PATHCTL_PING:
		on_ping(n, p, &m, from, from_len, now_ns);
		break;
	case PATHCTL_PONG:
		on_pong(n, p, &m, from, from_len, now_ns);
		break;
	case PATHCTL_CALL_ME_MAYBE:
		on_cmm(n, p, &m, now_ns);
		break;
	}
}

/*
 * A round that got no answer, in NAT terms: between two NATs that map per
 * destination no probe can hit the port the other's NAT opened (there is
 * no port guessing); with one, the other side's filter must have let a
 * packet from an unannounced port in, and it did not.
 */
static const char *nat_why(bool ours_edm, bool theirs_edm)
{
	if (ours_edm && theirs_edm)
		return "both NATs map ports per destination";
	if (ours_edm)
		return "our NAT maps ports per destination";
	if (theirs_edm)
		return "the peer's NAT maps ports per destination";
	return "no candidate answered";
}

const char *mesh_path_why(const struct mesh_node *n, const struct mesh_peer *p)
{
	if (!mesh_peer_relayed(n, p))
		return NULL;
	switch (p->path.why) {
	case MESH_WHY_PROBING:
		return "probing";
	case MESH_WHY_NO_ANSWER:
		if (p->path.n_cand == 0)
			return "no candidates";
		return nat_why(mesh_nat_class(n) == NAT_PER_DESTINATION,
			       (p->path.peer_nat_flags & ER_NAT_EDM) != 0);
	case MESH_WHY_STOPPED:
		return "the direct path stopped answering";
	default:
		return session_current(&p->session) == NULL ? "no session yet"
							    : "not probed yet";
	}
}

bool mesh_path_rtt(const struct mesh_peer *p, uint64_t *ns)
{
	*ns = p->path.rtt_ns;
	return p->path.rtt_ns != 0;
}
