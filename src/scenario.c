/* scenario.c: the testcase file parser. A file is lines of `KEY: value`; each key is described
 * once in a table (kind, range, field), so new keys are one table row. Comments start with '#'. */
#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define MAX_FILE_BYTES (16u << 20)

typedef enum { K_UINT, K_FLAG, K_PROB, K_ENUM, K_U64 } kind_t;

typedef struct {
    const char *key;
    kind_t kind;
    size_t offset;    /* field in scenario_t */
    long long min, max; /* K_UINT */
    const char *const *names; /* K_ENUM: names, index = enum value - 1 */
    const char *what; /* for messages: what the value means */
} setting_t;

static const char *const crud_names[] = { "CREATE", "READ", "UPDATE", "DELETE", NULL };

static const setting_t settings[] = {
    { "MAX_NNB", K_UINT, offsetof(scenario_t, nodes), 1, SCENARIO_MAX_NODES, NULL,
      "the number of nodes" },
    { "SINGLE_FAILURE", K_FLAG, offsetof(scenario_t, single_failure), 0, 1, NULL,
      "1 to fail one node at tick 100, 0 to fail half of them" },
    { "DROP_MSG", K_FLAG, offsetof(scenario_t, drop_msg), 0, 1, NULL,
      "1 to lose messages from tick 50 to 300" },
    { "MSG_DROP_PROB", K_PROB, offsetof(scenario_t, drop_prob), 0, 0, NULL,
      "the probability that a message is lost" },
    { "CRUD_TEST", K_ENUM, offsetof(scenario_t, crud_test), 0, 0, crud_names,
      "the key-value test to run" },
    { "NUM_KEYS", K_UINT, offsetof(scenario_t, keys), 1, SCENARIO_MAX_KEYS, NULL,
      "the number of keys a CRUD test creates" },
    { "SEED", K_U64, offsetof(scenario_t, seed), 0, 0, NULL,
      "the seed of the run when the command line gives none" },
    { "TICKS", K_UINT, offsetof(scenario_t, ticks_setting), 1, SCENARIO_MAX_TICKS, NULL,
      "the length of the run in ticks" },
    { "GOSSIP_PERIOD", K_UINT, offsetof(scenario_t, gossip_period), 1, 1000, NULL,
      "the ticks between two gossip rounds of a node" },
    { "FANOUT", K_UINT, offsetof(scenario_t, fanout), 1, 64, NULL,
      "the members a node gossips to per round" },
    { "T_FAIL", K_UINT, offsetof(scenario_t, t_fail), 1, 1000000, NULL,
      "the ticks without a heartbeat before a member is suspected" },
    { "T_REMOVE", K_UINT, offsetof(scenario_t, t_remove), 1, 1000000, NULL,
      "the ticks of suspicion before a member is removed" },
    { "COORDINATOR_TIMEOUT", K_UINT, offsetof(scenario_t, coord_timeout), 1, 1000000, NULL,
      "the ticks a coordinator waits for its quorum" },
    { "REPLICAS", K_UINT, offsetof(scenario_t, replicas), 3, 3, NULL,
      "the replicas per key: every key is kept on exactly 3 (primary, secondary, tertiary), "
      "so only 3 is accepted" },
    { "QUORUM", K_UINT, offsetof(scenario_t, quorum), 2, 2, NULL,
      "the replies an operation needs: a majority of the 3 replicas, so only 2 is accepted" },
    { "PROBE_TIMEOUT", K_UINT, offsetof(scenario_t, probe_timeout), 1, 1000000, NULL,
      "the ticks of probing without a newer heartbeat before a member is declared failed" },
    { "KV_STORE", K_FLAG, offsetof(scenario_t, kv_store), 0, 1, NULL,
      "1 to run the key-value store even when no statement uses it" },
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static size_t setting_index(const char *key)
{
    size_t i = 0;
    while (i < NSETTINGS - 1 && strcmp(settings[i].key, key) != 0)
        i++;
    return i;
}

typedef struct {
    const char *name;
    unsigned line;
    char *err;
    size_t errlen;
    unsigned set_on[NSETTINGS]; /* line where each key was set, 0 if not */
    unsigned statements;        /* statement lines seen */
    scenario_t *sc;             /* what is being read (its table of node names) */
    const char *forms;          /* the valid forms of the statement being read */
} parser_t;

static int fail_at(parser_t *p, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(parser_t *p, unsigned col, const char *fmt, ...)
{
    int n = col ? snprintf(p->err, p->errlen, "%s:%u:%u: ", p->name, p->line, col)
                : snprintf(p->err, p->errlen, "%s: ", p->name);
    if (n >= 0 && (size_t)n < p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Appends "name:line:col: warning: ..." to the scenario's warnings (dropped without memory:
 * a warning never stops a run). */
static void warn_at(parser_t *p, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void warn_at(parser_t *p, unsigned line, unsigned col, const char *fmt, ...)
{
    char msg[512];
    int n = snprintf(msg, sizeof msg, "%s:%u:%u: warning: ", p->name, line, col);
    if (n < 0 || (size_t)n >= sizeof msg)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    size_t old = p->sc->warnings ? strlen(p->sc->warnings) : 0, add = strlen(msg);
    char *w = realloc(p->sc->warnings, old + add + 2);
    if (!w)
        return;
    memcpy(w + old, msg, add);
    w[old + add] = '\n';
    w[old + add + 1] = '\0';
    p->sc->warnings = w;
}

/* Copies up to 40 bytes of s into out for a message, escaping what is not printable. */
static const char *quote(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == 40) {
            o += (size_t)snprintf(out + o, cap - o, "...");
            break;
        }
        if (isprint(c))
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
    }
    out[o] = '\0';
    return out;
}

static size_t edit_distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (toupper((unsigned char)a[i - 1]) !=
                                        toupper((unsigned char)b[j - 1]));
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof prev);
    }
    return prev[lb];
}

const char *scenario_nearest(const char *s, size_t len, const char *const *words, size_t n)
{
    const char *best = NULL;
    size_t best_d = (len + 2) / 3 + 1; /* allow about one edit per three letters */
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(s, len, words[i]);
        if (d < best_d) {
            best_d = d;
            best = words[i];
        }
    }
    return best;
}

static void valid_keys(char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < NSETTINGS && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ", " : "", settings[i].key);
}

