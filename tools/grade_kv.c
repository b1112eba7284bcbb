/* grade_kv.c: grader for the key-value part of classic CRUD runs, one dbg.log each: the
 * 90-point create/delete/read/update rubric. dbg.log is read through dbglog.c, the checkers' one
 * reader, which checks every line; the OPERATION and result lines are kept. */

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbglog.h"

#define PROG "grade-kv"
#define INVALID_KEY "invalidKey"
#define MAX_REASONS 5  /* reasons printed under a lost check */
#define MAX_LINES 5    /* line numbers quoted in one reason */
#define REASON_LEN 256
#define SHOW_LEN 48    /* room for a quoted key or value: 40 bytes, "..." and the NUL */
#define SHOW_MAX 40
#define MAX_CHECKS 6
#define STEPS 5        /* scheduled operations on the real key in the read and update tests */

enum { EXIT_FULL = 0, EXIT_LOST = 1, EXIT_ERROR = 2 };

enum role { ROLE_COORDINATOR, ROLE_SERVER };

static const char *const op_upper[DBGLOG_NOPS] = { "CREATE", "READ", "UPDATE", "DELETE" };
static const int test_points[DBGLOG_NOPS] = { 15, 30, 30, 15 };

#if defined(__GNUC__)
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PRINTF_LIKE(fmt, args)
#endif

/* ---------------------------------------------------------------- memory */

static void *xrealloc(void *ptr, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        fprintf(stderr, PROG ": out of memory\n");
        exit(EXIT_ERROR);
    }
    void *p = realloc(ptr, count * size);
    if (p == NULL && count * size != 0) {
        fprintf(stderr, PROG ": out of memory\n");
        exit(EXIT_ERROR);
    }
    return p;
}

static char *xstrndup(const char *s, size_t len)
{
    char *copy = xrealloc(NULL, len + 1, 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

/* -------------------------------------------------------------- run model */

/* One OPERATION line or one result line of the log. */
struct kvline {
    bool is_op;        /* an OPERATION line, else a result line */
    enum dbglog_op op;
    bool success;      /* result lines: success or fail */
    enum role role;    /* result lines */
    char *key;
    char *value;       /* NULL when the line has no VALUE / value part */
    long long tick;    /* the bracketed [tick] of the line */
    unsigned long line;
};

struct run {
    const char *path;
    struct kvline *lines;
    size_t n, cap;
    enum dbglog_op test;
};

static void kvline_free(struct kvline *e)
{
    free(e->key);
    free(e->value);
    e->key = e->value = NULL;
}

static void run_free(struct run *r)
{
    for (size_t i = 0; i < r->n; i++)
        kvline_free(&r->lines[i]);
    free(r->lines);
    memset(r, 0, sizeof *r);
}

static void run_add(struct run *r, const struct kvline *e)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->lines = xrealloc(r->lines, r->cap, sizeof *r->lines);
    }
    r->lines[r->n++] = *e;
}

/* ------------------------------------------------------------ log loading */

/* Keeps an OPERATION or result line: the key and value are copied out of the reader. */
static void keep_line(struct run *r, const struct dbglog_line *l)
{
    struct kvline e;
    memset(&e, 0, sizeof e);
    e.is_op = l->kind == DBGLOG_OPERATION;
    e.op = l->op;
    e.success = l->success;
    e.role = l->coordinator ? ROLE_COORDINATOR : ROLE_SERVER;
    e.key = xstrndup(l->key, strlen(l->key));
    e.value = l->value ? xstrndup(l->value, strlen(l->value)) : NULL;
    e.tick = (long long)l->tick; /* at most 18 digits */
    e.line = l->lineno;
    run_add(r, &e);
}

/* The test a run belongs to, told by its OPERATION lines; false if it has none. */
static bool detect_test(struct run *r)
{
    bool seen[DBGLOG_NOPS] = { false };
    for (size_t i = 0; i < r->n; i++)
        if (r->lines[i].is_op)
            seen[r->lines[i].op] = true;
    static const enum dbglog_op order[DBGLOG_NOPS] = { DBGLOG_DELETE, DBGLOG_READ,
                                                       DBGLOG_UPDATE, DBGLOG_CREATE };
    for (int i = 0; i < DBGLOG_NOPS; i++) {
        if (seen[order[i]]) {
            r->test = order[i];
            return true;
        }
    }
    return false;
}

