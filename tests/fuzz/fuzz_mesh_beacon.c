/*
 * LAN beacons (core/mesh/beacon.c) on arbitrary bytes.
 *
 * Byte 0: bit 0 set re-signs the input with the harness's fixed key (its
 * key at offset 8, a valid signature at the end), so the mutator reaches
 * the checks after the signature's; the rest is the beacon.
 *
 * Invariants:
 *  - every verdict has a name; a refusal leaves the struct zero;
 *  - an accepted beacon encodes back to exactly the input bytes;
 *  - the replay guard: the same beacon parsed again through the guard is
 *    REPLAYED, a refused beacon leaves the guard's answer for its key and
 *    seq unchanged, and an accepted one is never fresh again.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "mesh_key.h"
#include "core/mesh/beacon.h"

static struct identity key;
static struct beacon_guard guard;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_mesh_key(&key);
	beacon_guard_init(&guard);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct beacon b, again;
	uint8_t out[BEACON_MAX_LEN], *in;
	size_t len, n = 0;
	enum beacon_result r;
	bool fresh_before;
	uint8_t pk[IDENTITY_PK_LEN];
	uint64_t seq;

	if (size < 1 || size - 1 > 2 * BEACON_MAX_LEN)
		return 0;
	len = size - 1;
	in = malloc(len ? len : 1);
	if (in == NULL)
		return 0;
	memcpy(in, data + 1, len);
	if ((data[0] & 1) && len >= BEACON_MIN_LEN) {
		memcpy(in + BEACON_OFF_PK, key.pk, IDENTITY_PK_LEN);
		identity_sign(&key, BEACON_SIGN_DOMAIN, in, len - IDENTITY_SIG_LEN,
			      in + len - IDENTITY_SIG_LEN);
	}
	/* What the guard says before, for the key and seq the bytes claim. */
	memset(pk, 0, sizeof(pk));
	seq = 0;
	if (len >= BEACON_MIN_LEN) {
		memcpy(pk, in + BEACON_OFF_PK, IDENTITY_PK_LEN);
		for (int i = 0; i < 8; i++)
			seq = seq << 8 | in[BEACON_OFF_SEQ + i];
	}
	fresh_before = beacon_guard_fresh(&guard, pk, seq);

	r = beacon_parse(&b, in, len, &guard);
	FUZZ_CHECK(strcmp(beacon_result_name(r), "?") != 0, "result %d", r);
	if (r != BEACON_OK) {
		static const struct beacon zero;

		FUZZ_CHECK(memcmp(&b, &zero, sizeof(b)) == 0, "refused beacon left fields");
		FUZZ_CHECK(beacon_guard_fresh(&guard, pk, seq) == fresh_before,
			   "a refused beacon (%s) moved the guard", beacon_result_name(r));
		FUZZ_CHECK(r != BEACON_REPLAYED || !fresh_before, "replayed but fresh");
		free(in);
		return 0;
	}
	FUZZ_CHECK(fresh_before, "accepted a beacon the guard called stale");
	FUZZ_CHECK(!beacon_guard_fresh(&guard, b.ed_pk, b.seq), "accepted seq still fresh");
	FUZZ_CHECK(beacon_encode(&b, out, sizeof(out), &n) == BEACON_OK, "re-encode");
	FUZZ_CHECK(n == len && memcmp(out, in, len) == 0, "beacon round trip");
	FUZZ_CHECK(beacon_parse(&again, in, len, &guard) == BEACON_REPLAYED,
		   "the same beacon twice");
	free(in);
	return 0;
}
