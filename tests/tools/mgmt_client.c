/*
 * mgmt_client: the node daemon's management client (src/agent/
 * client.c) on its own, for t_mgmt_client against a real subnetra-mgmtd:
 *
 *   mgmt_client URL STATEDIR STEM SEEDHEX PEERS SECONDS [CODE [HOSTNAME]]
 *
 * runs the client as a device with the identity of SEEDHEX (state files
 * STATEDIR/STEM.*) until a bundle with at least PEERS peers is applied,
 * printing a line per applied bundle:
 *
 *   applied <epoch>.<serial> peers=<n> [<address>=<hostname> ...]
 *
 * Exit 0 when it got there, 1 after SECONDS (the last error and the
 * refusal counters on stderr), 2 on a usage or start-up error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <sodium.h>

#include "core/mesh/identity.h"
#include "core/mgmt/text.h"
#include "agent/client.h"
#include "os/linux/clock.h"

static size_t want_peers;
static bool done;

static void on_apply(void *ctx, const struct mgmt_bundle *b)
{
	char a[64];

	(void)ctx;
	printf("applied %" PRIu64 ".%" PRIu64 " peers=%zu", b->epoch, b->serial, b->n_peers);
	for (size_t i = 0; i < b->n_peers; i++) {
		identity_address_format(b->peers[i].address, a);
		printf(" %s=%s", a, b->peers[i].names.hostname);
	}
	printf("\n");
	fflush(stdout);
	done = b->n_peers >= want_peers;
}

int main(int argc, char **argv)
{
	static struct mgmt_client c;
	struct mgmt_store store;
	uint8_t seed[IDENTITY_SEED_LEN];
	struct identity id;
	uint64_t end;
	int dirfd, rc;

	if (argc < 7 || argc > 9 || sodium_init() < 0) {
		fprintf(stderr, "usage: mgmt_client URL STATEDIR STEM SEEDHEX PEERS SECONDS "
				"[CODE [HOSTNAME]]\n");
		return 2;
	}
	if (!mgmt_hex_decode(argv[4], strlen(argv[4]), seed, sizeof(seed)) ||
	    identity_from_seed(&id, seed) != 0) {
		fprintf(stderr, "mgmt_client: not an identity seed\n");
		return 2;
	}
	want_peers = strtoul(argv[5], NULL, 10);
	dirfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || mgmt_store_init(&store, dirfd, argv[2], argv[3], getuid()) < 0) {
		fprintf(stderr, "mgmt_client: %s: cannot use\n", argv[2]);
		return 2;
	}
	rc = mgmt_client_init(&c, &store, argv[1], argc > 7 ? argv[7] : NULL,
			      argc > 8 ? argv[8] : NULL, id.sk, id.addr, on_apply, NULL);
	sodium_memzero(&id, sizeof(id));
	sodium_memzero(seed, sizeof(seed));
	if (rc < 0) {
		fprintf(stderr, "mgmt_client: %s\n", c.last_error);
		return 2;
	}
	end = mono_ns() + strtoull(argv[6], NULL, 10) * UINT64_C(1000000000);
	while (!done && mono_ns() < end) {
		mgmt_client_tick(&c, mono_ns(), wall_ns() / 1000000);
		if (c.http.fd >= 0) {
			uint32_t ev = mgmt_httpc_events(&c.http);
			struct pollfd p = { .fd = c.http.fd,
					    .events = (short)((ev & EPOLLOUT ? POLLOUT : 0) |
							      (ev & EPOLLIN ? POLLIN : 0)) };

			if (poll(&p, 1, 100) > 0)
				mgmt_client_event(&c, mono_ns(), wall_ns() / 1000000);
		} else {
			poll(NULL, 0, 100);
		}
	}
	if (!done) {
		fprintf(stderr, "mgmt_client: gave up; last error: %s; refused:", c.last_error);
		for (int i = 0; i < MGMT_REFUSALS; i++)
			fprintf(stderr, " %s=%" PRIu64, mgmt_refusal_name((enum mgmt_refusal)i),
				c.refused[i]);
		fprintf(stderr, "\n");
	}
	mgmt_client_free(&c);
	close(dirfd);
	return done ? 0 : 1;
}
