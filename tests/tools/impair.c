/*
 * impair: a seeded userspace UDP relay that impairs what it carries, for the
 * fault scenarios (the test kernel has no netem qdisc).
 *
 *   impair --listen IP:PORT --forward IP:PORT [--seed N] [--loss PCT]
 *          [--delay MS] [--jitter MS] [--reorder PCT] [--gap MS] [--dup PCT]
 *          [--rate PPS] [--queue N] [--max-clients N] [--control FILE]
 *          [--stats FILE]
 *
 * Every distinct client source address gets its own upstream socket,
 * connected to --forward, so replies go back to the client they answer (a
 * tiny UDP proxy/NAT).  Both directions ("up" = client -> forward, "down" =
 * forward -> client) get the same impairment, decided per datagram:
 *   loss     dropped with probability PCT
 *   delay    held DELAY ms, +/- a uniform jitter of up to JITTER ms
 *            (jitter alone already reorders)
 *   reorder  with probability PCT held GAP ms longer (default 10), so the
 *            datagrams behind it overtake it
 *   dup      with probability PCT a second copy is sent, with its own jitter
 *   rate     a shaper: at most PPS datagrams per second per direction; what
 *            would wait more than RATE_MAX_BACKLOG is dropped
 * Determinism: each direction has its own xoshiro256** stream seeded from
 * --seed, and every received datagram consumes exactly five draws whatever the
 * settings, so the same seed and the same input order give the same
 * decisions for the k-th datagram of a direction.
 *
 * Run time control (signals, handled through a signalfd):
 *   SIGUSR1  re-read --control FILE: whitespace-separated impairment options
 *            (--loss --delay --jitter --reorder --gap --dup --rate --seed);
 *            the file replaces the whole set, an option it omits is 0
 *            (--gap: 10); --seed re-seeds both streams.  A bad file keeps
 *            the old settings and says why on stderr.
 *   SIGUSR2  clear every impairment (a plain relay again)
 *   SIGHUP   write the statistics (stdout, and --stats FILE atomically)
 *   SIGTERM/SIGINT  write the statistics and exit 0
 * Readiness: "impair: ready ..." on stderr once the socket is bound; after a
 * settings change "impair: settings ..." on stderr, then the statistics.
 *
 * Statistics, key=value tokens, "gen" counts the writes:
 *   impair stats gen=N flows=N flows_evicted=N queued=N
 *   impair up rx=N tx=N lost=N duplicated=N reordered=N delayed=N
 *             queue_drop=N rate_drop=N oversize=N send_err=N kernel_drop=N
 *   impair down ...                                  (same tokens)
 * tx = rx - lost - queue_drop - rate_drop - oversize - send_err + duplicated
 * once the queue is empty (datagrams still queued at exit are counted in
 * queue_drop).  kernel_drop counts what the kernel dropped on the relay's
 * sockets before it could read them (SO_RXQ_OVFL, learned with the next
 * datagram read on that socket): those never reach rx.
 *
 * Bounded memory: a fixed pool of QUEUE slots of SLOT_LEN bytes and a fixed
 * flow table (least recently used flow evicted when full); datagrams longer
 * than SLOT_LEN are dropped and counted as oversize (the tunnel's largest
 * datagram is 1488 bytes).  Single-threaded epoll loop; a timerfd fires at
 * the earliest due time of a binary min-heap ordered by (due, arrival).
 * Exit status: 0 after a signal, 1 runtime error, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/cidr.h"
#include "os/linux/udp.h"

enum {
	SLOT_LEN = 2048,
	MAX_DGRAM = 65536,
	DEFAULT_QUEUE = 4096,
	MAX_QUEUE = 65536,
	DEFAULT_CLIENTS = 64,
	MAX_CLIENTS = 1024,
	READ_BUDGET = 64,     /* datagrams per socket per wake-up */
	EPOLL_EVENTS = 64,
	CONTROL_MAX = 4096,   /* control file read cap */
	CONTROL_MAX_ARGS = 64,
	DEFAULT_GAP_MS = 10,
	SOCKET_BUF = 4 << 20, /* SO_RCVBUF / SO_SNDBUF of every socket */
	MAX_MS = 60000,
	DIR_UP = 0,
	DIR_DOWN = 1,
};

