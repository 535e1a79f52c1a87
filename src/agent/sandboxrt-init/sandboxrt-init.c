/*
 * sandboxrt-init: the per-container init, a small static program the agent spawns for each container's
 * first process and each exec'd one, instead of re-executing its own 13 MiB NativeAOT binary: under
 * emulation that runtime's start-up alone cost 0.4-0.6 s per process. It is the only container init:
 * the agent refuses to build containers in an image without it.
 *
 * For a new container it builds the root file system (mounts walked inside the rootfs on descriptors,
 * see target_in_root), pivots into it and sets the container up; for an exec it joins the container's
 * mount namespace; both then wait for Start and finish the process as runc does. The hooks that run
 * inside the container (createContainer after pivot_root, startContainer after Start) are run from here
 * too, each with the state JSON on its stdin.
 *
 * It decides nothing. The agent (C#, src/agent/SandboxRt.Agent/Init/InitPlan*.cs) validates the spec and
 * turns it into a plan: a list of operations, each naming the step (often a spec field) that its errors
 * report. This program runs them in order and, at the READY operation, tells the agent and waits for
 * Start. The order of the finishing operations is runc's (finalizeNamespace; see FinalizerPlan.cs).
 *
 * Descriptors on entry: 0-2 the workload's stdio, 3 the init socket (AF_UNIX stream, messages with a
 * 4-byte big-endian length, a descriptor optionally attached to the header), 4 for exec the container's
 * mount namespace. The agent's messages to us: the plan (binary, "SRI1" then operations), the
 * hooks' state JSON when the plan has hooks (OP_HOOK_STATE), then {"type":"start"} for a container
 * (an exec's plan has no READY: it runs straight to execve). Ours to it, JSON (the agent's InitMessage): pty-master (with the master attached),
 * ready, warning, error. A successful execve closes our close-on-exec end of the socket: the agent
 * reads end-of-stream as "started". Exit status: 127 when the program is missing, 126 when it cannot be
 * executed, 1 for any other failure; the error message says which step failed and why.
 *
 * Wire format (little-endian): u8 opcode, str step, then the operation's arguments; str is a u32 byte
 * count and the bytes (no NUL inside: the agent refuses such strings), list is a u32 count then items.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <poll.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>
#include <grp.h>
#include <net/if.h>

#define SOCKET_FD 3
#define MAX_MESSAGE (8u << 20)
#define MAX_ITEMS 65536u

enum {
    OP_SETNS = 1,        /* i32 fd, i32 nstype; then chdir("/") */
    OP_UNSHARE = 2,      /* i32 flags */
    OP_TERMINAL = 3,     /* u8 bind_console, u8 has_size, u16 rows, u16 cols */
    OP_RLIMIT = 4,       /* i32 resource, u64 soft, u64 hard */
    OP_WRITE_FILE = 5,   /* str path, str text */
    OP_READY = 6,        /* send ready, wait for start */
    OP_CHDIR = 7,        /* str path */
    OP_SIGNALS = 8,      /* ignored signals back to default, empty mask */
    OP_SECCOMP = 9,      /* u32 flags, u32 count, count x struct sock_filter */
    OP_BOUNDING = 10,    /* u64 keep, i32 last capability */
    OP_USER = 11,        /* u32 uid, u32 gid, list u32 groups */
    OP_CAPS = 12,        /* u64 effective, u64 permitted, u64 inheritable; clears the ambient set */
    OP_AMBIENT = 13,     /* i32 capability, str name */
    OP_UMASK = 14,       /* u32 mask */
    OP_NO_NEW_PRIVS = 15,
    OP_RESOLVE = 16,     /* str program, list str args, list str env, u8 add_home, u32 uid: before any filter */
    OP_EXEC = 17,        /* execve what OP_RESOLVE found */
    OP_MOUNT = 18,       /* str source, str target, str type, u64 flags, str data ("" is NULL); the path as the kernel resolves it */
    OP_MOUNT_IN_ROOT = 19, /* str root, str destination, u8 file, str source, str type, u64 flags, str data, u64 remount, list u64 propagation */
    OP_MKNOD_IN_ROOT = 20, /* str root, str path, u8 character, u32 major, u32 minor, u32 mode, u32 uid, u32 gid */
    OP_SYMLINK_IN_ROOT = 21, /* str root, str target, str link: unless something is there */
    OP_MKDIR_IN_ROOT = 22, /* str root, str path */
    OP_PIVOT_ROOT = 23,  /* str rootfs */
    OP_HOSTNAME = 24,    /* u8 domain, str name */
    OP_READONLY_PATH = 25, /* str path: bind it onto itself read-only, when it exists */
    OP_MASK_PATH = 26,   /* str path: a read-only tmpfs over a directory, /dev/null over anything else */
    OP_LINK_UP = 27,     /* str interface */
    OP_HOOK_STATE = 28,  /* receive the next message: the state JSON that the hooks read on stdin */
    OP_HOOK = 29,        /* str path, list str args, list str env, u32 timeout seconds */
    OP_CHECK_PROGRAM = 30, /* str program, list str env: it can be found and executed (before ready) */
    OP_TMPFS_IN_ROOT = 31, /* str root, str destination, str source, u64 flags, str data, u8 copy_up, list u64 propagation */
};

static const char *current_step = "init";

/* ---- messages to the agent ---- */

