/*
 * The bare-VM floor: a trivial /init for measuring what a boot costs without the agent.
 * It loads the same kernel modules as the agent (same list, same order), prints one marker line
 * with the guest uptime, and powers the VM off. Benchmarks compare the agent's ready time to this.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    char line[512], path[600];
    FILE *list = fopen("/lib/modules/modules.load", "r");
    int loaded = 0;
    if (list) {
        while (fgets(line, sizeof line, list)) {
            line[strcspn(line, "\r\n")] = 0;
            if (!line[0] || line[0] == '#') continue;
            snprintf(path, sizeof path, "/lib/modules/%s", line);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd >= 0 && syscall(SYS_finit_module, fd, "", 0) == 0) loaded++;
            if (fd >= 0) close(fd);
        }
        fclose(list);
    }
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    printf("SANDBOXRT-FLOOR READY uptime_ms=%ld modules=%d\n", ts.tv_sec * 1000 + ts.tv_nsec / 1000000, loaded);
    fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}