/* Epoll tags above any flow index. */
#define TAG_LISTEN UINT32_C(0xffffff00)
#define TAG_TIMER  UINT32_C(0xffffff01)
#define TAG_SIGNAL UINT32_C(0xffffff02)

static const uint64_t NS_PER_MS = 1000000u;
static const uint64_t RATE_MAX_BACKLOG_NS = 2000000000u; /* 2 s of shaper queue */

struct impairment {
	double loss, dup, reorder; /* probabilities in [0, 1] */
	uint64_t delay_ns, jitter_ns, gap_ns;
	uint32_t rate_pps; /* 0 = unlimited */
	bool have_seed;
	uint64_t seed;
};

struct dir_stats {
	uint64_t rx, tx, lost, duplicated, reordered, delayed;
	uint64_t queue_drop, rate_drop, oversize, send_err;
	uint64_t kernel_drop; /* SO_RXQ_OVFL: dropped by the kernel before we read */
};

struct prng {
	uint64_t s[4];
};

struct flow {
	bool used;
	int fd;               /* connected to --forward */
	uint32_t gen;         /* bumped on eviction: queued datagrams go stale */
	uint32_t ovfl;        /* last SO_RXQ_OVFL value seen on fd */
	struct sockaddr_in client;
	uint64_t last_used;   /* monotonic ns */
};

struct pkt {
	uint64_t due_ns;
	uint64_t order; /* arrival order: FIFO among equal due times */
	uint32_t slot;
	uint32_t flow;
	uint32_t flow_gen;
	uint16_t len;
	uint8_t dir;
};

struct relay {
	int listen_fd, timer_fd, signal_fd, epoll_fd;
	uint32_t listen_ovfl; /* last SO_RXQ_OVFL value seen on listen_fd */
	struct sockaddr_in listen_addr, forward_addr;
	const char *control_path, *stats_path;
	uint64_t seed;
	struct impairment imp;
	struct prng rng[2];
	uint64_t next_free_ns[2]; /* rate shaper, per direction */
	struct dir_stats st[2];

	struct flow *flows;
	size_t max_flows;
	uint64_t flows_evicted;

	struct pkt *heap;
	size_t heap_n, queue_cap;
	uint8_t *pool;       /* queue_cap * SLOT_LEN */
	uint32_t *free_slots; /* stack of free slot indexes */
	size_t free_n;
	uint64_t order;
	uint64_t stats_gen;
	bool timer_armed;
};

