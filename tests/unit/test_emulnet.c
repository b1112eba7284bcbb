/* test_emulnet.c: unit tests for the emulated network: delivery tick and delay, FIFO order,
 * copying, undeliverable sends, loss windows, per-tick counters and the msgcount.log output. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulnet.h"
#include "suites.h"

static rng_t rng;
static emulnet_t *net;

static int setup(void)
{
    rng_seed(&rng, 12345);
    net = emulnet_new(&rng);
    return net ? 0 : -1;
}

static void teardown(void)
{
    emulnet_free(net);
    net = NULL;
}

/* Every test gets a fresh network with nodes 1..n attached (port 0, as the Application does). */
static void fresh(uint32_t n)
{
    teardown();
    CU_ASSERT_EQUAL_FATAL(setup(), 0);
    for (uint32_t i = 1; i <= n; i++)
        CU_ASSERT_EQUAL_FATAL(emulnet_attach(net, addr_make(i, 0)), 0);
}

static addr_t A(uint32_t id)
{
    return addr_make(id, 0);
}

static void test_delivery_tick(void)
{
    fresh(2);
    const char payload[] = "hello";
    for (uint32_t t = 0; t < 5; t++)
        emulnet_deliver(net, t);
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), payload, sizeof payload, 5), EN_QUEUED);
    /* Not at the tick it was sent, even when deliver(5) comes after the send. */
    CU_ASSERT_PTR_NULL(emulnet_recv(net, A(2), 5));
    emulnet_deliver(net, 5);
    CU_ASSERT_PTR_NULL(emulnet_recv(net, A(2), 5));
    emulnet_deliver(net, 6);
    en_msg_t *m = emulnet_recv(net, A(2), 6);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT(addr_eq(m->src, A(1)));
    CU_ASSERT(addr_eq(m->dst, A(2)));
    CU_ASSERT_EQUAL(m->sent_tick, 5);
    CU_ASSERT_EQUAL(m->len, sizeof payload);
    CU_ASSERT_EQUAL(memcmp(m->data, payload, sizeof payload), 0);
    CU_ASSERT_PTR_NULL(emulnet_recv(net, A(2), 6));
    CU_ASSERT_PTR_NULL(emulnet_recv(net, A(1), 6)); /* nothing for the sender */

    /* An undrained message stays in the inbox over later ticks. */
    CU_ASSERT_EQUAL(emulnet_send(net, A(2), A(1), "x", 1, 6), EN_QUEUED);
    for (uint32_t t = 7; t <= 40; t++)
        emulnet_deliver(net, t);
    m = emulnet_recv(net, A(1), 40);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->sent_tick, 6);
    CU_ASSERT(addr_eq(m->src, A(2)));
    /* Counted as received when taken out of the inbox, not when it arrived there. */
    CU_ASSERT_EQUAL(emulnet_recv_by(net, A(1), 7), 0);
    CU_ASSERT_EQUAL(emulnet_recv_by(net, A(1), 40), 1);
    CU_ASSERT_EQUAL(emulnet_recv_by(net, A(2), 6), 1);
    CU_ASSERT_EQUAL(emulnet_sent_by(net, A(1), 5), 1);
    CU_ASSERT_EQUAL(emulnet_sent_by(net, A(2), 6), 1);

    /* A zero-length message is a message. */
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), NULL, 0, 41), EN_QUEUED);
    emulnet_deliver(net, 41);
    emulnet_deliver(net, 42);
    m = emulnet_recv(net, A(2), 42);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->len, 0);
}

/* Payload identifying a message: sender id and its sequence number. */
typedef struct {
    uint32_t sender, seq;
} tag_t;

static void test_fifo(void)
{
    enum { SENDERS = 3, TICKS = 50, PER_TICK = 4, TOTAL = SENDERS * TICKS * PER_TICK };
    fresh(5); /* senders 1..3, destinations 4 (drained each tick) and 5 (drained at the end) */
    static tag_t expect[TOTAL];
    size_t nexp = 0, got4 = 0, bad4 = 0;
    uint32_t seq[SENDERS + 1] = { 0 };
    for (uint32_t t = 0; t < TICKS; t++) {
        emulnet_deliver(net, t);
        en_msg_t *m;
        while ((m = emulnet_recv(net, A(4), t))) {
            tag_t tag;
            memcpy(&tag, m->data, sizeof tag);
            if (got4 >= nexp || m->len != sizeof tag || tag.sender != expect[got4].sender ||
                tag.seq != expect[got4].seq || m->sent_tick + 1 != t)
                bad4++;
            got4++;
        }
        /* Interleave the senders differently every tick. */
        for (uint32_t k = 0; k < SENDERS * PER_TICK; k++) {
            uint32_t s = 1 + (k + t) % SENDERS;
            tag_t tag = { s, seq[s]++ };
            CU_ASSERT_EQUAL(emulnet_send(net, A(s), A(4), &tag, sizeof tag, t), EN_QUEUED);
            CU_ASSERT_EQUAL(emulnet_send(net, A(s), A(5), &tag, sizeof tag, t), EN_QUEUED);
            expect[nexp++] = tag;
        }
    }
    emulnet_deliver(net, TICKS);
    en_msg_t *m;
    while ((m = emulnet_recv(net, A(4), TICKS))) {
        tag_t tag;
        memcpy(&tag, m->data, sizeof tag);
        if (got4 >= nexp || tag.sender != expect[got4].sender || tag.seq != expect[got4].seq)
            bad4++;
        got4++;
    }
    CU_ASSERT_EQUAL(got4, TOTAL);
    CU_ASSERT_EQUAL(bad4, 0);

    /* Destination 5 accumulated everything: the whole inbox comes out in send order. */
    size_t got5 = 0, bad5 = 0;
    while ((m = emulnet_recv(net, A(5), TICKS))) {
        tag_t tag;
        memcpy(&tag, m->data, sizeof tag);
        if (got5 >= nexp || tag.sender != expect[got5].sender || tag.seq != expect[got5].seq)
            bad5++;
        got5++;
    }
    CU_ASSERT_EQUAL(got5, TOTAL);
    CU_ASSERT_EQUAL(bad5, 0);
}

static void test_bytes_copied(void)
{
    fresh(2);
    uint8_t data[300];
    for (int i = 0; i < 300; i++)
        data[i] = (uint8_t)(i * 7 + 1);
    uint8_t *heap = malloc(sizeof data);
    CU_ASSERT_PTR_NOT_NULL_FATAL(heap);
    memcpy(heap, data, sizeof data);
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), heap, sizeof data, 0), EN_QUEUED);
    memset(heap, 0, sizeof data); /* the sender reuses its buffer... */
    free(heap);                   /* ...or frees it */
    emulnet_deliver(net, 1);
    en_msg_t *m = emulnet_recv(net, A(2), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->len, sizeof data);
    CU_ASSERT_EQUAL(memcmp(m->data, data, sizeof data), 0);
    en_stats_t st;
    emulnet_stats(net, &st);
    CU_ASSERT_EQUAL(st.bytes, sizeof data);
    CU_ASSERT_EQUAL(st.sent, 1);
    CU_ASSERT_EQUAL(st.delivered, 1);
}

