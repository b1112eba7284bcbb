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
#include "scenario.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fputs("usage: ./Application <testcase> [--seed N] [--dump-state FILE]\n"
          "       ./Application --check <testcase>\n"
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
          "  --check      validate the testcase and print what it will do; run nothing and\n"
          "               write nothing\n"
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

int main(int argc, char **argv)
{
    const char *testcase = NULL;
    uint64_t seed = 0;
    const char *state_path = NULL;
    bool seed_given = false, options_done = false, check_only = false;
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
            } else if (!strcmp(a, "--dump-state") || !strncmp(a, "--dump-state=", 13)) {
                const char *v = a[12] == '=' ? a + 13 : (i + 1 < argc ? argv[++i] : NULL);
                if (!v || !*v)
                    return usage_error("%s needs a file name", "--dump-state");
                if (state_path)
                    return usage_error("%s given twice", "--dump-state");
                state_path = v;
            } else {
                return usage_error("unknown option '%s'", a);
            }
        } else if (testcase) {
            return usage_error("more than one testcase given ('%s')", a);
        } else {
            testcase = a;
        }
    }
    if (!testcase) {
        fputs("Application: no testcase given\n", stderr);
        usage(stderr);
        return EXIT_USAGE;
    }

    scenario_t sc;
    char err[SCENARIO_ERR_LEN];
    if (scenario_load(testcase, &sc, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_USAGE;
    }
    if (check_only) {
        size_t expectations = sc.nexpect;
        printf("%s: valid: %u nodes, %u ticks, %zu events (%zu with expectations), %zu loss "
               "window%s\n", testcase, (unsigned)sc.nodes, (unsigned)sc.ticks, sc.nevents,
               expectations, sc.nloss, sc.nloss == 1 ? "" : "s");
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
        .out = stdout,
    };
    int rc = app_run(&sc, &opts);
    scenario_free(&sc);
    return rc;
}
