/*
 * udp_inject: a hostile-peer stand-in for the netns scenarios.  It sends
 * datagrams that must all be dropped (junk, runts, forged headers, replays of
 * captured genuine datagrams) from one UDP socket, then optionally listens on
 * that socket to prove that nothing of any kind came back.
 *
 *   udp_inject --to A.B.C.D:PORT [--from-port P] [--interval-us N]
 *              [--listen-ms MS] [--seed S] MODE...
 *   udp_inject --pcap-dump FILE
 *
 * Modes (any combination, sent in this order):
 *   --hex HEX [--count N]       one fixed datagram, N times (default 1)
 *   --junk N [--len L] [--key-id ID]
 *                               N random datagrams of L bytes (default 100);
 *                               with --key-id, bytes 2-3 carry that key_id
 *   --runts N                   N random datagrams of lengths 0..35, cycling
 *   --forge N [--key-id ID] [--len L] [--epoch E]
 *                               N well-formed v1 headers (flags 0, the given
 *                               key_id, epoch E or the current wall clock,
 *                               seq 1..N) + random body: fails AEAD
 *   --pcap FILE [--count N] [--flip-flags MASK]
 *                               resend the UDP payloads found in a classic
 *                               pcap file (Ethernet, raw IP, Linux SLL/SLL2);
 *                               with --flip-flags, byte 1 (the v1 flags) of
 *                               each is XORed with MASK first: an on-path
 *                               edit (obfuscation XORs a pad over the header,
 *                               so the same bit flips under the mask too)
 *
 * Prints "sent N bytes B" (B = sum of UDP payload lengths) and, with
 * --listen-ms, "received N".  --pcap-dump prints one line per UDP datagram
 * in the file: "SRC:PORT DST:PORT LEN HEX(first 20 bytes)" and sends nothing.
 * Exit status: 0 ok, 1 runtime error, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/cidr.h"
#include "os/linux/udp.h"

#include "core/wire.h"

enum {
	MAX_DGRAM = 65507,
	PCAP_MAX_FILE = 64 * 1024 * 1024,
	PCAP_MAX_RECORD = 262144,
	RUNT_LENGTHS = WIRE_MIN_DATAGRAM, /* 0..35 */
};

struct opts {
	const char *to;
	int from_port;
	long interval_us;
	long listen_ms;
	uint64_t seed;
	bool have_seed;
	const char *hex;
	long count; /* for --hex and --pcap; -1 = default */
	long junk;
	long runts;
	long forge;
	long len;
	long key_id; /* -1 = unset */
	uint64_t epoch;
	const char *pcap;
	long flip_flags; /* XOR into byte 1 of each --pcap payload; 0 = none */
	const char *pcap_dump;
};

struct sender {
	int fd;
	struct sockaddr_in to;
	long interval_us;
	unsigned long sent;
	unsigned long long bytes;
	uint64_t seed;
	uint64_t stream; /* advances per random buffer so every packet differs */
	bool deterministic;
};

static void usage(void)
{
	fputs("usage: udp_inject --to A.B.C.D:PORT [--from-port P] [--interval-us N]\n"
	      "                  [--listen-ms MS] [--seed S]\n"
	      "                  [--hex HEX [--count N]] [--junk N [--len L] [--key-id ID]]\n"
	      "                  [--runts N] [--forge N [--key-id ID] [--len L] [--epoch E]]\n"
	      "                  [--pcap FILE [--count N] [--flip-flags MASK]]\n"
	      "       udp_inject --pcap-dump FILE\n",
	      stderr);
	exit(2);
}

static long parse_long(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "udp_inject: %s: invalid value '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

static uint64_t parse_u64(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr, "udp_inject: %s: invalid value '%s'\n", opt, s);
		exit(2);
	}
	return (uint64_t)v;
}

static void fill_random(struct sender *s, uint8_t *buf, size_t len)
{
	unsigned char seed[randombytes_SEEDBYTES] = {0};

	if (!s->deterministic) {
		randombytes_buf(buf, len);
		return;
	}
	memcpy(seed, &s->seed, sizeof(s->seed));
	memcpy(seed + 8, &s->stream, sizeof(s->stream));
	s->stream++;
	randombytes_buf_deterministic(buf, len, seed);
}

