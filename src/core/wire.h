/*
 * Wire protocol v1: every on-wire size, the key schedule, header codec,
 * seal/open, header obfuscation and the receive-session state machine.
 * No sockets, no peer table: callers pass buffers and get a verdict, so unit
 * tests and the conformance tool drive exactly the code the daemon runs.
 *
 * Header (20 bytes): version u8 | flags u8 | key_id u16 LE | epoch u64 LE |
 * seq u64 LE, followed by the ChaCha20-Poly1305 ciphertext and 16-byte tag.
 * The KDF inputs (ids, epoch) are big-endian; the header fields little-endian.
 */
#ifndef SUBNETRA_WIRE_H
#define SUBNETRA_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/replay.h"

enum {
	WIRE_VERSION = 1,
	WIRE_HEADER_LEN = 20,
	WIRE_TAG_LEN = 16,
	WIRE_KEY_LEN = 32,
	WIRE_PSK_LEN = 32,
	WIRE_MAX_PLAINTEXT = 1452,
	WIRE_MAX_DATAGRAM = WIRE_HEADER_LEN + WIRE_MAX_PLAINTEXT + WIRE_TAG_LEN,
	WIRE_MIN_DATAGRAM = WIRE_HEADER_LEN + WIRE_TAG_LEN,
	WIRE_OUTER_IPV4_UDP = 28,
	WIRE_OVERHEAD = WIRE_HEADER_LEN + WIRE_TAG_LEN + WIRE_OUTER_IPV4_UDP,
	WIRE_FLAG_KEEPALIVE = 0x01,
	WIRE_FLAGS_RESERVED = 0xfe,
};

_Static_assert(WIRE_MAX_DATAGRAM == 1488, "v1 max datagram is 1488 bytes");
_Static_assert(WIRE_MIN_DATAGRAM == 36, "keepalive is 36 bytes");
_Static_assert(WIRE_OVERHEAD == 64, "tunnel overhead is 64 bytes");

/* 2024-01-01T00:00:00Z in ns: no sender may use a lower boot epoch. */
#define WIRE_MIN_EPOCH UINT64_C(1704067200000000000)

typedef uint8_t wire_key[WIRE_KEY_LEN];

struct wire_header {
	uint8_t version;
	uint8_t flags;
	uint16_t key_id;
	uint64_t epoch;
	uint64_t seq;
};

/* BLAKE2b-256(key=psk, "subnetra-v1-link" || u32be(from) || u32be(to)) */
void wire_link_key(wire_key out, const uint8_t psk[WIRE_PSK_LEN], uint32_t from_id,
		   uint32_t to_id);
/* BLAKE2b-256(key=link_key, "subnetra-v1-session" || u64be(epoch)) */
void wire_session_key(wire_key out, const wire_key link_key, uint64_t epoch);

void wire_header_encode(uint8_t out[WIRE_HEADER_LEN], const struct wire_header *h);
void wire_header_decode(struct wire_header *h, const uint8_t in[WIRE_HEADER_LEN]);

/*
 * Seal in place.  buf holds the plaintext at buf + WIRE_HEADER_LEN (pt_len
 * bytes, pt_len <= WIRE_MAX_PLAINTEXT) and must have room for the tag after
 * it.  Writes the header (flags = KEEPALIVE iff pt_len == 0) and the tag.
 * Returns the datagram length.
 */
size_t wire_seal(uint8_t *buf, size_t pt_len, const wire_key session_key, uint16_t key_id,
		 uint64_t epoch, uint64_t seq);

/*
 * Header obfuscation: XOR the first 20 bytes with
 * BLAKE2b-256(key=link_key, "subnetra-v1-obfs" || last 16 bytes)[0:20].
 * Symmetric (the tag is not masked).  len >= WIRE_MIN_DATAGRAM.
 */
void wire_obfs_apply(uint8_t *dgram, size_t len, const wire_key link_key);
/*
 * Receiver-side trial: compute the unmasked header of dgram with link_key into
 * out (dgram untouched) and return true iff it has version 1 and key_id ==
 * expect_key_id.  The caller then unmasks with wire_obfs_unmask.
 */
