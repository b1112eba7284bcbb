/* suites.h: every CUnit suite of the unit-test runner; one test_<module>.c file per suite. */
#ifndef SUITES_H
#define SUITES_H

/* Each adds its suite and tests to the CUnit registry; returns 0 or a CUnit error code. */
int add_rng_suite(void);
int add_scenario_suite(void);
int add_wire_suite(void);
int add_emulnet_suite(void);
int add_membership_suite(void);
int add_ring_suite(void);
int add_store_suite(void);
int add_quorum_suite(void);
int add_kvwire_suite(void);
int add_kvnode_suite(void);
int add_log_suite(void);
int add_addrbook_suite(void);
int add_trace_suite(void);
int add_report_suite(void);
int add_journal_suite(void);
int add_spool_suite(void);

#endif
