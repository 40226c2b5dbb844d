/*
 * The base's UDP port, and every frame whatever its transport (see
 * server.h; a TCP connection's frames come through base_tcp_frame and are
 * answered on that connection).  Receive order for a datagram:
 * msg_classify (length, type, reserved; a relay frame's inner header) ->
 *   HS_INIT: the responder (core/mesh/handshake.h: mac1, load, cookie,
 *            Noise, identity filter; every node key is admitted, as a base
 *            serves any node that can prove its key) -> session installed;
 *   DATA:    receiver index -> session_open (replay, AEAD) -> only base
 *            control (basectl_decode verifies a REGISTER's ER) -> registry;
 *   RELAY:   registry_relay (the sender check: the frame must come from
 *            the source relay id's registered transport) -> the header is
 *            rewritten in place as RELAYED and queued for one sendmmsg per
 *            receive batch.  Never decrypted: the base cannot read it.
 * Everything else is counted and dropped.
 */
#include "daemon/base/server.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "core/mesh/pathctl.h"
#include "os/linux/clock.h"

/* ---- the client table (nodes with a session) ---------------------------- */

int base_clients_init(struct base_server *b)
{
	b->clients = calloc(BASE_CLIENTS_MAX, sizeof(*b->clients));
	b->hash = malloc(BASE_CLIENT_HASH * sizeof(*b->hash));
	if (b->clients == NULL || b->hash == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < BASE_CLIENT_HASH; i++)
		b->hash[i] = -1;
	crypto_shorthash_keygen(b->hash_key);
	return 0;
}

void base_clients_free(struct base_server *b)
{
	if (b->clients != NULL) {
		for (size_t i = 0; i < b->n_clients; i++) {
			session_wipe_keys(&b->clients[i].session, NULL);
			cookie_sender_wipe(&b->clients[i].cookie);
		}
		sodium_memzero(b->clients, BASE_CLIENTS_MAX * sizeof(*b->clients));
	}
	free(b->clients);
	free(b->hash);
	b->clients = NULL;
	b->hash = NULL;
}

static size_t home(const struct base_server *b, const uint8_t addr[IDENTITY_ADDR_LEN])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, addr, IDENTITY_ADDR_LEN, b->hash_key);
	for (size_t i = 0; i < sizeof(v); i++)
		v = v << 8 | h[i];
	return (size_t)(v & (BASE_CLIENT_HASH - 1));
}

static struct base_client *client_find(struct base_server *b,
				       const uint8_t addr[IDENTITY_ADDR_LEN])
{
	size_t at = home(b, addr);

	/* At most half full: an empty slot ends every probe. */
	for (size_t i = 0; i < BASE_CLIENT_HASH;
	     i++, at = (at + 1) & (BASE_CLIENT_HASH - 1)) {
		int16_t k = b->hash[at];

		if (k < 0)
			return NULL;
		if (memcmp(b->clients[k].addr, addr, IDENTITY_ADDR_LEN) == 0)
			return &b->clients[k];
	}
	return NULL;
}

/*
 * The client of ed_pk, added when new.  Clients are never removed while
 * the base runs (a node that comes back reuses its slot); the table holds
 * BASE_CLIENTS_MAX distinct nodes, each of which had to complete a
 * handshake (prove its key) to take a slot.
 */
static struct base_client *client_get(struct base_server *b,
				      const uint8_t ed_pk[IDENTITY_PK_LEN])
{
	uint8_t addr[IDENTITY_ADDR_LEN], x_pub[IDENTITY_X25519_LEN];
	struct base_client *c;
	size_t at;

	identity_address(ed_pk, addr);
	c = client_find(b, addr);
	if (c != NULL)
		return c;
	if (b->n_clients == BASE_CLIENTS_MAX || identity_x25519_public(ed_pk, x_pub) < 0)
		return NULL;
	c = &b->clients[b->n_clients];
	memset(c, 0, sizeof(*c));
	c->used = true;
	memcpy(c->addr, addr, sizeof(addr));
	memcpy(c->ed_pk, ed_pk, IDENTITY_PK_LEN);
	session_init(&c->session, b->id.addr, addr);
	cookie_sender_init(&c->cookie, x_pub, b->local.psk);
	for (at = home(b, addr); b->hash[at] >= 0; at = (at + 1) & (BASE_CLIENT_HASH - 1))
		;
	b->hash[at] = (int16_t)b->n_clients;
	b->n_clients++;
	return c;
}

static struct base_client *client_of_session(struct session *s)
{
	return (struct base_client *)(void *)((char *)s -
					      offsetof(struct base_client, session));
}

/* ---- sending ------------------------------------------------------------- */

