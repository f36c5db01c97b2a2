#!/usr/bin/env python3
"""The ec2-hostkey testbed: moto's EC2 server, extended so that instances boot.

RunInstances gives each instance its own loopback address (127.0.0.0/8) as
public IP, a matching public DNS name, host keys (generated, or taken from
cloud-config `ssh_keys:` in the user-data) and a real OpenSSH `sshd` listening
on that address. GetConsoleOutput returns cloud-init's console format once the
instance's console delay has passed. TerminateInstances stops the sshd and
frees the address, so the next launch can recycle it with new keys.

Per-instance controls are instance tags given at launch:
  sim:console-delay=SECONDS  console stays empty this long (default --console-delay)
  sim:mitm=true              console lists keys other than the ones sshd presents
  sim:console=FLAGS          comma list: keys-only, fingerprints-only, prefix=ec2|cloud-init|syslog|none,
                             crlf, escapes, reboot (an older boot's block precedes), md5, noisy,
                             scrolled (the block scrolled out: only later boot noise remains)
  sim:address=127.x.y.z      take this address (to recycle one deliberately)
  sim:sshd=off               no sshd (for fleets that only need consoles)
  sim:key-types=a,b          host key types to generate (ed25519,ecdsa,rsa)
  sim:host-cert=true         sshd presents host certificates (HostCertificate) for every key,
                             signed by the testbed's host CA (<state>/host_ca.pub), principals
                             the instance id and its public and private addresses
  sim:state=pending          the instance stays in the pending state
  sim:pending-for=SECONDS    … only this long, then it is running
  sim:public=none            no public address (reachable on its private address only)
  sim:launched-ago=SECONDS   LaunchTime this long ago (a long-running instance)
  sim:ssm=STATE              managed by Systems Manager: online, offline (ping ConnectionLost),
                             timeout (commands end TimedOut), failed (commands end Failed);
                             absent: not managed
  sim:ssm-delay=SECONDS      a command's output is ready this long after SendCommand (default 0.3)

Every instance also gets a private address from a second loopback /24 (its
PrivateIpAddress, with the matching ip-….ec2.internal name); its sshd listens
on both.

A DNS server on 127.0.0.1 (UDP and TCP, port printed at start) answers for
records the tests add with GET /_sim/dns?name=NAME&cname=TARGET or
&a=ADDRESS; NXDOMAIN for everything else.

Test-harness endpoints on the same port: GET /_sim/calls (API actions served,
in order, S3's REST calls as s3:GetObject and the like; with ?detail=1 each as {action, start, end} in seconds on one clock), GET /_sim/calls/reset, and fault injection:
GET /_sim/fault?action=ACTION&kind=KIND[&count=N][&seconds=S][&after=M] makes
the next N (default: all) calls of ACTION, after M that succeed, fail as AWS would: throttle
(RequestLimitExceeded), unavailable (HTTP 503), internal (HTTP 500),
unauthorized (UnauthorizedOperation), expired (RequestExpired), slow (answer
S seconds after the call arrived, moto's own work included: a round trip to
a distant API, which does its work in parallel for parallel calls). GET /_sim/fault/clear removes them. GET /_sim/vanish?id=ID removes an instance from EC2's answers altogether, as
AWS does about an hour after termination. GET /_sim/role?deny=ARN makes AssumeRole of that role
refused (AccessDenied, as a trust policy that does not name the caller), ?allow=ARN lifts it;
moto itself lets anyone assume any role, and keeps each account's resources apart (credentials
from AssumeRole act in the role's account). GET /_sim/host-cert?id=ID&cert=TEXT[&cert=…]
installs host certificates on an instance's sshd (HostCertificate) and restarts it. GET /_sim/keys: the host
keys each instance's sshd holds, {id: ["type base64", …]}.

GET /_sim/console?id=ID&scroll=1 makes every host-key block scroll out of the
console (as the `scrolled` flag). GET /_sim/rekey?id=ID&quiet=1 re-keys without
a new boot on the console (what the agent reads changes, the console does not).
GET /_sim/console?id=ID&append=TEXT (TEXT percent-encoded) appends TEXT, raw
(no `crlf` conversion), to the instance's console after everything it shows
so far, as a program on the instance writing to the console would (fake
host-key blocks, stray END markers, …); appends accumulate in order, and show
once the console delay has passed. GET /_sim/rekey?id=ID is a legitimate
re-key: new host keys of the same types, sshd restarted on the same addresses
(if it was running), then a new boot on the console after the existing output
(kernel banner, then a cloud-init block with the new keys, same prefix and
flags); answers the new keys as JSON ["type base64", …], sorted, and
/_sim/keys reports them from then on. Both answer 404 for an unknown id;
rekey answers 409 for a terminated instance.

Systems Manager (moto's SSM backend runs nothing): DescribeInstanceInformation,
SendCommand and GetCommandInvocation are served here for the instances
tagged sim:ssm. SendCommand takes AWS-RunShellScript (whose commands must
read /etc/ssh/ssh_host_*_key.pub) or a document created with CreateDocument
(passed on to moto, and remembered); the invocation then answers, as the
instance's agent would, the instance's genuine public host keys (those its
console lists: with sim:mitm they differ from what the wire presents).
Faults apply per action (`SendCommand`), or per document
(`SendCommand:DOCUMENT`), and come back in SSM's JSON error form.

DescribeInstanceAttribute with Attribute=userData answers the RunInstances
user-data (base64), as AWS does (moto's own handler); like every action it is
recorded by /_sim/calls and can be given faults.

EC2 Instance Connect Endpoints (CreateInstanceConnectEndpoint,
DescribeInstanceConnectEndpoints, and the endpoint's TLS websocket tunnel to an
instance's private sshd) are served by tests/sim/eice.py; see its docstring
for the tunnel's checks and the /_sim/eice controls.

The API is also served over HTTPS, on the port printed last, with a
certificate for 127.0.0.1 and localhost from the testbed's CA
(<state-dir>/eice-ca.pem).

Prints `READY <port> <state-dir> <net> <dns-port> <https-port>` on stdout once serving. Exits, stopping every
sshd, on SIGTERM/SIGINT, or with --exit-on-stdin-eof when stdin closes.

For a human's shell (docs/testbed.md): --print-env prints, instead of READY,
`export VAR='value'` lines that point ec2-hostkey, the aws CLI and boto3 at
the testbed; --daemon runs it in the background (logging to
<state-dir>/sim.log) and returns once it serves, so that
  eval "$(tests/sim/.venv/bin/python tests/sim/sim.py --daemon --print-env)"
sets up the shell; `kill "$EC2_HOSTKEY_SIM_PID"` stops it.
"""

import argparse
import base64
import calendar
import datetime
import hashlib
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import re
import urllib.parse
import urllib.request

import yaml


