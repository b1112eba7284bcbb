/* check_history.c: an independent checker of the client-visible history of one run. It reads
 * dbg.log (through dbglog.c) and the final-state dump (./Application --dump-state, version 2),
 * and reports acknowledged writes that were lost, deletions undone, values nobody wrote, stale
 * reads, misplaced or stale replicas at a quiet end, and protocol slips in the result lines.
 *
 * How: one streaming pass over dbg.log keeps every operation (interned keys and values, ~60
 * bytes each), the ticks with membership activity, and a hash set of (transID, server) pairs.
 * Then sorted arrays answer the three questions the checks ask, each by binary search: which
 * write made a version (key, coordinator, value, latest issue tick <= stamp >> 16), which write
 * a read saw (key, value, latest issue tick <= decision), and the latest-issued write
 * acknowledged before a tick (per key, by acknowledgement tick, with a running maximum). Ring
 * positions are recomputed here with OpenSSL's SHA-256; nothing comes from src/. */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "dbglog.h"

#define PROG "check-history"
#define STATE_MAGIC "# kvstate "
#define STATE_VERSION 2
#define REPLICAS 3
#define DEFAULT_QUIET 100 /* ticks: the quiet period Q */
#define MAX_SHOWN 20      /* violations printed per kind before only counting the rest */
#define SHOW_MAX 40       /* bytes of a key or value quoted in a message */
#define SHOW_LEN 170      /* room for SHOW_MAX bytes escaped as \xNN, "..." and the NUL */
#define HOLDERS_SHOWN 4   /* nodes named when listing who holds a version */
#define NONE UINT32_MAX   /* no value (interned strings are numbered from 0) */
#define NO_OP SIZE_MAX

enum { EXIT_CLEAN = 0, EXIT_VIOLATIONS = 1, EXIT_ERROR = 2 };

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

/* Grows *items (of *cap elements of size bytes) so that one more fits after n. */
static void *grow(void *items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    *cap = *cap ? *cap * 2 : 64;
    return xrealloc(items, *cap, size);
}

/* ---------------------------------------------------------------- text */

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *plural(unsigned long long n)
{
    return n == 1 ? "" : "s";
}

/* A key or value fit for a message: at most SHOW_MAX bytes, bytes outside printable ASCII as
 * \xNN, "..." when cut. */
static const char *show(const char *s, char buf[SHOW_LEN])
{
    size_t used = 0, i = 0;
    for (; s[i] != '\0' && i < SHOW_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || c == '\\')
            used += (size_t)snprintf(buf + used, SHOW_LEN - used, "\\x%02x", c);
        else
            buf[used++] = (char)c;
    }
    buf[used] = '\0';
    if (s[i] != '\0')
        strcpy(buf + used, "...");
    return buf;
}

/* ---------------------------------------------------------------- interned strings */

/* Strings numbered 0, 1, ... in the order first added, with an open-addressing index (slot
 * holds number + 1, 0 for empty; at most half full). */
struct strset {
    char **s;
    uint64_t *hash;
    size_t n, cap;
    uint32_t *slot;
    size_t nslots;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void strset_place(struct strset *set, size_t i)
{
    size_t mask = set->nslots - 1, j = (size_t)set->hash[i] & mask;
    while (set->slot[j] != 0)
        j = (j + 1) & mask;
    set->slot[j] = (uint32_t)i + 1;
}

/* The number of s, or NONE. */
static uint32_t strset_find(const struct strset *set, const char *s)
{
    if (set->nslots == 0)
        return NONE;
    uint64_t h = fnv1a(s);
    size_t mask = set->nslots - 1;
    for (size_t j = (size_t)h & mask; set->slot[j] != 0; j = (j + 1) & mask) {
        uint32_t i = set->slot[j] - 1;
        if (set->hash[i] == h && strcmp(set->s[i], s) == 0)
            return i;
    }
    return NONE;
}

/* The number of s, adding a copy if it is new. */
static uint32_t strset_add(struct strset *set, const char *s)
{
    uint32_t found = strset_find(set, s);
    if (found != NONE)
        return found;
    if (set->n >= NONE - 1) {
        fprintf(stderr, PROG ": more than %u distinct keys or values\n", (unsigned)NONE - 1);
        exit(EXIT_ERROR);
    }
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 256;
        set->s = xrealloc(set->s, set->cap, sizeof *set->s);
        set->hash = xrealloc(set->hash, set->cap, sizeof *set->hash);
    }
    size_t len = strlen(s);
    set->s[set->n] = xrealloc(NULL, len + 1, 1);
    memcpy(set->s[set->n], s, len + 1);
    set->hash[set->n] = fnv1a(s);
    size_t i = set->n++;
    if (2 * set->n > set->nslots) {
        free(set->slot);
        set->nslots = set->nslots ? set->nslots * 2 : 512;
        set->slot = xrealloc(NULL, set->nslots, sizeof *set->slot);
        memset(set->slot, 0, set->nslots * sizeof *set->slot);
        for (size_t k = 0; k < set->n; k++)
            strset_place(set, k);
    } else {
        strset_place(set, i);
    }
    return (uint32_t)i;
}

static void strset_free(struct strset *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->s[i]);
    free(set->s);
    free(set->hash);
    free(set->slot);
    memset(set, 0, sizeof *set);
}

/* ---------------------------------------------------------------- violations */

enum kind {
    V_LOST_WRITE,
    V_DELETED_BACK,
    V_PHANTOM_VALUE,
    V_STALE_READ,
    V_UNDER_REPLICATED,
    V_STALE_REPLICA,
    V_MISPLACED,
    V_PROTOCOL,
    V_READ_VERSION,
    NKINDS
};
static const char *const kind_name[NKINDS] = {
    "lost-write",      "deleted-back",  "phantom-value", "stale-read",
    "under-replicated", "stale-replica", "misplaced",     "protocol",
    "read-version",
};

/* The first MAX_SHOWN lines of each kind, kept to print grouped by kind. */
static struct {
    char *shown[MAX_SHOWN];
    unsigned long long count;
} found[NKINDS];

PRINTF_LIKE(2, 3) static void violation(enum kind k, const char *fmt, ...)
{
    if (found[k].count++ >= MAX_SHOWN)
        return;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *line = xrealloc(NULL, (size_t)(len > 0 ? len : 0) + 1, 1);
    va_start(ap, fmt);
    vsnprintf(line, (size_t)(len > 0 ? len : 0) + 1, fmt, ap);
    va_end(ap);
    found[k].shown[found[k].count - 1] = line;
}

/* ---------------------------------------------------------------- the history */

enum outcome { UNDECIDED, SUCCEEDED, FAILED };

/* One client operation: the n-th operation line is transaction n (ops[n - 1]). */
struct op {
    uint64_t issued;           /* the operation line's tick */
    uint64_t decided;          /* the coordinator line's tick, once decided */
    unsigned long line;        /* the operation line */
    unsigned long result_line; /* the coordinator line, once decided */
    struct dbglog_addr coord;  /* who logged the operation line */
    uint32_t key;              /* in history.keys */
    uint32_t value;            /* in history.values: written (create, update), expected (read) */
    uint32_t got;              /* a successful read: the value read, NONE if the line had none */
    uint8_t kind;              /* enum dbglog_op */
    uint8_t outcome;           /* enum outcome */
};

/* A server line: (transID, server, life) triples must be unique: a node that restarted may
 * serve a copy of a request its earlier life served (the network can duplicate messages). */
struct served {
    uint64_t transid;
    uint64_t server; /* dbglog_addr_order */
    uint32_t life;   /* the server's restarts before this line */
    unsigned long line;
};

/* A result line that names a transaction not issued when it was read: judged at the end. */
struct early {
    uint64_t transid;
    unsigned long line;
    bool coordinator;
};

/* The membership lists every node logged, rebuilt from its joined and removed lines, to tell
 * when views disagree: while some live node does not list another live node (a partition both
 * sides detected, a node still learning the group, a false removal), a read may legitimately see
 * an old value, whatever the quiet period says. Rows are bitsets: lists[l] holds the members l
 * has logged as joined and not removed since. */
struct views {
    uint64_t *order;  /* dbglog_addr_order of node i */
    bool *alive;      /* node i is running: seen, and not failed since its last restart */
    uint32_t *life;   /* node i's restarts so far */
    uint64_t *lists;  /* row i: words [i * words, (i + 1) * words) */
    size_t n, cap, words;
    uint32_t *slot;   /* open addressing on the address order: node index + 1, 0 empty */
    size_t nslots;
    size_t nalive;
    uint64_t missing; /* (l, m) pairs of live nodes where l does not list m, l != m */
};

/* Ticks during which views disagreed (missing > 0), in order. */
struct span {
    uint64_t from, to;
};

/* A read's replies as the trace shows them: the newest version served with success by each of
 * up to three replicas (serve events), for judging the version the coordinator returned. */
struct readv {
    struct dbglog_addr replica[REPLICAS];
    uint64_t stamp[REPLICAS];
    uint32_t node[REPLICAS];
    uint8_t n;
};

struct history {
    const char *path;
    struct views views;
    struct span *split;
    size_t nsplit, splitcap;
    bool split_open;
    struct op *ops;
    size_t nops, opcap;
    struct strset keys, values;
    uint64_t *activity; /* ticks of membership lines, deduplicated when adjacent; sorted later */
    size_t nactivity, actcap;
    struct served *served; /* open-addressing set, transid 0 marks an empty slot */
    size_t nserved, servedcap;
    struct early *early;
    size_t nearly, earlycap;
    bool trace;         /* path is a JSON Lines trace (--trace), not dbg.log */
    struct readv *readv; /* trace only: per transID, the versions its read's replicas served */
    size_t nreadv, readvcap;
    uint64_t last_tick; /* the largest [tick] */
    unsigned long last_tick_line;
    size_t acknowledged; /* operations with a coordinator success */
};

static const char *op_verb(const struct op *o)
{
    return dbglog_op_name((enum dbglog_op)o->kind);
}

static size_t served_hash(uint64_t transid, uint64_t server, uint32_t life)
{
    uint64_t k = transid * 0x9e3779b97f4a7c15ULL ^ server ^ ((uint64_t)life << 48);
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k;
}

/* Adds (transid, server, life) (transid > 0); returns 0 if new, else the line where it was
 * first. */
