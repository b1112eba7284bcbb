/* test_ring.c: CUnit suite for the consistent-hash ring: SHA-256 positions (checked against
 * known digests and an independent OpenSSL computation), ring_build's order and duplicate
 * removal, replica placement against a brute-force model (wrap-around, exact positions, fewer
 * than 3 nodes, equal positions), ring_contains, and the shared position cache. */
#include <CUnit/CUnit.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ring.h"
#include "rng.h"
#include "suites.h"

static addr_t A(uint32_t id)
{
    return addr_make(id, 0);
}

/* The first 8 bytes of SHA-256(data), big-endian, computed without ring.c. */
static uint64_t sha_prefix(const void *data, size_t len)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, len, md);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | md[i];
    return v;
}

/* Is r sorted strictly by (pos, addr_key)? */
static bool strictly_sorted(const ring_t *r)
{
    for (size_t i = 1; i < r->n; i++) {
        const ring_node_t *a = &r->nodes[i - 1], *b = &r->nodes[i];
        if (a->pos > b->pos || (a->pos == b->pos && addr_key(a->addr) >= addr_key(b->addr)))
            return false;
    }
    return true;
}

/* Brute-force replicas: scan the sorted nodes for the first at or after pos, wrap, take up to
 * three. */
static size_t model_replicas(const ring_t *r, uint64_t pos, addr_t out[RING_REPLICAS])
{
    if (r->n == 0)
        return 0;
    size_t first = 0;
    bool found = false;
    for (size_t i = 0; i < r->n && !found; i++)
        if (r->nodes[i].pos >= pos) {
            first = i;
            found = true;
        }
    size_t k = r->n < RING_REPLICAS ? r->n : RING_REPLICAS;
    for (size_t j = 0; j < k; j++)
        out[j] = r->nodes[(first + j) % r->n].addr;
    return k;
}

static bool same_addrs(const addr_t *a, const addr_t *b, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (!addr_eq(a[i], b[i]))
            return false;
    return true;
}

/* ================================================================ hashing */

static void test_hash_known_digests(void)
{
    /* printf '1.0.0.0:0' | sha256sum -> a333ecd4437dd455 39ba... */
    CU_ASSERT_EQUAL(ring_hash("1.0.0.0:0", 9), 0xa333ecd4437dd455ULL);
    /* sha256("") = e3b0c44298fc1c14..., sha256("abc") = ba7816bf8f01cfea... */
    CU_ASSERT_EQUAL(ring_hash("", 0), 0xe3b0c44298fc1c14ULL);
    CU_ASSERT_EQUAL(ring_hash("abc", 3), 0xba7816bf8f01cfeaULL);
    /* only len bytes count */
    CU_ASSERT_EQUAL(ring_hash("abcdef", 3), 0xba7816bf8f01cfeaULL);
    CU_ASSERT_EQUAL(ring_node_position(A(1)), 0xa333ecd4437dd455ULL);
}

/* Random byte strings of 0..200 bytes: ring_hash equals the independently computed prefix. */
static void test_hash_matches_openssl(void)
{
    rng_t rng;
    rng_seed(&rng, 11);
    unsigned char data[200];
    unsigned wrong = 0;
    for (int iter = 0; iter < 2000; iter++) {
        size_t len = rng_below(&rng, sizeof data + 1);
        for (size_t i = 0; i < len; i++)
            data[i] = (unsigned char)rng_next(&rng);
        wrong += ring_hash(data, len) != sha_prefix(data, len);
    }
    CU_ASSERT_EQUAL(wrong, 0);
}

/* A node's position is the hash of its classic text form, port included. */
static void test_node_position_is_text_hash(void)
{
    const addr_t addrs[] = { A(1), A(2), A(10), A(300), addr_make(1, 1), addr_make(300, 8080),
                             addr_make(0xFFFFFFFFu, 65535), addr_make(0x01020304u, 7) };
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        char text[ADDR_STRLEN];
        addr_format(addrs[i], text);
        CU_ASSERT_EQUAL(ring_node_position(addrs[i]), sha_prefix(text, strlen(text)));
        CU_ASSERT_EQUAL(ring_node_position(addrs[i]), ring_hash(text, strlen(text)));
    }
    /* "44.1.0.0:0" is id 300 */
    CU_ASSERT_EQUAL(ring_node_position(A(300)), sha_prefix("44.1.0.0:0", 10));
    /* the port changes the position */
    CU_ASSERT_NOT_EQUAL(ring_node_position(A(1)), ring_node_position(addr_make(1, 1)));
}

