/* Mesh vector files against core/mesh/{handshake,session,cookie} (see meshvec.h). */
#include "tools/lib/meshvec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/mesh/handshake.h"
#include "core/mesh/session.h"

/* Every step happens at this monotonic time: well inside every timer. */
#define NOW_NS (UINT64_C(1000) * UINT64_C(1000000000))

enum {
	NAME_MAX_LEN = 96,
	ALLOW_MAX = 8,
};

/* A source address for the responder's cookie: 198.51.100.1:51820. */
static const uint8_t default_src[] = {198, 51, 100, 1, 0xca, 0x6c};

/* One malformed field ends the file: the runners return false then. */
static bool get_u64(const struct vecfile_where *w, const struct json_value *o,
		    const char *key, uint64_t max, uint64_t *out)
{
	const struct json_value *v = vecfile_field(w, o, key, JSON_INT);

	if (v == NULL)
		return false;
	if (!json_get_u64(v, out) || *out > max)
		return vecfile_bad(w, key, "not an integer 0..%llu",
				   (unsigned long long)max);
	return true;
}

static bool get_key(const struct vecfile_where *w, const struct json_value *o,
		    const char *key, uint8_t out[32])
{
	size_t n;

	return vecfile_get_hex(w, o, key, out, 32, 32, &n);
}

static bool get_name(const struct vecfile_where *w, const struct json_value *o,
		     char out[NAME_MAX_LEN])
{
	const char *s;
	size_t len;

	if (!vecfile_get_string(w, o, "name", &s, &len))
		return false;
	snprintf(out, NAME_MAX_LEN, "%.*s", (int)len, s);
	return true;
}

/* A node from its seed: identity and hs_local.  false: the seed's key
 * fails the proof of work (a malformed file). */
static bool node_init(const struct vecfile_where *w, const char *key,
		      const uint8_t seed[32], const uint8_t psk[32], struct identity *id,
		      struct hs_local *l)
{
	if (identity_from_seed(id, seed) != 0 || hs_local_init(l, id, psk) != 0)
		return vecfile_bad(w, key, "not the seed of an acceptable identity");
	return true;
}

/* ---- the whitelist of a receiver ------------------------------------ */

struct policy {
	uint8_t allow[ALLOW_MAX][IDENTITY_PK_LEN];
	uint8_t last[ALLOW_MAX][HS_TAI64N_LEN];
	size_t n;
};

static bool policy_allowed(void *ctx, const uint8_t ed_pk[IDENTITY_PK_LEN],
			   const uint8_t addr[IDENTITY_ADDR_LEN], struct hs_peer *peer)
{
	struct policy *p = ctx;

	(void)addr;
	for (size_t i = 0; i < p->n; i++) {
		if (memcmp(p->allow[i], ed_pk, IDENTITY_PK_LEN) == 0) {
			memcpy(peer->last_tai64n, p->last[i], HS_TAI64N_LEN);
			peer->cookie = NULL;
			return true;
		}
	}
	return false;
}

static void policy_store(struct policy *p, const struct hs_keys *k)
{
	for (size_t i = 0; i < p->n; i++)
		if (memcmp(p->allow[i], k->peer_ed_pk, IDENTITY_PK_LEN) == 0)
			memcpy(p->last[i], k->tai64n, HS_TAI64N_LEN);
}

/* ---- handshakes ------------------------------------------------------ */

struct hs_input {
	uint8_t seed_i[32], seed_r[32], psk[32], e_i[32], e_r[32];
	uint64_t idx_i, idx_r, wall_ns, flags_i, flags_r;
};

static bool load_hs_input(const struct vecfile_where *w, const struct json_value *hv,
			  struct hs_input *in)
{
	struct vecfile_where wi;
	const struct json_value *o = vecfile_field(w, hv, "input", JSON_OBJECT);

