/* app.c: the tick loop. Node i (id i+1, port 0) starts at tick i/4; node 0 is the introducer.
 * Each tick: deliver due messages, let every running node handle its inbox and tick, then apply
 * the scenario's events for that tick (so a node failed at tick t still ran at t). */
#include "app.h"
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulnet.h"
#include "kvnode.h"
#include "log.h"
#include "membership.h"
#include "node.h"
#include "observe.h"
#include "report.h"
#include "ring.h"
#include "rng.h"
#include "spool.h"
#include "store.h"
#include "trace.h"
#include "wire.h"

#define NODES_PER_TICK 4
#define KEY_LEN RUN_KEY_LEN
#define INVALID_KEY "invalidKey"
#define JOIN_SEEDS 4 /* the introducer, then up to three nodes started earlier */

/* The run's output files. All are opened before any is truncated, so a run that cannot open
 * one of them leaves every earlier output as it was. */
typedef struct {
    const char *path;
    FILE *f;
    bool created;   /* did not exist before this run */
    spool_t *spool; /* f writes through a writer thread (spool_outputs) */
} output_t;

enum { OUT_DBG, OUT_STATS, OUT_MSGCOUNT, OUT_STATE, OUT_TRACE, OUT_REPORT, NOUTPUTS };

static void discard_outputs(output_t *out)
{
    for (int k = 0; k < NOUTPUTS; k++) {
        if (out[k].f)
            fclose(out[k].f);
        if (out[k].created)
            unlink(out[k].path);
        out[k].f = NULL;
    }
}

/* Opens every output for writing, creating the missing ones, without emptying any; refuses
 * two names for one file (a link, "./dbg.log"): one output would overwrite the other. */
static int open_outputs(output_t *out)
{
    for (int k = 0; k < NOUTPUTS; k++) {
        if (!out[k].path)
            continue;
        int fd = open(out[k].path, O_WRONLY | O_CREAT | O_EXCL, 0666);
        out[k].created = fd >= 0;
        if (fd < 0 && errno == EEXIST)
            fd = open(out[k].path, O_WRONLY);
        out[k].f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!out[k].f) {
            fprintf(stderr, "Application: cannot write %s: %s\n", out[k].path, strerror(errno));
            if (fd >= 0)
                close(fd);
            discard_outputs(out);
            return -1;
        }
    }
    for (int k = 0; k < NOUTPUTS; k++)
        for (int j = 0; j < k; j++) {
            struct stat a, b;
            if (!out[k].f || !out[j].f || fstat(fileno(out[k].f), &a) != 0 ||
                fstat(fileno(out[j].f), &b) != 0 || !S_ISREG(a.st_mode) ||
                a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                continue;
            fprintf(stderr, "Application: %s and %s are the same file\n", out[j].path,
                    out[k].path);
            discard_outputs(out);
            return -1;
        }
    return 0;
}

/* Empties the outputs that are regular files, once the run is sure to start. */
static int truncate_outputs(output_t *out)
{
    for (int k = 0; k < NOUTPUTS; k++) {
        struct stat st;
        if (!out[k].f || fstat(fileno(out[k].f), &st) != 0 || !S_ISREG(st.st_mode))
            continue; /* a device or pipe: nothing to truncate */
        if (ftruncate(fileno(out[k].f), 0) != 0) {
            fprintf(stderr, "Application: cannot truncate %s: %s\n", out[k].path, strerror(errno));
            discard_outputs(out);
            return -1;
        }
    }
    return 0;
}

/* In runs of SPOOL_MIN_NODES nodes or more, dbg.log (4.3 GB at 10,000 nodes) and msgcount.log
 * (0.4 GB) are written by writer threads, through 1 MB buffers: the thread that runs the nodes
 * no longer waits for the kernel's copy (README, "Spool"). Smaller runs write directly: their
 * logs are small, and the spool's chunks would add 10 MB to a 1,000-node run's 36 MB (and a
 * millisecond to a 10-node run). A spool that cannot start leaves the plain FILE. */
#define SPOOL_CHUNK (1u << 20)
#define SPOOL_DEPTH 4
#define SPOOL_MIN_NODES 2000
static void spool_outputs(output_t *out, uint32_t nodes)
{
    static char dbg_buf[SPOOL_CHUNK];
    if (nodes < SPOOL_MIN_NODES) {
        if (out[OUT_DBG].f)
            setvbuf(out[OUT_DBG].f, dbg_buf, _IOFBF, sizeof dbg_buf);
        return;
    }
    static char msgcount_buf[SPOOL_CHUNK];
    char *bufs[2] = { dbg_buf, msgcount_buf };
    const int which[2] = { OUT_DBG, OUT_MSGCOUNT };
    for (int k = 0; k < 2; k++) {
        output_t *o = &out[which[k]];
        if (!o->f)
            continue;
        int fd = dup(fileno(o->f));
        FILE *f = fd >= 0 ? spool_open(fd, SPOOL_CHUNK, SPOOL_DEPTH, &o->spool) : NULL;
        if (!f) {
            if (fd >= 0)
                close(fd);
            o->spool = NULL;
        } else {
            fclose(o->f); /* nothing was written to it */
            o->f = f;
        }
        setvbuf(o->f, bufs[k], _IOFBF, SPOOL_CHUNK);
    }
}

/* Closes every output; returns -1 (after saying which) if any could not be written. */
static int close_outputs(output_t *out)
{
    int rc = 0;
    for (int k = 0; k < NOUTPUTS; k++) {
        if (!out[k].f)
            continue;
        int bad = ferror(out[k].f);
        if (fclose(out[k].f) != 0 || bad) {
            fprintf(stderr, "Application: error while writing %s\n", out[k].path);
            rc = -1;
        }
        out[k].f = NULL;
    }
    return rc;
}

/* Tells the observers that node i started, failed, restarted, paused or resumed. */
static void observe_node(run_t *r, uint32_t i, const char *what, uint32_t arg, bool flag,
                         uint32_t now)
{
    obs_event_t ev = { .kind = OBS_NODE, .tick = now, .node = node_addr(i), .what = what,
                       .arg = arg, .flag = flag };
    obs_emit(&r->bus, &ev);
}

static void fail_node(run_t *r, uint32_t i, uint32_t now)
{
    app_node_t *node = &r->nodes[i];
    if (node->failed)
        return;
    node->failed = true;
    node->paused = false;
    r->nfailed++;
    log_event(&r->log, node_addr(i), now, "Node failed at time=%u", (unsigned)now);
    observe_node(r, i, "fail", 0, false, now);
    /* A node that has not started, or has started but not yet been answered, first makes sure
     * the group heard its join request (see run_tick): otherwise, its request lost, nobody
     * would ever list it, and no survivor could log its join and its removal. */
    if ((!node->started && now < node->start_tick) ||
        (node->started && !member_in_group(node->member)))
        node->joining_to_fail = true;
    else
        emulnet_set_down(r->net, node_addr(i));
}

/* Started, not failed and not paused: a process that runs (its store counts in the checks). */
static bool is_running(const run_t *r, uint32_t i)
{
    const app_node_t *c = &r->nodes[i];
    return c->started && !c->failed && !c->paused;
}

/* Running and in the group: a node that can coordinate an operation or answer a join. */
static bool is_live(const run_t *r, uint32_t i)
{
    return is_running(r, i) && member_in_group(r->nodes[i].member);
}

bool run_is_running(const run_t *r, uint32_t i)
{
    return is_running(r, i);
}

bool run_is_live(const run_t *r, uint32_t i)
{
    return is_live(r, i);
}

/* Nodes that exist so far: MAX_NNB plus those added until now. Random picks among ids draw
 * from these, not from r->n (which counts every node the scenario ever adds), so a run draws
 * the same whether or not later additions are known yet (a console learns of them late). */
static uint32_t existing(const run_t *r)
{
    return r->sc->nodes + r->added;
}

static uint32_t count_live(const run_t *r)
{
    uint32_t live = 0;
    for (uint32_t i = 0; i < r->n; i++)
        live += is_live(r, i);
    return live;
}

/* The live node of rank `pick` in index order; -1 if there are not that many. */
static int nth_live(const run_t *r, uint32_t pick)
{
    for (uint32_t i = 0; i < r->n; i++)
        if (is_live(r, i) && pick-- == 0)
            return (int)i;
    return -1;
}

/* A live node chosen at random; -1 if there is none. */
static int random_live(run_t *r)
{
    uint32_t live = count_live(r);
    return live ? nth_live(r, rng_below(&r->rng, live)) : -1;
}

/* A random number below n for a random failure at tick `now`: from a generator seeded by the
 * run's first draw (fail_key), the tick and the failure's rank among the random failures of
 * that tick, not from the run's generator at that tick. So which nodes fail does not depend on
 * the draws the protocol made before: the same seed fails the same nodes in every build, a
 * change to the protocol is measured on the same failures (the work of a 1,000-node
 * multi-failure run doubles from one block to another), and a console session replays from
 * its saved file with the same failures (its statements do not change the key). */
static uint32_t fail_choice(run_t *r, uint32_t n, uint32_t now)
{
    if (now != r->fail_tick)
        r->fail_seq = 0;
    r->fail_tick = now;
    rng_t g;
    rng_seed(&g, r->fail_key ^ ((uint64_t)now << 24) ^ r->fail_seq++);
    return rng_below(&g, n);
}

/* Logs the operation line under coordinator c and starts the operation there; value NULL:
 * the line has no VALUE part (and reads and deletes need none). Returns the transaction id. */
