/*
 * broker/server/conn.c -- one client connection: reading Kafka frames,
 * writing responses in request order, TLS, backpressure and closing.
 *
 * A connection is a bufferevent (plain socket, or OpenSSL over the socket)
 * on one worker loop. Reads cut the input into frames: the 4-byte size is
 * judged (kn_frame_check) before a byte of the frame is buffered in our own
 * memory, then the whole frame goes to dispatch.c. Responses leave through
 * the per-connection FIFO of requests (kn_reqx_t): only finished requests
 * at its head are written, so a parked Fetch holds back the responses
 * behind it, exactly as a Kafka client expects.
 *
 * Large reads: libevent 2.1 reads a socket at most 4 KiB per call, so a
 * 1 MiB produce request cost 256 wakeups, ioctls and reads. On plaintext,
 * once a frame's size is known and its body is not all buffered yet, the
 * body is read with recv(2) straight into its own buffer (grown as bytes
 * arrive, so an announced size alone allocates little). libevent's input
 * buffer is always emptied into the frame first, which keeps the byte
 * order; EOF and errors are left for libevent's next read to report.
 *
 * TLS read-ahead: without it OpenSSL reads every record with two read(2)
 * calls (header, then body), and librdkafka sends a produce request as
 * many ~1 KiB records. With it OpenSSL reads the socket in large chunks,
 * but libevent 2.1 then stops after a record or two per readable event and
 * leaves the rest in OpenSSL's buffer, where epoll cannot see it: every
 * place that ends a read or lets reading resume kicks the read event by
 * hand while OpenSSL still holds bytes (kn_conn_tls_kick).
 *
 * Zero copy: file ranges in a response become libevent file segments on
 * plaintext connections (sendfile(2) when the output drains to the
 * socket); on TLS the bytes must pass through SSL_write, so they are read
 * with pread(2) into memory here. Each writable event may write up to
 * KN_CONN_MAX_SINGLE_WRITE; that is safe on TLS only because partial
 * writes are off (see common/net/tls.c).
 */
#include "config.h"
#include "broker/server/server_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/server/frame.h"
#include "log.h"
#include "protocol/api.h"

#define KN_CONN_RL_MS 10000   /* one log line per condition per 10 s */

/* Per-event I/O caps. libevent 2.1 defaults both to 16 KiB, so a 1 MiB
 * Fetch answer left in 64 trips through epoll (64 sendfile calls, or 64
 * SSL_writes of one record each, with the loop's other work in between).
 * The kernel still takes only what the socket buffer has room for; these
 * only let one writable event hand it everything it would accept. */
#define KN_CONN_MAX_SINGLE_WRITE ((ev_ssize_t)4 * 1024 * 1024)
#define KN_CONN_MAX_SINGLE_READ  ((ev_ssize_t)256 * 1024)

static void kn_conn_read_cb(struct bufferevent *bev, void *arg);
static bool kn_conn_tls_kick(kn_conn_t *c);
static void kn_conn_write_cb(struct bufferevent *bev, void *arg);
static void kn_conn_event_cb(struct bufferevent *bev, short what, void *arg);

static void kn_conn_peer_str(const struct sockaddr *sa, int salen, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa != NULL && salen > 0 && sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        port = ntohs(s4->sin_port);
    } else if (sa != NULL && salen > 0 && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        port = ntohs(s6->sin6_port);
    }
    snprintf(out, len, "%s:%d", host, port);
}

