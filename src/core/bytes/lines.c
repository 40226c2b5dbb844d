/* Lines of a text in memory (see lines.h). */
#include "core/bytes/lines.h"

#include <string.h>

bool text_line_next(const char *text, size_t len, size_t at, struct text_line *l)
{
	const char *nl;

	if (at >= len)
		return false;
	nl = memchr(text + at, '\n', len - at);
	l->start = at;
	l->stop = nl != NULL ? (size_t)(nl - text) : len;
	l->next = nl != NULL ? l->stop + 1 : len;
	l->newline = nl != NULL;
	return true;
}
