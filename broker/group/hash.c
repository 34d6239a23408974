/*
 * broker/group/hash.c -- which __consumer_offsets partition holds a group.
 *
 * Kafka: partitionFor(groupId) = Utils.abs(groupId.hashCode) % N, with
 * Java's String.hashCode (s[0]*31^(n-1) + ... + s[n-1] in int32
 * arithmetic that wraps) and Utils.abs mapping Integer.MIN_VALUE to 0
 * (it is `x & 0x7fffffff`), not to itself. Tools and clients that compute
 * the coordinator themselves rely on this exact mapping.
 *
 * Java hashes the UTF-16 code units of the string the broker decoded from
 * the wire's UTF-8, so we decode too: ASCII bytes are their own unit,
 * code points above U+FFFF become a surrogate pair, and a malformed
 * sequence becomes U+FFFD, as Java's decoder replaces it.
 */
#include "config.h"

#include "broker/group/group.h"

/* Decode one UTF-8 code point at s[*i..len); advances *i. Malformed input
 * gives U+FFFD and consumes one byte. */
static uint32_t kn_group_utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    uint32_t cp;
    size_t need;
    uint32_t min;

    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        cp = c & 0x1fu, need = 1, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        cp = c & 0x0fu, need = 2, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        cp = c & 0x07u, need = 3, min = 0x10000;
    } else {
        (*i)++;
        return 0xfffd;
    }
    for (size_t k = 1; k <= need; k++) {
        if (*i + k >= len || (s[*i + k] & 0xc0) != 0x80) {
            (*i)++;
            return 0xfffd;
        }
        cp = (cp << 6) | (s[*i + k] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        (*i)++;
        return 0xfffd;
    }
    *i += need + 1;
    return cp;
}

int32_t kn_group_java_hash(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    /* Unsigned arithmetic wraps exactly like Java's int overflow. */
    uint32_t h = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp = kn_group_utf8_next(u, len, &i);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            h = 31u * h + (0xd800u + (cp >> 10));
            h = 31u * h + (0xdc00u + (cp & 0x3ffu));
        } else {
            h = 31u * h + cp;
        }
    }
    return (int32_t)h;
}

int32_t kn_group_partition_for(const char *group, size_t len, int32_t n_partitions)
{
    if (n_partitions <= 0) {
        return 0;
    }
    uint32_t h = (uint32_t)kn_group_java_hash(group, len) & 0x7fffffffu;
    return (int32_t)(h % (uint32_t)n_partitions);
}