/* ---- PRNG: splitmix64 seeding xoshiro256** ------------------------------ */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void prng_seed(struct prng *r, uint64_t seed, unsigned stream)
{
	uint64_t x = seed ^ (UINT64_C(0xd1b54a32d192ed03) * (stream + 1));

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t prng_next(struct prng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* Uniform in [0, 1) from the top 53 bits: exact, so decisions are portable. */
static double prng_unit(struct prng *r)
{
	return (double)(prng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- small helpers ------------------------------------------------------- */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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

static const char *endpoint_str(const struct sockaddr_in *a, char *buf, size_t cap)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	snprintf(buf, cap, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
	return buf;
}

static bool parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		return false;
	*out = v;
	return true;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s[0] == '-' || s[0] == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > max)
		return false;
	*out = v;
	return true;
}

/* ---- options --------------------------------------------------------------- */

/*
 * One impairment option (shared by the command line and the control file).
 * Returns 1 if NAME is an impairment option and VALUE parsed, 0 if NAME is
 * not one, -1 on a bad or missing value (message on stderr).
 */
static int impairment_option(struct impairment *imp, const char *name, const char *value,
			     const char *where)
{
	double pct;
	uint64_t v;

	if (strcmp(name, "--loss") && strcmp(name, "--dup") && strcmp(name, "--reorder") &&
	    strcmp(name, "--delay") && strcmp(name, "--jitter") && strcmp(name, "--gap") &&
	    strcmp(name, "--rate") && strcmp(name, "--seed"))
		return 0;
	if (value == NULL) {
		fprintf(stderr, "impair: %s: %s: missing value\n", where, name);
		return -1;
	}
	if (!strcmp(name, "--loss") || !strcmp(name, "--dup") || !strcmp(name, "--reorder")) {
		if (!parse_double(value, 0.0, 100.0, &pct))
			goto bad;
		if (!strcmp(name, "--loss"))
			imp->loss = pct / 100.0;
		else if (!strcmp(name, "--dup"))
			imp->dup = pct / 100.0;
		else
			imp->reorder = pct / 100.0;
		return 1;
	}
	if (!strcmp(name, "--seed")) {
		if (!parse_u64(value, UINT64_MAX, &v))
			goto bad;
		imp->seed = v;
		imp->have_seed = true;
		return 1;
	}
	if (!strcmp(name, "--rate")) {
		if (!parse_u64(value, 10000000, &v))
			goto bad;
		imp->rate_pps = (uint32_t)v;
		return 1;
	}
	if (!parse_u64(value, MAX_MS, &v)) /* --delay --jitter --gap, in ms */
		goto bad;
	if (!strcmp(name, "--delay"))
		imp->delay_ns = v * NS_PER_MS;
	else if (!strcmp(name, "--jitter"))
		imp->jitter_ns = v * NS_PER_MS;
	else
		imp->gap_ns = v * NS_PER_MS;
	return 1;
bad:
	fprintf(stderr, "impair: %s: %s: invalid value '%s'\n", where, name, value);
	return -1;
}

static void impairment_clear(struct impairment *imp)
{
	memset(imp, 0, sizeof(*imp));
	imp->gap_ns = DEFAULT_GAP_MS * NS_PER_MS;
}

static void usage(void)
{
	fputs("usage: impair --listen IP:PORT --forward IP:PORT [--seed N]\n"
	      "              [--loss PCT] [--delay MS] [--jitter MS] [--reorder PCT]\n"
	      "              [--gap MS] [--dup PCT] [--rate PPS] [--queue N]\n"
	      "              [--max-clients N] [--control FILE] [--stats FILE]\n"
	      "  SIGUSR1 re-reads --control FILE (same impairment options; omitted = 0),\n"
	      "  SIGUSR2 clears all impairment, SIGHUP writes statistics,\n"
	      "  SIGTERM/SIGINT write statistics and exit 0.\n",
	      stderr);
	exit(2);
}

static void log_settings(const struct relay *r, const char *what)
{
	const struct impairment *i = &r->imp;

	fprintf(stderr,
		"impair: %s seed=%" PRIu64 " loss=%g%% delay_ms=%" PRIu64 " jitter_ms=%" PRIu64
		" reorder=%g%% gap_ms=%" PRIu64 " dup=%g%% rate_pps=%" PRIu32 "\n",
		what, r->seed, i->loss * 100, i->delay_ns / NS_PER_MS, i->jitter_ns / NS_PER_MS,
		i->reorder * 100, i->gap_ns / NS_PER_MS, i->dup * 100, i->rate_pps);
}

static void apply_impairment(struct relay *r, const struct impairment *imp)
{
	r->imp = *imp;
	if (imp->have_seed) {
		r->seed = imp->seed;
		prng_seed(&r->rng[DIR_UP], r->seed, DIR_UP);
		prng_seed(&r->rng[DIR_DOWN], r->seed, DIR_DOWN);
	}
	r->imp.have_seed = false;
	r->next_free_ns[0] = r->next_free_ns[1] = 0;
}

/* SIGUSR1: the control file replaces the whole impairment set, or nothing. */
static void reload_control(struct relay *r)
{
	char text[CONTROL_MAX + 1], *args[CONTROL_MAX_ARGS], *save = NULL, *tok;
	struct impairment imp;
	size_t n = 0, nargs = 0;
	FILE *f;

	if (r->control_path == NULL) {
		fputs("impair: SIGUSR1 without --control FILE: ignored\n", stderr);
		return;
	}
	f = fopen(r->control_path, "r");
	if (f == NULL) {
		fprintf(stderr, "impair: %s: %s (settings unchanged)\n", r->control_path,
			strerror(errno));
		return;
	}
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (n > CONTROL_MAX) {
		fprintf(stderr, "impair: %s: longer than %d bytes (settings unchanged)\n",
			r->control_path, CONTROL_MAX);
		return;
	}
	text[n] = '\0';
	for (tok = strtok_r(text, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (nargs == CONTROL_MAX_ARGS) {
			fprintf(stderr, "impair: %s: too many words (settings unchanged)\n",
				r->control_path);
			return;
		}
		args[nargs++] = tok;
	}
	impairment_clear(&imp);
	for (size_t i = 0; i < nargs; i += 2) { /* option value pairs */
		int k = impairment_option(&imp, args[i], i + 1 < nargs ? args[i + 1] : NULL,
					  r->control_path);
		if (k == 0)
			fprintf(stderr, "impair: %s: unknown option '%s'\n", r->control_path,
				args[i]);
		if (k <= 0) {
			fprintf(stderr, "impair: %s: settings unchanged\n", r->control_path);
			return;
		}
	}
	apply_impairment(r, &imp);
	log_settings(r, "settings");
}

/* ---- statistics ---------------------------------------------------------- */

static size_t flows_in_use(const struct relay *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->max_flows; i++)
		n += r->flows[i].used;
	return n;
}

static void write_stats_to(const struct relay *r, FILE *f)
{
	static const char *names[2] = { "up", "down" };

	fprintf(f, "impair stats gen=%" PRIu64 " flows=%zu flows_evicted=%" PRIu64 " queued=%zu\n",
		r->stats_gen, flows_in_use(r), r->flows_evicted, r->heap_n);
	for (int d = 0; d < 2; d++) {
		const struct dir_stats *s = &r->st[d];

		fprintf(f,
			"impair %s rx=%" PRIu64 " tx=%" PRIu64 " lost=%" PRIu64
			" duplicated=%" PRIu64 " reordered=%" PRIu64 " delayed=%" PRIu64
			" queue_drop=%" PRIu64 " rate_drop=%" PRIu64 " oversize=%" PRIu64
			" send_err=%" PRIu64 " kernel_drop=%" PRIu64 "\n",
			names[d], s->rx, s->tx, s->lost, s->duplicated, s->reordered, s->delayed,
			s->queue_drop, s->rate_drop, s->oversize, s->send_err, s->kernel_drop);
	}
}

static void write_stats(struct relay *r)
{
	r->stats_gen++;
	write_stats_to(r, stdout);
	fflush(stdout);
	if (r->stats_path != NULL) {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", r->stats_path);
		f = fopen(tmp, "w");
		if (f == NULL) {
			fprintf(stderr, "impair: %s: %s\n", tmp, strerror(errno));
			return;
		}
		write_stats_to(r, f);
		if (fclose(f) != 0 || rename(tmp, r->stats_path) != 0)
			fprintf(stderr, "impair: %s: %s\n", r->stats_path, strerror(errno));
	}
}

/* ---- the delay queue: a binary min-heap on (due_ns, order) ---------------- */

static bool pkt_before(const struct pkt *a, const struct pkt *b)
{
	return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->order < b->order);
}

static void heap_push(struct relay *r, const struct pkt *p)
{
	size_t i = r->heap_n++;

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!pkt_before(p, &r->heap[parent]))
			break;
		r->heap[i] = r->heap[parent];
		i = parent;
	}
	r->heap[i] = *p;
}

