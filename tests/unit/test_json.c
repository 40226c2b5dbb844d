/*
 * core/json.c: grammar errors (json-c's words, exact line and column), the
 * second-tier refusals and their paths, exact integers and their sign,
 * string decoding, value offsets, the depth limit, walking helpers and
 * path building.  fuzz_json holds the grammar against json-c itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/json.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* in[0..len) parsed with flags into *v, or the test fails naming the error. */
static void parse_ok(const char *in, size_t len, unsigned flags, struct json_value *v)
{
	struct json_error e;

	if (!json_parse(in, len, flags, v, &e))
		fail_msg("%s: %s at %zu:%zu", in, e.what, e.line, e.column);
}

struct err_case {
	const char *in;
	unsigned flags;
	enum json_error_kind kind;
	const char *what;
	size_t line, column;
	const char *path;  /* NULL: "" */
	const char *token; /* NULL: no token */
};

#define EOD     "unexpected end of data"
#define UNEXP   "unexpected character"
#define NUM     "number expected"
#define ZEROS   "leading zeros are not JSON"
#define NAME    "quoted object property name expected"
#define COLON   "object property name separator ':' expected"
#define OSEP    "object value separator ',' expected"
#define ASEP    "array value separator ',' expected"
#define STR     "invalid string sequence"
#define CTRL    "control character inside a string"
#define REPEAT  "member name repeated"
#define BIGINT  "integer does not fit in 64 bits"
#define SQUOTE  "single-quoted strings are not JSON"
#define DOT     "a '.' needs digits on both sides in JSON"
#define NAN_INF "NaN and Infinity are not JSON"
#define PLAIN   JSON_PLAIN_KEYS
#define BIG     JSON_BIG_INTS

