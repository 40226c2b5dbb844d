/*
 * The permission matrix (src/mgmt/model_perm.c), exhaustively: every
 * actor (2 account roles, 2 roles x 3 token scopes, a device) x every
 * action x every relation, against a matrix written out here by hand,
 * one row per action and one character per (actor, relation) — not
 * derived from the code's table — plus the properties it must have:
 * a token never exceeds its account, read scope never writes, a stronger
 * relation never loses a right, a device does only its own device
 * actions.  Also the login rate limiter and the version rule (pure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "mgmt/model_perm.h"
#include "mgmt/model_ratelimit.h"
#include "mgmt/model_version.h"

/* The 9 actors, in the matrix's column order. */
static const struct perm_actor actors[] = {
    {PERM_ACCOUNT, PERM_ROLE_ADMIN, PERM_SCOPE_ADMIN},
    {PERM_ACCOUNT, PERM_ROLE_MEMBER, PERM_SCOPE_ADMIN},
    {PERM_TOKEN, PERM_ROLE_ADMIN, PERM_SCOPE_READ},
    {PERM_TOKEN, PERM_ROLE_ADMIN, PERM_SCOPE_WRITE},
    {PERM_TOKEN, PERM_ROLE_ADMIN, PERM_SCOPE_ADMIN},
    {PERM_TOKEN, PERM_ROLE_MEMBER, PERM_SCOPE_READ},
    {PERM_TOKEN, PERM_ROLE_MEMBER, PERM_SCOPE_WRITE},
    {PERM_TOKEN, PERM_ROLE_MEMBER, PERM_SCOPE_ADMIN},
    {PERM_DEVICE, PERM_ROLE_MEMBER, PERM_SCOPE_READ},
};
enum { N_ACTORS = sizeof actors / sizeof actors[0] };

/*
 * Per action: for each actor (the order above), 5 characters for the
 * relations none, viewer, manager, owner, self; 'Y' allow, '.' deny.
 * Columns: admin member | tok-admin:r w a | tok-member:r w a | device
 */
static const char *const matrix[PERM_ACTION_COUNT] = {
    /*                       admin member tAr   tAw   tAa   tMr   tMw   tMa   dev */
    [PERM_NETWORK_CREATE] = "YYYY. YYYY. ..... YYYY. YYYY. ..... YYYY. YYYY. .....",
    [PERM_NETWORK_READ] = "YYYY. .YYY. YYYY. YYYY. YYYY. .YYY. .YYY. .YYY. .....",
    [PERM_NETWORK_WRITE] = "YYYY. ..YY. ..... YYYY. YYYY. ..... ..YY. ..YY. .....",
    [PERM_NETWORK_DELETE] = "YYYY. ...Y. ..... YYYY. YYYY. ..... ...Y. ...Y. .....",
    [PERM_NETWORK_SHARE] = "YYYY. ...Y. ..... ..... YYYY. ..... ..... ...Y. .....",
    [PERM_DEVICE_READ] = "YYYY. .YYY. YYYY. YYYY. YYYY. .YYY. .YYY. .YYY. .....",
    [PERM_DEVICE_WRITE] = "YYYY. ..YY. ..... YYYY. YYYY. ..... ..YY. ..YY. .....",
    [PERM_DEVICE_DELETE] = "YYYY. ...Y. ..... YYYY. YYYY. ..... ...Y. ...Y. .....",
    [PERM_CLAIM] = "YYYY. ..YY. ..... YYYY. YYYY. ..... ..YY. ..YY. .....",
    [PERM_TOKEN_MANAGE] = "YYYY. ...Y. ..... ..... YYYY. ..... ..... ...Y. .....",
    [PERM_ACCOUNT_READ] = "YYYY. ...Y. YYYY. YYYY. YYYY. ...Y. ...Y. ...Y. .....",
    [PERM_ACCOUNT_MANAGE] = "YYYY. ..... ..... ..... YYYY. ..... ..... ..... .....",
    [PERM_AUDIT_READ] = "YYYY. ..... YYYY. YYYY. YYYY. ..... ..... ..... .....",
    [PERM_INSTANCE_MANAGE] = "YYYY. ..... ..... ..... YYYY. ..... ..... ..... .....",
    [PERM_DEVICE_SYNC] = "..... ..... ..... ..... ..... ..... ..... ..... ....Y",
    [PERM_DEVICE_LEAVE] = "..... ..... ..... ..... ..... ..... ..... ..... ....Y",
};

