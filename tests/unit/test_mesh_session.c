/*
 * Mesh sessions: DATA both ways after a handshake, the responder's key
 * confirmation, simultaneous initiations (both keypairs usable), every
 * drop reason of session_open with the window left untouched, the inner
 * source/destination rule, the timers at their boundaries with a fake
 * clock, the index table, and three roles in two keypair slots.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/bytes/byteorder.h"
#include "core/mesh/session.h"
#include "mesh_nodes.h"
#include "splitmix.h"

#define T0 MN_S(1000)

static struct mn_node A, B;
static struct session sa, sb; /* A's session with B, B's with A */
static struct session_index ta, tb;

static int setup(void **state)
{
	(void)state;
	mn_node_init(&A, NULL);
	mn_node_init(&B, NULL);
	mn_allow(&A, B.id.pk);
	mn_allow(&B, A.id.pk);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mn_node_wipe(&A);
	mn_node_wipe(&B);
	return 0;
}

/* Empty sessions and tables, no timestamps stored. */
static void fresh_sessions(void)
{
	session_index_init(&ta);
	session_index_init(&tb);
	session_init(&sa, A.id.addr, B.id.addr);
	session_init(&sb, B.id.addr, A.id.addr);
	memset(A.pol.last_tai64n, 0, HS_TAI64N_LEN);
	memset(B.pol.last_tai64n, 0, HS_TAI64N_LEN);
}

/* Fresh sessions and one handshake A -> B installed at now. */
static void connect_at(uint64_t now)
{
	struct hs_keys ki, kr;

	fresh_sessions();
	assert_true(mn_handshake(&A, &B, MN_WALL0 + now, now, &ki, &kr));
	assert_int_equal(session_index_insert(&ta, ki.local_index, &sa), 0);
	assert_int_equal(session_index_insert(&tb, kr.local_index, &sb), 0);
	session_install(&sa, &ta, &ki, now);
	session_install(&sb, &tb, &kr, now);
}

/* An IPv6 packet src -> dst with a few payload bytes, into buf at 16. */
static size_t put_ipv6(uint8_t *buf, const uint8_t src[16], const uint8_t dst[16])
{
	uint8_t *p = buf + MSG_DATA_HEADER_LEN;

	memset(p, 0, 48);
	p[0] = 0x60;
	store_be16(p + 4, 8);
	p[6] = 17;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	memcpy(p + 40, "payload!", 8);
	return 48;
}

static size_t seal(struct session *s, uint64_t now, uint8_t *buf, size_t pt_len)
{
	size_t n;

	assert_int_equal(session_seal(s, now, buf, pt_len, MSG_DATA_MAX_LEN, &n), 0);
	return n;
}

static enum session_verdict open_copy(struct session *s, struct session_index *t,
				      uint64_t now, const uint8_t *msg, size_t len)
{
	uint8_t buf[MSG_DATA_MAX_LEN + 8];
	const uint8_t *pt;
	size_t pt_len;

	memcpy(buf, msg, len);
	return session_open(s, t, now, buf, len, &pt, &pt_len);
}

static void test_verdict_names(void **state)
{
	static const char *const want[] = {
	    "keepalive",      "packet",		 "control",	     "bad_length",
	    "bad_type",	      "bad_reserved",	 "unknown_index",    "expired",
	    "counter_limit",  "too_old",	 "replay",	     "bad_tag",
	    "inner_not_ipv6", "inner_truncated", "inner_bad_source", "inner_bad_dest",
	};

	(void)state;
	assert_int_equal(sizeof want / sizeof want[0], SESSION_VERDICT_END);
	for (int v = 0; v < SESSION_VERDICT_END; v++)
		assert_string_equal(session_verdict_name((enum session_verdict)v),
				    want[v]);
}

