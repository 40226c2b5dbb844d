/*
 * subnetra-bench-mesh: the CPU cost of one mesh handshake on each side,
 * without any I/O, through the daemon's own code (core/mesh/handshake.c:
 * Noise_IKpsk2 with mac1, the identity proof-of-work check, the X25519
 * binding of the Ed25519 identity and the TAI64N check).
 *
 *   initiator = hs_initiator_start (HS_INIT) + hs_initiator_consume (HS_RESP)
 *   responder = hs_respond (HS_INIT -> HS_RESP)
 *
 * Two fresh libsodium identities (identity_generate); every iteration is a
 * whole handshake with new ephemerals, and both results must be HS_OK with
 * matching keys (a failure aborts: the work cannot be skipped).  The
 * --iterations are cut into SLICES slices and each side reports its best
 * slice (noise on a shared machine only ever adds time).
 *
 *   subnetra-bench-mesh [--iterations N] [--json]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/cliargs.h"
#include "core/mesh/handshake.h"
#include "core/version.h"
#include "os/linux/clock.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	SLICES = 20,
	DEFAULT_ITERATIONS = 2000,
};

static const char PROG[] = "subnetra-bench-mesh";
static const char SYNOPSIS[] = "[--iterations N] [--json]";

/* The responder's whitelist: the one initiator, never seen before. */
static bool allow_all(void *ctx, const uint8_t ed_pk[IDENTITY_PK_LEN],
		      const uint8_t addr[IDENTITY_ADDR_LEN], struct hs_peer *peer)
{
	(void)ed_pk;
	(void)addr;
	memset(peer->last_tai64n, 0, sizeof peer->last_tai64n);
	peer->cookie = ctx;
	return true;
}

struct bench {
	struct hs_local ini, resp;
	struct cookie_sender to_resp, to_ini;
	uint8_t resp_ed_pk[IDENTITY_PK_LEN];
	struct hs_ops ops;
	uint64_t wall;
	unsigned long failures;
};

/* One handshake; adds each side's ns to *ini_ns and *resp_ns. */
static void one(struct bench *b, uint64_t *ini_ns, uint64_t *resp_ns)
{
	static const uint8_t src[4] = {198, 18, 0, 2};
	struct hs_initiator hs;
	struct hs_keys ki, kr;
	uint8_t init[MSG_HS_INIT_LEN], reply[HS_REPLY_MAX], none[HS_REPLY_MAX];
	size_t reply_len = 0, none_len = 0;
	uint64_t t0, t1, t2, t3;
	enum hs_reason r1, r2;

	b->wall += 1000;
	t0 = mono_ns();
	if (hs_initiator_start(&hs, &b->ini, b->resp_ed_pk, &b->to_resp, 0, b->wall, t0, NULL,
			       init) < 0)
		b->failures++;
	t1 = mono_ns();
	r1 = hs_respond(&b->resp, &b->ops, init, sizeof init, src, sizeof src, 0, t1, NULL, reply,
			&reply_len, &kr);
	t2 = mono_ns();
	r2 = hs_initiator_consume(&hs, &b->ini, &b->ops, reply, reply_len, src, sizeof src, t2,
				  none, &none_len, &ki);
	t3 = mono_ns();
	if (r1 != HS_OK || r2 != HS_OK || ki.remote_index != kr.local_index ||
	    sodium_memcmp(&ki.send, &kr.recv, sizeof ki.send) != 0)
		b->failures++;
	*ini_ns += (t1 - t0) + (t3 - t2);
	*resp_ns += t2 - t1;
	hs_keys_wipe(&ki);
	hs_keys_wipe(&kr);
	hs_initiator_wipe(&hs);
}

static int parse_args(int argc, char **argv, unsigned *iterations, bool *json)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			*json = true;
		} else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
			if (!cliarg_uint(argv[++i], SLICES, 10000000, iterations))
				return cliarg_usage_error(PROG, SYNOPSIS,
							  "--iterations: %s is not %d..10000000",
							  argv[i], SLICES);
		} else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: %s %s\n", PROG, SYNOPSIS);
			return EXIT_OK;
		} else {
			return cliarg_usage_error(PROG, SYNOPSIS, "unknown argument '%s'", argv[i]);
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	static struct bench b;
	struct identity a, r;
	unsigned iterations = DEFAULT_ITERATIONS, per;
	bool json = false;
	double best_ini = 0, best_resp = 0;
	int rc;

	rc = parse_args(argc, argv, &iterations, &json);
	if (rc >= 0)
		return rc;
	if (sodium_init() < 0) {
		fprintf(stderr, "%s: libsodium initialisation failed\n", PROG);
		return EXIT_FAIL;
	}
	identity_generate(&a);
	identity_generate(&r);
	if (hs_local_init(&b.ini, &a, NULL) < 0 || hs_local_init(&b.resp, &r, NULL) < 0) {
		fprintf(stderr, "%s: hs_local_init failed\n", PROG);
		return EXIT_FAIL;
	}
	memcpy(b.resp_ed_pk, r.pk, sizeof b.resp_ed_pk);
	cookie_sender_init(&b.to_resp, b.resp.x_pub, NULL);
	cookie_sender_init(&b.to_ini, b.ini.x_pub, NULL);
	identity_wipe(&a);
	identity_wipe(&r);
	b.ops = (struct hs_ops){.ctx = &b.to_ini, .peer_allowed = allow_all};
	b.wall = wall_ns();

	per = iterations / SLICES;
	for (int s = 0; s < SLICES; s++) {
		uint64_t ini_ns = 0, resp_ns = 0;

		for (unsigned i = 0; i < per; i++)
			one(&b, &ini_ns, &resp_ns);
		if (s == 0 || (double)ini_ns / per < best_ini)
			best_ini = (double)ini_ns / per;
		if (s == 0 || (double)resp_ns / per < best_resp)
			best_resp = (double)resp_ns / per;
	}
	hs_local_wipe(&b.ini);
	hs_local_wipe(&b.resp);
	cookie_sender_wipe(&b.to_resp);
	cookie_sender_wipe(&b.to_ini);
	if (b.failures != 0) {
		fprintf(stderr, "%s: %lu handshakes failed (bug)\n", PROG, b.failures);
		return EXIT_FAIL;
	}
	if (json)
		printf("{\"tool\":\"%s\",\"version\":\"%s\",\"iterations\":%u,"
		       "\"initiator_us\":%.1f,\"responder_us\":%.1f}\n",
		       PROG, SUBNETRA_VERSION, per * SLICES, best_ini / 1000, best_resp / 1000);
	else
		printf("%s v%s: %u handshakes (best of %d slices), one core\n"
		       "initiator (HS_INIT + consume HS_RESP): %.1f us\n"
		       "responder (HS_INIT -> HS_RESP):        %.1f us\n",
		       PROG, SUBNETRA_VERSION, per * SLICES, SLICES, best_ini / 1000,
		       best_resp / 1000);
	return EXIT_OK;
}
