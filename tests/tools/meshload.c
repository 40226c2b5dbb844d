/*
 * meshload: simulated mesh nodes for the mesh rows of `make bench`
 * (bench/sys_mesh.sh, bench/mesh_scale.sh) and their smoke test
 * (tests/netns/t_meshload.sh).  Every simulated node is a real identity
 * and speaks through the daemon's own pure modules: handshakes
 * (core/mesh/handshake.c), sessions (core/mesh/session.c), endpoint
 * records (core/mesh/er.c) and base control messages (core/mesh/basectl.c).
 *
 *   meshload keygen --out FILE --count N
 *       make FILE hold N identities (one 64-hex Ed25519 seed a line, each
 *       passing the identity filter; some 20 ms each): only the missing
 *       ones are generated and appended, so a cache grows, never restarts.
 *   meshload register --to IP:PORT --pk HEX --ids FILE --count N
 *                     [--rate R] [--seconds S]
 *       the first N identities of FILE each complete a handshake with the
 *       base at IP:PORT (Ed25519 key HEX) and send it a REGISTER carrying a
 *       freshly signed endpoint record; counts the REGISTER_OKs.  HS_INITs
 *       go out at R per second (default 800: below the base's "under load"
 *       budget of 1024/s, so no cookie round trip is needed; a COOKIE_REPLY
 *       is honoured all the same); one unanswered for 2 s is sent again.
 *   meshload flood --to IP:PORT --pk HEX [--rate R] [--seconds S]
 *       forged HS_INITs at R per second (default 50000), sendmmsg batches:
 *       random ephemeral, static and payload, but a valid mac1 (anyone can
 *       compute it from the public key), so each one passes the cheap check
 *       and reaches the load gate, the costliest path a forger can reach.
 *   meshload peers --to IP:PORT --pk HEX --ids FILE --count N
 *                  [--seconds S] [--size B] [--pps P]
 *       N identities complete a handshake with the node at IP:PORT (its
 *       whitelist off), then DATA at full speed (or P per second), peers round-robin packet
 *       by packet, each an IPv6/UDP packet of B bytes (default 1352) from
 *       the peer's overlay address to the node's: the node's whole receive
 *       path (index lookup, replay window, AEAD, inner checks, TUN write).
 *       "sending" goes to stderr when the handshakes are done.
 *
 * Each prints one line of key=value figures.  Replies are parsed only by
 * those core modules: msg_classify, then hs_initiator_consume,
 * cookie_sender_consume_reply or session_open + basectl_decode, each
 * selected by a receiver index that must be one of ours; anything else is
 * counted in "ignored".  Traffic goes to --to only.  Exit status: 0 ok
 * (whatever the counts), 1 runtime error, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cliargs.h"
#include "core/mesh/basectl.h"
#include "core/mesh/er.h"
#include "core/mesh/handshake.h"
#include "core/mesh/session.h"
#include "os/linux/clock.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	MAX_SIMS = 100000,
	BATCH = 64,
	SEED_LINE = 2 * IDENTITY_SEED_LEN + 1,
	FORGED_POOL = 256,
	DEFAULT_SIZE = 1352,
	INNER_HDR = 48, /* IPv6 + UDP */
	BUF_LEN = MSG_DATA_MAX_LEN + 64,
};

#define RETRY_NS  (2 * SESSION_NS_PER_S)
#define ROUND_NS  (SESSION_NS_PER_S / 1000)

static const char PROG[] = "meshload";
static const char SYNOPSIS[] =
    "keygen --out FILE --count N | register|flood|peers --to IP:PORT --pk HEX "
    "[--ids FILE] [--count N] [--rate R] [--seconds S] [--size B] [--pps P]";

struct opts {
	const char *mode, *out, *ids, *to_text;
	struct sockaddr_in to;
	uint8_t pk[IDENTITY_PK_LEN];
	bool have_pk;
	unsigned count, rate, seconds, size, pps;
};

enum sim_state { SIM_IDLE, SIM_HS_SENT, SIM_UP, SIM_DONE };

struct sim {
	struct identity id;
	struct hs_initiator hs;
	struct cookie_sender cs;
	struct session s;
	uint64_t sent_ns;
	uint8_t state;
};

