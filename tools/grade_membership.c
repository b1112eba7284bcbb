/* grade_membership.c: grader for the membership part of one run's dbg.log: the 30-point
 * join/completeness/accuracy rubric. dbg.log is read through dbglog.c, the checkers' one
 * reader, which checks every line. Memory is a bit per (logger, member) pair seen joining and
 * removed, not a record per line: a second pass over the file (dbglog_rewind; a temporary copy
 * when it cannot be re-read) judges each removal once every failure is known. */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbglog.h"

#define PROG "grade-membership"
#define MAX_NODES 1048576u /* highest node id accepted: per-node arrays are indexed by id */
#define JOIN_GRACE 50      /* a failed node must know the nodes that joined this long before */
#define MAX_REASONS 5      /* reasons printed under a lost check */
#define REASON_LEN 192
#define POINTS 10          /* points per check */

enum { EXIT_FULL = 0, EXIT_LOST = 1, EXIT_ERROR = 2 };

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

/* ------------------------------------------------- set of (logger, target) */

/* Open-addressing hash set keyed by logger<<32|target (never 0, as ids start
 * at 1); each key remembers the line where it was first seen. */
struct pair_slot {
    uint64_t key;
    unsigned long line;
};

struct pairset {
    struct pair_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t used;
};

static uint64_t pair_key(uint32_t logger, uint32_t target)
{
    return (uint64_t)logger << 32 | target;
}

static size_t pair_hash(uint64_t key)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ULL;
    key ^= key >> 33;
    return (size_t)key;
}

static struct pair_slot *pairset_slot(const struct pairset *s, uint64_t key)
{
    size_t mask = s->cap - 1;
    size_t i = pair_hash(key) & mask;
    while (s->slots[i].key != 0 && s->slots[i].key != key)
        i = (i + 1) & mask;
    return &s->slots[i];
}

static void pairset_grow(struct pairset *s)
{
    struct pairset bigger = { NULL, s->cap ? s->cap * 2 : 1024, s->used };
    bigger.slots = xrealloc(NULL, bigger.cap, sizeof *bigger.slots);
    memset(bigger.slots, 0, bigger.cap * sizeof *bigger.slots);
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i].key != 0)
            *pairset_slot(&bigger, s->slots[i].key) = s->slots[i];
    free(s->slots);
    *s = bigger;
}

/* Adds key; returns 0 if it was new, else the line where it was first added. */
static unsigned long pairset_add(struct pairset *s, uint64_t key, unsigned long line)
{
    if ((s->used + 1) * 10 > s->cap * 7)
        pairset_grow(s);
    struct pair_slot *slot = pairset_slot(s, key);
    if (slot->key == key)
        return slot->line;
    slot->key = key;
    slot->line = line;
    s->used++;
    return 0;
}

static bool pairset_has(const struct pairset *s, uint64_t key)
{
    return s->cap != 0 && pairset_slot(s, key)->key == key;
}

/* ------------------------------------------ bit per (logger, member) pair */

/* Row `logger` holds a bit per member id; rows grow as ids do. */
struct bitrows {
    uint64_t **row;
    uint32_t *words; /* words in each row */
    uint32_t nrows;
};

static void bitrows_free(struct bitrows *b)
{
    for (uint32_t i = 0; i < b->nrows; i++)
        free(b->row[i]);
    free(b->row);
    free(b->words);
}

static bool bitrows_has(const struct bitrows *b, uint32_t logger, uint32_t member)
{
    uint32_t w = member / 64;
    return logger < b->nrows && w < b->words[logger] &&
           (b->row[logger][w] >> (member % 64) & 1u);
}

/* Sets the pair's bit; returns whether it was set already. */
static bool bitrows_test_set(struct bitrows *b, uint32_t logger, uint32_t member)
{
    if (logger >= b->nrows) {
        uint32_t n = b->nrows ? b->nrows : 64;
        while (n <= logger) /* logger <= MAX_NODES: no overflow */
            n *= 2;
        b->row = xrealloc(b->row, n, sizeof *b->row);
        b->words = xrealloc(b->words, n, sizeof *b->words);
        memset(b->row + b->nrows, 0, (size_t)(n - b->nrows) * sizeof *b->row);
        memset(b->words + b->nrows, 0, (size_t)(n - b->nrows) * sizeof *b->words);
        b->nrows = n;
    }
    uint32_t w = member / 64;
    if (w >= b->words[logger]) {
        uint32_t n = b->words[logger] ? b->words[logger] : 2;
        while (n <= w)
            n *= 2;
        b->row[logger] = xrealloc(b->row[logger], n, sizeof **b->row);
        memset(b->row[logger] + b->words[logger], 0,
               (size_t)(n - b->words[logger]) * sizeof **b->row);
        b->words[logger] = n;
    }
    uint64_t bit = (uint64_t)1 << (member % 64);
    bool was = b->row[logger][w] & bit;
    b->row[logger][w] |= bit;
    return was;
}

