/* test_store.c: CUnit suite for the local versioned key-value table: put/get, version order,
 * tombstones, removal (linear-probing deletion and the move of the last item, checked against
 * a reference model over random operations), iteration, prefix-sharing keys and growth. */
#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "store.h"
#include "suites.h"
#include "wire.h"

static kv_version_t V(uint64_t stamp, uint32_t node)
{
    kv_version_t v = { stamp, node };
    return v;
}

static bool ver_eq(kv_version_t a, kv_version_t b)
{
    return a.stamp == b.stamp && a.node == b.node;
}

static int put_s(store_t *s, const char *key, const char *value, kv_version_t v, bool deleted,
                 uint64_t pos)
{
    return store_put(s, key, strlen(key), value, strlen(value), v, deleted, pos);
}

static const store_item_t *get_s(const store_t *s, const char *key)
{
    return store_get(s, key, strlen(key));
}

/* The item is there, consistent, with this value / version / deleted flag. */
static bool item_is(const store_t *s, const char *key, const char *value, kv_version_t v,
                    bool deleted)
{
    const store_item_t *it = get_s(s, key);
    if (!it)
        return false;
    size_t kl = strlen(key), vl = strlen(value);
    return it->klen == kl && memcmp(it->key, key, kl) == 0 && it->key[kl] == '\0' &&
           it->vlen == vl && strcmp(it->value, value) == 0 && it->deleted == deleted &&
           ver_eq(it->version, v);
}

/* ================================================================ basics */

static void test_put_get(void)
{
    store_t *s = store_new();
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_PTR_NULL(get_s(s, "k"));
    CU_ASSERT_EQUAL(store_size(s), 0);
    CU_ASSERT_EQUAL(store_live_count(s), 0);

    char key[8] = "k", val[8] = "v1";
    CU_ASSERT_EQUAL(store_put(s, key, 1, val, 2, V(5, 1), false, 1234), STORE_APPLIED);
    /* the store owns copies */
    key[0] = 'x';
    val[0] = 'X';
    const store_item_t *it = get_s(s, "k");
    CU_ASSERT_PTR_NOT_NULL_FATAL(it);
    CU_ASSERT_STRING_EQUAL(it->key, "k");
    CU_ASSERT_STRING_EQUAL(it->value, "v1");
    CU_ASSERT_EQUAL(it->klen, 1);
    CU_ASSERT_EQUAL(it->vlen, 2);
    CU_ASSERT_FALSE(it->deleted);
    CU_ASSERT_TRUE(ver_eq(it->version, V(5, 1)));
    CU_ASSERT_EQUAL(it->pos, 1234);
    CU_ASSERT_PTR_NULL(get_s(s, "x"));
    CU_ASSERT_EQUAL(store_size(s), 1);
    CU_ASSERT_EQUAL(store_live_count(s), 1);

    /* key and value are taken by length, not up to a NUL */
    CU_ASSERT_EQUAL(store_put(s, "abcdef", 3, "123456", 2, V(1, 1), false, 0), STORE_APPLIED);
    CU_ASSERT_TRUE(item_is(s, "abc", "12", V(1, 1), false));
    CU_ASSERT_PTR_NULL(get_s(s, "abcdef"));
    CU_ASSERT_PTR_NULL(store_get(s, "abcdef", 2));
    CU_ASSERT_PTR_NOT_NULL(store_get(s, "abcdef", 3));

    /* empty value, and maximal key and value */
    CU_ASSERT_EQUAL(put_s(s, "empty", "", V(1, 1), false, 0), STORE_APPLIED);
    CU_ASSERT_TRUE(item_is(s, "empty", "", V(1, 1), false));
    static char bigk[KV_MAX_KEY + 1], bigv[KV_MAX_VALUE + 1];
    memset(bigk, 'K', KV_MAX_KEY);
    memset(bigv, 'V', KV_MAX_VALUE);
    CU_ASSERT_EQUAL(put_s(s, bigk, bigv, V(1, 1), false, 0), STORE_APPLIED);
    CU_ASSERT_TRUE(item_is(s, bigk, bigv, V(1, 1), false));
    CU_ASSERT_EQUAL(store_size(s), 4);
    CU_ASSERT_EQUAL(store_live_count(s), 4);
    store_free(s);
    store_free(NULL);
}

