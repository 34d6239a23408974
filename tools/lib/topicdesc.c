/*
 * tools/lib/topicdesc.c -- kctl-topics' --describe text and --topic
 * matching (see topicdesc.h).
 */
#include "config.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "tools/lib/topicdesc.h"

static void kn_tool_print_ids(FILE *out, const int32_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s%d", i ? "," : "", (int)ids[i]);
    }
}

static bool kn_tool_has_id(const int32_t *ids, size_t n, int32_t id)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == id) {
            return true;
        }
    }
    return false;
}

static int kn_tool_part_cmp(const void *a, const void *b)
{
    const kn_tool_part_desc_t *const *pa = a, *const *pb = b;
    return ((*pa)->id > (*pb)->id) - ((*pa)->id < (*pb)->id);
}

size_t kn_tool_topic_describe(FILE *out, const kn_tool_topic_desc_t *t, unsigned filters,
                              const int32_t *live, size_t nlive)
{
    const kn_tool_part_desc_t **sorted;
    size_t printed = 0;

    /* Sort pointers, not the caller's array: metadata arrives in any order. */
    sorted = kn_calloc(t->nparts ? t->nparts : 1, sizeof(*sorted));
    for (size_t i = 0; i < t->nparts; i++) {
        sorted[i] = &t->parts[i];
    }
    qsort(sorted, t->nparts, sizeof(*sorted), kn_tool_part_cmp);

    if (filters == 0) {
        /* Kafka takes the replication factor from the first partition. */
        size_t rf = t->nparts ? sorted[0]->nreplicas : 0;
        fprintf(out, "Topic: %s", t->name);
        if (t->topic_id != NULL && t->topic_id[0] != '\0') {
            fprintf(out, "\tTopicId: %s", t->topic_id);
        }
        fprintf(out, "\tPartitionCount: %zu\tReplicationFactor: %zu\tConfigs: %s\n",
                t->nparts, rf, t->configs ? t->configs : "");
    }
    for (size_t i = 0; i < t->nparts; i++) {
        const kn_tool_part_desc_t *p = sorted[i];
        bool has_leader = p->leader >= 0;
        bool unavailable = !has_leader || !kn_tool_has_id(live, nlive, p->leader);
        bool under = p->nisr < p->nreplicas;

        if ((filters & KN_TOOL_DESC_UNDER_REPLICATED) && !under) {
            continue;
        }
        if ((filters & KN_TOOL_DESC_UNAVAILABLE) && !unavailable) {
            continue;
        }
        fprintf(out, "\tTopic: %s\tPartition: %d\tLeader: ", t->name, (int)p->id);
        if (has_leader) {
            fprintf(out, "%d", (int)p->leader);
        } else {
            fputs("none", out);
        }
        fputs("\tReplicas: ", out);
        kn_tool_print_ids(out, p->replicas, p->nreplicas);
        fputs("\tIsr: ", out);
        kn_tool_print_ids(out, p->isr, p->nisr);
        fputc('\n', out);
        printed++;
    }
    free(sorted);
    return printed;
}

bool kn_tool_topic_match(const char *pattern, const char *name)
{
    regex_t re;
    size_t plen = strlen(pattern);
    char *expr;
    bool match;

    if (strcmp(pattern, name) == 0) {
        return true;
    }
    /* Kafka's include list: ',' separates alternatives, the whole name must
     * match. "^(" + pattern + ")$" with ',' turned into '|'. */
    expr = kn_malloc(plen + 5);
    expr[0] = '^';
    expr[1] = '(';
    for (size_t i = 0; i < plen; i++) {
        expr[2 + i] = pattern[i] == ',' ? '|' : pattern[i];
    }
    memcpy(expr + 2 + plen, ")$", 3);
    if (regcomp(&re, expr, REG_EXTENDED | REG_NOSUB) != 0) {
        free(expr);
        return false;   /* not a valid expression: only the exact name matched */
    }
    match = regexec(&re, name, 0, NULL, 0) == 0;
    regfree(&re);
    free(expr);
    return match;
}