	if (o == NULL)
		return false;
	vecfile_where_sub(&wi, w, ".input");
	return get_key(&wi, o, "initiator_seed", in->seed_i) &&
	       get_key(&wi, o, "responder_seed", in->seed_r) &&
	       get_key(&wi, o, "psk", in->psk) &&
	       get_key(&wi, o, "initiator_ephemeral", in->e_i) &&
	       get_key(&wi, o, "responder_ephemeral", in->e_r) &&
	       get_u64(&wi, o, "initiator_index", UINT32_MAX, &in->idx_i) &&
	       get_u64(&wi, o, "responder_index", UINT32_MAX, &in->idx_r) &&
	       get_u64(&wi, o, "wall_ns", UINT64_MAX, &in->wall_ns) &&
	       get_u64(&wi, o, "initiator_flags", UINT32_MAX, &in->flags_i) &&
	       get_u64(&wi, o, "responder_flags", UINT32_MAX, &in->flags_r);
}

/* Both sides of one handshake; the messages into init/resp.  why on failure. */
static bool run_handshake(const struct vecfile_where *w, const struct hs_input *in,
			  uint8_t init[MSG_HS_INIT_LEN], uint8_t resp[HS_REPLY_MAX],
			  struct identity ids[2], struct hs_keys *ki, struct hs_keys *kr,
			  char *why, size_t cap, bool *malformed)
{
	struct hs_local li, lr;
	struct hs_initiator hs;
	struct cookie_sender cs;
	struct policy pol = {.n = 1};
	struct hs_ops ops = {.ctx = &pol, .peer_allowed = policy_allowed};
	struct hs_fixed fi = {(uint32_t)in->idx_i, in->e_i},
			fr = {(uint32_t)in->idx_r, in->e_r};
	uint8_t out[HS_REPLY_MAX], x[32];
	size_t resp_len = 0, out_len;
	enum hs_reason r;
	bool ok = false;

	memset(&hs, 0, sizeof hs);
	if (!node_init(w, "initiator_seed", in->seed_i, in->psk, &ids[0], &li) ||
	    !node_init(w, "responder_seed", in->seed_r, in->psk, &ids[1], &lr)) {
		*malformed = true;
		return false;
	}
	memcpy(pol.allow[0], ids[0].pk, IDENTITY_PK_LEN);
	identity_x25519_public(ids[1].pk, x);
	cookie_sender_init(&cs, x, in->psk);
	if (hs_initiator_start(&hs, &li, ids[1].pk, &cs, (uint32_t)in->flags_i,
			       in->wall_ns, NOW_NS, &fi, init) != 0) {
		vecfile_why_add(why, cap, "initiator refused to start");
		goto out;
	}
	r = hs_respond(&lr, &ops, init, MSG_HS_INIT_LEN, default_src, sizeof default_src,
		       (uint32_t)in->flags_r, NOW_NS, &fr, resp, &resp_len, kr);
	if (r != HS_OK) {
		vecfile_why_add(why, cap, "responder refused our HS_INIT: %s",
				hs_reason_name(r));
		goto out;
	}
	r = hs_initiator_consume(&hs, &li, &ops, resp, resp_len, default_src,
				 sizeof default_src, NOW_NS, out, &out_len, ki);
	if (r != HS_OK) {
		vecfile_why_add(why, cap, "initiator refused our HS_RESP: %s",
				hs_reason_name(r));
		goto out;
	}
	ok = true;
out:
	hs_initiator_wipe(&hs);
	cookie_sender_wipe(&cs);
	hs_local_wipe(&li);
	hs_local_wipe(&lr);
	return ok;
}

static bool check_hex(const struct vecfile_where *w, const struct json_value *o,
		      const char *key, const uint8_t *got, size_t got_len, char *why,
		      size_t cap, bool *malformed)
{
	static uint8_t want[MSG_MAX_LEN];
	size_t n;

	if (!vecfile_get_hex(w, o, key, want, 0, sizeof want, &n)) {
		*malformed = true;
		return false;
	}
	vecfile_why_bytes(why, cap, key, got, got_len, want, n);
	return true;
}