/* -------------------------------------------------------------- run model */

struct node {
    long long fail_tick;    /* earliest "Node failed" tick, when failed */
    long long first_join;   /* earliest tick any node logged this node's join, when joined */
    uint32_t join_count;    /* distinct other nodes whose join this node logged */
    uint32_t join_hits;     /* failed node: how many of those it was required to log */
    uint32_t removal_count; /* distinct failed nodes whose removal this node logged */
    uint16_t port;
    uint32_t real_id;       /* --by-address: the address this number stands for */
    bool seen, failed, joined;
};

/* A removal line, judged in the second pass. */
struct removal {
    uint32_t logger, target;
    long long tick;
    unsigned long line;
    unsigned long dup_of; /* line of the same (logger, target) removal seen earlier, or 0 */
};

struct dup_join {
    uint32_t logger, target;
    unsigned long first, again;
};

struct run {
    const char *path;
    uint32_t n;        /* largest id seen, or the forced node count */
    bool n_forced;
    struct node *nodes; /* indexed by id, 1..n */
    uint32_t nodes_cap;
    struct bitrows joins, removals; /* pairs logged */
    /* Pairs logged more than once; the second pass finds the line of their first time. */
    struct pairset dup_joins, dup_removals;
    struct dup_join dups[MAX_REASONS];
    unsigned long ndups;
    struct dbglog log; /* open from load_log to run_free: the second pass reads it again */
    bool log_open;
    /* --by-address: nodes are numbered 1, 2, ... by their address (id and port) in the order
     * they first appear, for logs of real processes (127.0.0.1:7001 is a large id, and nodes
     * of one machine share it); key + 1 -> number, open addressing. */
    bool by_address;
    uint64_t *addr_keys;
    uint32_t *addr_nums;
    size_t addr_cap, naddr;
};

static void run_init(struct run *r, const char *path, uint32_t forced_n)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->n = forced_n;
    r->n_forced = forced_n != 0;
}

static void run_free(struct run *r)
{
    free(r->addr_keys);
    free(r->addr_nums);
    free(r->nodes);
    bitrows_free(&r->joins);
    bitrows_free(&r->removals);
    free(r->dup_joins.slots);
    free(r->dup_removals.slots);
    if (r->log_open)
        dbglog_close(&r->log);
}

static void ensure_node_slot(struct run *r, uint32_t id)
{
    if (id < r->nodes_cap)
        return;
    uint32_t cap = r->nodes_cap ? r->nodes_cap : 64;
    while (cap <= id) /* id <= MAX_NODES, so this cannot overflow */
        cap *= 2;
    r->nodes = xrealloc(r->nodes, cap, sizeof *r->nodes);
    memset(r->nodes + r->nodes_cap, 0, (size_t)(cap - r->nodes_cap) * sizeof *r->nodes);
    r->nodes_cap = cap;
}

/* Registers a node id met in a membership line; returns an error text or NULL. */
static const char *note_node(struct run *r, uint32_t id, uint16_t port)
{
    if (id == 0)
        return "address 0.0.0.0 names no node (ids start at 1)";
    if (r->n_forced && id > r->n)
        return "node id exceeds the --nodes count";
    if (id > MAX_NODES)
        return "node id too large for this grader";
    ensure_node_slot(r, id);
    if (!r->nodes[id].seen) {
        r->nodes[id].seen = true;
        if (!r->by_address)
            r->nodes[id].port = port;
    }
    if (id > r->n)
        r->n = id;
    return NULL;
}

