/*
 * The base server's registry (core/mesh/registry.c) with a fake clock:
 * register, lookup, notify and its rate limit, subscriptions and pushes on
 * change, ALLOW, the relay sender check and expired destinations,
 * incremental expiry, the full-table rule, relay ids, and a 10,000-node
 * fill that holds the documented memory bound and O(1) lookups.  Every
 * test ends with registry_check (the recount).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mesh/registry.h"

#define S(x)  ((uint64_t)(x)*REGISTRY_NS_PER_S)
#define MS(x) ((uint64_t)(x)*UINT64_C(1000000))
#define T0    S(1000)

enum { PUSH_KEEP = 64 };

struct pushed {
	struct registry_transport to;
	uint8_t type, reason;
	uint8_t about[BASECTL_ADDR_LEN];
	uint64_t er_seq;
};

struct fixture {
	struct registry reg;
	void *mem;
	size_t n_push;
	struct pushed push[PUSH_KEEP];
};

static void on_push(void *ctx, const struct registry_transport *to,
		    const struct registry_msg *m)
{
	struct fixture *f = ctx;

	if (f->n_push < PUSH_KEEP) {
		struct pushed *p = &f->push[f->n_push];

		p->to = *to;
		p->type = (uint8_t)m->type;
		p->reason = m->arg;
		memcpy(p->about, m->addr, BASECTL_ADDR_LEN);
		p->er_seq = m->er ? m->er->seq : 0;
	}
	f->n_push++;
}

static struct fixture *fixture_new(uint32_t nodes, uint32_t subs)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct registry_config cfg = {.nodes = nodes, .subs = subs, .push = on_push};
	size_t len;

	assert_non_null(f);
	cfg.push_ctx = f;
	len = registry_mem_size(&cfg);
	assert_true(len > 0);
	f->mem = calloc(1, len);
	assert_non_null(f->mem);
	assert_int_equal(registry_init(&f->reg, &cfg, f->mem, len), 0);
	return f;
}

static void fixture_free(struct fixture *f)
{
	const char *why = registry_check(&f->reg);

	if (why)
		fail_msg("registry_check: %s", why);
	free(f->mem);
	free(f);
}

/* Node k: address fc94::k, key k repeated, an ER with one endpoint. */
struct node {
	uint8_t addr[BASECTL_ADDR_LEN];
	uint8_t pk[IDENTITY_PK_LEN];
	struct er er;
	struct registry_transport tr;
};

static struct registry_transport udp(uint32_t host, uint16_t port)
{
	struct registry_transport t = {.kind = REGISTRY_UDP, .port = port};

	t.addr[10] = t.addr[11] = 0xff;
	t.addr[12] = 198, t.addr[13] = 51;
	t.addr[14] = (uint8_t)(host >> 8), t.addr[15] = (uint8_t)host;
	return t;
}

static struct registry_transport tcp(uint32_t host, uint16_t port, uint32_t conn)
{
	struct registry_transport t = udp(host, port);

	t.kind = REGISTRY_TCP;
	t.tcp_conn = conn;
	return t;
}

static void node_make(struct node *n, uint32_t k)
{
	memset(n, 0, sizeof(*n));
	n->addr[0] = 0xfc, n->addr[1] = 0x94;
	n->addr[12] = (uint8_t)(k >> 24), n->addr[13] = (uint8_t)(k >> 16);
	n->addr[14] = (uint8_t)(k >> 8), n->addr[15] = (uint8_t)k;
	for (int i = 0; i < IDENTITY_PK_LEN; i += 4) {
		n->pk[i] = (uint8_t)(k >> 24), n->pk[i + 1] = (uint8_t)(k >> 16);
		n->pk[i + 2] = (uint8_t)(k >> 8), n->pk[i + 3] = (uint8_t)k;
	}
	memcpy(n->er.ed_pk, n->pk, IDENTITY_PK_LEN);
	n->er.seq = 1;
	n->er.listen_port = 5582;
	n->er.n = 1;
	n->er.ep[0].addr[0] = 0x20, n->er.ep[0].addr[1] = 0x01;
	n->er.ep[0].addr[15] = (uint8_t)k;
	n->er.ep[0].port = 5582;
	n->tr = udp(k, (uint16_t)(10000 + (k & 0x3fff)));
}

static enum registry_verdict reg_node(struct fixture *f, const struct node *n,
				      uint64_t now)
{
	struct registry_msg reply;

	return registry_register(&f->reg, now, n->pk, n->addr, &n->tr, &n->er, &reply);
}

/* Nodes 1, 2 and 3, registered at T0. */
static void three_nodes(struct fixture *f, struct node *a, struct node *b, struct node *c)
{
	node_make(a, 1), node_make(b, 2), node_make(c, 3);
	assert_int_equal(reg_node(f, a, T0), REGISTRY_REGISTERED);
	assert_int_equal(reg_node(f, b, T0), REGISTRY_REGISTERED);
	assert_int_equal(reg_node(f, c, T0), REGISTRY_REGISTERED);
}

