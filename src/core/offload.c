/* TUN offload segmentation (see offload.h). */
#include "core/offload.h"

#include <string.h>

#include "core/bytes/byteorder.h"

void vnet_hdr_decode(struct vnet_hdr *h, const uint8_t in[VNET_HDR_LEN])
{
	h->flags = in[0];
	h->gso_type = in[1];
	memcpy(&h->hdr_len, in + 2, 2);
	memcpy(&h->gso_size, in + 4, 2);
	memcpy(&h->csum_start, in + 6, 2);
	memcpy(&h->csum_offset, in + 8, 2);
}

void vnet_hdr_encode(uint8_t out[VNET_HDR_LEN], const struct vnet_hdr *h)
{
	out[0] = h->flags;
	out[1] = h->gso_type;
	memcpy(out + 2, &h->hdr_len, 2);
	memcpy(out + 4, &h->gso_size, 2);
	memcpy(out + 6, &h->csum_start, 2);
	memcpy(out + 8, &h->csum_offset, 2);
}

/*
 * RFC 1071 sum.  The one's-complement sum does not depend on byte order
 * (RFC 1071 section 2(B)), so the words are added as they lie in memory,
 * 32 bits at a time into two 64-bit lanes (no carry to track: 2^31 steps
 * before overflow), and the folded 16-bit result is read back in memory
 * order, which is its big-endian value on any host.  Three times faster
 * than loading big-endian words byte by byte; it runs over every packet
 * the kernel leaves a partial checksum on and every segment of a
 * super-packet.
 */
uint32_t csum_partial(const uint8_t *p, size_t len, uint32_t sum)
{
	uint64_t a0 = 0, a1 = 0, w0, w1;
	uint32_t w32;
	uint16_t w16;
	uint8_t b[2] = {0, 0};

	while (len >= 16) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		a0 += (w0 & 0xffffffffu) + (w0 >> 32);
		a1 += (w1 & 0xffffffffu) + (w1 >> 32);
		p += 16;
		len -= 16;
	}
	a0 += a1;
	while (len >= 4) {
		memcpy(&w32, p, 4);
		a0 += w32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		a0 += w16;
		p += 2;
		len -= 2;
	}
	if (len) {
		b[0] = p[0]; /* an odd last byte is the high half of its word */
		memcpy(&w16, b, 2);
		a0 += w16;
	}
	while (a0 >> 16)
		a0 = (a0 & 0xffff) + (a0 >> 16);
	w16 = (uint16_t)a0;
	memcpy(b, &w16, 2);
	a0 = (uint64_t)sum + (uint32_t)(b[0] << 8 | b[1]);
	while (a0 >> 32)
		a0 = (a0 & 0xffffffffu) + (a0 >> 32);
	return (uint32_t)a0;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void ipv4_fix(uint8_t *ip, size_t ihl, size_t total, uint16_t id)
{
	store_be16(ip + 2, (uint16_t)total);
	store_be16(ip + 4, id);
	store_be16(ip + 10, 0);
	store_be16(ip + 10, csum_fold(csum_partial(ip, ihl, 0)));
}

/* TCP/UDP checksum over the pseudo-header and the whole L4 segment. */
static void l4_fix(uint8_t *ip, size_t ihl, size_t l4len, size_t csum_off)
{
	uint8_t *l4 = ip + ihl;
	uint32_t sum = csum_partial(ip + 12, 8, 0) + ip[9] + (uint32_t)l4len;
	uint16_t c;

	store_be16(l4 + csum_off, 0);
	c = csum_fold(csum_partial(l4, l4len, sum));
	/* UDP sends a computed 0 as 0xffff (0 means "no checksum"). */
	if (c == 0 && ip[9] == 17)
		c = 0xffff;
	store_be16(l4 + csum_off, c);
}

