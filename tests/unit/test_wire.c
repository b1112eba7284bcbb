/* test_wire.c: unit tests for the membership message codec (wire_encode_member / decode):
 * round trips, exact little-endian layout, every rejection class, and a garbage-input loop. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "suites.h"
#include "wire.h"

static uint8_t buf[WIRE_MAX_MEMBER_MSG + 64];
static member_msg_t msg, out;

/* A message of `type` from `from` with `count` entries; the first entry is the sender itself
 * (as JOINREQ requires and JOINREP/GOSSIP do), the others distinct made-up nodes. */
static void make_msg(member_msg_t *m, msg_type_t type, addr_t from, uint16_t count)
{
    memset(m, 0, sizeof *m);
    m->type = type;
    m->from = from;
    m->count = count;
    for (uint16_t i = 0; i < count; i++) {
        m->entries[i].addr = i == 0 ? from : addr_make(1000u + i, (uint16_t)(i * 7));
        m->entries[i].incarnation = 3u * i + 1;
        m->entries[i].heartbeat = 100000u + i;
    }
}

static int same_msg(const member_msg_t *a, const member_msg_t *b)
{
    if (a->type != b->type || !addr_eq(a->from, b->from) || a->count != b->count)
        return 0;
    for (uint16_t i = 0; i < a->count; i++)
        if (!addr_eq(a->entries[i].addr, b->entries[i].addr) ||
            a->entries[i].incarnation != b->entries[i].incarnation ||
            a->entries[i].heartbeat != b->entries[i].heartbeat)
            return 0;
    return 1;
}

/* Encodes m, checks the length, decodes it back and compares. */
static void round_trip(const member_msg_t *m)
{
    int len = wire_encode_member(m, buf, sizeof buf);
    CU_ASSERT_EQUAL_FATAL(len, WIRE_HEADER_SIZE + m->count * WIRE_ENTRY_SIZE);
    memset(&out, 0xAB, sizeof out);
    CU_ASSERT_EQUAL(wire_decode_member(buf, (size_t)len, &out), WIRE_OK);
    CU_ASSERT(same_msg(m, &out));
    CU_ASSERT_EQUAL(wire_peek_type(buf, (size_t)len), (int)m->type);
}

static void test_round_trip_joinreq(void)
{
    make_msg(&msg, MSG_JOINREQ, addr_make(5, 0), 1);
    round_trip(&msg);
    /* Max-value fields. */
    make_msg(&msg, MSG_JOINREQ, addr_make(0xFFFFFFFFu, 65535), 1);
    msg.entries[0].incarnation = UINT32_MAX;
    msg.entries[0].heartbeat = UINT32_MAX;
    round_trip(&msg);
    CU_ASSERT_EQUAL(out.from.id, 0xFFFFFFFFu);
    CU_ASSERT_EQUAL(out.from.port, 65535);
    CU_ASSERT_EQUAL(out.entries[0].incarnation, UINT32_MAX);
    CU_ASSERT_EQUAL(out.entries[0].heartbeat, UINT32_MAX);
}

static void round_trip_counts(msg_type_t type)
{
    const uint16_t counts[] = { 0, 1, 2, WIRE_MAX_ENTRIES - 1, WIRE_MAX_ENTRIES };
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        make_msg(&msg, type, addr_make(77, 12345), counts[k]);
        round_trip(&msg);
    }
    /* Max values in every field of every entry. */
    make_msg(&msg, type, addr_make(0xFFFFFFFFu, 65535), WIRE_MAX_ENTRIES);
    for (int i = 0; i < WIRE_MAX_ENTRIES; i++) {
        msg.entries[i].addr = addr_make(0xFFFFFFFFu - (uint32_t)i, 65535);
        msg.entries[i].incarnation = UINT32_MAX;
        msg.entries[i].heartbeat = UINT32_MAX - (uint32_t)i;
    }
    round_trip(&msg);
    CU_ASSERT_EQUAL(out.count, WIRE_MAX_ENTRIES);
    CU_ASSERT_EQUAL(out.entries[WIRE_MAX_ENTRIES - 1].addr.id, 0xFFFFFFFFu - 255);
    CU_ASSERT_EQUAL(out.entries[WIRE_MAX_ENTRIES - 1].heartbeat, UINT32_MAX - 255);
}

static void test_round_trip_joinrep(void)
{
    round_trip_counts(MSG_JOINREP);
}

