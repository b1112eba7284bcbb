/* membership.c: one node's membership list and the gossip heartbeat protocol.
 * Entries live in an array indexed by the address book's number of each address (a node not
 * listed is a blank entry); removed entries stay as tombstones so stale gossip never re-adds
 * them; a sweep and a small heap of deadline checks find timeouts (see "Timeouts"). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "membership.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "addrbook.h"
#include "wire.h"

enum { ST_UNKNOWN = 0, ST_ALIVE = 1, ST_SUSPECT = 2, ST_REMOVED = 3 };

#define MAX_FANOUT 64
#define MAX_TIMEOUT 1000000 /* ticks */

/* News: a newly admitted member (or one back with a higher incarnation) is put in the next
 * NEWS_SENDS messages the node sends, and a failure notice in more (notice_sends), so that
 * they spread quickly even about members that never send a heartbeat again. News is never
 * dropped before its sends are used: the queue grows (a member is in it at most once, so it
 * is bounded by the list), and when it holds more sends than NEWS_PER_MSG per message can
 * clear in NEWS_HORIZON ticks, messages give news more room, up to half their entries. A join
 * pushed 4 times misses about e^-4 of the nodes; the pulls of recent changes repair them, and
 * joins are most of the news (every node that learns one pushes it: about NEWS_SENDS * n^2
 * entries while a group boots; 6 sends merged half as many entries again at 5,000 nodes). */
#define NEWS_SENDS 4
/* From LARGE_GROUP nodes, news is pushed less and pulled more: a join 3 times (e^-3: 5% of the
 * nodes miss it), a failure notice 4 times (1.8%), and each node that missed it gets it in the
 * answer to one of its next pulls of recent changes (every PULL_PERIOD ticks, the asker's digest
 * leaving out what it holds): push for the bulk, pull for the tail. There news is most of the
 * entries sent, and a push to a node that knows it already is a cache miss for nothing
 * (README, "Timing"). */
#define JOIN_SENDS_LARGE 3
#define NOTICE_SENDS_LARGE 4
#define RECENT_MSGS_LARGE 1 /* messages of a round with recent failure notices (see TOMBS_PER_MSG) */
#define NEWS_PER_MSG 8
#define NEWS_HORIZON 4
/* Heartbeats: a gossip message carries HB_ENTRIES - 1 members taken round robin beside its
 * own entry and news. Probes find failures; heartbeats only keep the timeouts, a backstop, from
 * firing, so they can be few (see member_default_cfg). From LARGE_GROUP nodes, fewer: there
 * the round robin is most of the entries merged, while in a small group a message that lists
 * most of the list is how every node learns of a newcomer within a tick or two (a 10-node
 * handoff test sent 32 values for 16 keys moved with 5, 23 with 7). */
#define HB_ENTRIES 8
#define HB_ENTRIES_LARGE 5
/* Probes: each node pings PROBES successors every PROBE_PERIOD ticks, and every ping is
 * answered: below LARGE_GROUP nodes that is half of all messages. From LARGE_GROUP nodes, 2
 * successors every 3 ticks: a failure is found in 14 ticks instead of 10 (probe_timeout: 4
 * pings), which nothing at that size waits on (T_FAIL is hundreds of ticks), and the work of
 * a tick is a third lighter (README, "Timing"). A member whose probers both fail is probed in
 * their place once they are removed: the nodes that probed them take their next nearest
 * successors (probe_forget). */
#define PROBES 3
#define PROBE_PERIOD 2
#define PROBES_LARGE 2
#define PROBE_PERIOD_LARGE 3
#define LARGE_GROUP 1000
/* Timeouts: suspicion after SUSPECT_COVERS covers without news of a member (see
 * member_default_cfg); a suspect is pinged and removed unless it answers. */
#define SUSPECT_COVERS 4
/* Recent changes are asked for every PULL_PERIOD ticks, for a window of PULL_WINDOW: a change is
 * in the answers to four pulls of a node that missed it (the first may come before it spread).
 * With a window of two periods, about one node-member pair in 10,000 waited for the round robin
 * (hundreds of ticks at 10,000 nodes): a join was logged 2 ticks before the end of a run (seed
 * 3). See member_cfg_t's pull_period. */
#define PULL_PERIOD 20
#define PULL_WINDOW 80

/* One member as this node knows it: 16 bytes, four to a cache line, since a node holds one per
 * member of the group (10,000 nodes hold 10^8) and every merged gossip entry touches one at
 * random. The member is the address numbered by the entry's index in the book; what only some
 * members need, or only some operations touch, lives beside the table (removal times with the
 * recent removals, queueing times with the news, the marks of the message being built, the
 * last tell in a small cache). */
typedef struct {
    uint32_t incarnation;
    uint32_t heartbeat;
    uint32_t last_update;  /* tick at which the heartbeat last increased here */
    uint8_t news_left;     /* sends left while queued as news */
    unsigned state : 2;
    unsigned queued : 1;    /* a deadline check is queued for it (a hint against queueing twice) */
    unsigned dead_news : 1; /* removed on evidence worth spreading: a failed probe or a notice */
    unsigned in_news : 1;   /* in the news queue (perhaps with no sends left, until popped) */
    unsigned advanced : 1;  /* its heartbeat rose here since it was admitted: it ran after that */
    unsigned in_suspects : 1; /* in the list of suspects being pinged */
} entry_t;
_Static_assert(sizeof(entry_t) == 16, "a member entry is 16 bytes");

/* Tells (tell_if_removed) remembered by member, direct-mapped: at most one per member and tick,
 * except for two members that share a slot in the same tick (a harmless extra message). */
#define TOLD_SLOTS 16

typedef struct {
    uint32_t *v;
    uint32_t n, cap;
} u32vec_t;

typedef struct {
    uint32_t tick, idx;
} check_t;

struct member_node {
    member_env_t env;
    addr_t self;
    uint32_t incarnation;
    uint32_t heartbeat;
    bool started;
    bool in_group;

    addrbook_t *book; /* numbers the addresses: entry i is about addrbook_addr(book, i) */
    bool own_book;
    entry_t *entries; /* [0, nentries): every member ever known, tombstones included; blanks */
    uint32_t nentries, entries_cap;
    bool entries_mapped; /* the table is mapped (table_new), not from the heap */
    /* Two bitmaps of entries_cap bits, interleaved a word each (so that the two bits of an entry
     * share a cache line): word 2w holds bit i = 64w + j of `alive` (entry i is ST_ALIVE;
     * set_state keeps it), word 2w + 1 that of `marks` (entry i is in the message being built).
     * Target draws and the round robin pass over tombstones without loading their entries. */
    uint64_t *bits;
    uint32_t marked[WIRE_MAX_ENTRIES], nmarked; /* the entries whose bit is set */
    uint32_t nlive; /* alive and suspected entries */
    uint32_t cursor; /* round-robin position in entries[] for gossip content */
    u32vec_t recent;         /* entries removed on evidence, in removal order, for notices */
    u32vec_t recent_at;      /* the tick of each of those removals */
    uint32_t recent_head;    /* recent.v[0..head) are too old to send */
    uint32_t recent_cursor;  /* round-robin position in recent.v[head..n) */
    u32vec_t changes;        /* changes made to the list from news, oldest first: an entry,
                              * with CHANGE_REMOVAL set for a removal on evidence */
    u32vec_t changes_at;     /* the tick of each */
    uint32_t changes_head;   /* changes.v[0..head) are older than the pull window */
    uint64_t *changes_fp;    /* the fingerprint of each (change_fp), for pull digests */
    uint32_t changes_fp_cap;
    uint32_t pulled_at;      /* when this node last asked for recent changes */
    uint32_t *news; /* ring of entries queued as news, oldest first, forwarded first */
    uint32_t *news_at; /* the tick each was queued (same positions) */
    uint32_t news_cap, news_head, news_len; /* news_cap: 0 or a power of two */
    uint64_t news_pending; /* sends left over the whole queue */
    bool hearing_reply; /* merging a join reply: what it lists is no news to the others */
    bool sync_asked;    /* a whole list was asked for in this life: replies now are syncs */
    uint32_t told[TOLD_SLOTS], told_tick[TOLD_SLOTS]; /* entry + 1 told at tick + 1 */
    uint64_t version; /* counts changes to the list: admissions and removals */

    uint32_t probe[MEMBER_MAX_PROBES]; /* entries probed, nearest successor first */
    uint32_t probe_since[MEMBER_MAX_PROBES]; /* tick each became a probe target */
    uint64_t probe_dist[MEMBER_MAX_PROBES]; /* probe_distance of each */
    uint64_t self_order; /* probe_order of self */
    uint32_t nprobes;
    u32vec_t removed; /* entries removed at some point (some may have come back since) */
    u32vec_t suspects; /* entries suspected at some point (some may be alive or gone since) */

    check_t *checks; /* deadline checks of members at risk: a min-heap by (tick, entry) */
    uint32_t nchecks, checks_cap;
    uint32_t sweep, sweep_end; /* the sweep's next entry; the tick by which its round ends */
    uint32_t sweep_stop; /* the round covers entries [0, sweep_stop): the list when it began */

    addr_t *seeds;
    size_t nseeds, next_seed;
    uint32_t join_sent_at;
    uint32_t synced_at; /* when this node last asked for a whole list (its join counts) */

