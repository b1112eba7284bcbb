/* test_kvwire.c: CUnit suite for the KV message codec (wire_encode_kv / wire_decode_kv):
 * round trips of every type at edge lengths, the byte layout, every truncation, oversize,
 * every invalid-field class on both encode and decode, small output buffers, and a loop over
 * random and mutated buffers checked against an independent validity oracle. */
#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "suites.h"
#include "wire.h"

static uint8_t buf[WIRE_MAX_KV_MSG + 64], buf2[WIRE_MAX_KV_MSG + 64];
static kv_msg_t msg, out;

static const msg_type_t KV_TYPES[] = { MSG_KV_REQUEST, MSG_KV_REPLY, MSG_KV_TRANSFER,
                                       MSG_KV_TRANSFER_ACK };

static bool has_op(msg_type_t t)
{
    return t == MSG_KV_REQUEST || t == MSG_KV_REPLY;
}

/* A valid message of type t with a key of klen and a value of vlen printable bytes (no
 * spaces), all 94 printable characters cycled. */
static void make_kv(kv_msg_t *m, msg_type_t t, kv_op_t op, uint8_t flags, size_t klen,
                    size_t vlen)
{
    memset(m, 0, sizeof *m);
    m->type = t;
    m->from = addr_make(0x04030201u, 0xBEEF);
    m->txid = 0xA1B2C3D4u;
    m->op = has_op(t) ? op : 0;
    m->flags = flags;
    m->version.stamp = 0x1122334455667788ULL;
    m->version.node = 0x99AABBCCu;
    m->klen = (uint16_t)klen;
    m->vlen = (uint16_t)vlen;
    for (size_t i = 0; i < klen; i++)
        m->key[i] = (char)(0x21 + (i * 7) % 94);
    for (size_t i = 0; i < vlen; i++)
        m->value[i] = (char)(0x21 + (i * 13 + 5) % 94);
}

static bool same_kv(const kv_msg_t *a, const kv_msg_t *b)
{
    return a->type == b->type && addr_eq(a->from, b->from) && a->txid == b->txid &&
           a->op == b->op && a->flags == b->flags && a->version.stamp == b->version.stamp &&
           a->version.node == b->version.node && a->klen == b->klen && a->vlen == b->vlen &&
           memcmp(a->key, b->key, a->klen) == 0 && memcmp(a->value, b->value, a->vlen) == 0;
}

/* Encodes m, checks the length, decodes it back and compares; returns the length. */
static int round_trip(const kv_msg_t *m)
{
    int len = wire_encode_kv(m, buf, sizeof buf);
    CU_ASSERT_EQUAL(len, WIRE_KV_HEADER_SIZE + m->klen + m->vlen);
    if (len <= 0)
        return len;
    memset(&out, 0xAB, sizeof out);
    CU_ASSERT_EQUAL(wire_decode_kv(buf, (size_t)len, &out), WIRE_OK);
    CU_ASSERT_TRUE(same_kv(m, &out));
    CU_ASSERT_EQUAL(out.key[out.klen], '\0');
    CU_ASSERT_EQUAL(out.value[out.vlen], '\0');
    CU_ASSERT_EQUAL(strlen(out.key), out.klen);
    CU_ASSERT_EQUAL(strlen(out.value), out.vlen);
    CU_ASSERT_EQUAL(wire_peek_type(buf, (size_t)len), (int)m->type);
    return len;
}

static void test_round_trip_all(void)
{
    const size_t klens[] = { 1, 2, KV_MAX_KEY - 1, KV_MAX_KEY };
    const size_t vlens[] = { 0, 1, KV_MAX_VALUE - 1, KV_MAX_VALUE };
    const uint8_t flag_sets[] = { 0, KV_FLAG_OK, KV_FLAG_DELETED, KV_FLAG_OK | KV_FLAG_DELETED };
    unsigned done = 0;
    for (size_t t = 0; t < 4; t++)
        for (int op = KV_CREATE; op <= KV_DELETE; op++) {
            if (!has_op(KV_TYPES[t]) && op != KV_CREATE)
                continue; /* one pass with op 0 */
            for (size_t f = 0; f < 4; f++)
                for (size_t k = 0; k < 4; k++)
                    for (size_t v = 0; v < 4; v++) {
                        if (KV_TYPES[t] == MSG_KV_TRANSFER_ACK && vlens[v] != 0)
                            continue;
                        make_kv(&msg, KV_TYPES[t], (kv_op_t)op, flag_sets[f], klens[k],
                                vlens[v]);
                        round_trip(&msg);
                        done++;
                    }
        }
    CU_ASSERT(done > 100);
    /* extreme header values */
    make_kv(&msg, MSG_KV_REPLY, KV_DELETE, KV_FLAG_OK, 3, 3);
    msg.from = addr_make(UINT32_MAX, UINT16_MAX);
    msg.txid = UINT32_MAX;
    msg.version.stamp = UINT64_MAX;
    msg.version.node = UINT32_MAX;
    round_trip(&msg);
    make_kv(&msg, MSG_KV_REQUEST, KV_READ, 0, 1, 0);
    msg.from = addr_make(1, 0);
    msg.txid = 0;
    msg.version.stamp = 0;
    msg.version.node = 0;
    round_trip(&msg);
    /* the exact printable range, both ends */
    make_kv(&msg, MSG_KV_TRANSFER, 0, 0, 2, 2);
    memcpy(msg.key, "!~", 2);
    memcpy(msg.value, "~!", 2);
    round_trip(&msg);
}

/* magic, version, type, id (4, LE), port (2, LE), txid (4), op, flags, stamp (8), node (4),
 * klen (2), vlen (2), key, value. */
static void test_exact_layout(void)
{
    make_kv(&msg, MSG_KV_REPLY, KV_UPDATE, KV_FLAG_OK, 2, 3);
    memcpy(msg.key, "ab", 2);
    memcpy(msg.value, "xyz", 3);
    int len = wire_encode_kv(&msg, buf, sizeof buf);
    CU_ASSERT_EQUAL_FATAL(len, WIRE_KV_HEADER_SIZE + 5);
    const uint8_t want[] = { WIRE_MAGIC, WIRE_VERSION, MSG_KV_REPLY,
                             0x01, 0x02, 0x03, 0x04, /* id */
                             0xEF, 0xBE,             /* port */
                             0xD4, 0xC3, 0xB2, 0xA1, /* txid */
                             KV_UPDATE, KV_FLAG_OK,
                             0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* stamp */
                             0xCC, 0xBB, 0xAA, 0x99, /* node */
                             0x02, 0x00, 0x03, 0x00, /* klen, vlen */
                             'a', 'b', 'x', 'y', 'z' };
    CU_ASSERT_EQUAL_FATAL(sizeof want, (size_t)len);
    CU_ASSERT_EQUAL(memcmp(buf, want, sizeof want), 0);
}

/* Every proper prefix of a valid message is truncated (under 3 bytes the framing itself is
 * missing: truncated or bad magic); one extra byte is oversized. */
