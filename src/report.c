/* report.c: the HTML report, an observer. While the run goes it keeps per-node lanes and
 * counters, failures with their first and last removal, traffic and operations per tick bin,
 * fault windows, verdicts, and the messages of operations on focus keys; at the end it writes
 * one page of inline SVG (README, "Report"). Past LANES_MAX nodes, lanes become a count of
 * running nodes, so that a 1,000-node page stays small. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define LANES_MAX 100    /* nodes drawn one lane each; beyond, aggregated */
#define BINS_MAX 400     /* time bins of the charts */
#define POINTS_MAX 2000  /* operations drawn one point each; beyond, per bin */
#define DIAGRAMS_MAX 12  /* message sequence diagrams */
#define TABLE_MAX 1000   /* rows of the per-node table */
#define LIST_MAX 50      /* rows of the failure and misplaced-key lists */

/* Makes room for one more element after n in *arr (of *cap elements): 0, or -1 without memory,
 * the array then left as it was (the view that needed it is marked incomplete: r->oom). */
#define GROW(arr, n, cap) ((n) < (cap) ? 0 : grow_array((void *)&(arr), &(cap), sizeof *(arr)))

static int grow_array(void *arrp, size_t *cap, size_t size)
{
    void *old, *fresh;
    size_t c = *cap ? *cap * 2 : 16;
    memcpy(&old, arrp, sizeof old);
    if (!(fresh = realloc(old, c * size)))
        return -1;
    memcpy(arrp, &fresh, sizeof fresh);
    *cap = c;
    return 0;
}

typedef struct {
    uint32_t tick;
    const char *what; /* static strings: "start", "fail", ... */
    uint32_t arg;
} lane_event_t;

typedef struct {
    lane_event_t *ev;
    size_t nev, cap;
    uint64_t sent, received, coordinated, served, refuted;
    uint32_t keys; /* held at the end */
    bool running_at_end;
} node_info_t;

typedef struct {
    uint32_t node, tick;
    uint32_t first, last, removers; /* removals of it by others after the failure */
} failure_t;

typedef struct {
    uint32_t issued, decided;
    bool ok;
    kv_op_t op;
} op_point_t;

typedef struct {
    char *kind, *detail;
    uint32_t from, until, line;
} window_t;

typedef struct {
    char *expect, *detail;
    uint32_t line, tick;
    bool pass;
} verdict_t;

/* One message of a focus operation. */
typedef struct {
    uint32_t txid, tick;
    addr_t src, dst;
    uint8_t type;     /* MSG_KV_REQUEST or MSG_KV_REPLY */
    const char *what; /* "sent", "delivered", "lost", "undeliverable", "duplicated" */
} fmsg_t;

typedef struct {
    uint32_t txid, issued, decided;
    addr_t coord;
    addr_t asked[3];
    size_t nasked;
    kv_op_t op;
    char *key;
    bool ok, done;
} focus_op_t;

typedef struct {
    uint64_t pos;
    uint32_t id;
} ring_pt_t;

typedef struct {
    char *key;
    uint64_t pos;
    size_t replicas, holders;
    bool exact;
} ring_key_t;

struct report {
    report_run_t run;
    char *testcase;
    uint32_t bin; /* ticks per bin */
    uint32_t nbins;
    node_info_t *nodes; /* [1..nodes] */
    failure_t *fails;
    size_t nfails, fails_cap;
    uint64_t *sent, *delivered, *lost; /* per bin */
    uint64_t *ops_ok, *ops_failed, *lat_max, *lat_sum; /* per bin of decision */
    op_point_t *ops;
    size_t nops, ops_cap;
    uint64_t ops_total, ops_ok_total;
    window_t *win;
    size_t nwin, win_cap;
    verdict_t *verdicts;
    size_t nverdicts, verdicts_cap;
    char **focus;
    size_t nfocus, focus_cap;
    focus_op_t *fops;
    size_t nfops, fops_cap;
    fmsg_t *fmsgs;
    size_t nfmsgs, fmsgs_cap;
    ring_pt_t *ring;
    size_t nring, ring_cap;
    ring_key_t *keys;
    size_t nkeys, keys_cap;
    uint64_t msgs_total, lost_total;
    bool oom;
};

static char *dup_str(const char *s)
{
    return s ? strdup(s) : strdup("");
}

report_t *report_new(const report_run_t *run)
{
    report_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->run = *run;
    r->testcase = dup_str(run->testcase);
    r->run.testcase = r->testcase;
    uint32_t ticks = run->ticks ? run->ticks : 1;
    r->bin = (ticks + BINS_MAX - 1) / BINS_MAX;
    r->nbins = (ticks + r->bin - 1) / r->bin + 1;
    r->nodes = calloc((size_t)run->nodes + 1, sizeof *r->nodes);
    r->sent = calloc(r->nbins, sizeof *r->sent);
    r->delivered = calloc(r->nbins, sizeof *r->delivered);
    r->lost = calloc(r->nbins, sizeof *r->lost);
    r->ops_ok = calloc(r->nbins, sizeof *r->ops_ok);
    r->ops_failed = calloc(r->nbins, sizeof *r->ops_failed);
    r->lat_max = calloc(r->nbins, sizeof *r->lat_max);
    r->lat_sum = calloc(r->nbins, sizeof *r->lat_sum);
    if (!r->testcase || !r->nodes || !r->sent || !r->delivered || !r->lost || !r->ops_ok ||
        !r->ops_failed || !r->lat_max || !r->lat_sum) {
        report_free(r);
        return NULL;
    }
    return r;
}

