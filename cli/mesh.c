/*
 * whitelist, hosts and managed (mesh mode): the daemon answers every one; a
 * reply starting "refused: " (nothing changed: already listed, not listed,
 * a peer's or a managed name, a managed file refused) goes to stderr with
 * exit 2, one starting "failed: " (not a mesh daemon, no hosts_file,
 * applied but not saved, the hosts file not written) to stderr with exit
 * 1; anything else is printed as is.
 */
#include "cli/cli.h"

#include <stdio.h>

int cmd_mesh(const struct command *cmd, const struct request *req)
{
	static char reply[REPLY_MAX];
	enum link link;
	size_t n = 0;
	int rc = exchange(req, req->line, req->len, reply, sizeof(reply), &n, &link);

	if (rc != EXIT_OK)
		return rc;
	if (starts_with(reply, n, "refused: ")) {
		fprintf(stderr, "subnetra: %.*s", (int)n, reply);
		return EXIT_USAGE;
	}
	if (starts_with(reply, n, "failed: ")) {
		fprintf(stderr, "subnetra: %.*s", (int)n, reply);
		return EXIT_FAIL;
	}
	return print_reply(cmd, reply, n);
}
