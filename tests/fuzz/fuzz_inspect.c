/*
 * The offline receive decision of subnetra-wire-decode: inspect_datagram()
 * on arbitrary datagrams, against configs built here in code (config_parse
 * and config_validate on JSON text assembled from fixed keys, inspect_init,
 * plus a few policy rules added as a loaded snapshot would add them), and
 * without a config (the header check alone).
 *
 * Eight contexts, picked by the low three bits of the first input byte
 * (bit 0: obfuscate off / on; bits 1-2: the config):
 *   0 spoke  local_id 2, hub 1 (psk A, allowed_src 10.77.0.0/24),
 *            local_routes 10.77.0.2/32
 *   1 hub    local_id 1, spokes 2 (psk A, 10.77.0.2/32), 3 (psk C,
 *            10.77.0.3/32), 65535 (psk D, 10.77.0.128/25); plus a local
 *            rule 10.77.0.1/32 and a source-restricted rule
 *            10.77.0.3/32 -> 10.78.0.0/16 via 2
 *   2 spoke  local_id 65535, hub 1 (psk A), local_routes 10.77.0.2/32,
 *            remote_routes 10.78.0.0/16
 *   3 manual local_id 1, peers 2 (psk B, 10.77.0.2/32), 65535 (psk A, any
 *            source), 4 (psk C, 10.77.0.4/30); rules 10.77.0.1/32 local,
 *            10.77.0.0/24 via 4
 * Every policy also gets a drop rule (10.77.0.99/32) and a rule to an
 * unknown peer 9 (10.77.0.100/32), so every verdict is reachable.  psk A and
 * B are the shared test vectors' keys, so their datagrams authenticate.
 * Bits 3-4 pick the from_id (--from-id): 0, the first peer, the last peer,
 * or 9 (no such peer).  Bit 5 picks the datagram's kind:
 *   0 raw:    the rest of the input is the datagram;
 *   1 sealed: a SEAL_HDR-byte header (struct below), then a plaintext that
 *             the harness seals as the chosen sender would (wire_seal,
 *             wire_obfs_apply), so inputs reach the inner-packet checks
 *             without forging a MAC.  The header can also damage the result
 *             on purpose: wrong psk, opposite obfuscation mode, version,
 *             flags, epoch 0, key_id, one byte flipped after sealing.
 *
 * Invariants (trap when violated):
 *  - a verdict with a config names a counter of COUNTERS_LIST, and one the
 *    receive path can move (drop_udp_* except scan_budget/send_err,
 *    tun_tx_packets, relay_packets, keepalive_rx); "accepted" is exactly
 *    tun_tx_packets / relay_packets / keepalive_rx; the reason is a
 *    non-empty terminated string, the hint a terminated one;
 *  - the result agrees with itself: oversized iff len > 1488; too short is
 *    auth_or_invalid; the raw header equals the input's first 20 bytes
 *    (decoded here independently); the selected peer is one of the config's;
 *    an inner summary exactly when the packet was authenticated and IPv4,
 *    matching the config's allowed_src and the policy's own lookup; a
 *    relay goes to a configured peer other than the sender;
 *  - no key material in any output string: no run of 32 or more hex digits,
 *    no 16-hex-digit piece of any psk, link key or session key of the
 *    context (either case), no 8 raw key bytes;
 *  - inspect keeps no state: the same call twice gives the same verdict;
 *    without obfuscation from_id changes at most the hint; with it, a
 *    from_id that is not a peer is unknown_peer, and the from_id of the peer
 *    the full trial selected gives the same verdict;
 *  - without a config: no counter iff the header check passes (else
 *    auth_or_invalid, or oversized);
 *  - for sealed datagrams the harness knows what was sent and predicts the
 *    verdict exactly (a model of the receive order written from the
 *    protocol, not from inspect.c): the counter, and for data the inner
 *    addresses, protocol and lengths.  Where the outcome rests on a
 *    keyed-hash collision (a header de-masked with the wrong key), the model
 *    says only "unknown_peer or auth_or_invalid".
 *
 * SUBNETRA_FUZZ_INSPECT_TRACE=1 prints each input's verdict.
 * SUBNETRA_FUZZ_INSPECT_SEEDS=DIR writes the seed corpus to DIR at start-up:
 * every datagram of the shared vector file (SUBNETRA_VECTORS, default
 * ../shared/vectors) for each context that holds its link, plus sealed
 * scenarios for every verdict in every context and a few sizes of junk.
 */
#include <json-c/json.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "core/config.h"
#include "core/counters.h"
#include "tools/lib/inspect.h"
#include "core/policy.h"
#include "core/wire.h"

enum {
	N_CONFIGS = 4,
	N_CTX = 2 * N_CONFIGS,
	MAX_CTX_PEERS = 3,
	SEAL_HDR = 10,
	/* per peer: psk, rx and tx link key, wrong-psk link key; the stranger's
	 * psk and link key; the wrong psk; one session key per input */
	MAX_KEYS = 4 * MAX_CTX_PEERS + 4,
	HEX_WINDOW = 16,
	HEX_RUN_MAX = 32,
	STRANGER_ID = 7,
	NO_PEER_ID = 9,
};

#define CTL_CTX(c) ((c)&7u)
#define CTL_FROM(c) (((c) >> 3) & 3u)
#define CTL_SEALED 0x20u

/* Sealed-record header flags. */
enum {
	F_OPPOSITE = 0x01, /* masked as the opposite obfuscation mode */
	F_VERSION = 0x02,  /* header version := aux */
	F_FLAGS = 0x04,	   /* header flags := aux */
	F_EPOCH0 = 0x08,   /* header epoch := 0 */
	F_KEYID = 0x10,	   /* header key_id := ID_TABLE[aux & 7] */
	F_FIXIP = 0x20,	   /* make the plaintext an IPv4 header with chosen addresses */
	F_MUTATE = 0x40,   /* flip one byte of the datagram on the wire */
	F_WRONGPSK = 0x80, /* seal with a psk the receiver does not hold */
};

/*
 * After the control byte: sender index (mod peers + 1; the last is a
 * stranger, id 7), flags, epoch delta (0xff: epoch 1, 0xfe: 2^64-1), seq
 * u16 LE (bit 15: near 2^64), aux, address selectors (low nibble source,
 * high nibble destination), mutate position u16 LE, mutate xor.
 */
struct seal_hdr {
	uint8_t sender, flags, epoch_delta;
	uint16_t seq;
	uint8_t aux, addrs;
	uint16_t mut_pos;
	uint8_t mut_xor;
};

static const char PSK_A[] =
    "e77d24543b852bdcb6cce43b9ae7d73a1af0c426bf6c46d1926c1eed7af1627b";
static const char PSK_B[] =
    "ac71ccb1ed5ce5ce4515bae48e840421ab7b2d6b19c14ba3a1074b5006e06ca7";
static const char PSK_C[] =
    "3c9f0b21d46e8a57f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60789";
static const char PSK_D[] =
    "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a0";
/* The stranger's and the "wrong psk" sender's keys: held by no context. */
static const char PSK_E[] =
    "51f0e0d0c0b0a09080706050403020100f1e2d3c4b5a69788796a5b4c3d2e1f0";
