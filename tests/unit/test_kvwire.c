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
    for (int t = MSG_JOINREQ; t <= MSG_ACK; t++) { /* membership types are not KV messages */
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
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (!CU_add_test(s, tests[i].name, tests[i].fn))
            return CU_get_error();
    return CUE_SUCCESS;
}
