/*
 * broker/handlers/describe_configs.c -- DescribeConfigs (API key 32),
 * versions 0-2.
 *
 * Topics: every key of kn_topic_config_table, the value from the topic's
 * overrides in /config/topics/<t> (source DYNAMIC_TOPIC_CONFIG) or else the
 * broker-wide default (kn_broker_topic_default(), source DEFAULT_CONFIG).
 * Brokers: this broker's static configuration (STATIC_BROKER_CONFIG when
 * set in the file or an override, DEFAULT_CONFIG otherwise); secrets are
 * sent as null and flagged sensitive. Synonyms are not listed (allowed by
 * the protocol for v1+).
 *
 * Reading /config/topics needs ZooKeeper, so the request is parked and
 * answered from the main loop (broker/cluster/admin.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/admin.h"
#include "broker/cluster/topics.h"
#include "broker/handlers/cluster_handlers.h"
#include "log.h"
#include "protocol/arena.h"
#include "protocol/configs.h"

typedef struct {
    kn_req_t                 *req;
    kn_cluster_t             *c;
    kn_arena_t                arena;
    kn_describeconfigs_req_t  in;
} dc_job_t;

/* true if the resource asks for key (null key list = all). */
static bool wanted(const kn_describeconfigs_resource_t *res, const char *key)
{
    if (res->n_configuration_keys < 0)
        return true;
    for (int32_t i = 0; i < res->n_configuration_keys; i++)
        if (kn_slice_eq(res->configuration_keys[i], key))
            return true;
    return false;
}

static size_t table_len(const kn_cfg_key_t *t)
{
    size_t n = 0;
    while (t[n].name)
        n++;
    return n;
}

static void describe_topic(dc_job_t *job, const kn_describeconfigs_resource_t *res,
                           kn_describeconfigs_result_t *out)
{
    kn_arena_t *a = &job->arena;
    kn_cluster_t *c = job->c;
    char *name = kn_arena_slice_strdup(a, res->resource_name);
    if (name == NULL || kn_topic_name_check(name, strlen(name)) != KN_ERR_NONE) {
        out->error_code = KN_ERR_INVALID_TOPIC_EXCEPTION;
        return;
    }
    char path[512];
    snprintf(path, sizeof(path), "/brokers/topics/%s", name);
    if (c->zk == NULL || kn_zk_exists(c->zk, path, NULL, NULL, NULL) != ZOK) {
        out->error_code = KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        out->error_message = kn_slice_str(kn_arena_strdup(a, "topic does not exist"));
        return;
    }
    json_t *j = NULL, *overrides = NULL;
    snprintf(path, sizeof(path), "/config/topics/%s", name);
    if (kn_zk_get_json(c->zk, path, &j, NULL, NULL, NULL) == ZOK)
        overrides = json_object_get(j, "config");

    size_t n = table_len(kn_topic_config_table);
    out->configs = kn_arena_array(a, n ? n : 1, sizeof(kn_describeconfigs_entry_t));
    for (size_t i = 0; i < n; i++) {
        const kn_cfg_key_t *k = &kn_topic_config_table[i];
        if (!wanted(res, k->name))
            continue;
        kn_describeconfigs_entry_t *e = &out->configs[out->n_configs++];
        e->name = kn_slice_str(k->name);
        const char *ov = json_string_value(json_object_get(overrides, k->name));
        if (ov) {
            e->value = kn_slice_str(kn_arena_strdup(a, ov));
            e->config_source = KN_CONFIG_SOURCE_DYNAMIC_TOPIC;
            e->is_default = false;
        } else {
            char *def = c->b && c->b->cfg ? kn_broker_topic_default(c->b->cfg, k->name) : NULL;
            if (def == NULL && k->def)
                def = kn_strdup(k->def);
            e->value = kn_slice_str(def ? kn_arena_strdup(a, def) : NULL);
            free(def);
            e->config_source = KN_CONFIG_SOURCE_DEFAULT;
            e->is_default = true;
        }
        e->is_sensitive = (k->flags & KN_CFG_SECRET) != 0;
        if (e->is_sensitive)
            e->value = KN_SLICE_NULL;
    }
    json_decref(j);
}