    member_stats_t stats;
    wire_builder_t out; /* the message being built, in buf */
    uint32_t numbers[WIRE_MAX_ENTRIES]; /* book numbers of a received message's entries */
    uint8_t buf[WIRE_MAX_MEMBER_MSG];
};

/* The members a gossip message takes round robin, own entry counted: 2..max_entries. */
static uint32_t hb_entries(const member_cfg_t *c)
{
    uint32_t h = c->hb_entries ? c->hb_entries : c->max_entries;
    return h < 2 ? 2 : h > c->max_entries ? c->max_entries : h;
}

/* A message carries hb_entries - 1 members round robin, so a member's heartbeat reaches a given
 * node about fanout * (hb_entries - 1) / n times per tick. Timeouts are set in units of `cover`,
 * the ticks a node needs to send its whole list once: suspicion after SUSPECT_COVERS covers,
 * then pings (member_suspect_window) rather than more waiting. Measured at 1,000 to 10,000
 * nodes in the README ("Membership", "Timing"). */
void member_default_cfg(member_cfg_t *cfg, uint32_t n)
{
    cfg->gossip_period = 1;
    cfg->fanout = 3;
    cfg->max_entries = 64;
    bool large = n >= LARGE_GROUP;
    cfg->hb_entries = large ? HB_ENTRIES_LARGE : HB_ENTRIES;
    cfg->join_retry = 10;
    cfg->probes = large ? PROBES_LARGE : PROBES;
    cfg->probe_period = large ? PROBE_PERIOD_LARGE : PROBE_PERIOD;
    cfg->recheck_period = 10;
    cfg->size_hint = n;
    member_cfg_for_network(cfg, 0.0, 1);
    uint64_t per_tick = (uint64_t)cfg->fanout * (hb_entries(cfg) - 1);
    uint64_t cover = ((uint64_t)n + per_tick - 1) / per_tick;
    if (cover == 0)
        cover = 1;
    uint64_t t = 10 + SUSPECT_COVERS * cover;
    cfg->t_fail = (uint32_t)(t < MAX_TIMEOUT ? t : MAX_TIMEOUT);
    cfg->t_remove = member_suspect_window(cfg);
    cfg->sync_period = cfg->t_fail + cfg->t_remove;
    cfg->pull_period = PULL_PERIOD;
    cfg->pull_window = PULL_WINDOW;
    cfg->join_sends = large ? JOIN_SENDS_LARGE : 0;
    cfg->notice_sends = large ? NOTICE_SENDS_LARGE : 0;
    cfg->recent_msgs = large ? RECENT_MSGS_LARGE : 0;
}

uint32_t member_suspect_window(const member_cfg_t *cfg)
{
    uint64_t t = (uint64_t)cfg->probe_timeout + (cfg->probe_period ? cfg->probe_period : 1);
    if (t > cfg->t_fail) /* pings that may all be lost (a drop-everything window): timeouts */
        t = cfg->t_fail;
    return (uint32_t)(t < MAX_TIMEOUT ? t : MAX_TIMEOUT);
}

/* A round trip fails with probability q = 1 - (1 - loss)^2 (0.19 at 10% loss); k pings all
 * failing has odds q^k. The timeout covers k pings plus the round trip of the last one. */
void member_cfg_for_network(member_cfg_t *cfg, double loss, uint32_t delay)
{
    double q = 1.0 - (1.0 - loss) * (1.0 - loss);
    uint32_t pings = 4;
    if (q >= 0.999)
        pings = 100000;
    else if (q > 0.0)
        for (double odds = 1.0; pings < 100000 && (odds = pow(q, pings)) > 1e-12;)
            pings++;
    uint64_t t = (uint64_t)pings * (cfg->probe_period ? cfg->probe_period : 1) + 2ull * delay;
    cfg->probe_timeout = (uint32_t)(t < MAX_TIMEOUT ? t : MAX_TIMEOUT);
}

/* ---- small containers ---- */

static int vec_push(u32vec_t *v, uint32_t x)
{
    if (v->n == v->cap) {
        uint32_t cap = v->cap ? v->cap * 2 : 8;
        uint32_t *p = realloc(v->v, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        v->v = p;
        v->cap = cap;
    }
    v->v[v->n++] = x;
    return 0;
}

static addr_t addr_of(const member_node_t *m, uint32_t idx)
{
    return addrbook_addr(m->book, idx);
}

/* idx (a book number, or ADDRBOOK_NONE) if it is listed (alive, suspected or a tombstone),
 * else UINT32_MAX. */
static uint32_t listed(const member_node_t *m, uint32_t idx)
{
    return idx < m->nentries && m->entries[idx].state != ST_UNKNOWN ? idx : UINT32_MAX;
}

/* Index of a's entry, or UINT32_MAX if a is not listed (never was, or blank). */
static uint32_t find_entry(const member_node_t *m, addr_t a)
{
    return listed(m, addrbook_find(m->book, a));
}

/* A table of n blank entries. A node's table is made for the whole expected group at once
 * (cfg->size_hint): every running node comes to list every member, and a table grown by
 * doubling on the way was copied a dozen times, its new pages faulted in each time (up to
 * 3.2 GB in a 10,000-node run). Tables of TABLE_MAP_BYTES or more are mapped, not taken
 * from the heap: their pages stay out of memory until an entry on them is used, so a node that
 * fails early costs what it listed (half the nodes fail early in the classic runs), and the
 * heap, which would zero them, is left alone. calloc when mapping fails (vm.max_map_count). */
#define TABLE_MAP_BYTES 8192

/* Words of the interleaved bitmaps (member_node's bits) for a table of cap entries. */
static size_t bits_words(uint32_t cap)
{
    return 2 * (((size_t)cap + 63) / 64);
}

static entry_t *table_new(uint32_t n, bool *mapped)
{
    size_t bytes = (size_t)n * sizeof(entry_t);
    *mapped = false;
    if (bytes >= TABLE_MAP_BYTES) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            *mapped = true;
            return p;
        }
    }
    return calloc(n, sizeof(entry_t));
}

static void table_free(entry_t *t, uint32_t n, bool mapped)
{
    if (mapped)
        munmap(t, (size_t)n * sizeof *t);
    else
        free(t);
}

/* Room for entry idx: the arrays grow (new entries blank) to cover it. Past the expected group
 * only (members added later). */
static int ensure_entry(member_node_t *m, uint32_t idx)
{
    if (idx < m->entries_cap)
        return 0;
    uint32_t cap = m->entries_cap;
    while (cap <= idx)
        cap *= 2;
    /* If one fails, entries_cap stays and both are retried (each only ever grows). */
    size_t old_words = bits_words(m->entries_cap), words = bits_words(cap);
    uint64_t *bits = realloc(m->bits, words * sizeof *bits);
    if (!bits)
        return -1;
    memset(bits + old_words, 0, (words - old_words) * sizeof *bits);
    m->bits = bits;
    bool mapped;
    entry_t *e = table_new(cap, &mapped);
    if (!e)
        return -1;
    memcpy(e, m->entries, (size_t)m->entries_cap * sizeof *e);
    table_free(m->entries, m->entries_cap, m->entries_mapped);
    m->entries = e;
    m->entries_mapped = mapped;
    m->entries_cap = cap;
    return 0;
}

/* A blank entry for a, not yet admitted; UINT32_MAX without memory. */
static uint32_t new_entry(member_node_t *m, addr_t a)
{
    uint32_t idx = addrbook_intern(m->book, a);
    if (idx == ADDRBOOK_NONE || ensure_entry(m, idx) != 0)
        return UINT32_MAX;
    memset(&m->entries[idx], 0, sizeof m->entries[idx]);
    if (idx >= m->nentries)
        m->nentries = idx + 1;
    return idx;
}

/* ---- lifecycle ---- */

static uint64_t probe_order(addr_t a);

member_node_t *member_new(addr_t self, const member_env_t *env)
{
    const member_cfg_t *c = env->cfg;
    if (c->t_fail == 0 || c->gossip_period == 0 || c->fanout == 0 || c->fanout > MAX_FANOUT || c->max_entries < 2 ||
        c->max_entries > WIRE_MAX_ENTRIES || c->join_retry == 0 ||
        c->t_fail > MAX_TIMEOUT || c->t_remove > MAX_TIMEOUT || c->probes > MEMBER_MAX_PROBES ||
        (c->probes > 0 && (c->probe_timeout == 0 || c->probe_period == 0)))
        return NULL;
    member_node_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->env = *env;
    m->self = self;
    m->self_order = probe_order(self);
    m->book = env->book;
    if (!m->book) {
        m->book = addrbook_new();
        m->own_book = true;
    }
    m->entries_cap = c->size_hint > 16 ? c->size_hint : 16; /* see table_new */
    m->entries = table_new(m->entries_cap, &m->entries_mapped);
    m->bits = calloc(bits_words(m->entries_cap), sizeof *m->bits);
    if (!m->book || !m->entries || !m->bits) {
        member_free(m);
        return NULL;
    }
    return m;
}

