/*
 * The daemon's whole receive decision for UDP datagrams: rx_datagram() and
 * txq_flush(), on real daemon contexts (daemon_alloc + peer table + policy,
 * exactly as daemon_start builds them, minus TUN and the reactor).
 *
 * Four contexts, picked by the low two bits of the first input byte:
 *   0 hub   (local_id 1, spokes 2..4, allowed_src 10.0.0.N/32), cleartext
 *   1 hub   obfuscated
 *   2 spoke (local_id 2, hub 1, allowed_src 10.0.0.0/24), cleartext
 *   3 spoke obfuscated
 * Each policy holds the role-derived rules plus a local, a drop, an
 * unknown-target and a source-restricted rule, so every route() branch is
 * reachable.  tun_fd is /dev/null; udp_fd[0] is a socket on 127.0.0.1.
 * Peer endpoints are "sink" sockets on 127.0.0.2..5 that are never read,
 * and every source address the harness feeds is a loopback one, so a relay
 * (which goes to a configured or learned endpoint) can only ever reach
 * 127.0.0.0/8; a queued datagram to anything else traps before it is sent.
 *
 * Input: byte 0 = context (bits 0-1) | drain mode (bit 2: the obfuscation
 * scan budget is set once per input, as rx_drain does per batch, instead of
 * per datagram) | shared peer table (bit 3: the code paths of "workers" > 1,
 * which must decide exactly alike); then up to MAX_RECORDS records, each
 *   ctl u8 | len u16 LE (& 0x0fff, clipped to what is left) | len bytes
 * ctl bits 0-1 choose the record kind:
 *   0 raw:    the bytes are the datagram (longer than PKT_BUF_LEN: cut and
 *             flagged truncated, as recvmmsg does); ctl bit 2 = truncated,
 *             bit 3 = no scan budget, bits 4-6 = source endpoint selector;
 *   1, 2 sealed: a SHDR_LEN-byte header (struct shdr below) and a plaintext
 *             that the harness seals as the chosen sender would (wire_seal,
 *             wire_obfs_apply), so inputs reach the post-authentication code
 *             (replay window, inner IPv4 and spoof checks, routing, relay,
 *             no-reflect) without having to forge a MAC;
 *   3 repeat: deliver the previous datagram again, from the same source.
 * Peer state is reset to the start-up state before every input, so each
 * input is a self-contained, reproducible sequence of datagrams.
 *
 * Invariants, per datagram (trap when violated):
 *  - udp_rx_packets grows by exactly 1 and udp_rx_bytes by the length;
 *  - exactly one outcome counter (every counter except udp_rx_*, *_bytes
 *    and udp_endpoint_learned) grows, by 1, once the queue is flushed;
 *  - session epochs never go backwards;
 *  - nothing changes before authentication: after an oversized /
 *    auth_or_invalid / unknown_peer / scan_budget drop every receive session
 *    is identical;
 *  - the endpoint and last-seen time are learned iff the datagram was
 *    authenticated and its inner source allowed (keepalive, tun, relay,
 *    no_route, drop_rule, unknown_target, no_reflect, send_err), and
 *    udp_endpoint_learned counts exactly the endpoint changes;
 *  - at most one datagram is queued, only as a relay, only to loopback; it
 *    opens with the target's link key derived here independently (epoch =
 *    our boot epoch, seq = the target's new tx_seq), the target is not the
 *    sender, and the inner source lies in the sender's allowed_src;
 *  - tx_seq moves for at most one peer, by one, and only for relay/send_err.
 *
 * SUBNETRA_FUZZ_RX_TRACE=1 prints every datagram's outcome counter (to check
 * what a seed or a crash input exercises).
 * SUBNETRA_FUZZ_RX_SEEDS=DIR writes the seed corpus (genuine sealed
 * datagrams for every context, keepalives, replay pairs, runts) to DIR at
 * start-up: `build-fuzz/fuzz/fuzz_rx -runs=0` with it set regenerates
 * tests/fuzz/corpus/fuzz_rx.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "daemon/host/daemon.h"
#include "daemon/datapath/datapath.h"
#include "core/policy.h"
#include "core/roles.h"
#include "core/wire.h"

enum {
	N_VARIANTS = 4,
	HUB_PEERS = 3,
	MAX_SENDERS = HUB_PEERS + 1, /* configured peers + one stranger */
	N_SINKS = 4,
	N_FROM = 8,
	N_DST = 16,
	MAX_RECORDS = 16,
	REC_HDR_LEN = 3,
	SHDR_LEN = 10,
	STRANGER_ID = 7,
	UNKNOWN_TARGET = 9,
	SINK_RCVBUF = 4096,
};

enum rec_kind { REC_RAW, REC_SEALED, REC_SEALED2, REC_REPEAT };

/* Raw record ctl bits. */
enum { RAW_TRUNC = 0x04, RAW_NO_SCAN = 0x08, RAW_FROM_SHIFT = 4 };

/* Sealed record header flags (shdr.flags). */
enum {
	F_FIXUP = 0x01,     /* make the plaintext an IPv4 header: src by ssel, dst by dsel */
	F_MUTATE = 0x02,    /* after sealing, XOR one byte (mpos, mxor) */
	F_NO_SCAN = 0x04,   /* obfuscation scan budget 0 */
	F_TRUNC = 0x08,     /* kernel truncation flag */
	F_WRONG_ID = 0x10,  /* header key_id of the next sender */
	F_OBFS_FLIP = 0x20, /* obfuscate iff the receiver does not */
	F_FROM_SEL = 0x40,  /* source endpoint from the selector, not the sender's own */
	F_TWICE = 0x80,     /* deliver the datagram twice (a replay) */
};

