/*
 * Daemon start-up, run and teardown (see daemon.h).
 *
 * Start-up order (daemon_start): config already loaded and validated ->
 * boot epoch (fail closed) -> peer keys -> the service user and the control
 * socket's directory -> policy (role + snapshot) -> TUN (one queue per
 * worker) -> UDP sockets (one per port and worker) -> control socket -> the
 * network plan on the TUN (netconf.h; unless the config's
 * "configure_interface" is false) -> epoll sets -> privilege drop, Landlock
 * and seccomp.
 */
#include "daemon/host/daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/roles.h"
#include "daemon/control/control.h"
#include "daemon/datapath/worker.h"
#include "daemon/state/pause.h"
#include "daemon/host/reactor.h"
#include "os/linux/clock.h"
#include "os/linux/netconf.h"
#include "os/linux/policy_file.h"
#include "os/linux/privs.h"
#include "os/linux/safefile.h"
#include "os/linux/sandbox.h"
#include "os/linux/sandbox_fs.h"
#include "os/linux/tun_holder.h"

#define DEFAULT_SOCK "/run/subnetra/subnetra.sock"
#define DEFAULT_TUN "snr0"

_Static_assert((int)CONFIG_DIGEST_LEN == (int)POLICY_STAMP_LEN,
	       "the snapshot stamp is the config digest");

/*
 * The boot epoch keys every session of this lifetime.  A clock before
 * 2024-01-01 could repeat an old epoch and so an old (key, nonce) pair:
 * refuse to start instead (fail closed).
 */
static int boot_epoch(uint64_t *out)
{
	uint64_t now = wall_ns();

	if (now < WIRE_MIN_EPOCH)
		return -ERANGE;
	*out = now;
	return 0;
}

void daemon_state_path(char *out, size_t cap, const char *sock, const char *suffix)
{
	size_t n = strlen(sock);

	if (n > 5 && strcmp(sock + n - 5, ".sock") == 0)
		n -= 5;
	snprintf(out, cap, "%.*s%s", (int)n, sock, suffix);
}

const char *daemon_tun_name(void)
{
	const char *tun = getenv("SUBNETRA_TUN");
	char why[96];

	if (tun == NULL || *tun == '\0')
		return DEFAULT_TUN;
	if (!tun_name_valid(tun, why, sizeof(why))) {
		fprintf(stderr, "subnetrad: SUBNETRA_TUN: not a usable interface name: %s\n", why);
		return NULL;
	}
	return tun;
}

static int set_paths(struct daemon_paths *p)
{
	const char *sock = getenv("SUBNETRA_SOCK");
	const char *tun = daemon_tun_name();

	if (tun == NULL)
		return -1;
	if (sock == NULL || *sock == '\0')
		sock = DEFAULT_SOCK;
	if (strlen(sock) >= sizeof(p->sock)) {
		fprintf(stderr, "subnetrad: SUBNETRA_SOCK: path too long (max %zu bytes): %s\n",
			sizeof(p->sock) - 1, sock);
		return -1;
	}
	snprintf(p->sock, sizeof(p->sock), "%s", sock);
	daemon_state_path(p->policy, sizeof(p->policy), sock, ".policy");
	snprintf(p->tun, sizeof(p->tun), "%s", tun);
	return 0;
}

static int setup_policy(struct daemon *d)
{
	char err[640];
	int n;

	policy_init(&d->policy);
	if (roles_derive_policy(d->cfg, &d->policy) < 0) {
		fprintf(stderr, "subnetrad: derived policy does not fit the table (%d rules)\n",
			MAX_POLICY_ENTRIES);
		return -1;
	}
	/* Root's, or written by the daemon itself (its save after the drop). */
	n = policy_load(&d->policy, d->sock_dirfd, d->paths.policy, d->cfg_digest,
			d->uid != (uid_t)-1 ? d->uid : geteuid(), err, sizeof(err));
	if (n == -ENOENT)
		return 0;
	/* Not trusted or not this config's: start as if there were none. */
	if (n == -EPERM || n == -ESTALE) {
		fprintf(stderr, "subnetrad: policy snapshot ignored, starting with the config's "
				"rules only: %s\n", err);
		return 0;
	}
	if (n < 0) {
		fprintf(stderr, "subnetrad: policy snapshot %s\n", err);
		return -1;
	}
	if (n > 0)
		fprintf(stderr, "subnetrad: loaded %d saved rule(s) from %s\n", n,
			d->paths.policy);
	return 0;
}

