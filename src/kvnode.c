/* kvnode.c: one node's key-value layer. The coordinator sends each client operation to the
 * key's 3 replicas in its own ring view and decides on a 2-of-3 quorum or a timeout; the server
 * applies requests to the local store; stabilization moves keys when the ring view changes. */
#include "kvnode.h"

#include <stdlib.h>
#include <string.h>

#include "quorum.h"
#include "store.h"

typedef struct {
    uint32_t txid;
    kv_op_t op;
    char *key;
    char *value; /* written value (create, update), newest value read so far (read), or NULL */
    kv_version_t version; /* written (create, update, delete); for reads, set from the quorum */
    uint32_t issued;      /* tick the coordinator issued it */
    quorum_t q;
    bool have_first;      /* KV_FAULT_READ_FIRST only: the first successful reply's version */
    kv_version_t first;
} txn_t;

/* Handoff (README, "Stabilization"): a node holding a key hands it to replicas that may lack
 * it, until each acknowledges a version at least as new as the node's own. One target of one
 * key: */
typedef struct {
    addr_t to;
    uint32_t inc;       /* the incarnation `to` had in the view that made it a target */
    kv_version_t acked; /* the newest version `to` said it holds; {0, 0}: none yet */
    uint32_t next;      /* tick of the next send */
    uint8_t sends;      /* sends so far: each wait for an answer is twice the one before */
    bool behind;        /* `to` said it holds an older version: the next send is the value */
} ho_target_t;

/* The handoff of one key; the store item's tag is its index in kv_node.ho plus one. */
typedef struct {
    char *key;
    ho_target_t t[RING_REPLICAS];
    uint8_t nt;
} handoff_t;

/* One offer due: the key of handoff `ho` to `to`, believed to be incarnation `inc`. */
typedef struct {
    addr_t to;
    uint32_t inc;
    uint32_t ho;
} ho_due_t;

/* Transaction ids of requests served lately, in two generations that take turns: a request
 * served while its id is in either is a copy the network made, and is ignored. Generations
 * span ticks the node ran (kv_tick calls), not ticks of the run: a copy that waited in the inbox
 * of a paused node arrives, for the node, right after the original. */
#define SERVED_TICKS 32 /* a generation's span; a duplicate arrives within 3 ticks */
/* A request is known by its transaction id and its coordinator: ids are run-wide in a
 * simulation, but every process of a real cluster numbers its own. */
typedef struct {
    addr_t from; /* id 0: an empty slot (no node has id 0) */
    uint32_t txid;
} served_t;

typedef struct {
    served_t *ids; /* open addressing */
    size_t cap, n;
} txid_set_t;

static size_t served_slot(served_t e, size_t mask)
{
    uint64_t h = (addr_key(e.from) * 0x9e3779b97f4a7c15ull) ^ (e.txid * 0x9e3779b1u);
    return (size_t)(h ^ (h >> 29)) & mask;
}

struct kv_node {
    kv_env_t env;
    addr_t self;
    store_t *store;
    ring_t ring, prev; /* the current view, and the one before it */
    bool have_ring;
    uint64_t ring_version; /* member_version() the current ring was built from */
    uint64_t clock;        /* Lamport clock, kept at least tick << 16 when issuing versions */

    txn_t *txns; /* sorted by txid; [txn_head, ntxns) are live, decided ones until deadline */
    size_t txn_head, ntxns, txn_cap;
    handoff_t *ho; /* keys being handed to replicas that have not acknowledged them yet */
    size_t nho, ho_cap;
    uint32_t ho_due;   /* no handoff send is due before this tick */
    ho_due_t *due;     /* scratch: offers due this tick */
    size_t due_cap;
    addr_t *scratch;   /* member addresses and incarnations while building the ring */
    uint32_t *scratch_inc;
    size_t scratch_cap;

    txid_set_t served[2]; /* [served_gen]: requests served lately; the other: before that */
    int served_gen;
    uint32_t served_since; /* local tick the current generation started */
    uint32_t local_ticks;  /* kv_tick calls so far: this node's own clock (it stops in a pause) */

    uint32_t sync_turn; /* which neighbour the next anti-entropy round goes to */
    kv_stats_t stats;
    kv_msg_t in, out;
    uint8_t buf[WIRE_MAX_KV_MSG];       /* one encoded KV message */
    uint8_t batch[WIRE_MAX_DIGEST_MSG]; /* an offer, answer or digest being filled */
};

void kv_default_cfg(kv_cfg_t *cfg)
{
    cfg->timeout = 10;
    cfg->transfer_retry = 5;
    cfg->handoff_stagger = 3;
    cfg->sync_period = 20;
    cfg->faults = 0;
}

kv_node_t *kv_new(addr_t self, const kv_env_t *env)
{
    if (env->cfg->timeout == 0 || env->cfg->transfer_retry == 0)
        return NULL;
    kv_node_t *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->env = *env;
    n->self = self;
    ring_init(&n->ring);
    ring_init(&n->prev);
    n->store = store_new();
    if (!n->store) {
        free(n);
        return NULL;
    }
    return n;
}

void kv_free(kv_node_t *n)
{
    if (!n)
        return;
    for (size_t i = n->txn_head; i < n->ntxns; i++) {
        free(n->txns[i].key);
        free(n->txns[i].value);
    }
    for (size_t i = 0; i < n->nho; i++)
        free(n->ho[i].key);
    free(n->txns);
    free(n->ho);
    free(n->due);
    free(n->scratch);
    free(n->scratch_inc);
    free(n->served[0].ids);
    free(n->served[1].ids);
    ring_free(&n->ring);
    ring_free(&n->prev);
    store_free(n->store);
    free(n);
}

/* ---- helpers ---- */

static void observe(kv_node_t *n, kv_version_t v)
{
    if (v.stamp > n->clock)
        n->clock = v.stamp;
}

void kv_adopt_store(kv_node_t *n, kv_node_t *old)
{
    store_t *s = n->store;
    n->store = old->store;
    old->store = s;
    for (size_t i = 0; i < store_size(n->store); i++) { /* tags were the old node's handoffs */
        const store_item_t *it = store_at(n->store, i);
        store_set_tag(n->store, it->key, it->klen, 0);
        observe(n, it->version);
    }
}

