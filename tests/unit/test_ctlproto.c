/*
 * Control grammar: every rule and error name, whitespace handling, length
 * (not NUL) bounded input, and random bytes that must never crash or
 * over-read (each input sits in an exactly sized heap block, so ASan catches
 * a read past len).
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ctlproto.h"
#include "core/mesh/identity.h"

struct parse_case {
	const char *line;
	enum ctl_err err;
	enum ctl_kind kind; /* when err == CTL_OK */
	const char *detail; /* when err != CTL_OK; NULL = not checked */
	/* policy add only */
	const char *src, *dst;
	enum policy_action action;
	uint32_t target;
};

/* clang-format off */
#define OK(l, k) { l, CTL_OK, k, NULL, NULL, NULL, 0, 0 }
#define ADD(l, s, d, a, t) { l, CTL_OK, CTL_POLICY_ADD, NULL, s, d, a, t }
#define ERR(l, e, det) { l, e, 0, det, NULL, NULL, 0, 0 }
#define RULE(k, l, s, d, a, t) { l, CTL_OK, k, NULL, s, d, a, t }
#define DEL(l, s, d) { l, CTL_OK, CTL_POLICY_DEL, NULL, s, d, POLICY_DROP, 0 }

#define UNKNOWN CTL_UNKNOWN_COMMAND
#define INVALID CTL_INVALID_VALUE
#define MISSING CTL_MISSING_ARGUMENT
#define FWD POLICY_FORWARD
#define DROP POLICY_DROP
#define ANY "0.0.0.0/0"