static void test_round_trip_gossip(void)
{
    round_trip_counts(MSG_GOSSIP);
}

/* Hand-written bytes: every multi-byte field is little-endian with distinct byte values. */
static const uint8_t GOSSIP1[] = {
    0xC5, 0x01, 0x03,       /* magic, version, type GOSSIP */
    0x01, 0x02, 0x03, 0x04, /* sender id 0x04030201 */
    0x05, 0x06,             /* sender port 0x0605 */
    0x01, 0x00,             /* count 1 */
    0x07, 0x08, 0x09, 0x0A, /* entry id 0x0A090807 */
    0x0B, 0x0C,             /* entry port 0x0C0B */
    0x0D, 0x0E, 0x0F, 0x10, /* incarnation 0x100F0E0D */
    0x11, 0x12, 0x13, 0x14, /* heartbeat 0x14131211 */
};

static void test_exact_layout(void)
{
    CU_ASSERT_EQUAL(WIRE_HEADER_SIZE, 11);
    CU_ASSERT_EQUAL(WIRE_ENTRY_SIZE, 14);
    memset(&msg, 0, sizeof msg);
    msg.type = MSG_GOSSIP;
    msg.from = addr_make(0x04030201u, 0x0605);
    msg.count = 1;
    msg.entries[0].addr = addr_make(0x0A090807u, 0x0C0B);
    msg.entries[0].incarnation = 0x100F0E0Du;
    msg.entries[0].heartbeat = 0x14131211u;
    memset(buf, 0xEE, sizeof buf);
    int len = wire_encode_member(&msg, buf, sizeof buf);
    CU_ASSERT_EQUAL_FATAL(len, (int)sizeof GOSSIP1);
    CU_ASSERT_EQUAL(memcmp(buf, GOSSIP1, sizeof GOSSIP1), 0);
    CU_ASSERT_EQUAL(buf[sizeof GOSSIP1], 0xEE); /* nothing written past the message */

    /* And the hand-written bytes decode to the same fields. */
    CU_ASSERT_EQUAL_FATAL(wire_decode_member(GOSSIP1, sizeof GOSSIP1, &out), WIRE_OK);
    CU_ASSERT(same_msg(&msg, &out));

    /* A header-only JOINREP: count 0 is 11 bytes. */
    static const uint8_t JOINREP0[] = { 0xC5, 0x01, 0x02, 0x2A, 0x00, 0x00, 0x00, 0x00, 0x00,
                                        0x00, 0x00 };
    make_msg(&msg, MSG_JOINREP, addr_make(42, 0), 0);
    CU_ASSERT_EQUAL_FATAL(wire_encode_member(&msg, buf, sizeof buf), 11);
    CU_ASSERT_EQUAL(memcmp(buf, JOINREP0, sizeof JOINREP0), 0);
}

