"""ec2-hostkey benchmark (run through contrib/bench).

Starts the testbed, launches an instance, and measures in one run:
  - connect time (`ssh host true`, --runs times): direct, ProxyCommand nc,
    ec2-hostkey proxy (warm; splice, and the portable --relay copy), proxy --fdpass (warm),
    KnownHostsCommand (warm);
  - bulk throughput (--bulk-mib MiB through `cat > /dev/null`) for the same;
  - the cold path: `ec2-hostkey fetch --no-cache` against the aws CLI doing
    describe-instances + get-console-output;
  - peak RSS of the proxy (warm and cold);
  - serve: warm connect through it (OpenSSH with nc -X 5) beside proxy's,
    bulk through it, and --serve-clients paramiko clients at once to 10 new
    instances (API calls made, time, serve's peak RSS);
  - the EC2 Instance Connect Endpoint path (--eice-*): connect time and bulk
    throughput to a private-only instance through the testbed's endpoint,
    `proxy --via eice` against websocat (pinned, given the same kind of
    presigned URL, made by botocore as the AWS CLI makes it) and a direct
    connection to the same private sshd.
Prints each figure and its ratio to the reference.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def interleaved(rows, runs, once, after=None):
    """The median ms of `once(row)` for each row over `runs` rounds. Rows take
    turns, so drift in machine load hits them all alike; `after(name)`, if
    given, runs after each timed call, off the clock."""
    samples = {name: [] for name in rows}
    for _ in range(runs):
        for name, row in rows.items():
            t = time.perf_counter()
            once(row)
            samples[name].append((time.perf_counter() - t) * 1000)
            if after:
                after(name)
    return {name: statistics.median(times) for name, times in samples.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--bulk-mib", type=int, default=1024)
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--bulk-rounds", type=int, default=7)
    ap.add_argument("--latency-ms", type=int, default=100,
                    help="delay the testbed adds to every API call for the cold-path rows")
    ap.add_argument("--latency-runs", type=int, default=7)
    ap.add_argument("--api", choices=["https", "http"], default="https",
                    help="how ec2-hostkey reaches the testbed's API: HTTPS as AWS serves it (the testbed's CA "
                         "in AWS_CA_BUNDLE), or plain HTTP")
    ap.add_argument("--only-latency", action="store_true", help="run only the cold-path latency rows")
    ap.add_argument("--only-serve", action="store_true", help="run only the serve rows")
    ap.add_argument("--serve-clients", type=int, default=200)
    ap.add_argument("--only-bulk", action="store_true",
                    help="run only the relay rows: interactive round trips and bulk throughput")
    ap.add_argument("--echo-rounds", type=int, default=500)
    ap.add_argument("--bulk-cipher", action="append",
                    help="cipher(s) for the bulk rows (repeatable; default aes128-gcm and chacha20-poly1305)")
    ap.add_argument("--only-eice", action="store_true", help="run only the EIC Endpoint rows")
    ap.add_argument("--only-accounts", action="store_true", help="run only the many-accounts rows")
    ap.add_argument("--accounts", type=int, default=10, help="accounts for the many-accounts rows")
    ap.add_argument("--account-regions", type=int, default=3, help="regions per account for those rows")
    ap.add_argument("--accounts-latency-ms", type=int, default=500,
                    help="API latency for those rows: the testbed takes in one request at a time (~3 ms each), "
                         "so 60 calls made at once reach it spread over ~200 ms; a latency well above that keeps "
                         "the rows about round trips")
    ap.add_argument("--eice-runs", type=int, default=10)
    ap.add_argument("--eice-bulk-mib", type=int, default=1024)
    ap.add_argument("--eice-bulk-rounds", type=int, default=3)
    ap.add_argument("--websocat", default=os.path.join(REPO, "target/bench-tools/bin/websocat"),
                    help="the reference websocket client (contrib/bench installs websocat 1.14.0 there)")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="ec2-hostkey-bench-")
    sim = subprocess.Popen(
        [sys.executable, os.path.join(REPO, "tests/sim/sim.py"), "--state-dir", os.path.join(work, "sim")],
        stdout=subprocess.PIPE,
        stderr=open(os.path.join(work, "sim.log"), "w"),
        text=True,
    )
    try:
        # READY <port> <state-dir> <net> <dns-port> <https-port>
        _, port, state, _, dns_port, https_port = sim.stdout.readline().split()[:6]
        run(args, work, port, state, int(dns_port), https_port)
    finally:
        if "proc" in SERVE:
            SERVE["proc"].terminate()
            SERVE["proc"].wait()
        sim.terminate()
        sim.wait()
        shutil.rmtree(work, ignore_errors=True)


def run(args, work, port, state, dns_port, https_port):
    import boto3

    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        AWS_EC2_METADATA_DISABLED="true",
        HOME=os.path.join(work, "home"),
        SHELL="/bin/sh",
    )
    os.makedirs(env["HOME"])
    ec2 = boto3.client("ec2", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                       aws_access_key_id="bench", aws_secret_access_key="bench")
    inst = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1,
                             TagSpecifications=[{"ResourceType": "instance",
                                                 "Tags": [{"Key": "Name", "Value": "bench"}]}])["Instances"][0]
    iid, ip = inst["InstanceId"], inst["PublicIpAddress"]
    if args.api == "https":
        env.update(AWS_ENDPOINT_URL=f"https://127.0.0.1:{https_port}",
                   AWS_CA_BUNDLE=os.path.join(state, "eice-ca.pem"))
    print(f"ec2-hostkey reaches the testbed's API at {env['AWS_ENDPOINT_URL']}")
    kh = os.path.join(work, "known_hosts")
    subprocess.run([args.bin, "fetch", "--write", "--known-hosts", kh, iid], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    base = ["ssh", "-F", "/dev/null", "-i", os.path.join(state, "client_key"), "-o", "IdentitiesOnly=yes",
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={kh}",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "ControlMaster=no", "-o", "ControlPath=none", "-l", os.environ.get("USER", "root")]
    rss = os.path.join(work, "rss")
    modes = {
        "direct": [],
        "nc": ["-o", "ProxyCommand=nc %h %p"],
        "proxy (warm)": ["-o", f"ProxyCommand={args.bin} proxy --known-hosts {kh} %h %p"],
        "proxy --relay copy": ["-o", f"ProxyCommand={args.bin} proxy --relay copy --known-hosts {kh} %h %p"],
        "proxy --fdpass": ["-o", "ProxyUseFdpass=yes",
                           "-o", f"ProxyCommand={args.bin} proxy --fdpass --known-hosts {kh} %h %p"],
        "known-hosts mode": ["-o", f"KnownHostsCommand={args.bin} known-hosts %H %t %K",
                             "-o", "UserKnownHostsFile=/dev/null"],
    }
    serve_port = start_serve(args, env, work, kh)
    modes["serve (nc -X 5)"] = ["-o", f"ProxyCommand=nc -X 5 -x 127.0.0.1:{serve_port} %h %p"]
    if args.only_serve:
        serve_rows(args, env, base, ip, kh, serve_port, ec2, port)
        return
    if args.only_latency:
        latency(args, env, port, base, kh, iid, ip)
        return
    if args.only_eice:
        eice(args, env, state, dns_port, base, kh, ec2)
        return
    if args.only_accounts:
        accounts(args, env, port, base, work, iid)
        return
    if args.only_bulk:
        interactive(args, env, base, ip, bulk_modes(args, kh, serve_port))
        bulk(args, env, base, ip, bulk_modes(args, kh, serve_port))
        return
    # Warm the cache for every mode once (also checks each works).
    for name, opts in modes.items():
        subprocess.run(base + opts + [ip, "true"], env=env, check=True)

    print(f"\n== connect time: ssh {ip} true, {args.runs} runs each (median, ms)")
    connect = interleaved(modes, args.runs,
                          lambda opts: subprocess.run(base + opts + [ip, "true"], env=env, check=True))
    for name, ms in connect.items():
        print(f"  {name:18} {ms:8.1f} ms   x{ms / connect['nc']:.3f} of nc   x{ms / connect['direct']:.3f} of direct")

    interactive(args, env, base, ip, bulk_modes(args, kh, serve_port))
    bulk(args, env, base, ip, bulk_modes(args, kh, serve_port))
    serve_rows(args, env, base, ip, kh, serve_port, ec2, port)

    print(f"\n== cold path: verified keys of a fresh lookup, {args.cold_runs} runs (median, ms)")
    ours, theirs = [], []
    for _ in range(args.cold_runs):
        t = time.perf_counter()
        subprocess.run([args.bin, "fetch", "--no-cache", iid], env=env, check=True, stdout=subprocess.DEVNULL)
        ours.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        if shutil.which("aws"):
            subprocess.run(["aws", "ec2", "describe-instances", "--instance-ids", iid], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            subprocess.run(["aws", "ec2", "get-console-output", "--instance-id", iid], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            theirs.append((time.perf_counter() - t) * 1000)
    o = statistics.median(ours)
    print(f"  ec2-hostkey fetch  {o:8.1f} ms")
    if theirs:
        a = statistics.median(theirs)
        print(f"  aws CLI (2 calls)  {a:8.1f} ms   ec2-hostkey is x{o / a:.3f} of the aws CLI")
    else:
        print("  aws CLI not installed: no comparison")

    latency(args, env, port, base, kh, iid, ip)

    eice(args, env, state, dns_port, base, kh, ec2)

    accounts(args, env, port, base, work, iid)

    file_pass(args, env, work, iid, ip, inst["PublicDnsName"])

    # `forget` above cleared the cache for this instance: warm it again.
    subprocess.run(base + modes["proxy (warm)"] + [ip, "true"], env=env, check=True)
    print("\n== peak RSS (KiB)")
    for label, extra in [("proxy (warm)", ""), ("proxy (cold, --no-cache)", "--no-cache")]:
        # %% is ssh's escape for a literal % in ProxyCommand; ssh ends its proxy
        # with SIGHUP, which `time` must survive to report.
        opts = ["-o", f"ProxyCommand=sh -c \"trap '' HUP; exec /usr/bin/time -f %%M -o {rss} {args.bin} proxy "
                      f"{extra} --known-hosts {kh} %h %p\""]
        if os.path.exists(rss):
            os.remove(rss)
        subprocess.run(base + opts + [ip, "true"], env=env, check=True)
        # `time` writes once the proxy has exited, which can be just after ssh returns.
        deadline = time.time() + 10
        while time.time() < deadline and not (os.path.exists(rss) and os.path.getsize(rss) > 0):
            time.sleep(0.05)
        with open(rss) as f:
            kib = int(f.read().split()[-1])
        print(f"  {label:26} {kib:8d} KiB  ({kib / 1024:.1f} MiB)")


SERVE = {}


def start_serve(args, env, work, kh):
    """ec2-hostkey serve on a free loopback port, for the rest of the run."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(os.path.join(work, "serve.log"), "w")
    proc = subprocess.Popen([args.bin, "serve", "--listen", f"127.0.0.1:{port}", "--known-hosts", kh,
                             "--log-format", "json"], env=env, stderr=log, stdin=subprocess.DEVNULL)
    SERVE["proc"] = proc
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return port
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.02)


