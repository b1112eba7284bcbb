/* test_rng.c: unit tests for rng (seeded xoshiro256** via splitmix64): reproducibility,
 * seed sensitivity, a known-answer vector, rng_below range and uniformity, rng_unit range. */
#include <CUnit/CUnit.h>
#include <stdint.h>

#include "rng.h"
#include "suites.h"

/* Chi-square statistic of `counts` against a uniform expectation over k buckets. */
static double chi_square(const uint32_t *counts, uint32_t k, uint32_t draws)
{
    double expected = (double)draws / k, chi = 0.0;
    for (uint32_t i = 0; i < k; i++) {
        double d = counts[i] - expected;
        chi += d * d / expected;
    }
    return chi;
}

static void test_same_seed_same_sequence(void)
{
    rng_t a, b;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    int mismatches = 0;
    for (int i = 0; i < 1000; i++)
        mismatches += rng_next(&a) != rng_next(&b);
    for (int i = 0; i < 1000; i++)
        mismatches += rng_below(&a, 1000) != rng_below(&b, 1000);
    for (int i = 0; i < 1000; i++)
        mismatches += rng_unit(&a) != rng_unit(&b);
    CU_ASSERT_EQUAL(mismatches, 0);

    /* Reseeding restarts the sequence from the beginning. */
    uint64_t first[16];
    rng_seed(&a, 7);
    for (int i = 0; i < 16; i++)
        first[i] = rng_next(&a);
    rng_seed(&a, 7);
    mismatches = 0;
    for (int i = 0; i < 16; i++)
        mismatches += rng_next(&a) != first[i];
    CU_ASSERT_EQUAL(mismatches, 0);
}

static void test_different_seeds_differ(void)
{
    const uint64_t seeds[] = { 0, 1, 2, 42, 43, 0x8000000000000000ULL, UINT64_MAX };
    enum { NS = sizeof seeds / sizeof seeds[0], LEN = 8 };
    uint64_t out[NS][LEN];
    for (int s = 0; s < NS; s++) {
        rng_t r;
        rng_seed(&r, seeds[s]);
        for (int i = 0; i < LEN; i++)
            out[s][i] = rng_next(&r);
    }
    /* 64-bit outputs of distinct seeds should never coincide at the same position. */
    int same = 0;
    for (int s = 0; s < NS; s++)
        for (int t = s + 1; t < NS; t++)
            for (int i = 0; i < LEN; i++)
                same += out[s][i] == out[t][i];
    CU_ASSERT_EQUAL(same, 0);

    /* Neighbouring seeds also give different bounded draws (not just different raw words). */
    rng_t a, b;
    rng_seed(&a, 1000);
    rng_seed(&b, 1001);
    int equal_draws = 0;
    for (int i = 0; i < 100; i++)
        equal_draws += rng_below(&a, 1000000) == rng_below(&b, 1000000);
    CU_ASSERT(equal_draws < 5); /* expected 100 / 1e6 coincidences */
}

/* Reference values computed with an independent implementation of splitmix64 seeding and
 * xoshiro256** (Blackman & Vigna reference code): same seed, same run, across versions. */
static void test_known_answer(void)
{
    rng_t r;
    rng_seed(&r, 0);
    CU_ASSERT_EQUAL(rng_next(&r), 0x99ec5f36cb75f2b4ULL);
    CU_ASSERT_EQUAL(rng_next(&r), 0xbf6e1f784956452aULL);
    CU_ASSERT_EQUAL(rng_next(&r), 0x1a5f849d4933e6e0ULL);
    CU_ASSERT_EQUAL(rng_next(&r), 0x6aa594f1262d2d2cULL);
    rng_seed(&r, 12345);
    CU_ASSERT_EQUAL(rng_next(&r), 0xbe6a36374160d49bULL);
    CU_ASSERT_EQUAL(rng_next(&r), 0x214aaa0637a688c6ULL);
    CU_ASSERT_EQUAL(rng_next(&r), 0xf69d16de9954d388ULL);
    CU_ASSERT_EQUAL(rng_next(&r), 0x0c60048c4e96e033ULL);
}

static void test_below_in_range(void)
{
    const uint32_t ns[] = { 1, 2, 3, 7, 10, 1000, 0x7FFFFFFFu, 0x80000000u, 0x80000001u,
                            UINT32_MAX - 1, UINT32_MAX };
    rng_t r;
    rng_seed(&r, 2024);
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        uint32_t n = ns[k], max_seen = 0, out_of_range = 0;
        for (int i = 0; i < 100000; i++) {
            uint32_t x = rng_below(&r, n);
            out_of_range += x >= n;
            if (x > max_seen)
                max_seen = x;
        }
        CU_ASSERT_EQUAL(out_of_range, 0);
        if (n == 1) {
            CU_ASSERT_EQUAL(max_seen, 0);
        } else {
            /* 100000 draws: the maximum is below n/2 with probability about 2^-100000. */
            CU_ASSERT(max_seen >= n / 2);
        }
    }
}

