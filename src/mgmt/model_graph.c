/* The membership graph, affected sets and bundle payloads (see model_graph.h). */
#include "mgmt/model_graph.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/mgmt/bundle.h"
#include "mgmt/model_sql.h"
#include "mgmt/model_version.h"

enum { IDS_FIRST_ROWS = 64 };

/*
 * The rows of sql (args bound), cols integers each, into a fresh array
 * grown as they come: one statement, so a row added meanwhile is neither
 * cut off nor counted twice (a count first was a round trip more, and could
 * disagree with the rows).
 */
static int load_ids(struct store *s, const char *sql, const struct store_arg *args,
		    size_t nargs, int cols, uint64_t **out, size_t *n)
{
	struct store_stmt *st;
	size_t i = 0, cap = IDS_FIRST_ROWS;
	uint64_t *a = malloc((cap * (size_t)cols + 1) * sizeof *a);
	int rc;

	*out = NULL;
	*n = 0;
	if (a == NULL)
		return -ENOMEM;
	rc = store_prepare_args(s, sql, args, nargs, &st);
	if (rc < 0) {
		free(a);
		return rc;
	}
	while ((rc = store_step(st)) == STORE_ROW) {
		if (i == cap) {
			uint64_t *g = realloc(a, (2 * cap * (size_t)cols + 1) * sizeof *a);

			if (g == NULL) {
				rc = -ENOMEM;
				break;
			}
			a = g;
			cap *= 2;
		}
		for (int c = 0; c < cols; c++)
			a[i * (size_t)cols + (size_t)c] = (uint64_t)store_col_i64(st, c);
		i++;
	}
	store_finalize(st);
	if (rc < 0) {
		free(a);
		return rc;
	}
	*out = a;
	*n = i;
	return 0;
}

/*
 * The memberships sql selects (args bound) as a graph;
 * with_blocked: also the blocked devices (peer sets need them, affected
 * sets do not).
 */
static int load_graph(struct store *s, const char *sql,
		      const struct store_arg *args, size_t nargs, bool with_blocked,
		      struct model_graph *mg)
{
	uint64_t *pairs;
	size_t n;
	int rc;

	memset(mg, 0, sizeof *mg);
	_Static_assert(sizeof(struct mgmt_membership) == 2 * sizeof(uint64_t),
		       "a membership is two ids");
	rc = load_ids(s, sql, args, nargs, 2, &pairs, &n);
	mg->by_network = (struct mgmt_membership *)pairs;
	if (rc == 0) {
		mg->by_device = calloc(n + 1, sizeof *mg->by_device);
		rc = mg->by_device == NULL ? -ENOMEM : 0;
	}
	if (rc == 0 && with_blocked)
		rc = load_ids(s, "SELECT id FROM devices WHERE blocked <> 0 ORDER BY id", NULL, 0, 1,
			      &mg->blocked, &mg->g.n_blocked);
	if (rc < 0) {
		model_graph_free(mg);
		return rc;
	}
	mg->g.n = mgmt_peer_graph_sort(mg->by_network, mg->by_device, n);
	mg->g.by_network = mg->by_network;
	mg->g.by_device = mg->by_device;
	mg->g.blocked = mg->blocked;
	return 0;
}

int model_graph_load(struct store *s, struct model_graph *mg)
{
	return load_graph(s, "SELECT network_id, device_id FROM memberships", NULL, 0, true, mg);
}

void model_graph_free(struct model_graph *mg)
{
	free(mg->rows);
	free(mg->texts);
	free(mg->scratch);
	free(mg->by_network);
	free(mg->by_device);
	free(mg->blocked);
	memset(mg, 0, sizeof *mg);
}

/* a[0..na) ∪ b[0..nb), both ascending, into a fresh array. */
static int merge(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, uint64_t **out,
		 size_t *n)
{
	uint64_t *o = malloc((na + nb + 1) * sizeof *o);
	size_t i = 0, j = 0, k = 0;

	if (o == NULL)
		return -ENOMEM;
	while (i < na || j < nb) {
		uint64_t v = j >= nb || (i < na && a[i] <= b[j]) ? a[i] : b[j];

		if (i < na && a[i] == v)
			i++;
		if (j < nb && b[j] == v)
			j++;
		o[k++] = v;
	}
	*out = o;
	*n = k;
	return 0;
}

