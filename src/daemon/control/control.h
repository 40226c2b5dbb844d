/*
 * The control socket server: AF_UNIX datagrams carrying the ctlproto grammar.
 * Malformed commands are ignored silently; replies go only to addressable
 * clients, never block, and are dropped if the client's buffer is full.
 */
#ifndef SUBNETRA_CONTROL_H
#define SUBNETRA_CONTROL_H

struct control_server;
struct daemon;

/* The server's buffers, owned by the daemon context (d->ctl).  NULL: out of memory. */
struct control_server *control_server_new(void);
void control_server_free(struct control_server *ctl);

/*
 * Open the control socket's directory as d->sock_dirfd (privdir.h; every later access
 * to the socket and the policy snapshot is relative to it), creating it and
 * any missing level above it (d->sock_dir_created says whether it was);
 * only a directory created here is handed over to d->uid.  0 or -errno:
 * -EPERM when a level would be created where another user could replace it
 * (one line says why), -ELOOP for a symbolic link root does not own.
 */
int control_open_dir(struct daemon *d);
/*
 * Bind the socket in that directory, mode 0600 from creation and owned by
 * d->uid when set (created with that user's file-system ids where the user
 * can write the directory, else chowned without following a link).
 * Refuses to replace a live instance's socket or anything that is not a
 * socket (a file, a link, a FIFO: -EEXIST); removes a stale socket.
 * Returns the fd or -errno (-EADDRINUSE: another daemon).
 */
int control_open(struct daemon *d);
/* Handle up to MAX_CMDS_PER_TICK datagrams. */
void control_handle(struct daemon *d);
/* Remove the socket (on shutdown), relative to its directory. */
void control_close(struct daemon *d);

#endif