static void test_undeliverable(void)
{
    fresh(3);
    en_stats_t st;
    /* Unknown destinations: never attached, or an attached id with another port. */
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(99), "a", 1, 0), EN_UNDELIVERABLE);
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), addr_make(2, 7), "a", 1, 0), EN_UNDELIVERABLE);
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(0), "a", 1, 0), EN_UNDELIVERABLE);
    emulnet_stats(net, &st);
    CU_ASSERT_EQUAL(st.undeliverable, 3);
    CU_ASSERT_EQUAL(st.sent, 3);
    CU_ASSERT_EQUAL(st.dropped, 0);

    /* A down destination. */
    emulnet_set_down(net, A(3));
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(3), "b", 1, 0), EN_UNDELIVERABLE);
    CU_ASSERT_EQUAL(emulnet_send(net, A(2), A(3), "b", 1, 0), EN_UNDELIVERABLE);
    emulnet_stats(net, &st);
    CU_ASSERT_EQUAL(st.undeliverable, 5);
    emulnet_deliver(net, 1);
    CU_ASSERT_PTR_NULL(emulnet_recv(net, A(3), 1));
    /* The other nodes still work. */
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "c", 1, 1), EN_QUEUED);
    emulnet_deliver(net, 2);
    en_msg_t *m = emulnet_recv(net, A(2), 2);
    CU_ASSERT_PTR_NOT_NULL(m);
    emulnet_stats(net, &st);
    CU_ASSERT_EQUAL(st.undeliverable, 5);
    CU_ASSERT_EQUAL(st.delivered, 1);
}

/* A node that does not read its whole inbox in a tick (a paused one) finds the rest, in order
 * and intact, after later deliveries, before the newer messages; a message handed out stays
 * valid until the next delivery; set_down then set_up does not bring held messages back. */
static void test_unread_messages_kept(void)
{
    fresh(2);
    char text[4] = "a0";
    for (int i = 0; i < 3; i++) {
        text[1] = (char)('0' + i);
        CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), text, 3, 0), EN_QUEUED);
    }
    emulnet_deliver(net, 1);
    en_msg_t *m = emulnet_recv(net, A(2), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (int i = 0; i < 50; i++) /* sends into other arenas do not move it */
        CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "b0", 3, 1), EN_QUEUED);
    CU_ASSERT_STRING_EQUAL((const char *)m->data, "a0");
    for (uint32_t t = 2; t <= 4; t++) { /* unread for three deliveries, each adding messages */
        emulnet_deliver(net, t);
        CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "c0", 3, t), EN_QUEUED);
    }
    const char *want[] = { "a1", "a2" };
    for (int i = 0; i < 2; i++) {
        m = emulnet_recv(net, A(2), 4);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT_STRING_EQUAL((const char *)m->data, want[i]);
    }
    int b = 0, c = 0;
    while ((m = emulnet_recv(net, A(2), 4))) { /* then the 50 "b", then two "c" (due 3, 4) */
        if (b < 50)
            b += strcmp((const char *)m->data, "b0") == 0;
        else
            c += strcmp((const char *)m->data, "c0") == 0;
    }
    CU_ASSERT_EQUAL(b, 50);
    CU_ASSERT_EQUAL(c, 2);
    emulnet_deliver(net, 5); /* the "c" sent at tick 4 */
    emulnet_deliver(net, 6);
    while ((m = emulnet_recv(net, A(2), 6)))
        c += strcmp((const char *)m->data, "c0") == 0;
    CU_ASSERT_EQUAL(c, 3);
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "d0", 3, 6), EN_QUEUED);
    emulnet_deliver(net, 7);
    emulnet_deliver(net, 8); /* "d0" is held now */
    emulnet_set_down(net, A(2));
    emulnet_set_up(net, A(2));
    CU_ASSERT_PTR_NULL(emulnet_recv(net, A(2), 8));
}

/* Counts past 16 bits (a row of counts widens), and a node attached after its tick's row began. */
static void test_counts_past_16_bits(void)
{
    fresh(2);
    for (uint32_t k = 0; k < 70000; k++)
        CU_ASSERT_EQUAL_FATAL(emulnet_send(net, A(1), A(2), "x", 1, 3), EN_QUEUED);
    CU_ASSERT_EQUAL(emulnet_sent_by(net, A(1), 3), 70000);
    CU_ASSERT_EQUAL(emulnet_attach(net, A(40)), 0);
    CU_ASSERT_EQUAL(emulnet_send(net, A(40), A(2), "y", 1, 3), EN_QUEUED);
    emulnet_deliver(net, 4);
    uint32_t got = 0;
    while (emulnet_recv(net, A(2), 4))
        got++;
    CU_ASSERT_EQUAL(got, 70001);
    CU_ASSERT_EQUAL(emulnet_recv_by(net, A(2), 4), 70001);
    CU_ASSERT_EQUAL(emulnet_sent_by(net, A(40), 3), 1);
    CU_ASSERT_EQUAL(emulnet_sent_by(net, A(1), 4), 0);
    CU_ASSERT_EQUAL(emulnet_sent_by(net, A(2), 3), 0);
    char text[4096];
    FILE *f = fmemopen(text, sizeof text, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    emulnet_write_counts(net, f, 5);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "node   1  (   0,    0) (   0,    0) (   0,    0) (70000,    0) (   0,    0)\nnode   1 sent_total  70000  recv_total      0\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "node   2  (   0,    0) (   0,    0) (   0,    0) (   0,    0) (   0, 70001)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "node  40  (   0,    0) (   0,    0) (   0,    0) (   1,    0)"));
}

static void test_set_down_discards_inbox(void)
{
    fresh(2);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "m", 1, 0), EN_QUEUED);
    emulnet_deliver(net, 1); /* three in the inbox */
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "n", 1, 1), EN_QUEUED); /* one in flight */
    emulnet_set_down(net, A(2));
    CU_ASSERT_PTR_NULL(emulnet_recv(net, A(2), 1));
    emulnet_deliver(net, 2);
    CU_ASSERT_PTR_NULL(emulnet_recv(net, A(2), 2));
    en_stats_t st;
    emulnet_stats(net, &st);
    CU_ASSERT_EQUAL(st.delivered, 0);
    CU_ASSERT_EQUAL(st.undeliverable, 1); /* the in-flight one, found undeliverable on arrival */
    CU_ASSERT_EQUAL(emulnet_recv_by(net, A(2), 1), 0);
    CU_ASSERT_EQUAL(emulnet_recv_by(net, A(2), 2), 0);
    /* A down node cannot come back under the same address. */
    CU_ASSERT_EQUAL(emulnet_attach(net, A(2)), -1);
    /* set_down of an unknown address is harmless. */
    emulnet_set_down(net, A(77));
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(77), "z", 1, 2), EN_UNDELIVERABLE);
}

