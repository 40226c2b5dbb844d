/*
 * The framed mesh handshake (handshake.h).  The responder's order of
 * checks is the contract: cheap, key-free checks first, the first
 * Diffie-Hellman only after mac1 (and, under load, a cookie) proved the
 * sender aims at us from where it claims, the whitelist before the
 * Ed25519 -> X25519 conversion, and nothing kept until every check passed.
 */
#include "core/mesh/handshake.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/bytes/byteorder.h"

static const char *const reason_names[HS_REASON_END] = {[HS_OK] = "ok",
#define HS_REASON_NAME(up, low) [HS_DROP_##up] = #low,
							HS_REASONS(HS_REASON_NAME)
#undef HS_REASON_NAME
};

const char *hs_reason_name(enum hs_reason r)
{
	if ((unsigned)r >= HS_REASON_END)
		return "?";
	return reason_names[r];
}

int hs_local_init(struct hs_local *l, const struct identity *id, const uint8_t *psk)
{
	sodium_memzero(l, sizeof *l);
	if (identity_x25519_secret(id, l->x_priv) != 0 ||
	    crypto_scalarmult_curve25519_base(l->x_pub, l->x_priv) != 0) {
		hs_local_wipe(l);
		return -EINVAL;
	}
	memcpy(l->ed_pk, id->pk, sizeof l->ed_pk);
	memcpy(l->addr, id->addr, sizeof l->addr);
	if (psk != NULL)
		memcpy(l->psk, psk, sizeof l->psk);
	/* cookie.h treats an all-zero psk as none, as Noise does. */
	cookie_checker_init(&l->checker, l->x_pub, psk);
	return 0;
}

void hs_local_wipe(struct hs_local *l)
{
	cookie_checker_wipe(&l->checker);
	sodium_memzero(l, sizeof *l);
}

void hs_keys_wipe(struct hs_keys *k)
{
	sodium_memzero(k, sizeof *k);
}

void hs_tai64n(uint8_t out[HS_TAI64N_LEN], uint64_t wall_ns)
{
	store_be64(out, (UINT64_C(1) << 62) + wall_ns / UINT64_C(1000000000));
	store_be32(out + 8, (uint32_t)(wall_ns % UINT64_C(1000000000)));
}

static uint32_t pick_index(const struct hs_fixed *fixed)
{
	uint32_t v;

	if (fixed != NULL && fixed->local_index != 0)
		return fixed->local_index;
	do
		v = randombytes_random();
	while (v == 0);
	return v;
}

/* The key-free checks: exact length, type, reserved bytes. */
static enum hs_reason check_frame(const uint8_t *msg, size_t len, enum msg_type type,
				  size_t want_len)
{
	if (len != want_len)
		return HS_DROP_BAD_LENGTH;
	if (msg[MSG_OFF_TYPE] != type)
		return HS_DROP_BAD_TYPE;
	if ((msg[1] | msg[2] | msg[3]) != 0)
		return HS_DROP_BAD_RESERVED;
	return HS_OK;
}

/*
 * mac1, then the load gate (docs/mesh-protocol.md §2.5): count the message;
 * under load a message without a valid mac2 for src gets a COOKIE_REPLY,
 * and one with it goes through the source's token bucket.
 */
