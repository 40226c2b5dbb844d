/*
 * Peer control messages and the DATA plaintext dispatcher.
 *
 * What two nodes say to each other inside their Noise session about the
 * paths between them (research/mesh-design.md §3.4): PATH_PING (a probe,
 * padded with zeros to probe the path MTU), PATH_PONG (the answer, echoing
 * the txid and telling the pinger which source it appeared to have) and
 * CALL_ME_MAYBE (the sender's candidates: "probe me now").  The
 * byte-for-byte text is docs/mesh-protocol.md.
 *
 * Every message starts with type u8, arg u8 (CALL_ME_MAYBE's count; zero
 * otherwise), 2 reserved bytes (zero), like the base control messages.
 *
 * Canonical: an accepted message encodes back to exactly its bytes.
 * Pure: no I/O, no clock, no randomness (the caller draws the txid).
 */
#ifndef SUBNETRA_CORE_MESH_PATHCTL_H
#define SUBNETRA_CORE_MESH_PATHCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/er.h"
#include "core/mesh/msg.h"

enum pathctl_type {
	PATHCTL_PING = 0x01,
	PATHCTL_PONG = 0x02,
	PATHCTL_CALL_ME_MAYBE = 0x03,
};

enum {
	PATHCTL_HEADER_LEN = 4,
	PATHCTL_TXID_LEN = 12,
	/* PATH_PING: header, txid, then zero padding up to the size asked for. */
	PATHCTL_PING_MIN_LEN = PATHCTL_HEADER_LEN + PATHCTL_TXID_LEN,
	PATHCTL_PING_MAX_LEN = MSG_DATA_MAX_PLAINTEXT,
	PATHCTL_PONG_LEN = PATHCTL_HEADER_LEN + PATHCTL_TXID_LEN + EP18_LEN,
	PATHCTL_CMM_MAX = ER_MAX_ENDPOINTS,
	PATHCTL_CMM_MAX_LEN = PATHCTL_HEADER_LEN + PATHCTL_CMM_MAX * EP18_LEN,
};

_Static_assert(PATHCTL_PING_MIN_LEN == 16 && PATHCTL_PONG_LEN == 34 &&
		   PATHCTL_CMM_MAX_LEN == 292,
	       "peer control sizes (docs/mesh-protocol.md)");

struct pathctl {
	enum pathctl_type type;
	uint8_t txid[PATHCTL_TXID_LEN]; /* PING, PONG */
	uint16_t size;			/* PING: the whole message, padding included */
	struct ep18 observed;		/* PONG */
	uint8_t n;			/* CALL_ME_MAYBE */
	struct ep18 ep[PATHCTL_CMM_MAX];
};

#define PATHCTL_REASONS(X)                                                               \
	X(TOO_SHORT, too_short)		/* under the 4-byte header */                    \
	X(UNKNOWN_TYPE, unknown_type)	/* not 0x01-0x03 */                              \
	X(BAD_RESERVED, bad_reserved)	/* a reserved byte (or an unused arg) is set */  \
	X(BAD_LENGTH, bad_length)	/* not the exact length of the type (or count) */\
	X(BAD_PADDING, bad_padding)	/* PATH_PING padding not all zero */             \
	X(BAD_COUNT, bad_count)		/* CALL_ME_MAYBE n > 16 */                       \
	X(BAD_ENDPOINT, bad_endpoint)	/* not a candidate / not an observed source */  \
	X(DUPLICATE_ENDPOINT, duplicate_endpoint) /* the same EP18 twice */             \
	X(NO_SPACE, no_space)		/* encoding: the output buffer is too small */

enum pathctl_result {
	PATHCTL_OK = 0,
#define PATHCTL_ENUM(up, low) PATHCTL_##up,
	PATHCTL_REASONS(PATHCTL_ENUM)
#undef PATHCTL_ENUM
	    PATHCTL_RESULT_END,
};

const char *pathctl_result_name(enum pathctl_result r);

/* m is zeroed first and holds the message only on PATHCTL_OK. */
enum pathctl_result pathctl_decode(struct pathctl *m, const uint8_t *buf, size_t len);
/* For PING, m->size (16..1500) is the length written. */
enum pathctl_result pathctl_encode(const struct pathctl *m, uint8_t *out, size_t cap,
				   size_t *len);

/*
 * What a decrypted DATA plaintext is, from its length and first byte:
 *
 *   empty                 keepalive
 *   0x40-0x4F             an IPv4 packet      (high nibble 4)
 *   0x60-0x6F             an IPv6 packet      (high nibble 6)
 *   0x01-0x0F             peer control (pathctl_decode)
 *   0x10-0x2F             base control (basectl_decode)
 *   anything else         unknown: drop and count
 *
 * Only the dispatch: the inner packet checks and the decoders come after,
 * and the caller refuses base control on a peer session and the reverse.
 */
#define PLAIN_CLASSES(X)                                                                 \
	X(KEEPALIVE, keepalive)                                                          \
	X(IPV4, ipv4)                                                                    \
	X(IPV6, ipv6)                                                                    \
	X(PEER_CTL, peer_ctl)                                                            \
	X(BASE_CTL, base_ctl)                                                            \
	X(UNKNOWN, unknown)

enum plain_class {
#define PLAIN_ENUM(up, low) PLAIN_##up,
	PLAIN_CLASSES(PLAIN_ENUM)
#undef PLAIN_ENUM
	    PLAIN_CLASS_END,
};

enum plain_class plain_classify(const uint8_t *buf, size_t len);
const char *plain_class_name(enum plain_class c);

#endif
