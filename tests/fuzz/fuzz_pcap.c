/*
 * Capture-file reading and UDP dissection for subnetra-wire-decode:
 * pcap_open, pcap_next, pcap_close and pcap_dissect_udp on arbitrary bytes,
 * read as the tool reads them (one stdio stream, strictly in order).
 *
 * The input is the whole capture file.  It is handed to the reader through
 * fmemopen() on a heap copy: no temporary file, no network.
 *
 * Invariants (trap when violated):
 *  - the reader ends in PCAP_END or PCAP_ERROR, never loops: every record
 *    moves the byte offset forward, and PCAP_END means the whole input was
 *    consumed (offset == input size);
 *  - a failed pcap_open leaves a message and a closed reader (no buffer);
 *    PCAP_ERROR always leaves a terminated, non-empty message;
 *  - records are numbered 1, 2, 3 ... and r->records counts them;
 *  - a record's bytes are the input's bytes at their exact file offset:
 *    classic, the caplen bytes just before the offset; pcapng, caplen bytes
 *    at block start + 28 (enhanced, obsolete) or + 12 (simple), inside the
 *    block whose trailing length ends at the offset.  So a record never holds
 *    bytes from a previous block or from past the block's end, even where
 *    the reader's buffer is larger than the block (which ASan cannot see);
 *  - a simple packet block's caplen is min(origlen, block room); a timestamp,
 *    when present, has ts_nsec < 10^9; a link type fits 16 bits;
 *  - the dissector, run on an exact-size heap copy of every record (so ASan
 *    traps on any read past caplen) as its own link type and as every
 *    supported one: the result is a known value with a reason; UDP and
 *    TRUNCATED payloads lie inside the record, len <= wire_len (equal for
 *    UDP, less for TRUNCATED), and the 8 bytes before the payload are a UDP
 *    header carrying the reported ports and length;
 *  - for every supported link type the harness locates the IPv4 header
 *    itself and decides independently whether the frame is a complete or
 *    truncated unfragmented IPv4/UDP datagram; the dissector must agree,
 *    with the same addresses, ports, payload offset and lengths.
 *
 * SUBNETRA_FUZZ_PCAP_SEEDS=DIR writes the seed corpus (classic pcap in both
 * byte orders and resolutions on every supported link type, pcapng in both
 * byte orders with several interfaces, every packet block kind, skipped
 * blocks and two sections, and a few damaged files) to DIR at start-up:
 * `build-fuzz/fuzz/fuzz_pcap -runs=0` with it set regenerates
 * tests/fuzz/corpus/fuzz_pcap.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "tools/lib/pcap.h"

enum {
	CLASSIC_HDR = 24,
	CLASSIC_REC_HDR = 16,
	NG_SPB_HDR = 12,
	NG_EPB_HDR = 28,
	NG_TRAILER = 4,
	UDP_HDR = 8,
	SEED_MAX = 4096,
};

/*
 * The reader's swap flag says "file order differs from ours"; the harness
 * reads pcapng trailers in file order, so it needs the host's order too.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG true
#else
#define HOST_BIG false
#endif

static const uint32_t SUPPORTED_LINKS[] = {
    LINKTYPE_NULL,	 LINKTYPE_ETHERNET, LINKTYPE_RAW,	 LINKTYPE_LOOP,
    LINKTYPE_LINUX_SLL, LINKTYPE_IPV4,	    LINKTYPE_LINUX_SLL2,
};
#define N_SUPPORTED (sizeof(SUPPORTED_LINKS) / sizeof(SUPPORTED_LINKS[0]))

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t file32(const uint8_t *p, bool big)
{
	return big ? be32(p)
		   : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 |
			 p[0];
}

/* ---- the independent dissection oracle ---- */

/*
 * Where the IPv4 header starts in a frame of this link type, or -1 when the
 * frame is not IPv4 (or too short to tell).  Written from the link-type
 * specifications, not from pcap.c.
 */
