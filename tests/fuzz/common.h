/*
 * Shared by the libFuzzer harnesses (header-only: each harness is one
 * translation unit linked against libsubnetra.a).
 *
 * An invariant that does not hold calls FUZZ_CHECK's __builtin_trap(), which
 * libFuzzer reports as a deadly signal and saves as a crash input; the
 * message printed first says which invariant broke.  A harness never exits
 * or aborts for any other reason: every input is fair game.
 */
#ifndef SUBNETRA_FUZZ_COMMON_H
#define SUBNETRA_FUZZ_COMMON_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* libFuzzer's entry points (prototypes for -Wmissing-prototypes). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                            \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "INVARIANT VIOLATED (%s:%d): %s: ", __FILE__,    \
				__LINE__, #cond);                                        \
			fprintf(stderr, __VA_ARGS__);                                    \
			fputc('\n', stderr);                                             \
			__builtin_trap();                                                \
		}                                                                        \
	} while (0)

/* Offset of the first run of at least `run` hex digits in s[0..len), or -1. */
static inline long fuzz_find_hex_run(const char *s, size_t len, size_t run)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (isxdigit((unsigned char)s[i])) {
			if (++n == run)
				return (long)(i + 1 - run);
		} else {
			n = 0;
		}
	}
	return -1;
}

/* memmem without relying on _GNU_SOURCE being visible in every harness. */
static inline const char *fuzz_memmem(const char *hay, size_t hlen, const char *needle,
				      size_t nlen)
{
	if (nlen == 0)
		return hay;
	for (size_t i = 0; i + nlen <= hlen; i++) {
		size_t j = 0;

		while (j < nlen && hay[i + j] == needle[j])
			j++;
		if (j == nlen)
			return hay + i;
	}
	return NULL;
}

#endif