static void test_truncation_and_trailing(void)
{
    const size_t shapes[][2] = { { 1, 0 }, { 5, 7 }, { KV_MAX_KEY, KV_MAX_VALUE } };
    for (size_t s = 0; s < 3; s++)
        for (size_t t = 0; t < 4; t++) {
            size_t vlen = KV_TYPES[t] == MSG_KV_TRANSFER_ACK ? 0 : shapes[s][1];
            make_kv(&msg, KV_TYPES[t], KV_CREATE, 0, shapes[s][0], vlen);
            int len = wire_encode_kv(&msg, buf, sizeof buf);
            CU_ASSERT_FATAL(len > 0);
            unsigned wrong = 0;
            for (int n = 0; n < len; n++) {
                /* an exact-size heap copy, so a read past the end is caught by ASan */
                uint8_t *copy = malloc(n ? (size_t)n : 1);
                CU_ASSERT_FATAL(copy != NULL);
                memcpy(copy, buf, (size_t)n);
                int st = wire_decode_kv(copy, (size_t)n, &out);
                if (n < 3)
                    wrong += st != WIRE_ETRUNCATED && st != WIRE_EMAGIC;
                else
                    wrong += st != WIRE_ETRUNCATED;
                free(copy);
            }
            CU_ASSERT_EQUAL(wrong, 0);
            buf[len] = 'x';
            CU_ASSERT_EQUAL(wire_decode_kv(buf, (size_t)len + 1, &out), WIRE_EOVERSIZED);
            buf[len] = 0;
            CU_ASSERT_EQUAL(wire_decode_kv(buf, (size_t)len + 1, &out), WIRE_EOVERSIZED);
            CU_ASSERT_EQUAL(wire_decode_kv(buf, (size_t)len + 50, &out), WIRE_EOVERSIZED);
            CU_ASSERT_EQUAL(wire_decode_kv(buf, (size_t)len, &out), WIRE_OK);
        }
}

static void put16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* klen above KV_MAX_KEY or vlen above KV_MAX_VALUE: oversized, whatever the buffer length. */
static void test_length_fields_oversized(void)
{
    static uint8_t big[WIRE_KV_HEADER_SIZE + 65535 + 65535];
    make_kv(&msg, MSG_KV_REQUEST, KV_CREATE, 0, 1, 0);
    int len = wire_encode_kv(&msg, big, sizeof big);
    CU_ASSERT_FATAL(len > 0);
    memset(big + WIRE_KV_HEADER_SIZE, 'a', sizeof big - WIRE_KV_HEADER_SIZE);
    const struct {
        uint16_t klen, vlen;
    } cases[] = { { KV_MAX_KEY + 1, 0 }, { 1, KV_MAX_VALUE + 1 }, { 65535, 0 }, { 1, 65535 },
                  { KV_MAX_KEY + 1, KV_MAX_VALUE + 1 } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        put16le(big + 27, cases[i].klen);
        put16le(big + 29, cases[i].vlen);
        size_t exact = WIRE_KV_HEADER_SIZE + (size_t)cases[i].klen + cases[i].vlen;
        CU_ASSERT_EQUAL(wire_decode_kv(big, exact, &out), WIRE_EOVERSIZED);
        CU_ASSERT_EQUAL(wire_decode_kv(big, sizeof big, &out), WIRE_EOVERSIZED);
    }
    /* the maxima themselves are fine */
    put16le(big + 27, KV_MAX_KEY);
    put16le(big + 29, KV_MAX_VALUE);
    CU_ASSERT_EQUAL(wire_decode_kv(big, WIRE_KV_HEADER_SIZE + KV_MAX_KEY + KV_MAX_VALUE, &out),
                    WIRE_OK);
    /* encode refuses lengths above the maxima */
    make_kv(&msg, MSG_KV_REQUEST, KV_CREATE, 0, 1, 0);
    msg.klen = KV_MAX_KEY + 1;
    CU_ASSERT(wire_encode_kv(&msg, big, sizeof big) < 0);
    make_kv(&msg, MSG_KV_REQUEST, KV_CREATE, 0, 1, 0);
    msg.vlen = KV_MAX_VALUE + 1;
    CU_ASSERT(wire_encode_kv(&msg, big, sizeof big) < 0);
}

static void test_bad_magic_version_type(void)
{
    make_kv(&msg, MSG_KV_REQUEST, KV_CREATE, 0, 3, 3);
    int len = wire_encode_kv(&msg, buf, sizeof buf);
    CU_ASSERT_FATAL(len > 0);
    memcpy(buf2, buf, (size_t)len);
    buf2[0] = WIRE_MAGIC ^ 1;
    CU_ASSERT_EQUAL(wire_decode_kv(buf2, (size_t)len, &out), WIRE_EMAGIC);
    buf2[0] = WIRE_MAGIC;
    buf2[1] = WIRE_VERSION + 1;
    CU_ASSERT_EQUAL(wire_decode_kv(buf2, (size_t)len, &out), WIRE_EMAGIC);
    buf2[1] = WIRE_VERSION;
    const int unknown[] = { 0, 6, 7, 8, 9, 14, 15, 100, 255 };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        buf2[2] = (uint8_t)unknown[i];
        CU_ASSERT_EQUAL(wire_decode_kv(buf2, (size_t)len, &out), WIRE_ETYPE);
    }
    for (int t = MSG_JOINREQ; t <= MSG_PULLREQ; t++) { /* membership types are not KV messages */
        buf2[2] = (uint8_t)t;
        CU_ASSERT(wire_decode_kv(buf2, (size_t)len, &out) < 0);
    }
    /* encode refuses non-KV types */
    msg.type = MSG_GOSSIP;
    CU_ASSERT(wire_encode_kv(&msg, buf2, sizeof buf2) < 0);
    msg.type = (msg_type_t)14;
    CU_ASSERT(wire_encode_kv(&msg, buf2, sizeof buf2) < 0);
}

/* A bad field: the encoder refuses the struct, and the decoder refuses the same message
 * written byte by byte (valid encoding, then the field patched). */
typedef void (*patch_fn)(kv_msg_t *m, uint8_t *b, size_t *len);

static void patch_op0(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    m->op = 0;
    b[13] = 0;
}
static void patch_op5(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    m->op = (kv_op_t)5;
    b[13] = 5;
}
static void patch_op255(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    m->op = (kv_op_t)255;
    b[13] = 255;
}
static void patch_flag4(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    m->flags |= 0x04;
    b[14] |= 0x04;
}
static void patch_flag80(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    m->flags = 0x80;
    b[14] = 0x80;
}
static void patch_id0(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    m->from.id = 0;
    memset(b + 3, 0, 4);
}
/* key bytes: position 0 / middle / last of the key */
static void patch_key(kv_msg_t *m, uint8_t *b, size_t where, uint8_t c)
{
    m->key[where] = (char)c;
    b[WIRE_KV_HEADER_SIZE + where] = c;
}
static void patch_key_space(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    patch_key(m, b, 0, ' ');
}
static void patch_key_nul(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    patch_key(m, b, m->klen / 2, 0);
}
static void patch_key_newline(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    patch_key(m, b, m->klen - 1u, '\n');
}
static void patch_key_del(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    patch_key(m, b, 1, 0x7f);
}
static void patch_key_high(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    patch_key(m, b, 2, 0xC3);
}
static void patch_val(kv_msg_t *m, uint8_t *b, size_t where, uint8_t c)
{
    m->value[where] = (char)c;
    b[WIRE_KV_HEADER_SIZE + m->klen + where] = c;
}
static void patch_val_space(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    patch_val(m, b, 0, ' ');
}
static void patch_val_tab(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    patch_val(m, b, m->vlen - 1u, '\t');
}
static void patch_val_nul(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    patch_val(m, b, 1, 0);
}
static void patch_val_ff(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    patch_val(m, b, 2, 0xFF);
}
static void patch_val_cr(kv_msg_t *m, uint8_t *b, size_t *len)
{
    (void)len;
    patch_val(m, b, 3, '\r');
}
/* empty key: the key bytes disappear from the buffer */
static void patch_empty_key(kv_msg_t *m, uint8_t *b, size_t *len)
{
    memmove(b + WIRE_KV_HEADER_SIZE, b + WIRE_KV_HEADER_SIZE + m->klen, m->vlen);
    *len -= m->klen;
    m->klen = 0;
    put16le(b + 27, 0);
}

