/*
 * The management server's schema: its numbered migrations, compiled into
 * the binary (schema.c), applied in order by store_migrate.
 */
#ifndef SUBNETRA_MGMT_SCHEMA_H
#define SUBNETRA_MGMT_SCHEMA_H

#include <stddef.h>

#include "mgmt/store.h"

extern const struct store_migration schema_migrations[];
extern const size_t schema_migration_count; /* also the version this build writes */

#endif
