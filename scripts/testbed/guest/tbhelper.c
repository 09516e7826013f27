/* tbhelper: small static helper for the kharden QEMU test bed guest (scripts/testbed).
 *
 * Every probe prints one line "<name> <errno> <ERRNAME>" (errno 0 / OK on success) so that
 * /init can copy it into OBSERVED without parsing prose. Runs only inside the throw-away VM:
 * some probes (finit_module, kexec_load as root) change kernel state.
 *
 *   tbhelper runas UID PROG [ARGS...]   drop to UID/GID (no groups) and exec PROG
 *   tbhelper finit PATH                 finit_module(PATH)
 *   tbhelper open PATH [read]           open(PATH, O_RDONLY) [and read 64 bytes]
 *   tbhelper kexec                      kexec_load(0, 0, NULL, 0)  (as root: "unload", harmless here)
 *   tbhelper syslog                     klogctl(SYSLOG_ACTION_READ_ALL) (what dmesg does)
 *   tbhelper copy DEST DIR...           copy the readable regular files under each DIR to DEST/DIR
 *                                       (content as read: /proc and /sys report size 0)
 *
 * Readiness proof (scripts/testbed/readiness-guest.py): each of these prints its line(s) and,
 * with "hold", then sleeps forever with the descriptors open (a blocker for kharden to find):
 *   tbhelper hold PATH [rw]             open(PATH, O_RDONLY or O_RDWR)
 *   tbhelper kexec-crash                kexec_load(0, 0, NULL, KEXEC_ON_CRASH): what kdump's
 *                                       "kexec -p" calls (no segments: unloads, harmless)
 *   tbhelper kexec-file-crash           kexec_file_load(-1, -1, 0, "", UNLOAD|ON_CRASH) ("kexec -s -p")
 *   tbhelper kexec-file-load-crash PATH kexec_file_load(PATH, no initrd, ON_CRASH): load PATH as the
 *                                       crash kernel (what "kexec -s -p PATH" calls; needs
 *                                       crashkernel= on the command line)
 *   tbhelper kexec-file-load PATH       the same for a kexec reboot ("kexec -s -l PATH")
 *   tbhelper bpf-kprobe [hold]          BPF_PROG_LOAD of a kprobe program that reads kernel memory
 *                                       (bpf_probe_read_kernel, as bcc/bpftrace programs do), then
 *                                       a kprobe perf event on __x64_sys_getppid with it attached
 *   tbhelper bpf-write-user [hold]      BPF_PROG_LOAD of a kprobe program that calls
 *                                       bpf_probe_write_user (the kernel logs its loader)
 *   tbhelper perf-regs-intr [hold]      perf_event_open of a sampling cpu-clock event recording
 *                                       the interrupted registers (PERF_SAMPLE_REGS_INTR)
 *   tbhelper perf-count                 perf_event_open of a plain counting cpu-clock event
 *   tbhelper write PATH TEXT            open(PATH, O_WRONLY) and write TEXT (e.g. "disk" to
 *                                       /sys/power/state: only where hibernation is refused)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <linux/bpf.h>
#include <linux/kexec.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *copy_dest;

static void mkparents(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
}

/* Copy one file; an unreadable one (write-only sysctl, EPERM/EIO on read) leaves nothing. */
static int copy_one(const char *src, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	static char buf[1 << 16];
	char dst[4096];
	snprintf(dst, sizeof(dst), "%s%s", copy_dest, src);
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (in < 0)
		return 0;
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) && (n = read(in, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	int failed = n < 0;
	close(in);
	if (failed)
		return 0;
	mkparents(dst);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0 || write(out, buf, len) != (ssize_t)len)
		fprintf(stderr, "tbhelper: copy %s: %s\n", dst, strerror(errno));
	if (out >= 0)
		close(out);
	return 0;
}

static int report(const char *what, long r, int err)
{
	if (r < 0)
		printf("%s %d %s\n", what, err, strerrorname_np(err) ? strerrorname_np(err) : "E?");
	else
		printf("%s 0 OK\n", what);
	return r < 0 ? 1 : 0;
}