static uint32_t issue_op(run_t *r, uint32_t c, kv_op_t op, const char *key, const char *value,
                         uint32_t now)
{
    static const char *const upper[] = { [KV_CREATE] = "CREATE", [KV_READ] = "READ",
                                         [KV_UPDATE] = "UPDATE", [KV_DELETE] = "DELETE" };
    if (value)
        log_event(&r->log, node_addr(c), now, "%s OPERATION KEY: %s VALUE: %s at time: %u",
                  upper[op], key, value, (unsigned)now);
    else
        log_event(&r->log, node_addr(c), now, "%s OPERATION KEY: %s at time: %u", upper[op], key,
                  (unsigned)now);
    return kv_client(r->nodes[c].kv, op, key, value, now);
}

/* Byte order of the keys; equal keys by the order they were drawn in. */
static int key_cmp(const void *a, const void *b)
{
    const test_key_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->drawn > y->drawn) - (x->drawn < y->drawn);
}

static void draw_key(run_t *r, test_key_t *k)
{
    static const char alphabet[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (int c = 0; c < KEY_LEN; c++)
        k->key[c] = alphabet[rng_below(&r->rng, sizeof alphabet - 1)];
    k->key[KEY_LEN] = '\0';
}

/* `count` distinct random keys of KEY_LEN characters from [0-9A-Za-z], values value<0..99>,
 * each created through a random live coordinator in the order drawn; kept in byte order. */
static void insert_keys(run_t *r, uint32_t count, uint32_t now)
{
    free(r->keys);
    r->nkeys = 0;
    r->keys = calloc(count, sizeof *r->keys);
    test_key_t *sorted = calloc(count, sizeof *sorted);
    if (!r->keys || !sorted) {
        free(sorted);
        fprintf(stderr, "Application: out of memory creating %u keys\n", (unsigned)count);
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        r->keys[i].drawn = i;
        draw_key(r, &r->keys[i]);
        snprintf(r->keys[i].value, sizeof r->keys[i].value, "value%u",
                 (unsigned)rng_below(&r->rng, 100));
    }
    for (bool again = true; again;) { /* redraw the later copy of any repeated key */
        again = false;
        memcpy(sorted, r->keys, count * sizeof *sorted);
        qsort(sorted, count, sizeof *sorted, key_cmp);
        for (uint32_t j = 1; j < count; j++)
            if (strcmp(sorted[j].key, sorted[j - 1].key) == 0) {
                draw_key(r, &r->keys[sorted[j].drawn]);
                again = true;
            }
    }
    for (uint32_t i = 0; i < count; i++) {
        int c = random_live(r);
        if (c < 0)
            break;
        issue_op(r, (uint32_t)c, KV_CREATE, r->keys[i].key, r->keys[i].value, now);
    }
    free(r->keys);
    r->keys = sorted;
    r->nkeys = count;
}

static const test_key_t *key_ref(const run_t *r, int32_t ref)
{
    return ref >= 0 && (uint32_t)ref < r->nkeys ? &r->keys[ref] : NULL;
}

/* The key's replicas as the first live node's ring has them; returns how many. */
static size_t view_replicas(run_t *r, const char *key, addr_t out[RING_REPLICAS], uint32_t now)
{
    for (uint32_t i = 0; i < r->n; i++)
        if (is_live(r, i))
            return kv_replicas_of(r->nodes[i].kv, key, out, now);
    return 0;
}

/* Fails `count` live replicas of the key, starting from the tertiary and going down. */
static void fail_replicas(run_t *r, const char *key, uint32_t count, uint32_t now)
{
    addr_t reps[RING_REPLICAS];
    size_t k = view_replicas(r, key, reps, now);
    for (size_t j = k; j-- > 0 && count > 0;) {
        uint32_t i = reps[j].id - 1;
        if (i < r->n && !r->nodes[i].failed) {
            fail_node(r, i, now);
            count--;
        }
    }
}

/* Binds the k-th name of a failure with 'as' to node i. */
static void bind_name(run_t *r, const event_t *ev, uint32_t k, uint32_t i)
{
    if (k < ev->nbinds && r->named)
        r->named[ev->binds[k] - 1] = i + 1;
}

/* The node an event names (by id, address or name): its index, or -1 if a name's failure
 * picked no node (or the id is past the nodes). */
static int event_node(const run_t *r, const event_t *ev)
{
    if (ev->node_name)
        return r->named ? (int)r->named[ev->node_name - 1] - 1 : -1;
    return ev->node >= 1 && ev->node <= r->n ? (int)ev->node - 1 : -1;
}

static void fail_non_replica(run_t *r, const event_t *ev, const char *key, uint32_t now)
{
    addr_t reps[RING_REPLICAS];
    size_t k = view_replicas(r, key, reps, now);
    uint32_t *cand = malloc(r->n * sizeof *cand), nc = 0;
    if (!cand)
        return;
    for (uint32_t i = 0; i < r->n; i++) {
        bool replica = false;
        for (size_t j = 0; j < k; j++)
            replica |= reps[j].id == i + 1;
        if (is_live(r, i) && !replica)
            cand[nc++] = i;
    }
    if (nc > 0) {
        uint32_t i = cand[rng_below(&r->rng, nc)];
        fail_node(r, i, now);
        bind_name(r, ev, 0, i);
    }
    free(cand);
}

/* Remembers which event issued transaction txid, for its expectation. */
static void track_op(run_t *r, uint32_t txid, int32_t event)
{
    if (txid >= r->op_cap) {
        uint32_t cap = r->op_cap ? r->op_cap : 64;
        while (cap <= txid)
            cap *= 2;
        int32_t *p = realloc(r->op_event, cap * sizeof *p);
        if (!p)
            return; /* the expectation then reads "no outcome" */
        for (uint32_t i = r->op_cap; i < cap; i++)
            p[i] = -1;
        r->op_event = p;
        r->op_cap = cap;
    }
    r->op_event[txid] = event;
}

static void decide_verdict(run_t *r, size_t event, bool pass, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void decide_verdict(run_t *r, size_t event, bool pass, const char *fmt, ...)
{
    verdict_t *v = &r->verdicts[event];
    v->decided = true;
    v->pass = pass;
    v->tick = r->now;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->detail, sizeof v->detail, fmt, ap);
    va_end(ap);
}

/* A read expected to return the newest acknowledged value of its key when it is decided: a
 * version at least as new (a later write may have reached the replicas before its quorum), or
 * a failure when there is none (never written, or the newest is a deletion). */
static void judge_latest(run_t *r, size_t e, const char *key, bool ok, const char *value,
                         kv_version_t version, uint32_t now)
{
    const store_item_t *a = r->acked ? store_get(r->acked, key, strlen(key)) : NULL;
    if (!a || a->deleted) {
        if (ok)
            decide_verdict(r, e, false, "read %s at tick %u, but %s", value, (unsigned)now,
                           a ? "its newest acknowledged write deleted it" : "nothing was written");
        else
            decide_verdict(r, e, true, "the read failed at tick %u: %s", (unsigned)now,
                           a ? "the key is deleted" : "nothing was written");
        return;
    }
    if (!ok)
        decide_verdict(r, e, false, "the read failed at tick %u; the newest acknowledged value "
                       "is %s", (unsigned)now, a->value);
    else if (kv_version_cmp(version, a->version) < 0)
        decide_verdict(r, e, false, "read %s at tick %u, older than the acknowledged %s", value,
                       (unsigned)now, a->value);
    else
        decide_verdict(r, e, true, "read %s at tick %u, the newest acknowledged value%s", value,
                       (unsigned)now, kv_version_cmp(version, a->version) > 0 ? " or newer" : "");
}

/* kv_result_fn: a coordinator decided an operation; judge its expectation, if it has one. */
static void on_result(void *ctx, uint32_t txid, kv_op_t op, const char *key, bool ok,
                      const char *value, kv_version_t version, uint32_t now)
{
    run_t *r = ctx;
    if (ok && op != KV_READ && r->acked) {
        const char *v = op == KV_DELETE ? "" : value;
        /* Out of memory here would only weaken the final check, never fail the run. */
        (void)store_put(r->acked, key, strlen(key), v, strlen(v), version, op == KV_DELETE, 0);
    }
    if (txid >= r->op_cap || r->op_event[txid] < 0)
        return;
    size_t e = (size_t)r->op_event[txid];
    const event_t *ev = &r->sc->events[e];
    const char *got = ok ? "succeeded" : "failed";
    switch (ev->expect) {
    case EXPECT_NONE:
        break;
    case EXPECT_SUCCESS:
    case EXPECT_FAIL:
        decide_verdict(r, e, ok == (ev->expect == EXPECT_SUCCESS), "the %s %s at tick %u",
                       kv_op_name(op), got, (unsigned)now);
        break;
    case EXPECT_VALUE:
        if (ok)
            decide_verdict(r, e, strcmp(value, ev->expect_value) == 0, "read %s at tick %u",
                           value, (unsigned)now);
        else
            decide_verdict(r, e, false, "the read failed at tick %u", (unsigned)now);
        break;
    case EXPECT_LATEST:
        judge_latest(r, e, key, ok, value, version, now);
        break;
    }
}

static void client_op(run_t *r, const event_t *ev, uint32_t now)
{
    const test_key_t *k = key_ref(r, ev->key);
    const char *key = ev->key == EV_KEY_NAMED ? ev->key_name : k ? k->key : INVALID_KEY;
    const char *value = ev->value ? ev->value : (k ? k->value : NULL);
    size_t event = (size_t)(ev - r->sc->events);
    int c = ev->via ? event_node(r, ev) : random_live(r);
    if (ev->via && (c < 0 || !is_live(r, (uint32_t)c))) {
        if (ev->expect != EXPECT_NONE)
            decide_verdict(r, event, false, "%s, its coordinator, is not a live member",
                           c < 0 ? "the node named" : "the node given");
        return;
    }
    if (c < 0) {
        if (ev->expect != EXPECT_NONE)
            decide_verdict(r, event, false, "no live node to coordinate it");
        return;
    }
    if (!k && ev->key != EV_KEY_INVALID && ev->key != EV_KEY_NAMED)
        return;
    track_op(r, r->next_txid, (int32_t)event);
    issue_op(r, (uint32_t)c, (kv_op_t)ev->op, key, value, now);
}

/* The key an event is about: named in the file, or one of the inserted keys. */
static const char *event_key(const run_t *r, const event_t *ev)
{
    if (ev->key == EV_KEY_NAMED)
        return ev->key_name;
    const test_key_t *k = key_ref(r, ev->key);
    return k ? k->key : NULL;
}

static void fail_random(run_t *r, const event_t *ev, uint32_t now)
{
    for (uint32_t done = 0; done < ev->count; done++) {
        uint32_t live = count_live(r);
        int i = live ? nth_live(r, fail_choice(r, live, now)) : -1;
        if (i < 0)
            return;
        fail_node(r, (uint32_t)i, now);
        bind_name(r, ev, done, (uint32_t)i);
    }
}

/* Replica `role` of the key in the first live node's view (failing it again does nothing if
 * it has failed already; a name still binds to it). */
static void fail_role(run_t *r, const event_t *ev, uint32_t now)
{
    addr_t reps[RING_REPLICAS];
    size_t k = view_replicas(r, ev->key_name, reps, now);
    if ((size_t)ev->role < k && reps[ev->role].id - 1 < r->n) {
        fail_node(r, reps[ev->role].id - 1, now);
        bind_name(r, ev, 0, reps[ev->role].id - 1);
    }
}

/* Judged at its tick: no live node lists the node any more. */
static void expect_removed(run_t *r, size_t event, uint32_t now)
{
    const event_t *ev = &r->sc->events[event];
    int node = event_node(r, ev);
    if (node < 0) {
        decide_verdict(r, event, false, "node name '%s' names no node: its failure picked none",
                       r->sc->names[ev->node_name - 1]);
        return;
    }
    addr_t target = node_addr((uint32_t)node);
    char list[96] = "", a[ADDR_STRLEN];
    uint32_t still = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        if (i == (uint32_t)node || !is_live(r, i) || !member_knows(r->nodes[i].member, target))
            continue;
        if (still++ < 3) {
            size_t o = strlen(list);
            snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", addr_format(node_addr(i), a));
        }
    }
    if (still == 0)
        decide_verdict(r, event, true, "no live node lists %s at tick %u",
                       addr_format(target, a), (unsigned)now);
    else
        decide_verdict(r, event, false, "%u live node%s still list %s at tick %u (%s%s)",
                       (unsigned)still, still == 1 ? "" : "s", addr_format(target, a),
                       (unsigned)now, list, still > 3 ? ", ..." : "");
}

