/* test_journal.c: the durable store file of node processes (journal.c): records read back in
 * order, a tail cut at every byte of the last record dropped (and the file cut there), a damaged
 * record and everything after it dropped, the store's journal hook, and the rewrite that keeps
 * the file near the size of the store. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "store.h"
#include "suites.h"

typedef struct {
    store_t *s;
    unsigned n;
} loaded_t;

static void load(void *ctx, const char *key, const char *value, kv_version_t v, bool deleted,
                 bool removed)
{
    loaded_t *l = ctx;
    l->n++;
    if (removed)
        store_remove(l->s, key, strlen(key));
    else
        store_put(l->s, key, strlen(key), value, strlen(value), v, deleted, 0);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* A journal with three changes made through a store's hook: k1=a, k2=b, k1 deleted. */
static long write_three(const char *path)
{
    unlink(path);
    loaded_t l = { store_new(), 0 };
    journal_info_t info;
    char err[256];
    journal_t *j = journal_open(path, load, &l, &info, err, sizeof err);
    CU_ASSERT_FATAL(j != NULL);
    journal_watch(j, l.s);
    store_set_journal(l.s, journal_record, j);
    store_put(l.s, "k1", 2, "a", 1, (kv_version_t){ 1, 1 }, false, 0);
    store_put(l.s, "k2", 2, "b", 1, (kv_version_t){ 2, 1 }, false, 0);
    long two = file_size(path);
    store_put(l.s, "k1", 2, "", 0, (kv_version_t){ 3, 1 }, true, 0);
    store_put(l.s, "k1", 2, "old", 3, (kv_version_t){ 2, 9 }, false, 0); /* stale: not written */
    journal_close(j);
    store_free(l.s);
    return two;
}

static void test_read_back_and_torn_tail(void)
{
    char path[] = "/tmp/test-journal-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    long two = write_three(path);
    long all = file_size(path);
    CU_ASSERT(two > 0 && all > two);
    loaded_t l = { store_new(), 0 };
    journal_info_t info;
    char err[256];
    journal_t *j = journal_open(path, load, &l, &info, err, sizeof err);
    CU_ASSERT_FATAL(j != NULL);
    CU_ASSERT_EQUAL(info.records, 3);
    CU_ASSERT_EQUAL(info.torn_bytes, 0);
    const store_item_t *k1 = store_get(l.s, "k1", 2);
    CU_ASSERT_FATAL(k1 != NULL);
    CU_ASSERT_TRUE(k1->deleted);
    CU_ASSERT_EQUAL(k1->version.stamp, 3);
    CU_ASSERT_STRING_EQUAL(store_get(l.s, "k2", 2)->value, "b");
    journal_close(j);
    store_free(l.s);
    /* Cut short at every byte of the last record: the first two come back, the file is cut. */
    for (long cut = two; cut < all; cut++) {
        write_three(path);
        CU_ASSERT_EQUAL_FATAL(truncate(path, cut), 0);
        loaded_t m = { store_new(), 0 };
        j = journal_open(path, load, &m, &info, err, sizeof err);
        CU_ASSERT_FATAL(j != NULL);
        CU_ASSERT_EQUAL(info.records, 2);
        CU_ASSERT_EQUAL(info.torn_bytes, (uint64_t)(cut - two));
        CU_ASSERT_EQUAL(file_size(path), two);
        CU_ASSERT_FALSE(store_get(m.s, "k1", 2)->deleted);
        journal_close(j);
        store_free(m.s);
    }
    /* A damaged byte in the second record: only the first comes back. */
    write_three(path);
    FILE *f = fopen(path, "r+b");
    CU_ASSERT_FATAL(f != NULL);
    fseek(f, two - 6, SEEK_SET);
    fputc('X', f);
    fclose(f);
    loaded_t d = { store_new(), 0 };
    j = journal_open(path, load, &d, &info, err, sizeof err);
    CU_ASSERT_FATAL(j != NULL);
    CU_ASSERT_EQUAL(info.records, 1);
    CU_ASSERT_PTR_NULL(store_get(d.s, "k2", 2));
    journal_close(j);
    store_free(d.s);
    unlink(path);
}

/* 20,000 updates of one key: the file is rewritten as the store, not 20,000 records. */
static void test_rewrite_keeps_it_small(void)
{
    char path[] = "/tmp/test-journal-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    loaded_t l = { store_new(), 0 };
    journal_info_t info;
    char err[256];
    journal_t *j = journal_open(path, load, &l, &info, err, sizeof err);
    CU_ASSERT_FATAL(j != NULL);
    journal_watch(j, l.s);
    store_set_journal(l.s, journal_record, j);
    char v[16];
    for (uint64_t i = 1; i <= 20000; i++) {
        snprintf(v, sizeof v, "v%llu", (unsigned long long)i);
        store_put(l.s, "hot", 3, v, strlen(v), (kv_version_t){ i, 1 }, false, 0);
    }
    store_put(l.s, "gone", 4, "x", 1, (kv_version_t){ 1, 1 }, false, 0);
    store_remove(l.s, "gone", 4);
    CU_ASSERT(file_size(path) < 200 * 1024);
    CU_ASSERT_EQUAL(journal_errors(j), 0);
    journal_close(j);
    store_free(l.s);
    loaded_t m = { store_new(), 0 };
    j = journal_open(path, load, &m, &info, err, sizeof err);
    CU_ASSERT_FATAL(j != NULL);
    CU_ASSERT_STRING_EQUAL(store_get(m.s, "hot", 3)->value, "v20000");
    CU_ASSERT_PTR_NULL(store_get(m.s, "gone", 4));
    CU_ASSERT_EQUAL(store_size(m.s), 1);
    journal_close(j);
    store_free(m.s);
    unlink(path);
}

int add_journal_suite(void)
{
    CU_pSuite s = CU_add_suite("journal", NULL, NULL);
    if (!s || !CU_add_test(s, "read back in order; a torn or damaged tail dropped and cut",
                           test_read_back_and_torn_tail) ||
        !CU_add_test(s, "rewritten as the store when it grows", test_rewrite_keeps_it_small))
        return CU_get_error();
    return CUE_SUCCESS;
}
