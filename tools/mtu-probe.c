/*
 * subnetra-mtu-probe: measures the underlay path MTU end to end over plain
 * UDP, without trusting ICMP, and recommends local_tun_mtu.
 *
 *   --listen PORT        echo probe datagrams (the far node)
 *   --probe HOST:PORT    binary-search the largest datagram that round-trips
 *
 * Every probe leaves with the Don't-Fragment bit set (IP_MTU_DISCOVER =
 * IP_PMTUDISC_PROBE: DF on, the kernel's cached path MTU ignored, so an
 * earlier ICMP cannot shrink what we measure; IP_PMTUDISC_DO where PROBE is
 * not available).  A size is "too big" when send() says EMSGSIZE (larger
 * than the local interface), when an ICMP "fragmentation needed" comes back
 * as EMSGSIZE on the socket and the kernel's path MTU confirms it, or when
 * no reply arrives within the timeout after every retry (an ICMP black hole
 * looks exactly like that).  The listener replies with DF set as well, so
 * both directions are measured.
 *
 * The listener answers only well-formed requests (tools/lib/mtuprobe.c), with a
 * reply of exactly the request's size, from a token bucket, never to a
 * privileged source port: it cannot be used to amplify or loop traffic.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cliargs.h"
#include "core/cidr.h"
#include "core/version.h"
#include "core/wire.h"
#include "os/linux/clock.h"
#include "tools/lib/mtuprobe.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	DEFAULT_CEIL = 1500,
	DEFAULT_TIMEOUT_MS = 500,
	DEFAULT_RETRIES = 3,
	DEFAULT_RATE = 100,
	MAX_RATE = 10000,
	MAX_TIMEOUT_MS = 60000,
	MAX_RETRIES = 20,
	MIN_SOURCE_PORT = 1024, /* never reply to privileged (service) ports */
	BUF_LEN = 65536,
};

static const char synopsis[] =
    "usage: subnetra-mtu-probe --listen PORT [--bind A.B.C.D] [--rate N]\n"
    "       subnetra-mtu-probe --probe A.B.C.D:PORT [--ceil N] [--timeout MS]\n"
    "                          [--retries N] [--verbose]\n"
    "       subnetra-mtu-probe --version | --help\n";

#define USAGE_REST                                                                       \
	"Measures the underlay path MTU end to end with Don't-Fragment UDP datagrams\n"  \
	"(no ICMP needed) and prints the local_tun_mtu to configure.  Run the\n"         \
	"listener on the far node, the prober on the near one:\n"                        \
	"\n"                                                                             \
	"  --listen PORT      echo probe datagrams on UDP PORT until SIGINT/SIGTERM\n"   \
	"  --bind A.B.C.D     with --listen: the local address (default all)\n"          \
	"  --rate N           with --listen: at most N replies per second (1..%d,\n"     \
	"                     default %d); replies are never larger than requests\n"     \
	"  --probe A.B.C.D:PORT  binary-search the largest datagram that round-trips\n"  \
	"  --ceil N           largest path MTU to try (%d..%d, default %d; 9000 for\n"   \
	"                     jumbo frames)\n"                                           \
	"  --timeout MS       wait per probe (10..%d, default %d)\n"                     \
	"  --retries N        tries per size before it counts as too big (1..%d,\n"      \
	"                     default %d)\n"                                             \
	"  --verbose, -v      print every probe to stderr\n"                             \
	"  --version, -V      print the version and exit\n"                              \
	"  --help, -h         print this help and exit\n"                                \
	"\n"                                                                             \
	"Prober output:\n"                                                               \
	"  # underlay path MTU : 1492 bytes (largest UDP payload that round-tripped: "   \
	"1464 + 28 IPv4/UDP)\n"                                                          \
	"  # subnetra overhead : 64 bytes\n"                                             \
	"  # recommended : local_tun_mtu = 1428\n"                                       \
	"\n"                                                                             \
	"exit status: 0 measured (or listener stopped by a signal), 1 no reply,\n"       \
	"network error, or a path too small for the tunnel, 2 usage error\n"