/* --by-address: the number of address a (given one at its first appearance). */
static uint32_t address_number(struct run *r, struct dbglog_addr a)
{
    uint64_t key = ((uint64_t)a.id << 16 | a.port) + 1;
    if (2 * (r->naddr + 1) > r->addr_cap) {
        size_t cap = r->addr_cap ? r->addr_cap * 2 : 64;
        uint64_t *keys = xrealloc(NULL, cap, sizeof *keys);
        uint32_t *nums = xrealloc(NULL, cap, sizeof *nums);
        memset(keys, 0, cap * sizeof *keys);
        for (size_t i = 0; i < r->addr_cap; i++)
            if (r->addr_keys[i]) {
                size_t j = (size_t)(r->addr_keys[i] * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);
                while (keys[j])
                    j = (j + 1) & (cap - 1);
                keys[j] = r->addr_keys[i];
                nums[j] = r->addr_nums[i];
            }
        free(r->addr_keys);
        free(r->addr_nums);
        r->addr_keys = keys;
        r->addr_nums = nums;
        r->addr_cap = cap;
    }
    size_t j = (size_t)(key * 0x9e3779b97f4a7c15ull >> 20) & (r->addr_cap - 1);
    while (r->addr_keys[j] && r->addr_keys[j] != key)
        j = (j + 1) & (r->addr_cap - 1);
    if (!r->addr_keys[j]) {
        r->addr_keys[j] = key;
        r->addr_nums[j] = (uint32_t)++r->naddr;
        uint32_t num = r->addr_nums[j];
        if (num <= MAX_NODES) {
            ensure_node_slot(r, num);
            r->nodes[num].real_id = a.id;
            r->nodes[num].port = a.port;
        }
    }
    return r->addr_nums[j];
}

/* --by-address: the line's addresses replaced by their numbers (port 0). */
static void number_line(struct run *r, struct dbglog_line *l)
{
    if (!r->by_address)
        return;
    l->logger = (struct dbglog_addr){ address_number(r, l->logger), 0 };
    if (l->kind == DBGLOG_JOIN || l->kind == DBGLOG_REMOVAL)
        l->member = (struct dbglog_addr){ address_number(r, l->member), 0 };
}

static void format_addr(const struct run *r, uint32_t id, char buf[32])
{
    struct dbglog_addr a = { id, id < r->nodes_cap ? r->nodes[id].port : 0 };
    if (r->by_address && id < r->nodes_cap)
        a.id = r->nodes[id].real_id;
    dbglog_addr_text(a, buf);
}

/* ------------------------------------------------------------ log loading */

/* The kinds of line the rubric reads; dbglog checks the others and skips them. */
#define MEMBERSHIP_KINDS \
    (DBGLOG_BIT(DBGLOG_JOIN) | DBGLOG_BIT(DBGLOG_REMOVAL) | DBGLOG_BIT(DBGLOG_FAILURE))

static void record_join(struct run *r, const struct dbglog_line *l)
{
    struct node *target = &r->nodes[l->member.id];
    long long tick = (long long)l->tick; /* at most 18 digits */
    if (!target->joined || tick < target->first_join)
        target->first_join = tick;
    target->joined = true;
    if (l->logger.id == l->member.id)
        return; /* self-joins are allowed and otherwise ignored */
    if (!bitrows_test_set(&r->joins, l->logger.id, l->member.id)) {
        r->nodes[l->logger.id].join_count++;
        return;
    }
    if (r->ndups < MAX_REASONS) { /* the first time's line comes from the second pass */
        r->dups[r->ndups] = (struct dup_join){ l->logger.id, l->member.id, 0, l->lineno };
        pairset_add(&r->dup_joins, pair_key(l->logger.id, l->member.id), 0);
    }
    r->ndups++;
}

static void record_removal(struct run *r, const struct dbglog_line *l)
{
    if (bitrows_test_set(&r->removals, l->logger.id, l->member.id))
        pairset_add(&r->dup_removals, pair_key(l->logger.id, l->member.id), 0);
}

static void record_failure(struct run *r, const struct dbglog_line *l)
{
    struct node *n = &r->nodes[l->logger.id];
    if (!n->failed || (long long)l->tick < n->fail_tick)
        n->fail_tick = (long long)l->tick;
    n->failed = true;
}

