/* console.c: the interactive driver. The session is a scenario being written: its text is the
 * starting file's (with the settings that must not change pinned at the top: SEED, KV_STORE,
 * the timeouts) followed by one statement per command ("fail node 3" typed at tick 150 becomes
 * "at 150 fail node 3"). Each command parses the whole text again with the file parser, so its
 * words, errors and suggestions are the file language's, and the run goes on with the new
 * scenario (app_rebase), which differs from the old one only by the statement added. `save`
 * writes the text: replayed, it is the very scenario the session ran.
 *
 * Time: the console stands at the end of the last tick run, T. A command happens at T, after the
 * tick's own events (the order in which a file listing it last would have it); a window typed
 * "drop 0.2 for 100" covers messages sent from T+1. The console watches the run as an observer
 * (observe.h) and prints what happens, one line per event with its tick in front. */
#include "console.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <editline/readline.h>

#include "app.h"
#include "run.h"

#define MAX_FILE_BYTES (16u << 20)
#define DEFAULT_TEXT "MAX_NNB: 10\n"
#define FORM_LIMIT 2000 /* ticks the console waits at most for the ring to form */

typedef struct {
    addr_t addr;
    bool done; /* announced as done (removed by every live node): not again until it is back */
} watch_t;

typedef struct {
    app_session_t *s;
    run_t *r;
    app_opts_t opts;
    const char *name; /* the file name in messages: FILE or "console" */
    const char *file; /* FILE, or NULL */
    scenario_t sc[2]; /* the scenario the run follows (cur) and room for the next one */
    int cur;
    char *text; /* the session as a scenario */
    size_t len, cap;
    unsigned lines;    /* lines in text */
    unsigned file_lines; /* the starting file's, at the top of text */
    size_t lead;       /* blanks before the command typed (for error columns) */
    uint32_t planned;  /* the starting file's length of run (0 without a file) */
    bool tty;
    bool failed;       /* a command failed */
    bool done;         /* quit */
    bool fatal;        /* the run cannot go on (out of memory) */
    uint8_t *shown;    /* per event of the scenario: its verdict was printed */
    /* What the observer saw. */
    bool want_op;      /* the next OBS_OP is the console's own operation */
    bool op_issued, op_decided;
    uint32_t op_txid;
    addr_t op_node;
    bool op_ok;
    char op_value[256];
    kv_version_t op_version;
    uint32_t op_latency;
    addr_t op_asked[RING_REPLICAS], op_answered[RING_REPLICAS];
    size_t op_nasked, op_nanswered;
    uint32_t other_ok, other_failed; /* other operations decided in the tick being run */
    watch_t *gone;   /* members removed by some node, until every live node has */
    size_t ngone, gone_cap;
    watch_t *coming; /* nodes (re)started, until every live node lists them */
    size_t ncoming, coming_cap;
} console_t;

static console_t *completion_console; /* for libedit's completion callback */

/* ---- output ---- */

static uint32_t now_tick(const console_t *c)
{
    uint32_t t = app_ticks_run(c->s);
    return t ? t - 1 : 0;
}