static const char PSK_F[] =
    "0badc0de0badc0de0badc0de0badc0de1337133713371337133713371337dead";

#define VEC_EPOCH UINT64_C(1746843357141467429)
#define IP4(a, b, c, d)                                                                  \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static const uint32_t ADDRS[16] = {
    IP4(10, 77, 0, 1),	 IP4(10, 77, 0, 2),   IP4(10, 77, 0, 3),   IP4(10, 77, 0, 4),
    IP4(10, 77, 0, 5),	 IP4(10, 77, 0, 99),  IP4(10, 77, 0, 100), IP4(10, 77, 0, 130),
    IP4(10, 78, 1, 1),	 IP4(192, 0, 2, 1),   IP4(0, 0, 0, 0),	   IP4(255, 255, 255, 255),
    IP4(10, 77, 0, 255), IP4(10, 77, 1, 1),   IP4(172, 16, 0, 1),  IP4(10, 77, 0, 6),
};
static const uint32_t ID_TABLE[8] = {1, 2, 3, 4, 65535, NO_PEER_ID, STRANGER_ID, 0};

/* The counters the receive path can name (src/daemon/datapath/rx.c's outcomes). */
static const char *const RX_OUTCOMES[] = {
    "tun_tx_packets",	     "relay_packets",	      "keepalive_rx",
    "drop_udp_unknown_peer", "drop_udp_auth_or_invalid", "drop_udp_not_ipv4",
    "drop_udp_spoof",	     "drop_udp_no_route",     "drop_udp_drop_rule",
    "drop_udp_unknown_target", "drop_udp_no_reflect", "drop_udp_oversized",
};
#define COUNTER_NAME(n) #n,
static const char *const ALL_COUNTERS[] = {COUNTERS_LIST(COUNTER_NAME)};
#undef COUNTER_NAME

struct keyset {
	size_t n;
	uint8_t key[MAX_KEYS][WIRE_KEY_LEN];
	char hex[MAX_KEYS][2 * WIRE_KEY_LEN + 1];
};

struct ctx {
	struct config cfg;
	struct inspect ix;
	uint32_t ids[MAX_CTX_PEERS];
	size_t n_peers;
	uint8_t psk[MAX_CTX_PEERS + 2][WIRE_PSK_LEN]; /* + stranger, + wrong psk */
	wire_key link[MAX_CTX_PEERS + 2];	       /* sender -> us */
	wire_key wrong_link[MAX_CTX_PEERS];	       /* PSK_F, sender -> us */
	struct keyset keys;			       /* fixed part */
};

static struct ctx ctxs[N_CTX];
static bool trace;

/* ---- contexts ---- */

static void key_add(struct keyset *k, const uint8_t *key)
{
	if (k->n == MAX_KEYS)
		__builtin_trap(); /* MAX_KEYS is too small: a harness bug */
	memcpy(k->key[k->n], key, WIRE_KEY_LEN);
	sodium_bin2hex(k->hex[k->n], sizeof k->hex[k->n], key, WIRE_KEY_LEN);
	k->n++;
}

static void unhex32(uint8_t out[32], const char *hex)
{
	size_t n = 0;

	if (sodium_hex2bin(out, 32, hex, strlen(hex), NULL, &n, NULL) != 0 || n != 32)
		__builtin_trap();
}

static void add_rule(struct policy *p, uint32_t src, uint8_t sp, uint32_t dst, uint8_t dp,
		     enum policy_action a, uint32_t target)
{
	struct policy_rule r = {
	    .src = {src, sp}, .dst = {dst, dp}, .action = a, .target = target};

	if (policy_add(p, &r) != 0)
		__builtin_trap();
}

/* The template with "@0", "@1", "@2" replaced by the psks (hex). */
static void fill_psks(char *out, size_t cap, const char *tmpl,
		      const char *const psk[MAX_CTX_PEERS])
{
	size_t n = 0;

	for (const char *t = tmpl; *t; t++) {
		const char *put = t;
		size_t len = 1;

		if (t[0] == '@' && t[1] >= '0' && t[1] < '0' + MAX_CTX_PEERS &&
		    psk[t[1] - '0'] != NULL) {
			put = psk[t[1] - '0'];
			len = strlen(put);
			t++;
		}
		if (n + len >= cap)
			__builtin_trap();
		memcpy(out + n, put, len);
		n += len;
	}
	out[n] = '\0';
}

