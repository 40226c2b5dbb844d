/*
 * The model's networks, devices, join codes, claims and versions
 * (src/mgmt/model_network.c, model_device.c, model_joincode.c,
 * model_graph.c, model_version.c) on a real database: SQLite, and
 * PostgreSQL when SUBNETRA_TEST_PG_URL is set (mgmtd_model_fixture.h).
 *
 *  - re-joining (same code, another code) never duplicates a device or a
 *    membership; another key under a known address is refused;
 *  - malformed, unknown, tampered, used, used-up, expired and revoked
 *    codes are refused with their reason and nothing changed (devices,
 *    memberships, uses, audit rows, version);
 *  - the serial strictly increases, also when the clock steps back, and
 *    two servers bumping at once on PostgreSQL get two serials;
 *  - attach, detach, block: the affected sets, and the bundle payloads
 *    (decoded with core/mgmt/bundle.h) of the devices touched;
 *  - a failure inside a redeem's transaction (its audit insert refused by
 *    a trigger) leaves no device, membership, use or version behind;
 *  - host name policies suffix and replace-offline; claim requests
 *    (expiry after an hour, one use); network delete, shares, relations;
 *  - each mutation writes exactly one audit row; no code, claim secret
 *    or hash in any row.
 */
#include "mgmtd_model_fixture.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "core/mgmt/bundle.h"
#include "mgmt/model_device.h"
#include "mgmt/model_graph.h"
#include "mgmt/model_joincode.h"
#include "mgmt/model_network.h"
#include "mgmt/model_sql.h"
#include "mgmt/model_version.h"

static const int64_t T0 = 1700000000000; /* ms */
static const uint8_t FPR[MGMT_FPR_LEN] = {7, 7, 7};

static struct model_device_ident ident(int n, const char *hostname)
{
	struct model_device_ident d = {.hostname = hostname, .agent = "subnetra/test"};

	d.address[0] = 0xfc;
	d.address[1] = 0x94;
	d.address[15] = (uint8_t)n;
	d.pubkey[0] = (uint8_t)n;
	d.pubkey[31] = 0x55;
	return d;
}

struct snap {
	int64_t devices, memberships, used, audit, serial, claims;
};

static struct snap snap_of(struct fx *f)
{
	struct snap s;
	int64_t epoch;

	s.devices = fx_count(f, "SELECT count(*) FROM devices");
	s.memberships = fx_count(f, "SELECT count(*) FROM memberships");
	s.used = fx_count(f, "SELECT coalesce(sum(used), 0) FROM join_codes");
	s.audit = fx_audit_rows(f);
	s.claims = fx_count(f, "SELECT count(*) FROM claim_requests");
	assert_int_equal(model_version_get(f->s, &epoch, &s.serial), 0);
	return s;
}

static void same_snap(const struct snap *a, const struct snap *b)
{
	assert_int_equal(a->devices, b->devices);
	assert_int_equal(a->memberships, b->memberships);
	assert_int_equal(a->used, b->used);
	assert_int_equal(a->audit, b->audit);
	assert_int_equal(a->serial, b->serial);
	assert_int_equal(a->claims, b->claims);
}

static int64_t network(struct fx *f, const char *name)
{
	struct model_op op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0);
	int64_t id, before = fx_audit_rows(f);

	assert_int_equal(model_network_create(&op, f->admin, name, &id), 0);
	fx_one_audit(f, before, "network.create");
	return id;
}

static void code(struct fx *f, int64_t net, bool reusable, int64_t limit, int64_t expires,
		 enum model_hostname_policy policy, char out[MGMT_JOINCODE_LEN + 1], int64_t *id)
{
	struct model_op op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0);
	struct model_joincode_spec spec = {.network_id = net,
					   .reusable = reusable,
					   .usage_limit = limit,
					   .expires_at = expires,
					   .policy = policy};
	int64_t before = fx_audit_rows(f);

	assert_int_equal(model_joincode_create(&op, f->admin, FPR, &spec, out, id), 0);
	fx_one_audit(f, before, "joincode.create");
	fx_audit_lacks(f, out + 13); /* the secret part */
}

