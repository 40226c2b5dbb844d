/*
 * Lines of a text held in memory (state files, the hosts file): the one
 * walk every line-oriented parser in core/ uses.  No copy, no NUL needed.
 */
#ifndef SUBNETRA_BYTES_LINES_H
#define SUBNETRA_BYTES_LINES_H

#include <stdbool.h>
#include <stddef.h>

/* One line of text: [start, stop) without its '\n', next: the offset after it. */
struct text_line {
	size_t start, stop, next;
	bool newline; /* it ends in '\n' (only the last line may not) */
};

/* The line at offset at of text[0..len) into *l; false at the end of the text. */
bool text_line_next(const char *text, size_t len, size_t at, struct text_line *l);

#endif
