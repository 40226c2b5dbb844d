/*
 * JSON values as config types, for the config parser (config.c): each
 * reader returns 0, or -1 with r->err naming path, the error and the value
 * (never a secret's).  See config_read.c.
 */
#ifndef SUBNETRA_CONFIG_READ_H
#define SUBNETRA_CONFIG_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cidr.h"
#include "core/config_error.h"
#include "core/json.h"

struct config_reader {
	struct config_error *err;
	const char *text; /* the file: a number is quoted from its text */
};

/* "null", "boolean", "integer", "number", "string", "array", "object" */
const char *config_json_kind(const struct json_value *v);

/* WrongType: "expected <expected>, got <kind> <value>"; secret: no value. */
int config_wrong_type(const struct config_reader *r, const struct json_value *v,
		      const char *path, const char *expected, bool secret);

/*
 * An integer of at most max (what the field is stored in); range is the
 * documented range that messages state (NULL: "0..max").
 */
int config_read_uint(const struct config_reader *r, const struct json_value *v,
		     const char *path, uint64_t max, const char *range, uint64_t *out);
int config_read_port(const struct config_reader *r, const struct json_value *v,
		     const char *path, uint16_t *out); /* 1..65535 */
int config_read_bool(const struct config_reader *r, const struct json_value *v,
		     const char *path, bool *out);
/* *s points into the tree: valid until json_free. */
int config_read_string(const struct config_reader *r, const struct json_value *v,
		       const char *path, bool secret, const char **s, size_t *len);
int config_read_cidr(const struct config_reader *r, const struct json_value *v,
		     const char *path, struct cidr *out);
int config_read_routes(const struct config_reader *r, const struct json_value *v,
		       const char *path, struct cidr *out, size_t *n_out); /* MAX_ROUTES */

/*
 * Exactly 2*n hex digits (either case) into out[n]; anything else is the
 * error `name` ("InvalidPsk", "InvalidBaseKey"), stating the length or the
 * position of the first bad digit and never the value.  out is wiped on
 * failure.
 */
int config_read_key_hex(const struct config_reader *r, const struct json_value *v,
			const char *path, const char *name, uint8_t *out, size_t n);
/* A POSIX-portable user name, [a-z_][a-z0-9_-]*, into out[cap] (InvalidUser). */
int config_read_user(const struct config_reader *r, const struct json_value *v,
		     const char *path, char *out, size_t cap);
/* Reactor threads, 1..MAX_WORKERS (OutOfRange). */
int config_read_workers(const struct config_reader *r, const struct json_value *v,
			const char *path, unsigned *out);

/* UnknownField for member m of the object at prefix ("" or "peers[1]"). */
int config_unknown_field(const struct config_reader *r, const char *prefix,
			 const struct json_member *m, const char *where);

/* What json_parse refused, as the config error it has always been. */
int config_json_error(struct config_error *err, const struct json_error *e);

#endif