static void ctx_init(struct ctx *c, unsigned idx)
{
	static const char *const peers_json[N_CONFIGS] = {
	    /* 0 spoke, local 2 */
	    "\"role\": \"spoke\", \"local_id\": 2, \"local_routes\": [\"10.77.0.2/32\"], "
	    "\"peers\": [{\"id\": 1, \"endpoint\": \"192.0.2.1:18020\", "
	    "\"allowed_src\": \"10.77.0.0/24\", \"psk\": \"@0\"}]",
	    /* 1 hub, local 1 */
	    "\"role\": \"hub\", \"local_id\": 1, \"peers\": ["
	    "{\"id\": 2, \"endpoint\": \"192.0.2.2:18020\", \"allowed_src\": "
	    "\"10.77.0.2/32\", \"psk\": \"@0\", \"name\": \"two\"}, "
	    "{\"id\": 3, \"endpoint\": \"192.0.2.3:18020\", \"allowed_src\": "
	    "\"10.77.0.3/32\", \"psk\": \"@1\"}, "
	    "{\"id\": 65535, \"endpoint\": \"192.0.2.4:18020\", \"allowed_src\": "
	    "\"10.77.0.128/25\", \"psk\": \"@2\"}]",
	    /* 2 spoke, local 65535 */
	    "\"role\": \"spoke\", \"local_id\": 65535, \"local_routes\": [\"10.77.0.2/32\"], "
	    "\"remote_routes\": [\"10.78.0.0/16\"], "
	    "\"peers\": [{\"id\": 1, \"endpoint\": \"192.0.2.1:18020\", "
	    "\"allowed_src\": \"10.77.0.0/24\", \"psk\": \"@0\"}]",
	    /* 3 manual, local 1 */
	    "\"role\": \"manual\", \"local_id\": 1, \"peers\": ["
	    "{\"id\": 2, \"endpoint\": \"192.0.2.2:18020\", \"allowed_src\": "
	    "\"10.77.0.2/32\", \"psk\": \"@0\"}, "
	    "{\"id\": 65535, \"endpoint\": \"192.0.2.5:18020\", \"psk\": \"@1\"}, "
	    "{\"id\": 4, \"endpoint\": \"192.0.2.4:18020\", \"allowed_src\": "
	    "\"10.77.0.4/30\", \"psk\": \"@2\"}]",
	};
	static const char *const psks[N_CONFIGS][MAX_CTX_PEERS] = {
	    {PSK_A}, {PSK_A, PSK_C, PSK_D}, {PSK_A}, {PSK_B, PSK_A, PSK_C}};
	unsigned k = idx >> 1;
	bool obfs = idx & 1;
	char peers[1024], text[2048];
	struct config_error err;
	struct policy *p = &c->ix.policy;
	int n;

	fill_psks(peers, sizeof peers, peers_json[k], psks[k]);
	n = snprintf(text, sizeof text,
		     "{ \"virtual_subnet\": \"10.77.0.0/24\", \"obfuscate\": %s, %s }",
		     obfs ? "true" : "false", peers);
	if (n < 0 || (size_t)n >= sizeof text)
		__builtin_trap();
	if (config_parse(&c->cfg, "fuzz.json", text, (size_t)n, &err) != 0 ||
	    config_validate(&c->cfg, "fuzz.json", &err) != 0) {
		char msg[512];

		config_error_format(&err, msg, sizeof msg);
		fprintf(stderr, "fuzz_inspect: context %u: %s\n", idx, msg);
		__builtin_trap();
	}
	sodium_memzero(text, sizeof text);
	sodium_memzero(peers, sizeof peers);
	if (inspect_init(&c->ix, &c->cfg) != 0)
		__builtin_trap();

	/* What a loaded snapshot could add (as `subnetra policy add`). */
	add_rule(p, 0, 0, IP4(10, 77, 0, 99), 32, POLICY_DROP, 0);
	add_rule(p, 0, 0, IP4(10, 77, 0, 100), 32, POLICY_FORWARD, NO_PEER_ID);
	if (k == 1) {
		add_rule(p, 0, 0, IP4(10, 77, 0, 1), 32, POLICY_FORWARD, 0);
		add_rule(p, IP4(10, 77, 0, 3), 32, IP4(10, 78, 0, 0), 16, POLICY_FORWARD, 2);
	} else if (k == 3) {
		add_rule(p, 0, 0, IP4(10, 77, 0, 1), 32, POLICY_FORWARD, 0);
		add_rule(p, 0, 0, IP4(10, 77, 0, 0), 24, POLICY_FORWARD, 4);
	}

	/* The keys the harness seals with, derived here from the fixed psks. */
	c->n_peers = c->cfg.n_peers;
	for (size_t i = 0; i < c->n_peers; i++) {
		wire_key tx;

		c->ids[i] = c->cfg.peers[i].id;
		unhex32(c->psk[i], psks[k][i]);
		wire_link_key(c->link[i], c->psk[i], c->ids[i], c->cfg.local_id);
		wire_link_key(tx, c->psk[i], c->cfg.local_id, c->ids[i]);
		key_add(&c->keys, c->psk[i]);
		key_add(&c->keys, c->link[i]);
		key_add(&c->keys, tx);
		sodium_memzero(tx, sizeof tx);
	}
	unhex32(c->psk[c->n_peers], PSK_E);
	wire_link_key(c->link[c->n_peers], c->psk[c->n_peers], STRANGER_ID,
		      c->cfg.local_id);
	key_add(&c->keys, c->psk[c->n_peers]);
	key_add(&c->keys, c->link[c->n_peers]);
	unhex32(c->psk[c->n_peers + 1], PSK_F);
	key_add(&c->keys, c->psk[c->n_peers + 1]);
	for (size_t i = 0; i < c->n_peers; i++) {
		wire_link_key(c->wrong_link[i], c->psk[c->n_peers + 1], c->ids[i],
			      c->cfg.local_id);
		key_add(&c->keys, c->wrong_link[i]);
	}
}

static int peer_index(const struct ctx *c, uint32_t id)
{
	for (size_t i = 0; i < c->n_peers; i++)
		if (c->ids[i] == id)
			return (int)i;
	return -1;
}

/* ---- sealing ---- */

struct sent {
	size_t sender;		 /* index; n_peers = the stranger */
	uint32_t sender_id;
	struct seal_hdr sh;
	uint64_t seal_epoch, seq;
	struct wire_header hdr;	 /* as sent, before masking */
	uint8_t pt[WIRE_MAX_PLAINTEXT]; /* the plaintext sealed (sealing encrypts in place) */
	size_t pt_len;
	wire_key session;
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void set_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void set_be32(uint8_t *p, uint32_t v)
{
	set_be16(p, (uint16_t)(v >> 16));
	set_be16(p + 2, (uint16_t)v);
}

/* Builds the datagram into out (WIRE_MAX_DATAGRAM bytes); returns its length. */
static size_t seal(const struct ctx *c, const uint8_t *in, size_t n, uint8_t *out,
		   struct sent *s)
{
	struct seal_hdr *h = &s->sh;
	uint8_t *pt = out + WIRE_HEADER_LEN;
	const uint8_t *link;
	size_t len;

	*h = (struct seal_hdr){
	    .sender = in[0],
	    .flags = in[1],
	    .epoch_delta = in[2],
	    .seq = le16(in + 3),
	    .aux = in[5],
	    .addrs = in[6],
	    .mut_pos = le16(in + 7),
	    .mut_xor = in[9] ? in[9] : 1,
	};
	in += SEAL_HDR;
	n -= SEAL_HDR;
	s->sender = h->sender % (c->n_peers + 1);
	s->sender_id = s->sender < c->n_peers ? c->ids[s->sender] : STRANGER_ID;
	s->seal_epoch = h->epoch_delta == 0xff	 ? 1
			: h->epoch_delta == 0xfe ? UINT64_MAX
						 : VEC_EPOCH + h->epoch_delta;
	s->seq = h->seq & 0x8000 ? UINT64_MAX - (h->seq & 0x7fff) : h->seq;
	s->pt_len = n < WIRE_MAX_PLAINTEXT ? n : WIRE_MAX_PLAINTEXT;
	memcpy(pt, in, s->pt_len);
	if ((h->flags & F_FIXIP) && s->pt_len >= 20) {
		pt[0] = 0x45;
		set_be16(pt + 2, (uint16_t)s->pt_len);
		set_be32(pt + 12, ADDRS[h->addrs & 15]);
		set_be32(pt + 16, ADDRS[h->addrs >> 4]);
	}
	memcpy(s->pt, pt, s->pt_len);

	if ((h->flags & F_WRONGPSK) && s->sender < c->n_peers)
		link = c->wrong_link[s->sender];
	else
		link = c->link[s->sender];
	wire_session_key(s->session, link, s->seal_epoch);
	len = wire_seal(out, s->pt_len, s->session, (uint16_t)s->sender_id, s->seal_epoch,
			s->seq);

	wire_header_decode(&s->hdr, out);
	if (h->flags & F_VERSION)
		s->hdr.version = h->aux;
	if (h->flags & F_FLAGS)
		s->hdr.flags = h->aux;
	if (h->flags & F_EPOCH0)
		s->hdr.epoch = 0;
	if (h->flags & F_KEYID)
		s->hdr.key_id = (uint16_t)ID_TABLE[h->aux & 7];
	wire_header_encode(out, &s->hdr);

