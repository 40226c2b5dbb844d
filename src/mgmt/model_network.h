/*
 * Networks, their shares and their members.  An account owns a network
 * (owner_id) and may share it with other accounts as viewer or manager; a
 * device may be a member of many networks.  Attaching and detaching (and
 * deleting a network with members) change what devices see: they bump the
 * instance version and fill a struct model_change with the devices
 * touched, all in the change's transaction.  Renames and shares change
 * nothing a device sees: no bump.
 */
#ifndef SUBNETRA_MGMT_MODEL_NETWORK_H
#define SUBNETRA_MGMT_MODEL_NETWORK_H

#include <stdint.h>

#include "mgmt/model.h"
#include "mgmt/model_perm.h"

enum {
	MODEL_NETWORK_NAME_MAX = 64, /* bytes of printable UTF-8 */
	MODEL_UUID_TEXT = 33,        /* 32 hex digits and NUL */
};

/* -EINVAL for an empty or unprintable name, -EEXIST when the owner has one so named. */
int model_network_create(const struct model_op *op, int64_t owner_id, const char *name,
			 int64_t *id);
int model_network_rename(const struct model_op *op, int64_t id, const char *name);
int model_network_delete(const struct model_op *op, int64_t id, struct model_change *ch);

enum model_share { MODEL_SHARE_NONE, MODEL_SHARE_VIEWER, MODEL_SHARE_MANAGER };
/* NONE removes the share. */
int model_network_share(const struct model_op *op, int64_t network_id, int64_t account_id,
			enum model_share role);

/* account's relation to the network: owner, manager, viewer or none. */
int model_network_relation(struct store *s, int64_t account_id, int64_t network_id,
			   enum perm_rel *rel);
/* account's relation to a device: its owner, else the strongest over its networks. */
int model_device_relation(struct store *s, int64_t account_id, int64_t device_id,
			  enum perm_rel *rel);
/* The same for a device whose owner (0: none) the caller has read with its row. */
int model_device_relation_owned(struct store *s, int64_t account_id, int64_t device_id,
				int64_t owner, enum perm_rel *rel);

/* -EEXIST when already a member, -ENOENT when either does not exist. */
int model_attach(const struct model_op *op, int64_t network_id, int64_t device_id,
		 struct model_change *ch);
/* -ENOENT when not a member. */
int model_detach(const struct model_op *op, int64_t network_id, int64_t device_id,
		 struct model_change *ch);

struct model_network {
	int64_t id, owner_id, created_at, members;
	char uuid[MODEL_UUID_TEXT];
	char name[MODEL_NETWORK_NAME_MAX + 1];
};

/*
 * Networks with id > after_id, ascending, at most limit (1..MODEL_PAGE_MAX):
 * those account_id owns or has a share of, or all for account_id 0.
 */
int model_network_list(struct store *s, int64_t account_id, int64_t after_id, size_t limit,
		       struct model_network *rows, size_t *n);

/* One network: 0, or -ENOENT. */
int model_network_get(struct store *s, int64_t id, struct model_network *out);
/* Inside a transaction: attach without an audit row of its own (a join's). */
int model_attach_in_tx(const struct model_op *op, int64_t network_id, int64_t device_id);

#endif
