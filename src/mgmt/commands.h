/*
 * The subcommands of subnetra-mgmtd, each given the parsed command line
 * (main.c parses it once, with the options each command accepts) and
 * returning an exit code (enum mgmt_exit).
 */
#ifndef SUBNETRA_MGMT_COMMANDS_H
#define SUBNETRA_MGMT_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "mgmt/tlscert.h"

struct mgmt_args {
	const char *db;
	const char *admin;
	const char *dir;
	const char *tls_cert;
	const char *tls_key;
	const char *hosts[TLSCERT_NAMES_MAX];
	size_t n_hosts;
	const char *out;
	const char *from;
	const char *to;
	const char *admin_listen;
	const char *device_listen;
	unsigned conn_limit;
	bool force;
	bool json;
	/* settings */
	bool show;
	const char *name;
	const char *bases[8]; /* MGMT_SERVERS_MAX */
	size_t n_bases;
	const char *mgmt_address;
	const char *dashboard_url;
	unsigned valid_days; /* 0: unchanged */
};

int cmd_init(const struct mgmt_args *a);
int cmd_serve(const struct mgmt_args *a);
int cmd_backup(const struct mgmt_args *a);
int cmd_restore(const struct mgmt_args *a);
int cmd_status(const struct mgmt_args *a);
int cmd_settings(const struct mgmt_args *a);
int cmd_migrate(const struct mgmt_args *a);

#endif
