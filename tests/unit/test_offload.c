/*
 * TUN offload segmentation: a TCP super-packet is cut into MSS-sized IPv4
 * packets whose headers and checksums match what the kernel would send, a
 * partial checksum is completed, and malformed GSO metadata is refused.
 * Checksums are verified with an independent byte-at-a-time sum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "offload.h"

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

/* A TCP/UDP checksum verifies when the sum over pseudo-header + segment is 0. */
static bool l4_ok(const uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 15) * 4, l4 = len - ihl;
	uint32_t pseudo = 0;

	for (int i = 12; i < 20; i += 2)
		pseudo += be16(ip + i);
	pseudo += ip[9] + (uint32_t)l4;
	return ref_csum(ip + ihl, l4, pseudo) == 0;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_segmentation),
		cmocka_unit_test(test_pass_through_completes_checksum),
		cmocka_unit_test(test_plain_packet_untouched),
		cmocka_unit_test(test_malformed_gso_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
