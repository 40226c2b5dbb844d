/*
 * The UDP underlay: non-blocking sockets (v1: IPv4; mesh mode: one
 * dual-stack IPv6 socket, IPv4 peers as ::ffff:a.b.c.d) and batched I/O through
 * recvmmsg/sendmmsg, with the kernel's UDP segmentation offloads where it
 * has them:
 *   - receive (UDP_GRO): one batch slot may hold several datagrams of one
 *     flow, all gso_size long but the last; udp_rx_segment_size() says so;
 *   - send (UDP_SEGMENT): datagrams queued back to back in memory, of equal
 *     size, for the same destination and tag, leave in one message.
 * The batch structs are preallocated inside the daemon context; no
 * allocation per packet.
 */
#ifndef SUBNETRA_UDP_H
#define SUBNETRA_UDP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/bounds.h"
#include "core/cidr.h"

enum {
	UDP_GSO_MAX_SEGS = 64,
	UDP_GSO_MAX_BYTES = 65507, /* largest IPv4 UDP payload */
	UDP_RX_SLOT_LEN = 65536,   /* a coalesced (GRO) receive fits */
};

/*
 * Bind 0.0.0.0:port and ask for UDP_GRO; returns the fd or -errno.  With
 * reuseport, join the port's SO_REUSEPORT group: the kernel then hands each
 * datagram to one socket of the group by a hash of its addresses and ports,
 * so one peer's traffic (one source endpoint) stays on one socket.
 */
int udp_open(uint16_t port, bool reuseport);
/*
 * The same for [::]:port with IPV6_V6ONLY off: one socket for IPv6 and
 * (v4-mapped) IPv4 peers, as mesh mode uses it.
 */
int udp_open6(uint16_t port, bool reuseport);

/* A peer's address as the kernel reads and writes it, either family. */
union udp_addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

union udp_cmsg {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

struct udp_rx_batch {
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	union udp_addr from[UDP_BATCH]; /* v4 on a udp_open socket */
	union udp_cmsg ctl[UDP_BATCH];
	uint8_t *slots; /* UDP_BATCH * UDP_RX_SLOT_LEN bytes owned by the daemon */
};

/* Points the batch at its slots once at start-up. */
void udp_rx_batch_init(struct udp_rx_batch *b, uint8_t *slots);
static inline uint8_t *udp_rx_slot(const struct udp_rx_batch *b, size_t i)
{
	return b->slots + i * UDP_RX_SLOT_LEN;
}
/*
 * Receive up to UDP_BATCH messages.  Returns the count (0 when none pending)
 * or -errno.  msgs[i].msg_len is each length; MSG_TRUNC in msg_flags marks a
 * message longer than the slot.
 */
int udp_recv_batch(int fd, struct udp_rx_batch *b);
/* The size of each coalesced datagram in message i, or 0 if it is one. */
size_t udp_rx_segment_size(const struct udp_rx_batch *b, size_t i);

struct udp_tx_batch {
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	union udp_addr to[UDP_BATCH];
	socklen_t to_len[UDP_BATCH];
	union udp_cmsg ctl[UDP_BATCH];
	uint16_t seg_size[UDP_BATCH]; /* every segment but the last is this long */
	uint16_t nsegs[UDP_BATCH];
	uint8_t tag[UDP_BATCH];       /* caller's label; only equal tags coalesce */
	size_t n;
	bool gso; /* coalesce with UDP_SEGMENT (cleared if the kernel refuses it) */
};

void udp_tx_batch_init(struct udp_tx_batch *b, bool gso);
/*
 * Queue one datagram (buf must stay valid until udp_send_batch), merged into
 * the previous message when GSO allows it.  The batch must not be full
 * (udp_tx_full).
 */
void udp_tx_add(struct udp_tx_batch *b, const uint8_t *buf, size_t len,
		const struct endpoint4 *to, uint8_t tag);
/* The same to an address of either family (to_len: its sockaddr's size,
 * zero-filled beyond its fields, since destinations compare as bytes). */
void udp_tx_add_addr(struct udp_tx_batch *b, const uint8_t *buf, size_t len,
		     const union udp_addr *to, socklen_t to_len, uint8_t tag);
static inline bool udp_tx_full(const struct udp_tx_batch *b)
{
	return b->n == UDP_BATCH;
}
/*
 * Send the batch.  Afterwards msgs[i].msg_len != 0 iff message i (all its
 * nsegs[i] datagrams) was accepted.  A message the kernel refuses is skipped
 * (a GSO message is retried as single datagrams first, and GSO is turned off
 * for the batch); a full socket buffer ends the batch.  The caller accounts
 * for each message, then empties the batch (b->n = 0).
 */
void udp_send_batch(int fd, struct udp_tx_batch *b);
/* The same for messages [from, to) only. */
void udp_send_range(int fd, struct udp_tx_batch *b, size_t from, size_t to);

void endpoint_from_sockaddr(struct endpoint4 *e, const struct sockaddr_in *sa);
void endpoint_to_sockaddr(struct sockaddr_in *sa, const struct endpoint4 *e);

#endif
