/*
 * The mesh handshake and DATA receive path (core/mesh/handshake.c,
 * session.c) on arbitrary bytes, with fixed identities A (initiator) and
 * B (responder, whitelisting A only).
 *
 * Input: byte 0 selects the receiver, the rest is the datagram.
 *   bits 0-1 = 0: B's hs_respond reads it as an HS_INIT;
 *            = 1: A, with an initiation pending (fixed ephemeral, index
 *                 and timestamp), reads it as the HS_RESP;
 *            = 2, 3: B's session (A's keypair installed, confirmed) opens
 *                 it as DATA.
 *   bit 2:   B is under load (mac2 must be valid, else a cookie reply).
 *
 * Invariants:
 *  - a refusal changes nothing: B's hs_local, A's pending initiation and
 *    B's session are byte for byte as before, and nothing is to be sent
 *    except a COOKIE_REPLY under load, never larger than the input;
 *  - an accepted HS_INIT is A's (the only whitelisted identity) with a
 *    timestamp newer than the stored one, and the reply is a 96-byte
 *    HS_RESP;
 *  - an accepted HS_RESP is the genuine one (its bytes before mac2);
 *  - an accepted DATA is what A's sending key makes of that header and
 *    plaintext: re-sealed, it gives the input back.
 *
 * SUBNETRA_FUZZ_MESH_HS_SEEDS=DIR build-fuzz/fuzz/fuzz_mesh_hs -runs=0
 * writes the seed corpus: the genuine HS_INIT, HS_RESP and DATA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "core/bytes/byteorder.h"
#include "core/mesh/handshake.h"
#include "core/mesh/session.h"

#define NOW  (UINT64_C(1000) * UINT64_C(1000000000))
#define WALL (UINT64_C(1767225600) * UINT64_C(1000000000))

static struct identity id_a, id_b;
static struct hs_local loc_a, loc_b;
static struct cookie_sender cs_ab;
static struct hs_initiator pending; /* A's initiation, copied per input */
static uint8_t genuine_init[MSG_HS_INIT_LEN], genuine_resp[HS_REPLY_MAX];
static uint8_t genuine_data[MSG_DATA_MAX_LEN];
static size_t genuine_data_len;
static struct session sess_b;	      /* B's session with A, copied per input */
static struct session_keypair a_send; /* A's side of that keypair */
static uint8_t stored_tai[HS_TAI64N_LEN];
static bool load;
static const uint8_t src[] = {203, 0, 113, 9, 0x30, 0x39};

static bool allowed(void *ctx, const uint8_t ed_pk[IDENTITY_PK_LEN],
		    const uint8_t addr[IDENTITY_ADDR_LEN], struct hs_peer *peer)
{
	(void)ctx, (void)addr;
	if (memcmp(ed_pk, id_a.pk, IDENTITY_PK_LEN) != 0)
		return false;
	memcpy(peer->last_tai64n, stored_tai, HS_TAI64N_LEN);
	peer->cookie = NULL;
	return true;
}

static bool under_load(void *ctx, uint64_t now_ns)
{
	(void)ctx, (void)now_ns;
	return load;
}

static const struct hs_ops ops = {.under_load = under_load, .peer_allowed = allowed};

static void fixed_identity(struct identity *id, const char *label)
{
	uint8_t in[64], seed[32];

	for (uint32_t i = 0;; i++) {
		size_t n = strlen(label);

		memcpy(in, label, n);
		store_be32(in + n, i);
		crypto_hash_sha256(seed, in, n + 4);
		if (identity_from_seed(id, seed) == 0)
			return;
	}
}

