/*
 * Handshakes in the daemon (see hs.h).  The order of the checks is the
 * pure module's (core/mesh/handshake.h); what is ours: a source is the
 * datagram's IPv6 (or v4-mapped) address and port, the rate limiter is
 * keyed by the address alone, and a peer enters the table only once its
 * handshake completed (the whitelist callback reads the table, it never
 * adds to it).
 */
#include "daemon/mesh/hs.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "daemon/mesh/allow.h"
#include "daemon/mesh/bases.h"
#include "daemon/mesh/data.h"
#include "daemon/mesh/nat.h"
#include "daemon/mesh/path.h"
#include "daemon/mesh/peers.h"
#include "os/linux/clock.h"

/* address ‖ port: the cookie's source (cookie.h). */
static size_t source_bytes(const union udp_addr *from, uint8_t out[COOKIE_SOURCE_MAX])
{
	memcpy(out, &from->v6.sin6_addr, 16);
	memcpy(out + 16, &from->v6.sin6_port, 2);
	return COOKIE_SOURCE_MAX;
}

static bool ops_under_load(void *ctx, uint64_t now_ns)
{
	struct mesh_node *n = ctx;

	return mesh_ratelimit_load_note(&n->load, now_ns);
}

static enum mesh_ratelimit_verdict ops_rate_limit(void *ctx, const uint8_t *src,
						  size_t src_len, uint64_t now_ns)
{
	struct mesh_node *n = ctx;

	(void)src_len;
	/* The address without the port: one host, one bucket. */
	return mesh_ratelimit_allow(&n->rl, src, 16, now_ns);
}

static bool ops_peer_allowed(void *ctx, const uint8_t ed_pk[IDENTITY_PK_LEN],
			     const uint8_t addr[IDENTITY_ADDR_LEN], struct hs_peer *peer)
{
	struct mesh_node *n = ctx;
	struct mesh_peer *p;
	uint8_t x_pub[IDENTITY_X25519_LEN];

	if (!mesh_allowed(n, addr))
		return false;
	p = mesh_peer_find(n, addr);
	if (p != NULL) {
		memcpy(peer->last_tai64n, p->last_tai64n, HS_TAI64N_LEN);
		peer->cookie = &p->cookie;
		return true;
	}
	/* Not in the table yet: a first timestamp, cookie state of the moment. */
	memset(peer->last_tai64n, 0, HS_TAI64N_LEN);
	if (identity_x25519_public(ed_pk, x_pub) < 0)
		return false;
	cookie_sender_init(&n->scratch_cookie, x_pub,
			   n->local.psk);
	peer->cookie = &n->scratch_cookie;
	return true;
}

/*
 * Cookie replies per source address (n->cookie_rl: MESH_COOKIE_RATE a
 * second after a burst of MESH_COOKIE_BURST).  A flood of HS_INITs with a
 * valid mac1 would otherwise make this node send one reply per message, a
 * syscall and a datagram each, and starve its sessions (bench row
 * mesh-flood).  The bucket is roomy on purpose: a real peer behind the
 * flooder's address (one NAT) still gets its cookie within milliseconds,
 * and 500 replies a second cost little.  A table with no room for a new
 * source sends nothing to it either: bounded work.
 */
static bool ops_cookie_reply_allowed(void *ctx, const uint8_t *src, size_t src_len,
				     uint64_t now_ns)
{
	struct mesh_node *n = ctx;

	(void)src_len; /* address ‖ port (source_bytes): the address alone */
	return mesh_ratelimit_allow(&n->cookie_rl, src, 16, now_ns) == MESH_RATELIMIT_ALLOW;
}

static struct hs_ops ops_of(struct mesh_node *n)
{
	return (struct hs_ops){
		.ctx = n,
		.under_load = ops_under_load,
		.rate_limit = ops_rate_limit,
		.cookie_reply_allowed = ops_cookie_reply_allowed,
		.peer_allowed = ops_peer_allowed,
	};
}