static const struct parse_case cases[] = {
	/* blank lines */
	ERR("", CTL_EMPTY, "empty line"),
	ERR("   ", CTL_EMPTY, NULL),
	ERR(" \t\r \r", CTL_EMPTY, NULL),
	ERR("\r", CTL_EMPTY, NULL),

	/* save */
	OK("save", CTL_SAVE),
	OK("  save\t\r", CTL_SAVE),
	OK("\r\tsave \r", CTL_SAVE),
	ERR("save now", UNKNOWN, "save: takes no arguments"),
	ERR("save --json", UNKNOWN, NULL),
	ERR("SAVE", UNKNOWN, "unknown command"),
	ERR("saves", UNKNOWN, NULL),
	ERR("sav", UNKNOWN, NULL),

	/* status */
	OK("status", CTL_STATUS),
	OK("status --json", CTL_STATUS_JSON),
	OK("status \t  --json \t\r", CTL_STATUS_JSON),
	OK("\tstatus\t--json", CTL_STATUS_JSON),
	ERR("status --xml", UNKNOWN, "status: only --json may follow"),
	ERR("status json", UNKNOWN, NULL),
	ERR("status --json extra", UNKNOWN, NULL),
	ERR("status --json --json", UNKNOWN, NULL),
	ERR("status --JSON", UNKNOWN, NULL),
	ERR("status\r--json", UNKNOWN, NULL), /* an inner CR is not a separator */
	ERR("status\n--json", UNKNOWN, NULL), /* neither is a newline */

	/* reload */
	OK("reload", CTL_RELOAD),
	OK(" reload\t\r", CTL_RELOAD),
	ERR("reload now", UNKNOWN, "reload: takes no arguments"),
	ERR("reload --config x.json", UNKNOWN, NULL),
	ERR("RELOAD", UNKNOWN, "unknown command"),

	/* metrics */
	OK("metrics", CTL_METRICS),
	OK(" metrics \t\r", CTL_METRICS),
	ERR("metrics --json", UNKNOWN, "metrics: takes no arguments"),
	ERR("METRICS", UNKNOWN, "unknown command"),

	/* policy show */
	OK("policy show", CTL_POLICY_SHOW),
	OK(" policy  \t show \r", CTL_POLICY_SHOW),
	ERR("policy show all", UNKNOWN, "policy show: takes no arguments"),
	ERR("policy", UNKNOWN, "policy: expected show, add, del, replace, flush or check"),
	ERR("policy clear", UNKNOWN, "policy: expected show, add, del, replace, flush or check"),
	ERR("policy Del --src 0.0.0.0/0 --dst 10.0.0.0/24", UNKNOWN, NULL),

	/* policy del: exactly --src and --dst */
	DEL("policy del --src 0.0.0.0/0 --dst 10.0.0.0/24", ANY, "10.0.0.0/24"),
	DEL("policy del --dst 10.0.0.5/24 --src 10.1.0.0/16", "10.1.0.0/16", "10.0.0.5/24"),
	ERR("policy del --dst 10.0.0.0/24", MISSING, "--src: required"),
	ERR("policy del --src 0.0.0.0/0", MISSING, "--dst: required"),
	ERR("policy del --src 0.0.0.0/0 --dst 10.0.0.0/24 --action drop", UNKNOWN,
	    "policy del: unknown flag (expected --src and --dst only)"),
	ERR("policy del --src 0.0.0.0/0 --dst 10.0.0.0/24 --target 1", UNKNOWN, NULL),
	ERR("policy del --src 0.0.0.0/0 --dst 10.0.0.0/33", INVALID, "--dst: InvalidPrefix"),
	ERR("policy del", MISSING, "--src: required"),

	/* policy replace and check: the flags of add */
	RULE(CTL_POLICY_REPLACE, "policy replace --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 3",
	     ANY, "10.0.0.0/24", FWD, 3),
	RULE(CTL_POLICY_REPLACE, "policy replace --dst 10.0.0.0/24 --src 0.0.0.0/0", ANY,
	     "10.0.0.0/24", DROP, 0),
	RULE(CTL_POLICY_CHECK, "policy check --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 70000",
	     ANY, "10.0.0.0/24", FWD, 70000),
	ERR("policy replace --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward", MISSING,
	    "--target: required with --action forward"),
	ERR("policy replace --src 0.0.0.0/0 --dst 10.0.0.0/24 --via 1", UNKNOWN,
	    "policy replace: unknown flag (expected --src, --dst, --action, --target)"),
	ERR("policy check --via 1", UNKNOWN,
	    "policy check: unknown flag (expected --src, --dst, --action, --target)"),
	ERR("policy replace", MISSING, "--src: required"),

	/* policy flush: --added spelled out */
	OK("policy flush --added", CTL_POLICY_FLUSH),
	OK(" policy\tflush  --added \r", CTL_POLICY_FLUSH),
	ERR("policy flush", MISSING,
	    "policy flush: --added required (only rules added at run time are flushed; the "
	    "config's stay)"),
	ERR("policy flush --all", UNKNOWN, "policy flush: only --added may follow"),
	ERR("policy flush --added --added", UNKNOWN, "policy flush: only --added may follow"),
	ERR("policy flush --added now", UNKNOWN, NULL),
	ERR("peer show", UNKNOWN, "unknown command"),

	/* policy add: the documented examples */
	ADD("policy add --src 192.168.1.0/24 --dst 192.168.2.0/24 --action forward --target 3",
	    "192.168.1.0/24", "192.168.2.0/24", FWD, 3),
	ADD("policy add --src 0.0.0.0/0 --dst 10.0.0.2/32 --action forward --target 2", ANY,
	    "10.0.0.2/32", FWD, 2),
	ADD("policy add --src 0.0.0.0/0 --dst 10.0.0.2/32 --action forward --target 0", ANY,
	    "10.0.0.2/32", FWD, 0),
	/* any flag order, any blank runs, CR at the end */
	ADD("policy add --target 5 --action forward --dst 10.0.0.32/27 --src 0.0.0.0/0", ANY,
	    "10.0.0.32/27", FWD, 5),
	ADD("policy add --dst 10.0.0.0/24 --src 0.0.0.0/0 --target 1 --action forward", ANY,
	    "10.0.0.0/24", FWD, 1),
	ADD("\t policy\tadd  --src\t\t0.0.0.0/0   --dst 10.0.0.0/8 --action\tforward --target 4294967295 \r",
	    ANY, "10.0.0.0/8", FWD, 4294967295u),
	/* action defaults to drop; explicit drop */
	ADD("policy add --src 0.0.0.0/0 --dst 10.0.0.66/32", ANY, "10.0.0.66/32", DROP, 0),
	ADD("policy add --src 0.0.0.0/0 --dst 10.0.0.66/32 --action drop", ANY, "10.0.0.66/32",
	    DROP, 0),
	ADD("policy add --action drop --dst 10.0.0.66/32 --src 0.0.0.0/0", ANY, "10.0.0.66/32",
	    DROP, 0),
	/* host bits are kept as given */
	ADD("policy add --src 10.0.0.9/8 --dst 192.168.2.77/24 --action forward --target 7",
	    "10.0.0.9/8", "192.168.2.77/24", FWD, 7),
	ADD("policy add --src 255.255.255.255/32 --dst 0.0.0.0/0 --action forward --target 0",
	    "255.255.255.255/32", ANY, FWD, 0),

	/* mandatory flags */
	ERR("policy add", MISSING, "--src: required"),
	ERR("policy add --dst 10.0.0.0/24 --action forward --target 1", MISSING,
	    "--src: required"),
	ERR("policy add --src 0.0.0.0/0", MISSING, "--dst: required"),
	ERR("policy add --src 0.0.0.0/0 --action forward --target 1", MISSING, "--dst: required"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward", MISSING,
	    "--target: required with --action forward"),
	/* decision: a target with a drop rule is rejected, not silently ignored */
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --target 3", INVALID,
	    "--target: only valid with --action forward"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action drop --target 0", INVALID,
	    "--target: only valid with --action forward"),

	/* flag without a value */
	ERR("policy add --src", MISSING, "--src: missing value"),
	ERR("policy add --src 0.0.0.0/0 --dst", MISSING, "--dst: missing value"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action", MISSING,
	    "--action: missing value"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target", MISSING,
	    "--target: missing value"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target \r", MISSING,
	    "--target: missing value"),
	ERR("policy add --src --dst 10.0.0.0/24", MISSING, "--src: missing value"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action --target 1", MISSING,
	    "--action: missing value"),

	/* unknown flags */
	ERR("policy add --via 10.0.0.1", UNKNOWN,
	    "policy add: unknown flag (expected --src, --dst, --action, --target)"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --prio 1", UNKNOWN, NULL),
	ERR("policy add -src 0.0.0.0/0 --dst 10.0.0.0/24", UNKNOWN, NULL),
	ERR("policy add --SRC 0.0.0.0/0 --dst 10.0.0.0/24", UNKNOWN, NULL),
	ERR("policy add --src=0.0.0.0/0 --dst 10.0.0.0/24", UNKNOWN, NULL),
	ERR("policy add 0.0.0.0/0 10.0.0.0/24", UNKNOWN, NULL),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 extra", UNKNOWN, NULL),

	/* bad CIDRs name the flag and the CIDR sub-error */
	ERR("policy add --src 1.2.3.4/33 --dst 0.0.0.0/0", INVALID, "--src: InvalidPrefix"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/33", INVALID, "--dst: InvalidPrefix"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/", INVALID, "--dst: InvalidPrefix"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/024", INVALID, "--dst: InvalidPrefix"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0", INVALID, "--dst: MissingSlash"),
	ERR("policy add --src 10.0.0.1 --dst 10.0.0.0/24", INVALID, "--src: MissingSlash"),
	ERR("policy add --src 0.0.0.0/0 --dst 256.0.0.0/8", INVALID, "--dst: InvalidOctet"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0/8", INVALID, "--dst: InvalidOctet"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.01/32", INVALID, "--dst: InvalidOctet"),
	ERR("policy add --src 0.0.0.0/0 --dst bad/8", INVALID, "--dst: InvalidOctet"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24\r1", INVALID, "--dst: InvalidPrefix"),

	/* bad action / target */
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action allow", INVALID,
	    "--action: expected forward or drop"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action Forward --target 1", INVALID,
	    NULL),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target -1", INVALID,
	    "--target: expected a peer id 0..65535 (decimal, 0 = this node)"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 4294967296",
	    INVALID, "--target: expected a peer id 0..65535 (decimal, 0 = this node)"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 99999999999",
	    INVALID, NULL),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 1x", INVALID,
	    NULL),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 01", INVALID,
	    NULL),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target +1", INVALID,
	    NULL),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 0x10",
	    INVALID, NULL),

	/* repeated flags */
	ERR("policy add --src 0.0.0.0/0 --src 10.0.0.0/8 --dst 10.0.0.0/24", INVALID,
	    "--src: given more than once"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --dst 10.0.0.0/24", INVALID,
	    "--dst: given more than once"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action drop --action drop", INVALID,
	    "--action: given more than once"),
	ERR("policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 1 --target 1",
	    INVALID, "--target: given more than once"),

	/* the first error in the line wins */
	ERR("policy add --src 1.2.3.4/33 --bogus", INVALID, "--src: InvalidPrefix"),
	ERR("policy add --bogus --src 1.2.3.4/33", UNKNOWN, NULL),
};
/* clang-format on */

