/* Operator accounts: the row `init` writes (model_account.h builds on it). */
#ifndef SUBNETRA_MGMT_ACCOUNTS_H
#define SUBNETRA_MGMT_ACCOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "mgmt/store.h"

enum {
	ACCOUNT_EMAIL_MAX = 254, /* RFC 5321's path limit */
};

/* A plausible address: one '@' with text on both sides, printable, no spaces. */
bool account_email_valid(const char *email);

/*
 * A new account; pw_hash is a crypto_pwhash_str string.  *id: its row id.
 * -EEXIST if the address is taken (in any letter case).
 */
int account_create(struct store *s, const char *email, const char *role,
		   const char *pw_hash, bool must_change, int64_t now, int64_t *id);

#endif
