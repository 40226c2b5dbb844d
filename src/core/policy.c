/*
 * Forwarding policy: LPM table with a two-slot RCU-style swap.
 *
 * Publication: every update writes the next table completely into the spare
 * slot, then publishes it with a (sequentially consistent, so also release)
 * store; policy_active() loads with acquire semantics, so a reader sees
 * either the old or the new table, never a torn one.  The spare slot is the
 * table that was active before the previous add, so reusing it is only safe
 * once no reader still holds that pointer.  A reader never keeps the pointer
 * across a wake-up.  With one reactor thread (which also runs the control
 * socket, the only writer) that alone is the guarantee; with several
 * (p->readers set) an update first waits for a grace period: every other
 * thread has been quiescent since the previous publication (qsbr.h).
 * Updates are rare and the wait is usually zero; while it lasts, worker 0
 * (the writer) serves no packets, at most POLICY_GRACE_TIMEOUT_NS.  An
 * update that changes nothing (a del that matches nothing) publishes
 * nothing and never waits.
 *
 * Lookup tries the distinct dst prefix lengths longest first; for each it
 * probes the hash for the packet's network at that length and walks the
 * rules with exactly that dst in insertion order.  So the first rule whose
 * dst and src both contain the packet is the longest-prefix match with the
 * documented "earlier rule wins" tie-break, at one probe per length.
 */
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "atomicfile.h"
#include "ctlproto.h"
#include "safefile.h"


/* A snapshot may also hold comments and blank lines; beyond this it is not ours. */
enum { POLICY_FILE_MAX = MAX_POLICY_DUMP + 4096 };

void policy_init(struct policy *p)
{
	memset(p->slots, 0, sizeof(p->slots));
	atomic_init(&p->active, &p->slots[0]);
	p->readers = NULL;
}

/* Sequentially consistent (not just acquire) for the grace period: qsbr.h. */
const struct policy_table *policy_active(const struct policy *p)
{
	return atomic_load_explicit(&p->active, memory_order_seq_cst);
}

static bool rule_equal(const struct policy_rule *a, const struct policy_rule *b)
{
	return cidr_equal(&a->src, &b->src) && cidr_equal(&a->dst, &b->dst) &&
	       a->action == b->action && a->target == b->target;
}

bool policy_contains(const struct policy_table *t, const struct policy_rule *r)
{
	for (size_t i = 0; i < t->n; i++)
		if (rule_equal(&t->rules[i], r))
			return true;
	return false;
}

/* Table contents are trusted (config, root's control socket): a plain mix. */
static size_t slot_of(uint8_t len, uint32_t net)
{
	uint64_t k = ((uint64_t)len << 32 | net) * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(k >> 40) & (POLICY_HASH_SLOTS - 1);
}

/* Rule index + 1 of the first rule whose dst is net/len, or the free slot. */
static size_t find_slot(const struct policy_table *t, uint8_t len, uint32_t net)
{
	size_t i = slot_of(len, net);

	for (;; i = (i + 1) & (POLICY_HASH_SLOTS - 1)) {
		const struct policy_rule *r;

		if (t->head[i] == 0)
			return i;
		r = &t->rules[t->head[i] - 1];
		if (r->dst.prefix == len && cidr_network(&r->dst) == net)
			return i;
	}
}

static void index_rebuild(struct policy_table *t)
{
	bool seen[33] = {false};
	uint32_t tail[MAX_POLICY_ENTRIES];

	memset(t->head, 0, sizeof(t->head));
	t->n_lens = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct cidr *dst = &t->rules[i].dst;
		size_t s = find_slot(t, dst->prefix, cidr_network(dst));

		seen[dst->prefix] = true;
		t->next[i] = 0;
		if (t->head[s] == 0) {
			t->head[s] = (uint32_t)i + 1;
		} else {
			/* tail[] of the chain's first rule: append in insertion order */
			t->next[tail[t->head[s] - 1]] = (uint32_t)i + 1;
		}
		tail[t->head[s] - 1] = (uint32_t)i;
	}
	for (int len = 32; len >= 0; len--)
		if (seen[len])
			t->lens[t->n_lens++] = (uint8_t)len;
}