void member_free(member_node_t *m)
{
    if (!m)
        return;
    free(m->checks);
    free(m->removed.v);
    free(m->suspects.v);
    free(m->recent.v);
    free(m->recent_at.v);
    free(m->changes.v);
    free(m->changes_at.v);
    free(m->changes_fp);
    if (m->entries)
        table_free(m->entries, m->entries_cap, m->entries_mapped);
    free(m->bits);
    if (m->own_book)
        addrbook_free(m->book);
    free(m->seeds);
    free(m->news);
    free(m->news_at);
    free(m);
}

/* ---- the list ---- */

#define ALIVE_WORD(m, idx) ((m)->bits[(idx) / 64 * 2])
#define MARKS_WORD(m, idx) ((m)->bits[(idx) / 64 * 2 + 1])

static void set_state(member_node_t *m, uint32_t idx, unsigned state)
{
    m->entries[idx].state = state & 3u;
    if (state == ST_ALIVE)
        ALIVE_WORD(m, idx) |= 1ull << (idx % 64);
    else
        ALIVE_WORD(m, idx) &= ~(1ull << (idx % 64));
}

static bool bit_alive(const member_node_t *m, uint32_t idx)
{
    return (ALIVE_WORD(m, idx) >> (idx % 64)) & 1;
}

/* ---- timeouts ----
 * A member is suspected exactly when it has not been heard from for more than t_fail ticks
 * (at last_update + t_fail + 1) and removed t_remove ticks later. Nearly every member is heard
 * from every few ticks, so its deadline keeps moving: a check queued per member would mostly be
 * re-queued, and at 10,000 nodes the queue took more memory than the list. Instead a sweep looks
 * at every entry once per round of at most sweep_period ticks and queues a check only for a
 * member whose deadline falls within the next 2 * sweep_period ticks (it is at risk). Two looks
 * at an entry are less than 2 * sweep_period apart and 2 * sweep_period <= t_fail, so no deadline
 * passes unqueued after any update. A check judges its member afresh from its last update, so a
 * stale or repeated one is harmless; the queue holds only members at risk and suspects. */

static uint32_t sweep_period(const member_cfg_t *c)
{
    return c->t_fail / 4 ? c->t_fail / 4 : 1;
}

static bool check_before(check_t a, check_t b)
{
    return a.tick < b.tick || (a.tick == b.tick && a.idx < b.idx);
}

/* Queues a check of entry idx at `tick`. */
static void queue_check(member_node_t *m, uint32_t idx, uint32_t tick)
{
    if (m->nchecks == m->checks_cap) {
        uint32_t cap = m->checks_cap ? m->checks_cap * 2 : 16;
        check_t *p = realloc(m->checks, (size_t)cap * sizeof *p);
        if (!p)
            return; /* the entry is looked at again by the next round of the sweep */
        m->checks = p;
        m->checks_cap = cap;
    }
    check_t c = { tick, idx };
    uint32_t i = m->nchecks++;
    while (i > 0 && check_before(c, m->checks[(i - 1) / 2])) {
        m->checks[i] = m->checks[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    m->checks[i] = c;
    m->entries[idx].queued = 1;
}

static check_t pop_check(member_node_t *m)
{
    check_t top = m->checks[0], last = m->checks[--m->nchecks];
    uint32_t i = 0, n = m->nchecks;
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && check_before(m->checks[child + 1], m->checks[child]))
            child++;
        if (!check_before(m->checks[child], last))
            break;
        m->checks[i] = m->checks[child];
        i = child;
    }
    if (n > 0)
        m->checks[i] = last;
    return top;
}

/* Queues the suspicion check of a live, unsuspected entry if its deadline is near. */
static void watch(member_node_t *m, uint32_t idx, uint32_t now)
{
    const member_cfg_t *c = m->env.cfg;
    entry_t *ent = &m->entries[idx];
    uint32_t due = ent->last_update + c->t_fail + 1;
    if (ent->state == ST_ALIVE && !ent->queued && due <= now + 2 * sweep_period(c))
        queue_check(m, idx, due > now ? due : now + 1);
}

static bool is_live(const member_node_t *m, uint32_t idx)
{
    return m->entries[idx].state == ST_ALIVE || m->entries[idx].state == ST_SUSPECT;
}

/* ---- probe targets: the nearest successors of this node in a scrambled address order ---- */

