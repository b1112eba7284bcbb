/* test_quorum.c: CUnit suite for the coordinator's 2-of-3 quorum bookkeeping: when it
 * succeeds or fails, duplicate / stranger / late replies, fewer than 2 replicas, the deadline,
 * and the newest version among the successes. */
#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "quorum.h"
#include "suites.h"

static addr_t A(uint32_t id)
{
    return addr_make(id, 0);
}

static kv_version_t V(uint64_t stamp, uint32_t node)
{
    kv_version_t v = { stamp, node };
    return v;
}

static const addr_t R3[3] = { { 1, 0 }, { 2, 0 }, { 3, 0 } };

static void init3(quorum_t *q)
{
    memset(q, 0xA5, sizeof *q); /* init must not depend on prior contents */
    quorum_init(q, R3, 3, 50);
}

static bool is_counted(q_reply_t r)
{
    return r == QR_COUNTED || r == QR_NEWEST;
}

static void test_init(void)
{
    quorum_t q;
    init3(&q);
    CU_ASSERT_EQUAL(q.state, Q_PENDING);
    CU_ASSERT_EQUAL(q.nreplicas, 3);
    CU_ASSERT_EQUAL(q.ok, 0);
    CU_ASSERT_EQUAL(q.failed, 0);
    CU_ASSERT_EQUAL(q.answered, 0);
    CU_ASSERT_EQUAL(q.deadline, 50);
    CU_ASSERT_FALSE(q.have_newest);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_TRUE(addr_eq(q.replicas[i], R3[i]));
}

/* Success at the second success, not at the first; the third reply is late. */
static void test_success_at_second(void)
{
    quorum_t q;
    init3(&q);
    CU_ASSERT_TRUE(is_counted(quorum_reply(&q, A(2), true, V(1, 1))));
    CU_ASSERT_EQUAL(q.state, Q_PENDING);
    CU_ASSERT_EQUAL(q.ok, 1);
    CU_ASSERT_TRUE(is_counted(quorum_reply(&q, A(3), true, V(1, 1))));
    CU_ASSERT_EQUAL(q.state, Q_SUCCESS);
    CU_ASSERT_EQUAL(q.ok, 2);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(1), true, V(9, 9)), QR_LATE);
    CU_ASSERT_EQUAL(q.state, Q_SUCCESS);
    CU_ASSERT_EQUAL(q.ok, 2);
    CU_ASSERT_TRUE(q.newest.stamp == 1 && q.newest.node == 1); /* a late reply is not tracked */

    /* a late failure does not turn a success into a failure */
    init3(&q);
    quorum_reply(&q, A(1), true, V(1, 1));
    quorum_reply(&q, A(2), true, V(1, 1));
    CU_ASSERT_EQUAL(quorum_reply(&q, A(3), false, V(0, 0)), QR_LATE);
    CU_ASSERT_EQUAL(q.state, Q_SUCCESS);
    CU_ASSERT_EQUAL(q.failed, 0);

    /* ok, fail, ok: success at the third reply */
    init3(&q);
    CU_ASSERT_TRUE(is_counted(quorum_reply(&q, A(1), true, V(1, 1))));
    CU_ASSERT_TRUE(is_counted(quorum_reply(&q, A(2), false, V(1, 1))));
    CU_ASSERT_EQUAL(q.state, Q_PENDING);
    CU_ASSERT_TRUE(is_counted(quorum_reply(&q, A(3), true, V(1, 1))));
    CU_ASSERT_EQUAL(q.state, Q_SUCCESS);
}

/* Failure once 2 of 3 failed; 1 success + 2 failures fails at the last one. */
static void test_failure(void)
{
    quorum_t q;
    init3(&q);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(1), false, V(1, 1)), QR_COUNTED);
    CU_ASSERT_EQUAL(q.state, Q_PENDING);
    CU_ASSERT_EQUAL(q.failed, 1);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(3), false, V(1, 1)), QR_COUNTED);
    CU_ASSERT_EQUAL(q.state, Q_FAIL);
    CU_ASSERT_EQUAL(q.failed, 2);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(2), true, V(1, 1)), QR_LATE);
    CU_ASSERT_EQUAL(q.state, Q_FAIL);
    CU_ASSERT_EQUAL(q.ok, 0);

    /* the success first or second: failure at the third reply */
    for (int okpos = 0; okpos < 2; okpos++) {
        init3(&q);
        for (int i = 0; i < 3; i++) {
            CU_ASSERT_TRUE(is_counted(quorum_reply(&q, R3[i], i == okpos, V(1, 1))));
            CU_ASSERT_EQUAL(q.state, i < 2 ? Q_PENDING : Q_FAIL);
        }
        CU_ASSERT_EQUAL(q.ok, 1);
        CU_ASSERT_EQUAL(q.failed, 2);
    }
    /* two failures first: failed at the second, the success comes late */
    init3(&q);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(3), false, V(1, 1)), QR_COUNTED);
    CU_ASSERT_EQUAL(q.state, Q_PENDING);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(2), false, V(1, 1)), QR_COUNTED);
    CU_ASSERT_EQUAL(q.state, Q_FAIL);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(1), true, V(1, 1)), QR_LATE);
    CU_ASSERT_EQUAL(q.ok, 0);
    /* a failed quorum does not expire again */
    CU_ASSERT_FALSE(quorum_expire(&q, 1000));
    CU_ASSERT_EQUAL(q.state, Q_FAIL);
}

