/*
 * tools/kctl-consumer-groups.h -- what the files of kctl-consumer-groups
 * share: the parsed options, and the group queries both --describe
 * (kctl-consumer-groups.c) and --reset-offsets
 * (kctl-consumer-groups-reset.c) make. Private to the tool.
 */
#ifndef KN_TOOLS_KCTL_CONSUMER_GROUPS_H
#define KN_TOOLS_KCTL_CONSUMER_GROUPS_H

#include "tools/lib/tool.h"

#define KN_CG_PROG "kctl-consumer-groups"

typedef enum {
    KN_CG_NONE = 0, KN_CG_LIST, KN_CG_DESCRIBE, KN_CG_DELETE, KN_CG_RESET
} kn_cg_action_t;

typedef enum {
    KN_CG_VIEW_OFFSETS = 0, KN_CG_VIEW_MEMBERS, KN_CG_VIEW_STATE
} kn_cg_view_t;

typedef enum {
    KN_CG_TO_NONE = 0, KN_CG_TO_EARLIEST, KN_CG_TO_LATEST, KN_CG_TO_OFFSET, KN_CG_TO_DATETIME,
    KN_CG_SHIFT_BY
} kn_cg_spec_t;

typedef struct {
    kn_tool_client_opts_t client;
    kn_tool_choice_t      action;       /* .value: a kn_cg_action_t */
    kn_cg_view_t          view;
    kn_tool_strv_t        groups;
    bool                  all_groups;
    kn_tool_strv_t        topics;       /* --topic T or T:0,1 */
    bool                  all_topics;
    kn_tool_choice_t      spec;         /* .value: a kn_cg_spec_t */
    long long             value;        /* --to-offset / --shift-by */
    int64_t               datetime_ms;  /* --to-datetime */
    bool                  dry_run, execute;
    int                   timeout_ms;
} kn_cg_opts_t;

/* cg is the Admin client (tools/lib/tool.h); its timeout_ms also bounds
 * the metadata and offset queries made with cg->rk. */

/* Wait for the result event of the admin call just made; NULL on timeout
 * or a request-level error (printed as "what: reason"). */
rd_kafka_event_t *kn_cg_wait(kn_tool_admin_t *cg, const char *what);

/* Describe one group: the event (caller destroys) and its description;
 * NULL on failure (printed). */
const rd_kafka_ConsumerGroupDescription_t *kn_cg_describe_one(kn_tool_admin_t *cg, const char *group,
                                                               rd_kafka_event_t **evp);

/* Committed offsets of a group (all partitions with one; caller
 * destroys); NULL on failure (printed). */
rd_kafka_topic_partition_list_t *kn_cg_committed(kn_tool_admin_t *cg, const char *group);

/* --reset-offsets: plan (and with --execute commit) the new offsets of
 * every --group; a KN_TOOL_EXIT_* code. */
int kn_cg_reset(kn_tool_admin_t *cg, const kn_cg_opts_t *o);

#endif
