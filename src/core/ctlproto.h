/*
 * The control-socket grammar, shared by the daemon (which silently ignores a
 * bad line) and the CLI (which rejects it locally with exit 2):
 *   save | status | status --json | metrics | reload | policy show |
 *   policy add     --src CIDR --dst CIDR [--action forward|drop] [--target N]
 *   policy replace --src CIDR --dst CIDR [--action forward|drop] [--target N]
 *   policy check   --src CIDR --dst CIDR [--action forward|drop] [--target N]
 *   policy del     --src CIDR --dst CIDR
 *   policy flush   --added
 *   whitelist ls | whitelist add ADDR | whitelist rm ADDR |
 *   whitelist enable | whitelist disable                     (mesh mode)
 *   hosts ls | hosts add ADDR NAME | hosts rm NAME|ADDR       (mesh mode)
 *   managed ls | managed reload                              (mesh mode)
 * Tokens are separated by spaces/tabs; the line is trimmed of space, tab, CR.
 * The grammar is what a snapshot line must satisfy too; ctl_rule_check adds
 * what a new rule must satisfy on top of it (a snapshot saved before those
 * checks existed stays loadable).
 */
#ifndef SUBNETRA_CTLPROTO_H
#define SUBNETRA_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bounds.h"
#include "core/mesh/name.h"
#include "core/policy.h"

enum ctl_kind {
	CTL_SAVE,
	CTL_STATUS,
	CTL_STATUS_JSON,
	CTL_METRICS, /* Prometheus text of the status (metrics.h) */
	CTL_POLICY_SHOW,
	CTL_POLICY_ADD,
	CTL_RELOAD,         /* read the config again and apply it (daemon/state/reload.h) */
	CTL_POLICY_DEL,     /* remove the added rule(s) with exactly --src/--dst */
	CTL_POLICY_REPLACE, /* the added rule with --src/--dst: new action/target */
	CTL_POLICY_FLUSH,   /* --added: remove every added rule */
	CTL_POLICY_CHECK,   /* would an add of this rule be taken?  (replies) */
	/* Mesh mode (docs/mesh.md, "Whitelist" and "Names"); every one replies. */
	CTL_WHITELIST_LS,
	CTL_WHITELIST_ADD, /* mesh.addr */
	CTL_WHITELIST_RM,  /* mesh.addr */
	CTL_WHITELIST_ENABLE,
	CTL_WHITELIST_DISABLE,
	CTL_HOSTS_LS,
	CTL_HOSTS_ADD, /* mesh.addr and mesh.name */
	CTL_HOSTS_RM,  /* mesh.addr (has_addr) or mesh.name */
	CTL_MANAGED_LS,	    /* the managed set (docs/mesh.md, "Managed entries") */
	CTL_MANAGED_RELOAD, /* read <state_dir>/managed again */
};
#define CTL_KIND_LAST CTL_MANAGED_RELOAD

enum ctl_err {
	CTL_OK = 0,
	CTL_EMPTY,            /* blank line: ignore */
	CTL_UNKNOWN_COMMAND,
	CTL_INVALID_VALUE,
	CTL_MISSING_ARGUMENT,
};

struct ctl_cmd {
	enum ctl_kind kind;
	/* add, replace, check; del: src and dst only */
	struct policy_rule rule;
	bool action_given; /* --action was on the line (else: drop by default) */
	/* whitelist and hosts: an fc94::/16 address and/or a mesh name */
	struct {
		bool has_addr;
		uint8_t addr[16];
		char name[MESH_NAME_MAX + 1]; /* "" when not given */
	} mesh;
};

/* Is this a mesh-mode command (whitelist, hosts, managed)? */
bool ctl_is_mesh(enum ctl_kind kind);

const char *ctl_err_name(enum ctl_err e); /* "UnknownCommand", ... */

/*
 * Parse one line (not NUL-terminated, length len).  On error, *detail (if
 * non-NULL) points to a static explanation such as "--dst: InvalidPrefix".
 */
enum ctl_err ctl_parse_line(const char *line, size_t len, struct ctl_cmd *out,
			    const char **detail);

/* Does this command carry a rule (add, replace, check)? */
bool ctl_has_rule(enum ctl_kind kind);

enum { CTL_WHY_MAX = 160 };
/*
 * What a new rule (add, check; replace: its target) must satisfy beyond the
 * grammar: a --target within 0..65535, and (add, check) CIDRs without host
 * bits, since 10.0.0.1/24 is almost always a typo for 10.0.0.0/24 or
 * 10.0.0.1/32.  Whether the target is a configured peer only the daemon
 * knows.  true, or false with why (cap bytes) saying what to type instead.
 */
bool ctl_rule_check(const struct ctl_cmd *cmd, char *why, size_t cap);

#endif