static bool run_hs_vector(const struct vecfile_where *w, const struct json_value *hv,
			  char *why, size_t cap, bool *malformed)
{
	struct hs_input in;
	struct identity ids[2];
	struct hs_keys ki, kr;
	struct vecfile_where wo;
	const struct json_value *o;
	uint8_t init[MSG_HS_INIT_LEN], resp[HS_REPLY_MAX];

	if (!load_hs_input(w, hv, &in) ||
	    (o = vecfile_field(w, hv, "output", JSON_OBJECT)) == NULL) {
		*malformed = true;
		return false;
	}
	vecfile_where_sub(&wo, w, ".output");
	if (run_handshake(w, &in, init, resp, ids, &ki, &kr, why, cap, malformed)) {
		(void)(check_hex(&wo, o, "hs_init", init, MSG_HS_INIT_LEN, why, cap,
				 malformed) &&
		       check_hex(&wo, o, "hs_resp", resp, MSG_HS_RESP_LEN, why, cap,
				 malformed) &&
		       check_hex(&wo, o, "key_i2r", ki.send.k, 32, why, cap, malformed) &&
		       check_hex(&wo, o, "key_r2i", ki.recv.k, 32, why, cap, malformed) &&
		       check_hex(&wo, o, "key_i2r", kr.recv.k, 32, why, cap, malformed) &&
		       check_hex(&wo, o, "key_r2i", kr.send.k, 32, why, cap, malformed));
	}
	hs_keys_wipe(&ki);
	hs_keys_wipe(&kr);
	identity_wipe(&ids[0]);
	identity_wipe(&ids[1]);
	return why[0] == '\0';
}

/* ---- DATA ------------------------------------------------------------- */

static const struct json_value *find_named(const struct json_value *arr, const char *name,
					   size_t len)
{
	for (size_t i = 0; i < arr->u.array.n; i++) {
		const struct json_value *n =
		    json_member_get(&arr->u.array.items[i], "name");

		if (n && n->type == JSON_STRING && n->u.string.len == len &&
		    memcmp(n->u.string.bytes, name, len) == 0)
			return &arr->u.array.items[i];
	}
	return NULL;
}

static struct session_index index_a, index_b;
static struct session sess_a, sess_b;

static bool run_data(const struct vecfile_where *w, const struct json_value *dv,
		     const struct json_value *handshakes, char *why, size_t cap,
		     bool *malformed)
{
	static uint8_t buf[MSG_MAX_LEN], pt_want[MSG_MAX_LEN];
	struct vecfile_where wh;
	const struct json_value *hv;
	struct hs_input in;
	struct identity ids[2];
	struct hs_keys ki, kr;
	struct session *tx, *rx;
	const char *hname, *from;
	const uint8_t *pt;
	size_t hlen, flen, pt_len, n, got_len;
	uint64_t counter;
	uint8_t init[MSG_HS_INIT_LEN], resp[HS_REPLY_MAX];
	bool i2r;

	*malformed = true;
	if (!vecfile_get_string(w, dv, "handshake", &hname, &hlen) ||
	    !vecfile_get_string(w, dv, "from", &from, &flen) ||
	    !get_u64(w, dv, "counter", SESSION_REJECT_AFTER_MESSAGES - 1, &counter) ||
	    !vecfile_get_hex(w, dv, "plaintext", pt_want, 0, MSG_DATA_MAX_PLAINTEXT,
			     &pt_len))
		return false;
	i2r = flen == 9 && memcmp(from, "initiator", 9) == 0;
	if (!i2r && !(flen == 9 && memcmp(from, "responder", 9) == 0))
		return vecfile_bad(w, "from", "neither initiator nor responder");
	if ((hv = find_named(handshakes, hname, hlen)) == NULL)
		return vecfile_bad(w, "handshake", "no handshake of that name");
	vecfile_where_sub(&wh, w, ".handshake");
	if (!load_hs_input(&wh, hv, &in))
		return false;
	*malformed = false;
	if (!run_handshake(&wh, &in, init, resp, ids, &ki, &kr, why, cap, malformed))
		goto out;
	session_index_init(&index_a);
	session_index_init(&index_b);
	session_init(&sess_a, ids[0].addr, ids[1].addr);
	session_init(&sess_b, ids[1].addr, ids[0].addr);
	session_install(&sess_a, &index_a, &ki, NOW_NS);
	session_install(&sess_b, &index_b, &kr, NOW_NS);
	if (!i2r) {
		/* The responder sends only after key confirmation: a keepalive. */
		if (session_seal(&sess_a, NOW_NS, buf, 0, sizeof buf, &n) != 0 ||
		    session_open(&sess_b, &index_b, NOW_NS, buf, n, &pt, &got_len) !=
			SESSION_KEEPALIVE) {
			vecfile_why_add(why, cap, "key confirmation failed");
			goto out;
		}
	}
	tx = i2r ? &sess_a : &sess_b;
	rx = i2r ? &sess_b : &sess_a;
	tx->slot[tx->current].send_counter = counter;
	memcpy(buf + MSG_DATA_HEADER_LEN, pt_want, pt_len);
	if (session_seal(tx, NOW_NS, buf, pt_len, sizeof buf, &n) != 0) {
		vecfile_why_add(why, cap, "seal failed");
		goto out;
	}
	if (!check_hex(w, dv, "datagram", buf, n, why, cap, malformed) || why[0])
		goto out;
	{
		enum session_verdict v = session_open(rx, i2r ? &index_b : &index_a,
						      NOW_NS, buf, n, &pt, &got_len);

		if (session_verdict_is_drop(v))
			vecfile_why_add(why, cap, "the receiver dropped it: %s",
					session_verdict_name(v));
		else
			vecfile_why_bytes(why, cap, "plaintext", pt, got_len, pt_want,
					  pt_len);
	}
out:
	session_wipe_keys(&sess_a, NULL);
	session_wipe_keys(&sess_b, NULL);
	hs_keys_wipe(&ki);
	hs_keys_wipe(&kr);
	identity_wipe(&ids[0]);
	identity_wipe(&ids[1]);
	return !*malformed && why[0] == '\0';
}

