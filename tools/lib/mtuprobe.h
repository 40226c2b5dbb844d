/*
 * The pure parts of subnetra-mtu-probe: the probe datagram format, the
 * listener's answer rule, the prober's search over datagram sizes, the
 * tunnel MTU recommendation and the listener's token bucket.  No sockets
 * here, so all of it is unit-tested without a network.
 *
 * Probe datagram (MTUPROBE_HDR_LEN bytes, then zero padding to the size
 * being tested):
 *   magic "SNRMTUP1" (8) | type u8 (1 request, 2 reply) | 3 zero bytes |
 *   seq u32 BE | nonce (16, random per prober run)
 * The listener answers a well-formed request only, with the same bytes,
 * type set to reply: the reply is never larger than the request (no
 * amplification), a reply is never answered (no loop between two
 * listeners), and the prober accepts only its own nonce and sequence.
 */
#ifndef SUBNETRA_MTUPROBE_H
#define SUBNETRA_MTUPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	MTUPROBE_MAGIC_LEN = 8,
	MTUPROBE_NONCE_LEN = 16,
	MTUPROBE_HDR_LEN = MTUPROBE_MAGIC_LEN + 4 + 4 + MTUPROBE_NONCE_LEN,
	MTUPROBE_IPV4_UDP = 28, /* outer IPv4 (no options) + UDP headers */
	MTUPROBE_MIN_PATH = 68, /* every IPv4 link carries 68 bytes */
	MTUPROBE_MIN_PAYLOAD = MTUPROBE_MIN_PATH - MTUPROBE_IPV4_UDP,
	MTUPROBE_MAX_PATH = 65535,
	MTUPROBE_MAX_PAYLOAD = MTUPROBE_MAX_PATH - MTUPROBE_IPV4_UDP,
	MTUPROBE_REQUEST = 1,
	MTUPROBE_REPLY = 2,
};

_Static_assert(MTUPROBE_HDR_LEN == 32, "probe header is 32 bytes");
_Static_assert(MTUPROBE_MIN_PAYLOAD >= MTUPROBE_HDR_LEN,
	       "the smallest probe holds the header");

struct mtuprobe_hdr {
	uint8_t type;
	uint32_t seq;
	uint8_t nonce[MTUPROBE_NONCE_LEN];
};

/* Header into buf, zero padding up to len (len >= MTUPROBE_HDR_LEN). */
void mtuprobe_encode(uint8_t *buf, size_t len, const struct mtuprobe_hdr *h);
/* Magic, known type and zero reserved bytes; fills *h. */
bool mtuprobe_parse(const uint8_t *buf, size_t len, struct mtuprobe_hdr *h);
/*
 * Listener rule: true iff buf is a request; then it has been turned into the
 * reply in place (same length).
 */
bool mtuprobe_answer(uint8_t *buf, size_t len);

/*
 * The search over UDP payload sizes: first the smallest (is the listener
 * there at all?), then the ceiling (most paths pass it), then bisection
 * between the largest size that round-tripped and the smallest that did not.
 */
struct mtu_search {
	size_t min, max; /* payload bounds */
	size_t good;	 /* largest payload that round-tripped; 0 = none yet */
	size_t bad;	 /* smallest payload that did not; max + 1 = none yet */
	bool min_failed;
};

void mtu_search_init(struct mtu_search *s, size_t min_payload, size_t max_payload);
/* The next payload size to try, or 0 when the search is over. */
size_t mtu_search_next(const struct mtu_search *s);
void mtu_search_report(struct mtu_search *s, size_t payload, bool ok);
/* Largest payload that round-tripped, 0 if none. */
size_t mtu_search_result(const struct mtu_search *s);

/*
 * local_tun_mtu for a path MTU: path - 64, capped at the largest inner
 * packet v1 carries (1452; *capped says so); 0 if the path leaves less than
 * the 68-byte IPv4 minimum.
 */
unsigned mtuprobe_recommend(unsigned path_mtu, bool *capped);

/* Token bucket: at most `rate` per second on average, bursts of `burst`. */
struct ratelimit {
	uint64_t rate;	 /* tokens per second, >= 1 */
	uint64_t burst;	 /* bucket size, >= 1 */
	uint64_t credit; /* tokens * 1e9 */
	uint64_t last_ns;
	bool started;
};

void ratelimit_init(struct ratelimit *rl, unsigned rate, unsigned burst);
/* Take one token at time now_ns (monotonic); false = over the limit. */
bool ratelimit_take(struct ratelimit *rl, uint64_t now_ns);

#endif
