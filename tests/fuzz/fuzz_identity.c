/*
 * The two identity file parsers (core/mesh/identity.c) on arbitrary bytes:
 * the whole input as our identity file, then as a Husarnet id line.
 *
 * Invariants:
 *  - a refusal has a message (terminated, non-empty) that quotes no 32 hex
 *    digits of the input in a row (half a key: so never the seed), and
 *    leaves the identity all zero;
 *  - an accepted identity is consistent: its key passes the filter, the
 *    address is the key's, the secret key is seed ‖ public key;
 *  - round trip: identity_file_format of it parses back to the identical
 *    identity and formats to the identical text; the same for the Husarnet
 *    line; and either format of an identity one parser accepted is accepted
 *    by the other parser.
 */
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "core/mesh/identity.h"

static bool all_zero(const struct identity *id)
{
	return sodium_is_zero((const unsigned char *)id, sizeof(*id)) == 1;
}

static void check_refusal(const struct identity *id, const struct identity_error *err,
			  const char *input, size_t input_len)
{
	size_t n = strnlen(err->msg, sizeof(err->msg));

	FUZZ_CHECK(n > 0 && n < sizeof(err->msg), "refusal without a message (%zu)", n);
	/* 32 hex digits of the input in a row would be half a key; escapes may
	 * form such runs ("\x00" + digits) without quoting the input. */
	for (size_t i = 0; i + 32 <= n; i++) {
		long at = fuzz_find_hex_run(err->msg + i, 32, 32);

		FUZZ_CHECK(at < 0 || fuzz_memmem(input, input_len, err->msg + i, 32) == NULL,
			   "32 hex digits of the input quoted: %s", err->msg);
	}
	FUZZ_CHECK(all_zero(id), "a refused identity was left behind");
}

static void check_accepted(const struct identity *id)
{
	char text[IDENTITY_FILE_TEXT], again[IDENTITY_FILE_TEXT];
	char line[IDENTITY_HUSARNET_TEXT], line2[IDENTITY_HUSARNET_TEXT];
	struct identity back;
	struct identity_error err;
	size_t n, m;

	FUZZ_CHECK(identity_address_check(id->pk, id->addr), "inconsistent address");
	FUZZ_CHECK(memcmp(id->sk + IDENTITY_SEED_LEN, id->pk, IDENTITY_PK_LEN) == 0,
		   "secret key's second half is not the public key");

	n = identity_file_format(id, text, sizeof(text));
	FUZZ_CHECK(n > 0, "identity_file_format failed");
	FUZZ_CHECK(identity_file_parse(&back, text, n, &err), "own file refused: line %u: %s",
		   err.line, err.msg);
	FUZZ_CHECK(memcmp(&back, id, sizeof(back)) == 0, "file round trip changed it");
	m = identity_file_format(&back, again, sizeof(again));
	FUZZ_CHECK(m == n && memcmp(text, again, n) == 0, "file text not stable");

	n = identity_husarnet_format(id, line, sizeof(line));
	FUZZ_CHECK(n > 0, "identity_husarnet_format failed");
	FUZZ_CHECK(identity_husarnet_parse(&back, line, n, &err),
		   "own Husarnet line refused: line %u: %s", err.line, err.msg);
	FUZZ_CHECK(memcmp(&back, id, sizeof(back)) == 0, "Husarnet round trip changed it");
	m = identity_husarnet_format(&back, line2, sizeof(line2));
	FUZZ_CHECK(m == n && memcmp(line, line2, n) == 0, "Husarnet text not stable");
	identity_wipe(&back);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return sodium_init() < 0 ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct identity id;
	struct identity_error err;

	if (size > IDENTITY_FILE_MAX) /* the CLI reads no more */
		return 0;
	if (identity_file_parse(&id, s, size, &err))
		check_accepted(&id);
	else
		check_refusal(&id, &err, s, size);
	if (identity_husarnet_parse(&id, s, size, &err))
		check_accepted(&id);
	else
		check_refusal(&id, &err, s, size);
	identity_wipe(&id);
	return 0;
}