/* The responder cannot send until DATA arrives under its next keypair. */
static void test_key_confirmation(void **state)
{
	uint8_t buf[MSG_DATA_MAX_LEN];
	const uint8_t *pt;
	size_t n, pt_len;
	int8_t next;

	(void)state;
	connect_at(T0);
	assert_true(sa.current >= 0);
	assert_true(sb.next >= 0 && sb.current < 0);
	assert_int_equal(session_seal(&sb, T0, buf, 0, sizeof buf, &n), -ENOKEY);
	next = sb.next;

	n = seal(&sa, T0 + 1, buf, 0); /* the initiator's keepalive */
	assert_int_equal(n, MSG_DATA_MIN_LEN);
	assert_int_equal(msg_classify(buf, n), MSG_CLASS_DATA);
	assert_int_equal(session_open(&sb, &tb, T0 + 2, buf, n, &pt, &pt_len),
			 SESSION_KEEPALIVE);
	assert_int_equal(sb.current, next);
	assert_int_equal(sb.next, -1);

	n = seal(&sb, T0 + 3, buf, put_ipv6(buf, B.id.addr, A.id.addr));
	assert_int_equal(session_open(&sa, &ta, T0 + 4, buf, n, &pt, &pt_len),
			 SESSION_PACKET);
	assert_int_equal(pt_len, 48);
	assert_memory_equal(pt + 40, "payload!", 8);
	n = seal(&sa, T0 + 5, buf, put_ipv6(buf, A.id.addr, B.id.addr));
	assert_int_equal(session_open(&sb, &tb, T0 + 6, buf, n, &pt, &pt_len),
			 SESSION_PACKET);
}

static void test_inner_checks(void **state)
{
	static const uint8_t mcast[16] = {0xff, 0x02, [15] = 1};
	uint8_t buf[MSG_DATA_MAX_LEN], other[16];
	size_t n;

	(void)state;
	connect_at(T0);
	memcpy(other, A.id.addr, 16);
	other[15] ^= 1;
	n = seal(&sa, T0, buf, put_ipv6(buf, A.id.addr, mcast));
	assert_int_equal(open_copy(&sb, &tb, T0, buf, n), SESSION_PACKET);
	n = seal(&sa, T0, buf, put_ipv6(buf, other, B.id.addr));
	{
		struct mreplay before = sb.slot[sb.current].replay;

		assert_int_equal(open_copy(&sb, &tb, T0, buf, n),
				 SESSION_DROP_INNER_BAD_SOURCE);
		assert_memory_equal(&before, &sb.slot[sb.current].replay, sizeof before);
	}
	n = seal(&sa, T0, buf, put_ipv6(buf, A.id.addr, other));
	assert_int_equal(open_copy(&sb, &tb, T0, buf, n), SESSION_DROP_INNER_BAD_DEST);
	n = put_ipv6(buf, A.id.addr, B.id.addr);
	buf[MSG_DATA_HEADER_LEN] = 0x45;
	n = seal(&sa, T0, buf, n);
	assert_int_equal(open_copy(&sb, &tb, T0, buf, n), SESSION_DROP_INNER_NOT_IPV6);
	put_ipv6(buf, A.id.addr, B.id.addr);
	n = seal(&sa, T0, buf, 39);
	assert_int_equal(open_copy(&sb, &tb, T0, buf, n), SESSION_DROP_INNER_TRUNCATED);
	buf[MSG_DATA_HEADER_LEN] = 0x01;
	n = seal(&sa, T0, buf, 3);
	assert_int_equal(open_copy(&sb, &tb, T0, buf, n), SESSION_CONTROL);
}

