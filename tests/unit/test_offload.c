/*
 * TUN offloads: a TCP or UDP super-packet is cut into MSS-sized IPv4 packets
 * whose headers and checksums match what the kernel would send, a partial
 * checksum is completed, malformed GSO metadata is refused; and received UDP
 * datagrams of one flow are coalesced into a UDP_L4 super-packet under the
 * kernel's GRO rules and limits, which cuts back into the same datagrams.
 * Checksums are verified with an independent byte-at-a-time sum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/offload.h"

/* Reference RFC 1071 sum, one 16-bit word at a time. */
static uint16_t ref_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The pseudo-header sum (addresses, protocol, L4 length), not folded. */
static uint32_t pseudo_sum(const uint8_t *ip, size_t l4len)
{
	uint32_t sum = 0;

	for (int i = 12; i < 20; i += 2)
		sum += be16(ip + i);
	return sum + ip[9] + (uint32_t)l4len;
}

/* The same, folded but not complemented: what a partial checksum field holds. */
static uint16_t pseudo_folded(const uint8_t *ip, size_t l4len)
{
	return (uint16_t)~ref_csum(NULL, 0, pseudo_sum(ip, l4len));
}

/* A TCP/UDP checksum verifies when the sum over pseudo-header + segment is 0. */
static bool l4_ok(const uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 15) * 4, l4 = len - ihl;

	return ref_csum(ip + ihl, l4, pseudo_sum(ip, l4)) == 0;
}

/* vnet header + IPv4/TCP super-packet with `payload` bytes, MSS `mss`. */
static size_t make_tso(uint8_t *buf, size_t payload, uint16_t mss, uint8_t tcp_flags)
{
	struct vnet_hdr h = {
		.flags = VNET_F_NEEDS_CSUM,
		.gso_type = VNET_GSO_TCPV4,
		.hdr_len = 52,
		.gso_size = mss,
		.csum_start = 20,
		.csum_offset = 16,
	};
	uint8_t *ip = buf + VNET_HDR_LEN, *tcp = ip + 20;
	size_t total = 20 + 32 + payload;

	vnet_hdr_encode(buf, &h);
	memset(ip, 0, 52);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(total >> 8);
	ip[3] = (uint8_t)total;
	ip[4] = 0x12;
	ip[5] = 0x34; /* id */
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, "\x0a\x00\x00\x02\x0a\x00\x00\x03", 8);
	tcp[0] = 0x9c;
	tcp[1] = 0x40; /* sport */
	tcp[2] = 0x14;
	tcp[3] = 0x51; /* dport 5201 */
	memcpy(tcp + 4, "\xff\xff\xff\x00", 4); /* seq close to wrapping */
	tcp[12] = 8 << 4;                        /* 32-byte header (options) */
	tcp[13] = tcp_flags;
	for (size_t i = 0; i < payload; i++)
		tcp[32 + i] = (uint8_t)(i * 7 + 3);
	return VNET_HDR_LEN + total;
}

/* csum_partial against the reference: every length and alignment, chained sums. */
static void test_csum_partial(void **state)
{
	static uint8_t buf[1600 + 8];
	uint32_t rnd = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		rnd = rnd * 1103515245u + 12345u;
		buf[i] = (uint8_t)(rnd >> 16);
	}
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len <= 1600; len++) {
			/* A pseudo-header-sized start value, up to 24 bits. */
			uint32_t seed = ((uint32_t)len * 2654435761u) >> 8;

			assert_int_equal(csum_fold(csum_partial(buf + off, len, seed)),
					 ref_csum(buf + off, len, seed));
		}
		/* Chained over an even split, as l4_fix does with the pseudo-header. */
		assert_int_equal(
		    csum_fold(csum_partial(buf + off + 600, 1000, csum_partial(buf + off, 600, 0))),
		    ref_csum(buf + off, 1600, 0));
	}
	/* All ones and all zeros: the two representations of zero stay apart. */
	memset(buf, 0xff, 64);
	assert_int_equal(csum_fold(csum_partial(buf, 64, 0)), ref_csum(buf, 64, 0));
	memset(buf, 0, 64);
	assert_int_equal(csum_fold(csum_partial(buf, 64, 0)), 0xffff);
}

