/* test_kvnode.c: CUnit suite for the key-value node (coordinator, server, stabilization).
 * A small harness runs a "cluster" of nodes, each a member_node_t plus a kv_node_t over one
 * emulnet, tick by tick the way app.c's run_node does, with dbg.log in a tmpfile() that is read
 * back and parsed: result lines are checked word for word against the documented formats. */
#include <CUnit/CUnit.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulnet.h"
#include "kvnode.h"
#include "node.h"
#include "log.h"
#include "membership.h"
#include "ring.h"
#include "rng.h"
#include "suites.h"
#include "wire.h"

/* ================================================================ harness */

#define NEVER UINT32_MAX
#define MAXN 12
#define MAXRES 128
#define MAXLINES 4096

typedef struct {
    uint32_t txid;
    kv_op_t op;
    char key[KV_MAX_KEY + 1];
    bool ok;
    bool has_value;
    char value[64];
    uint32_t now;
} result_t;

/* One parsed result line. */
typedef struct {
    uint32_t logger, tick;
    bool coord; /* coordinator (else server) */
    char op[8];
    bool ok;
    uint32_t time, txid;
    char key[64];
    bool has_value;
    char value[64];
    char text[256]; /* the message after "[tick] " */
} rline_t;

typedef struct {
    member_node_t *m;
    kv_node_t *kv;
    uint32_t start; /* tick of member_start, NEVER if not started */
    bool failed;
    bool paused; /* runs nothing; its messages wait in its inbox (app.c's pause) */
} knode_t;

typedef struct {
    uint32_t n;
    rng_t rng;
    emulnet_t *net;
    log_t log;
    FILE *dbg;
    member_cfg_t mcfg;
    kv_cfg_t kcfg;
    ring_poscache_t *pos;
    addrbook_t *book; /* shared by every node */
    uint32_t next_txid;
    knode_t nodes[MAXN + 1]; /* [1..n] */
    uint32_t now;            /* next tick to run */
    /* KV requests to node drop_to are discarded on receipt while now <= drop_until; with
     * drop_all_kv, every KV message to it is (handoff offers, transfers, answers) */
    uint32_t drop_to, drop_until;
    bool drop_all_kv;
    unsigned other_msgs; /* received messages of neither kind */
    result_t res[MAXRES];
    size_t nres;
    rline_t lines[MAXLINES];
    size_t nlines;
} kc_t;

static addr_t A(uint32_t id)
{
    return addr_make(id, 0);
}

static void on_result(void *ctx, uint32_t txid, kv_op_t op, const char *key, bool ok,
                      const char *value, kv_version_t version, uint32_t now)
{
    kc_t *c = ctx;
    (void)version;
    if (c->nres == MAXRES) {
        CU_FAIL("too many results");
        return;
    }
    result_t *r = &c->res[c->nres++];
    memset(r, 0, sizeof *r);
    r->txid = txid;
    r->op = op;
    snprintf(r->key, sizeof r->key, "%s", key);
    r->ok = ok;
    r->has_value = value != NULL;
    snprintf(r->value, sizeof r->value, "%s", value ? value : "");
    r->now = now;
}

/* n nodes, ids 1..n; node 1 forms the group at tick 0, the others join through it, four per
 * tick like app.c. */
static kc_t *kc_new(uint32_t n, uint64_t seed)
{
    CU_ASSERT_FATAL(n <= MAXN);
    kc_t *c = calloc(1, sizeof *c);
    CU_ASSERT_FATAL(c != NULL);
    c->n = n;
    rng_seed(&c->rng, seed);
    c->net = emulnet_new(&c->rng);
    CU_ASSERT_FATAL(c->net != NULL);
    c->dbg = tmpfile();
    CU_ASSERT_FATAL(c->dbg != NULL);
    log_init(&c->log, c->dbg, NULL);
    member_default_cfg(&c->mcfg, n);
    member_cfg_for_network(&c->mcfg, 0.0, 1);
    kv_default_cfg(&c->kcfg);
    c->pos = ring_poscache_new();
    CU_ASSERT_FATAL(c->pos != NULL);
    c->next_txid = 1;
    c->book = addrbook_new(); /* shared by the nodes, as in app.c */
    CU_ASSERT_FATAL(c->book != NULL);
    member_env_t menv = { emulnet_transport(c->net), &c->log, &c->rng, &c->mcfg, c->book, NULL };
    for (uint32_t id = 1; id <= n; id++) {
        knode_t *k = &c->nodes[id];
        k->m = member_new(A(id), &menv);
        CU_ASSERT_FATAL(k->m != NULL);
        CU_ASSERT_FATAL(emulnet_attach(c->net, A(id)) == 0);
        kv_env_t kenv = { .net = emulnet_transport(c->net),
                          .log = &c->log,
                          .member = k->m,
                          .positions = c->pos,
                          .cfg = &c->kcfg,
                          .next_txid = &c->next_txid,
                          .on_result = on_result,
                          .result_ctx = c };
        k->kv = kv_new(A(id), &kenv);
        CU_ASSERT_FATAL(k->kv != NULL);
        k->start = (id - 1) / 4;
    }
    return c;
}

static void kc_free(kc_t *c)
{
    if (!c)
        return;
    for (uint32_t id = 1; id <= c->n; id++) {
        kv_free(c->nodes[id].kv);
        member_free(c->nodes[id].m);
    }
    emulnet_free(c->net);
    addrbook_free(c->book);
    ring_poscache_free(c->pos);
    fclose(c->dbg);
    free(c);
}

static kv_node_t *KV(kc_t *c, uint32_t id)
{
    return c->nodes[id].kv;
}

/* The node stops for good after the tick that ran last. */
static void kc_fail(kc_t *c, uint32_t id)
{
    c->nodes[id].failed = true;
    emulnet_set_down(c->net, A(id));
}

/* The node runs again from the next tick as a new member (incarnation = its start tick) with an
 * empty store, as app.c's restart does; nobody has noticed that it was gone. */
static void kc_restart(kc_t *c, uint32_t id)
{
    knode_t *k = &c->nodes[id];
    kv_free(k->kv);
    member_free(k->m);
    member_env_t menv = { emulnet_transport(c->net), &c->log, &c->rng, &c->mcfg, c->book, NULL };
    k->m = member_new(A(id), &menv);
    CU_ASSERT_FATAL(k->m != NULL);
    kv_env_t kenv = { .net = emulnet_transport(c->net), .log = &c->log, .member = k->m, .positions = c->pos,
                      .cfg = &c->kcfg, .next_txid = &c->next_txid, .on_result = on_result,
                      .result_ctx = c };
    k->kv = kv_new(A(id), &kenv);
    CU_ASSERT_FATAL(k->kv != NULL);
    k->failed = false;
    k->start = c->now;
    emulnet_set_up(c->net, A(id));
}

static bool is_drop(kc_t *c, uint32_t id, const en_msg_t *msg)
{
    int type = wire_peek_type(msg->data, msg->len);
    return c->drop_to == id && c->now <= c->drop_until &&
           (type == MSG_KV_REQUEST || (c->drop_all_kv && wire_is_kv_type(type)));
}

/* One tick, as app.c's run_ticks / run_node do it. */
static void kc_step(kc_t *c)
{
    uint32_t now = c->now;
    emulnet_deliver(c->net, now);
    for (uint32_t id = 1; id <= c->n; id++) {
        knode_t *k = &c->nodes[id];
        if (k->start == now) {
            addr_t seed = A(1);
            member_start(k->m, &seed, 1, now, now);
        } else if (k->start != NEVER && k->start < now && !k->failed && !k->paused) {
            en_msg_t *msg;
            node_t peer = { k->m, k->kv };
            while ((msg = emulnet_recv(c->net, A(id), now))) {
                if (!is_drop(c, id, msg) &&
                    node_receive(&peer, msg->data, msg->len, now) != NODE_OK)
                    c->other_msgs++;
            }
            node_tick(&peer, now);
        }
    }
    c->now++;
}

static void kc_run_to(kc_t *c, uint32_t last)
{
    while (c->now <= last)
        kc_step(c);
}

/* The last tick that ran: client operations are issued after the nodes ran, as app.c does. */
static uint32_t kc_last(const kc_t *c)
{
    return c->now - 1;
}

static bool alive(const kc_t *c, uint32_t id)
{
    const knode_t *k = &c->nodes[id];
    return k->start != NEVER && k->start < c->now && !k->failed;
}

/* Every live node lists exactly the other live nodes. */
static bool converged(const kc_t *c)
{
    uint32_t live = 0;
    for (uint32_t i = 1; i <= c->n; i++)
        live += alive(c, i);
    for (uint32_t i = 1; i <= c->n; i++) {
        if (!alive(c, i))
            continue;
        if (!member_in_group(c->nodes[i].m) || member_count(c->nodes[i].m) != live - 1)
            return false;
        for (uint32_t j = 1; j <= c->n; j++)
            if (j != i && alive(c, j) && !member_knows(c->nodes[i].m, A(j)))
                return false;
    }
    return true;
}

/* Runs until every node scheduled to start has started and the lists have converged. */
static void kc_converge(kc_t *c, uint32_t limit)
{
    for (;;) {
        bool started = true;
        for (uint32_t id = 1; id <= c->n; id++)
            if (c->nodes[id].start != NEVER && c->nodes[id].start >= c->now)
                started = false;
        if ((started && converged(c)) || c->now > limit)
            break;
        kc_step(c);
    }
    CU_ASSERT_TRUE_FATAL(converged(c));
}

static uint32_t kc_op(kc_t *c, uint32_t coord, kv_op_t op, const char *key, const char *value)
{
    return kv_client(KV(c, coord), op, key, value, kc_last(c));
}

/* ---------------------------------------------------------------- log parsing */

static uint32_t parse_id(unsigned a, unsigned b, unsigned d, unsigned e)
{
    return (uint32_t)a | (uint32_t)b << 8 | (uint32_t)d << 16 | (uint32_t)e << 24;
}

/* Re-reads the whole dbg log and parses every result line; other lines (membership) are
 * skipped. A line mentioning a role that does not parse fails the test. */
static void kc_parse(kc_t *c)
{
    fflush(c->dbg);
    CU_ASSERT_FATAL(fseek(c->dbg, 0, SEEK_SET) == 0);
    c->nlines = 0;
    char line[1024];
    bool first = true;
    while (fgets(line, sizeof line, c->dbg)) {
        size_t len = strlen(line);
        CU_ASSERT(len > 0 && line[len - 1] == '\n');
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        if (first) {
            CU_ASSERT_STRING_EQUAL(line, "131");
            first = false;
            continue;
        }
        bool is_srv = strstr(line, "server:") != NULL, is_coord = strstr(line, "coordinator:");
        if (!is_srv && !is_coord)
            continue;
        unsigned a[4], tick;
        int port, off = -1;
        if (sscanf(line, " %u.%u.%u.%u:%d [%u] %n", &a[0], &a[1], &a[2], &a[3], &port, &tick,
                   &off) != 6 ||
            off < 0 || line[0] != ' ') {
            CU_FAIL("unparsable result line prefix");
            continue;
        }
        if (c->nlines == MAXLINES) {
            CU_FAIL("too many result lines");
            break;
        }
        rline_t *r = &c->lines[c->nlines];
        memset(r, 0, sizeof *r);
        r->logger = parse_id(a[0], a[1], a[2], a[3]);
        r->tick = tick;
        snprintf(r->text, sizeof r->text, "%s", line + off);
        const char *p = line + off;
        if (!strncmp(p, "server: ", 8)) {
            p += 8;
        } else if (!strncmp(p, "coordinator: ", 13)) {
            r->coord = true;
            p += 13;
        } else {
            CU_FAIL("result line without a role at the start");
            continue;
        }
        char outcome[16];
        int koff = -1;
        if (sscanf(p, "%7s %15s at time %u, transID=%u, key=%n", r->op, outcome, &r->time,
                   &r->txid, &koff) != 4 ||
            koff < 0) {
            CU_FAIL("unparsable result line");
            continue;
        }
        if (!strcmp(outcome, "success"))
            r->ok = true;
        else if (strcmp(outcome, "fail")) {
            CU_FAIL("outcome neither success nor fail");
            continue;
        }
        const char *k = p + koff, *v = strstr(k, ", value=");
        size_t kl = v ? (size_t)(v - k) : strlen(k);
        snprintf(r->key, sizeof r->key, "%.*s", (int)kl, k);
        if (v) {
            r->has_value = true;
            snprintf(r->value, sizeof r->value, "%s", v + 8);
        }
        CU_ASSERT_EQUAL(r->time, r->tick);
        c->nlines++;
    }
    CU_ASSERT_FATAL(fseek(c->dbg, 0, SEEK_END) == 0);
}

