"""tests/harness/kanal_harness.py -- shared machinery of the integration suite.

Integration tests run real processes: a real ZooKeeper, kanal-broker and
kanal-controller binaries from the build tree, client programs. This module
(standard library only; run with /usr/bin/python3) gives them:

  * ports:     free_port() -- a free TCP port on 127.0.0.1, kept for this
               script (see free_port)
  * metadata:  kafka_metadata(port) -- one broker's own Metadata answer;
               topic_led(md, topic, n) -- does it show the topic led
  * locations: srcdir(), builddir(), binary(name) from KANAL_SRCDIR and
               KANAL_BUILDDIR; workdir() -- a scratch directory per script
  * ZooKeeper: ZooKeeper(...).start() / .stop() / .restart() / .connect(chroot)
  * processes: start_process(argv, name) -> Process with .stop() (SIGTERM,
               then SIGKILL after a grace period), .kill9(), .wait_port(),
               .expect(regex) on its output, .wait()
  * config:    write_properties(path, dict)
  * tests:     @test decorator, check()/check_eq(), run_tests()

Everything started is stopped by PID: processes started inside a test case
when the case ends, the others at exit (atexit, SIGTERM/SIGINT handlers),
whether the test passed or not. Servers listen on 127.0.0.1 only.

A test script looks like:

    import kanal_harness as kh

    zk = kh.ZooKeeper()

    @kh.test
    def creates_node():
        out = kh.run_program([kh.binary("tests/integration/zk_client"),
                              zk.connect("/t"), "basic"])
        kh.check("basic: 0 failures" in out, "no failures")

    if __name__ == "__main__":
        kh.run_tests(setup=zk.start)

The script ends with the line "N passed, N failed" and exits 1 if any case
failed; tests/run-integration.sh adds those lines up.
"""

import atexit
import os
import queue
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

# --------------------------------------------------------------- locations


def srcdir():
    """The source tree (KANAL_SRCDIR, else two levels above this file)."""
    d = os.environ.get("KANAL_SRCDIR")
    if d:
        return os.path.abspath(d)
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def builddir():
    """The build tree holding the binaries (KANAL_BUILDDIR, else srcdir)."""
    d = os.environ.get("KANAL_BUILDDIR")
    return os.path.abspath(d) if d else srcdir()


def binary(relpath):
    """Absolute path of a built program, e.g. binary("kanal-broker") or
    binary("tests/integration/zk_client"). Fails the case if it is missing."""
    path = os.path.join(builddir(), relpath)
    if not os.access(path, os.X_OK):
        raise TestFailure("binary %s not built (KANAL_BUILDDIR=%s)" % (relpath, builddir()))
    return path


_workdir = None


def workdir():
    """A scratch directory for this script, removed at exit if every case
    passed (kept, and named, otherwise so the logs can be read)."""
    global _workdir
    if _workdir is None:
        _workdir = tempfile.mkdtemp(prefix="kanal-it-")
    return _workdir


_held_ports = {}   # port -> the socket reserving it for this script


def _ephemeral_low():
    """Lowest port the kernel hands out for bind(0) and outgoing
    connections (ip_local_port_range)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _reserve(port):
    """Reserve port among every script using this harness on the machine
    (suites run in parallel): an abstract unix socket named after it, held
    until this process exits (the kernel frees it then, even on SIGKILL).
    False if another script holds it."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind("\0kanal-it-port-%d" % port)
    except OSError:
        s.close()
        return False
    _held_ports[port] = s
    return True


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now, and that
    no other caller gets: not from the kernel's ephemeral range (bind(0)
    picks from it, and so does every outgoing connection, so a port found
    free there may be some client's local port by the time our server
    binds it), never the same twice in one script, and reserved against
    other scripts using this harness (see _reserve). Servers started on it
    still bind for real; ZooKeeper moves if someone else did take it."""
    low = _ephemeral_low()
    lo, hi = max(1024, low - 12000), low
    if hi - lo >= 1000:
        for _ in range(2000):
            port = random.randrange(lo, hi)
            if port in _held_ports or not _reserve(port):
                continue
            if _port_taken(port):
                continue   # someone else's server: keep it reserved, skip it
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_taken(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


def wait_port(port, timeout=60.0, host="127.0.0.1", proc=None):
    """Wait until host:port accepts a TCP connection. If proc is given and
    it exits first, fail at once instead of waiting for the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError:
            pass
        if proc is not None and not proc.running():
            raise TestFailure("%s exited (status %s) before listening on %d; log %s"
                              % (proc.name, proc.returncode(), port, proc.log_path))
        if time.monotonic() > deadline:
            raise TestFailure("nothing accepted connections on %s:%d within %.0f s"
                              % (host, port, timeout))
        time.sleep(0.1)


