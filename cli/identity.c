/*
 * subnetra identity new|show|import: the mesh identity file (docs/mesh.md).
 * These commands never talk to the daemon; they read and write one file.
 *
 * The key material lives only in one sodium_malloc'ed block (guarded,
 * wiped on free): the identity, the file's text as read and as written.
 * Files are written through atomicfile (0600 from creation, never half
 * written, an existing file kept unless --force), read through safefile
 * (a FIFO is refused, never waited on), and a file other users can read
 * gets the same warning the daemon gives for a readable config.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cliargs.h"
#include "core/mesh/identity.h"
#include "os/linux/atomicfile.h"
#include "os/linux/safefile.h"

#define PROG "subnetra identity"

static const char synopsis[] =
    "usage: " PROG " new [--out FILE] [--force]\n"
    "       " PROG " show [FILE]\n"
    "       " PROG " import HUSARNET_ID_FILE [--out FILE] [--force]\n";

static const char usage_rest[] =
    "The mesh identity: an Ed25519 key pair and the overlay address derived from\n"
    "it (fc94::/16, as Husarnet derives it).  No daemon is needed.\n"
    "\n"
    "  new             generate an identity and write it to the identity file\n"
    "  show [FILE]     print the address and public key of an identity file\n"
    "                  (never the secret)\n"
    "  import FILE     read a Husarnet id file (ADDRESS PUBKEY SECRETKEY) and\n"
    "                  write it as an identity file: the address is kept\n"
    "  --out FILE      the identity file to write (default " IDENTITY_DEFAULT_PATH ");\n"
    "                  created mode 0600 and moved into place atomically\n"
    "  --force         replace an existing identity file (its address is lost)\n"
    "\n"
    "new and import print the same lines as show.  A FILE other users can read\n"
    "is used, with a warning.\n"
    "\n"
    "exit status: 0 done, 1 a file could not be read, is not a valid identity\n"
    "(the message names the line and field), exists (use --force) or could not\n"
    "be written, 2 usage error\n";

#define usage_error(...) cliarg_usage_error(PROG, synopsis, __VA_ARGS__)

enum verb { VERB_NEW, VERB_SHOW, VERB_IMPORT };

struct options {
	enum verb verb;
	const char *in;  /* show, import */
	const char *out; /* new, import */
	bool force;
};

/* Everything secret, in one guarded block. */
struct secrets {
	struct identity id;
	char text[IDENTITY_FILE_MAX + 1]; /* a file read, or one to write */
};

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct options *o)
{
	const char *verb = argc > 0 ? argv[0] : NULL;

	if (verb == NULL)
		return usage_error("no identity command given (new, show or import)");
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		printf("%s\n%s", synopsis, usage_rest);
		return EXIT_OK;
	}
	if (strcmp(verb, "new") == 0)
		o->verb = VERB_NEW;
	else if (strcmp(verb, "show") == 0)
		o->verb = VERB_SHOW;
	else if (strcmp(verb, "import") == 0)
		o->verb = VERB_IMPORT;
	else
		return usage_error("unknown identity command '%s'", verb);

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("%s\n%s", synopsis, usage_rest);
			return EXIT_OK;
		} else if (o->verb != VERB_SHOW && strcmp(a, "--out") == 0) {
			if (++i == argc)
				return usage_error("missing file after --out");
			if (argv[i][0] == '\0')
				return usage_error("--out: empty file name");
			o->out = argv[i];
		} else if (o->verb != VERB_SHOW && strcmp(a, "--force") == 0) {
			o->force = true;
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage_error("%s: unknown argument '%s'", verb, a);
		} else if (o->verb != VERB_NEW && o->in == NULL) {
			if (a[0] == '\0')
				return usage_error("%s: empty file name", verb);
			o->in = a;
		} else {
			return usage_error("%s: unexpected argument '%s'", verb, a);
		}
	}
	if (o->verb == VERB_IMPORT && o->in == NULL)
		return usage_error("import: which Husarnet id file? (e.g. /var/lib/husarnet/id)");
	if (o->verb == VERB_SHOW && o->in == NULL)
		o->in = IDENTITY_DEFAULT_PATH;
	if (o->verb != VERB_SHOW && o->out == NULL)
		o->out = IDENTITY_DEFAULT_PATH;
	return -1;
}

/*
 * path into s->text (NUL-terminated), *len bytes.  false after printing
 * one line naming the file and the problem.
 */