void mesh_peer_learn(struct mesh_node *n, struct mesh_peer *p, const union udp_addr *from,
		     socklen_t from_len, bool confirms, uint64_t now_ns)
{
	union udp_addr ep;

	if (n->rx_relay != NULL) {
		/* Through a base: the base's address is not the peer's. */
		if (p->is_base)
			return;
		p->has_relay = true;
		p->relay_base = (uint8_t)n->rx_relay->base;
		memcpy(p->relay_id, n->rx_relay->src, sizeof(p->relay_id));
		return;
	}
	if (from_len > sizeof(p->ep) || (p->is_base && mesh_nat_probe_source(n, p, from)))
		return; /* a base's NAT probe port answers, the session stays */
	if (confirms && !p->is_base && mesh_peer_relayed(n, p)) {
		/* Our HS_INIT copy reached it directly, and its answer us (path.h). */
		mesh_path_confirmed(n, p, from, from_len, now_ns);
		return;
	}
	if (!confirms && !p->is_base && mesh_peer_has_relay(n, p)) {
		/* One stray packet never moves a relayed peer (path.h). */
		mesh_path_nominate(n, p, from, from_len, now_ns);
		return;
	}
	/* Through a copy: `from` may be &p->ep itself (a base's TCP frames). */
	memset(&ep, 0, sizeof(ep));
	memcpy(&ep, from, from_len);
	p->direct_ok = true;
	p->ep = ep;
	p->ep_len = from_len;
}

void mesh_hs_cancel(struct mesh_node *n, struct mesh_peer *p)
{
	if (p->init.active)
		session_index_remove(&n->index, p->init.local_index);
	hs_initiator_wipe(&p->init);
	p->hs_pending = false;
}

void mesh_hs_initiate(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	uint8_t *out = n->pkt;
	int err = -EEXIST;

	if (!mesh_peer_reachable(n, p))
		return;
	/* A retransmission is a new initiation: the old index goes. */
	if (p->init.active)
		session_index_remove(&n->index, p->init.local_index);
	for (int tries = 0; tries < 4 && err == -EEXIST; tries++) {
		if (hs_initiator_start(&p->init, &n->local, p->ed_pk, &p->cookie, 0, wall_ns(),
				       now_ns, NULL, out) < 0) {
			hs_initiator_wipe(&p->init);
			return;
		}
		err = session_index_insert(&n->index, p->init.local_index, &p->session);
	}
	if (err < 0) {
		n->c.drop_mesh_index_full++;
		hs_initiator_wipe(&p->init);
		return;
	}
	p->hs_last_sent_ns = now_ns;
	p->hs_sent++;
	n->c.handshakes_sent++;
	mesh_peer_xmit(n, p, out, MSG_HS_INIT_LEN);
	mesh_path_hs_copies(n, p, out, MSG_HS_INIT_LEN);
}

void mesh_hs_start(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	if (p->hs_pending || !mesh_peer_reachable(n, p))
		return;
	p->hs_pending = true;
	p->hs_sent = 0;
	p->hs_started_ns = now_ns;
	mesh_hs_initiate(n, p, now_ns);
}

