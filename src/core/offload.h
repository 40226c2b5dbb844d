/*
 * TUN offloads (IFF_VNET_HDR): every packet read from or written to the TUN
 * is preceded by a virtio_net_hdr.  With TSO/USO and checksum offload on, a
 * read may return one large TCP or UDP "super-packet" of up to 64 KiB with a
 * partial checksum; offload_next() cuts it into MTU-sized IPv4 packets with
 * complete headers and checksums, exactly as the kernel would have sent them.
 * In the other direction tun_gro merges received packets of one flow into
 * such a super-packet.  Pure code over buffers: no I/O.
 */
#ifndef SUBNETRA_OFFLOAD_H
#define SUBNETRA_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	VNET_HDR_LEN = 10,
	OFFLOAD_MAX_PACKET = 65535, /* largest IPv4 packet a TUN read returns */
	IPV6_HLEN = 40,
	GRO_UDP_MAX_SEGS = 64,      /* datagrams per UDP super-packet (kernel UDP GRO) */
};

/* struct virtio_net_hdr, host byte order (the TUN default on little-endian). */
struct vnet_hdr {
	uint8_t flags;    /* VNET_F_* */
	uint8_t gso_type; /* VNET_GSO_* */
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

enum {
	VNET_F_NEEDS_CSUM = 1,
	VNET_F_DATA_VALID = 2,
	VNET_GSO_NONE = 0,
	VNET_GSO_TCPV4 = 1,
	VNET_GSO_TCPV6 = 4, /* mesh mode only (its TUN carries IPv6) */
	VNET_GSO_UDP_L4 = 5,
	VNET_GSO_ECN = 0x80,
};

void vnet_hdr_decode(struct vnet_hdr *h, const uint8_t in[VNET_HDR_LEN]);
void vnet_hdr_encode(uint8_t out[VNET_HDR_LEN], const struct vnet_hdr *h);

/* Walks the packets contained in one TUN read. */
struct offload_iter {
	const uint8_t *pkt; /* the IPv4 packet after the vnet header */
	size_t len;
	struct vnet_hdr h;
	size_t l3_len, l4_len; /* header lengths */
	size_t off;            /* payload bytes already emitted */
	size_t seg;            /* payload bytes per segment; 0 = not GSO */
	unsigned k;            /* segments emitted */
	bool v6;               /* an IPv6 TCP super-packet (VNET_GSO_TCPV6) */
	bool done;
};

/*
 * Start on one TUN read (vnet header + packet, n bytes).  Returns false for
 * a GSO packet that is malformed (not IPv4 TCP/UDP of the announced type,
 * truncated headers, no payload, gso_size 0, or a partial checksum that
 * does not point at the L4 checksum field): the caller drops it.  A packet
 * that is not GSO (or not IPv4) is passed through by offload_next unchanged
 * apart from its checksum.
 */
bool offload_begin(struct offload_iter *it, const uint8_t *buf, size_t n);
/*
 * Write the next complete packet to out (room for cap bytes) and return its
 * length; 0 when there is none left (or it would not fit in cap).
 */
size_t offload_next(struct offload_iter *it, uint8_t *out, size_t cap);

/*
 * Internet checksum helpers (RFC 1071), exposed for the tests.  csum_partial
 * adds the sum of p[0..len) as big-endian 16-bit words to sum; the result
 * is only defined up to folding (csum_fold), and may be fed back in.
 */
uint32_t csum_partial(const uint8_t *p, size_t len, uint32_t sum);
uint16_t csum_fold(uint32_t sum);

/*
 * Receive-side coalescing ("GRO" in userspace), after the kernel's own GRO
 * rules, so the kernel sees one packet instead of dozens:
 *   - consecutive in-order TCP segments of one flow, all of one size but the
 *     last, become one TUN write of a TCPV4 super-packet;
 *   - with `udp` set (the TUN accepted USO), consecutive UDP datagrams of one
 *     flow (same addresses, ports, TOS, TTL and DF; no IP options, no
 *     fragments, a nonzero checksum), all of one payload size but a shorter
 *     last one, at most GRO_UDP_MAX_SEGS of them, become one UDP_L4
 *     super-packet that the kernel cuts back into the same datagrams.
 * Anything else is written as it is.  One pending packet, in one
 * preallocated buffer: nothing is allocated.
 */
struct tun_gro {
	size_t len;       /* bytes of pending packet in buf (0 = none) */
	size_t l3_len, l4_len;
	size_t seg;       /* payload size of the first segment */
	size_t last_pay;  /* payload size of the latest segment */
	unsigned nsegs;
	uint64_t bytes;   /* inner bytes absorbed (for the counters) */
	uint32_t next_seq;
	uint8_t proto;    /* of the pending packet: 6 TCP, 17 UDP */
	bool udp;         /* coalesce UDP too; set once at start-up */
	bool v6;          /* coalesce IPv6 TCP too (mesh mode); set once at start-up */
	uint8_t buf[VNET_HDR_LEN + OFFLOAD_MAX_PACKET];
};

/*
 * Absorb packet ip[0..len) into the pending super-packet, or start one when
 * none is pending.  false: it cannot join (the caller writes the pending
 * one, then tries again once, then writes this packet as it is).
 */
bool gro_add(struct tun_gro *g, const uint8_t *ip, size_t len);
/*
 * Finish the pending super-packet: returns its length (vnet header
 * included) with *out pointing at it, or 0 if none; the caller writes it
 * and calls gro_reset().
 */
size_t gro_finish(struct tun_gro *g, const uint8_t **out);
void gro_reset(struct tun_gro *g);

#endif
