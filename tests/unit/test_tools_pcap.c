/*
 * Capture reading (tools/lib/pcap.c) and hex input (tools/lib/hexio.c) for
 * subnetra-wire-decode: classic pcap in both byte orders and both timestamp
 * resolutions, pcapng sections in both byte orders with several interfaces
 * and timestamp resolutions, every supported link type, the frames that are
 * skipped or malformed, damaged files, and a randomized damage run (under
 * ASan in the sanitizer build) that must end in PCAP_END or PCAP_ERROR,
 * never in a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/lib/hexio.h"
#include "tools/lib/pcap.h"

#define IP4(a, b, c, d)                                                                  \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* ---- byte builders ---- */

struct bytes {
	uint8_t b[8192];
	size_t n;
	bool be; /* multi-byte fields big-endian */
};

static void put8(struct bytes *x, uint8_t v)
{
	assert_true(x->n < sizeof x->b);
	x->b[x->n++] = v;
}

static void put16(struct bytes *x, uint16_t v)
{
	if (x->be) {
		put8(x, (uint8_t)(v >> 8));
		put8(x, (uint8_t)v);
	} else {
		put8(x, (uint8_t)v);
		put8(x, (uint8_t)(v >> 8));
	}
}

static void put32(struct bytes *x, uint32_t v)
{
	if (x->be) {
		put16(x, (uint16_t)(v >> 16));
		put16(x, (uint16_t)v);
	} else {
		put16(x, (uint16_t)v);
		put16(x, (uint16_t)(v >> 16));
	}
}

static void putn(struct bytes *x, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(x, p[i]);
}

static void set_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void set_be32(uint8_t *p, uint32_t v)
{
	set_be16(p, (uint16_t)(v >> 16));
	set_be16(p + 2, (uint16_t)v);
}

/* IPv4 + UDP + payload (payload bytes = 0xa0 + i) into out; returns its length. */
static size_t ipv4_udp(uint8_t *out, uint32_t src, uint16_t sport, uint32_t dst,
		       uint16_t dport, size_t payload)
{
	size_t total = 20 + 8 + payload;

	memset(out, 0, total);
	out[0] = 0x45;
	set_be16(out + 2, (uint16_t)total);
	out[6] = 0x40; /* DF */
	out[8] = 64;
	out[9] = 17;
	set_be32(out + 12, src);
	set_be32(out + 16, dst);
	set_be16(out + 20, sport);
	set_be16(out + 22, dport);
	set_be16(out + 24, (uint16_t)(8 + payload));
	for (size_t i = 0; i < payload; i++)
		out[28 + i] = (uint8_t)(0xa0 + i);
	return total;
}

static size_t ethernet(uint8_t *out, const uint8_t *ip, size_t ip_len, int vlans)
{
	size_t n = 12;

	memset(out, 0x11, 12);
	for (int i = 0; i < vlans; i++) {
		set_be16(out + n, i == 0 && vlans == 2 ? 0x88a8 : 0x8100);
		set_be16(out + n + 2, 42);
		n += 4;
	}
	set_be16(out + n, 0x0800);
	memcpy(out + n + 2, ip, ip_len);
	return n + 2 + ip_len;
}

static void classic_header(struct bytes *x, bool nano, uint32_t linktype)
{
	put32(x, nano ? 0xa1b23c4d : 0xa1b2c3d4);
	put16(x, 2);
	put16(x, 4);
	put32(x, 0);
	put32(x, 0);
	put32(x, 262144);
	put32(x, linktype);
}

static void classic_record(struct bytes *x, uint32_t sec, uint32_t frac, const uint8_t *p,
			   size_t caplen, size_t origlen)
{
	put32(x, sec);
	put32(x, frac);
	put32(x, (uint32_t)caplen);
	put32(x, (uint32_t)origlen);
	putn(x, p, caplen);
}