static unsigned long served_add(struct history *h, uint64_t transid, uint64_t server,
                                uint32_t life, unsigned long line)
{
    if ((h->nserved + 1) * 2 > h->servedcap) {
        size_t cap = h->servedcap ? h->servedcap * 2 : 1024;
        struct served *slots = xrealloc(NULL, cap, sizeof *slots);
        memset(slots, 0, cap * sizeof *slots);
        for (size_t i = 0; i < h->servedcap; i++) {
            if (h->served[i].transid == 0)
                continue;
            size_t j = served_hash(h->served[i].transid, h->served[i].server,
                                   h->served[i].life) & (cap - 1);
            while (slots[j].transid != 0)
                j = (j + 1) & (cap - 1);
            slots[j] = h->served[i];
        }
        free(h->served);
        h->served = slots;
        h->servedcap = cap;
    }
    size_t mask = h->servedcap - 1, j = served_hash(transid, server, life) & mask;
    for (; h->served[j].transid != 0; j = (j + 1) & mask)
        if (h->served[j].transid == transid && h->served[j].server == server &&
            h->served[j].life == life)
            return h->served[j].line;
    h->served[j] = (struct served){ transid, server, life, line };
    h->nserved++;
    return 0;
}

static size_t addr_slot(uint64_t order, size_t nslots)
{
    uint64_t k = order * 0x9e3779b97f4a7c15ULL;
    return (size_t)(k >> 32) & (nslots - 1);
}

static bool listed(const struct views *v, size_t l, size_t m)
{
    return (v->lists[l * v->words + m / 64] >> (m % 64)) & 1;
}

static void set_listed(struct views *v, size_t l, size_t m, bool on)
{
    uint64_t bit = 1ULL << (m % 64);
    if (on)
        v->lists[l * v->words + m / 64] |= bit;
    else
        v->lists[l * v->words + m / 64] &= ~bit;
}

/* Live nodes other than i that i does not list, plus those that do not list i. */
static uint64_t missing_around(const struct views *v, size_t i)
{
    uint64_t miss = 0;
    for (size_t j = 0; j < v->n; j++)
        if (j != i && v->alive[j])
            miss += !listed(v, i, j) + !listed(v, j, i);
    return miss;
}

/* The node's index; a node seen for the first time is running and lists nobody yet. */
static size_t view_node(struct views *v, struct dbglog_addr a)
{
    uint64_t order = dbglog_addr_order(a);
    if (v->nslots) {
        for (size_t j = addr_slot(order, v->nslots); v->slot[j]; j = (j + 1) & (v->nslots - 1))
            if (v->order[v->slot[j] - 1] == order)
                return v->slot[j] - 1;
    }
    if (v->n == v->cap) { /* grow the rows to the new width, copying each */
        size_t cap = v->cap ? v->cap * 2 : 64, words = cap / 64;
        uint64_t *lists = xrealloc(NULL, cap * words, sizeof *lists);
        memset(lists, 0, cap * words * sizeof *lists);
        for (size_t i = 0; i < v->n; i++)
            memcpy(lists + i * words, v->lists + i * v->words, v->words * sizeof *lists);
        free(v->lists);
        v->lists = lists;
        v->words = words;
        v->order = xrealloc(v->order, cap, sizeof *v->order);
        v->alive = xrealloc(v->alive, cap, sizeof *v->alive);
        v->life = xrealloc(v->life, cap, sizeof *v->life);
        v->cap = cap;
        free(v->slot);
        v->nslots = cap * 2;
        v->slot = xrealloc(NULL, v->nslots, sizeof *v->slot);
        memset(v->slot, 0, v->nslots * sizeof *v->slot);
        for (size_t i = 0; i < v->n; i++) {
            size_t j = addr_slot(v->order[i], v->nslots);
            while (v->slot[j])
                j = (j + 1) & (v->nslots - 1);
            v->slot[j] = (uint32_t)i + 1;
        }
    }
    size_t i = v->n++;
    v->order[i] = order;
    v->alive[i] = true;
    v->life[i] = 0;
    size_t j = addr_slot(order, v->nslots);
    while (v->slot[j])
        j = (j + 1) & (v->nslots - 1);
    v->slot[j] = (uint32_t)i + 1;
    v->missing += 2 * v->nalive; /* it lists nobody, and nobody lists it */
    v->nalive++;
    return i;
}

/* Follows one membership line in the views, and records when they start or stop disagreeing. */
static void follow_membership(struct history *h, const struct dbglog_line *l)
{
    struct views *v = &h->views;
    size_t i = view_node(v, l->logger);
    if (l->kind == DBGLOG_JOIN || l->kind == DBGLOG_REMOVAL) {
        size_t m = view_node(v, l->member);
        i = view_node(v, l->logger); /* indices are stable: nodes are only appended */
        bool on = l->kind == DBGLOG_JOIN;
        if (m != i && listed(v, i, m) != on) {
            set_listed(v, i, m, on);
            if (v->alive[i] && v->alive[m])
                v->missing += on ? (uint64_t)-1 : 1;
        }
    } else if (l->kind == DBGLOG_FAILURE && v->alive[i]) {
        v->missing -= missing_around(v, i);
        v->alive[i] = false;
        v->nalive--;
    } else if (l->kind == DBGLOG_RESTART) {
        if (v->alive[i])
            v->missing -= missing_around(v, i);
        memset(v->lists + i * v->words, 0, v->words * sizeof *v->lists); /* a new member */
        v->life[i]++;
        if (!v->alive[i])
            v->nalive++;
        v->alive[i] = true;
        v->missing += missing_around(v, i);
    }
    bool split = v->missing > 0;
    if (split && !h->split_open) {
        h->split = grow(h->split, h->nsplit, &h->splitcap, sizeof *h->split);
        h->split[h->nsplit++] = (struct span){ l->tick, l->tick };
        h->split_open = true;
    } else if (!split && h->split_open) {
        h->split[h->nsplit - 1].to = l->tick;
        h->split_open = false;
    }
}

static void note_early(struct history *h, const struct dbglog_line *l)
{
    h->early = grow(h->early, h->nearly, &h->earlycap, sizeof *h->early);
    h->early[h->nearly++] = (struct early){ l->transid, l->lineno, l->coordinator };
}

static char errbuf[DBGLOG_ERR_LEN + 200];

PRINTF_LIKE(1, 2) static const char *input_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    return errbuf;
}

static const char *add_operation(struct history *h, const struct dbglog_line *l)
{
    static const char *const upper[DBGLOG_NOPS] = { "CREATE", "READ", "UPDATE", "DELETE" };
    if ((l->op == DBGLOG_CREATE || l->op == DBGLOG_UPDATE) && l->value == NULL)
        return input_error("%s:%lu: a %s OPERATION line needs its ' VALUE: <v>'", h->path,
                           l->lineno, upper[l->op]);
    h->ops = grow(h->ops, h->nops, &h->opcap, sizeof *h->ops);
    struct op *o = &h->ops[h->nops++];
    memset(o, 0, sizeof *o);
    o->issued = l->tick;
    o->line = l->lineno;
    o->coord = l->logger;
    o->key = strset_add(&h->keys, l->key);
    o->value = l->value != NULL && l->op != DBGLOG_DELETE ? strset_add(&h->values, l->value)
                                                           : NONE;
    o->got = NONE;
    o->kind = (uint8_t)l->op;
    o->outcome = UNDECIDED;
    return NULL;
}

/* A coordinator line naming an issued transaction: the operation's outcome. */
static void add_decision(struct history *h, const struct dbglog_line *l)
{
    struct op *o = &h->ops[l->transid - 1];
    char k[SHOW_LEN], k2[SHOW_LEN], a[DBGLOG_ADDR_LEN], b[DBGLOG_ADDR_LEN], v[SHOW_LEN],
        w[SHOW_LEN];
    const char *key = h->keys.s[o->key];
    if (o->outcome != UNDECIDED) {
        violation(V_PROTOCOL, "key %s: transID %llu: two coordinator lines (%s:%lu at tick %llu "
                  "and %s:%lu at tick %llu)", show(key, k), (unsigned long long)l->transid,
                  h->path, o->result_line, (unsigned long long)o->decided, h->path, l->lineno,
                  (unsigned long long)l->tick);
        return;
    }
    if (l->op != o->kind || strcmp(l->key, key) != 0) {
        violation(V_PROTOCOL, "key %s: transID %llu: the coordinator line (%s:%lu) says %s of "
                  "key %s, its operation line (%s:%lu) is %s of key %s", show(key, k),
                  (unsigned long long)l->transid, h->path, l->lineno, dbglog_op_name(l->op),
                  show(l->key, k2), h->path, o->line, op_verb(o), k);
        return; /* not this operation's outcome */
    }
    if (l->tick < o->issued) {
        violation(V_PROTOCOL, "key %s: transID %llu: decided at tick %llu (%s:%lu), before it "
                  "was issued at %llu", show(key, k), (unsigned long long)l->transid,
                  (unsigned long long)l->tick, h->path, l->lineno,
                  (unsigned long long)o->issued);
        return;
    }
    if (dbglog_addr_order(l->logger) != dbglog_addr_order(o->coord))
        violation(V_PROTOCOL, "key %s: transID %llu: decided by %s (%s:%lu), but issued "
                  "through %s (%s:%lu)", show(key, k), (unsigned long long)l->transid,
                  dbglog_addr_text(l->logger, a), h->path, l->lineno,
                  dbglog_addr_text(o->coord, b), h->path, o->line);
    bool writes_value = o->kind == DBGLOG_CREATE || o->kind == DBGLOG_UPDATE;
    bool read_value = o->kind == DBGLOG_READ && l->success;
    if (writes_value && l->success &&
        (l->value == NULL || strcmp(l->value, h->values.s[o->value]) != 0))
        violation(V_PROTOCOL, "key %s: transID %llu: the coordinator's %s success (%s:%lu) "
                  "carries %s%s, the operation writes %s", show(key, k),
                  (unsigned long long)l->transid, op_verb(o), h->path, l->lineno,
                  l->value ? "value " : "no value", l->value ? show(l->value, v) : "",
                  show(h->values.s[o->value], w));
    else if (read_value && l->value == NULL)
        violation(V_PROTOCOL, "key %s: transID %llu: the coordinator's read success (%s:%lu) "
                  "carries no value", show(key, k), (unsigned long long)l->transid, h->path,
                  l->lineno);
    else if (!writes_value && !read_value && l->value != NULL)
        violation(V_PROTOCOL, "key %s: transID %llu: the coordinator's %s %s line (%s:%lu) "
                  "carries a value (%s); it should end after the key", show(key, k),
                  (unsigned long long)l->transid, op_verb(o), l->success ? "success" : "fail",
                  h->path, l->lineno, show(l->value, v));
    o->outcome = l->success ? SUCCEEDED : FAILED;
    o->decided = l->tick;
    o->result_line = l->lineno;
    if (read_value && l->value != NULL)
        o->got = strset_add(&h->values, l->value);
    h->acknowledged += l->success;
}