struct run {
	const struct opts *o;
	int fd;
	struct sim *sims;
	unsigned n;
	struct hs_local l; /* rebuilt per simulated identity before it starts */
	uint8_t peer_addr[IDENTITY_ADDR_LEN];
	unsigned long hs_sent, hs_ok, cookies, ignored, registered, refused, send_errors;
};

/* SIGTERM / SIGINT end a timed phase early; the figures are still printed. */
static volatile sig_atomic_t stop_now;

static void on_stop(int sig)
{
	(void)sig;
	stop_now = 1;
}

static bool running(uint64_t deadline)
{
	return !stop_now && mono_ns() < deadline;
}

/* ---- arguments ----------------------------------------------------------- */

static bool parse_endpoint(const char *s, struct sockaddr_in *out)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof host)
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(out, 0, sizeof *out);
	out->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &out->sin_addr) != 1 || !cliarg_uint(colon + 1, 1, 65535, &port))
		return false;
	out->sin_port = htons((uint16_t)port);
	return true;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	if (argc < 2)
		return cliarg_usage_error(PROG, SYNOPSIS, "a mode is needed");
	o->mode = argv[1];
	if (strcmp(o->mode, "--help") == 0) {
		printf("usage: %s %s\n", PROG, SYNOPSIS);
		return EXIT_OK;
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = v != NULL;

		if (v == NULL)
			return cliarg_usage_error(PROG, SYNOPSIS, "%s needs a value", a);
		i++;
		if (strcmp(a, "--out") == 0)
			o->out = v;
		else if (strcmp(a, "--ids") == 0)
			o->ids = v;
		else if (strcmp(a, "--to") == 0)
			ok = parse_endpoint(v, &o->to), o->to_text = v;
		else if (strcmp(a, "--pk") == 0)
			ok = o->have_pk = sodium_hex2bin(o->pk, sizeof o->pk, v, strlen(v), NULL,
							 NULL, NULL) == 0;
		else if (strcmp(a, "--count") == 0)
			ok = cliarg_uint(v, 1, MAX_SIMS, &o->count);
		else if (strcmp(a, "--rate") == 0)
			ok = cliarg_uint(v, 1, 10000000, &o->rate);
		else if (strcmp(a, "--seconds") == 0)
			ok = cliarg_uint(v, 1, 3600, &o->seconds);
		else if (strcmp(a, "--pps") == 0)
			ok = cliarg_uint(v, 1, 10000000, &o->pps);
		else if (strcmp(a, "--size") == 0)
			ok = cliarg_uint(v, INNER_HDR, MSG_DATA_MAX_PLAINTEXT, &o->size);
		else
			return cliarg_usage_error(PROG, SYNOPSIS, "unknown argument '%s'", a);
		if (!ok)
			return cliarg_usage_error(PROG, SYNOPSIS, "%s: bad value '%s'", a, v);
	}
	if (strcmp(o->mode, "keygen") == 0)
		return o->out != NULL && o->count > 0
			   ? -1
			   : cliarg_usage_error(PROG, SYNOPSIS, "keygen needs --out and --count");
	if (strcmp(o->mode, "register") != 0 && strcmp(o->mode, "flood") != 0 &&
	    strcmp(o->mode, "peers") != 0)
		return cliarg_usage_error(PROG, SYNOPSIS, "unknown mode '%s'", o->mode);
	if (o->to.sin_family == 0 || !o->have_pk)
		return cliarg_usage_error(PROG, SYNOPSIS, "%s needs --to and --pk", o->mode);
	if (strcmp(o->mode, "flood") != 0 && (o->ids == NULL || o->count == 0))
		return cliarg_usage_error(PROG, SYNOPSIS, "%s needs --ids and --count", o->mode);
	return -1;
}

/* ---- identities ------------------------------------------------------------ */

static unsigned count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[SEED_LINE + 2];
	unsigned n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		n++;
	fclose(f);
	return n;
}

