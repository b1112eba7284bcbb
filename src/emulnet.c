/* emulnet.c: endpoints with FIFO inboxes, a calendar of in-flight messages keyed by
 * delivery tick, loss windows and per-tick counters. Every operation is O(1) per message.
 *
 * Messages live in arenas, not one malloc each: the messages due at one tick are written back
 * to back into their bucket's arena as they are sent. Delivery takes the bucket's arena whole
 * (it becomes the batch) and sorts the messages by destination into one array of pointers,
 * keeping their order, so an inbox is a range of that array. A batch lives until the next
 * delivery; what a node did not read by then (it is paused) is copied out into its held list,
 * read before the next batch, and the arena goes back to a pool of spares. */
#include "emulnet.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    en_msg_t *head;
    en_msg_t *tail;
} msg_queue_t;

/* Messages back to back, each an en_msg_t and its bytes rounded up to 8. */
typedef struct {
    uint8_t *bytes;
    size_t used, cap;
    uint32_t count;
    uint32_t due_tick; /* of every message in it (when count > 0) */
} arena_t;

typedef struct {
    addr_t addr;
    int down;
    msg_queue_t held;     /* messages of earlier batches not yet read (a paused node's) */
    uint32_t next, end;   /* its messages of the batch: order[next, end) */
    uint32_t batch_count; /* while sorting a batch: its messages so far */
} endpoint_t;

/* msgcount.log's counts for one tick: (sent, received) per id below len, 16 bits each until a
 * count needs more, then 32 for the whole row. One row per tick keeps a tick's counts together:
 * the nodes, run in id order, each add to their own pair. */
typedef struct {
    void *pairs;
    uint32_t len;
    bool wide;
} count_row_t;

typedef struct {
    uint32_t from, to;
    double p;
} loss_window_t;

typedef struct {
    uint32_t from, to;
    bool cut, one_way;
    uint32_t delay, reorder;
    double loss, duplicate;
    uint8_t *groups; /* NULL: every link */
    size_t ngroups;
} link_rule_t;

struct emulnet {
    rng_t *rng;
    endpoint_t *eps;   /* indexed by address id; eps[id].addr.id == id when attached */
    uint32_t eps_cap;
    arena_t *calendar;     /* bucket (tick % cal_size): messages due at that tick */
    uint32_t cal_size;     /* power of two, > delay */
    uint32_t delay;
    arena_t batch;         /* the messages delivered last, being read */
    en_msg_t **order;      /* the batch sorted by destination, send order kept */
    uint32_t order_cap;
    uint32_t *dsts;        /* ids with messages in the batch, in order of first message */
    uint32_t ndsts, dsts_cap;
    arena_t *spares;       /* empty arenas kept for reuse */
    uint32_t nspares, spares_cap;
    msg_queue_t returned;  /* held messages handed out: freed at the next delivery */
    count_row_t *rows;     /* per tick: message counts (rows[t].pairs NULL: none yet) */
    uint32_t rows_cap;
    loss_window_t *loss;
    size_t nloss;
    link_rule_t *rules;
    size_t nrules;
    en_stats_t stats;
    const obs_bus_t *bus;
    transport_t transport; /* emulnet_send behind the nodes' transport table */
};

static int transport_fn(void *ctx, addr_t src, addr_t dst, const void *data, size_t len,
                        uint32_t now)
{
    return emulnet_send(ctx, src, dst, data, len, now);
}

transport_t *emulnet_transport(emulnet_t *net)
{
    if (!net->transport.send)
        net->transport = (transport_t){ .name = "emulnet", .send = transport_fn, .ctx = net };
    return &net->transport;
}

void emulnet_set_observers(emulnet_t *net, const obs_bus_t *bus)
{
    net->bus = bus;
}