static long ipv4_offset(uint32_t link, const uint8_t *p, size_t n)
{
	size_t off;

	switch (link) {
	case LINKTYPE_ETHERNET:
		if (n < 14)
			return -1;
		off = 12; /* two MAC addresses, then up to two 802.1Q/802.1ad tags */
		for (int i = 0; i < 2 && off + 2 <= n; i++) {
			uint16_t et = be16(p + off);

			if (et != 0x8100 && et != 0x88a8)
				break;
			if (n - off < 6)
				return -1;
			off += 4;
		}
		return off + 2 <= n && be16(p + off) == 0x0800 ? (long)off + 2 : -1;
	case LINKTYPE_LINUX_SLL:
		return n >= 16 && be16(p + 14) == 0x0800 ? 16 : -1;
	case LINKTYPE_LINUX_SLL2:
		return n >= 20 && be16(p) == 0x0800 ? 20 : -1;
	case LINKTYPE_NULL:
	case LINKTYPE_LOOP:
		/* AF_INET (2) in either byte order. */
		return n >= 4 && (file32(p, true) == 2 || file32(p, false) == 2) ? 4 : -1;
	case LINKTYPE_RAW:
	case LINKTYPE_IPV4:
		return 0;
	default:
		return -1;
	}
}

struct udp_expect {
	bool is_udp;	     /* complete or truncated unfragmented IPv4/UDP */
	size_t payload_off; /* from the frame start */
	size_t len, wire_len;
	uint32_t src, dst;
	uint16_t sport, dport;
};

/* RFC 791 / RFC 768, read directly: is ip[0..n) an unfragmented UDP datagram? */
static struct udp_expect expect_udp(const uint8_t *ip, size_t n, size_t base)
{
	struct udp_expect e = {0};
	size_t ihl, total, have, udp_len;

	if (n < 20 || ip[0] >> 4 != 4 || ip[9] != 17)
		return e;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	total = be16(ip + 2);
	if (ihl < 20 || n < ihl || total < ihl + UDP_HDR)
		return e;
	if ((be16(ip + 6) & 0x3fff) != 0) /* MF or a fragment offset */
		return e;
	have = n < total ? n : total; /* bytes past total_len are link padding */
	if (have < ihl + UDP_HDR)
		return e;
	udp_len = be16(ip + ihl + 4);
	if (udp_len < UDP_HDR || udp_len > total - ihl)
		return e;
	e.is_udp = true;
	e.payload_off = base + ihl + UDP_HDR;
	e.wire_len = udp_len - UDP_HDR;
	e.len = have - ihl - UDP_HDR < e.wire_len ? have - ihl - UDP_HDR : e.wire_len;
	e.src = be32(ip + 12);
	e.dst = be32(ip + 16);
	e.sport = be16(ip + ihl);
	e.dport = be16(ip + ihl + 2);
	return e;
}

static void check_dissect(const uint8_t *frame, size_t n, uint32_t link, uint64_t index)
{
	struct pcap_record rec = {
	    .index = index, .linktype = link, .data = frame, .caplen = n, .origlen = n};
	struct pcap_udp u;
	const char *why = NULL;
	enum pcap_dissect k = pcap_dissect_udp(&rec, &u, &why);
	bool supported = false;
	long off;

	for (size_t i = 0; i < N_SUPPORTED; i++)
		supported |= SUPPORTED_LINKS[i] == link;
	FUZZ_CHECK(k == DISSECT_UDP || k == DISSECT_TRUNCATED || k == DISSECT_SKIP ||
			   k == DISSECT_MALFORMED || k == DISSECT_UNSUPPORTED_LINK,
		   "record %llu link %u: unknown result %d", (unsigned long long)index,
		   link, (int)k);
	FUZZ_CHECK(why != NULL, "record %llu link %u: result %d without a reason",
		   (unsigned long long)index, link, (int)k);
	FUZZ_CHECK(k == DISSECT_UDP || strlen(why) > 0,
		   "record %llu link %u: result %d with an empty reason",
		   (unsigned long long)index, link, (int)k);
	FUZZ_CHECK(supported == (k != DISSECT_UNSUPPORTED_LINK),
		   "record %llu: link %u supported %d but result %d",
		   (unsigned long long)index, link, supported, (int)k);

	if (k == DISSECT_UDP || k == DISSECT_TRUNCATED) {
		const uint8_t *pl = u.payload;

		FUZZ_CHECK(pl != NULL && pl >= frame + UDP_HDR && pl <= frame + n &&
				   u.len <= (size_t)(frame + n - pl),
			   "record %llu link %u: payload [%td, +%zu) outside the %zu-byte "
			   "record (or no room for its UDP header)",
			   (unsigned long long)index, link, pl ? pl - frame : -1, u.len,
			   n);
		FUZZ_CHECK(k == DISSECT_UDP ? u.len == u.wire_len : u.len < u.wire_len,
			   "record %llu link %u: result %d with len %zu, wire_len %zu",
			   (unsigned long long)index, link, (int)k, u.len, u.wire_len);
		FUZZ_CHECK(be16(pl - 8) == u.src.port && be16(pl - 6) == u.dst.port &&
				   be16(pl - 4) == u.wire_len + UDP_HDR,
			   "record %llu link %u: the bytes before the payload are not "
			   "its UDP header",
			   (unsigned long long)index, link);
	}

	off = supported ? ipv4_offset(link, frame, n) : -1;
	if (off >= 0) {
		struct udp_expect e = expect_udp(frame + off, n - (size_t)off, (size_t)off);

		if (e.is_udp) {
			FUZZ_CHECK(k == (e.len < e.wire_len ? DISSECT_TRUNCATED : DISSECT_UDP),
				   "record %llu link %u: an IPv4/UDP frame (%zu of %zu "
				   "payload bytes) dissected as %d (%s)",
				   (unsigned long long)index, link, e.len, e.wire_len,
				   (int)k, why);
			FUZZ_CHECK(u.payload == frame + e.payload_off && u.len == e.len &&
					   u.wire_len == e.wire_len &&
					   u.src.addr == e.src && u.dst.addr == e.dst &&
					   u.src.port == e.sport && u.dst.port == e.dport,
				   "record %llu link %u: dissected fields differ from the "
				   "frame",
				   (unsigned long long)index, link);
			return;
		}
	}
	FUZZ_CHECK(k != DISSECT_UDP && k != DISSECT_TRUNCATED,
		   "record %llu link %u: not an unfragmented IPv4/UDP frame, but "
		   "dissected as UDP",
		   (unsigned long long)index, link);
}

