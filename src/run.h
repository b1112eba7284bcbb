/* run.h: the state of one run, shared by the Application's files (app.c, the tick loop and its
 * events; console.c, the interactive driver). Not a public interface: include/app.h is. The
 * world (nodes, network, ring), the expectations and the workloads live side by side in run_t;
 * a driver reads the world through it and changes it only through app.h. */
#ifndef RUN_H
#define RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "addrbook.h"
#include "app.h"
#include "emulnet.h"
#include "kvnode.h"
#include "log.h"
#include "membership.h"
#include "observe.h"
#include "report.h"
#include "ring.h"
#include "rng.h"
#include "scenario.h"
#include "store.h"
#include "trace.h"

#define RUN_KEY_LEN 5

typedef struct {
    bool decided;
    bool pass;
    uint32_t tick; /* when it was decided */
    char detail[160];
} verdict_t;

typedef struct {
    size_t event;    /* its event in sc->events (an index: a console replaces sc) */
    uint8_t *exists; /* per key: a create was issued and no delete since */
    uint64_t ops, ok;
    uint32_t seq;
} workload_t;

typedef struct {
    char key[RUN_KEY_LEN + 1];
    char value[16];
    uint32_t drawn; /* position in the order keys were drawn and created */
} test_key_t;

typedef struct {
    member_node_t *member;
    kv_node_t *kv; /* NULL unless the scenario uses the key-value store */
    uint32_t start_tick;
    bool started;
    bool failed;
    bool joining_to_fail; /* failed before it booted or was answered: it runs until it has
                           * joined, then stops */
    bool paused;          /* frozen after tick paused_at; it runs again at resume_at */
    uint32_t paused_at, resume_at;
} app_node_t;

typedef struct {
    const scenario_t *sc;
    const app_opts_t *opts;
    uint32_t ticks; /* app_ticks(sc) */
    rng_t rng;
    log_t log;
    emulnet_t *net;
    addrbook_t *book; /* shared by every node's membership list */
    member_cfg_t cfg;
    app_node_t *nodes;
    uint32_t n;
    uint32_t nfailed;
    uint64_t malformed; /* messages of no known type */
    /* The key-value side, when the scenario has KV events. */
    kv_cfg_t kv_cfg;
    ring_poscache_t *positions;
    uint32_t next_txid;
    test_key_t *keys; /* inserted keys in byte order */
    uint32_t nkeys;
    /* Expectations: one verdict per event; the operation behind each transaction id. */
    verdict_t *verdicts; /* indexed like sc->events */
    int32_t *op_event;   /* op_event[txid]: the event that issued it, -1 if none */
    uint32_t op_cap;
    bool kv;             /* the scenario uses the key-value store */
    uint32_t added;      /* nodes started by `add` events so far */
    uint32_t restarts;
    store_t *acked;      /* newest acknowledged write of every key: for "no lost writes" */
    workload_t *work;    /* workloads, active and finished */
    size_t nwork;
    uint32_t *named;     /* per node name of the scenario: node index + 1 once bound, else 0 */
    uint32_t now;        /* the tick being run */
    bool work_due;       /* the workloads of tick `now` have not run yet (they run first thing
                          * next tick, so a driver can add events to `now` before them) */
    size_t next_event;   /* the first event of sc not applied yet */
    /* Random failures choose their nodes from fail_key, drawn first thing in the run, and the
     * tick and rank of the failure within its tick (fail_tick, fail_seq): see fail_choice. */
    uint64_t fail_key;
    uint32_t fail_tick, fail_seq;
    obs_bus_t bus;       /* observers of the run: the trace and the report, when asked for */
    trace_t *trace;
    report_t *report;
} run_t;

/* Node i's address: id i + 1, port 0 (node 1, 1.0.0.0:0, is the introducer). */
static inline addr_t node_addr(uint32_t i)
{
    return addr_make(i + 1, 0);
}

/* The run behind a session (valid until app_finish). */
run_t *app_run_state(app_session_t *s);
/* Started, not failed and not paused: a process that runs. */
bool run_is_running(const run_t *r, uint32_t i);
/* Running and in the group: it can coordinate an operation or answer a join. */
bool run_is_live(const run_t *r, uint32_t i);
/* The key's replicas on the ring of every running node (the ground truth); returns how many. */
size_t run_true_replicas(run_t *r, const char *key, addr_t out[RING_REPLICAS]);
/* Whether an event carries an expectation, and its text as the file would say it. */
bool run_is_expectation(const event_t *e);
void run_describe(const scenario_t *sc, const event_t *ev, char *out, size_t cap);
/* "no lost writes" judged on the state now, without deciding anything: 0, or -1 with the
 * first key that is wrong and how many are, in why. */
int run_check_lost_writes(run_t *r, char *why, size_t cap);
/* The final-state dump (README, "Final-state dump") of the state now, as of tick `tick`. */
void run_write_state(run_t *r, FILE *f, uint32_t tick);

#endif
