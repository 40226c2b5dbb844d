/* Command-line helpers (see cliargs.h). */
#include "common/cliargs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cliarg_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	unsigned long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = (unsigned)v;
	return true;
}

/* After blanks, does line start with word followed by a blank or its end? */
static const char *after_word(const char *line, const char *word)
{
	size_t n = strlen(word);

	line += strspn(line, " \t");
	if (strncmp(line, word, n) != 0 ||
	    (line[n] != ' ' && line[n] != '\n' && line[n] != '\0'))
		return NULL;
	return line + n + strspn(line + n, " \t");
}

/*
 * The synopsis as one line (without '\n'): continuation lines joined with a
 * space, further forms ("prog --probe ...") with " | ", and the
 * "prog --version | --help" form left out (the "Try" line covers it).
 */
static void fold_usage(const char *prog, const char *synopsis, char *out, size_t cap)
{
	const char *line = synopsis;
	size_t len = 0;

	out[0] = '\0';
	for (bool first = true; *line != '\0'; first = false) {
		const char *nl = strchr(line, '\n');
		const char *end = nl != NULL ? nl : line + strlen(line);
		const char *text = line, *rest = first ? NULL : after_word(line, prog);
		const char *sep = first ? "" : rest != NULL ? " | " : " ";
		size_t n;

		if (rest != NULL && strncmp(rest, "--version", 9) == 0)
			break;
		if (!first)
			text = rest != NULL ? rest : line + strspn(line, " \t");
		n = (size_t)(end - text);
		if (len + strlen(sep) + n + 1 > cap)
			break;
		len += (size_t)snprintf(out + len, cap - len, "%s%.*s", sep, (int)n, text);
		if (nl == NULL)
			break;
		line = nl + 1;
	}
}

int cliarg_usage_error(const char *prog, const char *synopsis, const char *fmt, ...)
{
	char usage[512];
	va_list ap;

	fold_usage(prog, synopsis, usage, sizeof(usage));
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s\nTry '%s --help' for more.\n", usage, prog);
	return EXIT_USAGE_ERROR;
}