static int send_all(const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(SOCKET_FD, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One message; attach >= 0 travels with its 4-byte header, as FdPassingSocket expects. */
static int send_message(const char *json, int attach) {
    uint32_t len = (uint32_t)strlen(json);
    unsigned char header[4] = {len >> 24, len >> 16, len >> 8, len};
    struct iovec iov = {header, 4};
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } control;
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (attach >= 0) {
        memset(&control, 0, sizeof control);
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof control.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &attach, sizeof(int));
    }
    ssize_t n;
    do n = sendmsg(SOCKET_FD, &msg, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    if (n != 4) return -1;
    return send_all(json, len);
}

/* Appends s to out as the inside of a JSON string. */
static void json_escape(char *out, size_t cap, const char *s) {
    size_t o = strlen(out);
    for (; *s && o + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { out[o++] = '\\'; out[o++] = (char)c; }
        else if (c < 0x20) o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
        else out[o++] = (char)c;
    }
    out[o] = 0;
}

static void send_report(const char *type, const char *step, const char *text, int errno_value) {
    static char json[16384];
    snprintf(json, sizeof json, "{\"type\":\"%s\",\"step\":\"", type);
    json_escape(json, sizeof json - 64, step);
    strcat(json, "\",\"error\":\"");
    json_escape(json, sizeof json - 64, text);
    size_t o = strlen(json);
    if (errno_value > 0) snprintf(json + o, sizeof json - o, "\",\"errno\":%d}", errno_value);
    else snprintf(json + o, sizeof json - o, "\"}");
    send_message(json, -1);
}

/* Reports a failure of the current step, in SyscallException's form, and exits. */
__attribute__((noreturn, format(printf, 2, 3)))
static void fail_errno(int e, const char *fmt, ...) {
    char call[4096], text[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call, sizeof call, fmt, ap);
    va_end(ap);
    const char *name = strerrorname_np(e);
    snprintf(text, sizeof text, "%s: %s: %s (%s)", current_step, call, name ? name : "errno", strerror(e));
    send_report("error", current_step, text, -1);
    _exit(1);
}

__attribute__((noreturn))
static void fail_text(const char *text) {
    char message[8192];
    snprintf(message, sizeof message, "%s: %s", current_step, text);
    send_report("error", current_step, message, -1);
    _exit(1);
}

/* ---- reading the plan ---- */

struct reader { const unsigned char *p, *end; };

static void need(struct reader *r, size_t n) {
    if ((size_t)(r->end - r->p) < n) { current_step = "init"; fail_text("init protocol: the plan ends inside an operation"); }
}
static uint8_t u8(struct reader *r) { need(r, 1); return *r->p++; }
static uint16_t u16(struct reader *r) { uint16_t v; need(r, 2); memcpy(&v, r->p, 2); r->p += 2; return v; }
static uint32_t u32(struct reader *r) { uint32_t v; need(r, 4); memcpy(&v, r->p, 4); r->p += 4; return v; }
static uint64_t u64(struct reader *r) { uint64_t v; need(r, 8); memcpy(&v, r->p, 8); r->p += 8; return v; }

/* A NUL-terminated copy of the next string. */
static char *str(struct reader *r) {
    uint32_t n = u32(r);
    need(r, n);
    if (memchr(r->p, 0, n)) { current_step = "init"; fail_text("init protocol: a string with a NUL byte"); }
    char *s = malloc((size_t)n + 1);
    if (!s) fail_errno(ENOMEM, "malloc");
    memcpy(s, r->p, n);
    s[n] = 0;
    r->p += n;
    return s;
}

static char **str_list(struct reader *r) {
    uint32_t n = u32(r);
    if (n > MAX_ITEMS) { current_step = "init"; fail_text("init protocol: a list too long"); }
    char **list = calloc((size_t)n + 1, sizeof(char *));
    if (!list) fail_errno(ENOMEM, "calloc");
    for (uint32_t i = 0; i < n; i++) list[i] = str(r);
    return list;
}

/* Reads one message into *out; returns its length, 0 at end of stream. */
static ssize_t receive_message(unsigned char **out) {
    unsigned char header[4];
    size_t got = 0;
    while (got < 4) {
        ssize_t n = read(SOCKET_FD, header + got, 4 - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno(errno, "read(init socket)");
        if (n == 0) return 0;
        got += (size_t)n;
    }
    uint32_t len = (uint32_t)header[0] << 24 | (uint32_t)header[1] << 16 | (uint32_t)header[2] << 8 | header[3];
    if (len == 0 || len > MAX_MESSAGE) fail_text("init protocol: a message of a bad length");
    unsigned char *buf = malloc(len);
    if (!buf) fail_errno(ENOMEM, "malloc");
    for (got = 0; got < len;) {
        ssize_t n = read(SOCKET_FD, buf + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail_text("init protocol: the agent closed the socket inside a message");
        got += (size_t)n;
    }
    *out = buf;
    return (ssize_t)len;
}

/* ---- operations ---- */

static void op_terminal(struct reader *r) {
    uint8_t bind_console = u8(r), has_size = u8(r);
    uint16_t rows = u16(r), cols = u16(r);
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) fail_errno(errno, "open(\"/dev/ptmx\") (does the container mount devpts at /dev/pts?)");
    if (unlockpt(master) != 0) fail_errno(errno, "unlockpt");
    char slave_path[64];
    if (ptsname_r(master, slave_path, sizeof slave_path) != 0) fail_errno(errno, "ptsname");
    int slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) fail_errno(errno, "open(\"%s\")", slave_path);
    if (has_size) {
        struct winsize ws = {.ws_row = rows, .ws_col = cols};
        if (ioctl(slave, TIOCSWINSZ, &ws) != 0) fail_errno(errno, "ioctl(TIOCSWINSZ)");
    }
    if (bind_console) {
        struct stat st;
        if (stat("/dev/console", &st) != 0 || S_ISDIR(st.st_mode)) {
            int fd = open("/dev/console", O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (fd < 0) fail_errno(errno, "open(\"/dev/console\")");
            close(fd);
        }
        if (mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) != 0) fail_errno(errno, "mount(\"%s\", \"/dev/console\")", slave_path);
    }
    if (send_message("{\"type\":\"pty-master\"}", master) != 0) fail_errno(errno, "sendmsg(pty master)");
    close(master);
    if (ioctl(slave, TIOCSCTTY, 0) != 0) fail_errno(errno, "ioctl(TIOCSCTTY)");
    for (int fd = 0; fd <= 2; fd++)
        if (dup2(slave, fd) < 0) fail_errno(errno, "dup2(terminal, %d)", fd);
    close(slave);
}

static void op_write_file(struct reader *r) {
    char *path = str(r), *text = str(r);
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) fail_errno(errno, "open(\"%s\")", path);
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len) fail_errno(errno, "write(\"%s\")", path);
    close(fd);
}

