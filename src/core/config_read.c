/*
 * Reading one JSON value as a config type, and the messages when it is not
 * one: WrongType, OutOfRange, InvalidCidr, TooManyRoutes, UnknownField,
 * and the JSON layer's refusals as config errors.  Pure.
 */
#include "core/config_read.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/bounds.h"

const char *config_json_kind(const struct json_value *v)
{
	static const char *const kinds[] = {
		[JSON_NULL] = "null",	  [JSON_BOOL] = "boolean", [JSON_INT] = "integer",
		[JSON_NUMBER] = "number", [JSON_STRING] = "string", [JSON_ARRAY] = "array",
		[JSON_OBJECT] = "object",
	};

	return kinds[v->type];
}

/*
 * An integer as messages show it: clamped to the 64-bit range, as json-c
 * held it (int64 when negative, uint64 otherwise).
 */
static int64_t clamped_negative(const struct json_int *n)
{
	return n->magnitude > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)n->magnitude;
}

/*
 * WrongType, quoting the value when it is a scalar and not a secret
 * ("expected integer, got number 1.0").
 */
int config_wrong_type(const struct config_reader *r, const struct json_value *v,
		      const char *path, const char *expected, bool secret)
{
	char q[QUOTE_BUF];

	if (secret || v->type == JSON_OBJECT || v->type == JSON_ARRAY || v->type == JSON_NULL)
		return config_error_set(r->err, path, "WrongType", "expected %s, got %s", expected,
			    config_json_kind(v));
	if (v->type == JSON_STRING)
		quote_untrusted(q, sizeof(q), v->u.string.bytes, v->u.string.len);
	else if (v->type == JSON_BOOL)
		snprintf(q, sizeof(q), "%s", v->u.boolean ? "true" : "false");
	else if (v->type == JSON_INT && v->u.integer.negative)
		snprintf(q, sizeof(q), "%" PRId64, clamped_negative(&v->u.integer));
	else if (v->type == JSON_INT)
		snprintf(q, sizeof(q), "%" PRIu64, v->u.integer.magnitude);
	else /* a number's own text, so 1e3 shows as 1e3 */
		snprintf(q, sizeof(q), "%.*s", (int)v->len, r->text + v->offset);
	return config_error_set(r->err, path, "WrongType", "expected %s, got %s %s", expected,
		    config_json_kind(v), q);
}

/*
 * An integer of at most max (what the field is stored in).  range is the
 * field's documented range, which messages state (an operator compares them
 * with docs/configuration.md); NULL: 0..max.  The documented limits
 * themselves are checked by the field or by validation, whose messages
 * state the same range.
 */
int config_read_uint(const struct config_reader *r, const struct json_value *v,
		     const char *path, uint64_t max, const char *range, uint64_t *out)
{
	char whole[32];
	uint64_t u;

	if (range == NULL) {
		snprintf(whole, sizeof(whole), "0..%" PRIu64, max);
		range = whole;
	}
	if (v->type != JSON_INT)
		return config_wrong_type(r, v, path, "integer", false);
	if (v->u.integer.negative)
		return config_error_set(r->err, path, "OutOfRange", "%" PRId64 " is negative (range %s)",
			    clamped_negative(&v->u.integer), range);
	u = v->u.integer.magnitude; /* 2^64-1 for anything larger */
	if (u > max)
		return config_error_set(r->err, path, "OutOfRange", "%" PRIu64 "%s is out of range %s", u,
			    u == UINT64_MAX ? " (or more)" : "", range);
	*out = u;
	return 0;
}

int config_read_port(const struct config_reader *r, const struct json_value *v,
		     const char *path, uint16_t *out)
{
	uint64_t u;

	if (config_read_uint(r, v, path, UINT16_MAX, "1..65535", &u) != 0)
		return -1;
	if (u == 0)
		return config_error_set(r->err, path, "OutOfRange", "0 is not a usable port (range 1..65535)");
	*out = (uint16_t)u;
	return 0;
}

int config_read_bool(const struct config_reader *r, const struct json_value *v,
		     const char *path, bool *out)
{
	if (v->type != JSON_BOOL)
		return config_wrong_type(r, v, path, "boolean", false);
	*out = v->u.boolean;
	return 0;
}

int config_read_string(const struct config_reader *r, const struct json_value *v,
		       const char *path, bool secret, const char **s, size_t *len)
{
	if (v->type != JSON_STRING)
		return config_wrong_type(r, v, path, "string", secret);
	*s = v->u.string.bytes;
	*len = v->u.string.len;
	return 0;
}

int config_read_cidr(const struct config_reader *r, const struct json_value *v,
		     const char *path, struct cidr *out)
{
	char q[QUOTE_BUF];
	enum addr_err e;
	const char *s = NULL;
	size_t len = 0;

	if (config_read_string(r, v, path, false, &s, &len) != 0)
		return -1;
	e = cidr_parse(out, s, len);
	if (e != ADDR_OK)
		return config_error_set(r->err, path, "InvalidCidr", "%s: %s", quote_untrusted(q, sizeof(q), s, len),
			    addr_err_name(e));
	return 0;
}