static void test_tcp_segmentation(void **state)
{
	static uint8_t buf[VNET_HDR_LEN + 65535], out[2048], joined[65535];
	const size_t payload = 10000;
	const uint16_t mss = 1384;
	struct offload_iter it;
	size_t n, off = 0;
	unsigned k = 0;

	(void)state;
	n = make_tso(buf, payload, mss, 0x18 | 0x01 | 0x80); /* PSH ACK FIN CWR */
	assert_true(offload_begin(&it, buf, n));
	while ((n = offload_next(&it, out, sizeof(out))) > 0) {
		size_t chunk = n - 52;
		bool last = off + chunk == payload;

		assert_true(chunk == mss || last);
		assert_int_equal(be16(out + 2), n);
		assert_int_equal(be16(out + 4), 0x1234 + k);
		assert_int_equal(ref_csum(out, 20, 0), 0);
		assert_true(l4_ok(out, n));
		assert_int_equal(be32(out + 24), (uint32_t)(0xffffff00u + off));
		assert_int_equal(out[52 - 32 + 13] & 0x09, last ? 0x09 : 0);
		assert_int_equal(out[52 - 32 + 13] & 0x80, k == 0 ? 0x80 : 0);
		memcpy(joined + off, out + 52, chunk);
		off += chunk;
		k++;
	}
	assert_int_equal(off, payload);
	assert_int_equal(k, (payload + mss - 1) / mss);
	assert_memory_equal(joined, buf + VNET_HDR_LEN + 52, payload);
}

static void test_pass_through_completes_checksum(void **state)
{
	static uint8_t buf[VNET_HDR_LEN + 2048], out[2048];
	struct offload_iter it;
	struct vnet_hdr h;
	uint8_t *ip = buf + VNET_HDR_LEN;
	uint32_t pseudo = 0;
	size_t n;

	(void)state;
	n = make_tso(buf, 300, 1384, 0x18);
	/* Not GSO: one packet whose TCP checksum holds only the pseudo sum. */
	vnet_hdr_decode(&h, buf);
	h.gso_type = VNET_GSO_NONE;
	vnet_hdr_encode(buf, &h);
	for (int i = 12; i < 20; i += 2)
		pseudo += be16(ip + i);
	pseudo += 6 + (uint32_t)(n - VNET_HDR_LEN - 20);
	while (pseudo >> 16)
		pseudo = (pseudo & 0xffff) + (pseudo >> 16);
	ip[20 + 16] = (uint8_t)(pseudo >> 8);
	ip[20 + 17] = (uint8_t)pseudo;
	assert_true(offload_begin(&it, buf, n));
	assert_int_equal(offload_next(&it, out, sizeof(out)), n - VNET_HDR_LEN);
	assert_true(l4_ok(out, n - VNET_HDR_LEN));
	assert_int_equal(offload_next(&it, out, sizeof(out)), 0);
	assert_true(it.done);
}

static void test_plain_packet_untouched(void **state)
{
	uint8_t buf[VNET_HDR_LEN + 28] = {0}, out[64];
	struct offload_iter it;

	(void)state;
	buf[VNET_HDR_LEN] = 0x45;
	buf[VNET_HDR_LEN + 27] = 0x99;
	assert_true(offload_begin(&it, buf, sizeof(buf)));
	assert_int_equal(offload_next(&it, out, sizeof(out)), 28);
	assert_memory_equal(out, buf + VNET_HDR_LEN, 28);
	/* Too small a buffer: nothing written, not done (caller counts oversize). */
	assert_true(offload_begin(&it, buf, sizeof(buf)));
	assert_int_equal(offload_next(&it, out, 10), 0);
	assert_false(it.done);
}

