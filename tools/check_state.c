/* check_state.c: checks a final-state dump (./Application --dump-state) against the run's
 * dbg.log: node ring positions, and every acknowledged key on exactly its replicas. Reads dump
 * format versions 1 and 2; version 2 adds tomb lines (deletions a node holds), which are
 * validated like item lines and otherwise count as holding no live value. dbg.log is read
 * through dbglog.c, the checkers' one reader, which checks every line; so are the numbers and
 * addresses of the dump. */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dbglog.h"

#define PROG "check-state"
#define STATE_MAGIC "# kvstate "
#define STATE_VERSION_MIN 1
#define STATE_VERSION 2   /* the newest format read; tomb lines from version 2 on */
#define STATE_HEADER "'" STATE_MAGIC "<1|2> tick=<t> nodes=<n>'"
#define REPLICAS 3
#define MAX_SHOWN 20  /* problems printed before only counting the rest */
#define SHOW_MAX 40   /* bytes of a key or value quoted in a message */
#define SHOW_LEN 170  /* room for SHOW_MAX bytes, each escaped as \xNN, "..." and the NUL */

enum { EXIT_GOOD = 0, EXIT_PROBLEMS = 1, EXIT_ERROR = 2 };

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

/* Strips the line ending (LF, CRLF) and turns NUL bytes into a control character, so a line is
 * one C string and a NUL inside it is reported rather than silently cutting the line. */
static void clean_line(char *line, ssize_t *len)
{
    while (*len > 0 && (line[*len - 1] == '\n' || line[*len - 1] == '\r'))
        line[--*len] = '\0';
    for (ssize_t i = 0; i < *len; i++)
        if (line[i] == '\0')
            line[i] = '\x01';
}


static char errbuf[200];

PRINTF_LIKE(1, 2) static const char *parse_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    return errbuf;
}

/* A key or value of the dump: the bytes up to a blank or the end, copied into *out. */
static const char *parse_token(const char **p, const char *what, char **out)
{
    const char *s = *p;
    while ((unsigned char)*s > ' ' && *s != 0x7f)
        s++;
    if (*s != '\0' && *s != ' ')
        return parse_error("control character in the %s", what);
    if (s == *p)
        return parse_error("empty %s", what);
    *out = xstrndup(*p, (size_t)(s - *p));
    *p = s;
    return NULL;
}

/* ---------------------------------------------------------------- ring positions */

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

/* ---------------------------------------------------------------- string index */

/* An open-addressing index over an array of strings owned by the caller: slot holds the
 * string's position + 1, 0 for an empty slot. */
struct index {
    size_t *slot;
    size_t cap; /* a power of two, at most half full */
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The position of s in names, or SIZE_MAX. */
static size_t index_find(const struct index *ix, char *const *names, const char *s)
{
    if (ix->cap == 0)
        return SIZE_MAX;
    for (size_t i = fnv1a(s) & (ix->cap - 1); ix->slot[i] != 0; i = (i + 1) & (ix->cap - 1))
        if (strcmp(names[ix->slot[i] - 1], s) == 0)
            return ix->slot[i] - 1;
    return SIZE_MAX;
}

static void index_place(struct index *ix, char *const *names, size_t pos)
{
    size_t i = fnv1a(names[pos]) & (ix->cap - 1);
    while (ix->slot[i] != 0)
        i = (i + 1) & (ix->cap - 1);
    ix->slot[i] = pos + 1;
}

/* Adds names[pos] (not yet in the index); n is the number of names now, pos included. */
static void index_add(struct index *ix, char *const *names, size_t pos, size_t n)
{
    if (2 * n > ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 64;
        while (2 * n > cap)
            cap *= 2;
        free(ix->slot);
        ix->slot = xrealloc(NULL, cap, sizeof *ix->slot);
        memset(ix->slot, 0, cap * sizeof *ix->slot);
        ix->cap = cap;
        for (size_t i = 0; i < n; i++)
            if (i != pos)
                index_place(ix, names, i);
    }
    index_place(ix, names, pos);
}

/* A set of strings: names and their index. */
struct strset {
    char **names;
    size_t n, cap;
    struct index ix;
};

/* The position of s, adding a copy of it if it is new. */
static size_t strset_add(struct strset *set, const char *s, bool *added)
{
    size_t pos = index_find(&set->ix, set->names, s);
    if (added != NULL)
        *added = pos == SIZE_MAX;
    if (pos != SIZE_MAX)
        return pos;
    set->names = grow(set->names, set->n, &set->cap, sizeof *set->names);
    set->names[set->n] = xstrndup(s, strlen(s));
    pos = set->n++;
    index_add(&set->ix, set->names, pos, set->n);
    return pos;
}

static void strset_free(struct strset *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->names[i]);
    free(set->names);
    free(set->ix.slot);
    memset(set, 0, sizeof *set);
}

