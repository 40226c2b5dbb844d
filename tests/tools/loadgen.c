/*
 * loadgen: N simulated spokes driving one hub, for the peer-scale benchmark
 * (bench/peers.sh).  Simulated peer i (0-based) has id i + 2, overlay address
 * 10.0.(id >> 8).(id & 255) and its own PSK, derived from a seed:
 *     psk(id) = BLAKE2b-256(key = BLAKE2b-256(seed), "subnetra-loadgen-psk" || u32be(id))
 * so `--print-config` emits the hub's config.json for exactly the keys that
 * the sender uses.  Every datagram is sealed (and, unless --no-obfuscate,
 * header-obfuscated) through the wire module, exactly as a spoke's would be.
 *
 *   loadgen --print-config --peers N --from A.B.C.D [--hub-port P] [--seed S]
 *           [--port-base P] [--no-obfuscate]
 *   loadgen --to A.B.C.D:PORT --from A.B.C.D --peers N [--seed S] [--port-base P]
 *           [--no-obfuscate] [--seconds S] [--rate PPS] [--batch B] [--size N]
 *
 * Each peer has its own source port (port-base + i) and so its own endpoint,
 * as real spokes would; one raw IPv4 socket (IP_HDRINCL) sends for all of
 * them, so a sendmmsg batch interleaves peers round-robin, packet by packet:
 * the hub's per-packet peer selection is exercised on every datagram, with
 * no locality to exploit.  The outer UDP checksum is 0 (none; valid on IPv4).
 *
 * The inner packet is an IPv4/UDP packet of --size bytes (default 1400) from
 * the peer's address to the sink 10.0.255.254, which the hub routes to its
 * own TUN (bench/peers.sh adds that rule); the hub's kernel, with forwarding
 * off, then drops it silently, so the hub does the whole receive path and
 * nothing comes back.  Prints one line:
 *     sent P packets B bytes in T s: R pps, E send errors (peers N, obfuscate on|off)
 * Traffic goes to --to only.  Exit status: 0 ok, 1 runtime error, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/aead.h"
#include "core/wire.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	HUB_ID = 1,
	FIRST_ID = 2,
	MAX_SIM_PEERS = 60000,
	DEFAULT_PORT_BASE = 2000,
	MAX_BATCH = 256,
	DEFAULT_BATCH = 64,
	DEFAULT_SIZE = 1400,
	INNER_MIN = 28, /* IPv4 + UDP headers */
	OUTER_HDR = 28,
	SLOT = OUTER_HDR + WIRE_MAX_DATAGRAM,
	SINK_ADDR = 0x0a00fffe, /* 10.0.255.254 */
};

static const char PSK_LABEL[] = "subnetra-loadgen-psk";

struct options {
	bool print_config;
	unsigned peers;
	const char *seed;
	uint32_t from;     /* host order */
	bool have_from;
	uint32_t to;       /* host order */
	uint16_t to_port;
	bool have_to;
	uint16_t hub_port; /* --print-config */
	unsigned port_base;
	bool obfuscate;
	double seconds;
	double rate;
	unsigned batch;
	unsigned size;
};

struct sim_peer {
	uint16_t id;
	uint16_t sport;
	uint32_t addr; /* overlay address, host order */
	uint64_t seq;
	wire_key link_key;
	wire_key session_key;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fputs("usage: loadgen --print-config --peers N --from A.B.C.D [--hub-port P] [--seed S]\n"
	      "               [--port-base P] [--no-obfuscate]\n"
	      "       loadgen --to A.B.C.D:PORT --from A.B.C.D --peers N [--seed S]\n"
	      "               [--port-base P] [--no-obfuscate] [--seconds S] [--rate PPS]\n"
	      "               [--batch B] [--size N]\n",
	      stderr);
}

static bool parse_u(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return *end == '\0' && errno == 0 && *out >= lo && *out <= hi;
}

static bool parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

