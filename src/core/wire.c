/*
 * Wire protocol v1 codec (see wire.h): key schedule, header codec, seal/open,
 * header obfuscation and the receive-session state machine.  No I/O and no
 * allocation; every buffer belongs to the caller.
 *
 * Receive order (security-critical, do not reorder):
 *   1. the caller selects the link by key_id (or by obfuscation trial);
 *   2. wire_header_check: length, version, reserved flags, epoch != 0.  The
 *      header is outside the AEAD, so these are explicit checks;
 *   3. epoch < cur_epoch is dropped before any crypto, so replayed traffic of
 *      a retired session costs no KDF or MAC work;
 *   4. the AEAD is verified before anything is written: a forged datagram
 *      leaves both the session and the buffer untouched;
 *   5. only an authenticated newer epoch is committed (cur_epoch, cached key,
 *      window reset).  Committing earlier would let anyone who can send one
 *      UDP packet with a huge epoch lock the link out for good;
 *   6. anti-replay is checked and recorded last, for the same reason: an
 *      unauthenticated seq must never slide the window.
 * The caller then checks the inner source and only after that learns the
 * sender's endpoint.
 *
 * Endianness: header fields are little-endian, KDF inputs big-endian.  Both
 * are written byte by byte (byteorder.h); no buffer is ever cast to a struct.
 */
#include "core/wire.h"

#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "core/aead.h"
#include "core/bytes/byteorder.h"

static const char LINK_LABEL[] = "subnetra-v1-link";
static const char SESSION_LABEL[] = "subnetra-v1-session";
static const char OBFS_LABEL[] = "subnetra-v1-obfs";

enum {
	LINK_LABEL_LEN = sizeof(LINK_LABEL) - 1,
	SESSION_LABEL_LEN = sizeof(SESSION_LABEL) - 1,
	OBFS_LABEL_LEN = sizeof(OBFS_LABEL) - 1,
	NONCE_LEN = crypto_aead_chacha20poly1305_ietf_NPUBBYTES,
	HASH_LEN = crypto_generichash_blake2b_BYTES, /* 32: BLAKE2b-256 */
};

_Static_assert(LINK_LABEL_LEN == 16, "link label is 16 bytes, no NUL");
_Static_assert(SESSION_LABEL_LEN == 19, "session label is 19 bytes, no NUL");
_Static_assert(OBFS_LABEL_LEN == 16, "obfs label is 16 bytes, no NUL");
_Static_assert(NONCE_LEN == 12, "IETF ChaCha20-Poly1305 nonce");
_Static_assert(WIRE_TAG_LEN == crypto_aead_chacha20poly1305_ietf_ABYTES, "tag size");
_Static_assert(WIRE_KEY_LEN == crypto_aead_chacha20poly1305_ietf_KEYBYTES, "key size");
_Static_assert((int)HASH_LEN == (int)WIRE_KEY_LEN, "KDF output is one key");
_Static_assert(WIRE_PSK_LEN >= crypto_generichash_blake2b_KEYBYTES_MIN &&
		   WIRE_PSK_LEN <= crypto_generichash_blake2b_KEYBYTES_MAX,
	       "PSK usable as a BLAKE2b key");
_Static_assert((int)HASH_LEN >= (int)WIRE_HEADER_LEN,
	       "obfuscation pad covers the header");

static void make_nonce(uint8_t nonce[NONCE_LEN], uint64_t seq)
{
	store_le64(nonce, seq);
	memset(nonce + 8, 0, NONCE_LEN - 8);
}

/* BLAKE2b-256 in keyed mode with a 32-byte key; cannot fail for these sizes. */
static void keyed_hash(uint8_t out[HASH_LEN], const uint8_t key[WIRE_KEY_LEN],
		       const uint8_t *msg, size_t msg_len)
{
	int rc =
	    crypto_generichash_blake2b(out, HASH_LEN, msg, msg_len, key, WIRE_KEY_LEN);

	assert(rc == 0);
	(void)rc;
}

void wire_link_key(wire_key out, const uint8_t psk[WIRE_PSK_LEN], uint32_t from_id,
		   uint32_t to_id)
{
	uint8_t msg[LINK_LABEL_LEN + 4 + 4];

	memcpy(msg, LINK_LABEL, LINK_LABEL_LEN);
	store_be32(msg + LINK_LABEL_LEN, from_id);
	store_be32(msg + LINK_LABEL_LEN + 4, to_id);
	keyed_hash(out, psk, msg, sizeof msg);
}

void wire_session_key(wire_key out, const wire_key link_key, uint64_t epoch)
{
	uint8_t msg[SESSION_LABEL_LEN + 8];

	memcpy(msg, SESSION_LABEL, SESSION_LABEL_LEN);
	store_be64(msg + SESSION_LABEL_LEN, epoch);
	keyed_hash(out, link_key, msg, sizeof msg);
}