/*
 * Sealed record header, byte by byte:
 *   0 sender (mod configured peers + 1; the last one is a stranger)
 *   1 flags (F_*)
 *   2-3 seq u16 LE; bit 15 set -> seq = UINT64_MAX - (seq & 0x7fff)
 *   4 epoch delta, int8, added to the senders' boot epoch; -128 -> epoch 0
 *   5 bits 0-3 inner destination (dst_tab), bits 4-6 source endpoint (F_FROM_SEL)
 *   6-7 mutated position u16 LE (mod length), 8 XOR value (0 -> 1)
 *   9 inner source: 0 sender's own, 1 the next sender's (spoof), 2
 *     192.168.1.1, 3 0.0.0.0, else whatever the plaintext holds
 */
struct shdr {
	uint8_t sender, flags;
	uint16_t seq;
	int8_t epoch_delta;
	uint8_t dsel, fsel;
	uint16_t mpos;
	uint8_t mxor, ssel;
};

/* Our boot epoch and the simulated senders' (a day and an hour past the minimum). */
#define EPOCH_LOCAL (WIRE_MIN_EPOCH + UINT64_C(86400000000000))
#define EPOCH_PEER  (WIRE_MIN_EPOCH + UINT64_C(3600000000000))
#define NOW_BASE    (EPOCH_LOCAL + UINT64_C(60000000000))

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

struct sender {
	uint16_t id;
	uint8_t psk[WIRE_PSK_LEN];
	wire_key link;       /* sender -> us: what it seals and masks with */
	wire_key tx_link;    /* us -> sender: to open what we relay to it */
	uint32_t src;        /* its inner source address */
	struct endpoint4 ep; /* where it sends from */
};

struct variant {
	const char *name;
	struct config cfg;
	struct daemon *d;
	struct peer pristine[HUB_PEERS];
	uint32_t pristine_ep[PEER_EP_SLOTS]; /* the endpoint index that goes with it */
	struct sender senders[MAX_SENDERS];
	size_t n_senders;
	struct endpoint4 self;
	struct endpoint4 from_tab[N_FROM];
};

static struct variant V[N_VARIANTS];
static int sinks[N_SINKS] = {-1, -1, -1, -1};
static struct endpoint4 sink_ep[N_SINKS];
static uint8_t *buf; /* PKT_BUF_LEN on the heap: ASan sees any overrun */
static uint64_t now;
static bool trace; /* SUBNETRA_FUZZ_RX_TRACE=1: print each datagram's outcome */

static const uint32_t dst_tab[N_DST] = {
    IP4(10, 0, 0, 1),   IP4(10, 0, 0, 2),   IP4(10, 0, 0, 3),     IP4(10, 0, 0, 4),
    IP4(10, 0, 0, 5),   IP4(10, 0, 0, 99),  IP4(10, 0, 0, 100),   IP4(10, 0, 0, 70),
    IP4(192, 168, 1, 1), IP4(10, 0, 0, 255), IP4(0, 0, 0, 0),     IP4(255, 255, 255, 255),
    IP4(127, 0, 0, 1),  IP4(224, 0, 0, 1),  IP4(10, 0, 1, 1),     IP4(10, 0, 0, 0),
};

/* The previous datagram, for REC_REPEAT. */
static struct {
	bool valid, trunc;
	size_t len;
	struct endpoint4 from;
	uint8_t bytes[PKT_BUF_LEN];
} last;

/* ---- counters, classified once by name ---- */

enum ctr_class {
	CTR_OTHER,    /* udp_rx_*, *_bytes, udp_endpoint_learned */
	CTR_PRE_AUTH, /* dropped before authentication: no state may change */
	CTR_MID,      /* authenticated, dropped before learning */
	CTR_LEARNED,  /* authenticated and the endpoint learned */
	CTR_IDLE,     /* an outcome counter rx must never move (tun side, tx) */
	CTR_NEW,      /* a drop_udp_* this harness does not know yet: an outcome */
};

static const struct ctr_field {
	const char *name;
	size_t off;
} ctr_fields[] = {
#define CTR_FIELD(n) {#n, offsetof(struct counters, n)},
    COUNTERS_LIST(CTR_FIELD)
#undef CTR_FIELD
};
enum { N_CTR = sizeof(ctr_fields) / sizeof(ctr_fields[0]) };
static enum ctr_class ctr_class[N_CTR];

static bool name_in(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

static void classify_counters(void)
{
	static const char *const pre[] = {"drop_udp_oversized", "drop_udp_auth_or_invalid",
					  "drop_udp_unknown_peer", "drop_udp_scan_budget",
					  NULL};
	static const char *const mid[] = {"drop_udp_not_ipv4", "drop_udp_spoof", NULL};
	static const char *const learned[] = {
	    "keepalive_rx",       "tun_tx_packets",          "relay_packets",
	    "drop_udp_send_err",  "drop_udp_no_route",       "drop_udp_drop_rule",
	    "drop_udp_unknown_target", "drop_udp_no_reflect", NULL};

	for (size_t i = 0; i < N_CTR; i++) {
		const char *n = ctr_fields[i].name;
		size_t len = strlen(n);

		if (strncmp(n, "udp_rx_", 7) == 0 || (len > 6 && strcmp(n + len - 6, "_bytes") == 0) ||
		    strcmp(n, "udp_endpoint_learned") == 0)
			ctr_class[i] = CTR_OTHER;
		else if (name_in(n, pre))
			ctr_class[i] = CTR_PRE_AUTH;
		else if (name_in(n, mid))
			ctr_class[i] = CTR_MID;
		else if (name_in(n, learned))
			ctr_class[i] = CTR_LEARNED;
		else if (strncmp(n, "drop_udp_", 9) == 0)
			ctr_class[i] = CTR_NEW; /* still exactly one outcome; classify it here */
		else
			ctr_class[i] = CTR_IDLE;
	}
}

static uint64_t ctr_get(const struct counters *c, size_t i)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)c + ctr_fields[i].off, sizeof(v));
	return v;
}