static void op_ready(void) {
    if (send_message("{\"type\":\"ready\"}", -1) != 0) fail_errno(errno, "sendmsg(ready)");
    unsigned char *msg = NULL;
    ssize_t n = receive_message(&msg);
    static const char start[] = "{\"type\":\"start\"";
    /* The agent gave up on this process (removed before start): end quietly, without exec. */
    if (n < (ssize_t)(sizeof start - 1) || memcmp(msg, start, sizeof start - 1) != 0) _exit(1);
    free(msg);
}

/* The kernel's struct sigaction (x86_64): glibc's sigaction() refuses 32 and 33, which the agent's glibc
   ignores and an ignored signal survives execve; the raw call reaches all of them. */
struct kernel_sigaction { void (*handler)(int); unsigned long flags; void (*restorer)(void); uint64_t mask; };

/* Ignored signals back to their default and nothing blocked: what a hook or the workload starts with.
   Returns 0, the signal that could not be reset, or -1 when the mask could not be cleared. */
static int default_signals(void) {
    struct kernel_sigaction dfl = {.handler = SIG_DFL}, old;
    for (int s = 1; s <= 64; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        memset(&old, 0, sizeof old);
        if (syscall(SYS_rt_sigaction, s, NULL, &old, sizeof(uint64_t)) == 0 && old.handler == SIG_IGN
            && syscall(SYS_rt_sigaction, s, &dfl, NULL, sizeof(uint64_t)) != 0)
            return s;
    }
    uint64_t empty = 0;
    if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL, sizeof empty) != 0) return -1;
    return 0;
}

static void op_signals(void) {
    int s = default_signals();
    if (s > 0) fail_errno(errno, "rt_sigaction(\"signal %d to SIG_DFL\")", s);
    if (s < 0) fail_errno(errno, "rt_sigprocmask");
}

static void op_seccomp(struct reader *r) {
    uint32_t flags = u32(r), count = u32(r);
    if (count == 0 || count > BPF_MAXINSNS) fail_text("a seccomp filter has 1 to 4096 instructions");
    need(r, (size_t)count * sizeof(struct sock_filter));
    struct sock_filter *filter = malloc((size_t)count * sizeof *filter);
    if (!filter) fail_errno(ENOMEM, "malloc");
    memcpy(filter, r->p, (size_t)count * sizeof *filter);
    r->p += (size_t)count * sizeof *filter;
    struct sock_fprog prog = {.len = (unsigned short)count, .filter = filter};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) < 0)
        fail_errno(errno, "seccomp(\"SECCOMP_SET_MODE_FILTER\", \"flags=0x%x\")", flags);
    free(filter);
}

static void op_bounding(struct reader *r) {
    uint64_t keep = u64(r);
    int32_t last = (int32_t)u32(r);
    for (int cap = 0; cap <= last && cap < 64; cap++)
        if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            fail_errno(errno, "prctl(\"PR_CAPBSET_DROP\", \"%d\")", cap);
}

static void op_user(struct reader *r) {
    uint32_t uid = u32(r), gid = u32(r), n = u32(r);
    if (n > MAX_ITEMS) fail_text("init protocol: too many groups");
    gid_t *groups = calloc(n ? n : 1, sizeof(gid_t));
    if (!groups) fail_errno(ENOMEM, "calloc");
    for (uint32_t i = 0; i < n; i++) groups[i] = u32(r);
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) fail_errno(errno, "prctl(\"PR_SET_KEEPCAPS\")");
    /* The raw system calls: glibc's wrappers would broadcast to threads we do not have. */
    if (syscall(SYS_setgroups, (size_t)n, groups) != 0) fail_errno(errno, "setgroups");
    if (syscall(SYS_setresgid, gid, gid, gid) != 0) fail_errno(errno, "setresgid(\"%u\")", gid);
    if (syscall(SYS_setresuid, uid, uid, uid) != 0) fail_errno(errno, "setresuid(\"%u\")", uid);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) fail_errno(errno, "prctl(\"PR_SET_KEEPCAPS\")");
    free(groups);
}

static void op_caps(struct reader *r) {
    uint64_t e = u64(r), p = u64(r), i = u64(r);
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {
        {(uint32_t)e, (uint32_t)p, (uint32_t)i},
        {(uint32_t)(e >> 32), (uint32_t)(p >> 32), (uint32_t)(i >> 32)},
    };
    if (syscall(SYS_capset, &header, data) != 0) fail_errno(errno, "capset");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) fail_errno(errno, "prctl(\"PR_CAP_AMBIENT_CLEAR_ALL\")");
}

static void op_ambient(struct reader *r) {
    int32_t cap = (int32_t)u32(r);
    char *name = str(r);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) == 0) return;
    if (errno != EPERM) fail_errno(errno, "prctl(\"PR_CAP_AMBIENT_RAISE\", \"%d\")", cap);
    char text[512];
    snprintf(text, sizeof text, "process.capabilities.ambient: can't raise ambient capability %s: EPERM (it is not in both the permitted and the inheritable set); left out, as runc does", name);
    send_report("warning", current_step, text, -1);
}

