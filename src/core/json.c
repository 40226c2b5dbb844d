/*
 * The strict JSON parser (json.h): a recursive descent over the caller's
 * bytes that builds the tree as it goes.
 *
 * Why not json-c: through its public API it cannot report a member name
 * that repeats (it keeps the last), nor give an integer beyond 2^64-1 or
 * below -2^63 (it saturates), and even in strict mode it accepts raw
 * control characters in strings, single-quoted member names, NaN,
 * Infinity, leading zeros, "1." and "-.5".  It also copies every string,
 * secrets included, into buffers it frees unwiped: reaching them meant
 * writing into its private structures.  Here every string is decoded once
 * into memory that json_free wipes, and the text is not copied.
 *
 * Grammar errors keep json-c's words and places, because config messages
 * have always quoted them ("SyntaxError: line 4, column 3: unexpected
 * character").  The rules of json-c 0.16's strict mode kept here:
 *  - an error is reported at the character looked at; at the end of the
 *    text (or a NUL byte) it is always "unexpected end of data"; a string
 *    that runs into the end is reported one byte later, at most at the end;
 *  - a number is the longest run of digits, one '.', one exponent mark and
 *    a sign first or right after either; inside a container it must be
 *    followed by white space, ',', ']', '}', '/', 'I' or 'i'; a
 *    non-negative integer must not start with 0 unless it is 0; any other
 *    number must read whole as a C double; errors found after the run is
 *    read are reported at the character after it;
 *  - true, false, null, NaN, Infinity and -Infinity are matched byte by
 *    byte, a mismatch reported where it occurs;
 *  - a lone or unpaired surrogate escape becomes U+FFFD;
 *  - containers nest JSON_MAX_DEPTH deep: the first value deeper is
 *    "nesting too deep".
 * What json-c reads but JSON forbids (NaN, "00", "1." ...) is refused in
 * the second tier.  tests/fuzz/fuzz_json.c holds all this against json-c.
 *
 * The second-tier refusals are found in the same pass; the first is kept
 * while the grammar is checked to the end.  A repeated name is found by
 * comparing with the object's earlier names: n^2/2 comparisons for n
 * members, nothing for a config (64 KiB at most) or a vector file.
 */
#include "core/json.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const char EOF_WHAT[] = "unexpected end of data";
static const char UNEXPECTED[] = "unexpected character";
static const char BAD_NUMBER[] = "number expected";
static const char BAD_STRING[] = "invalid string sequence";

/* One open container, for the path of a second-tier error. */
struct level {
	bool is_object;
	size_t index;		   /* array: the current element */
	size_t name_off, name_len; /* object: the current member's raw name */
};

struct parser {
	const char *text;
	size_t len;
	size_t pos;
	unsigned flags;
	struct json_error *err; /* the grammar error, once failed */
	bool failed;
	bool have_refusal; /* the first second-tier error, in text order */
	struct json_error refusal;
	struct level lv[JSON_MAX_DEPTH];
	size_t depth; /* open containers */
};

/* The byte at i; the end of the text reads as the NUL json-c was given. */
static char at(const struct parser *p, size_t i)
{
	return i < p->len ? p->text[i] : '\0';
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void skip_ws(struct parser *p)
{
	while (is_ws(at(p, p->pos)))
		p->pos++;
}

static void set_error(const struct parser *p, struct json_error *e,
		      enum json_error_kind kind, const char *what, size_t off)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->what = what;
	e->offset = off > p->len ? p->len : off;
	json_line_col(p->text, e->offset, &e->line, &e->column);
}

/* A grammar error at off (see the top of this file for the end-of-data rule). */
static bool fail(struct parser *p, size_t off, const char *what)
{
	if (at(p, off) == '\0')
		what = EOF_WHAT;
	set_error(p, p->err, JSON_ERR_SYNTAX, what, off);
	p->failed = true;
	return false;
}

static bool out_of_memory(struct parser *p)
{
	set_error(p, p->err, JSON_ERR_NOMEM, "out of memory", p->pos);
	p->failed = true;
	return false;
}

/* ---- paths ---- */

/* The open containers as a path; an object's part is its current member. */
static void level_path(const struct parser *p, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t d = 0; d < p->depth && o + 1 < cap; d++) {
		const struct level *l = &p->lv[d];
		const char *name = p->text + l->name_off;

		if (!l->is_object) {
			o = json_path_add_index(out, cap, o, l->index);
		} else if (d > 0 && o == 0) {
			/* Below members named "" the dot still shows: ".a". */
			out[o++] = '.';
			o += json_path_add_key(out + o, cap - o, 0, name, l->name_len);
		} else {
			o = json_path_add_key(out, cap, o, name, l->name_len);
		}
	}
}

