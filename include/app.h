/* app.h: the Application layer: drives simulated time, bootstraps the nodes, carries out
 * the scenario's events, and writes dbg.log, stats.log and msgcount.log. */
#ifndef APP_H
#define APP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

#define APP_VERSION "0.1.0"

typedef struct {
    const char *testcase; /* shown in stats.log */
    uint64_t seed;
    const char *dbg_path;      /* NULL: not written */
    const char *stats_path;    /* NULL: not written */
    const char *msgcount_path; /* NULL: not written */
    const char *state_path;    /* final-state dump; NULL: not written */
    const char *trace_path;    /* JSON Lines trace (README, "Trace"); NULL: not written */
    bool trace_messages;       /* the trace also has one line per message */
    const char *report_path;   /* HTML report (README, "Report"); NULL: not written */
    const char *report_key;    /* its message diagrams also cover this key; may be NULL */
    FILE *out;                 /* run summary for people; NULL for none */
} app_opts_t;

#define APP_EXPECTATIONS_FAILED 3

/* The ticks the run of sc lasts: sc->ticks, except for a classic membership file without TICKS
 * (sc->fit_to_size), which runs at least until every node has booted, plus twice the failure
 * timeout and the removal timeout of its size, plus 20 ticks: time for the last heartbeat of a
 * failed node to reach everyone (bounded by t_fail, or live members would be suspected), then
 * for the timeouts to remove it where no failure notice arrived. */
uint32_t app_ticks(const scenario_t *sc);

/* Runs the scenario to its last tick and prints a PASS or FAIL line per expectation. Returns 0,
 * APP_EXPECTATIONS_FAILED if an expectation failed, or 1 with a message on stderr if an output
 * file cannot be written or memory runs out. */
int app_run(const scenario_t *sc, const app_opts_t *opts);

#endif
