/*
 * tools/kctl-verifiable-consumer.c -- read a whole topic back and check it
 * against what kctl-verifiable-producer says the cluster acknowledged.
 *
 * Reads every partition from its start up to the high watermark it has
 * when the tool starts (the committed end: everything acknowledged with
 * acks=all is below it), without a consumer group. With --acked FILE (the
 * producer's output) it checks the durability promise:
 *   - every acknowledged record is there, at the partition and offset the
 *     acknowledgement named, with exactly the value written ("lost" /
 *     "mismatch" otherwise);
 *   - per key, records appear in the order they were sent: a record never
 *     follows a later record of its key unless it is a re-sent duplicate
 *     ("out_of_order" otherwise; duplicates are counted, they are allowed
 *     with idempotence off);
 *   - every value has the producer's "<run>:<key>:<seq>" form and belongs
 *     to its key ("corrupt" otherwise).
 * Problems are printed one per line, then
 *     verified consumed=N unique=N acked=N lost=N mismatched=N
 *              out_of_order=N duplicates=N corrupt=N
 * and the exit status is 0 only if nothing was lost, mismatched, out of
 * order or corrupt.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tools/lib/tool.h"

#define PROG "kctl-verifiable-consumer"
#define KN_VC_MAX_KEY 1000000u

typedef struct {
    kn_tool_client_opts_t client;
    const char           *topic;
    const char           *acked;       /* producer output to verify against */
    long long             timeout_ms;  /* to read up to the end */
    bool                  print;
} kn_vc_opts_t;

/* One record consumed (key/seq packed as key << 40 | seq; ~0 = unparsable). */
typedef struct {
    int32_t  partition;
    int64_t  offset;
    uint64_t ks;
} kn_vc_rec_t;

typedef struct {
    kn_vc_rec_t *v;
    size_t       n, cap;
} kn_vc_recs_t;

static void kn_vc_push(kn_vc_recs_t *r, int32_t p, int64_t off, uint64_t ks)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 1024;
        r->v = kn_realloc(r->v, r->cap * sizeof(*r->v));
    }
    r->v[r->n].partition = p;
    r->v[r->n].offset = off;
    r->v[r->n].ks = ks;
    r->n++;
}

static int kn_vc_cmp(const void *a, const void *b)
{
    const kn_vc_rec_t *x = a, *y = b;
    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* "k<key>" and "<run>:k<key>:<seq>" -> packed key/seq, ~0 if malformed or
 * if the value names another key. */
static uint64_t kn_vc_parse(const char *key, size_t klen, const char *val, size_t vlen)
{
    char k[32], v[192];
    if (key == NULL || val == NULL || klen < 2 || klen >= sizeof(k) || vlen >= sizeof(v))
        return UINT64_MAX;
    memcpy(k, key, klen);
    k[klen] = '\0';
    memcpy(v, val, vlen);
    v[vlen] = '\0';
    const char *c1 = strchr(v, ':');
    const char *c2 = c1 ? strrchr(v, ':') : NULL;
    if (c1 == NULL || c2 == c1 || k[0] != 'k')
        return UINT64_MAX;
    if ((size_t)(c2 - c1 - 1) != klen || memcmp(c1 + 1, k, klen) != 0)
        return UINT64_MAX;
    long long kn, seq;
    if (kn_tool_parse_long(k + 1, 0, KN_VC_MAX_KEY, &kn) != KN_OK ||
        kn_tool_parse_long(c2 + 1, 0, (1LL << 40) - 1, &seq) != KN_OK)
        return UINT64_MAX;
    return ((uint64_t)kn << 40) | (uint64_t)seq;
}

/* ---- a set of packed key/seq values (open addressing) --------------------- */

typedef struct {
    uint64_t *slots;    /* 0 = empty; values stored + 1 */
    size_t    cap, n;
} kn_vc_set_t;

/* Insert; true if it was already there. */
static bool kn_vc_set_add(kn_vc_set_t *s, uint64_t x)
{
    if (s->n * 2 >= s->cap) {
        kn_vc_set_t g = { kn_calloc(s->cap ? s->cap * 2 : 4096, sizeof(uint64_t)),
                          s->cap ? s->cap * 2 : 4096, 0 };
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i])
                kn_vc_set_add(&g, s->slots[i] - 1);
        free(s->slots);
        *s = g;
    }
    size_t i = (size_t)((x * 0x9E3779B97F4A7C15ULL) >> 20) % s->cap;
    while (s->slots[i]) {
        if (s->slots[i] == x + 1)
            return true;
        i = (i + 1) % s->cap;
    }
    s->slots[i] = x + 1;
    s->n++;
    return false;
}