store_t *kv_store(kv_node_t *n)
{
    return n->store;
}

int kv_restore(kv_node_t *n, const char *key, const char *value, kv_version_t version,
               bool deleted)
{
    size_t klen = strlen(key);
    int r = store_put(n->store, key, klen, value, strlen(value), version, deleted,
                      ring_hash(key, klen));
    if (r == STORE_APPLIED)
        observe(n, version);
    return r;
}

static kv_version_t next_version(kv_node_t *n, uint32_t now)
{
    uint64_t c = n->clock + 1, floor = (uint64_t)now << 16;
    n->clock = c > floor ? c : floor;
    return (kv_version_t){ n->clock, n->self.id };
}

static void send_kv(kv_node_t *n, addr_t to, const kv_msg_t *m, uint32_t now)
{
    int len = wire_encode_kv(m, n->buf, sizeof n->buf);
    if (len > 0)
        transport_send(n->env.net, n->self, to, n->buf, (size_t)len, now);
}

/* Tells the observers about a transfer (what: sent, received, acked) or, for a repair, that
 * anti-entropy sent a key to a replica that was behind. */
static void emit_transfer(const kv_node_t *n, obs_kind_t kind, const char *what, addr_t peer,
                          const char *key, kv_version_t v, bool applied, uint32_t now)
{
    obs_event_t ev = { .kind = kind, .tick = now, .node = n->self, .peer = peer, .what = what,
                       .key = key, .version = v, .flag = applied };
    obs_emit(n->env.bus, &ev);
}

static void set_text(kv_msg_t *m, const char *key, const char *value)
{
    m->klen = (uint16_t)strlen(key);
    memcpy(m->key, key, m->klen + 1u);
    m->vlen = value ? (uint16_t)strlen(value) : 0;
    memcpy(m->value, value ? value : "", m->vlen + 1u);
}

/* One result line: "<role>: <op> <success|fail> at time <t>, transID=<id>, key=<k>[, value=<v>]".
 * Delete lines and read failures carry no value. */
static void log_result(kv_node_t *n, const char *role, kv_op_t op, bool ok, uint32_t txid,
                       const char *key, const char *value, uint32_t now)
{
    const char *outcome = ok ? "success" : "fail";
    if (value && op != KV_DELETE && (op != KV_READ || ok))
        log_event(n->env.log, n->self, now, "%s: %s %s at time %u, transID=%u, key=%s, value=%s",
                  role, kv_op_name(op), outcome, (unsigned)now, (unsigned)txid, key, value);
    else
        log_event(n->env.log, n->self, now, "%s: %s %s at time %u, transID=%u, key=%s", role,
                  kv_op_name(op), outcome, (unsigned)now, (unsigned)txid, key);
}

/* ---- handoff ----
 *
 * The invariant: a node gives up its copy of a key only when it is not one of the key's
 * replicas in its own view and every replica in that view has acknowledged holding a version at
 * least as new as the copy. A node that is a replica in its view never gives its copy up. Every
 * view orders nodes by the same positions, so the replicas a node waits for are all closer to
 * the key than it is: acknowledgements cannot go round in a circle, and the newest version held
 * anywhere survives until every node holding it has crashed.
 *
 * Every holder is responsible for its own copy; none is presumed to hold what it may have lost
 * (it failed undetected, restarted empty, missed the write). A holder first offers (key,
 * version) to each target, batched per target; a target answers with the version it holds, and
 * only a target that is behind gets the value. Holders that an older view ranks behind others
 * start a few ticks later, so that a moved key's value usually travels once. */

static bool is_self(const kv_node_t *n, addr_t a)
{
    return addr_eq(a, n->self);
}

static bool in_set(const addr_t *set, size_t k, addr_t a)
{
    for (size_t i = 0; i < k; i++)
        if (addr_eq(set[i], a))
            return true;
    return false;
}

static bool on_ring(kv_node_t *n, const ring_t *r, addr_t a)
{
    return ring_contains(r, a, ring_poscache_get(n->env.positions, a));
}

/* Index of node a (with incarnation inc; any if match_inc is false) in set[0..k), or -1. */
static int node_in(const ring_node_t *set, size_t k, addr_t a, uint32_t inc, bool match_inc)
{
    for (size_t i = 0; i < k; i++)
        if (addr_eq(set[i].addr, a) && (!match_inc || set[i].inc == inc))
            return (int)i;
    return -1;
}

static bool same_nodes(const ring_node_t *a, size_t ka, const ring_node_t *b, size_t kb)
{
    if (ka != kb)
        return false;
    for (size_t i = 0; i < ka; i++)
        if (!addr_eq(a[i].addr, b[i].addr) || a[i].inc != b[i].inc)
            return false;
    return true;
}

static handoff_t *ho_of(kv_node_t *n, const store_item_t *it)
{
    return it && it->tag ? &n->ho[it->tag - 1] : NULL;
}

/* A new, empty handoff for the item; NULL without memory (the next view change retries). */
static handoff_t *ho_create(kv_node_t *n, const store_item_t *it)
{
    if (n->nho == n->ho_cap) {
        size_t cap = n->ho_cap ? n->ho_cap * 2 : 8;
        handoff_t *p = realloc(n->ho, cap * sizeof *p);
        if (!p)
            return NULL;
        n->ho = p;
        n->ho_cap = cap;
    }
    char *k = strdup(it->key);
    if (!k)
        return NULL;
    handoff_t *h = &n->ho[n->nho++];
    *h = (handoff_t){ .key = k };
    store_set_tag(n->store, it->key, it->klen, (uint32_t)n->nho);
    return h;
}

/* Forgets handoff h (the item keeps its data); the last handoff moves into its slot. */
static void ho_delete(kv_node_t *n, handoff_t *h)
{
    size_t i = (size_t)(h - n->ho);
    store_set_tag(n->store, h->key, strlen(h->key), 0);
    free(h->key);
    if (i != --n->nho) {
        n->ho[i] = n->ho[n->nho];
        store_set_tag(n->store, n->ho[i].key, strlen(n->ho[i].key), (uint32_t)i + 1);
    }
}

