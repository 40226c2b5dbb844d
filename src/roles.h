/* role -> initial policy table, exactly as the Roles page describes. */
#ifndef SUBNETRA_ROLES_H
#define SUBNETRA_ROLES_H

#include "config.h"
#include "policy.h"

/* 0, or -ENOSPC if the derived table does not fit (a start-up error). */
int roles_derive_policy(const struct config *cfg, struct policy *p);

#endif
