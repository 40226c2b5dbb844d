/* A node's TCP fallback to a base (see basetcp.h). */
#include "daemon/mesh/basetcp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon/mesh/bases.h"
#include "daemon/mesh/data.h"
#include "daemon/mesh/hs.h"
#include "os/linux/clock.h"
#include "os/linux/tcp.h"

int mesh_base_tcp_of(const struct mesh_node *n, const union udp_addr *to)
{
	if (n->bases == NULL || to->sa.sa_family != AF_INET6)
		return -1;
	for (size_t i = 0; i < n->bases->n; i++) {
		const struct mesh_base_link *l = &n->bases->link[i];
		const struct sockaddr_in6 *b = &l->peer->ep.v6;

		if (l->use_tcp && b->sin6_port == to->v6.sin6_port &&
		    memcmp(&b->sin6_addr, &to->v6.sin6_addr, 16) == 0)
			return (int)i;
	}
	return -1;
}

static void arm(struct mesh_node *n, size_t i, bool out)
{
	struct mesh_base_link *l = &n->bases->link[i];
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0u),
				 .data.u32 = MESH_TAG_BASE_TCP + (uint32_t)i};

	if (l->tcp_want_out == out)
		return;
	l->tcp_want_out = out;
	(void)epoll_ctl(n->epfd, EPOLL_CTL_MOD, l->tcp_fd, &ev);
}

/* Close base i's connection and schedule the next attempt. */
static void tcp_close(struct mesh_node *n, size_t i, uint64_t now_ns, const char *why)
{
	struct mesh_base_link *l = &n->bases->link[i];

	if (l->tcp_fd < 0)
		return;
	close(l->tcp_fd);
	l->tcp_fd = -1;
	l->tcp_state = MESH_TCP_OFF;
	l->tcp_out_len = 0;
	n->c.base_tcp_closed++;
	if (why != NULL)
		fprintf(stderr, "subnetrad: base %s: TCP %s\n", l->cfg->host, why);
	l->tcp_next_ns = now_ns + l->tcp_backoff_ns;
	l->tcp_backoff_ns = l->tcp_backoff_ns * 2 > MESH_TCP_BACKOFF_MAX_NS
				? MESH_TCP_BACKOFF_MAX_NS
				: l->tcp_backoff_ns * 2;
}

/* The session over TCP failed: without a session, tell bases.c; then retry. */
static void tcp_failed(struct mesh_node *n, size_t i, uint64_t now_ns, const char *why)
{
	struct mesh_base_link *l = &n->bases->link[i];

	tcp_close(n, i, now_ns, why);
	if (l->registered)
		mesh_base_lost(n, i, now_ns); /* calls mesh_base_tcp_lost: closed already */
	else
		mesh_hs_cancel(n, l->peer);
}

static void fall_back(struct mesh_node *n, size_t i, uint64_t now_ns)
{
	struct mesh_base_link *l = &n->bases->link[i];

	l->use_tcp = true;
	l->udp_fail_since_ns = now_ns; /* since when TCP is tried */
	l->tcp_next_ns = now_ns;
	l->tcp_backoff_ns = MESH_TCP_BACKOFF_MIN_NS;
	l->probe_out = false;
	n->c.base_tcp_fallbacks++;
	mesh_hs_cancel(n, l->peer);
	fprintf(stderr, "subnetrad: base %s: no answer over UDP; trying TCP port %u\n",
		l->cfg->host, (unsigned)l->cfg->tcp_port);
}

static void back_to_udp(struct mesh_node *n, size_t i, uint64_t now_ns, const char *why)
{
	struct mesh_base_link *l = &n->bases->link[i];

	tcp_close(n, i, now_ns, NULL);
	l->use_tcp = false;
	l->probe_out = false;
	l->udp_fail_since_ns = l->registered ? 0 : now_ns;
	fprintf(stderr, "subnetrad: base %s: %s; UDP again\n", l->cfg->host, why);
}

void mesh_base_tcp_lost(struct mesh_node *n, size_t i, uint64_t now_ns)
{
	struct mesh_base_link *l = &n->bases->link[i];

	if (!l->use_tcp)
		fall_back(n, i, now_ns);
	else
		tcp_close(n, i, now_ns, "session lost; reconnecting");
}

