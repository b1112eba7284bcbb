/* test_scenario.c: unit tests for the testcase parser (scenario_parse / scenario_load): every
 * accepted form, the derived timeline, and every error class with its file:line message. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"
#include "wire.h"
#include "suites.h"

#define NAME "t.conf"

static char err[SCENARIO_ERR_LEN];

static int parse_n(const char *text, size_t len, scenario_t *sc)
{
    memset(err, 0, sizeof err);
    return scenario_parse(NAME, text, len, sc, err, sizeof err);
}

static int parse(const char *text, scenario_t *sc)
{
    return parse_n(text, strlen(text), sc);
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A failed parse leaves nothing allocated and no events or loss windows. */
static int is_empty(const scenario_t *sc)
{
    return sc->events == NULL && sc->nevents == 0 && sc->loss == NULL && sc->nloss == 0;
}

/* Parses `text` (len bytes) expecting failure on `line` (0: a whole-file error "t.conf: ..."),
 * with each of the NULL-terminated `words` in the message. */
static void expect_error_n(const char *text, size_t len, unsigned line, const char *const *words)
{
    scenario_t sc;
    int rc = parse_n(text, len, &sc);
    CU_ASSERT_EQUAL(rc, -1);
    char prefix[64];
    if (line)
        snprintf(prefix, sizeof prefix, "%s:%u:", NAME, line);
    else
        snprintf(prefix, sizeof prefix, "%s: ", NAME);
    CU_ASSERT(starts_with(err, prefix));
    if (!starts_with(err, prefix))
        fprintf(stderr, "\n  expected prefix '%s' in: %s\n", prefix, err);
    for (size_t i = 0; words[i]; i++) {
        CU_ASSERT_PTR_NOT_NULL(strstr(err, words[i]));
        if (!strstr(err, words[i]))
            fprintf(stderr, "\n  expected '%s' in: %s\n", words[i], err);
    }
    CU_ASSERT(strchr(err, '\n') == NULL); /* one line */
    CU_ASSERT(is_empty(&sc));
    scenario_free(&sc); /* harmless on an emptied struct */
}

#define EXPECT_ERROR(text, line, ...)                                                      \
    do {                                                                                   \
        const char *const w_[] = { __VA_ARGS__, NULL };                                    \
        expect_error_n((text), strlen(text), (line), w_);                                  \
    } while (0)

static const char SINGLE[] = "MAX_NNB: 10\nSINGLE_FAILURE: 1\nDROP_MSG: 0\nMSG_DROP_PROB: 0.1\n";
static const char MULTI[] = "MAX_NNB: 10\nSINGLE_FAILURE: 0\nDROP_MSG: 0\nMSG_DROP_PROB: 0.1\n";
static const char DROP[] = "MAX_NNB: 10\nSINGLE_FAILURE: 1\nDROP_MSG: 1\nMSG_DROP_PROB: 0.1\n";

/* The settings and timeline of the classic single-failure file. */
static void check_single(const scenario_t *sc)
{
    CU_ASSERT_EQUAL(sc->nodes, 10);
    CU_ASSERT_TRUE(sc->single_failure);
    CU_ASSERT_FALSE(sc->drop_msg);
    CU_ASSERT_DOUBLE_EQUAL(sc->drop_prob, 0.1, 1e-12);
    CU_ASSERT_EQUAL(sc->crud_test, CRUD_NONE);
    CU_ASSERT_EQUAL(sc->ticks, 700);
    CU_ASSERT_EQUAL_FATAL(sc->nevents, 1);
    CU_ASSERT_EQUAL(sc->events[0].tick, 100);
    CU_ASSERT_EQUAL(sc->events[0].kind, EV_FAIL_RANDOM_NODE);
    CU_ASSERT_EQUAL(sc->events[0].count, 1);
    CU_ASSERT_EQUAL(sc->nloss, 0);
}

static void test_classic_single_failure(void)
{
    scenario_t sc;
    CU_ASSERT_EQUAL_FATAL(parse(SINGLE, &sc), 0);
    check_single(&sc);
    scenario_free(&sc);
}

