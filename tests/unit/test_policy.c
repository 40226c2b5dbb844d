/*
 * Policy table: longest-prefix choices from the Roles/Deployment examples,
 * capacity, the replayable dump, save/load, and a randomized comparison with
 * a naive O(n) reference.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/ctlproto.h"
#include "core/policy.h"
#include "os/linux/policy_file.h"

static struct cidr cidr_of(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s, strlen(s)), ADDR_OK);
	return c;
}

static uint32_t ip_of(const char *s)
{
	uint32_t a;

	assert_int_equal(ipv4_parse(&a, s, strlen(s)), ADDR_OK);
	return a;
}

static struct policy_rule fwd(const char *src, const char *dst, uint32_t target)
{
	struct policy_rule r = {.src = cidr_of(src),
				.dst = cidr_of(dst),
				.action = POLICY_FORWARD,
				.target = target};
	return r;
}

static struct policy_rule drop(const char *src, const char *dst)
{
	struct policy_rule r = {
	    .src = cidr_of(src), .dst = cidr_of(dst), .action = POLICY_DROP};
	return r;
}

/* struct policy is large; keep it off the stack of each test. */
static struct policy *policy_new(void)
{
	struct policy *p = malloc(sizeof(*p));

	assert_non_null(p);
	policy_init(p);
	return p;
}

/* ---- longest-prefix choices ---------------------------------------------- */

enum { MAX_CASE_RULES = 6, MAX_CASE_LOOKUPS = 6, NONE = -1 };

struct rule_spec {
	const char *src, *dst;
	enum policy_action action;
	uint32_t target;
};

struct lookup_spec {
	const char *src, *dst;
	int want; /* index into rules[] in insertion order, or NONE */
};

struct lpm_case {
	const char *name;
	struct rule_spec rules[MAX_CASE_RULES];
	size_t n_rules;
	struct lookup_spec lookups[MAX_CASE_LOOKUPS];
	size_t n_lookups;
};

/* clang-format off */
#define F POLICY_FORWARD
#define D POLICY_DROP
static const struct lpm_case lpm_cases[] = {
	{ "spoke: local /32 beats the /24 to the hub",
	  { { "0.0.0.0/0", "10.0.0.2/32", F, 0 }, { "0.0.0.0/0", "10.0.0.0/24", F, 1 } }, 2,
	  { { "10.0.0.3", "10.0.0.2", 0 }, { "10.0.0.2", "10.0.0.3", 1 },
	    { "10.0.0.2", "10.0.0.255", 1 }, { "10.0.0.2", "10.0.1.1", NONE },
	    { "10.0.0.2", "192.168.2.1", NONE } }, 5 },
	{ "spoke, inserted the other way round: the /32 still wins",
	  { { "0.0.0.0/0", "10.0.0.0/24", F, 1 }, { "0.0.0.0/0", "10.0.0.2/32", F, 0 } }, 2,
	  { { "10.0.0.3", "10.0.0.2", 1 }, { "10.0.0.2", "10.0.0.3", 0 } }, 2 },
	{ "spoke site-to-site: local LAN routes delivered locally",
	  { { "0.0.0.0/0", "10.0.0.2/32", F, 0 }, { "0.0.0.0/0", "192.168.2.0/24", F, 0 },
	    { "0.0.0.0/0", "10.0.0.0/24", F, 1 } }, 3,
	  { { "10.0.0.3", "192.168.2.77", 1 }, { "10.0.0.3", "10.0.0.9", 2 },
	    { "10.0.0.3", "192.168.3.1", NONE } }, 3 },
	{ "two /25 override a /24",
	  { { "0.0.0.0/0", "10.0.0.0/24", F, 1 }, { "0.0.0.0/0", "10.0.0.0/25", F, 2 },
	    { "0.0.0.0/0", "10.0.0.128/25", F, 3 } }, 3,
	  { { "1.1.1.1", "10.0.0.5", 1 }, { "1.1.1.1", "10.0.0.127", 1 },
	    { "1.1.1.1", "10.0.0.128", 2 }, { "1.1.1.1", "10.0.0.255", 2 },
	    { "1.1.1.1", "10.0.1.0", NONE } }, 5 },
	{ "hub: one /32 per spoke, no reflection by table",
	  { { "0.0.0.0/0", "10.0.0.2/32", F, 2 }, { "0.0.0.0/0", "10.0.0.3/32", F, 3 } }, 2,
	  { { "10.0.0.2", "10.0.0.3", 1 }, { "10.0.0.3", "10.0.0.2", 0 },
	    { "10.0.0.2", "10.0.0.1", NONE } }, 3 },
	{ "equal prefix: the earlier rule wins",
	  { { "0.0.0.0/0", "10.0.0.0/24", F, 1 }, { "0.0.0.0/0", "10.0.0.0/24", F, 2 },
	    { "0.0.0.0/0", "10.0.0.7/24", F, 3 } }, 3,
	  { { "1.1.1.1", "10.0.0.9", 0 } }, 1 },
	{ "src filter: a rule only matches its sources",
	  { { "192.168.1.0/24", "192.168.2.0/24", F, 3 },
	    { "0.0.0.0/0", "192.168.2.0/24", D, 0 } }, 2,
	  { { "192.168.1.9", "192.168.2.1", 0 }, { "172.16.0.1", "192.168.2.1", 1 },
	    { "192.168.1.9", "192.168.3.1", NONE } }, 3 },
	{ "src filter on the longer prefix falls back to the shorter",
	  { { "0.0.0.0/0", "10.0.0.0/8", F, 1 }, { "10.1.0.0/16", "10.2.0.0/16", F, 2 } }, 2,
	  { { "10.1.2.3", "10.2.0.1", 1 }, { "10.9.2.3", "10.2.0.1", 0 } }, 2 },
	{ "/0 catches everything, specifics win (manual example)",
	  { { "0.0.0.0/0", "0.0.0.0/0", F, 1 }, { "0.0.0.0/0", "10.0.0.9/32", F, 0 },
	    { "0.0.0.0/0", "10.0.0.32/27", F, 5 }, { "0.0.0.0/0", "10.0.0.0/24", F, 1 } }, 4,
	  { { "10.0.0.9", "8.8.8.8", 0 }, { "10.0.0.1", "10.0.0.9", 1 },
	    { "10.0.0.1", "10.0.0.40", 2 }, { "10.0.0.1", "10.0.0.64", 3 },
	    { "10.0.0.1", "255.255.255.255", 0 }, { "10.0.0.1", "0.0.0.0", 0 } }, 6 },
	{ "a more specific drop rule",
	  { { "0.0.0.0/0", "10.0.0.0/24", F, 1 }, { "0.0.0.0/0", "10.0.0.66/32", D, 0 } }, 2,
	  { { "10.0.0.1", "10.0.0.66", 1 }, { "10.0.0.1", "10.0.0.67", 0 } }, 2 },
	{ "host bits in dst are ignored for matching",
	  { { "0.0.0.0/0", "10.0.0.77/24", F, 4 } }, 1,
	  { { "1.2.3.4", "10.0.0.1", 0 }, { "1.2.3.4", "10.0.1.77", NONE } }, 2 },
	{ "empty table", { { 0 } }, 0, { { "1.2.3.4", "10.0.0.1", NONE } }, 1 },
};
#undef F
#undef D
/* clang-format on */

