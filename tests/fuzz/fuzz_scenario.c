/* fuzz_scenario.c: fuzz target for the testcase parser (scenario_parse).
 *
 * Each input is parsed as a testcase file named "fuzz.conf". An accepted file must satisfy the
 * invariants the Application relies on (include/scenario.h); a rejected one must leave a
 * one-line "fuzz.conf:..." message and an empty scenario. Any violation calls abort(), so the
 * fuzzer records the input as a crash; AddressSanitizer and UBSan catch the rest.
 *
 * Invariants of an accepted file: ticks in [1, SCENARIO_MAX_TICKS + 50]; events sorted by tick (file
 * order within a tick); every event tick < ticks, except "expect no lost writes", which sits at
 * tick UINT32_MAX by design; node ids of fail/restart/expect-removed in 1..nodes+added;
 * nodes+added <= SCENARIO_MAX_NODES and `added` is the sum of the add events; settings in their
 * ranges; keys and values valid for the wire format; loss windows with from < to and
 * 0 <= p <= 1; link windows with from < to and two disjoint, non-empty node groups within
 * 1..nodes+added; workloads with tick < until and a mix adding up to 100; nexpect equal to the
 * number of events that carry an expectation (the three expect statements, or an operation's
 * `expect`). Of a rejected file: -1, a NUL-terminated message starting "fuzz.conf:" with no
 * line break, and an empty scenario.
 *
 * The input is copied into a heap buffer of exactly `size` bytes (no terminating NUL) before it
 * is parsed, so a read past the end of the text is reported by AddressSanitizer under every
 * driver (libFuzzer already does this; AFL++'s shared-memory buffer and the standalone reader
 * would otherwise hide it).
 *
 * Builds (tests/fuzz/run-fuzz does all of them):
 *   libFuzzer:  clang -fsanitize=fuzzer,address,undefined fuzz_scenario.c src/scenario.c src/wire.c
 *   AFL++:      AFL_USE_ASAN=1 afl-clang-fast -DFUZZ_STANDALONE ...  (the main below; persistent
 *               mode through __AFL_LOOP and the shared-memory test case when built by afl-cc)
 *   replay:     cc -DFUZZ_STANDALONE -fsanitize=address,undefined ...; then
 *               fuzz_scenario FILE...   (or the input on stdin)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "wire.h"

#define FUZZ_NAME "fuzz.conf"

#ifdef FUZZ_STANDALONE
/* What the last input gave, for the standalone driver's report. */
static int last_rc;
static size_t last_nevents;
static char last_err[SCENARIO_ERR_LEN];
#endif

static void violated(const char *what, const scenario_t *sc, size_t i)
{
    fprintf(stderr, "fuzz_scenario: invariant violated: %s", what);
    if (sc && i < sc->nevents) {
        const event_t *e = &sc->events[i];
        fprintf(stderr, " (event %zu of %zu: tick %u kind %d node %u count %u line %u col %u; "
                "ticks %u, nodes %u)", i, sc->nevents, (unsigned)e->tick, (int)e->kind,
                (unsigned)e->node, (unsigned)e->count, e->line, e->col, (unsigned)sc->ticks,
                (unsigned)sc->nodes);
    } else if (sc) {
        fprintf(stderr, " (ticks %u, nodes %u, nevents %zu, nloss %zu, nexpect %zu)",
                (unsigned)sc->ticks, (unsigned)sc->nodes, sc->nevents, sc->nloss, sc->nexpect);
    }
    fputc('\n', stderr);
    abort();
}

