/*
 * broker/replica/replica.h -- replication: what a broker does as the leader
 * and as a follower of a partition.
 *
 * Leader side (partition.c): for every partition this broker leads, the log
 * end offset (LEO) of each follower as its Fetch requests report it, the
 * in-sync replica set (ISR) as the controller last wrote it, and the high
 * watermark (HW) = the lowest LEO among the ISR (the leader's own log end
 * included). The HW only grows while we lead; every time it grows the
 * partition's delayed-operation key is notified, so acks=all produces and
 * consumer fetches parked on it wake up. A follower that has not caught up
 * with the leader's log end for replica.lag.time.max.ms is proposed for
 * removal from the ISR, a follower that reached the HW is proposed for
 * (re)admission; proposals go to the controller as AlterIsr, which is the
 * only writer of partition state and answers with the state now in force.
 *
 * Follower side (fetcher.c): one fetcher thread per source broker pulls
 * every partition this broker follows from that leader with Kafka Fetch
 * requests (replica_id = our broker id) over the inter-broker listener
 * (TLS when that listener is SSL). Before fetching a partition after a
 * leadership change it asks the leader, with OffsetForLeaderEpoch, where
 * its own latest leader epoch ends in the leader's log and truncates its log
 * there (KIP-101 / KIP-279) -- never to its cached high watermark.
 *
 * Threads: the cluster hooks (kn_repl_apply, kn_repl_forget, AlterIsr
 * responses) run on the broker's main loop; the data-path calls are
 * thread-safe and run on the network workers.
 */
#ifndef KN_BROKER_REPLICA_H
#define KN_BROKER_REPLICA_H

#include "broker/broker.h"
#include "kn.h"
#include "proto/control.pb-c.h"

typedef struct kn_log_s kn_log_t;   /* broker/log/log.h */
typedef struct kn_repl_s kn_repl_t;

/* ---- life cycle (main thread) ------------------------------------------ */

/* Create the replica manager of broker b (reads the replica.* keys of
 * b->cfg). Nothing runs until kn_repl_start(). */
kn_repl_t *kn_repl_new(kn_broker_t *b);
/* Start the ISR maintenance timer on b->main_base. */
int kn_repl_start(kn_repl_t *r);
/* Stop and join every fetcher thread and the timer; partitions are
 * forgotten. Idempotent. */
void kn_repl_stop(kn_repl_t *r);
void kn_repl_free(kn_repl_t *r);

/* Register the OffsetForLeaderEpoch handler (before the server starts). */
void kn_repl_register_handlers(void);

/* ---- state from the controller (main thread) --------------------------- */

/* A partition state from LeaderAndIsr that names this broker as a replica. */
typedef struct {
    const char    *topic;
    int32_t        partition;
    kn_log_t      *log;           /* a reference is taken */
    int32_t        leader;        /* -1 = offline */
    int32_t        leader_epoch;
    int32_t        zk_version;    /* partition state version (for AlterIsr) */
    const int32_t *isr;
    int            n_isr;
    const int32_t *replicas;
    int            n_replicas;
    int32_t        min_isr;       /* min.insync.replicas for the topic */
} kn_repl_state_t;

/* Become leader (st->leader == our id) or follower of the partition. A
 * state with an older leader epoch than the one applied is ignored. */
void kn_repl_apply(kn_repl_t *r, const kn_repl_state_t *st);
/* The partition is no longer served here (StopReplica). */
void kn_repl_forget(kn_repl_t *r, const char *topic, int32_t partition);
/* The controller answered our AlterIsr. */
void kn_repl_on_alter_isr_response(kn_repl_t *r, const Kanal__Control__AlterIsrResponse *resp);

/* Controlled shutdown (shutdown.c): ask the controller to move leadership
 * away and take us out of the ISRs, running the main loop (so requests are
 * still served) until it is done, with Kafka's retries. Call after the
 * stop signal, before the network layer stops. KN_OK when nothing movable
 * is left on this broker (or the feature is off). */
int kn_repl_controlled_shutdown(kn_repl_t *r);
void kn_repl_on_controlled_shutdown_response(kn_repl_t *r,
                                             const Kanal__Control__ControlledShutdownResponse *resp);

/* ---- data path (thread-safe) -------------------------------------------- */

/* A follower's Fetch reached the leader: fetch_offset is the follower's log
 * end. Updates its LEO and caught-up time, may advance the HW (notifying
 * the partition) and may schedule an ISR expansion. Returns KN_ERR_NONE,
 * or NOT_LEADER_OR_FOLLOWER if we do not lead the partition, or
 * UNKNOWN_LEADER_EPOCH... (the fetch handler checks epochs first). */
kn_err_t kn_repl_follower_fetch(kn_repl_t *r, const char *topic, int32_t partition,
                                int32_t follower, int64_t fetch_offset);

/* The leader appended to the partition: recompute the HW (it moves at once
 * when the ISR is just this broker). */
void kn_repl_leader_appended(kn_repl_t *r, const char *topic, int32_t partition);

/* The leader's ISR size and the topic's min.insync.replicas, for Produce.
 * KN_ERR_NONE, or NOT_LEADER_OR_FOLLOWER when we do not lead it. */
kn_err_t kn_repl_isr_info(kn_repl_t *r, const char *topic, int32_t partition, int *isr_size,
                          int *min_isr);

/* acks=all: has the HW reached required_offset (the offset after the
 * batch)? Returns KN_AGAIN while waiting, KN_OK when done with *err set:
 * NONE, NOT_ENOUGH_REPLICAS_AFTER_APPEND (the ISR shrank below
 * min.insync.replicas meanwhile) or NOT_LEADER_OR_FOLLOWER (leadership
 * lost while waiting). */
int kn_repl_check_ack(kn_repl_t *r, const char *topic, int32_t partition,
                      int64_t required_offset, kn_err_t *err);

/* OffsetForLeaderEpoch's answer on the leader (current_epoch = the epoch
 * it leads with): where `epoch` ends in its log, as (*end_epoch,
 * *end_offset). A term with no batch yet counts as starting at the log end,
 * as if the epoch had been recorded at election time (Kafka does that). */
kn_err_t kn_repl_epoch_end(kn_log_t *log, int32_t current_epoch, int32_t epoch,
                           int32_t *end_epoch, int64_t *end_offset);

/* ---- observability (thread-safe) ---------------------------------------- */

typedef struct {
    bool    leader;
    int32_t leader_epoch;
    int     n_isr;
    int32_t isr[16];
    int64_t high_watermark;
    int64_t log_end;
} kn_repl_info_t;

/* A snapshot of the partition's replication state; KN_ERROR if unknown. */
int kn_repl_info(kn_repl_t *r, const char *topic, int32_t partition, kn_repl_info_t *out);

/* Number of partitions led / followed (for logs and tests). */
void kn_repl_counts(kn_repl_t *r, int *leading, int *following);

#endif /* KN_BROKER_REPLICA_H */
