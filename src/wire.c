/* wire.c: explicit little-endian encoding of membership messages.
 * Every length is checked against the buffer before a byte is read. */
#include "wire.h"

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static int known_member_type(int t)
{
    return t == MSG_JOINREQ || t == MSG_JOINREP || t == MSG_GOSSIP;
}

int wire_encode_member(const member_msg_t *m, uint8_t *buf, size_t cap)
{
    if (!known_member_type(m->type) || m->count > WIRE_MAX_ENTRIES)
        return WIRE_EINVALID;
    size_t len = WIRE_HEADER_SIZE + (size_t)m->count * WIRE_ENTRY_SIZE;
    if (len > cap)
        return WIRE_ENOSPACE;
    buf[0] = WIRE_MAGIC;
    buf[1] = WIRE_VERSION;
    buf[2] = (uint8_t)m->type;
    put32(buf + 3, m->from.id);
    put16(buf + 7, m->from.port);
    put16(buf + 9, m->count);
    uint8_t *p = buf + WIRE_HEADER_SIZE;
    for (uint16_t i = 0; i < m->count; i++, p += WIRE_ENTRY_SIZE) {
        const wire_entry_t *e = &m->entries[i];
        put32(p, e->addr.id);
        put16(p + 4, e->addr.port);
        put32(p + 6, e->incarnation);
        put32(p + 10, e->heartbeat);
    }
    return (int)len;
}

int wire_peek_type(const uint8_t *buf, size_t len)
{
    if (len < 3)
        return WIRE_ETRUNCATED;
    if (buf[0] != WIRE_MAGIC || buf[1] != WIRE_VERSION)
        return WIRE_EMAGIC;
    return buf[2];
}

int wire_decode_member(const uint8_t *buf, size_t len, member_msg_t *out)
{
    int type = wire_peek_type(buf, len);
    if (type < 0)
        return type;
    if (!known_member_type(type))
        return WIRE_ETYPE;
    if (len < WIRE_HEADER_SIZE)
        return WIRE_ETRUNCATED;
    uint16_t count = get16(buf + 9);
    if (count > WIRE_MAX_ENTRIES)
        return WIRE_EOVERSIZED;
    size_t need = WIRE_HEADER_SIZE + (size_t)count * WIRE_ENTRY_SIZE;
    if (len < need)
        return WIRE_ETRUNCATED;
    if (len > need)
        return WIRE_EOVERSIZED;
    out->type = (msg_type_t)type;
    out->from = addr_make(get32(buf + 3), get16(buf + 7));
    out->count = count;
    if (out->from.id == 0)
        return WIRE_EINVALID;
    const uint8_t *p = buf + WIRE_HEADER_SIZE;
    for (uint16_t i = 0; i < count; i++, p += WIRE_ENTRY_SIZE) {
        wire_entry_t *e = &out->entries[i];
        e->addr = addr_make(get32(p), get16(p + 4));
        e->incarnation = get32(p + 6);
        e->heartbeat = get32(p + 10);
        if (e->addr.id == 0)
            return WIRE_EINVALID;
    }
    if (type == MSG_JOINREQ && (count != 1 || !addr_eq(out->entries[0].addr, out->from)))
        return WIRE_EINVALID;
    return WIRE_OK;
}

const char *wire_strerror(int status)
{
    switch (status) {
    case WIRE_OK: return "ok";
    case WIRE_ETRUNCATED: return "truncated message";
    case WIRE_EOVERSIZED: return "oversized message";
    case WIRE_EMAGIC: return "bad magic or version";
    case WIRE_ETYPE: return "unknown message type";
    case WIRE_EINVALID: return "invalid field";
    case WIRE_ENOSPACE: return "buffer too small";
    default: return "unknown wire status";
    }
}