static void test_lpm_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(lpm_cases) / sizeof(lpm_cases[0]); c++) {
		const struct lpm_case *tc = &lpm_cases[c];
		struct policy *p = policy_new();
		const struct policy_table *t;

		for (size_t i = 0; i < tc->n_rules; i++) {
			const struct rule_spec *rs = &tc->rules[i];
			struct policy_rule r = {.src = cidr_of(rs->src),
						.dst = cidr_of(rs->dst),
						.action = rs->action,
						.target = rs->target};

			assert_int_equal(policy_add(p, &r), 0);
		}
		t = policy_active(p);
		assert_int_equal(t->n, tc->n_rules);
		for (size_t i = 0; i < tc->n_lookups; i++) {
			const struct lookup_spec *ls = &tc->lookups[i];
			const struct policy_rule *got =
			    policy_lookup(t, ip_of(ls->src), ip_of(ls->dst));

			if (ls->want == NONE) {
				if (got != NULL)
					fail_msg("%s: %s -> %s: expected no route",
						 tc->name, ls->src, ls->dst);
			} else if (got != &t->rules[ls->want]) {
				fail_msg("%s: %s -> %s: expected rule %d, got %td",
					 tc->name, ls->src, ls->dst, ls->want,
					 got ? got - t->rules : (ptrdiff_t)-1);
			}
		}
		free(p);
	}
}

/*
 * The index: distinct dst lengths longest first; rules with the same dst
 * are tried in insertion order (the earlier one wins when both match).
 */
static void test_index_lengths_and_chains(void **state)
{
	static const char *const dsts[] = {"10.0.0.0/24", "10.0.0.1/32", "0.0.0.0/0",
					   "10.0.0.0/16", "10.0.0.2/32", "10.1.0.0/24"};
	static const uint8_t want[] = {32, 24, 16, 0};
	struct policy *p = policy_new();
	const struct policy_table *t;
	struct policy_rule a = fwd("192.168.0.0/16", "10.9.0.0/24", 7);
	struct policy_rule b = fwd("192.168.1.0/24", "10.9.0.0/24", 8);
	struct policy_rule c = fwd("0.0.0.0/0", "10.9.0.0/24", 9);

	(void)state;
	for (size_t i = 0; i < 6; i++) {
		struct policy_rule r = fwd("0.0.0.0/0", dsts[i], (uint32_t)i + 1);

		assert_int_equal(policy_add(p, &r), 0);
	}
	t = policy_active(p);
	assert_int_equal(t->n_lens, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(t->lens[i], want[i]);

	assert_int_equal(policy_add(p, &a), 0);
	assert_int_equal(policy_add(p, &b), 0);
	assert_int_equal(policy_add(p, &c), 0);
	t = policy_active(p);
	/* 192.168.1.5 matches a, b and c: a was added first. */
	assert_int_equal(policy_lookup(t, 0xc0a80105, 0x0a090001)->target, 7);
	/* 172.16.0.1 matches only c. */
	assert_int_equal(policy_lookup(t, 0xac100001, 0x0a090001)->target, 9);
	free(p);
}

/* The table a reader already holds is not touched by the next add. */
static void test_add_publishes_new_table(void **state)
{
	struct policy *p = policy_new();
	struct policy_rule a = fwd("0.0.0.0/0", "10.0.0.0/24", 1);
	struct policy_rule b = fwd("0.0.0.0/0", "10.0.0.2/32", 2);
	const struct policy_table *before, *after;

	(void)state;
	assert_int_equal(policy_add(p, &a), 0);
	before = policy_active(p);
	assert_int_equal(policy_add(p, &b), 0);
	after = policy_active(p);
	assert_ptr_not_equal(before, after);
	assert_int_equal(before->n, 1);
	assert_int_equal(after->n, 2);
	assert_ptr_equal(policy_lookup(before, 1, ip_of("10.0.0.2")), &before->rules[0]);
	assert_ptr_equal(policy_lookup(after, 1, ip_of("10.0.0.2")), &after->rules[1]);
	assert_true(policy_contains(after, &a));
	assert_true(policy_contains(after, &b));
	assert_false(policy_contains(before, &b));
	free(p);
}

static void test_add_rejects_invalid_rule(void **state)
{
	struct policy *p = policy_new();
	struct policy_rule r = fwd("0.0.0.0/0", "10.0.0.0/24", 1);

	(void)state;
	r.dst.prefix = 33;
	assert_int_equal(policy_add(p, &r), -EINVAL);
	r.dst.prefix = 24;
	r.src.prefix = 40;
	assert_int_equal(policy_add(p, &r), -EINVAL);
	assert_int_equal(policy_active(p)->n, 0);
	free(p);
}

/* A drop rule carries no target, so its dump line round-trips exactly. */
static void test_drop_target_is_cleared(void **state)
{
	struct policy *p = policy_new();
	struct policy_rule r = drop("0.0.0.0/0", "10.0.0.0/24");

	(void)state;
	r.target = 9;
	assert_int_equal(policy_add(p, &r), 0);
	assert_int_equal(policy_active(p)->rules[0].target, 0);
	free(p);
}

static void test_capacity(void **state)
{
	struct policy *p = policy_new();
	struct policy_rule r = fwd("0.0.0.0/0", "10.0.0.0/32", 1);

	(void)state;
	for (uint32_t i = 0; i < MAX_POLICY_ENTRIES; i++) {
		r.dst.addr = ip_of("10.0.0.0") + i;
		assert_int_equal(policy_add(p, &r), 0);
	}
	r.dst.addr = ip_of("11.0.0.0");
	assert_int_equal(policy_add(p, &r), -ENOSPC);
	assert_int_equal(policy_active(p)->n, MAX_POLICY_ENTRIES);
	assert_null(policy_lookup(policy_active(p), 1, ip_of("11.0.0.0")));
	free(p);
}

/* ---- origin: del, replace, flush --added, rederive -------------------------- */

/* The table as "o:dst:action/target" items, origin d(erived) or a(dded). */
static void table_text(const struct policy_table *t, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n && len < cap; i++) {
		char dst[CIDR_STR_MAX];

		cidr_format(&t->rules[i].dst, dst);
		len += (size_t)snprintf(buf + len, cap - len, "%s%c:%s:%s%u", i ? " " : "",
					t->origin[i] == POLICY_ORIGIN_DERIVED ? 'd' : 'a', dst,
					t->rules[i].action == POLICY_FORWARD ? "f" : "x",
					(unsigned)t->rules[i].target);
	}
}

