/*
 * Config errors (config_error.c): every error says where (file, JSON field
 * path such as "peers[1].psk"), what (the documented error name) and why
 * (detail, quoting the offending value -- except secrets, which are never
 * quoted).  Shared by the parser, validation and the host checks.
 */
#ifndef SUBNETRA_CONFIG_ERROR_H
#define SUBNETRA_CONFIG_ERROR_H

#include <stddef.h>

struct config_error {
	char file[256];
	char path[64];
	const char *name; /* "InvalidPsk", "SyntaxError", "UnknownField", ... */
	char detail[200];
};

/* err for file, with nothing found yet. */
void config_error_reset(struct config_error *err, const char *file);
/* Fill path, name and detail (printf); returns -1, so callers can return it. */
__attribute__((format(printf, 4, 5))) int config_error_set(struct config_error *err,
							   const char *path, const char *name,
							   const char *fmt, ...);

/* "config.json: peers[1].psk: InvalidPsk: expected 64 hex characters" */
void config_error_format(const struct config_error *e, char *buf, size_t cap);

enum {
	CONFIG_QUOTE_MAX = 64,  /* bytes of a value that config_quote shows */
	CONFIG_QUOTE_BUF = 128, /* the out buffer callers give it */
};

/*
 * s[0..len) for a detail, into out (cap bytes): in double quotes, with
 * anything outside printable ASCII (and the quote and backslash) escaped
 * and "..." after the first CONFIG_QUOTE_MAX bytes -- or, when it holds a
 * key-like hex run, only a description of it.  Returns out.
 */
const char *config_quote(char *out, size_t cap, const char *s, size_t len);

#endif