static void test_attach(void)
{
    fresh(0);
    CU_ASSERT_EQUAL(emulnet_attach(net, A(0)), -1);
    CU_ASSERT_EQUAL(emulnet_attach(net, addr_make(0, 5)), -1);
    CU_ASSERT_EQUAL(emulnet_attach(net, A(1)), 0);
    CU_ASSERT_EQUAL(emulnet_attach(net, A(1)), -1);
    CU_ASSERT_EQUAL(emulnet_attach(net, A(1000)), 0); /* sparse ids, growth */
    CU_ASSERT_EQUAL(emulnet_attach(net, A(1000)), -1);
    CU_ASSERT_EQUAL(emulnet_attach(net, A(EN_MAX_ID + 1)), -1);
    CU_ASSERT_EQUAL(emulnet_attach(net, A(UINT32_MAX)), -1);
    /* Growth kept the earlier endpoint working. */
    CU_ASSERT_EQUAL(emulnet_send(net, A(1000), A(1), "q", 1, 0), EN_QUEUED);
    emulnet_deliver(net, 1);
    en_msg_t *m = emulnet_recv(net, A(1), 1);
    CU_ASSERT_PTR_NOT_NULL(m);
    /* A sender that is not attached cannot send. */
    CU_ASSERT_EQUAL(emulnet_send(net, A(5), A(1), "q", 1, 1), EN_UNDELIVERABLE);
}

/* regression, was a bug (src/emulnet.c, emulnet_attach): endpoints live in an array indexed by id, and
 * emulnet_attach only rejects an address equal to the one in the slot. Attaching (5, port 1)
 * while (5, port 0) is attached returns 0 and silently overwrites the slot: (5,0) becomes
 * unreachable (its sends and the messages to it are undeliverable) although it was never set
 * down, and (5,1) inherits its inbox, counters and down flag. Either the second attach must be
 * refused (-1), or both endpoints must keep working; this test fails today. The Application
 * always uses port 0, so the bug is latent there. */
static void test_attach_same_id_other_port(void)
{
    fresh(1);
    CU_ASSERT_EQUAL_FATAL(emulnet_attach(net, A(5)), 0);
    if (emulnet_attach(net, addr_make(5, 1)) == -1)
        return; /* refused: the slot is taken. Correct. */
    /* Accepted: then the first endpoint must still work. */
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(5), "p", 1, 0), EN_QUEUED);
    CU_ASSERT_EQUAL(emulnet_send(net, A(5), A(1), "p", 1, 0), EN_QUEUED);
}

static void test_loss_window(void)
{
    enum { PER_TICK = 2000 };
    fresh(2);
    CU_ASSERT_EQUAL_FATAL(emulnet_add_loss(net, 10, 20, 0.3), 0);
    unsigned outside_drops = 0, inside_drops = 0, other = 0, bad_tick = 0;
    for (uint32_t t = 0; t < 30; t++) {
        emulnet_deliver(net, t);
        while (emulnet_recv(net, A(2), t))
            continue; /* drained */
        unsigned drops = 0;
        for (int i = 0; i < PER_TICK; i++) {
            int rc = emulnet_send(net, A(1), A(2), "L", 1, t);
            if (rc == EN_DROPPED)
                drops++;
            else if (rc != EN_QUEUED)
                other++;
        }
        if (t >= 10 && t < 20) {
            inside_drops += drops;
            /* Per tick: mean 600, sigma sqrt(2000 * 0.3 * 0.7) = 20.5; 5 sigma = 102. This also
             * checks that the window includes tick 10 and tick 19. */
            if (drops < 600 - 102 || drops > 600 + 102)
                bad_tick++;
        } else {
            outside_drops += drops; /* includes tick 9 and tick 20: [10, 20) is half-open */
        }
    }
    CU_ASSERT_EQUAL(other, 0);
    CU_ASSERT_EQUAL(outside_drops, 0);
    CU_ASSERT_EQUAL(bad_tick, 0);
    /* 20000 sends in the window: mean 6000, sigma sqrt(20000 * 0.3 * 0.7) = 64.8; 5 sigma = 324. */
    CU_ASSERT(inside_drops >= 6000 - 324 && inside_drops <= 6000 + 324);
    en_stats_t st;
    emulnet_stats(net, &st);
    CU_ASSERT_EQUAL(st.dropped, inside_drops);
    CU_ASSERT_EQUAL(st.sent, 30 * PER_TICK);
    /* Everything not dropped arrives. */
    emulnet_deliver(net, 30);
    while (emulnet_recv(net, A(2), 30))
        continue; /* drained */
    emulnet_stats(net, &st);
    CU_ASSERT_EQUAL(st.delivered, 30 * PER_TICK - inside_drops);
}

static void test_loss_extremes(void)
{
    fresh(2);
    CU_ASSERT_EQUAL_FATAL(emulnet_add_loss(net, 0, 10, 0.0), 0);
    CU_ASSERT_EQUAL_FATAL(emulnet_add_loss(net, 10, 20, 1.0), 0);
    unsigned drops_p0 = 0, kept_p1 = 0;
    for (uint32_t t = 0; t < 20; t++) {
        emulnet_deliver(net, t);
        while (emulnet_recv(net, A(2), t))
            continue; /* drained */
        for (int i = 0; i < 1000; i++) {
            int rc = emulnet_send(net, A(1), A(2), "e", 1, t);
            if (t < 10)
                drops_p0 += rc != EN_QUEUED;
            else
                kept_p1 += rc != EN_DROPPED;
        }
    }
    CU_ASSERT_EQUAL(drops_p0, 0);
    CU_ASSERT_EQUAL(kept_p1, 0);
    /* The p = 1 window ends at 20. */
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "e", 1, 20), EN_QUEUED);
    /* Invalid windows are rejected. */
    CU_ASSERT_EQUAL(emulnet_add_loss(net, 0, 10, -0.1), -1);
    CU_ASSERT_EQUAL(emulnet_add_loss(net, 0, 10, 1.5), -1);
    CU_ASSERT_EQUAL(emulnet_add_loss(net, 10, 5, 0.5), -1);
}

/* Node i sends (i + t) % 4 messages at tick t to node i % 3 + 1, for ticks [0, 25). */
enum { CT_NODES = 3, CT_TICKS = 25 };

static uint32_t planned_sends(uint32_t node, uint32_t t)
{
    return (node + t) % 4;
}

static void run_counter_plan(uint32_t sent[CT_NODES + 1][CT_TICKS + 1],
                             uint32_t recv[CT_NODES + 1][CT_TICKS + 1])
{
    fresh(CT_NODES);
    for (uint32_t t = 0; t <= CT_TICKS; t++) {
        emulnet_deliver(net, t);
        for (uint32_t i = 1; i <= CT_NODES; i++) {
            en_msg_t *m;
            while ((m = emulnet_recv(net, A(i), t))) {
                recv[i][t]++;
            }
            if (t == CT_TICKS)
                continue;
            for (uint32_t k = 0; k < planned_sends(i, t); k++) {
                CU_ASSERT_EQUAL(emulnet_send(net, A(i), A(i % 3 + 1), "c", 1, t), EN_QUEUED);
                sent[i][t]++;
            }
        }
    }
}

