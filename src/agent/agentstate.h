/*
 * What the agent publishes about itself, for `subnetra agent status`,
 * `subnetra join` and `subnetra leave` to read: <state_dir>/agent.status,
 * saved atomically (mode 0644) whenever it changes, one "key value" line
 * each (keys in agent_state_save's order; a reader skips keys it does not
 * know):
 *
 *   subnetra-agent 1
 *   pid 1234                 url http://[fc94::1]:8080/
 *   stage poll               device fc94:...         joined 1
 *   hostname dev1            instance <32 hex>       instance_name Acme robots
 *   applied 1.1796585283000  peers 2
 *   last_contact 1796585290  (unix s; 0: never)      last_error ...
 *   join 17 ok               join_error ...          (the last `subnetra join`)
 *   join_bundle 1.3 2        join_daemon ok ...       (its first bundle: E.S and peers;
 *                                                      the daemon's managed reload)
 *   leave 0                  leave_error ...
 *   refused bad_signature=0 malformed=0 ...          status_sent 3 status_failed 0
 *
 * Requests the other way are files too (agent.c): agent.url
 * (setup-server), agent.join and agent.leave, each followed by SIGHUP to
 * the pid in agent.pid; their text (agent_*_req below):
 *
 *   agent.url    URL LF                     (0644)
 *   agent.join   CODE LF HOSTNAME LF ID LF  (0600: the code; HOSTNAME may be empty)
 *   agent.leave  ID LF
 *
 * ID: the request's id, decimal, nonzero, which agent.status answers under.
 */
#ifndef SUBNETRA_AGENT_AGENTSTATE_H
#define SUBNETRA_AGENT_AGENTSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/client.h"
#include "core/mesh/identity.h"
#include "core/mgmt/joincode.h"

#define AGENT_STATE_FILE "agent.status"
#define AGENT_PID_FILE   "agent.pid"
#define AGENT_URL_FILE   "agent.url"
#define AGENT_JOIN_FILE  "agent.join"
#define AGENT_LEAVE_FILE "agent.leave"

enum { AGENT_STATE_MAX = 8192, AGENT_TEXT_MAX = 200 };

/* The outcome of a `subnetra join` or `subnetra leave` request, by its id. */
struct agent_request {
	uint64_t id;		       /* 0: none yet */
	char result[16];	       /* "pending", "ok", "error" */
	char error[AGENT_TEXT_MAX];    /* with "error": why (the server's code: message) */
	/* join only: the first bundles applied after it, and what the daemon said */
	char bundle[48];	       /* "E.S", or "" before one */
	uint64_t peers;		       /* that bundle's */
	char daemon[AGENT_TEXT_MAX];   /* "" (no bundle yet), "pending", "ok <reload's
					  reply>", "down: <why>" (the control socket
					  does not answer), "refused: <reply>" */
};

struct agent_state {
	uint64_t pid;
	char url[MGMT_URL_MAX + 1];
	char stage[24]; /* unconfigured, not-joined, license, join, poll, left */
	char device[IDENTITY_ADDR_TEXT];
	bool joined;
	char hostname[MGMT_NAME_MAX + 1];
	char instance[2 * MGMT_INSTANCE_LEN + 1];
	char instance_name[MGMT_TITLE_MAX + 1];
	char dashboard[MGMT_URL_MAX + 1]; /* the license's dashboard_url, "" if none */
	char applied[48]; /* "E.S", or "none" */
	uint64_t peers;
	int64_t last_contact;
	char last_error[AGENT_TEXT_MAX];
	struct agent_request join, leave;
	uint64_t refused[MGMT_REFUSALS];
	uint64_t status_sent, status_failed;
};

/* A `subnetra join` request. */
struct agent_join_req {
	char code[MGMT_JOINCODE_LEN + 1];
	char hostname[MGMT_NAME_MAX + 1];
	uint64_t id;
};

enum { AGENT_REQ_MAX = 512 }; /* the longest request file read */

/*
 * The request files' text into out[0..cap): the length, 0 when it does not
 * fit.  The parsers take text[0..len) (any bytes) and return false unless
 * it is one such request: every line of its field's size at most, no NUL,
 * the id a nonzero decimal; on false *r is zeroed except the id when its
 * line was one (the refusal can still be answered).
 */
size_t agent_join_req_format(const struct agent_join_req *r, char *out, size_t cap);
bool agent_join_req_parse(const char *text, size_t len, struct agent_join_req *r);
size_t agent_leave_req_format(uint64_t id, char *out, size_t cap);
bool agent_leave_req_parse(const char *text, size_t len, uint64_t *id);
/* agent.url: url[MGMT_URL_MAX + 1] (not checked as a URL: the client does). */
size_t agent_url_req_format(const char *url, char *out, size_t cap);
bool agent_url_req_parse(const char *text, size_t len, char *url);

/* Printable ASCII only, at most cap - 1 bytes (others become '?'): for text from a server. */
void agent_text_copy(char *dst, size_t cap, const char *src, size_t len);

/* The file's text into out (AGENT_STATE_MAX): its length, 0 if it did not fit. */
size_t agent_state_render(const struct agent_state *s, char *out, size_t cap);
/* text[0..len) into *s (zeroed first); false unless it starts "subnetra-agent 1". */
bool agent_state_parse(const char *text, size_t len, struct agent_state *s);
/* As JSON (`subnetra agent status --json`), one line. */
size_t agent_state_json(const struct agent_state *s, char *out, size_t cap);
/* As `subnetra agent status` prints it. */
size_t agent_state_text(const struct agent_state *s, char *out, size_t cap);

#endif