/* ---------------------------------------------------------------- the log's view */

enum ack { ACK_NONE, ACK_WRITTEN, ACK_DELETED };

/* What dbg.log says about one key; keys[i] of struct logview. */
struct keyrec {
    enum ack ack;           /* the last acknowledged operation on the key */
    char *value;            /* ACK_WRITTEN: the value of the last acknowledged write */
    unsigned long ack_line; /* the coordinator line of the last acknowledged operation */
    unsigned long first_line;
    size_t held;            /* copies in the dump, on live nodes */
};

struct logview {
    const char *path;
    struct strset keys;     /* every key a KV line names */
    struct keyrec *recs;    /* recs[i] is about keys.names[i] */
    size_t rcap;
    struct strset written;  /* "key\nvalue" for every value a CREATE / UPDATE line requests */
};


/* A coordinator's create or update success is the write it acknowledged: without its value the
 * line cannot say what the key holds. NULL, or what is wrong. */
static const char *check_ack(const struct dbglog_line *l)
{
    if (l->kind == DBGLOG_RESULT && l->coordinator && l->success && l->value == NULL &&
        (l->op == DBGLOG_CREATE || l->op == DBGLOG_UPDATE))
        return parse_error("a coordinator %s success line needs its ', value=<v>'",
                           dbglog_op_name(l->op));
    return NULL;
}

/* Records what one OPERATION or result line says about its key. */
static void logview_add(struct logview *lv, const struct dbglog_line *l)
{
    bool added;
    size_t k = strset_add(&lv->keys, l->key, &added);
    if (added) {
        lv->recs = grow(lv->recs, k, &lv->rcap, sizeof *lv->recs);
        memset(&lv->recs[k], 0, sizeof lv->recs[k]);
        lv->recs[k].first_line = l->lineno;
    }
    struct keyrec *r = &lv->recs[k];
    bool op = l->kind == DBGLOG_OPERATION;
    if (op && (l->op == DBGLOG_CREATE || l->op == DBGLOG_UPDATE) && l->value != NULL) {
        size_t len = strlen(l->key) + 1 + strlen(l->value);
        char *pair = xrealloc(NULL, len + 1, 1);
        snprintf(pair, len + 1, "%s\n%s", l->key, l->value);
        strset_add(&lv->written, pair, NULL);
        free(pair);
    }
    if (op || !l->coordinator || !l->success || l->op == DBGLOG_READ)
        return;
    free(r->value);
    r->value = NULL;
    r->ack_line = l->lineno;
    if (l->op == DBGLOG_DELETE) {
        r->ack = ACK_DELETED;
    } else {
        r->ack = ACK_WRITTEN;
        r->value = xstrndup(l->value, strlen(l->value));
    }
}

static bool was_written(const struct logview *lv, const char *key, const char *value)
{
    size_t len = strlen(key) + 1 + strlen(value);
    char *pair = xrealloc(NULL, len + 1, 1);
    snprintf(pair, len + 1, "%s\n%s", key, value);
    bool found = index_find(&lv->written.ix, lv->written.names, pair) != SIZE_MAX;
    free(pair);
    return found;
}

static void logview_free(struct logview *lv)
{
    for (size_t i = 0; i < lv->keys.n; i++)
        free(lv->recs[i].value);
    free(lv->recs);
    strset_free(&lv->keys);
    strset_free(&lv->written);
}

/* Opens path for reading; NULL after saying why. */
static FILE *open_input(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fprintf(stderr, PROG ": cannot open %s: %s\n", path, strerror(errno));
    return f;
}

/* Closes f; EXIT_ERROR after saying why if reading it failed, else status. */
static int close_input(FILE *f, const char *path, unsigned long lineno, int status)
{
    int read_errno = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (read_errno != 0) {
        fprintf(stderr, PROG ": %s:%lu: read error: %s\n", path, lineno + 1,
                strerror(read_errno));
        return EXIT_ERROR;
    }
    return status;
}

