/* store.h: one node's local table of key -> versioned value. Deletions stay as tombstones
 * (a version with no value), so an older copy handed over later can never resurrect a key. */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

typedef struct {
    char *key;   /* NUL-terminated, owned by the store */
    char *value; /* NUL-terminated ("" for a tombstone), owned by the store */
    uint16_t klen, vlen;
    bool deleted;
    kv_version_t version;
    uint64_t pos; /* the key's ring position, kept by the caller's choice */
    uint32_t tag; /* the caller's: 0 for a new item, kept across updates until set again */
} store_item_t;

typedef struct store store_t;

enum { STORE_APPLIED = 1, STORE_STALE = 0, STORE_ENOMEM = -1 };

store_t *store_new(void);
void store_free(store_t *s);
/* The key's item, tombstone included, or NULL. The pointer is valid until the next change. */
const store_item_t *store_get(const store_t *s, const char *key, size_t klen);
/* Stores (value, version, deleted) if the version is newer than the stored one or there is
 * none: STORE_APPLIED; otherwise keeps what it has: STORE_STALE. STORE_ENOMEM if out of memory. */
int store_put(store_t *s, const char *key, size_t klen, const char *value, size_t vlen,
              kv_version_t version, bool deleted, uint64_t pos);
/* Sets the item's tag; false if the key is not there. */
bool store_set_tag(store_t *s, const char *key, size_t klen, uint32_t tag);
/* Forgets the key entirely (the node is no longer a replica); false if it was not there. */
bool store_remove(store_t *s, const char *key, size_t klen);
/* Items, tombstones included, in unspecified order: store_at(s, i) for i < store_size(s).
 * Removing item i moves the last item into slot i. */
size_t store_size(const store_t *s);
const store_item_t *store_at(const store_t *s, size_t i);
/* Items that are not tombstones. */
size_t store_live_count(const store_t *s);

/* Told of every change after it is made: an item stored (applied) or a key forgotten (removed,
 * applied NULL). For a durable copy of the store (real nodes with --data-dir). */
typedef void (*store_journal_fn)(void *ctx, const store_item_t *applied, const char *removed,
                                 size_t klen);
void store_set_journal(store_t *s, store_journal_fn fn, void *ctx);

#endif