/* Every proper prefix of a valid message is truncated. */
static void check_all_truncations(const member_msg_t *m)
{
    int len = wire_encode_member(m, buf, sizeof buf);
    CU_ASSERT_FATAL(len > 0);
    int wrong = 0;
    for (int n = 0; n < len; n++) {
        /* An exact-size heap copy, so that reading past n is caught under ASan. */
        uint8_t *copy = malloc(n ? (size_t)n : 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
        memcpy(copy, buf, (size_t)n);
        wrong += wire_decode_member(copy, (size_t)n, &out) != WIRE_ETRUNCATED;
        free(copy);
    }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(wire_decode_member(buf, (size_t)len, &out), WIRE_OK);
}

static void test_truncation(void)
{
    make_msg(&msg, MSG_JOINREQ, addr_make(9, 1), 1);
    check_all_truncations(&msg);
    make_msg(&msg, MSG_GOSSIP, addr_make(9, 1), 3);
    check_all_truncations(&msg);
    make_msg(&msg, MSG_JOINREP, addr_make(9, 1), 0);
    check_all_truncations(&msg);
    make_msg(&msg, MSG_GOSSIP, addr_make(9, 1), WIRE_MAX_ENTRIES);
    check_all_truncations(&msg);
    /* wire_peek_type needs the three framing bytes. */
    CU_ASSERT_EQUAL(wire_peek_type(GOSSIP1, 0), WIRE_ETRUNCATED);
    CU_ASSERT_EQUAL(wire_peek_type(GOSSIP1, 2), WIRE_ETRUNCATED);
    CU_ASSERT_EQUAL(wire_peek_type(GOSSIP1, 3), MSG_GOSSIP);
}

static void test_oversized(void)
{
    /* One trailing byte. */
    make_msg(&msg, MSG_GOSSIP, addr_make(9, 1), 2);
    int len = wire_encode_member(&msg, buf, sizeof buf);
    CU_ASSERT_FATAL(len > 0);
    buf[len] = 0;
    CU_ASSERT_EQUAL(wire_decode_member(buf, (size_t)len + 1, &out), WIRE_EOVERSIZED);
    make_msg(&msg, MSG_JOINREQ, addr_make(9, 1), 1);
    len = wire_encode_member(&msg, buf, sizeof buf);
    CU_ASSERT_EQUAL(wire_decode_member(buf, (size_t)len + 1, &out), WIRE_EOVERSIZED);
    CU_ASSERT_EQUAL(wire_decode_member(buf, (size_t)len + 14, &out), WIRE_EOVERSIZED);

    /* count = WIRE_MAX_ENTRIES + 1 with all its entries present. */
    enum { N = WIRE_MAX_ENTRIES + 1, LEN = WIRE_HEADER_SIZE + N * WIRE_ENTRY_SIZE };
    uint8_t *big = malloc(LEN);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    make_msg(&msg, MSG_GOSSIP, addr_make(9, 1), WIRE_MAX_ENTRIES);
    len = wire_encode_member(&msg, big, LEN);
    CU_ASSERT_EQUAL_FATAL(len, LEN - WIRE_ENTRY_SIZE);
    memcpy(big + len, big + WIRE_HEADER_SIZE, WIRE_ENTRY_SIZE); /* a valid extra entry */
    big[9] = (uint8_t)(N & 0xFF);
    big[10] = (uint8_t)(N >> 8);
    CU_ASSERT_EQUAL(wire_decode_member(big, LEN, &out), WIRE_EOVERSIZED);
    /* count 0xFFFF on a short buffer: oversized, whatever the length. */
    big[9] = 0xFF;
    big[10] = 0xFF;
    CU_ASSERT_EQUAL(wire_decode_member(big, LEN, &out), WIRE_EOVERSIZED);
    CU_ASSERT_EQUAL(wire_decode_member(big, WIRE_HEADER_SIZE, &out), WIRE_EOVERSIZED);
    free(big);

    /* The encoder refuses to produce such a message. */
    make_msg(&msg, MSG_GOSSIP, addr_make(9, 1), WIRE_MAX_ENTRIES);
    msg.count = WIRE_MAX_ENTRIES + 1;
    CU_ASSERT(wire_encode_member(&msg, buf, sizeof buf) < 0);
}

static void test_bad_magic_version_type(void)
{
    uint8_t b[sizeof GOSSIP1];
    memcpy(b, GOSSIP1, sizeof b);
    const uint8_t magics[] = { 0x00, 0xC4, 0xC6, 0xFF, 0x5C };
    for (size_t i = 0; i < sizeof magics; i++) {
        b[0] = magics[i];
        CU_ASSERT_EQUAL(wire_decode_member(b, sizeof b, &out), WIRE_EMAGIC);
        CU_ASSERT_EQUAL(wire_peek_type(b, sizeof b), WIRE_EMAGIC);
    }
    b[0] = WIRE_MAGIC;
    const uint8_t versions[] = { 0, 2, 0xFF };
    for (size_t i = 0; i < sizeof versions; i++) {
        b[1] = versions[i];
        CU_ASSERT_EQUAL(wire_decode_member(b, sizeof b, &out), WIRE_EMAGIC);
        CU_ASSERT_EQUAL(wire_peek_type(b, 3), WIRE_EMAGIC);
    }
    b[1] = WIRE_VERSION;
    const uint8_t types[] = { 0, MSG_PULLREQ + 1, MSG_KV_REQUEST, 0x80, 0xFF };
    for (size_t i = 0; i < sizeof types; i++) {
        b[2] = types[i];
        CU_ASSERT_EQUAL(wire_decode_member(b, sizeof b, &out), WIRE_ETYPE);
        CU_ASSERT_EQUAL(wire_peek_type(b, sizeof b), types[i]); /* framing is fine */
    }
    b[2] = MSG_GOSSIP;
    CU_ASSERT_EQUAL(wire_decode_member(b, sizeof b, &out), WIRE_OK);

    /* The encoder refuses an unknown type. */
    make_msg(&msg, MSG_GOSSIP, addr_make(9, 1), 1);
    msg.type = (msg_type_t)7;
    CU_ASSERT(wire_encode_member(&msg, buf, sizeof buf) < 0);
}

static void test_invalid_fields(void)
{
    uint8_t b[sizeof GOSSIP1];
    /* Sender id 0. */
    memcpy(b, GOSSIP1, sizeof b);
    memset(b + 3, 0, 4);
    CU_ASSERT_EQUAL(wire_decode_member(b, sizeof b, &out), WIRE_EINVALID);
    /* Entry id 0. */
    memcpy(b, GOSSIP1, sizeof b);
    memset(b + 11, 0, 4);
    CU_ASSERT_EQUAL(wire_decode_member(b, sizeof b, &out), WIRE_EINVALID);
    /* Port 0 and all-zero counters are fine: only the id cannot be 0. */
    memcpy(b, GOSSIP1, sizeof b);
    memset(b + 7, 0, 2);
    memset(b + 15, 0, 10);
    CU_ASSERT_EQUAL(wire_decode_member(b, sizeof b, &out), WIRE_OK);

    /* Id 0 in the last entry of a long GOSSIP. */
    make_msg(&msg, MSG_GOSSIP, addr_make(9, 1), 10);
    msg.entries[9].addr.id = 0;
    int len = wire_encode_member(&msg, buf, sizeof buf);
    CU_ASSERT_FATAL(len > 0);
    CU_ASSERT_EQUAL(wire_decode_member(buf, (size_t)len, &out), WIRE_EINVALID);

    /* JOINREQ with 2 entries, with 0 entries, and about someone else. */
    make_msg(&msg, MSG_JOINREQ, addr_make(9, 1), 2);
    len = wire_encode_member(&msg, buf, sizeof buf);
    CU_ASSERT_FATAL(len > 0);
    CU_ASSERT_EQUAL(wire_decode_member(buf, (size_t)len, &out), WIRE_EINVALID);
    make_msg(&msg, MSG_JOINREQ, addr_make(9, 1), 0);
    len = wire_encode_member(&msg, buf, sizeof buf);
    CU_ASSERT_FATAL(len > 0);
    CU_ASSERT_EQUAL(wire_decode_member(buf, (size_t)len, &out), WIRE_EINVALID);
    make_msg(&msg, MSG_JOINREQ, addr_make(9, 1), 1);
    msg.entries[0].addr = addr_make(10, 1); /* other id */
    len = wire_encode_member(&msg, buf, sizeof buf);
    CU_ASSERT_FATAL(len > 0);
    CU_ASSERT_EQUAL(wire_decode_member(buf, (size_t)len, &out), WIRE_EINVALID);
    msg.entries[0].addr = addr_make(9, 2); /* same id, other port */
    len = wire_encode_member(&msg, buf, sizeof buf);
    CU_ASSERT_FATAL(len > 0);
    CU_ASSERT_EQUAL(wire_decode_member(buf, (size_t)len, &out), WIRE_EINVALID);
    /* The same shapes are fine as JOINREP / GOSSIP. */
    buf[2] = MSG_JOINREP;
    CU_ASSERT_EQUAL(wire_decode_member(buf, (size_t)len, &out), WIRE_OK);
}

static void test_encode_no_space(void)
{
    make_msg(&msg, MSG_GOSSIP, addr_make(9, 1), 3);
    int need = WIRE_HEADER_SIZE + 3 * WIRE_ENTRY_SIZE;
    const size_t caps[] = { 0, 1, WIRE_HEADER_SIZE, (size_t)need - 1 };
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        memset(buf, 0xAA, sizeof buf);
        CU_ASSERT_EQUAL(wire_encode_member(&msg, buf, caps[i]), WIRE_ENOSPACE);
        int touched = 0;
        for (size_t j = 0; j < sizeof buf; j++)
            touched += buf[j] != 0xAA;
        CU_ASSERT_EQUAL(touched, 0);
    }
    CU_ASSERT_EQUAL(wire_encode_member(&msg, buf, (size_t)need), need);
    make_msg(&msg, MSG_GOSSIP, addr_make(9, 1), WIRE_MAX_ENTRIES);
    CU_ASSERT_EQUAL(wire_encode_member(&msg, buf, WIRE_MAX_MEMBER_MSG - 1), WIRE_ENOSPACE);
    CU_ASSERT_EQUAL(wire_encode_member(&msg, buf, WIRE_MAX_MEMBER_MSG), WIRE_MAX_MEMBER_MSG);
}