/* Fewer than 2 replicas: failed at once. Two replicas: both must succeed. */
static void test_few_replicas(void)
{
    quorum_t q;
    quorum_init(&q, R3, 1, 50);
    CU_ASSERT_EQUAL(q.state, Q_FAIL);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(1), true, V(1, 1)), QR_LATE);
    CU_ASSERT_EQUAL(q.state, Q_FAIL);
    CU_ASSERT_FALSE(quorum_expire(&q, 50));
    quorum_init(&q, NULL, 0, 50);
    CU_ASSERT_EQUAL(q.state, Q_FAIL);
    CU_ASSERT_EQUAL(q.nreplicas, 0);
    CU_ASSERT_NOT_EQUAL(quorum_reply(&q, A(1), true, V(1, 1)), QR_COUNTED);
    CU_ASSERT_EQUAL(q.state, Q_FAIL);

    quorum_init(&q, R3, 2, 50);
    CU_ASSERT_EQUAL(q.state, Q_PENDING);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(3), true, V(1, 1)), QR_STRANGER); /* not asked */
    CU_ASSERT_TRUE(is_counted(quorum_reply(&q, A(1), true, V(1, 1))));
    CU_ASSERT_EQUAL(q.state, Q_PENDING);
    CU_ASSERT_TRUE(is_counted(quorum_reply(&q, A(2), true, V(1, 1))));
    CU_ASSERT_EQUAL(q.state, Q_SUCCESS);
    quorum_init(&q, R3, 2, 50);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(2), false, V(1, 1)), QR_COUNTED);
    CU_ASSERT_EQUAL(q.state, Q_FAIL); /* one failure out of two: no quorum possible */
}

/* A replica answering twice is counted once, whatever it says the second time. */
static void test_duplicates(void)
{
    quorum_t q;
    init3(&q);
    CU_ASSERT_TRUE(is_counted(quorum_reply(&q, A(1), true, V(1, 1))));
    CU_ASSERT_EQUAL(quorum_reply(&q, A(1), true, V(1, 1)), QR_DUPLICATE);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(1), true, V(5, 5)), QR_DUPLICATE);
    CU_ASSERT_EQUAL(q.state, Q_PENDING); /* not two successes */
    CU_ASSERT_EQUAL(q.ok, 1);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(1), false, V(1, 1)), QR_DUPLICATE);
    CU_ASSERT_EQUAL(q.failed, 0);
    CU_ASSERT_TRUE(q.newest.stamp == 1 && q.newest.node == 1);

    init3(&q);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(2), false, V(1, 1)), QR_COUNTED);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(2), false, V(1, 1)), QR_DUPLICATE);
    CU_ASSERT_EQUAL(q.state, Q_PENDING); /* not two failures */
    CU_ASSERT_EQUAL(q.failed, 1);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(2), true, V(1, 1)), QR_DUPLICATE);
    CU_ASSERT_EQUAL(q.ok, 0);
    CU_ASSERT_FALSE(q.have_newest);

    /* after the decision, a second answer from a replica is ignored either way */
    init3(&q);
    quorum_reply(&q, A(1), true, V(1, 1));
    quorum_reply(&q, A(2), true, V(1, 1));
    q_reply_t r = quorum_reply(&q, A(1), true, V(1, 1));
    CU_ASSERT(r == QR_DUPLICATE || r == QR_LATE);
    CU_ASSERT_EQUAL(q.ok, 2);
    CU_ASSERT_EQUAL(q.state, Q_SUCCESS);
}

/* Replies from a node that was not asked are ignored, the port included. */
static void test_strangers(void)
{
    quorum_t q;
    init3(&q);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(4), true, V(9, 9)), QR_STRANGER);
    CU_ASSERT_EQUAL(quorum_reply(&q, addr_make(1, 1), true, V(9, 9)), QR_STRANGER);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(0), false, V(9, 9)), QR_STRANGER);
    CU_ASSERT_EQUAL(quorum_reply(&q, addr_make(0x00000100u, 0), true, V(9, 9)), QR_STRANGER);
    CU_ASSERT_EQUAL(q.ok, 0);
    CU_ASSERT_EQUAL(q.failed, 0);
    CU_ASSERT_EQUAL(q.answered, 0);
    CU_ASSERT_FALSE(q.have_newest);
    CU_ASSERT_EQUAL(q.state, Q_PENDING);
    /* the real replicas still count */
    CU_ASSERT_TRUE(is_counted(quorum_reply(&q, A(1), true, V(1, 1))));
    CU_ASSERT_EQUAL(quorum_reply(&q, A(5), true, V(1, 1)), QR_STRANGER);
    CU_ASSERT_EQUAL(q.state, Q_PENDING);
    CU_ASSERT_TRUE(is_counted(quorum_reply(&q, A(3), true, V(1, 1))));
    CU_ASSERT_EQUAL(q.state, Q_SUCCESS);
    q_reply_t r = quorum_reply(&q, A(6), true, V(1, 1));
    CU_ASSERT(r == QR_STRANGER || r == QR_LATE);
    CU_ASSERT_EQUAL(q.ok, 2);
}

