/* campaign.c: random fault schedules for the simulated key-value ring, in the manner of Jepsen
 * and FoundationDB's simulation tests. From one campaign seed it generates scenario files
 * (testcases/README.md), runs each with ./Application and the history checker, counts the
 * violations by kind, saves every failing schedule as a file that replays it, and can shrink
 * it by delta debugging to the fewest statements that still fail the same way.
 *
 * Schedule i depends only on the campaign seed, i and the profile. A schedule never asks the
 * impossible; these rules hold for every generated schedule, and the shrinker keeps them:
 *  - W, the stabilization time, is 2 * probe_timeout + 60, where probe_timeout is computed as
 *    the simulator does (src/app.c network_worst, src/membership.c member_cfg_for_network)
 *    from the worst loss p and the worst delay d of the file. p: at the start tick of each
 *    loss window (global or on links), 1 - the product of (1 - p_i) over every loss window
 *    covering that tick, global and on any links alike; the largest of these. d: the longest
 *    delay window plus the D of every reorder window (overlapping or not). Then
 *    q = 1 - (1-p)^2, pings = 4 or the smallest pings >= 4 with q^pings <= 1e-12 (100000 when
 *    q >= 0.999), probe_timeout = 2 * pings + 2 * (1 + d). The generator plans W from the
 *    worst loss and delay it will draw, and keeps the file within them: overlapping loss
 *    windows never lose more together than that loss, and the D of the reorder windows add
 *    up to no more than planned.
 *  - A file with delay or reorder windows sets COORDINATOR_TIMEOUT to 2 * (1 + d) + 10, so
 *    that a round trip at the worst delay fits in it (the final updates and reads come after
 *    every window has ended anyway).
 *  - At least max(5, MAX_NNB / 2) live nodes at every tick; a paused node is not live.
 *    Failures whose node the campaign does not choose (random nodes, replica roles,
 *    non-replicas) count as failures of unknown nodes: they are subtracted from every count
 *    below.
 *  - Failures of any kind, a quick restart without data (which loses the node's store)
 *    included, are at least W ticks apart, so no two replicas of one key fail within W; a
 *    quick restart without data counts from the tick the node comes back empty, one with its
 *    data (keep data) from the failure, as the node comes back as it was. The one exception is
 *    a pair of `fail node N` failures less than W apart whose nodes are at least 4 + u places
 *    apart on the ring of the live nodes (u: unknown failures so far; positions are the first
 *    8 bytes of SHA-256 of the address text), both started more than W ticks earlier, with no
 *    other failure, restart or added node in the W ticks before the pair and no partition or
 *    pause from W ticks before it to W ticks after it.
 *  - Pauses only of started nodes that are neither failed nor paused, and no failure, restart
 *    or pause of a node while it is paused. A pause loses no data, so pauses are not spaced
 *    from failures; but a paused node hands nothing over, and it may hold the only copy of a
 *    write when it resumes: a node does not fail within W ticks after it resumed, a failure of
 *    an unknown node is not within W ticks after any pause ended, and a replica role does not
 *    fail while any node is paused (the role may name the paused node until it is removed).
 *  - Partitions, both ways (A | B) or one way (A -> B), split the nodes into two groups of at
 *    least 3 live nodes each, for the whole window; partitions do not overlap one another.
 *    Windows on links (loss, delay, duplication, reordering, each both ways or one way) have
 *    two groups of existing nodes.
 *  - Restarts (with or without data) only of nodes failed by name; at most 10000 nodes in all.
 *  - Every fault (failure, restart, added node, pause, and every window: loss, partition,
 *    delay, duplication, reordering) ends at least W + 100 ticks before the final update of
 *    the named keys; the final reads and checks follow it. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define PROG "campaign"
#define MAX_NODES 10000       /* the simulator's limit on nodes in all */
#define DEFAULT_TIMEOUT 300   /* seconds a run may take before it is killed */
#define SHRINK_BUDGET 1000    /* candidate runs at most per shrunk schedule */
#define CREATE_TICK 100       /* the named keys are created from here, one per tick */
#define FAULTS_FROM 150       /* the fault period starts here */
#define MIN_FAULT_PERIOD 300  /* ticks the fault period lasts at least */
#define LONG_PARTITION_MIN 60 /* a partition this long is detected */
#define SHOWN_LINES 6         /* lines of output quoted in a failing file's header */

enum { EXIT_CLEAN = 0, EXIT_VIOLATIONS = 1, EXIT_USAGE = 2 };

#if defined(__GNUC__)
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PRINTF_LIKE(fmt, args)
#endif

/* ---------------------------------------------------------------- memory and text */

static void *xrealloc(void *ptr, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        fprintf(stderr, PROG ": out of memory\n");
        exit(EXIT_USAGE);
    }
    size_t bytes = count * size;
    void *p = realloc(ptr, bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, PROG ": out of memory\n");
        exit(EXIT_USAGE);
    }
    return p;
}

static void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, PROG ": out of memory\n");
        exit(EXIT_USAGE);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *c = xrealloc(NULL, n + 1, 1);
    memcpy(c, s, n + 1);
    return c;
}

/* A growing string. */
typedef struct {
    char *s;
    size_t len, cap;
} buf_t;

static void buf_vprintf(buf_t *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0) {
        va_end(again);
        return;
    }
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        b->s = xrealloc(b->s, cap, 1);
        b->cap = cap;
    }
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, again);
    b->len += (size_t)n;
    va_end(again);
}