static struct pkt heap_pop(struct relay *r)
{
	struct pkt top = r->heap[0], last = r->heap[--r->heap_n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= r->heap_n)
			break;
		if (c + 1 < r->heap_n && pkt_before(&r->heap[c + 1], &r->heap[c]))
			c++;
		if (!pkt_before(&r->heap[c], &last))
			break;
		r->heap[i] = r->heap[c];
		i = c;
	}
	if (r->heap_n > 0)
		r->heap[i] = last;
	return top;
}

/* Queue one copy; false (counted) when the queue or the shaper is full. */
static bool enqueue(struct relay *r, unsigned dir, uint32_t flow, const uint8_t *buf,
		    size_t len, uint64_t now, uint64_t hold_ns)
{
	struct dir_stats *s = &r->st[dir];
	uint64_t due = now + hold_ns;
	struct pkt p;

	if (r->imp.rate_pps > 0) {
		uint64_t spacing = 1000000000u / r->imp.rate_pps;

		if (due < r->next_free_ns[dir])
			due = r->next_free_ns[dir];
		if (due - now > RATE_MAX_BACKLOG_NS + hold_ns) {
			s->rate_drop++;
			return false;
		}
		r->next_free_ns[dir] = due + spacing;
	}
	if (r->free_n == 0) {
		s->queue_drop++;
		return false;
	}
	p.slot = r->free_slots[--r->free_n];
	memcpy(r->pool + (size_t)p.slot * SLOT_LEN, buf, len);
	p.due_ns = due;
	p.order = r->order++;
	p.flow = flow;
	p.flow_gen = r->flows[flow].gen;
	p.len = (uint16_t)len;
	p.dir = (uint8_t)dir;
	if (due > now)
		s->delayed++;
	heap_push(r, &p);
	return true;
}

