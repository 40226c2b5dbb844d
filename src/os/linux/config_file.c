/*
 * The config file: read at most CONFIG_MAX bytes, never waiting on a FIFO or
 * a device, then parse and validate (core/config.h).  The one place that
 * opens a config, for the daemon (start-up and reload), --check and the
 * tools.
 */
#include "os/linux/config_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "os/linux/safefile.h"

int config_load(struct config *cfg, const char *path, struct config_error *err)
{
	const char *file = path != NULL ? path : "config.json";
	struct stat st;
	char *buf = NULL;
	ssize_t len = 0;
	int fd = -1;
	int rc = -1;

	config_error_reset(err, file);
	/* Never waits: a FIFO or device at the path is refused at once. */
	fd = safefile_open_read(AT_FDCWD, file, true, &st);
	if (fd == -ENOENT && path == NULL) {
		/* Documented fallback; it is deliberately not runnable. */
		config_defaults(cfg);
		rc = config_validate(cfg, file, err);
		if (rc != 0 && err->name != NULL && strcmp(err->name, "InvalidPsk") == 0)
			snprintf(err->detail, sizeof(err->detail),
				 "config.json not found in the working directory, so the "
				 "compiled-in default was used; it has no peers (every link "
				 "needs its own psk)");
		goto out;
	}
	if (fd == -EINVAL) {
		config_error_set(err, "", "FileUnreadable", "%s, not a regular file",
		     safefile_kind(st.st_mode));
		goto out;
	}
	if (fd < 0) {
		config_error_set(err, "", "FileUnreadable", "cannot open: %s", strerror(-fd));
		goto out;
	}
	/* One byte over the cap tells "exactly CONFIG_MAX" from "too large". */
	buf = malloc((size_t)CONFIG_MAX + 1);
	if (buf == NULL) {
		config_error_set(err, "", "OutOfMemory", "cannot allocate %d bytes", CONFIG_MAX + 1);
		goto out;
	}
	len = safefile_read_all(fd, buf, (size_t)CONFIG_MAX + 1);
	if (len < 0) {
		config_error_set(err, "", "FileUnreadable", "cannot read: %s", strerror((int)-len));
		len = 0;
		goto out;
	}
	if (len > CONFIG_MAX) {
		config_error_set(err, "", "FileTooLarge", "larger than %d bytes", CONFIG_MAX);
		goto out;
	}
	rc = config_parse(cfg, file, buf, (size_t)len, err);
	if (rc == 0)
		rc = config_validate(cfg, file, err);
out:
	if (buf != NULL) {
		sodium_memzero(buf, (size_t)len);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		sodium_memzero(cfg, sizeof(*cfg));
	return rc;
}