void mesh_hs_on_init(struct mesh_node *n, const uint8_t *msg, size_t len,
		     const union udp_addr *from, socklen_t from_len, uint64_t now_ns)
{
	struct hs_ops ops = ops_of(n);
	uint8_t src[COOKIE_SOURCE_MAX], out[HS_REPLY_MAX];
	size_t src_len = source_bytes(from, src), out_len = 0;
	struct hs_keys keys;
	struct mesh_peer *p;
	enum hs_reason r;

	r = hs_respond(&n->local, &ops, msg, len, src, src_len, 0, now_ns, NULL, out,
		       &out_len, &keys);
	if (r == HS_DROP_UNDER_LOAD) {
		n->c.hs[r]++;
		if (out_len == 0) {
			n->c.cookie_replies_limited++;
			return;
		}
		n->c.cookie_replies_sent++;
		mesh_udp_send(n, from, from_len, out, out_len);
		return;
	}
	if (r != HS_OK) {
		n->c.hs[r]++;
		return;
	}
	p = mesh_peer_get(n, keys.peer_ed_pk);
	if (p == NULL) {
		n->c.drop_mesh_peer_table_full++;
		hs_keys_wipe(&keys);
		return;
	}
	if (session_index_insert(&n->index, keys.local_index, &p->session) < 0) {
		n->c.drop_mesh_index_full++;
		hs_keys_wipe(&keys);
		return;
	}
	memcpy(p->last_tai64n, keys.tai64n, HS_TAI64N_LEN);
	/*
	 * Crossing initiations (each side sent one before it saw the other's):
	 * the side with the lower address gives its own up and only answers,
	 * so one handshake makes the keypair both send on.  When both went
	 * through, each side sent on the keypair the other held as previous,
	 * and the next rekey, which drops previous, dropped the DATA in flight
	 * under it on both sides (t_mesh_rekey: a ping in ~1 of 20 runs, a
	 * dozen TCP segments in most).  The given-up initiation's HS_RESP, if
	 * one comes, finds no initiation (drop_mesh_unknown_receiver).
	 */
	if (p->hs_pending && memcmp(n->id.addr, p->addr, IDENTITY_ADDR_LEN) < 0)
		mesh_hs_cancel(n, p);
	session_install(&p->session, &n->index, &keys, now_ns);
	mesh_peer_learn(n, p, from, from_len, false, now_ns);
	p->handshake_wall_ns = wall_ns();
	n->c.handshakes_answered++;
	n->c.handshakes_completed++;
	mesh_peer_xmit(n, p, out, out_len);
}

void mesh_hs_on_resp(struct mesh_node *n, const uint8_t *msg, size_t len,
		     const union udp_addr *from, socklen_t from_len, uint64_t now_ns)
{
	struct hs_ops ops = ops_of(n);
	uint32_t receiver = msg_receiver(msg, MSG_CLASS_HS_RESP);
	struct session *s = session_index_lookup(&n->index, receiver);
	uint8_t src[COOKIE_SOURCE_MAX], out[HS_REPLY_MAX];
	size_t src_len = source_bytes(from, src), out_len = 0;
	struct hs_keys keys;
	struct mesh_peer *p;
	enum hs_reason r;

	p = s != NULL ? mesh_peer_of_session(s) : NULL;
	if (p == NULL || !p->init.active || p->init.local_index != receiver) {
		n->c.drop_mesh_unknown_receiver++;
		return;
	}
	r = hs_initiator_consume(&p->init, &n->local, &ops, msg, len, src, src_len, now_ns,
				 out, &out_len, &keys);
	if (r != HS_OK) {
		n->c.hs[r]++;
		if (out_len > 0) {
			n->c.cookie_replies_sent++;
			mesh_udp_send(n, from, from_len, out, out_len);
		}
		return;
	}
	/* keys.local_index is the initiation's, already in the index table. */
	session_install(&p->session, &n->index, &keys, now_ns);
	p->hs_pending = false;
	mesh_peer_learn(n, p, from, from_len, true, now_ns);
	p->handshake_wall_ns = wall_ns();
	n->c.handshakes_completed++;
	/* The responder confirms the keypair with our first DATA. */
	if (p->q_n > 0) {
		mesh_peer_flush(n, p, now_ns);
	} else {
		(void)mesh_peer_send(n, p, n->pkt, 0, now_ns);
	}
	if (p->is_base)
		mesh_base_established(n, p, now_ns);
}

void mesh_hs_on_cookie(struct mesh_node *n, const uint8_t *msg, size_t len, uint64_t now_ns)
{
	uint32_t receiver = msg_receiver(msg, MSG_CLASS_COOKIE_REPLY);
	struct session *s = session_index_lookup(&n->index, receiver);
	struct mesh_peer *p;

	(void)len;
	if (s == NULL) {
		n->c.drop_mesh_unknown_receiver++;
		return;
	}
	p = mesh_peer_of_session(s);
	if (!cookie_sender_consume_reply(&p->cookie, msg, now_ns)) {
		n->c.drop_mesh_cookie_reply++;
		return;
	}
	n->c.cookie_replies_received++;
}