#define CHECK(cond, sc, i)                                                                  \
    do {                                                                                    \
        if (!(cond))                                                                        \
            violated(#cond, (sc), (i));                                                     \
    } while (0)

static int is_expectation(const event_t *e)
{
    return e->kind == EV_EXPECT_REMOVED || e->kind == EV_EXPECT_REPLICATED ||
           e->kind == EV_EXPECT_NO_LOST_WRITES || e->kind == EV_EXPECT_CONVERGED ||
           e->kind == EV_EXPECT_LISTED || e->kind == EV_EXPECT_KEY_ON || e->expect != EXPECT_NONE;
}

static int text_ok(const char *s, int is_key)
{
    return s != NULL && wire_kv_text_ok(s, strlen(s), is_key);
}

/* Every invariant an accepted file must satisfy. */
static void check_accepted(const scenario_t *sc)
{
    const size_t none = (size_t)-1;
    /* Settings within their documented ranges. */
    CHECK(sc->ticks >= 1, sc, none);
    /* Without TICKS the run lasts until 50 ticks after the last event or window, so it may
     * pass SCENARIO_MAX_TICKS by up to 50. */
    CHECK(sc->ticks <= SCENARIO_MAX_TICKS + 50, sc, none);
    CHECK(sc->nodes >= 1 && sc->nodes <= SCENARIO_MAX_NODES, sc, none);
    CHECK((uint64_t)sc->nodes + sc->added <= SCENARIO_MAX_NODES, sc, none);
    CHECK(sc->keys >= 1 && sc->keys <= SCENARIO_MAX_KEYS, sc, none);
    CHECK(sc->drop_prob >= 0.0 && sc->drop_prob <= 1.0, sc, none);
    CHECK(sc->crud_test >= CRUD_NONE && sc->crud_test <= CRUD_DELETE, sc, none);
    CHECK(sc->replicas == 0 || sc->replicas == 3, sc, none);
    CHECK(sc->quorum == 0 || sc->quorum == 2, sc, none);
    CHECK(sc->ticks_setting == 0 || sc->ticks == sc->ticks_setting, sc, none);
    CHECK(sc->nevents == 0 || sc->events != NULL, sc, none);
    CHECK(sc->nloss == 0 || sc->loss != NULL, sc, none);
    CHECK(sc->nlinks == 0 || sc->links != NULL, sc, none);

    /* Nodes that exist at some point of the run: MAX_NNB plus those added. */
    const uint64_t all = (uint64_t)sc->nodes + sc->added;
    uint64_t added = 0;
    size_t nexpect = 0;
    for (size_t i = 0; i < sc->nevents; i++) {
        const event_t *e = &sc->events[i];
        /* Sorted by tick; within a tick the classic events (line 0) first, then file order
         * (seq). */
        if (i > 0) {
            const event_t *prev = &sc->events[i - 1];
            CHECK(prev->tick <= e->tick, sc, i);
            CHECK(prev->tick < e->tick || (prev->line == 0 && e->line != 0) ||
                      ((prev->line == 0) == (e->line == 0) && prev->seq < e->seq),
                  sc, i);
        }
        /* Inside the run; "expect no lost writes" is judged when the run ends and is placed
         * after every other event, at tick UINT32_MAX (src/scenario.c). */
        if (e->kind == EV_EXPECT_NO_LOST_WRITES && !e->checkpoint)
            CHECK(e->tick == UINT32_MAX, sc, i);
        else
            CHECK(e->tick < sc->ticks, sc, i);
        /* A node given by id is in range; one given by name has node 0 and a known name. */
#define NODE_OK(e) ((e)->node_name ? (e)->node == 0 && (e)->node_name <= sc->nnames \
                                   : (e)->node >= 1 && (e)->node <= all)
        for (uint32_t k = 0; k < e->nbinds; k++)
            CHECK(e->binds[k] >= 1 && e->binds[k] <= sc->nnames, sc, i);
        switch (e->kind) {
        case EV_FAIL_NODE:
        case EV_EXPECT_REMOVED:
        case EV_EXPECT_LISTED:
        case EV_RESTART:
            CHECK(NODE_OK(e), sc, i);
            break;
        case EV_PAUSE:
            CHECK(NODE_OK(e), sc, i);
            CHECK(e->count >= 1, sc, i);
            break;
        case EV_FAIL_RANDOM:
        case EV_FAIL_RANDOM_BLOCK:
            CHECK(e->count >= 1 && e->count <= sc->nodes, sc, i);
            break;
        case EV_ADD_NODES:
            CHECK(e->count >= 1 && e->count <= SCENARIO_MAX_NODES, sc, i);
            added += e->count;
            break;
        case EV_FAIL_ROLE:
            CHECK(e->role >= 0 && e->role <= 2, sc, i);
            CHECK(e->key == EV_KEY_NAMED && text_ok(e->key_name, 1), sc, i);
            break;
        case EV_FAIL_NON_REPLICA:
        case EV_FAIL_REPLICAS:
            CHECK(e->key != EV_KEY_NAMED || text_ok(e->key_name, 1), sc, i);
            break;
        case EV_KV_OP:
            CHECK(e->op >= KV_CREATE && e->op <= KV_DELETE, sc, i);
            CHECK(!e->via || NODE_OK(e), sc, i);
            CHECK(e->key != EV_KEY_NAMED || text_ok(e->key_name, 1), sc, i);
            break;
        case EV_EXPECT_REPLICATED:
            CHECK(e->key == EV_KEY_NAMED && text_ok(e->key_name, 1), sc, i);
            break;
        case EV_WORKLOAD:
            CHECK(e->tick < e->until, sc, i);
            CHECK(e->rate >= 1 && e->nkeys >= 1 && e->nkeys <= SCENARIO_MAX_KEYS, sc, i);
            CHECK(e->mix[0] <= 100 && e->mix[1] <= 100 && e->mix[2] <= 100 &&
                      e->mix[0] + e->mix[1] + e->mix[2] == 100,
                  sc, i);
            break;
        default:
            break;
        }
        if (e->value)
            CHECK(text_ok(e->value, 0), sc, i);
        if (e->expect == EXPECT_VALUE)
            CHECK(e->kind == EV_KV_OP && e->op == KV_READ && text_ok(e->expect_value, 0), sc, i);
        if (is_expectation(e))
            nexpect++;
    }
    CHECK(sc->nexpect == nexpect, sc, none);
    CHECK(sc->added == added, sc, none);

    for (size_t i = 0; i < sc->nloss; i++) {
        const loss_spec_t *l = &sc->loss[i];
        if (!(l->from < l->to && l->p >= 0.0 && l->p <= 1.0)) {
            fprintf(stderr, "fuzz_scenario: loss window %zu: from %u to %u p %g\n", i,
                    (unsigned)l->from, (unsigned)l->to, l->p);
            violated("loss window with from < to and 0 <= p <= 1", sc, none);
        }
    }
    for (size_t i = 0; i < sc->nlinks; i++) {
        const link_spec_t *l = &sc->links[i];
        CHECK(l->from < l->to, sc, none);
        /* one kind per window: a partition (with groups), a delay, a reordering, a loss or a
         * duplication on links (a loss without groups is a global window, not a link) */
        unsigned kinds = l->cut + (l->delay > 0) + (l->reorder > 0);
        CHECK(kinds <= 1, sc, none);
        CHECK(!l->cut || l->groups != NULL, sc, none);
        CHECK(l->delay <= 1000 && l->reorder <= 1000, sc, none);
        CHECK(l->loss >= 0.0 && l->loss <= 1.0 && l->duplicate >= 0.0 && l->duplicate <= 1.0,
              sc, none);
        CHECK(l->loss == 0.0 || (kinds == 0 && l->groups != NULL), sc, none);
        CHECK(!l->one_way || l->groups != NULL, sc, none);
        CHECK(l->groups == NULL || (l->ngroups >= 2 && l->ngroups <= all + 1), sc, none);
        if (l->groups) {
            unsigned seen = 0;
            CHECK(l->groups[0] == 0, sc, none); /* ids start at 1 */
            for (size_t id = 0; id < l->ngroups; id++) {
                CHECK(l->groups[id] <= 2, sc, none); /* in group A or B, not both */
                seen |= l->groups[id];
            }
            CHECK(seen == 3, sc, none); /* both groups have a node */
        }
    }
}

