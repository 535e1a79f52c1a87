/* dnsprobe NAME udp|tcp [SERVER]: one A query for NAME, without EDNS (so a UDP answer holds 512 bytes at
 * most, as for glibc's stub resolver), to SERVER port 53 (default 127.0.0.11, Docker's embedded DNS) over
 * UDP or TCP (a 2-byte length before each message, RFC 1035 4.2.2). Prints "tc=T rcode=R answers=N"
 * and then each A record's address on a line of its own. Exit 0 when an answer came, 1 otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int build_query(const char *name, unsigned char *q) {
    int n = 12;
    memset(q, 0, 12);
    q[0] = 0x5a; q[1] = 0x17; /* id */
    q[2] = 0x01;               /* recursion desired */
    q[5] = 1;                  /* one question */
    for (const char *p = name; *p;) {
        const char *dot = strchr(p, '.');
        int len = dot ? (int)(dot - p) : (int)strlen(p);
        if (len == 0 || len > 63 || n + len + 6 > 300) return -1;
        q[n++] = (unsigned char)len;
        memcpy(q + n, p, len);
        n += len;
        p += len + (dot ? 1 : 0);
    }
    q[n++] = 0;
    q[n++] = 0; q[n++] = 1; /* type A */
    q[n++] = 0; q[n++] = 1; /* class IN */
    return n;
}

static int read_full(int fd, unsigned char *buf, int len) {
    for (int got = 0; got < len;) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r <= 0) return -1;
        got += r;
    }
    return len;
}

/* skips a (possibly compressed) name; returns the offset after it or -1 */
static int skip_name(const unsigned char *m, int len, int off) {
    while (off < len) {
        if ((m[off] & 0xc0) == 0xc0) return off + 2 <= len ? off + 2 : -1;
        if (m[off] == 0) return off + 1;
        off += m[off] + 1;
    }
    return -1;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: dnsprobe NAME udp|tcp [SERVER]\n"); return 2; }
    int tcp = strcmp(argv[2], "tcp") == 0;
    struct sockaddr_in server = { .sin_family = AF_INET, .sin_port = htons(53) };
    if (inet_pton(AF_INET, argc > 3 ? argv[3] : "127.0.0.11", &server.sin_addr) != 1) { fprintf(stderr, "bad server\n"); return 2; }
    unsigned char query[2 + 320], answer[65536];
    int qlen = build_query(argv[1], query + 2);
    if (qlen < 0) { fprintf(stderr, "bad name\n"); return 2; }
    int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    struct timeval timeout = { .tv_sec = 10 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (fd < 0 || connect(fd, (struct sockaddr *)&server, sizeof server) != 0) { printf("connect: %s\n", strerror(errno)); return 1; }
    int len;
    if (tcp) {
        query[0] = (unsigned char)(qlen >> 8); query[1] = (unsigned char)qlen;
        if (write(fd, query, qlen + 2) != qlen + 2) { printf("write: %s\n", strerror(errno)); return 1; }
        unsigned char prefix[2];
        if (read_full(fd, prefix, 2) < 0) { printf("read: %s\n", errno ? strerror(errno) : "end of stream"); return 1; }
        len = prefix[0] << 8 | prefix[1];
        if (read_full(fd, answer, len) < 0) { printf("read: %s\n", errno ? strerror(errno) : "end of stream"); return 1; }
    } else {
        if (write(fd, query + 2, qlen) != qlen) { printf("write: %s\n", strerror(errno)); return 1; }
        len = (int)read(fd, answer, sizeof answer);
        if (len < 0) { printf("read: %s\n", strerror(errno)); return 1; }
    }
    if (len < 12 || answer[0] != 0x5a || answer[1] != 0x17) { printf("not an answer to the query (%d bytes)\n", len); return 1; }
    int tc = (answer[2] >> 1) & 1, rcode = answer[3] & 0x0f;
    int qd = answer[4] << 8 | answer[5], an = answer[6] << 8 | answer[7];
    printf("tc=%d rcode=%d answers=%d bytes=%d\n", tc, rcode, an, len);
    int off = 12;
    for (int i = 0; i < qd && off >= 0; i++) {
        off = skip_name(answer, len, off);
        if (off >= 0) off += 4;
    }
    for (int i = 0; i < an && off >= 0 && off + 10 <= len; i++) {
        off = skip_name(answer, len, off);
        if (off < 0 || off + 10 > len) break;
        int type = answer[off] << 8 | answer[off + 1], rdlen = answer[off + 8] << 8 | answer[off + 9];
        off += 10;
        if (off + rdlen > len) break;
        if (type == 1 && rdlen == 4) printf("%d.%d.%d.%d\n", answer[off], answer[off + 1], answer[off + 2], answer[off + 3]);
        off += rdlen;
    }
    return 0;
}
