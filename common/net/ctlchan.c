/*
 * common/net/ctlchan.c -- the broker <-> controller control channel
 * (contract: common/net/ctlchan.h).
 *
 * A channel is one libevent bufferevent (a plain socket, or OpenSSL on top
 * of it when an SSL_CTX is given) carrying frames of a 4-byte big-endian
 * length followed by one packed Kanal__Control__KnControl. The read side
 * checks the length before buffering the body, so an oversized frame closes
 * the channel after 4 bytes instead of after 64 MiB.
 *
 * Callbacks may free the channel they are called for. To make that safe
 * the dispatch loop counts its nesting depth: a kn_ctlchan_free() inside a
 * callback only marks the channel, and the outermost dispatch frees it on
 * the way out.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "net/ctlchan.h"

struct kn_ctlchan_s {
    struct bufferevent *bev;        /* the stream; NULL once torn down */
    kn_ctlchan_cbs_t    cbs;        /* owner's callbacks */
    void               *data;       /* owner's per-channel pointer */
    char                peer[80];   /* "host:port" for logs */
    bool                down;       /* on_down already reported */
    bool                overflow;   /* peer left too much unread; failing */
    bool                free_pending; /* kn_ctlchan_free() called inside a callback */
    int                 depth;      /* nesting of our callbacks on the stack */
};

static void ctlchan_destroy(kn_ctlchan_t *ch)
{
    if (ch->bev != NULL)
        bufferevent_free(ch->bev);
    free(ch);
}

/* Enter/leave one of our callbacks; leaving returns true if the channel was
 * freed meanwhile and must not be touched any more. */
static void ctlchan_enter(kn_ctlchan_t *ch) { ch->depth++; }

static bool ctlchan_leave(kn_ctlchan_t *ch)
{
    ch->depth--;
    if (ch->depth == 0 && ch->free_pending) {
        ctlchan_destroy(ch);
        return true;
    }
    return false;
}

/* Report the channel down once; stops all further I/O on it. */
static void ctlchan_fail(kn_ctlchan_t *ch, const char *reason)
{
    if (ch->down)
        return;
    ch->down = true;
    if (ch->bev != NULL)
        bufferevent_disable(ch->bev, EV_READ | EV_WRITE);
    if (ch->cbs.on_down != NULL)
        ch->cbs.on_down(ch, reason, ch->cbs.ud);
}

static void ctlchan_read_cb(struct bufferevent *bev, void *arg)
{
    kn_ctlchan_t *ch = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    ctlchan_enter(ch);
    /* Deliver every complete frame now buffered; stop as soon as the owner
     * frees or fails the channel. */
    while (!ch->down && !ch->free_pending) {
        size_t avail = evbuffer_get_length(in);
        uint8_t hdr[4];
        if (avail < sizeof hdr)
            break;
        if (evbuffer_copyout(in, hdr, sizeof hdr) != (ev_ssize_t)sizeof hdr) {
            ctlchan_fail(ch, "read error");
            break;
        }
        uint32_t len = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) |
                       ((uint32_t)hdr[2] << 8) | (uint32_t)hdr[3];
        if (len > KN_CTLCHAN_MAX_FRAME) {
            kn_log_warn("net.ctlchan", "%s: frame of %u bytes exceeds the %d-byte limit; closing",
                        ch->peer, len, KN_CTLCHAN_MAX_FRAME);
            ctlchan_fail(ch, "frame too large");
            break;
        }
        if (avail < sizeof hdr + len) {
            /* Wake again only when the whole frame is here. */
            bufferevent_setwatermark(bev, EV_READ, sizeof hdr + len, 0);
            break;
        }
        bufferevent_setwatermark(bev, EV_READ, 0, 0);
        evbuffer_drain(in, sizeof hdr);
        const uint8_t *body = len > 0 ? evbuffer_pullup(in, len) : NULL;
        if (len > 0 && body == NULL) {
            ctlchan_fail(ch, "out of memory");
            break;
        }
        Kanal__Control__KnControl *msg = kanal__control__kn_control__unpack(NULL, len, body);
        evbuffer_drain(in, len);
        if (msg == NULL) {
            kn_log_warn("net.ctlchan", "%s: undecodable %u-byte frame; closing", ch->peer, len);
            ctlchan_fail(ch, "malformed frame");
            break;
        }
        if (ch->cbs.on_msg != NULL)
            ch->cbs.on_msg(ch, msg, ch->cbs.ud);
        kanal__control__kn_control__free_unpacked(msg, NULL);
    }
    ctlchan_leave(ch);
}

