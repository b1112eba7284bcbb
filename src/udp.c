/* udp.c: the UDP transport (udp.h). One non-blocking socket per node; sends are fire and forget
 * (a full socket buffer or an unreachable peer is a lost message, as on any datagram network). */
#include "udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct udp {
    int fd;
    addr_t self;
    transport_t transport;
    udp_stats_t stats;
    bool keyed;
    auth_key_t key;
    uint8_t out[TRANSPORT_MAX_MSG + AUTH_TAG_LEN];
};

void udp_set_key(udp_t *u, const auth_key_t *key)
{
    u->key = *key;
    u->keyed = true;
}

static void to_sockaddr(addr_t a, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(a.port);
    uint8_t *b = (uint8_t *)&sa->sin_addr.s_addr; /* network order: a first */
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(a.id >> (8 * i));
}

static addr_t from_sockaddr(const struct sockaddr_in *sa)
{
    const uint8_t *b = (const uint8_t *)&sa->sin_addr.s_addr;
    uint32_t id = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return addr_make(id, ntohs(sa->sin_port));
}

int udp_parse_addr(const char *text, addr_t *out, char *err, size_t errlen)
{
    const char *colon = strrchr(text, ':');
    char host[64];
    if (!colon && *text && strspn(text, "0123456789") == strlen(text)) { /* a port alone */
        char full[80];
        snprintf(full, sizeof full, "127.0.0.1:%.60s", text);
        return udp_parse_addr(full, out, err, errlen);
    }
    if (!colon || (size_t)(colon - text) >= sizeof host || colon == text) {
        snprintf(err, errlen, "'%s' is not ADDRESS:PORT (like 127.0.0.1:7001)", text);
        return -1;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    struct sockaddr_in sa = { .sin_family = AF_INET };
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "'%s' is not an IPv4 address (like 127.0.0.1)", host);
        return -1;
    }
    const char *p = colon + 1;
    char *end;
    errno = 0;
    long port = strtol(p, &end, 10);
    if (!*p || *end || errno || port < 1 || port > 32767) {
        snprintf(err, errlen, "port '%s' is not a number from 1 to 32767 (dbg.log prints ports "
                 "as signed 16-bit numbers)", p);
        return -1;
    }
    sa.sin_port = htons((uint16_t)port);
    *out = from_sockaddr(&sa);
    return 0;
}

static int send_fn(void *ctx, addr_t src, addr_t dst, const void *data, size_t len, uint32_t now)
{
    (void)src;
    (void)now;
    udp_t *u = ctx;
    struct sockaddr_in sa;
    to_sockaddr(dst, &sa);
    if (u->keyed) { /* the bytes, then their tag */
        if (len > TRANSPORT_MAX_MSG - AUTH_TAG_LEN || auth_tag(&u->key, data, len, u->out + len) != 0) {
            u->stats.send_errors++;
            return -1;
        }
        memcpy(u->out, data, len);
        data = u->out;
        len += AUTH_TAG_LEN;
    }
    if (sendto(u->fd, data, len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
        u->stats.send_errors++;
        return -1;
    }
    return 0;
}

udp_t *udp_open(addr_t self, char *err, size_t errlen)
{
    udp_t *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    u->fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa;
    to_sockaddr(self, &sa);
    if (u->fd < 0 || fcntl(u->fd, F_SETFL, O_NONBLOCK) != 0 ||
        fcntl(u->fd, F_SETFD, FD_CLOEXEC) != 0 ||
        bind(u->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        char a[ADDR_STRLEN];
        snprintf(err, errlen, "cannot listen on %s: %s", addr_format(self, a), strerror(errno));
        if (u->fd >= 0)
            close(u->fd);
        free(u);
        return NULL;
    }
    u->self = self;
    u->transport = (transport_t){ .name = "udp", .send = send_fn, .ctx = u };
    return u;
}

void udp_close(udp_t *u)
{
    if (!u)
        return;
    close(u->fd);
    free(u);
}

int udp_fd(const udp_t *u)
{
    return u->fd;
}

transport_t *udp_transport(udp_t *u)
{
    return &u->transport;
}

ssize_t udp_recv(udp_t *u, uint8_t *buf, size_t cap, addr_t *from)
{
    for (;;) {
        struct sockaddr_in sa;
        socklen_t sl = sizeof sa;
        struct msghdr mh = { 0 };
        struct iovec iov = { buf, cap };
        mh.msg_name = &sa;
        mh.msg_namelen = sl;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        ssize_t n = recvmsg(u->fd, &mh, 0);
        if (n < 0)
            return -1; /* EAGAIN: nothing waiting (errors count as nothing too) */
        u->stats.received++;
        if (mh.msg_flags & MSG_TRUNC) {
            u->stats.truncated++;
            continue;
        }
        if (u->keyed) {
            if (!auth_verify(&u->key, buf, (size_t)n)) {
                u->stats.unauthenticated++;
                continue;
            }
            n -= AUTH_TAG_LEN;
        }
        *from = from_sockaddr(&sa);
        return n;
    }
}

void udp_stats(const udp_t *u, udp_stats_t *out)
{
    *out = u->stats;
}
