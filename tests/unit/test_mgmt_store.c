/*
 * agent/store.c: the device's management state files in a fresh
 * directory, named "node2.<kind>".  The trust saves and loads back equal; a cached bundle sealed
 * by the pinned key for this device loads as NEWER with its version; the
 * same file is refused when it is another device's, another instance's,
 * signed by an unpinned key, edited, world-writable, or when nothing is
 * pinned; a missing file is -ENOENT; a bad trust file is -EINVAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "agent/store.h"
#include "tests/unit/mgmt_fixture.h"

static char dir[] = "/tmp/mgmt-client-store-XXXXXX";
static int dirfd = -1;
static struct mgmt_store store;
static char text[MGMT_ENVELOPE_MAX], payload[MGMT_PAYLOAD_MAX];
static uint8_t work[MGMT_WORK_MAX];
static struct mgmt_bundle bundle, got;

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -1;
	return mgmt_store_init(&store, dirfd, dir, "node2", getuid());
}

static int teardown(void **state)
{
	static const char *const names[] = { "node2." MGMT_STORE_TRUST,
					     "node2." MGMT_STORE_BUNDLE };

	(void)state;
	for (size_t i = 0; i < 2; i++)
		unlinkat(dirfd, names[i], 0);
	close(dirfd);
	rmdir(dir);
	return 0;
}

static void pinned(struct mgmt_trust *t, const struct fix_signer *s)
{
	uint8_t fpr[MGMT_FPR_LEN];

	mgmt_key_fingerprint(s->pk, fpr);
	mgmt_trust_init(t, fpr);
	t->pinned = true;
	fix_instance(t->instance, 1);
	t->license.serial = 7;
	assert_int_equal(fix_pin(&t->keys, s), 0);
}

/* bundle (fix_bundle's, epoch 1 serial 5) sealed by s as the cache file. */
static void cache(const struct fix_signer *s)
{
	size_t n = mgmt_bundle_encode(&bundle, payload, sizeof(payload));
	char err[256];

	assert_int_not_equal(n, 0);
	n = fix_seal(MGMT_DOMAIN_CONFIG, payload, n, s, text, sizeof(text));
	assert_int_not_equal(n, 0);
	assert_int_equal(mgmt_store_save_envelope(&store, MGMT_STORE_BUNDLE, text, n, err,
						  sizeof(err)),
			 0);
}

static int load(const struct mgmt_trust *t, const uint8_t dev[16], char *err, size_t cap)
{
	struct mgmt_bundle_state st;
	int rc = mgmt_store_load_bundle(&store, t, dev, text, work, &st, &got,
					err, cap);

	if (rc == 0) {
		assert_true(st.have);
		assert_int_equal(st.applied.epoch, 1);
		assert_int_equal(st.applied.serial, 5);
	}
	return rc;
}

static void test_init(void **state)
{
	struct mgmt_store s;
	char longname[200];

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(mgmt_store_init(&s, dirfd, dir, longname, 0), -ENAMETOOLONG);
	assert_int_equal(mgmt_store_init(&s, dirfd, dir, "a/b", 0), -ENAMETOOLONG);
	assert_int_equal(mgmt_store_init(&s, dirfd, dir, "", 0), -ENAMETOOLONG);
}

static void test_trust(void **state)
{
	struct fix_signer k1;
	struct mgmt_trust t, back;
	char err[256];

	(void)state;
	fix_signer(&k1, 1);
	assert_int_equal(mgmt_store_load_trust(&store, &back, err, sizeof(err)),
			 -ENOENT);
	pinned(&t, &k1);
	assert_int_equal(mgmt_store_save_trust(&store, &t, err, sizeof(err)), 0);
	assert_int_equal(mgmt_store_load_trust(&store, &back, err, sizeof(err)), 0);
	assert_memory_equal(&t, &back, sizeof(t));
	assert_int_equal(mgmt_store_save_envelope(&store, MGMT_STORE_TRUST, "x\n", 2, err,
						  sizeof(err)),
			 0);
	assert_int_equal(mgmt_store_load_trust(&store, &back, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not a trust file"));
}

static void test_bundle(void **state)
{
	struct fix_signer k1, k2;
	struct mgmt_trust t, fresh;
	uint8_t dev[16], other[16];
	char err[256];

	(void)state;
	fix_signer(&k1, 1);
	fix_signer(&k2, 2);
	pinned(&t, &k1);
	fix_bundle(&bundle, 1, 5, 3);
	memcpy(dev, bundle.device, 16);
	memcpy(other, dev, 16);
	other[15] ^= 1;
	assert_int_equal(load(&t, dev, err, sizeof(err)), -ENOENT);
	cache(&k1);
	assert_int_equal(load(&t, dev, err, sizeof(err)), 0);
	assert_int_equal(got.n_peers, 3);
	assert_string_equal(got.peers[2].names.hostname, "peer-3");
	/* another device's view of the same file */
	assert_int_equal(load(&t, other, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "other_device"));
	/* another instance pinned */
	t.instance[0] ^= 1;
	assert_int_equal(load(&t, dev, err, sizeof(err)), -EBADMSG);
	t.instance[0] ^= 1;
	/* nothing pinned yet */
	mgmt_trust_init(&fresh, t.fingerprint);
	assert_int_equal(load(&fresh, dev, err, sizeof(err)), -ENOTCONN);
	/* signed by a key that is not pinned */
	cache(&k2);
	assert_int_equal(load(&t, dev, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "envelope"));
	/* edited: one payload character changed */
	cache(&k1);
	{
		size_t n = strlen(text);
		char *p = strstr(text, "\"payload\":\"") + 20;

		*p = *p == 'A' ? 'B' : 'A';
		assert_int_equal(mgmt_store_save_envelope(&store, MGMT_STORE_BUNDLE, text, n,
							  err, sizeof(err)),
				 0);
	}
	assert_int_equal(load(&t, dev, err, sizeof(err)), -EBADMSG);
	/* world-writable: not trusted, not read */
	cache(&k1);
	assert_int_equal(fchmodat(dirfd, "node2." MGMT_STORE_BUNDLE, 0666, 0), 0);
	assert_int_equal(load(&t, dev, err, sizeof(err)), -EPERM);
	cache(&k1);
	assert_int_equal(load(&t, dev, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_trust),
		cmocka_unit_test(test_bundle),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("mgmt_store", tests, setup, teardown);
}