static void ctlchan_event_cb(struct bufferevent *bev, short what, void *arg)
{
    kn_ctlchan_t *ch = arg;

    ctlchan_enter(ch);
    if (what & BEV_EVENT_CONNECTED) {
        if (!ch->down && ch->cbs.on_up != NULL)
            ch->cbs.on_up(ch, ch->cbs.ud);
    } else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        char reason[200];
        unsigned long sslerr = bufferevent_get_openssl_error(bev);
        if (ch->overflow) {
            snprintf(reason, sizeof reason, "peer is not reading");
        } else if (sslerr != 0) {
            char e[160];
            ERR_error_string_n(sslerr, e, sizeof e);
            snprintf(reason, sizeof reason, "TLS error: %s", e);
            /* Drain the rest so it does not leak into the next report. */
            while (bufferevent_get_openssl_error(bev) != 0)
                ;
        } else if (what & BEV_EVENT_EOF) {
            snprintf(reason, sizeof reason, "closed by peer");
        } else if (what & BEV_EVENT_TIMEOUT) {
            snprintf(reason, sizeof reason, "timed out");
        } else {
            int err = EVUTIL_SOCKET_ERROR();
            snprintf(reason, sizeof reason, "%s",
                     err != 0 ? evutil_socket_error_to_string(err) : "connection error");
        }
        ctlchan_fail(ch, reason);
    }
    ctlchan_leave(ch);
}

static kn_ctlchan_t *ctlchan_new(const kn_ctlchan_cbs_t *cbs)
{
    kn_ctlchan_t *ch = kn_calloc(1, sizeof *ch);
    ch->cbs = *cbs;
    snprintf(ch->peer, sizeof ch->peer, "?");
    return ch;
}

static void ctlchan_arm(kn_ctlchan_t *ch)
{
    bufferevent_setcb(ch->bev, ctlchan_read_cb, NULL, ctlchan_event_cb, ch);
    bufferevent_enable(ch->bev, EV_READ | EV_WRITE);
}

kn_ctlchan_t *kn_ctlchan_connect(struct event_base *base, const char *host, int port,
                                 SSL_CTX *ssl, const kn_ctlchan_cbs_t *cbs)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];

    if (port <= 0 || port > 65535 || host == NULL || host[0] == '\0')
        return NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(portstr, sizeof portstr, "%d", port);
    /* Resolution blocks briefly; controller addresses are almost always
     * literal IPs or names in /etc/hosts. */
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0 || res == NULL) {
        kn_log_warn("net.ctlchan", "cannot resolve %s: %s", host, gai_strerror(rc));
        return NULL;
    }

    kn_ctlchan_t *ch = ctlchan_new(cbs);
    snprintf(ch->peer, sizeof ch->peer, "%s:%d", host, port);
    if (ssl != NULL) {
        SSL *s = SSL_new(ssl);
        if (s == NULL) {
            freeaddrinfo(res);
            free(ch);
            return NULL;
        }
        /* SNI, and host name verification when the context verifies peers. */
        SSL_set_tlsext_host_name(s, host);
        if (SSL_CTX_get_verify_mode(ssl) & SSL_VERIFY_PEER) {
            struct in6_addr a6;
            struct in_addr a4;
            if (inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1)
                X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), host);
            else
                SSL_set1_host(s, host);
        }
        ch->bev = bufferevent_openssl_socket_new(base, -1, s, BUFFEREVENT_SSL_CONNECTING,
                                                 BEV_OPT_CLOSE_ON_FREE);
    } else {
        ch->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    }
    if (ch->bev == NULL) {
        freeaddrinfo(res);
        free(ch);
        return NULL;
    }
    ctlchan_arm(ch);
    rc = bufferevent_socket_connect(ch->bev, res->ai_addr, (int)res->ai_addrlen);
    freeaddrinfo(res);
    if (rc != 0) {
        kn_log_warn("net.ctlchan", "connect to %s failed", ch->peer);
        ctlchan_destroy(ch);
        return NULL;
    }
    return ch;
}

