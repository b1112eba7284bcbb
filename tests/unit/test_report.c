/* test_report.c: CUnit suite for the HTML report's bookkeeping: failures with their first and
 * last removal, per-node counters, verdict rows, misplaced keys, message diagrams of focus
 * operations with lost messages, and escaping of text taken from the scenario. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "suites.h"
#include "wire.h"

static char *render(report_t *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT_EQUAL(report_write(r, f), 0);
    fclose(f);
    return text;
}

#define HAS(text, s)                                                                             \
    do {                                                                                         \
        CU_ASSERT_PTR_NOT_NULL(strstr(text, s));                                                 \
        if (!strstr(text, s))                                                                    \
            fprintf(stderr, "\n  missing: %s\n", s);                                             \
    } while (0)

static void emit(const observer_t *o, obs_event_t ev)
{
    o->on_event(o->ctx, &ev);
}

/* Node 2 fails at 100; nodes 1 and 3 remove it at 112 and 115, and node 1 removes it again
 * after its restart (that removal is of a later failure, at 300). */
static void test_failures_and_counters(void)
{
    report_run_t run = { .testcase = "a<b>.conf", .seed = 9, .nodes = 3, .ticks = 400, .kv = true };
    report_t *r = report_new(&run);
    CU_ASSERT_FATAL(r != NULL);
    observer_t o = report_observer(r);
    CU_ASSERT_TRUE(o.messages);
    addr_t n1 = addr_make(1, 0), n2 = addr_make(2, 0), n3 = addr_make(3, 0);
    for (uint32_t id = 1; id <= 3; id++)
        emit(&o, (obs_event_t){ .kind = OBS_NODE, .tick = 0, .node = addr_make(id, 0),
                                .what = "start" });
    emit(&o, (obs_event_t){ .kind = OBS_NODE, .tick = 100, .node = n2, .what = "fail" });
    emit(&o, (obs_event_t){ .kind = OBS_MEMBER, .tick = 112, .node = n1, .peer = n2,
                            .what = "removed" });
    emit(&o, (obs_event_t){ .kind = OBS_MEMBER, .tick = 115, .node = n3, .peer = n2,
                            .what = "removed" });
    emit(&o, (obs_event_t){ .kind = OBS_NODE, .tick = 200, .node = n2, .what = "restart" });
    emit(&o, (obs_event_t){ .kind = OBS_NODE, .tick = 300, .node = n2, .what = "fail" });
    emit(&o, (obs_event_t){ .kind = OBS_MEMBER, .tick = 320, .node = n1, .peer = n2,
                            .what = "removed" });
    emit(&o, (obs_event_t){ .kind = OBS_MEMBER, .tick = 50, .node = n3, .peer = n1,
                            .what = "refuted" });
    emit(&o, (obs_event_t){ .kind = OBS_SERVE, .tick = 60, .node = n3, .what = "applied" });
    emit(&o, (obs_event_t){ .kind = OBS_MESSAGE, .tick = 5, .node = n1, .peer = n3,
                            .what = "sent" });
    emit(&o, (obs_event_t){ .kind = OBS_MESSAGE, .tick = 6, .node = n1, .peer = n3,
                            .what = "delivered" });
    emit(&o, (obs_event_t){ .kind = OBS_MESSAGE, .tick = 7, .node = n1, .peer = n3,
                            .what = "lost" });
    emit(&o, (obs_event_t){ .kind = OBS_VERDICT, .tick = 130, .line = 7, .flag = false,
                            .text = "expect node 2 removed by 110", .detail = "x<y" });
    report_ring_node(r, n1, 0, 1);
    report_ring_node(r, n3, 1ull << 63, 2);
    report_ring_key(r, "ok1", 5, 2, 2, true);
    report_ring_key(r, "under1", 7, 2, 1, false);
    char *t = render(r);
    HAS(t, "<h1>Run report: a&lt;b&gt;.conf, seed 9</h1>");
    HAS(t, "<th>failures</th><td>2</td>");
    HAS(t, "<tr><td>2</td><td>100</td><td>112 (+12)</td><td>115 (+15)</td><td>2</td></tr>");
    HAS(t, "<tr><td>2</td><td>300</td><td>320 (+20)</td><td>320 (+20)</td><td>1</td></tr>");
    HAS(t, "<tr class=\"fail\"><td>7</td><td>FAIL</td><td>expect node 2 removed by 110</td>"
           "<td>130</td><td>x&lt;y</td></tr>");
    /* node 1 sent 2 (one lost), node 3 received 1, served 1, holds 2 keys, refuted 1 */
    HAS(t, "<tr><td>1</td><td>2</td><td>0</td><td>0</td><td>0</td><td>1</td><td>0</td>"
           "<td>running</td></tr>");
    HAS(t, "<tr><td>2</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td>"
           "<td>down</td></tr>");
    HAS(t, "<tr><td>3</td><td>0</td><td>1</td><td>0</td><td>1</td><td>2</td><td>1</td>"
           "<td>running</td></tr>");
    HAS(t, "2 keys (ticks inside), 1 of them not on exactly their replicas");
    HAS(t, "<tr class=\"fail\"><td>under1</td><td>1</td><td>2</td><td>under-replicated</td></tr>");
    HAS(t, "<th>messages</th><td>2 sent, 1 lost or undeliverable</td>");
    HAS(t, "<title>node 2 restarted at 200</title>");
    CU_ASSERT_PTR_NULL(strstr(t, "<script"));
    free(t);
    report_free(r);
}

