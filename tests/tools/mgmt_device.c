/*
 * mgmt_device: the device side of the management device API, by the code
 * a device runs (src/core/mgmt), for t_mgmtd_device and bench/mgmt_scale.sh
 * (whose HTTP is Python's: tests/tools/mgmt_device.py signs as
 * docs/management-protocol.md says, and this checks it does).
 *
 *   mgmt_device keygen N              N acceptable identity seeds (hex), one a line
 *   mgmt_device addr SEEDHEX          the seed's public key (hex) and overlay address
 *   mgmt_device bundle-check PKHEX INSTANCEHEX ADDRESS FILE...
 *       a device at ADDRESS pinning PKHEX and INSTANCEHEX offered each FILE
 *       in turn (mgmt_bundle_accept): one line per file,
 *       <verdict> epoch=<e> serial=<s> peers=<n> [<address>=<hostname> ...]
 *       exit 0 when every file was newer or same, 1 otherwise
 *   mgmt_device sign SEEDHEX METHOD TARGET TIME_MS NONCEHEX BODYFILE
 *       the four headers, "Name: value" a line (BODYFILE - for none)
 *
 * Exit 2 on a usage or I/O error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/mesh/identity.h"
#include "core/mgmt/bundle.h"
#include "core/mgmt/devreq.h"
#include "core/mgmt/text.h"

static uint8_t work[MGMT_WORK_MAX];
static char text[MGMT_ENVELOPE_MAX + 1];
static struct mgmt_bundle bundle;

static int usage(void)
{
	fprintf(stderr, "usage: mgmt_device keygen N | addr SEEDHEX | bundle-check PKHEX "
			"INSTANCEHEX ADDRESS FILE... | sign SEEDHEX METHOD TARGET TIME_MS "
			"NONCEHEX BODYFILE\n");
	return 2;
}

static bool seed_identity(const char *hex, struct identity *id)
{
	uint8_t seed[IDENTITY_SEED_LEN];

	return mgmt_hex_decode(hex, strlen(hex), seed, sizeof seed) &&
	       identity_from_seed(id, seed) == 0;
}

static int keygen(long n)
{
	struct identity id;
	char hex[2 * IDENTITY_SEED_LEN + 1];

	for (long i = 0; i < n; i++) {
		identity_generate(&id);
		mgmt_hex_encode(hex, id.sk, IDENTITY_SEED_LEN);
		printf("%s\n", hex);
	}
	sodium_memzero(&id, sizeof id);
	return 0;
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static int bundle_check(char **argv, int argc)
{
	uint8_t pk[MGMT_PK_LEN], inst[MGMT_INSTANCE_LEN], addr[16];
	struct mgmt_keyset ks;
	struct mgmt_bundle_state st = {0};
	int bad = 0;

	if (!mgmt_hex_decode(argv[0], strlen(argv[0]), pk, sizeof pk) ||
	    !mgmt_hex_decode(argv[1], strlen(argv[1]), inst, sizeof inst) ||
	    !identity_address_parse(argv[2], strlen(argv[2]), addr))
		return usage();
	mgmt_keyset_init(&ks);
	mgmt_keyset_add(&ks, pk);
	for (int i = 3; i < argc; i++) {
		size_t n = read_file(argv[i], text, sizeof text);
		enum mgmt_env_verdict ev = MGMT_ENV_OK;
		enum mgmt_bundle_verdict v = mgmt_bundle_accept(
		    &st, &ks, inst, addr, text, n, work, sizeof work, &bundle, &ev, NULL);
		bool ok = v == MGMT_BUNDLE_NEWER || v == MGMT_BUNDLE_SAME;

		printf("%s%s%s epoch=%llu serial=%llu peers=%zu", mgmt_bundle_verdict_name(v),
		       v == MGMT_BUNDLE_ENVELOPE ? ":" : "",
		       v == MGMT_BUNDLE_ENVELOPE ? mgmt_env_verdict_name(ev) : "",
		       ok ? (unsigned long long)bundle.epoch : 0ULL,
		       ok ? (unsigned long long)bundle.serial : 0ULL, ok ? bundle.n_peers : 0);
		for (size_t k = 0; ok && k < bundle.n_peers; k++) {
			char a[IDENTITY_ADDR_TEXT];

			identity_address_format(bundle.peers[k].address, a);
			printf(" %s=%s", a, bundle.peers[k].names.hostname);
		}
		printf("\n");
		bad |= !ok;
	}
	return bad;
}

static int sign(char **argv)
{
	struct identity id;
	struct mgmt_devreq_auth a;
	struct mgmt_devreq_text t;
	uint8_t nonce[MGMT_NONCE_LEN];
	size_t blen = 0;
	int rc;

	if (!seed_identity(argv[0], &id) ||
	    !mgmt_hex_decode(argv[4], strlen(argv[4]), nonce, sizeof nonce))
		return usage();
	if (strcmp(argv[5], "-") != 0)
		blen = read_file(argv[5], text, 65536);
	rc = mgmt_devreq_sign(id.sk, argv[1], strlen(argv[1]), argv[2], strlen(argv[2]),
			      strtoull(argv[3], NULL, 10), nonce, (const uint8_t *)text, blen,
			      &a);
	sodium_memzero(&id, sizeof id);
	if (rc < 0)
		return usage();
	mgmt_devreq_format(&a, &t);
	printf("%s: %s\n%s: %s\n%s: %s\n%s: %s\n", MGMT_HDR_KEY, t.key, MGMT_HDR_TIME, t.time,
	       MGMT_HDR_NONCE, t.nonce, MGMT_HDR_SIG, t.sig);
	return 0;
}

int main(int argc, char **argv)
{
	struct identity id;
	char hex[2 * IDENTITY_PK_LEN + 1], a[IDENTITY_ADDR_TEXT];

	if (sodium_init() < 0 || argc < 3)
		return usage();
	if (strcmp(argv[1], "keygen") == 0)
		return keygen(strtol(argv[2], NULL, 10));
	if (strcmp(argv[1], "addr") == 0) {
		if (!seed_identity(argv[2], &id))
			return usage();
		mgmt_hex_encode(hex, id.pk, sizeof id.pk);
		identity_address_format(id.addr, a);
		printf("%s %s\n", hex, a);
		sodium_memzero(&id, sizeof id);
		return 0;
	}
	if (strcmp(argv[1], "bundle-check") == 0 && argc >= 6)
		return bundle_check(argv + 2, argc - 2);
	if (strcmp(argv[1], "sign") == 0 && argc == 8)
		return sign(argv + 2);
	return usage();
}
