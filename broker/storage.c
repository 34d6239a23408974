/*
 * broker/storage.c -- the broker's log manager: configuration, opening,
 * housekeeping timer, clean close (see storage.h).
 */
#include "config.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "broker/storage.h"
#include "log.h"

#define KN_STORAGE_LOG "broker.storage"

/* Housekeeping period: log.retention.check.interval.ms, but at least once
 * a second, since the same tick also serves flush.ms, time-based rolls and
 * delayed file deletion, which must stay timely. A retention check is a
 * comparison per segment, cheap enough to run that often. */
#define KN_STORAGE_TICK_MS 1000

static struct event *kn_storage_timer;

void kn_broker_log_defaults(const kn_config_t *cfg, kn_log_config_t *c)
{
    kn_log_config_defaults(c);
    c->segment_bytes = kn_config_int(cfg, "log.segment.bytes");
    if (kn_config_is_set(cfg, "log.roll.ms")) {
        c->segment_ms = kn_config_int(cfg, "log.roll.ms");
    } else {
        c->segment_ms = kn_config_int(cfg, "log.roll.hours") * 3600 * 1000;
    }
    /* Kafka's precedence: ms, then minutes, then hours; -1 = forever. */
    if (kn_config_is_set(cfg, "log.retention.ms")) {
        c->retention_ms = kn_config_int(cfg, "log.retention.ms");
    } else if (kn_config_is_set(cfg, "log.retention.minutes")) {
        int64_t m = kn_config_int(cfg, "log.retention.minutes");
        c->retention_ms = m < 0 ? -1 : m * 60 * 1000;
    } else {
        int64_t h = kn_config_int(cfg, "log.retention.hours");
        c->retention_ms = h < 0 ? -1 : h * 3600 * 1000;
    }
    c->retention_bytes = kn_config_int(cfg, "log.retention.bytes");
    c->index_interval_bytes = (int32_t)kn_config_int(cfg, "log.index.interval.bytes");
    c->segment_index_bytes = (int32_t)kn_config_int(cfg, "log.index.size.max.bytes");
    int64_t fm = kn_config_int(cfg, "log.flush.interval.messages");
    c->flush_messages = fm == INT64_MAX ? -1 : fm;
    c->flush_ms = kn_config_is_set(cfg, "log.flush.interval.ms")
                      ? kn_config_int(cfg, "log.flush.interval.ms") : -1;
    const char *tt = kn_config_str(cfg, "log.message.timestamp.type");
    c->log_append_time = tt != NULL && strcmp(tt, "LogAppendTime") == 0;
    c->max_message_bytes = (int32_t)kn_config_int(cfg, "message.max.bytes");
    char **pol = NULL;
    int n = kn_config_list(cfg, "log.cleanup.policy", &pol);
    c->cleanup_delete = false;
    c->cleanup_compact = false;
    for (int i = 0; i < n; i++) {
        c->cleanup_delete |= strcmp(pol[i], "delete") == 0;
        c->cleanup_compact |= strcmp(pol[i], "compact") == 0;
    }
    kn_config_list_free(pol);
}

static void kn_storage_on_tick(evutil_socket_t fd, short what, void *arg)
{
    kn_broker_t *b = arg;
    int64_t now = kn_now_ms();
    KN_UNUSED(fd);
    KN_UNUSED(what);

    if (b->logs == NULL) {
        return;
    }
    int deleted = kn_logmgr_tick(b->logs, now);
    if (deleted > 0) {
        kn_log_info(KN_STORAGE_LOG, "retention removed %d segment(s)", deleted);
    }
}

int kn_broker_storage_open(kn_broker_t *b)
{
    kn_logmgr_opts_t opts;
    char **dirs = NULL;
    char *single[2] = { NULL, NULL };
    char err[512] = "";
    int ndirs;

    memset(&opts, 0, sizeof(opts));
    ndirs = kn_config_list(b->cfg, "log.dirs", &dirs);
    if (ndirs <= 0) {
        kn_config_list_free(dirs);
        dirs = NULL;
        single[0] = (char *)kn_config_str(b->cfg, "log.dir");
        ndirs = single[0] ? 1 : 0;
    }
    if (ndirs == 0) {
        kn_log_error(KN_STORAGE_LOG, "no log directory configured (log.dirs / log.dir)");
        return KN_ERROR;
    }
    opts.dirs = (const char *const *)(dirs ? dirs : single);
    opts.ndirs = (size_t)ndirs;
    opts.broker_id = b->id;
    opts.cluster_id = NULL;
    opts.max_open_segments = 0;
    kn_broker_log_defaults(b->cfg, &opts.defaults);

    int rc = kn_logmgr_open(&opts, &b->logs, err, sizeof(err));
    kn_config_list_free(dirs);
    if (rc != KN_OK) {
        kn_log_error(KN_STORAGE_LOG, "cannot open the log directories: %s", err);
        b->logs = NULL;
        return KN_ERROR;
    }
    kn_log_info(KN_STORAGE_LOG, "%zu partition log(s) loaded", kn_logmgr_count(b->logs));

    int64_t period = KN_MIN(kn_config_int(b->cfg, "log.retention.check.interval.ms"),
                            (int64_t)KN_STORAGE_TICK_MS);
    kn_storage_timer = event_new(b->main_base, -1, EV_PERSIST, kn_storage_on_tick, b);
    struct timeval tv = { (time_t)(period / 1000), (suseconds_t)((period % 1000) * 1000) };
    event_add(kn_storage_timer, &tv);
    return KN_OK;
}

void kn_broker_storage_close(kn_broker_t *b)
{
    if (kn_storage_timer != NULL) {
        event_free(kn_storage_timer);
        kn_storage_timer = NULL;
    }
    if (b->logs != NULL) {
        kn_logmgr_close(b->logs);
        b->logs = NULL;
        kn_log_info(KN_STORAGE_LOG, "logs closed cleanly");
    }
}