static FILE *open_bytes(const uint8_t *p, size_t n)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	if (n > 0)
		assert_int_equal(fwrite(p, 1, n, f), n);
	rewind(f);
	return f;
}

/* Reads all of x; returns records seen; the last status in *last. */
static size_t read_all(const struct bytes *x, enum pcap_status *last, char *err,
		       size_t errcap)
{
	struct pcap_reader r;
	struct pcap_record rec;
	FILE *f = open_bytes(x->b, x->n);
	size_t n = 0;

	if (!pcap_open(&r, f)) {
		snprintf(err, errcap, "%s", r.err);
		*last = PCAP_ERROR;
		fclose(f);
		return 0;
	}
	while ((*last = pcap_next(&r, &rec)) == PCAP_RECORD) {
		struct pcap_udp u;
		const char *why;

		(void)pcap_dissect_udp(&rec, &u, &why);
		n++;
	}
	snprintf(err, errcap, "%s", r.err);
	pcap_close(&r);
	fclose(f);
	return n;
}

/* ---- classic ---- */

static void check_classic(bool be, bool nano)
{
	struct bytes x = {.be = be};
	uint8_t ip[256], frame[300];
	size_t ip_len =
	    ipv4_udp(ip, IP4(203, 0, 113, 2), 18020, IP4(203, 0, 113, 1), 18023, 40);
	size_t fl = ethernet(frame, ip, ip_len, 0);
	struct pcap_reader r;
	struct pcap_record rec;
	struct pcap_udp u;
	const char *why;
	FILE *f;

	classic_header(&x, nano, 1);
	classic_record(&x, 1746843357, nano ? 141467429 : 141467, frame, fl, fl);
	f = open_bytes(x.b, x.n);
	assert_true(pcap_open(&r, f));
	assert_int_equal(pcap_next(&r, &rec), PCAP_RECORD);
	assert_int_equal(rec.index, 1);
	assert_int_equal(rec.linktype, 1);
	assert_true(rec.has_ts);
	assert_int_equal(rec.ts_sec, 1746843357);
	assert_int_equal(rec.ts_nsec, nano ? 141467429 : 141467000);
	assert_int_equal(pcap_dissect_udp(&rec, &u, &why), DISSECT_UDP);
	assert_int_equal(u.src.addr, IP4(203, 0, 113, 2));
	assert_int_equal(u.src.port, 18020);
	assert_int_equal(u.dst.addr, IP4(203, 0, 113, 1));
	assert_int_equal(u.dst.port, 18023);
	assert_int_equal(u.len, 40);
	assert_int_equal(u.payload[0], 0xa0);
	assert_int_equal(u.payload[39], 0xa0 + 39);
	assert_int_equal(pcap_next(&r, &rec), PCAP_END);
	pcap_close(&r);
	fclose(f);
}

static void test_classic_orders(void **state)
{
	(void)state;
	check_classic(false, false);
	check_classic(true, false);
	check_classic(false, true);
	check_classic(true, true);
}

/*
 * The sub-second field must be below one second in the file's unit: 999999 us
 * and 999999999 ns are the largest valid ones.  4294968 us is the first value
 * whose product with 1000 wraps 32 bits (to 704, which looked valid), and
 * 1000000 us / 1000000000 ns are one second too many: no time, still a record.
 */