static enum hs_reason gate(struct hs_local *l, const struct hs_ops *ops,
			   const uint8_t *msg, size_t len, const uint8_t *src,
			   size_t src_len, uint64_t now_ns, uint8_t out[HS_REPLY_MAX],
			   size_t *out_len)
{
	if (!cookie_checker_mac1_ok(&l->checker, msg, len))
		return HS_DROP_BAD_MAC1;
	if (ops->under_load == NULL || !ops->under_load(ops->ctx, now_ns))
		return HS_OK;
	if (src_len > COOKIE_SOURCE_MAX)
		src_len = COOKIE_SOURCE_MAX; /* the caller's bug; never read past */
	if (!cookie_checker_mac2_ok(&l->checker, msg, len, src, src_len, now_ns)) {
		/* Made only when it will be sent: a reply costs an AEAD and a nonce. */
		if (ops->cookie_reply_allowed == NULL ||
		    ops->cookie_reply_allowed(ops->ctx, src, src_len, now_ns)) {
			cookie_checker_make_reply(&l->checker, out, msg, len, src, src_len,
						  now_ns);
			*out_len = MSG_COOKIE_REPLY_LEN;
		}
		return HS_DROP_UNDER_LOAD;
	}
	if (ops->rate_limit != NULL) {
		switch (ops->rate_limit(ops->ctx, src, src_len, now_ns)) {
		case MESH_RATELIMIT_ALLOW:
			break;
		case MESH_RATELIMIT_DENY:
			return HS_DROP_RATE_LIMITED;
		default:
			return HS_DROP_RATELIMIT_FULL;
		}
	}
	return HS_OK;
}

int hs_initiator_start(struct hs_initiator *hs, const struct hs_local *l,
		       const uint8_t peer_ed_pk[IDENTITY_PK_LEN],
		       struct cookie_sender *cs, uint32_t flags, uint64_t wall_ns,
		       uint64_t now_ns, const struct hs_fixed *fixed,
		       uint8_t out[MSG_HS_INIT_LEN])
{
	uint8_t rs[NOISE_DHLEN], payload[MSG_HS_INIT_PAYLOAD_LEN];
	size_t n;
	int rc;

	hs_initiator_wipe(hs);
	if (identity_x25519_public(peer_ed_pk, rs) != 0)
		return -EINVAL;
	rc = noise_handshake_init(&hs->noise, NOISE_IKPSK2, true,
				  (const uint8_t *)HS_PROLOGUE, HS_PROLOGUE_LEN,
				  l->x_priv, rs, l->psk);
	if (rc == 0 && fixed != NULL && fixed->ephemeral != NULL)
		rc = noise_handshake_set_ephemeral(&hs->noise, fixed->ephemeral);
	memcpy(payload + HS_INIT_OFF_ED_PK, l->ed_pk, IDENTITY_PK_LEN);
	hs_tai64n(payload + HS_INIT_OFF_TAI64N, wall_ns);
	store_be32(payload + HS_INIT_OFF_FLAGS, flags);
	hs->local_index = pick_index(fixed);
	msg_common_put(out, MSG_HS_INIT);
	store_be32(out + MSG_HS_INIT_OFF_SENDER, hs->local_index);
	if (rc == 0)
		rc = noise_handshake_write(
		    &hs->noise, payload, sizeof payload, out + MSG_HS_INIT_OFF_EPHEMERAL,
		    MSG_HS_INIT_OFF_MAC1 - MSG_HS_INIT_OFF_EPHEMERAL, &n);
	sodium_memzero(payload, sizeof payload);
	if (rc != 0 || n != MSG_HS_INIT_OFF_MAC1 - MSG_HS_INIT_OFF_EPHEMERAL) {
		hs_initiator_wipe(hs);
		sodium_memzero(out, MSG_HS_INIT_LEN);
		return rc != 0 ? rc : -EINVAL;
	}
	cookie_sender_add_macs(cs, out, MSG_HS_INIT_LEN, now_ns);
	memcpy(hs->peer_ed_pk, peer_ed_pk, IDENTITY_PK_LEN);
	identity_address(peer_ed_pk, hs->peer_addr);
	hs->active = true;
	return 0;
}

