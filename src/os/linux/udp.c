/* UDP underlay sockets and batched I/O with GSO/GRO (see udp.h). */
#include "os/linux/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

/*
 * Generous socket buffers absorb bursts between wake-ups; FORCE works as root
 * (before privileges are dropped), the plain option is the fallback.
 */
static void set_bufsize(int fd, int force_opt, int opt, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

/* A bound, non-blocking socket of family for port; fd or -errno. */
static int open_bound(int family, const struct sockaddr *sa, socklen_t sa_len, bool reuseport)
{
	int fd, err, one = 1, zero = 0;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	set_bufsize(fd, SO_RCVBUFFORCE, SO_RCVBUF, 8 << 20);
	set_bufsize(fd, SO_SNDBUFFORCE, SO_SNDBUF, 8 << 20);
	/* Optional: without it every message is one datagram. */
	(void)setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	/* Dual stack whatever the host's default (net.ipv6.bindv6only). */
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
		goto fail;
	if (bind(fd, sa, sa_len) < 0)
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

int udp_open(uint16_t port, bool reuseport)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_ANY) };

	return open_bound(AF_INET, (const struct sockaddr *)&sa, sizeof(sa), reuseport);
}

int udp_open6(uint16_t port, bool reuseport)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_ANY_INIT };

	return open_bound(AF_INET6, (const struct sockaddr *)&sa, sizeof(sa), reuseport);
}

void udp_rx_batch_init(struct udp_rx_batch *b, uint8_t *slots)
{
	memset(b, 0, sizeof(*b));
	b->slots = slots;
	for (size_t i = 0; i < UDP_BATCH; i++) {
		b->iov[i].iov_base = udp_rx_slot(b, i);
		b->iov[i].iov_len = UDP_RX_SLOT_LEN;
		b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
		b->msgs[i].msg_hdr.msg_iovlen = 1;
		b->msgs[i].msg_hdr.msg_name = &b->from[i];
	}
}