/* To src: its TCP connection, or a datagram. */
static void src_send(struct base_server *b, const struct base_src *to,
		     const uint8_t *buf, size_t len)
{
	if (to->conn != 0) {
		base_tcp_send(b, to->conn, buf, len);
		return;
	}
	if (sendto(b->udp_fd, buf, len, MSG_DONTWAIT, &to->ep.sa, to->ep_len) < 0) {
		b->c.drop_udp_send++;
		return;
	}
	b->c.udp_tx_packets++;
	b->c.udp_tx_bytes += len;
}

static void transport_of(const struct base_src *from, struct registry_transport *tr)
{
	memset(tr, 0, sizeof(*tr));
	/* The sockets are IPv6 with v4-mapped IPv4: the EP18 encoding as it is. */
	memcpy(tr->addr, &from->ep.v6.sin6_addr, EP18_ADDR_LEN);
	tr->port = ntohs(from->ep.v6.sin6_port);
	tr->kind = from->conn != 0 ? REGISTRY_TCP : REGISTRY_UDP;
	tr->tcp_conn = from->conn;
}

static void src_of(const struct registry_transport *tr, struct base_src *to)
{
	memset(to, 0, sizeof(*to));
	to->ep.v6.sin6_family = AF_INET6;
	memcpy(&to->ep.v6.sin6_addr, tr->addr, EP18_ADDR_LEN);
	to->ep.v6.sin6_port = htons(tr->port);
	to->ep_len = sizeof(to->ep.v6);
	to->conn = tr->kind == REGISTRY_TCP ? tr->tcp_conn : 0;
}

/* Seal a registry message for c and send it to `to`. */
static void send_msg(struct base_server *b, struct base_client *c,
		     const struct base_src *to, const struct registry_msg *rm,
		     uint64_t now_ns)
{
	/* Large (the ALLOW list): static, the base is single-threaded. */
	static struct basectl m;
	size_t len, out_len;

	registry_msg_basectl(rm, &m);
	if (basectl_encode(&m, b->pkt + MSG_DATA_HEADER_LEN, MSG_DATA_MAX_PLAINTEXT,
			   &len) != BASECTL_OK ||
	    session_seal(&c->session, now_ns, b->pkt, len, sizeof(b->pkt), &out_len) <
		0) {
		b->c.drop_seal++;
		return;
	}
	b->c.control_sent++;
	src_send(b, to, b->pkt, out_len);
}

void base_push(void *ctx, const struct registry_transport *to,
	       const struct registry_msg *m)
{
	struct base_server *b = ctx;
	/*
	 * registry.c passes the registered node's own transport field, so the
	 * node (and its address, which names its session) is the struct
	 * around it.
	 */
	const struct registry_node *rn =
	    (const struct registry_node *)(const void *)((const char *)to -
							 offsetof(struct registry_node,
								  tr));
	struct base_client *c = client_find(b, rn->addr);
	struct base_src dst;

	if (c == NULL || session_current(&c->session) == NULL) {
		b->c.drop_push_no_session++;
		return;
	}
	src_of(to, &dst);
	send_msg(b, c, &dst, m, mono_ns());
}

/* ---- handshakes ---------------------------------------------------------- */

static bool ops_under_load(void *ctx, uint64_t now_ns)
{
	struct base_server *b = ctx;

	return mesh_ratelimit_load_note(&b->load, now_ns);
}

static enum mesh_ratelimit_verdict ops_rate_limit(void *ctx, const uint8_t *src,
						  size_t src_len, uint64_t now_ns)
{
	struct base_server *b = ctx;

	(void)src_len;
	return mesh_ratelimit_allow(&b->rl, src, 16, now_ns); /* the address, no port */
}

/* A base answers every node; only the newest timestamp per key is checked. */
static bool ops_peer_allowed(void *ctx, const uint8_t ed_pk[IDENTITY_PK_LEN],
			     const uint8_t addr[IDENTITY_ADDR_LEN], struct hs_peer *peer)
{
	struct base_server *b = ctx;
	struct base_client *c = client_find(b, addr);
	uint8_t x_pub[IDENTITY_X25519_LEN];

	if (c != NULL) {
		memcpy(peer->last_tai64n, c->last_tai64n, HS_TAI64N_LEN);
		peer->cookie = &c->cookie;
		return true;
	}
	memset(peer->last_tai64n, 0, HS_TAI64N_LEN);
	if (identity_x25519_public(ed_pk, x_pub) < 0)
		return false;
	cookie_sender_init(&b->scratch_cookie, x_pub, b->local.psk);
	peer->cookie = &b->scratch_cookie;
	return true;
}