/* Redeem at time now; 0 or the refusal. */
static int join(struct fx *f, const char *c, const struct model_device_ident *d, int64_t now,
		int64_t *dev, enum model_code_refusal *why, struct model_change *ch)
{
	struct model_op op = fx_op(f, MODEL_ACTOR_SYSTEM, 0, now);

	return model_joincode_redeem(&op, c, d, dev, why, ch);
}

static void rejoin_never_duplicates(void **state)
{
	struct fx *f = *state;
	char c1[MGMT_JOINCODE_LEN + 1], c2[MGMT_JOINCODE_LEN + 1];
	int64_t n1 = network(f, "lab"), id1, id2, dev, dev2;
	struct model_device_ident a = ident(1, "robot"), evil = ident(1, "robot");
	struct model_change ch = {0};
	enum model_code_refusal why;
	struct model_device got;
	struct snap s;
	int64_t before;

	code(f, n1, true, 0, 0, MODEL_HOSTNAME_SUFFIX, c1, &id1);
	code(f, n1, false, 0, 0, MODEL_HOSTNAME_SUFFIX, c2, &id2);
	before = fx_audit_rows(f);
	assert_int_equal(join(f, c1, &a, T0, &dev, &why, &ch), 0);
	fx_one_audit(f, before, "device.join");
	assert_int_equal(ch.n_affected, 1);
	assert_int_equal(ch.affected[0], (uint64_t)dev);
	model_change_free(&ch);
	assert_int_equal(join(f, c1, &a, T0 + 1000, &dev2, &why, &ch), 0);
	model_change_free(&ch);
	assert_int_equal(dev2, dev);
	assert_int_equal(join(f, c2, &a, T0 + 2000, &dev2, &why, &ch), 0);
	model_change_free(&ch);
	assert_int_equal(dev2, dev);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM devices"), 1);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM memberships"), 1);
	assert_int_equal(fx_count(f, "SELECT used FROM join_codes WHERE reusable = 1"), 2);
	assert_int_equal(model_device_get(f->s, dev, &got), 0);
	assert_string_equal(got.hostname, "robot");
	assert_int_equal(got.owner_id, f->admin);
	assert_memory_equal(got.address, a.address, 16);
	/* The same address under another key: refused, nothing changed. */
	evil.pubkey[5] = 1;
	s = snap_of(f);
	assert_int_equal(join(f, c1, &evil, T0 + 3000, &dev2, &why, &ch), -EPERM);
	{
		struct snap t = snap_of(f);

		same_snap(&s, &t);
	}
	fx_audit_lacks(f, c1);
	fx_audit_lacks(f, c2);
}

static void refused_codes_change_nothing(void **state)
{
	struct fx *f = *state;
	struct model_op op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0);
	char once[MGMT_JOINCODE_LEN + 1], lim[MGMT_JOINCODE_LEN + 1], exp[MGMT_JOINCODE_LEN + 1];
	char rev[MGMT_JOINCODE_LEN + 1], bad[MGMT_JOINCODE_LEN + 1];
	int64_t n1 = network(f, "lab"), id, rev_id, dev;
	struct model_device_ident a = ident(1, "a"), b = ident(2, "b"), c = ident(3, "c");
	struct model_change ch = {0};
	enum model_code_refusal why;
	struct snap s, t;

	code(f, n1, false, 0, 0, MODEL_HOSTNAME_SUFFIX, once, &id);
	code(f, n1, true, 2, 0, MODEL_HOSTNAME_SUFFIX, lim, &id);
	code(f, n1, true, 0, T0 / 1000 + 60, MODEL_HOSTNAME_SUFFIX, exp, &id);
	code(f, n1, true, 0, 0, MODEL_HOSTNAME_SUFFIX, rev, &rev_id);
	assert_int_equal(join(f, once, &a, T0, &dev, &why, &ch), 0);
	model_change_free(&ch);
	assert_int_equal(join(f, lim, &a, T0, &dev, &why, &ch), 0);
	model_change_free(&ch);
	assert_int_equal(join(f, lim, &b, T0, &dev, &why, &ch), 0);
	model_change_free(&ch);
	s = snap_of(f);
	assert_int_equal(model_joincode_revoke(&op, rev_id), 0);
	fx_one_audit(f, s.audit, "joincode.revoke");
	assert_int_equal(model_joincode_revoke(&op, rev_id), -ENOENT);
	s = snap_of(f);

	struct {
		const char *code;
		int64_t now;
		enum model_code_refusal why;
	} cases[] = {
	    {once, T0, MODEL_CODE_USED},
	    {lim, T0, MODEL_CODE_USED},
	    {exp, T0 + 60000, MODEL_CODE_EXPIRED},
	    {rev, T0, MODEL_CODE_REVOKED},
	    {"snj_nonsense", T0, MODEL_CODE_MALFORMED},
	    {bad, T0, MODEL_CODE_UNKNOWN},
	    {bad, T0, MODEL_CODE_UNKNOWN},
	};
	/* A tampered secret under a real prefix; then a prefix nobody has. */
	memcpy(bad, exp, sizeof bad);
	bad[20] = bad[20] == '0' ? '1' : '0';
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (i == 6) {
			memcpy(bad, exp, sizeof bad);
			bad[5] = bad[5] == '0' ? '1' : '0';
		}
		why = MODEL_CODE_OK;
		assert_int_equal(join(f, cases[i].code, &c, cases[i].now, &dev, &why, &ch), -EACCES);
		assert_int_equal(why, cases[i].why);
		assert_null(ch.affected);
		t = snap_of(f);
		same_snap(&s, &t);
	}
	/* Still good before its expiry. */
	assert_int_equal(join(f, exp, &c, T0 + 59000, &dev, &why, &ch), 0);
	model_change_free(&ch);
	assert_string_equal(model_code_refusal_name(MODEL_CODE_EXPIRED), "expired");
}