static void write_seed(const char *dir, const char *name, uint8_t sel, const uint8_t *m,
		       size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fputc(sel, f) == EOF || fwrite(m, 1, n, f) != n || fclose(f) != 0)
		__builtin_trap();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("SUBNETRA_FUZZ_MESH_HS_SEEDS");
	uint8_t e_a[32], e_b[32], x[32], out[HS_REPLY_MAX], scratch[MSG_COOKIE_REPLY_LEN];
	struct hs_fixed fa = {0x11111111, e_a}, fb = {0x22222222, e_b};
	struct hs_initiator hs;
	struct hs_keys ki, kr;
	struct session sess_a;
	size_t n;

	(void)argc, (void)argv;
	if (sodium_init() < 0)
		__builtin_trap();
	fixed_identity(&id_a, "fuzz_mesh_hs A");
	fixed_identity(&id_b, "fuzz_mesh_hs B");
	crypto_hash_sha256(e_a, (const uint8_t *)"ephemeral A", 11);
	crypto_hash_sha256(e_b, (const uint8_t *)"ephemeral B", 11);
	if (hs_local_init(&loc_a, &id_a, NULL) != 0 ||
	    hs_local_init(&loc_b, &id_b, NULL) != 0 ||
	    identity_x25519_public(id_b.pk, x) != 0)
		__builtin_trap();
	/* Draw R now, so that a cookie check at NOW changes nothing later. */
	cookie_checker_make_reply(&loc_b.checker, scratch, genuine_init, MSG_HS_INIT_LEN,
				  src, sizeof src, NOW);
	cookie_sender_init(&cs_ab, x, NULL);
	if (hs_initiator_start(&pending, &loc_a, id_b.pk, &cs_ab, 0, WALL, NOW, &fa,
			       genuine_init) != 0)
		__builtin_trap();
	/* B answers (fixed ephemeral); A consumes a copy to get the keys. */
	if (hs_respond(&loc_b, &ops, genuine_init, MSG_HS_INIT_LEN, src, sizeof src, 0,
		       NOW, &fb, genuine_resp, &n, &kr) != HS_OK)
		__builtin_trap();
	hs = pending;
	if (hs_initiator_consume(&hs, &loc_a, &ops, genuine_resp, MSG_HS_RESP_LEN, src,
				 sizeof src, NOW, out, &n, &ki) != HS_OK)
		__builtin_trap();
	/* B's session, confirmed by A's keepalive; A's keypair for re-sealing. */
	session_init(&sess_a, id_a.addr, id_b.addr);
	session_init(&sess_b, id_b.addr, id_a.addr);
	session_install(&sess_a, NULL, &ki, NOW);
	session_install(&sess_b, NULL, &kr, NOW);
	if (session_seal(&sess_a, NOW, genuine_data, 0, sizeof genuine_data, &n) != 0)
		__builtin_trap();
	{
		const uint8_t *pt;
		size_t pl;

		if (session_open(&sess_b, NULL, NOW, genuine_data, n, &pt, &pl) !=
		    SESSION_KEEPALIVE)
			__builtin_trap();
	}
	/* The seed DATA: an IPv6 packet A -> B at counter 1. */
	memset(genuine_data, 0, sizeof genuine_data);
	genuine_data[MSG_DATA_HEADER_LEN] = 0x60;
	memcpy(genuine_data + MSG_DATA_HEADER_LEN + 8, id_a.addr, 16);
	memcpy(genuine_data + MSG_DATA_HEADER_LEN + 24, id_b.addr, 16);
	if (session_seal(&sess_a, NOW, genuine_data, 48, sizeof genuine_data,
			 &genuine_data_len) != 0)
		__builtin_trap();
	a_send = sess_a.slot[sess_a.current];
	session_wipe_keys(&sess_a, NULL);
	if (seeds) {
		write_seed(seeds, "hs-init", 0, genuine_init, MSG_HS_INIT_LEN);
		write_seed(seeds, "hs-init-load", 4, genuine_init, MSG_HS_INIT_LEN);
		write_seed(seeds, "hs-resp", 1, genuine_resp, MSG_HS_RESP_LEN);
		write_seed(seeds, "data", 2, genuine_data, genuine_data_len);
	}
	return 0;
}