static int make_node(run_t *r, uint32_t i);

/* A failed node runs again as a new member: new incarnation (its start tick), empty store, or
 * with keep_data the store it had when it failed (crash-recovery: a durable disk). A node whose
 * failure came before it booted (still joining to fail, or not started yet) is made whole again
 * the same way: nothing of the failure may outlive the restart. */
static void restart_node(run_t *r, uint32_t i, bool keep_data, uint32_t now)
{
    app_node_t *node = &r->nodes[i];
    if (!node->failed)
        return;
    if (!node->started && node->start_tick > now) {
        /* Failed before its start tick and restarted before it: it simply boots as planned. */
        node->failed = false;
        node->joining_to_fail = false;
        r->nfailed--;
        r->restarts++;
        log_event(&r->log, node_addr(i), now, "Node restarted at time=%u", (unsigned)now);
        observe_node(r, i, "restart", 0, keep_data, now);
        return;
    }
    kv_node_t *old_kv = node->kv;
    member_free(node->member);
    node->member = NULL;
    node->kv = NULL;
    if (make_node(r, i) != 0) {
        fprintf(stderr, "Application: out of memory restarting node %u\n", (unsigned)i + 1);
        kv_free(old_kv);
        return;
    }
    if (keep_data && node->kv && old_kv)
        kv_adopt_store(node->kv, old_kv);
    kv_free(old_kv);
    node->failed = false;
    node->joining_to_fail = false;
    r->nfailed--;
    r->restarts++;
    emulnet_set_up(r->net, node_addr(i));
    log_event(&r->log, node_addr(i), now, "Node restarted at time=%u", (unsigned)now);
    observe_node(r, i, "restart", 0, keep_data, now);
    node->start_tick = now + 1;
    node->started = false;
}

/* A running node freezes after this tick for `ticks` ticks: it handles no message (they wait in
 * its inbox) and runs no timer, then goes on with its old state. A pause of a paused node
 * ends at the later of the two ends; a node that is not running is left alone. */
static void pause_node(run_t *r, uint32_t i, uint32_t ticks, uint32_t now)
{
    app_node_t *node = &r->nodes[i];
    if (i >= r->n || !node->started || node->failed)
        return;
    uint32_t until = now + 1 + ticks;
    if (!node->paused) {
        node->paused = true;
        node->paused_at = now;
        node->resume_at = until;
    } else if (until > node->resume_at) {
        node->resume_at = until;
    }
    log_event(&r->log, node_addr(i), now, "Node paused at time=%u for %u ticks", (unsigned)now,
              (unsigned)ticks);
    observe_node(r, i, "pause", ticks, false, now);
}

/* The next `count` nodes beyond MAX_NNB start at the next tick. */
static void add_nodes(run_t *r, uint32_t count, uint32_t now)
{
    for (uint32_t k = 0; k < count && r->sc->nodes + r->added < r->n; k++)
        r->nodes[r->sc->nodes + r->added++].start_tick = now + 1;
}

/* Replicas of a key on the ring of every live node: the ground truth checks compare with. */
static size_t true_replicas(run_t *r, const char *key, addr_t out[RING_REPLICAS])
{
    addr_t *live = malloc((r->n ? r->n : 1) * sizeof *live);
    size_t nl = 0, k = 0;
    ring_t ring;
    ring_init(&ring);
    if (!live)
        return 0;
    for (uint32_t i = 0; i < r->n; i++)
        if (is_running(r, i))
            live[nl++] = node_addr(i);
    if (ring_build(&ring, live, nl, r->positions) == 0)
        k = ring_replicas(&ring, ring_hash(key, strlen(key)), out);
    ring_free(&ring);
    free(live);
    return k;
}

size_t run_true_replicas(run_t *r, const char *key, addr_t out[RING_REPLICAS])
{
    return true_replicas(r, key, out);
}

/* Whether a key is on exactly its replicas among the live nodes, with one version.
 * Returns 0, or writes what is wrong. */
static int check_key(run_t *r, const char *key, char *why, size_t cap)
{
    addr_t reps[RING_REPLICAS];
    size_t k = true_replicas(r, key, reps);
    char a[ADDR_STRLEN];
    bool have_version = false;
    kv_version_t first = { 0, 0 };
    for (uint32_t i = 0; i < r->n; i++) {
        if (!is_running(r, i) || !r->nodes[i].kv)
            continue;
        bool replica = false;
        for (size_t j = 0; j < k; j++)
            replica |= reps[j].id == i + 1;
        kv_version_t v;
        const char *val;
        bool del, held = kv_peek(r->nodes[i].kv, key, &v, &val, &del) && !del;
        addr_format(node_addr(i), a);
        if (!replica && held)
            return snprintf(why, cap, "%s holds %s but is not one of its replicas", a, key), -1;
        if (replica && !held)
            return snprintf(why, cap, "replica %s does not hold %s", a, key), -1;
        if (replica && have_version && kv_version_cmp(v, first) != 0)
            return snprintf(why, cap, "replicas of %s hold different versions", key), -1;
        if (replica && !have_version) {
            have_version = true;
            first = v;
        }
    }
    return 0;
}

/* Judged at its tick: every live node lists exactly the live nodes. */
static void expect_converged(run_t *r, size_t event, uint32_t now)
{
    uint32_t live = 0;
    for (uint32_t i = 0; i < r->n; i++)
        live += is_live(r, i);
    char a[ADDR_STRLEN], b[ADDR_STRLEN];
    for (uint32_t i = 0; i < r->n; i++) {
        if (!is_live(r, i))
            continue;
        for (uint32_t j = 0; j < r->n; j++)
            if (j != i && is_live(r, j) && !member_knows(r->nodes[i].member, node_addr(j))) {
                decide_verdict(r, event, false, "at tick %u %s does not list %s", (unsigned)now,
                               addr_format(node_addr(i), a), addr_format(node_addr(j), b));
                return;
            }
        if (member_count(r->nodes[i].member) != live - 1) {
            decide_verdict(r, event, false, "at tick %u %s lists %zu members, %u are live",
                           (unsigned)now, addr_format(node_addr(i), a),
                           member_count(r->nodes[i].member), (unsigned)live - 1);
            return;
        }
    }
    decide_verdict(r, event, true, "all %u live nodes list each other and no one else at tick %u",
                   (unsigned)live, (unsigned)now);
}

