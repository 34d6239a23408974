/*
 * broker/config_table.c -- every configuration key the broker accepts
 * (kn_broker_config_table) and the per-topic keys (kn_topic_config_table).
 *
 * Names and defaults are Kafka's, so an operator's broker.properties works
 * unchanged where the concept exists; keys marked "(Kanal)" are ours.
 * Keys Kafka leaves unset by default (log.retention.ms, log.roll.ms, ...)
 * have no default here either: the code that reads them checks
 * kn_config_is_set() and falls back to the coarser unit, as Kafka does.
 * A topic key's default is the broker-wide value; kn_broker_topic_default()
 * computes it from a loaded broker config.
 */
#include "config.h"
#include "broker/broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/server/server.h"
#include "log.h"

#define I32MAX 2147483647LL
#define I64MAX 9223372036854775807LL

static int kn_cfgv_log_level(const char *v, char *err, size_t errlen)
{
    kn_log_level_t l;
    if (kn_log_level_parse(v, &l) != KN_OK) {
        snprintf(err, errlen, "expected trace|debug|info|warn|error|fatal");
        return KN_ERROR;
    }
    return KN_OK;
}

static int kn_cfgv_listeners(const char *v, char *err, size_t errlen)
{
    /* Syntax only: names are checked against the security protocol map
     * once every key is known (main.c). */
    return kn_listeners_syntax(v, err, errlen);
}

static int kn_cfgv_cleanup_policy(const char *v, char *err, size_t errlen)
{
    static const char *const ok[] = { "delete", "compact", "compact,delete", "delete,compact" };
    char buf[64];
    size_t j = 0;
    for (const char *p = v; *p && j + 1 < sizeof(buf); p++) {
        if (*p != ' ') {
            buf[j++] = *p;
        }
    }
    buf[j] = '\0';
    for (size_t i = 0; i < KN_ARRAY_LEN(ok); i++) {
        if (strcmp(buf, ok[i]) == 0) {
            return KN_OK;
        }
    }
    snprintf(err, errlen, "expected delete, compact or compact,delete");
    return KN_ERROR;
}

#define KEY(n, t, d, lo, hi, doc) { n, t, d, lo, hi, NULL, NULL, 0, doc }
#define KEYC(n, d, choices, doc) { n, KN_CFG_STRING, d, 0, 0, choices, NULL, 0, doc }
#define KEYV(n, t, d, fn, doc) { n, t, d, 0, 0, NULL, fn, 0, doc }
#define KEYR(n, t, lo, hi, doc) { n, t, NULL, lo, hi, NULL, NULL, KN_CFG_REQUIRED, doc }

#define KN_COMPRESSION_CHOICES "uncompressed|zstd|lz4|snappy|gzip|producer"

