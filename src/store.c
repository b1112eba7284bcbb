/* store.c: the local key -> versioned value table: a dense item array found through an
 * open-addressing index on the key's bytes. Newer versions replace older ones, never the reverse. */
#include "store.h"

#include <stdlib.h>
#include <string.h>

struct store {
    store_item_t *items;
    size_t n, cap;
    uint32_t *index; /* item index + 1, 0 = empty; at most half full */
    size_t index_cap;
    size_t live;
    store_journal_fn journal;
    void *journal_ctx;
};

void store_set_journal(store_t *s, store_journal_fn fn, void *ctx)
{
    s->journal = fn;
    s->journal_ctx = ctx;
}

static uint64_t key_hash(const char *key, size_t klen)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < klen; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

store_t *store_new(void)
{
    store_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->index_cap = 16;
    s->index = calloc(s->index_cap, sizeof *s->index);
    if (!s->index) {
        free(s);
        return NULL;
    }
    return s;
}

void store_free(store_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i].key);
    free(s->items);
    free(s->index);
    free(s);
}

/* Slot of the key in the index: where it is, or the empty slot where it would go. */
static size_t find_slot(const store_t *s, const char *key, size_t klen)
{
    size_t mask = s->index_cap - 1;
    for (size_t i = key_hash(key, klen) & mask;; i = (i + 1) & mask) {
        uint32_t v = s->index[i];
        if (v == 0)
            return i;
        const store_item_t *it = &s->items[v - 1];
        if (it->klen == klen && memcmp(it->key, key, klen) == 0)
            return i;
    }
}

const store_item_t *store_get(const store_t *s, const char *key, size_t klen)
{
    uint32_t v = s->index[find_slot(s, key, klen)];
    return v ? &s->items[v - 1] : NULL;
}

static int rehash(store_t *s, size_t cap)
{
    uint32_t *idx = calloc(cap, sizeof *idx);
    if (!idx)
        return -1;
    free(s->index);
    s->index = idx;
    s->index_cap = cap;
    for (size_t i = 0; i < s->n; i++)
        s->index[find_slot(s, s->items[i].key, s->items[i].klen)] = (uint32_t)(i + 1);
    return 0;
}

/* Key and value share one allocation: "key\0value\0". */
static int set_text(store_item_t *it, const char *key, size_t klen, const char *value, size_t vlen)
{
    char *p = malloc(klen + vlen + 2);
    if (!p)
        return -1;
    memcpy(p, key, klen);
    p[klen] = '\0';
    memcpy(p + klen + 1, value, vlen);
    p[klen + 1 + vlen] = '\0';
    free(it->key);
    it->key = p;
    it->value = p + klen + 1;
    it->klen = (uint16_t)klen;
    it->vlen = (uint16_t)vlen;
    return 0;
}

int store_put(store_t *s, const char *key, size_t klen, const char *value, size_t vlen,
              kv_version_t version, bool deleted, uint64_t pos)
{
    if (klen > UINT16_MAX || vlen > UINT16_MAX)
        return STORE_ENOMEM;
    if (deleted)
        vlen = 0;
    size_t slot = find_slot(s, key, klen);
    if (s->index[slot]) {
        store_item_t *it = &s->items[s->index[slot] - 1];
        if (kv_version_cmp(version, it->version) <= 0)
            return STORE_STALE;
        if (set_text(it, key, klen, value, vlen) != 0)
            return STORE_ENOMEM;
        s->live += (size_t)it->deleted - (size_t)deleted;
        it->deleted = deleted;
        it->version = version;
        it->pos = pos;
        if (s->journal)
            s->journal(s->journal_ctx, it, NULL, 0);
        return STORE_APPLIED;
    }
    if (2 * (s->n + 1) > s->index_cap) {
        if (rehash(s, s->index_cap * 2) != 0)
            return STORE_ENOMEM;
        slot = find_slot(s, key, klen);
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        store_item_t *p = realloc(s->items, cap * sizeof *p);
        if (!p)
            return STORE_ENOMEM;
        s->items = p;
        s->cap = cap;
    }
    store_item_t *it = &s->items[s->n];
    memset(it, 0, sizeof *it);
    if (set_text(it, key, klen, value, vlen) != 0)
        return STORE_ENOMEM;
    it->deleted = deleted;
    it->version = version;
    it->pos = pos;
    s->index[slot] = (uint32_t)(++s->n);
    s->live += !deleted;
    if (s->journal)
        s->journal(s->journal_ctx, it, NULL, 0);
    return STORE_APPLIED;
}

bool store_set_tag(store_t *s, const char *key, size_t klen, uint32_t tag)
{
    uint32_t v = s->index[find_slot(s, key, klen)];
    if (!v)
        return false;
    s->items[v - 1].tag = tag;
    return true;
}

/* Empties index slot `hole` and shifts later entries of its probe run back (linear probing
 * deletion), so every remaining key stays reachable from its home slot. */
static void index_delete(store_t *s, size_t hole)
{
    size_t mask = s->index_cap - 1;
    for (size_t j = (hole + 1) & mask; s->index[j]; j = (j + 1) & mask) {
        const store_item_t *it = &s->items[s->index[j] - 1];
        size_t home = key_hash(it->key, it->klen) & mask;
        /* The entry at j may fill the hole unless its home lies cyclically in (hole, j]. */
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            s->index[hole] = s->index[j];
            hole = j;
        }
    }
    s->index[hole] = 0;
}

bool store_remove(store_t *s, const char *key, size_t klen)
{
    size_t slot = find_slot(s, key, klen);
    uint32_t v = s->index[slot];
    if (!v)
        return false;
    size_t i = v - 1;
    index_delete(s, slot);
    s->live -= !s->items[i].deleted;
    free(s->items[i].key);
    if (i != --s->n) { /* the last item moves into slot i of the array */
        s->items[i] = s->items[s->n];
        s->index[find_slot(s, s->items[i].key, s->items[i].klen)] = (uint32_t)(i + 1);
    }
    if (s->journal)
        s->journal(s->journal_ctx, NULL, key, klen);
    return true;
}

size_t store_size(const store_t *s)
{
    return s->n;
}

const store_item_t *store_at(const store_t *s, size_t i)
{
    return &s->items[i];
}

size_t store_live_count(const store_t *s)
{
    return s->live;
}