/* One message event for the observers that want them. */
static void note(const emulnet_t *net, const char *what, addr_t src, addr_t dst, const void *data,
                 size_t len, uint32_t now)
{
    if (!obs_wants_messages(net->bus))
        return;
    obs_event_t ev = { .kind = OBS_MESSAGE, .tick = now, .node = src, .peer = dst, .what = what,
                       .arg = (uint32_t)len, .data = data };
    obs_emit(net->bus, &ev);
}

static void queue_push(msg_queue_t *q, en_msg_t *m)
{
    m->next = NULL;
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
}

static en_msg_t *queue_pop(msg_queue_t *q)
{
    en_msg_t *m = q->head;
    if (m) {
        q->head = m->next;
        if (!q->head)
            q->tail = NULL;
        m->next = NULL;
    }
    return m;
}

static void queue_free(msg_queue_t *q)
{
    en_msg_t *m;
    while ((m = queue_pop(q)))
        free(m);
}

emulnet_t *emulnet_new(rng_t *rng)
{
    emulnet_t *net = calloc(1, sizeof *net);
    if (!net)
        return NULL;
    net->rng = rng;
    net->delay = 1;
    net->cal_size = 16;
    net->calendar = calloc(net->cal_size, sizeof *net->calendar);
    if (!net->calendar) {
        free(net);
        return NULL;
    }
    return net;
}

void emulnet_free(emulnet_t *net)
{
    if (!net)
        return;
    for (uint32_t i = 0; i < net->eps_cap; i++) {
        queue_free(&net->eps[i].held);
    }
    for (uint32_t t = 0; t < net->rows_cap; t++)
        free(net->rows[t].pairs);
    free(net->rows);
    for (uint32_t i = 0; i < net->cal_size; i++)
        free(net->calendar[i].bytes);
    for (uint32_t i = 0; i < net->nspares; i++)
        free(net->spares[i].bytes);
    free(net->spares);
    free(net->batch.bytes);
    queue_free(&net->returned);
    free(net->order);
    free(net->dsts);
    free(net->eps);
    free(net->calendar);
    free(net->loss);
    for (size_t i = 0; i < net->nrules; i++)
        free(net->rules[i].groups);
    free(net->rules);
    free(net);
}

/* Makes room in the array at *arrayp (*cap elements of `size` bytes) for `need` elements,
 * doubling from `first`; new elements are zeroed. -1 without memory (the array unchanged). */
static int grow_array(void *arrayp, uint32_t *cap, uint32_t need, size_t size, uint32_t first)
{
    if (need <= *cap)
        return 0;
    uint32_t c = *cap ? *cap : first;
    while (c < need)
        c *= 2;
    void *old;
    memcpy(&old, arrayp, sizeof old);
    uint8_t *p = realloc(old, (size_t)c * size);
    if (!p)
        return -1;
    memset(p + (size_t)*cap * size, 0, (size_t)(c - *cap) * size);
    memcpy(arrayp, &p, sizeof p);
    *cap = c;
    return 0;
}

static endpoint_t *lookup(const emulnet_t *net, addr_t a)
{
    if (a.id == 0 || a.id >= net->eps_cap)
        return NULL;
    endpoint_t *ep = &net->eps[a.id];
    return addr_eq(ep->addr, a) ? ep : NULL;
}

/* True if an endpoint with this id is attached, whatever its port. */
static bool id_attached(const emulnet_t *net, uint32_t id)
{
    return id < net->eps_cap && net->eps[id].addr.id == id;
}

int emulnet_attach(emulnet_t *net, addr_t a)
{
    if (a.id == 0 || a.id >= EN_MAX_ID || id_attached(net, a.id))
        return -1;
    if (grow_array(&net->eps, &net->eps_cap, a.id + 1, sizeof *net->eps, 16) != 0)
        return -1;
    net->eps[a.id].addr = a;
    return 0;
}

void emulnet_set_down(emulnet_t *net, addr_t a)
{
    endpoint_t *ep = lookup(net, a);
    if (!ep)
        return;
    ep->down = 1;
    queue_free(&ep->held);
    ep->next = ep->end; /* the rest of its batch is never read */
}

