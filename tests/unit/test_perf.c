/*
 * tests/unit/test_perf.c -- the statistics behind the performance tools
 * (tools/perf/perf.h): percentiles, sampling, throttle, windows, payloads.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "tools/perf/perf.h"

static void test_quantiles_exact(void **state)
{
    kn_perf_lat_t l;

    KN_UNUSED(state);
    kn_perf_lat_init(&l, 1000, 5000);
    /* Added in reverse so the sort matters: 1000, 999, ..., 1 us. */
    for (int v = 1000; v >= 1; v--) {
        kn_perf_lat_add(&l, v);
    }
    assert_int_equal(l.count, 1000);
    assert_int_equal(l.nsamples, 1000);
    assert_int_equal(l.max_us, 1000);
    assert_true(kn_perf_lat_avg_us(&l) > 500.49 && kn_perf_lat_avg_us(&l) < 500.51);
    /* Kafka's rule: the value at index (int)(q * n) of the sorted sample. */
    assert_int_equal(kn_perf_lat_quantile_us(&l, 0.5), 501);
    assert_int_equal(kn_perf_lat_quantile_us(&l, 0.95), 951);
    assert_int_equal(kn_perf_lat_quantile_us(&l, 0.99), 991);
    assert_int_equal(kn_perf_lat_quantile_us(&l, 0.999), 1000);
    assert_int_equal(kn_perf_lat_quantile_us(&l, 1.0), 1000);
    /* Adding after a quantile re-sorts. */
    kn_perf_lat_add(&l, 0);
    assert_int_equal(kn_perf_lat_quantile_us(&l, 0.0), 0);
    kn_perf_lat_free(&l);
}

static void test_sampling_spread(void **state)
{
    kn_perf_lat_t l;

    KN_UNUSED(state);
    /* 1,000,000 values, at most 1000 kept: one in every 1000, spread over
     * the run, while count/avg/max see every value. */
    kn_perf_lat_init(&l, 1000000, 1000);
    assert_int_equal(l.every, 1000);
    for (int i = 0; i < 1000000; i++) {
        kn_perf_lat_add(&l, i < 500000 ? 10 : 20);
    }
    kn_perf_lat_add(&l, 999999);   /* beyond the expected count: not sampled */
    assert_int_equal(l.nsamples, 1000);
    assert_int_equal(l.count, 1000001);
    assert_int_equal(l.max_us, 999999);
    assert_int_equal(kn_perf_lat_quantile_us(&l, 0.25), 10);
    assert_int_equal(kn_perf_lat_quantile_us(&l, 0.75), 20);
    kn_perf_lat_free(&l);
}

static void test_empty_and_negative(void **state)
{
    kn_perf_lat_t l;

    KN_UNUSED(state);
    kn_perf_lat_init(&l, 0, 10);
    assert_int_equal(kn_perf_lat_quantile_us(&l, 0.99), 0);
    assert_true(kn_perf_lat_avg_us(&l) == 0.0);
    /* A clock step backwards must not give a negative latency. */
    kn_perf_lat_add(&l, -5);
    assert_int_equal(kn_perf_lat_quantile_us(&l, 0.5), 0);
    /* Unknown expected count: the first `cap` values are the sample. */
    for (int i = 0; i < 100; i++) {
        kn_perf_lat_add(&l, 7);
    }
    assert_int_equal(l.nsamples, 10);
    kn_perf_lat_free(&l);
}

static void test_throttle(void **state)
{
    kn_perf_throttle_t t;

    KN_UNUSED(state);
    kn_perf_throttle_init(&t, 1000.0, 1000000);   /* 1000/s: one every 1000 us */
    assert_int_equal(kn_perf_throttle_wait_us(&t, 0, 1000000), 0);
    assert_int_equal(kn_perf_throttle_wait_us(&t, 1, 1000000), 1000);
    assert_int_equal(kn_perf_throttle_wait_us(&t, 10, 1004000), 6000);
    /* Behind schedule: send at once (catch up, as Kafka's throttler). */
    assert_int_equal(kn_perf_throttle_wait_us(&t, 10, 1020000), 0);
    /* Sleeps start at 200 us ahead of schedule; less is sent at once. */
    assert_int_equal(kn_perf_throttle_sleep_us(&t, 1, 1000850), 0);
    assert_int_equal(kn_perf_throttle_sleep_us(&t, 1, 1000800), 200);
    assert_int_equal(kn_perf_throttle_sleep_us(&t, 10, 1004000), 6000);
    kn_perf_throttle_init(&t, -1, 0);
    assert_int_equal(kn_perf_throttle_wait_us(&t, 1000000, 0), 0);
    assert_int_equal(kn_perf_throttle_sleep_us(&t, 1000000, 0), 0);
}

static void test_window_and_rates(void **state)
{
    kn_perf_window_t w;

    KN_UNUSED(state);
    kn_perf_window_reset(&w, 42);
    kn_perf_window_add(&w, 100, 300);
    kn_perf_window_add(&w, 100, 100);
    assert_int_equal(w.start_us, 42);
    assert_int_equal(w.count, 2);
    assert_int_equal(w.bytes, 200);
    assert_int_equal(w.lat_max_us, 300);
    assert_true(w.lat_sum_us == 400.0);
    assert_true(kn_perf_rate(500, 2000000) == 250.0);
    assert_true(kn_perf_mb_rate(2 * 1024 * 1024, 1000000) == 2.0);
    assert_true(kn_perf_rate(5, 0) == 0.0);
}

static void test_payload_and_parse(void **state)
{
    unsigned char a[4096], b[4096];
    double r;

    KN_UNUSED(state);
    kn_perf_payload_fill(a, sizeof(a), 1);
    kn_perf_payload_fill(b, sizeof(b), 1);
    assert_memory_equal(a, b, sizeof(a));
    int seen[26] = { 0 };
    for (size_t i = 0; i < sizeof(a); i++) {
        assert_true(a[i] >= 'A' && a[i] <= 'Z');
        seen[a[i] - 'A'] = 1;
    }
    for (int i = 0; i < 26; i++) {
        assert_int_equal(seen[i], 1);
    }
    kn_perf_payload_fill(b, sizeof(b), 2);
    assert_memory_not_equal(a, b, sizeof(a));

    assert_int_equal(kn_perf_parse_rate("-1", &r), KN_OK);
    assert_true(r == -1.0);
    assert_int_equal(kn_perf_parse_rate("2500.5", &r), KN_OK);
    assert_true(r == 2500.5);
    assert_int_equal(kn_perf_parse_rate("", &r), KN_ERROR);
    assert_int_equal(kn_perf_parse_rate("10x", &r), KN_ERROR);
    assert_int_equal(kn_perf_parse_rate("nan", &r), KN_ERROR);
    assert_int_equal(kn_perf_parse_rate(NULL, &r), KN_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantiles_exact),
        cmocka_unit_test(test_sampling_spread),
        cmocka_unit_test(test_empty_and_negative),
        cmocka_unit_test(test_throttle),
        cmocka_unit_test(test_window_and_rates),
        cmocka_unit_test(test_payload_and_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