static int send_one(struct sender *s, const uint8_t *buf, size_t len)
{
	if (s->sent > 0 && s->interval_us > 0) {
		struct timespec ts = {
			.tv_sec = s->interval_us / 1000000,
			.tv_nsec = (s->interval_us % 1000000) * 1000,
		};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	for (;;) {
		ssize_t n = sendto(s->fd, buf, len, 0, (const struct sockaddr *)&s->to,
				   sizeof(s->to));
		if (n == (ssize_t)len)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		fprintf(stderr, "udp_inject: sendto (%zu bytes): %s\n", len,
			n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	s->sent++;
	s->bytes += len;
	return 0;
}

/* "A.B.C.D:PORT" through the project's strict parser. */
static bool parse_endpoint(const char *text, struct sockaddr_in *out)
{
	struct endpoint4 e;

	if (endpoint_parse(&e, text, strlen(text)) != ADDR_OK)
		return false;
	endpoint_to_sockaddr(out, &e);
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Returns the decoded length, or -1 on odd length / bad digit / overflow. */
static long hex_decode(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex), i;

	if (n % 2 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval((unsigned char)hex[2 * i]);
		int lo = hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

/* ---- classic pcap reader (bounds-checked) ---------------------------- */

struct pcap_file {
	uint8_t *data;
	size_t len;
	size_t off;
	bool swapped;
	uint32_t linktype;
};

struct udp_view {
	uint32_t src, dst; /* network byte order */
	uint16_t sport, dport;
	const uint8_t *payload;
	size_t len;
};

static uint32_t rd32(const struct pcap_file *p, const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return p->swapped ? __builtin_bswap32(v) : v;
}

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static int pcap_open(struct pcap_file *p, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint32_t magic;
	size_t n;

	memset(p, 0, sizeof(*p));
	if (!f) {
		fprintf(stderr, "udp_inject: %s: %s\n", path, strerror(errno));
		return -1;
	}
	p->data = malloc(PCAP_MAX_FILE);
	if (!p->data) {
		fclose(f);
		return -1;
	}
	n = fread(p->data, 1, PCAP_MAX_FILE, f);
	if (ferror(f) || !feof(f)) {
		fprintf(stderr, "udp_inject: %s: read error or larger than %d bytes\n", path,
			PCAP_MAX_FILE);
		fclose(f);
		return -1;
	}
	fclose(f);
	p->len = n;
	if (n < 24) {
		fprintf(stderr, "udp_inject: %s: not a pcap file (%zu bytes)\n", path, n);
		return -1;
	}
	memcpy(&magic, p->data, 4);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
		p->swapped = false;
	} else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
		p->swapped = true;
	} else {
		fprintf(stderr, "udp_inject: %s: bad pcap magic 0x%08x (pcapng is not supported)\n",
			path, magic);
		return -1;
	}
	p->linktype = rd32(p, p->data + 20) & 0x0fffffff;
	p->off = 24;
	return 0;
}

/* Locates the IPv4 header inside one captured frame; NULL if not IPv4. */
static const uint8_t *frame_ipv4(const struct pcap_file *p, const uint8_t *f, size_t caplen,
				 size_t *iplen)
{
	size_t off;
	uint16_t et;

	switch (p->linktype) {
	case 1: /* Ethernet */
		if (caplen < 14)
			return NULL;
		et = be16(f + 12);
		off = 14;
		while (et == 0x8100 || et == 0x88a8) {
			if (caplen < off + 4)
				return NULL;
			et = be16(f + off + 2);
			off += 4;
		}
		break;
	case 12: /* raw IP (OpenBSD value, used by some writers) */
	case 101: /* LINKTYPE_RAW */
	case 228: /* LINKTYPE_IPV4 */
		et = 0x0800;
		off = 0;
		break;
	case 113: /* Linux cooked SLL */
		if (caplen < 16)
			return NULL;
		et = be16(f + 14);
		off = 16;
		break;
	case 276: /* Linux cooked SLL2 */
		if (caplen < 20)
			return NULL;
		et = be16(f);
		off = 20;
		break;
	default:
		return NULL;
	}
	if (et != 0x0800 || caplen <= off)
		return NULL;
	*iplen = caplen - off;
	return f + off;
}

/* Next UDP datagram in the file: 1 found, 0 end of file, -1 malformed file. */
static int pcap_next_udp(struct pcap_file *p, struct udp_view *u)
{
	while (p->off < p->len) {
		const uint8_t *rec, *ip, *udp;
		size_t caplen, iplen, ihl, total, ulen;
		uint16_t frag;

		if (p->len - p->off < 16)
			return -1;
		rec = p->data + p->off;
		caplen = rd32(p, rec + 8);
		if (caplen > PCAP_MAX_RECORD || caplen > p->len - p->off - 16)
			return -1;
		p->off += 16 + caplen;

		ip = frame_ipv4(p, rec + 16, caplen, &iplen);
		if (!ip || iplen < 20 || ip[0] >> 4 != 4)
			continue;
		ihl = (size_t)(ip[0] & 0x0f) * 4;
		total = be16(ip + 2);
		frag = be16(ip + 6);
		if (ihl < 20 || total < ihl || ip[9] != IPPROTO_UDP || (frag & 0x3fff))
			continue; /* not UDP, or a fragment: nothing to resend */
		if (total > iplen)
			continue; /* truncated capture (snaplen): the payload is incomplete */
		if (total - ihl < 8)
			continue;
		udp = ip + ihl;
		ulen = be16(udp + 4);
		if (ulen < 8 || ulen > total - ihl)
			continue;
		memcpy(&u->src, ip + 12, 4);
		memcpy(&u->dst, ip + 16, 4);
		u->sport = be16(udp);
		u->dport = be16(udp + 2);
		u->payload = udp + 8;
		u->len = ulen - 8;
		return 1;
	}
	return 0;
}

static int pcap_dump(const char *path)
{
	struct pcap_file p;
	struct udp_view u;
	int r, rc = 0;

	if (pcap_open(&p, path) < 0) {
		free(p.data);
		return 1;
	}
	while ((r = pcap_next_udp(&p, &u)) == 1) {
		char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
		size_t i;

		inet_ntop(AF_INET, &u.src, s, sizeof(s));
		inet_ntop(AF_INET, &u.dst, d, sizeof(d));
		printf("%s:%u %s:%u %zu ", s, u.sport, d, u.dport, u.len);
		for (i = 0; i < u.len && i < WIRE_HEADER_LEN; i++)
			printf("%02x", u.payload[i]);
		putchar('\n');
	}
	if (r < 0) {
		fprintf(stderr, "udp_inject: %s: truncated or malformed record\n", path);
		rc = 1;
	}
	free(p.data);
	return rc;
}

static int send_pcap(struct sender *s, const char *path, long count, uint8_t flip)
{
	static uint8_t edited[MAX_DGRAM];
	struct pcap_file p;
	struct udp_view u;
	long n = 0;
	int r, rc = 0;

	if (pcap_open(&p, path) < 0) {
		free(p.data);
		return -1;
	}
	while ((count < 0 || n < count) && (r = pcap_next_udp(&p, &u)) == 1) {
		const uint8_t *payload = u.payload;

		if (flip != 0 && u.len >= 2 && u.len <= sizeof(edited)) {
			memcpy(edited, u.payload, u.len);
			edited[1] ^= flip;
			payload = edited;
		}
		if (send_one(s, payload, u.len) < 0) {
			rc = -1;
			break;
		}
		n++;
	}
	if (rc == 0 && (count < 0 || n < count) && r < 0) {
		fprintf(stderr, "udp_inject: %s: truncated or malformed record\n", path);
		rc = -1;
	}
	free(p.data);
	return rc;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long count_replies(int fd, long ms)
{
	struct timespec start, now;
	uint8_t buf[2048];
	long got = 0, left = ms;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (left > 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, (int)left);

		if (r < 0 && errno != EINTR)
			break;
		if (r > 0) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			/* An ICMP error queued on the socket also counts as a reply. */
			if (n >= 0 || (errno != EAGAIN && errno != EINTR))
				got++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = ms - ((now.tv_sec - start.tv_sec) * 1000 +
			     (now.tv_nsec - start.tv_nsec) / 1000000);
	}
	return got;
}

int main(int argc, char **argv)
{
	static uint8_t buf[MAX_DGRAM];
	struct opts o = {.count = -1, .len = -1, .key_id = -1};
	struct sender s = {.fd = -1};
	struct sockaddr_in from = {.sin_family = AF_INET};
	int i, one = 1, rc = 1;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define NEED_VALUE()                                                              \
	do {                                                                      \
		if (!v) {                                                         \
			fprintf(stderr, "udp_inject: %s: missing value\n", a);    \
			usage();                                                  \
		}                                                                 \
		i++;                                                              \
	} while (0)
		if (!strcmp(a, "--to")) {
			NEED_VALUE();
			o.to = v;
		} else if (!strcmp(a, "--from-port")) {
			NEED_VALUE();
			o.from_port = (int)parse_long(a, v, 1, 65535);
		} else if (!strcmp(a, "--interval-us")) {
			NEED_VALUE();
			o.interval_us = parse_long(a, v, 0, 10000000);
		} else if (!strcmp(a, "--listen-ms")) {
			NEED_VALUE();
			o.listen_ms = parse_long(a, v, 0, 600000);
		} else if (!strcmp(a, "--seed")) {
			NEED_VALUE();
			o.seed = parse_u64(a, v);
			o.have_seed = true;
		} else if (!strcmp(a, "--hex")) {
			NEED_VALUE();
			o.hex = v;
		} else if (!strcmp(a, "--count")) {
			NEED_VALUE();
			o.count = parse_long(a, v, 0, 100000000);
		} else if (!strcmp(a, "--junk")) {
			NEED_VALUE();
			o.junk = parse_long(a, v, 0, 100000000);
		} else if (!strcmp(a, "--runts")) {
			NEED_VALUE();
			o.runts = parse_long(a, v, 0, 100000000);
		} else if (!strcmp(a, "--forge")) {
			NEED_VALUE();
			o.forge = parse_long(a, v, 0, 100000000);
		} else if (!strcmp(a, "--len")) {
			NEED_VALUE();
			o.len = parse_long(a, v, 0, MAX_DGRAM);
		} else if (!strcmp(a, "--key-id")) {
			NEED_VALUE();
			o.key_id = parse_long(a, v, 0, 65535);
		} else if (!strcmp(a, "--epoch")) {
			NEED_VALUE();
			o.epoch = parse_u64(a, v);
		} else if (!strcmp(a, "--pcap")) {
			NEED_VALUE();
			o.pcap = v;
		} else if (!strcmp(a, "--flip-flags")) {
			NEED_VALUE();
			o.flip_flags = parse_long(a, v, 0, 255);
		} else if (!strcmp(a, "--pcap-dump")) {
			NEED_VALUE();
			o.pcap_dump = v;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage();
		} else {
			fprintf(stderr, "udp_inject: unknown option '%s'\n", a);
			usage();
		}
#undef NEED_VALUE
	}

	if (o.pcap_dump)
		return pcap_dump(o.pcap_dump);
	if (!o.to || !parse_endpoint(o.to, &s.to)) {
		fprintf(stderr, "udp_inject: --to A.B.C.D:PORT is required\n");
		usage();
	}
	if (o.forge > 0 && o.len >= 0 && o.len < WIRE_MIN_DATAGRAM) {
		fprintf(stderr, "udp_inject: --forge needs --len >= %d\n", WIRE_MIN_DATAGRAM);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "udp_inject: sodium_init failed\n");
		return 1;
	}
	s.interval_us = o.interval_us;
	s.seed = o.seed;
	s.deterministic = o.have_seed;

	s.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s.fd < 0) {
		perror("udp_inject: socket");
		return 1;
	}
	setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	from.sin_port = htons((uint16_t)o.from_port);
	if (bind(s.fd, (struct sockaddr *)&from, sizeof(from)) < 0) {
		perror("udp_inject: bind");
		goto out;
	}

	if (o.hex) {
		long n = hex_decode(o.hex, buf, sizeof(buf)), k;
		long count = o.count < 0 ? 1 : o.count;

		if (n < 0) {
			fprintf(stderr, "udp_inject: --hex: invalid hex string\n");
			rc = 2;
			goto out;
		}
		for (k = 0; k < count; k++)
			if (send_one(&s, buf, (size_t)n) < 0)
				goto out;
	}
	for (long k = 0; k < o.junk; k++) {
		size_t len = o.len < 0 ? 100 : (size_t)o.len;

		fill_random(&s, buf, len);
		if (o.key_id >= 0 && len >= 4) {
			buf[2] = (uint8_t)(o.key_id & 0xff);
			buf[3] = (uint8_t)(o.key_id >> 8);
		}
		if (send_one(&s, buf, len) < 0)
			goto out;
	}
	for (long k = 0; k < o.runts; k++) {
		size_t len = (size_t)(k % RUNT_LENGTHS);

		fill_random(&s, buf, len);
		if (send_one(&s, buf, len) < 0)
			goto out;
	}
	for (long k = 0; k < o.forge; k++) {
		size_t len = o.len < 0 ? 100 : (size_t)o.len;
		struct wire_header h = {
			.version = WIRE_VERSION,
			.flags = 0,
			.key_id = (uint16_t)(o.key_id < 0 ? 1 : o.key_id),
			.epoch = o.epoch ? o.epoch : wall_ns(),
			.seq = (uint64_t)k + 1,
		};

		fill_random(&s, buf + WIRE_HEADER_LEN, len - WIRE_HEADER_LEN);
		wire_header_encode(buf, &h);
		if (send_one(&s, buf, len) < 0)
			goto out;
	}
	if (o.pcap && send_pcap(&s, o.pcap, o.count, (uint8_t)o.flip_flags) < 0)
		goto out;

	printf("sent %lu bytes %llu\n", s.sent, s.bytes);
	fflush(stdout);
	if (o.listen_ms > 0)
		printf("received %ld\n", count_replies(s.fd, o.listen_ms));
	rc = 0;
out:
	close(s.fd);
	return rc;
}