/*
 * An IPv6 TCP super-packet (TSO6, mesh mode): a 40-byte header whose next
 * header is TCP (no extension headers), a payload length that agrees, and
 * a partial checksum, if any, at the TCP one.
 */
static bool tcpv6_begin(struct offload_iter *it)
{
	const uint8_t *ip = it->pkt;

	if (it->len < IPV6_HLEN + 20 || (ip[0] >> 4) != 6 || ip[6] != 6 ||
	    (size_t)load_be16(ip + 4) + IPV6_HLEN != it->len)
		return false;
	it->l3_len = IPV6_HLEN;
	it->l4_len = (size_t)(ip[IPV6_HLEN + 12] >> 4) * 4;
	if (it->l4_len < 20 || it->len <= IPV6_HLEN + it->l4_len || it->h.gso_size == 0)
		return false;
	if ((it->h.flags & VNET_F_NEEDS_CSUM) &&
	    (it->h.csum_start != IPV6_HLEN || it->h.csum_offset != 16))
		return false;
	it->seg = it->h.gso_size;
	it->v6 = true;
	return true;
}

/* The IPv6 pseudo-header sum (addresses, upper-layer length, next header). */
static uint32_t v6_pseudo(const uint8_t *ip, size_t l4len, uint8_t proto)
{
	return csum_partial(ip + 8, 32, 0) + proto + (uint32_t)l4len;
}

bool offload_begin(struct offload_iter *it, const uint8_t *buf, size_t n)
{
	memset(it, 0, sizeof(*it));
	if (n < VNET_HDR_LEN)
		return false;
	vnet_hdr_decode(&it->h, buf);
	it->pkt = buf + VNET_HDR_LEN;
	it->len = n - VNET_HDR_LEN;
	if ((it->h.gso_type & ~VNET_GSO_ECN) == VNET_GSO_NONE)
		return true;

	if ((it->h.gso_type & ~VNET_GSO_ECN) == VNET_GSO_TCPV6)
		return tcpv6_begin(it);
	/* A GSO packet must be IPv4 TCP or UDP with sane headers. */
	if (it->len < 20 || (it->pkt[0] >> 4) != 4)
		return false;
	it->l3_len = (size_t)(it->pkt[0] & 0x0f) * 4;
	if (it->l3_len < 20 || it->len < it->l3_len + 8)
		return false;
	switch (it->h.gso_type & ~VNET_GSO_ECN) {
	case VNET_GSO_TCPV4:
		if (it->pkt[9] != 6 || it->len < it->l3_len + 20)
			return false;
		it->l4_len = (size_t)(it->pkt[it->l3_len + 12] >> 4) * 4;
		if (it->l4_len < 20)
			return false;
		break;
	case VNET_GSO_UDP_L4:
		if (it->pkt[9] != 17)
			return false;
		it->l4_len = 8;
		break;
	default:
		return false;
	}
	/* Headers, then at least one payload byte, cut into gso_size pieces. */
	if (it->len <= it->l3_len + it->l4_len || it->h.gso_size == 0)
		return false;
	/* A partial checksum must be the L4 one (offload_next recomputes it). */
	if ((it->h.flags & VNET_F_NEEDS_CSUM) &&
	    (it->h.csum_start != it->l3_len ||
	     it->h.csum_offset != (it->pkt[9] == 6 ? 16 : 6)))
		return false;
	it->seg = it->h.gso_size;
	return true;
}

static size_t pass_through(struct offload_iter *it, uint8_t *out, size_t cap)
{
	const struct vnet_hdr *h = &it->h;

	if (it->len > cap)
		return 0;
	memcpy(out, it->pkt, it->len);
	/*
	 * Complete a partial checksum the kernel left for "hardware" to finish:
	 * the field already holds the pseudo-header sum, so summing from
	 * csum_start with the field in place gives the final value.
	 */
	if ((h->flags & VNET_F_NEEDS_CSUM) &&
	    (size_t)h->csum_start + h->csum_offset + 2 <= it->len)
		store_be16(out + h->csum_start + h->csum_offset,
		     csum_fold(csum_partial(out + h->csum_start, it->len - h->csum_start, 0)));
	it->done = true;
	return it->len;
}

