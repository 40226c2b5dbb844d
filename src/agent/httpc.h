/*
 * The node daemon's HTTP/1.1 client for the management plane: one request
 * at a time on one non-blocking TCP connection, driven by the node's epoll
 * loop (no thread, no blocking call, nothing allocated after
 * mgmt_httpc_init).  The owner:
 *
 *   mgmt_httpc_start()      connect (tcp_connect6: the sandbox's rules for a
 *                           base's TCP fallback already allow it) and queue
 *                           the request bytes;
 *   watch c->fd for mgmt_httpc_events() (EPOLLOUT while connecting or
 *                           sending, EPOLLIN while reading; the events
 *                           wanted change, so re-arm after each step);
 *   mgmt_httpc_step()       on each readiness: returns PENDING, DONE (the
 *                           response is c->resp, parsed in c->r) or FAILED
 *                           (c->err: -errno, -ETIMEDOUT, -EPROTO for a
 *                           response httpresp refused, -EMSGSIZE for one too
 *                           big);
 *   mgmt_httpc_tick()       the deadline: past it, FAILED with -ETIMEDOUT;
 *   mgmt_httpc_close()      whenever; after DONE or FAILED before the next start.
 *
 * Requests are Connection: close (httpreq.h): the end of the stream is
 * part of the framing, and a long-poll is one connection.
 */
#ifndef SUBNETRA_AGENT_HTTPC_H
#define SUBNETRA_AGENT_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/mgmt/httpresp.h"
#include "os/linux/udp.h"

enum mgmt_httpc_state {
	MGMT_HTTPC_IDLE,
	MGMT_HTTPC_CONNECTING,
	MGMT_HTTPC_SENDING,
	MGMT_HTTPC_READING,
	MGMT_HTTPC_DONE,
	MGMT_HTTPC_FAILED,
};

enum mgmt_httpc_result { MGMT_HTTPC_PENDING, MGMT_HTTPC_OK, MGMT_HTTPC_ERR };

enum { MGMT_HTTPC_USER_TIMEOUT_MS = 30000 };

struct mgmt_httpc {
	int fd; /* -1: none */
	enum mgmt_httpc_state state;
	uint8_t *req; /* req_cap bytes, from init */
	size_t req_cap, req_len, req_off;
	uint8_t *resp; /* resp_cap bytes, from init */
	size_t resp_cap, resp_len, body_max;
	uint64_t deadline_ns;
	struct http_resp r; /* on DONE */
	int err;	    /* on FAILED */
};

/* Buffers for the largest request and response.  0 or -ENOMEM. */
int mgmt_httpc_init(struct mgmt_httpc *c, size_t req_cap, size_t body_max);
void mgmt_httpc_free(struct mgmt_httpc *c);
/*
 * Connect to `to` (AF_INET or AF_INET6) and queue req[0..len).  0 (c->fd
 * to watch), or -errno (-EMSGSIZE: the request is over req_cap; -EBUSY:
 * not idle).  deadline_ns: when the whole exchange must be done by.
 */
int mgmt_httpc_start(struct mgmt_httpc *c, const union udp_addr *to, const void *req,
		     size_t len, uint64_t deadline_ns);
/* The epoll events the connection waits for now (0: none). */
uint32_t mgmt_httpc_events(const struct mgmt_httpc *c);
/* Move on after readiness (any events: the socket says what is possible). */
enum mgmt_httpc_result mgmt_httpc_step(struct mgmt_httpc *c);
/* Past the deadline: FAILED, -ETIMEDOUT. */
enum mgmt_httpc_result mgmt_httpc_tick(struct mgmt_httpc *c, uint64_t now_ns);
/* Close the socket; back to IDLE. */
void mgmt_httpc_close(struct mgmt_httpc *c);

#endif
