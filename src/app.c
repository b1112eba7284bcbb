/* app.c: the tick loop. Node i (id i+1, port 0) starts at tick i/4; node 0 is the introducer.
 * Each tick: deliver due messages, let every running node handle its inbox and tick, then apply
 * the scenario's events for that tick (so a node failed at tick t still ran at t). */
#include "app.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulnet.h"
#include "log.h"
#include "membership.h"
#include "rng.h"

#define NODES_PER_TICK 4
#define JOIN_SEEDS 4 /* the introducer, then up to three nodes started earlier */

typedef struct {
    member_node_t *member;
    uint32_t start_tick;
    bool started;
    bool failed;
} app_node_t;

typedef struct {
    const scenario_t *sc;
    const app_opts_t *opts;
    rng_t rng;
    log_t log;
    emulnet_t *net;
    member_cfg_t cfg;
    app_node_t *nodes;
    uint32_t n;
    uint32_t nfailed;
} run_t;

static addr_t node_addr(uint32_t i)
{
    return addr_make(i + 1, 0);
}

/* The run's output files. All are opened before any is truncated, so a run that cannot open
 * one of them leaves every earlier output as it was. */
typedef struct {
    const char *path;
    FILE *f;
    bool created; /* did not exist before this run */
} output_t;

enum { OUT_DBG, OUT_STATS, OUT_MSGCOUNT, NOUTPUTS };

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

static void fail_node(run_t *r, uint32_t i, uint32_t now)
{
    app_node_t *node = &r->nodes[i];
    if (node->failed)
        return;
    node->failed = true;
    r->nfailed++;
    log_event(&r->log, node_addr(i), now, "Node failed at time=%u", (unsigned)now);
    emulnet_set_down(r->net, node_addr(i));
}

static void apply_event(run_t *r, const event_t *ev, uint32_t now)
{
    switch (ev->kind) {
    case EV_FAIL_RANDOM_NODE:
        fail_node(r, rng_below(&r->rng, r->n), now);
        break;
    case EV_FAIL_RANDOM_BLOCK: {
        uint32_t count = ev->count < r->n ? ev->count : r->n;
        uint32_t first = r->n > count ? rng_below(&r->rng, r->n - count) : 0;
        for (uint32_t i = first; i < first + count; i++)
            fail_node(r, i, now);
        break;
    }
    }
}

/* A running member of the group to introduce newcomers, the introducer first; -1 if none. */
static int live_contact(const run_t *r)
{
    for (uint32_t j = 0; j < r->n; j++) {
        const app_node_t *c = &r->nodes[j];
        if (c->started && !c->failed && member_in_group(c->member))
            return (int)j;
    }
    return -1;
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
    uint32_t earlier = r->nodes[i].start_tick * NODES_PER_TICK; /* nodes started before i */
    for (int tries = 0; contact >= 0 && nseeds < JOIN_SEEDS && earlier > 1 && tries < 8; tries++) {
        uint32_t j = 1 + rng_below(&r->rng, earlier - 1);
        if (!r->nodes[j].failed)
            seeds[nseeds++] = node_addr(j);
    }
    r->nodes[i].started = true;
    member_start(r->nodes[i].member, seeds, nseeds, now, now);
}

static void run_node(run_t *r, uint32_t i, uint32_t now)
{
    member_node_t *m = r->nodes[i].member;
    addr_t self = node_addr(i);
    en_msg_t *msg;
    while ((msg = emulnet_recv(r->net, self, now))) {
        member_receive(m, msg->data, msg->len, now);
        free(msg);
    }
    member_tick(m, now);
}

