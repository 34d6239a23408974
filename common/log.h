/*
 * common/log.h -- leveled logging for every Kanal process.
 *
 * Lines go to stderr ("2026-11-22T02:18:22.123Z INFO  [broker.log] text")
 * and, when enabled, to syslog. The component is a short dotted name chosen
 * by the caller. kn_log_ratelimited() lets a hot path report a repeating
 * condition (a client sending garbage in a loop) without flooding: at most
 * one line per key per interval, with a count of what was suppressed.
 * Thread-safe.
 */
#ifndef KN_LOG_H
#define KN_LOG_H

#include "kn.h"

typedef enum {
    KN_LOG_TRACE = 0,
    KN_LOG_DEBUG,
    KN_LOG_INFO,
    KN_LOG_WARN,
    KN_LOG_ERROR,
    KN_LOG_FATAL
} kn_log_level_t;

/* Set the process name (used as syslog ident) and minimum level. */
void kn_log_init(const char *progname, kn_log_level_t level);
void kn_log_set_level(kn_log_level_t level);
kn_log_level_t kn_log_get_level(void);
/* Parse "trace|debug|info|warn|error|fatal" (case-insensitive). */
int  kn_log_level_parse(const char *s, kn_log_level_t *out);
/* Also send lines to syslog (LOG_DAEMON) from now on. */
void kn_log_enable_syslog(bool on);

void kn_log(kn_log_level_t level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Log at most once per interval_ms for the given key (any stable string,
 * e.g. "net.tls-on-plaintext"); suppressed occurrences are counted and the
 * count is reported with the next line that gets through. */
void kn_log_ratelimited(kn_log_level_t level, const char *component, const char *key,
                        int64_t interval_ms, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define kn_log_trace(c, ...) kn_log(KN_LOG_TRACE, c, __VA_ARGS__)
#define kn_log_debug(c, ...) kn_log(KN_LOG_DEBUG, c, __VA_ARGS__)
#define kn_log_info(c, ...)  kn_log(KN_LOG_INFO, c, __VA_ARGS__)
#define kn_log_warn(c, ...)  kn_log(KN_LOG_WARN, c, __VA_ARGS__)
#define kn_log_error(c, ...) kn_log(KN_LOG_ERROR, c, __VA_ARGS__)

#endif /* KN_LOG_H */