/* ---- set-up ---- */

static void fatal(const char *what)
{
	fprintf(stderr, "fuzz_rx: set-up failed: %s\n", what);
	abort();
}

/* A non-blocking UDP socket bound to addr:0 with a small receive buffer. */
static int udp_bound(uint32_t addr, struct endpoint4 *ep)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(addr)};
	socklen_t sl = sizeof(sa);
	int small = SINK_RCVBUF;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		close(fd);
		return -1;
	}
	endpoint_from_sockaddr(ep, &sa);
	return fd;
}

static void psk_fill(uint8_t psk[WIRE_PSK_LEN], unsigned k)
{
	for (unsigned i = 0; i < WIRE_PSK_LEN; i++)
		psk[i] = (uint8_t)(0x11 * (k + 1) + 7 * i);
}

static void build_config(struct config *c, bool hub, bool obfs)
{
	config_defaults(c);
	c->obfuscate = obfs;
	c->virtual_subnet = (struct cidr){IP4(10, 0, 0, 0), 24};
	c->n_listen_ports = 1;
	c->listen_ports[0] = 18020;
	if (hub) {
		c->role = ROLE_HUB;
		c->local_id = 1;
		c->keepalive_secs = 0;
		c->n_peers = HUB_PEERS;
		for (unsigned k = 0; k < HUB_PEERS; k++) {
			struct peer_config *p = &c->peers[k];

			p->id = 2 + k;
			p->endpoint = sink_ep[k];
			p->allowed_src = (struct cidr){IP4(10, 0, 0, 2 + k), 32};
			psk_fill(p->psk, k);
			snprintf(p->name, sizeof(p->name), "spoke-%c", 'a' + k);
		}
	} else {
		c->role = ROLE_SPOKE;
		c->local_id = 2;
		c->has_local_tun_ip = true;
		c->local_tun_ip = (struct cidr){IP4(10, 0, 0, 2), 24};
		c->n_local_routes = 1;
		c->local_routes[0] = (struct cidr){IP4(10, 0, 0, 2), 32};
		c->keepalive_secs = DEFAULT_SPOKE_KEEPALIVE_SECS;
		c->n_peers = 1;
		c->peers[0].id = 1;
		c->peers[0].endpoint = sink_ep[0];
		c->peers[0].allowed_src = (struct cidr){IP4(10, 0, 0, 0), 24};
		psk_fill(c->peers[0].psk, 0); /* the hub's link to spoke 2 */
		snprintf(c->peers[0].name, sizeof(c->peers[0].name), "hub");
	}
}

static void add_rule(struct policy *p, uint32_t src, uint8_t src_len, uint32_t dst,
		     uint8_t dst_len, enum policy_action a, uint32_t target)
{
	struct policy_rule r = {
	    .src = {src, src_len}, .dst = {dst, dst_len}, .action = a, .target = target};

	if (policy_add(p, &r) != 0)
		fatal("policy_add");
}

static void setup_variant(struct variant *v, unsigned idx)
{
	bool hub = idx < 2, obfs = idx & 1;
	struct config_error err;
	struct daemon *d;

	v->name = hub ? (obfs ? "hub-obfs" : "hub") : (obfs ? "spoke-obfs" : "spoke");
	build_config(&v->cfg, hub, obfs);
	if (config_validate(&v->cfg, "fuzz_rx", &err) != 0) {
		char msg[512];

		config_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "fuzz_rx: warning: %s config does not validate: %s\n", v->name,
			msg);
	}

	d = v->d = daemon_alloc(&v->cfg);
	if (d == NULL)
		fatal("daemon_alloc");
	d->epoch = EPOCH_LOCAL;
	peer_table_init(&d->peers, &v->cfg, EPOCH_LOCAL);
	policy_init(&d->policy);
	if (roles_derive_policy(&v->cfg, &d->policy) != 0)
		fatal("roles_derive_policy");
	add_rule(&d->policy, 0, 0, IP4(10, 0, 0, 99), 32, POLICY_DROP, 0);
	add_rule(&d->policy, 0, 0, IP4(10, 0, 0, 100), 32, POLICY_FORWARD, UNKNOWN_TARGET);
	if (hub) {
		add_rule(&d->policy, 0, 0, IP4(10, 0, 0, 1), 32, POLICY_FORWARD,
			 POLICY_TARGET_LOCAL);
		add_rule(&d->policy, IP4(10, 0, 0, 2), 32, IP4(10, 0, 0, 64), 26, POLICY_FORWARD,
			 3);
	}
	d->workers[0]->gro.udp = true; /* coalesce UDP as on a kernel with USO */
	d->workers[0]->tun_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (d->workers[0]->tun_fd < 0)
		fatal("open /dev/null");
	d->workers[0]->udp_fd[0] = udp_bound(IP4(127, 0, 0, 1), &v->self);
	if (d->workers[0]->udp_fd[0] < 0)
		fatal("UDP socket on 127.0.0.1");
	d->n_udp = 1;
	/* The last spoke's nonces are one relay from exhaustion. */
	if (hub) {
		d->peers.peers[HUB_PEERS - 1].tx_seq = UINT64_MAX - 1;
		/* Several workers: every block before the next one has left. */
		d->peers.peers[HUB_PEERS - 1].tx_released = UINT64_MAX - 1;
	}
	memcpy(v->pristine, d->peers.peers, d->peers.n * sizeof(d->peers.peers[0]));
	memcpy(v->pristine_ep, d->peers.ep_slots, sizeof(v->pristine_ep));

	v->n_senders = v->cfg.n_peers + 1;
	for (size_t s = 0; s < v->n_senders; s++) {
		struct sender *x = &v->senders[s];

		if (s < v->cfg.n_peers) {
			x->id = (uint16_t)v->cfg.peers[s].id;
			memcpy(x->psk, v->cfg.peers[s].psk, WIRE_PSK_LEN);
			x->ep = v->cfg.peers[s].endpoint;
			x->src = hub ? IP4(10, 0, 0, 2 + s) : IP4(10, 0, 0, 3);
		} else {
			x->id = STRANGER_ID;
			psk_fill(x->psk, 9);
			x->ep = sink_ep[N_SINKS - 1];
			x->src = IP4(10, 0, 0, 7);
		}
		wire_link_key(x->link, x->psk, x->id, v->cfg.local_id);
		wire_link_key(x->tx_link, x->psk, v->cfg.local_id, x->id);
		/* The harness and the peer table must agree on the key schedule. */
		if (s < v->cfg.n_peers &&
		    (sodium_memcmp(x->link, d->peers.peers[s].rx_link_key, WIRE_KEY_LEN) != 0 ||
		     sodium_memcmp(x->tx_link, d->peers.peers[s].tx_link_key, WIRE_KEY_LEN) != 0))
			FUZZ_CHECK(false, "peer_table_init keys differ for %s peer %zu", v->name, s);
	}

	for (unsigned i = 0; i < N_SINKS; i++)
		v->from_tab[i] = sink_ep[i];
	v->from_tab[4] = (struct endpoint4){sink_ep[0].addr, sink_ep[1].port}; /* roamed port */
	v->from_tab[5] = v->self;                                               /* ourselves */
	v->from_tab[6] = (struct endpoint4){IP4(127, 0, 0, 8), 0}; /* unsendable: port 0 */
	v->from_tab[7] = (struct endpoint4){sink_ep[1].addr, sink_ep[0].port};
}

