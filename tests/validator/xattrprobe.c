/* xattrprobe FILE OP...: extended attributes of FILE as the container sees them, one line per OP:
 *   get:NAME          "get NAME=VALUE" (other than printable ASCII as \xNN) or "get NAME !ERRNO"
 *   set:NAME=VALUE    "set NAME ok" or "set NAME !ERRNO"
 *   setcap            sets security.capability to CAP_NET_BIND_SERVICE, effective (what `setcap
 *                     cap_net_bind_service+ep FILE` writes): "setcap ok" or "setcap !ERRNO"
 *   list              "list NAME NAME ..." or "list !ERRNO"
 * FILE is created (0755) when missing. Exit 0 unless FILE cannot be opened. Busybox has no xattr applet. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *name_of(int e) { return strerrorname_np(e) ? strerrorname_np(e) : "E?"; }

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: xattrprobe FILE OP...\n"); return 2; }
    int fd = open(argv[1], O_RDWR | O_CREAT | O_CLOEXEC, 0755);
    if (fd < 0) fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0) { printf("open !%s\n", name_of(errno)); return 1; }
    for (int i = 2; i < argc; i++) {
        const char *op = argv[i];
        if (!strncmp(op, "get:", 4)) {
            unsigned char value[256];
            ssize_t n = fgetxattr(fd, op + 4, value, sizeof value - 1);
            if (n < 0) printf("get %s !%s\n", op + 4, name_of(errno));
            else {
                printf("get %s=", op + 4);
                for (ssize_t k = 0; k < n; k++)
                    printf(value[k] > 32 && value[k] < 127 && value[k] != '\\' ? "%c" : "\\x%02x", (unsigned char)value[k]);
                putchar('\n');
            }
        } else if (!strncmp(op, "set:", 4)) {
            char name[256];
            const char *eq = strchr(op + 4, '=');
            if (!eq || (size_t)(eq - op - 4) >= sizeof name) { printf("bad op %s\n", op); continue; }
            memcpy(name, op + 4, eq - op - 4);
            name[eq - op - 4] = 0;
            int r = fsetxattr(fd, name, eq + 1, strlen(eq + 1), 0);
            printf("set %s %s%s\n", name, r ? "!" : "ok", r ? name_of(errno) : "");
        } else if (!strcmp(op, "setcap")) {
            /* struct vfs_cap_data, revision 2: magic_etc, then permitted/inheritable for bits 0-31 and 32-63 */
            uint32_t cap[5] = { 0x02000000u | 1u /* VFS_CAP_FLAGS_EFFECTIVE */, 1u << 10 /* CAP_NET_BIND_SERVICE */, 0, 0, 0 };
            int r = fsetxattr(fd, "security.capability", cap, sizeof cap, 0);
            printf("setcap %s%s\n", r ? "!" : "ok", r ? name_of(errno) : "");
        } else if (!strcmp(op, "list")) {
            char names[4096];
            ssize_t n = flistxattr(fd, names, sizeof names);
            if (n < 0) { printf("list !%s\n", name_of(errno)); continue; }
            printf("list");
            for (char *p = names; p < names + n; p += strlen(p) + 1) printf(" %s", p);
            putchar('\n');
        } else printf("bad op %s\n", op);
    }
    close(fd);
    return 0;
}
