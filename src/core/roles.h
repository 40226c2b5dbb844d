/* role -> initial policy table, exactly as the Roles page describes. */
#ifndef SUBNETRA_ROLES_H
#define SUBNETRA_ROLES_H

#include "core/config.h"
#include "core/policy.h"

/*
 * The config's derived rules, in table order, into rules[0..cap): *n of
 * them.  0, or -ENOSPC when more than cap (the first cap are written).
 */
int roles_derive_rules(const struct config *cfg, struct policy_rule *rules, size_t cap,
		       size_t *n);
/*
 * Publish them as the derived part of p (policy_rederive: rules already
 * added to p stay, after them).  0, or -ENOSPC if they do not fit, or
 * another -errno of policy_rederive (-ENOMEM); a start-up error.
 */
int roles_derive_policy(const struct config *cfg, struct policy *p);

#endif