static bool confirmed(const ho_target_t *t, kv_version_t v)
{
    return kv_version_cmp(t->acked, v) >= 0;
}

static bool self_replicates(kv_node_t *n, uint64_t pos)
{
    addr_t reps[RING_REPLICAS];
    size_t k = ring_replicas(&n->ring, pos, reps);
    return in_set(reps, k, n->self);
}

/* Sends the item's value; inc: the incarnation this node believes `to` has (0 for anti-entropy's
 * repairs), carried back by the acknowledgement; repair: sent because `to` was seen behind, not
 * by a handoff (for the observers). */
static void send_transfer(kv_node_t *n, const store_item_t *it, addr_t to, uint32_t inc,
                          bool repair, uint32_t now)
{
    kv_msg_t *m = &n->out;
    m->type = MSG_KV_TRANSFER;
    m->from = n->self;
    m->txid = inc;
    m->op = 0;
    m->flags = it->deleted ? KV_FLAG_DELETED : 0;
    m->version = it->version;
    set_text(m, it->key, it->deleted ? NULL : it->value);
    send_kv(n, to, m, now);
    n->stats.transfers_sent++;
    emit_transfer(n, repair ? OBS_REPAIR : OBS_TRANSFER, "sent", to, it->key, it->version, false, now);
}

/* When every target has acknowledged the held version: the handoff is over, and a node that is
 * not a replica gives the key up. Returns true if the key was dropped (it and h are gone). */
static bool ho_settle(kv_node_t *n, handoff_t *h)
{
    const store_item_t *it = store_get(n->store, h->key, strlen(h->key));
    bool drop = !self_replicates(n, it->pos);
    /* The fault drops at once, counting on the other holders: the bug the invariant stops. */
    if (!drop || !(n->env.cfg->faults & KV_FAULT_EARLY_DROP))
        for (size_t i = 0; i < h->nt; i++)
            if (!confirmed(&h->t[i], it->version))
                return false;
    char key[KV_MAX_KEY + 1];
    memcpy(key, h->key, strlen(h->key) + 1);
    ho_delete(n, h);
    if (drop) {
        store_remove(n->store, key, strlen(key));
        n->stats.keys_dropped++;
    }
    return drop;
}

/* Makes want[0..k) the targets of the item's handoff: a target already there (same address and
 * incarnation) keeps what it acknowledged; a new one gets its first send at `first`. No targets:
 * no handoff. Returns the handoff, or NULL if there is none. */
static handoff_t *ho_plan(kv_node_t *n, const store_item_t *it, const ring_node_t *want, size_t k,
                          uint32_t first)
{
    handoff_t *h = ho_of(n, it);
    if (k == 0) {
        if (h)
            ho_delete(n, h);
        return NULL;
    }
    if (!h && !(h = ho_create(n, it)))
        return NULL;
    ho_target_t t[RING_REPLICAS];
    for (size_t i = 0; i < k; i++) {
        t[i] = (ho_target_t){ .to = want[i].addr, .inc = want[i].inc, .next = first };
        for (size_t j = 0; j < h->nt; j++)
            if (addr_eq(h->t[j].to, want[i].addr) && h->t[j].inc == want[i].inc)
                t[i] = h->t[j];
    }
    memcpy(h->t, t, k * sizeof *t);
    h->nt = (uint8_t)k;
    if (first < n->ho_due)
        n->ho_due = first;
    return h;
}

/* The item's replicas in this node's view, without this node; *self_rep says if it is one. */
static size_t others_of(kv_node_t *n, const store_item_t *it, ring_node_t out[RING_REPLICAS],
                        bool *self_rep)
{
    ring_node_t reps[RING_REPLICAS];
    size_t k = ring_replica_nodes(&n->ring, it->pos, reps), m = 0;
    *self_rep = false;
    for (size_t i = 0; i < k; i++) {
        if (is_self(n, reps[i].addr))
            *self_rep = true;
        else
            out[m++] = reps[i];
    }
    return m;
}

/* How many of the nodes presumed to hold the key (its replicas in the old view that are still
 * on the ring) come before this node on the ring, counted from the key: its place in line. */
static uint32_t holder_rank(kv_node_t *n, const store_item_t *it, const ring_node_t *oldr, size_t ko)
{
    ring_node_t me = { ring_poscache_get(n->env.positions, n->self), n->self, 0 };
    uint32_t rank = 0;
    for (size_t i = 0; i < ko; i++)
        if (!is_self(n, oldr[i].addr) && on_ring(n, &n->ring, oldr[i].addr) &&
            ring_closer(it->pos, &oldr[i], &me))
            rank++;
    return rank;
}

/* The view changed from `old` to the current ring: plan the item's handoff. A node that is not
 * a replica hands the key to every replica; a replica hands it to the replicas that are new to
 * it (a restarted node, same address with a new incarnation, counts as new), and keeps handing
 * it to earlier targets that are still replicas. */
static void place_key(kv_node_t *n, const store_item_t *it, const ring_t *old, uint32_t now)
{
    ring_node_t newr[RING_REPLICAS], oldr[RING_REPLICAS], want[RING_REPLICAS];
    size_t kn = ring_replica_nodes(&n->ring, it->pos, newr);
    size_t ko = ring_replica_nodes(old, it->pos, oldr), k = 0;
    handoff_t *h = ho_of(n, it);
    bool changed = !same_nodes(newr, kn, oldr, ko);
    bool self_rep = node_in(newr, kn, n->self, 0, false) >= 0;
    if (self_rep && !changed && !h)
        return;
    for (size_t i = 0; i < kn; i++) {
        const ring_node_t *r = &newr[i];
        if (is_self(n, r->addr))
            continue;
        bool pending = false;
        for (size_t j = 0; h && j < h->nt; j++)
            pending |= addr_eq(h->t[j].to, r->addr) && h->t[j].inc == r->inc;
        if (!self_rep || pending || (changed && node_in(oldr, ko, r->addr, r->inc, true) < 0))
            want[k++] = *r;
    }
    uint32_t first = now + holder_rank(n, it, oldr, ko) * n->env.cfg->handoff_stagger;
    if ((h = ho_plan(n, it, want, k, first)) != NULL)
        ho_settle(n, h);
}