static void test_malformed_gso_refused(void **state)
{
	static uint8_t buf[VNET_HDR_LEN + 4096];
	struct offload_iter it;
	struct vnet_hdr h;
	size_t n;

	(void)state;
	assert_false(offload_begin(&it, buf, VNET_HDR_LEN - 1));
	n = make_tso(buf, 3000, 1384, 0x10);
	vnet_hdr_decode(&h, buf);
	h.gso_size = 0;
	vnet_hdr_encode(buf, &h);
	assert_false(offload_begin(&it, buf, n)); /* zero MSS */
	n = make_tso(buf, 3000, 1384, 0x10);
	buf[VNET_HDR_LEN + 9] = 17;
	assert_false(offload_begin(&it, buf, n)); /* TCPV4 but UDP */
	n = make_tso(buf, 3000, 1384, 0x10);
	buf[VNET_HDR_LEN] = 0x65;
	assert_false(offload_begin(&it, buf, n)); /* not IPv4 */
	n = make_tso(buf, 3000, 1384, 0x10);
	buf[VNET_HDR_LEN + 20 + 12] = 0xf0;
	assert_false(offload_begin(&it, buf, VNET_HDR_LEN + 40)); /* TCP header past the end */
}

/* ---- UDP: splitting kernel USO super-packets, coalescing datagrams ---- */

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Fill in the IPv4 header checksum and a complete UDP checksum. */
static void udp_set_csums(uint8_t *ip)
{
	size_t l4 = be16(ip + 2) - 20u;
	uint16_t c;

	put16(ip + 10, 0);
	put16(ip + 10, ref_csum(ip, 20, 0));
	put16(ip + 26, 0);
	c = ref_csum(ip + 20, l4, pseudo_sum(ip, l4));
	put16(ip + 26, c == 0 ? 0xffff : c);
}

/* IPv4/UDP 10.0.0.2:sport -> 10.0.0.3:5201, DF, TTL 64, valid checksums. */
static size_t make_udp(uint8_t *ip, size_t payload, uint16_t sport, uint16_t id, uint8_t seed)
{
	size_t len = 28 + payload;

	memset(ip, 0, 28);
	ip[0] = 0x45;
	put16(ip + 2, len);
	put16(ip + 4, id);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x00\x02\x0a\x00\x00\x03", 8);
	put16(ip + 20, sport);
	put16(ip + 22, 5201);
	put16(ip + 24, 8 + payload);
	for (size_t i = 0; i < payload; i++)
		ip[28 + i] = (uint8_t)(seed + i * 13);
	udp_set_csums(ip);
	return len;
}

/* vnet header + IPv4/UDP super-packet as the kernel hands it over (USO). */
static size_t make_uso(uint8_t *buf, size_t payload, uint16_t gso_size)
{
	struct vnet_hdr h = {
		.flags = VNET_F_NEEDS_CSUM,
		.gso_type = VNET_GSO_UDP_L4,
		.hdr_len = 28,
		.gso_size = gso_size,
		.csum_start = 20,
		.csum_offset = 6,
	};
	uint8_t *ip = buf + VNET_HDR_LEN;

	vnet_hdr_encode(buf, &h);
	make_udp(ip, payload, 40000, 0x1234, 5);
	/* The kernel leaves the folded pseudo-header sum for "hardware". */
	put16(ip + 26, pseudo_folded(ip, 8 + payload));
	return VNET_HDR_LEN + 28 + payload;
}