size_t offload_next(struct offload_iter *it, uint8_t *out, size_t cap)
{
	size_t hdrs = it->l3_len + it->l4_len, payload, chunk, total;
	const uint8_t *src;
	bool last;

	if (it->done)
		return 0;
	if (it->seg == 0)
		return pass_through(it, out, cap);
	payload = it->len - hdrs;
	chunk = payload - it->off < it->seg ? payload - it->off : it->seg;
	total = hdrs + chunk;
	if (total > cap)
		return 0;
	last = it->off + chunk >= payload;
	src = it->pkt;
	memcpy(out, src, hdrs);
	memcpy(out + hdrs, src + hdrs + it->off, chunk);
	if (it->v6)
		store_be16(out + 4, (uint16_t)(total - IPV6_HLEN));
	else /* Linux numbers the IP ids of TSO segments consecutively. */
		ipv4_fix(out, it->l3_len, total, (uint16_t)(load_be16(src + 4) + it->k));
	if (it->v6 || src[9] == 6) {
		uint8_t *tcp = out + it->l3_len;

		store_be32(tcp + 4, load_be32(src + it->l3_len + 4) + (uint32_t)it->off);
		if (!last)
			tcp[13] &= (uint8_t)~0x09; /* FIN and PSH only on the last */
		if (it->k > 0)
			tcp[13] &= (uint8_t)~0x80; /* CWR only on the first */
		if (it->v6) {
			size_t l4len = it->l4_len + chunk;

			store_be16(tcp + 16, 0);
			store_be16(tcp + 16, csum_fold(csum_partial(tcp, l4len,
								    v6_pseudo(out, l4len, 6))));
		} else {
			l4_fix(out, it->l3_len, it->l4_len + chunk, 16);
		}
	} else {
		store_be16(out + it->l3_len + 4, (uint16_t)(8 + chunk));
		l4_fix(out, it->l3_len, 8 + chunk, 6);
	}
	it->off += chunk;
	it->k++;
	if (last)
		it->done = true;
	return total;
}

/* ---- receive-side coalescing ---- */

enum {
	PROTO_TCP = 6,
	PROTO_UDP = 17,
	UDP_HLEN = 8,
	/* Flags that may appear on a coalescable segment: ACK, and PSH on the last. */
	TCP_ACK = 0x10,
	TCP_PSH = 0x08,
};

void gro_reset(struct tun_gro *g)
{
	g->len = 0;
	g->nsegs = 0;
	g->bytes = 0;
}

/*
 * Is this a plain TCP data segment we know how to merge: IPv4 with a
 * 20-byte header, not a fragment, or (with v6) IPv6 whose next header is
 * TCP; lengths that agree, some payload, only ACK (and PSH) set?
 */
static bool tcp_candidate(const uint8_t *ip, size_t len, bool v6, size_t *l3, size_t *l4)
{
	if (v6 && len >= IPV6_HLEN + 20 && (ip[0] >> 4) == 6) {
		if (ip[6] != PROTO_TCP || (size_t)load_be16(ip + 4) + IPV6_HLEN != len)
			return false;
		*l3 = IPV6_HLEN;
	} else {
		if (len < 40 || (ip[0] >> 4) != 4 || ip[9] != PROTO_TCP)
			return false;
		*l3 = (size_t)(ip[0] & 15) * 4;
		if (*l3 != 20 || load_be16(ip + 2) != len || (load_be16(ip + 6) & 0x3fff) != 0)
			return false; /* options, bad length or a fragment */
	}
	*l4 = (size_t)(ip[*l3 + 12] >> 4) * 4;
	if (*l4 < 20 || *l3 + *l4 >= len)
		return false; /* no payload: pure ACKs go as they are */
	return (ip[*l3 + 13] & (uint8_t)~(TCP_ACK | TCP_PSH)) == 0 && (ip[*l3 + 13] & TCP_ACK);
}