static void test_classic_multi_failure(void)
{
    scenario_t sc;
    CU_ASSERT_EQUAL_FATAL(parse(MULTI, &sc), 0);
    CU_ASSERT_EQUAL(sc.nodes, 10);
    CU_ASSERT_FALSE(sc.single_failure);
    CU_ASSERT_FALSE(sc.drop_msg);
    CU_ASSERT_EQUAL(sc.ticks, 700);
    CU_ASSERT_EQUAL_FATAL(sc.nevents, 1);
    CU_ASSERT_EQUAL(sc.events[0].tick, 100);
    CU_ASSERT_EQUAL(sc.events[0].kind, EV_FAIL_RANDOM_BLOCK);
    CU_ASSERT_EQUAL(sc.events[0].count, 5);
    CU_ASSERT_EQUAL(sc.nloss, 0);
    scenario_free(&sc);

    /* N/2 rounds down. */
    CU_ASSERT_EQUAL_FATAL(parse("MAX_NNB: 7\nSINGLE_FAILURE: 0\n", &sc), 0);
    CU_ASSERT_EQUAL_FATAL(sc.nevents, 1);
    CU_ASSERT_EQUAL(sc.events[0].kind, EV_FAIL_RANDOM_BLOCK);
    CU_ASSERT_EQUAL(sc.events[0].count, 3);
    scenario_free(&sc);
    CU_ASSERT_EQUAL_FATAL(parse("MAX_NNB: 1000\nSINGLE_FAILURE: 0\n", &sc), 0);
    CU_ASSERT_EQUAL_FATAL(sc.nevents, 1);
    CU_ASSERT_EQUAL(sc.events[0].count, 500);
    scenario_free(&sc);
}

static void test_classic_msg_drop(void)
{
    scenario_t sc;
    CU_ASSERT_EQUAL_FATAL(parse(DROP, &sc), 0);
    CU_ASSERT_EQUAL(sc.nodes, 10);
    CU_ASSERT_TRUE(sc.single_failure);
    CU_ASSERT_TRUE(sc.drop_msg);
    CU_ASSERT_DOUBLE_EQUAL(sc.drop_prob, 0.1, 1e-12);
    CU_ASSERT_EQUAL(sc.ticks, 700);
    CU_ASSERT_EQUAL_FATAL(sc.nevents, 1);
    CU_ASSERT_EQUAL(sc.events[0].kind, EV_FAIL_RANDOM_NODE);
    CU_ASSERT_EQUAL(sc.events[0].tick, 100);
    CU_ASSERT_EQUAL_FATAL(sc.nloss, 1);
    CU_ASSERT_EQUAL(sc.loss[0].from, 50);
    CU_ASSERT_EQUAL(sc.loss[0].to, 300);
    CU_ASSERT_DOUBLE_EQUAL(sc.loss[0].p, 0.1, 1e-12);
    scenario_free(&sc);

    /* The window carries whatever probability the file gives. */
    CU_ASSERT_EQUAL_FATAL(
        parse("MAX_NNB: 4\nSINGLE_FAILURE: 0\nDROP_MSG: 1\nMSG_DROP_PROB: 0.75\n", &sc), 0);
    CU_ASSERT_EQUAL_FATAL(sc.nloss, 1);
    CU_ASSERT_DOUBLE_EQUAL(sc.loss[0].p, 0.75, 1e-12);
    CU_ASSERT_EQUAL_FATAL(sc.nevents, 1);
    CU_ASSERT_EQUAL(sc.events[0].count, 2);
    scenario_free(&sc);
}

static void test_kv_form(void)
{
    static const struct {
        const char *word;
        crud_test_t value;
    } cases[] = { { "CREATE", CRUD_CREATE }, { "READ", CRUD_READ }, { "UPDATE", CRUD_UPDATE },
                  { "DELETE", CRUD_DELETE } };
    for (size_t i = 0; i < 4; i++) {
        char text[64];
        snprintf(text, sizeof text, "MAX_NNB: 10\nCRUD_TEST: %s\n", cases[i].word);
        scenario_t sc;
        CU_ASSERT_EQUAL_FATAL(parse(text, &sc), 0);
        CU_ASSERT_EQUAL(sc.nodes, 10);
        CU_ASSERT_EQUAL(sc.crud_test, cases[i].value);
        CU_ASSERT_STRING_EQUAL(crud_test_name(sc.crud_test), cases[i].word);
        CU_ASSERT_EQUAL(sc.ticks, 700);
        CU_ASSERT_EQUAL(sc.keys, 100);
        CU_ASSERT_EQUAL(sc.nloss, 0);
        /* The first event creates the keys at tick 100; no random failure is scheduled. */
        CU_ASSERT_FATAL(sc.nevents >= 1);
        CU_ASSERT_EQUAL(sc.events[0].kind, EV_KV_INSERT);
        CU_ASSERT_EQUAL(sc.events[0].tick, 100);
        CU_ASSERT_EQUAL(sc.events[0].count, 100);
        for (size_t e = 0; e < sc.nevents; e++) {
            CU_ASSERT(sc.events[e].kind != EV_FAIL_RANDOM_NODE);
            CU_ASSERT(sc.events[e].kind != EV_FAIL_RANDOM_BLOCK);
            if (e > 0)
                CU_ASSERT(sc.events[e].tick >= sc.events[e - 1].tick);
        }
        scenario_free(&sc);
    }
    CU_ASSERT_STRING_EQUAL(crud_test_name(CRUD_NONE), "NONE");

    /* CRUD_TEST suppresses failures even when the failure keys ask for them. */
    scenario_t sc;
    CU_ASSERT_EQUAL_FATAL(parse("CRUD_TEST: DELETE\nSINGLE_FAILURE: 1\nMAX_NNB: 5\n", &sc), 0);
    for (size_t e = 0; e < sc.nevents; e++)
        CU_ASSERT(sc.events[e].kind >= EV_KV_INSERT);
    scenario_free(&sc);
}