void report_free(report_t *r)
{
    if (!r)
        return;
    if (r->nodes)
        for (uint32_t i = 0; i <= r->run.nodes; i++)
            free(r->nodes[i].ev);
    free(r->nodes);
    free(r->fails);
    free(r->sent);
    free(r->delivered);
    free(r->lost);
    free(r->ops_ok);
    free(r->ops_failed);
    free(r->lat_max);
    free(r->lat_sum);
    free(r->ops);
    for (size_t i = 0; i < r->nwin; i++) {
        free(r->win[i].kind);
        free(r->win[i].detail);
    }
    free(r->win);
    for (size_t i = 0; i < r->nverdicts; i++) {
        free(r->verdicts[i].expect);
        free(r->verdicts[i].detail);
    }
    free(r->verdicts);
    for (size_t i = 0; i < r->nfocus; i++)
        free(r->focus[i]);
    free(r->focus);
    for (size_t i = 0; i < r->nfops; i++)
        free(r->fops[i].key);
    free(r->fops);
    free(r->fmsgs);
    free(r->ring);
    for (size_t i = 0; i < r->nkeys; i++)
        free(r->keys[i].key);
    free(r->keys);
    free(r->testcase);
    free(r);
}

int report_focus_key(report_t *r, const char *key)
{
    for (size_t i = 0; i < r->nfocus; i++)
        if (!strcmp(r->focus[i], key))
            return 0;
    if (GROW(r->focus, r->nfocus, r->focus_cap) != 0 || !(r->focus[r->nfocus] = strdup(key))) {
        r->oom = true;
        return -1;
    }
    r->nfocus++;
    return 0;
}

static node_info_t *node_of(report_t *r, addr_t a)
{
    return a.id >= 1 && a.id <= r->run.nodes ? &r->nodes[a.id] : NULL;
}

static uint32_t bin_of(const report_t *r, uint32_t tick)
{
    uint32_t b = tick / r->bin;
    return b < r->nbins ? b : r->nbins - 1;
}

static void lane_event(report_t *r, addr_t a, uint32_t tick, const char *what, uint32_t arg)
{
    node_info_t *n = node_of(r, a);
    if (!n)
        return;
    if (GROW(n->ev, n->nev, n->cap) != 0) {
        r->oom = true;
        return;
    }
    n->ev[n->nev++] = (lane_event_t){ tick, what, arg };
}

static const char *static_what(const char *what)
{
    static const char *const known[] = { "start", "fail", "restart", "pause", "resume" };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(what, known[i]))
            return known[i];
    return "other";
}

static void on_node(report_t *r, const obs_event_t *ev)
{
    lane_event(r, ev->node, ev->tick, static_what(ev->what), ev->arg);
    if (!strcmp(ev->what, "fail")) {
        if (GROW(r->fails, r->nfails, r->fails_cap) != 0) {
            r->oom = true;
            return;
        }
        r->fails[r->nfails++] = (failure_t){ ev->node.id, ev->tick, UINT32_MAX, 0, 0 };
    }
}

/* A removal of a failed member by a node: counts for the member's latest failure before it. */
static void on_removal(report_t *r, const obs_event_t *ev)
{
    for (size_t i = r->nfails; i-- > 0;) {
        failure_t *f = &r->fails[i];
        if (f->node != ev->peer.id || f->tick > ev->tick)
            continue;
        if (ev->tick < f->first)
            f->first = ev->tick;
        if (ev->tick > f->last)
            f->last = ev->tick;
        f->removers++;
        return;
    }
}

static focus_op_t *find_fop(report_t *r, uint32_t txid)
{
    for (size_t i = r->nfops; i-- > 0;)
        if (r->fops[i].txid == txid)
            return &r->fops[i];
    return NULL;
}

static void on_op(report_t *r, const obs_event_t *ev)
{
    node_info_t *n = node_of(r, ev->node);
    if (n)
        n->coordinated++;
    bool focus = false;
    for (size_t i = 0; i < r->nfocus && !focus && r->nfops < DIAGRAMS_MAX; i++)
        focus = ev->key && !strcmp(r->focus[i], ev->key);
    if (!focus)
        return;
    if (GROW(r->fops, r->nfops, r->fops_cap) != 0) {
        r->oom = true;
        return;
    }
    focus_op_t *f = &r->fops[r->nfops];
    *f = (focus_op_t){ .txid = ev->txid, .issued = ev->tick, .coord = ev->node, .op = ev->op,
                       .key = dup_str(ev->key) };
    for (size_t i = 0; i < ev->nasked && i < 3; i++)
        f->asked[f->nasked++] = ev->asked[i];
    if (f->key)
        r->nfops++;
}

