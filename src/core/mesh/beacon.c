/*
 * LAN beacons and their replay guard (see beacon.h).
 *
 * The parser checks cheapest first: layout, fields, the key filter (one
 * SHA-256), the guard (a scan of 128 slots), and only then the signature
 * (about 55 µs).  The guard is read before the signature and written after
 * it, as the replay window is around the AEAD (docs/mesh-protocol.md §3):
 * a forged beacon can neither pass nor move the guard.
 */
#include "core/mesh/beacon.h"

#include <string.h>

#include "core/bytes/byteorder.h"
#include "core/mesh/er.h"
#include "core/mesh/name.h"

static const char *const names[BEACON_RESULT_END] = {
    [BEACON_OK] = "ok",
#define BEACON_NAME(up, low) [BEACON_##up] = #low,
    BEACON_REASONS(BEACON_NAME)
#undef BEACON_NAME
};

const char *beacon_result_name(enum beacon_result r)
{
	return (unsigned)r < BEACON_RESULT_END ? names[r] : "?";
}

/* ---- replay guard -------------------------------------------------------- */

void beacon_guard_init(struct beacon_guard *g)
{
	memset(g, 0, sizeof(*g));
}

static int guard_find(const struct beacon_guard *g, const uint8_t pk[IDENTITY_PK_LEN])
{
	for (int i = 0; i < BEACON_GUARD_SLOTS; i++)
		if (g->slot[i].seq != 0 && memcmp(g->slot[i].pk, pk, IDENTITY_PK_LEN) == 0)
			return i;
	return -1;
}

bool beacon_guard_fresh(const struct beacon_guard *g, const uint8_t pk[IDENTITY_PK_LEN],
			uint64_t seq)
{
	int i = guard_find(g, pk);

	return er_seq_fresher(seq, i < 0 ? 0 : g->slot[i].seq);
}

void beacon_guard_commit(struct beacon_guard *g, const uint8_t pk[IDENTITY_PK_LEN],
			 uint64_t seq)
{
	int i = guard_find(g, pk);

	if (i < 0) {
		/* The first free slot, else the one accepted least recently. */
		i = 0;
		for (int j = 0; j < BEACON_GUARD_SLOTS; j++) {
			if (g->slot[j].seq == 0) {
				i = j;
				break;
			}
			if (g->slot[j].used < g->slot[i].used)
				i = j;
		}
		memcpy(g->slot[i].pk, pk, IDENTITY_PK_LEN);
		g->slot[i].seq = 0;
	}
	if (seq > g->slot[i].seq)
		g->slot[i].seq = seq;
	g->slot[i].used = ++g->clock;
}

/* ---- the beacon ------------------------------------------------------------ */

static enum beacon_result check_fields(const struct beacon *b)
{
	if (b->flags & ~BEACON_FLAGS_KNOWN)
		return BEACON_BAD_FLAGS;
	if (b->name_len > BEACON_NAME_MAX)
		return BEACON_BAD_NAME_LEN;
	if (b->port == 0)
		return BEACON_BAD_PORT;
	if (b->seq == 0)
		return BEACON_BAD_SEQ;
	if (b->name_len > 0 && !mesh_name_valid(b->name, b->name_len))
		return BEACON_BAD_NAME;
	return BEACON_OK;
}

static size_t put_body(const struct beacon *b, uint8_t *out)
{
	memcpy(out, BEACON_MAGIC, BEACON_MAGIC_LEN);
	out[BEACON_OFF_VERSION] = BEACON_VERSION;
	out[BEACON_OFF_FLAGS] = b->flags;
	out[BEACON_OFF_NAME_LEN] = b->name_len;
	store_be16(out + BEACON_OFF_PORT, b->port);
	memcpy(out + BEACON_OFF_PK, b->ed_pk, IDENTITY_PK_LEN);
	store_be64(out + BEACON_OFF_SEQ, b->seq);
	memcpy(out + BEACON_OFF_NAME, b->name, b->name_len);
	return BEACON_OFF_NAME + (size_t)b->name_len;
}

