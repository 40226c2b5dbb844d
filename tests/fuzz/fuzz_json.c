/*
 * The strict JSON parser (core/json.c) on arbitrary bytes, held against
 * json-c 0.16's strict mode, whose error words and places it keeps:
 *  - json-c refuses the text: json_parse fails with a grammar error of the
 *    same words at the same offset (json-c's parse end, at most the length);
 *  - json-c stops early at a NUL byte: "unexpected content after the
 *    top-level value" at that byte;
 *  - json-c accepts: json_parse either builds the same tree (types, exact
 *    strings, integers as json-c saturates them, a number's text as json-c
 *    prints it, members in order) or refuses something json-c lets through
 *    (a control character, a single quote, a repeated name, NaN, a leading
 *    zero ...), and then the refusal points at what it names;
 *  - the same text parsed with JSON_PLAIN_KEYS and without JSON_BIG_INTS
 *    differs only by refusals of the second tier, never in its grammar.
 * The first input byte is not special: every byte is text.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common.h"
#include "core/json.h"

static char *buf; /* the input, NUL-terminated for json-c */

static const char *text_of(const struct json_value *v)
{
	static char out[4096];

	snprintf(out, sizeof(out), "%.*s", (int)v->len, buf + v->offset);
	return out;
}

static void same_tree(const struct json_value *v, struct json_object *j,
		      const char *path);

static void same_int(const struct json_value *v, struct json_object *j, const char *path)
{
	const struct json_int *n = &v->u.integer;
	int64_t want_i = json_object_get_int64(j);
	uint64_t want_u = json_object_get_uint64(j);
	int64_t got_i;

	if (n->negative)
		got_i = n->too_big || n->magnitude > (uint64_t)INT64_MAX + 1
			    ? INT64_MIN
			    : (int64_t)(0 - n->magnitude);
	else
		got_i = n->magnitude > INT64_MAX ? INT64_MAX : (int64_t)n->magnitude;
	FUZZ_CHECK(want_i == got_i, "%s: int64 %" PRId64 ", ours %" PRId64, path, want_i,
		   got_i);
	if (!n->negative)
		FUZZ_CHECK(want_u == n->magnitude,
			   "%s: uint64 %" PRIu64 ", ours %" PRIu64, path, want_u,
			   n->magnitude);
}

static void same_object(const struct json_value *v, struct json_object *j,
			const char *path)
{
	struct json_object_iterator it = json_object_iter_begin(j);
	struct json_object_iterator end = json_object_iter_end(j);
	size_t i = 0;

	FUZZ_CHECK((size_t)json_object_object_length(j) == v->u.object.n,
		   "%s: %d members, ours %zu", path, json_object_object_length(j),
		   v->u.object.n);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it), i++) {
		const struct json_member *m = &v->u.object.members[i];
		char sub[256];

		/* json-c keeps a name up to its first NUL byte. */
		FUZZ_CHECK(strcmp(json_object_iter_peek_name(&it), m->name) == 0,
			   "%s: member %zu named differently", path, i);
		snprintf(sub, sizeof(sub), "%s.%s", path, m->name);
		same_tree(&m->value, json_object_iter_peek_value(&it), sub);
	}
}

static void same_tree(const struct json_value *v, struct json_object *j, const char *path)
{
	static const enum json_type types[] = {
		[JSON_NULL] = json_type_null,	  [JSON_BOOL] = json_type_boolean,
		[JSON_INT] = json_type_int,	  [JSON_NUMBER] = json_type_double,
		[JSON_STRING] = json_type_string, [JSON_ARRAY] = json_type_array,
		[JSON_OBJECT] = json_type_object,
	};

	FUZZ_CHECK(json_object_get_type(j) == types[v->type],
		   "%s: json-c type %d, ours %d", path, (int)json_object_get_type(j),
		   (int)v->type);
	switch (v->type) {
	case JSON_NULL:
		break;
	case JSON_BOOL:
		FUZZ_CHECK(json_object_get_boolean(j) == v->u.boolean, "%s: boolean",
			   path);
		break;
	case JSON_INT:
		same_int(v, j, path);
		break;
	case JSON_NUMBER:
		FUZZ_CHECK(
		    strcmp(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			   text_of(v)) == 0,
		    "%s: json-c prints %s, ours is %s", path,
		    json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
		    text_of(v));
		break;
	case JSON_STRING:
		FUZZ_CHECK((size_t)json_object_get_string_len(j) == v->u.string.len &&
			       memcmp(json_object_get_string(j), v->u.string.bytes,
				      v->u.string.len) == 0 &&
			       v->u.string.bytes[v->u.string.len] == '\0',
			   "%s: string differs", path);
		break;
	case JSON_ARRAY:
		FUZZ_CHECK(json_object_array_length(j) == v->u.array.n,
			   "%s: %zu items, ours %zu", path, json_object_array_length(j),
			   v->u.array.n);
		for (size_t i = 0; i < v->u.array.n; i++) {
			char sub[256];

			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			same_tree(&v->u.array.items[i], json_object_array_get_idx(j, i),
				  sub);
		}
		break;
	case JSON_OBJECT:
		same_object(v, j, path);
		break;
	}
}

