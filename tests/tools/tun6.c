/*
 * tun6: mesh mode's interface set-up (netconf_apply6) on a real TUN, for
 * t_netconf6.  It opens the TUN, applies the address and route twice (the
 * second time must change nothing), prints "ready", then reads packets
 * from the TUN and prints the IPv6 destination of each unicast one
 * ("dst ADDR") until COUNT (default 1) have been seen; the script kills it
 * otherwise.
 *
 *   tun6 NAME ADDR/PREFIX ROUTE/PREFIX MTU [COUNT]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/offload.h"
#include "os/linux/netconf.h"
#include "os/linux/tun.h"

static int parse_prefixed(const char *arg, uint8_t out[16], uint8_t *prefix)
{
	char buf[INET6_ADDRSTRLEN + 4];
	char *slash;
	long p;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	slash = strchr(buf, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	p = strtol(slash + 1, NULL, 10);
	if (p < 0 || p > 128 || inet_pton(AF_INET6, buf, out) != 1)
		return -1;
	*prefix = (uint8_t)p;
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t addr[16], dst[16], pkt[65536 + VNET_HDR_LEN];
	uint8_t addr_len, dst_len;
	char name[TUN_NAME_MAX], why[256], s[INET6_ADDRSTRLEN];
	struct netconf nc;
	unsigned offloads, mtu;
	long count, seen = 0;
	int fd, rc;

	if (argc < 5 || argc > 6 || parse_prefixed(argv[2], addr, &addr_len) < 0 ||
	    parse_prefixed(argv[3], dst, &dst_len) < 0) {
		fprintf(stderr, "usage: tun6 NAME ADDR/PREFIX ROUTE/PREFIX MTU [COUNT]\n");
		return 2;
	}
	mtu = (unsigned)strtoul(argv[4], NULL, 10);
	count = argc == 6 ? strtol(argv[5], NULL, 10) : 1;
	fd = tun_open(argv[1], 0, name, &offloads);
	if (fd < 0) {
		fprintf(stderr, "tun6: %s: %s\n", argv[1], strerror(-fd));
		return 1;
	}
	rc = netconf_open(&nc);
	if (rc < 0) {
		fprintf(stderr, "tun6: netlink: %s\n", strerror(-rc));
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		rc = netconf_apply6(&nc, name, mtu, addr, addr_len, dst, dst_len, why,
				    sizeof(why));
		if (rc < 0) {
			fprintf(stderr, "tun6: %s\n", why);
			return 1;
		}
	}
	netconf_close(&nc);
	printf("ready\n");
	fflush(stdout);
	while (seen < count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return 1;
		n = tun_read(fd, pkt, sizeof(pkt));
		if (n < 0)
			return 1;
		/* A vnet header, then the packet: an IPv6 header has dst at 24. */
		/* Multicast (router solicitations, MLD) is the kernel's own. */
		if (n < VNET_HDR_LEN + 40 || (pkt[VNET_HDR_LEN] >> 4) != 6 ||
		    pkt[VNET_HDR_LEN + 24] == 0xff)
			continue;
		inet_ntop(AF_INET6, pkt + VNET_HDR_LEN + 24, s, sizeof(s));
		printf("dst %s\n", s);
		fflush(stdout);
		seen++;
	}
	close(fd);
	return 0;
}
