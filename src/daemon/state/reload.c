/*
 * Reload: the config read again and applied to the running daemon (see
 * reload.h), without touching the sessions of peers whose keys and endpoint
 * did not change (peer_table_reload).  The policy's derived rules are
 * derived again, and rules added at run time stay after them.  What is set
 * up once at start-up (listen ports, workers, user, the interface's set-up:
 * MTU, address, whether the daemon configures it) keeps its running value
 * and is reported as needing a restart; so do the interface's routes, which
 * the daemon, without CAP_NET_ADMIN by then, cannot change.
 *
 * While the new peer table and config are swapped in, every other worker
 * is parked between two of its wake-ups (pause.h), so no datagram is in
 * flight through shared state; datagrams arriving meanwhile wait in the
 * socket buffers.
 */
#include "daemon/state/reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/netplan.h"
#include "core/outbuf.h"
#include "core/roles.h"
#include "daemon/state/context.h"
#include "daemon/state/keepalive.h"
#include "daemon/state/pause.h"
#include "os/linux/clock.h"
#include "os/linux/config_file.h"

/*
 * Settings applied once at start-up: the new config gets their running
 * values (so status keeps telling the truth), and their names go to o.
 * Returns how many differ.
 */
static size_t keep_start_up_settings(struct config *cfg, const struct config *run,
				     struct outbuf *o)
{
	size_t n = 0;

#define KEEP(changed, name, ...)                                                           \
	do {                                                                               \
		if (changed) {                                                             \
			outbuf_printf(o, "%s%s", n++ ? ", " : "", name);                   \
			__VA_ARGS__;                                                       \
		}                                                                          \
	} while (0)
	KEEP(cfg->n_listen_ports != run->n_listen_ports ||
		 memcmp(cfg->listen_ports, run->listen_ports,
			run->n_listen_ports * sizeof(run->listen_ports[0])) != 0,
	     "listen_ports", memcpy(cfg->listen_ports, run->listen_ports, sizeof(cfg->listen_ports));
	     cfg->n_listen_ports = run->n_listen_ports);
	KEEP(cfg->workers != run->workers, "workers", cfg->workers = run->workers);
	KEEP(strcmp(cfg->user, run->user) != 0, "user",
	     memcpy(cfg->user, run->user, sizeof(cfg->user)));
	KEEP(cfg->local_tun_mtu != run->local_tun_mtu, "local_tun_mtu",
	     cfg->local_tun_mtu = run->local_tun_mtu);
	KEEP(cfg->configure_interface != run->configure_interface, "configure_interface",
	     cfg->configure_interface = run->configure_interface);
	KEEP(cfg->has_local_tun_ip != run->has_local_tun_ip ||
		 (run->has_local_tun_ip && !cidr_equal(&cfg->local_tun_ip, &run->local_tun_ip)),
	     "local_tun_ip", cfg->has_local_tun_ip = run->has_local_tun_ip;
	     cfg->local_tun_ip = run->local_tun_ip);
#undef KEEP
	return n;
}

static bool has_route(const struct netplan *p, const struct cidr *dst)
{
	for (size_t i = 0; i < p->n_routes; i++)
		if (p->routes[i].kind == NETPLAN_ROUTE && cidr_equal(&p->routes[i].dst, dst))
			return true;
	return false;
}

/*
 * Does the new config route other networks into the TUN than the running
 * one?  The daemon set the routes up at start and can no longer change them
 * (no CAP_NET_ADMIN).  -1: out of memory.
 */
static int routes_changed(const struct config *run, const struct config *cfg)
{
	struct netplan *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	int changed = -1;

	if (a == NULL || b == NULL)
		goto out;
	netplan_build(run, a);
	netplan_build(cfg, b);
	changed = 0;
	for (size_t i = 0; i < a->n_routes && !changed; i++)
		changed = a->routes[i].kind == NETPLAN_ROUTE && !has_route(b, &a->routes[i].dst);
	for (size_t i = 0; i < b->n_routes && !changed; i++)
		changed = b->routes[i].kind == NETPLAN_ROUTE && !has_route(a, &b->routes[i].dst);
out:
	free(a);
	free(b);
	return changed;
}

static void put_ids(struct outbuf *o, const uint32_t *ids, size_t n)
{
	for (size_t i = 0; i < n && i < 8; i++)
		outbuf_printf(o, "%s%u", i ? "," : " (", (unsigned)ids[i]);
	outbuf_puts(o, n > 8 ? ",...)" : ")");
}