static void test_counters(void)
{
    uint32_t sent[CT_NODES + 1][CT_TICKS + 1] = { { 0 } };
    uint32_t recv[CT_NODES + 1][CT_TICKS + 1] = { { 0 } };
    run_counter_plan(sent, recv);
    unsigned wrong = 0;
    for (uint32_t i = 1; i <= CT_NODES; i++)
        for (uint32_t t = 0; t <= CT_TICKS; t++) {
            /* What arrives at t was sent at t - 1 by the predecessor in the ring. */
            uint32_t pred = i == 1 ? 3 : i - 1;
            uint32_t exp_recv = t > 0 && t - 1 < CT_TICKS ? planned_sends(pred, t - 1) : 0;
            uint32_t exp_sent = t < CT_TICKS ? planned_sends(i, t) : 0;
            wrong += recv[i][t] != exp_recv || sent[i][t] != exp_sent;
            wrong += emulnet_sent_by(net, A(i), t) != exp_sent;
            wrong += emulnet_recv_by(net, A(i), t) != exp_recv;
        }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(emulnet_sent_by(net, A(1), 100000), 0);
    CU_ASSERT_EQUAL(emulnet_recv_by(net, A(1), 100000), 0);
    CU_ASSERT_EQUAL(emulnet_sent_by(net, A(42), 1), 0);
    CU_ASSERT_EQUAL(emulnet_recv_by(net, A(42), 1), 0);

    /* Counters grow with late ticks. */
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "c", 1, 5000), EN_QUEUED);
    CU_ASSERT_EQUAL(emulnet_sent_by(net, A(1), 5000), 1);
    CU_ASSERT_EQUAL(emulnet_sent_by(net, A(1), 1), planned_sends(1, 1));
}

/* Reads the "(s, r)" pairs of one node's block in the msgcount text. */
static int read_block(const char *text, uint32_t id, uint32_t *s, uint32_t *r, uint32_t ticks,
                      unsigned long long *sent_total, unsigned long long *recv_total)
{
    char head[32];
    snprintf(head, sizeof head, "node %3u ", (unsigned)id);
    const char *p = text;
    /* The block starts at a line beginning with the head and not a totals line. */
    for (;;) {
        p = strstr(p, head);
        if (!p)
            return -1;
        if ((p == text || p[-1] == '\n') && strncmp(p + strlen(head), "sent_total", 10) != 0)
            break;
        p++;
    }
    p += strlen(head);
    for (uint32_t t = 0; t < ticks; t++) {
        const char *open = strchr(p, '(');
        const char *tot = strstr(p, "sent_total");
        if (!open || (tot && tot < open))
            return -1;
        unsigned a, b;
        if (sscanf(open, "(%u, %u)", &a, &b) != 2)
            return -1;
        s[t] = a;
        r[t] = b;
        p = strchr(open, ')');
        if (!p)
            return -1;
    }
    /* Then the totals line, with the exact spacing of msgcount.log. */
    const char *nl = strchr(p, '\n');
    if (!nl)
        return -1;
    unsigned idt;
    char check[96];
    if (sscanf(nl + 1, "node %u sent_total %llu recv_total %llu", &idt, sent_total,
               recv_total) != 3 ||
        idt != id)
        return -1;
    snprintf(check, sizeof check, "node %3u sent_total %6llu  recv_total %6llu\n", id, *sent_total,
             *recv_total);
    return strncmp(nl + 1, check, strlen(check)) == 0 ? 0 : -1;
}

static void test_write_counts(void)
{
    uint32_t sent[CT_NODES + 1][CT_TICKS + 1] = { { 0 } };
    uint32_t recv[CT_NODES + 1][CT_TICKS + 1] = { { 0 } };
    run_counter_plan(sent, recv);
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    emulnet_write_counts(net, f, CT_TICKS + 1);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT(strncmp(text, "node   1 ", 9) == 0);
    for (uint32_t i = 1; i <= CT_NODES; i++) {
        uint32_t s[CT_TICKS + 1], r[CT_TICKS + 1];
        unsigned long long st = 0, rt = 0, exp_st = 0, exp_rt = 0;
        int rc = read_block(text, i, s, r, CT_TICKS + 1, &st, &rt);
        CU_ASSERT_EQUAL(rc, 0);
        if (rc != 0)
            continue;
        unsigned wrong = 0;
        for (uint32_t t = 0; t <= CT_TICKS; t++) {
            wrong += s[t] != sent[i][t] || r[t] != recv[i][t];
            exp_st += sent[i][t];
            exp_rt += recv[i][t];
        }
        CU_ASSERT_EQUAL(wrong, 0);
        CU_ASSERT_EQUAL(st, exp_st);
        CU_ASSERT_EQUAL(rt, exp_rt);
        char line[96];
        snprintf(line, sizeof line, "\nnode %3u sent_total %6llu  recv_total %6llu\n", i, exp_st,
                 exp_rt);
        CU_ASSERT_PTR_NOT_NULL(strstr(text, line));
    }
    /* Totals computed by hand for node 1: sends (1+t)%4 for t in [0,25) = 6 cycles of
     * 1+2+3+0 plus t=24 -> 1: 37; receives from node 3: (3+t)%4 for t in [0,25)
     * = 6 * 6 + 3 = 39. */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "node   1 sent_total     37  recv_total     39\n"));
    /* Only attached nodes appear. */
    CU_ASSERT_PTR_NULL(strstr(text, "node   4"));
    free(text);
}

static void test_delay(void)
{
    fresh(2);
    CU_ASSERT_EQUAL(emulnet_set_delay(net, 0), -1);
    /* Rejected: the default delay of 1 still holds. */
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "a", 1, 0), EN_QUEUED);
    emulnet_deliver(net, 0);
    emulnet_deliver(net, 1);
    en_msg_t *m = emulnet_recv(net, A(2), 1);
    CU_ASSERT_PTR_NOT_NULL(m);

    CU_ASSERT_EQUAL_FATAL(emulnet_set_delay(net, 3), 0);
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "b", 1, 10), EN_QUEUED);
    unsigned early = 0;
    for (uint32_t t = 2; t <= 12; t++) {
        emulnet_deliver(net, t);
        m = emulnet_recv(net, A(2), t);
        early += m != NULL;
    }
    CU_ASSERT_EQUAL(early, 0);
    emulnet_deliver(net, 13);
    m = emulnet_recv(net, A(2), 13);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->sent_tick, 10);
    CU_ASSERT_EQUAL(m->data[0], 'b');
}

static void test_long_delay_and_change_in_flight(void)
{
    fresh(2);
    /* A message in flight under delay 1, then the delay grows past the calendar size. */
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "1", 1, 0), EN_QUEUED);
    CU_ASSERT_EQUAL_FATAL(emulnet_set_delay(net, 40), 0);
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "2", 1, 0), EN_QUEUED);
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "3", 1, 5), EN_QUEUED);
    char seen[64] = { 0 };
    uint32_t when[64] = { 0 };
    int n = 0;
    for (uint32_t t = 0; t <= 100; t++) {
        emulnet_deliver(net, t);
        en_msg_t *m;
        while ((m = emulnet_recv(net, A(2), t))) {
            if (n < 64) {
                seen[n] = (char)m->data[0];
                when[n] = t;
                n++;
            }
        }
    }
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_EQUAL(seen[0], '1');
    CU_ASSERT_EQUAL(when[0], 1);
    CU_ASSERT_EQUAL(seen[1], '2');
    CU_ASSERT_EQUAL(when[1], 40);
    CU_ASSERT_EQUAL(seen[2], '3');
    CU_ASSERT_EQUAL(when[2], 45);
}