static uint64_t probe_order(addr_t a)
{
    uint64_t z = addr_key(a) + 0x9e3779b97f4a7c15ULL; /* splitmix64's finalizer */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t probe_distance(const member_node_t *m, uint32_t idx)
{
    return probe_order(addr_of(m, idx)) - m->self_order;
}

/* Offers entry idx as a probe target; it is kept if it is among the nearest successors. */
static void probe_offer(member_node_t *m, uint32_t idx, uint32_t now)
{
    uint32_t want = m->env.cfg->probes;
    if (want == 0)
        return;
    uint64_t d = probe_distance(m, idx);
    uint32_t pos = m->nprobes;
    while (pos > 0 && m->probe_dist[pos - 1] > d)
        pos--;
    if (pos >= want)
        return;
    if (m->nprobes < want)
        m->nprobes++;
    for (uint32_t k = m->nprobes - 1; k > pos; k--) {
        m->probe[k] = m->probe[k - 1];
        m->probe_dist[k] = m->probe_dist[k - 1];
        m->probe_since[k] = m->probe_since[k - 1];
    }
    m->probe[pos] = idx;
    m->probe_dist[pos] = d;
    m->probe_since[pos] = now;
}

/* Entry idx left the list: if it was probed, the next nearest members take its place. */
static void probe_forget(member_node_t *m, uint32_t idx, uint32_t now)
{
    uint32_t k = 0;
    while (k < m->nprobes && m->probe[k] != idx)
        k++;
    if (k == m->nprobes)
        return;
    uint32_t keep[MEMBER_MAX_PROBES], since[MEMBER_MAX_PROBES], nkeep = 0;
    for (uint32_t j = 0; j < m->nprobes; j++)
        if (j != k) {
            keep[nkeep] = m->probe[j];
            since[nkeep++] = m->probe_since[j];
        }
    m->nprobes = 0;
    for (uint32_t cand = 0; cand < m->nentries; cand++) { /* rare: a probed member leaves */
        if (!is_live(m, cand))
            continue;
        bool kept = false;
        for (uint32_t q = 0; q < nkeep; q++)
            kept |= keep[q] == cand;
        if (!kept)
            probe_offer(m, cand, now);
    }
    for (uint32_t q = 0; q < nkeep; q++) { /* the ones kept were probed since earlier */
        probe_offer(m, keep[q], since[q]);
    }
}

/* Sends of one piece of news fit the entry's 8-bit count. */
static uint32_t sends_cap(uint32_t sends)
{
    return sends > 255 ? 255 : sends;
}

static uint32_t join_sends(const member_node_t *m)
{
    uint32_t set = m->env.cfg->join_sends;
    return set ? sends_cap(set) : NEWS_SENDS;
}

/* A failure notice goes into more messages than a join: a rumour pushed s times in all by each
 * node that hears it misses about e^-s of the nodes, and a node that misses a failure keeps a
 * dead node in its ring until something repairs it. log2(n) sends, at least 12 (e^-12 is about
 * 6e-6): after a block failure of half of 10,000 nodes that expects some 50 of the 25 million
 * node-notice pairs missed, which the pulls of recent changes repair within a pull window (the
 * notice is in every answer for PULL_WINDOW ticks), as they repair missed joins. Notices are
 * the largest share of the news after a block failure (at 10,000 nodes, with 1.5 * log2(n)
 * sends, 175 million of the 550 million entries sent). */
static uint32_t notice_sends(const member_node_t *m)
{
    uint32_t set = m->env.cfg->notice_sends;
    if (set)
        return sends_cap(set);
    uint32_t doublings = 0;
    for (uint32_t n = m->nlive + 1; n > 1; n >>= 1)
        doublings++;
    return doublings < 12 ? 12 : sends_cap(doublings);
}

/* Doubles the news ring, keeping its order. */
static int news_grow(member_node_t *m)
{
    uint32_t cap = m->news_cap ? m->news_cap * 2 : 64;
    uint32_t *q = malloc((size_t)cap * sizeof *q), *at = malloc((size_t)cap * sizeof *at);
    if (!q || !at) {
        free(q);
        free(at);
        return -1;
    }
    for (uint32_t k = 0; k < m->news_len; k++) {
        q[k] = m->news[(m->news_head + k) & (m->news_cap - 1)];
        at[k] = m->news_at[(m->news_head + k) & (m->news_cap - 1)];
    }
    free(m->news);
    free(m->news_at);
    m->news = q;
    m->news_at = at;
    m->news_cap = cap;
    m->news_head = 0;
    return 0;
}

/* Queues member idx as news to be sent `sends` times; already queued, it keeps its place and
 * gets at least that many sends left. */
static void news_add(member_node_t *m, uint32_t idx, uint32_t sends, uint32_t now)
{
    entry_t *ent = &m->entries[idx];
    if (m->hearing_reply)
        return;
    m->stats.news_items++;
    if (ent->in_news) {
        if (sends > ent->news_left) {
            m->news_pending += sends - ent->news_left;
            ent->news_left = (uint8_t)sends;
        }
        return;
    }
    if (m->news_len == m->news_cap && news_grow(m) != 0) {
        m->stats.news_lost++; /* out of memory: the only way news goes unsent */
        return;
    }
    uint32_t pos = (m->news_head + m->news_len++) & (m->news_cap - 1);
    m->news[pos] = idx;
    m->news_at[pos] = now;
    ent->in_news = true;
    ent->news_left = (uint8_t)sends;
    m->news_pending += sends;
    if (m->news_len > m->stats.news_queue_max)
        m->stats.news_queue_max = m->news_len;
}

/* Tells the observers that this node's view of member idx changed. */
static void observe(const member_node_t *m, uint32_t idx, const char *what, uint32_t now)
{
    if (!obs_wanted(m->env.bus))
        return; /* a join or removal line per pair: nothing more to do when nobody watches */
    obs_event_t ev = { .kind = OBS_MEMBER, .tick = now, .node = m->self, .peer = addr_of(m, idx),
                       .what = what, .arg = m->entries[idx].incarnation };
    obs_emit(m->env.bus, &ev);
}

/* Pull digests. An answer to a pull lists every change of the answerer's window, and the asker
 * knows most of them: it learned them in its own window (at 2,000 nodes a fifth of the entries
 * merged were such repeats). So a pull request carries a Bloom filter of the asker's own window
 * of changes, each a 64-bit fingerprint of (address, incarnation, join or removal), and the
 * answer leaves out the changes the filter holds. A change is left out only if the filter says
 * the asker logged it (it knows it, or something newer), or by a false positive, about 1 in 200
 * at DIGEST_BITS bits a change; the bits are salted by the request's heartbeat, so the next pull
 * of the same asker is not fooled by the same change. Windows of more than DIGEST_MAX_CHANGES
 * changes send no digest (the answer is whole), as do requests with no change to show. */
#define DIGEST_BITS 16
#define DIGEST_MIN_BYTES 8
#define DIGEST_MAX_CHANGES (WIRE_MAX_PULL_DIGEST * 8 / 8) /* at least 8 bits a change */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t change_fp(addr_t a, uint32_t incarnation, bool removal)
{
    uint64_t who = (uint64_t)a.id << 32 | (uint64_t)a.port << 1 | (removal ? 1u : 0u);
    return mix64(who ^ mix64(incarnation + 0x9e3779b97f4a7c15ull));
}

/* The three bits of fingerprint fp in a digest of nbits bits, salted. */
static void digest_bits(uint64_t fp, uint32_t salt, uint32_t nbits, uint32_t out[3])
{
    uint64_t h = mix64(fp ^ salt);
    uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(h >> 32) | 1;
    for (uint32_t i = 0; i < 3; i++)
        out[i] = (uint32_t)(((uint64_t)(h1 + i * h2) * nbits) >> 32);
}

static bool digest_holds(const uint8_t *d, uint16_t len, uint64_t fp, uint32_t salt)
{
    uint32_t b[3];
    digest_bits(fp, salt, (uint32_t)len * 8, b);
    for (int i = 0; i < 3; i++)
        if (!(d[b[i] / 8] >> (b[i] % 8) & 1))
            return false;
    return true;
}

/* Remembers a change to the list learned from news, or from the reply to a sync (what it
 * changes was missed by the pushes: recent, as a rule), for the answers to pulls; not from the
 * join reply, which lists the whole group, old to everyone else. Changes older than the window
 * are forgotten. */
#define CHANGE_REMOVAL 0x80000000u

/* The first change within the pull window at tick `now` (changes.n if none). */
static uint32_t first_recent_change(const member_node_t *m, uint32_t now)
{
    uint32_t k = m->changes_head;
    while (k < m->changes.n && now - m->changes_at.v[k] > m->env.cfg->pull_window)
        k++;
    return k;
}

static void log_change(member_node_t *m, uint32_t idx, bool removal, uint32_t now)
{
    const member_cfg_t *c = m->env.cfg;
    if ((m->hearing_reply && !m->sync_asked) || c->pull_period == 0)
        return;
    u32vec_t *v = &m->changes, *at = &m->changes_at;
    m->changes_head = first_recent_change(m, now);
    if (m->changes_head > 0 && m->changes_head * 2 >= v->n) { /* drop the old half */
        uint32_t keep = v->n - m->changes_head;
        memmove(v->v, v->v + m->changes_head, keep * sizeof *v->v);
        memmove(at->v, at->v + m->changes_head, keep * sizeof *at->v);
        memmove(m->changes_fp, m->changes_fp + m->changes_head, keep * sizeof *m->changes_fp);
        v->n = at->n = keep;
        m->changes_head = 0;
    }
    if (v->n == m->changes_fp_cap) {
        uint32_t cap = m->changes_fp_cap ? m->changes_fp_cap * 2 : 8;
        uint64_t *fp = realloc(m->changes_fp, (size_t)cap * sizeof *fp);
        if (!fp)
            return; /* without memory it is just not offered to pulls */
        m->changes_fp = fp;
        m->changes_fp_cap = cap;
    }
    if (vec_push(v, idx | (removal ? CHANGE_REMOVAL : 0)) != 0)
        return;
    if (vec_push(at, now) != 0) {
        v->n--;
        return;
    }
    m->changes_fp[v->n - 1] = change_fp(addr_of(m, idx), m->entries[idx].incarnation, removal);
}

/* Takes a member off the list and logs it; with spread, gossip carries the news that it failed. */
static void remove_member(member_node_t *m, uint32_t idx, bool spread, uint32_t now)
{
    entry_t *ent = &m->entries[idx];
    set_state(m, idx, ST_REMOVED);
    ent->dead_news = spread;
    m->nlive--;
    probe_forget(m, idx, now);
    (void)vec_push(&m->removed, idx); /* without memory it is just never rechecked */
    if (spread && vec_push(&m->recent, idx) == 0 && vec_push(&m->recent_at, now) != 0)
        m->recent.n--; /* without memory it is just not regossiped */
    if (spread) {
        news_add(m, idx, notice_sends(m), now);
        log_change(m, idx, true, now);
    }
    m->stats.removals++;
    m->version++;
    log_member(m->env.log, m->self, now, addr_of(m, idx), "removed");
    observe(m, idx, "removed", now);
}

/* A member this node has not listed before (or a new incarnation of a removed one). */
static void admit(member_node_t *m, uint32_t idx, const wire_entry_t *e, uint32_t now)
{
    entry_t *ent = &m->entries[idx];
    ent->incarnation = e->incarnation;
    ent->heartbeat = e->heartbeat;
    ent->last_update = now;
    set_state(m, idx, ST_ALIVE);
    ent->dead_news = false;
    ent->advanced = false;
    m->nlive++;
    ent->queued = 0; /* a check queued in an earlier life is for another deadline */
    watch(m, idx, now);
    news_add(m, idx, join_sends(m), now);
    log_change(m, idx, false, now);
    probe_offer(m, idx, now);
    m->stats.joins++;
    m->version++;
    log_member(m->env.log, m->self, now, e->addr, "joined");
    observe(m, idx, "joined", now);
}

/* How far a notice's heartbeat may lag this node's before the notice is judged stale. A
 * prober that declares a failure had acks every probe_period ticks until the member stopped,
 * so a true notice lags the member's last heartbeat by little more than a round trip. */
static uint32_t stale_margin(const member_node_t *m)
{
    const member_cfg_t *c = m->env.cfg;
    return c->probes ? c->probe_timeout + c->probe_period : c->t_fail;
}

/* News that incarnation e->incarnation of a member failed. About this node itself, it is a
 * mistake to refute: a higher incarnation makes the others list it again. A member never listed
 * is listed and removed at once, so that its join and removal are logged like everywhere else. */
static void doubt(member_node_t *m, uint32_t idx, uint32_t now);

static void merge_dead_notice(member_node_t *m, const wire_entry_t *e, uint32_t number,
                              uint32_t now)
{
    if (addr_eq(e->addr, m->self)) {
        if (e->incarnation >= m->incarnation)
            m->incarnation = e->incarnation + 1;
        return;
    }
    uint32_t idx = listed(m, number);
    if (idx == UINT32_MAX) {
        if ((idx = new_entry(m, e->addr)) == UINT32_MAX)
            return;
        wire_entry_t seen = { e->addr, e->incarnation, 0 };
        admit(m, idx, &seen, now);
    } else if (m->entries[idx].state == ST_REMOVED) {
        if (e->incarnation <= m->entries[idx].incarnation)
            return;
        wire_entry_t seen = { e->addr, e->incarnation, 0 };
        admit(m, idx, &seen, now);
    } else if (e->incarnation < m->entries[idx].incarnation) {
        return; /* about an earlier life of a restarted member */
    } else if (e->incarnation == m->entries[idx].incarnation &&
               m->entries[idx].heartbeat > (e->heartbeat & ~WIRE_HB_DEAD_FLAG) + stale_margin(m)) {
        /* This node has seen the member alive well after the announcer last did: the notice
         * is stale (an announcer cut off by a partition, say). Neither applied nor forwarded,
         * but the member is asked (doubt). */
        doubt(m, idx, now);
        return;
    }
    /* Forwarded, the notice carries the freshest heartbeat known here of the member. */
    uint32_t seen = e->heartbeat & ~WIRE_HB_DEAD_FLAG;
    if (seen != (WIRE_HB_DEAD & ~WIRE_HB_DEAD_FLAG) && seen > m->entries[idx].heartbeat)
        m->entries[idx].heartbeat = seen;
    remove_member(m, idx, true, now);
}

/* Merges what a message says of one member; number is e->addr's number in the book (or
 * ADDRBOOK_NONE), looked up by the caller. */
static void merge_numbered(member_node_t *m, const wire_entry_t *e, uint32_t number, uint32_t now)
{
    if (number == ADDRBOOK_NONE) /* perhaps numbered since: listed twice in one message */
        number = addrbook_find(m->book, e->addr);
    if (wire_hb_is_dead(e->heartbeat)) {
        merge_dead_notice(m, e, number, now);
        return;
    }
    if (addr_eq(e->addr, m->self))
        return;
    m->stats.merged++;
    uint32_t idx = listed(m, number);
    if (idx == UINT32_MAX) {
        if ((idx = new_entry(m, e->addr)) == UINT32_MAX)
            return;
        admit(m, idx, e, now);
        return;
    }
    entry_t *ent = &m->entries[idx];
    if (ent->state == ST_REMOVED) {
        /* A tombstone: only a later incarnation (a restarted node) is a new member. */
        if (e->incarnation > ent->incarnation)
            admit(m, idx, e, now);
        return;
    }
    if (e->incarnation > ent->incarnation ||
        (e->incarnation == ent->incarnation && e->heartbeat > ent->heartbeat)) {
        if (e->incarnation > ent->incarnation) {
            /* The member restarted (or refuted a failure notice) before anyone here removed
             * it: the list changes meaning, since its store may be empty now. Spread it like
             * a join so that the key-value layer everywhere learns of it soon. */
            m->version++;
            news_add(m, idx, join_sends(m), now);
            ent->incarnation = e->incarnation;
            log_change(m, idx, false, now); /* with the new incarnation: its fingerprint */
            observe(m, idx, "reincarnated", now);
        }
        ent->incarnation = e->incarnation;
        ent->heartbeat = e->heartbeat;
        ent->last_update = now;
        ent->advanced = true;
        if (ent->state == ST_SUSPECT) {
            /* Its pending check is the removal deadline; suspicion must restart from now. */
            m->stats.refuted++;
            set_state(m, idx, ST_ALIVE);
            observe(m, idx, "refuted", now);
            ent->queued = 0; /* its queued check is the removal deadline: the sweep takes over */
            watch(m, idx, now);
        }
    }
}

static void merge_entry(member_node_t *m, const wire_entry_t *e, uint32_t now)
{
    merge_numbered(m, e, addrbook_find(m->book, e->addr), now);
}

/* Judges entry idx at tick `now`: suspect, remove, or (still heard from) watch again. */
static void judge(member_node_t *m, uint32_t idx, uint32_t now)
{
    const member_cfg_t *c = m->env.cfg;
    entry_t *ent = &m->entries[idx];
    ent->queued = 0;
    if (ent->state != ST_ALIVE && ent->state != ST_SUSPECT)
        return;
    uint32_t age = now - ent->last_update;
    if (age > c->t_fail + c->t_remove) {
        remove_member(m, idx, false, now);
    } else if (age > c->t_fail) {
        set_state(m, idx, ST_SUSPECT);
        m->stats.suspected++;
        if (!ent->in_suspects && vec_push(&m->suspects, idx) == 0)
            ent->in_suspects = 1; /* without memory it is just not pinged */
        observe(m, idx, "suspected", now);
        queue_check(m, idx, ent->last_update + c->t_fail + c->t_remove + 1);
    } else {
        watch(m, idx, now);
    }
}

/* A notice judged stale still casts doubt on the member: the newer heartbeat that makes it
 * look stale may be second-hand and old. A member's new prober (one that took it over from a
 * prober that left) announces the heartbeat it had from gossip, while gossip still carries newer
 * ones the member sent before it failed; a node holding one of those ignored every notice, kept
 * the member alive, and passed its old heartbeats on, refreshing others that had ignored the
 * notices too, until the timeouts (2,000 nodes, seed 2, 8 heartbeat members per message: 63
 * survivor-member pairs never logged). So the member is suspected at once, as if t_fail had
 * passed without news: pinged, and removed t_remove later unless it answers (a live one does,
 * and the suspicion ends). Its probers, and nodes without probes, judge as before. */
static void doubt(member_node_t *m, uint32_t idx, uint32_t now)
{
    const member_cfg_t *c = m->env.cfg;
    entry_t *ent = &m->entries[idx];
    if (ent->state != ST_ALIVE || c->probes == 0)
        return;
    for (uint32_t k = 0; k < m->nprobes; k++)
        if (m->probe[k] == idx)
            return;
    if (now - ent->last_update <= c->t_fail)
        ent->last_update = now - c->t_fail - 1; /* modular, as every age here */
    judge(m, idx, now);
}

/* Checks due at tick `now`, then this tick's share of the sweep. */
static void check_timeouts(member_node_t *m, uint32_t now)
{
    while (m->nchecks > 0 && m->checks[0].tick <= now)
        judge(m, pop_check(m).idx, now);
    /* A round covers the entries there were when it began: entries added during it were watched
     * when admitted, and a list that grows every tick would otherwise keep a round from ever
     * ending (the introducer's, while nodes boot: its old entries went unlooked at). */
    if (m->sweep >= m->sweep_stop) {
        m->sweep = 0;
        m->sweep_stop = m->nentries;
        m->sweep_end = now + sweep_period(m->env.cfg) - 1;
    }
    uint32_t ticks_left = m->sweep_end >= now ? m->sweep_end - now + 1 : 1;
    uint32_t quota = (m->sweep_stop - m->sweep + ticks_left - 1) / ticks_left;
    for (uint32_t end = m->sweep + quota; m->sweep < end; m->sweep++)
        watch(m, m->sweep, now);
}

/* ---- messages ---- */

/* Starts a message in m->buf with this node's own entry first. */
static void start_msg(member_node_t *m, msg_type_t type)
{
    wire_build_member(&m->out, m->buf, type, m->self);
    wire_build_entry(&m->out, m->self, m->incarnation, m->heartbeat);
}

static bool is_marked(const member_node_t *m, uint32_t idx)
{
    return (MARKS_WORD(m, idx) >> (idx % 64)) & 1;
}

/* Unmarks the entries of the previous message: a new one is being built. */
static void clear_marks(member_node_t *m)
{
    for (uint32_t k = 0; k < m->nmarked; k++)
        MARKS_WORD(m, m->marked[k]) = 0;
    m->nmarked = 0;
}

/* Lists member idx in the message being built and marks it, so that it is listed once.
 * Removed members go out as failure notices. */
static void add_to_msg(member_node_t *m, uint32_t idx)
{
    entry_t *ent = &m->entries[idx];
    MARKS_WORD(m, idx) |= 1ull << (idx % 64);
    m->marked[m->nmarked++] = idx;
    uint32_t hb = ent->state == ST_REMOVED ? WIRE_HB_DEAD_FLAG | (ent->heartbeat & ~WIRE_HB_DEAD_FLAG)
                                           : ent->heartbeat;
    wire_build_entry(&m->out, addr_of(m, idx), ent->incarnation, hb);
}

/* News worth sending: a member admitted, or one removed on evidence of failure. */
static bool newsworthy(const member_node_t *m, uint32_t idx)
{
    const entry_t *ent = &m->entries[idx];
    return ent->state != ST_REMOVED || ent->dead_news;
}

/* Entries of a message that go to news: NEWS_PER_MSG, or more while the queue holds more sends
 * than that clears in NEWS_HORIZON ticks, up to half the message. */
static uint32_t news_room(const member_node_t *m)
{
    const member_cfg_t *c = m->env.cfg;
    uint64_t per_tick = (uint64_t)c->fanout * NEWS_HORIZON;
    uint64_t want = (m->news_pending + per_tick - 1) / per_tick;
    uint32_t most = (c->max_entries - 1) / 2 > NEWS_PER_MSG ? (c->max_entries - 1) / 2 : NEWS_PER_MSG;
    return want < NEWS_PER_MSG ? NEWS_PER_MSG : want > most ? most : (uint32_t)want;
}

/* News that no longer holds (a member removed silently after its join, say) is not sent: its
 * remaining sends are dropped and counted. */
static void news_forget(member_node_t *m, entry_t *ent)
{
    if (ent->news_left) {
        m->stats.news_stale++;
        m->news_pending -= ent->news_left;
        ent->news_left = 0;
    }
}

/* Queued news, oldest first, as many as news_room allows and `room` holds. */
static void add_news(member_node_t *m, uint32_t room, uint32_t now)
{
    uint32_t want = news_room(m), taken = 0, mask = m->news_cap - 1;
    if (want > room)
        want = room;
    for (uint32_t k = 0; k < m->news_len && taken < want; k++) {
        uint32_t pos = (m->news_head + k) & mask, idx = m->news[pos];
        entry_t *ent = &m->entries[idx];
        if (ent->news_left == 0 || is_marked(m, idx))
            continue;
        if (!newsworthy(m, idx)) {
            news_forget(m, ent);
            continue;
        }
        add_to_msg(m, idx);
        ent->news_left--;
        m->news_pending--;
        m->stats.news_sent++;
        taken++;
        if (ent->news_left == 0 && now - m->news_at[pos] > m->stats.news_wait_max)
            m->stats.news_wait_max = now - m->news_at[pos];
    }
    while (m->news_len > 0) {
        entry_t *ent = &m->entries[m->news[m->news_head]];
        if (ent->news_left > 0 && newsworthy(m, m->news[m->news_head]))
            break;
        news_forget(m, ent);
        ent->in_news = false;
        m->news_head = (m->news_head + 1) & mask;
        m->news_len--;
    }
}

/* Up to TOMBS_PER_MSG members removed on evidence (a probe or a notice, not a timeout) within
 * the last t_fail + t_remove ticks, round robin, as failure notices. Probes remove a failed
 * member long before the timeouts would, so without this a node that joins later and lost the
 * join-reply message naming it would never log it. From LARGE_GROUP nodes only the first
 * message of a round carries them (cfg->recent_msgs): the window is thousands of ticks there,
 * so every message carried 2 notices, each a cold entry of the sender's table and of the
 * receiver's, for a repair the sync and the pulls make too (2,000 nodes, seed 1: 17% fewer
 * last-level cache misses, `valgrind --tool=callgrind --cache-sim=yes`). */
#define TOMBS_PER_MSG 2u

/* Position c of the round robin over the recent removals, back to the window's head if it ran
 * past either end. */
static uint32_t recent_at_or_head(const member_node_t *m, uint32_t c)
{
    return c < m->recent_head || c >= m->recent.n ? m->recent_head : c;
}

static void add_recent_removals(member_node_t *m, uint32_t now)
{
    const member_cfg_t *c = m->env.cfg;
    uint32_t window = c->t_fail + c->t_remove, taken = 0;
    u32vec_t *r = &m->recent;
    /* Removals are appended in time order: the ones past the window are a prefix. */
    while (r->n > m->recent_head && now - m->recent_at.v[m->recent_head] > window)
        m->recent_head++;
    if (m->recent_head == r->n) {
        r->n = m->recent_at.n = m->recent_head = 0; /* nothing recent: reuse the vectors */
        return;
    }
    uint32_t live = r->n - m->recent_head;
    for (uint32_t seen = 0; seen < live && taken < TOMBS_PER_MSG; seen++) {
        m->recent_cursor = recent_at_or_head(m, m->recent_cursor);
        uint32_t idx = r->v[m->recent_cursor++];
        const entry_t *ent = &m->entries[idx];
        if (ent->state == ST_REMOVED && ent->dead_news && !is_marked(m, idx)) {
            add_to_msg(m, idx);
            taken++;
        }
    }
}

/* The first entry in [idx, end) that is alive and not in the message being built; end if none.
 * Whole words of the two bitmaps at a time: tombstones are not loaded. */
static uint32_t next_unmarked_alive(const member_node_t *m, uint32_t idx, uint32_t end)
{
    while (idx < end) {
        uint64_t bits = (ALIVE_WORD(m, idx) & ~MARKS_WORD(m, idx)) >> (idx % 64);
        if (bits) {
            idx += (uint32_t)__builtin_ctzll(bits);
            return idx < end ? idx : end;
        }
        idx = (idx / 64 + 1) * 64;
    }
    return end;
}

/* Own entry, news, recent removals, then hb_entries - 1 members taken round robin from the list
 * (fewer if max_entries leaves less room), skipping suspected ones: a suspected entry carries
 * no fresh heartbeat, so it would only waste room. News does not take the round robin's room:
 * while many nodes join, the heartbeats that keep members from being suspected still flow. The
 * round robin looks at each entry at most once a message: from the cursor to the end of the
 * list, then from its start to the cursor. */
static void fill_sample(member_node_t *m, msg_type_t type, bool recent, uint32_t now)
{
    wire_builder_t *msg = &m->out;
    uint32_t max = m->env.cfg->max_entries;
    start_msg(m, type);
    clear_marks(m);
    add_news(m, max - 1, now);
    if (recent && msg->count + TOMBS_PER_MSG < max)
        add_recent_removals(m, now);
    uint32_t fill = msg->count + hb_entries(m->env.cfg) - 1;
    if (fill > max)
        fill = max;
    if (msg->count >= fill)
        return;
    uint32_t n = m->nentries, from = m->cursor < n ? m->cursor : 0;
    for (int lap = 0; lap < 2; lap++) {
        uint32_t idx = lap == 0 ? from : 0, end = lap == 0 ? n : from;
        while ((idx = next_unmarked_alive(m, idx, end)) < end) {
            add_to_msg(m, idx);
            m->cursor = ++idx;
            if (msg->count >= fill)
                return;
        }
    }
    m->cursor = from > 0 ? from : n; /* a whole lap: where it started */
}

/* Sends the message built in m->buf. */
static void send_msg(member_node_t *m, addr_t to, uint32_t now)
{
    size_t len = wire_build_end(&m->out);
    transport_send(m->env.net, m->self, to, m->buf, len, now);
}

/* A message whose one entry is this node's own: a join request, a ping or an ack. */
static void send_own(member_node_t *m, msg_type_t type, addr_t to, uint32_t now)
{
    start_msg(m, type);
    send_msg(m, to, now);
}

static void send_join_request(member_node_t *m, uint32_t now)
{
    send_own(m, MSG_JOINREQ, m->seeds[m->next_seed], now);
    m->next_seed = (m->next_seed + 1) % m->nseeds;
    m->join_sent_at = now;
}

/* Gossips to one removed member chosen at random, if any is still removed. A dead one never
 * answers; a live one is told by tell_if_removed on its side, or tells this node. */
static void recheck_removed(member_node_t *m, uint32_t now)
{
    for (int tries = 0; tries < 4 && m->removed.n > 0; tries++) {
        uint32_t k = rng_below(m->env.rng, m->removed.n);
        uint32_t idx = m->removed.v[k];
        if (m->entries[idx].state != ST_REMOVED) { /* came back: forget it */
            m->removed.v[k] = m->removed.v[--m->removed.n];
            continue;
        }
        /* Only this node's own entry: queued news may be stale (this node may have been the one
         * cut off), and the member only needs to hear from it. */
        send_own(m, MSG_GOSSIP, addr_of(m, idx), now);
        return;
    }
}

/* Pings each probe target; one whose heartbeat has not advanced for probe_timeout ticks of
 * probing has failed: it is removed and the news spreads. */
static void probe(member_node_t *m, uint32_t now)
{
    uint32_t timeout = m->env.cfg->probe_timeout;
    for (uint32_t k = 0; k < m->nprobes;) {
        uint32_t idx = m->probe[k];
        const entry_t *ent = &m->entries[idx];
        if (now - m->probe_since[k] >= timeout && now - ent->last_update > timeout) {
            remove_member(m, idx, true, now); /* refills the targets: look at k again */
            continue;
        }
        if ((now - m->probe_since[k]) % m->env.cfg->probe_period == 0)
            send_own(m, MSG_PING, addr_of(m, idx), now);
        k++;
    }
}

/* Pings every suspected member every probe_period ticks (when probes are on): one that runs
 * answers, and its ack refutes the suspicion before t_remove ends (member_suspect_window leaves
 * room for as many pings as a probe). So a member whose heartbeats are slow to arrive here
 * (the round robin is light: HB_ENTRIES) is asked directly rather than removed. Entries no
 * longer suspected leave the list. */
static void ping_suspects(member_node_t *m, uint32_t now)
{
    /* no probes: timeouts alone judge, as documented for probes = 0; with probes, member_new
     * made sure probe_period is not 0 */
    if (m->env.cfg->probes == 0 || m->suspects.n == 0 || now % m->env.cfg->probe_period != 0)
        return;
    uint32_t kept = 0;
    for (uint32_t k = 0; k < m->suspects.n; k++) {
        uint32_t idx = m->suspects.v[k];
        if (m->entries[idx].state != ST_SUSPECT) {
            m->entries[idx].in_suspects = 0;
            continue;
        }
        m->suspects.v[kept++] = idx;
        send_own(m, MSG_PING, addr_of(m, idx), now);
    }
    m->suspects.n = kept;
}

/* A member counts as seen running if its heartbeat rose here within this many ticks. */
static uint32_t fresh_ticks(const member_cfg_t *c)
{
    return c->t_fail / 4 > 2 ? c->t_fail / 4 : 2;
}

/* Whether member idx may join the targets out[0..got): not suspected, not already chosen, and
 * (when fresh_only) seen running within `fresh` ticks: its heartbeat rose here that recently.
 * Being admitted is not enough: a node that failed right after it joined (one that failed
 * before it booted does just that) is admitted everywhere with a heartbeat that never rises. */
static bool try_target(member_node_t *m, uint32_t idx, uint32_t *out, uint32_t got, bool fresh_only,
                       uint32_t fresh, uint32_t now)
{
    if (!bit_alive(m, idx))
        return false;
    const entry_t *ent = &m->entries[idx];
    if (fresh_only && (!ent->advanced || now - ent->last_update > fresh))
        return false;
    for (uint32_t j = 0; j < got; j++)
        if (out[j] == idx)
            return false;
    return true;
}

/* Up to `fanout` distinct random members that are not suspected, preferring those seen running
 * within t_fail / 4 ticks: after a mass failure most of the list is dead but not yet suspected,
 * and gossip sent there would be lost while the survivors starve of fresh heartbeats and news.
 * Draws are over the whole table (tombstones and blanks are drawn and rejected on their bit in
 * the alive bitmap, without loading their entries: an array of live members would cost 4 bytes
 * per member); when few entries are live and the draws come up short, a walk from a random entry
 * takes the next ones that qualify. */
static uint32_t pick_targets(member_node_t *m, uint32_t *out, uint32_t now)
{
    uint32_t want = m->env.cfg->fanout, got = 0, n = m->nentries;
    uint32_t fresh = fresh_ticks(m->env.cfg);
    if (m->nlive == 0)
        return 0;
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t tries = 0; got < want && tries < 8 * want; tries++) {
            uint32_t idx = rng_below(m->env.rng, n);
            if (try_target(m, idx, out, got, pass == 0, fresh, now))
                out[got++] = idx;
        }
    if (got < want && got < m->nlive) {
        uint32_t start = rng_below(m->env.rng, n);
        for (uint32_t k = 0; k < n && got < want; k++) {
            uint32_t idx = (start + k) % n;
            if (try_target(m, idx, out, got, false, fresh, now))
                out[got++] = idx;
        }
    }
    return got;
}

