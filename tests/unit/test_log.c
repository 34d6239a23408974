/*
 * tests/unit/test_log.c -- logging (common/log.h): line format, level
 * filtering, and rate limiting with its suppression count.
 *
 * stderr is redirected to a temporary file around each call so the test
 * can read back exactly what was written. Rate limiting is tested without
 * depending on the clock: a long interval suppresses for certain, and the
 * interval is per call, so a negative one lets the next line through at
 * once and makes it report the count.
 */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

#define HOUR_MS (3600 * 1000)

typedef struct {
    char path[512];
    int  saved_fd;   /* the real stderr */
} capture_t;

static void capture_start(capture_t *c)
{
    const char *dir = getenv("TMPDIR");
    snprintf(c->path, sizeof(c->path), "%s/kn-test-log.XXXXXX", dir && *dir ? dir : P_tmpdir);
    int fd = mkstemp(c->path);
    assert_true(fd >= 0);
    fflush(stderr);
    c->saved_fd = dup(STDERR_FILENO);
    assert_true(c->saved_fd >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
}

/* Restore stderr and return what was written (caller frees). */
static char *capture_end(capture_t *c)
{
    fflush(stderr);
    dup2(c->saved_fd, STDERR_FILENO);
    close(c->saved_fd);
    FILE *f = fopen(c->path, "r");
    assert_non_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(c->path);
    char *out = malloc(n + 1);
    memcpy(out, buf, n + 1);
    return out;
}

static int count_lines(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle)) {
        n++;
    }
    return n;
}

static void test_format_and_levels(void **state)
{
    capture_t c;
    kn_log_init("test_log", KN_LOG_INFO);
    capture_start(&c);
    kn_log_info("unit.fmt", "hello %d", 42);
    kn_log_debug("unit.fmt", "not shown");
    kn_log_warn("unit.fmt", "careful");
    kn_log_set_level(KN_LOG_ERROR);
    kn_log_warn("unit.fmt", "filtered");
    kn_log_error("unit.fmt", "bad");
    char *out = capture_end(&c);

    assert_non_null(strstr(out, "INFO  [unit.fmt] hello 42\n"));
    assert_non_null(strstr(out, "WARN  [unit.fmt] careful\n"));
    assert_non_null(strstr(out, "ERROR [unit.fmt] bad\n"));
    assert_null(strstr(out, "not shown"));
    assert_null(strstr(out, "filtered"));
    assert_int_equal(count_lines(out, "\n"), 3);
    /* ISO-8601 UTC timestamp with milliseconds first: 2026-01-02T03:04:05.678Z */
    assert_int_equal(out[4], '-');
    assert_int_equal(out[10], 'T');
    assert_int_equal(out[19], '.');
    assert_int_equal(out[23], 'Z');
    free(out);
    assert_int_equal(kn_log_get_level(), KN_LOG_ERROR);
    kn_log_set_level(KN_LOG_INFO);
}

static void test_level_parse(void **state)
{
    kn_log_level_t l;
    assert_int_equal(kn_log_level_parse("debug", &l), KN_OK);
    assert_int_equal(l, KN_LOG_DEBUG);
    assert_int_equal(kn_log_level_parse("WARN", &l), KN_OK);
    assert_int_equal(l, KN_LOG_WARN);
    assert_int_equal(kn_log_level_parse("warning", &l), KN_OK);
    assert_int_equal(l, KN_LOG_WARN);
    assert_int_equal(kn_log_level_parse("Trace", &l), KN_OK);
    assert_int_equal(l, KN_LOG_TRACE);
    assert_int_equal(kn_log_level_parse("fatal", &l), KN_OK);
    assert_int_equal(l, KN_LOG_FATAL);
    assert_int_equal(kn_log_level_parse("verbose", &l), KN_ERROR);
    assert_int_equal(kn_log_level_parse("", &l), KN_ERROR);
}

static void test_ratelimit_suppresses(void **state)
{
    capture_t c;
    kn_log_set_level(KN_LOG_INFO);
    capture_start(&c);
    for (int i = 0; i < 10; i++) {
        kn_log_ratelimited(KN_LOG_WARN, "unit.rl", "rl.a", HOUR_MS, "garbage from client %d", i);
    }
    /* Another key has its own budget. */
    kn_log_ratelimited(KN_LOG_WARN, "unit.rl", "rl.b", HOUR_MS, "other key");
    char *out = capture_end(&c);
    assert_int_equal(count_lines(out, "garbage from client"), 1);
    assert_non_null(strstr(out, "garbage from client 0\n"));
    assert_int_equal(count_lines(out, "other key\n"), 1);
    assert_null(strstr(out, "suppressed"));
    free(out);

    /* The next line that gets through reports the 9 it replaced. */
    capture_start(&c);
    kn_log_ratelimited(KN_LOG_WARN, "unit.rl", "rl.a", -1, "garbage again");
    kn_log_ratelimited(KN_LOG_WARN, "unit.rl", "rl.a", -1, "and again");
    out = capture_end(&c);
    assert_non_null(strstr(out, "garbage again (9 similar messages suppressed)\n"));
    /* The count restarts after being reported. */
    assert_non_null(strstr(out, "and again\n"));
    assert_int_equal(count_lines(out, "suppressed"), 1);
    free(out);
}

static void test_ratelimit_below_level(void **state)
{
    capture_t c;
    kn_log_set_level(KN_LOG_WARN);
    capture_start(&c);
    kn_log_ratelimited(KN_LOG_INFO, "unit.rl", "rl.quiet", HOUR_MS, "below the level");
    kn_log_set_level(KN_LOG_INFO);
    kn_log_ratelimited(KN_LOG_INFO, "unit.rl", "rl.quiet", HOUR_MS, "now visible");
    char *out = capture_end(&c);
    /* A line filtered by level uses no rate-limit budget. */
    assert_null(strstr(out, "below the level"));
    assert_non_null(strstr(out, "now visible\n"));
    free(out);
}

static void test_ratelimit_many_keys(void **state)
{
    capture_t c;
    char key[32];
    capture_start(&c);
    /* More keys than the table has slots: old ones are recycled, every
     * new key still gets its first line out, even with a once-only
     * interval. */
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "rl.many.%d", i);
        kn_log_ratelimited(KN_LOG_WARN, "unit.rl", key, INT64_MAX, "key %d", i);
        kn_log_ratelimited(KN_LOG_WARN, "unit.rl", key, INT64_MAX, "dup %d", i);
    }
    char *out = capture_end(&c);
    assert_int_equal(count_lines(out, "] key "), 200);
    assert_int_equal(count_lines(out, "] dup "), 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_levels),
        cmocka_unit_test(test_level_parse),
        cmocka_unit_test(test_ratelimit_suppresses),
        cmocka_unit_test(test_ratelimit_below_level),
        cmocka_unit_test(test_ratelimit_many_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