/* Length of the RFC 8259 number at s (0: none); s is NUL-terminated. */
static size_t rfc_number(const char *s)
{
	size_t i = s[0] == '-', j;

	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (isdigit((unsigned char)s[i]))
			i++;
	else
		return 0;
	if (s[i] == '.' && isdigit((unsigned char)s[i + 1]))
		for (i++; isdigit((unsigned char)s[i]); i++)
			;
	j = i + 1;
	if ((s[i] == 'e' || s[i] == 'E') && (s[j] == '+' || s[j] == '-'))
		j++;
	if ((s[i] == 'e' || s[i] == 'E') && isdigit((unsigned char)s[j]))
		for (i = j; isdigit((unsigned char)s[i]); i++)
			;
	return i;
}

/* A second-tier refusal of text json-c accepted names something real. */
static void real_refusal(const struct json_error *e, size_t size)
{
	const char *at = buf + e->offset;

	FUZZ_CHECK(e->offset < size, "refusal at %zu of %zu", e->offset, size);
	switch (e->kind) {
	case JSON_ERR_SYNTAX:
		if (strcmp(e->what, "single-quoted strings are not JSON") == 0)
			FUZZ_CHECK(*at == '\'', "no quote at %zu", e->offset);
		else if (strcmp(e->what, "control character inside a string") == 0)
			FUZZ_CHECK((unsigned char)*at < 0x20, "no control character at %zu",
				   e->offset);
		else if (strcmp(e->what, "NaN and Infinity are not JSON") == 0)
			FUZZ_CHECK(strncmp(at, "NaN", 3) == 0 || strncmp(at, "Infinity", 8) == 0 ||
					   strncmp(at, "-Infinity", 9) == 0,
				   "no NaN or Infinity at %zu", e->offset);
		else
			/* a number json-c reads whole that is not one of JSON's */
			FUZZ_CHECK((strcmp(e->what, "leading zeros are not JSON") == 0 ||
				    strcmp(e->what, "a '.' needs digits on both sides in JSON") == 0) &&
					   rfc_number(at) != strspn(at, "0123456789.eE+-"),
				   "grammar error '%s' at %zu on text json-c accepts", e->what,
				   e->offset);
		break;
	case JSON_ERR_DUPLICATE_KEY:
	case JSON_ERR_ESCAPED_KEY:
		FUZZ_CHECK(*at == '"' && e->token == at + 1, "key refusal not at a name (%zu)",
			   e->offset);
		break;
	case JSON_ERR_INT_RANGE:
		FUZZ_CHECK(e->token == at && e->token_len > 18,
			   "integer refusal at %zu, %zu bytes", e->offset, e->token_len);
		break;
	case JSON_ERR_NOMEM:
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	struct json_object *j;
	enum json_tokener_error jerr;
	struct json_value v, w;
	struct json_error e, e2;
	bool ok, ok2;
	size_t end;

	if (size > 1 << 16)
		return 0;
	buf = malloc(size + 1);
	tok = json_tokener_new();
	if (buf == NULL || tok == NULL)
		__builtin_trap();
	memcpy(buf, data, size);
	buf[size] = '\0';
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	j = json_tokener_parse_ex(tok, buf, (int)size + 1);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);

	ok = json_parse(buf, size, JSON_BIG_INTS, &v, &e);
	if (jerr != json_tokener_success) {
		FUZZ_CHECK(!ok && e.kind == JSON_ERR_SYNTAX &&
			       strcmp(e.what, json_tokener_error_desc(jerr)) == 0 &&
			       e.offset == (end > size ? size : end),
			   "json-c: '%s' at %zu; ours: %s, '%s' at %zu",
			   json_tokener_error_desc(jerr), end,
			   ok ? "accepted" : "refused", ok ? "" : e.what,
			   ok ? 0 : e.offset);
	} else if (end < size) {
		FUZZ_CHECK(
		    !ok && e.kind == JSON_ERR_SYNTAX && e.offset == end &&
			strcmp(e.what, "unexpected content after the top-level value") ==
			    0,
		    "json-c stops at the NUL byte at %zu; ours: %s", end,
		    ok ? "accepted" : e.what);
	} else if (ok) {
		same_tree(&v, j, "$");
	} else {
		real_refusal(&e, size);
	}

	/* The other flags change the second tier only. */
	ok2 = json_parse(buf, size, JSON_PLAIN_KEYS, &w, &e2);
	if (!ok && e.kind == JSON_ERR_SYNTAX && jerr != json_tokener_success)
		FUZZ_CHECK(!ok2 && e2.kind == JSON_ERR_SYNTAX && e2.offset == e.offset,
			   "a grammar error depends on the flags");
	if (ok2)
		FUZZ_CHECK(ok, "JSON_PLAIN_KEYS accepts what the default refuses");
	if (ok)
		json_free(&v);
	if (ok2)
		json_free(&w);
	json_object_put(j);
	json_tokener_free(tok);
	free(buf);
	return 0;
}