static void on_init(struct base_server *b, const uint8_t *msg, size_t len,
		    const struct base_src *from, uint64_t now_ns)
{
	struct hs_ops ops = {.ctx = b,
			     .under_load = ops_under_load,
			     .rate_limit = ops_rate_limit,
			     .peer_allowed = ops_peer_allowed};
	uint8_t src[COOKIE_SOURCE_MAX], out[HS_REPLY_MAX];
	size_t out_len = 0;
	struct hs_keys keys;
	struct base_client *c;
	enum hs_reason r;

	memcpy(src, &from->ep.v6.sin6_addr, 16);
	memcpy(src + 16, &from->ep.v6.sin6_port, 2);
	r = hs_respond(&b->local, &ops, msg, len, src, COOKIE_SOURCE_MAX, 0, now_ns, NULL,
		       out, &out_len, &keys);
	if (r == HS_DROP_UNDER_LOAD && out_len > 0) {
		b->c.hs[r]++;
		b->c.cookie_replies_sent++;
		src_send(b, from, out, out_len);
		return;
	}
	if (r != HS_OK) {
		b->c.hs[r]++;
		return;
	}
	c = client_get(b, keys.peer_ed_pk);
	if (c == NULL) {
		b->c.drop_client_table_full++;
		hs_keys_wipe(&keys);
		return;
	}
	if (session_index_insert(&b->index, keys.local_index, &c->session) < 0) {
		b->c.drop_index_full++;
		hs_keys_wipe(&keys);
		return;
	}
	memcpy(c->last_tai64n, keys.tai64n, HS_TAI64N_LEN);
	session_install(&c->session, &b->index, &keys, now_ns);
	c->src = *from;
	b->c.handshakes_answered++;
	src_send(b, from, out, out_len);
}

/* ---- base control -------------------------------------------------------- */

static void on_control(struct base_server *b, struct base_client *c, const uint8_t *pt,
		       size_t pt_len, const struct base_src *from, uint64_t now_ns)
{
	static struct basectl m; /* large: see send_msg */
	struct registry_transport tr;
	struct registry_msg reply;
	enum registry_verdict v;
	enum basectl_result r;

	r = basectl_decode(&m, pt, pt_len, NULL);
	if (r != BASECTL_OK) {
		b->c.basectl[r]++;
		return;
	}
	if (basectl_from_base(m.type)) {
		b->c.drop_control_wrong_direction++;
		return;
	}
	b->c.control_received++;
	transport_of(from, &tr);
	memset(&reply, 0, sizeof(reply));
	switch (m.type) {
	case BASECTL_REGISTER:
		v = registry_register(&b->reg, now_ns, c->ed_pk, c->addr, &tr, &m.er,
				      &reply);
		break;
	case BASECTL_LOOKUP:
		v = registry_lookup(&b->reg, now_ns, c->addr, &tr, m.addr,
				    (m.arg & BASECTL_LOOKUP_NOTIFY) != 0, &reply);
		break;
	case BASECTL_PING:
		v = registry_ping(&b->reg, now_ns, c->addr, &tr, m.txid, &reply);
		break;
	case BASECTL_UNSUBSCRIBE:
		(void)registry_unsubscribe(&b->reg, now_ns, c->addr, &tr, m.addr);
		return;
	case BASECTL_ALLOW:
		(void)registry_allow(
		    &b->reg, now_ns, c->addr, &tr, (m.arg & BASECTL_ALLOW_RESTRICT) != 0,
		    (const uint8_t(*)[BASECTL_ADDR_LEN])m.allow, m.n_allow);
		return;
	default:
		return;
	}
	/* The registry counted the verdict; a drop has no reply. */
	switch (v) {
	case REGISTRY_WRONG_KEY:
	case REGISTRY_BAD_TRANSPORT:
	case REGISTRY_LOOKUP_LIMITED:
	case REGISTRY_UNREGISTERED:
		return;
	default:
		send_msg(b, c, from, &reply, now_ns);
	}
}

struct base_client *base_data_open(struct base_server *b, uint8_t *buf, size_t len,
				   uint64_t now_ns, enum session_verdict *v, const uint8_t **pt,
				   size_t *pt_len)
{
	struct session *s =
	    session_index_lookup(&b->index, msg_receiver(buf, MSG_CLASS_DATA));

	if (s == NULL) {
		b->c.drop_unknown_receiver++;
		return NULL;
	}
	*v = session_open(s, &b->index, now_ns, buf, len, pt, pt_len);
	if (session_verdict_is_drop(*v)) {
		b->c.data[*v]++;
		return NULL;
	}
	return client_of_session(s);
}

