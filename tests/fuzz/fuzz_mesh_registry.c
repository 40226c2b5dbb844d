/*
 * The base server's registry (core/mesh/registry.c) driven by a sequence
 * of operations: twelve node keys, eight transports, a clock that only
 * moves forward, a table of 8 nodes and a pool of 12 subscriptions (so a
 * full table, a full pool and the sweep are all in reach).  libsodium's
 * randomness is a splitmix64 stream reset per input, so an input replays
 * the same relay ids.
 *
 * Input: records of 5 bytes, `op a b c d` (a short tail is ignored):
 *   op % 8 = 0 REGISTER   node a, transport b, seq c, content d (bit 7: the
 *                         ER of another key)
 *            1 LOOKUP     requester a, transport b, target c, d bit 0 notify
 *            2 UNSUBSCRIBE  requester a, transport b, target c
 *            3 ALLOW      requester a, transport b, c bit 0 RESTRICT,
 *                         (c >> 1) * 3 % 94 entries (0 .. 93, so lists of
 *                         one to twelve chunks): nodes d, d + 1, ... and
 *                         after twelve, addresses of no key
 *            4 PING       requester a, transport b
 *            5 RELAY      from transport a, source id b, destination id c:
 *                         an id selector (node n's current id, the id node n
 *                         held last, or bytes of d)
 *            6 EXPIRE     budget a % 32
 *            7 CLOCK      + a * (1 ms, 100 ms, 1 s, 10 s)[b % 4]
 * and op >> 3 ms pass after every record.
 *
 * Invariants, after every operation:
 *  - registry_check finds nothing (every count matches a recount, every
 *    index and list is whole);
 *  - every verdict has a name, and every reply and push encodes
 *    (registry_msg_basectl, basectl_encode);
 *  - a push goes only to the transport of a node that is registered and
 *    live at that moment; a NOTIFY or CHANGED push is about a live node
 *    that allows the recipient;
 *  - a RELAYED names the transport of the live node that holds the
 *    destination id;
 *  - a node live before an operation and not expired after it is still
 *    registered, with the same relay id (nothing fresh is ever evicted,
 *    and relay ids are stable).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "core/mesh/registry.h"
#include "tests/unit/splitmix.h"

enum { KEYS = 12, TRANSPORTS = 8, CAP = 8, SUBS = 12 };

#define T0 (1000 * REGISTRY_NS_PER_S)

static uint64_t rng_state;

static const char *det_name(void)
{
	return "fuzz-splitmix";
}

static uint32_t det_random(void)
{
	return (uint32_t)splitmix64(&rng_state);
}

static void det_buf(void *const buf, const size_t size)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < size; i++)
		p[i] = (uint8_t)splitmix64(&rng_state);
}

static struct randombytes_implementation det_rng = {
    .implementation_name = det_name,
    .random = det_random,
    .buf = det_buf,
};

struct key {
	uint8_t addr[BASECTL_ADDR_LEN];
	uint8_t pk[IDENTITY_PK_LEN];
};

static struct key keys[KEYS];
static struct registry_transport transports[TRANSPORTS];
static struct registry reg;
static void *mem;
static size_t mem_len;
static uint64_t now;

static void check_msg(const struct registry_msg *m)
{
	static struct basectl b;
	uint8_t out[BASECTL_MAX_LEN];
	size_t len;
	enum basectl_result r;

	registry_msg_basectl(m, &b);
	r = basectl_encode(&b, out, sizeof out, &len);
	FUZZ_CHECK(r == BASECTL_OK, "message %#x arg %u does not encode: %s", m->type,
		   m->arg, basectl_result_name(r));
}

/* The naive reference: a linear search of the list copied out. */
static bool node_allows(const struct registry_node *n, const uint8_t addr[16])
{
	static uint8_t list[BASECTL_ALLOW_MAX][16];
	size_t len;

	if (!n->restricted)
		return true;
	len = registry_allow_list(&reg, n, list);
	for (size_t i = 0; i < len; i++)
		if (memcmp(list[i], addr, 16) == 0)
			return true;
	return false;
}

/*
 * A live node at transport t (several may share one: a NAT may hand a
 * stale node's public port to another) that may receive a push about
 * `about` (NULL: any).
 */
static bool live_at(const struct registry_transport *t, const struct registry_msg *m,
		    const struct registry_node *about)
{
	for (int k = 0; k < KEYS; k++) {
		const struct registry_node *n = registry_find(&reg, keys[k].addr, now);

		if (!n || memcmp(&n->tr, t, sizeof(*t)) != 0)
			continue;
		if (!about ||
		    (m->arg == BASECTL_PEER_CHANGED ? node_allows(about, n->addr)
						    : node_allows(n, about->addr)))
			return true;
	}
	return false;
}

