/*
 * Operator accounts in the model: create (with its audit row), password
 * check (argon2id, crypto_pwhash_str_verify, against the stored string),
 * disable, role change.  A disabled account's sessions are ended with it
 * and its tokens stop working (model_session.c and model_token.c look at
 * the flag on every use).  Passwords never reach the audit log.
 */
#ifndef SUBNETRA_MGMT_MODEL_ACCOUNT_H
#define SUBNETRA_MGMT_MODEL_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "mgmt/model.h"

enum model_role { MODEL_ROLE_ADMIN, MODEL_ROLE_MEMBER };

const char *model_role_name(enum model_role r);
/* The role a stored name says ("admin"; anything else: member). */
enum model_role model_role_parse(const char *name);

/*
 * pw_hash: a crypto_pwhash_str string (NULL: cannot sign in until set).
 * -EINVAL for an implausible address, -EEXIST for a taken one.
 */
int model_account_create(const struct model_op *op, const char *email, enum model_role role,
			 const char *pw_hash, int64_t *id);

struct model_account {
	int64_t id;
	enum model_role role;
	bool disabled, must_change;
	char email[256];
};

/*
 * The account of this address (any letter case) if password is its
 * password and it is not disabled: 0; -EACCES otherwise (one answer for
 * "no such account", "wrong password" and "disabled": nothing to probe).
 */
int model_account_check_password(struct store *s, const char *email, const char *password,
				 struct model_account *out);
/*
 * The same check in two steps around the argon2id verification, which the
 * server runs in a worker thread (pwpool.h): the hash to verify the
 * password against (the account's, or the decoy for an unknown address
 * or one with no password: the same work either way), then, with whether
 * it verified, the account as model_account_check_password answers -- and
 * -EACCES too when the account's hash is no longer that one (the
 * password changed meanwhile).
 */
int model_account_login_hash(struct store *s, const char *email,
			     char hash[crypto_pwhash_STRBYTES]);
int model_account_login_finish(struct store *s, const char *email,
			       const char hash[crypto_pwhash_STRBYTES], bool verified,
			       struct model_account *out);
int model_account_get(struct store *s, int64_t id, struct model_account *out);
/* Disable (and end its sessions) or enable again; -ENOENT if no such account. */
int model_account_set_disabled(const struct model_op *op, int64_t id, bool disabled);
int model_account_set_role(const struct model_op *op, int64_t id, enum model_role role);
/*
 * A new password (a crypto_pwhash_str string): no longer a must-change
 * one.  Every session of the account ends but keep_session (the hash of
 * the session making the change, MGMT_SECRET_HASH_LEN bytes; NULL: all
 * end), so a stolen session does not outlive the password it came with.
 */
int model_account_set_password(const struct model_op *op, int64_t id, const char *pw_hash,
			       const uint8_t *keep_session);

/* Accounts with id > after_id, ascending, at most limit (1..MODEL_PAGE_MAX). */
int model_account_list(struct store *s, int64_t after_id, size_t limit,
		       struct model_account *rows, size_t *n);

#endif