/* Jittered hold: delay + uniform(-jitter, +jitter), never negative. */
static uint64_t hold_time(const struct impairment *imp, double u)
{
	double ns = (double)imp->delay_ns + (2.0 * u - 1.0) * (double)imp->jitter_ns;

	return ns > 0 ? (uint64_t)ns : 0;
}

/*
 * The per-datagram decision.  Exactly five draws, always and in this order,
 * so that changing one probability never shifts the others' decisions.
 */
static void impair_datagram(struct relay *r, unsigned dir, uint32_t flow, const uint8_t *buf,
			    size_t len, uint64_t now)
{
	struct prng *g = &r->rng[dir];
	struct dir_stats *s = &r->st[dir];
	const struct impairment *imp = &r->imp;
	double u_loss = prng_unit(g), u_dup = prng_unit(g), u_reorder = prng_unit(g);
	double u_jit = prng_unit(g), u_jit_dup = prng_unit(g);
	uint64_t hold;

	s->rx++;
	if (len > SLOT_LEN) {
		s->oversize++;
		return;
	}
	if (u_loss < imp->loss) {
		s->lost++;
		return;
	}
	hold = hold_time(imp, u_jit);
	if (u_reorder < imp->reorder) {
		hold += imp->gap_ns;
		s->reordered++;
	}
	if (!enqueue(r, dir, flow, buf, len, now, hold))
		return;
	/* Counted when decided: a copy the queue refuses is also a queue_drop. */
	if (u_dup < imp->dup) {
		s->duplicated++;
		enqueue(r, dir, flow, buf, len, now, hold_time(imp, u_jit_dup));
	}
}

/* Send everything due by now; a send failure is counted, never retried. */
static void dispatch_due(struct relay *r, uint64_t now)
{
	while (r->heap_n > 0 && r->heap[0].due_ns <= now) {
		struct pkt p = heap_pop(r);
		struct flow *f = &r->flows[p.flow];
		const uint8_t *data = r->pool + (size_t)p.slot * SLOT_LEN;
		struct dir_stats *s = &r->st[p.dir];
		ssize_t n;

		r->free_slots[r->free_n++] = p.slot;
		if (!f->used || f->gen != p.flow_gen) {
			s->send_err++; /* the flow was evicted while this waited */
			continue;
		}
		do {
			if (p.dir == DIR_UP)
				n = send(f->fd, data, p.len, MSG_DONTWAIT);
			else
				n = sendto(r->listen_fd, data, p.len, MSG_DONTWAIT,
					   (const struct sockaddr *)&f->client, sizeof(f->client));
		} while (n < 0 && errno == EINTR);
		if (n == (ssize_t)p.len)
			s->tx++;
		else
			s->send_err++;
	}
}