static void assert_table(const struct policy *p, const char *want)
{
	char got[2048];

	table_text(policy_active(p), got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("table \"%s\", want \"%s\"", got, want);
}

/* A hub's derived rules (10.0.0.2 -> 2, 10.0.0.3 -> 3), then two added ones. */
static struct policy *hub_with_adds(void)
{
	struct policy *p = policy_new();
	const struct policy_rule derived[] = {fwd("0.0.0.0/0", "10.0.0.2/32", 2),
					      fwd("0.0.0.0/0", "10.0.0.3/32", 3)};
	struct policy_rule a = drop("0.0.0.0/0", "10.0.0.101/32");
	struct policy_rule b = fwd("0.0.0.0/0", "10.9.0.0/16", 3);

	assert_int_equal(policy_rederive(p, derived, 2), 0);
	assert_int_equal(policy_add(p, &a), 0);
	assert_int_equal(policy_add(p, &b), 0);
	assert_table(p, "d:10.0.0.2/32:f2 d:10.0.0.3/32:f3 a:10.0.0.101/32:x0 a:10.9.0.0/16:f3");
	return p;
}

static void test_del(void **state)
{
	struct policy *p = hub_with_adds();
	struct cidr any = cidr_of("0.0.0.0/0"), d101 = cidr_of("10.0.0.101/32");
	struct cidr d2 = cidr_of("10.0.0.2/32"), d9 = cidr_of("10.9.0.0/16");
	struct cidr d9host = cidr_of("10.9.1.0/16"), src8 = cidr_of("10.0.0.0/8");
	const struct policy_table *before;

	(void)state;
	/* exact src and dst only: host bits and another src do not match */
	before = policy_active(p);
	assert_int_equal(policy_del(p, &any, &d9host), 0);
	assert_int_equal(policy_del(p, &src8, &d9), 0);
	/* a derived rule is the config's: not deleted, nothing published */
	assert_int_equal(policy_del(p, &any, &d2), 0);
	assert_ptr_equal(policy_active(p), before);

	assert_int_equal(policy_del(p, &any, &d101), 1);
	assert_table(p, "d:10.0.0.2/32:f2 d:10.0.0.3/32:f3 a:10.9.0.0/16:f3");
	assert_null(policy_lookup(policy_active(p), 1, ip_of("10.0.0.101")));
	/* and the reader of the old table still sees it */
	assert_int_equal(before->n, 4);
	assert_int_equal(policy_del(p, &any, &d101), 0);
	free(p);
}

/* Every added rule with that src/dst goes (shadowed duplicates included). */
static void test_del_duplicates(void **state)
{
	struct policy *p = policy_new();
	struct policy_rule a = fwd("0.0.0.0/0", "10.5.0.0/16", 2);
	struct policy_rule b = drop("0.0.0.0/0", "10.5.0.0/16");
	struct policy_rule c = fwd("10.0.0.0/8", "10.5.0.0/16", 3);

	(void)state;
	assert_int_equal(policy_add(p, &a), 0);
	assert_int_equal(policy_add(p, &c), 0);
	assert_int_equal(policy_add(p, &b), 0);
	assert_int_equal(policy_del(p, &a.src, &a.dst), 2);
	assert_table(p, "a:10.5.0.0/16:f3");
	free(p);
}

static void test_replace(void **state)
{
	struct policy *p = hub_with_adds();
	struct policy_rule r = fwd("0.0.0.0/0", "10.0.0.101/32", 2);
	struct policy_rule derived = drop("0.0.0.0/0", "10.0.0.3/32");
	struct policy_rule none = drop("0.0.0.0/0", "10.0.0.102/32");
	struct policy_rule shadow = drop("0.0.0.0/0", "10.9.0.0/16");
	const struct policy_table *before = policy_active(p);

	(void)state;
	assert_int_equal(policy_replace(p, &none), 0);
	assert_int_equal(policy_replace(p, &derived), 0);
	assert_ptr_equal(policy_active(p), before);

	/* in place: the drop becomes a forward, the order stays */
	assert_int_equal(policy_replace(p, &r), 1);
	assert_table(p, "d:10.0.0.2/32:f2 d:10.0.0.3/32:f3 a:10.0.0.101/32:f2 a:10.9.0.0/16:f3");
	assert_int_equal(policy_lookup(policy_active(p), 1, ip_of("10.0.0.101"))->target, 2);

	/* a later rule with the same src/dst never matched: it goes */
	assert_int_equal(policy_add(p, &shadow), 0);
	r = fwd("0.0.0.0/0", "10.9.0.0/16", 2);
	assert_int_equal(policy_replace(p, &r), 1);
	assert_table(p, "d:10.0.0.2/32:f2 d:10.0.0.3/32:f3 a:10.0.0.101/32:f2 a:10.9.0.0/16:f2");

	/* to drop: the target is cleared, as for add */
	r = drop("0.0.0.0/0", "10.9.0.0/16");
	r.target = 7;
	assert_int_equal(policy_replace(p, &r), 1);
	assert_table(p, "d:10.0.0.2/32:f2 d:10.0.0.3/32:f3 a:10.0.0.101/32:f2 a:10.9.0.0/16:x0");
	r.dst.prefix = 33;
	assert_int_equal(policy_replace(p, &r), -EINVAL);
	free(p);
}

static void test_flush_added(void **state)
{
	struct policy *p = hub_with_adds();
	const struct policy_table *t;

	(void)state;
	assert_int_equal(policy_flush_added(p), 2);
	assert_table(p, "d:10.0.0.2/32:f2 d:10.0.0.3/32:f3");
	t = policy_active(p);
	assert_int_equal(policy_flush_added(p), 0);
	assert_ptr_equal(policy_active(p), t);
	assert_int_equal(policy_lookup(t, 1, ip_of("10.0.0.3"))->target, 3);
	assert_null(policy_lookup(t, 1, ip_of("10.9.0.1")));
	/* a manual node's table is all added: flush empties it */
	free(p);
	p = policy_new();
	{
		struct policy_rule r = drop("0.0.0.0/0", "10.0.0.0/24");

		assert_int_equal(policy_add(p, &r), 0);
	}
	assert_int_equal(policy_flush_added(p), 1);
	assert_int_equal(policy_active(p)->n, 0);
	free(p);
}

/*
 * rederive: the new derived rules in order, then the added ones in theirs,
 * minus those identical to a new derived rule; the old derived ones go.
 */
static void test_rederive(void **state)
{
	struct policy *p = hub_with_adds();
	/* peer 3 left, peer 4 joined; an added rule became a derived one */
	const struct policy_rule next[] = {fwd("0.0.0.0/0", "10.0.0.2/32", 2),
					   fwd("0.0.0.0/0", "10.0.0.4/32", 4),
					   fwd("0.0.0.0/0", "10.9.0.0/16", 3)};
	const struct policy_table *before;

	(void)state;
	assert_int_equal(policy_rederive(p, next, 3), 0);
	assert_table(p, "d:10.0.0.2/32:f2 d:10.0.0.4/32:f4 d:10.9.0.0/16:f3 a:10.0.0.101/32:x0");
	assert_null(policy_lookup(policy_active(p), 1, ip_of("10.0.0.3")));
	assert_int_equal(policy_lookup(policy_active(p), 1, ip_of("10.0.0.4"))->target, 4);
	/* the rule that became derived is no longer flushed */
	assert_int_equal(policy_flush_added(p), 1);
	assert_table(p, "d:10.0.0.2/32:f2 d:10.0.0.4/32:f4 d:10.9.0.0/16:f3");
	/* an empty derivation (role manual) leaves only the added rules */
	{
		struct policy_rule a = drop("0.0.0.0/0", "10.0.0.66/32");

		assert_int_equal(policy_add(p, &a), 0);
	}
	assert_int_equal(policy_rederive(p, NULL, 0), 0);
	assert_table(p, "a:10.0.0.66/32:x0");

	/* a derived drop given with a stray target still replaces the identical added drop */
	{
		struct policy_rule d = drop("0.0.0.0/0", "10.0.0.66/32");

		d.target = 9;
		assert_int_equal(policy_rederive(p, &d, 1), 0);
		assert_table(p, "d:10.0.0.66/32:x0");
		assert_int_equal(policy_rederive(p, NULL, 0), 0);
		assert_int_equal(policy_active(p)->n, 0);
		d.target = 0;
		assert_int_equal(policy_add(p, &d), 0);
	}

	/* refusals change nothing */
	before = policy_active(p);
	{
		struct policy_rule bad = fwd("0.0.0.0/0", "10.0.0.0/24", 1);

		bad.dst.prefix = 33;
		assert_int_equal(policy_rederive(p, &bad, 1), -EINVAL);
	}
	assert_ptr_equal(policy_active(p), before);
	free(p);
}

/* -ENOSPC when derived + kept added rules exceed the table; nothing changes. */
static void test_rederive_capacity(void **state)
{
	struct policy *p = policy_new();
	struct policy_rule *many = calloc(MAX_POLICY_ENTRIES + 1, sizeof(*many));
	const struct policy_table *before;
	struct policy_rule a = drop("0.0.0.0/0", "11.0.0.0/8");

	(void)state;
	assert_non_null(many);
	for (size_t i = 0; i <= MAX_POLICY_ENTRIES; i++) {
		many[i] = fwd("0.0.0.0/0", "10.0.0.0/32", 1);
		many[i].dst.addr += (uint32_t)i;
	}
	assert_int_equal(policy_rederive(p, many, MAX_POLICY_ENTRIES + 1), -ENOSPC);
	assert_int_equal(policy_rederive(p, many, MAX_POLICY_ENTRIES), 0);
	assert_int_equal(policy_active(p)->n, MAX_POLICY_ENTRIES);
	assert_int_equal(policy_add(p, &a), -ENOSPC);

	/* one derived and one added rule fewer: full again, then one too many */
	assert_int_equal(policy_rederive(p, many, MAX_POLICY_ENTRIES - 1), 0);
	assert_int_equal(policy_add(p, &a), 0);
	before = policy_active(p);
	assert_int_equal(policy_rederive(p, many, MAX_POLICY_ENTRIES), -ENOSPC);
	assert_ptr_equal(policy_active(p), before);
	/* ... unless the added rule is one of the derived ones */
	many[MAX_POLICY_ENTRIES - 1] = a;
	assert_int_equal(policy_rederive(p, many, MAX_POLICY_ENTRIES), 0);
	assert_int_equal(policy_active(p)->n, MAX_POLICY_ENTRIES);
	assert_int_equal(policy_flush_added(p), 0);
	free(many);
	free(p);
}

/* policy_find: the first rule with exactly this src/dst, and its origin. */
static void test_find(void **state)
{
	struct policy *p = hub_with_adds();
	struct cidr any = cidr_of("0.0.0.0/0"), d3 = cidr_of("10.0.0.3/32");
	struct cidr d9 = cidr_of("10.9.0.0/16"), d7 = cidr_of("10.0.0.7/32");
	enum policy_origin o = POLICY_ORIGIN_ADDED;

	(void)state;
	assert_int_equal(policy_find(policy_active(p), &any, &d3, &o)->target, 3);
	assert_int_equal(o, POLICY_ORIGIN_DERIVED);
	assert_non_null(policy_find(policy_active(p), &any, &d9, &o));
	assert_int_equal(o, POLICY_ORIGIN_ADDED);
	assert_null(policy_find(policy_active(p), &any, &d7, NULL));
	free(p);
}

/* ---- dump ---------------------------------------------------------------- */

static void test_rule_format(void **state)
{
	struct policy_rule r = fwd("192.168.1.0/24", "192.168.2.0/24", 3);
	char buf[MAX_RULE_LINE];
	const char *want = "policy add --src 192.168.1.0/24 --dst 192.168.2.0/24 "
			   "--action forward --target 3\n";

	(void)state;
	assert_int_equal(policy_rule_format(&r, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);

	r = drop("0.0.0.0/0", "10.0.0.66/24"); /* host bits kept as given */
	want = "policy add --src 0.0.0.0/0 --dst 10.0.0.66/24 --action drop\n";
	assert_int_equal(policy_rule_format(&r, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);

	/* too small: 0, and no partial line */
	assert_int_equal(policy_rule_format(&r, buf, strlen(want)), 0);
	assert_string_equal(buf, "");

	/* the longest possible line fits MAX_RULE_LINE (with its NUL) */
	r = fwd("255.255.255.255/32", "255.255.255.255/32", UINT32_MAX);
	assert_true(policy_rule_format(&r, buf, sizeof(buf)) > 0);
	assert_true(strlen(buf) < MAX_RULE_LINE);
}

static void test_dump_empty(void **state)
{
	struct policy *p = policy_new();
	char buf[64];

	(void)state;
	assert_int_equal(policy_dump(policy_active(p), buf, sizeof(buf)), 18);
	assert_string_equal(buf, "# no policy rules\n");
	assert_int_equal(policy_dump(policy_active(p), buf, 18), 0);
	free(p);
}

static void test_dump_insertion_order(void **state)
{
	struct policy *p = policy_new();
	struct policy_rule a = fwd("0.0.0.0/0", "10.0.0.0/24", 1);
	struct policy_rule b = fwd("0.0.0.0/0", "10.0.0.2/32", 0);
	struct policy_rule c = drop("10.0.0.0/8", "0.0.0.0/0");
	const char *want =
	    "policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 1\n"
	    "policy add --src 0.0.0.0/0 --dst 10.0.0.2/32 --action forward --target 0\n"
	    "policy add --src 10.0.0.0/8 --dst 0.0.0.0/0 --action drop\n";
	char buf[512];

	(void)state;
	assert_int_equal(policy_add(p, &a), 0);
	assert_int_equal(policy_add(p, &b), 0);
	assert_int_equal(policy_add(p, &c), 0);
	assert_int_equal(policy_dump(policy_active(p), buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(policy_dump(policy_active(p), buf, strlen(want)), 0);
	free(p);
}

static void assert_tables_equal(const struct policy_table *a,
				const struct policy_table *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->rules[i].src.addr, b->rules[i].src.addr);
		assert_int_equal(a->rules[i].src.prefix, b->rules[i].src.prefix);
		assert_int_equal(a->rules[i].dst.addr, b->rules[i].dst.addr);
		assert_int_equal(a->rules[i].dst.prefix, b->rules[i].dst.prefix);
		assert_int_equal(a->rules[i].action, b->rules[i].action);
		assert_int_equal(a->rules[i].target, b->rules[i].target);
	}
}

/* Deterministic xorshift64*, so every run sees the same "random" tables. */
static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

/*
 * Addresses drawn from a small space (10.0.{0..3}.x) so prefixes overlap a
 * lot; prefixes biased towards the interesting 16..32 range.
 */
static uint32_t rand_addr(void)
{
	switch (rng() % 8) {
	case 0:
		return rng();
	default:
		return 0x0a000000u | (rng() & 0x3ff);
	}
}

static struct cidr rand_cidr(void)
{
	struct cidr c = {.addr = rand_addr()};
	uint32_t k = rng() % 10;

	c.prefix = (uint8_t)(k == 0 ? rng() % 33 : k == 1 ? 0 : 16 + rng() % 17);
	return c;
}

static struct policy_rule rand_rule(void)
{
	struct policy_rule r;

	r.src = rng() % 3 == 0 ? rand_cidr() : (struct cidr){0, 0};
	r.dst = rand_cidr();
	r.action = rng() % 5 == 0 ? POLICY_DROP : POLICY_FORWARD;
	r.target = r.action == POLICY_FORWARD ? (rng() % 4 == 0 ? rng() : rng() % 40) : 0;
	return r;
}

static void fill_random(struct policy *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct policy_rule r = rand_rule();

		assert_int_equal(policy_add(p, &r), 0);
	}
}

/* dump -> parse every line with the control grammar -> the identical table. */
static void test_dump_round_trip(void **state)
{
	struct policy *p = policy_new(), *q = policy_new();
	char *buf = malloc(MAX_POLICY_DUMP + 1);
	size_t len, pos = 0;

	(void)state;
	assert_non_null(buf);
	rng_state = 0x5eed0001;
	fill_random(p, MAX_POLICY_ENTRIES);
	len = policy_dump(policy_active(p), buf, MAX_POLICY_DUMP + 1);
	assert_true(len > 0);
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		struct ctl_cmd cmd;

		assert_non_null(nl);
		assert_int_equal(
		    ctl_parse_line(buf + pos, (size_t)(nl - (buf + pos)), &cmd, NULL),
		    CTL_OK);
		assert_int_equal(cmd.kind, CTL_POLICY_ADD);
		assert_int_equal(policy_add(q, &cmd.rule), 0);
		pos = (size_t)(nl - buf) + 1;
	}
	assert_tables_equal(policy_active(p), policy_active(q));
	free(buf);
	free(p);
	free(q);
}

/* A full table of the longest lines fits MAX_POLICY_DUMP + 1 exactly as promised. */
static void test_dump_full_worst_case(void **state)
{
	struct policy *p = policy_new();
	struct policy_rule r =
	    fwd("255.255.255.255/32", "255.255.255.255/32", UINT32_MAX);
	char *buf = malloc(MAX_POLICY_DUMP + 1);

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < MAX_POLICY_ENTRIES; i++)
		assert_int_equal(policy_add(p, &r), 0);
	assert_true(policy_dump(policy_active(p), buf, MAX_POLICY_DUMP + 1) > 0);
	free(buf);
	free(p);
}

