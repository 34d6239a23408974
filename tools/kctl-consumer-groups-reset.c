/*
 * tools/kctl-consumer-groups-reset.c -- kctl-consumer-groups
 * --reset-offsets: which partitions to reset (--topic / --all-topics),
 * where to (--to-earliest, --to-latest, --to-offset, --to-datetime,
 * --shift-by, clamped to the log like Kafka does), the NEW-OFFSET table,
 * and with --execute the commit through AlterConsumerGroupOffsets. The
 * group must be inactive (Empty or Dead), as Kafka requires.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tools/kctl-consumer-groups.h"

/* Offsets may only move while no member could commit over them. */
static bool kn_cg_inactive(rd_kafka_consumer_group_state_t st)
{
    return st == RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY || st == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD;
}

/* The partitions to reset: --topic T (every partition, from metadata),
 * --topic T:0,2, or --all-topics (whatever the group has committed). */
static rd_kafka_topic_partition_list_t *kn_cg_reset_scope(kn_tool_admin_t *cg, const kn_cg_opts_t *o,
                                                          const rd_kafka_topic_partition_list_t *committed)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    if (o->all_topics) {
        for (int i = 0; i < committed->cnt; i++) {
            rd_kafka_topic_partition_list_add(l, committed->elems[i].topic, committed->elems[i].partition);
        }
        return l;
    }
    const struct rd_kafka_metadata *md = NULL;
    for (size_t i = 0; i < o->topics.n; i++) {
        char *spec = kn_strdup(o->topics.items[i]);
        char *colon = strchr(spec, ':');
        if (colon != NULL) {
            *colon = '\0';
            for (char *tok = strtok(colon + 1, ","); tok != NULL; tok = strtok(NULL, ",")) {
                long long p;
                if (kn_tool_parse_long(tok, 0, INT32_MAX, &p) != KN_OK) {
                    kn_tool_err(KN_CG_PROG, "--topic %s: bad partition '%s'", o->topics.items[i], tok);
                    free(spec);
                    goto fail;
                }
                rd_kafka_topic_partition_list_add(l, spec, (int32_t)p);
            }
            free(spec);
            continue;
        }
        if (md == NULL && rd_kafka_metadata(cg->rk, 1, NULL, &md, cg->timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            kn_tool_err(KN_CG_PROG, "cannot read cluster metadata");
            free(spec);
            goto fail;
        }
        bool found = false;
        for (int t = 0; t < md->topic_cnt; t++) {
            if (strcmp(md->topics[t].topic, spec) == 0 && md->topics[t].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                for (int p = 0; p < md->topics[t].partition_cnt; p++) {
                    rd_kafka_topic_partition_list_add(l, spec, md->topics[t].partitions[p].id);
                }
                found = true;
            }
        }
        if (!found) {
            kn_tool_err(KN_CG_PROG, "topic '%s' does not exist", spec);
            free(spec);
            goto fail;
        }
        free(spec);
    }
    if (md != NULL) {
        rd_kafka_metadata_destroy(md);
    }
    return l;
fail:
    if (md != NULL) {
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_partition_list_destroy(l);
    return NULL;
}

/* Fill l's offsets with the target of the reset spec; KN_OK / KN_ERROR. */
static int kn_cg_reset_targets(kn_tool_admin_t *cg, const kn_cg_opts_t *o, rd_kafka_topic_partition_list_t *l,
                               const rd_kafka_topic_partition_list_t *committed)
{
    rd_kafka_topic_partition_list_t *times = NULL;
    if (o->spec.value == KN_CG_TO_DATETIME) {
        times = rd_kafka_topic_partition_list_copy(l);
        for (int i = 0; i < times->cnt; i++) {
            times->elems[i].offset = o->datetime_ms;
        }
        rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(cg->rk, times, cg->timeout_ms);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            kn_tool_err(KN_CG_PROG, "offsets for time: %s", rd_kafka_err2str(err));
            rd_kafka_topic_partition_list_destroy(times);
            return KN_ERROR;
        }
    }
    for (int i = 0; i < l->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &l->elems[i];
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(cg->rk, tp->topic, tp->partition, &lo,
                                                                   &hi, cg->timeout_ms);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            kn_tool_err(KN_CG_PROG, "offsets of %s-%d: %s", tp->topic, (int)tp->partition, rd_kafka_err2str(err));
            if (times != NULL) {
                rd_kafka_topic_partition_list_destroy(times);
            }
            return KN_ERROR;
        }
        const rd_kafka_topic_partition_t *c =
            rd_kafka_topic_partition_list_find(committed, tp->topic, tp->partition);
        int64_t cur = c != NULL && c->offset >= 0 ? c->offset : lo;
        int64_t target;
        switch (o->spec.value) {
        case KN_CG_TO_EARLIEST: target = lo; break;
        case KN_CG_TO_LATEST: target = hi; break;
        case KN_CG_TO_OFFSET: target = o->value; break;
        case KN_CG_SHIFT_BY: target = cur + o->value; break;
        case KN_CG_TO_DATETIME: {
            const rd_kafka_topic_partition_t *t =
                rd_kafka_topic_partition_list_find(times, tp->topic, tp->partition);
            target = t != NULL && t->offset >= 0 ? t->offset : hi;
            break;
        }
        default: target = cur; break;
        }
        /* Like Kafka, out-of-range targets are clamped to the log. */
        tp->offset = target < lo ? lo : target > hi ? hi : target;
    }
    if (times != NULL) {
        rd_kafka_topic_partition_list_destroy(times);
    }
    return KN_OK;
}