static void check_invalid(msg_type_t type, kv_op_t op, uint8_t flags, patch_fn patch,
                          const char *what)
{
    make_kv(&msg, type, op, flags, 6, type == MSG_KV_TRANSFER_ACK ? 0 : 6);
    int len = wire_encode_kv(&msg, buf, sizeof buf);
    CU_ASSERT_FATAL(len > 0);
    size_t n = (size_t)len;
    patch(&msg, buf, &n);
    int enc = wire_encode_kv(&msg, buf2, sizeof buf2);
    int dec = wire_decode_kv(buf, n, &out);
    if (enc != WIRE_EINVALID || dec != WIRE_EINVALID)
        fprintf(stderr, "\n  invalid case '%s' type %d: encode %d decode %d\n", what, (int)type,
                enc, dec);
    CU_ASSERT_EQUAL(enc, WIRE_EINVALID);
    CU_ASSERT_EQUAL(dec, WIRE_EINVALID);
}

static void test_invalid_fields(void)
{
    static const struct {
        patch_fn fn;
        const char *what;
        bool needs_value;
    } patches[] = {
        { patch_flag4, "flag 0x04", false },   { patch_flag80, "flag 0x80", false },
        { patch_id0, "sender id 0", false },    { patch_key_space, "space in key", false },
        { patch_key_nul, "NUL in key", false }, { patch_key_newline, "newline in key", false },
        { patch_key_del, "DEL in key", false }, { patch_key_high, "0xC3 in key", false },
        { patch_empty_key, "empty key", false }, { patch_val_space, "space in value", true },
        { patch_val_tab, "tab in value", true }, { patch_val_nul, "NUL in value", true },
        { patch_val_ff, "0xFF in value", true }, { patch_val_cr, "CR in value", true },
    };
    for (size_t t = 0; t < 4; t++)
        for (size_t p = 0; p < sizeof patches / sizeof patches[0]; p++) {
            if (patches[p].needs_value && KV_TYPES[t] == MSG_KV_TRANSFER_ACK)
                continue;
            check_invalid(KV_TYPES[t], KV_READ, KV_FLAG_OK, patches[p].fn, patches[p].what);
        }
    /* ops: requests and replies need 1..4, transfers and acks 0 */
    check_invalid(MSG_KV_REQUEST, KV_CREATE, 0, patch_op0, "request op 0");
    check_invalid(MSG_KV_REPLY, KV_CREATE, 0, patch_op0, "reply op 0");
    check_invalid(MSG_KV_REQUEST, KV_CREATE, 0, patch_op5, "request op 5");
    check_invalid(MSG_KV_REPLY, KV_DELETE, 0, patch_op255, "reply op 255");
    check_invalid(MSG_KV_TRANSFER, 0, 0, patch_op5, "transfer op 5");
    for (int op = KV_CREATE; op <= KV_DELETE; op++) {
        make_kv(&msg, MSG_KV_TRANSFER, 0, 0, 3, 3);
        msg.op = (kv_op_t)op;
        CU_ASSERT_EQUAL(wire_encode_kv(&msg, buf, sizeof buf), WIRE_EINVALID);
        make_kv(&msg, MSG_KV_TRANSFER_ACK, 0, 0, 3, 0);
        int len = wire_encode_kv(&msg, buf, sizeof buf);
        CU_ASSERT_FATAL(len > 0);
        buf[13] = (uint8_t)op;
        CU_ASSERT_EQUAL(wire_decode_kv(buf, (size_t)len, &out), WIRE_EINVALID);
    }
    /* a value in a TRANSFER_ACK */
    make_kv(&msg, MSG_KV_TRANSFER_ACK, 0, KV_FLAG_DELETED, 3, 0);
    msg.vlen = 1;
    msg.value[0] = 'v';
    CU_ASSERT_EQUAL(wire_encode_kv(&msg, buf, sizeof buf), WIRE_EINVALID);
    msg.type = MSG_KV_TRANSFER; /* the same bytes as a transfer are fine */
    int len = wire_encode_kv(&msg, buf, sizeof buf);
    CU_ASSERT_EQUAL_FATAL(len, WIRE_KV_HEADER_SIZE + 4);
    buf[2] = MSG_KV_TRANSFER_ACK;
    CU_ASSERT_EQUAL(wire_decode_kv(buf, (size_t)len, &out), WIRE_EINVALID);
    buf[2] = MSG_KV_TRANSFER;
    CU_ASSERT_EQUAL(wire_decode_kv(buf, (size_t)len, &out), WIRE_OK);
    /* a space-free value of 0 bytes is fine anywhere, including in a request */
    make_kv(&msg, MSG_KV_REQUEST, KV_DELETE, 0, 1, 0);
    round_trip(&msg);
    /* wire_kv_text_ok itself */
    CU_ASSERT_TRUE(wire_kv_text_ok("k", 1, 1));
    CU_ASSERT_FALSE(wire_kv_text_ok("", 0, 1));
    CU_ASSERT_TRUE(wire_kv_text_ok("", 0, 0));
    CU_ASSERT_FALSE(wire_kv_text_ok("a b", 3, 0));
    CU_ASSERT_FALSE(wire_kv_text_ok("a\x7f", 2, 1));
    static char longkey[KV_MAX_KEY + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    CU_ASSERT_TRUE(wire_kv_text_ok(longkey, KV_MAX_KEY, 1));
    CU_ASSERT_FALSE(wire_kv_text_ok(longkey, KV_MAX_KEY + 1, 1));
}

/* Output buffers one byte short (or empty) are refused, and nothing past cap is written. */
static void test_encode_no_space(void)
{
    const size_t shapes[][2] = { { 1, 0 }, { 10, 20 }, { KV_MAX_KEY, KV_MAX_VALUE } };
    for (size_t s = 0; s < 3; s++) {
        make_kv(&msg, MSG_KV_TRANSFER, 0, KV_FLAG_DELETED, shapes[s][0], shapes[s][1]);
        size_t need = WIRE_KV_HEADER_SIZE + shapes[s][0] + shapes[s][1];
        const size_t caps[] = { 0, 1, WIRE_KV_HEADER_SIZE - 1, WIRE_KV_HEADER_SIZE, need - 1 };
        for (size_t c = 0; c < 5; c++) {
            if (caps[c] >= need)
                continue;
            memset(buf, 0xEE, sizeof buf);
            CU_ASSERT_EQUAL(wire_encode_kv(&msg, buf, caps[c]), WIRE_ENOSPACE);
            bool untouched = true;
            for (size_t i = caps[c]; i < sizeof buf; i++)
                untouched &= buf[i] == 0xEE;
            CU_ASSERT_TRUE(untouched);
        }
        CU_ASSERT_EQUAL(wire_encode_kv(&msg, buf, need), (int)need);
        CU_ASSERT_EQUAL(wire_decode_kv(buf, need, &out), WIRE_OK);
    }
    /* an invalid message is refused as invalid even with no room */
    make_kv(&msg, MSG_KV_REQUEST, KV_CREATE, 0, 3, 3);
    msg.from.id = 0;
    CU_ASSERT_EQUAL(wire_encode_kv(&msg, buf, 0), WIRE_EINVALID);
}

/* ================================================================ garbage */

static uint16_t get16le(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* Independent validity rule for a KV buffer, from wire.h. */
static bool oracle_valid(const uint8_t *b, size_t len)
{
    if (len < WIRE_KV_HEADER_SIZE || b[0] != WIRE_MAGIC || b[1] != WIRE_VERSION)
        return false;
    int type = b[2];
    if (type < MSG_KV_REQUEST || type > MSG_KV_TRANSFER_ACK)
        return false;
    size_t klen = get16le(b + 27), vlen = get16le(b + 29);
    if (klen < 1 || klen > KV_MAX_KEY || vlen > KV_MAX_VALUE ||
        len != WIRE_KV_HEADER_SIZE + klen + vlen)
        return false;
    uint32_t id = (uint32_t)b[3] | (uint32_t)b[4] << 8 | (uint32_t)b[5] << 16 |
                  (uint32_t)b[6] << 24;
    if (id == 0)
        return false;
    bool op_ok = has_op((msg_type_t)type) ? (b[13] >= 1 && b[13] <= 4) : b[13] == 0;
    if (!op_ok || (b[14] & ~KV_FLAGS_KNOWN))
        return false;
    if (type == MSG_KV_TRANSFER_ACK && vlen != 0)
        return false;
    for (size_t i = WIRE_KV_HEADER_SIZE; i < len; i++)
        if (b[i] < 0x21 || b[i] > 0x7e)
            return false;
    return true;
}

static void random_valid(rng_t *r, kv_msg_t *m)
{
    msg_type_t t = KV_TYPES[rng_below(r, 4)];
    size_t klen = rng_below(r, 8) == 0 ? KV_MAX_KEY : 1 + rng_below(r, 24);
    size_t vlen = t == MSG_KV_TRANSFER_ACK ? 0
                  : rng_below(r, 16) == 0 ? KV_MAX_VALUE - rng_below(r, 2)
                                          : rng_below(r, 40);
    make_kv(m, t, (kv_op_t)(1 + rng_below(r, 4)), (uint8_t)rng_below(r, 4), klen, vlen);
    m->from = addr_make(1 + rng_below(r, 1000), (uint16_t)rng_below(r, 3));
    m->txid = (uint32_t)rng_next(r);
    m->version.stamp = rng_next(r);
    m->version.node = (uint32_t)rng_next(r);
    for (size_t i = 0; i < klen; i++)
        m->key[i] = (char)(0x21 + rng_below(r, 94));
    for (size_t i = 0; i < vlen; i++)
        m->value[i] = (char)(0x21 + rng_below(r, 94));
}

/* 300000 buffers: random bytes, random bytes behind a valid framing, and valid messages with
 * bytes flipped, length fields rewritten, or the length cut or extended. Each is decoded from
 * an exact-size heap copy. The decoder must return a defined status, accept exactly the
 * buffers the oracle accepts, and whatever it accepts must re-encode to the same bytes. */
static void test_garbage(void)
{
    rng_t r;
    rng_seed(&r, 31);
    static uint8_t b[WIRE_MAX_KV_MSG + 64];
    unsigned ok = 0, rejected = 0, bad_status = 0, disagree = 0, bad_reencode = 0;
    for (int iter = 0; iter < 300000; iter++) {
        size_t len = 0;
        unsigned kind = rng_below(&r, 6);
        if (kind == 0) { /* pure noise */
            len = rng_below(&r, 300);
            for (size_t i = 0; i < len; i++)
                b[i] = (uint8_t)rng_next(&r);
        } else if (kind == 1) { /* noise behind a valid framing and KV type */
            len = 3 + rng_below(&r, 300);
            for (size_t i = 0; i < len; i++)
                b[i] = (uint8_t)rng_next(&r);
            b[0] = WIRE_MAGIC;
            b[1] = WIRE_VERSION;
            b[2] = (uint8_t)(MSG_KV_REQUEST + rng_below(&r, 4));
        } else {
            random_valid(&r, &msg);
            int n = wire_encode_kv(&msg, b, sizeof b);
            if (n <= 0) {
                CU_FAIL("random valid message refused by encode");
                break;
            }
            len = (size_t)n;
            if (kind == 2) { /* flip 1..4 bytes */
                for (unsigned k = 1 + rng_below(&r, 4); k > 0; k--)
                    b[rng_below(&r, (uint32_t)len)] = (uint8_t)rng_next(&r);
            } else if (kind == 3) { /* one header byte set to an edge value */
                static const uint8_t edge[] = { 0, 1, 2, 3, 4, 5, 0x20, 0x21, 0x7e, 0x7f, 0xff };
                b[rng_below(&r, WIRE_KV_HEADER_SIZE)] = edge[rng_below(&r, sizeof edge)];
            } else if (kind == 4) { /* rewrite a length field */
                uint16_t v = rng_below(&r, 2) ? (uint16_t)rng_next(&r)
                                              : (uint16_t)(rng_below(&r, 300));
                put16le(b + (rng_below(&r, 2) ? 27 : 29), v);
            } else { /* cut or extend */
                if (rng_below(&r, 2) && len > 1)
                    len = rng_below(&r, (uint32_t)len);
                else {
                    size_t extra = 1 + rng_below(&r, 8);
                    for (size_t i = 0; i < extra; i++)
                        b[len + i] = (uint8_t)(0x21 + rng_below(&r, 94));
                    len += extra;
                }
            }
        }
        uint8_t *copy = malloc(len ? len : 1);
        if (!copy) {
            CU_FAIL("out of memory");
            break;
        }
        memcpy(copy, b, len);
        int st = wire_decode_kv(copy, len, &out);
        if (st != WIRE_OK && st != WIRE_ETRUNCATED && st != WIRE_EOVERSIZED &&
            st != WIRE_EMAGIC && st != WIRE_ETYPE && st != WIRE_EINVALID)
            bad_status++;
        disagree += (st == WIRE_OK) != oracle_valid(copy, len);
        if (st == WIRE_OK) {
            ok++;
            int n = wire_encode_kv(&out, buf2, sizeof buf2);
            bad_reencode += n != (int)len || memcmp(buf2, copy, len) != 0;
            bad_reencode += out.key[out.klen] != '\0' || out.value[out.vlen] != '\0';
        } else {
            rejected++;
        }
        free(copy);
    }
    CU_ASSERT_EQUAL(bad_status, 0);
    CU_ASSERT_EQUAL(disagree, 0);
    CU_ASSERT_EQUAL(bad_reencode, 0);
    CU_ASSERT(ok > 10000);       /* the loop exercised acceptance */
    CU_ASSERT(rejected > 100000); /* and rejection */
}

/* ================================================================ digests */

/* A digest entry with a key of klen printable bytes derived from `seed`. The key text lives
 * in `keybuf` (at least klen bytes). */
static kv_digest_entry_t make_dentry(char *keybuf, size_t klen, unsigned seed, bool deleted)
{
    for (size_t i = 0; i < klen; i++)
        keybuf[i] = (char)(0x21 + (seed * 31 + i * 7) % 94);
    kv_digest_entry_t e = { (uint8_t)klen, keybuf, deleted,
                            { 0x0102030405060708ULL * (seed + 1), 0xA0B0C0D0u + seed } };
    return e;
}

static bool same_dentry(const kv_digest_entry_t *a, const kv_digest_entry_t *b)
{
    return a->klen == b->klen && memcmp(a->key, b->key, a->klen) == 0 &&
           a->deleted == b->deleted && a->version.stamp == b->version.stamp &&
           a->version.node == b->version.node;
}

static uint8_t dbuf[WIRE_MAX_DIGEST_MSG + 64], dbuf2[WIRE_MAX_DIGEST_MSG + 64];
static char dkeys[WIRE_DIGEST_MAX_ENTRIES + 1][KV_MAX_KEY];
static kv_digest_entry_t dents[WIRE_DIGEST_MAX_ENTRIES + 1];

/* Builds a digest of `count` entries into dbuf (key lengths from klen_of) and returns its
 * length; the entries are kept in dents[]. */
static size_t build_digest(addr_t from, unsigned count, size_t (*klen_of)(unsigned))
{
    size_t len = wire_digest_begin(dbuf, from);
    CU_ASSERT_EQUAL(len, WIRE_DIGEST_HEADER_SIZE);
    for (unsigned i = 0; i < count; i++) {
        dents[i] = make_dentry(dkeys[i], klen_of(i), i, i % 3 == 1);
        size_t before = len;
        CU_ASSERT_EQUAL_FATAL(wire_digest_add(dbuf, sizeof dbuf, &len, &dents[i]), 0);
        CU_ASSERT_EQUAL(len, before + 1 + klen_of(i) + 13);
    }
    return len;
}

static size_t klen_alt(unsigned i)
{
    return i % 2 ? KV_MAX_KEY : 1;
}

static size_t klen_one(unsigned i)
{
    (void)i;
    return 1;
}

static size_t klen_max(unsigned i)
{
    (void)i;
    return KV_MAX_KEY;
}

static size_t klen_mixed(unsigned i)
{
    return 1 + (i * 37) % KV_MAX_KEY;
}

/* Checks the digest in dbuf[0..len) and reads back its entries against dents[0..count). */
static void check_digest_back(size_t len, addr_t from, unsigned count)
{
    addr_t got = addr_make(0, 0);
    CU_ASSERT_EQUAL(wire_digest_check(dbuf, len, &got), (int)count);
    CU_ASSERT_TRUE(addr_eq(got, from));
    CU_ASSERT_EQUAL(wire_peek_type(dbuf, len), MSG_KV_DIGEST);
    size_t pos = WIRE_DIGEST_HEADER_SIZE;
    unsigned bad = 0;
    for (unsigned i = 0; i < count; i++) {
        kv_digest_entry_t e;
        memset(&e, 0xAB, sizeof e);
        size_t at = pos;
        wire_digest_entry(dbuf, &pos, &e);
        bad += !same_dentry(&e, &dents[i]);
        bad += pos != at + 1 + dents[i].klen + 13;
        bad += e.key != (const char *)dbuf + at + 1; /* points into the message */
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(pos, len);
}

/* 0, 1, 2 and 64 entries, keys of length 1 and 255, deleted flags set and clear, extreme
 * senders and versions; the exact layout of a one-entry digest. */
static void test_digest_round_trip(void)
{
    const addr_t froms[] = { addr_make(1, 0), addr_make(0x04030201u, 0xBEEF),
                             addr_make(UINT32_MAX, UINT16_MAX) };
    for (size_t f = 0; f < 3; f++) {
        size_t len = build_digest(froms[f], 0, klen_one);
        check_digest_back(len, froms[f], 0);
        len = build_digest(froms[f], 1, klen_one);
        check_digest_back(len, froms[f], 1);
        len = build_digest(froms[f], 1, klen_max);
        check_digest_back(len, froms[f], 1);
        len = build_digest(froms[f], 2, klen_alt); /* deleted flag clear then set */
        CU_ASSERT_FALSE(dents[0].deleted);
        CU_ASSERT_TRUE(dents[1].deleted);
        check_digest_back(len, froms[f], 2);
        len = build_digest(froms[f], WIRE_DIGEST_MAX_ENTRIES, klen_alt);
        check_digest_back(len, froms[f], WIRE_DIGEST_MAX_ENTRIES);
    }
    /* 64 keys of 255 bytes: the largest digest is exactly WIRE_MAX_DIGEST_MSG bytes */
    size_t len = build_digest(froms[1], WIRE_DIGEST_MAX_ENTRIES, klen_max);
    CU_ASSERT_EQUAL(len, WIRE_MAX_DIGEST_MSG);
    check_digest_back(len, froms[1], WIRE_DIGEST_MAX_ENTRIES);
    /* it fits a buffer of exactly that size */
    static uint8_t exact[WIRE_MAX_DIGEST_MSG];
    size_t elen = wire_digest_begin(exact, froms[1]);
    for (unsigned i = 0; i < WIRE_DIGEST_MAX_ENTRIES; i++)
        CU_ASSERT_EQUAL(wire_digest_add(exact, sizeof exact, &elen, &dents[i]), 0);
    CU_ASSERT_EQUAL(elen, sizeof exact);
    CU_ASSERT_EQUAL(memcmp(exact, dbuf, sizeof exact), 0);

    /* extreme versions, both flags, the printable range's ends */
    kv_digest_entry_t e[2] = { { 2, "!~", true, { UINT64_MAX, UINT32_MAX } },
                               { 1, "~", false, { 0, 0 } } };
    len = wire_digest_begin(dbuf, froms[0]);
    CU_ASSERT_EQUAL(wire_digest_add(dbuf, sizeof dbuf, &len, &e[0]), 0);
    CU_ASSERT_EQUAL(wire_digest_add(dbuf, sizeof dbuf, &len, &e[1]), 0);
    dents[0] = e[0];
    dents[1] = e[1];
    check_digest_back(len, froms[0], 2);

    /* exact layout: magic, version, type, id (4 LE), port (2 LE), count (2 LE), tag (4 LE: 0
     * in a digest), then klen, key, flags, stamp (8 LE), node (4 LE) */
    kv_digest_entry_t one = { 2, "ab", true, { 0x1122334455667788ULL, 0x99AABBCCu } };
    len = wire_digest_begin(dbuf, addr_make(0x04030201u, 0xBEEF));
    CU_ASSERT_EQUAL_FATAL(wire_digest_add(dbuf, sizeof dbuf, &len, &one), 0);
    const uint8_t want[] = { WIRE_MAGIC, WIRE_VERSION, MSG_KV_DIGEST, 0x01, 0x02, 0x03, 0x04,
                             0xEF, 0xBE, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                             0x02, 'a', 'b', KV_FLAG_DELETED,
                             0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
                             0xCC, 0xBB, 0xAA, 0x99 };
    CU_ASSERT_EQUAL_FATAL(len, sizeof want);
    CU_ASSERT_EQUAL(memcmp(dbuf, want, sizeof want), 0);
    /* an offer carries its tag (the incarnation the sender believes the receiver has), and an
     * answer carries it back */
    len = wire_digest_begin_as(dbuf, MSG_KV_OFFER, addr_make(0x04030201u, 0xBEEF), 0xA1B2C3D4u);
    CU_ASSERT_EQUAL_FATAL(wire_digest_add(dbuf, sizeof dbuf, &len, &one), 0);
    const uint8_t tag[] = { 0xD4, 0xC3, 0xB2, 0xA1 };
    CU_ASSERT_EQUAL(dbuf[2], MSG_KV_OFFER);
    CU_ASSERT_EQUAL(memcmp(dbuf + 11, tag, 4), 0);
    CU_ASSERT_EQUAL(memcmp(dbuf + 15, want + 15, sizeof want - 15), 0);
    addr_t from;
    CU_ASSERT_EQUAL(wire_digest_check(dbuf, len, &from), 1);
    CU_ASSERT_EQUAL(wire_digest_tag(dbuf), 0xA1B2C3D4u);
}

/* Refusals leave the digest exactly as it was: the buffer's bytes, *len and the count. */
static void expect_refused(size_t cap, size_t *len, const kv_digest_entry_t *e)
{
    memcpy(dbuf2, dbuf, sizeof dbuf2);
    size_t before = *len;
    CU_ASSERT_EQUAL(wire_digest_add(dbuf, cap, len, e), -1);
    CU_ASSERT_EQUAL(*len, before);
    CU_ASSERT_EQUAL(memcmp(dbuf, dbuf2, sizeof dbuf), 0);
}

static void test_digest_add_refusals(void)
{
    const addr_t from = addr_make(7, 0);
    char key[KV_MAX_KEY];
    /* a 65th entry, even a small one with plenty of room */
    size_t len = build_digest(from, WIRE_DIGEST_MAX_ENTRIES, klen_one);
    kv_digest_entry_t e = make_dentry(key, 1, 99, false);
    expect_refused(sizeof dbuf, &len, &e);
    CU_ASSERT_EQUAL(wire_digest_check(dbuf, len, &(addr_t){ 0, 0 }), WIRE_DIGEST_MAX_ENTRIES);

    /* an entry that does not fit the capacity: one byte short is refused, exact fits */
    for (size_t klen = 1; klen <= KV_MAX_KEY; klen += KV_MAX_KEY - 1) {
        len = build_digest(from, 3, klen_mixed);
        e = make_dentry(key, klen, 5, true);
        size_t need = len + 1 + klen + 13;
        expect_refused(need - 1, &len, &e);
        expect_refused(len, &len, &e);
        expect_refused(WIRE_DIGEST_HEADER_SIZE, &len, &e);
        CU_ASSERT_EQUAL(wire_digest_add(dbuf, need, &len, &e), 0);
        CU_ASSERT_EQUAL(len, need);
        dents[3] = e;
        check_digest_back(len, from, 4);
    }
    /* a fresh digest with capacity for its header only */
    len = wire_digest_begin(dbuf, from);
    e = make_dentry(key, 1, 1, false);
    expect_refused(WIRE_DIGEST_HEADER_SIZE, &len, &e);
    expect_refused(WIRE_DIGEST_HEADER_SIZE + 14, &len, &e);
    CU_ASSERT_EQUAL(wire_digest_add(dbuf, WIRE_DIGEST_HEADER_SIZE + 15, &len, &e), 0);

    /* invalid keys: empty, a space, control bytes, DEL, a high byte; at the start, middle and
     * end of the key */
    len = build_digest(from, 2, klen_one);
    const uint8_t bad_bytes[] = { ' ', '\0', '\n', '\t', 0x01, 0x1f, 0x7f, 0x80, 0xff };
    for (size_t b = 0; b < sizeof bad_bytes; b++) {
        const size_t where[] = { 0, 4, 9 };
        for (size_t w = 0; w < 3; w++) {
            e = make_dentry(key, 10, 3, false);
            key[where[w]] = (char)bad_bytes[b];
            expect_refused(sizeof dbuf, &len, &e);
        }
    }
    e = make_dentry(key, 1, 3, false);
    e.klen = 0;
    expect_refused(sizeof dbuf, &len, &e);
    CU_ASSERT_EQUAL(wire_digest_check(dbuf, len, &(addr_t){ 0, 0 }), 2);
    /* after the refusals the digest still takes a valid entry */
    e = make_dentry(key, 10, 3, false);
    CU_ASSERT_EQUAL(wire_digest_add(dbuf, sizeof dbuf, &len, &e), 0);
    CU_ASSERT_EQUAL(wire_digest_check(dbuf, len, &(addr_t){ 0, 0 }), 3);
}

static void put32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void test_digest_check_rejects(void)
{
    const addr_t from = addr_make(0x0A0B0C0Du, 3);
    addr_t got;
    size_t (*const shapes[])(unsigned) = { klen_one, klen_alt, klen_mixed };
    const unsigned counts[] = { 0, 1, 3, WIRE_DIGEST_MAX_ENTRIES };
    /* every truncation of valid digests is truncated; a trailing byte is oversized */
    unsigned wrong = 0, checked = 0;
    for (size_t s = 0; s < 3; s++)
        for (size_t k = 0; k < 4; k++) {
            size_t len = build_digest(from, counts[k], shapes[s]);
            for (size_t n = 0; n < len; n++) {
                uint8_t *copy = malloc(n ? n : 1); /* exact size: over-reads are caught */
                CU_ASSERT_FATAL(copy != NULL);
                memcpy(copy, dbuf, n);
                wrong += wire_digest_check(n ? copy : NULL, n, &got) != WIRE_ETRUNCATED;
                free(copy);
                checked++;
            }
            for (size_t extra = 1; extra <= 3; extra++) {
                memset(dbuf + len, extra == 2 ? 0 : 'a', extra);
                wrong += wire_digest_check(dbuf, len + extra, &got) != WIRE_EOVERSIZED;
            }
            wrong += wire_digest_check(dbuf, len, &got) != (int)counts[k];
        }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT(checked > 17000);

    /* a well-formed 65-entry digest (built by hand) and larger counts are oversized */
    size_t len = build_digest(from, WIRE_DIGEST_MAX_ENTRIES, klen_one);
    static uint8_t big[WIRE_DIGEST_HEADER_SIZE + 70 * 15];
    memcpy(big, dbuf, len);
    memcpy(big + len, dbuf + WIRE_DIGEST_HEADER_SIZE, 15); /* a copy of the first entry */
    put16le(big + 9, WIRE_DIGEST_MAX_ENTRIES + 1);
    CU_ASSERT_EQUAL(wire_digest_check(big, len + 15, &got), WIRE_EOVERSIZED);
    put16le(big + 9, 0xFFFF);
    CU_ASSERT_EQUAL(wire_digest_check(big, len + 15, &got), WIRE_EOVERSIZED);
    put16le(big + 9, WIRE_DIGEST_MAX_ENTRIES);
    CU_ASSERT_EQUAL(wire_digest_check(big, len, &got), WIRE_DIGEST_MAX_ENTRIES);
    /* a count that is smaller than the entries present leaves trailing bytes */
    put16le(big + 9, WIRE_DIGEST_MAX_ENTRIES - 1);
    CU_ASSERT_EQUAL(wire_digest_check(big, len, &got), WIRE_EOVERSIZED);

    /* the flags byte: only KV_FLAG_DELETED is known, in every entry position */
    len = build_digest(from, 3, klen_mixed);
    size_t flag_at[3], pos = WIRE_DIGEST_HEADER_SIZE;
    for (int i = 0; i < 3; i++) {
        flag_at[i] = pos + 1 + dbuf[pos];
        pos += 1 + dbuf[pos] + 13;
    }
    for (int i = 0; i < 3; i++)
        for (int bit = 0; bit < 8; bit++) {
            uint8_t keep = dbuf[flag_at[i]];
            dbuf[flag_at[i]] = (uint8_t)(keep | (1u << bit));
            int st = wire_digest_check(dbuf, len, &got);
            CU_ASSERT_EQUAL(st, (1u << bit) == KV_FLAG_DELETED ? 3 : WIRE_EINVALID);
            dbuf[flag_at[i]] = keep;
        }
    /* a key byte that may not be in a key; a zero key length */
    const uint8_t bad_bytes[] = { ' ', '\0', '\n', 0x7f, 0x80, 0xff };
    for (size_t b = 0; b < sizeof bad_bytes; b++) {
        uint8_t keep = dbuf[flag_at[1] - 1];
        dbuf[flag_at[1] - 1] = bad_bytes[b]; /* last key byte of the second entry */
        CU_ASSERT_EQUAL(wire_digest_check(dbuf, len, &got), WIRE_EINVALID);
        dbuf[flag_at[1] - 1] = keep;
    }
    kv_digest_entry_t z = { 1, "z", false, { 1, 1 } };
    len = wire_digest_begin(dbuf, from);
    CU_ASSERT_EQUAL(wire_digest_add(dbuf, sizeof dbuf, &len, &z), 0);
    dbuf[WIRE_DIGEST_HEADER_SIZE] = 0; /* klen 0: "z" is then read as the flags byte */
    CU_ASSERT(wire_digest_check(dbuf, len, &got) < 0);
    dbuf[len - 1 - 13] = 0; /* and a zero flags byte: still an empty key */
    CU_ASSERT(wire_digest_check(dbuf, len, &got) < 0);
    uint8_t empty_key[WIRE_DIGEST_HEADER_SIZE + 14];
    wire_digest_begin(empty_key, from);
    put16le(empty_key + 9, 1);
    memset(empty_key + WIRE_DIGEST_HEADER_SIZE, 0, 14); /* klen 0, flags 0, version 0 */
    CU_ASSERT_EQUAL(wire_digest_check(empty_key, sizeof empty_key, &got), WIRE_EINVALID);

    /* sender id 0 (any port), with and without entries */
    for (unsigned count = 0; count <= 2; count++) {
        len = build_digest(addr_make(0, 9), count, klen_one);
        CU_ASSERT_EQUAL(wire_digest_check(dbuf, len, &got), WIRE_EINVALID);
        put32le(dbuf + 3, 1);
        CU_ASSERT_EQUAL(wire_digest_check(dbuf, len, &got), (int)count);
    }
    /* bad magic, bad version */
    len = build_digest(from, 2, klen_one);
    for (int b = 0; b < 2; b++) {
        uint8_t keep = dbuf[b];
        const uint8_t vals[] = { 0, (uint8_t)(keep + 1), (uint8_t)(keep - 1), 0xFF };
        for (size_t v = 0; v < 4; v++) {
            dbuf[b] = vals[v];
            CU_ASSERT_EQUAL(wire_digest_check(dbuf, len, &got), WIRE_EMAGIC);
            CU_ASSERT_EQUAL(wire_digest_check(dbuf, 3, &got), WIRE_EMAGIC);
        }
        dbuf[b] = keep;
    }
    /* every type but the three of digest layout (digest, offer, answer), including the other
     * KV types and the membership ones */
    unsigned type_wrong = 0;
    for (int t = 0; t < 256; t++) {
        dbuf[2] = (uint8_t)t;
        if (t == MSG_KV_DIGEST || t == MSG_KV_OFFER || t == MSG_KV_HAVE)
            type_wrong += wire_digest_check(dbuf, len, &got) != 2;
        else
            type_wrong += wire_digest_check(dbuf, len, &got) != WIRE_ETYPE;
    }
    CU_ASSERT_EQUAL(type_wrong, 0);
    dbuf[2] = MSG_KV_DIGEST;
    CU_ASSERT_EQUAL(wire_digest_check(dbuf, len, &got), 2);
    /* a valid KV message is not a digest, and a digest is not a KV message */
    make_kv(&msg, MSG_KV_TRANSFER, 0, 0, 3, 3);
    int klen = wire_encode_kv(&msg, buf, sizeof buf);
    CU_ASSERT_FATAL(klen > 0);
    CU_ASSERT_EQUAL(wire_digest_check(buf, (size_t)klen, &got), WIRE_ETYPE);
    CU_ASSERT_EQUAL(wire_decode_kv(dbuf, len, &out), WIRE_ETYPE);
}

/* Independent validity rule for a digest, from wire.h's description. */
static bool oracle_digest(const uint8_t *b, size_t len, unsigned *count_out)
{
    if (len < WIRE_DIGEST_HEADER_SIZE || b[0] != WIRE_MAGIC || b[1] != WIRE_VERSION ||
        (b[2] != MSG_KV_DIGEST && b[2] != MSG_KV_OFFER && b[2] != MSG_KV_HAVE))
        return false;
    if ((b[3] | b[4] | b[5] | b[6]) == 0)
        return false;
    unsigned count = get16le(b + 9);
    if (count > WIRE_DIGEST_MAX_ENTRIES)
        return false;
    size_t p = WIRE_DIGEST_HEADER_SIZE;
    for (unsigned i = 0; i < count; i++) {
        if (len - p < 1)
            return false;
        size_t klen = b[p];
        if (klen == 0 || len - p < 1 + klen + 13)
            return false;
        for (size_t j = 0; j < klen; j++)
            if (b[p + 1 + j] <= 0x20 || b[p + 1 + j] >= 0x7f)
                return false;
        if (b[p + 1 + klen] != 0 && b[p + 1 + klen] != KV_FLAG_DELETED)
            return false;
        p += 1 + klen + 13;
    }
    *count_out = count;
    return p == len;
}

/* A random valid digest into b: 0..8 entries (sometimes 64), keys of 1..12 bytes (sometimes
 * 255). Returns its length. */
static size_t random_digest(rng_t *r, uint8_t *b, size_t cap)
{
    addr_t from = addr_make(1 + rng_below(r, 1000), (uint16_t)rng_below(r, 3));
    size_t len = wire_digest_begin(b, from);
    unsigned count = rng_below(r, 64) == 0 ? WIRE_DIGEST_MAX_ENTRIES : rng_below(r, 9);
    char key[KV_MAX_KEY];
    for (unsigned i = 0; i < count; i++) {
        size_t klen = rng_below(r, 16) == 0 ? KV_MAX_KEY - rng_below(r, 2) : 1 + rng_below(r, 12);
        for (size_t j = 0; j < klen; j++)
            key[j] = (char)(0x21 + rng_below(r, 94));
        kv_digest_entry_t e = { (uint8_t)klen, key, rng_below(r, 2) == 1,
                                { rng_next(r), (uint32_t)rng_next(r) } };
        if (wire_digest_add(b, cap, &len, &e) != 0)
            break;
    }
    return len;
}

/* 300000 buffers: noise, noise behind a digest framing, and valid digests with bytes flipped,
 * a header or length byte set to an edge value, the count rewritten, or the length cut or
 * extended. Each is checked from an exact-size heap copy. The checker returns a defined
 * status, agrees with the oracle, and whatever it accepts reads back (wire_digest_entry) into
 * entries that wire_digest_begin/add rebuild into the very same bytes. */
static void test_digest_garbage(void)
{
    rng_t r;
    rng_seed(&r, 77);
    static uint8_t b[WIRE_MAX_DIGEST_MSG + 64], rebuilt[WIRE_MAX_DIGEST_MSG];
    unsigned ok = 0, rejected = 0, bad_status = 0, disagree = 0, bad_rebuild = 0;
    for (int iter = 0; iter < 300000; iter++) {
        size_t len;
        unsigned kind = rng_below(&r, 7);
        if (kind == 0) {
            len = rng_below(&r, 200);
            for (size_t i = 0; i < len; i++)
                b[i] = (uint8_t)rng_next(&r);
        } else if (kind == 1) {
            len = 3 + rng_below(&r, 200);
            for (size_t i = 0; i < len; i++)
                b[i] = rng_below(&r, 2) ? (uint8_t)rng_next(&r) : (uint8_t)rng_below(&r, 20);
            b[0] = WIRE_MAGIC;
            b[1] = WIRE_VERSION;
            b[2] = MSG_KV_DIGEST;
        } else {
            len = random_digest(&r, b, sizeof b);
            if (kind == 2) { /* flip 1..4 bytes */
                for (unsigned k = 1 + rng_below(&r, 4); k > 0; k--)
                    b[rng_below(&r, (uint32_t)len)] ^= (uint8_t)(1 + rng_below(&r, 255));
            } else if (kind == 3) { /* an edge value anywhere */
                static const uint8_t edge[] = { 0, 1, 2, 3, 13, 14, 0x20, 0x21, 0x7e, 0x7f,
                                                0xff, 64, 65 };
                b[rng_below(&r, (uint32_t)len)] = edge[rng_below(&r, sizeof edge)];
            } else if (kind == 4) { /* rewrite the count */
                uint16_t v = rng_below(&r, 4) ? (uint16_t)rng_below(&r, 70) : (uint16_t)rng_next(&r);
                put16le(b + 9, v);
            } else if (kind == 5) { /* cut or extend */
                if (rng_below(&r, 2) && len > 1) {
                    len = rng_below(&r, (uint32_t)len);
                } else {
                    size_t extra = 1 + rng_below(&r, 20);
                    for (size_t i = 0; i < extra; i++)
                        b[len + i] = (uint8_t)rng_below(&r, 0x80);
                    len += extra;
                }
            } /* kind 6: left valid */
        }
        uint8_t *copy = malloc(len ? len : 1);
        if (!copy) {
            CU_FAIL("out of memory");
            break;
        }
        memcpy(copy, b, len);
        addr_t from = addr_make(0, 0);
        int st = wire_digest_check(copy, len, &from);
        if (st < 0 && st != WIRE_ETRUNCATED && st != WIRE_EOVERSIZED && st != WIRE_EMAGIC &&
            st != WIRE_ETYPE && st != WIRE_EINVALID)
            bad_status++;
        unsigned ocount = 0;
        bool ovalid = oracle_digest(copy, len, &ocount);
        disagree += (st >= 0) != ovalid || (ovalid && (unsigned)st != ocount);
        if (st >= 0) {
            ok++;
            size_t pos = WIRE_DIGEST_HEADER_SIZE;
            size_t rlen = wire_digest_begin_as(rebuilt, (msg_type_t)copy[2], from, wire_digest_tag(copy));
            for (int i = 0; i < st; i++) {
                kv_digest_entry_t e;
                wire_digest_entry(copy, &pos, &e);
                if (pos > len || wire_digest_add(rebuilt, sizeof rebuilt, &rlen, &e) != 0) {
                    bad_rebuild++;
                    break;
                }
            }
            bad_rebuild += pos != len || rlen != len || memcmp(rebuilt, copy, len) != 0;
        } else {
            rejected++;
        }
        free(copy);
    }
    CU_ASSERT_EQUAL(bad_status, 0);
    CU_ASSERT_EQUAL(disagree, 0);
    CU_ASSERT_EQUAL(bad_rebuild, 0);
    CU_ASSERT(ok > 30000);
    CU_ASSERT(rejected > 100000);
}

/* Client messages (tools/kv <-> a node process): a request and a reply round trip byte for
 * byte; every truncation and a trailing byte are refused; a request value with a space, an
 * unknown command, a keyless where, a reply text with a control character are invalid; random
 * mutations never decode to something that does not encode back to the same bytes. */
static void test_client_messages(void)
{
    static client_msg_t m, back;
    static uint8_t buf[WIRE_MAX_CLIENT_MSG + 8];
    memset(&m, 0, sizeof m);
    m.type = MSG_CLIENT_REQUEST;
    m.from = addr_make(0x0100007f, 40000);
    m.reqid = 77;
    m.cmd = CLIENT_UPDATE;
    strcpy(m.key, "k1");
    m.klen = 2;
    strcpy(m.text, "v2");
    m.tlen = 2;
    int len = wire_encode_client(&m, buf, sizeof buf);
    CU_ASSERT_EQUAL_FATAL(len, WIRE_CLIENT_HEADER_SIZE + 4);
    CU_ASSERT_EQUAL(buf[2], MSG_CLIENT_REQUEST);
    CU_ASSERT_EQUAL(wire_get32(buf + 9), 77);
    CU_ASSERT_EQUAL(wire_decode_client(buf, (size_t)len, &back), WIRE_OK);
    CU_ASSERT_EQUAL(back.reqid, 77);
    CU_ASSERT_EQUAL(back.from.port, 40000);
    CU_ASSERT_STRING_EQUAL(back.key, "k1");
    CU_ASSERT_STRING_EQUAL(back.text, "v2");
    for (int cut = 0; cut < len; cut++)
        CU_ASSERT(wire_decode_client(buf, (size_t)cut, &back) < 0);
    CU_ASSERT_EQUAL(wire_decode_client(buf, (size_t)len + 1, &back), WIRE_EOVERSIZED);

    client_msg_t bad = m;
    strcpy(bad.text, "v 2");
    bad.tlen = 3;
    CU_ASSERT_EQUAL(wire_encode_client(&bad, buf, sizeof buf), WIRE_EINVALID);
    bad = m;
    bad.cmd = 9;
    CU_ASSERT_EQUAL(wire_encode_client(&bad, buf, sizeof buf), WIRE_EINVALID);
    bad = m;
    bad.cmd = CLIENT_WHERE;
    bad.klen = 0;
    bad.tlen = 0;
    CU_ASSERT_EQUAL(wire_encode_client(&bad, buf, sizeof buf), WIRE_EINVALID);

    client_msg_t r = { .type = MSG_CLIENT_REPLY, .from = addr_make(1, 7001), .reqid = 77,
                       .cmd = CLIENT_STATS, .status = CLIENT_OK };
    strcpy(r.text, "sent=10 received=9 keys=3");
    r.tlen = (uint16_t)strlen(r.text);
    len = wire_encode_client(&r, buf, sizeof buf);
    CU_ASSERT_FATAL(len > 0);
    CU_ASSERT_EQUAL(wire_decode_client(buf, (size_t)len, &back), WIRE_OK);
    CU_ASSERT_STRING_EQUAL(back.text, r.text);
    buf[WIRE_CLIENT_HEADER_SIZE + 4] = '\n'; /* a control character in the text */
    CU_ASSERT_EQUAL(wire_decode_client(buf, (size_t)len, &back), WIRE_EINVALID);

    rng_t g;
    rng_seed(&g, 5);
    unsigned disagree = 0;
    len = wire_encode_client(&m, buf, sizeof buf);
    for (int i = 0; i < 20000; i++) {
        static uint8_t mut[WIRE_MAX_CLIENT_MSG], again[WIRE_MAX_CLIENT_MSG];
        memcpy(mut, buf, (size_t)len);
        mut[rng_below(&g, (uint32_t)len)] = (uint8_t)rng_below(&g, 256);
        if (wire_decode_client(mut, (size_t)len, &back) != WIRE_OK)
            continue;
        int l2 = wire_encode_client(&back, again, sizeof again);
        disagree += l2 != len || memcmp(again, mut, (size_t)len) != 0;
    }
    CU_ASSERT_EQUAL(disagree, 0);
}

int add_kvwire_suite(void)
{
    CU_pSuite s = CU_add_suite("kvwire", NULL, NULL);
    if (!s)
        return CU_get_error();
    static const struct {
        const char *name;
        CU_TestFunc fn;
    } tests[] = {
        { "round trip every type, edge lengths", test_round_trip_all },
        { "exact little-endian byte layout", test_exact_layout },
        { "every truncation; trailing bytes oversized", test_truncation_and_trailing },
        { "klen/vlen above the maxima are oversized", test_length_fields_oversized },
        { "bad magic, version, type", test_bad_magic_version_type },
        { "invalid fields refused by encode and decode", test_invalid_fields },
        { "encode into a too-small buffer", test_encode_no_space },
        { "random and mutated buffers vs an oracle", test_garbage },
        { "digest: round trip of 0, 1, 2, 64 entries; layout", test_digest_round_trip },
        { "digest: add refuses a 65th, an oversized, an invalid entry", test_digest_add_refusals },
        { "digest: check rejects truncation, trailing, count, flags, id 0, magic, type",
          test_digest_check_rejects },
        { "digest: random and mutated buffers vs an oracle, rebuilt", test_digest_garbage },
        { "client messages: round trip, truncation, invalid fields, mutations",
          test_client_messages },
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (!CU_add_test(s, tests[i].name, tests[i].fn))
            return CU_get_error();
    return CUE_SUCCESS;
}
