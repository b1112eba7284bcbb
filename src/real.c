/* real.c: the real driver. One peer (node.c) over a UDP socket (udp.c), the same membership and
 * kv code as in simulation. Time is the wall clock in ticks of tick_ms since 2026-01-01 UTC,
 * the same for every process of a cluster (clocks kept by NTP), so that versions stamped by
 * different coordinators compare, and the dbg.log lines of several nodes merge into one
 * history. Each loop: wait for a datagram or the next tick, hand every datagram waiting to the
 * node, and tick once when the clock has moved (a loop that fell behind skips ticks, as a
 * paused process would). */
#include "real.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "journal.h"
#include "kvnode.h"
#include "log.h"
#include "membership.h"
#include "node.h"
#include "ring.h"
#include "rng.h"
#include "udp.h"
#include "wire.h"

#define EPOCH_MS 1767225600000ull /* 2026-01-01T00:00:00Z */

static volatile sig_atomic_t stop_signal;

/* A client operation waiting for its coordinator's decision. */
typedef struct {
    uint32_t txid, reqid;
    addr_t client;
    uint8_t cmd;
} pending_t;

typedef struct {
    udp_t *udp;
    addr_t self;
    log_t *log;
    member_node_t *m;
    kv_node_t *kv;
    pending_t *pending;
    size_t npending, cap;
    uint64_t unknown;   /* datagrams of no known type */
    uint64_t bad_client; /* client requests that did not decode */
} real_t;

static void reply(real_t *rt, addr_t to, uint32_t reqid, uint8_t cmd, uint8_t status,
                  const char *text)
{
    static client_msg_t r;
    static uint8_t buf[WIRE_MAX_CLIENT_MSG];
    memset(&r, 0, sizeof r);
    r.type = MSG_CLIENT_REPLY;
    r.from = rt->self;
    r.reqid = reqid;
    r.cmd = cmd;
    r.status = status;
    size_t n = strlen(text);
    r.tlen = (uint16_t)(n < WIRE_CLIENT_MAX_TEXT ? n : WIRE_CLIENT_MAX_TEXT);
    memcpy(r.text, text, r.tlen);
    int len = wire_encode_client(&r, buf, sizeof buf);
    if (len > 0)
        transport_send(udp_transport(rt->udp), rt->self, to, buf, (size_t)len, 0);
}

/* kv_result_fn: a coordinator decided an operation; a client may wait for it. */
static void on_result(void *ctx, uint32_t txid, kv_op_t op, const char *key, bool ok,
                      const char *value, kv_version_t version, uint32_t now)
{
    (void)key;
    (void)version;
    (void)now;
    real_t *rt = ctx;
    for (size_t i = 0; i < rt->npending; i++) {
        if (rt->pending[i].txid != txid)
            continue;
        reply(rt, rt->pending[i].client, rt->pending[i].reqid, rt->pending[i].cmd,
              ok ? CLIENT_OK : CLIENT_FAILED, ok && op == KV_READ && value ? value : "");
        rt->pending[i] = rt->pending[--rt->npending];
        return;
    }
}