static const struct err_case err_cases[] = {
	/* grammar, as json-c words and places it */
	{ "", 0, JSON_ERR_SYNTAX, EOD, 1, 1, NULL, NULL },
	{ "  \n ", 0, JSON_ERR_SYNTAX, EOD, 2, 2, NULL, NULL },
	{ "{", 0, JSON_ERR_SYNTAX, EOD, 1, 2, NULL, NULL },
	{ "{\"a\":1,}", 0, JSON_ERR_SYNTAX, UNEXP, 1, 8, NULL, NULL },
	{ "[1,]", 0, JSON_ERR_SYNTAX, UNEXP, 1, 4, NULL, NULL },
	{ "[,1]", 0, JSON_ERR_SYNTAX, UNEXP, 1, 2, NULL, NULL },
	{ "{} {}", 0, JSON_ERR_SYNTAX, UNEXP, 1, 4, NULL, NULL },
	{ "{}\n// c", 0, JSON_ERR_SYNTAX, UNEXP, 2, 1, NULL, NULL },
	{ "{/* c */}", 0, JSON_ERR_SYNTAX, NAME, 1, 2, NULL, NULL },
	{ "{\"a\" 1}", 0, JSON_ERR_SYNTAX, COLON, 1, 6, NULL, NULL },
	{ "{\"a\":1 \"b\":2}", 0, JSON_ERR_SYNTAX, OSEP, 1, 8, NULL, NULL },
	{ "[1 2]", 0, JSON_ERR_SYNTAX, ASEP, 1, 4, NULL, NULL },
	{ "[1x]", 0, JSON_ERR_SYNTAX, NUM, 1, 3, NULL, NULL },
	{ "[01]", 0, JSON_ERR_SYNTAX, NUM, 1, 4, NULL, NULL }, /* after the number */
	{ "01", 0, JSON_ERR_SYNTAX, EOD, 1, 3, NULL, NULL },  /* ... which is the end */
	{ "[1e]", 0, JSON_ERR_SYNTAX, NUM, 1, 4, NULL, NULL },
	{ "[-]", 0, JSON_ERR_SYNTAX, NUM, 1, 3, NULL, NULL },
	{ "[+1]", 0, JSON_ERR_SYNTAX, UNEXP, 1, 2, NULL, NULL },
	{ "[.5]", 0, JSON_ERR_SYNTAX, UNEXP, 1, 2, NULL, NULL },
	{ "[-i]", 0, JSON_ERR_SYNTAX, UNEXP, 1, 3, NULL, NULL },
	{ "[Infinit]", 0, JSON_ERR_SYNTAX, UNEXP, 1, 9, NULL, NULL },
	{ "{\"a\":\n  tru}", 0, JSON_ERR_SYNTAX, "boolean expected", 2, 6, NULL, NULL },
	{ "True", 0, JSON_ERR_SYNTAX, "boolean expected", 1, 1, NULL, NULL },
	{ "[nul]", 0, JSON_ERR_SYNTAX, "null expected", 1, 5, NULL, NULL },
	{ "tru", 0, JSON_ERR_SYNTAX, EOD, 1, 4, NULL, NULL },
	{ "[\"a\\x\"]", 0, JSON_ERR_SYNTAX, STR, 1, 5, NULL, NULL },
	{ "[\"\\u12g4\"]", 0, JSON_ERR_SYNTAX, STR, 1, 7, NULL, NULL },
	{ "\"abc", 0, JSON_ERR_SYNTAX, EOD, 1, 5, NULL, NULL },
	{ "['a']", 0, JSON_ERR_SYNTAX, UNEXP, 1, 2, NULL, NULL },
	{ "[truex]", 0, JSON_ERR_SYNTAX, ASEP, 1, 6, NULL, NULL },
	/* the grammar wins over an earlier refusal */
	{ "{\"a\":1,\"a\":2,}", 0, JSON_ERR_SYNTAX, UNEXP, 1, 14, NULL, NULL },
	/* refusals, in text order */
	{ "{\"a\":\"x\ty\"}", 0, JSON_ERR_SYNTAX, CTRL, 1, 8, NULL, NULL },
	{ "{'a':1}", 0, JSON_ERR_SYNTAX, SQUOTE, 1, 2, NULL, NULL },
	{ "{\"a\":[{\"b\":1},{\"b\":1,\n\"b\":2}]}", 0, JSON_ERR_DUPLICATE_KEY,
	  REPEAT, 2, 1, "a[1].b", "b" },
	{ "{\"a\\u0062\":1}", PLAIN, JSON_ERR_ESCAPED_KEY,
	  "member name written with an escape sequence", 1, 2, "a\\u0062", "a\\u0062" },
	{ "{\"ab\":1,\"a\\u0062\":2}", 0, JSON_ERR_DUPLICATE_KEY, REPEAT, 1, 9,
	  "a\\u0062", "a\\u0062" }, /* compared decoded */
	{ "{\"x\":[1,18446744073709551616]}", 0, JSON_ERR_INT_RANGE,
	  BIGINT, 1, 9, "x[1]", "18446744073709551616" },
	{ "[-9223372036854775809]", 0, JSON_ERR_INT_RANGE, BIGINT,
	  1, 2, "[0]", "-9223372036854775809" },
	{ "{\"\":{\"a\":1,\"a\":2}}", 0, JSON_ERR_DUPLICATE_KEY, REPEAT, 1, 12,
	  ".a", "a" },
	{ "{\"a\":\"\x01\",\"a\":1}", 0, JSON_ERR_SYNTAX, CTRL, 1, 7, NULL, NULL },
	/* numbers json-c reads but JSON forbids: refused, at the number */
	{ "[00]", 0, JSON_ERR_SYNTAX, ZEROS, 1, 2, NULL, NULL },
	{ "[-01]", 0, JSON_ERR_SYNTAX, ZEROS, 1, 2, NULL, NULL },
	{ "[1, 01.5]", 0, JSON_ERR_SYNTAX, ZEROS, 1, 5, NULL, NULL },
	{ "[1.]", 0, JSON_ERR_SYNTAX, DOT, 1, 2, NULL, NULL },
	{ "[1.e5]", 0, JSON_ERR_SYNTAX, DOT, 1, 2, NULL, NULL },
	{ "[-.5]", 0, JSON_ERR_SYNTAX, DOT, 1, 2, NULL, NULL },
	{ "[NaN]", 0, JSON_ERR_SYNTAX, NAN_INF, 1, 2, NULL, NULL },
	{ "{\"a\": Infinity}", 0, JSON_ERR_SYNTAX, NAN_INF, 1, 7, NULL, NULL },
	{ "[-Infinity, \"\x01\"]", 0, JSON_ERR_SYNTAX, NAN_INF, 1, 2, NULL, NULL },
	/* ... after any grammar error */
	{ "[NaN x]", 0, JSON_ERR_SYNTAX, ASEP, 1, 6, NULL, NULL },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(err_cases); i++) {
		const struct err_case *tc = &err_cases[i];
		struct json_value v;
		struct json_error e;
		char tok[128] = "";

		if (json_parse(tc->in, strlen(tc->in), tc->flags, &v, &e))
			fail_msg("accepted: %s", tc->in);
		if (e.token != NULL)
			snprintf(tok, sizeof(tok), "%.*s", (int)e.token_len, e.token);
		if (e.kind != tc->kind || strcmp(e.what, tc->what) != 0 ||
		    e.line != tc->line || e.column != tc->column ||
		    strcmp(e.path, tc->path ? tc->path : "") != 0 ||
		    (tc->token == NULL) != (e.token == NULL) ||
		    (tc->token != NULL && strcmp(tok, tc->token) != 0))
			fail_msg("%s: got kind %d '%s' at %zu:%zu path '%s' token '%s'",
				 tc->in, (int)e.kind, e.what, e.line, e.column, e.path,
				 tok);
		assert_int_equal(v.type, JSON_NULL); /* nothing held */
	}
}

