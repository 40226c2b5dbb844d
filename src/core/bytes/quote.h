/*
 * Showing untrusted bytes (a config value, a file's line) in a message:
 * the config errors, the identity and whitelist file errors.
 */
#ifndef SUBNETRA_BYTES_QUOTE_H
#define SUBNETRA_BYTES_QUOTE_H

#include <stddef.h>

enum {
	QUOTE_MAX = 64,  /* bytes of a value that quote_untrusted shows */
	QUOTE_BUF = 128, /* the out buffer callers give it */
};

/*
 * s[0..len) for a message, into out (cap bytes): in double quotes, with
 * anything outside printable ASCII (and the quote and backslash) escaped
 * and "..." after the first QUOTE_MAX bytes -- or, when it holds a key-like
 * hex run, only a description of it.  Returns out.
 */
const char *quote_untrusted(char *out, size_t cap, const char *s, size_t len);

#endif