/* ---- one record ---- */

static void check_record(const struct pcap_reader *r, const struct pcap_record *rec,
			 const uint8_t *in, size_t size, uint64_t prev_offset,
			 uint64_t expect_index)
{
	const uint8_t *want;
	uint8_t *copy;

	FUZZ_CHECK(rec->index == expect_index && r->records == expect_index,
		   "record numbered %llu (reader says %llu), expected %llu",
		   (unsigned long long)rec->index, (unsigned long long)r->records,
		   (unsigned long long)expect_index);
	FUZZ_CHECK(r->offset > prev_offset && r->offset <= size,
		   "record %llu: offset went from %llu to %llu (input %zu bytes)",
		   (unsigned long long)rec->index, (unsigned long long)prev_offset,
		   (unsigned long long)r->offset, size);
	FUZZ_CHECK(rec->linktype <= 0xffff, "record %llu: link type %u",
		   (unsigned long long)rec->index, rec->linktype);
	FUZZ_CHECK(!rec->has_ts || rec->ts_nsec < 1000000000u,
		   "record %llu: ts_nsec %u", (unsigned long long)rec->index,
		   rec->ts_nsec);
	FUZZ_CHECK(rec->caplen == 0 || rec->data != NULL, "record %llu: no data",
		   (unsigned long long)rec->index);

	if (r->fmt == PCAP_FMT_CLASSIC) {
		FUZZ_CHECK(rec->caplen + CLASSIC_REC_HDR == r->offset - prev_offset,
			   "record %llu: caplen %zu, but %llu bytes read",
			   (unsigned long long)rec->index, rec->caplen,
			   (unsigned long long)(r->offset - prev_offset));
		want = in + r->offset - rec->caplen;
	} else {
		/* The packet block is the last one read: its trailing length ends at
		 * offset. */
		size_t hdr = rec->has_ts ? NG_EPB_HDR : NG_SPB_HDR;
		uint32_t blen;

		FUZZ_CHECK(r->offset - prev_offset >= 12, "record %llu: only %llu bytes read",
			   (unsigned long long)rec->index,
			   (unsigned long long)(r->offset - prev_offset));
		blen = file32(in + r->offset - NG_TRAILER, r->swap != HOST_BIG);
		FUZZ_CHECK(blen <= r->offset - prev_offset &&
				   blen >= hdr + NG_TRAILER &&
				   rec->caplen <= blen - hdr - NG_TRAILER,
			   "record %llu: caplen %zu does not fit its %u-byte block",
			   (unsigned long long)rec->index, rec->caplen, blen);
		if (!rec->has_ts) {
			size_t room = blen - hdr - NG_TRAILER;

			FUZZ_CHECK(rec->caplen ==
					   (rec->origlen < room ? rec->origlen : room),
				   "record %llu: simple block caplen %zu, origlen %zu, "
				   "room %zu",
				   (unsigned long long)rec->index, rec->caplen,
				   rec->origlen, room);
		}
		want = in + r->offset - blen + hdr;
	}
	FUZZ_CHECK(rec->caplen == 0 || memcmp(rec->data, want, rec->caplen) == 0,
		   "record %llu: its %zu bytes are not the input's at offset %td",
		   (unsigned long long)rec->index, rec->caplen, want - in);

	/* Exact-size copy: ASan sees any dissector read past caplen. */
	copy = malloc(rec->caplen ? rec->caplen : 1);
	if (copy == NULL)
		return;
	if (rec->caplen)
		memcpy(copy, rec->data, rec->caplen);
	check_dissect(copy, rec->caplen, rec->linktype, rec->index);
	for (size_t i = 0; i < N_SUPPORTED; i++)
		if (SUPPORTED_LINKS[i] != rec->linktype)
			check_dissect(copy, rec->caplen, SUPPORTED_LINKS[i], rec->index);
	free(copy);
}

