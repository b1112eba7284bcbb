/* main.c: the command line of ./Application. Validates everything (flags, testcase) before
 * any output file is opened, so a run that cannot start leaves earlier logs untouched. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "console.h"
#include "real.h"
#include "scenario.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fputs("usage: ./Application <testcase> [--seed N] [--dump-state FILE] [--trace FILE\n"
          "                     [--trace-messages]] [--report FILE.html [--report-key K]]\n"
          "       ./Application --check <testcase>\n"
          "       ./Application --console [<testcase>] [--seed N] [--dump-state FILE]\n"
          "       ./Application --node --listen ADDR:PORT [--join ADDR:PORT] [--tick-ms MS]\n"
          "                     [--log FILE] [--data-dir DIR] [--cluster-key FILE] [--size N]\n"
          "                     [--seed N]\n"
          "       ./Application --help | --version\n"
          "\n"
          "Runs the scenario in <testcase> (for example testcases/singlefailure.conf) and writes\n"
          "dbg.log, stats.log and msgcount.log into the current directory.\n"
          "\n"
          "  --seed N     seed of the run's random generator (0 to 18446744073709551615);\n"
          "               without it the seed comes from the clock. Either way it is printed\n"
          "               and written to stats.log: the same seed replays the same run.\n"
          "  --dump-state FILE  at the end of the run, write every live node's ring position\n"
          "               and the keys it holds (value and version) to FILE (README,\n"
          "               \"Final-state dump\")\n"
          "  --trace FILE write a JSON Lines trace of the run to FILE: one object per line\n"
          "               for every node, membership, operation, transfer, fault window and\n"
          "               verdict event (README, \"Trace\"); dbg.log is unchanged\n"
          "  --trace-messages  the trace also has a line per message sent, delivered or lost\n"
          "  --report FILE.html  write a self-contained HTML report of the run: summary,\n"
          "               membership timeline, traffic, operations, the ring, message\n"
          "               diagrams, per-node table (README, \"Report\")\n"
          "  --report-key K  the report also draws the messages of the operations on key K\n"
          "  --check      validate the testcase and print what it will do; run nothing and\n"
          "               write nothing\n"
          "  --console    start the ring (the testcase's, or 10 nodes) and read commands:\n"
          "               step, create/read/update/delete, faults in the testcase language,\n"
          "               where, ring, members, stats, log, check, save (README, \"Console\");\n"
          "               type help. Commands may come from a pipe as well as a terminal\n"
          "  --node       run one node as a process over UDP (README, \"Real nodes\"):\n"
          "               --listen ADDR:PORT its address (an IPv4 address, port 1-32767);\n"
          "               --join ADDR:PORT a member to join through (none: it starts the\n"
          "               group); --tick-ms MS wall-clock milliseconds per tick (100);\n"
          "               --log FILE its dbg.log lines (dbg.log, in DIR with --data-dir);\n"
          "               --data-dir DIR keeps its store there across restarts;\n"
          "               --cluster-key FILE signs every datagram (HMAC-SHA256) and drops\n"
          "               those that are not signed with it; --size N the group size its\n"
          "               timeouts are set for (16). SIGTERM or SIGINT makes it leave\n"
          "  -h, --help     this text\n"
          "  -V, --version  the program's version\n"
          "\n"
          "Exit status: 0 when the run completed (and every expectation passed), 1 if an\n"
          "output file could not be written, 2 for a bad command line or testcase file\n"
          "(nothing is written then), 3 if an expectation of the testcase failed.\n",
          f);
}

static int parse_seed(const char *s, uint64_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE || *end)
        return -1;
    *out = v;
    return 0;
}

static uint64_t clock_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^
                 ((uint64_t)getpid() << 32);
    return x % 1000000000000ULL; /* short enough to retype */
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("Application: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (try ./Application --help)\n", stderr);
    return EXIT_USAGE;
}

/* An option that takes a string: "--name VALUE" or "--name=VALUE", at most once. */
typedef struct {
    const char *name;
    const char *what; /* what the value is, for messages */
    const char **value;
} string_opt_t;

/* If argv[*i] (a) is one of opts: stores its value (*i moves past a separate one) and returns 1,
 * or says what is wrong and returns -1. 0 if it is none of them. */
static int string_option(const char *a, int argc, char **argv, int *i, const string_opt_t *opts,
                         size_t n)
{
    for (size_t k = 0; k < n; k++) {
        size_t len = strlen(opts[k].name);
        if (strncmp(a, opts[k].name, len) != 0 || (a[len] != '\0' && a[len] != '='))
            continue;
        const char *v = a[len] == '=' ? a + len + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
        char what[48];
        snprintf(what, sizeof what, "%%s needs %s", opts[k].what);
        if (!v || !*v)
            return usage_error(what, opts[k].name), -1;
        if (*opts[k].value)
            return usage_error("%s given twice", opts[k].name), -1;
        *opts[k].value = v;
        return 1;
    }
    return 0;
}