def write_properties(path, props):
    """Write a Java-properties file from a dict (values str()-ed, in order)."""
    with open(path, "w") as f:
        for k, v in props.items():
            if isinstance(v, bool):
                v = "true" if v else "false"
            f.write("%s=%s\n" % (k, v))
    return path


class _Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        vals = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return vals if len(vals) > 1 else vals[0]

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        v = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return v

    def array(self, item):
        n = self.take(">i")
        return [item() for _ in range(max(n, 0))]


def kafka_metadata(port, host="127.0.0.1", timeout=10.0):
    """What one broker itself answers to Metadata (v1, every topic: a null
    topic list, so nothing gets auto-created), asked directly on host:port.
    A client library asks whichever broker it likes, so after a change
    that each broker learns separately (the controller's UpdateMetadata)
    only this shows whether *every* broker knows it. Returns
        {"brokers": {id: "host:port"}, "controller": id,
         "topics": {name: {"error": code,
                           "partitions": {id: {"error", "leader",
                                               "replicas", "isr"}}}}}
    or None if the broker does not answer."""
    client = b"kanal-it"
    frame = struct.pack(">hhih", 3, 1, 1, len(client)) + client + struct.pack(">i", -1)
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(struct.pack(">i", len(frame)) + frame)
            buf = b""
            while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
                chunk = s.recv(65536)
                if not chunk:
                    return None
                buf += chunk
    except OSError:
        return None
    r = _Reader(buf[4:])
    try:
        if r.take(">i") != 1:
            return None
        brokers = {}
        for _ in range(r.take(">i")):
            node = r.take(">i")
            bhost = r.string()
            bport = r.take(">i")
            r.string()   # rack
            brokers[node] = "%s:%d" % (bhost, bport)
        controller = r.take(">i")

        def partition():
            err, pid, leader = r.take(">hii")
            replicas = r.array(lambda: r.take(">i"))
            isr = r.array(lambda: r.take(">i"))
            return pid, {"error": err, "leader": leader, "replicas": replicas, "isr": isr}

        topics = {}
        for _ in range(r.take(">i")):
            err = r.take(">h")
            name = r.string()
            r.take(">?")   # is_internal
            topics[name] = {"error": err, "partitions": dict(r.array(partition))}
    except (struct.error, UnicodeDecodeError):
        return None
    return {"brokers": brokers, "controller": controller, "topics": topics}


def topic_led(md, topic, n=None):
    """Whether a kafka_metadata() answer shows topic with every partition
    led: n partitions exactly, any number above zero (n=None), or the topic
    absent (n=0)."""
    t = md["topics"].get(topic)
    if n == 0:
        return t is None
    return (t is not None and t["error"] == 0 and len(t["partitions"]) > 0 and
            (n is None or len(t["partitions"]) == n) and
            all(p["leader"] >= 0 for p in t["partitions"].values()))


# --------------------------------------------------------------- processes

_lock = threading.RLock()
_global_procs = []      # started outside a test case: stopped at exit
_case_procs = None      # list while a case runs: stopped when it ends