/* NUL bytes: the end of the text for the grammar, and never read past len. */
static void test_nul_and_length(void **state)
{
	static const char trailing[] = "{}\0{}";
	static const char in_str[] = "[\"a\0b\"]";
	struct json_value v;
	struct json_error e;

	(void)state;
	assert_false(json_parse(trailing, sizeof(trailing) - 1, 0, &v, &e));
	assert_string_equal(e.what, "unexpected content after the top-level value");
	assert_int_equal(e.column, 3);
	assert_false(json_parse(in_str, sizeof(in_str) - 1, 0, &v, &e));
	assert_string_equal(e.what, EOD);
	assert_int_equal(e.column, 5); /* json-c reports the byte after the NUL */
	/* Not NUL-terminated: the length ends the text. */
	assert_true(json_parse("[1]xyz", 3, 0, &v, &e));
	json_free(&v);
	assert_false(json_parse("\"abc\"", 4, 0, &v, &e));
	assert_int_equal(e.offset, 4); /* never past the length */
}

static void test_depth_limit(void **state)
{
	char in[2 * JSON_MAX_DEPTH + 8];
	struct json_value v;
	struct json_error e;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		in[n++] = '[';
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		in[n++] = ']';
	assert_true(json_parse(in, n, 0, &v, &e)); /* 32 levels, the innermost empty */
	json_free(&v);
	memmove(in + JSON_MAX_DEPTH + 1, in + JSON_MAX_DEPTH, JSON_MAX_DEPTH);
	in[JSON_MAX_DEPTH] = '1';
	assert_false(json_parse(in, n + 1, 0, &v, &e));
	assert_string_equal(e.what, "nesting too deep");
	assert_int_equal(e.column, JSON_MAX_DEPTH + 1);
}

struct int_case {
	const char *in;
	unsigned flags;
	uint64_t magnitude;
	bool negative, too_big, is_u64, is_i64;
	uint64_t u;
	int64_t i;
};

