/*
 * Build-time generator of the daemon's seccomp filter (not part of any
 * shipped binary; the Makefile compiles it with the build host's compiler
 * and libseccomp).  Builds both variants of the filter from
 * src/os/linux/sandbox_rules.h with libseccomp for a target architecture,
 * exports them as classic BPF and prints a C header with:
 *
 *   seccomp_bpf_single[], seccomp_bpf_threads[]   the programs (struct sock_filter)
 *   seccomp_pid_single[], seccomp_pid_threads[]   indexes of the instructions whose
 *                                                 k is the process id (abort()'s
 *                                                 tgkill/tkill rules): the arrays
 *                                                 hold SECCOMP_GEN_PID there
 *   seccomp_names[]                               the target's syscall names, for
 *                                                 the SIGSYS log line
 *
 *   seccomp-gen [ARCH] > seccomp_bpf.h
 *
 * ARCH: a libseccomp architecture name (x86_64, aarch64, arm, mipsel, ...);
 * default native.  For a foreign one the rules are translated by name to its
 * numbers (seccomp_arch_remove(native) + seccomp_arch_add(ARCH)).  Exit 0,
 * or 1 with a message on stderr.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/filter.h>

#include "os/linux/sandbox_rules.h"

/* Not a pid (pid_max is at most 2^22), nor any other constant of the filter. */
#define SECCOMP_GEN_PID 0x5ec0ffedu

/* The range of syscall numbers named in the log (MIPS o32 numbers from 4000). */
enum { NAMES_MAX = 1024 };

static int fail(const char *what, int err)
{
	fprintf(stderr, "seccomp-gen: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

/* Both variants' programs, exported; *len in instructions. */
static int export_filter(uint32_t arch, bool threads, struct sock_filter **prog,
			 size_t *len)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	FILE *f = NULL;
	long size = 0;
	int err;

	*prog = NULL;
	if (ctx == NULL)
		return -ENOMEM;
	err = 0;
	if (arch != seccomp_arch_native()) {
		err = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
		if (err == 0)
			err = seccomp_arch_add(ctx, arch);
	}
	if (err == 0)
		err = sandbox_rules_build(ctx, arch, threads, SECCOMP_GEN_PID);
	if (err == 0 && (f = tmpfile()) == NULL)
		err = -errno;
	if (err == 0)
		err = seccomp_export_bpf(ctx, fileno(f));
	if (err == 0 && (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0))
		err = -errno;
	if (err == 0 && (size == 0 || size % (long)sizeof(**prog) != 0))
		err = -EPROTO;
	if (err == 0 && (*prog = malloc((size_t)size)) == NULL)
		err = -ENOMEM;
	if (err == 0) {
		rewind(f);
		if (fread(*prog, 1, (size_t)size, f) != (size_t)size)
			err = -EIO;
		*len = (size_t)size / sizeof(**prog);
	}
	if (f != NULL)
		fclose(f);
	seccomp_release(ctx);
	return err;
}

static int print_filter(const char *name, const struct sock_filter *p, size_t len)
{
	size_t pids = 0;

	printf("static const struct sock_filter seccomp_bpf_%s[%zu] = {\n", name, len);
	for (size_t i = 0; i < len; i++)
		printf("\t{0x%04x, %u, %u, 0x%08x},\n", p[i].code, p[i].jt, p[i].jf,
		       p[i].k);
	printf("};\n\n");
	printf("static const unsigned short seccomp_pid_%s[] = {", name);
	for (size_t i = 0; i < len; i++) {
		if (p[i].k != SECCOMP_GEN_PID)
			continue;
		/* only ever a comparison with the argument's (low) word */
		if (p[i].code != (BPF_JMP | BPF_JEQ | BPF_K) || i > 0xffff) {
			fprintf(
			    stderr,
			    "seccomp-gen: %s: the pid placeholder in instruction %zu\n",
			    name, i);
			return -1;
		}
		printf("%s%zu", pids++ ? ", " : "", i);
	}
	printf("};\n\n");
	/* tgkill's and tkill's rules: one comparison each */
	if (pids < 2) {
		fprintf(stderr, "seccomp-gen: %s: %zu pid comparisons, not 2 or more\n",
			name, pids);
		return -1;
	}
	return 0;
}

/*
 * The names of the numbers SECCOMP_NAMES_BASE + [0, SECCOMP_NAMES_COUNT),
 * in order, each ended by a NUL (an empty one for a number without a
 * call): the handler skips nr - base of them.  Smaller than an offset table.
 */
static void print_names(uint32_t arch)
{
	int base = seccomp_syscall_resolve_name_arch(arch, "read") / 1000 * 1000;
	char *names[NAMES_MAX];
	int count = 0;

	for (int i = 0; i < NAMES_MAX; i++) {
		names[i] = seccomp_syscall_resolve_num_arch(arch, base + i);
		if (names[i] != NULL)
			count = i + 1;
	}
	printf("enum { SECCOMP_NAMES_BASE = %d, SECCOMP_NAMES_COUNT = %d };\n\n", base,
	       count);
	printf("static const char seccomp_names[] =");
	for (int i = 0; i < NAMES_MAX; i++) {
		if (i < count)
			printf("\n\t\"%s\\0\" /* %d */", names[i] ? names[i] : "",
			       base + i);
		free(names[i]);
	}
	printf(";\n");
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "native";
	uint32_t arch = strcmp(name, "native") == 0 ? seccomp_arch_native()
						    : seccomp_arch_resolve_name(name);
	struct sock_filter *single = NULL, *threads = NULL;
	size_t n_single = 0, n_threads = 0;
	int err;

	if (argc > 2 || arch == 0) {
		fprintf(stderr,
			"usage: seccomp-gen [native|x86_64|aarch64|arm|mipsel|...]\n");
		return 2;
	}
	err = export_filter(arch, false, &single, &n_single);
	if (err < 0)
		return fail("single-threaded filter", err);
	err = export_filter(arch, true, &threads, &n_threads);
	if (err < 0)
		return fail("filter with threads", err);

	printf("/* Generated by scripts/seccomp-gen.c from src/os/linux/sandbox_rules.h\n"
	       " * with libseccomp %u.%u.%u for %s: do not edit. */\n\n",
	       seccomp_version()->major, seccomp_version()->minor,
	       seccomp_version()->micro, name);
	printf("#include <linux/filter.h>\n\n");
	printf("#define SECCOMP_GEN_PID 0x%08xu\n\n", SECCOMP_GEN_PID);
	if (print_filter("single", single, n_single) < 0 ||
	    print_filter("threads", threads, n_threads) < 0)
		return 1;
	print_names(arch);
	free(single);
	free(threads);
	return fflush(stdout) == 0 ? 0 : fail("stdout", errno);
}