static void test_window_and_tag(void **state)
{
	uint8_t buf[MSG_DATA_MAX_LEN], first[MSG_DATA_MAX_LEN], bad[MSG_DATA_MAX_LEN];
	struct session_keypair *ka;
	struct mreplay before;
	size_t n, n1;

	(void)state;
	connect_at(T0);
	n1 = seal(&sa, T0, first, 0);
	assert_int_equal(open_copy(&sb, &tb, T0, first, n1), SESSION_KEEPALIVE);
	assert_int_equal(open_copy(&sb, &tb, T0, first, n1), SESSION_DROP_REPLAY);

	/* Every byte tampered: header bytes change the AD (or the checks). */
	n = seal(&sa, T0, buf, put_ipv6(buf, A.id.addr, B.id.addr));
	before = sb.slot[sb.current].replay;
	for (size_t i = 0; i < n; i++) {
		enum session_verdict v;

		memcpy(bad, buf, n);
		bad[i] ^= 0x10;
		v = open_copy(&sb, &tb, T0, bad, n);
		assert_true(session_verdict_is_drop(v));
		if (i >= MSG_DATA_HEADER_LEN)
			assert_int_equal(v, SESSION_DROP_BAD_TAG);
	}
	assert_memory_equal(&before, &sb.slot[sb.current].replay, sizeof before);
	assert_int_equal(open_copy(&sb, &tb, T0, buf, n), SESSION_PACKET);

	/* A jump past the window: the old counter is now too old. */
	ka = &sa.slot[sa.current];
	ka->send_counter = 2 + MREPLAY_WINDOW + 5;
	n = seal(&sa, T0, buf, 0);
	assert_int_equal(open_copy(&sb, &tb, T0, buf, n), SESSION_KEEPALIVE);
	memcpy(bad, first, n1);
	store_be64(bad + MSG_DATA_OFF_COUNTER, 1);
	assert_int_equal(open_copy(&sb, &tb, T0, bad, n1), SESSION_DROP_TOO_OLD);
	assert_int_equal(open_copy(&sb, &tb, T0, buf, n), SESSION_DROP_REPLAY);

	/* Counter limit, sealed by hand (the session never sends one). */
	{
		struct msg_data_header h = {ka->remote_index, MREPLAY_REJECT_AFTER};
		size_t m;

		msg_data_header_put(bad, &h);
		assert_int_equal(noise_cipher_encrypt_at(&ka->send, h.counter, bad, 16,
							 NULL, 0, bad + 16, 16, &m),
				 0);
		assert_int_equal(open_copy(&sb, &tb, T0, bad, 16 + m),
				 SESSION_DROP_COUNTER_LIMIT);
	}
	/* Framing. */
	assert_int_equal(open_copy(&sb, &tb, T0, buf, MSG_DATA_MIN_LEN - 1),
			 SESSION_DROP_BAD_LENGTH);
	memcpy(bad, buf, n);
	bad[0] = MSG_HS_INIT;
	assert_int_equal(open_copy(&sb, &tb, T0, bad, n), SESSION_DROP_BAD_TYPE);
	memcpy(bad, buf, n);
	bad[2] = 1;
	assert_int_equal(open_copy(&sb, &tb, T0, bad, n), SESSION_DROP_BAD_RESERVED);
	memcpy(bad, buf, n);
	store_be32(bad + MSG_DATA_OFF_RECEIVER, 0x5eed);
	assert_int_equal(open_copy(&sb, &tb, T0, bad, n), SESSION_DROP_UNKNOWN_INDEX);
	/* Sending: too long, too small a buffer. */
	assert_int_equal(
	    session_seal(&sa, T0, buf, MSG_DATA_MAX_PLAINTEXT + 1, sizeof buf, &n),
	    -EMSGSIZE);
	assert_int_equal(session_seal(&sa, T0, buf, 10, 10, &n), -ENOBUFS);
}

/*
 * Both nodes initiate at once; both answer each other's HS_INIT, both
 * consume the other's HS_RESP.  Each keeps the other's keypair as
 * previous, so DATA under either keypair is received, both ways.
 */