/* Result lines for txid: role 0 = server, 1 = coordinator, 2 = both; logger 0 = any. */
static unsigned count_lines(kc_t *c, int role, uint32_t txid, uint32_t logger)
{
    kc_parse(c);
    unsigned n = 0;
    for (size_t i = 0; i < c->nlines; i++) {
        const rline_t *r = &c->lines[i];
        if (r->txid == txid && (role == 2 || r->coord == (role == 1)) &&
            (!logger || r->logger == logger))
            n++;
    }
    return n;
}

static unsigned count_all_results(kc_t *c)
{
    kc_parse(c);
    return (unsigned)c->nlines;
}

/* Number of result lines logged by `logger` at `tick` whose text is exactly the formatted
 * message. */
static unsigned count_exact(kc_t *c, uint32_t logger, uint32_t tick, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static unsigned count_exact(kc_t *c, uint32_t logger, uint32_t tick, const char *fmt, ...)
{
    char want[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    kc_parse(c);
    unsigned n = 0;
    for (size_t i = 0; i < c->nlines; i++)
        if (c->lines[i].logger == logger && c->lines[i].tick == tick &&
            !strcmp(c->lines[i].text, want))
            n++;
    return n;
}

static long log_size(kc_t *c)
{
    fflush(c->dbg);
    CU_ASSERT_FATAL(fseek(c->dbg, 0, SEEK_END) == 0);
    return ftell(c->dbg);
}

static unsigned results_for(const kc_t *c, uint32_t txid, const result_t **last)
{
    unsigned n = 0;
    for (size_t i = 0; i < c->nres; i++)
        if (c->res[i].txid == txid) {
            n++;
            if (last)
                *last = &c->res[i];
        }
    return n;
}

/* ---------------------------------------------------------------- replicas */

static bool in_set(const addr_t *set, size_t k, uint32_t id)
{
    for (size_t i = 0; i < k; i++)
        if (set[i].id == id && set[i].port == 0)
            return true;
    return false;
}

/* The replicas of key on the ring of the live nodes, computed independently of kvnode. */
static size_t live_replicas(kc_t *c, const char *key, addr_t out[RING_REPLICAS])
{
    addr_t live[MAXN];
    size_t n = 0;
    for (uint32_t id = 1; id <= c->n; id++)
        if (alive(c, id))
            live[n++] = A(id);
    ring_t r;
    ring_init(&r);
    CU_ASSERT_FATAL(ring_build(&r, live, n, NULL) == 0);
    size_t k = ring_replicas(&r, ring_hash(key, strlen(key)), out);
    ring_free(&r);
    return k;
}

/* A live node that is not a replica of key (0 if none). */
static uint32_t non_replica(kc_t *c, const char *key, uint32_t skip)
{
    addr_t reps[RING_REPLICAS];
    size_t k = live_replicas(c, key, reps);
    for (uint32_t id = 1; id <= c->n; id++)
        if (alive(c, id) && id != skip && !in_set(reps, k, id))
            return id;
    return 0;
}

static int encode_reply(uint8_t *buf, size_t cap, addr_t from, uint32_t txid, kv_op_t op,
                        const char *key, bool ok, const char *value, kv_version_t v)
{
    static kv_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = MSG_KV_REPLY;
    m.from = from;
    m.txid = txid;
    m.op = op;
    m.flags = ok ? KV_FLAG_OK : 0;
    m.version = v;
    m.klen = (uint16_t)strlen(key);
    memcpy(m.key, key, m.klen);
    m.vlen = value ? (uint16_t)strlen(value) : 0;
    if (value)
        memcpy(m.value, value, m.vlen);
    return wire_encode_kv(&m, buf, cap);
}

static kv_stats_t stats_of(kc_t *c, uint32_t id)
{
    kv_stats_t s;
    kv_get_stats(KV(c, id), &s);
    return s;
}

/* A converged 5-node cluster. */
static kc_t *cluster5(uint64_t seed)
{
    kc_t *c = kc_new(5, seed);
    kc_converge(c, 60);
    return c;
}

/* ================================================================ tests */

/* A create: each replica logs one server success at T+1, the coordinator one success at T+2,
 * with the documented text; nobody else logs anything about it. */
static void test_create_lines(void)
{
    kc_t *c = cluster5(501);
    const uint32_t T = kc_last(c), C = 1;
    addr_t reps[RING_REPLICAS], kreps[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, "k", reps), 3);
    CU_ASSERT_EQUAL_FATAL(kv_replicas_of(KV(c, C), "k", kreps, T), 3);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_TRUE(addr_eq(reps[i], kreps[i])); /* the coordinator's view agrees */
    uint32_t tx = kc_op(c, C, KV_CREATE, "k", "v");
    CU_ASSERT_EQUAL(tx, 1);
    CU_ASSERT_EQUAL(c->next_txid, 2);
    kc_run_to(c, T + 1);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 0);
    kc_run_to(c, T + 6);
    for (uint32_t id = 1; id <= c->n; id++) {
        bool rep = in_set(reps, 3, id);
        CU_ASSERT_EQUAL(count_lines(c, 0, tx, id), rep ? 1u : 0u);
        if (rep)
            CU_ASSERT_EQUAL(count_exact(c, id, T + 1,
                                        "server: create success at time %u, transID=%u, key=k, "
                                        "value=v",
                                        T + 1, tx),
                            1);
        kv_stats_t s = stats_of(c, id);
        CU_ASSERT_EQUAL(s.keys, rep ? 1u : 0u);
        CU_ASSERT_EQUAL(s.requests_served, rep ? 1u : 0u);
        CU_ASSERT_EQUAL(s.malformed, 0);
    }
    CU_ASSERT_EQUAL(count_lines(c, 0, tx, 0), 3);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 1);
    CU_ASSERT_EQUAL(count_exact(c, C, T + 2,
                                "coordinator: create success at time %u, transID=%u, key=k, "
                                "value=v",
                                T + 2, tx),
                    1);
    CU_ASSERT_EQUAL(count_all_results(c), 4);
    kv_stats_t s = stats_of(c, C);
    CU_ASSERT_EQUAL(s.ops_ok, 1);
    CU_ASSERT_EQUAL(s.ops_failed, 0);
    const result_t *r = NULL;
    CU_ASSERT_EQUAL_FATAL(results_for(c, tx, &r), 1);
    CU_ASSERT_TRUE(r->ok && r->op == KV_CREATE && r->now == T + 2 && r->has_value);
    CU_ASSERT_STRING_EQUAL(r->key, "k");
    CU_ASSERT_STRING_EQUAL(r->value, "v");
    CU_ASSERT_EQUAL(c->other_msgs, 0);
    kc_free(c);
}

/* A read after an update returns the newest value, even when one of the two first answers
 * comes from a replica that missed the update. */
static void test_read_newest(void)
{
    kc_t *c = cluster5(502);
    const char *key = "fruit";
    addr_t reps[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, key, reps), 3);
    /* the replica with the smallest id answers first (nodes run in id order) */
    uint32_t stale = reps[0].id;
    for (int i = 1; i < 3; i++)
        if (reps[i].id < stale)
            stale = reps[i].id;
    uint32_t T = kc_last(c);
    uint32_t t1 = kc_op(c, 1, KV_CREATE, key, "apple");
    kc_run_to(c, T + 4);
    CU_ASSERT_EQUAL(count_exact(c, 1, T + 2,
                                "coordinator: create success at time %u, transID=%u, "
                                "key=fruit, value=apple",
                                T + 2, t1),
                    1);
    /* the update's request to `stale` is lost */
    T = kc_last(c);
    c->drop_to = stale;
    c->drop_until = T + 1;
    uint32_t t2 = kc_op(c, 2, KV_UPDATE, key, "banana");
    kc_run_to(c, T + 4);
    CU_ASSERT_EQUAL(count_lines(c, 0, t2, 0), 2);
    CU_ASSERT_EQUAL(count_lines(c, 0, t2, stale), 0);
    CU_ASSERT_EQUAL(count_exact(c, 2, T + 2,
                                "coordinator: update success at time %u, transID=%u, "
                                "key=fruit, value=banana",
                                T + 2, t2),
                    1);
    /* read through a third coordinator */
    T = kc_last(c);
    uint32_t t3 = kc_op(c, 3, KV_READ, key, NULL);
    kc_run_to(c, T + 4);
    CU_ASSERT_EQUAL(count_exact(c, stale, T + 1,
                                "server: read success at time %u, transID=%u, key=fruit, "
                                "value=apple",
                                T + 1, t3),
                    1);
    for (int i = 0; i < 3; i++)
        if (reps[i].id != stale)
            CU_ASSERT_EQUAL(count_exact(c, reps[i].id, T + 1,
                                        "server: read success at time %u, transID=%u, "
                                        "key=fruit, value=banana",
                                        T + 1, t3),
                            1);
    CU_ASSERT_EQUAL(count_lines(c, 1, t3, 0), 1);
    CU_ASSERT_EQUAL(count_exact(c, 3, T + 2,
                                "coordinator: read success at time %u, transID=%u, "
                                "key=fruit, value=banana",
                                T + 2, t3),
                    1);
    const result_t *r = NULL;
    CU_ASSERT_EQUAL_FATAL(results_for(c, t3, &r), 1);
    CU_ASSERT_TRUE(r->ok && r->op == KV_READ && r->has_value);
    CU_ASSERT_STRING_EQUAL(r->value, "banana");
    kc_free(c);
}

/* Reads, updates and deletes of an absent key fail everywhere; read and delete lines carry no
 * value. */
static void test_absent_key(void)
{
    kc_t *c = cluster5(503);
    addr_t reps[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, "nokey", reps), 3);
    uint32_t T = kc_last(c);
    uint32_t tr = kc_op(c, 4, KV_READ, "nokey", NULL);
    kc_run_to(c, T + 4);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(count_exact(c, reps[i].id, T + 1,
                                    "server: read fail at time %u, transID=%u, key=nokey",
                                    T + 1, tr),
                        1);
    CU_ASSERT_EQUAL(count_lines(c, 0, tr, 0), 3);
    CU_ASSERT_EQUAL(count_lines(c, 1, tr, 0), 1);
    CU_ASSERT_EQUAL(count_exact(c, 4, T + 2, "coordinator: read fail at time %u, transID=%u, "
                                             "key=nokey",
                                T + 2, tr),
                    1);
    const result_t *r = NULL;
    CU_ASSERT_EQUAL_FATAL(results_for(c, tr, &r), 1);
    CU_ASSERT_FALSE(r->ok);
    CU_ASSERT_FALSE(r->has_value);

    T = kc_last(c);
    uint32_t tu = kc_op(c, 4, KV_UPDATE, "nokey", "x");
    kc_run_to(c, T + 4);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(count_exact(c, reps[i].id, T + 1,
                                    "server: update fail at time %u, transID=%u, key=nokey, "
                                    "value=x",
                                    T + 1, tu),
                        1);
    CU_ASSERT_EQUAL(count_lines(c, 1, tu, 0), 1);
    CU_ASSERT_EQUAL(count_exact(c, 4, T + 2,
                                "coordinator: update fail at time %u, transID=%u, key=nokey, "
                                "value=x",
                                T + 2, tu),
                    1);

    T = kc_last(c);
    uint32_t td = kc_op(c, 4, KV_DELETE, "nokey", NULL);
    kc_run_to(c, T + 4);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(count_exact(c, reps[i].id, T + 1,
                                    "server: delete fail at time %u, transID=%u, key=nokey",
                                    T + 1, td),
                        1);
    CU_ASSERT_EQUAL(count_exact(c, 4, T + 2,
                                "coordinator: delete fail at time %u, transID=%u, key=nokey",
                                T + 2, td),
                    1);
    /* the failed update and delete stored nothing anywhere */
    for (uint32_t id = 1; id <= c->n; id++)
        CU_ASSERT_EQUAL(stats_of(c, id).keys, 0);
    CU_ASSERT_EQUAL(stats_of(c, 4).ops_failed, 3);
    CU_ASSERT_EQUAL(stats_of(c, 4).ops_ok, 0);
    kc_free(c);
}

