"""ec2-hostkey benchmark (run through contrib/bench).

Starts the testbed, launches an instance, and measures in one run:
  - connect time (`ssh host true`, --runs times): direct, ProxyCommand nc,
    ec2-hostkey proxy (warm), proxy --fdpass (warm), KnownHostsCommand (warm);
  - bulk throughput (--bulk-mib MiB through `cat > /dev/null`) for the same;
  - the cold path: `ec2-hostkey fetch --no-cache` against the aws CLI doing
    describe-instances + get-console-output;
  - peak RSS of the proxy (warm and cold).
Prints each figure and its ratio to the reference.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--bulk-mib", type=int, default=1024)
    ap.add_argument("--cold-runs", type=int, default=5)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="ec2-hostkey-bench-")
    sim = subprocess.Popen(
        [sys.executable, os.path.join(REPO, "tests/sim/sim.py"), "--state-dir", os.path.join(work, "sim")],
        stdout=subprocess.PIPE,
        stderr=open(os.path.join(work, "sim.log"), "w"),
        text=True,
    )
    try:
        _, port, state, _net = sim.stdout.readline().split()
        run(args, work, port, state)
    finally:
        sim.terminate()
        sim.wait()
        shutil.rmtree(work, ignore_errors=True)


def run(args, work, port, state):
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
    ec2 = boto3.client("ec2", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                       aws_access_key_id="bench", aws_secret_access_key="bench")
    inst = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1,
                             TagSpecifications=[{"ResourceType": "instance",
                                                 "Tags": [{"Key": "Name", "Value": "bench"}]}])["Instances"][0]
    iid, ip = inst["InstanceId"], inst["PublicIpAddress"]
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
        "proxy --fdpass": ["-o", "ProxyUseFdpass=yes",
                           "-o", f"ProxyCommand={args.bin} proxy --fdpass --known-hosts {kh} %h %p"],
        "known-hosts mode": ["-o", f"KnownHostsCommand={args.bin} known-hosts %H %t %K",
                             "-o", "UserKnownHostsFile=/dev/null"],
    }
    # Warm the cache for every mode once (also checks each works).
    for name, opts in modes.items():
        subprocess.run(base + opts + [ip, "true"], env=env, check=True)

    print(f"\n== connect time: ssh {ip} true, {args.runs} runs each (median, ms)")
    connect = {}
    for name, opts in modes.items():
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run(base + opts + [ip, "true"], env=env, check=True)
            times.append((time.perf_counter() - t) * 1000)
        connect[name] = statistics.median(times)
    for name, ms in connect.items():
        print(f"  {name:18} {ms:8.1f} ms   x{ms / connect['nc']:.3f} of nc   x{ms / connect['direct']:.3f} of direct")

    size = args.bulk_mib * 1024 * 1024
    print(f"\n== bulk: {args.bulk_mib} MiB through ssh 'cat > /dev/null' (best of 3, MiB/s)")
    bulk = {}
    for name, opts in modes.items():
        best = None
        for _ in range(3):
            t = time.perf_counter()
            src = subprocess.Popen(["head", "-c", str(size), "/dev/zero"], stdout=subprocess.PIPE)
            subprocess.run(base + opts + ["-c", "aes128-gcm@openssh.com", ip, "cat > /dev/null"],
                           stdin=src.stdout, env=env, check=True)
            src.wait()
            elapsed = time.perf_counter() - t
            best = elapsed if best is None else min(best, elapsed)
        bulk[name] = args.bulk_mib / best
    for name, mibs in bulk.items():
        print(f"  {name:18} {mibs:8.1f} MiB/s  x{mibs / bulk['direct']:.3f} of direct")

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

    print("\n== peak RSS (KiB)")
    for label, extra in [("proxy (warm)", ""), ("proxy (cold, --no-cache)", "--no-cache")]:
        opts = ["-o", f"ProxyCommand=/usr/bin/time -f %M -o {rss} {args.bin} proxy {extra} --known-hosts {kh} %h %p"]
        subprocess.run(base + opts + [ip, "true"], env=env, check=True)
        with open(rss) as f:
            kib = int(f.read().split()[-1])
        print(f"  {label:26} {kib:8d} KiB  ({kib / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