static void PRINTF_LIKE(2, 3) buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* The string built so far (never NULL); the caller owns it. */
static char *buf_take(buf_t *b)
{
    if (!b->s)
        return xstrdup("");
    char *s = b->s;
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

static char *PRINTF_LIKE(1, 2) xasprintf(const char *fmt, ...)
{
    buf_t b = { 0 };
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return buf_take(&b);
}

static const char *plural(unsigned long long n)
{
    return n == 1 ? "" : "s";
}

/* ---------------------------------------------------------------- random numbers */

/* xoshiro256**, seeded through splitmix64: the same generator family as the simulator's, but
 * its own streams (schedules must not change when the simulator's PRNG use changes). */
typedef struct {
    uint64_t s[4];
} rng_t;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* The stream of one schedule: a function of the campaign seed, the index, the profile and the
 * attempt (a draw that breaks a rule is thrown away and drawn again, deterministically). */
static void rng_seed(rng_t *r, uint64_t seed, uint64_t index, unsigned profile, unsigned attempt)
{
    uint64_t x = seed;
    uint64_t a = splitmix64(&x);
    x = a ^ (index * 0xd1b54a32d192ed03ULL) ^ ((uint64_t)profile << 48) ^
        ((uint64_t)attempt << 32);
    for (int k = 0; k < 4; k++)
        r->s[k] = splitmix64(&x);
}

/* Uniform in [0, n); 0 when n is 0. */
static uint32_t rng_below(rng_t *r, uint32_t n)
{
    if (n <= 1)
        return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = rng_next(r);
    while (x >= limit);
    return (uint32_t)(x % n);
}

/* Uniform in [lo, hi]. */
static uint32_t rng_range(rng_t *r, uint32_t lo, uint32_t hi)
{
    return hi <= lo ? lo : lo + rng_below(r, hi - lo + 1);
}

static bool rng_chance(rng_t *r, uint32_t percent)
{
    return rng_below(r, 100) < percent;
}

/* ---------------------------------------------------------------- the network's timing */

/* The stabilization time W of a file whose worst loss is p and longest delay d (see the top
 * of this file): the probe timeout is computed exactly as src/membership.c does. */
static uint32_t stabilization_time(double p, uint32_t d)
{
    double q = 1.0 - (1.0 - p) * (1.0 - p);
    uint64_t pings = 4;
    if (q >= 0.999)
        pings = 100000;
    else if (q > 0.0)
        while (pings < 100000 && pow(q, (double)pings) > 1e-12)
            pings++;
    uint64_t probe_timeout = pings * 2 + 2ull * (1 + (uint64_t)d);
    uint64_t w = 2 * probe_timeout + 60;
    return w > UINT32_MAX / 4 ? UINT32_MAX / 4 : (uint32_t)w;
}

/* Ring position of node `id`: the first 8 bytes, big-endian, of SHA-256 of its address text
 * (the id's four bytes little-endian, port 0: node 300 is "44.1.0.0:0"). */
static uint64_t node_position(uint32_t id)
{
    char text[32];
    int n = snprintf(text, sizeof text, "%u.%u.%u.%u:0", id & 0xffu, (id >> 8) & 0xffu,
                     (id >> 16) & 0xffu, id >> 24);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (n <= 0 || !EVP_Digest(text, (size_t)n, md, &len, EVP_sha256(), NULL) || len < 8) {
        fprintf(stderr, PROG ": SHA-256 failed (OpenSSL libcrypto)\n");
        exit(EXIT_USAGE);
    }
    uint64_t pos = 0;
    for (int k = 0; k < 8; k++)
        pos = pos << 8 | md[k];
    return pos;
}

/* ---------------------------------------------------------------- statements */

typedef enum {
    ST_FAIL_NODE,        /* at T fail node N */
    ST_FAIL_RANDOM,      /* at T fail C random node(s) */
    ST_FAIL_ROLE,        /* at T fail primary|secondary|tertiary of K */
    ST_FAIL_NON_REPLICA, /* at T fail non-replica of K */
    ST_RESTART,          /* at T restart node N [keep data] */
    ST_PAUSE,            /* at T pause node N for D */
    ST_ADD,              /* at T add C node(s) */
    ST_OP,               /* at T create|read|update|delete K [V] [expect ...] */
    ST_DROP,             /* from T to U drop P [between A and|-> B] */
    ST_PARTITION,        /* from T to U partition A | B, or A -> B */
    ST_DELAY,            /* from T to U delay D [between A and|-> B] */
    ST_DUPLICATE,        /* from T to U duplicate P [between A and|-> B] */
    ST_REORDER,          /* from T to U reorder D [between A and|-> B] */
    ST_WORKLOAD,         /* from T to U workload R per tick on C keys [mix r/u/d] */
    ST_EXPECT_REPLICATED, /* expect key K replicated by T */
    ST_EXPECT_NO_LOST,    /* expect no lost writes */
    ST_EXPECT_REMOVED,    /* expect node N removed by T */
} st_kind_t;

enum { OP_CREATE, OP_READ, OP_UPDATE, OP_DELETE };
enum { EXP_NONE, EXP_SUCCESS, EXP_FAIL, EXP_VALUE };

static const char *const op_names[] = { "create", "read", "update", "delete" };
static const char *const role_names[] = { "primary", "secondary", "tertiary" };

typedef struct {
    st_kind_t kind;
    uint32_t tick, until; /* at T; from T to U; expect ... by T */
    uint32_t node, count; /* the node named; nodes failed or added; ST_PAUSE: its ticks */
    uint32_t delay;       /* ST_DELAY: extra ticks; ST_REORDER: the most extra ticks */
    uint32_t rate, mix[3];
    bool has_mix;
    bool keep;            /* ST_RESTART: keep data (crash-recovery) */
    int role, op, expect;
    double p;                             /* ST_DROP, ST_DUPLICATE */
    char *key, *value, *expect_value;     /* owned */
    uint8_t *groups;                      /* groups[id]: 1 first group, 2 second (owned); NULL:
                                             every link (a window without `between`) */
    uint32_t ngroups;                     /* entries of groups: the largest id + 1 */
    bool one_way;                         /* only the first group's messages to the second */
    char *text;                           /* the statement as written (owned) */
} stmt_t;

static void stmt_free(stmt_t *s)
{
    free(s->key);
    free(s->value);
    free(s->expect_value);
    free(s->groups);
    free(s->text);
    memset(s, 0, sizeof *s);
}

/* Tick by which the statement is ordered in a file (an expectation checked at the end last). */
static uint32_t stmt_order_tick(const stmt_t *s)
{
    return s->kind == ST_EXPECT_NO_LOST ? UINT32_MAX : s->tick;
}

static bool stmt_is_failure(const stmt_t *s)
{
    return s->kind == ST_FAIL_NODE || s->kind == ST_FAIL_RANDOM || s->kind == ST_FAIL_ROLE ||
           s->kind == ST_FAIL_NON_REPLICA;
}

/* A network window (not the workload). */
static bool stmt_is_window(const stmt_t *s)
{
    return s->kind == ST_DROP || s->kind == ST_PARTITION || s->kind == ST_DELAY ||
           s->kind == ST_DUPLICATE || s->kind == ST_REORDER;
}

/* The first tick at which a fault is over: the end of a window, the tick a paused node runs
 * again (a pause at T for D freezes it for ticks T+1 .. T+D), the tick after a failure,
 * restart or added node; 0 for statements that are no fault. */
static uint32_t stmt_fault_end(const stmt_t *s)
{
    if (stmt_is_window(s))
        return s->until;
    if (s->kind == ST_PAUSE)
        return s->tick + s->count + 1;
    if (stmt_is_failure(s) || s->kind == ST_RESTART || s->kind == ST_ADD)
        return s->tick + 1;
    return 0;
}

/* A node list as the scenario language writes it: ids and ranges, "1-5,8". */
static void render_group(buf_t *b, const uint8_t *groups, uint32_t n, uint8_t which)
{
    bool first = true;
    for (uint32_t id = 1; id < n; id++) {
        if (groups[id] != which)
            continue;
        uint32_t end = id;
        while (end + 1 < n && groups[end + 1] == which)
            end++;
        buf_printf(b, "%s%u", first ? "" : ",", id);
        if (end > id)
            buf_printf(b, "-%u", end);
        first = false;
        id = end;
    }
}

/* " between A and B" or " between A -> B" when the window is on some links only. */
static void render_between(buf_t *b, const stmt_t *s)
{
    if (!s->groups)
        return;
    buf_printf(b, " between ");
    render_group(b, s->groups, s->ngroups, 1);
    buf_printf(b, s->one_way ? " -> " : " and ");
    render_group(b, s->groups, s->ngroups, 2);
}

/* Writes s->text from the fields. */
static void stmt_render(stmt_t *s)
{
    buf_t b = { 0 };
    switch (s->kind) {
    case ST_FAIL_NODE: buf_printf(&b, "at %u fail node %u", s->tick, s->node); break;
    case ST_FAIL_RANDOM:
        buf_printf(&b, "at %u fail %u random node%s", s->tick, s->count, plural(s->count));
        break;
    case ST_FAIL_ROLE:
        buf_printf(&b, "at %u fail %s of %s", s->tick, role_names[s->role], s->key);
        break;
    case ST_FAIL_NON_REPLICA: buf_printf(&b, "at %u fail non-replica of %s", s->tick, s->key); break;
    case ST_RESTART:
        buf_printf(&b, "at %u restart node %u%s", s->tick, s->node, s->keep ? " keep data" : "");
        break;
    case ST_PAUSE: buf_printf(&b, "at %u pause node %u for %u", s->tick, s->node, s->count); break;
    case ST_ADD: buf_printf(&b, "at %u add %u node%s", s->tick, s->count, plural(s->count)); break;
    case ST_OP:
        buf_printf(&b, "at %u %s %s", s->tick, op_names[s->op], s->key);
        if (s->value)
            buf_printf(&b, " %s", s->value);
        if (s->expect == EXP_SUCCESS)
            buf_printf(&b, " expect success");
        else if (s->expect == EXP_FAIL)
            buf_printf(&b, " expect fail");
        else if (s->expect == EXP_VALUE)
            buf_printf(&b, " expect value %s", s->expect_value);
        break;
    case ST_DROP:
        buf_printf(&b, "from %u to %u drop %.2f", s->tick, s->until, s->p);
        render_between(&b, s);
        break;
    case ST_PARTITION:
        buf_printf(&b, "from %u to %u partition ", s->tick, s->until);
        render_group(&b, s->groups, s->ngroups, 1);
        buf_printf(&b, s->one_way ? " -> " : " | ");
        render_group(&b, s->groups, s->ngroups, 2);
        break;
    case ST_DELAY:
        buf_printf(&b, "from %u to %u delay %u", s->tick, s->until, s->delay);
        render_between(&b, s);
        break;
    case ST_DUPLICATE:
        buf_printf(&b, "from %u to %u duplicate %.2f", s->tick, s->until, s->p);
        render_between(&b, s);
        break;
    case ST_REORDER:
        buf_printf(&b, "from %u to %u reorder %u", s->tick, s->until, s->delay);
        render_between(&b, s);
        break;
    case ST_WORKLOAD:
        buf_printf(&b, "from %u to %u workload %u per tick on %u keys", s->tick, s->until, s->rate,
                   s->count);
        if (s->has_mix)
            buf_printf(&b, " mix %u/%u/%u", s->mix[0], s->mix[1], s->mix[2]);
        break;
    case ST_EXPECT_REPLICATED:
        buf_printf(&b, "expect key %s replicated by %u", s->key, s->tick);
        break;
    case ST_EXPECT_NO_LOST: buf_printf(&b, "expect no lost writes"); break;
    case ST_EXPECT_REMOVED: buf_printf(&b, "expect node %u removed by %u", s->node, s->tick); break;
    }
    free(s->text);
    s->text = buf_take(&b);
}

/* ---------------------------------------------------------------- schedules */

typedef struct {
    uint32_t nodes;   /* MAX_NNB */
    uint64_t seed;    /* SEED */
    uint32_t ticks;   /* TICKS */
    char **settings;  /* setting lines, as written */
    size_t nsettings;
    stmt_t *st;       /* statements in file order */
    size_t n, cap;
    char *header;     /* comment lines before the settings (owned; may be NULL) */
} sched_t;

static void sched_free(sched_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        stmt_free(&s->st[i]);
    for (size_t i = 0; i < s->nsettings; i++)
        free(s->settings[i]);
    free(s->settings);
    free(s->st);
    free(s->header);
    memset(s, 0, sizeof *s);
}

/* Appends s (taking what it owns). */
static void sched_push(sched_t *sc, stmt_t *s)
{
    if (sc->n == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 64;
        sc->st = xrealloc(sc->st, sc->cap, sizeof *sc->st);
    }
    sc->st[sc->n++] = *s;
    memset(s, 0, sizeof *s);
}

static void sched_add_setting(sched_t *sc, char *line)
{
    sc->settings = xrealloc(sc->settings, sc->nsettings + 1, sizeof *sc->settings);
    sc->settings[sc->nsettings++] = line;
}

/* The file text: header comments, settings, then the statements selected by sel (all when sel
 * is NULL). */
static char *sched_text(const sched_t *sc, const char *extra_header, const size_t *sel,
                        size_t nsel)
{
    buf_t b = { 0 };
    if (extra_header)
        buf_printf(&b, "%s", extra_header);
    if (sc->header)
        buf_printf(&b, "%s", sc->header);
    for (size_t i = 0; i < sc->nsettings; i++)
        buf_printf(&b, "%s\n", sc->settings[i]);
    size_t n = sel ? nsel : sc->n;
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s\n", sc->st[sel ? sel[i] : i].text);
    return buf_take(&b);
}

/* What the network of a file does at its worst, as the simulator computes it for its probe
 * timeout (src/app.c, network_worst). */
typedef struct {
    double loss;      /* the worst compound loss */
    uint32_t delay;   /* the worst delay: longest + reorder */
    uint32_t longest; /* the longest delay window */
    uint32_t reorder; /* the sum of every reorder window's D */
    bool slow;        /* the file has delay or reorder windows */
} network_t;

/* The loss at tick t of the selected loss windows: 1 - the product of (1 - p) over every
 * window covering t, global windows first, then windows on links, each in file order (the
 * simulator's order: the same double, so the same number of pings). */
static double loss_at(const sched_t *sc, const size_t *sel, size_t n, uint32_t t)
{
    double pass = 1.0;
    for (int links = 0; links <= 1; links++)
        for (size_t i = 0; i < n; i++) {
            const stmt_t *s = &sc->st[sel ? sel[i] : i];
            if (s->kind == ST_DROP && (s->groups != NULL) == links && s->tick <= t &&
                t < s->until)
                pass *= 1.0 - s->p;
        }
    return 1.0 - pass;
}

/* The network of the selected statements: the worst loss is the largest loss_at over the
 * start ticks of the loss windows (global or on links; the loss only grows where one
 * starts), the worst delay the longest delay window plus the D of every reorder window,
 * whether they overlap or not. */
static network_t sched_network(const sched_t *sc, const size_t *sel, size_t nsel)
{
    network_t net = { 0 };
    size_t n = sel ? nsel : sc->n;
    for (size_t i = 0; i < n; i++) {
        const stmt_t *s = &sc->st[sel ? sel[i] : i];
        if (s->kind == ST_DROP) {
            double l = loss_at(sc, sel, n, s->tick);
            if (l > net.loss)
                net.loss = l;
        }
        if (s->kind == ST_DELAY && s->delay > net.longest)
            net.longest = s->delay;
        if (s->kind == ST_REORDER)
            net.reorder += s->delay;
        net.slow |= s->kind == ST_DELAY || s->kind == ST_REORDER;
    }
    net.delay = net.longest + net.reorder;
    return net;
}

/* The coordinator timeout a file with slow links sets, so that the final updates and reads
 * can reach their quorum even if a window were still on: two messages each way of the worst
 * delay, plus the default 10 ticks. */
static uint32_t coordinator_timeout(uint32_t worst_delay)
{
    return 2 * (1 + worst_delay) + 10;
}

/* ---------------------------------------------------------------- parsing a schedule */

static bool parse_u32(const char *s, uint32_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
        return false;
    unsigned long long v = strtoull(s, NULL, 10);
    if (v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* "1-5,8" into groups (bit `which`), growing it to the largest id + 1. */
static bool parse_group(const char *s, uint8_t which, uint8_t **groups, uint32_t *n)
{
    const char *p = s;
    while (*p) {
        char *end;
        if (*p < '0' || *p > '9')
            return false;
        unsigned long a = strtoul(p, &end, 10), b = a;
        p = end;
        if (*p == '-') {
            p++;
            if (*p < '0' || *p > '9')
                return false;
            b = strtoul(p, &end, 10);
            p = end;
        }
        if (a < 1 || b < a || b > MAX_NODES)
            return false;
        if (*p == ',') {
            p++;
            if (!*p)
                return false;
        } else if (*p) {
            return false;
        }
        if (b + 1 > *n) {
            *groups = xrealloc(*groups, b + 1, 1);
            memset(*groups + *n, 0, b + 1 - *n);
            *n = (uint32_t)b + 1;
        }
        for (unsigned long id = a; id <= b; id++) {
            if ((*groups)[id] && (*groups)[id] != which)
                return false;
            (*groups)[id] = which;
        }
    }
    return true;
}

#define MAX_WORDS 16

static bool word_is(char **w, size_t n, size_t i, const char *s)
{
    return i < n && strcmp(w[i], s) == 0;
}

/* A probability from 0 to 1, written with digits and a point. */
static bool parse_prob(const char *word, double *p)
{
    char *end;
    if (!*word || strspn(word, "0123456789.") != strlen(word))
        return false;
    *p = strtod(word, &end);
    return *end == '\0' && end != word && *p >= 0.0 && *p <= 1.0;
}

/* Words i.. of a window: nothing (every link), or "between A and B" (both ways) or
 * "between A -> B" (one way). */
static bool parse_between(char **w, size_t n, size_t i, stmt_t *s)
{
    if (i == n)
        return true;
    if (n != i + 4 || !word_is(w, n, i, "between") ||
        !(word_is(w, n, i + 2, "and") || word_is(w, n, i + 2, "->")))
        return false;
    s->one_way = word_is(w, n, i + 2, "->");
    return parse_group(w[i + 1], 1, &s->groups, &s->ngroups) &&
           parse_group(w[i + 3], 2, &s->groups, &s->ngroups);
}

/* One statement of the forms the campaign writes, from its words; the text is kept as is. */
static bool parse_statement(char **w, size_t n, stmt_t *s)
{
    if (word_is(w, n, 0, "expect")) {
        if (n == 4 && word_is(w, n, 1, "no") && word_is(w, n, 2, "lost") && word_is(w, n, 3, "writes")) {
            s->kind = ST_EXPECT_NO_LOST;
            return true;
        }
        if (n == 6 && word_is(w, n, 1, "key") && word_is(w, n, 3, "replicated") &&
            word_is(w, n, 4, "by") && parse_u32(w[5], &s->tick)) {
            s->kind = ST_EXPECT_REPLICATED;
            s->key = xstrdup(w[2]);
            return true;
        }
        if (n == 6 && word_is(w, n, 1, "node") && word_is(w, n, 3, "removed") &&
            word_is(w, n, 4, "by") && parse_u32(w[2], &s->node) && parse_u32(w[5], &s->tick)) {
            s->kind = ST_EXPECT_REMOVED;
            return true;
        }
        return false;
    }
    if (word_is(w, n, 0, "from")) {
        if (n < 5 || !parse_u32(w[1], &s->tick) || !word_is(w, n, 2, "to") ||
            !parse_u32(w[3], &s->until) || s->until <= s->tick)
            return false;
        if ((word_is(w, n, 4, "drop") || word_is(w, n, 4, "duplicate")) && n >= 6) {
            s->kind = word_is(w, n, 4, "drop") ? ST_DROP : ST_DUPLICATE;
            return parse_prob(w[5], &s->p) && parse_between(w, n, 6, s);
        }
        if (word_is(w, n, 4, "partition") && n == 8 &&
            (word_is(w, n, 6, "|") || word_is(w, n, 6, "->"))) {
            s->kind = ST_PARTITION;
            s->one_way = word_is(w, n, 6, "->");
            return parse_group(w[5], 1, &s->groups, &s->ngroups) &&
                   parse_group(w[7], 2, &s->groups, &s->ngroups);
        }
        if ((word_is(w, n, 4, "delay") || word_is(w, n, 4, "reorder")) && n >= 6 &&
            parse_u32(w[5], &s->delay)) {
            s->kind = word_is(w, n, 4, "delay") ? ST_DELAY : ST_REORDER;
            return s->delay >= 1 && parse_between(w, n, 6, s);
        }
        if (word_is(w, n, 4, "workload") && (n == 11 || n == 13) && parse_u32(w[5], &s->rate) &&
            word_is(w, n, 6, "per") && word_is(w, n, 7, "tick") && word_is(w, n, 8, "on") &&
            parse_u32(w[9], &s->count) && word_is(w, n, 10, "keys")) {
            s->kind = ST_WORKLOAD;
            if (n == 11)
                return true;
            s->has_mix = true;
            return word_is(w, n, 11, "mix") &&
                   sscanf(w[12], "%u/%u/%u", &s->mix[0], &s->mix[1], &s->mix[2]) == 3;
        }
        return false;
    }
    if (!word_is(w, n, 0, "at") || n < 3 || !parse_u32(w[1], &s->tick))
        return false;
    if (word_is(w, n, 2, "fail")) {
        if (n == 5 && word_is(w, n, 3, "node") && parse_u32(w[4], &s->node)) {
            s->kind = ST_FAIL_NODE;
            return s->node >= 1;
        }
        if (n == 6 && parse_u32(w[3], &s->count) && word_is(w, n, 4, "random") &&
            (word_is(w, n, 5, "node") || word_is(w, n, 5, "nodes"))) {
            s->kind = ST_FAIL_RANDOM;
            return s->count >= 1;
        }
        for (int r = 0; r < 3; r++)
            if (n == 6 && word_is(w, n, 3, role_names[r]) && word_is(w, n, 4, "of")) {
                s->kind = ST_FAIL_ROLE;
                s->role = r;
                s->key = xstrdup(w[5]);
                return true;
            }
        if (n == 6 && word_is(w, n, 3, "non-replica") && word_is(w, n, 4, "of")) {
            s->kind = ST_FAIL_NON_REPLICA;
            s->key = xstrdup(w[5]);
            return true;
        }
        return false;
    }
    if (word_is(w, n, 2, "restart") && (n == 5 || n == 7) && word_is(w, n, 3, "node") &&
        parse_u32(w[4], &s->node)) {
        s->kind = ST_RESTART;
        s->keep = n == 7;
        return s->node >= 1 && (n == 5 || (word_is(w, n, 5, "keep") && word_is(w, n, 6, "data")));
    }
    if (word_is(w, n, 2, "pause") && n == 7 && word_is(w, n, 3, "node") &&
        parse_u32(w[4], &s->node) && word_is(w, n, 5, "for") && parse_u32(w[6], &s->count)) {
        s->kind = ST_PAUSE;
        return s->node >= 1 && s->count >= 1;
    }
    if (word_is(w, n, 2, "add") && n == 5 && parse_u32(w[3], &s->count) &&
        (word_is(w, n, 4, "node") || word_is(w, n, 4, "nodes"))) {
        s->kind = ST_ADD;
        return s->count >= 1;
    }
    for (int op = 0; op < 4; op++) {
        if (!word_is(w, n, 2, op_names[op]) || n < 4)
            continue;
        s->kind = ST_OP;
        s->op = op;
        s->key = xstrdup(w[3]);
        size_t i = 4;
        if (op == OP_CREATE || op == OP_UPDATE) {
            if (n < 5)
                return false;
            s->value = xstrdup(w[4]);
            i = 5;
        }
        if (i == n)
            return true;
        if (!word_is(w, n, i, "expect"))
            return false;
        if (n == i + 2 && word_is(w, n, i + 1, "success"))
            s->expect = EXP_SUCCESS;
        else if (n == i + 2 && word_is(w, n, i + 1, "fail"))
            s->expect = EXP_FAIL;
        else if (op == OP_READ && n == i + 3 && word_is(w, n, i + 1, "value")) {
            s->expect = EXP_VALUE;
            s->expect_value = xstrdup(w[i + 2]);
        } else
            return false;
        return true;
    }
    return false;
}

/* Parses a schedule written by the campaign (the statement forms above, settings of any key).
 * Comment lines before the first setting are kept as the header. Returns 0, or -1 with a
 * message naming the line. */
static int sched_parse(const char *text, sched_t *sc, char *err, size_t errlen)
{
    memset(sc, 0, sizeof *sc);
    buf_t header = { 0 };
    bool in_header = true;
    unsigned lineno = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = xrealloc(NULL, len + 1, 1);
        memcpy(line, p, len);
        line[len] = '\0';
        p = nl ? nl + 1 : p + len;
        lineno++;
        char *hash = strchr(line, '#');
        if (hash && in_header && strspn(line, " \t") == (size_t)(hash - line))
            buf_printf(&header, "%s\n", line);
        if (hash)
            *hash = '\0';
        size_t end = strlen(line);
        while (end > 0 && strchr(" \t\r", line[end - 1]))
            line[--end] = '\0';
        char *start = line + strspn(line, " \t");
        if (!*start) {
            free(line);
            continue;
        }
        in_header = false;
        char *words[MAX_WORDS];
        size_t nw = 0;
        bool statement = !strncmp(start, "at ", 3) || !strncmp(start, "from ", 5) ||
                         !strncmp(start, "expect ", 7);
        if (!statement) {
            char *colon = strchr(start, ':');
            if (!colon) {
                snprintf(err, errlen, "line %u: neither a setting nor a statement", lineno);
                free(line);
                buf_take(&header);
                sched_free(sc);
                return -1;
            }
            char *value = colon + 1 + strspn(colon + 1, " \t");
            if (!strncmp(start, "MAX_NNB", 7))
                parse_u32(value, &sc->nodes);
            else if (!strncmp(start, "TICKS", 5))
                parse_u32(value, &sc->ticks);
            else if (!strncmp(start, "SEED", 4))
                sc->seed = strtoull(value, NULL, 10);
            sched_add_setting(sc, xstrdup(start));
            free(line);
            continue;
        }
        char *copy = xstrdup(start);
        for (char *tok = strtok(copy, " \t"); tok; tok = strtok(NULL, " \t")) {
            if (nw == MAX_WORDS) {
                nw = 0;
                break;
            }
            words[nw++] = tok;
        }
        stmt_t s = { 0 };
        bool ok = nw > 0 && parse_statement(words, nw, &s);
        free(copy);
        if (!ok) {
            snprintf(err, errlen, "line %u: not a statement the campaign writes: %.80s", lineno,
                     start);
            stmt_free(&s);
            free(line);
            free(buf_take(&header));
            sched_free(sc);
            return -1;
        }
        s.text = xstrdup(start);
        sched_push(sc, &s);
        free(line);
    }
    sc->header = header.s ? buf_take(&header) : NULL;
    if (sc->nodes == 0) {
        snprintf(err, errlen, "no MAX_NNB setting");
        sched_free(sc);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- the rules: a model */

typedef struct { /* a loss window */
    uint32_t from, to;
    double p;
} mdrop_t;

typedef struct { /* a partition (either direction) */
    uint32_t from, to;
    uint8_t *groups; /* owned copy */
    uint32_t ngroups;
} mpart_t;

typedef struct { /* a pause: the node is not live at ticks [from, to) and runs again at to */
    uint32_t from, to, node;
} mpause_t;

typedef struct { /* a named key */
    char *key;
    char **values; /* values written to it (create, update) */
    size_t nvalues;
} mkey_t;

/* What the campaign knows of a run while it reads a schedule in file order: which nodes it
 * failed by name, how many failures of unknown nodes happened, the windows and pauses so far.
 * It checks every statement against the rules at the top of this file before applying it. */
typedef struct {
    uint32_t w, min_live;
    uint32_t final_tick; /* faults end W + 100 before it; 0: not checked */
    double p_max;        /* the most the loss windows may lose together at any tick */
    uint32_t n_nodes;    /* nodes 1..n_nodes exist (MAX_NNB plus those added so far) */
    uint8_t *failed;     /* failed[id]: failed by name and not restarted */
    uint32_t *start;     /* start[id]: the tick it started (again) */
    uint64_t *pos;       /* ring positions, computed when first needed */
    uint8_t *pos_known;
    uint32_t unknown;    /* failures of nodes the campaign did not choose */
    bool any_fail, last_named, last_paired, any_pair;
    uint32_t last_fail, last_node, pair_from, pair_end;
    uint32_t last_change; /* the last restart or added node (or the last boot) */
    mdrop_t *drops;
    size_t ndrops;
    mpart_t *parts;
    size_t nparts;
    mpause_t *pauses;
    size_t npauses;
    mkey_t *keys;
    size_t nkeys;
} model_t;

static void model_init(model_t *m, uint32_t nodes, uint32_t w, double p_max, uint32_t final_tick)
{
    memset(m, 0, sizeof *m);
    m->w = w;
    m->p_max = p_max;
    m->final_tick = final_tick;
    m->min_live = nodes / 2 > 5 ? nodes / 2 : 5;
    m->n_nodes = nodes;
    m->failed = xcalloc(MAX_NODES + 2, 1);
    m->start = xcalloc(MAX_NODES + 2, sizeof *m->start);
    m->pos = xcalloc(MAX_NODES + 2, sizeof *m->pos);
    m->pos_known = xcalloc(MAX_NODES + 2, 1);
    for (uint32_t id = 1; id <= nodes && id <= MAX_NODES; id++)
        m->start[id] = (id - 1) / 4;
    m->last_change = nodes ? (nodes - 1) / 4 : 0;
}

static void model_free(model_t *m)
{
    for (size_t i = 0; i < m->nparts; i++)
        free(m->parts[i].groups);
    for (size_t i = 0; i < m->nkeys; i++) {
        for (size_t j = 0; j < m->keys[i].nvalues; j++)
            free(m->keys[i].values[j]);
        free(m->keys[i].values);
        free(m->keys[i].key);
    }
    free(m->keys);
    free(m->parts);
    free(m->pauses);
    free(m->drops);
    free(m->failed);
    free(m->start);
    free(m->pos);
    free(m->pos_known);
    memset(m, 0, sizeof *m);
}

/* The pause of node id that covers tick t, or NULL. */
static const mpause_t *model_paused(const model_t *m, uint32_t id, uint32_t t)
{
    for (size_t i = 0; i < m->npauses; i++)
        if (m->pauses[i].node == id && m->pauses[i].from <= t && t < m->pauses[i].to)
            return &m->pauses[i];
    return NULL;
}

/* The latest tick at which a pause of node id (any node when id is 0) ended, at or before
 * t: true when one did. */
static bool model_resumed(const model_t *m, uint32_t id, uint32_t t, uint32_t *at)
{
    bool any = false;
    *at = 0;
    for (size_t i = 0; i < m->npauses; i++) {
        const mpause_t *p = &m->pauses[i];
        if ((id == 0 || p->node == id) && p->to <= t && (!any || p->to > *at)) {
            *at = p->to;
            any = true;
        }
    }
    return any;
}

/* Not failed by name and not paused at tick t. */
static bool model_live(const model_t *m, uint32_t id, uint32_t t)
{
    return id >= 1 && id <= m->n_nodes && !m->failed[id] && !model_paused(m, id, t);
}

/* Live nodes at tick t as far as the campaign can tell: those not failed by name and not
 * paused, less the unknown failures. */
static int64_t model_live_count(const model_t *m, uint32_t t)
{
    int64_t live = 0;
    for (uint32_t id = 1; id <= m->n_nodes; id++)
        live += model_live(m, id, t);
    return live - m->unknown;
}

/* Live nodes at tick t on side `which` of a partition. */
static int64_t group_live(const model_t *m, const mpart_t *p, uint8_t which, uint32_t t)
{
    int64_t live = 0;
    for (uint32_t id = 1; id < p->ngroups && id <= m->n_nodes; id++)
        live += p->groups[id] == which && model_live(m, id, t);
    return live - m->unknown;
}

static uint64_t model_pos(model_t *m, uint32_t id)
{
    if (!m->pos_known[id]) {
        m->pos[id] = node_position(id);
        m->pos_known[id] = 1;
    }
    return m->pos[id];
}

/* Places between x and y, the shorter way round, on the ring of the nodes not failed by name
 * (x counted as live: the ring as it was before the pair). */
static uint32_t ring_distance(model_t *m, uint32_t x, uint32_t y)
{
    uint32_t n = 0, ix = 0, iy = 0;
    uint64_t px = model_pos(m, x), py = model_pos(m, y);
    for (uint32_t id = 1; id <= m->n_nodes; id++) {
        if (id != x && m->failed[id])
            continue;
        uint64_t p = model_pos(m, id);
        n++;
        /* rank of x and y: nodes ordered by (position, id) before them */
        if (id != x && (p < px || (p == px && id < x)))
            ix++;
        if (id != y && (p < py || (p == py && id < y)))
            iy++;
    }
    uint32_t d = ix > iy ? ix - iy : iy - ix;
    return d < n - d ? d : n - d;
}

static int PRINTF_LIKE(2, 3) reject(char *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, 256, fmt, ap);
    va_end(ap);
    return -1;
}

/* Faults end W + 100 ticks before the final update. */
static int check_quiet(const model_t *m, uint32_t end, char *why)
{
    if (m->final_tick && (uint64_t)end + m->w + 100 > m->final_tick)
        return reject(why, "a fault until tick %u, less than W + 100 = %u ticks before the final "
                      "update at %u", end, m->w + 100, m->final_tick);
    return 0;
}

/* The second of a pair of named failures less than W apart: see the rules. */
static int check_pair(model_t *m, uint32_t t2, uint32_t y, char *why)
{
    uint32_t t1 = m->last_fail, x = m->last_node;
    if (!m->last_named || m->last_paired)
        return reject(why, "failures at %u and %u, less than W = %u ticks apart", t1, t2, m->w);
    if (t1 < m->w || m->last_change + m->w > t1)
        return reject(why, "a pair of failures at %u and %u within W = %u of a restart or added "
                      "node (tick %u)", t1, t2, m->w, m->last_change);
    if (m->start[x] + m->w >= t1 || m->start[y] + m->w >= t1)
        return reject(why, "a pair of failures of nodes %u and %u, one started within W", x, y);
    for (size_t i = 0; i < m->nparts; i++) {
        const mpart_t *p = &m->parts[i];
        if ((uint64_t)p->from < (uint64_t)t2 + m->w && (uint64_t)p->to + m->w > t1)
            return reject(why, "a pair of failures at %u and %u within W of a partition", t1, t2);
    }
    for (size_t i = 0; i < m->npauses; i++) {
        const mpause_t *p = &m->pauses[i];
        if ((uint64_t)p->from < (uint64_t)t2 + m->w && (uint64_t)p->to + m->w > t1)
            return reject(why, "a pair of failures at %u and %u within W of a pause of node %u",
                          t1, t2, p->node);
    }
    uint32_t d = ring_distance(m, x, y);
    if (d < 4 + m->unknown)
        return reject(why, "a pair of failures of nodes %u and %u, %u place%s apart on the ring "
                      "(at least %u needed)", x, y, d, plural(d), 4 + m->unknown);
    return 0;
}

/* A failure of `node`, or of an unknown node when node is 0 (`role`: a replica role, which
 * may be a paused node: the first live node's ring still has it until it is removed). */
static int model_fail(model_t *m, uint32_t t, uint32_t node, bool role, char *why)
{
    if (node && node > m->n_nodes)
        return reject(why, "node %u does not exist at tick %u", node, t);
    if (node && m->failed[node])
        return 0; /* already failed: the Application ignores it */
    if (check_quiet(m, t, why) != 0)
        return -1;
    const mpause_t *paused = node ? model_paused(m, node, t) : NULL;
    if (paused)
        return reject(why, "a failure of node %u at %u, paused from %u to %u", node, t,
                      paused->from, paused->to);
    for (size_t i = 0; role && i < m->npauses; i++)
        if (m->pauses[i].from <= t && t < m->pauses[i].to)
            return reject(why, "a failure of a replica role at %u, while node %u is paused (it "
                          "may be the one)", t, m->pauses[i].node);
    /* A paused node hands nothing over: it may hold the only copy of a write until it has run
     * for W ticks again (a crash of a node not named may be that node). */
    uint32_t resumed;
    if (model_resumed(m, node, t, &resumed) && (uint64_t)resumed + m->w > t)
        return reject(why, "a failure of %s at %u, less than W = %u ticks after %s resumed at %u",
                      node ? "a node" : "an unknown node", t, m->w,
                      node ? "it" : "a paused node", resumed);
    bool pair = false;
    if (m->any_fail && t - m->last_fail < m->w) {
        if (!node)
            return reject(why, "failures at %u and %u, less than W = %u ticks apart",
                          m->last_fail, t, m->w);
        if (check_pair(m, t, node, why) != 0)
            return -1;
        pair = true;
    }
    if (model_live_count(m, t) - 1 < (int64_t)m->min_live)
        return reject(why, "a failure at %u would leave fewer than %u live nodes", t, m->min_live);
    for (size_t i = 0; i < m->nparts; i++) {
        const mpart_t *p = &m->parts[i];
        if (t < p->from || t >= p->to)
            continue;
        for (uint8_t g = 1; g <= 2; g++) {
            int64_t left = group_live(m, p, g, t) -
                           (node ? (node < p->ngroups && p->groups[node] == g) : 1);
            if (left < 3)
                return reject(why, "a failure at %u would leave a side of the partition from %u "
                              "with fewer than 3 live nodes", t, p->from);
        }
    }
    if (node)
        m->failed[node] = 1;
    else
        m->unknown++;
    if (pair) {
        m->any_pair = true;
        m->pair_from = m->last_fail;
        m->pair_end = t;
    }
    m->last_paired = pair;
    m->any_fail = true;
    m->last_fail = t;
    m->last_named = node != 0;
    m->last_node = node;
    return 0;
}

static int check_groups_exist(const model_t *m, const stmt_t *s, char *why)
{
    for (uint32_t id = m->n_nodes + 1; id < s->ngroups; id++)
        if (s->groups[id])
            return reject(why, "node %u does not exist at tick %u", id, s->tick);
    return 0;
}

static int model_partition(model_t *m, const stmt_t *s, char *why)
{
    if (check_quiet(m, s->until, why) != 0 || check_groups_exist(m, s, why) != 0)
        return -1;
    for (size_t i = 0; i < m->nparts; i++)
        if (s->tick < m->parts[i].to && m->parts[i].from < s->until)
            return reject(why, "partitions from %u and %u overlap", m->parts[i].from, s->tick);
    if (m->any_pair && (uint64_t)s->tick < (uint64_t)m->pair_end + m->w &&
        (uint64_t)s->until + m->w > m->pair_from)
        return reject(why, "a partition from %u within W of a pair of failures", s->tick);
    mpart_t p = { s->tick, s->until, s->groups, s->ngroups };
    for (uint8_t g = 1; g <= 2; g++)
        if (group_live(m, &p, g, s->tick) < 3)
            return reject(why, "a side of the partition from %u has fewer than 3 live nodes",
                          s->tick);
    m->parts = xrealloc(m->parts, m->nparts + 1, sizeof *m->parts);
    p.groups = xrealloc(NULL, s->ngroups, 1);
    memcpy(p.groups, s->groups, s->ngroups);
    m->parts[m->nparts++] = p;
    return 0;
}

/* Loss windows, global or on links, compound: where they overlap they must not lose more
 * together than the loss the schedule's W was computed for. */
static int model_drop(model_t *m, const stmt_t *s, char *why)
{
    if (check_quiet(m, s->until, why) != 0 || check_groups_exist(m, s, why) != 0)
        return -1;
    for (size_t k = 0; k <= m->ndrops; k++) {
        uint32_t at = k == m->ndrops ? s->tick : m->drops[k].from;
        if (at < s->tick || at >= s->until)
            continue;
        double keep = 1.0 - s->p;
        for (size_t j = 0; j < m->ndrops; j++)
            if (at >= m->drops[j].from && at < m->drops[j].to)
                keep *= 1.0 - m->drops[j].p;
        if (1.0 - keep > m->p_max + 1e-9)
            return reject(why, "loss windows overlapping at tick %u lose %.3f, more than the "
                          "worst loss planned (%.2f)", at, 1.0 - keep, m->p_max);
    }
    m->drops = xrealloc(m->drops, m->ndrops + 1, sizeof *m->drops);
    m->drops[m->ndrops++] = (mdrop_t){ s->tick, s->until, s->p };
    return 0;
}

/* A pause of a named node: it is not live while paused (for the live minimum and the sides of
 * partitions), and keeps away from pairs of failures like a partition. */
static int model_pause(model_t *m, const stmt_t *s, char *why)
{
    uint32_t t = s->tick, node = s->node, to = stmt_fault_end(s);
    if (node > m->n_nodes)
        return reject(why, "node %u does not exist at tick %u", node, t);
    if (m->failed[node])
        return reject(why, "a pause of node %u at %u, which has failed", node, t);
    const mpause_t *paused = model_paused(m, node, t);
    if (paused)
        return reject(why, "a pause of node %u at %u, paused already from %u to %u", node, t,
                      paused->from, paused->to);
    if (m->start[node] > t)
        return reject(why, "a pause of node %u at %u, before it starts at %u", node, t,
                      m->start[node]);
    if (check_quiet(m, to, why) != 0)
        return -1;
    if (model_live_count(m, t) - 1 < (int64_t)m->min_live)
        return reject(why, "a pause at %u would leave fewer than %u live nodes", t, m->min_live);
    for (size_t i = 0; i < m->nparts; i++) {
        const mpart_t *p = &m->parts[i];
        if (to <= p->from || t >= p->to || node >= p->ngroups || !p->groups[node])
            continue;
        uint32_t at = t > p->from ? t : p->from;
        if (group_live(m, p, p->groups[node], at) - 1 < 3)
            return reject(why, "a pause at %u would leave a side of the partition from %u with "
                          "fewer than 3 live nodes", t, p->from);
    }
    if (m->any_pair && (uint64_t)t < (uint64_t)m->pair_end + m->w &&
        (uint64_t)to + m->w > m->pair_from)
        return reject(why, "a pause from %u within W of a pair of failures", t);
    m->pauses = xrealloc(m->pauses, m->npauses + 1, sizeof *m->pauses);
    m->pauses[m->npauses++] = (mpause_t){ t, to, node };
    return 0;
}

static mkey_t *model_key(model_t *m, const char *key, bool create)
{
    for (size_t i = 0; i < m->nkeys; i++)
        if (!strcmp(m->keys[i].key, key))
            return &m->keys[i];
    if (!create)
        return NULL;
    m->keys = xrealloc(m->keys, m->nkeys + 1, sizeof *m->keys);
    m->keys[m->nkeys] = (mkey_t){ xstrdup(key), NULL, 0 };
    return &m->keys[m->nkeys++];
}

static void key_add_value(mkey_t *k, const char *value)
{
    k->values = xrealloc(k->values, k->nvalues + 1, sizeof *k->values);
    k->values[k->nvalues++] = xstrdup(value);
}

/* Operations on a named key need its create; a read expecting a value needs that write. Kept
 * by the shrinker, so that an expectation fails for a reason, not for a removed write. */
static int model_op(model_t *m, const stmt_t *s, char *why)
{
    mkey_t *k = model_key(m, s->key, s->kind == ST_OP && s->op == OP_CREATE);
    if (!k)
        return reject(why, "'%s' names key %s, which is not created before", s->text, s->key);
    if (s->kind != ST_OP)
        return 0;
    if (s->value)
        key_add_value(k, s->value);
    if (s->expect == EXP_VALUE) {
        for (size_t i = 0; i < k->nvalues; i++)
            if (!strcmp(k->values[i], s->expect_value))
                return 0;
        return reject(why, "'%s' expects a value never written", s->text);
    }
    return 0;
}

/* Checks statement s against the rules; applies it and returns 0, or returns -1 with the rule
 * it breaks in why (256 bytes) and the model unchanged. */
static int model_step(model_t *m, const stmt_t *s, char *why)
{
    switch (s->kind) {
    case ST_FAIL_NODE: return model_fail(m, s->tick, s->node, false, why);
    case ST_FAIL_RANDOM:
        if (s->count != 1)
            return reject(why, "%u nodes fail at once at tick %u", s->count, s->tick);
        return model_fail(m, s->tick, 0, false, why);
    case ST_FAIL_ROLE: return model_fail(m, s->tick, 0, true, why);
    case ST_FAIL_NON_REPLICA: return model_fail(m, s->tick, 0, false, why);
    case ST_RESTART:
        if (s->node > m->n_nodes)
            return reject(why, "node %u does not exist at tick %u", s->node, s->tick);
        if (check_quiet(m, s->tick, why) != 0)
            return -1;
        if (model_paused(m, s->node, s->tick))
            return reject(why, "a restart of node %u at %u, which is paused", s->node, s->tick);
        if (m->failed[s->node]) { /* a running node's restart is ignored by the Application */
            /* A quick restart (of the last failure, within W) without its data: the node is
             * back with an empty store from here, so the next failure is W ticks from here.
             * With its data it is back as it was: the clock runs from the failure. */
            if (!s->keep && m->any_fail && m->last_named && m->last_node == s->node &&
                s->tick - m->last_fail < m->w && !m->last_paired)
                m->last_fail = s->tick;
            m->failed[s->node] = 0;
            m->start[s->node] = s->tick + 1;
            m->last_change = s->tick;
        }
        return 0;
    case ST_ADD:
        if ((uint64_t)m->n_nodes + s->count > MAX_NODES)
            return reject(why, "more than %u nodes", MAX_NODES);
        if (check_quiet(m, s->tick, why) != 0)
            return -1;
        for (uint32_t k = 0; k < s->count; k++)
            m->start[++m->n_nodes] = s->tick + 1;
        m->last_change = s->tick;
        return 0;
    case ST_PAUSE: return model_pause(m, s, why);
    case ST_DROP: return model_drop(m, s, why);
    case ST_PARTITION: return model_partition(m, s, why);
    case ST_DELAY:
    case ST_DUPLICATE:
    case ST_REORDER:
        if (check_quiet(m, s->until, why) != 0)
            return -1;
        return check_groups_exist(m, s, why);
    case ST_OP:
    case ST_EXPECT_REPLICATED: return model_op(m, s, why);
    case ST_WORKLOAD:
    case ST_EXPECT_NO_LOST:
    case ST_EXPECT_REMOVED: return 0;
    }
    return 0;
}

/* Checks the selected statements (all when sel is NULL) of a schedule against the rules, with
 * W computed from them. final_tick 0: the quiet period is not checked (a subset of a valid
 * schedule keeps it: W cannot grow). */
static int sched_validate(const sched_t *sc, const size_t *sel, size_t nsel, uint32_t final_tick,
                          uint32_t *w_out, char *why)
{
    network_t net = sched_network(sc, sel, nsel);
    uint32_t w = stabilization_time(net.loss, net.delay);
    if (w_out)
        *w_out = w;
    model_t m;
    model_init(&m, sc->nodes, w, net.loss, final_tick);
    int rc = 0;
    size_t n = sel ? nsel : sc->n;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = model_step(&m, &sc->st[sel ? sel[i] : i], why);
    model_free(&m);
    return rc;
}

/* ---------------------------------------------------------------- generating a schedule */

/* How dense a profile's schedules are. Both keep the same rules. */
typedef struct {
    const char *name;
    uint32_t fails_min, fails_max; /* failures in the fault period */
    uint32_t gap_div;              /* failures W + rnd(0, W / gap_div) ticks apart */
    uint32_t w_named, w_random, w_role, w_non_replica, w_quick; /* weights of failure kinds */
    uint32_t pct_pair, pair_gap;   /* a named failure gets a partner 0..pair_gap ticks later */
    uint32_t pct_restart;          /* a named failure is restarted later */
    uint32_t pct_keep;             /* a restart (quick or later) keeps the node's data */
    uint32_t pct_adjacent;         /* a failure gets another change one tick away */
    uint32_t adds_min, adds_max, add_max; /* `add` events, and nodes per event */
    uint32_t pct_loss, drops_min, drops_max; /* loss windows on every link */
    uint32_t link_drops_min, link_drops_max; /* ... and on the links between two groups */
    uint32_t pct_links_only;       /* a lossy schedule loses on some links only */
    uint32_t pct_delay, delays_min, delays_max, delay_max;
    uint32_t pct_reorder, reorders_min, reorders_max, reorder_max; /* max: D of all of them */
    uint32_t pct_dup, dups_min, dups_max; /* duplication windows */
    uint32_t pct_pause, pauses_min, pauses_max; /* pauses of named nodes */
    uint32_t long_min, long_max, short_min, short_max; /* partitions */
    uint32_t pct_one_way;          /* a partition or a window on links is one way */
    uint32_t pct_align;            /* a window starts or ends one tick from a failure */
    uint32_t op_gap_min, op_gap_max; /* ticks between named operations during the faults */
} profile_t;

static const profile_t profiles[] = {
    { .name = "standard", .fails_min = 2, .fails_max = 5, .gap_div = 1, .w_named = 30,
      .w_random = 15, .w_role = 25, .w_non_replica = 10, .w_quick = 20, .pct_pair = 12,
      .pair_gap = 12, .pct_restart = 50, .pct_keep = 50, .pct_adjacent = 25, .adds_min = 0,
      .adds_max = 2, .add_max = 5, .pct_loss = 50, .drops_min = 1, .drops_max = 2,
      .link_drops_min = 0, .link_drops_max = 2, .pct_links_only = 25, .pct_delay = 35,
      .delays_min = 1, .delays_max = 2, .delay_max = 4, .pct_reorder = 35, .reorders_min = 1,
      .reorders_max = 2, .reorder_max = 10, .pct_dup = 35, .dups_min = 1, .dups_max = 2,
      .pct_pause = 50, .pauses_min = 1, .pauses_max = 2, .long_min = 0, .long_max = 1,
      .short_min = 0, .short_max = 2, .pct_one_way = 40, .pct_align = 15, .op_gap_min = 20,
      .op_gap_max = 60 },
    { .name = "chaos", .fails_min = 4, .fails_max = 9, .gap_div = 4, .w_named = 25,
      .w_random = 15, .w_role = 20, .w_non_replica = 10, .w_quick = 30, .pct_pair = 30,
      .pair_gap = 2, .pct_restart = 60, .pct_keep = 50, .pct_adjacent = 60, .adds_min = 1,
      .adds_max = 4, .add_max = 20, .pct_loss = 70, .drops_min = 2, .drops_max = 4,
      .link_drops_min = 1, .link_drops_max = 3, .pct_links_only = 20, .pct_delay = 60,
      .delays_min = 1, .delays_max = 3, .delay_max = 8, .pct_reorder = 60, .reorders_min = 1,
      .reorders_max = 3, .reorder_max = 20, .pct_dup = 60, .dups_min = 1, .dups_max = 3,
      .pct_pause = 75, .pauses_min = 1, .pauses_max = 4, .long_min = 1, .long_max = 2,
      .short_min = 2, .short_max = 4, .pct_one_way = 50, .pct_align = 50, .op_gap_min = 10,
      .op_gap_max = 40 },
};
#define NPROFILES (sizeof profiles / sizeof profiles[0])
#define MAX_FAILS 16

typedef enum {
    PL_FAIL,        /* a failure of kind ftype */
    PL_PARTNER,     /* the second named failure of a pair; ref: the first */
    PL_RESTART_OF,  /* the restart of the node failure ref failed */
    PL_RESTART_ANY, /* the restart of any node failed by name, not otherwise restarted */
    PL_ADD,
    PL_PAUSE,       /* a pause of a live node for `count` ticks */
    PL_DROP,
    PL_PARTITION,
    PL_DELAY,
    PL_DUPLICATE,
    PL_REORDER,
    PL_OP,          /* an update or read of a named key, no expectation */
} plan_kind_t;

enum { FT_NAMED, FT_RANDOM, FT_ROLE, FT_NON_REPLICA, FT_QUICK };

/* One planned change: its tick and kind are drawn first; the node it concerns is chosen when
 * the plan is played in tick order, from what the campaign then knows. */
typedef struct {
    uint32_t tick, seq;
    plan_kind_t kind;
    int ftype, role, op;
    uint32_t key;      /* named key index */
    uint32_t count;    /* nodes added; ticks to a quick restart; ticks of a pause */
    uint32_t until, delay, hundredths;
    uint32_t ref;
    bool between, one_way, keep, later_restart, done;
    uint32_t node;     /* the node a named failure failed, once played */
} plan_t;

typedef struct {
    const profile_t *pf;
    rng_t *rng;
    uint32_t nkeys, w, fe; /* named keys, W, end of the fault period */
    uint32_t p_max_h, d_max; /* worst loss (hundredths) and longest delay planned */
    uint32_t r_max, r_used;  /* the D of all reorder windows: at most, and planned so far */
    plan_t *plan;
    size_t nplan, cap;
    uint32_t seq, updates;
    uint32_t fticks[MAX_FAILS];
    uint32_t nfails;
    model_t m;
    sched_t *sc;
    uint8_t *pending; /* pending[id]: a restart of the node is planned */
} gen_t;

static size_t plan_add(gen_t *g, plan_t it)
{
    if (g->nplan == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 64;
        g->plan = xrealloc(g->plan, g->cap, sizeof *g->plan);
    }
    it.seq = g->seq++;
    g->plan[g->nplan] = it;
    return g->nplan++;
}

static char *key_name(uint32_t k)
{
    return xasprintf("k%u", k + 1);
}

/* A window of `dur` ticks inside the fault period, sometimes starting the tick after a
 * failure or ending right at one. Sets *from and *until. */
static void place_window(gen_t *g, uint32_t dur, uint32_t *from, uint32_t *until)
{
    uint32_t span = g->fe - FAULTS_FROM;
    if (dur >= span)
        dur = span > 1 ? span - 1 : 1;
    uint32_t start = FAULTS_FROM + rng_below(g->rng, span - dur);
    if (g->nfails && rng_chance(g->rng, g->pf->pct_align)) {
        uint32_t ft = g->fticks[rng_below(g->rng, g->nfails)];
        if (rng_chance(g->rng, 50) && ft + 1 + dur <= g->fe)
            start = ft + 1;
        else if (ft >= FAULTS_FROM + dur)
            start = ft - dur;
    }
    *from = start;
    *until = start + dur;
}

static uint32_t pick_weighted(rng_t *r, const uint32_t *w, size_t n)
{
    uint32_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    uint32_t x = rng_below(r, total);
    for (size_t i = 0; i < n; i++) {
        if (x < w[i])
            return (uint32_t)i;
        x -= w[i];
    }
    return 0;
}

/* The D of another reorder window from what is left of the budget (all of it, up to 10, for
 * the first), or 0 when none is left. */
static uint32_t reorder_draw(gen_t *g)
{
    uint32_t left = g->r_max - g->r_used, most = left < 10 ? left : 10;
    if (most == 0)
        return 0;
    uint32_t d = g->r_used == 0 ? most : rng_range(g->rng, 1, most);
    g->r_used += d;
    return d;
}

/* A window from `from` to `until`: its loss, delay, duplication or reordering drawn, and
 * whether it is on some links only (a loss window is global unless the caller says). */
static size_t plan_window(gen_t *g, plan_kind_t kind, uint32_t from, uint32_t until)
{
    rng_t *r = g->rng;
    plan_t it = { .tick = from, .until = until, .kind = kind };
    switch (kind) {
    case PL_DROP: it.hundredths = 5 * rng_range(r, 1, g->p_max_h / 5); break;
    case PL_DELAY:
        it.delay = rng_range(r, 1, g->d_max);
        it.between = rng_chance(r, 50);
        break;
    case PL_DUPLICATE:
        it.hundredths = 5 * rng_range(r, 1, 20);
        it.between = rng_chance(r, 50);
        break;
    case PL_REORDER:
        it.delay = reorder_draw(g);
        if (it.delay == 0)
            return SIZE_MAX;
        it.between = rng_chance(r, 50);
        break;
    default: break;
    }
    it.one_way = rng_chance(r, g->pf->pct_one_way);
    return plan_add(g, it);
}

/* A pause's length: shorter than detection (5 ticks to the probe timeout less 2), around it
 * (up to 60 ticks), or long enough that the node is surely removed and rejoins (10 ticks past
 * the probe timeout to 200 ticks). */
static uint32_t pause_ticks(gen_t *g)
{
    uint32_t probe = (g->w - 60) / 2; /* W = 2 * probe_timeout + 60 */
    uint32_t short_max = probe > 10 ? probe - 2 : 8;
    uint32_t long_min = probe + 10, long_max = long_min + 50 > 200 ? long_min + 50 : 200;
    uint32_t pick = rng_below(g->rng, 10);
    if (pick < 4)
        return rng_range(g->rng, 5, short_max);
    if (pick < 7 && short_max < 60)
        return rng_range(g->rng, short_max + 1, 60);
    return rng_range(g->rng, long_min, long_max);
}

static void plan_pause(gen_t *g, uint32_t from, uint32_t ticks)
{
    plan_add(g, (plan_t){ .tick = from, .kind = PL_PAUSE, .count = ticks });
}

/* Another change one tick after (or before) tick t: "a join the tick after a failure". */
static void plan_adjacent(gen_t *g, uint32_t t)
{
    rng_t *r = g->rng;
    uint32_t at = rng_chance(r, 80) || t == 0 ? t + 1 : t - 1;
    if (at < FAULTS_FROM - 1 || at >= g->fe)
        return;
    uint32_t which = rng_below(r, 9);
    switch (which) {
    case 1:
        plan_add(g, (plan_t){ .tick = at, .kind = PL_RESTART_ANY,
                              .keep = rng_chance(r, g->pf->pct_keep) });
        return;
    case 2:
    case 3:
    case 7:
    case 8: {
        plan_kind_t kind = which == 2 ? PL_DROP : which == 3 ? PL_DELAY
                           : which == 7 ? PL_DUPLICATE : PL_REORDER;
        if ((kind == PL_DROP && g->p_max_h == 0) || (kind == PL_DELAY && g->d_max == 0) ||
            (kind == PL_REORDER && g->r_used >= g->r_max))
            break;
        uint32_t until = at + rng_range(r, 20, 100);
        size_t k = plan_window(g, kind, at, until < g->fe ? until : g->fe);
        if (kind == PL_DROP && k != SIZE_MAX)
            g->plan[k].between = rng_chance(r, 50);
        return;
    }
    case 4:
        if (at + 5 < g->fe) {
            plan_window(g, PL_PARTITION, at, at + rng_range(r, 1, 5));
            return;
        }
        break;
    case 5:
        plan_add(g, (plan_t){ .tick = at, .kind = PL_OP, .key = rng_below(r, g->nkeys),
                              .op = (int)rng_below(r, 2) });
        return;
    case 6:
        plan_pause(g, at, pause_ticks(g));
        return;
    default: break;
    }
    uint32_t most = g->pf->add_max < 5 ? g->pf->add_max : 5;
    plan_add(g, (plan_t){ .tick = at, .kind = PL_ADD, .count = rng_range(r, 1, most) });
}

/* Draws the fault period: failures W apart, then windows, added nodes and named operations. */
static void plan_faults(gen_t *g)
{
    const profile_t *pf = g->pf;
    rng_t *r = g->rng;
    g->nfails = rng_range(r, pf->fails_min, pf->fails_max);
    uint32_t t = FAULTS_FROM + rng_below(r, 41);
    for (uint32_t i = 0; i < g->nfails; i++) {
        g->fticks[i] = t;
        t += g->w + 5 + rng_below(r, g->w / pf->gap_div + 1); /* 5: a quick restart's delay */
    }
    g->fe = g->fticks[g->nfails - 1] + rng_range(r, 30, 100);
    if (g->fe < FAULTS_FROM + MIN_FAULT_PERIOD)
        g->fe = FAULTS_FROM + MIN_FAULT_PERIOD;
    const uint32_t weights[] = { pf->w_named, pf->w_random, pf->w_role, pf->w_non_replica,
                                 pf->w_quick };
    for (uint32_t i = 0; i < g->nfails; i++) {
        uint32_t ft = g->fticks[i];
        plan_t it = { .tick = ft, .kind = PL_FAIL, .ftype = (int)pick_weighted(r, weights, 5),
                      .role = (int)rng_below(r, 3), .key = rng_below(r, g->nkeys),
                      .count = rng_range(r, 1, 5) };
        size_t idx = plan_add(g, it);
        if (it.ftype == FT_NAMED && rng_chance(r, pf->pct_pair))
            plan_add(g, (plan_t){ .tick = ft + rng_below(r, pf->pair_gap + 1), .kind = PL_PARTNER,
                                  .ref = (uint32_t)idx });
        if (it.ftype == FT_NAMED && rng_chance(r, pf->pct_restart)) {
            uint32_t rt = ft + rng_range(r, 10, 2 * g->w);
            if (rt < g->fe) {
                plan_add(g, (plan_t){ .tick = rt, .kind = PL_RESTART_OF, .ref = (uint32_t)idx,
                                      .keep = rng_chance(r, pf->pct_keep) });
                g->plan[idx].later_restart = true;
            }
        }
        if (rng_chance(r, pf->pct_adjacent))
            plan_adjacent(g, ft);
    }
    for (uint32_t k = rng_range(r, pf->adds_min, pf->adds_max); k > 0; k--)
        plan_add(g, (plan_t){ .tick = FAULTS_FROM + rng_below(r, g->fe - FAULTS_FROM),
                              .kind = PL_ADD, .count = rng_range(r, 1, pf->add_max) });
    if (g->p_max_h) {
        /* loss windows on every link (none when the schedule loses on some links only), then
         * on the links between two groups */
        uint32_t ng = rng_chance(r, pf->pct_links_only) ? 0
                      : rng_range(r, pf->drops_min, pf->drops_max);
        uint32_t nl = rng_range(r, pf->link_drops_min, pf->link_drops_max);
        if (ng + nl == 0)
            nl = 1;
        uint32_t from[16], until[16], first = 0, n = ng + nl;
        for (uint32_t k = 0; k < n; k++) {
            place_window(g, rng_range(r, 30, 200), &from[k], &until[k]);
            if (from[k] < from[first])
                first = k;
        }
        for (uint32_t k = 0; k < n; k++) {
            size_t i = plan_window(g, PL_DROP, from[k], until[k]);
            g->plan[i].between = k >= ng;
            if (k == first) /* the earliest carries the worst loss, so later ones are sized
                                 * against it (an earlier adjacent window may still clash: the
                                 * whole schedule is then drawn again) */
                g->plan[i].hundredths = g->p_max_h;
        }
    }
    if (g->d_max) {
        uint32_t n = rng_range(r, pf->delays_min, pf->delays_max);
        for (uint32_t k = 0; k < n; k++) {
            uint32_t from, until;
            place_window(g, rng_range(r, 30, 200), &from, &until);
            size_t i = plan_window(g, PL_DELAY, from, until);
            if (k == 0)
                g->plan[i].delay = g->d_max;
        }
    }
    if (g->r_max) {
        for (uint32_t k = rng_range(r, pf->reorders_min, pf->reorders_max); k > 0; k--) {
            uint32_t from, until;
            place_window(g, rng_range(r, 30, 200), &from, &until);
            plan_window(g, PL_REORDER, from, until);
        }
    }
    if (rng_chance(r, pf->pct_dup)) {
        for (uint32_t k = rng_range(r, pf->dups_min, pf->dups_max); k > 0; k--) {
            uint32_t from, until;
            place_window(g, rng_range(r, 20, 200), &from, &until);
            plan_window(g, PL_DUPLICATE, from, until);
        }
    }
    if (rng_chance(r, pf->pct_pause)) {
        for (uint32_t k = rng_range(r, pf->pauses_min, pf->pauses_max); k > 0; k--) {
            uint32_t from, until;
            place_window(g, pause_ticks(g) + 1, &from, &until);
            plan_pause(g, from, until - from - 1);
        }
    }
    for (uint32_t k = rng_range(r, pf->long_min, pf->long_max); k > 0; k--) {
        uint32_t from, until;
        place_window(g, rng_range(r, LONG_PARTITION_MIN, 160), &from, &until);
        plan_window(g, PL_PARTITION, from, until);
    }
    for (uint32_t k = rng_range(r, pf->short_min, pf->short_max); k > 0; k--) {
        uint32_t from, until;
        place_window(g, rng_range(r, 1, 5), &from, &until);
        plan_window(g, PL_PARTITION, from, until);
    }
    for (uint32_t at = FAULTS_FROM + rng_range(r, pf->op_gap_min, pf->op_gap_max); at < g->fe;
         at += rng_range(r, pf->op_gap_min, pf->op_gap_max))
        plan_add(g, (plan_t){ .tick = at, .kind = PL_OP, .key = rng_below(r, g->nkeys),
                              .op = (int)rng_below(r, 5) < 3 ? 0 : 1 });
}

/* Appends s to the schedule if the rules allow it; frees it otherwise. */
static bool gen_try(gen_t *g, stmt_t *s)
{
    char why[256];
    stmt_render(s);
    if (model_step(&g->m, s, why) != 0) {
        stmt_free(s);
        return false;
    }
    sched_push(g->sc, s);
    return true;
}

/* Nodes `fail node` (or, for a pause, `pause node`) may name at tick t: live as far as the
 * campaign knows (not failed, not paused), started, with no restart planned, and for a
 * failure not resumed from a pause in the last W ticks. Returns how many, shuffled into out. */
static uint32_t fail_candidates(gen_t *g, uint32_t t, bool pause, uint32_t *out)
{
    uint32_t n = 0, resumed;
    for (uint32_t id = 1; id <= g->m.n_nodes; id++)
        if (model_live(&g->m, id, t) && !g->pending[id] && g->m.start[id] <= t &&
            (pause || !model_resumed(&g->m, id, t, &resumed) || (uint64_t)resumed + g->w <= t))
            out[n++] = id;
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = rng_below(g->rng, i), tmp = out[i - 1];
        out[i - 1] = out[j];
        out[j] = tmp;
    }
    return n;
}

static bool try_fail_node(gen_t *g, plan_t *it, uint32_t tries)
{
    uint32_t *cand = xcalloc(g->m.n_nodes + 1, sizeof *cand);
    uint32_t n = fail_candidates(g, it->tick, false, cand);
    bool ok = false;
    for (uint32_t i = 0; i < n && i < tries && !ok; i++) {
        stmt_t s = { .kind = ST_FAIL_NODE, .tick = it->tick, .node = cand[i] };
        if (gen_try(g, &s)) {
            it->node = cand[i];
            ok = true;
        }
    }
    free(cand);
    return ok;
}

/* Two sides of live nodes: a contiguous range of ids, a random split, or an arc of the ring. */
static void draw_groups(gen_t *g, stmt_t *s)
{
    uint32_t n = g->m.n_nodes;
    s->ngroups = n + 1;
    s->groups = xcalloc(n + 1, 1);
    switch (rng_below(g->rng, 3)) {
    case 0: {
        uint32_t k = rng_range(g->rng, n / 3, n - n / 3);
        for (uint32_t id = 1; id <= n; id++)
            s->groups[id] = id <= k ? 1 : 2;
        break;
    }
    case 1:
        for (uint32_t id = 1; id <= n; id++)
            s->groups[id] = (uint8_t)(1 + rng_below(g->rng, 2));
        /* Rarely one side draws nobody: a window between a group and nobody is no window (and
         * not a valid statement); node 1 then goes to the side that had none. */
        for (uint8_t side = 1; side <= 2; side++) {
            bool any = false;
            for (uint32_t id = 1; id <= n; id++)
                any |= s->groups[id] == side;
            if (!any)
                s->groups[1] = side;
        }
        break;
    default: {
        /* ranks on the ring: an arc of about half of it on one side */
        uint32_t start = rng_below(g->rng, n), len = rng_range(g->rng, n / 3, n - n / 3);
        for (uint32_t id = 1; id <= n; id++) {
            uint64_t p = model_pos(&g->m, id);
            uint32_t rank = 0;
            for (uint32_t o = 1; o <= n; o++) {
                uint64_t q = model_pos(&g->m, o);
                rank += q < p || (q == p && o < id);
            }
            s->groups[id] = (rank + n - start) % n < len ? 1 : 2;
        }
        break;
    }
    }
}

static void play_fail(gen_t *g, size_t idx)
{
    plan_t *it = &g->plan[idx];
    stmt_t s = { .tick = it->tick };
    switch (it->ftype) {
    case FT_NAMED:
    case FT_QUICK:
        if (!try_fail_node(g, it, 8))
            return;
        if (it->ftype == FT_QUICK) {
            g->pending[it->node] = 1;
            plan_add(g, (plan_t){ .tick = it->tick + it->count, .kind = PL_RESTART_OF,
                                  .ref = (uint32_t)idx,
                                  .keep = rng_chance(g->rng, g->pf->pct_keep) });
        } else if (it->later_restart) {
            g->pending[it->node] = 1;
        }
        return;
    case FT_RANDOM:
        s.kind = ST_FAIL_RANDOM;
        s.count = 1;
        break;
    case FT_ROLE:
        s.kind = ST_FAIL_ROLE;
        s.role = it->role;
        s.key = key_name(it->key);
        break;
    default:
        s.kind = ST_FAIL_NON_REPLICA;
        s.key = key_name(it->key);
        break;
    }
    gen_try(g, &s);
}

/* Plays one planned change against the model: chooses its node, keeps it if the rules allow. */
static void play(gen_t *g, size_t idx)
{
    plan_t it = g->plan[idx]; /* a copy: plan_add may move the array */
    rng_t *r = g->rng;
    stmt_t s = { .tick = it.tick, .until = it.until };
    switch (it.kind) {
    case PL_FAIL: play_fail(g, idx); return;
    case PL_PARTNER:
        if (g->plan[it.ref].node && try_fail_node(g, &it, MAX_NODES))
            g->plan[idx].node = it.node;
        return;
    case PL_RESTART_OF: {
        uint32_t x = g->plan[it.ref].node;
        if (!x)
            return;
        g->pending[x] = 0;
        if (g->m.failed[x]) {
            s.kind = ST_RESTART;
            s.node = x;
            s.keep = it.keep;
            gen_try(g, &s);
        }
        return;
    }
    case PL_RESTART_ANY: {
        uint32_t n = 0, pick;
        for (uint32_t id = 1; id <= g->m.n_nodes; id++)
            n += g->m.failed[id] && !g->pending[id];
        if (n == 0)
            return;
        pick = rng_below(r, n);
        for (uint32_t id = 1; id <= g->m.n_nodes; id++)
            if (g->m.failed[id] && !g->pending[id] && pick-- == 0) {
                s.kind = ST_RESTART;
                s.node = id;
                s.keep = it.keep;
                gen_try(g, &s);
                return;
            }
        return;
    }
    case PL_PAUSE: {
        uint32_t *cand = xcalloc(g->m.n_nodes + 1, sizeof *cand);
        uint32_t n = fail_candidates(g, it.tick, true, cand);
        for (uint32_t i = 0; i < n && i < 8; i++) {
            stmt_t p = { .kind = ST_PAUSE, .tick = it.tick, .node = cand[i], .count = it.count };
            if (gen_try(g, &p))
                break;
        }
        free(cand);
        return;
    }
    case PL_ADD:
        s.kind = ST_ADD;
        s.count = it.count;
        if (g->m.n_nodes + s.count > MAX_NODES)
            s.count = MAX_NODES - g->m.n_nodes;
        if (s.count)
            gen_try(g, &s);
        return;
    case PL_DROP: /* smaller and smaller, until the loss windows together fit the plan */
        for (uint32_t h = it.hundredths; h >= 1; h /= 2) {
            stmt_t d = { .kind = ST_DROP, .tick = it.tick, .until = it.until, .p = h / 100.0,
                         .one_way = it.between && it.one_way };
            if (it.between)
                draw_groups(g, &d);
            if (gen_try(g, &d))
                return;
        }
        return;
    case PL_PARTITION:
        for (int tries = 0; tries < 6; tries++) {
            stmt_t p = { .kind = ST_PARTITION, .tick = it.tick, .until = it.until,
                         .one_way = it.one_way };
            draw_groups(g, &p);
            if (gen_try(g, &p))
                return;
        }
        return;
    case PL_DELAY:
    case PL_DUPLICATE:
    case PL_REORDER:
        s.kind = it.kind == PL_DELAY ? ST_DELAY : it.kind == PL_REORDER ? ST_REORDER : ST_DUPLICATE;
        s.delay = it.delay;
        s.p = it.hundredths / 100.0;
        if (it.between) {
            draw_groups(g, &s);
            s.one_way = it.one_way;
        }
        gen_try(g, &s);
        return;
    case PL_OP:
        s.kind = ST_OP;
        s.key = key_name(it.key);
        if (it.op == 0) {
            s.op = OP_UPDATE;
            s.value = xasprintf("k%u.%u", it.key + 1, ++g->updates);
        } else {
            s.op = OP_READ;
        }
        gen_try(g, &s);
        return;
    }
}

/* Plays the plan in tick order (file order within a tick), including changes added on the
 * way (quick restarts). */
static void play_plan(gen_t *g)
{
    for (;;) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < g->nplan; i++) {
            if (g->plan[i].done)
                continue;
            if (best == SIZE_MAX || g->plan[i].tick < g->plan[best].tick ||
                (g->plan[i].tick == g->plan[best].tick && g->plan[i].seq < g->plan[best].seq))
                best = i;
        }
        if (best == SIZE_MAX)
            return;
        g->plan[best].done = true;
        play(g, best);
    }
}

