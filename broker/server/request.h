/*
 * broker/server/request.h -- what a Kafka API handler sees, and how it
 * answers.
 *
 * The network layer (broker/server/) reads a frame, parses the request
 * header (v1, or v2 for flexible versions), checks the API key/version
 * against the broker's advertised table, and calls the handler registered
 * for that key on the connection's event-loop thread. The handler decodes
 * req->body (a bounds-checked reader positioned after the header) and
 * writes the response BODY into resp; the network layer adds the response
 * header (v0, or v1 for flexible versions -- except ApiVersions, always v0)
 * and keeps responses in request order per connection.
 *
 * Handler return values:
 *   KN_OK       send resp now
 *   KN_AGAIN    parked (Fetch long poll, acks=all Produce): the handler
 *               keeps req and later calls kn_req_complete() exactly once, on
 *               req->base's thread (use kn_server_run_on() to get there)
 *   KN_DECLINED send nothing (Produce with acks=0); req is released
 *   KN_ERROR    malformed request: the connection is closed, as Kafka does
 */
#ifndef KN_REQUEST_H
#define KN_REQUEST_H

#include "buf.h"
#include "kn.h"

struct event_base;
typedef struct kn_broker_s kn_broker_t;
typedef struct kn_conn_s kn_conn_t;

typedef enum {
    KN_SEC_PLAINTEXT = 0,
    KN_SEC_SSL = 1,
    KN_SEC_SASL_PLAINTEXT = 2,
    KN_SEC_SASL_SSL = 3
} kn_security_protocol_t;

typedef struct kn_req_s {
    kn_broker_t       *broker;
    kn_conn_t         *conn;           /* opaque; NULL once the connection died */
    struct event_base *base;           /* the connection's event loop */
    int16_t            api_key;
    int16_t            api_version;
    int32_t            correlation_id;
    bool               flexible;       /* request header v2 / response header v1 */
    kn_slice_t         client_id;      /* view into frame (valid until complete) */
    const char        *listener;       /* listener name, e.g. "PLAINTEXT" */
    kn_security_protocol_t security;
    char               peer[64];       /* "ip:port" of the client */
    char               principal[256]; /* "User:ANONYMOUS" or from the TLS cert */
    kn_rbuf_t          body;           /* request body after the header */
    int64_t            recv_ms;        /* monotonic time the frame was read */
    /* Zero-copy file ranges a handler attaches to its response (Fetch):
     * see kn_req_add_file_range(). */
    void              *ext;            /* network-layer private */
} kn_req_t;

typedef int (*kn_handler_fn)(kn_req_t *req, kn_wbuf_t *resp);

/* Finish a parked request (KN_AGAIN) with its response body. Must run on
 * req->base's thread. resp is the complete body (whatever was written into
 * the buffer the handler got before parking is discarded, unless resp IS
 * that buffer); its bytes are taken over and resp is left empty (freeing it
 * afterwards is harmless). File ranges added with kn_req_add_file_range()
 * must refer to offsets in this resp. If the connection died meanwhile,
 * req is just freed. After this call req is gone. */
void kn_req_complete(kn_req_t *req, kn_wbuf_t *resp);
/* True if the connection that sent req is gone (parked ops may drop it). */
bool kn_req_conn_closed(const kn_req_t *req);

/* Zero-copy fetch: the response body is assembled as a sequence of memory
 * and file pieces. While writing resp, a handler may call this to say
 * "here, insert len bytes of file fd at offset pos" (the bytes are NOT in
 * resp); resp->len at the time of the call marks the insertion point. The
 * fd is dup()ed, so the caller may close its own. On PLAINTEXT the pieces
 * go out with sendfile(2); on TLS they are read and encrypted. */
int kn_req_add_file_range(kn_req_t *req, kn_wbuf_t *resp, int fd, int64_t pos, int32_t len);

/* Register the handler for an API key (done once at start-up, before the
 * server starts). Registering NULL removes it. Only registered keys are
 * accepted on the wire and advertised by ApiVersions. */
void kn_handlers_register(int16_t api_key, kn_handler_fn fn);
/* The handler registered for an API key, NULL if none. */
kn_handler_fn kn_handlers_lookup(int16_t api_key);
/* Forget every registration (tests). */
void kn_handlers_reset(void);

/* Run fn(arg) on the given event loop's thread (thread-safe; used to wake
 * parked requests from another loop). */
void kn_server_run_on(struct event_base *base, void (*fn)(void *arg), void *arg);

#endif /* KN_REQUEST_H */
