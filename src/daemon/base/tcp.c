/*
 * The base's TCP port (see server.h): the fallback for nodes whose UDP is
 * blocked (docs/mesh.md "TCP fallback").  Plain `u16 BE length ‖ frame`
 * records (research/mesh-design.md §2.4), each frame handled exactly as a
 * datagram from that connection (base_tcp_frame), the connection being
 * the node's transport in the registry.
 *
 * Bounds: BASE_TCP_CONNS connections (beyond: accepted and closed at once,
 * counted), per connection a fixed reassembler and a BASE_TCP_OUTBUF send
 * buffer (full: the frame is dropped, never blocks), a first frame within
 * 10 s and a frame at least every 60 s (else closed), a bad record length
 * closes.  All slots are allocated at start-up (zeroed, and written only
 * when a connection takes one: 1,024 slots of 9.6 KiB cost no memory
 * until used); per wake-up a bounded
 * number of accepts and reads, so one connection cannot starve the rest.
 */
#include "daemon/base/server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

int base_tcp_open(struct base_server *b)
{
	b->conns = calloc(BASE_TCP_CONNS, sizeof(*b->conns));
	b->tcp_rx = malloc(BASE_TCP_RX);
	if (b->conns == NULL || b->tcp_rx == NULL)
		return -ENOMEM;
	b->tcp_fd = tcp_listen6(b->cfg->mesh.tcp_port, BASE_TCP_BACKLOG);
	return b->tcp_fd < 0 ? b->tcp_fd : 0;
}

static void conn_close(struct base_server *b, struct base_conn *k)
{
	/* close() removes it from the epoll set. */
	close(k->fd);
	k->open = false;
	k->fd = -1;
	k->out_len = 0;
	b->n_conns--;
	b->c.tcp_closed++;
}

void base_tcp_close_all(struct base_server *b)
{
	if (b->conns != NULL)
		for (size_t i = 0; i < BASE_TCP_CONNS; i++)
			if (b->conns[i].open)
				conn_close(b, &b->conns[i]);
	if (b->tcp_fd >= 0)
		close(b->tcp_fd);
	b->tcp_fd = -1;
	free(b->conns);
	free(b->tcp_rx);
	b->conns = NULL;
	b->tcp_rx = NULL;
}

static void arm(struct base_server *b, struct base_conn *k, bool out)
{
	struct epoll_event ev = {
	    .events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0u),
	    .data.u32 = BASE_TAG_CONN + (uint32_t)(k - b->conns)};

	if (k->want_out == out)
		return;
	k->want_out = out;
	(void)epoll_ctl(b->epfd, EPOLL_CTL_MOD, k->fd, &ev);
}

void base_tcp_acceptable(struct base_server *b, uint64_t now_ns)
{
	for (int n = 0; n < BASE_TCP_ACCEPT_BUDGET; n++) {
		union udp_addr peer;
		socklen_t peer_len = sizeof(peer);
		int fd = accept4(b->tcp_fd, &peer.sa, &peer_len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct base_conn *k = NULL;
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP};

		if (fd < 0)
			return; /* EAGAIN, or an aborted connection */
		b->c.tcp_accepted++;
		if (b->n_conns < BASE_TCP_CONNS)
			for (size_t i = 0; i < BASE_TCP_CONNS && k == NULL; i++)
				if (!b->conns[i].open)
					k = &b->conns[i];
		if (k == NULL || peer.sa.sa_family != AF_INET6) {
			close(fd);
			b->c.drop_tcp_conn_limit++;
			b->c.tcp_closed++;
			continue;
		}
		ev.data.u32 = BASE_TAG_CONN + (uint32_t)(k - b->conns);
		if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			b->c.drop_tcp_reset++;
			b->c.tcp_closed++;
			continue;
		}
		if (++b->conn_gen == 0)
			b->conn_gen = 1;
		k->fd = fd;
		k->open = true;
		k->id = (uint32_t)b->conn_gen << 16 | (uint32_t)(k - b->conns + 1);
		k->got_frame = false;
		k->want_out = false;
		k->opened_ns = k->last_frame_ns = now_ns;
		k->peer = peer;
		k->out_len = 0;
		msg_stream_init(&k->in);
		b->n_conns++;
	}
}