static void serial_strictly_increases(void **state)
{
	struct fx *f = *state;
	int64_t n1 = network(f, "lab"), dev, epoch, serial, last;
	char c[MGMT_JOINCODE_LEN + 1];
	struct model_device_ident a = ident(1, "a");
	struct model_change ch = {0};
	enum model_code_refusal why;
	struct model_op op;
	int64_t id;

	code(f, n1, true, 0, 0, MODEL_HOSTNAME_SUFFIX, c, &id);
	assert_int_equal(join(f, c, &a, T0, &dev, &why, &ch), 0);
	assert_int_equal(ch.serial, T0);
	assert_int_equal(model_version_get(f->s, &epoch, &serial), 0);
	assert_int_equal(serial, T0);
	assert_int_equal(epoch, 1);
	model_change_free(&ch);
	last = T0;
	/* The clock steps back an hour, then stands still: +1 each time. */
	for (int i = 0; i < 4; i++) {
		op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0 - 3600000);
		assert_int_equal(i % 2 ? model_attach(&op, n1, dev, &ch) : model_detach(&op, n1, dev, &ch), 0);
		assert_int_equal(ch.serial, last + 1);
		last = ch.serial;
		model_change_free(&ch);
	}
	op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0 + 5000);
	assert_int_equal(model_device_set_blocked(&op, dev, true, &ch), 0);
	assert_int_equal(ch.serial, T0 + 5000);
	model_change_free(&ch);
}

/* A second server's change on its own connection: one version bump. */
struct bumper {
	int64_t now_ms;
	struct model_change ch;
	int rc;
};

static void *bump_elsewhere(void *arg)
{
	struct bumper *b = arg;
	struct store *s2 = NULL;
	struct store_error e;
	struct model_op op = {.who = {.kind = MODEL_ACTOR_SYSTEM}, .now_ms = b->now_ms};

	b->rc = store_open(&s2, fx_pg_url, STORE_OPEN_EXISTING, &e);
	op.s = s2;
	if (b->rc == 0)
		b->rc = model_tx_begin(s2);
	if (b->rc == 0)
		b->rc = model_tx_end(s2, model_version_bump(&op, &b->ch));
	store_close(s2);
	return NULL;
}

/*
 * Two servers on one PostgreSQL database bump at once: the second waits
 * for the first's row lock (seen in pg_stat_activity, polled), then adds
 * to the committed serial.  A read-then-write bump would give both the
 * same serial.  SQLite has one writer at a time by construction: skipped.
 */