/*
 * Keeps the first second-tier error: what, reported at off.  A refusal of a
 * name or an integer (not JSON_ERR_SYNTAX) also has its token, text[tok,
 * tok + tok_len), and the path it stands at.
 */
static void refuse(struct parser *p, enum json_error_kind kind, const char *what,
		   size_t off, size_t tok, size_t tok_len)
{
	struct json_error *e = &p->refusal;

	if (p->have_refusal)
		return;
	p->have_refusal = true;
	set_error(p, e, kind, what, off);
	if (kind == JSON_ERR_SYNTAX)
		return;
	e->token = p->text + tok;
	e->token_len = tok_len;
	level_path(p, e->path, sizeof(e->path));
}

/* ---- strings ---- */

/* cp as UTF-8 at out + o (out NULL: only counted); the new length. */
static size_t put_utf8(char *out, size_t o, uint32_t cp)
{
	static const unsigned char lead[] = { 0, 0, 0xc0, 0xe0, 0xf0 };
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

	for (size_t i = n - 1; i > 0; i--, cp >>= 6) {
		if (out != NULL)
			out[o + i] = (char)(0x80 | (cp & 0x3f));
	}
	if (out != NULL)
		out[o] = (char)(lead[n] | cp);
	return o + n;
}

enum { REPLACEMENT = 0xfffd };

/* The one-character escapes and what they stand for. */
static const char ESCAPES[] = "\"\\/bfnrt";
static const char UNESCAPED[] = "\"\\/\b\f\n\r\t";

#define IS_HIGH_SURROGATE(u) (((u)&0xfc00) == 0xd800)
#define IS_LOW_SURROGATE(u) (((u)&0xfc00) == 0xdc00)

struct str_scan {
	size_t end;   /* offset of the closing quote */
	size_t len;   /* decoded bytes */
	bool escaped; /* written with an escape sequence */
};

/*
 * The string whose opening quote is at p->pos, decoded into out (NULL: only
 * measured).  The first call (out == NULL) checks the grammar and notes
 * control characters; the second, over known-good text, cannot fail.
 */
static bool scan_string(struct parser *p, char *out, struct str_scan *s)
{
	char quote = at(p, p->pos);
	uint32_t high = 0; /* a high surrogate waiting for its low half */
	size_t i = p->pos + 1, o = 0;

	s->escaped = false;
	for (;;) {
		char c = at(p, i);
		const char *esc;
		uint32_t u = 0;

		if (high != 0 && !(c == '\\' && at(p, i + 1) == 'u')) {
			o = put_utf8(out, o, REPLACEMENT);
			high = 0;
		}
		if (c == quote)
			break;
		if (c == '\0')
			return fail(p, i + 1, EOF_WHAT); /* json-c is past the NUL */
		if (c != '\\') {
			if ((unsigned char)c < 0x20 && out == NULL)
				refuse(p, JSON_ERR_SYNTAX,
				       "control character inside a string", i, 0, 0);
			if (out != NULL)
				out[o] = c;
			o++;
			i++;
			continue;
		}
		s->escaped = true;
		c = at(p, ++i);
		if (c == 'u') {
			for (int k = 1; k <= 4; k++) {
				char h = at(p, i + (size_t)k);

				if (!isxdigit((unsigned char)h))
					return fail(p, i + (size_t)k, BAD_STRING);
				h = is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10;
				u = u << 4 | (uint32_t)h;
			}
			i += 5;
			if (high != 0) {
				if (IS_LOW_SURROGATE(u))
					u = 0x10000 + ((high & 0x3ff) << 10) +
					    (u & 0x3ff);
				else
					o = put_utf8(out, o, REPLACEMENT);
				high = 0;
			}
			if (IS_HIGH_SURROGATE(u))
				high = u;
			else
				o = put_utf8(out, o,
					     IS_LOW_SURROGATE(u) ? REPLACEMENT : u);
			continue;
		}
		esc = c != '\0' ? strchr(ESCAPES, c) : NULL;
		if (esc == NULL)
			return fail(p, i, BAD_STRING);
		c = UNESCAPED[esc - ESCAPES];
		if (out != NULL)
			out[o] = c;
		o++;
		i++;
	}
	s->end = i;
	s->len = o;
	return true;
}

