/* addrbook.h: an interning table of node addresses: each address met gets a small dense number,
 * so that a membership table is an array indexed by it instead of a hash of its own. The numbers
 * mean nothing on the wire; nodes of one process may share a book (the simulator does: one table
 * in cache instead of one per node), a node in a process of its own has its own. */
#ifndef ADDRBOOK_H
#define ADDRBOOK_H

#include <stdint.h>

#include "addr.h"

#define ADDRBOOK_NONE UINT32_MAX

typedef struct addrbook addrbook_t;

addrbook_t *addrbook_new(void); /* NULL without memory */
void addrbook_free(addrbook_t *b);
/* a's number, or ADDRBOOK_NONE if it was never interned. */
uint32_t addrbook_find(const addrbook_t *b, addr_t a);
/* a's number, given it now if it has none: numbers are 0, 1, 2... in the order addresses come.
 * ADDRBOOK_NONE without memory. */
uint32_t addrbook_intern(addrbook_t *b, addr_t a);
/* The address of number i < addrbook_count(b). */
addr_t addrbook_addr(const addrbook_t *b, uint32_t i);
uint32_t addrbook_count(const addrbook_t *b);

#endif
