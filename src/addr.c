/* addr.c: the classic text form of a node address.
 * The port prints as a signed 16-bit number, as the classic framework did. addr_format uses
 * snprintf; addr_put writes the same bytes by hand for the writers of many lines. */
#include "addr.h"

#include <stdio.h>

char *addr_format(addr_t a, char *buf)
{
    snprintf(buf, ADDR_STRLEN, "%u.%u.%u.%u:%d", (unsigned)(a.id & 0xff),
             (unsigned)((a.id >> 8) & 0xff), (unsigned)((a.id >> 16) & 0xff),
             (unsigned)(a.id >> 24), (int)(int16_t)a.port);
    return buf;
}

char *addr_put_uint(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* One byte of an address in decimal, without a loop (the four of every address in dbg.log). */
static char *put_byte(char *p, unsigned v)
{
    if (v >= 100) {
        *p++ = (char)('0' + v / 100);
        v %= 100;
        *p++ = (char)('0' + v / 10);
    } else if (v >= 10) {
        *p++ = (char)('0' + v / 10);
    }
    *p++ = (char)('0' + v % 10);
    return p;
}

char *addr_put(char *p, addr_t a)
{
    for (int i = 0; i < 4; i++) {
        p = put_byte(p, (a.id >> (8 * i)) & 0xff);
        *p++ = i < 3 ? '.' : ':';
    }
    int16_t port = (int16_t)a.port;
    if (port == 0) {
        *p++ = '0';
        return p;
    }
    if (port < 0)
        *p++ = '-';
    return addr_put_uint(p, port < 0 ? (uint32_t)-(int32_t)port : (uint32_t)port);
}
