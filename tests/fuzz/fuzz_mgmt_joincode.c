/*
 * Join codes (core/mgmt/joincode.c) on arbitrary bytes.
 *
 * Invariants:
 *  - a code that parses formats back to exactly the input (one spelling);
 *    a refused one leaves the struct zeroed;
 *  - any 41 bytes as prefix, secret and fingerprint format to a code that
 *    parses back to them;
 *  - the stored hash of a parsed code matches it and no code with another
 *    secret.
 */
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "core/mgmt/joincode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pepper[MGMT_PEPPER_LEN] = { 5 };
	struct mgmt_joincode jc, back;
	char text[MGMT_JOINCODE_LEN + 1];
	uint8_t stored[MGMT_SECRET_HASH_LEN];

	if (mgmt_joincode_parse((const char *)data, size, &jc)) {
		mgmt_joincode_format(&jc, text);
		FUZZ_CHECK(size == MGMT_JOINCODE_LEN && memcmp(text, data, size) == 0,
			   "parsed code does not format back to itself");
		mgmt_joincode_hash(pepper, &jc, stored);
		FUZZ_CHECK(mgmt_joincode_matches(pepper, &jc, stored), "own hash does not match");
		back = jc;
		back.secret[0] ^= 0x80;
		FUZZ_CHECK(!mgmt_joincode_matches(pepper, &back, stored), "another secret matches");
	} else {
		FUZZ_CHECK(sodium_is_zero((const unsigned char *)&jc, sizeof(jc)), "refused, not wiped");
	}
	if (size >= sizeof(jc.prefix) + sizeof(jc.secret) + sizeof(jc.fingerprint)) {
		memcpy(jc.prefix, data, sizeof(jc.prefix));
		memcpy(jc.secret, data + sizeof(jc.prefix), sizeof(jc.secret));
		memcpy(jc.fingerprint, data + sizeof(jc.prefix) + sizeof(jc.secret),
		       sizeof(jc.fingerprint));
		mgmt_joincode_format(&jc, text);
		FUZZ_CHECK(mgmt_joincode_parse(text, strlen(text), &back), "own code refused: %s", text);
		FUZZ_CHECK(memcmp(&jc, &back, sizeof(jc)) == 0, "round trip changed the code");
	}
	return 0;
}
