/*
 * broker/group/group.h -- the group coordinator: consumer groups
 * (join/sync/heartbeat/leave), committed offsets, and their persistence in
 * the compacted internal topic __consumer_offsets.
 *
 * The coordinator of group G is the leader of partition
 * abs(javaHashCode(G)) % N of __consumer_offsets (N = the topic's partition
 * count, offsets.topic.num.partitions until it exists), so any Kafka tool
 * that computes the mapping agrees with us. Group metadata and offsets are
 * records in that partition (Kafka's own key/value schemas, see
 * records.c); when this broker becomes leader of such a partition it
 * replays it before answering for its groups (COORDINATOR_LOAD_IN_PROGRESS
 * meanwhile), and when it stops leading it drops them (NOT_COORDINATOR).
 *
 * Threads: the Kafka handlers (broker/handlers/groups.c) run on the worker
 * loops; all coordinator state sits behind one mutex. A timer on the main
 * loop drives everything time-based: session expiry, rebalance deadlines,
 * the initial rebalance delay, leadership changes of the offsets
 * partitions (load/unload) and offset retention.
 */
#ifndef KN_GROUP_H
#define KN_GROUP_H

#include "broker/broker.h"
#include "buf.h"
#include "kn.h"

#define KN_GROUP_OFFSETS_TOPIC "__consumer_offsets"

/* ---- pure helpers (exposed for tests and tools) ------------------------- */

/* Java's String.hashCode() of s[0..len) taken as bytes (group ids are
 * ASCII in practice; for non-ASCII UTF-8 the result differs from Java's,
 * which hashes UTF-16 units -- see hash.c). */
int32_t kn_group_java_hash(const char *s, size_t len);
/* Kafka's Utils.abs(hash) % n: INT32_MIN maps to 0, not to itself. */
int32_t kn_group_partition_for(const char *group, size_t len, int32_t n_partitions);

/* ---- life cycle (main thread) -------------------------------------------- */

/* Start the coordinator for b (needs b->cfg, b->main_base; b->cluster and
 * b->logs may be NULL in tests): arms the main-loop timer. KN_OK /
 * KN_ERROR. One coordinator per process. */
int kn_group_start(kn_broker_t *b);
/* Stop the timer, answer every parked group request with NOT_COORDINATOR
 * and free all state. Call after the network layer stopped. No-op if not
 * started. */
void kn_group_stop(kn_broker_t *b);

/* Register the handlers of FindCoordinator, JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, ListGroups,
 * DescribeGroups, DeleteGroups and OffsetDelete
 * (broker/handlers/groups.c). */
void kn_group_register_handlers(void);

/* Run the coordinator's periodic work now (tests drive time with this;
 * the broker's timer calls it every 100 ms). Main thread. */
void kn_group_tick(void);

#endif /* KN_GROUP_H */
