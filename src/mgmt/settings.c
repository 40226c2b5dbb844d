/* License settings in meta, and the license made from them (see settings.h). */
#include "mgmt/settings.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/mesh/identity.h"
#include "core/mesh/name.h"
#include "core/mgmt/envelope.h"
#include "core/mgmt/jsonio.h"
#include "core/mgmt/text.h"
#include "mgmt/accounts.h"
#include "mgmt/meta.h"
#include "mgmt/model.h"
#include "mgmt/model_audit.h"
#include "mgmt/model_version.h"

enum {
	BASES_TEXT_MAX = MGMT_SERVERS_MAX * SETTINGS_BASE_SPEC_MAX,
	NUM_MAX = 24,
	/* A license's payload: 8 base servers and every field at its longest fit. */
	LICENSE_PAYLOAD_MAX = 8192,
};

/* why = the message; returns rc. */
__attribute__((format(printf, 4, 5))) static int fail(char *why, size_t cap, int rc,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return rc;
}

#define WHY(...) fail(why, cap, -EINVAL, __VA_ARGS__)

/* A decimal 0..max, digits only. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || s[i] != '\0' || (s[0] == '0' && i > 1))
		return false;
	*out = v;
	return true;
}

int settings_base_parse(const char *spec, struct mgmt_base_server *b, char *why,
			size_t cap)
{
	char buf[SETTINGS_BASE_SPEC_MAX + 1], *host, *c3, *c2, *c1;
	uint64_t udp, tcp;
	size_t hl;

	memset(b, 0, sizeof *b);
	if (strlen(spec) >= sizeof buf)
		return WHY("base server '%.40s...': too long", spec);
	snprintf(buf, sizeof buf, "%s", spec);
	/* From the right: the host may be an IPv6 literal, full of colons. */
	c3 = strrchr(buf, ':');
	if (c3 != NULL)
		*c3 = '\0';
	c2 = c3 ? strrchr(buf, ':') : NULL;
	if (c2 != NULL)
		*c2 = '\0';
	c1 = c2 ? strrchr(buf, ':') : NULL;
	if (c1 == NULL)
		return WHY("base server '%s': want HOST:UDP_PORT:TCP_PORT:PUBLIC_KEY_HEX",
			   spec);
	*c1 = '\0';
	host = buf;
	hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		host++;
		hl -= 2;
	}
	if (hl == 0 || hl > MESH_HOST_NAME_MAX || mesh_host_problem(host, hl) != NULL)
		return WHY("base server '%s': host '%s': %s", spec, host,
			   hl == 0		     ? "empty"
			   : hl > MESH_HOST_NAME_MAX ? "too long"
						     : mesh_host_problem(host, hl));
	if (!parse_u64(c1 + 1, 65535, &udp) || udp == 0)
		return WHY("base server '%s': UDP port '%s': want 1..65535", spec,
			   c1 + 1);
	if (!parse_u64(c2 + 1, 65535, &tcp) || tcp == 0)
		return WHY("base server '%s': TCP port '%s': want 1..65535", spec,
			   c2 + 1);
	if (!mgmt_hex_decode(c3 + 1, strlen(c3 + 1), b->public_key, MGMT_PK_LEN))
		return WHY("base server '%s': public key: want 64 lowercase hex digits",
			   spec);
	if (!identity_pk_acceptable(b->public_key))
		return WHY("base server '%s': public key is not a subnetra identity key "
			   "(the proof-of-work filter of docs/mesh.md)",
			   spec);
	memcpy(b->host, host, hl + 1);
	b->udp_port = (uint16_t)udp;
	b->tcp_port = (uint16_t)tcp;
	return 0;
}

static int parse_addr(const char *s, uint8_t out[16], char *why, size_t cap)
{
	if (!identity_address_parse(s, strlen(s), out) || !identity_address_in_overlay(out))
		return WHY("management address '%s': want an overlay address (fc94::/16)",
			   s);
	return 0;
}

