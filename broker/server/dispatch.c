/*
 * broker/server/dispatch.c -- from a complete frame to a handler call, and
 * from a handler's answer back into the connection's response FIFO.
 *
 * Checks done here, in Kafka's order: the API key must have a handler
 * (else the connection is closed), the version must be inside the range we
 * advertise (else closed -- except ApiVersions, which must answer any
 * version with UNSUPPORTED_VERSION so clients can negotiate; its handler
 * gets the request unparsed), then the request header is parsed by
 * common/protocol and the handler runs.
 */
#include "config.h"
#include "broker/server/server_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "protocol/api.h"

#define KN_HANDLERS_MAX 128
#define KN_DISPATCH_RL_MS 10000

/* Written once at start-up before any loop runs, read-only afterwards. */
static kn_handler_fn kn_handlers[KN_HANDLERS_MAX];

void kn_handlers_register(int16_t api_key, kn_handler_fn fn)
{
    if (api_key >= 0 && api_key < KN_HANDLERS_MAX) {
        kn_handlers[api_key] = fn;
    }
}

kn_handler_fn kn_handlers_lookup(int16_t api_key)
{
    return api_key >= 0 && api_key < KN_HANDLERS_MAX ? kn_handlers[api_key] : NULL;
}

void kn_handlers_reset(void)
{
    memset(kn_handlers, 0, sizeof(kn_handlers));
}

void kn_reqx_free(kn_reqx_t *rx)
{
    for (size_t i = 0; i < rx->nranges; i++) {
        if (rx->ranges[i].fd >= 0) {
            close(rx->ranges[i].fd);
        }
    }
    free(rx->ranges);
    kn_wbuf_free(&rx->resp);
    free(rx->frame);
    free(rx);
}

int64_t kn_reqx_response_size(const kn_reqx_t *rx)
{
    /* correlation id, plus one empty tag section for header v1 */
    int64_t hdr = rx->resp_v1 ? 5 : 4;
    return hdr + (int64_t)rx->resp.len + rx->file_bytes;
}

static bool kn_dispatch_version_ok(int16_t key, int16_t ver)
{
    const kn_api_range_t *r = kn_proto_api_range(key);
    return r != NULL && ver >= r->min && ver <= r->max;
}

/* Close c for a protocol violation, logging it at most once per interval. */
static int kn_dispatch_reject(kn_conn_t *c, const char *key, const char *what, int16_t api,
                              int16_t ver)
{
    kn_log_ratelimited(KN_LOG_WARN, "server", key, KN_DISPATCH_RL_MS,
                       "closing connection from %s on %s: %s (api key %d %s, version %d)", c->peer,
                       c->lst->name, what, api, kn_proto_api_name(api), ver);
    kn_conn_close(c);
    return KN_ERROR;
}