static int keygen(const struct opts *o)
{
	unsigned have = count_lines(o->out);
	FILE *f;

	if (have >= o->count) {
		printf("identities=%u generated=0\n", have);
		return EXIT_OK;
	}
	f = fopen(o->out, "a");
	if (f == NULL) {
		fprintf(stderr, "%s: %s: %s\n", PROG, o->out, strerror(errno));
		return EXIT_FAIL;
	}
	for (unsigned i = have; i < o->count; i++) {
		struct identity id;
		char hex[SEED_LINE];

		identity_generate(&id);
		sodium_bin2hex(hex, sizeof hex, id.sk, IDENTITY_SEED_LEN);
		fprintf(f, "%s\n", hex);
		sodium_memzero(hex, sizeof hex);
		identity_wipe(&id);
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "%s: %s: write failed\n", PROG, o->out);
		return EXIT_FAIL;
	}
	printf("identities=%u generated=%u\n", o->count, o->count - have);
	return EXIT_OK;
}

static int load_ids(struct run *r)
{
	FILE *f = fopen(r->o->ids, "r");
	char line[SEED_LINE + 2];
	unsigned n = 0;

	if (f == NULL) {
		fprintf(stderr, "%s: %s: %s\n", PROG, r->o->ids, strerror(errno));
		return -1;
	}
	while (n < r->n && fgets(line, sizeof line, f) != NULL) {
		uint8_t seed[IDENTITY_SEED_LEN];

		if (sodium_hex2bin(seed, sizeof seed, line, 2 * IDENTITY_SEED_LEN, NULL, NULL,
				   NULL) != 0 ||
		    identity_from_seed(&r->sims[n].id, seed) < 0) {
			fprintf(stderr, "%s: %s line %u: not an identity seed\n", PROG, r->o->ids,
				n + 1);
			fclose(f);
			return -1;
		}
		sodium_memzero(seed, sizeof seed);
		n++;
	}
	fclose(f);
	if (n < r->n) {
		fprintf(stderr, "%s: %s holds %u identities, %u needed (meshload keygen)\n", PROG,
			r->o->ids, n, r->n);
		return -1;
	}
	return 0;
}

/* ---- I/O ----------------------------------------------------------------- */

static int open_socket(struct run *r)
{
	int buf = 8 << 20;

	r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0 ||
	    connect(r->fd, (const struct sockaddr *)&r->o->to, sizeof r->o->to) < 0) {
		fprintf(stderr, "%s: socket to %s: %s\n", PROG, r->o->to_text, strerror(errno));
		return -1;
	}
	(void)setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
	(void)setsockopt(r->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
	return 0;
}

static void send_one(struct run *r, const uint8_t *buf, size_t len)
{
	if (send(r->fd, buf, len, 0) != (ssize_t)len)
		r->send_errors++;
}

/* The cookie source, as the daemon encodes it; only its length matters here. */
static const uint8_t SRC[COOKIE_SOURCE_MAX];

/* ---- handshakes ---------------------------------------------------------- */

static void start_hs(struct run *r, unsigned i, uint64_t now)
{
	struct sim *s = &r->sims[i];
	struct hs_fixed fixed = {.local_index = i + 1};
	uint8_t msg[MSG_HS_INIT_LEN];

	/* The local index is the simulated node's number + 1: a direct lookup. */
	if (hs_local_init(&r->l, &s->id, NULL) < 0 ||
	    hs_initiator_start(&s->hs, &r->l, r->o->pk, &s->cs, 0, wall_ns(), now, &fixed,
			       msg) < 0) {
		r->send_errors++;
		return;
	}
	send_one(r, msg, sizeof msg);
	s->sent_ns = now;
	s->state = SIM_HS_SENT;
	r->hs_sent++;
}

static void send_register(struct run *r, struct sim *s, uint64_t now)
{
	struct basectl m = {.type = BASECTL_REGISTER, .has_er = true};
	uint8_t er_buf[ER_MAX_LEN], buf[BUF_LEN];
	size_t er_len, len, out_len;

	m.er.seq = wall_ns() / 1000000;
	m.er.listen_port = 5582;
	if (er_sign(&m.er, &s->id, er_buf, sizeof er_buf, &er_len) != ER_OK ||
	    basectl_encode(&m, buf + MSG_DATA_HEADER_LEN, sizeof buf - MSG_DATA_HEADER_LEN,
			   &len) != BASECTL_OK ||
	    session_seal(&s->s, now, buf, len, sizeof buf, &out_len) < 0) {
		r->send_errors++;
		return;
	}
	send_one(r, buf, out_len);
}