static enum registry_verdict lookup(struct fixture *f, const struct node *a,
				    const struct node *b, bool notify, uint64_t now,
				    struct registry_msg *reply)
{
	return registry_lookup(&f->reg, now, a->addr, &a->tr, b->addr, notify, reply);
}

static const struct registry_node *held(struct fixture *f, const struct node *n,
					uint64_t now)
{
	return registry_find(&f->reg, n->addr, now);
}

static void test_register_lookup_notify(void **state)
{
	struct fixture *f = fixture_new(16, 0);
	struct node a, b, c;
	struct registry_msg reply;
	const struct registry_node *hb;

	(void)state;
	node_make(&a, 1), node_make(&b, 2), node_make(&c, 3);
	assert_int_equal(
	    registry_register(&f->reg, T0, a.pk, a.addr, &a.tr, &a.er, &reply),
	    REGISTRY_REGISTERED);
	assert_int_equal(reply.type, BASECTL_REGISTER_OK);
	assert_int_equal(reply.arg, BASECTL_STATUS_OK);
	assert_int_equal(reply.refresh_s, REGISTRY_REFRESH_S);
	assert_memory_equal(reply.observed.addr, a.tr.addr, 16);
	assert_int_equal(reply.observed.port, a.tr.port);
	assert_memory_equal(reply.relay_id, held(f, &a, T0)->relay_id, 8);
	assert_int_equal(reg_node(f, &b, T0), REGISTRY_REGISTERED);
	assert_int_equal(f->reg.n_nodes, 2);

	/* A looks B up: B's record, relay id, observed endpoint; A subscribed. */
	assert_int_equal(lookup(f, &a, &b, false, T0 + S(3), &reply), REGISTRY_REPLY);
	hb = held(f, &b, T0);
	assert_int_equal(reply.type, BASECTL_PEER_INFO);
	assert_int_equal(reply.arg, BASECTL_PEER_REPLY);
	assert_memory_equal(reply.addr, b.addr, 16);
	assert_memory_equal(reply.relay_id, hb->relay_id, 8);
	assert_int_equal(reply.age_s, 3);
	assert_int_equal(reply.n_obs, 1);
	assert_int_equal(reply.observed.port, b.tr.port);
	assert_ptr_equal(reply.er, &hb->er);
	assert_int_equal(f->reg.n_subs, 1);
	assert_int_equal(f->n_push, 0);

	/* An unknown target: reason 3, nothing else, no subscription. */
	assert_int_equal(lookup(f, &a, &c, true, T0 + S(3), &reply), REGISTRY_UNKNOWN);
	assert_int_equal(reply.arg, BASECTL_PEER_UNKNOWN);
	assert_null(reply.er);
	assert_int_equal(f->reg.n_subs, 1);
	assert_int_equal(f->n_push, 0);

	/* Notify: B hears about A, at B's transport; once per pair per 2 s. */
	assert_int_equal(lookup(f, &a, &b, true, T0 + S(4), &reply), REGISTRY_REPLY);
	assert_int_equal(f->n_push, 1);
	assert_memory_equal(&f->push[0].to, &b.tr, sizeof b.tr);
	assert_int_equal(f->push[0].reason, BASECTL_PEER_NOTIFY);
	assert_memory_equal(f->push[0].about, a.addr, 16);
	assert_int_equal(lookup(f, &a, &b, true, T0 + S(4) + MS(1999), &reply),
			 REGISTRY_REPLY);
	assert_int_equal(f->n_push, 1);
	assert_int_equal(f->reg.count[REGISTRY_NOTIFY_LIMITED], 1);
	assert_int_equal(lookup(f, &a, &b, true, T0 + S(6), &reply), REGISTRY_REPLY);
	assert_int_equal(f->n_push, 2);
	assert_int_equal(f->reg.count[REGISTRY_NOTIFY_SENT], 2);
	assert_int_equal(f->reg.n_subs, 1); /* renewed, not repeated */

	/* Someone not registered gets nothing; neither does a bad transport. */
	assert_int_equal(lookup(f, &c, &a, true, T0 + S(6), &reply),
			 REGISTRY_UNREGISTERED);
	c.tr = a.tr;
	c.tr.port = 0;
	assert_int_equal(
	    registry_lookup(&f->reg, T0, a.addr, &c.tr, b.addr, false, &reply),
	    REGISTRY_BAD_TRANSPORT);
	assert_int_equal(f->n_push, 2);
	fixture_free(f);
}

