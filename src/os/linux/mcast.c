/* Link-local multicast for LAN discovery (see mcast.h). */
#include "os/linux/mcast.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

size_t mcast_ifaces(const struct netwatch_scan *s, struct mcast_iface *out, size_t cap,
		    const char *skip)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_ifs && n < cap; i++) {
		const struct rtnl_link *l = &s->ifs[i];
		unsigned want = IFF_UP | IFF_MULTICAST;

		if ((l->flags & want) != want || (l->flags & (IFF_LOOPBACK | IFF_POINTOPOINT)) != 0 ||
		    l->name[0] == '\0' || strlen(l->name) >= TUN_NAME_MAX ||
		    (skip != NULL && strcmp(l->name, skip) == 0))
			continue;
		out[n].ifindex = (unsigned)l->ifindex;
		memcpy(out[n].name, l->name, strlen(l->name) + 1);
		n++;
	}
	return n;
}

static int setopt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

int mcast_open(int family, uint16_t port)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	err = setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (family == AF_INET6) {
		struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port),
					  .sin6_addr = IN6ADDR_ANY_INIT};

		if (err == 0)
			err = setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
		if (err == 0)
			err = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
		if (err == 0)
			err = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 1);
		if (err == 0)
			err = setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
		if (err == 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			err = -errno;
	} else {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr = {htonl(INADDR_ANY)}};

		if (err == 0)
			err = setopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
		if (err == 0)
			err = setopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, 1);
		/* Only the groups this socket joined, not every one of the host's. */
		if (err == 0)
			err = setopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0);
		if (err == 0)
			err = setopt(fd, IPPROTO_IP, IP_PKTINFO, 1);
		if (err == 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			err = -errno;
	}
	if (err < 0) {
		close(fd);
		return err;
	}
	return fd;
}

int mcast_join(int fd, int family, const char *group, unsigned ifindex)
{
	if (family == AF_INET6) {
		struct ipv6_mreq m = {.ipv6mr_interface = ifindex};

		if (inet_pton(AF_INET6, group, &m.ipv6mr_multiaddr) != 1)
			return -EINVAL;
		return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof(m)) < 0 ? -errno
											 : 0;
	}
	struct ip_mreqn m = {.imr_ifindex = (int)ifindex};

	if (inet_pton(AF_INET, group, &m.imr_multiaddr) != 1)
		return -EINVAL;
	return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) < 0 ? -errno : 0;
}

int mcast_send(int fd, int family, const char *group, uint16_t port, unsigned ifindex,
	       const uint8_t *buf, size_t len)
{
	union udp_addr to;
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr m = {.msg_name = &to, .msg_iov = &iov, .msg_iovlen = 1};

	memset(&to, 0, sizeof(to));
	if (family == AF_INET6) {
		/* A link-local group's scope id is the interface it leaves by. */
		to.v6.sin6_family = AF_INET6;
		to.v6.sin6_port = htons(port);
		to.v6.sin6_scope_id = ifindex;
		if (inet_pton(AF_INET6, group, &to.v6.sin6_addr) != 1)
			return -EINVAL;
		m.msg_namelen = sizeof(to.v6);
	} else {
		struct cmsghdr *c;
		struct in_pktinfo pi = {.ipi_ifindex = (int)ifindex};

		to.v4.sin_family = AF_INET;
		to.v4.sin_port = htons(port);
		if (inet_pton(AF_INET, group, &to.v4.sin_addr) != 1)
			return -EINVAL;
		m.msg_namelen = sizeof(to.v4);
		/* IP_PKTINFO's interface is the multicast output interface. */
		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
	return sendmsg(fd, &m, MSG_DONTWAIT) < 0 ? -errno : 0;
}

ssize_t mcast_recv(int fd, uint8_t *buf, size_t cap, union udp_addr *from,
		   socklen_t *from_len, unsigned *ifindex)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			 CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr m = {.msg_name = from, .msg_namelen = sizeof(*from), .msg_iov = &iov,
			   .msg_iovlen = 1, .msg_control = ctl.buf,
			   .msg_controllen = sizeof(ctl.buf)};
	ssize_t n;

	*ifindex = 0;
	do
		n = recvmsg(fd, &m, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	if (m.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	*from_len = m.msg_namelen;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			*ifindex = pi.ipi6_ifindex;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			*ifindex = (unsigned)pi.ipi_ifindex;
		}
	}
	return n;
}
