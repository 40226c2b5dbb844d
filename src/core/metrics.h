/*
 * Prometheus text exposition (format 0.0.4) of the status view: the metrics
 * of the node_exporter textfile exporter (deploy/subnetra-textfile-exporter.sh),
 * rendered in C for `subnetra metrics`.  Generated from COUNTERS_LIST, like
 * `status` and `status --json`, so a new counter appears here at once.
 *
 *   subnetra_up                                   gauge, 1 (0: metrics_render_down)
 *   subnetra_build_info{version,mode,tun,local_id,listen_port}   gauge, 1
 *   subnetra_peer_online{id,allowed_src}          gauge, 1 within the freshness window
 *   subnetra_peer_last_seen_age_seconds{id,allowed_src}  gauge, omitted if never seen
 *   subnetra_<counter>_total                      counter, every counter in list order
 *
 * The exporter emits the same lines byte for byte (same HELP texts, same
 * order, same label escaping), so either can feed the same dashboards.
 */
#ifndef SUBNETRA_METRICS_H
#define SUBNETRA_METRICS_H

#include <stddef.h>

#include "core/bounds.h"
#include "core/counters.h"
#include "core/status.h"

/*
 * Upper bound of a rendering with MAX_PEERS peers, any counter values and
 * identity strings of up to 64 bytes each (a tun name is at most 15): a
 * reply buffer of this size never truncates.  Per peer: two sample lines of
 * at most ~110 bytes; per counter: HELP, TYPE and sample lines, each
 * carrying the name, plus fixed text and a 20-digit value.
 */
#define METRICS_COUNTER_COST(name) +3 * sizeof(#name) + 200
enum {
	METRICS_REPLY_MAX =
	    2048 + MAX_PEERS * 256 + (0 COUNTERS_LIST(METRICS_COUNTER_COST)),
};
#undef METRICS_COUNTER_COST

/*
 * Render the view.  Returns the length written (the buffer is NUL-terminated),
 * or 0 if cap is too small (then buf is "" and nothing was written at or past
 * cap).  Label values keep printable ASCII, escape '"' and '\', and replace
 * every other byte with '?'.
 */
size_t metrics_render(const struct status_view *v, char *buf, size_t cap);

/* The exposition for a daemon that did not answer: subnetra_up 0 only. */
size_t metrics_render_down(char *buf, size_t cap);

#endif
