/*
 * The permission matrix, pure: whether an actor may take an action on an
 * object, given the actor's relation to that object.  The server works out
 * the relation (an account owning the network, holding a share of it, a
 * device acting on itself) and asks here; nothing else decides.
 *
 *  - An admin account may do every operator action.
 *  - A member account: create networks and join codes' targets it manages,
 *    its own tokens and sessions; read what it owns or has a share of;
 *    write (rename, attach, detach, codes, block) what it owns or manages;
 *    delete and share only what it owns; never accounts, the instance or
 *    the audit log.
 *  - A token: what its account may, capped by its scope: read -> only
 *    read actions; write -> read and write actions; admin -> all of the
 *    account's.
 *  - A device: only its own device actions (sync, status, leave), on itself.
 */
#ifndef SUBNETRA_MGMT_MODEL_PERM_H
#define SUBNETRA_MGMT_MODEL_PERM_H

#include <stdbool.h>

enum perm_role { PERM_ROLE_ADMIN, PERM_ROLE_MEMBER, PERM_ROLE_COUNT };
enum perm_scope { PERM_SCOPE_READ, PERM_SCOPE_WRITE, PERM_SCOPE_ADMIN, PERM_SCOPE_COUNT };
enum perm_actor_kind { PERM_ACCOUNT, PERM_TOKEN, PERM_DEVICE, PERM_ACTOR_KIND_COUNT };

struct perm_actor {
	enum perm_actor_kind kind;
	enum perm_role role;   /* ACCOUNT and TOKEN: the account's role */
	enum perm_scope scope; /* TOKEN only */
};

/* The actor's relation to the object, weakest first. */
enum perm_rel {
	PERM_REL_NONE,	  /* not its own, no share */
	PERM_REL_VIEWER,  /* a viewer's share */
	PERM_REL_MANAGER, /* a manager's share */
	PERM_REL_OWNER,	  /* owns it (or it is the actor's own account/token) */
	PERM_REL_SELF,	  /* a device acting on itself */
	PERM_REL_COUNT,
};

enum perm_action {
	PERM_NETWORK_CREATE,
	PERM_NETWORK_READ,
	PERM_NETWORK_WRITE,  /* rename, attach and detach devices, join codes for it */
	PERM_NETWORK_DELETE,
	PERM_NETWORK_SHARE,
	PERM_DEVICE_READ,
	PERM_DEVICE_WRITE,   /* rename, aliases, block */
	PERM_DEVICE_DELETE,
	PERM_CLAIM,          /* claim a device into a network it manages */
	PERM_TOKEN_MANAGE,   /* its own credentials: API tokens, password, TOTP */
	PERM_ACCOUNT_READ,
	PERM_ACCOUNT_MANAGE, /* create, disable, set roles */
	PERM_AUDIT_READ,
	PERM_INSTANCE_MANAGE, /* license, base servers, keys */
	PERM_DEVICE_SYNC,    /* fetch its bundle, report status */
	PERM_DEVICE_LEAVE,
	PERM_ACTION_COUNT,
};

/* Whether the action needs read, write or admin scope (tokens), or a device. */
enum perm_class { PERM_CLASS_READ, PERM_CLASS_WRITE, PERM_CLASS_ADMIN, PERM_CLASS_DEVICE };

enum perm_class perm_action_class(enum perm_action a);
const char *perm_action_name(enum perm_action a);
bool perm_allowed(const struct perm_actor *actor, enum perm_action a, enum perm_rel rel);

#endif