/* Reads the whole log into r; returns 0, or EXIT_ERROR after printing why. */
static int load_log(struct run *r)
{
    struct dbglog log;
    char err[DBGLOG_ERR_LEN];
    if (dbglog_open(r->path, 0, &log, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return EXIT_ERROR;
    }
    dbglog_note_headerless(&log, PROG);
    dbglog_only(&log, DBGLOG_BIT(DBGLOG_OPERATION) | DBGLOG_BIT(DBGLOG_RESULT));
    struct dbglog_line l;
    int got;
    while ((got = dbglog_next(&log, &l)) == 1)
        keep_line(r, &l);
    if (got < 0)
        fprintf(stderr, PROG ": %s\n", dbglog_error(&log));
    dbglog_close(&log);
    if (got < 0)
        return EXIT_ERROR;
    if (!detect_test(r)) {
        fprintf(stderr,
                PROG ": %s: no OPERATION line, so it is no create, read, update or delete run\n",
                r->path);
        return EXIT_ERROR;
    }
    return 0;
}

/* ------------------------------------------------------------ reasons */

struct reasons {
    char text[MAX_REASONS][REASON_LEN];
    size_t shown;
    unsigned long long total; /* problems found, shown or not */
};

struct check {
    const char *name;
    int max, points;
    struct reasons why;
};

/* What one file's grading produced. */
struct report {
    char summary[REASON_LEN];
    struct reasons notes;      /* why the operations could not be graded, if they could not */
    struct check checks[MAX_CHECKS];
    int nchecks;
};

/* Counts one problem and stores its text if there is room. */
PRINTF_LIKE(2, 3) static void reason_add(struct reasons *why, const char *fmt, ...)
{
    why->total++;
    if (why->shown == MAX_REASONS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->text[why->shown++], REASON_LEN, fmt, ap);
    va_end(ap);
}

/* A key or value fit for a reason: at most SHOW_MAX bytes, odd bytes as '?'. */
static const char *show(const char *s, char buf[SHOW_LEN])
{
    if (s == NULL)
        return "(none)";
    size_t i = 0;
    for (; s[i] != '\0' && i < SHOW_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = c < ' ' || c >= 0x7f ? '?' : (char)c;
    }
    buf[i] = '\0';
    if (s[i] != '\0')
        strcpy(buf + i, "...");
    return buf;
}

static const char *plural(unsigned long long n)
{
    return n == 1 ? "" : "s";
}

/* Line numbers quoted in a reason: the first MAX_LINES, and how many there were. */
struct linelist {
    unsigned long line[MAX_LINES];
    size_t n;
    unsigned long total;
};

static void linelist_add(struct linelist *l, unsigned long line)
{
    if (l->n < MAX_LINES)
        l->line[l->n++] = line;
    l->total++;
}

/* " (line 7)", " (lines 7, 9, ...)" or "" into buf. */
static const char *format_lines(const struct linelist *l, char *buf, size_t len)
{
    buf[0] = '\0';
    if (l->n == 0)
        return buf;
    size_t used = (size_t)snprintf(buf, len, " (line%s", l->total == 1 ? "" : "s");
    for (size_t i = 0; i < l->n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s %lu", i ? "," : "", l->line[i]);
    if (used < len)
        snprintf(buf + used, len - used, "%s)", l->total > l->n ? ", ..." : "");
    return buf;
}

static struct check *add_check(struct report *rep, const char *name, int max)
{
    struct check *c = &rep->checks[rep->nchecks++];
    c->name = name;
    c->max = max;
    return c;
}

/* ------------------------------------------------------------ key table */

/* A key named by OPERATION lines, and the result lines found for it. */
struct keyinfo {
    const struct kvline *op;   /* its first OPERATION line */
    struct linelist ops;       /* all its OPERATION lines */
    unsigned long server, coordinator;
    struct linelist found;     /* the matching result lines */
};

/* Open-addressing hash from key text to an index into items (slots hold index + 1). */
struct keymap {
    size_t *slots;
    size_t cap;
    struct keyinfo *items;
    size_t n, itemcap;
};

static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

static size_t *keymap_slot(const struct keymap *m, const char *key)
{
    size_t mask = m->cap - 1;
    size_t i = hash_str(key) & mask;
    while (m->slots[i] != 0 && strcmp(m->items[m->slots[i] - 1].op->key, key) != 0)
        i = (i + 1) & mask;
    return &m->slots[i];
}

static void keymap_grow(struct keymap *m)
{
    struct keymap bigger = *m;
    bigger.cap = m->cap ? m->cap * 2 : 256;
    bigger.slots = xrealloc(NULL, bigger.cap, sizeof *bigger.slots);
    memset(bigger.slots, 0, bigger.cap * sizeof *bigger.slots);
    for (size_t i = 0; i < m->n; i++)
        *keymap_slot(&bigger, m->items[i].op->key) = i + 1;
    free(m->slots);
    *m = bigger;
}

static struct keyinfo *keymap_find(const struct keymap *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    size_t slot = *keymap_slot(m, key);
    return slot ? &m->items[slot - 1] : NULL;
}

/* The entry for op's key, created on first sight; records op among its OPERATION lines. */
static struct keyinfo *keymap_add(struct keymap *m, const struct kvline *op)
{
    if ((m->n + 1) * 10 > m->cap * 7)
        keymap_grow(m);
    size_t *slot = keymap_slot(m, op->key);
    if (*slot == 0) {
        if (m->n == m->itemcap) {
            m->itemcap = m->itemcap ? m->itemcap * 2 : 128;
            m->items = xrealloc(m->items, m->itemcap, sizeof *m->items);
        }
        memset(&m->items[m->n], 0, sizeof m->items[m->n]);
        m->items[m->n].op = op;
        *slot = ++m->n;
    }
    struct keyinfo *k = &m->items[*slot - 1];
    linelist_add(&k->ops, op->line);
    return k;
}

static void keymap_free(struct keymap *m)
{
    free(m->slots);
    free(m->items);
}

static bool same_value(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static void count_role(struct keyinfo *k, const struct kvline *e)
{
    if (e->role == ROLE_SERVER)
        k->server++;
    else
        k->coordinator++;
    linelist_add(&k->found, e->line);
}

/* Every key, named by one OPERATION line with a VALUE part, must have exactly 3 server and
 * 1 coordinator success lines. */
static void check_replicas(const struct keymap *m, enum dbglog_op op, struct check *c)
{
    char k[SHOW_LEN], lines[REASON_LEN];
    for (size_t i = 0; i < m->n; i++) {
        const struct keyinfo *ki = &m->items[i];
        const char *key = show(ki->op->key, k);
        if (ki->ops.total > 1)
            reason_add(&c->why, "key %s has %lu %s OPERATION lines%s, wanted one", key,
                       ki->ops.total, op_upper[op], format_lines(&ki->ops, lines, sizeof lines));
        else if (ki->op->value == NULL)
            reason_add(&c->why, "%s OPERATION for key %s has no VALUE part (line %lu)",
                       op_upper[op], key, ki->op->line);
        else if (ki->server != 3 || ki->coordinator != 1)
            reason_add(&c->why,
                       "key %s (line %lu): %lu server + %lu coordinator %s success lines, "
                       "wanted 3 + 1%s",
                       key, ki->op->line, ki->server, ki->coordinator, dbglog_op_name(op),
                       format_lines(&ki->found, lines, sizeof lines));
    }
}

/* ------------------------------------------------------------ create test */

/* A create result line that matches no created key and value. */
static void note_stray_create(const struct keymap *m, const struct kvline *e, struct check *c)
{
    char k[SHOW_LEN], v[SHOW_LEN], w[SHOW_LEN];
    const struct keyinfo *ki = keymap_find(m, e->key);
    const char *role = e->role == ROLE_SERVER ? "server" : "coordinator";
    if (!e->success)
        reason_add(&c->why, "%s create fail line for key %s (line %lu)", role, show(e->key, k),
                   e->line);
    else if (ki == NULL)
        reason_add(&c->why, "%s create success line for key %s, which was never created (line %lu)",
                   role, show(e->key, k), e->line);
    else
        reason_add(&c->why,
                   "%s create success line for key %s with value %s, created with value %s "
                   "(line %lu)",
                   role, show(e->key, k), show(e->value, v), show(ki->op->value, w), e->line);
}

static void grade_create(const struct run *r, struct report *rep)
{
    struct check *replicas = add_check(rep, "create replicas", 10);
    struct check *others = add_check(rep, "create no others", 5);
    struct keymap m = { 0 };
    for (size_t i = 0; i < r->n; i++)
        if (r->lines[i].is_op && r->lines[i].op == DBGLOG_CREATE)
            keymap_add(&m, &r->lines[i]);
    for (size_t i = 0; i < r->n; i++) {
        const struct kvline *e = &r->lines[i];
        if (e->is_op || e->op != DBGLOG_CREATE)
            continue;
        struct keyinfo *ki = e->success ? keymap_find(&m, e->key) : NULL;
        if (ki != NULL && same_value(e->value, ki->op->value))
            count_role(ki, e);
        else
            note_stray_create(&m, e, others);
    }
    check_replicas(&m, DBGLOG_CREATE, replicas);
    snprintf(rep->summary, sizeof rep->summary, "create test, %zu key%s created", m.n,
             plural(m.n));
    keymap_free(&m);
}

/* ------------------------------------------------------------ delete test */

static void grade_delete_invalid(const struct run *r, struct check *c)
{
    struct linelist fails = { { 0 }, 0, 0 };
    bool requested = false;
    for (size_t i = 0; i < r->n; i++) {
        const struct kvline *e = &r->lines[i];
        if (e->op != DBGLOG_DELETE || strcmp(e->key, INVALID_KEY) != 0)
            continue;
        if (e->is_op)
            requested = true;
        else if (!e->success)
            linelist_add(&fails, e->line);
    }
    char lines[REASON_LEN];
    if (fails.total != 4)
        reason_add(&c->why, "%lu delete fail line%s with key=" INVALID_KEY ", wanted exactly 4%s%s",
                   fails.total, plural(fails.total), format_lines(&fails, lines, sizeof lines),
                   requested ? "" : " (and no DELETE OPERATION line for " INVALID_KEY ")");
}

static void grade_delete(const struct run *r, struct report *rep)
{
    struct check *replicas = add_check(rep, "delete replicas", 10);
    struct check *invalid = add_check(rep, "delete invalidKey", 5);
    struct keymap m = { 0 };
    bool requested = false;
    for (size_t i = 0; i < r->n; i++) {
        const struct kvline *e = &r->lines[i];
        if (!e->is_op || e->op != DBGLOG_DELETE)
            continue;
        if (strcmp(e->key, INVALID_KEY) == 0)
            requested = true;
        else if (e->value != NULL)
            keymap_add(&m, e);
    }
    for (size_t i = 0; i < r->n; i++) {
        const struct kvline *e = &r->lines[i];
        struct keyinfo *ki;
        if (!e->is_op && e->op == DBGLOG_DELETE && e->success && (ki = keymap_find(&m, e->key)))
            count_role(ki, e);
    }
    check_replicas(&m, DBGLOG_DELETE, replicas);
    grade_delete_invalid(r, invalid);
    snprintf(rep->summary, sizeof rep->summary, "delete test, %zu key%s deleted, %s", m.n,
             plural(m.n),
             requested ? "and a delete of " INVALID_KEY : "no delete of " INVALID_KEY);
    keymap_free(&m);
}

/* ------------------------------------------------------ read and update tests */

/* The scheduled operations of a read or update run. */
struct schedule {
    const struct kvline *step[STEPS]; /* the real key's operations, in order */
    long long start[STEPS + 1];       /* window i is [start[i], start[i + 1]) */
};

/* Checks the OPERATION lines have the classic shape: 5 on one key with a VALUE, at increasing
 * ticks, and one on invalidKey at the tick of the 5th. Problems go to notes. */
static void build_schedule(const struct run *r, struct schedule *s, struct reasons *notes)
{
    const char *name = op_upper[r->test];
    const struct kvline *invalid = NULL, *other = NULL;
    struct linelist real = { { 0 }, 0, 0 }, invalids = { { 0 }, 0, 0 };
    char k[SHOW_LEN], k2[SHOW_LEN], lines[REASON_LEN];
    for (size_t i = 0; i < r->n; i++) {
        const struct kvline *e = &r->lines[i];
        if (!e->is_op || e->op != r->test)
            continue;
        if (strcmp(e->key, INVALID_KEY) == 0) {
            invalid = invalid ? invalid : e;
            linelist_add(&invalids, e->line);
        } else if (real.total > 0 && strcmp(e->key, s->step[0]->key) != 0) {
            other = other ? other : e;
        } else {
            if (real.total < STEPS)
                s->step[real.total] = e;
            linelist_add(&real, e->line);
        }
    }
    if (other != NULL)
        reason_add(notes, "%s OPERATION lines name two keys besides " INVALID_KEY
                   ": %s (line %lu) and %s (line %lu); wanted one",
                   name, show(s->step[0]->key, k), s->step[0]->line, show(other->key, k2),
                   other->line);
    if (real.total != STEPS)
        reason_add(notes, "%lu %s OPERATION line%s for key %s, wanted %d%s", real.total, name,
                   plural(real.total),
                   real.total ? show(s->step[0]->key, k) : "(none)", STEPS,
                   format_lines(&real, lines, sizeof lines));
    if (invalids.total != 1)
        reason_add(notes, "%lu %s OPERATION line%s for " INVALID_KEY ", wanted 1%s",
                   invalids.total, name, plural(invalids.total),
                   format_lines(&invalids, lines, sizeof lines));
    if (notes->total != 0)
        return;
    for (int i = 0; i < STEPS; i++) {
        if (s->step[i]->value == NULL)
            reason_add(notes, "%s OPERATION for key %s has no VALUE part (line %lu)", name,
                       show(s->step[i]->key, k), s->step[i]->line);
        if (i > 0 && s->step[i]->tick <= s->step[i - 1]->tick)
            reason_add(notes,
                       "%s OPERATION lines for key %s not at increasing ticks: %lld (line %lu) "
                       "then %lld (line %lu)",
                       name, show(s->step[i]->key, k), s->step[i - 1]->tick,
                       s->step[i - 1]->line, s->step[i]->tick, s->step[i]->line);
        s->start[i] = s->step[i]->tick;
    }
    s->start[STEPS] = LLONG_MAX; /* the last window runs to the end of the log */
    if (invalid->tick != s->start[STEPS - 1])
        reason_add(notes, "%s OPERATION for " INVALID_KEY " at %lld (line %lu), wanted %lld, "
                   "the tick of the 5th on key %s",
                   name, invalid->tick, invalid->line, s->start[STEPS - 1],
                   show(s->step[0]->key, k));
}

/* Result lines of one kind in one window. */
struct tally {
    struct linelist lines;
    unsigned long coordinator;
    const struct kvline *first;
};

/* Counts op result lines with the outcome, key=key and (unless value is NULL) value=value,
 * logged at ticks [from, to). */
static void tally_window(const struct run *r, enum dbglog_op op, bool success, const char *key,
                         const char *value, long long from, long long to, struct tally *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < r->n; i++) {
        const struct kvline *e = &r->lines[i];
        if (e->is_op || e->op != op || e->success != success || strcmp(e->key, key) != 0 ||
            (value != NULL && !same_value(e->value, value)) || e->tick < from || e->tick >= to)
            continue;
        if (t->first == NULL)
            t->first = e;
        t->coordinator += e->role == ROLE_COORDINATOR;
        linelist_add(&t->lines, e->line);
    }
}

static const char *format_window(const struct schedule *s, int step, char *buf, size_t len)
{
    if (step + 1 < STEPS)
        snprintf(buf, len, "step %d [%lld, %lld)", step + 1, s->start[step], s->start[step + 1]);
    else
        snprintf(buf, len, "step %d [%lld, end]", step + 1, s->start[step]);
    return buf;
}

/* The success lines of one step must number lo..hi. */
static void check_success_step(const struct run *r, const struct schedule *s, int step, int lo,
                               int hi, struct check *c)
{
    const struct kvline *op = s->step[step];
    struct tally t;
    tally_window(r, r->test, true, op->key, op->value, s->start[step], s->start[step + 1], &t);
    if (t.lines.total >= (unsigned long)lo && t.lines.total <= (unsigned long)hi)
        return;
    struct tally any;
    tally_window(r, r->test, true, op->key, NULL, s->start[step], s->start[step + 1], &any);
    char w[64], k[SHOW_LEN], v[SHOW_LEN], lines[REASON_LEN], want[32], other[48] = "";
    if (lo == hi)
        snprintf(want, sizeof want, "exactly %d", lo);
    else
        snprintf(want, sizeof want, "%d or %d", lo, hi);
    if (any.lines.total > t.lines.total)
        snprintf(other, sizeof other, "; %lu with another value",
                 any.lines.total - t.lines.total);
    reason_add(&c->why, "%s: %lu %s success line%s with key=%s value=%s, wanted %s%s%s",
               format_window(s, step, w, sizeof w), t.lines.total, dbglog_op_name(r->test),
               plural(t.lines.total), show(op->key, k), show(op->value, v), want,
               format_lines(&t.lines, lines, sizeof lines), other);
}

/* Step 3: exactly one fail line for the key, the coordinator's. */
static void check_fail_step(const struct run *r, const struct schedule *s, struct check *c)
{
    const int step = 2;
    struct tally t;
    tally_window(r, r->test, false, s->step[step]->key, NULL, s->start[step],
                 s->start[step + 1], &t);
    char w[64], k[SHOW_LEN], lines[REASON_LEN];
    format_window(s, step, w, sizeof w);
    show(s->step[step]->key, k);
    if (t.lines.total != 1)
        reason_add(&c->why, "%s: %lu %s fail line%s with key=%s, wanted exactly 1, the "
                   "coordinator's%s",
                   w, t.lines.total, dbglog_op_name(r->test), plural(t.lines.total), k,
                   format_lines(&t.lines, lines, sizeof lines));
    else if (t.coordinator != 1)
        reason_add(&c->why, "%s: the one %s fail line with key=%s is a server's (line %lu), "
                   "wanted the coordinator's",
                   w, dbglog_op_name(r->test), k, t.first->line);
}

/* Step 5: 3 or 4 fail lines for invalidKey. */
static void check_invalid_step(const struct run *r, const struct schedule *s, struct check *c)
{
    const int step = STEPS - 1;
    struct tally t;
    tally_window(r, r->test, false, INVALID_KEY, NULL, s->start[step], s->start[step + 1], &t);
    if (t.lines.total == 3 || t.lines.total == 4)
        return;
    char w[64], lines[REASON_LEN];
    reason_add(&c->why, "%s: %lu %s fail line%s with key=" INVALID_KEY ", wanted 3 or 4%s",
               format_window(s, step, w, sizeof w), t.lines.total, dbglog_op_name(r->test),
               plural(t.lines.total),
               format_lines(&t.lines, lines, sizeof lines));
}

static void grade_steps(const struct run *r, struct report *rep)
{
    static const char *const names[MAX_CHECKS] = { "step1 success", "step2 success",
                                                   "step3 fail",    "step4 success",
                                                   "step5 success", "step5 invalidKey" };
    struct check *c[MAX_CHECKS];
    for (int i = 0; i < MAX_CHECKS; i++)
        c[i] = add_check(rep, names[i], 5);
    struct schedule s;
    memset(&s, 0, sizeof s);
    build_schedule(r, &s, &rep->notes);
    const char *test = dbglog_op_name(r->test);
    if (rep->notes.total != 0) {
        snprintf(rep->summary, sizeof rep->summary,
                 "%s test, but its %s OPERATION lines do not have the expected shape, "
                 "so no step can be graded:", test, op_upper[r->test]);
        return;
    }
    char k[SHOW_LEN], v[SHOW_LEN];
    snprintf(rep->summary, sizeof rep->summary,
             "%s test, key %s value %s, operations at %lld, %lld, %lld, %lld, %lld, "
             INVALID_KEY " at %lld",
             test, show(s.step[0]->key, k), show(s.step[0]->value, v), s.start[0], s.start[1],
             s.start[2], s.start[3], s.start[4], s.start[4]);
    check_success_step(r, &s, 0, 3, 4, c[0]);
    check_success_step(r, &s, 1, 3, 3, c[1]);
    check_fail_step(r, &s, c[2]);
    check_success_step(r, &s, 3, 3, 4, c[3]);
    check_success_step(r, &s, 4, 3, 4, c[4]);
    check_invalid_step(r, &s, c[5]);
}

/* -------------------------------------------------------------- reporting */

/* Grades r into rep and returns the points. */
static int grade_run(const struct run *r, struct report *rep)
{
    memset(rep, 0, sizeof *rep);
    if (r->test == DBGLOG_CREATE)
        grade_create(r, rep);
    else if (r->test == DBGLOG_DELETE)
        grade_delete(r, rep);
    else
        grade_steps(r, rep);
    int total = 0;
    for (int i = 0; i < rep->nchecks; i++) {
        struct check *c = &rep->checks[i];
        c->points = c->why.total == 0 && rep->notes.total == 0 ? c->max : 0;
        total += c->points;
    }
    return total;
}

static void print_reasons(const struct reasons *why)
{
    for (size_t i = 0; i < why->shown; i++)
        printf("  %s\n", why->text[i]);
    if (why->total > why->shown)
        printf("  ... and %llu more\n", why->total - why->shown);
}

static void print_check(const struct check *c)
{
    static const char dots[] = "....................";
    int pad = (int)(sizeof dots - 1) - (int)strlen(c->name);
    printf("%s %.*s %d/%d\n", c->name, pad > 0 ? pad : 0, dots, c->points, c->max);
    print_reasons(&c->why);
}

static void print_report(const struct run *r, const struct report *rep)
{
    printf("%s: %s\n", r->path, rep->summary);
    print_reasons(&rep->notes);
    for (int i = 0; i < rep->nchecks; i++)
        print_check(&rep->checks[i]);
}

/* ---------------------------------------------------------------- options */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " [-q] DBG_LOG...\n"
            "Grades the key-value part of classic CRUD runs, one dbg.log per run; the test\n"
            "(create, read, update, delete) is told from each log's OPERATION lines.\n"
            "\n"
            "  -q, --quiet     print only '<file>: <test> X/MAX' per file and the total\n"
            "  -h, --help      show this help\n"
            "\n"
            "Points: create 15, delete 15, read 30, update 30 (90 for one run of each).\n"
            "Exit status: 0 at full marks, 1 below, 2 on usage, I/O or format errors.\n");
}

