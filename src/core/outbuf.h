/*
 * An all-or-nothing text builder for replies that must be complete or not
 * at all (status, metrics): appends into a caller's buffer, and once
 * anything fails to fit, the whole result is empty.
 */
#ifndef SUBNETRA_OUTBUF_H
#define SUBNETRA_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outbuf {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

/* Starts empty (buf[0] = '\0' when cap > 0). */
void outbuf_init(struct outbuf *o, char *buf, size_t cap);
void outbuf_put(struct outbuf *o, const char *s, size_t n);
void outbuf_puts(struct outbuf *o, const char *s);
void outbuf_u64(struct outbuf *o, uint64_t v);
/* For numbers and bounded strings: over 255 bytes counts as overflow. */
__attribute__((format(printf, 2, 3))) void outbuf_printf(struct outbuf *o, const char *fmt,
							  ...);
/* The length written, or 0 (and an empty string) if anything did not fit. */
size_t outbuf_finish(struct outbuf *o);

#endif
