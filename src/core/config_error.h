/*
 * Config errors (config_error.c): every error says where (file, JSON field
 * path such as "peers[1].psk"), what (the documented error name) and why
 * (detail, quoting the offending value -- except secrets, which are never
 * quoted).  Shared by the parser, validation and the host checks.
 */
#ifndef SUBNETRA_CONFIG_ERROR_H
#define SUBNETRA_CONFIG_ERROR_H

#include <stddef.h>

#include "core/bytes/quote.h"

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

/* Values in details are quoted with quote_untrusted (core/bytes/quote.h). */

#endif