/*
 * Why a TUN device is busy, for the start-up message: the process(es) that
 * hold it (procfs, tun_holder.h), or what else it can be.
 */
static void busy_tun_hint(const char *name, bool several, char *buf, size_t cap)
{
	struct tun_holder h[3];
	size_t n = tun_holders("/proc", name, h, 3), len = 0;

	if (n == 0) {
		snprintf(buf, cap, "; no process in this network namespace is seen holding it (a "
				   "persistent device%s, or a daemon this one may not inspect): ip -d "
				   "link show %s; or give this daemon another device with SUBNETRA_TUN",
			 several ? ": workers > 1 needs a device of its own" : "", name);
		return;
	}
	for (size_t i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s pid %d (%s)",
					i == 0 ? ": held by" : ",", (int)h[i].pid,
					h[i].comm[0] != '\0' ? h[i].comm : "?");
	if (len < cap)
		snprintf(buf + len, cap - len, "%s; stop it first, or give this daemon another "
					       "device with SUBNETRA_TUN",
			 several ? " (workers > 1 needs a device of its own)" : "");
}

/*
 * One TUN queue per worker.  Several workers need a multi-queue device, and
 * a fresh one (IFF_TUN_EXCL on the first queue): attaching queues to a
 * device that another process is serving would split its traffic with it.
 */
static int open_tun(struct daemon *d)
{
	bool several = d->n_workers > 1;
	char name[TUN_NAME_MAX];
	unsigned offloads = 0;

	for (unsigned k = 0; k < d->n_workers; k++) {
		unsigned flags = several ? TUN_OPEN_MULTI_QUEUE : 0;
		int fd;

		if (several && k == 0)
			flags |= TUN_OPEN_EXCL;
		fd = tun_open(d->paths.tun, flags, name, &offloads);
		if (fd < 0) {
			char hint[320] = "";

			if (fd == -EPERM || fd == -EACCES)
				snprintf(hint, sizeof(hint), " (needs CAP_NET_ADMIN and /dev/net/tun)");
			else if (fd == -EBUSY)
				busy_tun_hint(d->paths.tun, several, hint, sizeof(hint));
			fprintf(stderr, "subnetrad: cannot create TUN device '%s'%s: %s%s\n",
				d->paths.tun, k > 0 ? " (another queue)" : "", strerror(-fd),
				hint);
			return -1;
		}
		d->workers[k]->tun_fd = fd;
		/* Later queues attach to the name the kernel gave the first. */
		memcpy(d->paths.tun, name, sizeof(name));
		/* Coalescing UDP needs a kernel that takes UDP_L4 super-packets. */
		d->workers[k]->gro.udp = (offloads & TUN_OFFLOAD_USO) != 0;
	}
	if ((offloads & TUN_OFFLOAD_USO) == 0)
		fprintf(stderr, "subnetrad: TUN %s: no UDP segmentation offload (USO, Linux "
				"6.2+): UDP is written to it one datagram at a time\n",
			name);
	return 0;
}

/*
 * One socket per listen port and worker.  Several workers bind each port
 * several times with SO_REUSEPORT; a plain bind first proves that the port
 * is free, so we never join a group some other process has formed.
 */
static int open_udp(struct daemon *d)
{
	bool several = d->n_workers > 1;

	for (size_t i = 0; i < d->cfg->n_listen_ports; i++) {
		uint16_t port = d->cfg->listen_ports[i];
		int fd = 0;

		if (several) {
			fd = udp_open(port, false);
			if (fd >= 0)
				close(fd);
		}
		for (unsigned k = 0; k < d->n_workers && fd >= 0; k++) {
			fd = udp_open(port, several);
			if (fd >= 0)
				d->workers[k]->udp_fd[i] = fd;
		}
		if (fd < 0) {
			fprintf(stderr, "subnetrad: cannot bind UDP port %u: %s\n", port,
				strerror(-fd));
			return -1;
		}
		d->n_udp++;
	}
	return 0;
}

static void control_open_failed(const struct daemon *d, int err)
{
	fprintf(stderr, "subnetrad: control socket %s: %s\n", d->paths.sock,
		err == -EADDRINUSE ? "another subnetrad is running on it"
		: err == -EEXIST   ? "path exists and is not a socket"
				   : strerror(-err));
}

