/* trace.c: the JSON Lines trace writer, an observer. Each event becomes one object on one line,
 * built in a line buffer (strings escaped per RFC 8259) and written with one fwrite. */
#include "trace.h"

#include <stdlib.h>
#include <string.h>

struct trace {
    FILE *out;
    bool messages;
    trace_run_t run; /* for the "run" line (testcase: the copy below) */
    char *testcase;
    uint64_t lines;
    char *buf; /* the line being built */
    size_t len, cap;
    bool oom;  /* the line being built did not fit in memory: it is left out */
};

static void put(trace_t *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 512;
        while (t->len + n + 1 > cap)
            cap *= 2;
        char *b = realloc(t->buf, cap);
        if (!b) {
            t->oom = true;
            return;
        }
        t->buf = b;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

static void put_s(trace_t *t, const char *s)
{
    put(t, s, strlen(s));
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF), or 0 if the bytes there are not one. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

/* A JSON string (RFC 8259): quotes, backslashes and control characters escaped, UTF-8 as it is,
 * any other byte as U+FFFD. Keys and values are printable ASCII in every run (wire_kv_text_ok);
 * a testcase's path may be any bytes. */
static void put_json_string(trace_t *t, const char *s)
{
    put(t, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        char esc[8];
        size_t n;
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(t, esc, 2);
            p++;
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            put(t, esc, 6);
            p++;
        } else if (*p < 0x80) {
            put(t, (const char *)p, 1);
            p++;
        } else if ((n = utf8_len(p)) > 0) {
            put(t, (const char *)p, n);
            p += n;
        } else {
            put(t, "\\ufffd", 6);
            p++;
        }
    }
    put(t, "\"", 1);
}

/* ,"name": */
static void put_name(trace_t *t, const char *name)
{
    put(t, ",\"", 2);
    put_s(t, name);
    put(t, "\":", 2);
}

static void field_str(trace_t *t, const char *name, const char *v)
{
    put_name(t, name);
    put_json_string(t, v);
}

static void field_u64(trace_t *t, const char *name, uint64_t v)
{
    char num[24];
    put_name(t, name);
    put(t, num, (size_t)(addr_put_uint(num, v) - num));
}

static void field_bool(trace_t *t, const char *name, bool v)
{
    put_name(t, name);
    put_s(t, v ? "true" : "false");
}

/* An address needs no escaping: digits, dots, a colon and a sign. */
static void put_addr_string(trace_t *t, addr_t a)
{
    char text[ADDR_STRLEN + 2];
    text[0] = '"';
    char *end = addr_put(text + 1, a);
    *end++ = '"';
    put(t, text, (size_t)(end - text));
}

static void field_addr(trace_t *t, const char *name, addr_t a)
{
    put_name(t, name);
    put_addr_string(t, a);
}

static void field_addrs(trace_t *t, const char *name, const addr_t *a, size_t n)
{
    put_name(t, name);
    put(t, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(t, ",", 1);
        put_addr_string(t, a[i]);
    }
    put(t, "]", 1);
}

/* A version as the final-state dump writes it: "stamp.node". */
static void field_version(trace_t *t, const char *name, kv_version_t v)
{
    char text[48], *p = text;
    *p++ = '"';
    p = addr_put_uint(p, v.stamp);
    *p++ = '.';
    p = addr_put_uint(p, v.node);
    *p++ = '"';
    put_name(t, name);
    put(t, text, (size_t)(p - text));
}

/* Starts a line: {"t":TICK,"ev":"NAME" */
static void begin(trace_t *t, uint32_t tick, const char *ev)
{
    char num[24];
    t->len = 0;
    put(t, "{\"t\":", 5);
    put(t, num, (size_t)(addr_put_uint(num, tick) - num));
    put(t, ",\"ev\":\"", 7);
    put_s(t, ev);
    put(t, "\"", 1);
}

static void finish(trace_t *t)
{
    put(t, "}\n", 2);
    if (t->oom) { /* the line could not be built whole: left out rather than written broken */
        t->oom = false;
        return;
    }
    fwrite(t->buf, 1, t->len, t->out);
    t->lines++;
}

static void write_op(trace_t *t, const obs_event_t *ev)
{
    field_u64(t, "txid", ev->txid);
    field_str(t, "op", kv_op_name(ev->op));
    field_str(t, "key", ev->key ? ev->key : "");
}