/* ---- COOKIE_REPLY ----------------------------------------------------- */

static bool run_cookie(const struct vecfile_where *w, const struct json_value *cv,
		       char *why, size_t cap, bool *malformed)
{
	struct vecfile_where wi, wo;
	const struct json_value *in, *o;
	struct identity ids[2];
	struct hs_local lr;
	struct cookie_sender cs, fresh;
	struct cookie_checker ck;
	uint8_t seed_i[32], seed_r[32], psk[32], secret[32], x[32];
	uint8_t answered[MSG_HS_INIT_LEN], msg[MSG_HS_INIT_LEN],
	    reply[MSG_COOKIE_REPLY_LEN];
	uint8_t mine[MSG_COOKIE_REPLY_LEN], src[COOKIE_SOURCE_MAX];
	size_t n, src_len;

	*malformed = true;
	if ((in = vecfile_field(w, cv, "input", JSON_OBJECT)) == NULL ||
	    (o = vecfile_field(w, cv, "output", JSON_OBJECT)) == NULL)
		return false;
	vecfile_where_sub(&wi, w, ".input");
	vecfile_where_sub(&wo, w, ".output");
	if (!get_key(&wi, in, "initiator_seed", seed_i) ||
	    !get_key(&wi, in, "responder_seed", seed_r) ||
	    !get_key(&wi, in, "psk", psk) || !get_key(&wi, in, "secret", secret) ||
	    !vecfile_get_hex(&wi, in, "answered", answered, MSG_HS_INIT_LEN,
			     MSG_HS_INIT_LEN, &n) ||
	    !vecfile_get_hex(&wi, in, "source", src, 1, COOKIE_SOURCE_MAX, &src_len) ||
	    !vecfile_get_hex(&wo, o, "reply", reply, MSG_COOKIE_REPLY_LEN,
			     MSG_COOKIE_REPLY_LEN, &n))
		return false;
	if (!node_init(&wi, "responder_seed", seed_r, psk, &ids[1], &lr))
		return false;
	if (identity_from_seed(&ids[0], seed_i) != 0) {
		hs_local_wipe(&lr);
		return vecfile_bad(&wi, "initiator_seed",
				   "not the seed of an acceptable identity");
	}
	*malformed = false;
	identity_x25519_public(ids[1].pk, x);
	cookie_sender_init(&cs, x, psk);
	memcpy(msg, answered, sizeof msg);
	cookie_sender_add_macs(&cs, msg, sizeof msg, NOW_NS); /* remembers mac1 */
	vecfile_why_bytes(why, cap, "answered (macs recomputed)", msg, sizeof msg,
			  answered, sizeof answered);
	if (!cookie_sender_consume_reply(&cs, reply, NOW_NS))
		vecfile_why_add(why, cap, "the reply does not open");
	else if (check_hex(&wo, o, "cookie", cs.cookie, MSG_COOKIE_LEN, why, cap,
			   malformed)) {
		cookie_sender_add_macs(&cs, msg, sizeof msg, NOW_NS);
		check_hex(&wo, o, "hs_init_with_mac2", msg, sizeof msg, why, cap,
			  malformed);
	}
	/* The responder holding R accepts that mac2 from that source only. */
	cookie_checker_init(&ck, lr.x_pub, psk);
	memcpy(ck.secret, secret, sizeof secret);
	ck.have_secret = true;
	ck.secret_born_ns = NOW_NS;
	if (!why[0] &&
	    !cookie_checker_mac2_ok(&ck, msg, sizeof msg, src, src_len, NOW_NS))
		vecfile_why_add(why, cap, "the responder refuses the mac2");
	src[0] ^= 1;
	if (!why[0] && cookie_checker_mac2_ok(&ck, msg, sizeof msg, src, src_len, NOW_NS))
		vecfile_why_add(why, cap, "the mac2 is accepted from another source");
	src[0] ^= 1;
	/* Our own reply (random nonce) carries the same cookie. */
	if (!why[0]) {
		cookie_sender_init(&fresh, x, psk);
		memcpy(msg, answered, sizeof msg);
		cookie_sender_add_macs(&fresh, msg, sizeof msg, NOW_NS);
		cookie_checker_make_reply(&ck, mine, msg, sizeof msg, src, src_len,
					  NOW_NS);
		if (!cookie_sender_consume_reply(&fresh, mine, NOW_NS) ||
		    sodium_memcmp(fresh.cookie, cs.cookie, MSG_COOKIE_LEN) != 0)
			vecfile_why_add(why, cap, "our own reply carries another cookie");
		cookie_sender_wipe(&fresh);
	}
	cookie_checker_wipe(&ck);
	cookie_sender_wipe(&cs);
	hs_local_wipe(&lr);
	identity_wipe(&ids[0]);
	identity_wipe(&ids[1]);
	return !*malformed && why[0] == '\0';
}

