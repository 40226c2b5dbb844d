/*
 * The instance's license settings, in the meta table, and the license
 * built from them (payload: core/mgmt/license.h).
 *
 *   license_name           display name (default "subnetra")
 *   license_base_servers   one "HOST:UDP:TCP:PUBKEYHEX" per line
 *   license_mgmt_address   the management node's overlay address (RFC 5952)
 *   license_dashboard_url  "" or http(s)://...
 *   license_valid_days     1..3650 (default 365)
 *   license_serial         bumped by every change, in the change's transaction
 *   license_issued         unix seconds of the last bump
 *   instance_id            32 hex digits, made once (init, or the first change)
 *
 * The license is a pure function of these rows and the instance key
 * (Ed25519 signatures are deterministic), so every server on one database
 * serves the same bytes for one serial.  A change bumps the serial to
 * max(serial + 1, now in ms) and sets issued to now; so does a renewal,
 * once half the validity has passed (settings_renew).
 * Return convention: 0 or -errno; why (cap bytes) says what is wrong.
 */
#ifndef SUBNETRA_MGMT_SETTINGS_H
#define SUBNETRA_MGMT_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/license.h"
#include "mgmt/instance.h"
#include "mgmt/store.h"

#define META_INSTANCE_ID      "instance_id"
#define META_LIC_NAME	      "license_name"
#define META_LIC_BASES	      "license_base_servers"
#define META_LIC_MGMT_ADDR    "license_mgmt_address"
#define META_LIC_DASHBOARD    "license_dashboard_url"
#define META_LIC_VALID_DAYS   "license_valid_days"
#define META_LIC_SERIAL	      "license_serial"
#define META_LIC_ISSUED	      "license_issued"
#define SETTINGS_NAME_DEFAULT "subnetra"

enum {
	SETTINGS_VALID_DAYS_DEFAULT = 365,
	SETTINGS_VALID_DAYS_MAX = 3650,
	SETTINGS_BASE_SPEC_MAX = 360, /* "host:udp:tcp:<64 hex>" */
	SETTINGS_WHY_MAX = 256,
};

struct settings {
	char name[MGMT_TITLE_MAX + 1];
	size_t n_base;
	struct mgmt_base_server base[MGMT_SERVERS_MAX];
	bool have_mgmt_addr;
	uint8_t mgmt_addr[16];
	char dashboard_url[MGMT_URL_MAX + 1];
	unsigned valid_days;
	uint64_t serial;
	int64_t issued;
	bool have_instance;
	uint8_t instance[MGMT_INSTANCE_LEN];
};

/* What `settings` changes (NULL / 0: unchanged). */
struct settings_change {
	const char *name;
	const char *const *bases; /* n_bases specs: the new list */
	size_t n_bases;
	const char *mgmt_address;
	const char *dashboard_url;
	unsigned valid_days;
};

/* Every setting from meta (defaults for the absent ones). */
int settings_load(struct store *s, struct settings *st, char *why, size_t cap);

/* "HOST:UDP:TCP:PUBKEYHEX" (HOST may be "[v6]" or a bare IPv6 literal). */
int settings_base_parse(const char *spec, struct mgmt_base_server *b, char *why,
			size_t cap);

/*
 * Validate every field of c, then in one transaction write them, make the
 * instance id if missing, and bump the serial (now: unix seconds).
 * -EINVAL (why says which value and why) changes nothing.
 */
int settings_apply(struct store *s, const struct settings_change *c, int64_t now,
		   char *why, size_t cap);

/*
 * The license of st, signed with keys; -EAGAIN when a setting it needs is
 * missing (why names it).  out: MGMT_ENVELOPE_MAX bytes suffice; *len set.
 */
int settings_license(const struct settings *st, const struct instance_keys *keys,
		     struct mgmt_license *l, char *out, size_t cap, size_t *len,
		     char *why, size_t whycap);

/* Inside a transaction: a random instance id unless one exists (init, bump). */
int settings_instance_init(struct store *s);

/* A new serial and issued time when half of the validity has passed at now. */
int settings_renew(struct store *s, int64_t now, bool *renewed);

#endif