/* REGISTER_OK, PEER_INFO and PONG encode, and the PEER_INFO decodes. */
static void test_messages_encode(void **state)
{
	struct fixture *f = fixture_new(4, 0);
	struct identity ida, idb;
	struct node a, b;
	struct registry_msg reply;
	struct basectl m, back;
	uint8_t buf[BASECTL_MAX_LEN], er_buf[ER_MAX_LEN],
	    txid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	size_t len;

	(void)state;
	identity_generate(&ida), identity_generate(&idb);
	node_make(&a, 1), node_make(&b, 2);
	memcpy(a.addr, ida.addr, 16), memcpy(b.addr, idb.addr, 16);
	assert_int_equal(er_sign(&a.er, &ida, er_buf, sizeof er_buf, &len), ER_OK);
	assert_int_equal(er_sign(&b.er, &idb, er_buf, sizeof er_buf, &len), ER_OK);
	memcpy(a.pk, ida.pk, 32), memcpy(b.pk, idb.pk, 32);
	assert_int_equal(
	    registry_register(&f->reg, T0, a.pk, a.addr, &a.tr, &a.er, &reply),
	    REGISTRY_REGISTERED);
	registry_msg_basectl(&reply, &m);
	assert_int_equal(basectl_encode(&m, buf, sizeof buf, &len), BASECTL_OK);
	assert_int_equal(len, BASECTL_REGISTER_OK_LEN);
	assert_int_equal(reg_node(f, &b, T0), REGISTRY_REGISTERED);

	assert_int_equal(lookup(f, &a, &b, false, T0 + S(1), &reply), REGISTRY_REPLY);
	registry_msg_basectl(&reply, &m);
	assert_int_equal(basectl_encode(&m, buf, sizeof buf, &len), BASECTL_OK);
	assert_int_equal(basectl_decode(&back, buf, len, NULL), BASECTL_OK);
	assert_true(back.has_er);
	assert_memory_equal(back.er.ed_pk, idb.pk, 32);
	assert_int_equal(back.n_obs, 1);

	assert_int_equal(lookup(f, &a, &a, false, T0 + S(1), &reply), REGISTRY_REPLY);
	memset(a.addr + 8, 0x55, 8); /* unregistered, and still an fc94 address */
	assert_int_equal(
	    registry_lookup(&f->reg, T0 + S(1), b.addr, &b.tr, a.addr, false, &reply),
	    REGISTRY_UNKNOWN);
	registry_msg_basectl(&reply, &m);
	assert_int_equal(basectl_encode(&m, buf, sizeof buf, &len), BASECTL_OK);
	assert_int_equal(len, BASECTL_PEER_INFO_EMPTY_LEN);

	assert_int_equal(registry_ping(&f->reg, T0 + S(2), b.addr, &b.tr, txid, &reply),
			 REGISTRY_PONG);
	registry_msg_basectl(&reply, &m);
	assert_int_equal(basectl_encode(&m, buf, sizeof buf, &len), BASECTL_OK);
	assert_int_equal(len, BASECTL_PONG_LEN);
	assert_memory_equal(buf + 4, txid, 8);
	identity_wipe(&ida), identity_wipe(&idb);
	fixture_free(f);
}

static void test_push_on_change(void **state)
{
	struct fixture *f = fixture_new(16, 0);
	struct node a, b, c;
	struct registry_msg reply;
	uint8_t relay_id[8];
	uint8_t txid[8] = {0};

	(void)state;
	three_nodes(f, &a, &b, &c);
	assert_int_equal(lookup(f, &a, &b, false, T0, &reply), REGISTRY_REPLY);
	assert_int_equal(lookup(f, &c, &b, false, T0, &reply), REGISTRY_REPLY);
	memcpy(relay_id, held(f, &b, T0)->relay_id, 8);

	/* The same record again: a refresh, nothing pushed. */
	assert_int_equal(reg_node(f, &b, T0 + S(10)), REGISTRY_REFRESHED);
	/* A fresher seq, same content: held, nothing pushed. */
	b.er.seq = 2;
	assert_int_equal(reg_node(f, &b, T0 + S(11)), REGISTRY_UPDATED);
	assert_int_equal(held(f, &b, T0)->er.seq, 2);
	assert_int_equal(f->n_push, 0);
	/* A new endpoint: both subscribers hear, at their transports. */
	b.er.seq = 3;
	b.er.ep[0].port = 6000;
	assert_int_equal(reg_node(f, &b, T0 + S(12)), REGISTRY_UPDATED);
	assert_int_equal(f->n_push, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(f->push[i].reason, BASECTL_PEER_CHANGED);
		assert_memory_equal(f->push[i].about, b.addr, 16);
		assert_int_equal(f->push[i].er_seq, 3);
		assert_true(memcmp(&f->push[i].to, &a.tr, sizeof a.tr) == 0 ||
			    memcmp(&f->push[i].to, &c.tr, sizeof c.tr) == 0);
	}
	/* Stale: an older seq, or the same seq with other bytes; nothing moves. */
	b.er.seq = 2;
	b.tr.port++;
	assert_int_equal(
	    registry_register(&f->reg, T0 + S(13), b.pk, b.addr, &b.tr, &b.er, &reply),
	    REGISTRY_STALE);
	assert_int_equal(reply.arg, BASECTL_STATUS_STALE);
	assert_memory_equal(reply.relay_id, relay_id, 8);
	b.er.seq = 3;
	b.er.nat_flags = ER_NAT_EDM;
	assert_int_equal(reg_node(f, &b, T0 + S(13)), REGISTRY_STALE);
	assert_int_equal(held(f, &b, T0)->er.seq, 3);
	assert_int_equal(held(f, &b, T0)->er.nat_flags, 0);
	assert_int_equal(held(f, &b, T0)->tr.port, b.tr.port - 1);
	assert_int_equal(held(f, &b, T0)->refreshed, T0 + S(12));
	assert_int_equal(f->n_push, 2);

	/* B moves (a PING from a new port) within a second: deferred, then
	 * pushed by the sweep once the second is over. */
	assert_int_equal(
	    registry_ping(&f->reg, T0 + S(12) + MS(500), b.addr, &b.tr, txid, &reply),
	    REGISTRY_PONG);
	assert_int_equal(reply.observed.port, b.tr.port);
	assert_int_equal(f->n_push, 2);
	assert_int_equal(f->reg.count[REGISTRY_PUSH_DEFERRED], 1);
	registry_expire(&f->reg, T0 + S(12) + MS(900), 16);
	assert_int_equal(f->n_push, 2);
	registry_expire(&f->reg, T0 + S(13), 16);
	assert_int_equal(f->n_push, 4);
	assert_int_equal(f->push[3].reason, BASECTL_PEER_CHANGED);
	/* The relay id never changed. */
	assert_memory_equal(held(f, &b, T0)->relay_id, relay_id, 8);

	/* After UNSUBSCRIBE only C hears. */
	assert_int_equal(registry_unsubscribe(&f->reg, T0 + S(20), a.addr, &a.tr, b.addr),
			 REGISTRY_UNSUBSCRIBED);
	assert_int_equal(registry_unsubscribe(&f->reg, T0 + S(20), a.addr, &a.tr, b.addr),
			 REGISTRY_NOT_SUBSCRIBED);
	b.tr = tcp(2, 443, 77);
	assert_int_equal(registry_ping(&f->reg, T0 + S(21), b.addr, &b.tr, txid, &reply),
			 REGISTRY_PONG);
	assert_int_equal(f->n_push, 5);
	assert_memory_equal(&f->push[4].to, &c.tr, sizeof c.tr);
	fixture_free(f);
}