/* Regression: counters for a tick >= 2^31 doubled their capacity until it wrapped to 0 and
 * looped forever. Ticks from EN_MAX_TICK on are refused instead. */
static void test_tick_limit(void)
{
    fresh(2);
    char b = 'x';
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), &b, 1, EN_MAX_TICK), EN_UNDELIVERABLE);
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), &b, 1, UINT32_MAX), EN_UNDELIVERABLE);
    CU_ASSERT_PTR_NULL(emulnet_recv(net, A(2), UINT32_MAX));
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), &b, 1, 5), EN_QUEUED);
}

/* ================================================================ link rules */

#define LR_NODES 6
#define LR_TICKS 64

/* What a model says of the message from s to d sent at tick t: -1 lost, else its delivery
 * tick. */
typedef int64_t (*lr_model_t)(uint32_t s, uint32_t d, uint32_t t);

typedef struct {
    uint32_t src, dst, sent;
} lr_tag_t;

/* Every ordered pair of nodes 1..LR_NODES exchanges one tagged message at every tick of
 * [first, last]; before its sends at tick t, hook(t) may change the network. Everything is
 * delivered and received tick by tick up to `until`. Each message must have been dropped
 * (EN_DROPPED, never seen) or delivered exactly once at exactly the model's tick; returns the
 * number of messages that were not. The stats must agree. */
static unsigned run_link_traffic(uint32_t first, uint32_t last, uint32_t until, lr_model_t model,
                                 void (*hook)(uint32_t t))
{
    CU_ASSERT_FATAL(last < LR_TICKS);
    static int rc[LR_NODES + 1][LR_NODES + 1][LR_TICKS];
    static int64_t got[LR_NODES + 1][LR_NODES + 1][LR_TICKS];
    static unsigned times[LR_NODES + 1][LR_NODES + 1][LR_TICKS];
    memset(times, 0, sizeof times);
    en_stats_t st0;
    emulnet_stats(net, &st0);
    unsigned strays = 0;
    uint64_t sends = 0, drops = 0;
    for (uint32_t t = 0; t <= until; t++) {
        emulnet_deliver(net, t);
        for (uint32_t d = 1; d <= LR_NODES; d++) {
            en_msg_t *m;
            while ((m = emulnet_recv(net, A(d), t))) {
                lr_tag_t tag;
                if (m->len != sizeof tag) {
                    strays++;
                    continue;
                }
                memcpy(&tag, m->data, sizeof tag);
                if (tag.dst != d || tag.src != m->src.id || tag.sent != m->sent_tick ||
                    tag.src < 1 || tag.src > LR_NODES || tag.sent < first || tag.sent > last)
                    strays++;
                else {
                    times[tag.src][d][tag.sent]++;
                    got[tag.src][d][tag.sent] = t;
                }
            }
        }
        if (t < first || t > last)
            continue;
        if (hook)
            hook(t);
        for (uint32_t s = 1; s <= LR_NODES; s++)
            for (uint32_t d = 1; d <= LR_NODES; d++) {
                if (s == d)
                    continue;
                lr_tag_t tag = { s, d, t };
                rc[s][d][t] = emulnet_send(net, A(s), A(d), &tag, sizeof tag, t);
                sends++;
                drops += rc[s][d][t] == EN_DROPPED;
            }
    }
    unsigned wrong = strays;
    uint64_t expect_drops = 0;
    for (uint32_t t = first; t <= last; t++)
        for (uint32_t s = 1; s <= LR_NODES; s++)
            for (uint32_t d = 1; d <= LR_NODES; d++) {
                if (s == d)
                    continue;
                int64_t want = model(s, d, t);
                bool ok;
                if (want < 0) {
                    expect_drops++;
                    ok = rc[s][d][t] == EN_DROPPED && times[s][d][t] == 0;
                } else {
                    ok = rc[s][d][t] == EN_QUEUED && times[s][d][t] == 1 &&
                         got[s][d][t] == want;
                }
                if (!ok && wrong < 5)
                    fprintf(stderr, "\n  %u -> %u sent at %u: rc %d, seen %u time(s), at %lld;"
                                    " expected %lld",
                            (unsigned)s, (unsigned)d, (unsigned)t, rc[s][d][t],
                            times[s][d][t], times[s][d][t] ? (long long)got[s][d][t] : -1LL,
                            (long long)want);
                wrong += !ok;
            }
    en_stats_t st;
    emulnet_stats(net, &st);
    CU_ASSERT_EQUAL(st.sent - st0.sent, sends);
    CU_ASSERT_EQUAL(st.dropped - st0.dropped, expect_drops);
    CU_ASSERT_EQUAL(drops, expect_drops);
    CU_ASSERT_EQUAL(st.undeliverable - st0.undeliverable, 0);
    CU_ASSERT_EQUAL(st.delivered - st0.delivered, sends - expect_drops);
    return wrong;
}

/* Groups for the link-rule tests: A = {1, 2}, B = {3, 4}, node 5 in neither, node 6 past the
 * array's end (in neither). */
static uint8_t lr_groups[6];

static void lr_set_groups(void)
{
    memset(lr_groups, 0, sizeof lr_groups);
    lr_groups[1] = lr_groups[2] = 1;
    lr_groups[3] = lr_groups[4] = 2;
}

static bool lr_cross(uint32_t s, uint32_t d)
{
    bool sa = s == 1 || s == 2, sb = s == 3 || s == 4;
    bool da = d == 1 || d == 2, db = d == 3 || d == 4;
    return (sa && db) || (sb && da);
}

static int64_t model_cut(uint32_t s, uint32_t d, uint32_t t)
{
    return t >= 10 && t < 20 && lr_cross(s, d) ? -1 : (int64_t)t + 1;
}

/* A cut between A and B for sends at [10, 20): lost both ways inside the window only, and
 * only between the groups; counted in stats.dropped. The groups array is the caller's: the
 * rule keeps its own copy. */
static void test_link_cut(void)
{
    fresh(LR_NODES);
    lr_set_groups();
    en_link_rule_t rule = { .from = 10, .to = 20, .cut = true, .delay = 0,
                            .groups = lr_groups, .ngroups = sizeof lr_groups };
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &rule), 0);
    memset(lr_groups, 3, sizeof lr_groups); /* would cut every link if it were not copied */
    CU_ASSERT_EQUAL(run_link_traffic(5, 25, 30, model_cut, NULL), 0);
    en_stats_t st;
    emulnet_stats(net, &st);
    CU_ASSERT_EQUAL(st.dropped, 10 * 8); /* 10 ticks, 8 ordered cross pairs */
}

