/*
 * Devices: one row per device identity, keyed by its fc94 overlay address
 * (unique) and its Ed25519 public key (unique).  A device that joins
 * again (another code, a re-install with the same key) re-uses its row:
 * model_device_upsert never makes a second row for one address.  Host
 * names are mesh names (one lowercase DNS label) and unique among devices;
 * when a wanted name is taken, the hostname policy decides:
 *
 *   suffix          the newcomer gets "<name>-2", "-3", ...
 *   replace-offline the holder, if offline (not seen for
 *                   MODEL_OFFLINE_S), is renamed "<name>-<its id>" and the
 *                   newcomer takes the name; an online holder keeps it
 *                   and the newcomer gets a suffix as above
 *
 * Renaming, aliases, blocking, deleting and leaving change what devices
 * see: each bumps the version and fills the change's affected set.
 * last_seen and agent are bookkeeping (model_device_seen: not audited).
 */
#ifndef SUBNETRA_MGMT_MODEL_DEVICE_H
#define SUBNETRA_MGMT_MODEL_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/proto.h"
#include "mgmt/model.h"

enum {
	MODEL_OFFLINE_S = 300,
	MODEL_AGENT_MAX = 128,
};

enum model_hostname_policy { MODEL_HOSTNAME_SUFFIX, MODEL_HOSTNAME_REPLACE_OFFLINE };

const char *model_hostname_policy_name(enum model_hostname_policy p);
/* false for a name that is neither */
bool model_hostname_policy_parse(const char *name, enum model_hostname_policy *p);

/* Who a device is, and what it asks to be called. */
struct model_device_ident {
	uint8_t address[16];
	uint8_t pubkey[MGMT_PK_LEN];
	const char *hostname; /* a mesh name, or NULL/"" for the row's (or "device-<id>") */
	const char *agent;    /* its software, or NULL */
};

/*
 * Inside the caller's transaction: the row of ident's address, made if
 * new, with its host name settled by policy; *id, *created.  -EPERM when
 * the address is known under another key; -EINVAL for a bad hostname.
 * *renamed: the id of a holder renamed by replace-offline, else 0.
 */
int model_device_upsert(const struct model_op *op, const struct model_device_ident *ident,
			enum model_hostname_policy policy, int64_t *id, bool *created,
			int64_t *renamed);

struct model_device {
	int64_t id, owner_id, last_seen; /* owner 0: none; last_seen 0: never */
	uint8_t address[16];
	uint8_t pubkey[MGMT_PK_LEN];
	bool blocked;
	char hostname[MGMT_NAME_MAX + 1];
	char aliases[(MGMT_NAME_MAX + 3) * MGMT_ALIASES_MAX + 3]; /* a JSON array */
	char agent[MODEL_AGENT_MAX + 1];
};

int model_device_get(struct store *s, int64_t id, struct model_device *out);
/*
 * Devices with id > after_id, ascending, at most limit (1..MODEL_PAGE_MAX): the
 * members of network_id, or all for 0.
 */
int model_device_list(struct store *s, int64_t network_id, int64_t after_id, size_t limit,
		      struct model_device *rows, size_t *n);
/* -ENOENT when no device has the address. */
int model_device_find(struct store *s, const uint8_t address[16], int64_t *id);
int model_device_count(struct store *s, int64_t *n);

int model_device_rename(const struct model_op *op, int64_t id, const char *hostname,
			struct model_change *ch);
/* aliases[0..n): mesh names, at most MGMT_ALIASES_MAX. */
int model_device_set_aliases(const struct model_op *op, int64_t id,
			     const char *const *aliases, size_t n, struct model_change *ch);
int model_device_set_blocked(const struct model_op *op, int64_t id, bool blocked,
			     struct model_change *ch);
int model_device_delete(const struct model_op *op, int64_t id, struct model_change *ch);
/* The device leaves every network (its row stays, peerless: a re-join re-uses it). */
int model_device_leave(const struct model_op *op, int64_t id, struct model_change *ch);
/* A device request arrived: last_seen and agent (bookkeeping). */
int model_device_seen(struct store *s, int64_t id, int64_t now_s, const char *agent);

#endif