struct options {
	bool listen;
	bool probe;
	uint16_t port;		 /* --listen */
	uint32_t bind_addr;	 /* --bind, host order; 0 = any */
	struct endpoint4 target; /* --probe */
	unsigned ceil;
	unsigned timeout_ms;
	unsigned retries;
	unsigned rate;
	bool verbose;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

#define usage_error(...) cliarg_usage_error("subnetra-mtu-probe", synopsis, __VA_ARGS__)

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct options *o)
{
	bool have_ceil = false, have_timeout = false, have_retries = false,
	     have_rate = false;
	bool have_bind = false;

	o->ceil = DEFAULT_CEIL;
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	o->retries = DEFAULT_RETRIES;
	o->rate = DEFAULT_RATE;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned u;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("%s\n", synopsis);
			printf(USAGE_REST, MAX_RATE, DEFAULT_RATE, MTUPROBE_MIN_PATH,
			       MTUPROBE_MAX_PATH, DEFAULT_CEIL, MAX_TIMEOUT_MS,
			       DEFAULT_TIMEOUT_MS, MAX_RETRIES, DEFAULT_RETRIES);
			return EXIT_OK;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("subnetra-mtu-probe v%s\n", SUBNETRA_VERSION);
			return EXIT_OK;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			o->verbose = true;
			continue;
		}
		if (strcmp(a, "--listen") != 0 && strcmp(a, "--probe") != 0 &&
		    strcmp(a, "--bind") != 0 && strcmp(a, "--rate") != 0 &&
		    strcmp(a, "--ceil") != 0 && strcmp(a, "--timeout") != 0 &&
		    strcmp(a, "--retries") != 0)
			return usage_error("unknown argument '%s'", a);
		if (v == NULL)
			return usage_error("missing value after %s", a);
		i++;
		if (strcmp(a, "--listen") == 0) {
			if (!cliarg_uint(v, 1, 65535, &u))
				return usage_error(
				    "--listen: expected a port 1..65535, got '%s'", v);
			o->port = (uint16_t)u;
			o->listen = true;
		} else if (strcmp(a, "--probe") == 0) {
			enum addr_err e = endpoint_parse(&o->target, v, strlen(v));

			if (e != ADDR_OK)
				return usage_error(
				    "--probe '%s': %s (expected A.B.C.D:PORT; no host "
				    "names)",
				    v, addr_err_name(e));
			o->probe = true;
		} else if (strcmp(a, "--bind") == 0) {
			enum addr_err e = ipv4_parse(&o->bind_addr, v, strlen(v));

			if (e != ADDR_OK)
				return usage_error("--bind '%s': %s (expected A.B.C.D)",
						   v, addr_err_name(e));
			have_bind = true;
		} else if (strcmp(a, "--rate") == 0) {
			if (!cliarg_uint(v, 1, MAX_RATE, &o->rate))
				return usage_error("--rate: expected 1..%d, got '%s'",
						   MAX_RATE, v);
			have_rate = true;
		} else if (strcmp(a, "--ceil") == 0) {
			if (!cliarg_uint(v, MTUPROBE_MIN_PATH, MTUPROBE_MAX_PATH,
					&o->ceil))
				return usage_error("--ceil: expected %d..%d, got '%s'",
						   MTUPROBE_MIN_PATH, MTUPROBE_MAX_PATH,
						   v);
			have_ceil = true;
		} else if (strcmp(a, "--timeout") == 0) {
			if (!cliarg_uint(v, 10, MAX_TIMEOUT_MS, &o->timeout_ms))
				return usage_error(
				    "--timeout: expected 10..%d ms, got '%s'",
				    MAX_TIMEOUT_MS, v);
			have_timeout = true;
		} else {
			if (!cliarg_uint(v, 1, MAX_RETRIES, &o->retries))
				return usage_error("--retries: expected 1..%d, got '%s'",
						   MAX_RETRIES, v);
			have_retries = true;
		}
	}
	if (o->listen == o->probe)
		return usage_error(
		    "give exactly one of --listen PORT and --probe A.B.C.D:PORT");
	if (o->listen && (have_ceil || have_timeout || have_retries))
		return usage_error("--ceil, --timeout and --retries apply to --probe");
	if (o->probe && (have_bind || have_rate))
		return usage_error("--bind and --rate apply to --listen");
	return -1;
}