/* ---- reading the topic ------------------------------------------------------ */

static int kn_vc_consume(rd_kafka_t *rk, const kn_vc_opts_t *o, kn_vc_recs_t *out)
{
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1 || md->topics[0].err) {
        kn_tool_err(PROG, "no metadata for %s: %s", o->topic,
                    rd_kafka_err2str(e ? e : md->topics[0].err));
        if (md)
            rd_kafka_metadata_destroy(md);
        return KN_ERROR;
    }
    int np = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    int64_t *hw = kn_calloc((size_t)KN_MAX(np, 1), sizeof(int64_t));
    int64_t *pos = kn_calloc((size_t)KN_MAX(np, 1), sizeof(int64_t));
    int64_t deadline = kn_mono_ms() + o->timeout_ms;
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np; p++) {
        int64_t lo = -1, hi = -1;
        /* Leaders may be moving right after a failure: retry until the
         * deadline. */
        while ((e = rd_kafka_query_watermark_offsets(rk, o->topic, p, &lo, &hi, 5000)) !=
                   RD_KAFKA_RESP_ERR_NO_ERROR && kn_mono_ms() < deadline)
            rd_kafka_poll(rk, 200);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            kn_tool_err(PROG, "high watermark of %s-%d: %s", o->topic, p, rd_kafka_err2str(e));
            goto fail;
        }
        hw[p] = hi;
        pos[p] = lo;
        rd_kafka_topic_partition_list_add(tl, o->topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    if ((e = rd_kafka_assign(rk, tl)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        kn_tool_err(PROG, "assign: %s", rd_kafka_err2str(e));
        goto fail;
    }
    for (;;) {
        bool done = true;
        for (int p = 0; p < np; p++)
            done &= pos[p] >= hw[p];
        if (done)
            break;
        if (kn_mono_ms() > deadline) {
            for (int p = 0; p < np; p++)
                if (pos[p] < hw[p])
                    kn_tool_err(PROG, "%s-%d: read up to %lld of %lld before the timeout",
                                o->topic, p, (long long)pos[p], (long long)hw[p]);
            goto fail;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (m == NULL)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->partition >= 0 && m->partition < np) {
            uint64_t ks = kn_vc_parse(m->key, m->key_len, m->payload, m->len);
            kn_vc_push(out, m->partition, m->offset, ks);
            pos[m->partition] = KN_MAX(pos[m->partition], m->offset + 1);
            if (o->print)
                printf("record %d %lld %.*s %.*s\n", (int)m->partition, (long long)m->offset,
                       (int)m->key_len, m->key ? (const char *)m->key : "", (int)m->len,
                       m->payload ? (const char *)m->payload : "");
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            kn_log_warn(PROG, "consume: %s", rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_topic_partition_list_destroy(tl);
    free(hw);
    free(pos);
    return KN_OK;
fail:
    rd_kafka_topic_partition_list_destroy(tl);
    free(hw);
    free(pos);
    return KN_ERROR;
}

/* ---- verification ------------------------------------------------------------ */

static int kn_vc_verify(const kn_vc_opts_t *o, kn_vc_recs_t *recs)
{
    FILE *f = fopen(o->acked, "r");
    if (f == NULL) {
        kn_tool_err(PROG, "cannot read %s", o->acked);
        return KN_TOOL_EXIT_FAIL;
    }
    if (recs->n > 0)
        qsort(recs->v, recs->n, sizeof(*recs->v), kn_vc_cmp);
    long long acked = 0, lost = 0, mismatched = 0, ooo = 0, dups = 0, corrupt = 0;
    char line[512];
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned key;
        unsigned long long seq;
        int p;
        long long off;
        if (sscanf(line, "acked k%u %llu %d %lld", &key, &seq, &p, &off) != 4)
            continue;
        acked++;
        kn_vc_rec_t want = { p, off, ((uint64_t)key << 40) | seq };
        kn_vc_rec_t *got = recs->n == 0 ? NULL
                           : bsearch(&want, recs->v, recs->n, sizeof(*recs->v), kn_vc_cmp);
        if (got == NULL) {
            lost++;
            printf("lost k%u %llu %d %lld\n", key, seq, p, off);
        } else if (got->ks != want.ks) {
            mismatched++;
            printf("mismatch %d %lld expected k%u:%llu\n", p, off, key, seq);
        }
    }
    fclose(f);

    /* Per-key order, in log order within each partition. */
    kn_vc_set_t seen = { NULL, 0, 0 };
    uint64_t *maxseq = NULL;   /* per key: highest seq + 1 seen (0 = none) */
    size_t nkeys = 0;
    for (size_t i = 0; i < recs->n; i++) {
        uint64_t ks = recs->v[i].ks;
        if (ks == UINT64_MAX) {
            corrupt++;
            printf("corrupt %d %lld\n", recs->v[i].partition, (long long)recs->v[i].offset);
            continue;
        }
        size_t key = (size_t)(ks >> 40);
        uint64_t seq = ks & ((1ULL << 40) - 1);
        if (key >= nkeys) {
            size_t nn = key + 1;
            maxseq = kn_realloc(maxseq, nn * sizeof(*maxseq));
            memset(maxseq + nkeys, 0, (nn - nkeys) * sizeof(*maxseq));
            nkeys = nn;
        }
        if (kn_vc_set_add(&seen, ks)) {
            dups++;
        } else if (seq + 1 < maxseq[key]) {
            ooo++;
            printf("out_of_order k%zu %llu %d %lld\n", key, (unsigned long long)seq,
                   recs->v[i].partition, (long long)recs->v[i].offset);
        }
        maxseq[key] = KN_MAX(maxseq[key], seq + 1);
    }
    printf("verified consumed=%zu unique=%zu acked=%lld lost=%lld mismatched=%lld "
           "out_of_order=%lld duplicates=%lld corrupt=%lld\n",
           recs->n, seen.n, acked, lost, mismatched, ooo, dups, corrupt);
    free(seen.slots);
    free(maxseq);
    return lost || mismatched || ooo || corrupt ? KN_TOOL_EXIT_FAIL : KN_TOOL_EXIT_OK;
}

static void kn_vc_usage(FILE *out)
{
    fputs("Usage: " PROG " --bootstrap-server HOST:PORT --topic TOPIC [OPTIONS]\n"
          "Read a topic from the start to its high watermark and verify it against\n"
          "the acknowledgements kctl-verifiable-producer printed.\n"
          "\n"
          "  --bootstrap-server HOST:PORT   broker(s) to connect to (required)\n"
          "  --topic TOPIC                  topic to read (required)\n"
          "  --acked FILE                   the producer's output to verify against\n"
          "  --print                        print every record: record P OFFSET KEY VALUE\n"
          "  --timeout-ms N                 give up reading after N ms (default 120000)\n"
          "  --consumer-property KEY=VALUE  client setting (repeatable)\n"
          "  --consumer.config FILE         client settings file (Java properties)\n"
          "  --help                         print this help\n"
          "  --version                      print the version\n", out);
}

static int kn_vc_parse_args(int argc, char **argv, kn_vc_opts_t *o)
{
    enum { O_BOOT = 256, O_TOPIC, O_ACKED, O_PRINT, O_TIMEOUT, O_PROP, O_CFG, O_HELP, O_VERSION };
    static const struct option longopts[] = {
        { "bootstrap-server", required_argument, NULL, O_BOOT },
        { "topic", required_argument, NULL, O_TOPIC },
        { "acked", required_argument, NULL, O_ACKED },
        { "print", no_argument, NULL, O_PRINT },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "consumer-property", required_argument, NULL, O_PROP },
        { "consumer.config", required_argument, NULL, O_CFG },
        { "command-config", required_argument, NULL, O_CFG },
        { "help", no_argument, NULL, O_HELP },
        { "version", no_argument, NULL, O_VERSION },
        { NULL, 0, NULL, 0 }
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case O_BOOT: o->client.bootstrap = optarg; break;
        case O_TOPIC: o->topic = optarg; break;
        case O_ACKED: o->acked = optarg; break;
        case O_PRINT: o->print = true; break;
        case O_TIMEOUT:
            if (kn_tool_terse_long(PROG, "--timeout-ms", "expected a positive number", optarg, 1,
                                    INT32_MAX, &o->timeout_ms) != KN_OK) {
                return KN_ERROR;
            }
            break;
        case O_PROP: kn_tool_strv_push(&o->client.props, optarg); break;
        case O_CFG: kn_tool_strv_push(&o->client.files, optarg); break;
        case O_HELP: kn_vc_usage(stdout); exit(KN_TOOL_EXIT_OK);
        case O_VERSION: kn_tool_terse_version(PROG);
        default: return kn_tool_terse_opt_error(PROG, c, argv);
        }
    }
    if (kn_tool_terse_finish(PROG, argc, argv, o->client.bootstrap, o->topic) != KN_OK) {
        return KN_ERROR;
    }
    return KN_OK;
}

int main(int argc, char **argv)
{
    kn_vc_opts_t o;
    kn_vc_recs_t recs = { NULL, 0, 0 };
    char group[64];
    memset(&o, 0, sizeof(o));
    o.timeout_ms = 120000;
    kn_tool_init(PROG);
    if (kn_vc_parse_args(argc, argv, &o) != KN_OK) {
        kn_tool_client_opts_free(&o.client);
        return KN_TOOL_EXIT_FAIL;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* A group id is required by the consumer API; no group is joined
     * (partitions are assigned) and nothing is committed. */
    snprintf(group, sizeof(group), "%s-%lld", PROG, (long long)kn_now_ms());
    const char *const defaults[] = {
        "group.id", group,
        "enable.auto.commit", "false",
        "enable.partition.eof", "true",
        "auto.offset.reset", "earliest",
        NULL
    };
    rd_kafka_conf_t *conf = kn_tool_make_conf(PROG, &o.client, defaults, NULL, 0);
    kn_tool_client_opts_free(&o.client);   /* all in conf now */
    if (conf == NULL) {
        return KN_TOOL_EXIT_FAIL;
    }
    rd_kafka_t *rk = kn_tool_client_new(PROG, RD_KAFKA_CONSUMER, conf);
    if (rk == NULL) {
        return KN_TOOL_EXIT_FAIL;
    }
    int rc = kn_vc_consume(rk, &o, &recs) == KN_OK ? KN_TOOL_EXIT_OK : KN_TOOL_EXIT_FAIL;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (rc == KN_TOOL_EXIT_OK && o.acked != NULL)
        rc = kn_vc_verify(&o, &recs);
    else if (rc == KN_TOOL_EXIT_OK)
        printf("consumed %zu\n", recs.n);
    free(recs.v);
    return rc;
}