MANY = """
import sys, json, threading, paramiko
from python_socks.sync import Proxy
port, ids, n = int(sys.argv[1]), sys.argv[2].split(","), int(sys.argv[3])
ok = [False] * n
start = threading.Barrier(n)
def one(i):
    try:
        start.wait()
        sock = Proxy.from_url(f"socks5://127.0.0.1:{port}").connect(dest_host=ids[i % len(ids)], dest_port=22, timeout=300)
        t = paramiko.Transport(sock)
        t.banner_timeout = t.handshake_timeout = 300
        t.start_client(timeout=300)
        ok[i] = t.get_remote_server_key() is not None
        t.close()
    except Exception as e:
        print(repr(e), file=sys.stderr)
threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in threads: t.start()
for t in threads: t.join()
print(sum(ok))
"""


PARAMIKO_BULK = """
import sys, time, paramiko
from python_socks.sync import Proxy
through, host, key, user, mib = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
sock = Proxy.from_url(through).connect(dest_host=host, dest_port=22) if through != "direct" else None
client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
client.connect(host, port=22, username=user, key_filename=key, sock=sock, allow_agent=False, look_for_keys=False)
channel = client.get_transport().open_session()
channel.exec_command("cat > /dev/null")
block = bytes(32768)
t = time.perf_counter()
for _ in range(mib * 32):
    channel.sendall(block)
channel.shutdown_write()
channel.recv_exit_status()
print(time.perf_counter() - t)
"""


