/* dbglog.c: the shared dbg.log reader (dbglog.h). One getline buffer per reader; a line is
 * framed (" <addr> [<tick>] "), then its message is classified by its first words and parsed
 * completely; only a message of no known form is searched for the reserved phrases, so the
 * million join lines of a 1,000-node run cost one prefix test each. Keys and values are copied,
 * NUL-terminated, into a second buffer. */

#include "dbglog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static const char *const op_lower[DBGLOG_NOPS] = { "create", "read", "update", "delete" };
static const char *const op_upper[DBGLOG_NOPS] = { "CREATE", "READ", "UPDATE", "DELETE" };

/* ---------------------------------------------------------------- small helpers */

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive search for a lower-case needle. */
static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay != '\0'; hay++) {
        size_t i = 0;
        while (i < n && lower((unsigned char)hay[i]) == needle[i])
            i++;
        if (i == n)
            return true;
    }
    return false;
}

/* The first phrase the format reserves that the line uses, or NULL. */
static const char *reserved_phrase(const char *line)
{
    static const char *const plain[] = { "joined", "removed", "node failed at time",
                                         "node restarted at time", "operation" };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (contains_ci(line, plain[i]))
            return plain[i];
    if (!contains_ci(line, " success") && !contains_ci(line, " fail"))
        return NULL;
    static const char *const results[] = {
        "create success", "create fail", "read success",   "read fail",
        "update success", "update fail", "delete success", "delete fail",
    };
    for (size_t i = 0; i < sizeof results / sizeof results[0]; i++)
        if (contains_ci(line, results[i]))
            return results[i];
    return NULL;
}

/* ---------------------------------------------------------------- shared parsers */

bool dbglog_parse_num(const char **p, int max_digits, unsigned long long max, bool canonical,
                      unsigned long long *out)
{
    const char *s = *p;
    unsigned long long v = 0;
    int digits = 0;
    if (canonical && s[0] == '0' && s[1] >= '0' && s[1] <= '9')
        return false;
    while (*s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s - '0');
        if (++digits > max_digits || v > (max - d) / 10) /* range checked before it can wrap */
            return false;
        v = v * 10 + d;
        s++;
    }
    if (digits == 0)
        return false;
    *out = v;
    *p = s;
    return true;
}

bool dbglog_parse_addr(const char **p, bool canonical, struct dbglog_addr *out)
{
    const char *s = *p;
    unsigned long long part;
    uint32_t id = 0;
    for (int i = 0; i < 4; i++) {
        if (!dbglog_parse_num(&s, 3, 255, canonical, &part) || *s != (i < 3 ? '.' : ':'))
            return false;
        id |= (uint32_t)part << (8 * i);
        s++;
    }
    if (!dbglog_parse_num(&s, 5, 65535, canonical, &part))
        return false;
    if (out != NULL) {
        out->id = id;
        out->port = (uint16_t)part;
    }
    *p = s;
    return true;
}

const char *dbglog_addr_text(struct dbglog_addr a, char buf[DBGLOG_ADDR_LEN])
{
    snprintf(buf, DBGLOG_ADDR_LEN, "%u.%u.%u.%u:%u", (unsigned)(a.id & 0xff),
             (unsigned)(a.id >> 8 & 0xff), (unsigned)(a.id >> 16 & 0xff),
             (unsigned)(a.id >> 24), (unsigned)a.port);
    return buf;
}

uint64_t dbglog_addr_order(struct dbglog_addr a)
{
    return (uint64_t)a.id << 16 | a.port;
}

const char *dbglog_op_name(enum dbglog_op op)
{
    return op < DBGLOG_NOPS ? op_lower[op] : "?";
}

/* ---------------------------------------------------------------- messages */

/* Parsing state of one line: where keys and values go, and room for a formatted error. */
struct parse {
    struct dbglog *r;
    size_t used; /* bytes of r->fields in use */
    char why[200];
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static const char *fail(struct parse *ps, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->why, sizeof ps->why, fmt, ap);
    va_end(ap);
    return ps->why;
}

static bool token_byte(unsigned char c)
{
    return c > ' ' && c != 0x7f;
}