static int open_network(struct daemon *d)
{
	int fd;

	if (open_tun(d) < 0 || open_udp(d) < 0)
		return -1;

	fd = control_open(d);
	if (fd < 0) {
		control_open_failed(d, fd);
		return -1;
	}
	d->ctl_fd = fd;
	return 0;
}

/* "local_tun_ip: AddressInUse: ..." (the daemon does not know the file's name). */
static void print_finding(const char *prefix, const struct config_error *e)
{
	fprintf(stderr, "subnetrad: %s%s: %s: %s\n", prefix, e->path, e->name, e->detail);
}

/*
 * The network plan on the TUN (netconf.h) unless "configure_interface" is
 * false: first the host checks (hostcheck.h; a conflict refuses start-up,
 * an overlap is a warning), then the plan.  Before daemon_confine, which
 * takes CAP_NET_ADMIN and netlink away.  On failure the caller frees the
 * daemon: the TUN, with whatever was set on it, goes with it, before any
 * packet moved.
 */
static int configure_tun(struct daemon *d)
{
	const char *tun = d->paths.tun;
	struct hostcheck_report rep;
	struct host_net host;
	struct netplan plan;
	struct netconf nc;
	char why[320], refusal[64];
	size_t n_routes = 0;
	int rc;

	if (!d->cfg->configure_interface)
		return 0;
	netplan_build(d->cfg, &plan);
	rc = netconf_open(&nc);
	if (rc < 0) {
		fprintf(stderr, "subnetrad: cannot configure %s: netlink socket: %s\n", tun,
			strerror(-rc));
		return -1;
	}
	rc = netconf_read_host(&nc, d->cfg, &plan, tun, &host);
	if (rc < 0) {
		fprintf(stderr, "subnetrad: cannot configure %s: reading the host's addresses "
				"and routes: %s\n", tun, strerror(-rc));
		goto out;
	}
	hostcheck_net(d->cfg, &plan, NULL, &host, &rep);
	snprintf(refusal, sizeof(refusal), "refusing to configure %s: ", tun);
	for (size_t i = 0; i < rep.n; i++) {
		print_finding(rep.f[i].refuses_start ? refusal : "warning: ", &rep.f[i].err);
		if (rep.f[i].refuses_start)
			rc = -EEXIST;
	}
	if (rc < 0) {
		fprintf(stderr, "subnetrad: nothing was changed on this host; fix the config, "
				"or set \"configure_interface\": false and set up %s yourself\n",
			tun);
		goto out;
	}
	rc = netconf_apply(&nc, &plan, tun, why, sizeof(why));
	if (rc < 0) {
		fprintf(stderr, "subnetrad: cannot configure %s: %s; set \"configure_interface\": "
				"false to set it up yourself\n", tun, why);
		goto out;
	}
	for (size_t i = 0; i < plan.n_routes; i++)
		n_routes += plan.routes[i].kind == NETPLAN_ROUTE;
	if (plan.has_addr) {
		char a[CIDR_STR_MAX];

		cidr_format(&plan.addr, a);
		fprintf(stderr, "subnetrad: configured %s: mtu %u, up, address %s, %zu route(s)\n",
			tun, plan.mtu, a, n_routes);
	} else {
		fprintf(stderr, "subnetrad: configured %s: mtu %u, up, no address, %zu route(s)\n",
			tun, plan.mtu, n_routes);
	}
out:
	netconf_close(&nc);
	return rc < 0 ? -1 : 0;
}

/*
 * Who the daemon becomes after start-up (config "user"), looked up before
 * anything is created: the socket directory and the socket are made for
 * that user from the start (control.h).
 */
static int lookup_user(struct daemon *d)
{
	int err;

	if (d->cfg->user[0] == '\0')
		return 0;
	err = privs_lookup_user(d->cfg->user, &d->uid, &d->gid);
	if (err < 0) {
		fprintf(stderr, "subnetrad: config user '%s': %s\n", d->cfg->user,
			err == -ENOENT ? "no such user" : strerror(-err));
		return -1;
	}
	return 0;
}

