/* Accounts (see accounts.h). */
#include "mgmt/accounts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool account_email_valid(const char *email)
{
	const char *at = strchr(email, '@');
	size_t n = strlen(email);

	if (n == 0 || n > ACCOUNT_EMAIL_MAX || at == NULL || at == email ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	for (const char *p = email; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f)
			return false;
	return true;
}

int account_create(struct store *s, const char *email, const char *role,
		   const char *pw_hash, bool must_change, int64_t now, int64_t *id)
{
	const struct store_arg args[] = {STORE_TEXT(email), STORE_TEXT(role),
					 STORE_TEXT(pw_hash), STORE_I64(must_change),
					 STORE_I64(now)};
	struct store_stmt *st;
	int rc;

	rc = store_prepare_args(
	    s,
	    "INSERT INTO accounts(email, role, pw_hash, pw_must_change, "
	    "created_at) VALUES(?, ?, ?, ?, ?) RETURNING id",
	    args, 5, &st);
	if (rc < 0)
		return rc;
	rc = store_step(st);
	if (rc == STORE_ROW) {
		*id = store_col_i64(st, 0);
		rc = 0;
	} else if (rc == STORE_DONE) {
		rc = -EIO;
	}
	store_finalize(st);
	return rc;
}
