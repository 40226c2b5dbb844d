/*
 * subnetra setup-server URL | join CODE | leave: requests to the running
 * agent (cli/agent.c, src/agent/agent.h).  Each writes its request into
 * state_dir (agent.url 0644; agent.join 0600, it holds the code; agent.leave)
 * and sends the agent SIGHUP; join and leave then wait for the agent's
 * answer in agent.status, matched by a fresh request id.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/agentstate.h"
#include "common/cliargs.h"
#include "core/mesh/name.h"
#include "core/mgmt/joincode.h"
#include "core/mgmt/text.h"
#include "core/mgmt/url.h"
#include "os/linux/clock.h"
#include "os/linux/statefile.h"


static const char usage_rest[] =
    "Requests to the management agent (subnetra agent), which must run:\n"
    "  setup-server URL  the management server's URL (http://[fc94:...]:PORT/),\n"
    "                    saved in state_dir over the config's management.url\n"
    "  join CODE         join with a code from the dashboard; waits until the\n"
    "                    server took it (prints the device and the instance) or\n"
    "                    refused it (prints the server's error code and message),\n"
    "                    then until the first bundle is applied to subnetrad\n"
    "                    (prints its peers and the daemon's managed reload)\n"
    "  join --claim      join without a code: asks the server for a claim and\n"
    "                    prints the claim link (valid one hour, used once) that\n"
    "                    an operator opens in the dashboard to put the device\n"
    "                    into a network; the URL must be the server's fc94\n"
    "                    address (the overlay authenticates it, so the server's\n"
    "                    key is trusted on first use)\n"
    "  leave             leave every network: the server drops the device from\n"
    "                    them, the agent empties the managed set and forgets the\n"
    "                    server's keys\n"
    "  --hostname H      the name the device asks for (a mesh name)\n"
    "  --timeout S       how long join and leave wait, in all (default 30 s)\n"
    "  --config FILE     the mesh config (default " DEFAULT_CONFIG ")\n"
    "\n"
    "exit status: 0 done (join: joined and the daemon applied the first bundle),\n"
    "1 no agent running, refused by the server (join code unknown, expired, used,\n"
    "revoked; license refused), no answer in time, or the config could not be\n"
    "used, 2 usage error, 3 (join) joined, but not applied yet: subnetrad does\n"
    "not run (it applies the bundle when it starts), refused the managed file,\n"
    "or no bundle came in time\n";

/* A usage error with the one command's usage line. */
#define usage(a, ...) cliarg_usage_error((a)->prog, (a)->synopsis, __VA_ARGS__)

/* join: the server took the code, the daemon has not applied its bundle (yet) */
enum { EXIT_NOT_APPLIED = 3 };

#define SYN_SETUP "usage: subnetra setup-server URL [--config FILE]\n"
#define SYN_JOIN                                                                             \
	"usage: subnetra join CODE|--claim [--hostname H] [--config FILE] [--timeout S]\n"
#define SYN_LEAVE "usage: subnetra leave [--config FILE] [--timeout S]\n"

struct args {
	const char *prog, *synopsis, *config, *word, *hostname;
	unsigned timeout_s;
	bool claim; /* join --claim */
};

/* [WORD] [--hostname H] [--config FILE] [--timeout S]; EXIT_OK or the usage exit. */
static int parse(int argc, char **argv, bool want_word, bool hostname, struct args *a)
{
	a->config = NULL;
	a->word = NULL;
	a->hostname = "";
	a->timeout_s = 30;
	a->claim = false;
	for (int i = 0; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf(SYN_SETUP SYN_JOIN SYN_LEAVE "\n%s", usage_rest);
			exit(EXIT_OK);
		}
		if (strcmp(argv[i], "--config") == 0 && v != NULL) {
			a->config = v;
		} else if (hostname && strcmp(argv[i], "--hostname") == 0 && v != NULL) {
			a->hostname = v;
		} else if (hostname && strcmp(argv[i], "--claim") == 0) {
			a->claim = true;
			continue;
		} else if (strcmp(argv[i], "--timeout") == 0 && v != NULL &&
			   strcmp(a->prog, "subnetra setup-server") != 0) {
			if (!cliarg_uint(v, 1, 86400, &a->timeout_s))
				return usage(a, "--timeout: '%s' is not 1..86400 seconds", v);
		} else if (want_word && a->word == NULL && argv[i][0] != '-') {
			a->word = argv[i];
			continue;
		} else {
			return usage(a, "unexpected argument '%s'", argv[i]);
		}
		i++;
	}
	if (a->claim && a->word != NULL)
		return usage(a, "a code and --claim: one or the other");
	if (want_word && a->word == NULL && !a->claim)
		return usage(a, "missing argument");
	return EXIT_OK;
}

