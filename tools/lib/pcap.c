/*
 * Capture-file reading and UDP dissection (see pcap.h).
 *
 * Both formats are read strictly in order with fread, never seeked, so the
 * input may be a pipe.  Every multi-byte field goes through rd16/rd32 with
 * the file's byte order; every length read from the file is checked against
 * the bytes actually held before it is used as an offset.
 */
#include "tools/lib/pcap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes/byteorder.h"

enum {
	CLASSIC_HDR_LEN = 24,
	CLASSIC_REC_HDR_LEN = 16,
	NG_BLOCK_MIN = 12, /* type, length, trailing length */
	NG_SHB = 0x0a0d0d0a,
	NG_IDB = 0x00000001,
	NG_OPB = 0x00000002, /* obsolete packet block */
	NG_SPB = 0x00000003,
	NG_EPB = 0x00000006,
	NG_BOM = 0x1a2b3c4d,
	NG_OPT_END = 0,
	NG_OPT_IF_TSRESOL = 9,
	ETHERTYPE_IPV4 = 0x0800,
	ETHERTYPE_IPV6 = 0x86dd,
	ETHERTYPE_VLAN = 0x8100,
	ETHERTYPE_QINQ = 0x88a8,
	ETH_HDR_LEN = 14,
	SLL_HDR_LEN = 16,
	SLL2_HDR_LEN = 20,
	IPV4_MIN_HDR = 20,
	UDP_HDR_LEN = 8,
	IPPROTO_UDP_NUM = 17,
	MAX_VLAN_TAGS = 2,
};

static const uint32_t CLASSIC_MAGIC_US = 0xa1b2c3d4;
static const uint32_t CLASSIC_MAGIC_NS = 0xa1b23c4d;

static uint32_t bswap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

/* Host-order loads; the reader's swap flag turns them into file order. */
static uint16_t ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

static uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

static uint16_t rd16(const struct pcap_reader *r, const uint8_t *p)
{
	uint16_t v = ld16(p);

	return r->swap ? (uint16_t)(v >> 8 | v << 8) : v;
}

static uint32_t rd32(const struct pcap_reader *r, const uint8_t *p)
{
	uint32_t v = ld32(p);

	return r->swap ? bswap32(v) : v;
}

/* A printf into the reader's message (as inspect's reason and hint: each its own field). */
__attribute__((format(printf, 2, 3))) static void seterr(struct pcap_reader *r,
							 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
}

/* Exactly n bytes, or a short count at end of file. -1 on a read error. */
static long read_n(struct pcap_reader *r, uint8_t *dst, size_t n)
{
	size_t got = fread(dst, 1, n, r->f);

	r->offset += got;
	if (got < n && ferror(r->f))
		return -1;
	return (long)got;
}

static bool ensure_cap(struct pcap_reader *r, size_t n)
{
	uint8_t *nb;
	size_t cap = r->cap ? r->cap : 4096;

	if (n <= r->cap)
		return true;
	while (cap < n)
		cap *= 2;
	nb = realloc(r->buf, cap);
	if (nb == NULL)
		return false;
	r->buf = nb;
	r->cap = cap;
	return true;
}

/* Reads the body of a record/block; a short read is a truncated file. */
static bool read_body(struct pcap_reader *r, size_t n, uint64_t start, const char *what)
{
	long got;

	if (!ensure_cap(r, n)) {
		seterr(r, "out of memory reading %zu bytes", n);
		return false;
	}
	got = read_n(r, r->buf, n);
	if (got < 0) {
		seterr(r, "read error at offset %llu: %s", (unsigned long long)r->offset,
		       strerror(errno));
		return false;
	}
	if ((size_t)got < n) {
		seterr(r, "%s at offset %llu is truncated: %zu of %zu bytes present",
		       what, (unsigned long long)start, (size_t)got, n);
		return false;
	}
	return true;
}

/* ---- classic libpcap ---- */