/* Reads every OPERATION and result line of the log into lv; 0, or EXIT_ERROR after saying why. */
static int load_log(struct logview *lv)
{
    struct dbglog log;
    char err[DBGLOG_ERR_LEN];
    if (dbglog_open(lv->path, 0, &log, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return EXIT_ERROR;
    }
    dbglog_note_headerless(&log, PROG);
    dbglog_only(&log, DBGLOG_BIT(DBGLOG_OPERATION) | DBGLOG_BIT(DBGLOG_RESULT));
    struct dbglog_line l;
    int got;
    const char *bad = NULL;
    while (bad == NULL && (got = dbglog_next(&log, &l)) == 1)
        if ((bad = check_ack(&l)) == NULL)
            logview_add(lv, &l);
    if (bad != NULL)
        fprintf(stderr, PROG ": %s:%lu: %s\n", lv->path, l.lineno, bad);
    else if (got < 0)
        fprintf(stderr, PROG ": %s\n", dbglog_error(&log));
    dbglog_close(&log);
    return bad != NULL || got < 0 ? EXIT_ERROR : 0;
}

/* ---------------------------------------------------------------- the dump */

struct node {
    struct dbglog_addr addr;
    char text[DBGLOG_ADDR_LEN];
    uint64_t listed;   /* the position the dump gives */
    uint64_t pos;      /* the position SHA-256 gives */
    unsigned long line;
};

struct item {
    struct dbglog_addr addr;
    size_t node;       /* index in state.nodes, SIZE_MAX if no node line names it */
    char *key, *value; /* value NULL for a tombstone */
    bool tomb;         /* a tomb line: the node holds a deletion, no live value */
    uint64_t stamp;
    uint32_t vnode;
    unsigned long line;
};

struct state {
    const char *path;
    unsigned long long version; /* of the dump's format */
    unsigned long header_nodes;
    struct node *nodes;
    size_t nnodes, ncap;
    struct item *items;
    size_t nitems, icap;
    size_t *ring;      /* node indices sorted by (pos, address), duplicates left out */
    size_t nring;
};

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

/* "# kvstate <1|2> tick=<t> nodes=<n>" */
static const char *parse_header(const char *line, struct state *st)
{
    const char *p = line;
    unsigned long long v;
    if (!starts_with(p, STATE_MAGIC))
        return "missing header line " STATE_HEADER;
    p += strlen(STATE_MAGIC);
    if (!dbglog_parse_num(&p, 20, UINT64_MAX, false, &v) || (*p != ' ' && *p != '\0'))
        return "unparsable format version in the header";
    if (v < STATE_VERSION_MIN || v > STATE_VERSION)
        return parse_error("format version %llu, this tool reads versions %d and %d", v,
                           STATE_VERSION_MIN, STATE_VERSION);
    st->version = v;
    if (!starts_with(p, " tick="))
        return "expected ' tick=<t>' after the version in the header";
    p += strlen(" tick=");
    if (!dbglog_parse_num(&p, 20, UINT64_MAX, false, &v))
        return "unparsable tick in the header";
    if (!starts_with(p, " nodes="))
        return "expected ' nodes=<n>' after the tick in the header";
    p += strlen(" nodes=");
    if (!dbglog_parse_num(&p, 10, 4294967295ULL, false, &v))
        return "unparsable node count in the header";
    st->header_nodes = (unsigned long)v;
    return *p == '\0' ? NULL : "unexpected text after the node count in the header";
}

/* "node <addr> <16 hex digits>" */
static const char *parse_node(const char *line, struct state *st, unsigned long lineno)
{
    const char *p = line + strlen("node ");
    struct node nd;
    memset(&nd, 0, sizeof nd);
    if (!dbglog_parse_addr(&p, true, &nd.addr))
        return "node line: expected an address like 1.0.0.0:0 (no leading zeros) after 'node '";
    if (*p++ != ' ')
        return "node line: expected one space and the position after the address";
    if (!parse_hex64(&p, &nd.listed))
        return "node line: the position must be 16 hex digits";
    if (*p != '\0')
        return "node line: unexpected text after the position";
    dbglog_addr_text(nd.addr, nd.text);
    nd.pos = ring_hash(nd.text, strlen(nd.text));
    nd.line = lineno;
    st->nodes = grow(st->nodes, st->nnodes, &st->ncap, sizeof *st->nodes);
    st->nodes[st->nnodes++] = nd;
    return NULL;
}

/* "item <addr> <key> <value> <stamp>.<node>", or (tomb) "tomb <addr> <key> <stamp>.<node>" */
static const char *parse_item(const char *line, bool tomb, struct state *st,
                              unsigned long lineno)
{
    const char *what = tomb ? "tomb" : "item";
    const char *p = line + strlen("item "); /* as long as "tomb " */
    struct item it;
    memset(&it, 0, sizeof it);
    it.tomb = tomb;
    unsigned long long v = 0;
    const char *err = NULL;
    if (!dbglog_parse_addr(&p, true, &it.addr))
        err = parse_error("%s line: expected an address like 1.0.0.0:0 (no leading zeros) "
                          "after '%s '", what, what);
    else if (*p++ != ' ')
        err = parse_error("%s line: expected one space and the key after the address", what);
    else if ((err = parse_token(&p, "key", &it.key)) != NULL)
        ;
    else if (!tomb && *p++ != ' ')
        err = "item line: expected one space and the value after the key";
    else if (!tomb && (err = parse_token(&p, "value", &it.value)) != NULL)
        ;
    else if (*p++ != ' ')
        err = parse_error("%s line: expected one space and the version <stamp>.<node> after "
                          "the %s", what, tomb ? "key" : "value");
    else if (!dbglog_parse_num(&p, 20, UINT64_MAX, false, &v) || *p++ != '.')
        err = parse_error("%s line: the version must be <stamp>.<node>, two whole numbers", what);
    else if ((it.stamp = v, !dbglog_parse_num(&p, 10, UINT32_MAX, false, &v)))
        err = parse_error("%s line: the version must be <stamp>.<node>, two whole numbers", what);
    else if (*p != '\0')
        err = parse_error("%s line: unexpected text after the version", what);
    if (err != NULL) {
        free(it.key);
        free(it.value);
        return err;
    }
    it.vnode = (uint32_t)v;
    it.line = lineno;
    it.node = SIZE_MAX;
    st->items = grow(st->items, st->nitems, &st->icap, sizeof *st->items);
    st->items[st->nitems++] = it;
    return NULL;
}

static int load_state(struct state *st)
{
    FILE *f = open_input(st->path);
    if (f == NULL)
        return EXIT_ERROR;
    char *buf = NULL;
    size_t bufcap = 0;
    unsigned long lineno = 0;
    const char *err = NULL;
    ssize_t len;
    errno = 0;
    while (err == NULL && (len = getline(&buf, &bufcap, f)) != -1) {
        lineno++;
        clean_line(buf, &len);
        if (lineno == 1)
            err = parse_header(buf, st);
        else if (starts_with(buf, "node "))
            err = parse_node(buf, st, lineno);
        else if (starts_with(buf, "item "))
            err = parse_item(buf, false, st, lineno);
        else if (starts_with(buf, "tomb ") && st->version >= 2)
            err = parse_item(buf, true, st, lineno);
        else if (starts_with(buf, "tomb "))
            err = "tomb line in a version 1 dump (tombstones are listed from version 2 on)";
        else if (st->version >= 2)
            err = "expected a 'node <addr> <position>', 'item <addr> <key> <value> "
                  "<stamp>.<node>' or 'tomb <addr> <key> <stamp>.<node>' line";
        else
            err = "expected a 'node <addr> <position>' or 'item <addr> <key> <value> "
                  "<stamp>.<node>' line";
    }
    free(buf);
    if (err == NULL && lineno == 0 && !ferror(f))
        err = "empty file (expected header line " STATE_HEADER ")";
    int status = close_input(f, st->path, lineno, 0);
    if (status == 0 && err != NULL) {
        fprintf(stderr, PROG ": %s:%lu: %s\n", st->path, lineno ? lineno : 1, err);
        status = EXIT_ERROR;
    }
    return status;
}

static void state_free(struct state *st)
{
    for (size_t i = 0; i < st->nitems; i++) {
        free(st->items[i].key);
        free(st->items[i].value);
    }
    free(st->items);
    free(st->nodes);
    free(st->ring);
}

/* ---------------------------------------------------------------- problems */

static unsigned long long nproblems;

PRINTF_LIKE(1, 2) static void problem(const char *fmt, ...)
{
    if (nproblems++ >= MAX_SHOWN)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* ---------------------------------------------------------------- the ring */

static const struct state *sort_state; /* for the qsort comparators */

static int cmp_ring(const void *a, const void *b)
{
    const struct node *x = &sort_state->nodes[*(const size_t *)a];
    const struct node *y = &sort_state->nodes[*(const size_t *)b];
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    uint64_t ox = dbglog_addr_order(x->addr), oy = dbglog_addr_order(y->addr);
    return ox < oy ? -1 : ox > oy;
}

static int cmp_node_addr(const void *a, const void *b)
{
    const struct node *x = &sort_state->nodes[*(const size_t *)a];
    const struct node *y = &sort_state->nodes[*(const size_t *)b];
    uint64_t ox = dbglog_addr_order(x->addr), oy = dbglog_addr_order(y->addr);
    if (ox != oy)
        return ox < oy ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* The node listed for an address (its first line), or SIZE_MAX. by_addr is sorted by address
 * with duplicates removed. */
static size_t find_node(const struct state *st, const size_t *by_addr, size_t n,
                        struct dbglog_addr a)
{
    size_t lo = 0, hi = n;
    uint64_t want = dbglog_addr_order(a);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t o = dbglog_addr_order(st->nodes[by_addr[mid]].addr);
        if (o == want)
            return by_addr[mid];
        if (o < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

/* Checks the node lines (positions, duplicates, the header's count), builds the ring from the
 * listed nodes and attaches every item to its node. */
static void check_nodes(struct state *st)
{
    size_t *by_addr = xrealloc(NULL, st->nnodes, sizeof *by_addr);
    for (size_t i = 0; i < st->nnodes; i++)
        by_addr[i] = i;
    sort_state = st;
    if (st->nnodes > 1)
        qsort(by_addr, st->nnodes, sizeof *by_addr, cmp_node_addr);
    size_t distinct = 0;
    for (size_t i = 0; i < st->nnodes; i++) {
        const struct node *nd = &st->nodes[by_addr[i]];
        if (distinct > 0 && dbglog_addr_order(st->nodes[by_addr[distinct - 1]].addr) ==
                                dbglog_addr_order(nd->addr)) {
            problem("%s:%lu: node %s is listed twice (first at line %lu)", st->path, nd->line,
                    nd->text, st->nodes[by_addr[distinct - 1]].line);
            continue;
        }
        by_addr[distinct++] = by_addr[i];
    }
    for (size_t i = 0; i < st->nnodes; i++) {
        const struct node *nd = &st->nodes[i];
        if (nd->listed != nd->pos)
            problem("%s:%lu: node %s has position %016llx, SHA-256 of its address gives %016llx",
                    st->path, nd->line, nd->text, (unsigned long long)nd->listed,
                    (unsigned long long)nd->pos);
    }
    if (st->header_nodes != distinct)
        problem("%s:1: the header says nodes=%lu but %zu node%s listed", st->path,
                st->header_nodes, distinct, distinct == 1 ? " is" : "s are");
    st->ring = xrealloc(NULL, distinct, sizeof *st->ring);
    memcpy(st->ring, by_addr, distinct * sizeof *st->ring);
    st->nring = distinct;
    if (distinct > 1)
        qsort(st->ring, distinct, sizeof *st->ring, cmp_ring);
    char a[DBGLOG_ADDR_LEN];
    for (size_t i = 0; i < st->nitems; i++) {
        struct item *it = &st->items[i];
        it->node = find_node(st, by_addr, distinct, it->addr);
        if (it->node == SIZE_MAX)
            problem("%s:%lu: %s on %s, which has no node line (not a live node)", st->path,
                    it->line, it->tomb ? "tomb" : "item", dbglog_addr_text(it->addr, a));
    }
    free(by_addr);
}

/* The key's replicas (node indices): the first min(nring, REPLICAS) ring nodes clockwise from
 * its position; returns how many. */
static size_t replicas_of(const struct state *st, const char *key, size_t out[REPLICAS])
{
    size_t k = st->nring < REPLICAS ? st->nring : REPLICAS;
    if (k == 0)
        return 0;
    uint64_t pos = ring_hash(key, strlen(key));
    size_t lo = 0, hi = st->nring;
    while (lo < hi) { /* the first node at or after pos */
        size_t mid = lo + (hi - lo) / 2;
        if (st->nodes[st->ring[mid]].pos < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t j = 0; j < k; j++)
        out[j] = st->ring[(lo + j) % st->nring];
    return k;
}

/* ---------------------------------------------------------------- the keys */

static int cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c != 0)
        return c;
    uint64_t ox = dbglog_addr_order(x->addr), oy = dbglog_addr_order(y->addr);
    if (ox != oy)
        return ox < oy ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static const struct logview *sort_log;

static int cmp_key_index(const void *a, const void *b)
{
    return strcmp(sort_log->keys.names[*(const size_t *)a],
                  sort_log->keys.names[*(const size_t *)b]);
}

struct tally {
    size_t live, deleted, never;  /* keys by their last acknowledged operation */
    size_t never_held;            /* never-acknowledged keys held somewhere */
};

/* Checks that no node holds the key twice; items[0..n) are its copies, sorted by node. */
static void check_duplicates(const struct state *st, const struct item *g, size_t n)
{
    char k[SHOW_LEN];
    for (size_t i = 1; i < n; i++)
        if (g[i].node != SIZE_MAX && g[i].node == g[i - 1].node)
            problem("key %s: node %s holds it twice (%s:%lu and %s:%lu)", show(g[i].key, k),
                    st->nodes[g[i].node].text, st->path, g[i - 1].line, st->path, g[i].line);
}

/* One problem naming the versions of the key's copies (the first few). */
static void report_versions(const struct state *st, const char *key, const struct item *g,
                            size_t n)
{
    enum { SHOWN = 4 };
    size_t cap = SHOWN * (strlen(st->path) + DBGLOG_ADDR_LEN + 100) + 8, used = 0, shown = 0;
    char *text = xrealloc(NULL, cap, 1);
    text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (g[i].node == SIZE_MAX)
            continue;
        if (shown++ == SHOWN) {
            snprintf(text + used, cap - used, ", ...");
            break;
        }
        used += (size_t)snprintf(text + used, cap - used, "%s%llu.%u on %s (%s:%lu)",
                                 used ? ", " : "", (unsigned long long)g[i].stamp,
                                 (unsigned)g[i].vnode, st->nodes[g[i].node].text, st->path,
                                 g[i].line);
        if (used >= cap) /* cannot happen with the room above; never run past the end */
            used = cap - 1;
    }
    problem("key %s: its copies differ in version: %s", key, text);
    free(text);
}

/* Checks that the key's copies (on live nodes) are on exactly its replicas and agree on the
 * version. */
static void check_placement(const struct state *st, const char *name, const struct item *g,
                            size_t n, const char *why)
{
    size_t rep[REPLICAS];
    size_t k = replicas_of(st, name, rep);
    char key[SHOW_LEN], list[REPLICAS * (DBGLOG_ADDR_LEN + 2)] = "";
    show(name, key);
    if (k == 0)
        problem("key %s: no node is listed, so none holds it (%s)", key, why);
    for (size_t j = 0; j < k; j++) {
        strcat(list, j ? ", " : "");
        strcat(list, st->nodes[rep[j]].text);
    }
    for (size_t j = 0; j < k; j++) {
        bool held = false;
        for (size_t i = 0; i < n && !held; i++)
            held = g[i].node == rep[j];
        if (!held)
            problem("key %s: missing on replica %s (%s; replicas %s)", key,
                    st->nodes[rep[j]].text, why, list);
    }
    const struct item *first = NULL;
    bool differ = false;
    for (size_t i = 0; i < n; i++) {
        if (g[i].node == SIZE_MAX)
            continue;
        bool replica = false;
        for (size_t j = 0; j < k; j++)
            replica |= g[i].node == rep[j];
        if (!replica)
            problem("key %s: copy on %s (%s:%lu), which is not one of its replicas %s", key,
                    st->nodes[g[i].node].text, st->path, g[i].line, list);
        if (first == NULL)
            first = &g[i];
        else if (g[i].stamp != first->stamp || g[i].vnode != first->vnode)
            differ = true;
    }
    if (differ)
        report_versions(st, key, g, n);
}

/* Checks a key the log names against its copies g[0..n) (sorted by node; n may be 0). */
static void check_logged_key(const struct state *st, const struct logview *lv,
                             const struct keyrec *rec, const char *name, const struct item *g,
                             size_t n, struct tally *t)
{
    char key[SHOW_LEN], v[SHOW_LEN], want[SHOW_LEN];
    size_t whylen = SHOW_LEN + strlen(lv->path) + 100;
    char *why = xrealloc(NULL, whylen, 1);
    size_t held = 0;
    for (size_t i = 0; i < n; i++)
        held += g[i].node != SIZE_MAX;
    show(name, key);
    switch (rec->ack) {
    case ACK_DELETED:
        t->deleted++;
        for (size_t i = 0; i < n; i++)
            if (g[i].node != SIZE_MAX)
                problem("key %s: deleted (%s:%lu) but %s holds it with value %s (%s:%lu)", key,
                        lv->path, rec->ack_line, st->nodes[g[i].node].text,
                        show(g[i].value, v), st->path, g[i].line);
        break;
    case ACK_WRITTEN:
        t->live++;
        show(rec->value, want);
        snprintf(why, whylen, "newest acknowledged value %s, %s:%lu", want, lv->path,
                 rec->ack_line);
        check_placement(st, name, g, n, why);
        for (size_t i = 0; i < n; i++)
            if (g[i].node != SIZE_MAX && strcmp(g[i].value, rec->value) != 0)
                problem("key %s: %s holds value %s (%s:%lu), the newest acknowledged value is "
                        "%s (%s:%lu)", key, st->nodes[g[i].node].text, show(g[i].value, v),
                        st->path, g[i].line, want, lv->path, rec->ack_line);
        break;
    case ACK_NONE:
        t->never++;
        if (held == 0)
            break;
        /* Never acknowledged, so it may be absent; held anyway, it must still sit on exactly
         * its replicas, with one version of a value some request wrote. */
        t->never_held++;
        snprintf(why, whylen, "never acknowledged, but held by other nodes; first named at "
                 "%s:%lu", lv->path, rec->first_line);
        check_placement(st, name, g, n, why);
        for (size_t i = 0; i < n; i++)
            if (g[i].node != SIZE_MAX && !was_written(lv, name, g[i].value))
                problem("key %s: %s holds value %s (%s:%lu), which no CREATE or UPDATE line "
                        "of %s writes to it", key, st->nodes[g[i].node].text,
                        show(g[i].value, v), st->path, g[i].line, lv->path);
        break;
    }
    free(why);
}

/* Checks one key: rec is what the log says (NULL if it never names it), g[0..n) its items and
 * tombs in the dump, sorted by node (n may be 0). A node holds a key once, item or tomb; past
 * that, a tomb is a node holding no live value, so the log's checks see the items alone. */
static void check_key(const struct state *st, const struct logview *lv,
                      const struct keyrec *rec, const char *name, const struct item *g,
                      size_t n, struct tally *t)
{
    char key[SHOW_LEN];
    check_duplicates(st, g, n);
    if (rec != NULL) {
        struct item *live = xrealloc(NULL, n, sizeof *live);
        size_t nlive = 0;
        for (size_t i = 0; i < n; i++)
            if (!g[i].tomb)
                live[nlive++] = g[i];
        check_logged_key(st, lv, rec, name, live, nlive, t);
        free(live);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (g[i].node != SIZE_MAX)
            problem("key %s: %s %s (%s:%lu) but no line of %s names it", show(name, key),
                    g[i].tomb ? "a tomb on" : "held by", st->nodes[g[i].node].text,
                    st->path, g[i].line, lv->path);
}

/* Walks the dump's keys and the log's keys together, in byte order. */
static void check_keys(struct state *st, struct logview *lv, struct tally *t)
{
    if (st->nitems > 1)
        qsort(st->items, st->nitems, sizeof *st->items, cmp_item);
    size_t nkeys = lv->keys.n;
    size_t *order = xrealloc(NULL, nkeys, sizeof *order);
    for (size_t i = 0; i < nkeys; i++)
        order[i] = i;
    sort_log = lv;
    if (nkeys > 1)
        qsort(order, nkeys, sizeof *order, cmp_key_index);
    size_t i = 0, k = 0;
    while (i < st->nitems || k < nkeys) {
        const char *name;
        int c;
        if (i == st->nitems)
            c = 1;
        else if (k == nkeys)
            c = -1;
        else
            c = strcmp(st->items[i].key, lv->keys.names[order[k]]);
        name = c <= 0 ? st->items[i].key : lv->keys.names[order[k]];
        size_t n = 0;
        if (c <= 0)
            while (i + n < st->nitems && strcmp(st->items[i + n].key, name) == 0)
                n++;
        const struct keyrec *rec = c >= 0 ? &lv->recs[order[k]] : NULL;
        check_key(st, lv, rec, name, st->items + i, n, t);
        i += n;
        k += c >= 0;
    }
    free(order);
}

/* ---------------------------------------------------------------- main */

/* Runs every check and prints the problems and the summary; returns the exit status. */
static int report(struct state *st, struct logview *lv)
{
    struct tally t = { 0, 0, 0, 0 };
    check_nodes(st);
    check_keys(st, lv, &t);
    size_t k = st->nring < REPLICAS ? st->nring : REPLICAS;
    if (nproblems > MAX_SHOWN)
        printf("... and %llu more problem%s\n", nproblems - MAX_SHOWN,
               plural(nproblems - MAX_SHOWN));
    printf(PROG ": %zu key%s, %zu node%s: ", t.live, plural(t.live), st->nring,
           plural(st->nring));
    if (nproblems != 0) {
        printf("%llu problem%s\n", nproblems, plural(nproblems));
        return EXIT_PROBLEMS;
    }
    printf("all on exactly their %zu replica%s with the newest value; %zu deleted key%s absent",
           k, plural(k), t.deleted, plural(t.deleted));
    if (t.never > 0 && t.never_held == 0)
        printf("; %zu never-acknowledged key%s absent", t.never, plural(t.never));
    else if (t.never > 0)
        printf("; %zu never-acknowledged key%s, %zu held on exactly %s replicas", t.never,
               plural(t.never), t.never_held, t.never_held == 1 ? "its" : "their");
    putchar('\n');
    return EXIT_GOOD;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " STATE_FILE DBG_LOG\n"
            "Checks a final-state dump (./Application --dump-state STATE_FILE) against the\n"
            "run's dbg.log:\n"
            "  - every node line's ring position is the first 8 bytes of SHA-256 of its address;\n"
            "  - a key whose last acknowledged operation (a coordinator create, update or delete\n"
            "    success line) is a write is held, with that value and one version, by exactly\n"
            "    its 3 replicas on the ring of the listed nodes, and by no other node;\n"
            "  - a key whose last acknowledged operation is a delete is held by no node;\n"
            "  - a key never acknowledged may be absent; if held, it is held like the others;\n"
            "  - no node holds a key twice, and every held key is named in dbg.log.\n"
            "Reads dump format versions 1 and 2. Version 2 also lists tombstones ('tomb <addr>\n"
            "<key> <stamp>.<node>'): checked like items, a tomb counts as holding no value.\n"
            "Prints one line per problem (the first %d, then a count) and a summary line.\n"
            "Exit status: 0 if all is well, 1 if there are problems, 2 for usage errors and\n"
            "unreadable or malformed files.\n",
            MAX_SHOWN);
}

int main(int argc, char **argv)
{
    const char *files[2];
    int nfiles = 0;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && (!strcmp(arg, "-h") || !strcmp(arg, "--help"))) {
            usage(stdout);
            return EXIT_GOOD;
        } else if (!options_done && !strcmp(arg, "--")) {
            options_done = true;
        } else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, PROG ": unknown option '%s'\n", arg);
            usage(stderr);
            return EXIT_ERROR;
        } else if (nfiles == 2) {
            fprintf(stderr, PROG ": too many arguments: '%s' after the two files\n", arg);
            usage(stderr);
            return EXIT_ERROR;
        } else {
            files[nfiles++] = arg;
        }
    }
    if (nfiles != 2) {
        fprintf(stderr, PROG ": expected STATE_FILE and DBG_LOG, got %d file%s\n", nfiles,
                plural((unsigned)nfiles));
        usage(stderr);
        return EXIT_ERROR;
    }
    struct state st;
    struct logview lv;
    memset(&st, 0, sizeof st);
    memset(&lv, 0, sizeof lv);
    st.path = files[0];
    lv.path = files[1];
    int status = load_state(&st);
    if (load_log(&lv) != 0) /* both files are read, so both can be reported */
        status = EXIT_ERROR;
    if (status == 0)
        status = report(&st, &lv);
    state_free(&st);
    logview_free(&lv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, PROG ": error writing the report\n");
        return EXIT_ERROR;
    }
    return status;
}