static void run_ticks(run_t *r)
{
    size_t next_event = 0;
    for (uint32_t now = 0; now < r->sc->ticks; now++) {
        emulnet_deliver(r->net, now);
        for (uint32_t i = 0; i < r->n; i++) {
            app_node_t *node = &r->nodes[i];
            /* A node whose failure came before its start still boots and asks to join,
             * then stays down: it joins the group and must be detected like any other. */
            if (now == node->start_tick)
                start_node(r, i, now);
            else if (now > node->start_tick && !node->failed)
                run_node(r, i, now);
        }
        while (next_event < r->sc->nevents && r->sc->events[next_event].tick == now)
            apply_event(r, &r->sc->events[next_event++], now);
    }
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
    }
    log_t *l = &r->log;
    log_stat(l, "testcase=%s", r->opts->testcase ? r->opts->testcase : "-");
    log_stat(l, "seed=%llu", (unsigned long long)r->opts->seed);
    log_stat(l, "nodes=%u ticks=%u failed=%u", (unsigned)r->n, (unsigned)r->sc->ticks,
             (unsigned)r->nfailed);
    log_stat(l, "t_fail=%u t_remove=%u gossip_period=%u fanout=%u max_entries=%u",
             (unsigned)r->cfg.t_fail, (unsigned)r->cfg.t_remove, (unsigned)r->cfg.gossip_period,
             (unsigned)r->cfg.fanout, (unsigned)r->cfg.max_entries);
    log_stat(l, "messages_sent=%llu dropped=%llu undeliverable=%llu delivered=%llu bytes=%llu",
             (unsigned long long)ns.sent, (unsigned long long)ns.dropped,
             (unsigned long long)ns.undeliverable, (unsigned long long)ns.delivered,
             (unsigned long long)ns.bytes);
    log_stat(l, "joins_logged=%llu removals_logged=%llu suspicions_refuted=%llu",
             (unsigned long long)total.joins, (unsigned long long)total.removals,
             (unsigned long long)total.refuted);
    log_stat(l, "malformed_messages=%llu entries_merged=%llu", (unsigned long long)total.malformed,
             (unsigned long long)total.merged);
    if (r->opts->out)
        fprintf(r->opts->out,
                "%u nodes, %u ticks, %u failed; %llu messages (%llu lost); %llu joins and "
                "%llu removals logged\n",
                (unsigned)r->n, (unsigned)r->sc->ticks, (unsigned)r->nfailed,
                (unsigned long long)ns.sent, (unsigned long long)ns.dropped,
                (unsigned long long)total.joins, (unsigned long long)total.removals);
}

static int setup(run_t *r)
{
    rng_seed(&r->rng, r->opts->seed);
    r->n = r->sc->nodes;
    member_default_cfg(&r->cfg, r->n);
    r->net = emulnet_new(&r->rng);
    r->nodes = calloc(r->n, sizeof *r->nodes);
    if (!r->net || !r->nodes)
        return -1;
    for (size_t k = 0; k < r->sc->nloss; k++) {
        const loss_spec_t *w = &r->sc->loss[k];
        if (emulnet_add_loss(r->net, w->from, w->to, w->p) != 0)
            return -1;
    }
    member_env_t env = { r->net, &r->log, &r->rng, &r->cfg };
    for (uint32_t i = 0; i < r->n; i++) {
        r->nodes[i].start_tick = i / NODES_PER_TICK;
        r->nodes[i].member = member_new(node_addr(i), &env);
        if (!r->nodes[i].member || emulnet_attach(r->net, node_addr(i)) != 0)
            return -1;
    }
    return 0;
}

static void teardown(run_t *r)
{
    if (r->nodes)
        for (uint32_t i = 0; i < r->n; i++)
            member_free(r->nodes[i].member);
    free(r->nodes);
    emulnet_free(r->net);
}

int app_run(const scenario_t *sc, const app_opts_t *opts)
{
    run_t r = { .sc = sc, .opts = opts };
    output_t out[NOUTPUTS] = {
        [OUT_DBG] = { .path = opts->dbg_path },
        [OUT_STATS] = { .path = opts->stats_path },
        [OUT_MSGCOUNT] = { .path = opts->msgcount_path },
    };
    if (open_outputs(out) != 0)
        return 1;
    static char dbg_buf[1 << 20];
    if (out[OUT_DBG].f)
        setvbuf(out[OUT_DBG].f, dbg_buf, _IOFBF, sizeof dbg_buf);
    log_init(&r.log, out[OUT_DBG].f, out[OUT_STATS].f);
    int rc = 1;
    if (setup(&r) != 0) {
        fprintf(stderr, "Application: out of memory setting up %u nodes\n", (unsigned)sc->nodes);
    } else {
        run_ticks(&r);
        write_stats(&r);
        if (out[OUT_MSGCOUNT].f)
            emulnet_write_counts(r.net, out[OUT_MSGCOUNT].f, sc->ticks);
        rc = 0;
    }
    teardown(&r);
    if (close_outputs(out) != 0)
        rc = 1;
    return rc;
}
