/* test_addrbook.c: CUnit suite for the address interning table: numbers in arrival order, found
 * again through both lookups (the direct table of the simulator's id:0 addresses, the hash of
 * all others), unknown addresses not found, growth keeping every number. */
#include <CUnit/CUnit.h>

#include "addrbook.h"
#include "suites.h"

static void test_numbers_in_order(void)
{
    addrbook_t *b = addrbook_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(addrbook_count(b), 0);
    CU_ASSERT_EQUAL(addrbook_find(b, addr_make(1, 0)), ADDRBOOK_NONE);
    CU_ASSERT_EQUAL(addrbook_intern(b, addr_make(7, 0)), 0);
    CU_ASSERT_EQUAL(addrbook_intern(b, addr_make(3, 8001)), 1);
    CU_ASSERT_EQUAL(addrbook_intern(b, addr_make(7, 0)), 0); /* again: the same number */
    CU_ASSERT_EQUAL(addrbook_intern(b, addr_make(7, 1)), 2); /* another port: another address */
    CU_ASSERT_EQUAL(addrbook_count(b), 3);
    CU_ASSERT_EQUAL(addrbook_find(b, addr_make(3, 8001)), 1);
    CU_ASSERT_EQUAL(addrbook_find(b, addr_make(3, 0)), ADDRBOOK_NONE);
    CU_ASSERT(addr_eq(addrbook_addr(b, 2), addr_make(7, 1)));
    addrbook_free(b);
}

/* Thousands of addresses of both kinds, interleaved, some with ids far beyond the direct table:
 * every one keeps its number through the growth of both tables. */
static void test_growth_keeps_numbers(void)
{
    addrbook_t *b = addrbook_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    const uint32_t n = 6000;
    for (uint32_t k = 0; k < n; k++) {
        addr_t a = k % 3 == 0 ? addr_make(k + 1, 0)
                 : k % 3 == 1 ? addr_make(0x0a000000u + k, (uint16_t)(1000 + k))
                              : addr_make(0xfff00000u + k, 0);
        CU_ASSERT_EQUAL(addrbook_intern(b, a), k);
    }
    CU_ASSERT_EQUAL(addrbook_count(b), n);
    for (uint32_t k = 0; k < n; k++) {
        addr_t a = addrbook_addr(b, k);
        CU_ASSERT_EQUAL(addrbook_find(b, a), k);
    }
    CU_ASSERT_EQUAL(addrbook_find(b, addr_make(n + 5, 0)), ADDRBOOK_NONE);
    CU_ASSERT_EQUAL(addrbook_find(b, addr_make(0x0a000000u, 1)), ADDRBOOK_NONE);
    addrbook_free(b);
}

int add_addrbook_suite(void)
{
    CU_pSuite s = CU_add_suite("addrbook", NULL, NULL);
    if (!s || !CU_add_test(s, "numbers in arrival order, found again", test_numbers_in_order) ||
        !CU_add_test(s, "growth keeps every number (direct and hashed)", test_growth_keeps_numbers))
        return CU_get_error();
    return 0;
}