static void on_result(report_t *r, const obs_event_t *ev)
{
    uint32_t b = bin_of(r, ev->tick);
    r->ops_total++;
    if (ev->flag) {
        r->ops_ok[b]++;
        r->ops_ok_total++;
    } else {
        r->ops_failed[b]++;
    }
    r->lat_sum[b] += ev->latency;
    if (ev->latency > r->lat_max[b])
        r->lat_max[b] = ev->latency;
    if (r->nops < POINTS_MAX) {
        if (GROW(r->ops, r->nops, r->ops_cap) == 0)
            r->ops[r->nops++] = (op_point_t){ ev->tick - ev->latency, ev->tick, ev->flag, ev->op };
        else
            r->oom = true;
    }
    focus_op_t *f = find_fop(r, ev->txid);
    if (f) {
        f->decided = ev->tick;
        f->ok = ev->flag;
        f->done = true;
    }
}

static void on_message(report_t *r, const obs_event_t *ev)
{
    uint32_t b = bin_of(r, ev->tick);
    bool sent = !strcmp(ev->what, "sent"), delivered = !strcmp(ev->what, "delivered");
    bool lost = !strcmp(ev->what, "lost") || !strcmp(ev->what, "undeliverable");
    if (sent || lost)
        r->msgs_total += sent || !strcmp(ev->what, "lost");
    if (sent) {
        r->sent[b]++;
        node_info_t *n = node_of(r, ev->node);
        if (n)
            n->sent++;
    } else if (delivered) {
        r->delivered[b]++;
        node_info_t *n = node_of(r, ev->peer);
        if (n)
            n->received++;
    } else if (lost) {
        r->lost[b]++;
        r->lost_total++;
        if (!strcmp(ev->what, "lost")) {
            r->sent[b]++; /* a send, lost on the way */
            node_info_t *n = node_of(r, ev->node);
            if (n)
                n->sent++;
        }
    }
    if (r->nfops == 0)
        return;
    int type = wire_peek_type(ev->data, ev->arg);
    if (type != MSG_KV_REQUEST && type != MSG_KV_REPLY)
        return;
    static kv_msg_t m; /* large: decoded only for these two types */
    if (wire_decode_kv(ev->data, ev->arg, &m) != WIRE_OK || !find_fop(r, m.txid))
        return;
    if (GROW(r->fmsgs, r->nfmsgs, r->fmsgs_cap) != 0) {
        r->oom = true;
        return;
    }
    r->fmsgs[r->nfmsgs++] = (fmsg_t){ m.txid, ev->tick, ev->node, ev->peer, (uint8_t)type,
                                      sent ? "sent" : delivered ? "delivered"
                                           : !strcmp(ev->what, "lost") ? "lost"
                                           : !strcmp(ev->what, "undeliverable") ? "undeliverable"
                                           : "duplicated" };
}

static void on_event(void *ctx, const obs_event_t *ev)
{
    report_t *r = ctx;
    switch (ev->kind) {
    case OBS_NODE:
        on_node(r, ev);
        break;
    case OBS_MEMBER:
        if (!strcmp(ev->what, "removed")) {
            on_removal(r, ev);
        } else if (!strcmp(ev->what, "refuted")) {
            node_info_t *n = node_of(r, ev->node);
            if (n)
                n->refuted++;
        }
        break;
    case OBS_OP:
        on_op(r, ev);
        break;
    case OBS_RESULT:
        on_result(r, ev);
        break;
    case OBS_SERVE: {
        node_info_t *n = node_of(r, ev->node);
        if (n)
            n->served++;
        break;
    }
    case OBS_WINDOW:
        if (GROW(r->win, r->nwin, r->win_cap) != 0) {
            r->oom = true;
            break;
        }
        r->win[r->nwin++] = (window_t){ dup_str(ev->text), dup_str(ev->detail), ev->tick,
                                        ev->until, ev->line };
        break;
    case OBS_VERDICT:
        if (GROW(r->verdicts, r->nverdicts, r->verdicts_cap) != 0) {
            r->oom = true;
            break;
        }
        r->verdicts[r->nverdicts++] = (verdict_t){ dup_str(ev->text), dup_str(ev->detail),
                                                   ev->line, ev->tick, ev->flag };
        break;
    case OBS_MESSAGE:
        on_message(r, ev);
        break;
    default:
        break;
    }
}

observer_t report_observer(report_t *r)
{
    observer_t o = { on_event, r, true };
    return o;
}

int report_ring_node(report_t *r, addr_t node, uint64_t position, uint32_t keys)
{
    node_info_t *n = node_of(r, node);
    if (n) {
        n->running_at_end = true;
        n->keys = keys;
    }
    if (GROW(r->ring, r->nring, r->ring_cap) != 0) {
        r->oom = true;
        return -1;
    }
    r->ring[r->nring++] = (ring_pt_t){ position, node.id };
    return 0;
}

int report_ring_key(report_t *r, const char *key, uint64_t position, size_t replicas,
                    size_t holders, bool holders_are_replicas)
{
    char *k = GROW(r->keys, r->nkeys, r->keys_cap) == 0 ? strdup(key) : NULL;
    if (!k) {
        r->oom = true;
        return -1;
    }
    r->keys[r->nkeys++] = (ring_key_t){ k, position, replicas, holders, holders_are_replicas };
    return 0;
}

/* ---- writing ---- */

