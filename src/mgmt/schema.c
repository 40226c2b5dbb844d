/*
 * Migration 1 is the schema sketch of the management-plane design note
 * (section 3.6), adapted: accounts carry pw_must_change (the first admin's
 * one-time password), join_codes come before the devices that name them,
 * and every table is STRICT (SQLite then refuses a value of the wrong type
 * instead of storing it).  Times are unix seconds.
 *
 * Rules for a new migration: append it, never edit a released one (a
 * database at version N has run exactly scripts 1..N); one script per
 * backend; data moves inside the same script.
 */
#include "mgmt/schema.h"

static const char migration1_sqlite[] =
	"CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT NOT NULL) STRICT;\n"
	"CREATE TABLE accounts(id INTEGER PRIMARY KEY,\n"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT NOT NULL DEFAULT '',\n"
	"  role TEXT NOT NULL CHECK(role IN('admin','member')), pw_hash TEXT,\n"
	"  pw_must_change INTEGER NOT NULL DEFAULT 0, disabled INTEGER NOT NULL DEFAULT 0,\n"
	"  created_at INTEGER NOT NULL) STRICT;\n"
	"CREATE TABLE sessions(id_hash BLOB PRIMARY KEY,\n"
	"  account_id INTEGER NOT NULL REFERENCES accounts ON DELETE CASCADE,\n"
	"  csrf BLOB NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,\n"
	"  ip TEXT, agent TEXT) STRICT;\n"
	"CREATE TABLE api_tokens(id INTEGER PRIMARY KEY,\n"
	"  account_id INTEGER NOT NULL REFERENCES accounts ON DELETE CASCADE,\n"
	"  prefix TEXT NOT NULL UNIQUE, hash BLOB NOT NULL,\n"
	"  scope TEXT NOT NULL CHECK(scope IN('read','write','admin')), description TEXT,\n"
	"  created_at INTEGER NOT NULL, expires_at INTEGER, last_used INTEGER,\n"
	"  revoked_at INTEGER) STRICT;\n"
	"CREATE TABLE networks(id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,\n"
	"  owner_id INTEGER NOT NULL REFERENCES accounts, name TEXT NOT NULL,\n"
	"  comment TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL,\n"
	"  UNIQUE(owner_id, name)) STRICT;\n"
	"CREATE TABLE network_shares(\n"
	"  network_id INTEGER NOT NULL REFERENCES networks ON DELETE CASCADE,\n"
	"  account_id INTEGER NOT NULL REFERENCES accounts ON DELETE CASCADE,\n"
	"  role TEXT NOT NULL CHECK(role IN('viewer','manager')),\n"
	"  PRIMARY KEY(network_id, account_id)) STRICT;\n"
	"CREATE TABLE join_codes(id INTEGER PRIMARY KEY, prefix TEXT NOT NULL UNIQUE,\n"
	"  hash BLOB NOT NULL, account_id INTEGER NOT NULL REFERENCES accounts,\n"
	"  network_id INTEGER REFERENCES networks ON DELETE CASCADE,\n"
	"  reusable INTEGER NOT NULL, usage_limit INTEGER NOT NULL DEFAULT 0,\n"
	"  used INTEGER NOT NULL DEFAULT 0, ephemeral INTEGER NOT NULL DEFAULT 0,\n"
	"  hostname_policy TEXT NOT NULL DEFAULT 'suffix', description TEXT,\n"
	"  created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER) STRICT;\n"
	"CREATE TABLE devices(id INTEGER PRIMARY KEY,\n"
	"  address BLOB NOT NULL UNIQUE CHECK(length(address) = 16),\n"
	"  pubkey BLOB UNIQUE CHECK(pubkey IS NULL OR length(pubkey) = 32),\n"
	"  owner_id INTEGER REFERENCES accounts ON DELETE SET NULL, hostname TEXT NOT NULL,\n"
	"  aliases TEXT NOT NULL DEFAULT '[]' CHECK(json_valid(aliases)),\n"
	"  comment TEXT NOT NULL DEFAULT '', ephemeral INTEGER NOT NULL DEFAULT 0,\n"
	"  blocked INTEGER NOT NULL DEFAULT 0,\n"
	"  join_code_id INTEGER REFERENCES join_codes ON DELETE SET NULL,\n"
	"  created_at INTEGER NOT NULL, claimed_at INTEGER, last_seen INTEGER, agent TEXT,\n"
	"  applied_epoch INTEGER, applied_serial INTEGER,\n"
	"  status TEXT CHECK(status IS NULL OR json_valid(status))) STRICT;\n"
	"CREATE TABLE memberships(\n"
	"  network_id INTEGER NOT NULL REFERENCES networks ON DELETE CASCADE,\n"
	"  device_id INTEGER NOT NULL REFERENCES devices ON DELETE CASCADE,\n"
	"  added_by INTEGER REFERENCES accounts, added_at INTEGER NOT NULL,\n"
	"  PRIMARY KEY(network_id, device_id)) STRICT;\n"
	"CREATE INDEX memberships_device ON memberships(device_id);\n"
	"CREATE TABLE claim_requests(\n"
	"  device_id INTEGER PRIMARY KEY REFERENCES devices ON DELETE CASCADE,\n"
	"  secret_hash BLOB NOT NULL, expires_at INTEGER NOT NULL) STRICT;\n"
	"CREATE TABLE bundles(device_id INTEGER PRIMARY KEY REFERENCES devices ON DELETE CASCADE,\n"
	"  epoch INTEGER NOT NULL, serial INTEGER NOT NULL, digest BLOB NOT NULL,\n"
	"  envelope BLOB NOT NULL) STRICT;\n"
	"CREATE TABLE audit(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,\n"
	"  actor_kind TEXT NOT NULL CHECK(actor_kind IN('account','token','device','system')),\n"
	"  actor_id INTEGER, action TEXT NOT NULL, target_kind TEXT, target_id TEXT,\n"
	"  detail TEXT CHECK(detail IS NULL OR json_valid(detail)), remote TEXT) STRICT;\n"
	"CREATE INDEX audit_ts ON audit(ts);\n";

const struct store_migration schema_migrations[] = {
	{ .version = 1, .name = "initial schema", .script = { [STORE_SQLITE] = migration1_sqlite } },
};

const size_t schema_migration_count = sizeof schema_migrations / sizeof schema_migrations[0];