static void test_simultaneous(void **state)
{
	struct hs_initiator ha, hb;
	struct cookie_sender ca, cb;
	struct hs_keys k;
	uint8_t ia[MSG_HS_INIT_LEN], ib[MSG_HS_INIT_LEN], ra[HS_REPLY_MAX],
	    rb[HS_REPLY_MAX];
	uint8_t buf[MSG_DATA_MAX_LEN], x[32], out[HS_REPLY_MAX];
	size_t na, nb, n, on;
	uint32_t idx;

	(void)state;
	fresh_sessions();
	identity_x25519_public(B.id.pk, x);
	cookie_sender_init(&ca, x, NULL);
	identity_x25519_public(A.id.pk, x);
	cookie_sender_init(&cb, x, NULL);

	assert_int_equal(
	    hs_initiator_start(&ha, &A.local, B.id.pk, &ca, 0, MN_WALL0, T0, NULL, ia),
	    0);
	assert_int_equal(
	    hs_initiator_start(&hb, &B.local, A.id.pk, &cb, 0, MN_WALL0, T0, NULL, ib),
	    0);
	assert_int_equal(session_index_insert(&ta, ha.local_index, &sa), 0);
	assert_int_equal(session_index_insert(&tb, hb.local_index, &sb), 0);

	/* The HS_INITs cross: each answers the other's. */
	assert_int_equal(hs_respond(&B.local, &B.ops, ia, sizeof ia, mn_src,
				    sizeof mn_src, 0, T0, NULL, rb, &nb, &k),
			 HS_OK);
	session_index_insert(&tb, k.local_index, &sb);
	session_install(&sb, &tb, &k, T0);
	assert_int_equal(hs_respond(&A.local, &A.ops, ib, sizeof ib, mn_src,
				    sizeof mn_src, 0, T0, NULL, ra, &na, &k),
			 HS_OK);
	session_index_insert(&ta, k.local_index, &sa);
	session_install(&sa, &ta, &k, T0);

	/* Each consumes the response to its own initiation. */
	assert_int_equal(hs_initiator_consume(&ha, &A.local, &A.ops, rb, nb, mn_src,
					      sizeof mn_src, T0, out, &on, &k),
			 HS_OK);
	session_install(&sa, &ta, &k, T0);
	assert_int_equal(hs_initiator_consume(&hb, &B.local, &B.ops, ra, na, mn_src,
					      sizeof mn_src, T0, out, &on, &k),
			 HS_OK);
	session_install(&sb, &tb, &k, T0);
	assert_true(sa.current >= 0 && sa.previous >= 0 && sa.next < 0);
	assert_true(sb.current >= 0 && sb.previous >= 0 && sb.next < 0);

	/* A sends on its current (A's handshake): B receives it on previous. */
	n = seal(&sa, T0, buf, put_ipv6(buf, A.id.addr, B.id.addr));
	idx = load_be32(buf + MSG_DATA_OFF_RECEIVER);
	assert_ptr_equal(session_index_lookup(&tb, idx), &sb);
	assert_int_equal(open_copy(&sb, &tb, T0, buf, n), SESSION_PACKET);
	/* B sends on its current (B's handshake): A receives it on previous. */
	n = seal(&sb, T0, buf, put_ipv6(buf, B.id.addr, A.id.addr));
	idx = load_be32(buf + MSG_DATA_OFF_RECEIVER);
	assert_ptr_equal(session_index_lookup(&ta, idx), &sa);
	assert_int_equal(open_copy(&sa, &ta, T0, buf, n), SESSION_PACKET);
	/* The previous keypairs receive too (packets in flight). */
	{
		struct session_keypair *pa = &sa.slot[sa.previous];
		struct msg_data_header h = {pa->remote_index, 0};
		size_t m;

		msg_data_header_put(buf, &h);
		assert_int_equal(noise_cipher_encrypt_at(&pa->send, 0, buf, 16, NULL, 0,
							 buf + 16, 16, &m),
				 0);
		assert_int_equal(open_copy(&sb, &tb, T0, buf, 16 + m), SESSION_KEEPALIVE);
	}
	cookie_sender_wipe(&ca);
	cookie_sender_wipe(&cb);
}

/* A rekey: the old current becomes previous, its index stays mapped; the
 * one before is dropped and unmapped. */
static void test_rekey_rotation(void **state)
{
	struct hs_keys ki, kr;
	uint32_t first;
	uint8_t buf[MSG_DATA_MAX_LEN];
	size_t n;

	(void)state;
	connect_at(T0);
	first = sa.slot[sa.current].local_index;
	for (int round = 1; round <= 2; round++) {
		uint64_t now = T0 + MN_S(120) * (uint64_t)round;

		assert_true(mn_handshake(&A, &B, MN_WALL0 + now, now, &ki, &kr));
		session_index_insert(&ta, ki.local_index, &sa);
		session_index_insert(&tb, kr.local_index, &sb);
		session_install(&sa, &ta, &ki, now);
		session_install(&sb, &tb, &kr, now);
		n = seal(&sa, now, buf, 0);
		assert_int_equal(open_copy(&sb, &tb, now, buf, n), SESSION_KEEPALIVE);
		assert_ptr_equal(session_index_lookup(&ta, first),
				 round == 1 ? &sa : NULL);
	}
	session_wipe_keys(&sa, &ta);
	assert_int_equal(session_seal(&sa, T0, buf, 0, sizeof buf, &n), -ENOKEY);
	for (size_t i = 0; i < SESSION_INDEX_SLOTS; i++)
		assert_true(ta.slot[i].index == 0);
}