static void fuzz_respond(const uint8_t *m, size_t len)
{
	static struct hs_local before;
	uint8_t out[HS_REPLY_MAX];
	struct hs_keys k;
	size_t out_len = 12345;
	enum hs_reason r;

	before = loc_b;
	r = hs_respond(&loc_b, &ops, m, len, src, sizeof src, 0, NOW, NULL, out, &out_len,
		       &k);
	FUZZ_CHECK(hs_reason_name(r)[0] != '?', "reason %d has a name", (int)r);
	if (r == HS_OK) {
		FUZZ_CHECK(memcmp(k.peer_ed_pk, id_a.pk, IDENTITY_PK_LEN) == 0,
			   "not A's");
		FUZZ_CHECK(memcmp(k.tai64n, stored_tai, HS_TAI64N_LEN) > 0,
			   "stale accepted");
		FUZZ_CHECK(out_len == MSG_HS_RESP_LEN &&
			       msg_classify(out, out_len) == MSG_CLASS_HS_RESP,
			   "reply is an HS_RESP");
		hs_keys_wipe(&k);
		return;
	}
	if (r == HS_DROP_UNDER_LOAD) {
		FUZZ_CHECK(load && out_len == MSG_COOKIE_REPLY_LEN && out_len <= len,
			   "cookie reply only under load, never larger");
	} else {
		FUZZ_CHECK(out_len == 0, "%s: nothing to send", hs_reason_name(r));
	}
	FUZZ_CHECK(memcmp(&before, &loc_b, sizeof before) == 0, "%s changed B",
		   hs_reason_name(r));
}

static void fuzz_consume(const uint8_t *m, size_t len)
{
	struct hs_initiator hs = pending;
	uint8_t out[HS_REPLY_MAX];
	struct hs_keys k;
	size_t out_len;
	enum hs_reason r;

	r = hs_initiator_consume(&hs, &loc_a, &ops, m, len, src, sizeof src, NOW, out,
				 &out_len, &k);
	if (r == HS_OK) {
		FUZZ_CHECK(memcmp(m, genuine_resp, MSG_HS_RESP_OFF_MAC2) == 0,
			   "accepted a forged HS_RESP");
		hs_keys_wipe(&k);
	} else {
		FUZZ_CHECK(memcmp(&hs, &pending, sizeof hs) == 0,
			   "%s changed the initiation", hs_reason_name(r));
		FUZZ_CHECK(r == HS_DROP_UNDER_LOAD ? out_len <= len : out_len == 0,
			   "reply size");
	}
	hs_initiator_wipe(&hs);
}

static void fuzz_data(const uint8_t *m, size_t len)
{
	static struct session s;
	static uint8_t buf[MSG_MAX_LEN], again[MSG_MAX_LEN];
	const uint8_t *pt;
	size_t pt_len, n;
	enum session_verdict v;
	struct msg_data_header h;

	if (len > sizeof buf)
		return;
	s = sess_b;
	memcpy(buf, m, len);
	v = session_open(&s, NULL, NOW, buf, len, &pt, &pt_len);
	FUZZ_CHECK(session_verdict_name(v)[0] != '?', "verdict %d has a name", (int)v);
	if (session_verdict_is_drop(v)) {
		FUZZ_CHECK(memcmp(&s, &sess_b, sizeof s) == 0, "%s changed the session",
			   session_verdict_name(v));
		return;
	}
	msg_data_header_get(&h, m);
	memcpy(again, m, MSG_DATA_HEADER_LEN);
	FUZZ_CHECK(noise_cipher_encrypt_at(&a_send.send, h.counter, again,
					   MSG_DATA_HEADER_LEN, pt, pt_len,
					   again + MSG_DATA_HEADER_LEN,
					   sizeof again - MSG_DATA_HEADER_LEN, &n) == 0 &&
		       MSG_DATA_HEADER_LEN + n == len && memcmp(again, m, len) == 0,
		   "accepted DATA that A did not seal");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > MSG_MAX_LEN + 1)
		return 0;
	load = (data[0] & 4) != 0;
	switch (data[0] & 3) {
	case 0:
		fuzz_respond(data + 1, size - 1);
		break;
	case 1:
		fuzz_consume(data + 1, size - 1);
		break;
	default:
		fuzz_data(data + 1, size - 1);
		break;
	}
	return 0;
}
