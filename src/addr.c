/* addr.c: the classic text form of a node address.
 * The port prints as a signed 16-bit number, as the classic framework did. */
#include "addr.h"

#include <stdio.h>

char *addr_format(addr_t a, char *buf)
{
    snprintf(buf, ADDR_STRLEN, "%u.%u.%u.%u:%d", (unsigned)(a.id & 0xff),
             (unsigned)((a.id >> 8) & 0xff), (unsigned)((a.id >> 16) & 0xff),
             (unsigned)(a.id >> 24), (int)(int16_t)a.port);
    return buf;
}
