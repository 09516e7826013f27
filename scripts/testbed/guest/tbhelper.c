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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
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
