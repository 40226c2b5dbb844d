/*
 * Web sessions.  A session id is 32 random bytes, given to the browser as
 * 64 hex digits (its cookie) and stored only as its peppered hash
 * (secret.h, kind "subnetra/session"), so the database alone signs no one
 * in.  Each session has a CSRF token (32 random bytes, 64 hex digits) that
 * every form post must echo.  A session ends after 12 hours unused (idle)
 * or 7 days after sign-in (absolute), whichever comes first; a disabled
 * account's sessions are gone (model_account.c deletes them).  Using a
 * session refreshes its last use: bookkeeping, not an audited change.
 */
#ifndef SUBNETRA_MGMT_MODEL_SESSION_H
#define SUBNETRA_MGMT_MODEL_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mgmt/secret.h"
#include "mgmt/model.h"
#include "mgmt/model_account.h"

enum {
	MODEL_SESSION_ID_LEN = 32,
	MODEL_SESSION_TEXT = 2 * MODEL_SESSION_ID_LEN + 1, /* hex and NUL */
	MODEL_CSRF_LEN = 32,
	MODEL_SESSION_IDLE_S = 12 * 3600,
	MODEL_SESSION_ABSOLUTE_S = 7 * 24 * 3600,
};

/* A new session for account_id (audited "session.create"); id and csrf as hex. */
int model_session_create(const struct model_op *op, int64_t account_id, const char *agent,
			 char id_text[MODEL_SESSION_TEXT], char csrf_text[MODEL_SESSION_TEXT]);

struct model_session {
	int64_t account_id;
	enum model_role role; /* the account's, read with the session */
	char csrf[MODEL_SESSION_TEXT];
	uint8_t id_hash[MGMT_SECRET_HASH_LEN]; /* as stored: the session's key */
};

/*
 * The live session whose id is id_text: 0 (last use refreshed when a
 * minute old, MODEL_TOUCH_S), -ENOENT when unknown, expired (then
 * deleted) or of a disabled account, another -errno when the database
 * failed.
 */
int model_session_check(struct store *s, const uint8_t *pepper, int64_t now_ms,
			const char *id_text, struct model_session *out);
/* Constant time: whether a form's token is the session's. */
bool model_session_csrf_ok(const struct model_session *ses, const char *token);
/* Sign out (audited "session.end"); -ENOENT when no such session. */
int model_session_end(const struct model_op *op, const char *id_text);

#endif