static void on_push(void *ctx, const struct registry_transport *to,
		    const struct registry_msg *m)
{
	const struct registry_node *about;

	(void)ctx;
	FUZZ_CHECK(live_at(to, m, NULL), "push to a transport no live node holds");
	FUZZ_CHECK(m->type == BASECTL_PEER_INFO &&
		       (m->arg == BASECTL_PEER_NOTIFY || m->arg == BASECTL_PEER_CHANGED),
		   "push of type %#x reason %u", m->type, m->arg);
	about = registry_find(&reg, m->addr, now);
	FUZZ_CHECK(about != NULL, "push about a node that is not live");
	FUZZ_CHECK(m->er == &about->er, "push carries another record");
	FUZZ_CHECK(live_at(to, m, about), "%s push to a node the ALLOW list excludes",
		   m->arg == BASECTL_PEER_CHANGED ? "CHANGED" : "NOTIFY");
	check_msg(m);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct registry_config cfg = {.nodes = CAP, .subs = SUBS, .push = on_push};

	(void)argc, (void)argv;
	randombytes_set_implementation(&det_rng);
	if (sodium_init() < 0)
		abort();
	for (int k = 0; k < KEYS; k++) {
		keys[k].addr[0] = 0xfc, keys[k].addr[1] = 0x94,
		keys[k].addr[15] = (uint8_t)k;
		memset(keys[k].pk, 0x40 + k, IDENTITY_PK_LEN);
	}
	for (int t = 0; t < TRANSPORTS; t++) {
		struct registry_transport *tr = &transports[t];

		tr->addr[10] = tr->addr[11] = 0xff;
		tr->addr[12] = 192, tr->addr[13] = 0, tr->addr[14] = 2;
		tr->addr[15] = (uint8_t)(1 + t / 2);
		tr->port = (uint16_t)(5582 + t % 2);
		tr->kind = t < 6 ? REGISTRY_UDP : REGISTRY_TCP;
		tr->tcp_conn = t < 6 ? 0 : (uint32_t)t;
	}
	/* Transport 7 becomes unobservable (port 0): a caller bug, refused. */
	transports[7].port = 0;
	mem_len = registry_mem_size(&cfg);
	mem = aligned_alloc(8, (mem_len + 7) & ~(size_t)7);
	if (!mem)
		abort();
	return 0;
}

static void make_er(struct er *er, int k, uint8_t seq, uint8_t content)
{
	memset(er, 0, sizeof(*er));
	memcpy(er->ed_pk, keys[k].pk, IDENTITY_PK_LEN);
	er->seq = (uint64_t)seq + 1;
	er->listen_port = (uint16_t)(1 + (content & 3));
	er->nat_flags = (content >> 2) & ER_NAT_FLAGS_KNOWN;
	er->n = (content >> 5) & 3;
	for (unsigned i = 0; i < er->n; i++) {
		er->ep[i].addr[10] = er->ep[i].addr[11] = 0xff;
		er->ep[i].addr[12] = 203, er->ep[i].addr[14] = 113;
		er->ep[i].addr[15] = (uint8_t)(k * 4 + i + 1);
		er->ep[i].port = 4000;
	}
}