static long perf_open(struct perf_event_attr *a, int pid, int cpu)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static void hold_forever(int argc, char **argv, int at)
{
	fflush(stdout);
	if (argc > at && !strcmp(argv[at], "hold"))
		for (;;)
			pause();
}

/* Load a BPF_PROG_TYPE_KPROBE program of n instructions named `name`: its fd, or -1 with the
 * errno in *err and the verifier's log on stderr. */
static int load_kprobe_prog(const struct bpf_insn *insns, size_t n, const char *name, int *err)
{
	static char log[4096];
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_KPROBE;
	a.insns = (unsigned long)insns;
	a.insn_cnt = (unsigned)n;
	a.license = (unsigned long)"GPL";
	a.log_buf = (unsigned long)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	strncpy(a.prog_name, name, sizeof(a.prog_name) - 1);
	int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	*err = errno;
	if (prog < 0 && log[0])
		fprintf(stderr, "%s", log);
	return prog;
}

/* r1 = fp - 8; r2 = 8; r3 = 0; call bpf_probe_read_kernel; r0 = 0; exit */
static int bpf_kprobe(int argc, char **argv)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 1, .src_reg = 10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 1, .imm = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 2, .imm = 8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_probe_read_kernel },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int err;
	/* A refusal prints the verifier's reason, e.g. "unknown func bpf_probe_read_kernel#113". */
	int prog = load_kprobe_prog(insns, sizeof(insns) / sizeof(insns[0]), "tb_kprobe", &err);
	report("bpf_prog_load", prog, err);
	/* the kprobe PMU (kernel/trace/trace_event_perf.c): config1 = function name */
	int type = -1;
	FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");
	if (!f || fscanf(f, "%d", &type) != 1)
		type = -1;
	if (f)
		fclose(f);
	struct perf_event_attr pa;
	memset(&pa, 0, sizeof(pa));
	pa.type = (unsigned)type;
	pa.size = sizeof(pa);
	pa.config1 = (unsigned long)"__x64_sys_getppid";
	pa.sample_period = 1;
	pa.sample_type = PERF_SAMPLE_RAW;
	pa.wakeup_events = 1;
	long ev = type < 0 ? (errno = ENOENT, -1) : perf_open(&pa, -1, 0);
	report("kprobe_perf_event_open", ev, errno);
	if (prog >= 0 && ev >= 0) {
		long r = ioctl((int)ev, PERF_EVENT_IOC_SET_BPF, prog);
		report("kprobe_attach", r, errno);
		ioctl((int)ev, PERF_EVENT_IOC_ENABLE, 0);
	}
	if (prog >= 0)
		hold_forever(argc, argv, 2);
	return prog < 0;
}

/* *(u64 *)(fp - 8) = 0; r1 = 0; r2 = fp - 8; r3 = 8; call bpf_probe_write_user; r0 = 0; exit.
 * Lockdown integrity removes the helper (LOCKDOWN_BPF_WRITE_USER): the verifier refuses it. */
static int bpf_write_user(int argc, char **argv)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 10, .off = -8, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 1, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = 8 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_probe_write_user },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int err;
	/* A refusal prints "unknown func bpf_probe_write_user#36". */
	int prog = load_kprobe_prog(insns, sizeof(insns) / sizeof(insns[0]), "tb_write_user", &err);
	report("bpf_prog_load_write_user", prog, err);
	if (prog >= 0)
		hold_forever(argc, argv, 2);
	return prog < 0;
}

