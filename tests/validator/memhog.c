/* memhog MIB: allocates and touches MIB mebibytes, 1 MiB at a time, printing progress every 16 MiB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 200;
    for (long i = 1; i <= mib; i++) {
        char *p = malloc(1 << 20);
        if (!p) { printf("malloc failed at %ld MiB\n", i); return 1; }
        memset(p, (int)i, 1 << 20);
        if (i % 16 == 0) { printf("allocated %ld MiB\n", i); fflush(stdout); }
    }
    printf("allocated all %ld MiB\n", mib);
    return 0;
}