static void test_parse_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *tc = &cases[i];
		size_t len = strlen(tc->line);
		/* exactly sized, not NUL-terminated: an over-read trips ASan */
		char *line = malloc(len ? len : 1);
		const char *detail = "untouched";
		struct ctl_cmd cmd;
		enum ctl_err e;

		assert_non_null(line);
		memcpy(line, tc->line, len);
		e = ctl_parse_line(line, len, &cmd, &detail);
		if (e != tc->err)
			fail_msg("\"%s\": got %s (%s), want %s", tc->line,
				 ctl_err_name(e), detail ? detail : "-",
				 ctl_err_name(tc->err));
		if (e != CTL_OK) {
			assert_non_null(detail);
			if (tc->detail != NULL && strcmp(detail, tc->detail) != 0)
				fail_msg("\"%s\": detail \"%s\", want \"%s\"", tc->line,
					 detail, tc->detail);
		} else {
			assert_null(detail);
			assert_int_equal(cmd.kind, tc->kind);
			if (tc->src != NULL) {
				struct cidr src, dst;

				assert_int_equal(
				    cidr_parse(&src, tc->src, strlen(tc->src)), ADDR_OK);
				assert_int_equal(
				    cidr_parse(&dst, tc->dst, strlen(tc->dst)), ADDR_OK);
				assert_true(cidr_equal(&cmd.rule.src, &src));
				assert_true(cidr_equal(&cmd.rule.dst, &dst));
				assert_int_equal(cmd.rule.action, tc->action);
				assert_int_equal(cmd.rule.target, tc->target);
			}
		}
		free(line);
	}
}