/* The classic KV timelines of classic-compat.md section 5, event by event. */
static void test_kv_timelines(void)
{
    scenario_t sc;
    CU_ASSERT_EQUAL_FATAL(parse("MAX_NNB: 10\nCRUD_TEST: READ\n", &sc), 0);
    static const struct {
        uint32_t tick;
        event_kind_t kind;
        uint32_t count;
        int32_t key;
    } read[] = { { 100, EV_KV_INSERT, 100, 0 },     { 150, EV_KV_OP, 0, 0 },
                 { 175, EV_FAIL_REPLICAS, 1, 0 },   { 175, EV_KV_OP, 0, 0 },
                 { 225, EV_FAIL_REPLICAS, 2, 0 },   { 225, EV_KV_OP, 0, 0 },
                 { 275, EV_KV_OP, 0, 0 },           { 285, EV_FAIL_NON_REPLICA, 0, 0 },
                 { 285, EV_KV_OP, 0, 0 },           { 285, EV_KV_OP, 0, EV_KEY_INVALID } };
    CU_ASSERT_EQUAL_FATAL(sc.nevents, sizeof read / sizeof read[0]);
    for (size_t i = 0; i < sc.nevents; i++) {
        CU_ASSERT_EQUAL(sc.events[i].tick, read[i].tick);
        CU_ASSERT_EQUAL(sc.events[i].kind, read[i].kind);
        if (read[i].kind != EV_KV_OP)
            CU_ASSERT_EQUAL(sc.events[i].count, read[i].count);
        if (read[i].kind != EV_KV_INSERT)
            CU_ASSERT_EQUAL(sc.events[i].key, read[i].key);
        if (read[i].kind == EV_KV_OP) {
            CU_ASSERT_EQUAL(sc.events[i].op, KV_READ);
            CU_ASSERT_PTR_NULL(sc.events[i].value); /* reads expect the key's own value */
        }
    }
    scenario_free(&sc);

    CU_ASSERT_EQUAL_FATAL(parse("MAX_NNB: 10\nCRUD_TEST: UPDATE\n", &sc), 0);
    CU_ASSERT_EQUAL_FATAL(sc.nevents, 10);
    CU_ASSERT_EQUAL(sc.events[1].op, KV_UPDATE);
    CU_ASSERT_EQUAL(sc.events[1].key, 1); /* the 2nd key in byte order */
    CU_ASSERT_STRING_EQUAL(sc.events[1].value, "newValue");
    CU_ASSERT_STRING_EQUAL(sc.events[9].value, "invalidValue");
    CU_ASSERT_EQUAL(sc.events[9].key, EV_KEY_INVALID);
    scenario_free(&sc);

    CU_ASSERT_EQUAL_FATAL(parse("MAX_NNB: 10\nCRUD_TEST: DELETE\n", &sc), 0);
    CU_ASSERT_EQUAL_FATAL(sc.nevents, 1 + 50 + 1);
    for (int32_t k = 1; k <= 50; k++) {
        CU_ASSERT_EQUAL(sc.events[k].tick, 150);
        CU_ASSERT_EQUAL(sc.events[k].op, KV_DELETE);
        CU_ASSERT_EQUAL(sc.events[k].key, k);
    }
    CU_ASSERT_EQUAL(sc.events[51].key, EV_KEY_INVALID);
    scenario_free(&sc);

    CU_ASSERT_EQUAL_FATAL(parse("MAX_NNB: 10\nCRUD_TEST: CREATE\n", &sc), 0);
    CU_ASSERT_EQUAL(sc.nevents, 1);
    scenario_free(&sc);

    /* 1,000 nodes: the last starts at tick 249, keys are created 50 ticks later. */
    CU_ASSERT_EQUAL_FATAL(parse("MAX_NNB: 1000\nCRUD_TEST: READ\nNUM_KEYS: 10000\n", &sc), 0);
    CU_ASSERT_EQUAL(sc.events[0].tick, 299);
    CU_ASSERT_EQUAL(sc.events[0].count, 10000);
    CU_ASSERT_EQUAL(sc.events[sc.nevents - 1].tick, 299 + 50 + 135);
    CU_ASSERT_EQUAL(sc.ticks, 700);
    scenario_free(&sc);

    /* 10,000 nodes: the run is stretched to cover the test. */
    CU_ASSERT_EQUAL_FATAL(parse("MAX_NNB: 10000\nCRUD_TEST: CREATE\n", &sc), 0);
    CU_ASSERT_EQUAL(sc.events[0].tick, 2499 + 50);
    CU_ASSERT(sc.ticks > 2499 + 50 + 135);
    scenario_free(&sc);
}