static int save(const struct agent_env *e, const char *name, const char *text, mode_t mode)
{
	char err[512];
	int dirfd = open(e->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = dirfd < 0 ? -errno
			   : statefile_save_mode(dirfd, name, e->state_dir, text, strlen(text),
						 mode, err, sizeof(err));

	if (dirfd < 0)
		snprintf(err, sizeof(err), "%s: %s", e->state_dir, strerror(-rc));
	if (dirfd >= 0)
		close(dirfd);
	if (rc < 0)
		fprintf(stderr, "subnetra: %s\n", err);
	return rc;
}

/* The pid of the agent of config's state_dir (*e loaded), or 0 having said why. */
static long running_agent(const char *config, struct agent_env *e)
{
	long pid;

	if (agent_env_load(config, e) != EXIT_OK)
		return 0;
	pid = agent_pid(e);
	if (pid == 0)
		fprintf(stderr,
			"subnetra: no management agent runs for state_dir %s: start it with "
			"'systemctl start subnetra-agent' (or 'subnetra agent &')\n",
			e->state_dir);
	return pid;
}

/* Wait for the agent's answer to request id until end (mono_ns); EXIT_OK when it says ok. */
static int wait_answer(const struct agent_env *e, bool join, uint64_t id, uint64_t end,
		       struct agent_state *s)
{
	for (;;) {
		const struct agent_request *r = join ? &s->join : &s->leave;
		bool have = agent_state_read(e, s);

		if (have && r->id == id && strcmp(r->result, "ok") == 0)
			return EXIT_OK;
		if (have && r->id == id && strcmp(r->result, "error") == 0) {
			fprintf(stderr, "subnetra: %s refused: %s\n", join ? "join" : "leave",
				r->error);
			return EXIT_FAIL;
		}
		if (mono_ns() >= end || agent_pid(e) == 0) {
			fprintf(stderr, "subnetra: %s: %s%s%s\n",
				agent_pid(e) == 0 ? "the agent stopped"
						  : "no answer from the management server in time",
				have ? s->url : "", have && s->last_error[0] ? "; last error: " : "",
				have ? s->last_error : "");
			return EXIT_FAIL;
		}
		poll(NULL, 0, 100);
	}
}

/* "down: ..." */
static bool daemon_down(const struct agent_request *r)
{
	return strncmp(r->daemon, "down", 4) == 0;
}

/*
 * After the server took join id: until its first bundle is applied to the
 * daemon (EXIT_OK), or the daemon is down, refused it, or end came
 * (EXIT_NOT_APPLIED); the agent stopping is EXIT_FAIL.
 */
static int wait_applied(const struct agent_env *e, uint64_t id, uint64_t end,
			struct agent_state *s)
{
	const struct agent_request *r = &s->join;

	for (;;) {
		bool have = agent_state_read(e, s) && r->id == id;

		if (have && strncmp(r->daemon, "ok", 2) == 0) {
			printf("applied: bundle %s, %" PRIu64 " peer%s; subnetrad took it (%s)\n",
			       r->bundle, r->peers, r->peers == 1 ? "" : "s", r->daemon);
			return EXIT_OK;
		}
		if (have && r->bundle[0] != '\0' && r->daemon[0] != '\0' &&
		    strcmp(r->daemon, "pending") != 0) {
			printf("not applied yet: bundle %s, %" PRIu64 " peer%s, is in %s/managed, "
			       "but subnetrad %s\n",
			       r->bundle, r->peers, r->peers == 1 ? "" : "s", e->state_dir,
			       daemon_down(r) ? "is not running (its control socket does not "
						"answer): it applies the bundle when it starts"
					      : "refused it:");
			if (!daemon_down(r))
				printf("  %s\n", r->daemon);
			return EXIT_NOT_APPLIED;
		}
		if (agent_pid(e) == 0) {
			fprintf(stderr, "subnetra: join: the agent stopped\n");
			return EXIT_FAIL;
		}
		if (mono_ns() >= end) {
			printf("not applied yet: %s in time\n",
			       have && r->bundle[0] ? "no answer from subnetrad"
						    : "no bundle from the management server");
			return EXIT_NOT_APPLIED;
		}
		poll(NULL, 0, 100);
	}
}

int cmd_setup_server(int argc, char **argv)
{
	struct args a = {.prog = "subnetra setup-server", .synopsis = SYN_SETUP};
	struct agent_env e;
	struct mgmt_url u;
	const char *why;
	char text[AGENT_REQ_MAX];
	long pid;
	int rc = parse(argc, argv, true, false, &a);

	if (rc != EXIT_OK)
		return rc;
	why = strlen(a.word) > MGMT_URL_MAX ? "longer than 256 characters"
					   : mgmt_url_parse(a.word, strlen(a.word), &u);
	if (why != NULL)
		return usage(&a, "not a management URL: %s", why);
	if (agent_env_load(a.config, &e) != EXIT_OK)
		return EXIT_FAIL;
	if (agent_url_req_format(a.word, text, sizeof(text)) == 0 ||
	    save(&e, AGENT_URL_FILE, text, 0644) < 0)
		return EXIT_FAIL;
	pid = agent_pid(&e);
	if (pid != 0 && kill((pid_t)pid, SIGHUP) == 0)
		printf("management server %s saved; the agent (pid %ld) uses it now\n", a.word, pid);
	else
		printf("management server %s saved; no agent runs: start it with 'systemctl start "
		       "subnetra-agent' (or 'subnetra agent &')\n",
		       a.word);
	return EXIT_OK;
}

static uint64_t deadline(unsigned timeout_s)
{
	return mono_ns() + (uint64_t)timeout_s * 1000000000u;
}

static uint64_t request_id(void)
{
	return (wall_ns() ^ ((uint64_t)getpid() << 40)) | 1;
}

/* The claim link: the license's dashboard URL, /claim#, the device, the secret. */
static void print_claim(const struct agent_state *s, const char *secret_hex)
{
	size_t dl = strlen(s->dashboard);

	while (dl > 0 && s->dashboard[dl - 1] == '/')
		dl--;
	printf("claim link (one hour, used once; open it signed in to the dashboard to put "
	       "this device into a network):\n  %.*s/claim#%s.%s\n",
	       (int)dl, s->dashboard, s->device, secret_hex);
	if (dl == 0)
		printf("  (the license names no dashboard URL: open /claim#... on your "
		       "dashboard)\n");
}

int cmd_join(int argc, char **argv)
{
	struct args a = {.prog = "subnetra join", .synopsis = SYN_JOIN};
	struct mgmt_joincode jc;
	struct agent_join_req req;
	struct agent_state s;
	uint8_t secret[32];
	char secret_hex[2 * sizeof(secret) + 1] = "";
	struct agent_env e;
	char text[AGENT_REQ_MAX];
	uint64_t id = request_id(), end;
	long pid;
	int rc = parse(argc, argv, true, true, &a);

	if (rc != EXIT_OK)
		return rc;
	if (!a.claim && !mgmt_joincode_parse(a.word, strlen(a.word), &jc))
		return usage(&a, "%s", "not a join code (snj_..., 72 characters)");
	sodium_memzero(&jc, sizeof(jc));
	if (a.hostname[0] != '\0' && !mesh_name_valid(a.hostname, strlen(a.hostname)))
		return usage(&a, "--hostname: '%s' is not a host name (1-63 of a-z 0-9 -)",
			     a.hostname);
	pid = running_agent(a.config, &e);
	if (pid == 0)
		return EXIT_FAIL;
	if (a.claim) {
		/* ours, not the agent's: it goes into the link printed here */
		randombytes_buf(secret, sizeof(secret));
		mgmt_hex_encode(secret_hex, secret, sizeof(secret));
		snprintf(req.code, sizeof(req.code), "%s%s", MGMT_CLIENT_CLAIM, secret_hex);
	} else {
		snprintf(req.code, sizeof(req.code), "%s", a.word);
	}
	snprintf(req.hostname, sizeof(req.hostname), "%s", a.hostname);
	req.id = id;
	rc = agent_join_req_format(&req, text, sizeof(text)) > 0
		     ? save(&e, AGENT_JOIN_FILE, text, 0600)
		     : -EINVAL;
	sodium_memzero(text, sizeof(text));
	sodium_memzero(&req, sizeof(req));
	if (rc < 0)
		return EXIT_FAIL;
	end = deadline(a.timeout_s);
	kill((pid_t)pid, SIGHUP);
	rc = wait_answer(&e, true, id, end, &s);
	if (rc == EXIT_OK && a.claim)
		print_claim(&s, secret_hex);
	sodium_memzero(secret_hex, sizeof(secret_hex));
	sodium_memzero(secret, sizeof(secret));
	if (rc != EXIT_OK)
		return rc;
	printf("%s: device %s%s%s, instance %s (%s), server %s\n",
	       a.claim ? "claim requested" : "joined", s.device,
	       s.hostname[0] ? " hostname " : "", s.hostname,
	       s.instance_name[0] ? s.instance_name : "-", s.instance, s.url);
	fflush(stdout);
	return wait_applied(&e, id, end, &s);
}

int cmd_leave(int argc, char **argv)
{
	struct args a = {.prog = "subnetra leave", .synopsis = SYN_LEAVE};
	struct agent_state s;
	struct agent_env e;
	char text[32];
	uint64_t id = request_id();
	long pid;
	int rc = parse(argc, argv, false, false, &a);

	if (rc != EXIT_OK)
		return rc;
	pid = running_agent(a.config, &e);
	if (pid == 0)
		return EXIT_FAIL;
	if (agent_leave_req_format(id, text, sizeof(text)) == 0 ||
	    save(&e, AGENT_LEAVE_FILE, text, 0600) < 0)
		return EXIT_FAIL;
	kill((pid_t)pid, SIGHUP);
	rc = wait_answer(&e, false, id, deadline(a.timeout_s), &s);
	if (rc == EXIT_OK)
		printf("left: device %s is in no network of %s; managed set emptied\n", s.device,
		       s.url);
	return rc;
}