static void on_data(struct base_server *b, uint8_t *buf, size_t len,
		    const struct base_src *from, uint64_t now_ns)
{
	enum session_verdict v = SESSION_KEEPALIVE;
	const uint8_t *pt = NULL;
	size_t pt_len = 0;
	struct base_client *c = base_data_open(b, buf, len, now_ns, &v, &pt, &pt_len);

	if (c == NULL)
		return;
	/* Authentic and fresh: only now may it move the node's endpoint. */
	c->src = *from;
	if (v == SESSION_KEEPALIVE)
		return;
	if (v != SESSION_CONTROL || plain_classify(pt, pt_len) != PLAIN_BASE_CTL) {
		b->c.drop_data_not_control++;
		return;
	}
	on_control(b, c, pt, pt_len, from, now_ns);
}

/* The staged RELAYED frames out, in one sendmmsg. */
static void flush_relayed(struct base_server *b)
{
	struct udp_stage_result r = {0};

	udp_stage_send(b->udp_fd, b->tx, &r);
	b->c.udp_tx_packets += r.packets;
	b->c.udp_tx_bytes += r.bytes;
	b->c.drop_udp_send += r.dropped;
}

/*
 * RELAY -> RELAYED in place: the inner message stays where it is and the
 * 12-byte header goes 8 bytes later (docs/mesh-protocol.md, RELAYED).
 * For a UDP destination the frame is copied to the send stage: frames of
 * one flow (cut from one GRO receive) lie back to back there and leave as
 * one UDP_SEGMENT message, and the whole receive batch in one sendmmsg.
 * For a TCP one it is copied into that connection's send buffer now.
 */
static void on_relay(struct base_server *b, uint8_t *buf, size_t len,
		     const struct base_src *from, uint64_t now_ns)
{
	struct registry_transport tr, to;
	struct msg_relay_view rv;
	msg_relay_id src;
	struct base_src dst;

	if (!msg_relay_view(buf, len, MSG_CLASS_RELAY, &rv))
		return;
	transport_of(from, &tr);
	if (registry_relay(&b->reg, now_ns, &tr, rv.src, rv.dst, &to) != REGISTRY_RELAYED)
		return; /* counted by the registry: base_<reason> */
	memcpy(src, rv.src, sizeof(src));
	msg_relayed_header_put(buf + 8, src);
	src_of(&to, &dst);
	if (dst.conn != 0)
		base_tcp_send(b, dst.conn, buf + 8, len - 8);
	else {
		if (!udp_stage_room(b->tx, len - 8))
			flush_relayed(b);
		udp_stage_put(b->tx, &dst.ep, dst.ep_len, NULL, 0, buf + 8, len - 8);
	}
	b->c.relayed_packets++;
	b->c.relayed_bytes += rv.inner_len;
}

static void on_datagram(struct base_server *b, uint8_t *buf, size_t len,
			const struct base_src *from, uint64_t now_ns)
{
	enum msg_class cls = msg_classify(buf, len);

	if (msg_class_is_drop(cls)) {
		b->c.msg[cls]++;
		return;
	}
	switch (cls) {
	case MSG_CLASS_HS_INIT:
		on_init(b, buf, len, from, now_ns);
		break;
	case MSG_CLASS_DATA:
		on_data(b, buf, len, from, now_ns);
		break;
	case MSG_CLASS_RELAY:
		on_relay(b, buf, len, from, now_ns);
		break;
	default:
		b->c.drop_not_for_base++;
		break;
	}
}

void base_tcp_frame(struct base_server *b, uint8_t *buf, size_t len,
		    const struct base_src *src, uint64_t now_ns)
{
	on_datagram(b, buf, len, src, now_ns);
	/* A frame from TCP does not wait for the next UDP batch. */
	flush_relayed(b);
}

void base_udp_readable(struct base_server *b, uint64_t now_ns)
{
	for (int k = 0; k < BASE_UDP_BUDGET; k++) {
		int got = udp_recv_batch(b->udp_fd, &b->rx);

		if (got <= 0)
			return;
		for (int i = 0; i < got; i++) {
			struct mmsghdr *m = &b->rx.msgs[i];
			size_t len = m->msg_len,
			       seg = udp_rx_segment_size(&b->rx, (size_t)i);
			uint8_t *buf = udp_rx_slot(&b->rx, (size_t)i);

			if (m->msg_hdr.msg_flags & MSG_TRUNC) {
				b->c.drop_udp_truncated++;
				continue;
			}
			if (seg == 0)
				seg = len;
			struct base_src src = {.ep = b->rx.from[i],
					       .ep_len = m->msg_hdr.msg_namelen};

			for (size_t off = 0; off < len; off += seg) {
				size_t l = len - off < seg ? len - off : seg;

				b->c.udp_rx_packets++;
				b->c.udp_rx_bytes += l;
				on_datagram(b, buf + off, l, &src, now_ns);
			}
		}
		/* The batch's relayed frames out before the next read. */
		flush_relayed(b);
		if (got < UDP_BATCH)
			return;
	}
}
