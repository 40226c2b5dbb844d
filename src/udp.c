/* UDP underlay sockets and batched I/O (see udp.h). */
#include "udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

/*
 * Generous socket buffers absorb bursts between wake-ups; FORCE works as root
 * (before privileges are dropped), the plain option is the fallback.
 */
static void set_bufsize(int fd, int force_opt, int opt, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

int udp_open(uint16_t port)
{
	struct sockaddr_in sa;
	int fd, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	set_bufsize(fd, SO_RCVBUFFORCE, SO_RCVBUF, 4 << 20);
	set_bufsize(fd, SO_SNDBUFFORCE, SO_SNDBUF, 4 << 20);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

void udp_rx_batch_init(struct udp_rx_batch *b, uint8_t (*slots)[PKT_BUF_LEN])
{
	memset(b, 0, sizeof(*b));
	b->slots = slots;
	for (size_t i = 0; i < UDP_BATCH; i++) {
		b->iov[i].iov_base = slots[i];
		b->iov[i].iov_len = PKT_BUF_LEN;
		b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
		b->msgs[i].msg_hdr.msg_iovlen = 1;
		b->msgs[i].msg_hdr.msg_name = &b->from[i];
	}
}

int udp_recv_batch(int fd, struct udp_rx_batch *b)
{
	for (size_t i = 0; i < UDP_BATCH; i++) {
		/* recvmmsg overwrites these; reset before every call. */
		b->msgs[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
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

void udp_tx_add(struct udp_tx_batch *b, const uint8_t *buf, size_t len,
		const struct endpoint4 *to)
{
	size_t i = b->n++;

	b->to[i].sin_family = AF_INET;
	b->to[i].sin_port = htons(to->port);
	b->to[i].sin_addr.s_addr = htonl(to->addr);
	memset(b->to[i].sin_zero, 0, sizeof(b->to[i].sin_zero));
	/* sendmmsg takes a non-const iovec; the buffer is only read. */
	b->iov[i].iov_base = (void *)(uintptr_t)buf;
	b->iov[i].iov_len = len;
	memset(&b->msgs[i], 0, sizeof(b->msgs[i]));
	b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
	b->msgs[i].msg_hdr.msg_iovlen = 1;
	b->msgs[i].msg_hdr.msg_name = &b->to[i];
	b->msgs[i].msg_hdr.msg_namelen = sizeof(b->to[i]);
}

size_t udp_send_batch(int fd, struct udp_tx_batch *b)
{
	size_t done = 0, sent = 0;

	while (done < b->n) {
		int n = sendmmsg(fd, b->msgs + done, (unsigned)(b->n - done), MSG_DONTWAIT);

		if (n > 0) {
			done += (size_t)n;
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/*
		 * EAGAIN or a per-destination error (e.g. EPERM from a firewall,
		 * ENETUNREACH): the head datagram cannot go.  Skip it so one bad
		 * destination does not block the rest of the batch.
		 */
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			b->msgs[done].msg_len = 0;
			done++;
			continue;
		}
		break;
	}
	return sent;
}

void endpoint_from_sockaddr(struct endpoint4 *e, const struct sockaddr_in *sa)
{
	e->addr = ntohl(sa->sin_addr.s_addr);
	e->port = ntohs(sa->sin_port);
}
