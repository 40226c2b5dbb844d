/*
 * `subnetra agent`: the device's management agent.  One process beside
 * subnetrad (which does not link any of this: its static size budget, and
 * HTTP/JSON parsing of server answers kept out of the network-facing
 * process), one poll loop, no thread:
 *
 *   - drives mgmt_client (license, join, config long-poll) against the
 *     management URL (agent.url from `subnetra setup-server`, else the
 *     config's management.url);
 *   - on every applied bundle writes <state_dir>/managed (managed.h) and
 *     sends `managed reload` on the daemon's control socket, retried with
 *     backoff while the daemon is down (it reads the file at start-up
 *     anyway); before the first contact the file already names the
 *     management server, so the daemon lets the agent's traffic through;
 *   - reports status (report.h) every mgmt.status_s and after each change
 *     (at most every 5 s), and leaves when asked;
 *   - publishes what it does in agent.status (agentstate.h) and takes
 *     requests from `subnetra setup-server/join/leave` as files in
 *     state_dir plus SIGHUP (agentstate.h names them).
 */
#ifndef SUBNETRA_AGENT_AGENT_H
#define SUBNETRA_AGENT_AGENT_H

#include <stddef.h>
#include <stdint.h>

/*
 * One exchange with the daemon (the control socket): line sent, the reply
 * into reply[0..cap) (*n bytes).  0 when it answered, nonzero otherwise.
 */
typedef int (*agent_ctl_fn)(void *ctx, const char *line, char *reply, size_t cap, size_t *n);

struct agent_opts {
	const char *state_dir;
	const char *stem;      /* the control socket's name without .sock (store.h) */
	const char *cfg_url;   /* the config's management.url, or "" */
	const char *cfg_code;  /* the config's management.join_code, or "" */
	const uint8_t *sk;     /* the identity's Ed25519 secret key (64 bytes) */
	const uint8_t *addr;   /* its overlay address */
	agent_ctl_fn ctl;
	void *ctl_ctx;
};

/* Runs until SIGTERM or SIGINT: 0, or 1 after a start-up failure (printed). */
int agent_run(const struct agent_opts *o);

#endif