/* The string at p->pos into a new NUL-terminated buffer; p->pos moves past it. */
static bool read_string(struct parser *p, char **bytes, size_t *len, bool *escaped)
{
	struct str_scan s;

	if (!scan_string(p, NULL, &s))
		return false;
	*bytes = malloc(s.len + 1);
	if (*bytes == NULL)
		return out_of_memory(p);
	scan_string(p, *bytes, &s);
	(*bytes)[s.len] = '\0';
	*len = s.len;
	*escaped = s.escaped;
	p->pos = s.end + 1;
	return true;
}

/* ---- numbers and literals ---- */

/* The literal word at p->pos, byte by byte; what names a mismatch. */
static bool match_word(struct parser *p, const char *word, const char *what)
{
	for (size_t k = 0; word[k] != '\0'; k++) {
		if (at(p, p->pos + k) != word[k])
			return fail(p, p->pos + k, what);
	}
	p->pos += strlen(word);
	return true;
}

/* Does text[start, end) read whole as a C double (strtod's decimal form)? */
static bool reads_as_double(const char *t, size_t start, size_t end)
{
	size_t i = start, digits = 0;

	if (i < end && t[i] == '-')
		i++;
	for (; i < end && is_digit(t[i]); i++)
		digits++;
	if (i < end && t[i] == '.') {
		for (i++; i < end && is_digit(t[i]); i++)
			digits++;
	}
	if (digits == 0)
		return false;
	if (i < end && (t[i] == 'e' || t[i] == 'E')) {
		size_t exp_digits = 0;

		i++;
		if (i < end && (t[i] == '+' || t[i] == '-'))
			i++;
		for (; i < end && is_digit(t[i]); i++)
			exp_digits++;
		if (exp_digits == 0)
			return false;
	}
	return i == end;
}

static bool parse_integer(struct parser *p, size_t start, size_t end,
			  struct json_value *v)
{
	struct json_int *n = &v->u.integer;
	size_t i = start;
	bool zero = true;

	n->negative = p->text[i] == '-';
	if (n->negative)
		i++;
	if (i == end)
		return fail(p, end, BAD_NUMBER); /* a lone '-' */
	for (; i < end; i++) {
		unsigned d = (unsigned)(p->text[i] - '0');

		zero = zero && d == 0;
		if (n->magnitude > (UINT64_MAX - d) / 10)
			n->too_big = true;
		else
			n->magnitude = n->magnitude * 10 + d;
	}
	if (!n->negative && !zero && p->text[start] == '0')
		return fail(p, end, BAD_NUMBER);
	n->negative = n->negative && !zero;
	if (n->negative && n->magnitude > (uint64_t)INT64_MAX + 1)
		n->too_big = true;
	if (n->too_big) {
		n->magnitude = UINT64_MAX;
		if (!(p->flags & JSON_BIG_INTS))
			refuse(p, JSON_ERR_INT_RANGE, "integer does not fit in 64 bits",
			       start, start, end - start);
	}
	v->type = JSON_INT;
	return true;
}

/*
 * NaN, Infinity or -Infinity (v starts at the sign) at p->pos: json-c reads
 * them, so they are grammar, but JSON has no such numbers.
 */
static bool parse_nan_inf(struct parser *p, struct json_value *v, const char *word,
			  const char *what)
{
	v->type = JSON_NUMBER;
	if (!match_word(p, word, what))
		return false;
	refuse(p, JSON_ERR_SYNTAX, "NaN and Infinity are not JSON", v->offset, 0, 0);
	return true;
}

/*
 * Why a number json-c accepted, text[start, end), is not a JSON number
 * (RFC 8259 section 6), or NULL.  json-c has already required digits in an
 * exponent and, for a non-negative integer, refused a leading zero
 * before any other digit.
 */
static const char *not_json_number(const char *t, size_t start, size_t end)
{
	size_t i = start + (t[start] == '-');

	if (i + 1 < end && t[i] == '0' && is_digit(t[i + 1]))
		return "leading zeros are not JSON";
	if (t[i] == '.')
		return "a '.' needs digits on both sides in JSON";
	while (i < end && is_digit(t[i]))
		i++;
	if (i < end && t[i] == '.' && (i + 1 == end || !is_digit(t[i + 1])))
		return "a '.' needs digits on both sides in JSON";
	return NULL;
}

