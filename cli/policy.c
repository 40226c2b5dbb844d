/*
 * policy add and replace stay fire-and-forget, but a forward to a peer is
 * checked first with a "policy check" request, because only the daemon
 * knows which peers are configured: an unknown --target is refused here
 * with exit 2 instead of being installed (or dropped) silently.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

bool check_failed(const char *reply, size_t len)
{
	return !starts_with(reply, len, "ok");
}

/*
 * Ask the daemon whether it takes the rule of an add (or the target of a
 * replace): only it knows the configured peers.  Prints its notes; returns
 * EXIT_OK, EXIT_USAGE when refused, or the exchange's failure.
 */
static int check_rule(const struct request *req, const char *verb)
{
	static char reply[512];
	struct policy_rule r = req->parsed.rule;
	char line[MAX_RULE_LINE + 16], text[MAX_RULE_LINE];
	const char *p, *end;
	enum link link;
	size_t n = 0;
	int rc;

	/* A replace names an existing rule: only its new target is in question. */
	if (req->parsed.kind == CTL_POLICY_REPLACE)
		r.src = r.dst = (struct cidr){.addr = 0, .prefix = 0};
	if (policy_rule_format(&r, text, sizeof(text)) == 0)
		return EXIT_FAIL; /* cannot happen: a rule line fits MAX_RULE_LINE */
	/* "policy add ...\n" -> "policy check ..." */
	n = (size_t)snprintf(line, sizeof(line), "policy check %s", text + strlen("policy add "));
	rc = exchange(req, line, n - 1, reply, sizeof(reply) - 1, &n, &link);
	if (rc != EXIT_OK)
		return rc;
	reply[n] = '\0';
	if (check_failed(reply, n)) {
		fprintf(stderr, "subnetra: policy %s refused by the daemon, nothing sent: %.*s\n",
			verb, (int)strcspn(reply, "\n"),
			starts_with(reply, n, "refused: ") ? reply + 9 : reply);
		return EXIT_USAGE;
	}
	/* "note:" lines say when an add would change nothing. */
	for (p = reply; req->parsed.kind == CTL_POLICY_ADD && *p != '\0'; p = end + (*end != '\0')) {
		end = p + strcspn(p, "\n");
		if (starts_with(p, (size_t)(end - p), "note: "))
			fprintf(stderr, "subnetra: %.*s\n", (int)(end - p), p);
	}
	return EXIT_OK;
}

/* policy add / replace: checked when it forwards to a peer, then sent. */
int cmd_send_rule(const struct command *cmd, const struct request *req)
{
	const char *verb = req->parsed.kind == CTL_POLICY_ADD ? "add" : "replace";
	const struct policy_rule *r = &req->parsed.rule;
	char text[MAX_RULE_LINE];
	int rc;

	if (r->action == POLICY_FORWARD && r->target != POLICY_TARGET_LOCAL) {
		rc = check_rule(req, verb);
		if (rc != EXIT_OK)
			return rc;
	}
	rc = cmd_send(cmd, req);
	/* The documented default is easy to miss: say what was sent. */
	if (rc == EXIT_OK && !req->parsed.action_given &&
	    policy_rule_format(r, text, sizeof(text)) > 0)
		fprintf(stderr, "subnetra: note: no --action given, so this is a drop rule: "
				"policy %s %s", verb, text + strlen("policy add "));
	return rc;
}