/* One line of text: appends to buf (cap bytes) what fmt says, as far as it fits. */
static void add_text(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_text(char *buf, size_t cap, const char *fmt, ...)
{
    size_t o = strlen(buf);
    if (o + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + o, cap - o, fmt, ap);
    va_end(ap);
}

/* A client request: an operation this node coordinates, or a query it answers at once. */
static void client_request(real_t *rt, const uint8_t *data, size_t len, addr_t from, uint32_t now)
{
    static client_msg_t q;
    if (wire_decode_client(data, len, &q) != WIRE_OK || q.type != MSG_CLIENT_REQUEST) {
        rt->bad_client++;
        return;
    }
    static char text[WIRE_CLIENT_MAX_TEXT + 1];
    text[0] = '\0';
    char a[ADDR_STRLEN];
    if (q.cmd <= CLIENT_DELETE) {
        static const char *const upper[] = { [KV_CREATE] = "CREATE", [KV_READ] = "READ",
                                             [KV_UPDATE] = "UPDATE", [KV_DELETE] = "DELETE" };
        for (size_t i = 0; i < rt->npending; i++)
            if (rt->pending[i].reqid == q.reqid && addr_eq(rt->pending[i].client, from))
                return; /* the client sent it again: the answer is on its way */
        if (!member_in_group(rt->m)) {
            reply(rt, from, q.reqid, q.cmd, CLIENT_FAILED, "not in the group yet");
            return;
        }
        if (rt->npending == rt->cap) {
            size_t cap = rt->cap ? rt->cap * 2 : 16;
            pending_t *p = realloc(rt->pending, cap * sizeof *p);
            if (!p) {
                reply(rt, from, q.reqid, q.cmd, CLIENT_EBAD, "out of memory");
                return;
            }
            rt->pending = p;
            rt->cap = cap;
        }
        bool valued = q.cmd == CLIENT_CREATE || q.cmd == CLIENT_UPDATE;
        if (valued)
            log_event(rt->log, rt->self, now, "%s OPERATION KEY: %s VALUE: %s at time: %u",
                      upper[q.cmd], q.key, q.text, (unsigned)now);
        else
            log_event(rt->log, rt->self, now, "%s OPERATION KEY: %s at time: %u", upper[q.cmd],
                      q.key, (unsigned)now);
        uint32_t txid = kv_client(rt->kv, (kv_op_t)q.cmd, q.key, valued ? q.text : NULL, now);
        rt->pending[rt->npending++] = (pending_t){ txid, q.reqid, from, q.cmd };
        return;
    }
    if (q.cmd == CLIENT_STATS) {
        member_stats_t ms;
        member_get_stats(rt->m, &ms);
        kv_stats_t ks;
        kv_get_stats(rt->kv, &ks);
        udp_stats_t us;
        udp_stats(rt->udp, &us);
        const transport_t *t = udp_transport(rt->udp);
        add_text(text, sizeof text, "node=%s members=%zu sent=%llu received=%llu "
                 "malformed=%llu keys=%llu ops_ok=%llu ops_failed=%llu served=%llu "
                 "transfers=%llu joins=%llu removals=%llu unauthenticated=%llu",
                 addr_format(rt->self, a),
                 member_count(rt->m), (unsigned long long)t->sent,
                 (unsigned long long)us.received,
                 (unsigned long long)(ms.malformed + ks.malformed + rt->unknown +
                                      rt->bad_client + us.truncated),
                 (unsigned long long)ks.keys, (unsigned long long)ks.ops_ok,
                 (unsigned long long)ks.ops_failed, (unsigned long long)ks.requests_served,
                 (unsigned long long)ks.transfers_sent, (unsigned long long)ms.joins,
                 (unsigned long long)ms.removals, (unsigned long long)us.unauthenticated);
    } else if (q.cmd == CLIENT_MEMBERS) {
        size_t n = member_count(rt->m);
        addr_t *list = malloc((n ? n : 1) * sizeof *list);
        if (list) {
            n = member_list(rt->m, list, NULL);
            add_text(text, sizeof text, "%zu", n);
            for (size_t i = 0; i < n; i++)
                add_text(text, sizeof text, " %s%s", addr_format(list[i], a),
                         member_suspects(rt->m, list[i]) ? "(suspected)" : "");
            free(list);
        }
    } else { /* CLIENT_WHERE */
        addr_t reps[RING_REPLICAS];
        size_t k = kv_replicas_of(rt->kv, q.key, reps, now);
        add_text(text, sizeof text, "replicas");
        for (size_t i = 0; i < k; i++)
            add_text(text, sizeof text, " %s", addr_format(reps[i], a));
        kv_version_t v;
        const char *val;
        bool del;
        if (kv_peek(rt->kv, q.key, &v, &val, &del))
            add_text(text, sizeof text, "; held here: %s version %llu.%u", del ? "(deleted)" : val,
                     (unsigned long long)v.stamp, (unsigned)v.node);
        else
            add_text(text, sizeof text, "; not held here");
    }
    reply(rt, from, q.reqid, q.cmd, CLIENT_OK, text);
}

static void on_signal(int sig)
{
    stop_signal = sig;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint32_t tick_at(uint64_t ms, uint32_t tick_ms)
{
    return ms > EPOCH_MS ? (uint32_t)((ms - EPOCH_MS) / tick_ms) : 0;
}

/* journal_load_fn: a record of the durable store, put back into the fresh node's store. */
static void load_record(void *ctx, const char *key, const char *value, kv_version_t version,
                        bool deleted, bool removed)
{
    kv_node_t *kv = ctx;
    if (removed)
        store_remove(kv_store(kv), key, strlen(key));
    else
        kv_restore(kv, key, value, version, deleted);
}

int real_main(const real_opts_t *o)
{
    char err[256], a[ADDR_STRLEN];
    addr_t self, contact;
    if (udp_parse_addr(o->listen, &self, err, sizeof err) != 0) {
        fprintf(stderr, "Application: --listen: %s\n", err);
        return 2;
    }
    if (o->join && udp_parse_addr(o->join, &contact, err, sizeof err) != 0) {
        fprintf(stderr, "Application: --join: %s\n", err);
        return 2;
    }
    auth_key_t key;
    if (o->key_path && auth_load_key(o->key_path, &key, err, sizeof err) != 0) {
        fprintf(stderr, "Application: --cluster-key: %s\n", err);
        return 2;
    }
    udp_t *u = udp_open(self, err, sizeof err);
    if (!u) {
        fprintf(stderr, "Application: %s\n", err);
        return 1;
    }
    if (o->key_path)
        udp_set_key(u, &key);
    char log_path[4096], store_path[4096];
    if (o->data_dir && mkdir(o->data_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "Application: cannot make %s: %s\n", o->data_dir, strerror(errno));
        udp_close(u);
        return 1;
    }
    snprintf(log_path, sizeof log_path, "%s%s%s", o->log_path || !o->data_dir ? "" : o->data_dir,
             o->log_path || !o->data_dir ? "" : "/", o->log_path ? o->log_path : "dbg.log");
    if (o->data_dir)
        snprintf(store_path, sizeof store_path, "%s/store.log", o->data_dir);
    FILE *dbg = fopen(log_path, o->data_dir ? "a" : "w");
    if (!dbg) {
        fprintf(stderr, "Application: cannot write %s: %s\n", log_path, strerror(errno));
        udp_close(u);
        return 1;
    }
    log_t log;
    fseek(dbg, 0, SEEK_END);
    bool continuing = ftell(dbg) > 0; /* a restarted node goes on with its log: no second header */
    log_init(&log, continuing ? NULL : dbg, NULL);
    log.dbg = dbg;
    rng_t rng;
    rng_seed(&rng, o->seed);
    member_cfg_t cfg;
    member_default_cfg(&cfg, o->size);
    kv_cfg_t kcfg;
    kv_default_cfg(&kcfg);
    ring_poscache_t *positions = ring_poscache_new();
    uint32_t next_txid = 1 + rng_below(&rng, 1u << 30); /* apart from other processes' ids in dbg.log */
    member_env_t env = { udp_transport(u), &log, &rng, &cfg, NULL, NULL };
    member_node_t *m = member_new(self, &env);
    real_t rt = { .udp = u, .self = self, .log = &log, .m = m };
    kv_env_t kenv = { .net = udp_transport(u), .log = &log, .member = m, .positions = positions,
                      .cfg = &kcfg, .next_txid = &next_txid, .on_result = on_result,
                      .result_ctx = &rt };
    kv_node_t *kv = m ? kv_new(self, &kenv) : NULL;
    node_t peer = { m, kv };
    rt.kv = kv;
    journal_t *journal = NULL;
    journal_info_t info;
    int rc = 0;
    if (!positions || !m || !kv) {
        fprintf(stderr, "Application: out of memory\n");
        rc = 1;
    } else if (o->data_dir &&
               !(journal = journal_open(store_path, load_record, kv, &info, err, sizeof err))) {
        fprintf(stderr, "Application: %s\n", err);
        rc = 1;
    }
    if (rc != 0)
        goto out;
    if (journal) {
        printf("node %s: %s: %zu keys back (%llu records)%s\n", addr_format(self, a), store_path,
               store_live_count(kv_store(kv)), (unsigned long long)info.records,
               info.torn_bytes ? "; a torn tail was dropped" : "");
        if (info.torn_bytes)
            printf("node %s: dropped %llu bytes at the end of %s: a record cut short\n",
                   addr_format(self, a), (unsigned long long)info.torn_bytes, store_path);
        journal_watch(journal, kv_store(kv));
        store_set_journal(kv_store(kv), journal_record, journal);
    }
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    uint32_t now = tick_at(wall_ms(), o->tick_ms);
    addr_t seed = o->join ? contact : self;
    member_start(m, &seed, 1, now, now);
    printf("node %s: %s at tick %u (%u ms per tick)\n", addr_format(self, a),
           o->join ? "joining" : "starting the group", (unsigned)now, (unsigned)o->tick_ms);
    fflush(stdout);
    static uint8_t buf[TRANSPORT_MAX_MSG + 1];
    uint32_t last = now;
    while (!stop_signal) {
        uint64_t ms = wall_ms();
        now = tick_at(ms, o->tick_ms);
        if (now != last) {
            node_tick(&peer, now);
            last = now;
            fflush(dbg);
        }
        uint64_t next = EPOCH_MS + ((uint64_t)now + 1) * o->tick_ms;
        int wait = next > ms ? (int)(next - ms) : 0;
        struct pollfd p = { .fd = udp_fd(u), .events = POLLIN };
        if (poll(&p, 1, wait) > 0) {
            addr_t from;
            ssize_t n;
            while ((n = udp_recv(u, buf, sizeof buf - 1, &from)) >= 0) {
                if (wire_peek_type(buf, (size_t)n) == MSG_CLIENT_REQUEST)
                    client_request(&rt, buf, (size_t)n, from, now);
                else if (node_receive(&peer, buf, (size_t)n, now) != NODE_OK)
                    rt.unknown++;
            }
            fflush(dbg); /* a process may be killed at any moment: its lines so far are out */
        }
    }
    /* Told to stop: members hear it leave (a notice to several of them; it spreads from there)
     * rather than time it out. A crash (SIGKILL) is detected like any failure. */
    size_t told = member_leave(m, 8, now);
    printf("node %s: leaving: told %zu members\n", addr_format(self, a), told);
    member_stats_t ms;
    member_get_stats(m, &ms);
    kv_stats_t ks;
    kv_get_stats(kv, &ks);
    udp_stats_t us;
    udp_stats(u, &us);
    printf("node %s: stopped at tick %u (signal %d): %llu datagrams received, %llu malformed "
           "(%llu membership, %llu kv, %llu of no known type or bad client requests, %llu too long), "
           "%llu unauthenticated\n",
           addr_format(self, a), (unsigned)now, (int)stop_signal,
           (unsigned long long)us.received,
           (unsigned long long)(ms.malformed + ks.malformed + rt.unknown + rt.bad_client +
                                us.truncated),
           (unsigned long long)ms.malformed, (unsigned long long)ks.malformed,
           (unsigned long long)(rt.unknown + rt.bad_client), (unsigned long long)us.truncated,
           (unsigned long long)us.unauthenticated);
    if (journal && journal_errors(journal))
        fprintf(stderr, "Application: %llu changes could not be written to %s\n",
                (unsigned long long)journal_errors(journal), store_path);
out:
    kv_free(kv);
    journal_close(journal);
    member_free(m);
    ring_poscache_free(positions);
    free(rt.pending);
    if (fclose(dbg) != 0)
        rc = 1;
    udp_close(u);
    return rc;
}