/* Judged at its tick: the node runs, and every other live node lists it. */
static void expect_listed(run_t *r, size_t event, uint32_t now)
{
    const event_t *ev = &r->sc->events[event];
    int node = event_node(r, ev);
    char a[ADDR_STRLEN], b[ADDR_STRLEN];
    if (node < 0) {
        decide_verdict(r, event, false, "node name '%s' names no node: its failure picked none",
                       r->sc->names[ev->node_name - 1]);
        return;
    }
    addr_format(node_addr((uint32_t)node), a);
    if (!is_live(r, (uint32_t)node)) {
        decide_verdict(r, event, false, "%s is not a live member at tick %u (%s)", a,
                       (unsigned)now, r->nodes[node].failed ? "failed" : r->nodes[node].paused
                                                                             ? "paused"
                                                                             : "not in the group");
        return;
    }
    for (uint32_t i = 0; i < r->n; i++)
        if (i != (uint32_t)node && is_live(r, i) && !member_knows(r->nodes[i].member, node_addr((uint32_t)node))) {
            decide_verdict(r, event, false, "at tick %u %s does not list %s", (unsigned)now,
                           addr_format(node_addr(i), b), a);
            return;
        }
    decide_verdict(r, event, true, "every live node lists %s at tick %u", a, (unsigned)now);
}

/* Judged at its tick: exactly `count` running nodes hold a value of the key. */
static void expect_key_on(run_t *r, size_t event, uint32_t now)
{
    const event_t *ev = &r->sc->events[event];
    uint32_t held = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        kv_version_t v;
        const char *val;
        bool del;
        held += is_running(r, i) && r->nodes[i].kv &&
                kv_peek(r->nodes[i].kv, ev->key_name, &v, &val, &del) && !del;
    }
    decide_verdict(r, event, held == ev->count, "%u node%s hold %s at tick %u", (unsigned)held,
                   held == 1 ? "" : "s", ev->key_name, (unsigned)now);
}

static void expect_replicated(run_t *r, size_t event, uint32_t now)
{
    const event_t *ev = &r->sc->events[event];
    char why[160];
    if (check_key(r, ev->key_name, why, sizeof why) == 0)
        decide_verdict(r, event, true, "%s is on exactly its 3 live replicas at tick %u",
                       ev->key_name, (unsigned)now);
    else
        decide_verdict(r, event, false, "at tick %u %s", (unsigned)now, why);
}

/* Whether the acknowledged write `ack` survives on the key's live replicas: each holds that
 * version or a newer one (an unacknowledged later write may have reached some replicas), and
 * an acknowledged delete has not come back with an older value. 0, or what is wrong. */
static int check_not_lost(run_t *r, const store_item_t *ack, char *why, size_t cap)
{
    addr_t reps[RING_REPLICAS];
    size_t k = true_replicas(r, ack->key, reps);
    char a[ADDR_STRLEN];
    for (size_t j = 0; j < k; j++) {
        const app_node_t *node = &r->nodes[reps[j].id - 1];
        kv_version_t v;
        const char *val;
        bool del;
        bool held = node->kv && kv_peek(node->kv, ack->key, &v, &val, &del);
        addr_format(reps[j], a);
        if (ack->deleted) {
            if (held && !del && kv_version_cmp(v, ack->version) < 0)
                return snprintf(why, cap, "replica %s holds deleted key %s with an older value",
                                a, ack->key), -1;
            continue;
        }
        if (!held || kv_version_cmp(v, ack->version) < 0)
            return snprintf(why, cap, "replica %s %s %s=%s acknowledged at version %llu.%u", a,
                            held ? "holds an older version than" : "does not hold", ack->key,
                            ack->value, (unsigned long long)ack->version.stamp,
                            (unsigned)ack->version.node), -1;
        if (kv_version_cmp(v, ack->version) == 0 && strcmp(val, ack->value) != 0)
            return snprintf(why, cap, "replica %s holds %s=%s at the acknowledged version of %s",
                            a, ack->key, val, ack->value), -1;
    }
    return 0;
}

int run_check_lost_writes(run_t *r, char *why, size_t cap)
{
    char one[200], first[200] = "";
    size_t keys = r->acked ? store_size(r->acked) : 0, bad = 0;
    for (size_t i = 0; i < keys; i++)
        if (check_not_lost(r, store_at(r->acked, i), one, sizeof one) != 0 && bad++ == 0)
            snprintf(first, sizeof first, "%s", one);
    if (bad == 0)
        snprintf(why, cap, "the newest acknowledged write of all %zu keys is on their live "
                 "replicas", keys);
    else
        snprintf(why, cap, "%zu of %zu keys: %s", bad, keys, first);
    return bad ? -1 : 0;
}

/* Judged after the last tick: every key's newest acknowledged write is in place. */
static void expect_no_lost_writes(run_t *r, size_t event)
{
    char why[400];
    bool pass = run_check_lost_writes(r, why, sizeof why) == 0;
    decide_verdict(r, event, pass, "%s", why);
}

/* One tick of a workload: `rate` operations on random keys w0..w<nkeys-1>. A key not created
 * yet (or deleted) is created; otherwise read, updated or deleted by the mix. */
static void workload_tick(run_t *r, workload_t *w, uint32_t now)
{
    const event_t *ev = &r->sc->events[w->event];
    for (uint32_t k = 0; k < ev->rate; k++) {
        uint32_t key = rng_below(&r->rng, ev->nkeys);
        int c = random_live(r);
        if (c < 0)
            return;
        char name[16], value[32];
        snprintf(name, sizeof name, "w%u", (unsigned)key);
        snprintf(value, sizeof value, "v%u.%u", (unsigned)now, (unsigned)w->seq++);
        kv_op_t op = KV_CREATE;
        if (w->exists[key]) {
            uint32_t pick = rng_below(&r->rng, 100);
            op = pick < ev->mix[0] ? KV_READ : pick < ev->mix[0] + ev->mix[1] ? KV_UPDATE : KV_DELETE;
        }
        w->exists[key] = op != KV_DELETE;
        issue_op(r, (uint32_t)c, op, name, op == KV_CREATE || op == KV_UPDATE ? value : NULL, now);
        w->ops++;
    }
}

static void start_workload(run_t *r, const event_t *ev)
{
    workload_t *w = realloc(r->work, (r->nwork + 1) * sizeof *w);
    if (!w)
        return;
    r->work = w;
    uint8_t *exists = calloc(ev->nkeys, 1);
    if (!exists)
        return;
    r->work[r->nwork++] = (workload_t){ .event = (size_t)(ev - r->sc->events), .exists = exists };
}

/* The workloads of tick `now`, if they have not run yet. */
static void run_workloads(run_t *r, uint32_t now)
{
    if (!r->work_due)
        return;
    r->work_due = false;
    for (size_t i = 0; i < r->nwork; i++) {
        const event_t *ev = &r->sc->events[r->work[i].event];
        if (now >= ev->tick && now < ev->until)
            workload_tick(r, &r->work[i], now);
    }
}

static void apply_event(run_t *r, const event_t *ev, uint32_t now)
{
    const test_key_t *k = key_ref(r, ev->key);
    switch (ev->kind) {
    case EV_FAIL_RANDOM_NODE:
        fail_node(r, fail_choice(r, existing(r), now), now);
        break;
    case EV_FAIL_RANDOM_BLOCK: {
        uint32_t n = existing(r);
        uint32_t count = ev->count < n ? ev->count : n;
        uint32_t first = n > count ? fail_choice(r, n - count, now) : 0;
        for (uint32_t i = first; i < first + count; i++)
            fail_node(r, i, now);
        break;
    }
    case EV_KV_INSERT:
        insert_keys(r, ev->count, now);
        break;
    case EV_FAIL_REPLICAS:
        if (k)
            fail_replicas(r, k->key, ev->count, now);
        break;
    case EV_FAIL_NON_REPLICA:
        if (event_key(r, ev))
            fail_non_replica(r, ev, event_key(r, ev), now);
        break;
    case EV_KV_OP:
        client_op(r, ev, now);
        break;
    case EV_FAIL_NODE:
        if (event_node(r, ev) >= 0)
            fail_node(r, (uint32_t)event_node(r, ev), now);
        break;
    case EV_FAIL_RANDOM:
        fail_random(r, ev, now);
        break;
    case EV_FAIL_ROLE:
        fail_role(r, ev, now);
        break;
    case EV_EXPECT_REMOVED:
        expect_removed(r, (size_t)(ev - r->sc->events), now);
        break;
    case EV_RESTART:
        if (event_node(r, ev) >= 0)
            restart_node(r, (uint32_t)event_node(r, ev), ev->keep_data, now);
        break;
    case EV_PAUSE:
        if (event_node(r, ev) >= 0)
            pause_node(r, (uint32_t)event_node(r, ev), ev->count, now);
        break;
    case EV_ADD_NODES:
        add_nodes(r, ev->count, now);
        break;
    case EV_WORKLOAD:
        start_workload(r, ev);
        break;
    case EV_EXPECT_REPLICATED:
        expect_replicated(r, (size_t)(ev - r->sc->events), now);
        break;
    case EV_EXPECT_CONVERGED:
        expect_converged(r, (size_t)(ev - r->sc->events), now);
        break;
    case EV_EXPECT_LISTED:
        expect_listed(r, (size_t)(ev - r->sc->events), now);
        break;
    case EV_EXPECT_KEY_ON:
        expect_key_on(r, (size_t)(ev - r->sc->events), now);
        break;
    case EV_EXPECT_NO_LOST_WRITES:
        expect_no_lost_writes(r, (size_t)(ev - r->sc->events));
        break;
    }
}

/* A running member of the group to introduce newcomers, the introducer first; -1 if none. */
static int live_contact(const run_t *r)
{
    for (uint32_t j = 0; j < r->n; j++)
        if (is_live(r, j))
            return (int)j;
    return -1;
}

/* Whether node j may be one of node i's fallback contacts: a running group member (it can
 * answer a join), not i, not already among seeds[0..n). */
static bool good_seed(const run_t *r, uint32_t j, uint32_t i, const addr_t *seeds, size_t n)
{
    if (j == i || !is_live(r, j))
        return false;
    for (size_t k = 0; k < n; k++)
        if (addr_eq(seeds[k], node_addr(j)))
            return false;
    return true;
}

