/*
 * What the server keeps in memory for the device API (see device.h): one
 * entry per device by row id, holding its signed bundle (signed once per
 * version), its last status, and when its last_seen was written; the
 * wake-ups of parked config polls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/mgmt/envelope.h"
#include "core/outbuf.h"
#include "mgmt/device.h"
#include "mgmt/feed.h"
#include "mgmt/mgmtd.h"
#include "mgmt/model_device.h"
#include "mgmt/model_graph.h"
#include "mgmt/model_sql.h"
#include "mgmt/model_version.h"
#include "mgmt/settings.h"

enum { ENTRIES_FIRST_CAP = 1024 };

int device_init(struct mgmtd *m)
{
	struct device_state *d = calloc(1, sizeof *d);
	uint8_t key[16];
	int64_t e, s;

	if (d == NULL)
		return -ENOMEM;
	m->dev = d;
	d->buckets = calloc(DEVICE_NONCE_BUCKETS, sizeof *d->buckets);
	d->work = malloc(MGMT_WORK_MAX);
	d->payload = malloc(MGMT_PAYLOAD_MAX + 1);
	d->env_buf = malloc(MGMT_ENVELOPE_MAX);
	if (d->buckets == NULL || d->work == NULL || d->payload == NULL || d->env_buf == NULL)
		return -ENOMEM;
	randombytes_buf(key, sizeof key);
	mgmt_nonce_init(&d->nonces, d->buckets, DEVICE_NONCE_BUCKETS, key);
	sodium_memzero(key, sizeof key);
	if (model_version_get(m->store, &e, &s) == 0) {
		d->known_epoch = e;
		d->known_serial = s;
	}
	return 0;
}

void device_free(struct mgmtd *m)
{
	struct device_state *d = m->dev;

	if (d == NULL)
		return;
	for (size_t i = 0; i < d->cap; i++) {
		if (d->by_id[i] == NULL)
			continue;
		http_shared_put(d->by_id[i]->env);
		free(d->by_id[i]->status);
		free(d->by_id[i]);
	}
	free(d->by_id);
	free(d->seen_due);
	if (d->graph_valid)
		model_graph_free(&d->graph);
	free(d->buckets);
	free(d->work);
	free(d->payload);
	free(d->env_buf);
	free(d);
	m->dev = NULL;
}

struct device_entry *device_entry(struct device_state *d, int64_t id)
{
	if (id <= 0)
		return NULL;
	if ((size_t)id >= d->cap) {
		size_t cap = d->cap ? d->cap : ENTRIES_FIRST_CAP;
		struct device_entry **n;

		while (cap <= (size_t)id)
			cap *= 2;
		n = realloc(d->by_id, cap * sizeof *n);
		if (n == NULL)
			return NULL;
		memset(n + d->cap, 0, (cap - d->cap) * sizeof *n);
		d->by_id = n;
		d->cap = cap;
	}
	if (d->by_id[id] == NULL) {
		d->by_id[id] = calloc(1, sizeof *d->by_id[id]);
		if (d->by_id[id] != NULL)
			d->by_id[id]->id = id;
	}
	return d->by_id[id];
}

int device_lookup(struct store *s, const uint8_t address[16], const uint8_t pk[MGMT_PK_LEN],
		  int64_t *id)
{
	const struct store_arg args[] = {STORE_BLOB(address, 16)};
	struct store_stmt *st;
	uint8_t have[MGMT_PK_LEN];
	size_t n = 0;
	int rc = model_first_row(s, "SELECT id, pubkey FROM devices WHERE address = ?", args,
				 1, &st);

	*id = 0;
	if (rc < 0)
		return rc;
	rc = store_col_blob(st, 1, have, sizeof have, &n) == 0 && n == sizeof have &&
		     sodium_memcmp(have, pk, sizeof have) == 0
		 ? 0
		 : -ENOENT;
	if (rc == 0)
		*id = store_col_i64(st, 0);
	store_finalize(st);
	return rc;
}

void device_seen(struct mgmtd *m, int64_t id, const char *agent)
{
	struct device_state *d = m->dev;
	struct device_entry *e = device_entry(d, id);
	int64_t now = (int64_t)time(NULL);

	if (e == NULL)
		return;
	/* A first agent is written at once (t_mgmtd_device reads it back). */
	if (agent != NULL && !e->agent_written) {
		if (model_device_seen(m->store, id, now, agent) == 0) {
			e->seen_written_s = now;
			e->seen_due_s = 0; /* a due one stays listed: the flush skips it */
			e->agent_written = true;
		}
		return;
	}
	if (e->seen_due_s != 0) {
		e->seen_due_s = now; /* already listed: the newest time */
		return;
	}
	if (now - e->seen_written_s < DEVICE_SEEN_WRITE_S)
		return;
	if (d->n_seen_due == d->cap_seen_due) {
		size_t cap = d->cap_seen_due ? 2 * d->cap_seen_due : 256;
		int64_t *n = realloc(d->seen_due, cap * sizeof *n);

		if (n == NULL)
			return; /* bookkeeping: the next request tries again */
		d->seen_due = n;
		d->cap_seen_due = cap;
	}
	d->seen_due[d->n_seen_due++] = id;
	e->seen_due_s = now;
}