/* Records a join, removal or failure line; returns an error text or NULL. */
static const char *record_line(struct run *r, const struct dbglog_line *l)
{
    const char *err = note_node(r, l->logger.id, l->logger.port);
    if (err == NULL && l->kind != DBGLOG_FAILURE)
        err = note_node(r, l->member.id, l->member.port);
    if (err != NULL)
        return err;
    if (l->kind == DBGLOG_JOIN)
        record_join(r, l);
    else if (l->kind == DBGLOG_REMOVAL)
        record_removal(r, l);
    else
        record_failure(r, l);
    return NULL;
}

/* Reads the whole log into r (the first pass) and keeps it open for the second; returns 0, or
 * EXIT_ERROR after printing why. */
static int load_log(struct run *r)
{
    char err[DBGLOG_ERR_LEN];
    if (dbglog_open(r->path, DBGLOG_REREAD, &r->log, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return EXIT_ERROR;
    }
    dbglog_note_headerless(&r->log, PROG);
    r->log_open = true;
    dbglog_only(&r->log, MEMBERSHIP_KINDS);
    struct dbglog_line l;
    int got;
    const char *bad = NULL;
    while (bad == NULL && (got = dbglog_next(&r->log, &l)) == 1) {
        number_line(r, &l);
        bad = record_line(r, &l);
    }
    if (bad != NULL) {
        fprintf(stderr, PROG ": %s:%lu: %s\n", r->path, l.lineno, bad);
        return EXIT_ERROR;
    }
    if (got < 0) {
        fprintf(stderr, PROG ": %s\n", dbglog_error(&r->log));
        return EXIT_ERROR;
    }
    if (r->n == 0) {
        fprintf(stderr, PROG ": %s: no membership lines, so no nodes to grade (see --nodes)\n",
                r->path);
        return EXIT_ERROR;
    }
    ensure_node_slot(r, r->n); /* a forced count may exceed every id seen */
    return 0;
}

/* --------------------------------------------------------------- grading */

struct reasons {
    char text[MAX_REASONS][REASON_LEN];
    size_t shown;
    unsigned long long total; /* problems found, shown or not */
};

struct check {
    const char *name;
    struct reasons why;
};

#if defined(__GNUC__)
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PRINTF_LIKE(fmt, args)
#endif

/* Stores one reason if there is room; callers account for it in total. */
PRINTF_LIKE(2, 3) static void reason_note(struct reasons *why, const char *fmt, ...)
{
    if (why->shown == MAX_REASONS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->text[why->shown++], REASON_LEN, fmt, ap);
    va_end(ap);
}

static bool is_survivor(const struct run *r, uint32_t id)
{
    return !r->nodes[id].failed;
}

static long long join_deadline(const struct node *failed)
{
    return failed->fail_tick - JOIN_GRACE;
}

/* A failed node answers for joins only if it had itself been in the group for JOIN_GRACE
 * ticks when it failed; a node that failed before (or just after) it booted knew nobody. */
static bool accountable(const struct node *n)
{
    return !n->failed || (n->joined && n->first_join <= join_deadline(n));
}

/* Must node `logger` have logged the join of node `target`? */
static bool join_required(const struct run *r, uint32_t logger, uint32_t target)
{
    if (logger == target)
        return false;
    const struct node *l = &r->nodes[logger], *t = &r->nodes[target];
    return !l->failed || (accountable(l) && t->joined && t->first_join <= join_deadline(l));
}

static int cmp_tick(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Number of values <= limit in a sorted array. */
static size_t count_upto(const long long *sorted, size_t n, long long limit)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] <= limit)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* For each failed node, how many joins it logged that it was required to log. */
static void count_failed_join_hits(struct run *r)
{
    for (uint32_t logger = 1; logger <= r->n && logger < r->joins.nrows; logger++) {
        if (!r->nodes[logger].failed)
            continue;
        for (uint32_t w = 0; w < r->joins.words[logger]; w++)
            for (uint64_t bits = r->joins.row[logger][w]; bits; bits &= bits - 1) {
                uint32_t target = w * 64 + (uint32_t)__builtin_ctzll(bits);
                if (join_required(r, logger, target))
                    r->nodes[logger].join_hits++;
            }
    }
}

