/*
 * tools/perf/perf.c -- latency statistics, throttle, progress windows and
 * payloads for the performance tools (see perf.h).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/perf/perf.h"

int64_t kn_perf_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void kn_perf_lat_init(kn_perf_lat_t *l, uint64_t expected, size_t max_samples)
{
    memset(l, 0, sizeof(*l));
    l->cap = max_samples > 0 ? max_samples : 1;
    /* Spread the sample over the whole run, so a slow start or end does
     * not dominate the percentiles. */
    l->every = expected > l->cap ? (expected + l->cap - 1) / l->cap : 1;
    l->samples = kn_malloc(l->cap * sizeof(*l->samples));
}

void kn_perf_lat_free(kn_perf_lat_t *l)
{
    free(l->samples);
    l->samples = NULL;
    l->nsamples = 0;
}

void kn_perf_lat_add(kn_perf_lat_t *l, int64_t us)
{
    if (us < 0) {
        us = 0;
    }
    if (l->count % l->every == 0 && l->nsamples < l->cap) {
        l->samples[l->nsamples++] = us;
        l->sorted = false;
    }
    l->count++;
    l->sum_us += (double)us;
    if (us > l->max_us) {
        l->max_us = us;
    }
}

double kn_perf_lat_avg_us(const kn_perf_lat_t *l)
{
    return l->count > 0 ? l->sum_us / (double)l->count : 0.0;
}

static int kn_perf_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t kn_perf_lat_quantile_us(kn_perf_lat_t *l, double q)
{
    if (l->nsamples == 0) {
        return 0;
    }
    if (!l->sorted) {
        qsort(l->samples, l->nsamples, sizeof(*l->samples), kn_perf_cmp_i64);
        l->sorted = true;
    }
    size_t i = (size_t)(q * (double)l->nsamples);
    if (i >= l->nsamples) {
        i = l->nsamples - 1;
    }
    return l->samples[i];
}

void kn_perf_window_reset(kn_perf_window_t *w, int64_t now_us)
{
    memset(w, 0, sizeof(*w));
    w->start_us = now_us;
}

void kn_perf_window_add(kn_perf_window_t *w, uint64_t bytes, int64_t lat_us)
{
    w->count++;
    w->bytes += bytes;
    w->lat_sum_us += (double)lat_us;
    if (lat_us > w->lat_max_us) {
        w->lat_max_us = lat_us;
    }
}

void kn_perf_throttle_init(kn_perf_throttle_t *t, double rate, int64_t start_us)
{
    t->rate = rate;
    t->start_us = start_us;
}

int64_t kn_perf_throttle_wait_us(const kn_perf_throttle_t *t, uint64_t sent, int64_t now_us)
{
    if (t->rate <= 0) {
        return 0;
    }
    /* Record `sent` is due at start + sent / rate. */
    double due_us = (double)t->start_us + (double)sent * 1e6 / t->rate;
    double wait = due_us - (double)now_us;
    return wait > 0 ? (int64_t)ceil(wait) : 0;
}

int64_t kn_perf_throttle_sleep_us(const kn_perf_throttle_t *t, uint64_t sent, int64_t now_us)
{
    int64_t wait = kn_perf_throttle_wait_us(t, sent, now_us);
    return wait >= KN_PERF_THROTTLE_MIN_SLEEP_US ? wait : 0;
}

void kn_perf_sleep_us(int64_t us)
{
    if (us > 0) {
        struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };
        (void)nanosleep(&ts, NULL);
    }
}

void kn_perf_payload_fill(unsigned char *buf, size_t len, uint64_t seed)
{
    /* xorshift64*: any fixed generator will do; the payload only has to
     * look like Kafka's (letters A..Z). */
    uint64_t x = seed ? seed : 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < len; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        buf[i] = (unsigned char)('A' + (int)(((x * 0x2545f4914f6cdd1dULL) >> 32) % 26));
    }
}

double kn_perf_rate(uint64_t n, int64_t elapsed_us)
{
    return elapsed_us > 0 ? (double)n * 1e6 / (double)elapsed_us : 0.0;
}

double kn_perf_mb_rate(uint64_t bytes, int64_t elapsed_us)
{
    /* Kafka's tools divide by 1024 * 1024 and call it MB. */
    return kn_perf_rate(bytes, elapsed_us) / (1024.0 * 1024.0);
}

int kn_perf_parse_rate(const char *s, double *out)
{
    char *end;

    if (s == NULL || *s == '\0') {
        return KN_ERROR;
    }
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || isnan(v) || isinf(v)) {
        return KN_ERROR;
    }
    *out = v;
    return KN_OK;
}