int device_seen_timeout(const struct mgmtd *m, int64_t now_ms)
{
	const struct device_state *d = m->dev;
	int64_t left;

	if (d == NULL || d->n_seen_due == 0)
		return -1;
	left = d->seen_flushed_ms + DEVICE_SEEN_FLUSH_MS - now_ms;
	return left <= 0 ? 0 : (int)left;
}

void device_seen_flush(struct mgmtd *m, bool force)
{
	struct device_state *d = m->dev;
	int64_t now_ms = http_now_ms();
	int rc;

	if (d == NULL || d->n_seen_due == 0 ||
	    (!force && now_ms - d->seen_flushed_ms < DEVICE_SEEN_FLUSH_MS))
		return;
	d->seen_flushed_ms = now_ms;
	rc = model_tx_begin(m->store);
	for (size_t i = 0; i < d->n_seen_due && rc == 0; i++) {
		const struct device_entry *e = device_entry(d, d->seen_due[i]);

		if (e != NULL && e->seen_due_s != 0)
			rc = model_device_seen(m->store, e->id, e->seen_due_s, NULL);
	}
	if (model_tx_end(m->store, rc) < 0)
		return; /* kept due: the next flush tries again */
	for (size_t i = 0; i < d->n_seen_due; i++) {
		struct device_entry *e = device_entry(d, d->seen_due[i]);

		if (e != NULL && e->seen_due_s != 0) {
			e->seen_written_s = e->seen_due_s;
			e->seen_due_s = 0;
		}
	}
	d->n_seen_due = 0;
}

/* The wake key of device id's polls: "d<id>". */
void device_wake_key(int64_t id, char out[HTTP_KEY_MAX])
{
	snprintf(out, HTTP_KEY_MAX, "d%lld", (long long)id);
}

/*
 * The digest of a payload without its version: the text before
 * ,"epoch": and from ,"license_serial": on (the members between are
 * epoch, serial and issued, which follow from the version).
 */
static void content_digest(const char *p, size_t len, uint8_t out[MGMT_DIGEST_LEN])
{
	const char *a = strstr(p, ",\"epoch\":");
	const char *b = strstr(p, ",\"license_serial\":");
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, MGMT_DIGEST_LEN);
	if (a != NULL && b != NULL && a < b) {
		crypto_generichash_update(&h, (const uint8_t *)p, (size_t)(a - p));
		crypto_generichash_update(&h, (const uint8_t *)b, len - (size_t)(b - p));
	} else {
		crypto_generichash_update(&h, (const uint8_t *)p, len);
	}
	crypto_generichash_final(&h, out, MGMT_DIGEST_LEN);
}

/* "epoch":E,"serial":S of a payload this server built. */
static void payload_version(const char *p, uint64_t *epoch, uint64_t *serial)
{
	const char *e = strstr(p, ",\"epoch\":");
	const char *s = strstr(p, ",\"serial\":");

	*epoch = e != NULL ? strtoull(e + 9, NULL, 10) : 0;
	*serial = s != NULL ? strtoull(s + 10, NULL, 10) : 0;
}

