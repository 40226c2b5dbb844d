/*
 * The instance's settings in the meta table (key -> text): what `init`
 * decided and `serve` needs, so that `serve --db PATH` alone finds the rest.
 */
#ifndef SUBNETRA_MGMT_META_H
#define SUBNETRA_MGMT_META_H

#include <stddef.h>

#include "mgmt/store.h"

#define META_INSTANCE_PK "instance_pubkey" /* the instance key's public half, hex */
#define META_STATE_DIR	 "state_dir"	   /* where instance.key and pepper are */
#define META_TLS_CERT	 "tls_cert"	   /* the admin listener's certificate file */
#define META_TLS_KEY	 "tls_key"	   /* and its key file */
#define META_CREATED_AT	 "created_at"	   /* unix seconds */

/* The value of key into out (cap bytes): 0, -ENOENT, -ENOSPC, or a store error. */
int meta_get(struct store *s, const char *key, char *out, size_t cap);
/* Insert or replace. */
int meta_set(struct store *s, const char *key, const char *value);

#endif
