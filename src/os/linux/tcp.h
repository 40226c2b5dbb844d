/*
 * TCP sockets for the mesh's TCP fallback (docs/mesh.md "TCP fallback"):
 * a base's non-blocking dual-stack listener, and a node's non-blocking
 * connect to a base.  Frames on either are `u16 BE length ‖ frame`
 * (core/mesh/msg.h, msg_stream).
 */
#ifndef SUBNETRA_OS_LINUX_TCP_H
#define SUBNETRA_OS_LINUX_TCP_H

#include <stdint.h>
#include <sys/socket.h>

#include "os/linux/udp.h"

/* A non-blocking listener on [::]:port (v4-mapped IPv4 too).  fd or -errno. */
int tcp_listen6(uint16_t port, int backlog);
/*
 * A non-blocking connect to `to` (AF_INET6, v4-mapped for IPv4) with
 * TCP_NODELAY and TCP_USER_TIMEOUT user_timeout_ms.  fd (the connect may
 * still be in progress: wait for EPOLLOUT, then tcp_connect_result), or
 * -errno.
 */
int tcp_connect6(const union udp_addr *to, socklen_t to_len, unsigned user_timeout_ms);
/* After EPOLLOUT on a connecting socket: 0 connected, or -errno. */
int tcp_connect_result(int fd);

#endif
