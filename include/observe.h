/* observe.h: what happens in a run, as events that observers watch (the JSON Lines trace now;
 * a report or a console later). The world (nodes, network, the run's driver) emits; observers
 * change nothing. With no observer attached, emitting is one test of a counter. */
#ifndef OBSERVE_H
#define OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "wire.h"

typedef enum {
    OBS_NODE,       /* a node started, failed, restarted, paused or resumed (what, arg) */
    OBS_MEMBER,     /* node's list changed about member: joined, suspected, refuted, removed */
    OBS_OP,         /* a coordinator issued a client operation */
    OBS_RESULT,     /* a coordinator decided one */
    OBS_SERVE,      /* a replica handled a request */
    OBS_TRANSFER,   /* stabilization: a key's value sent, applied (newer) or acknowledged */
    OBS_REPAIR,     /* anti-entropy sent a key to a replica that was behind */
    OBS_WINDOW,     /* a fault window of the scenario (emitted once, at the start of the run) */
    OBS_VERDICT,    /* an expectation was decided */
    OBS_MESSAGE,    /* a message sent, delivered or lost (only observers that ask for them) */
    OBS_NKINDS
} obs_kind_t;

/* One event. Which fields mean something depends on the kind (README, "Trace"); the others are
 * zero. Strings are borrowed for the call only. */
typedef struct {
    obs_kind_t kind;
    uint32_t tick;
    addr_t node;        /* who: the node, logger, coordinator, replica or sender */
    addr_t peer;        /* the member, transfer target or source, message destination */
    const char *what;   /* OBS_NODE, OBS_MEMBER, OBS_TRANSFER, OBS_MESSAGE: the change */
    uint32_t arg;       /* OBS_NODE pause: ticks; OBS_MEMBER: incarnation; OBS_MESSAGE: bytes */
    bool flag;          /* OBS_NODE start: an added node; restart: data kept; OBS_RESULT,
                         * OBS_SERVE, OBS_VERDICT: ok /
                         * passed; OBS_TRANSFER applied: newer than what was held */
    uint32_t txid;
    kv_op_t op;
    const char *key;
    const char *value;  /* may be NULL */
    kv_version_t version;
    uint32_t latency;   /* OBS_RESULT: ticks from issue to decision */
    const addr_t *asked; /* OBS_OP, OBS_RESULT: the replicas asked; OBS_RESULT: those that
                          * answered */
    size_t nasked;
    const addr_t *answered;
    size_t nanswered;
    const char *text;   /* OBS_WINDOW: its kind; OBS_VERDICT: the expectation's text;
                         * OBS_MESSAGE: the message type */
    uint32_t line;      /* OBS_WINDOW, OBS_VERDICT: line in the testcase file */
    uint32_t until;     /* OBS_WINDOW: first tick after it */
    const char *detail; /* OBS_WINDOW: its parameters; OBS_VERDICT: why */
    const void *data;   /* OBS_MESSAGE: the message's bytes (arg of them) */
} obs_event_t;

typedef struct {
    void (*on_event)(void *ctx, const obs_event_t *ev);
    void *ctx;
    bool messages; /* also wants OBS_MESSAGE events (they dominate the volume) */
} observer_t;

#define OBS_MAX_OBSERVERS 4

/* The observers of a run. Zero-initialised: none. */
typedef struct {
    observer_t obs[OBS_MAX_OBSERVERS];
    uint32_t n;
    uint32_t nmessages; /* observers that want OBS_MESSAGE */
} obs_bus_t;

/* Adds an observer (copied); -1 if OBS_MAX_OBSERVERS are attached already. */
int obs_attach(obs_bus_t *bus, const observer_t *o);

void obs_dispatch(const obs_bus_t *bus, const obs_event_t *ev);

/* Hands ev to every observer; bus may be NULL. Cheap when nobody watches. */
static inline void obs_emit(const obs_bus_t *bus, const obs_event_t *ev)
{
    if (bus && bus->n)
        obs_dispatch(bus, ev);
}

/* Whether anybody watches: for events that cost something to build. */
static inline bool obs_wanted(const obs_bus_t *bus)
{
    return bus && bus->n;
}

/* Whether anybody wants OBS_MESSAGE events (checked before building one). */
static inline bool obs_wants_messages(const obs_bus_t *bus)
{
    return bus && bus->nmessages;
}

#endif