enum beacon_result beacon_encode(const struct beacon *b, uint8_t *out, size_t cap,
				 size_t *len)
{
	enum beacon_result r = check_fields(b);
	size_t body;

	if (r != BEACON_OK)
		return r;
	if (cap < BEACON_MIN_LEN + (size_t)b->name_len)
		return BEACON_NO_SPACE;
	body = put_body(b, out);
	memcpy(out + body, b->sig, IDENTITY_SIG_LEN);
	*len = body + IDENTITY_SIG_LEN;
	return BEACON_OK;
}

enum beacon_result beacon_sign(struct beacon *b, const struct identity *id, uint8_t *out,
			       size_t cap, size_t *len)
{
	/* Encode (checks and all) with the old key and signature, then sign. */
	enum beacon_result r = beacon_encode(b, out, cap, len);

	if (r != BEACON_OK)
		return r;
	memcpy(b->ed_pk, id->pk, IDENTITY_PK_LEN);
	memcpy(out + BEACON_OFF_PK, id->pk, IDENTITY_PK_LEN);
	b->name[b->name_len] = '\0';
	/* Cannot fail: fixed domain, at most 111 bytes signed. */
	if (identity_sign(id, BEACON_SIGN_DOMAIN, out, *len - IDENTITY_SIG_LEN, b->sig) != 0)
		return BEACON_NO_SPACE;
	memcpy(out + *len - IDENTITY_SIG_LEN, b->sig, IDENTITY_SIG_LEN);
	return BEACON_OK;
}

static enum beacon_result parse(struct beacon *b, const uint8_t *buf, size_t len,
				const struct beacon_guard *g)
{
	enum beacon_result r;

	if (len < BEACON_MIN_LEN)
		return BEACON_TOO_SHORT;
	if (memcmp(buf, BEACON_MAGIC, BEACON_MAGIC_LEN) != 0)
		return BEACON_BAD_MAGIC;
	if (buf[BEACON_OFF_VERSION] != BEACON_VERSION)
		return BEACON_BAD_VERSION;
	b->flags = buf[BEACON_OFF_FLAGS];
	if (b->flags & ~BEACON_FLAGS_KNOWN)
		return BEACON_BAD_FLAGS;
	b->name_len = buf[BEACON_OFF_NAME_LEN];
	if (b->name_len > BEACON_NAME_MAX)
		return BEACON_BAD_NAME_LEN;
	if (len != BEACON_MIN_LEN + (size_t)b->name_len)
		return BEACON_BAD_LENGTH;
	b->port = load_be16(buf + BEACON_OFF_PORT);
	memcpy(b->ed_pk, buf + BEACON_OFF_PK, IDENTITY_PK_LEN);
	b->seq = load_be64(buf + BEACON_OFF_SEQ);
	memcpy(b->name, buf + BEACON_OFF_NAME, b->name_len);
	b->name[b->name_len] = '\0';
	memcpy(b->sig, buf + len - IDENTITY_SIG_LEN, IDENTITY_SIG_LEN);
	r = check_fields(b);
	if (r != BEACON_OK)
		return r;
	if (!identity_pk_acceptable(b->ed_pk))
		return BEACON_BAD_KEY;
	if (g != NULL && !beacon_guard_fresh(g, b->ed_pk, b->seq))
		return BEACON_REPLAYED;
	if (!identity_verify(b->ed_pk, BEACON_SIGN_DOMAIN, buf, len - IDENTITY_SIG_LEN,
			     b->sig))
		return BEACON_BAD_SIGNATURE;
	return BEACON_OK;
}

enum beacon_result beacon_parse(struct beacon *b, const uint8_t *buf, size_t len,
				struct beacon_guard *g)
{
	enum beacon_result r = parse(b, buf, len, g);

	if (r != BEACON_OK)
		memset(b, 0, sizeof(*b));
	else if (g != NULL)
		beacon_guard_commit(g, b->ed_pk, b->seq);
	return r;
}