/* Critical values of chi-square at p = 1e-6 (computed from the regularized incomplete gamma):
 * df 6: 38.26, df 9: 44.81, df 15: 56.49, df 99: 180.79. A correct generator exceeds them once
 * in a million runs; the seed is fixed, so the test is deterministic anyway. */
static void test_below_uniform_chi_square(void)
{
    static const struct {
        uint32_t n;
        double critical;
    } cases[] = { { 7, 38.26 }, { 10, 44.81 }, { 16, 56.49 }, { 100, 180.79 } };
    enum { DRAWS = 100000 };
    rng_t r;
    rng_seed(&r, 99);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint32_t counts[100] = { 0 };
        uint32_t n = cases[k].n;
        for (int i = 0; i < DRAWS; i++)
            counts[rng_below(&r, n)]++;
        double chi = chi_square(counts, n, DRAWS);
        CU_ASSERT(chi < cases[k].critical);
        /* Per-bucket sanity: every bucket within 6 sigma of its expectation. */
        double e = (double)DRAWS / n, var = e * (1.0 - 1.0 / n); /* binomial variance */
        for (uint32_t b = 0; b < n; b++) {
            double d = counts[b] - e;
            CU_ASSERT(d * d <= 36.0 * var);
        }
    }
}

/* n = 3 * 2^30: with a plain "x % n" on 32-bit words, values below 2^30 would come up with
 * probability 1/2 instead of 1/3. Unbiased draws give 1/3, sigma = sqrt(2/9 / 1e5) = 0.0015;
 * the bound is 6 sigma. Also a large odd n split into two halves. */
static void test_below_no_modulo_bias(void)
{
    enum { DRAWS = 100000 };
    rng_t r;
    rng_seed(&r, 5);
    uint32_t n = 0xC0000000u, low = 0;
    for (int i = 0; i < DRAWS; i++)
        low += rng_below(&r, n) < 0x40000000u;
    double frac = (double)low / DRAWS;
    CU_ASSERT_DOUBLE_EQUAL(frac, 1.0 / 3.0, 0.009);

    n = UINT32_MAX;
    uint32_t upper = 0;
    for (int i = 0; i < DRAWS; i++)
        upper += rng_below(&r, n) >= n / 2;
    /* p = 1/2, sigma = 0.00158: 6 sigma = 0.0095. */
    CU_ASSERT_DOUBLE_EQUAL((double)upper / DRAWS, 0.5, 0.0095);
}

static void test_unit_range_and_distribution(void)
{
    enum { DRAWS = 1000000 };
    rng_t r;
    rng_seed(&r, 31337);
    uint32_t counts[10] = { 0 }, outside = 0;
    double sum = 0.0, min = 1.0, max = 0.0;
    for (int i = 0; i < DRAWS; i++) {
        double u = rng_unit(&r);
        if (!(u >= 0.0 && u < 1.0)) {
            outside++;
            continue;
        }
        sum += u;
        if (u < min)
            min = u;
        if (u > max)
            max = u;
        counts[(int)(u * 10.0)]++;
    }
    CU_ASSERT_EQUAL(outside, 0);
    /* Mean of U[0,1): 0.5, sigma of the mean sqrt(1/12/1e6) = 0.000289; 6 sigma = 0.0017. */
    CU_ASSERT_DOUBLE_EQUAL(sum / DRAWS, 0.5, 0.0017);
    /* With a million draws the extremes lie within 1e-4 of the ends (P(miss) = e^-100). */
    CU_ASSERT(min < 1e-4);
    CU_ASSERT(max > 1.0 - 1e-4);
    CU_ASSERT(chi_square(counts, 10, DRAWS) < 44.81); /* df 9, p = 1e-6 */
}

int add_rng_suite(void)
{
    CU_pSuite s = CU_add_suite("rng", NULL, NULL);
    if (!s)
        return CU_get_error();
    if (!CU_add_test(s, "same seed gives the same sequence", test_same_seed_same_sequence) ||
        !CU_add_test(s, "different seeds give different sequences", test_different_seeds_differ) ||
        !CU_add_test(s, "known-answer vector (splitmix64 + xoshiro256**)", test_known_answer) ||
        !CU_add_test(s, "rng_below(n) < n, n = 1 .. UINT32_MAX", test_below_in_range) ||
        !CU_add_test(s, "rng_below is uniform (chi-square)", test_below_uniform_chi_square) ||
        !CU_add_test(s, "rng_below has no modulo bias", test_below_no_modulo_bias) ||
        !CU_add_test(s, "rng_unit in [0,1) and uniform", test_unit_range_and_distribution))
        return CU_get_error();
    return CUE_SUCCESS;
}
