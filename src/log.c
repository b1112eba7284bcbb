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

/* Writes the decimal digits of v at p; returns the end. */
static char *put_uint(char *p, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* addr_format's text ("1.0.0.0:0") at p; returns the end. */
static char *put_addr(char *p, addr_t a)
{
    for (int i = 0; i < 4; i++) {
        p = put_uint(p, (a.id >> (8 * i)) & 0xff);
        *p++ = i < 3 ? '.' : ':';
    }
    int16_t port = (int16_t)a.port;
    if (port < 0)
        *p++ = '-';
    return put_uint(p, port < 0 ? (uint32_t)-(int32_t)port : (uint32_t)port);
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
    p = put_addr(p, who);
    p = put_str(p, " [");
    p = put_uint(p, tick);
    p = put_str(p, "] Node ");
    p = put_addr(p, member);
    *p++ = ' ';
    p = put_str(p, what);
    p = put_str(p, " at time ");
    p = put_uint(p, tick);
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