kn_ctlchan_t *kn_ctlchan_accept(struct event_base *base, evutil_socket_t fd,
                                SSL_CTX *ssl, const kn_ctlchan_cbs_t *cbs)
{
    kn_ctlchan_t *ch = ctlchan_new(cbs);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;

    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
        char h[INET6_ADDRSTRLEN] = "?";
        int p = 0;
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, h, sizeof h);
            p = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof h);
            p = ntohs(a->sin6_port);
        } else {
            snprintf(h, sizeof h, "local");
        }
        snprintf(ch->peer, sizeof ch->peer, "%s:%d", h, p);
    }
    evutil_make_socket_nonblocking(fd);
    if (ssl != NULL) {
        SSL *s = SSL_new(ssl);
        if (s == NULL) {
            evutil_closesocket(fd);
            free(ch);
            return NULL;
        }
        ch->bev = bufferevent_openssl_socket_new(base, fd, s, BUFFEREVENT_SSL_ACCEPTING,
                                                 BEV_OPT_CLOSE_ON_FREE);
    } else {
        ch->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    if (ch->bev == NULL) {
        evutil_closesocket(fd);
        free(ch);
        return NULL;
    }
    ctlchan_arm(ch);
    return ch;
}

/* A peer that stops reading must not make us buffer without bound: past
 * this much unsent output the channel is failed. */
#define KN_CTLCHAN_MAX_BACKLOG ((size_t)2 * KN_CTLCHAN_MAX_FRAME)

int kn_ctlchan_send(kn_ctlchan_t *ch, const Kanal__Control__KnControl *msg)
{
    if (ch == NULL || ch->down || ch->free_pending || ch->bev == NULL || ch->overflow)
        return KN_ERROR;
    if (evbuffer_get_length(bufferevent_get_output(ch->bev)) > KN_CTLCHAN_MAX_BACKLOG) {
        kn_log_warn("net.ctlchan", "%s: more than %zu bytes unsent; closing", ch->peer,
                    KN_CTLCHAN_MAX_BACKLOG);
        /* Report it from the loop, not inside the caller's send: owners
         * free channels from on_down. */
        ch->overflow = true;
        bufferevent_disable(ch->bev, EV_READ | EV_WRITE);
        bufferevent_trigger_event(ch->bev, BEV_EVENT_ERROR, BEV_TRIG_DEFER_CALLBACKS);
        return KN_ERROR;
    }
    size_t len = kanal__control__kn_control__get_packed_size(msg);
    if (len > KN_CTLCHAN_MAX_FRAME) {
        kn_log_error("net.ctlchan", "%s: refusing to send a %zu-byte frame", ch->peer, len);
        return KN_ERROR;
    }
    uint8_t *frame = kn_malloc(4 + len);
    frame[0] = (uint8_t)(len >> 24);
    frame[1] = (uint8_t)(len >> 16);
    frame[2] = (uint8_t)(len >> 8);
    frame[3] = (uint8_t)len;
    kanal__control__kn_control__pack(msg, frame + 4);
    int rc = bufferevent_write(ch->bev, frame, 4 + len);
    free(frame);
    return rc == 0 ? KN_OK : KN_ERROR;
}

void kn_ctlchan_free(kn_ctlchan_t *ch)
{
    if (ch == NULL)
        return;
    if (ch->depth > 0) {
        /* Inside one of our callbacks: stop I/O now, free on the way out. */
        ch->free_pending = true;
        ch->down = true;
        if (ch->bev != NULL)
            bufferevent_disable(ch->bev, EV_READ | EV_WRITE);
        return;
    }
    ctlchan_destroy(ch);
}

const char *kn_ctlchan_peer(const kn_ctlchan_t *ch)
{
    return ch->peer;
}

void kn_ctlchan_set_data(kn_ctlchan_t *ch, void *data)
{
    ch->data = data;
}

void *kn_ctlchan_get_data(const kn_ctlchan_t *ch)
{
    return ch->data;
}
