/* ring.h: consistent hashing. Node and key positions are the first 8 bytes (big-endian) of the
 * SHA-256 digest (OpenSSL EVP) of the address text ("1.0.0.0:0") or of the key's bytes. */
#ifndef RING_H
#define RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define RING_REPLICAS 3

/* Position of arbitrary bytes on the 64-bit ring. */
uint64_t ring_hash(const void *data, size_t len);
/* Position of a node: ring_hash of its address text. */
uint64_t ring_node_position(addr_t a);

/* A memo of node positions shared by every node of a run: a position is a pure function of the
 * address, and each node rebuilds its ring from its own membership list. */
typedef struct ring_poscache ring_poscache_t;
ring_poscache_t *ring_poscache_new(void);
void ring_poscache_free(ring_poscache_t *c);
/* ring_node_position(a), computed once per address; falls back to computing it if memory for
 * the memo runs out. */
uint64_t ring_poscache_get(ring_poscache_t *c, addr_t a);

typedef struct {
    uint64_t pos;
    addr_t addr;
    uint32_t inc; /* the incarnation the view knows the node by (0 if not given) */
} ring_node_t;

/* Nodes sorted by (position, address): equal positions are ordered by address, so every node
 * that sees the same members builds the same ring. */
typedef struct {
    ring_node_t *nodes;
    size_t n, cap;
} ring_t;

void ring_init(ring_t *r);
void ring_free(ring_t *r);
/* Replaces the ring's nodes with the n given addresses (duplicates are kept once). -1 on
 * out-of-memory, leaving the ring empty. cache may be NULL. */
int ring_build(ring_t *r, const addr_t *addrs, size_t n, ring_poscache_t *cache);
/* The same, recording each node's incarnation incs[i] (incs NULL: all 0), so that a view can
 * tell a restarted node (same address, new incarnation) from the one it replaced. */
int ring_build_with(ring_t *r, const addr_t *addrs, const uint32_t *incs, size_t n,
                    ring_poscache_t *cache);
/* The replicas of a key at position `pos`: the first min(n, RING_REPLICAS) distinct nodes
 * clockwise from pos (a node at exactly pos is the first), wrapping around. Returns how many
 * were written to out. */
size_t ring_replicas(const ring_t *r, uint64_t pos, addr_t out[RING_REPLICAS]);
/* The same replicas, as ring nodes (position, address, incarnation). */
size_t ring_replica_nodes(const ring_t *r, uint64_t pos, ring_node_t out[RING_REPLICAS]);
/* Whether node a comes before node b going clockwise from key position pos (a node at exactly
 * pos first; equal positions by address): the order in which every view lists replicas. */
bool ring_closer(uint64_t pos, const ring_node_t *a, const ring_node_t *b);
/* Index of a in r->nodes, or r->n if it is not on the ring; pos must be a's position. */
size_t ring_index(const ring_t *r, addr_t a, uint64_t pos);
/* Whether a is on the ring; pos must be a's position. */
bool ring_contains(const ring_t *r, addr_t a, uint64_t pos);

#endif