static void add_result(struct history *h, const struct dbglog_line *l)
{
    char k[SHOW_LEN], k2[SHOW_LEN], a[DBGLOG_ADDR_LEN];
    if (l->transid == 0 || l->transid > h->nops) {
        note_early(h, l);
        return;
    }
    if (l->coordinator) {
        add_decision(h, l);
        return;
    }
    const struct op *o = &h->ops[l->transid - 1];
    const char *key = h->keys.s[o->key];
    uint32_t life = h->views.life[view_node(&h->views, l->logger)];
    unsigned long first = served_add(h, l->transid, dbglog_addr_order(l->logger), life, l->lineno);
    if (first != 0)
        violation(V_PROTOCOL, "key %s: transID %llu: two server lines from %s (%s:%lu and "
                  "%s:%lu)", show(key, k), (unsigned long long)l->transid,
                  dbglog_addr_text(l->logger, a), h->path, first, h->path, l->lineno);
    else if (l->op != o->kind || strcmp(l->key, key) != 0)
        violation(V_PROTOCOL, "key %s: transID %llu: the server line of %s (%s:%lu) says %s of "
                  "key %s, its operation line (%s:%lu) is %s of key %s", show(key, k),
                  (unsigned long long)l->transid, dbglog_addr_text(l->logger, a), h->path,
                  l->lineno, dbglog_op_name(l->op), show(l->key, k2), h->path, o->line,
                  op_verb(o), k);
}

/* Result lines that named a transaction not yet issued: issued later, or never. */
static void judge_early(struct history *h)
{
    for (size_t i = 0; i < h->nearly; i++) {
        const struct early *e = &h->early[i];
        const char *role = e->coordinator ? "coordinator" : "server";
        if (e->transid == 0 || e->transid > h->nops)
            violation(V_PROTOCOL, "transID %llu: a %s line (%s:%lu) for a transaction never "
                      "issued (%zu operation line%s)", (unsigned long long)e->transid, role,
                      h->path, e->line, h->nops, plural(h->nops));
        else
            violation(V_PROTOCOL, "transID %llu: a %s line (%s:%lu) comes before its operation "
                      "line (%s:%lu)", (unsigned long long)e->transid, role, h->path, e->line,
                      h->path, h->ops[e->transid - 1].line);
    }
}

/* One line of the history (from dbg.log, or a trace event standing for one): membership lines
 * mark activity and follow the views; operations and results build the operations. Returns an
 * input error, or NULL. */
static const char *add_line(struct history *h, const struct dbglog_line *l)
{
    switch (l->kind) {
    case DBGLOG_JOIN:
    case DBGLOG_REMOVAL:
    case DBGLOG_FAILURE:
    case DBGLOG_RESTART:
        if (h->nactivity == 0 || h->activity[h->nactivity - 1] != l->tick) {
            h->activity = grow(h->activity, h->nactivity, &h->actcap, sizeof *h->activity);
            h->activity[h->nactivity++] = l->tick;
        }
        follow_membership(h, l);
        return NULL;
    case DBGLOG_OPERATION:
        return add_operation(h, l);
    case DBGLOG_RESULT:
        add_result(h, l);
        return NULL;
    case DBGLOG_OTHER:
        break;
    }
    return NULL;
}

