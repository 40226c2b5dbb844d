/*
 * Base control messages: what a node and a base say to each other inside
 * their Noise session (DATA plaintext whose first byte is 0x10-0x2F).  The
 * design is research/mesh-design.md §2.3; the byte-for-byte text is
 * docs/mesh-protocol.md.
 *
 * Every message starts with the same 4 bytes: type u8, arg u8 (flags,
 * status, reason or code, depending on the type; zero where the type has
 * none), 2 reserved bytes (zero).  Then a body of one exact length (ALLOW
 * and PEER_INFO: the exact length their counts give).  Every integer is
 * big-endian.
 *
 *   node -> base: 0x10 REGISTER, 0x11 LOOKUP, 0x12 PING, 0x13 UNSUBSCRIBE,
 *                 0x14 ALLOW
 *   base -> node: 0x20 REGISTER_OK, 0x21 PEER_INFO, 0x23 PONG, 0x24 NOTICE
 *
 * The decoder decodes either direction; the caller refuses a message that
 * came the wrong way (basectl_from_base).  An embedded ER is parsed and
 * verified through er.h: in PEER_INFO its key must give the address the
 * message names; in REGISTER the caller (the base) must check that the
 * ER's key is the session's.
 *
 * Canonical: an accepted message encodes back to exactly its bytes.
 * Pure: no I/O, no clock.
 */
#ifndef SUBNETRA_CORE_MESH_BASECTL_H
#define SUBNETRA_CORE_MESH_BASECTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/er.h"
#include "core/mesh/msg.h"

enum basectl_type {
	BASECTL_REGISTER = 0x10,
	BASECTL_LOOKUP = 0x11,
	BASECTL_PING = 0x12,
	BASECTL_UNSUBSCRIBE = 0x13,
	BASECTL_ALLOW = 0x14,
	BASECTL_REGISTER_OK = 0x20,
	BASECTL_PEER_INFO = 0x21,
	/* 0x22 is unassigned (the design skips it) and refused. */
	BASECTL_PONG = 0x23,
	BASECTL_NOTICE = 0x24,
};

enum {
	BASECTL_HEADER_LEN = 4, /* type, arg, 2 reserved */
	BASECTL_ADDR_LEN = IDENTITY_ADDR_LEN,
	BASECTL_TXID_LEN = 8,
	BASECTL_RELAY_ID_LEN = MSG_RELAY_ID_LEN,

	BASECTL_REGISTER_MIN_LEN = BASECTL_HEADER_LEN + ER_MIN_LEN,
	BASECTL_REGISTER_MAX_LEN = BASECTL_HEADER_LEN + ER_MAX_LEN,
	BASECTL_LOOKUP_LEN = BASECTL_HEADER_LEN + BASECTL_ADDR_LEN,
	BASECTL_PING_LEN = BASECTL_HEADER_LEN + BASECTL_TXID_LEN,
	BASECTL_UNSUBSCRIBE_LEN = BASECTL_HEADER_LEN + BASECTL_ADDR_LEN,
	/* ALLOW: header, n u16, n × address. */
	BASECTL_ALLOW_FIXED_LEN = BASECTL_HEADER_LEN + 2,
	/* As many as one DATA plaintext holds: 93. */
	BASECTL_ALLOW_MAX = (MSG_DATA_MAX_PLAINTEXT - BASECTL_ALLOW_FIXED_LEN) /
			    BASECTL_ADDR_LEN,
	/* REGISTER_OK: header, relay_id 8, observed EP18, refresh_s u16. */
	BASECTL_REGISTER_OK_LEN = BASECTL_HEADER_LEN + BASECTL_RELAY_ID_LEN + EP18_LEN + 2,
	/* PEER_INFO: header, addr 16, relay_id 8, age_s u16, n_obs u8,
	 * n_obs × EP18, er_len u16, ER (er_len bytes). */
	BASECTL_PEER_INFO_OFF_ADDR = BASECTL_HEADER_LEN,
	BASECTL_PEER_INFO_OFF_RELAY_ID = BASECTL_PEER_INFO_OFF_ADDR + BASECTL_ADDR_LEN,
	BASECTL_PEER_INFO_OFF_AGE = BASECTL_PEER_INFO_OFF_RELAY_ID + BASECTL_RELAY_ID_LEN,
	BASECTL_PEER_INFO_OFF_N_OBS = BASECTL_PEER_INFO_OFF_AGE + 2,
	BASECTL_PEER_INFO_OFF_OBS = BASECTL_PEER_INFO_OFF_N_OBS + 1,
	BASECTL_OBS_MAX = 8,
	/* Reasons 3 and 4: no observed endpoint, no record. */
	BASECTL_PEER_INFO_EMPTY_LEN = BASECTL_PEER_INFO_OFF_OBS + 2,
	BASECTL_PEER_INFO_MAX_LEN =
	    BASECTL_PEER_INFO_EMPTY_LEN + BASECTL_OBS_MAX * EP18_LEN + ER_MAX_LEN,
	BASECTL_PONG_LEN = BASECTL_HEADER_LEN + BASECTL_TXID_LEN + EP18_LEN,
	BASECTL_NOTICE_LEN = BASECTL_HEADER_LEN,

