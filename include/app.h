/* app.h: the Application layer: drives simulated time, bootstraps the nodes, carries out
 * the scenario's events, and writes dbg.log, stats.log and msgcount.log. */
#ifndef APP_H
#define APP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "membership.h"
#include "observe.h"
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
 * (sc->fit_to_size), which runs at least until every node has booted, plus t_fail + t_fail / 2
 * + t_remove + 20 ticks of its size: every node pulls a whole list within t_fail + t_remove
 * (sync_period; a joiner after t_fail / 4), which brings what pushed news missed, and a member
 * admitted by the last boot plus t_fail / 2 (news takes that long at most) and heard of no more
 * is removed by its timeouts within t_fail + t_remove where no failure notice arrived. */
uint32_t app_ticks(const scenario_t *sc);

/* The membership settings a run of sc uses: the defaults for its nodes (MAX_NNB plus those
 * added), the file's own, and a probe timeout for the worst loss and delay of its windows
 * (or PROBE_TIMEOUT). */
void app_member_cfg(const scenario_t *sc, member_cfg_t *cfg);

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
/* The tick the run ends before (app_ticks at first), and a new one: the run is cut or made
 * longer (never before the ticks run so far). */
uint32_t app_end(const app_session_t *s);
void app_set_end(app_session_t *s, uint32_t ticks);
/* Adds an observer of the run (see observe.h); -1 if there are too many. */
int app_observe(app_session_t *s, const observer_t *o);
/* Writes out what dbg.log has buffered, for readers of the file during the run. */
void app_flush(app_session_t *s);
/* Goes on with sc in place of the scenario the run has followed: sc must be that scenario with
 * statements added (a console does so by parsing its text again with one more line), so its
 * events up to the tick last run are the same; it is borrowed in its place until app_finish.
 * New windows and nodes are set up; new events of the tick last run are applied now, after
 * the tick's own (as a file that lists them after its other statements would have them), and
 * the later ones in their turn. -1 if sc is not such an extension or memory runs out first
 * (nothing changed: the run follows the old scenario); -2 if memory ran out half way (the run
 * now borrows sc but lacks some of its nodes or windows: finish it at once). */
int app_rebase(app_session_t *s, const scenario_t *sc);
/* Runs the remaining ticks, judges the checks placed after the end, writes stats.log,
 * msgcount.log, the dump, the trace's end and the report, prints the verdicts, and frees the
 * session. Returns as app_run does. */
int app_finish(app_session_t *s);

#endif
