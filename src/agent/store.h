/*
 * The device's management state on disk, in the directory its other state
 * files live in (os/linux/statefile.h: atomic saves, trusted reads only):
 *
 *   <stem>.mgmt-trust        the pinned trust (core/mgmt/trustfile.h)
 *   <stem>.mgmt-license.json the license envelope accepted last, as received
 *   <stem>.mgmt-bundle.json  the config bundle envelope accepted last, as received
 *
 * with the stem named after the control socket as the whitelist's file is
 * (docs/mesh.md), so that two nodes can share one state directory.
 *
 * The bundle is saved BEFORE it is applied, and at start-up it is verified
 * again, under the pinned keys, for this instance and this device, like
 * one just fetched: a reboot or a server outage keeps the last good
 * bundle, and a cache file that was edited, replaced by another device's
 * or an older one signed by a retired key is refused (the node then runs
 * on its operator's own whitelist and names until the server answers).
 */
#ifndef SUBNETRA_AGENT_STORE_H
#define SUBNETRA_AGENT_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/mgmt/bundle.h"
#include "core/mgmt/license.h"

/* File kinds; a file is "<stem>.<kind>" (the stem: the control socket's name without .sock). */
#define MGMT_STORE_TRUST   "mgmt-trust"
#define MGMT_STORE_LICENSE "mgmt-license.json"
#define MGMT_STORE_BUNDLE  "mgmt-bundle.json"

enum { MGMT_STORE_NAME_MAX = 96, MGMT_STORE_LABEL_MAX = 4096 };

/* Where the files are: a directory open as dirfd (label: its path, for messages). */
struct mgmt_store {
	int dirfd;
	uid_t owner; /* the daemon's user: who may own a trusted file (or root) */
	char label[MGMT_STORE_LABEL_MAX];
	char stem[MGMT_STORE_NAME_MAX - 24];
};

/* 0, or -ENAMETOOLONG (stem or label too long). */
int mgmt_store_init(struct mgmt_store *s, int dirfd, const char *label, const char *stem,
		    uid_t owner);
/* t as the trust file.  0 or -errno (err says why). */
int mgmt_store_save_trust(const struct mgmt_store *s, const struct mgmt_trust *t, char *err,
			  size_t errcap);
/* The trust file into *t: 0, -ENOENT, -EPERM (untrusted file), -EINVAL (not a trust text). */
int mgmt_store_load_trust(const struct mgmt_store *s, struct mgmt_trust *t, char *err,
			  size_t errcap);
/* An envelope as received (kind: MGMT_STORE_LICENSE or MGMT_STORE_BUNDLE). */
int mgmt_store_save_envelope(const struct mgmt_store *s, const char *kind, const char *text,
			     size_t len, char *err, size_t errcap);
/*
 * The cached bundle, verified again (mgmt_bundle_accept against a fresh
 * state, t's keys and instance, device): 0 with *st and *b set as for
 * NEWER; -ENOENT none; -EPERM untrusted file; -EBADMSG refused (err names
 * the verdict); -ENOTCONN t not pinned.  text: MGMT_ENVELOPE_MAX bytes,
 * work: MGMT_WORK_MAX bytes, both the caller's.
 */
int mgmt_store_load_bundle(const struct mgmt_store *s, const struct mgmt_trust *t,
			   const uint8_t device[16], char *text, uint8_t *work,
			   struct mgmt_bundle_state *st, struct mgmt_bundle *b, char *err,
			   size_t errcap);
/*
 * The cached license, verified again under t's pinned keys and instance
 * (its validity window not checked: it was when the license was
 * accepted; this copy only names the servers until the next fetch): 0
 * with *l set; the other returns as mgmt_store_load_bundle's.  t is not
 * changed.
 */
int mgmt_store_load_license(const struct mgmt_store *s, const struct mgmt_trust *t, char *text,
			    uint8_t *work, struct mgmt_license *l, char *err, size_t errcap);

#endif