/* 100000 deterministic pseudo-random buffers of length 0..4000, each in an exact-size heap
 * block (ASan catches any read past it). Half are pure noise; half get a plausible header
 * (magic, version, a member type, usually a count that fits the length) so that the deeper
 * checks run too. Every accepted buffer must re-encode to exactly the same bytes. */
/* A pull request may end with a digest (u16 LE length, bytes): the view points at it; a digest
 * cut short, followed by more bytes, or longer than WIRE_MAX_PULL_DIGEST is rejected, and so is
 * the same block after any other message. */
static void test_pull_digest_framing(void)
{
    wire_builder_t b;
    uint8_t *d = NULL;
    wire_build_member(&b, buf, MSG_PULLREQ, addr_make(9, 1));
    wire_build_entry(&b, addr_make(9, 1), 2, 3);
    size_t len = wire_build_end_digest(&b, 5, &d);
    CU_ASSERT_EQUAL_FATAL(len, WIRE_HEADER_SIZE + WIRE_ENTRY_SIZE + 2 + 5);
    CU_ASSERT_PTR_EQUAL(d, buf + WIRE_HEADER_SIZE + WIRE_ENTRY_SIZE + 2);
    memcpy(d, "\x01\x02\x03\x04\x05", 5);
    wire_view_t v;
    CU_ASSERT_EQUAL(wire_view_member(buf, len, &v), WIRE_OK);
    CU_ASSERT(v.digest == d && v.digest_len == 5 && v.count == 1);
    CU_ASSERT_EQUAL(wire_decode_member(buf, len, &out), WIRE_OK);
    for (size_t cut = WIRE_HEADER_SIZE + WIRE_ENTRY_SIZE + 1; cut < len; cut++)
        CU_ASSERT_EQUAL(wire_view_member(buf, cut, &v), WIRE_ETRUNCATED);
    CU_ASSERT_EQUAL(wire_view_member(buf, WIRE_HEADER_SIZE + WIRE_ENTRY_SIZE, &v), WIRE_OK);
    CU_ASSERT_PTR_NULL(v.digest);
    buf[len] = 0;
    CU_ASSERT_EQUAL(wire_view_member(buf, len + 1, &v), WIRE_EOVERSIZED);
    /* An empty digest is a digest. */
    wire_build_member(&b, buf, MSG_PULLREQ, addr_make(9, 1));
    wire_build_entry(&b, addr_make(9, 1), 2, 3);
    len = wire_build_end_digest(&b, 0, &d);
    CU_ASSERT_EQUAL(wire_view_member(buf, len, &v), WIRE_OK);
    CU_ASSERT(v.digest != NULL && v.digest_len == 0);
    /* One byte over the largest digest, all present. */
    static uint8_t big[WIRE_HEADER_SIZE + WIRE_ENTRY_SIZE + 2 + WIRE_MAX_PULL_DIGEST + 1];
    wire_build_member(&b, big, MSG_PULLREQ, addr_make(9, 1));
    wire_build_entry(&b, addr_make(9, 1), 2, 3);
    len = wire_build_end_digest(&b, WIRE_MAX_PULL_DIGEST, &d);
    CU_ASSERT_EQUAL(wire_view_member(big, len, &v), WIRE_OK);
    wire_put16(big + WIRE_HEADER_SIZE + WIRE_ENTRY_SIZE, WIRE_MAX_PULL_DIGEST + 1);
    CU_ASSERT_EQUAL(wire_view_member(big, len + 1, &v), WIRE_EOVERSIZED);
    /* The same block after a ping or a gossip message is trailing bytes. */
    const msg_type_t others[] = { MSG_PING, MSG_GOSSIP, MSG_JOINREQ };
    for (size_t k = 0; k < sizeof others / sizeof others[0]; k++) {
        wire_build_member(&b, buf, others[k], addr_make(9, 1));
        wire_build_entry(&b, addr_make(9, 1), 2, 3);
        len = wire_build_end_digest(&b, 4, &d);
        CU_ASSERT_EQUAL(wire_view_member(buf, len, &v), WIRE_EOVERSIZED);
    }
}