/* ---- seeds ---- */

struct bytes {
	uint8_t b[SEED_MAX];
	size_t n;
	bool be;
};

static void put8(struct bytes *x, uint8_t v)
{
	if (x->n < sizeof x->b)
		x->b[x->n++] = v;
}

static void put16(struct bytes *x, uint16_t v)
{
	put8(x, (uint8_t)(x->be ? v >> 8 : v));
	put8(x, (uint8_t)(x->be ? v : v >> 8));
}

static void put32(struct bytes *x, uint32_t v)
{
	put16(x, (uint16_t)(x->be ? v >> 16 : v));
	put16(x, (uint16_t)(x->be ? v : v >> 16));
}

static void putn(struct bytes *x, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(x, p[i]);
}

static void set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void set32(uint8_t *p, uint32_t v)
{
	set16(p, (uint16_t)(v >> 16));
	set16(p + 2, (uint16_t)v);
}

/* An IPv4 packet: proto, ihl (words), fragment field; a UDP header when proto 17. */
static size_t ip_packet(uint8_t *out, uint8_t proto, unsigned ihl_words, uint16_t frag,
			size_t payload)
{
	size_t ihl = ihl_words * 4, l4 = proto == 17 ? UDP_HDR : 0;
	size_t total = ihl + l4 + payload;

	memset(out, 0, total);
	out[0] = (uint8_t)(0x40 | ihl_words);
	set16(out + 2, (uint16_t)total);
	set16(out + 6, frag);
	out[8] = 64;
	out[9] = proto;
	set32(out + 12, 0xcb007102); /* 203.0.113.2 */
	set32(out + 16, 0xcb007101); /* 203.0.113.1 */
	for (size_t i = 20; i < ihl; i++)
		out[i] = 1; /* NOP options */
	if (proto == 17) {
		set16(out + ihl, 18020);
		set16(out + ihl + 2, 18021);
		set16(out + ihl + 4, (uint16_t)(UDP_HDR + payload));
	}
	/* A subnetra-shaped payload: version 1, key_id 1, then filler. */
	for (size_t i = 0; i < payload; i++)
		out[ihl + l4 + i] = (uint8_t)(i == 0 ? 1 : i == 2 ? 1 : 0x30 + i % 64);
	return total;
}

static size_t udp_packet(uint8_t *out, size_t payload)
{
	return ip_packet(out, 17, 5, 0x4000, payload);
}

/* Link-layer framing for ip (len bytes) as `link`; vlans for Ethernet. */
static size_t frame(uint8_t *out, uint32_t link, const uint8_t *ip, size_t len,
		    uint16_t ethertype, int vlans)
{
	size_t n = 0;

	switch (link) {
	case LINKTYPE_ETHERNET:
		memset(out, 0x02, 12);
		n = 12;
		for (int i = 0; i < vlans; i++) {
			set16(out + n, i == 0 && vlans == 2 ? 0x88a8 : 0x8100);
			set16(out + n + 2, 42);
			n += 4;
		}
		set16(out + n, ethertype);
		n += 2;
		break;
	case LINKTYPE_LINUX_SLL:
		memset(out, 0, 14);
		set16(out + 2, 1);
		set16(out + 4, 6);
		set16(out + 14, ethertype);
		n = 16;
		break;
	case LINKTYPE_LINUX_SLL2:
		memset(out, 0, 20);
		set16(out, ethertype);
		set32(out + 4, 3);
		set16(out + 8, 1);
		n = 20;
		break;
	case LINKTYPE_NULL:
		out[0] = 2; /* AF_INET, little-endian host */
		out[1] = out[2] = out[3] = 0;
		n = 4;
		break;
	case LINKTYPE_LOOP:
		set32(out, 2);
		n = 4;
		break;
	default:
		break;
	}
	memcpy(out + n, ip, len);
	return n + len;
}