static int open_sock_dir(struct daemon *d)
{
	int err = control_open_dir(d);

	if (err < 0)
		fprintf(stderr, "subnetrad: control socket directory of %s: %s\n", d->paths.sock,
			err == -ELOOP ? "a symbolic link not owned by root (not followed)"
				      : strerror(-err));
	return err < 0 ? -1 : 0;
}

/*
 * Landlock rules cover a whole hierarchy: a socket directory with
 * subdirectories (/run, /tmp, /) is not one of its own, and a rule on it
 * would make everything beneath it writable.  (A subdirectory made later
 * needs root, or the directory's owner: the daemon's own user.)
 */
static bool has_subdirs(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	bool found = false;

	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (!found && (e = readdir(dir)) != NULL) {
		struct stat st;

		found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
			fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			S_ISDIR(st.st_mode);
	}
	closedir(dir);
	return found;
}

/*
 * Reading the config again (reload): its directory when that is the
 * config's own (no subdirectories: an editor that replaces the file by a
 * new one keeps working), else that one file, which must then be edited in
 * place (Landlock rules follow inodes, not names).
 */
static int allow_config(struct daemon *d, struct sandbox_fs *fs)
{
	char dir[sizeof(d->config_path)];
	const char *base;
	int dirfd, err;

	err = safefile_split(d->config_path, dir, sizeof(dir), &base);
	if (err < 0)
		return err;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	if (has_subdirs(dirfd))
		err = sandbox_fs_allow_path(fs, d->config_path, SANDBOX_FS_READ);
	else
		err = sandbox_fs_allow_fd(fs, dirfd, SANDBOX_FS_READ);
	close(dirfd);
	return err;
}

/*
 * A mesh node's state_dir (mesh/statedir.h), under the same rule as the
 * socket's directory: files only, and nothing when it has subdirectories
 * (a shared directory such as /var/lib itself).  Read too: `managed
 * reload` reads the file the management agent writes there.
 */
static int allow_state_dir(struct daemon *d, struct sandbox_fs *fs)
{
	if (!has_subdirs(d->state_dirfd))
		return sandbox_fs_allow_fd(fs, d->state_dirfd, SANDBOX_FS_FILES | SANDBOX_FS_READ);
	fprintf(stderr, "subnetrad: state_dir %s has subdirectories (shared), so the file-system "
			"confinement grants nothing in it: whitelist and hosts changes will not "
			"be saved, managed reload will fail; give state_dir a directory of its "
			"own, e.g. %s\n",
		d->cfg->mesh.state_dir, MESH_STATE_DIR_DEFAULT);
	return 0;
}

/*
 * What the running daemon may do in the file system, root or not: create,
 * write and remove files in the control socket's directory (the policy
 * snapshot, its .tmp, the socket at exit), through the descriptor it holds,
 * and nothing at all there when that directory is shared (has
 * subdirectories); the same and reading in a mesh node's state_dir
 * (allow_state_dir);
 * read the config (allow_config); nothing else anywhere.
 * Built before the privilege drop, enforced after it (no_new_privs).
 */
static int paths_ruleset(struct daemon *d, struct sandbox_fs *fs)
{
	int state = sandbox_fs_init(fs), err = 0;

	if (state == SANDBOX_FS_UNAVAILABLE)
		fprintf(stderr, "subnetrad: Landlock is not available (%s): the file system is not "
				"confined beyond the seccomp filter\n", sandbox_fs_why(fs));
	else if (state == SANDBOX_FS_SKIPPED)
		fprintf(stderr, "subnetrad: sanitizer build: Landlock ruleset not applied\n");
	else if (state < 0)
		err = state;
	else if (has_subdirs(d->sock_dirfd))
		fprintf(stderr, "subnetrad: control socket %s: its directory has subdirectories "
				"(shared), so the file-system confinement grants nothing in it: "
				"'subnetra save' will fail and the socket will stay behind at exit; "
				"give the socket a directory of its own, e.g. "
				"SUBNETRA_SOCK=/run/subnetra/subnetra.sock\n", d->paths.sock);
	else
		err = sandbox_fs_allow_fd(fs, d->sock_dirfd, SANDBOX_FS_FILES);
	if (err == 0 && state == SANDBOX_FS_READY && d->state_dirfd >= 0)
		err = allow_state_dir(d, fs);
	/* Contexts built by hand (unit tests) have no config file. */
	if (err == 0 && state == SANDBOX_FS_READY && d->config_path[0] != '\0')
		err = allow_config(d, fs);
	if (err < 0) {
		fprintf(stderr, "subnetrad: cannot build the Landlock ruleset: %s\n",
			strerror(-err));
		sandbox_fs_close(fs);
		return -1;
	}
	return 0;
}