static void on_event(void *ctx, const obs_event_t *ev)
{
    trace_t *t = ctx;
    switch (ev->kind) {
    case OBS_NODE:
        begin(t, ev->tick, "node");
        field_addr(t, "node", ev->node);
        field_str(t, "what", ev->what);
        if (!strcmp(ev->what, "start"))
            field_bool(t, "added", ev->flag);
        else if (!strcmp(ev->what, "restart"))
            field_bool(t, "keep_data", ev->flag);
        else if (!strcmp(ev->what, "pause"))
            field_u64(t, "for", ev->arg);
        break;
    case OBS_MEMBER:
        begin(t, ev->tick, "member");
        field_addr(t, "node", ev->node);
        field_addr(t, "member", ev->peer);
        field_str(t, "what", ev->what);
        field_u64(t, "incarnation", ev->arg);
        break;
    case OBS_OP:
        begin(t, ev->tick, "op");
        field_addr(t, "coordinator", ev->node);
        write_op(t, ev);
        if (ev->value)
            field_str(t, "value", ev->value);
        field_version(t, "version", ev->version);
        field_addrs(t, "asked", ev->asked, ev->nasked);
        break;
    case OBS_RESULT:
        begin(t, ev->tick, "result");
        field_addr(t, "coordinator", ev->node);
        write_op(t, ev);
        field_bool(t, "ok", ev->flag);
        if (ev->value)
            field_str(t, "value", ev->value);
        field_version(t, "version", ev->version);
        field_u64(t, "latency", ev->latency);
        field_addrs(t, "asked", ev->asked, ev->nasked);
        field_addrs(t, "answered", ev->answered, ev->nanswered);
        break;
    case OBS_SERVE:
        begin(t, ev->tick, "serve");
        field_addr(t, "replica", ev->node);
        field_addr(t, "coordinator", ev->peer);
        write_op(t, ev);
        field_bool(t, "ok", ev->flag);
        field_str(t, "what", ev->what);
        field_version(t, "version", ev->version);
        break;
    case OBS_TRANSFER:
        begin(t, ev->tick, "transfer");
        field_addr(t, "node", ev->node);
        field_addr(t, "peer", ev->peer);
        field_str(t, "what", ev->what);
        field_str(t, "key", ev->key ? ev->key : "");
        field_version(t, "version", ev->version);
        if (!strcmp(ev->what, "received"))
            field_bool(t, "applied", ev->flag);
        break;
    case OBS_REPAIR:
        begin(t, ev->tick, "repair");
        field_addr(t, "node", ev->node);
        field_addr(t, "peer", ev->peer);
        field_str(t, "key", ev->key ? ev->key : "");
        field_version(t, "version", ev->version);
        break;
    case OBS_WINDOW:
        begin(t, ev->tick, "window");
        field_str(t, "kind", ev->text);
        field_u64(t, "until", ev->until);
        field_u64(t, "line", ev->line);
        field_str(t, "detail", ev->detail ? ev->detail : "");
        break;
    case OBS_VERDICT:
        begin(t, ev->tick, "verdict");
        field_u64(t, "line", ev->line);
        field_bool(t, "pass", ev->flag);
        field_str(t, "expect", ev->text ? ev->text : "");
        field_str(t, "detail", ev->detail ? ev->detail : "");
        break;
    case OBS_MESSAGE:
        begin(t, ev->tick, "msg");
        field_str(t, "what", ev->what);
        field_addr(t, "src", ev->node);
        field_addr(t, "dst", ev->peer);
        field_str(t, "type", trace_msg_type(wire_peek_type(ev->data, ev->arg)));
        field_u64(t, "bytes", ev->arg);
        break;
    default:
        return;
    }
    finish(t);
}

trace_t *trace_new(FILE *out, const trace_run_t *run, bool messages)
{
    trace_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->out = out;
    t->messages = messages;
    t->run = *run;
    t->testcase = strdup(run->testcase ? run->testcase : "");
    if (!t->testcase) {
        free(t);
        return NULL;
    }
    return t;
}

void trace_begin(trace_t *t)
{
    const trace_run_t *run = &t->run;
    begin(t, 0, "run");
    field_u64(t, "schema", TRACE_SCHEMA);
    field_str(t, "testcase", t->testcase);
    field_u64(t, "seed", run->seed);
    field_u64(t, "nodes", run->nodes);
    field_u64(t, "ticks", run->ticks);
    field_bool(t, "kv", run->kv);
    field_u64(t, "t_fail", run->t_fail);
    field_u64(t, "t_remove", run->t_remove);
    field_u64(t, "probe_timeout", run->probe_timeout);
    field_bool(t, "messages", t->messages);
    finish(t);
}

observer_t trace_observer(trace_t *t)
{
    observer_t o = { on_event, t, t->messages };
    return o;
}

void trace_end(trace_t *t, uint32_t ticks)
{
    begin(t, ticks, "end");
    field_u64(t, "lines", t->lines + 1);
    finish(t);
}

void trace_free(trace_t *t)
{
    if (!t)
        return;
    free(t->buf);
    free(t->testcase);
    free(t);
}

const char *trace_msg_type(int type)
{
    switch (type) {
    case MSG_JOINREQ: return "join_request";
    case MSG_JOINREP: return "join_reply";
    case MSG_GOSSIP: return "gossip";
    case MSG_PING: return "ping";
    case MSG_ACK: return "ack";
    case MSG_PULLREQ: return "pull_request";
    case MSG_KV_REQUEST: return "kv_request";
    case MSG_KV_REPLY: return "kv_reply";
    case MSG_KV_TRANSFER: return "kv_transfer";
    case MSG_KV_TRANSFER_ACK: return "kv_transfer_ack";
    case MSG_KV_DIGEST: return "kv_digest";
    case MSG_KV_OFFER: return "kv_offer";
    case MSG_KV_HAVE: return "kv_have";
    default: return "unknown";
    }
}