static int64_t model_delay5(uint32_t s, uint32_t d, uint32_t t)
{
    return (int64_t)t + 1 + (t >= 10 && t < 20 && lr_cross(s, d) ? 5 : 0);
}

/* A delay of 5 between A and B for sends at [10, 20): those messages arrive at send + 1 + 5,
 * not before and not lost; every other message at send + 1. */
static void test_link_delay(void)
{
    fresh(LR_NODES);
    lr_set_groups();
    en_link_rule_t rule = { .from = 10, .to = 20, .cut = false, .delay = 5,
                            .groups = lr_groups, .ngroups = sizeof lr_groups };
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &rule), 0);
    CU_ASSERT_EQUAL(run_link_traffic(5, 25, 35, model_delay5, NULL), 0);
    en_stats_t st;
    emulnet_stats(net, &st);
    CU_ASSERT_EQUAL(st.dropped, 0);
}

/* Rules: every link +2 at [10, 30) (groups NULL); A-B +6 at [15, 25); A-B +4 at [20, 40);
 * a cut between 5 and 6 at [12, 14) (groups array of 7 bytes). Overlaps take the maximum
 * delay; a cut wins over delays. */
static int64_t model_overlap(uint32_t s, uint32_t d, uint32_t t)
{
    if (t >= 12 && t < 14 && ((s == 5 && d == 6) || (s == 6 && d == 5)))
        return -1;
    uint32_t extra = 0;
    if (t >= 10 && t < 30)
        extra = 2;
    if (t >= 15 && t < 25 && lr_cross(s, d) && extra < 6)
        extra = 6;
    if (t >= 20 && t < 40 && lr_cross(s, d) && extra < 4)
        extra = 4;
    return (int64_t)t + 1 + extra;
}

static void test_link_delay_all_and_overlap(void)
{
    fresh(LR_NODES);
    lr_set_groups();
    en_link_rule_t all = { .from = 10, .to = 30, .delay = 2, .groups = NULL, .ngroups = 0 };
    en_link_rule_t ab6 = { .from = 15, .to = 25, .delay = 6, .groups = lr_groups,
                           .ngroups = sizeof lr_groups };
    en_link_rule_t ab4 = { .from = 20, .to = 40, .delay = 4, .groups = lr_groups,
                           .ngroups = sizeof lr_groups };
    uint8_t g56[7] = { 0, 0, 0, 0, 0, 1, 2 };
    en_link_rule_t cut56 = { .from = 12, .to = 14, .cut = true, .groups = g56,
                             .ngroups = sizeof g56 };
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &all), 0);
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &ab6), 0);
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &ab4), 0);
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &cut56), 0);
    CU_ASSERT_EQUAL(run_link_traffic(5, 45, 55, model_overlap, NULL), 0);
    /* the same rules added in the opposite order give the same result */
    fresh(LR_NODES);
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &cut56), 0);
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &ab4), 0);
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &ab6), 0);
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &all), 0);
    CU_ASSERT_EQUAL(run_link_traffic(5, 45, 55, model_overlap, NULL), 0);
    /* a rule with to < from is refused */
    en_link_rule_t bad = { .from = 10, .to = 9, .delay = 1 };
    CU_ASSERT_EQUAL(emulnet_add_link_rule(net, &bad), -1);
}

static int64_t model_one_way_cut(uint32_t s, uint32_t d, uint32_t t)
{
    bool a_to_b = (s == 1 || s == 2) && (d == 3 || d == 4);
    return t >= 10 && t < 20 && a_to_b ? -1 : (int64_t)t + 1;
}

static int64_t model_one_way_delay(uint32_t s, uint32_t d, uint32_t t)
{
    bool b_to_a = (s == 3 || s == 4) && (d == 1 || d == 2);
    return (int64_t)t + 1 + (t >= 10 && t < 20 && b_to_a ? 5 : 0);
}

/* One-way rules: a cut from A to B loses A's messages to B and lets B's through; a delay from
 * B to A (groups swapped) slows only that direction. */
static void test_link_one_way(void)
{
    fresh(LR_NODES);
    lr_set_groups();
    en_link_rule_t cut = { .from = 10, .to = 20, .cut = true, .one_way = true,
                           .groups = lr_groups, .ngroups = sizeof lr_groups };
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &cut), 0);
    CU_ASSERT_EQUAL(run_link_traffic(5, 25, 30, model_one_way_cut, NULL), 0);
    fresh(LR_NODES);
    uint8_t swapped[6] = { 0, 2, 2, 1, 1, 0 };
    en_link_rule_t slow = { .from = 10, .to = 20, .delay = 5, .one_way = true,
                            .groups = swapped, .ngroups = sizeof swapped };
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &slow), 0);
    CU_ASSERT_EQUAL(run_link_traffic(5, 25, 35, model_one_way_delay, NULL), 0);
}

/* Random link faults between A = {1, 2} and B = {3, 4} for sends at [0, 400), 8 cross
 * messages per tick (3,200 in all) and 12 others: counts what arrives when. out[s][d]: copies
 * of each message seen, lag[k]: arrivals k ticks late (after send + 1), overtakes: messages on
 * one link that arrived before one sent earlier on it. */
typedef struct {
    unsigned cross_sent, cross_seen, cross_once, cross_twice, other_late, other_lost;
    unsigned lag[16];
    unsigned overtakes;
    uint64_t duplicated;
} rand_stats_t;

static void run_random_link(const en_link_rule_t *rule, rand_stats_t *st)
{
    fresh(LR_NODES);
    lr_set_groups();
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, rule), 0);
    memset(st, 0, sizeof *st);
    enum { T = 400 };
    static uint8_t seen[LR_NODES + 1][LR_NODES + 1][T];
    static uint32_t last_sent[LR_NODES + 1][LR_NODES + 1];
    memset(seen, 0, sizeof seen);
    memset(last_sent, 0, sizeof last_sent);
    for (uint32_t t = 0; t < T + 20; t++) {
        emulnet_deliver(net, t);
        for (uint32_t d = 1; d <= LR_NODES; d++) {
            en_msg_t *m;
            while ((m = emulnet_recv(net, A(d), t))) {
                uint32_t s = m->src.id, sent = m->sent_tick;
                seen[s][d][sent]++;
                if (lr_cross(s, d)) {
                    uint32_t late = t - sent - 1;
                    st->lag[late < 16 ? late : 15]++;
                    if (sent < last_sent[s][d])
                        st->overtakes++;
                    else
                        last_sent[s][d] = sent;
                } else if (t != sent + 1) {
                    st->other_late++;
                }
            }
        }
        if (t >= T)
            continue;
        for (uint32_t s = 1; s <= LR_NODES; s++)
            for (uint32_t d = 1; d <= LR_NODES; d++)
                if (s != d)
                    emulnet_send(net, A(s), A(d), "x", 1, t);
    }
    for (uint32_t t = 0; t < T; t++)
        for (uint32_t s = 1; s <= LR_NODES; s++)
            for (uint32_t d = 1; d <= LR_NODES; d++) {
                if (s == d)
                    continue;
                if (lr_cross(s, d)) {
                    st->cross_sent++;
                    st->cross_seen += seen[s][d][t];
                    st->cross_once += seen[s][d][t] == 1;
                    st->cross_twice += seen[s][d][t] == 2;
                } else {
                    st->other_lost += seen[s][d][t] != 1;
                }
            }
    en_stats_t es;
    emulnet_stats(net, &es);
    st->duplicated = es.duplicated;
}

