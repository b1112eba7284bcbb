/* unit_main.c: the CUnit runner for every unit suite. Prints CUnit's report, then one closing
 * line "unit: N passed, M failed" (tests), and exits non-zero if any test failed. */
#include <CUnit/Basic.h>
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
                                    add_report_suite, add_journal_suite };
    for (size_t i = 0; i < sizeof adders / sizeof adders[0]; i++)
        if (adders[i]() != CUE_SUCCESS) {
            fprintf(stderr, "unit: cannot register suite %zu: %s\n", i, CU_get_error_msg());
            CU_cleanup_registry();
            return 2;
        }
    CU_basic_set_mode(argc > 1 && !strcmp(argv[1], "-v") ? CU_BRM_VERBOSE : CU_BRM_NORMAL);
    CU_basic_run_tests();
    unsigned run = CU_get_number_of_tests_run();
    unsigned failed = CU_get_number_of_tests_failed();
    printf("\nunit: %u passed, %u failed\n", run - failed, failed);
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
