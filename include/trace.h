/* trace.h: the JSON Lines trace of a run (--trace FILE): one JSON object per line, a "run" line
 * first, then every event the observers see, in the order they happen, then an "end" line.
 * The schema is README "Trace"; TRACE_SCHEMA changes whenever a field changes meaning. */
#ifndef TRACE_H
#define TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "observe.h"

#define TRACE_SCHEMA 1

typedef struct {
    const char *testcase; /* may be NULL */
    uint64_t seed;
    uint32_t nodes;       /* MAX_NNB plus the nodes `add` events may start */
    uint32_t ticks;
    bool kv;              /* the run uses the key-value store */
    uint32_t t_fail, t_remove, probe_timeout;
} trace_run_t;

typedef struct trace trace_t;

/* A trace to be written to out (borrowed; the caller closes it); messages: also one line per
 * message sent, delivered or lost. Writes nothing yet. NULL without memory. */
trace_t *trace_new(FILE *out, const trace_run_t *run, bool messages);
/* Writes the "run" line: once the run is sure to start, before any event. */
void trace_begin(trace_t *t);
/* The observer that writes the events it is handed. */
observer_t trace_observer(trace_t *t);
/* Writes the "end" line (the tick after the last one, and how many lines came before). */
void trace_end(trace_t *t, uint32_t ticks);
void trace_free(trace_t *t);

/* Message type names used in the trace ("gossip", "kv_request", ...); "unknown" otherwise. */
const char *trace_msg_type(int type);

#endif
