/* addrbook.c: the address interning table: addresses in an array by number, numbers found through
 * an open-addressing hash on the address (kept at most half full). */
#include "addrbook.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Addresses with port 0 and an id below DIRECT_IDS (every address of the simulator) are found
 * in a direct table by id; others through the hash. */
#define DIRECT_IDS (1u << 22)

struct addrbook {
    addr_t *addrs; /* by number */
    uint32_t n, cap;
    uint32_t *slots; /* number + 1, 0 = empty */
    uint32_t nslots; /* a power of two */
    uint32_t *direct; /* [id]: number + 1 of address id:0, 0 = none */
    uint32_t ndirect;
};

static bool is_direct(addr_t a)
{
    return a.port == 0 && a.id < DIRECT_IDS;
}

static uint32_t slot_of(addr_t a, uint32_t mask)
{
    return (uint32_t)((addr_key(a) * 0x9e3779b97f4a7c15ULL) >> 32) & mask;
}

addrbook_t *addrbook_new(void)
{
    addrbook_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->nslots = 64;
    b->slots = calloc(b->nslots, sizeof *b->slots);
    if (!b->slots) {
        free(b);
        return NULL;
    }
    return b;
}

void addrbook_free(addrbook_t *b)
{
    if (!b)
        return;
    free(b->addrs);
    free(b->slots);
    free(b->direct);
    free(b);
}

uint32_t addrbook_find(const addrbook_t *b, addr_t a)
{
    if (is_direct(a))
        return a.id < b->ndirect && b->direct[a.id] ? b->direct[a.id] - 1 : ADDRBOOK_NONE;
    uint32_t mask = b->nslots - 1;
    for (uint32_t i = slot_of(a, mask);; i = (i + 1) & mask) {
        uint32_t s = b->slots[i];
        if (s == 0)
            return ADDRBOOK_NONE;
        if (addr_eq(b->addrs[s - 1], a))
            return s - 1;
    }
}

static int grow_slots(addrbook_t *b)
{
    uint32_t n = b->nslots * 2, mask = n - 1;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s)
        return -1;
    for (uint32_t k = 0; k < b->n; k++) {
        if (is_direct(b->addrs[k]))
            continue;
        uint32_t i = slot_of(b->addrs[k], mask);
        while (s[i])
            i = (i + 1) & mask;
        s[i] = k + 1;
    }
    free(b->slots);
    b->slots = s;
    b->nslots = n;
    return 0;
}

uint32_t addrbook_intern(addrbook_t *b, addr_t a)
{
    uint32_t found = addrbook_find(b, a);
    if (found != ADDRBOOK_NONE)
        return found;
    if (b->n == ADDRBOOK_NONE - 1)
        return ADDRBOOK_NONE;
    if (is_direct(a) && a.id >= b->ndirect) {
        uint32_t n = b->ndirect ? b->ndirect : 64;
        while (n <= a.id)
            n *= 2;
        uint32_t *d = realloc(b->direct, (size_t)n * sizeof *d);
        if (!d)
            return ADDRBOOK_NONE;
        memset(d + b->ndirect, 0, (size_t)(n - b->ndirect) * sizeof *d);
        b->direct = d;
        b->ndirect = n;
    } else if (!is_direct(a) && 2 * (b->n + 1) > b->nslots && grow_slots(b) != 0) {
        return ADDRBOOK_NONE;
    }
    if (b->n == b->cap) {
        uint32_t cap = b->cap ? b->cap * 2 : 64;
        addr_t *p = realloc(b->addrs, (size_t)cap * sizeof *p);
        if (!p)
            return ADDRBOOK_NONE;
        b->addrs = p;
        b->cap = cap;
    }
    b->addrs[b->n] = a;
    if (is_direct(a)) {
        b->direct[a.id] = ++b->n;
    } else {
        uint32_t mask = b->nslots - 1, i = slot_of(a, mask);
        while (b->slots[i])
            i = (i + 1) & mask;
        b->slots[i] = ++b->n;
    }
    return b->n - 1;
}

addr_t addrbook_addr(const addrbook_t *b, uint32_t i)
{
    return b->addrs[i];
}

uint32_t addrbook_count(const addrbook_t *b)
{
    return b->n;
}