/* DF on every datagram; PROBE ignores the cached path MTU, DO is the fallback. */
static int set_df(int fd)
{
	int v = IP_PMTUDISC_PROBE;

	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v) == 0)
		return 0;
	v = IP_PMTUDISC_DO;
	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v) == 0)
		return 0;
	return -errno;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocking call returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* ---- listener ---- */

static int run_listener(const struct options *o)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	unsigned long answered = 0, ignored = 0, limited = 0, send_failed = 0;
	struct ratelimit rl;
	char addr[IPV4_STR_MAX];
	uint8_t *buf;
	int fd, rc = EXIT_FAIL;

	buf = malloc(BUF_LEN);
	if (buf == NULL) {
		fprintf(stderr, "subnetra-mtu-probe: out of memory\n");
		return EXIT_FAIL;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "subnetra-mtu-probe: socket: %s\n", strerror(errno));
		goto out_free;
	}
	if (set_df(fd) < 0) {
		fprintf(stderr, "subnetra-mtu-probe: cannot set Don't-Fragment: %s\n",
			strerror(errno));
		goto out_close;
	}
	sa.sin_port = htons(o->port);
	sa.sin_addr.s_addr = htonl(o->bind_addr);
	ipv4_format(o->bind_addr, addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "subnetra-mtu-probe: bind %s:%u: %s\n", addr, o->port,
			strerror(errno));
		goto out_close;
	}
	ratelimit_init(&rl, o->rate, o->rate);
	install_signals();
	fprintf(stderr,
		"subnetra-mtu-probe: listening on %s:%u (answering probes, at most %u "
		"replies/s)\n",
		addr, o->port, o->rate);

	while (!stop) {
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n =
		    recvfrom(fd, buf, BUF_LEN, MSG_TRUNC, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ECONNREFUSED ||
			    errno == EMSGSIZE)
				continue;
			fprintf(stderr, "subnetra-mtu-probe: recvfrom: %s\n",
				strerror(errno));
			goto out_close;
		}
		/* Truncated (over BUF_LEN), not a request, or a privileged source: no
		 * reply. */
		if ((size_t)n > BUF_LEN || fl != sizeof from ||
		    ntohs(from.sin_port) < MIN_SOURCE_PORT ||
		    !mtuprobe_answer(buf, (size_t)n)) {
			ignored++;
			continue;
		}
		if (!ratelimit_take(&rl, mono_ns())) {
			limited++;
			continue;
		}
		/* Exactly the request's length: a reply never amplifies. */
		if (sendto(fd, buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&from,
			   fl) == (ssize_t)n) {
			answered++;
			if (o->verbose) {
				char s[IPV4_STR_MAX];

				ipv4_format(ntohl(from.sin_addr.s_addr), s);
				fprintf(
				    stderr,
				    "subnetra-mtu-probe: answered %zd bytes to %s:%u\n",
				    n, s, ntohs(from.sin_port));
			}
		} else {
			send_failed++; /* e.g. EMSGSIZE: larger than our own interface */
		}
	}
	fprintf(stderr,
		"subnetra-mtu-probe: stopped: %lu answered, %lu ignored, %lu "
		"rate-limited, %lu "
		"not sent\n",
		answered, ignored, limited, send_failed);
	rc = EXIT_OK;
out_close:
	close(fd);
out_free:
	free(buf);
	return rc;
}

/* ---- prober ---- */

enum probe_outcome { PROBE_OK, PROBE_TOO_BIG, PROBE_LOST, PROBE_REFUSED, PROBE_ERROR };