def _one_session_for_region_lists():
    """moto asks three new boto3 Sessions for the region lists while its EC2
    module loads, each reading botocore's endpoint data anew: a second of
    every testbed start. One session answers all three."""
    import functools

    import boto3

    shared = boto3.session.Session()
    regions = functools.lru_cache(maxsize=None)(shared.get_available_regions)
    boto3.session.Session.get_available_regions = lambda self, *args, **kwargs: regions(*args, **kwargs)


_one_session_for_region_lists()

from dnslib import QTYPE, RCODE, RR, SOA, A, CNAME
from dnslib.server import BaseResolver, DNSServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from moto.core.responses import ActionResult
from moto.core.types import Base64EncodedString
from moto.core.utils import utcnow
from moto.ec2.models.instances import Instance, InstanceBackend
from moto.ec2.responses.general import General
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

import eice

SSHD = shutil.which("sshd", path="/usr/sbin:/usr/bin:/sbin:/bin") or "/usr/sbin/sshd"
KEY_ORDER = ["ecdsa", "ed25519", "rsa"]  # glob order of /etc/ssh/ssh_host_*_key.pub
KEY_LABEL = {"ecdsa": "ECDSA", "ed25519": "ED25519", "rsa": "RSA"}


class HostKey:
    def __init__(self, kind, private_pem, public_line):
        self.kind = kind
        self.private_pem = private_pem
        self.public_line = public_line.strip()
        blob = base64.b64decode(self.public_line.split()[1])
        self.blob = blob
        self.bits = {"ed25519": 256, "ecdsa": 256}.get(kind, 0)

    def fingerprint_line(self, comment, md5=False):
        if md5:
            digest = hashlib.md5(self.blob).hexdigest()
            fp = ":".join(digest[i : i + 2] for i in range(0, 32, 2))
            fp = "MD5:" + fp
        else:
            fp = "SHA256:" + base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")
        return f"{self.bits} {fp} {comment} ({KEY_LABEL[self.kind]})"


def generate_key(kind, comment):
    if kind == "ed25519":
        priv = ed25519.Ed25519PrivateKey.generate()
    elif kind == "ecdsa":
        priv = ec.generate_private_key(ec.SECP256R1())
    elif kind == "rsa":
        # 2048 bits, as Amazon Linux 2's sshd generates them: a 3072-bit key
        # costs the testbed 0.7 s of CPU per instance, most of a launch.
        priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise ValueError(kind)
    pem = priv.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    pub = priv.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    key = HostKey(kind, pem, f"{pub} {comment}")
    if kind == "rsa":
        key.bits = priv.key_size
    return key


CERT_LINE = re.compile(r"((?:ssh-ed25519|ecdsa-sha2-nistp\d+|rsa-sha2-\d+|ssh-rsa)-cert-v01@openssh\.com [A-Za-z0-9+/=]+)")


def keys_from_user_data(text, certificates=None):
    """Host keys the user-data installs: cloud-config `ssh_keys:` (as cloud-init's
    cc_ssh takes them), an `ec2-hostkey seed --format script` script, or a
    script that fetches such a script from a (presigned) URL, which the
    "instance" really fetches. Host certificates it installs (cloud-init's
    `<type>_certificate`, or the script's `-cert.pub` files) are appended to
    `certificates`."""
    if certificates is None:
        certificates = []
    if not text:
        return None
    if text.startswith("#!"):
        fetch = re.search(r"^url='([^']+)'$", text, re.M)
        if fetch:
            try:
                with urllib.request.urlopen(fetch.group(1), timeout=10) as resp:
                    text = resp.read().decode()
            except Exception as e:  # an expired URL: the instance keeps generated keys
                print(f"sim: user-data fetch failed: {e}", file=sys.stderr)
                return None
        certificates.extend(re.findall(r"^echo '" + CERT_LINE.pattern + r"' > /etc/ssh/ssh_host_\w+_key-cert\.pub$", text, re.M))
        return keys_from_script(text)
    if not text.startswith("#cloud-config"):
        return None
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return None
    given = doc.get("ssh_keys") if isinstance(doc, dict) else None
    if not isinstance(given, dict):
        return None
    keys = []
    for kind in KEY_ORDER:
        cert = given.get(f"{kind}_certificate")
        if isinstance(cert, str) and CERT_LINE.match(cert.strip()):
            certificates.append(cert.strip())
        priv, pub = given.get(f"{kind}_private"), given.get(f"{kind}_public")
        if priv and pub:
            key = HostKey(kind, priv, pub)
            if kind == "rsa":
                key.bits = rsa_bits(key.blob)
            keys.append(key)
    return keys or None


def keys_from_script(text):
    keys = []
    for kind, pem in re.findall(r"cat > /etc/ssh/ssh_host_(\w+)_key <<'EOF_KEY'\n(.*?)EOF_KEY", text, re.S):
        private = serialization.load_ssh_private_key(pem.encode(), password=None)
        public = private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        key = HostKey(kind, pem, public.decode())
        if kind == "rsa":
            key.bits = rsa_bits(key.blob)
        keys.append(key)
    return keys or None


def rsa_bits(blob):
    def read(buf, off):
        n = int.from_bytes(buf[off : off + 4], "big")
        return buf[off + 4 : off + 4 + n], off + 4 + n

    _, off = read(blob, 0)
    _, off = read(blob, off)
    modulus, _ = read(blob, off)
    return int.from_bytes(modulus, "big").bit_length()


