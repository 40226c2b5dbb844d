/*
 * The UDP underlay: non-blocking IPv4 sockets and batched I/O through
 * recvmmsg/sendmmsg.  The batch structs are preallocated inside the daemon
 * context; no allocation per packet.
 */
#ifndef SUBNETRA_UDP_H
#define SUBNETRA_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "bounds.h"
#include "cidr.h"

/* Bind 0.0.0.0:port; returns the fd or -errno. */
int udp_open(uint16_t port);

struct udp_rx_batch {
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_in from[UDP_BATCH];
	uint8_t (*slots)[PKT_BUF_LEN]; /* UDP_BATCH slots owned by the daemon */
};

/* Points the batch at its slots once at start-up. */
void udp_rx_batch_init(struct udp_rx_batch *b, uint8_t (*slots)[PKT_BUF_LEN]);
/*
 * Receive up to UDP_BATCH datagrams.  Returns the count (0 when none pending)
 * or -errno.  msgs[i].msg_len is each length; MSG_TRUNC in msg_flags marks a
 * datagram longer than the slot.
 */
int udp_recv_batch(int fd, struct udp_rx_batch *b);

struct udp_tx_batch {
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_in to[UDP_BATCH];
	size_t n;
};

/* Append one datagram (buf must stay valid until udp_send_batch). */
void udp_tx_add(struct udp_tx_batch *b, const uint8_t *buf, size_t len,
		const struct endpoint4 *to);
/*
 * Send the batch with sendmmsg; returns how many datagrams were accepted.
 * Afterwards msgs[i].msg_len != 0 iff datagram i was accepted: a datagram the
 * kernel refuses (a per-destination error) is skipped, and a full socket
 * buffer (EAGAIN) ends the batch.  The caller counts the refused ones, then
 * empties the batch (b->n = 0).
 */
size_t udp_send_batch(int fd, struct udp_tx_batch *b);

void endpoint_from_sockaddr(struct endpoint4 *e, const struct sockaddr_in *sa);

#endif
