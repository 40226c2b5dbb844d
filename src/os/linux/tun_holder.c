/* Who holds a TUN device (see tun_holder.h). */
#include "os/linux/tun_holder.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* /dev/net/tun: the misc device 10, 200 (Documentation/admin-guide/devices.txt). */
enum { TUN_MAJOR = 10, TUN_MINOR = 200 };

/* The network namespace of proc/WHO, or false if it cannot be read. */
static bool netns_of(const char *proc, const char *who, struct stat *st)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/ns/net", proc, who);
	return stat(path, st) == 0;
}

/* Up to cap - 1 bytes of a small file, NUL-terminated; false if unreadable. */
static bool read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* Does fdinfo text carry the line "iff:\t<ifname>"? */
static bool fdinfo_names(const char *info, const char *ifname)
{
	size_t n = strlen(ifname);
	const char *l = info;

	for (;;) {
		const char *nl = strchr(l, '\n');

		if (strncmp(l, "iff:\t", 5) == 0 && strncmp(l + 5, ifname, n) == 0 &&
		    (l[5 + n] == '\n' || l[5 + n] == '\0'))
			return true;
		if (nl == NULL)
			return false;
		l = nl + 1;
	}
}

/* Does process pid hold a queue of ifname? */
static bool holds(const char *proc, const char *pid, const char *ifname)
{
	char path[PATH_MAX], info[1024];
	struct dirent *e;
	struct stat st;
	bool found = false;
	DIR *fds;

	snprintf(path, sizeof(path), "%s/%s/fd", proc, pid);
	fds = opendir(path);
	if (fds == NULL)
		return false;
	while (!found && (e = readdir(fds)) != NULL) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		/*
		 * The device, not its name: a descriptor opened in another mount
		 * namespace (ip netns exec makes one) under a chroot reads back
		 * as the host's full path, never as /dev/net/tun.
		 */
		snprintf(path, sizeof(path), "%s/%s/fd/%s", proc, pid, e->d_name);
		if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode) ||
		    major(st.st_rdev) != TUN_MAJOR || minor(st.st_rdev) != TUN_MINOR)
			continue;
		snprintf(path, sizeof(path), "%s/%s/fdinfo/%s", proc, pid, e->d_name);
		found = read_small(path, info, sizeof(info)) && fdinfo_names(info, ifname);
	}
	closedir(fds);
	return found;
}

size_t tun_holders(const char *proc, const char *ifname, struct tun_holder *out, size_t cap)
{
	struct stat self, ns;
	struct dirent *e;
	size_t n = 0;
	DIR *dir;

	if (!netns_of(proc, "self", &self))
		return 0;
	dir = opendir(proc);
	if (dir == NULL)
		return 0;
	while (n < cap && (e = readdir(dir)) != NULL) {
		char path[PATH_MAX];
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end != '\0' || pid <= 0 || pid == (long)getpid())
			continue;
		if (!netns_of(proc, e->d_name, &ns) || ns.st_dev != self.st_dev ||
		    ns.st_ino != self.st_ino || !holds(proc, e->d_name, ifname))
			continue;
		out[n].pid = (pid_t)pid;
		snprintf(path, sizeof(path), "%s/%s/comm", proc, e->d_name);
		if (!read_small(path, out[n].comm, sizeof(out[n].comm)))
			out[n].comm[0] = '\0';
		out[n].comm[strcspn(out[n].comm, "\n")] = '\0';
		n++;
	}
	closedir(dir);
	return n;
}