struct prober {
	int fd;
	const struct options *o;
	uint8_t nonce[MTUPROBE_NONCE_LEN];
	uint32_t seq;
	uint8_t *buf;
	uint8_t *rx;
};

/* The kernel's path MTU for the connected destination (learned from ICMP), 0 if unknown.
 */
static unsigned kernel_path_mtu(int fd)
{
	int mtu = 0;
	socklen_t l = sizeof mtu;

	if (getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &l) < 0 || mtu <= 0)
		return 0;
	return (unsigned)mtu;
}

/* Wait for our reply to a probe of `len` bytes sent as sequence numbers
 * first_seq..p->seq. */
static enum probe_outcome await_reply(struct prober *p, size_t len, uint32_t first_seq,
				      uint64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		uint64_t now = mono_ns();
		struct mtuprobe_hdr h;
		ssize_t n;
		int r;

		if (stop)
			return PROBE_ERROR;
		if (now >= deadline)
			return PROBE_LOST;
		r = poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return PROBE_ERROR;
		if (r == 0)
			return PROBE_LOST;
		n = recv(p->fd, p->rx, BUF_LEN, MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ECONNREFUSED)
				return PROBE_REFUSED;
			if (errno == EMSGSIZE) {
				/* ICMP "fragmentation needed": believe it only if it is
				 * about us. */
				unsigned pmtu = kernel_path_mtu(p->fd);

				if (pmtu != 0 && len + MTUPROBE_IPV4_UDP > pmtu)
					return PROBE_TOO_BIG;
				continue;
			}
			return PROBE_ERROR;
		}
		if ((size_t)n != len || !mtuprobe_parse(p->rx, (size_t)n, &h) ||
		    h.type != MTUPROBE_REPLY ||
		    sodium_memcmp(h.nonce, p->nonce, sizeof p->nonce) != 0 ||
		    h.seq - first_seq > p->seq - first_seq)
			continue; /* stale, foreign or for another size */
		return PROBE_OK;
	}
}

/* One payload size, with retries. */
static enum probe_outcome probe_size(struct prober *p, size_t len)
{
	uint32_t first_seq = p->seq + 1;
	enum probe_outcome out = PROBE_LOST;

	for (unsigned attempt = 0; attempt < p->o->retries && !stop; attempt++) {
		struct mtuprobe_hdr h = {.type = MTUPROBE_REQUEST, .seq = ++p->seq};
		uint64_t deadline;

		memcpy(h.nonce, p->nonce, sizeof h.nonce);
		mtuprobe_encode(p->buf, len, &h);
		if (send(p->fd, p->buf, len, 0) < 0) {
			if (errno == EMSGSIZE)
				return PROBE_TOO_BIG; /* larger than the local interface
						       */
			if (errno == ECONNREFUSED)
				return PROBE_REFUSED;
			if (errno == EINTR)
				continue;
			return PROBE_ERROR;
		}
		deadline = mono_ns() + (uint64_t)p->o->timeout_ms * 1000000u;
		out = await_reply(p, len, first_seq, deadline);
		if (out != PROBE_LOST)
			return out;
	}
	return out;
}

static const char *outcome_name(enum probe_outcome o)
{
	switch (o) {
	case PROBE_OK:
		return "round-tripped";
	case PROBE_TOO_BIG:
		return "too big (EMSGSIZE)";
	case PROBE_LOST:
		return "no reply (timeout)";
	case PROBE_REFUSED:
		return "refused (ICMP port unreachable)";
	case PROBE_ERROR:
		return "error";
	}
	return "?";
}