static void test_sender_check(void **state)
{
	struct fixture *f = fixture_new(16, 0);
	struct node a, b;
	struct registry_transport to, forged;
	uint8_t ida[8], idb[8], nobody[8] = {9, 9, 9, 9, 9, 9, 9, 9};

	(void)state;
	node_make(&a, 1), node_make(&b, 2);
	a.tr = tcp(1, 40000, 5); /* A on TCP, B on UDP: the base bridges them */
	assert_int_equal(reg_node(f, &a, T0), REGISTRY_REGISTERED);
	assert_int_equal(reg_node(f, &b, T0), REGISTRY_REGISTERED);
	memcpy(ida, held(f, &a, T0)->relay_id, 8);
	memcpy(idb, held(f, &b, T0)->relay_id, 8);

	assert_int_equal(registry_relay(&f->reg, T0, &a.tr, ida, idb, &to),
			 REGISTRY_RELAYED);
	assert_memory_equal(&to, &b.tr, sizeof to);
	assert_int_equal(registry_relay(&f->reg, T0, &b.tr, idb, ida, &to),
			 REGISTRY_RELAYED);
	assert_memory_equal(&to, &a.tr, sizeof to);

	/* A's id from anywhere else: another connection, a UDP source with
	 * A's address and port, B's own transport. */
	forged = a.tr;
	forged.tcp_conn = 6;
	assert_int_equal(registry_relay(&f->reg, T0, &forged, ida, idb, &to),
			 REGISTRY_WRONG_TRANSPORT);
	forged = udp(1, 40000);
	assert_int_equal(registry_relay(&f->reg, T0, &forged, ida, idb, &to),
			 REGISTRY_WRONG_TRANSPORT);
	assert_int_equal(registry_relay(&f->reg, T0, &b.tr, ida, idb, &to),
			 REGISTRY_WRONG_TRANSPORT);
	assert_int_equal(registry_relay(&f->reg, T0, &a.tr, nobody, idb, &to),
			 REGISTRY_UNKNOWN_SRC);
	assert_int_equal(registry_relay(&f->reg, T0, &a.tr, ida, nobody, &to),
			 REGISTRY_UNKNOWN_DST);
	assert_int_equal(f->reg.count[REGISTRY_RELAYED], 2);
	assert_int_equal(f->reg.count[REGISTRY_WRONG_TRANSPORT], 3);
	fixture_free(f);
}