/* Create only succeeds when the key is absent or deleted: a second create fails on every
 * replica and keeps the first value; after a delete, reads fail and a create succeeds again. */
static void test_create_existing_delete(void)
{
    kc_t *c = cluster5(504);
    addr_t reps[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, "dup", reps), 3);
    uint32_t T = kc_last(c);
    uint32_t t1 = kc_op(c, 5, KV_CREATE, "dup", "first");
    kc_run_to(c, T + 4);
    CU_ASSERT_EQUAL(count_lines(c, 1, t1, 0), 1);

    T = kc_last(c);
    uint32_t t2 = kc_op(c, 2, KV_CREATE, "dup", "second");
    kc_run_to(c, T + 4);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(count_exact(c, reps[i].id, T + 1,
                                    "server: create fail at time %u, transID=%u, key=dup, "
                                    "value=second",
                                    T + 1, t2),
                        1);
    CU_ASSERT_EQUAL(count_exact(c, 2, T + 2,
                                "coordinator: create fail at time %u, transID=%u, key=dup, "
                                "value=second",
                                T + 2, t2),
                    1);
    CU_ASSERT_EQUAL(count_lines(c, 1, t2, 0), 1);

    T = kc_last(c);
    uint32_t t3 = kc_op(c, 3, KV_READ, "dup", NULL);
    kc_run_to(c, T + 4);
    CU_ASSERT_EQUAL(count_exact(c, 3, T + 2,
                                "coordinator: read success at time %u, transID=%u, key=dup, "
                                "value=first",
                                T + 2, t3),
                    1);

    T = kc_last(c);
    uint32_t t4 = kc_op(c, 1, KV_DELETE, "dup", NULL);
    kc_run_to(c, T + 4);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(count_exact(c, reps[i].id, T + 1,
                                    "server: delete success at time %u, transID=%u, key=dup",
                                    T + 1, t4),
                        1);
    CU_ASSERT_EQUAL(count_exact(c, 1, T + 2,
                                "coordinator: delete success at time %u, transID=%u, key=dup",
                                T + 2, t4),
                    1);
    for (uint32_t id = 1; id <= c->n; id++)
        CU_ASSERT_EQUAL(stats_of(c, id).keys, 0); /* tombstones are not live keys */

    T = kc_last(c);
    uint32_t t5 = kc_op(c, 4, KV_READ, "dup", NULL);
    kc_run_to(c, T + 4);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(count_exact(c, reps[i].id, T + 1,
                                    "server: read fail at time %u, transID=%u, key=dup", T + 1,
                                    t5),
                        1);
    CU_ASSERT_EQUAL(count_exact(c, 4, T + 2,
                                "coordinator: read fail at time %u, transID=%u, key=dup", T + 2,
                                t5),
                    1);

    /* an update of a deleted key fails; a create succeeds */
    T = kc_last(c);
    uint32_t t6 = kc_op(c, 4, KV_UPDATE, "dup", "u");
    kc_run_to(c, T + 4);
    CU_ASSERT_EQUAL(count_exact(c, 4, T + 2,
                                "coordinator: update fail at time %u, transID=%u, key=dup, "
                                "value=u",
                                T + 2, t6),
                    1);
    T = kc_last(c);
    uint32_t t7 = kc_op(c, 4, KV_CREATE, "dup", "third");
    kc_run_to(c, T + 4);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(count_exact(c, reps[i].id, T + 1,
                                    "server: create success at time %u, transID=%u, key=dup, "
                                    "value=third",
                                    T + 1, t7),
                        1);
    CU_ASSERT_EQUAL(count_exact(c, 4, T + 2,
                                "coordinator: create success at time %u, transID=%u, key=dup, "
                                "value=third",
                                T + 2, t7),
                    1);
    T = kc_last(c);
    uint32_t t8 = kc_op(c, 2, KV_READ, "dup", NULL);
    kc_run_to(c, T + 4);
    CU_ASSERT_EQUAL(count_exact(c, 2, T + 2,
                                "coordinator: read success at time %u, transID=%u, key=dup, "
                                "value=third",
                                T + 2, t8),
                    1);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(stats_of(c, reps[i].id).keys, 1);
    kc_free(c);
}

/* All three replicas are down: the coordinator logs exactly one fail line, at the timeout
 * tick, and reports the result once. */
static void test_timeout_all_down(void)
{
    kc_t *c = cluster5(505);
    const char *key = "tk";
    addr_t reps[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, key, reps), 3);
    uint32_t C = non_replica(c, key, 0);
    CU_ASSERT_FATAL(C != 0);
    const uint32_t T = kc_last(c), TO = c->kcfg.timeout;
    CU_ASSERT_FATAL(TO >= 3);
    for (int i = 0; i < 3; i++)
        kc_fail(c, reps[i].id);
    uint32_t tx = kc_op(c, C, KV_CREATE, key, "tv");
    kc_run_to(c, T + TO - 1);
    CU_ASSERT_EQUAL(count_lines(c, 2, tx, 0), 0);
    CU_ASSERT_EQUAL(results_for(c, tx, NULL), 0);
    kc_run_to(c, T + TO);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 1);
    CU_ASSERT_EQUAL(count_exact(c, C, T + TO,
                                "coordinator: create fail at time %u, transID=%u, key=tk, "
                                "value=tv",
                                T + TO, tx),
                    1);
    kc_run_to(c, T + 3 * TO);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 1);
    CU_ASSERT_EQUAL(count_lines(c, 0, tx, 0), 0);
    const result_t *r = NULL;
    CU_ASSERT_EQUAL_FATAL(results_for(c, tx, &r), 1);
    CU_ASSERT_FALSE(r->ok);
    CU_ASSERT_EQUAL(r->now, T + TO);
    CU_ASSERT_EQUAL(stats_of(c, C).ops_failed, 1);
    kc_free(c);
}

/* Two replicas down: one success arrives at T+2 but the quorum is reached neither then nor
 * later; the read fails at the timeout tick, once. */
static void test_timeout_one_success(void)
{
    kc_t *c = cluster5(506);
    const char *key = "half";
    addr_t reps[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, key, reps), 3);
    uint32_t C = non_replica(c, key, 0);
    CU_ASSERT_FATAL(C != 0);
    uint32_t T = kc_last(c);
    uint32_t t1 = kc_op(c, C, KV_CREATE, key, "h");
    kc_run_to(c, T + 4);
    CU_ASSERT_EQUAL(count_lines(c, 1, t1, 0), 1);
    T = kc_last(c);
    const uint32_t TO = c->kcfg.timeout;
    kc_fail(c, reps[1].id);
    kc_fail(c, reps[2].id);
    uint32_t tx = kc_op(c, C, KV_READ, key, NULL);
    kc_run_to(c, T + TO - 1);
    CU_ASSERT_EQUAL(count_exact(c, reps[0].id, T + 1,
                                "server: read success at time %u, transID=%u, key=half, "
                                "value=h",
                                T + 1, tx),
                    1);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 0);
    kc_run_to(c, T + TO + 5);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 1);
    CU_ASSERT_EQUAL(count_exact(c, C, T + TO,
                                "coordinator: read fail at time %u, transID=%u, key=half",
                                T + TO, tx),
                    1);
    const result_t *r = NULL;
    CU_ASSERT_EQUAL_FATAL(results_for(c, tx, &r), 1);
    CU_ASSERT_FALSE(r->ok);
    CU_ASSERT_FALSE(r->has_value);
    kc_free(c);
}

/* Late replies (the third one, and injected ones after the decision), duplicates, and replies
 * for unknown transactions: no second coordinator line, no second callback, all counted in
 * ignored_replies. */
static void test_late_duplicate_replies(void)
{
    kc_t *c = cluster5(507);
    const char *key = "late";
    addr_t reps[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, key, reps), 3);
    const uint32_t C = 1;
    uint32_t T = kc_last(c);
    uint32_t tx = kc_op(c, C, KV_CREATE, key, "lv");
    kc_run_to(c, T + 2);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 1);
    /* the third reply arrived in the same tick, after the decision */
    CU_ASSERT_EQUAL(stats_of(c, C).ignored_replies, 1);
    uint8_t buf[WIRE_MAX_KV_MSG];
    kv_version_t v = { 1, C };
    int len = encode_reply(buf, sizeof buf, reps[0], tx, KV_CREATE, key, true, NULL, v);
    CU_ASSERT_FATAL(len > 0);
    long before = log_size(c);
    uint32_t now = kc_last(c);
    CU_ASSERT_EQUAL(kv_receive(KV(c, C), buf, (size_t)len, now), WIRE_OK);
    CU_ASSERT_EQUAL(kv_receive(KV(c, C), buf, (size_t)len, now), WIRE_OK);
    CU_ASSERT_EQUAL(stats_of(c, C).ignored_replies, 3);
    len = encode_reply(buf, sizeof buf, reps[1], tx, KV_CREATE, key, false, NULL, v);
    CU_ASSERT_EQUAL(kv_receive(KV(c, C), buf, (size_t)len, now), WIRE_OK);
    CU_ASSERT_EQUAL(stats_of(c, C).ignored_replies, 4);
    /* through the network, from a replica's address */
    len = encode_reply(buf, sizeof buf, reps[2], tx, KV_CREATE, key, true, NULL, v);
    CU_ASSERT_EQUAL(emulnet_send(c->net, reps[2], A(C), buf, (size_t)len, now), EN_QUEUED);
    kc_run_to(c, now + 2);
    CU_ASSERT_EQUAL(stats_of(c, C).ignored_replies, 5);
    /* an unknown transaction */
    len = encode_reply(buf, sizeof buf, reps[0], 9999, KV_CREATE, key, true, NULL, v);
    CU_ASSERT_EQUAL(kv_receive(KV(c, C), buf, (size_t)len, kc_last(c)), WIRE_OK);
    CU_ASSERT_EQUAL(stats_of(c, C).ignored_replies, 6);
    /* long after the deadline */
    kc_run_to(c, T + 3 * c->kcfg.timeout);
    len = encode_reply(buf, sizeof buf, reps[0], tx, KV_CREATE, key, true, NULL, v);
    CU_ASSERT_EQUAL(kv_receive(KV(c, C), buf, (size_t)len, kc_last(c)), WIRE_OK);
    CU_ASSERT_EQUAL(stats_of(c, C).ignored_replies, 7);
    CU_ASSERT_EQUAL(log_size(c), before);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 1);
    CU_ASSERT_EQUAL(results_for(c, tx, NULL), 1);
    kv_stats_t s = stats_of(c, C);
    CU_ASSERT_EQUAL(s.ops_ok, 1);
    CU_ASSERT_EQUAL(s.ops_failed, 0);
    CU_ASSERT_EQUAL(s.malformed, 0);
    kc_free(c);
}

/* While an operation is pending with one success, a duplicate of that success and a success
 * from a node that was not asked must not complete the quorum; a second replica's success does,
 * at once, and replies after it are ignored. */