/* --check's summary: what the file makes the run do, every kind counted. */
static void print_summary(const char *testcase, const scenario_t *sc)
{
    static const char *const names[] = {
        [EV_FAIL_RANDOM_NODE] = "random failure", [EV_FAIL_RANDOM_BLOCK] = "block failure",
        [EV_KV_INSERT] = "key insertion", [EV_FAIL_REPLICAS] = "replica failure",
        [EV_FAIL_NON_REPLICA] = "non-replica failure", [EV_KV_OP] = "operation",
        [EV_FAIL_NODE] = "node failure", [EV_FAIL_RANDOM] = "random failure",
        [EV_FAIL_ROLE] = "replica failure", [EV_EXPECT_REMOVED] = "removal check",
        [EV_RESTART] = "restart", [EV_ADD_NODES] = "addition", [EV_WORKLOAD] = "workload",
        [EV_EXPECT_REPLICATED] = "replication check", [EV_EXPECT_NO_LOST_WRITES] = "lost-write check",
        [EV_PAUSE] = "pause", [EV_EXPECT_CONVERGED] = "membership check",
        [EV_EXPECT_LISTED] = "listing check", [EV_EXPECT_KEY_ON] = "key count check",
    };
    enum { NKINDS = sizeof names / sizeof names[0] };
    size_t count[NKINDS] = { 0 };
    for (size_t i = 0; i < sc->nevents; i++)
        if ((size_t)sc->events[i].kind < NKINDS)
            count[sc->events[i].kind]++;
    /* the same name for kinds that read the same: counted once, under the first */
    for (size_t k = 0; k < NKINDS; k++)
        for (size_t j = k + 1; j < NKINDS; j++)
            if (names[k] && names[j] && strcmp(names[k], names[j]) == 0) {
                count[k] += count[j];
                count[j] = 0;
            }
    size_t w[6] = { sc->nloss, 0, 0, 0, 0, 0 }; /* loss, partition, delay, reorder, dup, link loss */
    for (size_t i = 0; i < sc->nlinks; i++) {
        const link_spec_t *l = &sc->links[i];
        w[l->cut ? 1 : l->delay ? 2 : l->reorder ? 3 : l->duplicate > 0.0 ? 4 : 5]++;
    }
    printf("%s: valid: %u nodes, %u ticks, %zu events (%zu with expectations)", testcase,
           (unsigned)sc->nodes, (unsigned)app_ticks(sc), sc->nevents, sc->nexpect);
    const char *sep = ": ";
    for (size_t k = 0; k < NKINDS; k++)
        if (count[k] && names[k]) {
            printf("%s%zu %s%s", sep, count[k], names[k], count[k] == 1 ? "" : "s");
            sep = ", ";
        }
    static const char *const wnames[] = { "loss window", "partition", "delay window",
                                          "reorder window", "duplication window",
                                          "lossy-link window" };
    printf("; %zu loss window%s", w[0], w[0] == 1 ? "" : "s");
    for (size_t k = 1; k < 6; k++)
        if (w[k])
            printf(", %zu %s%s", w[k], wnames[k], w[k] == 1 ? "" : "s");
    printf("\n");
}

