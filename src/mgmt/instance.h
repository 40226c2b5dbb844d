/*
 * An instance's files besides its database, all in its state directory:
 *
 *   instance.key   the Ed25519 signing key (its 32-byte seed, hex), which
 *                  signs license.json and bundles; devices pin its public
 *                  half, so it is created once and never replaced
 *   pepper         32 random bytes (hex), the key of the keyed hashes of
 *                  tokens, sessions and codes
 *   tls-cert.pem   the admin listener's certificate (public) and key,
 *   tls-key.pem    unless the operator gave others at init
 *
 * Secret files are mode 0600, written atomically, never overwritten, and
 * refused on load if anyone but the owner can read them.  Their bytes are
 * wiped (sodium_memzero) on every path.  Also here: the lock file that
 * keeps two writers (a running server and an init or restore) apart.
 * Return convention: 0 or -errno; err (errcap bytes) says why.
 */
#ifndef SUBNETRA_MGMT_INSTANCE_H
#define SUBNETRA_MGMT_INSTANCE_H

#include <limits.h>
#include <stddef.h>

#include <sodium.h>

enum {
	INSTANCE_PEPPER_LEN = 32,
	INSTANCE_PK_HEX = 2 * crypto_sign_PUBLICKEYBYTES + 1,
};

struct instance_paths {
	char dir[PATH_MAX];
	char key[PATH_MAX];
	char pepper[PATH_MAX];
	char tls_cert[PATH_MAX];
	char tls_key[PATH_MAX];
};

struct instance_keys {
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char pepper[INSTANCE_PEPPER_LEN];
};

/* The file names under dir (which is not created here). */
int instance_paths_init(struct instance_paths *p, const char *dir, char *err,
			size_t errcap);

/*
 * A new file of len random bytes (hex, one line) at path, unless one
 * exists: -EEXIST, and the file is left as it is.
 */
int instance_secret_create(const char *path, size_t len, char *err, size_t errcap);

/* The instance key and pepper, checked (mode, length, hex). */
int instance_keys_load(const struct instance_paths *p, struct instance_keys *k, char *err,
		       size_t errcap);
void instance_keys_wipe(struct instance_keys *k);
void instance_pk_hex(const struct instance_keys *k, char out[INSTANCE_PK_HEX]);

/*
 * Read the whole file at path (at most cap - 1 bytes, NUL added) into buf;
 * secret: refuse it if group or others may read it.
 */
int instance_file_read(const char *path, char *buf, size_t cap, int secret, char *err,
		       size_t errcap);

/*
 * An exclusive lock on "<db>.lock", held while the fd stays open: -EBUSY
 * when another subnetra-mgmtd (a server, an init or a restore) holds it.
 * *fd is -1 on failure.
 */
int instance_lock(const char *db, int *fd, char *err, size_t errcap);

#endif