/* Joins each node still owes: all others for survivors, the early joiners for failed nodes. */
static unsigned long long count_missing_joins(struct run *r, unsigned long long *missing)
{
    size_t njoined = 0;
    long long *ticks = xrealloc(NULL, r->n, sizeof *ticks);
    for (uint32_t id = 1; id <= r->n; id++)
        if (r->nodes[id].joined)
            ticks[njoined++] = r->nodes[id].first_join;
    qsort(ticks, njoined, sizeof *ticks, cmp_tick);
    count_failed_join_hits(r);
    unsigned long long total = 0;
    for (uint32_t id = 1; id <= r->n; id++) {
        const struct node *n = &r->nodes[id];
        unsigned long long required = r->n - 1;
        if (n->failed && !accountable(n)) {
            required = 0;
        } else if (n->failed) {
            required = count_upto(ticks, njoined, join_deadline(n)) - 1; /* not itself */
        }
        missing[id] = required - (n->failed ? n->join_hits : n->join_count);
        total += missing[id];
    }
    free(ticks);
    return total;
}

static void grade_join(struct run *r, struct check *c)
{
    unsigned long long *missing = xrealloc(NULL, (size_t)r->n + 1, sizeof *missing);
    unsigned long long total = count_missing_joins(r, missing);
    char a[32], b[32];
    for (uint32_t l = 1; l <= r->n && c->why.shown < MAX_REASONS; l++) {
        for (uint32_t t = 1; missing[l] != 0 && t <= r->n && c->why.shown < MAX_REASONS; t++) {
            if (!join_required(r, l, t) || bitrows_has(&r->joins, l, t))
                continue;
            format_addr(r, l, a);
            format_addr(r, t, b);
            if (c->why.shown == 0)
                reason_note(&c->why, "%s never logged the join of %s (%llu pair%s missing in all)",
                            a, b, total, total == 1 ? "" : "s");
            else
                reason_note(&c->why, "%s never logged the join of %s", a, b);
        }
    }
    free(missing);
    for (unsigned long i = 0; i < r->ndups && i < MAX_REASONS; i++) {
        struct dup_join *d = &r->dups[i];
        d->first = pairset_slot(&r->dup_joins, pair_key(d->logger, d->target))->line;
        format_addr(r, d->logger, a);
        format_addr(r, d->target, b);
        reason_note(&c->why, "%s logged the join of %s twice (lines %lu and %lu)", a, b, d->first,
                    d->again);
    }
    c->why.total = total + r->ndups;
}

static void grade_completeness(struct run *r, struct check *c)
{
    uint32_t nfailed = 0;
    for (uint32_t id = 1; id <= r->n; id++)
        nfailed += r->nodes[id].failed;
    for (uint32_t logger = 1; logger <= r->n && logger < r->removals.nrows; logger++) {
        if (!is_survivor(r, logger))
            continue;
        for (uint32_t w = 0; w < r->removals.words[logger]; w++)
            for (uint64_t bits = r->removals.row[logger][w]; bits; bits &= bits - 1) {
                uint32_t target = w * 64 + (uint32_t)__builtin_ctzll(bits);
                if (target <= r->n && r->nodes[target].failed)
                    r->nodes[logger].removal_count++;
            }
    }
    unsigned long long total = 0;
    for (uint32_t id = 1; id <= r->n; id++)
        if (is_survivor(r, id))
            total += nfailed - r->nodes[id].removal_count;
    char a[32], b[32];
    for (uint32_t s = 1; s <= r->n && c->why.shown < MAX_REASONS; s++) {
        if (!is_survivor(r, s) || r->nodes[s].removal_count == nfailed)
            continue;
        for (uint32_t f = 1; f <= r->n && c->why.shown < MAX_REASONS; f++) {
            if (!r->nodes[f].failed || bitrows_has(&r->removals, s, f))
                continue;
            format_addr(r, s, a);
            format_addr(r, f, b);
            if (c->why.shown == 0)
                reason_note(&c->why,
                            "%s never logged the removal of %s (%llu pair%s missing in all)", a,
                            b, total, total == 1 ? "" : "s");
            else
                reason_note(&c->why, "%s never logged the removal of %s", a, b);
        }
    }
    c->why.total = total;
}

