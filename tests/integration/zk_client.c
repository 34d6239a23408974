/*
 * tests/integration/zk_client.c -- drives the ZooKeeper wrapper
 * (common/zk/zk.h) against a real ZooKeeper for tests/integration/test_zk.py.
 *
 *   zk_client CONNECT SCENARIO [PATH]
 *
 * CONNECT is a zookeeper.connect string, usually with a chroot. Scenarios:
 *   basic           create/get/set/delete/exists/children with versions,
 *                   sequential and ephemeral nodes, big payloads, JSON
 *   multi           atomic multi: one failing op aborts all, version checks
 *   watch           data, child, create and delete watches fire on the loop
 *                   thread, set by a second session
 *   expire-takeover expire the session by taking it over with a second
 *                   handle and closing that; expect EXPIRED, then a new
 *                   session and the ephemeral node gone until re-created
 *   expire-noreconnect  as expire-takeover with reconnect off: the owner
 *                   frees the wrapper from its EXPIRED callback
 *   expire-outage   print "ready", then expect DISCONNECTED and EXPIRED
 *                   while the test keeps ZooKeeper down, then a new session
 *                   once it is back
 *   exists PATH     print "exists PATH rc=NAME"
 *   get PATH        print "get PATH rc=NAME data=..."
 *
 * Each check prints "ok - what" or "FAIL - what: why"; the exit status is
 * the number of failures (capped), so the test checks both.
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "log.h"
#include "zk/zk.h"

#define SESSION_TIMEOUT_MS 4000
#define CONNECT_TIMEOUT_MS 30000
/* A scenario that has not finished by then is stuck: fail instead of
 * hanging (the Python test has its own, longer, limit). */
#define SCENARIO_DEADLINE_S 150

typedef struct {
    struct event_base *base;
    pthread_t loop_thread;
    const char *connect;
    kn_zk_t *zk;
    int failures;
    int watches_seen;
    int64_t first_session;
    bool expired_seen;
    bool renewed_seen;
    bool done;
    bool no_reconnect;                   /* expire-noreconnect */
    struct event *poll_ev;               /* expiry scenarios: re-check timer */
} app_t;

static app_t app;

static void check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check(bool cond, const char *fmt, ...)
{
    va_list ap;

    printf(cond ? "ok - " : "FAIL - ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond) {
        app.failures++;
    }
}

static const char *rc_name(int rc)
{
    static char other[32];

    switch (rc) {
    case ZOK: return "ZOK";
    case ZNONODE: return "ZNONODE";
    case ZNODEEXISTS: return "ZNODEEXISTS";
    case ZBADVERSION: return "ZBADVERSION";
    case ZNOTEMPTY: return "ZNOTEMPTY";
    case ZMARSHALLINGERROR: return "ZMARSHALLINGERROR";
    case ZINVALIDSTATE: return "ZINVALIDSTATE";
    case ZCONNECTIONLOSS: return "ZCONNECTIONLOSS";
    case ZSESSIONEXPIRED: return "ZSESSIONEXPIRED";
    case ZOPERATIONTIMEOUT: return "ZOPERATIONTIMEOUT";
    case ZRUNTIMEINCONSISTENCY: return "ZRUNTIMEINCONSISTENCY";
    case ZBADARGUMENTS: return "ZBADARGUMENTS";
    default:
        snprintf(other, sizeof(other), "%d", rc);
        return other;
    }
}

static const char *session_name(kn_zk_session_event_t ev)
{
    switch (ev) {
    case KN_ZK_SESSION_CONNECTED: return "CONNECTED";
    case KN_ZK_SESSION_DISCONNECTED: return "DISCONNECTED";
    case KN_ZK_SESSION_EXPIRED: return "EXPIRED";
    case KN_ZK_SESSION_AUTH_FAILED: return "AUTH_FAILED";
    }
    return "?";
}

static const char *watch_name(kn_zk_watch_event_t ev)
{
    switch (ev) {
    case KN_ZK_WATCH_CREATED: return "CREATED";
    case KN_ZK_WATCH_DELETED: return "DELETED";
    case KN_ZK_WATCH_CHANGED: return "CHANGED";
    case KN_ZK_WATCH_CHILD: return "CHILD";
    }
    return "?";
}

static bool on_loop_thread(void)
{
    return pthread_equal(pthread_self(), app.loop_thread) != 0;
}