static int parse_value(parser_t *p, const setting_t *s, scenario_t *sc, const char *v,
                       size_t vlen, unsigned col)
{
    char q[200];
    char tmp[64];
    void *field = (char *)sc + s->offset;
    if (vlen >= sizeof tmp)
        return fail_at(p, col, "malformed value '%s' for %s: too long", quote(v, vlen, q, sizeof q),
                       s->key);
    memcpy(tmp, v, vlen);
    tmp[vlen] = '\0';
    switch (s->kind) {
    case K_UINT: {
        char *end;
        errno = 0;
        long long x = strtoll(tmp, &end, 10);
        if (end == tmp || *end != '\0' || !(isdigit((unsigned char)tmp[0]) || tmp[0] == '-' || tmp[0] == '+'))
            return fail_at(p, col, "malformed value '%s' for %s: expected a whole number (%s)",
                           quote(v, vlen, q, sizeof q), s->key, s->what);
        if ((errno == ERANGE || x < s->min || x > s->max) && s->min == s->max)
            return fail_at(p, col, "unsupported value %s for %s: %s",
                           quote(v, vlen, q, sizeof q), s->key, s->what);
        if (errno == ERANGE || x < s->min || x > s->max)
            return fail_at(p, col, "out-of-range value %s for %s: %s must be between %lld and %lld",
                           quote(v, vlen, q, sizeof q), s->key, s->what, s->min, s->max);
        *(uint32_t *)field = (uint32_t)x;
        return 0;
    }
    case K_FLAG:
        if (strcmp(tmp, "0") != 0 && strcmp(tmp, "1") != 0)
            return fail_at(p, col, "%s value '%s' for %s: expected 0 or 1 (%s)",
                           strspn(tmp, "0123456789+-") == vlen ? "out-of-range" : "malformed",
                           quote(v, vlen, q, sizeof q), s->key, s->what);
        *(bool *)field = tmp[0] == '1';
        return 0;
    case K_PROB: {
        char *end;
        double x = strtod(tmp, &end);
        if (end == tmp || *end != '\0' || strspn(tmp, "0123456789.eE+-") != vlen)
            return fail_at(p, col, "malformed value '%s' for %s: expected a number between 0 and 1 (%s)",
                           quote(v, vlen, q, sizeof q), s->key, s->what);
        if (!(x >= 0.0 && x <= 1.0))
            return fail_at(p, col, "out-of-range value %s for %s: %s must be between 0 and 1",
                           quote(v, vlen, q, sizeof q), s->key, s->what);
        *(double *)field = x;
        return 0;
    }
    case K_U64: {
        if (!isdigit((unsigned char)tmp[0]) || strspn(tmp, "0123456789") != vlen)
            return fail_at(p, col, "malformed value '%s' for %s: expected a whole number (%s)",
                           quote(v, vlen, q, sizeof q), s->key, s->what);
        errno = 0;
        unsigned long long x = strtoull(tmp, NULL, 10);
        if (errno == ERANGE)
            return fail_at(p, col, "out-of-range value %s for %s: at most 18446744073709551615",
                           quote(v, vlen, q, sizeof q), s->key);
        *(uint64_t *)field = x;
        return 0;
    }
    case K_ENUM: {
        size_t n = 0;
        while (s->names[n])
            n++;
        for (size_t i = 0; i < n; i++)
            if (strcmp(tmp, s->names[i]) == 0) {
                *(crud_test_t *)field = (crud_test_t)(i + 1);
                return 0;
            }
        const char *near = scenario_nearest(v, vlen, s->names, n);
        char list[128];
        size_t o = 0;
        list[0] = '\0';
        for (size_t i = 0; i < n; i++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", s->names[i]);
        if (near)
            return fail_at(p, col, "unknown %s '%s' (did you mean %s?); valid: %s", s->key,
                           quote(v, vlen, q, sizeof q), near, list);
        return fail_at(p, col, "unknown %s '%s'; valid: %s", s->key, quote(v, vlen, q, sizeof q),
                       list);
    }
    }
    return fail_at(p, col, "internal error: unknown setting kind");
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int is_key_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static void event_free(event_t *e)
{
    free(e->key_name);
    free(e->value);
    free(e->expect_value);
    free(e->binds);
}

/* Appends the event, which then owns its strings (freed here if memory runs out). */
static int add_event(scenario_t *sc, event_t ev)
{
    if (sc->nevents == sc->events_cap) {
        size_t cap = sc->events_cap ? sc->events_cap * 2 : 16;
        event_t *e = realloc(sc->events, cap * sizeof *e);
        if (!e) {
            event_free(&ev);
            return -1;
        }
        sc->events = e;
        sc->events_cap = cap;
    }
    ev.seq = (uint32_t)sc->nevents;
    sc->events[sc->nevents++] = ev;
    return 0;
}

/* The classic KV schedule (README, "Key-value tests"): keys are created once every node has
 * been started for 50 ticks, and no earlier than tick 100; the test begins 50 ticks later. */
#define KV_INVALID_VALUE "invalidValue"
#define KV_NEW_VALUE "newValue"

/* ---- statements: "at T ...", "from T1 to T2 drop P", "expect node N removed by T" ---- */

#define MAX_TOKENS 16

typedef struct {
    const char *s;
    size_t len;
    unsigned col; /* 1-based column in the line */
} tok_t;

/* The valid forms, by the statement's first word: an error lists those of its statement. */
#define NODES_NOTE "(NODES: ids and ranges like 1-5,8; '->' for '|' or 'and': one way only; N: an " \
                   "id, an address or a name bound by 'as')"
static const char FORMS_AT[] =
    "valid forms: 'at T fail node N', 'at T fail [K] random nodes [as NAME,...]', "
    "'at T fail primary|secondary|tertiary of KEY [as NAME]', "
    "'at T fail non-replica of KEY [as NAME]', "
    "'at T restart node N [keep data]', 'at T pause node N for D', 'at T add K nodes', "
    "'at T create|update KEY VALUE [via N] [expect success|fail]', "
    "'at T read KEY [via N] [expect success|fail|value VALUE|latest]', "
    "'at T delete KEY [via N] [expect success|fail]', 'at T expect no lost writes' " NODES_NOTE;
static const char FORMS_FROM[] =
    "valid forms: 'from T1 to T2 drop P [between NODES and NODES]', "
    "'from T1 to T2 partition NODES | NODES', 'from T1 to T2 delay D [between NODES and NODES]', "
    "'from T1 to T2 reorder D [between NODES and NODES]', "
    "'from T1 to T2 duplicate P [between NODES and NODES]', "
    "'from T1 to T2 workload R per tick on K keys [mix READ/UPDATE/DELETE]' " NODES_NOTE;
static const char FORMS_EXPECT[] =
    "valid forms: 'expect node N removed|listed by T', 'expect key KEY replicated by T', "
    "'expect key KEY on N nodes by T', 'expect membership converged by T', "
    "'expect no lost writes' " NODES_NOTE;

/* How many of the token's bytes, from the start, are in `set` (never reads past the token). */
static size_t tok_span(const tok_t *t, const char *set)
{
    size_t k = 0;
    while (k < t->len && strchr(set, t->s[k]) && t->s[k] != '\0')
        k++;
    return k;
}

static bool word_is(const tok_t *t, const char *w)
{
    return t->len == strlen(w) && memcmp(t->s, w, t->len) == 0;
}

static bool starts_statement(const char *s, size_t len)
{
    static const char *const words[] = { "at", "from", "expect" };
    for (size_t k = 0; k < 3; k++) {
        size_t w = strlen(words[k]);
        if (len >= w && memcmp(s, words[k], w) == 0 && (len == w || is_blank(s[w])))
            return true;
    }
    return false;
}

static int tokenize(parser_t *p, const char *line, size_t start, size_t len, tok_t *toks,
                    size_t *n)
{
    *n = 0;
    for (size_t i = start; i < len;) {
        while (i < len && is_blank(line[i]))
            i++;
        if (i == len)
            break;
        size_t b = i;
        while (i < len && !is_blank(line[i]))
            i++;
        if (*n == MAX_TOKENS)
            return fail_at(p, (unsigned)b + 1, "too many words in a statement; %s", p->forms);
        toks[(*n)++] = (tok_t){ line + b, i - b, (unsigned)b + 1 };
    }
    return 0;
}

/* `what` expected at token i, which is missing or wrong. */
static int expected_at(parser_t *p, const tok_t *toks, size_t n, size_t i, const char *what,
                       const char *const *words, size_t nwords)
{
    char q[200];
    if (i >= n) {
        unsigned col = n ? toks[n - 1].col + (unsigned)toks[n - 1].len + 1 : 1;
        return fail_at(p, col, "statement ends early: expected %s; %s", what, p->forms);
    }
    const char *near = words ? scenario_nearest(toks[i].s, toks[i].len, words, nwords) : NULL;
    if (near)
        return fail_at(p, toks[i].col, "expected %s, found '%s' (did you mean %s?); %s", what,
                       quote(toks[i].s, toks[i].len, q, sizeof q), near, p->forms);
    return fail_at(p, toks[i].col, "expected %s, found '%s'; %s", what,
                   quote(toks[i].s, toks[i].len, q, sizeof q), p->forms);
}

static int need_word(parser_t *p, const tok_t *toks, size_t n, size_t i, const char *w)
{
    if (i < n && word_is(&toks[i], w))
        return 0;
    char what[40];
    snprintf(what, sizeof what, "'%s'", w);
    const char *words[] = { w };
    return expected_at(p, toks, n, i, what, words, 1);
}

/* A whole number in [min, max] at token i. */
static int need_uint(parser_t *p, const tok_t *toks, size_t n, size_t i, const char *what,
                     uint32_t min, uint32_t max, uint32_t *out)
{
    if (i >= n || tok_span(&toks[i], "0123456789") < toks[i].len)
        return expected_at(p, toks, n, i, what, NULL, 0);
    char q[200];
    if (toks[i].len > 10)
        return fail_at(p, toks[i].col, "out-of-range %s %s: must be between %u and %u", what,
                       quote(toks[i].s, toks[i].len, q, sizeof q), (unsigned)min, (unsigned)max);
    unsigned long long v = 0;
    for (size_t k = 0; k < toks[i].len; k++)
        v = v * 10 + (unsigned)(toks[i].s[k] - '0');
    if (v < min || v > max)
        return fail_at(p, toks[i].col, "out-of-range %s %llu: must be between %u and %u", what, v,
                       (unsigned)min, (unsigned)max);
    *out = (uint32_t)v;
    return 0;
}

/* The number (plus one) of node name `t` in the scenario's table, adding it if new; 0 if
 * memory runs out. */
static uint32_t intern_name(parser_t *p, const tok_t *t)
{
    scenario_t *sc = p->sc;
    for (size_t k = 0; k < sc->nnames; k++)
        if (strlen(sc->names[k]) == t->len && memcmp(sc->names[k], t->s, t->len) == 0)
            return (uint32_t)k + 1;
    char **names = realloc(sc->names, (sc->nnames + 1) * sizeof *names);
    if (!names)
        return 0;
    sc->names = names;
    char *copy = strndup(t->s, t->len);
    if (!copy)
        return 0;
    sc->names[sc->nnames++] = copy;
    return (uint32_t)sc->nnames;
}

/* Whether a word is a node name: a letter, then letters, digits, '_' or '-', at most 32. */
static bool is_name(const tok_t *t)
{
    if (t->len == 0 || t->len > 32 || !isalpha((unsigned char)t->s[0]))
        return false;
    return tok_span(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == t->len;
}

static int need_node(parser_t *p, const tok_t *toks, size_t n, size_t i, uint32_t *id);

/* A node reference: an id, an address, or a name bound by an earlier 'as' (*name_ref: the
 * name's number plus one, *id 0); whether the name is bound in time is checked later. */
static int need_node_ref(parser_t *p, const tok_t *toks, size_t n, size_t i, uint32_t *id,
                         uint32_t *name_ref)
{
    *name_ref = 0;
    if (i < n && is_name(&toks[i])) {
        *id = 0;
        *name_ref = intern_name(p, &toks[i]);
        return *name_ref ? 0 : fail_at(p, 0, "out of memory");
    }
    return need_node(p, toks, n, i, id);
}

/* Optional "as NAME[,NAME...]" at token i, binding `count` names to the nodes the failure picks;
 * then the end of the statement. */
static int parse_as(parser_t *p, const tok_t *toks, size_t n, size_t i, uint32_t count,
                    event_t *ev)
{
    if (i == n)
        return 0;
    static const char *const words[] = { "as" };
    if (!word_is(&toks[i], "as"))
        return expected_at(p, toks, n, i, "the end of the statement or 'as NAME'", words, 1);
    if (i + 1 >= n)
        return expected_at(p, toks, n, i + 1, count == 1 ? "a node name" : "node names like a,b",
                           NULL, 0);
    if (i + 2 < n)
        return expected_at(p, toks, n, i + 2, "the end of the statement", NULL, 0);
    const tok_t *t = &toks[i + 1];
    ev->binds = calloc(count, sizeof *ev->binds);
    if (!ev->binds)
        return fail_at(p, 0, "out of memory");
    size_t at = 0;
    char q[200];
    for (uint32_t k = 0; k < count; k++) {
        size_t end = at;
        while (end < t->len && t->s[end] != ',')
            end++;
        tok_t name = { t->s + at, end - at, t->col + (unsigned)at };
        if (!is_name(&name))
            return fail_at(p, name.col, "bad node name '%s': a letter, then letters, digits, '_' "
                           "or '-' (at most 32)", quote(name.s, name.len, q, sizeof q));
        for (uint32_t j = 0; j < k; j++)
            if (strlen(p->sc->names[ev->binds[j] - 1]) == name.len &&
                memcmp(p->sc->names[ev->binds[j] - 1], name.s, name.len) == 0)
                return fail_at(p, name.col, "node name '%s' twice in one statement",
                               quote(name.s, name.len, q, sizeof q));
        if (!(ev->binds[k] = intern_name(p, &name)))
            return fail_at(p, 0, "out of memory");
        ev->nbinds++;
        if (end == t->len && k + 1 < count)
            return fail_at(p, t->col, "%u node names needed, one for each node this fails, "
                           "separated by commas: found %u", (unsigned)count, (unsigned)k + 1);
        if (end < t->len && k + 1 == count)
            return fail_at(p, t->col + (unsigned)end, "%u node name%s needed, one for each node "
                           "this fails: found more", (unsigned)count, count == 1 ? "" : "s");
        at = end + 1;
    }
    return 0;
}

/* A node: its id ("3") or its address ("3.0.0.0:0"); ids are checked against MAX_NNB later. */
static int need_node(parser_t *p, const tok_t *toks, size_t n, size_t i, uint32_t *id)
{
    if (i < n && memchr(toks[i].s, '.', toks[i].len)) {
        unsigned b[4], port;
        char buf[40], tail;
        if (toks[i].len < sizeof buf && tok_span(&toks[i], "0123456789.:") == toks[i].len) {
            memcpy(buf, toks[i].s, toks[i].len);
            buf[toks[i].len] = '\0';
            if (sscanf(buf, "%3u.%3u.%3u.%3u:%5u%c", &b[0], &b[1], &b[2], &b[3], &port, &tail) == 5 &&
                b[0] < 256 && b[1] < 256 && b[2] < 256 && b[3] < 256 && port == 0) {
                *id = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
                if (*id >= 1 && *id <= SCENARIO_MAX_NODES)
                    return 0;
            }
        }
        return expected_at(p, toks, n, i, "a node id or address (like 3 or 3.0.0.0:0, port 0)",
                           NULL, 0);
    }
    return need_uint(p, toks, n, i, "node id", 1, SCENARIO_MAX_NODES, id);
}

static int need_text(parser_t *p, const tok_t *toks, size_t n, size_t i, bool is_key, char **out)
{
    char q[200];
    if (i >= n)
        return expected_at(p, toks, n, i, is_key ? "a key" : "a value", NULL, 0);
    if (!wire_kv_text_ok(toks[i].s, toks[i].len, is_key))
        return fail_at(p, toks[i].col, "bad %s '%s': 1 to %d printable characters without spaces",
                       is_key ? "key" : "value", quote(toks[i].s, toks[i].len, q, sizeof q),
                       is_key ? KV_MAX_KEY : KV_MAX_VALUE);
    *out = strndup(toks[i].s, toks[i].len);
    return *out ? 0 : fail_at(p, 0, "out of memory");
}

/* Optional "expect success|fail" (and for reads "expect value V") from token i to the end. */
static int parse_expectation(parser_t *p, const tok_t *toks, size_t n, size_t i, event_t *ev)
{
    if (i == n)
        return 0;
    static const char *const forms[] = { "expect", "via" };
    if (!word_is(&toks[i], "expect"))
        return expected_at(p, toks, n, i,
                           ev->via ? "the end of the statement or 'expect'"
                                   : "the end of the statement, 'via N' or 'expect'",
                           forms, ev->via ? 1 : 2);
    static const char *const outcomes[] = { "success", "fail", "value", "latest" };
    size_t nout = ev->op == KV_READ ? 4 : 2;
    if (i + 1 < n && word_is(&toks[i + 1], "success"))
        ev->expect = EXPECT_SUCCESS;
    else if (ev->op == KV_READ && i + 1 < n && word_is(&toks[i + 1], "latest"))
        ev->expect = EXPECT_LATEST;
    else if (i + 1 < n && word_is(&toks[i + 1], "fail"))
        ev->expect = EXPECT_FAIL;
    else if (ev->op == KV_READ && i + 1 < n && word_is(&toks[i + 1], "value")) {
        ev->expect = EXPECT_VALUE;
        if (need_text(p, toks, n, i + 2, false, &ev->expect_value) != 0)
            return -1;
        i++;
    } else
        return expected_at(p, toks, n, i + 1,
                           ev->op == KV_READ ? "'success', 'fail', 'value VALUE' or 'latest'"
                                             : "'success' or 'fail'", outcomes, nout);
    if (i + 2 < n)
        return expected_at(p, toks, n, i + 2, "the end of the statement", NULL, 0);
    return 0;
}

static int parse_fail(parser_t *p, const tok_t *toks, size_t n, event_t *ev)
{
    static const char *const what[] = { "node", "primary", "secondary", "tertiary", "non-replica" };
    if (n > 3 && word_is(&toks[3], "node")) {
        ev->kind = EV_FAIL_NODE;
        ev->node_col = n > 4 ? toks[4].col : ev->col;
        if (need_node_ref(p, toks, n, 4, &ev->node, &ev->node_name) != 0)
            return -1;
        return n > 5 ? expected_at(p, toks, n, 5, "the end of the statement", NULL, 0) : 0;
    }
    for (int role = 0; role < 3; role++)
        if (n > 3 && word_is(&toks[3], what[role + 1])) {
            ev->kind = EV_FAIL_ROLE;
            ev->role = role;
            ev->key = EV_KEY_NAMED;
            if (need_word(p, toks, n, 4, "of") != 0 || need_text(p, toks, n, 5, true, &ev->key_name) != 0)
                return -1;
            return parse_as(p, toks, n, 6, 1, ev);
        }
    if (n > 3 && word_is(&toks[3], "non-replica")) {
        ev->kind = EV_FAIL_NON_REPLICA;
        ev->key = EV_KEY_NAMED;
        if (need_word(p, toks, n, 4, "of") != 0 || need_text(p, toks, n, 5, true, &ev->key_name) != 0)
            return -1;
        return parse_as(p, toks, n, 6, 1, ev);
    }
    if (n > 3 && word_is(&toks[3], "random")) { /* "fail random node": one */
        ev->kind = EV_FAIL_RANDOM;
        ev->count = 1;
        if (n <= 4 || !(word_is(&toks[4], "node") || word_is(&toks[4], "nodes")))
            return need_word(p, toks, n, 4, "node");
        return parse_as(p, toks, n, 5, 1, ev);
    }
    if (n > 3 && toks[3].len > 0 && tok_span(&toks[3], "0123456789") == toks[3].len) {
        ev->kind = EV_FAIL_RANDOM;
        if (need_uint(p, toks, n, 3, "number of nodes", 1, SCENARIO_MAX_NODES, &ev->count) != 0 ||
            need_word(p, toks, n, 4, "random") != 0)
            return -1;
        if (n <= 5 || !(word_is(&toks[5], "nodes") || word_is(&toks[5], "node")))
            return need_word(p, toks, n, 5, "nodes");
        return parse_as(p, toks, n, 6, ev->count, ev);
    }
    return expected_at(p, toks, n, 3, "'node N', 'K random nodes', 'primary|secondary|tertiary "
                       "of KEY' or 'non-replica of KEY'", what, 5);
}

static int parse_op(parser_t *p, const tok_t *toks, size_t n, int op, event_t *ev)
{
    ev->kind = EV_KV_OP;
    ev->op = op;
    ev->key = EV_KEY_NAMED;
    if (need_text(p, toks, n, 3, true, &ev->key_name) != 0)
        return -1;
    size_t next = 4;
    if (op == KV_CREATE || op == KV_UPDATE) {
        if (need_text(p, toks, n, 4, false, &ev->value) != 0)
            return -1;
        next = 5;
    }
    if (next < n && word_is(&toks[next], "via")) {
        ev->via = true;
        ev->node_col = next + 1 < n ? toks[next + 1].col : ev->col;
        if (need_node_ref(p, toks, n, next + 1, &ev->node, &ev->node_name) != 0)
            return -1;
        next += 2;
    }
    return parse_expectation(p, toks, n, next, ev);
}

/* NODES: comma-separated ids and ranges ("1-5,8"); sets `bit` in groups[id], growing it. */
static int parse_group(parser_t *p, const tok_t *t, uint8_t bit, uint8_t **groups, size_t *n)
{
    char q[200];
    size_t i = 0;
    while (i < t->len) {
        unsigned long a = 0, b;
        size_t d = 0;
        while (i < t->len && isdigit((unsigned char)t->s[i]) && d < 6) {
            a = a * 10 + (unsigned)(t->s[i++] - '0');
            d++;
        }
        b = a;
        if (d > 0 && i < t->len && t->s[i] == '-') {
            i++;
            size_t e = 0;
            for (b = 0; i < t->len && isdigit((unsigned char)t->s[i]) && e < 6; e++)
                b = b * 10 + (unsigned)(t->s[i++] - '0');
            if (e == 0)
                d = 0;
        }
        if (d == 0 || a < 1 || b < a || b > SCENARIO_MAX_NODES ||
            (i < t->len && t->s[i] != ','))
            return fail_at(p, t->col, "bad node list '%s': expected ids and ranges like 1-5,8 "
                           "(ids 1 to %u, no blanks)", quote(t->s, t->len, q, sizeof q),
                           SCENARIO_MAX_NODES);
        if (i < t->len && ++i == t->len) /* a comma must be followed by another id */
            return fail_at(p, t->col, "bad node list '%s': expected ids and ranges like 1-5,8 "
                           "(ids 1 to %u, no blanks)", quote(t->s, t->len, q, sizeof q),
                           SCENARIO_MAX_NODES);
        if (b + 1 > *n) {
            uint8_t *g = realloc(*groups, b + 1);
            if (!g)
                return fail_at(p, 0, "out of memory");
            memset(g + *n, 0, b + 1 - *n);
            *groups = g;
            *n = b + 1;
        }
        for (unsigned long id = a; id <= b; id++)
            (*groups)[id] |= bit;
    }
    return 0;
}

/* "from T1 to T2 drop P | partition A | B | delay D [between A and B] | workload ..." */
/* A probability from 0 to 1 at token i. */
static int need_prob(parser_t *p, const tok_t *toks, size_t n, size_t i, double *out)
{
    char num[32], *end;
    double prob = -1.0;
    if (i < n && toks[i].len < sizeof num && tok_span(&toks[i], "0123456789.") == toks[i].len) {
        memcpy(num, toks[i].s, toks[i].len);
        num[toks[i].len] = '\0';
        prob = strtod(num, &end);
        if (end == num || *end)
            prob = -1.0;
    }
    if (prob < 0.0 || prob > 1.0)
        return i < n ? fail_at(p, toks[i].col, "bad probability: expected a number from 0 to 1")
                     : expected_at(p, toks, n, i, "a probability from 0 to 1", NULL, 0);
    *out = prob;
    return 0;
}

/* Optional from token i to the end: "between NODES and NODES" (the links both ways) or
 * "between NODES -> NODES" (from the first group to the second only). Without it the window
 * covers every link. *first_list: the column of the first node list. */
static int parse_between(parser_t *p, const tok_t *toks, size_t n, size_t i, link_spec_t *l,
                         unsigned *first_list)
{
    static const char *const seps[] = { "and", "->" };
    if (i == n)
        return 0;
    if (!word_is(&toks[i], "between")) {
        static const char *const words[] = { "between" };
        return expected_at(p, toks, n, i, "the end of the statement or 'between'", words, 1);
    }
    if (i + 1 >= n)
        return expected_at(p, toks, n, i + 1, "a node list like 1-5,8", NULL, 0);
    if (i + 2 >= n || (!word_is(&toks[i + 2], "and") && !word_is(&toks[i + 2], "->")))
        return expected_at(p, toks, n, i + 2, "'and' (both ways) or '->' (one way)", seps, 2);
    if (i + 3 >= n)
        return expected_at(p, toks, n, i + 3, "a node list like 1-5,8", NULL, 0);
    if (i + 4 < n)
        return expected_at(p, toks, n, i + 4, "the end of the statement", NULL, 0);
    l->one_way = word_is(&toks[i + 2], "->");
    *first_list = toks[i + 1].col;
    if (parse_group(p, &toks[i + 1], 1, &l->groups, &l->ngroups) != 0)
        return -1;
    return parse_group(p, &toks[i + 3], 2, &l->groups, &l->ngroups);
}

/* Adds the parsed link window (rc: how its parse went; it is freed on failure). */
static int add_link(parser_t *p, scenario_t *sc, link_spec_t *l, int rc, unsigned first_list)
{
    if (rc == 0 && l->groups) {
        for (size_t id = 0; id < l->ngroups; id++)
            if (l->groups[id] == 3) {
                free(l->groups);
                return fail_at(p, first_list, "node %zu is in both groups", id);
            }
    }
    link_spec_t *nl = rc == 0 ? realloc(sc->links, (sc->nlinks + 1) * sizeof *nl) : NULL;
    if (!nl) {
        free(l->groups);
        return rc != 0 ? -1 : fail_at(p, 0, "out of memory");
    }
    sc->links = nl;
    sc->links[sc->nlinks++] = *l;
    return 0;
}

static int parse_window(parser_t *p, scenario_t *sc, const tok_t *toks, size_t n)
{
    uint32_t from, to;
    char q[200];
    static const char *const kinds[] = { "drop", "partition", "delay", "reorder", "duplicate",
                                         "workload" };
    if (need_uint(p, toks, n, 1, "tick", 0, SCENARIO_MAX_TICKS, &from) != 0 ||
        need_word(p, toks, n, 2, "to") != 0 ||
        need_uint(p, toks, n, 3, "tick", 0, SCENARIO_MAX_TICKS, &to) != 0)
        return -1;
    if (to <= from)
        return fail_at(p, toks[3].col, "empty window: 'from %u to %u' ends before it starts "
                       "(the window covers ticks from T1 up to, not including, T2)",
                       (unsigned)from, (unsigned)to);
    if (n > 4 && word_is(&toks[4], "drop")) {
        double prob;
        if (need_prob(p, toks, n, 5, &prob) != 0)
            return -1;
        if (n > 6) { /* on the links between two groups: a link rule */
            link_spec_t l = { .from = from, .to = to, .loss = prob, .line = p->line,
                              .col = toks[0].col };
            unsigned first_list = 0;
            int rc = parse_between(p, toks, n, 6, &l, &first_list);
            if (rc == 0 && !l.groups)
                rc = expected_at(p, toks, n, 6, "'between'", NULL, 0);
            return add_link(p, sc, &l, rc, first_list);
        }
        loss_spec_t *l = realloc(sc->loss, (sc->nloss + 1) * sizeof *l);
        if (!l)
            return fail_at(p, 0, "out of memory");
        sc->loss = l;
        sc->loss[sc->nloss++] = (loss_spec_t){ from, to, prob, p->line, toks[0].col };
        return 0;
    }
    if (n > 4 && word_is(&toks[4], "workload")) {
        event_t ev = { .tick = from, .until = to, .kind = EV_WORKLOAD, .line = p->line,
                       .col = toks[0].col, .mix = { 60, 30, 10 } };
        if (need_uint(p, toks, n, 5, "operations per tick", 1, 100000, &ev.rate) != 0 ||
            need_word(p, toks, n, 6, "per") != 0 || need_word(p, toks, n, 7, "tick") != 0 ||
            need_word(p, toks, n, 8, "on") != 0 ||
            need_uint(p, toks, n, 9, "number of keys", 1, SCENARIO_MAX_KEYS, &ev.nkeys) != 0 ||
            need_word(p, toks, n, 10, "keys") != 0)
            return -1;
        if (n > 11) {
            unsigned r, u, d;
            char buf[32], tail;
            if (!word_is(&toks[11], "mix"))
                return need_word(p, toks, n, 11, "mix");
            if (n < 13 || toks[12].len >= sizeof buf)
                return expected_at(p, toks, n, 12, "a mix READ/UPDATE/DELETE in percent, like "
                                   "60/30/10", NULL, 0);
            memcpy(buf, toks[12].s, toks[12].len);
            buf[toks[12].len] = '\0';
            if (tok_span(&toks[12], "0123456789/") != toks[12].len ||
                sscanf(buf, "%3u/%3u/%3u%c", &r, &u, &d, &tail) != 3 || r + u + d != 100)
                return fail_at(p, toks[12].col, "bad mix '%s': three percentages READ/UPDATE/DELETE "
                               "that add up to 100, like 60/30/10",
                               quote(toks[12].s, toks[12].len, q, sizeof q));
            ev.mix[0] = (uint8_t)r;
            ev.mix[1] = (uint8_t)u;
            ev.mix[2] = (uint8_t)d;
            if (n > 13)
                return expected_at(p, toks, n, 13, "the end of the statement", NULL, 0);
        }
        return add_event(sc, ev) == 0 ? 0 : fail_at(p, 0, "out of memory");
    }
    link_spec_t l = { .from = from, .to = to, .line = p->line, .col = toks[0].col };
    int rc = 0;
    unsigned first_list = 0; /* column of the first node list, for errors about the groups */
    if (n > 4 && word_is(&toks[4], "partition")) {
        static const char *const seps[] = { "|", "->" };
        l.cut = true;
        if (n > 6 && !word_is(&toks[6], "|") && !word_is(&toks[6], "->")) {
            rc = expected_at(p, toks, n, 6, "'|' (both ways) or '->' (one way)", seps, 2);
        } else if (n != 8) {
            rc = n > 8 ? expected_at(p, toks, n, 8, "the end of the statement", NULL, 0)
                       : expected_at(p, toks, n, n < 6 ? 5 : n < 7 ? 6 : 7,
                                     "'NODES | NODES' or 'NODES -> NODES' (two node lists)", NULL, 0);
        } else {
            l.one_way = word_is(&toks[6], "->");
            first_list = toks[5].col;
            rc = parse_group(p, &toks[5], 1, &l.groups, &l.ngroups);
            if (rc == 0)
                rc = parse_group(p, &toks[7], 2, &l.groups, &l.ngroups);
        }
    } else if (n > 4 && word_is(&toks[4], "delay")) {
        rc = need_uint(p, toks, n, 5, "delay in ticks", 1, 1000, &l.delay);
        if (rc == 0)
            rc = parse_between(p, toks, n, 6, &l, &first_list);
    } else if (n > 4 && word_is(&toks[4], "reorder")) {
        rc = need_uint(p, toks, n, 5, "the most extra ticks", 1, 1000, &l.reorder);
        if (rc == 0)
            rc = parse_between(p, toks, n, 6, &l, &first_list);
    } else if (n > 4 && word_is(&toks[4], "duplicate")) {
        rc = need_prob(p, toks, n, 5, &l.duplicate);
        if (rc == 0)
            rc = parse_between(p, toks, n, 6, &l, &first_list);
    } else {
        return expected_at(p, toks, n, 4, "'drop', 'partition', 'delay', 'reorder', 'duplicate' or "
                           "'workload'", kinds, sizeof kinds / sizeof kinds[0]);
    }
    return add_link(p, sc, &l, rc, first_list);
}

/* "expect ..." from token i: a check of the run's state at a tick ("by T"), or at the end. */
static int parse_expect(parser_t *p, const tok_t *toks, size_t n, size_t i, event_t *ev)
{
    static const char *const subjects[] = { "node", "key", "no", "membership" };
    if (i < n && word_is(&toks[i], "no")) { /* "expect no lost writes": judged at the end */
        ev->kind = EV_EXPECT_NO_LOST_WRITES;
        if (need_word(p, toks, n, i + 1, "lost") != 0 || need_word(p, toks, n, i + 2, "writes") != 0)
            return -1;
        ev->tick = UINT32_MAX; /* placed last */
        return i + 3 < n ? expected_at(p, toks, n, i + 3, "the end of the statement", NULL, 0) : 0;
    }
    size_t by; /* where "by T" is */
    if (i < n && word_is(&toks[i], "membership")) {
        ev->kind = EV_EXPECT_CONVERGED;
        if (need_word(p, toks, n, i + 1, "converged") != 0)
            return -1;
        by = i + 2;
    } else if (i < n && word_is(&toks[i], "key")) {
        static const char *const what[] = { "replicated", "on" };
        ev->key = EV_KEY_NAMED;
        if (need_text(p, toks, n, i + 1, true, &ev->key_name) != 0)
            return -1;
        if (i + 2 < n && word_is(&toks[i + 2], "on")) {
            ev->kind = EV_EXPECT_KEY_ON;
            if (need_uint(p, toks, n, i + 3, "number of nodes", 0, SCENARIO_MAX_NODES,
                          &ev->count) != 0)
                return -1;
            if (i + 4 >= n || !(word_is(&toks[i + 4], "nodes") || word_is(&toks[i + 4], "node")))
                return need_word(p, toks, n, i + 4, "nodes");
            by = i + 5;
        } else if (i + 2 < n && word_is(&toks[i + 2], "replicated")) {
            ev->kind = EV_EXPECT_REPLICATED;
            by = i + 3;
        } else {
            return expected_at(p, toks, n, i + 2, "'replicated' or 'on N nodes'", what, 2);
        }
    } else if (i < n && word_is(&toks[i], "node")) {
        static const char *const what[] = { "removed", "listed" };
        ev->node_col = i + 1 < n ? toks[i + 1].col : ev->col;
        if (need_node_ref(p, toks, n, i + 1, &ev->node, &ev->node_name) != 0)
            return -1;
        if (i + 2 < n && word_is(&toks[i + 2], "listed"))
            ev->kind = EV_EXPECT_LISTED;
        else if (i + 2 < n && word_is(&toks[i + 2], "removed"))
            ev->kind = EV_EXPECT_REMOVED;
        else
            return expected_at(p, toks, n, i + 2, "'removed' or 'listed'", what, 2);
        by = i + 3;
    } else {
        return expected_at(p, toks, n, i, "'node N removed|listed by T', 'key KEY replicated by "
                           "T', 'key KEY on N nodes by T', 'membership converged by T' or 'no "
                           "lost writes'", subjects, 4);
    }
    if (need_word(p, toks, n, by, "by") != 0 ||
        need_uint(p, toks, n, by + 1, "tick", 0, SCENARIO_MAX_TICKS, &ev->tick) != 0)
        return -1;
    return by + 2 < n ? expected_at(p, toks, n, by + 2, "the end of the statement", NULL, 0) : 0;
}

/* One statement; `start` is where its first word begins in the line. */
static int parse_statement(parser_t *p, scenario_t *sc, const char *line, size_t start,
                           size_t len)
{
    tok_t toks[MAX_TOKENS];
    size_t n;
    size_t w = 0;
    while (start + w < len && !is_blank(line[start + w]))
        w++;
    p->forms = w == 4 && memcmp(line + start, "from", 4) == 0     ? FORMS_FROM
               : w == 6 && memcmp(line + start, "expect", 6) == 0 ? FORMS_EXPECT
                                                                   : FORMS_AT;
    if (tokenize(p, line, start, len, toks, &n) != 0)
        return -1;
    event_t ev = { .line = p->line, .col = toks[0].col };
    int rc = -1;
    if (word_is(&toks[0], "from"))
        return parse_window(p, sc, toks, n);
    if (word_is(&toks[0], "expect")) {
        if (parse_expect(p, toks, n, 1, &ev) != 0) {
            event_free(&ev);
            return -1;
        }
        sc->nexpect++;
        return add_event(sc, ev) == 0 ? 0 : fail_at(p, 0, "out of memory");
    }
    /* "at T ..." */
    static const char *const actions[] = { "fail", "create", "read", "update", "delete",
                                           "restart", "add", "pause" };
    if (need_uint(p, toks, n, 1, "tick", 0, SCENARIO_MAX_TICKS, &ev.tick) != 0)
        return -1;
    if (n > 2 && word_is(&toks[2], "expect")) { /* a checkpoint: "at T expect no lost writes" */
        ev.kind = EV_EXPECT_NO_LOST_WRITES;
        if (need_word(p, toks, n, 3, "no") != 0 || need_word(p, toks, n, 4, "lost") != 0 ||
            need_word(p, toks, n, 5, "writes") != 0)
            return -1;
        if (n > 6)
            return expected_at(p, toks, n, 6, "the end of the statement", NULL, 0);
        ev.checkpoint = true;
        sc->nexpect++;
        return add_event(sc, ev) == 0 ? 0 : fail_at(p, 0, "out of memory");
    }
    if (n > 2 && word_is(&toks[2], "fail"))
        rc = parse_fail(p, toks, n, &ev);
    else if (n > 2 && word_is(&toks[2], "create"))
        rc = parse_op(p, toks, n, KV_CREATE, &ev);
    else if (n > 2 && word_is(&toks[2], "read"))
        rc = parse_op(p, toks, n, KV_READ, &ev);
    else if (n > 2 && word_is(&toks[2], "update"))
        rc = parse_op(p, toks, n, KV_UPDATE, &ev);
    else if (n > 2 && word_is(&toks[2], "delete"))
        rc = parse_op(p, toks, n, KV_DELETE, &ev);
    else if (n > 2 && word_is(&toks[2], "restart")) {
        ev.kind = EV_RESTART;
        ev.node_col = n > 4 ? toks[4].col : ev.col;
        rc = need_word(p, toks, n, 3, "node");
        if (rc == 0)
            rc = need_node_ref(p, toks, n, 4, &ev.node, &ev.node_name);
        if (rc == 0 && n > 5) {
            static const char *const keep[] = { "keep" };
            if (!word_is(&toks[5], "keep"))
                rc = expected_at(p, toks, n, 5, "the end of the statement or 'keep data'", keep, 1);
            else if ((rc = need_word(p, toks, n, 6, "data")) == 0 && n > 7)
                rc = expected_at(p, toks, n, 7, "the end of the statement", NULL, 0);
            ev.keep_data = true;
        }
    } else if (n > 2 && word_is(&toks[2], "pause")) {
        ev.kind = EV_PAUSE;
        ev.node_col = n > 4 ? toks[4].col : ev.col;
        rc = need_word(p, toks, n, 3, "node");
        if (rc == 0)
            rc = need_node_ref(p, toks, n, 4, &ev.node, &ev.node_name);
        if (rc == 0)
            rc = need_word(p, toks, n, 5, "for");
        if (rc == 0)
            rc = need_uint(p, toks, n, 6, "pause in ticks", 1, SCENARIO_MAX_TICKS, &ev.count);
        if (rc == 0 && n > 7)
            rc = expected_at(p, toks, n, 7, "the end of the statement", NULL, 0);
    } else if (n > 2 && word_is(&toks[2], "add")) {
        ev.kind = EV_ADD_NODES;
        rc = need_uint(p, toks, n, 3, "number of nodes", 1, SCENARIO_MAX_NODES, &ev.count);
        if (rc == 0 && (n < 5 || !(word_is(&toks[4], "nodes") || word_is(&toks[4], "node"))))
            rc = need_word(p, toks, n, 4, "nodes");
        if (rc == 0 && n > 5)
            rc = expected_at(p, toks, n, 5, "the end of the statement", NULL, 0);
        if (rc == 0 && sc->added + ev.count > SCENARIO_MAX_NODES)
            rc = fail_at(p, toks[3].col, "too many nodes added: at most %u nodes in all",
                         SCENARIO_MAX_NODES);
        if (rc == 0)
            sc->added += ev.count;
    } else
        rc = expected_at(p, toks, n, 2, "an action (fail, restart, pause, add, create, read, "
                         "update, delete)", actions, 8);
    if (rc != 0) {
        event_free(&ev);
        return -1;
    }
    if (ev.expect != EXPECT_NONE)
        sc->nexpect++;
    return add_event(sc, ev) == 0 ? 0 : fail_at(p, 0, "out of memory");
}

/* One line, without its newline. */
static int parse_line(parser_t *p, scenario_t *sc, const char *line, size_t len)
{
    char q[200];
    const char *nul = memchr(line, '\0', len);
    if (nul)
        return fail_at(p, (unsigned)(nul - line) + 1, "NUL byte in the file (is it a text file?)");
    const char *hash = memchr(line, '#', len);
    if (hash)
        len = (size_t)(hash - line);
    size_t i = 0;
    while (i < len && is_blank(line[i]))
        i++;
    while (len > i && is_blank(line[len - 1]))
        len--;
    if (i == len)
        return 0; /* blank or comment-only line */
    if (starts_statement(line + i, len - i)) {
        p->statements++;
        return parse_statement(p, sc, line, i, len);
    }
    size_t key_start = i;
    while (i < len && is_key_char(line[i]))
        i++;
    size_t key_len = i - key_start;
    while (i < len && is_blank(line[i]))
        i++;
    if (key_len == 0 || i == len || line[i] != ':') {
        /* A misspelled statement word ("expct node 3 ...") is more likely than a bad setting. */
        static const char *const starts[] = { "at", "from", "expect" };
        const char *near = key_len ? scenario_nearest(line + key_start, key_len, starts, 3) : NULL;
        if (near && (i == len || line[i] != ':'))
            return fail_at(p, (unsigned)key_start + 1, "unknown word '%s' (did you mean %s?): a "
                           "line is a setting 'KEY: value' or a statement starting with at, from "
                           "or expect", quote(line + key_start, key_len, q, sizeof q), near);
        return fail_at(p, (unsigned)(key_len ? i : key_start) + 1,
                       "expected 'KEY: value' or a statement (at, from, expect), found '%s'",
                       quote(line + key_start, len - key_start, q, sizeof q));
    }
    size_t colon = i++;
    while (i < len && is_blank(line[i]))
        i++;
    const char *key = line + key_start;
    size_t k;
    for (k = 0; k < NSETTINGS; k++)
        if (strlen(settings[k].key) == key_len && memcmp(settings[k].key, key, key_len) == 0)
            break;
    if (k == NSETTINGS) {
        char list[256];
        valid_keys(list, sizeof list);
        const char *names[NSETTINGS];
        for (size_t j = 0; j < NSETTINGS; j++)
            names[j] = settings[j].key;
        const char *near = scenario_nearest(key, key_len, names, NSETTINGS);
        if (near)
            return fail_at(p, (unsigned)key_start + 1, "unknown key '%s' (did you mean %s?); valid keys: %s",
                           quote(key, key_len, q, sizeof q), near, list);
        return fail_at(p, (unsigned)key_start + 1, "unknown key '%s'; valid keys: %s",
                       quote(key, key_len, q, sizeof q), list);
    }
    if (p->set_on[k])
        return fail_at(p, (unsigned)key_start + 1, "duplicate key %s (already set on line %u)",
                       settings[k].key, p->set_on[k]);
    if (i == len)
        return fail_at(p, (unsigned)colon + 2, "missing value for %s (%s)", settings[k].key,
                       settings[k].what);
    const char *value = line + i;
    size_t vlen = len - i;
    for (size_t j = 0; j < vlen; j++)
        if (is_blank(value[j]))
            return fail_at(p, (unsigned)(i + j) + 1,
                           "malformed value '%s' for %s: expected a single value",
                           quote(value, vlen, q, sizeof q), settings[k].key);
    if (parse_value(p, &settings[k], sc, value, vlen, (unsigned)i + 1) != 0)
        return -1;
    p->set_on[k] = p->line;
    return 0;
}

static int add_op(scenario_t *sc, uint32_t tick, int op, int32_t key, const char *value)
{
    char *v = value ? strdup(value) : NULL;
    if (value && !v)
        return -1;
    return add_event(sc, (event_t){ .tick = tick, .kind = EV_KV_OP, .op = op, .key = key,
                                    .value = v });
}

/* READ on the 1st key or UPDATE on the 2nd: the five steps of classic-compat.md section 5. */
static int add_read_update_steps(scenario_t *sc, uint32_t t, int op)
{
    int32_t key = op == KV_READ ? 0 : 1;
    const char *value = op == KV_READ ? NULL : KV_NEW_VALUE;
    const char *invalid_value = op == KV_READ ? NULL : KV_INVALID_VALUE;
    int rc = add_op(sc, t, op, key, value);
    rc |= add_event(sc, (event_t){ .tick = t + 25, .kind = EV_FAIL_REPLICAS, .count = 1, .key = key });
    rc |= add_op(sc, t + 25, op, key, value);
    rc |= add_event(sc, (event_t){ .tick = t + 75, .kind = EV_FAIL_REPLICAS, .count = 2, .key = key });
    rc |= add_op(sc, t + 75, op, key, value);
    rc |= add_op(sc, t + 125, op, key, value);
    rc |= add_event(sc, (event_t){ .tick = t + 135, .kind = EV_FAIL_NON_REPLICA, .key = key });
    rc |= add_op(sc, t + 135, op, key, value);
    rc |= add_op(sc, t + 135, op, EV_KEY_INVALID, invalid_value);
    return rc;
}

static int derive_kv_timeline(parser_t *p, scenario_t *sc)
{
    static const uint32_t min_keys[] = { [CRUD_CREATE] = 1, [CRUD_READ] = 1, [CRUD_UPDATE] = 2,
                                         [CRUD_DELETE] = 51 };
    if (sc->keys < min_keys[sc->crud_test]) {
        p->line = p->set_on[setting_index("NUM_KEYS")];
        return fail_at(p, p->line ? 1 : 0, "NUM_KEYS %u is too few for CRUD_TEST %s, which needs "
                       "at least %u keys", (unsigned)sc->keys, crud_test_name(sc->crud_test),
                       (unsigned)min_keys[sc->crud_test]);
    }
    uint32_t last_start = (sc->nodes - 1) / 4; /* four nodes start per tick */
    uint32_t insert = last_start + 50 > 100 ? last_start + 50 : 100;
    uint32_t t = insert + 50;
    if (t + 185 > sc->ticks)
        sc->ticks = t + 185;
    int rc = add_event(sc, (event_t){ .tick = insert, .kind = EV_KV_INSERT, .count = sc->keys });
    switch (sc->crud_test) {
    case CRUD_READ: rc |= add_read_update_steps(sc, t, KV_READ); break;
    case CRUD_UPDATE: rc |= add_read_update_steps(sc, t, KV_UPDATE); break;
    case CRUD_DELETE:
        for (int32_t k = 1; k <= 50; k++)
            rc |= add_op(sc, t, KV_DELETE, k, NULL);
        rc |= add_op(sc, t, KV_DELETE, EV_KEY_INVALID, NULL);
        break;
    default: break;
    }
    return rc ? fail_at(p, 0, "out of memory") : 0;
}

/* Turns the classic keys into the classic timeline: membership failures, or a KV test. */
static int derive_timeline(parser_t *p, scenario_t *sc)
{
    sc->ticks = 700;
    int rc = 0;
    if (sc->crud_test != CRUD_NONE) {
        if (derive_kv_timeline(p, sc) != 0)
            return -1;
    } else if ((p->statements > 0 || sc->kv_store) &&
               !p->set_on[setting_index("SINGLE_FAILURE")]) {
        /* A file with statements (or KV_STORE: 1) says itself what fails, unless it sets
         * SINGLE_FAILURE. */
    } else if (sc->single_failure) {
        sc->fit_to_size = !sc->ticks_setting && p->statements == 0;
        rc = add_event(sc, (event_t){ .tick = 100, .kind = EV_FAIL_RANDOM_NODE, .count = 1 });
    } else if (sc->nodes / 2 > 0) {
        sc->fit_to_size = !sc->ticks_setting && p->statements == 0;
        rc = add_event(sc, (event_t){ .tick = 100, .kind = EV_FAIL_RANDOM_BLOCK,
                                      .count = sc->nodes / 2 });
    }
    if (rc == 0 && sc->drop_msg && sc->drop_prob > 0.0) {
        loss_spec_t *l = realloc(sc->loss, (sc->nloss + 1) * sizeof *l);
        if (!l) {
            rc = -1;
        } else {
            /* First, like the classic events: windows added at the end keep their place. */
            sc->loss = l;
            memmove(sc->loss + 1, sc->loss, sc->nloss * sizeof *sc->loss);
            sc->loss[0] = (loss_spec_t){ 50, 300, sc->drop_prob, 0, 0 };
            sc->nloss++;
        }
    }
    if (rc != 0)
        return fail_at(p, 0, "out of memory");
    return 0;
}

/* What can only be checked once the whole file is read: node ids against MAX_NNB. */
static int check_statements(parser_t *p, scenario_t *sc)
{
    uint32_t total = sc->nodes;
    for (size_t i = 0; i < sc->nevents; i++) { /* in file order: no sort yet */
        const event_t *e = &sc->events[i];
        if (e->kind != EV_ADD_NODES)
            continue;
        total += e->count;
        if (total > SCENARIO_MAX_NODES) {
            p->line = e->line;
            return fail_at(p, e->col, "too many nodes: MAX_NNB %u plus the nodes added comes to "
                           "%u, at most %u", (unsigned)sc->nodes, (unsigned)total,
                           SCENARIO_MAX_NODES);
        }
    }
    for (size_t i = 0; i < sc->nevents; i++) {
        const event_t *e = &sc->events[i];
        p->line = e->line;
        uint32_t all = sc->nodes + sc->added;
        if ((e->kind == EV_FAIL_NODE || e->kind == EV_EXPECT_REMOVED || e->kind == EV_RESTART ||
             e->kind == EV_PAUSE || e->kind == EV_EXPECT_LISTED || (e->kind == EV_KV_OP && e->via)) &&
            e->node > all)
            return fail_at(p, e->node_col, "no node %u: there are %u nodes (MAX_NNB %u%s), numbered "
                           "from 1 (node 1 is the introducer, address 1.0.0.0:0)",
                           (unsigned)e->node, (unsigned)all, (unsigned)sc->nodes,
                           sc->added ? " plus those added" : "");
        if (e->kind == EV_FAIL_RANDOM && e->count > sc->nodes)
            return fail_at(p, e->col, "cannot fail %u random nodes: MAX_NNB is %u",
                           (unsigned)e->count, (unsigned)sc->nodes);
    }
    return 0;
}

/* Node lists of partitions and delays against the number of nodes. */
static int check_links(parser_t *p, scenario_t *sc)
{
    uint32_t all = sc->nodes + sc->added;
    if (all > SCENARIO_MAX_NODES) {
        p->line = 0;
        return fail_at(p, 0, "%u nodes with those added: at most %u", (unsigned)all,
                       SCENARIO_MAX_NODES);
    }
    for (size_t i = 0; i < sc->nlinks; i++) {
        const link_spec_t *l = &sc->links[i];
        if (l->groups && l->ngroups > (size_t)all + 1) {
            p->line = l->line;
            return fail_at(p, l->col, "no node %zu: there are %u nodes", l->ngroups - 1,
                           (unsigned)all);
        }
    }
    return 0;
}

/* Node names, with the events in the order they happen: a name is used only after the failure
 * that binds it, and bound once. */
static int check_names(parser_t *p, scenario_t *sc)
{
    if (sc->nnames == 0)
        return 0;
    const event_t **by = calloc(sc->nnames, sizeof *by); /* the event that binds each name */
    if (!by)
        return fail_at(p, 0, "out of memory");
    int rc = 0;
    for (size_t pass = 0; pass < 2 && rc == 0; pass++) /* 0: find the binders; 1: judge */
        for (size_t i = 0; i < sc->nevents && rc == 0; i++) {
            const event_t *e = &sc->events[i];
            p->line = e->line;
            if (pass == 1 && e->node_name) {
                const event_t *b = by[e->node_name - 1];
                const char *nm = sc->names[e->node_name - 1];
                if (!b)
                    rc = fail_at(p, e->node_col, "node name '%s' is not bound: bind it with "
                                 "'as %s' on a failure (like 'at 120 fail random node as %s')",
                                 nm, nm, nm);
                else if (b > e)
                    rc = fail_at(p, e->node_col, "node name '%s' is used before it is bound: "
                                 "line %u binds it at tick %u, after this statement (tick %u)",
                                 nm, b->line, (unsigned)b->tick, (unsigned)e->tick);
            }
            for (uint32_t k = 0; pass == 0 && k < e->nbinds && rc == 0; k++) {
                if (by[e->binds[k] - 1])
                    rc = fail_at(p, e->col, "node name '%s' is bound twice (line %u binds it "
                                 "already)", sc->names[e->binds[k] - 1], by[e->binds[k] - 1]->line);
                else
                    by[e->binds[k] - 1] = e;
            }
        }
    free(by);
    return rc;
}

/* Statements that will do nothing, settings that make every operation fail, very long runs:
 * warnings, not errors. Node states are followed through the sorted events as far as they are
 * known: after a failure of a node chosen at random (or named), a restart may concern any node,
 * and is not warned about. */
static void find_warnings(parser_t *p, scenario_t *sc)
{
    uint32_t all = sc->nodes + sc->added;
    bool kv = sc->crud_test != CRUD_NONE || sc->kv_store;
    for (size_t i = 0; i < sc->nevents; i++)
        kv |= sc->events[i].kind == EV_KV_OP || sc->events[i].kind == EV_WORKLOAD;
    unsigned at = p->set_on[setting_index("MAX_NNB")];
    if (kv && sc->nodes == 1 && sc->added == 0)
        warn_at(p, at, 1, "MAX_NNB 1: every operation fails, a quorum needs 2 replicas");
    else if (kv && sc->nodes == 2 && sc->added == 0)
        warn_at(p, at, 1, "MAX_NNB 2: an operation needs both nodes (a quorum of 2 of 2), so "
                "any failure stops every operation");
    if (sc->ticks > 100000) {
        unsigned line = p->set_on[setting_index("TICKS")];
        warn_at(p, line ? line : 1, 1, "the run lasts %u ticks: longer than 100000, it may take "
                "a long time", (unsigned)sc->ticks);
    }
    enum { UNSTARTED, RUNNING, FAILED };
    uint8_t *state = calloc((size_t)all + 1, 1);
    if (!state)
        return;
    for (uint32_t id = 1; id <= sc->nodes; id++)
        state[id] = RUNNING;
    uint32_t added = 0;
    bool unknown = false; /* some failure of a node not known here has happened */
    for (size_t i = 0; i < sc->nevents; i++) {
        const event_t *e = &sc->events[i];
        uint32_t id = e->node_name ? 0 : e->node;
        if (e->kind == EV_ADD_NODES) {
            for (uint32_t k = 0; k < e->count && sc->nodes + added < all; k++)
                state[sc->nodes + ++added] = RUNNING;
        } else if (e->kind == EV_FAIL_RANDOM || e->kind == EV_FAIL_ROLE ||
                   e->kind == EV_FAIL_NON_REPLICA || e->kind == EV_FAIL_RANDOM_NODE ||
                   e->kind == EV_FAIL_RANDOM_BLOCK || e->kind == EV_FAIL_REPLICAS ||
                   (e->kind == EV_FAIL_NODE && !id)) {
            unknown = true;
        } else if (e->kind == EV_FAIL_NODE && id <= all) {
            if (state[id] == FAILED)
                warn_at(p, e->line, e->col, "node %u has failed already at tick %u: this "
                        "failure does nothing", (unsigned)id, (unsigned)e->tick);
            state[id] = FAILED;
        } else if (e->kind == EV_RESTART && id && id <= all) {
            if (state[id] == RUNNING && !unknown)
                warn_at(p, e->line, e->col, "node %u is running at tick %u: this restart does "
                        "nothing (only a failed node restarts)", (unsigned)id, (unsigned)e->tick);
            state[id] = RUNNING;
        } else if (e->kind == EV_PAUSE && id && id <= all && state[id] != RUNNING) {
            warn_at(p, e->line, e->col, "node %u is not running at tick %u (%s): this pause "
                    "does nothing", (unsigned)id, (unsigned)e->tick,
                    state[id] == FAILED ? "it failed" : "it is not added yet");
        }
    }
    free(state);
}

static int event_order(const void *a, const void *b)
{
    const event_t *x = a, *y = b;
    if (x->tick != y->tick)
        return x->tick < y->tick ? -1 : 1;
    /* Events derived from the classic keys (line 0) come first, as if the keys were expanded
     * at the top of the file: a statement added at the end of a file (a console session does)
     * then never moves before them. */
    if ((x->line == 0) != (y->line == 0))
        return x->line == 0 ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* A window [from, *to) that ends after a run of T ticks: an error when it starts after the run
 * too, else cut at T with a warning. */
static int cut_window(parser_t *p, unsigned line, unsigned col, const char *what, uint32_t from,
                      uint32_t *to, uint32_t T)
{
    p->line = line;
    if (from >= T)
        return fail_at(p, col, "the %s starts at tick %u, after the run: TICKS is %u (ticks 0 "
                       "to %u)", what, (unsigned)from, (unsigned)T, (unsigned)T - 1);
    warn_at(p, line, col, "the %s ends at tick %u, after the run (TICKS is %u): it stops at "
            "the end of the run", what, (unsigned)*to, (unsigned)T);
    *to = T;
    return 0;
}

/* Sorts the events by tick (file order within a tick) and sets the run's length: TICKS if
 * given (every event must fall inside it), else long enough for the last event to play out. */
static int settle_timeline(parser_t *p, scenario_t *sc)
{
    if (sc->nevents > 1)
        qsort(sc->events, sc->nevents, sizeof *sc->events, event_order);
    uint32_t last = 0;
    for (size_t i = 0; i < sc->nevents; i++) {
        const event_t *e = &sc->events[i];
        uint32_t end = e->kind == EV_WORKLOAD ? e->until : e->tick;
        if ((e->kind != EV_EXPECT_NO_LOST_WRITES || e->checkpoint) && end > last)
            last = end;
    }
    for (size_t i = 0; i < sc->nlinks; i++)
        if (sc->links[i].to > last)
            last = sc->links[i].to;
    for (size_t i = 0; i < sc->nloss; i++)
        if (sc->loss[i].line && sc->loss[i].to > last)
            last = sc->loss[i].to;
    if (sc->ticks_setting) {
        for (size_t i = 0; i < sc->nevents; i++) {
            const event_t *e = &sc->events[i];
            if (e->tick < sc->ticks_setting || (e->kind == EV_EXPECT_NO_LOST_WRITES &&
                                                 !e->checkpoint))
                continue;
            p->line = e->line;
            if (e->line)
                return fail_at(p, e->col, "tick %u is not inside the run: TICKS is %u (ticks 0 "
                               "to %u)", (unsigned)e->tick, (unsigned)sc->ticks_setting,
                               (unsigned)sc->ticks_setting - 1);
            p->line = p->set_on[setting_index("TICKS")];
            if (sc->crud_test != CRUD_NONE)
                return fail_at(p, 1, "TICKS %u is too short for CRUD_TEST %s, which runs until "
                               "tick %u", (unsigned)sc->ticks_setting,
                               crud_test_name(sc->crud_test), (unsigned)last);
            return fail_at(p, 1, "TICKS %u ends before tick %u, when the classic failure "
                           "(SINGLE_FAILURE) happens", (unsigned)sc->ticks_setting,
                           (unsigned)e->tick);
        }
        /* A window or workload that starts inside the run and ends after it acts until the end:
         * cut there, with a warning. One that starts after the run would do nothing: an error,
         * as for events. */
        const uint32_t T = sc->ticks_setting;
        for (size_t i = 0; i < sc->nloss; i++)
            if (sc->loss[i].line && sc->loss[i].to > T &&
                cut_window(p, sc->loss[i].line, sc->loss[i].col, "window", sc->loss[i].from,
                           &sc->loss[i].to, T) != 0)
                return -1;
        for (size_t i = 0; i < sc->nlinks; i++)
            if (sc->links[i].to > T && cut_window(p, sc->links[i].line, sc->links[i].col,
                                                  "window", sc->links[i].from,
                                                  &sc->links[i].to, T) != 0)
                return -1;
        for (size_t i = 0; i < sc->nevents; i++)
            if (sc->events[i].kind == EV_WORKLOAD && sc->events[i].until > T &&
                cut_window(p, sc->events[i].line, sc->events[i].col, "workload",
                           sc->events[i].tick, &sc->events[i].until, T) != 0)
                return -1;
        sc->ticks = sc->ticks_setting;
    } else if (last + 50 > sc->ticks) {
        sc->ticks = last + 50; /* at most SCENARIO_MAX_TICKS + 50 */
    }
    return 0;
}

int scenario_parse(const char *name, const char *text, size_t len, scenario_t *sc, char *err,
                   size_t errlen)
{
    memset(sc, 0, sizeof *sc);
    sc->keys = SCENARIO_CLASSIC_KEYS;
    parser_t p = { .name = name, .err = err, .errlen = errlen, .sc = sc };
    size_t pos = 0;
    while (pos < len) {
        p.line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (parse_line(&p, sc, text + pos, end - pos) != 0) {
            scenario_free(sc);
            return -1;
        }
        pos = end + 1;
    }
    if (!p.set_on[0]) {
        p.line = 1;
        scenario_free(sc);
        return fail_at(&p, 1, "missing MAX_NNB (the number of nodes): add a line 'MAX_NNB: 10'");
    }
    sc->seed_set = p.set_on[setting_index("SEED")] != 0;
    if (check_statements(&p, sc) != 0 || check_links(&p, sc) != 0 || derive_timeline(&p, sc) != 0 ||
        settle_timeline(&p, sc) != 0 || check_names(&p, sc) != 0) {
        scenario_free(sc);
        return -1;
    }
    find_warnings(&p, sc);
    return 0;
}

int scenario_load(const char *path, scenario_t *sc, char *err, size_t errlen)
{
    memset(sc, 0, sizeof *sc);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    int rc = -1;
    while (buf) {
        size_t n = fread(buf + len, 1, cap + 1 - len, f);
        len += n;
        if (len > MAX_FILE_BYTES) {
            snprintf(err, errlen, "%s: too large for a testcase (over %u bytes)", path,
                     MAX_FILE_BYTES);
            goto out;
        }
        if (len <= cap) { /* short read: end of file or an error */
            if (ferror(f)) {
                snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
                goto out;
            }
            rc = scenario_parse(path, buf, len, sc, err, errlen);
            goto out;
        }
        char *nb = realloc(buf, cap * 2 + 1);
        if (!nb)
            break;
        buf = nb;
        cap *= 2;
    }
    snprintf(err, errlen, "%s: out of memory", path);
out:
    free(buf);
    fclose(f);
    return rc;
}

void scenario_free(scenario_t *sc)
{
    for (size_t i = 0; i < sc->nevents; i++)
        event_free(&sc->events[i]);
    free(sc->events);
    for (size_t i = 0; i < sc->nlinks; i++)
        free(sc->links[i].groups);
    free(sc->links);
    free(sc->loss);
    for (size_t i = 0; i < sc->nnames; i++)
        free(sc->names[i]);
    free(sc->names);
    free(sc->warnings);
    memset(sc, 0, sizeof *sc);
}

const char *crud_test_name(crud_test_t t)
{
    return t >= CRUD_CREATE && t <= CRUD_DELETE ? crud_names[t - 1] : "NONE";
}