/* What bundles carry besides the rows: the instance and the license serial. */
static int params_load(struct mgmtd *m, struct model_bundle_params *p)
{
	struct settings st;
	char why[SETTINGS_WHY_MAX];
	int rc = settings_load(m->store, &st, why, sizeof why);

	*p = (struct model_bundle_params){.wait_s = DEVICE_WAIT_DEFAULT_S,
					  .status_s = DEVICE_STATUS_DEFAULT_S};
	if (rc < 0)
		return rc;
	memcpy(p->instance, st.instance, sizeof p->instance);
	p->license_serial = st.serial;
	return 0;
}

/*
 * The membership graph, every device's row and the settings at the
 * version (epoch, serial), loaded once per version and shared by every
 * bundle built at it (which then reads nothing more): false when they
 * cannot be had at exactly that version (a change came in between).
 */
static bool graph_at(struct mgmtd *m, int64_t epoch, int64_t serial)
{
	struct device_state *d = m->dev;
	int64_t e2, s2;

	if (d->graph_valid && d->graph_epoch == epoch && d->graph_serial == serial)
		return true;
	if (d->graph_valid)
		model_graph_free(&d->graph);
	d->graph_valid = false;
	if (model_graph_load(m->store, &d->graph) < 0)
		return false;
	if (model_graph_load_rows(m->store, &d->graph) < 0 || params_load(m, &d->params) < 0 ||
	    model_version_get(m->store, &e2, &s2) < 0 || e2 != epoch || s2 != serial) {
		model_graph_free(&d->graph);
		return false;
	}
	d->graph_valid = true;
	d->graph_epoch = epoch;
	d->graph_serial = serial;
	return true;
}