static void test_error_names(void **state)
{
	(void)state;
	assert_string_equal(ctl_err_name(CTL_OK), "Ok");
	assert_string_equal(ctl_err_name(CTL_EMPTY), "Empty");
	assert_string_equal(ctl_err_name(CTL_UNKNOWN_COMMAND), "UnknownCommand");
	assert_string_equal(ctl_err_name(CTL_INVALID_VALUE), "InvalidValue");
	assert_string_equal(ctl_err_name(CTL_MISSING_ARGUMENT), "MissingArgument");
	assert_string_equal(ctl_err_name((enum ctl_err)99), "Unknown");
}

/* len, not NUL, ends the line; bytes after len are never looked at. */
static void test_length_bounded(void **state)
{
	static const char text[] = "status --json trailing garbage";
	char nul[] = {'s', 'a', 'v', 'e', '\0'};
	struct ctl_cmd cmd;

	(void)state;
	assert_int_equal(ctl_parse_line(text, 6, &cmd, NULL), CTL_OK);
	assert_int_equal(cmd.kind, CTL_STATUS);
	assert_int_equal(ctl_parse_line(text, 13, &cmd, NULL), CTL_OK);
	assert_int_equal(cmd.kind, CTL_STATUS_JSON);
	assert_int_equal(ctl_parse_line(text, 14, &cmd, NULL), CTL_OK);
	assert_int_equal(ctl_parse_line(text, 15, &cmd, NULL), CTL_UNKNOWN_COMMAND);
	assert_int_equal(ctl_parse_line(text, 0, &cmd, NULL), CTL_EMPTY);
	assert_int_equal(ctl_parse_line(NULL, 0, &cmd, NULL), CTL_EMPTY);
	/* an embedded NUL is a byte like any other */
	assert_int_equal(ctl_parse_line(nul, 4, &cmd, NULL), CTL_OK);
	assert_int_equal(ctl_parse_line(nul, 5, &cmd, NULL), CTL_UNKNOWN_COMMAND);
	/* detail and out are optional */
	assert_int_equal(ctl_parse_line("bogus", 5, NULL, NULL), CTL_UNKNOWN_COMMAND);
	assert_int_equal(ctl_parse_line("save", 4, NULL, NULL), CTL_OK);
}