static int check_url(const char *s, char *why, size_t cap)
{
	size_t n = strlen(s);
	bool scheme = (n > 7 && strncmp(s, "http://", 7) == 0) ||
		      (n > 8 && strncmp(s, "https://", 8) == 0);

	if (n == 0)
		return 0;
	if (n > MGMT_URL_MAX || !scheme)
		return WHY(
		    "dashboard URL: want \"\" or http:// or https:// and at most %d "
		    "bytes",
		    MGMT_URL_MAX);
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return WHY("dashboard URL: only printable ASCII, no spaces");
	return 0;
}

static int check_name(const char *s, char *why, size_t cap)
{
	size_t n = strlen(s);

	if (n == 0 || n > MGMT_TITLE_MAX || !mgmt_text_printable(s, n))
		return WHY("name: want 1..%d bytes of printable UTF-8", MGMT_TITLE_MAX);
	return 0;
}

/* meta value of key into out, "" when absent. */
static int get_opt(struct store *s, const char *key, char *out, size_t cap)
{
	int rc = meta_get(s, key, out, cap);

	if (rc == -ENOENT) {
		out[0] = '\0';
		return 0;
	}
	return rc;
}

int settings_load(struct store *s, struct settings *st, char *why, size_t cap)
{
	char bases[BASES_TEXT_MAX], addr[IDENTITY_ADDR_TEXT + 8], num[NUM_MAX],
	    id[2 * MGMT_INSTANCE_LEN + 8];
	uint64_t v;
	int rc;

	memset(st, 0, sizeof *st);
	snprintf(st->name, sizeof st->name, "%s", SETTINGS_NAME_DEFAULT);
	st->valid_days = SETTINGS_VALID_DAYS_DEFAULT;
	if ((rc = get_opt(s, META_LIC_NAME, st->name, sizeof st->name)) < 0 ||
	    (rc = get_opt(s, META_LIC_BASES, bases, sizeof bases)) < 0 ||
	    (rc = get_opt(s, META_LIC_MGMT_ADDR, addr, sizeof addr)) < 0 ||
	    (rc = get_opt(s, META_LIC_DASHBOARD, st->dashboard_url,
			  sizeof st->dashboard_url)) < 0 ||
	    (rc = get_opt(s, META_INSTANCE_ID, id, sizeof id)) < 0)
		return fail(why, cap, rc, "meta: %s",
			    rc == -ENOSPC ? "a setting too long" : store_errmsg(s));
	if (st->name[0] == '\0')
		snprintf(st->name, sizeof st->name, "%s", SETTINGS_NAME_DEFAULT);
	for (char *line = bases, *next; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		next = next ? (*next = '\0', next + 1) : line + strlen(line);
		if (st->n_base == MGMT_SERVERS_MAX ||
		    settings_base_parse(line, &st->base[st->n_base++], why, cap) < 0)
			return -EINVAL;
	}
	if (addr[0] != '\0') {
		if (parse_addr(addr, st->mgmt_addr, why, cap) < 0)
			return -EINVAL;
		st->have_mgmt_addr = true;
	}
	if (id[0] != '\0') {
		if (!mgmt_hex_decode(id, strlen(id), st->instance, MGMT_INSTANCE_LEN))
			return WHY("meta.%s: not 32 hex digits", META_INSTANCE_ID);
		st->have_instance = true;
	}
	if ((rc = get_opt(s, META_LIC_VALID_DAYS, num, sizeof num)) < 0)
		return rc;
	if (num[0] != '\0') {
		if (!parse_u64(num, SETTINGS_VALID_DAYS_MAX, &v) || v == 0)
			return WHY("meta.%s: not 1..%d", META_LIC_VALID_DAYS,
				   SETTINGS_VALID_DAYS_MAX);
		st->valid_days = (unsigned)v;
	}
	if ((rc = get_opt(s, META_LIC_SERIAL, num, sizeof num)) < 0)
		return rc;
	if (num[0] != '\0' && !parse_u64(num, MGMT_JSON_INT_MAX, &st->serial))
		return WHY("meta.%s: not an integer", META_LIC_SERIAL);
	if ((rc = get_opt(s, META_LIC_ISSUED, num, sizeof num)) < 0)
		return rc;
	if (num[0] != '\0') {
		if (!parse_u64(num, 253402300799ULL, &v))
			return WHY("meta.%s: not a time", META_LIC_ISSUED);
		st->issued = (int64_t)v;
	}
	return 0;
}