static void two_servers_never_share_a_serial(void **state)
{
	struct fx *f = *state;
	struct model_op op = fx_op(f, MODEL_ACTOR_SYSTEM, 0, T0);
	struct model_change ch = {0};
	struct bumper b = {.now_ms = T0};
	struct store *watch = NULL;
	struct store_error e;
	pthread_t th;
	int64_t waiting = 0;

	if (store_kind(f->s) != STORE_POSTGRES)
		skip();
	assert_int_equal(store_open(&watch, fx_pg_url, STORE_OPEN_EXISTING, &e), 0);
	assert_int_equal(model_tx_begin(f->s), 0);
	assert_int_equal(model_version_bump(&op, &ch), 0);
	assert_int_equal(pthread_create(&th, NULL, bump_elsewhere, &b), 0);
	for (int i = 0; i < 2000 && waiting == 0; i++) {
		struct timespec ts = {0, 5 * 1000 * 1000};

		assert_int_equal(model_query_i64(watch,
						 "SELECT count(*) FROM pg_stat_activity WHERE "
						 "wait_event_type = 'Lock'",
						 NULL, 0, &waiting),
				 0);
		if (waiting == 0)
			nanosleep(&ts, NULL);
	}
	assert_int_equal(model_tx_end(f->s, 0), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	store_close(watch);
	assert_int_equal(waiting, 1);
	assert_int_equal(b.rc, 0);
	assert_int_equal(ch.serial, T0);
	assert_int_equal(b.ch.serial, T0 + 1);
}

/* The peers of dev's bundle payload, as addresses' last bytes, into out. */
static size_t bundle_peers(struct fx *f, int64_t dev, uint8_t *out, struct mgmt_bundle *b)
{
	static char payload[1 << 16];
	struct model_bundle_params p = {.instance = {1, 2, 3}, .license_serial = 7,
					.wait_s = 50, .status_s = 60};
	struct mgmt_bundle_skips skips = {0};
	size_t len = 0;

	assert_int_equal(model_bundle_payload(f->s, &p, dev, T0 / 1000, payload, sizeof payload, &len), 0);
	assert_int_equal(strlen(payload), len);
	assert_true(mgmt_bundle_decode((const uint8_t *)payload, len, b, &skips));
	assert_int_equal(skips.bad_names + skips.bad_peers, 0);
	for (size_t i = 0; i < b->n_peers; i++)
		out[i] = b->peers[i].address[15];
	return b->n_peers;
}

/* ch's affected set is exactly the n ids given, ascending; then freed. */
static void expect_affected(struct model_change *ch, size_t n, ...)
{
	va_list ap;

	assert_int_equal(ch->n_affected, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ch->affected[i], (uint64_t)va_arg(ap, int64_t));
	va_end(ap);
	model_change_free(ch);
}

static void affected_and_bundles(void **state)
{
	struct fx *f = *state;
	struct model_op op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0);
	int64_t n1 = network(f, "lab"), n2 = network(f, "other"), id, da, db, dc, dd, before;
	char c[MGMT_JOINCODE_LEN + 1];
	struct model_device_ident a = ident(1, "alpha"), b = ident(2, "beta"), cc = ident(3, "gamma"),
				  d = ident(4, "delta");
	struct model_change ch = {0};
	enum model_code_refusal why;
	struct mgmt_bundle *bun = calloc(1, sizeof *bun);
	uint8_t peers[16];
	const char *const aliases[] = {"master", "www"};

	assert_non_null(bun);
	code(f, n1, true, 0, 0, MODEL_HOSTNAME_SUFFIX, c, &id);
	assert_int_equal(join(f, c, &a, T0, &da, &why, &ch), 0);
	model_change_free(&ch);
	assert_int_equal(join(f, c, &b, T0, &db, &why, &ch), 0);
	/* b's join touches a and b. */
	expect_affected(&ch, 2, da, db);
	code(f, n2, true, 0, 0, MODEL_HOSTNAME_SUFFIX, c, &id);
	assert_int_equal(join(f, c, &cc, T0, &dc, &why, &ch), 0);
	model_change_free(&ch);
	assert_int_equal(join(f, c, &d, T0, &dd, &why, &ch), 0);
	model_change_free(&ch);

	assert_int_equal(bundle_peers(f, da, peers, bun), 1);
	assert_int_equal(peers[0], 2);
	assert_string_equal(bun->self.hostname, "alpha");
	assert_string_equal(bun->peers[0].names.hostname, "beta");
	assert_int_equal(bun->license_serial, 7);

	/* Attach c to n1: n1's members and c. */
	before = fx_audit_rows(f);
	assert_int_equal(model_attach(&op, n1, dc, &ch), 0);
	fx_one_audit(f, before, "network.attach");
	expect_affected(&ch, 3, da, db, dc);
	assert_int_equal(model_attach(&op, n1, dc, &ch), -EEXIST);
	assert_int_equal(model_attach(&op, n1, 9999, &ch), -ENOENT);
	assert_int_equal(fx_audit_rows(f), before + 1);
	assert_int_equal(bundle_peers(f, da, peers, bun), 2);
	assert_int_equal(peers[1], 3);
	/* c now sees a, b (n1) and d (n2). */
	assert_int_equal(bundle_peers(f, dc, peers, bun), 3);
	assert_int_equal(bun->serial, (uint64_t)snap_of(f).serial);

	/* Aliases reach the peers' bundles. */
	assert_int_equal(model_device_set_aliases(&op, dc, aliases, 2, &ch), 0);
	fx_one_audit(f, before + 1, "device.aliases");
	assert_int_equal(ch.n_affected, 4); /* c and everyone sharing a network with it */
	model_change_free(&ch);
	assert_int_equal(bundle_peers(f, da, peers, bun), 2);
	assert_int_equal(bun->peers[1].names.n_aliases, 2);
	assert_string_equal(bun->peers[1].names.aliases[1], "www");

	/* Block b: b and those sharing a network with it; b vanishes from a's bundle. */
	before = fx_audit_rows(f);
	assert_int_equal(model_device_set_blocked(&op, db, true, &ch), 0);
	fx_one_audit(f, before, "device.block");
	expect_affected(&ch, 3, da, db, dc);
	assert_int_equal(bundle_peers(f, da, peers, bun), 1);
	assert_int_equal(peers[0], 3);
	assert_int_equal(bundle_peers(f, db, peers, bun), 0);
	assert_int_equal(model_device_set_blocked(&op, db, false, &ch), 0);
	model_change_free(&ch);
	assert_int_equal(bundle_peers(f, da, peers, bun), 2);

	/* Detach c from n1: the same set as its attach. */
	before = fx_audit_rows(f);
	assert_int_equal(model_detach(&op, n1, dc, &ch), 0);
	fx_one_audit(f, before, "network.detach");
	assert_int_equal(ch.n_affected, 3);
	assert_int_equal(ch.affected[2], (uint64_t)dc);
	model_change_free(&ch);
	assert_int_equal(model_detach(&op, n1, dc, &ch), -ENOENT);
	assert_int_equal(fx_audit_rows(f), before + 1);
	assert_int_equal(bundle_peers(f, da, peers, bun), 1);
	assert_int_equal(peers[0], 2);
	assert_int_equal(bundle_peers(f, dc, peers, bun), 1);
	assert_int_equal(peers[0], 4);

	/* Rename; leave (device actor); delete; each one audit row. */
	before = fx_audit_rows(f);
	assert_int_equal(model_device_rename(&op, da, "beta", &ch), -EEXIST);
	assert_int_equal(model_device_rename(&op, da, "Not A Name", &ch), -EINVAL);
	assert_int_equal(model_device_rename(&op, da, "alpha2", &ch), 0);
	fx_one_audit(f, before, "device.rename");
	model_change_free(&ch);
	op = fx_op(f, MODEL_ACTOR_DEVICE, dd, T0);
	assert_int_equal(model_device_leave(&op, dd, &ch), 0);
	fx_one_audit(f, before + 1, "device.leave");
	assert_int_equal(ch.n_affected, 2); /* c and d */
	model_change_free(&ch);
	assert_int_equal(bundle_peers(f, dd, peers, bun), 0);
	op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0);
	assert_int_equal(model_device_delete(&op, db, &ch), 0);
	fx_one_audit(f, before + 2, "device.delete");
	assert_int_equal(ch.n_affected, 2); /* a and b */
	model_change_free(&ch);
	assert_int_equal(bundle_peers(f, da, peers, bun), 0);
	assert_int_equal(model_bundle_payload(f->s, &(struct model_bundle_params){0}, db, 0,
					      (char[8]){0}, 8, &(size_t){0}), -ENOENT);
	/* Network delete: its members. */
	assert_int_equal(model_attach(&op, n1, dc, &ch), 0);
	model_change_free(&ch);
	assert_int_equal(model_network_delete(&op, n1, &ch), 0);
	fx_one_audit(f, before + 4, "network.delete");
	assert_int_equal(ch.n_affected, 2);
	model_change_free(&ch);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM memberships"), 1); /* c in n2 */
	free(bun);
}

