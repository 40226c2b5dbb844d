/*
 * Migration 1 is the schema sketch of the management-plane design note
 * (section 3.6), adapted: accounts carry pw_must_change (the first admin's
 * one-time password), join_codes come before the devices that name them,
 * and every table is STRICT (SQLite then refuses a value of the wrong type
 * instead of storing it).  Times are unix seconds.
 *
 * Rules for a new migration: append it, never edit a released one (a
 * database at version N has run exactly scripts 1..N); one script per
 * backend (the same tables, in each engine's words); data moves inside
 * the same script.
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

/*
 * The same schema in PostgreSQL's words: identity keys, BIGINT times,
 * BYTEA, JSONB for the JSON columns (PostgreSQL 15 has no json_valid; a
 * JSONB column refuses what is not JSON), and case-insensitive unique
 * addresses as a unique index on lower(email).
 */
static const char migration1_postgres[] =
	"CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);\n"
	"CREATE TABLE accounts(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	"  email TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',\n"
	"  role TEXT NOT NULL CHECK(role IN('admin','member')), pw_hash TEXT,\n"
	"  pw_must_change INTEGER NOT NULL DEFAULT 0, disabled INTEGER NOT NULL DEFAULT 0,\n"
	"  created_at BIGINT NOT NULL);\n"
	"CREATE UNIQUE INDEX accounts_email ON accounts(lower(email));\n"
	"CREATE TABLE sessions(id_hash BYTEA PRIMARY KEY,\n"
	"  account_id BIGINT NOT NULL REFERENCES accounts ON DELETE CASCADE,\n"
	"  csrf BYTEA NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,\n"
	"  ip TEXT, agent TEXT);\n"
	"CREATE TABLE api_tokens(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	"  account_id BIGINT NOT NULL REFERENCES accounts ON DELETE CASCADE,\n"
	"  prefix TEXT NOT NULL UNIQUE, hash BYTEA NOT NULL,\n"
	"  scope TEXT NOT NULL CHECK(scope IN('read','write','admin')), description TEXT,\n"
	"  created_at BIGINT NOT NULL, expires_at BIGINT, last_used BIGINT,\n"
	"  revoked_at BIGINT);\n"
	"CREATE TABLE networks(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	"  uuid TEXT NOT NULL UNIQUE, owner_id BIGINT NOT NULL REFERENCES accounts,\n"
	"  name TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL,\n"
	"  UNIQUE(owner_id, name));\n"
	"CREATE TABLE network_shares(\n"
	"  network_id BIGINT NOT NULL REFERENCES networks ON DELETE CASCADE,\n"
	"  account_id BIGINT NOT NULL REFERENCES accounts ON DELETE CASCADE,\n"
	"  role TEXT NOT NULL CHECK(role IN('viewer','manager')),\n"
	"  PRIMARY KEY(network_id, account_id));\n"
	"CREATE TABLE join_codes(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	"  prefix TEXT NOT NULL UNIQUE, hash BYTEA NOT NULL,\n"
	"  account_id BIGINT NOT NULL REFERENCES accounts,\n"
	"  network_id BIGINT REFERENCES networks ON DELETE CASCADE,\n"
	"  reusable INTEGER NOT NULL, usage_limit INTEGER NOT NULL DEFAULT 0,\n"
	"  used INTEGER NOT NULL DEFAULT 0, ephemeral INTEGER NOT NULL DEFAULT 0,\n"
	"  hostname_policy TEXT NOT NULL DEFAULT 'suffix', description TEXT,\n"
	"  created_at BIGINT NOT NULL, expires_at BIGINT, revoked_at BIGINT);\n"
	"CREATE TABLE devices(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	"  address BYTEA NOT NULL UNIQUE CHECK(octet_length(address) = 16),\n"
	"  pubkey BYTEA UNIQUE CHECK(pubkey IS NULL OR octet_length(pubkey) = 32),\n"
	"  owner_id BIGINT REFERENCES accounts ON DELETE SET NULL, hostname TEXT NOT NULL,\n"
	"  aliases JSONB NOT NULL DEFAULT '[]',\n"
	"  comment TEXT NOT NULL DEFAULT '', ephemeral INTEGER NOT NULL DEFAULT 0,\n"
	"  blocked INTEGER NOT NULL DEFAULT 0,\n"
	"  join_code_id BIGINT REFERENCES join_codes ON DELETE SET NULL,\n"
	"  created_at BIGINT NOT NULL, claimed_at BIGINT, last_seen BIGINT, agent TEXT,\n"
	"  applied_epoch BIGINT, applied_serial BIGINT, status JSONB);\n"
	"CREATE TABLE memberships(\n"
	"  network_id BIGINT NOT NULL REFERENCES networks ON DELETE CASCADE,\n"
	"  device_id BIGINT NOT NULL REFERENCES devices ON DELETE CASCADE,\n"
	"  added_by BIGINT REFERENCES accounts, added_at BIGINT NOT NULL,\n"
	"  PRIMARY KEY(network_id, device_id));\n"
	"CREATE INDEX memberships_device ON memberships(device_id);\n"
	"CREATE TABLE claim_requests(\n"
	"  device_id BIGINT PRIMARY KEY REFERENCES devices ON DELETE CASCADE,\n"
	"  secret_hash BYTEA NOT NULL, expires_at BIGINT NOT NULL);\n"
	"CREATE TABLE bundles(device_id BIGINT PRIMARY KEY REFERENCES devices ON DELETE CASCADE,\n"
	"  epoch BIGINT NOT NULL, serial BIGINT NOT NULL, digest BYTEA NOT NULL,\n"
	"  envelope BYTEA NOT NULL);\n"
	"CREATE TABLE audit(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	"  ts BIGINT NOT NULL,\n"
	"  actor_kind TEXT NOT NULL CHECK(actor_kind IN('account','token','device','system')),\n"
	"  actor_id BIGINT, action TEXT NOT NULL, target_kind TEXT, target_id TEXT,\n"
	"  detail JSONB, remote TEXT);\n"
	"CREATE INDEX audit_ts ON audit(ts);\n";

