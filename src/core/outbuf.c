/* Bounded text builder (see outbuf.h). */
#include "core/outbuf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void outbuf_init(struct outbuf *o, char *buf, size_t cap)
{
	*o = (struct outbuf){.buf = buf, .cap = cap};
	if (cap > 0)
		buf[0] = '\0';
}

void outbuf_put(struct outbuf *o, const char *s, size_t n)
{
	/* Keep one byte for the terminating NUL. */
	if (o->overflow || o->cap == 0 || n >= o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

void outbuf_puts(struct outbuf *o, const char *s)
{
	outbuf_put(o, s, strlen(s));
}

void outbuf_u64(struct outbuf *o, uint64_t v)
{
	outbuf_printf(o, "%" PRIu64, v);
}

void outbuf_printf(struct outbuf *o, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* Callers format numbers and bounded strings only; longer is a bug. */
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->overflow = true;
		return;
	}
	outbuf_put(o, tmp, (size_t)n);
}

size_t outbuf_finish(struct outbuf *o)
{
	if (o->overflow) {
		if (o->cap > 0)
			o->buf[0] = '\0';
		return 0;
	}
	return o->len;
}

size_t outbuf_finish_cut(struct outbuf *o)
{
	return o->len;
}