static void failure_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct model_op op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0);
	int64_t n1 = network(f, "lab"), id, dev, da;
	char c[MGMT_JOINCODE_LEN + 1];
	struct model_device_ident a = ident(1, "a"), b = ident(2, "b");
	struct model_change ch = {0};
	enum model_code_refusal why;
	struct snap s, t;

	code(f, n1, false, 0, 0, MODEL_HOSTNAME_SUFFIX, c, &id);
	assert_int_equal(join(f, c, &a, T0, &da, &why, &ch), 0);
	model_change_free(&ch);
	code(f, n1, false, 0, 0, MODEL_HOSTNAME_SUFFIX, c, &id);
	fx_refuse_audit(f, "device.join");
	s = snap_of(f);
	/* The device row, its membership, the use and the version were written, then the audit failed. */
	assert_true(join(f, c, &b, T0 + 1000, &dev, &why, &ch) < 0);
	assert_null(ch.affected);
	t = snap_of(f);
	same_snap(&s, &t);
	/* The same for a detach, and the code is still unused. */
	fx_allow_audit(f);
	fx_refuse_audit(f, "network.detach");
	assert_true(model_detach(&op, n1, da, &ch) < 0);
	t = snap_of(f);
	same_snap(&s, &t);
	assert_int_equal(join(f, c, &b, T0 + 2000, &dev, &why, &ch), 0);
	model_change_free(&ch);
}