static void teardown(void)
{
	for (unsigned i = 0; i < N_VARIANTS; i++) {
		daemon_free(V[i].d); /* closes tun_fd and udp_fd[0], wipes the keys */
		V[i].d = NULL;
		config_wipe(&V[i].cfg);
		sodium_memzero(V[i].senders, sizeof(V[i].senders));
		sodium_memzero(V[i].pristine, sizeof(V[i].pristine));
	}
	for (unsigned i = 0; i < N_SINKS; i++)
		if (sinks[i] >= 0)
			close(sinks[i]);
	free(buf);
	buf = NULL;
}

/* ---- delivery and the invariants ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool same_ep(const struct endpoint4 *a, const struct endpoint4 *b)
{
	return a->addr == b->addr && a->port == b->port;
}

static bool same_session(const struct wire_rx_session *a, const struct wire_rx_session *b)
{
	return a->cur_epoch == b->cur_epoch && a->have_key == b->have_key &&
	       memcmp(a->session_key, b->session_key, WIRE_KEY_LEN) == 0 &&
	       a->window.highest == b->window.highest && a->window.bitmap == b->window.bitmap;
}

/* The one queued relay: who it goes to, and that it opens for that peer. */
static void check_relay(const struct variant *v, const struct peer *p0, size_t src,
			const uint8_t *dgram, size_t len, const struct endpoint4 *to)
{
	const struct daemon *d = v->d;
	uint8_t tmp[PKT_BUF_LEN], hdr[WIRE_HEADER_LEN];
	size_t pt_len = 0, t;

	FUZZ_CHECK(len >= WIRE_MIN_DATAGRAM + 20 && len <= WIRE_MAX_DATAGRAM, "relay length %zu",
		   len);
	for (t = 0; t < d->peers.n; t++) {
		const struct sender *x = &v->senders[t];
		struct wire_rx_session s;
		struct wire_header h;

		struct endpoint4 ep = peer_endpoint(&d->peers.peers[t]);

		if (!same_ep(&ep, to))
			continue;
		memcpy(tmp, dgram, len);
		if (v->cfg.obfuscate) {
			if (!wire_obfs_trial(tmp, len, x->tx_link, (uint16_t)v->cfg.local_id, hdr))
				continue;
			wire_obfs_apply(tmp, len, x->tx_link);
		}
		if (!wire_header_check(tmp, len, &h) || h.key_id != v->cfg.local_id)
			continue;
		memset(&s, 0, sizeof(s));
		if (wire_rx_open(&s, x->tx_link, &h, tmp, len, &pt_len) != WIRE_RX_DATA)
			continue;
		FUZZ_CHECK(h.epoch == EPOCH_LOCAL, "relay epoch %llu",
			   (unsigned long long)h.epoch);
		FUZZ_CHECK(h.seq == d->peers.peers[t].tx_seq && h.seq == p0[t].tx_seq + 1,
			   "relay seq %llu, tx_seq %llu -> %llu", (unsigned long long)h.seq,
			   (unsigned long long)p0[t].tx_seq,
			   (unsigned long long)d->peers.peers[t].tx_seq);
		wire_rx_session_wipe(&s);
		break;
	}
	FUZZ_CHECK(t < d->peers.n, "%s: relayed datagram opens for no peer at its endpoint",
		   v->name);
	FUZZ_CHECK(t != src, "%s: relayed back to the sender (peer %zu)", v->name, src);
	FUZZ_CHECK(pt_len >= 20 && tmp[WIRE_HEADER_LEN] >> 4 == 4, "relayed non-IPv4");
	FUZZ_CHECK(cidr_contains(&v->cfg.peers[src].allowed_src,
				 load_be32(tmp + WIRE_HEADER_LEN + 12)),
		   "relayed a source outside the sender's allowed_src");
}