	/* The largest message of any type. */
	BASECTL_MAX_LEN = BASECTL_ALLOW_FIXED_LEN + BASECTL_ALLOW_MAX * BASECTL_ADDR_LEN,

	/* arg bits and values */
	BASECTL_LOOKUP_NOTIFY = 1u << 0, /* ask the base to notify the target */
	BASECTL_ALLOW_RESTRICT = 1u << 0, /* only the listed nodes; clear: anyone */
};

_Static_assert(BASECTL_LOOKUP_LEN == 20 && BASECTL_PING_LEN == 12 &&
		   BASECTL_REGISTER_OK_LEN == 32 && BASECTL_PONG_LEN == 30,
	       "base control sizes (docs/mesh-protocol.md)");
_Static_assert(BASECTL_PEER_INFO_OFF_OBS == 31 && BASECTL_PEER_INFO_EMPTY_LEN == 33,
	       "PEER_INFO offsets");
_Static_assert(BASECTL_ALLOW_MAX == 93, "ALLOW fills one DATA plaintext");
_Static_assert((int)BASECTL_MAX_LEN <= (int)MSG_DATA_MAX_PLAINTEXT &&
		   BASECTL_PEER_INFO_MAX_LEN <= BASECTL_MAX_LEN &&
		   BASECTL_REGISTER_MAX_LEN <= BASECTL_MAX_LEN,
	       "every base control message fits one DATA plaintext");

/* REGISTER_OK status */
enum basectl_status {
	BASECTL_STATUS_OK = 0,
	BASECTL_STATUS_STALE = 1, /* seq not newer than the record held */
	BASECTL_STATUS_FULL = 2,  /* the registry is full; try another base */
	BASECTL_STATUS_MAX = BASECTL_STATUS_FULL,
};

/* PEER_INFO reason */
enum basectl_peer_reason {
	BASECTL_PEER_REPLY = 0,	  /* the answer to a LOOKUP */
	BASECTL_PEER_NOTIFY = 1,  /* someone wants you: call this node */
	BASECTL_PEER_CHANGED = 2, /* a subscribed node's record or endpoint changed */
	BASECTL_PEER_UNKNOWN = 3, /* not registered here (no record follows) */
	BASECTL_PEER_DENIED = 4,  /* its ALLOW list excludes you (no record follows) */
	BASECTL_PEER_REASON_MAX = BASECTL_PEER_DENIED,
};

/* NOTICE code */
enum basectl_notice {
	BASECTL_NOTICE_RESTARTING = 1,
	BASECTL_NOTICE_OVER_CAPACITY = 2,
	BASECTL_NOTICE_USE_OTHER_BASE = 3,
	BASECTL_NOTICE_MAX = BASECTL_NOTICE_USE_OTHER_BASE,
};