/* The Application plays the bootstrap service: it gives node i the introducer's address, or,
 * when the introducer has failed, the address of a running group member (as an operator would
 * re-point a well-known name); with no group left, node i starts a new one. Up to three nodes
 * started earlier and not failed are the fallbacks if the join request goes unanswered. */
static void start_node(run_t *r, uint32_t i, uint32_t now)
{
    addr_t seeds[JOIN_SEEDS];
    size_t nseeds = 0;
    int contact = r->nodes[0].failed ? live_contact(r) : 0;
    seeds[nseeds++] = node_addr(contact >= 0 ? (uint32_t)contact : i);
    /* Nodes started before i: the classic four per tick, or any (added or restarted nodes). */
    uint32_t earlier = i < r->sc->nodes ? r->nodes[i].start_tick * NODES_PER_TICK : existing(r);
    if (earlier > existing(r))
        earlier = existing(r);
    for (int tries = 0; contact >= 0 && nseeds < JOIN_SEEDS && earlier > 1 && tries < 16; tries++) {
        uint32_t j = 1 + rng_below(&r->rng, earlier - 1);
        if (good_seed(r, j, i, seeds, nseeds))
            seeds[nseeds++] = node_addr(j);
    }
    /* The random picks can all miss when few ids are running group members (an added node
     * draws from every id): then the first ones in id order. Without a fallback, a contact that
     * fails in the tick the node starts would leave it knocking on a dead door for good. */
    for (uint32_t j = 1; contact >= 0 && nseeds < 2 && j < r->n; j++)
        if (good_seed(r, j, i, seeds, nseeds))
            seeds[nseeds++] = node_addr(j);
    r->nodes[i].started = true;
    observe_node(r, i, "start", 0, i >= r->sc->nodes, now);
    member_start(r->nodes[i].member, seeds, nseeds, now, now);
}

static void run_node(run_t *r, uint32_t i, uint32_t now)
{
    node_t peer = { r->nodes[i].member, r->nodes[i].kv };
    addr_t self = node_addr(i);
    en_msg_t *msg;
    while ((msg = emulnet_recv(r->net, self, now))) {
        int type = wire_peek_type(msg->data, msg->len);
        if (r->nodes[i].joining_to_fail) {
            /* Failed before it booted or was answered: it only makes sure the group heard its
             * join request. Any answer means it did; then it stops, logging nothing. */
            bool answered = type == MSG_JOINREP || type == MSG_GOSSIP;
            if (answered) {
                r->nodes[i].joining_to_fail = false;
                emulnet_set_down(r->net, self);
                return;
            }
            continue;
        }
        if (node_receive(&peer, msg->data, msg->len, now) != NODE_OK)
            r->malformed++;
    }
    node_tick(&peer, now);
}

/* One tick: messages due are delivered, each running node handles its inbox and ticks, then the
 * scenario's events of the tick are applied, then the workloads run (at the start of the next
 * tick, before anything else happens: the same order, with room for a driver's events). */
static void run_tick(run_t *r, uint32_t now)
{
    if (now > 0) {
        r->now = now - 1;
        run_workloads(r, now - 1);
    }
    r->now = now;
    emulnet_deliver(r->net, now);
    for (uint32_t i = 0; i < r->n; i++) {
        app_node_t *node = &r->nodes[i];
        /* A node whose failure came before its start, or before its join was answered,
         * still (boots and) asks to join, again every join_retry ticks until answered, then
         * stays down: it joins the group and must be detected like any other. */
        if (node->paused && now == node->resume_at) {
            node->paused = false;
            log_event(&r->log, node_addr(i), now, "Node resumed at time=%u", (unsigned)now);
            observe_node(r, i, "resume", 0, false, now);
            member_resume(node->member, node->resume_at - node->paused_at - 1, now);
        }
        if (now == node->start_tick)
            start_node(r, i, now);
        else if (now > node->start_tick && !node->paused &&
                 (!node->failed || node->joining_to_fail))
            run_node(r, i, now);
    }
    while (r->next_event < r->sc->nevents && r->sc->events[r->next_event].tick == now)
        apply_event(r, &r->sc->events[r->next_event++], now);
    r->work_due = r->nwork > 0;
}

/* After the last tick: checks placed after the end ("no lost writes") are judged on the final
 * state. */
static void run_end(run_t *r)
{
    if (r->ticks > 0) {
        r->now = r->ticks - 1;
        run_workloads(r, r->ticks - 1);
    }
    r->now = r->ticks;
    for (; r->next_event < r->sc->nevents; r->next_event++)
        if (r->sc->events[r->next_event].kind == EV_EXPECT_NO_LOST_WRITES)
            apply_event(r, &r->sc->events[r->next_event], r->ticks);
}

static void write_stats(run_t *r)
{
    en_stats_t ns;
    emulnet_stats(r->net, &ns);
    member_stats_t total = { 0 };
    for (uint32_t i = 0; i < r->n; i++) {
        member_stats_t s;
        member_get_stats(r->nodes[i].member, &s);
        total.joins += s.joins;
        total.removals += s.removals;
        total.malformed += s.malformed;
        total.merged += s.merged;
        total.refuted += s.refuted;
        total.syncs += s.syncs;
        total.pulls += s.pulls;
        total.pulled += s.pulled;
        total.pull_known += s.pull_known;
        total.news_items += s.news_items;
        total.news_sent += s.news_sent;
        total.news_stale += s.news_stale;
        total.news_lost += s.news_lost;
        if (s.news_queue_max > total.news_queue_max)
            total.news_queue_max = s.news_queue_max;
        if (s.news_wait_max > total.news_wait_max)
            total.news_wait_max = s.news_wait_max;
    }
    log_t *l = &r->log;
    log_stat(l, "testcase=%s", r->opts->testcase ? r->opts->testcase : "-");
    log_stat(l, "seed=%llu", (unsigned long long)r->opts->seed);
    log_stat(l, "nodes=%u ticks=%u failed=%u restarted=%u added=%u", (unsigned)r->n,
             (unsigned)r->ticks, (unsigned)r->nfailed, (unsigned)r->restarts,
             (unsigned)r->added);
    log_stat(l, "t_fail=%u t_remove=%u gossip_period=%u fanout=%u max_entries=%u probes=%u "
             "probe_period=%u probe_timeout=%u",
             (unsigned)r->cfg.t_fail, (unsigned)r->cfg.t_remove, (unsigned)r->cfg.gossip_period,
             (unsigned)r->cfg.fanout, (unsigned)r->cfg.max_entries, (unsigned)r->cfg.probes,
             (unsigned)r->cfg.probe_period, (unsigned)r->cfg.probe_timeout);
    log_stat(l, "messages_sent=%llu dropped=%llu undeliverable=%llu delivered=%llu bytes=%llu",
             (unsigned long long)ns.sent, (unsigned long long)ns.dropped,
             (unsigned long long)ns.undeliverable, (unsigned long long)ns.delivered,
             (unsigned long long)ns.bytes);
    log_stat(l, "joins_logged=%llu removals_logged=%llu suspicions_refuted=%llu syncs=%llu "
             "pulls=%llu pulled=%llu pull_known=%llu",
             (unsigned long long)total.joins, (unsigned long long)total.removals,
             (unsigned long long)total.refuted, (unsigned long long)total.syncs,
             (unsigned long long)total.pulls, (unsigned long long)total.pulled,
             (unsigned long long)total.pull_known);
    log_stat(l, "malformed_messages=%llu entries_merged=%llu",
             (unsigned long long)(total.malformed + r->malformed), (unsigned long long)total.merged);
    log_stat(l, "news_items=%llu news_sent=%llu news_stale=%llu news_evicted=%llu "
             "news_queue_max=%u news_wait_max=%u",
             (unsigned long long)total.news_items, (unsigned long long)total.news_sent,
             (unsigned long long)total.news_stale, (unsigned long long)total.news_lost,
             (unsigned)total.news_queue_max, (unsigned)total.news_wait_max);
    kv_stats_t kv = { 0 };
    bool has_kv = false;
    for (uint32_t i = 0; i < r->n; i++) {
        if (!r->nodes[i].kv)
            continue;
        has_kv = true;
        kv_stats_t s;
        kv_get_stats(r->nodes[i].kv, &s);
        kv.requests_served += s.requests_served;
        kv.ops_ok += s.ops_ok;
        kv.ops_failed += s.ops_failed;
        kv.transfers_sent += s.transfers_sent;
        kv.transfers_applied += s.transfers_applied;
        kv.offers_sent += s.offers_sent;
        kv.keys_offered += s.keys_offered;
        kv.keys_dropped += s.keys_dropped;
        kv.ignored_replies += s.ignored_replies;
        kv.stale_answers += s.stale_answers;
        kv.duplicate_requests += s.duplicate_requests;
        kv.malformed += s.malformed;
        kv.ring_rebuilds += s.ring_rebuilds;
        kv.digests_sent += s.digests_sent;
        kv.repairs_sent += s.repairs_sent;
        if (!r->nodes[i].failed)
            kv.keys += s.keys;
    }
    if (has_kv) {
        log_stat(l, "kv_ops_ok=%llu kv_ops_failed=%llu kv_requests_served=%llu "
                 "kv_ignored_replies=%llu kv_malformed=%llu",
                 (unsigned long long)kv.ops_ok, (unsigned long long)kv.ops_failed,
                 (unsigned long long)kv.requests_served, (unsigned long long)kv.ignored_replies,
                 (unsigned long long)kv.malformed);
        log_stat(l, "kv_transfers_sent=%llu kv_transfers_applied=%llu kv_keys_dropped=%llu "
                 "kv_ring_rebuilds=%llu kv_copies_on_live_nodes=%llu",
                 (unsigned long long)kv.transfers_sent, (unsigned long long)kv.transfers_applied,
                 (unsigned long long)kv.keys_dropped, (unsigned long long)kv.ring_rebuilds,
                 (unsigned long long)kv.keys);
        log_stat(l, "kv_digests_sent=%llu kv_repairs_sent=%llu kv_offers_sent=%llu "
                 "kv_keys_offered=%llu kv_stale_answers=%llu kv_duplicate_requests=%llu",
                 (unsigned long long)kv.digests_sent, (unsigned long long)kv.repairs_sent,
                 (unsigned long long)kv.offers_sent, (unsigned long long)kv.keys_offered,
                 (unsigned long long)kv.stale_answers, (unsigned long long)kv.duplicate_requests);
    }
    if (r->opts->out)
        fprintf(r->opts->out,
                "%u nodes, %u ticks, %u failed; %llu messages (%llu lost); %llu joins and "
                "%llu removals logged\n",
                (unsigned)r->n, (unsigned)r->ticks, (unsigned)r->nfailed,
                (unsigned long long)ns.sent, (unsigned long long)ns.dropped,
                (unsigned long long)total.joins, (unsigned long long)total.removals);
}

