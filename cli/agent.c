/*
 * subnetra agent [--config FILE]        the management agent (src/agent/agent.h)
 * subnetra agent status [--json] [--config FILE]
 *
 * and what join.c shares: the mesh config's state_dir, the control
 * socket's stem, management.url and .join_code; the running agent's pid;
 * its agent.status.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/agent.h"
#include "agent/agentstate.h"
#include "common/cliargs.h"
#include "core/config_error.h"
#include "os/linux/config_file.h"
#include "os/linux/mesh_identity.h"
#include "os/linux/statefile.h"

#define PROG "subnetra agent"

static const char synopsis[] = "usage: " PROG " [--config FILE]\n"
			       "       " PROG " status [--json] [--config FILE]\n";

static const char usage_rest[] =
    "The management agent: keeps this node's managed whitelist and host names\n"
    "in step with the management server (subnetra setup-server, subnetra join),\n"
    "writing <state_dir>/managed and telling subnetrad (managed reload).  It runs\n"
    "until SIGTERM; SIGHUP makes it read the requests of setup-server, join and\n"
    "leave.  It reads the daemon's mesh config (default " DEFAULT_CONFIG "):\n"
    "identity_file, state_dir and \"management\"; the control socket is\n"
    "$SUBNETRA_SOCK (default " DEFAULT_SOCK ").\n"
    "\n"
    "  status          print what the agent publishes: server, stage, device and\n"
    "                  instance, applied bundle, last contact, last error, the\n"
    "                  refusal counters (--json: one JSON object)\n"
    "\n"
    "exit status: 0 done (status: the agent runs), 1 the config or identity could\n"
    "not be used, or (status) the agent is not running or has never run, 2 usage\n"
    "error\n";

#define usage_error(...) cliarg_usage_error(PROG, synopsis, __VA_ARGS__)

const char *sock_path(void)
{
	const char *env = getenv("SUBNETRA_SOCK");

	return env != NULL && env[0] != '\0' ? env : DEFAULT_SOCK;
}

int agent_env_load(const char *path, struct agent_env *e)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	struct config_error err;
	char msg[512];
	const char *sock = sock_path(), *base = strrchr(sock, '/');
	size_t n;
	int rc = EXIT_FAIL;

	memset(e, 0, sizeof(*e));
	if (cfg == NULL)
		return EXIT_FAIL;
	if (config_load(cfg, path != NULL ? path : DEFAULT_CONFIG, &err) < 0) {
		config_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "subnetra: %s\n", msg);
		goto out;
	}
	if (cfg->mode != CONFIG_MODE_MESH) {
		fprintf(stderr, "subnetra: %s: not a mesh node's config (\"mode\": \"mesh\")\n",
			path != NULL ? path : DEFAULT_CONFIG);
		goto out;
	}
	snprintf(e->state_dir, sizeof(e->state_dir), "%s", cfg->mesh.state_dir);
	snprintf(e->url, sizeof(e->url), "%s", cfg->mesh.mgmt_url);
	snprintf(e->code, sizeof(e->code), "%s", cfg->mesh.mgmt_join_code);
	snprintf(e->identity_file, sizeof(e->identity_file), "%s", cfg->mesh.identity_file);
	/* the stem of the daemon's own state files: the socket's name without .sock */
	base = base != NULL ? base + 1 : sock;
	n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".sock") == 0)
		n -= 5;
	snprintf(e->stem, sizeof(e->stem), "%.*s", (int)n, base);
	rc = EXIT_OK;
out:
	config_wipe(cfg);
	free(cfg);
	return rc;
}

long agent_pid(const struct agent_env *e)
{
	char path[300], buf[32];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", e->state_dir, AGENT_PID_FILE);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL)
		pid = strtol(buf, NULL, 10);
	fclose(f);
	if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		return 0;
	return pid;
}

bool agent_state_read(const struct agent_env *e, struct agent_state *s)
{
	char path[300], text[AGENT_STATE_MAX];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", e->state_dir, AGENT_STATE_FILE);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	return agent_state_parse(text, n, s);
}

/* The control socket, for the agent: one request and its reply. */
static int ctl(void *ctx, const char *line, char *reply, size_t cap, size_t *n)
{
	struct request *req = ctx;
	enum link link;

	return exchange(req, line, strlen(line), reply, cap, n, &link);
}

static int run(const char *config)
{
	static struct request req;
	struct agent_env e;
	struct config *cfg;
	struct config_error err;
	struct identity id;
	struct agent_opts o;
	char msg[512];
	bool readable = false;
	int rc;

	if (sodium_init() < 0) {
		fprintf(stderr, "subnetra: crypto library initialisation failed\n");
		return EXIT_FAIL;
	}
	rc = agent_env_load(config, &e);
	if (rc != EXIT_OK)
		return rc;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return EXIT_FAIL;
	config_defaults(cfg);
	cfg->mode = CONFIG_MODE_MESH;
	snprintf(cfg->mesh.identity_file, sizeof(cfg->mesh.identity_file), "%s",
		 e.identity_file);
	rc = mesh_identity_load(cfg, config != NULL ? config : DEFAULT_CONFIG, &id, &readable,
				&err);
	free(cfg);
	if (rc < 0) {
		config_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "subnetra: %s\n", msg);
		return EXIT_FAIL;
	}
	req.sock_path = sock_path();
	o = (struct agent_opts){.state_dir = e.state_dir, .stem = e.stem, .cfg_url = e.url,
				.cfg_code = e.code, .sk = id.sk, .addr = id.addr, .ctl = ctl,
				.ctl_ctx = &req};
	rc = agent_run(&o);
	identity_wipe(&id);
	sodium_memzero(&e, sizeof(e));
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

static int status(const char *config, bool json)
{
	struct agent_state s;
	struct agent_env e;
	char out[AGENT_STATE_MAX * 2];
	long pid;
	size_t n;

	if (agent_env_load(config, &e) != EXIT_OK)
		return EXIT_FAIL;
	pid = agent_pid(&e);
	if (!agent_state_read(&e, &s)) {
		fprintf(stderr, "subnetra: the agent has never run with state_dir %s: start it "
				"(subnetra agent, or systemctl start subnetra-agent)\n",
			e.state_dir);
		return EXIT_FAIL;
	}
	if (json) {
		n = agent_state_json(&s, out, sizeof(out));
		/* the object with "running" first */
		printf("{\"running\":%s,%s", pid ? "true" : "false", n > 1 ? out + 1 : "}\n");
	} else {
		n = agent_state_text(&s, out, sizeof(out));
		printf("running: %s\n%.*s", pid ? "yes" : "no (the lines below are its last state)",
		       (int)n, out);
	}
	return pid ? EXIT_OK : EXIT_FAIL;
}

int cmd_agent(int argc, char **argv)
{
	const char *config = NULL;
	bool want_status = false, json = false;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("%s\n%s", synopsis, usage_rest);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (i == 0 && strcmp(argv[i], "status") == 0)
			want_status = true;
		else if (want_status && strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return usage_error("unexpected argument '%s'", argv[i]);
	}
	return want_status ? status(config, json) : run(config);
}