static int set_num(struct store *s, const char *key, uint64_t v)
{
	char num[NUM_MAX];

	snprintf(num, sizeof num, "%" PRIu64, v);
	return meta_set(s, key, num);
}

int settings_instance_init(struct store *s)
{
	uint8_t bin[MGMT_INSTANCE_LEN];
	char id[2 * MGMT_INSTANCE_LEN + 1];
	int rc = meta_get(s, META_INSTANCE_ID, id, sizeof id);

	if (rc != -ENOENT)
		return rc;
	randombytes_buf(bin, sizeof bin);
	mgmt_hex_encode(id, bin, sizeof bin);
	return meta_set(s, META_INSTANCE_ID, id);
}

/* Inside a transaction: the next serial, issued = now, the instance id if none. */
static int bump(struct store *s, int64_t now)
{
	struct settings st;
	char why[SETTINGS_WHY_MAX];
	uint64_t next;
	int rc;

	rc = settings_load(s, &st, why, sizeof why);
	if (rc < 0)
		return rc;
	next = (uint64_t)now * 1000;
	if (next < st.serial + 1)
		next = st.serial + 1;
	if ((rc = settings_instance_init(s)) < 0 ||
	    (rc = set_num(s, META_LIC_SERIAL, next)) < 0 ||
	    (rc = set_num(s, META_LIC_ISSUED, (uint64_t)now)) < 0)
		return rc;
	return 0;
}

/* Every value of c checked before anything is written. */
static int validate(const struct settings_change *c, char *bases, size_t bcap, char *addr,
		    char *why, size_t cap)
{
	struct mgmt_base_server b;
	uint8_t a[16];
	size_t o = 0;

	if (c->name != NULL && check_name(c->name, why, cap) < 0)
		return -EINVAL;
	if (c->dashboard_url != NULL && check_url(c->dashboard_url, why, cap) < 0)
		return -EINVAL;
	if (c->n_bases > MGMT_SERVERS_MAX)
		return WHY("at most %d base servers", MGMT_SERVERS_MAX);
	bases[0] = '\0';
	for (size_t i = 0; i < c->n_bases; i++) {
		if (settings_base_parse(c->bases[i], &b, why, cap) < 0)
			return -EINVAL;
		/* Stored in one spelling: the host without brackets. */
		o += (size_t)snprintf(bases + o, bcap - o, "%s%s:%u:%u:", i ? "\n" : "",
				      b.host, b.udp_port, b.tcp_port);
		mgmt_hex_encode(bases + o, b.public_key, MGMT_PK_LEN);
		o += 2 * MGMT_PK_LEN;
	}
	if (c->mgmt_address != NULL) {
		if (parse_addr(c->mgmt_address, a, why, cap) < 0)
			return -EINVAL;
		identity_address_format(a, addr);
	}
	if (c->valid_days != 0 && c->valid_days > SETTINGS_VALID_DAYS_MAX)
		return WHY("valid days: want 1..%d", SETTINGS_VALID_DAYS_MAX);
	return 0;
}