static int kn_cg_commit(kn_tool_admin_t *cg, const char *group, const rd_kafka_topic_partition_list_t *l)
{
    rd_kafka_AlterConsumerGroupOffsets_t *req = rd_kafka_AlterConsumerGroupOffsets_new(group, l);
    rd_kafka_AdminOptions_t *ao = kn_tool_admin_options(cg, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
    rd_kafka_AlterConsumerGroupOffsets(cg->rk, &req, 1, ao, cg->q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_AlterConsumerGroupOffsets_destroy(req);
    rd_kafka_event_t *ev = kn_cg_wait(cg, "commit offsets");
    if (ev == NULL) {
        return KN_ERROR;
    }
    size_t n = 0;
    int rc = KN_OK;
    const rd_kafka_group_result_t **gr = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_error_t *e = rd_kafka_group_result_error(gr[i]);
        const rd_kafka_topic_partition_list_t *p = rd_kafka_group_result_partitions(gr[i]);
        if (e != NULL) {
            kn_tool_err(KN_CG_PROG, "commit offsets of %s: %s", group, rd_kafka_error_string(e));
            rc = KN_ERROR;
        }
        for (int k = 0; p != NULL && k < p->cnt; k++) {
            if (p->elems[k].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                kn_tool_err(KN_CG_PROG, "commit offset of %s-%d: %s", p->elems[k].topic,
                            (int)p->elems[k].partition, rd_kafka_err2str(p->elems[k].err));
                rc = KN_ERROR;
            }
        }
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

int kn_cg_reset(kn_tool_admin_t *cg, const kn_cg_opts_t *o)
{
    int rc = KN_TOOL_EXIT_OK;
    for (size_t g = 0; g < o->groups.n && rc == KN_TOOL_EXIT_OK; g++) {
        const char *group = o->groups.items[g];
        rd_kafka_event_t *ev = NULL;
        const rd_kafka_ConsumerGroupDescription_t *d = kn_cg_describe_one(cg, group, &ev);
        if (d == NULL) {
            rc = KN_TOOL_EXIT_FAIL;
        } else if (!kn_cg_inactive(rd_kafka_ConsumerGroupDescription_state(d))) {
            fprintf(stderr, "Error: Assignments can only be reset if the group '%s' is inactive, but "
                            "the current state is %s.\n", group,
                    rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d)));
            rc = KN_TOOL_EXIT_FAIL;
        }
        if (ev != NULL) {
            rd_kafka_event_destroy(ev);
        }
        if (rc != KN_TOOL_EXIT_OK) {
            break;
        }
        rd_kafka_topic_partition_list_t *committed = kn_cg_committed(cg, group);
        rd_kafka_topic_partition_list_t *l = committed ? kn_cg_reset_scope(cg, o, committed) : NULL;
        if (l == NULL || kn_cg_reset_targets(cg, o, l, committed) != KN_OK) {
            rc = KN_TOOL_EXIT_FAIL;
        } else {
            rd_kafka_topic_partition_list_sort(l, NULL, NULL);
            int wg = KN_MAX(5, (int)strlen(group)), wt = 5;
            for (int i = 0; i < l->cnt; i++) {
                wt = KN_MAX(wt, (int)strlen(l->elems[i].topic));
            }
            printf("\n%-*s %-*s %-10s %s\n", wg, "GROUP", wt, "TOPIC", "PARTITION", "NEW-OFFSET");
            for (int i = 0; i < l->cnt; i++) {
                printf("%-*s %-*s %-10d %lld\n", wg, group, wt, l->elems[i].topic,
                       (int)l->elems[i].partition, (long long)l->elems[i].offset);
            }
            if (o->execute && l->cnt > 0 && kn_cg_commit(cg, group, l) != KN_OK) {
                rc = KN_TOOL_EXIT_FAIL;
            }
        }
        if (l != NULL) {
            rd_kafka_topic_partition_list_destroy(l);
        }
        if (committed != NULL) {
            rd_kafka_topic_partition_list_destroy(committed);
        }
    }
    return rc;
}