static bool classic_open(struct pcap_reader *r, const uint8_t first[4])
{
	uint8_t h[CLASSIC_HDR_LEN];
	uint32_t magic = ld32(first);
	uint16_t major;
	long got;

	if (magic == CLASSIC_MAGIC_US || magic == CLASSIC_MAGIC_NS) {
		r->swap = false;
	} else if (bswap32(magic) == CLASSIC_MAGIC_US ||
		   bswap32(magic) == CLASSIC_MAGIC_NS) {
		r->swap = true;
		magic = bswap32(magic);
	} else {
		return false;
	}
	r->nano = magic == CLASSIC_MAGIC_NS;
	memcpy(h, first, 4);
	got = read_n(r, h + 4, sizeof h - 4);
	if (got != (long)(sizeof h - 4)) {
		seterr(r, "pcap file header is truncated (%ld of %d bytes)",
		       got < 0 ? 0 : got + 4, CLASSIC_HDR_LEN);
		return false;
	}
	major = rd16(r, h + 4);
	if (major != 2) {
		seterr(r, "pcap version %u.%u is not supported (expected 2.4)", major,
		       rd16(r, h + 6));
		return false;
	}
	r->fmt = PCAP_FMT_CLASSIC;
	r->linktype = rd32(r, h + 20) & 0xffff; /* the upper bits carry FCS information */
	return true;
}

static enum pcap_status classic_next(struct pcap_reader *r, struct pcap_record *rec)
{
	uint8_t h[CLASSIC_REC_HDR_LEN];
	uint64_t start = r->offset;
	uint32_t incl, orig, frac;
	long got = read_n(r, h, sizeof h);

	if (got == 0)
		return PCAP_END;
	if (got < 0) {
		seterr(r, "read error at offset %llu: %s", (unsigned long long)start,
		       strerror(errno));
		return PCAP_ERROR;
	}
	if (got < (long)sizeof h) {
		seterr(
		    r,
		    "record %llu: header at offset %llu is truncated (%ld of %d bytes)",
		    (unsigned long long)r->records + 1, (unsigned long long)start, got,
		    CLASSIC_REC_HDR_LEN);
		return PCAP_ERROR;
	}
	incl = rd32(r, h + 8);
	orig = rd32(r, h + 12);
	frac = rd32(r, h + 4);
	if (incl > PCAP_MAX_BLOCK) {
		seterr(r,
		       "record %llu at offset %llu: captured length %u exceeds %d bytes "
		       "(corrupt file?)",
		       (unsigned long long)r->records + 1, (unsigned long long)start,
		       incl, PCAP_MAX_BLOCK);
		return PCAP_ERROR;
	}
	{
		char what[48];

		snprintf(what, sizeof what, "record %llu",
			 (unsigned long long)r->records + 1);
		if (!read_body(r, incl, start, what))
			return PCAP_ERROR;
	}
	*rec = (struct pcap_record){
	    .index = ++r->records,
	    .linktype = r->linktype,
	    .ts_sec = rd32(r, h),
	    .data = r->buf,
	    .caplen = incl,
	    .origlen = orig,
	};
	/*
	 * The fraction must be below one second in the file's own unit; an
	 * out-of-range one shows no time rather than a wrong one.  Checked
	 * before scaling: frac * 1000 does not fit 32 bits for frac >= 2^32/1000,
	 * and a wrapped product could look valid.
	 */
	if (frac < (r->nano ? 1000000000u : 1000000u)) {
		rec->has_ts = true;
		rec->ts_nsec = r->nano ? frac : frac * 1000u;
	}
	return PCAP_RECORD;
}

/* ---- pcapng ---- */