/* "peers: 2 unchanged, 1 added (4), 1 removed (3), 1 changed (2)" */
static void put_report(struct outbuf *o, const struct peer_reload_report *r)
{
	size_t changed = r->rekeyed + r->moved + r->other;

	outbuf_printf(o, "peers: %zu unchanged", r->unchanged);
	if (r->added > 0) {
		outbuf_printf(o, ", %zu added", r->added);
		put_ids(o, r->added_ids, r->added);
	}
	if (r->removed > 0) {
		outbuf_printf(o, ", %zu removed", r->removed);
		put_ids(o, r->removed_ids, r->removed);
	}
	if (changed > 0) {
		outbuf_printf(o, ", %zu changed", changed);
		put_ids(o, r->changed_ids, r->n_changed_ids);
	}
}

size_t daemon_reload(struct daemon *d, char *reply, size_t cap, bool *ok)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	struct peer_table *scratch = malloc(sizeof(*scratch));
	struct peer_reload_report rep;
	uint8_t digest[CONFIG_DIGEST_LEN];
	struct config_error err;
	char line[1024], restart[160];
	struct outbuf o, r;
	size_t n_restart;
	int rc;

	*ok = false;
	outbuf_init(&o, line, sizeof(line));
	if (cfg == NULL || scratch == NULL) {
		outbuf_puts(&o, "reload failed: out of memory; the running config is kept");
		goto out;
	}
	if (config_load(cfg, d->config_path, &err) < 0) {
		char msg[768];

		config_error_format(&err, msg, sizeof(msg));
		outbuf_puts(&o, "reload failed: ");
		outbuf_puts(&o, msg);
		outbuf_puts(&o, "; the running config is kept");
		goto out;
	}
	/* This daemon runs a v1 config; mesh and base configs are not run yet. */
	if (cfg->mode != CONFIG_MODE_V1) {
		outbuf_printf(&o, "reload failed: %s is now a \"mode\": \"%s\" config, which "
				  "this daemon cannot switch to; the running config is kept",
			      d->config_path[0] != '\0' ? d->config_path : "config.json",
			      config_mode_name(cfg->mode));
		goto out;
	}
	/* The stamp of a snapshot saved from now on: the file as written. */
	config_digest(cfg, digest);
	outbuf_init(&r, restart, sizeof(restart));
	n_restart = keep_start_up_settings(cfg, d->cfg, &r);
	if (d->cfg->configure_interface && routes_changed(d->cfg, cfg) != 0)
		outbuf_printf(&r, "%sinterface routes", n_restart++ ? ", " : "");
	outbuf_finish(&r);

	rc = pause_begin(d);
	if (rc < 0) {
		outbuf_printf(&o, "reload failed: the workers did not pause in time (%s); "
				  "nothing changed", strerror(-rc));
		goto out;
	}
	/* The policy first: the one step that can fail (a full table). */
	rc = roles_derive_policy(cfg, &d->policy);
	if (rc < 0) {
		pause_end(d);
		outbuf_printf(&o, "reload failed: the derived policy does not fit next to the "
				  "added rules (%s; at most %d rules); nothing changed",
			      strerror(-rc), MAX_POLICY_ENTRIES);
		goto out;
	}
	peer_table_reload(&d->peers, scratch, cfg, d->epoch, wall_ns(), &rep);
	/* Only derived keys are kept. */
	config_wipe(cfg);
	d->cfg = cfg;
	memcpy(d->cfg_digest, digest, sizeof(digest));
	rc = keepalive_timer_update(d);
	pause_end(d);

	if (d->cfg_loaded != NULL)
		free(d->cfg_loaded); /* its PSKs were wiped when it was applied */
	d->cfg_loaded = cfg;
	cfg = NULL;
	*ok = true;
	outbuf_puts(&o, "reloaded ");
	outbuf_puts(&o, d->config_path);
	outbuf_puts(&o, ": ");
	put_report(&o, &rep);
	if (n_restart > 0) {
		outbuf_puts(&o, "; kept the running ");
		outbuf_puts(&o, restart);
		outbuf_printf(&o, " (restart to change %s)", n_restart == 1 ? "it" : "them");
	}
	if (rc < 0)
		outbuf_printf(&o, "; cannot re-arm the keepalive timer: %s", strerror(-rc));
out:
	if (outbuf_finish(&o) == 0)
		snprintf(line, sizeof(line), "%s", *ok ? "reloaded (details truncated)"
						       : "reload failed (details truncated)");
	fprintf(stderr, "subnetrad: %s\n", line);
	if (cfg != NULL) {
		config_wipe(cfg);
		free(cfg);
	}
	free(scratch); /* peer_table_reload wiped it */
	if (reply == NULL)
		return 0;
	return (size_t)snprintf(reply, cap, "%s\n", line);
}
