/*
 * The device side of the management plane, as one state machine the node's
 * epoll loop drives (no thread, no blocking call; buffers allocated once at
 * mgmt_client_init):
 *
 *   LICENSE  GET license.json from the management URL; accept it
 *            (mgmt_license_accept: the join code's fingerprint first, the
 *            pinned keys after); save the license and the trust;
 *   JOIN     with a join code: signed POST /device/v1/join {"code","hostname"};
 *   POLL     signed GET /device/v1/config?have=E.S&wait=W, again and again;
 *            a bundle is accepted (mgmt_bundle_accept), saved to the cache
 *            BEFORE it is applied, then handed to the owner's apply().
 *
 * The device API is asked at the management URL's host and port (the
 * server's device listener serves license.json and /device/v1 alike).
 * HOST must be an IP literal: the daemon has no resolver in its loop.
 * The license's validity window is checked when our clock is within 24 h
 * of the answer's Date (a robot that boots in 1970 is not refused by its
 * own clock).  Errors back off 1, 2, 4 ... 60 s with +-50 % jitter; each refusal is
 * counted by reason (mgmt_client_refusal_name).
 */
#ifndef SUBNETRA_AGENT_CLIENT_H
#define SUBNETRA_AGENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/bundle.h"
#include "core/mgmt/joincode.h"
#include "core/mgmt/license.h"
#include "core/mgmt/url.h"
#include "agent/httpc.h"
#include "agent/store.h"

enum mgmt_client_stage { MGMT_STAGE_LICENSE, MGMT_STAGE_JOIN, MGMT_STAGE_POLL };

/*
 * A one-shot signed POST beside the long-poll, on a connection of its own
 * (mgmt_client_post): a status report, or leave.
 */
enum mgmt_aux_kind { MGMT_AUX_NONE, MGMT_AUX_STATUS, MGMT_AUX_LEAVE };
enum mgmt_aux_result { MGMT_AUX_PENDING, MGMT_AUX_OK, MGMT_AUX_FAILED };

/* Why a license, bundle or answer was refused: each a counter. */
enum mgmt_refusal {
	MGMT_REF_BAD_SIGNATURE,    /* envelope refused: unknown key, bad signature, foreign key */
	MGMT_REF_MALFORMED,        /* not a license / bundle, or a malformed envelope */
	MGMT_REF_STALE,
	MGMT_REF_CONFLICT,
	MGMT_REF_FOREIGN_DEVICE,
	MGMT_REF_FOREIGN_INSTANCE,
	MGMT_REF_EXPIRED,          /* expired or not yet valid license */
	MGMT_REF_HTTP,             /* a transport error or an unexpected status */
	MGMT_REFUSALS,
};

const char *mgmt_refusal_name(enum mgmt_refusal r);

#define MGMT_BACKOFF_MIN_NS UINT64_C(1000000000)
#define MGMT_BACKOFF_MAX_NS UINT64_C(60000000000)
#define MGMT_CLOCK_AGREE_S  86400 /* our clock within this of a server Date: "good" */
#define MGMT_EXCHANGE_NS    UINT64_C(30000000000) /* one request, beyond the poll's wait */
enum { MGMT_AUX_RESP_MAX = 16384 }; /* a status or leave answer's body */

struct mgmt_client {
	struct mgmt_store store;
	struct mgmt_trust trust;
	struct mgmt_url url;
	union udp_addr server;
	char host_header[MESH_HOST_NAME_MAX + 8];
	uint8_t sk[MGMT_SK_LEN];
	uint8_t device[16];
	bool have_code;
	char code[MGMT_JOINCODE_LEN + 1];
	/*
	 * A claim ("claim <secret>"): no code, so POST
	 * /device/v1/claim-request with the hash of the secret instead of a
	 * join, and the first license's own signer pinned (first use).  The
	 * secret is the asker's (`subnetra join --claim` makes it and puts it
	 * into the claim link); the server never sees it.
	 */
	bool claim;
	uint8_t claim_secret[32];
	char hostname[MGMT_NAME_MAX + 1];

