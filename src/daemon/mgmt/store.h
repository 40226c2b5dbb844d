/*
 * The device's management state on disk, in the directory its other state
 * files live in (os/linux/statefile.h: atomic saves, trusted reads only):
 *
 *   mgmt-trust        the pinned trust (core/mgmt/trustfile.h)
 *   mgmt-license.json the license envelope accepted last, as received
 *   mgmt-bundle.json  the config bundle envelope accepted last, as received
 *
 * The bundle is saved BEFORE it is applied, and at start-up it is verified
 * again, under the pinned keys, for this instance and this device, like
 * one just fetched: a reboot or a server outage keeps the last good
 * bundle, and a cache file that was edited, replaced by another device's
 * or an older one signed by a retired key is refused (the node then runs
 * on its operator's own whitelist and names until the server answers).
 */
#ifndef SUBNETRA_DAEMON_MGMT_STORE_H
#define SUBNETRA_DAEMON_MGMT_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/mgmt/bundle.h"
#include "core/mgmt/license.h"

#define MGMT_STORE_TRUST   "mgmt-trust"
#define MGMT_STORE_LICENSE "mgmt-license.json"
#define MGMT_STORE_BUNDLE  "mgmt-bundle.json"

/* t as MGMT_STORE_TRUST in dirfd.  0 or -errno (err says why); label names dirfd. */
int mgmt_store_save_trust(int dirfd, const char *label, const struct mgmt_trust *t,
			  char *err, size_t errcap);
/* MGMT_STORE_TRUST into *t: 0, -ENOENT, -EPERM (untrusted file), -EINVAL (not a trust text). */
int mgmt_store_load_trust(int dirfd, const char *label, uid_t owner, struct mgmt_trust *t,
			  char *err, size_t errcap);
/* An envelope as received (name: MGMT_STORE_LICENSE or MGMT_STORE_BUNDLE). */
int mgmt_store_save_envelope(int dirfd, const char *label, const char *name, const char *text,
			     size_t len, char *err, size_t errcap);
/*
 * The cached bundle, verified again (mgmt_bundle_accept against a fresh
 * state, t's keys and instance, device): 0 with *st and *b set as for
 * NEWER; -ENOENT none; -EPERM untrusted file; -EBADMSG refused (err names
 * the verdict); -ENOTCONN t not pinned.  text: MGMT_ENVELOPE_MAX bytes,
 * work: MGMT_WORK_MAX bytes, both the caller's.
 */
int mgmt_store_load_bundle(int dirfd, const char *label, uid_t owner,
			   const struct mgmt_trust *t, const uint8_t device[16], char *text,
			   uint8_t *work, struct mgmt_bundle_state *st, struct mgmt_bundle *b,
			   char *err, size_t errcap);

#endif
