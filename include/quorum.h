/* quorum.h: the coordinator's bookkeeping for one client operation: which replicas were asked,
 * who answered what, and when the 2-of-3 quorum is reached or can no longer be. No I/O. */
#ifndef QUORUM_H
#define QUORUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "ring.h"
#include "wire.h"

#define QUORUM 2

typedef enum { Q_PENDING = 0, Q_SUCCESS, Q_FAIL } q_state_t;

/* What quorum_reply made of a reply. */
typedef enum {
    QR_COUNTED = 0,  /* counted; the state may have changed */
    QR_NEWEST = 1,   /* counted, a success carrying the newest version so far */
    QR_DUPLICATE,    /* this replica already answered: ignored */
    QR_STRANGER,     /* not one of the replicas asked: ignored */
    QR_LATE,         /* the outcome was already decided: ignored */
} q_reply_t;

typedef struct {
    addr_t replicas[RING_REPLICAS];
    uint8_t nreplicas;
    uint8_t answered; /* bit i: replicas[i] answered */
    uint8_t ok, failed;
    uint8_t need; /* successes that decide it: QUORUM */
    q_state_t state;
    uint32_t deadline; /* the operation fails if undecided at this tick */
    bool have_newest;
    kv_version_t newest; /* newest version among the successes */
} quorum_t;

/* Starts an operation sent to n replicas (n <= RING_REPLICAS); with fewer than QUORUM
 * replicas it has failed at once. */
void quorum_init(quorum_t *q, const addr_t *replicas, size_t n, uint32_t deadline);
/* Deliberately unsafe, for test builds that prove the checkers catch lost writes: the operation
 * succeeds at `need` successes instead of QUORUM. */
void quorum_weaken(quorum_t *q, uint8_t need);
/* Counts one reply. Success once QUORUM replicas succeeded; failure once too many failed for
 * that to be possible. */
q_reply_t quorum_reply(quorum_t *q, addr_t from, bool ok, kv_version_t version);
/* Fails a pending operation whose deadline has come; true if that happened now. */
bool quorum_expire(quorum_t *q, uint32_t now);

#endif
