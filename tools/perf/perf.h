/*
 * tools/perf/perf.h -- what the performance tools share: latency
 * statistics, a throughput throttle, progress windows and payloads.
 *
 * kctl-perf-producer, kctl-perf-consumer and kctl-e2e-latency measure the
 * way Kafka's kafka-producer-perf-test / kafka-consumer-perf-test /
 * EndToEndLatency do, so their figures compare with Kafka's. The pieces
 * here carry no librdkafka state, so they are unit-tested alone
 * (tests/unit/test_perf.c).
 *
 * Times are microseconds from a monotonic clock (kn_perf_now_us).
 */
#ifndef KN_PERF_H
#define KN_PERF_H

#include <stdio.h>

#include "kn.h"

/* Monotonic microseconds. */
int64_t kn_perf_now_us(void);

/* Latency statistics over a run. Every value counts for count, average
 * and maximum; percentiles come from a sample of at most max_samples
 * values, one every `every` records, as Kafka's perf tool keeps at most
 * 500,000 samples however long the run. */
typedef struct {
    int64_t *samples;      /* microseconds, sorted lazily */
    size_t   nsamples;
    size_t   cap;          /* max_samples */
    uint64_t every;        /* keep one value in `every` */
    uint64_t count;        /* values added */
    double   sum_us;
    int64_t  max_us;
    bool     sorted;
} kn_perf_lat_t;

/* expected: how many values the run will add (0 if unknown: the sample
 * is then every value until it is full). */
void    kn_perf_lat_init(kn_perf_lat_t *l, uint64_t expected, size_t max_samples);
void    kn_perf_lat_free(kn_perf_lat_t *l);
void    kn_perf_lat_add(kn_perf_lat_t *l, int64_t us);
double  kn_perf_lat_avg_us(const kn_perf_lat_t *l);
/* The q-quantile (0 < q <= 1) of the sample by the nearest-rank rule
 * (Kafka's: the value at index (int)(q * n)), 0 when empty. */
int64_t kn_perf_lat_quantile_us(kn_perf_lat_t *l, double q);

/* Progress over one reporting window (Kafka prints one line per window). */
typedef struct {
    int64_t  start_us;
    uint64_t count;
    uint64_t bytes;
    double   lat_sum_us;
    int64_t  lat_max_us;
} kn_perf_window_t;

void kn_perf_window_reset(kn_perf_window_t *w, int64_t now_us);
void kn_perf_window_add(kn_perf_window_t *w, uint64_t bytes, int64_t lat_us);

/* Kafka's ThroughputThrottler: keep `rate` records per second on average
 * since start. rate <= 0 means unlimited. */
typedef struct {
    double  rate;
    int64_t start_us;
} kn_perf_throttle_t;

void    kn_perf_throttle_init(kn_perf_throttle_t *t, double rate, int64_t start_us);
/* Microseconds to wait before sending record number `sent` (0-based count
 * of records already sent) so the average stays at rate; 0 = send now. */
int64_t kn_perf_throttle_wait_us(const kn_perf_throttle_t *t, uint64_t sent, int64_t now_us);

/* Waits shorter than this are not slept: the record goes out that much
 * ahead of schedule. Spinning through them (as these tools once did)
 * took a core from the clients and the broker being measured; sleeping
 * in whole milliseconds (as Kafka's throttler, 2 ms) sends bursts that
 * raise the very latency the rate mode measures. */
#define KN_PERF_THROTTLE_MIN_SLEEP_US 200

/* How long to sleep before sending record `sent`: the wait above once it
 * reaches KN_PERF_THROTTLE_MIN_SLEEP_US, else 0 (send now, a little ahead
 * of schedule). */
int64_t kn_perf_throttle_sleep_us(const kn_perf_throttle_t *t, uint64_t sent, int64_t now_us);

/* Sleep us microseconds (nanosleep; an interrupted sleep just returns). */
void kn_perf_sleep_us(int64_t us);

/* Fill buf with random upper-case letters, as Kafka's perf producer does
 * (compressible the same way Kafka's payloads are). */
void kn_perf_payload_fill(unsigned char *buf, size_t len, uint64_t seed);

/* Records and bytes per second over elapsed_us (0 when nothing elapsed). */
double kn_perf_rate(uint64_t n, int64_t elapsed_us);
double kn_perf_mb_rate(uint64_t bytes, int64_t elapsed_us);

/* Parse "1000", "-1"... into a double rate; KN_ERROR on junk. */
int kn_perf_parse_rate(const char *s, double *out);

#endif /* KN_PERF_H */
