/*
 * The permission matrix (see model_perm.h), one table: per action, its
 * class and the weakest relation a member account needs (admins need
 * none).  PERM_REL_COUNT as that relation: members never.
 */
#include "mgmt/model_perm.h"

#include <stddef.h>

struct perm_rule {
	const char *name;
	enum perm_class cls;
	enum perm_rel member_min;
};

static const struct perm_rule rules[PERM_ACTION_COUNT] = {
    [PERM_NETWORK_CREATE] = {"network.create", PERM_CLASS_WRITE, PERM_REL_NONE},
    [PERM_NETWORK_READ] = {"network.read", PERM_CLASS_READ, PERM_REL_VIEWER},
    [PERM_NETWORK_WRITE] = {"network.write", PERM_CLASS_WRITE, PERM_REL_MANAGER},
    [PERM_NETWORK_DELETE] = {"network.delete", PERM_CLASS_WRITE, PERM_REL_OWNER},
    [PERM_NETWORK_SHARE] = {"network.share", PERM_CLASS_ADMIN, PERM_REL_OWNER},
    [PERM_DEVICE_READ] = {"device.read", PERM_CLASS_READ, PERM_REL_VIEWER},
    [PERM_DEVICE_WRITE] = {"device.write", PERM_CLASS_WRITE, PERM_REL_MANAGER},
    [PERM_DEVICE_DELETE] = {"device.delete", PERM_CLASS_WRITE, PERM_REL_OWNER},
    [PERM_CLAIM] = {"device.claim", PERM_CLASS_WRITE, PERM_REL_MANAGER},
    [PERM_TOKEN_MANAGE] = {"token.manage", PERM_CLASS_ADMIN, PERM_REL_OWNER},
    [PERM_ACCOUNT_READ] = {"account.read", PERM_CLASS_READ, PERM_REL_OWNER},
    [PERM_ACCOUNT_MANAGE] = {"account.manage", PERM_CLASS_ADMIN, PERM_REL_COUNT},
    [PERM_AUDIT_READ] = {"audit.read", PERM_CLASS_READ, PERM_REL_COUNT},
    [PERM_INSTANCE_MANAGE] = {"instance.manage", PERM_CLASS_ADMIN, PERM_REL_COUNT},
    [PERM_DEVICE_SYNC] = {"device.sync", PERM_CLASS_DEVICE, PERM_REL_SELF},
    [PERM_DEVICE_LEAVE] = {"device.leave", PERM_CLASS_DEVICE, PERM_REL_SELF},
};

enum perm_class perm_action_class(enum perm_action a)
{
	return rules[a].cls;
}

const char *perm_action_name(enum perm_action a)
{
	return (unsigned)a < PERM_ACTION_COUNT ? rules[a].name : "?";
}

/* What an account of this role may do, regardless of any token. */
static bool account_may(enum perm_role role, const struct perm_rule *r, enum perm_rel rel)
{
	if (r->cls == PERM_CLASS_DEVICE || rel == PERM_REL_SELF)
		return false;
	if (role == PERM_ROLE_ADMIN)
		return true;
	return r->member_min != PERM_REL_COUNT && rel >= r->member_min;
}

static bool scope_covers(enum perm_scope scope, enum perm_class cls)
{
	switch (scope) {
	case PERM_SCOPE_READ:
		return cls == PERM_CLASS_READ;
	case PERM_SCOPE_WRITE:
		return cls == PERM_CLASS_READ || cls == PERM_CLASS_WRITE;
	case PERM_SCOPE_ADMIN:
		return cls != PERM_CLASS_DEVICE;
	case PERM_SCOPE_COUNT:
		break;
	}
	return false;
}

bool perm_allowed(const struct perm_actor *actor, enum perm_action a, enum perm_rel rel)
{
	const struct perm_rule *r;

	if ((unsigned)a >= PERM_ACTION_COUNT || (unsigned)rel >= PERM_REL_COUNT)
		return false;
	r = &rules[a];
	switch (actor->kind) {
	case PERM_ACCOUNT:
		return account_may(actor->role, r, rel);
	case PERM_TOKEN:
		return scope_covers(actor->scope, r->cls) && account_may(actor->role, r, rel);
	case PERM_DEVICE:
		return r->cls == PERM_CLASS_DEVICE && rel == PERM_REL_SELF;
	case PERM_ACTOR_KIND_COUNT:
		break;
	}
	return false;
}
