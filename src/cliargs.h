/* Command-line helpers shared by subnetrad and the helper tools. */
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
 * "<prog>: <message>" and the synopsis on stderr, then a pointer to --help;
 * returns the usage exit code (2).
 */
__attribute__((format(printf, 3, 4))) int cliarg_usage_error(const char *prog,
							      const char *synopsis,
							      const char *fmt, ...);

#endif
