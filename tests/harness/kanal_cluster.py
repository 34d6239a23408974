"""tests/harness/kanal_cluster.py -- a whole Kanal cluster for integration tests.

Builds on kanal_harness: one real ZooKeeper, N kanal-controller and M
kanal-broker processes from the build tree, on free loopback ports, each
with its own properties file, data directory and log. Optional TLS: a CA,
a broker certificate and a client certificate made with the openssl CLI.

    import kanal_harness as kh, kanal_cluster as kc
    cl = kc.Cluster(brokers=3, controllers=2)
    cl.start()                      # ZooKeeper, controllers, brokers; waits
                                    # until every broker's metadata lists them all
    cl.bootstrap()                  # "127.0.0.1:p1,127.0.0.1:p2,..."
    cl.zk_get("/controller_epoch")  # znode data (kazoo, a real ZK client)
    cl.kill_broker(2); cl.start_broker(2)

Every process is started through kh.start_process, so it is stopped by PID
when the script (or the case that started it) ends.
"""

import json
import os
import subprocess
import time

import kanal_harness as kh

CHROOT = "/kanal"


def make_tls(directory):
    """A CA and a certificate for 127.0.0.1 (broker) and one for a client.
    Returns a dict of PEM paths: ca, cert, key, client_cert, client_key."""
    os.makedirs(directory, exist_ok=True)
    p = lambda n: os.path.join(directory, n)
    if os.path.exists(p("client.crt")):
        return {"ca": p("ca.crt"), "cert": p("broker.crt"), "key": p("broker.key"),
                "client_cert": p("client.crt"), "client_key": p("client.key")}

    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=directory,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Kanal Test CA",
        "-keyout", "ca.key", "-out", "ca.crt")
    with open(p("san.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, cn in (("broker", "localhost"), ("client", "kanal-test-client")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % cn,
            "-keyout", "%s.key" % name, "-out", "%s.csr" % name)
        run("x509", "-req", "-in", "%s.csr" % name, "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.cnf", "-out", "%s.crt" % name)
    return make_tls(directory)


class Cluster:
    def __init__(self, brokers=1, controllers=1, ssl=False, broker_props=None,
                 controller_props=None, zk=None, session_timeout_ms=6000):
        self.n_brokers = brokers
        self.n_controllers = controllers
        self.ssl = ssl
        self.extra_broker = dict(broker_props or {})
        self.extra_controller = dict(controller_props or {})
        self.zk = zk or kh.ZooKeeper()
        self.session_timeout_ms = session_timeout_ms
        self.dir = os.path.join(kh.workdir(), "cluster-%d" % self.zk.port)
        self.tls = make_tls(os.path.join(self.dir, "tls")) if ssl else None
        self.broker_ports = {}      # id -> PLAINTEXT port
        self.broker_ssl_ports = {}  # id -> SSL port
        self.controller_ports = {}  # id -> control port
        self.brokers = {}           # id -> Process
        self.controllers = {}       # id -> Process
        self._zkc = None
        for i in range(1, brokers + 1):
            self.broker_ports[i] = kh.free_port()
            if ssl:
                self.broker_ssl_ports[i] = kh.free_port()
        for i in range(1, controllers + 1):
            self.controller_ports[i] = kh.free_port()

    # ------------------------------------------------------------ lifecycle

    def start(self, timeout=60.0):
        if not self.zk.running():
            self.zk.start()
        for i in sorted(self.controller_ports):
            self.start_controller(i)
        for i in sorted(self.broker_ports):
            self.start_broker(i, wait=False)
        for i in sorted(self.broker_ports):
            kh.wait_port(self.broker_ports[i], timeout=timeout, proc=self.brokers[i])
        self.wait_brokers_registered(sorted(self.broker_ports), timeout=timeout)
        # Registered in ZooKeeper is not yet known to the brokers: each
        # learns the live brokers from the controller's UpdateMetadata.
        want = sorted(self.broker_ports)
        self.wait_metadata(lambda md: sorted(md["brokers"]) == want,
                           "every broker's metadata listing brokers %s" % want, timeout)
        return self

    def stop(self):
        for p in list(self.brokers.values()) + list(self.controllers.values()):
            p.stop()
        self.brokers.clear()
        self.controllers.clear()
        if self._zkc is not None:
            self._zkc.stop()
            self._zkc.close()
            self._zkc = None

    def controller_config(self, i):
        props = {
            "controller.id": i,
            "listeners": "PLAINTEXT://127.0.0.1:%d" % self.controller_ports[i],
            "zookeeper.connect": self.zk.connect(CHROOT),
            "zookeeper.session.timeout.ms": self.session_timeout_ms,
        }
        props.update(self.extra_controller)
        path = os.path.join(self.dir, "controller-%d.properties" % i)
        os.makedirs(self.dir, exist_ok=True)
        return kh.write_properties(path, props)

    def start_controller(self, i):
        cfg = self.controller_config(i)
        p = kh.start_process([kh.binary("kanal-controller"), "--config", cfg],
                             name="controller-%d" % i,
                             log_path=os.path.join(self.dir, "controller-%d.log" % i),
                             scope="global")
        self.controllers[i] = p
        kh.wait_port(self.controller_ports[i], timeout=60, proc=p)
        return p

    def broker_config(self, i):
        listeners = ["PLAINTEXT://127.0.0.1:%d" % self.broker_ports[i]]
        props = {
            "broker.id": i,
            "log.dirs": os.path.join(self.dir, "broker-%d-data" % i),
            "zookeeper.connect": self.zk.connect(CHROOT),
            "zookeeper.session.timeout.ms": self.session_timeout_ms,
            "num.network.threads": 2,
            "offsets.topic.replication.factor": min(3, self.n_brokers),
        }
        if self.ssl:
            listeners.append("SSL://127.0.0.1:%d" % self.broker_ssl_ports[i])
            props.update({
                "ssl.certificate.location": self.tls["cert"],
                "ssl.key.location": self.tls["key"],
                "ssl.ca.location": self.tls["ca"],
                "ssl.client.auth": "requested",
            })
        props["listeners"] = ",".join(listeners)
        props.update(self.extra_broker)
        os.makedirs(self.dir, exist_ok=True)
        return kh.write_properties(os.path.join(self.dir, "broker-%d.properties" % i), props)

    def start_broker(self, i, wait=True):
        """Start broker i; with wait, return once it listens and the new
        process registered (the znode a killed predecessor left behind,
        there until ZooKeeper expires it, does not count)."""
        cfg = self.broker_config(i)
        old = self._registration_czxid(i) if wait else None
        p = kh.start_process([kh.binary("kanal-broker"), "--config", cfg],
                             name="broker-%d" % i,
                             log_path=os.path.join(self.dir, "broker-%d.log" % i),
                             scope="global")
        self.brokers[i] = p
        if wait:
            kh.wait_port(self.broker_ports[i], timeout=60, proc=p)
            self.wait_for(lambda: self._registration_czxid(i) not in (None, old),
                          "broker %d registered by its new process" % i)
        return p

    def _registration_czxid(self, i):
        st = self.zkc().exists("/brokers/ids/%d" % i)
        return st.czxid if st is not None else None

    def stop_broker(self, i):
        p = self.brokers.pop(i, None)
        if p is not None:
            p.stop()

    def kill_broker(self, i):
        p = self.brokers.pop(i, None)
        if p is not None:
            p.kill9()

    def stop_controller(self, i):
        p = self.controllers.pop(i, None)
        if p is not None:
            p.stop()

    def kill_controller(self, i):
        p = self.controllers.pop(i, None)
        if p is not None:
            p.kill9()

    # --------------------------------------------------------------- access

    def bootstrap(self, ssl=False):
        ports = self.broker_ssl_ports if ssl else self.broker_ports
        return ",".join("127.0.0.1:%d" % ports[i] for i in sorted(ports) if i in self.brokers)

    def kcat_args(self, ssl=False):
        args = ["kcat", "-b", self.bootstrap(ssl)]
        if ssl:
            args += ["-X", "security.protocol=ssl", "-X", "ssl.ca.location=%s" % self.tls["ca"],
                     "-X", "ssl.certificate.location=%s" % self.tls["client_cert"],
                     "-X", "ssl.key.location=%s" % self.tls["client_key"]]
        return args

    def client_conf(self, ssl=False):
        """confluent_kafka configuration dict."""
        conf = {"bootstrap.servers": self.bootstrap(ssl)}
        if ssl:
            conf.update({"security.protocol": "ssl", "ssl.ca.location": self.tls["ca"],
                         "ssl.certificate.location": self.tls["client_cert"],
                         "ssl.key.location": self.tls["client_key"]})
        return conf

    def zkc(self):
        """A kazoo client on the cluster's chroot (a real ZooKeeper client)."""
        if self._zkc is None:
            from kazoo.client import KazooClient
            self._zkc = KazooClient(hosts=self.zk.connect(CHROOT), timeout=10.0)
            self._zkc.start(timeout=30)
        return self._zkc

    def zk_get(self, path):
        """Data of a znode as str, or None if it does not exist."""
        zkc = self.zkc()
        if not zkc.exists(path):
            return None
        data, _ = zkc.get(path)
        return data.decode() if data is not None else ""

    def zk_json(self, path):
        d = self.zk_get(path)
        return json.loads(d) if d else None

    def zk_children(self, path):
        zkc = self.zkc()
        return sorted(zkc.get_children(path)) if zkc.exists(path) else []

    def active_controller(self):
        j = self.zk_json("/controller")
        if j is None:
            return None
        return j.get("controllerid", j.get("brokerid"))

    def wait_for(self, cond, what, timeout=60.0, interval=0.2):
        deadline = time.monotonic() + timeout
        while True:
            v = cond()
            if v:
                return v
            if time.monotonic() > deadline:
                # what may be a callable, so the message shows the state
                # at the timeout rather than at the start of the wait
                if callable(what):
                    what = what()
                raise kh.TestFailure("timed out after %.0f s waiting for %s" % (timeout, what))
            time.sleep(interval)

    def wait_brokers_registered(self, ids, timeout=60.0):
        want = [str(i) for i in ids]
        self.wait_for(lambda: all(w in self.zk_children("/brokers/ids") for w in want),
                      "brokers %s registered in ZooKeeper" % want, timeout)

    def broker_metadata(self, i):
        """Broker i's own Metadata answer (kh.kafka_metadata), or None."""
        return kh.kafka_metadata(self.broker_ports[i])

    def wait_metadata(self, cond, what, timeout=60.0):
        """Wait until cond(metadata) holds for the metadata of every running
        broker, each asked directly. Each broker applies the controller's
        UpdateMetadata on its own, so an answer from one broker (or a
        client library's pick) says nothing about the next request, which
        may go to another. Returns {broker id: metadata}."""
        def all_hold():
            mds = {}
            for i in sorted(self.brokers):
                md = self.broker_metadata(i)
                if md is None or not cond(md):
                    return None
                mds[i] = md
            return mds or None
        return self.wait_for(all_hold, what, timeout)

    def wait_topic_ready(self, topic, partitions, timeout=60.0, ssl=False):
        """Wait until the metadata of every running broker shows every
        partition of the topic with a leader. (ssl is accepted for older
        callers; the brokers are asked on their PLAINTEXT listener.)"""
        return self.wait_metadata(lambda md: kh.topic_led(md, topic, partitions), "topic %s with %d led partitions in every broker's "
                                  "metadata" % (topic, partitions), timeout)

    def create_topic(self, topic, partitions, rf=1, config=None, timeout=60.0):
        from confluent_kafka.admin import AdminClient, NewTopic
        admin = AdminClient(self.client_conf())
        fs = admin.create_topics([NewTopic(topic, num_partitions=partitions,
                                           replication_factor=rf, config=config or {})],
                                 operation_timeout=30, request_timeout=30)
        fs[topic].result(timeout=timeout)
        self.wait_topic_ready(topic, partitions, timeout)
