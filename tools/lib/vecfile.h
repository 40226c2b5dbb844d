/*
 * What the known-answer vector checkers share (subnetra-conformance's v1
 * files and its --noise files): reading a file through the strict JSON
 * parser (core/json.h), typed field access whose errors name the file and
 * the JSON path, hex through hexio's strict form, and the result lines
 * (plain "FAIL ..." lines, or TAP with --tap) with their tally.
 *
 * Names and notes come from the files, which may come from outside our
 * corpus: every printed line has its control characters replaced, so a
 * crafted name cannot forge a TAP line.
 */
#ifndef SUBNETRA_VECFILE_H
#define SUBNETRA_VECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/json.h"

enum {
	VECFILE_PATH_MAX = 128, /* "receiver_cases[123].steps[45]" and the like */
	VECFILE_MSG_MAX = 1024, /* one result line, one failure explanation */
};

/* Where a value sits, for error messages: file plus a JSON path. */
struct vecfile_where {
	const char *file;
	char path[VECFILE_PATH_MAX];
};

struct vecfile_tally {
	bool tap;
	size_t passed;
	size_t failed;
	size_t skipped;
};

/* Read and parse a whole file; errors go to stderr, naming it.  true: *root
 * is to be given to json_free. */
bool vecfile_load(const char *file, struct json_value *root);

/* "file: path.key: message" on stderr; always returns false. */
__attribute__((format(printf, 3, 4))) bool
vecfile_bad(const struct vecfile_where *w, const char *key, const char *fmt, ...);
/* out = parent's path + fmt (".name" or "[i]"). */
__attribute__((format(printf, 3, 4))) void
vecfile_where_sub(struct vecfile_where *out, const struct vecfile_where *parent,
		  const char *fmt, ...);

/* obj's member key, which must have the given type (else an error). */
const struct json_value *vecfile_field(const struct vecfile_where *w,
				       const struct json_value *obj, const char *key,
				       enum json_kind type);
bool vecfile_get_string(const struct vecfile_where *w, const struct json_value *obj,
			const char *key, const char **s, size_t *len);
/*
 * Lowercase hex to bytes (hexio's strict form).  Sets *n to the decoded
 * length; writes out only when *n <= cap (a longer string is still fully
 * validated).  Returns an error text or NULL.
 */
const char *vecfile_hex(const char *hex, size_t hex_len, uint8_t *out, size_t cap,
			size_t *n);
/* A hex string member of min..max bytes. */
bool vecfile_get_hex(const struct vecfile_where *w, const struct json_value *obj,
		     const char *key, uint8_t *out, size_t min, size_t max,
		     size_t *out_len);

/* One result: counted, a "FAIL section/name: why" line when it failed, and
 * with tap an ok / not ok line. */
void vecfile_record(struct vecfile_tally *t, const char *section, const char *name,
		    bool ok, const char *why);
/* One skipped case: counted; with tap "ok - section/name # SKIP why". */
void vecfile_skip(struct vecfile_tally *t, const char *section, const char *name,
		  const char *why);

/* Append "; "-separated text to a fixed message buffer (truncating). */
__attribute__((format(printf, 3, 4))) void vecfile_why_add(char *why, size_t cap,
							   const char *fmt, ...);
/* Appends where got and want differ, nothing when they are equal. */
void vecfile_why_bytes(char *why, size_t cap, const char *what, const uint8_t *got,
		       size_t got_len, const uint8_t *want, size_t want_len);

#endif