static void check_removal(const struct run *r, const struct removal *rm, struct reasons *why)
{
    const struct node *logger = &r->nodes[rm->logger], *target = &r->nodes[rm->target];
    if (rm->dup_of == 0 && target->failed && rm->tick >= target->fail_tick &&
        !(logger->failed && rm->tick >= logger->fail_tick))
        return; /* the usual case: nothing to say */
    char a[32], b[32];
    format_addr(r, rm->logger, a);
    format_addr(r, rm->target, b);
    if (rm->dup_of != 0) {
        why->total++;
        reason_note(why, "%s removed %s twice (lines %lu and %lu)", a, b, rm->dup_of, rm->line);
    }
    if (!target->failed) {
        why->total++;
        reason_note(why, "%s removed %s which never failed (line %lu)", a, b, rm->line);
    } else if (rm->tick < target->fail_tick) {
        why->total++;
        reason_note(why, "%s removed %s at %lld, before it failed at %lld (line %lu)", a, b,
                    rm->tick, target->fail_tick, rm->line);
    }
    if (logger->failed && rm->tick >= logger->fail_tick) {
        why->total++;
        reason_note(why, "%s removed %s at %lld, after itself failing at %lld (line %lu)", a, b,
                    rm->tick, logger->fail_tick, rm->line);
    }
}

/* For a pair in s (pairs logged more than once): 0 the first time the second pass meets it,
 * which notes the line; after that, the line of that first time. 0 for a pair not in s. */
static unsigned long first_seen(struct pairset *s, uint64_t key, unsigned long line)
{
    if (!pairset_has(s, key))
        return 0;
    struct pair_slot *slot = pairset_slot(s, key);
    if (slot->line == 0) {
        slot->line = line;
        return 0;
    }
    return slot->line;
}

/* The second pass: judges every removal line, now that every failure is known, and finds where
 * each pair logged twice was logged first. Returns 0, or EXIT_ERROR after printing why. */
static int grade_accuracy(struct run *r, struct check *c)
{
    if (dbglog_rewind(&r->log) != 0) {
        fprintf(stderr, PROG ": %s\n", dbglog_error(&r->log));
        return EXIT_ERROR;
    }
    /* Only these kinds: on this pass dbglog skips every other line without parsing it. */
    dbglog_only(&r->log, DBGLOG_BIT(DBGLOG_REMOVAL) | (r->ndups ? DBGLOG_BIT(DBGLOG_JOIN) : 0));
    struct dbglog_line l;
    int got;
    while ((got = dbglog_next(&r->log, &l)) == 1) {
        number_line(r, &l);
        uint64_t key = pair_key(l.logger.id, l.member.id);
        if (l.kind == DBGLOG_JOIN) {
            (void)first_seen(&r->dup_joins, key, l.lineno);
        } else {
            struct removal rm = { l.logger.id, l.member.id, (long long)l.tick, l.lineno,
                                  first_seen(&r->dup_removals, key, l.lineno) };
            check_removal(r, &rm, &c->why);
        }
    }
    if (got < 0) {
        fprintf(stderr, PROG ": %s\n", dbglog_error(&r->log));
        return EXIT_ERROR;
    }
    return 0;
}

/* -------------------------------------------------------------- reporting */

static void print_score(const char *name, int score, int out_of)
{
    static const char dots[] = "................";
    int pad = (int)(sizeof dots - 1) - (int)strlen(name);
    printf("%s %.*s %d/%d\n", name, pad > 0 ? pad : 0, dots, score, out_of);
}

static void print_summary(const struct run *r)
{
    uint32_t nfailed = 0, listed = 0;
    for (uint32_t id = 1; id <= r->n; id++)
        nfailed += r->nodes[id].failed;
    printf("%s: %u node%s, %u failed", r->path, r->n, r->n == 1 ? "" : "s", nfailed);
    for (uint32_t id = 1; id <= r->n && listed < MAX_REASONS; id++) {
        if (!r->nodes[id].failed)
            continue;
        char a[32];
        format_addr(r, id, a);
        printf("%s%s at %lld", listed++ ? ", " : " (", a, r->nodes[id].fail_tick);
    }
    if (nfailed > listed)
        printf(", and %u more", nfailed - listed);
    printf("%s, %u survivor%s\n", listed ? ")" : "", r->n - nfailed,
           r->n - nfailed == 1 ? "" : "s");
}

