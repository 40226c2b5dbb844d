/*
 * A bounded text builder: appends into a caller's buffer, never writes at or
 * past its end, and once an append does not fit, ignores every later one.
 * Then outbuf_finish gives nothing at all, for replies that must be complete
 * or not at all (status, metrics), and outbuf_finish_cut what fit before it,
 * for text appended in whole lines (the network plan).
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
/* The length of what was appended before the first append that did not fit. */
size_t outbuf_finish_cut(struct outbuf *o);

#endif