int kn_dispatch_frame(kn_conn_t *c, uint8_t *frame, int32_t len)
{
    kn_rbuf_t r;
    kn_rbuf_init(&r, frame, (size_t)len);
    /* The fixed prefix every request header version shares. */
    int16_t key = kn_be16(frame);
    int16_t ver = (int16_t)kn_be16(frame + 2);
    int32_t corr = (int32_t)kn_be32(frame + 4);

    kn_handler_fn fn = kn_handlers_lookup(key);
    if (fn == NULL || kn_proto_api_range(key) == NULL) {
        free(frame);
        return kn_dispatch_reject(c, "net.unknown-api", "unknown API key", key, ver);
    }
    bool version_ok = kn_dispatch_version_ok(key, ver);
    if (!version_ok && key != KN_API_API_VERSIONS) {
        free(frame);
        return kn_dispatch_reject(c, "net.bad-version", "unsupported version", key, ver);
    }

    kn_reqx_t *rx = kn_calloc(1, sizeof(*rx));
    rx->frame = frame;
    rx->frame_len = len;
    kn_req_t *req = &rx->req;
    req->ext = rx;
    req->broker = c->w->srv->opts.broker;
    req->conn = c;
    req->base = c->w->base;
    req->api_key = key;
    req->api_version = ver;
    req->correlation_id = corr;
    req->client_id = (kn_slice_t){ NULL, -1 };
    req->listener = c->lst->name;
    req->security = c->lst->security;
    snprintf(req->peer, sizeof(req->peer), "%s", c->peer);
    kn_conn_principal(c);
    snprintf(req->principal, sizeof(req->principal), "%s", c->principal);
    req->recv_ms = kn_mono_ms();
    kn_wbuf_init(&rx->resp, 256);

    if (version_ok) {
        kn_req_header_t h;
        if (kn_proto_request_header_parse(&r, &h) != KN_OK) {
            kn_reqx_free(rx);
            return kn_dispatch_reject(c, "net.bad-header", "malformed request header", key, ver);
        }
        req->client_id = h.client_id;
        req->flexible = kn_proto_flexible(key, ver);
        req->body = r;
        rx->resp_v1 = kn_proto_response_header_v1(key, ver);
    } else {
        /* ApiVersions at a version we do not know: its header layout is
         * unknown too, so the handler gets an empty body and answers in
         * the v0 layout with header v0. */
        kn_rbuf_init(&req->body, frame + len, 0);
        rx->resp_v1 = false;
    }

    rx->state = KN_RQ_IN_HANDLER;
    if (c->q_tail != NULL) {
        c->q_tail->next = rx;
    } else {
        c->q_head = rx;
    }
    c->q_tail = rx;
    c->inflight++;
    c->inflight_bytes += len;

    int rc = fn(req, &rx->resp);
    switch (rc) {
    case KN_OK:
        rx->state = KN_RQ_DONE;
        break;
    case KN_DECLINED:
        rx->state = KN_RQ_DECLINED;
        break;
    case KN_AGAIN:
        /* kn_req_complete() may already have run inside the handler. */
        if (rx->state == KN_RQ_IN_HANDLER) {
            rx->state = KN_RQ_PARKED;
            return KN_OK;
        }
        break;
    default:
        /* The FIFO owns rx: closing frees it. */
        rx->state = KN_RQ_DONE;
        return kn_dispatch_reject(c, "net.bad-request", "malformed request", key, ver);
    }
    return kn_conn_flush(c);
}

void kn_req_complete(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_reqx_t *rx = req->ext;

    if (resp != &rx->resp) {
        kn_wbuf_free(&rx->resp);
        rx->resp = *resp;
        /* The bytes are ours now; leave the caller an empty buffer it may
         * still kn_wbuf_free(). */
        resp->data = NULL;
        resp->len = resp->cap = 0;
    }
    if (req->conn == NULL) {
        kn_reqx_free(rx);   /* the connection died while parked */
        return;
    }
    bool in_handler = rx->state == KN_RQ_IN_HANDLER;
    rx->state = KN_RQ_DONE;
    if (!in_handler) {
        kn_conn_flush(req->conn);
    }
}

bool kn_req_conn_closed(const kn_req_t *req)
{
    return req->conn == NULL;
}

int kn_req_add_file_range(kn_req_t *req, kn_wbuf_t *resp, int fd, int64_t pos, int32_t len)
{
    kn_reqx_t *rx = req->ext;

    if (pos < 0 || len < 0 || fd < 0) {
        return KN_ERROR;
    }
    /* Same file descriptor as the caller's? No: a dup shares the file
     * offset, but sendfile and pread take explicit offsets, so sharing is
     * harmless, and our copy survives the log closing a segment. */
    int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dfd < 0) {
        return KN_ERROR;
    }
    if (rx->nranges == rx->cap_ranges) {
        rx->cap_ranges = rx->cap_ranges ? rx->cap_ranges * 2 : 4;
        rx->ranges = kn_realloc(rx->ranges, rx->cap_ranges * sizeof(*rx->ranges));
    }
    kn_file_range_t *fr = &rx->ranges[rx->nranges++];
    fr->at = resp->len;
    fr->fd = dfd;
    fr->pos = pos;
    fr->len = len;
    rx->file_bytes += len;
    return KN_OK;
}