static int stmt_cmp(const void *a, const void *b)
{
    const stmt_t *x = a, *y = b;
    uint32_t tx = stmt_order_tick(x), ty = stmt_order_tick(y);
    return tx < ty ? -1 : tx > ty;
}

/* Sorts statements by tick, keeping the order of equal ticks (insertion sort: small lists). */
static void sort_statements(sched_t *sc)
{
    for (size_t i = 1; i < sc->n; i++) {
        stmt_t cur = sc->st[i];
        size_t j = i;
        while (j > 0 && stmt_cmp(&sc->st[j - 1], &cur) > 0) {
            sc->st[j] = sc->st[j - 1];
            j--;
        }
        sc->st[j] = cur;
    }
}

static void push_rendered(sched_t *sc, stmt_t *s)
{
    stmt_render(s);
    sched_push(sc, s);
}

/* The final section, after a quiet period of W + 100 ticks: an update of every named key
 * expected to succeed, a read of it 20 ticks later, its replication some ticks after that,
 * and no lost writes. Returns the last tick used. */
static uint32_t add_finals(sched_t *sc, rng_t *r, uint32_t nkeys, uint32_t q1)
{
    uint32_t repl = q1 + 40 + rng_below(r, 21);
    for (uint32_t k = 0; k < nkeys; k++) {
        stmt_t u = { .kind = ST_OP, .tick = q1, .op = OP_UPDATE, .expect = EXP_SUCCESS,
                     .key = key_name(k), .value = xasprintf("k%u.final", k + 1) };
        push_rendered(sc, &u);
    }
    for (uint32_t k = 0; k < nkeys; k++) {
        stmt_t rd = { .kind = ST_OP, .tick = q1 + 20, .op = OP_READ, .expect = EXP_VALUE,
                      .key = key_name(k), .expect_value = xasprintf("k%u.final", k + 1) };
        push_rendered(sc, &rd);
    }
    for (uint32_t k = 0; k < nkeys; k++) {
        stmt_t e = { .kind = ST_EXPECT_REPLICATED, .tick = repl, .key = key_name(k) };
        push_rendered(sc, &e);
    }
    stmt_t nl = { .kind = ST_EXPECT_NO_LOST };
    push_rendered(sc, &nl);
    return repl;
}

