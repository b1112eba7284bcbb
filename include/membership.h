/* membership.h: gossip-style heartbeat membership for one node.
 * Join through an introducer, heartbeat tables, suspicion after T_FAIL, removal T_REMOVE later. */
#ifndef MEMBERSHIP_H
#define MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "addrbook.h"
#include "transport.h"
#include "log.h"
#include "observe.h"
#include "rng.h"

typedef struct {
    uint32_t t_fail;        /* an entry not refreshed for more than t_fail ticks is suspected */
    uint32_t t_remove;      /* and removed t_remove ticks after that */
    uint32_t gossip_period; /* ticks between two gossip rounds of a node */
    uint32_t fanout;        /* random members gossiped to per round */
    uint32_t max_entries;   /* entries per message, own entry included: 2..WIRE_MAX_ENTRIES */
    uint32_t hb_entries;    /* a gossip message carries hb_entries - 1 members taken round
                             * robin (their heartbeats) beside its own entry, news and notices,
                             * within max_entries; 0: max_entries */
    uint32_t join_retry;    /* ticks without an answer before a join request is sent again */
    /* Direct probing, the fast path of failure detection: each node pings its `probes`
     * successors in a fixed pseudo-random order of addresses every tick; a successor whose
     * heartbeat has not advanced for probe_timeout ticks of probing is declared failed, and the
     * news spreads by gossip. 0 probes: timeouts alone detect failures. */
    uint32_t probes;        /* 0..MEMBER_MAX_PROBES */
    uint32_t probe_period;  /* ticks between two pings to a target */
    uint32_t probe_timeout; /* ticks; must exceed a ping's round trip with room for loss */
    /* Every recheck_period ticks a node gossips to one member it removed, picked at random:
     * a member that is alive after all (a healed partition, a false detection) learns of its
     * removal and comes back with a higher incarnation. 0: never. */
    uint32_t recheck_period;
    /* Anti-entropy: at most once per sync_period ticks, a node asks the sender of a message it
     * receives (gossip, a ping or an ack: a member known to be running) for its whole list, as
     * a joiner does.
     * Pushed news can miss a node (its pushes went to members that had failed unnoticed); the
     * pull brings everything the sender knows, tombstones included. 0: never. */
    uint32_t sync_period;
    /* Recent changes: every pull_period ticks a node asks a member drawn from its list (alive,
     * seen running lately, running for the whole window) for the changes that member made to
     * its list in its last pull_window ticks: members it admitted and members it removed on
     * evidence, as learned from news or a sync's reply (not from its join reply). A change
     * pushed news missed is repaired within pull_period + pull_window ticks, at a cost of about
     * pull_window / pull_period entries per change and node, where the whole-list pull would
     * cost the whole list; less, since the request carries a digest of the asker's own window
     * and the answer leaves out what it holds (membership.c, "Pull digests"). 0: never. */
    uint32_t pull_period;
    uint32_t pull_window;
    /* The group size expected (member_default_cfg's n): a node's list is made for this many
     * members at once, so a 10,000-node group's lists hold 10,000 entries and are never copied
     * on the way; they still grow past it if more addresses appear. 0: no hint. */
    uint32_t size_hint;
    /* Pushes of news: a member admitted (or back with a higher incarnation) goes in the node's
     * next join_sends messages, a failure notice in its next notice_sends. A rumour every node
     * pushes s times misses about e^-s of the nodes, and the pulls of recent changes repair
     * those (membership.c, "News"). 0: the small-group rules, 4 and log2 of the live members (at
     * least 12). At most 255. */
    uint32_t join_sends, notice_sends;
    /* Recent failure notices (members removed on evidence within t_fail + t_remove ticks, taken
     * round robin) go in the first recent_msgs messages of a gossip round, 2 in each; 0: in
     * every message. */
    uint32_t recent_msgs;
} member_cfg_t;

#define MEMBER_MAX_PROBES 8

/* What a node needs from the run; all pointers are borrowed and outlive the node. */
typedef struct {
    transport_t *net; /* how messages leave (EmulNet in a simulation) */
    log_t *log;
    rng_t *rng;
    const member_cfg_t *cfg;
    addrbook_t *book; /* numbers addresses; may be shared by the nodes of a process. NULL: the
                       * node keeps a book of its own */
    const obs_bus_t *bus; /* who watches the list change (joined, suspected, refuted, removed);
                           * may be NULL */
} member_env_t;

typedef struct member_node member_node_t;

/* Defaults for an n-node group: timeouts grow with n / (fanout * max_entries), since a
 * bounded message carries only part of the table. Fills *cfg. */
void member_default_cfg(member_cfg_t *cfg, uint32_t n);
/* Sets probe_timeout for messages lost with probability `loss` and delivered after up to
 * `delay` ticks: long enough that a live target goes unheard with odds below 1e-12. */