static void check_queue(const struct variant *v, const struct peer *p0)
{
	const struct daemon *d = v->d;
	const struct udp_tx_batch *b = &d->workers[0]->txq.batch[0];
	size_t src = SIZE_MAX;

	for (size_t s = 1; s < MAX_LISTEN_PORTS; s++)
		FUZZ_CHECK(d->workers[0]->txq.batch[s].n == 0, "datagram queued on socket %zu", s);
	FUZZ_CHECK(b->n <= 1, "%zu datagrams queued for one received", b->n);
	if (b->n == 0)
		return;
	/* Safety net for this harness itself: nothing leaves the loopback. */
	FUZZ_CHECK(ntohl(b->to[0].v4.sin_addr.s_addr) >> 24 == 127,
		   "relay to a non-loopback address %08x", ntohl(b->to[0].v4.sin_addr.s_addr));
	FUZZ_CHECK(b->tag[0] == TXQ_RELAY && b->nsegs[0] == 1, "queued kind %d, %u segments",
		   (int)b->tag[0], (unsigned)b->nsegs[0]);
	for (size_t i = 0; i < d->peers.n; i++)
		if (d->peers.peers[i].last_seen_wall_ns == now)
			src = i;
	FUZZ_CHECK(src != SIZE_MAX, "relay without a learned sender");
	{
		struct endpoint4 to;

		endpoint_from_sockaddr(&to, &b->to[0].v4);
		check_relay(v, p0, src, (const uint8_t *)b->iov[0].iov_base, b->iov[0].iov_len,
			    &to);
	}
}

static void check_outcome(const struct variant *v, const struct counters *c0,
			  const struct peer *p0, size_t len)
{
	const struct daemon *d = v->d;
	const struct counters *c1 = &d->workers[0]->ctr;
	size_t moved = SIZE_MAX, learned = 0, ep_changes = 0, seq_moves = 0;
	uint64_t sum = 0;

	FUZZ_CHECK(c1->udp_rx_packets == c0->udp_rx_packets + 1, "udp_rx_packets +%llu",
		   (unsigned long long)(c1->udp_rx_packets - c0->udp_rx_packets));
	FUZZ_CHECK(c1->udp_rx_bytes == c0->udp_rx_bytes + len, "udp_rx_bytes");
	for (size_t i = 0; i < N_CTR; i++) {
		uint64_t delta = ctr_get(c1, i) - ctr_get(c0, i);

		if (ctr_class[i] == CTR_OTHER || delta == 0)
			continue;
		FUZZ_CHECK(ctr_class[i] != CTR_IDLE, "%s: rx moved %s", v->name,
			   ctr_fields[i].name);
		sum += delta;
		moved = i;
	}
	FUZZ_CHECK(sum == 1, "%s: %llu outcome counters moved for one datagram", v->name,
		   (unsigned long long)sum);

	for (size_t i = 0; i < d->peers.n; i++) {
		const struct peer *p = &d->peers.peers[i];

		FUZZ_CHECK(p->rx.cur_epoch >= p0[i].rx.cur_epoch,
			   "%s peer %zu: epoch went back %llu -> %llu", v->name, i,
			   (unsigned long long)p0[i].rx.cur_epoch,
			   (unsigned long long)p->rx.cur_epoch);
		if (ctr_class[moved] == CTR_PRE_AUTH)
			FUZZ_CHECK(same_session(&p->rx, &p0[i].rx),
				   "%s peer %zu: session changed by a %s drop", v->name, i,
				   ctr_fields[moved].name);
		if (p->last_seen_wall_ns != p0[i].last_seen_wall_ns) {
			FUZZ_CHECK(p->last_seen_wall_ns == now, "last_seen not now");
			learned++;
		}
		struct endpoint4 ep1 = peer_endpoint(p), ep0 = peer_endpoint(&p0[i]);

		if (!same_ep(&ep1, &ep0)) {
			FUZZ_CHECK(p->last_seen_wall_ns == now,
				   "%s peer %zu: endpoint changed without learning", v->name, i);
			ep_changes++;
		}
		if (p->tx_seq != p0[i].tx_seq) {
			FUZZ_CHECK(p->tx_seq == p0[i].tx_seq + 1, "tx_seq jumped");
			seq_moves++;
		}
	}
	FUZZ_CHECK(ctr_class[moved] == CTR_NEW ||
			   learned == (ctr_class[moved] == CTR_LEARNED ? 1u : 0u),
		   "%s: %s but %zu peers learned", v->name, ctr_fields[moved].name, learned);
	FUZZ_CHECK(c1->udp_endpoint_learned - c0->udp_endpoint_learned == ep_changes,
		   "udp_endpoint_learned +%llu for %zu endpoint changes",
		   (unsigned long long)(c1->udp_endpoint_learned - c0->udp_endpoint_learned),
		   ep_changes);
	FUZZ_CHECK(seq_moves == 0 || (seq_moves == 1 && (c1->relay_packets != c0->relay_packets ||
							  c1->drop_udp_send_err !=
							      c0->drop_udp_send_err)),
		   "%s: tx_seq moved for %zu peers on %s", v->name, seq_moves,
		   ctr_fields[moved].name);
	if (trace)
		fprintf(stderr, "fuzz_rx: %s: %zu bytes -> %s%s\n", v->name, len,
			ctr_fields[moved].name, ep_changes ? " (endpoint learned)" : "");
}

/* scans < 0: keep the budget (drain mode). */
static void deliver(struct variant *v, const uint8_t *dgram, size_t len, bool trunc,
		    const struct endpoint4 *from, int scans)
{
	struct daemon *d = v->d;
	struct worker *w = d->workers[0];
	struct peer p0[HUB_PEERS];
	struct counters c0 = w->ctr;

	memcpy(p0, d->peers.peers, d->peers.n * sizeof(p0[0]));
	if (scans >= 0)
		w->scans_left = (unsigned)scans;
	last.valid = true;
	last.trunc = trunc;
	last.len = len;
	last.from = *from;
	memcpy(last.bytes, dgram, len);

	memset(buf, 0, PKT_BUF_LEN);
	memcpy(buf, dgram, len);
	now += UINT64_C(1000000000);
	rx_datagram(w, 0, buf, len, trunc, from, now);
	txq_seal(w); /* several workers seal at the flush */
	check_queue(v, p0);
	txq_flush(w);
	check_outcome(v, &c0, p0, len);
}

