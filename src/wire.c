/* wire.c: explicit little-endian encoding of membership and KV messages.
 * Every length is checked against the buffer before a byte is read. */
#include "wire.h"

#include <string.h>

static int known_member_type(int t)
{
    return t == MSG_JOINREQ || t == MSG_JOINREP || t == MSG_GOSSIP || t == MSG_PING ||
           t == MSG_ACK || t == MSG_PULLREQ;
}

/* Messages that carry exactly one entry, about their sender. */
static int about_sender_only(int t)
{
    return t == MSG_JOINREQ || t == MSG_PING || t == MSG_ACK || t == MSG_PULLREQ;
}

/* The start every message shares: magic, version, type, sender id (4) and port (2). */
static void put_header(uint8_t *buf, msg_type_t type, addr_t from)
{
    buf[0] = WIRE_MAGIC;
    buf[1] = WIRE_VERSION;
    buf[2] = (uint8_t)type;
    wire_put32(buf + 3, from.id);
    wire_put16(buf + 7, from.port);
}

/* The end of a kv or client message: the key and second lengths (the header's last four bytes),
 * then the key and the second part. Returns the message's length. */
static int put_parts(uint8_t *buf, size_t header, const char *key, uint16_t klen,
                     const char *second, uint16_t slen)
{
    wire_put16(buf + header - 4, klen);
    wire_put16(buf + header - 2, slen);
    memcpy(buf + header, key, klen);
    memcpy(buf + header + klen, second, slen);
    return (int)(header + klen + slen);
}

void wire_build_member(wire_builder_t *b, uint8_t *buf, msg_type_t type, addr_t from)
{
    put_header(buf, type, from);
    b->buf = buf;
    b->count = 0;
}

size_t wire_build_end(wire_builder_t *b)
{
    wire_put16(b->buf + 9, b->count);
    return WIRE_HEADER_SIZE + (size_t)b->count * WIRE_ENTRY_SIZE;
}

size_t wire_build_end_digest(wire_builder_t *b, uint16_t nbytes, uint8_t **digest)
{
    size_t len = wire_build_end(b);
    if (nbytes > WIRE_MAX_PULL_DIGEST)
        nbytes = WIRE_MAX_PULL_DIGEST;
    wire_put16(b->buf + len, nbytes);
    memset(b->buf + len + 2, 0, nbytes);
    *digest = b->buf + len + 2;
    return len + 2 + nbytes;
}

int wire_encode_member(const member_msg_t *m, uint8_t *buf, size_t cap)
{
    if (!known_member_type(m->type) || m->count > WIRE_MAX_ENTRIES)
        return WIRE_EINVALID;
    size_t len = WIRE_HEADER_SIZE + (size_t)m->count * WIRE_ENTRY_SIZE;
    if (len > cap)
        return WIRE_ENOSPACE;
    wire_builder_t b;
    wire_build_member(&b, buf, m->type, m->from);
    for (uint16_t i = 0; i < m->count; i++)
        wire_build_entry(&b, m->entries[i].addr, m->entries[i].incarnation,
                         m->entries[i].heartbeat);
    return (int)wire_build_end(&b);
}

int wire_peek_type(const uint8_t *buf, size_t len)
{
    if (len < 3)
        return WIRE_ETRUNCATED;
    if (buf[0] != WIRE_MAGIC || buf[1] != WIRE_VERSION)
        return WIRE_EMAGIC;
    return buf[2];
}