class Process:
    """A child process we own. Output goes to a log file; with capture=True
    stdout is also kept in memory, line by line, for expect()."""

    def __init__(self, argv, name=None, log_path=None, env=None, cwd=None, capture=False):
        self.argv = [str(a) for a in argv]
        self.name = name or os.path.basename(self.argv[0])
        self.log_path = log_path or os.path.join(
            workdir(), "%s-%d.log" % (self.name, int(time.time() * 1000) % 10000000))
        self._lines = []
        self._cond = threading.Condition()
        self._reader = None
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self._log = open(self.log_path, "ab")
        try:
            self.popen = subprocess.Popen(
                self.argv, stdout=subprocess.PIPE if capture else self._log,
                stderr=subprocess.STDOUT, env=full_env, cwd=cwd, stdin=subprocess.DEVNULL)
        except OSError as e:
            self._log.close()
            raise TestFailure("cannot start %s: %s" % (self.argv[0], e))
        if capture:
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()
        self.pid = self.popen.pid

    def _read(self):
        for raw in self.popen.stdout:
            self._log.write(raw)
            self._log.flush()
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self._cond:
                self._lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def running(self):
        return self.popen.poll() is None

    def returncode(self):
        return self.popen.poll()

    def output(self):
        """Captured output so far (capture=True) or the log file's text."""
        if self._reader is not None:
            with self._cond:
                return "\n".join(self._lines)
        self._log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def expect(self, pattern, timeout=60.0):
        """Wait for an output line matching the regex (capture=True); return
        the match. Lines already seen count, so call order is free."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self._lines:
                    m = rx.search(line)
                    if m:
                        return m
                exited = self._reader is None or not self._reader.is_alive()
                left = deadline - time.monotonic()
                if exited or left <= 0:
                    tail = "\n    ".join(self._lines[-15:])
                    raise TestFailure("%s: no line matching /%s/ (%s); last output:\n    %s"
                                      % (self.name, pattern,
                                         "process ended" if exited else "timed out", tail))
                self._cond.wait(min(left, 0.5))

    def wait(self, timeout=120.0):
        """Wait for the process to exit on its own; return its status.
        Kills it (and fails) if it does not."""
        try:
            rc = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise TestFailure("%s did not exit within %.0f s" % (self.name, timeout))
        if self._reader is not None:
            self._reader.join(timeout=10)
        return rc

    def wait_port(self, port, timeout=60.0):
        wait_port(port, timeout=timeout, proc=self)

    def stop(self, grace=15.0):
        """SIGTERM, then SIGKILL if still alive after `grace` seconds.
        Returns the exit status."""
        if self.running():
            try:
                self.popen.send_signal(signal.SIGTERM)
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
            except ProcessLookupError:
                pass
        self._close()
        return self.popen.returncode

    def kill9(self):
        """SIGKILL at once (a crash, as far as the process can tell)."""
        if self.running():
            try:
                self.popen.kill()
            except ProcessLookupError:
                pass
            self.popen.wait()
        self._close()
        return self.popen.returncode

    def _close(self):
        if self._reader is not None:
            self._reader.join(timeout=10)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        if not self._log.closed:
            self._log.close()
        with _lock:
            for lst in (_global_procs, _case_procs or []):
                if self in lst:
                    lst.remove(self)


def in_case():
    """True while a test case runs."""
    return _case_procs is not None


def start_process(argv, name=None, log_path=None, env=None, cwd=None, capture=False,
                  scope=None):
    """Start a program we will stop by PID: at the end of the current test
    case if one is running (scope "case"), else at exit (scope "global")."""
    p = Process(argv, name=name, log_path=log_path, env=env, cwd=cwd, capture=capture)
    if scope is None:
        scope = "case" if in_case() else "global"
    with _lock:
        (_case_procs if scope == "case" and _case_procs is not None else _global_procs).append(p)
    return p


def run_program(argv, timeout=300.0, expect_status=0, env=None, name=None):
    """Run a program to completion; return its output (stdout+stderr).
    Fails if it exits with another status than expect_status (None: any)."""
    p = start_process(argv, name=name, env=env, capture=True)
    rc = p.wait(timeout=timeout)
    out = p.output()
    p.stop()
    if expect_status is not None and rc != expect_status:
        raise TestFailure("%s exited with %s (wanted %s); output:\n%s"
                          % (p.name, rc, expect_status, _indent(out)))
    return out


def _stop_all(procs):
    for p in reversed(list(procs)):
        try:
            p.stop(grace=10.0)
        except Exception:  # keep stopping the others
            pass


# --------------------------------------------------------------- ZooKeeper

ZK_CLASSPATH = ["/usr/share/java/zookeeper.jar", "/usr/share/java/zookeeper-jute.jar",
                "/usr/share/java/slf4j-api.jar", "/usr/share/java/slf4j-simple.jar"]


def zookeeper_available():
    return shutil.which("java") is not None and os.path.exists(ZK_CLASSPATH[0])


class ZooKeeper:
    """A standalone ZooKeeper server on a free loopback port. Its data
    directory survives restart() (same port, same data), so sessions and
    persistent znodes do too, as in a real outage."""

    def __init__(self, tick_ms=500, min_session_ms=1000, max_session_ms=60000, name="zookeeper"):
        self.name = name
        self.port = free_port()
        self.dir = os.path.join(workdir(), "%s-%d" % (name, self.port))
        self.data_dir = os.path.join(self.dir, "data")
        self.cfg = os.path.join(self.dir, "zoo.cfg")
        self.tick_ms = tick_ms
        self.min_session_ms = min_session_ms
        self.max_session_ms = max_session_ms
        self.proc = None
        self.starts = 0
        # A server first started outside a case serves the whole script,
        # even when a case restarts it.
        self.scope = None

    def start(self, timeout=60.0):
        if not zookeeper_available():
            raise SkipTest("java or %s not installed" % ZK_CLASSPATH[0])
        os.makedirs(self.data_dir, exist_ok=True)
        write_properties(self.cfg, {
            "tickTime": self.tick_ms,
            "dataDir": self.data_dir,
            "clientPort": self.port,
            "clientPortAddress": "127.0.0.1",
            "maxClientCnxns": 0,
            "4lw.commands.whitelist": "*",
            "admin.enableServer": False,
            "minSessionTimeout": self.min_session_ms,
            "maxSessionTimeout": self.max_session_ms,
        })
        self.starts += 1
        if self.scope is None:
            self.scope = "case" if in_case() else "global"
        cp = ":".join(p for p in ZK_CLASSPATH if os.path.exists(p))
        self.proc = start_process(
            ["java", "-Xmx256m", "-Dzookeeper.jmx.log4j.disable=true", "-cp", cp,
             "org.apache.zookeeper.server.ZooKeeperServerMain", self.cfg],
            name=self.name, log_path=os.path.join(self.dir, "zookeeper-%d.log" % self.starts),
            scope=self.scope)
        deadline = time.monotonic() + timeout
        while self.four_letter("ruok") != "imok":
            if not self.proc.running() and self.starts == 1 and _port_taken(self.port):
                # Someone took the port between free_port() and now (other
                # suites run in parallel): nobody knows this one yet, move.
                self.proc.stop()
                self.port = free_port()
                return self.start(timeout)
            if not self.proc.running():
                raise TestFailure("ZooKeeper exited (status %s); log %s:\n%s"
                                  % (self.proc.returncode(), self.proc.log_path,
                                     _indent(self.proc.output()[-3000:])))
            if time.monotonic() > deadline:
                raise TestFailure("ZooKeeper did not answer ruok within %.0f s" % timeout)
            time.sleep(0.2)
        return self

    def stop(self):
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    def kill9(self):
        if self.proc is not None:
            self.proc.kill9()
            self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def running(self):
        return self.proc is not None and self.proc.running()

    def connect(self, chroot=""):
        """A zookeeper.connect string, with an optional chroot ("/kanal")."""
        return "127.0.0.1:%d%s" % (self.port, chroot)

    def four_letter(self, cmd, timeout=2.0):
        """Send a four-letter command (ruok, stat, mntr, ...); return the
        reply, or None if the server does not answer."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
                s.sendall(cmd.encode())
                chunks = []
                while True:
                    b = s.recv(4096)
                    if not b:
                        break
                    chunks.append(b)
                return b"".join(chunks).decode("utf-8", "replace")
        except OSError:
            return None