static void ts_convert(const struct pcap_iface *ifc, uint64_t ts, uint64_t *sec,
		       uint32_t *nsec)
{
	if (ifc->ts_binary) {
		unsigned e = ifc->ts_exp;
		uint64_t frac;

		if (e >= 64) {
			*sec = 0;
			*nsec = 0;
			return;
		}
		*sec = e ? ts >> e : ts;
		frac = e ? ts & ((UINT64_C(1) << e) - 1) : 0;
		/* Keep the product below 2^64: scale the fraction to 32 bits first. */
		if (e > 32) {
			frac >>= e - 32;
			e = 32;
		}
		*nsec = (uint32_t)((frac * 1000000000u) >> e);
	} else {
		uint64_t div = 1;
		unsigned e = ifc->ts_exp;

		if (e > 19) {
			*sec = 0;
			*nsec = 0;
			return;
		}
		for (unsigned i = 0; i < e; i++)
			div *= 10;
		*sec = ts / div;
		if (e <= 9) {
			uint64_t mul = 1;

			for (unsigned i = e; i < 9; i++)
				mul *= 10;
			*nsec = (uint32_t)((ts % div) * mul);
		} else {
			uint64_t d2 = 1;

			for (unsigned i = 9; i < e; i++)
				d2 *= 10;
			*nsec = (uint32_t)((ts % div) / d2);
		}
	}
}

/* The section header's byte-order magic decides how the rest is read. */
static bool ng_section(struct pcap_reader *r, const uint8_t *b, size_t len,
		       uint64_t start)
{
	if (len < 16) {
		seterr(r, "pcapng section header at offset %llu is too short",
		       (unsigned long long)start);
		return false;
	}
	if (rd16(r, b + 12) != 1) {
		seterr(
		    r,
		    "pcapng version %u.%u at offset %llu is not supported (expected 1.x)",
		    rd16(r, b + 12), rd16(r, b + 14), (unsigned long long)start);
		return false;
	}
	r->n_ifaces = 0;
	return true;
}

static bool ng_iface(struct pcap_reader *r, const uint8_t *b, size_t len, uint64_t start)
{
	struct pcap_iface ifc = {.ts_binary = false, .ts_exp = 6};
	size_t off = 16; /* type, length, linktype, reserved, snaplen */

	if (len < 20) {
		seterr(r, "pcapng interface block at offset %llu is too short",
		       (unsigned long long)start);
		return false;
	}
	if (r->n_ifaces == PCAP_MAX_IFACES) {
		seterr(r, "pcapng: more than %d interfaces in one section",
		       PCAP_MAX_IFACES);
		return false;
	}
	ifc.linktype = rd16(r, b + 8);
	/* Options: code u16, length u16, value padded to 4; the block ends with its
	 * length. */
	while (off + 4 <= len - 4) {
		uint16_t code = rd16(r, b + off);
		uint16_t olen = rd16(r, b + off + 2);
		size_t padded = ((size_t)olen + 3) & ~(size_t)3;

		if (code == NG_OPT_END)
			break;
		if (off + 4 + padded > len - 4)
			break; /* a damaged option list: keep the defaults */
		if (code == NG_OPT_IF_TSRESOL && olen >= 1) {
			ifc.ts_binary = (b[off + 4] & 0x80) != 0;
			ifc.ts_exp = b[off + 4] & 0x7f;
		}
		off += 4 + padded;
	}
	r->ifaces[r->n_ifaces++] = ifc;
	return true;
}

static const struct pcap_iface *ng_iface_get(struct pcap_reader *r, uint32_t id,
					     uint64_t start)
{
	if (id >= r->n_ifaces) {
		seterr(
		    r,
		    "pcapng packet block at offset %llu names interface %u, but only %zu "
		    "are described",
		    (unsigned long long)start, id, r->n_ifaces);
		return NULL;
	}
	return &r->ifaces[id];
}

