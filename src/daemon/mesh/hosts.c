/* Names in the hosts file (see hosts.h). */
#include "daemon/mesh/hosts.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mesh/hostsblock.h"
#include "core/outbuf.h"
#include "daemon/host/daemon.h"
#include "daemon/mesh/statedir.h"
#include "os/linux/clock.h"
#include "os/linux/hostsfile.h"

/* The manual entries' file: a hosts block alone, at most every entry at its longest. */
enum { MANUAL_FILE_MAX = HOSTS_BLOCK_MAX * 128 + 256 };

struct mesh_hosts {
	struct hosts_helper helper;
	char file[MESH_STATE_PATH]; /* the manual entries' state file */
	struct hosts_entry manual[HOSTS_BLOCK_MAX];
	size_t n_manual;
	/* The block as last computed, and as last sent to the helper. */
	struct hosts_entry block[HOSTS_BLOCK_MAX];
	bool from_peer[HOSTS_BLOCK_MAX], from_managed[HOSTS_BLOCK_MAX];
	size_t n_block;
	struct hosts_entry sent[HOSTS_BLOCK_MAX];
	size_t n_sent;
	bool sent_once;
	bool dirty;
	uint64_t settle_ns, retry_ns;
	struct hosts_entry peers[MESH_PEERS_MAX]; /* scratch: the peers' names */
	/* Scratch: the managed names, then manual + managed as one list. */
	struct hosts_entry managed[MANAGED_NAMES_MAX], first[HOSTS_BLOCK_MAX];
	bool first_managed[HOSTS_BLOCK_MAX];
};

/* In the helper: its copy of the config's secrets (the mesh psk) goes. */
static void forget_secrets(void *cfg)
{
	config_wipe(cfg);
}

int mesh_hosts_start(struct mesh_node *n)
{
	const char *path = n->cfg->mesh.hosts_file;
	char why[512];
	int rc;

	if (path[0] == '\0')
		return 0;
	n->hosts = calloc(1, sizeof(*n->hosts));
	if (n->hosts == NULL) {
		fprintf(stderr, "subnetrad: out of memory\n");
		return -1;
	}
	/* Before the identity is even loaded: the helper's copy of us holds no key. */
	rc = hosts_helper_start(&n->hosts->helper, path, forget_secrets, (void *)(uintptr_t)n->cfg,
				why, sizeof(why));
	if (rc < 0) {
		fprintf(stderr, "subnetrad: hosts_file: cannot start the hosts helper: %s\n", why);
		free(n->hosts);
		n->hosts = NULL;
		return -1;
	}
	return 0;
}

void mesh_hosts_load(struct mesh_node *n, uint64_t now_ns)
{
	struct mesh_hosts *h = n->hosts;
	const char *what = NULL;
	char why[512], *text;
	size_t len = 0, line = 0;
	int rc;

	if (h == NULL)
		return;
	mesh_state_path(n, ".hosts", h->file, sizeof(h->file));
	h->settle_ns = now_ns + MESH_HOSTS_SETTLE_NS;
	text = malloc(MANUAL_FILE_MAX);
	if (text == NULL) {
		fprintf(stderr, "subnetrad: hosts: out of memory; no manual entries\n");
		return;
	}
	rc = mesh_state_read(n, ".hosts", h->file, text, MANUAL_FILE_MAX, &len, why,
			     sizeof(why));
	if (rc < 0 && rc != -ENOENT)
		fprintf(stderr, "subnetrad: hosts state file ignored, no manual entries: %s\n",
			why);
	if (rc == 0 && !hosts_read(text, len, h->manual, HOSTS_BLOCK_MAX, &h->n_manual, &what,
				   &line)) {
		fprintf(stderr, "subnetrad: hosts state file ignored, no manual entries: %s:%zu: "
				"%s\n", h->file, line, what);
		h->n_manual = 0;
	}
	if (rc == 0 && h->n_manual > 0)
		fprintf(stderr, "subnetrad: %zu manual host name(s) from %s\n", h->n_manual,
			h->file);
	free(text);
}

void mesh_hosts_changed(struct mesh_node *n)
{
	if (n->hosts != NULL)
		n->hosts->dirty = true;
}

/* The managed set's names into h->managed, one entry per name; how many. */
static size_t managed_names(const struct mesh_node *n, struct mesh_hosts *h)
{
	const struct managed *m = n->managed;
	size_t k = 0;

	for (size_t i = 0; m != NULL && i < m->n_peers; i++)
		for (size_t j = 0; j < m->peer[i].n_names; j++, k++) {
			memset(&h->managed[k], 0, sizeof(h->managed[k]));
			memcpy(h->managed[k].addr, m->peer[i].addr, 16);
			snprintf(h->managed[k].name, sizeof(h->managed[k].name), "%s",
				 m->name[m->peer[i].first_name + j]);
		}
	return k;
}