/* One datagram from the target: HS_RESP, COOKIE_REPLY or DATA of one of ours. */
static void on_datagram(struct run *r, uint8_t *buf, size_t len, uint64_t now, bool reg)
{
	enum msg_class c = msg_classify(buf, len);
	uint32_t idx = msg_class_is_drop(c) ? 0 : msg_receiver(buf, c);
	struct sim *s = idx >= 1 && idx <= r->n ? &r->sims[idx - 1] : NULL;
	const uint8_t *pt;
	size_t pt_len, out_len = 0;
	uint8_t out[HS_REPLY_MAX];
	struct hs_keys keys;
	struct basectl m;
	struct hs_ops ops = {0};

	if (s == NULL) {
		r->ignored++;
		return;
	}
	if (c == MSG_CLASS_HS_RESP && s->state == SIM_HS_SENT) {
		if (hs_local_init(&r->l, &s->id, NULL) < 0 ||
		    hs_initiator_consume(&s->hs, &r->l, &ops, buf, len, SRC, sizeof SRC, now, out,
					 &out_len, &keys) != HS_OK) {
			r->ignored++;
			return;
		}
		session_init(&s->s, s->id.addr, r->peer_addr);
		session_install(&s->s, NULL, &keys, now);
		s->state = SIM_UP;
		r->hs_ok++;
		if (reg)
			send_register(r, s, now);
	} else if (c == MSG_CLASS_COOKIE_REPLY && s->state == SIM_HS_SENT) {
		if (cookie_sender_consume_reply(&s->cs, buf, now)) {
			r->cookies++;
			s->state = SIM_IDLE; /* again at once, now with mac2 */
		}
	} else if (c == MSG_CLASS_DATA && s->state == SIM_UP &&
		   session_open(&s->s, NULL, now, buf, len, &pt, &pt_len) == SESSION_CONTROL &&
		   basectl_decode(&m, pt, pt_len, NULL) == BASECTL_OK &&
		   m.type == BASECTL_REGISTER_OK) {
		s->state = SIM_DONE;
		if (m.arg == BASECTL_STATUS_OK)
			r->registered++;
		else
			r->refused++;
	} else {
		r->ignored++;
	}
}

static void drain(struct run *r, uint64_t now, bool reg)
{
	uint8_t buf[BUF_LEN];
	ssize_t n;

	while ((n = recv(r->fd, buf, sizeof buf, 0)) > 0)
		on_datagram(r, buf, (size_t)n, now, reg);
}

/*
 * Handshake every simulated node at o->rate per second (again after
 * RETRY_NS without an answer) until each reached `goal` or the time is up.
 */
static unsigned handshake_all(struct run *r, enum sim_state goal, uint64_t deadline)
{
	uint64_t t0 = mono_ns();
	unsigned done = 0, next = 0;
	double per_ns = (double)r->o->rate / 1e9;

	while (running(deadline)) {
		uint64_t now = mono_ns();
		unsigned budget = (unsigned)((double)(now - t0) * per_ns) + 1;
		struct pollfd p = {.fd = r->fd, .events = POLLIN};

		for (unsigned k = 0; k < r->n && r->hs_sent < budget; k++, next = (next + 1) % r->n) {
			struct sim *s = &r->sims[next];

			if (s->state == SIM_IDLE ||
			    (s->state == SIM_HS_SENT && now - s->sent_ns > RETRY_NS) ||
			    (goal == SIM_DONE && s->state == SIM_UP && now - s->sent_ns > RETRY_NS))
				start_hs(r, next, now);
		}
		(void)poll(&p, 1, 1);
		drain(r, mono_ns(), goal == SIM_DONE);
		done = 0;
		for (unsigned i = 0; i < r->n; i++)
			done += r->sims[i].state >= goal;
		if (done == r->n)
			break;
	}
	return done;
}

/* ---- modes --------------------------------------------------------------- */