/* The statement an expectation belongs to, rebuilt from the event for the report. */
void run_describe(const scenario_t *sc, const event_t *ev, char *out, size_t cap)
{
    static const char *const outcome[] = { "", "success", "fail", "value", "latest" };
    char node[48];
    if (ev->node_name)
        snprintf(node, sizeof node, "%s", sc->names[ev->node_name - 1]);
    else
        snprintf(node, sizeof node, "%u", (unsigned)ev->node);
    switch (ev->kind) {
    case EV_EXPECT_REMOVED:
    case EV_EXPECT_LISTED:
        snprintf(out, cap, "expect node %s %s by %u", node,
                 ev->kind == EV_EXPECT_REMOVED ? "removed" : "listed", (unsigned)ev->tick);
        return;
    case EV_EXPECT_REPLICATED:
        snprintf(out, cap, "expect key %s replicated by %u", ev->key_name, (unsigned)ev->tick);
        return;
    case EV_EXPECT_KEY_ON:
        snprintf(out, cap, "expect key %s on %u nodes by %u", ev->key_name, (unsigned)ev->count,
                 (unsigned)ev->tick);
        return;
    case EV_EXPECT_CONVERGED:
        snprintf(out, cap, "expect membership converged by %u", (unsigned)ev->tick);
        return;
    case EV_EXPECT_NO_LOST_WRITES:
        if (ev->checkpoint)
            snprintf(out, cap, "at %u expect no lost writes", (unsigned)ev->tick);
        else
            snprintf(out, cap, "expect no lost writes");
        return;
    default:
        break;
    }
    char via[60] = "";
    if (ev->via)
        snprintf(via, sizeof via, " via %s", node);
    snprintf(out, cap, "at %u %s %s%s%s%s expect %s%s%s", (unsigned)ev->tick,
             kv_op_name((kv_op_t)ev->op), ev->key_name ? ev->key_name : "?",
             ev->value ? " " : "", ev->value ? ev->value : "", via, outcome[ev->expect],
             ev->expect_value ? " " : "", ev->expect_value ? ev->expect_value : "");
}

bool run_is_expectation(const event_t *e)
{
    switch (e->kind) {
    case EV_EXPECT_REMOVED:
    case EV_EXPECT_REPLICATED:
    case EV_EXPECT_NO_LOST_WRITES:
    case EV_EXPECT_CONVERGED:
    case EV_EXPECT_LISTED:
    case EV_EXPECT_KEY_ON:
        return true;
    default:
        return e->expect != EXPECT_NONE;
    }
}

/* One PASS or FAIL line per expectation, in file order, then a count. Returns the failures. */
static uint32_t report_expectations(run_t *r)
{
    const scenario_t *sc = r->sc;
    FILE *out = r->opts->out;
    if (sc->nexpect == 0)
        return 0;
    size_t *order = malloc(sc->nevents * sizeof *order), n = 0;
    if (!order)
        return 1;
    for (size_t i = 0; i < sc->nevents; i++)
        if (run_is_expectation(&sc->events[i]))
            order[n++] = i;
    for (size_t i = 1; i < n; i++) /* insertion sort by line: expectations are few */
        for (size_t j = i; j > 0 && sc->events[order[j]].line < sc->events[order[j - 1]].line; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    uint32_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        const event_t *ev = &sc->events[order[i]];
        const verdict_t *v = &r->verdicts[order[i]];
        char what[400];
        run_describe(sc, ev, what, sizeof what);
        bool pass = v->decided && v->pass;
        const char *detail = v->decided ? v->detail : "no outcome by the end of the run";
        failed += !pass;
        obs_event_t oe = { .kind = OBS_VERDICT, .tick = v->decided ? v->tick : r->ticks,
                           .line = ev->line, .flag = pass, .text = what, .detail = detail };
        obs_emit(&r->bus, &oe);
        if (out)
            fprintf(out, "%s %s:%u: %s: %s\n", pass ? "PASS" : "FAIL",
                    r->opts->testcase ? r->opts->testcase : "-", ev->line, what, detail);
    }
    if (out)
        fprintf(out, "expectations: %zu passed, %u failed\n", n - failed, (unsigned)failed);
    free(order);
    return failed;
}

#ifdef KV_FAULT_INJECTION
/* Test builds only (make faulty): KV_FAULTS names deliberately unsafe behaviour, comma
 * separated, so that tests can show the history checker and the campaign catching it. */
static void inject_faults(kv_cfg_t *cfg)
{
    const char *f = getenv("KV_FAULTS");
    if (!f)
        return;
    if (strstr(f, "early-drop"))
        cfg->faults |= KV_FAULT_EARLY_DROP;
    if (strstr(f, "quorum-one"))
        cfg->faults |= KV_FAULT_QUORUM_ONE;
    if (strstr(f, "no-anti-entropy"))
        cfg->sync_period = 0;
    if (strstr(f, "read-first"))
        cfg->faults |= KV_FAULT_READ_FIRST;
    fprintf(stderr, "Application: test build with faults '%s'\n", f);
}
#endif

/* The worst loss and delay a message can meet, for the probe timeout: loss windows and lossy
 * links compound (each drops on its own), so the worst tick is the start of some window, with
 * every window that covers it; delays take the longest rule, plus every reordering's most. */
static void network_worst(const scenario_t *sc, double *loss, uint32_t *delay)
{
    *loss = 0.0;
    *delay = 0;
    for (size_t k = 0; k < sc->nloss + sc->nlinks; k++) {
        uint32_t t = k < sc->nloss ? sc->loss[k].from : sc->links[k - sc->nloss].from;
        double pass = 1.0;
        for (size_t j = 0; j < sc->nloss; j++)
            if (sc->loss[j].from <= t && t < sc->loss[j].to)
                pass *= 1.0 - sc->loss[j].p;
        for (size_t j = 0; j < sc->nlinks; j++)
            if (sc->links[j].from <= t && t < sc->links[j].to)
                pass *= 1.0 - sc->links[j].loss;
        if (1.0 - pass > *loss)
            *loss = 1.0 - pass;
    }
    uint32_t jitter = 0;
    for (size_t k = 0; k < sc->nlinks; k++) {
        if (!sc->links[k].cut && sc->links[k].delay > *delay)
            *delay = sc->links[k].delay;
        jitter += sc->links[k].reorder;
    }
    *delay += jitter;
}

/* The membership settings for sc's n nodes: the defaults for n, then the file's own; the
 * probe timeout follows the file's worst network unless the file sets it, and so does the
 * default T_REMOVE (a suspect is pinged for that long). */
static void membership_cfg(const scenario_t *sc, uint32_t n, member_cfg_t *cfg)
{
    member_default_cfg(cfg, n);
    if (sc->gossip_period)
        cfg->gossip_period = sc->gossip_period;
    if (sc->fanout)
        cfg->fanout = sc->fanout;
    if (sc->t_fail)
        cfg->t_fail = sc->t_fail;
    if (sc->probe_timeout) {
        cfg->probe_timeout = sc->probe_timeout;
    } else {
        double worst_loss;
        uint32_t worst_delay;
        network_worst(sc, &worst_loss, &worst_delay);
        /* Probes must not mistake a slow link for a failure; a partition, on the other hand,
         * is meant to be detected. */
        member_cfg_for_network(cfg, worst_loss, 1 + worst_delay);
    }
    cfg->t_remove = sc->t_remove ? sc->t_remove : member_suspect_window(cfg);
    cfg->sync_period = cfg->t_fail + cfg->t_remove; /* member_default_cfg's rule, file timeouts */
}

uint32_t app_ticks(const scenario_t *sc)
{
    if (!sc->fit_to_size || sc->nodes == 0)
        return sc->ticks;
    member_cfg_t cfg;
    membership_cfg(sc, sc->nodes, &cfg);
    uint64_t last_boot = (sc->nodes - 1) / NODES_PER_TICK;
    /* two rounds of pulls of recent changes repair what the pushes missed (README) */
    uint64_t t = last_boot + 2 * ((uint64_t)cfg.pull_period + cfg.pull_window) +
                 cfg.probe_timeout + cfg.t_remove + 20;
    if (t > SCENARIO_MAX_TICKS)
        t = SCENARIO_MAX_TICKS;
    return t > sc->ticks ? (uint32_t)t : sc->ticks;
}

