/* ring.c: consistent-hash positions from OpenSSL digests, the sorted ring of one node's view,
 * and replica lookup by binary search. */
#include "ring.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

uint64_t ring_hash(const void *data, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen < 8)
        abort(); /* SHA-256 is always available in libcrypto: this cannot be a user error */
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | md[i];
    return v;
}

uint64_t ring_node_position(addr_t a)
{
    char text[ADDR_STRLEN];
    addr_format(a, text);
    return ring_hash(text, strlen(text));
}

/* ---- position memo: open addressing on addr_key, at most half full ---- */

typedef struct {
    uint64_t key; /* addr_key + 1; 0 = empty */
    uint64_t pos;
} pos_slot_t;

struct ring_poscache {
    pos_slot_t *slots;
    size_t cap, used;
};

ring_poscache_t *ring_poscache_new(void)
{
    ring_poscache_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cap = 64;
    c->slots = calloc(c->cap, sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return NULL;
    }
    return c;
}

void ring_poscache_free(ring_poscache_t *c)
{
    if (!c)
        return;
    free(c->slots);
    free(c);
}

static size_t slot_of(uint64_t key, size_t cap)
{
    return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static int grow(ring_poscache_t *c)
{
    size_t cap = c->cap * 2;
    pos_slot_t *s = calloc(cap, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < c->cap; i++) {
        if (!c->slots[i].key)
            continue;
        size_t j = slot_of(c->slots[i].key, cap);
        while (s[j].key)
            j = (j + 1) & (cap - 1);
        s[j] = c->slots[i];
    }
    free(c->slots);
    c->slots = s;
    c->cap = cap;
    return 0;
}

uint64_t ring_poscache_get(ring_poscache_t *c, addr_t a)
{
    if (!c)
        return ring_node_position(a);
    uint64_t key = addr_key(a) + 1;
    size_t i = slot_of(key, c->cap);
    while (c->slots[i].key) {
        if (c->slots[i].key == key)
            return c->slots[i].pos;
        i = (i + 1) & (c->cap - 1);
    }
    uint64_t pos = ring_node_position(a);
    if (2 * (c->used + 1) > c->cap) {
        if (grow(c) != 0)
            return pos;
        i = slot_of(key, c->cap);
        while (c->slots[i].key)
            i = (i + 1) & (c->cap - 1);
    }
    c->slots[i] = (pos_slot_t){ key, pos };
    c->used++;
    return pos;
}

/* ---- the ring ---- */

void ring_init(ring_t *r)
{
    memset(r, 0, sizeof *r);
}

void ring_free(ring_t *r)
{
    free(r->nodes);
    ring_init(r);
}

static int node_cmp(const ring_node_t *a, const ring_node_t *b)
{
    if (a->pos != b->pos)
        return a->pos < b->pos ? -1 : 1;
    uint64_t ka = addr_key(a->addr), kb = addr_key(b->addr);
    return ka < kb ? -1 : ka > kb;
}

static int node_qsort_cmp(const void *a, const void *b)
{
    return node_cmp(a, b);
}

/* Sorts v[0..n) by (position, address) into v, using tmp[0..n) as room: two stable passes of
 * RADIX_BITS over the top 2 * RADIX_BITS bits of the position, least significant digit first,
 * then an insertion sort by the whole (position, address), which only moves the few nodes whose
 * positions share those top bits (random 64-bit positions: about n^2 / 2^17 pairs, 8 at 1,000
 * nodes, 760 at 10,000, each a swap or two). A ring of a thousand nodes is rebuilt thousands
 * of times in a run: qsort, with a comparison call per step, took 2.6 times as long as 8
 * passes of 8 bits (perf: 5.5% -> 2.1% of a 1,000-node, 10,000-key run), and those 8 passes
 * 3.4 times as long as these 2 (callgrind, the same run, seed 1: 990 million instructions ->
 * 294 million; 11 bits a pass: 356 million, the larger counts cost more than they save). */
#define RADIX_BITS 8
static void sort_nodes(ring_node_t *v, ring_node_t *tmp, size_t n)
{
    enum { DIGITS = 1 << RADIX_BITS };
    ring_node_t *src = v, *dst = tmp;
    for (unsigned shift = 64 - 2 * RADIX_BITS; shift < 64; shift += RADIX_BITS) {
        uint32_t count[DIGITS + 1];
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++)
            count[((src[i].pos >> shift) & (DIGITS - 1)) + 1]++;
        for (int d = 0; d < DIGITS; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i].pos >> shift) & (DIGITS - 1)]++] = src[i];
        ring_node_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && node_cmp(&v[j - 1], &v[j]) > 0; j--) {
            ring_node_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

int ring_build(ring_t *r, const addr_t *addrs, size_t n, ring_poscache_t *cache)
{
    return ring_build_with(r, addrs, NULL, n, cache);
}

int ring_build_with(ring_t *r, const addr_t *addrs, const uint32_t *incs, size_t n,
                    ring_poscache_t *cache)
{
    if (n > r->cap) {
        ring_node_t *p = realloc(r->nodes, n * sizeof *p);
        if (!p) {
            r->n = 0;
            return -1;
        }
        r->nodes = p;
        r->cap = n;
    }
    for (size_t i = 0; i < n; i++)
        r->nodes[i] = (ring_node_t){ ring_poscache_get(cache, addrs[i]), addrs[i],
                                     incs ? incs[i] : 0 };
    if (n > 64) {
        ring_node_t *tmp = malloc(n * sizeof *tmp);
        if (!tmp) {
            r->n = 0;
            return -1;
        }
        sort_nodes(r->nodes, tmp, n);
        free(tmp);
    } else if (n > 1) {
        qsort(r->nodes, n, sizeof *r->nodes, node_qsort_cmp);
    }
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (out == 0 || node_cmp(&r->nodes[out - 1], &r->nodes[i]) != 0)
            r->nodes[out++] = r->nodes[i];
    r->n = out;
    return 0;
}

/* Index of the first node at or after (pos, key), wrapping to 0 past the end. */
static size_t first_at_or_after(const ring_t *r, uint64_t pos, uint64_t key)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ring_node_t *m = &r->nodes[mid];
        if (m->pos < pos || (m->pos == pos && addr_key(m->addr) < key))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == r->n ? 0 : lo;
}