static void test_relay_to_expired(void **state)
{
	struct fixture *f = fixture_new(16, 0);
	struct node a, b;
	struct registry_transport to;
	uint8_t ida[8], idb[8], txid[8] = {0};
	struct registry_msg reply;

	(void)state;
	node_make(&a, 1), node_make(&b, 2);
	assert_int_equal(reg_node(f, &a, T0), REGISTRY_REGISTERED);
	assert_int_equal(reg_node(f, &b, T0), REGISTRY_REGISTERED);
	memcpy(ida, held(f, &a, T0)->relay_id, 8);
	memcpy(idb, held(f, &b, T0)->relay_id, 8);
	/* A keeps refreshing with PINGs, B falls silent. */
	assert_int_equal(registry_ping(&f->reg, T0 + S(50), a.addr, &a.tr, txid, &reply),
			 REGISTRY_PONG);
	assert_int_equal(registry_relay(&f->reg, T0 + S(75) - 1, &a.tr, ida, idb, &to),
			 REGISTRY_RELAYED);
	assert_int_equal(registry_relay(&f->reg, T0 + S(75), &a.tr, ida, idb, &to),
			 REGISTRY_DST_EXPIRED);
	assert_int_equal(registry_relay(&f->reg, T0 + S(75), &b.tr, idb, ida, &to),
			 REGISTRY_SRC_EXPIRED);
	assert_null(held(f, &b, T0 + S(75)));
	/* Swept: its id is unknown; re-registered: a new id. */
	assert_int_equal(registry_expire(&f->reg, T0 + S(76), 16), 1);
	assert_int_equal(f->reg.n_nodes, 1);
	assert_int_equal(registry_relay(&f->reg, T0 + S(76), &a.tr, ida, idb, &to),
			 REGISTRY_UNKNOWN_DST);
	assert_int_equal(reg_node(f, &b, T0 + S(77)), REGISTRY_REGISTERED);
	assert_memory_not_equal(held(f, &b, T0 + S(77))->relay_id, idb, 8);
	fixture_free(f);
}

static void test_allow(void **state)
{
	struct fixture *f = fixture_new(16, 0);
	struct node a, b, c;
	struct registry_msg reply;
	uint8_t list[3][BASECTL_ADDR_LEN];

	(void)state;
	three_nodes(f, &a, &b, &c);
	/* A subscribes while B is open. */
	assert_int_equal(lookup(f, &a, &b, false, T0, &reply), REGISTRY_REPLY);

	/* B: only C (listed twice, in any order). */
	memcpy(list[0], c.addr, 16), memcpy(list[1], c.addr, 16);
	memset(list[2], 0xfc, 16);
	assert_int_equal(registry_allow(&f->reg, T0 + S(1), b.addr, &b.tr, true,
					(const uint8_t(*)[16])list, 3),
			 REGISTRY_ALLOW_SET);
	assert_int_equal(held(f, &b, T0)->n_allow, 2);
	assert_int_equal(lookup(f, &a, &b, true, T0 + S(2), &reply), REGISTRY_DENIED);
	assert_int_equal(reply.arg, BASECTL_PEER_DENIED);
	assert_null(reply.er);
	assert_int_equal(lookup(f, &c, &b, true, T0 + S(2), &reply), REGISTRY_REPLY);
	assert_int_equal(f->n_push, 1); /* C's notify reached B; A's did not */
	assert_memory_equal(f->push[0].about, c.addr, 16);
	/* A's older subscription gets no push any more. */
	b.er.seq = 2, b.er.listen_port = 1;
	assert_int_equal(reg_node(f, &b, T0 + S(3)), REGISTRY_UPDATED);
	assert_int_equal(f->n_push, 2);
	assert_memory_equal(&f->push[1].to, &c.tr, sizeof c.tr);

	/* RESTRICT with nobody, then lifted; a list without RESTRICT is refused. */
	assert_int_equal(registry_allow(&f->reg, T0 + S(4), b.addr, &b.tr, true, NULL, 0),
			 REGISTRY_ALLOW_SET);
	assert_int_equal(lookup(f, &c, &b, false, T0 + S(4), &reply), REGISTRY_DENIED);
	assert_int_equal(registry_allow(&f->reg, T0 + S(5), b.addr, &b.tr, false,
					(const uint8_t(*)[16])list, 1),
			 REGISTRY_BAD_ALLOW);
	assert_int_equal(
	    registry_allow(&f->reg, T0 + S(5), b.addr, &b.tr, false, NULL, 0),
	    REGISTRY_ALLOW_SET);
	assert_int_equal(lookup(f, &a, &b, false, T0 + S(5), &reply), REGISTRY_REPLY);
	fixture_free(f);
}

/*
 * ALLOW lists across chunks: every node of a full table sets 93 addresses
 * (the pool never runs out), each of them, and only they, may look the
 * node up, whichever chunk holds them; shorter lists give chunks back and
 * longer ones take them again; an expired node's chunks are reused.
 */
