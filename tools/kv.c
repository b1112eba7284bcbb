/* kv.c: the client of node processes (./Application --node). One request, one UDP datagram to
 * the node given, one answer printed on one line:
 *   tools/kv --node ADDR:PORT create|update KEY VALUE    ok | failed
 *   tools/kv --node ADDR:PORT read KEY                   the value | failed
 *   tools/kv --node ADDR:PORT delete KEY                 ok | failed
 *   tools/kv --node ADDR:PORT stats | members | where KEY   the node's answer
 * Exit status: 0 success, 1 the operation failed, 2 bad usage or no answer in time. The request
 * is sent again every 500 ms until the answer comes (a lost datagram), which a node may take as
 * a second operation: a create then fails where the first one succeeded; the others repeat
 * harmlessly. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "wire.h"

#define PROG "kv"
#define RESEND_MS 500

static int usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " --node ADDR:PORT [--timeout MS] [--cluster-key FILE] COMMAND\n"
            "commands: create KEY VALUE | read KEY | update KEY VALUE | delete KEY |\n"
            "          stats | members | where KEY\n"
            "Sends COMMAND to the node process at ADDR:PORT (./Application --node) and prints\n"
            "its answer on one line. --timeout: how long to wait for it (3000 ms).\n"
            "--cluster-key: the key the cluster's nodes were started with.\n"
            "Exit status: 0 success, 1 the operation failed, 2 bad usage or no answer.\n");
    return 2;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_node(const char *text, struct sockaddr_in *sa)
{
    const char *colon = strrchr(text, ':');
    char host[64];
    if (!colon || colon == text || (size_t)(colon - text) >= sizeof host)
        return -1;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1 || !colon[1] || *end || port < 1 ||
        port > 65535)
        return -1;
    sa->sin_port = htons((uint16_t)port);
    return 0;
}

int main(int argc, char **argv)
{
    const char *node = NULL, *key_path = NULL;
    long timeout = 3000;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--node") && i + 1 < argc) {
            node = argv[++i];
        } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            char *end;
            timeout = strtol(argv[++i], &end, 10);
            if (*end || timeout < 1 || timeout > 600000) {
                fprintf(stderr, PROG ": --timeout: '%s' is not a number of ms (1-600000)\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--cluster-key") && i + 1 < argc) {
            key_path = argv[++i];
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, PROG ": unknown option '%s'\n", argv[i]);
            return usage(stderr);
        }
    }
    struct sockaddr_in to;
    if (!node || parse_node(node, &to) != 0) {
        fprintf(stderr, PROG ": %s\n", node ? "--node: not an IPv4 ADDR:PORT" : "--node ADDR:PORT is required");
        return usage(stderr);
    }
    static const struct {
        const char *name;
        int cmd, args;
    } cmds[] = { { "create", CLIENT_CREATE, 2 }, { "read", CLIENT_READ, 1 },
                 { "update", CLIENT_UPDATE, 2 }, { "delete", CLIENT_DELETE, 1 },
                 { "stats", CLIENT_STATS, 0 },   { "members", CLIENT_MEMBERS, 0 },
                 { "where", CLIENT_WHERE, 1 } };
    size_t k = 0;
    while (i < argc && k < sizeof cmds / sizeof cmds[0] && strcmp(argv[i], cmds[k].name) != 0)
        k++;
    if (i >= argc || k == sizeof cmds / sizeof cmds[0] || argc - i - 1 != cmds[k].args) {
        fprintf(stderr, PROG ": %s\n", i >= argc ? "no command" : k == sizeof cmds / sizeof cmds[0]
                                                                   ? "unknown command"
                                                                   : "wrong number of arguments");
        return usage(stderr);
    }
    static client_msg_t q, r;
    q.type = MSG_CLIENT_REQUEST;
    q.cmd = (uint8_t)cmds[k].cmd;
    srand((unsigned)(now_ms() ^ getpid()));
    q.reqid = (uint32_t)rand();
    if (cmds[k].args >= 1) {
        q.klen = (uint16_t)strlen(argv[i + 1]);
        if (q.klen > KV_MAX_KEY || !wire_kv_text_ok(argv[i + 1], q.klen, 1)) {
            fprintf(stderr, PROG ": the key must be 1 to %d printable characters without spaces\n",
                    KV_MAX_KEY);
            return 2;
        }
        memcpy(q.key, argv[i + 1], q.klen);
    }
    if (cmds[k].args == 2) {
        size_t n = strlen(argv[i + 2]);
        if (n > KV_MAX_VALUE || !wire_kv_text_ok(argv[i + 2], n, 0)) {
            fprintf(stderr, PROG ": the value must be up to %d printable characters without "
                    "spaces\n", KV_MAX_VALUE);
            return 2;
        }
        q.tlen = (uint16_t)n;
        memcpy(q.text, argv[i + 2], n);
    }
    static auth_key_t key;
    char err[512];
    if (key_path && auth_load_key(key_path, &key, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": --cluster-key: %s\n", err);
        return 2;
    }
    static uint8_t buf[WIRE_MAX_CLIENT_MSG + AUTH_TAG_LEN];
    int len = wire_encode_client(&q, buf, sizeof buf - AUTH_TAG_LEN);
    if (len > 0 && key_path) {
        if (auth_tag(&key, buf, (size_t)len, buf + len) != 0) {
            fprintf(stderr, PROG ": cannot sign the request\n");
            return 2;
        }
        len += AUTH_TAG_LEN;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (len < 0 || fd < 0) {
        fprintf(stderr, PROG ": %s\n", len < 0 ? "cannot encode the request" : strerror(errno));
        return 2;
    }
    long long end = now_ms() + timeout, next_send = 0;
    for (;;) {
        long long t = now_ms();
        if (t >= end) {
            fprintf(stderr, PROG ": no answer from %s within %ld ms\n", node, timeout);
            return 2;
        }
        if (t >= next_send) {
            sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&to, sizeof to);
            next_send = t + RESEND_MS;
        }
        long long wait = (next_send < end ? next_send : end) - t;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, (int)wait) <= 0)
            continue;
        static uint8_t in[WIRE_MAX_CLIENT_MSG + AUTH_TAG_LEN + 1];
        ssize_t n = recv(fd, in, sizeof in, 0);
        if (n >= 0 && key_path) {
            if (!auth_verify(&key, in, (size_t)n))
                continue; /* not signed by the cluster */
            n -= AUTH_TAG_LEN;
        }
        if (n < 0 || wire_decode_client(in, (size_t)n, &r) != WIRE_OK ||
            r.type != MSG_CLIENT_REPLY || r.reqid != q.reqid)
            continue; /* not our answer */
        break;
    }
    close(fd);
    if (r.status == CLIENT_OK) {
        if (q.cmd == CLIENT_READ || q.cmd > CLIENT_DELETE)
            printf("%s\n", r.text);
        else
            printf("ok\n");
        return 0;
    }
    printf("%s%s%s\n", r.status == CLIENT_FAILED ? "failed" : "refused", r.tlen ? ": " : "",
           r.text);
    return r.status == CLIENT_FAILED ? 1 : 2;
}