/* Each target gets its own sample, so one round spreads fanout times more of the table. */
static void gossip(member_node_t *m, uint32_t now)
{
    uint32_t targets[MAX_FANOUT];
    uint32_t n = pick_targets(m, targets, now), with = m->env.cfg->recent_msgs;
    for (uint32_t i = 0; i < n; i++) {
        fill_sample(m, MSG_GOSSIP, with == 0 || i < with, now);
        send_msg(m, addr_of(m, targets[i]), now);
    }
}

/* Admits the joiner and sends it the whole list in messages of at most max_entries: alive and
 * suspected members, and removed ones as failure notices. A newcomer learns even of members
 * that died before it came, so it logs their join and their removal like everyone else. */
static void answer_join(member_node_t *m, addr_t joiner, const wire_entry_t *e, uint32_t now)
{
    merge_entry(m, e, now);
    wire_builder_t *msg = &m->out;
    uint32_t max = m->env.cfg->max_entries, skip = find_entry(m, joiner);
    uint32_t i = 0;
    do {
        start_msg(m, MSG_JOINREP);
        clear_marks(m);
        for (; i < m->nentries && msg->count < max; i++)
            if (i != skip && m->entries[i].state != ST_UNKNOWN)
                add_to_msg(m, i);
        /* The joiner itself or blanks may be all that is left: no further message for them. */
        while (i < m->nentries && (i == skip || m->entries[i].state == ST_UNKNOWN))
            i++;
        send_msg(m, joiner, now);
    } while (i < m->nentries);
}