/* Every invariant a rejected file must satisfy. */
static void check_rejected(const scenario_t *sc, const char *err, size_t errlen)
{
    const size_t none = (size_t)-1;
    const char *nul = memchr(err, '\0', errlen);
    CHECK(nul != NULL, NULL, none); /* NUL-terminated inside the buffer */
    CHECK(strncmp(err, FUZZ_NAME ":", strlen(FUZZ_NAME ":")) == 0, NULL, none);
    CHECK(strchr(err, '\n') == NULL, NULL, none); /* one line */
    CHECK(strchr(err, '\r') == NULL, NULL, none);
    /* "leaves *sc empty" */
    CHECK(sc->events == NULL && sc->nevents == 0 && sc->loss == NULL && sc->nloss == 0 &&
              sc->links == NULL && sc->nlinks == 0 && sc->nexpect == 0 && sc->added == 0,
          sc, none);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly `size` bytes, not NUL-terminated: over-reads hit the redzone. Built with
     * -DFUZZ_NUL_TERMINATED, a NUL follows the text, which hides over-reads that stop at a NUL
     * (to fuzz past such a known bug until it is fixed). */
#ifdef FUZZ_NUL_TERMINATED
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    text[size] = '\0';
#else
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
#endif
    if (size)
        memcpy(text, data, size);

    scenario_t sc;
    char err[SCENARIO_ERR_LEN];
    memset(err, 'X', sizeof err); /* so a missing terminator is seen */
    memset(&sc, 0xA5, sizeof sc); /* scenario_parse must initialise it whatever it holds */

    int rc = scenario_parse(FUZZ_NAME, text, size, &sc, err, sizeof err);
    if (rc == 0)
        check_accepted(&sc);
    else if (rc == -1)
        check_rejected(&sc, err, sizeof err);
    else
        violated("scenario_parse returns 0 or -1", NULL, (size_t)-1);

#ifdef FUZZ_STANDALONE
    last_rc = rc;
    last_nevents = rc == 0 ? sc.nevents : 0;
    if (rc != 0)
        snprintf(last_err, sizeof last_err, "%s", err);
#endif
    scenario_free(&sc);
    CHECK(sc.events == NULL && sc.nevents == 0 && sc.loss == NULL && sc.nloss == 0 &&
              sc.links == NULL && sc.nlinks == 0,
          NULL, (size_t)-1);
    free(text);
    return 0;
}