const kn_cfg_key_t kn_broker_config_table[] = {
    /* identity and network */
    KEYR("broker.id", KN_CFG_INT, 0, I32MAX, "unique id of this broker in the cluster"),
    KEY("broker.rack", KN_CFG_STRING, NULL, 0, 0, "rack of this broker (rack-aware replica placement)"),
    KEYV("listeners", KN_CFG_STRING, "PLAINTEXT://:9092", kn_cfgv_listeners,
         "NAME://host:port,... endpoints to listen on"),
    KEYV("advertised.listeners", KN_CFG_STRING, NULL, kn_cfgv_listeners,
         "endpoints published for clients (default: listeners)"),
    KEY("listener.security.protocol.map", KN_CFG_STRING,
        "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL", 0, 0,
        "listener name to security protocol"),
    KEY("inter.broker.listener.name", KN_CFG_STRING, NULL, 0, 0,
        "listener other brokers use to reach this one (default: PLAINTEXT, else the first)"),
    KEY("num.network.threads", KN_CFG_INT, "3", 1, 256, "network (event loop) threads"),
    KEY("num.io.threads", KN_CFG_INT, "8", 1, 256, "accepted for compatibility; handlers run on network threads"),
    KEY("socket.request.max.bytes", KN_CFG_INT, "104857600", 1, I32MAX,
        "largest request frame accepted; bigger ones close the connection"),
    KEY("socket.send.buffer.bytes", KN_CFG_INT, "102400", -1, I32MAX, "SO_SNDBUF, -1 = OS default"),
    KEY("socket.receive.buffer.bytes", KN_CFG_INT, "102400", -1, I32MAX, "SO_RCVBUF, -1 = OS default"),
    KEY("connections.max.idle.ms", KN_CFG_LONG, "600000", -1, I64MAX,
        "close connections idle this long, -1 = never"),
    /* TLS */
    KEY("ssl.certificate.location", KN_CFG_STRING, NULL, 0, 0, "PEM certificate (chain) of SSL listeners (Kanal)"),
    KEY("ssl.key.location", KN_CFG_STRING, NULL, 0, 0, "PEM private key of SSL listeners (Kanal)"),
    KEY("ssl.ca.location", KN_CFG_STRING, NULL, 0, 0, "PEM CA bundle to verify peers (Kanal)"),
    KEYC("ssl.client.auth", "none", "none|requested|required", "client certificates on SSL listeners"),
    /* storage */
    KEY("log.dirs", KN_CFG_LIST, NULL, 0, 0, "directories holding partition logs (default: log.dir)"),
    KEY("log.dir", KN_CFG_STRING, "/var/lib/kanal/data", 0, 0, "log directory when log.dirs is unset"),
    KEY("log.segment.bytes", KN_CFG_INT, "1073741824", 14, I32MAX, "segment file size before rolling"),
    KEY("log.roll.ms", KN_CFG_LONG, NULL, 1, I64MAX, "roll a segment after this time (wins over log.roll.hours)"),
    KEY("log.roll.hours", KN_CFG_INT, "168", 1, I32MAX, "roll a segment after this many hours"),
    KEY("log.retention.ms", KN_CFG_LONG, NULL, -1, I64MAX, "delete segments older than this, -1 = forever"),
    KEY("log.retention.minutes", KN_CFG_INT, NULL, -1, I32MAX, "retention in minutes (if log.retention.ms unset)"),
    KEY("log.retention.hours", KN_CFG_INT, "168", -1, I32MAX, "retention in hours (if ms/minutes unset)"),
    KEY("log.retention.bytes", KN_CFG_LONG, "-1", -1, I64MAX, "partition size limit, -1 = none"),
    KEY("log.retention.check.interval.ms", KN_CFG_LONG, "300000", 1, I64MAX, "how often retention runs"),
    KEY("log.index.interval.bytes", KN_CFG_INT, "4096", 0, I32MAX, "bytes between offset index entries"),
    KEY("log.index.size.max.bytes", KN_CFG_INT, "10485760", 4, I32MAX, "offset index file size"),
    KEY("log.flush.interval.messages", KN_CFG_LONG, "9223372036854775807", 1, I64MAX,
        "fsync after this many messages"),
    KEY("log.flush.interval.ms", KN_CFG_LONG, NULL, 0, I64MAX, "fsync after this time (default: never)"),
    KEY("log.flush.scheduler.interval.ms", KN_CFG_LONG, "9223372036854775807", 0, I64MAX,
        "how often the flusher checks"),
    KEYV("log.cleanup.policy", KN_CFG_LIST, "delete", kn_cfgv_cleanup_policy, "default cleanup.policy"),
    KEY("log.cleaner.enable", KN_CFG_BOOL, "true", 0, 0, "run the log cleaner (compaction)"),
    KEY("log.cleaner.delete.retention.ms", KN_CFG_LONG, "86400000", 0, I64MAX, "default delete.retention.ms"),
    KEY("log.cleaner.min.cleanable.ratio", KN_CFG_DOUBLE, "0.5", 0, 1, "default min.cleanable.dirty.ratio"),
    KEY("log.cleaner.min.compaction.lag.ms", KN_CFG_LONG, "0", 0, I64MAX, "default min.compaction.lag.ms"),
    KEY("log.cleaner.backoff.ms", KN_CFG_LONG, "15000", 0, I64MAX, "cleaner sleep when idle"),
    KEYC("log.message.timestamp.type", "CreateTime", "CreateTime|LogAppendTime", "default message.timestamp.type"),
    KEY("log.preallocate", KN_CFG_BOOL, "false", 0, 0, "preallocate segment files"),
    KEY("message.max.bytes", KN_CFG_INT, "1048588", 0, I32MAX, "largest record batch accepted"),
    KEYC("compression.type", "producer", KN_COMPRESSION_CHOICES, "default compression.type"),
    KEY("num.recovery.threads.per.data.dir", KN_CFG_INT, "1", 1, 256, "threads recovering logs at start"),
    /* topics */
    KEY("num.partitions", KN_CFG_INT, "1", 1, I32MAX, "partitions of auto-created topics"),
    KEY("default.replication.factor", KN_CFG_INT, "1", 1, 32767, "replication factor of auto-created topics"),
    KEY("min.insync.replicas", KN_CFG_INT, "1", 1, I32MAX, "ISR size needed for acks=all writes"),
    KEY("auto.create.topics.enable", KN_CFG_BOOL, "true", 0, 0, "create topics on Metadata/Produce for unknown names"),
    KEY("delete.topic.enable", KN_CFG_BOOL, "true", 0, 0, "allow DeleteTopics"),
    KEY("unclean.leader.election.enable", KN_CFG_BOOL, "false", 0, 0, "allow leaders from outside the ISR"),
    KEY("auto.leader.rebalance.enable", KN_CFG_BOOL, "true", 0, 0, "move leadership back to preferred replicas"),
    KEY("controlled.shutdown.enable", KN_CFG_BOOL, "true", 0, 0, "move leadership away before stopping"),
    KEY("controlled.shutdown.max.retries", KN_CFG_INT, "3", 0, 1000, "controlled shutdown attempts after the first"),
    KEY("controlled.shutdown.retry.backoff.ms", KN_CFG_LONG, "5000", 0, I64MAX, "wait between controlled shutdown attempts"),
    /* replication */
    KEY("replica.lag.time.max.ms", KN_CFG_LONG, "30000", 1, I64MAX, "drop a follower from the ISR after this lag"),
    KEY("replica.fetch.max.bytes", KN_CFG_INT, "1048576", 0, I32MAX, "per-partition bytes a follower fetches"),
    KEY("replica.fetch.response.max.bytes", KN_CFG_INT, "10485760", 0, I32MAX, "bytes per follower fetch response"),
    KEY("replica.fetch.wait.max.ms", KN_CFG_INT, "500", 0, I32MAX, "follower fetch max_wait_ms"),
    KEY("replica.fetch.min.bytes", KN_CFG_INT, "1", 1, I32MAX, "follower fetch min_bytes"),
    KEY("replica.fetch.backoff.ms", KN_CFG_INT, "1000", 0, I32MAX, "follower back-off after an error"),
    KEY("replica.socket.timeout.ms", KN_CFG_INT, "30000", 1, I32MAX, "follower request timeout"),
    KEY("num.replica.fetchers", KN_CFG_INT, "1", 1, 256, "fetcher connections per source broker"),
    KEY("replica.high.watermark.checkpoint.interval.ms", KN_CFG_LONG, "5000", 1, I64MAX,
        "how often the high watermarks are checkpointed"),
    /* groups and offsets */
    KEY("offsets.topic.replication.factor", KN_CFG_INT, "3", 1, 32767, "replication factor of __consumer_offsets"),
    KEY("offsets.topic.num.partitions", KN_CFG_INT, "50", 1, I32MAX, "partitions of __consumer_offsets"),
    KEY("offsets.topic.segment.bytes", KN_CFG_INT, "104857600", 14, I32MAX, "segment size of __consumer_offsets"),
    KEY("offsets.retention.minutes", KN_CFG_INT, "10080", 1, I32MAX, "keep committed offsets of empty groups"),
    KEY("offsets.commit.timeout.ms", KN_CFG_INT, "5000", 1, I32MAX, "wait for an offset commit to replicate"),
    KEY("group.initial.rebalance.delay.ms", KN_CFG_INT, "3000", 0, I32MAX, "wait for more members of a new group"),
    KEY("group.min.session.timeout.ms", KN_CFG_INT, "6000", 0, I32MAX, "smallest session.timeout.ms allowed"),
    KEY("group.max.session.timeout.ms", KN_CFG_INT, "1800000", 0, I32MAX, "largest session.timeout.ms allowed"),
    KEY("group.max.size", KN_CFG_INT, "2147483647", 1, I32MAX, "members per group"),
    /* ZooKeeper */
    KEYR("zookeeper.connect", KN_CFG_STRING, 0, 0, "host:port[,host:port...][/chroot]"),
    KEY("zookeeper.session.timeout.ms", KN_CFG_INT, "18000", 1, I32MAX, "ZooKeeper session timeout"),
    KEY("zookeeper.connection.timeout.ms", KN_CFG_INT, NULL, 1, I32MAX,
        "wait this long for the first connection (default: session timeout)"),
    KEY("zookeeper.set.acl", KN_CFG_BOOL, "false", 0, 0, "create znodes with restrictive ACLs"),
    /* security */
    KEY("super.users", KN_CFG_STRING, NULL, 0, 0, "principals allowed everything (User:a;User:b)"),
    KEY("allow.everyone.if.no.acl.found", KN_CFG_BOOL, "false", 0, 0, "allow access to resources without ACLs"),
    /* process (Kanal) */
    KEYV("log.level", KN_CFG_STRING, "info", kn_cfgv_log_level, "trace|debug|info|warn|error (Kanal)"),
    KEY("log.syslog", KN_CFG_BOOL, "false", 0, 0, "also log to syslog (Kanal)"),
    KEY("log.file", KN_CFG_STRING, NULL, 0, 0, "redirect stderr to this file; reopened on SIGHUP (Kanal)"),
    { NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL }
};