/* Enhanced, simple and obsolete packet blocks -> rec.  false: r->err. */
static bool ng_packet(struct pcap_reader *r, uint32_t type, const uint8_t *b, size_t len,
		      uint64_t start, struct pcap_record *rec)
{
	const struct pcap_iface *ifc;
	size_t hdr, caplen, origlen;
	uint32_t id;
	uint64_t ts = 0;

	if (type == NG_SPB) {
		hdr = 12;
		if (len < hdr + 4)
			goto short_block;
		id = 0;
		origlen = rd32(r, b + 8);
		caplen = origlen < len - hdr - 4 ? origlen : len - hdr - 4;
	} else {
		hdr = 28;
		if (len < hdr + 4)
			goto short_block;
		if (type == NG_EPB) {
			id = rd32(r, b + 8);
		} else {
			id = rd16(r, b + 8);
		}
		ts = (uint64_t)rd32(r, b + 12) << 32 | rd32(r, b + 16);
		caplen = rd32(r, b + 20);
		origlen = rd32(r, b + 24);
		if (caplen > len - hdr - 4) {
			seterr(r,
			       "pcapng packet block at offset %llu: captured length %zu "
			       "exceeds "
			       "the block (%zu bytes)",
			       (unsigned long long)start, caplen, len);
			return false;
		}
	}
	ifc = ng_iface_get(r, id, start);
	if (ifc == NULL)
		return false;
	*rec = (struct pcap_record){
	    .index = ++r->records,
	    .linktype = ifc->linktype,
	    .has_ts = type != NG_SPB,
	    .data = b + hdr,
	    .caplen = caplen,
	    .origlen = origlen,
	};
	if (rec->has_ts)
		ts_convert(ifc, ts, &rec->ts_sec, &rec->ts_nsec);
	return true;
short_block:
	seterr(r, "pcapng packet block at offset %llu is too short (%zu bytes)",
	       (unsigned long long)start, len);
	return false;
}

/*
 * The rest of one block whose first 8 bytes (type, length) are in h: into
 * r->buf, whole, trailing length checked.  A section header's length is in
 * the byte order its magic announces, so that magic is read first.
 */
static bool ng_read_block(struct pcap_reader *r, const uint8_t h[8], uint64_t start,
			  uint32_t *type, uint32_t *len)
{
	size_t have = 8;
	long n;

	*type = rd32(r, h);
	if (*type == NG_SHB) {
		uint8_t bom[4];

		if (read_n(r, bom, 4) != 4) {
			seterr(r, "pcapng section header at offset %llu is truncated",
			       (unsigned long long)start);
			return false;
		}
		if (ld32(bom) == NG_BOM) {
			r->swap = false;
		} else if (bswap32(ld32(bom)) == NG_BOM) {
			r->swap = true;
		} else {
			seterr(r,
			       "pcapng section header at offset %llu has no byte-order "
			       "magic",
			       (unsigned long long)start);
			return false;
		}
		*len = rd32(r, h + 4);
		if (*len < 28 || *len % 4 != 0 || *len > PCAP_MAX_BLOCK ||
		    !ensure_cap(r, *len)) {
			seterr(r,
			       "pcapng section header at offset %llu has an invalid "
			       "length %u",
			       (unsigned long long)start, *len);
			return false;
		}
		memcpy(r->buf + 8, bom, 4);
		have = 12;
	} else {
		*len = rd32(r, h + 4);
		if (*len < NG_BLOCK_MIN || *len % 4 != 0 || *len > PCAP_MAX_BLOCK ||
		    !ensure_cap(r, *len)) {
			seterr(r, "pcapng block at offset %llu has an invalid length %u",
			       (unsigned long long)start, *len);
			return false;
		}
	}
	memcpy(r->buf, h, 8);
	n = read_n(r, r->buf + have, *len - have);
	if (n < 0 || (size_t)n != *len - have) {
		seterr(r, "pcapng block at offset %llu is truncated (%zu of %u bytes)",
		       (unsigned long long)start, have + (n < 0 ? 0 : (size_t)n), *len);
		return false;
	}
	if (rd32(r, r->buf + *len - 4) != *len) {
		seterr(r,
		       "pcapng block at offset %llu: trailing length does not match %u",
		       (unsigned long long)start, *len);
		return false;
	}
	return true;
}

static enum pcap_status ng_next(struct pcap_reader *r, struct pcap_record *rec)
{
	for (;;) {
		uint8_t h[8];
		uint64_t start = r->offset;
		uint32_t type, len;
		long got = read_n(r, h, sizeof h);

		if (got == 0)
			return PCAP_END;
		if (got < (long)sizeof h) {
			seterr(r, "pcapng block header at offset %llu is truncated",
			       (unsigned long long)start);
			return PCAP_ERROR;
		}
		if (!ng_read_block(r, h, start, &type, &len))
			return PCAP_ERROR;
		switch (type) {
		case NG_SHB:
			if (!ng_section(r, r->buf, len, start))
				return PCAP_ERROR;
			break;
		case NG_IDB:
			if (!ng_iface(r, r->buf, len, start))
				return PCAP_ERROR;
			break;
		case NG_EPB:
		case NG_SPB:
		case NG_OPB:
			if (!ng_packet(r, type, r->buf, len, start, rec))
				return PCAP_ERROR;
			return PCAP_RECORD;
		default:
			break; /* name resolution, statistics, custom blocks: not needed
				*/
		}
	}
}