static int run_prober(const struct options *o)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct prober p = {.fd = -1, .o = o};
	struct mtu_search s;
	char target[ENDPOINT_STR_MAX];
	size_t len, best;
	unsigned path, rec;
	bool capped, any_reply = false;
	int rc = EXIT_FAIL;

	endpoint_format(&o->target, target);
	p.buf = malloc(BUF_LEN);
	p.rx = malloc(BUF_LEN);
	if (p.buf == NULL || p.rx == NULL) {
		fprintf(stderr, "subnetra-mtu-probe: out of memory\n");
		goto out;
	}
	randombytes_buf(p.nonce, sizeof p.nonce);
	p.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p.fd < 0) {
		fprintf(stderr, "subnetra-mtu-probe: socket: %s\n", strerror(errno));
		goto out;
	}
	if (set_df(p.fd) < 0) {
		fprintf(stderr, "subnetra-mtu-probe: cannot set Don't-Fragment: %s\n",
			strerror(errno));
		goto out;
	}
	sa.sin_port = htons(o->target.port);
	sa.sin_addr.s_addr = htonl(o->target.addr);
	if (connect(p.fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "subnetra-mtu-probe: %s: %s\n", target, strerror(errno));
		goto out;
	}
	install_signals();

	mtu_search_init(&s, MTUPROBE_MIN_PAYLOAD, o->ceil - MTUPROBE_IPV4_UDP);
	while ((len = mtu_search_next(&s)) != 0 && !stop) {
		enum probe_outcome out = probe_size(&p, len);

		if (o->verbose)
			fprintf(stderr,
				"subnetra-mtu-probe: %zu bytes (UDP payload %zu): %s\n",
				len + MTUPROBE_IPV4_UDP, len, outcome_name(out));
		if (out == PROBE_REFUSED && !any_reply) {
			fprintf(
			    stderr,
			    "subnetra-mtu-probe: %s refused the probe (ICMP port "
			    "unreachable): is `subnetra-mtu-probe --listen %u` running "
			    "there?\n",
			    target, o->target.port);
			goto out;
		}
		if (out == PROBE_ERROR) {
			fprintf(stderr, "subnetra-mtu-probe: %s: %s\n", target,
				stop ? "interrupted" : strerror(errno));
			goto out;
		}
		any_reply = any_reply || out == PROBE_OK;
		mtu_search_report(&s, len, out == PROBE_OK);
	}
	if (stop) {
		fprintf(stderr, "subnetra-mtu-probe: interrupted\n");
		goto out;
	}
	best = mtu_search_result(&s);
	if (best == 0) {
		fprintf(
		    stderr,
		    "subnetra-mtu-probe: no reply from %s to a %d-byte probe after %u "
		    "tries "
		    "(is `subnetra-mtu-probe --listen %u` running there, and UDP port %u "
		    "open?)\n",
		    target, MTUPROBE_MIN_PATH, o->retries, o->target.port,
		    o->target.port);
		goto out;
	}
	path = (unsigned)best + MTUPROBE_IPV4_UDP;
	printf("# underlay path MTU : %u bytes (largest UDP payload that round-tripped: "
	       "%zu + "
	       "%d IPv4/UDP)\n",
	       path, best, MTUPROBE_IPV4_UDP);
	printf("# subnetra overhead : %d bytes\n", WIRE_OVERHEAD);
	rec = mtuprobe_recommend(path, &capped);
	if (rec == 0) {
		printf("# recommended : none (a %u-byte path leaves less than %d bytes "
		       "inside the "
		       "tunnel)\n",
		       path, MTUPROBE_MIN_PATH);
		goto out;
	}
	if (capped)
		printf("# recommended : local_tun_mtu = %u (the largest inner packet "
		       "subnetra "
		       "carries; the path would allow %u)\n",
		       rec, path - WIRE_OVERHEAD);
	else
		printf("# recommended : local_tun_mtu = %u\n", rec);
	rc = EXIT_OK;
out:
	if (p.fd >= 0)
		close(p.fd);
	free(p.buf);
	free(p.rx);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (sodium_init() < 0) {
		fprintf(stderr, "subnetra-mtu-probe: libsodium initialisation failed\n");
		return EXIT_FAIL;
	}
	return o.listen ? run_listener(&o) : run_prober(&o);
}