static bool read_file(const char *path, struct secrets *s, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd = safefile_open_read(AT_FDCWD, path, true, &st);

	if (fd == -EINVAL) {
		fprintf(stderr, "subnetra: %s: %s, not a regular file\n", path,
			safefile_kind(st.st_mode));
		return false;
	}
	if (fd < 0) {
		fprintf(stderr, "subnetra: %s: cannot open: %s\n", path, strerror(-fd));
		return false;
	}
	/* One byte over the limit tells "exactly the limit" from "too large". */
	n = safefile_read_all(fd, s->text, sizeof(s->text));
	close(fd);
	if (n < 0) {
		fprintf(stderr, "subnetra: %s: cannot read: %s\n", path, strerror((int)-n));
		return false;
	}
	if ((size_t)n > IDENTITY_FILE_MAX) {
		fprintf(stderr, "subnetra: %s: larger than %d bytes: not an identity file\n",
			path, IDENTITY_FILE_MAX);
		return false;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH))
		fprintf(stderr,
			"subnetra: warning: %s is readable by other users (mode %04o) and "
			"holds a secret key; chmod 600 %s\n",
			path, (unsigned)(st.st_mode & 07777), path);
	*len = (size_t)n;
	return true;
}

static void print_error(const char *path, const struct identity_error *err)
{
	if (err->line > 0)
		fprintf(stderr, "subnetra: %s: line %u: %s\n", path, err->line, err->msg);
	else
		fprintf(stderr, "subnetra: %s: %s\n", path, err->msg);
}

/* path read and parsed by parse into s->id; false after one line saying why. */
static bool load(const char *path,
		 bool (*parse)(struct identity *, const char *, size_t, struct identity_error *),
		 struct secrets *s)
{
	struct identity_error err;
	size_t len;

	if (!read_file(path, s, &len))
		return false;
	if (!parse(&s->id, s->text, len, &err)) {
		print_error(path, &err);
		return false;
	}
	return true;
}

/* address and public key, as "key value" lines (the identity file's names). */
static void print_public(const struct identity *id, const char *path)
{
	char addr[IDENTITY_ADDR_TEXT], pk[2 * IDENTITY_PK_LEN + 1];

	identity_address_format(id->addr, addr);
	sodium_bin2hex(pk, sizeof(pk), id->pk, IDENTITY_PK_LEN);
	printf("address %s\npublic-key %s\nfile %s\n", addr, pk, path);
}

/*
 * The default file's directory is created (0700) when missing: it is ours.
 * A directory the operator named with --out must exist.
 */
static bool make_default_dir(const char *out)
{
	char dir[sizeof(IDENTITY_DEFAULT_PATH)];
	const char *base;

	if (strcmp(out, IDENTITY_DEFAULT_PATH) != 0 ||
	    safefile_split(out, dir, sizeof(dir), &base) < 0)
		return true;
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return true;
	fprintf(stderr, "subnetra: cannot create %s: %s\n", dir, strerror(errno));
	return false;
}

static bool write_file(const char *out, bool force, struct secrets *s)
{
	size_t len = identity_file_format(&s->id, s->text, sizeof(s->text));
	int rc;

	if (len == 0) { /* IDENTITY_FILE_TEXT fits: cannot happen */
		fprintf(stderr, "subnetra: internal error: identity text too long\n");
		return false;
	}
	if (!make_default_dir(out))
		return false;
	rc = atomicfile_save(out, s->text, len, force);
	if (rc == -EEXIST)
		fprintf(stderr, "subnetra: %s exists; not replaced (use --force)\n", out);
	else if (rc < 0)
		fprintf(stderr, "subnetra: %s: %s\n", out, strerror(-rc));
	return rc == 0;
}

int cmd_identity(int argc, char **argv)
{
	struct options o = {0};
	struct secrets *s = NULL;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	rc = EXIT_FAIL;
	if (sodium_init() < 0) {
		fprintf(stderr, "subnetra: libsodium initialisation failed\n");
		return EXIT_FAIL;
	}
	s = sodium_malloc(sizeof(*s));
	if (s == NULL) {
		fprintf(stderr, "subnetra: cannot allocate secure memory\n");
		return EXIT_FAIL;
	}

	switch (o.verb) {
	case VERB_NEW:
		identity_generate(&s->id);
		if (!write_file(o.out, o.force, s))
			goto out_free;
		print_public(&s->id, o.out);
		break;
	case VERB_SHOW:
		if (!load(o.in, identity_file_parse, s))
			goto out_free;
		print_public(&s->id, o.in);
		break;
	case VERB_IMPORT:
		if (!load(o.in, identity_husarnet_parse, s) || !write_file(o.out, o.force, s))
			goto out_free;
		print_public(&s->id, o.out);
		break;
	}
	rc = EXIT_OK;
out_free:
	sodium_free(s); /* wipes */
	return rc;
}