/* Loss 0.3 on the A-B links: about 30% of those messages lost (960 expected of 3,200; the
 * bounds are 6 standard deviations), none of the others, nothing late or doubled. */
static void test_link_loss(void)
{
    en_link_rule_t rule = { .from = 0, .to = 400, .loss = 0.3, .groups = lr_groups,
                            .ngroups = sizeof lr_groups };
    rand_stats_t st;
    run_random_link(&rule, &st);
    CU_ASSERT_EQUAL(st.cross_sent, 3200);
    unsigned lost = st.cross_sent - st.cross_seen;
    CU_ASSERT(lost > 800 && lost < 1120);
    CU_ASSERT_EQUAL(st.cross_twice, 0);
    CU_ASSERT_EQUAL(st.other_lost, 0);
    CU_ASSERT_EQUAL(st.other_late, 0);
    CU_ASSERT_EQUAL(st.lag[0], st.cross_seen);
}

/* Duplication: with probability 1 every A-B message arrives twice, the copy 0 to 3 ticks after
 * the original (each lag seen); with 0.5 about half do; other links are untouched. */
static void test_link_duplicate(void)
{
    en_link_rule_t all = { .from = 0, .to = 400, .duplicate = 1.0, .groups = lr_groups,
                           .ngroups = sizeof lr_groups };
    rand_stats_t st;
    run_random_link(&all, &st);
    CU_ASSERT_EQUAL(st.cross_twice, st.cross_sent);
    CU_ASSERT_EQUAL(st.duplicated, st.cross_sent);
    for (unsigned k = 0; k <= EN_DUPLICATE_SPREAD; k++)
        CU_ASSERT(st.lag[k] > 0);
    CU_ASSERT_EQUAL(st.lag[EN_DUPLICATE_SPREAD + 1], 0);
    CU_ASSERT_EQUAL(st.other_lost, 0);
    CU_ASSERT_EQUAL(st.other_late, 0);
    en_link_rule_t half = all;
    half.duplicate = 0.5;
    run_random_link(&half, &st);
    CU_ASSERT(st.cross_twice > 1350 && st.cross_twice < 1850);
    CU_ASSERT_EQUAL(st.cross_once + st.cross_twice, st.cross_sent);
}

/* Rules that overlap add up: a delay of 14 and duplication (a copy up to 3 ticks later), each
 * within the first calendar of 16 buckets alone, send copies 18 ticks ahead. No message or copy
 * may arrive before its due tick (a regression: copies came 16 ticks early). */
static void test_overlapping_rules_never_early(void)
{
    fresh(2);
    en_link_rule_t delay = { .from = 0, .to = 10, .delay = 14 };
    en_link_rule_t dup = { .from = 0, .to = 10, .duplicate = 1.0 };
    en_link_rule_t jitter = { .from = 0, .to = 10, .reorder = 4 };
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &delay), 0);
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &dup), 0);
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &jitter), 0);
    unsigned got = 0;
    for (uint32_t t = 0; t < 40; t++) {
        emulnet_deliver(net, t);
        en_msg_t *m;
        while ((m = emulnet_recv(net, A(2), t))) {
            CU_ASSERT(t >= m->sent_tick + 15);
            CU_ASSERT(t <= m->sent_tick + 15 + 4 + EN_DUPLICATE_SPREAD);
            got++;
        }
        if (t < 10)
            CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "x", 1, t), EN_QUEUED);
    }
    CU_ASSERT_EQUAL(got, 20); /* every message and its copy */
}

/* Reordering up to 5 ticks: every A-B message arrives once, 0 to 5 ticks late (each lag seen),
 * and later messages overtake earlier ones; the others arrive on time. */
static void test_link_reorder(void)
{
    en_link_rule_t rule = { .from = 0, .to = 400, .reorder = 5, .groups = lr_groups,
                            .ngroups = sizeof lr_groups };
    rand_stats_t st;
    run_random_link(&rule, &st);
    CU_ASSERT_EQUAL(st.cross_once, st.cross_sent);
    for (unsigned k = 0; k <= 5; k++)
        CU_ASSERT(st.lag[k] > 300);
    CU_ASSERT_EQUAL(st.lag[6], 0);
    CU_ASSERT(st.overtakes > 100);
    CU_ASSERT_EQUAL(st.other_lost, 0);
    CU_ASSERT_EQUAL(st.other_late, 0);
    /* probabilities outside 0..1 are refused */
    en_link_rule_t bad = { .from = 0, .to = 10, .loss = 1.5 };
    CU_ASSERT_EQUAL(emulnet_add_link_rule(net, &bad), -1);
    bad.loss = 0.0;
    bad.duplicate = -0.1;
    CU_ASSERT_EQUAL(emulnet_add_link_rule(net, &bad), -1);
}

/* Rules whose delay exceeds the calendar (16 buckets at first): added at tick 3 while
 * messages are in flight, +40 on every link at [3, 6) and A-B +100 at [4, 5); at tick 7 the
 * base delay becomes 3. Nothing is delivered early, late or lost. */
static int64_t model_long(uint32_t s, uint32_t d, uint32_t t)
{
    uint32_t base = t >= 7 ? 3 : 1, extra = 0;
    if (t >= 3 && t < 6)
        extra = 40;
    if (t == 4 && lr_cross(s, d))
        extra = 100;
    return (int64_t)t + base + extra;
}

static void long_hook(uint32_t t)
{
    if (t == 3) { /* before the sends of tick 3, with the sends of ticks 0..2 in flight */
        lr_set_groups();
        en_link_rule_t r40 = { .from = 3, .to = 6, .delay = 40 };
        en_link_rule_t r100 = { .from = 4, .to = 5, .delay = 100, .groups = lr_groups,
                                .ngroups = sizeof lr_groups };
        CU_ASSERT_EQUAL(emulnet_add_link_rule(net, &r40), 0);
        CU_ASSERT_EQUAL(emulnet_add_link_rule(net, &r100), 0);
    }
    if (t == 7)
        CU_ASSERT_EQUAL(emulnet_set_delay(net, 3), 0);
}

/* A rule of +14 fits the first calendar with the base delay 1 (15 < 16); the base delay 5 set
 * afterwards makes 19, which does not: set_delay must account for the rules. */
static int64_t model_grow(uint32_t s, uint32_t d, uint32_t t)
{
    (void)s;
    (void)d;
    return (int64_t)t + 5 + (t < 10 ? 14 : 0);
}