/* HOME from the container's /etc/passwd for uid, "/" when it has none (as runc does). */
static char *home_of(uint32_t uid) {
    static char home[4096 + 6];
    strcpy(home, "HOME=/");
    FILE *f = fopen("/etc/passwd", "re");
    if (!f) return home;
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        char *fields[7] = {0}, *s = line;
        int n = 0;
        line[strcspn(line, "\n")] = 0;
        while (n < 7 && (fields[n] = strsep(&s, ":")) != NULL) n++;
        if (n < 6 || !fields[2][0]) continue;
        char *end;
        unsigned long u = strtoul(fields[2], &end, 10);
        if (*end || u != uid) continue;
        if (fields[5][0]) snprintf(home, sizeof home, "HOME=%s", fields[5]);
        break;
    }
    fclose(f);
    return home;
}

/* As ExecutableResolver: a name with a slash as is, else the first executable regular file on PATH. */
static const char *resolve(const char *program, char **env) {
    static char candidate[8192];
    if (strchr(program, '/')) return program;
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (char **e = env; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
    char *copy = strdup(path), *s = copy, *dir;
    if (!copy) fail_errno(ENOMEM, "strdup");
    while ((dir = strsep(&s, ":")) != NULL) {
        if (!dir[0]) continue;
        snprintf(candidate, sizeof candidate, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", program);
        struct stat st;
        if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) { free(copy); return candidate; }
    }
    free(copy);
    return NULL;
}

/* ---- paths inside a container's root file system ---- */

/* "" on the wire is NULL for mount(2)'s optional arguments. */
static const char *opt(const char *s) { return s[0] ? s : NULL; }

static int open_root(const char *root) {
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail_errno(errno, "open(\"%s\")", root);
    return fd;
}

/*
 * Walks destination inside root the way SecureJoin does, on descriptors: one component at a time with
 * O_NOFOLLOW beneath the directory reached so far; ".." pops back towards the root and never above it;
 * a symlink's target is spliced in and walked the same way (an absolute one from the root); a missing
 * directory is created, and a missing last component becomes an empty file when `file` is set. Nothing
 * is resolved by path from "/", so neither the image's symlinks nor a volume's can lead outside root,
 * and mounts made earlier in this mount namespace count. Returns an O_PATH descriptor of the result.
 */
#define MAX_DEPTH 255
#define MAX_LINKS 40
static int target_created; /* the last target_in_root made its last component (it was not there) */
static int target_in_root(int rootfd, const char *root, const char *destination, int file) {
    static char rest[2 * 4096], next[2 * 4096], link[4096];
    int fds[MAX_DEPTH + 1], depth = 0, links = 0;
    target_created = 0;
    if (strlen(destination) >= 4096) fail_errno(ENAMETOOLONG, "\"%s\"", root);
    fds[0] = dup(rootfd);
    if (fds[0] < 0) fail_errno(errno, "dup(\"%s\")", root);
    snprintf(rest, sizeof rest, "%s", destination);
    char *cursor = rest;
    for (;;) {
        while (*cursor == '/') cursor++;
        if (!*cursor) break;
        char *end = strchr(cursor, '/');
        size_t len = end ? (size_t)(end - cursor) : strlen(cursor);
        char name[256];
        if (len >= sizeof name) fail_errno(ENAMETOOLONG, "\"%s%s\"", root, destination);
        memcpy(name, cursor, len);
        name[len] = 0;
        cursor += len;
        while (*cursor == '/') cursor++;
        int last = !*cursor;
        if (!strcmp(name, ".")) continue;
        if (!strcmp(name, "..")) {
            if (depth > 0) close(fds[depth--]);
            continue;
        }
        int fd = openat(fds[depth], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
            if (last && file) {
                int created = openat(fds[depth], name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (created < 0 && errno != EEXIST) fail_errno(errno, "openat(\"%s%s\", O_CREAT)", root, destination);
                if (created >= 0) close(created);
                target_created = created >= 0;
            } else if (mkdirat(fds[depth], name, 0755) != 0) {
                if (errno != EEXIST) fail_errno(errno, "mkdirat(\"%s%s\")", root, destination);
            } else if (last) {
                target_created = 1;
            }
            fd = openat(fds[depth], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) fail_errno(errno, "openat(\"%s%s\")", root, destination);
        struct stat st;
        if (fstat(fd, &st) != 0) fail_errno(errno, "fstat(\"%s%s\")", root, destination);
        if (S_ISLNK(st.st_mode)) {
            if (++links > MAX_LINKS) fail_errno(ELOOP, "\"%s%s\"", root, destination);
            ssize_t n = readlinkat(fd, "", link, sizeof link - 1);
            if (n < 0) fail_errno(errno, "readlinkat(\"%s%s\")", root, destination);
            link[n] = 0;
            close(fd);
            if (link[0] == '/')
                while (depth > 0) close(fds[depth--]);
            if ((size_t)snprintf(next, sizeof next, "%s/%s", link, cursor) >= sizeof next)
                fail_errno(ENAMETOOLONG, "\"%s%s\"", root, destination);
            memcpy(rest, next, sizeof rest);
            cursor = rest;
            continue;
        }
        if (last) {
            while (depth >= 0) close(fds[depth--]);
            return fd;
        }
        if (!S_ISDIR(st.st_mode)) fail_errno(ENOTDIR, "\"%s%s\"", root, destination);
        if (depth == MAX_DEPTH) fail_errno(ENAMETOOLONG, "\"%s%s\"", root, destination);
        fds[++depth] = fd;
    }
    /* the destination was the root itself (or walked back to it) */
    int fd = fds[depth];
    while (depth > 0) close(fds[--depth]);
    return fd;
}

/* The parent directory of path inside root (created as needed) as an O_PATH descriptor; *name is the last component. */
static int parent_in_root(int rootfd, const char *root, char *path, char **name) {
    char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    if (!**name || !strcmp(*name, ".") || !strcmp(*name, "..")) fail_errno(EINVAL, "\"%s%s\": no file name", root, path);
    if (!slash) return dup(rootfd);
    *slash = 0;
    int dir = target_in_root(rootfd, root, path, 0);
    *slash = '/';
    return dir;
}

static void mount_fd(const char *source, int fd, const char *shown, const char *type, unsigned long flags, const char *data) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (mount(source, proc, type, flags, data) != 0)
        fail_errno(errno, "mount(\"%s\", \"%s\", \"%s\")", source ? source : "none", shown, type ? type : "none");
}

static void op_mount(struct reader *r) {
    char *source = str(r), *target = str(r), *type = str(r);
    uint64_t flags = u64(r);
    char *data = str(r);
    if (mount(opt(source), target, opt(type), flags, opt(data)) != 0)
        fail_errno(errno, "mount(\"%s\", \"%s\", \"%s\")", source[0] ? source : "none", target, type[0] ? type : "none");
}

/* A mount operation's list of propagation changes (each a separate mount call, in order). */
#define MAX_PROPAGATION 16
static uint32_t propagation_list(struct reader *r, uint64_t out[MAX_PROPAGATION]) {
    uint32_t n = u32(r);
    if (n > MAX_PROPAGATION) fail_text("init protocol: too many propagation flags");
    for (uint32_t i = 0; i < n; i++) out[i] = u64(r);
    return n;
}

static void op_mount_in_root(struct reader *r) {
    char *root = str(r), *destination = str(r);
    uint8_t file = u8(r);
    char *source = str(r), *type = str(r);
    uint64_t flags = u64(r);
    char *data = str(r);
    uint64_t remount = u64(r);
    uint64_t propagation[MAX_PROPAGATION];
    uint32_t n = propagation_list(r, propagation);
    char shown[8192];
    snprintf(shown, sizeof shown, "%s%s", root, destination);
    int rootfd = open_root(root);
    int fd = target_in_root(rootfd, root, destination, file);
    mount_fd(opt(source), fd, shown, opt(type), flags, opt(data));
    close(fd);
    /* Remounts and propagation apply to the mount just made: resolve the destination again to reach it. */
    if (remount || n) {
        fd = target_in_root(rootfd, root, destination, file);
        if (remount) mount_fd(NULL, fd, shown, NULL, MS_REMOUNT | MS_BIND | remount, NULL);
        for (uint32_t i = 0; i < n; i++) mount_fd(NULL, fd, shown, NULL, propagation[i], NULL);
        close(fd);
    }
    close(rootfd);
}

/* ---- tmpfs mounts: the mode of the directory they cover, tmpcopyup ---- */

/* Owner, mode and times of st onto fd (after the owner: chown clears set-id bits). */
static void copy_attributes(int fd, const struct stat *st, const char *shown) {
    struct timespec times[2] = {st->st_atim, st->st_mtim};
    if (fchown(fd, st->st_uid, st->st_gid) != 0 || fchmod(fd, st->st_mode & 07777) != 0 || futimens(fd, times) != 0)
        fail_errno(errno, "tmpcopyup \"%s\": setting owner, mode and times", shown);
}

/*
 * Copies what directory src holds into directory dst (both opened O_RDONLY|O_DIRECTORY): directories,
 * regular files, symlinks and device, fifo nodes, with owners, modes and times; sockets are skipped,
 * hard links become copies, extended attributes are not copied. Names are opened beneath their
 * directory's descriptor with O_NOFOLLOW: nothing in the image can lead the copy elsewhere.
 */
static void copy_tree(int src, int dst, const char *shown, int depth) {
    if (depth > MAX_DEPTH) fail_errno(ELOOP, "tmpcopyup \"%s\"", shown);
    int iter = dup(src);
    DIR *dir = iter < 0 ? NULL : fdopendir(iter);
    if (!dir) fail_errno(errno, "tmpcopyup \"%s\": reading the directory", shown);
    static char buf[65536], link[4096];
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(dir);
        if (!e) {
            if (errno) fail_errno(errno, "tmpcopyup \"%s\": reading the directory", shown);
            break;
        }
        const char *name = e->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
        struct stat st;
        if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) != 0) fail_errno(errno, "tmpcopyup \"%s/%s\"", shown, name);
        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(dst, name, 0700) != 0) fail_errno(errno, "tmpcopyup \"%s/%s\": mkdir", shown, name);
            int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int t = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (s < 0 || t < 0) fail_errno(errno, "tmpcopyup \"%s/%s\": open", shown, name);
            copy_tree(s, t, shown, depth + 1);
            copy_attributes(t, &st, shown);
            close(s);
            close(t);
        } else if (S_ISREG(st.st_mode)) {
            int s = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            int t = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (s < 0 || t < 0) fail_errno(errno, "tmpcopyup \"%s/%s\": open", shown, name);
            for (;;) {
                ssize_t n = read(s, buf, sizeof buf);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) fail_errno(errno, "tmpcopyup \"%s/%s\": read", shown, name);
                if (n == 0) break;
                for (ssize_t done = 0; done < n;) {
                    ssize_t w = write(t, buf + done, (size_t)(n - done));
                    if (w < 0 && errno == EINTR) continue;
                    if (w < 0) fail_errno(errno, "tmpcopyup \"%s/%s\": write", shown, name);
                    done += w;
                }
            }
            copy_attributes(t, &st, shown);
            close(s);
            close(t);
        } else if (S_ISLNK(st.st_mode)) {
            ssize_t n = readlinkat(src, name, link, sizeof link - 1);
            if (n < 0) fail_errno(errno, "tmpcopyup \"%s/%s\": readlink", shown, name);
            link[n] = 0;
            struct timespec times[2] = {st.st_atim, st.st_mtim};
            if (symlinkat(link, dst, name) != 0 || fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0
                || utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW) != 0)
                fail_errno(errno, "tmpcopyup \"%s/%s\": symlink", shown, name);
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
            if (mknodat(dst, name, st.st_mode & ~07777, st.st_rdev) != 0
                || fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 || fchmodat(dst, name, st.st_mode & 07777, 0) != 0)
                fail_errno(errno, "tmpcopyup \"%s/%s\": mknod", shown, name);
        }
    }
    closedir(dir);
}

