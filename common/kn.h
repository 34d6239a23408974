/*
 * common/kn.h -- the few definitions every Kanal file shares.
 *
 * Return codes: functions that can fail without a Kafka error code return
 * KN_OK / KN_ERROR / KN_AGAIN (nginx's habit: every caller checks the same
 * way). Functions whose failure has a Kafka meaning return kn_err_t
 * (common/errors.h), where KN_ERR_NONE == 0 == KN_OK.
 */
#ifndef KN_KN_H
#define KN_KN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

#define KN_OK       0
#define KN_ERROR   -1
#define KN_AGAIN   -2   /* would block / try later */
#define KN_DECLINED -3  /* not handled here */

#define KN_VERSION_STRING PACKAGE_VERSION

#define KN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define KN_MIN(a, b) ((a) < (b) ? (a) : (b))
#define KN_MAX(a, b) ((a) > (b) ? (a) : (b))
#define KN_UNUSED(x) ((void)(x))

/* Allocation that never returns NULL: on failure it logs and aborts, since a
 * broker that cannot allocate a few bytes cannot keep its promises anyway. */
void *kn_malloc(size_t n);
void *kn_calloc(size_t nmemb, size_t n);
void *kn_realloc(void *p, size_t n);
char *kn_strdup(const char *s);
char *kn_strndup(const char *s, size_t n);

/* Wall-clock milliseconds since the epoch, and monotonic milliseconds. */
int64_t kn_now_ms(void);
int64_t kn_mono_ms(void);

#endif /* KN_KN_H */
