/*
 * udp_stream: a UDP sender and a checking receiver for the netns scenarios
 * (tests/netns/t_udp_offload.sh).  Every datagram carries its own sequence
 * number, length and a payload pattern derived from both, so the receiver
 * proves each one arrived intact, once, whatever the tunnel did on the way
 * (segmentation, coalescing, re-sealing).
 *
 *   udp_stream send --to A.B.C.D:PORT --count N --size S
 *                   [--burst B --pause-us U] [--gso K [--last L]]
 *   udp_stream recv --port P [--expect N] [--idle-ms MS]
 *
 * send: N datagrams of S payload bytes (S >= 12).  --burst/--pause-us sleep
 * U µs after every B datagrams (default: no pause, a flood).  --gso K sends
 * K datagrams per sendmsg with UDP_SEGMENT (segment size S); with --last L
 * the K-th datagram of each message is L bytes (12 <= L <= S), as a
 * UDP_SEGMENT sender's shorter tail.  Prints "sent N bytes B messages M".
 *
 * recv: counts datagrams until N have arrived (--expect) or nothing came
 * for MS ms (default 2000, and at most 60 s in all).  Prints
 * "received N ok N bad N dup N reordered N bytes B"; bad = wrong magic,
 * length or pattern.  Exit status: 0 ok, 1 runtime error, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
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

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

enum {
	HDR = 12, /* magic u32 | seq u32 | length u32, big-endian */
	MAX_PAYLOAD = 65507,
	MAX_COUNT = 1 << 22,
	MAGIC = 0x55445053, /* "UDPS" */
};

_Noreturn static void usage(void)
{
	fputs("usage: udp_stream send --to A.B.C.D:PORT --count N --size S\n"
	      "                       [--burst B --pause-us U] [--gso K [--last L]]\n"
	      "       udp_stream recv --port P [--expect N] [--idle-ms MS]\n",
	      stderr);
	exit(2);
}

static long num(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "udp_stream: --%s: invalid value '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t pattern(uint32_t seq, size_t i)
{
	return (uint8_t)(seq * 131u + i * 7u + (i >> 8));
}

static void fill(uint8_t *p, uint32_t seq, size_t len)
{
	put32(p, MAGIC);
	put32(p + 4, seq);
	put32(p + 8, (uint32_t)len);
	for (size_t i = HDR; i < len; i++)
		p[i] = pattern(seq, i);
}

static bool intact(const uint8_t *p, size_t len, uint32_t *seq)
{
	if (len < HDR || get32(p) != MAGIC || get32(p + 8) != len)
		return false;
	*seq = get32(p + 4);
	for (size_t i = HDR; i < len; i++)
		if (p[i] != pattern(*seq, i))
			return false;
	return true;
}

static void pause_us(long us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One message: buf holds n datagrams back to back, each seg long but the last. */
static int send_msg(int fd, const struct sockaddr_in *to, uint8_t *buf, size_t len,
		    unsigned n, size_t seg)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {
	    .msg_name = (void *)(uintptr_t)to,
	    .msg_namelen = sizeof(*to),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	};

	if (n > 1) {
		uint16_t s = (uint16_t)seg;
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(s));
		memcpy(CMSG_DATA(c), &s, sizeof(s));
	}
	for (;;) {
		if (sendmsg(fd, &m, 0) == (ssize_t)len)
			return 0;
		if (errno == ENOBUFS || errno == EAGAIN) {
			pause_us(200); /* a full queue: wait, never drop on our side */
			continue;
		}
		if (errno != EINTR)
			return -errno;
	}
}