/* The data string has a mode= option of its own. */
static int has_mode(const char *data) {
    for (const char *p = data; *p;) {
        if (!strncmp(p, "mode=", 5)) return 1;
        const char *comma = strchr(p, ',');
        if (!comma) break;
        p = comma + 1;
    }
    return 0;
}

/*
 * A tmpfs at destination, as runc mounts one: over a directory that was there, without a mode= of its
 * own, it takes that directory's mode (runc 1.1.8+, crun), not tmpfs's 1777; with tmpcopyup (runc's
 * extension, podman's default for --tmpfs and --read-only's /run, /tmp, /var/tmp) what the directory held
 * is copied into it before anything runs. A read-only one is made read-only after the copy.
 */
static void op_tmpfs_in_root(struct reader *r) {
    char *root = str(r), *destination = str(r), *source = str(r);
    uint64_t flags = u64(r);
    char *data = str(r);
    uint8_t copy_up = u8(r);
    uint64_t propagation[MAX_PROPAGATION];
    uint32_t n = propagation_list(r, propagation);
    char shown[8192];
    snprintf(shown, sizeof shown, "%s%s", root, destination);
    int rootfd = open_root(root);
    int fd = target_in_root(rootfd, root, destination, 0);
    struct stat st;
    if (fstat(fd, &st) != 0) fail_errno(errno, "fstat(\"%s\")", shown);
    if (!S_ISDIR(st.st_mode)) fail_errno(ENOTDIR, "\"%s\"", shown);
    size_t size = strlen(data) + 32;
    char *options = malloc(size);
    if (!options) fail_errno(ENOMEM, "\"%s\"", shown);
    if (!target_created && !has_mode(data))
        snprintf(options, size, "mode=%o%s%s", (unsigned)(st.st_mode & 07777), data[0] ? "," : "", data);
    else
        snprintf(options, size, "%s", data);
    int lower = -1;
    if (copy_up && !target_created) {
        lower = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lower < 0) fail_errno(errno, "open(\"%s\")", shown);
    }
    mount_fd(opt(source), fd, shown, "tmpfs", copy_up ? flags & ~MS_RDONLY : flags, opt(options));
    close(fd);
    fd = target_in_root(rootfd, root, destination, 0); /* the tmpfs just mounted */
    if (lower >= 0) {
        int upper = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (upper < 0) fail_errno(errno, "open(\"%s\")", shown);
        copy_tree(lower, upper, shown, 0);
        close(upper);
        close(lower);
    }
    if (copy_up && (flags & MS_RDONLY))
        mount_fd(NULL, fd, shown, NULL, MS_REMOUNT | MS_BIND | (flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
            | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)), NULL);
    for (uint32_t i = 0; i < n; i++) mount_fd(NULL, fd, shown, NULL, propagation[i], NULL);
    close(fd);
    free(options);
    close(rootfd);
}