/* Copies len bytes into the fields buffer, NUL-terminated; returns the copy's offset. */
static size_t keep(struct parse *ps, const char *s, size_t len)
{
    struct dbglog *r = ps->r;
    if (ps->used + len + 1 > r->fieldcap) {
        size_t cap = r->fieldcap ? r->fieldcap : 256;
        while (cap < ps->used + len + 1)
            cap *= 2;
        char *p = realloc(r->fields, cap);
        if (p == NULL) {
            fprintf(stderr, "out of memory reading %s\n", r->path);
            exit(2); /* the tools' status for an input they cannot read */
        }
        r->fields = p;
        r->fieldcap = cap;
    }
    memcpy(r->fields + ps->used, s, len);
    r->fields[ps->used + len] = '\0';
    size_t at = ps->used;
    ps->used += len + 1;
    return at;
}

/* A key or value up to a blank or the end; *at gets its offset in the fields buffer. */
static const char *parse_token(struct parse *ps, const char **p, const char *what, size_t *at)
{
    const char *s = *p;
    while (token_byte((unsigned char)*s))
        s++;
    if (*s != '\0' && *s != ' ')
        return fail(ps, "control character in the %s", what);
    if (s == *p)
        return fail(ps, "empty %s", what);
    *at = keep(ps, *p, (size_t)(s - *p));
    *p = s;
    return NULL;
}

static const char *parse_end(struct parse *ps, const char *p, const char *after)
{
    return *skip_blanks(p) == '\0' ? NULL : fail(ps, "unexpected text after the %s", after);
}

static const char *parse_time(struct parse *ps, const char **p, const char *what,
                              uint64_t *out)
{
    unsigned long long t;
    if (!dbglog_parse_num(p, 18, DBGLOG_MAX_TICK, false, &t))
        return fail(ps, "unparsable or out-of-range time in the %s (at most 18 digits)", what);
    *out = t;
    return NULL;
}

/* After "Node failed at time" or "Node restarted at time": "=<t>". */
static const char *parse_event(struct parse *ps, const char *p, const char *what,
                               struct dbglog_line *l)
{
    if (*p != '=')
        return fail(ps, "expected '=<t>' after '%s at time'", what);
    p++;
    const char *err = parse_time(ps, &p, "message", &l->time);
    return err ? err : parse_end(ps, p, "time");
}

/* "Node <addr> joined at time <t>" or "Node <addr> removed at time <t>"; p is after "Node ".
 * Returns NULL with kind OTHER when the words are not those of a membership line. */
static const char *parse_membership(struct parse *ps, const char *p, struct dbglog_line *l)
{
    if (!dbglog_parse_addr(&p, false, &l->member))
        return NULL;
    if (starts_with(p, " joined at time ")) {
        l->kind = DBGLOG_JOIN;
        p += strlen(" joined at time ");
    } else if (starts_with(p, " removed at time ")) {
        l->kind = DBGLOG_REMOVAL;
        p += strlen(" removed at time ");
    } else {
        return NULL;
    }
    const char *err = parse_time(ps, &p, "message", &l->time);
    return err ? err : parse_end(ps, p, "time");
}

/* "<OP> OPERATION KEY: <k>[ VALUE: <v>] at time: <t>"; p is after "KEY: ". */
static const char *parse_operation(struct parse *ps, const char *p, struct dbglog_line *l)
{
    size_t key, value = SIZE_MAX;
    const char *err = parse_token(ps, &p, "key", &key);
    if (err == NULL && starts_with(p, " VALUE: ")) {
        p += strlen(" VALUE: ");
        err = parse_token(ps, &p, "value", &value);
    }
    if (err != NULL)
        return err;
    if (!starts_with(p, " at time: "))
        return "expected ' at time: <t>' after the key or value of an OPERATION line";
    p += strlen(" at time: ");
    if ((err = parse_time(ps, &p, "OPERATION line", &l->time)) != NULL)
        return err;
    l->key = ps->r->fields + key;
    l->value = value == SIZE_MAX ? NULL : ps->r->fields + value;
    return parse_end(ps, p, "time");
}

