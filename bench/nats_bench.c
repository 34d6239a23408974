/*
 * bench/nats_bench.c -- the NATS JetStream peer of the Kanal benchmark:
 * publish N records of SIZE bytes to a file-backed stream with async
 * publish and at most MAX_PENDING unacknowledged, and report the rate of
 * acknowledged publishes only (a publish the server did not confirm is
 * not a stored record).
 *
 * Built by bench/run with the system's libnats (libnats-dev), not by the
 * project's build: configure does not require libnats, and nothing but
 * the benchmark uses it.
 *
 *   nats_bench URL STREAM N SIZE MAX_PENDING
 *
 * Creates (or reuses) stream STREAM with subject STREAM.data on file
 * storage, then prints one JSON line:
 *   {"tool":"nats_bench","records":N,"acked":A,"failed":F,"bytes":B,
 *    "elapsed_s":S,"records_per_sec":R,"mb_per_sec":M}
 * Exit status 0 when every publish was acknowledged.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

static atomic_ullong nb_acked;
static atomic_ullong nb_failed;

static double nb_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs on the library's reply thread, once per publish. */
static void nb_on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)js;
    (void)closure;
    if (pa != NULL && pae == NULL) {
        atomic_fetch_add(&nb_acked, 1);
    } else {
        if (atomic_fetch_add(&nb_failed, 1) < 5 && pae != NULL) {
            fprintf(stderr, "nats_bench: publish failed: %s\n", natsStatus_GetText(pae->Err));
        }
    }
    natsMsg_Destroy(msg);
}

static int nb_arg(const char *s, long long min, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < min) {
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    long long n, size, max_pending;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsOptions jo;
    jsStreamConfig cfg;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    char subject[256];
    const char *subjects[1];
    int rc = 1;

    if (argc != 6 || nb_arg(argv[3], 1, &n) || nb_arg(argv[4], 0, &size) ||
        nb_arg(argv[5], 1, &max_pending) || size > 64 * 1024 * 1024) {
        fprintf(stderr, "usage: nats_bench URL STREAM N SIZE MAX_PENDING\n");
        return 2;
    }
    snprintf(subject, sizeof(subject), "%s.data", argv[2]);
    natsStatus s = natsConnection_ConnectTo(&nc, argv[1]);
    if (s == NATS_OK) {
        jsOptions_Init(&jo);
        jo.PublishAsync.MaxPending = max_pending;
        jo.PublishAsync.AckHandler = nb_on_ack;
        jo.PublishAsync.StallWait = 10000;
        s = natsConnection_JetStream(&js, nc, &jo);
    }
    if (s == NATS_OK) {
        jsStreamConfig_Init(&cfg);
        cfg.Name = argv[2];
        subjects[0] = subject;
        cfg.Subjects = subjects;
        cfg.SubjectsLen = 1;
        cfg.Storage = js_FileStorage;
        s = js_AddStream(&si, js, &cfg, NULL, &jerr);
        if (s != NATS_OK && jerr == JSStreamNameExistErr) {
            s = NATS_OK;   /* left by an earlier run: reuse it */
        }
        jsStreamInfo_Destroy(si);
    }
    if (s != NATS_OK) {
        fprintf(stderr, "nats_bench: setup failed: %s (JetStream error %d)\n",
                natsStatus_GetText(s), (int)jerr);
        goto out;
    }

    char *payload = malloc(size > 0 ? (size_t)size : 1);
    if (payload == NULL) {
        goto out;
    }
    memset(payload, 'x', (size_t)size);
    double t0 = nb_now();
    for (long long i = 0; i < n; i++) {
        /* The call waits (StallWait) while MAX_PENDING are unacknowledged;
         * a timeout there only means "still full": try again. */
        while ((s = js_PublishAsync(js, subject, payload, (int)size, NULL)) == NATS_TIMEOUT) {
        }
        if (s != NATS_OK) {
            fprintf(stderr, "nats_bench: publish: %s\n", natsStatus_GetText(s));
            break;
        }
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 60000;
    natsStatus cs = js_PublishAsyncComplete(js, &po);
    double el = nb_now() - t0;
    free(payload);
    unsigned long long acked = atomic_load(&nb_acked), failed = atomic_load(&nb_failed);
    printf("{\"tool\":\"nats_bench\",\"records\":%lld,\"acked\":%llu,\"failed\":%llu,"
           "\"bytes\":%llu,\"elapsed_s\":%.6f,\"records_per_sec\":%.1f,\"mb_per_sec\":%.3f}\n",
           n, acked, failed, acked * (unsigned long long)size, el,
           el > 0 ? (double)acked / el : 0.0,
           el > 0 ? (double)acked * (double)size / el / (1024.0 * 1024.0) : 0.0);
    rc = (s == NATS_OK && cs == NATS_OK && acked == (unsigned long long)n) ? 0 : 1;
out:
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return rc;
}