static void op_mknod_in_root(struct reader *r) {
    char *root = str(r), *path = str(r);
    uint8_t character = u8(r);
    uint32_t major = u32(r), minor = u32(r), mode = u32(r), uid = u32(r), gid = u32(r);
    int rootfd = open_root(root);
    char copy[4096], *name;
    if ((size_t)snprintf(copy, sizeof copy, "%s", path) >= sizeof copy) fail_errno(ENAMETOOLONG, "\"%s\"", root);
    int dir = parent_in_root(rootfd, root, copy, &name);
    if (unlinkat(dir, name, 0) != 0 && errno != ENOENT) fail_errno(errno, "unlinkat(\"%s%s\")", root, path);
    mode_t old = umask(0);
    if (mknodat(dir, name, (mode & 07777) | (character ? S_IFCHR : S_IFBLK), makedev(major, minor)) != 0)
        fail_errno(errno, "mknod(\"%s%s\")", root, path);
    umask(old);
    if ((uid || gid) && fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
        fail_errno(errno, "chown(\"%s%s\")", root, path);
    close(dir);
    close(rootfd);
}

static void op_symlink_in_root(struct reader *r) {
    char *root = str(r), *target = str(r), *link = str(r);
    int rootfd = open_root(root);
    char copy[4096], *name;
    if ((size_t)snprintf(copy, sizeof copy, "%s", link) >= sizeof copy) fail_errno(ENAMETOOLONG, "\"%s\"", root);
    int dir = parent_in_root(rootfd, root, copy, &name);
    if (symlinkat(target, dir, name) != 0 && errno != EEXIST) fail_errno(errno, "symlink(\"%s\", \"%s%s\")", target, root, link);
    close(dir);
    close(rootfd);
}

static void op_mkdir_in_root(struct reader *r) {
    char *root = str(r), *path = str(r);
    int rootfd = open_root(root);
    close(target_in_root(rootfd, root, path, 0));
    close(rootfd);
}

static void op_pivot_root(struct reader *r) {
    char *rootfs = str(r);
    if (chdir(rootfs) != 0) fail_errno(errno, "chdir(\"%s\")", rootfs);
    if (syscall(SYS_pivot_root, ".", ".") != 0) fail_errno(errno, "pivot_root(\".\", \".\")");
    /* The old root is now stacked under the new one at "/": detach it. */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) != 0) fail_errno(errno, "mount(\"none\", \".\", \"none\")");
    if (umount2(".", MNT_DETACH) != 0) fail_errno(errno, "umount2(\".\", \"MNT_DETACH\")");
    if (chdir("/") != 0) fail_errno(errno, "chdir(\"/\")");
}