/* ---- records ---- */

static void shdr_decode(struct shdr *h, const uint8_t *b, size_t len)
{
	uint8_t raw[SHDR_LEN] = {0};

	memcpy(raw, b, len < SHDR_LEN ? len : SHDR_LEN);
	h->sender = raw[0];
	h->flags = raw[1];
	h->seq = (uint16_t)(raw[2] | raw[3] << 8);
	h->epoch_delta = (int8_t)raw[4];
	h->dsel = raw[5] & 0x0f;
	h->fsel = (raw[5] >> 4) & 0x07;
	h->mpos = (uint16_t)(raw[6] | raw[7] << 8);
	h->mxor = raw[8];
	h->ssel = raw[9];
}

static void shdr_encode(uint8_t out[SHDR_LEN], const struct shdr *h)
{
	out[0] = h->sender;
	out[1] = h->flags;
	out[2] = (uint8_t)h->seq;
	out[3] = (uint8_t)(h->seq >> 8);
	out[4] = (uint8_t)h->epoch_delta;
	out[5] = (uint8_t)((h->dsel & 0x0f) | (h->fsel & 0x07) << 4);
	out[6] = (uint8_t)h->mpos;
	out[7] = (uint8_t)(h->mpos >> 8);
	out[8] = h->mxor;
	out[9] = h->ssel;
}

/* Seal pt as sender h->sender would; returns the datagram length in out. */
static size_t build_sealed(const struct variant *v, const struct shdr *h, const uint8_t *pt,
			   size_t pt_len, uint8_t out[PKT_BUF_LEN], struct endpoint4 *from)
{
	size_t s = h->sender % v->n_senders, next = (s + 1) % v->n_senders, len;
	const struct sender *x = &v->senders[s];
	uint64_t seq = h->seq, epoch;
	wire_key sk;

	if (seq & 0x8000)
		seq = UINT64_MAX - (seq & 0x7fff);
	epoch = h->epoch_delta == INT8_MIN ? 0 : EPOCH_PEER + (uint64_t)(int64_t)h->epoch_delta;
	if (pt_len > WIRE_MAX_PLAINTEXT)
		pt_len = WIRE_MAX_PLAINTEXT;
	memset(out, 0, PKT_BUF_LEN);
	if (pt_len > 0)
		memcpy(out + WIRE_HEADER_LEN, pt, pt_len);
	if ((h->flags & F_FIXUP) && pt_len >= 20) {
		uint8_t *ip = out + WIRE_HEADER_LEN;
		static const uint32_t other_src[] = {IP4(192, 168, 1, 1), 0};

		ip[0] = 0x45;
		if (h->ssel == 0)
			put_be32(ip + 12, x->src);
		else if (h->ssel == 1)
			put_be32(ip + 12, v->senders[next].src);
		else if (h->ssel <= 3)
			put_be32(ip + 12, other_src[h->ssel - 2]);
		put_be32(ip + 16, dst_tab[h->dsel]);
	}
	wire_session_key(sk, x->link, epoch);
	len = wire_seal(out, pt_len, sk,
			(h->flags & F_WRONG_ID) ? v->senders[next].id : x->id, epoch, seq);
	sodium_memzero(sk, sizeof(sk));
	if (v->cfg.obfuscate != ((h->flags & F_OBFS_FLIP) != 0))
		wire_obfs_apply(out, len, x->link);
	if (h->flags & F_MUTATE)
		out[h->mpos % len] ^= h->mxor ? h->mxor : 1;
	*from = (h->flags & F_FROM_SEL) ? v->from_tab[h->fsel] : x->ep;
	return len;
}

static void rec_sealed(struct variant *v, const uint8_t *b, size_t len, int scans)
{
	uint8_t dgram[PKT_BUF_LEN];
	struct endpoint4 from;
	struct shdr h;
	size_t hl = len < SHDR_LEN ? len : SHDR_LEN, dlen;

	shdr_decode(&h, b, len);
	dlen = build_sealed(v, &h, b + hl, len - hl, dgram, &from);
	if (h.flags & F_NO_SCAN)
		scans = 0;
	deliver(v, dgram, dlen, (h.flags & F_TRUNC) != 0, &from, scans);
	if (h.flags & F_TWICE)
		deliver(v, dgram, dlen, (h.flags & F_TRUNC) != 0, &from, scans);
}

static void rec_raw(struct variant *v, uint8_t ctl, const uint8_t *b, size_t len, int scans)
{
	bool trunc = (ctl & RAW_TRUNC) != 0;

	if (len > PKT_BUF_LEN) { /* what recvmmsg reports for a longer datagram */
		len = PKT_BUF_LEN;
		trunc = true;
	}
	if (ctl & RAW_NO_SCAN)
		scans = 0;
	deliver(v, b, len, trunc, &v->from_tab[(ctl >> RAW_FROM_SHIFT) & 7], scans);
}