void emulnet_set_up(emulnet_t *net, addr_t a)
{
    endpoint_t *ep = lookup(net, a);
    if (ep)
        ep->down = 0;
}

int emulnet_add_loss(emulnet_t *net, uint32_t from, uint32_t to, double p)
{
    if (!(p >= 0.0 && p <= 1.0) || to < from)
        return -1;
    loss_window_t *w = realloc(net->loss, (net->nloss + 1) * sizeof *w);
    if (!w)
        return -1;
    net->loss = w;
    net->loss[net->nloss++] = (loss_window_t){ from, to, p };
    return 0;
}

/* The most extra ticks a rule can add to a message (a duplicate's lag included). */
static uint32_t rule_reach(const link_rule_t *r)
{
    return r->delay + r->reorder + (r->duplicate > 0.0 ? EN_DUPLICATE_SPREAD : 0);
}

/* Re-buckets in-flight messages into a calendar large enough for the new delay. */
static int grow_calendar(emulnet_t *net, uint32_t need)
{
    uint32_t size = net->cal_size;
    while (size <= need)
        size *= 2;
    arena_t *cal = calloc(size, sizeof *cal);
    if (!cal)
        return -1;
    for (uint32_t i = 0; i < net->cal_size; i++) { /* a bucket's messages share a due tick */
        arena_t *a = &net->calendar[i];
        if (a->count > 0)
            cal[a->due_tick & (size - 1)] = *a;
        else
            free(a->bytes);
    }
    free(net->calendar);
    net->calendar = cal;
    net->cal_size = size;
    return 0;
}

int emulnet_set_delay(emulnet_t *net, uint32_t ticks)
{
    if (ticks < 1 || ticks > 1000000)
        return -1;
    uint32_t need = ticks;
    for (size_t i = 0; i < net->nrules; i++)
        if (ticks + rule_reach(&net->rules[i]) > need)
            need = ticks + rule_reach(&net->rules[i]);
    if (need >= net->cal_size && grow_calendar(net, need) != 0)
        return -1;
    net->delay = ticks;
    return 0;
}

static uint32_t count_get(const emulnet_t *net, uint32_t id, uint32_t tick, int which)
{
    if (tick >= net->rows_cap || id >= net->rows[tick].len)
        return 0;
    const count_row_t *row = &net->rows[tick];
    size_t k = 2 * (size_t)id + (size_t)which;
    return row->wide ? ((const uint32_t *)row->pairs)[k] : ((const uint16_t *)row->pairs)[k];
}

/* Room in the counts of `tick` for id: the row made or lengthened to cover it; -1 past
 * EN_MAX_TICK or without memory. */
static int count_room(emulnet_t *net, uint32_t id, uint32_t tick)
{
    if (tick >= EN_MAX_TICK ||
        grow_array(&net->rows, &net->rows_cap, tick + 1, sizeof *net->rows, 256) != 0)
        return -1;
    count_row_t *row = &net->rows[tick];
    if (id >= row->len) { /* a new row, or an id attached after it began */
        uint32_t len = net->eps_cap > id ? net->eps_cap : id + 1;
        size_t width = row->wide ? sizeof(uint32_t) : sizeof(uint16_t);
        uint8_t *p = realloc(row->pairs, 2 * (size_t)len * width);
        if (!p)
            return -1;
        memset(p + 2 * (size_t)row->len * width, 0, 2 * (size_t)(len - row->len) * width);
        row->pairs = p;
        row->len = len;
    }
    return 0;
}

/* Adds one to a count (which: 0 sent, 1 received) of endpoint id at `tick`; -1 if the tick is
 * past EN_MAX_TICK or memory runs out (the message is then refused, as it cannot be counted). */