static void test_duplicate_before_decision(void)
{
    kc_t *c = cluster5(508);
    const char *key = "dd";
    addr_t reps[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, key, reps), 3);
    uint32_t C = non_replica(c, key, 0);
    uint32_t S = non_replica(c, key, C); /* a live stranger */
    CU_ASSERT_FATAL(C != 0 && S != 0);
    const uint32_t T = kc_last(c);
    kc_fail(c, reps[1].id);
    kc_fail(c, reps[2].id);
    uint32_t tx = kc_op(c, C, KV_CREATE, key, "val");
    kc_run_to(c, T + 3);
    CU_ASSERT_EQUAL(count_lines(c, 0, tx, reps[0].id), 1);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 0);
    uint64_t ign = stats_of(c, C).ignored_replies;
    uint8_t buf[WIRE_MAX_KV_MSG];
    kv_version_t v = { 1, C };
    int len = encode_reply(buf, sizeof buf, reps[0], tx, KV_CREATE, key, true, NULL, v);
    CU_ASSERT_FATAL(len > 0);
    const uint32_t now = kc_last(c);
    CU_ASSERT_EQUAL(kv_receive(KV(c, C), buf, (size_t)len, now), WIRE_OK);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 0); /* not a second success */
    CU_ASSERT_EQUAL(stats_of(c, C).ignored_replies, ign + 1);
    len = encode_reply(buf, sizeof buf, A(S), tx, KV_CREATE, key, true, NULL, v);
    CU_ASSERT_EQUAL(kv_receive(KV(c, C), buf, (size_t)len, now), WIRE_OK);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 0);
    len = encode_reply(buf, sizeof buf, addr_make(reps[1].id, 1), tx, KV_CREATE, key, true, NULL,
                       v); /* right id, wrong port */
    CU_ASSERT_EQUAL(kv_receive(KV(c, C), buf, (size_t)len, now), WIRE_OK);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 0);
    CU_ASSERT_EQUAL(stats_of(c, C).ignored_replies, ign + 3);
    CU_ASSERT_EQUAL(results_for(c, tx, NULL), 0);
    /* the second replica (down, its reply forged) completes the quorum */
    len = encode_reply(buf, sizeof buf, reps[1], tx, KV_CREATE, key, true, NULL, v);
    CU_ASSERT_EQUAL(kv_receive(KV(c, C), buf, (size_t)len, now), WIRE_OK);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 1);
    CU_ASSERT_EQUAL(count_exact(c, C, now,
                                "coordinator: create success at time %u, transID=%u, key=dd, "
                                "value=val",
                                now, tx),
                    1);
    len = encode_reply(buf, sizeof buf, reps[2], tx, KV_CREATE, key, true, NULL, v);
    CU_ASSERT_EQUAL(kv_receive(KV(c, C), buf, (size_t)len, now), WIRE_OK);
    CU_ASSERT_EQUAL(stats_of(c, C).ignored_replies, ign + 4);
    kc_run_to(c, T + 3 * c->kcfg.timeout); /* no timeout line for a decided operation */
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 1);
    CU_ASSERT_EQUAL(results_for(c, tx, NULL), 1);
    kc_free(c);
}

/* Malformed bytes: kv_receive returns the decoder's negative status, counts them, logs and
 * changes nothing. */
static void test_malformed(void)
{
    kc_t *c = cluster5(509);
    kv_node_t *kv = KV(c, 2);
    uint8_t good[WIRE_MAX_KV_MSG];
    kv_version_t v = { 1, 1 };
    int glen = encode_reply(good, sizeof good, A(3), 4242, KV_READ, "k", true, "v", v);
    CU_ASSERT_FATAL(glen > 0);
    static uint8_t bad[8][WIRE_MAX_KV_MSG + 8];
    size_t blen[8];
    memcpy(bad[0], good, 2); /* too short */
    blen[0] = 2;
    memcpy(bad[1], good, (size_t)glen - 1); /* truncated */
    blen[1] = (size_t)glen - 1;
    memcpy(bad[2], good, (size_t)glen); /* trailing byte */
    bad[2][glen] = 'x';
    blen[2] = (size_t)glen + 1;
    memcpy(bad[3], good, (size_t)glen); /* bad magic */
    bad[3][0] ^= 0xFF;
    blen[3] = (size_t)glen;
    memcpy(bad[4], good, (size_t)glen); /* unknown type */
    bad[4][2] = 99;
    blen[4] = (size_t)glen;
    memcpy(bad[5], good, (size_t)glen); /* space in the key */
    bad[5][WIRE_KV_HEADER_SIZE] = ' ';
    blen[5] = (size_t)glen;
    memcpy(bad[6], good, (size_t)glen); /* a membership type */
    bad[6][2] = MSG_GOSSIP;
    blen[6] = (size_t)glen;
    memcpy(bad[7], good, (size_t)glen); /* sender id 0 */
    memset(bad[7] + 3, 0, 4);
    blen[7] = (size_t)glen;
    long before = log_size(c);
    kv_stats_t s0 = stats_of(c, 2);
    static kv_msg_t scratch;
    for (int i = 0; i < 8; i++) {
        int expect = wire_decode_kv(bad[i], blen[i], &scratch);
        int got = kv_receive(kv, bad[i], blen[i], kc_last(c));
        CU_ASSERT(got < 0);
        CU_ASSERT_EQUAL(got, expect);
        CU_ASSERT_EQUAL(stats_of(c, 2).malformed, s0.malformed + (uint64_t)i + 1);
    }
    CU_ASSERT_EQUAL(kv_receive(kv, NULL, 0, kc_last(c)) < 0, 1);
    kv_stats_t s1 = stats_of(c, 2);
    CU_ASSERT_EQUAL(s1.malformed, s0.malformed + 9);
    CU_ASSERT_EQUAL(s1.ignored_replies, s0.ignored_replies);
    CU_ASSERT_EQUAL(s1.requests_served, s0.requests_served);
    CU_ASSERT_EQUAL(s1.keys, 0);
    CU_ASSERT_EQUAL(log_size(c), before);
    /* the intact message is well-formed: not malformed, an ignored (unknown) reply */
    CU_ASSERT_EQUAL(kv_receive(kv, good, (size_t)glen, kc_last(c)), WIRE_OK);
    s1 = stats_of(c, 2);
    CU_ASSERT_EQUAL(s1.malformed, s0.malformed + 9);
    CU_ASSERT_EQUAL(s1.ignored_replies, s0.ignored_replies + 1);
    /* the node still works */
    uint32_t T = kc_last(c);
    uint32_t tx = kc_op(c, 2, KV_CREATE, "ok", "fine");
    kc_run_to(c, T + 3);
    CU_ASSERT_EQUAL(count_exact(c, 2, T + 2,
                                "coordinator: create success at time %u, transID=%u, key=ok, "
                                "value=fine",
                                T + 2, tx),
                    1);
    kc_free(c);
}

/* A series of operations through several coordinators: on_result is called exactly once per
 * operation, at the tick of its coordinator line, with the same outcome and the documented
 * value. */
static void test_on_result_once(void)
{
    kc_t *c = cluster5(510);
    static const struct {
        uint32_t coord;
        kv_op_t op;
        const char *key, *value;
        bool ok;
        const char *cb_value; /* NULL: no value */
    } ops[] = {
        { 1, KV_CREATE, "a", "1", true, "1" },     { 2, KV_CREATE, "a", "2", false, "2" },
        { 3, KV_READ, "a", NULL, true, "1" },       { 4, KV_UPDATE, "a", "3", true, "3" },
        { 5, KV_READ, "a", NULL, true, "3" },       { 1, KV_READ, "zz", NULL, false, NULL },
        { 2, KV_UPDATE, "zz", "9", false, "9" },    { 3, KV_DELETE, "a", NULL, true, NULL },
        { 4, KV_READ, "a", NULL, false, NULL },     { 5, KV_DELETE, "a", NULL, false, NULL },
        { 1, KV_CREATE, "a", "4", true, "4" },      { 2, KV_READ, "a", NULL, true, "4" },
    };
    enum { NOPS = sizeof ops / sizeof ops[0] };
    uint32_t tx[NOPS];
    for (int i = 0; i < NOPS; i++) {
        uint32_t T = kc_last(c);
        tx[i] = kc_op(c, ops[i].coord, ops[i].op, ops[i].key, ops[i].value);
        if (i > 0)
            CU_ASSERT_EQUAL(tx[i], tx[i - 1] + 1);
        kc_run_to(c, T + 3);
    }
    /* two operations at the same tick, one of them on the same key */
    uint32_t T = kc_last(c);
    uint32_t ta = kc_op(c, 3, KV_CREATE, "b", "x");
    uint32_t tb = kc_op(c, 4, KV_READ, "a", NULL);
    kc_run_to(c, T + 3 * c->kcfg.timeout);
    CU_ASSERT_EQUAL(c->nres, NOPS + 2);
    for (int i = 0; i < NOPS; i++) {
        const result_t *r = NULL;
        CU_ASSERT_EQUAL(results_for(c, tx[i], &r), 1);
        if (!r)
            continue;
        CU_ASSERT_EQUAL(r->op, ops[i].op);
        CU_ASSERT_STRING_EQUAL(r->key, ops[i].key);
        if (r->ok != ops[i].ok)
            fprintf(stderr, "\n  op %d (%s %s): callback ok=%d, expected %d\n", i,
                    kv_op_name(ops[i].op), ops[i].key, r->ok, ops[i].ok);
        CU_ASSERT_EQUAL(r->ok, ops[i].ok);
        CU_ASSERT_EQUAL(r->has_value, ops[i].cb_value != NULL);
        if (ops[i].cb_value)
            CU_ASSERT_STRING_EQUAL(r->value, ops[i].cb_value);
        /* the coordinator line agrees */
        CU_ASSERT_EQUAL(count_lines(c, 1, tx[i], ops[i].coord), 1);
        kc_parse(c);
        for (size_t j = 0; j < c->nlines; j++) {
            const rline_t *l = &c->lines[j];
            if (!l->coord || l->txid != tx[i])
                continue;
            CU_ASSERT_EQUAL(l->tick, r->now);
            CU_ASSERT_EQUAL(l->ok, r->ok);
            CU_ASSERT_STRING_EQUAL(l->op, kv_op_name(r->op));
            CU_ASSERT_STRING_EQUAL(l->key, r->key);
            CU_ASSERT_EQUAL(l->has_value, r->has_value);
            if (l->has_value && r->has_value)
                CU_ASSERT_STRING_EQUAL(l->value, r->value);
        }
    }
    const result_t *ra = NULL, *rb = NULL;
    CU_ASSERT_EQUAL(results_for(c, ta, &ra), 1);
    CU_ASSERT_EQUAL(results_for(c, tb, &rb), 1);
    if (ra && rb) {
        CU_ASSERT_TRUE(ra->ok);
        CU_ASSERT_TRUE(rb->ok);
        CU_ASSERT_STRING_EQUAL(rb->value, "4");
    }
    kc_free(c);
}

/* ---------------------------------------------------------------- stabilization */

#define MAXHOLD 32
typedef struct {
    char key[32];
    uint32_t holders[MAXHOLD];
    char value[MAXHOLD][64];
    unsigned long long stamp[MAXHOLD];
    unsigned vnode[MAXHOLD];
    unsigned nh;
} copies_t;

/* Dumps every live node into a tmpfile and collects, per key of keys[], who holds a live copy
 * and which version. Unknown keys or unparsable lines fail the test. */
static void collect(kc_t *c, const char *const *keys, size_t nkeys, copies_t *cp)
{
    memset(cp, 0, nkeys * sizeof *cp);
    for (size_t i = 0; i < nkeys; i++)
        snprintf(cp[i].key, sizeof cp[i].key, "%s", keys[i]);
    FILE *f = tmpfile();
    CU_ASSERT_FATAL(f != NULL);
    for (uint32_t id = 1; id <= c->n; id++)
        if (alive(c, id))
            kv_dump(KV(c, id), f);
    rewind(f);
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned a[4], vnode;
        int port;
        char key[64], value[64];
        unsigned long long stamp;
        if (strncmp(line, "tomb ", 5) == 0)
            continue; /* a deletion: not a live copy */
        if (sscanf(line, "item %u.%u.%u.%u:%d %63s %63s %llu.%u", &a[0], &a[1], &a[2], &a[3],
                   &port, key, value, &stamp, &vnode) != 9) {
            CU_FAIL("unparsable dump line");
            continue;
        }
        size_t k = 0;
        while (k < nkeys && strcmp(keys[k], key))
            k++;
        if (k == nkeys) {
            CU_FAIL("dump lists an unknown key");
            continue;
        }
        copies_t *p = &cp[k];
        if (p->nh == MAXHOLD)
            continue;
        p->holders[p->nh] = parse_id(a[0], a[1], a[2], a[3]);
        snprintf(p->value[p->nh], sizeof p->value[p->nh], "%s", value);
        p->stamp[p->nh] = stamp;
        p->vnode[p->nh] = vnode;
        p->nh++;
    }
    fclose(f);
}

/* Each key (live ones: expect_live) sits on exactly its 3 replicas of the live ring, with one
 * version and one value; deleted keys are nowhere. Returns the number of misplaced keys. */
