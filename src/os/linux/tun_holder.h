/*
 * Who holds a TUN device: for the message of a daemon that cannot attach to
 * a busy one ("held by pid 4242 (subnetrad)").  Read from procfs, on that
 * error path only: a process holds TUN device NAME when one of its
 * descriptors is /dev/net/tun and that descriptor's fdinfo says
 * "iff:<TAB>NAME".  Device names are per network namespace, so only
 * processes in the caller's namespace count.  Reading another process's
 * descriptors needs root (CAP_SYS_PTRACE for a non-dumpable one such as
 * subnetrad); what cannot be read is skipped.
 */
#ifndef SUBNETRA_TUN_HOLDER_H
#define SUBNETRA_TUN_HOLDER_H

#include <stddef.h>
#include <sys/types.h>

struct tun_holder {
	pid_t pid;
	char comm[16]; /* /proc/PID/comm, "" if unreadable */
};

/*
 * Up to cap holders of ifname other than the caller, each pid once, into
 * out; returns how many were found (0: none, or procfs unreadable).  proc is
 * the procfs mount point: "/proc", or a fake tree in tests (whose
 * PID/ns/net entries are compared with proc/self/ns/net).
 */
size_t tun_holders(const char *proc, const char *ifname, struct tun_holder *out, size_t cap);

#endif