/* The item's version just changed here: by a write this node served (sender NULL) or by a
 * transfer from `sender`. Targets that acknowledged an older version are due again. A node that
 * is not a replica hands the new version to every replica; a replica that got it by transfer
 * offers it to the other replicas, which the sender's view may have missed. */
static void after_change(kv_node_t *n, const store_item_t *it, const addr_t *sender, uint32_t now)
{
    ring_node_t others[RING_REPLICAS], want[RING_REPLICAS];
    bool self_rep;
    size_t k = others_of(n, it, others, &self_rep), m = 0;
    handoff_t *h = ho_of(n, it);
    if (!self_rep || sender) {
        for (size_t i = 0; i < k; i++)
            if (!self_rep || !addr_eq(others[i].addr, *sender))
                want[m++] = others[i];
        uint32_t first = now + (self_rep ? n->env.cfg->handoff_stagger : 0);
        if ((h = ho_plan(n, it, want, m, first)) != NULL)
            ho_settle(n, h);
        return;
    }
    if (h)
        n->ho_due = now; /* unconfirmed targets are sent to at their next turn */
}

/* The wait after the k-th send to a target: transfer_retry, doubled with each send up to 8
 * times that (a dead target is removed by failure detection; a slow link answers late). */
static uint32_t retry_after(const kv_node_t *n, uint8_t sends)
{
    return n->env.cfg->transfer_retry << (sends < 4 ? sends : 3);
}

/* What target `from` said it holds of the key, answering something sent to incarnation `inc`
 * of it: an answer from an earlier life of a node (sent before it restarted empty) says
 * nothing about the node now, and is ignored. */
static void ho_answer(kv_node_t *n, const char *key, size_t klen, addr_t from, uint32_t inc,
                      kv_version_t v, uint32_t now)
{
    const store_item_t *it = store_get(n->store, key, klen);
    handoff_t *h = ho_of(n, it);
    if (!h)
        return;
    for (size_t i = 0; i < h->nt; i++) {
        ho_target_t *t = &h->t[i];
        if (!addr_eq(t->to, from))
            continue;
        if (t->inc != inc) {
            n->stats.stale_answers++;
            return;
        }
        if (kv_version_cmp(v, t->acked) > 0)
            t->acked = v;
        if (confirmed(t, it->version)) {
            ho_settle(n, h);
        } else if (!t->behind || t->next <= now) {
            /* Behind: the value goes now, unless one is on its way already. */
            t->behind = true;
            send_transfer(n, it, from, t->inc, false, now);
            t->next = now + retry_after(n, t->sends++);
            if (t->next < n->ho_due)
                n->ho_due = t->next;
        }
        return;
    }
}

/* Sends the offer, answer or digest built in n->batch. */
static void send_batch(kv_node_t *n, addr_t to, size_t len, uint32_t now)
{
    transport_send(n->env.net, n->self, to, n->batch, len, now);
}

static int due_cmp(const void *a, const void *b)
{
    const ho_due_t *x = a, *y = b;
    uint64_t kx = addr_key(x->to), ky = addr_key(y->to);
    if (kx != ky)
        return kx < ky ? -1 : 1;
    if (x->inc != y->inc)
        return x->inc < y->inc ? -1 : 1;
    return (x->ho > y->ho) - (x->ho < y->ho);
}

/* Sends what is due: the value to targets known to be behind, offers (batched per target) to
 * the others; each is sent again, after waits that double (retry_after), until acknowledged. */
static void send_due_handoffs(kv_node_t *n, uint32_t now)
{
    if (now < n->ho_due || n->nho == 0)
        return;
    uint32_t soonest = UINT32_MAX;
    size_t ndue = 0;
    for (size_t i = 0; i < n->nho; i++) {
        handoff_t *h = &n->ho[i];
        const store_item_t *it = store_get(n->store, h->key, strlen(h->key));
        for (size_t j = 0; j < h->nt; j++) {
            ho_target_t *t = &h->t[j];
            if (confirmed(t, it->version))
                continue;
            if (t->next > now) {
                soonest = t->next < soonest ? t->next : soonest;
                continue;
            }
            t->next = now + retry_after(n, t->sends++);
            soonest = t->next < soonest ? t->next : soonest;
            if (t->behind) {
                send_transfer(n, it, t->to, t->inc, false, now);
                continue;
            }
            if (ndue == n->due_cap) {
                size_t cap = n->due_cap ? n->due_cap * 2 : 16;
                ho_due_t *p = realloc(n->due, cap * sizeof *p);
                if (!p)
                    continue; /* offered at the next turn */
                n->due = p;
                n->due_cap = cap;
            }
            n->due[ndue++] = (ho_due_t){ t->to, t->inc, (uint32_t)i };
        }
    }
    n->ho_due = soonest;
    if (ndue > 1)
        qsort(n->due, ndue, sizeof *n->due, due_cmp);
    size_t len = 0;
    for (size_t i = 0; i < ndue; i++) {
        const handoff_t *h = &n->ho[n->due[i].ho];
        const store_item_t *it = store_get(n->store, h->key, strlen(h->key));
        const ho_due_t *d = &n->due[i];
        if (len && (!addr_eq(d->to, d[-1].to) || d->inc != d[-1].inc)) {
            send_batch(n, d[-1].to, len, now);
            n->stats.offers_sent++;
            len = 0;
        }
        if (!len)
            len = wire_digest_begin_as(n->batch, MSG_KV_OFFER, n->self, d->inc);
        kv_digest_entry_t e = { (uint8_t)it->klen, it->key, it->deleted, it->version };
        if (wire_digest_add(n->batch, sizeof n->batch, &len, &e) != 0) {
            send_batch(n, d->to, len, now);
            n->stats.offers_sent++;
            len = wire_digest_begin_as(n->batch, MSG_KV_OFFER, n->self, d->inc);
            (void)wire_digest_add(n->batch, sizeof n->batch, &len, &e);
        }
        n->stats.keys_offered++;
    }
    if (len) {
        send_batch(n, n->due[ndue - 1].to, len, now);
        n->stats.offers_sent++;
    }
}