static void classic_header(struct bytes *x, bool nano, uint32_t link)
{
	put32(x, nano ? 0xa1b23c4d : 0xa1b2c3d4);
	put16(x, 2);
	put16(x, 4);
	put32(x, 0);
	put32(x, 0);
	put32(x, 262144);
	put32(x, link);
}

static void classic_record(struct bytes *x, uint32_t frac, const uint8_t *p, size_t caplen,
			   size_t origlen)
{
	put32(x, 1746843357);
	put32(x, frac);
	put32(x, (uint32_t)caplen);
	put32(x, (uint32_t)origlen);
	putn(x, p, caplen);
}

/* Frames every capture of a link type holds: UDP (small, 120 bytes, cut by the
 * snap length, padded), IP options, fragments, TCP, ICMP, malformed lengths. */
static void classic_frames(struct bytes *x, uint32_t link, bool nano)
{
	uint8_t ip[256], f[300];
	size_t n, m;
	uint32_t fr = nano ? 141467429 : 141467;

	n = frame(f, link, ip, udp_packet(ip, 36), 0x0800, 0);
	classic_record(x, fr, f, n, n);
	n = frame(f, link, ip, udp_packet(ip, 120), 0x0800, 0);
	classic_record(x, fr + 1, f, n - 40, n); /* snap length */
	m = udp_packet(ip, 4);
	memset(ip + m, 0xee, 14);
	n = frame(f, link, ip, m + 14, 0x0800, 0); /* trailing padding */
	classic_record(x, fr + 2, f, n, n);
	n = frame(f, link, ip, ip_packet(ip, 17, 7, 0, 36), 0x0800, 0);
	classic_record(x, fr + 3, f, n, n);
	n = frame(f, link, ip, ip_packet(ip, 17, 5, 0x2000, 36), 0x0800, 0);
	classic_record(x, fr + 4, f, n, n);
	n = frame(f, link, ip, ip_packet(ip, 17, 5, 0x00b9, 36), 0x0800, 0);
	classic_record(x, fr + 5, f, n, n);
	n = frame(f, link, ip, ip_packet(ip, 6, 5, 0x4000, 20), 0x0800, 0);
	classic_record(x, fr + 6, f, n, n);
	n = frame(f, link, ip, ip_packet(ip, 1, 5, 0, 8), 0x0800, 0);
	classic_record(x, fr + 7, f, n, n);
	m = udp_packet(ip, 36);
	set16(ip + 24, 200); /* UDP length beyond the IPv4 packet */
	n = frame(f, link, ip, m, 0x0800, 0);
	classic_record(x, fr + 8, f, n, n);
	n = frame(f, link, ip, udp_packet(ip, 36), 0x0800, 0);
	classic_record(x, fr + 9, f, 10, n); /* headers cut short */
}

static void write_seed(const char *dir, const char *name, const struct bytes *x)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = x->n < sizeof x->b ? fopen(path, "wb") : NULL;
	if (f == NULL || fwrite(x->b, 1, x->n, f) != x->n || fclose(f) != 0) {
		fprintf(stderr, "fuzz_pcap: cannot write %s\n", path);
		exit(1);
	}
}

static void ng_block(struct bytes *x, uint32_t type, const struct bytes *body)
{
	size_t padded = (body->n + 3) & ~(size_t)3;
	uint32_t len = (uint32_t)(12 + padded);

	put32(x, type);
	put32(x, len);
	putn(x, body->b, body->n);
	for (size_t i = body->n; i < padded; i++)
		put8(x, 0);
	put32(x, len);
}

static void ng_shb(struct bytes *x)
{
	struct bytes b = {.be = x->be};

	put32(&b, 0x1a2b3c4d);
	put16(&b, 1);
	put16(&b, 0);
	put32(&b, 0xffffffff); /* section length unknown */
	put32(&b, 0xffffffff);
	put16(&b, 4); /* shb_userappl */
	put16(&b, 4);
	putn(&b, (const uint8_t *)"fuzz", 4);
	put16(&b, 0);
	put16(&b, 0);
	ng_block(x, 0x0a0d0d0a, &b);
}

static void ng_idb(struct bytes *x, uint16_t link, int tsresol)
{
	struct bytes b = {.be = x->be};

	put16(&b, link);
	put16(&b, 0);
	put32(&b, 262144);
	put16(&b, 2); /* if_name */
	put16(&b, 4);
	putn(&b, (const uint8_t *)"eth0", 4);
	if (tsresol >= 0) {
		put16(&b, 9);
		put16(&b, 1);
		put8(&b, (uint8_t)tsresol);
		put8(&b, 0);
		put8(&b, 0);
		put8(&b, 0);
	}
	put16(&b, 0);
	put16(&b, 0);
	ng_block(x, 1, &b);
}