int config_read_routes(const struct config_reader *r, const struct json_value *v,
		       const char *path, struct cidr *out, size_t *n_out)
{
	size_t n;

	if (v->type != JSON_ARRAY)
		return config_wrong_type(r, v, path, "array of CIDR strings", false);
	n = v->u.array.n;
	if (n > MAX_ROUTES)
		return config_error_set(r->err, path, "TooManyRoutes", "%zu routes, at most %d", n,
			    MAX_ROUTES);
	for (size_t i = 0; i < n; i++) {
		char p[sizeof(r->err->path)];

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (config_read_cidr(r, &v->u.array.items[i], p, &out[i]) != 0)
			return -1;
	}
	*n_out = n;
	return 0;
}

/* The value is never quoted: only its length or the position of a bad digit. */
int config_read_key_hex(const struct config_reader *r, const struct json_value *v,
			const char *path, const char *name, uint8_t *out, size_t n)
{
	size_t len = 0, bin_len = 0;
	const char *s = NULL;

	if (config_read_string(r, v, path, true, &s, &len) != 0)
		return -1;
	if (len != 2 * n)
		return config_error_set(r->err, path, name, "expected %zu hex characters, got %zu",
			    2 * n, len);
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return config_error_set(r->err, path, name,
				    "expected %zu hex characters, character %zu is not a hex digit",
				    2 * n, i + 1);
	}
	if (sodium_hex2bin(out, n, s, len, NULL, &bin_len, NULL) != 0 || bin_len != n) {
		sodium_memzero(out, n);
		return config_error_set(r->err, path, name, "expected %zu hex characters", 2 * n);
	}
	return 0;
}

/* A POSIX-portable user name: [a-z_][a-z0-9_-]*, at most cap - 1 bytes. */
static bool valid_user_name(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!islower(ch) && !isdigit(ch) && ch != '_' && ch != '-')
			return false;
	}
	return true;
}

int config_read_user(const struct config_reader *r, const struct json_value *v,
		     const char *path, char *out, size_t cap)
{
	char q[QUOTE_BUF];
	const char *s = NULL;
	size_t len = 0;

	if (config_read_string(r, v, path, false, &s, &len) != 0)
		return -1;
	if (!valid_user_name(s, len, cap - 1))
		return config_error_set(r->err, path, "InvalidUser",
			    "%s: expected a user name of 1-%zu characters [a-z0-9_-], starting "
			    "with a letter or '_'",
			    quote_untrusted(q, sizeof(q), s, len), cap - 1);
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* Reactor threads; the range is the build limit (MAX_WORKERS in bounds.h). */
int config_read_workers(const struct config_reader *r, const struct json_value *v,
			const char *path, unsigned *out)
{
	char range[16];
	uint64_t u;

	snprintf(range, sizeof(range), "1..%d", MAX_WORKERS);
	if (config_read_uint(r, v, path, UINT32_MAX, range, &u) != 0)
		return -1;
	if (u < 1 || u > MAX_WORKERS)
		return config_error_set(r->err, path, "OutOfRange", "%" PRIu64 " is out of range %s", u,
			    range);
	*out = (unsigned)u;
	return 0;
}

/* prefix: the path of the object m is in ("" or "peers[1]"). */
int config_unknown_field(const struct config_reader *r, const char *prefix,
			 const struct json_member *m, const char *where)
{
	char path[sizeof(r->err->path)];
	char q[QUOTE_BUF];

	snprintf(path, sizeof(path), "%s", prefix);
	json_path_add_key(path, sizeof(path), strlen(path), m->name, m->name_len);
	return config_error_set(r->err, path, "UnknownField", "unknown field %s %s",
		    quote_untrusted(q, sizeof(q), m->name, m->name_len), where);
}

/* What the JSON layer refused, as the config error it has always been. */
int config_json_error(struct config_error *err, const struct json_error *e)
{
	char q[QUOTE_BUF];

	switch (e->kind) {
	case JSON_ERR_DUPLICATE_KEY:
		return config_error_set(err, e->path, "DuplicateField",
			    "field %s appears twice in the same object (again at line %zu, column %zu)",
			    quote_untrusted(q, sizeof(q), e->token, e->token_len), e->line, e->column);
	case JSON_ERR_ESCAPED_KEY:
		return config_error_set(err, e->path, "UnknownField",
			    "field name %s uses an escape sequence; write it plainly",
			    quote_untrusted(q, sizeof(q), e->token, e->token_len));
	case JSON_ERR_NOMEM:
		return config_error_set(err, "", "OutOfMemory", "cannot allocate the parser");
	case JSON_ERR_SYNTAX:
	case JSON_ERR_INT_RANGE: /* not with JSON_BIG_INTS */
		break;
	}
	return config_error_set(err, "", "SyntaxError", "line %zu, column %zu: %s", e->line,
		    e->column, e->what);
}