static void test_timers(void **state)
{
	struct session_keypair kp = {.valid = true, .initiator = true, .birth_ns = T0};
	struct session_timers tm;
	uint8_t buf[MSG_DATA_MAX_LEN];
	uint64_t next;
	size_t n;

	(void)state;
	session_timers_init(&tm, SESSION_REKEY_DEFAULT_S);
	assert_false(session_should_rekey_send(&kp, &tm, T0 + MN_S(120) - 1));
	assert_true(session_should_rekey_send(&kp, &tm, T0 + MN_S(120)));
	assert_false(session_should_rekey_recv(&kp, &tm, T0 + MN_S(165) - 1));
	assert_true(session_should_rekey_recv(&kp, &tm, T0 + MN_S(165)));
	assert_false(session_keypair_expired(&kp, &tm, T0 + MN_S(180) - 1));
	assert_true(session_keypair_expired(&kp, &tm, T0 + MN_S(180)));
	assert_false(session_keypair_expired(&kp, &tm, T0 - 5)); /* clock backwards */
	kp.initiator = false;
	assert_false(session_should_rekey_send(&kp, &tm, T0 + MN_S(179)));
	assert_false(session_should_rekey_recv(&kp, &tm, T0 + MN_S(179)));
	kp.send_counter = SESSION_REKEY_AFTER_MESSAGES - 1;
	assert_false(session_should_rekey_send(&kp, &tm, T0));
	kp.send_counter = SESSION_REKEY_AFTER_MESSAGES;
	assert_true(session_should_rekey_send(&kp, &tm, T0));
	kp.send_counter = SESSION_REJECT_AFTER_MESSAGES - 1;
	assert_false(session_keypair_expired(&kp, &tm, T0));
	kp.send_counter = SESSION_REJECT_AFTER_MESSAGES;
	assert_true(session_keypair_expired(&kp, &tm, T0));
	assert_true(session_should_rekey_send(NULL, &tm, T0));

	/* Retransmits: +1 s, then every 5 s, give up at 90 s. */
	assert_int_equal(session_retransmit_due(T0, T0, 1, T0 + MN_S(1) - 1, &next),
			 SESSION_RETX_WAIT);
	assert_int_equal(next, T0 + MN_S(1));
	assert_int_equal(session_retransmit_due(T0, T0, 1, T0 + MN_S(1), &next),
			 SESSION_RETX_SEND);
	assert_int_equal(
	    session_retransmit_due(T0, T0 + MN_S(1), 2, T0 + MN_S(6) - 1, &next),
	    SESSION_RETX_WAIT);
	assert_int_equal(next, T0 + MN_S(6));
	assert_int_equal(session_retransmit_due(T0, T0 + MN_S(1), 2, T0 + MN_S(6), &next),
			 SESSION_RETX_SEND);
	assert_int_equal(
	    session_retransmit_due(T0, T0 + MN_S(86), 19, T0 + MN_S(89), &next),
	    SESSION_RETX_WAIT);
	assert_int_equal(next, T0 + MN_S(90));
	assert_int_equal(
	    session_retransmit_due(T0, T0 + MN_S(86), 19, T0 + MN_S(90), &next),
	    SESSION_RETX_GIVE_UP);

	/* A live session at its boundaries. */
	connect_at(T0);
	n = seal(&sa, T0 + MN_S(180) - 1, buf, 0);
	assert_int_equal(open_copy(&sb, &tb, T0 + MN_S(180) - 1, buf, n),
			 SESSION_KEEPALIVE);
	n = seal(&sa, T0 + MN_S(180) - 1, buf, 0);
	assert_int_equal(open_copy(&sb, &tb, T0 + MN_S(180), buf, n),
			 SESSION_DROP_EXPIRED);
	assert_int_equal(session_seal(&sa, T0 + MN_S(180), buf, 0, sizeof buf, &n),
			 -ENOKEY);
	assert_false(session_zero_due(&sa, T0 + MN_S(540) - 1));
	assert_true(session_zero_due(&sa, T0 + MN_S(540)));
	session_wipe_keys(&sa, &ta);
	assert_false(session_zero_due(&sa, T0 + MN_S(600)));
}

