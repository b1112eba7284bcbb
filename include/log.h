/* log.h: writers for dbg.log (the graded event log) and stats.log.
 * dbg.log's format is a contract with log checkers: see README "Outputs". */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

typedef struct {
    FILE *dbg;   /* may be NULL: events are then counted but not written */
    FILE *stats; /* may be NULL */
    uint64_t lines;
    /* log_member's cached line parts: " <who> [<tick>] Node " and " at time <tick>\n" */
    char head[48], tail[24];
    uint8_t head_len, tail_len;
    bool parts_ok;
    addr_t parts_who;
    uint32_t parts_tick;
} log_t;

/* Takes the streams (owned by the caller) and writes dbg.log's first line, "131". */
void log_init(log_t *log, FILE *dbg, FILE *stats);

/* One dbg.log entry: " <addr> [<tick>] <message>\n". */
void log_event(log_t *log, addr_t who, uint32_t tick, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The membership line " <who> [<tick>] Node <member> <what> at time <tick>\n" (what: joined
 * or removed), the bulk of dbg.log: the same bytes as log_event, formatted by hand. */
void log_member(log_t *log, addr_t who, uint32_t tick, addr_t member, const char *what);

/* One stats.log line: "#STATSLOG# <message>\n". */
void log_stat(log_t *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