static kn_zk_t *connect_or_die(kn_zk_session_cb cb)
{
    kn_zk_t *zk = kn_zk_new(app.base, app.connect, SESSION_TIMEOUT_MS, cb, NULL);
    int rc;

    if (zk == NULL) {
        check(false, "kn_zk_new %s", app.connect);
        return NULL;
    }
    rc = kn_zk_wait_connected(zk, CONNECT_TIMEOUT_MS);
    check(rc == ZOK, "connected to %s rc=%s", app.connect, rc_name(rc));
    if (rc != ZOK) {
        kn_zk_free(zk);
        return NULL;
    }
    return zk;
}

static void expect_rc(int rc, int want, const char *what)
{
    check(rc == want, "%s rc=%s", what, rc_name(rc));
}

/* ------------------------------------------------------------- basic */

static void scenario_basic(kn_zk_t *zk)
{
    struct Stat st;
    char created[256];
    char *data = NULL;
    char **names = NULL;
    int len = 0, count = 0, rc;
    json_t *j, *got = NULL;
    char *big;
    const size_t big_len = 300 * 1024;

    expect_rc(kn_zk_delete_recursive(zk, "/t"), ZOK, "clean /t");
    expect_rc(kn_zk_create_parents(zk, "/t/a/b"), ZOK, "create_parents /t/a/b");
    expect_rc(kn_zk_create_parents(zk, "/t/a/b"), ZOK, "create_parents again");
    expect_rc(kn_zk_create(zk, "/t/p", "v0", 2, 0, NULL, 0), ZOK, "create /t/p");
    expect_rc(kn_zk_create(zk, "/t/p", "v0", 2, 0, NULL, 0), ZNODEEXISTS, "create /t/p again");
    expect_rc(kn_zk_create(zk, "/t/none/x", "", 0, 0, NULL, 0), ZNONODE, "create without parent");

    rc = kn_zk_get(zk, "/t/p", &data, &len, &st, NULL, NULL);
    check(rc == ZOK && len == 2 && strcmp(data, "v0") == 0 && st.version == 0,
          "get /t/p rc=%s data=%s version=%d", rc_name(rc), data ? data : "(null)",
          rc == ZOK ? st.version : -1);
    free(data);

    rc = kn_zk_set(zk, "/t/p", "v1", 2, 0, &st);
    check(rc == ZOK && st.version == 1, "set /t/p at version 0 rc=%s new-version=%d",
          rc_name(rc), rc == ZOK ? st.version : -1);
    expect_rc(kn_zk_set(zk, "/t/p", "v2", 2, 0, NULL), ZBADVERSION, "set-stale-version");
    expect_rc(kn_zk_delete(zk, "/t/p", 0), ZBADVERSION, "delete-stale-version");
    rc = kn_zk_get(zk, "/t/p", &data, &len, NULL, NULL, NULL);
    check(rc == ZOK && strcmp(data, "v1") == 0, "stale writes changed nothing data=%s",
          data ? data : "(null)");
    free(data);

    /* Ephemeral: owned by our session. */
    expect_rc(kn_zk_create(zk, "/t/e", "x", 1, KN_ZK_EPHEMERAL, NULL, 0), ZOK, "create ephemeral");
    rc = kn_zk_exists(zk, "/t/e", &st, NULL, NULL);
    check(rc == ZOK && st.ephemeralOwner == kn_zk_session_id(zk, NULL, NULL),
          "ephemeral owned by our session");

    /* Sequential: the server appends a 10-digit counter; the chroot is
     * stripped from the name it returns. */
    rc = kn_zk_create(zk, "/t/seq-", "s", 1, KN_ZK_SEQUENCE, created, sizeof(created));
    check(rc == ZOK && strncmp(created, "/t/seq-", 7) == 0 && strlen(created) == 17,
          "sequential create rc=%s name=%s", rc_name(rc), rc == ZOK ? created : "");

    /* Null data versus empty data. */
    expect_rc(kn_zk_create(zk, "/t/null", NULL, -1, 0, NULL, 0), ZOK, "create null-data node");
    rc = kn_zk_get(zk, "/t/null", &data, &len, NULL, NULL, NULL);
    check(rc == ZOK && len == -1 && data != NULL && data[0] == '\0', "null data reads as len -1");
    free(data);

    /* A payload bigger than the first read buffer. */
    big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++) {
        big[i] = (char) ('a' + i % 26);
    }
    expect_rc(kn_zk_create(zk, "/t/big", big, (int) big_len, 0, NULL, 0), ZOK, "create big node");
    rc = kn_zk_get(zk, "/t/big", &data, &len, NULL, NULL, NULL);
    check(rc == ZOK && len == (int) big_len && memcmp(data, big, big_len) == 0,
          "get big node len=%d", len);
    free(data);
    free(big);

    rc = kn_zk_children(zk, "/t", &names, &count, NULL, NULL);
    check(rc == ZOK && count == 6 && strcmp(names[0], "a") == 0 && strcmp(names[1], "big") == 0
          && strcmp(names[2], "e") == 0 && strcmp(names[3], "null") == 0
          && strcmp(names[4], "p") == 0 && strncmp(names[5], "seq-", 4) == 0,
          "children of /t sorted count=%d", count);
    kn_zk_children_free(names, count);

    /* JSON payloads are stored compact, keys in insertion order. */
    j = json_pack("{s:i, s:[i,i], s:s}", "version", 1, "isr", 1, 2, "host", "h");
    expect_rc(kn_zk_create_json(zk, "/t/j", j, 0), ZOK, "create_json");
    rc = kn_zk_get(zk, "/t/j", &data, &len, NULL, NULL, NULL);
    check(rc == ZOK && strcmp(data, "{\"version\":1,\"isr\":[1,2],\"host\":\"h\"}") == 0,
          "json stored compact: %s", data ? data : "(null)");
    free(data);
    json_object_set_new(j, "version", json_integer(2));
    expect_rc(kn_zk_set_json(zk, "/t/j", j, 0, NULL), ZOK, "set_json at version 0");
    rc = kn_zk_get_json(zk, "/t/j", &got, &st, NULL, NULL);
    check(rc == ZOK && json_equal(got, j) && st.version == 1, "get_json round trip");
    json_decref(got);
    json_decref(j);
    expect_rc(kn_zk_get_json(zk, "/t/p", &got, NULL, NULL, NULL), ZMARSHALLINGERROR,
              "get_json on non-JSON");
    expect_rc(kn_zk_get_json(zk, "/t/missing", &got, NULL, NULL, NULL), ZNONODE,
              "get_json on missing node");

    expect_rc(kn_zk_delete(zk, "/t/a", -1), ZNOTEMPTY, "delete non-empty");
    expect_rc(kn_zk_delete_recursive(zk, "/t/a"), ZOK, "delete_recursive /t/a");
    expect_rc(kn_zk_exists(zk, "/t/a", NULL, NULL, NULL), ZNONODE, "/t/a gone");
    expect_rc(kn_zk_delete_recursive(zk, "/t/a"), ZOK, "delete_recursive missing");
    expect_rc(kn_zk_delete(zk, "/t/p", 1), ZOK, "delete at version 1");
    expect_rc(kn_zk_create(zk, "/t/keep", "kept", 4, 0, NULL, 0), ZOK, "create /t/keep");
}

