/*
 * Link-local multicast for LAN discovery: the interfaces beacons go out
 * on, one socket per family bound to a group's port, joined per interface,
 * sending on a chosen interface and receiving with the interface a
 * datagram came in on.  The groups are the caller's (core/mesh/beacon.h);
 * TTL / hop limit 1, multicast loop off, so a node never hears itself
 * through the kernel.  Sockets are made at start-up; mcast_join (setsockopt),
 * mcast_send and mcast_recv (sendmsg / recvmsg) also run later (the seccomp
 * list has all three).
 */
#ifndef SUBNETRA_OS_LINUX_MCAST_H
#define SUBNETRA_OS_LINUX_MCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "os/linux/netwatch.h"
#include "os/linux/tun.h"
#include "os/linux/udp.h"

struct mcast_iface {
	unsigned ifindex;
	char name[TUN_NAME_MAX];
};

/*
 * The up, multicast-capable interfaces of a scan (netwatch.h) that are
 * neither loopback nor point-to-point (TUN devices, other overlays),
 * except `skip` (our TUN).  Returns how many were written (at most cap).
 */
size_t mcast_ifaces(const struct netwatch_scan *s, struct mcast_iface *out, size_t cap,
		    const char *skip);

/*
 * A non-blocking socket of family AF_INET or AF_INET6 bound to the
 * wildcard address and port (SO_REUSEADDR: another discovery daemon may
 * share the port), loop off, TTL / hop limit 1, and asking for the
 * arrival interface of each datagram.  fd or -errno.
 */
int mcast_open(int family, uint16_t port);
/* Join group (text, of the socket's family) on ifindex.  0 or -errno. */
int mcast_join(int fd, int family, const char *group, unsigned ifindex);
/* One datagram to group:port out of ifindex.  0 or -errno. */
int mcast_send(int fd, int family, const char *group, uint16_t port, unsigned ifindex,
	       const uint8_t *buf, size_t len);
/*
 * One datagram: its length (0: none pending), or -errno.  *from gets the
 * source (v6: sin6_scope_id set for a link-local source), *ifindex the
 * interface it arrived on (0 if unknown).
 */
ssize_t mcast_recv(int fd, uint8_t *buf, size_t cap, union udp_addr *from,
		   socklen_t *from_len, unsigned *ifindex);

#endif
