/* The device's management state files (store.h). */
#include "daemon/mgmt/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/mgmt/trustfile.h"
#include "os/linux/statefile.h"

/* "<dir>/<name>" for messages */
static void path_of(char *out, size_t cap, const char *label, const char *name)
{
	snprintf(out, cap, "%s/%s", label, name);
}

int mgmt_store_save_trust(int dirfd, const char *label, const struct mgmt_trust *t,
			  char *err, size_t errcap)
{
	char text[MGMT_TRUSTFILE_MAX];
	size_t n = mgmt_trustfile_encode(t, text, sizeof(text));

	return mgmt_store_save_envelope(dirfd, label, MGMT_STORE_TRUST, text, n, err, errcap);
}

int mgmt_store_load_trust(int dirfd, const char *label, uid_t owner, struct mgmt_trust *t,
			  char *err, size_t errcap)
{
	char text[MGMT_TRUSTFILE_MAX], path[512];
	size_t n = 0;
	int rc;

	path_of(path, sizeof(path), label, MGMT_STORE_TRUST);
	rc = statefile_read(dirfd, MGMT_STORE_TRUST, path, owner, text, sizeof(text), &n, err,
			    errcap);
	if (rc == -EFBIG || (rc == 0 && !mgmt_trustfile_decode(text, n, t))) {
		statefile_why(err, errcap, "%s: not a trust file", path);
		return -EINVAL;
	}
	return rc;
}

int mgmt_store_save_envelope(int dirfd, const char *label, const char *name, const char *text,
			     size_t len, char *err, size_t errcap)
{
	char path[512];

	path_of(path, sizeof(path), label, name);
	if (len == 0) {
		statefile_why(err, errcap, "%s: nothing to save", path);
		return -EINVAL;
	}
	return statefile_save(dirfd, name, path, text, len, err, errcap);
}

int mgmt_store_load_bundle(int dirfd, const char *label, uid_t owner,
			   const struct mgmt_trust *t, const uint8_t device[16], char *text,
			   uint8_t *work, struct mgmt_bundle_state *st, struct mgmt_bundle *b,
			   char *err, size_t errcap)
{
	enum mgmt_bundle_verdict v;
	char path[512];
	size_t n = 0;
	int rc;

	path_of(path, sizeof(path), label, MGMT_STORE_BUNDLE);
	if (!t->pinned) {
		statefile_why(err, errcap, "%s: no license accepted yet", path);
		return -ENOTCONN;
	}
	rc = statefile_read(dirfd, MGMT_STORE_BUNDLE, path, owner, text, MGMT_ENVELOPE_MAX, &n,
			    err, errcap);
	if (rc < 0)
		return rc;
	memset(st, 0, sizeof(*st));
	v = mgmt_bundle_accept(st, &t->keys, t->instance, device, text, n, work, MGMT_WORK_MAX,
			       b, NULL, NULL);
	if (v != MGMT_BUNDLE_NEWER) {
		statefile_why(err, errcap, "%s: refused (%s)", path, mgmt_bundle_verdict_name(v));
		return -EBADMSG;
	}
	return 0;
}