static struct base_conn *conn_by_id(struct base_server *b, uint32_t id)
{
	uint32_t slot = (id & 0xffff) - 1;

	if (b->conns == NULL || slot >= BASE_TCP_CONNS || !b->conns[slot].open ||
	    b->conns[slot].id != id)
		return NULL;
	return &b->conns[slot];
}

/* Write what the buffer holds; false: the connection failed and is closed. */
static bool flush_out(struct base_server *b, struct base_conn *k)
{
	while (k->out_len > 0) {
		ssize_t w = send(k->fd, k->out, k->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			b->c.drop_tcp_reset++;
			conn_close(b, k);
			return false;
		}
		memmove(k->out, k->out + w, k->out_len - (size_t)w);
		k->out_len -= (size_t)w;
	}
	arm(b, k, k->out_len > 0);
	return true;
}

void base_tcp_send(struct base_server *b, uint32_t conn, const uint8_t *buf, size_t len)
{
	struct base_conn *k = conn_by_id(b, conn);

	if (k == NULL) {
		b->c.drop_tcp_no_conn++;
		return;
	}
	/* A whole record or nothing: a partial one would desynchronise the stream. */
	if (BASE_TCP_OUTBUF - k->out_len < MSG_STREAM_PREFIX_LEN + len ||
	    !msg_stream_prefix_put(k->out + k->out_len, len)) {
		b->c.drop_tcp_send_full++;
		return;
	}
	memcpy(k->out + k->out_len + MSG_STREAM_PREFIX_LEN, buf, len);
	k->out_len += MSG_STREAM_PREFIX_LEN + len;
	b->c.tcp_tx_frames++;
	b->c.tcp_tx_bytes += len;
	(void)flush_out(b, k);
}

/* Read and handle; false: the connection is closed. */
static bool conn_read(struct base_server *b, struct base_conn *k, uint64_t now_ns)
{
	struct base_src src = {.ep = k->peer, .ep_len = sizeof(k->peer.v6), .conn = k->id};

	for (int n = 0; n < BASE_TCP_READ_BUDGET; n++) {
		ssize_t r = recv(k->fd, b->tcp_rx, BASE_TCP_RX, MSG_DONTWAIT);
		size_t off = 0;

		if (r == 0) {
			conn_close(b, k);
			return false;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return true;
			b->c.drop_tcp_reset++;
			conn_close(b, k);
			return false;
		}
		while (off < (size_t)r) {
			size_t used = 0, flen = 0;
			uint8_t *frame = NULL;
			enum msg_stream_result res = msg_stream_feed(
			    &k->in, b->tcp_rx + off, (size_t)r - off, &used, &frame, &flen);

			off += used;
			if (res == MSG_STREAM_ERROR) {
				b->c.drop_tcp_bad_length++;
				conn_close(b, k);
				return false;
			}
			if (res == MSG_STREAM_MORE)
				break;
			k->got_frame = true;
			k->last_frame_ns = now_ns;
			b->c.tcp_rx_frames++;
			b->c.tcp_rx_bytes += flen;
			base_tcp_frame(b, frame, flen, &src, now_ns);
			/* Handling may have closed it (a reply could not be written). */
			if (!k->open || k->id != src.conn)
				return false;
		}
		if ((size_t)r < BASE_TCP_RX)
			return true;
	}
	return true;
}

void base_tcp_event(struct base_server *b, size_t slot, uint32_t events, uint64_t now_ns)
{
	struct base_conn *k;

	if (slot >= BASE_TCP_CONNS || !b->conns[slot].open)
		return;
	k = &b->conns[slot];
	if ((events & EPOLLOUT) && !flush_out(b, k))
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		(void)conn_read(b, k, now_ns);
}

void base_tcp_tick(struct base_server *b, uint64_t now_ns)
{
	for (size_t i = 0; b->conns != NULL && i < BASE_TCP_CONNS; i++) {
		struct base_conn *k = &b->conns[i];

		if (!k->open)
			continue;
		if (!k->got_frame && now_ns - k->opened_ns >= BASE_TCP_FIRST_NS) {
			b->c.drop_tcp_first_timeout++;
			conn_close(b, k);
		} else if (k->got_frame && now_ns - k->last_frame_ns >= BASE_TCP_IDLE_NS) {
			b->c.drop_tcp_idle_timeout++;
			conn_close(b, k);
		}
	}
}