class SimInstance:
    def __init__(self, sim, instance, tags, user_data):
        self.sim = sim
        self.id = instance.id
        self.tags = tags
        self.launched = time.monotonic()
        self.delay = float(tags.get("sim:console-delay", sim.console_delay))
        self.console_flags = [f.strip() for f in tags.get("sim:console", "").split(",") if f.strip()]
        self.dir = os.path.join(sim.state_dir, self.id)
        os.makedirs(self.dir, mode=0o700)
        self.hostname = "ip-172-31-%d-%d" % (random.randint(0, 255), random.randint(1, 254))
        comment = f"root@{self.hostname}"
        types = [t for t in KEY_ORDER if t in tags.get("sim:key-types", ",".join(KEY_ORDER)).split(",")]
        seeded_certificates = []
        self.sshd_keys = keys_from_user_data(user_data, seeded_certificates) or [generate_key(t, comment) for t in types]
        self.seeded_certificates = seeded_certificates
        if tags.get("sim:mitm") == "true":
            # What the console (the trusted source) shows is not what answers on the wire.
            self.console_keys = [generate_key(k.kind, comment) for k in self.sshd_keys]
        else:
            self.console_keys = self.sshd_keys
        # An earlier boot's block (other keys) precedes the current one with `reboot`.
        self.old_boot_keys = [generate_key("ed25519", comment)] if "reboot" in self.console_flags else []
        # The first boot's block keeps its keys after a rekey; later output (text
        # appended with /_sim/console, boots from /_sim/rekey) follows in order.
        self.first_boot_keys = self.console_keys
        self.tail = []  # ("text", raw str) or ("boot", console keys)
        self.console_lock = threading.Lock()
        self.rekey_lock = threading.Lock()
        self.vpc_id = instance.vpc_id
        self.address = sim.allocate(tags.get("sim:address"))
        self.private_address = sim.allocate_private()
        self.public = tags.get("sim:public") != "none"
        self.sshd = None
        if tags.get("sim:sshd") != "off":
            self.start_sshd()

    def start_sshd(self):
        paths = []
        for key in self.sshd_keys:
            path = os.path.join(self.dir, f"ssh_host_{key.kind}_key")
            with open(path, "w") as f:
                f.write(key.private_pem if key.private_pem.endswith("\n") else key.private_pem + "\n")
            os.chmod(path, 0o600)
            with open(path + ".pub", "w") as f:
                f.write(key.public_line + "\n")
            paths.append(path)
        certificates = []
        # What the user-data installed, at first boot only (cloud-init's
        # <type>_certificate); later installs replace those files.
        for text in getattr(self, "seeded_certificates", []):
            kind = {"ssh-ed25519-cert-v01@openssh.com": "ed25519"}.get(text.split()[0], "ecdsa" if text.startswith("ecdsa") else "rsa")
            path = os.path.join(self.dir, f"ssh_host_{kind}_key-cert.pub")
            with open(path, "w") as f:
                f.write(text + "\n")
            self.installed_certificates = sorted(set(getattr(self, "installed_certificates", []) + [path]))
        self.seeded_certificates = []
        if self.tags.get("sim:host-cert") == "true":
            principals = ",".join([self.id, self.address, self.private_address])
            for path in paths:
                subprocess.run(
                    ["ssh-keygen", "-q", "-s", self.sim.host_ca(), "-I", f"sim:{self.id}", "-h",
                     "-n", principals, "-V", "-5m:+1h", path + ".pub"],
                    check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                )
                certificates.append(path + "-cert.pub")
        conf = os.path.join(self.dir, "sshd_config")
        with open(conf, "w") as f:
            f.write(f"ListenAddress {self.address}:{self.sim.ssh_port}\n")
            f.write(f"ListenAddress {self.private_address}:{self.sim.ssh_port}\n")
            for p in paths:
                f.write(f"HostKey {p}\n")
            for c in certificates + getattr(self, "installed_certificates", []):
                f.write(f"HostCertificate {c}\n")
            f.write(
                f"PidFile {self.dir}/sshd.pid\n"
                f"AuthorizedKeysFile {self.sim.state_dir}/authorized_keys\n"
                "StrictModes no\nUsePAM no\nPermitRootLogin yes\n"
                "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                "PrintMotd no\nPrintLastLog no\nUseDNS no\nLogLevel ERROR\n"
                "MaxStartups 200:30:400\nMaxSessions 100\n"
                "Subsystem sftp internal-sftp\n"
            )
        log = open(os.path.join(self.dir, "sshd.log"), "ab")
        self.sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", conf], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.sshd.poll() is not None:
                raise RuntimeError(f"sshd for {self.id} exited: see {self.dir}/sshd.log")
            try:
                socket.create_connection((self.address, self.sim.ssh_port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"sshd for {self.id} did not start listening")

    def install_certificates(self, texts):
        """What an operator (or `certify --install`) does on the instance:
        each certificate beside its host key, a HostCertificate line for it,
        sshd restarted on the same addresses. A certificate must be over one
        of sshd's own keys."""
        installed = []
        for text in texts:
            kind, blob = text.split()[:2]
            key_kind = {"ssh-ed25519-cert-v01@openssh.com": "ed25519",
                        "rsa-sha2-256-cert-v01@openssh.com": "rsa", "ssh-rsa-cert-v01@openssh.com": "rsa"}.get(kind)
            if key_kind is None and kind.startswith("ecdsa-sha2-"):
                key_kind = "ecdsa"
            if key_kind is None or not any(k.kind == key_kind for k in self.sshd_keys):
                raise ValueError(f"no {kind} host key to go with")
            path = os.path.join(self.dir, f"ssh_host_{key_kind}_key-cert.pub")
            with open(path, "w") as f:
                f.write(text.strip() + "\n")
            installed.append(path)
        self.installed_certificates = sorted(set(getattr(self, "installed_certificates", []) + installed))
        self.stop_sshd()
        self.start_sshd()

    def stop_sshd(self):
        if self.sshd and self.sshd.poll() is None:
            self.sshd.terminate()
            try:
                self.sshd.wait(5)
            except subprocess.TimeoutExpired:
                self.sshd.kill()
        self.sshd = None

    def append_console(self, text):
        """Raw text after everything the console shows so far (a program on the instance writing to it)."""
        with self.console_lock:
            self.tail.append(("text", text))

    def rekey(self, on_console=True):
        """A legitimate re-key: new host keys of the same types, sshd restarted
        on the same addresses, then a new boot with them on the console."""
        with self.rekey_lock:
            if self.address is None:
                raise LookupError(f"{self.id} is terminated")
            comment = f"root@{self.hostname}"
            new_keys = [generate_key(k.kind, comment) for k in self.sshd_keys]
            if self.tags.get("sim:mitm") == "true":
                console_keys = [generate_key(k.kind, comment) for k in new_keys]
            else:
                console_keys = new_keys
            running = self.sshd is not None
            self.stop_sshd()
            self.sshd_keys = new_keys
            if running:  # not when stopped, or with sim:sshd=off
                self.start_sshd()
            # cloud-init prints the keys at the end of boot, once sshd has them.
            with self.console_lock:
                self.console_keys = console_keys
                if on_console:
                    self.tail.append(("boot", console_keys))
            return new_keys

    def console_prefix(self):
        prefix = "ec2: "
        for f in self.console_flags:
            if f.startswith("prefix="):
                prefix = {
                    "ec2": "ec2: ",
                    "cloud-init": "cloud-init: ",
                    "syslog": "<14>Apr 22 19:51:35 cloud-init: ",
                    "none": "",
                }[f.split("=", 1)[1]]
        return prefix

    def console(self):
        if time.monotonic() - self.launched < self.delay:
            return ""
        flags = self.console_flags
        prefix = self.console_prefix()
        with self.console_lock:
            first_boot_keys, tail = self.first_boot_keys, list(self.tail)
        out = kernel_noise(self.hostname)
        if "scrolled" in flags:
            return out + cloud_init_finished()
        if "reboot" in flags:
            out += self.cloud_init_block(self.old_boot_keys, prefix, flags)
            out += kernel_noise(self.hostname)
        out += self.cloud_init_block(first_boot_keys, prefix, flags)
        out += cloud_init_finished()
        if "crlf" in flags:
            out = out.replace("\n", "\r\n")
        for kind, item in tail:
            if kind == "text":
                out += item  # raw, as written
                continue
            boot = kernel_noise(self.hostname) + self.cloud_init_block(item, prefix, flags) + cloud_init_finished()
            out += boot.replace("\n", "\r\n") if "crlf" in flags else boot
        return out

    def cloud_init_block(self, keys, prefix, flags):
        comment = f"root@{self.hostname}"
        out = ""
        if "keys-only" not in flags:
            lines = ["", "#" * 61, "-----BEGIN SSH HOST KEY FINGERPRINTS-----"]
            lines += [k.fingerprint_line(comment, md5="md5" in flags) for k in keys]
            lines += ["-----END SSH HOST KEY FINGERPRINTS-----", "#" * 61]
            for i, line in enumerate(lines):
                out += prefix + line + "\n"
                if "noisy" in flags and i == 3:
                    out += "[   39.112233] systemd[1]: Started Daily apt download activities.\n"
        if "fingerprints-only" not in flags:
            out += "-----BEGIN SSH HOST KEY KEYS-----\n"
            for i, k in enumerate(keys):
                line = k.public_line + " \n" if i == 0 else k.public_line + "\n"
                if "escapes" in flags and i == 0:
                    line = "\x1b[0;32m" + line.rstrip("\n") + "\x1b[0m\n"
                out += line
            out += "-----END SSH HOST KEY KEYS-----\n"
        return out


def cloud_init_finished():
    return "[   41.337812] cloud-init[1021]: Cloud-init v. 23.1.2 finished at %s. Datasource DataSourceEc2Local.  Up 41.33 seconds\n" % time.strftime(
        "%a, %d %b %Y %H:%M:%S +0000", time.gmtime()
    )


def kernel_noise(hostname):
    return (
        "[    0.000000] Linux version 6.1.0-18-cloud-amd64 (debian-kernel@lists.debian.org)\n"
        "[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-cloud-amd64 root=PARTUUID=1b2c console=ttyS0\n"
        "[    1.204331] EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode.\n"
        f"[   12.771204] cloud-init[512]: Cloud-init v. 23.1.2 running 'init' ... {hostname}\n"
        "ci-info: ++++++++++++++++++++++++Net device info+++++++++++++++++++++++\n"
        "ci-info: | Device |  Up  |   Address    |      Mask     | Scope  |\n"
        "[   38.551902] cloud-init[1021]: Generating public/private ed25519 key pair.\n"
    )


class Sim:
    def __init__(self, state_dir, net, private_net, ssh_port, console_delay):
        self.state_dir = state_dir
        self.net = net
        self.private_net = private_net
        self.private_used = set()
        self.dns = {}
        self.ssh_port = ssh_port
        self.console_delay = console_delay
        self.instances = {}
        self.used = set()
        self.calls = []
        self.call_log = []  # {"action", "start", "end"}: seconds on one monotonic clock
        self.faults = {}
        # Role ARNs whose AssumeRole is refused (GET /_sim/role?deny=ARN).
        self.denied_roles = set()
        self.ssm_documents = set()
        self.ssm_commands = {}
        self.lock = threading.Lock()
        self.endpoints = None  # eice.Endpoints, once the server runs
        self.make_client_key()

    def host_ca(self):
        """The testbed's host CA (as a fleet's Vault or step-ca would sign
        with): its private key's path, made on first use."""
        path = os.path.join(self.state_dir, "host_ca")
        with self.lock:
            if not os.path.exists(path):
                subprocess.run(
                    ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sim-host-ca", "-f", path],
                    check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                )
        return path

    def make_client_key(self):
        key = ed25519.Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
        pub = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        path = os.path.join(self.state_dir, "client_key")
        with open(path, "wb") as f:
            f.write(pem)
        os.chmod(path, 0o600)
        with open(path + ".pub", "wb") as f:
            f.write(pub + b" sim-client\n")
        with open(os.path.join(self.state_dir, "authorized_keys"), "wb") as f:
            f.write(pub + b" sim-client\n")

    def allocate(self, wanted):
        with self.lock:
            if wanted:
                if wanted in self.used:
                    raise RuntimeError(f"address {wanted} is in use")
                self.used.add(wanted)
                return wanted
            return first_free(self.net, self.used)

    def allocate_private(self):
        with self.lock:
            return first_free(self.private_net, self.private_used)

    def take_fault(self, action):
        with self.lock:
            fault = self.faults.get(action)
            if not fault or fault["count"] == 0:
                return None
            if fault["after"] > 0:
                fault["after"] -= 1
                return None
            if fault["count"] > 0:
                fault["count"] -= 1
            return fault

    def release(self, addr, private_addr):
        with self.lock:
            self.used.discard(addr)
            self.private_used.discard(private_addr)

    def boot(self, instance, user_data):
        tags = {t["key"]: t["value"] for t in instance.get_tags()}
        text = user_data.decode() if user_data is not None else ""
        sim_inst = SimInstance(self, instance, tags, text)
        instance.nics[0].public_ip = sim_inst.address if sim_inst.public else None
        instance.nics[0].private_ip_address = sim_inst.private_address
        if "sim:launched-ago" in tags:
            instance.launch_time = instance.launch_time - datetime.timedelta(seconds=float(tags["sim:launched-ago"]))
        if tags.get("sim:state") == "pending":
            instance._state.name, instance._state.code = "pending", 0
            if "sim:pending-for" in tags:

                def run():
                    instance._state.name, instance._state.code = "running", 16

                threading.Timer(float(tags["sim:pending-for"]), run).start()
        self.instances[instance.id] = sim_inst

    def shutdown(self):
        if self.endpoints:
            self.endpoints.shutdown()
        for inst in list(self.instances.values()):
            inst.stop_sshd()


SIM = None


def first_free(net, used):
    """The first address of the /24 `net` not in `used` (which it joins)."""
    for host in range(10, 255):
        addr = f"{net}.{host}"
        if addr not in used:
            used.add(addr)
            return addr
    raise RuntimeError(f"address pool {net}.0/24 exhausted")


def install_patches():
    original_run = InstanceBackend.run_instances
    original_terminate = Instance.terminate
    original_stop = Instance.stop

    def run_instances(self, image_id, count, user_data, security_group_names, **kwargs):
        reservation = original_run(self, image_id, count, user_data, security_group_names, **kwargs)
        for instance in reservation.instances:
            SIM.boot(instance, user_data)
        return reservation

    def terminate(self):
        sim_inst = SIM.instances.get(self.id)
        state = original_terminate(self)
        if sim_inst and sim_inst.address:
            sim_inst.stop_sshd()
            SIM.release(sim_inst.address, sim_inst.private_address)
            sim_inst.address = None
            self.nics[0].public_ip = None if self.nics else None
        return state

    def stop(self):
        sim_inst = SIM.instances.get(self.id)
        if sim_inst:
            sim_inst.stop_sshd()
        return original_stop(self)

    def get_console_output(self):
        self.error_on_dryrun()
        instance_id = self._get_param("InstanceId")
        instance = self.ec2_backend.get_instance(instance_id)
        sim_inst = SIM.instances.get(instance.id)
        text = sim_inst.console() if sim_inst else ""
        result = {"InstanceId": instance.id, "Timestamp": utcnow()}
        if text:
            result["Output"] = Base64EncodedString.from_raw_string(text)
        return ActionResult(result)

    InstanceBackend.run_instances = run_instances
    Instance.terminate = terminate
    Instance.stop = stop
    General.get_console_output = get_console_output


def harness_app(moto_app):
    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/_sim/calls":
            detail = "detail=1" in environ.get("QUERY_STRING", "")
            body = json.dumps(SIM.call_log if detail else SIM.calls).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/_sim/fault":
            params = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
            SIM.faults[params["action"][0]] = {
                "kind": params["kind"][0],
                "count": int(params.get("count", ["-1"])[0]),
                "seconds": float(params.get("seconds", ["0"])[0]),
                "after": int(params.get("after", ["0"])[0]),
            }
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        if path == "/_sim/keys":
            keys = {i.id: sorted(" ".join(k.public_line.split()[:2]) for k in i.sshd_keys) for i in SIM.instances.values()}
            body = json.dumps(keys).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/_sim/dns":
            params = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
            name = params["name"][0].rstrip(".").lower()
            if "cname" in params:
                SIM.dns[name] = ("CNAME", params["cname"][0].rstrip(".").lower())
            else:
                SIM.dns[name] = ("A", params["a"][0])
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        if path == "/_sim/host-cert":
            params = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
            sim_inst = SIM.instances.get(params.get("id", [""])[0])
            if sim_inst is None:
                return text_response(start_response, "404 Not Found", "no such instance")
            try:
                sim_inst.install_certificates(params.get("cert", []))
            except (ValueError, RuntimeError) as e:
                return text_response(start_response, "409 Conflict", str(e))
            return text_response(start_response, "200 OK", "ok")
        if path in ("/_sim/console", "/_sim/rekey"):
            params = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            sim_inst = SIM.instances.get(params.get("id", [""])[0])
            if sim_inst is None:
                return text_response(start_response, "404 Not Found", "no such instance")
            if path == "/_sim/console":
                if "scroll" in params:
                    sim_inst.console_flags.append("scrolled")
                else:
                    sim_inst.append_console(params.get("append", [""])[0])
                return text_response(start_response, "200 OK", "ok")
            try:
                keys = sim_inst.rekey(on_console="quiet" not in params)
            except LookupError as e:
                return text_response(start_response, "409 Conflict", str(e))
            body = json.dumps(sorted(" ".join(k.public_line.split()[:2]) for k in keys)).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/_sim/eice":
            params = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
            if "deny" in params:
                SIM.endpoints.deny = params["deny"][0] == "1"
            if "skew" in params:
                SIM.endpoints.skew = float(params["skew"][0])
            if "cut" in params:
                SIM.endpoints.cut()
            if "state" in params:
                SIM.endpoints.set_state(params["id"][0], params["state"][0])
            return text_response(start_response, "200 OK", "ok")
        if path == "/_sim/vanish":
            # As AWS does about an hour after termination: EC2 no longer knows the instance.
            params = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
            gone = vanish(params.get("id", [""])[0])
            return text_response(start_response, "200 OK" if gone else "404 Not Found", "ok" if gone else "no such instance")
        if path == "/_sim/role":
            params = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
            for arn in params.get("deny", []):
                SIM.denied_roles.add(arn)
            for arn in params.get("allow", []):
                SIM.denied_roles.discard(arn)
            return text_response(start_response, "200 OK", "ok")
        if path == "/_sim/fault/clear":
            SIM.faults.clear()
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        if path == "/_sim/calls/reset":
            SIM.calls.clear()
            SIM.call_log.clear()
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("AmazonSSM."):
            return ssm_app(moto_app, target.split(".", 1)[1], environ, start_response)
        if presigned_url_expired(environ.get("QUERY_STRING", "")):
            # Real S3 refuses a presigned URL past X-Amz-Date + X-Amz-Expires; moto does not check.
            body = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
            start_response("403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
            return [body]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        action = urllib.parse.parse_qs(raw.decode("utf-8", "replace")).get("Action", [None])[0]
        if not action:
            # S3's REST calls, logged by name (s3:GetObject, …) like the query APIs.
            s3_call = s3_action(environ)
            SIM.calls.append(s3_call)
            region = bucket_region(environ)
            if region and s3_call != "s3:CreateBucket" and signed_region(environ) != region:
                return s3_redirect(environ, region, start_response)
            expected = environ.get("HTTP_X_AMZ_EXPECTED_BUCKET_OWNER")
            if expected and bucket_owner(environ) not in (None, expected):
                # S3 refuses a request whose ExpectedBucketOwner is not the bucket's owner.
                body = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
                head = environ.get("REQUEST_METHOD") == "HEAD"
                start_response("403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", "0" if head else str(len(body)))])
                return [b"" if head else body]
            if s3_call == "s3:GetBucketVersioning":
                return versioning_app(moto_app, environ, start_response)
            return moto_app(environ, start_response)
        SIM.calls.append(action)
        entry = {"action": action, "start": time.monotonic(), "end": None}
        SIM.call_log.append(entry)
        try:
            fault = SIM.take_fault(action)
            if fault and fault["kind"] != "slow":
                return fault_response(fault["kind"], action, start_response)
            role = urllib.parse.parse_qs(raw.decode("utf-8", "replace")).get("RoleArn", [None])[0]
            if action == "AssumeRole" and role in SIM.denied_roles:
                return sts_denied(role, start_response)
            if action in EICE_ACTIONS:
                answer = eice_app(action, urllib.parse.parse_qs(raw.decode()), environ, start_response)
            else:
                answer = moto_app(environ, start_response)
            return answer_at(entry["start"] + fault["seconds"], answer) if fault else answer
        finally:
            entry["end"] = time.monotonic()

    return app


