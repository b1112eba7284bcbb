/* emulnet.h: the emulated network, the only way nodes talk.
 * Messages are byte buffers delivered at a later tick into per-node inboxes, with loss windows. */
#ifndef EMULNET_H
#define EMULNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "observe.h"
#include "rng.h"
#include "transport.h"

typedef struct en_msg {
    struct en_msg *next;
    addr_t src;
    addr_t dst;
    uint32_t sent_tick;
    uint32_t due_tick;
    uint32_t len;
    uint8_t data[];
} en_msg_t;

typedef struct {
    uint64_t sent;          /* send calls accepted from attached nodes */
    uint64_t duplicated;    /* extra copies made by duplicate rules */
    uint64_t dropped;       /* lost by a loss window or a cut link (a partition) */
    uint64_t undeliverable; /* unknown destination, or destination down */
    uint64_t delivered;     /* taken out of an inbox by emulnet_recv */
    uint64_t bytes;         /* payload bytes of sent messages */
} en_stats_t;

typedef struct emulnet emulnet_t;

#define EN_MAX_ID (1u << 24)
/* Per-tick counters exist for ticks below this; later sends and receives are refused. */
#define EN_MAX_TICK (1u << 30)

enum { EN_QUEUED = 0, EN_DROPPED = 1, EN_UNDELIVERABLE = -1 };

emulnet_t *emulnet_new(rng_t *rng);
void emulnet_free(emulnet_t *net);

/* Registers an endpoint; -1 if its id is 0, at or above EN_MAX_ID, or already attached (with
 * any port: endpoints live in an array indexed by id). */
int emulnet_attach(emulnet_t *net, addr_t a);
/* The node stops for good: its inbox is discarded, later messages to it are undeliverable.
 * Sending is not blocked: a node that is down does not run, so it does not send. */
void emulnet_set_down(emulnet_t *net, addr_t a);
/* The node runs again (a restart): messages to it are delivered from now on. */
void emulnet_set_up(emulnet_t *net, addr_t a);
/* Every message sent at a tick in [from, to) is lost with probability p. */
int emulnet_add_loss(emulnet_t *net, uint32_t from, uint32_t to, double p);
/* A rule for the links between two groups of nodes, for messages sent at ticks [from, to).
 * groups[id] has bit 0 set for group A and bit 1 for group B (ids past the array's end are in
 * neither); a rule applies to messages from A to B and from B to A (one_way: from A to B only).
 * groups NULL: every link. What it does to such a message (fields left 0 do nothing):
 *   cut       the message is lost (a partition);
 *   delay     it takes `delay` more ticks (the largest of the rules that apply);
 *   loss      it is lost with this probability;
 *   duplicate with this probability a copy is delivered too, 0 to 3 ticks after it;
 *   reorder   it takes 0 to `reorder` more ticks, at random, so messages overtake each other.
 * The array is copied. */
typedef struct {
    uint32_t from, to;
    bool cut;
    uint32_t delay;
    const uint8_t *groups;
    size_t ngroups;
    bool one_way;
    double loss, duplicate;
    uint32_t reorder;
} en_link_rule_t;
#define EN_DUPLICATE_SPREAD 3 /* a duplicate arrives up to this many ticks after the original */
int emulnet_add_link_rule(emulnet_t *net, const en_link_rule_t *rule);
/* Ticks between send and delivery (>= 1; default 1). */
int emulnet_set_delay(emulnet_t *net, uint32_t ticks);

/* EmulNet as a transport (transport.h) for the nodes it connects: owned by net. */
transport_t *emulnet_transport(emulnet_t *net);

/* Copies the bytes; returns EN_QUEUED, EN_DROPPED or EN_UNDELIVERABLE. O(1). */
int emulnet_send(emulnet_t *net, addr_t src, addr_t dst, const void *data, size_t len,
                 uint32_t now);
/* Moves the messages due at tick `now` into their inboxes. Call once per tick, in order. */
void emulnet_deliver(emulnet_t *net, uint32_t now);
/* Next message in a's inbox (FIFO), or NULL. The message belongs to the network and stays
 * valid until the next emulnet_deliver (or emulnet_free): a caller that keeps it longer copies
 * it. O(1). */
en_msg_t *emulnet_recv(emulnet_t *net, addr_t a, uint32_t now);

/* Observers that want messages (obs_wants_messages) see each one sent ("sent"), copied by a
 * duplicate rule ("duplicated"), lost to a loss window, a lossy link or a partition ("lost"),
 * sent to or due at a node that is down ("undeliverable"), and taken out of an inbox
 * ("delivered"). bus is borrowed; NULL: none. */
void emulnet_set_observers(emulnet_t *net, const obs_bus_t *bus);

void emulnet_stats(const emulnet_t *net, en_stats_t *out);
uint64_t emulnet_sent_by(const emulnet_t *net, addr_t a, uint32_t tick);
uint64_t emulnet_recv_by(const emulnet_t *net, addr_t a, uint32_t tick);
/* msgcount.log: per node, sent and received counts per tick for ticks [0, ticks), then totals. */
void emulnet_write_counts(const emulnet_t *net, FILE *out, uint32_t ticks);

#endif