static void tcp_open(struct mesh_node *n, size_t i, uint64_t now_ns)
{
	struct mesh_base_link *l = &n->bases->link[i];
	union udp_addr to = l->peer->ep;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP,
				 .data.u32 = MESH_TAG_BASE_TCP + (uint32_t)i};
	int fd;

	/* connect() with anything but AF_INET6 (AF_UNSPEC: a disconnect)
	 * "succeeds" on nothing: refuse it here. */
	to.v6.sin6_port = htons(l->cfg->tcp_port);
	fd = to.sa.sa_family == AF_INET6
		 ? tcp_connect6(&to, sizeof(to.v6), MESH_TCP_USER_TIMEOUT_MS)
		 : -EAFNOSUPPORT;
	l->tcp_opened_ns = now_ns;
	if (fd < 0 || epoll_ctl(n->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = fd < 0 ? -fd : errno;

		if (fd >= 0)
			close(fd);
		fprintf(stderr, "subnetrad: base %s: TCP connect: %s\n", l->cfg->host,
			strerror(err));
		l->tcp_next_ns = now_ns + l->tcp_backoff_ns;
		return;
	}
	l->tcp_fd = fd;
	l->tcp_state = MESH_TCP_CONNECTING;
	l->tcp_want_out = true;
	l->tcp_out_len = 0;
	msg_stream_init(&l->tcp_in);
}

static void tcp_connected(struct mesh_node *n, size_t i, uint64_t now_ns)
{
	struct mesh_base_link *l = &n->bases->link[i];

	l->tcp_state = MESH_TCP_UP;
	l->tcp_last_tx_ns = now_ns;
	n->c.base_tcp_connects++;
	arm(n, i, false);
	fprintf(stderr, "subnetrad: base %s: TCP connected\n", l->cfg->host);
	/* A fresh session over the connection. */
	mesh_hs_cancel(n, l->peer);
	mesh_hs_start(n, l->peer, now_ns);
	l->next_retry_ns = now_ns + MESH_BASE_RETRY_NS;
}

void mesh_base_tcp_tick(struct mesh_node *n, size_t i, uint64_t now_ns)
{
	struct mesh_base_link *l = &n->bases->link[i];

	if (!l->use_tcp) {
		if (l->registered)
			l->udp_fail_since_ns = 0;
		else if (l->udp_fail_since_ns == 0)
			l->udp_fail_since_ns = now_ns;
		else if (l->cfg->tcp_port != 0 &&
			 now_ns - l->udp_fail_since_ns >= MESH_BASE_DEAD_NS)
			fall_back(n, i, now_ns);
		return;
	}
	if (l->tcp_fd < 0) {
		/* TCP got nowhere for a while: give UDP its turn again. */
		if (!l->registered && now_ns - l->udp_fail_since_ns >= MESH_UDP_PROBE_NS)
			back_to_udp(n, i, now_ns, "TCP gets nowhere");
		else if (now_ns >= l->tcp_next_ns)
			tcp_open(n, i, now_ns);
		return;
	}
	if (!l->registered) {
		if (now_ns - l->tcp_opened_ns >= MESH_TCP_CONNECT_NS)
			tcp_failed(n, i, now_ns, "connected to nothing that answers; closed");
		return;
	}
	if (now_ns - l->tcp_last_tx_ns >= MESH_TCP_IDLE_NS && !l->ping_out)
		mesh_base_send_ping(n, l, now_ns); /* the keepalive */
	if (now_ns >= l->next_udp_probe_ns) {
		l->next_udp_probe_ns = now_ns + MESH_UDP_PROBE_NS;
		mesh_base_send_probe(n, l, now_ns);
	}
}

void mesh_base_tcp_registered(struct mesh_node *n, size_t i, uint64_t now_ns)
{
	struct mesh_base_link *l = &n->bases->link[i];

	if (!l->use_tcp) {
		l->udp_fail_since_ns = 0;
		return;
	}
	if (l->tcp_backoff_ns != MESH_TCP_BACKOFF_MIN_NS)
		l->next_udp_probe_ns = now_ns + MESH_UDP_PROBE_NS;
	l->tcp_backoff_ns = MESH_TCP_BACKOFF_MIN_NS;
	if (l->next_udp_probe_ns == 0)
		l->next_udp_probe_ns = now_ns + MESH_UDP_PROBE_NS;
}

bool mesh_base_tcp_probe_pong(struct mesh_node *n, size_t i, const struct basectl *m,
			      uint64_t now_ns)
{
	struct mesh_base_link *l = &n->bases->link[i];

	if (!l->probe_out || memcmp(m->txid, l->probe_txid, BASECTL_TXID_LEN) != 0)
		return false;
	l->probe_out = false;
	if (!l->use_tcp || n->rx_tcp)
		return true; /* its answer came over TCP: UDP still fails */
	n->c.base_pongs++;
	n->c.base_udp_returns++;
	l->observed = m->observed;
	l->last_pong_ns = now_ns;
	l->next_udp_probe_ns = 0;
	back_to_udp(n, i, now_ns, "UDP answers again");
	return true;
}