/*
 * ch->affected ∪= the answer of core/mgmt/peers.h's affected sets, which
 * read only the members of the networks the change is about: those
 * memberships are loaded, not the whole graph (a write's cost then follows
 * the networks it touches, not the fleet).  membership: d joins or leaves
 * network (or network is deleted: d = 0); else a change of device itself,
 * in all its networks.
 */
static int affected(struct store *s, bool membership, int64_t network, int64_t device,
		    struct model_change *ch)
{
	const struct store_arg by_net[] = {STORE_I64(network)};
	const struct store_arg by_dev[] = {STORE_I64(device)};
	struct model_graph mg;
	uint64_t *set, *merged = NULL;
	size_t cap, n = 0;
	long got;
	int rc = membership
		     ? load_graph(s,
				  "SELECT network_id, device_id FROM memberships WHERE network_id = ?",
				  by_net, 1, false, &mg)
		     : load_graph(s,
				  "SELECT network_id, device_id FROM memberships WHERE network_id IN "
				  "(SELECT network_id FROM memberships WHERE device_id = ?)",
				  by_dev, 1, false, &mg);

	if (rc < 0)
		return rc;
	cap = mg.g.n + 1; /* members of any set, and the device itself */
	set = malloc(cap * sizeof *set);
	if (set == NULL) {
		model_graph_free(&mg);
		return -ENOMEM;
	}
	got = membership ? mgmt_affected_by_membership(&mg.g, (uint64_t)network,
							  (uint64_t)device, set, cap)
			   : mgmt_affected_by_device(&mg.g, (uint64_t)device, set, cap);
	model_graph_free(&mg);
	rc = got < 0 ? (int)got : merge(ch->affected, ch->n_affected, set, (size_t)got, &merged, &n);
	free(set);
	if (rc < 0)
		return rc;
	free(ch->affected);
	ch->affected = merged;
	ch->n_affected = n;
	return 0;
}

int model_affected_membership(struct store *s, int64_t network, int64_t device,
			      struct model_change *ch)
{
	model_change_free(ch);
	return affected(s, true, network, device, ch);
}

int model_affected_device(struct store *s, int64_t device, struct model_change *ch)
{
	return affected(s, false, 0, device, ch);
}

/* aliases (a JSON array of strings, as stored) into names; bad entries skipped. */
static void put_aliases(const char *json, struct mgmt_names *names)
{
	struct json_value root;
	struct json_error err;

	names->n_aliases = 0;
	if (!json_parse(json, strlen(json), 0, &root, &err))
		return;
	if (root.type == JSON_ARRAY)
		for (size_t i = 0; i < root.u.array.n && names->n_aliases < MGMT_ALIASES_MAX;
		     i++) {
			const struct json_value *v = &root.u.array.items[i];

			if (v->type == JSON_STRING && v->u.string.len <= MGMT_NAME_MAX)
				memcpy(names->aliases[names->n_aliases++], v->u.string.bytes,
				       v->u.string.len + 1);
		}
	json_free(&root);
}

/* The device row's address and names; -ENOENT when there is none. */
static int load_device(struct store *s, int64_t id, uint8_t address[16],
		       struct mgmt_names *names, bool *blocked)
{
	const struct store_arg args[] = {STORE_I64(id)};
	struct store_stmt *st;
	size_t n = 0;
	int rc = model_first_row(
	    s, "SELECT address, hostname, aliases, blocked FROM devices WHERE id = ?", args, 1,
	    &st);

	if (rc < 0)
		return rc;
	rc = store_col_blob(st, 0, address, 16, &n);
	if (rc == 0 && n != 16)
		rc = -EIO;
	snprintf(names->hostname, sizeof names->hostname, "%s", store_col_text(st, 1));
	put_aliases(store_col_text(st, 2), names);
	if (blocked != NULL)
		*blocked = store_col_i64(st, 3) != 0;
	store_finalize(st);
	return rc;
}

