/* kvnode.h: the key-value side of one node: coordinator (client operations, 2-of-3 quorum,
 * timeouts), server (its local store, one result line per request), and stabilization (keys
 * follow ring changes so each sits on exactly its 3 current replicas). */
#ifndef KVNODE_H
#define KVNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "transport.h"
#include "log.h"
#include "membership.h"
#include "observe.h"
#include "ring.h"
#include "store.h"
#include "wire.h"

typedef struct {
    uint32_t timeout;        /* ticks a coordinator waits for its quorum before failing */
    uint32_t transfer_retry; /* ticks between resends of an unacknowledged offer or transfer */
    /* A holder that an older view ranks r-th among the key's holders starts handing it over
     * r * handoff_stagger ticks late, so that the first holder's copy has usually arrived and
     * the others' offers are answered "have it" (README, "Stabilization"). */
    uint32_t handoff_stagger;
    /* Anti-entropy: every sync_period ticks a node sends one ring neighbour (within two places,
     * in turn) the versions of the keys they both replicate; whichever holds the newer version
     * of a key sends it. Repairs replicas that missed a write while views disagreed. 0: off. */
    uint32_t sync_period;
    /* Deliberately unsafe behaviour, set only by test builds (make faulty) to show that the
     * history checker and the campaign catch what it breaks. 0 in every real run. */
    unsigned faults;
} kv_cfg_t;

#define KV_FAULT_EARLY_DROP 1u /* a node that is not a replica drops its copy at once */
#define KV_FAULT_QUORUM_ONE 2u /* operations succeed at the first success */
#define KV_FAULT_READ_FIRST 4u /* a read returns the first success, not the newest version */

void kv_default_cfg(kv_cfg_t *cfg);

/* Called once per client operation when the coordinator decides it; value is the value read
 * (reads), the value written (create, update) or NULL; version is the version read (reads) or
 * written (create, update, delete). */
typedef void (*kv_result_fn)(void *ctx, uint32_t txid, kv_op_t op, const char *key, bool ok,
                             const char *value, kv_version_t version, uint32_t now);

/* What a node needs from the run; all pointers are borrowed and outlive the node. */
typedef struct {
    transport_t *net; /* how messages leave */
    log_t *log;
    const member_node_t *member; /* this node's membership: the ring is built from its list */
    ring_poscache_t *positions;  /* may be NULL */
    const kv_cfg_t *cfg;
    uint32_t *next_txid; /* run-wide transaction ids, as a client library would hand out */
    kv_result_fn on_result; /* may be NULL */
    void *result_ctx;
    const obs_bus_t *bus; /* who watches operations, requests served and transfers; may be NULL */
} kv_env_t;

typedef struct kv_node kv_node_t;

kv_node_t *kv_new(addr_t self, const kv_env_t *env);
void kv_free(kv_node_t *n);
/* Crash-recovery: fresh node n (just made by kv_new) takes over the store of `old`, the node's
 * previous life, as a durable disk would keep it; old is left with an empty store. Nothing
 * else carries over (no handoff, no operation, no view): n starts like any new node, holding
 * keys. */
void kv_adopt_store(kv_node_t *n, kv_node_t *old);

/* The node's store, for a durable copy of it (store_set_journal, store_at); the node changes
 * it only through store_put and store_remove. */
store_t *kv_store(kv_node_t *n);
/* Puts a recovered item into the store of a fresh node before it starts (a durable store read
 * back after a restart): like kv_adopt_store, the node then holds it with no handoff pending.
 * STORE_APPLIED, STORE_STALE or STORE_ENOMEM. */
int kv_restore(kv_node_t *n, const char *key, const char *value, kv_version_t version,
               bool deleted);

/* Handles one received KV message; malformed bytes are counted and otherwise ignored.
 * Returns WIRE_OK or the decoder's negative status. */
int kv_receive(kv_node_t *n, const uint8_t *data, size_t len, uint32_t now);
/* Once per tick, after the messages: follows ring changes, resends transfers, times out
 * operations. */
void kv_tick(kv_node_t *n, uint32_t now);

/* Starts a client operation with this node as coordinator and returns its transaction id.
 * key and value must satisfy wire_kv_text_ok; value is ignored for read and delete. */
uint32_t kv_client(kv_node_t *n, kv_op_t op, const char *key, const char *value, uint32_t now);

/* The key's replicas in this node's current view (primary first); returns how many. */
size_t kv_replicas_of(kv_node_t *n, const char *key, addr_t out[RING_REPLICAS], uint32_t now);

/* Writes one line per key this node holds: "item <addr> <key> <value> <stamp>.<node>" for a
 * value, "tomb <addr> <key> <stamp>.<node>" for a deletion (a tombstone). */
void kv_dump(const kv_node_t *n, FILE *out);

/* Calls fn for every live key (not a deletion) this node holds, with its ring position. */
void kv_each_key(const kv_node_t *n, void (*fn)(void *ctx, const char *key, uint64_t pos),
                 void *ctx);

/* What this node holds for the key: false if nothing; otherwise its version, its value ("" for
 * a deletion) and whether it is a deletion. The value pointer is valid until the node changes. */
bool kv_peek(const kv_node_t *n, const char *key, kv_version_t *version, const char **value,
             bool *deleted);

typedef struct {
    uint64_t requests_served; /* server result lines */
    uint64_t ops_ok, ops_failed; /* coordinator result lines */
    uint64_t transfers_sent;  /* key values sent (handoffs, repairs), resends included */
    uint64_t transfers_applied; /* transfers that brought a newer version */
    uint64_t offers_sent;     /* handoff offer messages (each lists up to 64 keys) */
    uint64_t keys_offered;    /* keys listed in offers, resends included */
    uint64_t keys_dropped;    /* copies given up: not a replica, every replica acknowledged */
    uint64_t ignored_replies; /* late, duplicate or unknown replies */
    uint64_t stale_answers;   /* handoff answers from an earlier life of a restarted target */
    uint64_t duplicate_requests; /* copies of a request already served, ignored */
    uint64_t malformed;       /* received messages the decoder rejected */
    uint64_t ring_rebuilds;
    uint64_t digests_sent;    /* anti-entropy digest messages */
    uint64_t repairs_sent;    /* transfers sent because a digest showed a stale replica */
    uint64_t keys;            /* live keys held now */
} kv_stats_t;
void kv_get_stats(const kv_node_t *n, kv_stats_t *out);

#endif
