/* journal.h: a durable copy of one node's store, for node processes with --data-dir. An
 * append-only file of records (an item stored, a key forgotten), each checked by a CRC-32; read
 * back in order when the process starts again. A record cut short by a crash (or any record
 * that fails its check, and everything after it) is dropped and the file cut there, never
 * trusted. When the file holds much more than the store, it is rewritten as one record per item
 * (a new file renamed over the old one, so a crash leaves one or the other). */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "wire.h"

typedef struct journal journal_t;

/* One record read back: an item (value "" for a tombstone), or a key forgotten (removed). */
typedef void (*journal_load_fn)(void *ctx, const char *key, const char *value,
                                kv_version_t version, bool deleted, bool removed);

typedef struct {
    uint64_t records;    /* records read back */
    uint64_t torn_bytes; /* bytes dropped at the end: a torn or damaged tail */
} journal_info_t;

/* Opens (creating) the file at path and reads it back through load. NULL with a reason in err
 * if it cannot be read or written. */
journal_t *journal_open(const char *path, journal_load_fn load, void *ctx, journal_info_t *info,
                        char *err, size_t errlen);
void journal_close(journal_t *j);
/* A store_journal_fn: appends the change (ctx is the journal); rewrites the file as a snapshot
 * of s when it has grown past four times what s holds (and 64 KiB). Write errors are counted. */
void journal_record(void *ctx, const store_item_t *applied, const char *removed, size_t klen);
/* The store the snapshot is taken from (set once the store is loaded). */
void journal_watch(journal_t *j, const store_t *s);
uint64_t journal_errors(const journal_t *j);
uint64_t journal_bytes(const journal_t *j);

#endif
