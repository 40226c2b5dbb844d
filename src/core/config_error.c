/*
 * Config errors: where (file, field path), what (the documented name) and
 * why (a detail quoting the offending value).  Untrusted values are quoted
 * escaped, and anything that looks like a key is described, never quoted:
 * no psk reaches a message, whichever field it was pasted into.
 */
#include "core/config_error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void config_error_format(const struct config_error *e, char *buf, size_t cap)
{
	const char *name = e->name ? e->name : "Error";

	if (cap == 0)
		return;
	if (e->path[0] != '\0')
		snprintf(buf, cap, "%s: %s: %s: %s", e->file, e->path, name, e->detail);
	else
		snprintf(buf, cap, "%s: %s: %s", e->file, name, e->detail);
}

void config_error_reset(struct config_error *err, const char *file)
{
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "config.json");
}

int config_error_set(struct config_error *err, const char *path, const char *name,
		     const char *fmt, ...)
{
	va_list ap;

	snprintf(err->path, sizeof(err->path), "%s", path);
	err->name = name;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Does s contain a run of 32 or more hex digits with a letter among them (a
 * key, or most of one; a long all-decimal name is not mistaken for one)?
 */
static bool has_key_like_run(const char *s, size_t len)
{
	size_t run = 0;
	bool letter = false;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!isxdigit(ch)) {
			run = 0;
			letter = false;
			continue;
		}
		letter = letter || !isdigit(ch);
		if (++run >= 32 && letter)
			return true;
	}
	return false;
}

/*
 * Quote an untrusted value for a detail: "..." with anything outside
 * printable ASCII (and the quote and backslash) escaped, so a hostile
 * config cannot put control characters on the operator's terminal.
 */
const char *config_quote(char *out, size_t cap, const char *s, size_t len)
{
	size_t o = 0;

	if (cap < 8) {
		if (cap > 0)
			out[0] = '\0';
		return out;
	}
	/*
	 * A key pasted into the wrong field must not end up in a log: any
	 * value with a long hex run is described, never quoted.
	 */
	if (has_key_like_run(s, len)) {
		snprintf(out, cap, "(a %zu-character value with a key-like hex run, not shown)",
			 len);
		return out;
	}
	out[o++] = '"';
	for (size_t i = 0; i < len && i < CONFIG_QUOTE_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];
		char tmp[5];
		size_t n;

		if (ch == '"' || ch == '\\')
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\%c", ch);
		else if (ch < 0x20 || ch > 0x7e)
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", ch);
		else
			n = (size_t)snprintf(tmp, sizeof(tmp), "%c", ch);
		if (o + n + 5 > cap)
			break;
		memcpy(out + o, tmp, n);
		o += n;
	}
	out[o++] = '"';
	if (len > CONFIG_QUOTE_MAX && o + 4 <= cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