static void test_error_num_keys(void)
{
    EXPECT_ERROR("MAX_NNB: 10\nCRUD_TEST: DELETE\nNUM_KEYS: 50\n", 3, "NUM_KEYS 50", "DELETE",
                 "at least 51");
    EXPECT_ERROR("MAX_NNB: 10\nCRUD_TEST: UPDATE\nNUM_KEYS: 1\n", 3, "at least 2");
    EXPECT_ERROR("MAX_NNB: 10\nNUM_KEYS: 0\n", 2, "out-of-range", "NUM_KEYS");
    EXPECT_ERROR("MAX_NNB: 10\nNUM_KEYS: 1000001\n", 2, "out-of-range", "NUM_KEYS");
}

static void test_keys_any_order(void)
{
    scenario_t sc;
    CU_ASSERT_EQUAL_FATAL(
        parse("MSG_DROP_PROB: 0.1\nDROP_MSG: 0\nSINGLE_FAILURE: 1\nMAX_NNB: 10\n", &sc), 0);
    check_single(&sc);
    scenario_free(&sc);
    CU_ASSERT_EQUAL_FATAL(
        parse("DROP_MSG: 0\nMAX_NNB: 10\nMSG_DROP_PROB: 0.1\nSINGLE_FAILURE: 1\n", &sc), 0);
    check_single(&sc);
    scenario_free(&sc);
}

static void test_whitespace_comments_line_endings(void)
{
    static const char *const texts[] = {
        /* trailing blanks and tabs after values */
        "MAX_NNB: 10 \nSINGLE_FAILURE: 1\t\nDROP_MSG: 0 \t \nMSG_DROP_PROB: 0.1 \n",
        /* blank lines, including blank-only ones */
        "\n\nMAX_NNB: 10\n\n   \n\t\nSINGLE_FAILURE: 1\nDROP_MSG: 0\n\nMSG_DROP_PROB: 0.1\n\n",
        /* comment lines and trailing comments */
        ("# classic single failure\nMAX_NNB: 10 # ten nodes\n  # indented comment\n"
         "SINGLE_FAILURE: 1# no space\nDROP_MSG: 0\nMSG_DROP_PROB: 0.1   # unused\n#end"),
        /* CRLF line endings */
        "MAX_NNB: 10\r\nSINGLE_FAILURE: 1\r\nDROP_MSG: 0\r\nMSG_DROP_PROB: 0.1\r\n",
        /* no final newline */
        "MAX_NNB: 10\nSINGLE_FAILURE: 1\nDROP_MSG: 0\nMSG_DROP_PROB: 0.1",
        "MAX_NNB: 10\r\nSINGLE_FAILURE: 1\r\nDROP_MSG: 0\r\nMSG_DROP_PROB: 0.1 ",
        /* leading blanks, blanks around the colon */
        "  MAX_NNB:10\n\tSINGLE_FAILURE :1\nDROP_MSG  :   0\nMSG_DROP_PROB:\t0.1\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        scenario_t sc;
        int rc = parse(texts[i], &sc);
        CU_ASSERT_EQUAL(rc, 0);
        if (rc != 0) {
            fprintf(stderr, "\n  form %zu rejected: %s\n", i, err);
            continue;
        }
        check_single(&sc);
        scenario_free(&sc);
    }
}

