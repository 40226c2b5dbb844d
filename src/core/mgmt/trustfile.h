/*
 * A device's trust state (license.h's struct mgmt_trust) as the text of
 * its state file, so that a restart pins what was pinned (docs/
 * management-protocol.md, "Device state"):
 *
 *   subnetra-mgmt-trust 1
 *   fingerprint <32 hex>          the join code's
 *   pinned <0|1>
 *   instance <32 hex>             (zeros until pinned)
 *   license <serial> <64 hex>     version and digest of the license held
 *   key <64 hex>                  one line per pinned signing key, 0..4
 *
 * One spelling (lowercase hex, decimal without leading zeros, '\n' after
 * each line, nothing else), so decode(encode(t)) == t and a file that is
 * not exactly that is refused, never half-read.  Pinned keys are public:
 * nothing here is secret.  Pure.
 */
#ifndef SUBNETRA_MGMT_TRUSTFILE_H
#define SUBNETRA_MGMT_TRUSTFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/mgmt/license.h"

enum { MGMT_TRUSTFILE_MAX = 1024 }; /* the longest text, with room */

/* t as text into out (MGMT_TRUSTFILE_MAX bytes suffice) with a NUL: its length. */
size_t mgmt_trustfile_encode(const struct mgmt_trust *t, char *out, size_t cap);
/* s[0..len) into *t; false (t zeroed) unless it is exactly one such text. */
bool mgmt_trustfile_decode(const char *s, size_t len, struct mgmt_trust *t);

#endif
