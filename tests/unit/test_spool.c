/* test_spool.c: CUnit suite for the writer-thread FILE: the file gets exactly the bytes written,
 * in order, across chunk boundaries and with more chunks than the ring holds; spool_sync makes
 * them readable before fclose; a failed write comes back from fclose with its errno. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "suites.h"

/* A spool on a new temporary file (its path in path[]), chunk bytes a chunk, depth of them. */
static FILE *temp_spool(char *path, size_t size, size_t chunk, unsigned depth, spool_t **h)
{
    snprintf(path, size, "/tmp/spool-test-XXXXXX");
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = spool_open(fd, chunk, depth, h);
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT_PTR_NOT_NULL(*h);
    return f;
}

static char *read_back(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *p = malloc(n > 0 ? (size_t)n : 1);
    *len = p ? fread(p, 1, (size_t)n, f) : 0;
    fclose(f);
    return p;
}

/* Writes of every size from 1 to 300 bytes, a pattern that shows a lost, repeated or reordered
 * piece, through 64-byte chunks, 2 in the ring: thousands of hand-overs. */
static void test_bytes_in_order(void)
{
    char path[64];
    spool_t *h = NULL;
    FILE *f = temp_spool(path, sizeof path, 64, 2, &h);
    size_t total = 0;
    char piece[300];
    for (size_t len = 1; len <= sizeof piece; len++) {
        for (size_t k = 0; k < len; k++)
            piece[k] = (char)('A' + (total + k) % 26);
        CU_ASSERT_EQUAL(fwrite(piece, 1, len, f), len);
        total += len;
        if (len % 50 == 0) /* flushes of partial buffers, too */
            fflush(f);
    }
    CU_ASSERT_EQUAL(fclose(f), 0);
    size_t got = 0;
    char *p = read_back(path, &got);
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(got, total);
    size_t bad = 0;
    for (size_t k = 0; k < got && k < total; k++)
        bad += p[k] != (char)('A' + k % 26);
    CU_ASSERT_EQUAL(bad, 0);
    free(p);
    unlink(path);
}

/* After spool_sync every byte written so far is in the file, while the FILE stays open. */
static void test_sync_makes_bytes_readable(void)
{
    char path[64];
    spool_t *h = NULL;
    FILE *f = temp_spool(path, sizeof path, 4096, 4, &h);
    static char buf[1 << 16];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    for (int line = 0; line < 1000; line++)
        fprintf(f, "line %d\n", line);
    CU_ASSERT_EQUAL(spool_sync(h, f), 0);
    size_t got = 0;
    char *p = read_back(path, &got);
    CU_ASSERT_FATAL(p != NULL);
    size_t want = 0;
    for (int line = 0; line < 1000; line++)
        want += (size_t)snprintf(NULL, 0, "line %d\n", line);
    CU_ASSERT_EQUAL(got, want);
    CU_ASSERT(got >= 7 && memcmp(p + got - 9, "line 999\n", 9) == 0);
    free(p);
    CU_ASSERT_EQUAL(fclose(f), 0);
    unlink(path);
}

/* /dev/full refuses every write with ENOSPC: fclose says so, like an ordinary FILE's. */
static void test_write_error_reported(void)
{
    int fd = open("/dev/full", O_WRONLY);
    if (fd < 0) {
        CU_PASS("no /dev/full here");
        return;
    }
    spool_t *h = NULL;
    FILE *f = spool_open(fd, 128, 2, &h);
    CU_ASSERT_FATAL(f != NULL);
    char piece[1000];
    memset(piece, 'x', sizeof piece);
    for (int k = 0; k < 10; k++)
        fwrite(piece, 1, sizeof piece, f);
    CU_ASSERT_EQUAL(spool_sync(h, f), -1);
    errno = 0;
    CU_ASSERT_EQUAL(fclose(f), EOF);
    CU_ASSERT_EQUAL(errno, ENOSPC);
}

int add_spool_suite(void)
{
    CU_pSuite s = CU_add_suite("spool", NULL, NULL);
    if (!s || !CU_add_test(s, "spool: every byte, in order, across chunks", test_bytes_in_order) ||
        !CU_add_test(s, "spool: spool_sync makes the bytes readable", test_sync_makes_bytes_readable) ||
        !CU_add_test(s, "spool: a failed write comes back from fclose", test_write_error_reported))
        return CU_get_error();
    return 0;
}