/* Sends the puller the changes this node made to its list within the pull window, each as the
 * member's entry now (a heartbeat, or a failure notice), in gossip messages: what the puller
 * learns from them is news it spreads and a change it logs, as if a push had brought it (unlike a
 * join reply's old members; else a change would soon be known mostly from answers, and neither
 * pushed nor offered to pulls any more). A change is skipped when a later one supersedes it (a
 * member admitted, then removed); with no change in the window nothing is sent. */
static void answer_pull(member_node_t *m, addr_t puller, const wire_view_t *req, uint32_t salt,
                        uint32_t now)
{
    const member_cfg_t *c = m->env.cfg;
    const u32vec_t *v = &m->changes;
    uint32_t max = c->max_entries, k = first_recent_change(m, now), skip = find_entry(m, puller);
    while (k < v->n) {
        start_msg(m, MSG_GOSSIP);
        clear_marks(m);
        for (; k < v->n && m->out.count < max; k++) {
            if (req->digest && digest_holds(req->digest, req->digest_len, m->changes_fp[k], salt)) {
                m->stats.pull_known++;
                continue;
            }
            uint32_t idx = v->v[k] & ~CHANGE_REMOVAL;
            const entry_t *ent = &m->entries[idx];
            bool current = (v->v[k] & CHANGE_REMOVAL) ? ent->state == ST_REMOVED && ent->dead_news
                                                       : ent->state == ST_ALIVE;
            if (current && idx != skip && !is_marked(m, idx))
                add_to_msg(m, idx);
        }
        if (m->out.count > 1) {
            m->stats.pulled += m->out.count - 1u;
            send_msg(m, puller, now);
        }
    }
}