enum hs_reason hs_initiator_consume(struct hs_initiator *hs, struct hs_local *l,
				    const struct hs_ops *ops, const uint8_t *msg,
				    size_t len, const uint8_t *src, size_t src_len,
				    uint64_t now_ns, uint8_t out[HS_REPLY_MAX],
				    size_t *out_len, struct hs_keys *keys)
{
	struct noise_handshake copy;
	uint8_t payload[MSG_HS_RESP_PAYLOAD_LEN];
	enum hs_reason r;
	size_t n;

	*out_len = 0;
	r = check_frame(msg, len, MSG_HS_RESP, MSG_HS_RESP_LEN);
	if (r != HS_OK)
		return r;
	if (!hs->active || load_be32(msg + MSG_HS_RESP_OFF_RECEIVER) != hs->local_index)
		return HS_DROP_UNKNOWN_RECEIVER;
	r = gate(l, ops, msg, len, src, src_len, now_ns, out, out_len);
	if (r != HS_OK)
		return r;
	/* A failed read wipes the handshake it reads: read a copy, so a
	 * forged HS_RESP (anyone can make mac1) cannot cancel ours. */
	copy = hs->noise;
	if (noise_handshake_read(&copy, msg + MSG_HS_RESP_OFF_EPHEMERAL,
				 MSG_HS_RESP_OFF_MAC1 - MSG_HS_RESP_OFF_EPHEMERAL,
				 payload, sizeof payload, &n) != 0 ||
	    n != sizeof payload) {
		noise_handshake_wipe(&copy);
		return HS_DROP_DECRYPT;
	}
	sodium_memzero(keys, sizeof *keys);
	if (noise_handshake_split(&copy, &keys->send, &keys->recv, NULL) != 0) {
		noise_handshake_wipe(&copy);
		return HS_DROP_DECRYPT; /* not reached: a read handshake splits */
	}
	keys->local_index = hs->local_index;
	keys->remote_index = msg_hs_sender(msg);
	keys->initiator = true;
	memcpy(keys->peer_ed_pk, hs->peer_ed_pk, IDENTITY_PK_LEN);
	memcpy(keys->peer_addr, hs->peer_addr, IDENTITY_ADDR_LEN);
	keys->flags = load_be32(payload);
	hs_initiator_wipe(hs);
	return HS_OK;
}

void hs_initiator_wipe(struct hs_initiator *hs)
{
	noise_handshake_wipe(&hs->noise);
	sodium_memzero(hs, sizeof *hs);
}

/* Noise message 2 and the frame around it (mac1 keyed by the initiator). */
static int write_resp(struct noise_handshake *noise, const struct hs_local *l,
		      const uint8_t s_i[NOISE_DHLEN], struct cookie_sender *cs,
		      uint32_t local_index, uint32_t remote_index, uint32_t flags,
		      uint64_t now_ns, uint8_t out[MSG_HS_RESP_LEN])
{
	struct cookie_sender tmp;
	uint8_t payload[MSG_HS_RESP_PAYLOAD_LEN];
	size_t n;
	int rc;

	rc = noise_handshake_set_psk(noise, l->psk);
	msg_common_put(out, MSG_HS_RESP);
	store_be32(out + MSG_HS_RESP_OFF_SENDER, local_index);
	store_be32(out + MSG_HS_RESP_OFF_RECEIVER, remote_index);
	store_be32(payload, flags);
	if (rc == 0)
		rc = noise_handshake_write(
		    noise, payload, sizeof payload, out + MSG_HS_RESP_OFF_EPHEMERAL,
		    MSG_HS_RESP_OFF_MAC1 - MSG_HS_RESP_OFF_EPHEMERAL, &n);
	if (rc != 0)
		return rc;
	if (cs == NULL) {
		cookie_sender_init(&tmp, s_i, l->psk);
		cookie_sender_add_macs(&tmp, out, MSG_HS_RESP_LEN, now_ns);
		cookie_sender_wipe(&tmp);
	} else {
		cookie_sender_add_macs(cs, out, MSG_HS_RESP_LEN, now_ns);
	}
	return 0;
}