/*
 * Enhanced (type 6, with an option unless iface has bit 31 set) or obsolete
 * (type 2) packet block.  Without options and with caplen a multiple of 4,
 * the data fills the block exactly: one more captured byte would not fit.
 */
static void ng_epb(struct bytes *x, uint32_t type, uint32_t iface, const uint8_t *p,
		   size_t caplen, size_t origlen)
{
	bool opts = type == 6 && !(iface & 0x80000000u);

	struct bytes b = {.be = x->be};

	iface &= 0x7fffffffu;
	if (type == 2) {
		put16(&b, (uint16_t)iface);
		put16(&b, 0); /* drops */
	} else {
		put32(&b, iface);
	}
	put32(&b, 0x00061234);
	put32(&b, 0x56789abc);
	put32(&b, (uint32_t)caplen);
	put32(&b, (uint32_t)origlen);
	putn(&b, p, caplen);
	while (b.n % 4)
		put8(&b, 0);
	if (opts) {
		put16(&b, 1); /* opt_comment */
		put16(&b, 3);
		putn(&b, (const uint8_t *)"hi!", 3);
		put8(&b, 0);
		put16(&b, 0);
		put16(&b, 0);
	}
	ng_block(x, type, &b);
}

static void ng_spb(struct bytes *x, const uint8_t *p, size_t n, size_t origlen)
{
	struct bytes b = {.be = x->be};

	put32(&b, (uint32_t)origlen);
	putn(&b, p, n);
	ng_block(x, 3, &b);
}

static void ng_other(struct bytes *x, uint32_t type)
{
	struct bytes b = {.be = x->be};

	put32(&b, 0);
	put32(&b, 0x12345678);
	ng_block(x, type, &b);
}

static void ng_section(struct bytes *x)
{
	uint8_t ip[256], f[300];
	size_t n;

	ng_shb(x);
	ng_idb(x, LINKTYPE_ETHERNET, -1);  /* iface 0: microseconds */
	ng_idb(x, LINKTYPE_RAW, 9);	   /* iface 1: nanoseconds */
	ng_idb(x, LINKTYPE_LINUX_SLL, 0x94); /* iface 2: 2^-20 s */
	ng_idb(x, 147, 3);		   /* iface 3: a link type we do not dissect */
	ng_idb(x, LINKTYPE_RAW, 0x80 | 40); /* iface 4: 2^-40 s */
	ng_idb(x, LINKTYPE_RAW, 12);	   /* iface 5: picoseconds */
	n = frame(f, LINKTYPE_ETHERNET, ip, udp_packet(ip, 36), 0x0800, 1);
	ng_epb(x, 6, 0, f, n, n);
	n = frame(f, LINKTYPE_ETHERNET, ip, udp_packet(ip, 80), 0x0800, 2);
	ng_epb(x, 6, 0, f, n - 30, n);
	ng_other(x, 4); /* name resolution */
	n = udp_packet(ip, 36);
	ng_epb(x, 6, 1, ip, n, n);
	ng_epb(x, 2, 1, ip, n, n);
	n = frame(f, LINKTYPE_LINUX_SLL, ip, udp_packet(ip, 48), 0x0800, 0);
	ng_epb(x, 6, 2, f, n, n);
	n = frame(f, LINKTYPE_LINUX_SLL, ip, 28, 0x0806, 0); /* ARP */
	ng_epb(x, 6, 2, f, n, n);
	ng_epb(x, 6, 3, ip, 20, 20);
	n = udp_packet(ip, 36);
	ng_epb(x, 6, 4, ip, n, n);
	ng_epb(x, 6, 5, ip, n, n);
	n = frame(f, LINKTYPE_ETHERNET, ip, udp_packet(ip, 36), 0x0800, 0);
	ng_spb(x, f, n, n);
	ng_spb(x, f, n - 20, n + 40);
	ng_other(x, 5);		 /* interface statistics */
	ng_other(x, 0x40000bad); /* custom */
}

