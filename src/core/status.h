/*
 * Renders `status` (text) and `status --json` (schema_version 1) from a plain
 * view of the daemon, so the renderer is testable without a daemon.  The JSON
 * walks COUNTERS_LIST; the text follows its written-out layout (status.c).
 * Secrets are not part of the view.
 */
#ifndef SUBNETRA_STATUS_H
#define SUBNETRA_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bounds.h"
#include "core/cidr.h"
#include "core/counters.h"

struct status_peer {
	uint32_t id;
	const char *name; /* "" when unset */
	struct endpoint4 endpoint; /* current (learned, else configured) */
	struct cidr allowed_src;
	uint64_t last_seen_wall_ns; /* 0 = never */
};

struct status_view {
	const char *version;
	const char *mode; /* "raw_direct" */
	uint32_t local_id;
	uint16_t listen_port; /* primary listen port */
	const uint16_t *listen_ports; /* every listen port, the primary first */
	size_t n_listen_ports;
	const char *tun;
	size_t n_peers;
	const struct status_peer *peers;
	const struct counters *counters;
	uint64_t now_wall_ns; /* for last_seen_age_seconds / online */
};

/* A string of the view as rendered: NULL reads as "" (status and metrics). */
static inline const char *status_str(const char *s)
{
	return s != NULL ? s : "";
}

/*
 * The per-peer health rule shared by status --json and metrics: whole seconds
 * since last seen, clamped to 0 if the wall clock went backwards; false when
 * never seen.  Online iff seen and age <= STATUS_ONLINE_FRESHNESS_SECS.
 */
bool status_peer_age(const struct status_peer *p, uint64_t now_ns, uint64_t *age_secs);
bool status_peer_online(const struct status_peer *p, uint64_t now_ns);
/* "45s", "4m12s", "3h04m", "2d03h": a compact age for people. */
void status_age_format(uint64_t secs, char out[16]);

/*
 * A round-trip time for people: "0.41ms" below 1 ms (10 µs steps), "12.3ms"
 * below 100 ms, then whole milliseconds.
 */
void status_rtt_format(uint64_t ns, char out[16]);
/* Smoothed RTT (RFC 6298's SRTT, alpha 1/8): the first sample as it is. */
uint64_t status_rtt_smooth(uint64_t srtt_ns, uint64_t sample_ns);

/*
 * Upper bound of either rendering with MAX_PEERS peers: a peer's line or
 * object is < 512 bytes even with a 48-byte name fully \u-escaped, and a
 * counter costs its name, a u64 and punctuation (test_status checks a
 * worst-case view fits).
 */
#define STATUS_COUNTER_COST(name) +sizeof(#name) + 24
enum {
	STATUS_REPLY_MAX = 1024 + MAX_PEERS * 512 + (0 COUNTERS_LIST(STATUS_COUNTER_COST)),
};
#undef STATUS_COUNTER_COST

/*
 * How many times the text shows the counter at this offset of struct
 * counters: once, or 0 for drop_udp_scan_budget (for the unit test).
 */
unsigned status_text_shows(size_t offset);

/* Both return the length written (NUL-terminated), or 0 if cap is too small. */
size_t status_render_text(const struct status_view *v, char *buf, size_t cap);
/* No trailing newline, as documented. */
size_t status_render_json(const struct status_view *v, char *buf, size_t cap);

#endif