static bool parse_number(struct parser *p, struct json_value *v)
{
	size_t start = p->pos, i = start;
	bool is_double = false, is_exp = false, minus_ok = true, plus_ok = false;
	const char *why;
	char c;

	for (;; i++) {
		c = at(p, i);
		if (!(is_digit(c) || (!is_exp && (c == 'e' || c == 'E')) ||
		      (minus_ok && c == '-') || (plus_ok && c == '+') ||
		      (!is_double && c == '.')))
			break;
		minus_ok = plus_ok = c == '.' || c == 'e' || c == 'E';
		is_double = is_double || minus_ok;
		is_exp = is_exp || c == 'e' || c == 'E';
	}
	if (p->depth > 0 && c != ',' && c != ']' && c != '}' && c != '/' && c != 'I' &&
	    c != 'i' && !is_ws(c))
		return fail(p, i, BAD_NUMBER);
	p->pos = i;
	if (i - start == 1 && p->text[start] == '-' && (c == 'I' || c == 'i'))
		return parse_nan_inf(p, v, "Infinity", UNEXPECTED);
	if (!is_double && !parse_integer(p, start, i, v))
		return false;
	if (is_double && !reads_as_double(p->text, start, i))
		return fail(p, i, BAD_NUMBER);
	if (is_double)
		v->type = JSON_NUMBER;
	why = not_json_number(p->text, start, i);
	if (why != NULL)
		refuse(p, JSON_ERR_SYNTAX, why, start, 0, 0);
	return true;
}

/* ---- containers ---- */

static bool parse_value(struct parser *p, struct json_value *v);

/*
 * items (holding n of *cap elements of size bytes) with room for one more:
 * the same block or a larger one.  NULL when out of memory; items is then
 * unchanged and still the caller's.
 */
static void *grow(struct parser *p, void *items, size_t n, size_t *cap, size_t size)
{
	size_t want = *cap < 4 ? 4 : *cap + *cap / 2;
	void *bigger;

	if (n < *cap)
		return items;
	bigger = want <= SIZE_MAX / size ? realloc(items, want * size) : NULL;
	if (bigger == NULL) {
		out_of_memory(p);
		return NULL;
	}
	*cap = want;
	return bigger;
}

/* A child of the innermost container: not deeper than the limit allows. */
static bool parse_child(struct parser *p, struct json_value *v)
{
	if (p->depth >= JSON_MAX_DEPTH)
		return fail(p, p->pos, "nesting too deep");
	return parse_value(p, v);
}

/*
 * After a container's element: its closing bracket (*closed) or a comma,
 * either consumed; anything else is the error what.
 */
static bool next_item(struct parser *p, char close, const char *what, bool *closed)
{
	skip_ws(p);
	*closed = at(p, p->pos) == close;
	if (!*closed && at(p, p->pos) != ',')
		return fail(p, p->pos, what);
	p->pos++;
	return true;
}

/*
 * Is the next thing (after white space) the container's closing bracket?
 * Then it is consumed; right after a comma it is refused.
 */
static bool at_close(struct parser *p, char close, bool after_comma, bool *closed)
{
	skip_ws(p);
	*closed = at(p, p->pos) == close;
	if (*closed && after_comma)
		return fail(p, p->pos, UNEXPECTED);
	if (*closed)
		p->pos++;
	return true;
}

/* v is the container whose bracket is at p->pos: one level deeper. */
static struct level *open_container(struct parser *p, struct json_value *v,
				    enum json_kind type)
{
	struct level *l = &p->lv[p->depth++];

	*l = (struct level){ .is_object = type == JSON_OBJECT };
	v->type = type;
	p->pos++;
	return l;
}

static bool parse_array(struct parser *p, struct json_value *v)
{
	struct level *l = open_container(p, v, JSON_ARRAY);
	size_t cap = 0;
	bool closed = false;

	for (bool after_comma = false; !closed; after_comma = true) {
		struct json_value *items;

		if (!at_close(p, ']', after_comma, &closed))
			return false;
		if (closed)
			break;
		items = grow(p, v->u.array.items, v->u.array.n, &cap, sizeof(*items));
		if (items == NULL)
			return false;
		v->u.array.items = items;
		l->index = v->u.array.n;
		items[l->index] = (struct json_value){ .type = JSON_NULL };
		v->u.array.n++; /* counted before it is read, for json_free */
		if (!parse_child(p, &items[l->index]) ||
		    !next_item(p, ']', "array value separator ',' expected", &closed))
			return false;
	}
	p->depth--;
	return true;
}

/* The name at p->pos of obj's last member m, with the second-tier checks on it. */
static bool member_name(struct parser *p, const struct json_value *obj,
			struct json_member *m)
{
	struct level *l = &p->lv[p->depth - 1];
	size_t quote = p->pos;
	bool escaped;

