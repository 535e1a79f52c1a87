/* forker N: forks up to N children that wait on a pipe; prints how many forks succeeded before one failed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 30, started = 0, fds[2];
    if (pipe(fds) != 0) return 2;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) { printf("fork %d failed: %s\n", i + 1, strerror(errno)); break; }
        if (pid == 0) { char c; close(fds[1]); read(fds[0], &c, 1); _exit(0); }
        started++;
    }
    printf("started=%d\n", started);
    fflush(stdout);
    close(fds[1]);
    while (wait(NULL) > 0) {}
    return 0;
}