/* ---- receiver cases ----------------------------------------------------- */

struct receiver {
	struct identity id;
	struct hs_local local;
	struct policy pol;
	struct hs_ops ops;
	struct hs_fixed fixed;
	uint8_t e_r[32];
	uint32_t flags;
	bool have_session;
};

static struct receiver rcv;

/* One step: the verdict's name, reply and plaintext into the out params. */
static const char *receive(uint8_t *msg, size_t len, uint8_t reply[HS_REPLY_MAX],
			   size_t *reply_len, const uint8_t **pt, size_t *pt_len,
			   bool *accepted)
{
	struct hs_keys k;
	enum hs_reason r;

	*reply_len = 0;
	*pt = NULL;
	*pt_len = 0;
	if (len > 0 && msg[0] == MSG_DATA) {
		enum session_verdict v;

		if (!rcv.have_session) {
			*accepted = false;
			return session_verdict_name(SESSION_DROP_UNKNOWN_INDEX);
		}
		v = session_open(&sess_b, &index_b, NOW_NS, msg, len, pt, pt_len);
		*accepted = !session_verdict_is_drop(v);
		return session_verdict_name(v);
	}
	r = hs_respond(&rcv.local, &rcv.ops, msg, len, default_src, sizeof default_src,
		       rcv.flags, NOW_NS, &rcv.fixed, reply, reply_len, &k);
	*accepted = r == HS_OK;
	if (r == HS_OK) {
		policy_store(&rcv.pol, &k);
		if (!rcv.have_session) {
			session_init(&sess_b, rcv.id.addr, k.peer_addr);
			rcv.have_session = true;
		}
		session_index_remove(&index_b, k.local_index);
		session_index_insert(&index_b, k.local_index, &sess_b);
		session_install(&sess_b, &index_b, &k, NOW_NS);
	}
	return hs_reason_name(r);
}