static unsigned check_placement(kc_t *c, const char *const *keys, const bool *expect_live,
                                size_t nkeys, const char *what)
{
    static copies_t cp[64];
    CU_ASSERT_FATAL(nkeys <= 64);
    collect(c, keys, nkeys, cp);
    unsigned bad = 0;
    uint64_t total = 0;
    for (size_t k = 0; k < nkeys; k++) {
        addr_t reps[RING_REPLICAS];
        size_t nr = live_replicas(c, keys[k], reps);
        bool ok = true;
        if (!expect_live[k]) {
            ok = cp[k].nh == 0;
        } else {
            ok = cp[k].nh == nr;
            for (unsigned h = 0; h < cp[k].nh; h++) {
                ok &= in_set(reps, nr, cp[k].holders[h]);
                ok &= cp[k].stamp[h] == cp[k].stamp[0] && cp[k].vnode[h] == cp[k].vnode[0] &&
                      !strcmp(cp[k].value[h], cp[k].value[0]);
                for (unsigned g = 0; g < h; g++)
                    ok &= cp[k].holders[g] != cp[k].holders[h];
            }
            total += nr;
        }
        if (!ok) {
            bad++;
            fprintf(stderr, "\n  %s: key %s on %u node(s):", what, keys[k], cp[k].nh);
            for (unsigned h = 0; h < cp[k].nh; h++)
                fprintf(stderr, " %u(%s %llu.%u)", cp[k].holders[h], cp[k].value[h],
                        cp[k].stamp[h], cp[k].vnode[h]);
            fprintf(stderr, "; replicas:");
            for (size_t i = 0; i < nr; i++)
                fprintf(stderr, " %u", reps[i].id);
        }
    }
    uint64_t held = 0;
    for (uint32_t id = 1; id <= c->n; id++)
        if (alive(c, id))
            held += stats_of(c, id).keys;
    if (held != total)
        fprintf(stderr, "\n  %s: %llu live copies held, %llu expected\n", what,
                (unsigned long long)held, (unsigned long long)total);
    bad += held != total;
    return bad;
}

#define NKEYS 30

static void make_keys(char names[NKEYS][16], const char *keys[NKEYS])
{
    for (int i = 0; i < NKEYS; i++) {
        snprintf(names[i], 16, "key%02d", i);
        keys[i] = names[i];
    }
}

/* Creates every key (through rotating coordinators), deletes the last two, and checks the
 * placement. */
static void load_keys(kc_t *c, const char *const *keys, bool *live)
{
    uint32_t T = kc_last(c);
    uint32_t first = c->next_txid;
    char value[16];
    for (int i = 0; i < NKEYS; i++) {
        uint32_t coord = 1;
        for (uint32_t tries = 0; tries < c->n; tries++) { /* a live coordinator */
            coord = 1 + (uint32_t)(i + tries) % c->n;
            if (alive(c, coord))
                break;
        }
        snprintf(value, sizeof value, "val%d", i);
        kc_op(c, coord, KV_CREATE, keys[i], value);
        live[i] = true;
    }
    kc_run_to(c, T + 4);
    T = kc_last(c);
    for (int i = NKEYS - 2; i < NKEYS; i++) {
        kc_op(c, 1, KV_DELETE, keys[i], NULL);
        live[i] = false;
    }
    kc_run_to(c, T + 4);
    unsigned ok = 0;
    for (uint32_t tx = first; tx < c->next_txid; tx++) {
        const result_t *r = NULL;
        ok += results_for(c, tx, &r) == 1 && r->ok;
    }
    CU_ASSERT_EQUAL(ok, NKEYS + 2);
}

/* The keys of a loaded cluster: names, pointers to them, and which are live (not deleted). */
typedef struct {
    char names[NKEYS][16];
    const char *keys[NKEYS];
    bool live[NKEYS];
} keyset_t;

/* n nodes, those in late[0..nlate) left unstarted; the others converge, then every key of ks
 * is created (the last two deleted again) and placed. */
static kc_t *loaded_cluster(uint32_t n, uint64_t seed, const uint32_t *late, size_t nlate,
                            keyset_t *ks)
{
    kc_t *c = kc_new(n, seed);
    for (size_t i = 0; i < nlate; i++)
        c->nodes[late[i]].start = NEVER;
    kc_converge(c, 80);
    make_keys(ks->names, ks->keys);
    load_keys(c, ks->keys, ks->live);
    return c;
}

/* A replica of some keys fails and is removed from every list: each key ends up on exactly
 * the 3 replicas of the survivors' ring, with one version, and no result lines are logged by
 * the handoffs. */
static void test_stabilize_after_failure(void)
{
    keyset_t ks;
    kc_t *c = loaded_cluster(8, 511, NULL, 0, &ks);
    const char *const *keys = ks.keys;
    const bool *live = ks.live;
    CU_ASSERT_EQUAL(check_placement(c, keys, live, NKEYS, "before failure"), 0);

    /* fail the primary of key00 */
    addr_t reps[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, keys[0], reps), 3);
    const uint32_t F = reps[0].id;
    unsigned affected = 0;
    for (int i = 0; i < NKEYS; i++) {
        addr_t r[RING_REPLICAS];
        live_replicas(c, keys[i], r);
        affected += live[i] && in_set(r, 3, F);
    }
    CU_ASSERT(affected >= 1);
    unsigned lines_before = count_all_results(c);
    kc_fail(c, F);
    const uint32_t TF = kc_last(c);
    bool gone = false;
    while (!gone && c->now <= TF + 400) {
        kc_step(c);
        gone = true;
        for (uint32_t id = 1; id <= c->n; id++)
            if (alive(c, id) && member_knows(c->nodes[id].m, A(F)))
                gone = false;
    }
    CU_ASSERT_TRUE_FATAL(gone);
    CU_ASSERT_TRUE(converged(c));
    kc_run_to(c, kc_last(c) + 4 * c->kcfg.transfer_retry + 10);
    CU_ASSERT_EQUAL(check_placement(c, keys, live, NKEYS, "after failure"), 0);
    CU_ASSERT_EQUAL(count_all_results(c), lines_before);
    uint64_t applied = 0;
    for (uint32_t id = 1; id <= c->n; id++)
        if (alive(c, id))
            applied += stats_of(c, id).transfers_applied;
    CU_ASSERT(applied >= affected); /* each affected key reached a new replica */
    /* reads still work from every survivor */
    uint32_t T = kc_last(c), first = c->next_txid;
    for (uint32_t id = 1; id <= c->n; id++)
        if (alive(c, id))
            kc_op(c, id, KV_READ, keys[id], NULL);
    kc_run_to(c, T + 3);
    for (uint32_t tx = first; tx < c->next_txid; tx++) {
        const result_t *r = NULL;
        CU_ASSERT_EQUAL(results_for(c, tx, &r), 1);
        CU_ASSERT_TRUE(r && r->ok && r->now == T + 2);
    }
    kc_free(c);
}

/* A node joins: the keys it now replicates reach it, and the node each displaced gives its copy
 * up, so every key is again on exactly its 3 replicas and nowhere else. */
static void test_stabilize_after_join(void)
{
    const uint32_t J = 8;
    keyset_t ks;
    kc_t *c = loaded_cluster(8, 512, &J, 1, &ks);
    const char *const *keys = ks.keys;
    const bool *live = ks.live;
    CU_ASSERT_EQUAL(check_placement(c, keys, live, NKEYS, "before join"), 0);
    unsigned lines_before = count_all_results(c);
    c->nodes[J].start = c->now;
    kc_converge(c, c->now + 200);
    unsigned moved = 0;
    for (int i = 0; i < NKEYS; i++) {
        addr_t r[RING_REPLICAS];
        live_replicas(c, keys[i], r);
        moved += live[i] && in_set(r, 3, J);
    }
    CU_ASSERT(moved >= 1);
    kc_run_to(c, kc_last(c) + 4 * c->kcfg.transfer_retry + 10);
    CU_ASSERT_EQUAL(check_placement(c, keys, live, NKEYS, "after join"), 0);
    CU_ASSERT_EQUAL(count_all_results(c), lines_before);
    CU_ASSERT_EQUAL(stats_of(c, J).keys, moved);
    uint64_t dropped = 0;
    for (uint32_t id = 1; id <= c->n; id++)
        dropped += stats_of(c, id).keys_dropped;
    CU_ASSERT(dropped >= moved);
    kc_free(c);
}

/* ---------------------------------------------------------------- handoff */

/* The replicas of key among the nodes ids[0..n), computed independently of kvnode. */
static size_t replicas_among(const char *key, const uint32_t *ids, size_t n,
                             addr_t out[RING_REPLICAS])
{
    addr_t a[MAXN];
    for (size_t i = 0; i < n; i++)
        a[i] = A(ids[i]);
    ring_t r;
    ring_init(&r);
    CU_ASSERT_FATAL(ring_build(&r, a, n, NULL) == 0);
    size_t k = ring_replicas(&r, ring_hash(key, strlen(key)), out);
    ring_free(&r);
    return k;
}

/* A live key whose replica set gains node J when J joins the live nodes: *stay is the first new
 * replica that was a replica before (0 if none), *leave a replica that gives way to J. */
static int key_moved_by_join(kc_t *c, const char *const *keys, const bool *live, uint32_t J,
                             uint32_t *stay, uint32_t *leave)
{
    uint32_t ids[MAXN];
    size_t n = 0;
    for (uint32_t id = 1; id <= c->n; id++)
        if (alive(c, id) || id == J)
            ids[n++] = id;
    for (int i = 0; i < NKEYS; i++) {
        addr_t before[RING_REPLICAS], after[RING_REPLICAS];
        size_t kb = live_replicas(c, keys[i], before), ka = replicas_among(keys[i], ids, n, after);
        if (!live[i] || kb != 3 || ka != 3 || !in_set(after, ka, J))
            continue;
        *stay = *leave = 0;
        for (size_t j = 0; j < ka && !*stay; j++)
            if (in_set(before, kb, after[j].id))
                *stay = after[j].id;
        for (size_t j = 0; j < kb && !*leave; j++)
            if (!in_set(after, ka, before[j].id))
                *leave = before[j].id;
        if (*stay && *stay != 1 && *leave)
            return i;
    }
    return -1;
}

/* The presumed holder: a replica of a key fails, and before anyone notices, two nodes join
 * that leave the dead replica as the only old one among the key's new replicas. The old design
 * named it the one sender while the two live holders, giving way to the newcomers, dropped their
 * copies. Now they keep them until every replica they see has acknowledged one, so the key ends
 * up on its 3 live replicas. */
static void test_handoff_presumed_holder_dead(void)
{
    const uint32_t J1 = 7, J2 = 8, late[] = { J1, J2 };
    keyset_t ks;
    kc_t *c = loaded_cluster(8, 521, late, 2, &ks);
    const char *const *keys = ks.keys;
    const bool *live = ks.live;
    const uint32_t all[] = { 1, 2, 3, 4, 5, 6, J1, J2 };
    int k = -1;
    uint32_t S = 0;
    for (int i = 0; i < NKEYS && k < 0; i++) {
        addr_t before[RING_REPLICAS], after[RING_REPLICAS];
        size_t kb = live_replicas(c, keys[i], before), ka = replicas_among(keys[i], all, 8, after);
        unsigned kept = 0;
        for (size_t j = 0; j < ka; j++)
            if (in_set(before, kb, after[j].id)) {
                kept++;
                S = after[j].id;
            }
        if (live[i] && kb == 3 && kept == 1 && S != 1)
            k = i;
    }
    CU_ASSERT_FATAL(k >= 0);
    kc_fail(c, S);
    c->nodes[J1].start = c->nodes[J2].start = c->now + 1;
    kc_converge(c, c->now + 300);
    kc_run_to(c, kc_last(c) + 4 * c->kcfg.transfer_retry + 10);
    CU_ASSERT_EQUAL(check_placement(c, keys, live, NKEYS, "after the failure and the joins"), 0);
    kc_free(c);
}

/* A node that is no longer a replica keeps its copy until every replica in its view has
 * acknowledged it: while everything sent to the newcomer is lost, the node it displaced still
 * holds the key (and the newcomer does not); once messages get through, the key moves and the
 * displaced node gives it up. */