static void test_value_forms(void)
{
    scenario_t sc;
    CU_ASSERT_EQUAL_FATAL(parse("MAX_NNB: 1\nMSG_DROP_PROB: 0\n", &sc), 0);
    CU_ASSERT_EQUAL(sc.nodes, 1);
    CU_ASSERT_DOUBLE_EQUAL(sc.drop_prob, 0.0, 0.0);
    scenario_free(&sc);
    CU_ASSERT_EQUAL_FATAL(parse("MAX_NNB: 10000\nMSG_DROP_PROB: 1\n", &sc), 0);
    CU_ASSERT_EQUAL(sc.nodes, SCENARIO_MAX_NODES);
    CU_ASSERT_DOUBLE_EQUAL(sc.drop_prob, 1.0, 0.0);
    scenario_free(&sc);
    CU_ASSERT_EQUAL_FATAL(parse("MAX_NNB: 3\nMSG_DROP_PROB: .25\n", &sc), 0);
    CU_ASSERT_DOUBLE_EQUAL(sc.drop_prob, 0.25, 1e-12);
    scenario_free(&sc);
    CU_ASSERT_EQUAL_FATAL(parse("MAX_NNB: 3\nMSG_DROP_PROB: 5e-2\n", &sc), 0);
    CU_ASSERT_DOUBLE_EQUAL(sc.drop_prob, 0.05, 1e-12);
    scenario_free(&sc);
}

static void test_derived_timeline_without_loss(void)
{
    scenario_t sc;
    /* DROP_MSG 0: no loss window whatever the probability. */
    CU_ASSERT_EQUAL_FATAL(parse("MAX_NNB: 10\nDROP_MSG: 0\nMSG_DROP_PROB: 0.9\n", &sc), 0);
    CU_ASSERT_EQUAL(sc.nloss, 0);
    CU_ASSERT_PTR_NULL(sc.loss);
    CU_ASSERT_EQUAL(sc.ticks, 700);
    scenario_free(&sc);
    /* Events are sorted by tick and all lie inside the run. */
    CU_ASSERT_EQUAL_FATAL(parse(DROP, &sc), 0);
    for (size_t i = 0; i < sc.nevents; i++) {
        CU_ASSERT(sc.events[i].tick < sc.ticks);
        if (i)
            CU_ASSERT(sc.events[i - 1].tick <= sc.events[i].tick);
    }
    for (size_t i = 0; i < sc.nloss; i++)
        CU_ASSERT(sc.loss[i].from < sc.loss[i].to && sc.loss[i].to <= sc.ticks);
    scenario_free(&sc);
}

/* Writes `len` bytes into a fresh temporary file; returns its path (static buffer). */
static const char *temp_file(const char *text, size_t len)
{
    static char path[64];
    strcpy(path, "/tmp/test_scenario_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(path);
        return NULL;
    }
    size_t w = fwrite(text, 1, len, f);
    if (fclose(f) != 0 || w != len) {
        unlink(path);
        return NULL;
    }
    return path;
}

static void test_load_file(void)
{
    const char *path = temp_file(DROP, strlen(DROP));
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    scenario_t sc;
    CU_ASSERT_EQUAL(scenario_load(path, &sc, err, sizeof err), 0);
    CU_ASSERT_EQUAL(sc.nodes, 10);
    CU_ASSERT_EQUAL(sc.nevents, 1);
    CU_ASSERT_EQUAL(sc.nloss, 1);
    scenario_free(&sc);
    unlink(path);

    /* Errors inside a file name the file and the line. */
    const char bad[] = "MAX_NNB: 10\n\nDROP_MSG: maybe\n";
    path = temp_file(bad, strlen(bad));
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    CU_ASSERT_EQUAL(scenario_load(path, &sc, err, sizeof err), -1);
    char prefix[96];
    snprintf(prefix, sizeof prefix, "%s:3:", path);
    CU_ASSERT(starts_with(err, prefix));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "DROP_MSG"));
    CU_ASSERT(is_empty(&sc));
    unlink(path);

    /* An empty file has no MAX_NNB. */
    path = temp_file("", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    CU_ASSERT_EQUAL(scenario_load(path, &sc, err, sizeof err), -1);
    snprintf(prefix, sizeof prefix, "%s: ", path);
    CU_ASSERT(starts_with(err, prefix));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "MAX_NNB"));
    unlink(path);
}

