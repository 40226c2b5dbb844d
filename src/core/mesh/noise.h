/*
 * The Noise core of mesh mode: Noise_IK, Noise_IKpsk1 and Noise_IKpsk2 with
 * 25519, ChaChaPoly and SHA256 (Noise spec revision 34), every primitive a
 * libsodium call.  Pure: no I/O, no clock, no allocation.  Messages go
 * through caller buffers with explicit capacities; the framing around them
 * (types, indexes, mac1/mac2) belongs to the mesh codecs, not here.
 *
 *   IK:      <- s  ...  -> e, es, s, ss        <- e, ee, se
 *   IKpsk1:            -> e, es, s, ss, psk    <- e, ee, se
 *   IKpsk2:            -> e, es, s, ss         <- e, ee, se, psk
 *
 * A caller's sequence (initiator; the responder reads, then writes):
 *   noise_handshake_init(hs, pattern, true, prologue, len, s_priv, rs, psk)
 *   noise_handshake_write(hs, payload, ...)      message 1
 *   noise_handshake_read(hs, msg, ...)           message 2
 *   noise_handshake_split(hs, &send, &recv, h)   transport ciphers; hs wiped
 *   noise_cipher_encrypt(&send, ...), noise_cipher_decrypt(&recv, ...)
 *
 * What must hold:
 *  - sodium_init() has succeeded before any call.
 *  - Return values: 0 or a negative errno.  The caller's mistakes are
 *    found before anything changes, and change nothing: -EINVAL (wrong
 *    state, a missing key or psk, a NULL where a key is required),
 *    -ENOBUFS (an output buffer too small), -EMSGSIZE on writing (a
 *    payload that would make the message longer than NOISE_MAX_MSG).
 *    What the message or the peer's keys cause: -EMSGSIZE on reading (a
 *    message shorter than its tokens or longer than NOISE_MAX_MSG),
 *    -EBADMSG (an AEAD tag did not verify), -EPROTO (a DH result was all
 *    zero: the peer's key is of low order).  -EOVERFLOW: the cipher's
 *    nonce is used up.
 *  - Those failures of the second kind leave the handshake FAILED: every
 *    secret in it is wiped and every later call returns -EINVAL.  A caller
 *    that wants to try another message starts a new handshake.  A failed
 *    read writes no plaintext: the payload buffer is zeroed up to the
 *    payload's length, so no partial plaintext escapes.
 *  - Payloads of handshake messages are readable only once the whole
 *    message has authenticated; for IK every payload is encrypted (the
 *    first token after e is es), so a payload is never sent in clear.
 *  - The responder learns the initiator's static key from message 1
 *    (noise_handshake_remote_static), so with IKpsk2 it can choose the psk
 *    after reading message 1 (noise_handshake_set_psk), before writing
 *    message 2.  With IKpsk1 it needs the psk before reading message 1.
 *  - Everything secret is wiped by noise_handshake_wipe / noise_cipher_wipe
 *    (and by split, which wipes the handshake).  Structs may be copied, but
 *    each copy then needs its own wipe.
 *  - Transport ciphers refuse nonce 2^64-1 (reserved by the spec, §5.1):
 *    after 2^64-1 messages every call returns -EOVERFLOW.
 */
#ifndef SUBNETRA_MESH_NOISE_H
#define SUBNETRA_MESH_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	NOISE_DHLEN = 32,   /* X25519 keys and shared secrets */
	NOISE_HASHLEN = 32, /* SHA-256 */
	NOISE_KEYLEN = 32,  /* ChaCha20-Poly1305 keys */
	NOISE_PSKLEN = 32,
	NOISE_TAGLEN = 16,     /* Poly1305 */
	NOISE_MAX_MSG = 65535, /* spec §3: every Noise message */
	/* IK message 1: e, enc(s), enc(payload); message 2: e, enc(payload). */
	NOISE_IK_MSG1_OVERHEAD = NOISE_DHLEN + NOISE_DHLEN + NOISE_TAGLEN + NOISE_TAGLEN,
	NOISE_IK_MSG2_OVERHEAD = NOISE_DHLEN + NOISE_TAGLEN,
	NOISE_PROTOCOL_NAME_MAX = 40, /* "Noise_IKpsk2_25519_ChaChaPoly_SHA256" + NUL */
};

enum noise_pattern {
	NOISE_IK,
	NOISE_IKPSK1,
	NOISE_IKPSK2,
};

/* A CipherState (spec §5.1): a key (or none) and the next nonce. */
struct noise_cipher {
	uint8_t k[NOISE_KEYLEN];
	uint64_t n;
	bool has_key;
};

/* A SymmetricState (spec §5.2). */
struct noise_symmetric {
	struct noise_cipher cs;
	uint8_t ck[NOISE_HASHLEN];
	uint8_t h[NOISE_HASHLEN];
};

enum noise_hs_state {
	NOISE_HS_EMPTY = 0, /* zeroed or wiped: not initialised */
	NOISE_HS_WRITE,	    /* our turn to write the next message */
	NOISE_HS_READ,	    /* our turn to read */
	NOISE_HS_DONE,	    /* both messages done: split */
	NOISE_HS_FAILED,    /* a message failed: wiped, unusable */
};