bool wire_obfs_trial(const uint8_t *dgram, size_t len, const wire_key link_key,
		     uint16_t expect_key_id, uint8_t out_header[WIRE_HEADER_LEN]);
/*
 * Unmask dgram in place with the header a successful wire_obfs_trial
 * computed: the same bytes wire_obfs_apply with that link key would give
 * (the pad depends only on the unmasked tag), without a second BLAKE2b.
 */
void wire_obfs_unmask(uint8_t *dgram, const uint8_t header[WIRE_HEADER_LEN]);

/* One directed receive session (peer -> us). */
struct wire_rx_session {
	uint64_t cur_epoch; /* 0 = nothing received yet */
	bool have_key;
	wire_key session_key; /* key for cur_epoch */
	struct replay_window window;
};

enum wire_rx_verdict {
	WIRE_RX_DATA,      /* authenticated data packet, plaintext in place */
	WIRE_RX_KEEPALIVE, /* authenticated keepalive, no inner packet */
	WIRE_RX_INVALID,   /* runt, bad header, zero/stale epoch, AEAD failure, replay */
};

/*
 * Header validation without crypto: length >= 36, version 1, no reserved
 * flag bit, epoch != 0, a KEEPALIVE exactly 36 bytes long.  Fills *h.
 * Over-long datagrams are the caller's concern (it counts them as oversized
 * before calling).
 */
bool wire_header_check(const uint8_t *dgram, size_t len, struct wire_header *h);

/*
 * Steps 3-6 of the receiver order for a datagram whose header passed
 * wire_header_check and whose key_id selected this session's link:
 * epoch < cur -> invalid before crypto; derive (or reuse) the session key;
 * AEAD open in place (failure changes nothing); commit a newer epoch and
 * reset the window; anti-replay.  On DATA, the plaintext is at
 * dgram + WIRE_HEADER_LEN and *pt_len is its length.
 */
enum wire_rx_verdict wire_rx_open(struct wire_rx_session *s, const wire_key link_key,
				  const struct wire_header *h, uint8_t *dgram, size_t len,
				  size_t *pt_len);

/*
 * wire_rx_open split for a session shared between threads, so that the
 * caller's lock covers only the bookkeeping, never the crypto:
 *
 *   lock;   k = wire_rx_begin(s, h, key);   unlock      step 3, key lookup
 *   STALE -> drop;  DERIVE -> wire_session_key(key, link_key, h->epoch)
 *   wire_rx_decrypt(key, h, dgram, len)  (false -> drop)   step 4, no lock
 *   lock;   v = wire_rx_commit(s, key, h, len, &pt_len);   unlock   steps 5-6
 *
 * The commit checks the epoch again (another thread may have moved the
 * session on meanwhile), so the verdicts equal wire_rx_open's for any
 * interleaving.  The caller wipes key afterwards.
 */
enum wire_rx_key {
	WIRE_RX_KEY_STALE,  /* epoch older than the session's: drop before crypto */
	WIRE_RX_KEY_CACHED, /* key_out holds the session key */
	WIRE_RX_KEY_DERIVE, /* new epoch or no cached key: derive it */
};
enum wire_rx_key wire_rx_begin(const struct wire_rx_session *s, const struct wire_header *h,
			       wire_key key_out);
bool wire_rx_decrypt(const wire_key key, const struct wire_header *h, uint8_t *dgram,
		     size_t len);
enum wire_rx_verdict wire_rx_commit(struct wire_rx_session *s, const wire_key key,
				    const struct wire_header *h, size_t len, size_t *pt_len);

/*
 * Is h, just accepted by s, the newest datagram of the session (its epoch,
 * and no higher seq accepted)?  Only the newest may move the peer's endpoint:
 * an older one that arrives or is processed late must not move it back.
 */
static inline bool wire_rx_is_newest(const struct wire_rx_session *s,
				     const struct wire_header *h)
{
	return h->epoch == s->cur_epoch && h->seq == s->window.highest;
}

/* Wipe a session's key material. */
void wire_rx_session_wipe(struct wire_rx_session *s);

#endif