static void test_load_missing_and_unreadable(void)
{
    char dir[] = "/tmp/test_scenario_dir_XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char missing[128], prefix[160];
    snprintf(missing, sizeof missing, "%s/no-such.conf", dir);
    scenario_t sc;

    CU_ASSERT_EQUAL(scenario_load(missing, &sc, err, sizeof err), -1);
    snprintf(prefix, sizeof prefix, "%s: cannot ", missing);
    CU_ASSERT(starts_with(err, prefix));
    CU_ASSERT(is_empty(&sc));

    /* A directory opens on Linux but cannot be read as a file. */
    CU_ASSERT_EQUAL(scenario_load(dir, &sc, err, sizeof err), -1);
    snprintf(prefix, sizeof prefix, "%s: cannot ", dir);
    CU_ASSERT(starts_with(err, prefix));
    CU_ASSERT(is_empty(&sc));

    rmdir(dir);
}

static void test_error_unknown_key(void)
{
    EXPECT_ERROR("MAX_NNB: 10\nMAX_NBB: 10\n", 2, "unknown key", "MAX_NBB", "did you mean MAX_NNB");
    EXPECT_ERROR("# comment\n\nSINGLE_FAILUR: 1\nMAX_NNB: 10\n", 3, "unknown key",
                 "SINGLE_FAILUR", "did you mean SINGLE_FAILURE");
    /* Nothing close: no suggestion, but the valid keys are listed. */
    EXPECT_ERROR("MAX_NNB: 10\nSINGLE_FAILURE: 1\nCOLOUR: blue\n", 3, "unknown key", "COLOUR",
                 "MAX_NNB");
    CU_ASSERT_PTR_NULL(strstr(err, "did you mean"));
}

static void test_error_duplicate_key(void)
{
    EXPECT_ERROR("MAX_NNB: 10\nDROP_MSG: 0\nMAX_NNB: 12\n", 3, "duplicate", "MAX_NNB", "line 1");
    EXPECT_ERROR("MAX_NNB: 10\n# c\nDROP_MSG: 0\n\nDROP_MSG: 0\n", 5, "duplicate", "DROP_MSG",
                 "line 3");
}

static void test_error_malformed_value(void)
{
    EXPECT_ERROR("MAX_NNB: ten\n", 1, "malformed", "MAX_NNB", "ten");
    EXPECT_ERROR("MAX_NNB: 10\nMSG_DROP_PROB: abc\n", 2, "malformed", "MSG_DROP_PROB", "abc");
    EXPECT_ERROR("MAX_NNB: 10\nDROP_MSG: 1\nMSG_DROP_PROB: nan\n", 3, "malformed",
                 "MSG_DROP_PROB", "nan");
    EXPECT_ERROR("MAX_NNB: 10\nMSG_DROP_PROB: inf\n", 2, "MSG_DROP_PROB", "inf");
    EXPECT_ERROR("MAX_NNB: 10 20\n", 1, "malformed", "MAX_NNB", "10 20");
    EXPECT_ERROR("MAX_NNB: 10x\n", 1, "malformed", "MAX_NNB", "10x");
    EXPECT_ERROR("MAX_NNB: 1e3\n", 1, "malformed", "MAX_NNB");
    EXPECT_ERROR("MAX_NNB: 10\nMSG_DROP_PROB: 0.1.2\n", 2, "malformed", "MSG_DROP_PROB");
}

static void test_error_column(void)
{
    /* Positions are line:column, 1-based: the value of "MAX_NNB: ten" starts at column 10. */
    EXPECT_ERROR("MAX_NNB: ten\n", 1, NAME ":1:10:");
    EXPECT_ERROR("MAX_NNB: 10\nBOGUS: 1\n", 2, NAME ":2:1:");
}

static void test_error_out_of_range(void)
{
    EXPECT_ERROR("MAX_NNB: 0\n", 1, "range", "MAX_NNB");
    EXPECT_ERROR("MAX_NNB: -3\n", 1, "range", "MAX_NNB", "-3");
    EXPECT_ERROR("MAX_NNB: 10001\n", 1, "range", "MAX_NNB", "10001");
    EXPECT_ERROR("DROP_MSG: 0\nMAX_NNB: 99999999999999999999\n", 2, "range", "MAX_NNB");
    EXPECT_ERROR("MAX_NNB: 10\nMSG_DROP_PROB: -0.1\n", 2, "range", "MSG_DROP_PROB", "-0.1");
    EXPECT_ERROR("MAX_NNB: 10\nMSG_DROP_PROB: 1.5\n", 2, "range", "MSG_DROP_PROB", "1.5");
    EXPECT_ERROR("MAX_NNB: 10\nSINGLE_FAILURE: 2\n", 2, "SINGLE_FAILURE", "0 or 1");
}

