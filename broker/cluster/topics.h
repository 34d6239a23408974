/*
 * broker/cluster/topics.h -- private to the admin handlers: the ZooKeeper
 * admin path (create topic, mark for deletion, add partitions). All
 * functions that touch ZooKeeper run on the main loop. Error codes are
 * Kafka's; msg receives a human-readable reason for the response's
 * error_message.
 */
#ifndef KN_CLUSTER_TOPICS_H
#define KN_CLUSTER_TOPICS_H

#include "broker/cluster/cluster_int.h"

/* One topic to create, as CreateTopics carries it. */
typedef struct {
    const char           *name;
    int32_t               num_partitions;      /* -1 = num.partitions */
    int16_t               replication_factor;  /* -1 = default.replication.factor */
    int                   n_assignments;       /* manual assignment rows (0 = none) */
    const int32_t        *assignment_partition;/* partition id of each row */
    const int32_t *const *assignments;         /* broker ids of each row */
    const int32_t        *assignment_len;      /* length of each row */
    int                   n_configs;
    const char *const    *config_keys;
    const char *const    *config_values;       /* NULL value = INVALID_CONFIG */
} kn_topic_spec_t;

/* Broker config values that may be absent from the table. */
int64_t kn_cluster_cfg_int(kn_cluster_t *c, const char *key, int64_t def);
bool    kn_cluster_cfg_bool(kn_cluster_t *c, const char *key, bool def);

/* Sorted ids of /brokers/ids (heap array in *out, free it); the count. */
int kn_topics_live_brokers(kn_cluster_t *c, int32_t **out);

/* Pure checks (no ZooKeeper). */
kn_err_t kn_topics_validate_configs(const kn_topic_spec_t *spec, char *msg, size_t msglen);
kn_err_t kn_topics_check_assignment(const int32_t *replicas, int rf, const int32_t *live,
                                    int n_live, char *msg, size_t msglen);

/* Create (or with validate_only, only check) one topic. out_partitions /
 * out_rf (may be NULL) receive the effective values. */
kn_err_t kn_topics_create(kn_cluster_t *c, const kn_topic_spec_t *spec, bool validate_only,
                          int32_t *out_partitions, int16_t *out_rf, char *msg, size_t msglen);
/* Create /admin/delete_topics/<name> for an existing topic. */
kn_err_t kn_topics_delete(kn_cluster_t *c, const char *name, char *msg, size_t msglen);
/* Grow the topic to count partitions; n_assign < 0 = assign automatically,
 * else n_assign rows (one per new partition) of assign_len[i] broker ids. */
kn_err_t kn_topics_add_partitions(kn_cluster_t *c, const char *name, int32_t count,
                                  int n_assign, const int32_t *const *assign,
                                  const int32_t *assign_len, bool validate_only,
                                  char *msg, size_t msglen);

#endif /* KN_CLUSTER_TOPICS_H */