#ifdef FUZZ_STANDALONE
/* Standalone driver: replays the files named on the command line (each in turn, one report
 * line per file on stdout), or the input on stdin. Built with afl-clang-fast / afl-clang-lto /
 * afl-gcc-fast it runs in AFL++'s persistent mode, taking test cases from shared memory (the
 * same binary still replays files given as arguments). */
#include <errno.h>
#include <unistd.h> /* read(), used by AFL++'s __AFL_FUZZ_TESTCASE_LEN outside afl-fuzz */

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

static int read_all(FILE *f, uint8_t **out, size_t *len)
{
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return -1;
    for (;;) {
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return -1;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

static int run_stream(const char *label, FILE *f)
{
    uint8_t *buf;
    size_t len;
    if (read_all(f, &buf, &len) != 0) {
        fprintf(stderr, "fuzz_scenario: %s: cannot read: %s\n", label, strerror(errno));
        return 2;
    }
    LLVMFuzzerTestOneInput(buf, len);
    if (last_rc == 0)
        printf("ok %s: accepted, %zu events\n", label, last_nevents);
    else
        printf("ok %s: rejected: %s\n", label, last_err);
    fflush(stdout);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        int status = 0;
        for (int i = 1; i < argc; i++) {
            FILE *f = fopen(argv[i], "rb");
            if (!f) {
                fprintf(stderr, "fuzz_scenario: %s: cannot open: %s\n", argv[i], strerror(errno));
                status = 2;
                continue;
            }
            if (run_stream(argv[i], f) != 0)
                status = 2;
            fclose(f);
        }
        return status;
    }
#ifdef __AFL_FUZZ_TESTCASE_LEN
    __AFL_INIT();
    const uint8_t *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(100000)) {
        size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
        LLVMFuzzerTestOneInput(buf, len);
    }
    return 0;
#else
    return run_stream("<stdin>", stdin);
#endif
}
#endif