/* Text for HTML: &, <, >, " escaped. */
static void html(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void addr_text(addr_t a, char *buf)
{
    addr_format(a, buf);
}

#define CHART_W 900.0
#define CHART_H 160.0
#define LEFT 60.0

static double x_of(const report_t *r, double tick)
{
    double ticks = r->run.ticks ? r->run.ticks : 1;
    return LEFT + tick / ticks * (CHART_W - LEFT - 10);
}

/* Shaded fault windows over a chart of height h, each with its kind as a tooltip. */
static void shade_windows(FILE *f, const report_t *r, double top, double h)
{
    for (size_t i = 0; i < r->nwin; i++) {
        const window_t *w = &r->win[i];
        double x0 = x_of(r, w->from), x1 = x_of(r, w->until);
        fprintf(f, "<rect class=\"win\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                   "<title>", x0, top, x1 - x0 > 1 ? x1 - x0 : 1, h);
        html(f, w->kind);
        fprintf(f, " %u-%u ", (unsigned)w->from, (unsigned)w->until);
        html(f, w->detail);
        fputs("</title></rect>\n", f);
    }
}

static void time_axis(FILE *f, const report_t *r, double y)
{
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", LEFT, y,
            CHART_W - 10, y);
    for (int k = 0; k <= 5; k++) {
        double t = (double)r->run.ticks * k / 5;
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%u</text>\n", x_of(r, t), y + 14,
                (unsigned)t);
    }
}