/* Out-of-range prefixes would fall outside the index and never match. */
static bool rule_valid(const struct policy_rule *r)
{
	return r->src.prefix <= 32 && r->dst.prefix <= 32 &&
	       (r->action == POLICY_DROP || r->action == POLICY_FORWARD);
}

static bool same_match(const struct policy_rule *r, const struct cidr *src,
		       const struct cidr *dst)
{
	return cidr_equal(&r->src, src) && cidr_equal(&r->dst, dst);
}

static bool is_added(const struct policy_table *t, size_t i)
{
	return t->origin[i] == POLICY_ORIGIN_ADDED;
}

static struct policy_table *current(struct policy *p)
{
	return atomic_load_explicit(&p->active, memory_order_relaxed);
}

/*
 * The slot to build the next table in: the one that was active until the
 * previous update, so no reader may still use it once the grace period has
 * passed.  NULL when it did not pass in time.
 */
static struct policy_table *spare(struct policy *p)
{
	struct policy_table *cur = current(p);

	if (p->readers != NULL && !qsbr_synchronize(p->readers, POLICY_GRACE_TIMEOUT_NS))
		return NULL;
	return cur == &p->slots[0] ? &p->slots[1] : &p->slots[0];
}

/* Append to a table being built; the caller checked the capacity. */
static void put(struct policy_table *t, const struct policy_rule *r, enum policy_origin o)
{
	t->rules[t->n] = *r;
	/* A drop rule has no target; keep it 0 so the dump round-trips exactly. */
	if (r->action == POLICY_DROP)
		t->rules[t->n].target = 0;
	t->origin[t->n] = (uint8_t)o;
	t->n++;
}

static void publish(struct policy *p, struct policy_table *next)
{
	index_rebuild(next);
	atomic_store_explicit(&p->active, next, memory_order_seq_cst);
}

int policy_add(struct policy *p, const struct policy_rule *r)
{
	struct policy_table *cur = current(p), *next;

	if (!rule_valid(r))
		return -EINVAL;
	if (cur->n >= MAX_POLICY_ENTRIES)
		return -ENOSPC;
	next = spare(p);
	if (next == NULL)
		return -EBUSY;
	memcpy(next->rules, cur->rules, cur->n * sizeof(cur->rules[0]));
	memcpy(next->origin, cur->origin, cur->n * sizeof(cur->origin[0]));
	next->n = cur->n;
	put(next, r, POLICY_ORIGIN_ADDED);
	publish(p, next);
	return 0;
}

/* Is rules[i] an added rule that sel picks (every added rule when sel is NULL)? */
static bool selected(const struct policy_table *t, size_t i, const struct policy_rule *sel)
{
	return is_added(t, i) && (sel == NULL || same_match(&t->rules[i], &sel->src, &sel->dst));
}

/*
 * The one edit behind del, replace and flush: every added rule that sel
 * picks is removed, except that with a replacement the first of them
 * becomes it, in its place (the later ones could never match: the first
 * shadows them).  Returns how many sel picked; none publishes nothing.
 */
static int edit_added(struct policy *p, const struct policy_rule *sel,
		      const struct policy_rule *with)
{
	struct policy_table *cur = current(p), *next;
	bool replaced = false;
	int picked = 0;

	for (size_t i = 0; i < cur->n; i++)
		picked += selected(cur, i, sel);
	if (picked == 0)
		return 0;
	next = spare(p);
	if (next == NULL)
		return -EBUSY;
	next->n = 0;
	for (size_t i = 0; i < cur->n; i++) {
		if (!selected(cur, i, sel)) {
			put(next, &cur->rules[i], cur->origin[i]);
		} else if (with != NULL && !replaced) {
			put(next, with, POLICY_ORIGIN_ADDED);
			replaced = true;
		}
	}
	publish(p, next);
	return picked;
}