static const struct int_case int_cases[] = {
	{ "0", 0, 0, false, false, true, true, 0, 0 },
	{ "-0", 0, 0, false, false, true, true, 0, 0 },
	{ "-1", 0, 1, true, false, false, true, 0, -1 },
	{ "9007199254740993", 0, 9007199254740993u, false, false, true, true,
	  9007199254740993u, 9007199254740993 }, /* 2^53 + 1: no double could hold it */
	{ "9223372036854775808", 0, 9223372036854775808u, false, false, true, false,
	  9223372036854775808u, 0 },
	{ "18446744073709551615", 0, UINT64_MAX, false, false, true, false, UINT64_MAX, 0 },
	{ "-9223372036854775808", 0, 9223372036854775808u, true, false, false, true, 0,
	  INT64_MIN },
	{ "-9223372036854775809", BIG, UINT64_MAX, true, true, false, false, 0, 0 },
	{ "18446744073709551616", BIG, UINT64_MAX, false, true, false, false, 0, 0 },
	{ "-18446744073709551617", BIG, UINT64_MAX, true, true, false, false, 0, 0 },
};

static void test_exact_integers(void **state)
{
	(void)state;
	for (size_t k = 0; k < ARRAY_LEN(int_cases); k++) {
		const struct int_case *tc = &int_cases[k];
		struct json_value v;
		uint64_t u = 0;
		int64_t i = 0;
		char in[64];

		snprintf(in, sizeof(in), "[%s]", tc->in);
		parse_ok(in, strlen(in), tc->flags, &v);
		assert_int_equal(v.u.array.items[0].type, JSON_INT);
		assert_true(v.u.array.items[0].u.integer.magnitude == tc->magnitude);
		assert_int_equal(v.u.array.items[0].u.integer.negative, tc->negative);
		assert_int_equal(v.u.array.items[0].u.integer.too_big, tc->too_big);
		assert_int_equal(json_get_u64(&v.u.array.items[0], &u), tc->is_u64);
		assert_int_equal(json_get_i64(&v.u.array.items[0], &i), tc->is_i64);
		if (tc->is_u64)
			assert_true(u == tc->u);
		if (tc->is_i64)
			assert_true(i == tc->i);
		assert_int_equal(v.u.array.items[0].offset, 1);
		assert_int_equal(v.u.array.items[0].len, strlen(tc->in));
		json_free(&v);
	}
}

/* Numbers that are not integers keep only their text, as json-c prints it. */
static void test_other_numbers(void **state)
{
	static const char in[] = "[1.0, 1e3, -0.5E+2, 0.25e-1, -0]";
	static const char *const want[] = { "1.0", "1e3", "-0.5E+2", "0.25e-1" };
	struct json_value v;

	(void)state;
	parse_ok(in, sizeof(in) - 1, 0, &v);
	assert_int_equal(v.u.array.n, ARRAY_LEN(want) + 1);
	assert_int_equal(v.u.array.items[ARRAY_LEN(want)].type, JSON_INT);
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		const struct json_value *n = &v.u.array.items[i];

		assert_int_equal(n->type, JSON_NUMBER);
		assert_int_equal(n->len, strlen(want[i]));
		assert_memory_equal(in + n->offset, want[i], n->len);
	}
	json_free(&v);
}

static void test_strings(void **state)
{
	/* escapes, a pair, a lone high and low surrogate (U+FFFD), \u0000 */
	static const char in[] =
	    "[\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u00e9\\ud83d\\ude00\", "
	    "\"\\ud800x\\udc00\", \"\\ud800\\n\", \"a\\u0000b\", \"\xc3\xa9\"]";
	static const struct {
		const char *bytes;
		size_t len;
	} want[] = {
	    {"a\"\\/\b\f\n\r\t", 9},
	    {"\xc3\xa9\xf0\x9f\x98\x80", 6},
	    {"\xef\xbf\xbdx\xef\xbf\xbd", 7},
	    {"\xef\xbf\xbd\n", 4},
	    {"a\0b", 3},
	    {"\xc3\xa9", 2},
	};
	struct json_value v;

	(void)state;
	parse_ok(in, sizeof(in) - 1, 0, &v);
	assert_int_equal(v.u.array.n, ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		const struct json_value *s = &v.u.array.items[i];

		assert_int_equal(s->type, JSON_STRING);
		assert_int_equal(s->u.string.len, want[i].len);
		assert_memory_equal(s->u.string.bytes, want[i].bytes, want[i].len);
		assert_int_equal(s->u.string.bytes[s->u.string.len], '\0');
	}
	json_free(&v);
}

