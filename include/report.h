/* report.h: the HTML report of a run (--report FILE.html): an observer that keeps, while the run
 * goes, what its views need (README, "Report"), then writes one self-contained page: inline CSS
 * and SVG, no script, nothing fetched. */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "observe.h"

typedef struct {
    const char *testcase; /* may be NULL */
    uint64_t seed;
    uint32_t nodes; /* ids 1..nodes */
    uint32_t ticks;
    bool kv;
} report_run_t;

typedef struct report report_t;

/* NULL without memory. Operations on the focus keys get message sequence diagrams. */
report_t *report_new(const report_run_t *run);
/* Operations on this key get a message sequence diagram (the keys of operations with an
 * expectation, and --report-key). -1 without memory. */
int report_focus_key(report_t *r, const char *key);
/* The observer that feeds it (it counts messages, so it asks for them). */
observer_t report_observer(report_t *r);

/* The ring at the end, given by the run: each running node with its ring position and the live
 * keys it holds, then each key with the number of its replicas on the true ring, of the running
 * nodes that hold it, and whether those are exactly its replicas. */
int report_ring_node(report_t *r, addr_t node, uint64_t position, uint32_t keys);
int report_ring_key(report_t *r, const char *key, uint64_t position, size_t replicas,
                    size_t holders, bool holders_are_replicas);

/* Writes the page; -1 if writing failed. */
int report_write(report_t *r, FILE *out);
void report_free(report_t *r);

#endif
