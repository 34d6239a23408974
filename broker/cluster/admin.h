/*
 * broker/cluster/admin.h -- private plumbing for the admin handlers
 * (broker/handlers/admin_topics.c, describe_configs.c, metadata.c): getting
 * onto the main loop for ZooKeeper work, waiting for the controller's
 * metadata to show a change (Kafka's topic purgatory), and answering a
 * parked request from the main loop.
 *
 * Flow of an admin request: the handler (worker thread) decodes and checks
 * what it can, returns KN_AGAIN and hops to the main loop with
 * kn_server_run_on(); there it writes the znodes, then either answers at
 * once or calls kn_admin_wait(); the done callback encodes the response and
 * calls kn_admin_reply(), which completes the request on its own loop.
 */
#ifndef KN_CLUSTER_ADMIN_H
#define KN_CLUSTER_ADMIN_H

#include "broker/cluster/cluster_int.h"
#include "broker/server/request.h"

/* Called on the main loop when every condition holds or the timeout fired;
 * satisfied[i] tells which topic conditions held. The callback owns ud. */
typedef void (*kn_admin_done_fn)(kn_cluster_t *c, void *ud, const bool *satisfied);

/* Conditions on the metadata cache, one per topic:
 *   want[i] > 0   the topic has at least want[i] partitions, each with a leader
 *   want[i] == 0  the topic is gone
 * Checked at once (done may run before this returns), then on every
 * UpdateMetadata until all hold or timeout_ms passes. Main thread only.
 * topics are copied. */
void kn_admin_wait(kn_cluster_t *c, int n, const char *const *topics, const int32_t *want,
                   int timeout_ms, kn_admin_done_fn done, void *ud);

/* A condition kn_admin_wait() cannot express (e.g. "partition p is led by
 * its preferred replica"): check(md, ud) is evaluated at once and on every
 * UpdateMetadata until it returns true or timeout_ms passes; then done runs
 * with satisfied[0] = the last result. Main thread only. */
typedef bool (*kn_admin_check_fn)(const kn_md_t *md, void *ud);
void kn_admin_wait_until(kn_cluster_t *c, kn_admin_check_fn check, int timeout_ms,
                         kn_admin_done_fn done, void *ud);

/* Complete a parked request from any thread: hops to req->base and calls
 * kn_req_complete(); takes over resp's buffer (resp is left empty). */
void kn_admin_reply(kn_req_t *req, kn_wbuf_t *resp);

/* true if the condition holds in md (exposed for tests). */
bool kn_admin_condition_holds(const kn_md_t *md, const char *topic, int32_t want);

#endif /* KN_CLUSTER_ADMIN_H */
