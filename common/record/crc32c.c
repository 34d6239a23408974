/*
 * common/record/crc32c.c -- CRC-32C for record batches (see crc32c.h).
 *
 * The software path is slicing-by-8 over tables built once at first use.
 * On x86-64 the SSE4.2 crc32 instruction does 8 bytes per instruction; it
 * is compiled with a target attribute so the rest of the build does not
 * require SSE4.2, and chosen at run time from cpuid. On AArch64 the CRC
 * extension is used when the kernel reports it (HWCAP_CRC32).
 */
#include "config.h"
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#endif

#define KN_CRC32C_POLY 0x82F63B78u   /* reflected Castagnoli polynomial */

static uint32_t kn_crc32c_table[8][256];
static pthread_once_t kn_crc32c_once = PTHREAD_ONCE_INIT;
static int kn_crc32c_hw;

static void kn_crc32c_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ KN_CRC32C_POLY : c >> 1;
        }
        kn_crc32c_table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = kn_crc32c_table[0][n];
        for (int k = 1; k < 8; k++) {
            c = kn_crc32c_table[0][c & 0xff] ^ (c >> 8);
            kn_crc32c_table[k][n] = c;
        }
    }
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        kn_crc32c_hw = (c & bit_SSE4_2) != 0;
    }
#elif defined(__aarch64__) && defined(HWCAP_CRC32)
    kn_crc32c_hw = (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#endif
}

uint32_t kn_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&kn_crc32c_once, kn_crc32c_init);
    const uint8_t *p = buf;
    crc = ~crc;
    while (len >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        lo = __builtin_bswap32(lo);
        hi = __builtin_bswap32(hi);
#endif
        lo ^= crc;
        crc = kn_crc32c_table[7][lo & 0xff] ^ kn_crc32c_table[6][(lo >> 8) & 0xff] ^
              kn_crc32c_table[5][(lo >> 16) & 0xff] ^ kn_crc32c_table[4][lo >> 24] ^
              kn_crc32c_table[3][hi & 0xff] ^ kn_crc32c_table[2][(hi >> 8) & 0xff] ^
              kn_crc32c_table[1][(hi >> 16) & 0xff] ^ kn_crc32c_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--) {
        crc = kn_crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t kn_crc32c_hw_x86(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint64_t c = ~crc;
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        len -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (len--) {
        c32 = __builtin_ia32_crc32qi(c32, *p++);
    }
    return ~c32;
}
#elif defined(__aarch64__)
__attribute__((target("+crc")))
static uint32_t kn_crc32c_hw_arm(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint32_t c = ~crc;
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_aarch64_crc32cx(c, v);
        p += 8;
        len -= 8;
    }
    while (len--) {
        c = __builtin_aarch64_crc32cb(c, *p++);
    }
    return ~c;
}
#endif

int kn_crc32c_hw_available(void)
{
    pthread_once(&kn_crc32c_once, kn_crc32c_init);
    return kn_crc32c_hw;
}

uint32_t kn_crc32c(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&kn_crc32c_once, kn_crc32c_init);
#if defined(__x86_64__)
    if (kn_crc32c_hw) {
        return kn_crc32c_hw_x86(crc, buf, len);
    }
#elif defined(__aarch64__)
    if (kn_crc32c_hw) {
        return kn_crc32c_hw_arm(crc, buf, len);
    }
#endif
    return kn_crc32c_sw(crc, buf, len);
}