	if (c->cfg.obfuscate != ((h->flags & F_OPPOSITE) != 0))
		wire_obfs_apply(out, len, link);
	if (h->flags & F_MUTATE)
		out[h->mut_pos % len] ^= h->mut_xor;
	return len;
}

/* ---- the model of the receive order, for sealed datagrams ---- */

static const char *const REJECT_ANY = "unknown_peer or auth_or_invalid";

static const char *model_route(const struct ctx *c, const struct sent *s)
{
	const struct peer_config *p = &c->cfg.peers[s->sender];
	const struct policy_rule *r;
	uint32_t src, dst;

	if (s->pt_len < 20 || s->pt[0] >> 4 != 4)
		return "drop_udp_not_ipv4";
	src = (uint32_t)s->pt[12] << 24 | (uint32_t)s->pt[13] << 16 |
	      (uint32_t)s->pt[14] << 8 | s->pt[15];
	dst = (uint32_t)s->pt[16] << 24 | (uint32_t)s->pt[17] << 16 |
	      (uint32_t)s->pt[18] << 8 | s->pt[19];
	if (p->allowed_src.prefix != 0 &&
	    ((src ^ p->allowed_src.addr) >> (32 - p->allowed_src.prefix)) != 0)
		return "drop_udp_spoof";
	r = policy_lookup(policy_active(&c->ix.policy), src, dst);
	if (r == NULL)
		return "drop_udp_no_route";
	if (r->action == POLICY_DROP)
		return "drop_udp_drop_rule";
	if (r->target == POLICY_TARGET_LOCAL)
		return "tun_tx_packets";
	if (r->target == s->sender_id)
		return "drop_udp_no_reflect";
	if (peer_index(c, r->target) < 0)
		return "drop_udp_unknown_target";
	return "relay_packets";
}

/* The header rules, written out independently of wire_header_check. */
static bool header_valid(const struct wire_header *h, size_t len)
{
	return h->version == WIRE_VERSION && (h->flags & WIRE_FLAGS_RESERVED) == 0 &&
	       h->epoch != 0 && (!(h->flags & WIRE_FLAG_KEEPALIVE) || len == WIRE_MIN_DATAGRAM);
}

/* The verdict for the datagram s describes, received with from_id 0. */
static const char *model(const struct ctx *c, const struct sent *s, size_t len)
{
	const struct seal_hdr *h = &s->sh;
	bool masked = c->cfg.obfuscate != ((h->flags & F_OPPOSITE) != 0);
	bool genuine_key = s->sender < c->n_peers && !(h->flags & F_WRONGPSK);
	bool body_changed = false, tag_changed = false;
	struct wire_header eff = s->hdr;

	if (h->flags & F_MUTATE) {
		size_t pos = h->mut_pos % len;

		if (pos < WIRE_HEADER_LEN) {
			/* The mask is keyed by the tag, so a header byte flips in the
			 * clear too. */
			uint8_t b[WIRE_HEADER_LEN];

			wire_header_encode(b, &eff);
			b[pos] ^= h->mut_xor;
			wire_header_decode(&eff, b);
		} else if (pos < len - WIRE_TAG_LEN) {
			body_changed = true;
		} else {
			tag_changed = true;
		}
	}

	if (c->cfg.obfuscate) {
		/* Only the sender's genuine mask de-masks; the trial checks version
		 * and key_id. */
		if (!masked || tag_changed || s->sender >= c->n_peers ||
		    (h->flags & F_WRONGPSK))
			return REJECT_ANY;
		if (eff.version != WIRE_VERSION || eff.key_id != s->sender_id)
			return REJECT_ANY;
	} else {
		int idx;

		if (masked)
			return REJECT_ANY;
		idx = peer_index(c, eff.key_id);
		if (idx < 0)
			return "drop_udp_unknown_peer";
		if (!header_valid(&eff, len))
			return "drop_udp_auth_or_invalid";
		if ((size_t)idx != s->sender || !genuine_key)
			return "drop_udp_auth_or_invalid"; /* another link's key */
	}
	if (!header_valid(&eff, len))
		return "drop_udp_auth_or_invalid";
	if (eff.epoch != s->seal_epoch || eff.seq != s->seq || body_changed ||
	    tag_changed)
		return "drop_udp_auth_or_invalid";
	if (eff.flags & WIRE_FLAG_KEEPALIVE)
		return "keepalive_rx";
	return model_route(c, s);
}

/* ---- checks ---- */

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static bool is(const struct inspect_result *r, const char *counter)
{
	return r->counter != NULL && strcmp(r->counter, counter) == 0;
}

/* No key material in one output string. */
static void check_text(const char *what, const char *s, size_t cap,
		       const struct keyset *fixed, const struct keyset *extra)
{
	const struct keyset *sets[2] = {fixed, extra};
	size_t len = strnlen(s, cap);
	long run;

	FUZZ_CHECK(len < cap, "%s is not terminated", what);
	run = fuzz_find_hex_run(s, len, HEX_RUN_MAX);
	FUZZ_CHECK(run < 0, "%s holds a run of %d hex digits: %s", what, HEX_RUN_MAX, s);
	for (size_t i = 0; i + HEX_WINDOW <= len;) {
		char win[HEX_WINDOW];
		long r = fuzz_find_hex_run(s + i, len - i, HEX_WINDOW);
		size_t end;

		if (r < 0)
			break;
		i += (size_t)r;
		for (end = i; end < len && isxdigit((unsigned char)s[end]); end++)
			;
		for (size_t w = i; w + HEX_WINDOW <= end; w++) {
			for (size_t j = 0; j < HEX_WINDOW; j++)
				win[j] = (char)tolower((unsigned char)s[w + j]);
			for (size_t k = 0; k < 2; k++)
				for (size_t j = 0; j < sets[k]->n; j++)
					FUZZ_CHECK(fuzz_memmem(sets[k]->hex[j],
							       2 * WIRE_KEY_LEN, win,
							       HEX_WINDOW) == NULL,
						   "%s quotes key material (%s): %s", what,
						   sets[k]->hex[j], s);
		}
		i = end;
	}
	for (size_t k = 0; k < 2; k++)
		for (size_t j = 0; j < sets[k]->n; j++)
			FUZZ_CHECK(fuzz_memmem(s, len, (const char *)sets[k]->key[j], 8) ==
					   NULL,
				   "%s holds raw key bytes: %s", what, s);
}

static void check_leaks(const char *what, const struct inspect_result *r,
			const struct ctx *c, const struct keyset *extra)
{
	char label[64];

	snprintf(label, sizeof label, "%s reason", what);
	check_text(label, r->reason, sizeof r->reason, &c->keys, extra);
	snprintf(label, sizeof label, "%s hint", what);
	check_text(label, r->hint, sizeof r->hint, &c->keys, extra);
}

static void check_raw(const struct inspect_result *r, const uint8_t *d, size_t len)
{
	FUZZ_CHECK(r->len == len, "len %zu for a %zu-byte datagram", r->len, len);
	FUZZ_CHECK(r->have_raw == (len >= WIRE_HEADER_LEN), "have_raw %d at %zu bytes",
		   r->have_raw, len);
	if (r->have_raw)
		FUZZ_CHECK(r->raw.version == d[0] && r->raw.flags == d[1] &&
				   r->raw.key_id == le16(d + 2) &&
				   r->raw.epoch == le64(d + 4) && r->raw.seq == le64(d + 12),
			   "raw header differs from the datagram's first 20 bytes");
}

/* Everything a verdict with a config must satisfy on its own. */
static void check_verdict(const struct ctx *c, const struct inspect_result *r,
			  const uint8_t *d, size_t len)
{
	static const char *const inner_counters[] = {
	    "drop_udp_spoof",	   "drop_udp_no_route",	      "drop_udp_drop_rule",
	    "tun_tx_packets",	   "drop_udp_no_reflect",     "drop_udp_unknown_target",
	    "relay_packets",
	};
	bool inner_verdict, rule_verdict;

	FUZZ_CHECK(r->evaluated, "a verdict with a config is not evaluated");
	FUZZ_CHECK(r->obfuscated == c->cfg.obfuscate, "obfuscated %d", r->obfuscated);
	FUZZ_CHECK(r->counter != NULL, "no counter (%s)", r->reason);
	FUZZ_CHECK(in_list(r->counter, ALL_COUNTERS,
			   sizeof ALL_COUNTERS / sizeof ALL_COUNTERS[0]),
		   "'%s' is not a counter", r->counter);
	FUZZ_CHECK(in_list(r->counter, RX_OUTCOMES,
			   sizeof RX_OUTCOMES / sizeof RX_OUTCOMES[0]),
		   "'%s' is not a receive outcome", r->counter);
	FUZZ_CHECK(r->accepted == (is(r, "tun_tx_packets") || is(r, "relay_packets") ||
				   is(r, "keepalive_rx")),
		   "accepted %d with %s", r->accepted, r->counter);
	FUZZ_CHECK(memchr(r->reason, '\0', sizeof r->reason) && r->reason[0] != '\0',
		   "%s without a reason", r->counter);
	FUZZ_CHECK(memchr(r->hint, '\0', sizeof r->hint), "hint not terminated");
	check_raw(r, d, len);
	FUZZ_CHECK(is(r, "drop_udp_oversized") == (len > WIRE_MAX_DATAGRAM),
		   "%s at %zu bytes", r->counter, len);
	FUZZ_CHECK(len >= WIRE_MIN_DATAGRAM || len > WIRE_MAX_DATAGRAM ||
			   is(r, "drop_udp_auth_or_invalid"),
		   "%s at %zu bytes", r->counter, len);

	if (r->peer != NULL) {
		FUZZ_CHECK(r->peer >= c->cfg.peers && r->peer < c->cfg.peers + c->cfg.n_peers,
			   "the selected peer is not one of the config's");
	}
	FUZZ_CHECK(!r->unmasked || (c->cfg.obfuscate && r->have_hdr && r->peer != NULL),
		   "unmasked without obfuscation, header or peer");
	FUZZ_CHECK(!r->accepted || r->peer != NULL, "accepted from no peer");
	if (r->accepted || is(r, "drop_udp_not_ipv4") || r->have_inner)
		FUZZ_CHECK(r->have_hdr && r->peer != NULL && r->hdr.key_id == r->peer->id &&
				   r->hdr.version == WIRE_VERSION,
			   "%s: authenticated, but key_id %u, peer %u", r->counter,
			   r->hdr.key_id, r->peer ? r->peer->id : 0);

	inner_verdict = in_list(r->counter, inner_counters,
				sizeof inner_counters / sizeof inner_counters[0]);
	rule_verdict = inner_verdict && !is(r, "drop_udp_spoof") &&
		       !is(r, "drop_udp_no_route");
	FUZZ_CHECK(r->have_inner == inner_verdict, "%s with have_inner %d", r->counter,
		   r->have_inner);
	FUZZ_CHECK(r->have_rule == rule_verdict, "%s with have_rule %d", r->counter,
		   r->have_rule);
	if (r->have_inner) {
		const struct cidr *a = &r->peer->allowed_src;
		bool allowed = a->prefix == 0 ||
			       ((r->inner.src ^ a->addr) >> (32 - a->prefix)) == 0;

		FUZZ_CHECK(r->inner.pt_len >= 20 && r->inner.pt_len == len - WIRE_MIN_DATAGRAM,
			   "inner pt_len %zu for a %zu-byte datagram", r->inner.pt_len, len);
		FUZZ_CHECK(allowed == !is(r, "drop_udp_spoof"),
			   "%s, but the source is %sin allowed_src", r->counter,
			   allowed ? "" : "not ");
	}
	if (r->have_rule) {
		const struct policy_rule *want = policy_lookup(
		    policy_active(&c->ix.policy), r->inner.src, r->inner.dst);
		uint32_t t = r->rule.target;

		FUZZ_CHECK(want != NULL && want->action == r->rule.action &&
				   want->target == t && want->src.addr == r->rule.src.addr &&
				   want->src.prefix == r->rule.src.prefix &&
				   want->dst.addr == r->rule.dst.addr &&
				   want->dst.prefix == r->rule.dst.prefix,
			   "%s: the rule shown is not the policy's", r->counter);
		if (is(r, "drop_udp_drop_rule"))
			FUZZ_CHECK(r->rule.action == POLICY_DROP, "drop_rule, forward rule");
		else
			FUZZ_CHECK(r->rule.action == POLICY_FORWARD, "%s with a drop rule",
				   r->counter);
		if (is(r, "tun_tx_packets"))
			FUZZ_CHECK(t == POLICY_TARGET_LOCAL, "tun_tx to target %u", t);
		if (is(r, "drop_udp_no_reflect"))
			FUZZ_CHECK(t == r->peer->id, "no_reflect to %u from %u", t,
				   r->peer->id);
		if (is(r, "drop_udp_unknown_target"))
			FUZZ_CHECK(t != 0 && peer_index(c, t) < 0,
				   "unknown_target %u is a peer", t);
		if (is(r, "relay_packets"))
			FUZZ_CHECK(t != r->peer->id && peer_index(c, t) >= 0,
				   "relay to %u from %u", t, r->peer->id);
	}
	if (is(r, "keepalive_rx"))
		FUZZ_CHECK(!r->have_inner && (r->hdr.flags & WIRE_FLAG_KEEPALIVE),
			   "keepalive_rx with an inner packet or without the flag");
}

static bool same_verdict(const struct inspect_result *a, const struct inspect_result *b,
			 bool hint_too)
{
	return a->counter == b->counter && a->accepted == b->accepted &&
	       a->peer == b->peer && a->have_inner == b->have_inner &&
	       a->have_rule == b->have_rule && strcmp(a->reason, b->reason) == 0 &&
	       (!hint_too || strcmp(a->hint, b->hint) == 0);
}

static void check_expected(const struct ctx *c, const struct sent *s,
			   const struct inspect_result *r, size_t len)
{
	const char *want = model(c, s, len);

	if (want == REJECT_ANY) {
		FUZZ_CHECK(is(r, "drop_udp_unknown_peer") || is(r, "drop_udp_auth_or_invalid"),
			   "sealed: expected %s, got %s (%s)", want, r->counter, r->reason);
		return;
	}
	/*
	 * With obfuscation the daemon tries every peer's key in order: an earlier
	 * peer's key de-masks to version 1 and its own key_id with probability
	 * 2^-24, and then its AEAD fails.  That is a correct verdict, not a
	 * model error.
	 */
	if (c->cfg.obfuscate && r->peer != NULL && r->peer != &c->cfg.peers[s->sender] &&
	    is(r, "drop_udp_auth_or_invalid"))
		return;
	FUZZ_CHECK(is(r, want), "sealed by %u (flags 0x%02x): expected %s, got %s (%s)",
		   s->sender_id, s->sh.flags, want, r->counter, r->reason);
	if (r->have_inner) {
		const uint8_t *p = s->pt;

		FUZZ_CHECK(r->inner.pt_len == s->pt_len &&
				   r->inner.src == ((uint32_t)p[12] << 24 | (uint32_t)p[13] << 16 |
						    (uint32_t)p[14] << 8 | p[15]) &&
				   r->inner.dst == ((uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 |
						    (uint32_t)p[18] << 8 | p[19]) &&
				   r->inner.proto == p[9] &&
				   r->inner.total_len == (uint16_t)(p[2] << 8 | p[3]),
			   "sealed: the inner summary differs from the plaintext");
		FUZZ_CHECK(r->peer == &c->cfg.peers[s->sender], "sealed: wrong peer");
	}
}

static void do_trace(unsigned ci, uint32_t from_id, bool sealed,
		     const struct inspect_result *r)
{
	fprintf(stderr, "ctx %u from_id %u %s: %s: %s%s%s\n", ci, from_id,
		sealed ? "sealed" : "raw", r->counter ? r->counter : "(none)", r->reason,
		r->hint[0] ? " | hint: " : "", r->hint);
}

/* ---- seeds ---- */

/* Writes one seed, unless the same bytes were already written. */
static void write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	static uint8_t seen[512][16];
	static size_t n_seen;
	uint8_t h[16];
	char path[512];
	FILE *f;

	crypto_generichash(h, sizeof h, p, n, NULL, 0);
	for (size_t i = 0; i < n_seen; i++)
		if (memcmp(seen[i], h, sizeof h) == 0)
			return;
	if (n_seen < sizeof seen / sizeof seen[0])
		memcpy(seen[n_seen++], h, sizeof h);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "fuzz_inspect: cannot write %s\n", path);
		exit(1);
	}
}