const kn_cfg_key_t kn_topic_config_table[] = {
    KEYV("cleanup.policy", KN_CFG_LIST, "delete", kn_cfgv_cleanup_policy, "delete and/or compact old segments"),
    KEYC("compression.type", "producer", KN_COMPRESSION_CHOICES, "codec batches are stored with"),
    KEY("delete.retention.ms", KN_CFG_LONG, "86400000", 0, I64MAX, "keep delete tombstones this long (compacted)"),
    KEY("file.delete.delay.ms", KN_CFG_LONG, "60000", 0, I64MAX, "wait before deleting a removed segment file"),
    KEY("flush.messages", KN_CFG_LONG, "9223372036854775807", 1, I64MAX, "fsync after this many messages"),
    KEY("flush.ms", KN_CFG_LONG, "9223372036854775807", 0, I64MAX, "fsync after this time"),
    KEY("index.interval.bytes", KN_CFG_INT, "4096", 0, I32MAX, "bytes between offset index entries"),
    KEY("max.message.bytes", KN_CFG_INT, "1048588", 0, I32MAX, "largest record batch accepted"),
    KEYC("message.timestamp.type", "CreateTime", "CreateTime|LogAppendTime", "timestamp kept in batches"),
    KEY("message.timestamp.difference.max.ms", KN_CFG_LONG, "9223372036854775807", 0, I64MAX,
        "largest allowed CreateTime skew"),
    KEY("min.cleanable.dirty.ratio", KN_CFG_DOUBLE, "0.5", 0, 1, "compact when this share of the log is dirty"),
    KEY("min.compaction.lag.ms", KN_CFG_LONG, "0", 0, I64MAX, "never compact records younger than this"),
    KEY("min.insync.replicas", KN_CFG_INT, "1", 1, I32MAX, "ISR size needed for acks=all writes"),
    KEY("preallocate", KN_CFG_BOOL, "false", 0, 0, "preallocate segment files"),
    KEY("retention.bytes", KN_CFG_LONG, "-1", -1, I64MAX, "partition size limit, -1 = none"),
    KEY("retention.ms", KN_CFG_LONG, "604800000", -1, I64MAX, "delete segments older than this, -1 = forever"),
    KEY("segment.bytes", KN_CFG_INT, "1073741824", 14, I32MAX, "segment file size before rolling"),
    KEY("segment.index.bytes", KN_CFG_INT, "10485760", 4, I32MAX, "offset index file size"),
    KEY("segment.jitter.ms", KN_CFG_LONG, "0", 0, I64MAX, "random jitter subtracted from segment.ms"),
    KEY("segment.ms", KN_CFG_LONG, "604800000", 1, I64MAX, "roll a segment after this time"),
    KEY("unclean.leader.election.enable", KN_CFG_BOOL, "false", 0, 0, "allow leaders from outside the ISR"),
    { NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL }
};

