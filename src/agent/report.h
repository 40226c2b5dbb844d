/*
 * The body of a status report (POST /device/v1/status,
 * docs/management-protocol.md) from the node daemon's `status --json`:
 *
 *   {"applied":"E.S"|null,"agent":"subnetra 0.1.0",
 *    "endpoints":[<each base's observed address of us>],
 *    "peers":[{"address","path","rtt_ms","last_handshake_s","rx","tx"}]}
 *
 * path: the daemon's direct, relay-udp or relay-tcp, or "none" for a peer
 * with neither an endpoint nor a handshake; rtt_ms whole milliseconds.
 * Without the daemon's answer (not running), endpoints and peers are
 * empty: the report still says the agent is alive and what it applied.
 * Pure.
 */
#ifndef SUBNETRA_AGENT_REPORT_H
#define SUBNETRA_AGENT_REPORT_H

#include <stddef.h>

/*
 * daemon_json[0..len) (len 0: none) and applied ("E.S" or NULL) into
 * out[0..cap): the body's length, or 0 when it does not fit.
 */
size_t agent_report_build(const char *daemon_json, size_t len, const char *applied, char *out,
			  size_t cap);

#endif