/* ---- save / load --------------------------------------------------------- */

/*
 * Snapshots live in a directory opened once (as the daemon holds its socket
 * directory); STAMP plays this config's digest, OTHER another config's.
 */
struct tmpdir {
	char dir[64];
	char path[128];
	char tmp[140];
	int fd;
};

static const uint8_t STAMP[POLICY_STAMP_LEN] = {0x5a, 0x17, 0x01};
static const uint8_t OTHER[POLICY_STAMP_LEN] = {0x5a, 0x17, 0x02};

static int tmpdir_setup(void **state)
{
	struct tmpdir *td = calloc(1, sizeof(*td));

	if (td == NULL)
		return -1;
	snprintf(td->dir, sizeof(td->dir), "/tmp/subnetra-policy.XXXXXX");
	if (mkdtemp(td->dir) == NULL)
		return -1;
	snprintf(td->path, sizeof(td->path), "%s/subnetra.policy", td->dir);
	snprintf(td->tmp, sizeof(td->tmp), "%s.tmp", td->path);
	td->fd = open(td->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (td->fd < 0)
		return -1;
	*state = td;
	return 0;
}

static int tmpdir_teardown(void **state)
{
	struct tmpdir *td = *state;
	char victim[160];

	unlink(td->path);
	unlink(td->tmp);
	snprintf(victim, sizeof(victim), "%s/victim", td->dir);
	unlink(victim);
	close(td->fd);
	rmdir(td->dir);
	free(td);
	return 0;
}

static int save(const struct policy *p, const struct tmpdir *td, char *err, size_t cap)
{
	return policy_save(policy_active(p), td->fd, td->path, STAMP, err, cap);
}

static int load(struct policy *p, const struct tmpdir *td, char *err, size_t cap)
{
	return policy_load(p, td->fd, td->path, STAMP, geteuid(), err, cap);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0600), 0);
}

