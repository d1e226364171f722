/* escape_probe: tries one thing a container must not be able to do and prints "ok" or
 * the errno name it got. Linked statically, copied into the test image, and run by
 * namespace_e2e_tests under hull and under crun. Usage: escape_probe ACTION [ARG]. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int report(long rc) {
  if (rc >= 0) {
    printf("ok\n");
    return 0;
  }
  printf("%s\n", strerrorname_np(errno));
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* a = argv[1];
  if (!strcmp(a, "mount")) return report(mount("none", "/mnt", "tmpfs", 0, NULL));
  if (!strcmp(a, "ptrace")) return report(ptrace(PTRACE_ATTACH, atoi(argv[2]), 0, 0));
  if (!strcmp(a, "kill")) return report(kill(atoi(argv[2]), 0));
  if (!strcmp(a, "reboot")) return report(syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF, 0));
  if (!strcmp(a, "init_module")) return report(syscall(SYS_init_module, "", 0, ""));
  if (!strcmp(a, "raw_socket")) return report(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  if (!strcmp(a, "unshare")) return report(unshare(CLONE_NEWNS));
  if (!strcmp(a, "sysctl")) {
    int fd = open("/proc/sys/kernel/hostname", O_WRONLY);
    if (fd < 0) return report(-1);
    return report(write(fd, "escaped", 7));
  }
  if (!strcmp(a, "disk")) {  /* a block device node made in the container, then opened */
    if (mknod("/tmp/disk", S_IFBLK | 0600, makedev(254, 0)) != 0 && errno != EEXIST) return report(-1);
    return report(open("/tmp/disk", O_RDONLY));
  }
  if (!strcmp(a, "chroot")) return report(chroot("/"));
  return 2;
}