/* Newer stamp wins; equal stamp: larger node wins; equal version and older ones are stale and
 * keep the value (and position). */
static void test_version_order(void)
{
    store_t *s = store_new();
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(put_s(s, "k", "a", V(5, 3), false, 10), STORE_APPLIED);
    CU_ASSERT_EQUAL(put_s(s, "k", "b", V(6, 1), false, 10), STORE_APPLIED);
    CU_ASSERT_TRUE(item_is(s, "k", "b", V(6, 1), false));
    CU_ASSERT_EQUAL(put_s(s, "k", "c", V(6, 2), false, 10), STORE_APPLIED);
    CU_ASSERT_TRUE(item_is(s, "k", "c", V(6, 2), false));
    CU_ASSERT_EQUAL(put_s(s, "k", "d", V(6, 2), false, 99), STORE_STALE); /* equal */
    CU_ASSERT_TRUE(item_is(s, "k", "c", V(6, 2), false));
    CU_ASSERT_EQUAL(put_s(s, "k", "e", V(6, 1), false, 99), STORE_STALE); /* smaller node */
    CU_ASSERT_EQUAL(put_s(s, "k", "f", V(5, 999), false, 99), STORE_STALE); /* older stamp */
    CU_ASSERT_EQUAL(put_s(s, "k", "g", V(0, 0), false, 99), STORE_STALE);
    CU_ASSERT_EQUAL(put_s(s, "k", "h", V(1, UINT32_MAX), true, 99), STORE_STALE); /* old delete */
    CU_ASSERT_TRUE(item_is(s, "k", "c", V(6, 2), false));
    CU_ASSERT_EQUAL(get_s(s, "k")->pos, 10);
    /* the stamp dominates the node */
    CU_ASSERT_EQUAL(put_s(s, "k", "i", V(7, 0), false, 10), STORE_APPLIED);
    CU_ASSERT_TRUE(item_is(s, "k", "i", V(7, 0), false));
    CU_ASSERT_EQUAL(put_s(s, "k", "j", V(UINT64_MAX, UINT32_MAX), false, 10), STORE_APPLIED);
    CU_ASSERT_EQUAL(put_s(s, "k", "l", V(UINT64_MAX, UINT32_MAX), false, 10), STORE_STALE);
    CU_ASSERT_TRUE(item_is(s, "k", "j", V(UINT64_MAX, UINT32_MAX), false));
    CU_ASSERT_EQUAL(store_size(s), 1);
    CU_ASSERT_EQUAL(store_live_count(s), 1);
    /* a first version of 0.0 is still applied: there is nothing to compare with */
    CU_ASSERT_EQUAL(put_s(s, "z", "zero", V(0, 0), false, 0), STORE_APPLIED);
    CU_ASSERT_TRUE(item_is(s, "z", "zero", V(0, 0), false));
    /* versions are per key */
    CU_ASSERT_EQUAL(put_s(s, "y", "old", V(1, 1), false, 0), STORE_APPLIED);
    CU_ASSERT_TRUE(item_is(s, "y", "old", V(1, 1), false));
    store_free(s);
}

/* Deletions stay as tombstones with an empty value; older writes cannot resurrect the key, a
 * newer one can. */