size_t ring_replica_nodes(const ring_t *r, uint64_t pos, ring_node_t out[RING_REPLICAS])
{
    size_t k = r->n < RING_REPLICAS ? r->n : RING_REPLICAS;
    if (k == 0)
        return 0;
    size_t i = first_at_or_after(r, pos, 0);
    for (size_t j = 0; j < k; j++)
        out[j] = r->nodes[(i + j) % r->n];
    return k;
}

size_t ring_replicas(const ring_t *r, uint64_t pos, addr_t out[RING_REPLICAS])
{
    ring_node_t nodes[RING_REPLICAS];
    size_t k = ring_replica_nodes(r, pos, nodes);
    for (size_t j = 0; j < k; j++)
        out[j] = nodes[j].addr;
    return k;
}

bool ring_closer(uint64_t pos, const ring_node_t *a, const ring_node_t *b)
{
    uint64_t da = a->pos - pos, db = b->pos - pos; /* clockwise distances, modulo 2^64 */
    if (da != db)
        return da < db;
    return addr_key(a->addr) < addr_key(b->addr);
}

size_t ring_index(const ring_t *r, addr_t a, uint64_t pos)
{
    if (r->n == 0)
        return 0;
    size_t i = first_at_or_after(r, pos, addr_key(a));
    return r->nodes[i].pos == pos && addr_eq(r->nodes[i].addr, a) ? i : r->n;
}

bool ring_contains(const ring_t *r, addr_t a, uint64_t pos)
{
    return r->n > 0 && ring_index(r, a, pos) < r->n;
}
