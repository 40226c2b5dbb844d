/* TUN offload segmentation (see offload.h). */
#include "offload.h"

#include <string.h>

static uint16_t ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t ld32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void st32(uint8_t *p, uint32_t v)
{
	st16(p, (uint16_t)(v >> 16));
	st16(p + 2, (uint16_t)v);
}

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

/* Sum of big-endian 16-bit words, 32 bits at a time into a 64-bit total. */
uint32_t csum_partial(const uint8_t *p, size_t len, uint32_t sum)
{
	uint64_t acc = sum;

	while (len >= 4) {
		acc += ld32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		acc += ld16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void ipv4_fix(uint8_t *ip, size_t ihl, size_t total, uint16_t id)
{
	st16(ip + 2, (uint16_t)total);
	st16(ip + 4, id);
	st16(ip + 10, 0);
	st16(ip + 10, csum_fold(csum_partial(ip, ihl, 0)));
}

/* TCP/UDP checksum over the pseudo-header and the whole L4 segment. */
static void l4_fix(uint8_t *ip, size_t ihl, size_t l4len, size_t csum_off)
{
	uint8_t *l4 = ip + ihl;
	uint32_t sum = csum_partial(ip + 12, 8, 0) + ip[9] + (uint32_t)l4len;
	uint16_t c;

	st16(l4 + csum_off, 0);
	c = csum_fold(csum_partial(l4, l4len, sum));
	/* UDP sends a computed 0 as 0xffff (0 means "no checksum"). */
	if (c == 0 && ip[9] == 17)
		c = 0xffff;
	st16(l4 + csum_off, c);
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
	if (it->len < it->l3_len + it->l4_len || it->h.gso_size == 0)
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
		st16(out + h->csum_start + h->csum_offset,
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
	/* Linux numbers the IP ids of TSO segments consecutively. */
	ipv4_fix(out, it->l3_len, total, (uint16_t)(ld16(src + 4) + it->k));
	if (src[9] == 6) {
		uint8_t *tcp = out + it->l3_len;

		st32(tcp + 4, ld32(src + it->l3_len + 4) + (uint32_t)it->off);
		if (!last)
			tcp[13] &= (uint8_t)~0x09; /* FIN and PSH only on the last */
		if (it->k > 0)
			tcp[13] &= (uint8_t)~0x80; /* CWR only on the first */
		l4_fix(out, it->l3_len, it->l4_len + chunk, 16);
	} else {
		st16(out + it->l3_len + 4, (uint16_t)(8 + chunk));
		l4_fix(out, it->l3_len, 8 + chunk, 6);
	}
	it->off += chunk;
	it->k++;
	if (last)
		it->done = true;
	return total;
}
