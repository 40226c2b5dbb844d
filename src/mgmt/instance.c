/* The instance's key, pepper and lock files (see instance.h). */
#include "mgmt/instance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/linux/atomicfile.h"
#include "os/linux/safefile.h"

enum { HEX_MAX = 2 * 64 + 2 }; /* the longest secret file: 64 bytes in hex and '\n' */

static int join(char *out, const char *dir, const char *name)
{
	return snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX ? 0 : -ENAMETOOLONG;
}

int instance_paths_init(struct instance_paths *p, const char *dir, char *err,
			size_t errcap)
{
	memset(p, 0, sizeof *p);
	if (snprintf(p->dir, sizeof p->dir, "%s", dir) >= (int)sizeof p->dir ||
	    join(p->key, dir, "instance.key") < 0 || join(p->pepper, dir, "pepper") < 0 ||
	    join(p->tls_cert, dir, "tls-cert.pem") < 0 ||
	    join(p->tls_key, dir, "tls-key.pem") < 0) {
		snprintf(err, errcap, "%.64s...: state directory path too long", dir);
		return -ENAMETOOLONG;
	}
	return 0;
}

int instance_secret_create(const char *path, size_t len, char *err, size_t errcap)
{
	unsigned char raw[64];
	char hex[HEX_MAX];
	int rc;

	if (len > sizeof raw)
		return -EINVAL;
	if (access(path, F_OK) == 0)
		return -EEXIST;
	randombytes_buf(raw, len);
	sodium_bin2hex(hex, sizeof hex, raw, len);
	hex[2 * len] = '\n';
	rc = atomicfile_save(path, hex, 2 * len + 1, false);
	sodium_memzero(raw, sizeof raw);
	sodium_memzero(hex, sizeof hex);
	if (rc < 0 && rc != -EEXIST)
		snprintf(err, errcap, "%s: cannot create: %s", path, strerror(-rc));
	return rc;
}

int instance_file_read(const char *path, char *buf, size_t cap, int secret, char *err,
		       size_t errcap)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = safefile_open_read(AT_FDCWD, path, true, &st);
	if (fd < 0) {
		if (fd == -EINVAL)
			snprintf(err, errcap, "%s: is %s, not a regular file", path,
				 safefile_kind(st.st_mode));
		else
			snprintf(err, errcap, "%s: %s", path, strerror(-fd));
		return fd;
	}
	if (secret && (st.st_mode & 077) != 0) {
		snprintf(err, errcap,
			 "%s: mode %04o lets others read a secret (chmod 600 %s)", path,
			 (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -EPERM;
	}
	n = safefile_read_all(fd, buf, cap);
	close(fd);
	if (n < 0) {
		snprintf(err, errcap, "%s: read: %s", path, strerror((int)-n));
		return (int)n;
	}
	if ((size_t)n >= cap) {
		sodium_memzero(buf, cap);
		snprintf(err, errcap, "%s: larger than %zu bytes", path, cap - 1);
		return -EFBIG;
	}
	buf[n] = '\0';
	return 0;
}

/* Exactly len bytes in hex and one optional newline. */
static int load_hex(const char *path, unsigned char *out, size_t len, char *err,
		    size_t errcap)
{
	char hex[HEX_MAX + 1];
	size_t n, bin = 0;
	int rc;

	rc = instance_file_read(path, hex, sizeof hex, 1, err, errcap);
	if (rc < 0)
		return rc;
	n = strlen(hex);
	if (n > 0 && hex[n - 1] == '\n')
		n--;
	if (n != 2 * len || sodium_hex2bin(out, len, hex, n, NULL, &bin, NULL) != 0 ||
	    bin != len) {
		snprintf(err, errcap, "%s: want %zu hex digits and a newline", path,
			 2 * len);
		rc = -EINVAL;
	}
	sodium_memzero(hex, sizeof hex);
	return rc;
}

int instance_keys_load(const struct instance_paths *p, struct instance_keys *k, char *err,
		       size_t errcap)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	int rc;

	memset(k, 0, sizeof *k);
	rc = load_hex(p->key, seed, sizeof seed, err, errcap);
	if (rc == 0)
		rc = crypto_sign_seed_keypair(k->pk, k->sk, seed) == 0 ? 0 : -EINVAL;
	sodium_memzero(seed, sizeof seed);
	if (rc == 0)
		rc = load_hex(p->pepper, k->pepper, sizeof k->pepper, err, errcap);
	if (rc < 0)
		instance_keys_wipe(k);
	return rc;
}

void instance_keys_wipe(struct instance_keys *k)
{
	sodium_memzero(k, sizeof *k);
}

void instance_pk_hex(const struct instance_keys *k, char out[INSTANCE_PK_HEX])
{
	sodium_bin2hex(out, INSTANCE_PK_HEX, k->pk, sizeof k->pk);
}

int instance_lock(const char *db, int *fd, char *err, size_t errcap)
{
	char path[PATH_MAX];
	int rc;

	*fd = -1;
	if (snprintf(path, sizeof path, "%s.lock", db) >= (int)sizeof path) {
		snprintf(err, errcap, "%.64s...: path too long", db);
		return -ENAMETOOLONG;
	}
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0) {
		rc = -errno;
		snprintf(err, errcap, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
	if (rc == -EBUSY)
		snprintf(
		    err, errcap,
		    "%s: another subnetra-mgmtd (serve, init or restore) is using %s",
		    path, db);
	else
		snprintf(err, errcap, "%s: lock: %s", path, strerror(-rc));
	close(*fd);
	*fd = -1;
	return rc;
}
