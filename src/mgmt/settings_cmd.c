/*
 * `subnetra-mgmtd settings`: change the license settings (every value
 * checked before anything is written; one transaction that also bumps the
 * license serial and writes an audit row), or `settings show` them.  It
 * runs beside a live server: a server on the same database sees the
 * change (watch.h) and serves the new license at once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/mesh/identity.h"
#include "core/mgmt/text.h"
#include "mgmt/commands.h"
#include "mgmt/mgmtd.h"
#include "mgmt/schema.h"
#include "mgmt/settings.h"
#include "mgmt/store.h"

static const char prog[] = "subnetra-mgmtd settings";

/* The database, at this build's schema version (a server migrates, not this). */
static int open_db(const char *db, enum store_open_mode mode, struct store **s)
{
	struct store_error e;
	int v = 0;

	if (store_open(s, db, mode, &e) < 0) {
		fprintf(stderr, "%s: %s\n", prog, e.msg);
		return MGMT_EXIT_DB;
	}
	if (store_version(*s, &v) < 0 || v != (int)schema_migration_count) {
		fprintf(stderr, "%s: %s: schema version %d, this build's is %zu (%s)\n",
			prog, store_path(*s), v, schema_migration_count,
			v < (int)schema_migration_count
			    ? "start the server once to migrate it"
			    : "a newer build made it");
		store_close(*s);
		*s = NULL;
		return MGMT_EXIT_DB;
	}
	return 0;
}

static void show(const struct settings *st)
{
	char addr[IDENTITY_ADDR_TEXT], pk[2 * MGMT_PK_LEN + 1], t1[MGMT_TIME_TEXT],
	    t2[MGMT_TIME_TEXT], id[2 * MGMT_INSTANCE_LEN + 1];

	printf("%-16s %s\n", "name", st->name);
	for (size_t i = 0; i < st->n_base; i++) {
		mgmt_hex_encode(pk, st->base[i].public_key, MGMT_PK_LEN);
		printf("%-16s %s:%u:%u:%s\n", i == 0 ? "base servers" : "",
		       st->base[i].host, st->base[i].udp_port, st->base[i].tcp_port, pk);
	}
	if (st->n_base == 0)
		printf("%-16s (none: set with --base-server)\n", "base servers");
	if (st->have_mgmt_addr)
		identity_address_format(st->mgmt_addr, addr);
	printf("%-16s %s\n", "mgmt address",
	       st->have_mgmt_addr ? addr : "(none: set with --mgmt-address)");
	printf("%-16s %s\n", "dashboard url", st->dashboard_url);
	printf("%-16s %u\n", "valid days", st->valid_days);
	if (st->have_instance) {
		mgmt_hex_encode(id, st->instance, MGMT_INSTANCE_LEN);
		printf("%-16s %s\n", "instance id", id);
	}
	if (st->serial != 0 && mgmt_time_format(st->issued, t1) &&
	    mgmt_time_format(st->issued + (int64_t)st->valid_days * 86400, t2))
		printf("%-16s %llu (issued %s, valid until %s)\n", "license serial",
		       (unsigned long long)st->serial, t1, t2);
	printf("%-16s %s\n", "license.json",
	       st->n_base > 0 && st->have_mgmt_addr && st->serial != 0
		   ? "served"
		   : "not served (503) until the base servers and the management address "
		     "are "
		     "set");
}

int cmd_settings(const struct mgmt_args *a)
{
	struct settings_change c = {
	    .name = a->name,
	    .bases = a->bases,
	    .n_bases = a->n_bases,
	    .mgmt_address = a->mgmt_address,
	    .dashboard_url = a->dashboard_url,
	    .valid_days = a->valid_days,
	};
	struct settings st;
	char why[SETTINGS_WHY_MAX];
	struct store *s = NULL;
	int rc;

	rc = open_db(a->db, a->show ? STORE_OPEN_READONLY : STORE_OPEN_EXISTING, &s);
	if (rc != 0)
		return rc;
	if (!a->show) {
		rc = settings_apply(s, &c, (int64_t)time(NULL), why, sizeof why);
		if (rc < 0) {
			fprintf(stderr, "%s: %s\n", prog, why);
			store_close(s);
			return rc == -EINVAL ? MGMT_EXIT_USAGE : MGMT_EXIT_DB;
		}
	}
	rc = settings_load(s, &st, why, sizeof why);
	store_close(s);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		return MGMT_EXIT_DB;
	}
	show(&st);
	return MGMT_EXIT_OK;
}
