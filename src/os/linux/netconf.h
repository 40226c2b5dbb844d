/*
 * The host's network through rtnetlink (messages from rtnl.h): read the
 * host's IPv4 addresses and routes for the host checks, and apply a
 * network plan to the TUN -- MTU and link up, the address, the routes, in
 * the printed plan's order, each a "replace" -- as the daemon does at
 * start-up.
 *
 * Privileges: reading needs none; applying needs CAP_NET_ADMIN, so the
 * daemon calls it before daemon_confine drops every capability and
 * installs the seccomp filter.  The socket is closed again at once: the
 * running daemon makes no netlink call at all.
 *
 * Nothing here removes anything.  What the daemon adds lives on its TUN,
 * a non-persistent device that the kernel deletes, with its addresses and
 * routes, when the daemon's last descriptor of it closes (stop, crash, or a
 * start-up that fails half-way).
 */
#ifndef SUBNETRA_NETCONF_H
#define SUBNETRA_NETCONF_H

#include <stddef.h>
#include <stdint.h>

#include "core/hostcheck.h"
#include "core/netplan.h"

struct netconf {
	int fd;
	uint32_t seq;
};

/* A NETLINK_ROUTE socket (close-on-exec).  0 or -errno. */
int netconf_open(struct netconf *nc);
void netconf_close(struct netconf *nc);

/*
 * The entries of the host that matter to cfg (hostcheck_wanted), except
 * those of the interface named tun (when it exists).  0 or -errno.
 */
int netconf_read_host(struct netconf *nc, const struct config *cfg,
		      const struct netplan *plan, const char *tun, struct host_net *host);

/*
 * Applies plan to the existing interface tun.  0, or -errno with why (cap
 * bytes) naming the step as its ip(8) command and the kernel's reason:
 * "ip addr replace 10.0.0.2/24 dev snr0: Operation not permitted".
 */
int netconf_apply(struct netconf *nc, const struct netplan *plan, const char *tun,
		  char *why, size_t cap);

/*
 * Mesh mode's interface set-up, in the same order and with the same
 * "replace" semantics: MTU and link up, the IPv6 address addr/addr_prefix
 * (network order), the route dst/dst_prefix through the TUN.  0, or
 * -errno with why naming the step as its ip(8) command.
 */
int netconf_apply6(struct netconf *nc, const char *tun, unsigned mtu, const uint8_t addr[16],
		   uint8_t addr_prefix, const uint8_t dst[16], uint8_t dst_prefix, char *why,
		   size_t cap);

/*
 * Open, read the host, run hostcheck_net, close: the host checks of
 * --check and config-lint.  0, or -errno (the host could not be read; why
 * says so, and rep is empty).
 */
int netconf_check_host(const struct config *cfg, const char *file_label, const char *tun,
		       struct hostcheck_report *rep, char *why, size_t cap);

#endif