static void test_link_delay_beyond_calendar(void)
{
    fresh(LR_NODES);
    en_link_rule_t r14 = { .from = 0, .to = 10, .delay = 14 };
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &r14), 0);
    CU_ASSERT_EQUAL_FATAL(emulnet_set_delay(net, 5), 0);
    CU_ASSERT_EQUAL(run_link_traffic(0, 14, 40, model_grow, NULL), 0);

    fresh(LR_NODES);
    CU_ASSERT_EQUAL(run_link_traffic(0, 12, 4 + 1 + 100 + 10, model_long, long_hook), 0);
    /* a delay of 1000 with the base delay 3: one message, delivered at exactly 5 + 3 + 1000 */
    en_link_rule_t r = { .from = 200, .to = 201, .delay = 1000 };
    CU_ASSERT_EQUAL_FATAL(emulnet_add_link_rule(net, &r), 0);
    for (uint32_t t = 116; t < 200; t++)
        emulnet_deliver(net, t);
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(2), "L", 1, 200), EN_QUEUED);
    CU_ASSERT_EQUAL(emulnet_send(net, A(2), A(1), "S", 1, 201), EN_QUEUED); /* after the window */
    unsigned early = 0, seen_l = 0, seen_s = 0;
    for (uint32_t t = 200; t <= 1300; t++) {
        emulnet_deliver(net, t);
        en_msg_t *m;
        while ((m = emulnet_recv(net, A(2), t))) {
            early += t != 200 + 3 + 1000;
            seen_l++;
        }
        while ((m = emulnet_recv(net, A(1), t))) {
            early += t != 201 + 3;
            seen_s++;
        }
    }
    CU_ASSERT_EQUAL(early, 0);
    CU_ASSERT_EQUAL(seen_l, 1);
    CU_ASSERT_EQUAL(seen_s, 1);
}

/* set_down, then set_up: unreachable in between (undeliverable, inbox discarded and not
 * restored), reachable again afterwards, and able to send all along. */
static void test_set_up_again(void)
{
    fresh(3);
    en_stats_t st;
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(3), "a", 1, 0), EN_QUEUED);
    emulnet_deliver(net, 0);
    emulnet_deliver(net, 1); /* "a" waits in 3's inbox */
    emulnet_set_down(net, A(3));
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(3), "b", 1, 1), EN_UNDELIVERABLE);
    CU_ASSERT_PTR_NULL(emulnet_recv(net, A(3), 1));
    emulnet_set_up(net, A(3));
    CU_ASSERT_PTR_NULL(emulnet_recv(net, A(3), 1)); /* the old inbox is gone for good */
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(3), "c", 1, 1), EN_QUEUED);
    CU_ASSERT_EQUAL(emulnet_send(net, A(3), A(2), "d", 1, 1), EN_QUEUED);
    emulnet_deliver(net, 2);
    en_msg_t *m = emulnet_recv(net, A(3), 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->data[0], 'c');
    CU_ASSERT_PTR_NULL(emulnet_recv(net, A(3), 2));
    m = emulnet_recv(net, A(2), 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->data[0], 'd');
    emulnet_stats(net, &st);
    CU_ASSERT_EQUAL(st.undeliverable, 1);
    CU_ASSERT_EQUAL(st.delivered, 2);
    CU_ASSERT_EQUAL(emulnet_recv_by(net, A(3), 2), 1);
    /* down and up again, several times; set_up of an up node and of an unknown one is harmless */
    emulnet_set_up(net, A(3));
    emulnet_set_up(net, A(77));
    for (uint32_t k = 0; k < 3; k++) {
        uint32_t t = 10 + 2 * k;
        emulnet_deliver(net, t);
        emulnet_set_down(net, A(3));
        CU_ASSERT_EQUAL(emulnet_send(net, A(2), A(3), "x", 1, t), EN_UNDELIVERABLE);
        emulnet_set_up(net, A(3));
        CU_ASSERT_EQUAL(emulnet_send(net, A(2), A(3), "y", 1, t), EN_QUEUED);
        emulnet_deliver(net, t + 1);
        m = emulnet_recv(net, A(3), t + 1);
        CU_ASSERT_PTR_NOT_NULL(m);
        if (m)
            CU_ASSERT_EQUAL(m->data[0], 'y');
    }
    CU_ASSERT_EQUAL(emulnet_send(net, A(1), A(77), "z", 1, 20), EN_UNDELIVERABLE);
}

static int suite_cleanup(void)
{
    teardown();
    return 0;
}

int add_emulnet_suite(void)
{
    CU_pSuite s = CU_add_suite("emulnet", setup, suite_cleanup);
    if (!s)
        return CU_get_error();
    if (!CU_add_test(s, "overlapping rules: nothing arrives early", test_overlapping_rules_never_early) ||
        !CU_add_test(s, "delivered at t+1, not before", test_delivery_tick) ||
        !CU_add_test(s, "FIFO per destination, several senders", test_fifo) ||
        !CU_add_test(s, "bytes are copied at send", test_bytes_copied) ||
        !CU_add_test(s, "unknown and down destinations are undeliverable", test_undeliverable) ||
        !CU_add_test(s, "set_down discards the inbox", test_set_down_discards_inbox) ||
        !CU_add_test(s, "attach: id 0, duplicates, bounds", test_attach) ||
        !CU_add_test(s, "attach same id, other port (regression)", test_attach_same_id_other_port) ||
        !CU_add_test(s, "ticks from EN_MAX_TICK on are refused (regression)", test_tick_limit) ||
        !CU_add_test(s, "loss window [10,20) p=0.3", test_loss_window) ||
        !CU_add_test(s, "loss p=0 and p=1", test_loss_extremes) ||
        !CU_add_test(s, "per-node per-tick counters", test_counters) ||
        !CU_add_test(s, "msgcount.log output", test_write_counts) ||
        !CU_add_test(s, "set_delay(3), set_delay(0) rejected", test_delay) ||
        !CU_add_test(s, "long delay, delay change with messages in flight",
                     test_long_delay_and_change_in_flight) ||
        !CU_add_test(s, "link rule: cut between groups, in its window only", test_link_cut) ||
        !CU_add_test(s, "link rule: delay between groups, send + 1 + delay", test_link_delay) ||
        !CU_add_test(s, "link rules one way: a cut A->B, a delay B->A", test_link_one_way) ||
        !CU_add_test(s, "link rule: loss on the A-B links only, at its rate", test_link_loss) ||
        !CU_add_test(s, "link rule: duplicates 0-3 ticks after the original", test_link_duplicate) ||
        !CU_add_test(s, "link rule: reordering 0-D ticks, messages overtake", test_link_reorder) ||
        !CU_add_test(s, "link rules: all links (NULL groups), overlaps take the maximum",
                     test_link_delay_all_and_overlap) ||
        !CU_add_test(s, "link rules: delays beyond the calendar, nothing early or lost",
                     test_link_delay_beyond_calendar) ||
        !CU_add_test(s, "set_up after set_down: reachable again", test_set_up_again) ||
        !CU_add_test(s, "unread messages kept in order across deliveries", test_unread_messages_kept) ||
        !CU_add_test(s, "per-tick counts past 16 bits, late attach", test_counts_past_16_bits))
        return CU_get_error();
    return CUE_SUCCESS;
}