static void test_allow_chunks(void **state)
{
	enum { CAP = 8, LISTED = 10 }; /* nodes 1 .. LISTED are on the lists */
	struct fixture *f = fixture_new(CAP + LISTED, 0);
	uint8_t list[BASECTL_ALLOW_MAX][16], out[BASECTL_ALLOW_MAX][16];
	struct node n[CAP + LISTED + 1], stranger;
	struct registry_msg reply;

	(void)state;
	for (uint32_t k = 1; k <= CAP + LISTED; k++) {
		node_make(&n[k], k);
		assert_int_equal(reg_node(f, &n[k], T0), REGISTRY_REGISTERED);
	}
	node_make(&stranger, 1000);
	assert_int_equal(reg_node(f, &stranger, T0), REGISTRY_FULL);
	/* 93 addresses, a listed node's every 10th, the rest others' (the
	 * table's, in reverse order: the registry sorts them). */
	for (size_t i = 0; i < BASECTL_ALLOW_MAX; i++) {
		struct node x;

		node_make(&x, i % 10 == 0 ? 1 + (uint32_t)i / 10 : 5000 + 93 - (uint32_t)i);
		memcpy(list[i], x.addr, 16);
	}
	for (uint32_t k = LISTED + 1; k <= CAP + LISTED; k++)
		assert_int_equal(registry_allow(&f->reg, T0 + S(1), n[k].addr, &n[k].tr, true,
						(const uint8_t(*)[16])list, BASECTL_ALLOW_MAX),
				 REGISTRY_ALLOW_SET);
	assert_int_equal(f->reg.n_chunks, CAP * REGISTRY_ALLOW_CHUNKS_PER_NODE);
	assert_null(registry_check(&f->reg));
	assert_int_equal(registry_allow_list(&f->reg, held(f, &n[CAP + LISTED], T0), out),
			 BASECTL_ALLOW_MAX);
	for (size_t i = 1; i < BASECTL_ALLOW_MAX; i++)
		assert_true(memcmp(out[i - 1], out[i], 16) < 0);
	for (uint32_t k = 1; k <= LISTED; k++)
		assert_int_equal(lookup(f, &n[k], &n[CAP + LISTED], false, T0 + S(2), &reply),
				 REGISTRY_REPLY);
	assert_int_equal(lookup(f, &n[LISTED + 1], &n[CAP + LISTED], false, T0 + S(2),
				&reply),
			 REGISTRY_DENIED);

	/* Shorter: chunks go back; longer again: they are taken again. */
	assert_int_equal(registry_allow(&f->reg, T0 + S(3), n[CAP + LISTED].addr,
					&n[CAP + LISTED].tr, true, (const uint8_t(*)[16])list, 9),
			 REGISTRY_ALLOW_SET);
	assert_int_equal(f->reg.n_chunks, (CAP - 1) * REGISTRY_ALLOW_CHUNKS_PER_NODE + 2);
	assert_int_equal(lookup(f, &n[1], &n[CAP + LISTED], false, T0 + S(3), &reply),
			 REGISTRY_REPLY);
	assert_int_equal(lookup(f, &n[2], &n[CAP + LISTED], false, T0 + S(3), &reply),
			 REGISTRY_DENIED);
	assert_null(registry_check(&f->reg));
	/* Every node expires: all chunks free, none fresh taken after. */
	registry_expire(&f->reg, T0 + S(100), 64);
	assert_int_equal(f->reg.n_nodes, 0);
	assert_int_equal(f->reg.n_chunks, 0);
	assert_null(registry_check(&f->reg));
	assert_int_equal(reg_node(f, &n[1], T0 + S(101)), REGISTRY_REGISTERED);
	assert_int_equal(registry_allow(&f->reg, T0 + S(101), n[1].addr, &n[1].tr, true,
					(const uint8_t(*)[16])list, BASECTL_ALLOW_MAX),
			 REGISTRY_ALLOW_SET);
	assert_int_equal(f->reg.chunk_fresh, CAP * REGISTRY_ALLOW_CHUNKS_PER_NODE);
	fixture_free(f);
}

static void test_lookup_rate_and_sub_limit(void **state)
{
	struct fixture *f = fixture_new(2048, 2048);
	struct node a, t;
	struct registry_msg reply;
	uint64_t now = T0;
	int ok = 0;

	(void)state;
	node_make(&a, 1);
	assert_int_equal(reg_node(f, &a, now), REGISTRY_REGISTERED);
	node_make(&t, 2);
	assert_int_equal(reg_node(f, &t, now), REGISTRY_REGISTERED);
	/* Burst 50, then 1 per 50 ms. */
	for (int i = 0; i < 60; i++)
		ok += lookup(f, &a, &t, false, now, &reply) == REGISTRY_REPLY;
	assert_int_equal(ok, 50);
	assert_int_equal(f->reg.count[REGISTRY_LOOKUP_LIMITED], 10);
	assert_int_equal(lookup(f, &a, &t, false, now + MS(49), &reply),
			 REGISTRY_LOOKUP_LIMITED);
	assert_int_equal(lookup(f, &a, &t, false, now + MS(50), &reply), REGISTRY_REPLY);
	assert_int_equal(lookup(f, &a, &t, false, now + MS(50), &reply),
			 REGISTRY_LOOKUP_LIMITED);

	/* 1,024 subscriptions per node (node 2 is the first): the 1,025th
	 * target still gets a reply. */
	now += S(1);
	for (uint32_t k = 3; k < 2 + REGISTRY_SUBS_PER_NODE; k++) {
		node_make(&t, k);
		assert_int_equal(reg_node(f, &t, now), REGISTRY_REGISTERED);
		now += MS(50);
		assert_int_equal(lookup(f, &a, &t, false, now, &reply), REGISTRY_REPLY);
		if (k % 256 == 0)
			assert_null(registry_check(&f->reg));
	}
	assert_int_equal(held(f, &a, now)->n_subs, REGISTRY_SUBS_PER_NODE);
	node_make(&t, 5000);
	assert_int_equal(reg_node(f, &t, now), REGISTRY_REGISTERED);
	now += MS(50);
	assert_int_equal(lookup(f, &a, &t, true, now, &reply), REGISTRY_REPLY);
	assert_int_equal(f->reg.count[REGISTRY_SUB_LIMIT], 1);
	assert_int_equal(held(f, &a, now)->n_subs, REGISTRY_SUBS_PER_NODE);
	assert_int_equal(f->n_push, 0); /* no pair record, no notify */
	fixture_free(f);
}