static bool run_step(const struct vecfile_where *w, const struct json_value *sv,
		     char *why, size_t cap, bool *malformed)
{
	static uint8_t msg[MSG_MAX_LEN + 1], want[MSG_MAX_LEN];
	uint8_t reply[HS_REPLY_MAX];
	const struct json_value *jr, *jp;
	const char *expect, *reason, *got;
	const uint8_t *pt;
	size_t len, elen, rlen, reply_len, pt_len, n;
	bool accepted, want_accept;

	*malformed = true;
	if (!vecfile_get_hex(w, sv, "message", msg, 0, sizeof msg, &len) ||
	    !vecfile_get_string(w, sv, "expect", &expect, &elen) ||
	    !vecfile_get_string(w, sv, "reason", &reason, &rlen))
		return false;
	want_accept = elen == 6 && memcmp(expect, "accept", 6) == 0;
	if (!want_accept && !(elen == 4 && memcmp(expect, "drop", 4) == 0))
		return vecfile_bad(w, "expect", "neither accept nor drop");
	jr = json_member_get(sv, "reply");
	jp = json_member_get(sv, "plaintext");
	*malformed = false;
	got = receive(msg, len, reply, &reply_len, &pt, &pt_len, &accepted);
	if (accepted != want_accept || strlen(got) != rlen ||
	    memcmp(got, reason, rlen) != 0)
		vecfile_why_add(why, cap, "%s (%s), want %.*s (%.*s)",
				accepted ? "accept" : "drop", got, (int)elen, expect,
				(int)rlen, reason);
	if (jr != NULL && jr->type != JSON_NULL) {
		if (!vecfile_get_hex(w, sv, "reply", want, 0, sizeof want, &n))
			return !(*malformed = true);
		vecfile_why_bytes(why, cap, "reply", reply, reply_len, want, n);
	} else if (reply_len != 0 && !why[0]) {
		vecfile_why_add(why, cap, "a reply of %zu bytes, want none", reply_len);
	}
	if (jp != NULL && jp->type != JSON_NULL) {
		if (!vecfile_get_hex(w, sv, "plaintext", want, 0, sizeof want, &n))
			return !(*malformed = true);
		vecfile_why_bytes(why, cap, "plaintext", pt, pt_len, want, n);
	} else if (pt_len != 0 && !why[0]) {
		vecfile_why_add(why, cap, "a plaintext of %zu bytes, want none", pt_len);
	}
	return why[0] == '\0';
}

static bool run_case(const struct vecfile_where *w, const struct json_value *cv,
		     char *why, size_t cap, bool *malformed)
{
	struct vecfile_where ws;
	const struct json_value *allowed, *steps;
	uint8_t seed[32], psk[32];
	uint64_t idx, flags;
	bool ok = true;

	*malformed = true;
	memset(&rcv, 0, sizeof rcv);
	if (!get_key(w, cv, "responder_seed", seed) || !get_key(w, cv, "psk", psk) ||
	    !get_key(w, cv, "responder_ephemeral", rcv.e_r) ||
	    !get_u64(w, cv, "responder_index", UINT32_MAX, &idx) ||
	    !get_u64(w, cv, "responder_flags", UINT32_MAX, &flags) ||
	    (allowed = vecfile_field(w, cv, "allowed", JSON_ARRAY)) == NULL ||
	    (steps = vecfile_field(w, cv, "steps", JSON_ARRAY)) == NULL)
		return false;
	if (allowed->u.array.n > ALLOW_MAX)
		return vecfile_bad(w, "allowed", "more than %d identities", ALLOW_MAX);
	for (size_t i = 0; i < allowed->u.array.n; i++) {
		const struct json_value *a = &allowed->u.array.items[i];
		size_t n;

		vecfile_where_sub(&ws, w, ".allowed[%zu]", i);
		if (a->type != JSON_STRING ||
		    vecfile_hex(a->u.string.bytes, a->u.string.len, rcv.pol.allow[i], 32,
				&n) ||
		    n != 32)
			return vecfile_bad(&ws, "", "not a 32-byte hex key");
	}
	rcv.pol.n = allowed->u.array.n;
	if (!node_init(w, "responder_seed", seed, psk, &rcv.id, &rcv.local))
		return false;
	*malformed = false;
	rcv.ops.ctx = &rcv.pol;
	rcv.ops.peer_allowed = policy_allowed;
	rcv.fixed.local_index = (uint32_t)idx;
	rcv.fixed.ephemeral = rcv.e_r;
	rcv.flags = (uint32_t)flags;
	session_index_init(&index_b);
	for (size_t i = 0; i < steps->u.array.n && ok && !*malformed; i++) {
		char step_why[VECFILE_MSG_MAX] = "";

		vecfile_where_sub(&ws, w, ".steps[%zu]", i);
		ok = run_step(&ws, &steps->u.array.items[i], step_why, sizeof step_why,
			      malformed);
		if (!ok && !*malformed)
			vecfile_why_add(why, cap, "step %zu: %s", i, step_why);
	}
	if (rcv.have_session)
		session_wipe_keys(&sess_b, NULL);
	hs_local_wipe(&rcv.local);
	identity_wipe(&rcv.id);
	sodium_memzero(&rcv, sizeof rcv);
	return ok && !*malformed;
}