static void reset(struct variant *v)
{
	struct daemon *d = v->d;

	memcpy(d->peers.peers, v->pristine, d->peers.n * sizeof(d->peers.peers[0]));
	memcpy(d->peers.ep_slots, v->pristine_ep, sizeof(d->peers.ep_slots));
	d->workers[0]->scans_left = OBFS_SCAN_BUDGET;
	last.valid = false;
	now = NOW_BASE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct variant *v;
	size_t pos = 1;
	int scans;

	if (size == 0)
		return 0;
	v = &V[data[0] & 3];
	scans = (data[0] & 4) ? -1 : OBFS_SCAN_BUDGET;
	reset(v);
	/* The several-workers paths (split open, blocks of sequence numbers sealed
	 * at the flush): same verdicts. */
	v->d->peers.shared = (data[0] & 8) != 0;
	for (unsigned r = 0; r < MAX_RECORDS && pos < size; r++) {
		uint8_t ctl = data[pos];
		size_t len = 0;

		if (size - pos >= REC_HDR_LEN)
			len = (size_t)(data[pos + 1] | data[pos + 2] << 8) & 0x0fff;
		pos += size - pos >= REC_HDR_LEN ? REC_HDR_LEN : size - pos;
		if (len > size - pos)
			len = size - pos;
		switch ((enum rec_kind)(ctl & 3)) {
		case REC_RAW:
			rec_raw(v, ctl, data + pos, len, scans);
			break;
		case REC_SEALED:
		case REC_SEALED2:
			rec_sealed(v, data + pos, len, scans);
			break;
		case REC_REPEAT:
			if (last.valid) {
				struct endpoint4 from = last.from;
				uint8_t again[PKT_BUF_LEN];

				memcpy(again, last.bytes, last.len);
				deliver(v, again, last.len, last.trunc, &from, scans);
			}
			break;
		}
		pos += len;
	}
	return 0;
}

/* ---- seed corpus writer ---- */

struct seed {
	uint8_t b[8192];
	size_t n;
};

static void seed_start(struct seed *s, uint8_t first)
{
	s->n = 0;
	s->b[s->n++] = first;
}

static void seed_rec(struct seed *s, uint8_t ctl, const uint8_t *body, size_t len)
{
	if (s->n + REC_HDR_LEN + len > sizeof(s->b))
		fatal("seed too long");
	s->b[s->n++] = ctl;
	s->b[s->n++] = (uint8_t)len;
	s->b[s->n++] = (uint8_t)(len >> 8);
	if (len > 0)
		memcpy(s->b + s->n, body, len);
	s->n += len;
}

/* An IPv4 header (src/dst filled by F_FIXUP) and 8 bytes of payload. */
static const uint8_t ip_pt[28] = {0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0,
				  0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x39, 0x30, 0x39,
				  0, 8, 0, 0};

static void seed_sealed(struct seed *s, struct shdr h, const uint8_t *pt, size_t pt_len)
{
	uint8_t body[SHDR_LEN + WIRE_MAX_PLAINTEXT];

	shdr_encode(body, &h);
	if (pt_len > 0)
		memcpy(body + SHDR_LEN, pt, pt_len);
	seed_rec(s, REC_SEALED, body, SHDR_LEN + pt_len);
}

/* The same datagram as a genuine raw record from the sender's endpoint. */
static void seed_genuine(struct seed *s, unsigned vi, struct shdr h, const uint8_t *pt,
			 size_t pt_len)
{
	uint8_t dgram[PKT_BUF_LEN];
	struct endpoint4 from;
	size_t len, fsel = 0;

	len = build_sealed(&V[vi], &h, pt, pt_len, dgram, &from);
	while (fsel < N_FROM && !same_ep(&V[vi].from_tab[fsel], &from))
		fsel++;
	seed_rec(s, (uint8_t)(REC_RAW | (fsel & 7) << RAW_FROM_SHIFT), dgram, len);
}

static void seed_write(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0)
		fatal(path);
}

static struct shdr sh(uint8_t sender, uint8_t flags, uint16_t seq, uint8_t dsel)
{
	return (struct shdr){.sender = sender, .flags = (uint8_t)(flags | F_FIXUP), .seq = seq,
			     .dsel = dsel};
}