static int count_add(emulnet_t *net, uint32_t id, uint32_t tick, int which)
{
    /* the common case, a row that has the id, checks two bounds and adds */
    if ((tick >= net->rows_cap || id >= net->rows[tick].len) && count_room(net, id, tick) != 0)
        return -1;
    count_row_t *row = &net->rows[tick];
    size_t k = 2 * (size_t)id + (size_t)which;
    if (!row->wide) {
        uint16_t *c = row->pairs;
        if (c[k] < UINT16_MAX) {
            c[k]++;
            return 0;
        }
        uint32_t *w = malloc(2 * (size_t)row->len * sizeof *w); /* a count past 65,535 */
        if (!w)
            return -1;
        for (size_t j = 0; j < 2 * (size_t)row->len; j++)
            w[j] = c[j];
        free(row->pairs);
        row->pairs = w;
        row->wide = true;
    }
    ((uint32_t *)row->pairs)[k]++;
    return 0;
}

static int grow_calendar(emulnet_t *net, uint32_t need);

int emulnet_add_link_rule(emulnet_t *net, const en_link_rule_t *rule)
{
    link_rule_t nr = { rule->from, rule->to, rule->cut, rule->one_way, rule->delay, rule->reorder,
                       rule->loss, rule->duplicate, NULL, 0 };
    if (rule->to < rule->from || rule->delay > 1000000 || rule->reorder > 1000000 ||
        !(rule->loss >= 0.0 && rule->loss <= 1.0) ||
        !(rule->duplicate >= 0.0 && rule->duplicate <= 1.0) ||
        (net->delay + rule_reach(&nr) >= net->cal_size &&
         grow_calendar(net, net->delay + rule_reach(&nr)) != 0))
        return -1;
    link_rule_t *r = realloc(net->rules, (net->nrules + 1) * sizeof *r);
    if (!r)
        return -1;
    net->rules = r;
    if (rule->groups) {
        nr.groups = malloc(rule->ngroups ? rule->ngroups : 1);
        if (!nr.groups)
            return -1;
        memcpy(nr.groups, rule->groups, rule->ngroups);
        nr.ngroups = rule->ngroups;
    }
    net->rules[net->nrules++] = nr;
    return 0;
}

static uint8_t group_of(const link_rule_t *r, uint32_t id)
{
    return id < r->ngroups ? r->groups[id] : 0;
}

/* Applies the link rules to a message sent now: -1 if a cut or a loss drops it, else the extra
 * delay; *copy_lag is set to a duplicate's lag behind the message (-1: no duplicate). Random
 * draws happen only for rules of loss, duplication and reordering that apply. */
static int64_t link_effect(const emulnet_t *net, addr_t src, addr_t dst, uint32_t now,
                           int *copy_lag)
{
    uint32_t extra = 0, jitter = 0;
    *copy_lag = -1;
    for (size_t i = 0; i < net->nrules; i++) {
        const link_rule_t *r = &net->rules[i];
        if (now < r->from || now >= r->to)
            continue;
        if (r->groups) {
            uint8_t a = group_of(r, src.id), b = group_of(r, dst.id);
            bool a_to_b = (a & 1) && (b & 2), b_to_a = (a & 2) && (b & 1);
            if (!a_to_b && (r->one_way || !b_to_a))
                continue;
        }
        if (r->cut)
            return -1;
        if (r->loss > 0.0 && rng_unit(net->rng) < r->loss)
            return -1;
        if (r->delay > extra)
            extra = r->delay;
        if (r->reorder > 0)
            jitter += rng_below(net->rng, r->reorder + 1);
        if (r->duplicate > 0.0 && rng_unit(net->rng) < r->duplicate)
            *copy_lag = (int)rng_below(net->rng, EN_DUPLICATE_SPREAD + 1);
    }
    return (int64_t)extra + jitter;
}

/* Puts m in the calendar. A bucket must only ever hold messages due at one tick, or one due
 * cal_size ticks later would be delivered early: overlapping rules add up (a delay, every
 * reordering, a duplicate's lag), so the calendar grows here when a message reaches past it.
 * Growing keeps the order of messages due at the same tick, so the size never changes what is
 * delivered when. -1 without memory. */