static void arm_timer(struct relay *r)
{
	struct itimerspec its = { 0 };

	if (r->heap_n == 0) {
		if (!r->timer_armed)
			return;
		r->timer_armed = false; /* all zero: disarm */
	} else {
		uint64_t due = r->heap[0].due_ns;

		/* An all-zero it_value would disarm: a due time of 0 cannot occur. */
		its.it_value.tv_sec = (time_t)(due / 1000000000u);
		its.it_value.tv_nsec = (long)(due % 1000000000u);
		r->timer_armed = true;
	}
	if (timerfd_settime(r->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		perror("impair: timerfd_settime");
		exit(1);
	}
}

/* ---- sockets ------------------------------------------------------------------ */

/*
 * Big buffers, so that the relay itself is not the bottleneck of an
 * unimpaired run (FORCE needs CAP_NET_ADMIN; without it the sysctl caps
 * apply), and SO_RXQ_OVFL, so that whatever the kernel still drops before we
 * read it is counted (kernel_drop) instead of vanishing.
 */
static void socket_tune(int fd)
{
	int size = SOCKET_BUF, one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
}

/*
 * One datagram (MSG_TRUNC: the return value is the real length).  The
 * kernel's cumulative drop count for the socket arrives with it; the growth
 * since the last read is added to *drops.
 */
static ssize_t recv_dgram(int fd, uint8_t *buf, struct sockaddr_in *from, socklen_t *fromlen,
			  uint32_t *ovfl_last, uint64_t *drops)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = MAX_DGRAM };
	struct msghdr m = {
		.msg_name = from,
		.msg_namelen = from != NULL ? sizeof(*from) : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0)
		return n;
	if (fromlen != NULL)
		*fromlen = m.msg_namelen;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
		    c->cmsg_len == CMSG_LEN(sizeof(uint32_t))) {
			uint32_t v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			*drops += (uint32_t)(v - *ovfl_last); /* wraps like the kernel's */
			*ovfl_last = v;
		}
	}
	return n;
}

/* ---- flows -------------------------------------------------------------------- */

static int flow_find(const struct relay *r, const struct sockaddr_in *c)
{
	for (size_t i = 0; i < r->max_flows; i++) {
		const struct flow *f = &r->flows[i];

		if (f->used && f->client.sin_addr.s_addr == c->sin_addr.s_addr &&
		    f->client.sin_port == c->sin_port)
			return (int)i;
	}
	return -1;
}

static void flow_close(struct relay *r, size_t i)
{
	struct flow *f = &r->flows[i];

	epoll_ctl(r->epoll_fd, EPOLL_CTL_DEL, f->fd, NULL);
	close(f->fd);
	f->fd = -1;
	f->used = false;
	f->gen++;
}

/* The flow for client C, created (evicting the least recently used) if new. */
static int flow_get(struct relay *r, const struct sockaddr_in *c, uint64_t now)
{
	struct epoll_event ev = { .events = EPOLLIN };
	size_t victim = 0;
	struct flow *f;
	int i = flow_find(r, c), fd;

	if (i >= 0) {
		r->flows[i].last_used = now;
		return i;
	}
	for (size_t k = 0; k < r->max_flows; k++) {
		if (!r->flows[k].used) {
			victim = k;
			break;
		}
		if (r->flows[k].last_used < r->flows[victim].last_used)
			victim = k;
	}
	if (r->flows[victim].used) {
		flow_close(r, victim);
		r->flows_evicted++;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("impair: socket");
		return -1;
	}
	socket_tune(fd);
	if (connect(fd, (const struct sockaddr *)&r->forward_addr, sizeof(r->forward_addr)) < 0) {
		perror("impair: connect");
		close(fd);
		return -1;
	}
	ev.data.u32 = (uint32_t)victim;
	if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("impair: epoll_ctl");
		close(fd);
		return -1;
	}
	f = &r->flows[victim];
	f->used = true;
	f->fd = fd;
	f->client = *c;
	f->last_used = now;
	f->ovfl = 0;
	return (int)victim;
}

/* ---- I/O ---------------------------------------------------------------------- */