/* LOCKDOWN_PERF (kernel/events/core.c, perf_event_open) refuses PERF_SAMPLE_REGS_INTR only. */
static int perf_event(int argc, char **argv, int regs_intr)
{
	struct perf_event_attr pa;
	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_SOFTWARE;
	pa.size = sizeof(pa);
	pa.config = PERF_COUNT_SW_CPU_CLOCK;
	if (regs_intr) {
		pa.sample_period = 1000000;
		pa.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_REGS_INTR;
		pa.sample_regs_intr = 1ULL << 8; /* PERF_REG_X86_IP (asm/perf_regs.h) */
	}
	long fd = perf_open(&pa, 0, -1);
	report(regs_intr ? "perf_event_open_regs_intr" : "perf_event_open_count", fd, errno);
	if (fd >= 0)
		hold_forever(argc, argv, 2);
	return fd < 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "runas") && argc > 3) {
		uid_t u = (uid_t)atoi(argv[2]);
		if (setgroups(0, NULL) || setgid(u) || setuid(u)) {
			perror("tbhelper: setuid");
			return 127;
		}
		execv(argv[3], argv + 3);
		perror("tbhelper: execv");
		return 127;
	}
	if (!strcmp(argv[1], "finit") && argc > 2) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return report("open", -1, errno);
		long r = syscall(SYS_finit_module, fd, "", 0);
		return report("finit_module", r, errno);
	}
	if (!strcmp(argv[1], "open") && argc > 2) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0 || argc < 4)
			return report("open", fd, errno);
		char b[64];
		long n = read(fd, b, sizeof(b));
		return report("read", n, errno);
	}
	if (!strcmp(argv[1], "kexec")) {
		long r = syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL);
		return report("kexec_load", r, errno);
	}
	if (!strcmp(argv[1], "kexec-crash")) {
		long r = syscall(SYS_kexec_load, 0UL, 0UL, NULL, (unsigned long)KEXEC_ON_CRASH);
		return report("kexec_load_crash", r, errno);
	}
	if (!strcmp(argv[1], "kexec-file-crash")) {
		long r = syscall(SYS_kexec_file_load, -1, -1, 0UL, "",
				 (unsigned long)(KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH));
		return report("kexec_file_load_crash", r, errno);
	}
	if ((!strcmp(argv[1], "kexec-file-load-crash") || !strcmp(argv[1], "kexec-file-load")) &&
	    argc > 2) {
		static const char cmdline[] = "console=ttyS0 reset_devices";
		int crash = !strcmp(argv[1], "kexec-file-load-crash");
		const char *name = crash ? "kexec_file_load_crash_image" : "kexec_file_load_image";
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return report(name, -1, errno);
		long r = syscall(SYS_kexec_file_load, fd, -1, sizeof(cmdline), cmdline,
				 (unsigned long)((crash ? KEXEC_FILE_ON_CRASH : 0) | KEXEC_FILE_NO_INITRAMFS));
		return report(name, r, errno);
	}
	if (!strcmp(argv[1], "hold") && argc > 2) {
		int rw = argc > 3 && !strcmp(argv[3], "rw");
		int fd = open(argv[2], (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		report(rw ? "open_rw" : "open", fd, errno);
		if (fd < 0)
			return 1;
		fflush(stdout);
		for (;;)
			pause();
	}
	if (!strcmp(argv[1], "write") && argc > 3) {
		int fd = open(argv[2], O_WRONLY | O_CLOEXEC);
		if (fd < 0) /* refused at open (tracefs under lockdown) or at write: one name */
			return report("write", -1, errno);
		long n = write(fd, argv[3], strlen(argv[3]));
		return report("write", n, errno);
	}
	if (!strcmp(argv[1], "bpf-kprobe"))
		return bpf_kprobe(argc, argv);
	if (!strcmp(argv[1], "bpf-write-user"))
		return bpf_write_user(argc, argv);
	if (!strcmp(argv[1], "perf-regs-intr"))
		return perf_event(argc, argv, 1);
	if (!strcmp(argv[1], "perf-count"))
		return perf_event(argc, argv, 0);
	if (!strcmp(argv[1], "copy") && argc > 3) {
		copy_dest = argv[2];
		for (int i = 3; i < argc; i++)
			nftw(argv[i], copy_one, 16, FTW_PHYS);
		return 0;
	}
	if (!strcmp(argv[1], "syslog")) {
		static char buf[4096];
		long r = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf));
		return report("syslog", r, errno);
	}
	return 2;
}