int wire_view_member(const uint8_t *buf, size_t len, wire_view_t *v)
{
    int type = wire_peek_type(buf, len);
    if (type < 0)
        return type;
    if (!known_member_type(type))
        return WIRE_ETYPE;
    if (len < WIRE_HEADER_SIZE)
        return WIRE_ETRUNCATED;
    uint16_t count = wire_get16(buf + 9);
    if (count > WIRE_MAX_ENTRIES)
        return WIRE_EOVERSIZED;
    size_t need = WIRE_HEADER_SIZE + (size_t)count * WIRE_ENTRY_SIZE;
    if (len < need)
        return WIRE_ETRUNCATED;
    v->digest = NULL;
    v->digest_len = 0;
    if (len > need && type == MSG_PULLREQ) {
        if (len < need + 2)
            return WIRE_ETRUNCATED;
        uint16_t dlen = wire_get16(buf + need);
        if (dlen > WIRE_MAX_PULL_DIGEST)
            return WIRE_EOVERSIZED;
        if (len < need + 2 + dlen)
            return WIRE_ETRUNCATED;
        if (len > need + 2 + dlen)
            return WIRE_EOVERSIZED;
        v->digest = buf + need + 2;
        v->digest_len = dlen;
    } else if (len > need) {
        return WIRE_EOVERSIZED;
    }
    v->type = (msg_type_t)type;
    v->from = addr_make(wire_get32(buf + 3), wire_get16(buf + 7));
    v->count = count;
    v->entries = buf + WIRE_HEADER_SIZE;
    if (v->from.id == 0)
        return WIRE_EINVALID;
    for (uint16_t i = 0; i < count; i++)
        if (wire_get32(v->entries + (size_t)i * WIRE_ENTRY_SIZE) == 0)
            return WIRE_EINVALID;
    if (about_sender_only(type) && (count != 1 || !addr_eq(wire_view_addr(v, 0), v->from)))
        return WIRE_EINVALID;
    return WIRE_OK;
}

int wire_decode_member(const uint8_t *buf, size_t len, member_msg_t *out)
{
    wire_view_t v;
    int st = wire_view_member(buf, len, &v);
    if (st != WIRE_OK)
        return st;
    out->type = v.type;
    out->from = v.from;
    out->count = v.count;
    for (uint16_t i = 0; i < v.count; i++)
        out->entries[i] = wire_view_entry(&v, i);
    return WIRE_OK;
}

/* ---- KV messages ---- */

static void put64(uint8_t *p, uint64_t v)
{
    wire_put32(p, (uint32_t)v);
    wire_put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)wire_get32(p) | ((uint64_t)wire_get32(p + 4) << 32);
}

static int known_kv_type(int t)
{
    return t == MSG_KV_REQUEST || t == MSG_KV_REPLY || t == MSG_KV_TRANSFER ||
           t == MSG_KV_TRANSFER_ACK;
}

