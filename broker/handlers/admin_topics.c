/*
 * broker/handlers/admin_topics.c -- CreateTopics (19), DeleteTopics (20)
 * and CreatePartitions (37).
 *
 * The three share one shape (broker/cluster/admin.h): decode on the worker
 * thread, park the request (KN_AGAIN), do the ZooKeeper writes on the main
 * loop, then wait -- bounded by the request's timeout -- until the
 * controller's UpdateMetadata shows the result (new partitions with
 * leaders, or the topic gone), like Kafka's admin purgatory. Topics still
 * not there when the timer fires get REQUEST_TIMED_OUT; the change itself
 * still happens. A timeout <= 0 answers as soon as the znodes are written.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/cluster/admin.h"
#include "broker/cluster/topics.h"
#include "broker/handlers/cluster_handlers.h"
#include "log.h"
#include "protocol/arena.h"
#include "protocol/topics.h"

typedef struct {
    kn_req_t     *req;
    kn_cluster_t *c;
    kn_arena_t    arena;        /* the decoded request */
    union {
        kn_createtopics_req_t     ct;
        kn_deletetopics_req_t     dt;
        kn_createpartitions_req_t cp;
    } in;
    int           n;            /* topics in the request */
    char        **names;        /* NUL-terminated names (NULL if invalid) */
    int16_t      *errors;
    char        **messages;     /* NULL = no message */
    int32_t      *want;         /* wait condition per topic, -1 = none */
    int32_t       timeout_ms;
} admin_job_t;

static admin_job_t *job_new(kn_req_t *req, int n)
{
    admin_job_t *job = kn_calloc(1, sizeof(*job));
    job->req = req;
    job->c = req->broker->cluster;
    job->n = n;
    size_t m = (size_t)(n > 0 ? n : 1);
    job->names = kn_calloc(m, sizeof(char *));
    job->errors = kn_calloc(m, sizeof(int16_t));
    job->messages = kn_calloc(m, sizeof(char *));
    job->want = kn_calloc(m, sizeof(int32_t));
    for (int i = 0; i < n; i++)
        job->want[i] = -1;
    kn_arena_init(&job->arena);
    return job;
}

static void job_free(admin_job_t *job)
{
    for (int i = 0; i < job->n; i++) {
        free(job->names[i]);
        free(job->messages[i]);
    }
    free(job->names);
    free(job->errors);
    free(job->messages);
    free(job->want);
    kn_arena_free(&job->arena);
    free(job);
}

static void set_result(admin_job_t *job, int i, kn_err_t err, const char *msg)
{
    job->errors[i] = (int16_t)err;
    free(job->messages[i]);
    job->messages[i] = (err != KN_ERR_NONE && msg && *msg) ? kn_strdup(msg) : NULL;
}

static char *slice_name(kn_slice_t s)
{
    if (s.len < 0 || kn_topic_name_check((const char *)s.ptr, (size_t)s.len) != KN_ERR_NONE)
        return NULL;
    return kn_slice_strdup(s);
}

/* Encode the job's results for its API and answer the request. */
static void respond(admin_job_t *job)
{
    kn_wbuf_t w;
    kn_wbuf_init(&w, 256);
    int16_t ver = job->req->api_version;
    kn_arena_t *a = &job->arena;
    switch (job->req->api_key) {
    case KN_API_CREATE_TOPICS: {
        kn_createtopics_resp_t r = { .n_topics = job->n };
        r.topics = kn_arena_array(a, (size_t)(job->n ? job->n : 1), sizeof(*r.topics));
        for (int i = 0; i < job->n; i++) {
            r.topics[i].name = job->in.ct.topics[i].name;
            r.topics[i].error_code = job->errors[i];
            r.topics[i].error_message = kn_slice_str(job->messages[i]);
        }
        kn_proto_createtopics_resp_encode(&w, ver, &r);
        break;
    }
    case KN_API_DELETE_TOPICS: {
        kn_deletetopics_resp_t r = { .n_responses = job->n };
        r.responses = kn_arena_array(a, (size_t)(job->n ? job->n : 1), sizeof(*r.responses));
        for (int i = 0; i < job->n; i++) {
            r.responses[i].name = job->in.dt.topic_names[i];
            r.responses[i].error_code = job->errors[i];
        }
        kn_proto_deletetopics_resp_encode(&w, ver, &r);
        break;
    }
    default: {
        kn_createpartitions_resp_t r = { .n_results = job->n };
        r.results = kn_arena_array(a, (size_t)(job->n ? job->n : 1), sizeof(*r.results));
        for (int i = 0; i < job->n; i++) {
            r.results[i].name = job->in.cp.topics[i].name;
            r.results[i].error_code = job->errors[i];
            r.results[i].error_message = kn_slice_str(job->messages[i]);
        }
        kn_proto_createpartitions_resp_encode(&w, ver, &r);
        break;
    }
    }
    kn_admin_reply(job->req, &w);
    kn_wbuf_free(&w);
    job_free(job);
}