static void op_readonly_path(struct reader *r) {
    char *path = str(r);
    struct stat st;
    if (stat(path, &st) != 0) return;
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0) fail_errno(errno, "mount(\"%s\", \"%s\")", path, path);
    if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        fail_errno(errno, "mount(\"none\", \"%s\", \"remount,ro\")", path);
}

static void op_mask_path(struct reader *r) {
    char *path = str(r);
    struct stat st;
    if (stat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) != 0) fail_errno(errno, "mount(\"tmpfs\", \"%s\", \"tmpfs\")", path);
    } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) != 0) {
        fail_errno(errno, "mount(\"/dev/null\", \"%s\")", path);
    }
}

static void op_link_up(struct reader *r) {
    char *name = str(r);
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) fail_errno(errno, "socket(AF_INET)");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) fail_errno(errno, "ioctl(\"%s\", SIOCGIFFLAGS)", name);
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) fail_errno(errno, "ioctl(\"%s\", SIOCSIFFLAGS)", name);
    close(s);
}

/* What OP_HOOK_STATE received: the container's state as the guest sees it. */
static unsigned char *hook_state;
static size_t hook_state_len;

static void op_hook_state(void) {
    ssize_t n = receive_message(&hook_state);
    if (n == 0) fail_text("init protocol: the agent closed the socket before the hooks' state");
    hook_state_len = (size_t)n;
}

/*
 * A hook inside the container (OCI createContainer/startContainer): the program with its args and env,
 * the state on stdin, stdout and stderr to /dev/null, killed when its timeout passes; anything but a
 * zero exit fails the step, which names the hook.
 */
static void op_hook(struct reader *r) {
    char *path = str(r), **args = str_list(r), **env = str_list(r);
    uint32_t timeout = u32(r);
    char *only_path[] = {path, NULL};
    if (!hook_state) fail_text("init protocol: a hook before its state");
    int in[2], report[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) fail_errno(errno, "pipe2");
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) fail_errno(errno, "open(\"/dev/null\")");
    pid_t pid = fork();
    if (pid < 0) fail_errno(errno, "fork");
    if (pid == 0) {
        /* dup2 clears close-on-exec on 0-2 only; the report pipe closes when execve works. */
        int e = 0;
        if (dup2(in[0], 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0) e = errno;
        else if (default_signals() != 0) e = EINVAL;
        else { execve(path, args[0] ? args : only_path, env); e = errno; }
        (void)!write(report[1], &e, sizeof e);
        _exit(127);
    }
    close(in[0]);
    close(report[1]);
    close(devnull);
    int e = 0;
    ssize_t got;
    do got = read(report[0], &e, sizeof e); while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof e) {
        close(in[1]);
        waitpid(pid, NULL, 0);
        fail_errno(e, "execve(\"%s\") (the hook cannot start)", path);
    }
    /* A hook that does not read its stdin must not kill us with SIGPIPE. */
    struct sigaction ignore = {.sa_handler = SIG_IGN}, previous;
    sigaction(SIGPIPE, &ignore, &previous);
    for (size_t off = 0; off < hook_state_len;) {
        ssize_t n = write(in[1], hook_state + off, hook_state_len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += (size_t)n;
    }
    sigaction(SIGPIPE, &previous, NULL);
    close(in[1]);
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) fail_errno(errno, "pidfd_open(\"%d\")", pid);
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    int ready;
    do ready = poll(&p, 1, (int)(timeout > 0 && timeout < 2000000 ? timeout : 120) * 1000); while (ready < 0 && errno == EINTR);
    close(pidfd);
    if (ready == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        char text[4352];
        snprintf(text, sizeof text, "%s did not finish within its timeout and was killed", path);
        fail_text(text);
    }
    int status;
    pid_t waited;
    do waited = waitpid(pid, &status, 0); while (waited < 0 && errno == EINTR);
    if (waited < 0) fail_errno(errno, "waitpid(\"%d\")", pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    char text[4352];
    if (WIFEXITED(status)) snprintf(text, sizeof text, "%s failed: exit status %d", path, WEXITSTATUS(status));
    else snprintf(text, sizeof text, "%s failed: killed by signal %d", path, WTERMSIG(status));
    fail_text(text);
}

/* What OP_RESOLVE found for OP_EXEC. */
static struct { const char *program, *path; char **args, **env; } target;

/* Resolves the program and builds the environment while nothing filters our system calls yet. */
static void op_resolve(struct reader *r) {
    target.program = str(r);
    target.args = str_list(r);
    target.env = str_list(r);
    uint8_t add_home = u8(r);
    uint32_t uid = u32(r);
    if (add_home) {
        size_t n = 0;
        while (target.env[n]) n++;
        char **grown = realloc(target.env, (n + 2) * sizeof(char *));
        if (!grown) fail_errno(ENOMEM, "realloc");
        target.env = grown;
        target.env[n] = home_of(uid);
        target.env[n + 1] = NULL;
    }
    target.path = resolve(target.program, target.env);
    if (!target.path) {
        char text[8192];
        snprintf(text, sizeof text, "exec: \"%s\": executable file not found in $PATH", target.program);
        send_report("error", "exec", text, ENOENT);
        _exit(127);
    }
}

