/*
 * tests/unit/test_crc32c.c -- CRC-32C (common/record/crc32c.h).
 *
 * Known vectors (RFC 3720 appendix B.4 and the classic check value) on both
 * the dispatching and the portable path, then the hardware path against
 * the portable one on pseudo-random buffers of every length 0..1024 at
 * every alignment, and incremental (split) computation.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "record/crc32c.h"

#define MAX_LEN 1024

/* xorshift32: reproducible "random" bytes without libc's rand() state. */
static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static void check_both(const void *buf, size_t len, uint32_t want)
{
    assert_true(kn_crc32c(0, buf, len) == want);
    assert_true(kn_crc32c_sw(0, buf, len) == want);
}

static void test_known_vectors(void **state)
{
    uint8_t b[32];

    check_both("123456789", 9, 0xE3069283u);
    memset(b, 0, sizeof(b));
    check_both(b, sizeof(b), 0x8A9136AAu);
    memset(b, 0xFF, sizeof(b));
    check_both(b, sizeof(b), 0x62A8AB43u);
    for (int i = 0; i < 32; i++) {
        b[i] = (uint8_t)i;
    }
    check_both(b, sizeof(b), 0x46DD794Eu);
    for (int i = 0; i < 32; i++) {
        b[i] = (uint8_t)(31 - i);
    }
    check_both(b, sizeof(b), 0x113FDB5Cu);
    /* Empty input leaves the running value alone. */
    check_both("", 0, 0);
    assert_true(kn_crc32c(0x12345678u, "", 0) == 0x12345678u);
}

static void test_hw_matches_sw(void **state)
{
    static uint8_t buf[MAX_LEN + 16];
    uint32_t seed = 0x9E3779B9u;
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)rng_next(&seed);
    }
    printf("# crc32c hardware path: %s\n", kn_crc32c_hw_available() ? "yes" : "no");
    for (size_t off = 0; off < 8; off++) {
        for (size_t len = 0; len <= MAX_LEN; len++) {
            uint32_t sw = kn_crc32c_sw(0, buf + off, len);
            uint32_t hw = kn_crc32c(0, buf + off, len);
            if (sw != hw) {
                fail_msg("mismatch at offset %zu length %zu: sw %08x hw %08x", off, len,
                         sw, hw);
            }
        }
    }
}

static void test_incremental(void **state)
{
    static uint8_t buf[777];
    uint32_t seed = 12345;
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)rng_next(&seed);
    }
    uint32_t whole = kn_crc32c(0, buf, sizeof(buf));
    for (size_t cut = 0; cut <= sizeof(buf); cut += 37) {
        uint32_t a = kn_crc32c(0, buf, cut);
        assert_true(kn_crc32c(a, buf + cut, sizeof(buf) - cut) == whole);
        uint32_t s = kn_crc32c_sw(0, buf, cut);
        assert_true(kn_crc32c_sw(s, buf + cut, sizeof(buf) - cut) == whole);
    }
    /* A single flipped bit changes the checksum. */
    buf[100] ^= 0x10;
    assert_true(kn_crc32c(0, buf, sizeof(buf)) != whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors),
        cmocka_unit_test(test_hw_matches_sw),
        cmocka_unit_test(test_incremental),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