/* Numbers the message's entries into m->numbers and starts loading the entries they will touch:
 * a node's list is rarely in cache when its inbox is processed (the book, shared, usually is). */
static void number_entries(member_node_t *m, const wire_view_t *v)
{
    for (uint16_t i = 0; i < v->count; i++) {
        uint32_t idx = addrbook_find(m->book, wire_view_addr(v, i));
        m->numbers[i] = idx;
        if (idx < m->nentries)
            __builtin_prefetch(&m->entries[idx]);
    }
}

/* A member this node removed is still sending, so the removal was a mistake (or the member
 * has not heard of it yet): tell it, at most once per tick, so that it raises its incarnation and
 * is listed again. Without this a wrongly removed node would never find out. */
static void tell_if_removed(member_node_t *m, wire_entry_t sender, uint32_t now)
{
    uint32_t idx = find_entry(m, sender.addr);
    if (idx == UINT32_MAX)
        return;
    entry_t *ent = &m->entries[idx];
    uint32_t slot = idx % TOLD_SLOTS;
    if (ent->state != ST_REMOVED || sender.incarnation > ent->incarnation ||
        (m->told[slot] == idx + 1 && m->told_tick[slot] == now + 1))
        return;
    m->told[slot] = idx + 1;
    m->told_tick[slot] = now + 1;
    start_msg(m, MSG_GOSSIP);
    wire_build_entry(&m->out, sender.addr, ent->incarnation,
                     WIRE_HB_DEAD_FLAG | (ent->heartbeat & ~WIRE_HB_DEAD_FLAG));
    send_msg(m, sender.addr, now);
}

int member_receive(member_node_t *m, const uint8_t *data, size_t len, uint32_t now)
{
    wire_view_t v;
    int st = wire_view_member(data, len, &v);
    if (st != WIRE_OK) {
        m->stats.malformed++;
        return st;
    }
    if (!m->started)
        return WIRE_OK;
    /* Every message but a join request starts with its sender's own entry. */
    wire_entry_t sender = v.count > 0 ? wire_view_entry(&v, 0) : (wire_entry_t){ 0 };
    bool from_member = v.type != MSG_JOINREQ && v.count > 0 && addr_eq(sender.addr, v.from) &&
                       !wire_hb_is_dead(sender.heartbeat);
    switch (v.type) {
    case MSG_JOINREQ:
        if (m->in_group) /* it cannot vouch for a group it is not in yet */
            answer_join(m, v.from, &sender, now);
        break;
    case MSG_JOINREP:
    case MSG_GOSSIP:
        /* Anyone who gossips to this node already lists it: it is in the group. */
        m->in_group = true;
        number_entries(m, &v);
        m->hearing_reply = v.type == MSG_JOINREP;
        for (uint16_t i = 0; i < v.count; i++) {
            wire_entry_t e = wire_view_entry(&v, i);
            merge_numbered(m, &e, m->numbers[i], now);
        }
        m->hearing_reply = false;
        break;
    case MSG_PING: {
        /* The ping is a direct heartbeat; the ack carries this node's own. */
        if (m->in_group)
            merge_entry(m, &sender, now);
        send_own(m, MSG_ACK, v.from, now);
        break;
    }
    case MSG_ACK:
        if (m->in_group)
            merge_entry(m, &sender, now);
        break;
    case MSG_PULLREQ:
        if (m->in_group) {
            merge_entry(m, &sender, now); /* a direct heartbeat, as a ping is */
            answer_pull(m, v.from, &v, sender.heartbeat, now);
        }
        break;
    default:
        break;
    }
    if (from_member && m->in_group)
        tell_if_removed(m, sender, now);
    if (from_member && v.type != MSG_JOINREP && m->in_group && m->env.cfg->sync_period &&
        now - m->synced_at >= m->env.cfg->sync_period) {
        /* The sender is running (gossip, a ping or an ack came from it): ask it for its whole
         * list, answered like a join. */
        m->synced_at = now;
        m->pulled_at = now; /* the whole list holds the recent changes */
        m->stats.syncs++;
        m->sync_asked = true;
        send_own(m, MSG_JOINREQ, v.from, now);
    }
    return WIRE_OK;
}

void member_start(member_node_t *m, const addr_t *seeds, size_t nseeds, uint32_t incarnation,
                  uint32_t now)
{
    m->started = true;
    m->sync_asked = false;
    m->synced_at = now;
    m->pulled_at = now;
    m->incarnation = incarnation;
    m->heartbeat = 0;
    if (nseeds == 0 || addr_eq(seeds[0], m->self)) {
        m->in_group = true;
        return;
    }
    free(m->seeds);
    m->seeds = malloc(nseeds * sizeof *m->seeds);
    if (!m->seeds) {
        m->nseeds = 0;
        return;
    }
    memcpy(m->seeds, seeds, nseeds * sizeof *seeds);
    m->nseeds = nseeds;
    m->next_seed = 0;
    /* A joiner's first pull comes t_fail / 4 ticks after it starts, not sync_period: the join
     * reply lists a member that failed around then as alive, and the notices that spread while
     * the group did not know the joiner yet mostly missed it. By then the sender knows. */
    uint32_t sp = m->env.cfg->sync_period, early = m->env.cfg->t_fail / 4;
    if (m->env.cfg->pull_period && early > m->env.cfg->pull_window)
        early = m->env.cfg->pull_window; /* the pulls of recent changes cover what follows */
    if (sp > early)
        m->synced_at = now - (sp - early); /* modular: now - synced_at is sp - early */
    send_join_request(m, now);
}

