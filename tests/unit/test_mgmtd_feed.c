/*
 * src/mgmt/feed.c's payloads (feed.h): the affected set written by
 * feed_format_ids and read back by feed_parse_change (ascending ids as
 * differences), "*" when a set does not fit a NOTIFY, and a table of
 * payloads that are refused rather than half read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mgmt/feedmsg.h"

/* "v<epoch>.<serial> " + ids, as model_version_bump's pg_notify makes it. */
static void payload_of(const struct model_change *ch, char *out, size_t cap)
{
	char ids[FEED_IDS_MAX];

	feed_format_ids(ch, ids);
	snprintf(out, cap, "v%lld.%lld %s", (long long)ch->epoch, (long long)ch->serial,
		 ids);
}

/* ch's payload says "*": every server re-checks every poll. */
static void expect_all(const struct model_change *ch)
{
	struct model_change back;
	char p[FEED_PAYLOAD_MAX + 64];
	bool all;

	payload_of(ch, p, sizeof p);
	assert_string_equal(strchr(p, ' '), " *");
	assert_true(feed_parse_change(p, &back, &all));
	assert_true(all);
	model_change_free(&back);
}

static void round_trip(void **state)
{
	uint64_t ids[] = {1, 2, 3, 70, 71, 100000, UINT64_C(9007199254740993)};
	struct model_change ch = {.epoch = 3,
				  .serial = 1733520000123,
				  .affected = ids,
				  .n_affected = sizeof ids / sizeof ids[0]};
	struct model_change back;
	char p[FEED_PAYLOAD_MAX + 1];
	bool all;

	(void)state;
	payload_of(&ch, p, sizeof p);
	assert_string_equal(p, "v3.1733520000123 1,1,1,67,1,99929,9007199254640993");
	assert_true(strlen(p) <= FEED_PAYLOAD_MAX);
	assert_true(feed_parse_change(p, &back, &all));
	assert_false(all);
	assert_int_equal(back.epoch, 3);
	assert_int_equal(back.serial, 1733520000123);
	assert_int_equal(back.n_affected, ch.n_affected);
	assert_memory_equal(back.affected, ids, sizeof ids);
	model_change_free(&back);

	/* No devices: an empty tail. */
	ch.n_affected = 0;
	payload_of(&ch, p, sizeof p);
	assert_string_equal(p, "v3.1733520000123 ");
	assert_true(feed_parse_change(p, &back, &all));
	assert_false(all);
	assert_int_equal(back.n_affected, 0);
	model_change_free(&back);
}

/* A set past NOTIFY's limit says "*"; the largest version still fits with the ids. */
static void too_large(void **state)
{
	enum { N = 5000 };
	uint64_t *ids = malloc(N * sizeof *ids);
	struct model_change ch = {
	    .epoch = INT64_MAX, .serial = INT64_MAX, .affected = ids};
	struct model_change back;
	char p[FEED_PAYLOAD_MAX + 64];
	size_t fit;
	bool all;

	(void)state;
	assert_non_null(ids);
	for (size_t i = 0; i < N; i++)
		ids[i] = 10 * (i + 1); /* "10," each: 3 bytes */
	ch.n_affected = N;
	expect_all(&ch);
	/* As many as fit: the whole payload within FEED_PAYLOAD_MAX. */
	fit = FEED_IDS_MAX / 3; /* 3 * fit - 1 bytes and the NUL */
	ch.n_affected = fit;
	payload_of(&ch, p, sizeof p);
	assert_true(strchr(p, '*') == NULL);
	assert_true(strlen(p) <= FEED_PAYLOAD_MAX);
	assert_true(feed_parse_change(p, &back, &all));
	assert_int_equal(back.n_affected, fit);
	assert_int_equal(back.affected[fit - 1], ids[fit - 1]);
	model_change_free(&back);
	/* A change of every device (a license change) says "*" whatever it lists. */
	ch.n_affected = 0;
	ch.all = true;
	expect_all(&ch);
	free(ids);
}

static void refused(void **state)
{
	static const char *const bad[] = {
	    "",				   /* empty */
	    "a",			   /* the audit kind is not a change */
	    "v1.2",			   /* no space */
	    "v1 5",			   /* no serial */
	    "v1.2 5,",			   /* a trailing comma */
	    "v1.2 ,5",			   /* a leading comma */
	    "v1.2 5,0",			   /* a zero difference: ids repeat */
	    "v1.2 5,-1",		   /* a negative one */
	    "v1.2 5,x",			   /* not a number */
	    "v1.2 5 6",			   /* a second space */
	    "v1.2 **",			   /* not "*" */
	    "v1.2 18446744073709551615,1", /* past 2^64 */
	};
	struct model_change ch;
	bool all;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (feed_parse_change(bad[i], &ch, &all))
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_null(ch.affected);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trip),
	    cmocka_unit_test(too_large),
	    cmocka_unit_test(refused),
	};

	return cmocka_run_group_tests_name("mgmtd_feed", tests, NULL, NULL);
}
