/* Loading a config file (see config_file.c). */
#ifndef SUBNETRA_OS_LINUX_CONFIG_FILE_H
#define SUBNETRA_OS_LINUX_CONFIG_FILE_H

#include "core/config.h"

/*
 * Read (at most CONFIG_MAX bytes), parse and validate.  If path is NULL the
 * default "config.json" is used and, when it does not exist, the compiled-in
 * default (which fails validation with InvalidPsk).  A path that cannot be
 * read, or that is not a regular file (a FIFO is refused at once, never
 * waited on), is an error naming the file and why.  0 or -1 (err says why).
 */
int config_load(struct config *cfg, const char *path, struct config_error *err);

#endif