static void test_error_flag_not_01(void)
{
    EXPECT_ERROR("MAX_NNB: 10\nDROP_MSG: yes\n", 2, "DROP_MSG", "yes", "0 or 1");
    EXPECT_ERROR("MAX_NNB: 10\nSINGLE_FAILURE: true\n", 2, "SINGLE_FAILURE", "true", "0 or 1");
}

static void test_error_unknown_crud(void)
{
    EXPECT_ERROR("MAX_NNB: 10\nCRUD_TEST: READS\n", 2, "CRUD_TEST", "READS", "did you mean READ");
    EXPECT_ERROR("MAX_NNB: 10\nCRUD_TEST: foo\n", 2, "CRUD_TEST", "foo");
    CU_ASSERT_PTR_NULL(strstr(err, "did you mean"));
}

static void test_error_line_without_colon(void)
{
    EXPECT_ERROR("MAX_NNB 10\n", 1, "KEY: value", "MAX_NNB 10");
    EXPECT_ERROR("MAX_NNB: 10\n\njust some words\n", 3, "KEY: value", "just some words");
    EXPECT_ERROR("MAX_NNB: 10\n: 5\n", 2, "KEY: value");
}

static void test_error_missing_value(void)
{
    EXPECT_ERROR("MAX_NNB:\n", 1, "missing value", "MAX_NNB");
    EXPECT_ERROR("MAX_NNB: 10\nDROP_MSG:   # nothing\n", 2, "missing value", "DROP_MSG");
    EXPECT_ERROR("MAX_NNB: 10\r\nCRUD_TEST:\r\n", 2, "missing value", "CRUD_TEST");
}

static void test_error_missing_max_nnb(void)
{
    /* Not tied to a line: "t.conf: missing MAX_NNB ...". */
    EXPECT_ERROR("SINGLE_FAILURE: 1\nDROP_MSG: 0\nMSG_DROP_PROB: 0.1\n", 0, "missing MAX_NNB");
    EXPECT_ERROR("CRUD_TEST: READ\n", 0, "missing MAX_NNB");
    EXPECT_ERROR("", 0, "missing MAX_NNB");
    EXPECT_ERROR("\n\n# only comments\n", 0, "missing MAX_NNB");
}

static void test_error_nul_byte(void)
{
    static const char t1[] = "MAX_NNB: 1\0" "0\n";
    const char *const w[] = { "NUL", NULL };
    expect_error_n(t1, sizeof t1 - 1, 1, w);
    static const char t2[] = "MAX_NNB: 10\nDROP\0_MSG: 0\n";
    expect_error_n(t2, sizeof t2 - 1, 2, w);
    static const char t3[] = "MAX_NNB: 10\n\n\0\n";
    expect_error_n(t3, sizeof t3 - 1, 3, w);
}

/* regression, was a bug (src/scenario.c, parse_line): the line is cut at '#' before the NUL check, so a NUL
 * byte inside a comment is accepted ("MAX_NNB: 10 # c\0mment" parses with rc 0). A NUL byte
 * anywhere in the text means it is not a text file and must be rejected; this test fails today. */
static void test_error_nul_byte_in_comment(void)
{
    static const char t1[] = "MAX_NNB: 10 # c\0mment\n";
    const char *const w[] = { "NUL", NULL };
    expect_error_n(t1, sizeof t1 - 1, 1, w);
    static const char t2[] = "MAX_NNB: 10\n#\0\n";
    expect_error_n(t2, sizeof t2 - 1, 2, w);
}

static void test_error_line_numbers_crlf(void)
{
    /* CRLF lines, comments and blank lines all count as lines. */
    EXPECT_ERROR("# a\r\n\r\nMAX_NNB: 10\r\n# b\r\nDROP_MSG: 2\r\n", 5, "DROP_MSG");
    /* Error on a last line without a newline. */
    EXPECT_ERROR("MAX_NNB: 10\nSINGLE_FAILURE: 1\nMSG_DROP_PROB: x", 3, "MSG_DROP_PROB");
}