/* ================================================================ ring_build */

/* The sort orders by the top 16 bits of the position first, then fixes the rest: 20,000
 * addresses (in reverse order) include thousands of pairs whose positions share those bits, and
 * the ring must still be in the whole (position, address) order. */
static void test_build_sorted_shared_top_bits(void)
{
    enum { N = 20000 };
    addr_t *in = malloc(N * sizeof *in);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    for (uint32_t i = 0; i < N; i++)
        in[i] = A(N - i);
    ring_t r;
    ring_init(&r);
    CU_ASSERT_EQUAL_FATAL(ring_build(&r, in, N, NULL), 0);
    CU_ASSERT_EQUAL(r.n, N);
    CU_ASSERT_TRUE(strictly_sorted(&r));
    unsigned shared = 0;
    for (size_t i = 1; i < r.n; i++)
        shared += r.nodes[i - 1].pos >> 48 == r.nodes[i].pos >> 48;
    CU_ASSERT(shared >= 10); /* the fix-up really ran (fixed addresses: the count is fixed) */
    ring_free(&r);
    free(in);
}

static void test_build_sorted_dedup(void)
{
    enum { N = 500 };
    addr_t in[3 * N];
    rng_t rng;
    rng_seed(&rng, 12);
    /* every address three times, shuffled */
    for (uint32_t i = 0; i < 3 * N; i++)
        in[i] = A(1 + i % N);
    for (uint32_t i = 3 * N - 1; i > 0; i--) {
        uint32_t j = rng_below(&rng, i + 1);
        addr_t t = in[i];
        in[i] = in[j];
        in[j] = t;
    }
    ring_t r;
    ring_init(&r);
    CU_ASSERT_EQUAL(r.n, 0);
    CU_ASSERT_EQUAL_FATAL(ring_build(&r, in, 3 * N, NULL), 0);
    CU_ASSERT_EQUAL(r.n, N);
    CU_ASSERT_TRUE(strictly_sorted(&r));
    bool seen[N + 1] = { false };
    unsigned badpos = 0, dup = 0;
    for (size_t i = 0; i < r.n; i++) {
        uint32_t id = r.nodes[i].addr.id;
        CU_ASSERT_FATAL(id >= 1 && id <= N);
        dup += seen[id];
        seen[id] = true;
        badpos += r.nodes[i].pos != ring_node_position(r.nodes[i].addr);
    }
    CU_ASSERT_EQUAL(dup, 0);
    CU_ASSERT_EQUAL(badpos, 0);

    /* same ring with a cache */
    ring_poscache_t *c = ring_poscache_new();
    CU_ASSERT_FATAL(c != NULL);
    ring_t r2;
    ring_init(&r2);
    CU_ASSERT_EQUAL_FATAL(ring_build(&r2, in, 3 * N, c), 0);
    CU_ASSERT_EQUAL_FATAL(r2.n, r.n);
    unsigned diff = 0;
    for (size_t i = 0; i < r.n; i++)
        diff += r.nodes[i].pos != r2.nodes[i].pos || !addr_eq(r.nodes[i].addr, r2.nodes[i].addr);
    CU_ASSERT_EQUAL(diff, 0);

    /* rebuilding replaces the nodes: a smaller set, then the same address twice, then none */
    addr_t few[] = { A(7), A(3), A(7), A(9), A(3) };
    CU_ASSERT_EQUAL_FATAL(ring_build(&r, few, 5, c), 0);
    CU_ASSERT_EQUAL(r.n, 3);
    CU_ASSERT_TRUE(strictly_sorted(&r));
    bool s3 = false, s7 = false, s9 = false;
    for (size_t i = 0; i < r.n; i++) {
        s3 |= r.nodes[i].addr.id == 3;
        s7 |= r.nodes[i].addr.id == 7;
        s9 |= r.nodes[i].addr.id == 9;
    }
    CU_ASSERT_TRUE(s3 && s7 && s9);
    addr_t twice[] = { A(5), A(5) };
    CU_ASSERT_EQUAL_FATAL(ring_build(&r, twice, 2, c), 0);
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_TRUE(addr_eq(r.nodes[0].addr, A(5)));
    /* same id, different ports: two distinct nodes */
    addr_t ports[] = { addr_make(5, 1), addr_make(5, 0), addr_make(5, 1) };
    CU_ASSERT_EQUAL_FATAL(ring_build(&r, ports, 3, c), 0);
    CU_ASSERT_EQUAL(r.n, 2);
    CU_ASSERT_EQUAL(ring_build(&r, NULL, 0, c), 0);
    CU_ASSERT_EQUAL(r.n, 0);
    ring_free(&r);
    ring_free(&r2);
    ring_poscache_free(c);
}

