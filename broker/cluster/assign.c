/*
 * broker/cluster/assign.c -- pure admin rules: topic-name validation and
 * replica assignment for new topics and partitions.
 *
 * Both follow Kafka (clients' Topic.validate and AdminUtils'
 * rack-unaware assignment) so that operators get the same layouts and the
 * same refusals they know from Kafka.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/cluster/cluster.h"

/* Kafka's limit: 249, so that "<topic>-<partition>" plus a suffix like
 * ".deleted" still fits a 255-byte file name. */
#define KN_TOPIC_NAME_MAX 249

kn_err_t kn_topic_name_check(const char *name, size_t len)
{
    if (name == NULL || len == 0 || len > KN_TOPIC_NAME_MAX)
        return KN_ERR_INVALID_TOPIC_EXCEPTION;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return KN_ERR_INVALID_TOPIC_EXCEPTION;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        if (!ok)
            return KN_ERR_INVALID_TOPIC_EXCEPTION;
    }
    return KN_ERR_NONE;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Index of the j-th follower: the shift is never 0 (mod n), so a follower
 * never lands on the first replica, and consecutive followers take
 * consecutive brokers after it. */
static int follower_index(int first, int shift, int j, int n)
{
    int s = 1 + (shift + j) % (n - 1);
    return (first + s) % n;
}

kn_err_t kn_assign_replicas(const int32_t *brokers, int n_brokers, int32_t n_partitions,
                            int16_t rf, int32_t start_partition, int start_index,
                            int replica_shift, int32_t *out)
{
    if (n_partitions < 1)
        return KN_ERR_INVALID_PARTITIONS;
    if (rf < 1 || n_brokers < 1 || rf > n_brokers)
        return KN_ERR_INVALID_REPLICATION_FACTOR;

    int32_t *sorted = kn_malloc(sizeof(int32_t) * (size_t)n_brokers);
    memcpy(sorted, brokers, sizeof(int32_t) * (size_t)n_brokers);
    qsort(sorted, (size_t)n_brokers, sizeof(int32_t), cmp_i32);

    /* Random start (as Kafka) so that many single-partition topics do not
     * all put their leader on the lowest broker id. */
    int start = start_index >= 0 ? start_index % n_brokers : (int)(random() % n_brokers);
    int shift = replica_shift >= 0 ? replica_shift : (int)(random() % n_brokers);
    int32_t pid = start_partition > 0 ? start_partition : 0;

    for (int32_t i = 0; i < n_partitions; i++, pid++) {
        if (pid > 0 && pid % n_brokers == 0)
            shift++;
        int first = (int)((pid + start) % n_brokers);
        int32_t *row = out + (size_t)i * (size_t)rf;
        row[0] = sorted[first];
        for (int j = 0; j < rf - 1; j++)
            row[j + 1] = sorted[follower_index(first, shift, j, n_brokers)];
    }
    free(sorted);
    return KN_ERR_NONE;
}
