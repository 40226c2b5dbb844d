/*
 * Mesh mode's counters: one struct, and one list of names, from which the
 * status text and JSON are generated (status.c), so a new counter shows
 * everywhere at once.  Drop reasons that a pure module names (msg.h,
 * handshake.h, session.h, beacon.h) are arrays indexed by that module's
 * enum and take its names: drop_mesh_<msg reason>, drop_mesh_hs_<reason>,
 * drop_mesh_data_<reason>, drop_mesh_beacon_<reason>.  Single-threaded:
 * plain integers.
 */
#ifndef SUBNETRA_DAEMON_MESH_COUNTERS_H
#define SUBNETRA_DAEMON_MESH_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mesh/basectl.h"
#include "core/mesh/beacon.h"
#include "core/mesh/handshake.h"
#include "core/mesh/msg.h"
#include "core/mesh/session.h"

/* The daemon's own counters: name, then what it counts. */
#define MESH_COUNTERS(X)                                                                 \
	X(tun_rx_packets)		/* IPv6 packets read from the TUN */             \
	X(tun_rx_bytes)                                                                  \
	X(tun_tx_packets)		/* packets from peers written to the TUN */      \
	X(tun_tx_bytes)                                                                  \
	X(udp_rx_packets)		/* datagrams on the mesh port */                 \
	X(udp_rx_bytes)                                                                  \
	X(udp_tx_packets)		/* datagrams sent from the mesh port */          \
	X(udp_tx_bytes)                                                                  \
	X(handshakes_sent)		/* HS_INIT sent (retransmissions included) */    \
	X(handshakes_answered)		/* HS_RESP sent */                               \
	X(handshakes_completed)		/* keypairs installed, either role */            \
	X(handshakes_given_up)		/* 90 s without an answer */                     \
	X(handshakes_sent_direct)	/* HS_INIT copies to a relayed peer's candidates */\
	X(cookie_replies_sent)                                                           \
	X(cookie_replies_limited)	/* under load: the source's reply bucket was empty */ \
	X(cookie_replies_received)                                                       \
	X(beacons_sent)                                                                  \
	X(beacons_received)		/* verified and taken */                         \
	X(peer_control_ignored)		/* peer control refused (bad, or via a base) */  \
	X(path_pings_sent)		/* PATH_PING: probes and heartbeats */           \
	X(path_pings_received)                                                           \
	X(path_pongs_sent)                                                               \
	X(path_pongs_received)		/* answering our PING from its address */        \
	X(path_pongs_unmatched)		/* no PING of ours to that address / txid */     \
	X(path_cmm_sent)		/* CALL_ME_MAYBE over the relay */               \
	X(path_cmm_received)                                                             \
	X(punches_sent)                                                                  \
	X(punches_received)		/* PUNCH: counted and dropped */                 \
	X(path_rounds)			/* probe rounds started */                       \
	X(path_rounds_failed)		/* ... that got no PATH_PONG */                  \
	X(path_candidates_nominated)	/* peer-reflexive candidates added */            \
	X(path_upgrades)		/* relay -> direct */                            \
	X(path_fallbacks)		/* direct -> relay: heartbeats unanswered */     \
	X(rtt_samples)			/* PATH_PONGs that measured a round trip */      \
	X(base_control_ignored)		/* base control on a peer session */             \
	X(relay_ignored)		/* RELAY: not for a node */               \
	X(relayed_rx_packets)		/* RELAYED from a base, inner handled */         \
	X(relay_tx_packets)		/* RELAY sent to a base */                       \
	X(base_handshakes)		/* sessions made with a base */                  \
	X(base_registered)		/* REGISTER_OK status OK */                      \
	X(base_register_refused)	/* REGISTER_OK STALE or FULL */                  \
	X(base_pings_sent)                                                               \
	X(base_pongs)                                                                    \
	X(base_dead)			/* a base stopped answering PINGs */             \
	X(base_tcp_fallbacks)		/* UDP to a base failed: over TCP instead */     \
	X(base_tcp_connects)		/* TCP connections to a base established */      \
	X(base_tcp_closed)		/* ... closed (error, EOF, bad length, dead) */  \
	X(base_udp_returns)		/* a UDP probe answered: back from TCP */        \
	X(nat_probes_sent)		/* PINGs to a base's NAT probe port (nat.h) */   \
	X(nat_probe_pongs)		/* ... answered */                               \
	X(nat_class_changes)		/* our NAT's class changed */                    \
	X(net_changes)			/* local address/link/route changes handled */   \
	X(net_reregisters)		/* ... REGISTERs sent at once because of them */ \
	X(tcp_rx_frames)                                                                 \
	X(tcp_tx_frames)                                                                 \
	X(drop_tcp_send)		/* a frame for a base whose TCP is not up or full */\
	X(base_lookups_sent)                                                             \
	X(base_peer_info)		/* PEER_INFO with a record, taken */             \
	X(base_peer_unknown)		/* PEER_INFO UNKNOWN or DENIED */                \
	X(drop_base_packet)		/* an IP packet on a base session */             \
	X(drop_base_wrong_direction)	/* a node -> base type from a base */            \
	X(drop_base_peer_not_allowed)	/* PEER_INFO of a node not on the whitelist */   \
	X(drop_relayed_not_from_base)	/* RELAYED from a source that is no base */      \
	X(drop_lookup_full)		/* no lookup slot or its queue is full */        \
	X(drop_lookup_expired)		/* held packets of a lookup that got no record */\
	X(drop_tun_not_ipv6)		/* TUN packet: not IPv6, or truncated */          \
	X(drop_tun_not_mesh)		/* TUN packet: destination outside fc94::/16 */  \
	X(drop_tun_no_peer)		/* TUN packet: no known key for the destination */ \
	X(drop_tun_no_endpoint)		/* TUN packet: the peer has no endpoint */       \
	X(drop_tun_queue_full)		/* waiting for a handshake: queue at its bound */\
	X(drop_tun_too_big)		/* larger than DATA carries */                   \
	X(drop_queue_given_up)		/* queued packets of a handshake that failed */  \
	X(drop_udp_truncated)		/* a datagram longer than any mesh message */    \
	X(drop_udp_send)		/* sendto refused (buffer full, no route) */     \
	X(drop_mesh_unknown_receiver)	/* COOKIE_REPLY / DATA / HS_RESP: no session */  \
	X(drop_mesh_cookie_reply)	/* COOKIE_REPLY that does not open */            \
	X(drop_mesh_index_full)		/* no free local index */                        \
	X(drop_mesh_peer_table_full)	/* no room for a new peer */                     \
	X(drop_mesh_data_unknown_plaintext) /* neither IP, control nor keepalive */      \
	X(drop_mesh_data_ipv4)		/* an IPv4 inner packet: the overlay is IPv6 */  \
	X(drop_beacon_source)		/* not link-local IPv6 / private IPv4 */         \
	X(drop_beacon_self)		/* our own beacon */                             \
	X(drop_beacon_not_allowed)	/* the whitelist refused its key */              \
	X(drop_beacon_rate_limited)	/* more than one per address per 5 s, or 50/s */ \
	X(drop_tun_write)		/* the TUN refused a packet */                   \
	X(peers_removed)		/* sessions ended by whitelist rm / enable, managed */ \
	X(hosts_written)		/* hosts blocks the helper took (hosts.c) */     \
	X(hosts_write_failed)		/* ... and refused or failed to write */         \
	X(managed_loaded)		/* managed sets taken by managed reload */       \
	X(managed_refused)		/* managed files refused (start-up, reload) */

