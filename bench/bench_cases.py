"""bench/bench_cases.py -- the cases of bench/run, their goals and report.

Each case starts what it needs (a cluster, a peer server), runs one client
program, stops everything it started by PID, and stores its figures in
report["cases"][name]: the figures, the exact command lines, and on
failure "error". evaluate() turns the figures into the goal ratios of
docs/benchmarks.md; table() prints them.

Record counts: sized so each measurement lasts several seconds on a small
machine (2 cores); --quick divides them by 20 to check the bench itself.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import kanal_cluster as kc
import kanal_harness as kh

CASES = [
    ("limits", "loopback TCP MB/s (iperf3) and sequential write MB/s (dd conv=fdatasync)"),
    ("startup", "idle broker RSS; exec to first acknowledged produce"),
    ("produce", "1 broker RF=1 acks=1: 100 B and 1 KiB records; consume 1 GiB; 1000 vs 8 "
                "partitions; e2e latency; SSL vs PLAINTEXT"),
    ("redis", "Redis 7 Streams XADD, AOF everysec, redis-benchmark -P 256 -c 4"),
    ("nats", "NATS JetStream, file store, async publish with bounded in-flight"),
    ("replicated", "3 brokers RF=3 acks=all, 100 B records"),
]

# Producer settings a Kafka user commonly tunes for throughput; everything
# else stays at librdkafka's defaults.
TUNED = ["linger.ms=10", "batch.size=1048576", "compression.type=none"]

N_100B = 10_000_000
N_1K = 1_048_576          # 1 GiB of 1 KiB records: also the consume case's data
N_REDIS = 2_000_000
N_NATS = 500_000
NATS_MAX_PENDING = 4096
PARTS = 8


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def mem_total_mb():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return None


def json_lines(text):
    """The JSON objects a tool printed (lines starting with '{')."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


class CaseError(Exception):
    """A case could not produce its figure; the message says why."""