/* One draw of schedule `index`; -1 when it breaks a rule (then drawn again). */
static int generate_once(rng_t *r, const profile_t *pf, sched_t *sc, uint32_t *w_out,
                         char *why)
{
    memset(sc, 0, sizeof *sc);
    gen_t g = { .pf = pf, .rng = r, .sc = sc };
    sc->nodes = rng_range(r, 10, 60);
    sc->seed = rng_next(r) % 1000000000000ULL;
    g.nkeys = rng_range(r, 2, 5);
    g.p_max_h = rng_chance(r, pf->pct_loss) ? 5 * rng_range(r, 1, 6) : 0;
    g.d_max = rng_chance(r, pf->pct_delay) ? rng_range(r, 1, pf->delay_max) : 0;
    g.r_max = rng_chance(r, pf->pct_reorder) ? rng_range(r, 1, pf->reorder_max) : 0;
    g.w = stabilization_time(g.p_max_h / 100.0, g.d_max + g.r_max);
    g.pending = xcalloc(MAX_NODES + 2, 1);
    model_init(&g.m, sc->nodes, g.w, g.p_max_h / 100.0, 0);
    for (uint32_t k = 0; k < g.nkeys; k++) {
        stmt_t c = { .kind = ST_OP, .tick = CREATE_TICK + k, .op = OP_CREATE,
                     .expect = EXP_SUCCESS, .key = key_name(k),
                     .value = xasprintf("k%u.0", k + 1) };
        gen_try(&g, &c);
    }
    plan_faults(&g);
    play_plan(&g);
    /* the quiet period starts after the last fault */
    uint32_t q0 = FAULTS_FROM;
    for (size_t i = 0; i < sc->n; i++) {
        uint32_t end = stmt_fault_end(&sc->st[i]);
        q0 = end > q0 ? end : q0;
    }
    /* named operations belong to the fault period: drop those after it */
    size_t kept = 0;
    for (size_t i = 0; i < sc->n; i++) {
        if (sc->st[i].kind == ST_OP && sc->st[i].expect == EXP_NONE && sc->st[i].tick >= q0)
            stmt_free(&sc->st[i]);
        else
            sc->st[kept++] = sc->st[i];
    }
    sc->n = kept;
    stmt_t wl = { .kind = ST_WORKLOAD, .tick = rng_range(r, CREATE_TICK + 5, CREATE_TICK + 30),
                  .until = q0, .rate = rng_range(r, 1, 3), .count = rng_range(r, 20, 100) };
    if (rng_chance(r, 50)) {
        wl.has_mix = true;
        wl.mix[0] = rng_range(r, 20, 80);
        wl.mix[2] = rng_range(r, 0, 20);
        wl.mix[1] = 100 - wl.mix[0] - wl.mix[2];
    }
    push_rendered(sc, &wl);
    network_t net = sched_network(sc, NULL, 0);
    uint32_t w = stabilization_time(net.loss, net.delay);
    uint32_t q1 = q0 + w + 100 + rng_below(r, 31);
    uint32_t last = add_finals(sc, r, g.nkeys, q1);
    sc->ticks = last + 60;
    sort_statements(sc);
    sched_add_setting(sc, xasprintf("MAX_NNB: %u", sc->nodes));
    sched_add_setting(sc, xasprintf("SEED: %llu", (unsigned long long)sc->seed));
    sched_add_setting(sc, xasprintf("TICKS: %u", sc->ticks));
    if (net.slow)
        sched_add_setting(sc, xasprintf("COORDINATOR_TIMEOUT: %u",
                                        coordinator_timeout(net.delay)));
    model_free(&g.m);
    free(g.plan);
    free(g.pending);
    *w_out = w;
    return sched_validate(sc, NULL, 0, q1, NULL, why);
}