static size_t encode(kv_op_t op, uint8_t type, uint32_t txid, addr_t from, uint8_t *buf, size_t cap)
{
    static kv_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.from = from;
    m.txid = txid;
    m.op = op;
    m.flags = type == MSG_KV_REPLY ? KV_FLAG_OK : 0;
    strcpy(m.key, "k1");
    m.klen = 2;
    int len = wire_encode_kv(&m, buf, cap);
    CU_ASSERT_FATAL(len > 0);
    return (size_t)len;
}

/* An operation on a focus key: its requests and replies are drawn; a lost one is crossed. */
static void test_sequence_diagram(void)
{
    report_run_t run = { .testcase = "s.conf", .seed = 1, .nodes = 4, .ticks = 50, .kv = true };
    report_t *r = report_new(&run);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT_EQUAL(report_focus_key(r, "k1"), 0);
    observer_t o = report_observer(r);
    addr_t c = addr_make(1, 0), a = addr_make(2, 0), b = addr_make(3, 0), d = addr_make(4, 0);
    addr_t asked[3] = { a, b, d };
    emit(&o, (obs_event_t){ .kind = OBS_OP, .tick = 10, .node = c, .txid = 5, .op = KV_READ,
                            .key = "k1", .asked = asked, .nasked = 3 });
    emit(&o, (obs_event_t){ .kind = OBS_OP, .tick = 10, .node = c, .txid = 6, .op = KV_READ,
                            .key = "other", .asked = asked, .nasked = 3 });
    uint8_t req[256], rep[256];
    size_t rl = encode(KV_READ, MSG_KV_REQUEST, 5, c, req, sizeof req);
    for (int i = 0; i < 3; i++) {
        emit(&o, (obs_event_t){ .kind = OBS_MESSAGE, .tick = 10, .node = c, .peer = asked[i],
                                .what = i == 2 ? "lost" : "sent", .data = req, .arg = (uint32_t)rl });
        if (i < 2)
            emit(&o, (obs_event_t){ .kind = OBS_MESSAGE, .tick = 11, .node = c, .peer = asked[i],
                                    .what = "delivered", .data = req, .arg = (uint32_t)rl });
    }
    for (int i = 0; i < 2; i++) {
        size_t pl = encode(KV_READ, MSG_KV_REPLY, 5, asked[i], rep, sizeof rep);
        emit(&o, (obs_event_t){ .kind = OBS_MESSAGE, .tick = 11, .node = asked[i], .peer = c,
                                .what = "sent", .data = rep, .arg = (uint32_t)pl });
        emit(&o, (obs_event_t){ .kind = OBS_MESSAGE, .tick = 12, .node = asked[i], .peer = c,
                                .what = "delivered", .data = rep, .arg = (uint32_t)pl });
    }
    emit(&o, (obs_event_t){ .kind = OBS_RESULT, .tick = 12, .node = c, .txid = 5, .op = KV_READ,
                            .key = "k1", .flag = true, .latency = 2 });
    char *t = render(r);
    HAS(t, "<figcaption>txid 5: read k1 via 1.0.0.0:0, issued at 10, succeeded</figcaption>");
    CU_ASSERT_PTR_NULL(strstr(t, "txid 6:"));
    size_t arrows = 0, crosses = 0;
    for (const char *p = t; (p = strstr(p, "marker-end=\"url(#arrow)\"")); p++)
        arrows++;
    for (const char *p = t; (p = strstr(p, "class=\"lostx\"")); p++)
        crosses++;
    CU_ASSERT_EQUAL(arrows, 4); /* two requests, two replies delivered */
    CU_ASSERT_EQUAL(crosses, 1); /* the request to node 4 */
    HAS(t, "request sent at 10, delivered at 11");
    HAS(t, "reply sent at 11, delivered at 12");
    HAS(t, "request sent at 10, lost");
    free(t);
    report_free(r);
}

/* A second, shorter pause of a paused node does not end the first: the lane stays paused until
 * the resume event (tick 301 for pauses of 200 at 100 and 5 at 110). */
static void test_pause_lane(void)
{
    report_run_t run = { .testcase = "p.conf", .seed = 1, .nodes = 2, .ticks = 400 };
    report_t *r = report_new(&run);
    CU_ASSERT_FATAL(r != NULL);
    observer_t o = report_observer(r);
    addr_t n2 = addr_make(2, 0);
    emit(&o, (obs_event_t){ .kind = OBS_NODE, .tick = 0, .node = n2, .what = "start" });
    emit(&o, (obs_event_t){ .kind = OBS_NODE, .tick = 100, .node = n2, .what = "pause", .arg = 200 });
    emit(&o, (obs_event_t){ .kind = OBS_NODE, .tick = 110, .node = n2, .what = "pause", .arg = 5 });
    emit(&o, (obs_event_t){ .kind = OBS_NODE, .tick = 301, .node = n2, .what = "resume" });
    char *t = render(r);
    /* x = 60 + tick / 400 * 830: the pause bar from 100 (267.5) for 201 ticks (417.1) */
    HAS(t, "<rect class=\"pause\" x=\"267.5\" y=\"14.0\" width=\"417.1\"");
    size_t bars = 0;
    for (const char *p = t; (p = strstr(p, "class=\"pause\"")); p++)
        bars++;
    CU_ASSERT_EQUAL(bars, 1);
    free(t);
    report_free(r);
}

int add_report_suite(void)
{
    CU_pSuite s = CU_add_suite("report", NULL, NULL);
    if (!s)
        return CU_get_error();
    if (!CU_add_test(s, "failures with first and last removal, node counters, verdicts, keys",
                     test_failures_and_counters) ||
        !CU_add_test(s, "message diagram of a focus operation, a lost request crossed",
                     test_sequence_diagram) ||
        !CU_add_test(s, "a shorter second pause does not end the first on the lane",
                     test_pause_lane))
        return CU_get_error();
    return 0;
}