static bool hex_field(json_object *o, const char *k1, const char *k2, uint8_t *out,
		      size_t cap, size_t *n)
{
	json_object *a, *b;
	const char *hex;

	if (!json_object_object_get_ex(o, k1, &a) || !json_object_object_get_ex(a, k2, &b))
		return false;
	hex = json_object_get_string(b);
	return hex != NULL &&
	       sodium_hex2bin(out, cap, hex, strlen(hex), NULL, n, NULL) == 0;
}

static int64_t int_field(json_object *o, const char *k1, const char *k2)
{
	json_object *a, *b;

	if (!json_object_object_get_ex(o, k1, &a) || !json_object_object_get_ex(a, k2, &b))
		return -1;
	return json_object_get_int64(b);
}

/* Contexts holding the link psk from -> to, with obfuscation obfs; as a bit mask. */
static unsigned ctx_for_link(const uint8_t *psk, int64_t from, int64_t to, bool obfs)
{
	unsigned mask = 0;

	for (unsigned i = 0; i < N_CTX; i++) {
		const struct ctx *c = &ctxs[i];
		int idx = peer_index(c, (uint32_t)from);

		if (c->cfg.obfuscate == obfs && c->cfg.local_id == to && idx >= 0 &&
		    sodium_memcmp(c->psk[idx], psk, WIRE_PSK_LEN) == 0)
			mask |= 1u << i;
	}
	return mask;
}

