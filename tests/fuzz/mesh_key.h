/*
 * The fixed identity the mesh harnesses re-sign inputs with (the seed of
 * tests/unit/test_identity.c's first key).  Header-only, like common.h.
 */
#ifndef SUBNETRA_FUZZ_MESH_KEY_H
#define SUBNETRA_FUZZ_MESH_KEY_H

#include <stdlib.h>

#include <sodium.h>

#include "core/mesh/identity.h"

static inline void fuzz_mesh_key(struct identity *id)
{
	uint8_t seed[IDENTITY_SEED_LEN];

	if (sodium_init() < 0 ||
	    sodium_hex2bin(seed, sizeof(seed),
			   "bd0000005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", 64,
			   NULL, NULL, NULL) != 0 ||
	    identity_from_seed(id, seed) != 0)
		abort();
}

#endif
