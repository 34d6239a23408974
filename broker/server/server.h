/*
 * broker/server/server.h -- the broker's network layer: listeners, worker
 * event loops, Kafka framing and request dispatch.
 *
 * The server runs num.network.threads worker threads, each with its own
 * libevent loop. Listening sockets live on worker 0; each accepted
 * connection is handed to the next worker round-robin and stays there for
 * its whole life, so everything about a connection (reads, handler calls,
 * the ordered response queue, writes) happens on one thread without locks.
 * Handlers are called on that thread (broker/server/request.h).
 *
 * Listener configuration follows Kafka: "listeners" names endpoints
 * (NAME://host:port), "listener.security.protocol.map" maps names to
 * security protocols, "advertised.listeners" is what goes into
 * /brokers/ids/<id> and Metadata (defaults to listeners).
 */
#ifndef KN_SERVER_H
#define KN_SERVER_H

#include <openssl/ssl.h>

#include "broker/server/request.h"
#include "kn.h"

struct event_base;
typedef struct kn_server_s kn_server_t;

#define KN_LISTENERS_MAX 8

/* One configured listener. */
typedef struct {
    char                   name[64];      /* "PLAINTEXT", "SSL", "INTERNAL", ... */
    kn_security_protocol_t security;
    char                   host[256];     /* bind host; "" = all interfaces */
    int                    port;          /* bind port; after start: the bound port */
    char                   adv_host[256]; /* advertised host (bind host if unset) */
    int                    adv_port;      /* advertised port (bound port if 0) */
} kn_listener_t;

/* Parse listeners / advertised.listeners / listener.security.protocol.map
 * (NULL = Kafka's default map) into out[]. Advertised may be NULL (then the
 * bind address is advertised; an empty bind host advertises the host
 * name). Returns the listener count, or KN_ERROR with a reason in err. */
int kn_listeners_parse(const char *listeners, const char *advertised, const char *secmap,
                       kn_listener_t *out, size_t max, char *err, size_t errlen);
/* Check only the NAME://host:port syntax of a listener list. */
int kn_listeners_syntax(const char *listeners, char *err, size_t errlen);
/* Parse a security protocol name ("SSL") into *out. */
int kn_security_protocol_parse(const char *s, kn_security_protocol_t *out);
const char *kn_security_protocol_name(kn_security_protocol_t sp);

typedef struct {
    kn_listener_t listeners[KN_LISTENERS_MAX];
    size_t        nlisteners;
    int           num_threads;          /* num.network.threads (>= 1) */
    int32_t       max_request_bytes;    /* socket.request.max.bytes */
    int           sndbuf;               /* socket.send.buffer.bytes, -1 = OS default */
    int           rcvbuf;               /* socket.receive.buffer.bytes, -1 = OS default */
    int64_t       idle_ms;              /* connections.max.idle.ms, <= 0 = never */
    SSL_CTX      *ssl_ctx;              /* for SSL listeners (reference taken) */
    kn_broker_t  *broker;               /* copied into every kn_req_t */
} kn_server_opts_t;

/* Fill opts with Kafka's defaults (no listeners). */
void kn_server_opts_default(kn_server_opts_t *opts);

/* Create the server: binds every listener (so a port conflict is a
 * start-up error) but runs nothing yet. NULL with a reason on failure. */
kn_server_t *kn_server_new(const kn_server_opts_t *opts, char *err, size_t errlen);
/* Start the worker threads; connections are accepted from now on. */
int kn_server_start(kn_server_t *srv);
/* Stop accepting new connections (first step of a clean shutdown). */
void kn_server_stop_listeners(kn_server_t *srv);
/* Full stop: fires every parked operation with KN_DELAYED_SHUTDOWN so
 * handlers can answer or drop their requests, flushes what can be flushed,
 * closes all connections and joins the worker threads. Idempotent. */
void kn_server_stop(kn_server_t *srv);
/* Stop (if running) and free. */
void kn_server_free(kn_server_t *srv);

/* The listeners with their bound ports (valid after kn_server_new). */
size_t kn_server_listener_count(const kn_server_t *srv);
const kn_listener_t *kn_server_listener(const kn_server_t *srv, size_t i);
const kn_listener_t *kn_server_listener_by_name(const kn_server_t *srv, const char *name);

/* Worker loops (e.g. to place timers next to a connection's work). */
int kn_server_worker_count(const kn_server_t *srv);
struct event_base *kn_server_worker_base(const kn_server_t *srv, int i);
/* Number of open client connections (all workers; approximate while they
 * change). */
int kn_server_conn_count(const kn_server_t *srv);

/* ---- cross-thread calls (broker/server/runq.c) ----------------------- */

/* Make base a target of kn_server_run_on(); call on any thread before the
 * base runs. The server does this for its workers; main.c for main_base. */
int kn_runq_attach(struct event_base *base);
/* Remove base from the registry; callbacks still queued run now, on the
 * caller's thread (which should be the base's, its loop stopped), so no
 * argument leaks. */
void kn_runq_detach(struct event_base *base);

#endif /* KN_SERVER_H */
