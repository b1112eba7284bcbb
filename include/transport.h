/* transport.h: how a node's encoded messages leave it. A network fills one table (a function and
 * its context), as EmulNet does in simulation and a UDP socket would for real processes;
 * membership and kv nodes call transport_send and never know which network carries the bytes.
 * The counting happens here, once, so that the counters mean the same in every network. */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* The largest message any network carries: a UDP datagram's payload over IPv4. */
#define TRANSPORT_MAX_MSG 65507

enum { TRANSPORT_OK = 0, TRANSPORT_EFULL = -2 /* longer than TRANSPORT_MAX_MSG: not sent */ };

typedef struct {
    const char *name; /* "emulnet", "udp": for messages */
    /* Sends len bytes from src to dst at tick now; the network's own status (>= -1), which the
     * protocol ignores: a datagram network gives no promise either way. */
    int (*send)(void *ctx, addr_t src, addr_t dst, const void *data, size_t len, uint32_t now);
    void *ctx;
    uint64_t sent, bytes; /* messages handed to the network, and their bytes */
    uint64_t refused;     /* messages too long to send */
} transport_t;

static inline int transport_send(transport_t *t, addr_t src, addr_t dst, const void *data,
                                 size_t len, uint32_t now)
{
    if (len > TRANSPORT_MAX_MSG) {
        t->refused++;
        return TRANSPORT_EFULL;
    }
    t->sent++;
    t->bytes += len;
    return t->send(t->ctx, src, dst, data, len, now);
}

#endif