/* ------------------------------------------------------------- multi */

static void scenario_multi(kn_zk_t *zk)
{
    zoo_op_t ops[3];
    zoo_op_result_t res[3];
    struct Stat st;
    char *data = NULL;
    int len, rc;

    expect_rc(kn_zk_delete_recursive(zk, "/m"), ZOK, "clean /m");
    expect_rc(kn_zk_create_parents(zk, "/m"), ZOK, "create /m");
    expect_rc(kn_zk_create(zk, "/m/x", "0", 1, 0, NULL, 0), ZOK, "create /m/x");

    /* The third op fails: the first two must not happen. */
    zoo_create_op_init(&ops[0], "/m/a", "a", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
    zoo_create_op_init(&ops[1], "/m/b", "b", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
    zoo_set_op_init(&ops[2], "/m/missing", "z", 1, -1, &st);
    rc = kn_zk_multi(zk, 3, ops, res);
    check(rc == ZNONODE && res[2].err == ZNONODE, "multi-abort rc=%s op3=%s", rc_name(rc),
          rc_name(res[2].err));
    expect_rc(kn_zk_exists(zk, "/m/a", NULL, NULL, NULL), ZNONODE, "multi-abort left no /m/a");
    expect_rc(kn_zk_exists(zk, "/m/b", NULL, NULL, NULL), ZNONODE, "multi-abort left no /m/b");

    /* Fenced write, as the controller does with /controller_epoch. */
    zoo_check_op_init(&ops[0], "/m/x", 0);
    zoo_create_op_init(&ops[1], "/m/a", "a", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
    zoo_set_op_init(&ops[2], "/m/x", "1", 1, 0, &st);
    expect_rc(kn_zk_multi(zk, 3, ops, NULL), ZOK, "multi-fenced-write");
    rc = kn_zk_get(zk, "/m/x", &data, &len, &st, NULL, NULL);
    check(rc == ZOK && strcmp(data, "1") == 0 && st.version == 1, "multi applied /m/x=%s",
          data ? data : "(null)");
    free(data);
    expect_rc(kn_zk_exists(zk, "/m/a", NULL, NULL, NULL), ZOK, "multi created /m/a");

    /* A zombie with a stale version is refused as a whole. */
    zoo_check_op_init(&ops[0], "/m/x", 0);
    zoo_create_op_init(&ops[1], "/m/c", "c", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
    expect_rc(kn_zk_multi(zk, 2, ops, NULL), ZBADVERSION, "multi-stale-check");
    expect_rc(kn_zk_exists(zk, "/m/c", NULL, NULL, NULL), ZNONODE, "multi-stale-check left no /m/c");
    expect_rc(kn_zk_delete_recursive(zk, "/m"), ZOK, "delete_recursive /m");
}

/* ------------------------------------------------------------- watch */

static kn_zk_t *mutator;

static void on_watch(kn_zk_t *zk, kn_zk_watch_event_t ev, const char *path, void *ud)
{
    KN_UNUSED(ud);
    check(true, "watch %s %s loop-thread=%d", watch_name(ev), path, on_loop_thread());
    if (!on_loop_thread()) {
        app.failures++;
    }
    app.watches_seen++;
    if (ev == KN_ZK_WATCH_CREATED) {
        /* Re-arm on the node that now exists, then delete it. */
        expect_rc(kn_zk_exists(zk, "/w/new", NULL, on_watch, NULL), ZOK, "re-arm exists watch");
        expect_rc(kn_zk_delete(mutator, "/w/new", -1), ZOK, "mutator delete /w/new");
    }
    if (app.watches_seen == 4) {
        event_base_loopexit(app.base, NULL);
    }
}

static void watch_mutate_cb(evutil_socket_t fd, short what, void *arg)
{
    KN_UNUSED(fd);
    KN_UNUSED(what);
    KN_UNUSED(arg);
    expect_rc(kn_zk_set(mutator, "/w/data", "1", 1, -1, NULL), ZOK, "mutator set /w/data");
    expect_rc(kn_zk_create(mutator, "/w/kids/c1", "", 0, 0, NULL, 0), ZOK, "mutator create child");
    expect_rc(kn_zk_create(mutator, "/w/new", "", 0, 0, NULL, 0), ZOK, "mutator create /w/new");
}

static void scenario_watch(kn_zk_t *zk)
{
    struct event *ev;
    char *data = NULL;
    char **names = NULL;
    int len, count, rc;

    mutator = connect_or_die(NULL);
    if (mutator == NULL) {
        return;
    }
    expect_rc(kn_zk_delete_recursive(zk, "/w"), ZOK, "clean /w");
    expect_rc(kn_zk_create_parents(zk, "/w/kids"), ZOK, "create /w/kids");
    expect_rc(kn_zk_create(zk, "/w/data", "0", 1, 0, NULL, 0), ZOK, "create /w/data");
    expect_rc(kn_zk_create(zk, "/w/idle", "0", 1, 0, NULL, 0), ZOK, "create /w/idle");

    rc = kn_zk_get(zk, "/w/data", &data, &len, NULL, on_watch, NULL);
    expect_rc(rc, ZOK, "get /w/data with watch");
    free(data);
    rc = kn_zk_children(zk, "/w/kids", &names, &count, on_watch, NULL);
    check(rc == ZOK && count == 0, "children /w/kids with watch");
    kn_zk_children_free(names, count);
    expect_rc(kn_zk_exists(zk, "/w/new", NULL, on_watch, NULL), ZNONODE, "exists /w/new with watch");
    /* Armed and never fired: freed when the handle closes. */
    rc = kn_zk_get(zk, "/w/idle", &data, &len, NULL, on_watch, NULL);
    free(data);
    /* Failed calls arm nothing. */
    expect_rc(kn_zk_get(zk, "/w/absent", &data, &len, NULL, on_watch, NULL), ZNONODE,
              "get missing node with watch");

    ev = evtimer_new(app.base, watch_mutate_cb, NULL);
    event_active(ev, EV_TIMEOUT, 0);
    event_base_dispatch(app.base);
    event_free(ev);
    check(app.watches_seen == 4, "four watches fired (%d)", app.watches_seen);
    kn_zk_free(mutator);
    mutator = NULL;
}

/* ---------------------------------------------------- session expiry */

static void take_over_and_close(void)
{
    char passwd[16];
    int plen = 0;
    int64_t sid = kn_zk_session_id(app.zk, passwd, &plen);
    kn_zk_t *thief = kn_zk_new_with_session(app.base, app.connect, SESSION_TIMEOUT_MS, sid,
                                            passwd, plen, NULL, NULL);
    int rc;

    if (thief == NULL) {
        check(false, "kn_zk_new_with_session");
        return;
    }
    kn_zk_set_reconnect(thief, false);
    rc = kn_zk_wait_connected(thief, CONNECT_TIMEOUT_MS);
    check(rc == ZOK && kn_zk_session_id(thief, NULL, NULL) == sid,
          "second handle took over session 0x%" PRIx64 " rc=%s", (uint64_t) sid, rc_name(rc));
    /* Closing it ends the session on the server. */
    kn_zk_free(thief);
    printf("takeover closed\n");
}

static void recheck_ephemeral_cb(evutil_socket_t fd, short what, void *arg);

static void arm_recheck(int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    evtimer_add(app.poll_ev, &tv);
}

/* After renewal: the old session's ephemeral node disappears when the
 * server ends that session (at once for a closed session; after its
 * timeout for one the server kept across a restart), then we re-create it
 * as an owner would. */
static void recheck_ephemeral_cb(evutil_socket_t fd, short what, void *arg)
{
    int rc;

    KN_UNUSED(fd);
    KN_UNUSED(what);
    KN_UNUSED(arg);
    if (app.no_reconnect && app.expired_seen) {
        return;
    }
    if (!app.expired_seen) {
        /* Takeover scenario: no expiry yet means our handle won the
         * session back before the thief closed it; steal it again. */
        printf("takeover retry\n");
        take_over_and_close();
        arm_recheck(3 * SESSION_TIMEOUT_MS);
        return;
    }
    if (!app.renewed_seen) {
        /* Expired; the new session is still on its way. */
        arm_recheck(250);
        return;
    }
    rc = kn_zk_exists(app.zk, "/x/eph", NULL, NULL, NULL);
    if (rc == ZOK) {
        arm_recheck(250);
        return;
    }
    check(rc == ZNONODE, "ephemeral gone rc=%s", rc_name(rc));
    rc = kn_zk_create(app.zk, "/x/eph", "2", 1, KN_ZK_EPHEMERAL, NULL, 0);
    check(rc == ZOK, "ephemeral recreated rc=%s", rc_name(rc));
    app.done = true;
    event_base_loopexit(app.base, NULL);
}

static void on_old_watch(kn_zk_t *zk, kn_zk_watch_event_t ev, const char *path, void *ud)
{
    KN_UNUSED(zk);
    KN_UNUSED(ud);
    printf("old-session watch %s %s\n", watch_name(ev), path);
}

static void on_session(kn_zk_t *zk, kn_zk_session_event_t ev, void *ud)
{
    KN_UNUSED(ud);
    printf("session %s renewed=%d loop-thread=%d\n", session_name(ev),
           ev == KN_ZK_SESSION_CONNECTED ? kn_zk_session_renewed(zk) : 0, on_loop_thread());
    if (!on_loop_thread()) {
        check(false, "session event on the loop thread");
    }
    if (ev == KN_ZK_SESSION_EXPIRED) {
        app.expired_seen = true;
        check(!kn_zk_connected(zk), "expired-not-connected");
        if (app.no_reconnect) {
            /* The owner gives up: freeing from inside the callback is
             * allowed, the wrapper finishes once we return. */
            kn_zk_free(zk);
            app.zk = NULL;
            app.done = true;
            event_base_loopexit(app.base, NULL);
        }
    } else if (ev == KN_ZK_SESSION_CONNECTED && app.expired_seen && kn_zk_session_renewed(zk)
               && !app.renewed_seen) {
        int64_t sid = kn_zk_session_id(zk, NULL, NULL);
        app.renewed_seen = true;
        check(sid != 0 && sid != app.first_session, "new-session 0x%" PRIx64 " differs from 0x%"
              PRIx64, (uint64_t) sid, (uint64_t) app.first_session);
        arm_recheck(0);
    }
}

static void scenario_expire(kn_zk_t *zk, bool takeover)
{
    struct Stat st;

    app.first_session = kn_zk_session_id(zk, NULL, NULL);
    printf("session1 0x%" PRIx64 "\n", (uint64_t) app.first_session);
    expect_rc(kn_zk_create_parents(zk, "/x"), ZOK, "create /x");
    /* A leftover from an earlier run would belong to a dead session. */
    kn_zk_delete(zk, "/x/eph", -1);
    expect_rc(kn_zk_create(zk, "/x/eph", "1", 1, KN_ZK_EPHEMERAL, NULL, 0), ZOK, "create ephemeral");
    /* A watch that may be lost with the session: its context must be
     * freed with the old handle (LeakSanitizer checks). */
    expect_rc(kn_zk_exists(zk, "/x/eph", &st, on_old_watch, NULL), ZOK, "ephemeral exists");
    app.poll_ev = evtimer_new(app.base, recheck_ephemeral_cb, NULL);
    if (takeover) {
        take_over_and_close();
        arm_recheck(3 * SESSION_TIMEOUT_MS);
    } else {
        printf("ready\n");
    }
    event_base_dispatch(app.base);
    check(app.expired_seen, "expiry reported");
    if (app.no_reconnect) {
        check(!app.renewed_seen, "no new session without reconnect");
    } else {
        check(app.renewed_seen, "renewed session reported");
    }
    check(app.done, "scenario finished");
    event_free(app.poll_ev);
}

/* ---------------------------------------------------------------- main */

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    KN_UNUSED(fd);
    KN_UNUSED(what);
    KN_UNUSED(arg);
    check(false, "scenario deadline of %d s passed", SCENARIO_DEADLINE_S);
    event_base_loopexit(app.base, NULL);
}

int main(int argc, char **argv)
{
    struct timeval dl = { SCENARIO_DEADLINE_S, 0 };
    struct event *deadline;
    const char *scenario;
    kn_zk_session_cb cb = NULL;

    if (argc < 3) {
        fprintf(stderr, "usage: zk_client CONNECT basic|multi|watch|expire-takeover|"
                "expire-noreconnect|expire-outage|exists PATH|get PATH\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    kn_log_init("zk_client", KN_LOG_INFO);
    app.connect = argv[1];
    scenario = argv[2];
    /* Threads first, then the base: the wrapper wakes the loop from
     * ZooKeeper's thread. */
    evthread_use_pthreads();
    app.base = event_base_new();
    app.loop_thread = pthread_self();
    deadline = evtimer_new(app.base, deadline_cb, NULL);
    evtimer_add(deadline, &dl);

    if (strncmp(scenario, "expire", 6) == 0) {
        cb = on_session;
    }
    app.zk = connect_or_die(cb);
    if (app.zk != NULL) {
        if (strcmp(scenario, "basic") == 0) {
            scenario_basic(app.zk);
        } else if (strcmp(scenario, "multi") == 0) {
            scenario_multi(app.zk);
        } else if (strcmp(scenario, "watch") == 0) {
            scenario_watch(app.zk);
        } else if (strcmp(scenario, "expire-takeover") == 0) {
            scenario_expire(app.zk, true);
        } else if (strcmp(scenario, "expire-noreconnect") == 0) {
            app.no_reconnect = true;
            kn_zk_set_reconnect(app.zk, false);
            scenario_expire(app.zk, true);
        } else if (strcmp(scenario, "expire-outage") == 0) {
            scenario_expire(app.zk, false);
        } else if ((strcmp(scenario, "exists") == 0 || strcmp(scenario, "get") == 0) && argc > 3) {
            char *data = NULL;
            int len = 0;
            int rc = scenario[0] == 'e' ? kn_zk_exists(app.zk, argv[3], NULL, NULL, NULL)
                                        : kn_zk_get(app.zk, argv[3], &data, &len, NULL, NULL, NULL);
            printf("%s %s rc=%s data=%s\n", scenario, argv[3], rc_name(rc),
                   data != NULL ? data : "");
            free(data);
        } else {
            check(false, "unknown scenario %s", scenario);
        }
        kn_zk_free(app.zk);
    }
    event_free(deadline);
    event_base_free(app.base);
    libevent_global_shutdown();
    printf("%s: %d failures\n", scenario, app.failures);
    return app.failures > 100 ? 100 : app.failures;
}