void member_cfg_for_network(member_cfg_t *cfg, double loss, uint32_t delay);
/* The default t_remove: a suspected member is pinged every probe_period ticks, so a window of
 * probe_timeout + probe_period holds as many pings as a probe (see member_cfg_for_network);
 * but no more than t_fail, so that where loss makes the probe timeout huge (a window that
 * drops every message) the timeouts alone still remove a member, as they always have. */
uint32_t member_suspect_window(const member_cfg_t *cfg);
/* NULL if cfg is inconsistent or memory runs out. */
member_node_t *member_new(addr_t self, const member_env_t *env);
void member_free(member_node_t *m);

/* Starts the node at tick `now` with the given incarnation: the start tick (the application
 * and real nodes pass `now`), which must rise from one life to the next; pulls of recent changes
 * skip members whose incarnation is within the pull window (too young to have logged it). If
 * seeds[0] is the node itself (or there are no seeds) it forms the group; otherwise it sends a
 * join request to seeds[0], and to the next seed, round robin, each time join_retry ticks pass
 * without an answer. */
void member_start(member_node_t *m, const addr_t *seeds, size_t nseeds, uint32_t incarnation,
                  uint32_t now);
/* Handles one received message; malformed bytes are counted and otherwise ignored.
 * Returns WIRE_OK or the decoder's negative status. */
int member_receive(member_node_t *m, const uint8_t *data, size_t len, uint32_t now);
/* Once per tick after the messages: heartbeat, timeouts, gossip, join retries. */
void member_tick(member_node_t *m, uint32_t now);
/* The node was frozen (paused) for the `ticks` ticks before `now` and runs again: for its
 * timers the pause did not happen (every member's last news and every probe are that much
 * younger), so it judges members by what it hears from now on, starting with the messages that
 * waited for it. Call before it handles them. */
void member_resume(member_node_t *m, uint32_t ticks, uint32_t now);

/* The node leaves the group for good (a process told to stop): it sends up to `max` members
 * (in the order of its list) a failure notice about itself carrying its last heartbeat, which
 * they apply and spread like any other: they remove it at once instead of timing it out.
 * Returns how many it told. */
size_t member_leave(member_node_t *m, size_t max, uint32_t now);

bool member_in_group(const member_node_t *m);
/* Changes whenever the list does (a member admitted or removed, or a member's incarnation
 * raised: it restarted): callers that derive state from the list, like the ring, compare it to
 * know when to rebuild. */
uint64_t member_version(const member_node_t *m);
/* Members currently in the list (alive or suspected), self excluded. */
size_t member_count(const member_node_t *m);
/* Copies the members currently in the list (member_count of them, in no particular order) into
 * addrs and their incarnations, as this node knows them, into incarnations (either may be NULL).
 * Returns how many. */
size_t member_list(const member_node_t *m, addr_t *addrs, uint32_t *incarnations);
/* True if a is in the list (alive or suspected). */
bool member_knows(const member_node_t *m, addr_t a);
bool member_suspects(const member_node_t *m, addr_t a);

typedef enum { MEMBER_ALIVE, MEMBER_SUSPECTED, MEMBER_REMOVED } member_state_t;
/* One entry of a node's list, as the node knows it (last_update: the tick its heartbeat last
 * rose here). */
typedef struct {
    addr_t addr;
    uint32_t incarnation, heartbeat, last_update;
    member_state_t state;
} member_entry_t;
/* Calls fn for every entry of the list, removed members (tombstones) included, in the order
 * addresses were first seen by the run. */
void member_each(const member_node_t *m, void (*fn)(void *ctx, const member_entry_t *e),
                 void *ctx);

typedef struct {
    uint64_t joins;     /* join lines logged */
    uint64_t removals;  /* removal lines logged */
    uint64_t malformed; /* received messages the decoder rejected */
    uint64_t merged;    /* entries merged from received messages */
    uint64_t suspected; /* members suspected (no news for t_fail ticks) */
    uint64_t refuted;   /* suspicions ended by a fresh heartbeat (a margin indicator) */
    uint64_t syncs;     /* whole lists asked for by a member (sync_period) */
    uint64_t pulls;     /* recent changes asked for by a member (pull_period) */
    uint64_t pulled;    /* entries sent in answer to those */
    uint64_t pull_known; /* changes left out of answers: the asker's digest holds them */
    /* News (joins, comebacks, failure notices; see membership.c): */
    uint64_t news_items; /* times a member was queued as news (or got its sends topped up) */
    uint64_t news_sent;  /* news entries put in messages */
    uint64_t news_stale; /* items no longer true when their turn came (not sent) */
    uint64_t news_lost;  /* items that could not be queued: out of memory (else always 0) */
    uint32_t news_queue_max; /* the longest the queue was */
    uint32_t news_wait_max;  /* most ticks from queueing an item to its last send */
} member_stats_t;
void member_get_stats(const member_node_t *m, member_stats_t *out);

#endif
