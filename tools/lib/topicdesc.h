/*
 * tools/lib/topicdesc.h -- kctl-topics' --describe output and --topic
 * matching, kept apart from librdkafka so both can be tested alone.
 *
 * The text is Kafka 3.x kafka-topics.sh's, byte for byte, because
 * operators grep it:
 *   Topic: T<TAB>TopicId: ...<TAB>PartitionCount: N<TAB>ReplicationFactor: R<TAB>Configs: k=v,...
 *   <TAB>Topic: T<TAB>Partition: 0<TAB>Leader: 1<TAB>Replicas: 1,2<TAB>Isr: 1,2
 * (TopicId is left out when unknown, as Kafka does for a zero id.)
 */
#ifndef KN_TOOL_TOPICDESC_H
#define KN_TOOL_TOPICDESC_H

#include <stdio.h>

#include "kn.h"

typedef struct {
    int32_t        id;
    int32_t        leader;      /* -1 = none */
    const int32_t *replicas;
    size_t         nreplicas;
    const int32_t *isr;
    size_t         nisr;
} kn_tool_part_desc_t;

typedef struct {
    const char                *name;
    const char                *topic_id;   /* NULL = unknown, not printed */
    const char                *configs;    /* "k=v,k=v" (non-default only), or "" */
    const kn_tool_part_desc_t *parts;      /* any order; printed by id */
    size_t                     nparts;
} kn_tool_topic_desc_t;

/* --describe filters; with any of them only matching partition lines are
 * printed and the topic line is left out, as kafka-topics.sh does. */
#define KN_TOOL_DESC_UNDER_REPLICATED 0x1u
#define KN_TOOL_DESC_UNAVAILABLE      0x2u

/* Print one topic. live/nlive are the brokers in the cluster metadata: a
 * partition whose leader is not among them is unavailable. Returns the
 * number of partition lines printed. */
size_t kn_tool_topic_describe(FILE *out, const kn_tool_topic_desc_t *t, unsigned filters,
                              const int32_t *live, size_t nlive);

/* Does name match the --topic argument? Like Kafka, the argument is a
 * regular expression matched against the whole name ("orders.*"); a plain
 * name matches itself. */
bool kn_tool_topic_match(const char *pattern, const char *name);

#endif /* KN_TOOL_TOPICDESC_H */