/*
 * Everything privileged is done (TUN created, sockets bound): drop every
 * capability, confine the file system to the socket's directory (Landlock),
 * then allow only the syscalls the running daemon makes (seccomp).
 */
int daemon_confine(struct daemon *d)
{
	struct sandbox_fs fs;
	int err;

	if (paths_ruleset(d, &fs) < 0)
		return -1;
	err = privs_drop(d->uid, d->gid);
	if (err < 0) {
		fprintf(stderr, "subnetrad: cannot drop privileges: %s\n", strerror(-err));
		sandbox_fs_close(&fs);
		return -1;
	}
	/* Landlock first: once the seccomp filter is in, its syscalls are not. */
	err = sandbox_fs_restrict(&fs);
	if (err < 0) {
		fprintf(stderr, "subnetrad: cannot apply the Landlock ruleset: %s\n",
			strerror(-err));
		return -1;
	}
	err = sandbox_apply(d->n_workers > 1);
	if (err < 0) {
		fprintf(stderr, "subnetrad: cannot install the seccomp filter: %s\n",
			strerror(-err));
		return -1;
	}
	if (err > 0)
		fprintf(stderr, "subnetrad: sanitizer build: seccomp filter not installed\n");
	return 0;
}

/* Everything daemon_alloc makes but the workers. */
static struct daemon *alloc_shell(const struct config *cfg)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->cfg = cfg;
	d->ctl_fd = d->sig_fd = d->ka_timer_fd = d->stop_fd = d->pause_fd = d->sock_dirfd = -1;
	d->state_dirfd = -1;
	atomic_init(&d->pause_req, false);
	pthread_mutex_init(&d->pause_mu, NULL);
	pthread_cond_init(&d->pause_cv, NULL);
	d->uid = (uid_t)-1;
	d->gid = (gid_t)-1;
	atomic_init(&d->stop, false);
	atomic_init(&d->failed, false);
	d->ctl = control_server_new();
	if (d->ctl == NULL) {
		daemon_free(d);
		return NULL;
	}
	return d;
}

struct daemon *daemon_alloc(const struct config *cfg)
{
	struct daemon *d = alloc_shell(cfg);

	if (d == NULL)
		return NULL;
	/* A hand-built config (tests, fuzzers) may leave workers at 0. */
	d->n_workers = cfg->workers > 1 ? cfg->workers : 1;
	for (unsigned k = 0; k < d->n_workers; k++) {
		d->workers[k] = worker_alloc(d, k);
		if (d->workers[k] == NULL) {
			daemon_free(d);
			return NULL;
		}
	}
	return d;
}

static int set_config_path(struct daemon *d, const char *config_path)
{
	if (config_path == NULL)
		config_path = "config.json";
	if (strlen(config_path) >= sizeof(d->config_path)) {
		fprintf(stderr, "subnetrad: config path too long: %s\n", config_path);
		return -1;
	}
	memcpy(d->config_path, config_path, strlen(config_path) + 1);
	signal(SIGPIPE, SIG_IGN);
	return set_paths(&d->paths);
}

struct daemon *daemon_host_start(const struct config *cfg, const char *config_path)
{
	struct daemon *d = alloc_shell(cfg);
	int fd;

	if (d == NULL) {
		fprintf(stderr, "subnetrad: out of memory\n");
		return NULL;
	}
	if (set_config_path(d, config_path) < 0 || lookup_user(d) < 0 || open_sock_dir(d) < 0)
		goto fail;
	fd = control_open(d);
	if (fd < 0) {
		control_open_failed(d, fd);
		goto fail;
	}
	d->ctl_fd = fd;
	return d;
fail:
	daemon_free(d);
	return NULL;
}

struct daemon *daemon_start(const struct config *cfg, const char *config_path)
{
	struct daemon *d = daemon_alloc(cfg);
	int err;