static void hostname_policies(void **state)
{
	struct fx *f = *state;
	int64_t n1 = network(f, "lab"), id, d1, d2, d3, d4;
	char suf[MGMT_JOINCODE_LEN + 1], rep[MGMT_JOINCODE_LEN + 1];
	struct model_device_ident a = ident(1, "cam"), b = ident(2, "cam"), c = ident(3, "cam"),
				  none = ident(4, NULL), bad = ident(5, "Bad_Name");
	struct model_change ch = {0};
	enum model_code_refusal why;
	struct model_device got;

	code(f, n1, true, 0, 0, MODEL_HOSTNAME_SUFFIX, suf, &id);
	code(f, n1, true, 0, 0, MODEL_HOSTNAME_REPLACE_OFFLINE, rep, &id);
	assert_int_equal(join(f, suf, &a, T0, &d1, &why, &ch), 0);
	model_change_free(&ch);
	assert_int_equal(join(f, suf, &b, T0, &d2, &why, &ch), 0);
	model_change_free(&ch);
	assert_int_equal(model_device_get(f->s, d2, &got), 0);
	assert_string_equal(got.hostname, "cam-2");
	/* d1 online: replace-offline falls back to a suffix. */
	assert_int_equal(model_device_seen(f->s, d1, T0 / 1000, NULL), 0);
	assert_int_equal(join(f, rep, &c, T0 + 1000, &d3, &why, &ch), 0);
	model_change_free(&ch);
	assert_int_equal(model_device_get(f->s, d3, &got), 0);
	assert_string_equal(got.hostname, "cam-3");
	/* Later d1 is offline: a re-join of c asking for "cam" takes it, d1 renamed. */
	assert_int_equal(join(f, rep, &c, T0 + 1000 * (MODEL_OFFLINE_S + 10), &d3, &why, &ch), 0);
	assert_int_equal(model_device_get(f->s, d3, &got), 0);
	assert_string_equal(got.hostname, "cam");
	assert_int_equal(model_device_get(f->s, d1, &got), 0);
	assert_string_not_equal(got.hostname, "cam");
	assert_non_null(strstr(got.hostname, "cam-"));
	/* d1's peers (all of n1) are among the affected. */
	assert_int_equal(ch.n_affected, 3);
	model_change_free(&ch);
	/* No name asked: device-<id>; a bad one refused with nothing changed. */
	assert_int_equal(join(f, suf, &none, T0, &d4, &why, &ch), 0);
	model_change_free(&ch);
	assert_int_equal(model_device_get(f->s, d4, &got), 0);
	assert_int_equal(strncmp(got.hostname, "device-", 7), 0);
	assert_int_equal(join(f, suf, &bad, T0, &d4, &why, &ch), -EINVAL);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM devices"), 4);
}