# -------------------------------------------------------------- test cases


class TestFailure(Exception):
    """A check failed; the message says what and why."""


class SkipTest(Exception):
    """The case cannot run here (a missing tool); reported, not counted."""


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def check_eq(got, want, what):
    if got != want:
        raise TestFailure("%s: got %r, wanted %r" % (what, got, want))


def check_in(needle, haystack, what):
    if needle not in haystack:
        raise TestFailure("%s: %r not found in:\n%s" % (what, needle, _indent(haystack)))


def _indent(text):
    return "\n".join("    " + line for line in str(text).splitlines())


_tests = []


def test(fn):
    """Decorator: register a test case (run in definition order)."""
    _tests.append(fn)
    return fn


_exiting = False


def _cleanup():
    global _case_procs
    with _lock:
        procs = list(_case_procs or []) + list(_global_procs)
    _stop_all(procs)


def _on_signal(signum, frame):
    global _exiting
    if _exiting:
        return
    _exiting = True
    sys.stderr.write("kanal_harness: signal %d, stopping every process started\n" % signum)
    _cleanup()
    os._exit(128 + signum)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def run_tests(setup=None, teardown=None, only=None):
    """Run every registered case (or those named in `only`, or on the
    command line), print "ok - name" / "not ok - name: reason" for each and
    "N passed, N failed" at the end; exit 1 if any failed. `setup` runs
    first (its failure fails every case); `teardown` always runs."""
    global _case_procs
    names = only or sys.argv[1:]
    cases = [t for t in _tests if not names or t.__name__ in names]
    passed = failed = skipped = 0
    setup_error = None
    try:
        if setup is not None:
            try:
                setup()
            except SkipTest as e:
                setup_error = e
            except Exception as e:
                setup_error = e
                traceback.print_exc()
        for case in cases:
            name = case.__name__
            if setup_error is not None:
                if isinstance(setup_error, SkipTest):
                    print("ok - %s # SKIP %s" % (name, setup_error), flush=True)
                    skipped += 1
                else:
                    print("not ok - %s: setup failed: %s" % (name, setup_error), flush=True)
                    failed += 1
                continue
            with _lock:
                _case_procs = []
            try:
                case()
                print("ok - %s" % name, flush=True)
                passed += 1
            except SkipTest as e:
                print("ok - %s # SKIP %s" % (name, e), flush=True)
                skipped += 1
            except Exception as e:
                reason = str(e) if isinstance(e, TestFailure) else "%s: %s" % (
                    type(e).__name__, e)
                if not isinstance(e, TestFailure):
                    traceback.print_exc()
                print("not ok - %s: %s" % (name, reason), flush=True)
                failed += 1
            finally:
                with _lock:
                    procs, _case_procs = list(_case_procs), None
                _stop_all(procs)
    finally:
        if teardown is not None:
            try:
                teardown()
            except Exception:
                traceback.print_exc()
        _cleanup()
    if _workdir is not None:
        if failed == 0 and not os.environ.get("KANAL_KEEP_TMP"):
            shutil.rmtree(_workdir, ignore_errors=True)
        else:
            print("logs kept in %s" % _workdir, flush=True)
    if skipped:
        print("%d skipped" % skipped, flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)
