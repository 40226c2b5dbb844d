/*
 * `subnetra-mgmtd serve`: start-up, the reactor, shutdown.
 *
 * Start-up order: lock the database (one server per database), open it and
 * migrate (a copy is kept first), read the instance's settings from meta,
 * load and check the keys against it, read the TLS files, bind both
 * listeners, then loop.  Any failure before the loop exits with a message
 * naming the file or field.
 *
 * One epoll set owns everything: a signalfd (SIGTERM, SIGINT: a clean
 * stop) and the epoll fd of each libmicrohttpd daemon, which runs in
 * external-epoll mode (no thread of its own): MHD_run when its fd is
 * readable, and when the timeout MHD_get_timeout asks for runs out.
 */
#ifndef SUBNETRA_MGMT_SERVER_H
#define SUBNETRA_MGMT_SERVER_H

#include "mgmt/mgmtd.h"

/* Run until a signal; returns an exit code (enum mgmt_exit). cfg->db is set. */
int server_run(const struct mgmtd_config *cfg);

#endif
