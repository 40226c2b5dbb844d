/*
 * Untrusted bytes shown in a message (see quote.h): escaped, cut, and never
 * a key.
 */
#include "core/bytes/quote.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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
const char *quote_untrusted(char *out, size_t cap, const char *s, size_t len)
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
	for (size_t i = 0; i < len && i < QUOTE_MAX; i++) {
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
	if (len > QUOTE_MAX && o + 4 <= cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
