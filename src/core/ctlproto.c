/*
 * Control-line grammar (see ctlproto.h and interface reference §4).
 *
 * The input is untrusted and arbitrary: it is read only through (line, len),
 * never assumed NUL-terminated, and every byte that is not part of the
 * grammar simply fails to match a keyword or value.  Only space and tab
 * separate tokens; a CR or newline inside the line is an ordinary byte, so it
 * can never smuggle a second command past the CLI's local check.
 *
 * Decisions where the reference is silent:
 *  - `--target` together with `--action drop` (explicit or defaulted) is
 *    rejected with InvalidValue.  A drop rule has no target, and an operator
 *    who typed a target almost certainly meant `--action forward`; accepting
 *    it silently would install a drop where a forward was intended.
 *  - A flag followed by another `--flag` is a MissingArgument (no CIDR,
 *    action or id starts with "--").
 *  - `--target` is a plain u32 decimal without sign or leading zeros, like
 *    the octets of a CIDR; the peer-id range (0..65535) is ctl_rule_check's,
 *    so a snapshot that an older version saved with a larger one still loads.
 *  - `policy flush` needs its `--added`: the word says what goes and what
 *    stays (the config's rules).
 *  - Keywords and flag names are case-sensitive.
 */
#include "core/ctlproto.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/mesh/identity.h"

/* A switch, as addr_err_name's: -Wswitch names a new error left without its name. */
const char *ctl_err_name(enum ctl_err e)
{
	switch (e) {
	case CTL_OK:
		return "Ok";
	case CTL_EMPTY:
		return "Empty";
	case CTL_UNKNOWN_COMMAND:
		return "UnknownCommand";
	case CTL_INVALID_VALUE:
		return "InvalidValue";
	case CTL_MISSING_ARGUMENT:
		return "MissingArgument";
	}
	return "Unknown";
}

struct token {
	const char *s;
	size_t len;
};