static bool parse_endpoint(const char *s, uint32_t *ip, uint16_t *port)
{
	char buf[32];
	const char *colon = strrchr(s, ':');
	unsigned long p;

	if (colon == NULL || (size_t)(colon - s) >= sizeof buf)
		return false;
	memcpy(buf, s, (size_t)(colon - s));
	buf[colon - s] = '\0';
	if (!parse_ip(buf, ip) || !parse_u(colon + 1, 1, 65535, &p))
		return false;
	*port = (uint16_t)p;
	return true;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	unsigned long v;

	*o = (struct options){.seed = "subnetra-bench", .hub_port = 18020,
			      .port_base = DEFAULT_PORT_BASE, .obfuscate = true, .seconds = 5,
			      .batch = DEFAULT_BATCH, .size = DEFAULT_SIZE};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = true;

		if (strcmp(a, "--print-config") == 0) {
			o->print_config = true;
			continue;
		} else if (strcmp(a, "--no-obfuscate") == 0) {
			o->obfuscate = false;
			continue;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage();
			return EXIT_OK;
		}
		if (val == NULL) {
			fprintf(stderr, "loadgen: unknown or incomplete argument '%s'\n", a);
			usage();
			return EXIT_USAGE;
		}
		i++;
		if (strcmp(a, "--peers") == 0) {
			ok = parse_u(val, 1, MAX_SIM_PEERS, &v);
			o->peers = (unsigned)v;
		} else if (strcmp(a, "--seed") == 0) {
			o->seed = val;
		} else if (strcmp(a, "--from") == 0) {
			ok = o->have_from = parse_ip(val, &o->from);
		} else if (strcmp(a, "--to") == 0) {
			ok = o->have_to = parse_endpoint(val, &o->to, &o->to_port);
		} else if (strcmp(a, "--hub-port") == 0) {
			ok = parse_u(val, 1, 65535, &v);
			o->hub_port = (uint16_t)v;
		} else if (strcmp(a, "--port-base") == 0) {
			ok = parse_u(val, 1, 65535, &v);
			o->port_base = (unsigned)v;
		} else if (strcmp(a, "--seconds") == 0) {
			char *end;

			o->seconds = strtod(val, &end);
			ok = *end == '\0' && o->seconds > 0 && o->seconds <= 3600;
		} else if (strcmp(a, "--rate") == 0) {
			char *end;

			o->rate = strtod(val, &end);
			ok = *end == '\0' && o->rate >= 0 && o->rate <= 1e9;
		} else if (strcmp(a, "--batch") == 0) {
			ok = parse_u(val, 1, MAX_BATCH, &v);
			o->batch = (unsigned)v;
		} else if (strcmp(a, "--size") == 0) {
			ok = parse_u(val, INNER_MIN, WIRE_MAX_PLAINTEXT, &v);
			o->size = (unsigned)v;
		} else {
			fprintf(stderr, "loadgen: unknown argument '%s'\n", a);
			usage();
			return EXIT_USAGE;
		}
		if (!ok) {
			fprintf(stderr, "loadgen: %s: invalid value '%s'\n", a, val);
			return EXIT_USAGE;
		}
	}
	if (o->peers == 0 || !o->have_from || (!o->print_config && !o->have_to)) {
		fprintf(stderr, "loadgen: --peers, --from and (unless --print-config) --to are required\n");
		usage();
		return EXIT_USAGE;
	}
	if (o->port_base + o->peers - 1 > 65535) {
		fprintf(stderr, "loadgen: --port-base %u + %u peers exceeds port 65535\n",
			o->port_base, o->peers);
		return EXIT_USAGE;
	}
	return -1;
}

