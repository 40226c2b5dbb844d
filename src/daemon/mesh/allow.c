/* The whitelist while the node runs (see allow.h). */
#include "daemon/mesh/allow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/outbuf.h"
#include "daemon/host/daemon.h"
#include "daemon/mesh/bases.h"
#include "daemon/mesh/hosts.h"
#include "daemon/mesh/lan.h"
#include "daemon/mesh/peers.h"
#include "daemon/mesh/statedir.h"
#include "os/linux/clock.h"

bool mesh_allowed(const struct mesh_node *n, const uint8_t addr[16])
{
	return whitelist_allows(&n->wl, addr) ||
	       (n->managed != NULL && managed_contains(n->managed, addr));
}

/* Called for each address of the effective list, ascending, with where it is listed. */
typedef void each_fn(void *ctx, const uint8_t addr[16], bool manual, bool managed);

static void each(const struct mesh_node *n, each_fn *fn, void *ctx)
{
	const struct managed *m = n->managed;
	size_t i = 0, k = 0, n_m = m != NULL ? m->n_addrs : 0;

	while (i < n->wl.n || k < n_m) {
		int c = i == n->wl.n ? 1 : k == n_m ? -1 : memcmp(n->wl.addr[i], m->addrs[k].addr, 16);

		fn(ctx, c <= 0 ? n->wl.addr[i] : m->addrs[k].addr, c <= 0, c >= 0);
		i += c <= 0;
		k += c >= 0;
	}
}

struct collect {
	uint8_t (*out)[16];
	size_t cap, n;
};

static void collect_one(void *ctx, const uint8_t addr[16], bool manual, bool managed)
{
	struct collect *c = ctx;

	(void)manual;
	(void)managed;
	if (c->n < c->cap)
		memcpy(c->out[c->n], addr, 16);
	c->n++;
}

size_t mesh_allow_list(const struct mesh_node *n, uint8_t (*out)[16], size_t cap)
{
	struct collect c = {.out = out, .cap = cap, .n = 0};

	each(n, collect_one, &c);
	return c.n;
}

/* The config's list; an address the config validated cannot be refused. */
static void from_config(struct mesh_node *n)
{
	const struct mesh_config *m = &n->cfg->mesh;

	whitelist_init(&n->wl);
	n->wl.enabled = m->whitelist_enabled;
	for (size_t i = 0; i < m->n_whitelist; i++)
		(void)whitelist_add(&n->wl, m->whitelist[i]);
}

void mesh_allow_load(struct mesh_node *n)
{
	struct whitelist_error werr;
	char *text = malloc(WHITELIST_FILE_MAX);
	char why[512];
	size_t len = 0;
	int rc;

	mesh_state_path(n, ".whitelist", n->wl_file, sizeof(n->wl_file));
	from_config(n);
	if (text == NULL) {
		fprintf(stderr, "subnetrad: whitelist: out of memory; using the config's list\n");
		return;
	}
	rc = mesh_state_read(n, ".whitelist", n->wl_file, text, WHITELIST_FILE_MAX, &len, why,
			     sizeof(why));
	if (rc == -ENOENT)
		goto out_free;
	if (rc < 0) {
		fprintf(stderr, "subnetrad: whitelist state file ignored, using the config's "
				"list: %s\n", why);
		goto out_free;
	}
	if (!whitelist_parse(&n->wl, text, len, &werr)) {
		fprintf(stderr, "subnetrad: whitelist state file ignored, using the config's "
				"list: %s:%u: %s\n", n->wl_file, werr.line, werr.msg);
		from_config(n);
		goto out_free;
	}
	fprintf(stderr, "subnetrad: whitelist from %s: %s, %zu address(es)\n", n->wl_file,
		n->wl.enabled ? "enabled" : "disabled", n->wl.n);
out_free:
	free(text);
}

/* The whole list to its state file.  0, or -errno with why. */
static int save(struct mesh_node *n, char *why, size_t cap)
{
	char *text = malloc(WHITELIST_FILE_MAX);
	size_t len;
	int rc;

	if (text == NULL) {
		snprintf(why, cap, "out of memory");
		return -ENOMEM;
	}
	len = whitelist_format(&n->wl, text, WHITELIST_FILE_MAX);
	rc = mesh_state_save(n, n->wl_file, text, len, why, cap);
	free(text);
	return rc;
}

/* End the session of every peer the list no longer allows; how many. */
static size_t cut_off(struct mesh_node *n)
{
	size_t ended = 0;

	for (size_t i = n->n_peers; i-- > 0;) {
		struct mesh_peer *p = &n->peers[i];

		/* A configured base is no peer: the whitelist is not for it. */
		if (p->is_base || mesh_allowed(n, p->addr))
			continue;
		/* The last peer moves into slot i: already checked (i counts down). */
		mesh_peer_remove(n, p);
		n->c.peers_removed++;
		ended++;
	}
	if (ended > 0)
		mesh_hosts_changed(n);
	return ended;
}

/* A change that lets nodes in: ask the LAN for beacons now, not in 25 s. */
static void ask_lan(struct mesh_node *n)
{
	if (n->lan.n_ifs > 0)
		mesh_lan_announce(n, true, mono_ns());
}

