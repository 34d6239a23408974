"""tests/integration/test_broker_net.py -- kanal-broker's network layer with
real sockets: ApiVersions negotiation, framing limits, misbehaving
connections, pipelining, TLS, and kcat reaching the broker.

One broker (PLAINTEXT and SSL listeners, certificates made by the openssl
command in this script) serves every case; cases that need another
configuration start their own broker. ZooKeeper is started when available
so the broker finds its cluster if the cluster subsystem is linked in.
"""

import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("KANAL_SRCDIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "tests", "harness"))

import kanal_harness as kh  # noqa: E402

MAX_REQUEST = 65536
zk = kh.ZooKeeper()
B = {}   # the shared broker: proc, plain, ssl, certs


# ------------------------------------------------------------ certificates


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_certs(d):
    """A CA, a server certificate for localhost/127.0.0.1 and a client
    certificate (CN=client), all signed by the CA."""
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=Kanal Test CA")
    out = {"ca": ca}
    for name, ext in (("server", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
                      ("client", "extendedKeyUsage=clientAuth")):
        key, csr, pem = (os.path.join(d, name + s) for s in (".key", ".csr", ".pem"))
        extfile = os.path.join(d, name + ".ext")
        with open(extfile, "w") as f:
            f.write(ext + "\n")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", csr, "-subj",
                "/CN=%s" % ("localhost" if name == "server" else "client"))
        openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                "-out", pem, "-days", "2", "-extfile", extfile)
        out[name + "_cert"], out[name + "_key"] = pem, key
    return out


# ------------------------------------------------------------ broker control


def broker_props(plain, ssl_port=None, certs=None, extra=None):
    listeners = "PLAINTEXT://127.0.0.1:%d" % plain
    if ssl_port:
        listeners += ",SSL://127.0.0.1:%d" % ssl_port
    d = os.path.join(kh.workdir(), "broker-%d" % plain)
    os.makedirs(d, exist_ok=True)
    props = {
        "broker.id": 1,
        "listeners": listeners,
        # A chroot per broker: each is broker 1 of its own cluster.
        "zookeeper.connect": zk.connect("/kanal-net-%d" % plain) if zk.running() else "127.0.0.1:1",
        "log.dirs": os.path.join(d, "data"),
        "num.network.threads": 2,
        "socket.request.max.bytes": MAX_REQUEST,
        "offsets.topic.replication.factor": 1,
    }
    if certs:
        props.update({
            "ssl.certificate.location": certs["server_cert"],
            "ssl.key.location": certs["server_key"],
            "ssl.ca.location": certs["ca"],
            "ssl.client.auth": "requested",
        })
    props.update(extra or {})
    return kh.write_properties(os.path.join(d, "broker.properties"), props)


def start_broker(props_path, port, scope=None):
    p = kh.start_process([kh.binary("kanal-broker"), "--config", props_path], name="broker",
                         scope=scope)
    p.wait_port(port)
    return p


def setup():
    if kh.zookeeper_available():
        zk.start()
    B["certs"] = make_certs(kh.workdir())
    B["plain"], B["ssl"] = kh.free_port(), kh.free_port()
    props = broker_props(B["plain"], B["ssl"], B["certs"])
    B["proc"] = start_broker(props, B["plain"], scope="global")
    kh.wait_port(B["ssl"], proc=B["proc"])


# ------------------------------------------------------------ Kafka wire


def uvarint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def read_uvarint(buf, pos):
    shift = val = 0
    while True:
        b = buf[pos]
        pos += 1
        val |= (b & 0x7F) << shift
        if not b & 0x80:
            return val, pos
        shift += 7


def compact_str(s):
    b = s.encode()
    return uvarint(len(b) + 1) + b


def api_versions_frame(version, corr, name="kanal-it", sw_version="1.0"):
    """ApiVersions request; v3 uses request header v2 and a flexible body."""
    client_id = b"kanal-test"
    header = struct.pack(">hhih", 18, version, corr, len(client_id)) + client_id
    if version >= 3:
        header += b"\x00"   # header tags
        body = compact_str(name) + compact_str(sw_version) + b"\x00"
    else:
        body = b""
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def recv_frame(sock):
    size = struct.unpack(">i", recv_exact(sock, 4))[0]
    return recv_exact(sock, size)