static void test_tombstones(void)
{
    store_t *s = store_new();
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(put_s(s, "k", "v", V(5, 1), false, 7), STORE_APPLIED);
    CU_ASSERT_EQUAL(put_s(s, "other", "o", V(5, 1), false, 8), STORE_APPLIED);
    CU_ASSERT_EQUAL(store_live_count(s), 2);
    /* a delete carrying a value: the tombstone's value is still "" */
    CU_ASSERT_EQUAL(put_s(s, "k", "ignored", V(6, 1), true, 7), STORE_APPLIED);
    const store_item_t *it = get_s(s, "k");
    CU_ASSERT_PTR_NOT_NULL_FATAL(it);
    CU_ASSERT_TRUE(it->deleted);
    CU_ASSERT_STRING_EQUAL(it->value, "");
    CU_ASSERT_EQUAL(it->vlen, 0);
    CU_ASSERT_TRUE(ver_eq(it->version, V(6, 1)));
    CU_ASSERT_EQUAL(store_size(s), 2);
    CU_ASSERT_EQUAL(store_live_count(s), 1);
    /* older or equal writes do not bring it back */
    CU_ASSERT_EQUAL(put_s(s, "k", "back", V(5, 9), false, 7), STORE_STALE);
    CU_ASSERT_EQUAL(put_s(s, "k", "back", V(6, 1), false, 7), STORE_STALE);
    CU_ASSERT_TRUE(item_is(s, "k", "", V(6, 1), true));
    CU_ASSERT_EQUAL(store_live_count(s), 1);
    /* deleting again with a newer version: still one tombstone, live count unchanged */
    CU_ASSERT_EQUAL(put_s(s, "k", "", V(7, 1), true, 7), STORE_APPLIED);
    CU_ASSERT_TRUE(item_is(s, "k", "", V(7, 1), true));
    CU_ASSERT_EQUAL(store_live_count(s), 1);
    /* a newer create after the tombstone */
    CU_ASSERT_EQUAL(put_s(s, "k", "again", V(8, 1), false, 7), STORE_APPLIED);
    CU_ASSERT_TRUE(item_is(s, "k", "again", V(8, 1), false));
    CU_ASSERT_EQUAL(store_size(s), 2);
    CU_ASSERT_EQUAL(store_live_count(s), 2);
    /* a stale tombstone does not delete */
    CU_ASSERT_EQUAL(put_s(s, "k", "", V(7, 5), true, 7), STORE_STALE);
    CU_ASSERT_TRUE(item_is(s, "k", "again", V(8, 1), false));
    CU_ASSERT_EQUAL(store_live_count(s), 2);
    /* a tombstone for a key never seen is kept */
    CU_ASSERT_EQUAL(put_s(s, "ghost", "x", V(3, 3), true, 1), STORE_APPLIED);
    CU_ASSERT_TRUE(item_is(s, "ghost", "", V(3, 3), true));
    CU_ASSERT_EQUAL(store_size(s), 3);
    CU_ASSERT_EQUAL(store_live_count(s), 2);
    CU_ASSERT_EQUAL(put_s(s, "ghost", "x", V(3, 2), false, 1), STORE_STALE);
    /* removing a tombstone does not change the live count; removing a live item does */
    CU_ASSERT_TRUE(store_remove(s, "ghost", 5));
    CU_ASSERT_EQUAL(store_size(s), 2);
    CU_ASSERT_EQUAL(store_live_count(s), 2);
    CU_ASSERT_TRUE(store_remove(s, "k", 1));
    CU_ASSERT_EQUAL(store_size(s), 1);
    CU_ASSERT_EQUAL(store_live_count(s), 1);
    /* after removal the key is forgotten: any version is accepted again */
    CU_ASSERT_EQUAL(put_s(s, "k", "old", V(1, 1), false, 7), STORE_APPLIED);
    CU_ASSERT_TRUE(item_is(s, "k", "old", V(1, 1), false));
    CU_ASSERT_EQUAL(store_live_count(s), 2);
    store_free(s);
}

/* ================================================================ removal */