def versioning_app(moto_app, environ, start_response):
    """moto answers GetBucketVersioning on a never-versioned bucket with a
    GetBucketVersioningResponse root; S3 (and the SDKs) use VersioningConfiguration."""
    captured = {}

    def capture(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers

    body = b"".join(moto_app(environ, capture))
    body = body.replace(b"GetBucketVersioningResponse", b"VersioningConfiguration")
    headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
    start_response(captured["status"], headers + [("Content-Length", str(len(body)))])
    return [body]


def bucket_region(environ):
    """The region of the (path-style) bucket a request names, if it exists."""
    from moto.s3.models import s3_backends

    parts = [p for p in environ.get("PATH_INFO", "/").split("/") if p]
    if not parts or parts[0].startswith("_sim"):
        return None
    owner = s3_backends.bucket_accounts.get(parts[0])
    if not owner:
        return None
    partition, account = owner
    bucket = s3_backends[account][partition].buckets.get(parts[0])
    return bucket.region_name if bucket else None


def bucket_owner(environ):
    """The account that owns the (path-style) bucket a request names, if it exists."""
    from moto.s3.models import s3_backends

    parts = [p for p in environ.get("PATH_INFO", "/").split("/") if p]
    owner = s3_backends.bucket_accounts.get(parts[0]) if parts else None
    return owner[1] if owner else None


def signed_region(environ):
    """The region a request was signed for: its Authorization header, or a
    presigned URL's X-Amz-Credential."""
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    credential = query.get("X-Amz-Credential", [""])[0]
    if credential:
        parts = credential.split("/")
        return parts[2] if len(parts) > 2 else "us-east-1"
    return request_region(environ)


def s3_redirect(environ, region, start_response):
    """What S3 answers a request sent to another region than its bucket's:
    301 PermanentRedirect, naming the region in x-amz-bucket-region (a HEAD
    gets no body)."""
    body = b"" if environ.get("REQUEST_METHOD") == "HEAD" else (
        "<?xml version='1.0' encoding='UTF-8'?><Error><Code>PermanentRedirect</Code>"
        "<Message>The bucket you are attempting to access must be addressed using the specified endpoint. "
        f"Please send all future requests to this endpoint.</Message><Region>{region}</Region></Error>"
    ).encode()
    start_response("301 Moved Permanently", [
        ("Content-Type", "application/xml"), ("x-amz-bucket-region", region), ("Content-Length", str(len(body))),
    ])
    return [body]


def s3_action(environ):
    """The S3 operation a REST request is, as the call log names it."""
    method = environ.get("REQUEST_METHOD", "GET")
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    parts = [p for p in environ.get("PATH_INFO", "/").split("/") if p]
    if len(parts) <= 1:
        if "versions" in query:
            return "s3:ListObjectVersions"
        for sub, name in (("versioning", "GetBucketVersioning"), ("encryption", "GetBucketEncryption"),
                          ("policyStatus", "GetBucketPolicyStatus"), ("publicAccessBlock", "GetPublicAccessBlock")):
            if sub in query:
                return f"s3:{'Put' + name[3:] if method == 'PUT' else name}"
        if method == "GET":
            return "s3:ListObjectsV2" if query.get("list-type") == ["2"] else "s3:ListObjects"
        return {"HEAD": "s3:HeadBucket", "PUT": "s3:CreateBucket", "DELETE": "s3:DeleteBucket"}.get(method, f"s3:{method}")
    return {"GET": "s3:GetObject", "PUT": "s3:PutObject", "DELETE": "s3:DeleteObject",
            "HEAD": "s3:HeadObject"}.get(method, f"s3:{method}")


SSM_FAULTS = {
    "throttle": ("400 Bad Request", "ThrottlingException", "Rate exceeded"),
    "internal": ("500 Internal Server Error", "InternalServerError", "An internal error has occurred."),
    "unauthorized": (
        "400 Bad Request",
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/test is not authorized to perform: ssm:{action} on resource: {resource}",
    ),
}


EICE_ACTIONS = ("CreateInstanceConnectEndpoint", "DescribeInstanceConnectEndpoints")


def request_region(environ):
    """The region a SigV4-signed request was signed for."""
    match = re.search(r"Credential=[^/]+/\d+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else "us-east-1"


def eice_app(action, params, environ, start_response):
    from moto.ec2.models import ec2_backends

    region = request_region(environ)
    xmlns = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
    if action == "CreateInstanceConnectEndpoint":
        subnet_id = params["SubnetId"][0]
        subnet = ec2_backends["123456789012"][region].get_subnet(subnet_id)
        endpoint = SIM.endpoints.create(subnet_id, subnet.vpc_id, subnet.availability_zone, region)
        item = eice.describe_xml([endpoint])[len("<item>") : -len("</item>")]
        body = (
            f"<CreateInstanceConnectEndpointResponse {xmlns}><requestId>sim</requestId>"
            f"<instanceConnectEndpoint>{item}</instanceConnectEndpoint>"
            "</CreateInstanceConnectEndpointResponse>"
        )
    else:
        ids = [v[0] for k, v in params.items() if k.startswith("InstanceConnectEndpointId.")]
        filters = {}
        for key, value in params.items():
            m = re.fullmatch(r"Filter\.(\d+)\.Name", key)
            if m:
                n = m.group(1)
                filters[value[0]] = [v[0] for k, v in params.items() if k.startswith(f"Filter.{n}.Value.")]
        found = SIM.endpoints.describe(ids, filters, region)
        body = (
            f"<DescribeInstanceConnectEndpointsResponse {xmlns}><requestId>sim</requestId>"
            f"<instanceConnectEndpointSet>{eice.describe_xml(found)}</instanceConnectEndpointSet>"
            "</DescribeInstanceConnectEndpointsResponse>"
        )
    return text_response(start_response, "200 OK", body)


def json_response(start_response, status, value):
    body = json.dumps(value).encode()
    start_response(status, [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))])
    return [body]


