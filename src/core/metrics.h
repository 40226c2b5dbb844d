/*
 * Prometheus text exposition (format 0.0.4) of the status view, for
 * `subnetra metrics`: subnetra_up, subnetra_build_info, per-peer online and
 * last-seen age, then subnetra_<counter>_total for every counter of
 * COUNTERS_LIST, so a new counter appears here at once (docs/observability.md
 * lists the families).  The node_exporter textfile exporter
 * (deploy/subnetra-textfile-exporter.sh) emits the same lines byte for byte,
 * so either can feed the same dashboards.
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