int wire_kv_text_ok(const char *s, size_t len, int is_key)
{
    if (is_key ? (len == 0 || len > KV_MAX_KEY) : len > KV_MAX_VALUE)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

/* The rules both ends hold a KV message to, beyond its framing. */
static int kv_fields_ok(const kv_msg_t *m)
{
    int has_op = m->type == MSG_KV_REQUEST || m->type == MSG_KV_REPLY;
    if (has_op ? (m->op < KV_CREATE || m->op > KV_DELETE) : m->op != 0)
        return 0;
    if (m->flags & ~KV_FLAGS_KNOWN)
        return 0;
    if (m->type == MSG_KV_TRANSFER_ACK && m->vlen != 0)
        return 0;
    return m->from.id != 0 && wire_kv_text_ok(m->key, m->klen, 1) &&
           wire_kv_text_ok(m->value, m->vlen, 0);
}

/* A message of a fixed header ending in a key length and a second length, followed by the key
 * and the second part: exactly that long, neither part over its maximum. */
static int check_lengths(const uint8_t *buf, size_t len, size_t header, size_t max_second,
                         uint16_t *klen, uint16_t *second)
{
    if (len < header)
        return WIRE_ETRUNCATED;
    *klen = wire_get16(buf + header - 4);
    *second = wire_get16(buf + header - 2);
    if (*klen > KV_MAX_KEY || *second > max_second)
        return WIRE_EOVERSIZED;
    size_t need = header + (size_t)*klen + *second;
    if (len < need)
        return WIRE_ETRUNCATED;
    return len > need ? WIRE_EOVERSIZED : WIRE_OK;
}

int wire_encode_kv(const kv_msg_t *m, uint8_t *buf, size_t cap)
{
    if (!known_kv_type(m->type) || !kv_fields_ok(m))
        return WIRE_EINVALID;
    size_t len = WIRE_KV_HEADER_SIZE + (size_t)m->klen + m->vlen;
    if (len > cap)
        return WIRE_ENOSPACE;
    put_header(buf, m->type, m->from);
    wire_put32(buf + 9, m->txid);
    buf[13] = (uint8_t)m->op;
    buf[14] = m->flags;
    put64(buf + 15, m->version.stamp);
    wire_put32(buf + 23, m->version.node);
    return put_parts(buf, WIRE_KV_HEADER_SIZE, m->key, m->klen, m->value, m->vlen);
}

int wire_decode_kv(const uint8_t *buf, size_t len, kv_msg_t *out)
{
    int type = wire_peek_type(buf, len);
    if (type < 0)
        return type;
    if (!known_kv_type(type))
        return WIRE_ETYPE;
    uint16_t klen, vlen;
    int st = check_lengths(buf, len, WIRE_KV_HEADER_SIZE, KV_MAX_VALUE, &klen, &vlen);
    if (st != WIRE_OK)
        return st;
    out->type = (msg_type_t)type;
    out->from = addr_make(wire_get32(buf + 3), wire_get16(buf + 7));
    out->txid = wire_get32(buf + 9);
    out->op = (kv_op_t)buf[13];
    out->flags = buf[14];
    out->version.stamp = get64(buf + 15);
    out->version.node = wire_get32(buf + 23);
    out->klen = klen;
    out->vlen = vlen;
    memcpy(out->key, buf + WIRE_KV_HEADER_SIZE, klen);
    out->key[klen] = '\0';
    memcpy(out->value, buf + WIRE_KV_HEADER_SIZE + klen, vlen);
    out->value[vlen] = '\0';
    return kv_fields_ok(out) ? WIRE_OK : WIRE_EINVALID;
}

/* ---- client messages ---- */

/* A request names a known command, with a key where it needs one (every command but stats and
 * members) and a value for create and update (a kv value: no spaces); a reply's text is
 * printable ASCII. */
static int client_fields_ok(const client_msg_t *m)
{
    if (m->cmd < CLIENT_CREATE || m->cmd > CLIENT_WHERE || m->klen > KV_MAX_KEY ||
        m->tlen > WIRE_CLIENT_MAX_TEXT || m->status > CLIENT_EBAD)
        return 0;
    bool keyed = m->cmd != CLIENT_STATS && m->cmd != CLIENT_MEMBERS;
    if (m->type == MSG_CLIENT_REQUEST) {
        bool valued = m->cmd == CLIENT_CREATE || m->cmd == CLIENT_UPDATE;
        if ((keyed ? !wire_kv_text_ok(m->key, m->klen, 1) : m->klen != 0) ||
            (valued ? m->tlen > KV_MAX_VALUE || !wire_kv_text_ok(m->text, m->tlen, 0)
                    : m->tlen != 0))
            return 0;
        return 1;
    }
    if (m->klen && !wire_kv_text_ok(m->key, m->klen, 1))
        return 0;
    for (size_t i = 0; i < m->tlen; i++)
        if (m->text[i] < 0x20 || m->text[i] > 0x7e)
            return 0;
    return 1;
}

int wire_encode_client(const client_msg_t *m, uint8_t *buf, size_t cap)
{
    if ((m->type != MSG_CLIENT_REQUEST && m->type != MSG_CLIENT_REPLY) || !client_fields_ok(m))
        return WIRE_EINVALID;
    size_t len = WIRE_CLIENT_HEADER_SIZE + (size_t)m->klen + m->tlen;
    if (len > cap)
        return WIRE_ENOSPACE;
    put_header(buf, m->type, m->from);
    wire_put32(buf + 9, m->reqid);
    buf[13] = m->cmd;
    buf[14] = m->status;
    return put_parts(buf, WIRE_CLIENT_HEADER_SIZE, m->key, m->klen, m->text, m->tlen);
}

int wire_decode_client(const uint8_t *buf, size_t len, client_msg_t *out)
{
    int type = wire_peek_type(buf, len);
    if (type < 0)
        return type;
    if (type != MSG_CLIENT_REQUEST && type != MSG_CLIENT_REPLY)
        return WIRE_ETYPE;
    uint16_t klen, tlen;
    int st = check_lengths(buf, len, WIRE_CLIENT_HEADER_SIZE, WIRE_CLIENT_MAX_TEXT, &klen, &tlen);
    if (st != WIRE_OK)
        return st;
    out->type = (msg_type_t)type;
    out->from = addr_make(wire_get32(buf + 3), wire_get16(buf + 7));
    out->reqid = wire_get32(buf + 9);
    out->cmd = buf[13];
    out->status = buf[14];
    out->klen = klen;
    out->tlen = tlen;
    memcpy(out->key, buf + WIRE_CLIENT_HEADER_SIZE, klen);
    out->key[klen] = '\0';
    memcpy(out->text, buf + WIRE_CLIENT_HEADER_SIZE + klen, tlen);
    out->text[tlen] = '\0';
    return client_fields_ok(out) ? WIRE_OK : WIRE_EINVALID;
}

/* ---- digests ---- */

size_t wire_digest_begin(uint8_t *buf, addr_t from)
{
    return wire_digest_begin_as(buf, MSG_KV_DIGEST, from, 0);
}

size_t wire_digest_begin_as(uint8_t *buf, msg_type_t type, addr_t from, uint32_t tag)
{
    put_header(buf, type, from);
    wire_put16(buf + 9, 0);
    wire_put32(buf + 11, tag);
    return WIRE_DIGEST_HEADER_SIZE;
}

uint32_t wire_digest_tag(const uint8_t *buf)
{
    return wire_get32(buf + 11);
}

int wire_digest_add(uint8_t *buf, size_t cap, size_t *len, const kv_digest_entry_t *e)
{
    uint16_t count = wire_get16(buf + 9);
    size_t need = 1 + (size_t)e->klen + 13;
    if (count >= WIRE_DIGEST_MAX_ENTRIES || *len + need > cap ||
        !wire_kv_text_ok(e->key, e->klen, 1))
        return -1;
    uint8_t *p = buf + *len;
    p[0] = e->klen;
    memcpy(p + 1, e->key, e->klen);
    p[1 + e->klen] = e->deleted ? KV_FLAG_DELETED : 0;
    put64(p + 2 + e->klen, e->version.stamp);
    wire_put32(p + 10 + e->klen, e->version.node);
    *len += need;
    wire_put16(buf + 9, (uint16_t)(count + 1));
    return 0;
}

int wire_digest_check(const uint8_t *buf, size_t len, addr_t *from)
{
    int type = wire_peek_type(buf, len);
    if (type < 0)
        return type;
    if (type != MSG_KV_DIGEST && type != MSG_KV_OFFER && type != MSG_KV_HAVE)
        return WIRE_ETYPE;
    if (len < WIRE_DIGEST_HEADER_SIZE)
        return WIRE_ETRUNCATED;
    uint16_t count = wire_get16(buf + 9);
    if (count > WIRE_DIGEST_MAX_ENTRIES)
        return WIRE_EOVERSIZED;
    *from = addr_make(wire_get32(buf + 3), wire_get16(buf + 7));
    if (from->id == 0)
        return WIRE_EINVALID;
    size_t pos = WIRE_DIGEST_HEADER_SIZE;
    for (uint16_t i = 0; i < count; i++) {
        if (pos >= len)
            return WIRE_ETRUNCATED;
        size_t klen = buf[pos];
        if (pos + 1 + klen + 13 > len)
            return WIRE_ETRUNCATED;
        if (!wire_kv_text_ok((const char *)buf + pos + 1, klen, 1) ||
            (buf[pos + 1 + klen] & ~KV_FLAG_DELETED))
            return WIRE_EINVALID;
        pos += 1 + klen + 13;
    }
    return pos == len ? count : WIRE_EOVERSIZED;
}

void wire_digest_entry(const uint8_t *buf, size_t *pos, kv_digest_entry_t *e)
{
    const uint8_t *p = buf + *pos;
    e->klen = p[0];
    e->key = (const char *)p + 1;
    e->deleted = (p[1 + e->klen] & KV_FLAG_DELETED) != 0;
    e->version.stamp = get64(p + 2 + e->klen);
    e->version.node = wire_get32(p + 10 + e->klen);
    *pos += 1 + (size_t)e->klen + 13;
}

int kv_version_cmp(kv_version_t a, kv_version_t b)
{
    if (a.stamp != b.stamp)
        return a.stamp < b.stamp ? -1 : 1;
    if (a.node != b.node)
        return a.node < b.node ? -1 : 1;
    return 0;
}

const char *kv_op_name(kv_op_t op)
{
    switch (op) {
    case KV_CREATE: return "create";
    case KV_READ: return "read";
    case KV_UPDATE: return "update";
    case KV_DELETE: return "delete";
    }
    return "?";
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