static void wait_done(kn_cluster_t *c, void *ud, const bool *satisfied)
{
    admin_job_t *job = ud;
    KN_UNUSED(c);
    int k = 0;
    for (int i = 0; i < job->n; i++) {
        if (job->want[i] < 0)
            continue;
        if (!satisfied[k] && job->timeout_ms > 0)
            set_result(job, i, KN_ERR_REQUEST_TIMED_OUT,
                       "operation accepted but not yet visible in the cluster metadata");
        k++;
    }
    respond(job);
}

/* After the znode work: wait for the topics that changed, then answer. */
static void wait_and_respond(admin_job_t *job)
{
    const char **names = kn_calloc((size_t)(job->n ? job->n : 1), sizeof(char *));
    int32_t *want = kn_calloc((size_t)(job->n ? job->n : 1), sizeof(int32_t));
    int k = 0;
    for (int i = 0; i < job->n; i++) {
        if (job->want[i] < 0)
            continue;
        names[k] = job->names[i];
        want[k++] = job->want[i];
    }
    kn_admin_wait(job->c, k, names, want, job->timeout_ms, wait_done, job);
    free(names);
    free(want);
}

/* true if name appears in names[0..i) (duplicates are refused). */
static bool seen_before(admin_job_t *job, int i)
{
    for (int k = 0; k < i; k++)
        if (job->names[k] && strcmp(job->names[k], job->names[i]) == 0)
            return true;
    return false;
}

/* ---- CreateTopics ---------------------------------------------------------- */

static void create_topics_on_main(void *arg)
{
    admin_job_t *job = arg;
    const kn_createtopics_req_t *in = &job->in.ct;
    char msg[512];
    for (int i = 0; i < job->n; i++) {
        const kn_createtopics_topic_t *t = &in->topics[i];
        if (job->names[i] == NULL) {
            set_result(job, i, KN_ERR_INVALID_TOPIC_EXCEPTION, "invalid topic name");
            continue;
        }
        if (seen_before(job, i)) {
            set_result(job, i, KN_ERR_INVALID_REQUEST, "duplicate topic in request");
            continue;
        }
        kn_arena_t *a = &job->arena;
        int na = t->n_assignments > 0 ? t->n_assignments : 0;
        int nc = t->n_configs > 0 ? t->n_configs : 0;
        int32_t *apart = kn_arena_array(a, (size_t)(na ? na : 1), sizeof(int32_t));
        const int32_t **arows = kn_arena_array(a, (size_t)(na ? na : 1), sizeof(int32_t *));
        int32_t *alen = kn_arena_array(a, (size_t)(na ? na : 1), sizeof(int32_t));
        const char **keys = kn_arena_array(a, (size_t)(nc ? nc : 1), sizeof(char *));
        const char **vals = kn_arena_array(a, (size_t)(nc ? nc : 1), sizeof(char *));
        for (int k = 0; k < na; k++) {
            apart[k] = t->assignments[k].partition_index;
            arows[k] = t->assignments[k].broker_ids;
            alen[k] = t->assignments[k].n_broker_ids > 0 ? t->assignments[k].n_broker_ids : 0;
        }
        for (int k = 0; k < nc; k++) {
            keys[k] = kn_arena_slice_strdup(a, t->configs[k].name);
            vals[k] = kn_arena_slice_strdup(a, t->configs[k].value);
        }
        kn_topic_spec_t spec = {
            .name = job->names[i], .num_partitions = t->num_partitions,
            .replication_factor = t->replication_factor, .n_assignments = na,
            .assignment_partition = apart, .assignments = arows, .assignment_len = alen,
            .n_configs = nc, .config_keys = keys, .config_values = vals,
        };
        int32_t np = 0;
        msg[0] = '\0';
        kn_err_t err = kn_topics_create(job->c, &spec, in->validate_only, &np, NULL, msg,
                                        sizeof(msg));
        set_result(job, i, err, msg);
        if (err == KN_ERR_NONE && !in->validate_only)
            job->want[i] = np;
    }
    wait_and_respond(job);
}

