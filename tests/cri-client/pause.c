/*
 * The pod sandbox's placeholder process (what Kubernetes' "pause" image runs): it holds the pod's
 * namespaces open by existing, sleeps in pause(), reaps any child that gets re-parented to it (it is
 * PID 1 of the pod's PID namespace when the pod shares one), and exits 0 on SIGINT or SIGTERM.
 *
 * Build: gcc -static -O2 -o pause pause.c   (scripts/make-pause-image.sh does this)
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* exits from the handler itself: a flag checked around pause() could miss a signal that lands
   between the check and the call */
static void on_stop(int sig)
{
    (void)sig;
    _exit(0);
}

static void on_child(int sig)
{
    (void)sig;
    int saved = errno;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

static int install(int sig, void (*handler)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        static const char version[] = "sandboxrt pause\n";
        (void)!write(STDOUT_FILENO, version, sizeof version - 1);
        return 0;
    }
    if (getpid() != 1) {
        static const char warning[] = "pause: warning: not running as PID 1\n";
        (void)!write(STDERR_FILENO, warning, sizeof warning - 1);
    }
    if (install(SIGINT, on_stop, 0) < 0 || install(SIGTERM, on_stop, 0) < 0 ||
        install(SIGCHLD, on_child, SA_NOCLDSTOP | SA_RESTART) < 0)
        return 1;

    for (;;)
        pause(); /* returns after each SIGCHLD; SIGINT/SIGTERM never return */
}