static void claims(void **state)
{
	struct fx *f = *state;
	struct model_op dev_op = fx_op(f, MODEL_ACTOR_SYSTEM, 0, T0);
	struct model_op op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0 + 1000);
	int64_t n1 = network(f, "lab"), dev, dev2, before;
	char secret[MODEL_CLAIM_TEXT], old[MODEL_CLAIM_TEXT];
	struct model_device_ident a = ident(1, "lonely");
	struct model_change ch = {0};
	struct model_device got;

	before = fx_audit_rows(f);
	assert_int_equal(model_claim_request(&dev_op, &a, secret, &dev), 0);
	fx_one_audit(f, before, "device.claim_request");
	memcpy(old, secret, sizeof old);
	/* Asking again replaces the secret; the device row is the same. */
	assert_int_equal(model_claim_request(&dev_op, &a, secret, &dev2), 0);
	assert_int_equal(dev2, dev);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM claim_requests"), 1);
	assert_int_equal(model_claim_redeem(&op, old, n1, &dev2, &ch), -ENOENT);
	/* After an hour: expired. */
	op.now_ms = T0 + 3600 * 1000;
	assert_int_equal(model_claim_redeem(&op, secret, n1, &dev2, &ch), -ENOENT);
	op.now_ms = T0 + 1000;
	before = fx_audit_rows(f);
	assert_int_equal(model_claim_redeem(&op, secret, n1, &dev2, &ch), 0);
	fx_one_audit(f, before, "device.claim");
	assert_int_equal(dev2, dev);
	assert_int_equal(ch.n_affected, 1);
	model_change_free(&ch);
	assert_int_equal(model_device_get(f->s, dev, &got), 0);
	assert_int_equal(got.owner_id, f->admin);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM memberships"), 1);
	/* One use. */
	assert_int_equal(model_claim_redeem(&op, secret, n1, &dev2, &ch), -ENOENT);
	assert_int_equal(model_claim_redeem(&op, "xyz", n1, &dev2, &ch), -ENOENT);
	fx_audit_lacks(f, secret);
	fx_audit_lacks(f, old);
}