void kn_conn_accepted(kn_worker_t *w, const kn_listener_t *lst, int fd,
                      const struct sockaddr *sa, int salen)
{
    kn_server_t *srv = w->srv;
    int one = 1;

    evutil_make_socket_nonblocking(fd);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (srv->opts.sndbuf > 0) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &srv->opts.sndbuf, sizeof(srv->opts.sndbuf));
    }

    kn_conn_t *c = kn_calloc(1, sizeof(*c));
    c->w = w;
    c->lst = lst;
    c->frame_size = -1;
    kn_conn_peer_str(sa, salen, c->peer, sizeof(c->peer));
    snprintf(c->principal, sizeof(c->principal), "User:ANONYMOUS");

    if (lst->security == KN_SEC_SSL) {
        SSL *ssl = SSL_new(srv->opts.ssl_ctx);
        if (ssl == NULL) {
            kn_log_ratelimited(KN_LOG_ERROR, "server", "net.ssl-new", KN_CONN_RL_MS,
                               "cannot create TLS state for %s", c->peer);
            close(fd);
            free(c);
            return;
        }
        c->tls = true;
        SSL_set_read_ahead(ssl, 1);
        c->bev = bufferevent_openssl_socket_new(w->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                BEV_OPT_CLOSE_ON_FREE);
        if (c->bev == NULL) {
            SSL_free(ssl);
        } else {
            /* Clients often just close the TCP connection; that is not an
             * attack worth an error line. */
            bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
        }
    } else {
        c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    if (c->bev == NULL) {
        kn_log_ratelimited(KN_LOG_ERROR, "server", "net.bev-new", KN_CONN_RL_MS,
                           "cannot set up connection from %s", c->peer);
        close(fd);
        free(c);
        return;
    }
    bufferevent_setcb(c->bev, kn_conn_read_cb, kn_conn_write_cb, kn_conn_event_cb, c);
    bufferevent_set_max_single_write(c->bev, KN_CONN_MAX_SINGLE_WRITE);
    bufferevent_set_max_single_read(c->bev, KN_CONN_MAX_SINGLE_READ);
    /* The write callback fires when the output falls to the low mark: the
     * moment to resume reading after backpressure. */
    bufferevent_setwatermark(c->bev, EV_WRITE, KN_CONN_LOW_OUTPUT, 0);
    if (srv->opts.idle_ms > 0) {
        struct timeval tv = { (time_t)(srv->opts.idle_ms / 1000),
                              (suseconds_t)((srv->opts.idle_ms % 1000) * 1000) };
        bufferevent_set_timeouts(c->bev, &tv, NULL);
    }
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);

    c->next = w->conns;
    if (w->conns != NULL) {
        w->conns->prev = c;
    }
    w->conns = c;
    atomic_fetch_add(&srv->nconns, 1);
    kn_log_debug("server", "connection from %s on %s (worker %d)", c->peer, lst->name, w->idx);
}

void kn_conn_close(kn_conn_t *c)
{
    kn_worker_t *w = c->w;

    /* Parked requests belong to their handlers until kn_req_complete();
     * they only learn the connection is gone. */
    kn_reqx_t *rx = c->q_head;
    while (rx != NULL) {
        kn_reqx_t *next = rx->next;
        rx->next = NULL;
        if (rx->state == KN_RQ_PARKED || rx->state == KN_RQ_IN_HANDLER) {
            rx->req.conn = NULL;
        } else {
            kn_reqx_free(rx);
        }
        rx = next;
    }
    c->q_head = c->q_tail = NULL;
    free(c->fbuf);
    if (c->bev != NULL) {
        bufferevent_free(c->bev);
    }
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        w->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    kn_log_debug("server", "connection from %s closed", c->peer);
    free(c);
    kn_server_conn_gone(w->srv);
}

/* Close once nothing is left to write (a shutdown step). */
static bool kn_conn_drained(kn_conn_t *c)
{
    return c->draining && c->q_head == NULL &&
           evbuffer_get_length(bufferevent_get_output(c->bev)) == 0;
}

void kn_conn_drain(kn_conn_t *c)
{
    c->draining = true;
    bufferevent_disable(c->bev, EV_READ);
    /* Be told when the output is completely empty, not just low. */
    bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
    /* Requests still in a handler's hands will never be answered now. */
    if (c->q_head != NULL && c->q_head->state != KN_RQ_DONE && c->q_head->state != KN_RQ_DECLINED) {
        kn_conn_close(c);
        return;
    }
    if (kn_conn_drained(c)) {
        kn_conn_close(c);
    }
}

void kn_conn_principal(kn_conn_t *c)
{
    if (c->principal_set) {
        return;
    }
    c->principal_set = true;
    if (!c->tls) {
        return;
    }
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    X509 *cert = ssl != NULL ? SSL_get1_peer_certificate(ssl) : NULL;
    if (cert == NULL) {
        return;
    }
    /* RFC 2253 is what Java's X500Principal.getName() prints, so ACLs
     * written for Kafka ("User:CN=alice,O=corp") match unchanged. */
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio != NULL) {
        X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0 && data != NULL) {
            snprintf(c->principal, sizeof(c->principal), "User:%.*s",
                     (int)KN_MIN(n, (long)sizeof(c->principal) - 6), data);
        }
        BIO_free(bio);
    }
    X509_free(cert);
}

/* ---- output ------------------------------------------------------------ */

/* Append len bytes of fd at pos, read now (TLS path): pread(2) straight
 * into space reserved at the end of the output buffer, no bounce buffer. */
