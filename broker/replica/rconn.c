/*
 * broker/replica/rconn.c -- a blocking Kafka-protocol client connection to
 * another broker, for the fetcher threads.
 *
 * A fetcher thread does one thing at a time (send a Fetch, wait for its
 * answer, append), so plain blocking I/O with per-call timeouts is the
 * simplest correct shape: no event loop, no callbacks. Timeouts come from
 * poll(2) before every read and write; TLS runs over the non-blocking
 * socket the same way (poll for what SSL_read/SSL_write want). Another
 * thread interrupts a wait with kn_rconn_abort(), which shuts the socket
 * down so poll wakes at once.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "broker/replica/replica_int.h"
#include "net/tls.h"

struct kn_rconn_s {
    int  fd;
    SSL *ssl;
};

/* Wait until fd is readable (events POLLIN) or writable within timeout_ms. */
static int kn_rconn_wait(int fd, short events, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
    int64_t deadline = kn_mono_ms() + timeout_ms;
    for (;;) {
        int left = (int)KN_MAX(deadline - kn_mono_ms(), 0);
        int n = poll(&p, 1, left);
        if (n > 0)
            return KN_OK;
        if (n == 0)
            return KN_AGAIN;
        if (errno != EINTR)
            return KN_ERROR;
    }
}

/* Drive an SSL call that returned rc <= 0: wait for what it wants. */
static int kn_rconn_ssl_wait(kn_rconn_t *c, int rc, int timeout_ms)
{
    int e = SSL_get_error(c->ssl, rc);
    if (e == SSL_ERROR_WANT_READ)
        return kn_rconn_wait(c->fd, POLLIN, timeout_ms);
    if (e == SSL_ERROR_WANT_WRITE)
        return kn_rconn_wait(c->fd, POLLOUT, timeout_ms);
    return KN_ERROR;
}

kn_rconn_t *kn_rconn_open(const char *host, int port, SSL_CTX *ssl, int timeout_ms, char *err,
                          size_t errlen)
{
    struct addrinfo hints, *ai = NULL;
    char portstr[16];

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(portstr, sizeof(portstr), "%d", port);
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai != 0 || ai == NULL) {
        snprintf(err, errlen, "resolve %s: %s", host, gai_strerror(gai));
        return NULL;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        freeaddrinfo(ai);
        return NULL;
    }
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc != 0 && errno != EINPROGRESS) {
        snprintf(err, errlen, "connect %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return NULL;
    }
    if (rc != 0) {
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        if (kn_rconn_wait(fd, POLLOUT, timeout_ms) != KN_OK ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
            snprintf(err, errlen, "connect %s:%d: %s", host, port,
                     soerr ? strerror(soerr) : "timed out");
            close(fd);
            return NULL;
        }
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    kn_rconn_t *c = kn_calloc(1, sizeof(*c));
    c->fd = fd;
    if (ssl == NULL)
        return c;

    c->ssl = SSL_new(ssl);
    SSL_set_fd(c->ssl, fd);
    SSL_set_tlsext_host_name(c->ssl, host);
    if (SSL_CTX_get_verify_mode(ssl) & SSL_VERIFY_PEER) {
        /* Verify the peer's name too: an IP literal against the
         * certificate's IP SANs, a host name against its DNS names. */
        unsigned char tmp[16];
        if (inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1)
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host);
        else
            SSL_set1_host(c->ssl, host);
    }
    int64_t deadline = kn_mono_ms() + timeout_ms;
    for (;;) {
        ERR_clear_error();
        rc = SSL_connect(c->ssl);
        if (rc == 1)
            break;
        int left = (int)KN_MAX(deadline - kn_mono_ms(), 0);
        if (kn_rconn_ssl_wait(c, rc, left) != KN_OK) {
            char tlserr[256];
            kn_tls_errstr(tlserr, sizeof(tlserr));
            snprintf(err, errlen, "TLS handshake with %s:%d: %s", host, port,
                     tlserr[0] ? tlserr : "failed or timed out");
            kn_rconn_close(c);
            return NULL;
        }
    }
    return c;
}

