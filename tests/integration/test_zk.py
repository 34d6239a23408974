"""tests/integration/test_zk.py -- the ZooKeeper wrapper (common/zk/) against
a real ZooKeeper server, through the zk_client program.

Each case runs one zk_client scenario (see tests/integration/zk_client.c)
under its own chroot and checks its report lines and exit status; the
outage case stops and restarts the server while the client runs.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("KANAL_SRCDIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "tests", "harness"))

import kanal_harness as kh  # noqa: E402

zk = kh.ZooKeeper()


def client():
    return kh.binary("tests/integration/zk_client")


def zk_client(connect, *args, expect_status=0):
    out = kh.run_program([client(), connect] + list(args), expect_status=expect_status,
                         name="zk_client")
    kh.check("FAIL - " not in out, "zk_client reported a failure:\n" + out)
    return out


@kh.test
def basic_operations_with_versions():
    out = zk_client(zk.connect("/kanal-it/basic"), "basic")
    kh.check_in("ok - set-stale-version rc=ZBADVERSION", out, "stale set refused")
    kh.check_in("ok - delete-stale-version rc=ZBADVERSION", out, "stale delete refused")
    kh.check_in("basic: 0 failures", out, "scenario summary")
    # Seen without the chroot, the data sits under it.
    out = zk_client(zk.connect(), "get", "/kanal-it/basic/t/keep")
    kh.check_in("rc=ZOK data=kept", out, "persistent node under the chroot")
    # The ephemeral node went with the client's session.
    out = zk_client(zk.connect(), "exists", "/kanal-it/basic/t/e")
    kh.check_in("rc=ZNONODE", out, "ephemeral node removed with its session")


@kh.test
def missing_chroot_is_created():
    out = zk_client(zk.connect(), "exists", "/fresh/deep/chroot")
    kh.check_in("rc=ZNONODE", out, "chroot absent before")
    out = zk_client(zk.connect("/fresh/deep/chroot"), "exists", "/")
    kh.check_in("exists / rc=ZOK", out, "chroot root visible")
    out = zk_client(zk.connect(), "exists", "/fresh/deep/chroot")
    kh.check_in("rc=ZOK", out, "chroot created with its parents")


@kh.test
def multi_is_atomic():
    out = zk_client(zk.connect("/kanal-it/multi"), "multi")
    kh.check_in("ok - multi-abort rc=ZNONODE", out, "failing op aborts the multi")
    kh.check_in("ok - multi-abort left no /m/a", out, "first op rolled back")
    kh.check_in("ok - multi-stale-check rc=ZBADVERSION", out, "version check fences")
    kh.check_in("multi: 0 failures", out, "scenario summary")


@kh.test
def watches_fire_on_loop_thread():
    out = zk_client(zk.connect("/kanal-it/watch"), "watch")
    for line in ("watch CHANGED /w/data loop-thread=1", "watch CHILD /w/kids loop-thread=1",
                 "watch CREATED /w/new loop-thread=1", "watch DELETED /w/new loop-thread=1"):
        kh.check_in(line, out, "watch delivered on the event loop thread")
    kh.check_in("watch: 0 failures", out, "scenario summary")


@kh.test
def expiry_by_session_takeover():
    out = zk_client(zk.connect("/kanal-it/takeover"), "expire-takeover")
    kh.check_in("session EXPIRED renewed=0 loop-thread=1", out, "expiry reported on the loop")
    kh.check_in("session CONNECTED renewed=1 loop-thread=1", out, "new session reported")
    kh.check_in("ok - ephemeral gone rc=ZNONODE", out, "ephemeral lost with the session")
    kh.check_in("ok - ephemeral recreated rc=ZOK", out, "ephemeral re-created")
    kh.check_in("expire-takeover: 0 failures", out, "scenario summary")


@kh.test
def expiry_without_reconnect():
    out = zk_client(zk.connect("/kanal-it/noreconnect"), "expire-noreconnect")
    kh.check_in("session EXPIRED renewed=0 loop-thread=1", out, "expiry reported")
    kh.check_in("ok - no new session without reconnect", out, "no new session")
    kh.check_in("expire-noreconnect: 0 failures", out, "scenario summary")
    # The wrapper, freed inside its callback, closed the expired session;
    # nothing of it is left.
    out = zk_client(zk.connect(), "exists", "/kanal-it/noreconnect/x/eph")
    kh.check_in("rc=ZNONODE", out, "ephemeral gone")


@kh.test
def expiry_by_zookeeper_outage():
    p = kh.start_process([client(), zk.connect("/kanal-it/outage"), "expire-outage"],
                         name="zk_client-outage", capture=True)
    p.expect(r"^ready$")
    zk.stop()
    try:
        p.expect(r"^session DISCONNECTED")
        # The client gives the session up after the session timeout without
        # contact; only then does the server come back.
        p.expect(r"^session EXPIRED renewed=0 loop-thread=1$", timeout=120)
    finally:
        zk.start()
    p.expect(r"^session CONNECTED renewed=1 loop-thread=1$", timeout=120)
    p.expect(r"^ok - ephemeral recreated rc=ZOK$", timeout=120)
    rc = p.wait()
    out = p.output()
    kh.check("FAIL - " not in out, "zk_client reported a failure:\n" + out)
    kh.check_eq(rc, 0, "zk_client exit status")


if __name__ == "__main__":
    kh.run_tests(setup=zk.start)