static void test_classic_timestamp_range(void **state)
{
	static const struct {
		bool nano;
		uint32_t frac;
		bool has_ts;
		uint32_t nsec;
	} cases[] = {
	    {false, 0, true, 0},
	    {false, 999999, true, 999999000},
	    {false, 1000000, false, 0},
	    {false, 4294968, false, 0},
	    {false, UINT32_MAX, false, 0},
	    {true, 999999999, true, 999999999},
	    {true, 1000000000, false, 0},
	    {true, UINT32_MAX, false, 0},
	};
	uint8_t ip[64];
	size_t ip_len = ipv4_udp(ip, IP4(10, 0, 0, 1), 1, IP4(10, 0, 0, 2), 2, 4);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bytes x = {.be = false};
		struct pcap_reader r;
		struct pcap_record rec;
		FILE *f;

		classic_header(&x, cases[i].nano, LINKTYPE_RAW);
		classic_record(&x, 1746843357, cases[i].frac, ip, ip_len, ip_len);
		f = open_bytes(x.b, x.n);
		assert_true(pcap_open(&r, f));
		assert_int_equal(pcap_next(&r, &rec), PCAP_RECORD);
		assert_int_equal(rec.has_ts, cases[i].has_ts);
		if (cases[i].has_ts) {
			assert_int_equal(rec.ts_sec, 1746843357);
			assert_int_equal(rec.ts_nsec, cases[i].nsec);
		}
		assert_int_equal(pcap_next(&r, &rec), PCAP_END);
		pcap_close(&r);
		fclose(f);
	}
}

/* One frame of `linktype` holding ip; what the dissector makes of it. */
static enum pcap_dissect dissect_one(uint32_t linktype, const uint8_t *frame, size_t n,
				     struct pcap_udp *u, const char **why)
{
	static struct pcap_record rec;

	rec = (struct pcap_record){
	    .index = 1, .linktype = linktype, .data = frame, .caplen = n, .origlen = n};
	return pcap_dissect_udp(&rec, u, why);
}

static void test_link_types(void **state)
{
	uint8_t ip[128], f[200];
	size_t ip_len = ipv4_udp(ip, IP4(10, 1, 1, 1), 5000, IP4(10, 1, 1, 2), 6000, 36);
	struct pcap_udp u;
	const char *why;
	size_t n;

	(void)state;
	/* Ethernet with one and two VLAN tags. */
	for (int vlans = 0; vlans <= 2; vlans++) {
		n = ethernet(f, ip, ip_len, vlans);
		assert_int_equal(dissect_one(LINKTYPE_ETHERNET, f, n, &u, &why),
				 DISSECT_UDP);
		assert_int_equal(u.len, 36);
	}
	/* Ethernet padding after a short packet is not payload. */
	n = ethernet(f, ip, ip_len, 0);
	memset(f + n, 0xee, 10);
	assert_int_equal(dissect_one(LINKTYPE_ETHERNET, f, n + 10, &u, &why),
			 DISSECT_UDP);
	assert_int_equal(u.len, 36);

	/* Linux cooked v1: protocol at 14. */
	memset(f, 0, 16);
	set_be16(f + 14, 0x0800);
	memcpy(f + 16, ip, ip_len);
	assert_int_equal(dissect_one(LINKTYPE_LINUX_SLL, f, 16 + ip_len, &u, &why),
			 DISSECT_UDP);
	assert_int_equal(u.dst.port, 6000);

	/* Linux cooked v2: protocol at 0. */
	memset(f, 0, 20);
	set_be16(f, 0x0800);
	memcpy(f + 20, ip, ip_len);
	assert_int_equal(dissect_one(LINKTYPE_LINUX_SLL2, f, 20 + ip_len, &u, &why),
			 DISSECT_UDP);

	/* BSD loopback: AF_INET in either byte order; LOOP is big-endian. */
	memset(f, 0, 4);
	f[0] = 2;
	memcpy(f + 4, ip, ip_len);
	assert_int_equal(dissect_one(LINKTYPE_NULL, f, 4 + ip_len, &u, &why),
			 DISSECT_UDP);
	f[0] = 0;
	f[3] = 2;
	assert_int_equal(dissect_one(LINKTYPE_LOOP, f, 4 + ip_len, &u, &why),
			 DISSECT_UDP);
	f[3] = 24; /* AF_INET6 on some BSDs */
	assert_int_equal(dissect_one(LINKTYPE_NULL, f, 4 + ip_len, &u, &why),
			 DISSECT_SKIP);

	/* Raw IP. */
	assert_int_equal(dissect_one(LINKTYPE_RAW, ip, ip_len, &u, &why), DISSECT_UDP);
	assert_int_equal(dissect_one(LINKTYPE_IPV4, ip, ip_len, &u, &why), DISSECT_UDP);

	/* Something else. */
	assert_int_equal(dissect_one(147, ip, ip_len, &u, &why),
			 DISSECT_UNSUPPORTED_LINK);
	assert_non_null(strstr(why, "not supported"));
}

