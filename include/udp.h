/* udp.h: a UDP socket as a transport (transport.h), for nodes that run as real processes.
 * Addresses map one to one: IPv4 a.b.c.d port p is addr_t { a | b<<8 | c<<16 | d<<24, p }, whose
 * classic text form is "a.b.c.d:p" (ports 1..32767: dbg.log prints ports as signed 16-bit). */
#ifndef UDP_H
#define UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "auth.h"
#include "transport.h"

typedef struct udp udp_t;

typedef struct {
    uint64_t received;  /* datagrams read */
    uint64_t truncated; /* longer than the largest message: dropped */
    uint64_t send_errors;
    uint64_t unauthenticated; /* with a key: datagrams whose tag did not verify, dropped */
} udp_stats_t;

/* "a.b.c.d:p" (or "p" alone: 127.0.0.1, the safe default) -> addr; -1 with a reason in err if
 * it is not an IPv4 address and a port from 1 to 32767. */
int udp_parse_addr(const char *text, addr_t *out, char *err, size_t errlen);
/* A socket bound to self, non-blocking; NULL with a reason in err. */
udp_t *udp_open(addr_t self, char *err, size_t errlen);
void udp_close(udp_t *u);
/* From now on every datagram sent carries a tag under key, and one received without the right
 * tag is dropped (copied). */
void udp_set_key(udp_t *u, const auth_key_t *key);
int udp_fd(const udp_t *u);
transport_t *udp_transport(udp_t *u);
/* The next datagram waiting: its length (0 is a valid empty datagram), or -1 if none is. */
ssize_t udp_recv(udp_t *u, uint8_t *buf, size_t cap, addr_t *from);
void udp_stats(const udp_t *u, udp_stats_t *out);

#endif