static void test_expiry_incremental(void **state)
{
	enum { N = 1000 };
	struct fixture *f = fixture_new(N, 4 * N);
	struct node n, first;
	struct registry_msg reply;
	size_t removed = 0, calls = 0, r;

	(void)state;
	for (uint32_t k = 1; k <= N; k++) {
		node_make(&n, k);
		assert_int_equal(reg_node(f, &n, T0 + k), REGISTRY_REGISTERED);
	}
	/* Node 1 subscribes to 2..4 at T0 + 10 s. */
	node_make(&first, 1);
	for (uint32_t k = 2; k <= 4; k++) {
		node_make(&n, k);
		assert_int_equal(lookup(f, &first, &n, false, T0 + S(10), &reply),
				 REGISTRY_REPLY);
	}
	assert_int_equal(f->reg.n_subs, 3);
	/* Before 75 s nothing goes, however often the sweep runs. */
	for (int i = 0; i < 20; i++)
		assert_int_equal(registry_expire(&f->reg, T0 + S(74), 100), 0);
	/* Node 1 stays (refreshed); subscriptions live until 130 s. */
	assert_int_equal(registry_ping(&f->reg, T0 + S(70), first.addr, &first.tr,
				       (const uint8_t[8]){0}, &reply),
			 REGISTRY_PONG);
	for (uint32_t k = 2; k <= 4; k++) {
		node_make(&n, k);
		assert_int_equal(reg_node(f, &n, T0 + S(70)), REGISTRY_REFRESHED);
	}
	/* At 76 s: at most 100 slots per call, so at least 10 calls. */
	while ((r = registry_expire(&f->reg, T0 + S(76), 100)) > 0 || calls < 10) {
		assert_true(r <= 100);
		removed += r;
		calls++;
		assert_true(calls <= 11);
	}
	assert_int_equal(removed, N - 4);
	assert_int_equal(f->reg.n_nodes, 4);
	assert_int_equal(f->reg.n_subs, 3);
	assert_null(registry_check(&f->reg));
	/* The subscriptions' TTL: gone by 130 s (10 s + 120 s). */
	for (int i = 0; i < 40; i++)
		registry_expire(&f->reg, T0 + S(130), 100);
	assert_int_equal(f->reg.n_subs, 0);
	assert_int_equal(f->reg.count[REGISTRY_EXPIRED_SUB], 3);
	fixture_free(f);
}

static void test_capacity_and_flood(void **state)
{
	enum { CAP = 8 };
	struct fixture *f = fixture_new(CAP, 0);
	struct node n;
	struct registry_msg reply;

	(void)state;
	for (uint32_t k = 1; k <= CAP; k++) {
		node_make(&n, k);
		assert_int_equal(reg_node(f, &n, T0), REGISTRY_REGISTERED);
	}
	/* A flood of new keys: each refused with FULL, nothing evicted. */
	for (uint32_t k = 100; k < 200; k++) {
		node_make(&n, k);
		assert_int_equal(registry_register(&f->reg, T0 + S(74), n.pk, n.addr,
						   &n.tr, &n.er, &reply),
				 REGISTRY_FULL);
		assert_int_equal(reply.arg, BASECTL_STATUS_FULL);
	}
	assert_int_equal(f->reg.count[REGISTRY_FULL], 100);
	assert_null(held(f, &n, T0 + S(74)));
	for (uint32_t k = 1; k <= CAP; k++) {
		node_make(&n, k);
		assert_non_null(held(f, &n, T0 + S(74)));
		/* A registered node's refresh always succeeds. */
		assert_int_equal(reg_node(f, &n, T0 + S(74) + k), REGISTRY_REFRESHED);
	}
	/* Once nodes expire, a new one takes a slot without waiting for the
	 * sweep. */
	node_make(&n, 300);
	assert_int_equal(reg_node(f, &n, T0 + S(74) + S(75) + CAP), REGISTRY_REGISTERED);
	assert_int_equal(f->reg.n_nodes, CAP);
	fixture_free(f);
}

