/*
 * Strict JSON: text -> a tree with exact 64-bit integers, every string's
 * decoded bytes, the place of every value in the text, and errors that say
 * where (line, column, JSON path).  For config files and test vectors.
 *
 * Comments, trailing commas and anything after the top-level value are
 * grammar errors.  Refused besides, though json-c's strict mode lets them
 * through: a member name that repeats in its object, raw control
 * characters (< 0x20) in strings, single-quoted member names, NaN and
 * Infinity, leading zeros ("00", "-01"), "1." and "-.5"; and integers that
 * do not fit in 64 bits (unless JSON_BIG_INTS), member names written with
 * escape sequences (with JSON_PLAIN_KEYS).
 *
 * Errors come in two tiers: a grammar error anywhere in the text wins over
 * the refusals, which are reported in text order.  Grammar errors are
 * worded and placed as json-c 0.16 (strict mode, depth 32) words and places
 * them: "unexpected end of data", "number expected", ...
 */
#ifndef SUBNETRA_JSON_H
#define SUBNETRA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	JSON_MAX_DEPTH = 32,	/* containers nest at most this deep */
	JSON_PATH_MAX = 64,	/* bytes of a path, NUL included */
	JSON_PATH_KEY_MAX = 40, /* bytes of one member name in a path */
};

/* json_parse flags */
enum {
	JSON_PLAIN_KEYS = 1 << 0, /* refuse member names with escapes (ESCAPED_KEY) */
	JSON_BIG_INTS = 1 << 1,	  /* keep integers beyond 64 bits (too_big) */
};

enum json_kind {
	JSON_NULL,
	JSON_BOOL,
	JSON_INT,    /* a number without '.' or exponent */
	JSON_NUMBER, /* fraction or exponent: only its text is kept (offset, len) */
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

/*
 * The value is -magnitude when negative, else magnitude.  "-0" is 0 and
 * not negative.  too_big (JSON_BIG_INTS only): the literal is below -2^63
 * or above 2^64-1, and magnitude is then 2^64-1.
 */
struct json_int {
	uint64_t magnitude;
	bool negative;
	bool too_big;
};

struct json_member;

struct json_value {
	enum json_kind type;
	size_t offset, len; /* the value's bytes in the text: a number's literal */
	union {
		bool boolean;
		struct json_int integer;
		struct {
			char *bytes; /* decoded; NUL-terminated, may hold NULs */
			size_t len;
		} string;
		struct {
			struct json_value *items;
			size_t n;
		} array;
		struct {
			struct json_member *members; /* in text order */
			size_t n;
		} object;
	} u;
};

struct json_member {
	char *name; /* decoded; NUL-terminated, may hold NULs */
	size_t name_len;
	size_t name_offset; /* of its opening quote */
	struct json_value value;
};

enum json_error_kind {
	JSON_ERR_SYNTAX,	/* what, at offset */
	JSON_ERR_DUPLICATE_KEY, /* token (the name) again at offset, in path */
	JSON_ERR_ESCAPED_KEY,	/* token (the name as written) at offset, in path */
	JSON_ERR_INT_RANGE,	/* token (the literal) at offset, in path */
	JSON_ERR_NOMEM,
};

struct json_error {
	enum json_error_kind kind;
	const char *what;	  /* a fixed phrase, for every kind */
	size_t offset;		  /* where, at most the text's length */
	size_t line, column;	  /* of offset, from 1; a column counts bytes */
	const char *token;	  /* the offending bytes in the text, or NULL: */
	size_t token_len;	  /* a name between its quotes, an integer literal */
	char path[JSON_PATH_MAX]; /* "peers[1].psk"; "" for SYNTAX and NOMEM */
};

/*
 * Parse text[0..len) (need not be NUL-terminated; a NUL byte ends the text
 * for the grammar).  true: *root is the tree, to be given to json_free.
 * false: err says why and *root holds nothing.  The text itself is neither
 * kept nor changed; offsets and err->token refer to it.
 */
bool json_parse(const char *text, size_t len, unsigned flags, struct json_value *root,
		struct json_error *err);

/* Frees what v holds, wiping every string's bytes first; v becomes null. */
void json_free(struct json_value *v);

/* The member called name (NUL-terminated), or NULL; obj may be any value. */
const struct json_value *json_member_get(const struct json_value *obj, const char *name);

/* An integer that fits: u64 (0..2^64-1) or i64 (-2^63..2^63-1). */
bool json_get_u64(const struct json_value *v, uint64_t *out);
bool json_get_i64(const struct json_value *v, int64_t *out);

/* Line and column (from 1, in bytes) of offset <= len in text. */
void json_line_col(const char *text, size_t offset, size_t *line, size_t *column);

/*
 * Paths as errors name them: member names joined by '.', array indices in
 * brackets ("peers[1].psk").  Each appends at o (the path's length so far)
 * within cap bytes, truncating, and returns the new length; a key gets a
 * '.' before it unless o is 0.  A name is cut at JSON_PATH_KEY_MAX bytes
 * and bytes outside printable ASCII become '?'.
 */
size_t json_path_add_key(char *path, size_t cap, size_t o, const char *name, size_t len);
size_t json_path_add_index(char *path, size_t cap, size_t o, size_t index);

#endif
