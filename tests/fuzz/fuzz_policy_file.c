/*
 * Policy snapshot files (policy_load): the input is written, behind the
 * stamp line of a fixed config, to a per-process file under /tmp and
 * replayed into a table that already holds a hub's role-derived rules, as
 * at daemon start-up.  (Without the stamp every input would stop at the
 * stamp check, before the parser.)
 *
 * Invariants:
 *  - all or nothing: on error the active table is untouched (same pointer,
 *    same contents) and a malformed file (-EINVAL) names the file in err;
 *  - on success the return value is the number of rules that were new, and
 *    every rule is unique in the table; the derived rules keep their origin
 *    and every loaded one is an added rule;
 *  - round trip: the dump of the resulting table, saved with policy_save and
 *    loaded into a fresh table, gives the same rules in the same order.
 * The temp files are unlinked after every input.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "core/policy.h"
#include "os/linux/policy_file.h"

static char path[64], save_path[64];
static const uint8_t stamp[POLICY_STAMP_LEN] = {0xf0, 0x22};
static int tmp_fd = -1; /* /tmp, where both files live */
static struct policy pol, again;
static struct policy_table before;

static void seed_table(struct policy *p)
{
	/* What a hub with three spokes derives from its config. */
	static const struct policy_rule hub[] = {
	    {{0, 0}, {0x0a000002, 32}, POLICY_FORWARD, 2},
	    {{0, 0}, {0x0a000003, 32}, POLICY_FORWARD, 3},
	    {{0, 0}, {0x0a000004, 32}, POLICY_FORWARD, 4},
	};

	policy_init(p);
	if (policy_rederive(p, hub, sizeof(hub) / sizeof(hub[0])) != 0)
		__builtin_trap();
}

static bool write_file(const char *name, const uint8_t *data, size_t size)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char line[2 * POLICY_STAMP_LEN + 32], hex[2 * POLICY_STAMP_LEN + 1];
	bool ok = fd >= 0;

	sodium_bin2hex(hex, sizeof(hex), stamp, sizeof(stamp));
	snprintf(line, sizeof(line), "# subnetra-policy config=%s\n", hex);
	ok = ok && write(fd, line, strlen(line)) == (ssize_t)strlen(line);

	while (ok && size > 0) {
		ssize_t n = write(fd, data, size);

		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0;
		if (ok) {
			data += n;
			size -= (size_t)n;
		}
	}
	if (fd >= 0 && close(fd) < 0)
		ok = false;
	return ok;
}

/* Field by field: struct cidr has padding that memcmp would compare. */
static bool rule_same(const struct policy_rule *a, const struct policy_rule *b)
{
	return a->src.addr == b->src.addr && a->src.prefix == b->src.prefix &&
	       a->dst.addr == b->dst.addr && a->dst.prefix == b->dst.prefix &&
	       a->action == b->action && a->target == b->target;
}

static bool rules_same(const struct policy_rule *a, const struct policy_rule *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!rule_same(&a[i], &b[i]))
			return false;
	return true;
}

static void check_unique(const struct policy_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(!rule_same(&t->rules[i], &t->rules[j]),
				   "rules %zu and %zu are identical", j, i);
}

static void check_round_trip(const struct policy_table *t)
{
	const struct policy_table *u;
	char err[512];
	int rc;

	rc = policy_save(t, tmp_fd, save_path, stamp, err, sizeof(err));
	FUZZ_CHECK(rc == 0, "policy_save: %s", err);
	policy_init(&again);
	rc = policy_load(&again, tmp_fd, save_path, stamp, geteuid(), err, sizeof(err));
	unlink(save_path);
	FUZZ_CHECK(rc == (int)t->n, "reloading the dump gave %d of %zu rules (%s)", rc, t->n,
		   rc < 0 ? err : "-");
	u = policy_active(&again);
	FUZZ_CHECK(u->n == t->n && rules_same(u->rules, t->rules, t->n),
		   "dump round trip changed the table");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/tmp/subnetra-fuzz-policy.%ld", (long)getpid());
	snprintf(save_path, sizeof(save_path), "/tmp/subnetra-fuzz-policy.%ld.save",
		 (long)getpid());
	tmp_fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return tmp_fd < 0 || sodium_init() < 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct policy_table *t0, *t;
	char err[512];
	int rc;

	seed_table(&pol);
	t0 = policy_active(&pol);
	memcpy(&before, t0, sizeof(before));
	if (!write_file(path, data, size)) {
		unlink(path);
		return 0; /* /tmp full or gone: not the code under test */
	}
	err[0] = '\0';
	rc = policy_load(&pol, tmp_fd, path, stamp, geteuid(), err, sizeof(err));
	unlink(path);
	t = policy_active(&pol);

	if (rc < 0) {
		FUZZ_CHECK(t == t0 && memcmp(t, &before, sizeof(before)) == 0,
			   "failed load (%d) changed the table", rc);
		if (rc == -EINVAL)
			FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0,
				   "error does not name the file: %s", err);
		FUZZ_CHECK(rc == -EINVAL || rc == -ENOSPC || rc == -EFBIG || rc == -ENOMEM,
			   "unexpected error %d (%s)", rc, err);
		return 0;
	}
	FUZZ_CHECK(t->n == before.n + (size_t)rc, "returned %d, table grew by %zu", rc,
		   t->n - before.n);
	FUZZ_CHECK(rules_same(t->rules, before.rules, before.n),
		   "existing rules changed");
	/* The derived rules stay the config's; whatever the file brought is added. */
	FUZZ_CHECK(memcmp(t->origin, before.origin, before.n) == 0, "existing origins changed");
	for (size_t i = before.n; i < t->n; i++)
		FUZZ_CHECK(t->origin[i] == POLICY_ORIGIN_ADDED, "loaded rule %zu not added", i);
	check_unique(t);
	check_round_trip(t);
	return 0;
}