static void test_skipped_and_malformed(void **state)
{
	uint8_t ip[128], f[200];
	size_t ip_len;
	struct pcap_udp u;
	const char *why;

	(void)state;
	ip_len = ipv4_udp(ip, IP4(10, 1, 1, 1), 5000, IP4(10, 1, 1, 2), 6000, 36);

	ip[9] = 6; /* TCP */
	assert_int_equal(dissect_one(LINKTYPE_RAW, ip, ip_len, &u, &why), DISSECT_SKIP);
	assert_string_equal(why, "TCP");
	ip[9] = 17;

	ip[6] = 0x20; /* MF: first fragment */
	assert_int_equal(dissect_one(LINKTYPE_RAW, ip, ip_len, &u, &why), DISSECT_SKIP);
	assert_non_null(strstr(why, "fragment"));
	ip[6] = 0x00;
	ip[7] = 0x10; /* offset: later fragment */
	assert_int_equal(dissect_one(LINKTYPE_RAW, ip, ip_len, &u, &why), DISSECT_SKIP);
	ip[6] = 0x40;
	ip[7] = 0;

	ip[0] = 0x60;
	assert_int_equal(dissect_one(LINKTYPE_RAW, ip, ip_len, &u, &why), DISSECT_SKIP);
	assert_non_null(strstr(why, "IPv6"));
	ip[0] = 0x45;

	/* Snap length cut the payload. */
	assert_int_equal(dissect_one(LINKTYPE_RAW, ip, ip_len - 10, &u, &why),
			 DISSECT_TRUNCATED);
	assert_int_equal(u.len, 26);
	assert_int_equal(u.wire_len, 36);

	/* Lengths that contradict each other. */
	ip[0] = 0x44; /* IHL 16 bytes */
	assert_int_equal(dissect_one(LINKTYPE_RAW, ip, ip_len, &u, &why),
			 DISSECT_MALFORMED);
	ip[0] = 0x45;
	set_be16(ip + 24, 7); /* UDP length below its header */
	assert_int_equal(dissect_one(LINKTYPE_RAW, ip, ip_len, &u, &why),
			 DISSECT_MALFORMED);
	set_be16(ip + 24, 200); /* UDP length beyond the IP packet */
	assert_int_equal(dissect_one(LINKTYPE_RAW, ip, ip_len, &u, &why),
			 DISSECT_MALFORMED);
	set_be16(ip + 24, 44);
	set_be16(ip + 2, 24); /* total length cuts into the UDP header */
	assert_int_equal(dissect_one(LINKTYPE_RAW, ip, ip_len, &u, &why),
			 DISSECT_MALFORMED);
	set_be16(ip + 2, (uint16_t)ip_len);
	assert_int_equal(dissect_one(LINKTYPE_RAW, ip, 10, &u, &why), DISSECT_MALFORMED);
	assert_int_equal(dissect_one(LINKTYPE_RAW, ip, 0, &u, &why), DISSECT_MALFORMED);
	assert_int_equal(dissect_one(LINKTYPE_ETHERNET, f, 5, &u, &why),
			 DISSECT_MALFORMED);

	/* ARP. */
	memset(f, 0, 60);
	set_be16(f + 12, 0x0806);
	assert_int_equal(dissect_one(LINKTYPE_ETHERNET, f, 60, &u, &why), DISSECT_SKIP);
	assert_string_equal(why, "ARP");
}