static int kn_conn_add_file_copy(struct evbuffer *out, const kn_file_range_t *fr)
{
    size_t got = 0;
    while (got < (size_t)fr->len) {
        struct evbuffer_iovec v;
        size_t want = (size_t)fr->len - got;
        if (evbuffer_reserve_space(out, (ev_ssize_t)want, &v, 1) != 1) {
            return KN_ERROR;
        }
        size_t room = KN_MIN(want, v.iov_len);
        ssize_t n = pread(fr->fd, v.iov_base, room, (off_t)(fr->pos + (int64_t)got));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return KN_ERROR;   /* the file shrank under us */
        }
        v.iov_len = (size_t)n;
        if (evbuffer_commit_space(out, &v, 1) != 0) {
            return KN_ERROR;
        }
        got += (size_t)n;
    }
    return KN_OK;
}

/* Write one finished response (size prefix, header, body pieces). */
static int kn_conn_write_response(kn_conn_t *c, kn_reqx_t *rx)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    kn_wbuf_t hdr;
    int64_t size = kn_reqx_response_size(rx);

    if (size > INT32_MAX) {
        kn_log_error("server", "response to %s (api %d) would be %lld bytes; closing", c->peer,
                     rx->req.api_key, (long long)size);
        return KN_ERROR;
    }
    kn_wbuf_init(&hdr, 16);
    kn_wbuf_i32(&hdr, (int32_t)size);
    kn_proto_response_header_write(&hdr, rx->req.correlation_id, rx->resp_v1);
    evbuffer_add(out, hdr.data, hdr.len);
    kn_wbuf_free(&hdr);

    size_t off = 0;
    for (size_t i = 0; i < rx->nranges; i++) {
        kn_file_range_t *fr = &rx->ranges[i];
        if (fr->at > off) {
            evbuffer_add(out, rx->resp.data + off, fr->at - off);
            off = fr->at;
        }
        if (c->tls) {
            if (kn_conn_add_file_copy(out, fr) != KN_OK) {
                kn_log_ratelimited(KN_LOG_WARN, "server", "net.file-range", KN_CONN_RL_MS,
                                   "cannot read file range for %s; closing", c->peer);
                return KN_ERROR;
            }
        } else if (fr->len > 0) {
            struct evbuffer_file_segment *seg = evbuffer_file_segment_new(
                fr->fd, fr->pos, fr->len, EVBUF_FS_CLOSE_ON_FREE | EVBUF_FS_DISABLE_MMAP);
            if (seg == NULL) {
                return KN_ERROR;
            }
            fr->fd = -1;   /* the segment closes it */
            int rc = evbuffer_add_file_segment(out, seg, 0, fr->len);
            evbuffer_file_segment_free(seg);   /* the buffer keeps its own reference */
            if (rc != 0) {
                return KN_ERROR;
            }
        }
    }
    if (rx->resp.len > off) {
        evbuffer_add(out, rx->resp.data + off, rx->resp.len - off);
    }
    return KN_OK;
}

static int kn_conn_read_frames(kn_conn_t *c);

/* Resume reading once the FIFO and the output are back under their low
 * marks (backpressure ends). KN_ERROR if the connection was closed. */
static int kn_conn_maybe_resume(kn_conn_t *c)
{
    if (!c->read_paused || c->draining) {
        return KN_OK;
    }
    if (c->inflight <= KN_CONN_LOW_INFLIGHT && c->inflight_bytes <= KN_CONN_LOW_INFLIGHT_BYTES &&
        evbuffer_get_length(bufferevent_get_output(c->bev)) <= KN_CONN_LOW_OUTPUT) {
        c->read_paused = false;
        bufferevent_enable(c->bev, EV_READ);
        /* Frames may already be buffered: process them now, not on the
         * next packet. */
        if (kn_conn_read_frames(c) != KN_OK) {
            return KN_ERROR;
        }
        kn_conn_tls_kick(c);
    }
    return KN_OK;
}

int kn_conn_flush(kn_conn_t *c)
{
    while (c->q_head != NULL &&
           (c->q_head->state == KN_RQ_DONE || c->q_head->state == KN_RQ_DECLINED)) {
        kn_reqx_t *rx = c->q_head;
        c->q_head = rx->next;
        if (c->q_head == NULL) {
            c->q_tail = NULL;
        }
        c->inflight--;
        c->inflight_bytes -= rx->frame_len;
        int rc = rx->state == KN_RQ_DONE ? kn_conn_write_response(c, rx) : KN_OK;
        kn_reqx_free(rx);
        if (rc != KN_OK) {
            kn_conn_close(c);
            return KN_ERROR;
        }
    }
    if (kn_conn_drained(c)) {
        kn_conn_close(c);
        return KN_ERROR;
    }
    return kn_conn_maybe_resume(c);
}

/* ---- input ------------------------------------------------------------- */