/*
 * "rekey_interval": each interval's derived timers at their boundaries,
 * and a live session whose timers were set short (the netns rekey test's
 * 10 s): rejected at 15 s, keys wiped at 45 s, the peer on 120 s
 * independent of it.
 */
static void test_timers_interval(void **state)
{
	static const struct {
		unsigned r;
		uint64_t rekey, reject, on_recv, zero; /* ms */
	} rows[] = {
	    {120, 120000, 180000, 165000, 540000},
	    {10, 10000, 15000, 13750, 45000},
	    {60, 60000, 90000, 82500, 270000},
	    {11, 11000, 16500, 15125, 49500},
	};
	uint8_t buf[MSG_DATA_MAX_LEN];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct session_keypair kp = {.valid = true, .initiator = true, .birth_ns = T0};
		struct session_timers tm;
		const uint64_t ms = UINT64_C(1000000);

		session_timers_init(&tm, rows[i].r);
		assert_int_equal(tm.rekey_after_ns, rows[i].rekey * ms);
		assert_int_equal(tm.reject_after_ns, rows[i].reject * ms);
		assert_int_equal(tm.rekey_on_recv_ns, rows[i].on_recv * ms);
		assert_int_equal(tm.zero_after_ns, rows[i].zero * ms);
		/* rekey < rekey on receive < reject, at every interval */
		assert_true(tm.rekey_after_ns < tm.rekey_on_recv_ns);
		assert_true(tm.rekey_on_recv_ns < tm.reject_after_ns);
		assert_false(session_should_rekey_send(&kp, &tm, T0 + tm.rekey_after_ns - 1));
		assert_true(session_should_rekey_send(&kp, &tm, T0 + tm.rekey_after_ns));
		assert_false(session_should_rekey_recv(&kp, &tm, T0 + tm.rekey_on_recv_ns - 1));
		assert_true(session_should_rekey_recv(&kp, &tm, T0 + tm.rekey_on_recv_ns));
		assert_false(session_keypair_expired(&kp, &tm, T0 + tm.reject_after_ns - 1));
		assert_true(session_keypair_expired(&kp, &tm, T0 + tm.reject_after_ns));
	}
	/* A session of a 10 s node with a 120 s peer: each side its own. */
	connect_at(T0);
	session_timers_init(&sa.timers, SESSION_REKEY_MIN_S);
	n = seal(&sa, T0 + MN_S(15) - 1, buf, 0);
	assert_int_equal(open_copy(&sb, &tb, T0 + MN_S(15), buf, n), SESSION_KEEPALIVE);
	assert_int_equal(session_seal(&sa, T0 + MN_S(15), buf, 0, sizeof buf, &n), -ENOKEY);
	n = seal(&sb, T0 + MN_S(170), buf, 0); /* the 120 s side still sends */
	assert_int_equal(open_copy(&sa, &ta, T0 + MN_S(15) - 1, buf, n), SESSION_KEEPALIVE);
	assert_int_equal(open_copy(&sa, &ta, T0 + MN_S(15), buf, n), SESSION_DROP_EXPIRED);
	assert_false(session_zero_due(&sa, T0 + MN_S(45) - 1));
	assert_true(session_zero_due(&sa, T0 + MN_S(45)));
	assert_false(session_zero_due(&sb, T0 + MN_S(45)));
}

/*
 * Three roles in SESSION_KEYPAIRS (2) slots: random sequences of
 * installs (either role), DATA under any held keypair (a key confirmation
 * when it is next) and wipes.  After every step the roles name distinct
 * valid slots, every slot in no role is wiped, and the index table holds
 * exactly the roles' local indexes.  A third role with no free slot would
 * write outside s->slot (ASan) or fail here.
 */
static void check_roles(const struct session *s, const struct session_index *t,
			uint32_t issued)
{
	const int8_t roles[3] = {s->previous, s->current, s->next};
	static const struct session_keypair zero;
	bool held[SESSION_KEYPAIRS] = {false};

	for (int r = 0; r < 3; r++) {
		if (roles[r] < 0)
			continue;
		assert_true(roles[r] < SESSION_KEYPAIRS);
		assert_false(held[roles[r]]);
		held[roles[r]] = true;
		assert_true(s->slot[roles[r]].valid);
		assert_ptr_equal(session_index_lookup(t, s->slot[roles[r]].local_index), s);
	}
	for (int i = 0; i < SESSION_KEYPAIRS; i++)
		if (!held[i])
			assert_memory_equal(&s->slot[i], &zero, sizeof zero);
	/* Indexes of dropped keypairs are gone from the table. */
	for (uint32_t idx = 1; idx <= issued; idx++) {
		bool live = false;

		for (int r = 0; r < 3; r++)
			live |= roles[r] >= 0 && s->slot[roles[r]].local_index == idx;
		assert_true(live == (session_index_lookup(t, idx) != NULL));
	}
}

