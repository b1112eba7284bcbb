/* real.c: the real driver. One peer (node.c) over a UDP socket (udp.c), the same membership and
 * kv code as in simulation. Time is the wall clock in ticks of tick_ms since 2026-01-01 UTC,
 * the same for every process of a cluster (clocks kept by NTP), so that versions stamped by
 * different coordinators compare, and the dbg.log lines of several nodes merge into one
 * history. Each loop: wait for a datagram or the next tick, hand every datagram waiting to the
 * node, and tick once when the clock has moved (a loop that fell behind skips ticks, as a
 * paused process would). */
#include "real.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvnode.h"
#include "log.h"
#include "membership.h"
#include "node.h"
#include "ring.h"
#include "rng.h"
#include "udp.h"
#include "wire.h"

#define EPOCH_MS 1767225600000ull /* 2026-01-01T00:00:00Z */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint32_t tick_at(uint64_t ms, uint32_t tick_ms)
{
    return ms > EPOCH_MS ? (uint32_t)((ms - EPOCH_MS) / tick_ms) : 0;
}

int real_main(const real_opts_t *o)
{
    char err[256], a[ADDR_STRLEN];
    addr_t self, contact;
    if (udp_parse_addr(o->listen, &self, err, sizeof err) != 0) {
        fprintf(stderr, "Application: --listen: %s\n", err);
        return 2;
    }
    if (o->join && udp_parse_addr(o->join, &contact, err, sizeof err) != 0) {
        fprintf(stderr, "Application: --join: %s\n", err);
        return 2;
    }
    udp_t *u = udp_open(self, err, sizeof err);
    if (!u) {
        fprintf(stderr, "Application: %s\n", err);
        return 1;
    }
    FILE *dbg = fopen(o->log_path, "w");
    if (!dbg) {
        fprintf(stderr, "Application: cannot write %s: %s\n", o->log_path, strerror(errno));
        udp_close(u);
        return 1;
    }
    log_t log;
    log_init(&log, dbg, NULL);
    rng_t rng;
    rng_seed(&rng, o->seed);
    member_cfg_t cfg;
    member_default_cfg(&cfg, 16);
    kv_cfg_t kcfg;
    kv_default_cfg(&kcfg);
    ring_poscache_t *positions = ring_poscache_new();
    uint32_t next_txid = 1;
    member_env_t env = { udp_transport(u), &log, &rng, &cfg, NULL, NULL };
    member_node_t *m = member_new(self, &env);
    kv_env_t kenv = { .net = udp_transport(u), .log = &log, .member = m, .positions = positions,
                      .cfg = &kcfg, .next_txid = &next_txid };
    kv_node_t *kv = m ? kv_new(self, &kenv) : NULL;
    if (!positions || !m || !kv) {
        fprintf(stderr, "Application: out of memory\n");
        kv_free(kv);
        member_free(m);
        ring_poscache_free(positions);
        fclose(dbg);
        udp_close(u);
        return 1;
    }
    node_t peer = { m, kv };
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    uint32_t now = tick_at(wall_ms(), o->tick_ms);
    addr_t seed = o->join ? contact : self;
    member_start(m, &seed, 1, now, now);
    printf("node %s: %s at tick %u (%u ms per tick)\n", addr_format(self, a),
           o->join ? "joining" : "starting the group", (unsigned)now, (unsigned)o->tick_ms);
    fflush(stdout);
    static uint8_t buf[TRANSPORT_MAX_MSG + 1];
    uint64_t unknown = 0;
    uint32_t last = now;
    while (!stop_signal) {
        uint64_t ms = wall_ms();
        now = tick_at(ms, o->tick_ms);
        if (now != last) {
            node_tick(&peer, now);
            last = now;
            fflush(dbg);
        }
        uint64_t next = EPOCH_MS + ((uint64_t)now + 1) * o->tick_ms;
        int wait = next > ms ? (int)(next - ms) : 0;
        struct pollfd p = { .fd = udp_fd(u), .events = POLLIN };
        if (poll(&p, 1, wait) > 0) {
            addr_t from;
            ssize_t n;
            while ((n = udp_recv(u, buf, sizeof buf - 1, &from)) >= 0)
                if (node_receive(&peer, buf, (size_t)n, now) != NODE_OK)
                    unknown++;
        }
    }
    member_stats_t ms;
    member_get_stats(m, &ms);
    kv_stats_t ks;
    kv_get_stats(kv, &ks);
    udp_stats_t us;
    udp_stats(u, &us);
    printf("node %s: stopped at tick %u (signal %d): %llu datagrams received, %llu malformed "
           "(%llu membership, %llu kv, %llu of no known type, %llu too long)\n",
           addr_format(self, a), (unsigned)now, (int)stop_signal,
           (unsigned long long)us.received,
           (unsigned long long)(ms.malformed + ks.malformed + unknown + us.truncated),
           (unsigned long long)ms.malformed, (unsigned long long)ks.malformed,
           (unsigned long long)unknown, (unsigned long long)us.truncated);
    kv_free(kv);
    member_free(m);
    ring_poscache_free(positions);
    int rc = fclose(dbg) != 0 ? 1 : 0;
    udp_close(u);
    return rc;
}
