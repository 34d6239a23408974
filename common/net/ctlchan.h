/*
 * common/net/ctlchan.h -- the broker <-> controller control channel.
 *
 * A stream (TCP, or TLS when an SSL_CTX is given) of frames: 4-byte
 * big-endian length, then one serialized Kanal__Control__KnControl
 * (common/proto/control.proto). Runs on a libevent base; callbacks run on
 * that base's thread. Frames larger than KN_CTLCHAN_MAX_FRAME close the
 * channel (a peer sending them is broken or hostile).
 */
#ifndef KN_CTLCHAN_H
#define KN_CTLCHAN_H

#include <event2/util.h>
#include <openssl/ssl.h>

#include "kn.h"
#include "proto/control.pb-c.h"

#define KN_CTLCHAN_MAX_FRAME (64 * 1024 * 1024)

struct event_base;
typedef struct kn_ctlchan_s kn_ctlchan_t;

/* A decoded message; owned by the channel, valid only during the call. */
typedef void (*kn_ctlchan_msg_cb)(kn_ctlchan_t *ch, const Kanal__Control__KnControl *msg, void *ud);
/* Connection established (client side; TLS handshake done). */
typedef void (*kn_ctlchan_up_cb)(kn_ctlchan_t *ch, void *ud);
/* Connection failed or closed; the channel must then be freed by the owner
 * (kn_ctlchan_free may be called from inside this callback). */
typedef void (*kn_ctlchan_down_cb)(kn_ctlchan_t *ch, const char *reason, void *ud);

typedef struct {
    kn_ctlchan_msg_cb  on_msg;
    kn_ctlchan_up_cb   on_up;     /* may be NULL */
    kn_ctlchan_down_cb on_down;
    void              *ud;
} kn_ctlchan_cbs_t;

/* Connect to host:port; ssl NULL = plaintext. */
kn_ctlchan_t *kn_ctlchan_connect(struct event_base *base, const char *host, int port,
                                 SSL_CTX *ssl, const kn_ctlchan_cbs_t *cbs);
/* Wrap an accepted socket (server side); takes ownership of fd. */
kn_ctlchan_t *kn_ctlchan_accept(struct event_base *base, evutil_socket_t fd,
                                SSL_CTX *ssl, const kn_ctlchan_cbs_t *cbs);
/* Queue a message; KN_ERROR if the channel is down. */
int  kn_ctlchan_send(kn_ctlchan_t *ch, const Kanal__Control__KnControl *msg);
void kn_ctlchan_free(kn_ctlchan_t *ch);
/* Peer address "host:port" for logs. */
const char *kn_ctlchan_peer(const kn_ctlchan_t *ch);
/* Owner's per-channel pointer (e.g. the broker session on the controller). */
void  kn_ctlchan_set_data(kn_ctlchan_t *ch, void *data);
void *kn_ctlchan_get_data(const kn_ctlchan_t *ch);

#endif /* KN_CTLCHAN_H */