static void test_remove_basic(void)
{
    store_t *s = store_new();
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_FALSE(store_remove(s, "k", 1));
    CU_ASSERT_EQUAL(put_s(s, "k", "v", V(1, 1), false, 0), STORE_APPLIED);
    CU_ASSERT_FALSE(store_remove(s, "kk", 2));
    CU_ASSERT_FALSE(store_remove(s, "x", 1));
    CU_ASSERT_TRUE(store_remove(s, "k", 1));
    CU_ASSERT_PTR_NULL(get_s(s, "k"));
    CU_ASSERT_FALSE(store_remove(s, "k", 1));
    CU_ASSERT_EQUAL(store_size(s), 0);
    CU_ASSERT_EQUAL(store_live_count(s), 0);
    store_free(s);
}

/* Removing item i moves the last item into slot i, and that item is still found. */
static void test_remove_moves_last(void)
{
    store_t *s = store_new();
    CU_ASSERT_FATAL(s != NULL);
    char key[16];
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "key%d", i);
        CU_ASSERT_EQUAL(put_s(s, key, key, V(1, 1), false, (uint64_t)i), STORE_APPLIED);
    }
    while (store_size(s) > 0) {
        size_t n = store_size(s), i = n / 3;
        char victim[16], last[16];
        snprintf(victim, sizeof victim, "%s", store_at(s, i)->key);
        snprintf(last, sizeof last, "%s", store_at(s, n - 1)->key);
        CU_ASSERT_TRUE(store_remove(s, victim, strlen(victim)));
        CU_ASSERT_EQUAL(store_size(s), n - 1);
        CU_ASSERT_PTR_NULL(get_s(s, victim));
        if (i < n - 1) {
            CU_ASSERT_STRING_EQUAL(store_at(s, i)->key, last);
            CU_ASSERT_PTR_EQUAL(get_s(s, last), store_at(s, i));
        }
        for (size_t j = 0; j < n - 1; j++) /* every remaining item is found at its slot */
            CU_ASSERT_PTR_EQUAL(store_get(s, store_at(s, j)->key, store_at(s, j)->klen),
                                store_at(s, j));
    }
    store_free(s);
}

/* A reference model over a fixed key space: which keys are present, their value, version and
 * deleted flag. */
#define MODEL_KEYS 600
typedef struct {
    bool present, deleted;
    kv_version_t v;
    char value[32];
} model_t;

static void key_name(char *buf, size_t cap, unsigned k)
{
    /* lengths 1..5, many shared prefixes */
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    size_t len = 0;
    unsigned x = k;
    do {
        buf[len++] = alpha[x % 36];
        x /= 36;
    } while (x && len + 1 < cap);
    if (k % 3 == 0 && len + 2 < cap) { /* some keys get a common suffix */
        buf[len++] = '_';
        buf[len++] = 'x';
    }
    buf[len] = '\0';
}

/* Checks the store against the model: every present key found with its data, every absent one
 * missing, sizes right, and iteration visits each present key exactly once. */
static unsigned check_model(const store_t *s, const model_t *m)
{
    unsigned bad = 0;
    size_t present = 0, live = 0;
    char key[16];
    for (unsigned k = 0; k < MODEL_KEYS; k++) {
        key_name(key, sizeof key, k);
        const store_item_t *it = get_s(s, key);
        if (!m[k].present) {
            bad += it != NULL;
            continue;
        }
        present++;
        live += !m[k].deleted;
        bad += !item_is(s, key, m[k].deleted ? "" : m[k].value, m[k].v, m[k].deleted);
        bad += it && it->pos != k;
    }
    bad += store_size(s) != present;
    bad += store_live_count(s) != live;
    static unsigned char seen[MODEL_KEYS];
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < store_size(s); i++) {
        const store_item_t *it = store_at(s, i);
        if (it->pos >= MODEL_KEYS || seen[it->pos]++) {
            bad++;
            continue;
        }
        key_name(key, sizeof key, (unsigned)it->pos);
        bad += strcmp(key, it->key) != 0;
    }
    return bad;
}

/* Random puts (live or deleted, newer or older versions) and removals against the model; the
 * whole store is checked every 500 operations. Lots of removals from a table that keeps
 * clustering exercise the linear-probing deletion. */