static void read_listen(struct relay *r, uint8_t *buf)
{
	for (int k = 0; k < READ_BUDGET; k++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recv_dgram(r->listen_fd, buf, &from, &fl, &r->listen_ovfl,
				       &r->st[DIR_UP].kernel_drop);
		uint64_t now = mono_ns();
		int flow;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN, or an ICMP error queued on the socket */
		}
		if (fl != sizeof(from) || from.sin_family != AF_INET)
			continue;
		flow = flow_get(r, &from, now);
		if (flow < 0) {
			r->st[DIR_UP].rx++;
			r->st[DIR_UP].send_err++;
			continue;
		}
		/* MSG_TRUNC: n is the real length, so an over-long one is oversize. */
		impair_datagram(r, DIR_UP, (uint32_t)flow, buf, (size_t)n, now);
	}
}

static void read_flow(struct relay *r, uint32_t i, uint8_t *buf)
{
	struct flow *f = &r->flows[i];

	for (int k = 0; k < READ_BUDGET && f->used; k++) {
		ssize_t n = recv_dgram(f->fd, buf, NULL, NULL, &f->ovfl,
				       &r->st[DIR_DOWN].kernel_drop);
		uint64_t now = mono_ns();

		if (n < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue; /* ICMP port unreachable from --forward: keep going */
			return;
		}
		f->last_used = now;
		impair_datagram(r, DIR_DOWN, i, buf, (size_t)n, now);
	}
}

/* True when the loop should end. */
static bool handle_signals(struct relay *r)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(r->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGUSR1:
			reload_control(r);
			write_stats(r);
			break;
		case SIGUSR2: {
			struct impairment none;

			impairment_clear(&none);
			apply_impairment(r, &none);
			log_settings(r, "settings");
			write_stats(r);
			break;
		}
		case SIGHUP:
			write_stats(r);
			break;
		default: /* SIGTERM, SIGINT */
			stop = true;
			break;
		}
	}
	return stop;
}

static int epoll_add(int ep, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int relay_setup(struct relay *r, size_t queue_cap, size_t max_flows)
{
	int one = 1;
	sigset_t mask;

	r->queue_cap = queue_cap;
	r->max_flows = max_flows;
	r->flows = calloc(max_flows, sizeof(*r->flows));
	r->heap = calloc(queue_cap, sizeof(*r->heap));
	r->free_slots = calloc(queue_cap, sizeof(*r->free_slots));
	r->pool = malloc(queue_cap * SLOT_LEN);
	if (!r->flows || !r->heap || !r->free_slots || !r->pool) {
		fputs("impair: out of memory\n", stderr);
		return -1;
	}
	for (size_t i = 0; i < max_flows; i++)
		r->flows[i].fd = -1;
	for (size_t i = 0; i < queue_cap; i++)
		r->free_slots[i] = (uint32_t)(queue_cap - 1 - i);
	r->free_n = queue_cap;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		perror("impair: sigprocmask");
		return -1;
	}
	r->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	r->listen_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->signal_fd < 0 || r->timer_fd < 0 || r->epoll_fd < 0 || r->listen_fd < 0) {
		perror("impair: set-up");
		return -1;
	}
	setsockopt(r->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	socket_tune(r->listen_fd);
	if (bind(r->listen_fd, (const struct sockaddr *)&r->listen_addr,
		 sizeof(r->listen_addr)) < 0) {
		perror("impair: bind --listen");
		return -1;
	}
	if (epoll_add(r->epoll_fd, r->listen_fd, TAG_LISTEN) < 0 ||
	    epoll_add(r->epoll_fd, r->timer_fd, TAG_TIMER) < 0 ||
	    epoll_add(r->epoll_fd, r->signal_fd, TAG_SIGNAL) < 0) {
		perror("impair: epoll_ctl");
		return -1;
	}
	return 0;
}