/* After a view change: plan every key's handoff. Backwards, since a dropped item's slot is
 * taken by the last item, which has been seen already. */
static void stabilize(kv_node_t *n, const ring_t *old, uint32_t now)
{
    for (size_t i = store_size(n->store); i-- > 0;)
        if (i < store_size(n->store))
            place_key(n, store_at(n->store, i), old, now);
    send_due_handoffs(n, now);
}

/* Rebuilds the ring if the membership list changed since the last build. While the store is
 * empty and nothing needs the ring now, the rebuild waits: nothing would move. */
static void ensure_ring(kv_node_t *n, uint32_t now, bool needed)
{
    const member_node_t *m = n->env.member;
    uint64_t v = member_version(m);
    if (n->have_ring && v == n->ring_version)
        return;
    if (!needed && (store_size(n->store) == 0 || !member_in_group(m)))
        return; /* nothing would move, or the list is not worth a view yet */
    size_t count = member_count(m) + 1;
    if (count > n->scratch_cap) {
        addr_t *p = realloc(n->scratch, count * sizeof *p);
        if (p)
            n->scratch = p;
        uint32_t *q = p ? realloc(n->scratch_inc, count * sizeof *q) : NULL;
        if (!q)
            return; /* keep the old view; retried next time */
        n->scratch_inc = q;
        n->scratch_cap = count;
    }
    n->scratch[0] = n->self;
    n->scratch_inc[0] = 0; /* a node never hands anything to itself */
    member_list(m, n->scratch + 1, n->scratch_inc + 1);
    ring_t tmp = n->prev;
    n->prev = n->ring;
    n->ring = tmp;
    if (ring_build_with(&n->ring, n->scratch, n->scratch_inc, count, n->env.positions) != 0) {
        tmp = n->prev; /* out of memory: back to the old view */
        n->prev = n->ring;
        n->ring = tmp;
        return;
    }
    bool had = n->have_ring;
    n->have_ring = true;
    n->ring_version = v;
    n->stats.ring_rebuilds++;
    if (store_size(n->store) > 0)
        stabilize(n, had ? &n->prev : &n->ring, now);
}

/* ---- server side ---- */

static bool txid_in(const txid_set_t *s, served_t id)
{
    if (s->cap == 0)
        return false;
    size_t mask = s->cap - 1;
    for (size_t i = served_slot(id, mask); s->ids[i].from.id; i = (i + 1) & mask)
        if (s->ids[i].txid == id.txid && addr_eq(s->ids[i].from, id.from))
            return true;
    return false;
}

/* Adds id (not there yet); false without memory (the request is then served once more if it
 * comes again: a duplicate line, never a lost request). */
static bool txid_add(txid_set_t *s, served_t id)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        served_t *ids = calloc(cap, sizeof *ids);
        if (!ids)
            return false;
        for (size_t k = 0; k < s->cap; k++)
            if (s->ids[k].from.id) {
                size_t i = served_slot(s->ids[k], cap - 1);
                while (ids[i].from.id)
                    i = (i + 1) & (cap - 1);
                ids[i] = s->ids[k];
            }
        free(s->ids);
        s->ids = ids;
        s->cap = cap;
    }
    size_t i = served_slot(id, s->cap - 1);
    while (s->ids[i].from.id)
        i = (i + 1) & (s->cap - 1);
    s->ids[i] = id;
    s->n++;
    return true;
}

/* Whether request txid was served lately (a copy the network made); otherwise notes it. */
static bool served_before(kv_node_t *n, addr_t from, uint32_t txid)
{
    served_t id = { from, txid };
    if (n->local_ticks - n->served_since >= SERVED_TICKS) { /* the older generation goes */
        txid_set_t *old = &n->served[!n->served_gen];
        if (old->cap)
            memset(old->ids, 0, old->cap * sizeof *old->ids);
        old->n = 0;
        n->served_gen = !n->served_gen;
        n->served_since = n->local_ticks;
    }
    if (txid_in(&n->served[0], id) || txid_in(&n->served[1], id))
        return true;
    (void)txid_add(&n->served[n->served_gen], id);
    return false;
}

static void serve(kv_node_t *n, const kv_msg_t *req, uint32_t now)
{
    if (served_before(n, req->from, req->txid)) {
        n->stats.duplicate_requests++;
        return;
    }
    ensure_ring(n, now, true);
    observe(n, req->version);
    const store_item_t *it = store_get(n->store, req->key, req->klen);
    bool live = it && !it->deleted, ok = false, wrote = false;
    kv_version_t before = it ? it->version : (kv_version_t){ 0, 0 };
    kv_msg_t *rep = &n->out;
    rep->type = MSG_KV_REPLY;
    rep->from = n->self;
    rep->txid = req->txid;
    rep->op = req->op;
    rep->version = req->version;
    set_text(rep, req->key, NULL);
    uint64_t pos = 0;
    if (req->op == KV_CREATE || (live && req->op != KV_READ))
        pos = it ? it->pos : ring_hash(req->key, req->klen);
    switch (req->op) {
    case KV_CREATE:
        ok = !live && store_put(n->store, req->key, req->klen, req->value, req->vlen,
                                req->version, false, pos) == STORE_APPLIED;
        wrote = ok;
        break;
    case KV_READ:
        ok = live;
        if (ok) {
            rep->version = it->version;
            set_text(rep, req->key, it->value);
        }
        break;
    case KV_UPDATE:
    case KV_DELETE:
        /* An older version than the one held is superseded, not refused: it still succeeded,
         * ordered before the newer write. */
        ok = live && store_put(n->store, req->key, req->klen, req->value, req->vlen, req->version,
                               req->op == KV_DELETE, pos) != STORE_ENOMEM;
        wrote = ok;
        break;
    }
    rep->flags = ok ? KV_FLAG_OK : 0;
    const char *shown = req->op == KV_READ ? (ok ? rep->value : NULL) : req->value;
    log_result(n, "server", req->op, ok, req->txid, req->key, shown, now);
    if (obs_wanted(n->env.bus)) {
        /* what the replica did with a write: applied it, or kept a newer version it held */
        const store_item_t *now_it = wrote ? store_get(n->store, req->key, req->klen) : NULL;
        bool applied = now_it && kv_version_cmp(now_it->version, req->version) == 0;
        obs_event_t ev = { .kind = OBS_SERVE, .tick = now, .node = n->self, .peer = req->from,
                           .txid = req->txid, .op = req->op, .key = req->key, .flag = ok,
                           .version = rep->version,
                           .what = !ok ? "refused" : req->op == KV_READ ? "read"
                                   : applied ? "applied" : "superseded" };
        obs_emit(n->env.bus, &ev);
    }
    n->stats.requests_served++;
    send_kv(n, req->from, rep, now);
    if (wrote) {
        it = store_get(n->store, req->key, req->klen);
        if (kv_version_cmp(it->version, before) != 0)
            after_change(n, it, NULL, now);
    }
}