static void test_random_ops_model(void)
{
    store_t *s = store_new();
    CU_ASSERT_FATAL(s != NULL);
    static model_t m[MODEL_KEYS];
    memset(m, 0, sizeof m);
    rng_t rng;
    rng_seed(&rng, 21);
    unsigned bad = 0;
    char key[16], val[24];
    for (unsigned op = 0; op < 60000; op++) {
        /* phases: grow, then shrink, then mixed, so the table both fills and empties */
        unsigned phase = (op / 5000) % 3;
        unsigned k = rng_below(&rng, phase == 2 ? 40 : MODEL_KEYS); /* phase 2: hot keys */
        key_name(key, sizeof key, k);
        unsigned r = rng_below(&rng, 100);
        bool do_remove = phase == 1 ? r < 70 : r < 15;
        if (do_remove) {
            bool got = store_remove(s, key, strlen(key));
            bad += got != m[k].present;
            m[k].present = false;
        } else {
            kv_version_t v = V(rng_below(&rng, 20), rng_below(&rng, 3));
            bool del = rng_below(&rng, 4) == 0;
            snprintf(val, sizeof val, "v%u.%u", op, k);
            int st = put_s(s, key, val, v, del, k);
            bool newer = !m[k].present || kv_version_cmp(v, m[k].v) > 0;
            bad += st != (newer ? STORE_APPLIED : STORE_STALE);
            if (newer) {
                m[k].present = true;
                m[k].deleted = del;
                m[k].v = v;
                snprintf(m[k].value, sizeof m[k].value, "%s", val);
            }
        }
        if (op % 500 == 499)
            bad += check_model(s, m);
    }
    bad += check_model(s, m);
    CU_ASSERT_EQUAL(bad, 0);
    store_free(s);
}

/* Many small stores (a few keys, so the index stays small and probe runs often wrap past its
 * end) under random puts and removes, checked against the model after every operation. */