/* A HandshakeState (spec §5.3).  Read its fields only through the calls. */
struct noise_handshake {
	struct noise_symmetric sym;
	enum noise_pattern pattern;
	enum noise_hs_state state;
	bool initiator;
	unsigned msg; /* the next message: 0 or 1 */
	bool has_e, has_rs, has_psk;
	uint8_t s_priv[NOISE_DHLEN], s_pub[NOISE_DHLEN];
	uint8_t e_priv[NOISE_DHLEN], e_pub[NOISE_DHLEN];
	uint8_t rs[NOISE_DHLEN], re[NOISE_DHLEN];
	uint8_t psk[NOISE_PSKLEN];
};

/* "Noise_IKpsk2_25519_ChaChaPoly_SHA256" and the like. */
const char *noise_protocol_name(enum noise_pattern p);
/* The pattern of a full protocol name (len bytes, no NUL needed); false if
 * it is not one of the three this module speaks. */
bool noise_pattern_from_name(const char *name, size_t len, enum noise_pattern *out);

/*
 * Start a handshake.  s_priv: our static X25519 private key (required).
 * rs: the responder's static public key, required for the initiator (the
 * IK pre-message), NULL for the responder.  psk: NULL for IK, and for the
 * psk patterns when it is set later with noise_handshake_set_psk.  The
 * prologue (any length, may be empty) must be identical on both sides.
 * -EINVAL for a missing key; any earlier content of hs is overwritten.
 */
int noise_handshake_init(struct noise_handshake *hs, enum noise_pattern p, bool initiator,
			 const uint8_t *prologue, size_t prologue_len,
			 const uint8_t s_priv[NOISE_DHLEN], const uint8_t *rs,
			 const uint8_t *psk);
/* Set the psk before the message that carries the psk token. */
int noise_handshake_set_psk(struct noise_handshake *hs, const uint8_t psk[NOISE_PSKLEN]);
/*
 * Use this ephemeral private key instead of a random one (test vectors
 * only: reusing an ephemeral key breaks the handshake's security).  Before
 * the message that sends our e.
 */
int noise_handshake_set_ephemeral(struct noise_handshake *hs,
				  const uint8_t e_priv[NOISE_DHLEN]);

/*
 * Write the next handshake message with payload into out (capacity
 * out_cap); *out_len gets its length: payload_len + NOISE_IK_MSG1_OVERHEAD
 * or + NOISE_IK_MSG2_OVERHEAD.  payload and out must not overlap.
 */
int noise_handshake_write(struct noise_handshake *hs, const uint8_t *payload,
			  size_t payload_len, uint8_t *out, size_t out_cap,
			  size_t *out_len);
/*
 * Read the next handshake message; its payload goes to payload (capacity
 * payload_cap, which must hold msg_len minus the message's overhead, else
 * -ENOBUFS and nothing changes).  msg and payload must not overlap.
 */
int noise_handshake_read(struct noise_handshake *hs, const uint8_t *msg, size_t msg_len,
			 uint8_t *payload, size_t payload_cap, size_t *payload_len);

bool noise_handshake_done(const struct noise_handshake *hs);
/* The peer's static public key, once known (initiator: from the start;
 * responder: after message 1). */
int noise_handshake_remote_static(const struct noise_handshake *hs,
				  uint8_t out[NOISE_DHLEN]);
/* The handshake hash h so far (spec GetHandshakeHash; final once done). */
int noise_handshake_hash(const struct noise_handshake *hs, uint8_t out[NOISE_HASHLEN]);

/*
 * Once done: our sending and receiving ciphers (spec Split: the initiator
 * sends with the first key, the responder with the second), the final
 * handshake hash when hash is not NULL (for channel binding), and hs is
 * wiped.
 */
int noise_handshake_split(struct noise_handshake *hs, struct noise_cipher *send,
			  struct noise_cipher *recv, uint8_t *hash);

/* Wipe every secret and mark the handshake empty. */
void noise_handshake_wipe(struct noise_handshake *hs);

/*
 * Transport (spec EncryptWithAd / DecryptWithAd on a split cipher): out
 * receives pt_len + NOISE_TAGLEN bytes (ct_len - NOISE_TAGLEN); out may be
 * the same buffer as the input (in place), never a partial overlap.  Each
 * call uses the cipher's nonce n and increments it; a failed decryption
 * leaves n as it was.  A cipher without a key refuses (-EINVAL): it never
 * passes plaintext through.
 */
int noise_cipher_encrypt(struct noise_cipher *c, const uint8_t *ad, size_t ad_len,
			 const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap,
			 size_t *out_len);
int noise_cipher_decrypt(struct noise_cipher *c, const uint8_t *ad, size_t ad_len,
			 const uint8_t *ct, size_t ct_len, uint8_t *out, size_t out_cap,
			 size_t *out_len);
/*
 * The same with an explicit nonce, for datagram transports where the
 * counter travels with the message and messages arrive out of order (spec
 * §11.4): the cipher's own n is neither used nor changed, and the caller's
 * replay window decides which nonces are fresh.  n = 2^64-1 is refused.
 */
int noise_cipher_encrypt_at(const struct noise_cipher *c, uint64_t n, const uint8_t *ad,
			    size_t ad_len, const uint8_t *pt, size_t pt_len, uint8_t *out,
			    size_t out_cap, size_t *out_len);
int noise_cipher_decrypt_at(const struct noise_cipher *c, uint64_t n, const uint8_t *ad,
			    size_t ad_len, const uint8_t *ct, size_t ct_len, uint8_t *out,
			    size_t out_cap, size_t *out_len);
/* Spec SetNonce. */
void noise_cipher_set_nonce(struct noise_cipher *c, uint64_t n);
void noise_cipher_wipe(struct noise_cipher *c);

#endif