/* ---- public ---- */

bool pcap_open(struct pcap_reader *r, FILE *f)
{
	uint8_t first[4];
	long got;

	memset(r, 0, sizeof(*r));
	r->f = f;
	got = read_n(r, first, sizeof first);
	if (got != (long)sizeof first) {
		seterr(r, got < 0 ? "read error: %s" : "too short to be a capture file%s",
		       got < 0 ? strerror(errno) : "");
		return false;
	}
	if (ld32(first) == NG_SHB) {
		uint8_t h[8];
		uint32_t type, len;

		memcpy(h, first, 4);
		if (read_n(r, h + 4, 4) != 4) {
			seterr(r, "pcapng section header is truncated");
			goto fail;
		}
		if (!ng_read_block(r, h, 0, &type, &len) ||
		    !ng_section(r, r->buf, len, 0))
			goto fail;
		r->fmt = PCAP_FMT_NG;
		return true;
	}
	if (classic_open(r, first))
		return true;
	if (r->err[0] == '\0')
		seterr(r, "not a pcap or pcapng file (magic %02x%02x%02x%02x)", first[0],
		       first[1], first[2], first[3]);
fail:
	pcap_close(r);
	return false;
}

enum pcap_status pcap_next(struct pcap_reader *r, struct pcap_record *rec)
{
	return r->fmt == PCAP_FMT_NG ? ng_next(r, rec) : classic_next(r, rec);
}

void pcap_close(struct pcap_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}

/* ---- dissection ---- */

static enum pcap_dissect skip(const char **why, const char *text)
{
	*why = text;
	return DISSECT_SKIP;
}

static enum pcap_dissect malformed(const char **why, const char *text)
{
	*why = text;
	return DISSECT_MALFORMED;
}

/* IPv4 header at p (n bytes captured) -> UDP payload. */
static enum pcap_dissect ipv4_udp(const uint8_t *p, size_t n, struct pcap_udp *out,
				  const char **why)
{
	size_t ihl, total, udp_len, have;
	uint16_t frag;

	if (n < 1)
		return malformed(why, "empty network-layer packet");
	if (p[0] >> 4 == 6)
		return skip(why, "IPv6 (the subnetra underlay is IPv4 only)");
	if (p[0] >> 4 != 4)
		return skip(why, "not an IP packet");
	if (n < IPV4_MIN_HDR)
		return malformed(why, "IPv4 header cut short by the capture");
	ihl = (size_t)(p[0] & 0x0f) * 4;
	total = load_be16(p + 2);
	if (ihl < IPV4_MIN_HDR || total < ihl)
		return malformed(why, "IPv4 header length fields are inconsistent");
	if (n < ihl)
		return malformed(why, "IPv4 options cut short by the capture");
	if (p[9] != IPPROTO_UDP_NUM)
		return skip(why, p[9] == 6 ? "TCP" : p[9] == 1 ? "ICMP" : "not UDP");
	frag = load_be16(p + 6);
	if ((frag & 0x1fff) != 0)
		return skip(why,
			    "a non-first IPv4 fragment (reassembly is not supported)");
	if (frag & 0x2000)
		return skip(
		    why, "a first IPv4 fragment (the datagram was fragmented; reassembly "
			 "is not supported)");
	/* Trailing link-layer padding is not part of the packet. */
	have = n < total ? n : total;
	if (have < ihl + UDP_HDR_LEN)
		return total < ihl + UDP_HDR_LEN
			   ? malformed(why, "UDP header does not fit the "
					    "IPv4 packet")
			   : malformed(why, "UDP header cut short by the "
					    "capture");
	p += ihl;
	have -= ihl;
	udp_len = load_be16(p + 4);
	if (udp_len < UDP_HDR_LEN || udp_len > total - ihl)
		return malformed(why,
				 "UDP length field is inconsistent with the IPv4 length");
	out->src = (struct endpoint4){.addr = load_be32(p - ihl + 12), .port = load_be16(p)};
	out->dst = (struct endpoint4){.addr = load_be32(p - ihl + 16), .port = load_be16(p + 2)};
	out->payload = p + UDP_HDR_LEN;
	out->wire_len = udp_len - UDP_HDR_LEN;
	out->len =
	    have - UDP_HDR_LEN < out->wire_len ? have - UDP_HDR_LEN : out->wire_len;
	if (out->len < out->wire_len) {
		*why = "the capture holds only part of the UDP payload (snap length)";
		return DISSECT_TRUNCATED;
	}
	return DISSECT_UDP;
}

