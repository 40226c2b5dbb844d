/* The hosts file on disk and its privileged writer (see hostsfile.h). */
#include "os/linux/hostsfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cap-ng.h>

#include "core/mesh/identity.h"
#include "os/linux/atomicfile.h"
#include "os/linux/safefile.h"
#include "os/linux/sandbox_fs.h"

enum {
	HOSTS_TEXT_CAP = HOSTS_FILE_MAX + 1,
	/* The rewritten file: the old one, plus a block of every entry at its longest. */
	HOSTS_OUT_CAP = HOSTS_FILE_MAX + HOSTS_BLOCK_MAX * 128 + 256,
	/* A request: u32 count, then count x (address 16, name 64, NUL padded). */
	REQ_ENTRY = 16 + HOSTS_NAME_MAX + 1,
	REQ_MAX = 4 + HOSTS_BLOCK_MAX * REQ_ENTRY,
	WHY_MAX = 256,
};

/* The temporary name next to the file; O_EXCL, so a leftover is reported. */
#define HOSTS_TMP ".subnetra-hosts.tmp"

int hostsfile_apply(int dirfd, const char *name, const char *label,
		    const struct hosts_entry *entries, size_t n, char *why, size_t cap)
{
	static char text[HOSTS_TEXT_CAP], out[HOSTS_OUT_CAP];
	struct atomicfile af;
	struct stat st = { .st_mode = S_IFREG | 0644, .st_uid = (uid_t)-1 };
	const char *what = NULL;
	ssize_t len = 0;
	size_t out_len;
	int fd, rc;

	fd = safefile_open_read(dirfd, name, false, &st);
	if (fd >= 0) {
		len = safefile_read_all(fd, text, sizeof(text));
		close(fd);
		if (len < 0) {
			snprintf(why, cap, "%s: %s", label, strerror((int)-len));
			return (int)len;
		}
		if ((size_t)len > HOSTS_FILE_MAX) {
			snprintf(why, cap, "%s: larger than %d bytes; not rewritten", label,
				 HOSTS_FILE_MAX);
			return -EFBIG;
		}
	} else if (fd != -ENOENT) {
		snprintf(why, cap, "%s: %s", label,
			 fd == -EINVAL ? "not a regular file" : strerror(-fd));
		return fd;
	}
	out_len = hosts_rewrite(text, (size_t)len, entries, n, out, sizeof(out), &what);
	if (out_len == 0 && what != NULL) {
		snprintf(why, cap, "%s: %s; not rewritten", label, what);
		return -EINVAL;
	}
	if (out_len == (size_t)len && memcmp(out, text, out_len) == 0 && fd != -ENOENT)
		return 0; /* nothing to change */
	/* A crash between create and rename leaves the temporary file: ours. */
	(void)unlinkat(dirfd, HOSTS_TMP, 0);
	rc = atomicfile_begin_at(&af, dirfd, name, HOSTS_TMP);
	if (rc == 0)
		rc = atomicfile_write(&af, out, out_len);
	/* The old file's mode and owner, not atomicfile's 0600. */
	if (rc == 0 && fchmod(af.fd, st.st_mode & 07777) < 0)
		rc = -errno;
	if (rc == 0 && st.st_uid != (uid_t)-1 && fchown(af.fd, st.st_uid, st.st_gid) < 0 &&
	    errno != EPERM)
		rc = -errno;
	if (rc == 0)
		rc = atomicfile_commit(&af, true);
	else
		atomicfile_abort(&af);
	if (rc < 0)
		snprintf(why, cap, "%s: writing the new file: %s", label, strerror(-rc));
	return rc;
}

/* ---- the helper process --------------------------------------------------- */

static uint32_t load_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A request's entries, each checked as if the daemon were hostile. */
static int decode(const uint8_t *req, size_t len, struct hosts_entry *e, size_t *n,
		  char *why, size_t cap)
{
	uint32_t count;

	if (len < 4 || (count = load_u32(req)) > HOSTS_BLOCK_MAX ||
	    len != 4 + (size_t)count * REQ_ENTRY) {
		snprintf(why, cap, "malformed request");
		return -EINVAL;
	}
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *p = req + 4 + (size_t)i * REQ_ENTRY;
		size_t nl = strnlen((const char *)p + 16, HOSTS_NAME_MAX + 1);

		memcpy(e[i].addr, p, 16);
		if (!identity_address_in_overlay(e[i].addr) || nl > HOSTS_NAME_MAX ||
		    !mesh_name_valid((const char *)p + 16, nl)) {
			snprintf(why, cap, "entry %u is not an fc94::/16 address and a host name", i);
			return -EINVAL;
		}
		memcpy(e[i].name, p + 16, nl);
		e[i].name[nl] = '\0';
	}
	*n = count;
	return 0;
}

