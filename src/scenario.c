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

typedef enum { K_UINT, K_FLAG, K_PROB, K_ENUM } kind_t;

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
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

typedef struct {
    const char *name;
    unsigned line;
    char *err;
    size_t errlen;
    unsigned set_on[NSETTINGS]; /* line where each key was set, 0 if not */
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
            size_t sub = prev[j - 1] + (toupper((unsigned char)a[i - 1]) != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof prev);
    }
    return prev[lb];
}

/* The valid word closest to s, if it is close enough to be a likely typo. */
static const char *nearest(const char *s, size_t len, const char *const *words, size_t n)
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
    case K_ENUM: {
        size_t n = 0;
        while (s->names[n])
            n++;
        for (size_t i = 0; i < n; i++)
            if (strcmp(tmp, s->names[i]) == 0) {
                *(crud_test_t *)field = (crud_test_t)(i + 1);
                return 0;
            }
        const char *near = nearest(v, vlen, s->names, n);
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
    size_t key_start = i;
    while (i < len && is_key_char(line[i]))
        i++;
    size_t key_len = i - key_start;
    while (i < len && is_blank(line[i]))
        i++;
    if (key_len == 0 || i == len || line[i] != ':')
        return fail_at(p, (unsigned)(key_len ? i : key_start) + 1,
                       "expected 'KEY: value', found '%s'",
                       quote(line + key_start, len - key_start, q, sizeof q));
    size_t colon = i++;
    while (i < len && is_blank(line[i]))
        i++;
    const char *key = line + key_start;
    size_t k;
    for (k = 0; k < NSETTINGS; k++)
        if (strlen(settings[k].key) == key_len && memcmp(settings[k].key, key, key_len) == 0)
            break;
    if (k == NSETTINGS) {
        char list[200];
        valid_keys(list, sizeof list);
        const char *names[NSETTINGS];
        for (size_t j = 0; j < NSETTINGS; j++)
            names[j] = settings[j].key;
        const char *near = nearest(key, key_len, names, NSETTINGS);
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

static int add_event(scenario_t *sc, event_t ev)
{
    event_t *e = realloc(sc->events, (sc->nevents + 1) * sizeof *e);
    if (!e)
        return -1;
    sc->events = e;
    sc->events[sc->nevents++] = ev;
    return 0;
}

/* The classic KV schedule (README, "Key-value tests"): keys are created once every node has
 * been started for 50 ticks, and no earlier than tick 100; the test begins 50 ticks later. */
#define KV_INVALID_VALUE "invalidValue"
#define KV_NEW_VALUE "newValue"

static int add_op(scenario_t *sc, uint32_t tick, int op, int32_t key, const char *value)
{
    return add_event(sc, (event_t){ .tick = tick, .kind = EV_KV_OP, .op = op, .key = key,
                                    .value = value });
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
        p->line = p->set_on[NSETTINGS - 1];
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
    } else if (sc->single_failure) {
        rc = add_event(sc, (event_t){ 100, EV_FAIL_RANDOM_NODE, 1, 0, 0, NULL });
    } else if (sc->nodes / 2 > 0) {
        rc = add_event(sc, (event_t){ 100, EV_FAIL_RANDOM_BLOCK, sc->nodes / 2, 0, 0, NULL });
    }
    if (rc == 0 && sc->drop_msg && sc->drop_prob > 0.0) {
        sc->loss = malloc(sizeof *sc->loss);
        if (!sc->loss)
            rc = -1;
        else
            sc->loss[sc->nloss++] = (loss_spec_t){ 50, 300, sc->drop_prob };
    }
    if (rc != 0)
        return fail_at(p, 0, "out of memory");
    return 0;
}

int scenario_parse(const char *name, const char *text, size_t len, scenario_t *sc, char *err,
                   size_t errlen)
{
    memset(sc, 0, sizeof *sc);
    sc->keys = SCENARIO_CLASSIC_KEYS;
    parser_t p = { .name = name, .err = err, .errlen = errlen };
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
        p.line = 0;
        scenario_free(sc);
        return fail_at(&p, 0, "missing MAX_NNB (the number of nodes): add a line 'MAX_NNB: 10'");
    }
    if (derive_timeline(&p, sc) != 0) {
        scenario_free(sc);
        return -1;
    }
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
    free(sc->events);
    free(sc->loss);
    memset(sc, 0, sizeof *sc);
}

const char *crud_test_name(crud_test_t t)
{
    return t >= CRUD_CREATE && t <= CRUD_DELETE ? crud_names[t - 1] : "NONE";
}