/* ================================================================ ring_replicas */

/* 10 nodes; for many random positions and every node position (exactly, one before, one
 * after), ring_replicas agrees with the brute-force model. */
static void test_replicas_model(void)
{
    addr_t in[10];
    for (uint32_t i = 0; i < 10; i++)
        in[i] = A(i + 1);
    ring_t r;
    ring_init(&r);
    CU_ASSERT_EQUAL_FATAL(ring_build(&r, in, 10, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(r.n, 10);
    rng_t rng;
    rng_seed(&rng, 13);
    unsigned wrong = 0, wrongk = 0;
    addr_t got[RING_REPLICAS], want[RING_REPLICAS];
    for (int iter = 0; iter < 20000; iter++) {
        uint64_t pos = rng_next(&rng);
        if (iter < 34) { /* edges and node positions -1, exact, +1 */
            const uint64_t fixed[] = { 0, 1, UINT64_MAX, UINT64_MAX - 1 };
            if (iter < 4)
                pos = fixed[iter];
            else
                pos = r.nodes[(iter - 4) % 10].pos + (uint64_t)((iter - 4) / 10) - 1;
        }
        size_t k = ring_replicas(&r, pos, got);
        size_t kw = model_replicas(&r, pos, want);
        wrongk += k != 3 || kw != 3;
        wrong += !same_addrs(got, want, 3);
    }
    CU_ASSERT_EQUAL(wrongk, 0);
    CU_ASSERT_EQUAL(wrong, 0);
    ring_free(&r);
}

/* Hand-checked placements on a built ring: exactly at a node, just after it, past the last
 * node (wrap-around), at the last and second-to-last node. */
static void test_replicas_edges(void)
{
    addr_t in[6];
    for (uint32_t i = 0; i < 6; i++)
        in[i] = A(100 + i);
    ring_t r;
    ring_init(&r);
    CU_ASSERT_EQUAL_FATAL(ring_build(&r, in, 6, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(r.n, 6);
    const ring_node_t *nd = r.nodes;
    addr_t out[RING_REPLICAS];
    /* exactly at node 2's position: node 2 is the primary */
    CU_ASSERT_EQUAL(ring_replicas(&r, nd[2].pos, out), 3);
    CU_ASSERT_TRUE(addr_eq(out[0], nd[2].addr) && addr_eq(out[1], nd[3].addr) &&
                   addr_eq(out[2], nd[4].addr));
    /* one before node 2's position: still node 2 first (nodes have distinct positions) */
    CU_ASSERT_FATAL(nd[2].pos - 1 > nd[1].pos);
    CU_ASSERT_EQUAL(ring_replicas(&r, nd[2].pos - 1, out), 3);
    CU_ASSERT_TRUE(addr_eq(out[0], nd[2].addr));
    /* one after: node 3 first */
    CU_ASSERT_EQUAL(ring_replicas(&r, nd[2].pos + 1, out), 3);
    CU_ASSERT_TRUE(addr_eq(out[0], nd[3].addr) && addr_eq(out[1], nd[4].addr) &&
                   addr_eq(out[2], nd[5].addr));
    /* at the second-to-last node: wraps to node 0 */
    CU_ASSERT_EQUAL(ring_replicas(&r, nd[4].pos, out), 3);
    CU_ASSERT_TRUE(addr_eq(out[0], nd[4].addr) && addr_eq(out[1], nd[5].addr) &&
                   addr_eq(out[2], nd[0].addr));
    /* at the last node */
    CU_ASSERT_EQUAL(ring_replicas(&r, nd[5].pos, out), 3);
    CU_ASSERT_TRUE(addr_eq(out[0], nd[5].addr) && addr_eq(out[1], nd[0].addr) &&
                   addr_eq(out[2], nd[1].addr));
    /* past the last node, and at the very top of the ring: wraps to node 0 */
    if (nd[5].pos < UINT64_MAX) {
        CU_ASSERT_EQUAL(ring_replicas(&r, nd[5].pos + 1, out), 3);
        CU_ASSERT_TRUE(addr_eq(out[0], nd[0].addr) && addr_eq(out[1], nd[1].addr) &&
                       addr_eq(out[2], nd[2].addr));
    }
    CU_ASSERT_EQUAL(ring_replicas(&r, UINT64_MAX, out), 3);
    CU_ASSERT_TRUE(addr_eq(out[0], nd[0].addr) && addr_eq(out[1], nd[1].addr) &&
                   addr_eq(out[2], nd[2].addr));
    /* position 0: the first node */
    CU_ASSERT_EQUAL(ring_replicas(&r, 0, out), 3);
    CU_ASSERT_TRUE(addr_eq(out[0], nd[0].addr) && addr_eq(out[1], nd[1].addr) &&
                   addr_eq(out[2], nd[2].addr));
    /* a key position: the key "k" */
    uint64_t kp = ring_hash("k", 1);
    addr_t want[RING_REPLICAS];
    CU_ASSERT_EQUAL(ring_replicas(&r, kp, out), 3);
    model_replicas(&r, kp, want);
    CU_ASSERT_TRUE(same_addrs(out, want, 3));
    ring_free(&r);
}

/* 0, 1 and 2 nodes: as many replicas as nodes, distinct, in ring order from the key. */
static void test_replicas_small_rings(void)
{
    ring_t r;
    ring_init(&r);
    addr_t out[RING_REPLICAS] = { A(77), A(77), A(77) };
    CU_ASSERT_EQUAL(ring_replicas(&r, 12345, out), 0);
    CU_ASSERT_EQUAL(ring_build(&r, NULL, 0, NULL), 0);
    CU_ASSERT_EQUAL(ring_replicas(&r, 0, out), 0);
    CU_ASSERT_EQUAL(ring_replicas(&r, UINT64_MAX, out), 0);
    CU_ASSERT_TRUE(addr_eq(out[0], A(77))); /* nothing written */

    addr_t one = A(4);
    CU_ASSERT_EQUAL_FATAL(ring_build(&r, &one, 1, NULL), 0);
    const uint64_t probes[] = { 0, 1, ring_node_position(one), ring_node_position(one) + 1,
                                UINT64_MAX };
    for (size_t i = 0; i < 5; i++) {
        out[1] = A(77);
        CU_ASSERT_EQUAL(ring_replicas(&r, probes[i], out), 1);
        CU_ASSERT_TRUE(addr_eq(out[0], one));
        CU_ASSERT_TRUE(addr_eq(out[1], A(77))); /* only one written */
    }

    addr_t two[] = { A(4), A(9) };
    CU_ASSERT_EQUAL_FATAL(ring_build(&r, two, 2, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(r.n, 2);
    const ring_node_t *nd = r.nodes;
    const uint64_t p2[] = { 0, nd[0].pos, nd[0].pos + 1, nd[1].pos, nd[1].pos + 1, UINT64_MAX };
    for (size_t i = 0; i < 6; i++) {
        out[2] = A(77);
        addr_t want[RING_REPLICAS];
        CU_ASSERT_EQUAL(ring_replicas(&r, p2[i], out), 2);
        model_replicas(&r, p2[i], want);
        CU_ASSERT_TRUE(same_addrs(out, want, 2));
        CU_ASSERT_FALSE(addr_eq(out[0], out[1]));
        CU_ASSERT_TRUE(addr_eq(out[2], A(77)));
    }
    /* exactly at the second node: it is first */
    ring_replicas(&r, nd[1].pos, out);
    CU_ASSERT_TRUE(addr_eq(out[0], nd[1].addr) && addr_eq(out[1], nd[0].addr));
    ring_free(&r);
}

/* Equal positions, on a ring made by hand: ties are ordered by address, and a key at the
 * shared position starts with the smallest address. */
static void test_replicas_equal_positions(void)
{
    ring_node_t nodes[] = {
        { 100, { 5, 0 }, 0 }, { 100, { 7, 0 }, 0 }, { 100, { 7, 3 }, 0 }, { 200, { 3, 0 }, 0 }, { 300, { 9, 0 }, 0 },
    };
    ring_t r = { nodes, 5, 5 };
    addr_t out[RING_REPLICAS];
    CU_ASSERT_EQUAL(ring_replicas(&r, 100, out), 3);
    CU_ASSERT_TRUE(addr_eq(out[0], A(5)) && addr_eq(out[1], A(7)) &&
                   addr_eq(out[2], addr_make(7, 3)));
    CU_ASSERT_EQUAL(ring_replicas(&r, 50, out), 3);
    CU_ASSERT_TRUE(addr_eq(out[0], A(5)) && addr_eq(out[1], A(7)) &&
                   addr_eq(out[2], addr_make(7, 3)));
    CU_ASSERT_EQUAL(ring_replicas(&r, 101, out), 3);
    CU_ASSERT_TRUE(addr_eq(out[0], A(3)) && addr_eq(out[1], A(9)) && addr_eq(out[2], A(5)));
    CU_ASSERT_EQUAL(ring_replicas(&r, 300, out), 3);
    CU_ASSERT_TRUE(addr_eq(out[0], A(9)) && addr_eq(out[1], A(5)) && addr_eq(out[2], A(7)));
    CU_ASSERT_EQUAL(ring_replicas(&r, 301, out), 3); /* wraps onto the tie */
    CU_ASSERT_TRUE(addr_eq(out[0], A(5)) && addr_eq(out[1], A(7)) &&
                   addr_eq(out[2], addr_make(7, 3)));
    /* ring_contains tells tied nodes apart by address and needs the right position */
    CU_ASSERT_TRUE(ring_contains(&r, A(5), 100));
    CU_ASSERT_TRUE(ring_contains(&r, A(7), 100));
    CU_ASSERT_TRUE(ring_contains(&r, addr_make(7, 3), 100));
    CU_ASSERT_FALSE(ring_contains(&r, addr_make(7, 1), 100));
    CU_ASSERT_FALSE(ring_contains(&r, A(6), 100));
    CU_ASSERT_FALSE(ring_contains(&r, A(8), 100));
    CU_ASSERT_FALSE(ring_contains(&r, A(3), 100));
    CU_ASSERT_TRUE(ring_contains(&r, A(3), 200));
    CU_ASSERT_TRUE(ring_contains(&r, A(9), 300));
    CU_ASSERT_FALSE(ring_contains(&r, A(10), 300));
    CU_ASSERT_FALSE(ring_contains(&r, A(9), 301));

    /* every node at one position: the three smallest addresses */
    ring_node_t same[] = { { 42, { 1, 0 }, 0 }, { 42, { 2, 0 }, 0 }, { 42, { 3, 0 }, 0 }, { 42, { 4, 0 }, 0 } };
    ring_t s = { same, 4, 4 };
    const uint64_t p[] = { 0, 41, 42, 43, UINT64_MAX };
    for (size_t i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(ring_replicas(&s, p[i], out), 3);
        CU_ASSERT_TRUE(addr_eq(out[0], A(1)) && addr_eq(out[1], A(2)) && addr_eq(out[2], A(3)));
    }
    for (uint32_t id = 1; id <= 4; id++)
        CU_ASSERT_TRUE(ring_contains(&s, A(id), 42));
    CU_ASSERT_FALSE(ring_contains(&s, A(5), 42));
    CU_ASSERT_FALSE(ring_contains(&s, A(0), 42));
}

/* ================================================================ ring_contains */

static void test_contains(void)
{
    ring_t r;
    ring_init(&r);
    CU_ASSERT_FALSE(ring_contains(&r, A(1), ring_node_position(A(1))));
    addr_t in[50];
    for (uint32_t i = 0; i < 50; i++)
        in[i] = A(2 * i + 1); /* odd ids */
    CU_ASSERT_EQUAL_FATAL(ring_build(&r, in, 50, NULL), 0);
    unsigned wrong = 0;
    for (uint32_t id = 1; id <= 100; id++) {
        uint64_t pos = ring_node_position(A(id));
        wrong += ring_contains(&r, A(id), pos) != (id % 2 == 1);
        /* a member at a position that is not its own is not found */
        wrong += ring_contains(&r, A(id), pos + 1);
        wrong += ring_contains(&r, addr_make(id, 1), ring_node_position(addr_make(id, 1)));
    }
    CU_ASSERT_EQUAL(wrong, 0);
    addr_t one = A(8);
    CU_ASSERT_EQUAL_FATAL(ring_build(&r, &one, 1, NULL), 0);
    CU_ASSERT_TRUE(ring_contains(&r, one, ring_node_position(one)));
    CU_ASSERT_FALSE(ring_contains(&r, A(1), ring_node_position(A(1))));
    CU_ASSERT_FALSE(ring_contains(&r, A(1), ring_node_position(one)));
    ring_free(&r);
}

/* ================================================================ position cache */

/* 20000 addresses (ids and ports): the cache returns ring_node_position on first and later
 * lookups, through many growths; a NULL cache computes it. */
static void test_poscache(void)
{
    enum { N = 20000 };
    ring_poscache_t *c = ring_poscache_new();
    CU_ASSERT_FATAL(c != NULL);
    static addr_t addrs[N];
    static uint64_t want[N];
    rng_t rng;
    rng_seed(&rng, 14);
    for (uint32_t i = 0; i < N; i++) {
        switch (i % 4) {
        case 0: addrs[i] = A(i + 1); break;
        case 1: addrs[i] = addr_make(i + 1, (uint16_t)(i * 31)); break;
        case 2: addrs[i] = addr_make((uint32_t)rng_next(&rng) | 1u, (uint16_t)rng_next(&rng)); break;
        default: addrs[i] = addr_make(0xFFFFFFFFu - i, 65535); break;
        }
        want[i] = ring_node_position(addrs[i]);
    }
    unsigned wrong = 0;
    for (uint32_t i = 0; i < N; i++) {
        wrong += ring_poscache_get(c, addrs[i]) != want[i];
        wrong += ring_poscache_get(c, addrs[i]) != want[i]; /* hit */
        if (i % 1000 == 999) /* every earlier address survives the growths */
            for (uint32_t j = 0; j <= i; j += 7)
                wrong += ring_poscache_get(c, addrs[j]) != want[j];
    }
    for (uint32_t i = N; i-- > 0;)
        wrong += ring_poscache_get(c, addrs[i]) != want[i];
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(ring_poscache_get(NULL, A(1)), 0xa333ecd4437dd455ULL);
    CU_ASSERT_EQUAL(ring_poscache_get(c, A(1)), 0xa333ecd4437dd455ULL);
    ring_poscache_free(c);
    ring_poscache_free(NULL);
}

int add_ring_suite(void)
{
    CU_pSuite s = CU_add_suite("ring", NULL, NULL);
    if (!s)
        return CU_get_error();
    static const struct {
        const char *name;
        CU_TestFunc fn;
    } tests[] = {
        { "ring_hash: known SHA-256 prefixes, big-endian", test_hash_known_digests },
        { "ring_hash matches an independent SHA-256", test_hash_matches_openssl },
        { "node position = hash of the address text", test_node_position_is_text_hash },
        { "ring_build sorts, removes duplicates, rebuilds", test_build_sorted_dedup },
        { "ring_build sorts positions that share their top bits", test_build_sorted_shared_top_bits },
        { "replicas agree with a brute-force model", test_replicas_model },
        { "replicas: exact position, wrap-around", test_replicas_edges },
        { "replicas with 0, 1 and 2 nodes", test_replicas_small_rings },
        { "equal positions ordered by address", test_replicas_equal_positions },
        { "ring_contains", test_contains },
        { "position cache = ring_node_position, grows", test_poscache },
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (!CU_add_test(s, tests[i].name, tests[i].fn))
            return CU_get_error();
    return CUE_SUCCESS;
}
