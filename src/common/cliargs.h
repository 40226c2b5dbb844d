/*
 * Command-line helpers shared by subnetrad and the helper tools.  What every
 * tool's parse_args and main still repeat stays there on purpose: the
 * --help and --version branches (two tools' help texts are printf formats
 * with their limits) and the sodium_init check (each tool exits with its
 * own documented code).
 */
#ifndef SUBNETRA_CLIARGS_H
#define SUBNETRA_CLIARGS_H

#include <stdbool.h>

enum { EXIT_USAGE_ERROR = 2 };

/*
 * A plain decimal in lo..hi: digits only (no sign, no spaces, no trailing
 * text), no overflow.
 */
bool cliarg_uint(const char *s, unsigned lo, unsigned hi, unsigned *out);

/*
 * A usage error, in three lines on stderr: "<prog>: <message>", one usage
 * line, and "Try '<prog> --help' for more."; returns the usage exit code (2).
 * The usage line is the synopsis's first form folded into one line: the
 * first line ("usage: prog ...") and the indented continuation lines after
 * it; a later line that starts another form (an indented "prog ...", such
 * as "prog --version | --help") and everything after it is left to --help.
 */
__attribute__((format(printf, 3, 4))) int cliarg_usage_error(const char *prog,
							      const char *synopsis,
							      const char *fmt, ...);

#endif