/* The stamp line of stamp, as policy_save writes it (with '\n'). */
static void stamp_text(const uint8_t stamp[POLICY_STAMP_LEN], char *out, size_t cap)
{
	char hex[2 * POLICY_STAMP_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), stamp, POLICY_STAMP_LEN);
	snprintf(out, cap, "# subnetra-policy config=%s\n", hex);
}

/* text behind this config's stamp line: what a hand edit of a saved file looks like. */
static void write_snapshot(const char *path, const char *text)
{
	size_t cap = strlen(text) + 128;
	char *all = malloc(cap);

	assert_non_null(all);
	stamp_text(STAMP, all, cap);
	strcat(all, text);
	write_text(path, all);
	free(all);
}

static void test_save_load_round_trip(void **state)
{
	struct tmpdir *td = *state;
	struct policy *p = policy_new(), *q = policy_new();
	char err[512] = "", line[128], want[128];
	struct stat st;
	FILE *f;

	rng_state = 0x5eed0002;
	fill_random(p, 100);
	assert_int_equal(save(p, td, err, sizeof(err)), 0);

	assert_int_equal(stat(td->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(access(td->tmp, F_OK), -1);
	/* the first line is the stamp */
	f = fopen(td->path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	stamp_text(STAMP, want, sizeof(want));
	assert_string_equal(line, want);

	assert_int_equal(load(q, td, err, sizeof(err)), 100);
	assert_tables_equal(policy_active(p), policy_active(q));
	/* loading again adds nothing: every rule is already present */
	assert_int_equal(load(q, td, err, sizeof(err)), 0);
	assert_int_equal(policy_active(q)->n, 100);

	/* save over an existing snapshot and a stale, wider-mode tmp file */
	write_text(td->tmp, "stale");
	assert_int_equal(chmod(td->tmp, 0644), 0);
	assert_int_equal(save(q, td, err, sizeof(err)), 0);
	assert_int_equal(stat(td->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(access(td->tmp, F_OK), -1);
	free(p);
	free(q);
}

static void test_save_empty_and_load(void **state)
{
	struct tmpdir *td = *state;
	struct policy *p = policy_new();
	char err[512] = "";

	assert_int_equal(save(p, td, err, sizeof(err)), 0);
	assert_int_equal(load(p, td, err, sizeof(err)), 0);
	assert_int_equal(policy_active(p)->n, 0);
	free(p);
}

static void test_save_failure_leaves_no_tmp(void **state)
{
	struct tmpdir *td = *state;
	struct policy *p = policy_new();
	char path[160], err[512] = "";

	/* the target is a directory: rename fails, the tmp must be gone */
	snprintf(path, sizeof(path), "%s/adir", td->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(policy_save(policy_active(p), td->fd, path, STAMP, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot rename"));
	snprintf(path, sizeof(path), "%s/adir.tmp", td->dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/adir", td->dir);
	rmdir(path);
	free(p);
}

/* The victim still holds want, with mode 0644. */
static void assert_victim_intact(const char *victim, const char *want)
{
	char buf[64] = "";
	struct stat st;
	FILE *f = fopen(victim, "r");

	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, want);
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
}

/*
 * Something planted at the tmp name (a link to a victim file, a FIFO) is
 * refused, named and left alone: no write through the link, no wait on the
 * FIFO (opening one for writing used to block until a reader came).
 */
static void test_save_refuses_planted_tmp(void **state)
{
	struct tmpdir *td = *state;
	struct policy *p = policy_new();
	char victim[160], err[512] = "";
	struct stat st;

	snprintf(victim, sizeof(victim), "%s/victim", td->dir);
	write_text(victim, "victim\n");
	assert_int_equal(chmod(victim, 0644), 0);

	assert_int_equal(symlink(victim, td->tmp), 0);
	assert_int_equal(save(p, td, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, ".tmp is a symbolic link, not a file subnetrad left"));
	assert_victim_intact(victim, "victim\n");
	assert_int_equal(lstat(td->tmp, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(access(td->path, F_OK), -1);
	unlink(td->tmp);

	assert_int_equal(mkfifo(td->tmp, 0600), 0);
	assert_int_equal(save(p, td, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, ".tmp is a FIFO"));
	unlink(td->tmp);

	/* and a link at the snapshot name itself is replaced, not written through */
	assert_int_equal(symlink(victim, td->path), 0);
	assert_int_equal(save(p, td, err, sizeof(err)), 0);
	assert_victim_intact(victim, "victim\n");
	assert_int_equal(lstat(td->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	free(p);
}

/*
 * What start-up must not trust, each refused with -EPERM and a reason
 * naming the file, the table untouched: a link (to a good snapshot, even),
 * a FIFO (never waited on), a file others may write, a second hard link,
 * a file of another user.
 */
static void test_load_untrusted(void **state)
{
	struct tmpdir *td = *state;
	struct policy *p = policy_new();
	char good[160], err[512] = "";

	snprintf(good, sizeof(good), "%s/victim", td->dir);
	write_snapshot(good, "policy add --src 0.0.0.0/0 --dst 10.1.0.0/16 --action drop\n");

	assert_int_equal(symlink(good, td->path), 0);
	assert_int_equal(load(p, td, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "subnetra.policy is a symbolic link"));
	unlink(td->path);

	assert_int_equal(mkfifo(td->path, 0600), 0);
	assert_int_equal(load(p, td, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "subnetra.policy is a FIFO, not a regular file"));
	unlink(td->path);

	assert_int_equal(link(good, td->path), 0);
	assert_int_equal(load(p, td, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "has 2 hard links"));
	unlink(td->path);

	write_snapshot(td->path, "policy add --src 0.0.0.0/0 --dst 10.1.0.0/16 --action drop\n");
	assert_int_equal(chmod(td->path, 0620), 0);
	assert_int_equal(load(p, td, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "is writable by group or others (mode 0620)"));
	assert_int_equal(chmod(td->path, 0600), 0);

	if (geteuid() == 0) {
		assert_int_equal(chown(td->path, 12345, 12345), 0);
		assert_int_equal(load(p, td, err, sizeof(err)), -EPERM);
		assert_non_null(strstr(err, "belongs to uid 12345, neither root nor the daemon's user"));
		/* ... unless that uid is the daemon's user */
		assert_int_equal(policy_load(p, td->fd, td->path, STAMP, 12345, err, sizeof(err)), 1);
	}
	assert_int_equal(policy_active(p)->n, geteuid() == 0 ? 1 : 0);
	free(p);
}

/* Only a snapshot saved under this config is replayed; the reason gives the stamp to use. */
static void test_load_needs_this_configs_stamp(void **state)
{
	struct tmpdir *td = *state;
	struct policy *p = policy_new();
	char err[512] = "", want[128];

	stamp_text(STAMP, want, sizeof(want));
	want[strlen(want) - 1] = '\0';

	write_text(td->path, "policy add --src 0.0.0.0/0 --dst 10.1.0.0/16 --action drop\n");
	assert_int_equal(load(p, td, err, sizeof(err)), -ESTALE);
	assert_non_null(strstr(err, "carries no config stamp"));
	assert_non_null(strstr(err, want));

	assert_int_equal(policy_save(policy_active(p), td->fd, td->path, OTHER, err, sizeof(err)), 0);
	assert_int_equal(load(p, td, err, sizeof(err)), -ESTALE);
	assert_non_null(strstr(err, "was saved under another config"));
	assert_non_null(strstr(err, want));
	assert_int_equal(policy_active(p)->n, 0);

	/* a stamp line that a hand edit gave \r\n still counts */
	{
		char text[256];

		snprintf(text, sizeof(text), "%s\r\npolicy add --src 0.0.0.0/0 --dst 10.1.0.0/16\n",
			 want);
		write_text(td->path, text);
		assert_int_equal(load(p, td, err, sizeof(err)), 1);
	}
	free(p);
}

static void test_load_skips_duplicates_and_comments(void **state)
{
	struct tmpdir *td = *state;
	struct policy *p = policy_new();
	struct policy_rule pre = fwd("0.0.0.0/0", "10.0.0.2/32", 0);
	char err[512] = "";

	write_snapshot(
	    td->path,
	    "# a hand-edited snapshot\r\n"
	    "\n"
	    "   \t\n"
	    "  # indented comment\n"
	    "policy add --src 0.0.0.0/0 --dst 10.0.0.2/32 --action forward --target 0\n"
	    "policy add --dst 10.0.0.0/24 --target 1 --src 0.0.0.0/0 --action forward\r\n"
	    "policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 1\n"
	    "\tpolicy add --src 0.0.0.0/0 --dst 10.0.0.66/32");
	assert_int_equal(policy_add(p, &pre), 0);
	assert_int_equal(load(p, td, err, sizeof(err)), 2);
	assert_int_equal(policy_active(p)->n, 3);
	assert_int_equal(policy_active(p)->rules[1].target, 1);
	assert_int_equal(policy_active(p)->rules[2].action, POLICY_DROP);
	free(p);
}

/* Loaded rules are added ones (flush removes them); derived ones stay derived. */
static void test_load_marks_rules_added(void **state)
{
	struct tmpdir *td = *state;
	struct policy *p = policy_new();
	const struct policy_rule derived[] = {fwd("0.0.0.0/0", "10.0.0.2/32", 2)};
	char err[512] = "";

	write_snapshot(td->path,
		       "policy add --src 0.0.0.0/0 --dst 10.0.0.2/32 --action forward --target 2\n"
		       "policy add --src 0.0.0.0/0 --dst 10.0.0.66/32 --action drop\n");
	assert_int_equal(policy_rederive(p, derived, 1), 0);
	assert_int_equal(load(p, td, err, sizeof(err)), 1);
	assert_table(p, "d:10.0.0.2/32:f2 a:10.0.0.66/32:x0");
	assert_int_equal(policy_flush_added(p), 1);
	assert_table(p, "d:10.0.0.2/32:f2");
	free(p);
}

struct bad_file_case {
	const char *text;
	const char *want_err_suffix; /* after "<path>"; line 1 is the stamp */
};

/* clang-format off */
static const struct bad_file_case bad_files[] = {
	{ "policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 1\n"
	  "# fine so far\n"
	  "policy add --src 0.0.0.0/0 --dst 10.0.0.0/33 --action drop\n",
	  ":4: InvalidValue: --dst: InvalidPrefix" },
	{ "policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 1\n"
	  "status\n",
	  ":3: UnknownCommand: only 'policy add' lines belong in a policy snapshot" },
	{ "policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward\n",
	  ":2: MissingArgument: --target: required with --action forward" },
	{ "policy add --src 0.0.0.0/0 --dst 10.0.0.0/24\npolicy del everything\n",
	  ":3: UnknownCommand: policy del: unknown flag (expected --src and --dst only)" },
	/* a snapshot is a table, not a log of changes */
	{ "policy add --src 0.0.0.0/0 --dst 10.0.0.0/24\npolicy del --src 0.0.0.0/0 --dst 10.0.0.0/24\n",
	  ":3: UnknownCommand: only 'policy add' lines belong in a policy snapshot" },
	{ "policy flush --added\n",
	  ":2: UnknownCommand: only 'policy add' lines belong in a policy snapshot" },
	{ "policy nuke\n",
	  ":2: UnknownCommand: policy: expected show, add, del, replace, flush or check" },
};
/* clang-format on */

static void test_load_rejects_malformed_file(void **state)
{
	struct tmpdir *td = *state;

	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		struct policy *p = policy_new();
		struct policy_rule pre = fwd("0.0.0.0/0", "10.9.0.0/16", 7);
		char err[512] = "", want[256];

		assert_int_equal(policy_add(p, &pre), 0);
		write_snapshot(td->path, bad_files[i].text);
		assert_int_equal(load(p, td, err, sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want), "%s%s", td->path,
			 bad_files[i].want_err_suffix);
		assert_string_equal(err, want);
		/* nothing of the file was applied */
		assert_int_equal(policy_active(p)->n, 1);
		free(p);
	}
}

static void test_load_missing_file(void **state)
{
	struct tmpdir *td = *state;
	struct policy *p = policy_new();
	char path[160], err[512] = "";

	snprintf(path, sizeof(path), "%s/nope.policy", td->dir);
	assert_int_equal(policy_load(p, td->fd, path, STAMP, 0, err, sizeof(err)), -ENOENT);
	assert_int_equal(policy_load(p, td->fd, path, STAMP, 0, NULL, 0), -ENOENT);
	free(p);
}

static void test_load_too_large_or_too_many(void **state)
{
	struct tmpdir *td = *state;
	struct policy *p = policy_new();
	struct policy_rule r = fwd("0.0.0.0/0", "10.0.0.0/32", 1);
	size_t big = MAX_POLICY_DUMP + 4096 + 1;
	char *text = malloc(big + 1);
	char err[512] = "";
	char stamp[128];
	FILE *f;

	assert_non_null(text);
	memset(text, '#', big);
	text[big] = '\0';
	write_text(td->path, text);
	assert_int_equal(load(p, td, err, sizeof(err)), -EFBIG);
	free(text);

	/* one rule more than fits: rejected whole, table unchanged */
	f = fopen(td->path, "w");
	assert_non_null(f);
	stamp_text(STAMP, stamp, sizeof(stamp));
	fputs(stamp, f);
	for (uint32_t i = 0; i < 2; i++) {
		char line[MAX_RULE_LINE];

		r.dst.addr = ip_of("10.200.0.0") + i;
		assert_true(policy_rule_format(&r, line, sizeof(line)) > 0);
		fputs(line, f);
	}
	assert_int_equal(fclose(f), 0);
	for (uint32_t i = 0; i < MAX_POLICY_ENTRIES - 1; i++) {
		r.dst.addr = ip_of("10.0.0.0") + i;
		assert_int_equal(policy_add(p, &r), 0);
	}
	assert_int_equal(load(p, td, err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "TooManyEntries"));
	assert_int_equal(policy_active(p)->n, MAX_POLICY_ENTRIES - 1);
	free(p);
}

/* ---- randomized comparison ----------------------------------------------- */

/* The obvious definition: longest dst prefix among matches, earliest on ties. */
static const struct policy_rule *naive_lookup(const struct policy_table *t, uint32_t src,
					      uint32_t dst)
{
	const struct policy_rule *best = NULL;

	for (size_t i = 0; i < t->n; i++) {
		const struct policy_rule *r = &t->rules[i];

		if (!cidr_contains(&r->dst, dst) || !cidr_contains(&r->src, src))
			continue;
		if (best == NULL || r->dst.prefix > best->dst.prefix)
			best = r;
	}
	return best;
}

static void test_random_against_naive(void **state)
{
	struct policy *p = malloc(sizeof(*p));
	size_t hits = 0, total = 0;

	(void)state;
	assert_non_null(p);
	rng_state = 0x5eed0003;
	for (int round = 0; round < 40; round++) {
		size_t n = 1 + rng() % MAX_POLICY_ENTRIES;

		policy_init(p);
		for (size_t i = 0; i < n; i++) {
			struct policy_rule r = rand_rule();
			const struct policy_table *t;

			assert_int_equal(policy_add(p, &r), 0);
			/* check a few lookups after every add, many at the end */
			t = policy_active(p);
			for (int k = 0; k < (i + 1 == n ? 4000 : 8); k++) {
				uint32_t src = rng() % 2 ? rand_addr() : rng();
				uint32_t dst = rand_addr();

				assert_ptr_equal(policy_lookup(t, src, dst),
						 naive_lookup(t, src, dst));
				hits += naive_lookup(t, src, dst) != NULL;
				total++;
			}
		}
	}
	/* the generator must exercise matches, not just no_route */
	assert_true(hits > total / 4);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lpm_cases),
	    cmocka_unit_test(test_index_lengths_and_chains),
	    cmocka_unit_test(test_add_publishes_new_table),
	    cmocka_unit_test(test_add_rejects_invalid_rule),
	    cmocka_unit_test(test_drop_target_is_cleared),
	    cmocka_unit_test(test_capacity),
	    cmocka_unit_test(test_del),
	    cmocka_unit_test(test_del_duplicates),
	    cmocka_unit_test(test_replace),
	    cmocka_unit_test(test_flush_added),
	    cmocka_unit_test(test_rederive),
	    cmocka_unit_test(test_rederive_capacity),
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_rule_format),
	    cmocka_unit_test(test_dump_empty),
	    cmocka_unit_test(test_dump_insertion_order),
	    cmocka_unit_test(test_dump_round_trip),
	    cmocka_unit_test(test_dump_full_worst_case),
	    cmocka_unit_test_setup_teardown(test_save_load_round_trip, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_save_empty_and_load, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_save_failure_leaves_no_tmp, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_save_refuses_planted_tmp, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_load_untrusted, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_load_needs_this_configs_stamp, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_load_skips_duplicates_and_comments,
					    tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_load_marks_rules_added, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_load_rejects_malformed_file,
					    tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_load_missing_file, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_load_too_large_or_too_many, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test(test_random_against_naive),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