static int do_send(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"to", required_argument, NULL, 't'},    {"count", required_argument, NULL, 'n'},
	    {"size", required_argument, NULL, 's'},  {"burst", required_argument, NULL, 'b'},
	    {"pause-us", required_argument, NULL, 'p'}, {"gso", required_argument, NULL, 'g'},
	    {"last", required_argument, NULL, 'l'},  {NULL, 0, NULL, 0},
	};
	static uint8_t buf[MAX_PAYLOAD];
	struct sockaddr_in to = {.sin_family = AF_INET};
	long count = -1, size = -1, burst = 0, pause = 0, gso = 1, last = -1;
	unsigned long long bytes = 0;
	unsigned long msgs = 0;
	long since_pause = 0;
	char host[64];
	const char *colon;
	uint32_t seq = 0;
	int o, fd, err;

	host[0] = '\0';
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 't':
			colon = strrchr(optarg, ':');
			if (colon == NULL || (size_t)(colon - optarg) >= sizeof(host))
				usage();
			memcpy(host, optarg, (size_t)(colon - optarg));
			host[colon - optarg] = '\0';
			to.sin_port = htons((uint16_t)num("to", colon + 1, 1, 65535));
			if (inet_pton(AF_INET, host, &to.sin_addr) != 1)
				usage();
			break;
		case 'n': count = num("count", optarg, 1, MAX_COUNT); break;
		case 's': size = num("size", optarg, HDR, MAX_PAYLOAD); break;
		case 'b': burst = num("burst", optarg, 1, MAX_COUNT); break;
		case 'p': pause = num("pause-us", optarg, 0, 10000000); break;
		case 'g': gso = num("gso", optarg, 1, 128); break;
		case 'l': last = num("last", optarg, HDR, MAX_PAYLOAD); break;
		default: usage();
		}
	}
	if (host[0] == '\0' || count < 0 || size < 0 || last > size ||
	    (size_t)gso * (size_t)size > MAX_PAYLOAD)
		usage();
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("udp_stream: socket");
		return 1;
	}
	while (seq < (uint32_t)count) {
		unsigned n = 0;
		size_t len = 0;

		/* Up to gso datagrams per message; the gso-th may be the short one. */
		while (n < (unsigned)gso && seq < (uint32_t)count) {
			size_t dl = (n + 1 == (unsigned)gso && last > 0) ? (size_t)last : (size_t)size;

			fill(buf + len, seq++, dl);
			len += dl;
			n++;
			if (dl < (size_t)size)
				break;
		}
		err = send_msg(fd, &to, buf, len, n, (size_t)size);
		if (err < 0) {
			fprintf(stderr, "udp_stream: sendmsg: %s\n", strerror(-err));
			close(fd);
			return 1;
		}
		bytes += len;
		msgs++;
		since_pause += n;
		if (burst > 0 && since_pause >= burst) {
			pause_us(pause);
			since_pause = 0;
		}
	}
	close(fd);
	printf("sent %ld bytes %llu messages %lu\n", count, bytes, msgs);
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int do_recv(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"port", required_argument, NULL, 'P'},
	    {"expect", required_argument, NULL, 'e'},
	    {"idle-ms", required_argument, NULL, 'i'},
	    {NULL, 0, NULL, 0},
	};
	static uint8_t buf[MAX_PAYLOAD + 1], seen[MAX_COUNT / 8];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	unsigned long got = 0, ok = 0, bad = 0, dup = 0, reord = 0;
	unsigned long long bytes = 0;
	long port = -1, expect = -1, idle = 2000;
	int64_t deadline, quiet;
	int o, fd, rcvbuf = 16 << 20;
	uint32_t seq, next = 0;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'P': port = num("port", optarg, 1, 65535); break;
		case 'e': expect = num("expect", optarg, 1, MAX_COUNT); break;
		case 'i': idle = num("idle-ms", optarg, 1, 60000); break;
		default: usage();
		}
	}
	if (port < 0)
		usage();
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("udp_stream: socket");
		return 1;
	}
	/* A flood must not overrun us: what is lost must be the tunnel's doing. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	sa.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("udp_stream: bind");
		close(fd);
		return 1;
	}
	/* Readiness for the scenario: bound, so nothing sent from now on is refused. */
	fprintf(stderr, "listening\n");
	deadline = mono_ms() + 60000;
	quiet = mono_ms() + idle;
	while (expect < 0 || got < (unsigned long)expect) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t now = mono_ms(), until = quiet < deadline ? quiet : deadline;
		ssize_t n;

		if (now >= until)
			break;
		if (poll(&pfd, 1, (int)(until - now)) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			continue;
		quiet = mono_ms() + idle;
		got++;
		bytes += (unsigned long long)n;
		if (!intact(buf, (size_t)n, &seq) || seq >= MAX_COUNT) {
			bad++;
			continue;
		}
		if (seen[seq / 8] & (1u << (seq % 8))) {
			dup++;
			continue;
		}
		seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
		ok++;
		if (seq < next)
			reord++;
		else
			next = seq + 1;
	}
	close(fd);
	printf("received %lu ok %lu bad %lu dup %lu reordered %lu bytes %llu\n", got, ok, bad,
	       dup, reord, bytes);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "send") == 0)
		return do_send(argc - 1, argv + 1);
	if (strcmp(argv[1], "recv") == 0)
		return do_recv(argc - 1, argv + 1);
	usage();
}