/* Reads dbg.log; 0, or EXIT_ERROR after saying why. */
static int load_history(struct history *h)
{
    struct dbglog r;
    char err[DBGLOG_ERR_LEN];
    if (dbglog_open(h->path, DBGLOG_STRICT, &r, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return EXIT_ERROR;
    }
    struct dbglog_line l;
    int got;
    const char *bad = NULL;
    while (bad == NULL && (got = dbglog_next(&r, &l)) == 1) {
        if (l.tick > h->last_tick || h->last_tick_line == 0) {
            h->last_tick = l.tick;
            h->last_tick_line = l.lineno;
        }
        if (l.kind != DBGLOG_OTHER && l.time != l.tick) {
            bad = input_error("%s:%lu: the message says time %llu, the line's [tick] is %llu",
                              h->path, l.lineno, (unsigned long long)l.time,
                              (unsigned long long)l.tick);
            break;
        }
        bad = add_line(h, &l);
    }
    if (bad == NULL && got == -1)
        bad = input_error("%s", dbglog_error(&r));
    if (h->split_open) /* views still disagree at the end */
        h->split[h->nsplit - 1].to = UINT64_MAX;
    dbglog_close(&r);
    if (bad != NULL) {
        fprintf(stderr, PROG ": %s\n", bad);
        return EXIT_ERROR;
    }
    judge_early(h);
    return 0;
}

/* ---------------------------------------------------------------- the trace (--trace) */

/* The trace's text fields, checked as dbg.log's are: an address, a version "stamp.node". */
static bool trace_addr(const char *s, struct dbglog_addr *a)
{
    unsigned b[4], port;
    char end;
    if (!s || sscanf(s, "%3u.%3u.%3u.%3u:%5u%c", &b[0], &b[1], &b[2], &b[3], &port, &end) != 5 ||
        b[0] > 255 || b[1] > 255 || b[2] > 255 || b[3] > 255 || port > 65535)
        return false;
    a->id = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
    a->port = (uint16_t)port;
    return true;
}

static bool trace_version(const char *s, uint64_t *stamp, uint32_t *node)
{
    unsigned long long st;
    unsigned long nd;
    char end;
    if (!s || sscanf(s, "%20llu.%10lu%c", &st, &nd, &end) != 2 || nd > UINT32_MAX)
        return false;
    *stamp = st;
    *node = (uint32_t)nd;
    return true;
}

static bool trace_op(const char *s, enum dbglog_op *op)
{
    for (int k = 0; k < DBGLOG_NOPS; k++)
        if (s && !strcmp(s, dbglog_op_name((enum dbglog_op)k))) {
            *op = (enum dbglog_op)k;
            return true;
        }
    return false;
}

static const char *str_field(json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

/* A read's decision against the versions its replicas served: the coordinator returns the newest
 * version among the successful replies its decision counted (the result's "answered"). */
static void judge_read_version(struct history *h, json_t *ev, uint64_t transid,
                               unsigned long lineno)
{
    const struct op *o = &h->ops[transid - 1];
    uint64_t stamp;
    uint32_t node;
    char k[SHOW_LEN], a[DBGLOG_ADDR_LEN];
    if (!trace_version(str_field(ev, "version"), &stamp, &node))
        return;
    json_t *answered = json_object_get(ev, "answered");
    const struct readv *rv = transid <= h->nreadv ? &h->readv[transid - 1] : NULL;
    uint64_t best = 0;
    uint32_t best_node = 0;
    bool any = false;
    size_t i;
    json_t *item;
    json_array_foreach(answered, i, item) {
        struct dbglog_addr r;
        if (!trace_addr(json_string_value(item), &r) || !rv)
            continue;
        for (uint8_t j = 0; j < rv->n; j++)
            if (dbglog_addr_order(rv->replica[j]) == dbglog_addr_order(r) &&
                (!any || rv->stamp[j] > best || (rv->stamp[j] == best && rv->node[j] > best_node))) {
                best = rv->stamp[j];
                best_node = rv->node[j];
                any = true;
            }
    }
    if (any && (best != stamp || best_node != node))
        violation(V_READ_VERSION, "key %s: transID %llu: the read (%s:%lu) returned version "
                  "%llu.%u, but the newest its answering replicas served is %llu.%u (coordinator %s)",
                  show(h->keys.s[o->key], k), (unsigned long long)transid, h->path, lineno,
                  (unsigned long long)stamp, (unsigned)node, (unsigned long long)best,
                  (unsigned)best_node, dbglog_addr_text(o->coord, a));
}

/* Keeps what a replica served a read with (a success carries the version it held). */
static void note_read_served(struct history *h, uint64_t transid, struct dbglog_addr replica,
                             json_t *ev)
{
    uint64_t stamp;
    uint32_t node;
    if (!json_is_true(json_object_get(ev, "ok")) ||
        !trace_version(str_field(ev, "version"), &stamp, &node))
        return;
    while (h->nreadv < transid) {
        h->readv = grow(h->readv, h->nreadv, &h->readvcap, sizeof *h->readv);
        memset(&h->readv[h->nreadv], 0, sizeof *h->readv);
        h->nreadv++;
    }
    struct readv *rv = &h->readv[transid - 1];
    if (rv->n < REPLICAS) {
        rv->replica[rv->n] = replica;
        rv->stamp[rv->n] = stamp;
        rv->node[rv->n++] = node;
    }
}

/* One trace event as the dbg.log line it stands for (kind DBGLOG_OTHER if none), or an error. */
static const char *trace_line(struct history *h, json_t *ev, unsigned long lineno,
                              struct dbglog_line *l)
{
    memset(l, 0, sizeof *l);
    l->lineno = lineno;
    l->kind = DBGLOG_OTHER;
    json_t *t = json_object_get(ev, "t");
    const char *name = str_field(ev, "ev");
    if (!json_is_object(ev) || !json_is_integer(t) || json_integer_value(t) < 0 || !name)
        return input_error("%s:%lu: not a trace event (an object with \"t\" and \"ev\")",
                           h->path, lineno);
    l->tick = l->time = (uint64_t)json_integer_value(t);
    const char *who = NULL, *what = str_field(ev, "what");
    if (!strcmp(name, "member")) {
        if (!what || (strcmp(what, "joined") && strcmp(what, "removed")))
            return NULL;
        l->kind = !strcmp(what, "joined") ? DBGLOG_JOIN : DBGLOG_REMOVAL;
        who = str_field(ev, "node");
        if (!trace_addr(str_field(ev, "member"), &l->member))
            return input_error("%s:%lu: a member event without a valid \"member\"", h->path,
                               lineno);
    } else if (!strcmp(name, "node")) {
        if (!what || (strcmp(what, "fail") && strcmp(what, "restart")))
            return NULL;
        l->kind = !strcmp(what, "fail") ? DBGLOG_FAILURE : DBGLOG_RESTART;
        who = str_field(ev, "node");
    } else if (!strcmp(name, "op") || !strcmp(name, "result") || !strcmp(name, "serve")) {
        bool op = !strcmp(name, "op");
        json_t *txid = json_object_get(ev, "txid");
        l->kind = op ? DBGLOG_OPERATION : DBGLOG_RESULT;
        l->coordinator = !strcmp(name, "result");
        who = str_field(ev, l->kind == DBGLOG_RESULT && !l->coordinator ? "replica" : "coordinator");
        l->key = str_field(ev, "key");
        l->value = str_field(ev, "value");
        l->success = json_is_true(json_object_get(ev, "ok"));
        if (!json_is_integer(txid) || json_integer_value(txid) <= 0 ||
            !trace_op(str_field(ev, "op"), &l->op) || !l->key || !*l->key)
            return input_error("%s:%lu: an %s event without a valid txid, op or key", h->path,
                               lineno, name);
        l->transid = (uint64_t)json_integer_value(txid);
        if (op && l->transid != h->nops + 1)
            return input_error("%s:%lu: operation txid %llu, expected %zu (txids count the "
                               "operations)", h->path, lineno, (unsigned long long)l->transid,
                               h->nops + 1);
        if (op && l->op == DBGLOG_READ)
            l->value = NULL; /* a read names no value */
    } else {
        return NULL;
    }
    if (!trace_addr(who, &l->logger))
        return input_error("%s:%lu: a %s event without a valid node address", h->path, lineno,
                           name);
    return NULL;
}

/* Reads a JSON Lines trace (./Application --trace) instead of dbg.log: the same history from its
 * events, plus the versions replicas served to reads; 0, or EXIT_ERROR after saying why. */
static int load_trace(struct history *h)
{
    FILE *f = fopen(h->path, "r");
    if (!f) {
        fprintf(stderr, PROG ": cannot open %s: %s\n", h->path, strerror(errno));
        return EXIT_ERROR;
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    const char *bad = NULL;
    bool ended = false;
    while (bad == NULL && (len = getline(&buf, &cap, f)) >= 0) {
        lineno++;
        if (strspn(buf, " \t\r\n") == (size_t)len && lineno > 1)
            continue; /* a blank line (an editor's last newline, say) holds no event */
        json_error_t jerr;
        json_t *ev = json_loadb(buf, (size_t)len, 0, &jerr);
        if (!ev) {
            bad = input_error("%s:%lu: not JSON: %s", h->path, lineno, jerr.text);
            break;
        }
        const char *name = str_field(ev, "ev");
        if (lineno == 1 && (!name || strcmp(name, "run") ||
                            json_integer_value(json_object_get(ev, "schema")) != 1)) {
            bad = input_error("%s:1: not a trace of schema 1 (its first line must be the \"run\" "
                              "event with \"schema\":1)", h->path);
        } else if (ended) {
            bad = input_error("%s:%lu: an event after the \"end\" line", h->path, lineno);
        } else if (name && !strcmp(name, "end")) {
            ended = true;
        } else if (name && !strcmp(name, "verdict")) {
            /* verdicts come last and carry the tick each was decided: not history */
        } else {
            struct dbglog_line l;
            bad = trace_line(h, ev, lineno, &l);
            if (bad == NULL && l.kind != DBGLOG_OTHER &&
                (l.tick > h->last_tick || h->last_tick_line == 0)) {
                h->last_tick = l.tick;
                h->last_tick_line = lineno;
            }
            bool read = bad == NULL && l.kind == DBGLOG_RESULT && l.op == DBGLOG_READ &&
                        l.transid <= h->nops;
            if (read && !l.coordinator)
                note_read_served(h, l.transid, l.logger, ev);
            if (bad == NULL)
                bad = add_line(h, &l);
            if (bad == NULL && read && l.coordinator && l.success)
                judge_read_version(h, ev, l.transid, lineno);
        }
        json_decref(ev);
    }
    if (bad == NULL && ferror(f))
        bad = input_error("%s: read error", h->path);
    else if (bad == NULL && lineno == 0)
        bad = input_error("%s: empty file", h->path);
    else if (bad == NULL && !ended)
        bad = input_error("%s:%lu: the trace has no \"end\" line (cut short?)", h->path, lineno);
    free(buf);
    fclose(f);
    if (h->split_open)
        h->split[h->nsplit - 1].to = UINT64_MAX;
    if (bad != NULL) {
        fprintf(stderr, PROG ": %s\n", bad);
        return EXIT_ERROR;
    }
    judge_early(h);
    return 0;
}

static void history_free(struct history *h)
{
    free(h->ops);
    strset_free(&h->keys);
    strset_free(&h->values);
    free(h->activity);
    free(h->split);
    free(h->views.order);
    free(h->views.alive);
    free(h->views.life);
    free(h->views.lists);
    free(h->views.slot);
    free(h->served);
    free(h->early);
    free(h->readv);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts and deduplicates the activity ticks. */
static void sort_activity(struct history *h)
{
    if (h->nactivity > 1)
        qsort(h->activity, h->nactivity, sizeof *h->activity, cmp_u64);
    size_t n = 0;
    for (size_t i = 0; i < h->nactivity; i++)
        if (n == 0 || h->activity[n - 1] != h->activity[i])
            h->activity[n++] = h->activity[i];
    h->nactivity = n;
}

/* The first tick in [lo, hi] at which views disagreed, or false. */
static bool split_in(const struct history *h, uint64_t lo, uint64_t hi, uint64_t *at)
{
    size_t a = 0, b = h->nsplit;
    while (a < b) { /* the first span that ends at or after lo */
        size_t mid = a + (b - a) / 2;
        if (h->split[mid].to < lo)
            a = mid + 1;
        else
            b = mid;
    }
    if (a == h->nsplit || h->split[a].from > hi)
        return false;
    *at = h->split[a].from > lo ? h->split[a].from : lo;
    return true;
}

/* The first membership activity at a tick in [lo, hi], or false. */
static bool activity_in(const struct history *h, uint64_t lo, uint64_t hi, uint64_t *at)
{
    size_t a = 0, b = h->nactivity;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (h->activity[mid] < lo)
            a = mid + 1;
        else
            b = mid;
    }
    if (a == h->nactivity || h->activity[a] > hi)
        return false;
    *at = h->activity[a];
    return true;
}

/* ---------------------------------------------------------------- the dump */

struct node {
    struct dbglog_addr addr;
    char text[DBGLOG_ADDR_LEN];
    uint64_t pos; /* SHA-256 of the address text */
    unsigned long line;
};

/* What one live node holds for one key: a value, or a tombstone (value NONE). */
struct copy {
    uint64_t stamp;
    uint32_t vnode;
    uint32_t key, value; /* in history.keys, history.values */
    struct dbglog_addr addr;
    size_t node;         /* in dump.nodes */
    unsigned long line;
};

struct dump {
    const char *path;
    uint64_t tick; /* the run's last tick */
    unsigned long header_nodes;
    struct node *nodes;
    size_t nnodes, ncap;
    struct copy *copies;
    size_t ncopies, ccap;
    size_t *ring; /* node indices by (position, address) */
};

/* The first 8 bytes, big-endian, of the SHA-256 digest of the bytes. */
static uint64_t ring_hash(const char *data, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen < 8) {
        fprintf(stderr, PROG ": OpenSSL could not compute a SHA-256 digest\n");
        exit(EXIT_ERROR);
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | md[i];
    return v;
}

static bool parse_hex64(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++, s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    *p = s;
    return true;
}

/* "# kvstate 2 tick=<t> nodes=<n>" */
static const char *parse_header(const char *line, struct dump *d)
{
    const char *p = line;
    unsigned long long v;
    if (!starts_with(p, STATE_MAGIC))
        return "missing header line '" STATE_MAGIC "2 tick=<t> nodes=<n>'";
    p += strlen(STATE_MAGIC);
    if (!dbglog_parse_num(&p, 20, UINT64_MAX, false, &v) || (*p != ' ' && *p != '\0'))
        return "unparsable format version in the header";
    if (v != STATE_VERSION)
        return input_error("format version %llu, this tool reads version %d (version 1 does "
                           "not list tombstones)", v, STATE_VERSION);
    if (!starts_with(p, " tick="))
        return "expected ' tick=<t>' after the version in the header";
    p += strlen(" tick=");
    if (!dbglog_parse_num(&p, 18, DBGLOG_MAX_TICK, false, &v))
        return "unparsable tick in the header";
    d->tick = v;
    if (!starts_with(p, " nodes="))
        return "expected ' nodes=<n>' after the tick in the header";
    p += strlen(" nodes=");
    if (!dbglog_parse_num(&p, 10, 4294967295ULL, false, &v))
        return "unparsable node count in the header";
    d->header_nodes = (unsigned long)v;
    return *p == '\0' ? NULL : "unexpected text after the node count in the header";
}

/* "node <addr> <16 hex digits>" */
static const char *parse_node(const char *p, struct dump *d, unsigned long lineno)
{
    struct node nd;
    uint64_t listed;
    memset(&nd, 0, sizeof nd);
    if (!dbglog_parse_addr(&p, true, &nd.addr))
        return "node line: expected an address like 1.0.0.0:0 (no leading zeros) after 'node '";
    if (*p++ != ' ')
        return "node line: expected one space and the position after the address";
    if (!parse_hex64(&p, &listed))
        return "node line: the position must be 16 hex digits";
    if (*p != '\0')
        return "node line: unexpected text after the position";
    dbglog_addr_text(nd.addr, nd.text);
    nd.pos = ring_hash(nd.text, strlen(nd.text));
    nd.line = lineno;
    if (listed != nd.pos)
        return input_error("node %s has position %016llx, SHA-256 of its address gives %016llx",
                           nd.text, (unsigned long long)listed, (unsigned long long)nd.pos);
    d->nodes = grow(d->nodes, d->nnodes, &d->ncap, sizeof *d->nodes);
    d->nodes[d->nnodes++] = nd;
    return NULL;
}

/* A key or value of the dump: the bytes up to a blank or the end, into a temporary copy. */
static const char *dump_token(const char **p, const char *what, char **out)
{
    const char *s = *p;
    while ((unsigned char)*s > ' ' && *s != 0x7f)
        s++;
    if (*s != '\0' && *s != ' ')
        return input_error("control character in the %s", what);
    if (s == *p)
        return input_error("empty %s", what);
    *out = xrealloc(NULL, (size_t)(s - *p) + 1, 1);
    memcpy(*out, *p, (size_t)(s - *p));
    (*out)[s - *p] = '\0';
    *p = s;
    return NULL;
}

/* "item <addr> <key> <value> <stamp>.<node>" or "tomb <addr> <key> <stamp>.<node>" */
static const char *parse_copy(const char *p, bool tomb, struct dump *d, struct history *h,
                              unsigned long lineno)
{
    const char *what = tomb ? "tomb" : "item";
    struct copy c;
    memset(&c, 0, sizeof c);
    char *key = NULL, *value = NULL;
    unsigned long long stamp, vnode;
    const char *err = NULL;
    if (!dbglog_parse_addr(&p, true, &c.addr))
        err = input_error("%s line: expected an address like 1.0.0.0:0 (no leading zeros) "
                          "after '%s '", what, what);
    else if (*p++ != ' ')
        err = input_error("%s line: expected one space and the key after the address", what);
    else if ((err = dump_token(&p, "key", &key)) != NULL)
        ;
    else if (!tomb && *p++ != ' ')
        err = "item line: expected one space and the value after the key";
    else if (!tomb && (err = dump_token(&p, "value", &value)) != NULL)
        ;
    else if (*p++ != ' ')
        err = input_error("%s line: expected one space and the version <stamp>.<node> after "
                          "the %s", what, tomb ? "key" : "value");
    else if (!dbglog_parse_num(&p, 20, UINT64_MAX, false, &stamp) || *p++ != '.' ||
             !dbglog_parse_num(&p, 10, UINT32_MAX, false, &vnode))
        err = input_error("%s line: the version must be <stamp>.<node>, two whole numbers",
                          what);
    else if (*p != '\0')
        err = input_error("%s line: unexpected text after the version", what);
    if (err == NULL) {
        c.stamp = stamp;
        c.vnode = (uint32_t)vnode;
        c.key = strset_add(&h->keys, key);
        c.value = tomb ? NONE : strset_add(&h->values, value);
        c.line = lineno;
        c.node = SIZE_MAX;
        d->copies = grow(d->copies, d->ncopies, &d->ccap, sizeof *d->copies);
        d->copies[d->ncopies++] = c;
    }
    free(key);
    free(value);
    return err;
}

static int load_dump(struct dump *d, struct history *h)
{
    FILE *f = fopen(d->path, "r");
    if (f == NULL) {
        fprintf(stderr, PROG ": cannot open %s: %s\n", d->path, strerror(errno));
        return EXIT_ERROR;
    }
    char *buf = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    const char *err = NULL;
    ssize_t len;
    errno = 0;
    while (err == NULL && (len = getline(&buf, &cap, f)) != -1) {
        lineno++;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        for (ssize_t i = 0; i < len; i++)
            if (buf[i] == '\0')
                buf[i] = '\x01';
        if (lineno == 1)
            err = parse_header(buf, d);
        else if (starts_with(buf, "node "))
            err = parse_node(buf + strlen("node "), d, lineno);
        else if (starts_with(buf, "item "))
            err = parse_copy(buf + strlen("item "), false, d, h, lineno);
        else if (starts_with(buf, "tomb "))
            err = parse_copy(buf + strlen("tomb "), true, d, h, lineno);
        else
            err = "expected a 'node <addr> <position>', 'item <addr> <key> <value> "
                  "<stamp>.<node>' or 'tomb <addr> <key> <stamp>.<node>' line";
    }
    free(buf);
    int read_errno = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (read_errno != 0) {
        fprintf(stderr, PROG ": %s:%lu: read error: %s\n", d->path, lineno + 1,
                strerror(read_errno));
        return EXIT_ERROR;
    }
    if (err == NULL && lineno == 0)
        err = "empty file (expected header line '" STATE_MAGIC "2 tick=<t> nodes=<n>')";
    if (err != NULL) {
        fprintf(stderr, PROG ": %s:%lu: %s\n", d->path, lineno ? lineno : 1, err);
        return EXIT_ERROR;
    }
    return 0;
}

static void dump_free(struct dump *d)
{
    free(d->nodes);
    free(d->copies);
    free(d->ring);
}

static const struct dump *sort_dump; /* for the qsort comparators */

static int cmp_node_addr(const void *a, const void *b)
{
    const struct node *x = &sort_dump->nodes[*(const size_t *)a];
    const struct node *y = &sort_dump->nodes[*(const size_t *)b];
    uint64_t ox = dbglog_addr_order(x->addr), oy = dbglog_addr_order(y->addr);
    if (ox != oy)
        return ox < oy ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_ring(const void *a, const void *b)
{
    const struct node *x = &sort_dump->nodes[*(const size_t *)a];
    const struct node *y = &sort_dump->nodes[*(const size_t *)b];
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    uint64_t ox = dbglog_addr_order(x->addr), oy = dbglog_addr_order(y->addr);
    return ox < oy ? -1 : ox > oy;
}

/* Copies by key, then node, then line. */
static int cmp_copy(const void *a, const void *b)
{
    const struct copy *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    uint64_t ox = dbglog_addr_order(x->addr), oy = dbglog_addr_order(y->addr);
    if (ox != oy)
        return ox < oy ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Checks that the dump is consistent with itself (each node listed once, the header's count,
 * every copy on a listed node, one copy per node and key) and builds the ring. 0, or
 * EXIT_ERROR after saying what is wrong. */
static int index_dump(struct dump *d, const struct history *h)
{
    char k[SHOW_LEN], a[DBGLOG_ADDR_LEN];
    size_t *by_addr = xrealloc(NULL, d->nnodes, sizeof *by_addr);
    for (size_t i = 0; i < d->nnodes; i++)
        by_addr[i] = i;
    sort_dump = d;
    if (d->nnodes > 1)
        qsort(by_addr, d->nnodes, sizeof *by_addr, cmp_node_addr);
    const char *err = NULL;
    unsigned long line = 0;
    for (size_t i = 1; i < d->nnodes && err == NULL; i++)
        if (dbglog_addr_order(d->nodes[by_addr[i]].addr) ==
            dbglog_addr_order(d->nodes[by_addr[i - 1]].addr)) {
            line = d->nodes[by_addr[i]].line;
            err = input_error("node %s is listed twice (first at line %lu)",
                              d->nodes[by_addr[i]].text, d->nodes[by_addr[i - 1]].line);
        }
    if (err == NULL && d->header_nodes != d->nnodes) {
        line = 1;
        err = input_error("the header says nodes=%lu but %zu node%s listed", d->header_nodes,
                          d->nnodes, d->nnodes == 1 ? " is" : "s are");
    }
    if (d->ncopies > 1)
        qsort(d->copies, d->ncopies, sizeof *d->copies, cmp_copy);
    for (size_t i = 0; i < d->ncopies && err == NULL; i++) {
        struct copy *c = &d->copies[i];
        size_t lo = 0, hi = d->nnodes;
        uint64_t want = dbglog_addr_order(c->addr);
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            uint64_t o = dbglog_addr_order(d->nodes[by_addr[mid]].addr);
            if (o < want)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < d->nnodes && dbglog_addr_order(d->nodes[by_addr[lo]].addr) == want)
            c->node = by_addr[lo];
        line = c->line;
        if (c->node == SIZE_MAX)
            err = input_error("%s on %s, which has no node line (not a live node)",
                              c->value == NONE ? "tomb" : "item", dbglog_addr_text(c->addr, a));
        else if (i > 0 && c[-1].key == c->key && c[-1].node == c->node)
            err = input_error("node %s holds key %s twice (first at line %lu)",
                              d->nodes[c->node].text, show(h->keys.s[c->key], k), c[-1].line);
    }
    free(by_addr);
    if (err != NULL) {
        fprintf(stderr, PROG ": %s:%lu: %s\n", d->path, line, err);
        return EXIT_ERROR;
    }
    d->ring = xrealloc(NULL, d->nnodes, sizeof *d->ring);
    for (size_t i = 0; i < d->nnodes; i++)
        d->ring[i] = i;
    if (d->nnodes > 1)
        qsort(d->ring, d->nnodes, sizeof *d->ring, cmp_ring);
    return 0;
}

/* The key's replicas (node indices): the first min(nodes, REPLICAS) ring nodes at or after its
 * position, wrapping around; returns how many. */
static size_t replicas_of(const struct dump *d, const char *key, size_t out[REPLICAS])
{
    size_t k = d->nnodes < REPLICAS ? d->nnodes : REPLICAS;
    if (k == 0)
        return 0;
    uint64_t pos = ring_hash(key, strlen(key));
    size_t lo = 0, hi = d->nnodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->nodes[d->ring[mid]].pos < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t j = 0; j < k; j++)
        out[j] = d->ring[(lo + j) % d->nnodes];
    return k;
}

/* ---------------------------------------------------------------- indexes over the writes */

static bool is_write(const struct op *o)
{
    return o->kind != DBGLOG_READ;
}

/* What a version or a copy holds: a value's number, or NONE for a deletion. */
static uint32_t content_of(const struct op *o)
{
    return o->kind == DBGLOG_DELETE ? NONE : o->value;
}

struct indexes {
    size_t *by_version; /* writes by (key, coordinator id, content, issue tick, transID) */
    size_t nversion;
    size_t *by_value;   /* creates and updates by (key, value, issue tick, transID) */
    size_t nvalue;
    size_t *acks;       /* acknowledged writes by (key, acknowledgement tick, transID) */
    size_t *best;       /* best[i]: of acks[start of its key .. i], the latest issued */
    size_t nacks;
    size_t *ack_start;  /* per key: its first position in acks; ack_start[nkeys] = nacks */
};

static const struct op *sort_ops;

static int cmp3(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

static int cmp_by_version(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const struct op *x = &sort_ops[i], *y = &sort_ops[j];
    int c;
    if ((c = cmp3(x->key, y->key)) || (c = cmp3(x->coord.id, y->coord.id)) ||
        (c = cmp3(content_of(x), content_of(y))) || (c = cmp3(x->issued, y->issued)))
        return c;
    return cmp3(i, j);
}

static int cmp_by_value(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const struct op *x = &sort_ops[i], *y = &sort_ops[j];
    int c;
    if ((c = cmp3(x->key, y->key)) || (c = cmp3(x->value, y->value)) ||
        (c = cmp3(x->issued, y->issued)))
        return c;
    return cmp3(i, j);
}

static int cmp_acks(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const struct op *x = &sort_ops[i], *y = &sort_ops[j];
    int c;
    if ((c = cmp3(x->key, y->key)) || (c = cmp3(x->decided, y->decided)))
        return c;
    return cmp3(i, j);
}

static void build_indexes(const struct history *h, struct indexes *ix)
{
    memset(ix, 0, sizeof *ix);
    ix->by_version = xrealloc(NULL, h->nops, sizeof *ix->by_version);
    ix->by_value = xrealloc(NULL, h->nops, sizeof *ix->by_value);
    ix->acks = xrealloc(NULL, h->nops, sizeof *ix->acks);
    ix->best = xrealloc(NULL, h->nops, sizeof *ix->best);
    ix->ack_start = xrealloc(NULL, h->keys.n + 1, sizeof *ix->ack_start);
    for (size_t i = 0; i < h->nops; i++) {
        const struct op *o = &h->ops[i];
        if (!is_write(o))
            continue;
        ix->by_version[ix->nversion++] = i;
        if (o->kind != DBGLOG_DELETE)
            ix->by_value[ix->nvalue++] = i;
        if (o->outcome == SUCCEEDED)
            ix->acks[ix->nacks++] = i;
    }
    sort_ops = h->ops;
    qsort(ix->by_version, ix->nversion, sizeof *ix->by_version, cmp_by_version);
    qsort(ix->by_value, ix->nvalue, sizeof *ix->by_value, cmp_by_value);
    qsort(ix->acks, ix->nacks, sizeof *ix->acks, cmp_acks);
    size_t a = 0;
    for (size_t key = 0; key <= h->keys.n; key++) {
        ix->ack_start[key] = a;
        while (a < ix->nacks && h->ops[ix->acks[a]].key == key) {
            size_t prev = a > ix->ack_start[key] ? ix->best[a - 1] : NO_OP;
            size_t cur = ix->acks[a];
            /* The later issue tick wins; at equal ticks the later transaction. */
            ix->best[a] = prev != NO_OP && (h->ops[prev].issued > h->ops[cur].issued ||
                                            (h->ops[prev].issued == h->ops[cur].issued &&
                                             prev > cur))
                              ? prev
                              : cur;
            a++;
        }
    }
}

static void free_indexes(struct indexes *ix)
{
    free(ix->by_version);
    free(ix->by_value);
    free(ix->acks);
    free(ix->best);
    free(ix->ack_start);
}

/* The write that made a version: same key, coordinator id = the version's node, same content,
 * issued at or before stamp >> 16; the latest such. NO_OP if none. */
static size_t version_write(const struct history *h, const struct indexes *ix, uint32_t key,
                            uint64_t stamp, uint32_t vnode, uint32_t content)
{
    uint64_t tick = stamp >> 16;
    size_t lo = 0, hi = ix->nversion;
    while (lo < hi) { /* the first entry after (key, vnode, content, tick, any transID) */
        size_t mid = lo + (hi - lo) / 2;
        const struct op *o = &h->ops[ix->by_version[mid]];
        int c;
        if (!(c = cmp3(o->key, key)) && !(c = cmp3(o->coord.id, vnode)) &&
            !(c = cmp3(content_of(o), content)))
            c = o->issued <= tick ? -1 : 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NO_OP;
    const struct op *o = &h->ops[ix->by_version[lo - 1]];
    if (o->key != key || o->coord.id != vnode || content_of(o) != content || o->issued > tick)
        return NO_OP;
    return ix->by_version[lo - 1];
}

/* The latest create or update of key with value issued at or before tick; NO_OP if none. */
static size_t value_write(const struct history *h, const struct indexes *ix, uint32_t key,
                          uint32_t value, uint64_t tick)
{
    size_t lo = 0, hi = ix->nvalue;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct op *o = &h->ops[ix->by_value[mid]];
        int c;
        if (!(c = cmp3(o->key, key)) && !(c = cmp3(o->value, value)))
            c = o->issued <= tick ? -1 : 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NO_OP;
    const struct op *o = &h->ops[ix->by_value[lo - 1]];
    if (o->key != key || o->value != value || o->issued > tick)
        return NO_OP;
    return ix->by_value[lo - 1];
}

/* Of the writes of key acknowledged at a tick before `before`, the latest issued; NO_OP. */
static size_t acked_before(const struct history *h, const struct indexes *ix, uint32_t key,
                           uint64_t before)
{
    size_t lo = ix->ack_start[key], hi = ix->ack_start[key + 1], start = lo;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->ops[ix->acks[mid]].decided < before)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == start ? NO_OP : ix->best[lo - 1];
}

/* ---------------------------------------------------------------- describing things */

/* "update to v2 (transID 7, issued at 150 by 3.0.0.0:0, acknowledged at 152)" */
static const char *describe_write(const struct history *h, size_t i, char *buf, size_t len)
{
    const struct op *o = &h->ops[i];
    char v[SHOW_LEN], a[DBGLOG_ADDR_LEN], when[64] = "";
    if (o->outcome == SUCCEEDED)
        snprintf(when, sizeof when, ", acknowledged at %llu", (unsigned long long)o->decided);
    else if (o->outcome == FAILED)
        snprintf(when, sizeof when, ", failed at %llu", (unsigned long long)o->decided);
    else
        snprintf(when, sizeof when, ", never decided");
    if (o->kind == DBGLOG_DELETE)
        snprintf(buf, len, "delete (transID %zu, issued at %llu by %s%s)", i + 1,
                 (unsigned long long)o->issued, dbglog_addr_text(o->coord, a), when);
    else
        snprintf(buf, len, "%s %s %s (transID %zu, issued at %llu by %s%s)", op_verb(o),
                 o->kind == DBGLOG_CREATE ? "of" : "to", show(h->values.s[o->value], v), i + 1,
                 (unsigned long long)o->issued, dbglog_addr_text(o->coord, a), when);
    return buf;
}

/* "read (transID 14, issued at 200 by 2.0.0.0:0, decided at 202)" */
static const char *describe_read(const struct history *h, size_t i, char *buf, size_t len)
{
    const struct op *o = &h->ops[i];
    char a[DBGLOG_ADDR_LEN];
    snprintf(buf, len, "read (transID %zu, issued at %llu by %s, decided at %llu)", i + 1,
             (unsigned long long)o->issued, dbglog_addr_text(o->coord, a),
             (unsigned long long)o->decided);
    return buf;
}

/* The nodes among g[0..n) holding exactly copy f's version and content: "1.0.0.0:0, ...". */
static const char *holders(const struct dump *d, const struct copy *g, size_t n,
                           const struct copy *f, char *buf, size_t len)
{
    size_t used = 0, shown = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++) {
        if (g[i].stamp != f->stamp || g[i].vnode != f->vnode || g[i].value != f->value)
            continue;
        if (shown++ == HOLDERS_SHOWN) {
            snprintf(buf + used, len - used, ", ...");
            break;
        }
        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                                 d->nodes[g[i].node].text);
    }
    return buf;
}

/* "v2 (version 9830400.5, transID 9, state.txt:12)" or "a deletion (version 9830400.5)": the
 * transID when w names the write, the dump line when path is not NULL. */
static const char *describe_copy(const struct history *h, const struct copy *c, size_t w,
                                 const char *path, char *buf, size_t len)
{
    char v[SHOW_LEN], id[40] = "", where[300] = "";
    if (w != NO_OP)
        snprintf(id, sizeof id, ", transID %zu", w + 1);
    if (path != NULL)
        snprintf(where, sizeof where, ", %s:%lu", path, c->line);
    snprintf(buf, len, "%s (version %llu.%u%s%s)",
             c->value == NONE ? "a deletion" : show(h->values.s[c->value], v),
             (unsigned long long)c->stamp, (unsigned)c->vnode, id, where);
    return buf;
}

/* ---------------------------------------------------------------- the checks */

struct judge {
    const struct history *h;
    const struct dump *d;
    const struct indexes *ix;
    uint64_t quiet;  /* Q */
    bool placement;  /* the final state is quiet: placement is judged */
};

static int cmp_version(const struct copy *x, const struct copy *y)
{
    int c;
    if ((c = cmp3(x->stamp, y->stamp)) || (c = cmp3(x->vnode, y->vnode)))
        return c;
    return cmp3(x->value, y->value); /* equal versions should not differ; fixed order if so */
}

static const struct copy *sort_copies;

static int cmp_copy_version(const void *a, const void *b)
{
    return cmp_version(&sort_copies[*(const size_t *)a], &sort_copies[*(const size_t *)b]);
}

/* Each distinct version among the copies g[0..n) maps to a write, or is a phantom. Returns
 * the write of the newest copy *newest (NO_OP if it maps to none). */
static size_t map_versions(const struct judge *j, const char *key, const struct copy *g,
                           size_t n, const struct copy **newest)
{
    const struct history *h = j->h;
    size_t *order = xrealloc(NULL, n, sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    sort_copies = g;
    qsort(order, n, sizeof *order, cmp_copy_version);
    size_t newest_write = NO_OP;
    char k[SHOW_LEN], v[SHOW_LEN], who[HOLDERS_SHOWN * 24 + 8];
    *newest = &g[order[n - 1]];
    for (size_t i = 0; i < n; i++) {
        const struct copy *c = &g[order[i]];
        if (i > 0 && cmp_version(c, &g[order[i - 1]]) == 0)
            continue;
        size_t w = version_write(h, j->ix, c->key, c->stamp, c->vnode, c->value);
        if (cmp_version(c, *newest) == 0)
            newest_write = w;
        if (w != NO_OP)
            continue;
        if (c->value == NONE)
            violation(V_PHANTOM_VALUE, "key %s: version %llu.%u, a deletion, on %s (%s:%lu) "
                      "maps to no write: no delete of the key by node id %u issued at or before "
                      "tick %llu", show(key, k), (unsigned long long)c->stamp,
                      (unsigned)c->vnode, holders(j->d, g, n, c, who, sizeof who), j->d->path,
                      c->line, (unsigned)c->vnode, (unsigned long long)(c->stamp >> 16));
        else
            violation(V_PHANTOM_VALUE, "key %s: version %llu.%u of value %s on %s (%s:%lu) maps "
                      "to no write: no create or update of the key with that value by node id "
                      "%u issued at or before tick %llu", show(key, k),
                      (unsigned long long)c->stamp, (unsigned)c->vnode,
                      show(h->values.s[c->value], v), holders(j->d, g, n, c, who, sizeof who),
                      j->d->path, c->line, (unsigned)c->vnode,
                      (unsigned long long)(c->stamp >> 16));
    }
    free(order);
    return newest_write;
}

/* The latest-issued acknowledged writes of a key: their issue tick, whether they include a
 * value (create, update) and a delete, and one to name (a value write if any, else a delete;
 * the last issued). */
struct latest {
    size_t write; /* NO_OP: no acknowledged write */
    uint64_t tick;
    bool value, deletion;
};

/* Checks 1 and 2: the latest-issued acknowledged write is still visible. */
static void check_durability(const struct judge *j, const char *key, const struct latest *lt,
                             const struct copy *g, size_t n, const struct copy *f, size_t fw)
{
    const struct history *h = j->h;
    char k[SHOW_LEN], a[1024], b[1024], who[HOLDERS_SHOWN * 24 + 8];
    if (lt->write == NO_OP)
        return;
    if (n == 0) {
        if (!lt->deletion)
            violation(V_LOST_WRITE, "key %s: %s is gone; no live node holds the key",
                      show(key, k), describe_write(h, lt->write, a, sizeof a));
        return;
    }
    uint64_t tf = fw != NO_OP ? h->ops[fw].issued : f->stamp >> 16;
    if (tf >= lt->tick)
        return;
    char v[SHOW_LEN], addr[DBGLOG_ADDR_LEN];
    const char *content = f->value == NONE ? "a deletion" : show(h->values.s[f->value], v);
    if (fw != NO_OP)
        snprintf(b, sizeof b, "%s (version %llu.%u: transID %zu, issued at %llu by %s) on %s",
                 content, (unsigned long long)f->stamp, (unsigned)f->vnode, fw + 1,
                 (unsigned long long)h->ops[fw].issued,
                 dbglog_addr_text(h->ops[fw].coord, addr),
                 holders(j->d, g, n, f, who, sizeof who));
    else
        snprintf(b, sizeof b, "%s (version %llu.%u, which maps to no write) on %s", content,
                 (unsigned long long)f->stamp, (unsigned)f->vnode,
                 holders(j->d, g, n, f, who, sizeof who));
    if (lt->value)
        violation(V_LOST_WRITE, "key %s: %s is gone; newest copy is %s", show(key, k),
                  describe_write(h, lt->write, a, sizeof a), b);
    else if (f->value != NONE)
        violation(V_DELETED_BACK, "key %s: %s is undone; newest copy is %s", show(key, k),
                  describe_write(h, lt->write, a, sizeof a), b);
}

/* Check 5: with f the newest copy, where the copies g[0..n) of key sit on the ring. */
static void check_placement(const struct judge *j, const char *key, const struct copy *g,
                            size_t n, const struct copy *f, size_t fw)
{
    const struct history *h = j->h;
    const struct dump *d = j->d;
    size_t rep[REPLICAS];
    size_t nrep = replicas_of(d, key, rep);
    char k[SHOW_LEN], list[REPLICAS * (DBGLOG_ADDR_LEN + 2)] = "", fd[SHOW_LEN + 120],
        cd[SHOW_LEN + 400];
    show(key, k);
    for (size_t r = 0; r < nrep; r++) {
        strcat(list, r ? ", " : "");
        strcat(list, d->nodes[rep[r]].text);
    }
    describe_copy(h, f, fw, NULL, fd, sizeof fd);
    if (f->value == NONE) {
        for (size_t i = 0; i < n; i++)
            if (g[i].value != NONE)
                violation(V_STALE_REPLICA, "key %s: %s holds %s, the newest is %s", k,
                          d->nodes[g[i].node].text,
                          describe_copy(h, &g[i], NO_OP, d->path, cd, sizeof cd), fd);
        return;
    }
    for (size_t r = 0; r < nrep; r++) {
        const struct copy *held = NULL;
        for (size_t i = 0; i < n && held == NULL; i++)
            if (g[i].node == rep[r])
                held = &g[i];
        if (held == NULL)
            violation(V_UNDER_REPLICATED, "key %s: replica %s holds nothing, the newest is %s; "
                      "replicas %s", k, d->nodes[rep[r]].text, fd, list);
        else if (cmp_version(held, f) != 0)
            violation(V_STALE_REPLICA, "key %s: replica %s holds %s, the newest is %s; "
                      "replicas %s", k, d->nodes[rep[r]].text,
                      describe_copy(h, held, NO_OP, d->path, cd, sizeof cd), fd, list);
    }
    for (size_t i = 0; i < n; i++) {
        bool replica = false;
        for (size_t r = 0; r < nrep; r++)
            replica |= g[i].node == rep[r];
        if (!replica && g[i].value != NONE)
            violation(V_MISPLACED, "key %s: %s holds %s but is not a replica; replicas %s", k,
                      d->nodes[g[i].node].text,
                      describe_copy(h, &g[i], NO_OP, d->path, cd, sizeof cd), list);
    }
}

static const struct strset *sort_keys;

static int cmp_key_name(const void *a, const void *b)
{
    return strcmp(sort_keys->s[*(const uint32_t *)a], sort_keys->s[*(const uint32_t *)b]);
}

/* Checks 1, 2, 3 (the dump's versions) and 5, key by key in byte order. */
static void check_final_state(const struct judge *j)
{
    const struct history *h = j->h;
    const struct dump *d = j->d;
    size_t nkeys = h->keys.n;
    struct latest *lt = xrealloc(NULL, nkeys, sizeof *lt);
    for (size_t i = 0; i < nkeys; i++)
        lt[i] = (struct latest){ NO_OP, 0, false, false };
    for (size_t i = 0; i < h->nops; i++) {
        const struct op *o = &h->ops[i];
        if (!is_write(o) || o->outcome != SUCCEEDED)
            continue;
        struct latest *l = &lt[o->key];
        if (l->write != NO_OP && o->issued < l->tick)
            continue;
        if (l->write == NO_OP || o->issued > l->tick)
            *l = (struct latest){ NO_OP, o->issued, false, false };
        bool value = o->kind != DBGLOG_DELETE;
        if (value || !l->value)
            l->write = i; /* the last issued, a value write if there is one */
        l->value |= value;
        l->deletion |= !value;
    }
    size_t *start = xrealloc(NULL, nkeys + 1, sizeof *start);
    size_t c = 0;
    for (size_t key = 0; key <= nkeys; key++) {
        start[key] = c;
        while (c < d->ncopies && d->copies[c].key == key)
            c++;
    }
    uint32_t *order = xrealloc(NULL, nkeys, sizeof *order);
    for (size_t i = 0; i < nkeys; i++)
        order[i] = (uint32_t)i;
    sort_keys = &h->keys;
    if (nkeys > 1)
        qsort(order, nkeys, sizeof *order, cmp_key_name);
    for (size_t i = 0; i < nkeys; i++) {
        uint32_t key = order[i];
        const struct copy *g = d->copies + start[key];
        size_t n = start[key + 1] - start[key];
        const struct copy *f = NULL;
        size_t fw = n > 0 ? map_versions(j, h->keys.s[key], g, n, &f) : NO_OP;
        check_durability(j, h->keys.s[key], &lt[key], g, n, f, fw);
        if (n > 0 && j->placement)
            check_placement(j, h->keys.s[key], g, n, f, fw);
    }
    free(order);
    free(start);
    free(lt);
}

/* Checks 3 (reads) and 4, in transaction order. */
static void check_reads(const struct judge *j)
{
    const struct history *h = j->h;
    char k[SHOW_LEN], v[SHOW_LEN], r[256], w[1024];
    for (size_t i = 0; i < h->nops; i++) {
        const struct op *o = &h->ops[i];
        if (o->kind != DBGLOG_READ || o->outcome != SUCCEEDED || o->got == NONE)
            continue;
        const char *key = h->keys.s[o->key];
        size_t wv = value_write(h, j->ix, o->key, o->got, o->decided);
        if (wv == NO_OP) {
            violation(V_PHANTOM_VALUE, "key %s: %s returned %s, which no create or update of "
                      "the key issued at or before tick %llu wrote", show(key, k),
                      describe_read(h, i, r, sizeof r), show(h->values.s[o->got], v),
                      (unsigned long long)o->decided);
            continue;
        }
        size_t a = acked_before(h, j->ix, o->key, o->issued);
        if (a == NO_OP || h->ops[a].issued <= h->ops[wv].issued)
            continue;
        uint64_t lo = o->issued > j->quiet ? o->issued - j->quiet : 0, at;
        if (activity_in(h, lo, o->decided, &at) || split_in(h, lo, o->decided, &at))
            continue;
        violation(V_STALE_READ, "key %s: %s returned %s, written by transID %zu issued at %llu, "
                  "though the later %s was acknowledged before the read; no membership activity, "
                  "and every live node listed every other, in ticks %llu..%llu",
                  show(key, k), describe_read(h, i, r, sizeof r), show(h->values.s[o->got], v),
                  wv + 1, (unsigned long long)h->ops[wv].issued,
                  describe_write(h, a, w, sizeof w), (unsigned long long)lo,
                  (unsigned long long)o->decided);
    }
}

/* ---------------------------------------------------------------- report */

/* Prints the violations grouped by kind and the summary; returns the exit status. */
static int report(const struct history *h, bool summary_only)
{
    unsigned long long total = 0;
    for (int k = 0; k < NKINDS; k++) {
        total += found[k].count;
        for (unsigned long long i = 0; i < found[k].count && i < MAX_SHOWN; i++) {
            if (!summary_only)
                printf(PROG ": %s: %s\n", kind_name[k], found[k].shown[i]);
            free(found[k].shown[i]);
        }
        if (!summary_only && found[k].count > MAX_SHOWN)
            printf(PROG ": %s: ... and %llu more\n", kind_name[k], found[k].count - MAX_SHOWN);
    }
    printf(PROG ": %zu operation%s (%zu acknowledged), %zu key%s; %llu violation%s", h->nops,
           plural(h->nops), h->acknowledged, h->keys.n, plural(h->keys.n), total,
           plural(total));
    const char *sep = " (";
    for (int k = 0; k < NKINDS; k++)
        if (found[k].count != 0) {
            printf("%s%s=%llu", sep, kind_name[k], found[k].count);
            sep = ", ";
        }
    printf("%s\n", total ? ")" : "");
    return total ? EXIT_VIOLATIONS : EXIT_CLEAN;
}

static void usage(FILE *out)
{
    fprintf(out,
"usage: " PROG " [-q] [--quiet N] DBG_LOG STATE_DUMP\n"
"       " PROG " [-q] [--quiet N] --trace TRACE STATE_DUMP\n"
"Checks the client-visible history of one run: its dbg.log and the final-state dump\n"
"written by ./Application ... --dump-state STATE_DUMP (format version 2, with tombstones).\n"
"Shares no code with the simulator: ring positions are recomputed with SHA-256.\n"
"\n"
"Options:\n"
"  -q            print only the summary line\n"
"  --trace TRACE read the run's JSON Lines trace (./Application --trace) instead of\n"
"                dbg.log: the same checks, plus read-version (below)\n"
"  --quiet N     the quiet period Q in ticks (default %d)\n"
"  -h, --help    this text\n"
"\n"
"Terms. A write is a create, update or delete operation line; the n-th operation line\n"
"is transID n; its issue tick is the line's tick. A write is acknowledged when its\n"
"coordinator line is a success (at the ack tick). A dump version <stamp>.<node> maps to\n"
"the latest write of the same key by the coordinator with id <node>, with the same value\n"
"(a tombstone: a delete), issued at or before tick stamp>>16. Membership activity is any\n"
"joined, removed, 'Node failed' or 'Node restarted' line. Views disagree while some live\n"
"node does not list another live one: each node's list is rebuilt from the joined and\n"
"removed lines it logged (a restart empties it); a node is live from its first mention\n"
"until its 'Node failed' line, and again after 'Node restarted'. A partition that both\n"
"sides detected, a node still learning the group, a false removal: views disagree until\n"
"the rejoin lines. The final state is quiet when no membership activity falls in the\n"
"last Q ticks of the run (the dump's tick=) and views agree at the end.\n"
"\n"
"Violations, one line each ('" PROG ": <kind>: key <k>: ...'):\n"
"  lost-write     the latest-issued acknowledged create or update of a key is gone: no\n"
"                 live node holds the key, or its newest version maps to a write issued\n"
"                 at an earlier tick\n"
"  deleted-back   the latest-issued acknowledged write is a delete, and the newest\n"
"                 version is a value written at an earlier tick (the key came back)\n"
"  phantom-value  a successful read returned a value no create or update of the key\n"
"                 issued at or before the read's decision wrote; or a dump version\n"
"                 maps to no write\n"
"  stale-read     a successful read (issued at tr, decided at td) returned a value whose\n"
"                 write (the latest create or update with that value issued by td) was\n"
"                 issued before some write acknowledged before tr, no membership\n"
"                 activity fell in ticks tr-Q..td, and views agreed all that time\n"
"  under-replicated, stale-replica, misplaced  (quiet final state only) with F the\n"
"                 newest version of a key some live node holds: if F is a value, each\n"
"                 of its min(3, live nodes) replicas on the ring of the dump's nodes holds\n"
"                 exactly F (nothing: under-replicated; an older version or a tombstone:\n"
"                 stale-replica) and no other node holds a value (misplaced); if F is a\n"
"                 tombstone, no node holds a value (stale-replica)\n"
"  read-version   (--trace only) a successful read returned another version than the\n"
"                newest one served with success by the replicas its decision counted\n"
"                (the result's \"answered\"; each replica's version from its serve event)\n"
"  protocol       a result line for a transID never issued (or logged before its\n"
"                 operation line); a coordinator or server line whose operation or key\n"
"                 differ from the operation line; a coordinator line logged by another\n"
"                 node than the operation line, decided before it was issued, or whose\n"
"                 value part is wrong (create/update: the value written; read success: the\n"
"                 value read; otherwise none); two coordinator lines for one transID; two\n"
"                 server lines from one node for one transID\n"
"\n"
"Allowances (not violations):\n"
"  - a write that failed its quorum, or was never decided (its coordinator crashed), may\n"
"    still have reached a replica and win by last-writer-wins;\n"
"  - writes issued in the same tick are concurrent: either may win, and a read may\n"
"    return either; a write acknowledged in the tick a read is issued is concurrent too;\n"
"  - reads may be stale while membership changes: within Q ticks before the read's issue\n"
"    tick up to its decision, and whenever views disagree (during a partition, reads on\n"
"    one side do not see writes made on the other);\n"
"  - reads and writes may fail: availability is not judged;\n"
"  - a key whose latest acknowledged write is a delete may have no copy at all;\n"
"  - with fewer than 3 live nodes a key has as many replicas as there are live nodes;\n"
"  - a non-replica may keep a tombstone; only values are misplaced.\n"
"If the final state is not quiet, placement is not judged and stderr says why.\n"
"\n"
"Limit: a version's tick is stamp>>16, exact while no coordinator issues 65,536\n"
"operations in one tick (its Lamport clock would run into the next tick's range).\n"
"\n"
"Input checks (exit 2): dbg.log starts with '131' and every other line is\n"
"' <addr> [<tick>] <message>'; membership and key-value lines parse completely, their\n"
"'at time' equals the line's tick, and no line uses a phrase the format reserves\n"
"(joined, removed, OPERATION, '<op> success|fail', ...) otherwise; no line comes after\n"
"the dump's tick; create and update operation lines carry their VALUE. The dump has\n"
"the header '# kvstate 2 tick=<t> nodes=<n>' with n node lines, each position equal to\n"
"SHA-256 of the address, each node listed once, every item and tomb on a listed node,\n"
"and at most one item or tomb per node and key.\n"
"\n"
"Output: the violations, at most %d per kind then '... and N more', then one summary:\n"
"'" PROG ": <N> operations (<A> acknowledged), <K> keys; <V> violations (kind=count, ...)'\n"
"(acknowledged: operations of any kind with a coordinator success; keys: those named\n"
"by operation lines or held in the dump).\n"
"Exit status: 0 clean, 1 violations, 2 usage errors or unreadable or malformed input\n"
"('" PROG ": FILE:LINE: what is wrong').\n",
            DEFAULT_QUIET, MAX_SHOWN);
}

int main(int argc, char **argv)
{
    const char *files[2];
    const char *trace = NULL;
    int nfiles = 0;
    bool options_done = false, summary_only = false;
    unsigned long long quiet = DEFAULT_QUIET;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            if (nfiles == 2) {
                fprintf(stderr, PROG ": too many arguments: '%s' after the two files\n", arg);
                usage(stderr);
                return EXIT_ERROR;
            }
            files[nfiles++] = arg;
        } else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            return EXIT_CLEAN;
        } else if (!strcmp(arg, "--")) {
            options_done = true;
        } else if (!strcmp(arg, "-q")) {
            summary_only = true;
        } else if (!strcmp(arg, "--trace") || starts_with(arg, "--trace=")) {
            const char *v = arg[7] == '=' ? arg + 8 : (i + 1 < argc ? argv[++i] : NULL);
            if (v == NULL || *v == '\0') {
                fprintf(stderr, PROG ": --trace needs a file name\n");
                return EXIT_ERROR;
            }
            trace = v;
        } else if (!strcmp(arg, "--quiet") || starts_with(arg, "--quiet=")) {
            const char *v = arg[7] == '=' ? arg + 8 : (i + 1 < argc ? argv[++i] : NULL);
            const char *p = v;
            if (v == NULL || !dbglog_parse_num(&p, 18, DBGLOG_MAX_TICK, false, &quiet) ||
                *p != '\0') {
                fprintf(stderr, PROG ": --quiet needs a number of ticks (0 to %llu), got '%s'\n",
                        DBGLOG_MAX_TICK, v ? v : "nothing");
                return EXIT_ERROR;
            }
        } else {
            fprintf(stderr, PROG ": unknown option '%s'\n", arg);
            usage(stderr);
            return EXIT_ERROR;
        }
    }
    if (trace && nfiles == 1) { /* the trace stands for dbg.log */
        files[1] = files[0];
        files[0] = trace;
        nfiles = 2;
    } else if (trace) {
        fprintf(stderr, PROG ": with --trace, expected STATE_DUMP alone, got %d file%s\n", nfiles,
                plural((unsigned)nfiles));
        usage(stderr);
        return EXIT_ERROR;
    }
    if (nfiles != 2) {
        fprintf(stderr, PROG ": expected DBG_LOG and STATE_DUMP, got %d file%s\n", nfiles,
                plural((unsigned)nfiles));
        usage(stderr);
        return EXIT_ERROR;
    }
    struct history h;
    struct dump d;
    memset(&h, 0, sizeof h);
    memset(&d, 0, sizeof d);
    h.path = files[0];
    h.trace = trace != NULL;
    d.path = files[1];
    int status = h.trace ? load_trace(&h) : load_history(&h);
    if (load_dump(&d, &h) != 0) /* both files are read, so both can be reported */
        status = EXIT_ERROR;
    if (status == 0)
        status = index_dump(&d, &h);
    if (status == 0 && h.last_tick > d.tick) {
        fprintf(stderr, PROG ": %s:%lu: tick %llu is after the run's last tick, %llu (%s:1)\n",
                h.path, h.last_tick_line, (unsigned long long)h.last_tick,
                (unsigned long long)d.tick, d.path);
        status = EXIT_ERROR;
    }
    if (status == 0) {
        struct indexes ix;
        build_indexes(&h, &ix);
        sort_activity(&h);
        struct judge j = { &h, &d, &ix, quiet, true };
        uint64_t lo = d.tick >= quiet ? d.tick - quiet + 1 : 0;
        uint64_t at = h.nactivity ? h.activity[h.nactivity - 1] : 0; /* the last activity */
        if (quiet > 0 && h.nactivity > 0 && at >= lo) {
            j.placement = false;
            fprintf(stderr, PROG ": final placement not judged: membership activity at tick "
                    "%llu, within the last %llu ticks of the run (ticks %llu..%llu)\n",
                    (unsigned long long)at, quiet, (unsigned long long)lo,
                    (unsigned long long)d.tick);
        } else if (split_in(&h, d.tick, d.tick, &at)) {
            j.placement = false;
            fprintf(stderr, PROG ": final placement not judged: at the end some live node does "
                    "not list another (views disagree since tick %llu)\n",
                    (unsigned long long)h.split[h.nsplit - 1].from);
        }
        check_final_state(&j);
        check_reads(&j);
        free_indexes(&ix);
        status = report(&h, summary_only);
    } else {
        for (int k = 0; k < NKINDS; k++) /* found while reading; not reported */
            for (unsigned long long i = 0; i < found[k].count && i < MAX_SHOWN; i++)
                free(found[k].shown[i]);
    }
    history_free(&h);
    dump_free(&d);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, PROG ": error writing the report\n");
        return EXIT_ERROR;
    }
    return status;
}