static void test_udp_segmentation(void **state)
{
	static uint8_t buf[VNET_HDR_LEN + 65535], out[2048], joined[65535];
	const size_t payload = 64 * 1000 + 123; /* 65 segments, the last short */
	const uint16_t gso = 1000;
	struct offload_iter it;
	size_t n, off = 0;
	unsigned k = 0;

	(void)state;
	n = make_uso(buf, payload, gso);
	assert_true(offload_begin(&it, buf, n));
	while ((n = offload_next(&it, out, sizeof(out))) > 0) {
		size_t chunk = n - 28;

		assert_true(chunk == gso || (off + chunk == payload && chunk == 123));
		assert_int_equal(be16(out + 2), n);
		assert_int_equal(be16(out + 4), 0x1234 + k);
		assert_int_equal(ref_csum(out, 20, 0), 0);
		assert_int_equal(be16(out + 24), 8 + chunk);
		assert_true(l4_ok(out, n));
		assert_memory_equal(out + 20, buf + VNET_HDR_LEN + 20, 4); /* ports */
		memcpy(joined + off, out + 28, chunk);
		off += chunk;
		k++;
	}
	assert_true(it.done);
	assert_int_equal(off, payload);
	assert_int_equal(k, 65);
	assert_memory_equal(joined, buf + VNET_HDR_LEN + 28, payload);
}

static void test_malformed_uso_refused(void **state)
{
	static uint8_t buf[VNET_HDR_LEN + 65535], out[2048];
	struct offload_iter it;
	struct vnet_hdr h;
	size_t n;

	(void)state;
	/* Sanity: the unmodified packet is accepted. */
	n = make_uso(buf, 3000, 1000);
	assert_true(offload_begin(&it, buf, n));

	h.gso_size = 0;
	vnet_hdr_decode(&h, buf);
	h.gso_size = 0;
	vnet_hdr_encode(buf, &h);
	assert_false(offload_begin(&it, buf, n)); /* zero gso_size */

	n = make_uso(buf, 3000, 1000);
	assert_false(offload_begin(&it, buf, VNET_HDR_LEN + 27)); /* truncated UDP header */
	assert_false(offload_begin(&it, buf, VNET_HDR_LEN + 28)); /* headers, no payload */
	assert_false(offload_begin(&it, buf, VNET_HDR_LEN + 19)); /* truncated IP header */

	static const uint16_t bad_start[] = {0, 19, 21, 28, 0xffff};
	for (size_t i = 0; i < sizeof(bad_start) / sizeof(bad_start[0]); i++) {
		n = make_uso(buf, 3000, 1000);
		vnet_hdr_decode(&h, buf);
		h.csum_start = bad_start[i];
		vnet_hdr_encode(buf, &h);
		assert_false(offload_begin(&it, buf, n)); /* csum_start off the UDP header */
	}
	n = make_uso(buf, 3000, 1000);
	vnet_hdr_decode(&h, buf);
	h.csum_offset = 16; /* TCP's */
	vnet_hdr_encode(buf, &h);
	assert_false(offload_begin(&it, buf, n));

	n = make_uso(buf, 3000, 1000);
	buf[VNET_HDR_LEN + 9] = 6;
	assert_false(offload_begin(&it, buf, n)); /* UDP_L4 but TCP */
	n = make_uso(buf, 3000, 1000);
	buf[VNET_HDR_LEN] = 0x60;
	assert_false(offload_begin(&it, buf, n)); /* IPv6 (USO6): not ours */
	n = make_uso(buf, 3000, 1000);
	buf[VNET_HDR_LEN] = 0x4f; /* IHL 60 > what is there of it */
	assert_false(offload_begin(&it, buf, VNET_HDR_LEN + 60));

	/* gso_size past any datagram: no segment fits, not done (caller counts). */
	n = make_uso(buf, 3000, 1500);
	assert_true(offload_begin(&it, buf, n));
	assert_int_equal(offload_next(&it, out, 1452), 0);
	assert_false(it.done);
}

/* Cut a finished super-packet into its datagrams with offload_next, as the kernel would. */
static size_t resegment(const uint8_t *sp, size_t n, uint8_t (*segs)[2048], size_t max)
{
	struct offload_iter it;
	size_t k = 0, len;

	assert_true(offload_begin(&it, sp, n));
	while (k < max && (len = offload_next(&it, segs[k], sizeof(segs[k]))) > 0) {
		assert_true(l4_ok(segs[k], len));
		assert_int_equal(ref_csum(segs[k], 20, 0), 0);
		k++;
	}
	assert_true(it.done);
	return k;
}