static void matrix_exhaustive(void **state)
{
	(void)state;
	for (int a = 0; a < PERM_ACTION_COUNT; a++) {
		const char *row = matrix[a];

		assert_non_null(row);
		assert_int_equal(strlen(row), N_ACTORS * 6 - 1);
		for (size_t k = 0; k < N_ACTORS; k++)
			for (int r = 0; r < PERM_REL_COUNT; r++) {
				bool want = row[k * 6 + (size_t)r] == 'Y';
				bool got = perm_allowed(&actors[k], (enum perm_action)a,
							(enum perm_rel)r);

				if (want != got)
					fail_msg("%s, actor %zu, relation %d: %s, want %s",
						 perm_action_name((enum perm_action)a), k, r,
						 got ? "allow" : "deny", want ? "allow" : "deny");
			}
	}
}

static void matrix_properties(void **state)
{
	(void)state;
	for (int a = 0; a < PERM_ACTION_COUNT; a++)
		for (size_t k = 0; k < N_ACTORS; k++)
			for (int r = 0; r < PERM_REL_COUNT; r++) {
				const struct perm_actor *x = &actors[k];
				bool got = perm_allowed(x, (enum perm_action)a, (enum perm_rel)r);
				struct perm_actor acct = {PERM_ACCOUNT, x->role, PERM_SCOPE_ADMIN};

				if (x->kind == PERM_TOKEN && got)
					assert_true(perm_allowed(&acct, (enum perm_action)a,
								 (enum perm_rel)r));
				if (x->kind == PERM_TOKEN && x->scope == PERM_SCOPE_READ && got)
					assert_int_equal(perm_action_class((enum perm_action)a),
							 PERM_CLASS_READ);
				if (got && r + 1 < PERM_REL_SELF)
					assert_true(perm_allowed(x, (enum perm_action)a,
								 (enum perm_rel)(r + 1)));
				if (x->kind == PERM_DEVICE && got)
					assert_int_equal(r, PERM_REL_SELF);
			}
	/* Out of range: deny. */
	assert_false(perm_allowed(&actors[0], PERM_ACTION_COUNT, PERM_REL_OWNER));
	assert_false(perm_allowed(&actors[0], PERM_NETWORK_READ, PERM_REL_COUNT));
}

static void ratelimit_buckets(void **state)
{
	static struct ratelimit rl;
	static struct login_limits ll;
	uint8_t key[RATELIMIT_KEY_LEN] = {1, 2, 3};
	int ok = 0;

	(void)state;
	ratelimit_init(&rl, 5, 60000, key);
	for (int i = 0; i < 10; i++)
		ok += ratelimit_take(&rl, "198.51.100.1", 1000);
	assert_int_equal(ok, 5);
	/* Another key has its own bucket. */
	assert_true(ratelimit_take(&rl, "198.51.100.2", 1000));
	/* Refills one per minute, in small steps too (no fraction lost). */
	for (int64_t t = 1000; t < 61000; t += 50)
		assert_false(ratelimit_take(&rl, "198.51.100.1", t));
	assert_true(ratelimit_take(&rl, "198.51.100.1", 61000));
	assert_false(ratelimit_take(&rl, "198.51.100.1", 61000));
	/* Two minutes later: two tokens. */
	assert_true(ratelimit_take(&rl, "198.51.100.1", 181000));
	assert_true(ratelimit_take(&rl, "198.51.100.1", 181000));
	assert_false(ratelimit_take(&rl, "198.51.100.1", 181000));
	/* A clock stepping back refills nothing. */
	assert_false(ratelimit_take(&rl, "198.51.100.1", 0));
	ratelimit_reset(&rl, "198.51.100.1");
	assert_true(ratelimit_take(&rl, "198.51.100.1", 0));
	/* Many keys: the table stays usable (an idle slot is reused). */
	for (int i = 0; i < 3 * RATELIMIT_SLOTS; i++) {
		char k[32];

		snprintf(k, sizeof k, "k%d", i);
		assert_true(ratelimit_take(&rl, k, 2000 + i));
	}
	/* Logins: one account guessed from many addresses is still limited. */
	ratelimit_init(&ll.per_ip, 10, 60000, key);
	ratelimit_init(&ll.per_account, 3, 60000, key);
	ok = 0;
	for (int i = 0; i < 10; i++) {
		char ip[32];

		snprintf(ip, sizeof ip, "203.0.113.%d", i);
		ok += login_limits_take(&ll, ip, "admin@example.org", 5000);
	}
	assert_int_equal(ok, 3);
}

static void version_rule(void **state)
{
	(void)state;
	assert_int_equal(model_version_next(0, 1000), 1000);
	assert_int_equal(model_version_next(1000, 1000), 1001);
	assert_int_equal(model_version_next(1000, 5), 1001); /* clock back */
	assert_int_equal(model_version_next(1000, 2000), 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(matrix_exhaustive),
	    cmocka_unit_test(matrix_properties),
	    cmocka_unit_test(ratelimit_buckets),
	    cmocka_unit_test(version_rule),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("mgmtd_model_perm", tests, NULL, NULL);
}
