/*
 * mgmt_samples: writes valid management-plane samples, signed with the
 * fixed test keys of tests/unit/mgmt_fixture.h, into DIR: the seed corpora
 * of the fuzzers (tests/fuzz/corpus/fuzz_mgmt_*) and examples for the
 * server and daemon work.
 *
 *   mgmt_samples DIR
 *
 * Files: license.payload license.json (envelope) bundle.payload
 * bundle.json bundle-4096.json joincode devreq (the harness's line format:
 * key, time, nonce, sig, method, target, then the body).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mesh/identity.h"
#include "core/mgmt/devreq.h"
#include "core/mgmt/joincode.h"
#include "tests/unit/mgmt_fixture.h"

static char payload[MGMT_PAYLOAD_MAX + 1], text[MGMT_ENVELOPE_MAX + 1];
static struct mgmt_bundle bundle;

static int put(const char *dir, const char *name, const char *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "mgmt_samples: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int sealed(const char *dir, const char *name, const char *domain, size_t plen,
		  const struct fix_signer *k)
{
	size_t len = fix_seal(domain, payload, plen, k, text, sizeof(text));

	return len == 0 ? -1 : put(dir, name, text, len);
}

int main(int argc, char **argv)
{
	struct fix_signer k1, k2;
	struct mgmt_license l;
	struct mgmt_joincode jc;
	struct mgmt_devreq_auth a;
	struct mgmt_devreq_text t;
	struct identity dev;
	static const char body[] = "{\"applied\":\"1.5\"}";
	const uint8_t nonce[MGMT_NONCE_LEN] = { 1, 2, 3 };
	char line[4096];
	size_t n;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: mgmt_samples DIR\n");
		return 2;
	}
	fix_signer(&k1, 1);
	fix_signer(&k2, 2);

	fix_license(&l, 7, &k1, &k2);
	n = mgmt_license_encode(&l, payload, sizeof(payload));
	rc |= put(argv[1], "license.payload", payload, n);
	rc |= sealed(argv[1], "license.json", MGMT_DOMAIN_LICENSE, n, &k1);

	fix_bundle(&bundle, 1, 1795443923456ULL, 3);
	strcpy(bundle.peers[2].names.aliases[0], "db");
	bundle.peers[2].names.n_aliases = 1;
	n = mgmt_bundle_encode(&bundle, payload, sizeof(payload));
	rc |= put(argv[1], "bundle.payload", payload, n);
	rc |= sealed(argv[1], "bundle.json", MGMT_DOMAIN_CONFIG, n, &k1);
	fix_bundle(&bundle, 1, 1795443923457ULL, MGMT_PEERS_MAX);
	n = mgmt_bundle_encode(&bundle, payload, sizeof(payload));
	rc |= sealed(argv[1], "bundle-4096.json", MGMT_DOMAIN_CONFIG, n, &k1);

	mgmt_key_fingerprint(k1.pk, jc.fingerprint);
	memset(jc.prefix, 0x42, sizeof(jc.prefix));
	memset(jc.secret, 0x99, sizeof(jc.secret));
	mgmt_joincode_format(&jc, line);
	rc |= put(argv[1], "joincode", line, strlen(line));

	fix_identity(&dev, FIX_SEED1);
	if (mgmt_devreq_sign(dev.sk, "POST", 4, "/device/v1/status", 17, 1795443923456ULL, nonce,
			     (const uint8_t *)body, strlen(body), &a) != 0)
		return 1;
	mgmt_devreq_format(&a, &t);
	n = (size_t)snprintf(line, sizeof(line), "%s\n%s\n%s\n%s\nPOST\n/device/v1/status\n%s",
			     t.key, t.time, t.nonce, t.sig, body);
	rc |= put(argv[1], "devreq", line, n);
	return rc == 0 ? 0 : 1;
}