/* The statement model reads back what the generator wrote: each statement parses, renders to
 * the same text, and the whole file keeps the rules with the same W (the shrinker works on
 * the parsed form). Exits on a mismatch: a bug of this program. */
static void check_read_back(const sched_t *sc, uint64_t index, uint32_t w)
{
    char *text = sched_text(sc, NULL, NULL, 0);
    sched_t back;
    char why[256] = "";
    const char *wrong = NULL;
    uint32_t w2 = 0;
    if (sched_parse(text, &back, why, sizeof why) != 0) {
        free(text);
        fprintf(stderr, PROG ": internal error: schedule %llu does not read back: %s\n",
                (unsigned long long)index, why);
        exit(EXIT_USAGE);
    }
    free(text);
    if (back.n != sc->n)
        wrong = "(the number of statements)";
    for (size_t i = 0; i < back.n && !wrong; i++) {
        char *as_read = xstrdup(back.st[i].text);
        stmt_render(&back.st[i]);
        if (strcmp(back.st[i].text, as_read) != 0)
            wrong = sc->st[i].text;
        free(as_read);
    }
    if (!wrong && (sched_validate(&back, NULL, 0, 0, &w2, why) != 0 || w2 != w))
        wrong = why[0] ? why : "(W)";
    if (wrong) {
        fprintf(stderr, PROG ": internal error: schedule %llu reads back otherwise: %s\n",
                (unsigned long long)index, wrong);
        exit(EXIT_USAGE);
    }
    sched_free(&back);
}