/* A failed parse leaves *out alone. */
static void test_out_untouched_on_error(void **state)
{
	static const char line[] = "policy add --src 0.0.0.0/0 --dst 10.0.0.0/33";
	struct ctl_cmd cmd, before;

	(void)state;
	memset(&cmd, 0xa5, sizeof(cmd));
	memcpy(&before, &cmd, sizeof(cmd));
	assert_int_equal(ctl_parse_line(line, strlen(line), &cmd, NULL),
			 CTL_INVALID_VALUE);
	assert_memory_equal(&cmd, &before, sizeof(cmd));
}

/* --action given or defaulted: the CLI says which when it was not. */
static void test_action_given(void **state)
{
	static const struct {
		const char *line;
		bool given;
	} tc[] = {
	    {"policy add --src 0.0.0.0/0 --dst 10.0.0.66/32", false},
	    {"policy add --src 0.0.0.0/0 --dst 10.0.0.66/32 --action drop", true},
	    {"policy add --src 0.0.0.0/0 --dst 10.0.0.2/32 --action forward --target 2", true},
	    {"policy replace --src 0.0.0.0/0 --dst 10.0.0.66/32", false},
	    {"policy check --action drop --src 0.0.0.0/0 --dst 10.0.0.66/32", true},
	    {"policy del --src 0.0.0.0/0 --dst 10.0.0.66/32", false},
	    {"status", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		struct ctl_cmd cmd;

		assert_int_equal(ctl_parse_line(tc[i].line, strlen(tc[i].line), &cmd, NULL),
				 CTL_OK);
		if (cmd.action_given != tc[i].given)
			fail_msg("\"%s\": action_given %d", tc[i].line, cmd.action_given);
	}
}

/* What a new rule must satisfy beyond the grammar; "" = accepted. */
static void test_rule_check(void **state)
{
	static const struct {
		const char *line, *why;
	} tc[] = {
	    {"policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 65535", ""},
	    {"policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 0", ""},
	    {"policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 65536",
	     "--target 65536: outside 0..65535 (a peer id 1..65535, or 0 = this node)"},
	    {"policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 4294967295",
	     "--target 4294967295: outside 0..65535 (a peer id 1..65535, or 0 = this node)"},
	    {"policy add --src 0.0.0.0/0 --dst 10.0.0.1/24",
	     "--dst 10.0.0.1/24 has host bits set: its network is 10.0.0.0/24 (or, for that one "
	     "address, 10.0.0.1/32)"},
	    {"policy add --src 192.168.1.7/16 --dst 10.0.0.0/24",
	     "--src 192.168.1.7/16 has host bits set: its network is 192.168.0.0/16 (or, for "
	     "that one address, 192.168.1.7/32)"},
	    {"policy add --src 1.0.0.0/0 --dst 10.0.0.0/24",
	     "--src 1.0.0.0/0 has host bits set: its network is 0.0.0.0/0 (or, for that one "
	     "address, 1.0.0.0/32)"},
	    {"policy add --src 0.0.0.0/0 --dst 10.0.0.1/32", ""},
	    {"policy check --src 0.0.0.0/0 --dst 10.0.0.1/24",
	     "--dst 10.0.0.1/24 has host bits set: its network is 10.0.0.0/24 (or, for that one "
	     "address, 10.0.0.1/32)"},
	    /* a replace names an existing rule, host bits and all; its target is new */
	    {"policy replace --src 0.0.0.0/0 --dst 10.0.0.1/24", ""},
	    {"policy replace --src 0.0.0.0/0 --dst 10.0.0.1/24 --action forward --target 70000",
	     "--target 70000: outside 0..65535 (a peer id 1..65535, or 0 = this node)"},
	    {"policy del --src 0.0.0.0/0 --dst 10.0.0.1/24", ""},
	    {"status", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		char why[CTL_WHY_MAX] = "";
		struct ctl_cmd cmd;
		bool ok;

		assert_int_equal(ctl_parse_line(tc[i].line, strlen(tc[i].line), &cmd, NULL),
				 CTL_OK);
		ok = ctl_rule_check(&cmd, why, sizeof(why));
		if (ok != (tc[i].why[0] == '\0') || (!ok && strcmp(why, tc[i].why) != 0))
			fail_msg("\"%s\": %s \"%s\", want \"%s\"", tc[i].line,
				 ok ? "accepted" : "refused", why, tc[i].why);
	}
}

static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static void check_invariants(const char *line, size_t len)
{
	const char *detail = NULL;
	struct ctl_cmd cmd;
	enum ctl_err e = ctl_parse_line(line, len, &cmd, &detail);

	assert_true(e >= CTL_OK && e <= CTL_MISSING_ARGUMENT);
	if (e != CTL_OK) {
		assert_non_null(detail);
		return;
	}
	assert_true(cmd.kind >= CTL_SAVE && cmd.kind <= CTL_KIND_LAST);
	if (ctl_has_rule(cmd.kind) || cmd.kind == CTL_POLICY_DEL) {
		assert_true(cmd.rule.src.prefix <= 32 && cmd.rule.dst.prefix <= 32);
		assert_true(cmd.rule.action == POLICY_DROP ||
			    cmd.rule.action == POLICY_FORWARD);
		if (cmd.rule.action == POLICY_DROP)
			assert_int_equal(cmd.rule.target, 0);
	}
}

/* Arbitrary bytes, arbitrary lengths. */
static void test_random_bytes(void **state)
{
	(void)state;
	rng_state = 0xc0ffee01;
	for (int i = 0; i < 200000; i++) {
		size_t len = rng() % 160;
		char *buf = malloc(len ? len : 1);

		assert_non_null(buf);
		for (size_t k = 0; k < len; k++)
			buf[k] = (char)rng();
		check_invariants(buf, len);
		free(buf);
	}
}

/* whitelist, hosts and managed: kinds, the address and name they carry, every refusal. */
static void test_mesh_commands(void **state)
{
	static const struct {
		const char *line;
		enum ctl_err err;
		enum ctl_kind kind;
		const char *addr; /* expected cmd.mesh.addr, NULL: none */
		const char *name; /* expected cmd.mesh.name ("" none); the detail on error */
	} tc[] = {
	    {"whitelist ls", CTL_OK, CTL_WHITELIST_LS, NULL, ""},
	    {"whitelist enable", CTL_OK, CTL_WHITELIST_ENABLE, NULL, ""},
	    {" whitelist\tdisable \r", CTL_OK, CTL_WHITELIST_DISABLE, NULL, ""},
	    {"whitelist add fc94::1", CTL_OK, CTL_WHITELIST_ADD, "fc94::1", ""},
	    {"whitelist rm FC94:0:0::0001", CTL_OK, CTL_WHITELIST_RM, "fc94::1", ""},
	    {"hosts ls", CTL_OK, CTL_HOSTS_LS, NULL, ""},
	    {"hosts add fc94:1::2 robot-1", CTL_OK, CTL_HOSTS_ADD, "fc94:1::2", "robot-1"},
	    {"hosts rm robot-1", CTL_OK, CTL_HOSTS_RM, NULL, "robot-1"},
	    {"hosts rm fc94:1::2", CTL_OK, CTL_HOSTS_RM, "fc94:1::2", ""},
	    {"managed ls", CTL_OK, CTL_MANAGED_LS, NULL, ""},
	    {"\tmanaged  reload \r", CTL_OK, CTL_MANAGED_RELOAD, NULL, ""},
	    {"managed", CTL_UNKNOWN_COMMAND, 0, NULL, "managed: expected ls or reload"},
	    {"managed add fc94::1", CTL_UNKNOWN_COMMAND, 0, NULL, "managed: expected ls or reload"},
	    {"managed ls x", CTL_UNKNOWN_COMMAND, 0, NULL, "managed ls: takes no arguments"},
	    {"managed reload now", CTL_UNKNOWN_COMMAND, 0, NULL,
	     "managed reload: takes no arguments"},
	    {"Managed ls", CTL_UNKNOWN_COMMAND, 0, NULL, "unknown command"},
	    {"whitelist", CTL_UNKNOWN_COMMAND, 0, NULL,
	     "whitelist: expected ls, add, rm, enable or disable"},
	    {"whitelist show", CTL_UNKNOWN_COMMAND, 0, NULL,
	     "whitelist: expected ls, add, rm, enable or disable"},
	    {"hosts enable", CTL_UNKNOWN_COMMAND, 0, NULL, "hosts: expected ls, add or rm"},
	    {"whitelist ls x", CTL_UNKNOWN_COMMAND, 0, NULL, "whitelist ls: takes no arguments"},
	    {"whitelist add", CTL_MISSING_ARGUMENT, 0, NULL, "whitelist add: expected one ADDRESS"},
	    {"whitelist add fc94::1 fc94::2", CTL_UNKNOWN_COMMAND, 0, NULL,
	     "whitelist add: expected one ADDRESS"},
	    {"whitelist add fc00::1", CTL_INVALID_VALUE, 0, NULL,
	     "ADDRESS: not a mesh address (fc94::/16)"},
	    {"whitelist rm 10.0.0.1", CTL_INVALID_VALUE, 0, NULL, "ADDRESS: not an IPv6 address"},
	    {"hosts add fc94::1", CTL_MISSING_ARGUMENT, 0, NULL, "hosts add: expected ADDRESS NAME"},
	    {"hosts add fc94::1 a b", CTL_UNKNOWN_COMMAND, 0, NULL,
	     "hosts add: expected ADDRESS NAME"},
	    {"hosts add fc94::1 Robot", CTL_INVALID_VALUE, 0, NULL,
	     "NAME: not one lowercase RFC 1123 label (a-z, 0-9, '-', at most 63)"},
	    {"hosts add robot fc94::1", CTL_INVALID_VALUE, 0, NULL, "ADDRESS: not an IPv6 address"},
	    {"hosts rm", CTL_MISSING_ARGUMENT, 0, NULL, "hosts rm: expected one NAME or ADDRESS"},
	    {"hosts rm a.b", CTL_INVALID_VALUE, 0, NULL,
	     "NAME: not one lowercase RFC 1123 label (a-z, 0-9, '-', at most 63)"},
	    {"hosts rm fc95::1", CTL_INVALID_VALUE, 0, NULL,
	     "ADDRESS: not a mesh address (fc94::/16)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		const char *detail = NULL;
		struct ctl_cmd cmd;
		enum ctl_err e = ctl_parse_line(tc[i].line, strlen(tc[i].line), &cmd, &detail);
		uint8_t want[16] = {0};

		if (e != tc[i].err)
			fail_msg("\"%s\": %s, want %s", tc[i].line, ctl_err_name(e),
				 ctl_err_name(tc[i].err));
		if (e != CTL_OK) {
			assert_string_equal(detail, tc[i].name);
			continue;
		}
		assert_int_equal(cmd.kind, tc[i].kind);
		assert_true(ctl_is_mesh(cmd.kind));
		assert_int_equal(cmd.mesh.has_addr, tc[i].addr != NULL);
		if (tc[i].addr != NULL) {
			assert_true(identity_address_parse(tc[i].addr, strlen(tc[i].addr), want));
			assert_memory_equal(cmd.mesh.addr, want, 16);
		}
		assert_string_equal(cmd.mesh.name, tc[i].name);
	}
	assert_false(ctl_is_mesh(CTL_POLICY_CHECK));
	assert_false(ctl_is_mesh(CTL_SAVE));
}

/* Random sequences of grammar tokens and near-misses reach the deep paths. */
static void test_random_tokens(void **state)
{
	static const char *const toks[] = {
	    "policy",	  "add",	 "show",	"status",
	    "del",	  "replace",	 "flush",	"check",
	    "--added",
	    "save",	  "--json",	 "--src",	"--dst",
	    "--action",	  "--target",	 "forward",	"drop",
	    "0.0.0.0/0",  "10.0.0.0/24", "10.0.0.2/32", "1.2.3.4/33",
	    "10.0.0.0",	  "300.1.1.1/8", "0",		"7",
	    "4294967295", "4294967296",	 "01",		"--",
	    "-",	  "/",		 ".",		"",
	    "\r",	  "\n",		 "\t",		" ",
	    "\0",	  "whitelist",	 "hosts",	"ls",
	    "rm",	  "enable",	 "fc94::1",	"robot-1",
	};
	size_t ok = 0;

	(void)state;
	rng_state = 0xc0ffee02;
	for (int i = 0; i < 200000; i++) {
		char tmp[512];
		size_t len = 0, n = 1 + rng() % 12;
		char *buf;

		/* mostly start like a real command, so the flag parser is reached */
		if (rng() % 2) {
			memcpy(tmp, "policy add ", 11);
			len = 11;
		}
		for (size_t k = 0; k < n; k++) {
			const char *t = toks[rng() % (sizeof(toks) / sizeof(toks[0]))];
			size_t tl =
			    t[0] == '\0' ? (rng() % 2) : strlen(t); /* maybe a NUL byte */

			memcpy(tmp + len, t, tl);
			len += tl;
			if (rng() % 4)
				tmp[len++] = rng() % 3 ? ' ' : '\t';
		}
		buf = malloc(len ? len : 1);
		assert_non_null(buf);
		memcpy(buf, tmp, len);
		check_invariants(buf, len);
		ok += ctl_parse_line(buf, len, NULL, NULL) == CTL_OK;
		free(buf);
	}
	/* sanity: some random combinations are valid commands */
	assert_true(ok > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_cases),
	    cmocka_unit_test(test_error_names),
	    cmocka_unit_test(test_length_bounded),
	    cmocka_unit_test(test_out_untouched_on_error),
	    cmocka_unit_test(test_action_given),
	    cmocka_unit_test(test_rule_check),
	    cmocka_unit_test(test_mesh_commands),
	    cmocka_unit_test(test_random_bytes),
	    cmocka_unit_test(test_random_tokens),
	};

	return cmocka_run_group_tests_name("ctlproto", tests, NULL, NULL);
}