def serve_rows(args, env, base, ip, kh, serve_port, ec2, sim_port):
    """serve beside proxy: warm connect time, and --serve-clients paramiko
    clients at once to 10 fresh instances (API calls, time, peak RSS)."""
    import json
    import urllib.request
    proxy = ["-o", f"ProxyCommand={args.bin} proxy --known-hosts {kh} %h %p"]
    through = ["-o", f"ProxyCommand=nc -X 5 -x 127.0.0.1:{serve_port} %h %p"]
    rows = {"proxy (warm)": proxy, "serve (warm, nc -X 5)": through, "nc": ["-o", "ProxyCommand=nc %h %p"]}
    for opts in rows.values():
        subprocess.run(base + opts + [ip, "true"], env=env, check=True)
    print(f"\n== serve: connect time, ssh {ip} true, {args.runs} runs each, interleaved (median, ms)")
    median = interleaved(rows, args.runs,
                         lambda opts: subprocess.run(base + opts + [ip, "true"], env=env, check=True))
    for name, ms in median.items():
        print(f"  {name:24} {ms:8.1f} ms   x{ms / median['proxy (warm)']:.3f} of proxy (warm)")

    key, user = base[base.index("-i") + 1], base[base.index("-l") + 1]
    mib = max(16, args.bulk_mib // 8)
    print(f"\n== serve: bulk for a client that speaks SOCKS itself: paramiko sending {mib} MiB to "
          f"'cat > /dev/null', 3 rounds each, interleaved (best, MiB/s)")
    paramiko_rows = {"paramiko direct": "direct", "paramiko through serve": f"socks5://127.0.0.1:{serve_port}"}
    best = {name: 0.0 for name in paramiko_rows}
    for _ in range(3):
        for name, through in paramiko_rows.items():
            out = subprocess.run([sys.executable, "-c", PARAMIKO_BULK, through, ip, key, user, str(mib)],
                                 check=True, capture_output=True, text=True)
            best[name] = max(best[name], mib / float(out.stdout.strip()))
    for name, rate in best.items():
        print(f"  {name:24} {rate:8.1f} MiB/s   x{rate / best['paramiko direct']:.3f} of direct")

    fleet = ec2.run_instances(ImageId="ami-12345678", MinCount=10, MaxCount=10)["Instances"]
    ids = [i["InstanceId"] for i in fleet]
    sim = f"http://127.0.0.1:{sim_port}"
    urllib.request.urlopen(f"{sim}/_sim/calls/reset").read()
    pid = SERVE["proc"].pid
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", MANY, str(serve_port), ",".join(ids), str(args.serve_clients)],
                         check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    calls = json.loads(urllib.request.urlopen(f"{sim}/_sim/calls").read())
    with open(f"/proc/{pid}/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
    print(f"\n== serve: {args.serve_clients} paramiko clients at once (key exchange each) to 10 new instances")
    print(f"  verified {out.stdout.strip()} of {args.serve_clients} in {elapsed:.1f} s; "
          f"DescribeInstances {calls.count('DescribeInstances')}, GetConsoleOutput {calls.count('GetConsoleOutput')}; "
          f"serve's peak RSS {hwm} KiB ({hwm / 1024:.1f} MiB)")


def bulk_modes(args, kh, serve_port):
    """Every way the bytes can cross, side by side: the tool's own relays
    against nc and socat (the same job, one copy each) and a direct connection."""
    proxy = f"{args.bin} proxy --known-hosts {kh}"
    return {
        "direct": [],
        "nc": ["-o", "ProxyCommand=nc %h %p"],
        "socat": ["-o", "ProxyCommand=socat - TCP:%h:%p"],
        "proxy (default)": ["-o", f"ProxyCommand={proxy} %h %p"],
        "proxy --relay splice": ["-o", f"ProxyCommand={proxy} --relay splice %h %p"],
        "proxy --relay copy": ["-o", f"ProxyCommand={proxy} --relay copy %h %p"],
        "proxy --fdpass": ["-o", "ProxyUseFdpass=yes", "-o", f"ProxyCommand={proxy} --fdpass %h %p"],
        # Two hops (nc, then serve): compare with the nc row.
        "serve (nc -X 5)": ["-o", f"ProxyCommand=nc -X 5 -x 127.0.0.1:{serve_port} %h %p"],
    }


def interactive(args, env, base, ip, modes):
    """What a keystroke costs: one byte to `cat` on the instance and back,
    through each mode, --echo-rounds times on one connection (median, µs)."""
    print(f"\n== interactive: one byte to ssh {ip} cat and back, {args.echo_rounds} round trips (median, µs)")
    rtt = {}
    for name, opts in modes.items():
        ssh = subprocess.Popen(base + opts + [ip, "cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               env=env, bufsize=0)
        samples = []
        for _ in range(args.echo_rounds):
            t = time.perf_counter()
            ssh.stdin.write(b"x")
            if ssh.stdout.read(1) != b"x":
                raise SystemExit(f"{name}: the echo did not come back")
            samples.append((time.perf_counter() - t) * 1e6)
        ssh.stdin.close()
        ssh.wait()
        rtt[name] = statistics.median(samples)
    for name, us in rtt.items():
        print(f"  {name:22} {us:8.0f} µs   x{us / rtt['direct']:.3f} of direct")


def cpu_seconds():
    """CPU time the whole machine spent so far (user + system, all processes):
    a relay's cost shows in its own process and in the wakeups it causes ssh and sshd."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def bulk(args, env, base, ip, modes):
    size = args.bulk_mib * 1024 * 1024
    gib = size / (1 << 30)
    for cipher in args.bulk_cipher or ["aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com"]:
        print(f"\n== bulk: {args.bulk_mib} MiB through ssh -c {cipher} 'cat > /dev/null', "
              f"{args.bulk_rounds} rounds (MiB/s; CPU s/GiB is the whole machine's, median)")
        # Rounds rotate the order of the modes, so each one runs first, last and in between:
        # on 2 cores one mode's leftovers (page cache, TCP memory, CPU frequency) would
        # otherwise always land on the same neighbour.
        times = {name: [] for name in modes}
        cpu = {name: [] for name in modes}
        names = list(modes)
        for r in range(args.bulk_rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                c, t = cpu_seconds(), time.perf_counter()
                src = subprocess.Popen(["head", "-c", str(size), "/dev/zero"], stdout=subprocess.PIPE)
                subprocess.run(base + modes[name] + ["-c", cipher, ip, "cat > /dev/null"],
                               stdin=src.stdout, env=env, check=True)
                src.wait()
                times[name].append(time.perf_counter() - t)
                cpu[name].append((cpu_seconds() - c) / gib)
        best = {name: args.bulk_mib / min(t) for name, t in times.items()}
        median = {name: args.bulk_mib / statistics.median(t) for name, t in times.items()}
        for name in modes:
            print(f"  {name:22} best {best[name]:7.1f} MiB/s  x{best[name] / best['direct']:.3f}"
                  f"   median {median[name]:7.1f} MiB/s  x{median[name] / median['direct']:.3f} of direct"
                  f"   {statistics.median(cpu[name]):5.2f} CPU s/GiB")


def presigned_tunnel_url(env, endpoint, private_ip):
    """The URL `aws ec2-instance-connect open-tunnel` would open (the same botocore signer call)."""
    import urllib.parse

    import botocore.session
    from botocore.signers import RequestSigner

    session = botocore.session.get_session()
    session.set_credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])
    model = session.get_service_model("ec2-instance-connect")
    signer = RequestSigner(model.service_id, env["AWS_REGION"], model.signing_name, model.signature_version,
                           session.get_credentials(), session.get_component("event_emitter"))
    host = endpoint["DnsName"]
    query = urllib.parse.urlencode({"instanceConnectEndpointId": endpoint["InstanceConnectEndpointId"],
                                    "remotePort": 22, "privateIpAddress": private_ip,
                                    "maxTunnelDuration": 3600})
    return signer.generate_presigned_url(
        {"url": f"wss://{host}/openTunnel?{query}", "body": {}, "headers": {"host": host}, "method": "GET",
         "query_string": "", "url_path": "/", "context": {}},
        operation_name="openTunnel", expires_in=60)


def eice(args, env, state, dns_port, base, kh, ec2):
    """Connect and bulk to a private-only instance: our tunnel, websocat's, and direct."""
    if not os.access(args.websocat, os.X_OK):
        print(f"\n== EIC Endpoint: skipped ({args.websocat} missing; contrib/bench installs it)")
        return
    inst = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1,
                             TagSpecifications=[{"ResourceType": "instance",
                                                 "Tags": [{"Key": "Name", "Value": "bench-private"},
                                                          {"Key": "sim:public", "Value": "none"}]}])["Instances"][0]
    iid, private_ip = inst["InstanceId"], inst["PrivateIpAddress"]
    endpoint = ec2.create_instance_connect_endpoint(SubnetId=inst["SubnetId"])["InstanceConnectEndpoint"]
    import dnslib
    answer = dnslib.DNSRecord.parse(dnslib.DNSRecord.question(endpoint["DnsName"]).send("127.0.0.1", dns_port))
    endpoint_ip = str(answer.rr[0].rdata)
    ca = os.path.join(state, "eice-ca.pem")
    eenv = dict(env, AWS_CA_BUNDLE=ca, SSL_CERT_FILE=ca)
    ours = ["-o", f"ProxyCommand={args.bin} proxy --via eice --nameserver 127.0.0.1:{dns_port} "
                  f"--known-hosts {kh} %h %p"]
    subprocess.run(base + ours + [iid, "true"], env=eenv, check=True)  # verifies and records, once

    def reference():
        # ssh expands % in ProxyCommand: the URL's %XX escapes are written %%XX.
        url = presigned_tunnel_url(env, endpoint, private_ip).replace("%", "%%")
        return ["-o", f"ProxyCommand={args.websocat} --binary --no-line --tls-domain {endpoint['DnsName']} "
                      f"--ws-c-uri='{url}' - ws-c:ssl:tcp:{endpoint_ip}:443"]

    modes = {
        "direct (private)": lambda: [],
        "websocat": reference,
        "proxy --via eice": lambda: ours,
    }
    hosts = {"direct (private)": private_ip, "websocat": iid, "proxy --via eice": iid}
    for name, opts in modes.items():  # each works
        subprocess.run(base + opts() + [hosts[name], "true"], env=eenv, check=True)

    print(f"\n== EIC Endpoint: connect, ssh <private instance> true, {args.eice_runs} runs each (median, ms)")
    samples = {name: [] for name in modes}
    for _ in range(args.eice_runs):
        for name, opts in modes.items():
            o = opts()
            t = time.perf_counter()
            subprocess.run(base + o + [hosts[name], "true"], env=eenv, check=True)
            samples[name].append((time.perf_counter() - t) * 1000)
    connect = {name: statistics.median(t) for name, t in samples.items()}
    for name, ms in connect.items():
        print(f"  {name:18} {ms:8.1f} ms   x{connect['websocat'] / ms:.3f} of websocat's speed"
              f"   x{connect['direct (private)'] / ms:.3f} of direct's")

    size = args.eice_bulk_mib * 1024 * 1024
    print(f"\n== EIC Endpoint: bulk, {args.eice_bulk_mib} MiB through ssh 'cat > /dev/null', "
          f"{args.eice_bulk_rounds} rounds (MiB/s)")
    times = {name: [] for name in modes}
    names = list(modes)
    for r in range(args.eice_bulk_rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            o = modes[name]()
            src = subprocess.Popen(["head", "-c", str(size), "/dev/zero"], stdout=subprocess.PIPE)
            t = time.perf_counter()
            subprocess.run(base + o + ["-c", "aes128-gcm@openssh.com", hosts[name], "cat > /dev/null"],
                           stdin=src.stdout, env=eenv, check=True)
            times[name].append(time.perf_counter() - t)
            src.wait()
    best = {name: args.eice_bulk_mib / min(t) for name, t in times.items()}
    median = {name: args.eice_bulk_mib / statistics.median(t) for name, t in times.items()}
    for name in modes:
        print(f"  {name:18} best {best[name]:7.1f} MiB/s  x{best[name] / best['websocat']:.3f} of websocat"
              f"  x{best[name] / best['direct (private)']:.3f} of direct"
              f"   median {median[name]:7.1f} MiB/s  x{median[name] / median['websocat']:.3f} of websocat")


def latency(args, env, port, base, kh, iid, ip):
    """The cold path against an API that answers in --latency-ms, as the real
    one does from afar: each row's extra cost over the warm connect, in units
    of that delay (goals: cold by id <= 1.3, by Name tag <= 2.3, expired name <= 1.2)."""
    import urllib.request

    def sim(path):
        urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").read()

    proxy = f"ProxyCommand={args.bin} proxy --known-hosts {kh}"
    rows = {
        "warm (cached name)": (["-o", f"{proxy} %h %p"], "bench"),
        "cold by id": (["-o", f"{proxy} --no-cache %h %p"], iid),
        "cold by Name tag": (["-o", f"{proxy} --no-cache %h %p"], "bench"),
        "expired name": (["-o", f"{proxy} --cache-ttl 0s %h %p"], "bench"),
        "cold by id, --fdpass": (["-o", "ProxyUseFdpass=yes", "-o", f"{proxy} --fdpass --no-cache %h %p"], iid),
    }
    for opts, host in rows.values():  # warm every row (and check it works) before any delay
        subprocess.run(base + opts + [host, "true"], env=env, check=True)
    delay = args.latency_ms / 1000
    for action in ["DescribeInstances", "GetConsoleOutput", "DescribeInstanceAttribute", "DescribeRegions"]:
        sim(f"/_sim/fault?action={action}&kind=slow&seconds={delay}")
    print(f"\n== cold path with {args.latency_ms} ms per API call, {args.latency_runs} runs each (median, ms)")
    median = interleaved(rows, args.latency_runs,
                         lambda row: subprocess.run(base + row[0] + [row[1], "true"], env=env, check=True))
    sim("/_sim/fault/clear")
    warm = median["warm (cached name)"]
    for name, ms in median.items():
        extra = (ms - warm) / args.latency_ms
        print(f"  {name:22} {ms:8.1f} ms   +{ms - warm:7.1f} ms over warm = {extra:5.2f} delays")


ACCOUNT_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]


def accounts(args, env, port, base, work, single_iid):
    """A cold connect by id or Name tag across --accounts accounts x
    --account-regions regions (each account a role to assume), against an API
    that answers every call in --accounts-latency-ms, beside the same connect in one
    account and region. The instance is in the last account's last region.
    Goal: one round trip beyond the role assumptions, none for them when cached."""
    import boto3
    import urllib.request

    def sim(path):
        urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").read()

    regions = ACCOUNT_REGIONS[:args.account_regions]
    ids = [f"{100000000000 + n:012d}" for n in range(1, args.accounts + 1)]
    sts = boto3.client("sts", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                       aws_access_key_id="bench", aws_secret_access_key="bench")
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{ids[-1]}:role/bench-launcher",
                        RoleSessionName="bench")["Credentials"]
    theirs = boto3.client("ec2", endpoint_url=f"http://127.0.0.1:{port}", region_name=regions[-1],
                          aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                          aws_session_token=c["SessionToken"])
    inst = theirs.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1,
                                TagSpecifications=[{"ResourceType": "instance",
                                                    "Tags": [{"Key": "Name", "Value": "far"}]}])["Instances"][0]
    far = inst["InstanceId"]

    many = dict(env, HOME=os.path.join(work, "home-accounts"))
    config = os.path.join(many["HOME"], ".config/ec2-hostkey")
    os.makedirs(config)
    with open(os.path.join(config, "config.toml"), "w") as f:
        for n, account in enumerate(ids):
            f.write(f'[[accounts]]\nname = "a{n}"\nrole_arn = "arn:aws:iam::{account}:role/ec2-hostkey"\n'
                    f'regions = {json.dumps(regions)}\n\n')
    os.chmod(os.path.join(config, "config.toml"), 0o600)
    roles = os.path.join(many["HOME"], ".cache/ec2-hostkey/roles")
    kh1, khn = os.path.join(work, "known_hosts-one"), os.path.join(work, "known_hosts-many")
    proxy = f"ProxyCommand={args.bin} proxy --no-cache --known-hosts"
    rows = {
        "warm, 1 account": (env, ["-o", f"ProxyCommand={args.bin} proxy --known-hosts {kh1} %h %p"], single_iid, kh1, False),
        "cold by id, 1 account x 1 region": (env, ["-o", f"{proxy} {kh1} %h %p"], single_iid, kh1, False),
        f"cold by id, {len(ids)} x {len(regions)}, roles cached": (many, ["-o", f"{proxy} {khn} %h %p"], far, khn, False),
        f"cold by id, {len(ids)} x {len(regions)}, roles assumed": (many, ["-o", f"{proxy} {khn} %h %p"], far, khn, True),
        f"cold by Name, {len(ids)} x {len(regions)}, roles cached": (many, ["-o", f"{proxy} {khn} %h %p"], "far", khn, False),
    }

    def once(e, opts, host, kh, fresh_roles):
        if fresh_roles:
            shutil.rmtree(roles, ignore_errors=True)
        ours = [f"UserKnownHostsFile={kh}" if a.startswith("UserKnownHostsFile=") else a for a in base]
        subprocess.run(ours + opts + [host, "true"], env=e, check=True)

    def depth():
        """API round trips in sequence in the last run: the longest chain of
        calls each made after the one before had answered."""
        calls = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_sim/calls?detail=1").read())
        calls = sorted((c["start"], c["end"] or c["start"]) for c in calls)
        chain = []
        for start, end in calls:
            chain.append((end, 1 + max((d for e, d in chain if e <= start), default=0)))
        return max((d for _, d in chain), default=0)

    for row in rows.values():  # each row works before any delay
        once(*row)
    latency_ms = args.accounts_latency_ms
    delay = latency_ms / 1000
    for action in ["DescribeInstances", "GetConsoleOutput", "DescribeInstanceAttribute", "DescribeRegions",
                   "AssumeRole"]:
        sim(f"/_sim/fault?action={action}&kind=slow&seconds={delay}")
    print(f"\n== many accounts: the instance in the last of {len(ids)} accounts x {len(regions)} regions, "
          f"{latency_ms} ms per API call, {args.latency_runs} runs each (median, ms)")
    trips = {name: [] for name in rows}

    def count_trips(name):
        trips[name].append(depth())
        sim("/_sim/calls/reset")

    sim("/_sim/calls/reset")
    median = interleaved(rows, args.latency_runs, lambda row: once(*row), count_trips)
    sim("/_sim/fault/clear")
    warm = median["warm, 1 account"]
    one = median["cold by id, 1 account x 1 region"]
    for name, ms in median.items():
        extra = (ms - warm) / latency_ms
        print(f"  {name:36} {ms:8.1f} ms   +{ms - warm:7.1f} ms over warm = {extra:5.2f} delays"
              f"   x{ms / one:.3f} of one account   {statistics.median(trips[name]):.0f} API round trips in sequence")


def file_pass(args, env, work, iid, ip, dns):
    """forget and repair on a 100,000-line known_hosts, against ssh-keygen -R."""
    import base64
    import hashlib
    import hmac
    import random

    keys = [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv1wNP4mf0CEj0ZCbNuNX4ne5ooMuzsr5Xjuzpsm7Ny",
    ]
    rng = random.Random(42)
    lines = []
    for i in range(100_000):
        name = f"host{i}.example.com"
        if i % 2:
            salt = rng.randbytes(20)
            digest = hmac.new(salt, name.encode(), hashlib.sha1).digest()
            name = f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"
        lines.append(f"{name} {keys[i % 2]}\n")
    big = os.path.join(work, "big_known_hosts")
    with open(big, "w") as f:
        f.writelines(lines)
    subprocess.run([args.bin, "fetch", "--write", "--known-hosts", big, iid], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pristine = open(big, "rb").read()
    names = [iid, "bench", dns, ip]

    def timed(cmd):
        with open(big, "wb") as f:
            f.write(pristine)
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return (time.perf_counter() - t) * 1000

    print(f"\n== known_hosts file pass: {len(lines):,} lines (half hashed), median of 3 (ms)")
    forget = statistics.median(timed([args.bin, "forget", "--known-hosts", big, iid]) for _ in range(3))
    one = statistics.median(timed(["ssh-keygen", "-R", ip, "-f", big]) for _ in range(3))

    def keygen_all():
        with open(big, "wb") as f:
            f.write(pristine)
        t = time.perf_counter()
        for n in names:
            subprocess.run(["ssh-keygen", "-R", n, "-f", big], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        return (time.perf_counter() - t) * 1000

    every = statistics.median(keygen_all() for _ in range(3))
    repair = statistics.median(timed([args.bin, "repair", "--dry-run", "--known-hosts", big]) for _ in range(3))
    print(f"  ssh-keygen -R (1 name)            {one:8.1f} ms")
    print(f"  ssh-keygen -R x{len(names)} (every name)    {every:8.1f} ms")
    print(f"  ec2-hostkey forget (every name)   {forget:8.1f} ms   x{forget / every:.3f} of ssh-keygen -R x{len(names)}")
    print(f"  ec2-hostkey repair --dry-run      {repair:8.1f} ms   x{repair / one:.3f} of one ssh-keygen -R")


if __name__ == "__main__":
    main()