struct mesh_counters {
#define MESH_COUNTER_FIELD(name) uint64_t name;
	MESH_COUNTERS(MESH_COUNTER_FIELD)
#undef MESH_COUNTER_FIELD
	uint64_t msg[MSG_CLASS_END];		/* by msg_classify drop reason */
	uint64_t hs[HS_REASON_END];		/* by hs_reason */
	uint64_t data[SESSION_VERDICT_END];	/* by session_verdict (drops only) */
	uint64_t beacon[BEACON_RESULT_END];	/* by beacon_result */
	uint64_t basectl[BASECTL_RESULT_END];	/* by basectl_result */
};

/* Calls fn(ctx, name, value) for every counter, in a fixed order. */
typedef void mesh_counter_fn(void *ctx, const char *name, uint64_t value);
void mesh_counters_each(const struct mesh_counters *c, mesh_counter_fn *fn, void *ctx);
/*
 * The drop arrays a node and a base both keep, by the pure modules'
 * reasons (msg, hs, data, basectl: arrays of their enums' sizes):
 * drop_mesh_<msg>, drop_mesh_hs_<hs>, drop_mesh_data_<data>,
 * drop_basectl_<basectl>.
 */
void mesh_reason_counters_each(const uint64_t *msg, const uint64_t *hs, const uint64_t *data,
			       const uint64_t *basectl, mesh_counter_fn *fn, void *ctx);

/* Renderers for mesh_counter_fn: "  name=value\n" into an outbuf (ctx), and
 * JSON members into a struct mesh_counter_json. */
struct outbuf;
struct mesh_counter_json {
	struct outbuf *o;
	bool first;
};
void mesh_counter_text(void *ctx, const char *name, uint64_t v);
void mesh_counter_json(void *ctx, const char *name, uint64_t v);

#endif
