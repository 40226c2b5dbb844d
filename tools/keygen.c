/*
 * subnetra-keygen: fresh per-link pre-shared keys, 32 bytes from libsodium's
 * RNG (randombytes_buf), printed as 64 lowercase hex characters, one per
 * line.  The keys exist only in sodium_malloc'ed (guarded, wiped-on-free)
 * memory and on the output; they are written with write(2), so no stdio
 * buffer keeps a copy, and with -o the file is created 0600 and moved into
 * place atomically.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cliargs.h"
#include "core/version.h"
#include "core/wire.h"
#include "os/linux/atomicfile.h"

enum {
	MAX_KEYS = 4096,
	LINE_LEN = 2 * WIRE_PSK_LEN + 1, /* hex + '\n' */
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

static const char synopsis[] = "usage: subnetra-keygen [-n N] [-o FILE [--force]]\n"
			       "       subnetra-keygen --version | --help\n";

static const char usage_rest[] =
    "Prints fresh per-link pre-shared keys (32 random bytes each, as 64 hex\n"
    "characters), one per line.  Every link needs its own key: a hub with N\n"
    "spokes needs N keys.\n"
    "\n"
    "  -n, --count N   how many keys (1..4096, default 1)\n"
    "  -o, --out FILE  write them to FILE instead of stdout: created mode 0600 and\n"
    "                  moved into place atomically; an existing FILE is kept\n"
    "  --force         with -o: replace an existing FILE\n"
    "  --version, -V   print the version and exit\n"
    "  --help, -h      print this help and exit\n"
    "\n"
    "exit status: 0 keys written, 1 could not write them (FILE exists, I/O\n"
    "error), 2 usage error\n";

struct options {
	unsigned long count;
	const char *out;
	bool force;
};

#define usage_error(...) cliarg_usage_error("subnetra-keygen", synopsis, __VA_ARGS__)

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct options *o)
{
	o->count = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("%s\n%s", synopsis, usage_rest);
			return EXIT_OK;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("subnetra-keygen v%s\n", SUBNETRA_VERSION);
			return EXIT_OK;
		} else if (strcmp(a, "-n") == 0 || strcmp(a, "--count") == 0) {
			char *end;

			if (++i == argc)
				return usage_error("missing number after %s", a);
			errno = 0;
			o->count = strtoul(argv[i], &end, 10);
			if (argv[i][0] < '0' || argv[i][0] > '9' || *end != '\0' ||
			    errno != 0 || o->count < 1 || o->count > MAX_KEYS)
				return usage_error("%s: expected 1..%d, got '%s'", a,
						   MAX_KEYS, argv[i]);
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0) {
			if (++i == argc)
				return usage_error("missing file after %s", a);
			if (argv[i][0] == '\0')
				return usage_error("%s: empty file name", a);
			o->out = argv[i];
		} else if (strcmp(a, "--force") == 0) {
			o->force = true;
		} else {
			return usage_error("unknown argument '%s'", a);
		}
	}
	if (o->force && o->out == NULL)
		return usage_error("--force only applies to -o FILE");
	return -1;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	uint8_t key[WIRE_PSK_LEN];
	size_t len;
	char *text;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (sodium_init() < 0) {
		fprintf(stderr, "subnetra-keygen: libsodium initialisation failed\n");
		return EXIT_FAIL;
	}
	/* A closed pipe must end in an error return (and the wipe), not a signal. */
	signal(SIGPIPE, SIG_IGN);

	len = o.count * LINE_LEN;
	text = sodium_malloc(len + 1); /* +1: sodium_bin2hex writes a NUL */
	if (text == NULL) {
		fprintf(stderr, "subnetra-keygen: cannot allocate secure memory\n");
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < o.count; i++) {
		randombytes_buf(key, sizeof key);
		sodium_bin2hex(text + i * LINE_LEN, LINE_LEN + 1, key, sizeof key);
		text[i * LINE_LEN + LINE_LEN - 1] = '\n';
	}
	sodium_memzero(key, sizeof key);

	if (o.out != NULL) {
		rc = atomicfile_save(o.out, text, len, o.force);
		if (rc == -EEXIST)
			fprintf(
			    stderr,
			    "subnetra-keygen: %s exists; not replaced (use --force)\n",
			    o.out);
		else if (rc < 0)
			fprintf(stderr, "subnetra-keygen: %s: %s\n", o.out,
				strerror(-rc));
	} else {
		rc = fd_write_all(STDOUT_FILENO, text, len);
		if (rc < 0)
			fprintf(stderr, "subnetra-keygen: writing the keys: %s\n",
				strerror(-rc));
	}
	sodium_free(text); /* wipes */
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}
