/*
 * role -> initial policy table (interfaces.md §9, the Roles page).
 *
 * Rule order matters: on equal prefix lengths the earlier rule wins, so a
 * spoke's local rules go in first and an equal-length hub rule can never
 * steal a locally delivered prefix.  Destinations are used as configured
 * (host bits kept); the policy matcher masks them.
 */
#include "core/roles.h"

#include <errno.h>
#include <stdlib.h>

static const struct cidr any4 = { .addr = 0, .prefix = 0 };

/* The rules being derived, in order, into a caller's array. */
struct derived {
	struct policy_rule *rules;
	size_t n, cap;
};

static int add_forward(struct derived *out, const struct cidr *dst, uint32_t target)
{
	if (out->n >= out->cap)
		return -ENOSPC;
	out->rules[out->n++] = (struct policy_rule){
		.src = any4,
		.dst = *dst,
		.action = POLICY_FORWARD,
		.target = target,
	};
	return 0;
}

/* One rule per spoke: what it may source is what is reachable through it. */
static int derive_hub(const struct config *cfg, struct derived *p)
{
	for (size_t i = 0; i < cfg->n_peers; i++) {
		const struct peer_config *peer = &cfg->peers[i];

		if (add_forward(p, &peer->allowed_src, peer->id) != 0)
			return -ENOSPC;
	}
	return 0;
}

/* Local targets first, then everything the hub (the only peer) reaches. */
static int derive_spoke(const struct config *cfg, struct derived *p)
{
	uint32_t hub = cfg->n_peers > 0 ? cfg->peers[0].id : 0;

	if (cfg->n_local_routes > 0) {
		for (size_t i = 0; i < cfg->n_local_routes; i++) {
			if (add_forward(p, &cfg->local_routes[i], POLICY_TARGET_LOCAL) != 0)
				return -ENOSPC;
		}
	} else if (cfg->has_local_tun_ip) {
		struct cidr self = { .addr = cfg->local_tun_ip.addr, .prefix = 32 };

		if (add_forward(p, &self, POLICY_TARGET_LOCAL) != 0)
			return -ENOSPC;
	}

	/* validate() guarantees exactly one peer; without one there is no hub rule. */
	if (cfg->n_peers == 0)
		return 0;
	if (cfg->n_remote_routes > 0) {
		for (size_t i = 0; i < cfg->n_remote_routes; i++) {
			if (add_forward(p, &cfg->remote_routes[i], hub) != 0)
				return -ENOSPC;
		}
		return 0;
	}
	return add_forward(p, &cfg->virtual_subnet, hub);
}

int roles_derive_rules(const struct config *cfg, struct policy_rule *rules, size_t cap,
		       size_t *n)
{
	struct derived out = { .rules = rules, .n = 0, .cap = cap };
	int err = 0;

	switch (cfg->role) {
	case ROLE_MANUAL:
		break; /* the operator builds the table */
	case ROLE_HUB:
		err = derive_hub(cfg, &out);
		break;
	case ROLE_SPOKE:
		err = derive_spoke(cfg, &out);
		break;
	}
	*n = out.n;
	return err;
}

int roles_derive_policy(const struct config *cfg, struct policy *p)
{
	/* Off the data path; a MAX_PEERS=8000 build needs ~200 KiB for this. */
	struct policy_rule *rules = calloc(MAX_POLICY_ENTRIES, sizeof(*rules));
	size_t n;
	int err;

	if (rules == NULL)
		return -ENOMEM;
	err = roles_derive_rules(cfg, rules, MAX_POLICY_ENTRIES, &n);
	if (err == 0)
		err = policy_rederive(p, rules, n);
	free(rules);
	return err;
}