int policy_del(struct policy *p, const struct cidr *src, const struct cidr *dst)
{
	struct policy_rule sel = {.src = *src, .dst = *dst};

	return edit_added(p, &sel, NULL);
}

int policy_replace(struct policy *p, const struct policy_rule *r)
{
	int picked;

	if (!rule_valid(r))
		return -EINVAL;
	picked = edit_added(p, r, r);
	return picked > 0 ? 1 : picked;
}

int policy_flush_added(struct policy *p)
{
	return edit_added(p, NULL, NULL);
}

/*
 * Is r identical to one of rules[0..n), as stored (a drop rule's target is
 * stored as 0, whatever the caller's array says)?
 */
static bool among(const struct policy_rule *r, const struct policy_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct policy_rule stored = rules[i];

		if (stored.action == POLICY_DROP)
			stored.target = 0;
		if (rule_equal(r, &stored))
			return true;
	}
	return false;
}

int policy_rederive(struct policy *p, const struct policy_rule *derived, size_t n)
{
	struct policy_table *cur = current(p), *next;
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (!rule_valid(&derived[i]))
			return -EINVAL;
	/* Counted before the grace period: a refusal never waits. */
	for (size_t i = 0; i < cur->n; i++)
		kept += is_added(cur, i) && !among(&cur->rules[i], derived, n);
	if (n > MAX_POLICY_ENTRIES || kept > MAX_POLICY_ENTRIES - n)
		return -ENOSPC;
	next = spare(p);
	if (next == NULL)
		return -EBUSY;
	next->n = 0;
	for (size_t i = 0; i < n; i++)
		put(next, &derived[i], POLICY_ORIGIN_DERIVED);
	for (size_t i = 0; i < cur->n; i++)
		if (is_added(cur, i) && !among(&cur->rules[i], derived, n))
			put(next, &cur->rules[i], POLICY_ORIGIN_ADDED);
	publish(p, next);
	return 0;
}

const struct policy_rule *policy_find(const struct policy_table *t, const struct cidr *src,
				      const struct cidr *dst, enum policy_origin *origin)
{
	for (size_t i = 0; i < t->n; i++) {
		if (!same_match(&t->rules[i], src, dst))
			continue;
		if (origin != NULL)
			*origin = (enum policy_origin)t->origin[i];
		return &t->rules[i];
	}
	return NULL;
}

const struct policy_rule *policy_lookup(const struct policy_table *t, uint32_t src,
					uint32_t dst)
{
	for (size_t l = 0; l < t->n_lens; l++) {
		uint8_t len = t->lens[l];
		size_t s = find_slot(t, len, dst & cidr_mask(len));

		for (uint32_t i = t->head[s]; i != 0; i = t->next[i - 1]) {
			const struct policy_rule *r = &t->rules[i - 1];

			if (cidr_contains(&r->src, src))
				return r;
		}
	}
	return NULL;
}