static void test_relay_ids_and_keys(void **state)
{
	struct fixture *f = fixture_new(64, 0);
	struct node n, other;
	struct registry_msg reply;
	uint8_t ids[64][8], id1[8];

	(void)state;
	for (uint32_t k = 0; k < 64; k++) {
		node_make(&n, k + 1);
		assert_int_equal(reg_node(f, &n, T0), REGISTRY_REGISTERED);
		memcpy(ids[k], held(f, &n, T0)->relay_id, 8);
		for (uint32_t j = 0; j < k; j++)
			assert_memory_not_equal(ids[j], ids[k], 8);
	}
	/* Stable across refreshes, updates and moves. */
	node_make(&n, 1);
	memcpy(id1, ids[0], 8);
	n.er.seq = 9, n.tr = tcp(1, 443, 3);
	assert_int_equal(reg_node(f, &n, T0 + S(30)), REGISTRY_UPDATED);
	assert_int_equal(reg_node(f, &n, T0 + S(60)), REGISTRY_REFRESHED);
	assert_memory_equal(held(f, &n, T0 + S(60))->relay_id, id1, 8);

	/* An ER that is not the session key's; a key not the held one. */
	node_make(&other, 2);
	assert_int_equal(
	    registry_register(&f->reg, T0, n.pk, n.addr, &n.tr, &other.er, &reply),
	    REGISTRY_WRONG_KEY);
	assert_int_equal(
	    registry_register(&f->reg, T0, other.pk, n.addr, &n.tr, &other.er, &reply),
	    REGISTRY_WRONG_KEY);
	n.tr.zero = 1;
	assert_int_equal(reg_node(f, &n, T0 + S(61)), REGISTRY_BAD_TRANSPORT);
	assert_string_equal(registry_verdict_name(REGISTRY_WRONG_TRANSPORT),
			    "wrong_transport");
	assert_string_equal(registry_verdict_name(REGISTRY_VERDICT_END), "?");
	fixture_free(f);
}

static long rss_kib(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (!fp)
		return -1;
	if (fscanf(fp, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(fp);
	return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * 10,000 nodes in a table of 16,384: the bytes per node slot hold the
 * documented bound, the resident memory grows by no more than the touched
 * share, and an address lookup (hit or miss) and a relay examine about one
 * index slot, as with 10 nodes.
 */
static void test_fill_10000(void **state)
{
	enum { N = 10000, CAP = 16384 };
	struct registry_config bare = {.nodes = CAP, .subs = 1};
	struct fixture *f;
	struct node n, a;
	struct registry_transport to;
	uint8_t ida[8], miss[16];
	long before, grown;
	uint64_t probes;

	(void)state;
	assert_true(sizeof(struct registry_node) <= REGISTRY_NODE_BYTES);
	assert_true(registry_mem_size(&bare) <=
		    (size_t)CAP * REGISTRY_BYTES_PER_NODE + 64);
	before = rss_kib();
	f = fixture_new(CAP, 0);
	for (uint32_t k = 1; k <= N; k++) {
		node_make(&n, k);
		assert_int_equal(reg_node(f, &n, T0), REGISTRY_REGISTERED);
	}
	grown = rss_kib() - before;
	print_message(
	    "registry: %zu bytes reserved for %d slots, RSS +%ld KiB for %d nodes\n",
	    registry_mem_size(&(struct registry_config){.nodes = CAP}), CAP, grown, N);
	/* Touched: N node slots and their index entries; no ALLOW chunk,
	 * subscription or index slot of the pool (none was used). */
	if (before > 0)
		assert_true((size_t)grown * 1024 <=
			    (size_t)N * REGISTRY_TOUCHED_PER_NODE + (1u << 20));

	probes = f->reg.probes;
	for (uint32_t k = 1; k <= N; k++) {
		node_make(&n, k);
		assert_non_null(held(f, &n, T0));
	}
	print_message("registry: %.2f probes per hit\n",
		      (double)(f->reg.probes - probes) / N);
	assert_true(f->reg.probes - probes <= 3 * N);
	probes = f->reg.probes;
	memset(miss, 0, sizeof miss);
	miss[0] = 0xfc, miss[1] = 0x94, miss[2] = 1;
	for (uint32_t k = 0; k < N; k++) {
		miss[15] = (uint8_t)k, miss[14] = (uint8_t)(k >> 8);
		assert_null(registry_find(&f->reg, miss, T0));
	}
	assert_true(f->reg.probes - probes <= 4 * N);
	node_make(&a, 1);
	memcpy(ida, held(f, &a, T0)->relay_id, 8);
	probes = f->reg.probes;
	for (uint32_t k = 1; k <= N; k++) {
		node_make(&n, k);
		assert_int_equal(registry_relay(&f->reg, T0, &a.tr, ida,
						held(f, &n, T0)->relay_id, &to),
				 REGISTRY_RELAYED);
	}
	/* Each relay: two id lookups, each plus the find in the loop. */
	assert_true(f->reg.probes - probes <= 3 * 3 * N);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_register_lookup_notify),
	    cmocka_unit_test(test_messages_encode),
	    cmocka_unit_test(test_push_on_change),
	    cmocka_unit_test(test_sender_check),
	    cmocka_unit_test(test_relay_to_expired),
	    cmocka_unit_test(test_allow),
	    cmocka_unit_test(test_allow_chunks),
	    cmocka_unit_test(test_lookup_rate_and_sub_limit),
	    cmocka_unit_test(test_expiry_incremental),
	    cmocka_unit_test(test_capacity_and_flood),
	    cmocka_unit_test(test_relay_ids_and_keys),
	    cmocka_unit_test(test_fill_10000),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
