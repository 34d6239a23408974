/*
 * common/log.c -- stderr/syslog logging with rate limiting (see log.h).
 *
 * One mutex serialises writes so lines from different threads never
 * interleave; the rate-limit table is a small fixed array because only a
 * handful of distinct keys ever repeat in practice.
 */
#include "config.h"
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#define KN_LOG_RL_SLOTS 64

typedef struct {
    char    key[64];       /* rate-limit key, "" = free slot */
    int64_t last_ms;       /* when a line last got through */
    int64_t suppressed;    /* lines dropped since then */
} kn_log_rl_t;

static pthread_mutex_t kn_log_mu = PTHREAD_MUTEX_INITIALIZER;
static kn_log_level_t  kn_log_level = KN_LOG_INFO;
static bool            kn_log_syslog;
static char            kn_log_prog[32] = "kanal";
static kn_log_rl_t     kn_log_rl[KN_LOG_RL_SLOTS];

static const char *kn_log_names[] = { "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL" };

void kn_log_init(const char *progname, kn_log_level_t level)
{
    pthread_mutex_lock(&kn_log_mu);
    if (progname) {
        snprintf(kn_log_prog, sizeof(kn_log_prog), "%s", progname);
    }
    kn_log_level = level;
    pthread_mutex_unlock(&kn_log_mu);
}

void kn_log_set_level(kn_log_level_t level)
{
    pthread_mutex_lock(&kn_log_mu);
    kn_log_level = level;
    pthread_mutex_unlock(&kn_log_mu);
}

kn_log_level_t kn_log_get_level(void)
{
    pthread_mutex_lock(&kn_log_mu);
    kn_log_level_t l = kn_log_level;
    pthread_mutex_unlock(&kn_log_mu);
    return l;
}

int kn_log_level_parse(const char *s, kn_log_level_t *out)
{
    for (size_t i = 0; i < KN_ARRAY_LEN(kn_log_names); i++) {
        if (strcasecmp(s, kn_log_names[i]) == 0) {
            *out = (kn_log_level_t)i;
            return KN_OK;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = KN_LOG_WARN;
        return KN_OK;
    }
    return KN_ERROR;
}

void kn_log_enable_syslog(bool on)
{
    pthread_mutex_lock(&kn_log_mu);
    if (on && !kn_log_syslog) {
        openlog(kn_log_prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    } else if (!on && kn_log_syslog) {
        closelog();
    }
    kn_log_syslog = on;
    pthread_mutex_unlock(&kn_log_mu);
}

/* Caller holds kn_log_mu. */
static void kn_log_emit(kn_log_level_t level, const char *component, const char *msg)
{
    struct timespec ts;
    struct tm tm;
    char when[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %-5s [%s] %s\n", when, ts.tv_nsec / 1000000L,
            kn_log_names[level], component ? component : "-", msg);
    fflush(stderr);
    if (kn_log_syslog) {
        static const int prio[] = { LOG_DEBUG, LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT };
        syslog(prio[level], "[%s] %s", component ? component : "-", msg);
    }
}

static void kn_log_v(kn_log_level_t level, const char *component, const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    kn_log_emit(level, component, msg);
}

void kn_log(kn_log_level_t level, const char *component, const char *fmt, ...)
{
    if (level < KN_LOG_TRACE || level > KN_LOG_FATAL) {
        level = KN_LOG_ERROR;
    }
    pthread_mutex_lock(&kn_log_mu);
    if (level >= kn_log_level) {
        va_list ap;
        va_start(ap, fmt);
        kn_log_v(level, component, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&kn_log_mu);
}

void kn_log_ratelimited(kn_log_level_t level, const char *component, const char *key,
                        int64_t interval_ms, const char *fmt, ...)
{
    if (level < KN_LOG_TRACE || level > KN_LOG_FATAL) {
        level = KN_LOG_ERROR;
    }
    int64_t now = kn_mono_ms();
    pthread_mutex_lock(&kn_log_mu);
    if (level < kn_log_level) {
        pthread_mutex_unlock(&kn_log_mu);
        return;
    }
    kn_log_rl_t *slot = NULL, *free_slot = NULL, *oldest = &kn_log_rl[0];
    for (int i = 0; i < KN_LOG_RL_SLOTS; i++) {
        kn_log_rl_t *s = &kn_log_rl[i];
        if (s->key[0] == '\0') {
            if (free_slot == NULL) {
                free_slot = s;
            }
        } else if (strncmp(s->key, key, sizeof(s->key) - 1) == 0) {
            slot = s;
            break;
        } else if (s->last_ms < oldest->last_ms) {
            oldest = s;
        }
    }
    bool fresh = false;
    if (slot == NULL) {
        /* New key: take a free slot, else recycle the stalest one. Its
         * first line always gets through (no "last - interval" arithmetic,
         * which would overflow for a once-only interval of INT64_MAX). */
        slot = free_slot ? free_slot : oldest;
        snprintf(slot->key, sizeof(slot->key), "%s", key);
        slot->suppressed = 0;
        fresh = true;
    }
    if (!fresh && now - slot->last_ms <= interval_ms) {
        slot->suppressed++;
        pthread_mutex_unlock(&kn_log_mu);
        return;
    }
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (slot->suppressed > 0) {
        size_t n = strlen(msg);
        snprintf(msg + n, sizeof(msg) - n, " (%lld similar messages suppressed)",
                 (long long)slot->suppressed);
    }
    slot->last_ms = now;
    slot->suppressed = 0;
    kn_log_emit(level, component, msg);
    pthread_mutex_unlock(&kn_log_mu);
}