static void test_walk(void **state)
{
	static const char in[] =
	    "{\"b\": true, \"a\": [null, false], \"c\": {\"d\": \"x\"}}";
	const struct json_value *a, *c;
	struct json_value v;

	(void)state;
	parse_ok(in, sizeof(in) - 1, 0, &v);
	assert_int_equal(v.type, JSON_OBJECT);
	assert_int_equal(v.offset, 0);
	assert_int_equal(v.len, sizeof(in) - 1);
	assert_int_equal(v.u.object.n, 3);
	assert_string_equal(v.u.object.members[0].name, "b"); /* text order */
	assert_int_equal(v.u.object.members[0].name_offset, 1);
	assert_true(v.u.object.members[0].value.u.boolean);
	a = json_member_get(&v, "a");
	assert_non_null(a);
	assert_int_equal(a->type, JSON_ARRAY);
	assert_int_equal(a->u.array.n, 2);
	assert_int_equal(a->u.array.items[0].type, JSON_NULL);
	assert_int_equal(a->u.array.items[1].type, JSON_BOOL);
	assert_false(a->u.array.items[1].u.boolean);
	c = json_member_get(&v, "c");
	assert_non_null(c);
	assert_string_equal(json_member_get(c, "d")->u.string.bytes, "x");
	assert_null(json_member_get(&v, "d"));
	assert_null(json_member_get(a, "a")); /* not an object */
	json_free(&v);
	assert_int_equal(v.type, JSON_NULL);
	json_free(&v); /* twice is harmless */
}

static void test_line_col(void **state)
{
	static const char t[] = "ab\ncd\n\nx";
	size_t line, col;

	(void)state;
	json_line_col(t, 0, &line, &col);
	assert_true(line == 1 && col == 1);
	json_line_col(t, 3, &line, &col);
	assert_true(line == 2 && col == 1);
	json_line_col(t, 7, &line, &col);
	assert_true(line == 4 && col == 1);
	json_line_col(t, 8, &line, &col); /* the end of the text */
	assert_true(line == 4 && col == 2);
}

static void test_paths(void **state)
{
	char p[JSON_PATH_MAX];
	char longname[100];
	size_t o;

	(void)state;
	o = json_path_add_key(p, sizeof(p), 0, "peers", 5);
	o = json_path_add_index(p, sizeof(p), o, 12);
	o = json_path_add_key(p, sizeof(p), o, "p\x01k", 3);
	assert_string_equal(p, "peers[12].p?k");
	assert_int_equal(o, strlen(p));
	memset(longname, 'x', sizeof(longname));
	o = json_path_add_key(p, sizeof(p), 0, longname, sizeof(longname));
	assert_int_equal(o, JSON_PATH_KEY_MAX);
	o = json_path_add_key(p, sizeof(p), o, longname, sizeof(longname));
	assert_int_equal(o, sizeof(p) - 1); /* truncated, terminated */
	assert_int_equal(strlen(p), sizeof(p) - 1);
	assert_int_equal(json_path_add_index(p, sizeof(p), o, 3), o);
	o = json_path_add_key(p, 8, 0, "abc", 3);
	o = json_path_add_index(p, 8, o, 123456);
	assert_string_equal(p, "abc[123");
}

/* Strings are decoded into memory of the tree, which is wiped when freed. */
static void test_text_untouched(void **state)
{
	static const char in[] = "{\"psk\": \"00112233\"}";
	char copy[sizeof(in)];
	struct json_value v;

	(void)state;
	memcpy(copy, in, sizeof(in));
	parse_ok(copy, sizeof(copy) - 1, PLAIN | BIG, &v);
	assert_ptr_not_equal(v.u.object.members[0].value.u.string.bytes, copy + 9);
	json_free(&v);
	assert_memory_equal(copy, in, sizeof(in));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_and_length),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_exact_integers),
		cmocka_unit_test(test_other_numbers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_line_col),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_text_untouched),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
