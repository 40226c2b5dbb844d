/*
 * The largest reply on the control socket: a full policy dump, or a status
 * or metrics view with MAX_PEERS peers.  The daemon's reply buffer and its
 * socket's send buffer are sized from it, the CLI's receive buffer too.
 * The grammar (ctlproto.h) knows nothing of replies.
 */
#ifndef SUBNETRA_CTLREPLY_H
#define SUBNETRA_CTLREPLY_H

#include "core/bounds.h"
#include "core/metrics.h"
#include "core/status.h"

#define CTL_MAX2(a, b) ((long)(a) > (long)(b) ? (long)(a) : (long)(b))
enum {
	CTL_REPLY_MAX = CTL_MAX2(CTL_MAX2(STATUS_REPLY_MAX, METRICS_REPLY_MAX),
				 MAX_POLICY_DUMP + 1),
};
#undef CTL_MAX2

#endif