/* Schedule `index` of the campaign: deterministic in (seed, index, profile). */
static void generate(uint64_t seed, uint64_t index, unsigned profile, sched_t *sc, uint32_t *w)
{
    char why[256] = "";
    for (unsigned attempt = 0; attempt < 100; attempt++) {
        rng_t r;
        rng_seed(&r, seed, index, profile, attempt);
        if (generate_once(&r, &profiles[profile], sc, w, why) == 0) {
            network_t net = sched_network(sc, NULL, 0);
            sc->header = xasprintf(
                "# Schedule %llu of campaign seed %llu, profile %s (tools/campaign --print %llu "
                "--seed %llu --profile %s)\n"
                "# %u nodes; W = %u ticks (worst loss %.4f, worst delay %u: longest delay %u, "
                "reordering %u); history check: tools/check-history --quiet %u dbg.log "
                "state.txt\n",
                (unsigned long long)index, (unsigned long long)seed, profiles[profile].name,
                (unsigned long long)index, (unsigned long long)seed, profiles[profile].name,
                sc->nodes, *w, net.loss, net.delay, net.longest, net.reorder, *w);
            check_read_back(sc, index, *w);
            return;
        }
        sched_free(sc);
    }
    fprintf(stderr, PROG ": internal error: schedule %llu breaks a rule in 100 draws (%s)\n",
            (unsigned long long)index, why);
    exit(EXIT_USAGE);
}

/* ---------------------------------------------------------------- violations by kind */

typedef struct {
    char *name;
    unsigned count;
} kind_t;

typedef struct {
    kind_t *v; /* sorted by name */
    size_t n;
} kinds_t;

static void kinds_add(kinds_t *k, const char *name, size_t len, unsigned count)
{
    if (count == 0)
        return;
    char *key = xrealloc(NULL, len + 1, 1);
    memcpy(key, name, len);
    key[len] = '\0';
    size_t i = 0;
    while (i < k->n && strcmp(k->v[i].name, key) < 0)
        i++;
    if (i < k->n && !strcmp(k->v[i].name, key)) {
        k->v[i].count += count;
        free(key);
        return;
    }
    k->v = xrealloc(k->v, k->n + 1, sizeof *k->v);
    memmove(&k->v[i + 1], &k->v[i], (k->n - i) * sizeof *k->v);
    k->v[i] = (kind_t){ key, count };
    k->n++;
}

static void kinds_add_str(kinds_t *k, const char *name, unsigned count)
{
    kinds_add(k, name, strlen(name), count);
}

static void kinds_merge(kinds_t *into, const kinds_t *from)
{
    for (size_t i = 0; i < from->n; i++)
        kinds_add_str(into, from->v[i].name, from->v[i].count);
}

static unsigned long long kinds_total(const kinds_t *k)
{
    unsigned long long t = 0;
    for (size_t i = 0; i < k->n; i++)
        t += k->v[i].count;
    return t;
}

static bool kinds_has(const kinds_t *k, const char *name)
{
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->v[i].name, name))
            return true;
    return false;
}

/* "kind=count, kind=count" */
static char *kinds_format(const kinds_t *k)
{
    buf_t b = { 0 };
    for (size_t i = 0; i < k->n; i++)
        buf_printf(&b, "%s%s=%u", i ? ", " : "", k->v[i].name, k->v[i].count);
    return buf_take(&b);
}

static void kinds_free(kinds_t *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->v[i].name);
    free(k->v);
    k->v = NULL;
    k->n = 0;
}

/* ---------------------------------------------------------------- files */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf_t b = { 0 };
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_printf(&b, "%.*s", (int)n, chunk);
    fclose(f);
    return buf_take(&b);
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t len = strlen(text);
    bool ok = fwrite(text, 1, len, f) == len;
    if (fclose(f) != 0 || !ok)
        return -1;
    return 0;
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return -1;
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    char chunk[65536];
    size_t n;
    bool ok = true;
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
        ok &= fwrite(chunk, 1, n, out) == n;
    fclose(in);
    return fclose(out) == 0 && ok ? 0 : -1;
}

/* Removes a run directory and the files in it (it has no subdirectories). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *path = xasprintf("%s/%s", dir, e->d_name);
            unlink(path);
            free(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* Removes the campaign's temporary directory and the run directories left in it. */
static void remove_tmp(const char *tmp)
{
    DIR *d = opendir(tmp);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *path = xasprintf("%s/%s", tmp, e->d_name);
            remove_dir(path);
            free(path);
        }
        closedir(d);
    }
    rmdir(tmp);
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; rc == 0; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = -1;
        *s = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (rc == 0 && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)))
        rc = -1;
    free(p);
    return rc;
}

/* The first `max` lines of text that satisfy keep (all when keep is NULL), each prefixed. */
static void quote_lines(buf_t *b, const char *text, const char *prefix, size_t max,
                        bool (*keep)(const char *line, size_t len))
{
    size_t shown = 0, skipped = 0;
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > 0 && (!keep || keep(p, len))) {
            if (shown < max)
                buf_printf(b, "%s%.*s\n", prefix, (int)(len > 300 ? 300 : len), p);
            else
                skipped++;
            shown++;
        }
        p = nl ? nl + 1 : p + len;
    }
    if (skipped)
        buf_printf(b, "%s... (%zu more)\n", prefix, skipped);
}

static bool is_fail_line(const char *line, size_t len)
{
    return len >= 5 && !strncmp(line, "FAIL ", 5);
}

static unsigned count_fail_lines(const char *text)
{
    unsigned n = 0;
    for (const char *p = text; p && *p;) {
        if (!strncmp(p, "FAIL ", 5))
            n++;
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : p + strlen(p);
    }
    return n;
}

/* ---------------------------------------------------------------- running programs */

typedef enum { STEP_IDLE, STEP_CHECK, STEP_APP, STEP_CHECKER, STEP_DONE } step_t;

/* One scenario to run: optionally APP --check, then APP FILE --dump-state state.txt, then the
 * checker, in its own directory. */
typedef struct {
    char *dir;          /* absolute */
    char *text;         /* the scenario (owned) */
    uint32_t quiet;     /* Q for the checker */
    bool check_first, check_only;
    step_t step;
    pid_t pid;
    double started;
    bool killed;
    /* outcome */
    bool invalid;       /* APP --check refused it (or could not run) */
    kinds_t kinds;
    char *app_lines;     /* how the Application ended */
    char *checker_lines; /* the checker's first lines */
} job_t;

typedef struct {
    const char *app;     /* absolute path */
    const char *checker; /* absolute path, or NULL for none */
    unsigned jobs;
    double timeout;      /* seconds per program */
} runner_t;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void job_reset(job_t *j)
{
    free(j->text);
    free(j->dir);
    free(j->app_lines);
    free(j->checker_lines);
    kinds_free(&j->kinds);
    memset(j, 0, sizeof *j);
}

/* Starts argv[0] in dir with stdin from /dev/null and stdout, stderr into files there, in a
 * process group of its own (so a timeout kills what it started too). */
static pid_t spawn(const char *dir, char *const argv[], const char *out, const char *err)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid != 0) {
        if (pid > 0)
            setpgid(pid, pid);
        return pid;
    }
    setpgid(0, 0);
    if (chdir(dir) != 0)
        _exit(126);
    int in = open("/dev/null", O_RDONLY);
    int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || fo < 0 || fe < 0 || dup2(in, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
        _exit(126);
    close(in);
    close(fo);
    close(fe);
    execv(argv[0], argv);
    _exit(127);
}

static int job_spawn(const runner_t *r, job_t *j)
{
    char quiet[16];
    snprintf(quiet, sizeof quiet, "%u", j->quiet);
    char *check[] = { (char *)r->app, "--check", "schedule.conf", NULL };
    char *app[] = { (char *)r->app, "schedule.conf", "--dump-state", "state.txt", NULL };
    char *checker[] = { (char *)r->checker, "-q", "--quiet", quiet, "dbg.log", "state.txt", NULL };
    switch (j->step) {
    case STEP_CHECK: j->pid = spawn(j->dir, check, "check.out", "check.err"); break;
    case STEP_APP: j->pid = spawn(j->dir, app, "app.out", "app.err"); break;
    case STEP_CHECKER: j->pid = spawn(j->dir, checker, "checker.out", "checker.err"); break;
    default: return -1;
    }
    j->started = now_seconds();
    j->killed = false;
    return j->pid > 0 ? 0 : -1;
}

static int job_begin(const runner_t *r, job_t *j)
{
    if (mkdir(j->dir, 0777) != 0 && errno != EEXIST)
        return -1;
    char *conf = xasprintf("%s/schedule.conf", j->dir);
    int rc = write_file(conf, j->text);
    free(conf);
    if (rc != 0)
        return -1;
    j->step = j->check_first || j->check_only ? STEP_CHECK : STEP_APP;
    return job_spawn(r, j);
}

static char *job_file(const job_t *j, const char *name)
{
    char *path = xasprintf("%s/%s", j->dir, name);
    char *text = read_file(path);
    free(path);
    return text;
}

/* How a program ended, in words. */
static void describe_exit(buf_t *b, const char *what, int status, bool killed, double timeout)
{
    if (killed)
        buf_printf(b, "%s: killed after %.0f s\n", what, timeout);
    else if (WIFSIGNALED(status))
        buf_printf(b, "%s: killed by signal %d\n", what, WTERMSIG(status));
    else
        buf_printf(b, "%s: exit status %d\n", what, WEXITSTATUS(status));
}

/* The Application's verdict: exit 0 clean; 3 one `expectation` per FAIL line; anything else a
 * `crash`, or a `timeout` when it was killed. Returns whether the checker should run. */
static bool judge_app(const runner_t *r, job_t *j, int status)
{
    buf_t b = { 0 };
    char *out = job_file(j, "app.out"), *err = job_file(j, "app.err");
    describe_exit(&b, "Application", status, j->killed, r->timeout);
    bool completed = false;
    if (j->killed) {
        kinds_add_str(&j->kinds, "timeout", 1);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        completed = true;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
        unsigned n = count_fail_lines(out);
        kinds_add_str(&j->kinds, "expectation", n ? n : 1);
        quote_lines(&b, out, "  ", SHOWN_LINES, is_fail_line);
        completed = true;
    } else {
        kinds_add_str(&j->kinds, "crash", 1);
        quote_lines(&b, err, "  ", SHOWN_LINES, NULL);
    }
    free(j->app_lines);
    j->app_lines = buf_take(&b);
    free(out);
    free(err);
    return completed && r->checker;
}

/* The checker's verdict from its last line, "check-history: ...; V violations (kind=n, ...)"
 * (or "...; 0 violations"); exit 2, a signal, a timeout or an unreadable line: `checker-error`. */
static void judge_checker(const runner_t *r, job_t *j, int status)
{
    buf_t b = { 0 };
    char *out = job_file(j, "checker.out"), *err = job_file(j, "checker.err");
    quote_lines(&b, out, "  ", SHOWN_LINES, NULL);
    quote_lines(&b, err, "  ", SHOWN_LINES, NULL);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    bool ok = !j->killed && (code == 0 || code == 1);
    const char *last = NULL;
    size_t last_len = 0;
    for (const char *p = out; ok && p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > 0) {
            last = p;
            last_len = len;
        }
        p = nl ? nl + 1 : p + len;
    }
    kinds_t found = { 0 };
    unsigned long total = 0;
    if (ok && last && last_len > 15 && !strncmp(last, "check-history: ", 15)) {
        char *line = xrealloc(NULL, last_len + 1, 1);
        memcpy(line, last, last_len);
        line[last_len] = '\0';
        char *semi = strrchr(line, ';'), *end;
        ok = semi && semi[1] == ' ';
        if (ok) {
            total = strtoul(semi + 2, &end, 10);
            ok = end != semi + 2 && (!strncmp(end, " violations", 11) || !strncmp(end, " violation", 10));
            char *open = strchr(end, '(');
            for (char *item = open ? open + 1 : NULL; ok && item && *item && *item != ')';) {
                char *eq = strchr(item, '=');
                if (!eq)
                    break;
                unsigned long n = strtoul(eq + 1, &end, 10);
                kinds_add(&found, item, (size_t)(eq - item), (unsigned)n);
                item = end;
                while (*item == ',' || *item == ' ')
                    item++;
            }
        }
        free(line);
    } else {
        ok = false;
    }
    if (!ok || (code == 1 && total == 0)) {
        kinds_add_str(&j->kinds, "checker-error", 1);
        buf_printf(&b, "  (");
        describe_exit(&b, "check-history", status, j->killed, r->timeout);
        b.len--; /* no newline */
        buf_printf(&b, "%s)\n", ok ? ", but no violations counted" : "");
    } else {
        kinds_merge(&j->kinds, &found);
        if (kinds_total(&found) < total) /* counted without a kind */
            kinds_add_str(&j->kinds, "history", (unsigned)(total - kinds_total(&found)));
    }
    kinds_free(&found);
    free(j->checker_lines);
    j->checker_lines = buf_take(&b);
    free(out);
    free(err);
}