/* "1-5,7" for the ids whose group bit `bit` is set. */
static void describe_group(const uint8_t *groups, size_t n, unsigned bit, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t id = 0; id < n;) {
        if (len + 24 >= cap) {
            snprintf(out + len, cap - len, ",...");
            return;
        }
        if (!(groups[id] & (1u << bit))) {
            id++;
            continue;
        }
        size_t end = id;
        while (end + 1 < n && (groups[end + 1] & (1u << bit)))
            end++;
        len += (size_t)snprintf(out + len, cap - len, len ? ",%zu" : "%zu", id);
        if (end > id)
            len += (size_t)snprintf(out + len, cap - len, "-%zu", end);
        id = end + 1;
    }
}

/* Tells the observers about every fault window of the scenario, at the start of the run. */
static void observe_windows(run_t *r)
{
    const scenario_t *sc = r->sc;
    char detail[600];
    for (size_t k = 0; k < sc->nloss; k++) {
        const loss_spec_t *w = &sc->loss[k];
        snprintf(detail, sizeof detail, "p=%g", w->p);
        obs_event_t ev = { .kind = OBS_WINDOW, .tick = w->from, .until = w->to, .line = w->line,
                           .text = "loss", .detail = detail };
        obs_emit(&r->bus, &ev);
    }
    for (size_t k = 0; k < sc->nlinks; k++) {
        const link_spec_t *l = &sc->links[k];
        const char *kind = l->cut ? "partition" : l->delay ? "delay" : l->reorder ? "reorder"
                           : l->duplicate > 0.0 ? "duplicate" : "link_loss";
        char a[250] = "all", b[250] = "all", param[40] = "";
        if (l->groups) {
            describe_group(l->groups, l->ngroups, 0, a, sizeof a);
            describe_group(l->groups, l->ngroups, 1, b, sizeof b);
        }
        if (l->delay)
            snprintf(param, sizeof param, " ticks=%u", (unsigned)l->delay);
        else if (l->reorder)
            snprintf(param, sizeof param, " ticks=%u", (unsigned)l->reorder);
        else if (l->duplicate > 0.0)
            snprintf(param, sizeof param, " p=%g", l->duplicate);
        else if (l->loss > 0.0)
            snprintf(param, sizeof param, " p=%g", l->loss);
        snprintf(detail, sizeof detail, "a=%s b=%s%s%s", a, b, l->one_way ? " one_way" : "",
                 param);
        obs_event_t ev = { .kind = OBS_WINDOW, .tick = l->from, .until = l->to, .line = l->line,
                           .text = kind, .detail = detail };
        obs_emit(&r->bus, &ev);
    }
}

/* The trace, when asked for: its first line, then it watches the run (after setup: the run
 * line gives the settings). */
static int start_trace(run_t *r, FILE *f)
{
    trace_run_t info = { .testcase = r->opts->testcase, .seed = r->opts->seed, .nodes = r->n,
                         .ticks = r->ticks, .kv = r->kv, .t_fail = r->cfg.t_fail,
                         .t_remove = r->cfg.t_remove, .probe_timeout = r->cfg.probe_timeout };
    if (!(r->trace = trace_new(f, &info, r->opts->trace_messages)))
        return -1;
    observer_t o = trace_observer(r->trace);
    return obs_attach(&r->bus, &o);
}

/* The report, when asked for: it watches the run; operations on the keys that expectations
 * name (and --report-key) get message diagrams. */
static int start_report(run_t *r)
{
    report_run_t info = { .testcase = r->opts->testcase, .seed = r->opts->seed, .nodes = r->n,
                          .ticks = r->ticks, .kv = r->kv };
    if (!(r->report = report_new(&info)))
        return -1;
    if (r->opts->report_key && report_focus_key(r->report, r->opts->report_key) != 0)
        return -1;
    for (size_t k = 0; k < r->sc->nevents; k++) {
        const event_t *ev = &r->sc->events[k];
        if (ev->kind == EV_KV_OP && ev->expect != EXPECT_NONE && ev->key_name &&
            report_focus_key(r->report, ev->key_name) != 0)
            return -1;
    }
    observer_t o = report_observer(r->report);
    return obs_attach(&r->bus, &o);
}

typedef struct {
    char *key;
    uint64_t pos;
    uint32_t node;
} held_t;

typedef struct {
    held_t *v;
    size_t n, cap;
    uint32_t node, count;
    bool oom;
} held_list_t;

static void collect_key(void *ctx, const char *key, uint64_t pos)
{
    held_list_t *l = ctx;
    l->count++;
    if (l->oom)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        held_t *p = realloc(l->v, cap * sizeof *p);
        if (!p) {
            l->oom = true;
            return;
        }
        l->v = p;
        l->cap = cap;
    }
    char *k = strdup(key);
    if (!k) {
        l->oom = true;
        return;
    }
    l->v[l->n++] = (held_t){ k, pos, l->node };
}

static int held_cmp(const void *a, const void *b)
{
    const held_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->node > y->node) - (x->node < y->node);
}

/* Hands the report the ring at the end: running nodes with their positions and keys held, and
 * every live key with its holders compared with its replicas on the true ring. */
static void report_final_ring(run_t *r)
{
    held_list_t l = { 0 };
    addr_t *live = malloc((r->n ? r->n : 1) * sizeof *live);
    size_t nl = 0;
    if (!live)
        return;
    for (uint32_t i = 0; i < r->n; i++) {
        if (!is_running(r, i))
            continue;
        live[nl++] = node_addr(i);
        l.node = i + 1;
        l.count = 0;
        if (r->nodes[i].kv)
            kv_each_key(r->nodes[i].kv, collect_key, &l);
        report_ring_node(r->report, node_addr(i), ring_node_position(node_addr(i)), l.count);
    }
    ring_t ring;
    ring_init(&ring);
    if (r->kv && ring_build(&ring, live, nl, r->positions) == 0) {
        if (l.n)
            qsort(l.v, l.n, sizeof *l.v, held_cmp);
        for (size_t a = 0, b; a < l.n; a = b) {
            addr_t reps[RING_REPLICAS];
            size_t k = ring_replicas(&ring, l.v[a].pos, reps), exact = 0;
            for (b = a; b < l.n && !strcmp(l.v[b].key, l.v[a].key); b++)
                for (size_t j = 0; j < k; j++)
                    exact += reps[j].id == l.v[b].node;
            report_ring_key(r->report, l.v[a].key, l.v[a].pos, k, b - a,
                            exact == k && b - a == k);
        }
    }
    ring_free(&ring);
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i].key);
    free(l.v);
    free(live);
}

void app_member_cfg(const scenario_t *sc, member_cfg_t *cfg)
{
    membership_cfg(sc, sc->nodes + sc->added, cfg);
}

/* Whether the scenario needs the key-value store. */
static bool uses_store(const scenario_t *sc)
{
    bool kv = sc->kv_store;
    for (size_t k = 0; k < sc->nevents; k++) {
        event_kind_t kind = sc->events[k].kind;
        kv |= kind == EV_KV_INSERT || kind == EV_FAIL_REPLICAS || kind == EV_FAIL_NON_REPLICA ||
              kind == EV_KV_OP || kind == EV_FAIL_ROLE || kind == EV_WORKLOAD ||
              kind == EV_EXPECT_REPLICATED || kind == EV_EXPECT_NO_LOST_WRITES ||
              kind == EV_EXPECT_KEY_ON;
    }
    return kv;
}

static int add_link_rule(run_t *r, const link_spec_t *l)
{
    en_link_rule_t rule = { .from = l->from, .to = l->to, .cut = l->cut, .delay = l->delay,
                            .groups = l->groups, .ngroups = l->ngroups, .one_way = l->one_way,
                            .loss = l->loss, .duplicate = l->duplicate, .reorder = l->reorder };
    return emulnet_add_link_rule(r->net, &rule);
}

/* Nodes from..r->n: made, attached to EmulNet, not started (those beyond MAX_NNB wait for an
 * `add` event to set their start). */
static int add_slots(run_t *r, uint32_t from)
{
    for (uint32_t i = from; i < r->n; i++) {
        app_node_t *node = &r->nodes[i];
        node->start_tick = i < r->sc->nodes ? i / NODES_PER_TICK : UINT32_MAX;
        if (make_node(r, i) != 0 || emulnet_attach(r->net, node_addr(i)) != 0)
            return -1;
    }
    return 0;
}

/* Nodes [r->n, n) for a scenario that adds more; r->n counts only those made whole (a node
 * whose making runs out of memory is not one of the run's). */
static int grow_slots(run_t *r, uint32_t n)
{
    for (uint32_t i = r->n; i < n; i++) {
        app_node_t *node = &r->nodes[i];
        memset(node, 0, sizeof *node);
        node->start_tick = UINT32_MAX; /* until an `add` event */
        if (make_node(r, i) != 0 || emulnet_attach(r->net, node_addr(i)) != 0) {
            kv_free(node->kv);
            member_free(node->member);
            memset(node, 0, sizeof *node);
            return -1;
        }
        r->n = i + 1;
    }
    return 0;
}