/* First allocation for a frame body read straight from the socket, and how
 * far it may run ahead of the bytes actually received (x2 per step). */
#define KN_CONN_FBUF_MIN ((size_t)256 * 1024)

/* Plaintext: fill c->fbuf with the current frame's body, first from
 * libevent's input buffer, then with recv(2) until the body is complete or
 * the socket has nothing more. Returns true when the body is complete. */
static bool kn_conn_fill_frame(kn_conn_t *c, struct evbuffer *in)
{
    size_t size = (size_t)c->frame_size;
    if (c->fbuf == NULL) {
        c->fcap = KN_MIN(size, KN_MAX(evbuffer_get_length(in), KN_CONN_FBUF_MIN));
        c->fbuf = kn_malloc(c->fcap);
        c->fgot = 0;
    }
    size_t buffered = KN_MIN(evbuffer_get_length(in), size - c->fgot);
    if (buffered > 0) {
        if (c->fgot + buffered > c->fcap) {
            c->fcap = KN_MIN(size, KN_MAX(c->fgot + buffered, c->fcap * 2));
            c->fbuf = kn_realloc(c->fbuf, c->fcap);
        }
        evbuffer_remove(in, c->fbuf + c->fgot, buffered);
        c->fgot += buffered;
    }
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    while (c->fgot < size && fd >= 0) {
        if (c->fgot == c->fcap) {
            c->fcap = KN_MIN(size, c->fcap * 2);
            c->fbuf = kn_realloc(c->fbuf, c->fcap);
        }
        ssize_t n = recv(fd, c->fbuf + c->fgot, c->fcap - c->fgot, 0);
        if (n > 0) {
            c->fgot += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            /* EAGAIN: wait for the next readable event. EOF or an error:
             * libevent's own read on that event reports it. */
            break;
        }
    }
    return c->fgot == size;
}

/* Cut the input into frames and dispatch them until it runs dry, the
 * connection pauses, or it is closed (KN_ERROR: c is gone). */
static int kn_conn_read_frames(kn_conn_t *c)
{
    struct bufferevent *bev = c->bev;
    struct evbuffer *in = bufferevent_get_input(bev);
    const kn_server_opts_t *o = &c->w->srv->opts;

    while (!c->draining && !c->read_paused) {
        if (c->frame_size < 0) {
            uint8_t hdr[4];
            if (evbuffer_copyout(in, hdr, 4) != 4) {
                return KN_OK;
            }
            int32_t size;
            kn_frame_verdict_t v = kn_frame_check(hdr, o->max_request_bytes, &size);
            if (v != KN_FRAME_OK) {
                /* Closed before allocating anything: a hostile size costs
                 * us four bytes. */
                kn_log_ratelimited(KN_LOG_WARN, "server",
                                   v == KN_FRAME_TLS ? "net.tls-on-plaintext" : "net.bad-frame",
                                   KN_CONN_RL_MS, "closing connection from %s on %s: %s (size %d, max %d)",
                                   c->peer, c->lst->name, kn_frame_verdict_str(v), (int)size,
                                   (int)o->max_request_bytes);
                kn_conn_close(c);
                return KN_ERROR;
            }
            evbuffer_drain(in, 4);
            c->frame_size = size;
        }
        uint8_t *frame;
        if (c->fbuf == NULL && evbuffer_get_length(in) >= (size_t)c->frame_size) {
            /* All buffered already (small requests, and always on TLS). */
            frame = kn_malloc((size_t)c->frame_size);
            evbuffer_remove(in, frame, (size_t)c->frame_size);
        } else if (c->tls) {
            return KN_OK;   /* bytes pass through SSL_read: wait for them */
        } else if (kn_conn_fill_frame(c, in)) {
            frame = c->fbuf;
            c->fbuf = NULL;
            c->fgot = c->fcap = 0;
        } else {
            return KN_OK;
        }
        int32_t len = c->frame_size;
        c->frame_size = -1;
        if (kn_dispatch_frame(c, frame, len) != KN_OK) {
            return KN_ERROR;   /* connection closed */
        }
        if (c->inflight >= KN_CONN_MAX_INFLIGHT || c->inflight_bytes >= KN_CONN_MAX_INFLIGHT_BYTES ||
            evbuffer_get_length(bufferevent_get_output(bev)) >= KN_CONN_MAX_OUTPUT) {
            c->read_paused = true;
            bufferevent_disable(bev, EV_READ);
        }
    }
    return KN_OK;
}