static void test_udp_coalesce(void **state)
{
	static struct tun_gro g;
	static uint8_t pkts[10][2048], segs[16][2048];
	const uint8_t *sp;
	struct vnet_hdr h;
	size_t n, total = 0;
	uint8_t *ip = g.buf + VNET_HDR_LEN;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.udp = true;
	for (size_t i = 0; i < 10; i++) {
		/* Nine of 1372 bytes and a shorter last one; ids as a sender numbers them. */
		size_t len = make_udp(pkts[i], i < 9 ? 1372 : 77, 40000, (uint16_t)(100 + i),
				      (uint8_t)i);

		assert_true(gro_add(&g, pkts[i], len));
		total += len;
	}
	assert_int_equal(g.nsegs, 10);
	assert_int_equal(g.bytes, total);
	n = gro_finish(&g, &sp);
	assert_ptr_equal(sp, g.buf);
	assert_int_equal(n, VNET_HDR_LEN + 28 + 9 * 1372 + 77);
	vnet_hdr_decode(&h, sp);
	assert_int_equal(h.flags, VNET_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, VNET_GSO_UDP_L4);
	assert_int_equal(h.gso_size, 1372);
	assert_int_equal(h.hdr_len, 28);
	assert_int_equal(h.csum_start, 20);
	assert_int_equal(h.csum_offset, 6);
	/* IP: the whole length, the first datagram's id, a valid checksum. */
	assert_int_equal(be16(ip + 2), n - VNET_HDR_LEN);
	assert_int_equal(be16(ip + 4), 100);
	assert_int_equal(ref_csum(ip, 20, 0), 0);
	/* UDP: the whole length; the checksum field is the pseudo-header sum. */
	assert_int_equal(be16(ip + 24), n - VNET_HDR_LEN - 20);
	assert_int_equal(be16(ip + 26), pseudo_folded(ip, n - VNET_HDR_LEN - 20));
	/* Completing it the way the kernel does gives a valid checksum (reference sum). */
	{
		static uint8_t whole[65535];

		memcpy(whole, ip, n - VNET_HDR_LEN);
		put16(whole + 26, ref_csum(whole + 20, n - VNET_HDR_LEN - 20, 0));
		assert_true(l4_ok(whole, n - VNET_HDR_LEN));
	}
	/* Cut back: the same ten datagrams, byte for byte apart from the ids. */
	assert_int_equal(resegment(sp, n, segs, 16), 10);
	for (size_t i = 0; i < 10; i++) {
		size_t len = be16(pkts[i] + 2);

		assert_int_equal(be16(segs[i] + 2), len);
		assert_memory_equal(segs[i], pkts[i], 4);
		assert_memory_equal(segs[i] + 6, pkts[i] + 6, 4);
		assert_memory_equal(segs[i] + 12, pkts[i] + 12, len - 12);
	}
	gro_reset(&g);
	assert_int_equal(g.len, 0);
	assert_int_equal(gro_finish(&g, &sp), 0);

	/* A lone datagram goes as it came, its checksums marked valid. */
	n = make_udp(pkts[0], 500, 40000, 7, 1);
	assert_true(gro_add(&g, pkts[0], n));
	assert_int_equal(gro_finish(&g, &sp), VNET_HDR_LEN + n);
	vnet_hdr_decode(&h, sp);
	assert_int_equal(h.flags, VNET_F_DATA_VALID);
	assert_int_equal(h.gso_type, VNET_GSO_NONE);
	assert_memory_equal(sp + VNET_HDR_LEN, pkts[0], n);
}