static void seed_datagram(const char *dir, const char *name, unsigned ci, uint8_t from,
			  const uint8_t *d, size_t n)
{
	uint8_t buf[1 + WIRE_MAX_DATAGRAM + 8];
	char file[160];

	buf[0] = (uint8_t)(ci | from << 3);
	memcpy(buf + 1, d, n);
	snprintf(file, sizeof file, "%s-ctx%u", name, ci);
	write_file(dir, file, buf, n + 1);
}

static const char *const FRESH_CASES[] = {
    "short-datagrams", "bad-version", "reserved-flag-bits", "zero-epoch-fresh-session",
    "auth-failures", "keepalive-accepted", "inner-source-spoof",
    "hub-to-spoke-subnet-fresh-link",
};

static void seed_vectors(const char *dir)
{
	const char *vd = getenv("SUBNETRA_VECTORS");
	static const char *const lists[] = {"vectors", "obfuscated_vectors"};
	json_object *root, *arr;
	char path[512];
	uint8_t d[WIRE_MAX_DATAGRAM], psk[WIRE_PSK_LEN];
	size_t n, pn, written = 0;

	snprintf(path, sizeof path, "%s/subnetra-v1-vectors.json",
		 vd && *vd ? vd : "../shared/vectors");
	root = json_object_from_file(path);
	if (root == NULL) {
		fprintf(stderr, "fuzz_inspect: cannot read %s (set SUBNETRA_VECTORS)\n",
			path);
		exit(1);
	}
	for (size_t l = 0; l < 2; l++) {
		if (!json_object_object_get_ex(root, lists[l], &arr))
			continue;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *v = json_object_array_get_idx(arr, i), *nm;
			unsigned mask;
			char name[128];

			if (!hex_field(v, "output", "datagram", d, sizeof d, &n) ||
			    !hex_field(v, "input", "psk", psk, sizeof psk, &pn) ||
			    pn != WIRE_PSK_LEN || !json_object_object_get_ex(v, "name", &nm))
				continue;
			mask = ctx_for_link(psk, int_field(v, "input", "from_id"),
					    int_field(v, "input", "to_id"), l == 1);
			snprintf(name, sizeof name, "vec-%s",
				 json_object_get_string(nm));
			for (char *p = name; *p; p++)
				if (*p == '^' || *p == '+')
					*p = '_';
			/* A link no context holds still makes a (rejected) seed. */
			if (mask == 0)
				mask = 1u << (l == 1 ? 1 : 0);
			for (unsigned ci = 0; ci < N_CTX; ci++)
				if (mask & (1u << ci)) {
					seed_datagram(dir, name, ci, 0, d, n);
					written++;
				}
		}
	}
	if (json_object_object_get_ex(root, "receiver_cases", &arr)) {
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *cs = json_object_array_get_idx(arr, i), *steps, *nm;
			unsigned mask;

			/* inspect gives every datagram a fresh session: the cases
			 * about replay and epoch history add nothing. */
			if (!json_object_object_get_ex(cs, "name", &nm) ||
			    !in_list(json_object_get_string(nm), FRESH_CASES,
				     sizeof FRESH_CASES / sizeof FRESH_CASES[0]))
				continue;
			if (!hex_field(cs, "link", "psk", psk, sizeof psk, &pn) ||
			    !json_object_object_get_ex(cs, "steps", &steps) ||
			    !json_object_object_get_ex(cs, "name", &nm))
				continue;
			mask = ctx_for_link(psk, int_field(cs, "link", "from_id"),
					    int_field(cs, "link", "to_id"), false);
			for (size_t j = 0; j < json_object_array_length(steps); j++) {
				json_object *st = json_object_array_get_idx(steps, j), *dg;
				const char *hex;
				char name[160];

				if (!json_object_object_get_ex(st, "datagram", &dg) ||
				    (hex = json_object_get_string(dg)) == NULL ||
				    sodium_hex2bin(d, sizeof d, hex, strlen(hex), NULL, &n,
						   NULL) != 0)
					continue;
				snprintf(name, sizeof name, "case-%s-%zu",
					 json_object_get_string(nm), j);
				for (unsigned ci = 0; ci < N_CTX; ci++)
					if (mask & (1u << ci)) {
						seed_datagram(dir, name, ci, 0, d, n);
						written++;
					}
			}
		}
	}
	json_object_put(root);
	fprintf(stderr, "fuzz_inspect: %zu vector datagrams from %s\n", written, path);
}