int main(int argc, char **argv)
{
    const char *testcase = NULL;
    uint64_t seed = 0;
    const char *state_path = NULL, *trace_path = NULL, *report_path = NULL, *report_key = NULL;
    const char *listen = NULL, *join = NULL, *log_path = NULL, *tick_text = NULL, *data_dir = NULL,
               *key_path = NULL, *size_text = NULL;
    const string_opt_t named[] = {
        { "--dump-state", "a file name", &state_path }, { "--trace", "a file name", &trace_path },
        { "--report", "a file name", &report_path }, { "--report-key", "a key", &report_key },
        { "--listen", "ADDR:PORT", &listen }, { "--join", "ADDR:PORT", &join },
        { "--log", "a file name", &log_path }, { "--tick-ms", "milliseconds", &tick_text },
        { "--data-dir", "a directory", &data_dir }, { "--cluster-key", "a file", &key_path },
        { "--size", "a number of nodes", &size_text },
    };
    enum { NNAMED = sizeof named / sizeof named[0] };
    int taken;
    bool seed_given = false, options_done = false, check_only = false, trace_messages = false;
    bool console = false, node = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && a[0] == '-' && a[1] != '\0') {
            if (!strcmp(a, "--")) {
                options_done = true;
            } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                usage(stdout);
                return 0;
            } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
                printf("Application %s\n", APP_VERSION);
                return 0;
            } else if (!strcmp(a, "--seed") || !strncmp(a, "--seed=", 7)) {
                const char *v = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);
                if (!v)
                    return usage_error("%s needs a value", "--seed");
                if (seed_given)
                    return usage_error("%s given twice", "--seed");
                if (parse_seed(v, &seed) != 0)
                    return usage_error("--seed: '%s' is not a whole number from 0 to "
                                       "18446744073709551615", v);
                seed_given = true;
            } else if (!strcmp(a, "--check")) {
                check_only = true;
            } else if (!strcmp(a, "--console")) {
                console = true;
            } else if (!strcmp(a, "--node")) {
                node = true;
            } else if (!strcmp(a, "--trace-messages")) {
                trace_messages = true;
            } else if ((taken = string_option(a, argc, argv, &i, named, NNAMED)) != 0) {
                if (taken < 0)
                    return EXIT_USAGE;
            } else {
                return usage_error("unknown option '%s'", a);
            }
        } else if (testcase) {
            return usage_error("more than one testcase given ('%s')", a);
        } else {
            testcase = a;
        }
    }
    if (!node && (listen || join || log_path || tick_text || data_dir || key_path || size_text))
        return usage_error("%s needs --node", listen ? "--listen" : join ? "--join" :
                                                  log_path ? "--log" : tick_text ? "--tick-ms"
                                                  : data_dir ? "--data-dir"
                                                  : key_path ? "--cluster-key" : "--size");
    if (node) {
        if (testcase || console || check_only || trace_path || report_path || state_path)
            return usage_error("%s: a node process runs no testcase and writes only its log",
                               "--node");
        if (!listen)
            return usage_error("%s needs --listen ADDR:PORT", "--node");
        uint64_t ms = 100;
        if (tick_text && (parse_seed(tick_text, &ms) != 0 || ms < 50 || ms > 60000))
            return usage_error("--tick-ms: '%s' is not a number of milliseconds from 50 to 60000",
                               tick_text);
        uint64_t size = 16;
        if (size_text && (parse_seed(size_text, &size) != 0 || size < 1 || size > 100000))
            return usage_error("--size: '%s' is not a number of nodes from 1 to 100000",
                               size_text);
        real_opts_t ro = { .size = (uint32_t)size, .listen = listen, .join = join, .log_path = log_path,
                           .data_dir = data_dir, .key_path = key_path, .tick_ms = (uint32_t)ms,
                           .seed = seed_given ? seed : clock_seed() };
        return real_main(&ro);
    }
    if (console && (check_only || trace_path || report_path))
        return usage_error("%s: a console session has no trace or report (save it, then replay "
                           "the file with them) and is not checked (--check FILE is)",
                           check_only ? "--check" : trace_path ? "--trace" : "--report");
    if (!testcase && !console) {
        fputs("Application: no testcase given\n", stderr);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (trace_messages && !trace_path)
        return usage_error("%s needs --trace FILE", "--trace-messages");
    if (report_key && !report_path)
        return usage_error("%s needs --report FILE.html", "--report-key");
    /* Each output file once: none may be another's, or one of the run's own. */
    const char *paths[] = { "dbg.log", "stats.log", "msgcount.log", state_path, trace_path,
                            report_path };
    static const char *const flags[] = { NULL, NULL, NULL, "--dump-state", "--trace", "--report" };
    for (size_t k = 3; k < 6; k++)
        for (size_t j = 0; j < k; j++)
            if (paths[k] && paths[j] && !strcmp(paths[k], paths[j])) {
                if (j < 3)
                    fprintf(stderr, "Application: %s: '%s' is one of the run's own outputs",
                            flags[k], paths[k]);
                else
                    fprintf(stderr, "Application: %s and %s both name '%s'", flags[j], flags[k],
                            paths[k]);
                fputs(" (try ./Application --help)\n", stderr);
                return EXIT_USAGE;
            }

    if (console) {
        console_opts_t co = { .file = testcase, .seed = seed, .seed_given = seed_given,
                              .seed_default = clock_seed(), .state_path = state_path };
        return console_main(&co);
    }
    scenario_t sc;
    char err[SCENARIO_ERR_LEN];
    if (scenario_load(testcase, &sc, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_USAGE;
    }
    if (sc.warnings)
        fputs(sc.warnings, stderr);
    if (check_only) {
        print_summary(testcase, &sc);
        scenario_free(&sc);
        return 0;
    }
    if (!seed_given)
        seed = sc.seed_set ? sc.seed : clock_seed();
    printf("seed: %llu (replay with: ./Application %s --seed %llu)\n", (unsigned long long)seed,
           testcase, (unsigned long long)seed);
    fflush(stdout);

    app_opts_t opts = {
        .testcase = testcase,
        .seed = seed,
        .dbg_path = "dbg.log",
        .stats_path = "stats.log",
        .msgcount_path = "msgcount.log",
        .state_path = state_path,
        .trace_path = trace_path,
        .trace_messages = trace_messages,
        .report_path = report_path,
        .report_key = report_key,
        .out = stdout,
    };
    int rc = app_run(&sc, &opts);
    scenario_free(&sc);
    return rc;
}