/* An EtherType at p[0..1] followed by the network-layer packet. */
static enum pcap_dissect by_ethertype(const uint8_t *p, size_t n, struct pcap_udp *out,
				      const char **why)
{
	uint16_t et = load_be16(p);

	if (et == ETHERTYPE_IPV4)
		return ipv4_udp(p + 2, n - 2, out, why);
	if (et == ETHERTYPE_IPV6)
		return skip(why, "IPv6 (the subnetra underlay is IPv4 only)");
	return skip(why, et == 0x0806 ? "ARP" : "not IPv4");
}

enum pcap_dissect pcap_dissect_udp(const struct pcap_record *rec, struct pcap_udp *out,
				   const char **why)
{
	const uint8_t *p = rec->data;
	size_t n = rec->caplen;
	uint32_t fam;

	memset(out, 0, sizeof(*out));
	*why = "";
	switch (rec->linktype) {
	case LINKTYPE_ETHERNET:
		if (n < ETH_HDR_LEN)
			return malformed(why, "Ethernet header cut short");
		p += 12;
		n -= 12;
		for (int tags = 0; tags < MAX_VLAN_TAGS; tags++) {
			uint16_t et = load_be16(p);

			if (et != ETHERTYPE_VLAN && et != ETHERTYPE_QINQ)
				break;
			if (n < 6)
				return malformed(why, "VLAN tag cut short");
			p += 4;
			n -= 4;
		}
		return by_ethertype(p, n, out, why);
	case LINKTYPE_LINUX_SLL:
		if (n < SLL_HDR_LEN)
			return malformed(why, "Linux cooked header cut short");
		return by_ethertype(p + SLL_HDR_LEN - 2, n - (SLL_HDR_LEN - 2), out, why);
	case LINKTYPE_LINUX_SLL2:
		if (n < SLL2_HDR_LEN)
			return malformed(why, "Linux cooked v2 header cut short");
		if (load_be16(p) != ETHERTYPE_IPV4)
			return skip(why, load_be16(p) == ETHERTYPE_IPV6
					     ? "IPv6 (the subnetra underlay "
					       "is IPv4 only)"
					     : "not IPv4");
		return ipv4_udp(p + SLL2_HDR_LEN, n - SLL2_HDR_LEN, out, why);
	case LINKTYPE_NULL:
	case LINKTYPE_LOOP:
		if (n < 4)
			return malformed(why, "loopback header cut short");
		/* NULL: the capturing host's byte order; LOOP: big-endian.  AF_INET is 2
		 * everywhere. */
		fam = ld32(p);
		if (fam != 2 && bswap32(fam) != 2)
			return skip(why, "not IPv4");
		return ipv4_udp(p + 4, n - 4, out, why);
	case LINKTYPE_RAW:
	case LINKTYPE_IPV4:
		return ipv4_udp(p, n, out, why);
	default:
		*why = "link-layer type not supported (Ethernet, Linux cooked v1/v2, "
		       "loopback "
		       "and raw IP are)";
		return DISSECT_UNSUPPORTED_LINK;
	}
}