static void test_classic_damage(void **state)
{
	struct bytes x = {.be = false};
	uint8_t frame[100] = {0};
	enum pcap_status last;
	char err[PCAP_ERR_MAX];

	(void)state;
	/* Empty, short and foreign files. */
	assert_int_equal(read_all(&x, &last, err, sizeof err), 0);
	assert_int_equal(last, PCAP_ERROR);
	assert_non_null(strstr(err, "too short"));
	memcpy(x.b, "GIF89a", 6);
	x.n = 6;
	read_all(&x, &last, err, sizeof err);
	assert_non_null(strstr(err, "not a pcap"));

	/* Header only: a valid, empty capture. */
	x.n = 0;
	classic_header(&x, false, 1);
	assert_int_equal(read_all(&x, &last, err, sizeof err), 0);
	assert_int_equal(last, PCAP_END);
	x.n -= 1; /* cut header */
	read_all(&x, &last, err, sizeof err);
	assert_int_equal(last, PCAP_ERROR);

	/* A record cut in its body, then in its header. */
	x.n = 0;
	classic_header(&x, false, 1);
	classic_record(&x, 1, 2, frame, sizeof frame, sizeof frame);
	classic_record(&x, 1, 2, frame, sizeof frame, sizeof frame);
	x.n -= 7;
	assert_int_equal(read_all(&x, &last, err, sizeof err), 1);
	assert_int_equal(last, PCAP_ERROR);
	assert_non_null(strstr(err, "truncated"));
	x.n = 24 + 16 + sizeof frame + 5;
	assert_int_equal(read_all(&x, &last, err, sizeof err), 1);
	assert_non_null(strstr(err, "record 2"));

	/* An absurd captured length. */
	x.n = 0;
	classic_header(&x, false, 1);
	put32(&x, 1);
	put32(&x, 2);
	put32(&x, 0x7fffffff);
	put32(&x, 0x7fffffff);
	read_all(&x, &last, err, sizeof err);
	assert_int_equal(last, PCAP_ERROR);
	assert_non_null(strstr(err, "exceeds"));

	/* Unsupported version. */
	x.n = 0;
	classic_header(&x, false, 1);
	x.b[4] = 3;
	read_all(&x, &last, err, sizeof err);
	assert_non_null(strstr(err, "version"));
}

/* ---- pcapng ---- */

static void ng_block(struct bytes *x, uint32_t type, const struct bytes *body)
{
	uint32_t len = (uint32_t)(12 + ((body->n + 3) & ~(size_t)3));

	put32(x, type);
	put32(x, len);
	putn(x, body->b, body->n);
	while ((x->n & 3) != 0)
		put8(x, 0);
	put32(x, len);
}

static void ng_shb(struct bytes *x)
{
	struct bytes b = {.be = x->be};

	put32(&b, 0x1a2b3c4d);
	put16(&b, 1);
	put16(&b, 0);
	put32(&b, 0xffffffff);
	put32(&b, 0xffffffff);
	ng_block(x, 0x0a0d0d0a, &b);
}

static void ng_idb(struct bytes *x, uint16_t linktype, int tsresol)
{
	struct bytes b = {.be = x->be};

	put16(&b, linktype);
	put16(&b, 0);
	put32(&b, 262144);
	if (tsresol >= 0) {
		put16(&b, 9);
		put16(&b, 1);
		put8(&b, (uint8_t)tsresol);
		put8(&b, 0);
		put8(&b, 0);
		put8(&b, 0);
		put16(&b, 0);
		put16(&b, 0);
	}
	ng_block(x, 1, &b);
}

static void ng_epb(struct bytes *x, uint32_t iface, uint64_t ts, const uint8_t *p,
		   size_t n)
{
	struct bytes b = {.be = x->be};

	put32(&b, iface);
	put32(&b, (uint32_t)(ts >> 32));
	put32(&b, (uint32_t)ts);
	put32(&b, (uint32_t)n);
	put32(&b, (uint32_t)n);
	putn(&b, p, n);
	ng_block(x, 6, &b);
}