/* Topic key -> the broker key holding its cluster-wide default. */
static const struct {
    const char *topic;
    const char *broker;
} kn_topic_broker_keys[] = {
    { "cleanup.policy", "log.cleanup.policy" },
    { "compression.type", "compression.type" },
    { "delete.retention.ms", "log.cleaner.delete.retention.ms" },
    { "flush.messages", "log.flush.interval.messages" },
    { "index.interval.bytes", "log.index.interval.bytes" },
    { "max.message.bytes", "message.max.bytes" },
    { "message.timestamp.type", "log.message.timestamp.type" },
    { "min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio" },
    { "min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms" },
    { "min.insync.replicas", "min.insync.replicas" },
    { "preallocate", "log.preallocate" },
    { "retention.bytes", "log.retention.bytes" },
    { "segment.bytes", "log.segment.bytes" },
    { "segment.index.bytes", "log.index.size.max.bytes" },
    { "unclean.leader.election.enable", "unclean.leader.election.enable" },
};

static char *kn_fmt_i64(int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    return kn_strdup(buf);
}

char *kn_broker_topic_default(const kn_config_t *bcfg, const char *topic_key)
{
    /* Keys whose broker form comes in several units: the finest unit set
     * wins, as in Kafka. */
    if (strcmp(topic_key, "retention.ms") == 0) {
        if (kn_config_is_set(bcfg, "log.retention.ms")) {
            return kn_fmt_i64(kn_config_int(bcfg, "log.retention.ms"));
        }
        if (kn_config_is_set(bcfg, "log.retention.minutes")) {
            int64_t m = kn_config_int(bcfg, "log.retention.minutes");
            return kn_fmt_i64(m < 0 ? -1 : m * 60000);
        }
        int64_t h = kn_config_int(bcfg, "log.retention.hours");
        return kn_fmt_i64(h < 0 ? -1 : h * 3600000);
    }
    if (strcmp(topic_key, "segment.ms") == 0) {
        if (kn_config_is_set(bcfg, "log.roll.ms")) {
            return kn_fmt_i64(kn_config_int(bcfg, "log.roll.ms"));
        }
        return kn_fmt_i64(kn_config_int(bcfg, "log.roll.hours") * 3600000);
    }
    if (strcmp(topic_key, "flush.ms") == 0) {
        if (kn_config_is_set(bcfg, "log.flush.interval.ms")) {
            return kn_fmt_i64(kn_config_int(bcfg, "log.flush.interval.ms"));
        }
        return kn_strdup("9223372036854775807");
    }
    for (size_t i = 0; i < KN_ARRAY_LEN(kn_topic_broker_keys); i++) {
        if (strcmp(kn_topic_broker_keys[i].topic, topic_key) == 0) {
            const char *v = kn_config_str(bcfg, kn_topic_broker_keys[i].broker);
            return v != NULL ? kn_strdup(v) : NULL;
        }
    }
    const kn_cfg_key_t *k = kn_config_find_key(kn_topic_config_table, topic_key);
    return k != NULL && k->def != NULL ? kn_strdup(k->def) : NULL;
}