/* A program of job j ended with status: judge it and start the next one, or finish. */
static void job_step_done(const runner_t *r, job_t *j, int status)
{
    switch (j->step) {
    case STEP_CHECK:
        if (!j->killed && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            if (j->check_only)
                break;
            j->step = STEP_APP;
            if (job_spawn(r, j) == 0)
                return;
        }
        j->invalid = true;
        {
            buf_t b = { 0 };
            char *err = job_file(j, "check.err");
            describe_exit(&b, "Application --check", status, j->killed, r->timeout);
            quote_lines(&b, err, "  ", SHOWN_LINES, NULL);
            free(err);
            free(j->app_lines);
            j->app_lines = buf_take(&b);
        }
        break;
    case STEP_APP:
        if (judge_app(r, j, status)) {
            j->step = STEP_CHECKER;
            if (job_spawn(r, j) == 0)
                return;
            kinds_add_str(&j->kinds, "checker-error", 1);
        }
        break;
    case STEP_CHECKER: judge_checker(r, j, status); break;
    default: break;
    }
    j->step = STEP_DONE;
    j->pid = 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Runs jobs[0..n) to the end, r->jobs at a time, in order of index. prepare(ctx, i) is called
 * just before job i starts (to fill it), done(ctx, i) when it has finished. Returns 0, or -1
 * when interrupted or when a job could not be started (every started program is then killed). */
static int run_jobs(const runner_t *r, job_t *jobs, size_t n, void (*prepare)(void *, size_t),
                    void (*done)(void *, size_t), void *ctx)
{
    size_t *slot = xcalloc(r->jobs, sizeof *slot); /* index + 1 of the job in a slot, or 0 */
    size_t next = 0, finished = 0, running = 0;
    int rc = 0;
    while (finished < n && rc == 0) {
        while (running < r->jobs && next < n && !interrupted) {
            if (prepare)
                prepare(ctx, next);
            if (job_begin(r, &jobs[next]) != 0) {
                fprintf(stderr, PROG ": cannot start a run in %s: %s\n", jobs[next].dir,
                        strerror(errno));
                rc = -1;
                break;
            }
            for (unsigned s = 0; s < r->jobs; s++)
                if (!slot[s]) {
                    slot[s] = next + 1;
                    break;
                }
            next++;
            running++;
        }
        if (interrupted || rc != 0) {
            rc = -1;
            break;
        }
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            for (unsigned s = 0; s < r->jobs; s++) {
                job_t *j = slot[s] ? &jobs[slot[s] - 1] : NULL;
                if (!j || j->pid != pid)
                    continue;
                job_step_done(r, j, status);
                if (j->step == STEP_DONE) {
                    size_t i = slot[s] - 1;
                    slot[s] = 0;
                    running--;
                    finished++;
                    if (done)
                        done(ctx, i);
                }
                break;
            }
            continue;
        }
        double t = now_seconds();
        for (unsigned s = 0; s < r->jobs; s++) {
            job_t *j = slot[s] ? &jobs[slot[s] - 1] : NULL;
            if (j && j->pid > 0 && !j->killed && t - j->started > r->timeout) {
                kill(-j->pid, SIGKILL);
                kill(j->pid, SIGKILL);
                j->killed = true;
            }
        }
        sleep_ms(2);
    }
    if (rc != 0) { /* stop what still runs */
        for (unsigned s = 0; s < r->jobs; s++) {
            job_t *j = slot[s] ? &jobs[slot[s] - 1] : NULL;
            if (j && j->pid > 0) {
                kill(-j->pid, SIGKILL);
                kill(j->pid, SIGKILL);
                waitpid(j->pid, NULL, 0);
                j->pid = 0;
            }
        }
    }
    free(slot);
    return rc;
}

/* ---------------------------------------------------------------- the campaign */

typedef struct {
    runner_t run;
    uint64_t seed;
    unsigned profile;
    size_t runs;
    const char *out_dir;
    bool shrink, keep, verbose;
    char *tmp;           /* the campaign's temporary directory */
    job_t *jobs;         /* one per schedule */
    uint32_t *w;         /* W of each schedule */
    uint64_t *run_seed;  /* SEED of each schedule */
    bool *reported;      /* finished (and settled) */
    char **saved;        /* where a failing schedule was saved, until it is reported */
    size_t next_report;
    kinds_t total;
    size_t clean;
    bool out_ready;
} campaign_t;

static void campaign_prepare(void *ctx, size_t i)
{
    campaign_t *c = ctx;
    sched_t sc;
    generate(c->seed, i, c->profile, &sc, &c->w[i]);
    job_t *j = &c->jobs[i];
    j->text = sched_text(&sc, NULL, NULL, 0);
    j->dir = xasprintf("%s/run-%zu", c->tmp, i);
    j->quiet = c->w[i];
    c->run_seed[i] = sc.seed;
    sched_free(&sc);
}

static bool ensure_out_dir(campaign_t *c)
{
    if (!c->out_ready && make_dirs(c->out_dir) != 0) {
        fprintf(stderr, PROG ": cannot create %s: %s\n", c->out_dir, strerror(errno));
        return false;
    }
    c->out_ready = true;
    return true;
}

/* Comment lines: the violations, how the Application ended, the checker's first lines. */
static void verdict_header(buf_t *b, const runner_t *r, const job_t *j, uint32_t w)
{
    char *k = kinds_format(&j->kinds);
    buf_printf(b, "# Violations: %s\n", j->kinds.n ? k : "none");
    free(k);
    buf_t lines = { 0 };
    if (j->app_lines)
        buf_printf(&lines, "%s", j->app_lines);
    if (r->checker && j->checker_lines)
        buf_printf(&lines, "check-history -q --quiet %u dbg.log state.txt:\n%s", w,
                   j->checker_lines);
    char *text = buf_take(&lines);
    quote_lines(b, text, "# ", 4 * SHOWN_LINES, NULL);
    free(text);
}

static void replay_header(buf_t *b, const runner_t *r, const char *path, uint32_t w)
{
    buf_printf(b, "# Replay: ./Application %s%s", path, r->checker ? " --dump-state state.txt" : "");
    if (r->checker)
        buf_printf(b, "; tools/check-history --quiet %u dbg.log state.txt", w);
    buf_printf(b, "\n");
}

/* Saves failing schedule i as DIR/fail-<i>.conf (and its logs with --keep); returns the path. */
static char *save_failure(campaign_t *c, size_t i)
{
    job_t *j = &c->jobs[i];
    char *path = xasprintf("%s/fail-%zu.conf", c->out_dir, i);
    if (!ensure_out_dir(c))
        return path;
    buf_t b = { 0 };
    buf_printf(&b, "# Failing schedule %zu of campaign seed %llu, profile %s\n", i,
               (unsigned long long)c->seed, profiles[c->profile].name);
    replay_header(&b, &c->run, path, c->w[i]);
    verdict_header(&b, &c->run, j, c->w[i]);
    buf_printf(&b, "%s", j->text);
    char *text = buf_take(&b);
    if (write_file(path, text) != 0)
        fprintf(stderr, PROG ": cannot write %s: %s\n", path, strerror(errno));
    free(text);
    if (c->keep) {
        static const char *const kept[] = { "dbg.log", "state.txt" };
        for (size_t k = 0; k < 2; k++) {
            char *from = xasprintf("%s/%s", j->dir, kept[k]);
            char *to = xasprintf("%s/fail-%zu.%s", c->out_dir, i, kept[k]);
            if (access(from, F_OK) == 0 && copy_file(from, to) != 0)
                fprintf(stderr, PROG ": cannot write %s: %s\n", to, strerror(errno));
            free(from);
            free(to);
        }
    }
    return path;
}

/* Schedule i has finished: saves it if it failed, removes its run directory, and keeps only
 * what the report (and the shrinker) need. */
static void settle(campaign_t *c, size_t i)
{
    job_t *j = &c->jobs[i];
    if (j->kinds.n)
        c->saved[i] = save_failure(c, i);
    remove_dir(j->dir);
    free(j->dir);
    j->dir = NULL;
    if (!j->kinds.n || !c->shrink) {
        free(j->app_lines);
        free(j->checker_lines);
        free(j->text);
        j->app_lines = j->checker_lines = j->text = NULL;
    }
}

/* Prints the outcome of schedule i, in index order. */
static void report(campaign_t *c, size_t i)
{
    job_t *j = &c->jobs[i];
    if (j->kinds.n == 0) {
        c->clean++;
        if (c->verbose)
            printf("schedule %zu (seed %llu): clean\n", i, (unsigned long long)c->run_seed[i]);
    } else {
        kinds_merge(&c->total, &j->kinds);
        char *k = kinds_format(&j->kinds);
        printf("schedule %zu (seed %llu): %s -> %s\n", i, (unsigned long long)c->run_seed[i], k,
               c->saved[i]);
        free(k);
        free(c->saved[i]);
        c->saved[i] = NULL;
        if (!c->shrink)
            kinds_free(&j->kinds);
    }
    fflush(stdout);
}

static void campaign_done(void *ctx, size_t i)
{
    campaign_t *c = ctx;
    settle(c, i);
    c->reported[i] = true;
    while (c->next_report < c->runs && c->reported[c->next_report])
        report(c, c->next_report++);
}

/* ---------------------------------------------------------------- shrinking */

/* Delta debugging (ddmin) over the statements of a failing schedule: settings stay; a
 * candidate must keep the rules (checked by the model, then by APP --check) and fail with a
 * violation of the target kind. */
typedef struct {
    campaign_t *c;
    size_t index, serial;
    sched_t sc;
    const char *target;
    char **tested;   /* candidates tried, as '0'/'1' masks */
    bool *failed;
    size_t ntested;
    size_t runs;
    job_t best;      /* the verdict of the smallest failing candidate */
} shrink_t;

/* The kind a shrink keeps: a crash or timeout first, then what the checker found, then failed
 * expectations, then checker errors. */
static const char *target_kind(const kinds_t *k)
{
    static const char *const first[] = { "crash", "timeout" };
    for (size_t i = 0; i < 2; i++)
        if (kinds_has(k, first[i]))
            return first[i];
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->v[i].name, "expectation") && strcmp(k->v[i].name, "checker-error"))
            return k->v[i].name;
    return kinds_has(k, "expectation") ? "expectation" : k->n ? k->v[0].name : "crash";
}

static char *mask_of(const shrink_t *s, const size_t *sel, size_t n)
{
    char *m = xrealloc(NULL, s->sc.n + 1, 1);
    memset(m, '0', s->sc.n);
    m[s->sc.n] = '\0';
    for (size_t i = 0; i < n; i++)
        m[sel[i]] = '1';
    return m;
}

static int cached(const shrink_t *s, const char *mask)
{
    for (size_t i = 0; i < s->ntested; i++)
        if (!strcmp(s->tested[i], mask))
            return s->failed[i];
    return -1;
}

static void remember(shrink_t *s, char *mask, bool failed)
{
    s->tested = xrealloc(s->tested, s->ntested + 1, sizeof *s->tested);
    s->failed = xrealloc(s->failed, s->ntested + 1, sizeof *s->failed);
    s->tested[s->ntested] = mask;
    s->failed[s->ntested++] = failed;
}

/* Runs the batch of candidate jobs and remembers their answers; returns the position in it of
 * the first that fails with the target kind (its verdict moves to s->best), or -1. */
static long run_batch(shrink_t *s, job_t *jobs, char **masks, size_t n)
{
    long found = -1;
    int rc = run_jobs(&s->c->run, jobs, n, NULL, NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].dir)
            remove_dir(jobs[i].dir);
        if (rc == 0) {
            bool fail = !jobs[i].invalid && kinds_has(&jobs[i].kinds, s->target);
            remember(s, masks[i], fail);
            if (fail && found < 0) {
                found = (long)i;
                job_reset(&s->best);
                s->best = jobs[i];
                memset(&jobs[i], 0, sizeof jobs[i]);
            }
        } else {
            free(masks[i]);
        }
        masks[i] = NULL;
        job_reset(&jobs[i]);
    }
    return found;
}

/* Tests the k candidates in order, J runs at a time; returns the index of the first that
 * fails with the target kind, or -1. A candidate that breaks a rule counts as passing. */
static long first_failing(shrink_t *s, size_t **cand, const size_t *ncand, size_t k)
{
    unsigned width = s->c->run.jobs;
    job_t *jobs = xcalloc(width, sizeof *jobs);
    char **masks = xcalloc(width, sizeof *masks);
    size_t *pos = xcalloc(width, sizeof *pos);
    size_t nb = 0;
    long result = -1;
    for (size_t i = 0; i < k && result < 0 && !interrupted; i++) {
        char *mask = mask_of(s, cand[i], ncand[i]);
        int known = cached(s, mask);
        uint32_t w = 0;
        char why[256];
        if (known < 0 && s->runs >= SHRINK_BUDGET) {
            known = 0; /* out of budget: not tried */
        } else if (known < 0 && sched_validate(&s->sc, cand[i], ncand[i], 0, &w, why) != 0) {
            remember(s, mask, false);
            mask = NULL;
            known = 0;
        }
        if (known < 0) {
            job_t *j = &jobs[nb];
            j->text = sched_text(&s->sc, NULL, cand[i], ncand[i]);
            j->dir = xasprintf("%s/shrink-%zu-%zu", s->c->tmp, s->index, s->serial++);
            j->quiet = w;
            j->check_first = true;
            masks[nb] = mask;
            pos[nb++] = i;
            s->runs++;
            mask = NULL;
        } else if (known == 1 && nb == 0) {
            result = (long)i;
        }
        free(mask);
        /* run the batch when it is full, at the end, or when a known failure waits behind it */
        if (nb > 0 && (nb == width || i + 1 == k || known == 1)) {
            long f = run_batch(s, jobs, masks, nb);
            nb = 0;
            if (f >= 0)
                result = (long)pos[f];
            else if (known == 1)
                result = (long)i;
        }
    }
    for (size_t i = 0; i < nb; i++) {
        free(masks[i]);
        job_reset(&jobs[i]);
    }
    free(jobs);
    free(masks);
    free(pos);
    return result;
}

static void shrink_one(campaign_t *c, size_t index)
{
    job_t *orig = &c->jobs[index];
    shrink_t s = { .c = c, .index = index };
    char err[256];
    if (sched_parse(orig->text, &s.sc, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": schedule %zu: cannot shrink: %s\n", index, err);
        return;
    }
    s.target = target_kind(&orig->kinds);
    size_t n = s.sc.n;
    size_t *cur = xcalloc(n, sizeof *cur), ncur = n, gran = 2;
    for (size_t i = 0; i < n; i++)
        cur[i] = i;
    remember(&s, mask_of(&s, cur, ncur), true);
    while (ncur >= 2 && s.runs < SHRINK_BUDGET && !interrupted) {
        if (gran > ncur)
            gran = ncur;
        /* candidates: each chunk alone, then (when there are more than two) each complement */
        size_t k = gran > 2 ? 2 * gran : gran;
        size_t **cand = xcalloc(k, sizeof *cand), *ncand = xcalloc(k, sizeof *ncand);
        for (size_t ch = 0; ch < gran; ch++) {
            size_t lo = ch * ncur / gran, hi = (ch + 1) * ncur / gran;
            cand[ch] = xcalloc(hi - lo, sizeof **cand);
            for (size_t i = lo; i < hi; i++)
                cand[ch][ncand[ch]++] = cur[i];
            if (gran > 2) {
                cand[gran + ch] = xcalloc(ncur - (hi - lo), sizeof **cand);
                for (size_t i = 0; i < ncur; i++)
                    if (i < lo || i >= hi)
                        cand[gran + ch][ncand[gran + ch]++] = cur[i];
            }
        }
        long f = first_failing(&s, cand, ncand, k);
        bool done = false;
        if (f >= 0) {
            free(cur);
            cur = cand[f];
            ncur = ncand[f];
            cand[f] = NULL;
            gran = (size_t)f < gran ? 2 : (gran > 2 ? gran - 1 : 2);
        } else if (gran >= ncur) {
            done = true; /* every single statement is needed */
        } else {
            gran = 2 * gran < ncur ? 2 * gran : ncur;
        }
        for (size_t i = 0; i < k; i++)
            free(cand[i]);
        free(cand);
        free(ncand);
        if (done)
            break;
        if (c->verbose)
            printf("schedule %zu: %zu statement%s left after %zu run%s\n", index, ncur,
                   plural(ncur), s.runs, plural(s.runs));
    }
    char *path = xasprintf("%s/fail-%zu.min.conf", c->out_dir, index);
    const job_t *verdict = s.best.text ? &s.best : orig;
    uint32_t w = 0;
    sched_validate(&s.sc, cur, ncur, 0, &w, err);
    buf_t b = { 0 };
    buf_printf(&b, "# Shrunk from schedule %zu of campaign seed %llu, profile %s: %zu of %zu "
               "statements removed; still fails with %s\n", index, (unsigned long long)c->seed,
               profiles[c->profile].name, n - ncur, n, s.target);
    replay_header(&b, &c->run, path, w);
    verdict_header(&b, &c->run, verdict, w);
    char *header = buf_take(&b);
    free(s.sc.header);
    s.sc.header = NULL;
    char *text = sched_text(&s.sc, header, cur, ncur);
    if (!ensure_out_dir(c) || write_file(path, text) != 0)
        fprintf(stderr, PROG ": cannot write %s: %s\n", path, strerror(errno));
    else
        printf("schedule %zu: shrunk to %zu statement%s (%zu of %zu removed, %zu runs%s, kind "
               "%s) -> %s\n", index, ncur, plural(ncur), n - ncur, n, s.runs,
               s.runs >= SHRINK_BUDGET ? ", budget reached" : "", s.target, path);
    fflush(stdout);
    free(text);
    free(header);
    free(path);
    free(cur);
    for (size_t i = 0; i < s.ntested; i++)
        free(s.tested[i]);
    free(s.tested);
    free(s.failed);
    job_reset(&s.best);
    sched_free(&s.sc);
}