static void ng_spb(struct bytes *x, const uint8_t *p, size_t n)
{
	struct bytes b = {.be = x->be};

	put32(&b, (uint32_t)n);
	putn(&b, p, n);
	ng_block(x, 3, &b);
}

static void build_ng(struct bytes *x, const uint8_t *frame, size_t fl, const uint8_t *ip,
		     size_t ip_len)
{
	struct bytes other = {.be = x->be};

	ng_shb(x);
	ng_idb(x, LINKTYPE_ETHERNET, -1);   /* iface 0: microseconds (default) */
	ng_idb(x, LINKTYPE_RAW, 9);	    /* iface 1: nanoseconds */
	ng_idb(x, LINKTYPE_RAW, 0x80 | 10); /* iface 2: 2^-10 s */
	put32(&other, 42);
	ng_block(x, 0x00000005, &other); /* interface statistics: skipped */
	ng_epb(x, 0, UINT64_C(1746843357141467), frame, fl);
	ng_epb(x, 1, UINT64_C(1746843357141467429), ip, ip_len);
	ng_epb(x, 2, (UINT64_C(1746843357) << 10) | 512, ip, ip_len);
	ng_spb(x, frame, fl);
}

static void check_ng(bool be)
{
	struct bytes x = {.be = be};
	uint8_t ip[128], frame[200];
	size_t ip_len = ipv4_udp(ip, IP4(10, 1, 1, 1), 5000, IP4(10, 1, 1, 2), 6000, 36);
	size_t fl = ethernet(frame, ip, ip_len, 0);
	struct pcap_reader r;
	struct pcap_record rec;
	struct pcap_udp u;
	const char *why;
	FILE *f;

	build_ng(&x, frame, fl, ip, ip_len);
	f = open_bytes(x.b, x.n);
	assert_true(pcap_open(&r, f));
	assert_int_equal(r.fmt, PCAP_FMT_NG);

	assert_int_equal(pcap_next(&r, &rec), PCAP_RECORD);
	assert_int_equal(rec.index, 1);
	assert_int_equal(rec.linktype, LINKTYPE_ETHERNET);
	assert_int_equal(rec.ts_sec, 1746843357);
	assert_int_equal(rec.ts_nsec, 141467000);
	assert_int_equal(pcap_dissect_udp(&rec, &u, &why), DISSECT_UDP);
	assert_int_equal(u.len, 36);

	assert_int_equal(pcap_next(&r, &rec), PCAP_RECORD);
	assert_int_equal(rec.linktype, LINKTYPE_RAW);
	assert_int_equal(rec.ts_nsec, 141467429);
	assert_int_equal(pcap_dissect_udp(&rec, &u, &why), DISSECT_UDP);

	assert_int_equal(pcap_next(&r, &rec), PCAP_RECORD);
	assert_int_equal(rec.ts_sec, 1746843357);
	assert_int_equal(rec.ts_nsec, 500000000);

	assert_int_equal(pcap_next(&r, &rec), PCAP_RECORD); /* simple packet block */
	assert_false(rec.has_ts);
	assert_int_equal(rec.index, 4);
	assert_int_equal(pcap_dissect_udp(&rec, &u, &why), DISSECT_UDP);

	assert_int_equal(pcap_next(&r, &rec), PCAP_END);
	pcap_close(&r);
	fclose(f);
}

static void test_pcapng(void **state)
{
	(void)state;
	check_ng(false);
	check_ng(true);
}

