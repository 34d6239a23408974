/*
 * broker/replica/shutdown.c -- controlled shutdown: before a broker stops
 * cleanly it asks the controller (ControlledShutdown on the control
 * channel) to move leadership of its partitions to other in-sync replicas
 * and to take it out of the ISRs, so clients fail over at once instead of
 * waiting for the broker's ZooKeeper registration to vanish.
 *
 * It runs on the main loop after SIGTERM, while the broker still serves
 * requests: the controller's LeaderAndIsr (we become follower) and its
 * answer arrive on that loop. The answer lists the partitions we still
 * lead; partitions with a single replica can never move and are ignored
 * (Kafka's rule), and so are those whose ISR is just us (no in-sync
 * replica to take over: waiting would only delay the stop). Others are
 * retried controlled.shutdown.max.retries times
 * controlled.shutdown.retry.backoff.ms apart, after which we stop anyway.
 */
#include "config.h"

#include <event2/event.h>
#include <string.h>

#include "broker/cluster/cluster.h"
#include "broker/replica/replica_int.h"
#include "common/config.h"
#include "log.h"

#define LOGC "broker.shutdown"
/* How long one attempt waits for the controller's answer. */
#define KN_CS_ANSWER_MS 10000
/* Without any controller session, how long to wait for one to come up. */
#define KN_CS_NO_SESSION_MS 2000

static void kn_cs_tick(evutil_socket_t fd, short what, void *arg)
{
    KN_UNUSED(fd);
    KN_UNUSED(what);
    KN_UNUSED(arg);   /* only wakes the loop so deadlines are checked */
}

/* Run the main loop until the answer came or deadline passed. */
static void kn_cs_run_until(kn_repl_t *r, int64_t deadline, bool want_answer)
{
    struct event *tick = event_new(r->b->main_base, -1, EV_PERSIST, kn_cs_tick, r);
    struct timeval tv = { 0, 50 * 1000 };
    event_add(tick, &tv);
    while (kn_mono_ms() < deadline && !(want_answer && r->cs_answered))
        event_base_loop(r->b->main_base, EVLOOP_ONCE);
    event_free(tick);
}

/* Partitions in the answer that could still move: another replica exists
 * and is in the ISR (leadership never leaves the ISR here). */
static int kn_cs_movable(kn_repl_t *r)
{
    int n = 0;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->cs_n_remaining; i++) {
        kn_rp_t *rp = kn_rp_find(r, r->cs_remaining[i].topic, r->cs_remaining[i].partition);
        if (rp == NULL || (rp->n_replicas > 1 && (!rp->leader || rp->n_isr > 1)))
            n++;
    }
    pthread_mutex_unlock(&r->lock);
    return n;
}

static void kn_cs_clear(kn_repl_t *r)
{
    for (int i = 0; i < r->cs_n_remaining; i++)
        free(r->cs_remaining[i].topic);
    free(r->cs_remaining);
    r->cs_remaining = NULL;
    r->cs_n_remaining = 0;
    r->cs_answered = false;
    r->cs_error = 0;
}

void kn_repl_on_controlled_shutdown_response(kn_repl_t *r,
                                             const Kanal__Control__ControlledShutdownResponse *resp)
{
    if (r == NULL || resp == NULL)
        return;
    kn_cs_clear(r);
    r->cs_answered = true;
    r->cs_error = resp->error_code;
    r->cs_remaining = kn_calloc(resp->n_remaining + 1, sizeof(*r->cs_remaining));
    for (size_t i = 0; i < resp->n_remaining; i++) {
        const Kanal__Control__PartitionError *pe = resp->remaining[i];
        r->cs_remaining[r->cs_n_remaining].topic = kn_strdup(pe->topic ? pe->topic : "");
        r->cs_remaining[r->cs_n_remaining].partition = pe->partition;
        r->cs_n_remaining++;
    }
}

int kn_repl_controlled_shutdown(kn_repl_t *r)
{
    if (r == NULL || r->b->cluster == NULL || r->b->main_base == NULL)
        return KN_OK;
    const kn_config_t *cfg = r->b->cfg;
    if (cfg != NULL && !kn_config_bool(cfg, "controlled.shutdown.enable"))
        return KN_OK;
    int retries = cfg ? (int)kn_config_int(cfg, "controlled.shutdown.max.retries") : 3;
    int64_t backoff = cfg ? kn_config_int(cfg, "controlled.shutdown.retry.backoff.ms") : 5000;
    int64_t started = kn_mono_ms();

    for (int attempt = 0; attempt <= retries; attempt++) {
        Kanal__Control__ControlledShutdown cs = KANAL__CONTROL__CONTROLLED_SHUTDOWN__INIT;
        Kanal__Control__KnControl msg = KANAL__CONTROL__KN_CONTROL__INIT;
        cs.broker_id = r->self;
        cs.broker_epoch = kn_cluster_broker_epoch(r->b->cluster);
        msg.body_case = KANAL__CONTROL__KN_CONTROL__BODY_CONTROLLED_SHUTDOWN;
        msg.controlled_shutdown = &cs;
        kn_cs_clear(r);
        if (kn_cluster_send_control(r->b->cluster, &msg) != KN_OK) {
            /* No controller session: give one a moment to come up, but
             * never hold a stopping broker long for a missing controller. */
            kn_cs_run_until(r, kn_mono_ms() + KN_CS_NO_SESSION_MS / (retries + 1), false);
            if (kn_mono_ms() - started > KN_CS_NO_SESSION_MS)
                break;
            continue;
        }
        kn_cs_run_until(r, kn_mono_ms() + KN_CS_ANSWER_MS, true);
        if (r->cs_answered && r->cs_error == 0) {
            int left = kn_cs_movable(r);
            if (left == 0) {
                kn_log_info(LOGC, "controlled shutdown done in %lld ms: leadership moved",
                            (long long)(kn_mono_ms() - started));
                kn_cs_clear(r);
                return KN_OK;
            }
            kn_log_warn(LOGC, "controlled shutdown: still leading %d partition(s)", left);
        } else {
            kn_log_warn(LOGC, "controlled shutdown attempt %d failed: %s", attempt + 1,
                        r->cs_answered ? kn_err_name(r->cs_error) : "no answer");
        }
        if (attempt < retries)
            kn_cs_run_until(r, kn_mono_ms() + backoff, false);
    }
    kn_cs_clear(r);
    kn_log_warn(LOGC, "controlled shutdown incomplete; stopping anyway");
    return KN_ERROR;
}