/* After "key=": "<k>[, value=<v>]". A key may hold commas; it ends at the first blank, which
 * must be the end of the line or follow a comma and begin " value=". */
static const char *parse_key_value(struct parse *ps, const char *p, struct dbglog_line *l)
{
    const char *s = p;
    while (token_byte((unsigned char)*s))
        s++;
    if (*s != '\0' && *s != ' ')
        return "control character in the key";
    size_t keylen = (size_t)(s - p), key, value = SIZE_MAX;
    bool has_value = false;
    if (*s == ' ' && *skip_blanks(s) != '\0') {
        if (keylen == 0 || p[keylen - 1] != ',' || !starts_with(s, " value="))
            return "expected ', value=<v>' or the end of the line after the key";
        keylen--;
        has_value = true;
    }
    if (keylen == 0)
        return "empty key";
    key = keep(ps, p, keylen);
    if (has_value) {
        s += strlen(" value=");
        const char *err = parse_token(ps, &s, "value", &value);
        if (err != NULL)
            return err;
    }
    l->key = ps->r->fields + key;
    l->value = has_value ? ps->r->fields + value : NULL;
    return parse_end(ps, s, has_value ? "value" : "key");
}

/* "<role>: <op> <success|fail> at time <t>, transID=<id>, key=<k>[, value=<v>]"; p is after
 * the role. */
static const char *parse_result(struct parse *ps, const char *p, struct dbglog_line *l)
{
    int op = 0;
    while (op < DBGLOG_NOPS && !(starts_with(p, op_lower[op]) && p[strlen(op_lower[op])] == ' '))
        op++;
    if (op == DBGLOG_NOPS)
        return "expected create, read, update or delete after the role";
    l->op = (enum dbglog_op)op;
    p += strlen(op_lower[op]) + 1;
    if (starts_with(p, "success")) {
        l->success = true;
        p += strlen("success");
    } else if (starts_with(p, "fail")) {
        p += strlen("fail");
    } else {
        return "expected success or fail after the operation";
    }
    if (!starts_with(p, " at time "))
        return "expected ' at time <t>' after the outcome";
    p += strlen(" at time ");
    const char *err = parse_time(ps, &p, "result line", &l->time);
    if (err != NULL)
        return err;
    if (!starts_with(p, ", transID="))
        return "expected ', transID=<id>' after the time";
    p += strlen(", transID=");
    unsigned long long id;
    if (!dbglog_parse_num(&p, 20, UINT64_MAX, false, &id))
        return "unparsable or out-of-range transID";
    l->transid = id;
    if (!starts_with(p, ", key="))
        return "expected ', key=<k>' after the transID";
    return parse_key_value(ps, p + strlen(", key="), l);
}

/* Classifies a framed message and parses it. */
static const char *parse_message(struct parse *ps, const char *msg, struct dbglog_line *l)
{
    if (starts_with(msg, "Node ")) {
        const char *p = msg + strlen("Node ");
        if (starts_with(p, "failed at time")) {
            l->kind = DBGLOG_FAILURE;
            return parse_event(ps, p + strlen("failed at time"), "Node failed", l);
        }
        if (starts_with(p, "restarted at time")) {
            l->kind = DBGLOG_RESTART;
            return parse_event(ps, p + strlen("restarted at time"), "Node restarted", l);
        }
        const char *err = parse_membership(ps, p, l);
        if (err != NULL || l->kind != DBGLOG_OTHER)
            return err;
    } else if (starts_with(msg, "coordinator: ")) {
        l->kind = DBGLOG_RESULT;
        l->coordinator = true;
        return parse_result(ps, msg + strlen("coordinator: "), l);
    } else if (starts_with(msg, "server: ")) {
        l->kind = DBGLOG_RESULT;
        return parse_result(ps, msg + strlen("server: "), l);
    } else {
        for (int op = 0; op < DBGLOG_NOPS; op++) {
            const char *p = msg + strlen(op_upper[op]);
            if (starts_with(msg, op_upper[op]) && starts_with(p, " OPERATION KEY: ")) {
                l->kind = DBGLOG_OPERATION;
                l->op = (enum dbglog_op)op;
                return parse_operation(ps, p + strlen(" OPERATION KEY: "), l);
            }
        }
    }
    const char *phrase = reserved_phrase(msg);
    if (phrase != NULL)
        return fail(ps, "the message uses '%s', which the log format reserves, but is not a "
                        "membership or key-value line of the format", phrase);
    return NULL;
}