static void networks_shares(void **state)
{
	struct fx *f = *state;
	struct model_op op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0);
	int64_t n1 = network(f, "lab"), member, before, id, dev;
	char c[MGMT_JOINCODE_LEN + 1];
	struct model_device_ident a = ident(1, "a");
	struct model_change ch = {0};
	enum model_code_refusal why;
	enum perm_rel rel;

	assert_int_equal(model_network_create(&op, f->admin, "lab", &id), -EEXIST);
	assert_int_equal(model_network_create(&op, f->admin, "", &id), -EINVAL);
	/* One network read back (the admin API's GET), and a missing one. */
	{
		struct model_network got;

		assert_int_equal(model_network_get(f->s, n1, &got), 0);
		assert_int_equal(got.id, n1);
		assert_string_equal(got.name, "lab");
		assert_int_equal(got.owner_id, f->admin);
		assert_int_equal(got.members, 0);
		assert_int_equal(model_network_get(f->s, n1 + 1000, &got), -ENOENT);
	}
	/* Join codes listed by account: the prefix, never the secret. */
	{
		struct model_joincode_info rows[2];
		int64_t cid;
		size_t n;

		code(f, n1, true, 3, 0, MODEL_HOSTNAME_REPLACE_OFFLINE, c, &cid);
		assert_int_equal(model_joincode_list(f->s, f->admin, cid - 1, 2, rows, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(rows[0].id, cid);
		assert_int_equal(rows[0].network_id, n1);
		assert_true(rows[0].reusable);
		assert_int_equal(rows[0].usage_limit, 3);
		assert_int_equal(rows[0].policy, MODEL_HOSTNAME_REPLACE_OFFLINE);
		assert_int_equal(strlen(rows[0].prefix), MGMT_JOINCODE_PREFIX_CHARS);
		assert_memory_equal(rows[0].prefix, c + 4, MGMT_JOINCODE_PREFIX_CHARS);
		assert_int_equal(model_joincode_list(f->s, f->admin + 1000, 0, 2, rows, &n), 0);
		assert_int_equal(n, 0);
	}
	assert_int_equal(model_account_create(&op, "m@example.org", MODEL_ROLE_MEMBER, NULL, &member), 0);
	assert_int_equal(model_network_relation(f->s, member, n1, &rel), 0);
	assert_int_equal(rel, PERM_REL_NONE);
	assert_int_equal(model_network_relation(f->s, f->admin, n1, &rel), 0);
	assert_int_equal(rel, PERM_REL_OWNER);
	before = fx_audit_rows(f);
	assert_int_equal(model_network_share(&op, n1, member, MODEL_SHARE_VIEWER), 0);
	fx_one_audit(f, before, "network.share");
	assert_int_equal(model_network_relation(f->s, member, n1, &rel), 0);
	assert_int_equal(rel, PERM_REL_VIEWER);
	assert_int_equal(model_network_share(&op, n1, member, MODEL_SHARE_MANAGER), 0);
	assert_int_equal(model_network_relation(f->s, member, n1, &rel), 0);
	assert_int_equal(rel, PERM_REL_MANAGER);
	code(f, n1, false, 0, 0, MODEL_HOSTNAME_SUFFIX, c, &id);
	assert_int_equal(join(f, c, &a, T0, &dev, &why, &ch), 0);
	model_change_free(&ch);
	assert_int_equal(model_device_relation(f->s, member, dev, &rel), 0);
	assert_int_equal(rel, PERM_REL_MANAGER);
	assert_int_equal(model_network_share(&op, n1, member, MODEL_SHARE_NONE), 0);
	assert_int_equal(model_device_relation(f->s, member, dev, &rel), 0);
	assert_int_equal(rel, PERM_REL_NONE);
	before = fx_audit_rows(f);
	assert_int_equal(model_network_rename(&op, n1, "lab 2"), 0);
	fx_one_audit(f, before, "network.rename");
	assert_int_equal(model_network_rename(&op, 9999, "x"), -ENOENT);
	/* Lists: all for 0, the owner's and shared ones for a member; pages by id. */
	{
		struct model_network nets[4];
		static struct model_device devs[4];
		int64_t n2 = network(f, "two"), mine;
		size_t n;

		assert_int_equal(model_network_create(&op, member, "mine", &mine), 0);
		assert_int_equal(model_network_list(f->s, 0, 0, 4, nets, &n), 0);
		assert_int_equal(n, 3);
		assert_string_equal(nets[0].name, "lab 2");
		assert_int_equal(nets[0].members, 1);
		assert_int_equal(strlen(nets[0].uuid), 32);
		assert_int_equal(model_network_list(f->s, 0, n1, 1, nets, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(nets[0].id, n2);
		assert_int_equal(model_network_list(f->s, member, 0, 4, nets, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(nets[0].id, mine);
		assert_int_equal(model_network_share(&op, n2, member, MODEL_SHARE_VIEWER), 0);
		assert_int_equal(model_network_list(f->s, member, 0, 4, nets, &n), 0);
		assert_int_equal(n, 2);
		assert_int_equal(model_network_list(f->s, 0, 0, 0, nets, &n), -EINVAL);
		assert_int_equal(model_device_list(f->s, n1, 0, 4, devs, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(devs[0].id, dev);
		assert_string_equal(devs[0].hostname, "a");
		assert_int_equal(model_device_list(f->s, n2, 0, 4, devs, &n), 0);
		assert_int_equal(n, 0);
		assert_int_equal(model_device_list(f->s, 0, dev, 4, devs, &n), 0);
		assert_int_equal(n, 0);
		before = fx_audit_rows(f);
	}
	assert_int_equal(model_network_delete(&op, 9999, &ch), -ENOENT);
	assert_int_equal(fx_audit_rows(f), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(rejoin_never_duplicates, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(refused_codes_change_nothing, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(serial_strictly_increases, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(two_servers_never_share_a_serial, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(affected_and_bundles, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(failure_leaves_nothing, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(hostname_policies, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(claims, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(networks_shares, fx_setup, fx_teardown),
	};

	return fx_run("mgmtd_model_fleet", tests, sizeof tests / sizeof tests[0]);
}