/*
 * h->block from the manual entries, the managed names, then the peers'
 * names (a name already listed is left out: the earlier list wins).
 */
static void compute(struct mesh_node *n)
{
	struct mesh_hosts *h = n->hosts;
	size_t k = 0, n_first;

	for (size_t i = 0; i < n->n_peers; i++) {
		const struct mesh_peer *p = &n->peers[i];

		/*
		 * Bases are no peers (their "base" is a label for status); and
		 * the helper refuses a whole block for one bad name: leave it out.
		 */
		if (p->is_base || !mesh_name_valid(p->hostname, strlen(p->hostname)))
			continue;
		memset(&h->peers[k], 0, sizeof(h->peers[k]));
		memcpy(h->peers[k].addr, p->addr, sizeof(p->addr));
		snprintf(h->peers[k].name, sizeof(h->peers[k].name), "%s", p->hostname);
		k++;
	}
	n_first = hosts_merge(h->manual, h->n_manual, h->managed, managed_names(n, h), h->first,
			      h->first_managed, HOSTS_BLOCK_MAX);
	h->n_block = hosts_merge(h->first, n_first, h->peers, k, h->block, h->from_peer,
				 HOSTS_BLOCK_MAX);
	/* The names of first are unique: they open the block, in order. */
	for (size_t i = 0; i < h->n_block; i++)
		h->from_managed[i] = i < n_first && h->first_managed[i];
}

static bool same_block(const struct mesh_hosts *h)
{
	if (!h->sent_once || h->n_block != h->n_sent)
		return false;
	for (size_t i = 0; i < h->n_block; i++)
		if (memcmp(h->block[i].addr, h->sent[i].addr, 16) != 0 ||
		    strcmp(h->block[i].name, h->sent[i].name) != 0)
			return false;
	return true;
}

/* Send the block if it changed.  0, or -errno with why. */
static int sync_block(struct mesh_node *n, uint64_t now_ns, char *why, size_t cap)
{
	struct mesh_hosts *h = n->hosts;
	int rc;

	compute(n);
	h->dirty = false;
	if (same_block(h))
		return 0;
	rc = hosts_helper_set(&h->helper, h->block, h->n_block, why, cap);
	if (rc < 0) {
		h->retry_ns = now_ns + MESH_HOSTS_RETRY_NS;
		h->dirty = true;
		n->c.hosts_write_failed++;
		return rc;
	}
	memcpy(h->sent, h->block, h->n_block * sizeof(h->block[0]));
	h->n_sent = h->n_block;
	h->sent_once = true;
	n->c.hosts_written++;
	return 0;
}

void mesh_hosts_tick(struct mesh_node *n, uint64_t now_ns)
{
	struct mesh_hosts *h = n->hosts;
	char why[512];

	if (h == NULL || now_ns < h->retry_ns)
		return;
	if (!h->dirty && (h->sent_once || now_ns < h->settle_ns))
		return;
	/* One line per failure, at most one per MESH_HOSTS_RETRY_NS. */
	if (sync_block(n, now_ns, why, sizeof(why)) < 0)
		fprintf(stderr, "subnetrad: hosts file not updated: %s\n", why);
}

/* The manual entries to their state file.  0, or -errno with why. */
static int save(struct mesh_node *n, char *why, size_t cap)
{
	struct mesh_hosts *h = n->hosts;
	char *text = malloc(MANUAL_FILE_MAX);
	const char *what = NULL;
	size_t len;
	int rc;

	if (text == NULL) {
		snprintf(why, cap, "out of memory");
		return -ENOMEM;
	}
	len = hosts_rewrite("", 0, h->manual, h->n_manual, text, MANUAL_FILE_MAX, &what);
	if (len == 0 && what != NULL) {
		snprintf(why, cap, "%s", what); /* cannot happen: the buffer fits a full block */
		rc = -EOVERFLOW;
	} else {
		rc = mesh_state_save(n, h->file, text, len, why, cap);
	}
	free(text);
	return rc;
}

/* After a manual change: saved and written, or what failed (exit 1). */
static size_t changed(struct mesh_node *n, struct outbuf *o, const char *what)
{
	char why[512];

	if (save(n, why, sizeof(why)) < 0) {
		fprintf(stderr, "subnetrad: hosts: %s, but not saved: %s\n", what, why);
		outbuf_printf(o, "failed: %s, but not saved: %s\n", what, why);
	} else if (sync_block(n, mono_ns(), why, sizeof(why)) < 0) {
		fprintf(stderr, "subnetrad: hosts: %s, but the hosts file was not updated: %s\n",
			what, why);
		outbuf_printf(o, "failed: %s (saved), but the hosts file was not updated: %s\n",
			      what, why);
	} else {
		fprintf(stderr, "subnetrad: hosts: %s\n", what);
		outbuf_printf(o, "%s\n", what);
	}
	return outbuf_finish(o);
}

