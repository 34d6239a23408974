/*
 * common/zk/zk.h -- a ZooKeeper session over libzookeeper-mt, delivered to a
 * libevent loop.
 *
 * libzookeeper-mt runs its own I/O and completion threads. Kanal's code
 * lives on event loops, so this wrapper never runs user code on the
 * ZooKeeper threads: watch and session events are queued and handed to the
 * callbacks on the event_base given to kn_zk_new() (which must have been
 * created after evthread_use_pthreads()). Data calls are synchronous (they
 * block the calling thread for one round trip), which keeps the callers'
 * control flow plain; brokers and controllers do few ZooKeeper writes.
 *
 * Results are ZooKeeper's own return codes (ZOK, ZNONODE, ZNODEEXISTS,
 * ZBADVERSION, ZCONNECTIONLOSS, ZSESSIONEXPIRED, ...) so callers can tell a
 * lost race from a lost session. kn_zk_strerror() names them.
 *
 * Session expiry: the handle is dead; the wrapper reports
 * KN_ZK_SESSION_EXPIRED and, if reconnect is on (the default), opens a new
 * session and reports KN_ZK_SESSION_CONNECTED again with `renewed` set, so
 * the owner re-creates its ephemeral nodes and re-arms its watches.
 * Expiry is reported when the server says so, and also when the connection
 * has been lost for longer than the session timeout: the client cannot
 * know whether its session (and its ephemeral nodes) survived, and a
 * controller must assume it was replaced. The old session's ephemeral
 * nodes may then linger on the server until it expires them there, so an
 * owner re-creating one may briefly see ZNODEEXISTS.
 *
 * Chroot: with "host:port/chroot", the chroot node (and its parents) is
 * created if missing, through a short-lived handle without chroot, the
 * first time the session is connected -- in kn_zk_wait_connected() or
 * before the first CONNECTED callback -- as Kafka does.
 *
 * kn_zk_free() may be called from one of the wrapper's callbacks (the
 * object then goes away when the callback returns) but, like the loop-side
 * work (handle renewal), belongs to the loop thread.
 */
#ifndef KN_ZK_H
#define KN_ZK_H

#include <jansson.h>
#include <zookeeper/zookeeper.h>

#include "kn.h"

struct event_base;

typedef struct kn_zk_s kn_zk_t;

typedef enum {
    KN_ZK_SESSION_CONNECTED,     /* (re)connected; see kn_zk_session_renewed() */
    KN_ZK_SESSION_DISCONNECTED,  /* connection lost, session may still be alive */
    KN_ZK_SESSION_EXPIRED,       /* session gone: ephemerals and watches lost */
    KN_ZK_SESSION_AUTH_FAILED
} kn_zk_session_event_t;

typedef enum {
    KN_ZK_WATCH_CREATED,
    KN_ZK_WATCH_DELETED,
    KN_ZK_WATCH_CHANGED,
    KN_ZK_WATCH_CHILD
} kn_zk_watch_event_t;

typedef void (*kn_zk_session_cb)(kn_zk_t *zk, kn_zk_session_event_t ev, void *ud);
/* One-shot, as ZooKeeper's watches are: re-arm by reading again. */
typedef void (*kn_zk_watch_cb)(kn_zk_t *zk, kn_zk_watch_event_t ev, const char *path, void *ud);

#define KN_ZK_EPHEMERAL  ZOO_EPHEMERAL
#define KN_ZK_SEQUENCE   ZOO_SEQUENCE

/* connect: "host:port[,host:port...][/chroot]". Starts connecting at once. */
kn_zk_t *kn_zk_new(struct event_base *base, const char *connect, int session_timeout_ms,
                   kn_zk_session_cb cb, void *ud);
/* Block (not running the event loop) until connected or timeout_ms passes,
 * then make sure the chroot exists. Returns ZOK, ZOPERATIONTIMEOUT, or the
 * error that prevented creating the chroot. For start-up paths. */
int  kn_zk_wait_connected(kn_zk_t *zk, int timeout_ms);
void kn_zk_free(kn_zk_t *zk);
bool kn_zk_connected(kn_zk_t *zk);
/* After CONNECTED: true if this is a new session (first connect or after
 * expiry), false if an existing session reconnected. */
bool kn_zk_session_renewed(kn_zk_t *zk);
void kn_zk_set_reconnect(kn_zk_t *zk, bool on);
/* Current session id and password (for tests that force expiry). */
int64_t kn_zk_session_id(kn_zk_t *zk, char passwd[16], int *passwd_len);
/* Open a session that takes over an existing one (same id/password):
 * closing it expires the original session -- the standard way to force
 * expiry in tests. */
kn_zk_t *kn_zk_new_with_session(struct event_base *base, const char *connect,
                                int session_timeout_ms, int64_t session_id,
                                const char *passwd, int passwd_len,
                                kn_zk_session_cb cb, void *ud);
const char *kn_zk_strerror(int rc);

/* Data calls. `stat` may be NULL. A non-NULL watch is armed (one-shot). */
int kn_zk_create(kn_zk_t *zk, const char *path, const void *data, int len, int flags,
                 char *created, int created_len);
/* Create path and any missing parents (persistent, empty); ZNODEEXISTS on
 * the last element is returned as ZOK. */
int kn_zk_create_parents(kn_zk_t *zk, const char *path);
/* *data is heap (free()), NUL-terminated for convenience, *len its length
 * (-1 for a node with null data). */
int kn_zk_get(kn_zk_t *zk, const char *path, char **data, int *len, struct Stat *stat,
              kn_zk_watch_cb watch, void *ud);
int kn_zk_exists(kn_zk_t *zk, const char *path, struct Stat *stat,
                 kn_zk_watch_cb watch, void *ud);
int kn_zk_set(kn_zk_t *zk, const char *path, const void *data, int len, int version,
              struct Stat *stat);
int kn_zk_delete(kn_zk_t *zk, const char *path, int version);
/* Delete a node and everything under it. */
int kn_zk_delete_recursive(kn_zk_t *zk, const char *path);
/* Children names, sorted; free with kn_zk_children_free(). */
int kn_zk_children(kn_zk_t *zk, const char *path, char ***names, int *count,
                   kn_zk_watch_cb watch, void *ud);
void kn_zk_children_free(char **names, int count);
/* Atomic multi-op (zoo_*_op_init to build ops). results may be NULL. */
int kn_zk_multi(kn_zk_t *zk, int count, const zoo_op_t *ops, zoo_op_result_t *results);

/* JSON payloads (jansson). get: *out is a new reference. */
int kn_zk_get_json(kn_zk_t *zk, const char *path, json_t **out, struct Stat *stat,
                   kn_zk_watch_cb watch, void *ud);
int kn_zk_create_json(kn_zk_t *zk, const char *path, const json_t *j, int flags);
int kn_zk_set_json(kn_zk_t *zk, const char *path, const json_t *j, int version,
                   struct Stat *stat);
/* Compact serialisation used for every znode payload, keys in insertion
 * order; any JSON value (a bare integer for /controller_epoch). Heap
 * string: free(). */
char *kn_zk_json_dump(const json_t *j);

#endif /* KN_ZK_H */
