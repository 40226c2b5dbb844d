/*
 * Control-line grammar (ctl_parse_line) on arbitrary bytes, exactly as the
 * daemon sees a control datagram and policy_load sees a snapshot line.
 *
 * Invariants:
 *  - the verdict is one of the enum values and has a name; an error always
 *    comes with a static detail, success never does;
 *  - a parsed "policy add" is a rule the table accepts (prefixes <= 32, a
 *    known action, no target on a drop rule);
 *  - round trip: policy_rule_format() of the rule is one replayable line of
 *    at most MAX_RULE_LINE bytes that parses back to the identical rule and
 *    formats to the identical text;
 *  - policy_add accepts it and policy_contains then finds it; for a parsed
 *    del, policy_del then removes it (policy_find finds nothing); for a
 *    replace, policy_replace finds it;
 *  - ctl_rule_check either accepts a parsed command or says why.
 * The whole input is parsed as one line (CR/LF are ordinary bytes there),
 * then each '\n'-separated piece, the way the control server splits a
 * datagram into lines.
 */
#include <string.h>

#include "common.h"
#include "core/ctlproto.h"
#include "core/policy.h"
#include "os/linux/policy_file.h"

static struct policy table; /* ~ 2 x 272 rules: static, not per input */

static bool rule_identical(const struct policy_rule *a, const struct policy_rule *b)
{
	return a->src.addr == b->src.addr && a->src.prefix == b->src.prefix &&
	       a->dst.addr == b->dst.addr && a->dst.prefix == b->dst.prefix &&
	       a->action == b->action && a->target == b->target;
}

static void check_rule(const struct policy_rule *r)
{
	char line[MAX_RULE_LINE + 64], again[MAX_RULE_LINE + 64];
	const char *detail = NULL;
	struct ctl_cmd back;
	enum ctl_err e;
	size_t n, n2;

	FUZZ_CHECK(r->src.prefix <= 32 && r->dst.prefix <= 32, "prefix /%u /%u",
		   r->src.prefix, r->dst.prefix);
	FUZZ_CHECK(r->action == POLICY_DROP || r->action == POLICY_FORWARD, "action %d",
		   (int)r->action);
	FUZZ_CHECK(r->action == POLICY_FORWARD || r->target == 0, "drop rule with target %u",
		   r->target);

	n = policy_rule_format(r, line, sizeof(line));
	FUZZ_CHECK(n > 0 && n <= MAX_RULE_LINE, "formatted length %zu (limit %d)", n,
		   (int)MAX_RULE_LINE);
	FUZZ_CHECK(line[n - 1] == '\n' && memchr(line, '\n', n - 1) == NULL,
		   "not exactly one line: %s", line);

	/* The '\n' ends the line; the parser sees what a line splitter hands it. */
	e = ctl_parse_line(line, n - 1, &back, &detail);
	FUZZ_CHECK(e == CTL_OK, "re-parse of '%.*s' failed: %s (%s)", (int)(n - 1), line,
		   ctl_err_name(e), detail ? detail : "-");
	FUZZ_CHECK(back.kind == CTL_POLICY_ADD, "re-parse kind %d", (int)back.kind);
	FUZZ_CHECK(rule_identical(r, &back.rule), "round trip changed the rule: %s", line);

	n2 = policy_rule_format(&back.rule, again, sizeof(again));
	FUZZ_CHECK(n2 == n && memcmp(line, again, n) == 0, "format not stable: %s vs %s",
		   line, again);

	if (policy_active(&table)->n >= MAX_POLICY_ENTRIES)
		policy_init(&table);
	FUZZ_CHECK(policy_add(&table, r) == 0, "policy_add refused a parsed rule: %s", line);
	FUZZ_CHECK(policy_contains(policy_active(&table), r), "added rule not found: %s",
		   line);
}

static void parse_one(const char *s, size_t len)
{
	const char *detail = (const char *)&detail; /* must be overwritten */
	char why[CTL_WHY_MAX];
	struct ctl_cmd cmd;
	enum ctl_err e;

	memset(&cmd, 0xa5, sizeof(cmd));
	e = ctl_parse_line(s, len, &cmd, &detail);
	FUZZ_CHECK(e >= CTL_OK && e <= CTL_MISSING_ARGUMENT, "verdict %d", (int)e);
	FUZZ_CHECK(strcmp(ctl_err_name(e), "Unknown") != 0, "verdict %d has no name", (int)e);
	if (e != CTL_OK) {
		FUZZ_CHECK(detail != NULL && detail != (const char *)&detail && detail[0] != '\0',
			   "error %s without a detail", ctl_err_name(e));
		return;
	}
	FUZZ_CHECK(detail == NULL, "success with a detail: %s", detail);
	FUZZ_CHECK(cmd.kind >= CTL_SAVE && cmd.kind <= CTL_KIND_LAST, "kind %d",
		   (int)cmd.kind);
	/* NULL out/detail must be accepted as well, with the same verdict. */
	FUZZ_CHECK(ctl_parse_line(s, len, NULL, NULL) == CTL_OK, "verdict depends on out");
	why[0] = '\0';
	if (!ctl_rule_check(&cmd, why, sizeof(why)))
		FUZZ_CHECK(why[0] != '\0' && strlen(why) < sizeof(why) - 1,
			   "refused without a (whole) reason: %s", why);
	if (!ctl_has_rule(cmd.kind) && cmd.kind != CTL_POLICY_DEL)
		return;
	check_rule(&cmd.rule);
	if (cmd.kind == CTL_POLICY_DEL) {
		FUZZ_CHECK(policy_del(&table, &cmd.rule.src, &cmd.rule.dst) >= 1,
			   "policy_del missed an added rule");
		FUZZ_CHECK(policy_find(policy_active(&table), &cmd.rule.src, &cmd.rule.dst,
				       NULL) == NULL, "policy_del left a match behind");
	} else if (cmd.kind == CTL_POLICY_REPLACE) {
		FUZZ_CHECK(policy_replace(&table, &cmd.rule) == 1, "policy_replace missed it");
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	policy_init(&table);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t pos = 0;

	parse_one(s, size);
	if (memchr(s, '\n', size) == NULL)
		return 0;
	while (pos <= size) {
		const char *nl = memchr(s + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (s + pos)) : size - pos;

		parse_one(s + pos, len);
		pos += len + 1;
	}
	return 0;
}