void wire_header_encode(uint8_t out[WIRE_HEADER_LEN], const struct wire_header *h)
{
	out[0] = h->version;
	out[1] = h->flags;
	store_le16(out + 2, h->key_id);
	store_le64(out + 4, h->epoch);
	store_le64(out + 12, h->seq);
}

void wire_header_decode(struct wire_header *h, const uint8_t in[WIRE_HEADER_LEN])
{
	h->version = in[0];
	h->flags = in[1];
	h->key_id = load_le16(in + 2);
	h->epoch = load_le64(in + 4);
	h->seq = load_le64(in + 12);
}

size_t wire_seal(uint8_t *buf, size_t pt_len, const wire_key session_key, uint16_t key_id,
		 uint64_t epoch, uint64_t seq)
{
	struct wire_header h = {
	    .version = WIRE_VERSION,
	    .flags = pt_len == 0 ? WIRE_FLAG_KEEPALIVE : 0,
	    .key_id = key_id,
	    .epoch = epoch,
	    .seq = seq,
	};
	uint8_t nonce[NONCE_LEN];
	uint8_t *body = buf + WIRE_HEADER_LEN;

	assert(pt_len <= WIRE_MAX_PLAINTEXT);
	wire_header_encode(buf, &h);
	make_nonce(nonce, seq);
	aead_seal(body, pt_len, body + pt_len, nonce, session_key);
	return WIRE_HEADER_LEN + pt_len + WIRE_TAG_LEN;
}

/* pad = BLAKE2b-256(key=link_key, "subnetra-v1-obfs" || last 16 bytes)[0:20] */
static void obfs_pad(uint8_t pad[HASH_LEN], const uint8_t *dgram, size_t len,
		     const wire_key link_key)
{
	uint8_t msg[OBFS_LABEL_LEN + WIRE_TAG_LEN];

	memcpy(msg, OBFS_LABEL, OBFS_LABEL_LEN);
	memcpy(msg + OBFS_LABEL_LEN, dgram + len - WIRE_TAG_LEN, WIRE_TAG_LEN);
	keyed_hash(pad, link_key, msg, sizeof msg);
}

void wire_obfs_apply(uint8_t *dgram, size_t len, const wire_key link_key)
{
	uint8_t pad[HASH_LEN];

	assert(len >= WIRE_MIN_DATAGRAM);
	obfs_pad(pad, dgram, len, link_key);
	for (size_t i = 0; i < WIRE_HEADER_LEN; i++)
		dgram[i] ^= pad[i];
	sodium_memzero(pad, sizeof pad);
}

bool wire_obfs_trial(const uint8_t *dgram, size_t len, const wire_key link_key,
		     uint16_t expect_key_id, uint8_t out_header[WIRE_HEADER_LEN])
{
	uint8_t pad[HASH_LEN];

	/* Called on raw network input, so a runt is a miss, not a bug. */
	if (len < WIRE_MIN_DATAGRAM)
		return false;
	obfs_pad(pad, dgram, len, link_key);
	for (size_t i = 0; i < WIRE_HEADER_LEN; i++)
		out_header[i] = dgram[i] ^ pad[i];
	sodium_memzero(pad, sizeof pad);
	return out_header[0] == WIRE_VERSION &&
	       load_le16(out_header + 2) == expect_key_id;
}

void wire_obfs_unmask(uint8_t *dgram, const uint8_t header[WIRE_HEADER_LEN])
{
	/* header = masked header ^ pad, computed by the trial over this dgram. */
	memcpy(dgram, header, WIRE_HEADER_LEN);
}

bool wire_header_check(const uint8_t *dgram, size_t len, struct wire_header *h)
{
	if (len < WIRE_MIN_DATAGRAM)
		return false;
	wire_header_decode(h, dgram);
	/*
	 * epoch == 0 is the only epoch refused here: a sender's lower bound
	 * (WIRE_MIN_EPOCH) is its own start-up rule, and older epochs are
	 * dropped by the forward-only rule in wire_rx_open.
	 *
	 * A keepalive has an empty body.  The flags byte is outside the AEAD,
	 * so an on-path attacker could set KEEPALIVE on a data datagram: it
	 * would still authenticate, and then consume its sequence number,
	 * refresh last-seen and the endpoint, and skip the inner-source check.
	 * Refusing the combination here drops it before any state changes.
	 */
	return h->version == WIRE_VERSION && (h->flags & WIRE_FLAGS_RESERVED) == 0 &&
	       h->epoch != 0 && (!(h->flags & WIRE_FLAG_KEEPALIVE) || len == WIRE_MIN_DATAGRAM);
}

/*
 * One AEAD call, in place.  On a bad tag the backend may have overwritten
 * the buffer (libsodium zeroes it): that is the ciphertext of a datagram we
 * are about to drop anyway; what must not change on failure is the session,
 * and nothing here touches it.
 */
static bool aead_open_in_place(uint8_t *body, size_t ct_len,
			       const uint8_t tag[WIRE_TAG_LEN], uint64_t seq,
			       const uint8_t key[WIRE_KEY_LEN])
{
	uint8_t nonce[NONCE_LEN];

	make_nonce(nonce, seq);
	return aead_open(body, ct_len, tag, nonce, key);
}