/* What may not join a pending 1000-byte datagram of flow 40000 (or start one). */
static void test_udp_coalesce_refused(void **state)
{
	static struct tun_gro g;
	static uint8_t first[2048], p[2048];
	size_t n;

	(void)state;
	memset(&g, 0, sizeof(g));
	n = make_udp(first, 1000, 40000, 1, 0);
	assert_false(gro_add(&g, first, n)); /* the TUN has no USO: never */
	g.udp = true;

#define START() (gro_reset(&g), assert_true(gro_add(&g, first, n)))
#define REFUSED(stmt)                                                    \
	do {                                                             \
		START();                                                 \
		size_t m_ = make_udp(p, 1000, 40000, 2, 0);              \
		stmt;                                                    \
		assert_false(gro_add(&g, p, m_));                        \
		assert_int_equal(g.nsegs, 1);                            \
	} while (0)

	REFUSED(put16(p + 20, 40001); udp_set_csums(p));          /* other source port */
	REFUSED(put16(p + 22, 5202); udp_set_csums(p));           /* other destination port */
	REFUSED(p[19] = 4; udp_set_csums(p));                     /* other destination */
	REFUSED(p[15] = 9; udp_set_csums(p));                     /* other source */
	REFUSED(p[1] = 0x10; udp_set_csums(p));                   /* TOS */
	REFUSED(p[8] = 63; udp_set_csums(p));                     /* TTL */
	REFUSED(p[6] = 0; udp_set_csums(p));                      /* DF differs */
	REFUSED(m_ = make_udp(p, 1001, 40000, 2, 0));             /* bigger than the first */
	REFUSED(p[6] = 0x20; udp_set_csums(p));                   /* MF: a fragment */
	REFUSED(p[6] = 0x40; p[7] = 0x10; udp_set_csums(p));      /* fragment offset */
	REFUSED(put16(p + 26, 0));                                /* no UDP checksum */
	REFUSED(put16(p + 24, 1000); udp_set_csums(p));           /* UDP length short */
	REFUSED(m_ -= 1);                                         /* IP length != read */
	REFUSED(m_ = 28; put16(p + 2, 28); put16(p + 24, 8); udp_set_csums(p)); /* empty */
	/* IP options (IHL 6): not a candidate at all. */
	REFUSED(memmove(p + 24, p + 20, 1008); p[0] = 0x46; p[20] = p[21] = p[22] = p[23] = 0;
		m_ += 4; put16(p + 2, m_); udp_set_csums(p));

	/* Nothing may follow a shorter datagram. */
	START();
	assert_true(gro_add(&g, p, make_udp(p, 999, 40000, 2, 0)));
	assert_false(gro_add(&g, p, make_udp(p, 999, 40000, 3, 0)));
	assert_false(gro_add(&g, p, make_udp(p, 1000, 40000, 3, 0)));
	assert_int_equal(g.nsegs, 2);

	/* A TCP segment never joins a UDP super-packet (and vice versa). */
	{
		static uint8_t tso[VNET_HDR_LEN + 2048];
		size_t t = make_tso(tso, 100, 1384, 0x10) - VNET_HDR_LEN;

		START();
		assert_false(gro_add(&g, tso + VNET_HDR_LEN, t));
		gro_reset(&g);
		assert_true(gro_add(&g, tso + VNET_HDR_LEN, t));
		assert_false(gro_add(&g, first, n));
	}
#undef REFUSED
#undef START
}