static void test_pcapng_damage(void **state)
{
	struct bytes x = {.be = false};
	uint8_t ip[128];
	size_t ip_len = ipv4_udp(ip, IP4(10, 1, 1, 1), 5000, IP4(10, 1, 1, 2), 6000, 36);
	enum pcap_status last;
	char err[PCAP_ERR_MAX];
	size_t n;

	(void)state;
	/* A packet naming an interface that was never described. */
	ng_shb(&x);
	ng_epb(&x, 0, 1, ip, ip_len);
	assert_int_equal(read_all(&x, &last, err, sizeof err), 0);
	assert_int_equal(last, PCAP_ERROR);
	assert_non_null(strstr(err, "interface 0"));

	/* Trailing length disagrees. */
	x.n = 0;
	ng_shb(&x);
	ng_idb(&x, LINKTYPE_RAW, -1);
	n = x.n;
	ng_epb(&x, 0, 1, ip, ip_len);
	x.b[x.n - 4] ^= 0x04;
	read_all(&x, &last, err, sizeof err);
	assert_int_equal(last, PCAP_ERROR);
	assert_non_null(strstr(err, "trailing length"));

	/* Block length not a multiple of 4, and cut short. */
	x.b[x.n - 4] ^= 0x04;
	x.b[n + 4] ^= 0x01;
	read_all(&x, &last, err, sizeof err);
	assert_non_null(strstr(err, "invalid length"));
	x.b[n + 4] ^= 0x01;
	x.n -= 9;
	read_all(&x, &last, err, sizeof err);
	assert_non_null(strstr(err, "truncated"));

	/* Captured length beyond the block. */
	x.n = 0;
	ng_shb(&x);
	ng_idb(&x, LINKTYPE_RAW, -1);
	n = x.n;
	ng_epb(&x, 0, 1, ip, ip_len);
	x.b[n + 20] = 0xff;
	read_all(&x, &last, err, sizeof err);
	assert_non_null(strstr(err, "exceeds"));

	/* No byte-order magic. */
	x.n = 0;
	ng_shb(&x);
	x.b[8] = 0;
	read_all(&x, &last, err, sizeof err);
	assert_non_null(strstr(err, "byte-order"));
}

/* Random damage to valid files: every outcome must be an orderly one. */
static void test_random_damage(void **state)
{
	uint64_t s = 0x243f6a8885a308d3u;
	uint8_t ip[128], frame[200];
	size_t ip_len = ipv4_udp(ip, IP4(10, 1, 1, 1), 5000, IP4(10, 1, 1, 2), 6000, 36);
	size_t fl = ethernet(frame, ip, ip_len, 1);
	struct bytes good[3] = {{.be = false}, {.be = true}, {.be = false}};

	(void)state;
	build_ng(&good[0], frame, fl, ip, ip_len);
	build_ng(&good[1], frame, fl, ip, ip_len);
	classic_header(&good[2], false, 1);
	for (int i = 0; i < 5; i++)
		classic_record(&good[2], 1, 2, frame, fl, fl);

	for (int k = 0; k < 3000; k++) {
		struct bytes x = good[k % 3];
		enum pcap_status last;
		char err[PCAP_ERR_MAX];
		int flips = 1 + (int)(s % 4);

		for (int j = 0; j < flips; j++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			x.b[s % x.n] ^= (uint8_t)(1 + (s >> 32) % 255);
		}
		if (k % 5 == 0)
			x.n = (size_t)(s % x.n);
		read_all(&x, &last, err, sizeof err);
		assert_true(last == PCAP_END || last == PCAP_ERROR);
		if (last == PCAP_ERROR)
			assert_true(err[0] != '\0');
	}
}

/* ---- hex ---- */

