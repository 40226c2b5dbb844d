/*
 * The control-socket grammar, shared by the daemon (which silently ignores a
 * bad line) and the CLI (which rejects it locally with exit 2):
 *   save | status | status --json | metrics | policy show |
 *   policy add --src CIDR --dst CIDR [--action forward|drop] [--target N]
 * Tokens are separated by spaces/tabs; the line is trimmed of space, tab, CR.
 */
#ifndef SUBNETRA_CTLPROTO_H
#define SUBNETRA_CTLPROTO_H

#include <stddef.h>

#include "bounds.h"
#include "metrics.h"
#include "policy.h"
#include "status.h"

/*
 * The largest reply the daemon renders: a full policy dump, or a status /
 * metrics view with MAX_PEERS peers.  The daemon's reply buffer and its
 * control socket's send buffer are sized from it, the CLI's receive buffer
 * too (plus slack).
 */
#define CTL_MAX2(a, b) ((long)(a) > (long)(b) ? (long)(a) : (long)(b))
enum {
	CTL_REPLY_MAX = CTL_MAX2(CTL_MAX2(STATUS_REPLY_MAX, METRICS_REPLY_MAX),
				 MAX_POLICY_DUMP + 1),
};
#undef CTL_MAX2

enum ctl_kind {
	CTL_SAVE,
	CTL_STATUS,
	CTL_STATUS_JSON,
	CTL_METRICS, /* Prometheus text of the status (src/metrics.c) */
	CTL_POLICY_SHOW,
	CTL_POLICY_ADD,
	CTL_RELOAD, /* read the config again and apply it (src/reload.c) */
};

enum ctl_err {
	CTL_OK = 0,
	CTL_EMPTY,            /* blank line: ignore */
	CTL_UNKNOWN_COMMAND,
	CTL_INVALID_VALUE,
	CTL_MISSING_ARGUMENT,
};

struct ctl_cmd {
	enum ctl_kind kind;
	struct policy_rule rule; /* CTL_POLICY_ADD only */
};

const char *ctl_err_name(enum ctl_err e); /* "UnknownCommand", ... */

/*
 * Parse one line (not NUL-terminated, length len).  On error, *detail (if
 * non-NULL) points to a static explanation such as "--dst: InvalidPrefix".
 */
enum ctl_err ctl_parse_line(const char *line, size_t len, struct ctl_cmd *out,
			    const char **detail);

#endif
