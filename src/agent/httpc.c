/*
 * The management plane's HTTP client (httpc.h).  Reads land in one buffer
 * of head + body_max bytes allocated at init; each read re-runs the pure
 * parser over what has arrived (httpresp.h: a prefix is MORE, never BAD),
 * so the state kept here is only the socket's.
 */
#include "agent/httpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "os/linux/tcp.h"

int mgmt_httpc_init(struct mgmt_httpc *c, size_t req_cap, size_t body_max)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->req_cap = req_cap;
	c->body_max = body_max;
	c->resp_cap = HTTP_RESP_HEAD_MAX + body_max;
	c->req = malloc(req_cap);
	c->resp = malloc(c->resp_cap);
	if (!c->req || !c->resp) {
		mgmt_httpc_free(c);
		return -ENOMEM;
	}
	return 0;
}

void mgmt_httpc_free(struct mgmt_httpc *c)
{
	mgmt_httpc_close(c);
	free(c->req);
	free(c->resp);
	c->req = c->resp = NULL;
}

void mgmt_httpc_close(struct mgmt_httpc *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = MGMT_HTTPC_IDLE;
}

static enum mgmt_httpc_result fail(struct mgmt_httpc *c, int err)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->err = err;
	c->state = MGMT_HTTPC_FAILED;
	return MGMT_HTTPC_ERR;
}

int mgmt_httpc_start(struct mgmt_httpc *c, const union udp_addr *to, const void *req,
		     size_t len, uint64_t deadline_ns)
{
	union udp_addr v6;
	int fd;

	if (c->state != MGMT_HTTPC_IDLE)
		return -EBUSY;
	if (len > c->req_cap)
		return -EMSGSIZE;
	/* The sandbox allows AF_INET6 sockets only: IPv4 goes v4-mapped. */
	memset(&v6, 0, sizeof(v6));
	if (to->sa.sa_family == AF_INET) {
		v6.v6.sin6_family = AF_INET6;
		v6.v6.sin6_port = to->v4.sin_port;
		v6.v6.sin6_addr.s6_addr[10] = 0xff;
		v6.v6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&v6.v6.sin6_addr.s6_addr[12], &to->v4.sin_addr, 4);
	} else if (to->sa.sa_family == AF_INET6) {
		v6.v6 = to->v6;
	} else {
		return -EAFNOSUPPORT;
	}
	fd = tcp_connect6(&v6, sizeof(v6.v6), MGMT_HTTPC_USER_TIMEOUT_MS);
	if (fd < 0)
		return fd;
	memcpy(c->req, req, len);
	c->fd = fd;
	c->req_len = len;
	c->req_off = 0;
	c->resp_len = 0;
	c->err = 0;
	c->deadline_ns = deadline_ns;
	c->state = MGMT_HTTPC_CONNECTING;
	return 0;
}

uint32_t mgmt_httpc_events(const struct mgmt_httpc *c)
{
	switch (c->state) {
	case MGMT_HTTPC_CONNECTING:
	case MGMT_HTTPC_SENDING:
		return EPOLLOUT;
	case MGMT_HTTPC_READING:
		return EPOLLIN | EPOLLRDHUP;
	default:
		return 0;
	}
}

/* Parse what has arrived; eof: the server closed. */
static enum mgmt_httpc_result parse(struct mgmt_httpc *c, bool eof)
{
	switch (http_resp_parse(c->resp, c->resp_len, eof, c->body_max, &c->r)) {
	case HTTP_RESP_DONE:
		close(c->fd);
		c->fd = -1;
		c->state = MGMT_HTTPC_DONE;
		return MGMT_HTTPC_OK;
	case HTTP_RESP_MORE:
		if (c->resp_len == c->resp_cap)
			return fail(c, -EMSGSIZE);
		return MGMT_HTTPC_PENDING;
	case HTTP_RESP_TOO_BIG:
		return fail(c, -EMSGSIZE);
	default:
		return fail(c, -EPROTO);
	}
}

enum mgmt_httpc_result mgmt_httpc_step(struct mgmt_httpc *c)
{
	int err;

	switch (c->state) {
	case MGMT_HTTPC_CONNECTING:
		err = tcp_connect_result(c->fd);
		if (err == -EINPROGRESS || err == -EALREADY)
			return MGMT_HTTPC_PENDING;
		if (err < 0)
			return fail(c, err);
		c->state = MGMT_HTTPC_SENDING;
		/* fall through: the socket is writable */
	case MGMT_HTTPC_SENDING:
		while (c->req_off < c->req_len) {
			ssize_t k = send(c->fd, c->req + c->req_off, c->req_len - c->req_off,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (k < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return MGMT_HTTPC_PENDING;
				if (errno == EINTR)
					continue;
				return fail(c, -errno);
			}
			c->req_off += (size_t)k;
		}
		c->state = MGMT_HTTPC_READING;
		return MGMT_HTTPC_PENDING;
	case MGMT_HTTPC_READING:
		for (;;) {
			ssize_t k;

			if (c->resp_len == c->resp_cap)
				return parse(c, false);
			k = recv(c->fd, c->resp + c->resp_len, c->resp_cap - c->resp_len,
				 MSG_DONTWAIT);
			if (k < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return parse(c, false);
				return fail(c, -errno);
			}
			if (k == 0)
				return parse(c, true);
			c->resp_len += (size_t)k;
		}
	case MGMT_HTTPC_DONE:
		return MGMT_HTTPC_OK;
	case MGMT_HTTPC_FAILED:
		return MGMT_HTTPC_ERR;
	default:
		return MGMT_HTTPC_PENDING;
	}
}

enum mgmt_httpc_result mgmt_httpc_tick(struct mgmt_httpc *c, uint64_t now_ns)
{
	if (c->state == MGMT_HTTPC_DONE)
		return MGMT_HTTPC_OK;
	if (c->state == MGMT_HTTPC_FAILED)
		return MGMT_HTTPC_ERR;
	if (c->state != MGMT_HTTPC_IDLE && now_ns >= c->deadline_ns)
		return fail(c, -ETIMEDOUT);
	return MGMT_HTTPC_PENDING;
}