/* EINTR again, EAGAIN is 0: tun_read's loop, around a call of another type. */
int udp_recv_batch(int fd, struct udp_rx_batch *b)
{
	for (size_t i = 0; i < UDP_BATCH; i++) {
		/* recvmmsg overwrites these; reset before every call. */
		b->msgs[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
		b->msgs[i].msg_hdr.msg_control = b->ctl[i].buf;
		b->msgs[i].msg_hdr.msg_controllen = sizeof(b->ctl[i].buf);
		b->msgs[i].msg_hdr.msg_flags = 0;
		b->msgs[i].msg_len = 0;
	}
	for (;;) {
		int n = recvmmsg(fd, b->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -errno;
	}
}

size_t udp_rx_segment_size(const struct udp_rx_batch *b, size_t i)
{
	const struct msghdr *m = &b->msgs[i].msg_hdr;

	/* CMSG_NXTHDR takes a non-const header; it only reads it. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)(uintptr_t)m, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int gso;

			memcpy(&gso, CMSG_DATA(c), sizeof(gso));
			return gso > 0 && (size_t)gso < b->msgs[i].msg_len ? (size_t)gso : 0;
		}
	}
	return 0;
}

void udp_tx_batch_init(struct udp_tx_batch *b, bool gso)
{
	memset(b, 0, sizeof(*b));
	b->gso = gso;
}

void udp_tx_add(struct udp_tx_batch *b, const uint8_t *buf, size_t len,
		const struct endpoint4 *to, uint8_t tag)
{
	union udp_addr a;

	endpoint_to_sockaddr(&a.v4, to);
	udp_tx_add_addr(b, buf, len, &a, sizeof(a.v4), tag);
}

void udp_tx_add_addr(struct udp_tx_batch *b, const uint8_t *buf, size_t len,
		     const union udp_addr *to, socklen_t to_len, uint8_t tag)
{
	size_t i;

	if (b->gso && b->n > 0) {
		i = b->n - 1;
		/*
		 * GSO cuts a message into seg_size pieces: it can carry this
		 * datagram only if it follows in memory, is no longer than the
		 * others, and no shorter (final) piece was queued yet.
		 */
		if (b->tag[i] == tag && b->to_len[i] == to_len &&
		    memcmp(&b->to[i], to, to_len) == 0 &&
		    (const uint8_t *)b->iov[i].iov_base + b->iov[i].iov_len == buf &&
		    len <= b->seg_size[i] &&
		    b->iov[i].iov_len == (size_t)b->nsegs[i] * b->seg_size[i] &&
		    b->nsegs[i] < UDP_GSO_MAX_SEGS &&
		    b->iov[i].iov_len + len <= UDP_GSO_MAX_BYTES) {
			b->iov[i].iov_len += len;
			b->nsegs[i]++;
			return;
		}
	}
	i = b->n++;
	memcpy(&b->to[i], to, to_len);
	b->to_len[i] = to_len;
	/* sendmmsg takes a non-const iovec; the buffer is only read. */
	b->iov[i].iov_base = (void *)(uintptr_t)buf;
	b->iov[i].iov_len = len;
	b->seg_size[i] = (uint16_t)len;
	b->nsegs[i] = 1;
	b->tag[i] = tag;
}

/* Attach UDP_SEGMENT to message i when it carries several datagrams. */
static void prepare(struct udp_tx_batch *b, size_t i)
{
	struct msghdr *m = &b->msgs[i].msg_hdr;

	memset(&b->msgs[i], 0, sizeof(b->msgs[i]));
	m->msg_iov = &b->iov[i];
	m->msg_iovlen = 1;
	m->msg_name = &b->to[i];
	m->msg_namelen = b->to_len[i];
	if (b->nsegs[i] > 1) {
		struct cmsghdr *c;
		uint16_t seg = b->seg_size[i];

		m->msg_control = b->ctl[i].buf;
		m->msg_controllen = CMSG_SPACE(sizeof(uint16_t));
		c = CMSG_FIRSTHDR(m);
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	}
}

/*
 * The kernel refused a GSO message (no checksum offload on the route's
 * device, or an old kernel): send its datagrams one by one.
 */
static bool send_split(int fd, struct udp_tx_batch *b, size_t i)
{
	const uint8_t *p = b->iov[i].iov_base;
	size_t left = b->iov[i].iov_len;

	while (left > 0) {
		size_t len = left < b->seg_size[i] ? left : b->seg_size[i];

		if (sendto(fd, p, len, MSG_DONTWAIT, &b->to[i].sa, b->to_len[i]) < 0)
			return false;
		p += len;
		left -= len;
	}
	return true;
}

void udp_send_batch(int fd, struct udp_tx_batch *b)
{
	udp_send_range(fd, b, 0, b->n);
}

void udp_send_range(int fd, struct udp_tx_batch *b, size_t from, size_t to)
{
	size_t done = from;

	for (size_t i = from; i < to; i++)
		prepare(b, i);
	while (done < to) {
		int n = sendmmsg(fd, b->msgs + done, (unsigned)(to - done), MSG_DONTWAIT);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			/*
			 * The head message cannot go.  A GSO message gets one
			 * more chance as single datagrams; either way the rest
			 * of the batch is not held back by one bad message.
			 */
			if (b->nsegs[done] > 1 && (errno == EIO || errno == EINVAL ||
						   errno == EOPNOTSUPP)) {
				b->gso = false;
				if (send_split(fd, b, done))
					b->msgs[done].msg_len = (unsigned)b->iov[done].iov_len;
			}
			done++;
			continue;
		}
		break;
	}
}

void endpoint_from_sockaddr(struct endpoint4 *e, const struct sockaddr_in *sa)
{
	e->addr = ntohl(sa->sin_addr.s_addr);
	e->port = ntohs(sa->sin_port);
}

void endpoint_to_sockaddr(struct sockaddr_in *sa, const struct endpoint4 *e)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(e->port);
	sa->sin_addr.s_addr = htonl(e->addr);
}
