/* Vector files: loading, typed fields, result lines (see vecfile.h). */
#include "tools/lib/vecfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/lib/hexio.h"

enum { MAX_FILE_SIZE = 64 * 1024 * 1024 };

bool vecfile_bad(const struct vecfile_where *w, const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s%s%s: ", w->file, w->path, w->path[0] && key ? "." : "",
		key ? key : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

void vecfile_where_sub(struct vecfile_where *out, const struct vecfile_where *parent,
		       const char *fmt, ...)
{
	va_list ap;
	int n;

	out->file = parent->file;
	n = snprintf(out->path, sizeof out->path, "%s%s", parent->path,
		     parent->path[0] && fmt[0] != '[' ? "." : "");
	if (n < 0 || (size_t)n >= sizeof out->path)
		return;
	va_start(ap, fmt);
	vsnprintf(out->path + n, sizeof out->path - (size_t)n, fmt, ap);
	va_end(ap);
}

/*
 * One result line on stdout.  Names and notes come from the file, so control
 * characters are replaced: a crafted name must not forge a TAP line.
 */
__attribute__((format(printf, 1, 2))) static void emit(const char *fmt, ...)
{
	char line[VECFILE_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	puts(line);
}

void vecfile_record(struct vecfile_tally *t, const char *section, const char *name,
		    bool ok, const char *why)
{
	if (ok) {
		t->passed++;
	} else {
		t->failed++;
		emit("FAIL %s/%s: %s", section, name, why);
	}
	if (t->tap)
		emit("%s - %s/%s", ok ? "ok" : "not ok", section, name);
}

/* Append "; "-separated text to a fixed message buffer (truncating). */
void vecfile_why_add(char *why, size_t cap, const char *fmt, ...)
{
	size_t used = strlen(why);
	va_list ap;

	if (used && used + 2 < cap) {
		memcpy(why + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(why + used, cap - used, fmt, ap);
	va_end(ap);
}

void vecfile_why_bytes(char *why, size_t cap, const char *what, const uint8_t *got,
		       size_t got_len, const uint8_t *want, size_t want_len)
{
	size_t i = 0;

	if (got_len == want_len && memcmp(got, want, got_len) == 0)
		return;
	while (i < got_len && i < want_len && got[i] == want[i])
		i++;
	if (got_len != want_len)
		vecfile_why_add(
		    why, cap,
		    "%s: got %zu bytes, expected %zu (first difference at byte %zu)",
		    what, got_len, want_len, i);
	else
		vecfile_why_add(why, cap,
				"%s differs at byte %zu (got %02x, expected %02x)", what,
				i, got[i], want[i]);
}

static char *read_file(const char *file, size_t *out_len)
{
	FILE *f = fopen(file, "rb");
	char *buf = NULL, *grown;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "%s: cannot open: %s\n", file, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_FILE_SIZE) {
				fprintf(stderr, "%s: larger than %d bytes\n", file,
					MAX_FILE_SIZE);
				goto err_free;
			}
			cap = cap ? cap * 2 : 64 * 1024;
			grown = realloc(buf, cap + 1);
			if (!grown) {
				fprintf(stderr, "%s: out of memory\n", file);
				goto err_free;
			}
			buf = grown;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: read error: %s\n", file, strerror(errno));
		goto err_free;
	}
	fclose(f);
	buf[len] = '\0';
	*out_len = len;
	return buf;

err_free:
	free(buf);
	fclose(f);
	return NULL;
}

static bool parse_json(const char *file, const char *text, size_t len,
		       struct json_value *root)
{
	struct json_error err;

	if (memchr(text, '\0', len)) {
		fprintf(stderr, "%s: contains a NUL byte\n", file);
		return false;
	}
	if (json_parse(text, len, 0, root, &err))
		return true;
	switch (err.kind) {
	case JSON_ERR_NOMEM:
		fprintf(stderr, "%s: out of memory\n", file);
		break;
	case JSON_ERR_INT_RANGE:
		fprintf(
		    stderr,
		    "%s: line %zu, column %zu: integer %.*s%s does not fit in 64 bits\n",
		    file, err.line, err.column,
		    (int)(err.token_len > 40 ? 40 : err.token_len), err.token,
		    err.token_len > 40 ? "..." : "");
		break;
	case JSON_ERR_SYNTAX:
		fprintf(stderr, "%s: line %zu, column %zu: invalid JSON: %s\n", file,
			err.line, err.column, err.what);
		break;
	default:
		fprintf(stderr, "%s: line %zu, column %zu: %s: %s \"%.*s\"\n", file,
			err.line, err.column, err.path[0] ? err.path : "(top level)",
			err.what, (int)(err.token_len > 40 ? 40 : err.token_len),
			err.token);
		break;
	}
	return false;
}

/* The type names of these messages ("must be int, not string"). */
static const char *kind_name(enum json_kind k)
{
	static const char *const names[] = {
	    [JSON_NULL] = "null",     [JSON_BOOL] = "boolean",	[JSON_INT] = "int",
	    [JSON_NUMBER] = "double", [JSON_STRING] = "string", [JSON_ARRAY] = "array",
	    [JSON_OBJECT] = "object",
	};

	return names[k];
}

const struct json_value *vecfile_field(const struct vecfile_where *w,
				       const struct json_value *obj, const char *key,
				       enum json_kind type)
{
	const struct json_value *v = json_member_get(obj, key);

	if (v == NULL) {
		vecfile_bad(w, key, "missing");
		return NULL;
	}
	if (v->type != type) {
		vecfile_bad(w, key, "must be %s, not %s", kind_name(type),
			    kind_name(v->type));
		return NULL;
	}
	return v;
}

bool vecfile_get_string(const struct vecfile_where *w, const struct json_value *obj,
			const char *key, const char **s, size_t *len)
{
	const struct json_value *v = vecfile_field(w, obj, key, JSON_STRING);

	if (!v)
		return false;
	*s = v->u.string.bytes;
	*len = v->u.string.len;
	return true;
}

const char *vecfile_hex(const char *hex, size_t hex_len, uint8_t *out, size_t cap,
			size_t *n)
{
	struct hex_result r;

	if (hex_parse_strict(out, cap, hex, hex_len, &r)) {
		*n = r.len;
		return NULL;
	}
	switch (r.err) {
	case HEX_ODD:
		return "odd number of hex digits";
	case HEX_TOO_LONG:
		*n = hex_len / 2; /* the caller reports the size */
		return NULL;
	default:
		return "not lowercase hex";
	}
}

bool vecfile_get_hex(const struct vecfile_where *w, const struct json_value *obj,
		     const char *key, uint8_t *out, size_t min, size_t max,
		     size_t *out_len)
{
	const char *s, *err;
	size_t len, n;

	if (!vecfile_get_string(w, obj, key, &s, &len))
		return false;
	err = vecfile_hex(s, len, out, max, &n);
	if (err)
		return vecfile_bad(w, key, "%s", err);
	if (n < min || n > max) {
		if (min == max)
			return vecfile_bad(w, key, "%zu bytes, must be %zu", n, min);
		return vecfile_bad(w, key, "%zu bytes, must be %zu..%zu", n, min, max);
	}
	*out_len = n;
	return true;
}

void vecfile_skip(struct vecfile_tally *t, const char *section, const char *name,
		  const char *why)
{
	t->skipped++;
	if (t->tap)
		emit("ok - %s/%s # SKIP %s", section, name, why);
}

bool vecfile_load(const char *file, struct json_value *root)
{
	char *text;
	size_t len;
	bool ok;

	text = read_file(file, &len);
	if (!text)
		return false;
	ok = parse_json(file, text, len, root);
	free(text);
	return ok;
}