static void test_handoff_waits_for_every_replica(void)
{
    const uint32_t J = 9;
    keyset_t ks;
    kc_t *c = loaded_cluster(9, 522, &J, 1, &ks);
    const char *const *keys = ks.keys;
    const bool *live = ks.live;
    uint32_t S = 0, L = 0;
    int k = key_moved_by_join(c, keys, live, J, &S, &L);
    CU_ASSERT_FATAL(k >= 0);
    c->drop_to = J;
    c->drop_all_kv = true;
    c->drop_until = c->now + 80;
    c->nodes[J].start = c->now;
    kc_converge(c, c->now + 60);
    kc_run_to(c, c->drop_until - 1);
    kv_version_t v;
    const char *val;
    bool del;
    CU_ASSERT_TRUE(kv_peek(KV(c, L), keys[k], &v, &val, &del) && !del);
    CU_ASSERT_FALSE(kv_peek(KV(c, J), keys[k], &v, &val, &del));
    kc_run_to(c, c->drop_until + 4 * c->kcfg.transfer_retry + 10);
    CU_ASSERT_EQUAL(check_placement(c, keys, live, NKEYS, "after the messages got through"), 0);
    CU_ASSERT_FALSE(kv_peek(KV(c, L), keys[k], &v, &val, &del));
    kc_free(c);
}

/* When a node joins, each key it takes over travels to it less than twice on average (three
 * holders each sending it would make three): the holders an older view ranks first send at once,
 * the others start a little later and mostly find it there (offers answered "have it"). Views
 * learn of the newcomer at different ticks, so some keys still travel twice. */
static void test_handoff_value_travels_once(void)
{
    const uint32_t J = 9;
    keyset_t ks;
    kc_t *c = loaded_cluster(9, 523, &J, 1, &ks);
    const char *const *keys = ks.keys;
    const bool *live = ks.live;
    uint64_t sent0 = 0;
    for (uint32_t id = 1; id <= c->n; id++)
        if (alive(c, id))
            sent0 += stats_of(c, id).transfers_sent;
    c->nodes[J].start = c->now;
    kc_converge(c, c->now + 200);
    kc_run_to(c, kc_last(c) + 4 * c->kcfg.transfer_retry + 10);
    CU_ASSERT_EQUAL(check_placement(c, keys, live, NKEYS, "after the join"), 0);
    uint64_t sent = 0, offered = 0;
    for (uint32_t id = 1; id <= c->n; id++) {
        sent += stats_of(c, id).transfers_sent;
        offered += stats_of(c, id).keys_offered;
    }
    sent -= sent0;
    uint64_t moved = stats_of(c, J).transfers_applied;
    CU_ASSERT(moved >= 1);
    CU_ASSERT(sent < 2 * moved);
    CU_ASSERT(offered >= moved);
    kc_free(c);
}

/* A replica restarts with an empty store (same address, new incarnation) before anyone removed
 * it: its co-replicas see the new incarnation and hand it their keys at once; anti-entropy is off
 * here, so nothing else could. */
static void test_handoff_restarted_replica(void)
{
    kc_t *c = kc_new(8, 524);
    c->kcfg.sync_period = 0;
    kc_converge(c, 80);
    char names[NKEYS][16];
    const char *keys[NKEYS];
    bool live[NKEYS];
    make_keys(names, keys);
    load_keys(c, keys, live);
    addr_t reps[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, keys[0], reps), 3);
    uint32_t R = reps[0].id != 1 ? reps[0].id : reps[1].id;
    unsigned replicated = 0;
    for (int i = 0; i < NKEYS; i++) {
        addr_t r[RING_REPLICAS];
        replicated += live[i] && in_set(r, live_replicas(c, keys[i], r), R);
    }
    kc_fail(c, R);
    kc_step(c);
    kc_restart(c, R);
    kc_run_to(c, kc_last(c) + 40);
    CU_ASSERT_EQUAL(stats_of(c, R).keys, replicated);
    CU_ASSERT_EQUAL(check_placement(c, keys, live, NKEYS, "after the restart"), 0);
    kc_free(c);
}

/* A stale answer: node J restarts empty (a new incarnation, which everyone learns); a node L
 * that is not a replica of key K gets a copy of K and hands it to K's replicas, J among them.
 * While nothing reaches J, an answer that J's earlier life sent ("I hold K") arrives at L. It
 * says nothing about J now and must not count: L keeps K until J, as it is now, acknowledges
 * it. (Messages are injected, so the timing is exact.) */
static void test_handoff_stale_answer_from_earlier_life(void)
{
    keyset_t ks;
    kc_t *c = loaded_cluster(9, 525, NULL, 0, &ks);
    const char *const *keys = ks.keys;
    const char *K = keys[0];
    addr_t reps[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, K, reps), 3);
    const uint32_t J = reps[0].id != 1 ? reps[0].id : reps[1].id;
    const uint32_t S = reps[2].id != J ? reps[2].id : reps[1].id;
    const uint32_t L = non_replica(c, K, 0);
    const uint32_t old_inc = c->nodes[J].start; /* its incarnation is its start tick */
    CU_ASSERT_FATAL(L != 0);
    kv_version_t v;
    const char *val;
    bool del;
    CU_ASSERT_FATAL(kv_peek(KV(c, S), K, &v, &val, &del) && !del);
    char value[64];
    snprintf(value, sizeof value, "%s", val);

    c->drop_to = J; /* from now on no key-value message reaches J */
    c->drop_all_kv = true;
    c->drop_until = c->now + 1000;
    kc_fail(c, J); /* J restarts empty; within 60 ticks everyone lists its new incarnation */
    kc_step(c);
    kc_restart(c, J);
    kc_run_to(c, kc_last(c) + 60);
    CU_ASSERT_FATAL(c->nodes[J].start != old_inc);

    static kv_msg_t m;
    static uint8_t buf[WIRE_MAX_DIGEST_MSG > WIRE_MAX_KV_MSG ? WIRE_MAX_DIGEST_MSG : WIRE_MAX_KV_MSG];
    memset(&m, 0, sizeof m); /* S hands L a copy of K, as a stale view might */
    m.type = MSG_KV_TRANSFER;
    m.from = A(S);
    m.version = v;
    m.klen = (uint16_t)strlen(K);
    memcpy(m.key, K, m.klen);
    m.vlen = (uint16_t)strlen(value);
    memcpy(m.value, value, m.vlen);
    int len = wire_encode_kv(&m, buf, sizeof buf);
    CU_ASSERT_FATAL(len > 0);
    CU_ASSERT_EQUAL(kv_receive(KV(c, L), buf, (size_t)len, kc_last(c)), WIRE_OK);
    kc_run_to(c, kc_last(c) + 10); /* the replicas other than J acknowledge it */
    CU_ASSERT_TRUE_FATAL(kv_peek(KV(c, L), K, &v, &val, &del));

    /* J's earlier life answers: it held K. */
    size_t dlen = wire_digest_begin_as(buf, MSG_KV_HAVE, A(J), old_inc);
    kv_digest_entry_t e = { (uint8_t)strlen(K), K, false, v };
    CU_ASSERT_FATAL(wire_digest_add(buf, sizeof buf, &dlen, &e) == 0);
    uint64_t stale = stats_of(c, L).stale_answers;
    CU_ASSERT_EQUAL(kv_receive(KV(c, L), buf, dlen, kc_last(c)), WIRE_OK);
    CU_ASSERT_EQUAL(stats_of(c, L).stale_answers, stale + 1);
    kc_run_to(c, kc_last(c) + 5);
    CU_ASSERT_TRUE(kv_peek(KV(c, L), K, &v, &val, &del)); /* still held */
    CU_ASSERT_FALSE(kv_peek(KV(c, J), K, &v, &val, &del));

    c->drop_until = c->now; /* J hears again: it gets K, and L gives its copy up */
    kc_run_to(c, kc_last(c) + 100);
    CU_ASSERT_TRUE(kv_peek(KV(c, J), K, &v, &val, &del) && !del);
    CU_ASSERT_FALSE(kv_peek(KV(c, L), K, &v, &val, &del));
    kc_free(c);
}

/* ---------------------------------------------------------------- anti-entropy */

/* Sends `op` on `key` with version v straight to replica `to` (kv_receive, now), as a request
 * from `from` with transaction id `txid`: a write that bypassed the coordinator. */
static void inject_request(kc_t *c, uint32_t to, uint32_t from, uint32_t txid, kv_op_t op,
                           const char *key, const char *value, kv_version_t v)
{
    static kv_msg_t m;
    static uint8_t buf[WIRE_MAX_KV_MSG];
    memset(&m, 0, sizeof m);
    m.type = MSG_KV_REQUEST;
    m.from = A(from);
    m.txid = txid;
    m.op = op;
    m.version = v;
    m.klen = (uint16_t)strlen(key);
    memcpy(m.key, key, m.klen);
    m.vlen = value ? (uint16_t)strlen(value) : 0;
    if (value)
        memcpy(m.value, value, m.vlen);
    int len = wire_encode_kv(&m, buf, sizeof buf);
    CU_ASSERT_FATAL(len > 0);
    CU_ASSERT_EQUAL(kv_receive(KV(c, to), buf, (size_t)len, kc_last(c)), WIRE_OK);
}

/* A request the network delivered twice is served once: one server line, one reply, one write;
 * the copy is counted and ignored. A different transaction on the same key is served. */
static void test_duplicate_request_served_once(void)
{
    kc_t *c = cluster5(526);
    const kv_version_t v = { (uint64_t)kc_last(c) << 16 | 1, 2 };
    const unsigned before = count_all_results(c);
    inject_request(c, 3, 2, 91020, KV_CREATE, "dupkey", "d1", v);
    kc_run_to(c, kc_last(c) + 2);
    inject_request(c, 3, 2, 91020, KV_CREATE, "dupkey", "d1", v); /* the copy, 2 ticks later */
    kc_run_to(c, kc_last(c) + 2);
    CU_ASSERT_EQUAL(count_lines(c, 0, 91020, 3), 1);
    CU_ASSERT_EQUAL(count_all_results(c), before + 1);
    CU_ASSERT_EQUAL(stats_of(c, 3).duplicate_requests, 1);
    const kv_version_t v2 = { v.stamp + 1, 2 };
    inject_request(c, 3, 2, 91021, KV_UPDATE, "dupkey", "d2", v2);
    kc_run_to(c, kc_last(c) + 2);
    CU_ASSERT_EQUAL(count_lines(c, 0, 91021, 3), 1);
    CU_ASSERT_EQUAL(stats_of(c, 3).duplicate_requests, 1);
    kc_free(c);
}

/* Two coordinators that number their transactions alike (processes of a real cluster each count
 * from their own start) send the same id to one replica: both requests are served; only a copy
 * from the same coordinator is a duplicate. */
static bool holds(kc_t *c, uint32_t id, const char *key, kv_version_t v, const char *value);

static void test_same_txid_two_coordinators(void)
{
    kc_t *c = cluster5(528);
    const kv_version_t v = { (uint64_t)kc_last(c) << 16 | 1, 2 };
    const kv_version_t w = { (uint64_t)kc_last(c) << 16 | 2, 4 };
    inject_request(c, 3, 2, 93000, KV_CREATE, "twoA", "a", v);
    inject_request(c, 3, 4, 93000, KV_CREATE, "twoB", "b", w);
    kc_run_to(c, kc_last(c) + 2);
    CU_ASSERT_EQUAL(count_lines(c, 0, 93000, 3), 2);
    CU_ASSERT_EQUAL(stats_of(c, 3).duplicate_requests, 0);
    CU_ASSERT_TRUE(holds(c, 3, "twoA", v, "a"));
    CU_ASSERT_TRUE(holds(c, 3, "twoB", w, "b"));
    inject_request(c, 3, 4, 93000, KV_CREATE, "twoB", "b", w); /* B's copy */
    kc_run_to(c, kc_last(c) + 2);
    CU_ASSERT_EQUAL(stats_of(c, 3).duplicate_requests, 1);
    kc_free(c);
}

/* A copy that waited in the inbox of a paused node: node X serves request A, then one request a
 * tick for 32 ticks (so its served-set turns over once after A: A is in the older generation),
 * is paused for 40 ticks and, as it resumes, gets A's copy (app.c hands a resumed node its
 * waiting messages before it ticks). For X only 32 ticks passed, so A is still known and the
 * copy ignored; a clock of ticks of the run would have turned the set over again and forgotten A. */