/* Write all n bytes within the deadline. */
static int kn_rconn_write(kn_rconn_t *c, const uint8_t *p, size_t n, int64_t deadline)
{
    while (n > 0) {
        int left = (int)KN_MAX(deadline - kn_mono_ms(), 0);
        if (c->ssl) {
            ERR_clear_error();
            int w = SSL_write(c->ssl, p, (int)KN_MIN(n, (size_t)INT32_MAX));
            if (w > 0) {
                p += w;
                n -= (size_t)w;
            } else if (kn_rconn_ssl_wait(c, w, left) != KN_OK) {
                return KN_ERROR;
            }
            continue;
        }
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (kn_rconn_wait(c->fd, POLLOUT, left) != KN_OK)
                return KN_ERROR;
        } else {
            return KN_ERROR;
        }
    }
    return KN_OK;
}

/* Read exactly n bytes within the deadline. */
static int kn_rconn_read(kn_rconn_t *c, uint8_t *p, size_t n, int64_t deadline)
{
    while (n > 0) {
        int left = (int)KN_MAX(deadline - kn_mono_ms(), 0);
        if (c->ssl) {
            ERR_clear_error();
            int rd = SSL_read(c->ssl, p, (int)KN_MIN(n, (size_t)INT32_MAX));
            if (rd > 0) {
                p += rd;
                n -= (size_t)rd;
            } else if (kn_rconn_ssl_wait(c, rd, left) != KN_OK) {
                return KN_ERROR;
            }
            continue;
        }
        ssize_t rd = recv(c->fd, p, n, 0);
        if (rd > 0) {
            p += rd;
            n -= (size_t)rd;
        } else if (rd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (kn_rconn_wait(c->fd, POLLIN, left) != KN_OK)
                return KN_ERROR;
        } else {
            return KN_ERROR;   /* EOF or error */
        }
    }
    return KN_OK;
}

int kn_rconn_roundtrip(kn_rconn_t *c, const kn_wbuf_t *req, kn_wbuf_t *resp, int timeout_ms,
                       size_t max_bytes, char *err, size_t errlen)
{
    int64_t deadline = kn_mono_ms() + timeout_ms;
    uint8_t hdr[4];

    if (req->len > INT32_MAX) {
        snprintf(err, errlen, "request too large");
        return KN_ERROR;
    }
    hdr[0] = (uint8_t)(req->len >> 24);
    hdr[1] = (uint8_t)(req->len >> 16);
    hdr[2] = (uint8_t)(req->len >> 8);
    hdr[3] = (uint8_t)req->len;
    if (kn_rconn_write(c, hdr, 4, deadline) != KN_OK ||
        kn_rconn_write(c, req->data, req->len, deadline) != KN_OK) {
        snprintf(err, errlen, "send failed or timed out");
        return KN_ERROR;
    }
    if (kn_rconn_read(c, hdr, 4, deadline) != KN_OK) {
        snprintf(err, errlen, "no response (closed or timed out)");
        return KN_ERROR;
    }
    uint32_t len = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) |
                   ((uint32_t)hdr[2] << 8) | (uint32_t)hdr[3];
    /* The length comes from the wire: bound it before allocating. */
    if (len < 4 || len > INT32_MAX || (size_t)len > max_bytes) {
        snprintf(err, errlen, "response frame of %u bytes out of bounds", len);
        return KN_ERROR;
    }
    kn_wbuf_reset(resp);
    uint8_t *dst = kn_wbuf_reserve(resp, len);
    if (kn_rconn_read(c, dst, len, deadline) != KN_OK) {
        snprintf(err, errlen, "truncated response (closed or timed out)");
        return KN_ERROR;
    }
    resp->len = len;
    return KN_OK;
}

void kn_rconn_abort(kn_rconn_t *c)
{
    if (c != NULL && c->fd >= 0)
        shutdown(c->fd, SHUT_RDWR);
}

void kn_rconn_close(kn_rconn_t *c)
{
    if (c == NULL)
        return;
    if (c->ssl) {
        SSL_free(c->ssl);
    }
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}
