/*
 * The Linux TUN device (IFF_TUN | IFF_NO_PI | IFF_VNET_HDR): open, read,
 * write.  Every read and write carries a virtio_net_hdr in front of the
 * packet (see offload.h); with offloads on, reads may return TCP/UDP
 * super-packets of up to 64 KiB.
 */
#ifndef SUBNETRA_TUN_H
#define SUBNETRA_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Maximum interface name length including NUL (IFNAMSIZ). */
enum { TUN_NAME_MAX = 16 };

/* Offloads the kernel accepted (TUNSETOFFLOAD), as reported by tun_open. */
enum tun_offload {
	TUN_OFFLOAD_TSO = 1, /* checksum + TCP segmentation (TSO4) */
	TUN_OFFLOAD_USO = 2, /* UDP segmentation too (USO4/USO6, Linux >= 6.2) */
	TUN_OFFLOAD_TSO6 = 4, /* checksum + IPv6 TCP segmentation (TUN_OPEN_TSO6) */
};

enum {
	/* One fd per queue (IFF_MULTI_QUEUE): several workers each read and
	 * write their own queue; the kernel spreads flows over the queues. */
	TUN_OPEN_MULTI_QUEUE = 1,
	/* Fail with -EBUSY if the device exists already (IFF_TUN_EXCL): the
	 * first queue of a multi-queue device, so that no other process's
	 * queues share it. */
	TUN_OPEN_EXCL = 2,
	/* Checksum and IPv6 TCP segmentation offloads only (mesh mode: an
	 * IPv6-only TUN): reads may be TCPV6 super-packets or carry a partial
	 * checksum (core/offload.h cuts and completes them). */
	TUN_OPEN_TSO6 = 8,
};

/*
 * Create (or attach to) the TUN device `name`, non-blocking and close-on-exec,
 * with a vnet header and, where the kernel has them, checksum and TCP and
 * UDP segmentation offloads (*offloads: the TUN_OFFLOAD_* bits it accepted;
 * a kernel that has none is not an error); flags are TUN_OPEN_*.  The
 * kernel-assigned name is written to out_name.  Returns the fd or -errno.
 */
int tun_open(const char *name, unsigned flags, char out_name[TUN_NAME_MAX],
	     unsigned *offloads);
/*
 * Whether name can be the TUN device's name ($SUBNETRA_TUN): the kernel's
 * rule (dev_valid_name: 1..15 bytes, not "." or "..", no '/', ':' or white
 * space), narrowed to letters, digits and "._-+@%", bytes that need no
 * quoting in a shell, because --print-network-plan prints the name into
 * commands that users pipe to `sudo sh`.  false: why (cap bytes) says what
 * is wrong, quoting the offending byte.
 */
bool tun_name_valid(const char *name, char *why, size_t cap);
/* One packet; returns its length, 0 when none is pending, or -errno. */
ssize_t tun_read(int fd, void *buf, size_t cap);
/* One packet; returns 0 or -errno. */
int tun_write(int fd, const void *buf, size_t len);

#endif