size_t mesh_allow_managed_changed(struct mesh_node *n)
{
	size_t ended = cut_off(n);

	ask_lan(n);
	mesh_bases_allow_changed(n, mono_ns());
	return ended;
}

/*
 * The reply after a change: saved, or applied but not saved (exit 1).  The
 * bases hear the new list too, or a node added here could not look us up.
 */
static size_t changed(struct mesh_node *n, struct outbuf *o, const char *what)
{
	char why[512];

	mesh_bases_allow_changed(n, mono_ns());
	if (save(n, why, sizeof(why)) < 0) {
		fprintf(stderr, "subnetrad: whitelist: %s, but not saved: %s\n", what, why);
		outbuf_printf(o, "failed: %s (applied now), but not saved: %s\n", what, why);
	} else {
		fprintf(stderr, "subnetrad: whitelist: %s\n", what);
		outbuf_printf(o, "%s\n", what);
	}
	return outbuf_finish(o);
}

struct shown {
	struct outbuf *o;
	size_t shown, total;
};

/* Manual addresses as they always were; managed ones with a second word. */
static void show_one(void *ctx, const uint8_t addr[16], bool manual, bool managed)
{
	struct shown *s = ctx;
	char a[IDENTITY_ADDR_TEXT];

	s->total++;
	/* A line is at most 64 bytes; keep room for the last one. */
	if (s->o->len + 128 >= s->o->cap)
		return;
	identity_address_format(addr, a);
	outbuf_printf(s->o, "%s%s\n", a,
		      !managed ? "" : manual ? " managed, also manual" : " managed");
	s->shown++;
}

static size_t list(struct mesh_node *n, struct outbuf *o)
{
	struct shown s = {.o = o, .shown = 0, .total = 0};
	size_t n_managed = n->managed != NULL ? n->managed->n_addrs : 0;

	outbuf_printf(o, "whitelist %s, %zu address(es), saved in %s",
		      n->wl.enabled ? "enabled" : "disabled (any node may connect)", n->wl.n,
		      n->wl_file);
	if (n_managed > 0)
		outbuf_printf(o, "; %zu managed (subnetra managed ls)", n_managed);
	outbuf_puts(o, "\n");
	each(n, show_one, &s);
	if (s.shown < s.total)
		outbuf_printf(o, "... and %zu more (in %s and %s)\n", s.total - s.shown,
			      n->wl_file, n->managed_file);
	return outbuf_finish(o);
}

size_t mesh_allow_execute(struct mesh_node *n, const struct ctl_cmd *cmd, char *buf,
			  size_t cap)
{
	char a[IDENTITY_ADDR_TEXT], what[160];
	struct outbuf o;
	size_t ended;
	int rc;

	outbuf_init(&o, buf, cap);
	identity_address_format(cmd->mesh.addr, a);
	switch (cmd->kind) {
	case CTL_WHITELIST_ADD:
		rc = whitelist_add(&n->wl, cmd->mesh.addr);
		if (rc == -EEXIST)
			outbuf_printf(&o, "refused: %s is already listed\n", a);
		else if (rc == -ENOSPC)
			outbuf_printf(&o, "refused: the whitelist is full (%d addresses)\n",
				      WHITELIST_MAX);
		else if (rc < 0)
			outbuf_printf(&o, "refused: %s is not a mesh address (fc94::/16)\n", a);
		if (rc < 0)
			return outbuf_finish(&o);
		ask_lan(n);
		snprintf(what, sizeof(what), "added %s", a);
		return changed(n, &o, what);
	case CTL_WHITELIST_RM:
		if (whitelist_remove(&n->wl, cmd->mesh.addr) < 0) {
			if (n->managed != NULL && managed_contains(n->managed, cmd->mesh.addr))
				outbuf_printf(&o, "refused: %s is managed by the management server "
						  "(subnetra managed ls); it cannot be removed here\n",
					      a);
			else
				outbuf_printf(&o, "refused: %s is not listed\n", a);
			return outbuf_finish(&o);
		}
		ended = cut_off(n);
		snprintf(what, sizeof(what), "removed %s%s", a,
			 ended > 0 ? "; its session ended"
			 : mesh_allowed(n, cmd->mesh.addr) ? "; still allowed: it is managed"
							     : "");
		return changed(n, &o, what);
	case CTL_WHITELIST_ENABLE:
	case CTL_WHITELIST_DISABLE: {
		bool on = cmd->kind == CTL_WHITELIST_ENABLE;

		if (n->wl.enabled == on) {
			outbuf_printf(&o, "whitelist already %s\n", on ? "enabled" : "disabled");
			return outbuf_finish(&o);
		}
		n->wl.enabled = on;
		if (!on) {
			ask_lan(n);
			return changed(n, &o, "whitelist disabled: any node may connect");
		}
		ended = cut_off(n);
		snprintf(what, sizeof(what), "whitelist enabled; %zu session(s) with unlisted "
					     "nodes ended", ended);
		return changed(n, &o, what);
	}
	default:
		return list(n, &o);
	}
}
