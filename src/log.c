/* log.c: dbg.log and stats.log writers.
 * The first dbg.log line is the hex sum of the ASCII codes of "CS425" (0x131). */
#include "log.h"

#include <stdarg.h>

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

void log_member(log_t *log, addr_t who, uint32_t tick, addr_t member, const char *what)
{
    log->lines++;
    if (!log->dbg)
        return;
    char line[128]; /* two addresses (23), two ticks (10), what (<= 16) and the words */
    char *p = line;
    *p++ = ' ';
    p = addr_put(p, who);
    p = put_str(p, " [");
    p = addr_put_uint(p, tick);
    p = put_str(p, "] Node ");
    p = addr_put(p, member);
    *p++ = ' ';
    p = put_str(p, what);
    p = put_str(p, " at time ");
    p = addr_put_uint(p, tick);
    *p++ = '\n';
    fwrite(line, 1, (size_t)(p - line), log->dbg);
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