/* " <addr> [<tick>] ": sets logger and tick, points *msg at what follows. */
static const char *parse_frame(const char *line, struct dbglog_line *l, const char **msg)
{
    const char *p = line;
    unsigned long long tick;
    if (*p++ != ' ')
        return "line does not start with a single space (expected ' <addr> [<tick>] <message>')";
    if (!dbglog_parse_addr(&p, false, &l->logger))
        return "unparsable logger address (expected ' <addr> [<tick>] <message>')";
    if (p[0] != ' ' || p[1] != '[')
        return "expected ' [<tick>]' after the logger address";
    p += 2;
    if (!dbglog_parse_num(&p, 18, DBGLOG_MAX_TICK, false, &tick) || p[0] != ']')
        return "unparsable or out-of-range [tick] (at most 18 digits)";
    if (p[1] != ' ')
        return "expected one space and the message after the [tick]";
    l->tick = tick;
    *msg = p + 2;
    return NULL;
}

/* ---------------------------------------------------------------- the reader */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void set_error(struct dbglog *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
}

/* Reads one line into r->buf without its ending, NUL bytes turned into \x01 so that a NUL is
 * reported as a control character rather than silently cutting the line. 1, 0 at the end, -1
 * on a read error (r->error set). */
static int read_line(struct dbglog *r)
{
    errno = 0;
    ssize_t len = getline(&r->buf, &r->bufcap, r->f);
    if (len == -1) {
        if (ferror(r->f)) {
            set_error(r, "%s:%lu: read error: %s", r->path, r->lineno + 1,
                      strerror(errno ? errno : EIO));
            return -1;
        }
        return 0;
    }
    r->lineno++;
    while (len > 0 && (r->buf[len - 1] == '\n' || r->buf[len - 1] == '\r'))
        r->buf[--len] = '\0';
    for (ssize_t i = 0; i < len; i++)
        if (r->buf[i] == '\0')
            r->buf[i] = '\x01';
    return 1;
}

int dbglog_open(const char *path, struct dbglog *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->f = fopen(path, "r");
    if (r->f == NULL) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    int got = read_line(r);
    if (got == 1 && starts_with(r->buf, DBGLOG_MAGIC) &&
        *skip_blanks(r->buf + strlen(DBGLOG_MAGIC)) == '\0')
        return 0;
    if (got == 1)
        set_error(r, "%s:1: missing header line '" DBGLOG_MAGIC "'", path);
    else if (got == 0)
        set_error(r, "%s:1: empty file (expected header line '" DBGLOG_MAGIC "')", path);
    snprintf(err, errlen, "%s", r->error);
    dbglog_close(r);
    return -1;
}

int dbglog_next(struct dbglog *r, struct dbglog_line *l)
{
    int got = read_line(r);
    if (got != 1)
        return got;
    memset(l, 0, sizeof *l);
    l->kind = DBGLOG_OTHER;
    l->lineno = r->lineno;
    l->text = r->buf;
    struct parse ps = { .r = r, .used = 0 };
    const char *msg = NULL;
    const char *err = parse_frame(r->buf, l, &msg);
    if (err == NULL) {
        l->message = msg;
        err = parse_message(&ps, msg, l);
    }
    if (err != NULL) {
        set_error(r, "%s:%lu: %s", r->path, r->lineno, err);
        return -1;
    }
    return 1;
}

const char *dbglog_error(const struct dbglog *r)
{
    return r->error;
}

void dbglog_close(struct dbglog *r)
{
    if (r->f != NULL)
        fclose(r->f);
    free(r->buf);
    free(r->fields);
    r->f = NULL;
    r->buf = r->fields = NULL;
    r->bufcap = r->fieldcap = 0;
}