static int mode_register(struct run *r)
{
	uint64_t t0 = mono_ns();

	handshake_all(r, SIM_DONE, t0 + (uint64_t)r->o->seconds * SESSION_NS_PER_S);
	printf("registered=%lu refused=%lu nodes=%u handshakes=%lu handshakes_sent=%lu "
	       "cookie_replies=%lu ignored=%lu send_errors=%lu seconds=%.2f\n",
	       r->registered, r->refused, r->n, r->hs_ok, r->hs_sent, r->cookies, r->ignored,
	       r->send_errors, (double)(mono_ns() - t0) / 1e9);
	return EXIT_OK;
}

/* n packets of `size` bytes, round-robin over the peers that are up. */
static int mode_peers(struct run *r)
{
	static uint8_t bufs[BATCH][BUF_LEN];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	size_t size = r->o->size ? r->o->size : DEFAULT_SIZE;
	uint64_t t0 = mono_ns(), end, sent = 0;
	unsigned up, next = 0;

	up = handshake_all(r, SIM_UP, t0 + 30 * SESSION_NS_PER_S);
	/* For a caller that measures the target over the sending phase only. */
	fprintf(stderr, "sending\n");
	t0 = mono_ns();
	end = t0 + (uint64_t)r->o->seconds * SESSION_NS_PER_S;
	while (up > 0 && running(end)) {
		uint64_t now = mono_ns();
		unsigned k = 0, tries = 0, want = BATCH;

		/* --pps: no more than that many per second, in batches of up to BATCH. */
		if (r->o->pps) {
			uint64_t due = (uint64_t)((double)(now - t0) * r->o->pps / 1e9) + 1;

			want = due > sent ? (unsigned)(due - sent < BATCH ? due - sent : BATCH) : 0;
			if (want == 0) {
				struct timespec ts = {0, ROUND_NS / 4};

				nanosleep(&ts, NULL);
				drain(r, now, false);
				continue;
			}
		}
		for (; k < want && tries < 4 * r->n; tries++, next = (next + 1) % r->n) {
			struct sim *s = &r->sims[next];
			uint8_t *p = bufs[k] + MSG_DATA_HEADER_LEN;
			size_t out_len;

			if (s->state != SIM_UP)
				continue;
			memset(p, 0, INNER_HDR);
			p[0] = 0x60;
			p[4] = (uint8_t)((size - 40) >> 8);
			p[5] = (uint8_t)(size - 40);
			p[6] = 17; /* UDP */
			p[7] = 64;
			memcpy(p + 8, s->id.addr, 16);
			memcpy(p + 24, r->peer_addr, 16);
			p[40] = 0x13, p[41] = 0x89; /* 5001 -> 9 (discard) */
			p[43] = 9;
			p[44] = (uint8_t)((size - 40) >> 8);
			p[45] = (uint8_t)(size - 40);
			if (session_seal(&s->s, now, bufs[k], size, BUF_LEN, &out_len) < 0) {
				r->send_errors++;
				continue;
			}
			iov[k] = (struct iovec){bufs[k], out_len};
			mm[k] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[k], .msg_iovlen = 1}};
			k++;
		}
		int n = k > 0 ? sendmmsg(r->fd, mm, k, 0) : 0;

		if (n > 0)
			sent += (unsigned)n;
		else
			r->send_errors++;
		if (n < (int)k) {
			struct pollfd p = {.fd = r->fd, .events = POLLOUT};

			(void)poll(&p, 1, 1);
		}
		drain(r, now, false);
	}
	double secs = (double)(mono_ns() - t0) / 1e9;

	printf("peers_up=%u peers=%u handshakes_sent=%lu sent=%" PRIu64 " sent_pps=%.0f "
	       "seconds=%.2f send_errors=%lu ignored=%lu\n",
	       up, r->n, r->hs_sent, sent, secs > 0 ? (double)sent / secs : 0, secs,
	       r->send_errors, r->ignored);
	return up == 0 ? EXIT_FAIL : EXIT_OK;
}