/* Write what the buffer holds; false: the connection failed (closed). */
static bool flush_out(struct mesh_node *n, size_t i, uint64_t now_ns)
{
	struct mesh_base_link *l = &n->bases->link[i];

	while (l->tcp_out_len > 0) {
		ssize_t w = send(l->tcp_fd, l->tcp_out, l->tcp_out_len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			tcp_failed(n, i, now_ns, "write failed; reconnecting");
			return false;
		}
		memmove(l->tcp_out, l->tcp_out + w, l->tcp_out_len - (size_t)w);
		l->tcp_out_len -= (size_t)w;
	}
	arm(n, i, l->tcp_out_len > 0);
	return true;
}

bool mesh_base_tcp_send(struct mesh_node *n, size_t i, const uint8_t *hdr, size_t hdr_len,
			const uint8_t *buf, size_t len)
{
	struct mesh_base_link *l = &n->bases->link[i];
	size_t total = hdr_len + len;

	if (l->tcp_state != MESH_TCP_UP ||
	    sizeof(l->tcp_out) - l->tcp_out_len < MSG_STREAM_PREFIX_LEN + total ||
	    !msg_stream_prefix_put(l->tcp_out + l->tcp_out_len, total)) {
		n->c.drop_tcp_send++;
		return false;
	}
	if (hdr_len > 0)
		memcpy(l->tcp_out + l->tcp_out_len + MSG_STREAM_PREFIX_LEN, hdr, hdr_len);
	memcpy(l->tcp_out + l->tcp_out_len + MSG_STREAM_PREFIX_LEN + hdr_len, buf, len);
	l->tcp_out_len += MSG_STREAM_PREFIX_LEN + total;
	l->tcp_last_tx_ns = mono_ns();
	n->c.tcp_tx_frames++;
	return flush_out(n, i, l->tcp_last_tx_ns);
}

static void tcp_read(struct mesh_node *n, size_t i, uint64_t now_ns)
{
	struct mesh_base_link *l = &n->bases->link[i];
	/* A copy: handling a frame may rewrite the peer's endpoint. */
	union udp_addr from = l->peer->ep;
	socklen_t from_len = l->peer->ep_len;
	uint8_t buf[4096];

	for (int k = 0; k < 8 && l->tcp_fd >= 0; k++) {
		ssize_t r = recv(l->tcp_fd, buf, sizeof(buf), MSG_DONTWAIT);
		size_t off = 0;

		if (r == 0) {
			tcp_failed(n, i, now_ns, "closed by the base; reconnecting");
			return;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				{
				fprintf(stderr, "subnetrad: base %s: TCP read: %s\n",
					l->cfg->host, strerror(errno));
				tcp_failed(n, i, now_ns, "read failed; reconnecting");
			}
			return;
		}
		while (off < (size_t)r && l->tcp_fd >= 0) {
			size_t used = 0, flen = 0;
			uint8_t *frame = NULL;
			enum msg_stream_result res = msg_stream_feed(
			    &l->tcp_in, buf + off, (size_t)r - off, &used, &frame, &flen);

			off += used;
			if (res == MSG_STREAM_ERROR) {
				tcp_failed(n, i, now_ns, "bad record length; reconnecting");
				return;
			}
			if (res == MSG_STREAM_MORE)
				break;
			n->c.tcp_rx_frames++;
			n->rx_tcp = true;
			mesh_frame_in(n, frame, flen, &from, from_len, now_ns);
			n->rx_tcp = false;
		}
		if ((size_t)r < sizeof(buf))
			return;
	}
}

void mesh_base_tcp_event(struct mesh_node *n, size_t i, uint32_t events, uint64_t now_ns)
{
	struct mesh_base_link *l;

	if (n->bases == NULL || i >= n->bases->n)
		return;
	l = &n->bases->link[i];
	if (l->tcp_fd < 0)
		return;
	if (l->tcp_state == MESH_TCP_CONNECTING) {
		int err;

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		/* EPOLLHUP with no error: a socket that is not connecting at
		 * all (closed), never a completed connect. */
		err = tcp_connect_result(l->tcp_fd);
		if (err == 0 && (events & EPOLLHUP))
			err = -ENOTCONN;
		if (err != 0) {
			fprintf(stderr, "subnetrad: base %s: TCP connect: %s\n",
				l->cfg->host, strerror(-err));
			tcp_close(n, i, now_ns, NULL);
			return;
		}
		tcp_connected(n, i, now_ns);
		return;
	}
	if ((events & EPOLLOUT) && !flush_out(n, i, now_ns))
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		tcp_read(n, i, now_ns);
}

void mesh_base_tcp_close_all(struct mesh_node *n)
{
	for (size_t i = 0; n->bases != NULL && i < n->bases->n; i++)
		if (n->bases->link[i].tcp_fd >= 0) {
			close(n->bases->link[i].tcp_fd);
			n->bases->link[i].tcp_fd = -1;
		}
}