/*
 * One decoded message.  Only the fields of its type are meaningful; the
 * decoder zeroes the rest, and the encoder ignores them.
 */
struct basectl {
	enum basectl_type type;
	uint8_t arg;			 /* flags, status, reason or code */
	uint8_t addr[BASECTL_ADDR_LEN];	 /* LOOKUP, UNSUBSCRIBE target; PEER_INFO */
	uint8_t txid[BASECTL_TXID_LEN];	 /* PING, PONG */
	uint8_t relay_id[BASECTL_RELAY_ID_LEN]; /* REGISTER_OK, PEER_INFO */
	struct ep18 observed;		 /* REGISTER_OK, PONG */
	uint16_t refresh_s;		 /* REGISTER_OK */
	uint16_t age_s;			 /* PEER_INFO */
	uint8_t n_obs;			 /* PEER_INFO */
	struct ep18 obs[BASECTL_OBS_MAX];
	uint16_t n_allow; /* ALLOW */
	uint8_t allow[BASECTL_ALLOW_MAX][BASECTL_ADDR_LEN];
	bool has_er; /* REGISTER; PEER_INFO reasons 0-2 */
	struct er er;
};

#define BASECTL_REASONS(X)                                                               \
	X(TOO_SHORT, too_short)	      /* under the 4-byte header */                      \
	X(UNKNOWN_TYPE, unknown_type) /* not one of the nine types */                    \
	X(BAD_RESERVED, bad_reserved) /* a reserved byte (or an unused arg) is set */    \
	X(BAD_LENGTH, bad_length)     /* not the exact length of the type (or counts) */ \
	X(BAD_FLAGS, bad_flags)	      /* an undefined flag bit */                        \
	X(BAD_STATUS, bad_status)     /* REGISTER_OK status above 2 */                   \
	X(BAD_REASON, bad_reason)     /* PEER_INFO reason above 4 */                     \
	X(BAD_CODE, bad_code)	      /* NOTICE code 0 or above 3 */                     \
	X(BAD_ADDRESS, bad_address)   /* an overlay address outside fc94::/16 */         \
	X(BAD_COUNT, bad_count)	      /* too many entries, or a list where none may be */ \
	X(BAD_ENDPOINT, bad_endpoint) /* an observed endpoint that is not one */         \
	X(BAD_REFRESH, bad_refresh)   /* REGISTER_OK refresh_s 0 */                      \
	X(BAD_RECORD, bad_record)     /* the ER was refused (er_result says why) */      \
	X(EXTRA_FIELDS, extra_fields) /* PEER_INFO 3/4 with a relay id, age or list */   \
	X(NO_SPACE, no_space)	      /* encoding: the output buffer is too small */

enum basectl_result {
	BASECTL_OK = 0,
#define BASECTL_ENUM(up, low) BASECTL_##up,
	BASECTL_REASONS(BASECTL_ENUM)
#undef BASECTL_ENUM
	    BASECTL_RESULT_END,
};

const char *basectl_result_name(enum basectl_result r);
/* "register" ... "notice"; NULL for a byte that is no type. */
const char *basectl_type_name(uint8_t type);
/* Sent by a base (0x20-0x2F); false for node -> base types. */
static inline bool basectl_from_base(enum basectl_type t)
{
	return t >= 0x20;
}

/*
 * Decode buf[0..len).  On BASECTL_BAD_RECORD *er_why (may be NULL) says
 * what er_parse refused; it is ER_OK otherwise.  m is zeroed first and
 * holds the message only on BASECTL_OK.
 */
enum basectl_result basectl_decode(struct basectl *m, const uint8_t *buf, size_t len,
				   enum er_result *er_why);

/*
 * Encode m (with the same field checks the decoder makes, except the
 * record's signature, which is carried as it is) into out[0..cap); *len
 * gets the length.  An ER is encoded with er_encode: sign it first with
 * er_sign.
 */
enum basectl_result basectl_encode(const struct basectl *m, uint8_t *out, size_t cap,
				   size_t *len);

#endif