/*
 * Steps 5-6 for a datagram that authenticated under key (the session key of
 * h->epoch): commit a newer epoch and the key, then anti-replay.  The epoch
 * is compared again because a split open (wire_rx_begin/commit) drops the
 * session's lock for the AEAD.
 */
static enum wire_rx_verdict rx_commit(struct wire_rx_session *s, const uint8_t *key,
				      const struct wire_header *h, size_t ct_len,
				      size_t *pt_len)
{
	if (h->epoch < s->cur_epoch)
		return WIRE_RX_INVALID;
	/* Step 5: an authenticated newer epoch supersedes the old session. */
	if (h->epoch > s->cur_epoch) {
		s->cur_epoch = h->epoch;
		replay_reset(&s->window);
		s->have_key = false;
	}
	if (!s->have_key) {
		/* Also covers epoch == cur without a cached key (fresh or wiped). */
		memcpy(s->session_key, key, WIRE_KEY_LEN);
		s->have_key = true;
	}

	/* Step 6: anti-replay, recorded only for authenticated datagrams. */
	if (!replay_check(&s->window, h->seq))
		return WIRE_RX_INVALID;
	replay_commit(&s->window, h->seq);

	/* wire_header_check refused a KEEPALIVE with a body. */
	if (h->flags & WIRE_FLAG_KEEPALIVE)
		return WIRE_RX_KEEPALIVE;
	*pt_len = ct_len;
	return WIRE_RX_DATA;
}

enum wire_rx_verdict wire_rx_open(struct wire_rx_session *s, const wire_key link_key,
				  const struct wire_header *h, uint8_t *dgram, size_t len,
				  size_t *pt_len)
{
	enum wire_rx_verdict verdict = WIRE_RX_INVALID;
	wire_key candidate;
	const uint8_t *key;
	size_t ct_len;

	*pt_len = 0;
	/* The caller already did this; kept so a misuse cannot read out of bounds. */
	if (len < WIRE_MIN_DATAGRAM || len > WIRE_MAX_DATAGRAM)
		return WIRE_RX_INVALID;
	/* Step 3: forward-only epochs, before any crypto work. */
	if (h->epoch < s->cur_epoch)
		return WIRE_RX_INVALID;
	if (h->epoch == s->cur_epoch && s->have_key) {
		key = s->session_key;
	} else {
		/* Not committed until the datagram authenticates. */
		wire_session_key(candidate, link_key, h->epoch);
		key = candidate;
	}

	/* Step 4: authenticate, then decrypt in place. */
	ct_len = len - WIRE_MIN_DATAGRAM;
	if (aead_open_in_place(dgram + WIRE_HEADER_LEN, ct_len,
			       dgram + WIRE_HEADER_LEN + ct_len, h->seq, key))
		verdict = rx_commit(s, key, h, ct_len, pt_len);
	sodium_memzero(candidate, sizeof candidate);
	return verdict;
}

enum wire_rx_key wire_rx_begin(const struct wire_rx_session *s, const struct wire_header *h,
			       wire_key key_out)
{
	if (h->epoch < s->cur_epoch)
		return WIRE_RX_KEY_STALE;
	if (h->epoch == s->cur_epoch && s->have_key) {
		memcpy(key_out, s->session_key, WIRE_KEY_LEN);
		return WIRE_RX_KEY_CACHED;
	}
	return WIRE_RX_KEY_DERIVE;
}

bool wire_rx_decrypt(const wire_key key, const struct wire_header *h, uint8_t *dgram,
		     size_t len)
{
	size_t ct_len;

	if (len < WIRE_MIN_DATAGRAM || len > WIRE_MAX_DATAGRAM)
		return false;
	ct_len = len - WIRE_MIN_DATAGRAM;
	return aead_open_in_place(dgram + WIRE_HEADER_LEN, ct_len,
				  dgram + WIRE_HEADER_LEN + ct_len, h->seq, key);
}

enum wire_rx_verdict wire_rx_commit(struct wire_rx_session *s, const wire_key key,
				    const struct wire_header *h, size_t len, size_t *pt_len)
{
	*pt_len = 0;
	if (len < WIRE_MIN_DATAGRAM || len > WIRE_MAX_DATAGRAM)
		return WIRE_RX_INVALID;
	return rx_commit(s, key, h, len - WIRE_MIN_DATAGRAM, pt_len);
}

void wire_rx_session_wipe(struct wire_rx_session *s)
{
	/*
	 * Only the key goes.  cur_epoch and the window stay, so a wiped
	 * session still refuses older epochs and replays; the key is derived
	 * again from the next authenticated datagram of cur_epoch.  Callers
	 * tearing a peer down wipe the whole enclosing struct.
	 */
	sodium_memzero(s->session_key, sizeof s->session_key);
	s->have_key = false;
}