static void test_failed_parse_leaves_struct_empty(void)
{
    scenario_t sc;
    /* A struct that held a parsed scenario, then a failed parse into it: no events, no loss. */
    CU_ASSERT_EQUAL_FATAL(parse(DROP, &sc), 0);
    scenario_free(&sc);
    CU_ASSERT(is_empty(&sc));
    CU_ASSERT_EQUAL(parse("MAX_NNB: 10\nSINGLE_FAILURE: 1\nDROP_MSG: 1\nMSG_DROP_PROB: 2\n", &sc),
                    -1);
    CU_ASSERT(is_empty(&sc));
    scenario_free(&sc);
    scenario_free(&sc); /* freeing twice is harmless */
    CU_ASSERT(is_empty(&sc));
    /* A tiny error buffer is not overrun and stays terminated. */
    char small[8];
    memset(small, 'x', sizeof small);
    CU_ASSERT_EQUAL(scenario_parse(NAME, "MAX_NNB: ten\n", 13, &sc, small, 6), -1);
    CU_ASSERT_EQUAL(small[5], '\0');
    CU_ASSERT_EQUAL(small[6], 'x');
    CU_ASSERT(is_empty(&sc));
}

/* Regression: the reader refused a file of exactly the size limit (16 MiB) as too large. */
static void test_load_size_limit(void)
{
    size_t limit = 16u << 20;
    char *text = malloc(limit + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    memset(text, ' ', limit + 1);
    memcpy(text, "MAX_NNB: 10\n", 12);
    text[limit - 1] = '\n';
    scenario_t sc;
    const char *path = temp_file(text, limit);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    CU_ASSERT_EQUAL(scenario_load(path, &sc, err, sizeof err), 0);
    CU_ASSERT_EQUAL(sc.nodes, 10);
    scenario_free(&sc);
    unlink(path);
    path = temp_file(text, limit + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    CU_ASSERT_EQUAL(scenario_load(path, &sc, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "too large"));
    unlink(path);
    free(text);
}

int add_scenario_suite(void)
{
    CU_pSuite s = CU_add_suite("scenario", NULL, NULL);
    if (!s)
        return CU_get_error();
    if (!CU_add_test(s, "classic single failure file", test_classic_single_failure) ||
        !CU_add_test(s, "classic multi failure file", test_classic_multi_failure) ||
        !CU_add_test(s, "classic message drop file", test_classic_msg_drop) ||
        !CU_add_test(s, "KV form: CRUD_TEST CREATE/READ/UPDATE/DELETE", test_kv_form) ||
        !CU_add_test(s, "KV timelines: the classic steps, event by event", test_kv_timelines) ||
        !CU_add_test(s, "error: NUM_KEYS out of range or too few for the test", test_error_num_keys) ||
        !CU_add_test(s, "keys in any order", test_keys_any_order) ||
        !CU_add_test(s, "blanks, comments, CRLF, no final newline",
                     test_whitespace_comments_line_endings) ||
        !CU_add_test(s, "value forms and bounds", test_value_forms) ||
        !CU_add_test(s, "derived timeline without loss", test_derived_timeline_without_loss) ||
        !CU_add_test(s, "scenario_load of files", test_load_file) ||
        !CU_add_test(s, "scenario_load: missing file, directory",
                     test_load_missing_and_unreadable) ||
        !CU_add_test(s, "error: unknown key", test_error_unknown_key) ||
        !CU_add_test(s, "error: duplicate key", test_error_duplicate_key) ||
        !CU_add_test(s, "error: malformed value", test_error_malformed_value) ||
        !CU_add_test(s, "error: line and column", test_error_column) ||
        !CU_add_test(s, "error: out-of-range value", test_error_out_of_range) ||
        !CU_add_test(s, "error: flag not 0/1", test_error_flag_not_01) ||
        !CU_add_test(s, "error: unknown CRUD_TEST", test_error_unknown_crud) ||
        !CU_add_test(s, "error: line without colon", test_error_line_without_colon) ||
        !CU_add_test(s, "error: missing value", test_error_missing_value) ||
        !CU_add_test(s, "error: missing MAX_NNB, empty file", test_error_missing_max_nnb) ||
        !CU_add_test(s, "error: NUL byte", test_error_nul_byte) ||
        !CU_add_test(s, "file of exactly the size limit", test_load_size_limit) ||
        !CU_add_test(s, "error: NUL byte in a comment (regression)",
                     test_error_nul_byte_in_comment) ||
        !CU_add_test(s, "error: line numbers with CRLF", test_error_line_numbers_crlf) ||
        !CU_add_test(s, "failed parse leaves the struct empty",
                     test_failed_parse_leaves_struct_empty))
        return CU_get_error();
    return CUE_SUCCESS;
}