static void test_two_slots_hold_three_roles(void **state)
{
	static struct session_index t;
	static struct session s;
	uint8_t buf[MSG_DATA_HEADER_LEN + MSG_TAG_LEN + 64];
	uint64_t rng = 0x5e55, now = T0;
	uint32_t issued = 0;

	(void)state;
	session_index_init(&t);
	session_init(&s, A.id.addr, B.id.addr);
	for (int step = 0; step < 20000; step++) {
		unsigned op = (unsigned)splitmix64(&rng) % 4;
		int8_t role = (int8_t[]){s.previous, s.current, s.next}[splitmix64(&rng) % 3];

		now += MN_S(1) / 1000; /* 20 s in all: no keypair expires */
		if (op <= 1) { /* install: 0 initiator, 1 responder */
			struct hs_keys k;

			memset(&k, 0, sizeof k);
			randombytes_buf(k.send.k, sizeof k.send.k);
			randombytes_buf(k.recv.k, sizeof k.recv.k);
			k.send.has_key = k.recv.has_key = true;
			k.local_index = ++issued;
			k.remote_index = issued;
			k.initiator = op == 0;
			assert_int_equal(session_index_insert(&t, k.local_index, &s), 0);
			session_install(&s, &t, &k, now);
		} else if (op == 2 && role >= 0) { /* a keepalive under that keypair */
			struct session_keypair *kp = &s.slot[role];
			const uint8_t *pt;
			size_t n, pt_len;
			struct msg_data_header h = {.receiver = kp->local_index,
						    .counter = (uint64_t)step};

			msg_data_header_put(buf, &h);
			assert_int_equal(noise_cipher_encrypt_at(&kp->recv, h.counter, buf,
								 MSG_DATA_HEADER_LEN, buf, 0,
								 buf + MSG_DATA_HEADER_LEN,
								 sizeof buf - MSG_DATA_HEADER_LEN, &n),
					 0);
			assert_int_equal(session_open(&s, &t, now, buf, MSG_DATA_HEADER_LEN + n,
						      &pt, &pt_len),
					 SESSION_KEEPALIVE);
		} else if (op == 3 && splitmix64(&rng) % 16 == 0) {
			session_wipe_keys(&s, &t);
		}
		check_roles(&s, &t, issued);
	}
}

static void test_index_table(void **state)
{
	static struct session_index t;
	struct session s1, s2;
	uint32_t idx;

	(void)state;
	session_index_init(&t);
	assert_int_equal(session_index_insert(&t, 0, &s1), -EINVAL);
	assert_int_equal(session_index_insert(&t, 7, &s1), 0);
	assert_int_equal(session_index_insert(&t, 7, &s2), -EEXIST);
	assert_ptr_equal(session_index_lookup(&t, 7), &s1);
	assert_null(session_index_lookup(&t, 8));
	assert_null(session_index_lookup(&t, 0));
	for (int i = 0; i < 600; i++) {
		assert_int_equal(session_index_alloc(&t, &s2, &idx), 0);
		assert_int_not_equal(idx, 0);
		assert_ptr_equal(session_index_lookup(&t, idx), &s2);
	}
	session_index_remove(&t, 7);
	assert_null(session_index_lookup(&t, 7));
	assert_int_equal(session_index_insert(&t, 7, &s2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verdict_names), cmocka_unit_test(test_key_confirmation),
	    cmocka_unit_test(test_inner_checks),  cmocka_unit_test(test_window_and_tag),
	    cmocka_unit_test(test_simultaneous),  cmocka_unit_test(test_rekey_rotation),
	    cmocka_unit_test(test_timers), cmocka_unit_test(test_timers_interval), cmocka_unit_test(test_index_table),
	    cmocka_unit_test(test_two_slots_hold_three_roles),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
