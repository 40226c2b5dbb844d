/*
 * TUN I/O.  The daemon never configures addresses, routes or MTU on the
 * device (the operator applies --print-network-plan); it only creates it.
 */
#include "os/linux/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20 /* Linux 6.2 */
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

/*
 * Offloads are an optimisation: try TSO + USO, then TSO alone, then none;
 * the vnet header is there either way.  The kernel takes USO4 only together
 * with USO6 (EINVAL otherwise); IPv6 super-packets are dropped like any IPv6
 * packet.  Returns the TUN_OFFLOAD_* bits accepted.
 */
static unsigned set_offloads(int fd)
{
	if (ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_USO4 | TUN_F_USO6) == 0)
		return TUN_OFFLOAD_TSO | TUN_OFFLOAD_USO;
	if (ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) == 0)
		return TUN_OFFLOAD_TSO;
	(void)ioctl(fd, TUNSETOFFLOAD, 0);
	return 0;
}

bool tun_name_valid(const char *name, char *why, size_t cap)
{
	size_t len = strnlen(name, TUN_NAME_MAX);

	if (len == 0 || len >= TUN_NAME_MAX) {
		snprintf(why, cap, "must be 1 to %d bytes long", TUN_NAME_MAX - 1);
		return false;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		snprintf(why, cap, "'.' and '..' are not interface names");
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("._-+@%", c) != NULL)
			continue;
		if (c > 0x20 && c < 0x7f)
			snprintf(why, cap, "'%c' at byte %zu is not allowed (letters, digits and "
					   "\"._-+@%%\" only)", c, i + 1);
		else
			snprintf(why, cap, "byte 0x%02x at byte %zu is not allowed (letters, digits "
					   "and \"._-+@%%\" only)", c, i + 1);
		return false;
	}
	return true;
}

int tun_open(const char *name, unsigned flags, char out_name[TUN_NAME_MAX],
	     unsigned *offloads)
{
	struct ifreq ifr;
	int fd, err;

	if (strlen(name) >= TUN_NAME_MAX)
		return -ENAMETOOLONG;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	if (flags & TUN_OPEN_MULTI_QUEUE)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	if (flags & TUN_OPEN_EXCL)
		ifr.ifr_flags |= IFF_TUN_EXCL;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (flags & TUN_OPEN_TSO6)
		*offloads = ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO6) == 0 ? TUN_OFFLOAD_TSO6
										   : 0;
	else
		*offloads = set_offloads(fd);
	memcpy(out_name, ifr.ifr_name, TUN_NAME_MAX);
	out_name[TUN_NAME_MAX - 1] = '\0';
	return fd;
}

ssize_t tun_read(int fd, void *buf, size_t cap)
{
	for (;;) {
		ssize_t n = read(fd, buf, cap);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -errno;
	}
}

int tun_write(int fd, const void *buf, size_t len)
{
	for (;;) {
		ssize_t n = write(fd, buf, len);

		if (n == (ssize_t)len)
			return 0;
		if (n >= 0)
			return -EIO;
		if (errno != EINTR)
			return -errno;
	}
}
