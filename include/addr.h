/* addr.h: node addresses (a 32-bit id and a port) and their classic text form.
 * id 1 port 0 prints as "1.0.0.0:0": the id's four bytes, little-endian first. */
#ifndef ADDR_H
#define ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t id;
    uint16_t port;
} addr_t;

/* Longest text form: "255.255.255.255:-32768" plus NUL. */
#define ADDR_STRLEN 24

static inline addr_t addr_make(uint32_t id, uint16_t port)
{
    addr_t a = { id, port };
    return a;
}

static inline bool addr_eq(addr_t a, addr_t b)
{
    return a.id == b.id && a.port == b.port;
}

/* A single integer that identifies the address, for hashing and ordering. */
static inline uint64_t addr_key(addr_t a)
{
    return ((uint64_t)a.id << 16) | a.port;
}

/* Writes the classic text form into buf (at least ADDR_STRLEN bytes); returns buf. */
char *addr_format(addr_t a, char *buf);
/* The same text at p, without a terminating NUL (at most ADDR_STRLEN - 1 bytes); returns its
 * end. For writers of many lines (dbg.log, the trace). */
char *addr_put(char *p, addr_t a);
/* The decimal digits of v at p, no NUL; returns their end. */
char *addr_put_uint(char *p, uint64_t v);

#endif
