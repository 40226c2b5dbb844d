/* The managed set while the node runs (see managed.h). */
#include "daemon/mesh/managed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/outbuf.h"
#include "daemon/mesh/allow.h"
#include "daemon/mesh/hosts.h"
#include "daemon/mesh/statedir.h"

/*
 * The file into a new set: 0 (*out set; -ENOENT too, as the empty set), or
 * -errno with why ("path:line: what" when the text is refused).
 */
static int read_set(struct mesh_node *n, struct managed **out, char *why, size_t cap)
{
	struct managed_error err;
	struct managed *m = malloc(sizeof(*m));
	/* A larger file is -EFBIG (statefile.h), never cut. */
	char *text = malloc(MANAGED_FILE_MAX);
	size_t len = 0;
	int rc;

	if (m == NULL || text == NULL) {
		snprintf(why, cap, "out of memory");
		rc = -ENOMEM;
		goto out_free;
	}
	managed_init(m);
	rc = mesh_state_read_here(n, n->managed_file, text, MANAGED_FILE_MAX, &len, why, cap);
	if (rc == -ENOENT) {
		rc = 0;
	} else if (rc == 0 && !managed_parse(m, text, len, &err)) {
		snprintf(why, cap, "%s:%u: %s", n->managed_file, err.line, err.msg);
		rc = -EINVAL;
	}
	if (rc == 0) {
		*out = m;
		m = NULL;
	}
out_free:
	free(text);
	free(m);
	return rc;
}

/* What a set holds, for the log and the reply: "version E.S peers N servers M names K". */
static void summary(const struct managed *m, char *out, size_t cap)
{
	char v[MANAGED_VERSION_TEXT];

	managed_version_format(m, v);
	snprintf(out, cap, "version %s peers %zu servers %zu names %zu", v, m->n_peers,
		 m->n_servers, m->n_names);
}

int mesh_managed_load(struct mesh_node *n)
{
	char why[640], what[128];

	snprintf(n->managed_file, sizeof(n->managed_file), "%s/managed",
		 n->cfg->mesh.state_dir);
	if (read_set(n, &n->managed, why, sizeof(why)) == 0) {
		summary(n->managed, what, sizeof(what));
		fprintf(stderr, "subnetrad: managed set from %s: %s\n", n->managed_file, what);
		return 0;
	}
	fprintf(stderr, "subnetrad: managed file ignored, no managed entries: %s\n", why);
	n->c.managed_refused++;
	n->managed = malloc(sizeof(*n->managed));
	if (n->managed == NULL) {
		fprintf(stderr, "subnetrad: out of memory\n");
		return -1;
	}
	managed_init(n->managed);
	return 0;
}

static size_t reload(struct mesh_node *n, struct outbuf *o)
{
	struct managed *m = NULL;
	char why[640], what[128], v[MANAGED_VERSION_TEXT];
	size_t ended;

	if (read_set(n, &m, why, sizeof(why)) < 0) {
		managed_version_format(n->managed, v);
		n->c.managed_refused++;
		fprintf(stderr, "subnetrad: managed reload refused, version %s stays: %s\n", v,
			why);
		outbuf_printf(o, "refused: %s (the managed set stays at version %s)\n", why, v);
		return outbuf_finish(o);
	}
	free(n->managed);
	n->managed = m;
	n->c.managed_loaded++;
	ended = mesh_allow_managed_changed(n);
	mesh_hosts_changed(n);
	summary(m, what, sizeof(what));
	fprintf(stderr, "subnetrad: managed set from %s: %s; %zu session(s) ended\n",
		n->managed_file, what, ended);
	outbuf_printf(o, "ok %s\n", what);
	return outbuf_finish(o);
}

/* The file's text without its header line, as many lines as fit. */
static size_t list(struct mesh_node *n, struct outbuf *o)
{
	char *text = malloc(MANAGED_FILE_MAX);
	size_t len, at, more = 0;

	if (text == NULL) {
		outbuf_puts(o, "failed: out of memory\n");
		return outbuf_finish(o);
	}
	len = managed_format(n->managed, text, MANAGED_FILE_MAX);
	at = len > 0 ? (size_t)((char *)memchr(text, '\n', len) - text) + 1 : 0;
	while (at < len) {
		size_t stop = (size_t)((char *)memchr(text + at, '\n', len - at) - text) + 1;

		/* Keep room for the "... more" line. */
		if (more > 0 || o->len + (stop - at) + 128 >= o->cap)
			more++;
		else
			outbuf_printf(o, "%.*s", (int)(stop - at), text + at);
		at = stop;
	}
	if (more > 0)
		outbuf_printf(o, "... and %zu more line(s) (in %s)\n", more, n->managed_file);
	free(text);
	return outbuf_finish(o);
}

size_t mesh_managed_execute(struct mesh_node *n, const struct ctl_cmd *cmd, char *buf,
			    size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, buf, cap);
	if (cmd->kind == CTL_MANAGED_RELOAD)
		return reload(n, &o);
	return list(n, &o);
}

void mesh_managed_free(struct mesh_node *n)
{
	free(n->managed);
	n->managed = NULL;
}
