/* app.c: the tick loop. Node i (id i+1, port 0) starts at tick i/4; node 0 is the introducer.
 * Each tick: deliver due messages, let every running node handle its inbox and tick, then apply
 * the scenario's events for that tick (so a node failed at tick t still ran at t). */
#include "app.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emulnet.h"
#include "log.h"
#include "membership.h"
#include "rng.h"

#define NODES_PER_TICK 4
#define JOIN_SEEDS 4 /* the introducer, then up to three nodes started earlier */

typedef struct {
    member_node_t *member;
    uint32_t start_tick;
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
    FILE *dbg, *stats;
} run_t;

static addr_t node_addr(uint32_t i)
{
    return addr_make(i + 1, 0);
}

static FILE *open_output(const char *path)
{
    if (!path)
        return NULL;
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "Application: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

static int close_output(FILE *f, const char *path)
{
    if (!f)
        return 0;
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "Application: error while writing %s\n", path);
        return -1;
    }
    return 0;
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

/* Node i joins through the introducer, falling back on nodes started before it. */
static void start_node(run_t *r, uint32_t i, uint32_t now)
{
    addr_t seeds[JOIN_SEEDS];
    size_t nseeds = 0;
    seeds[nseeds++] = node_addr(0);
    uint32_t earlier = r->nodes[i].start_tick * NODES_PER_TICK; /* nodes started before i */
    for (size_t k = 1; k < JOIN_SEEDS && i > 0 && earlier > 1; k++)
        seeds[nseeds++] = node_addr(1 + rng_below(&r->rng, earlier - 1));
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
    int rc = 1;
    r.dbg = open_output(opts->dbg_path);
    if (opts->dbg_path && !r.dbg)
        return 1;
    r.stats = open_output(opts->stats_path);
    if (opts->stats_path && !r.stats) {
        fclose(r.dbg);
        return 1;
    }
    static char dbg_buf[1 << 20];
    if (r.dbg)
        setvbuf(r.dbg, dbg_buf, _IOFBF, sizeof dbg_buf);
    log_init(&r.log, r.dbg, r.stats);
    if (setup(&r) != 0) {
        fprintf(stderr, "Application: out of memory setting up %u nodes\n", (unsigned)sc->nodes);
        goto out;
    }
    run_ticks(&r);
    write_stats(&r);
    rc = 0;
    if (opts->msgcount_path) {
        FILE *mc = open_output(opts->msgcount_path);
        if (!mc)
            rc = 1;
        else {
            emulnet_write_counts(r.net, mc, sc->ticks);
            rc |= close_output(mc, opts->msgcount_path) != 0;
        }
    }
out:
    teardown(&r);
    if (close_output(r.dbg, opts->dbg_path) != 0 || close_output(r.stats, opts->stats_path) != 0)
        rc = 1;
    return rc;
}