/*
 * Migration 2, the data model's (src/mgmt/model_*.c): the instance's
 * bundle version (one row: epoch, and serial bumped by every change that
 * devices see, model_version.c), a session's last use (its idle expiry),
 * and unique device host names (two servers settling names at once
 * collide instead of duplicating one).
 */
static const char migration2_sqlite[] =
	"CREATE TABLE instance_version(id INTEGER PRIMARY KEY CHECK(id = 1),\n"
	"  epoch INTEGER NOT NULL, serial INTEGER NOT NULL) STRICT;\n"
	"INSERT INTO instance_version VALUES(1, 1, 0);\n"
	"ALTER TABLE sessions ADD COLUMN last_used INTEGER NOT NULL DEFAULT 0;\n"
	"CREATE INDEX sessions_account ON sessions(account_id);\n"
	"CREATE UNIQUE INDEX devices_hostname ON devices(hostname);\n";

static const char migration2_postgres[] =
	"CREATE TABLE instance_version(id INTEGER PRIMARY KEY CHECK(id = 1),\n"
	"  epoch BIGINT NOT NULL, serial BIGINT NOT NULL);\n"
	"INSERT INTO instance_version VALUES(1, 1, 0);\n"
	"ALTER TABLE sessions ADD COLUMN last_used BIGINT NOT NULL DEFAULT 0;\n"
	"CREATE INDEX sessions_account ON sessions(account_id);\n"
	"CREATE UNIQUE INDEX devices_hostname ON devices(hostname);\n";

/*
 * Migration 3, the dashboard's: an account's TOTP secret (model_totp.c;
 * pending until confirmed) and the last 30-second step a code was used in.
 */
static const char migration3_sqlite[] =
	"CREATE TABLE totp(account_id INTEGER PRIMARY KEY REFERENCES accounts ON DELETE CASCADE,\n"
	"  secret BLOB NOT NULL, enabled INTEGER NOT NULL, last_step INTEGER NOT NULL,\n"
	"  created_at INTEGER NOT NULL) STRICT;\n";

static const char migration3_postgres[] =
	"CREATE TABLE totp(account_id BIGINT PRIMARY KEY REFERENCES accounts ON DELETE CASCADE,\n"
	"  secret BYTEA NOT NULL, enabled INTEGER NOT NULL, last_step BIGINT NOT NULL,\n"
	"  created_at BIGINT NOT NULL);\n";

/*
 * Device request nonces shared by the servers of one database
 * (model_nonce.h): a nonce any server accepted is refused by all.
 */
static const char migration_nonces_sqlite[] =
	"CREATE TABLE device_nonces(pubkey BLOB NOT NULL CHECK(length(pubkey) = 32),\n"
	"  nonce BLOB NOT NULL CHECK(length(nonce) = 16), time_ms INTEGER NOT NULL,\n"
	"  PRIMARY KEY(pubkey, nonce)) STRICT, WITHOUT ROWID;\n"
	"CREATE INDEX device_nonces_time ON device_nonces(time_ms);\n";

static const char migration_nonces_postgres[] =
	"CREATE TABLE device_nonces(pubkey BYTEA NOT NULL CHECK(octet_length(pubkey) = 32),\n"
	"  nonce BYTEA NOT NULL CHECK(octet_length(nonce) = 16), time_ms BIGINT NOT NULL,\n"
	"  PRIMARY KEY(pubkey, nonce));\n"
	"CREATE INDEX device_nonces_time ON device_nonces(time_ms);\n";

const struct store_migration schema_migrations[] = {
	{ .version = 1,
	  .name = "initial schema",
	  .script = { [STORE_SQLITE] = migration1_sqlite, [STORE_POSTGRES] = migration1_postgres } },
	{ .version = 2,
	  .name = "instance version, session idle time",
	  .script = { [STORE_SQLITE] = migration2_sqlite, [STORE_POSTGRES] = migration2_postgres } },
	{ .version = 3,
	  .name = "TOTP secrets",
	  .script = { [STORE_SQLITE] = migration3_sqlite, [STORE_POSTGRES] = migration3_postgres } },
	{ .version = 4,
	  .name = "device request nonces",
	  .script = { [STORE_SQLITE] = migration_nonces_sqlite,
		      [STORE_POSTGRES] = migration_nonces_postgres } },
};

const size_t schema_migration_count = sizeof schema_migrations / sizeof schema_migrations[0];
