/* unit_main.c: the CUnit runner for every unit suite. Prints CUnit's report, then one closing
 * line "unit: N passed, M failed" (tests), and exits non-zero if any test failed.
 * Usage: unit_tests [-v] [WORDS]: -v names each test; WORDS runs only the tests whose name
 * contains them (to watch one test fail when its code is broken). */
#include <CUnit/Basic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "suites.h"

int main(int argc, char **argv)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    int (*const adders[])(void) = { add_rng_suite, add_scenario_suite, add_wire_suite,
                                    add_emulnet_suite, add_membership_suite, add_ring_suite,
                                    add_store_suite, add_quorum_suite, add_kvwire_suite,
                                    add_kvnode_suite, add_log_suite,
                                    add_addrbook_suite, add_trace_suite,
                                    add_report_suite, add_journal_suite, add_spool_suite };
    for (size_t i = 0; i < sizeof adders / sizeof adders[0]; i++)
        if (adders[i]() != CUE_SUCCESS) {
            fprintf(stderr, "unit: cannot register suite %zu: %s\n", i, CU_get_error_msg());
            CU_cleanup_registry();
            return 2;
        }
    int a = 1;
    bool verbose = argc > a && !strcmp(argv[a], "-v");
    a += verbose;
    CU_basic_set_mode(verbose ? CU_BRM_VERBOSE : CU_BRM_NORMAL);
    if (argc > a) { /* only the tests named */
        CU_set_fail_on_inactive(CU_FALSE);
        unsigned chosen = 0;
        for (CU_pSuite s = CU_get_registry()->pSuite; s; s = s->pNext)
            for (CU_pTest t = s->pTest; t; t = t->pNext) {
                bool on = strstr(t->pName, argv[a]) != NULL;
                CU_set_test_active(t, on ? CU_TRUE : CU_FALSE);
                chosen += on;
            }
        if (chosen == 0) {
            fprintf(stderr, "unit: no test name contains \"%s\"\n", argv[a]);
            CU_cleanup_registry();
            return 2;
        }
    }
    CU_basic_run_tests();
    unsigned run = CU_get_number_of_tests_run();
    unsigned failed = CU_get_number_of_tests_failed();
    printf("\nunit: %u passed, %u failed\n", run - failed, failed);
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