/* Acknowledge what was just read at once instead of after the kernel's
 * delayed-ACK timer. A client that writes one request as several small
 * segments with Nagle on (librdkafka's default; over TLS every record is a
 * segment) cannot send the second segment until the first is ACKed, and on
 * a request/response connection Linux delays that ACK by up to 40 ms: a
 * 40 ms stall per request. TCP_QUICKACK is not sticky (the kernel falls
 * back to delayed ACKs after its next decision), so it is re-armed on
 * every read; setting it also sends an ACK that is pending now. */
static void kn_conn_quickack(struct bufferevent *bev)
{
#ifdef TCP_QUICKACK
    int one = 1;
    evutil_socket_t fd = bufferevent_getfd(bev);
    if (fd >= 0) {
        (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
    }
#else
    KN_UNUSED(bev);
#endif
}

/* TLS: if OpenSSL has read ahead bytes libevent has not taken yet, make
 * the read event fire again as if the socket were readable (libevent only
 * looks at SSL_pending, which counts the current record alone). */
static bool kn_conn_tls_kick(kn_conn_t *c)
{
    if (!c->tls || c->read_paused || c->draining || c->bev == NULL) {
        return false;
    }
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    if (ssl != NULL && SSL_has_pending(ssl)) {
        event_active(&c->bev->ev_read, EV_READ, 1);
        return true;
    }
    return false;
}

static void kn_conn_read_cb(struct bufferevent *bev, void *arg)
{
    kn_conn_t *c = arg;
    if (!c->tls) {
        kn_conn_quickack(bev);
        (void)kn_conn_read_frames(c);
        return;
    }
    /* TLS: most read events are our own kicks that OpenSSL serves from its
     * read-ahead buffer, one record each, without touching the socket; a
     * setsockopt for each was 94,000 calls per 256 MiB produced. The ACK
     * is due once the buffer is empty and the next bytes must come from
     * the socket. */
    if (kn_conn_read_frames(c) == KN_OK && !kn_conn_tls_kick(c)) {
        kn_conn_quickack(bev);
    }
}

static void kn_conn_write_cb(struct bufferevent *bev, void *arg)
{
    kn_conn_t *c = arg;
    KN_UNUSED(bev);
    if (kn_conn_drained(c)) {
        kn_conn_close(c);
        return;
    }
    kn_conn_maybe_resume(c);
}

/* Log why a TLS connection failed before its handshake completed: most
 * often plaintext sent to the SSL port, or an untrusted certificate. */
static void kn_conn_tls_error(kn_conn_t *c)
{
    unsigned long e = bufferevent_get_openssl_error(c->bev);
    char why[256] = "connection closed during handshake";
    if (e != 0) {
        ERR_error_string_n(e, why, sizeof(why));
    }
    while (bufferevent_get_openssl_error(c->bev) != 0) {
    }
    /* A peer that connects and leaves without a byte is a port probe
     * (health checks, wait-for-port loops), not a TLS problem. */
    if (e == 0 || ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        kn_log_debug("server", "%s left %s before the TLS handshake", c->peer, c->lst->name);
        return;
    }
    kn_log_ratelimited(KN_LOG_WARN, "server", "net.tls-failed", KN_CONN_RL_MS,
                       "TLS failure with %s on %s: %s", c->peer, c->lst->name, why);
}

static void kn_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
    kn_conn_t *c = arg;

    if (what & BEV_EVENT_CONNECTED) {
        /* TLS handshake finished (accepting side). The first request
         * may have come with the client's last handshake message and sit
         * in OpenSSL's read-ahead buffer already. */
        kn_conn_principal(c);
        kn_log_debug("server", "TLS connection from %s as %s", c->peer, c->principal);
        kn_conn_tls_kick(c);
        return;
    }
    if (what & BEV_EVENT_TIMEOUT) {
        /* Idle (connections.max.idle.ms) unless requests are still in
         * flight, e.g. a long-polling Fetch, or a response just finished
         * is still waiting in the output (closing now would drop it). */
        if (c->inflight > 0 || evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
            bufferevent_enable(bev, EV_READ);
            kn_conn_tls_kick(c);
            return;
        }
        kn_log_debug("server", "closing idle connection from %s", c->peer);
        kn_conn_close(c);
        return;
    }
    if (c->tls && (what & BEV_EVENT_ERROR) && !c->principal_set) {
        kn_conn_tls_error(c);
    } else if (what & BEV_EVENT_ERROR) {
        int e = EVUTIL_SOCKET_ERROR();
        if (c->tls) {
            while (bufferevent_get_openssl_error(bev) != 0) {
            }
        }
        kn_log_debug("server", "connection from %s failed: %s", c->peer, evutil_socket_error_to_string(e));
    }
    kn_conn_close(c);
}