static size_t list(struct mesh_node *n, struct outbuf *o)
{
	struct mesh_hosts *h = n->hosts;
	char a[IDENTITY_ADDR_TEXT];
	size_t peers = 0, managed = 0, shown = 0;

	compute(n);
	for (size_t i = 0; i < h->n_block; i++) {
		peers += h->from_peer[i];
		managed += h->from_managed[i];
	}
	outbuf_printf(o, "hosts file %s: %zu name(s), %zu manual (saved in %s), %zu from peers, "
			 "%zu managed\n",
		      n->cfg->mesh.hosts_file, h->n_block, h->n_block - peers - managed, h->file,
		      peers, managed);
	for (; shown < h->n_block && o->len + 160 < o->cap; shown++) {
		identity_address_format(h->block[shown].addr, a);
		outbuf_printf(o, "%s %s %s\n", a, h->block[shown].name,
			      h->from_peer[shown]      ? "peer"
			      : h->from_managed[shown] ? "managed"
						       : "manual");
	}
	if (shown < h->n_block)
		outbuf_printf(o, "... and %zu more\n", h->n_block - shown);
	return outbuf_finish(o);
}

static size_t add(struct mesh_node *n, const struct ctl_cmd *cmd, struct outbuf *o)
{
	struct mesh_hosts *h = n->hosts;
	const char *name = cmd->mesh.name;
	char a[IDENTITY_ADDR_TEXT], what[160];
	struct hosts_entry *e;

	for (size_t i = 0; i < h->n_manual; i++) {
		if (strcmp(h->manual[i].name, name) != 0)
			continue;
		identity_address_format(h->manual[i].addr, a);
		outbuf_printf(o, "refused: %s is already listed (%s); 'hosts rm %s' first\n", name,
			      a, name);
		return outbuf_finish(o);
	}
	if (h->n_manual == HOSTS_BLOCK_MAX) {
		outbuf_printf(o, "refused: no room for another name (%d)\n", HOSTS_BLOCK_MAX);
		return outbuf_finish(o);
	}
	e = &h->manual[h->n_manual++];
	memset(e, 0, sizeof(*e));
	memcpy(e->addr, cmd->mesh.addr, 16);
	snprintf(e->name, sizeof(e->name), "%s", name);
	identity_address_format(e->addr, a);
	snprintf(what, sizeof(what), "added %s %s", a, name);
	return changed(n, o, what);
}

static size_t rm(struct mesh_node *n, const struct ctl_cmd *cmd, struct outbuf *o)
{
	struct mesh_hosts *h = n->hosts;
	char a[IDENTITY_ADDR_TEXT], what[160];
	const char *key = cmd->mesh.name;
	size_t kept = 0, gone = 0;

	if (cmd->mesh.has_addr) {
		identity_address_format(cmd->mesh.addr, a);
		key = a;
	}
	for (size_t i = 0; i < h->n_manual; i++) {
		bool match = cmd->mesh.has_addr ? memcmp(h->manual[i].addr, cmd->mesh.addr, 16) == 0
						: strcmp(h->manual[i].name, cmd->mesh.name) == 0;

		if (match)
			gone++;
		else
			h->manual[kept++] = h->manual[i];
	}
	h->n_manual = kept;
	if (gone > 0) {
		snprintf(what, sizeof(what), "removed %s (%zu name(s))", key, gone);
		return changed(n, o, what);
	}
	compute(n);
	for (size_t i = 0; i < h->n_block; i++)
		if (cmd->mesh.has_addr ? memcmp(h->block[i].addr, cmd->mesh.addr, 16) == 0
				       : strcmp(h->block[i].name, cmd->mesh.name) == 0) {
			if (h->from_managed[i])
				outbuf_printf(o, "refused: %s is managed by the management server "
						 "(subnetra managed ls); only manual entries can be "
						 "removed\n", key);
			else
				outbuf_printf(o, "refused: %s is a peer's name (from its beacon); "
						 "only manual entries can be removed\n", key);
			return outbuf_finish(o);
		}
	outbuf_printf(o, "refused: %s is not listed\n", key);
	return outbuf_finish(o);
}

size_t mesh_hosts_execute(struct mesh_node *n, const struct ctl_cmd *cmd, char *buf,
			  size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, buf, cap);
	if (n->hosts == NULL) {
		outbuf_puts(&o, "failed: no hosts_file in the config; names are not kept\n");
		return outbuf_finish(&o);
	}
	switch (cmd->kind) {
	case CTL_HOSTS_ADD:
		return add(n, cmd, &o);
	case CTL_HOSTS_RM:
		return rm(n, cmd, &o);
	default:
		return list(n, &o);
	}
}

void mesh_hosts_stop(struct mesh_node *n)
{
	if (n->hosts == NULL)
		return;
	hosts_helper_stop(&n->hosts->helper);
	free(n->hosts);
	n->hosts = NULL;
}