	enum mgmt_client_stage stage;
	struct mgmt_httpc http;
	uint64_t next_ns, backoff_ns;
	unsigned wait_s;
	struct mgmt_bundle_state st;
	struct mgmt_bundle *bundle; /* the last accepted (heap, once) */
	uint8_t *work;              /* MGMT_WORK_MAX */
	char *req;                  /* HTTP_REQ_MAX + 1 */

	/* the license accepted last (this run): its api_servers, its name */
	bool have_license;
	struct mgmt_license license;
	/*
	 * A join the server refused (a 4xx: the code unknown, expired, used,
	 * ...) or whose license is not the code's instance's (bad signature,
	 * foreign key or instance, malformed): the client stops (nothing more
	 * is tried with that code) and join_error says why, with the server's
	 * error code and message when it gave one.  An expired license is
	 * tried again, as ever.
	 */
	bool join_refused, joined;
	char join_error[200];
	char join_hostname[MGMT_NAME_MAX + 1]; /* the name the server gave (its answer) */

	/* The side request (mgmt_client_post) and its outcome. */
	struct mgmt_httpc aux;
	enum mgmt_aux_kind aux_kind;
	enum mgmt_aux_result aux_result;
	char aux_error[200];
	char *aux_req; /* HTTP_REQ_MAX + 1 */

	int64_t clock_offset_ms; /* server time - ours, from a 401's Subnetra-Time */
	uint64_t refused[MGMT_REFUSALS];
	uint64_t applied, last_contact_ns;
	char last_error[160];

	void (*apply)(void *ctx, const struct mgmt_bundle *b);
	void *ctx;
};

/* A claim instead of a join: the code "claim <64 hex: the secret>". */
#define MGMT_CLIENT_CLAIM "claim "

/*
 * url: the management URL; code: a join code, MGMT_CLIENT_CLAIM and a
 * secret (a claim:
 * only with a URL whose host is an fc94 address, since the overlay's
 * handshake is then what authenticates the server whose license is pinned
 * on first use), or NULL (a device that joined before: its trust file is
 * loaded); sk: the device's Ed25519 key (copied,
 * wiped at free); device: its overlay address.  The cached bundle, when it
 * verifies again, is applied at once.  0, or -errno with c->last_error.
 */
int mgmt_client_init(struct mgmt_client *c, const struct mgmt_store *store, const char *url,
		     const char *code, const char *hostname, const uint8_t sk[MGMT_SK_LEN],
		     const uint8_t device[16],
		     void (*apply)(void *ctx, const struct mgmt_bundle *b), void *ctx);
void mgmt_client_free(struct mgmt_client *c);
/* Start the next request when one is due; the fd to watch is c->http.fd. */
void mgmt_client_tick(struct mgmt_client *c, uint64_t now_ns, uint64_t wall_ms);
/* c->http.fd is ready. */
void mgmt_client_event(struct mgmt_client *c, uint64_t now_ns, uint64_t wall_ms);

/*
 * Start a signed POST /device/v1/status (body[0..len), JSON) or
 * /device/v1/leave (no body) on c->aux, beside the poll.  0, -EBUSY (one
 * is under way), or -errno; the outcome is c->aux_result once c->aux.fd
 * is ready (mgmt_client_aux_event) or past its deadline (tick).
 */
int mgmt_client_post(struct mgmt_client *c, enum mgmt_aux_kind kind, const char *body,
		     size_t len, uint64_t now_ns, uint64_t wall_ms);
void mgmt_client_aux_event(struct mgmt_client *c);
/* The side request's deadline (the owner calls it with each tick). */
void mgmt_client_aux_tick(struct mgmt_client *c, uint64_t now_ns);

/* An error answer's {"error":{"code","message"}} as "code: message" into out. */
void mgmt_client_error_text(const struct mgmt_httpc *h, char *out, size_t cap);
/* The host name in a join's answer body ({"hostname": NAME, ...}): a mesh name, or "". */
void mgmt_client_join_hostname(const char *body, size_t len, char out[MGMT_NAME_MAX + 1]);

#endif