int device_bundle(struct mgmtd *m, struct device_entry *e)
{
	struct device_state *d = m->dev;
	struct model_bundle_params p;
	uint8_t content[MGMT_DIGEST_LEN];
	int64_t epoch, serial;
	uint64_t pe, ps;
	size_t len = 0, elen;
	struct http_shared *env;
	int rc;

	if (e->env != NULL && !e->dirty)
		return 0;
	/* issued = the serial's second: the bytes are a function of the version. */
	rc = model_version_get(m->store, &epoch, &serial);
	if (rc == 0 && graph_at(m, epoch, serial))
		rc = model_bundle_build(&d->params, &d->graph, e->id, epoch, serial,
					serial / 1000, d->payload, MGMT_PAYLOAD_MAX + 1, &len);
	else if (rc == 0)
		rc = -EAGAIN;
	if (rc == -EAGAIN) { /* the version moved meanwhile: the model's own retries */
		rc = params_load(m, &p);
		if (rc == 0)
			rc = model_bundle_payload(m->store, &p, e->id, serial / 1000, d->payload,
						  MGMT_PAYLOAD_MAX + 1, &len);
	}
	if (rc < 0)
		return rc;
	content_digest(d->payload, len, content);
	e->dirty = false;
	if (e->env != NULL && memcmp(content, e->content, sizeof content) == 0) {
		d->rebuilt_same++;
		return 0; /* nothing it sees changed: its version stays */
	}
	payload_version(d->payload, &pe, &ps);
	elen = mgmt_envelope_seal(MGMT_DOMAIN_CONFIG, (const uint8_t *)d->payload, len,
				  m->keys.sk, (uint8_t *)d->work, MGMT_WORK_MAX, d->env_buf,
				  MGMT_ENVELOPE_MAX);
	if (elen == 0)
		return -ENOSPC;
	env = http_shared_new(d->env_buf, elen);
	if (env == NULL)
		return -ENOMEM;
	/* An answer still sending the old bytes keeps them until it is done. */
	http_shared_put(e->env);
	e->env = env;
	e->epoch = pe;
	e->serial = ps;
	memcpy(e->content, content, sizeof content);
	d->signed_bundles++;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* A device poll's key ("d<id>", device_wake_key) whose id is in the change's set. */
static bool key_affected(const char *key, const void *arg)
{
	const struct model_change *ch = arg;
	uint64_t id;
	char *end;

	if (key[0] != 'd' || key[1] < '1' || key[1] > '9')
		return false;
	id = strtoull(key + 1, &end, 10);
	return *end == '\0' &&
	       bsearch(&id, ch->affected, ch->n_affected, sizeof id, cmp_u64) != NULL;
}

void device_changed(struct mgmtd *m, const struct model_change *ch)
{
	struct device_state *d = m->dev;

	for (size_t i = 0; i < ch->n_affected; i++) {
		struct device_entry *e = device_entry(d, (int64_t)ch->affected[i]);

		if (e != NULL)
			e->dirty = true;
	}
	/* One pass over the parked polls (ch->affected is ascending), not one per device. */
	if (ch->n_affected > 0)
		d->woken += http_wake_if(&m->parking, key_affected, ch);
	d->covered_epoch = ch->epoch;
	d->covered_serial = ch->serial;
}

void device_version_check(struct mgmtd *m)
{
	struct device_state *d = m->dev;
	int64_t e, s;

	if (d == NULL || model_version_get(m->store, &e, &s) < 0 ||
	    (e == d->known_epoch && s == d->known_serial))
		return;
	d->known_epoch = e;
	d->known_serial = s;
	if (e == d->covered_epoch && s == d->covered_serial)
		return; /* device_changed woke exactly the devices it touched */
	if (feed_live(m))
		return; /* every other server's change comes with its devices (feed.h) */
	device_wake_all(m);
}

void device_wake_all(struct mgmtd *m)
{
	struct device_state *d = m->dev;

	/* A change whose devices are not known here: everyone re-checks. */
	for (size_t i = 0; i < d->cap; i++)
		if (d->by_id[i] != NULL)
			d->by_id[i]->dirty = true;
	d->woken += http_wake_prefix(&m->parking, "d");
}

void device_mark_parked(struct mgmtd *m, bool on)
{
	struct device_state *d = m->dev;

	for (size_t i = 0; d != NULL && i < m->parking.n; i++) {
		const char *k = m->parking.at[i].key;
		unsigned long long id;

		if (k[0] == 'd' && sscanf(k + 1, "%llu", &id) == 1 && id < d->cap &&
		    d->by_id[id] != NULL)
			d->by_id[id]->mark = on;
	}
}

void device_live(struct mgmtd *m, int64_t id, struct device_live *out)
{
	struct device_state *d = m->dev;
	const struct device_entry *e;

	memset(out, 0, sizeof *out);
	if (d == NULL || id <= 0 || (size_t)id >= d->cap || (e = d->by_id[id]) == NULL)
		return;
	out->online = e->mark ||
		      (e->status_ms > 0 && http_now_ms() - e->status_ms < DEVICE_ONLINE_MS);
	if (e->status == NULL)
		return;
	out->status = e->status;
	out->status_len = e->status_len;
	out->age_ms = http_now_ms() - e->status_ms;
	memcpy(out->paths, e->paths, sizeof out->paths);
}

size_t device_summary(struct mgmtd *m, char *out, size_t cap)
{
	struct device_state *d = m->dev;
	int64_t now = http_now_ms();
	size_t known = 0, online = 0;
	struct outbuf o;

	/* Parked polls mark their devices (one pass over each table). */
	device_mark_parked(m, true);
	for (size_t i = 0; i < d->cap; i++) {
		struct device_entry *e = d->by_id[i];

		if (e == NULL)
			continue;
		known++;
		online += e->mark || (e->status_ms > 0 && now - e->status_ms < DEVICE_ONLINE_MS);
		e->mark = false;
	}
	outbuf_init(&o, out, cap);
	outbuf_printf(&o, "{\"known\":%zu,\"online\":%zu,\"bundles_signed\":%llu,"
			  "\"rebuilt_same\":%llu,\"polls_woken\":%llu,\"auth_refused\":{",
		      known, online, (unsigned long long)d->signed_bundles,
		      (unsigned long long)d->rebuilt_same, (unsigned long long)d->woken);
	for (int f = 0; f < DEVICE_AUTH_FAILS; f++)
		outbuf_printf(&o, "%s\"%s\":%llu", f ? "," : "", device_auth_fail_name(f),
			      (unsigned long long)d->auth_fail[f]);
	outbuf_puts(&o, "}}");
	return outbuf_finish(&o);
}
