/*
 * Fixed keys and payloads for the management-plane tests and fuzzers
 * (header-only, like mesh_fixture.h): instance signing keys from fixed
 * seeds, a device identity, a valid license and a valid bundle to start
 * from, and sealing a payload into an envelope.
 */
#ifndef SUBNETRA_TESTS_MGMT_FIXTURE_H
#define SUBNETRA_TESTS_MGMT_FIXTURE_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/mgmt/bundle.h"
#include "core/mgmt/envelope.h"
#include "core/mgmt/license.h"
#include "tests/unit/mesh_fixture.h"

struct fix_signer {
	uint8_t pk[MGMT_PK_LEN];
	uint8_t sk[MGMT_SK_LEN];
};

/* Signing key n (1, 2, 3 ...): seed = n repeated. */
static inline void fix_signer(struct fix_signer *s, uint8_t n)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	if (sodium_init() < 0)
		__builtin_trap();
	memset(seed, n, sizeof(seed));
	crypto_sign_seed_keypair(s->pk, s->sk, seed);
}

/* ks := { s's key } */
static inline int fix_pin(struct mgmt_keyset *ks, const struct fix_signer *s)
{
	mgmt_keyset_init(ks);
	return mgmt_keyset_add(ks, s->pk);
}

static inline void fix_instance(uint8_t out[MGMT_INSTANCE_LEN], uint8_t n)
{
	memset(out, 0x10 + n, MGMT_INSTANCE_LEN);
}

static inline void fix_addr(uint8_t out[16], uint16_t tail)
{
	memset(out, 0, 16);
	out[0] = 0xfc;
	out[1] = 0x94;
	out[14] = (uint8_t)(tail >> 8);
	out[15] = (uint8_t)tail;
}

/* A valid license of instance 1, serial `serial`, signing keys: a then b (b may be NULL). */
static inline void fix_license(struct mgmt_license *l, uint64_t serial,
			       const struct fix_signer *a, const struct fix_signer *b)
{
	struct identity base;

	memset(l, 0, sizeof(*l));
	fix_instance(l->instance, 1);
	strcpy(l->name, "Acme robots");
	l->serial = serial;
	l->issued = 1795428000;      /* 2026-11-23T10:00:00Z */
	l->valid_until = 1826964000; /* 2027-11-23T10:00:00Z */
	strcpy(l->dashboard_url, "https://mgmt.example.org:8443");
	fix_addr(l->websetup_host, 0x4d);
	l->n_api = 1;
	fix_addr(l->api_servers[0], 0x4d);
	l->n_base = 2;
	fix_identity(&base, FIX_SEED1);
	strcpy(l->base_servers[0].host, "203.0.113.5");
	l->base_servers[0].udp_port = 5582;
	l->base_servers[0].tcp_port = 443;
	memcpy(l->base_servers[0].public_key, base.pk, MGMT_PK_LEN);
	strcpy(l->base_servers[1].host, "base2.example.org");
	l->base_servers[1].udp_port = 5582;
	l->base_servers[1].tcp_port = 443;
	fix_identity(&base, FIX_SEED2);
	memcpy(l->base_servers[1].public_key, base.pk, MGMT_PK_LEN);
	l->n_keys = 1;
	memcpy(l->signing_keys[0], a->pk, MGMT_PK_LEN);
	if (b != NULL) {
		l->n_keys = 2;
		memcpy(l->signing_keys[1], b->pk, MGMT_PK_LEN);
	}
}

/* A valid bundle of instance 1 for device fc94::1:0 with n peers fc94::1..n. */
static inline void fix_bundle(struct mgmt_bundle *b, uint64_t epoch, uint64_t serial,
			      size_t n)
{
	memset(b, 0, offsetof(struct mgmt_bundle, peers));
	fix_instance(b->instance, 1);
	fix_addr(b->device, 0);
	b->device[13] = 1;
	b->epoch = epoch;
	b->serial = serial;
	b->issued = 1795443923;
	b->license_serial = 7;
	strcpy(b->self.hostname, "robot-1");
	b->self.n_aliases = 1;
	strcpy(b->self.aliases[0], "master");
	b->wait_s = 50;
	b->status_s = 60;
	b->n_peers = n;
	for (size_t i = 0; i < n; i++) {
		struct mgmt_peer *p = &b->peers[i];

		memset(p, 0, sizeof(*p));
		fix_addr(p->address, (uint16_t)(i + 1));
		snprintf(p->names.hostname, sizeof(p->names.hostname), "peer-%zu", i + 1);
	}
}

/* payload sealed for domain by s into out (cap); its length (0 on failure). */
static inline size_t fix_seal(const char *domain, const char *payload, size_t plen,
			      const struct fix_signer *s, char *out, size_t cap)
{
	static uint8_t work[MGMT_WORK_MAX];

	return mgmt_envelope_seal(domain, (const uint8_t *)payload, plen, s->sk, work,
				  sizeof(work), out, cap);
}

/*
 * Whether text[0..len) is an envelope for domain whose signature libsodium
 * itself verifies under pk: the fuzzers' independent check of "accepted".
 */
static inline bool fix_signed_by(const char *text, size_t len, const char *domain,
				 const uint8_t pk[MGMT_PK_LEN], uint8_t *work, size_t work_cap)
{
	struct mgmt_envelope env;

	return mgmt_envelope_parse(text, len, domain, work, work_cap, &env) == MGMT_ENV_OK &&
	       crypto_sign_verify_detached(env.sig, env.msg, env.msg_len, pk) == 0;
}

#endif