/*
 * Is this a UDP datagram the kernel's UDP GRO would merge?  A 20-byte IP
 * header (no options), not a fragment, lengths that agree, some payload, and
 * a nonzero checksum (the kernel's rule, for symmetry with GSO, which always
 * has one).
 */
static bool udp_candidate(const uint8_t *ip, size_t len)
{
	return len > 20 + UDP_HLEN && ip[0] == 0x45 && ip[9] == PROTO_UDP &&
	       load_be16(ip + 2) == len && (load_be16(ip + 6) & 0x3fff) == 0 &&
	       load_be16(ip + 20 + 4) == len - 20 && load_be16(ip + 20 + 6) != 0;
}

static void gro_start(struct tun_gro *g, const uint8_t *ip, size_t len, size_t l3, size_t l4)
{
	memcpy(g->buf + VNET_HDR_LEN, ip, len);
	g->len = len;
	g->l3_len = l3;
	g->l4_len = l4;
	g->seg = g->last_pay = len - l3 - l4;
	g->nsegs = 1;
	g->bytes = len;
	g->proto = l3 == IPV6_HLEN ? ip[6] : ip[9];
}

/*
 * IPv6: the same first 4 bytes (version, traffic class, flow label), next
 * header and hop limit, addresses and TCP ports.
 */
static bool same_flow6(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 4) == 0 && memcmp(a + 6, b + 6, 2 + 32 + 4) == 0;
}

/*
 * Same IPv4 header but for length, id and checksum (version and IHL, TOS,
 * flags and fragment offset, TTL, protocol, addresses), and the same L4
 * ports: one flow, as GRO of either protocol requires.
 */
static bool same_flow(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 2) == 0 && memcmp(a + 6, b + 6, 4) == 0 &&
	       memcmp(a + 12, b + 12, 8 + 4) == 0;
}

/* Append one segment's payload (of a packet of len bytes) to the superpacket. */
static void gro_append(struct tun_gro *g, const uint8_t *payload, size_t pay, size_t len)
{
	memcpy(g->buf + VNET_HDR_LEN + g->len, payload, pay);
	g->len += pay;
	g->last_pay = pay;
	g->nsegs++;
	g->bytes += len;
}

static bool tcp_join(struct tun_gro *g, const uint8_t *ip, size_t len, size_t l3, size_t l4)
{
	uint8_t *p = g->buf + VNET_HDR_LEN;
	size_t pay = len - l3 - l4;

	/*
	 * Same flow and headers (addresses, ports, ack, window, options: every
	 * header byte but the IP length/id/checksum and the TCP seq/flags/
	 * checksum), the next sequence number, no shorter segment and no PSH
	 * yet, no bigger one now, and room left.
	 */
	if (g->proto != PROTO_TCP || l3 != g->l3_len || l4 != g->l4_len ||
	    load_be32(ip + l3 + 4) != g->next_seq || pay > g->seg || g->last_pay != g->seg ||
	    (p[l3 + 13] & TCP_PSH) || g->len + pay > OFFLOAD_MAX_PACKET ||
	    !(l3 == IPV6_HLEN ? same_flow6(ip, p) : same_flow(ip, p)) ||
	    memcmp(ip + l3 + 8, p + l3 + 8, 5) != 0 || memcmp(ip + l3 + 14, p + l3 + 14, 2) != 0 ||
	    memcmp(ip + l3 + 18, p + l3 + 18, l4 - 18) != 0)
		return false;
	gro_append(g, ip + l3 + l4, pay, len);
	p[l3 + 13] |= ip[l3 + 13] & TCP_PSH;
	g->next_seq += (uint32_t)pay;
	return true;
}