static void write_seeds(const char *dir)
{
	static const struct {
		const char *name;
		uint32_t link;
		bool be, nano;
	} classic[] = {
	    {"classic-le-us-ethernet", LINKTYPE_ETHERNET, false, false},
	    {"classic-be-ns-ethernet", LINKTYPE_ETHERNET, true, true},
	    {"classic-be-us-raw", LINKTYPE_RAW, true, false},
	    {"classic-le-ns-ipv4", LINKTYPE_IPV4, false, true},
	    {"classic-le-us-sll", LINKTYPE_LINUX_SLL, false, false},
	    {"classic-le-us-sll2", LINKTYPE_LINUX_SLL2, false, false},
	    {"classic-le-us-null", LINKTYPE_NULL, false, false},
	    {"classic-be-us-loop", LINKTYPE_LOOP, true, false},
	};
	uint8_t ip[256], f[300];
	struct bytes x, b;
	size_t n, m;

	for (size_t i = 0; i < sizeof classic / sizeof classic[0]; i++) {
		x = (struct bytes){.be = classic[i].be};
		classic_header(&x, classic[i].nano, classic[i].link);
		classic_frames(&x, classic[i].link, classic[i].nano);
		write_seed(dir, classic[i].name, &x);
	}

	/* Ethernet oddities: VLAN and QinQ, ARP, IPv6, an FCS flag in the link type. */
	x = (struct bytes){.be = false};
	classic_header(&x, false, 0x10000000 | LINKTYPE_ETHERNET);
	n = udp_packet(ip, 36);
	for (int v = 1; v <= 2; v++) {
		size_t k = frame(f, LINKTYPE_ETHERNET, ip, n, 0x0800, v);

		classic_record(&x, 5, f, k, k);
	}
	n = frame(f, LINKTYPE_ETHERNET, ip, 28, 0x0806, 0);
	classic_record(&x, 6, f, n, n);
	ip[0] = 0x60;
	n = frame(f, LINKTYPE_ETHERNET, ip, 48, 0x86dd, 0);
	classic_record(&x, 7, f, n, n);
	n = frame(f, LINKTYPE_ETHERNET, ip, 2, 0x0800, 1);
	classic_record(&x, 8, f, 16, 16); /* a VLAN tag, then nothing */
	write_seed(dir, "classic-le-us-ethernet-vlan-arp-ipv6", &x);

	/* Raw IP oddities: IPv6, not IP, an out-of-range fraction; an unsupported link. */
	x = (struct bytes){.be = false};
	classic_header(&x, true, LINKTYPE_RAW);
	n = udp_packet(ip, 36);
	classic_record(&x, 1000000000u, ip, n, n);
	ip[0] = 0x60;
	classic_record(&x, 1, ip, 40, 40);
	ip[0] = 0x00;
	classic_record(&x, 2, ip, 20, 20);
	classic_record(&x, 3, ip, 0, 0);
	write_seed(dir, "classic-le-ns-raw-odd", &x);
	x = (struct bytes){.be = true};
	classic_header(&x, false, 105);
	n = udp_packet(ip, 36);
	classic_record(&x, 1, ip, n, n);
	write_seed(dir, "classic-be-us-unsupported-link", &x);

	/* pcapng: both byte orders, then a second section in the other order. */
	x = (struct bytes){.be = false};
	ng_section(&x);
	write_seed(dir, "pcapng-le", &x);
	x = (struct bytes){.be = true};
	ng_section(&x);
	write_seed(dir, "pcapng-be", &x);
	x = (struct bytes){.be = false};
	ng_shb(&x);
	ng_idb(&x, LINKTYPE_RAW, -1);
	n = udp_packet(ip, 36);
	ng_epb(&x, 6, 0x80000000u, ip, n, n); /* 64 bytes: the block is full */
	x.be = true;
	ng_shb(&x);
	ng_idb(&x, LINKTYPE_LINUX_SLL2, 6);
	n = frame(f, LINKTYPE_LINUX_SLL2, ip, n, 0x0800, 0);
	ng_epb(&x, 6, 0, f, n, n);
	write_seed(dir, "pcapng-two-sections", &x);

	/* Damage: each ends in PCAP_ERROR after what came before it. */
	x = (struct bytes){.be = false};
	classic_header(&x, false, LINKTYPE_RAW);
	n = udp_packet(ip, 36);
	classic_record(&x, 1, ip, n, n);
	x.n -= 10; /* truncated record */
	write_seed(dir, "damaged-classic-truncated", &x);
	x = (struct bytes){.be = false};
	classic_header(&x, false, LINKTYPE_RAW);
	put32(&x, 1);
	put32(&x, 0);
	put32(&x, PCAP_MAX_BLOCK + 1); /* captured length beyond the cap */
	put32(&x, 64);
	write_seed(dir, "damaged-classic-huge-caplen", &x);
	x = (struct bytes){.be = false};
	ng_shb(&x);
	ng_idb(&x, LINKTYPE_RAW, -1);
	ng_epb(&x, 6, 5, ip, n, n); /* interface 5 was never described */
	write_seed(dir, "damaged-pcapng-no-iface", &x);
	x = (struct bytes){.be = false};
	ng_shb(&x);
	ng_idb(&x, LINKTYPE_RAW, -1);
	ng_epb(&x, 6, 0, ip, n, n);
	x.b[x.n - 4] ^= 4; /* trailing length differs */
	write_seed(dir, "damaged-pcapng-trailer", &x);
	x = (struct bytes){.be = true};
	ng_shb(&x);
	ng_idb(&x, LINKTYPE_RAW, -1);
	m = x.n;
	ng_epb(&x, 6, 0, ip, n, n);
	x.b[m + 20] = 0x7f; /* big-endian caplen beyond the block */
	write_seed(dir, "damaged-pcapng-caplen", &x);
	x = (struct bytes){.be = false};
	ng_shb(&x);
	b = (struct bytes){.be = false};
	ng_block(&x, 1, &b); /* an interface block without its fields */
	write_seed(dir, "damaged-pcapng-short-idb", &x);
	x = (struct bytes){.be = false};
	ng_shb(&x);
	ng_idb(&x, LINKTYPE_RAW, -1);
	put32(&b, 0);
	ng_block(&x, 6, &b); /* a packet block without its fields */
	write_seed(dir, "damaged-pcapng-short-epb", &x);
	x = (struct bytes){.be = false};
	ng_shb(&x);
	b = (struct bytes){.be = false};
	put16(&b, LINKTYPE_RAW);
	put16(&b, 0);
	put32(&b, 65535);
	for (int i = 0; i <= PCAP_MAX_IFACES; i++)
		ng_block(&x, 1, &b); /* one interface too many */
	write_seed(dir, "damaged-pcapng-too-many-ifaces", &x);
}