static size_t msg_size(size_t len)
{
    return (sizeof(en_msg_t) + len + 7) & ~(size_t)7;
}

/* Room for a message of len bytes due at `due`, in its bucket's arena (taken from the spares
 * when the bucket has none); NULL without memory. The message's fields are the caller's. */
static en_msg_t *schedule(emulnet_t *net, uint32_t due, size_t len, uint32_t now)
{
    if (due - now >= net->cal_size && grow_calendar(net, due - now) != 0)
        return NULL;
    arena_t *a = &net->calendar[due & (net->cal_size - 1)];
    size_t need = msg_size(len);
    if (!a->bytes && net->nspares > 0)
        *a = net->spares[--net->nspares];
    if (a->used + need > a->cap) {
        size_t cap = a->cap ? a->cap : 4096;
        while (cap < a->used + need)
            cap *= 2;
        uint8_t *b = realloc(a->bytes, cap);
        if (!b)
            return NULL;
        a->bytes = b;
        a->cap = cap;
    }
    en_msg_t *m = (en_msg_t *)(a->bytes + a->used);
    a->used += need;
    a->count++;
    a->due_tick = due;
    m->next = NULL;
    m->due_tick = due;
    return m;
}

/* A copy of m (sent now), delivered `lag` ticks after it; false without memory. m is in the
 * arena of its own due tick, which the copy's may be: it is copied out first. */
static bool queue_copy(emulnet_t *net, const en_msg_t *m, uint32_t lag, uint32_t now)
{
    en_msg_t *tmp = malloc(sizeof *tmp + m->len);
    if (!tmp)
        return false;
    memcpy(tmp, m, sizeof *tmp + m->len);
    en_msg_t *c = schedule(net, tmp->due_tick + lag, tmp->len, now);
    if (c) {
        uint32_t due = c->due_tick;
        memcpy(c, tmp, sizeof *c + tmp->len);
        c->due_tick = due;
        c->next = NULL;
    }
    free(tmp);
    return c != NULL;
}

static int lost(emulnet_t *net, uint32_t now)
{
    for (size_t i = 0; i < net->nloss; i++) {
        const loss_window_t *w = &net->loss[i];
        if (now >= w->from && now < w->to && w->p > 0.0 && rng_unit(net->rng) < w->p)
            return 1;
    }
    return 0;
}

int emulnet_send(emulnet_t *net, addr_t src, addr_t dst, const void *data, size_t len,
                 uint32_t now)
{
    endpoint_t *from = lookup(net, src);
    if (!from || len > UINT32_MAX || count_add(net, src.id, now, 0) != 0)
        return EN_UNDELIVERABLE;
    net->stats.sent++;
    net->stats.bytes += len;
    if (lost(net, now)) {
        net->stats.dropped++;
        note(net, "lost", src, dst, data, len, now);
        return EN_DROPPED;
    }
    int copy_lag = -1;
    int64_t extra = net->nrules ? link_effect(net, src, dst, now, &copy_lag) : 0;
    if (extra < 0) {
        net->stats.dropped++;
        note(net, "lost", src, dst, data, len, now);
        return EN_DROPPED;
    }
    endpoint_t *to = lookup(net, dst);
    if (!to || to->down) {
        net->stats.undeliverable++;
        note(net, "undeliverable", src, dst, data, len, now);
        return EN_UNDELIVERABLE;
    }
    en_msg_t *m = schedule(net, now + net->delay + (uint32_t)extra, len, now);
    if (!m) {
        net->stats.undeliverable++;
        return EN_UNDELIVERABLE;
    }
    m->src = src;
    m->dst = dst;
    m->sent_tick = now;
    m->len = (uint32_t)len;
    if (len)
        memcpy(m->data, data, len);
    note(net, "sent", src, dst, data, len, now);
    if (copy_lag >= 0 && queue_copy(net, m, (uint32_t)copy_lag, now)) {
        net->stats.duplicated++;
        note(net, "duplicated", src, dst, data, len, now);
    }
    return EN_QUEUED;
}

