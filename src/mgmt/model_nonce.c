/* Device request nonces in the database (see model_nonce.h). */
#include "mgmt/model_nonce.h"

#include <errno.h>

#include "mgmt/model_sql.h"

int model_nonce_record(struct store *s, const uint8_t pk[MGMT_PK_LEN],
		       const uint8_t nonce[MGMT_NONCE_LEN], int64_t time_ms)
{
	const struct store_arg args[] = {STORE_BLOB(pk, MGMT_PK_LEN),
					 STORE_BLOB(nonce, MGMT_NONCE_LEN), STORE_I64(time_ms)};
	int64_t one;
	/* A conflict inserts nothing and returns no row: someone had it. */
	int rc = model_query_i64(s,
				 "INSERT INTO device_nonces(pubkey, nonce, time_ms) VALUES(?, ?, ?) "
				 "ON CONFLICT DO NOTHING RETURNING 1",
				 args, 3, &one);

	return rc == -ENOENT ? -EEXIST : rc;
}

int model_nonce_prune(struct store *s, int64_t now_ms)
{
	const struct store_arg args[] = {STORE_I64(now_ms - MGMT_NONCE_TTL_MS)};

	return store_exec_args(s, "DELETE FROM device_nonces WHERE time_ms < ?", args, 1);
}