/* ---------------------------------------------------------------- command line */

static void usage(FILE *f)
{
    fputs(
        "usage: tools/campaign --runs N [--seed S] [--profile standard|chaos] [--jobs J]\n"
        "                      [--out DIR] [--shrink] [--keep] [--app PATH] [--checker PATH|none]\n"
        "                      [--timeout SECONDS] [-v]\n"
        "       tools/campaign --print I [--seed S] [--profile standard|chaos]\n"
        "\n"
        "Generates N random fault schedules (scenario files, testcases/README.md) from the\n"
        "campaign seed S, runs each with APP FILE --dump-state state.txt in a directory of its\n"
        "own, J at a time, then CHECKER -q --quiet W dbg.log state.txt, and counts violations by\n"
        "kind: `expectation` (each FAIL line of a run that exits 3), `crash` (any other exit or a\n"
        "signal), `timeout`, the checker's own kinds, and `checker-error` (the checker exits 2,\n"
        "or its last line is unreadable). Every failing schedule is saved as DIR/fail-I.conf,\n"
        "which replays it alone (./Application DIR/fail-I.conf: it has SEED and TICKS).\n"
        "\n"
        "  --runs N        schedules to run (0 .. N-1)\n"
        "  --seed S        campaign seed (default: from the clock; printed to replay the\n"
        "                  campaign). Schedule I depends only on S, I and the profile.\n"
        "  --profile P     standard (default) or chaos: more failures and pauses, overlapping\n"
        "                  windows of every kind, bursts of up to 20 added nodes, changes one\n"
        "                  tick apart everywhere\n"
        "  --jobs J        runs at a time (default: the number of online CPUs)\n"
        "  --out DIR       where failing schedules go (default campaign-out, created if missing)\n"
        "  --shrink        reduce each failing schedule by delta debugging over its statements\n"
        "                  (settings stay) to the fewest that still fail with a violation of the\n"
        "                  same kind; written as DIR/fail-I.min.conf\n"
        "  --keep          also keep each failing run's dbg.log and state.txt beside its file\n"
        "  --app PATH      the Application (default: Application in the directory above tools/)\n"
        "  --checker PATH  the history checker (default: tools/check-history beside this\n"
        "                  program); 'none' judges the runs by their expectations only\n"
        "  --timeout S     seconds a program may run before it is killed (default 300)\n"
        "  --print I       print schedule I to stdout and exit\n"
        "  -v              also print clean schedules and each shrinking step\n"
        "\n",
        f);
    fputs(
        "Every schedule: 10-60 nodes; 2-5 named keys created at tick 100 expecting success; a\n"
        "workload until the faults end; named updates and reads during the faults (no\n"
        "expectations); a fault period of failures (named, random, replica roles, non-replicas,\n"
        "quick restarts before detection, pairs of named failures), later restarts (with or\n"
        "without the node's data: `keep data`), pauses of named nodes (5-200 ticks: shorter than\n"
        "detection, or long enough that the node is removed and rejoins), added nodes, loss\n"
        "windows (on every link, or between two groups both ways or one way, up to 30%),\n"
        "partitions both ways or one way, long enough to be detected (60+ ticks) or too short\n"
        "(1-5), slow links (both ways or one way), duplication (up to 100%) and reordering (0\n"
        "to D extra ticks, D up to 10) everywhere or between two groups, and changes one tick\n"
        "apart; then a quiet period of at least W + 100 ticks, an update of every named key\n"
        "expecting success, a read expecting its value 20 ticks later, `expect key ...\n"
        "replicated by` and `expect no lost writes`.\n"
        "\n"
        "Rules every schedule keeps (so that it never asks the impossible):\n"
        "  W = 2 * probe_timeout + 60, probe_timeout from the file's worst loss p and worst\n"
        "    delay d as the simulator computes it: p the largest compound loss at the start of\n"
        "    a loss window (1 - the product of 1 - p_i over every loss window covering it,\n"
        "    global or on links), d the longest delay plus the D of every reorder window;\n"
        "    q = 1-(1-p)^2, pings = 4 or the smallest pings >= 4 with q^pings <= 1e-12,\n"
        "    probe_timeout = 2 * pings + 2 * (1 + d). Overlapping loss windows lose no more\n"
        "    together than the worst loss the schedule was planned for.\n"
        "  With delay or reorder windows, COORDINATOR_TIMEOUT: 2 * (1 + d) + 10.\n"
        "  At least max(5, MAX_NNB/2) live nodes at every tick; a paused node is not live\n"
        "    (failures of random nodes and replica roles count as failures of unknown nodes).\n"
        "  Failures of any kind at least W ticks apart (after a quick restart without data,\n"
        "    which loses the node's store, W from the restart; with `keep data` W from the\n"
        "    failure), except a pair of `fail node` at least 4 (+ unknown failures) places\n"
        "    apart on the ring of live nodes, both started more than W earlier, no other change\n"
        "    in the W ticks before, no partition or pause from W before to W after.\n"
        "  Pauses only of started nodes neither failed nor paused; no failure, restart or pause\n"
        "    of a paused node. Pauses lose no data and are not spaced from failures, but no\n"
        "    node fails within W after it resumed, no unknown node within W after any pause\n"
        "    ended, and no replica role while a node is paused.\n"
        "  Partitions (both ways or one way): two groups of at least 3 live nodes each, all\n"
        "    window long; they do not overlap one another.\n"
        "  Restarts only of nodes failed by name; at most 10000 nodes in all. Every fault\n"
        "    (failures, restarts, added nodes, pauses, every window) ends W + 100 ticks before\n"
        "    the final update.\n"
        "\n"
        "Output: `seed: S ...`, one line per failing schedule, `schedule I (seed S): kind=n, ...\n"
        "-> FILE` (in order of I; with --shrink also where each shrunk file went), a timing line,\n"
        "then exactly one line `campaign: X/N schedules clean, V violations (kind=n, ...)`.\n"
        "Exit status: 0 when every schedule is clean, 1 when violations were found, 2 for a\n"
        "usage error or when the Application cannot run.\n",
        f);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs(PROG ": ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (try tools/campaign --help)\n", stderr);
    return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 20)
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE)
        return false;
    *out = v;
    return true;
}

/* An absolute form of path (relative paths are taken from the current directory). */
static char *absolute(const char *path)
{
    if (path[0] == '/')
        return xstrdup(path);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return xstrdup(path);
    return xasprintf("%s/%s", cwd, path);
}

/* The directory this program is in (for the default Application and checker). */
static char *own_dir(const char *argv0)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *path = n > 0 ? (exe[n] = '\0', xstrdup(exe)) : absolute(argv0);
    char *slash = strrchr(path, '/');
    if (slash)
        *slash = '\0';
    return path;
}

typedef struct {
    uint64_t runs, seed, print;
    bool runs_set, seed_set, print_set, shrink, keep, verbose;
    unsigned profile, jobs;
    double timeout;
    const char *out, *app, *checker;
} options_t;

static int parse_options(int argc, char **argv, options_t *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        char name[32];
        size_t nlen = eq && !strncmp(a, "--", 2) ? (size_t)(eq - a) : strlen(a);
        if (nlen >= sizeof name)
            return usage_error("unknown option '%s'", a);
        memcpy(name, a, nlen);
        name[nlen] = '\0';
        static const char *const valued[] = { "--runs", "--seed", "--profile", "--jobs", "--out",
                                              "--app", "--checker", "--print", "--timeout" };
        const char *v = NULL;
        for (size_t k = 0; k < sizeof valued / sizeof *valued; k++)
            if (!strcmp(name, valued[k])) {
                v = eq && nlen < strlen(a) ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
                if (!v)
                    return usage_error("%s needs a value", name);
            }
        if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
            usage(stdout);
            return -1;
        } else if (!strcmp(name, "-v") || !strcmp(name, "--verbose")) {
            o->verbose = true;
        } else if (!strcmp(name, "--shrink")) {
            o->shrink = true;
        } else if (!strcmp(name, "--keep")) {
            o->keep = true;
        } else if (!strcmp(name, "--runs")) {
            if (!parse_u64(v, &o->runs) || o->runs < 1 || o->runs > 1000000)
                return usage_error("--runs: '%s' is not a number from 1 to 1000000", v);
            o->runs_set = true;
        } else if (!strcmp(name, "--seed")) {
            if (!parse_u64(v, &o->seed))
                return usage_error("--seed: '%s' is not a whole number from 0 to "
                                   "18446744073709551615", v);
            o->seed_set = true;
        } else if (!strcmp(name, "--print")) {
            if (!parse_u64(v, &o->print))
                return usage_error("--print: '%s' is not a schedule index", v);
            o->print_set = true;
        } else if (!strcmp(name, "--jobs")) {
            uint64_t j;
            if (!parse_u64(v, &j) || j < 1 || j > 1024)
                return usage_error("--jobs: '%s' is not a number from 1 to 1024", v);
            o->jobs = (unsigned)j;
        } else if (!strcmp(name, "--timeout")) {
            uint64_t t;
            if (!parse_u64(v, &t) || t < 1 || t > 86400)
                return usage_error("--timeout: '%s' is not a number of seconds from 1 to 86400", v);
            o->timeout = (double)t;
        } else if (!strcmp(name, "--profile")) {
            size_t k = 0;
            while (k < NPROFILES && strcmp(profiles[k].name, v))
                k++;
            if (k == NPROFILES)
                return usage_error("--profile: unknown profile '%s' (standard or chaos)", v);
            o->profile = (unsigned)k;
        } else if (!strcmp(name, "--out")) {
            if (!*v)
                return usage_error("%s needs a directory", "--out");
            o->out = v;
        } else if (!strcmp(name, "--app")) {
            o->app = v;
        } else if (!strcmp(name, "--checker")) {
            o->checker = v;
        } else {
            return usage_error("unknown option '%s'", a);
        }
    }
    if (!o->runs_set && !o->print_set)
        return usage_error("%s is required", "--runs N (or --print I)");
    if (o->runs_set && o->print_set)
        return usage_error("%s", "--print and --runs go separately");
    return 0;
}

static uint64_t clock_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^
                 ((uint64_t)getpid() << 32);
    return x % 1000000000000ULL; /* short enough to retype */
}

/* The Application must run and accept a generated schedule before the campaign starts. */
static int preflight(campaign_t *c)
{
    if (access(c->run.app, X_OK) != 0) {
        fprintf(stderr, PROG ": cannot run the Application %s: %s (build it with make, or give "
                "--app)\n", c->run.app, strerror(errno));
        return -1;
    }
    if (c->run.checker && access(c->run.checker, X_OK) != 0) {
        fprintf(stderr, PROG ": cannot run the checker %s: %s (build it with make "
                "tools/check-history, or give --checker none)\n", c->run.checker,
                strerror(errno));
        return -1;
    }
    job_t j = { .check_only = true };
    sched_t sc;
    uint32_t w;
    generate(c->seed, 0, c->profile, &sc, &w);
    j.text = sched_text(&sc, NULL, NULL, 0);
    j.dir = xasprintf("%s/preflight", c->tmp);
    sched_free(&sc);
    int rc = run_jobs(&c->run, &j, 1, NULL, NULL, NULL);
    if (rc == 0 && j.invalid) {
        fprintf(stderr, PROG ": the Application %s cannot run or refuses schedule 0:\n%s",
                c->run.app, j.app_lines ? j.app_lines : "");
        rc = -1;
    }
    remove_dir(j.dir);
    job_reset(&j);
    return rc;
}

static int run_campaign(campaign_t *c)
{
    c->jobs = xcalloc(c->runs, sizeof *c->jobs);
    c->w = xcalloc(c->runs, sizeof *c->w);
    c->run_seed = xcalloc(c->runs, sizeof *c->run_seed);
    c->reported = xcalloc(c->runs, sizeof *c->reported);
    c->saved = xcalloc(c->runs, sizeof *c->saved);
    double t0 = now_seconds();
    int rc = run_jobs(&c->run, c->jobs, c->runs, campaign_prepare, campaign_done, c);
    double took = now_seconds() - t0;
    if (rc == 0 && c->shrink)
        for (size_t i = 0; i < c->runs && !interrupted; i++)
            if (c->jobs[i].kinds.n)
                shrink_one(c, i);
    double shrinking = now_seconds() - t0 - took;
    for (size_t i = 0; i < c->runs; i++) {
        if (c->jobs[i].dir)
            remove_dir(c->jobs[i].dir);
        job_reset(&c->jobs[i]);
        free(c->saved[i]);
    }
    if (interrupted || rc != 0) {
        fprintf(stderr, PROG ": %s after %zu of %zu schedules\n",
                interrupted ? "interrupted" : "stopped", c->next_report, c->runs);
        return EXIT_USAGE;
    }
    printf("ran %zu schedule%s in %.1f s (%.2f per second, %u job%s)", c->runs,
           plural(c->runs), took, took > 0 ? (double)c->runs / took : 0.0, c->run.jobs,
           plural(c->run.jobs));
    if (c->shrink && c->clean < c->runs)
        printf("; shrinking took %.1f s", shrinking);
    printf("\n");
    unsigned long long v = kinds_total(&c->total);
    char *k = kinds_format(&c->total);
    printf("campaign: %zu/%zu schedules clean, %llu violation%s%s%s%s\n", c->clean, c->runs, v,
           plural(v), v ? " (" : "", v ? k : "", v ? ")" : "");
    free(k);
    return c->clean == c->runs ? EXIT_CLEAN : EXIT_VIOLATIONS;
}

int main(int argc, char **argv)
{
    options_t o = { .profile = 0, .timeout = DEFAULT_TIMEOUT, .out = "campaign-out" };
    int prc = parse_options(argc, argv, &o);
    if (prc != 0)
        return prc < 0 ? EXIT_CLEAN : prc;
    if (!o.seed_set)
        o.seed = clock_seed();
    if (o.print_set) {
        sched_t sc;
        uint32_t w;
        generate(o.seed, o.print, o.profile, &sc, &w);
        char *text = sched_text(&sc, NULL, NULL, 0);
        fputs(text, stdout);
        free(text);
        sched_free(&sc);
        return EXIT_CLEAN;
    }
    char *dir = own_dir(argv[0]);
    char *app = o.app ? absolute(o.app) : xasprintf("%s/../Application", dir);
    char *checker = o.checker && !strcmp(o.checker, "none") ? NULL
                    : o.checker ? absolute(o.checker) : xasprintf("%s/check-history", dir);
    free(dir);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    campaign_t c = { .seed = o.seed, .profile = o.profile, .runs = (size_t)o.runs,
                     .out_dir = o.out, .shrink = o.shrink, .keep = o.keep,
                     .verbose = o.verbose };
    c.run = (runner_t){ .app = app, .checker = checker,
                        .jobs = o.jobs ? o.jobs : (cpus > 0 ? (unsigned)cpus : 1),
                        .timeout = o.timeout };
    const char *tmpdir = getenv("TMPDIR");
    c.tmp = xasprintf("%s/campaign.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(c.tmp)) {
        fprintf(stderr, PROG ": cannot create a temporary directory %s: %s\n", c.tmp,
                strerror(errno));
        free(c.tmp);
        free(app);
        free(checker);
        return EXIT_USAGE;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("seed: %llu (replay with: tools/campaign --runs %zu --seed %llu --profile %s)\n",
           (unsigned long long)c.seed, c.runs, (unsigned long long)c.seed,
           profiles[c.profile].name);
    fflush(stdout);
    int rc = preflight(&c) == 0 ? run_campaign(&c) : EXIT_USAGE;
    remove_tmp(c.tmp);
    free(c.tmp);
    free(c.jobs);
    free(c.w);
    free(c.run_seed);
    free(c.reported);
    free(c.saved);
    kinds_free(&c.total);
    free(app);
    free(checker);
    return rc;
}