int kn_handle_create_topics(kn_req_t *req, kn_wbuf_t *resp)
{
    KN_UNUSED(resp);
    kn_arena_t a;
    kn_arena_init(&a);
    kn_createtopics_req_t in;
    if (kn_proto_createtopics_req_decode(&req->body, req->api_version, &in, &a) != KN_OK) {
        kn_arena_free(&a);
        return KN_ERROR;
    }
    int n = in.n_topics > 0 ? in.n_topics : 0;
    admin_job_t *job = job_new(req, n);
    job->arena = a;
    job->in.ct = in;
    job->timeout_ms = in.timeout_ms;
    for (int i = 0; i < n; i++)
        job->names[i] = slice_name(in.topics[i].name);
    kn_server_run_on(req->broker->main_base, create_topics_on_main, job);
    return KN_AGAIN;
}

/* ---- DeleteTopics ------------------------------------------------------------ */

static void delete_topics_on_main(void *arg)
{
    admin_job_t *job = arg;
    char msg[256];
    for (int i = 0; i < job->n; i++) {
        if (job->names[i] == NULL) {
            set_result(job, i, KN_ERR_UNKNOWN_TOPIC_OR_PARTITION, NULL);
            continue;
        }
        msg[0] = '\0';
        kn_err_t err = kn_topics_delete(job->c, job->names[i], msg, sizeof(msg));
        set_result(job, i, err, msg);
        if (err == KN_ERR_NONE)
            job->want[i] = 0;
    }
    wait_and_respond(job);
}

int kn_handle_delete_topics(kn_req_t *req, kn_wbuf_t *resp)
{
    KN_UNUSED(resp);
    kn_arena_t a;
    kn_arena_init(&a);
    kn_deletetopics_req_t in;
    if (kn_proto_deletetopics_req_decode(&req->body, req->api_version, &in, &a) != KN_OK) {
        kn_arena_free(&a);
        return KN_ERROR;
    }
    int n = in.n_topic_names > 0 ? in.n_topic_names : 0;
    admin_job_t *job = job_new(req, n);
    job->arena = a;
    job->in.dt = in;
    job->timeout_ms = in.timeout_ms;
    for (int i = 0; i < n; i++)
        job->names[i] = slice_name(in.topic_names[i]);
    kn_server_run_on(req->broker->main_base, delete_topics_on_main, job);
    return KN_AGAIN;
}

/* ---- CreatePartitions --------------------------------------------------------- */

static void create_partitions_on_main(void *arg)
{
    admin_job_t *job = arg;
    const kn_createpartitions_req_t *in = &job->in.cp;
    char msg[512];
    for (int i = 0; i < job->n; i++) {
        const kn_createpartitions_topic_t *t = &in->topics[i];
        if (job->names[i] == NULL) {
            set_result(job, i, KN_ERR_UNKNOWN_TOPIC_OR_PARTITION, NULL);
            continue;
        }
        if (seen_before(job, i)) {
            set_result(job, i, KN_ERR_INVALID_REQUEST, "duplicate topic in request");
            continue;
        }
        int na = t->n_assignments;
        int m = na > 0 ? na : 1;
        const int32_t **rows = kn_arena_array(&job->arena, (size_t)m, sizeof(int32_t *));
        int32_t *lens = kn_arena_array(&job->arena, (size_t)m, sizeof(int32_t));
        for (int k = 0; k < na; k++) {
            rows[k] = t->assignments[k].broker_ids;
            lens[k] = t->assignments[k].n_broker_ids > 0 ? t->assignments[k].n_broker_ids : 0;
        }
        msg[0] = '\0';
        kn_err_t err = kn_topics_add_partitions(job->c, job->names[i], t->count, na, rows, lens,
                                                in->validate_only, msg, sizeof(msg));
        set_result(job, i, err, msg);
        if (err == KN_ERR_NONE && !in->validate_only)
            job->want[i] = t->count;
    }
    wait_and_respond(job);
}

int kn_handle_create_partitions(kn_req_t *req, kn_wbuf_t *resp)
{
    KN_UNUSED(resp);
    kn_arena_t a;
    kn_arena_init(&a);
    kn_createpartitions_req_t in;
    if (kn_proto_createpartitions_req_decode(&req->body, req->api_version, &in, &a) != KN_OK) {
        kn_arena_free(&a);
        return KN_ERROR;
    }
    int n = in.n_topics > 0 ? in.n_topics : 0;
    admin_job_t *job = job_new(req, n);
    job->arena = a;
    job->in.cp = in;
    job->timeout_ms = in.timeout_ms;
    for (int i = 0; i < n; i++)
        job->names[i] = slice_name(in.topics[i].name);
    kn_server_run_on(req->broker->main_base, create_partitions_on_main, job);
    return KN_AGAIN;
}
