/*
 * The device API, /device/v1/... on the device listener (device_api.c), and
 * what the server keeps in memory for it (device_cache.c): per device its
 * signed bundle (signed once per version), its last status report, when
 * its last_seen was written; the nonce cache of device requests
 * (device_auth.c).  docs/management-protocol.md, "Device API", is the
 * contract.
 *
 * Wake-ups: a parked config poll waits on the key "d<id>".  A handler
 * that commits a struct model_change calls device_changed(m, &ch): the
 * affected devices' bundles are rebuilt on their next poll and their
 * parked polls are woken, nobody else's.  A change whose affected set is
 * not known here (another process, a handler that only calls
 * watch_notify) is noticed by device_version_check (called from
 * watch_notify): the instance version moved past the last one accounted
 * for, so every parked poll is woken and rebuilds; a rebuilt bundle whose
 * content did not change keeps its old version and the poll parks again.
 */
#ifndef SUBNETRA_MGMT_DEVICE_H
#define SUBNETRA_MGMT_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/devreq.h"
#include "core/mgmt/nonce.h"
#include "core/mgmt/proto.h"
#include "mgmt/http.h"
#include "mgmt/model.h"
#include "mgmt/model_graph.h"

struct mgmtd;
struct http_req;

enum {
	DEVICE_NONCE_BUCKETS = 1 << 14, /* x8 entries: 131,072 POSTs per 600 s unrefused */
	DEVICE_NONCE_PRUNE_MS = 60 * 1000, /* expired nonces deleted from the database */
	DEVICE_ONLINE_MS = 90 * 1000,	/* a status younger than this: online */
	DEVICE_SEEN_WRITE_S = 60,	/* last_seen written at most this often */
	DEVICE_SEEN_FLUSH_MS = 5 * 1000, /* due last_seen writes: one transaction this often */
	DEVICE_WAIT_DEFAULT_S = 50,
	DEVICE_STATUS_DEFAULT_S = 60,
};

/* Why a device request was refused (401), each counted. */
enum device_auth_fail {
	DEVICE_AUTH_MALFORMED,
	DEVICE_AUTH_BAD_KEY,
	DEVICE_AUTH_BAD_SIG,
	DEVICE_AUTH_SKEW,
	DEVICE_AUTH_REPLAY,
	DEVICE_AUTH_TOO_OLD,
	DEVICE_AUTH_FAILS,
};

/* A peer's path in a status report (relay-udp and relay-tcp: relayed). */
enum device_path { DEVICE_PATH_DIRECT, DEVICE_PATH_RELAYED, DEVICE_PATH_NONE, DEVICE_PATHS };

/* One device the server has seen a request of, by its row id. */
struct device_entry {
	int64_t id;
	uint8_t pk[MGMT_PK_LEN];
	/* the signed bundle, as served, shared with the answers in flight (NULL: none built yet) */
	struct http_shared *env;
	uint64_t epoch, serial;		      /* its version */
	uint8_t content[MGMT_DIGEST_LEN];     /* digest of its payload without the version */
	bool dirty;			      /* a change touched it: rebuild on the next poll */
	int64_t status_ms;		      /* last status (monotonic ms), 0: none */
	char *status;			      /* its JSON body, kept as received */
	size_t status_len;
	uint32_t paths[DEVICE_PATHS];	      /* its peers by path, in that body */
	int64_t seen_written_s;		      /* last_seen last written (unix s) */
	int64_t seen_due_s;		      /* last_seen to write at the next flush (0: none) */
	bool agent_written;		      /* since start */
	bool mark;			      /* a parked poll (device_mark_parked) */
};

struct device_state {
	struct device_entry **by_id; /* index: row id */
	size_t cap;
	struct mgmt_nonce_cache nonces;
	struct mgmt_nonce_bucket *buckets;
	uint64_t nonce_pruned_ms; /* wall clock of the last model_nonce_prune */
	int64_t known_epoch, known_serial;     /* instance version accounted for */
	int64_t covered_epoch, covered_serial; /* the last change whose set was known */
	char *work;			       /* MGMT_WORK_MAX: envelope sealing */
	char *payload;			       /* MGMT_PAYLOAD_MAX + 1 */
	char *env_buf;			       /* MGMT_ENVELOPE_MAX: a sealed envelope */
	struct model_graph graph; /* the memberships at (graph_epoch, graph_serial) */
	struct model_bundle_params params; /* the settings read with it */
	bool graph_valid;
	int64_t graph_epoch, graph_serial;
	uint64_t auth_fail[DEVICE_AUTH_FAILS];
	uint64_t signed_bundles, served_bundles, woken, rebuilt_same;
	/* devices whose seen_due_s is set, in the order they came due */
	int64_t *seen_due;
	size_t n_seen_due, cap_seen_due;
	int64_t seen_flushed_ms; /* monotonic ms of the last flush */
};