static void test_duplicate_request_after_pause(void)
{
    kc_t *c = cluster5(527);
    const uint32_t X = 3;
    kv_version_t v = { (uint64_t)kc_last(c) << 16 | 1, 2 };
    const kv_version_t va = v;
    inject_request(c, X, 2, 92000, KV_CREATE, "pzA", "a", va); /* A */
    char key[16];
    for (uint32_t i = 1; i <= 32; i++) {
        kc_run_to(c, kc_last(c) + 1);
        v.stamp++;
        snprintf(key, sizeof key, "pz%u", i);
        inject_request(c, X, 2, 92000 + i, KV_CREATE, key, "a", v);
    }
    c->nodes[X].paused = true;
    kc_run_to(c, kc_last(c) + 40);
    c->nodes[X].paused = false;
    inject_request(c, X, 2, 92000, KV_CREATE, "pzA", "a", va); /* A's copy */
    kc_run_to(c, kc_last(c) + 2);
    CU_ASSERT_EQUAL(count_lines(c, 0, 92000, X), 1);
    CU_ASSERT_EQUAL(stats_of(c, X).duplicate_requests, 1);
    kc_free(c);
}

/* Whether node id holds exactly version v (and value, or a tombstone when value is NULL). */
static bool holds(kc_t *c, uint32_t id, const char *key, kv_version_t v, const char *value)
{
    kv_version_t got;
    const char *val;
    bool deleted;
    if (!kv_peek(KV(c, id), key, &got, &val, &deleted))
        return false;
    return kv_version_cmp(got, v) == 0 && deleted == (value == NULL) &&
           (value == NULL || strcmp(val, value) == 0);
}

static uint64_t sum_stat(kc_t *c, size_t offset)
{
    uint64_t sum = 0;
    for (uint32_t id = 1; id <= c->n; id++)
        if (alive(c, id)) {
            kv_stats_t s = stats_of(c, id);
            sum += *(const uint64_t *)((const char *)&s + offset);
        }
    return sum;
}
#define SUM_STAT(c, field) sum_stat((c), offsetof(kv_stats_t, field))

enum {
    AE_UPDATE_TWO,  /* an update reaches two replicas: the third is behind */
    AE_UPDATE_ONE,  /* an update reaches one replica: the two others are behind */
    AE_DELETE_TWO,  /* a delete reaches two replicas: the third still holds the value */
    AE_MISSED_CREATE, /* the create's request to one replica was lost: it has no copy */
    AE_VARIANTS
};

/* A 5-node cluster with sync_period `period` (0: anti-entropy off); key "ae" is created through
 * a non-replica coordinator, then one replica or two are left behind, per variant. Runs `ticks`
 * ticks after that and returns how many of the 3 replicas then hold the newest version. Checks
 * along the way: the steady state before the damage sends digests but repairs nothing, the
 * repair logs no result line, no non-replica ends up holding the key, and with period 0 no
 * digest is ever sent. *when gets the first tick at which all 3 replicas agreed (NEVER if
 * none). */
static unsigned ae_run(int variant, uint32_t period, uint64_t seed, uint32_t ticks,
                       uint32_t *when)
{
    kc_t *c = kc_new(5, seed);
    c->kcfg.sync_period = period;
    kc_converge(c, 60);
    const char *key = "ae";
    addr_t reps[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, key, reps), 3);
    const uint32_t C = non_replica(c, key, 0);
    CU_ASSERT_FATAL(C != 0);
    const uint32_t behind = reps[(seed % 3)].id; /* vary which replica is left behind */
    uint32_t T = kc_last(c);
    if (variant == AE_MISSED_CREATE) {
        c->drop_to = behind;
        c->drop_until = T + 1;
    }
    uint32_t tx = kc_op(c, C, KV_CREATE, key, "old");
    kc_run_to(c, T + 4);
    const result_t *r = NULL;
    CU_ASSERT_EQUAL_FATAL(results_for(c, tx, &r), 1);
    CU_ASSERT_TRUE_FATAL(r->ok);
    kv_version_t v1;
    const char *val;
    bool del;
    uint32_t holder = behind == reps[0].id ? reps[1].id : reps[0].id;
    CU_ASSERT_FATAL(kv_peek(KV(c, holder), key, &v1, &val, &del));

    /* steady state: two full periods of digests move nothing */
    if (variant != AE_MISSED_CREATE && period > 0) {
        kc_run_to(c, kc_last(c) + 2 * period);
        CU_ASSERT(SUM_STAT(c, digests_sent) > 0);
        CU_ASSERT_EQUAL(SUM_STAT(c, repairs_sent), 0);
        CU_ASSERT_EQUAL(SUM_STAT(c, transfers_sent), 0);
        for (int i = 0; i < 3; i++)
            CU_ASSERT_TRUE(holds(c, reps[i].id, key, v1, "old"));
    }

    /* the damage: a newer write that reaches only some replicas */
    kv_version_t v2 = { v1.stamp + 7, C };
    const char *newest = "new";
    const uint32_t TX = 90000;
    switch (variant) {
    case AE_UPDATE_TWO:
    case AE_DELETE_TWO:
        newest = variant == AE_DELETE_TWO ? NULL : "new";
        for (int i = 0; i < 3; i++)
            if (reps[i].id != behind)
                inject_request(c, reps[i].id, C, TX, variant == AE_DELETE_TWO ? KV_DELETE
                                                                             : KV_UPDATE,
                               key, newest, v2);
        break;
    case AE_UPDATE_ONE:
        for (int i = 0; i < 3; i++)
            if (reps[i].id == behind) /* here `behind` is the one that is ahead */
                inject_request(c, reps[i].id, C, TX, KV_UPDATE, key, "new", v2);
        break;
    case AE_MISSED_CREATE:
        v2 = v1;
        newest = "old";
        CU_ASSERT_FALSE(kv_peek(KV(c, behind), key, &v1, &val, &del));
        break;
    }
    unsigned lines = count_all_results(c);
    unsigned agree = 0;
    *when = NEVER;
    const uint32_t start = kc_last(c);
    while (c->now <= start + ticks) {
        kc_step(c);
        agree = 0;
        for (int i = 0; i < 3; i++)
            agree += holds(c, reps[i].id, key, v2, newest);
        if (agree == 3 && *when == NEVER)
            *when = kc_last(c) - start;
    }
    CU_ASSERT_EQUAL(count_all_results(c), lines); /* repairs log nothing */
    for (uint32_t id = 1; id <= c->n; id++)
        if (!in_set(reps, 3, id))
            CU_ASSERT_FALSE(kv_peek(KV(c, id), key, &v1, &val, &del));
    if (period == 0) {
        CU_ASSERT_EQUAL(SUM_STAT(c, digests_sent), 0);
        CU_ASSERT_EQUAL(SUM_STAT(c, repairs_sent), 0);
    } else if (agree == 3) {
        CU_ASSERT(SUM_STAT(c, repairs_sent) > 0);
        CU_ASSERT(SUM_STAT(c, transfers_applied) >= (variant == AE_UPDATE_ONE ? 2u : 1u));
    }
    CU_ASSERT_EQUAL(SUM_STAT(c, malformed), 0);
    CU_ASSERT_EQUAL(c->other_msgs, 0);
    kc_free(c);
    return agree;
}

/* With the default sync_period P (20), a replica that missed a write (an update, a delete, a
 * create) holds the newest version within 4P + 3 ticks: each node sends one digest per period,
 * to its ring neighbours at offsets +1, -1, +2, -2 in turn, so within 4 periods the replica
 * behind exchanges a digest with each other replica (5 nodes: the 3 replicas are consecutive on
 * the ring); the replica ahead then sends the key: a digest, an answer, a transfer, 3 ticks at
 * most. Several seeds, so the replica behind is each of the 3 in turn. */
static void test_anti_entropy_repairs(void)
{
    kv_cfg_t def;
    kv_default_cfg(&def);
    const uint32_t P = def.sync_period;
    CU_ASSERT_FATAL(P > 0);
    for (int v = 0; v < AE_VARIANTS; v++)
        for (uint64_t seed = 600; seed < 603; seed++) {
            uint32_t when;
            unsigned agree = ae_run(v, P, seed, 4 * P + 3, &when);
            if (agree != 3)
                fprintf(stderr, "\n  variant %d seed %llu: %u of 3 replicas hold the newest"
                                " version after %u ticks",
                        v, (unsigned long long)seed, agree, 4 * P + 3);
            CU_ASSERT_EQUAL(agree, 3);
            CU_ASSERT(when <= 4 * P + 3);
        }
    /* a shorter period repairs sooner: within 4 * 5 + 3 ticks */
    uint32_t when;
    CU_ASSERT_EQUAL(ae_run(AE_UPDATE_TWO, 5, 610, 4 * 5 + 3, &when), 3);
}

/* sync_period 0: nothing repairs the replicas behind, however long the cluster runs (no ring
 * change happens, so stabilization does not move the key either). */
static void test_anti_entropy_off(void)
{
    for (int v = 0; v < AE_VARIANTS; v++) {
        uint32_t when;
        unsigned agree = ae_run(v, 0, 600 + (uint64_t)v, 200, &when);
        CU_ASSERT(agree < 3);
        CU_ASSERT_EQUAL(when, NEVER);
    }
}

/* Malformed digests given to kv_receive: the checker's negative status is returned, each is
 * counted in stats.malformed, nothing is logged or sent, nothing changes. Well-formed digests
 * from a node that is not a replica of the key (claiming an older or a newer version) are
 * ignored: no repair, no answer. */
static void test_digest_malformed_ignored(void)
{
    kc_t *c = cluster5(611);
    c->kcfg.sync_period = 0; /* no digests of its own while this runs */
    const char *key = "dg";
    addr_t reps[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, key, reps), 3);
    uint32_t T = kc_last(c);
    uint32_t tx = kc_op(c, 1, KV_CREATE, key, "dv");
    kc_run_to(c, T + 4);
    CU_ASSERT_EQUAL(count_lines(c, 1, tx, 0), 1);
    const uint32_t R = reps[0].id, S = non_replica(c, key, 0);
    CU_ASSERT_FATAL(S != 0);
    kv_version_t v;
    const char *val;
    bool del;
    CU_ASSERT_FATAL(kv_peek(KV(c, R), key, &v, &val, &del));

    static uint8_t good[WIRE_MAX_DIGEST_MSG + 8];
    size_t glen = wire_digest_begin(good, reps[1]);
    kv_digest_entry_t e = { 2, "dg", false, { v.stamp + 1, v.node } };
    CU_ASSERT_FATAL(wire_digest_add(good, sizeof good, &glen, &e) == 0);
    kv_digest_entry_t e2 = { 5, "other", true, { 3, 3 } };
    CU_ASSERT_FATAL(wire_digest_add(good, sizeof good, &glen, &e2) == 0);
    const size_t key0 = WIRE_DIGEST_HEADER_SIZE + 1, flags0 = key0 + 2;
    enum { NBAD = 10 };
    static uint8_t bad[NBAD][WIRE_MAX_DIGEST_MSG + 8];
    size_t blen[NBAD];
    for (int i = 0; i < NBAD; i++) {
        memcpy(bad[i], good, glen);
        blen[i] = glen;
    }
    blen[0] = glen - 1;                      /* truncated */
    blen[1] = glen + 1;                      /* a trailing byte */
    bad[1][glen] = 'x';
    bad[2][9] = WIRE_DIGEST_MAX_ENTRIES + 1; /* count 65 */
    bad[3][9] = 3;                           /* count beyond the entries */
    bad[4][flags0] = 0x04;                   /* unknown flag bit */
    bad[5][flags0] = KV_FLAG_OK;             /* a reply flag: not a digest flag */
    memset(bad[6] + 3, 0, 4);                /* sender id 0 */
    bad[7][key0] = ' ';                      /* a space in the key */
    bad[8][WIRE_DIGEST_HEADER_SIZE] = 0;     /* key length 0 */
    blen[9] = WIRE_DIGEST_HEADER_SIZE - 1;   /* shorter than the header */
    long before = log_size(c);
    kv_stats_t s0 = stats_of(c, R);
    en_stats_t n0, n1;
    emulnet_stats(c->net, &n0);
    const uint32_t now = kc_last(c);
    for (int i = 0; i < NBAD; i++) {
        addr_t from;
        int expect = wire_digest_check(bad[i], blen[i], &from);
        CU_ASSERT(expect < 0);
        int got = kv_receive(KV(c, R), bad[i], blen[i], now);
        CU_ASSERT_EQUAL(got, expect);
        CU_ASSERT_EQUAL(stats_of(c, R).malformed, s0.malformed + (uint64_t)i + 1);
    }
    emulnet_stats(c->net, &n1);
    CU_ASSERT_EQUAL(n1.sent, n0.sent);
    CU_ASSERT_EQUAL(log_size(c), before);
    kv_stats_t s1 = stats_of(c, R);
    CU_ASSERT_EQUAL(s1.repairs_sent, s0.repairs_sent);
    CU_ASSERT_EQUAL(s1.transfers_sent, s0.transfers_sent);
    CU_ASSERT_TRUE(holds(c, R, key, v, "dv"));
    CU_ASSERT_FALSE(kv_peek(KV(c, R), "other", &v, &val, &del));

    /* well-formed, from a stranger S: newer and older versions alike are ignored */
    for (int k = 0; k < 2; k++) {
        size_t len = wire_digest_begin(good, A(S));
        kv_digest_entry_t es = { 2, "dg", k == 1, { k ? v.stamp + 1 : v.stamp - 1, v.node } };
        CU_ASSERT_FATAL(wire_digest_add(good, sizeof good, &len, &es) == 0);
        CU_ASSERT_EQUAL(kv_receive(KV(c, R), good, len, now), WIRE_OK);
    }
    emulnet_stats(c->net, &n1);
    CU_ASSERT_EQUAL(n1.sent, n0.sent);
    s1 = stats_of(c, R);
    CU_ASSERT_EQUAL(s1.malformed, s0.malformed + NBAD);
    CU_ASSERT_EQUAL(s1.repairs_sent, s0.repairs_sent);
    CU_ASSERT_TRUE(holds(c, R, key, v, "dv"));
    CU_ASSERT_EQUAL(log_size(c), before);
    /* the node still serves */
    T = kc_last(c);
    tx = kc_op(c, R, KV_READ, key, NULL);
    kc_run_to(c, T + 3);
    const result_t *r = NULL;
    CU_ASSERT_EQUAL_FATAL(results_for(c, tx, &r), 1);
    CU_ASSERT_TRUE(r->ok);
    CU_ASSERT_STRING_EQUAL(r->value, "dv");
    kc_free(c);
}