int settings_apply(struct store *s, const struct settings_change *c, int64_t now,
		   char *why, size_t cap)
{
	struct model_op op = {.s = s, .who = {.kind = MODEL_ACTOR_SYSTEM}, .now_ms = now * 1000};
	struct model_change all = {.all = true};
	char bases[BASES_TEXT_MAX], addr[IDENTITY_ADDR_TEXT];
	int rc;

	rc = validate(c, bases, sizeof bases, addr, why, cap);
	if (rc < 0)
		return rc;
	rc = store_begin(s);
	if (rc < 0)
		return fail(why, cap, rc, "%s", store_errmsg(s));
	if (c->name != NULL && (rc = meta_set(s, META_LIC_NAME, c->name)) < 0)
		goto fail;
	if (c->n_bases > 0 && (rc = meta_set(s, META_LIC_BASES, bases)) < 0)
		goto fail;
	if (c->mgmt_address != NULL && (rc = meta_set(s, META_LIC_MGMT_ADDR, addr)) < 0)
		goto fail;
	if (c->dashboard_url != NULL &&
	    (rc = meta_set(s, META_LIC_DASHBOARD, c->dashboard_url)) < 0)
		goto fail;
	if (c->valid_days != 0 &&
	    (rc = set_num(s, META_LIC_VALID_DAYS, c->valid_days)) < 0)
		goto fail;
	/*
	 * Every bundle names the license serial, so the instance version moves
	 * too: every device's bundle is built again and a device that sees a
	 * newer license serial there fetches the license (new base servers
	 * reach a running fleet).  Every server re-checks every poll ("*").
	 */
	if ((rc = bump(s, now)) < 0 || (rc = model_version_bump(&op, &all)) < 0 ||
	    (rc = model_audit(&op, "settings.update", "instance", -1, NULL)) < 0 ||
	    (rc = store_commit(s)) < 0)
		goto fail;
	return 0;
fail:
	snprintf(why, cap, "%s", store_errmsg(s));
	store_rollback(s);
	return rc;
}

int settings_renew(struct store *s, int64_t now, bool *renewed)
{
	struct settings st;
	char why[SETTINGS_WHY_MAX];
	int rc;

	*renewed = false;
	rc = store_begin(s);
	if (rc < 0)
		return rc;
	/* Read again inside the transaction: another server may have renewed it. */
	rc = settings_load(s, &st, why, sizeof why);
	if (rc == 0 && st.serial != 0 &&
	    now - st.issued >= (int64_t)st.valid_days * 86400 / 2) {
		rc = bump(s, now);
		*renewed = rc == 0;
	}
	if (rc == 0)
		rc = store_commit(s);
	if (rc < 0)
		store_rollback(s);
	return rc;
}

int settings_license(const struct settings *st, const struct instance_keys *keys,
		     struct mgmt_license *l, char *out, size_t cap, size_t *len,
		     char *why, size_t whycap)
{
	char payload[LICENSE_PAYLOAD_MAX];
	uint8_t work[MGMT_DOMAIN_MAX + LICENSE_PAYLOAD_MAX];
	size_t plen;

	*len = 0;
	if (st->n_base == 0 || !st->have_mgmt_addr || st->serial == 0) {
		snprintf(why, whycap,
			 "the license is not configured: set %s%s with subnetra-mgmtd "
			 "settings "
			 "--base-server HOST:UDP:TCP:PUBKEYHEX --mgmt-address FC94ADDR",
			 st->n_base == 0 ? "the base servers" : "",
			 !st->have_mgmt_addr
			     ? (st->n_base == 0 ? " and the management address"
						: "the management address")
			     : "");
		return -EAGAIN;
	}
	memset(l, 0, sizeof *l);
	memcpy(l->instance, st->instance, MGMT_INSTANCE_LEN);
	snprintf(l->name, sizeof l->name, "%s", st->name);
	l->serial = st->serial;
	l->issued = st->issued;
	l->valid_until = st->issued + (int64_t)st->valid_days * 86400;
	snprintf(l->dashboard_url, sizeof l->dashboard_url, "%s", st->dashboard_url);
	memcpy(l->websetup_host, st->mgmt_addr, 16);
	l->n_api = 1;
	memcpy(l->api_servers[0], st->mgmt_addr, 16);
	l->n_base = st->n_base;
	memcpy(l->base_servers, st->base, sizeof st->base);
	l->n_keys = 1;
	memcpy(l->signing_keys[0], keys->pk, MGMT_PK_LEN);
	plen = mgmt_license_encode(l, payload, sizeof payload);
	if (plen == 0) {
		snprintf(why, whycap, "the settings make no valid license");
		return -EINVAL;
	}
	*len = mgmt_envelope_seal(MGMT_DOMAIN_LICENSE, (const uint8_t *)payload, plen,
				  keys->sk, work, sizeof work, out, cap);
	if (*len == 0) {
		snprintf(why, whycap, "the license could not be sealed");
		return -ENOSPC;
	}
	return 0;
}