static void write_summary(FILE *f, const report_t *r)
{
    unsigned passed = 0;
    for (size_t i = 0; i < r->nverdicts; i++)
        passed += r->verdicts[i].pass;
    fputs("<section id=\"summary\"><h2>Summary</h2><table class=\"kv\">\n", f);
    fputs("<tr><th>scenario</th><td>", f);
    html(f, r->run.testcase);
    fprintf(f, "</td></tr>\n<tr><th>seed</th><td>%llu</td></tr>\n"
               "<tr><th>nodes</th><td>%u</td></tr>\n<tr><th>ticks</th><td>%u</td></tr>\n"
               "<tr><th>failures</th><td>%zu</td></tr>\n",
            (unsigned long long)r->run.seed, (unsigned)r->run.nodes, (unsigned)r->run.ticks,
            r->nfails);
    fprintf(f, "<tr><th>messages</th><td>%llu sent, %llu lost or undeliverable</td></tr>\n",
            (unsigned long long)r->msgs_total, (unsigned long long)r->lost_total);
    if (r->run.kv)
        fprintf(f, "<tr><th>operations</th><td>%llu decided, %llu succeeded (%.1f%%)</td></tr>\n",
                (unsigned long long)r->ops_total, (unsigned long long)r->ops_ok_total,
                r->ops_total ? 100.0 * (double)r->ops_ok_total / (double)r->ops_total : 0.0);
    fprintf(f, "<tr><th>expectations</th><td>%u passed, %u failed</td></tr>\n", passed,
            (unsigned)(r->nverdicts - passed));
    fputs("</table>\n", f);
    if (r->nverdicts) {
        fputs("<table class=\"list\" id=\"verdicts\"><tr><th>line</th><th>verdict</th>"
              "<th>expectation</th><th>tick</th><th>why</th></tr>\n", f);
        for (size_t i = 0; i < r->nverdicts; i++) {
            const verdict_t *v = &r->verdicts[i];
            fprintf(f, "<tr class=\"%s\"><td>%u</td><td>%s</td><td>", v->pass ? "pass" : "fail",
                    (unsigned)v->line, v->pass ? "PASS" : "FAIL");
            html(f, v->expect);
            fprintf(f, "</td><td>%u</td><td>", (unsigned)v->tick);
            html(f, v->detail);
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    if (r->oom)
        fputs("<p class=\"fail\">Memory ran out while the report was kept: some views are "
              "incomplete.</p>\n", f);
    fputs("</section>\n", f);
}

/* The state of node n at tick t from its lane events: 0 not started, 1 running, 2 paused,
 * 3 failed. */
static int lane_state_at(const node_info_t *n, uint32_t t)
{
    int st = 0;
    for (size_t i = 0; i < n->nev && n->ev[i].tick <= t; i++) {
        const char *w = n->ev[i].what;
        if (!strcmp(w, "start") || (!strcmp(w, "resume") && st == 2))
            st = 1;
        else if (!strcmp(w, "fail"))
            st = 3;
        else if (!strcmp(w, "restart"))
            st = 0;
        else if (!strcmp(w, "pause") && st == 1)
            st = 2; /* until its resume event (a second pause may extend it) */
    }
    return st;
}

static void write_membership(FILE *f, const report_t *r)
{
    static const char *const cls[] = { "idle", "run", "pause", "down" };
    uint32_t n = r->run.nodes;
    fputs("<section id=\"membership\"><h2>Membership timeline</h2>\n", f);
    if (n <= LANES_MAX) {
        double lane = 12, h = lane * n + 30;
        fprintf(f, "<p>One lane per node: running (green), paused (amber), failed (red), a "
                   "black tick where it restarted. For each failure, a mark at the failure and a "
                   "bar from the first to the last removal of it by another node.</p>\n<svg class=\"chart\" width=\"%.0f\" height=\"%.0f\" "
                   "viewBox=\"0 0 %.0f %.0f\">\n", CHART_W, h, CHART_W, h);
        shade_windows(f, r, 0, lane * n);
        for (uint32_t id = 1; id <= n; id++) {
            const node_info_t *ni = &r->nodes[id];
            double y = (id - 1) * lane;
            fprintf(f, "<text class=\"lbl\" x=\"2\" y=\"%.1f\">%u</text>\n", y + 9, (unsigned)id);
            /* The state at each bin's start; a run of equal states is one bar. */
            int prev = -1;
            uint32_t from = 0;
            for (uint32_t t = 0;;) {
                bool last = t >= r->run.ticks;
                int st = last ? -2 : lane_state_at(ni, t);
                if (st != prev) {
                    if (prev > 0)
                        fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                                   "height=\"%.1f\"/>\n", cls[prev], x_of(r, from), y + 2,
                                x_of(r, t) - x_of(r, from), lane - 4);
                    prev = st;
                    from = t;
                }
                if (last)
                    break;
                t = t + r->bin < r->run.ticks ? t + r->bin : r->run.ticks;
            }
        }
        for (uint32_t id = 1; id <= n; id++) /* restarts: a new member from the next tick */
            for (size_t e = 0; e < r->nodes[id].nev; e++)
                if (!strcmp(r->nodes[id].ev[e].what, "restart"))
                    fprintf(f, "<rect class=\"restartmark\" x=\"%.1f\" y=\"%.1f\" width=\"3\" "
                               "height=\"%.1f\"><title>node %u restarted at %u</title></rect>\n",
                            x_of(r, r->nodes[id].ev[e].tick) - 1, (id - 1) * lane, lane,
                            (unsigned)id, (unsigned)r->nodes[id].ev[e].tick);
        for (size_t i = 0; i < r->nfails; i++) {
            const failure_t *fl = &r->fails[i];
            double y = (fl->node - 1) * lane;
            fprintf(f, "<circle class=\"failmark\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>node %u "
                       "failed at %u</title></circle>\n", x_of(r, fl->tick), y + 6,
                    (unsigned)fl->node, (unsigned)fl->tick);
            if (fl->removers)
                fprintf(f, "<rect class=\"detect\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                           "height=\"3\"><title>removed by %u nodes, first at %u, last at %u"
                           "</title></rect>\n", x_of(r, fl->first), y + 5,
                        x_of(r, fl->last) - x_of(r, fl->first) + 1, (unsigned)fl->removers,
                        (unsigned)fl->first, (unsigned)fl->last);
        }
        time_axis(f, r, lane * n + 4);
        fputs("</svg>\n", f);
    } else {
        /* Aggregated: how many nodes run, per bin. */
        double h = CHART_H;
        fprintf(f, "<p>%u nodes: lanes are aggregated. Nodes running over time:</p>\n"
                   "<svg class=\"chart\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
                (unsigned)n, CHART_W, h + 30, CHART_W, h + 30);
        shade_windows(f, r, 0, h);
        fputs("<polyline class=\"line run\" points=\"", f);
        for (uint32_t b = 0; b < r->nbins; b++) {
            uint32_t t = b * r->bin, running = 0;
            if (t >= r->run.ticks)
                break;
            for (uint32_t id = 1; id <= n; id++)
                running += lane_state_at(&r->nodes[id], t) == 1;
            fprintf(f, "%.1f,%.1f ", x_of(r, t), h - h * running / n);
        }
        fputs("\"/>\n", f);
        fprintf(f, "<text class=\"lbl\" x=\"2\" y=\"10\">%u</text><text class=\"lbl\" x=\"2\" "
                   "y=\"%.0f\">0</text>\n", (unsigned)n, h);
        time_axis(f, r, h + 4);
        fputs("</svg>\n", f);
    }
    if (r->nfails) {
        fprintf(f, "<table class=\"list\" id=\"failures\"><tr><th>node</th><th>failed</th>"
                   "<th>first removal</th><th>last removal</th><th>removed by</th></tr>\n");
        for (size_t i = 0; i < r->nfails && i < LIST_MAX; i++) {
            const failure_t *fl = &r->fails[i];
            if (fl->removers)
                fprintf(f, "<tr><td>%u</td><td>%u</td><td>%u (+%u)</td><td>%u (+%u)</td>"
                           "<td>%u</td></tr>\n", (unsigned)fl->node, (unsigned)fl->tick,
                        (unsigned)fl->first, (unsigned)(fl->first - fl->tick),
                        (unsigned)fl->last, (unsigned)(fl->last - fl->tick),
                        (unsigned)fl->removers);
            else
                fprintf(f, "<tr><td>%u</td><td>%u</td><td>-</td><td>-</td><td>0</td></tr>\n",
                        (unsigned)fl->node, (unsigned)fl->tick);
        }
        fputs("</table>\n", f);
        if (r->nfails > LIST_MAX)
            fprintf(f, "<p>and %zu more failures.</p>\n", r->nfails - LIST_MAX);
    }
    fputs("</section>\n", f);
}

/* A polyline of per-bin values, scaled so that `max` is the chart's top. */
static void series(FILE *f, const report_t *r, const uint64_t *v, uint64_t max, const char *cls,
                   double h)
{
    fprintf(f, "<polyline class=\"line %s\" points=\"", cls);
    for (uint32_t b = 0; b < r->nbins && b * r->bin < r->run.ticks; b++)
        fprintf(f, "%.1f,%.1f ", x_of(r, b * (double)r->bin), h - h * (double)v[b] / (double)max);
    fputs("\"/>\n", f);
}

static void write_traffic(FILE *f, const report_t *r)
{
    uint64_t max = 1;
    for (uint32_t b = 0; b < r->nbins; b++) {
        if (r->sent[b] > max)
            max = r->sent[b];
        if (r->delivered[b] > max)
            max = r->delivered[b];
    }
    double h = CHART_H;
    fprintf(f, "<section id=\"traffic\"><h2>Traffic</h2><p>Messages per %u tick%s: sent "
               "(blue), delivered (green), lost or undeliverable (red); fault windows shaded."
               "</p>\n<svg class=\"chart\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f "
               "%.0f\">\n", (unsigned)r->bin, r->bin == 1 ? "" : "s", CHART_W, h + 30, CHART_W,
            h + 30);
    shade_windows(f, r, 0, h);
    series(f, r, r->sent, max, "sent", h);
    series(f, r, r->delivered, max, "delivered", h);
    series(f, r, r->lost, max, "lost", h);
    fprintf(f, "<text class=\"lbl\" x=\"2\" y=\"10\">%llu</text><text class=\"lbl\" x=\"2\" "
               "y=\"%.0f\">0</text>\n", (unsigned long long)max, h);
    time_axis(f, r, h + 4);
    fputs("</svg></section>\n", f);
}

static void write_operations(FILE *f, const report_t *r)
{
    if (!r->run.kv)
        return;
    double h = CHART_H;
    uint64_t maxlat = 1;
    for (uint32_t b = 0; b < r->nbins; b++)
        if (r->lat_max[b] > maxlat)
            maxlat = r->lat_max[b];
    if (maxlat < 10)
        maxlat = 10; /* a scale on which 2 ticks looks short */
    fprintf(f, "<section id=\"operations\"><h2>Client operations</h2><p>Latency (ticks from "
               "issue to decision) of each operation, at the tick it was decided: succeeded "
               "(green) or failed (red); fault windows shaded.%s</p>\n<svg class=\"chart\" "
               "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
            r->ops_total > POINTS_MAX ? " Many operations: the largest latency per bin, and a "
                                        "red mark where a bin had failures." : "",
            CHART_W, h + 30, CHART_W, h + 30);
    shade_windows(f, r, 0, h);
    if (r->ops_total <= POINTS_MAX) {
        for (size_t i = 0; i < r->nops; i++) {
            const op_point_t *o = &r->ops[i];
            fprintf(f, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"><title>%s issued "
                       "%u, decided %u</title></circle>\n", o->ok ? "ok" : "bad",
                    x_of(r, o->decided),
                    h - h * (double)(o->decided - o->issued) / (double)maxlat,
                    kv_op_name(o->op), (unsigned)o->issued, (unsigned)o->decided);
        }
    } else {
        series(f, r, r->lat_max, maxlat, "delivered", h);
        for (uint32_t b = 0; b < r->nbins; b++)
            if (r->ops_failed[b])
                fprintf(f, "<rect class=\"bad\" x=\"%.1f\" y=\"%.1f\" width=\"2\" height=\"6\">"
                           "<title>%llu failed</title></rect>\n", x_of(r, b * (double)r->bin),
                        h - 6, (unsigned long long)r->ops_failed[b]);
    }
    fprintf(f, "<text class=\"lbl\" x=\"2\" y=\"10\">%llu</text><text class=\"lbl\" x=\"2\" "
               "y=\"%.0f\">0</text>\n", (unsigned long long)maxlat, h);
    time_axis(f, r, h + 4);
    fputs("</svg></section>\n", f);
}

static int pos_cmp(const void *a, const void *b)
{
    uint64_t x = ((const ring_pt_t *)a)->pos, y = ((const ring_pt_t *)b)->pos;
    return x < y ? -1 : x > y;
}

/* A point on the ring's circle for a 64-bit position (0 at the top, clockwise). */
static void on_circle(uint64_t pos, double radius, double *x, double *y)
{
    double a = (double)pos / 18446744073709551616.0 * 6.283185307179586 - 1.5707963267948966;
    *x = 220 + radius * cos(a);
    *y = 220 + radius * sin(a);
}

static void write_ring(FILE *f, report_t *r)
{
    if (r->nring == 0)
        return;
    qsort(r->ring, r->nring, sizeof *r->ring, pos_cmp);
    size_t bad = 0;
    for (size_t i = 0; i < r->nkeys; i++)
        bad += !r->keys[i].exact;
    fprintf(f, "<section id=\"ring\"><h2>Ring at the end</h2><p>%zu running nodes (dots) at their "
               "SHA-256 positions; %zu keys (ticks inside), %zu of them not on exactly their "
               "replicas (red).</p>\n<svg class=\"ring\" width=\"440\" height=\"440\" "
               "viewBox=\"0 0 440 440\">\n<circle class=\"circle\" cx=\"220\" cy=\"220\" "
               "r=\"180\"/>\n", r->nring, r->nkeys, bad);
    for (size_t i = 0; i < r->nkeys; i++) {
        const ring_key_t *k = &r->keys[i];
        double x0, y0, x1, y1;
        on_circle(k->pos, 165, &x0, &y0);
        on_circle(k->pos, k->exact ? 172 : 150, &x1, &y1);
        fprintf(f, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\">"
                   "<title>", k->exact ? "key" : "keybad", x0, y0, x1, y1);
        html(f, k->key);
        fprintf(f, ": %zu holders, %zu replicas</title></line>\n", k->holders, k->replicas);
    }
    for (size_t i = 0; i < r->nring; i++) {
        double x, y;
        on_circle(r->ring[i].pos, 180, &x, &y);
        fprintf(f, "<circle class=\"node\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"><title>node %u at "
                   "%016llx</title></circle>\n", x, y, r->nring > 200 ? "1.5" : "4",
                (unsigned)r->ring[i].id, (unsigned long long)r->ring[i].pos);
    }
    fputs("</svg>\n", f);
    if (bad) {
        fputs("<table class=\"list\" id=\"misplaced\"><tr><th>key</th><th>holders</th>"
              "<th>replicas</th><th>what</th></tr>\n", f);
        size_t shown = 0;
        for (size_t i = 0; i < r->nkeys && shown < LIST_MAX; i++) {
            const ring_key_t *k = &r->keys[i];
            if (k->exact)
                continue;
            shown++;
            fputs("<tr class=\"fail\"><td>", f);
            html(f, k->key);
            fprintf(f, "</td><td>%zu</td><td>%zu</td><td>%s</td></tr>\n", k->holders, k->replicas,
                    k->holders < k->replicas ? "under-replicated"
                    : k->holders > k->replicas ? "over-replicated" : "on other nodes");
        }
        fputs("</table>\n", f);
    }
    fputs("</section>\n", f);
}

/* Lane of address a among the diagram's lanes; -1 if none. */
static int lane_index(const addr_t *lanes, size_t n, addr_t a)
{
    for (size_t i = 0; i < n; i++)
        if (addr_eq(lanes[i], a))
            return (int)i;
    return -1;
}

static void write_diagram(FILE *f, const report_t *r, const focus_op_t *op)
{
    addr_t lanes[4] = { op->coord };
    size_t nl = 1;
    for (size_t i = 0; i < op->nasked; i++)
        if (lane_index(lanes, nl, op->asked[i]) < 0)
            lanes[nl++] = op->asked[i];
    uint32_t t0 = op->issued, t1 = op->done ? op->decided : op->issued + 10;
    for (size_t i = 0; i < r->nfmsgs; i++)
        if (r->fmsgs[i].txid == op->txid && r->fmsgs[i].tick > t1)
            t1 = r->fmsgs[i].tick;
    double span = t1 > t0 ? t1 - t0 : 1, top = 30, h = 40 + 28 * span, w = 160.0 * nl;
    if (h > 600)
        h = 600;
    double row = (h - top - 10) / span;
    char a[ADDR_STRLEN];
    fprintf(f, "<figure class=\"seq\"><figcaption>txid %u: %s ", (unsigned)op->txid,
            kv_op_name(op->op));
    html(f, op->key);
    addr_text(op->coord, a);
    fprintf(f, " via %s, issued at %u, %s</figcaption>\n<svg width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\">\n", a, (unsigned)op->issued,
            !op->done ? "no decision" : op->ok ? "succeeded" : "failed", w, h, w, h);
    for (size_t i = 0; i < nl; i++) {
        double x = 80 + 160.0 * i;
        addr_text(lanes[i], a);
        fprintf(f, "<text class=\"lane\" x=\"%.1f\" y=\"14\">%s%s</text>\n<line class=\"life\" "
                   "x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x - 40, a,
                i == 0 ? " (coord.)" : "", x, top, x, h - 5);
    }
    for (size_t i = 0; i < r->nfmsgs; i++) {
        const fmsg_t *m = &r->fmsgs[i];
        if (m->txid != op->txid || !strcmp(m->what, "delivered"))
            continue;
        int s = lane_index(lanes, nl, m->src), d = lane_index(lanes, nl, m->dst);
        if (s < 0 || d < 0)
            continue;
        /* where it ends: its delivery, if one comes */
        uint32_t end = UINT32_MAX;
        bool lost = strcmp(m->what, "sent") && strcmp(m->what, "duplicated");
        for (size_t j = i + 1; j < r->nfmsgs && !lost; j++) {
            const fmsg_t *q = &r->fmsgs[j];
            if (q->txid == m->txid && q->type == m->type && addr_eq(q->src, m->src) &&
                addr_eq(q->dst, m->dst) && !strcmp(q->what, "delivered")) {
                end = q->tick;
                break;
            }
        }
        double x0 = 80 + 160.0 * s, x1 = 80 + 160.0 * d, y0 = top + (m->tick - t0) * row;
        const char *label = m->type == MSG_KV_REQUEST ? "request" : "reply";
        if (end == UINT32_MAX) {
            double xm = (x0 + x1) / 2;
            fprintf(f, "<line class=\"msg lostmsg\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                       "y2=\"%.1f\"/><text class=\"lostx\" x=\"%.1f\" y=\"%.1f\">&#x2715;<title>"
                       "%s sent at %u, %s</title></text>\n", x0, y0, xm, y0 + row / 2, xm - 4,
                    y0 + row / 2 + 4, label, (unsigned)m->tick,
                    lost ? m->what : "never delivered");
        } else {
            double y1 = top + (end - t0) * row;
            fprintf(f, "<line class=\"msg\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                       "marker-end=\"url(#arrow)\"><title>%s sent at %u, delivered at %u</title>"
                       "</line>\n", x0, y0, x1, y1, label, (unsigned)m->tick, (unsigned)end);
        }
    }
    uint32_t every = (t1 - t0) / 40 + 1; /* at most about 40 labels */
    for (uint32_t t = t0; t <= t1; t += every)
        fprintf(f, "<text class=\"tick\" x=\"2\" y=\"%.1f\">%u</text>\n", top + (t - t0) * row + 4,
                (unsigned)t);
    fputs("</svg></figure>\n", f);
}

static void write_diagrams(FILE *f, const report_t *r)
{
    if (r->nfops == 0)
        return;
    fputs("<section id=\"sequences\"><h2>Message sequences</h2><p>Operations on the keys that "
          "expectations name (or <code>--report-key</code>): requests and replies between the "
          "coordinator and the replicas, tick by tick; a cross marks a message lost.</p>\n"
          "<svg width=\"0\" height=\"0\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" "
          "refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\">"
          "<path d=\"M0,0 L10,5 L0,10 z\"/></marker></defs></svg>\n", f);
    for (size_t i = 0; i < r->nfops; i++)
        write_diagram(f, r, &r->fops[i]);
    fputs("</section>\n", f);
}

static void write_nodes(FILE *f, const report_t *r)
{
    fputs("<section id=\"nodes\"><h2>Nodes</h2><table class=\"list\" id=\"nodetable\"><tr>"
          "<th>node</th><th>sent</th><th>received</th><th>coordinated</th><th>served</th>"
          "<th>keys held</th><th>suspicions refuted</th><th>at the end</th></tr>\n", f);
    for (uint32_t id = 1; id <= r->run.nodes && id <= TABLE_MAX; id++) {
        const node_info_t *n = &r->nodes[id];
        fprintf(f, "<tr><td>%u</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td>"
                   "<td>%u</td><td>%llu</td><td>%s</td></tr>\n", (unsigned)id,
                (unsigned long long)n->sent, (unsigned long long)n->received,
                (unsigned long long)n->coordinated, (unsigned long long)n->served,
                (unsigned)n->keys, (unsigned long long)n->refuted,
                n->running_at_end ? "running" : n->nev ? "down" : "never started");
    }
    fputs("</table>\n", f);
    if (r->run.nodes > TABLE_MAX)
        fprintf(f, "<p>and %u more nodes.</p>\n", (unsigned)(r->run.nodes - TABLE_MAX));
    fputs("</section>\n", f);
}

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222;max-width:960px}"
    "h1{font-size:1.4em}h2{font-size:1.15em;border-bottom:1px solid #ccc;margin-top:1.6em}"
    "table{border-collapse:collapse;font-size:.85em;margin:.5em 0}"
    "td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}"
    "table.kv th{background:#f4f4f4}tr.fail td,p.fail{color:#b00}tr.pass td:nth-child(2){color:#070}"
    "svg{display:block;margin:.4em 0}.win{fill:#f3d6a4;opacity:.45}"
    ".axis,.life{stroke:#888;stroke-width:1}.tick,.lbl,.lane{font-size:10px;fill:#555}"
    ".tick{text-anchor:middle}"
    ".run{fill:#6c6}.pause{fill:#eb3}.down{fill:#d55}.failmark{fill:#900}.detect{fill:#33c}"
    ".restartmark{fill:#111}"
    ".line{fill:none;stroke-width:1.3}.line.sent{stroke:#36c}.line.delivered{stroke:#393}"
    ".line.lost{stroke:#c33}.line.run{stroke:#393}.ok{fill:#393}.bad{fill:#c33}"
    ".circle{fill:none;stroke:#999}.node{fill:#36c}.key{stroke:#393}.keybad{stroke:#c33;"
    "stroke-width:2}.msg{stroke:#333;stroke-width:1.2}.lostmsg{stroke:#c33;stroke-dasharray:3 2}"
    ".lostx{fill:#c33;font-size:12px}figure.seq{border:1px solid #eee;padding:.4em;margin:.6em 0}"
    "figcaption{font-size:.85em;color:#333}";

int report_write(report_t *r, FILE *out)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"generator\" content=\"p2p-ring Application\"><title>Run report: ", out);
    html(out, r->run.testcase);
    fprintf(out, " seed %llu</title>\n<style>%s</style></head><body>\n<h1>Run report: ",
            (unsigned long long)r->run.seed, style);
    html(out, r->run.testcase);
    fprintf(out, ", seed %llu</h1>\n", (unsigned long long)r->run.seed);
    write_summary(out, r);
    write_membership(out, r);
    write_traffic(out, r);
    write_operations(out, r);
    write_ring(out, r);
    write_diagrams(out, r);
    write_nodes(out, r);
    fputs("</body></html>\n", out);
    return ferror(out) ? -1 : 0;
}