/* Sends node `to` (kv_receive, at the last tick) a digest from `from` with one entry. */
static void inject_digest(kc_t *c, uint32_t to, uint32_t from, const char *key,
                          kv_version_t v, bool deleted)
{
    static uint8_t buf[WIRE_MAX_DIGEST_MSG];
    size_t len = wire_digest_begin(buf, A(from));
    kv_digest_entry_t e = { (uint8_t)strlen(key), key, deleted, v };
    CU_ASSERT_FATAL(wire_digest_add(buf, sizeof buf, &len, &e) == 0);
    CU_ASSERT_EQUAL(kv_receive(KV(c, to), buf, len, kc_last(c)), WIRE_OK);
}

static uint64_t sent_now(kc_t *c, uint32_t id)
{
    return emulnet_sent_by(c->net, A(id), kc_last(c));
}

/* Each branch of a digest's handling, driven by hand (sync_period 0: no other digest). For
 * each key, X is its first replica and R its second; a write sent by hand to X alone (no
 * handoff follows: X is a replica) leaves R behind.
 *  - R's digest (older version) reaches X: X sends its copy at once (one message,
 *    repairs_sent + 1) and R holds it the next tick;
 *  - X's digest (newer version) reaches R: R answers with its older version (one message, no
 *    repair counted); X then sends its copy (repairs_sent + 1) and R holds it two ticks after
 *    the digest; the same for a tombstone;
 *  - a key the receiver lacks is answered with version 0, and the holder sends it;
 *  - equal versions, or a key neither holds: no transfer follows.
 * No result line is logged by any of it. */
static void test_digest_exchange(void)
{
    kc_t *c = cluster5(612);
    c->kcfg.sync_period = 0;
    enum { NK = 4 };
    const char *keys[NK] = { "d1", "d2", "d3", "d4" };
    addr_t reps[NK][RING_REPLICAS];
    kv_version_t v1[NK], v2[NK];
    const char *val;
    bool del;
    uint32_t T = kc_last(c);
    for (int k = 0; k < NK; k++) {
        CU_ASSERT_EQUAL_FATAL(live_replicas(c, keys[k], reps[k]), 3);
        kc_op(c, 1 + (uint32_t)k, KV_CREATE, keys[k], "v1");
    }
    kc_run_to(c, T + 4);
    for (int k = 0; k < NK; k++) {
        CU_ASSERT_FATAL(kv_peek(KV(c, reps[k][0].id), keys[k], &v1[k], &val, &del));
        v2[k] = (kv_version_t){ v1[k].stamp + 3, 5 };
        /* X = reps[k][0] gets the newer write alone; key d3 gets a delete */
        inject_request(c, reps[k][0].id, 1, 91000 + (uint32_t)k, k == 2 ? KV_DELETE : KV_UPDATE,
                       keys[k], k == 2 ? NULL : "v2", v2[k]);
    }
    kc_run_to(c, kc_last(c) + 3);
    for (int k = 0; k < NK; k++) {
        CU_ASSERT_TRUE_FATAL(holds(c, reps[k][0].id, keys[k], v2[k], k == 2 ? NULL : "v2"));
        CU_ASSERT_TRUE_FATAL(holds(c, reps[k][1].id, keys[k], v1[k], "v1"));
    }
    const unsigned lines = count_all_results(c);

    /* 1: R's digest, older, reaches X: X pushes at once */
    uint32_t X = reps[0][0].id, R = reps[0][1].id;
    uint64_t rx = stats_of(c, X).repairs_sent, sx = sent_now(c, X);
    inject_digest(c, X, R, keys[0], v1[0], false);
    CU_ASSERT_EQUAL(sent_now(c, X), sx + 1);
    CU_ASSERT_EQUAL(stats_of(c, X).repairs_sent, rx + 1);
    kc_run_to(c, kc_last(c) + 1);
    CU_ASSERT_TRUE(holds(c, R, keys[0], v2[0], "v2"));

    /* 2: X's digest, newer, reaches R: R answers, X pushes; a value, then a tombstone */
    for (int k = 1; k <= 2; k++) {
        X = reps[k][0].id;
        R = reps[k][1].id;
        uint64_t rr = stats_of(c, R).repairs_sent, sr = sent_now(c, R);
        rx = stats_of(c, X).repairs_sent;
        inject_digest(c, R, X, keys[k], v2[k], k == 2);
        CU_ASSERT_EQUAL(sent_now(c, R), sr + 1); /* the answer */
        CU_ASSERT_EQUAL(stats_of(c, R).repairs_sent, rr);
        CU_ASSERT_TRUE(holds(c, R, keys[k], v1[k], "v1"));
        kc_run_to(c, kc_last(c) + 1);
        CU_ASSERT_EQUAL(stats_of(c, X).repairs_sent, rx + 1);
        kc_run_to(c, kc_last(c) + 1);
        CU_ASSERT_TRUE(holds(c, R, keys[k], v2[k], k == 2 ? NULL : "v2"));
    }

    /* 3: the receiver lacks the key: key "d5" exists only on its first replica */
    const char *k5 = "d5";
    addr_t r5[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, k5, r5), 3);
    kv_version_t v5 = { v1[0].stamp + 11, 2 };
    static kv_msg_t m;
    static uint8_t b[WIRE_MAX_KV_MSG];
    memset(&m, 0, sizeof m); /* a create served by r5[0] alone */
    m.type = MSG_KV_REQUEST;
    m.from = A(1);
    m.txid = 91010;
    m.op = KV_CREATE;
    m.version = v5;
    m.klen = 2;
    memcpy(m.key, k5, 2);
    m.vlen = 2;
    memcpy(m.value, "v5", 2);
    int blen = wire_encode_kv(&m, b, sizeof b);
    CU_ASSERT_FATAL(blen > 0);
    CU_ASSERT_EQUAL(kv_receive(KV(c, r5[0].id), b, (size_t)blen, kc_last(c)), WIRE_OK);
    kc_run_to(c, kc_last(c) + 2);
    CU_ASSERT_FALSE_FATAL(kv_peek(KV(c, r5[1].id), k5, &v1[0], &val, &del));
    const unsigned lines5 = count_all_results(c);
    uint64_t sr = sent_now(c, r5[1].id);
    inject_digest(c, r5[1].id, r5[0].id, k5, v5, false);
    CU_ASSERT_EQUAL(sent_now(c, r5[1].id), sr + 1); /* answered with version 0 */
    kc_run_to(c, kc_last(c) + 2);
    CU_ASSERT_TRUE(holds(c, r5[1].id, k5, v5, "v5"));
    /* r5[1], a replica that got a newer version by transfer, offers it to the third replica */
    kc_run_to(c, kc_last(c) + 2 * c->kcfg.handoff_stagger + 4);
    CU_ASSERT_TRUE(holds(c, r5[2].id, k5, v5, "v5"));

    /* 4: equal versions: nothing sent; a key neither holds: an answer, but no transfer */
    X = reps[0][0].id;
    R = reps[0][1].id;
    sr = sent_now(c, R);
    inject_digest(c, R, X, keys[0], v2[0], false);
    CU_ASSERT_EQUAL(sent_now(c, R), sr);
    addr_t r6[RING_REPLICAS];
    CU_ASSERT_EQUAL_FATAL(live_replicas(c, "d6", r6), 3);
    uint64_t applied = SUM_STAT(c, transfers_applied);
    inject_digest(c, r6[1].id, r6[0].id, "d6", (kv_version_t){ 9, 9 }, false);
    kc_run_to(c, kc_last(c) + 3);
    for (uint32_t id = 1; id <= c->n; id++)
        CU_ASSERT_FALSE(kv_peek(KV(c, id), "d6", &v1[0], &val, &del));
    CU_ASSERT_EQUAL(SUM_STAT(c, transfers_applied), applied);
    CU_ASSERT_EQUAL(count_all_results(c), lines5);
    CU_ASSERT(lines5 == lines + 1); /* the hand-made create's server line only */
    CU_ASSERT_EQUAL(SUM_STAT(c, malformed), 0);
    kc_free(c);
}

int add_kvnode_suite(void)
{
    CU_pSuite s = CU_add_suite("kvnode", NULL, NULL);
    if (!s)
        return CU_get_error();
    static const struct {
        const char *name;
        CU_TestFunc fn;
    } tests[] = {
        { "create: 3 server lines, 1 coordinator line", test_create_lines },
        { "read returns the newest value", test_read_newest },
        { "absent key: read, update, delete fail", test_absent_key },
        { "create of an existing key fails; delete, read, re-create", test_create_existing_delete },
        { "timeout with every replica down: one fail line", test_timeout_all_down },
        { "timeout with one success: fail at the deadline", test_timeout_one_success },
        { "late, duplicate and unknown replies ignored", test_late_duplicate_replies },
        { "duplicate or stranger success does not make a quorum", test_duplicate_before_decision },
        { "malformed bytes counted and ignored", test_malformed },
        { "on_result once per operation, agrees with the log", test_on_result_once },
        { "stabilization after a replica fails", test_stabilize_after_failure },
        { "stabilization after a node joins", test_stabilize_after_join },
        { "handoff: a dead presumed holder does not make the others drop their copies",
          test_handoff_presumed_holder_dead },
        { "handoff: a copy is kept until every replica in view acknowledged it",
          test_handoff_waits_for_every_replica },
        { "handoff: a key moved to a newcomer travels less than twice on average", test_handoff_value_travels_once },
        { "handoff: a replica restarted empty is refilled by its co-replicas",
          test_handoff_restarted_replica },
        { "handoff: an answer from a target's earlier life does not count",
          test_handoff_stale_answer_from_earlier_life },
        { "a request delivered twice is served once", test_duplicate_request_served_once },
        { "the same transaction id from two coordinators: both served",
          test_same_txid_two_coordinators },
        { "a request's copy that waited out a pause is still ignored",
          test_duplicate_request_after_pause },
        { "anti-entropy repairs replicas that missed a write", test_anti_entropy_repairs },
        { "anti-entropy off (sync_period 0): replicas stay behind", test_anti_entropy_off },
        { "malformed or stranger digests: counted, ignored, silent",
          test_digest_malformed_ignored },
        { "digest exchange: each branch (push, answer, absent key, equal)",
          test_digest_exchange },
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (!CU_add_test(s, tests[i].name, tests[i].fn))
            return CU_get_error();
    return CUE_SUCCESS;
}