def ssm_error(start_response, status, code, message):
    return json_response(start_response, status, {"__type": code, "message": message})


def ssm_app(moto_app, action, environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    request = json.loads(raw or b"{}")
    SIM.calls.append(action)
    now = time.monotonic()
    SIM.call_log.append({"action": action, "start": now, "end": now})
    document = request.get("DocumentName", "")
    faults = [SIM.take_fault(action)]
    if document:
        faults.insert(0, SIM.take_fault(f"{action}:{document}"))
    fault = next((f for f in faults if f), None)
    if fault and fault["kind"] != "slow":
        status, code, message = SSM_FAULTS[fault["kind"]]
        resource = f"arn:aws:ssm:us-east-1::document/{document}" if document else "*"
        return ssm_error(start_response, status, code, message.format(action=action, resource=resource))
    answer = ssm_answer(moto_app, action, request, document, environ, start_response)
    return answer_at(now + fault["seconds"], answer) if fault else answer


def answer_at(deadline, answer):
    """A slowed call's answer, held until `deadline` (work done meanwhile counts)."""
    answer = list(answer)
    time.sleep(max(0.0, deadline - time.monotonic()))
    return answer


# The allowedPattern of each parameter of ec2-hostkey's install document.
CERT_PATTERNS = {
    "ed25519": r"(ssh-ed25519-cert-v01@openssh\.com [A-Za-z0-9+/]+={0,2})?",
    "ecdsa": r"(ecdsa-sha2-nistp(256|384|521)-cert-v01@openssh\.com [A-Za-z0-9+/]+={0,2})?",
    "rsa": r"((rsa-sha2-256|rsa-sha2-512|ssh-rsa)-cert-v01@openssh\.com [A-Za-z0-9+/]+={0,2})?",
}


def ssm_answer(moto_app, action, request, document, environ, start_response):
    if action == "CreateDocument":
        SIM.ssm_documents.add(request.get("Name", ""))
        return moto_app(environ, start_response)
    if action == "DescribeInstanceInformation":
        ids = []
        for f in request.get("Filters", []) + request.get("InstanceInformationFilterList", []):
            if f.get("Key", f.get("key")) in ("InstanceIds", "InstanceIds".lower()):
                ids += f.get("Values", f.get("valueSet", []))
        managed = [i for i in SIM.instances.values() if i.tags.get("sim:ssm") and (not ids or i.id in ids)]
        info = [
            {
                "InstanceId": i.id,
                "PingStatus": "ConnectionLost" if i.tags["sim:ssm"] == "offline" else "Online",
                "PlatformType": "Linux",
                "AgentVersion": "3.3.0.0",
            }
            for i in managed
        ]
        return json_response(start_response, "200 OK", {"InstanceInformationList": info})
    if action == "SendCommand":
        if document != "AWS-RunShellScript" and document not in SIM.ssm_documents:
            return ssm_error(start_response, "400 Bad Request", "InvalidDocument", f"Document {document} does not exist.")
        if document == "AWS-RunShellScript":
            commands = " ".join(request.get("Parameters", {}).get("commands", []))
            if "/etc/ssh/ssh_host_" not in commands:
                return ssm_error(start_response, "400 Bad Request", "InvalidParameters", "the testbed runs only the host key read")
        # ec2-hostkey's install document (ssm-document --certify): SSM checks
        # each parameter against its allowedPattern before any agent sees it.
        parameters = request.get("Parameters", {})
        install = None
        if document != "AWS-RunShellScript" and set(parameters) & set(CERT_PATTERNS):
            install = []
            for kind, values in parameters.items():
                pattern = CERT_PATTERNS.get(kind)
                value = values[0] if values else ""
                if pattern is None or not re.fullmatch(pattern, value):
                    return ssm_error(start_response, "400 Bad Request", "InvalidParameters",
                                     f"Parameter \"{kind}\" does not match its allowed pattern")
                if value:
                    install.append(value)
        ids = request.get("InstanceIds", [])
        for instance_id in ids:
            inst = SIM.instances.get(instance_id)
            if inst is None or inst.tags.get("sim:ssm") in (None, "offline") or inst.address is None:
                return ssm_error(start_response, "400 Bad Request", "InvalidInstanceId", "Instances not in a valid state for account")
        command_id = "%08x-%04x-%04x-%04x-%012x" % tuple(random.getrandbits(b) for b in (32, 16, 16, 16, 48))
        SIM.ssm_commands[command_id] = {"ids": ids, "sent": time.monotonic(), "document": document,
                                        "install": install, "done": set()}
        return json_response(
            start_response,
            "200 OK",
            {"Command": {"CommandId": command_id, "DocumentName": document, "InstanceIds": ids, "Status": "Pending"}},
        )
    if action == "GetCommandInvocation":
        command = SIM.ssm_commands.get(request.get("CommandId", ""))
        instance_id = request.get("InstanceId", "")
        if command is None or instance_id not in command["ids"]:
            return ssm_error(start_response, "400 Bad Request", "InvocationDoesNotExist", "")
        inst = SIM.instances[instance_id]
        delay = float(inst.tags.get("sim:ssm-delay", "0.3"))
        state = inst.tags.get("sim:ssm")
        result = {"CommandId": request["CommandId"], "InstanceId": instance_id, "DocumentName": command["document"]}
        if time.monotonic() - command["sent"] < delay:
            result.update(Status="InProgress", StatusDetails="InProgress", StandardOutputContent="")
        elif state == "timeout":
            result.update(Status="TimedOut", StatusDetails="DeliveryTimedOut", StandardOutputContent="")
        elif state == "failed":
            result.update(Status="Failed", StatusDetails="Failed", StandardOutputContent="",
                          StandardErrorContent="cat: /etc/ssh/ssh_host_ed25519_key.pub: Permission denied")
        elif command.get("install") is not None:
            # What the install document does as root: the certificate files,
            # the HostCertificate drop-in, sshd -t, a reload.
            if instance_id not in command["done"]:
                command["done"].add(instance_id)
                try:
                    inst.install_certificates(command["install"])
                except (ValueError, RuntimeError) as e:
                    result.update(Status="Failed", StatusDetails="Failed", StandardOutputContent="",
                                  StandardErrorContent=str(e))
                    return json_response(start_response, "200 OK", result)
            result.update(Status="Success", StatusDetails="Success", StandardOutputContent="installed\n",
                          ResponseCode=0)
        else:
            with inst.console_lock:
                keys = list(inst.console_keys)
            out = "".join(k.public_line + "\n" for k in keys)
            result.update(Status="Success", StatusDetails="Success", StandardOutputContent=out, ResponseCode=0)
        return json_response(start_response, "200 OK", result)
    return moto_app(environ, start_response)


def text_response(start_response, status, text):
    body = text.encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


FAULTS = {
    "throttle": ("503 Service Unavailable", "RequestLimitExceeded", "Request limit exceeded."),
    "unavailable": ("503 Service Unavailable", "Unavailable", "The service is unavailable."),
    "internal": ("500 Internal Server Error", "InternalError", "An internal error has occurred."),
    "unauthorized": (
        "403 Forbidden",
        "UnauthorizedOperation",
        "You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/test is not authorized to perform: ec2:{action}",
    ),
    "expired": ("400 Bad Request", "RequestExpired", "Request has expired."),
}


def fault_response(kind, action, start_response):
    status, code, message = FAULTS[kind]
    body = (
        "<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error>"
        f"<Code>{code}</Code><Message>{message.format(action=action)}</Message>"
        "</Error></Errors><RequestID>sim-fault</RequestID></Response>"
    ).encode()
    start_response(status, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


def vanish(instance_id):
    """Removes a terminated instance from every account's and region's backend."""
    from moto.ec2.models import ec2_backends
    found = False
    for account in list(ec2_backends.keys()):
        regions = ec2_backends[account]
        for region in list(regions.keys()):
            backend = regions[region]
            for res_id, reservation in list(backend.reservations.items()):
                kept = [i for i in reservation.instances if i.id != instance_id]
                if len(kept) != len(reservation.instances):
                    found = True
                    if kept:
                        reservation.instances = kept
                    else:
                        del backend.reservations[res_id]
    return found


def sts_denied(role, start_response):
    """STS's refusal of AssumeRole, as the role's trust policy would refuse it (moto checks none)."""
    body = (
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
        "<Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/testing is not authorized "
        f"to perform: sts:AssumeRole on resource: {role}</Message></Error>"
        "<RequestId>sim-denied</RequestId></ErrorResponse>"
    ).encode()
    start_response("403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


def presigned_url_expired(query):
    params = urllib.parse.parse_qs(query)
    date, expires = params.get("X-Amz-Date", [None])[0], params.get("X-Amz-Expires", [None])[0]
    if not date or not expires:
        return False
    signed = calendar.timegm(time.strptime(date, "%Y%m%dT%H%M%SZ"))
    return time.time() > signed + int(expires)


class QuietLogger:
    """dnslib logs every query to stdout, which the harness stops reading after READY."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class DnsResolver(BaseResolver):
    """Answers from SIM.dns, following CNAME chains as a recursive resolver does."""

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        if name not in SIM.dns:
            # As a real zone answers: NXDOMAIN with the zone's SOA (for negative caching).
            reply.header.rcode = RCODE.NXDOMAIN
            zone = name.split(".", 1)[-1] + "."
            soa = SOA("ns." + zone, "admin." + zone, (1, 3600, 600, 86400, 60))
            reply.add_auth(RR(zone, QTYPE.SOA, rdata=soa, ttl=60))
            return reply
        for _ in range(8):
            record = SIM.dns.get(name)
            if record is None:
                break
            kind, value = record
            if kind == "CNAME":
                reply.add_answer(RR(name + ".", QTYPE.CNAME, rdata=CNAME(value + "."), ttl=60))
                name = value
            else:
                if request.q.qtype in (QTYPE.A, QTYPE.ANY):
                    reply.add_answer(RR(name + ".", QTYPE.A, rdata=A(value), ttl=60))
                break
        return reply


def start_dns(port):
    """UDP and TCP DNS on one port of 127.0.0.1; with port 0, a free one (TCP may
    hold the port UDP got, so try again until both bind)."""
    for _ in range(50):
        udp = DNSServer(DnsResolver(), port=port, address="127.0.0.1", logger=QuietLogger())
        got = udp.server.server_address[1]
        try:
            tcp = DNSServer(DnsResolver(), port=got, address="127.0.0.1", tcp=True, logger=QuietLogger())
        except OSError:
            udp.server.server_close()
            if port:
                raise
            continue
        udp.start_thread()
        tcp.start_thread()
        return got
    raise RuntimeError("no port free for DNS on both UDP and TCP")


def pick_net(avoid=None):
    for _ in range(100):
        net = f"127.{random.randint(100, 250)}.{random.randint(0, 255)}"
        if net == avoid:
            continue
        try:
            s = socket.socket()
            s.bind((f"{net}.10", 0))
            s.close()
            return net
        except OSError:
            continue
    raise RuntimeError("no free loopback /24 found")


# --print-env and --daemon: the testbed for a human's shell (docs/testbed.md).
def shell_env(state_dir, port, https_port, dns_port):
    """`export` lines, for eval, that point ec2-hostkey, the aws CLI and boto3
    at this testbed: its API over HTTPS with its CA (as AWS serves it), the
    credentials its EIC Endpoints accept, and its DNS server (which answers
    the endpoints' names and the aliases added with /_sim/dns)."""
    quote = lambda v: "'" + v.replace("'", "'\\''") + "'"
    state_dir = os.path.abspath(state_dir)
    pid = os.getpid()
    values = [
        ("AWS_ENDPOINT_URL", f"https://127.0.0.1:{https_port}"),
        ("AWS_CA_BUNDLE", os.path.join(state_dir, "eice-ca.pem")),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("EC2_HOSTKEY_NAMESERVER", f"127.0.0.1:{dns_port}"),
        ("EC2_HOSTKEY_SIM_API", f"http://127.0.0.1:{port}"),
        ("EC2_HOSTKEY_SIM_STATE", state_dir),
        ("EC2_HOSTKEY_SIM_PID", str(pid)),
    ]
    lines = [
        f"# ec2-hostkey testbed (tests/sim/sim.py), pid {pid}: stop it with  kill {pid}",
        # Settings that would win over these or not fit the testbed's credentials.
        "unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_USE_FIPS_ENDPOINT"
        " AWS_ENDPOINT_URL_EC2 AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_SSM",
    ]
    lines += [f"export {name}={quote(value)}" for name, value in values]
    return "\n".join(lines) + "\n"


def daemonize(state_dir, owned_dir):
    """--daemon: the testbed carries on in a child process, in a session of its
    own, with stdin from /dev/null and stdout/stderr to <state-dir>/sim.log.
    This process prints what the child reports once it serves (READY or the
    --print-env lines) and exits 0; if the child dies first, it prints the
    log and exits 1. Returns, in the child, the file to report on."""
    log_path = os.path.join(state_dir, "sim.log")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_end)
        with os.fdopen(read_end) as report:
            text = report.read()
        if text:
            sys.stdout.write(text)
            sys.stdout.flush()
            os._exit(0)
        os.waitpid(pid, 0)
        try:
            with open(log_path) as f:
                log = f.read()
        except OSError:
            log = ""
        sys.stderr.write(f"sim: the testbed did not start; its log ({log_path}):\n{log}")
        if owned_dir:
            shutil.rmtree(state_dir, ignore_errors=True)
        os._exit(1)
    os.close(read_end)
    os.setsid()
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(devnull)
    os.close(log)
    return os.fdopen(write_end, "w")


def main():
    global SIM
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="API port (0: any free port)")
    parser.add_argument("--net", default=None, help="loopback /24 for instances, e.g. 127.77.3 (default: random)")
    parser.add_argument("--dns-port", type=int, default=0, help="DNS server port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--ssh-port", type=int, default=22, help="port every sshd listens on")
    parser.add_argument("--console-delay", type=float, default=0.0, help="default seconds before console output appears")
    parser.add_argument("--state-dir", default=None, help="where instance files live (default: a temp dir, removed at exit)")
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="stop when stdin closes (the harness died)")
    parser.add_argument("--print-env", action="store_true",
                        help="once serving, print `export VAR='value'` lines for a shell (eval) instead of READY")
    parser.add_argument("--daemon", action="store_true",
                        help="run in the background (log: <state-dir>/sim.log) and return once serving; stop with kill PID")
    args = parser.parse_args()
    if args.daemon and args.exit_on_stdin_eof:
        parser.error("--daemon reads no stdin: stop it with kill instead of --exit-on-stdin-eof")

    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege-separation dir
    owned_dir = args.state_dir is None
    state_dir = args.state_dir or tempfile.mkdtemp(prefix="ec2-hostkey-sim-")
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    report = daemonize(state_dir, owned_dir) if args.daemon else sys.stdout
    net = args.net or pick_net()
    SIM = Sim(state_dir, net, pick_net(avoid=net), args.ssh_port, args.console_delay)
    install_patches()
    SIM.endpoints = eice.Endpoints(SIM)

    app = harness_app(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    # The same API over HTTPS, as AWS serves it, with a certificate from the
    # testbed's CA (<state-dir>/eice-ca.pem, for AWS_CA_BUNDLE).
    api_tls = SIM.endpoints.ca.server_context(["127.0.0.1", "localhost"], state_dir)
    https_server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=api_tls)
    threading.Thread(target=https_server.serve_forever, daemon=True).start()

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()
        threading.Thread(target=https_server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(1):
                pass
        except Exception:
            pass
        stop()

    if args.exit_on_stdin_eof:
        threading.Thread(target=watch_stdin, daemon=True).start()

    dns_port = start_dns(args.dns_port)

    if args.print_env:
        report.write(shell_env(state_dir, server.server_port, https_server.server_port, dns_port))
    else:
        report.write(f"READY {server.server_port} {state_dir} {SIM.net} {dns_port} {https_server.server_port}\n")
    report.flush()
    if report is not sys.stdout:
        report.close()
    try:
        server.serve_forever(poll_interval=0.05)
    finally:
        SIM.shutdown()
        if owned_dir:
            shutil.rmtree(state_dir, ignore_errors=True)
    # Everything is stopped: exit now. Python's own shutdown would wait on
    # the stdin watcher, blocked in read(), and abort after a second and a half.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