	if (d == NULL) {
		fprintf(stderr, "subnetrad: out of memory\n");
		return NULL;
	}
	if (set_config_path(d, config_path) < 0)
		goto fail;
	if (boot_epoch(&d->epoch) < 0) {
		fprintf(stderr, "subnetrad: system clock is before 2024-01-01; refusing to start "
				"(the boot epoch must be fresh: fix the clock/NTP)\n");
		goto fail;
	}
	peer_table_init(&d->peers, cfg, d->epoch);
	config_digest(cfg, d->cfg_digest);
	if (lookup_user(d) < 0 || open_sock_dir(d) < 0 || setup_policy(d) < 0 ||
	    open_network(d) < 0 || configure_tun(d) < 0)
		goto fail;
	if (d->n_workers > 1) {
		/* Shared-state protocols on (peer.h, policy.h); off for one worker. */
		d->peers.shared = true;
		qsbr_init(&d->qsbr, d->n_workers, 0);
		d->policy.readers = &d->qsbr;
	}
	err = reactor_setup(d);
	if (err < 0) {
		fprintf(stderr, "subnetrad: reactor set-up failed: %s\n", strerror(-err));
		goto fail;
	}
	if (daemon_confine(d) < 0)
		goto fail;
	return d;
fail:
	daemon_free(d);
	return NULL;
}

/* Make every worker leave its loop: the flag, then the event that wakes it. */
static void request_stop(struct daemon *d)
{
	uint64_t one = 1;

	atomic_store(&d->stop, true);
	if (d->stop_fd >= 0 && write(d->stop_fd, &one, sizeof(one)) < 0)
		fprintf(stderr, "subnetrad: cannot wake the workers: %s\n", strerror(errno));
	pause_wake(d);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char name[32]; /* "subnetrad/w15" at most: within the 15-byte limit */
	int err;

	/* For top -H and ps -L; cosmetic.  Set by the thread itself: that is a
	 * prctl, where naming another thread writes to /proc (Landlock). */
	snprintf(name, sizeof(name), "subnetrad/w%u", w->id);
	(void)pthread_setname_np(pthread_self(), name);
	err = reactor_run(w);

	if (err < 0) {
		fprintf(stderr, "subnetrad: worker %u: epoll failed: %s\n", w->id, strerror(-err));
		atomic_store(&w->d->failed, true);
		request_stop(w->d);
	}
	return NULL;
}

/*
 * Workers 1..n-1 start here, after daemon_start dropped privileges and
 * installed the seccomp filter: a thread inherits both (and the blocked
 * signal mask) from its creator.
 */
static int start_workers(struct daemon *d)
{
	for (unsigned k = 1; k < d->n_workers; k++) {
		struct worker *w = d->workers[k];
		int err = pthread_create(&w->thread, NULL, worker_main, w);

		if (err != 0) {
			fprintf(stderr, "subnetrad: cannot start worker %u: %s\n", k, strerror(err));
			return -1;
		}
		w->thread_started = true;
	}
	return 0;
}

static void join_workers(struct daemon *d)
{
	request_stop(d);
	for (unsigned k = 1; k < d->n_workers; k++) {
		struct worker *w = d->workers[k];

		if (w != NULL && w->thread_started) {
			pthread_join(w->thread, NULL);
			w->thread_started = false;
		}
	}
}

int daemon_run(struct daemon *d)
{
	int err = start_workers(d);

	if (err == 0) {
		err = reactor_run(d->workers[0]);
		if (err < 0)
			fprintf(stderr, "subnetrad: epoll failed: %s\n", strerror(-err));
	}
	join_workers(d);
	return err < 0 || atomic_load(&d->failed) ? -1 : 0;
}

void daemon_free(struct daemon *d)
{
	if (d == NULL)
		return;
	join_workers(d);
	control_close(d);
	int fds[] = {d->ctl_fd,   d->sig_fd,     d->ka_timer_fd, d->stop_fd,
		     d->pause_fd, d->sock_dirfd, d->state_dirfd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (unsigned k = 0; k < MAX_WORKERS; k++)
		worker_free(d->workers[k]);
	control_server_free(d->ctl);
	if (d->cfg_loaded != NULL) {
		config_wipe(d->cfg_loaded);
		free(d->cfg_loaded);
	}
	pthread_cond_destroy(&d->pause_cv);
	pthread_mutex_destroy(&d->pause_mu);
	/* Keys live in the peer table. */
	sodium_memzero(d, sizeof(*d));
	free(d);
}
