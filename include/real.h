/* real.h: the real driver: one node as a process, over UDP, with wall-clock ticks
 * (./Application --node; README, "Real nodes"). */
#ifndef REAL_H
#define REAL_H

#include <stdint.h>

typedef struct {
    const char *listen;   /* ADDRESS:PORT to bind and to be known by */
    const char *join;     /* a member to join through; NULL: this node starts the group */
    const char *log_path; /* dbg.log lines of this node; NULL: dbg.log in data_dir, or here */
    const char *data_dir; /* where the store is kept across restarts; NULL: in memory only */
    const char *key_path; /* the cluster key (--cluster-key); NULL: datagrams unauthenticated */
    uint32_t tick_ms;     /* milliseconds per tick */
    uint32_t size;        /* the group size the protocol's timeouts are set for */
    uint64_t seed;
} real_opts_t;

/* Runs the node until SIGTERM or SIGINT; 0 then, 1 if it cannot start (said on stderr), 2 for
 * a bad address. */
int real_main(const real_opts_t *o);

#endif