def parse_api_versions(frame, version):
    """(correlation id, error code, {key: (min, max)}); header v0 always."""
    corr, err = struct.unpack(">ih", frame[:6])
    pos = 6
    if version >= 3:
        n, pos = read_uvarint(frame, pos)
        n -= 1
    else:
        n = struct.unpack(">i", frame[pos:pos + 4])[0]
        pos += 4
    keys = {}
    for _ in range(max(n, 0)):
        k, lo, hi = struct.unpack(">hhh", frame[pos:pos + 6])
        pos += 6
        if version >= 3:
            pos += 1   # entry tags (empty)
        keys[k] = (lo, hi)
    return corr, err, keys


def connect(port, timeout=30.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def closed_by_server(sock):
    """True when the server closes (EOF or reset) instead of answering."""
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def api_versions(sock, version, corr):
    sock.sendall(api_versions_frame(version, corr))
    return parse_api_versions(recv_frame(sock), version)


# ------------------------------------------------------------ cases


@kh.test
def api_versions_v0_to_v3():
    with connect(B["plain"]) as s:
        for v in range(4):
            corr, err, keys = api_versions(s, v, 100 + v)
            kh.check_eq(corr, 100 + v, "correlation id v%d" % v)
            kh.check_eq(err, 0, "error code v%d" % v)
            kh.check_eq(keys.get(18), (0, 3), "ApiVersions row v%d" % v)


@kh.test
def api_versions_v4_answers_unsupported_in_v0_layout():
    with connect(B["plain"]) as s:
        s.sendall(api_versions_frame(4, 7))
        corr, err, keys = parse_api_versions(recv_frame(s), 0)
        kh.check_eq(corr, 7, "correlation id")
        kh.check_eq(err, 35, "UNSUPPORTED_VERSION")
        kh.check_eq(keys.get(18), (0, 3), "ApiVersions row present")
        # The connection stays usable: the client retries lower.
        corr, err, _ = api_versions(s, 0, 8)
        kh.check_eq((corr, err), (8, 0), "retry at v0")


@kh.test
def api_versions_v3_bad_software_name():
    with connect(B["plain"]) as s:
        s.sendall(api_versions_frame(3, 9, name="bad name!"))
        corr, err, _ = parse_api_versions(recv_frame(s), 3)
        kh.check_eq((corr, err), (9, 42), "INVALID_REQUEST")


@kh.test
def pipelined_requests_answered_in_order():
    with connect(B["plain"]) as s:
        burst = b"".join(api_versions_frame(v % 4, 1000 + i) for i, v in enumerate(range(20)))
        s.sendall(burst)
        for i in range(20):
            corr, err, _ = parse_api_versions(recv_frame(s), i % 4)
            kh.check_eq(corr, 1000 + i, "response %d in order" % i)
            kh.check_eq(err, 0, "error of response %d" % i)


@kh.test
def oversize_frame_closes_only_that_connection():
    with connect(B["plain"]) as good, connect(B["plain"]) as bad:
        api_versions(good, 1, 1)
        bad.sendall(struct.pack(">i", MAX_REQUEST + 1) + b"x" * 100)
        kh.check(closed_by_server(bad), "oversize frame closes the connection")
        corr, err, _ = api_versions(good, 1, 2)
        kh.check_eq((corr, err), (2, 0), "other connection unaffected")
    with connect(B["plain"]) as neg:
        neg.sendall(struct.pack(">i", -5))
        kh.check(closed_by_server(neg), "negative size closes the connection")
    kh.check_in("frame larger than socket.request.max.bytes", B["proc"].output(), "logged")


@kh.test
def garbage_and_tls_on_plaintext_port_closed():
    with connect(B["plain"]) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        kh.check(closed_by_server(s), "HTTP on the Kafka port closed")
    ctx = ssl.create_default_context(cafile=B["certs"]["ca"])
    with connect(B["plain"]) as raw:
        try:
            with ctx.wrap_socket(raw, server_hostname="localhost"):
                raise kh.TestFailure("TLS handshake succeeded on the plaintext port")
        except (ssl.SSLError, ConnectionResetError, OSError):
            pass
    kh.check_in("TLS handshake on a plaintext listener", B["proc"].output(), "logged")
    with connect(B["plain"]) as s:
        kh.check_eq(api_versions(s, 0, 3)[1], 0, "broker still serves")


@kh.test
def plaintext_on_ssl_port_closed():
    with connect(B["ssl"]) as s:
        s.sendall(api_versions_frame(0, 1))
        kh.check(closed_by_server(s), "plaintext request on the SSL port closed")
    kh.check_in("TLS failure", B["proc"].output(), "logged")


@kh.test
def tls_api_versions_with_and_without_client_cert():
    for with_cert in (True, False):
        ctx = ssl.create_default_context(cafile=B["certs"]["ca"])
        if with_cert:
            ctx.load_cert_chain(B["certs"]["client_cert"], B["certs"]["client_key"])
        with connect(B["ssl"]) as raw, ctx.wrap_socket(raw, server_hostname="localhost") as s:
            for v in range(4):
                corr, err, keys = api_versions(s, v, v)
                kh.check_eq((corr, err), (v, 0), "TLS ApiVersions v%d" % v)
                kh.check_eq(keys.get(18), (0, 3), "row over TLS")


def kcat(args, timeout=60):
    try:
        r = subprocess.run(["kcat"] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
    except FileNotFoundError:
        raise kh.SkipTest("kcat not installed")
    return r.stdout.decode("utf-8", "replace")


@kh.test
def kcat_reaches_api_versions():
    out = kcat(["-L", "-b", "127.0.0.1:%d" % B["plain"], "-m", "5", "-d", "protocol"])
    kh.check_in("Received ApiVersionResponse (v3", out, "kcat negotiated ApiVersions v3")


@kh.test
def kcat_over_ssl():
    out = kcat(["-L", "-b", "127.0.0.1:%d" % B["ssl"], "-m", "5", "-d", "protocol,security",
                "-X", "security.protocol=ssl", "-X", "ssl.ca.location=" + B["certs"]["ca"],
                "-X", "ssl.certificate.location=" + B["certs"]["client_cert"],
                "-X", "ssl.key.location=" + B["certs"]["client_key"]])
    kh.check_in("Received ApiVersionResponse (v3", out, "kcat negotiated over TLS")


@kh.test
def sigterm_is_a_clean_stop():
    port = kh.free_port()
    p = start_broker(broker_props(port), port)
    with connect(port) as s:
        api_versions(s, 0, 1)
        rc = p.stop()
        kh.check(closed_by_server(s), "connection closed at shutdown")
    kh.check_eq(rc, 0, "exit status after SIGTERM")
    with open(p.log_path, encoding="utf-8", errors="replace") as f:
        kh.check_in("broker 1 stopped", f.read(), "shutdown logged")


@kh.test
def sighup_reopens_log_file():
    port = kh.free_port()
    log = os.path.join(kh.workdir(), "sighup-broker.log")
    p = start_broker(broker_props(port, extra={"log.file": log}), port)
    kh.check(os.path.exists(log), "log.file created")
    os.rename(log, log + ".1")   # what logrotate does
    os.kill(p.pid, signal.SIGHUP)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if os.path.exists(log):
            with open(log, encoding="utf-8", errors="replace") as f:
                if "log file reopened" in f.read():
                    break
        time.sleep(0.1)
    else:
        raise kh.TestFailure("no new log file after SIGHUP")
    with open(log + ".1", encoding="utf-8", errors="replace") as f:
        kh.check_in("started", f.read(), "old file kept the start-up lines")
    kh.check_eq(p.stop(), 0, "clean stop")


@kh.test
def bad_configuration_names_the_key():
    port = kh.free_port()
    props = broker_props(port, extra={"num.network.threads": "zero"})
    out = kh.run_program([kh.binary("kanal-broker"), "--config", props], expect_status=None)
    kh.check_in("num.network.threads", out, "bad value names its key")
    props = broker_props(port)
    out = kh.run_program([kh.binary("kanal-broker"), "--config", props,
                          "--override", "no.such.key=1"], expect_status=None)
    kh.check_in("no.such.key", out, "unknown key named")
    props = broker_props(port, extra={"listeners": "PLAINTEXT://127.0.0.1:%d,FOO://127.0.0.1:1" % port})
    out = kh.run_program([kh.binary("kanal-broker"), "--config", props], expect_status=2)
    kh.check_in("FOO", out, "listener without a security protocol named")
    out = kh.run_program([kh.binary("kanal-broker"), "--help"])
    kh.check_in("socket.request.max.bytes", out, "--help lists the keys")


if __name__ == "__main__":
    kh.run_tests(setup=setup)