/* Tells `to` which version of the key this node holds (none: version 0); inc: what the message
 * answered carried (a transfer's belief of this node's incarnation), 0 for a digest. */
static void send_version(kv_node_t *n, const char *key, const store_item_t *it, addr_t to,
                         uint32_t inc, uint32_t now)
{
    kv_msg_t *ack = &n->out;
    ack->type = MSG_KV_TRANSFER_ACK;
    ack->from = n->self;
    ack->txid = inc;
    ack->op = 0;
    ack->flags = it && it->deleted ? KV_FLAG_DELETED : 0;
    ack->version = it ? it->version : (kv_version_t){ 0, 0 };
    set_text(ack, key, NULL);
    send_kv(n, to, ack, now);
}

static void receive_transfer(kv_node_t *n, const kv_msg_t *m, uint32_t now)
{
    ensure_ring(n, now, true);
    observe(n, m->version);
    const store_item_t *it = store_get(n->store, m->key, m->klen);
    uint64_t pos = it ? it->pos : ring_hash(m->key, m->klen);
    int r = store_put(n->store, m->key, m->klen, m->value, m->vlen, m->version,
                      (m->flags & KV_FLAG_DELETED) != 0, pos);
    if (r == STORE_ENOMEM)
        return; /* no ack: the sender resends */
    it = store_get(n->store, m->key, m->klen);
    send_version(n, m->key, it, m->from, m->txid, now);
    emit_transfer(n, OBS_TRANSFER, "received", m->from, it->key, m->version, r == STORE_APPLIED,
                  now);
    if (r == STORE_APPLIED) {
        n->stats.transfers_applied++;
        after_change(n, it, &m->from, now);
    }
}

/* Whether both this node and `other` are replicas of the item in this node's view. */
static bool co_replicas(kv_node_t *n, const store_item_t *it, addr_t other)
{
    addr_t reps[RING_REPLICAS];
    size_t k = ring_replicas(&n->ring, it->pos, reps);
    return in_set(reps, k, n->self) && in_set(reps, k, other);
}

/* The version a node holds, in answer to a transfer (a handoff) or a digest (anti-entropy). */
static void receive_transfer_ack(kv_node_t *n, const kv_msg_t *m, uint32_t now)
{
    observe(n, m->version);
    const store_item_t *it = store_get(n->store, m->key, m->klen);
    handoff_t *h = ho_of(n, it);
    for (size_t i = 0; h && i < h->nt; i++)
        if (addr_eq(h->t[i].to, m->from) && h->t[i].inc == m->txid) {
            emit_transfer(n, OBS_TRANSFER, "acked", m->from, it->key, m->version, false, now);
            ho_answer(n, m->key, m->klen, m->from, m->txid, m->version, now);
            return;
        }
    /* Otherwise an answer to a digest (or to a handoff from an earlier view or life of the
     * node): a replica that is behind gets the value. */
    if (it && kv_version_cmp(m->version, it->version) < 0 && co_replicas(n, it, m->from)) {
        send_transfer(n, it, m->from, 0, true, now);
        n->stats.repairs_sent++;
    }
}

/* An offer: answers with the version held of each key (none: version 0), and sends this node's
 * copy back where it is newer and both replicate the key here. */
static void receive_offer(kv_node_t *n, const uint8_t *data, int count, addr_t from, uint32_t now)
{
    ensure_ring(n, now, true);
    size_t pos = WIRE_DIGEST_HEADER_SIZE;
    size_t len = wire_digest_begin_as(n->batch, MSG_KV_HAVE, n->self, wire_digest_tag(data));
    for (int i = 0; i < count; i++) {
        kv_digest_entry_t e;
        wire_digest_entry(data, &pos, &e);
        observe(n, e.version);
        const store_item_t *it = store_get(n->store, e.key, e.klen);
        kv_digest_entry_t mine = { e.klen, e.key, it && it->deleted,
                                   it ? it->version : (kv_version_t){ 0, 0 } };
        /* Entries are no longer than the offer's, and no more many: they fit. */
        (void)wire_digest_add(n->batch, sizeof n->batch, &len, &mine);
        if (it && kv_version_cmp(it->version, e.version) > 0 && co_replicas(n, it, from)) {
            send_transfer(n, it, from, 0, true, now);
            n->stats.repairs_sent++;
        }
    }
    send_batch(n, from, len, now);
}

/* The answer to an offer: what the target holds of each key. */
static void receive_have(kv_node_t *n, const uint8_t *data, int count, addr_t from, uint32_t now)
{
    size_t pos = WIRE_DIGEST_HEADER_SIZE;
    for (int i = 0; i < count; i++) {
        kv_digest_entry_t e;
        wire_digest_entry(data, &pos, &e);
        observe(n, e.version);
        ho_answer(n, e.key, e.klen, from, wire_digest_tag(data), e.version, now);
    }
}

/* ---- anti-entropy ---- */

static void send_digest(kv_node_t *n, addr_t to, size_t len, uint32_t now)
{
    send_batch(n, to, len, now);
    n->stats.digests_sent++;
}

