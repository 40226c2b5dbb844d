/*
 * Config errors: where (file, field path), what (the documented name) and
 * why (a detail quoting the offending value).  Untrusted values are quoted
 * escaped, and anything that looks like a key is described, never quoted:
 * no psk reaches a message, whichever field it was pasted into.
 */
#include "core/config_error.h"

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


