/* The device's management state files (store.h). */
#include "agent/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/mgmt/trustfile.h"
#include "os/linux/statefile.h"

int mgmt_store_init(struct mgmt_store *s, int dirfd, const char *label, const char *stem,
		    uid_t owner)
{
	memset(s, 0, sizeof(*s));
	s->dirfd = dirfd;
	s->owner = owner;
	if (strlen(label) >= sizeof(s->label) || strlen(stem) >= sizeof(s->stem) ||
	    stem[0] == '\0' || strchr(stem, '/') != NULL)
		return -ENAMETOOLONG;
	strcpy(s->label, label);
	strcpy(s->stem, stem);
	return 0;
}

/* The file's name in the directory and its full path for messages. */
static void names(const struct mgmt_store *s, const char *kind, char name[MGMT_STORE_NAME_MAX],
		  char path[MGMT_STORE_LABEL_MAX + MGMT_STORE_NAME_MAX])
{
	snprintf(name, MGMT_STORE_NAME_MAX, "%s.%s", s->stem, kind);
	snprintf(path, MGMT_STORE_LABEL_MAX + MGMT_STORE_NAME_MAX, "%s/%s", s->label, name);
}

int mgmt_store_save_trust(const struct mgmt_store *s, const struct mgmt_trust *t, char *err,
			  size_t errcap)
{
	char text[MGMT_TRUSTFILE_MAX];
	size_t n = mgmt_trustfile_encode(t, text, sizeof(text));

	return mgmt_store_save_envelope(s, MGMT_STORE_TRUST, text, n, err, errcap);
}

int mgmt_store_load_trust(const struct mgmt_store *s, struct mgmt_trust *t, char *err,
			  size_t errcap)
{
	char text[MGMT_TRUSTFILE_MAX], name[MGMT_STORE_NAME_MAX];
	char path[MGMT_STORE_LABEL_MAX + MGMT_STORE_NAME_MAX];
	size_t n = 0;
	int rc;

	names(s, MGMT_STORE_TRUST, name, path);
	rc = statefile_read(s->dirfd, name, path, s->owner, text, sizeof(text), &n, err, errcap);
	if (rc == -EFBIG || (rc == 0 && !mgmt_trustfile_decode(text, n, t))) {
		statefile_why(err, errcap, "%s: not a trust file", path);
		return -EINVAL;
	}
	return rc;
}

int mgmt_store_save_envelope(const struct mgmt_store *s, const char *kind, const char *text,
			     size_t len, char *err, size_t errcap)
{
	char name[MGMT_STORE_NAME_MAX], path[MGMT_STORE_LABEL_MAX + MGMT_STORE_NAME_MAX];

	names(s, kind, name, path);
	if (len == 0) {
		statefile_why(err, errcap, "%s: nothing to save", path);
		return -EINVAL;
	}
	return statefile_save(s->dirfd, name, path, text, len, err, errcap);
}

/* The envelope of kind into text (MGMT_ENVELOPE_MAX), once t is pinned; path for messages. */
static int read_pinned(const struct mgmt_store *s, const struct mgmt_trust *t, const char *kind,
		       char *text, size_t *n, char path[MGMT_STORE_LABEL_MAX + MGMT_STORE_NAME_MAX],
		       char *err, size_t errcap)
{
	char name[MGMT_STORE_NAME_MAX];

	names(s, kind, name, path);
	if (!t->pinned) {
		statefile_why(err, errcap, "%s: no license accepted yet", path);
		return -ENOTCONN;
	}
	return statefile_read(s->dirfd, name, path, s->owner, text, MGMT_ENVELOPE_MAX, n, err,
			      errcap);
}

int mgmt_store_load_bundle(const struct mgmt_store *s, const struct mgmt_trust *t,
			   const uint8_t device[16], char *text, uint8_t *work,
			   struct mgmt_bundle_state *st, struct mgmt_bundle *b, char *err,
			   size_t errcap)
{
	char path[MGMT_STORE_LABEL_MAX + MGMT_STORE_NAME_MAX];
	enum mgmt_bundle_verdict v;
	size_t n = 0;
	int rc = read_pinned(s, t, MGMT_STORE_BUNDLE, text, &n, path, err, errcap);

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

int mgmt_store_load_license(const struct mgmt_store *s, const struct mgmt_trust *t, char *text,
			    uint8_t *work, struct mgmt_license *l, char *err, size_t errcap)
{
	char path[MGMT_STORE_LABEL_MAX + MGMT_STORE_NAME_MAX];
	struct mgmt_trust copy;
	enum mgmt_license_verdict v;
	size_t n = 0;
	int rc = read_pinned(s, t, MGMT_STORE_LICENSE, text, &n, path, err, errcap);

	if (rc < 0)
		return rc;
	copy = *t;
	v = mgmt_license_accept(&copy, text, n, 0, false, work, MGMT_WORK_MAX, l, NULL);
	sodium_memzero(&copy, sizeof(copy));
	if (v != MGMT_LICENSE_SAME && v != MGMT_LICENSE_NEWER) {
		statefile_why(err, errcap, "%s: refused (%s)", path, mgmt_license_verdict_name(v));
		return -EBADMSG;
	}
	return 0;
}