/* ---- the file ------------------------------------------------------------ */

typedef bool (*runner)(const struct vecfile_where *w, const struct json_value *v,
		       const struct json_value *handshakes, char *why, size_t cap,
		       bool *malformed);

static bool hs_runner(const struct vecfile_where *w, const struct json_value *v,
		      const struct json_value *h, char *why, size_t cap, bool *m)
{
	(void)h;
	return run_hs_vector(w, v, why, cap, m);
}

static bool cookie_runner(const struct vecfile_where *w, const struct json_value *v,
			  const struct json_value *h, char *why, size_t cap, bool *m)
{
	(void)h;
	return run_cookie(w, v, why, cap, m);
}

static bool case_runner(const struct vecfile_where *w, const struct json_value *v,
			const struct json_value *h, char *why, size_t cap, bool *m)
{
	(void)h;
	return run_case(w, v, why, cap, m);
}

bool meshvec_run_file(const char *file, struct vecfile_tally *t)
{
	static const struct {
		const char *section;
		runner run;
	} sections[] = {
	    {"handshakes", hs_runner},
	    {"data", run_data},
	    {"cookie_replies", cookie_runner},
	    {"receiver_cases", case_runner},
	};
	struct vecfile_where w = {.file = file}, wv;
	const struct json_value *handshakes;
	struct json_value root;
	bool malformed = false;

	if (!vecfile_load(file, &root))
		return false;
	if (root.type != JSON_OBJECT) {
		fprintf(stderr, "%s: top level must be an object\n", file);
		json_free(&root);
		return false;
	}
	handshakes = vecfile_field(&w, &root, "handshakes", JSON_ARRAY);
	malformed = handshakes == NULL;
	for (size_t s = 0; s < sizeof sections / sizeof sections[0] && !malformed; s++) {
		const struct json_value *arr =
		    vecfile_field(&w, &root, sections[s].section, JSON_ARRAY);

		if (arr == NULL) {
			malformed = true;
			break;
		}
		for (size_t i = 0; i < arr->u.array.n && !malformed; i++) {
			const struct json_value *v = &arr->u.array.items[i];
			char name[NAME_MAX_LEN], why[VECFILE_MSG_MAX] = "";
			bool ok;

			vecfile_where_sub(&wv, &w, "%s[%zu]", sections[s].section, i);
			if (v->type != JSON_OBJECT || !get_name(&wv, v, name)) {
				if (v->type != JSON_OBJECT)
					vecfile_bad(&wv, "", "not an object");
				malformed = true;
				break;
			}
			ok = sections[s].run(&wv, v, handshakes, why, sizeof why,
					     &malformed);
			if (!malformed)
				vecfile_record(t, sections[s].section, name, ok, why);
		}
	}
	json_free(&root);
	return !malformed;
}
