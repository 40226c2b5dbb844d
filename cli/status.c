/*
 * status, status --json and metrics: the replies that say they failed, and
 * metrics' answer when the daemon is down.
 */
#include "cli/cli.h"

#include <stdio.h>

#include "core/metrics.h"

bool status_failed(const char *reply, size_t len)
{
	return starts_with(reply, len, "status unavailable") ||
	       starts_with(reply, len, "{\"error\":");
}

bool metrics_failed(const char *reply, size_t len)
{
	return starts_with(reply, len, "# metrics unavailable");
}

/*
 * A scrape still gets valid exposition text when the daemon is down: the
 * reason is on stderr, stdout says subnetra_up 0, and the exit status is 1.
 * A daemon this user may not talk to is not "down": that is an error of
 * the scrape (stderr and exit 1, nothing on stdout).
 */
int cmd_metrics(const struct command *cmd, const struct request *req)
{
	static char reply[REPLY_MAX];
	enum link link;
	size_t n = 0;
	int rc = exchange(req, req->line, req->len, reply, sizeof(reply), &n, &link);
	char down[512];

	if (rc == EXIT_OK)
		return print_reply(cmd, reply, n);
	if (link == LINK_DOWN) {
		n = metrics_render_down(down, sizeof(down));
		fwrite(down, 1, n, stdout);
		fflush(stdout);
	}
	return rc;
}