static void describe_broker(dc_job_t *job, const kn_describeconfigs_resource_t *res,
                            kn_describeconfigs_result_t *out)
{
    kn_arena_t *a = &job->arena;
    kn_cluster_t *c = job->c;
    char self[16];
    snprintf(self, sizeof(self), "%d", c->broker_id);
    /* An empty name means the cluster-wide default entity; we have no
     * dynamic broker configs, so it describes this broker's static ones. */
    if (res->resource_name.len > 0 && !kn_slice_eq(res->resource_name, self)) {
        out->error_code = KN_ERR_INVALID_REQUEST;
        out->error_message = kn_slice_str(kn_arena_strdup(a, "unexpected broker id"));
        return;
    }
    if (c->b == NULL || c->b->cfg == NULL)
        return;
    size_t n = table_len(kn_broker_config_table);
    out->configs = kn_arena_array(a, n ? n : 1, sizeof(kn_describeconfigs_entry_t));
    for (size_t i = 0; i < n; i++) {
        const kn_cfg_key_t *k = &kn_broker_config_table[i];
        if (!wanted(res, k->name))
            continue;
        kn_describeconfigs_entry_t *e = &out->configs[out->n_configs++];
        bool set = kn_config_is_set(c->b->cfg, k->name);
        e->name = kn_slice_str(k->name);
        e->read_only = true;
        e->is_sensitive = (k->flags & KN_CFG_SECRET) != 0;
        e->value = e->is_sensitive ? KN_SLICE_NULL
                                   : kn_slice_str(kn_arena_strdup(a, kn_config_str(c->b->cfg, k->name)));
        e->config_source = set ? KN_CONFIG_SOURCE_STATIC_BROKER : KN_CONFIG_SOURCE_DEFAULT;
        e->is_default = !set;
    }
}

static void describe_on_main(void *arg)
{
    dc_job_t *job = arg;
    int32_t n = job->in.n_resources > 0 ? job->in.n_resources : 0;
    kn_describeconfigs_resp_t out = { .n_results = n };
    out.results = kn_arena_array(&job->arena, (size_t)(n ? n : 1), sizeof(*out.results));
    for (int32_t i = 0; i < n; i++) {
        const kn_describeconfigs_resource_t *res = &job->in.resources[i];
        kn_describeconfigs_result_t *r = &out.results[i];
        r->resource_type = res->resource_type;
        r->resource_name = res->resource_name;
        r->error_message = KN_SLICE_NULL;
        if (res->resource_type == KN_RESOURCE_TOPIC)
            describe_topic(job, res, r);
        else if (res->resource_type == KN_RESOURCE_BROKER)
            describe_broker(job, res, r);
        else
            r->error_code = KN_ERR_INVALID_REQUEST;
    }
    kn_wbuf_t w;
    kn_wbuf_init(&w, 1024);
    kn_proto_describeconfigs_resp_encode(&w, job->req->api_version, &out);
    kn_admin_reply(job->req, &w);
    kn_wbuf_free(&w);
    kn_arena_free(&job->arena);
    free(job);
}

int kn_handle_describe_configs(kn_req_t *req, kn_wbuf_t *resp)
{
    KN_UNUSED(resp);
    dc_job_t *job = kn_calloc(1, sizeof(*job));
    kn_arena_init(&job->arena);
    if (kn_proto_describeconfigs_req_decode(&req->body, req->api_version, &job->in,
                                            &job->arena) != KN_OK) {
        kn_arena_free(&job->arena);
        free(job);
        return KN_ERROR;
    }
    job->req = req;
    job->c = req->broker->cluster;
    kn_server_run_on(req->broker->main_base, describe_on_main, job);
    return KN_AGAIN;
}