static void test_garbage(void)
{
    rng_t r;
    rng_seed(&r, 0x5EED);
    static uint8_t re[WIRE_MAX_MEMBER_MSG];
    unsigned accepted = 0, mismatched = 0, bad_status = 0;
    for (int iter = 0; iter < 100000; iter++) {
        size_t len = rng_below(&r, 4001);
        int plausible = rng_below(&r, 2) && len >= WIRE_HEADER_SIZE;
        if (plausible && rng_below(&r, 2)) /* a length that is a whole number of entries */
            len = WIRE_HEADER_SIZE + (len - WIRE_HEADER_SIZE) / WIRE_ENTRY_SIZE * WIRE_ENTRY_SIZE;
        uint8_t *b = malloc(len ? len : 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(b);
        for (size_t i = 0; i < len; i++)
            b[i] = (uint8_t)rng_next(&r);
        if (plausible) {
            b[0] = WIRE_MAGIC;
            b[1] = WIRE_VERSION;
            b[2] = (uint8_t)(1 + rng_below(&r, 3));
            size_t fit = (len - WIRE_HEADER_SIZE) / WIRE_ENTRY_SIZE;
            uint16_t count = (uint16_t)(rng_below(&r, 4) ? fit : rng_below(&r, 300));
            if (b[2] == MSG_JOINREQ && rng_below(&r, 2))
                count = 1;
            b[9] = (uint8_t)count;
            b[10] = (uint8_t)(count >> 8);
            if (b[2] == MSG_JOINREQ && len >= WIRE_HEADER_SIZE + WIRE_ENTRY_SIZE &&
                rng_below(&r, 2))
                memcpy(b + 11, b + 3, 6); /* the entry is the sender */
        }
        int st = wire_decode_member(b, len, &out);
        if (st == WIRE_OK) {
            accepted++;
            int n = wire_encode_member(&out, re, sizeof re);
            if (n < 0 || (size_t)n != len || memcmp(re, b, len) != 0)
                mismatched++;
        } else if (st != WIRE_ETRUNCATED && st != WIRE_EOVERSIZED && st != WIRE_EMAGIC &&
                   st != WIRE_ETYPE && st != WIRE_EINVALID) {
            bad_status++;
        }
        free(b);
    }
    CU_ASSERT_EQUAL(mismatched, 0);
    CU_ASSERT_EQUAL(bad_status, 0);
    /* About 12% of the buffers are valid messages (JOINREQs mostly are not): make sure the
     * loop really exercised the accepting path (fixed seed, so the count is deterministic). */
    CU_ASSERT(accepted >= 5000);
}

static void test_strerror(void)
{
    const int statuses[] = { WIRE_OK, WIRE_ETRUNCATED, WIRE_EOVERSIZED, WIRE_EMAGIC,
                             WIRE_ETYPE, WIRE_EINVALID, WIRE_ENOSPACE, -99, 42 };
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        const char *s = wire_strerror(statuses[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT(s[0] != '\0');
    }
    /* Each error has its own text, different from success. */
    for (size_t i = 0; i < 7; i++)
        for (size_t j = i + 1; j < 7; j++)
            CU_ASSERT(strcmp(wire_strerror(statuses[i]), wire_strerror(statuses[j])) != 0);
}

int add_wire_suite(void)
{
    CU_pSuite s = CU_add_suite("wire", NULL, NULL);
    if (!s)
        return CU_get_error();
    if (!CU_add_test(s, "round trip JOINREQ", test_round_trip_joinreq) ||
        !CU_add_test(s, "round trip JOINREP 0/1/max entries", test_round_trip_joinrep) ||
        !CU_add_test(s, "round trip GOSSIP 0/1/max entries", test_round_trip_gossip) ||
        !CU_add_test(s, "exact little-endian byte layout", test_exact_layout) ||
        !CU_add_test(s, "every truncation is rejected", test_truncation) ||
        !CU_add_test(s, "trailing bytes and count > max are oversized", test_oversized) ||
        !CU_add_test(s, "a pull request's digest: framing, limits, only after a pull request",
                     test_pull_digest_framing) ||
        !CU_add_test(s, "bad magic, version, type", test_bad_magic_version_type) ||
        !CU_add_test(s, "invalid fields: id 0, bad JOINREQ", test_invalid_fields) ||
        !CU_add_test(s, "encode into a too-small buffer", test_encode_no_space) ||
        !CU_add_test(s, "random garbage never crashes, accepts re-encode", test_garbage) ||
        !CU_add_test(s, "wire_strerror for every status", test_strerror))
        return CU_get_error();
    return CUE_SUCCESS;
}
