/* log.c: dbg.log and stats.log writers.
 * The first dbg.log line is the hex sum of the ASCII codes of "CS425" (0x131). */
#define _DEFAULT_SOURCE /* fwrite_unlocked: only the main thread writes through the FILE */
#include "log.h"

#include <stdarg.h>
#include <string.h>

static unsigned magic_number(void)
{
    unsigned sum = 0;
    for (const char *p = "CS425"; *p; p++)
        sum += (unsigned char)*p;
    return sum;
}

void log_init(log_t *log, FILE *dbg, FILE *stats)
{
    log->dbg = dbg;
    log->stats = stats;
    log->lines = 0;
    log->parts_ok = false;
    if (dbg)
        fprintf(dbg, "%x\n", magic_number());
}

void log_event(log_t *log, addr_t who, uint32_t tick, const char *fmt, ...)
{
    log->lines++;
    if (!log->dbg)
        return;
    char a[ADDR_STRLEN];
    fprintf(log->dbg, " %s [%u] ", addr_format(who, a), (unsigned)tick);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log->dbg, fmt, ap);
    va_end(ap);
    fputc('\n', log->dbg);
}

static char *put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

/* " <who> [<tick>] Node " and " at time <tick>\n" are rebuilt only when the node or the tick
 * changes: a join reply logs a whole list in one tick, and every node of a tick logs in turn. */
static void member_line_parts(log_t *log, addr_t who, uint32_t tick)
{
    if (!log->parts_ok || tick != log->parts_tick) {
        char *q = put_str(log->tail, " at time ");
        q = addr_put_uint(q, tick);
        *q++ = '\n';
        log->tail_len = (uint8_t)(q - log->tail);
    } else if (addr_eq(who, log->parts_who)) {
        return;
    }
    char *p = log->head;
    *p++ = ' ';
    p = addr_put(p, who);
    p = put_str(p, " [");
    p = addr_put_uint(p, tick);
    p = put_str(p, "] Node ");
    log->head_len = (uint8_t)(p - log->head);
    log->parts_who = who;
    log->parts_tick = tick;
    log->parts_ok = true;
}

void log_member(log_t *log, addr_t who, uint32_t tick, addr_t member, const char *what)
{
    log->lines++;
    if (!log->dbg)
        return;
    member_line_parts(log, who, tick);
    /* fixed-size copies of the parts' whole buffers (a few vector moves), then advance by their
     * lengths: line has room for both buffers, the member and what (<= 16) */
    char line[sizeof log->head + ADDR_STRLEN + 1 + 16 + sizeof log->tail];
    memcpy(line, log->head, sizeof log->head);
    char *p = addr_put(line + log->head_len, member);
    *p++ = ' ';
    p = put_str(p, what);
    memcpy(p, log->tail, sizeof log->tail);
    p += log->tail_len;
    fwrite_unlocked(line, 1, (size_t)(p - line), log->dbg);
}

void log_stat(log_t *log, const char *fmt, ...)
{
    if (!log->stats)
        return;
    fputs("#STATSLOG# ", log->stats);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log->stats, fmt, ap);
    va_end(ap);
    fputc('\n', log->stats);
}
