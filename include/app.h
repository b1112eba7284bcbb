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
 * file cannot be written or memory runs out. The same as app_open, then app_finish. */
int app_run(const scenario_t *sc, const app_opts_t *opts);

/* A run taken a tick at a time (for drivers other than app_run, such as a console). sc and opts
 * are borrowed until app_finish. */
typedef struct app_session app_session_t;
/* Opens the outputs and builds the world before tick 0; NULL after saying why on stderr (every
 * earlier output then left as it was). */
app_session_t *app_open(const scenario_t *sc, const app_opts_t *opts);
/* Runs the next tick; false (and nothing run) once the run's ticks are all run. */
bool app_step(app_session_t *s);
/* Ticks run so far. */
uint32_t app_ticks_run(const app_session_t *s);
/* Runs the remaining ticks, judges the checks placed after the end, writes stats.log,
 * msgcount.log, the dump, the trace's end and the report, prints the verdicts, and frees the
 * session. Returns as app_run does. */
int app_finish(app_session_t *s);

#endif
