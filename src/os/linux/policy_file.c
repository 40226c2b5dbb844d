/*
 * The policy snapshot file (subnetra save; replayed at start-up and by
 * subnetra-wire-decode --policy): written atomically, read only when it can
 * be trusted and was saved under this config.  The table itself is
 * core/policy.c; each line goes through the control grammar (core/ctlproto.c).
 */
#include "os/linux/policy_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/ctlproto.h"
#include "os/linux/statefile.h"

/* A snapshot may also hold comments and blank lines; beyond this it is not ours. */
enum { POLICY_FILE_MAX = MAX_POLICY_DUMP + 4096 };

/*
 * The snapshot decides the routing, so start-up replays one only when it is
 * (a) a regular file reached without a symbolic link, with one link, owned
 * by root or the daemon's user and writable by no one else, and (b) stamped
 * as saved under this very config: its first line is STAMP_PREFIX and the
 * hex of the config digest (config_digest; policy_save writes it).  To the
 * parser the stamp is a comment, so everything else is unchanged.
 */
#define STAMP_PREFIX "# subnetra-policy config="
enum {
	STAMP_HEX = POLICY_STAMP_LEN * 2,
	STAMP_LINE_MAX = sizeof(STAMP_PREFIX) + STAMP_HEX + 1, /* with '\n' and NUL */
};

/* The stamp line of stamp (with '\n'); returns its length. */
static size_t stamp_line(const uint8_t stamp[POLICY_STAMP_LEN], char line[STAMP_LINE_MAX])
{
	char hex[STAMP_HEX + 1];

	sodium_bin2hex(hex, sizeof(hex), stamp, POLICY_STAMP_LEN);
	return (size_t)snprintf(line, STAMP_LINE_MAX, STAMP_PREFIX "%s\n", hex);
}

/* The last component of path: names are looked up in the caller's dirfd. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

int policy_save(const struct policy_table *t, int dirfd, const char *path,
		const uint8_t stamp[POLICY_STAMP_LEN], char *err, size_t errcap)
{
	size_t cap = STAMP_LINE_MAX + MAX_POLICY_DUMP + 1, len, n;
	char *text;
	int rc;

	/* Off the data path; ~30 KiB is too much for the reactor's stack. */
	text = malloc(cap);
	if (text == NULL) {
		statefile_why(err, errcap, "%s: out of memory", path);
		return -ENOMEM;
	}
	len = stamp_line(stamp, text);
	n = policy_dump(t, text + len, cap - len);
	if (n == 0) {
		rc = -EOVERFLOW; /* cannot happen: the dump bound covers a full table */
		statefile_why(err, errcap, "%s: the dump does not fit", path);
	} else {
		rc = statefile_save(dirfd, base_name(path), path, text, len + n, err, errcap);
	}
	free(text);
	return rc;
}

/* The first line must be the stamp of this config. */
static int check_stamp(const char *path, const char *text, size_t len,
		       const uint8_t stamp[POLICY_STAMP_LEN], char *err, size_t errcap)
{
	char want[STAMP_LINE_MAX];
	size_t n = stamp_line(stamp, want);
	const char *why;

	/* Saved with \n; a hand edit may have made it \r\n. */
	if (len >= n && memcmp(text, want, n - 1) == 0 &&
	    (text[n - 1] == '\n' || (text[n - 1] == '\r' && len > n && text[n] == '\n')))
		return 0;
	why = len >= sizeof(STAMP_PREFIX) - 1 &&
		      memcmp(text, STAMP_PREFIX, sizeof(STAMP_PREFIX) - 1) == 0
		  ? "was saved under another config"
		  : "carries no config stamp (written by hand, or by an older subnetrad)";
	want[n - 1] = '\0';
	statefile_why(err, errcap,
		"%s %s; if its rules still apply, make its first line '%s' (or add them "
		"again and run 'subnetra save')",
		path, why, want);
	return -ESTALE;
}

/*
 * Open and read a snapshot that passes every check but the stamp
 * (statefile.h), into a fresh buffer of at most POLICY_FILE_MAX bytes.
 */
static int read_trusted(int dirfd, const char *path, uid_t owner, char **text, size_t *len,
			char *err, size_t errcap)
{
	char *buf = malloc(POLICY_FILE_MAX);
	int rc;

	if (buf == NULL) {
		statefile_why(err, errcap, "%s: out of memory", path);
		return -ENOMEM;
	}
	rc = statefile_read(dirfd, base_name(path), path, owner, buf, POLICY_FILE_MAX, len, err,
			    errcap);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*text = buf;
	return 0;
}

/* A comment line: first non-blank byte is '#'. */
static bool is_comment(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')
			continue;
		return s[i] == '#';
	}
	return false;
}

/*
 * Parse every line into rules[] (sized by the caller to the line count).
 * Returns the number of rules, or -EINVAL with err naming file and line.
 */
static int parse_snapshot(const char *path, const char *text, size_t len,
			  struct policy_rule *rules, char *err, size_t errcap)
{
	size_t pos = 0, lineno = 0;
	int n = 0;

	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t linelen = nl ? (size_t)(nl - line) : len - pos;
		const char *detail = NULL;
		struct ctl_cmd cmd;
		enum ctl_err e;

		pos += linelen + (nl ? 1 : 0);
		lineno++;
		if (is_comment(line, linelen))
			continue;
		e = ctl_parse_line(line, linelen, &cmd, &detail);
		if (e == CTL_EMPTY)
			continue;
		if (e == CTL_OK && cmd.kind != CTL_POLICY_ADD) {
			e = CTL_UNKNOWN_COMMAND;
			detail = "only 'policy add' lines belong in a policy snapshot";
		}
		if (e != CTL_OK) {
			statefile_why(err, errcap, "%s:%zu: %s: %s", path, lineno,
				ctl_err_name(e), detail ? detail : "invalid line");
			return -EINVAL;
		}
		rules[n++] = cmd.rule;
	}
	return n;
}

int policy_load(struct policy *p, int dirfd, const char *path,
		const uint8_t stamp[POLICY_STAMP_LEN], uid_t owner, char *err, size_t errcap)
{
	struct policy_rule *rules = NULL;
	size_t len = 0, lines = 1;
	char *text = NULL;
	int n, rc;

	rc = read_trusted(dirfd, path, owner, &text, &len, err, errcap);
	if (rc < 0)
		return rc;
	rc = check_stamp(path, text, len, stamp, err, errcap);
	if (rc < 0)
		goto out_free;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	rules = calloc(lines, sizeof(*rules));
	if (rules == NULL) {
		rc = -ENOMEM;
		statefile_why(err, errcap, "%s: out of memory", path);
		goto out_free;
	}

	/* Everything is parsed and checked before anything changes: all or nothing. */
	n = parse_snapshot(path, text, len, rules, err, errcap);
	if (n < 0) {
		rc = n;
		goto out_free;
	}
	rc = policy_add_many(p, rules, (size_t)n);
	if (rc == -ENOSPC)
		statefile_why(err, errcap, "%s: TooManyEntries: the new rule(s) do not fit (%zu of %u used)",
			path, policy_active(p)->n, (unsigned)MAX_POLICY_ENTRIES);
	else if (rc == -EBUSY)
		statefile_why(err, errcap, "%s: a worker did not reach a quiescent state in time", path);

out_free:
	free(rules);
	free(text);
	return rc;
}