/* Collects the file arguments into files; returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, const char **files, int *nfiles, bool *quiet)
{
    bool options_done = false;
    *nfiles = 0;
    *quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && (!strcmp(arg, "-h") || !strcmp(arg, "--help"))) {
            usage(stdout);
            return EXIT_FULL;
        } else if (!options_done && (!strcmp(arg, "-q") || !strcmp(arg, "--quiet"))) {
            *quiet = true;
        } else if (!options_done && !strcmp(arg, "--")) {
            options_done = true;
        } else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, PROG ": unknown option '%s'\n", arg);
            usage(stderr);
            return EXIT_ERROR;
        } else {
            files[(*nfiles)++] = arg;
        }
    }
    if (*nfiles == 0) {
        fprintf(stderr, PROG ": no dbg.log given\n");
        usage(stderr);
        return EXIT_ERROR;
    }
    return -1;
}

int main(int argc, char **argv)
{
    const char **files = xrealloc(NULL, (size_t)argc, sizeof *files);
    int nfiles;
    bool quiet;
    int status = parse_options(argc, argv, files, &nfiles, &quiet);
    if (status >= 0) {
        free(files);
        return status;
    }
    struct run *runs = xrealloc(NULL, (size_t)nfiles, sizeof *runs);
    status = EXIT_FULL;
    for (int i = 0; i < nfiles; i++) { /* every file is read first: one bad file, no grades */
        memset(&runs[i], 0, sizeof runs[i]);
        runs[i].path = files[i];
        if (load_log(&runs[i]) != 0)
            status = EXIT_ERROR;
    }
    if (status == EXIT_FULL) {
        static struct report rep; /* large reason buffers: keep them off the stack */
        int got = 0, max = 0;
        for (int i = 0; i < nfiles; i++) {
            int points = grade_run(&runs[i], &rep);
            if (!quiet)
                print_report(&runs[i], &rep);
            printf("%s: %s %d/%d\n", runs[i].path, dbglog_op_name(runs[i].test), points,
                   test_points[runs[i].test]);
            got += points;
            max += test_points[runs[i].test];
        }
        printf("total: %d/%d\n", got, max);
        status = got == max ? EXIT_FULL : EXIT_LOST;
    }
    for (int i = 0; i < nfiles; i++)
        run_free(&runs[i]);
    free(runs);
    free(files);
    return status;
}
