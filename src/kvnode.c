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
    quorum_t q;
} txn_t;

/* A key handed to a new replica, resent until the replica acknowledges the current version. */
typedef struct {
    char *key;
    addr_t target;
    uint32_t next_send;
} transfer_t;

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
    transfer_t *xfers;
    size_t nxfers, xfer_cap;
    addr_t *scratch; /* member addresses while building the ring */
    size_t scratch_cap;

    uint32_t sync_turn; /* which neighbour the next anti-entropy round goes to */
    kv_stats_t stats;
    kv_msg_t in, out;
    uint8_t buf[WIRE_MAX_DIGEST_MSG > WIRE_MAX_KV_MSG ? WIRE_MAX_DIGEST_MSG : WIRE_MAX_KV_MSG];
};

void kv_default_cfg(kv_cfg_t *cfg)
{
    cfg->timeout = 10;
    cfg->transfer_retry = 5;
    cfg->sync_period = 20;
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
    for (size_t i = 0; i < n->nxfers; i++)
        free(n->xfers[i].key);
    free(n->txns);
    free(n->xfers);
    free(n->scratch);
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
        emulnet_send(n->env.net, n->self, to, n->buf, (size_t)len, now);
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

/* ---- stabilization ---- */

static void transfer_remove(kv_node_t *n, size_t i)
{
    free(n->xfers[i].key);
    n->xfers[i] = n->xfers[--n->nxfers];
}

static bool transfer_pending(const kv_node_t *n, const char *key)
{
    for (size_t i = 0; i < n->nxfers; i++)
        if (strcmp(n->xfers[i].key, key) == 0)
            return true;
    return false;
}

static void transfer_add(kv_node_t *n, const char *key, addr_t target, uint32_t now)
{
    for (size_t i = 0; i < n->nxfers; i++)
        if (addr_eq(n->xfers[i].target, target) && strcmp(n->xfers[i].key, key) == 0)
            return;
    if (n->nxfers == n->xfer_cap) {
        size_t cap = n->xfer_cap ? n->xfer_cap * 2 : 8;
        transfer_t *p = realloc(n->xfers, cap * sizeof *p);
        if (!p)
            return; /* the next ring change tries again */
        n->xfers = p;
        n->xfer_cap = cap;
    }
    char *k = strdup(key);
    if (!k)
        return;
    n->xfers[n->nxfers++] = (transfer_t){ k, target, now };
}

static void send_transfer(kv_node_t *n, const store_item_t *it, addr_t to, uint32_t now)
{
    kv_msg_t *m = &n->out;
    m->type = MSG_KV_TRANSFER;
    m->from = n->self;
    m->txid = 0;
    m->op = 0;
    m->flags = it->deleted ? KV_FLAG_DELETED : 0;
    m->version = it->version;
    set_text(m, it->key, it->deleted ? NULL : it->value);
    send_kv(n, to, m, now);
    n->stats.transfers_sent++;
}

/* Gives the key up if this node is not one of its replicas and no handoff is in flight. */
static void maybe_drop(kv_node_t *n, const char *key)
{
    const store_item_t *it = store_get(n->store, key, strlen(key));
    if (!it || transfer_pending(n, key))
        return;
    addr_t reps[RING_REPLICAS];
    size_t k = ring_replicas(&n->ring, it->pos, reps);
    if (k == 0 || in_set(reps, k, n->self))
        return;
    store_remove(n->store, key, strlen(key));
    n->stats.keys_dropped++;
}

static bool same_replicas(const addr_t *a, size_t ka, const addr_t *b, size_t kb)
{
    if (ka != kb)
        return false;
    for (size_t i = 0; i < ka; i++)
        if (!addr_eq(a[i], b[i]))
            return false;
    return true;
}

/* Where the key goes after the view changed from `old` to the current ring, if its replica set
 * changed. The nodes presumed to hold it are its old replicas still on the ring, plus this node.
 * Of these, the first new replica (else the first old one, else this node) is responsible for
 * handing it to the other new replicas: nodes with the same views pick the same sender. The
 * sender sends to every other new replica, not only to those it presumes lack the key: after
 * two changes in a row the presumption can be wrong (the sender chosen in between may have died
 * before sending), and a replica that has the version already just acknowledges it. */
static void place_key(kv_node_t *n, const store_item_t *it, const ring_t *old, uint32_t now)
{
    addr_t newr[RING_REPLICAS], oldr[RING_REPLICAS], holders[RING_REPLICAS + 1];
    size_t kn = ring_replicas(&n->ring, it->pos, newr);
    size_t ko = ring_replicas(old, it->pos, oldr), kh = 0;
    if (old != &n->ring && same_replicas(newr, kn, oldr, ko))
        return;
    for (size_t i = 0; i < ko; i++)
        if (on_ring(n, &n->ring, oldr[i]))
            holders[kh++] = oldr[i];
    if (!in_set(holders, kh, n->self))
        holders[kh++] = n->self;
    addr_t resp = n->self;
    bool found = false;
    for (size_t i = 0; i < kn && !found; i++)
        if (in_set(holders, kh, newr[i])) {
            resp = newr[i];
            found = true;
        }
    for (size_t i = 0; i < ko && !found; i++)
        if (in_set(holders, kh, oldr[i])) {
            resp = oldr[i];
            found = true;
        }
    if (is_self(n, resp))
        for (size_t i = 0; i < kn; i++)
            if (!is_self(n, newr[i]))
                transfer_add(n, it->key, newr[i], now);
}

/* A key that just arrived from `sender`: the nodes known to hold it are this one and the
 * sender, whatever older views presumed. If this node is the first of them among the key's
 * replicas, it hands the key to the other replicas; the sender, when first, does so itself. */
static void place_received(kv_node_t *n, const store_item_t *it, addr_t sender, uint32_t now)
{
    addr_t reps[RING_REPLICAS];
    size_t k = ring_replicas(&n->ring, it->pos, reps);
    for (size_t i = 0; i < k; i++) {
        if (addr_eq(reps[i], sender))
            return;
        if (is_self(n, reps[i])) {
            for (size_t j = 0; j < k; j++)
                if (j != i && !addr_eq(reps[j], sender))
                    transfer_add(n, it->key, reps[j], now);
            return;
        }
    }
}

/* A key this node holds but, in its own view, should not: hand it to the replicas, then drop it. */
static void hand_off_if_stray(kv_node_t *n, const char *key, uint32_t now)
{
    const store_item_t *it = store_get(n->store, key, strlen(key));
    addr_t reps[RING_REPLICAS];
    size_t k = it ? ring_replicas(&n->ring, it->pos, reps) : 0;
    if (k == 0 || in_set(reps, k, n->self))
        return;
    for (size_t i = 0; i < k; i++)
        transfer_add(n, key, reps[i], now);
}

static void send_due_transfers(kv_node_t *n, uint32_t now)
{
    for (size_t i = 0; i < n->nxfers;) {
        transfer_t *x = &n->xfers[i];
        const store_item_t *it = store_get(n->store, x->key, strlen(x->key));
        if (!it) {
            transfer_remove(n, i);
            continue;
        }
        if (x->next_send <= now) {
            send_transfer(n, it, x->target, now);
            x->next_send = now + n->env.cfg->transfer_retry;
        }
        i++;
    }
}

/* After a view change: cancel handoffs to nodes that are no longer replicas of their key,
 * place every key, and drop the keys this node no longer replicates. */
static void stabilize(kv_node_t *n, const ring_t *old, uint32_t now)
{
    for (size_t i = 0; i < n->nxfers;) {
        const store_item_t *it = store_get(n->store, n->xfers[i].key, strlen(n->xfers[i].key));
        addr_t reps[RING_REPLICAS];
        size_t k = it ? ring_replicas(&n->ring, it->pos, reps) : 0;
        if (!it || !in_set(reps, k, n->xfers[i].target))
            transfer_remove(n, i);
        else
            i++;
    }
    for (size_t i = 0; i < store_size(n->store); i++)
        place_key(n, store_at(n->store, i), old, now);
    for (size_t i = store_size(n->store); i-- > 0;) {
        if (i >= store_size(n->store))
            continue;
        char key[KV_MAX_KEY + 1];
        memcpy(key, store_at(n->store, i)->key, store_at(n->store, i)->klen + 1u);
        maybe_drop(n, key);
    }
    send_due_transfers(n, now);
}

/* Rebuilds the ring if the membership list changed since the last build. While the store is
 * empty and nothing needs the ring now, the rebuild waits: nothing would move. */
static void ensure_ring(kv_node_t *n, uint32_t now, bool needed)
{
    const member_node_t *m = n->env.member;
    uint64_t v = member_version(m);
    if (n->have_ring && v == n->ring_version)
        return;
    if (!needed && store_size(n->store) == 0 && n->nxfers == 0)
        return;
    size_t count = member_count(m) + 1;
    if (count > n->scratch_cap) {
        addr_t *p = realloc(n->scratch, count * sizeof *p);
        if (!p)
            return; /* keep the old view; retried next time */
        n->scratch = p;
        n->scratch_cap = count;
    }
    n->scratch[0] = n->self;
    for (size_t i = 1; i < count; i++)
        n->scratch[i] = member_at(m, i - 1);
    ring_t tmp = n->prev;
    n->prev = n->ring;
    n->ring = tmp;
    if (ring_build(&n->ring, n->scratch, count, n->env.positions) != 0) {
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

static void serve(kv_node_t *n, const kv_msg_t *req, uint32_t now)
{
    ensure_ring(n, now, true);
    observe(n, req->version);
    const store_item_t *it = store_get(n->store, req->key, req->klen);
    bool live = it && !it->deleted, ok = false, wrote = false;
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
    n->stats.requests_served++;
    send_kv(n, req->from, rep, now);
    if (wrote)
        hand_off_if_stray(n, req->key, now);
}

/* Tells `to` which version of the key this node holds (none: version 0). */
static void send_version(kv_node_t *n, const char *key, const store_item_t *it, addr_t to,
                         uint32_t now)
{
    kv_msg_t *ack = &n->out;
    ack->type = MSG_KV_TRANSFER_ACK;
    ack->from = n->self;
    ack->txid = 0;
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
    if (r == STORE_APPLIED) {
        n->stats.transfers_applied++;
        place_received(n, it, m->from, now);
        it = store_get(n->store, m->key, m->klen);
    }
    send_version(n, m->key, it, m->from, now);
    hand_off_if_stray(n, m->key, now);
}

/* Whether both this node and `other` are replicas of the item in this node's view. */
static bool co_replicas(kv_node_t *n, const store_item_t *it, addr_t other)
{
    addr_t reps[RING_REPLICAS];
    size_t k = ring_replicas(&n->ring, it->pos, reps);
    return in_set(reps, k, n->self) && in_set(reps, k, other);
}

static void receive_transfer_ack(kv_node_t *n, const kv_msg_t *m, uint32_t now)
{
    const store_item_t *it = store_get(n->store, m->key, m->klen);
    for (size_t i = 0; i < n->nxfers; i++) {
        transfer_t *x = &n->xfers[i];
        if (!addr_eq(x->target, m->from) || strcmp(x->key, m->key) != 0)
            continue;
        if (!it || kv_version_cmp(m->version, it->version) >= 0) {
            transfer_remove(n, i);
            maybe_drop(n, m->key);
        }
        return;
    }
    /* Not a handoff: an answer to a digest, from a replica that is behind. */
    if (it && kv_version_cmp(m->version, it->version) < 0 && co_replicas(n, it, m->from)) {
        send_transfer(n, it, m->from, now);
        n->stats.repairs_sent++;
    }
}

/* ---- anti-entropy ---- */

static void send_digest(kv_node_t *n, addr_t to, size_t len, uint32_t now)
{
    emulnet_send(n->env.net, n->self, to, n->buf, len, now);
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
    size_t len = wire_digest_begin(n->buf, n->self);
    for (size_t i = 0; i < store_size(n->store); i++) {
        const store_item_t *it = store_at(n->store, i);
        if (!co_replicas(n, it, partner))
            continue;
        kv_digest_entry_t e = { (uint8_t)it->klen, it->key, it->deleted, it->version };
        if (wire_digest_add(n->buf, sizeof n->buf, &len, &e) != 0) {
            send_digest(n, partner, len, now);
            len = wire_digest_begin(n->buf, n->self);
            (void)wire_digest_add(n->buf, sizeof n->buf, &len, &e);
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
            send_transfer(n, it, from, now);
            n->stats.repairs_sent++;
            continue;
        }
        send_version(n, key, it, from, now);
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
    kv_version_t version = t->op == KV_READ ? t->q.newest : t->version;
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
        txn_t failed = { .txid = txid, .op = op, .key = (char *)key };
        quorum_init(&failed.q, NULL, 0, now);
        decide(n, &failed, now); /* out of memory: the operation fails visibly */
        return txid;
    }
    *t = (txn_t){ .txid = txid, .op = op, .key = kcopy, .value = vcopy };
    quorum_init(&t->q, reps, k, now + n->env.cfg->timeout);
    kv_msg_t *m = &n->out;
    m->type = MSG_KV_REQUEST;
    m->from = n->self;
    m->txid = txid;
    m->op = op;
    m->flags = 0;
    m->version = next_version(n, now);
    t->version = m->version;
    set_text(m, key, vcopy);
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
    if (r == QR_NEWEST && t->op == KV_READ) {
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
    if (wire_peek_type(data, len) == MSG_KV_DIGEST) {
        addr_t from;
        int count = wire_digest_check(data, len, &from);
        if (count < 0) {
            n->stats.malformed++;
            return count;
        }
        receive_digest(n, data, count, from, now);
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
    ensure_ring(n, now, false);
    send_due_transfers(n, now);
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
        if (!it->deleted)
            fprintf(out, "item %s %s %s %llu.%u\n", a, it->key, it->value,
                    (unsigned long long)it->version.stamp, (unsigned)it->version.node);
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