static void test_udp_coalesce_limits(void **state)
{
	static struct tun_gro g;
	static uint8_t p[2048];
	const uint8_t *sp;
	struct vnet_hdr h;
	unsigned k;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.udp = true;
	/* 64 datagrams at most (the kernel's UDP GRO limit)... */
	for (k = 0; gro_add(&g, p, make_udp(p, 100, 40000, (uint16_t)k, 3)); k++)
		;
	assert_int_equal(k, GRO_UDP_MAX_SEGS);
	assert_int_equal(g.nsegs, 64);
	/* ...and 64 KiB: 46 datagrams of 1400 bytes (28 + 46 * 1400 = 64428). */
	gro_reset(&g);
	for (k = 0; gro_add(&g, p, make_udp(p, 1400, 40000, (uint16_t)k, 3)); k++)
		;
	assert_int_equal(k, 46);
	assert_true(gro_finish(&g, &sp) <= VNET_HDR_LEN + 65535);
	/* Exactly at the bound: 28 + 46 * 1400 + 1107 = 65535 still fits. */
	gro_reset(&g);
	for (k = 0; k < 46; k++)
		assert_true(gro_add(&g, p, make_udp(p, 1400, 40000, (uint16_t)k, 3)));
	assert_true(gro_add(&g, p, make_udp(p, 1107, 40000, 46, 3)));
	assert_int_equal(gro_finish(&g, &sp), VNET_HDR_LEN + 65535);
	vnet_hdr_decode(&h, sp);
	assert_int_equal(h.gso_size, 1400);
	assert_int_equal(be16(g.buf + VNET_HDR_LEN + 2), 65535);
	assert_int_equal(be16(g.buf + VNET_HDR_LEN + 24), 65515);
	gro_reset(&g);
	for (k = 0; k < 46; k++)
		assert_true(gro_add(&g, p, make_udp(p, 1400, 40000, (uint16_t)k, 3)));
	assert_false(gro_add(&g, p, make_udp(p, 1108, 40000, 46, 3)));
}

/*
 * Randomized: datagrams of a few flows and sizes go through the coalescer the
 * way rx.c drives it (refused -> write the pending one, retry once, else write
 * as is); cutting every write back must give the input stream, in order.
 */
static void test_udp_coalesce_random(void **state)
{
	static struct tun_gro g;
	static uint8_t in[400][2048], segs[64][2048];
	size_t lens[400], next = 0, writes = 0;
	uint16_t flow = 40000;
	uint32_t rnd = 12345;
	const uint8_t *sp;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.udp = true;
	for (size_t i = 0; i < 400; i++) {
		size_t pay;

		rnd = rnd * 1103515245u + 12345u;
		pay = (rnd >> 8) % 8 == 0 ? 1 + (rnd >> 12) % 1400 : 1200;
		if ((rnd >> 20) % 16 == 0)
			flow ^= 1; /* runs of one flow, interleaved with another */
		lens[i] = make_udp(in[i], pay, flow, (uint16_t)i, (uint8_t)i);
	}
#define EMIT()                                                                     \
	do {                                                                       \
		size_t n_ = gro_finish(&g, &sp), k_;                               \
		if (n_ == 0)                                                       \
			break;                                                     \
		k_ = resegment(sp, n_, segs, 64);                                  \
		writes++;                                                          \
		for (size_t j_ = 0; j_ < k_; j_++, next++) {                       \
			assert_int_equal(be16(segs[j_] + 2), lens[next]);          \
			assert_memory_equal(segs[j_] + 12, in[next] + 12,          \
					    lens[next] - 12);                      \
		}                                                                  \
		gro_reset(&g);                                                     \
	} while (0)
	for (size_t i = 0; i < 400; i++) {
		if (gro_add(&g, in[i], lens[i]))
			continue;
		EMIT();
		assert_true(gro_add(&g, in[i], lens[i]));
	}
	EMIT();
#undef EMIT
	assert_int_equal(next, 400);
	assert_true(writes < 100); /* it did coalesce */
}

/* IPv6 TCP checksum of a whole packet (40-byte header): 0 when correct. */
static uint16_t v6_l4_csum(const uint8_t *ip, size_t len)
{
	uint32_t sum = 6 + (uint32_t)(len - 40);

	for (size_t i = 8; i < 40; i += 2)
		sum += be16(ip + i);
	return ref_csum(ip + 40, len - 40, sum);
}

/*
 * Mesh mode: a TSO6 super-packet is cut into IPv6 segments with complete
 * headers and checksums, and coalescing (v6 on) merges them back into one
 * TCPV6 super-packet carrying the same bytes.
 */