static void id_select(uint8_t sel, uint8_t d, uint8_t last[KEYS][8], uint8_t id[8])
{
	const struct registry_node *n = registry_find(&reg, keys[sel % KEYS].addr, now);

	switch (sel / KEYS % 3) {
	case 0:
		if (n) {
			memcpy(id, n->relay_id, 8);
			break;
		}
		/* fall through */
	case 1:
		memcpy(id, last[sel % KEYS], 8);
		break;
	default:
		memset(id, d, 8);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry_config cfg = {.nodes = CAP, .subs = SUBS, .push = on_push};
	uint8_t last_id[KEYS][8];
	struct {
		bool live;
		uint8_t id[8];
	} before[KEYS];
	const char *why;

	if (size > 5 * 400)
		return 0;
	rng_state = 0x5eed;
	memset(mem, 0, mem_len);
	if (registry_init(&reg, &cfg, mem, mem_len) != 0)
		abort();
	memset(last_id, 0, sizeof last_id);
	now = T0;
	for (size_t off = 0; off + 5 <= size; off += 5) {
		const uint8_t *r = data + off;
		uint8_t op = r[0], a = r[1], b = r[2], c = r[3], d = r[4];
		const struct key *ka = &keys[a % KEYS], *kc = &keys[c % KEYS];
		const struct registry_transport *tb = &transports[b % TRANSPORTS];
		struct registry_msg reply;
		struct registry_transport to;
		enum registry_verdict v = REGISTRY_VERDICT_END;
		uint8_t list[BASECTL_ALLOW_MAX][BASECTL_ADDR_LEN], src[8], dst[8];
		size_t n_list;
		struct er er;
		bool has_reply = false;

		for (int k = 0; k < KEYS; k++) {
			const struct registry_node *n =
			    registry_find(&reg, keys[k].addr, now);

			before[k].live = n != NULL;
			if (n)
				memcpy(before[k].id, n->relay_id, 8);
		}
		switch (op % 8) {
		case 0:
			make_er(&er, (d & 0x80) ? (a + 1) % KEYS : a % KEYS, c, d);
			v = registry_register(&reg, now, ka->pk, ka->addr, tb, &er,
					      &reply);
			has_reply =
			    v != REGISTRY_WRONG_KEY && v != REGISTRY_BAD_TRANSPORT;
			FUZZ_CHECK(v == REGISTRY_REGISTERED || v == REGISTRY_UPDATED ||
				       v == REGISTRY_REFRESHED || v == REGISTRY_STALE ||
				       v == REGISTRY_FULL || !has_reply,
				   "register: %s", registry_verdict_name(v));
			FUZZ_CHECK(v != REGISTRY_FULL || reg.n_nodes == CAP,
				   "full with room");
			break;
		case 1:
			v = registry_lookup(&reg, now, ka->addr, tb, kc->addr, d & 1,
					    &reply);
			has_reply = v == REGISTRY_REPLY || v == REGISTRY_UNKNOWN ||
				    v == REGISTRY_DENIED;
			break;
		case 2:
			v = registry_unsubscribe(&reg, now, ka->addr, tb, kc->addr);
			break;
		case 3:
			n_list = (size_t)(c >> 1) * 3 % (BASECTL_ALLOW_MAX + 1);
			for (size_t i = 0; i < n_list; i++) {
				memcpy(list[i], keys[(d + i) % KEYS].addr,
				       BASECTL_ADDR_LEN);
				list[i][14] = (uint8_t)(i / KEYS);
			}
			v = registry_allow(&reg, now, ka->addr, tb, c & 1,
					   (const uint8_t(*)[BASECTL_ADDR_LEN])list,
					   n_list);
			FUZZ_CHECK(v != REGISTRY_ALLOW_SET ||
					   registry_find(&reg, ka->addr, now)->n_allow <= n_list,
				   "ALLOW holds more than it was sent");
			break;
		case 4:
			v = registry_ping(&reg, now, ka->addr, tb,
					  (const uint8_t[8]){c, d, op}, &reply);
			has_reply = v == REGISTRY_PONG;
			break;
		case 5:
			id_select(b, d, last_id, src);
			id_select(c, d, last_id, dst);
			v = registry_relay(&reg, now, &transports[a % TRANSPORTS], src,
					   dst, &to);
			if (v == REGISTRY_RELAYED) {
				bool found = false;

				for (int k = 0; k < KEYS; k++) {
					const struct registry_node *n =
					    registry_find(&reg, keys[k].addr, now);

					if (n && memcmp(n->relay_id, dst, 8) == 0)
						found =
						    memcmp(&n->tr, &to, sizeof to) == 0;
				}
				FUZZ_CHECK(found,
					   "relayed elsewhere than to the live holder of "
					   "the destination id");
			}
			break;
		case 6:
			registry_expire(&reg, now, a % 32);
			break;
		default:
			now += (uint64_t)a * (uint64_t[]){UINT64_C(1000000),
							  UINT64_C(100000000),
							  REGISTRY_NS_PER_S,
							  10 * REGISTRY_NS_PER_S}[b % 4];
			break;
		}
		if (v != REGISTRY_VERDICT_END)
			FUZZ_CHECK(strcmp(registry_verdict_name(v), "?") != 0,
				   "verdict %d", v);
		if (has_reply)
			check_msg(&reply);
		why = registry_check(&reg);
		FUZZ_CHECK(why == NULL, "registry_check after op %u: %s", op % 8, why);
		for (int k = 0; k < KEYS; k++) {
			const struct registry_node *n =
			    registry_find(&reg, keys[k].addr, now);

			if (n)
				memcpy(last_id[k], n->relay_id, 8);
			if (!before[k].live)
				continue;
			/* Still registered unless it expired (the clock moved). */
			if (!n) {
				FUZZ_CHECK(op % 8 == 7, "node %d vanished on op %u", k,
					   op % 8);
				continue;
			}
			FUZZ_CHECK(memcmp(n->relay_id, before[k].id, 8) == 0,
				   "node %d's relay id changed while registered", k);
		}
		now += op >> 3;
	}
	return 0;
}