/* Sends one neighbour, two places away at most and in turn, the versions of the keys both
 * replicate in this node's view. */
static void sync_round(kv_node_t *n, uint32_t now)
{
    static const int offsets[] = { 1, -1, 2, -2 };
    size_t rn = n->ring.n;
    if (rn < 2)
        return;
    size_t me = ring_index(&n->ring, n->self, ring_poscache_get(n->env.positions, n->self));
    if (me >= rn)
        return;
    int off = offsets[n->sync_turn++ % 4];
    addr_t partner = n->ring.nodes[(me + rn + (size_t)(off % (int)rn + (int)rn)) % rn].addr;
    if (is_self(n, partner))
        return;
    size_t len = wire_digest_begin(n->batch, n->self);
    for (size_t i = 0; i < store_size(n->store); i++) {
        const store_item_t *it = store_at(n->store, i);
        if (!co_replicas(n, it, partner))
            continue;
        kv_digest_entry_t e = { (uint8_t)it->klen, it->key, it->deleted, it->version };
        if (wire_digest_add(n->batch, sizeof n->batch, &len, &e) != 0) {
            send_digest(n, partner, len, now);
            len = wire_digest_begin(n->batch, n->self);
            (void)wire_digest_add(n->batch, sizeof n->batch, &len, &e);
        }
    }
    if (len > WIRE_DIGEST_HEADER_SIZE)
        send_digest(n, partner, len, now);
}

/* For each key of a neighbour's digest: send it our copy if ours is newer, or tell it our
 * (older, or no) version so that it sends its copy. Only for keys both replicate here. */
static void receive_digest(kv_node_t *n, const uint8_t *data, int count,
                           addr_t from, uint32_t now)
{
    ensure_ring(n, now, true);
    size_t pos = WIRE_DIGEST_HEADER_SIZE;
    for (int i = 0; i < count; i++) {
        kv_digest_entry_t e;
        wire_digest_entry(data, &pos, &e);
        char key[KV_MAX_KEY + 1];
        memcpy(key, e.key, e.klen);
        key[e.klen] = '\0';
        observe(n, e.version);
        const store_item_t *it = store_get(n->store, key, e.klen);
        int cmp = it ? kv_version_cmp(it->version, e.version) : -1;
        if (cmp == 0)
            continue;
        addr_t reps[RING_REPLICAS];
        size_t k = ring_replicas(&n->ring, it ? it->pos : ring_hash(key, e.klen), reps);
        if (!in_set(reps, k, n->self) || !in_set(reps, k, from))
            continue;
        if (cmp > 0) {
            send_transfer(n, it, from, 0, true, now);
            n->stats.repairs_sent++;
            continue;
        }
        send_version(n, key, it, from, 0, now);
    }
}

/* ---- coordinator side ---- */