/* Forged HS_INITs with a valid mac1, paced at o->rate per second. */
static int mode_flood(struct run *r)
{
	static uint8_t pool[FORGED_POOL][MSG_HS_INIT_LEN];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct cookie_keys k;
	uint8_t x_pub[IDENTITY_X25519_LEN], buf[BUF_LEN];
	unsigned rate = r->o->rate ? r->o->rate : 50000, next = 0;
	uint64_t t0 = mono_ns(), end = t0 + (uint64_t)r->o->seconds * SESSION_NS_PER_S, sent = 0;
	unsigned long replies = 0;

	if (identity_x25519_public(r->o->pk, x_pub) < 0) {
		fprintf(stderr, "%s: --pk is not a usable key\n", PROG);
		return EXIT_FAIL;
	}
	cookie_keys_derive(&k, x_pub, NULL);
	for (unsigned i = 0; i < FORGED_POOL; i++) {
		randombytes_buf(pool[i], sizeof pool[i]);
		msg_common_put(pool[i], MSG_HS_INIT);
		cookie_mac1(pool[i] + MSG_HS_INIT_OFF_MAC1, &k, pool[i], sizeof pool[i]);
		memset(pool[i] + MSG_HS_INIT_OFF_MAC2, 0, MSG_MAC_LEN);
	}
	for (uint64_t now = t0; running(end); now = mono_ns()) {
		uint64_t due = (uint64_t)((double)(now - t0) * rate / 1e9) + 1;
		unsigned n = due > sent ? (unsigned)(due - sent < BATCH ? due - sent : BATCH) : 0;
		ssize_t got;

		for (unsigned i = 0; i < n; i++, next = (next + 1) % FORGED_POOL) {
			iov[i] = (struct iovec){pool[next], MSG_HS_INIT_LEN};
			mm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
		}
		if (n > 0) {
			int s = sendmmsg(r->fd, mm, n, 0);

			if (s > 0)
				sent += (unsigned)s;
			if (s < (int)n)
				r->send_errors++;
		}
		while ((got = recv(r->fd, buf, sizeof buf, 0)) > 0)
			replies += msg_classify(buf, (size_t)got) == MSG_CLASS_COOKIE_REPLY;
		if (n < BATCH) {
			struct timespec ts = {0, ROUND_NS};

			nanosleep(&ts, NULL);
		}
	}
	double secs = (double)(mono_ns() - t0) / 1e9;

	printf("sent=%" PRIu64 " sent_pps=%.0f cookie_replies=%lu seconds=%.2f send_errors=%lu\n",
	       sent, (double)sent / secs, replies, secs, r->send_errors);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct opts o = {.rate = 0, .seconds = 10};
	struct run r = {.o = &o, .fd = -1};
	int rc;

	if (sodium_init() < 0) {
		fprintf(stderr, "%s: libsodium initialisation failed\n", PROG);
		return EXIT_FAIL;
	}
	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	if (strcmp(o.mode, "keygen") == 0)
		return keygen(&o);
	identity_address(o.pk, r.peer_addr);
	if (open_socket(&r) < 0)
		return EXIT_FAIL;
	if (strcmp(o.mode, "flood") == 0) {
		rc = mode_flood(&r);
		close(r.fd);
		return rc;
	}
	if (o.rate == 0)
		o.rate = 800;
	r.n = o.count;
	r.sims = calloc(r.n, sizeof *r.sims);
	if (r.sims == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		close(r.fd);
		return EXIT_FAIL;
	}
	if (load_ids(&r) < 0) {
		rc = EXIT_FAIL;
	} else {
		uint8_t x_pub[IDENTITY_X25519_LEN];

		if (identity_x25519_public(o.pk, x_pub) < 0) {
			fprintf(stderr, "%s: --pk is not a usable key\n", PROG);
			rc = EXIT_FAIL;
		} else {
			for (unsigned i = 0; i < r.n; i++)
				cookie_sender_init(&r.sims[i].cs, x_pub, NULL);
			rc = strcmp(o.mode, "register") == 0 ? mode_register(&r) : mode_peers(&r);
		}
	}
	for (unsigned i = 0; i < r.n; i++) {
		identity_wipe(&r.sims[i].id);
		session_wipe_keys(&r.sims[i].s, NULL);
		hs_initiator_wipe(&r.sims[i].hs);
	}
	hs_local_wipe(&r.l);
	free(r.sims);
	close(r.fd);
	return rc;
}