static void test_hex(void **state)
{
	uint8_t out[8];
	struct hex_result r;
	char msg[128];

	(void)state;
	assert_true(hex_parse(out, sizeof out, "0x01AbfF", 8, &r));
	assert_int_equal(r.len, 3);
	assert_int_equal(out[0], 0x01);
	assert_int_equal(out[1], 0xab);
	assert_int_equal(out[2], 0xff);

	assert_true(hex_parse(out, sizeof out, " 01:02 03\n04\r\n", 14, &r));
	assert_int_equal(r.len, 4);
	assert_int_equal(out[3], 4);

	assert_true(hex_parse(out, sizeof out, "", 0, &r));
	assert_int_equal(r.len, 0);

	assert_false(hex_parse(out, sizeof out, "01zz", 4, &r));
	assert_int_equal(r.err, HEX_BAD_CHAR);
	assert_int_equal(r.offset, 2);
	hex_error_format(&r, msg, sizeof msg);
	assert_string_equal(msg, "invalid character 'z' at offset 2");

	assert_false(hex_parse(out, sizeof out, "010", 3, &r));
	assert_int_equal(r.err, HEX_ODD);
	assert_false(
	    hex_parse(out, sizeof out, "0 10", 4, &r)); /* a separator splits a byte */
	assert_int_equal(r.err, HEX_ODD);
	assert_int_equal(r.offset, 0);

	assert_false(hex_parse(out, sizeof out, "000102030405060708", 18, &r));
	assert_int_equal(r.err, HEX_TOO_LONG);
	assert_int_equal(r.len, 8);

	assert_false(hex_parse(out, sizeof out, "0\x01", 2, &r));
	hex_error_format(&r, msg, sizeof msg);
	assert_string_equal(msg, "invalid byte 0x01 at offset 1");

	/* Not NUL-terminated: only len bytes are read. */
	assert_true(hex_parse(out, sizeof out, "abcdZZ", 4, &r));
	assert_int_equal(r.len, 2);
}

/* The vector files' form: conformance's errors, in its order. */
static void test_hex_strict(void **state)
{
	uint8_t out[4];
	struct hex_result r;

	(void)state;
	assert_true(hex_parse_strict(out, sizeof out, "00ab7f", 6, &r));
	assert_int_equal(r.len, 3);
	assert_int_equal(out[1], 0xab);
	assert_true(hex_parse_strict(out, sizeof out, "", 0, &r));
	assert_int_equal(r.len, 0);

	/* An odd count comes first, whatever the characters. */
	assert_false(hex_parse_strict(out, sizeof out, "zzz", 3, &r));
	assert_int_equal(r.err, HEX_ODD);
	assert_int_equal(r.offset, 2);
	/* Uppercase, separators and 0x are not the vectors' form. */
	assert_false(hex_parse_strict(out, sizeof out, "00AB", 4, &r));
	assert_int_equal(r.err, HEX_BAD_CHAR);
	assert_int_equal(r.offset, 2);
	assert_false(hex_parse_strict(out, sizeof out, "00 1", 4, &r));
	assert_int_equal(r.err, HEX_BAD_CHAR);
	assert_false(hex_parse_strict(out, sizeof out, "0x01", 4, &r));
	assert_int_equal(r.err, HEX_BAD_CHAR);
	assert_int_equal(r.offset, 1);
	/* Too long is checked after the whole text: then it holds len / 2 bytes. */
	assert_false(hex_parse_strict(out, sizeof out, "000102030405zz", 14, &r));
	assert_int_equal(r.err, HEX_BAD_CHAR);
	assert_false(hex_parse_strict(out, sizeof out, "0001020304", 10, &r));
	assert_int_equal(r.err, HEX_TOO_LONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classic_orders),
	    cmocka_unit_test(test_classic_timestamp_range),
	    cmocka_unit_test(test_link_types),
	    cmocka_unit_test(test_skipped_and_malformed),
	    cmocka_unit_test(test_classic_damage),
	    cmocka_unit_test(test_pcapng),
	    cmocka_unit_test(test_pcapng_damage),
	    cmocka_unit_test(test_random_damage),
	    cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_hex_strict),
	};

	return cmocka_run_group_tests_name("tools_pcap", tests, NULL, NULL);
}