size_t policy_rule_format(const struct policy_rule *r, char *buf, size_t cap)
{
	char src[CIDR_STR_MAX], dst[CIDR_STR_MAX];
	int n;

	cidr_format(&r->src, src);
	cidr_format(&r->dst, dst);
	if (r->action == POLICY_FORWARD)
		n = snprintf(
		    buf, cap,
		    "policy add --src %s --dst %s --action forward --target %u\n", src,
		    dst, (unsigned)r->target);
	else
		n = snprintf(buf, cap, "policy add --src %s --dst %s --action drop\n",
			     src, dst);
	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

size_t policy_dump(const struct policy_table *t, char *buf, size_t cap)
{
	static const char empty[] = "# no policy rules\n";
	size_t len = 0;

	if (t->n == 0) {
		if (cap < sizeof(empty))
			goto too_small;
		memcpy(buf, empty, sizeof(empty));
		return sizeof(empty) - 1;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t n = policy_rule_format(&t->rules[i], buf + len, cap - len);

		if (n == 0)
			goto too_small;
		len += n;
	}
	return len;

too_small:
	if (cap > 0)
		buf[0] = '\0';
	return 0;
}

/* ---- snapshot files ---- */

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

static void err_set(char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err_set(char *err, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errcap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errcap, fmt, ap);
	va_end(ap);
}

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
	const char *name = base_name(path);
	size_t cap = STAMP_LINE_MAX + MAX_POLICY_DUMP + 1, len, n;
	char tmp[NAME_MAX + 1];
	struct stat st;
	char *text;
	int fd = -1, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= sizeof(tmp)) {
		err_set(err, errcap, "%s: name too long", path);
		return -ENAMETOOLONG;
	}
	/* Off the data path; ~30 KiB is too much for the reactor's stack. */
	text = malloc(cap);
	if (text == NULL) {
		err_set(err, errcap, "%s: out of memory", path);
		return -ENOMEM;
	}
	len = stamp_line(stamp, text);
	n = policy_dump(t, text + len, cap - len);
	if (n == 0) {
		rc = -EOVERFLOW; /* cannot happen: the dump bound covers a full table */
		err_set(err, errcap, "%s: the dump does not fit", path);
		goto out_free;
	}
	len += n;

	/*
	 * A regular file at the tmp name is what an interrupted save leaves:
	 * it goes.  Anything else (a symbolic link, a FIFO) was put there by
	 * someone else: refused and left for the operator to look at.
	 */
	if (fstatat(dirfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode)) {
			rc = -EEXIST;
			err_set(err, errcap, "%s.tmp is %s, not a file subnetrad left: remove it",
				path, safefile_kind(st.st_mode));
			goto out_free;
		}
		if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT) {
			rc = -errno;
			err_set(err, errcap, "cannot remove the stale %s.tmp: %s", path,
				strerror(-rc));
			goto out_free;
		}
	}
	/* O_EXCL: a fresh file of our own; it never follows a link either. */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		err_set(err, errcap, "cannot create %s.tmp: %s", path, strerror(-rc));
		goto out_free;
	}
	/* A restrictive umask may have taken bits away: exactly 0600. */
	rc = fchmod(fd, 0600) < 0 ? -errno : fd_write_all(fd, text, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0) {
		err_set(err, errcap, "writing %s.tmp: %s", path, strerror(-rc));
		goto out_unlink;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		rc = -errno;
		err_set(err, errcap, "cannot rename %s.tmp to %s: %s", path, name, strerror(-rc));
		goto out_unlink;
	}
	/* The rename itself must be durable; some filesystems cannot sync a directory. */
	if (fsync(dirfd) < 0 && errno != EINVAL) {
		rc = -errno;
		err_set(err, errcap, "syncing the directory of %s: %s", path, strerror(-rc));
	}
	goto out_free;

out_unlink:
	unlinkat(dirfd, tmp, 0);
out_free:
	free(text);
	return rc;
}

