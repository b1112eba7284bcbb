/* test_log.c: CUnit suite for the dbg.log writers: the hand-formatted membership line has the
 * very bytes of the printf-formatted one, for every shape of address and tick. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "suites.h"

typedef struct {
    addr_t who;
    uint32_t tick;
    addr_t member;
    const char *what;
} line_t;

/* Both writers on the same lines, each through one log for all of them; their output must be
 * identical. */
static void compare_lines(const line_t *lines, size_t n)
{
    char *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    FILE *fa = open_memstream(&a, &alen), *fb = open_memstream(&b, &blen);
    CU_ASSERT_FATAL(fa && fb);
    log_t la, lb;
    log_init(&la, fa, NULL);
    log_init(&lb, fb, NULL);
    for (size_t i = 0; i < n; i++) {
        const line_t *l = &lines[i];
        char text[ADDR_STRLEN];
        log_event(&la, l->who, l->tick, "Node %s %s at time %u", addr_format(l->member, text),
                  l->what, (unsigned)l->tick);
        log_member(&lb, l->who, l->tick, l->member, l->what);
    }
    fclose(fa);
    fclose(fb);
    CU_ASSERT_EQUAL(la.lines, lb.lines);
    CU_ASSERT_EQUAL(alen, blen);
    CU_ASSERT_STRING_EQUAL(a, b);
    if (strcmp(a, b) != 0)
        fprintf(stderr, "\n  printf:\n%s  by hand:\n%s", a, b);
    free(a);
    free(b);
}

static void compare(addr_t who, uint32_t tick, addr_t member, const char *what)
{
    line_t l = { who, tick, member, what };
    compare_lines(&l, 1);
}

static void test_member_line_bytes(void)
{
    const addr_t addrs[] = { addr_make(1, 0), addr_make(10, 0), addr_make(256, 0),
                             addr_make(0x04030201, 8001), addr_make(UINT32_MAX, 32767),
                             addr_make(7, 0x8000), addr_make(9, 0xffff), addr_make(0, 0),
                             addr_make(100000, 1234) };
    const uint32_t ticks[] = { 0, 9, 10, 699, 100000, UINT32_MAX };
    const size_t na = sizeof addrs / sizeof addrs[0];
    for (size_t i = 0; i < na; i++)
        for (size_t t = 0; t < sizeof ticks / sizeof ticks[0]; t++) {
            compare(addrs[i], ticks[t], addrs[(i + 3) % na], "joined");
            compare(addrs[(i + 5) % na], ticks[t], addrs[i], "removed");
        }
}

/* addr_put against snprintf's addr_format: every value of every byte (shifted through the four
 * positions), and every port. */
static void test_addr_put_every_byte(void)
{
    unsigned bad = 0;
    for (uint32_t v = 0; v < 65536 * 4; v++) {
        uint32_t b = v % 256, pos = (v / 256) % 4;
        uint32_t id = (b << (8 * pos)) | ((v / 1024) % 256) << (8 * ((pos + 1) % 4));
        addr_t a = addr_make(id, (uint16_t)(v * 7));
        char want[ADDR_STRLEN], got[ADDR_STRLEN + 8];
        addr_format(a, want);
        *addr_put(got, a) = '\0';
        if (strcmp(want, got) != 0 && bad++ < 3)
            fprintf(stderr, "\n  addr_format: %s  addr_put: %s", want, got);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

/* One log over a sequence of lines: the parts log_member keeps from line to line (the node and
 * tick prefix, the tick suffix) follow every change of node, of tick, and of both. */
static void test_member_lines_in_sequence(void)
{
    static const struct { uint32_t who, tick, member; const char *what; } seq[] = {
        { 1, 5, 2, "joined" },  { 1, 5, 3, "joined" },   { 2, 5, 1, "joined" },
        { 2, 6, 3, "removed" }, { 1, 6, 3, "removed" },  { 1, 7, 300, "joined" },
        { 1, 7, 2, "removed" }, { 300, 1000, 1, "joined" }, { 2, 1000, 1, "joined" },
        { 2, 99, 1, "removed" },
    };
    enum { N = sizeof seq / sizeof seq[0] };
    line_t lines[N];
    for (size_t i = 0; i < N; i++)
        lines[i] = (line_t){ addr_make(seq[i].who, 0), seq[i].tick, addr_make(seq[i].member, 0),
                             seq[i].what };
    compare_lines(lines, N);
}

/* Without a stream the line is counted, not written. */
static void test_member_line_counted_without_stream(void)
{
    log_t l;
    log_init(&l, NULL, NULL);
    log_member(&l, addr_make(1, 0), 5, addr_make(2, 0), "joined");
    CU_ASSERT_EQUAL(l.lines, 1);
}

int add_log_suite(void)
{
    CU_pSuite s = CU_add_suite("log", NULL, NULL);
    if (!s || !CU_add_test(s, "membership line: the same bytes as printf's", test_member_line_bytes) ||
        !CU_add_test(s, "membership lines in sequence: cached parts follow node and tick",
                     test_member_lines_in_sequence) ||
        !CU_add_test(s, "membership line without a stream: counted", test_member_line_counted_without_stream) ||
        !CU_add_test(s, "addr_put: every byte value and port as addr_format writes them", test_addr_put_every_byte))
        return CU_get_error();
    return 0;
}