enum hs_reason hs_respond(struct hs_local *l, const struct hs_ops *ops,
			  const uint8_t *msg, size_t len, const uint8_t *src,
			  size_t src_len, uint32_t flags, uint64_t now_ns,
			  const struct hs_fixed *fixed, uint8_t out[HS_REPLY_MAX],
			  size_t *out_len, struct hs_keys *keys)
{
	struct noise_handshake noise;
	struct hs_peer peer;
	uint8_t payload[MSG_HS_INIT_PAYLOAD_LEN], s_i[NOISE_DHLEN], x[NOISE_DHLEN];
	uint8_t addr[IDENTITY_ADDR_LEN];
	const uint8_t *ed_pk = payload + HS_INIT_OFF_ED_PK;
	const uint8_t *tai = payload + HS_INIT_OFF_TAI64N;
	enum hs_reason r;
	size_t n;

	*out_len = 0;
	r = check_frame(msg, len, MSG_HS_INIT, MSG_HS_INIT_LEN);
	if (r != HS_OK)
		return r;
	r = gate(l, ops, msg, len, src, src_len, now_ns, out, out_len);
	if (r != HS_OK)
		return r;

	memset(&peer, 0, sizeof peer);
	r = HS_DROP_DECRYPT;
	if (noise_handshake_init(&noise, NOISE_IKPSK2, false,
				 (const uint8_t *)HS_PROLOGUE, HS_PROLOGUE_LEN, l->x_priv,
				 NULL, NULL) != 0)
		goto out_wipe;
	if (fixed != NULL && fixed->ephemeral != NULL &&
	    noise_handshake_set_ephemeral(&noise, fixed->ephemeral) != 0)
		goto out_wipe;
	if (noise_handshake_read(&noise, msg + MSG_HS_INIT_OFF_EPHEMERAL,
				 MSG_HS_INIT_OFF_MAC1 - MSG_HS_INIT_OFF_EPHEMERAL,
				 payload, sizeof payload, &n) != 0 ||
	    n != sizeof payload || noise_handshake_remote_static(&noise, s_i) != 0)
		goto out_wipe;

	/* The payload is authenticated: now who is it, and may it talk to us? */
	r = HS_DROP_BAD_IDENTITY;
	if (!identity_pk_acceptable(ed_pk))
		goto out_wipe;
	identity_address(ed_pk, addr);
	r = HS_DROP_NOT_ALLOWED;
	if (ops->peer_allowed == NULL || !ops->peer_allowed(ops->ctx, ed_pk, addr, &peer))
		goto out_wipe;
	r = HS_DROP_STATIC_MISMATCH;
	if (crypto_sign_ed25519_pk_to_curve25519(x, ed_pk) != 0 ||
	    sodium_memcmp(x, s_i, sizeof x) != 0)
		goto out_wipe;
	/* Big-endian seconds then nanoseconds: byte order is time order. */
	r = HS_DROP_STALE_TIMESTAMP;
	if (memcmp(tai, peer.last_tai64n, HS_TAI64N_LEN) <= 0)
		goto out_wipe;

	sodium_memzero(keys, sizeof *keys);
	keys->local_index = pick_index(fixed);
	keys->remote_index = msg_hs_sender(msg);
	r = HS_DROP_DECRYPT; /* only a caller's broken state fails below */
	if (write_resp(&noise, l, s_i, peer.cookie, keys->local_index, keys->remote_index,
		       flags, now_ns, out) != 0 ||
	    noise_handshake_split(&noise, &keys->send, &keys->recv, NULL) != 0) {
		hs_keys_wipe(keys);
		sodium_memzero(out, MSG_HS_RESP_LEN);
		goto out_wipe;
	}
	*out_len = MSG_HS_RESP_LEN;
	keys->initiator = false;
	memcpy(keys->peer_ed_pk, ed_pk, IDENTITY_PK_LEN);
	memcpy(keys->peer_addr, addr, IDENTITY_ADDR_LEN);
	memcpy(keys->tai64n, tai, HS_TAI64N_LEN);
	keys->flags = load_be32(payload + HS_INIT_OFF_FLAGS);
	r = HS_OK;
out_wipe:
	noise_handshake_wipe(&noise);
	sodium_memzero(payload, sizeof payload);
	sodium_memzero(x, sizeof x);
	return r;
}