static void print_check(const struct check *c)
{
    print_score(c->name, c->why.total == 0 ? POINTS : 0, POINTS);
    for (size_t i = 0; i < c->why.shown; i++)
        printf("  %s\n", c->why.text[i]);
    if (c->why.total > c->why.shown)
        printf("  ... and %llu more\n", c->why.total - c->why.shown);
}

static int grade_and_report(struct run *r, bool quiet)
{
    static struct check checks[3]; /* large reason buffers: keep them off the stack */
    memset(checks, 0, sizeof checks);
    checks[0].name = "join";
    checks[1].name = "completeness";
    checks[2].name = "accuracy";
    if (grade_accuracy(r, &checks[2]) != 0) /* first: its pass finds the duplicates' lines */
        return EXIT_ERROR;
    grade_join(r, &checks[0]);
    grade_completeness(r, &checks[1]);
    int total = 0;
    for (size_t i = 0; i < 3; i++)
        total += checks[i].why.total == 0 ? POINTS : 0;
    if (!quiet) {
        print_summary(r);
        for (size_t i = 0; i < 3; i++)
            print_check(&checks[i]);
    }
    print_score("total", total, 3 * POINTS);
    return total == 3 * POINTS ? EXIT_FULL : EXIT_LOST;
}

/* ---------------------------------------------------------------- options */

struct options {
    const char *path;
    uint32_t nodes; /* 0: take the largest id seen */
    bool quiet;
    bool by_address;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " [options] [dbg.log]\n"
            "Grades the membership protocol of one run from its dbg.log (default: ./dbg.log).\n"
            "\n"
            "  -n, --nodes N   the run had N nodes (default: the largest node id in the log)\n"
            "  -q, --quiet     print only the total line\n"
            "  --by-address    number nodes by their whole address (id and port), in the order\n"
            "                  they first appear: for the merged logs of node processes\n"
            "                  (./Application --node), whose addresses are real ones\n"
            "  -h, --help      show this help\n"
            "\n"
            "Checks (10 points each): join, completeness, accuracy.\n"
            "Exit status: 0 at 30/30, 1 below full marks, 2 on usage, I/O or format errors.\n");
}

static bool parse_count(const char *s, uint32_t *out)
{
    unsigned long long v;
    if (!dbglog_parse_num(&s, 7, MAX_NODES, false, &v) || *s != '\0' || v == 0)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* Returns -1 to go on, else the exit status to stop with. */
static int parse_options(int argc, char **argv, struct options *opt)
{
    *opt = (struct options){ "dbg.log", 0, false, false };
    bool have_path = false, options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *count = NULL;
        if (!options_done && (!strcmp(arg, "-h") || !strcmp(arg, "--help"))) {
            usage(stdout);
            return EXIT_FULL;
        } else if (!options_done && (!strcmp(arg, "-q") || !strcmp(arg, "--quiet"))) {
            opt->quiet = true;
            continue;
        } else if (!options_done && !strcmp(arg, "--by-address")) {
            opt->by_address = true;
            continue;
        } else if (!options_done && !strcmp(arg, "--")) {
            options_done = true;
            continue;
        } else if (!options_done && (!strcmp(arg, "-n") || !strcmp(arg, "--nodes"))) {
            count = i + 1 < argc ? argv[++i] : "";
        } else if (!options_done && strncmp(arg, "--nodes=", strlen("--nodes=")) == 0) {
            count = arg + strlen("--nodes=");
        } else if (!options_done && strncmp(arg, "-n", 2) == 0) {
            count = arg + 2;
        } else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, PROG ": unknown option '%s'\n", arg);
            usage(stderr);
            return EXIT_ERROR;
        } else if (have_path) {
            fprintf(stderr, PROG ": more than one log file given\n");
            usage(stderr);
            return EXIT_ERROR;
        } else {
            opt->path = arg;
            have_path = true;
            continue;
        }
        if (!parse_count(count, &opt->nodes)) {
            fprintf(stderr, PROG ": --nodes needs a count from 1 to %u, not '%s'\n", MAX_NODES,
                    count);
            return EXIT_ERROR;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    struct options opt;
    int status = parse_options(argc, argv, &opt);
    if (status >= 0)
        return status;
    struct run run;
    run_init(&run, opt.path, opt.nodes);
    run.by_address = opt.by_address;
    status = load_log(&run);
    if (status == 0)
        status = grade_and_report(&run, opt.quiet);
    run_free(&run);
    return status;
}