static void test_small_stores_model(void)
{
    enum { KEYS = 24 };
    rng_t rng;
    rng_seed(&rng, 23);
    unsigned bad = 0;
    char key[16], val[32];
    for (int round = 0; round < 400 && bad == 0; round++) {
        store_t *s = store_new();
        CU_ASSERT_FATAL(s != NULL);
        static model_t m[MODEL_KEYS];
        memset(m, 0, sizeof m);
        unsigned space = 4 + rng_below(&rng, KEYS - 4); /* keys in use this round */
        for (int op = 0; op < 200; op++) {
            unsigned k = rng_below(&rng, space) * 7 % MODEL_KEYS;
            key_name(key, sizeof key, k);
            if (rng_below(&rng, 100) < 40) {
                bad += store_remove(s, key, strlen(key)) != m[k].present;
                m[k].present = false;
            } else {
                kv_version_t v = V(1 + (uint64_t)op, 1);
                bool del = rng_below(&rng, 5) == 0;
                snprintf(val, sizeof val, "r%d.%d", round, op);
                bad += put_s(s, key, val, v, del, k) != STORE_APPLIED;
                m[k].present = true;
                m[k].deleted = del;
                m[k].v = v;
                snprintf(m[k].value, sizeof m[k].value, "%s", val);
            }
            bad += check_model(s, m);
        }
        store_free(s);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

/* 3000 keys removed in several orders (ascending stride, descending, shuffled); after each
 * batch every remaining key is still found. */
static void test_remove_many_orders(void)
{
    enum { N = 3000 };
    rng_t rng;
    rng_seed(&rng, 22);
    static unsigned order[N];
    char key[32];
    for (int pass = 0; pass < 4; pass++) {
        store_t *s = store_new();
        CU_ASSERT_FATAL(s != NULL);
        for (unsigned i = 0; i < N; i++) {
            snprintf(key, sizeof key, "key-%u", i);
            CU_ASSERT_EQUAL(put_s(s, key, key + 4, V(1, 1), false, i), STORE_APPLIED);
        }
        for (unsigned i = 0; i < N; i++)
            order[i] = i;
        if (pass == 1) /* descending */
            for (unsigned i = 0; i < N; i++)
                order[i] = N - 1 - i;
        else if (pass == 2) /* every 7th first, then the rest */
            for (unsigned i = 0, j = 0; j < 7; j++)
                for (unsigned x = j; x < N; x += 7)
                    order[i++] = x;
        else if (pass == 3) /* shuffled */
            for (unsigned i = N - 1; i > 0; i--) {
                unsigned j = rng_below(&rng, i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        static bool gone[N];
        memset(gone, 0, sizeof gone);
        unsigned bad = 0;
        for (unsigned i = 0; i < N; i++) {
            snprintf(key, sizeof key, "key-%u", order[i]);
            bad += !store_remove(s, key, strlen(key));
            gone[order[i]] = true;
            if (i % 250 == 0 || i + 1 == N || i < 40)
                for (unsigned k = 0; k < N; k++) {
                    snprintf(key, sizeof key, "key-%u", k);
                    const store_item_t *it = get_s(s, key);
                    bad += gone[k] ? it != NULL
                                   : (!it || it->pos != k || strcmp(it->value, key + 4) != 0);
                }
            bad += store_size(s) != N - 1 - i;
            bad += store_live_count(s) != N - 1 - i;
        }
        CU_ASSERT_EQUAL(bad, 0);
        store_free(s);
    }
}

/* ================================================================ iteration, prefixes, growth */

static void test_iteration(void)
{
    store_t *s = store_new();
    CU_ASSERT_FATAL(s != NULL);
    enum { N = 300 };
    char key[16];
    for (unsigned i = 0; i < N; i++) {
        snprintf(key, sizeof key, "i%u", i);
        CU_ASSERT_EQUAL(put_s(s, key, "v", V(1, 1), i % 5 == 0, i), STORE_APPLIED);
    }
    CU_ASSERT_EQUAL(store_size(s), N);
    CU_ASSERT_EQUAL(store_live_count(s), N - N / 5);
    static unsigned seen[N];
    memset(seen, 0, sizeof seen);
    unsigned bad = 0, tomb = 0;
    for (size_t i = 0; i < store_size(s); i++) {
        const store_item_t *it = store_at(s, i);
        if (it->pos >= N) {
            bad++;
            continue;
        }
        seen[it->pos]++;
        snprintf(key, sizeof key, "i%u", (unsigned)it->pos);
        bad += strcmp(key, it->key) != 0 || it->deleted != (it->pos % 5 == 0);
        tomb += it->deleted;
    }
    for (unsigned i = 0; i < N; i++)
        bad += seen[i] != 1;
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(tomb, N / 5); /* tombstones are iterated too */
    store_free(s);
}

/* Keys that share prefixes, and keys of different lengths hashing nearby, are distinct. */
static void test_prefix_keys(void)
{
    store_t *s = store_new();
    CU_ASSERT_FATAL(s != NULL);
    const char *keys[] = { "a", "ab", "abc", "abcd", "abcde", "b", "ba", "bab", "aa", "aaa",
                           "aaaa", "A", "Ab", "abC", "ab!", "!", "~", "a~", "~a" };
    enum { NK = sizeof keys / sizeof keys[0] };
    char val[16];
    for (unsigned i = 0; i < NK; i++) {
        snprintf(val, sizeof val, "val%u", i);
        CU_ASSERT_EQUAL(put_s(s, keys[i], val, V(1, i), false, i), STORE_APPLIED);
    }
    CU_ASSERT_EQUAL(store_size(s), NK);
    for (unsigned i = 0; i < NK; i++) {
        snprintf(val, sizeof val, "val%u", i);
        CU_ASSERT_TRUE(item_is(s, keys[i], val, V(1, i), false));
    }
    CU_ASSERT_PTR_NULL(get_s(s, "abcdef"));
    CU_ASSERT_PTR_NULL(get_s(s, "bb"));
    CU_ASSERT_PTR_NULL(get_s(s, "B"));
    /* removing one leaves its prefixes and extensions */
    CU_ASSERT_TRUE(store_remove(s, "abc", 3));
    CU_ASSERT_PTR_NULL(get_s(s, "abc"));
    CU_ASSERT_TRUE(item_is(s, "ab", "val1", V(1, 1), false));
    CU_ASSERT_TRUE(item_is(s, "abcd", "val3", V(1, 3), false));
    CU_ASSERT_TRUE(item_is(s, "a", "val0", V(1, 0), false));
    CU_ASSERT_FALSE(store_remove(s, "abc", 3));
    /* an update of one key leaves the others alone */
    CU_ASSERT_EQUAL(put_s(s, "ab", "new", V(2, 0), false, 1), STORE_APPLIED);
    CU_ASSERT_TRUE(item_is(s, "a", "val0", V(1, 0), false));
    CU_ASSERT_TRUE(item_is(s, "abcd", "val3", V(1, 3), false));
    CU_ASSERT_TRUE(item_is(s, "ab", "new", V(2, 0), false));
    store_free(s);
}

/* 100000 keys: all found with their values, then every other one removed, the rest found. */
static void test_growth(void)
{
    enum { N = 100000 };
    store_t *s = store_new();
    CU_ASSERT_FATAL(s != NULL);
    char key[32], val[32];
    unsigned bad = 0;
    for (unsigned i = 0; i < N; i++) {
        snprintf(key, sizeof key, "g%u", i);
        snprintf(val, sizeof val, "%u", i * 7);
        bad += put_s(s, key, val, V(i, 1), false, i) != STORE_APPLIED;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(store_size(s), N);
    CU_ASSERT_EQUAL(store_live_count(s), N);
    for (unsigned i = 0; i < N; i++) {
        snprintf(key, sizeof key, "g%u", i);
        snprintf(val, sizeof val, "%u", i * 7);
        const store_item_t *it = get_s(s, key);
        bad += !it || strcmp(it->value, val) != 0 || it->pos != i || it->version.stamp != i;
    }
    CU_ASSERT_EQUAL(bad, 0);
    for (unsigned i = 0; i < N; i += 2) {
        snprintf(key, sizeof key, "g%u", i);
        bad += !store_remove(s, key, strlen(key));
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(store_size(s), N / 2);
    CU_ASSERT_EQUAL(store_live_count(s), N / 2);
    for (unsigned i = 0; i < N; i++) {
        snprintf(key, sizeof key, "g%u", i);
        const store_item_t *it = get_s(s, key);
        bad += (i % 2 == 0) ? it != NULL : (!it || it->pos != i);
    }
    CU_ASSERT_EQUAL(bad, 0);
    store_free(s);
}

int add_store_suite(void)
{
    CU_pSuite s = CU_add_suite("store", NULL, NULL);
    if (!s)
        return CU_get_error();
    static const struct {
        const char *name;
        CU_TestFunc fn;
    } tests[] = {
        { "put/get, copies, lengths", test_put_get },
        { "version order: stamp, then node; equal and older are stale", test_version_order },
        { "tombstones, live count, create after delete", test_tombstones },
        { "remove basics", test_remove_basic },
        { "remove moves the last item into the hole", test_remove_moves_last },
        { "random puts/removes against a model", test_random_ops_model },
        { "small stores: removals with wrapping probe runs", test_small_stores_model },
        { "remove 3000 keys in several orders", test_remove_many_orders },
        { "iteration visits every item once, tombstones included", test_iteration },
        { "keys sharing prefixes", test_prefix_keys },
        { "growth to 100000 keys", test_growth },
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (!CU_add_test(s, tests[i].name, tests[i].fn))
            return CU_get_error();
    return CUE_SUCCESS;
}