static void derive_psk(uint8_t psk[WIRE_PSK_LEN], const uint8_t seed_key[32], uint16_t id)
{
	enum { LABEL_LEN = sizeof PSK_LABEL - 1 };
	uint8_t msg[LABEL_LEN + 4] = {0};

	memcpy(msg, PSK_LABEL, LABEL_LEN);
	/* u32be(id): the top two bytes stay zero. */
	msg[LABEL_LEN + 2] = (uint8_t)(id >> 8);
	msg[LABEL_LEN + 3] = (uint8_t)id;
	crypto_generichash(psk, WIRE_PSK_LEN, msg, sizeof msg, seed_key, 32);
}

static uint32_t peer_addr(uint16_t id)
{
	return 0x0a000000u | id;
}

static void fmt_ip(char *out, size_t n, uint32_t a)
{
	snprintf(out, n, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static void seed_key_of(uint8_t seed_key[32], const char *seed)
{
	crypto_generichash(seed_key, 32, (const uint8_t *)seed, strlen(seed), NULL, 0);
}

/* The hub's config: compact (one peer per line) to stay far below CONFIG_MAX. */
static int print_config(const struct options *o)
{
	uint8_t seed_key[32], psk[WIRE_PSK_LEN];
	char hex[2 * WIRE_PSK_LEN + 1], from[16], addr[16];

	seed_key_of(seed_key, o->seed);
	fmt_ip(from, sizeof from, o->from);
	printf("{\"role\":\"hub\",\"virtual_subnet\":\"10.0.0.0/16\",\"local_id\":%d,"
	       "\"local_tun_ip\":\"10.0.0.1/16\",\"listen_ports\":[%u],\"obfuscate\":%s,\"peers\":[\n",
	       HUB_ID, o->hub_port, o->obfuscate ? "true" : "false");
	for (unsigned i = 0; i < o->peers; i++) {
		uint16_t id = (uint16_t)(FIRST_ID + i);

		derive_psk(psk, seed_key, id);
		sodium_bin2hex(hex, sizeof hex, psk, sizeof psk);
		fmt_ip(addr, sizeof addr, peer_addr(id));
		printf("{\"id\":%u,\"endpoint\":\"%s:%u\",\"allowed_src\":\"%s/32\",\"psk\":\"%s\"}%s\n",
		       id, from, o->port_base + i, addr, hex, i + 1 < o->peers ? "," : "");
	}
	printf("]}\n");
	sodium_memzero(psk, sizeof psk);
	sodium_memzero(hex, sizeof hex);
	sodium_memzero(seed_key, sizeof seed_key);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

static uint16_t ip_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* IPv4 header (no options, checksum computed) + UDP header, checksum 0. */
static void ipv4_udp(uint8_t *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		     size_t total)
{
	memset(p, 0, INNER_MIN);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)total);
	p[8] = 64;
	p[9] = IPPROTO_UDP;
	put32(p + 12, src);
	put32(p + 16, dst);
	put16(p + 10, ip_checksum(p, 20));
	put16(p + 20, sport);
	put16(p + 22, dport);
	put16(p + 24, (uint16_t)(total - 20));
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int run(const struct options *o)
{
	uint8_t seed_key[32], psk[WIRE_PSK_LEN];
	struct sim_peer *peers = NULL;
	uint8_t (*slots)[SLOT] = NULL;
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	struct sockaddr_in to = {.sin_family = AF_INET};
	struct timespec rt;
	uint64_t epoch, t0, t_end, sent = 0, bytes = 0, errors = 0, next_due;
	size_t dlen = WIRE_HEADER_LEN + o->size + WIRE_TAG_LEN;
	unsigned cur = 0;
	double elapsed;
	int fd = -1, rc = EXIT_FAIL;

	peers = calloc(o->peers, sizeof(*peers));
	slots = calloc(o->batch, sizeof(*slots));
	if (peers == NULL || slots == NULL) {
		fprintf(stderr, "loadgen: out of memory\n");
		goto out;
	}
	/* A fresh boot epoch: the hub's sessions only move forward. */
	clock_gettime(CLOCK_REALTIME, &rt);
	epoch = (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec;
	if (epoch < WIRE_MIN_EPOCH)
		epoch = WIRE_MIN_EPOCH;
	seed_key_of(seed_key, o->seed);
	for (unsigned i = 0; i < o->peers; i++) {
		struct sim_peer *p = &peers[i];

		p->id = (uint16_t)(FIRST_ID + i);
		p->sport = (uint16_t)(o->port_base + i);
		p->addr = peer_addr(p->id);
		derive_psk(psk, seed_key, p->id);
		wire_link_key(p->link_key, psk, p->id, HUB_ID);
		wire_session_key(p->session_key, p->link_key, epoch);
	}
	sodium_memzero(psk, sizeof psk);
	sodium_memzero(seed_key, sizeof seed_key);

	/* IPPROTO_RAW implies IP_HDRINCL; the kernel fills the outer checksum. */
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0) {
		fprintf(stderr, "loadgen: raw socket: %s (needs CAP_NET_RAW)\n", strerror(errno));
		goto out;
	}
	to.sin_addr.s_addr = htonl(o->to);
	for (unsigned j = 0; j < o->batch; j++) {
		memset(&msgs[j], 0, sizeof msgs[j]);
		iov[j].iov_base = slots[j];
		iov[j].iov_len = OUTER_HDR + dlen;
		msgs[j].msg_hdr.msg_iov = &iov[j];
		msgs[j].msg_hdr.msg_iovlen = 1;
		msgs[j].msg_hdr.msg_name = &to;
		msgs[j].msg_hdr.msg_namelen = sizeof to;
		randombytes_buf(slots[j], SLOT);
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = mono_ns();
	t_end = t0 + (uint64_t)(o->seconds * 1e9);
	next_due = t0;
	while (!stop) {
		uint64_t now = mono_ns();
		unsigned n = 0;
		int r;

		if (now >= t_end)
			break;
		if (o->rate > 0) {
			if (now < next_due) {
				struct timespec ts = {0, (long)(next_due - now)};

				nanosleep(&ts, NULL);
				continue;
			}
			next_due += (uint64_t)(o->batch * 1e9 / o->rate);
		}
		for (unsigned j = 0; j < o->batch; j++) {
			struct sim_peer *p = &peers[cur];
			uint8_t *wire = slots[j] + OUTER_HDR;

			if (++cur == o->peers)
				cur = 0;
			/* The inner packet; its payload is whatever the slot held. */
			ipv4_udp(wire + WIRE_HEADER_LEN, p->addr, SINK_ADDR, 9, 9, o->size);
			wire_seal(wire, o->size, p->session_key, p->id, epoch, ++p->seq);
			if (o->obfuscate)
				wire_obfs_apply(wire, dlen, p->link_key);
			ipv4_udp(slots[j], o->from, o->to, p->sport, o->to_port, OUTER_HDR + dlen);
			n++;
		}
		r = sendmmsg(fd, msgs, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS && errno != EAGAIN) {
				fprintf(stderr, "loadgen: sendmmsg: %s\n", strerror(errno));
				goto out;
			}
			errors += n;
			continue;
		}
		sent += (unsigned)r;
		bytes += (uint64_t)r * dlen;
		errors += n - (unsigned)r;
	}
	elapsed = (double)(mono_ns() - t0) / 1e9;
	printf("sent %" PRIu64 " packets %" PRIu64 " bytes in %.3f s: %.0f pps, %" PRIu64
	       " send errors (peers %u, obfuscate %s)\n",
	       sent, bytes, elapsed, (double)sent / elapsed, errors, o->peers,
	       o->obfuscate ? "on" : "off");
	rc = EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	if (peers != NULL) {
		sodium_memzero(peers, (size_t)o->peers * sizeof(*peers));
		free(peers);
	}
	free(slots);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (sodium_init() < 0 || aead_init() < 0) {
		fprintf(stderr, "loadgen: crypto initialisation failed\n");
		return EXIT_FAIL;
	}
	return o.print_config ? print_config(&o) : run(&o);
}