static void write_seeds(const char *dir)
{
	static const char *const vname[N_VARIANTS] = {"hub", "hub-obfs", "spoke", "spoke-obfs"};
	uint8_t junk[WIRE_MAX_DATAGRAM + 1];
	struct seed s;
	char name[96];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);

	for (unsigned vi = 0; vi < N_VARIANTS; vi++) {
		bool hub = vi < 2;
		/* hub: spoke a -> spoke b relay; spoke: hub -> us (local delivery) */
		uint8_t to_other = hub ? 2 : 1, to_self = hub ? 0 : 1;

#define SEED(tag) (snprintf(name, sizeof(name), "%s-%s", vname[vi], tag), \
		   seed_write(dir, name, &s))
		seed_start(&s, (uint8_t)vi);
		seed_genuine(&s, vi, sh(0, 0, 1, to_other), ip_pt, sizeof(ip_pt));
		SEED("genuine-data");

		seed_start(&s, (uint8_t)vi);
		seed_genuine(&s, vi, sh(0, 0, 1, 0), NULL, 0);
		SEED("genuine-keepalive");

		seed_start(&s, (uint8_t)vi);
		seed_genuine(&s, vi, sh(0, 0, 5, to_other), ip_pt, sizeof(ip_pt));
		seed_rec(&s, REC_REPEAT, NULL, 0);
		SEED("genuine-replay-pair");

		seed_start(&s, (uint8_t)vi);
		{
			struct shdr newer = sh(0, 0, 1, to_other), older = sh(0, 0, 2, to_other);

			newer.epoch_delta = 1;
			seed_genuine(&s, vi, newer, ip_pt, sizeof(ip_pt));
			seed_genuine(&s, vi, older, ip_pt, sizeof(ip_pt));
		}
		SEED("genuine-old-epoch");

		/* Structured: one scenario per route outcome, a few datagrams each. */
		seed_start(&s, (uint8_t)vi);
		seed_sealed(&s, sh(0, 0, 1, to_other), ip_pt, sizeof(ip_pt));
		seed_sealed(&s, sh(0, 0, 2, to_self), ip_pt, sizeof(ip_pt));
		seed_sealed(&s, sh(0, 0, 3, 5), ip_pt, sizeof(ip_pt));  /* drop rule */
		seed_sealed(&s, sh(0, 0, 4, 6), ip_pt, sizeof(ip_pt));  /* unknown target */
		seed_sealed(&s, sh(0, 0, 5, 8), ip_pt, sizeof(ip_pt));  /* no route */
		seed_sealed(&s, sh(0, 0, 6, hub ? 1 : 2), ip_pt, sizeof(ip_pt)); /* reflect */
		SEED("sealed-routes");

		seed_start(&s, (uint8_t)vi);
		{
			struct shdr spoof = sh(0, 0, 1, to_other), v6 = sh(0, 0, 2, 0);
			uint8_t pt6[40] = {0x60};

			spoof.ssel = hub ? 1 : 2; /* another spoke's address; off-net */
			v6.flags = 0;
			seed_sealed(&s, spoof, ip_pt, sizeof(ip_pt));
			seed_sealed(&s, v6, pt6, sizeof(pt6));
			seed_sealed(&s, sh(0, 0, 3, 0), ip_pt, 12); /* short inner */
		}
		SEED("sealed-spoof-notipv4");

		seed_start(&s, (uint8_t)vi);
		seed_sealed(&s, sh(0, F_TWICE, 9, to_other), ip_pt, sizeof(ip_pt));
		seed_sealed(&s, sh(0, 0, 9, to_other), ip_pt, sizeof(ip_pt));
		seed_sealed(&s, sh(0, 0, 80, to_other), ip_pt, sizeof(ip_pt));
		seed_sealed(&s, sh(0, 0, 10, to_other), ip_pt, sizeof(ip_pt)); /* too old */
		seed_sealed(&s, sh(0, 0, 0xffff, to_other), ip_pt, sizeof(ip_pt));
		SEED("sealed-replay-window");

		seed_start(&s, (uint8_t)(vi | 4)); /* drain mode: one scan budget */
		{
			struct shdr roam = sh(0, F_FROM_SEL, 1, 0), mut = sh(0, F_MUTATE, 2, 0),
				    wrong = sh(0, F_WRONG_ID, 3, 0), flip = sh(0, F_OBFS_FLIP, 4, 0);

			roam.fsel = 4;
			mut.mpos = 3;
			mut.mxor = 0x80;
			seed_sealed(&s, roam, NULL, 0);
			seed_sealed(&s, mut, ip_pt, sizeof(ip_pt));
			seed_sealed(&s, wrong, ip_pt, sizeof(ip_pt));
			seed_sealed(&s, flip, ip_pt, sizeof(ip_pt));
			seed_sealed(&s, sh((uint8_t)(hub ? 3 : 1), 0, 1, 0), ip_pt,
				    sizeof(ip_pt)); /* stranger */
			for (unsigned i = 0; i < OBFS_SCAN_BUDGET + 1; i++)
				seed_rec(&s, (uint8_t)(REC_RAW | 3 << RAW_FROM_SHIFT), junk, 64);
		}
		SEED("sealed-strangers-roaming");

		if (hub) {
			/* Spoke b is learned at an unsendable endpoint, then a relay to it. */
			struct shdr ka = sh(1, F_FROM_SEL, 1, 0), nonce = sh(0, 0, 2, 3);

			ka.fsel = 6;
			seed_start(&s, (uint8_t)vi);
			seed_sealed(&s, ka, NULL, 0);
			seed_sealed(&s, sh(0, 0, 1, 2), ip_pt, sizeof(ip_pt));
			SEED("sealed-send-error");

			seed_start(&s, (uint8_t)vi);
			seed_sealed(&s, sh(0, 0, 1, 3), ip_pt, sizeof(ip_pt));
			seed_sealed(&s, nonce, ip_pt, sizeof(ip_pt));
			seed_sealed(&s, sh(0, 0, 3, 7), ip_pt, sizeof(ip_pt)); /* src rule */
			seed_sealed(&s, sh(1, 0, 1, 7), ip_pt, sizeof(ip_pt));
			SEED("sealed-nonce-exhaustion");
		}
#undef SEED
	}

	/* Runts and giants, against the cleartext hub and the obfuscated spoke. */
	{
		static const size_t sizes[] = {0, 1, 35, 36, WIRE_MAX_DATAGRAM,
					       WIRE_MAX_DATAGRAM + 1};

		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			seed_start(&s, (uint8_t)(i & 1 ? 3 : 0));
			seed_rec(&s, REC_RAW, junk, sizes[i]);
			snprintf(name, sizeof(name), "raw-%zu", sizes[i]);
			seed_write(dir, name, &s);
		}
		seed_start(&s, 0);
		seed_rec(&s, REC_RAW | RAW_TRUNC, junk, 100);
		seed_write(dir, "raw-truncated", &s);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("SUBNETRA_FUZZ_RX_SEEDS");
	const char *tr = getenv("SUBNETRA_FUZZ_RX_TRACE");

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		fatal("sodium_init");
	classify_counters();
	trace = tr != NULL && *tr != '\0' && *tr != '0';
	for (unsigned i = 0; i < N_SINKS; i++) {
		sinks[i] = udp_bound(IP4(127, 0, 0, 2 + i), &sink_ep[i]);
		if (sinks[i] < 0) /* only 127.0.0.1 routable here: distinct ports still */
			sinks[i] = udp_bound(IP4(127, 0, 0, 1), &sink_ep[i]);
		if (sinks[i] < 0)
			fatal("sink socket on the loopback");
	}
	buf = malloc(PKT_BUF_LEN);
	if (buf == NULL)
		fatal("malloc");
	for (unsigned i = 0; i < N_VARIANTS; i++)
		setup_variant(&V[i], i);
	atexit(teardown);
	if (seeds != NULL && *seeds != '\0')
		write_seeds(seeds);
	return 0;
}