/* The batch's unread messages go to their nodes' held lists; the batch's arena is spare. */
static void retire_batch(emulnet_t *net)
{
    for (uint32_t k = 0; k < net->ndsts; k++) {
        endpoint_t *ep = &net->eps[net->dsts[k]];
        for (; ep->next < ep->end; ep->next++) {
            const en_msg_t *m = net->order[ep->next];
            en_msg_t *c = malloc(sizeof *c + m->len);
            if (!c) { /* without memory the rest of its inbox is lost */
                net->stats.undeliverable += ep->end - ep->next;
                break;
            }
            memcpy(c, m, sizeof *c + m->len);
            queue_push(&ep->held, c);
        }
        ep->next = ep->end = 0;
    }
    net->ndsts = 0;
    arena_t *b = &net->batch;
    if (b->bytes) {
        if (grow_array(&net->spares, &net->spares_cap, net->nspares + 1, sizeof *net->spares,
                       4) == 0) {
            b->used = 0;
            b->count = 0;
            net->spares[net->nspares++] = *b;
        } else {
            free(b->bytes);
        }
    }
    *b = (arena_t){ 0 };
}

void emulnet_deliver(emulnet_t *net, uint32_t now)
{
    queue_free(&net->returned);
    retire_batch(net);
    arena_t *bucket = &net->calendar[now & (net->cal_size - 1)];
    if (bucket->count == 0)
        return;
    net->batch = *bucket;
    *bucket = (arena_t){ 0 };
    arena_t *b = &net->batch;
    if (grow_array(&net->order, &net->order_cap, b->count, sizeof *net->order, 64) != 0 ||
        grow_array(&net->dsts, &net->dsts_cap, b->count, sizeof *net->dsts, 64) != 0) {
        net->stats.undeliverable += b->count; /* out of memory: the tick's messages are lost */
        return;
    }
    /* Count per destination, then place: a stable counting sort by destination. */
    for (size_t off = 0; off < b->used;) {
        en_msg_t *m = (en_msg_t *)(b->bytes + off);
        off += msg_size(m->len);
        endpoint_t *to = lookup(net, m->dst);
        if (!to || to->down) {
            net->stats.undeliverable++;
            note(net, "undeliverable", m->src, m->dst, m->data, m->len, now);
            m->due_tick = UINT32_MAX; /* skipped below */
            continue;
        }
        if (to->batch_count++ == 0)
            net->dsts[net->ndsts++] = m->dst.id;
    }
    uint32_t pos = 0;
    for (uint32_t k = 0; k < net->ndsts; k++) {
        endpoint_t *ep = &net->eps[net->dsts[k]];
        ep->next = ep->end = pos;
        pos += ep->batch_count;
        ep->batch_count = 0;
    }
    for (size_t off = 0; off < b->used;) {
        en_msg_t *m = (en_msg_t *)(b->bytes + off);
        off += msg_size(m->len);
        if (m->due_tick != UINT32_MAX)
            net->order[net->eps[m->dst.id].end++] = m;
    }
}

en_msg_t *emulnet_recv(emulnet_t *net, addr_t a, uint32_t now)
{
    endpoint_t *ep = lookup(net, a);
    if (!ep || ep->down || (!ep->held.head && ep->next == ep->end) ||
        count_add(net, a.id, now, 1) != 0)
        return NULL;
    en_msg_t *m;
    if (ep->held.head) {
        m = queue_pop(&ep->held);
        queue_push(&net->returned, m);
    } else {
        m = net->order[ep->next++];
        if (ep->next < ep->end) /* the next one: in cache by the time this one is handled */
            __builtin_prefetch(net->order[ep->next]);
    }
    net->stats.delivered++;
    note(net, "delivered", m->src, m->dst, m->data, m->len, now);
    return m;
}

