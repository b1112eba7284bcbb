/* node.h: one peer: its membership and its kv node (NULL when the store is off), handed the
 * bytes of each message received and a tick of time. The simulation's tick loop and a real
 * process's loop both drive peers through these two calls; neither looks inside a message. */
#ifndef NODE_H
#define NODE_H

#include <stddef.h>
#include <stdint.h>

#include "kvnode.h"
#include "membership.h"

typedef struct {
    member_node_t *member;
    kv_node_t *kv; /* may be NULL */
} node_t;

enum { NODE_OK = 0, NODE_EUNKNOWN = -1 /* no known message type: counted by the caller */ };

/* Hands one message to the part it is for, by its wire type: NODE_OK (malformed messages of a
 * known type are counted by that part), or NODE_EUNKNOWN. */
int node_receive(const node_t *n, const uint8_t *data, size_t len, uint32_t now);
/* Once per tick, after the tick's messages: membership first, then the kv node. */
void node_tick(const node_t *n, uint32_t now);

#endif