	if (at(p, quote) == '\'')
		refuse(p, JSON_ERR_SYNTAX, "single-quoted strings are not JSON", quote, 0,
		       0);
	if (!read_string(p, &m->name, &m->name_len, &escaped))
		return false;
	m->name_offset = quote;
	l->name_off = quote + 1;
	l->name_len = p->pos - 1 - l->name_off;
	if (escaped && (p->flags & JSON_PLAIN_KEYS)) {
		refuse(p, JSON_ERR_ESCAPED_KEY,
		       "member name written with an escape sequence", quote, l->name_off,
		       l->name_len);
		return true;
	}
	for (size_t i = 0; i + 1 < obj->u.object.n; i++) {
		const struct json_member *o = &obj->u.object.members[i];

		if (o->name_len == m->name_len &&
		    memcmp(o->name, m->name, m->name_len) == 0) {
			refuse(p, JSON_ERR_DUPLICATE_KEY, "member name repeated", quote,
			       l->name_off, l->name_len);
			break;
		}
	}
	return true;
}

static bool parse_object(struct parser *p, struct json_value *v)
{
	size_t cap = 0;
	bool closed = false;

	open_container(p, v, JSON_OBJECT);
	for (bool after_comma = false; !closed; after_comma = true) {
		struct json_member *m;

		if (!at_close(p, '}', after_comma, &closed))
			return false;
		if (closed)
			break;
		if (at(p, p->pos) != '"' && at(p, p->pos) != '\'')
			return fail(p, p->pos, "quoted object property name expected");
		m = grow(p, v->u.object.members, v->u.object.n, &cap, sizeof(*m));
		if (m == NULL)
			return false;
		v->u.object.members = m;
		m += v->u.object.n++; /* counted before it is read, for json_free */
		*m = (struct json_member){ .value = { .type = JSON_NULL } };
		if (!member_name(p, v, m))
			return false;
		skip_ws(p);
		if (at(p, p->pos) != ':')
			return fail(p, p->pos,
				    "object property name separator ':' expected");
		p->pos++;
		skip_ws(p);
		if (!parse_child(p, &m->value) ||
		    !next_item(p, '}', "object value separator ',' expected", &closed))
			return false;
	}
	p->depth--;
	return true;
}

static bool parse_value(struct parser *p, struct json_value *v)
{
	char c = at(p, p->pos);
	bool ok;

	v->offset = p->pos;
	switch (c) {
	case '{':
		ok = parse_object(p, v);
		break;
	case '[':
		ok = parse_array(p, v);
		break;
	case '"': {
		bool escaped;

		v->type = JSON_STRING;
		ok = read_string(p, &v->u.string.bytes, &v->u.string.len, &escaped);
		break;
	}
	case 't':
	case 'T':
		v->type = JSON_BOOL;
		v->u.boolean = true;
		ok = match_word(p, "true", "boolean expected");
		break;
	case 'f':
	case 'F':
		v->type = JSON_BOOL;
		ok = match_word(p, "false", "boolean expected");
		break;
	case 'n':
		ok = match_word(p, "null", "null expected");
		break;
	case 'N':
		ok = parse_nan_inf(p, v, "NaN", "null expected");
		break;
	case 'I':
	case 'i':
		ok = parse_nan_inf(p, v, "Infinity", UNEXPECTED);
		break;
	default:
		if (c == '-' || is_digit(c))
			ok = parse_number(p, v);
		else
			ok = fail(p, p->pos, UNEXPECTED); /* a single quote too */
		break;
	}
	v->len = p->pos - v->offset;
	return ok;
}

bool json_parse(const char *text, size_t len, unsigned flags, struct json_value *root,
		struct json_error *err)
{
	struct parser p = { .text = text, .len = len, .flags = flags, .err = err };

	*root = (struct json_value){ .type = JSON_NULL };
	skip_ws(&p);
	if (parse_value(&p, root)) {
		skip_ws(&p);
		if (at(&p, p.pos) != '\0')
			fail(&p, p.pos, UNEXPECTED);
		else if (p.pos < len) { /* a NUL byte after the value */
			set_error(&p, err, JSON_ERR_SYNTAX,
				  "unexpected content after the top-level value", p.pos);
			p.failed = true;
		}
	}
	if (!p.failed && p.have_refusal) {
		*err = p.refusal;
		p.failed = true;
	}
	if (p.failed) {
		json_free(root);
		return false;
	}
	return true;
}