void emulnet_stats(const emulnet_t *net, en_stats_t *out)
{
    *out = net->stats;
}

uint64_t emulnet_sent_by(const emulnet_t *net, addr_t a, uint32_t tick)
{
    return lookup(net, a) ? count_get(net, a.id, tick, 0) : 0;
}

uint64_t emulnet_recv_by(const emulnet_t *net, addr_t a, uint32_t tick)
{
    return lookup(net, a) ? count_get(net, a.id, tick, 1) : 0;
}

/* Appends v right-aligned in `width` columns (printf's "%*u"). */
static char *put_uint(char *p, uint64_t v, int width)
{
    char digits[20];
    int n = (int)(addr_put_uint(digits, v) - digits);
    for (int k = n; k < width; k++)
        *p++ = ' ';
    memcpy(p, digits, (size_t)n);
    return p + n;
}

/* One node's lines, formatted by hand: at 10,000 nodes the file has 50 million pairs, and
 * fprintf per pair was a tenth of the run. counts: its (sent, received) for ticks [0, ticks),
 * copied out of the rows; NULL: read from the rows one by one. */
static void write_node_counts(const emulnet_t *net, FILE *out, uint32_t id, const uint32_t *counts,
                              uint32_t ticks)
{
    char buf[16384];
    const size_t flush_at = sizeof buf - 256; /* room for a whole pair, a line break, a total */
    uint64_t sent_total = 0, recv_total = 0;
    char *p = buf;
    p += sprintf(p, "node %3u ", (unsigned)id);
    for (uint32_t t = 0; t < ticks; t++) {
        uint32_t s = counts ? counts[2 * (size_t)t] : count_get(net, id, t, 0);
        uint32_t r = counts ? counts[2 * (size_t)t + 1] : count_get(net, id, t, 1);
        sent_total += s;
        recv_total += r;
        *p++ = ' ';
        *p++ = '(';
        p = put_uint(p, s, 4);
        *p++ = ',';
        *p++ = ' ';
        p = put_uint(p, r, 4);
        *p++ = ')';
        if (t % 10 == 9 && t + 1 < ticks) {
            memcpy(p, "\n         ", 10);
            p += 10;
        }
        if ((size_t)(p - buf) > flush_at) {
            fwrite(buf, 1, (size_t)(p - buf), out);
            p = buf;
        }
    }
    p += sprintf(p, "\nnode %3u sent_total %6llu  recv_total %6llu\n\n", (unsigned)id,
                 (unsigned long long)sent_total, (unsigned long long)recv_total);
    fwrite(buf, 1, (size_t)(p - buf), out);
}

/* Counts are stored by tick, the file is by node: they are copied out a block of ids at a
 * time, row by row (reading one id down all the rows misses the cache at every tick). */
#define COUNT_BLOCK 32u
void emulnet_write_counts(const emulnet_t *net, FILE *out, uint32_t ticks)
{
    uint32_t *block = ticks ? malloc((size_t)COUNT_BLOCK * 2 * ticks * sizeof *block) : NULL;
    for (uint32_t base = 1; base < net->eps_cap; base += COUNT_BLOCK) {
        uint32_t n = net->eps_cap - base < COUNT_BLOCK ? net->eps_cap - base : COUNT_BLOCK;
        for (uint32_t t = 0; block && t < ticks; t++)
            for (uint32_t k = 0; k < n; k++) {
                uint32_t *c = &block[((size_t)k * ticks + t) * 2];
                c[0] = count_get(net, base + k, t, 0);
                c[1] = count_get(net, base + k, t, 1);
            }
        for (uint32_t k = 0; k < n; k++)
            if (net->eps[base + k].addr.id == base + k) /* attached */
                write_node_counts(net, out, base + k, block ? &block[(size_t)k * ticks * 2] : NULL,
                                  ticks);
    }
    free(block);
}
