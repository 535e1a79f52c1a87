/*
 * sandboxrt-validator: runs INSIDE a container and reports what the container looks like from the
 * inside, one "key=value" line per fact (in the style of youki's runtimetest). The integration tests
 * compare these facts with the spec the container was created from, so that isolation is asserted
 * from the far side of the boundary. Built statically by the tests: gcc -static -O2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/keyctl.h>

static void fact(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fact(const char *key, const char *fmt, ...) {
    va_list ap;
    printf("%s=", key);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static const char *err(int rc) { return rc == 0 ? "ok" : strerrorname_np(errno) ? strerrorname_np(errno) : "E?"; }

static void status_field(const char *name) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[512];
    size_t n = strlen(name);
    if (!f) { fact(name, "unreadable"); return; }
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, name, n) && line[n] == ':') {
            char *v = line + n + 1;
            while (*v == ' ' || *v == '\t') v++;
            v[strcspn(v, "\n")] = 0;
            fact(name, "%s", v);
        }
    fclose(f);
}

static void file_fact(const char *key, const char *path) {
    char buf[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { fact(key, "!%s", strerrorname_np(errno)); return; }
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r < 0) { fact(key, "!%s", strerrorname_np(errno)); return; }
    buf[r] = 0;
    for (char *p = buf; *p; p++) if (*p == '\n') *p = (p[1] ? ';' : 0);
    fact(key, "%s", buf);
}

static void link_fact(const char *key, const char *path) {
    char buf[256];
    ssize_t r = readlink(path, buf, sizeof buf - 1);
    if (r < 0) { fact(key, "!%s", strerrorname_np(errno)); return; }
    buf[r] = 0;
    fact(key, "%s", buf);
}

static void write_probe(const char *key, const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) { fact(key, "%s", strerrorname_np(errno)); return; }
    close(fd);
    if (strcmp(path, "/proc/sysrq-trigger")) unlink(path);
    fact(key, "ok");
}

int main(int argc, char **argv) {
    struct utsname u;
    uname(&u);
    fact("pid", "%d", getpid());
    fact("ppid", "%d", getppid());
    fact("hostname", "%s", u.nodename);
    fact("domainname", "%s", u.domainname);
    fact("kernel", "%s", u.release);
    fact("uid", "%u", getuid());
    fact("gid", "%u", getgid());
    fact("euid", "%u", geteuid());
    gid_t groups[64];
    int ng = getgroups(64, groups);
    printf("groups=");
    for (int i = 0; i < ng; i++) printf(i ? ",%u" : "%u", groups[i]);
    putchar('\n');
    mode_t m = umask(0); umask(m);
    fact("umask", "%04o", m);
    char cwd[512];
    fact("cwd", "%s", getcwd(cwd, sizeof cwd) ? cwd : "?");
    status_field("CapInh"); status_field("CapPrm"); status_field("CapEff"); status_field("CapBnd"); status_field("CapAmb");
    status_field("NoNewPrivs"); status_field("Seccomp");
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl); fact("rlimit_nofile", "%llu:%llu", (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
    getrlimit(RLIMIT_NPROC, &rl); fact("rlimit_nproc", "%llu:%llu", (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
    file_fact("oom_score_adj", "/proc/self/oom_score_adj");
    const char *ns[] = {"pid", "net", "ipc", "uts", "mnt", "cgroup"};
    for (int i = 0; i < 6; i++) { char p[64], k[64]; snprintf(p, sizeof p, "/proc/self/ns/%s", ns[i]); snprintf(k, sizeof k, "ns_%s", ns[i]); link_fact(k, p); }
    file_fact("cgroup", "/proc/self/cgroup");
    file_fact("net_dev", "/proc/net/dev");
    file_fact("memory_max", "/sys/fs/cgroup/memory.max");
    file_fact("pids_max", "/sys/fs/cgroup/pids.max");
    file_fact("cpu_max", "/sys/fs/cgroup/cpu.max");
    file_fact("cpu_weight", "/sys/fs/cgroup/cpu.weight");
    file_fact("sysctl_unprivileged_port_start", "/proc/sys/net/ipv4/ip_unprivileged_port_start");
    file_fact("mountinfo", "/proc/self/mountinfo");
    /* masked paths: a file masked by /dev/null reads empty, a masked directory is an empty tmpfs */
    struct stat st;
    if (stat("/proc/kcore", &st) == 0) fact("kcore", "%s %u:%u", S_ISCHR(st.st_mode) ? "char" : "other", major(st.st_rdev), minor(st.st_rdev));
    else fact("kcore", "!%s", strerrorname_np(errno));
    /* read-only paths and root */
    write_probe("write_sysrq_trigger", "/proc/sysrq-trigger");
    write_probe("write_root", "/.validator-probe");
    write_probe("write_tmp", "/tmp/.validator-probe");
    /* seccomp probes: errno names, "ok" when allowed */
    fact("sc_keyctl", "%s", err(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) < 0 ? -1 : 0));
    fact("sc_unshare_uts", "%s", err(unshare(CLONE_NEWUTS)));
    fact("sc_clone3", "%s", err(syscall(435, NULL, 0) < 0 ? -1 : 0));
    fact("sc_personality_query", "%s", err(syscall(SYS_personality, 0xffffffffUL) < 0 ? -1 : 0));
    /* a scratch directory, unmounted again if the mount succeeded (never mount over anything real) */
    /* /dev is a writable tmpfs in every spec that mounts one; the rootfs may be read-only */
    mkdir("/dev/.validator-mnt", 0700);
    int mrc = mount("none", "/dev/.validator-mnt", "tmpfs", 0, NULL);
    fact("sc_mount_tmpfs", "%s", err(mrc));
    if (mrc == 0) umount2("/dev/.validator-mnt", MNT_DETACH);
    rmdir("/dev/.validator-mnt");
    /* device cgroup: a device node the container may create but not open */
    unlink("/dev/probe-kmsg");
    if (mknod("/dev/probe-kmsg", S_IFCHR | 0600, makedev(1, 11)) == 0) {
        int fd = open("/dev/probe-kmsg", O_RDONLY);
        fact("open_kmsg_node", "%s", fd < 0 ? strerrorname_np(errno) : "ok");
        if (fd >= 0) close(fd);
        unlink("/dev/probe-kmsg");
    } else fact("open_kmsg_node", "mknod:%s", strerrorname_np(errno));
    /* the same for a device the rules allow (1:3, like /dev/null) */
    unlink("/dev/probe-null");
    if (mknod("/dev/probe-null", S_IFCHR | 0600, makedev(1, 3)) == 0) {
        int nfd = open("/dev/probe-null", O_WRONLY);
        fact("open_null_node", "%s", nfd < 0 ? strerrorname_np(errno) : "ok");
        if (nfd >= 0) close(nfd);
        unlink("/dev/probe-null");
    } else fact("open_null_node", "mknod:%s", strerrorname_np(errno));
    int fd = open("/dev/null", O_WRONLY);
    fact("open_dev_null", "%s", fd < 0 ? strerrorname_np(errno) : "ok");
    if (fd >= 0) close(fd);
    for (char **e = environ; *e; e++) fact("env", "%s", *e);
    for (int i = 1; i < argc; i++) fact("arg", "%s", argv[i]);
    fact("done", "1");
    return 0;
}