int device_init(struct mgmtd *m);
void device_free(struct mgmtd *m);

/* A change committed with its affected set: rebuild and wake those. */
void device_changed(struct mgmtd *m, const struct model_change *ch);
/*
 * The instance version may have moved (watch_notify): wake everyone if
 * unaccounted and the change feed (feed.h) is not live.
 */
void device_version_check(struct mgmtd *m);
/* Every device's bundle rebuilt on its next poll, every parked config poll woken. */
void device_wake_all(struct mgmtd *m);

/*
 * {"known":N,"online":N,"bundles_signed":N,"rebuilt_same":N,"polls_woken":N,
 *  "auth_refused":{"malformed_auth":N,...}}
 * into out (cap >= 512): its length.
 */
size_t device_summary(struct mgmtd *m, char *out, size_t cap);
/* What this server knows live of a device: for GET /api/v1/devices. */
struct device_live {
	bool online;		      /* device_online */
	const char *status;	      /* its last status body (NULL: none), as received */
	size_t status_len;
	int64_t age_ms;		      /* of that status */
	uint32_t paths[DEVICE_PATHS]; /* its peers by path, in that status */
};
/*
 * Set (on) or clear the mark of every device with a parked config poll:
 * one pass over the parked table, so that a page of devices costs one
 * pass, not one per device.  Bracket device_live calls with it.
 */
void device_mark_parked(struct mgmtd *m, bool on);
/*
 * out filled (status valid until the next request): online is a parked
 * poll (marked) or a status younger than DEVICE_ONLINE_MS.
 */
void device_live(struct mgmtd *m, int64_t id, struct device_live *out);

/* device_cache.c: the entry of id (made if new), NULL on ENOMEM. */
struct device_entry *device_entry(struct device_state *d, int64_t id);
/* e's bundle, built and signed unless it is current (not dirty): 0 or -errno. */
int device_bundle(struct mgmtd *m, struct device_entry *e);
/*
 * A request of device id arrived: its last_seen is due once the last write
 * is DEVICE_SEEN_WRITE_S old (bookkeeping).  Due writes go out together,
 * one transaction per DEVICE_SEEN_FLUSH_MS (device_seen_flush): with 5,000
 * devices a write each per minute was 83 commits a second, each an fsync
 * on the event loop.  A first agent string is written at once.
 */
void device_seen(struct mgmtd *m, int64_t id, const char *agent);
/*
 * Write the due last_seen values in one transaction if the last flush is
 * DEVICE_SEEN_FLUSH_MS old, or now when force (at shutdown).  Kept due
 * when the write fails (the next flush tries again).
 */
void device_seen_flush(struct mgmtd *m, bool force);
/* ms until the next flush is due, or -1 when nothing is due (next_timeout). */
int device_seen_timeout(const struct mgmtd *m, int64_t now_ms);
/* The wake key of device id's parked polls: "d<id>". */
void device_wake_key(int64_t id, char out[HTTP_KEY_MAX]);

/*
 * The row of address if its key is pk: 0 and *id; -ENOENT (and *id 0)
 * when there is none or it has another key.
 */
int device_lookup(struct store *s, const uint8_t address[16], const uint8_t pk[MGMT_PK_LEN],
		  int64_t *id);

/* "malformed_auth", "bad_key", ... */
const char *device_auth_fail_name(enum device_auth_fail f);

/* ---- device_auth.c: the signature of a request ---------------------------------- */

struct device_caller {
	struct mgmt_devreq_auth auth;
	uint8_t address[16];
	int64_t id; /* its row, 0: none (yet) */
};

/*
 * Check r's signature headers, signature, clock and (POST) nonce: true
 * with *c filled (id looked up; 0 when the key has no device row), or
 * false with the 401 (or 503) queued.
 */
bool device_auth(struct http_req *r, struct device_caller *c);

/* ---- device_api.c: the handlers (http_routes.c) ------------------------------ */

void device_post_join(struct http_req *r);
void device_get_config(struct http_req *r);
void device_post_status(struct http_req *r);
void device_post_leave(struct http_req *r);
void device_post_claim_request(struct http_req *r);

#endif
