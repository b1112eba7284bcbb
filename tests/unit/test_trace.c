/* test_trace.c: CUnit suite for the observer bus and the JSON Lines trace writer: exact bytes
 * of each line kind, string escaping, message lines only for observers that ask for them. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observe.h"
#include "suites.h"
#include "trace.h"
#include "wire.h"

typedef struct {
    FILE *f;
    char *text;
    size_t len;
    trace_t *t;
} sink_t;

static void sink_open(sink_t *s, bool messages)
{
    s->text = NULL;
    s->len = 0;
    s->f = open_memstream(&s->text, &s->len);
    CU_ASSERT_FATAL(s->f != NULL);
    trace_run_t run = { .testcase = "x.conf", .seed = 7, .nodes = 3, .ticks = 50, .kv = true,
                        .t_fail = 26, .t_remove = 26, .probe_timeout = 10 };
    s->t = trace_new(s->f, &run, messages);
    CU_ASSERT_FATAL(s->t != NULL);
    trace_begin(s->t);
}

/* Closes the stream; s->text holds everything written. */
static void sink_close(sink_t *s)
{
    trace_free(s->t);
    fclose(s->f);
}

/* The n-th line (0-based) of text, without its newline, in buf. */
static const char *line_of(const char *text, int n, char *buf, size_t cap)
{
    const char *p = text;
    for (int i = 0; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    buf[0] = '\0';
    if (!p || !*p)
        return buf;
    size_t len = strcspn(p, "\n");
    if (len >= cap)
        len = cap - 1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return buf;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

#define EXPECT_LINE(text, n, want)                                                               \
    do {                                                                                         \
        char got_[1024];                                                                         \
        line_of(text, n, got_, sizeof got_);                                                     \
        CU_ASSERT_STRING_EQUAL(got_, want);                                                      \
        if (strcmp(got_, want) != 0)                                                             \
            fprintf(stderr, "\n  line %d:\n  got  %s\n  want %s\n", n, got_, want);              \
    } while (0)

/* Every kind of line has exactly the documented fields, in order (README, "Trace"). */
static void test_line_bytes(void)
{
    sink_t s;
    sink_open(&s, true);
    obs_bus_t bus = { 0 };
    observer_t o = trace_observer(s.t);
    CU_ASSERT_EQUAL(obs_attach(&bus, &o), 0);
    addr_t a = addr_make(1, 0), b = addr_make(2, 0), c = addr_make(3, 0);
    addr_t asked[3] = { a, b, c }, answered[2] = { b, c };
    kv_version_t v = { 6553600, 9 };
    obs_event_t evs[] = {
        { .kind = OBS_NODE, .tick = 1, .node = a, .what = "start" },
        { .kind = OBS_NODE, .tick = 2, .node = b, .what = "restart", .flag = true },
        { .kind = OBS_NODE, .tick = 3, .node = c, .what = "pause", .arg = 20 },
        { .kind = OBS_MEMBER, .tick = 4, .node = a, .peer = b, .what = "joined", .arg = 2 },
        { .kind = OBS_OP, .tick = 5, .node = a, .txid = 1, .op = KV_CREATE, .key = "k1",
          .value = "v1", .version = v, .asked = asked, .nasked = 3 },
        { .kind = OBS_RESULT, .tick = 7, .node = a, .txid = 1, .op = KV_CREATE, .key = "k1",
          .value = "v1", .version = v, .flag = true, .latency = 2, .asked = asked, .nasked = 3,
          .answered = answered, .nanswered = 2 },
        { .kind = OBS_RESULT, .tick = 8, .node = a, .txid = 2, .op = KV_READ, .key = "k1",
          .version = { 0, 0 }, .flag = false, .latency = 10, .asked = asked, .nasked = 0 },
        { .kind = OBS_SERVE, .tick = 6, .node = b, .peer = a, .txid = 1, .op = KV_CREATE,
          .key = "k1", .flag = true, .what = "applied", .version = v },
        { .kind = OBS_TRANSFER, .tick = 9, .node = b, .peer = c, .what = "received",
          .key = "k1", .version = v, .flag = true },
        { .kind = OBS_REPAIR, .tick = 10, .node = c, .peer = a, .what = "sent", .key = "k1",
          .version = v },
        { .kind = OBS_WINDOW, .tick = 11, .until = 20, .line = 4, .text = "partition",
          .detail = "a=1 b=2-3" },
        { .kind = OBS_VERDICT, .tick = 12, .line = 5, .flag = false, .text = "expect x",
          .detail = "why" },
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        obs_emit(&bus, &evs[i]);
    uint8_t ping[64];
    member_msg_t pm = { .type = MSG_PING, .from = a, .count = 1, .entries = { { a, 0, 5 } } };
    int plen = wire_encode_member(&pm, ping, sizeof ping);
    CU_ASSERT_FATAL(plen > 0);
    obs_event_t msg = { .kind = OBS_MESSAGE, .tick = 13, .node = a, .peer = b, .what = "lost",
                        .arg = (uint32_t)plen, .data = ping };
    obs_emit(&bus, &msg);
    trace_end(s.t, 50);
    sink_close(&s);
    const char *t = s.text;
    EXPECT_LINE(t, 0, "{\"t\":0,\"ev\":\"run\",\"schema\":1,\"testcase\":\"x.conf\",\"seed\":7,"
                      "\"nodes\":3,\"ticks\":50,\"kv\":true,\"t_fail\":26,\"t_remove\":26,"
                      "\"probe_timeout\":10,\"messages\":true}");
    EXPECT_LINE(t, 1, "{\"t\":1,\"ev\":\"node\",\"node\":\"1.0.0.0:0\",\"what\":\"start\","
                      "\"added\":false}");
    EXPECT_LINE(t, 2, "{\"t\":2,\"ev\":\"node\",\"node\":\"2.0.0.0:0\",\"what\":\"restart\","
                      "\"keep_data\":true}");
    EXPECT_LINE(t, 3, "{\"t\":3,\"ev\":\"node\",\"node\":\"3.0.0.0:0\",\"what\":\"pause\","
                      "\"for\":20}");
    EXPECT_LINE(t, 4, "{\"t\":4,\"ev\":\"member\",\"node\":\"1.0.0.0:0\",\"member\":\"2.0.0.0:0\","
                      "\"what\":\"joined\",\"incarnation\":2}");
    EXPECT_LINE(t, 5, "{\"t\":5,\"ev\":\"op\",\"coordinator\":\"1.0.0.0:0\",\"txid\":1,"
                      "\"op\":\"create\",\"key\":\"k1\",\"value\":\"v1\",\"version\":\"6553600.9\","
                      "\"asked\":[\"1.0.0.0:0\",\"2.0.0.0:0\",\"3.0.0.0:0\"]}");
    EXPECT_LINE(t, 6, "{\"t\":7,\"ev\":\"result\",\"coordinator\":\"1.0.0.0:0\",\"txid\":1,"
                      "\"op\":\"create\",\"key\":\"k1\",\"ok\":true,\"value\":\"v1\","
                      "\"version\":\"6553600.9\",\"latency\":2,"
                      "\"asked\":[\"1.0.0.0:0\",\"2.0.0.0:0\",\"3.0.0.0:0\"],"
                      "\"answered\":[\"2.0.0.0:0\",\"3.0.0.0:0\"]}");
    EXPECT_LINE(t, 7, "{\"t\":8,\"ev\":\"result\",\"coordinator\":\"1.0.0.0:0\",\"txid\":2,"
                      "\"op\":\"read\",\"key\":\"k1\",\"ok\":false,\"version\":\"0.0\","
                      "\"latency\":10,\"asked\":[],\"answered\":[]}");
    EXPECT_LINE(t, 8, "{\"t\":6,\"ev\":\"serve\",\"replica\":\"2.0.0.0:0\","
                      "\"coordinator\":\"1.0.0.0:0\",\"txid\":1,\"op\":\"create\",\"key\":\"k1\","
                      "\"ok\":true,\"what\":\"applied\",\"version\":\"6553600.9\"}");
    EXPECT_LINE(t, 9, "{\"t\":9,\"ev\":\"transfer\",\"node\":\"2.0.0.0:0\",\"peer\":\"3.0.0.0:0\","
                      "\"what\":\"received\",\"key\":\"k1\",\"version\":\"6553600.9\","
                      "\"applied\":true}");
    EXPECT_LINE(t, 10, "{\"t\":10,\"ev\":\"repair\",\"node\":\"3.0.0.0:0\","
                       "\"peer\":\"1.0.0.0:0\",\"key\":\"k1\",\"version\":\"6553600.9\"}");
    EXPECT_LINE(t, 11, "{\"t\":11,\"ev\":\"window\",\"kind\":\"partition\",\"until\":20,"
                       "\"line\":4,\"detail\":\"a=1 b=2-3\"}");
    EXPECT_LINE(t, 12, "{\"t\":12,\"ev\":\"verdict\",\"line\":5,\"pass\":false,"
                       "\"expect\":\"expect x\",\"detail\":\"why\"}");
    EXPECT_LINE(t, 13, "{\"t\":13,\"ev\":\"msg\",\"what\":\"lost\",\"src\":\"1.0.0.0:0\","
                       "\"dst\":\"2.0.0.0:0\",\"type\":\"ping\",\"bytes\":25}");
    EXPECT_LINE(t, 14, "{\"t\":50,\"ev\":\"end\",\"lines\":15}");
    CU_ASSERT_EQUAL(count_lines(t), 15);
    free(s.text);
}

/* Quotes, backslashes and control characters in strings are escaped (RFC 8259). */
static void test_escaping(void)
{
    sink_t s;
    sink_open(&s, false);
    obs_bus_t bus = { 0 };
    observer_t o = trace_observer(s.t);
    obs_attach(&bus, &o);
    obs_event_t ev = { .kind = OBS_VERDICT, .tick = 1, .line = 2, .flag = true,
                       .text = "a\"b\\c", .detail = "tab\there\nnl\x01" };
    obs_emit(&bus, &ev);
    sink_close(&s);
    EXPECT_LINE(s.text, 1, "{\"t\":1,\"ev\":\"verdict\",\"line\":2,\"pass\":true,"
                           "\"expect\":\"a\\\"b\\\\c\",\"detail\":\"tab\\u0009here\\u000anl\\u0001\"}");
    CU_ASSERT_EQUAL(count_lines(s.text), 2);
    free(s.text);
    /* UTF-8 passes as it is; other bytes >= 0x80 become U+FFFD (a path may be any bytes) */
    sink_open(&s, false);
    o = trace_observer(s.t);
    obs_bus_t bus2 = { 0 };
    obs_attach(&bus2, &o);
    obs_event_t u = { .kind = OBS_VERDICT, .tick = 1, .line = 2, .flag = true,
                      .text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82",
                      .detail = "\xff\xc3(\xed\xa0\x80\xc0\xaf" };
    obs_emit(&bus2, &u);
    sink_close(&s);
    EXPECT_LINE(s.text, 1, "{\"t\":1,\"ev\":\"verdict\",\"line\":2,\"pass\":true,"
                           "\"expect\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82\","
                           "\"detail\":\"\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"}");
    free(s.text);
}

static int calls[2];
static void count0(void *ctx, const obs_event_t *ev)
{
    (void)ctx;
    (void)ev;
    calls[0]++;
}
static void count1(void *ctx, const obs_event_t *ev)
{
    (void)ctx;
    (void)ev;
    calls[1]++;
}

/* Message events go only to observers that want them; a NULL or empty bus takes anything; at
 * most OBS_MAX_OBSERVERS attach. */
static void test_bus(void)
{
    obs_bus_t bus = { 0 };
    obs_event_t node = { .kind = OBS_NODE, .what = "start" };
    obs_event_t msg = { .kind = OBS_MESSAGE, .what = "sent" };
    obs_emit(NULL, &node);
    obs_emit(&bus, &node);
    CU_ASSERT_FALSE(obs_wanted(&bus));
    CU_ASSERT_FALSE(obs_wants_messages(&bus));
    observer_t plain = { count0, NULL, false }, chatty = { count1, NULL, true };
    CU_ASSERT_EQUAL(obs_attach(&bus, &plain), 0);
    CU_ASSERT_TRUE(obs_wanted(&bus));
    CU_ASSERT_FALSE(obs_wants_messages(&bus));
    CU_ASSERT_EQUAL(obs_attach(&bus, &chatty), 0);
    CU_ASSERT_TRUE(obs_wants_messages(&bus));
    calls[0] = calls[1] = 0;
    obs_emit(&bus, &node);
    obs_emit(&bus, &msg);
    obs_emit(&bus, &msg);
    CU_ASSERT_EQUAL(calls[0], 1);
    CU_ASSERT_EQUAL(calls[1], 3);
    CU_ASSERT_EQUAL(obs_attach(&bus, &plain), 0);
    CU_ASSERT_EQUAL(obs_attach(&bus, &plain), 0);
    CU_ASSERT_EQUAL(obs_attach(&bus, &plain), -1);
}

int add_trace_suite(void)
{
    CU_pSuite s = CU_add_suite("trace", NULL, NULL);
    if (!s)
        return CU_get_error();
    if (!CU_add_test(s, "every line kind has its documented fields, in order", test_line_bytes) ||
        !CU_add_test(s, "strings are escaped: quote, backslash, control characters",
                     test_escaping) ||
        !CU_add_test(s, "bus: message events only to observers that want them", test_bus))
        return CU_get_error();
    return 0;
}