static void relay_teardown(struct relay *r)
{
	if (r->flows != NULL)
		for (size_t i = 0; i < r->max_flows; i++)
			if (r->flows[i].used)
				close(r->flows[i].fd);
	if (r->listen_fd >= 0)
		close(r->listen_fd);
	if (r->timer_fd >= 0)
		close(r->timer_fd);
	if (r->signal_fd >= 0)
		close(r->signal_fd);
	if (r->epoll_fd >= 0)
		close(r->epoll_fd);
	free(r->flows);
	free(r->heap);
	free(r->free_slots);
	free(r->pool);
}

static int run(struct relay *r)
{
	static uint8_t buf[MAX_DGRAM];
	struct epoll_event evs[EPOLL_EVENTS];

	for (;;) {
		int n = epoll_wait(r->epoll_fd, evs, EPOLL_EVENTS, -1);
		bool stop = false;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("impair: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u32;
			uint64_t expirations;

			if (tag == TAG_LISTEN) {
				read_listen(r, buf);
			} else if (tag == TAG_TIMER) {
				if (read(r->timer_fd, &expirations, sizeof(expirations)) < 0 &&
				    errno != EAGAIN)
					perror("impair: timerfd read");
			} else if (tag == TAG_SIGNAL) {
				stop = handle_signals(r) || stop;
			} else if (tag < r->max_flows) {
				read_flow(r, tag, buf);
			}
		}
		dispatch_due(r, mono_ns());
		arm_timer(r);
		if (stop)
			return 0;
	}
}

int main(int argc, char **argv)
{
	struct relay r = { .listen_fd = -1, .timer_fd = -1, .signal_fd = -1, .epoll_fd = -1 };
	const char *listen = NULL, *forward = NULL;
	uint64_t queue = DEFAULT_QUEUE, clients = DEFAULT_CLIENTS;
	struct impairment imp;
	char a1[32], a2[32];
	int rc = 1;

	impairment_clear(&imp);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int k;

		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			usage();
		k = impairment_option(&imp, a, v, "command line");
		if (k < 0)
			usage();
		if (k == 1) {
			i++;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "impair: %s: missing value or unknown option\n", a);
			usage();
		}
		i++;
		if (!strcmp(a, "--listen")) {
			listen = v;
		} else if (!strcmp(a, "--forward")) {
			forward = v;
		} else if (!strcmp(a, "--control")) {
			r.control_path = v;
		} else if (!strcmp(a, "--stats")) {
			r.stats_path = v;
		} else if (!strcmp(a, "--queue")) {
			if (!parse_u64(v, MAX_QUEUE, &queue) || queue == 0) {
				fprintf(stderr, "impair: --queue: 1..%d\n", MAX_QUEUE);
				usage();
			}
		} else if (!strcmp(a, "--max-clients")) {
			if (!parse_u64(v, MAX_CLIENTS, &clients) || clients == 0) {
				fprintf(stderr, "impair: --max-clients: 1..%d\n", MAX_CLIENTS);
				usage();
			}
		} else {
			fprintf(stderr, "impair: unknown option '%s'\n", a);
			usage();
		}
	}
	if (!listen || !parse_endpoint(listen, &r.listen_addr) || !forward ||
	    !parse_endpoint(forward, &r.forward_addr)) {
		fputs("impair: --listen and --forward IP:PORT are required\n", stderr);
		usage();
	}
	if (!imp.have_seed) { /* seed 0 is a seed like any other: decisions stay reproducible */
		imp.have_seed = true;
		imp.seed = 0;
	}
	if (relay_setup(&r, (size_t)queue, (size_t)clients) < 0)
		goto out;
	apply_impairment(&r, &imp);
	fprintf(stderr, "impair: ready listen=%s forward=%s queue=%zu max_clients=%zu\n",
		endpoint_str(&r.listen_addr, a1, sizeof(a1)),
		endpoint_str(&r.forward_addr, a2, sizeof(a2)), r.queue_cap, r.max_flows);
	log_settings(&r, "settings");
	rc = run(&r);
	/* Whatever is still queued never leaves: count it as dropped. */
	while (r.heap_n > 0) {
		struct pkt p = heap_pop(&r);

		r.st[p.dir].queue_drop++;
	}
	write_stats(&r);
out:
	relay_teardown(&r);
	return rc;
}