/* A line about something that happened at `tick`. */
static void say(console_t *c, uint32_t tick, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(console_t *c, uint32_t tick, const char *fmt, ...)
{
    (void)c;
    va_list ap;
    va_start(ap, fmt);
    printf("%7u  ", (unsigned)tick);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

/* An answer that is not an event (tables, help): no tick. */
static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

static void error(console_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void error(console_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stdout);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    c->failed = true;
}

static void list_addrs(const addr_t *a, size_t n, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%u", i ? ", " : "", (unsigned)a[i].id);
    if (n == 0)
        snprintf(buf, cap, "none");
}

/* ---- watching the run ---- */

static bool watched(const watch_t *w, size_t n, addr_t a, size_t *at)
{
    for (size_t i = 0; i < n; i++)
        if (addr_eq(w[i].addr, a)) {
            if (at)
                *at = i;
            return true;
        }
    return false;
}

static void watch(watch_t **w, size_t *n, size_t *cap, addr_t a)
{
    if (watched(*w, *n, a, NULL))
        return;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        watch_t *p = realloc(*w, nc * sizeof *p);
        if (!p)
            return; /* only a line the console would have printed is lost */
        *w = p;
        *cap = nc;
    }
    (*w)[(*n)++] = (watch_t){ .addr = a };
}

static void unwatch(watch_t *w, size_t *n, addr_t a)
{
    size_t at;
    if (watched(w, *n, a, &at))
        w[at] = w[--*n];
}

static void on_event(void *ctx, const obs_event_t *ev)
{
    console_t *c = ctx;
    unsigned id = (unsigned)ev->node.id;
    switch (ev->kind) {
    case OBS_NODE:
        if (!strcmp(ev->what, "start")) {
            if (ev->flag)
                say(c, ev->tick, "node %u starts (added)", id);
            if (ev->flag || watched(c->coming, c->ncoming, ev->node, NULL))
                watch(&c->coming, &c->ncoming, &c->coming_cap, ev->node);
        } else if (!strcmp(ev->what, "fail")) {
            say(c, ev->tick, "node %u fails", id);
            unwatch(c->coming, &c->ncoming, ev->node);
        } else if (!strcmp(ev->what, "restart")) {
            say(c, ev->tick, "node %u restarts%s", id, ev->flag ? " with its data" : "");
            unwatch(c->gone, &c->ngone, ev->node);
            watch(&c->coming, &c->ncoming, &c->coming_cap, ev->node);
        } else if (!strcmp(ev->what, "pause")) {
            say(c, ev->tick, "node %u pauses for %u ticks", id, (unsigned)ev->arg);
        } else if (!strcmp(ev->what, "resume")) {
            say(c, ev->tick, "node %u resumes", id);
        }
        break;
    case OBS_MEMBER:
        if (!strcmp(ev->what, "removed") && !watched(c->gone, c->ngone, ev->peer, NULL)) {
            say(c, ev->tick, "node %u removed by node %u (the first)", (unsigned)ev->peer.id, id);
            watch(&c->gone, &c->ngone, &c->gone_cap, ev->peer);
        }
        break;
    case OBS_OP:
        if (c->want_op) {
            c->want_op = false;
            c->op_issued = true;
            c->op_txid = ev->txid;
            c->op_node = ev->node;
        }
        break;
    case OBS_RESULT:
        if (c->op_issued && !c->op_decided && ev->txid == c->op_txid) {
            c->op_decided = true;
            c->op_ok = ev->flag;
            snprintf(c->op_value, sizeof c->op_value, "%s", ev->value ? ev->value : "");
            c->op_version = ev->version;
            c->op_latency = ev->latency;
            c->op_nasked = ev->nasked < RING_REPLICAS ? ev->nasked : RING_REPLICAS;
            memcpy(c->op_asked, ev->asked, c->op_nasked * sizeof *ev->asked);
            c->op_nanswered = ev->nanswered < RING_REPLICAS ? ev->nanswered : RING_REPLICAS;
            memcpy(c->op_answered, ev->answered, c->op_nanswered * sizeof *ev->answered);
        } else if (ev->flag) {
            c->other_ok++;
        } else {
            c->other_failed++;
        }
        break;
    default:
        break;
    }
}

/* Whether every live node other than node i lists it. */
static bool listed_by_all(const run_t *r, uint32_t i)
{
    for (uint32_t j = 0; j < r->n; j++)
        if (j != i && run_is_live(r, j) && !member_knows(r->nodes[j].member, node_addr(i)))
            return false;
    return true;
}

static bool listed_by_none(const run_t *r, addr_t a)
{
    for (uint32_t j = 0; j < r->n; j++)
        if (j != a.id - 1 && run_is_live(r, j) && member_knows(r->nodes[j].member, a))
            return false;
    return true;
}

/* Verdicts decided since they were last printed. */
static void show_verdicts(console_t *c)
{
    const scenario_t *sc = &c->sc[c->cur];
    for (size_t i = 0; i < c->r->next_event && i < sc->nevents; i++) {
        const verdict_t *v = &c->r->verdicts[i];
        if (!v->decided || c->shown[i] || !run_is_expectation(&sc->events[i]))
            continue;
        c->shown[i] = 1;
        char what[400];
        run_describe(sc, &sc->events[i], what, sizeof what);
        say(c, v->tick, "%s %s: %s", v->pass ? "PASS" : "FAIL", what, v->detail);
    }
}

/* What a tick (or a command) led to, beyond the events already printed. */
static void after_tick(console_t *c)
{
    run_t *r = c->r;
    uint32_t t = now_tick(c);
    if (c->other_ok || c->other_failed) {
        say(c, t, "%u operation%s decided: %u ok, %u failed", c->other_ok + c->other_failed,
            c->other_ok + c->other_failed == 1 ? "" : "s", c->other_ok, c->other_failed);
        c->other_ok = c->other_failed = 0;
    }
    for (size_t k = 0; k < c->ngone; k++)
        if (!c->gone[k].done && listed_by_none(r, c->gone[k].addr)) {
            say(c, t, "node %u removed by every live node", (unsigned)c->gone[k].addr.id);
            c->gone[k].done = true;
        }
    for (size_t k = 0; k < c->ncoming;) {
        uint32_t i = c->coming[k].addr.id - 1;
        if (run_is_live(r, i) && listed_by_all(r, i)) {
            say(c, t, "node %u listed by every live node", (unsigned)i + 1);
            c->coming[k] = c->coming[--c->ncoming];
        } else {
            k++;
        }
    }
    show_verdicts(c);
}

/* Runs one tick (the run is made longer when it would end); false at the longest run. */
static bool step_one(console_t *c)
{
    if (app_ticks_run(c->s) >= SCENARIO_MAX_TICKS) {
        error(c, "the run is at its longest, %u ticks", SCENARIO_MAX_TICKS);
        return false;
    }
    if (app_ticks_run(c->s) >= app_end(c->s))
        app_set_end(c->s, app_ticks_run(c->s) + 1);
    app_step(c->s);
    after_tick(c);
    return true;
}

/* ---- the session's text ---- */

static int append(console_t *c, const char *s, size_t n)
{
    if (c->len + n + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (c->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(c->text, cap);
        if (!p)
            return -1;
        c->text = p;
        c->cap = cap;
    }
    memcpy(c->text + c->len, s, n);
    c->len += n;
    c->text[c->len] = '\0';
    for (size_t i = 0; i < n; i++)
        c->lines += s[i] == '\n';
    return 0;
}

static int appendf(console_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int appendf(console_t *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= sizeof buf ? -1 : append(c, buf, (size_t)n);
}

/* The settings the console pins: the file's own lines for them are left out. */
static const char *const pinned[] = { "SEED", "TICKS", "KV_STORE", "T_FAIL", "T_REMOVE",
                                      "PROBE_TIMEOUT", "SINGLE_FAILURE" };

/* The key of a setting line ("  T_FAIL : 30 # x" -> T_FAIL), or false. */
static bool setting_key(const char *line, size_t len, char *key, size_t cap)
{
    size_t i = 0, k = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    while (i < len && (isalnum((unsigned char)line[i]) || line[i] == '_') && k + 1 < cap)
        key[k++] = line[i++];
    key[k] = '\0';
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    return k > 0 && i < len && line[i] == ':';
}

/* The text a session starts with: the pins, then the file without its lines for them. */
static int start_text(console_t *c, const char *file_text, size_t n, const scenario_t *file_sc,
                      uint64_t seed)
{
    member_cfg_t cfg;
    app_member_cfg(file_sc, &cfg);
    /* A file's run with the classic failure keeps it (KV_STORE alone would turn it off); the
     * console's own 10 nodes have none. */
    bool classic_failure = false;
    for (size_t i = 0; i < file_sc->nevents && c->file; i++)
        classic_failure |= file_sc->events[i].kind == EV_FAIL_RANDOM_NODE ||
                           file_sc->events[i].kind == EV_FAIL_RANDOM_BLOCK;
    /* The file's lines keep their numbers (messages about them stay true): a setting the
     * console pins is commented out where it is, and the pins follow the file. */
    int rc = 0;
    size_t pos = 0;
    while (pos < n && rc == 0) {
        const char *nl = memchr(file_text + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - file_text) : n;
        char key[32];
        bool skip = false;
        if (setting_key(file_text + pos, end - pos, key, sizeof key))
            for (size_t k = 0; k < sizeof pinned / sizeof pinned[0]; k++)
                skip |= !strcmp(key, pinned[k]) && (k < 6 || classic_failure);
        if (skip)
            rc |= append(c, "# ", 2);
        rc |= append(c, file_text + pos, end - pos);
        rc |= append(c, "\n", 1);
        pos = end + 1;
    }
    c->file_lines = c->lines;
    rc |= appendf(c, "# Pinned by the console, so that what is added to the session (nodes, "
                     "faults) changes no setting of the run:\n");
    rc |= appendf(c, "SEED: %llu\nKV_STORE: 1\nT_FAIL: %u\nT_REMOVE: %u\nPROBE_TIMEOUT: %u\n",
                  (unsigned long long)seed, (unsigned)cfg.t_fail, (unsigned)cfg.t_remove,
                  (unsigned)cfg.probe_timeout);
    if (classic_failure)
        rc |= appendf(c, "SINGLE_FAILURE: %d\n", file_sc->single_failure ? 1 : 0);
    return rc;
}

/* The tick the run ends before if it is finished now: the file's length, every statement's
 * last tick, and the ticks run. */
static uint32_t horizon(const console_t *c)
{
    const scenario_t *sc = &c->sc[c->cur];
    uint32_t end = c->planned > app_ticks_run(c->s) ? c->planned : app_ticks_run(c->s);
    /* The file's own events and windows are inside its length (planned); a window it cuts
     * at its TICKS is cut there again when the session ends there. */
    for (size_t i = 0; i < sc->nevents; i++) {
        const event_t *e = &sc->events[i];
        uint32_t t = e->kind == EV_WORKLOAD ? e->until : e->tick + 1;
        if (e->line > c->file_lines && (e->kind != EV_EXPECT_NO_LOST_WRITES || e->checkpoint) &&
            t > end)
            end = t;
    }
    for (size_t i = 0; i < sc->nlinks; i++)
        if (sc->links[i].line > c->file_lines && sc->links[i].to > end)
            end = sc->links[i].to;
    for (size_t i = 0; i < sc->nloss; i++)
        if (sc->loss[i].line > c->file_lines && sc->loss[i].to > end)
            end = sc->loss[i].to;
    return end;
}

/* The parser's "name:line:col: message" for the line just added, told about the command as
 * typed: its columns are `shift` characters to the left of the statement's. */
static void parse_error(console_t *c, const char *err, unsigned line, size_t shift)
{
    size_t nl = strlen(c->name);
    unsigned l = 0, col = 0;
    int used = 0;
    if (!strncmp(err, c->name, nl) && err[nl] == ':' &&
        sscanf(err + nl + 1, "%u:%u: %n", &l, &col, &used) == 2 && used > 0 && l == line) {
        if (col > shift)
            error(c, "column %u: %s", col - (unsigned)shift + (unsigned)c->lead,
                  err + nl + 1 + used);
        else
            error(c, "%s", err + nl + 1 + used);
        return;
    }
    error(c, "%s", err);
}

/* The warnings the parser has about line `line`, as "warning: ...". */
static void show_warnings(const scenario_t *sc, const char *name, unsigned line)
{
    if (!sc->warnings)
        return;
    size_t nl = strlen(name);
    for (const char *p = sc->warnings; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *w = strstr(p, "warning: ");
        unsigned l = 0;
        if (!strncmp(p, name, nl) && p[nl] == ':' && sscanf(p + nl + 1, "%u:", &l) == 1 &&
            l == line && w && w < p + n)
            printf("%.*s\n", (int)(n - (size_t)(w - p)), w);
        p += n + (e != NULL);
    }
}

/* Adds a statement to the session; the run goes on with it (events of the tick now happen at
 * once). shift: characters of the statement before what the user typed. 0 or -1. */
static int add_statement(console_t *c, const char *stmt, size_t shift)
{
    size_t old_len = c->len;
    unsigned old_lines = c->lines;
    if (append(c, stmt, strlen(stmt)) != 0 || append(c, "\n", 1) != 0) {
        c->len = old_len;
        c->lines = old_lines;
        error(c, "out of memory");
        return -1;
    }
    unsigned line = c->lines;
    scenario_t *next = &c->sc[!c->cur];
    char err[SCENARIO_ERR_LEN];
    int rc = scenario_parse(c->name, c->text, c->len, next, err, sizeof err);
    uint32_t now = now_tick(c);
    if (rc != 0) {
        parse_error(c, err, line, shift);
    } else {
        for (size_t i = 0; i < next->nevents && rc == 0; i++) {
            const event_t *e = &next->events[i];
            if (e->line == line && e->tick < now)
                error(c, "tick %u has passed: the console is at tick %u", (unsigned)e->tick,
                      (unsigned)now), rc = -1;
            else if (e->line == line && e->tick != UINT32_MAX && e->tick >= SCENARIO_MAX_TICKS)
                error(c, "tick %u is past the longest run (%u ticks)", (unsigned)e->tick,
                      SCENARIO_MAX_TICKS), rc = -1;
        }
        for (size_t i = 0; i < next->nlinks + next->nloss && rc == 0; i++) {
            unsigned l = i < next->nlinks ? next->links[i].line : next->loss[i - next->nlinks].line;
            uint32_t from = i < next->nlinks ? next->links[i].from : next->loss[i - next->nlinks].from;
            if (l == line && from <= now)
                error(c, "the window starts at tick %u, which has passed: the console is at "
                      "tick %u, so a window starts at %u at the earliest", (unsigned)from,
                      (unsigned)now, (unsigned)now + 1), rc = -1;
        }
        if (rc != 0)
            scenario_free(next);
    }
    if (rc != 0) {
        c->len = old_len;
        c->lines = old_lines;
        c->text[c->len] = '\0';
        return -1;
    }
    show_warnings(next, c->name, line);
    uint8_t *shown = calloc(next->nevents ? next->nevents : 1, 1);
    if (!shown) {
        scenario_free(next);
        c->len = old_len;
        c->lines = old_lines;
        error(c, "out of memory");
        return -1;
    }
    memcpy(shown, c->shown, c->r->next_event);
    printf("%7u  + %s\n", (unsigned)now, stmt);
    int rb = app_rebase(c->s, next);
    if (rb == -1) { /* nothing changed */
        free(shown);
        scenario_free(next);
        c->len = old_len;
        c->lines = old_lines;
        c->text[c->len] = '\0';
        error(c, "out of memory");
        return -1;
    }
    if (rb != 0) { /* the run follows next, incompletely: it ends now */
        error(c, "out of memory: the session ends");
        c->fatal = true;
    }
    free(c->shown);
    c->shown = shown;
    scenario_free(&c->sc[c->cur]);
    c->cur = !c->cur;
    after_tick(c);
    return 0;
}

/* ---- commands ---- */

typedef struct {
    const char *name;
    const char *args;
    const char *what;
    void (*run)(console_t *c, char **argv, int argc, const char *line);
} command_t;

static bool parse_uint(const char *s, uint32_t max, uint32_t *out)
{
    if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9)
        return false;
    unsigned long v = strtoul(s, NULL, 10);
    if (v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* A node given by id: its index, or -1 after an error. */
static int node_arg(console_t *c, const char *s)
{
    uint32_t id;
    if (!parse_uint(s, UINT32_MAX / 2, &id) || id == 0 || id > c->r->n) {
        error(c, "no node '%s': nodes are numbered 1 to %u", s, (unsigned)c->r->n);
        return -1;
    }
    return (int)id - 1;
}

static void run_until(console_t *c, uint32_t last)
{
    while (!c->fatal && app_ticks_run(c->s) <= last && step_one(c))
        ;
}

static void cmd_step(console_t *c, char **argv, int argc, const char *line)
{
    (void)line;
    uint32_t n = 1;
    if (argc > 2 || (argc == 2 && (!parse_uint(argv[1], SCENARIO_MAX_TICKS, &n) || n == 0))) {
        error(c, "usage: step [N], N a number of ticks from 1 to %u", SCENARIO_MAX_TICKS);
        return;
    }
    uint64_t last = (uint64_t)now_tick(c) + n;
    if (last >= SCENARIO_MAX_TICKS) {
        error(c, "a run lasts at most %u ticks", SCENARIO_MAX_TICKS);
        return;
    }
    run_until(c, (uint32_t)last);
}

static void cmd_until(console_t *c, char **argv, int argc, const char *line)
{
    (void)line;
    uint32_t t;
    if (argc != 2 || !parse_uint(argv[1], SCENARIO_MAX_TICKS - 1, &t)) {
        error(c, "usage: until T, T a tick below %u", SCENARIO_MAX_TICKS);
        return;
    }
    if (t <= now_tick(c)) {
        error(c, "tick %u has passed: the console is at tick %u", (unsigned)t,
              (unsigned)now_tick(c));
        return;
    }
    run_until(c, t);
}

static void cmd_run(console_t *c, char **argv, int argc, const char *line)
{
    (void)argv;
    (void)line;
    if (argc != 1) {
        error(c, "usage: run (to the end of the run's events)");
        return;
    }
    uint32_t end = horizon(c);
    if (end <= app_ticks_run(c->s)) {
        out("nothing left to run: every event of the session has happened (tick %u)",
            (unsigned)now_tick(c));
        return;
    }
    run_until(c, end - 1);
}

static void print_op_result(console_t *c, const char *what)
{
    char asked[64], answered[64];
    list_addrs(c->op_asked, c->op_nasked, asked, sizeof asked);
    list_addrs(c->op_answered, c->op_nanswered, answered, sizeof answered);
    char result[400];
    if (!c->op_ok)
        snprintf(result, sizeof result, "failed");
    else if (strncmp(what, "read", 4) == 0)
        snprintf(result, sizeof result, "%s (version %llu.%u)", c->op_value,
                 (unsigned long long)c->op_version.stamp, (unsigned)c->op_version.node);
    else
        snprintf(result, sizeof result, "ok (version %llu.%u)",
                 (unsigned long long)c->op_version.stamp, (unsigned)c->op_version.node);
    say(c, now_tick(c), "%s: %s after %u tick%s; coordinator %u; replicas %s; answered %s", what,
        result, (unsigned)c->op_latency, c->op_latency == 1 ? "" : "s",
        (unsigned)c->op_node.id, asked, answered);
}

/* create|read|update|delete ...: the statement, then steps until the coordinator decides. */
static void cmd_op(console_t *c, char **argv, int argc, const char *line)
{
    (void)argv;
    (void)argc;
    char stmt[1200];
    int shift = snprintf(stmt, sizeof stmt, "at %u ", (unsigned)now_tick(c));
    snprintf(stmt + shift, sizeof stmt - (size_t)shift, "%s", line);
    c->want_op = true;
    c->op_issued = c->op_decided = false;
    if (add_statement(c, stmt, (size_t)shift) != 0) {
        c->want_op = false;
        return;
    }
    c->want_op = false;
    if (!c->op_issued) {
        const event_t *last = NULL;
        const scenario_t *sc = &c->sc[c->cur];
        for (size_t i = 0; i < sc->nevents; i++)
            if (sc->events[i].line == c->lines)
                last = &sc->events[i];
        if (last && last->via)
            error(c, "not issued: node %u is not a live member, it cannot coordinate",
                  (unsigned)last->node);
        else
            error(c, "not issued: no live node to coordinate it");
        return;
    }
    /* A coordinator decides within its timeout, unless it fails first. */
    uint32_t limit = c->r->kv_cfg.timeout + 2;
    for (uint32_t k = 0; k < limit && !c->op_decided && !c->fatal && step_one(c); k++)
        ;
    if (c->op_decided)
        print_op_result(c, line);
    else
        say(c, now_tick(c), "%s: no outcome after %u ticks (node %u, its coordinator, failed "
            "or paused?)", line, (unsigned)limit, (unsigned)c->op_node.id);
    c->op_issued = false;
}

static const char *const window_words[] = { "drop", "partition", "delay", "reorder",
                                            "duplicate", "workload" };

/* Any scenario statement: "at T ...", "from T1 to T2 ...", "expect ...", an action of now
 * (fail, restart, pause, add), or a window for a while ("drop 0.2 for 100"). */
static void cmd_statement(console_t *c, char **argv, int argc, const char *line)
{
    char stmt[1200];
    uint32_t now = now_tick(c);
    bool window = false;
    for (size_t k = 0; k < sizeof window_words / sizeof window_words[0]; k++)
        window |= !strcmp(argv[0], window_words[k]);
    if (!strcmp(argv[0], "at") || !strcmp(argv[0], "from") || !strcmp(argv[0], "expect")) {
        add_statement(c, line, 0);
        return;
    }
    if (!window) {
        int shift = snprintf(stmt, sizeof stmt, "at %u ", (unsigned)now);
        snprintf(stmt + shift, sizeof stmt - (size_t)shift, "%s", line);
        add_statement(c, stmt, (size_t)shift);
        return;
    }
    uint32_t d;
    if (argc < 3 || strcmp(argv[argc - 2], "for") != 0 ||
        !parse_uint(argv[argc - 1], SCENARIO_MAX_TICKS, &d) || d == 0) {
        error(c, "say for how long, in ticks: '%s ... for D' (or give the ticks: 'from T1 to T2 "
              "%s ...')", argv[0], argv[0]);
        return;
    }
    /* The line without its "for D": up to the start of the word "for" that is the last but one. */
    const char *end = line + strlen(line);
    while (end > line && isspace((unsigned char)end[-1]))
        end--;
    size_t cut = (size_t)(end - line) - strlen(argv[argc - 1]);
    while (cut > 0 && isspace((unsigned char)line[cut - 1]))
        cut--;
    cut -= 3; /* "for" */
    while (cut > 0 && isspace((unsigned char)line[cut - 1]))
        cut--;
    uint64_t to = (uint64_t)now + 1 + d;
    if (to > SCENARIO_MAX_TICKS) {
        error(c, "a run lasts at most %u ticks", SCENARIO_MAX_TICKS);
        return;
    }
    int shift = snprintf(stmt, sizeof stmt, "from %u to %llu ", (unsigned)now + 1,
                         (unsigned long long)to);
    snprintf(stmt + shift, sizeof stmt - (size_t)shift, "%.*s", (int)cut, line);
    add_statement(c, stmt, (size_t)shift);
}

static void cmd_where(console_t *c, char **argv, int argc, const char *line)
{
    (void)line;
    if (argc != 2) {
        error(c, "usage: where KEY");
        return;
    }
    run_t *r = c->r;
    const char *key = argv[1];
    addr_t truth[RING_REPLICAS];
    size_t nt = run_true_replicas(r, key, truth);
    char list[64];
    list_addrs(truth, nt, list, sizeof list);
    out("key %s at ring position %016llx", key,
        (unsigned long long)ring_hash(key, strlen(key)));
    out("  replicas on the ring of the running nodes: %s", list);
    /* Each live node's view, grouped; printed only where some view differs from the truth. */
    bool differ = false;
    addr_t *views = malloc((size_t)r->n * RING_REPLICAS * sizeof *views);
    size_t *nv = malloc((size_t)r->n * sizeof *nv);
    if (!views || !nv) {
        free(views);
        free(nv);
        error(c, "out of memory");
        return;
    }
    for (uint32_t i = 0; i < r->n; i++) {
        nv[i] = run_is_live(r, i) && r->nodes[i].kv
                    ? kv_replicas_of(r->nodes[i].kv, key, views + (size_t)i * RING_REPLICAS, r->now)
                    : SIZE_MAX;
        if (nv[i] != SIZE_MAX &&
            (nv[i] != nt || memcmp(views + (size_t)i * RING_REPLICAS, truth, nt * sizeof *truth)))
            differ = true;
    }
    if (!differ) {
        out("  every live node's view agrees");
    } else {
        for (uint32_t i = 0; i < r->n; i++) {
            if (nv[i] == SIZE_MAX)
                continue;
            const addr_t *v = views + (size_t)i * RING_REPLICAS;
            char who[512];
            size_t o = (size_t)snprintf(who, sizeof who, "%u", (unsigned)i + 1);
            for (uint32_t j = i + 1; j < r->n; j++)
                if (nv[j] == nv[i] && !memcmp(views + (size_t)j * RING_REPLICAS, v, nv[i] * sizeof *v)) {
                    if (o < sizeof who)
                        o += (size_t)snprintf(who + o, sizeof who - o, ",%u", (unsigned)j + 1);
                    nv[j] = SIZE_MAX;
                }
            list_addrs(v, nv[i], list, sizeof list);
            out("  view of node%s %s: %s", strchr(who, ',') ? "s" : "", who, list);
        }
    }
    free(views);
    free(nv);
    size_t holders = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        kv_version_t v;
        const char *val;
        bool del;
        if (!run_is_running(r, i) || !r->nodes[i].kv || !kv_peek(r->nodes[i].kv, key, &v, &val, &del))
            continue;
        bool replica = false;
        for (size_t j = 0; j < nt; j++)
            replica |= truth[j].id == i + 1;
        if (holders++ == 0)
            out("  held by:");
        out("    node %-5u %-14s version %llu.%u%s", (unsigned)i + 1, del ? "(deleted)" : val,
            (unsigned long long)v.stamp, (unsigned)v.node, replica ? "" : "  (not a replica)");
    }
    if (holders == 0)
        out("  held by no running node");
}

typedef struct {
    uint64_t pos;
    uint32_t node;
    uint64_t held;
} ring_row_t;

static int row_cmp(const void *a, const void *b)
{
    const ring_row_t *x = a, *y = b;
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    return (x->node > y->node) - (x->node < y->node);
}

static void cmd_ring(console_t *c, char **argv, int argc, const char *line)
{
    (void)argv;
    (void)line;
    if (argc != 1) {
        error(c, "usage: ring");
        return;
    }
    run_t *r = c->r;
    ring_row_t *rows = calloc(r->n ? r->n : 1, sizeof *rows);
    if (!rows) {
        error(c, "out of memory");
        return;
    }
    size_t n = 0;
    for (uint32_t i = 0; i < r->n; i++)
        if (run_is_running(r, i))
            rows[n++] = (ring_row_t){ .pos = ring_node_position(node_addr(i)), .node = i };
    qsort(rows, n, sizeof *rows, row_cmp);
    for (size_t k = 0; k < n; k++) {
        kv_stats_t ks = { 0 };
        if (r->nodes[rows[k].node].kv)
            kv_get_stats(r->nodes[rows[k].node].kv, &ks);
        rows[k].held = ks.keys;
    }
    out("%zu running nodes on the ring, in ring order (a key's replicas are the first 3 at or "
        "after its position):", n);
    out("  %-16s  %-5s  %-12s  %s", "position", "node", "address", "keys held");
    for (size_t k = 0; k < n; k++) {
        char a[ADDR_STRLEN];
        out("  %016llx  %-5u  %-12s  %llu", (unsigned long long)rows[k].pos,
            (unsigned)rows[k].node + 1, addr_format(node_addr(rows[k].node), a),
            (unsigned long long)rows[k].held);
    }
    free(rows);
}

typedef struct {
    member_entry_t *e;
    size_t n, cap;
    bool oom;
} entries_t;

static void collect_entry(void *ctx, const member_entry_t *e)
{
    entries_t *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        member_entry_t *p = realloc(l->e, cap * sizeof *p);
        if (!p) {
            l->oom = true;
            return;
        }
        l->e = p;
        l->cap = cap;
    }
    l->e[l->n++] = *e;
}

static int entry_cmp(const void *a, const void *b)
{
    const member_entry_t *x = a, *y = b;
    return (x->addr.id > y->addr.id) - (x->addr.id < y->addr.id);
}

static const char *node_state(const run_t *r, uint32_t i)
{
    const app_node_t *n = &r->nodes[i];
    if (n->failed)
        return "failed";
    if (!n->started)
        return n->start_tick == UINT32_MAX ? "not added" : "not started";
    if (n->paused)
        return "paused";
    return member_in_group(n->member) ? "live" : "joining";
}

static void cmd_members(console_t *c, char **argv, int argc, const char *line)
{
    (void)line;
    if (argc != 2) {
        error(c, "usage: members N (node N's membership list)");
        return;
    }
    int i = node_arg(c, argv[1]);
    if (i < 0)
        return;
    run_t *r = c->r;
    entries_t l = { 0 };
    member_each(r->nodes[i].member, collect_entry, &l);
    if (l.oom) {
        free(l.e);
        error(c, "out of memory");
        return;
    }
    if (l.n > 1)
        qsort(l.e, l.n, sizeof *l.e, entry_cmp);
    static const char *const states[] = { "alive", "suspected", "removed" };
    out("node %d (%s) lists %zu members at tick %u:", i + 1, node_state(r, (uint32_t)i),
        member_count(r->nodes[i].member), (unsigned)now_tick(c));
    out("  %-5s  %-9s  %9s  %11s  %s", "node", "state", "heartbeat", "incarnation",
        "last heard");
    for (size_t k = 0; k < l.n; k++)
        out("  %-5u  %-9s  %9u  %11u  %u", (unsigned)l.e[k].addr.id, states[l.e[k].state],
            (unsigned)l.e[k].heartbeat, (unsigned)l.e[k].incarnation,
            (unsigned)l.e[k].last_update);
    free(l.e);
}

static void stats_row(console_t *c, uint32_t i)
{
    run_t *r = c->r;
    uint64_t sent = 0, recv = 0;
    for (uint32_t t = 0; t < app_ticks_run(c->s); t++) {
        sent += emulnet_sent_by(r->net, node_addr(i), t);
        recv += emulnet_recv_by(r->net, node_addr(i), t);
    }
    member_stats_t ms;
    member_get_stats(r->nodes[i].member, &ms);
    kv_stats_t ks = { 0 };
    if (r->nodes[i].kv)
        kv_get_stats(r->nodes[i].kv, &ks);
    out("  %-5u %-11s %8llu %8llu %6llu %6llu %7llu %6llu %9llu %7llu %9llu", (unsigned)i + 1,
        node_state(r, i), (unsigned long long)sent, (unsigned long long)recv,
        (unsigned long long)ks.ops_ok, (unsigned long long)ks.ops_failed,
        (unsigned long long)ks.requests_served, (unsigned long long)ks.keys,
        (unsigned long long)ks.transfers_sent, (unsigned long long)ks.transfers_applied,
        (unsigned long long)ms.suspected);
}

static void cmd_stats(console_t *c, char **argv, int argc, const char *line)
{
    (void)line;
    int one = -1;
    if (argc > 2 || (argc == 2 && (one = node_arg(c, argv[1])) < 0)) {
        if (argc > 2)
            error(c, "usage: stats [N]");
        return;
    }
    out("per node since tick 0 (sent, received: messages; ok, failed: operations it "
        "coordinated; served: requests it answered as a replica; transfers: key values sent, "
        "and received newer):");
    out("  %-5s %-11s %8s %8s %6s %6s %7s %6s %9s %7s %9s", "node", "state", "sent", "received",
        "ok", "failed", "served", "keys", "transfers", "newer", "suspected");
    for (uint32_t i = 0; i < c->r->n; i++)
        if ((one < 0 && c->r->nodes[i].start_tick != UINT32_MAX) || (int)i == one)
            stats_row(c, i);
}

static void cmd_log(console_t *c, char **argv, int argc, const char *line)
{
    (void)line;
    int node = -1;
    uint32_t k = 10;
    if (argc > 3) {
        error(c, "usage: log [N|all] [K]: the last K dbg.log lines (10), of node N or of all");
        return;
    }
    if (argc >= 2 && strcmp(argv[1], "all") != 0 && (node = node_arg(c, argv[1])) < 0)
        return;
    if (argc == 3 && (!parse_uint(argv[2], 100000, &k) || k == 0)) {
        error(c, "log: '%s' is not a number of lines from 1 to 100000", argv[2]);
        return;
    }
    app_flush(c->s);
    FILE *f = fopen(c->opts.dbg_path, "r");
    if (!f) {
        error(c, "cannot read %s: %s", c->opts.dbg_path, strerror(errno));
        return;
    }
    char prefix[ADDR_STRLEN + 4];
    if (node >= 0) {
        char a[ADDR_STRLEN];
        snprintf(prefix, sizeof prefix, " %s ", addr_format(node_addr((uint32_t)node), a));
    }
    char **ring = calloc(k, sizeof *ring);
    char *buf = NULL;
    size_t bcap = 0, seen = 0;
    ssize_t len;
    while (ring && (len = getline(&buf, &bcap, f)) > 0) {
        if (buf[0] != ' ' || (node >= 0 && strncmp(buf, prefix, strlen(prefix)) != 0))
            continue;
        free(ring[seen % k]);
        ring[seen % k] = strdup(buf);
        seen++;
    }
    fclose(f);
    free(buf);
    if (!ring) {
        error(c, "out of memory");
        return;
    }
    size_t first = seen > k ? seen - k : 0;
    for (size_t i = first; i < seen; i++)
        if (ring[i % k])
            fputs(ring[i % k], stdout);
    if (seen == 0)
        out("no dbg.log line%s yet", node >= 0 ? " of this node" : "");
    for (size_t i = 0; i < k; i++)
        free(ring[i]);
    free(ring);
}

/* The history checker beside the program: tools/check-history (where make puts it for
 * ./Application), or check-history in the same folder (the sanitizer build's). */
static int checker_path(char *out, size_t cap)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    snprintf(out, cap, "%s/tools/check-history", self);
    if (access(out, X_OK) == 0)
        return 0;
    snprintf(out, cap, "%s/check-history", self);
    return access(out, X_OK);
}

static void cmd_check(console_t *c, char **argv, int argc, const char *line)
{
    (void)argv;
    (void)line;
    if (argc != 1) {
        error(c, "usage: check");
        return;
    }
    run_t *r = c->r;
    const scenario_t *sc = &c->sc[c->cur];
    size_t pass = 0, fail = 0, pending = 0;
    for (size_t i = 0; i < sc->nevents; i++) {
        const event_t *e = &sc->events[i];
        if (!run_is_expectation(e))
            continue;
        char what[400];
        run_describe(sc, e, what, sizeof what);
        const verdict_t *v = &r->verdicts[i];
        if (i < r->next_event && v->decided) {
            out("  %s %s: %s", v->pass ? "PASS" : "FAIL", what, v->detail);
            pass += v->pass;
            fail += !v->pass;
        } else {
            out("  ...  %s: %s", what, i < r->next_event ? "waiting for the outcome"
                                                        : e->tick == UINT32_MAX ? "judged at the end"
                                                                                : "not yet");
            pending++;
        }
    }
    out("expectations: %zu passed, %zu failed, %zu pending", pass, fail, pending);
    char why[400];
    bool ok = run_check_lost_writes(r, why, sizeof why) == 0;
    out("no lost writes now: %s: %s", ok ? "yes" : "NO", why);
    char checker[4200];
    if (checker_path(checker, sizeof checker) != 0) {
        out("history: tools/check-history is not beside the program (make builds it)");
        return;
    }
    char dump[] = "/tmp/console-state-XXXXXX";
    int fd = mkstemp(dump);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        error(c, "cannot write a state dump for the checker: %s", strerror(errno));
        return;
    }
    run_write_state(r, f, now_tick(c));
    fclose(f);
    app_flush(c->s);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(STDOUT_FILENO, STDERR_FILENO); /* its lines in order with the console's */
        execl(checker, checker, c->opts.dbg_path, dump, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        error(c, "cannot run %s: %s", checker, strerror(errno));
    else if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
        error(c, "check-history could not judge the history (status %d)",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    else
        out("history: %s", WEXITSTATUS(status) == 0 ? "clean" : "violations (above)");
    unlink(dump);
}

static void cmd_save(console_t *c, char **argv, int argc, const char *line)
{
    (void)line;
    if (argc != 2) {
        error(c, "usage: save FILE");
        return;
    }
    const char *path = argv[1];
    /* Not one of the run's outputs, under any name (./dbg.log, a link). */
    const char *own[] = { c->opts.dbg_path, c->opts.stats_path, c->opts.msgcount_path,
                          c->opts.state_path };
    struct stat ps, os;
    for (size_t k = 0; k < sizeof own / sizeof own[0]; k++)
        if (own[k] && (!strcmp(path, own[k]) ||
                       (stat(path, &ps) == 0 && stat(own[k], &os) == 0 &&
                        ps.st_dev == os.st_dev && ps.st_ino == os.st_ino))) {
            error(c, "'%s' is one of the run's own outputs", path);
            return;
        }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        error(c, "cannot write %s: %s", path, strerror(errno));
        return;
    }
    uint32_t end = horizon(c);
    bool from_file = c->file != NULL;
    fprintf(f, "# A console session (./Application --console%s%s), saved at tick %u.\n"
               "# ./Application %s replays it: the dbg.log of the session, quit right after the "
               "save.\nTICKS: %u\n",
            from_file ? " " : "", from_file ? c->file : "", (unsigned)now_tick(c), path,
            (unsigned)end);
    fwrite(c->text, 1, c->len, f);
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        error(c, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return;
    }
    out("saved %s: %u ticks; replay with ./Application %s", path, (unsigned)end, path);
}

static void cmd_quit(console_t *c, char **argv, int argc, const char *line)
{
    (void)argv;
    (void)argc;
    (void)line;
    c->done = true;
}

static void cmd_help(console_t *c, char **argv, int argc, const char *line);

static const command_t commands[] = {
    { "step", "[N]", "run N ticks (1)", cmd_step },
    { "until", "T", "run up to and including tick T", cmd_until },
    { "run", "", "run to the end of the run's events (the file's, the session's)", cmd_run },
    { "create", "K V [via N]", "create key K with value V; waits for the outcome", cmd_op },
    { "read", "K [via N]", "read key K", cmd_op },
    { "update", "K V [via N]", "update key K to V", cmd_op },
    { "delete", "K [via N]", "delete key K", cmd_op },
    { "fail", "node N | ...", "fail a node now (every 'at T fail' form works)", cmd_statement },
    { "restart", "node N [keep data]", "restart a failed node now", cmd_statement },
    { "pause", "node N for D", "freeze a node for D ticks", cmd_statement },
    { "add", "K nodes", "start K new nodes at the next tick", cmd_statement },
    { "partition", "A | B for D", "cut groups A and B apart for D ticks ('->': one way)",
      cmd_statement },
    { "drop", "P [between A and B] for D", "lose messages with probability P for D ticks",
      cmd_statement },
    { "delay", "D2 [between A and B] for D", "delay messages by D2 ticks, for D ticks",
      cmd_statement },
    { "reorder", "D2 [between A and B] for D", "add 0..D2 ticks at random, for D ticks",
      cmd_statement },
    { "duplicate", "P [between A and B] for D", "deliver messages twice with probability P",
      cmd_statement },
    { "workload", "R per tick on K keys [mix ...] for D", "random operations for D ticks",
      cmd_statement },
    { "at", "T STATEMENT", "a statement of the file language at tick T (now or later)",
      cmd_statement },
    { "from", "T1 to T2 WINDOW", "a window of the file language", cmd_statement },
    { "expect", "...", "an expectation (node N removed by T, membership converged by T, ...)",
      cmd_statement },
    { "where", "K", "K's replicas, each live node's view of them, and who holds it", cmd_where },
    { "ring", "", "the running nodes in ring order, with the keys each holds", cmd_ring },
    { "members", "N", "node N's membership list: state, heartbeat, incarnation", cmd_members },
    { "stats", "[N]", "per-node counters: messages, operations, keys, transfers", cmd_stats },
    { "log", "[N|all] [K]", "the last K dbg.log lines (10), of node N or of all", cmd_log },
    { "check", "", "every expectation so far, lost writes now, and the history checker",
      cmd_check },
    { "save", "FILE", "write the session as a scenario file that replays it", cmd_save },
    { "help", "[COMMAND]", "this list, or one command", cmd_help },
    { "quit", "", "finish the run (to its end) and leave; so does end of input", cmd_quit },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void cmd_help(console_t *c, char **argv, int argc, const char *line)
{
    (void)line;
    for (size_t k = 0; k < NCOMMANDS; k++)
        if (argc < 2 || !strcmp(argv[1], commands[k].name))
            out("  %-9s %-26s %s", commands[k].name, commands[k].args, commands[k].what);
    if (argc >= 2) {
        bool known = false;
        for (size_t k = 0; k < NCOMMANDS; k++)
            known |= !strcmp(argv[1], commands[k].name);
        if (!known)
            error(c, "no command '%s' (help lists them)", argv[1]);
        return;
    }
    out("Nodes are numbered from 1. A fault or change happens now, at the end of the tick shown;");
    out("testcases/README.md describes every statement. 'save' keeps the session as a file.");
}

#define MAX_ARGS 32

static void execute(console_t *c, const char *line)
{
    char copy[1024];
    size_t n = strlen(line);
    while (n > 0 && isspace((unsigned char)line[n - 1]))
        n--;
    c->lead = 0;
    while (n > 0 && isspace((unsigned char)*line)) {
        line++;
        n--;
        c->lead++;
    }
    if (n == 0 || line[0] == '#')
        return;
    if (n >= sizeof copy) {
        error(c, "the line is too long (at most %zu characters)", sizeof copy - 1);
        return;
    }
    memcpy(copy, line, n);
    copy[n] = '\0';
    char trimmed[1024];
    memcpy(trimmed, copy, n + 1);
    char *argv[MAX_ARGS];
    int argc = 0;
    for (char *p = strtok(copy, " \t"); p && argc < MAX_ARGS; p = strtok(NULL, " \t"))
        argv[argc++] = p;
    for (size_t k = 0; k < NCOMMANDS; k++)
        if (!strcmp(argv[0], commands[k].name)) {
            commands[k].run(c, argv, argc, trimmed);
            return;
        }
    const char *names[NCOMMANDS];
    for (size_t k = 0; k < NCOMMANDS; k++)
        names[k] = commands[k].name;
    const char *best = scenario_nearest(argv[0], strlen(argv[0]), names, NCOMMANDS);
    if (best)
        error(c, "unknown command '%s' (did you mean %s?); help lists the commands", argv[0], best);
    else
        error(c, "unknown command '%s'; help lists the commands", argv[0]);
}

/* ---- line editing ---- */

static char *complete_word(const char *text, int state)
{
    static size_t k;
    static uint32_t id;
    static bool nodes;
    if (state == 0) {
        k = 0;
        id = 1;
        /* The first word is a command; after node, via, members, stats or log, a node id. */
        int start = (int)(rl_point - strlen(text));
        nodes = start > 0;
    }
    if (!nodes) {
        while (k < NCOMMANDS) {
            const char *name = commands[k++].name;
            if (!strncmp(name, text, strlen(text)))
                return strdup(name);
        }
        return NULL;
    }
    const console_t *c = completion_console;
    while (c && id <= c->r->n) {
        char buf[16];
        snprintf(buf, sizeof buf, "%u", (unsigned)id++);
        if (!strncmp(buf, text, strlen(text)))
            return strdup(buf);
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    if (start > 0) {
        /* Node ids only after a word that takes one. */
        int i = start;
        while (i > 0 && rl_line_buffer[i - 1] == ' ')
            i--;
        int j = i;
        while (j > 0 && rl_line_buffer[j - 1] != ' ')
            j--;
        static const char *const takes[] = { "node", "via", "members", "stats", "log" };
        bool node = false;
        for (size_t k = 0; k < sizeof takes / sizeof takes[0]; k++)
            node |= (size_t)(i - j) == strlen(takes[k]) &&
                    !strncmp(rl_line_buffer + j, takes[k], (size_t)(i - j));
        if (!node) {
            rl_attempted_completion_over = 1;
            return NULL;
        }
    }
    return rl_completion_matches(text, complete_word);
}

/* The next command line (without its newline), or NULL at the end of input. */
static char *read_command(console_t *c, char **buf, size_t *cap)
{
    char prompt[32];
    snprintf(prompt, sizeof prompt, "t=%u> ", (unsigned)now_tick(c));
    fflush(stdout);
    if (c->tty) {
        free(*buf);
        *buf = readline(prompt);
        if (*buf && **buf)
            add_history(*buf);
        return *buf;
    }
    ssize_t n = getline(buf, cap, stdin);
    if (n < 0)
        return NULL;
    if (n > 0 && (*buf)[n - 1] == '\n')
        (*buf)[n - 1] = '\0';
    printf("%s%s\n", prompt, *buf); /* a piped session reads like a typed one */
    return *buf;
}

/* ---- the session ---- */

static bool formed(const run_t *r)
{
    uint32_t live = 0;
    for (uint32_t i = 0; i < r->sc->nodes; i++)
        if (!r->nodes[i].started && !r->nodes[i].failed)
            return false;
    for (uint32_t i = 0; i < r->n; i++)
        live += run_is_live(r, i);
    if (live == 0)
        return false;
    for (uint32_t i = 0; i < r->n; i++)
        if (run_is_live(r, i) && member_count(r->nodes[i].member) != live - 1)
            return false;
    for (uint32_t i = 0; i < r->n; i++)
        if (run_is_live(r, i) && !listed_by_all(r, i))
            return false;
    return true;
}

static int read_file(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n > MAX_FILE_BYTES)
            break;
        if (n == cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf || bad || n > MAX_FILE_BYTES) {
        fprintf(stderr, "%s: %s\n", path, !buf ? "out of memory" : bad ? "read error"
                                                                          : "larger than 16 MiB");
        free(buf);
        return -1;
    }
    *text = buf;
    *len = n;
    return 0;
}

static void console_free(console_t *c)
{
    scenario_free(&c->sc[c->cur]);
    free(c->text);
    free(c->shown);
    free(c->gone);
    free(c->coming);
}

int console_main(const console_opts_t *o)
{
    console_t con = { .name = o->file ? o->file : "console", .file = o->file }, *c = &con;
    char *file_text = NULL;
    size_t file_len = 0;
    if (o->file && read_file(o->file, &file_text, &file_len) != 0)
        return 2;
    if (!o->file && !(file_text = strdup(DEFAULT_TEXT)))
        return 1;
    if (!o->file)
        file_len = strlen(file_text);
    scenario_t file_sc;
    char err[SCENARIO_ERR_LEN];
    if (scenario_parse(c->name, file_text, file_len, &file_sc, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        free(file_text);
        return 2;
    }
    if (file_sc.warnings)
        fputs(file_sc.warnings, stderr);
    uint64_t seed = o->seed_given ? o->seed : file_sc.seed_set ? file_sc.seed : o->seed_default;
    c->planned = o->file ? app_ticks(&file_sc) : 0;
    int rc = start_text(c, file_text, file_len, &file_sc, seed);
    scenario_free(&file_sc);
    free(file_text);
    if (rc != 0 || scenario_parse(c->name, c->text, c->len, &c->sc[0], err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", rc != 0 ? "Application: out of memory" : err);
        free(c->text);
        return rc != 0 ? 1 : 2;
    }
    c->shown = calloc(c->sc[0].nevents ? c->sc[0].nevents : 1, 1);
    c->opts = (app_opts_t){ .testcase = c->name, .seed = seed, .dbg_path = "dbg.log",
                            .stats_path = "stats.log", .msgcount_path = "msgcount.log",
                            .state_path = o->state_path, .out = stdout };
    if (!c->shown || !(c->s = app_open(&c->sc[0], &c->opts))) {
        console_free(c);
        return 1;
    }
    c->r = app_run_state(c->s);
    observer_t obs = { .on_event = on_event, .ctx = c };
    app_observe(c->s, &obs);
    c->tty = isatty(STDIN_FILENO);
    printf("seed: %llu; %u nodes%s%s. Type help for the commands.\n", (unsigned long long)seed,
           (unsigned)c->sc[0].nodes, o->file ? " from " : "", o->file ? o->file : "");
    /* Up to the ring formed: every node started, every live node listing every other. */
    uint32_t limit = c->planned > FORM_LIMIT ? c->planned : FORM_LIMIT;
    while (app_ticks_run(c->s) < limit) {
        step_one(c);
        if (formed(c->r))
            break;
    }
    if (formed(c->r))
        say(c, now_tick(c), "the ring has formed: %u live nodes list each other",
            (unsigned)c->sc[c->cur].nodes - c->r->nfailed);
    else
        say(c, now_tick(c), "the ring has not formed by tick %u; commands work all the same",
            (unsigned)now_tick(c));
    if (c->tty) {
        completion_console = c;
        rl_attempted_completion_function = complete;
    }
    char *line = NULL;
    size_t cap = 0;
    while (!c->done && !c->fatal && read_command(c, &line, &cap)) {
        execute(c, line);
        app_flush(c->s); /* dbg.log up to date between commands: tail -f works */
    }
    free(line);
    if (!c->done && !c->fatal)
        putchar('\n');
    uint32_t end = c->fatal ? app_ticks_run(c->s) : horizon(c);
    if (end > app_ticks_run(c->s))
        out("running ticks %u to %u, to the end of the run", (unsigned)app_ticks_run(c->s),
            (unsigned)end - 1);
    app_set_end(c->s, end);
    while (!c->fatal && app_ticks_run(c->s) < end)
        step_one(c);
    fflush(stdout);
    rc = app_finish(c->s);
    console_free(c);
    if (rc == 0 && c->failed && !c->tty)
        rc = 1;
    return rc;
}