static bool udp_join(struct tun_gro *g, const uint8_t *ip, size_t len)
{
	uint8_t *p = g->buf + VNET_HDR_LEN;
	size_t pay = len - 20 - UDP_HLEN;

	/*
	 * Same flow, no bigger datagram than the first and none after a shorter
	 * one, and room left.
	 */
	if (g->proto != PROTO_UDP || pay > g->seg || g->last_pay != g->seg ||
	    g->nsegs >= GRO_UDP_MAX_SEGS || g->len + pay > OFFLOAD_MAX_PACKET ||
	    !same_flow(ip, p))
		return false;
	gro_append(g, ip + 20 + UDP_HLEN, pay, len);
	return true;
}

bool gro_add(struct tun_gro *g, const uint8_t *ip, size_t len)
{
	size_t l3, l4;

	if (tcp_candidate(ip, len, g->v6, &l3, &l4)) {
		if (g->len != 0)
			return tcp_join(g, ip, len, l3, l4);
		gro_start(g, ip, len, l3, l4);
		g->next_seq = load_be32(ip + l3 + 4) + (uint32_t)g->seg;
		return true;
	}
	if (g->udp && udp_candidate(ip, len)) {
		if (g->len != 0)
			return udp_join(g, ip, len);
		gro_start(g, ip, len, 20, UDP_HLEN);
		return true;
	}
	return false;
}

size_t gro_finish(struct tun_gro *g, const uint8_t **out)
{
	uint8_t *p = g->buf + VNET_HDR_LEN;
	struct vnet_hdr h = {0};

	if (g->len == 0)
		return 0;
	if (g->nsegs == 1) {
		/* A lone segment keeps its own (verified) checksums. */
		h.flags = VNET_F_DATA_VALID;
	} else if (g->l3_len == IPV6_HLEN) {
		size_t l4len = g->len - IPV6_HLEN;

		/* As below, with IPv6's pseudo-header and no IP checksum. */
		store_be16(p + 4, (uint16_t)l4len);
		store_be16(p + IPV6_HLEN + 16, (uint16_t)~csum_fold(v6_pseudo(p, l4len, PROTO_TCP)));
		h.flags = VNET_F_NEEDS_CSUM;
		h.gso_type = VNET_GSO_TCPV6;
		h.hdr_len = (uint16_t)(IPV6_HLEN + g->l4_len);
		h.gso_size = (uint16_t)g->seg;
		h.csum_start = IPV6_HLEN;
		h.csum_offset = 16;
	} else {
		size_t l4len = g->len - g->l3_len;
		uint32_t pseudo = csum_partial(p + 12, 8, 0) + g->proto + (uint32_t)l4len;
		uint16_t csum_off = g->proto == PROTO_TCP ? 16 : 6;

		store_be16(p + 2, (uint16_t)g->len);
		store_be16(p + 10, 0);
		store_be16(p + 10, csum_fold(csum_partial(p, g->l3_len, 0)));
		if (g->proto == PROTO_UDP)
			store_be16(p + g->l3_len + 4, (uint16_t)l4len);
		/*
		 * CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum
		 * (over the whole L4 length; the kernel adjusts it per segment);
		 * the segments were authenticated, so nothing is left to verify.
		 */
		store_be16(p + g->l3_len + csum_off, (uint16_t)~csum_fold(pseudo));
		h.flags = VNET_F_NEEDS_CSUM;
		h.gso_type = g->proto == PROTO_TCP ? VNET_GSO_TCPV4 : VNET_GSO_UDP_L4;
		h.hdr_len = (uint16_t)(g->l3_len + g->l4_len);
		h.gso_size = (uint16_t)g->seg;
		h.csum_start = (uint16_t)g->l3_len;
		h.csum_offset = csum_off;
	}
	vnet_hdr_encode(g->buf, &h);
	*out = g->buf;
	return VNET_HDR_LEN + g->len;
}