/* One sealed scenario: an IPv4/UDP plaintext of pt_len bytes (0: keepalive). */
static void seed_sealed(const char *dir, const char *name, unsigned ci, uint8_t from,
			uint8_t sender, uint8_t flags, uint8_t aux, uint8_t src, uint8_t dst,
			size_t pt_len, uint16_t mut_pos)
{
	uint8_t buf[1 + SEAL_HDR + 64];
	char file[160];

	memset(buf, 0, sizeof buf);
	buf[0] = (uint8_t)(ci | from << 3 | CTL_SEALED);
	buf[1] = sender;
	buf[2] = flags;
	buf[3] = 7;		 /* epoch delta */
	buf[4] = 42;		 /* seq */
	buf[6] = aux;
	buf[7] = (uint8_t)(src | dst << 4);
	buf[8] = (uint8_t)mut_pos;
	buf[9] = (uint8_t)(mut_pos >> 8);
	buf[10] = 0x01;
	for (size_t i = 0; i < pt_len; i++)
		buf[1 + SEAL_HDR + i] = (uint8_t)(0x40 + i);
	if (pt_len >= 28) {
		uint8_t *ip = buf + 1 + SEAL_HDR;

		ip[0] = 0x45;
		ip[8] = 64;
		ip[9] = 17;
	}
	snprintf(file, sizeof file, "sealed-%s-ctx%u", name, ci);
	write_file(dir, file, buf, 1 + SEAL_HDR + pt_len);
}

static void write_seeds(const char *dir)
{
	/* src/dst selectors into ADDRS, per config: {sender, src, dst} for
	 * local delivery, relay, no_reflect, spoof. */
	static const uint8_t routes[N_CONFIGS][4][3] = {
	    {{0, 0, 1}, {0, 0, 4}, {0, 0, 4}, {0, 8, 1}},
	    {{0, 1, 0}, {1, 2, 8}, {0, 1, 1}, {0, 2, 0}},
	    {{0, 0, 1}, {0, 0, 8}, {0, 0, 8}, {0, 9, 1}},
	    {{0, 1, 0}, {0, 1, 4}, {2, 3, 4}, {0, 0, 0}},
	};
	static const size_t junk_sizes[] = {0, 19, 20, 35, 36, 37, WIRE_MAX_DATAGRAM};
	uint8_t junk[WIRE_MAX_DATAGRAM + 2];

	seed_vectors(dir);
	for (unsigned ci = 0; ci < N_CTX; ci++) {
		const uint8_t(*rt)[3] = routes[ci >> 1];

		/* Routes: every config, cleartext (the obfuscated twin only once). */
		seed_sealed(dir, "local", ci, 0, rt[0][0], F_FIXIP, 0, rt[0][1], rt[0][2], 28,
			    0);
		if (ci & 1)
			continue;
		seed_sealed(dir, "relay", ci, 0, rt[1][0], F_FIXIP, 0, rt[1][1], rt[1][2], 28,
			    0);
		seed_sealed(dir, "no-reflect", ci, 0, rt[2][0], F_FIXIP, 0, rt[2][1],
			    rt[2][2], 28, 0);
		seed_sealed(dir, "spoof", ci, 0, rt[3][0], F_FIXIP, 0, rt[3][1], rt[3][2],
			    28, 0);
		seed_sealed(dir, "drop-rule", ci, 0, 0, F_FIXIP, 0, 1, 5, 28, 0);
		seed_sealed(dir, "unknown-target", ci, 0, 0, F_FIXIP, 0, 1, 6, 28, 0);
		seed_sealed(dir, "no-route", ci, 0, 0, F_FIXIP, 0, 1, 9, 28, 0);
		seed_sealed(dir, "not-ipv4", ci, 0, 0, 0, 0, 0, 0, 12, 0);
	}
	/* Header damage and peer selection: a spoke and a hub, both modes. */
	for (unsigned ci = 0; ci < 4; ci++) {
		char name[64];

		seed_sealed(dir, "keepalive", ci, 1, 0, 0, 0, 0, 0, 0, 0);
		seed_sealed(dir, "keepalive-flag-cleared", ci, 0, 0, F_FLAGS, 0x00, 0, 0, 0,
			    0);
		seed_sealed(dir, "reserved-flags", ci, 0, 0, F_FLAGS | F_FIXIP, 0x04, 1, 0,
			    28, 0);
		seed_sealed(dir, "version-2", ci, 0, 0, F_VERSION, 2, 0, 0, 0, 0);
		seed_sealed(dir, "epoch-0", ci, 0, 0, F_EPOCH0, 0, 0, 0, 0, 0);
		seed_sealed(dir, "key-id", ci, 0, 0, F_KEYID | F_FIXIP, 1, 1, 0, 28, 0);
		seed_sealed(dir, "wrong-psk", ci, 0, 0, F_WRONGPSK | F_FIXIP, 0, 1, 0, 28, 0);
		seed_sealed(dir, "opposite-mode", ci, 0, 0, F_OPPOSITE | F_FIXIP, 0, 1, 0, 28,
			    0);
		seed_sealed(dir, "stranger", ci, 0, 3, F_FIXIP, 0, 1, 0, 28, 0);
		seed_sealed(dir, "mutate-flags", ci, 0, 0, F_MUTATE | F_FIXIP, 0, 1, 0, 28, 1);
		seed_sealed(dir, "mutate-tag", ci, 0, 0, F_MUTATE | F_FIXIP, 0, 1, 0, 28, 60);
		seed_sealed(dir, "from-other", ci, 2, 0, F_FIXIP, 0, 1, 0, 28, 0);
		seed_sealed(dir, "from-nobody", ci, 3, 0, F_FIXIP, 0, 1, 0, 28, 0);
		if (ci > 1)
			continue;
		/* Junk of the sizes that matter, with a plausible header. */
		for (size_t i = 0; i < sizeof junk_sizes / sizeof junk_sizes[0]; i++) {
			size_t n = junk_sizes[i];

			if ((ci & 1) && n != WIRE_MIN_DATAGRAM)
				continue; /* the sizes matter before the mode does */
			memset(junk, 0, sizeof junk);
			junk[0] = (uint8_t)ci;
			junk[1] = 1; /* version 1 */
			junk[3] = 1; /* key_id 1 */
			junk[5] = 1; /* epoch 1 */
			snprintf(name, sizeof name, "raw-%zu-ctx%u", n, ci);
			write_file(dir, name, junk, n + 1);
		}
		snprintf(name, sizeof name, "raw-oversized-ctx%u", ci);
		memset(junk, 0, sizeof junk);
		junk[0] = (uint8_t)ci;
		write_file(dir, name, junk, WIRE_MAX_DATAGRAM + 2);
	}
}