/* Everything the helper gives up before its first request. */
static int confine(int dirfd, int sock)
{
	struct sandbox_fs fs;
	int rc;

	/* Only the socket and the directory stay open. */
	for (int fd = 3; fd < 1024; fd++)
		if (fd != dirfd && fd != sock)
			close(fd);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH) != 0)
		return -EPERM;
	rc = sandbox_fs_init(&fs);
	if (rc != SANDBOX_FS_READY)
		return rc < 0 ? rc : 0; /* no Landlock here: the rest still holds */
	rc = sandbox_fs_allow_fd(&fs, dirfd, SANDBOX_FS_READ | SANDBOX_FS_FILES);
	if (rc == 0)
		rc = sandbox_fs_restrict(&fs);
	else
		sandbox_fs_close(&fs);
	return rc;
}

static void serve(int sock, int dirfd, const char *name, const char *label)
{
	static uint8_t req[REQ_MAX + 1];
	static struct hosts_entry entries[HOSTS_BLOCK_MAX];
	struct {
		int32_t rc;
		char why[WHY_MAX];
	} rep;

	for (;;) {
		ssize_t len = recv(sock, req, sizeof(req), 0);
		size_t n = 0;

		if (len <= 0 && !(len < 0 && errno == EINTR))
			return; /* the daemon is gone */
		if (len < 0)
			continue;
		memset(&rep, 0, sizeof(rep));
		rep.rc = decode(req, (size_t)len, entries, &n, rep.why, sizeof(rep.why));
		if (rep.rc == 0)
			rep.rc = hostsfile_apply(dirfd, name, label, entries, n, rep.why,
						 sizeof(rep.why));
		if (send(sock, &rep, sizeof(rep), MSG_NOSIGNAL) < 0)
			return;
	}
}

int hosts_helper_start(struct hosts_helper *h, const char *path, void (*forget)(void *),
		       void *arg, char *why, size_t cap)
{
	char dir[4096];
	const char *name;
	int sv[2], dirfd, rc;
	pid_t pid;

	h->pid = -1;
	h->fd = -1;
	rc = safefile_split(path, dir, sizeof(dir), &name);
	if (rc < 0) {
		snprintf(why, cap, "%s: %s", path, strerror(-rc));
		return rc;
	}
	dirfd = safefile_open_dir(dir);
	if (dirfd < 0) {
		snprintf(why, cap, "%s: %s", dir, strerror(-dirfd));
		return dirfd;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		snprintf(why, cap, "socketpair: %s", strerror(-rc));
		close(dirfd);
		return rc;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		snprintf(why, cap, "fork: %s", strerror(-rc));
		close(sv[0]);
		close(sv[1]);
		close(dirfd);
		return rc;
	}
	if (pid == 0) {
		char label[4200];

		/* The helper: exits with the daemon (EOF, or the parent's death). */
		if (forget != NULL)
			forget(arg);
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() == 1)
			_exit(0); /* the daemon died before the line above */
		snprintf(label, sizeof(label), "%s", path);
		if (confine(dirfd, sv[1]) < 0)
			_exit(3);
		serve(sv[1], dirfd, name, label);
		_exit(0);
	}
	close(sv[1]);
	close(dirfd);
	h->pid = pid;
	h->fd = sv[0];
	return 0;
}

int hosts_helper_set(struct hosts_helper *h, const struct hosts_entry *entries, size_t n,
		     char *why, size_t cap)
{
	static uint8_t req[REQ_MAX];
	struct {
		int32_t rc;
		char why[WHY_MAX];
	} rep;
	uint32_t count = (uint32_t)n;
	ssize_t got;

	if (h->fd < 0 || n > HOSTS_BLOCK_MAX) {
		snprintf(why, cap, "%s", h->fd < 0 ? "the hosts helper is not running"
						 : "too many entries");
		return -EINVAL;
	}
	memset(req, 0, 4 + n * REQ_ENTRY);
	memcpy(req, &count, 4);
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = req + 4 + i * REQ_ENTRY;

		memcpy(p, entries[i].addr, 16);
		memcpy(p + 16, entries[i].name, strnlen(entries[i].name, HOSTS_NAME_MAX));
	}
	if (send(h->fd, req, 4 + n * REQ_ENTRY, MSG_NOSIGNAL) < 0) {
		snprintf(why, cap, "the hosts helper: %s", strerror(errno));
		return -errno;
	}
	do
		got = recv(h->fd, &rep, sizeof(rep), 0);
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(rep)) {
		snprintf(why, cap, "the hosts helper did not answer (it exited)");
		return -EPIPE;
	}
	rep.why[WHY_MAX - 1] = '\0';
	if (rep.rc < 0)
		snprintf(why, cap, "%s", rep.why);
	return rep.rc;
}

void hosts_helper_stop(struct hosts_helper *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	if (h->pid > 0)
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
	h->pid = -1;
}