/* The row's entry appended to mg->texts (cap: its size, grown as needed). */
static int put_text(struct model_graph *mg, size_t *used, size_t *cap, struct model_peer_row *r)
{
	struct mgmt_peer p = {.names = r->names};
	size_t len;

	memcpy(p.address, r->address, 16);
	while ((len = mgmt_bundle_peer_text(&p, mg->texts + *used, *cap - *used)) == 0) {
		char *t = realloc(mg->texts, *cap * 2);

		if (t == NULL)
			return -ENOMEM;
		mg->texts = t;
		*cap *= 2;
	}
	r->text_off = *used;
	r->text_len = len;
	*used += len + 1; /* and its NUL */
	return 0;
}

int model_graph_load_rows(struct store *s, struct model_graph *mg)
{
	struct store_stmt *st;
	size_t k = 0, len = 0, used = 0, n = IDS_FIRST_ROWS, cap;
	int rc;

	free(mg->rows);
	free(mg->texts);
	mg->n_rows = 0;
	cap = n * 128; /* an entry with a short name and no alias: ~80 bytes */
	mg->rows = calloc(n, sizeof *mg->rows);
	mg->texts = malloc(cap);
	if (mg->scratch == NULL)
		mg->scratch = malloc(sizeof *mg->scratch);
	if (mg->rows == NULL || mg->texts == NULL || mg->scratch == NULL)
		return -ENOMEM;
	/* One statement, the array grown as rows come (load_ids says why). */
	rc = store_prepare(s, "SELECT id, address, hostname, aliases FROM devices ORDER BY id",
			   &st);
	if (rc < 0)
		return rc;
	while ((rc = store_step(st)) == STORE_ROW) {
		struct model_peer_row *r;

		if (k == n) {
			r = realloc(mg->rows, 2 * n * sizeof *mg->rows);
			if (r == NULL) {
				rc = -ENOMEM;
				break;
			}
			memset(r + n, 0, n * sizeof *r);
			mg->rows = r;
			n *= 2;
		}
		r = &mg->rows[k];
		r->id = store_col_i64(st, 0);
		if (store_col_blob(st, 1, r->address, 16, &len) < 0 || len != 16)
			continue;
		snprintf(r->names.hostname, sizeof r->names.hostname, "%s", store_col_text(st, 2));
		put_aliases(store_col_text(st, 3), &r->names);
		rc = put_text(mg, &used, &cap, r);
		if (rc < 0)
			break;
		k++;
	}
	store_finalize(st);
	if (rc < 0) {
		free(mg->rows);
		mg->rows = NULL;
		return rc;
	}
	mg->n_rows = k;
	return 0;
}