/* Deadline: nothing before it, failure at it, once. */
static void test_expire(void)
{
    quorum_t q;
    init3(&q);
    CU_ASSERT_FALSE(quorum_expire(&q, 0));
    CU_ASSERT_FALSE(quorum_expire(&q, 49));
    CU_ASSERT_EQUAL(q.state, Q_PENDING);
    CU_ASSERT_TRUE(quorum_expire(&q, 50));
    CU_ASSERT_EQUAL(q.state, Q_FAIL);
    CU_ASSERT_FALSE(quorum_expire(&q, 50));
    CU_ASSERT_FALSE(quorum_expire(&q, 51));
    CU_ASSERT_EQUAL(q.state, Q_FAIL);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(1), true, V(1, 1)), QR_LATE);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(2), true, V(1, 1)), QR_LATE);
    CU_ASSERT_EQUAL(q.state, Q_FAIL);
    CU_ASSERT_EQUAL(q.ok, 0);

    /* with one success in, still failed by the deadline; expiring later than it also works */
    init3(&q);
    quorum_reply(&q, A(1), true, V(1, 1));
    CU_ASSERT_FALSE(quorum_expire(&q, 49));
    CU_ASSERT_TRUE(quorum_expire(&q, 70));
    CU_ASSERT_EQUAL(q.state, Q_FAIL);

    /* a decided success never expires */
    init3(&q);
    quorum_reply(&q, A(1), true, V(1, 1));
    quorum_reply(&q, A(2), true, V(1, 1));
    CU_ASSERT_FALSE(quorum_expire(&q, 50));
    CU_ASSERT_FALSE(quorum_expire(&q, UINT32_MAX));
    CU_ASSERT_EQUAL(q.state, Q_SUCCESS);

    /* deadline 0 and UINT32_MAX */
    quorum_init(&q, R3, 3, 0);
    CU_ASSERT_TRUE(quorum_expire(&q, 0));
    quorum_init(&q, R3, 3, UINT32_MAX);
    CU_ASSERT_FALSE(quorum_expire(&q, UINT32_MAX - 1));
    CU_ASSERT_TRUE(quorum_expire(&q, UINT32_MAX));
}

/* QR_NEWEST marks a success with the newest version so far; failures never do. */
static void test_newest(void)
{
    quorum_t q;
    init3(&q);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(1), false, V(99, 9)), QR_COUNTED);
    CU_ASSERT_FALSE(q.have_newest);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(2), true, V(5, 1)), QR_NEWEST); /* first success */
    CU_ASSERT_TRUE(q.have_newest);
    CU_ASSERT_TRUE(q.newest.stamp == 5 && q.newest.node == 1);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(3), true, V(5, 2)), QR_NEWEST); /* same stamp, node 2 */
    CU_ASSERT_TRUE(q.newest.stamp == 5 && q.newest.node == 2);
    CU_ASSERT_EQUAL(q.state, Q_SUCCESS);

    init3(&q);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(1), true, V(7, 1)), QR_NEWEST);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(2), true, V(6, 9)), QR_COUNTED); /* older */
    CU_ASSERT_TRUE(q.newest.stamp == 7 && q.newest.node == 1);

    init3(&q);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(1), true, V(7, 1)), QR_NEWEST);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(2), true, V(7, 1)), QR_COUNTED); /* equal: not newer */
    CU_ASSERT_EQUAL(q.state, Q_SUCCESS);

    init3(&q);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(1), true, V(0, 0)), QR_NEWEST); /* 0.0 is a version */
    CU_ASSERT_TRUE(q.have_newest);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(2), false, V(8, 8)), QR_COUNTED);
    CU_ASSERT_TRUE(q.newest.stamp == 0 && q.newest.node == 0);
    CU_ASSERT_EQUAL(quorum_reply(&q, A(3), true, V(8, 0)), QR_NEWEST);
    CU_ASSERT_TRUE(q.newest.stamp == 8 && q.newest.node == 0);
    CU_ASSERT_EQUAL(q.state, Q_SUCCESS);
}

int add_quorum_suite(void)
{
    CU_pSuite s = CU_add_suite("quorum", NULL, NULL);
    if (!s)
        return CU_get_error();
    static const struct {
        const char *name;
        CU_TestFunc fn;
    } tests[] = {
        { "init", test_init },
        { "success at the second success, not before", test_success_at_second },
        { "failure once 2 of 3 failed; 1 ok + 2 failed", test_failure },
        { "fewer than 2 replicas fails at once; 2 replicas", test_few_replicas },
        { "duplicate replies counted once", test_duplicates },
        { "replies from strangers ignored", test_strangers },
        { "deadline: nothing before, fail at it, once", test_expire },
        { "newest version among successes", test_newest },
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (!CU_add_test(s, tests[i].name, tests[i].fn))
            return CU_get_error();
    return CUE_SUCCESS;
}