/* ---- libFuzzer ---- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("SUBNETRA_FUZZ_PCAP_SEEDS");

	(void)argc;
	(void)argv;
	if (seeds != NULL && *seeds != '\0')
		write_seeds(seeds);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcap_reader r;
	struct pcap_record rec;
	enum pcap_status st;
	uint64_t prev, n = 0;
	uint8_t *copy = malloc(size ? size : 1);
	FILE *f;

	if (copy == NULL)
		return 0;
	if (size)
		memcpy(copy, data, size);
	f = fmemopen(copy, size, "rb");
	if (f == NULL)
		goto out_free;

	if (!pcap_open(&r, f)) {
		FUZZ_CHECK(memchr(r.err, '\0', sizeof r.err) != NULL && r.err[0] != '\0',
			   "pcap_open failed without a message");
		FUZZ_CHECK(r.buf == NULL && r.cap == 0, "a failed pcap_open kept its buffer");
		FUZZ_CHECK(r.offset <= size, "offset %llu past the input",
			   (unsigned long long)r.offset);
		goto out_fclose;
	}
	FUZZ_CHECK(r.fmt == PCAP_FMT_CLASSIC || r.fmt == PCAP_FMT_NG, "format %d",
		   (int)r.fmt);
	FUZZ_CHECK(r.offset >= (r.fmt == PCAP_FMT_CLASSIC ? (uint64_t)CLASSIC_HDR : 28) &&
			   r.offset <= size,
		   "offset %llu after the file header", (unsigned long long)r.offset);
	for (;;) {
		prev = r.offset;
		st = pcap_next(&r, &rec);
		if (st != PCAP_RECORD)
			break;
		check_record(&r, &rec, data, size, prev, ++n);
	}
	FUZZ_CHECK(st == PCAP_END || st == PCAP_ERROR, "status %d", (int)st);
	FUZZ_CHECK(r.offset <= size, "offset %llu past the input",
		   (unsigned long long)r.offset);
	if (st == PCAP_END)
		FUZZ_CHECK(r.offset == size, "PCAP_END at offset %llu of %zu bytes",
			   (unsigned long long)r.offset, size);
	else
		FUZZ_CHECK(memchr(r.err, '\0', sizeof r.err) != NULL && r.err[0] != '\0',
			   "PCAP_ERROR without a message");
	pcap_close(&r);
	FUZZ_CHECK(r.buf == NULL, "pcap_close kept its buffer");
out_fclose:
	fclose(f);
out_free:
	free(copy);
	return 0;
}