struct tokenizer {
	const char *s;
	size_t len;
	size_t pos;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool next_token(struct tokenizer *tk, struct token *t)
{
	size_t start;

	while (tk->pos < tk->len && is_blank(tk->s[tk->pos]))
		tk->pos++;
	if (tk->pos == tk->len)
		return false;
	start = tk->pos;
	while (tk->pos < tk->len && !is_blank(tk->s[tk->pos]))
		tk->pos++;
	t->s = tk->s + start;
	t->len = tk->pos - start;
	return true;
}

static bool tok_is(const struct token *t, const char *lit)
{
	size_t n = strlen(lit);

	return t->len == n && memcmp(t->s, lit, n) == 0;
}

static bool tok_is_flag(const struct token *t)
{
	return t->len >= 2 && t->s[0] == '-' && t->s[1] == '-';
}

/* u32 decimal: 1..10 digits, no sign, no leading zero unless the value is 0. */
static bool parse_u32(const struct token *t, uint32_t *out)
{
	uint64_t v = 0;

	if (t->len == 0 || t->len > 10 || (t->len > 1 && t->s[0] == '0'))
		return false;
	for (size_t i = 0; i < t->len; i++) {
		if (t->s[i] < '0' || t->s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(t->s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

enum flag {
	FLAG_SRC,
	FLAG_DST,
	FLAG_ACTION,
	FLAG_TARGET,
	FLAG_COUNT,
};

static const char *const flag_names[FLAG_COUNT] = {
    [FLAG_SRC] = "--src",
    [FLAG_DST] = "--dst",
    [FLAG_ACTION] = "--action",
    [FLAG_TARGET] = "--target",
};

/* Details must be static strings, so the flag x sub-error table is spelled out. */
#define CIDR_DETAILS(flag)                                                               \
	{                                                                                \
		[ADDR_OK] = flag ": invalid CIDR",                                       \
		[ADDR_MISSING_SLASH] = flag ": MissingSlash",                            \
		[ADDR_MISSING_COLON] = flag ": MissingColon",                            \
		[ADDR_INVALID_OCTET] = flag ": InvalidOctet",                            \
		[ADDR_INVALID_PREFIX] = flag ": InvalidPrefix",                          \
		[ADDR_INVALID_PORT] = flag ": InvalidPort",                              \
	}

static const char *const cidr_details[2][ADDR_INVALID_PORT + 1] = {
    [FLAG_SRC] = CIDR_DETAILS("--src"),
    [FLAG_DST] = CIDR_DETAILS("--dst"),
};

static const char *const missing_value[FLAG_COUNT] = {
    [FLAG_SRC] = "--src: missing value",
    [FLAG_DST] = "--dst: missing value",
    [FLAG_ACTION] = "--action: missing value",
    [FLAG_TARGET] = "--target: missing value",
};

static const char *const repeated[FLAG_COUNT] = {
    [FLAG_SRC] = "--src: given more than once",
    [FLAG_DST] = "--dst: given more than once",
    [FLAG_ACTION] = "--action: given more than once",
    [FLAG_TARGET] = "--target: given more than once",
};

/* Why a line was refused: ctl_parse_line's result and its static detail. */
struct failure {
	enum ctl_err err;
	const char *detail;
};

static bool fail(struct failure *f, enum ctl_err err, const char *detail)
{
	f->err = err;
	f->detail = detail;
	return false;
}

/* The rule-carrying policy commands: their word and what their flag parser accepts. */
static const struct rule_syntax {
	const char *word;         /* after "policy" */
	enum ctl_kind kind;
	bool action_target;       /* --action and --target (all but del) */
	const char *unknown_flag; /* detail for any other flag */
} rule_syntaxes[] = {
    {"add", CTL_POLICY_ADD, true,
     "policy add: unknown flag (expected --src, --dst, --action, --target)"},
    {"replace", CTL_POLICY_REPLACE, true,
     "policy replace: unknown flag (expected --src, --dst, --action, --target)"},
    {"check", CTL_POLICY_CHECK, true,
     "policy check: unknown flag (expected --src, --dst, --action, --target)"},
    {"del", CTL_POLICY_DEL, false, "policy del: unknown flag (expected --src and --dst only)"},
};

/* The flags of a rule, in any order, each at most once. */
static bool parse_rule(struct tokenizer *tk, const struct rule_syntax *syn,
		       struct ctl_cmd *cmd, struct failure *err)
{
	bool seen[FLAG_COUNT] = {false};
	struct policy_rule *r = &cmd->rule;
	enum flag n_flags = syn->action_target ? FLAG_COUNT : FLAG_ACTION;
	struct token t, v;

	memset(r, 0, sizeof(*r));
	r->action = POLICY_DROP;
	while (next_token(tk, &t)) {
		enum flag f;

		for (f = 0; f < n_flags; f++)
			if (tok_is(&t, flag_names[f]))
				break;
		if (f == n_flags)
			return fail(err, CTL_UNKNOWN_COMMAND, syn->unknown_flag);
		if (seen[f])
			return fail(err, CTL_INVALID_VALUE, repeated[f]);
		seen[f] = true;
		if (!next_token(tk, &v) || tok_is_flag(&v))
			return fail(err, CTL_MISSING_ARGUMENT, missing_value[f]);

		switch (f) {
		case FLAG_SRC:
		case FLAG_DST: {
			struct cidr *c = f == FLAG_SRC ? &r->src : &r->dst;
			enum addr_err e = cidr_parse(c, v.s, v.len);

			if (e != ADDR_OK) {
				if ((unsigned)e > ADDR_INVALID_PORT)
					e = ADDR_OK; /* generic detail */
				return fail(err, CTL_INVALID_VALUE, cidr_details[f][e]);
			}
			break;
		}
		case FLAG_ACTION:
			if (tok_is(&v, "forward"))
				r->action = POLICY_FORWARD;
			else if (tok_is(&v, "drop"))
				r->action = POLICY_DROP;
			else
				return fail(err, CTL_INVALID_VALUE,
					    "--action: expected forward or drop");
			break;
		case FLAG_TARGET:
			/* The range is ctl_rule_check's: old snapshots may hold more. */
			if (!parse_u32(&v, &r->target))
				return fail(
				    err, CTL_INVALID_VALUE,
				    "--target: expected a peer id 0..65535 (decimal, "
				    "0 = this node)");
			break;
		case FLAG_COUNT:
			break;
		}
	}

	if (!seen[FLAG_SRC])
		return fail(err, CTL_MISSING_ARGUMENT, "--src: required");
	if (!seen[FLAG_DST])
		return fail(err, CTL_MISSING_ARGUMENT, "--dst: required");
	/* Without a target a forward would silently mean 0 = local delivery. */
	if (r->action == POLICY_FORWARD && !seen[FLAG_TARGET])
		return fail(err, CTL_MISSING_ARGUMENT,
			    "--target: required with --action forward");
	if (r->action == POLICY_DROP && seen[FLAG_TARGET])
		return fail(err, CTL_INVALID_VALUE,
			    "--target: only valid with --action forward");
	cmd->action_given = seen[FLAG_ACTION];
	return true;
}

/* True if nothing but blanks is left. */
static bool at_end(struct tokenizer *tk)
{
	struct token t;

	return !next_token(tk, &t);
}

static bool is_trim(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool parse_policy(struct tokenizer *tk, struct ctl_cmd *cmd, struct failure *err)
{
	static const char expected[] =
	    "policy: expected show, add, del, replace, flush or check";
	struct token t;

	if (!next_token(tk, &t))
		return fail(err, CTL_UNKNOWN_COMMAND, expected);
	if (tok_is(&t, "show")) {
		cmd->kind = CTL_POLICY_SHOW;
		if (!at_end(tk))
			return fail(err, CTL_UNKNOWN_COMMAND,
				    "policy show: takes no arguments");
		return true;
	}
	if (tok_is(&t, "flush")) {
		cmd->kind = CTL_POLICY_FLUSH;
		/* Spelled out: a bare "flush" could be read as "everything". */
		if (!next_token(tk, &t))
			return fail(
			    err, CTL_MISSING_ARGUMENT,
			    "policy flush: --added required (only rules added at run "
			    "time are flushed; the config's stay)");
		if (!tok_is(&t, "--added") || !at_end(tk))
			return fail(err, CTL_UNKNOWN_COMMAND,
				    "policy flush: only --added may follow");
		return true;
	}
	for (size_t i = 0; i < sizeof(rule_syntaxes) / sizeof(rule_syntaxes[0]); i++) {
		if (tok_is(&t, rule_syntaxes[i].word)) {
			cmd->kind = rule_syntaxes[i].kind;
			return parse_rule(tk, &rule_syntaxes[i], cmd, err);
		}
	}
	return fail(err, CTL_UNKNOWN_COMMAND, expected);
}

/* An fc94::/16 address (any IPv6 spelling) into cmd->mesh.addr. */
static bool parse_mesh_addr(const struct token *t, struct ctl_cmd *cmd, struct failure *err,
			    const char *not_ipv6, const char *not_mesh)
{
	uint8_t *a = cmd->mesh.addr;

	if (!identity_address_parse(t->s, t->len, a))
		return fail(err, CTL_INVALID_VALUE, not_ipv6);
	if (!identity_address_in_overlay(a))
		return fail(err, CTL_INVALID_VALUE, not_mesh);
	cmd->mesh.has_addr = true;
	return true;
}

static bool parse_mesh_name(const struct token *t, struct ctl_cmd *cmd, struct failure *err,
			    const char *bad)
{
	if (t->len > MESH_NAME_MAX || !mesh_name_valid(t->s, t->len))
		return fail(err, CTL_INVALID_VALUE, bad);
	memcpy(cmd->mesh.name, t->s, t->len);
	cmd->mesh.name[t->len] = '\0';
	return true;
}

/* The mesh commands' words: what each takes after "whitelist", "hosts" or "managed". */
enum mesh_args { ARGS_NONE, ARGS_ADDR, ARGS_ADDR_NAME, ARGS_NAME_OR_ADDR };

static const struct mesh_syntax {
	const char *group, *word;
	enum ctl_kind kind;
	enum mesh_args args;
	const char *usage; /* the detail of a missing or extra argument */
} mesh_syntaxes[] = {
    {"whitelist", "ls", CTL_WHITELIST_LS, ARGS_NONE, "whitelist ls: takes no arguments"},
    {"whitelist", "add", CTL_WHITELIST_ADD, ARGS_ADDR, "whitelist add: expected one ADDRESS"},
    {"whitelist", "rm", CTL_WHITELIST_RM, ARGS_ADDR, "whitelist rm: expected one ADDRESS"},
    {"whitelist", "enable", CTL_WHITELIST_ENABLE, ARGS_NONE,
     "whitelist enable: takes no arguments"},
    {"whitelist", "disable", CTL_WHITELIST_DISABLE, ARGS_NONE,
     "whitelist disable: takes no arguments"},
    {"hosts", "ls", CTL_HOSTS_LS, ARGS_NONE, "hosts ls: takes no arguments"},
    {"hosts", "add", CTL_HOSTS_ADD, ARGS_ADDR_NAME, "hosts add: expected ADDRESS NAME"},
    {"hosts", "rm", CTL_HOSTS_RM, ARGS_NAME_OR_ADDR, "hosts rm: expected one NAME or ADDRESS"},
    {"managed", "ls", CTL_MANAGED_LS, ARGS_NONE, "managed ls: takes no arguments"},
    {"managed", "reload", CTL_MANAGED_RELOAD, ARGS_NONE, "managed reload: takes no arguments"},
};

static bool parse_mesh(struct tokenizer *tk, const struct token *group, struct ctl_cmd *cmd,
		       struct failure *err)
{
	static const struct {
		const char *group, *expected;
	} groups[] = {
	    {"whitelist", "whitelist: expected ls, add, rm, enable or disable"},
	    {"hosts", "hosts: expected ls, add or rm"},
	    {"managed", "managed: expected ls or reload"},
	};
	const char *expected = groups[0].expected;
	const struct mesh_syntax *syn = NULL;
	struct token t, a, b;
	size_t n = 0;

	if (next_token(tk, &t))
		for (size_t i = 0; i < sizeof(mesh_syntaxes) / sizeof(mesh_syntaxes[0]); i++)
			if (tok_is(group, mesh_syntaxes[i].group) &&
			    tok_is(&t, mesh_syntaxes[i].word))
				syn = &mesh_syntaxes[i];
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (tok_is(group, groups[i].group))
			expected = groups[i].expected;
	if (syn == NULL)
		return fail(err, CTL_UNKNOWN_COMMAND, expected);
	cmd->kind = syn->kind;
	/* How many arguments follow: 0, 1, 2, or 3 for "more than two". */
	if (next_token(tk, &a)) {
		n = 1;
		if (next_token(tk, &b))
			n = at_end(tk) ? 2 : 3;
	}
	switch (syn->args) {
	case ARGS_NONE:
		return n == 0 || fail(err, CTL_UNKNOWN_COMMAND, syn->usage);
	case ARGS_ADDR:
		if (n != 1)
			return fail(err, n == 0 ? CTL_MISSING_ARGUMENT : CTL_UNKNOWN_COMMAND,
				    syn->usage);
		return parse_mesh_addr(&a, cmd, err, "ADDRESS: not an IPv6 address",
				       "ADDRESS: not a mesh address (fc94::/16)");
	case ARGS_ADDR_NAME:
		if (n != 2)
			return fail(err, n < 2 ? CTL_MISSING_ARGUMENT : CTL_UNKNOWN_COMMAND,
				    syn->usage);
		return parse_mesh_addr(&a, cmd, err, "ADDRESS: not an IPv6 address",
				       "ADDRESS: not a mesh address (fc94::/16)") &&
		       parse_mesh_name(&b, cmd, err,
				       "NAME: not one lowercase RFC 1123 label (a-z, 0-9, '-', "
				       "at most 63)");
	case ARGS_NAME_OR_ADDR:
		if (n != 1)
			return fail(err, n == 0 ? CTL_MISSING_ARGUMENT : CTL_UNKNOWN_COMMAND,
				    syn->usage);
		/* A name has no ':', an address always has one. */
		if (memchr(a.s, ':', a.len) != NULL)
			return parse_mesh_addr(&a, cmd, err, "ADDRESS: not an IPv6 address",
					       "ADDRESS: not a mesh address (fc94::/16)");
		return parse_mesh_name(&a, cmd, err,
				       "NAME: not one lowercase RFC 1123 label (a-z, 0-9, '-', "
				       "at most 63)");
	}
	return false;
}

/* The trimmed line into *cmd; false with err filled in if it is not one. */
static bool parse_line(const char *line, size_t len, struct ctl_cmd *cmd,
		       struct failure *err)
{
	struct tokenizer tk = {.s = line, .len = len, .pos = 0};
	struct token t;

	if (line == NULL)
		len = 0;
	while (len > 0 && is_trim(line[len - 1]))
		len--;
	while (tk.pos < len && is_trim(line[tk.pos]))
		tk.pos++;
	tk.len = len;

	memset(cmd, 0, sizeof(*cmd));
	if (!next_token(&tk, &t))
		return fail(err, CTL_EMPTY, "empty line");

	if (tok_is(&t, "save")) {
		cmd->kind = CTL_SAVE;
		if (!at_end(&tk))
			return fail(err, CTL_UNKNOWN_COMMAND, "save: takes no arguments");
	} else if (tok_is(&t, "status")) {
		cmd->kind = CTL_STATUS;
		if (next_token(&tk, &t)) {
			if (!tok_is(&t, "--json") || !at_end(&tk))
				return fail(err, CTL_UNKNOWN_COMMAND,
					    "status: only --json may follow");
			cmd->kind = CTL_STATUS_JSON;
		}
	} else if (tok_is(&t, "reload")) {
		cmd->kind = CTL_RELOAD;
		if (!at_end(&tk))
			return fail(err, CTL_UNKNOWN_COMMAND,
				    "reload: takes no arguments");
	} else if (tok_is(&t, "metrics")) {
		cmd->kind = CTL_METRICS;
		if (!at_end(&tk))
			return fail(err, CTL_UNKNOWN_COMMAND,
				    "metrics: takes no arguments");
	} else if (tok_is(&t, "policy")) {
		return parse_policy(&tk, cmd, err);
	} else if (tok_is(&t, "whitelist") || tok_is(&t, "hosts") || tok_is(&t, "managed")) {
		return parse_mesh(&tk, &t, cmd, err);
	} else {
		return fail(err, CTL_UNKNOWN_COMMAND, "unknown command");
	}
	return true;
}

enum ctl_err ctl_parse_line(const char *line, size_t len, struct ctl_cmd *out,
			    const char **detail)
{
	struct failure err = {CTL_OK, NULL};
	struct ctl_cmd cmd;
	bool ok = parse_line(line, len, &cmd, &err);

	if (detail != NULL)
		*detail = err.detail;
	if (!ok)
		return err.err;
	if (out != NULL)
		*out = cmd;
	return CTL_OK;
}

bool ctl_has_rule(enum ctl_kind kind)
{
	return kind == CTL_POLICY_ADD || kind == CTL_POLICY_REPLACE || kind == CTL_POLICY_CHECK;
}

bool ctl_is_mesh(enum ctl_kind kind)
{
	return kind >= CTL_WHITELIST_LS && kind <= CTL_MANAGED_RELOAD;
}

/* false, with why, when c (given as flag) has bits set below its prefix. */
static bool network_only(const char *flag, const struct cidr *c, char *why, size_t cap)
{
	struct cidr net = {.addr = cidr_network(c), .prefix = c->prefix};
	char given[CIDR_STR_MAX], want[CIDR_STR_MAX], host[CIDR_STR_MAX];
	struct cidr one = {.addr = c->addr, .prefix = 32};

	if (net.addr == c->addr)
		return true;
	cidr_format(c, given);
	cidr_format(&net, want);
	cidr_format(&one, host);
	snprintf(why, cap,
		 "%s %s has host bits set: its network is %s (or, for that one address, %s)",
		 flag, given, want, host);
	return false;
}

bool ctl_rule_check(const struct ctl_cmd *cmd, char *why, size_t cap)
{
	const struct policy_rule *r = &cmd->rule;

	if (!ctl_has_rule(cmd->kind))
		return true;
	if (r->action == POLICY_FORWARD && r->target > UINT16_MAX) {
		snprintf(why, cap,
			 "--target %u: outside 0..65535 (a peer id 1..65535, or 0 = this node)",
			 (unsigned)r->target);
		return false;
	}
	/*
	 * A replace names an existing rule, host bits and all (the config may
	 * derive such rules, older versions took them from policy add).
	 */
	if (cmd->kind == CTL_POLICY_REPLACE)
		return true;
	return network_only("--src", &r->src, why, cap) &&
	       network_only("--dst", &r->dst, why, cap);
}