static int setup(run_t *r)
{
    rng_seed(&r->rng, r->opts->seed);
    r->fail_key = rng_next(&r->rng);
    r->fail_tick = UINT32_MAX;
    r->n = r->sc->nodes + r->sc->added;
    r->ticks = app_ticks(r->sc);
    const scenario_t *sc = r->sc;
    app_member_cfg(sc, &r->cfg);
    r->net = emulnet_new(&r->rng);
    r->book = addrbook_new();
    r->nodes = calloc(r->n, sizeof *r->nodes);
    if (!r->net || !r->book || !r->nodes)
        return -1;
    for (size_t k = 0; k < r->sc->nloss; k++) {
        const loss_spec_t *w = &r->sc->loss[k];
        if (emulnet_add_loss(r->net, w->from, w->to, w->p) != 0)
            return -1;
    }
    for (size_t k = 0; k < sc->nlinks; k++)
        if (add_link_rule(r, &sc->links[k]) != 0)
            return -1;
    bool kv = uses_store(sc);
    r->kv = kv;
    if (kv && !(r->acked = store_new()))
        return -1;
    kv_default_cfg(&r->kv_cfg);
    if (sc->coord_timeout)
        r->kv_cfg.timeout = sc->coord_timeout;
#ifdef KV_FAULT_INJECTION
    inject_faults(&r->kv_cfg);
#endif
    r->verdicts = calloc(sc->nevents ? sc->nevents : 1, sizeof *r->verdicts);
    if (!r->verdicts)
        return -1;
    if (sc->nnames && !(r->named = calloc(sc->nnames, sizeof *r->named)))
        return -1;
    if (kv && !(r->positions = ring_poscache_new()))
        return -1;
    r->next_txid = 1;
    return add_slots(r, 0);
}

/* Node i's membership and, for key-value scenarios, its kv node: fresh, not started. */
static int make_node(run_t *r, uint32_t i)
{
    app_node_t *node = &r->nodes[i];
    member_env_t env = { emulnet_transport(r->net), &r->log, &r->rng, &r->cfg, r->book, &r->bus };
    node->member = member_new(node_addr(i), &env);
    if (!node->member)
        return -1;
    if (r->kv) {
        kv_env_t kenv = { .net = emulnet_transport(r->net), .log = &r->log, .member = node->member,
                          .positions = r->positions, .cfg = &r->kv_cfg,
                          .next_txid = &r->next_txid, .on_result = on_result, .result_ctx = r,
                          .bus = &r->bus };
        if (!(node->kv = kv_new(node_addr(i), &kenv)))
            return -1;
    }
    return 0;
}

/* The final-state dump (README, "Final-state dump"): the live nodes with their ring positions,
 * then every live key each of them holds. */
void run_write_state(run_t *r, FILE *f, uint32_t tick)
{
    uint32_t live = 0;
    for (uint32_t i = 0; i < r->n; i++)
        live += is_running(r, i);
    fprintf(f, "# kvstate 2 tick=%u nodes=%u\n", (unsigned)tick, (unsigned)live);
    char a[ADDR_STRLEN];
    for (uint32_t i = 0; i < r->n; i++)
        if (is_running(r, i))
            fprintf(f, "node %s %016llx\n", addr_format(node_addr(i), a),
                    (unsigned long long)ring_node_position(node_addr(i)));
    for (uint32_t i = 0; i < r->n; i++)
        if (r->nodes[i].kv && is_running(r, i))
            kv_dump(r->nodes[i].kv, f);
}

static void teardown(run_t *r)
{
    if (r->nodes)
        for (uint32_t i = 0; i < r->n; i++) {
            kv_free(r->nodes[i].kv);
            member_free(r->nodes[i].member);
        }
    free(r->nodes);
    free(r->keys);
    free(r->verdicts);
    free(r->named);
    free(r->op_event);
    store_free(r->acked);
    for (size_t i = 0; i < r->nwork; i++)
        free(r->work[i].exists);
    free(r->work);
    ring_poscache_free(r->positions);
    emulnet_free(r->net);
    addrbook_free(r->book);
}

struct app_session {
    run_t r;
    output_t out[NOUTPUTS];
    uint32_t next_tick; /* ticks run so far */
};

/* Frees what the run holds (not the outputs). */
static void release(app_session_t *s)
{
    teardown(&s->r);
    trace_free(s->r.trace);
    report_free(s->r.report);
    free(s);
}

app_session_t *app_open(const scenario_t *sc, const app_opts_t *opts)
{
    app_session_t *s = calloc(1, sizeof *s);
    if (!s) {
        fprintf(stderr, "Application: out of memory\n");
        return NULL;
    }
    s->r.sc = sc;
    s->r.opts = opts;
    output_t *out = s->out;
    out[OUT_DBG].path = opts->dbg_path;
    out[OUT_STATS].path = opts->stats_path;
    out[OUT_MSGCOUNT].path = opts->msgcount_path;
    out[OUT_STATE].path = opts->state_path;
    out[OUT_TRACE].path = opts->trace_path;
    out[OUT_REPORT].path = opts->report_path;
    if (open_outputs(out) != 0) {
        free(s);
        return NULL;
    }
    static char trace_buf[1 << 20];
    if (out[OUT_TRACE].f)
        setvbuf(out[OUT_TRACE].f, trace_buf, _IOFBF, sizeof trace_buf);
    /* Nothing is emptied or written before the run is sure to start: a run that cannot (out of
     * memory) leaves every earlier output as it was. */
    run_t *r = &s->r;
    log_init(&r->log, NULL, NULL);
    if (setup(r) != 0 || (out[OUT_TRACE].f && start_trace(r, out[OUT_TRACE].f) != 0) ||
        (out[OUT_REPORT].f && start_report(r) != 0)) {
        fprintf(stderr, "Application: out of memory setting up %u nodes\n", (unsigned)sc->nodes);
        discard_outputs(out);
        release(s);
        return NULL;
    }
    if (truncate_outputs(out) != 0) {
        release(s);
        return NULL;
    }
    spool_outputs(out, sc->nodes + sc->added);
    log_init(&r->log, out[OUT_DBG].f, out[OUT_STATS].f);
    if (r->trace)
        trace_begin(r->trace);
    emulnet_set_observers(r->net, &r->bus);
    observe_windows(r);
    return s;
}

uint32_t app_ticks_run(const app_session_t *s)
{
    return s->next_tick;
}

run_t *app_run_state(app_session_t *s)
{
    return &s->r;
}

uint32_t app_end(const app_session_t *s)
{
    return s->r.ticks;
}

void app_set_end(app_session_t *s, uint32_t ticks)
{
    s->r.ticks = ticks > s->next_tick ? ticks : s->next_tick;
}

int app_observe(app_session_t *s, const observer_t *o)
{
    return obs_attach(&s->r.bus, o);
}

void app_flush(app_session_t *s)
{
    output_t *o = &s->out[OUT_DBG];
    if (o->spool)
        spool_sync(o->spool, o->f);
    else if (o->f)
        fflush(o->f);
}

int app_rebase(app_session_t *s, const scenario_t *sc)
{
    run_t *r = &s->r;
    const scenario_t *old = r->sc;
    if (sc->nevents < old->nevents || sc->nloss < old->nloss || sc->nlinks < old->nlinks ||
        sc->nnames < old->nnames || (uses_store(sc) && !r->kv))
        return -1;
    for (size_t i = 0; i < r->next_event; i++)
        if (sc->events[i].kind != old->events[i].kind || sc->events[i].tick != old->events[i].tick)
            return -1;
    /* Room first, so that running out of memory changes nothing. */
    uint32_t n = sc->nodes + sc->added;
    if (n > r->n) {
        app_node_t *nodes = realloc(r->nodes, n * sizeof *nodes);
        if (!nodes)
            return -1;
        r->nodes = nodes;
    }
    verdict_t *v = calloc(sc->nevents ? sc->nevents : 1, sizeof *v);
    uint32_t *named = sc->nnames ? calloc(sc->nnames, sizeof *named) : NULL;
    if (!v || (sc->nnames && !named)) {
        free(v);
        free(named);
        return -1;
    }
    /* Events applied so far keep their places; later ones only move further on. */
    memcpy(v, r->verdicts, r->next_event * sizeof *v);
    free(r->verdicts);
    r->verdicts = v;
    if (old->nnames)
        memcpy(named, r->named, old->nnames * sizeof *named);
    free(r->named);
    r->named = named;
    r->sc = sc;
    /* From here on the run follows sc; running out of memory leaves it consistent (fewer
     * nodes or windows than sc has) but not sc's run: -2. */
    if (grow_slots(r, n) != 0)
        return -2;
    for (size_t k = old->nloss; k < sc->nloss; k++)
        if (emulnet_add_loss(r->net, sc->loss[k].from, sc->loss[k].to, sc->loss[k].p) != 0)
            return -2;
    for (size_t k = old->nlinks; k < sc->nlinks; k++)
        if (add_link_rule(r, &sc->links[k]) != 0)
            return -2;
    /* New events of the tick last run happen now, after that tick's own. */
    if (s->next_tick > 0)
        while (r->next_event < sc->nevents && sc->events[r->next_event].tick < s->next_tick)
            apply_event(r, &sc->events[r->next_event++], s->next_tick - 1);
    if (r->nwork && s->next_tick > 0)
        r->work_due = true;
    return 0;
}

bool app_step(app_session_t *s)
{
    if (s->next_tick >= s->r.ticks)
        return false;
    run_tick(&s->r, s->next_tick++);
    return true;
}

int app_finish(app_session_t *s)
{
    run_t *r = &s->r;
    output_t *out = s->out;
    while (app_step(s))
        ;
    run_end(r);
    write_stats(r);
    if (out[OUT_MSGCOUNT].f)
        emulnet_write_counts(r->net, out[OUT_MSGCOUNT].f, r->ticks);
    if (out[OUT_STATE].f)
        run_write_state(r, out[OUT_STATE].f, r->ticks ? r->ticks - 1 : 0);
    int rc = report_expectations(r) ? APP_EXPECTATIONS_FAILED : 0;
    if (r->trace)
        trace_end(r->trace, r->ticks);
    if (r->report) {
        report_final_ring(r);
        if (report_write(r->report, out[OUT_REPORT].f) != 0)
            rc = 1;
    }
    if (close_outputs(out) != 0)
        rc = 1;
    release(s);
    return rc;
}

int app_run(const scenario_t *sc, const app_opts_t *opts)
{
    app_session_t *s = app_open(sc, opts);
    return s ? app_finish(s) : 1;
}