/* ---- libFuzzer ---- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("SUBNETRA_FUZZ_INSPECT_SEEDS");
	const char *tr = getenv("SUBNETRA_FUZZ_INSPECT_TRACE");

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		__builtin_trap();
	for (unsigned i = 0; i < N_CTX; i++)
		ctx_init(&ctxs[i], i);
	trace = tr != NULL && *tr != '\0' && *tr != '0';
	if (seeds != NULL && *seeds != '\0')
		write_seeds(seeds);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t sealed_buf[WIRE_MAX_DATAGRAM];
	struct inspect_result r0, r0b, r1, rn;
	struct keyset extra = {0};
	struct sent s;
	struct ctx *c;
	const uint8_t *d;
	uint8_t *heap = NULL;
	uint32_t from_id;
	size_t len;
	unsigned ci;
	bool sealed;
	char flags[64];

	if (size < 1)
		return 0;
	ci = CTL_CTX(data[0]);
	c = &ctxs[ci];
	switch (CTL_FROM(data[0])) {
	case 0:
		from_id = 0;
		break;
	case 1:
		from_id = c->ids[0];
		break;
	case 2:
		from_id = c->ids[c->n_peers - 1];
		break;
	default:
		from_id = NO_PEER_ID;
		break;
	}
	sealed = (data[0] & CTL_SEALED) && size >= 1 + SEAL_HDR;
	if (sealed) {
		len = seal(c, data + 1, size - 1, sealed_buf, &s);
		key_add(&extra, s.session);
		/* An exact-size copy, so ASan sees any read past the end. */
		heap = malloc(len);
		if (heap == NULL)
			return 0;
		memcpy(heap, sealed_buf, len);
		d = heap;
	} else {
		d = data + 1;
		len = size - 1;
	}

	inspect_datagram(&c->ix, d, len, 0, &r0);
	if (trace)
		do_trace(ci, 0, sealed, &r0);
	if (!sealed && r0.peer != NULL && r0.have_hdr) {
		/* The session key the selected peer's datagram would open with. */
		int i = peer_index(c, r0.peer->id);
		wire_key sk;

		if (i >= 0) {
			wire_session_key(sk, c->link[i], r0.hdr.epoch);
			key_add(&extra, sk);
			sodium_memzero(sk, sizeof sk);
		}
	}
	check_verdict(c, &r0, d, len);
	check_leaks("verdict", &r0, c, &extra);
	inspect_datagram(&c->ix, d, len, 0, &r0b);
	FUZZ_CHECK(same_verdict(&r0, &r0b, true), "a second call decided otherwise: %s / %s",
		   r0.counter, r0b.counter);
	if (sealed)
		check_expected(c, &s, &r0, len);

	if (from_id != 0) {
		inspect_datagram(&c->ix, d, len, from_id, &r1);
		if (trace)
			do_trace(ci, from_id, sealed, &r1);
		check_verdict(c, &r1, d, len);
		check_leaks("from_id verdict", &r1, c, &extra);
		if (!c->cfg.obfuscate) {
			FUZZ_CHECK(same_verdict(&r0, &r1, false),
				   "cleartext: from_id %u changed the verdict: %s -> %s",
				   from_id, r0.counter, r1.counter);
		} else {
			/* --from-id names the peer whose endpoint sent it (rx.c's fast path). */
			if (peer_index(c, from_id) < 0)
				FUZZ_CHECK(same_verdict(&r0, &r1, true),
					   "from_id %u is no peer, but it changed the verdict: "
					   "%s -> %s", from_id, r0.counter, r1.counter);
			if (r0.peer != NULL && r0.peer->id == from_id)
				FUZZ_CHECK(same_verdict(&r0, &r1, true),
					   "from_id %u (the selected peer) changed the "
					   "verdict: %s -> %s",
					   from_id, r0.counter, r1.counter);
			/* From a peer's endpoint, nothing de-masks: a key mismatch. */
			if (peer_index(c, from_id) >= 0 && is(&r0, "drop_udp_unknown_peer"))
				FUZZ_CHECK(is(&r1, "drop_udp_auth_or_invalid") && r1.peer == NULL,
					   "from peer %u, no key de-masks, but %s", from_id,
					   r1.counter);
			if (r1.peer != NULL)
				FUZZ_CHECK(r1.peer->id == from_id || r1.peer == r0.peer,
					   "from_id %u, but peer %u selected", from_id,
					   r1.peer->id);
		}
	}

	/* No config: the header check alone. */
	inspect_datagram(NULL, d, len, 0, &rn);
	check_leaks("header-only", &rn, c, &extra);
	check_raw(&rn, d, len);
	FUZZ_CHECK(!rn.evaluated && !rn.obfuscated && !rn.accepted && rn.peer == NULL,
		   "header-only result claims a config");
	if (len > WIRE_MAX_DATAGRAM) {
		FUZZ_CHECK(is(&rn, "drop_udp_oversized"), "header-only: %s at %zu bytes",
			   rn.counter, len);
	} else {
		bool ok = len >= WIRE_MIN_DATAGRAM && d[0] == WIRE_VERSION &&
			  (d[1] & WIRE_FLAGS_RESERVED) == 0 && le64(d + 4) != 0 &&
			  (!(d[1] & WIRE_FLAG_KEEPALIVE) || len == WIRE_MIN_DATAGRAM);

		FUZZ_CHECK(ok == (rn.counter == NULL),
			   "header-only: header %s, counter %s", ok ? "valid" : "invalid",
			   rn.counter ? rn.counter : "(none)");
		FUZZ_CHECK(ok || is(&rn, "drop_udp_auth_or_invalid"),
			   "header-only: %s for an invalid header", rn.counter);
		FUZZ_CHECK(memchr(rn.reason, '\0', sizeof rn.reason) && rn.reason[0] != '\0',
			   "header-only without a reason");
		FUZZ_CHECK(!ok || (rn.have_hdr && rn.hdr.key_id == le16(d + 2)),
			   "header-only: a valid header not reported");
	}

	/* wire-decode prints the flags through this. */
	if (r0.have_raw) {
		inspect_flags_format(r0.raw.flags, flags, sizeof flags);
		FUZZ_CHECK(memchr(flags, '\0', sizeof flags) &&
				   strncmp(flags, r0.raw.flags & 1 ? "KEEPALIVE" : "data",
					   r0.raw.flags & 1 ? 9 : 4) == 0,
			   "flags 0x%02x formatted as '%s'", r0.raw.flags, flags);
	}

	sodium_memzero(&s, sizeof s);
	sodium_memzero(&extra, sizeof extra);
	sodium_memzero(sealed_buf, sizeof sealed_buf);
	free(heap);
	return 0;
}