static void test_tcpv6_segment_and_coalesce(void **state)
{
	static uint8_t buf[VNET_HDR_LEN + 65535], out[2048];
	static struct tun_gro g = {.v6 = true}, g4 = {.v6 = false};
	const size_t payload = 9000, mss = 1340;
	struct vnet_hdr h = {.flags = VNET_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV6,
			     .hdr_len = 60, .gso_size = 1340, .csum_start = 40, .csum_offset = 16};
	uint8_t *ip = buf + VNET_HDR_LEN;
	struct offload_iter it;
	const uint8_t *sp;
	struct vnet_hdr got;
	size_t n, off = 0;
	unsigned k = 0;

	(void)state;
	memset(buf, 0, sizeof buf);
	vnet_hdr_encode(buf, &h);
	ip[0] = 0x60;
	ip[4] = (uint8_t)((20 + payload) >> 8);
	ip[5] = (uint8_t)(20 + payload);
	ip[6] = 6;
	ip[7] = 64;
	ip[8] = 0xfc, ip[9] = 0x94, ip[23] = 1;
	ip[24] = 0xfc, ip[25] = 0x94, ip[39] = 2;
	ip[40] = 0x13, ip[41] = 0x89, ip[43] = 80;
	ip[44] = 0xff, ip[45] = 0xff, ip[46] = 0xff, ip[47] = 0x00; /* seq wraps */
	ip[52] = 0x50, ip[53] = 0x18; /* PSH ACK */
	for (size_t i = 0; i < payload; i++)
		ip[60 + i] = (uint8_t)(i * 7);
	assert_true(offload_begin(&it, buf, VNET_HDR_LEN + 60 + payload));
	while ((n = offload_next(&it, out, sizeof out)) > 0) {
		size_t chunk = n - 60;
		bool last = off + chunk == payload;

		assert_true(chunk == mss || last);
		assert_int_equal(be16(out + 4), n - 40);
		assert_int_equal(v6_l4_csum(out, n), 0);
		assert_int_equal(be32(out + 44), (uint32_t)(0xffffff00u + off));
		assert_int_equal(out[53] & 0x08, last ? 0x08 : 0);
		assert_true(gro_add(&g, out, n));
		/* IPv4-only coalescing leaves IPv6 alone. */
		assert_false(gro_add(&g4, out, n));
		off += chunk;
		k++;
	}
	assert_int_equal(k, (payload + mss - 1) / mss);
	assert_int_equal(g.nsegs, k);
	n = gro_finish(&g, &sp);
	assert_int_equal(n, VNET_HDR_LEN + 60 + payload);
	vnet_hdr_decode(&got, sp);
	assert_int_equal(got.gso_type, VNET_GSO_TCPV6);
	assert_int_equal(got.gso_size, mss);
	assert_int_equal(got.csum_start, 40);
	assert_int_equal(got.csum_offset, 16);
	assert_int_equal(be16(sp + VNET_HDR_LEN + 4), 20 + payload);
	assert_memory_equal(sp + VNET_HDR_LEN + 60, ip + 60, payload);
	gro_reset(&g);
	/* A malformed TSO6 packet (payload length disagrees) is refused. */
	ip[4] = 0;
	assert_false(offload_begin(&it, buf, VNET_HDR_LEN + 60 + payload));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_partial),
		cmocka_unit_test(test_tcp_segmentation),
		cmocka_unit_test(test_pass_through_completes_checksum),
		cmocka_unit_test(test_plain_packet_untouched),
		cmocka_unit_test(test_malformed_gso_refused),
		cmocka_unit_test(test_udp_segmentation),
		cmocka_unit_test(test_malformed_uso_refused),
		cmocka_unit_test(test_udp_coalesce),
		cmocka_unit_test(test_udp_coalesce_refused),
		cmocka_unit_test(test_udp_coalesce_limits),
		cmocka_unit_test(test_udp_coalesce_random),
		cmocka_unit_test(test_tcpv6_segment_and_coalesce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
