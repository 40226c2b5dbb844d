/*
 * Data-plane counters.  The list below is the single source of truth: the
 * struct, the status JSON (in this order) and the metrics are generated
 * from it, so a new counter appears there at once; the status text lays
 * its lines out by hand (status.c), and test_status fails until a new
 * counter has its place there.  Names and order are part of the operator
 * contract (interface reference).
 */
#ifndef SUBNETRA_COUNTERS_H
#define SUBNETRA_COUNTERS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define COUNTERS_LIST(X)            \
	X(tun_rx_packets)           \
	X(tun_rx_bytes)             \
	X(udp_tx_packets)           \
	X(udp_tx_bytes)             \
	X(udp_rx_packets)           \
	X(udp_rx_bytes)             \
	X(tun_tx_packets)           \
	X(tun_tx_bytes)             \
	X(relay_packets)            \
	X(relay_bytes)              \
	X(udp_endpoint_learned)     \
	X(keepalive_rx)             \
	X(keepalive_tx)             \
	X(drop_tun_not_ipv4)        \
	X(drop_tun_no_route)        \
	X(drop_tun_drop_rule)       \
	X(drop_tun_local_loop)      \
	X(drop_tun_unknown_target)  \
	X(drop_tun_oversized)       \
	X(drop_tun_egress_err)      \
	X(drop_tun_send_err)        \
	X(drop_udp_unknown_peer)    \
	X(drop_udp_auth_or_invalid) \
	X(drop_udp_scan_budget)     \
	X(drop_udp_not_ipv4)        \
	X(drop_udp_spoof)           \
	X(drop_udp_no_route)        \
	X(drop_udp_drop_rule)       \
	X(drop_udp_unknown_target)  \
	X(drop_udp_no_reflect)      \
	X(drop_udp_oversized)       \
	X(drop_udp_send_err)

struct counters {
#define COUNTER_FIELD(name) uint64_t name;
	COUNTERS_LIST(COUNTER_FIELD)
#undef COUNTER_FIELD
};

/* Every counter by name, in list (= JSON) order, for the renderers. */
struct counter_desc {
	const char *name;
	size_t offset; /* in struct counters */
};

#define COUNTER_ONE(name) +1
enum { N_COUNTERS = 0 COUNTERS_LIST(COUNTER_ONE) };
#undef COUNTER_ONE

extern const struct counter_desc counter_descs[N_COUNTERS];
uint64_t counter_value(const struct counters *c, const struct counter_desc *d);

/*
 * With several reactor threads each one counts into its own plain struct
 * counters (no atomics per packet) and copies it here once per wake-up;
 * the control thread sums the copies.  Relaxed atomics make every value
 * tear-free on 32-bit targets too; the fields of one copy may come from
 * consecutive wake-ups, which a monotonic counter tolerates.
 */
struct counters_shared {
	_Atomic uint64_t v[N_COUNTERS];
};

void counters_publish(struct counters_shared *dst, const struct counters *src);
/* sum += every counter of src (relaxed loads). */
void counters_accumulate(struct counters *sum, const struct counters_shared *src);
/* sum += src, counter by counter. */
void counters_add(struct counters *sum, const struct counters *src);

/* The counter at `offset` in c (offsetof(struct counters, name)) plus one. */
static inline void counter_bump(struct counters *c, size_t offset)
{
	(*(uint64_t *)(void *)((char *)c + offset))++;
}

#endif