/* 0, or -EPERM with err saying why a snapshot of this stat is not trusted. */
static int check_trust(const char *path, const struct stat *st, uid_t owner, char *err,
		       size_t errcap)
{
	if (st->st_uid != 0 && st->st_uid != owner) {
		err_set(err, errcap, "%s belongs to uid %u, neither root nor the daemon's user",
			path, (unsigned)st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		err_set(err, errcap, "%s is writable by group or others (mode %04o)", path,
			(unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	/* A hard link could be a name for someone else's file. */
	if (st->st_nlink != 1) {
		err_set(err, errcap, "%s has %lu hard links", path, (unsigned long)st->st_nlink);
		return -EPERM;
	}
	return 0;
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
	err_set(err, errcap,
		"%s %s; if its rules still apply, make its first line '%s' (or add them "
		"again and run 'subnetra save')",
		path, why, want);
	return -ESTALE;
}

/* The whole file into a fresh buffer of at most POLICY_FILE_MAX bytes. */
static int read_fd(int fd, const char *path, char **out, size_t *outlen, char *err,
		   size_t errcap)
{
	size_t cap = POLICY_FILE_MAX + 1, len = 0;
	char *buf = malloc(cap);

	if (buf == NULL) {
		err_set(err, errcap, "%s: out of memory", path);
		return -ENOMEM;
	}
	/* One byte more than allowed, so an oversized file is detected. */
	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0) {
			int rc = -errno;

			if (rc == -EINTR)
				continue;
			err_set(err, errcap, "%s: %s", path, strerror(-rc));
			free(buf);
			return rc;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > POLICY_FILE_MAX) {
		err_set(err, errcap, "%s: larger than %u bytes", path, (unsigned)POLICY_FILE_MAX);
		free(buf);
		return -EFBIG;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/*
 * Open and read a snapshot that passes every check but the stamp.  Never
 * waits (O_NONBLOCK) and never follows a link (O_NOFOLLOW).
 */
static int read_trusted(int dirfd, const char *path, uid_t owner, char **text, size_t *len,
			char *err, size_t errcap)
{
	struct stat st;
	int fd = safefile_open_read(dirfd, base_name(path), false, &st), rc;

	if (fd == -ELOOP) {
		err_set(err, errcap, "%s is a symbolic link", path);
		return -EPERM;
	}
	if (fd == -EINVAL) {
		err_set(err, errcap, "%s is %s, not a regular file", path,
			safefile_kind(st.st_mode));
		return -EPERM;
	}
	if (fd < 0) {
		err_set(err, errcap, "%s: %s", path, strerror(-fd));
		return fd;
	}
	rc = check_trust(path, &st, owner, err, errcap);
	if (rc == 0)
		rc = read_fd(fd, path, text, len, err, errcap);
	close(fd);
	return rc;
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
			err_set(err, errcap, "%s:%zu: %s: %s", path, lineno,
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
	const struct policy_table *t = policy_active(p);
	struct policy_table *next;
	struct policy_rule *rules = NULL;
	size_t len = 0, lines = 1, fresh = 0;
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
		err_set(err, errcap, "%s: out of memory", path);
		goto out_free;
	}

	/* Everything is parsed and checked before anything changes: all or nothing. */
	n = parse_snapshot(path, text, len, rules, err, errcap);
	if (n < 0) {
		rc = n;
		goto out_free;
	}
	for (int i = 0; i < n; i++) {
		bool dup = policy_contains(t, &rules[i]);

		for (int j = 0; j < i && !dup; j++)
			dup = rule_equal(&rules[j], &rules[i]);
		if (!dup)
			rules[fresh++] = rules[i];
	}
	if (t->n + fresh > MAX_POLICY_ENTRIES) {
		rc = -ENOSPC;
		err_set(err, errcap,
			"%s: TooManyEntries: %zu new rule(s) do not fit (%zu of %u used)",
			path, fresh, t->n, (unsigned)MAX_POLICY_ENTRIES);
		goto out_free;
	}
	/* One publication, so readers never see half a snapshot. */
	next = spare(p);
	if (next == NULL) {
		rc = -EBUSY;
		err_set(err, errcap, "%s: a worker did not reach a quiescent state in time", path);
		goto out_free;
	}
	memcpy(next->rules, t->rules, t->n * sizeof(t->rules[0]));
	memcpy(next->origin, t->origin, t->n * sizeof(t->origin[0]));
	next->n = t->n;
	for (size_t i = 0; i < fresh; i++)
		put(next, &rules[i], POLICY_ORIGIN_ADDED);
	publish(p, next);
	rc = (int)fresh;

out_free:
	free(rules);
	free(text);
	return rc;
}