/* Reports that the program cannot run (CALL("PATH") failed with errno E) and ends with runc's status for it.
   The reason is in Go's words, as runc gives it ("permission denied", "no such file or directory"): the
   docker CLI and podman pick the exit status (126, 127) by matching that lower-case text. */
__attribute__((noreturn))
static void fail_exec(const char *program, const char *call, const char *path, int e) {
    const char *name = strerrorname_np(e);
    char reason[256];
    snprintf(reason, sizeof reason, "%s", strerror(e));
    reason[0] = (char)tolower((unsigned char)reason[0]);
    char text[8192];
    snprintf(text, sizeof text, "exec: \"%s\": %s(\"%s\"): %s (%s)", program, call, path, reason, name ? name : "errno");
    send_report("error", "exec", text, e);
    _exit(e == ENOENT ? 127 : 126);
}

/* Before "ready": the program can be found and executed, so that create fails for a program that cannot
   run, as runc's does (it looks the program up before it waits for start). As root, before the user
   changes: the resolve before execve still runs as the container's user. */
static void op_check_program(struct reader *r) {
    const char *program = str(r);
    char **env = str_list(r);
    const char *path = resolve(program, env);
    if (!path) {
        char text[8192];
        snprintf(text, sizeof text, "exec: \"%s\": executable file not found in $PATH", program);
        send_report("error", "exec", text, ENOENT);
        _exit(127);
    }
    if (access(path, X_OK) != 0) fail_exec(program, "access", path, errno);
}

__attribute__((noreturn))
static void op_exec(void) {
    if (!target.path) fail_text("init protocol: exec before resolve");
    execve(target.path, target.args, target.env);
    fail_exec(target.program, "execve", target.path, errno);
}

int main(void) {
    /* Nothing in the container may ptrace or read us before execve; the socket must not reach the workload. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (fcntl(SOCKET_FD, F_SETFD, FD_CLOEXEC) != 0) return 1;
    unsigned char *plan = NULL;
    ssize_t len = receive_message(&plan);
    if (len == 0) { send_report("error", "init", "init: the agent closed the init socket", -1); return 1; }
    if (len < 4 || memcmp(plan, "SRI1", 4) != 0) fail_text("init protocol: expected a plan");
    struct reader r = {plan + 4, plan + len};
    while (r.p < r.end) {
        uint8_t op = u8(&r);
        current_step = str(&r);
        switch (op) {
        case OP_SETNS: {
            int32_t fd = (int32_t)u32(&r), type = (int32_t)u32(&r);
            if (setns(fd, type) != 0) fail_errno(errno, "setns(\"fd %d\")", fd);
            close(fd);
            if (chdir("/") != 0) fail_errno(errno, "chdir(\"/\")");
            break;
        }
        case OP_UNSHARE: {
            int32_t flags = (int32_t)u32(&r);
            if (unshare(flags) != 0) fail_errno(errno, "unshare(\"0x%x\")", flags);
            break;
        }
        case OP_TERMINAL: op_terminal(&r); break;
        case OP_RLIMIT: {
            int32_t resource = (int32_t)u32(&r);
            struct rlimit limit = {.rlim_cur = u64(&r), .rlim_max = u64(&r)};
            if (setrlimit(resource, &limit) != 0) fail_errno(errno, "setrlimit(\"%d\")", resource);
            break;
        }
        case OP_WRITE_FILE: op_write_file(&r); break;
        case OP_READY: op_ready(); break;
        case OP_CHDIR: {
            char *path = str(&r);
            if (chdir(path) != 0) fail_errno(errno, "chdir(\"%s\")", path);
            break;
        }
        case OP_SIGNALS: op_signals(); break;
        case OP_SECCOMP: op_seccomp(&r); break;
        case OP_BOUNDING: op_bounding(&r); break;
        case OP_USER: op_user(&r); break;
        case OP_CAPS: op_caps(&r); break;
        case OP_AMBIENT: op_ambient(&r); break;
        case OP_UMASK: umask(u32(&r)); break;
        case OP_NO_NEW_PRIVS:
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail_errno(errno, "prctl(\"PR_SET_NO_NEW_PRIVS\")");
            break;
        case OP_RESOLVE: op_resolve(&r); break;
        case OP_CHECK_PROGRAM: op_check_program(&r); break;
        case OP_MOUNT: op_mount(&r); break;
        case OP_MOUNT_IN_ROOT: op_mount_in_root(&r); break;
        case OP_TMPFS_IN_ROOT: op_tmpfs_in_root(&r); break;
        case OP_MKNOD_IN_ROOT: op_mknod_in_root(&r); break;
        case OP_SYMLINK_IN_ROOT: op_symlink_in_root(&r); break;
        case OP_MKDIR_IN_ROOT: op_mkdir_in_root(&r); break;
        case OP_PIVOT_ROOT: op_pivot_root(&r); break;
        case OP_HOSTNAME: {
            uint8_t domain = u8(&r);
            char *name = str(&r);
            if ((domain ? setdomainname(name, strlen(name)) : sethostname(name, strlen(name))) != 0)
                fail_errno(errno, "%s(\"%s\")", domain ? "setdomainname" : "sethostname", name);
            break;
        }
        case OP_READONLY_PATH: op_readonly_path(&r); break;
        case OP_MASK_PATH: op_mask_path(&r); break;
        case OP_LINK_UP: op_link_up(&r); break;
        case OP_HOOK_STATE: op_hook_state(); break;
        case OP_HOOK: op_hook(&r); break;
        case OP_EXEC: op_exec();
        default: {
            char text[64];
            snprintf(text, sizeof text, "init protocol: unknown operation %u", op);
            fail_text(text);
        }
        }
    }
    fail_text("init protocol: the plan has no exec");
}