/* A pull request: this node's own entry, then a digest of its own window of changes (see "Pull
 * digests"), salted by the heartbeat the entry carries. */
static void send_pull_request(member_node_t *m, addr_t to, uint32_t now)
{
    const u32vec_t *v = &m->changes;
    uint32_t k = first_recent_change(m, now), n = v->n - k;
    start_msg(m, MSG_PULLREQ);
    if (n == 0 || n > DIGEST_MAX_CHANGES) {
        send_msg(m, to, now);
        return;
    }
    uint32_t bytes = (n * DIGEST_BITS + 7) / 8;
    if (bytes < DIGEST_MIN_BYTES)
        bytes = DIGEST_MIN_BYTES;
    if (bytes > WIRE_MAX_PULL_DIGEST)
        bytes = WIRE_MAX_PULL_DIGEST;
    uint8_t *d;
    size_t len = wire_build_end_digest(&m->out, (uint16_t)bytes, &d);
    for (; k < v->n; k++) {
        uint32_t b[3];
        digest_bits(m->changes_fp[k], m->heartbeat, bytes * 8, b);
        for (int i = 0; i < 3; i++)
            d[b[i] / 8] |= (uint8_t)(1u << (b[i] % 8));
    }
    transport_send(m->env.net, m->self, to, m->buf, len, now);
}

/* Every pull_period ticks, asks a member drawn at random from the list for its recent changes:
 * alive, seen running lately (its heartbeat rose here within t_fail / 4 ticks, as gossip
 * targets are preferred), and running for the whole window (an incarnation is its start tick: a
 * member that joined within the window learned the window's changes from its join reply and
 * logged none of them; while 2,000 nodes boot, two pulls in three went to such members). Not a
 * member just heard from: those are the same few ring neighbours (pings and acks) and the
 * members this node gossips with, which share its misses (2,000 nodes, seed 3, 4 join sends: the
 * first nodes asked each other and all missed one failure; joiners' replies listed it alive for
 * 600 ticks).
 * With no such member among a few draws, it tries again next tick. */
static void pull_recent(member_node_t *m, uint32_t now)
{
    const member_cfg_t *c = m->env.cfg;
    if (c->pull_period == 0 || now - m->pulled_at < c->pull_period || m->nentries == 0)
        return;
    for (int tries = 0; tries < 16; tries++) {
        uint32_t idx = rng_below(m->env.rng, m->nentries);
        if (!try_target(m, idx, NULL, 0, true, fresh_ticks(c), now) ||
            (uint64_t)m->entries[idx].incarnation + c->pull_window > now)
            continue;
        m->pulled_at = now;
        m->stats.pulls++;
        send_pull_request(m, addr_of(m, idx), now);
        return;
    }
}

/* Starts loading the entries this tick will look at beyond its inbox's, so that their misses
 * overlap instead of coming one at a time: the gossip targets the run's generator is about to
 * draw (from a copy of it: nothing is consumed), the probe targets, the next news and recent
 * notices, the round robin's next line. The table is cold when a node's turn comes (from 1,000
 * nodes the tables do not fit in the caches), and these loads are most of a tick's misses. */
static void warm(const member_node_t *m)
{
    uint32_t n = m->nentries;
    if (!m->in_group || n == 0)
        return;
    rng_t ahead = *m->env.rng;
    for (uint32_t k = 0; k < 2 * m->env.cfg->fanout && k < 2 * MAX_FANOUT; k++) {
        uint32_t idx = rng_below(&ahead, n);
        if (bit_alive(m, idx))
            __builtin_prefetch(&m->entries[idx]);
    }
    for (uint32_t k = 0; k < m->nprobes; k++)
        __builtin_prefetch(&m->entries[m->probe[k]]);
    for (uint32_t k = 0; k < m->news_len && k < NEWS_PER_MSG; k++)
        __builtin_prefetch(&m->entries[m->news[(m->news_head + k) & (m->news_cap - 1)]]);
    if (m->recent_head < m->recent.n) {
        uint32_t c = m->recent_cursor;
        __builtin_prefetch(&m->recent_at.v[m->recent_head]);
        for (uint32_t k = 0; k < TOMBS_PER_MSG; k++, c++) {
            c = recent_at_or_head(m, c);
            __builtin_prefetch(&m->entries[m->recent.v[c]]);
        }
    }
    __builtin_prefetch(&m->entries[m->cursor < n ? m->cursor : 0]);
}

void member_tick(member_node_t *m, uint32_t now)
{
    if (!m->started)
        return;
    warm(m);
    m->heartbeat++;
    check_timeouts(m, now);
    if (!m->in_group) {
        if (m->nseeds && now - m->join_sent_at >= m->env.cfg->join_retry)
            send_join_request(m, now);
        return;
    }
    if (now % m->env.cfg->gossip_period == 0)
        gossip(m, now);
    pull_recent(m, now);
    probe(m, now);
    ping_suspects(m, now);
    if (m->env.cfg->recheck_period && now % m->env.cfg->recheck_period == 0)
        recheck_removed(m, now);
}

size_t member_leave(member_node_t *m, size_t max, uint32_t now)
{
    if (!m->started || !m->in_group)
        return 0;
    size_t sent = 0;
    uint32_t hb = WIRE_HB_DEAD_FLAG | (m->heartbeat & ~WIRE_HB_DEAD_FLAG);
    for (uint32_t idx = 0; idx < m->nentries && sent < max; idx++) {
        if (!is_live(m, idx) || addr_eq(addr_of(m, idx), m->self))
            continue;
        wire_build_member(&m->out, m->buf, MSG_GOSSIP, m->self);
        wire_build_entry(&m->out, m->self, m->incarnation, hb);
        send_msg(m, addr_of(m, idx), now);
        sent++;
    }
    m->in_group = false;
    return sent;
}

void member_resume(member_node_t *m, uint32_t ticks, uint32_t now)
{
    if (!m->started || ticks == 0)
        return;
    const member_cfg_t *c = m->env.cfg;
    for (uint32_t idx = 0; idx < m->nentries; idx++) {
        if (!is_live(m, idx))
            continue;
        entry_t *ent = &m->entries[idx];
        uint32_t shifted = ent->last_update + ticks;
        ent->last_update = shifted < now ? shifted : now;
        uint32_t due = ent->last_update + c->t_fail + 1;
        ent->queued = 0; /* checks queued before the pause are for other deadlines */
        if (ent->state == ST_SUSPECT)
            queue_check(m, idx, due + c->t_remove);
        else if (due <= now + 2 * sweep_period(c))
            queue_check(m, idx, due > now ? due : now);
    }
    for (uint32_t k = 0; k < m->nprobes; k++) {
        uint32_t shifted = m->probe_since[k] + ticks;
        m->probe_since[k] = shifted < now ? shifted : now;
    }
    if (!m->in_group)
        m->join_sent_at = now;
}

/* ---- queries ---- */

uint64_t member_version(const member_node_t *m)
{
    return m->version;
}

bool member_in_group(const member_node_t *m)
{
    return m->in_group;
}

size_t member_count(const member_node_t *m)
{
    return m->nlive;
}

size_t member_list(const member_node_t *m, addr_t *addrs, uint32_t *incarnations)
{
    size_t n = 0;
    for (uint32_t idx = 0; idx < m->nentries; idx++) {
        if (!is_live(m, idx))
            continue;
        if (addrs)
            addrs[n] = addr_of(m, idx);
        if (incarnations)
            incarnations[n] = m->entries[idx].incarnation;
        n++;
    }
    return n;
}

static int state_of(const member_node_t *m, addr_t a)
{
    uint32_t idx = find_entry(m, a);
    return idx == UINT32_MAX ? -1 : m->entries[idx].state;
}

bool member_knows(const member_node_t *m, addr_t a)
{
    int st = state_of(m, a);
    return st == ST_ALIVE || st == ST_SUSPECT;
}

bool member_suspects(const member_node_t *m, addr_t a)
{
    return state_of(m, a) == ST_SUSPECT;
}

void member_each(const member_node_t *m, void (*fn)(void *ctx, const member_entry_t *e),
                 void *ctx)
{
    static const member_state_t states[] = { [ST_ALIVE] = MEMBER_ALIVE,
                                             [ST_SUSPECT] = MEMBER_SUSPECTED,
                                             [ST_REMOVED] = MEMBER_REMOVED };
    for (uint32_t idx = 0; idx < m->nentries; idx++) {
        const entry_t *ent = &m->entries[idx];
        if (ent->state == ST_UNKNOWN)
            continue;
        member_entry_t e = { .addr = addr_of(m, idx), .incarnation = ent->incarnation,
                             .heartbeat = ent->heartbeat, .last_update = ent->last_update,
                             .state = states[ent->state] };
        fn(ctx, &e);
    }
}

void member_get_stats(const member_node_t *m, member_stats_t *out)
{
    *out = m->stats;
}