class Bench:
    def __init__(self, build, out, srcdir, quick=False, profile=False, repeat=3):
        self.build = build
        self.out = out
        self.srcdir = srcdir
        self.scale = 20 if quick else 1
        self.profile = profile
        self.repeat = max(1, repeat)
        self.report = {"cases": {}, "machine": {}, "goals": []}
        self.nats_bench = None

    # ------------------------------------------------------------ helpers

    def n(self, count):
        return max(1000, count // self.scale)

    def tool(self, name):
        return os.path.join(self.build, name)

    def log_path(self, name):
        return os.path.join(self.out, "logs", name + ".log")

    def run(self, case, name, argv, timeout=600, env=None):
        """Run a client program to its end; return its output. Records the
        command under the case; raises CaseError on a non-zero exit."""
        argv = [str(a) for a in argv]
        self.report["cases"].setdefault(case, {}).setdefault("commands", []).append(
            " ".join(argv))
        p = kh.start_process(argv, name=name, log_path=self.log_path(name), env=env,
                             capture=True)
        try:
            rc = p.wait(timeout=timeout)
        except kh.TestFailure as e:
            raise CaseError(str(e))
        text = p.output()
        p.stop()
        if rc != 0:
            tail = "\n".join(text.splitlines()[-8:])
            raise CaseError("%s exited with %s: %s" % (os.path.basename(argv[0]), rc, tail))
        return text

    @staticmethod
    def settle():
        """Write back what earlier runs left dirty in the page cache before
        a measurement starts. Without it each run paid for the gigabytes
        the runs before it wrote (the kernel throttles writers once dirty
        pages pass vm.dirty_background_ratio), so a figure depended on its
        place in the matrix rather than on the code measured."""
        os.sync()

    def result(self, case, key, value):
        self.report["cases"].setdefault(case, {})[key] = value

    def run_all(self, only):
        for name, _ in CASES:
            if only and name not in only:
                continue
            print("=== %s" % name, flush=True)
            t = time.monotonic()
            try:
                getattr(self, "case_" + name)()
            except (CaseError, kh.TestFailure, kh.SkipTest, OSError) as e:
                self.result(name, "error", str(e))
                print("    not run: %s" % e, flush=True)
            except Exception as e:  # a bench bug: report it, go on
                self.result(name, "error", "%s: %s" % (type(e).__name__, e))
                print("    failed: %s: %s" % (type(e).__name__, e), flush=True)
            finally:
                kh._cleanup()   # anything a failed case left running, by PID
            self.result(name, "elapsed_s", round(time.monotonic() - t, 1))

    # ----------------------------------------------------- machine limits

    def case_limits(self):
        m = self.report["machine"]
        if shutil.which("iperf3") is None:
            m["loopback_error"] = "iperf3 not installed"
        else:
            port = kh.free_port()
            # Not "-1" (one-off): wait_port's probe would use up the session.
            srv = kh.start_process(["iperf3", "-s", "-B", "127.0.0.1", "-p", port],
                                   name="iperf3-server", log_path=self.log_path("iperf3-server"))
            kh.wait_port(port, timeout=10, proc=srv)
            text = self.run("limits", "iperf3", ["iperf3", "-c", "127.0.0.1", "-p", port,
                                                 "-t", 5 if self.scale == 1 else 1, "-J"])
            srv.stop()
            j = json.loads(text[text.index("{"):])
            if "error" in j:
                raise CaseError("iperf3: %s" % j["error"])
            bps = j["end"]["sum_received"]["bits_per_second"]
            m["loopback_mb_per_sec"] = round(bps / 8 / 1048576, 1)
        # dd on the file system that holds the clusters' log.dirs.
        target = os.path.join(kh.workdir(), "dd.test")
        count = 1024 // (4 if self.scale > 1 else 1)
        text = self.run("limits", "dd", ["dd", "if=/dev/zero", "of=" + target, "bs=1M",
                                         "count=%d" % count, "conv=fdatasync"])
        os.unlink(target)
        mt = re.search(r"copied, ([0-9.,]+) s", text)
        if not mt:
            raise CaseError("cannot read dd's output: %s" % text)
        secs = float(mt.group(1).replace(",", "."))
        m["disk_write_mb_per_sec"] = round(count / secs, 1)
        m["disk_fs"] = subprocess.run(["df", "-T", kh.workdir()], capture_output=True,
                                      text=True).stdout.splitlines()[-1].split()[1]
        print("    loopback %s MB/s, disk write %s MB/s (%s)"
              % (m.get("loopback_mb_per_sec"), m["disk_write_mb_per_sec"], m["disk_fs"]),
              flush=True)

    # ------------------------------------------------------------ startup

    def case_startup(self):
        """Idle RSS of a fresh broker, then exec -> first acknowledged
        produce: ZooKeeper and the controller up, a topic with one
        partition on the broker, the broker stopped and started again."""
        from confluent_kafka import Producer
        cl = kc.Cluster(brokers=1)
        try:
            cl.start()
            cl.create_topic("startup", 1)
            time.sleep(3)
            idle = rss_mb(cl.brokers[1].pid)
            cl.stop_broker(1)
            port = cl.broker_ports[1]
            t0 = time.monotonic()
            cl.start_broker(1, wait=False)
            # Poll the port every 2 ms, then produce with a client that
            # retries fast; the first acknowledgement stops the clock.
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if not cl.brokers[1].running():
                        raise CaseError("broker exited on restart; log %s"
                                        % cl.brokers[1].log_path)
                    if time.monotonic() - t0 > 30:
                        raise CaseError("broker did not listen within 30 s")
                    time.sleep(0.002)
            t_listen = time.monotonic()
            acked = []
            p = Producer({"bootstrap.servers": cl.bootstrap(), "acks": "1", "linger.ms": 0,
                          "retry.backoff.ms": 5, "reconnect.backoff.ms": 5,
                          "reconnect.backoff.max.ms": 20,
                          "topic.metadata.refresh.fast.interval.ms": 5,
                          "message.timeout.ms": 30000})
            p.produce("startup", b"x" * 100,
                      on_delivery=lambda err, msg: acked.append((err, time.monotonic())))
            while not acked and time.monotonic() - t0 < 35:
                p.poll(0.001)
            p.flush(5)
            if not acked or acked[0][0] is not None:
                raise CaseError("first produce failed: %s" % (acked[0][0] if acked else
                                                               "no delivery report"))
            first = (acked[0][1] - t0) * 1000
            time.sleep(3)
            after = rss_mb(cl.brokers[1].pid)
            self.result("startup", "idle_rss_mb", round(idle, 1))
            self.result("startup", "idle_rss_after_restart_mb", round(after, 1))
            self.result("startup", "exec_to_listen_ms", round((t_listen - t0) * 1000, 1))
            self.result("startup", "exec_to_first_produce_ms", round(first, 1))
            print("    idle RSS %.1f MB; exec -> listening %.0f ms, -> first produce %.0f ms"
                  % (idle, (t_listen - t0) * 1000, first), flush=True)
        finally:
            cl.stop()
            cl.zk.stop()

    # --------------------------------------------- the 1-broker matrix

    def repeated(self, case, name, argv, tool, broker):
        """Run a throughput measurement self.repeat times; return the run
        with the median records/s, with every run's figure under "runs".
        A loaded 2-vCPU machine moves a single figure by up to 2x; the
        median of a few is what the goals are judged on."""
        results = []
        for i in range(self.repeat):
            label = name if self.repeat == 1 else "%s-%d" % (name, i + 1)
            self.settle()
            # Profile the first run only: perf perturbs what it watches.
            with Profiler(self, name, broker if i == 0 else None):
                text = self.run(case, label, argv)
            js = [j for j in json_lines(text) if j.get("tool") == tool]
            if not js:
                raise CaseError("%s printed no JSON result" % label)
            results.append(js[-1])
        results.sort(key=lambda r: r["records_per_sec"])
        r = dict(results[len(results) // 2])
        r["runs_records_per_sec"] = [x["records_per_sec"] for x in results]
        r["runs_mb_per_sec"] = [x["mb_per_sec"] for x in results]
        return r

    def producer(self, case, name, bootstrap, topic, n, size, props=(), extra=(), broker=None):
        argv = [self.tool("kctl-perf-producer"), "--topic", topic, "--num-records", n,
                "--record-size", size, "--throughput", "-1", "--json", "--producer-props",
                "bootstrap.servers=" + bootstrap] + list(props) + list(extra)
        r = self.repeated(case, name, argv, "kctl-perf-producer", broker)
        print("    %-22s %10.0f records/s %8.1f MB/s  p99 %.1f ms  (runs: %s MB/s)"
              % (name, r["records_per_sec"], r["mb_per_sec"], r["latency_ms"]["p99"],
                 ", ".join("%.0f" % x for x in r["runs_mb_per_sec"])), flush=True)
        return r

    def consumer(self, case, name, bootstrap, topic, n, props=(), broker=None):
        argv = [self.tool("kctl-perf-consumer"), "--bootstrap-server", bootstrap, "--topic",
                topic, "--messages", n, "--timeout", 30000, "--json"]
        if props:
            argv += ["--consumer-props"] + list(props)
        r = self.repeated(case, name, argv, "kctl-perf-consumer", broker)
        print("    %-22s %10.0f records/s %8.1f MB/s  (runs: %s MB/s)"
              % (name, r["records_per_sec"], r["mb_per_sec"],
                 ", ".join("%.0f" % x for x in r["runs_mb_per_sec"])), flush=True)
        return r

    def latency(self, case, name, bootstrap, topic, n, rate=None, warmup=0, props=()):
        argv = [self.tool("kctl-e2e-latency"), "--bootstrap-server", bootstrap, "--topic",
                topic, "--num-records", n, "--record-size", 100, "--acks", "1",
                "--warmup-records", warmup, "--json"]
        if rate:
            argv += ["--throughput", int(rate)]
        if props:
            argv += ["--producer-props"] + list(props)
        self.settle()
        text = self.run(case, name, argv)
        js = [j for j in json_lines(text) if j.get("tool") == "kctl-e2e-latency"]
        if not js:
            raise CaseError("%s printed no JSON result" % name)
        r = js[-1]
        lat = r["latency_ms"]
        print("    %-22s p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms%s"
              % (name, lat["p50"], lat["p99"], lat["p99_9"], lat["max"],
                 "  at %.0f records/s" % r["recv_rate"] if rate else ""), flush=True)
        return r

    def sub(self, case, key, fn):
        """Run one measurement of a case; a failure is recorded under key
        and the case goes on with the next measurement."""
        try:
            v = fn()
            self.result(case, key, v)
            return v
        except (CaseError, kh.TestFailure) as e:
            self.result(case, key, {"error": str(e)})
            print("    %s: not run: %s" % (key, e), flush=True)
            return None

    def case_produce(self):
        cl = kc.Cluster(brokers=1, ssl=True)
        try:
            cl.start()
            b, bs = cl.bootstrap(), cl.bootstrap(ssl=True)
            pid = cl.brokers[1].pid
            tls = cl.tls
            ssl_props = ["security.protocol=ssl", "ssl.ca.location=" + tls["ca"],
                         "ssl.certificate.location=" + tls["client_cert"],
                         "ssl.key.location=" + tls["client_key"]]
            for t in ("p100", "p1k", "p1k-ssl", "lat"):
                cl.create_topic(t, PARTS)
            acks = ["acks=1"]
            c = "produce"
            p100 = self.sub(c, "produce_100b", lambda: self.producer(
                c, "produce-100b", b, "p100", self.n(N_100B), 100, acks + TUNED, broker=pid))
            self.sub(c, "produce_1k", lambda: self.producer(
                c, "produce-1k", b, "p1k", self.n(N_1K), 1024, acks + TUNED, broker=pid))
            self.sub(c, "consume_1g", lambda: self.consumer(
                c, "consume-1g", b, "p1k", self.n(N_1K), broker=pid))
            self.sub(c, "consume_1g_ssl", lambda: self.consumer(
                c, "consume-1g-ssl", bs, "p1k", self.n(N_1K), ssl_props, broker=pid))
            # Diagnosis, not a goal: the same read with Nagle off in the
            # client (see docs/benchmarks.md, "SSL consume").
            self.sub(c, "consume_1g_ssl_nodelay", lambda: self.consumer(
                c, "consume-1g-ssl-nodelay", bs, "p1k", self.n(N_1K),
                ssl_props + ["socket.nagle.disable=true"]))
            self.sub(c, "produce_1k_ssl", lambda: self.producer(
                c, "produce-1k-ssl", bs, "p1k-ssl", self.n(N_1K), 1024,
                acks + TUNED + ssl_props, broker=pid))
            self.sub(c, "latency_idle", lambda: self.latency(
                c, "latency-pingpong", b, "lat", self.n(5000) // 2, warmup=100))
            if p100 and p100.get("records_per_sec"):
                # Half of the measured maximum, for ~10 s; the producer
                # lingers 1 ms (a latency-minded user's setting).
                rate = p100["records_per_sec"] / 2
                n = int(min(rate * 10, 5_000_000)) // self.scale
                self.sub(c, "latency_half_max", lambda: self.latency(
                    c, "latency-half-max", b, "lat", max(n, 1000), rate=rate,
                    warmup=int(rate) // self.scale, props=["linger.ms=1"]))
                # Where the latency goal holds: shorter runs at lower rates.
                for pct in (5, 20):
                    r = p100["records_per_sec"] * pct / 100
                    self.sub(c, "latency_%dpct_max" % pct, lambda r=r, pct=pct: self.latency(
                        c, "latency-%dpct-max" % pct, b, "lat", max(int(r * 4) // self.scale,
                                                                   1000),
                        rate=r, warmup=int(r) // self.scale, props=["linger.ms=1"]))
            self.sub(c, "create_1000_partitions_s", lambda: self.timed(
                lambda: cl.create_topic("p1000", 1000, timeout=300)))
            self.sub(c, "produce_100b_1000p", lambda: self.producer(
                c, "produce-100b-1000p", b, "p1000", self.n(N_100B), 100, acks + TUNED,
                broker=pid))
            self.result(c, "broker_rss_after_mb", round(rss_mb(pid), 1))
        finally:
            cl.stop()
            cl.zk.stop()

    @staticmethod
    def timed(fn):
        t = time.monotonic()
        fn()
        return round(time.monotonic() - t, 2)

    def case_replicated(self):
        cl = kc.Cluster(brokers=3)
        try:
            cl.start()
            cl.create_topic("r3", PARTS, rf=3)
            pids = [p.pid for p in cl.brokers.values()]
            self.sub("replicated", "produce_100b_rf3_acks_all", lambda: self.producer(
                "replicated", "produce-100b-rf3", cl.bootstrap(), "r3", self.n(N_100B), 100,
                ["acks=all"] + TUNED, broker=pids[0]))
        finally:
            cl.stop()
            cl.zk.stop()

    # -------------------------------------------------------------- peers

    def case_redis(self):
        for prog in ("redis-server", "redis-benchmark"):
            if shutil.which(prog) is None:
                raise CaseError("%s not installed (Debian: redis-server, redis-tools)" % prog)
        ver = subprocess.run(["redis-server", "--version"], capture_output=True,
                             text=True).stdout.strip()
        d = os.path.join(kh.workdir(), "redis")
        os.makedirs(d, exist_ok=True)
        port = kh.free_port()
        srv = kh.start_process(["redis-server", "--port", port, "--bind", "127.0.0.1",
                                "--dir", d, "--appendonly", "yes", "--appendfsync", "everysec",
                                "--save", "", "--protected-mode", "yes"],
                               name="redis-server", log_path=self.log_path("redis-server"))
        try:
            kh.wait_port(port, timeout=30, proc=srv)
            value = "x" * 100
            n = self.n(N_REDIS)
            self.settle()
            text = self.run("redis", "redis-benchmark",
                            ["redis-benchmark", "-h", "127.0.0.1", "-p", port, "-P", 256,
                             "-c", 4, "-n", n, "--csv", "XADD", "bench", "*", "v", value])
            rows = [line for line in text.splitlines() if line.startswith('"XADD')]
            if not rows:
                raise CaseError("no XADD line in redis-benchmark's output")
            rps = float(rows[-1].split(",")[1].strip('"'))
            self.result("redis", "version", ver)
            self.result("redis", "records", n)
            self.result("redis", "records_per_sec", rps)
            self.result("redis", "mb_per_sec", round(rps * 100 / 1048576, 2))
            print("    %-22s %10.0f records/s" % ("redis XADD 100 B", rps), flush=True)
        finally:
            srv.stop()

    def build_nats_bench(self):
        if self.nats_bench:
            return self.nats_bench
        if not os.path.exists("/usr/include/nats/nats.h"):
            raise CaseError("libnats-dev not installed")
        exe = os.path.join(self.out, "nats_bench")
        cc = os.environ.get("CC", "cc")
        cmd = [cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-I", self.build,
               os.path.join(self.srcdir, "bench", "nats_bench.c"), "-o", exe, "-lnats"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise CaseError("cannot build nats_bench: %s" % r.stderr[-2000:])
        self.nats_bench = exe
        return exe

    def case_nats(self):
        if shutil.which("nats-server") is None:
            raise CaseError("nats-server not installed (Debian: nats-server)")
        exe = self.build_nats_bench()
        ver = subprocess.run(["nats-server", "--version"], capture_output=True,
                             text=True).stdout.strip()
        d = os.path.join(kh.workdir(), "nats")
        os.makedirs(d, exist_ok=True)
        port = kh.free_port()
        srv = kh.start_process(["nats-server", "-js", "-a", "127.0.0.1", "-p", port,
                                "-sd", d], name="nats-server",
                               log_path=self.log_path("nats-server"))
        try:
            kh.wait_port(port, timeout=30, proc=srv)
            n = self.n(N_NATS)
            self.settle()
            text = self.run("nats", "nats-bench", [exe, "nats://127.0.0.1:%d" % port, "BENCH",
                                                   n, 100, NATS_MAX_PENDING])
            js = [j for j in json_lines(text) if j.get("tool") == "nats_bench"]
            if not js:
                raise CaseError("nats_bench printed no JSON result")
            r = js[-1]
            r["version"] = ver
            r["max_pending"] = NATS_MAX_PENDING
            self.report["cases"]["nats"].update(r)
            print("    %-22s %10.0f records/s (acknowledged)" % ("nats js 100 B",
                                                               r["records_per_sec"]),
                  flush=True)
        finally:
            srv.stop()

    # -------------------------------------------------------------- goals

    def fig(self, case, key, field):
        v = self.report["cases"].get(case, {}).get(key)
        if isinstance(v, dict):
            return v.get(field)
        return None

    def evaluate(self):
        cs = self.report["cases"]
        m = self.report["machine"]
        p100 = self.fig("produce", "produce_100b", "records_per_sec")
        p1k = self.fig("produce", "produce_1k", "mb_per_sec")
        cons = self.fig("produce", "consume_1g", "mb_per_sec")
        redis = cs.get("redis", {}).get("records_per_sec")
        nats = cs.get("nats", {}).get("records_per_sec")
        loop = m.get("loopback_mb_per_sec")
        disk = m.get("disk_write_mb_per_sec")
        lat = self.fig("produce", "latency_half_max", "latency_ms")
        st = cs.get("startup", {})

        def ratio(a, b):
            return round(a / b, 3) if a is not None and b else None

        goals = [
            ("100 B, 1 broker, RF=1, acks=1 vs Redis XADD (records/s)",
             ratio(p100, redis), ">=", 3.0, "%s / %s" % (p100, redis)),
            ("100 B, 1 broker, RF=1, acks=1 vs NATS JetStream (records/s)",
             ratio(p100, nats), ">=", 6.0, "%s / %s" % (p100, nats)),
            ("1 KiB records vs min(loopback, disk) (MB/s)",
             ratio(p1k, min(loop, disk) if loop and disk else None), ">=", 0.6,
             "%s / min(%s, %s)" % (p1k, loop, disk)),
            ("consume 1 GiB vs loopback (MB/s)", ratio(cons, loop), ">=", 0.8,
             "%s / %s" % (cons, loop)),
            ("3 brokers RF=3 acks=all vs RF=1 acks=1 (records/s)",
             ratio(self.fig("replicated", "produce_100b_rf3_acks_all", "records_per_sec"),
                   p100), ">=", 0.5,
             "%s / %s" % (self.fig("replicated", "produce_100b_rf3_acks_all",
                                   "records_per_sec"), p100)),
            ("SSL vs PLAINTEXT produce (MB/s)",
             ratio(self.fig("produce", "produce_1k_ssl", "mb_per_sec"), p1k), ">=", 0.7,
             "%s / %s" % (self.fig("produce", "produce_1k_ssl", "mb_per_sec"), p1k)),
            ("SSL vs PLAINTEXT consume (MB/s)",
             ratio(self.fig("produce", "consume_1g_ssl", "mb_per_sec"), cons), ">=", 0.5,
             "%s / %s" % (self.fig("produce", "consume_1g_ssl", "mb_per_sec"), cons)),
            ("e2e latency p99 at half of max throughput (ms)",
             lat.get("p99") if lat else None, "<=", 5.0,
             "at %s records/s" % self.fig("produce", "latency_half_max", "recv_rate")),
            ("1000 partitions vs 8 partitions produce (records/s)",
             ratio(self.fig("produce", "produce_100b_1000p", "records_per_sec"), p100), ">=",
             0.8, "%s / %s" % (self.fig("produce", "produce_100b_1000p", "records_per_sec"),
                               p100)),
            ("idle broker RSS (MB)", st.get("idle_rss_mb"), "<=", 30.0, ""),
            ("exec to first successful produce (ms)", st.get("exec_to_first_produce_ms"),
             "<=", 200.0, ""),
        ]
        self.report["goals"] = []
        for name, value, op, target, detail in goals:
            met = None
            if value is not None:
                met = value >= target if op == ">=" else value <= target
            self.report["goals"].append({"goal": name, "value": value, "op": op,
                                         "target": target, "met": met, "detail": detail})

    def table(self):
        lines = ["", "Kanal benchmark -- %s, %s CPUs, %s MB RAM, kernel %s" % (
            self.report["run"].get("cpu_model"), self.report["run"].get("cpus"),
            self.report["run"].get("mem_total_mb"), self.report["run"].get("kernel"))]
        m = self.report["machine"]
        lines.append("machine: loopback %s MB/s (iperf3), disk write %s MB/s (dd fdatasync, %s)"
                     % (m.get("loopback_mb_per_sec"), m.get("disk_write_mb_per_sec"),
                        m.get("disk_fs")))
        lines.append("")
        lines.append("| goal | value | target | met | figures |")
        lines.append("| --- | --- | --- | --- | --- |")
        for g in self.report["goals"]:
            met = {True: "yes", False: "NO", None: "not run"}[g["met"]]
            lines.append("| %s | %s | %s %s | %s | %s |" % (
                g["goal"], g["value"], g["op"], g["target"], met, g["detail"]))
        errors = [(k, v["error"]) for k, v in self.report["cases"].items()
                  if isinstance(v, dict) and "error" in v]
        for k, v in self.report["cases"].items():
            for sk, sv in (v.items() if isinstance(v, dict) else []):
                if isinstance(sv, dict) and "error" in sv:
                    errors.append(("%s/%s" % (k, sk), sv["error"]))
        if errors:
            lines.append("")
            lines.append("not run:")
            for k, e in errors:
                lines.append("  %s: %s" % (k, e.splitlines()[0] if e else e))
        lines.append("")
        lines.append("elapsed: %s s" % self.report["run"].get("elapsed_s"))
        return "\n".join(lines) + "\n"


class Profiler:
    """With --profile: `perf stat` and `perf record -g` on the broker while
    a measurement runs; OUT/profile-<name>.txt gets the counters and the
    top of the flat profile. Does nothing without --profile, or when perf
    cannot attach (then the reason goes into the file)."""

    def __init__(self, bench, name, pid):
        self.b = bench
        self.name = name
        self.pid = pid
        self.procs = []

    def __enter__(self):
        if not self.b.profile or self.pid is None or shutil.which("perf") is None:
            return self
        base = os.path.join(self.b.out, "profile-%s" % self.name)
        self.stat_out = base + ".stat"
        self.data = base + ".data"
        self.procs.append(kh.start_process(
            ["perf", "stat", "-e", "task-clock,context-switches,cpu-migrations,page-faults,"
             "cycles,instructions,raw_syscalls:sys_enter", "-p", self.pid, "-o", self.stat_out],
            name="perf-stat-" + self.name, log_path=base + ".stat.log"))
        self.procs.append(kh.start_process(
            # dwarf: the broker has no frame pointers, and the question is
            # which Kanal function pays, not only which libc/kernel routine.
            ["perf", "record", "-e", "cpu-clock", "-F", "499", "--call-graph", "dwarf,16384",
             "-p", self.pid, "-o", self.data],
            name="perf-record-" + self.name, log_path=base + ".record.log"))
        time.sleep(0.5)   # let perf attach before the load starts
        return self

    def __exit__(self, *exc):
        if not self.procs:
            return False
        for p in self.procs:
            if p.running():
                p.popen.send_signal(signal.SIGINT)
        for p in self.procs:
            try:
                p.wait(timeout=60)
            except kh.TestFailure:
                pass
            p.stop()
        txt = os.path.join(self.b.out, "profile-%s.txt" % self.name)
        with open(txt, "w") as f:
            if os.path.exists(self.stat_out):
                with open(self.stat_out) as s:
                    f.write(s.read())
            # Self time by symbol, then inclusive time (who calls the
            # expensive routines).
            for mode in ("--no-children", "--children"):
                r = subprocess.run(["perf", "report", "-i", self.data, "--stdio", mode,
                                    "--percent-limit", "2", "-g", "none", "--sort", "symbol"],
                                   capture_output=True, text=True)
                f.write(r.stdout if r.returncode == 0 else r.stderr)
        if os.path.exists(self.data):
            os.unlink(self.data)   # dwarf samples are large; the text is what is kept
        self.b.report["cases"].setdefault("profiles", {})[self.name] = txt
        return False