/* The row of device id in mg->rows (ascending ids), or NULL. */
static const struct model_peer_row *peer_row(const struct model_graph *mg, int64_t id)
{
	size_t lo = 0, hi = mg->n_rows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mg->rows[mid].id == id)
			return &mg->rows[mid];
		if (mg->rows[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* What every bundle carries besides its peers, into b (its peers untouched). */
static void put_head(struct mgmt_bundle *b, const struct model_bundle_params *p, int64_t epoch,
		     int64_t serial, int64_t issued)
{
	memcpy(b->instance, p->instance, sizeof b->instance);
	b->epoch = (uint64_t)epoch;
	b->serial = (uint64_t)serial;
	b->license_serial = p->license_serial;
	b->issued = issued;
	b->wait_s = p->wait_s;
	b->status_s = p->status_s;
}

int model_bundle_build(const struct model_bundle_params *p, const struct model_graph *mg,
		       int64_t device_id, int64_t epoch, int64_t serial, int64_t issued,
		       char *out, size_t cap, size_t *len)
{
	const struct model_peer_row *self = mg->rows != NULL ? peer_row(mg, device_id) : NULL;
	struct mgmt_bundle *b = mg->scratch;
	struct mgmt_peer_text *texts = NULL;
	uint64_t *peers;
	long np;
	int rc = 0;

	if (self == NULL || b == NULL)
		return -EAGAIN;
	peers = malloc((mg->g.n + 1) * sizeof *peers);
	if (peers == NULL)
		return -ENOMEM;
	/* A blocked device has no peers (mgmt_peers_of's answer: 0). */
	np = mgmt_peers_of(&mg->g, (uint64_t)device_id, peers, mg->g.n + 1);
	if (np > MGMT_PEERS_MAX)
		np = MGMT_PEERS_MAX; /* the format's limit; the lowest ids first */
	texts = malloc(((size_t)(np > 0 ? np : 0) + 1) * sizeof *texts);
	rc = texts == NULL ? -ENOMEM : 0;
	for (long i = 0; i < np && rc == 0; i++) {
		const struct model_peer_row *row = peer_row(mg, (int64_t)peers[i]);

		if (row == NULL) {
			rc = -EAGAIN;
			break;
		}
		memcpy(texts[i].address, row->address, 16);
		texts[i].text = mg->texts + row->text_off;
		texts[i].len = row->text_len;
	}
	if (rc == 0) {
		/* The head only: the peers table (MGMT_PEERS_MAX entries) is not read. */
		memset(b, 0, offsetof(struct mgmt_bundle, peers));
		memcpy(b->device, self->address, 16);
		b->self = self->names;
		put_head(b, p, epoch, serial, issued);
		*len = mgmt_bundle_encode_texts(b, texts, np < 0 ? 0 : (size_t)np, out, cap);
		rc = *len > 0 ? 0 : -ENOSPC;
	}
	free(texts);
	free(peers);
	return rc;
}

/*
 * One attempt of model_bundle_payload at the version (epoch, serial), with
 * a graph of its own and one query per peer.
 */
static int build(struct store *s, const struct model_bundle_params *p, int64_t device_id,
		 int64_t issued, int64_t epoch, int64_t serial, struct mgmt_bundle *b, char *out,
		 size_t cap, size_t *len)
{
	uint64_t *peers = NULL;
	struct model_graph mg = {0};
	bool blocked = false;
	long np = 0;
	int rc;

	memset(b, 0, sizeof *b);
	rc = load_device(s, device_id, b->device, &b->self, &blocked);
	if (rc == 0)
		rc = model_graph_load(s, &mg);
	if (rc < 0)
		goto out;
	peers = malloc((mg.g.n + 1) * sizeof *peers);
	if (peers == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	np = mgmt_peers_of(&mg.g, (uint64_t)device_id, peers, mg.g.n + 1);
	if (np > MGMT_PEERS_MAX)
		np = MGMT_PEERS_MAX; /* the format's limit; the lowest ids first */
	for (long i = 0; i < np && rc == 0; i++)
		rc = load_device(s, (int64_t)peers[i], b->peers[i].address, &b->peers[i].names,
				 NULL);
	if (rc < 0)
		goto out;
	put_head(b, p, epoch, serial, issued);
	b->n_peers = blocked || np < 0 ? 0 : (size_t)np;
	*len = mgmt_bundle_encode(b, out, cap);
	rc = *len > 0 ? 0 : -ENOSPC;
out:
	model_graph_free(&mg);
	free(peers);
	return rc;
}

/* -EAGAIN unless the version is still (epoch, serial) (rc: the build's). */
static int still_at(struct store *s, int rc, int64_t epoch, int64_t serial)
{
	int64_t e2, s2;

	if (rc == 0)
		rc = model_version_get(s, &e2, &s2);
	if (rc == 0 && (e2 != epoch || s2 != serial))
		rc = -EAGAIN;
	return rc;
}

/*
 * The reads are several statements, and another server may commit between
 * them (PostgreSQL reads each statement at its own snapshot): a payload
 * made of rows newer than its serial would differ from the one already
 * signed under that serial, which devices refuse as a conflict.  Every
 * change devices see bumps the serial in its own transaction, so the same
 * version before and after the reads means none came between; else the
 * payload is built again.
 */
int model_bundle_payload(struct store *s, const struct model_bundle_params *p,
			 int64_t device_id, int64_t issued, char *out, size_t cap, size_t *len)
{
	struct mgmt_bundle *b = malloc(sizeof *b);
	int64_t epoch, serial;
	int rc = b == NULL ? -ENOMEM : -EAGAIN;

	for (int attempt = 0; attempt < 5 && rc == -EAGAIN; attempt++) {
		rc = model_version_get(s, &epoch, &serial);
		if (rc == 0)
			rc = still_at(s,
				      build(s, p, device_id, issued, epoch, serial, b, out, cap, len),
				      epoch, serial);
	}
	free(b);
	return rc;
}