static txn_t *find_txn(kv_node_t *n, uint32_t txid)
{
    size_t lo = n->txn_head, hi = n->ntxns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (n->txns[mid].txid < txid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n->ntxns && n->txns[lo].txid == txid ? &n->txns[lo] : NULL;
}

static void decide(kv_node_t *n, txn_t *t, uint32_t now)
{
    bool ok = t->q.state == Q_SUCCESS;
    if (ok)
        n->stats.ops_ok++;
    else
        n->stats.ops_failed++;
    const char *value = t->op == KV_READ ? (ok ? t->value : NULL) : t->value;
    log_result(n, "coordinator", t->op, ok, t->txid, t->key, value, now);
    kv_version_t version = t->op == KV_READ ? (t->have_first ? t->first : t->q.newest)
                                            : t->version;
    if (obs_wanted(n->env.bus)) {
        addr_t answered[RING_REPLICAS];
        size_t na = 0;
        for (size_t i = 0; i < t->q.nreplicas; i++)
            if (t->q.answered & (1u << i))
                answered[na++] = t->q.replicas[i];
        obs_event_t ev = { .kind = OBS_RESULT, .tick = now, .node = n->self, .txid = t->txid,
                           .op = t->op, .key = t->key, .value = value, .version = version,
                           .flag = ok, .latency = now - t->issued, .asked = t->q.replicas,
                           .nasked = t->q.nreplicas, .answered = answered, .nanswered = na };
        obs_emit(n->env.bus, &ev);
    }
    if (n->env.on_result)
        n->env.on_result(n->env.result_ctx, t->txid, t->op, t->key, ok, value, version, now);
}

static txn_t *txn_append(kv_node_t *n)
{
    if (n->txn_head > 0 && n->txn_head * 2 >= n->ntxns) { /* reclaim the expired prefix */
        memmove(n->txns, n->txns + n->txn_head, (n->ntxns - n->txn_head) * sizeof *n->txns);
        n->ntxns -= n->txn_head;
        n->txn_head = 0;
    }
    if (n->ntxns == n->txn_cap) {
        size_t cap = n->txn_cap ? n->txn_cap * 2 : 8;
        txn_t *p = realloc(n->txns, cap * sizeof *p);
        if (!p)
            return NULL;
        n->txns = p;
        n->txn_cap = cap;
    }
    return &n->txns[n->ntxns++];
}

uint32_t kv_client(kv_node_t *n, kv_op_t op, const char *key, const char *value, uint32_t now)
{
    ensure_ring(n, now, true);
    uint32_t txid = (*n->env.next_txid)++;
    bool writes_value = op == KV_CREATE || op == KV_UPDATE;
    addr_t reps[RING_REPLICAS];
    size_t k = ring_replicas(&n->ring, ring_hash(key, strlen(key)), reps);
    txn_t *t = txn_append(n);
    char *kcopy = strdup(key), *vcopy = writes_value ? strdup(value ? value : "") : NULL;
    if (!t || !kcopy || (writes_value && !vcopy)) {
        if (t)
            n->ntxns--;
        free(kcopy);
        free(vcopy);
        txn_t failed = { .txid = txid, .op = op, .key = (char *)key, .issued = now };
        quorum_init(&failed.q, NULL, 0, now);
        decide(n, &failed, now); /* out of memory: the operation fails visibly */
        return txid;
    }
    *t = (txn_t){ .txid = txid, .op = op, .key = kcopy, .value = vcopy, .issued = now };
    quorum_init(&t->q, reps, k, now + n->env.cfg->timeout);
    if (n->env.cfg->faults & KV_FAULT_QUORUM_ONE)
        quorum_weaken(&t->q, 1);
    kv_msg_t *m = &n->out;
    m->type = MSG_KV_REQUEST;
    m->from = n->self;
    m->txid = txid;
    m->op = op;
    m->flags = 0;
    m->version = next_version(n, now);
    t->version = m->version;
    set_text(m, key, vcopy);
    obs_event_t ev = { .kind = OBS_OP, .tick = now, .node = n->self, .txid = txid, .op = op,
                       .key = key, .value = vcopy, .version = m->version, .asked = reps,
                       .nasked = k };
    obs_emit(n->env.bus, &ev);
    for (size_t i = 0; i < k; i++)
        send_kv(n, reps[i], m, now);
    if (t->q.state != Q_PENDING)
        decide(n, t, now);
    return txid;
}

static void receive_reply(kv_node_t *n, const kv_msg_t *m, uint32_t now)
{
    observe(n, m->version);
    txn_t *t = find_txn(n, m->txid);
    if (!t || t->op != m->op || strcmp(t->key, m->key) != 0) {
        n->stats.ignored_replies++;
        return;
    }
    q_reply_t r = quorum_reply(&t->q, m->from, (m->flags & KV_FLAG_OK) != 0, m->version);
    if (r != QR_COUNTED && r != QR_NEWEST) {
        n->stats.ignored_replies++;
        return;
    }
    bool first_only = (n->env.cfg->faults & KV_FAULT_READ_FIRST) && t->op == KV_READ;
    if (first_only && (m->flags & KV_FLAG_OK) && !t->have_first) {
        t->have_first = true; /* the fault: the first success stands, newer ones are ignored */
        t->first = m->version;
        char *v = strdup(m->value);
        if (v) {
            free(t->value);
            t->value = v;
        }
    } else if (r == QR_NEWEST && t->op == KV_READ && !first_only) {
        char *v = strdup(m->value);
        if (v) {
            free(t->value);
            t->value = v;
        }
    }
    if (t->q.state != Q_PENDING)
        decide(n, t, now);
}

static void expire_txns(kv_node_t *n, uint32_t now)
{
    while (n->txn_head < n->ntxns && n->txns[n->txn_head].q.deadline <= now) {
        txn_t *t = &n->txns[n->txn_head++];
        if (quorum_expire(&t->q, now))
            decide(n, t, now);
        free(t->key);
        free(t->value);
    }
    if (n->txn_head == n->ntxns)
        n->txn_head = n->ntxns = 0;
}

/* ---- entry points ---- */

int kv_receive(kv_node_t *n, const uint8_t *data, size_t len, uint32_t now)
{
    int type = wire_peek_type(data, len);
    if (type == MSG_KV_DIGEST || type == MSG_KV_OFFER || type == MSG_KV_HAVE) {
        addr_t from;
        int count = wire_digest_check(data, len, &from);
        if (count < 0) {
            n->stats.malformed++;
            return count;
        }
        if (type == MSG_KV_DIGEST)
            receive_digest(n, data, count, from, now);
        else if (type == MSG_KV_OFFER)
            receive_offer(n, data, count, from, now);
        else
            receive_have(n, data, count, from, now);
        return WIRE_OK;
    }
    int st = wire_decode_kv(data, len, &n->in);
    if (st != WIRE_OK) {
        n->stats.malformed++;
        return st;
    }
    switch (n->in.type) {
    case MSG_KV_REQUEST: serve(n, &n->in, now); break;
    case MSG_KV_REPLY: receive_reply(n, &n->in, now); break;
    case MSG_KV_TRANSFER: receive_transfer(n, &n->in, now); break;
    case MSG_KV_TRANSFER_ACK: receive_transfer_ack(n, &n->in, now); break;
    default: break;
    }
    return WIRE_OK;
}

void kv_tick(kv_node_t *n, uint32_t now)
{
    n->local_ticks++;
    ensure_ring(n, now, false);
    send_due_handoffs(n, now);
    expire_txns(n, now);
    uint32_t period = n->env.cfg->sync_period;
    if (period && n->have_ring && store_size(n->store) > 0 && (now + n->self.id) % period == 0)
        sync_round(n, now);
}

size_t kv_replicas_of(kv_node_t *n, const char *key, addr_t out[RING_REPLICAS], uint32_t now)
{
    ensure_ring(n, now, true);
    return ring_replicas(&n->ring, ring_hash(key, strlen(key)), out);
}

void kv_dump(const kv_node_t *n, FILE *out)
{
    char a[ADDR_STRLEN];
    addr_format(n->self, a);
    for (size_t i = 0; i < store_size(n->store); i++) {
        const store_item_t *it = store_at(n->store, i);
        if (it->deleted)
            fprintf(out, "tomb %s %s %llu.%u\n", a, it->key,
                    (unsigned long long)it->version.stamp, (unsigned)it->version.node);
        else
            fprintf(out, "item %s %s %s %llu.%u\n", a, it->key, it->value,
                    (unsigned long long)it->version.stamp, (unsigned)it->version.node);
    }
}

void kv_each_key(const kv_node_t *n, void (*fn)(void *ctx, const char *key, uint64_t pos),
                 void *ctx)
{
    for (size_t i = 0; i < store_size(n->store); i++) {
        const store_item_t *it = store_at(n->store, i);
        if (!it->deleted)
            fn(ctx, it->key, it->pos);
    }
}

bool kv_peek(const kv_node_t *n, const char *key, kv_version_t *version, const char **value,
             bool *deleted)
{
    const store_item_t *it = store_get(n->store, key, strlen(key));
    if (!it)
        return false;
    *version = it->version;
    *value = it->value;
    *deleted = it->deleted;
    return true;
}

void kv_get_stats(const kv_node_t *n, kv_stats_t *out)
{
    *out = n->stats;
    out->keys = store_live_count(n->store);
}
