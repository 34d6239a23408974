/*
 * broker/server/delayed.h -- delayed operations: requests that park until
 * something happens or a deadline passes (Fetch long poll, acks=all
 * Produce), without polling.
 *
 * An operation lives on one event loop (normally the parked request's
 * req->base) and has a timer there. It may watch any number of keys
 * (usually topic-partitions). kn_delayed_notify(key), callable from any
 * thread, schedules the operation's callback on its own loop with
 * KN_DELAYED_WAKE; the callback re-checks its condition and returns true
 * when it is satisfied (the operation is then finished and freed) or false
 * to keep waiting. The timer calls it once with KN_DELAYED_TIMEOUT and
 * server shutdown with KN_DELAYED_SHUTDOWN; after those the operation is
 * freed whatever the callback returns. The callback therefore runs exactly
 * once with a final reason, or returns true once on a wake -- the place to
 * call kn_req_complete().
 *
 * Several notifies before the callback runs collapse into one wake.
 *
 * Usage (Fetch):
 *     op = kn_delayed_new(req->base, max_wait_ms, fetch_retry, ctx);
 *     for each partition: kn_delayed_watch_tp(op, topic, partition);
 *     return KN_AGAIN;
 * and the log's append path calls kn_delayed_notify_tp(topic, partition).
 */
#ifndef KN_DELAYED_H
#define KN_DELAYED_H

#include "kn.h"

struct event_base;
typedef struct kn_delayed_s kn_delayed_t;

typedef enum {
    KN_DELAYED_WAKE = 0,      /* a watched key was notified */
    KN_DELAYED_TIMEOUT = 1,   /* the deadline passed */
    KN_DELAYED_SHUTDOWN = 2   /* the server is stopping */
} kn_delayed_reason_t;

/* Return true when done (the operation is freed after the call). */
typedef bool (*kn_delayed_fn)(void *arg, kn_delayed_reason_t why);

/* Create an operation on base (call on base's thread) that times out after
 * timeout_ms (< 0 = never). */
kn_delayed_t *kn_delayed_new(struct event_base *base, int64_t timeout_ms,
                             kn_delayed_fn fn, void *arg);
/* Watch a key (any string) / a topic-partition. Call on the op's thread,
 * before returning to the loop. */
void kn_delayed_watch(kn_delayed_t *op, const char *key);
void kn_delayed_watch_tp(kn_delayed_t *op, const char *topic, int32_t partition);
/* Wake every operation watching key. Thread-safe, never blocks on a
 * callback. */
void kn_delayed_notify(const char *key);
void kn_delayed_notify_tp(const char *topic, int32_t partition);
/* Cancel an operation without calling its callback (op's thread). */
void kn_delayed_cancel(kn_delayed_t *op);

/* Call every operation on base with KN_DELAYED_SHUTDOWN and free it. Run on
 * base's thread (the server does so for each worker when stopping). */
void kn_delayed_shutdown_base(struct event_base *base);
/* Number of live operations (all loops), for tests and metrics. */
int kn_delayed_count(void);

#endif /* KN_DELAYED_H */
